//! The pipeline in one place: run the stages in order (discover → load → render → evaluate →
//! exempt) and gather what they produced into the [`Outcome`] every report and fix reads.
//! Each stage is a function of the previous one's output; only this module knows the order.

use std::path::{Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic, Level, Location};
use crate::evaluate::Inspected;
use crate::evaluate::finding::Finding;
use crate::evaluate::policies::Policies;
use crate::exempt::{Suppressed, baseline};
use crate::model::values_set::{self, ValuesSet};
use crate::model::workload;
use crate::source::SourceMap;
use crate::vfs::{Disk, FileSystem, Files};
use crate::{config, discover, evaluate, exempt, load, policy, render, rules, settings};

/// What to lint and how.
#[derive(Debug, Default)]
pub struct LintOptions {
    pub paths: Vec<String>,
    pub discover: discover::DiscoverOptions,
    pub limits: load::LoadLimits,
    pub settings: settings::Settings,
    /// The configuration file, when there is one (see [`config::read_for_run`]).
    pub config: Option<config::LoadedConfig>,
    pub baseline: Option<baseline::Baseline>,
    pub report_unused_ignores: bool,
    /// Where the paths are read: the disk unless an editor's buffers or a git commit stand in.
    pub files: Files,
    /// Where to read policies besides the linted paths (`--policies`, `policies:`): their
    /// objects define checks and are not linted.
    pub policy_paths: Vec<String>,
    /// Leave ValidatingAdmissionPolicies unevaluated (`admissionPolicies: false`).
    pub skip_admission_policies: bool,
    /// Note the policy rules that apply to no object.
    pub report_unused_policies: bool,
}

/// Lint options for `paths` read from `files`, with the configuration (explicit or found from
/// the first path) applied; an invalid configuration stops the run with its errors. `lint`,
/// `fix`, `baseline` and the language server all start here.
pub fn lint_options_for(
    files: Files,
    paths: Vec<String>,
    config_file: Option<&std::path::Path>,
    mut exclude: Vec<String>,
    no_ignore: bool,
) -> Result<LintOptions, Box<Outcome>> {
    let paths = if paths.is_empty() {
        vec![".".to_owned()]
    } else {
        paths
    };
    let first = paths.first().map_or(".", String::as_str);
    let loaded = config::read_for_run(&*files, config_file, first)
        .map_err(|(sources, errors)| Box::new(Outcome::stopped(sources, errors)))?;
    let mut settings = Default::default();
    let mut policy_paths = Vec::new();
    let mut skip_admission_policies = false;
    if let Some(loaded) = &loaded {
        skip_admission_policies = loaded.config.admission_policies == Some(false);
        exclude.extend(loaded.config.exclude.iter().map(|glob| glob.value.clone()));
        settings = loaded.config.settings();
        policy_paths.extend(
            loaded
                .config
                .policies
                .iter()
                .map(|path| loaded.dir.join(&path.value).display().to_string()),
        );
    }
    Ok(LintOptions {
        paths,
        discover: discover::DiscoverOptions {
            exclude,
            no_ignore,
            stdin_name: None,
            no_kustomize: false,
        },
        settings,
        config: loaded,
        files,
        policy_paths,
        skip_admission_policies,
        ..LintOptions::default()
    })
}

/// Run the whole pipeline; input problems end up in the outcome's diagnostics, never as a panic.
pub fn lint(options: &LintOptions) -> Outcome {
    lint_discovered(
        options,
        discover::discover_in(&*options.files, &options.paths, &options.discover),
    )
}

/// Lint one in-memory file named `display`, with `options` but without touching the file system
/// for it (a kustomization in memory cannot reference files).
pub fn lint_bytes(display: &str, bytes: &[u8], options: &LintOptions) -> Outcome {
    let input = discover::Input {
        display: display.to_owned(),
        source: discover::Source::Memory(bytes.into()),
        kind: discover::InputKind::Manifest,
    };
    lint_discovered(
        options,
        discover::Discovery {
            inputs: vec![input],
            ..discover::Discovery::default()
        },
    )
}

fn lint_discovered(options: &LintOptions, discovery: discover::Discovery) -> Outcome {
    let config_sources = options
        .config
        .as_ref()
        .map(|loaded| loaded.sources.clone())
        .unwrap_or_default();
    let first_input = config_sources.len();
    let inspected = |api_version: &str, kind: &str| {
        workload::is_inspected(api_version, kind, &options.settings)
            || policy::is_policy_input(api_version, kind)
            || options.config.as_ref().is_some_and(|loaded| {
                let checks = &loaded.config.custom_checks;
                checks
                    .iter()
                    .any(|check| check.kinds.iter().any(|k| k == kind))
            })
    };
    let library = policy_library(options, &discovery.inputs);
    let first_library_file = first_input + discovery.inputs.len();
    let inputs = [discovery.inputs.as_slice(), library.inputs.as_slice()].concat();
    let (loaded, mut rendered) = load_render(
        &*options.files,
        config_sources,
        &inputs,
        &discovery.context,
        options.limits,
        &inspected,
        LintReading {
            whole: policy::files_policies_read,
            config: options.config.as_ref(),
        },
    );
    let (policies, policy_diagnostics) = Policies::read(
        &rendered.objects,
        &loaded.sources,
        !options.skip_admission_policies,
    );
    // A configuration naming a check no policy defines stops the run, as its other errors do.
    let unresolved = unresolved_check_errors(options, &policies.checks());
    if !unresolved.is_empty() {
        return Outcome::stopped(loaded.sources, unresolved);
    }
    // The library's objects define checks and are not linted; files after them are those
    // kustomizations read, whose objects are.
    let library_files = first_library_file..first_library_file + library.inputs.len();
    rendered
        .objects
        .retain(|object| !library_files.contains(&(object.file.0 as usize)));
    let custom_checks = options
        .config
        .as_ref()
        .map_or(&[][..], |loaded| &loaded.config.custom_checks[..]);
    let run_checks = evaluate::RunChecks {
        policies: Some(&policies),
        custom: custom_checks,
        report_unused_policies: options.report_unused_policies,
    };
    let evaluation = evaluate::evaluate_with(
        &rendered.objects,
        rules::all(),
        &options.settings,
        run_checks,
    );
    let config_paths = options.config.as_ref().map_or_else(Vec::new, |config| {
        let canonical = discover::canonical_paths(&*options.files, &discovery.inputs);
        exempt::config_paths(&config.dir, first_input, &discovery.inputs, &canonical)
    });
    let exempted = exempt::exempt(
        evaluation.findings,
        &rendered.objects,
        &exempt::ExemptOptions {
            config: options.config.as_ref().map(|loaded| &loaded.config),
            config_paths,
            baseline: options.baseline.as_ref(),
            report_unused: options.report_unused_ignores,
        },
    );
    let mut outcome = Outcome {
        sources: loaded.sources,
        findings: exempted.findings,
        suppressed: exempted.suppressed,
        baseline: exempted.baseline,
        diagnostics: [
            discovery.diagnostics,
            library.diagnostics,
            loaded.diagnostics,
            rendered.diagnostics,
            policy_diagnostics,
            evaluation.diagnostics,
            exempted.diagnostics,
        ]
        .concat(),
        files: discovery.inputs.len(),
        objects: rendered.objects.len(),
        evaluated: evaluation.evaluated,
        inspected: evaluation.inspected,
        policy_checks: custom_checks
            .iter()
            .map(|check| check.entry)
            .chain(policies.checks())
            .collect(),
    };
    outcome.sort_diagnostics();
    outcome.sort_findings();
    outcome
}

/// The configuration's errors for check ids that name none of the run's checks (see
/// [`config::Config::unresolved_errors`]).
fn unresolved_check_errors(
    options: &LintOptions,
    policy_checks: &[&'static rules::RuleEntry],
) -> Vec<crate::diagnostic::Diagnostic> {
    options.config.as_ref().map_or_else(Vec::new, |loaded| {
        loaded.config.unresolved_errors(policy_checks)
    })
}

/// The inputs of the `--policies` and `policies:` paths that are not linted inputs already
/// (those are read once, as inputs).
fn policy_library(options: &LintOptions, linted: &[discover::Input]) -> discover::Discovery {
    // `discover` reads the current directory when given no path: no policy path, no library.
    if options.policy_paths.is_empty() {
        return discover::Discovery::default();
    }
    let mut library =
        discover::discover_in(&*options.files, &options.policy_paths, &options.discover);
    let linted: Vec<_> = discover::canonical_paths(&*options.files, linted)
        .into_iter()
        .flatten()
        .collect();
    let canonical = discover::canonical_paths(&*options.files, &library.inputs);
    library.inputs = std::mem::take(&mut library.inputs)
        .into_iter()
        .zip(canonical)
        .filter(|(_, path)| path.as_ref().is_none_or(|path| !linted.contains(path)))
        .map(|(input, _)| input)
        .collect();
    library
}

/// Load `inputs` from the disk after the files already in `sources`, read what their kustomizations (and the
/// `context` kustomizations that may consume a named file) reference, and render: the objects
/// to evaluate. Objects whose kind is not `inspected` keep only their identity unless a patch
/// needs them whole.
pub fn load_and_render(
    sources: SourceMap,
    inputs: &[discover::Input],
    context: &[discover::Input],
    limits: load::LoadLimits,
    inspected: load::InspectedKind<'_>,
) -> (load::Loaded, render::Rendered) {
    load_and_render_in(&Disk, sources, inputs, context, limits, inspected)
}

/// [`load_and_render`] reading from `files`.
pub fn load_and_render_in(
    files: &dyn FileSystem,
    sources: SourceMap,
    inputs: &[discover::Input],
    context: &[discover::Input],
    limits: load::LoadLimits,
    inspected: load::InspectedKind<'_>,
) -> (load::Loaded, render::Rendered) {
    let reading = LintReading {
        whole: |_| Vec::new(),
        config: None,
    };
    load_render(files, sources, inputs, context, limits, inspected, reading)
}

/// What a lint run reads besides its inputs.
struct LintReading<'c> {
    /// The outlined files whose whole trees policies read.
    whole: fn(&[crate::model::files::LoadedFile]) -> Vec<crate::source::FileId>,
    /// The configuration, whose `charts:` entries name values sets.
    config: Option<&'c config::LoadedConfig>,
}

/// [`load_and_render_in`], reading what `reading` asks for too.
fn load_render(
    files: &dyn FileSystem,
    sources: SourceMap,
    inputs: &[discover::Input],
    context: &[discover::Input],
    limits: load::LoadLimits,
    inspected: load::InspectedKind<'_>,
    reading: LintReading<'_>,
) -> (load::Loaded, render::Rendered) {
    let mut loaded = load::load_after(files, sources, inputs, limits, inspected);
    let restored = (reading.whole)(&loaded.files);
    loaded.restore(&restored, limits);
    let mut tree =
        load::kustomize::follow_references(files, inputs, context, &mut loaded, limits, inspected);
    tree.charts = load::helm::read_charts(files, inputs, &mut loaded, limits, reading.config);
    let rendered = render::render(
        inputs,
        loaded.first_input,
        &loaded.files,
        &loaded.sources,
        &tree,
    );
    (loaded, rendered)
}

/// Everything a run produced.
#[derive(Debug)]
pub struct Outcome {
    pub sources: SourceMap,
    pub findings: Vec<Finding>,
    /// Findings silenced by annotations, configuration or the baseline, with what did it.
    pub suppressed: Vec<Suppressed>,
    /// What `--baseline` did, when given.
    pub baseline: Option<baseline::Summary>,
    pub diagnostics: Vec<Diagnostic>,
    pub files: usize,
    pub objects: usize,
    pub evaluated: usize,
    /// Every object, in input order, with the checks it passed.
    pub inspected: Vec<Inspected>,
    /// The checks the configuration's `customChecks` and the run's policies define, after the
    /// built-in ones in [`Outcome::checks`].
    pub policy_checks: Vec<&'static rules::RuleEntry>,
}

impl Outcome {
    /// The outcome of a run that stopped before reading any input (e.g. an invalid
    /// configuration).
    pub fn stopped(sources: SourceMap, diagnostics: Vec<Diagnostic>) -> Self {
        let mut outcome = Outcome {
            sources,
            findings: Vec::new(),
            suppressed: Vec::new(),
            baseline: None,
            diagnostics,
            files: 0,
            objects: 0,
            evaluated: 0,
            inspected: Vec::new(),
            policy_checks: Vec::new(),
        };
        outcome.sort_diagnostics();
        outcome
    }

    /// Every check of the run: the built-in ones, then the custom ones and those its policies
    /// define.
    pub fn checks(&self) -> Vec<&'static rules::RuleEntry> {
        rules::all()
            .iter()
            .chain(self.policy_checks.iter().copied())
            .collect()
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.level == Level::Error)
    }

    /// Diagnostics in report order: those without a file first, then by file path and
    /// position.
    pub fn sort_diagnostics(&mut self) {
        let sources = &self.sources;
        self.diagnostics
            .sort_by(|a, b| sort_key(sources, a).cmp(&sort_key(sources, b)));
    }

    /// Findings in report order: by file path, position and check id; findings at the same
    /// place keep their object and container order. (File ids follow load order, which puts
    /// a base an overlay loaded after the scanned files.)
    fn sort_findings(&mut self) {
        let sources = &self.sources;
        self.findings.sort_by(|a, b| {
            let key = |finding: &Finding| {
                let span = finding.primary();
                (sources.display(span.file), span.start, finding.rule.meta.id)
            };
            key(a).cmp(&key(b))
        });
    }

    /// Where a span sorts in reports: its file's path, then its offset.
    pub fn place_key(&self, file: Option<crate::source::FileId>, offset: u32) -> (&str, u32) {
        (file.map_or("", |file| self.sources.display(file)), offset)
    }
}

fn sort_key<'s>(
    sources: &'s SourceMap,
    diagnostic: &Diagnostic,
) -> (u8, &'s str, u32, &'static str) {
    match &diagnostic.location {
        Location::Path(_) => (0, "", 0, diagnostic.code.as_str()),
        Location::File(file) => (1, sources.display(*file), 0, diagnostic.code.as_str()),
        Location::Span(span) => (
            1,
            sources.display(span.file),
            span.start,
            diagnostic.code.as_str(),
        ),
    }
}

/// What `helm template` prints, rendered natively: see [`helm_template`].
#[derive(Debug)]
pub struct HelmTemplate {
    pub text: String,
    pub diagnostics: Vec<Diagnostic>,
    pub sources: SourceMap,
}

/// The arguments of a `helm template` run that [`helm_template`] reproduces.
#[derive(Debug, Default)]
pub struct HelmTemplateOptions {
    /// The release name.
    pub release: String,
    /// `--namespace` (default `default`).
    pub namespace: Option<String>,
    /// `-f` files, in order.
    pub values: Vec<PathBuf>,
    /// `--set` arguments, in order.
    pub set: Vec<String>,
    /// `--kube-version`.
    pub kube_version: Option<String>,
    /// `--api-versions`, each one version.
    pub api_versions: Vec<String>,
    /// `--include-crds`.
    pub include_crds: bool,
}

/// Render the chart in `directory` as `helm template RELEASE DIR [--namespace NS] [-f VALUES]...
/// [--set ARG]... [--kube-version V] [--api-versions A]... [--include-crds]` would print it
/// (the differential tests compare the two).
pub fn helm_template(directory: &Path, options: &HelmTemplateOptions) -> HelmTemplate {
    let mut loaded = load::Loaded::default();
    let (chart, values_files) = load::helm::read_chart_with_values(
        &Disk,
        directory,
        &options.values,
        &mut loaded,
        load::LoadLimits::default(),
    );
    let chart_file = match chart.files.get("Chart.yaml") {
        Some(crate::model::files::ChartFile::Text(file)) => Some(*file),
        _ => None,
    };
    let mut diagnostics = std::mem::take(&mut loaded.diagnostics);
    let mut text = String::new();
    match chart_file {
        Some(chart_file) => {
            let values_set = helm_values_set(options, values_files, chart_file, &mut diagnostics);
            let cache = render::helm::chart::RenderCache::of(&chart);
            let request = render::helm::chart::Request {
                chart_file,
                chart: &chart,
                sources: &loaded.sources,
                values_set: Some(&values_set),
                cache: &cache,
            };
            let (manifest, mut errors) =
                render::helm::chart::manifest(request, options.include_crds);
            text = manifest;
            diagnostics.append(&mut errors);
        }
        None => diagnostics.push(Diagnostic::error(
            Code::HelmChartError,
            Location::Path(directory.display().to_string()),
            "no Chart.yaml in this directory",
        )),
    }
    HelmTemplate {
        text,
        diagnostics,
        sources: loaded.sources,
    }
}

/// The values set `helm template`'s arguments describe; a `--set` Helm cannot parse is an error.
fn helm_values_set(
    options: &HelmTemplateOptions,
    values_files: Vec<crate::source::FileId>,
    chart_file: crate::source::FileId,
    diagnostics: &mut Vec<Diagnostic>,
) -> ValuesSet {
    let span = crate::source::Span::new(chart_file, 0, 0);
    let mut set = Vec::new();
    for argument in &options.set {
        match values_set::parse_set(argument, span, None) {
            Ok(mut assignments) => set.append(&mut assignments),
            Err(message) => diagnostics.push(Diagnostic::error(
                Code::InvalidConfig,
                Location::Path(format!("--set {argument}")),
                message,
            )),
        }
    }
    ValuesSet {
        name: options.release.clone(),
        span,
        values_files,
        set,
        release_name: Some(options.release.clone()),
        namespace: options.namespace.clone(),
        kube_version: options.kube_version.clone().map(|version| (version, span)),
        api_versions: options.api_versions.clone(),
    }
}
