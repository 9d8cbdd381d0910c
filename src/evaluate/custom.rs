//! `customChecks:` evaluated on every object: a check of object scope once per object of its
//! kinds, of pod scope once per workload, of container scope once per container, with the
//! variables Kubernetes gives policies (`object`) and those of the pod template (`podSpec`,
//! `podMetadata`, `container`, `containerKind`). A check without `kinds` applies to every kind
//! kubepatrol inspects as a workload.
//!
//! A finding points at the check's `field` when it names one (the key of the last field
//! present when it is absent), else at the deepest field the expression reads, else at the
//! container's name, the pod spec's key or the object's kind; the expression is the secondary
//! label.

use cel::Value;
use rayon::prelude::*;

use super::finding::{ContainerRef, Finding};
use super::fingerprint::field_path;
use super::policies::{decided_by, kind_span};
use super::{Evaluation, Passed};
use crate::cel as k8s_cel;
use crate::config::CustomCheck;
use crate::model::object::Object;
use crate::model::workload::{self, Container, View, Workload};
use crate::rules::{Label, Scope};
use crate::settings::Settings;
use crate::source::Span;
use crate::yaml::Node;

/// Evaluates `checks` on `objects` (the objects of `evaluation`, in order) and adds the results.
pub fn evaluate(
    objects: &[Object],
    checks: &[CustomCheck],
    settings: &Settings,
    evaluation: &mut Evaluation,
) {
    if checks.is_empty() {
        return;
    }
    let per_object: Vec<(Vec<Finding>, Vec<Passed>)> = objects
        .par_iter()
        .map(|object| evaluate_object(object, checks, settings))
        .collect();
    for ((findings, passed), inspected) in per_object.into_iter().zip(&mut evaluation.inspected) {
        evaluation.evaluated += findings.len() + passed.len();
        inspected.checked |= !findings.is_empty() || !passed.is_empty();
        inspected.passed.extend(passed);
        evaluation.findings.extend(findings);
    }
}

fn evaluate_object(
    object: &Object,
    checks: &[CustomCheck],
    settings: &Settings,
) -> (Vec<Finding>, Vec<Passed>) {
    let viewed = workload::view(object, settings);
    let workload = match &viewed.view {
        View::Workload(workload) => Some(workload),
        _ => None,
    };
    let mut results = (Vec::new(), Vec::new());
    let mut object_variables = k8s_cel::Variables::default();
    object_variables.set("object", k8s_cel::value_of(&object.root));
    for check in checks {
        let applies = if check.kinds.is_empty() {
            workload.is_some()
        } else {
            check.kinds.iter().any(|kind| *kind == object.id.kind)
        };
        if !applies {
            continue;
        }
        let subject = Subject {
            check,
            object,
            variables: &object_variables,
        };
        match (check.entry.meta.scope, workload) {
            (Scope::Pod, Some(workload)) => subject.judge(Some(workload), None, &mut results),
            (Scope::Container, Some(workload)) => {
                for container in &workload.containers {
                    subject.judge(Some(workload), Some(container), &mut results);
                }
            }
            (Scope::Object, _) => subject.judge(None, None, &mut results),
            _ => {}
        }
    }
    results
}

struct Subject<'a> {
    check: &'a CustomCheck,
    object: &'a Object,
    /// `object`, converted once for every check.
    variables: &'a k8s_cel::Variables<'a>,
}

impl Subject<'_> {
    fn judge(
        &self,
        workload: Option<&Workload<'_>>,
        container: Option<&Container<'_>>,
        results: &mut (Vec<Finding>, Vec<Passed>),
    ) {
        let mut view = self.variables.child();
        if let Some(workload) = workload {
            let metadata = pod_metadata(&self.object.root, workload.spec_key);
            view.set("podSpec", k8s_cel::value_of(workload.spec));
            view.set(
                "podMetadata",
                metadata.map_or(Value::Null, k8s_cel::value_of),
            );
        }
        if let Some(container) = container {
            view.set("container", k8s_cel::value_of(container.node));
            view.set("containerKind", Value::from(container.kind.as_str()));
        }
        let container_ref = container.map(|container| ContainerRef {
            name: container.name.map(str::to_owned),
            kind: container.kind,
        });
        let message = match k8s_cel::evaluate(&self.check.expression, &view) {
            Ok(Value::Bool(true)) => {
                results.1.push(Passed {
                    rule: self.check.entry,
                    container: container_ref,
                });
                return;
            }
            Ok(Value::Bool(false)) => self.message(&view),
            Ok(other) => format!("the expression returned {:?}, not a bool", other.type_of()),
            Err(error) => format!("the expression could not be evaluated: {error}"),
        };
        let decided = self.decided(workload, container);
        results.0.push(Finding {
            rule: self.check.entry,
            severity: self.check.entry.meta.severity,
            message: message.clone(),
            help: None,
            object: self.object.id.clone(),
            helm_template: self.object.helm_template.clone(),
            container: container_ref,
            field: field_path(&self.object.root, decided),
            labels: vec![
                Label {
                    span: decided,
                    text: message,
                },
                Label {
                    span: self.check.span,
                    text: format!("custom check {}", self.check.entry.meta.id),
                },
            ],
            via: self.object.via.clone(),
            found_in: None,
        });
    }

    fn message(&self, view: &k8s_cel::Variables<'_>) -> String {
        self.check
            .message_expression
            .as_ref()
            .and_then(|expression| k8s_cel::evaluate(expression, view).ok())
            .and_then(|value| k8s_cel::as_str(&value).map(str::to_owned))
            .unwrap_or_else(|| self.check.entry.meta.message.to_owned())
    }

    /// Where the finding points (see the module documentation).
    fn decided(&self, workload: Option<&Workload<'_>>, container: Option<&Container<'_>>) -> Span {
        let (base, variable, fallback) = match (container, workload) {
            (Some(container), _) => (container.node, "container", container.name_span),
            (None, Some(workload)) => (workload.spec, "podSpec", workload.spec_key),
            (None, None) => (&self.object.root, "object", kind_span(self.object)),
        };
        let paths = match &self.check.field {
            Some(field) => vec![field.clone()],
            None => self.check.expression.paths_from(variable),
        };
        decided_by(base, &paths).unwrap_or(fallback)
    }
}

/// The `metadata` beside the pod spec whose `spec:` key is at `spec_key`: the pod template's
/// (a Pod's own for a Pod).
fn pod_metadata(root: &Node, spec_key: Span) -> Option<&Node> {
    let entries = root.as_map()?;
    if entries.iter().any(|entry| entry.key.span == spec_key) {
        return root.get("metadata");
    }
    let children: Box<dyn Iterator<Item = &Node>> = match root.as_seq() {
        Some(items) => Box::new(items.iter()),
        None => Box::new(entries.iter().map(|entry| &entry.value)),
    };
    children
        .filter(|child| child.span.start <= spec_key.start && spec_key.end <= child.span.end)
        .find_map(|child| pod_metadata(child, spec_key))
}
