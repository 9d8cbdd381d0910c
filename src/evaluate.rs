//! Run every rule on every object, in parallel over objects, with a deterministic result.

use rayon::prelude::*;

use crate::diagnostic::Diagnostic;
use crate::finding::{ContainerRef, Finding};
use crate::object::Object;
use crate::rules::{Level, RuleEntry, Verdict, Violation};
use crate::workload::{self, Container, View};

#[derive(Debug, Default)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    pub diagnostics: Vec<Diagnostic>,
    /// (check, object or container) pairs a rule applied to, passed or failed.
    pub evaluated: usize,
}

pub fn evaluate(objects: &[Object], rules: &'static [RuleEntry]) -> Evaluation {
    let per_object: Vec<Evaluation> = objects
        .par_iter()
        .map(|object| evaluate_object(object, rules))
        .collect();
    let mut evaluation = Evaluation::default();
    for mut part in per_object {
        evaluation.findings.append(&mut part.findings);
        evaluation.diagnostics.append(&mut part.diagnostics);
        evaluation.evaluated += part.evaluated;
    }
    // Stable: findings at the same place keep object and container order.
    evaluation
        .findings
        .sort_by(|a, b| (a.primary(), a.rule.meta.id).cmp(&(b.primary(), b.rule.meta.id)));
    evaluation.findings = crate::finding::merge_overlay_duplicates(evaluation.findings);
    evaluation
}

fn evaluate_object(object: &Object, rules: &'static [RuleEntry]) -> Evaluation {
    let mut evaluation = Evaluation::default();
    let view = match workload::view(object) {
        Ok(view) => view,
        Err(mut errors) => {
            evaluation.diagnostics.append(&mut errors);
            return evaluation;
        }
    };
    for entry in rules {
        match (&view, entry.meta.level) {
            (View::Workload(workload), Level::Pod) => {
                let verdict = entry.rule.check_pod(workload);
                evaluation.record(entry, object, None, verdict);
            }
            (View::Workload(workload), Level::Container) => {
                for container in &workload.containers {
                    let verdict = entry.rule.check_container(workload, container);
                    evaluation.record(entry, object, Some(container), verdict);
                }
            }
            (View::Binding(binding), Level::Binding) => {
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
            Verdict::NotApplicable => {}
            Verdict::Pass => self.evaluated += 1,
            Verdict::Fail(violation) => {
                self.evaluated += 1;
                self.findings
                    .push(finding(entry, object, container, violation));
            }
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
        container: container.map(|container| ContainerRef {
            name: container.name.map(str::to_owned),
            kind: container.kind,
        }),
        labels: violation.labels,
        via: object.via.clone(),
    }
}
