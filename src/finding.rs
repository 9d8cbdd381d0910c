//! What a check found: the check, the object and container, and labelled spans.

use std::sync::Arc;

use crate::object::ObjectId;
use crate::rules::{RuleEntry, Severity};
use crate::source::{FileId, Span};
use crate::workload::ContainerKind;

/// A span with the text shown beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerRef {
    pub name: Option<String>,
    pub kind: ContainerKind,
}

#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: &'static RuleEntry,
    /// The rule's default severity unless configuration re-graded it.
    pub severity: Severity,
    pub message: String,
    /// Help specific to this finding; the rule's remediation otherwise.
    pub help: Option<String>,
    pub object: Arc<ObjectId>,
    pub helm_template: Option<String>,
    pub container: Option<ContainerRef>,
    /// Never empty: the first label is the primary one.
    pub labels: Vec<Label>,
    /// Where the primary label is in the object, e.g. `spec.containers[web].image` (see
    /// [`crate::fingerprint::field_path`]).
    pub field: String,
    /// The kustomizations (overlay roots) the object was rendered through; empty for a plain
    /// manifest.
    pub via: Vec<FileId>,
}

impl Finding {
    pub fn primary(&self) -> Span {
        self.labels.first().map(|label| label.span).unwrap_or(Span {
            file: FileId(0),
            start: 0,
            end: 0,
        })
    }
}

impl Finding {
    /// What the finding is about, for one-line formats: `container "web" of Deployment shop/web`,
    /// with the Helm template the object was rendered from when known.
    pub fn subject(&self) -> String {
        match &self.helm_template {
            Some(template) => format!(
                "{} from template {template}",
                self.subject_without_template()
            ),
            None => self.subject_without_template(),
        }
    }

    fn subject_without_template(&self) -> String {
        let object = &self.object;
        let name = match (&object.namespace, &object.name) {
            (Some(namespace), Some(name)) => format!("{namespace}/{name}"),
            (None, Some(name)) => name.clone(),
            (_, None) => "(unnamed)".to_owned(),
        };
        let Some(container) = &self.container else {
            return format!("{} {name}", object.kind);
        };
        let kind = match container.kind {
            ContainerKind::Regular => "",
            other => other.as_str(),
        };
        let container_name = container
            .name
            .as_deref()
            .map_or_else(|| "(unnamed)".to_owned(), |n| format!("\"{n}\""));
        format!(
            "{kind}{}container {container_name} of {} {name}",
            if kind.is_empty() { "" } else { " " },
            object.kind
        )
    }
}

/// A base rendered through several overlays yields the same finding once per overlay: keep
/// the first (findings are sorted) and list every overlay on it. Two findings are the same
/// when they have the same check, message, container and labels, whatever the namespace or
/// name prefix each overlay gave the object.
pub fn merge_overlay_duplicates(findings: Vec<Finding>) -> Vec<Finding> {
    let mut merged: Vec<Finding> = Vec::with_capacity(findings.len());
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for finding in findings {
        if finding.via.is_empty() {
            merged.push(finding);
            continue;
        }
        let key = format!(
            "{}|{}|{}|{:?}|{:?}",
            finding.rule.meta.id,
            finding.object.kind,
            finding.message,
            finding.container,
            finding.labels
        );
        match index.get(&key).and_then(|&at| merged.get_mut(at)) {
            Some(first) => {
                for overlay in finding.via {
                    if !first.via.contains(&overlay) {
                        first.via.push(overlay);
                    }
                }
                first.via.sort();
            }
            None => {
                index.insert(key, merged.len());
                merged.push(finding);
            }
        }
    }
    merged
}
