//! The exempt stage, between evaluate and report: configuration re-grades findings, then
//! workload annotations and configuration exemptions silence them. Nothing is dropped: every
//! silenced finding is kept as [`Suppressed`] with what silenced it, so reports can show it.

pub mod baseline;
mod overlay;

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

const IGNORE: &str = "kubepatrol.io/ignore";
const IGNORE_CONTAINER_PREFIX: &str = "kubepatrol.io/ignore.";
const IGNORE_REASON: &str = "kubepatrol.io/ignore-reason";
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
}

impl Suppression {
    pub fn kind(&self) -> &'static str {
        match self {
            Suppression::Annotation { .. } => "annotation",
            Suppression::ConfigCheck { .. } => "config-check",
            Suppression::ConfigExemption { .. } => "config-exemption",
            Suppression::Baseline { .. } => "baseline",
        }
    }

    /// Where the suppression was written, when it is in a loaded file.
    pub fn span(&self) -> Option<Span> {
        match self {
            Suppression::Annotation { span, .. }
            | Suppression::ConfigCheck { span }
            | Suppression::ConfigExemption { span, .. } => Some(*span),
            Suppression::Baseline { .. } => None,
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Suppression::Annotation { reason, .. } => reason.as_deref(),
            Suppression::ConfigExemption { reason, .. } => Some(reason),
            Suppression::ConfigCheck { .. } | Suppression::Baseline { .. } => None,
        }
    }

    /// A short description for one-line formats.
    pub fn describe(&self) -> String {
        match self {
            Suppression::Annotation { key, .. } => format!("annotation `{key}`"),
            Suppression::ConfigCheck { .. } => "`checks:` entry of the configuration".into(),
            Suppression::ConfigExemption { .. } => "exemption of the configuration".into(),
            Suppression::Baseline { file } => format!("baseline `{file}`"),
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

/// The whole stage: re-grade, silence by annotation and configuration, merge the findings of
/// one base seen through several overlays, then set aside what the baseline records.
pub fn exempt(findings: Vec<Finding>, objects: &[Object], options: &ExemptOptions<'_>) -> Exempted {
    let mut exempted = silence(findings, objects, options);
    let kept = overlay::merge_overlay_duplicates(std::mem::take(&mut exempted.findings));
    match options.baseline {
        Some(recorded) => {
            let (kept, mut baselined, summary) = baseline::apply(kept, recorded);
            exempted.suppressed.append(&mut baselined);
            exempted.findings = kept;
            exempted.baseline = Some(summary);
        }
        None => exempted.findings = kept,
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
        let Some(key) = entry.key.as_str() else {
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

/// Annotation values are strings; Polaris' flags read `"true"`.
fn is_true(value: &Node) -> bool {
    value.as_bool() == Some(true)
        || value
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
