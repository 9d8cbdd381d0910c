//! What a check found: the check, the object and container, and labelled spans.

use std::sync::Arc;

use crate::model::object::ObjectId;
use crate::model::workload::ContainerKind;
use crate::rules::{Label, RuleEntry, Severity};
use crate::source::{FileId, Span};

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
    /// [`crate::evaluate::fingerprint::field_path`]).
    pub field: String,
    /// The kustomizations (overlay roots) the object was rendered through; empty for a plain
    /// manifest.
    pub via: Vec<FileId>,
    /// The configured values set the chart was rendered with (see [`crate::model::object::Object::values_set`]).
    pub values_set: Option<String>,
    /// For a finding reported as part of its top owner (`object`), the owned object it was
    /// found in: a Pod of a ReplicaSet of a Deployment (see `evaluate::owners`).
    pub found_in: Option<Arc<ObjectId>>,
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
        let subject = self.naming_found_in(subject_of(&self.object, self.container.as_ref()));
        match &self.helm_template {
            Some(template) => format!("{subject} from template {template}"),
            None => subject,
        }
    }

    /// The object alone, without the container: `Deployment shop/web`, or `Deployment
    /// shop/web, in its Pod shop/web-7c9d8b6f4-m7tzd` for a finding of an owned object.
    pub fn object_subject(&self) -> String {
        self.naming_found_in(subject_of(&self.object, None))
    }

    /// `subject` followed by the owned object the finding was found in, if any.
    fn naming_found_in(&self, subject: String) -> String {
        match &self.found_in {
            Some(owned) => format!("{subject}, in its {}", subject_of(owned, None)),
            None => subject,
        }
    }
}

/// What a (check, object or container) pair is about: `container "web" of Deployment shop/web`,
/// or `Deployment shop/web` for a pod-level check; passed results are named the same way.
pub fn subject_of(object: &ObjectId, container: Option<&ContainerRef>) -> String {
    let name = match (&object.namespace, &object.name) {
        (Some(namespace), Some(name)) => format!("{namespace}/{name}"),
        (None, Some(name)) => name.clone(),
        (_, None) => "(unnamed)".to_owned(),
    };
    let Some(container) = container else {
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
