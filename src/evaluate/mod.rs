//! Run every rule on every object, in parallel over objects, with a deterministic result.

pub mod finding;
pub(crate) mod fingerprint;

use std::sync::Arc;

use rayon::prelude::*;

use crate::diagnostic::Diagnostic;
use crate::evaluate::finding::{ContainerRef, Finding};
use crate::evaluate::fingerprint::field_path;
use crate::model::object::{Object, ObjectId};
use crate::model::workload::{self, Container, View};
use crate::rules::{RuleEntry, Scope, Verdict, Violation};
use crate::settings::Settings;
use crate::yaml::Node;

#[derive(Debug, Default)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    pub diagnostics: Vec<Diagnostic>,
    /// (check, object or container) pairs a rule applied to, passed or failed.
    pub evaluated: usize,
    /// Every object in input order with the checks it passed; findings refer to it through
    /// the shared [`ObjectId`].
    pub inspected: Vec<Inspected>,
}

/// One object as the reports see it: who it is, where it was written, what it passed.
#[derive(Clone, Debug)]
pub struct Inspected {
    pub id: Arc<ObjectId>,
    /// The object's tree; its span is the object's text, for the YAML view of the HTML report.
    pub root: Node,
    /// Whether any check applied (a workload or a binding), as opposed to, say, a Service.
    pub checked: bool,
    /// The kustomizations the object was rendered through (see [`Object::via`]).
    pub via: Vec<crate::source::FileId>,
    pub passed: Vec<Passed>,
}

/// A (check, object or container) pair that passed.
#[derive(Clone, Debug)]
pub struct Passed {
    pub rule: &'static RuleEntry,
    pub container: Option<ContainerRef>,
}

pub fn evaluate(
    objects: &[Object],
    rules: &'static [RuleEntry],
    settings: &Settings,
) -> Evaluation {
    let per_object: Vec<Evaluation> = objects
        .par_iter()
        .map(|object| {
            crate::guard::isolate(|| evaluate_object(object, rules, settings)).unwrap_or_else(
                |message| Evaluation {
                    diagnostics: vec![crate::guard::internal_error(
                        crate::diagnostic::Location::Span(object.root.span),
                        &message,
                    )],
                    ..Evaluation::default()
                },
            )
        })
        .collect();
    let mut evaluation = Evaluation::default();
    for mut part in per_object {
        evaluation.findings.append(&mut part.findings);
        evaluation.diagnostics.append(&mut part.diagnostics);
        evaluation.evaluated += part.evaluated;
        evaluation.inspected.append(&mut part.inspected);
    }
    // Stable: findings at the same place keep object and container order.
    evaluation
        .findings
        .sort_by(|a, b| (a.primary(), a.rule.meta.id).cmp(&(b.primary(), b.rule.meta.id)));
    evaluation
}

fn evaluate_object(
    object: &Object,
    rules: &'static [RuleEntry],
    settings: &Settings,
) -> Evaluation {
    let mut evaluation = Evaluation {
        inspected: vec![Inspected {
            id: object.id.clone(),
            root: object.root.clone(),
            checked: false,
            via: object.via.clone(),
            passed: Vec::new(),
        }],
        ..Evaluation::default()
    };
    let view = match workload::view(object, settings) {
        Ok(view) => view,
        Err(mut errors) => {
            evaluation.diagnostics.append(&mut errors);
            return evaluation;
        }
    };
    for entry in rules {
        match (&view, entry.meta.scope) {
            (View::Workload(workload), Scope::Pod) => {
                let verdict = entry.rule.check_pod(workload);
                evaluation.record(entry, object, None, verdict);
            }
            (View::Workload(workload), Scope::Container) => {
                for container in &workload.containers {
                    let verdict = entry.rule.check_container(workload, container);
                    evaluation.record(entry, object, Some(container), verdict);
                }
            }
            (View::Binding(binding), Scope::Binding) => {
                let verdict = entry.rule.check_binding(binding);
                evaluation.record(entry, object, None, verdict);
            }
            _ => {}
        }
    }
    evaluation
}

impl Evaluation {
    fn record(
        &mut self,
        entry: &'static RuleEntry,
        object: &Object,
        container: Option<&Container<'_>>,
        verdict: Verdict,
    ) {
        match verdict {
            Verdict::NotApplicable => return,
            Verdict::Pass => {
                if let Some(inspected) = self.inspected.last_mut() {
                    inspected.passed.push(Passed {
                        rule: entry,
                        container: container.map(container_ref),
                    });
                }
            }
            Verdict::Fail(violation) => {
                self.findings
                    .push(finding(entry, object, container, violation));
            }
        }
        self.evaluated += 1;
        if let Some(inspected) = self.inspected.last_mut() {
            inspected.checked = true;
        }
    }
}

fn finding(
    entry: &'static RuleEntry,
    object: &Object,
    container: Option<&Container<'_>>,
    violation: Violation,
) -> Finding {
    Finding {
        rule: entry,
        severity: entry.meta.severity,
        message: violation
            .message
            .unwrap_or_else(|| entry.meta.message.to_owned()),
        help: violation.help,
        object: object.id.clone(),
        helm_template: object.helm_template.clone(),
        container: container.map(container_ref),
        field: violation
            .labels
            .first()
            .map(|label| field_path(&object.root, label.span))
            .unwrap_or_default(),
        labels: violation.labels,
        via: object.via.clone(),
    }
}

fn container_ref(container: &Container<'_>) -> ContainerRef {
    ContainerRef {
        name: container.name.map(str::to_owned),
        kind: container.kind,
    }
}
