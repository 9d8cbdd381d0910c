//! The exempt stage, between evaluate and report: configuration re-grades findings, then
//! workload annotations and configuration exemptions silence them. Nothing is dropped: every
//! silenced finding is kept as [`Suppressed`] with what silenced it, so reports can show it.

pub mod baseline;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use baseline::Baseline;

use crate::config::{CheckSelection, Config, Exemption, Spanned, unknown_check_message};
use crate::diagnostic::{Code, Diagnostic, Level, Location};
use crate::discover::Input;
use crate::evaluate::finding::Finding;
use crate::model::object::{Object, ObjectId};
use crate::rules;
use crate::source::Span;
use crate::yaml::Node;

pub(crate) const IGNORE: &str = "kubepatrol.io/ignore";
pub(crate) const IGNORE_CONTAINER_PREFIX: &str = "kubepatrol.io/ignore.";
pub(crate) const IGNORE_REASON: &str = "kubepatrol.io/ignore-reason";
const POLARIS_EXEMPT: &str = "polaris.fairwinds.com/exempt";
const POLARIS_PREFIX: &str = "polaris.fairwinds.com/";
const POLARIS_CHECK_SUFFIX: &str = "-exempt";

/// A finding that was silenced, and by what.
#[derive(Clone, Debug)]
pub struct Suppressed {
    pub finding: Finding,
    pub by: Suppression,
}

/// What silenced a finding.
#[derive(Clone, Debug)]
pub enum Suppression {
    /// A workload annotation: its key, and the span of the value (or of the key for Polaris'
    /// per-check form, whose check is in the key).
    Annotation {
        key: String,
        span: Span,
        reason: Option<String>,
    },
    /// A `checks:` entry of the configuration grading the check `ignore`; the span is its key.
    ConfigCheck { span: Span },
    /// An `exemptions:` entry of the configuration.
    ConfigExemption { span: Span, reason: String },
    /// The baseline file named by `--baseline`.
    Baseline { file: String },
    /// Found at the commit `--new-since` names too (`reference` names it): not new.
    Existing { reference: String },
}

impl Suppression {
    pub fn kind(&self) -> &'static str {
        match self {
            Suppression::Annotation { .. } => "annotation",
            Suppression::ConfigCheck { .. } => "config-check",
            Suppression::ConfigExemption { .. } => "config-exemption",
            Suppression::Baseline { .. } => "baseline",
            Suppression::Existing { .. } => "new-since",
        }
    }

    /// Where the suppression was written, when it is in a loaded file.
    pub fn span(&self) -> Option<Span> {
        match self {
            Suppression::Annotation { span, .. }
            | Suppression::ConfigCheck { span }
            | Suppression::ConfigExemption { span, .. } => Some(*span),
            Suppression::Baseline { .. } | Suppression::Existing { .. } => None,
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Suppression::Annotation { reason, .. } => reason.as_deref(),
            Suppression::ConfigExemption { reason, .. } => Some(reason),
            Suppression::ConfigCheck { .. }
            | Suppression::Baseline { .. }
            | Suppression::Existing { .. } => None,
        }
    }

    /// A short description for one-line formats.
    pub fn describe(&self) -> String {
        match self {
            Suppression::Annotation { key, .. } => format!("annotation `{key}`"),
            Suppression::ConfigCheck { .. } => "`checks:` entry of the configuration".into(),
            Suppression::ConfigExemption { .. } => "exemption of the configuration".into(),
            Suppression::Baseline { file } => format!("baseline `{file}`"),
            Suppression::Existing { reference } => format!("present at {reference}"),
        }
    }
}

#[derive(Debug, Default)]
pub struct ExemptOptions<'a> {
    pub config: Option<&'a Config>,
    /// The path of each file (indexed by file id) as the configuration's `file` globs see it.
    pub config_paths: Vec<String>,
    pub baseline: Option<&'a Baseline>,
    pub report_unused: bool,
}

#[derive(Debug, Default)]
pub struct Exempted {
    pub findings: Vec<Finding>,
    pub suppressed: Vec<Suppressed>,
    /// What the baseline did, when there is one.
    pub baseline: Option<baseline::Summary>,
    pub diagnostics: Vec<Diagnostic>,
}

/// One check list of an annotation, with a flag per entry for `--report-unused-ignores`.
#[derive(Debug)]
struct AnnotationIgnore {
    key: String,
    span: Span,
    container: Option<String>,
    checks: CheckSelection,
    used: Vec<bool>,
}

#[derive(Debug, Default)]
struct Annotations {
    ignores: Vec<AnnotationIgnore>,
    reason: Option<String>,
}

/// The whole stage: re-grade, silence by annotation and configuration, then set aside what the
/// baseline records. Each overlay's object keeps its own findings (an annotation one overlay's
/// patch adds silences that overlay alone); reports may show identical ones once.
pub fn exempt(findings: Vec<Finding>, objects: &[Object], options: &ExemptOptions<'_>) -> Exempted {
    let mut exempted = silence(findings, objects, options);
    if let Some(recorded) = options.baseline {
        let linted: std::collections::HashSet<baseline::ObjectKey> = objects
            .iter()
            .map(|object| baseline::object_key(&object.id))
            .collect();
        let (kept, mut baselined, summary) =
            baseline::apply(std::mem::take(&mut exempted.findings), recorded, &linted);
        exempted.suppressed.append(&mut baselined);
        exempted.findings = kept;
        exempted.baseline = Some(summary);
    }
    exempted
}

/// Each file's path as the configuration's `file` globs see it, indexed by file id: files
/// before `first_input` (the configuration's own) get none. `canonical` holds each input's
/// canonical path where it has one (see [`crate::discover::canonical_paths`]).
pub fn config_paths(
    config_dir: &Path,
    first_input: usize,
    inputs: &[Input],
    canonical: &[Option<PathBuf>],
) -> Vec<String> {
    let inputs = inputs.iter().enumerate().map(|(index, input)| {
        canonical
            .get(index)
            .and_then(Option::as_deref)
            .and_then(|absolute| relative_to(config_dir, absolute))
            .unwrap_or_else(|| input.display.clone())
    });
    std::iter::repeat_n(String::new(), first_input)
        .chain(inputs)
        .collect()
}

/// `path` relative to `dir` with `/` separators, when it is inside it.
fn relative_to(dir: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(dir).ok()?;
    let parts: Vec<String> = relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(parts.join("/"))
}

/// Re-grade by `checks:`, then silence by annotation and configuration exemption.
fn silence(findings: Vec<Finding>, objects: &[Object], options: &ExemptOptions<'_>) -> Exempted {
    let mut exempted = Exempted::default();
    let mut annotations: Vec<Annotations> = objects
        .iter()
        .map(|object| annotations(object, &mut exempted.diagnostics))
        .collect();
    let object_index: HashMap<*const ObjectId, usize> = objects
        .iter()
        .enumerate()
        .map(|(index, object)| (Arc::as_ptr(&object.id), index))
        .collect();
    let exemptions = options.config.map_or(&[][..], |c| c.exemptions.as_slice());
    let mut exemption_used = vec![false; exemptions.len()];
    for mut finding in findings {
        let object = object_index
            .get(&Arc::as_ptr(&finding.object))
            .and_then(|&index| Some((index, objects.get(index)?)));
        let by = regrade(&mut finding, options.config)
            .or_else(|| {
                let (index, _) = object?;
                annotation_match(annotations.get_mut(index)?, &finding)
            })
            .or_else(|| {
                let (_, object) = object?;
                let path = options.config_paths.get(object.file.0 as usize)?;
                let (index, exemption) = exemptions
                    .iter()
                    .enumerate()
                    .find(|(_, exemption)| exemption_matches(exemption, path, &finding))?;
                if let Some(used) = exemption_used.get_mut(index) {
                    *used = true;
                }
                Some(Suppression::ConfigExemption {
                    span: exemption.span,
                    reason: exemption.reason.clone(),
                })
            });
        match by {
            Some(by) => exempted.suppressed.push(Suppressed { finding, by }),
            None => exempted.findings.push(finding),
        }
    }
    if options.report_unused {
        report_unused(&annotations, exemptions, &exemption_used, &mut exempted);
    }
    exempted
}

/// Apply a `checks:` grade: change the severity, or say the check is ignored.
fn regrade(finding: &mut Finding, config: Option<&Config>) -> Option<Suppression> {
    let grade = config?.grade(finding.rule)?;
    match grade.grade.severity() {
        Some(severity) => {
            finding.severity = severity;
            None
        }
        None => Some(Suppression::ConfigCheck { span: grade.span }),
    }
}

fn annotation_match(annotations: &mut Annotations, finding: &Finding) -> Option<Suppression> {
    let container = finding
        .container
        .as_ref()
        .and_then(|container| container.name.as_deref());
    for ignore in &mut annotations.ignores {
        if ignore.container.is_some() && ignore.container.as_deref() != container {
            continue;
        }
        let position = match &ignore.checks {
            CheckSelection::All => Some(0),
            CheckSelection::Only(checks) => checks
                .iter()
                .position(|check| std::ptr::eq(check.value, finding.rule)),
        };
        if let Some(position) = position {
            if let Some(used) = ignore.used.get_mut(position) {
                *used = true;
            }
            return Some(Suppression::Annotation {
                key: ignore.key.clone(),
                span: ignore.span,
                reason: annotations.reason.clone(),
            });
        }
    }
    None
}

fn exemption_matches(exemption: &Exemption, path: &str, finding: &Finding) -> bool {
    let object = &finding.object;
    let container = finding
        .container
        .as_ref()
        .map(|container| container.name.as_deref().unwrap_or(""));
    let glob = |pattern: &Option<crate::config::Pattern>, value: Option<&str>| {
        pattern
            .as_ref()
            .is_none_or(|pattern| value.is_some_and(|value| pattern.matches(value)))
    };
    exemption.checks.covers(finding.rule)
        && exemption
            .kind
            .as_deref()
            .is_none_or(|kind| kind == object.kind)
        && glob(&exemption.file, Some(path))
        && glob(
            &exemption.namespace,
            Some(object.namespace.as_deref().unwrap_or("")),
        )
        && glob(&exemption.name, Some(object.name.as_deref().unwrap_or("")))
        && glob(&exemption.container, container)
}

/// The ignores an object's annotations declare; unknown check ids are warnings.
fn annotations(object: &Object, diagnostics: &mut Vec<Diagnostic>) -> Annotations {
    let mut found = Annotations::default();
    let Some(entries) = object
        .root
        .get("metadata")
        .and_then(|metadata| metadata.get("annotations"))
        .and_then(Node::as_map)
    else {
        return found;
    };
    for entry in entries {
        // Annotation values are strings: kubectl refuses any other (evaluate reports it), and
        // such a value exempts nothing.
        let (Some(key), Some(_)) = (entry.key.as_str(), entry.value.as_str()) else {
            continue;
        };
        let value = &entry.value;
        if key == IGNORE_REASON {
            found.reason = value.as_str().map(str::to_owned);
        } else if key == IGNORE {
            found.push(key, value.span, None, ignore_list(value, diagnostics));
        } else if let Some(container) = key.strip_prefix(IGNORE_CONTAINER_PREFIX) {
            let checks = ignore_list(value, diagnostics);
            found.push(key, value.span, Some(container.to_owned()), checks);
        } else if key == POLARIS_EXEMPT {
            if is_true(value) {
                found.push(key, value.span, None, CheckSelection::All);
            }
        } else if let Some(id) = key
            .strip_prefix(POLARIS_PREFIX)
            .and_then(|rest| rest.strip_suffix(POLARIS_CHECK_SUFFIX))
            && is_true(value)
        {
            match rules::find(id) {
                Some(check) => {
                    let checks = CheckSelection::Only(vec![Spanned {
                        value: check,
                        span: entry.key.span,
                    }]);
                    found.push(key, entry.key.span, None, checks);
                }
                None => diagnostics.push(unknown_check(entry.key.span, id)),
            }
        }
    }
    found
}

impl Annotations {
    fn push(&mut self, key: &str, span: Span, container: Option<String>, checks: CheckSelection) {
        let entries = match &checks {
            CheckSelection::All => 1,
            CheckSelection::Only(checks) => checks.len(),
        };
        self.ignores.push(AnnotationIgnore {
            key: key.to_owned(),
            span,
            container,
            checks,
            used: vec![false; entries],
        });
    }
}

/// Polaris' flags read `"true"`.
fn is_true(value: &Node) -> bool {
    value
        .as_str()
        .is_some_and(|text| text.trim().eq_ignore_ascii_case("true"))
}

/// `all`, or check ids separated by commas. Unknown ids are warnings at the value.
fn ignore_list(value: &Node, diagnostics: &mut Vec<Diagnostic>) -> CheckSelection {
    let text = value.as_str().unwrap_or_default();
    if text.trim().eq_ignore_ascii_case("all") {
        return CheckSelection::All;
    }
    let mut checks = Vec::new();
    for id in text.split(',').map(str::trim).filter(|id| !id.is_empty()) {
        match rules::find(id) {
            Some(check) => checks.push(Spanned {
                value: check,
                span: value.span,
            }),
            None => diagnostics.push(unknown_check(value.span, id)),
        }
    }
    CheckSelection::Only(checks)
}

fn unknown_check(span: Span, id: &str) -> Diagnostic {
    Diagnostic {
        level: Level::Warning,
        code: Code::UnknownCheck,
        message: format!("annotation names an {}", unknown_check_message(id)),
        location: Location::Span(span),
    }
}

fn report_unused(
    annotations: &[Annotations],
    exemptions: &[Exemption],
    exemption_used: &[bool],
    exempted: &mut Exempted,
) {
    for ignore in annotations.iter().flat_map(|a| &a.ignores) {
        let what: Vec<&str> = match &ignore.checks {
            CheckSelection::All if ignore.used.first() == Some(&false) => vec!["all"],
            CheckSelection::All => Vec::new(),
            CheckSelection::Only(checks) => checks
                .iter()
                .zip(&ignore.used)
                .filter(|(_, used)| !**used)
                .map(|(check, _)| check.value.meta.id)
                .collect(),
        };
        if !what.is_empty() {
            exempted.diagnostics.push(unused(
                ignore.span,
                format!(
                    "`{}` ignores `{}` but silenced nothing",
                    ignore.key,
                    what.join(", ")
                ),
            ));
        }
    }
    for (exemption, _) in exemptions
        .iter()
        .zip(exemption_used)
        .filter(|(_, used)| !**used)
    {
        exempted.diagnostics.push(unused(
            exemption.span,
            "this exemption silenced nothing".to_owned(),
        ));
    }
}

fn unused(span: Span, message: String) -> Diagnostic {
    Diagnostic {
        level: Level::Warning,
        code: Code::UnusedIgnore,
        message,
        location: Location::Span(span),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::discover::{InputKind, Source};
    use crate::model::object::objects_of;
    use crate::rules::Severity;
    use crate::settings::Settings;
    use crate::source::FileId;
    use crate::yaml::Limits;

    /// The configuration is file 0, the manifest file 1 (`apps/web.yaml` for `file` globs).
    const MANIFEST: FileId = FileId(1);

    /// A pod with a pod-level finding (hostNetworkSet) and two containers, both privileged.
    fn pod(annotations: &str) -> String {
        format!(
            "apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  annotations:{annotations}
spec:
  hostNetwork: true
  containers:
  - name: app
    image: nginx:1
    securityContext: {{privileged: true}}
  - name: side
    image: busybox:1
    securityContext: {{privileged: true}}
"
        )
    }

    fn objects(text: &str) -> Vec<Object> {
        let parsed = crate::yaml::parse(MANIFEST, text, Limits::default());
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        objects_of(MANIFEST, &parsed.documents).0
    }

    fn config(text: &str) -> Config {
        crate::config::parse(FileId(0), text).expect("a valid configuration")
    }

    fn findings(objects: &[Object]) -> Vec<Finding> {
        crate::evaluate::evaluate(objects, rules::all(), &Settings::default()).findings
    }

    fn run(objects: &[Object], options: &ExemptOptions<'_>) -> Exempted {
        exempt(findings(objects), objects, options)
    }

    /// Options with `config`, for which the manifest is `apps/web.yaml`.
    fn configured(config: &Config) -> ExemptOptions<'_> {
        ExemptOptions {
            config: Some(config),
            config_paths: vec![String::new(), "apps/web.yaml".into()],
            ..ExemptOptions::default()
        }
    }

    fn container(finding: &Finding) -> Option<&str> {
        finding.container.as_ref()?.name.as_deref()
    }

    fn reported(findings: &[Finding], check: &str, in_container: Option<&str>) -> bool {
        findings
            .iter()
            .any(|f| f.rule.meta.id == check && container(f) == in_container)
    }

    fn silenced<'a>(
        exempted: &'a Exempted,
        check: &str,
        in_container: Option<&str>,
    ) -> Vec<&'a Suppression> {
        exempted
            .suppressed
            .iter()
            .filter(|s| s.finding.rule.meta.id == check && container(&s.finding) == in_container)
            .map(|s| &s.by)
            .collect()
    }

    fn codes(exempted: &Exempted) -> Vec<Code> {
        exempted.diagnostics.iter().map(|d| d.code).collect()
    }

    #[test]
    fn without_options_nothing_is_silenced() {
        let objects = objects(&pod(" {}"));
        let all = findings(&objects).len();
        let exempted = run(&objects, &ExemptOptions::default());
        assert_eq!(exempted.findings.len(), all);
        assert!(exempted.suppressed.is_empty() && exempted.diagnostics.is_empty());
        assert!(exempted.baseline.is_none());
        assert!(reported(&exempted.findings, "hostNetworkSet", None));
    }

    #[test]
    fn a_checks_grade_of_ignore_suppresses_before_annotations_are_consulted() {
        let text = pod("\n    kubepatrol.io/ignore: hostNetworkSet");
        let objects = objects(&text);
        let config_text = "checks:\n  hostNetworkSet: ignore\n";
        let config = config(config_text);
        let exempted = run(&objects, &configured(&config));
        assert!(!reported(&exempted.findings, "hostNetworkSet", None));
        let by = silenced(&exempted, "hostNetworkSet", None);
        assert_eq!(by.len(), 1);
        let Suppression::ConfigCheck { span } = by[0] else {
            panic!("a config check suppression, not {:?}", by[0])
        };
        assert_eq!(span.file, FileId(0));
        assert_eq!(
            span.start as usize,
            config_text.find("hostNetworkSet").expect("key")
        );
    }

    #[test]
    fn a_changed_severity_is_kept_as_a_finding_with_the_new_severity() {
        let objects = objects(&pod(" {}"));
        let config = config("checks:\n  hostNetworkSet: warning\n  runAsPrivileged: warning\n");
        let exempted = run(&objects, &configured(&config));
        let host = exempted
            .findings
            .iter()
            .find(|f| f.rule.meta.id == "hostNetworkSet")
            .expect("still reported");
        assert_eq!(host.rule.meta.severity, Severity::Danger);
        assert_eq!(host.severity, Severity::Warning);
        let privileged: Vec<_> = exempted
            .findings
            .iter()
            .filter(|f| f.rule.meta.id == "runAsPrivileged")
            .map(|f| f.severity)
            .collect();
        assert_eq!(privileged, [Severity::Warning, Severity::Warning]);
        assert!(exempted.suppressed.is_empty());
    }

    #[test]
    fn the_ignore_annotation_silences_the_named_checks_on_the_whole_object() {
        let text = pod(
            "\n    kubepatrol.io/ignore: hostNetworkSet, runAsPrivileged\n    kubepatrol.io/ignore-reason: lab only",
        );
        let objects = objects(&text);
        let exempted = run(&objects, &ExemptOptions::default());
        for (check, container) in [
            ("hostNetworkSet", None),
            ("runAsPrivileged", Some("app")),
            ("runAsPrivileged", Some("side")),
        ] {
            assert!(!reported(&exempted.findings, check, container), "{check}");
            let by = silenced(&exempted, check, container);
            let [Suppression::Annotation { key, span, reason }] = by.as_slice() else {
                panic!("one annotation suppression of {check}, not {by:?}")
            };
            assert_eq!(key, IGNORE);
            assert_eq!(
                span.start as usize,
                text.find("hostNetworkSet, run").expect("value")
            );
            assert_eq!(reason.as_deref(), Some("lab only"));
        }
        assert!(reported(
            &exempted.findings,
            "notReadOnlyRootFileSystem",
            Some("app")
        ));
    }

    #[test]
    fn an_annotation_on_one_container_leaves_the_other_reported() {
        let objects = objects(&pod(
            "\n    kubepatrol.io/ignore.side: runAsPrivileged, hostNetworkSet",
        ));
        let exempted = run(&objects, &ExemptOptions::default());
        assert!(reported(&exempted.findings, "runAsPrivileged", Some("app")));
        assert!(!reported(
            &exempted.findings,
            "runAsPrivileged",
            Some("side")
        ));
        let by = silenced(&exempted, "runAsPrivileged", Some("side"));
        assert!(matches!(
            by.as_slice(),
            [Suppression::Annotation { key, .. }] if key == "kubepatrol.io/ignore.side"
        ));
        // A container's annotation does not reach the pod-level finding.
        assert!(reported(&exempted.findings, "hostNetworkSet", None));
    }

    #[test]
    fn ignore_all_silences_every_check_of_the_object() {
        let objects = objects(&pod("\n    kubepatrol.io/ignore: all"));
        let all = findings(&objects).len();
        let exempted = run(&objects, &ExemptOptions::default());
        assert!(exempted.findings.is_empty());
        assert_eq!(exempted.suppressed.len(), all);
    }

    #[test]
    fn a_polaris_check_exemption_silences_that_check_only() {
        let text = pod(
            "\n    polaris.fairwinds.com/hostNetworkSet-exempt: \"true\"\n    polaris.fairwinds.com/runAsPrivileged-exempt: \"false\"",
        );
        let objects = objects(&text);
        let exempted = run(&objects, &ExemptOptions::default());
        assert!(!reported(&exempted.findings, "hostNetworkSet", None));
        let by = silenced(&exempted, "hostNetworkSet", None);
        let [Suppression::Annotation { key, span, .. }] = by.as_slice() else {
            panic!("one annotation suppression, not {by:?}")
        };
        assert_eq!(key, "polaris.fairwinds.com/hostNetworkSet-exempt");
        // The check is in the key, so the suppression points at the key.
        assert_eq!(
            span.start as usize,
            text.find("polaris.fairwinds.com/host").expect("key")
        );
        assert!(reported(&exempted.findings, "runAsPrivileged", Some("app")));
    }

    #[test]
    fn the_polaris_object_exemption_silences_everything() {
        let objects = objects(&pod("\n    polaris.fairwinds.com/exempt: \"true\""));
        let exempted = run(&objects, &ExemptOptions::default());
        assert!(exempted.findings.is_empty());
        assert!(!exempted.suppressed.is_empty());
    }

    #[test]
    fn a_configuration_exemption_matches_by_file_glob() {
        let objects = objects(&pod(" {}"));
        let config_text =
            "exemptions:\n- file: apps/*.yaml\n  checks: [hostNetworkSet]\n  reason: legacy\n";
        let config = config(config_text);
        let exempted = run(&objects, &configured(&config));
        assert!(!reported(&exempted.findings, "hostNetworkSet", None));
        let by = silenced(&exempted, "hostNetworkSet", None);
        let [Suppression::ConfigExemption { span, reason }] = by.as_slice() else {
            panic!("one exemption suppression, not {by:?}")
        };
        assert_eq!(reason, "legacy");
        assert_eq!(span.file, FileId(0));
        assert!(reported(&exempted.findings, "runAsPrivileged", Some("app")));
    }

    #[test]
    fn a_configuration_exemption_for_another_file_does_not_match() {
        let objects = objects(&pod(" {}"));
        let config = config(
            "exemptions:\n- file: other/*.yaml\n  checks: all\n  reason: legacy\n\
             - namespace: kube-*\n  checks: all\n  reason: system\n",
        );
        let exempted = run(&objects, &configured(&config));
        assert!(exempted.suppressed.is_empty());
        assert!(reported(&exempted.findings, "hostNetworkSet", None));
    }

    #[test]
    fn a_container_exemption_matches_only_that_containers_findings() {
        let objects = objects(&pod(" {}"));
        let config = config(
            "exemptions:\n- container: si*\n  checks: [runAsPrivileged, hostNetworkSet]\n  reason: sidecar\n",
        );
        let exempted = run(&objects, &configured(&config));
        assert!(reported(&exempted.findings, "runAsPrivileged", Some("app")));
        assert!(!reported(
            &exempted.findings,
            "runAsPrivileged",
            Some("side")
        ));
        assert!(reported(&exempted.findings, "hostNetworkSet", None));
    }

    /// A baseline recording `check` for the pods in `text`.
    fn baseline_of(text: &str, check: &str) -> Baseline {
        let recorded: Vec<Finding> = findings(&objects(text))
            .into_iter()
            .filter(|f| f.rule.meta.id == check)
            .collect();
        let mut json = Vec::new();
        baseline::write(&recorded, &mut json).expect("written");
        baseline::parse("baseline.json", std::str::from_utf8(&json).expect("utf-8"))
            .expect("a valid baseline")
    }

    #[test]
    fn a_baselined_finding_is_suppressed_and_the_summary_counts_baselined_and_fixed() {
        let today = pod(" {}");
        let gone = today.replace("name: web", "name: old");
        let recorded = baseline_of(&format!("{today}---\n{gone}"), "hostNetworkSet");
        let objects = objects(&today);
        let exempted = run(
            &objects,
            &ExemptOptions {
                baseline: Some(&recorded),
                ..ExemptOptions::default()
            },
        );
        assert!(!reported(&exempted.findings, "hostNetworkSet", None));
        let by = silenced(&exempted, "hostNetworkSet", None);
        assert!(matches!(
            by.as_slice(),
            [Suppression::Baseline { file }] if file == "baseline.json"
        ));
        assert!(reported(&exempted.findings, "runAsPrivileged", Some("app")));
        assert_eq!(
            exempted.baseline,
            Some(baseline::Summary {
                file: "baseline.json".into(),
                recorded: baseline::Recorded::File,
                baselined: 1,
                fixed: 0,
                unseen: 1,
            })
        );
    }

    #[test]
    fn the_baseline_applies_after_exemptions() {
        let recorded = baseline_of(&pod(" {}"), "hostNetworkSet");
        let objects = objects(&pod("\n    kubepatrol.io/ignore: hostNetworkSet"));
        let exempted = run(
            &objects,
            &ExemptOptions {
                baseline: Some(&recorded),
                ..ExemptOptions::default()
            },
        );
        let by = silenced(&exempted, "hostNetworkSet", None);
        assert!(matches!(by.as_slice(), [Suppression::Annotation { .. }]));
        let summary = exempted.baseline.expect("a summary");
        assert_eq!((summary.baselined, summary.fixed), (0, 1));
    }

    #[test]
    fn report_unused_warns_about_ignores_and_exemptions_that_silenced_nothing() {
        let text = pod("\n    kubepatrol.io/ignore: hostNetworkSet, hostPIDSet");
        let objects = objects(&text);
        let config =
            config("exemptions:\n- kind: Deployment\n  checks: all\n  reason: none here\n");
        let exempted = run(
            &objects,
            &ExemptOptions {
                report_unused: true,
                ..configured(&config)
            },
        );
        assert_eq!(codes(&exempted), [Code::UnusedIgnore, Code::UnusedIgnore]);
        let messages: Vec<&str> = exempted
            .diagnostics
            .iter()
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(
            messages,
            [
                "`kubepatrol.io/ignore` ignores `hostPIDSet` but silenced nothing",
                "this exemption silenced nothing",
            ]
        );
        assert!(
            exempted
                .diagnostics
                .iter()
                .all(|d| d.level == Level::Warning)
        );
        let without = run(&objects, &ExemptOptions::default());
        assert!(without.diagnostics.is_empty());
    }

    #[test]
    fn an_annotation_made_redundant_by_an_ignored_check_is_reported_unused() {
        let objects = objects(&pod("\n    kubepatrol.io/ignore: hostNetworkSet"));
        let config = config("checks:\n  hostNetworkSet: ignore\n");
        let exempted = run(
            &objects,
            &ExemptOptions {
                report_unused: true,
                ..configured(&config)
            },
        );
        assert_eq!(codes(&exempted), [Code::UnusedIgnore]);
    }

    #[test]
    fn an_unknown_check_id_in_an_annotation_is_a_warning_at_its_value() {
        let text = pod(
            "\n    kubepatrol.io/ignore: hostNetwrkSet, runAsPrivileged\n    polaris.fairwinds.com/noSuchCheck-exempt: \"true\"",
        );
        let objects = objects(&text);
        let exempted = run(&objects, &ExemptOptions::default());
        assert_eq!(codes(&exempted), [Code::UnknownCheck, Code::UnknownCheck]);
        let first = &exempted.diagnostics[0];
        assert_eq!(first.level, Level::Warning);
        assert!(first.message.contains("hostNetwrkSet"), "{}", first.message);
        let Location::Span(span) = first.location else {
            panic!("at a span")
        };
        assert_eq!(
            span.start as usize,
            text.find("hostNetwrkSet").expect("value")
        );
        // The known id of the same list still silences; the misspelt one silences nothing.
        assert!(!reported(
            &exempted.findings,
            "runAsPrivileged",
            Some("app")
        ));
        assert!(reported(&exempted.findings, "hostNetworkSet", None));
    }

    fn input(display: &str) -> Input {
        Input {
            display: display.into(),
            source: Source::Memory(b"".as_slice().into()),
            kind: InputKind::Manifest,
        }
    }

    #[test]
    fn config_paths_are_relative_to_the_config_directory_with_the_display_path_otherwise() {
        let inputs = [
            input("apps/web.yaml"),
            input("<stdin>"),
            input("../elsewhere/x.yaml"),
            input("deep"),
        ];
        let canonical = [
            Some(PathBuf::from("/repo/apps/web.yaml")),
            None,
            Some(PathBuf::from("/elsewhere/x.yaml")),
            Some(PathBuf::from("/repo/a/b/c.yaml")),
        ];
        let paths = config_paths(Path::new("/repo"), 2, &inputs, &canonical);
        assert_eq!(
            paths,
            [
                "",
                "",
                "apps/web.yaml",
                "<stdin>",
                "../elsewhere/x.yaml",
                "a/b/c.yaml"
            ]
        );
    }

    #[test]
    fn config_paths_fall_back_to_display_paths_without_canonical_paths() {
        let inputs = [input("a.yaml"), input("b/c.yaml")];
        assert_eq!(
            config_paths(Path::new("/repo"), 0, &inputs, &[]),
            ["a.yaml", "b/c.yaml"]
        );
    }
}
