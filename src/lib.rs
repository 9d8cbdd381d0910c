//! kubepatrol: a policy linter for Kubernetes manifests that points at the offending line and
//! column. The pipeline runs in one direction: discover → load → render → evaluate → report.

pub mod atomic;
pub mod baseline;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod discover;
pub mod evaluate;
pub mod exempt;
pub mod explain;
pub mod finding;
pub mod fingerprint;
pub mod fix;
pub mod guard;
pub mod load;
pub mod object;
pub mod render;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod settings;
pub mod source;
pub mod workload;
pub mod yaml;

use report::Outcome;

/// What to lint and how.
#[derive(Debug, Default)]
pub struct LintOptions {
    pub paths: Vec<String>,
    pub discover: discover::Options,
    pub limits: load::LoadLimits,
    pub settings: settings::Settings,
    /// The configuration file, when there is one (see [`config::resolve`]).
    pub config: Option<config::Loaded>,
    pub baseline: Option<baseline::Baseline>,
    pub report_unused_ignores: bool,
}

/// Run the whole pipeline; input problems end up in the outcome's diagnostics, never as a panic.
pub fn lint(options: &LintOptions) -> Outcome {
    lint_discovered(
        options,
        discover::discover(&options.paths, &options.discover),
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
            diagnostics: Vec::new(),
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
    };
    let (loaded, rendered) = load_and_render(
        config_sources,
        &discovery.inputs,
        options.limits,
        &inspected,
    );
    let evaluation = evaluate::evaluate(&rendered.objects, rules::all(), &options.settings);
    let exempted = exempt::exempt(
        evaluation.findings,
        &rendered.objects,
        &exempt::Options {
            config: options.config.as_ref().map(|loaded| &loaded.config),
            config_paths: config_paths(options.config.as_ref(), first_input, &discovery.inputs),
            report_unused: options.report_unused_ignores,
        },
    );
    let mut suppressed = exempted.suppressed;
    // Merged only now: an annotation one overlay's patch adds silences that overlay's objects
    // alone, so the overlays that still fail must each have had their finding.
    let kept = finding::merge_overlay_duplicates(exempted.findings);
    let (findings, baseline) = match &options.baseline {
        Some(recorded) => {
            let (kept, mut baselined, summary) = baseline::apply(kept, recorded);
            suppressed.append(&mut baselined);
            (kept, Some(summary))
        }
        None => (kept, None),
    };
    let mut outcome = Outcome {
        sources: loaded.sources,
        findings,
        suppressed,
        baseline,
        diagnostics: [
            discovery.diagnostics,
            loaded.diagnostics,
            rendered.diagnostics,
            evaluation.diagnostics,
            exempted.diagnostics,
        ]
        .concat(),
        files: discovery.inputs.len(),
        objects: rendered.objects.len(),
        evaluated: evaluation.evaluated,
        inspected: evaluation.inspected,
    };
    outcome.sort_diagnostics();
    outcome
}

/// Load `inputs` after the files already in `sources`, read what their kustomizations reference,
/// and render: the objects to evaluate. Objects whose kind is not `inspected` keep only their
/// identity unless a patch needs them whole.
pub fn load_and_render(
    sources: source::SourceMap,
    inputs: &[discover::Input],
    limits: load::LoadLimits,
    inspected: load::Inspected<'_>,
) -> (load::Loaded, render::Rendered) {
    let mut loaded = load::load_after(sources, inputs, limits, inspected);
    let tree = resolve::resolve(inputs, &mut loaded, limits, inspected);
    let rendered = render::render(
        inputs,
        loaded.first_input,
        &loaded.files,
        &loaded.sources,
        &tree,
    );
    (loaded, rendered)
}

/// Each file's path as the configuration's `file` globs see it, indexed by file id.
fn config_paths(
    config: Option<&config::Loaded>,
    first_input: usize,
    inputs: &[discover::Input],
) -> Vec<String> {
    let Some(config) = config else {
        return Vec::new();
    };
    let inputs = inputs.iter().map(|input| match &input.source {
        discover::Source::File(path) => config.relative_path(path, &input.display),
        discover::Source::Stdin | discover::Source::Memory(_) => input.display.clone(),
    });
    std::iter::repeat_n(String::new(), first_input)
        .chain(inputs)
        .collect()
}
