//! Run every rule on every object, in parallel over objects, with a deterministic result.

pub mod custom;
pub mod finding;
pub(crate) mod fingerprint;
mod owners;
pub mod policies;

use std::sync::Arc;

use rayon::prelude::*;

use crate::config::CustomCheck;
use crate::diagnostic::Diagnostic;
use crate::evaluate::finding::{ContainerRef, Finding};
use crate::evaluate::fingerprint::field_path;
use crate::evaluate::policies::Policies;
use crate::model::object::{Object, ObjectId};
use crate::model::workload::{self, Container, InvalidField, View, Viewed, reads_invalid};
use crate::rules::{Label, RuleEntry, Scope, Verdict, Violation};
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
    /// Set while merging, for an object that is part of its top owner.
    owned: bool,
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
    /// The values set the object's chart was rendered with (see [`Object::values_set`]).
    pub values_set: Option<String>,
    pub passed: Vec<Passed>,
    /// Checks that did not run on the object because a field they read has the wrong type.
    pub skipped: Vec<Skipped>,
}

/// A check that did not run on an object, and the `invalid-field-type` error of the field it
/// reads.
#[derive(Clone, Debug)]
pub struct Skipped {
    pub rule: &'static RuleEntry,
    pub because: Diagnostic,
}

/// A (check, object or container) pair that passed.
#[derive(Clone, Debug)]
pub struct Passed {
    pub rule: &'static RuleEntry,
    pub container: Option<ContainerRef>,
}

/// The checks a run defines besides the built-in ones.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunChecks<'a> {
    /// The policies the run read.
    pub policies: Option<&'a Policies>,
    /// The configuration's `customChecks` (CEL, and Polaris schema checks).
    pub custom: &'a [CustomCheck],
    /// Whether a policy rule that applies to no object is an `unused-policy` note.
    pub report_unused_policies: bool,
}

/// Runs the built-in `rules` on every object.
pub fn evaluate(
    objects: &[Object],
    rules: &'static [RuleEntry],
    settings: &Settings,
) -> Evaluation {
    evaluate_with(objects, rules, settings, RunChecks::default())
}

/// Runs the built-in `rules` and the run's own checks on every object. Every finding of an
/// owned object, whatever its check, is attributed to its top owner (see `owners`).
pub fn evaluate_with(
    objects: &[Object],
    rules: &'static [RuleEntry],
    settings: &Settings,
    run: RunChecks<'_>,
) -> Evaluation {
    let namespaces = policies::InputNamespaces::of(objects);
    let (mut per_object, leftovers): (Vec<Evaluation>, Vec<policies::Leftover>) = objects
        .par_iter()
        .map(|object| {
            crate::guard::isolate(|| {
                let mut part = evaluate_object(object, rules, settings);
                let leftover = run.policies.map(|policies| {
                    policies.evaluate_object(object, objects, &namespaces, settings, &mut part)
                });
                let (findings, passed) = custom::evaluate_object(object, run.custom, settings);
                part.add(findings, passed);
                (part, leftover.unwrap_or_default())
            })
            .unwrap_or_else(|message| {
                let part = Evaluation {
                    diagnostics: vec![crate::guard::internal_error(
                        crate::diagnostic::Location::Span(object.root.span),
                        &message,
                    )],
                    ..Evaluation::default()
                };
                (part, policies::Leftover::default())
            })
        })
        .unzip();
    let mut evaluation = Evaluation {
        findings: attribute_owned(objects, &mut per_object),
        ..Evaluation::default()
    };
    for mut part in per_object {
        evaluation.findings.append(&mut part.findings);
        evaluation.diagnostics.append(&mut part.diagnostics);
        // An owned object (see `owners`) is part of its top owner, not an object of its own.
        if !part.owned {
            evaluation.evaluated += part.evaluated;
            evaluation.inspected.append(&mut part.inspected);
        }
    }
    if let Some(policies) = run.policies {
        let notes = policies.conclude(leftovers, run.report_unused_policies);
        evaluation.diagnostics.extend(notes);
    }
    // Stable: findings at the same place keep object and container order.
    evaluation
        .findings
        .sort_by(|a, b| (a.primary(), a.rule.meta.id).cmp(&(b.primary(), b.rule.meta.id)));
    evaluation
}

impl Evaluation {
    /// Adds the results of checks on this one object: its findings, and the checks it passed.
    fn add(&mut self, findings: Vec<Finding>, passed: Vec<Passed>) {
        self.evaluated += findings.len() + passed.len();
        if let Some(inspected) = self.inspected.first_mut() {
            inspected.checked |= !findings.is_empty() || !passed.is_empty();
            inspected.passed.extend(passed);
        }
        self.findings.extend(findings);
    }
}

/// Take the findings of the objects that are part of a top owner out of `per_object` (in
/// object order), marking those objects owned: the findings the owner has too are dropped, the
/// others are returned attributed to the owner.
fn attribute_owned(objects: &[Object], per_object: &mut [Evaluation]) -> Vec<Finding> {
    let checked: Vec<bool> = per_object
        .iter()
        .map(|part| {
            part.inspected
                .first()
                .is_some_and(|inspected| inspected.checked)
        })
        .collect();
    let tops = owners::top_owners(objects, &checked);
    let mut attributed = Vec::new();
    for (index, top) in tops.into_iter().enumerate() {
        let (Some(top), Some(owner)) = (top, top.and_then(|top| objects.get(top))) else {
            continue;
        };
        let Some(part) = per_object.get_mut(index) else {
            continue;
        };
        part.owned = true;
        let owned = std::mem::take(&mut part.findings);
        let owner_findings = per_object.get(top).map_or(&[][..], |part| &part.findings);
        attributed.extend(owners::attribute(&owner.id, owner_findings, owned));
    }
    attributed
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
            values_set: object.values_set.clone(),
            passed: Vec::new(),
            skipped: Vec::new(),
        }],
        ..Evaluation::default()
    };
    let Viewed {
        view,
        invalid,
        note,
    } = workload::view(object, settings);
    evaluation.diagnostics.extend(note);
    evaluation
        .diagnostics
        .extend(invalid.iter().map(|field| field.diagnostic.clone()));
    for entry in rules {
        if let Some(field) = unreadable_input(entry, &view, &invalid) {
            evaluation.skip(entry, field);
            continue;
        }
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

/// The wrong-typed field a check that applies to the view would read, if any.
fn unreadable_input<'f>(
    entry: &RuleEntry,
    view: &View<'_>,
    invalid: &'f [InvalidField],
) -> Option<&'f InvalidField> {
    let applies = matches!(
        (view, entry.meta.scope),
        (View::Workload(_), Scope::Pod | Scope::Container) | (View::Binding(_), Scope::Binding)
    );
    let reads = entry.rule.reads();
    invalid
        .iter()
        .filter(|_| applies)
        .find(|field| reads.iter().any(|input| reads_invalid(input, &field.field)))
}

impl Evaluation {
    fn skip(&mut self, entry: &'static RuleEntry, field: &InvalidField) {
        if let Some(inspected) = self.inspected.last_mut() {
            inspected.skipped.push(Skipped {
                rule: entry,
                because: field.diagnostic.clone(),
            });
            inspected.checked = true;
        }
    }

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
        labels: with_inputs(violation.labels, object),
        via: object.via.clone(),
        values_set: object.values_set.clone(),
        found_in: None,
    }
}

/// `labels` and, after each label at a value a chart's template computed from values, a
/// secondary label at each of those values.
fn with_inputs(labels: Vec<Label>, object: &Object) -> Vec<Label> {
    if object.computed_from.is_empty() {
        return labels;
    }
    let mut all = Vec::with_capacity(labels.len());
    for label in labels {
        let inputs = object
            .computed_from
            .iter()
            .find(|(span, _)| *span == label.span)
            .map(|(_, inputs)| inputs.clone())
            .unwrap_or_default();
        all.push(label);
        all.extend(inputs.into_iter().map(|span| Label {
            span,
            text: "a value the template computed it from".to_owned(),
        }));
    }
    all
}

fn container_ref(container: &Container<'_>) -> ContainerRef {
    ContainerRef {
        name: container.name.map(str::to_owned),
        kind: container.kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Code;
    use crate::model::object::objects_of;
    use crate::rules::all;
    use crate::source::{FileId, Span};
    use crate::yaml::{Limits, parse};

    fn objects(file: FileId, text: &str) -> Vec<Object> {
        let parsed = parse(file, text, Limits::default());
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        objects_of(file, &parsed.documents).0
    }

    fn run(objects: &[Object]) -> Evaluation {
        evaluate(objects, all(), &Settings::default())
    }

    /// What a report shows of each finding, in order.
    fn shown(evaluation: &Evaluation) -> Vec<(Span, &'static str, String, Option<String>)> {
        evaluation
            .findings
            .iter()
            .map(|f| {
                let container = f.container.as_ref().and_then(|c| c.name.clone());
                (f.primary(), f.rule.meta.id, f.message.clone(), container)
            })
            .collect()
    }

    const PODS: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: a}
spec:
  hostNetwork: true
  hostPID: true
  containers:
  - name: one
    image: nginx
  - name: two
    image: busybox:latest
---
apiVersion: v1
kind: Pod
metadata: {name: b}
spec:
  hostIPC: true
  containers:
  - name: three
    image: redis
";

    const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: c}
spec:
  template:
    spec:
      containers:
      - name: four
        image: app
        securityContext: {privileged: true}
";

    /// Objects of two files, file 2 first, so that input order is not file order.
    fn mixed() -> Vec<Object> {
        let mut all = objects(FileId(2), DEPLOYMENT);
        all.extend(objects(FileId(1), PODS));
        all
    }

    #[test]
    fn findings_are_sorted_by_file_offset_and_check_id() {
        let evaluation = run(&mixed());
        let keys: Vec<(FileId, u32, &str)> = evaluation
            .findings
            .iter()
            .map(|f| (f.primary().file, f.primary().start, f.rule.meta.id))
            .collect();
        assert!(keys.len() > 10, "{keys:?}");
        assert!(keys.windows(2).all(|pair| pair[0] <= pair[1]), "{keys:?}");
        assert_eq!(keys.first().map(|k| k.0), Some(FileId(1)));
        assert_eq!(keys.last().map(|k| k.0), Some(FileId(2)));
        // Several checks point at one place and are then ordered by id.
        assert!(
            keys.windows(2)
                .any(|pair| pair[0].1 == pair[1].1 && pair[0].2 < pair[1].2)
        );
    }

    #[test]
    fn the_order_of_findings_does_not_depend_on_the_order_of_objects() {
        let forward = mixed();
        let mut reversed = forward.clone();
        reversed.reverse();
        let mut rotated = forward.clone();
        rotated.rotate_left(1);
        let expected = shown(&run(&forward));
        assert_eq!(shown(&run(&reversed)), expected);
        assert_eq!(shown(&run(&rotated)), expected);
    }

    #[test]
    fn repeated_runs_give_identical_results() {
        let objects = mixed();
        let first = run(&objects);
        for _ in 0..8 {
            let again = run(&objects);
            assert_eq!(shown(&again), shown(&first));
            assert_eq!(again.evaluated, first.evaluated);
        }
    }

    #[test]
    fn inspected_lists_every_object_in_input_order() {
        let objects = mixed();
        let evaluation = run(&objects);
        let names: Vec<Option<&str>> = evaluation
            .inspected
            .iter()
            .map(|inspected| inspected.id.name.as_deref())
            .collect();
        assert_eq!(names, [Some("c"), Some("a"), Some("b")]);
        assert!(
            evaluation
                .inspected
                .iter()
                .all(|inspected| inspected.checked)
        );
        // Findings share the inspected object's identity.
        let first = &evaluation.findings[0];
        assert!(
            evaluation
                .inspected
                .iter()
                .any(|inspected| Arc::ptr_eq(&inspected.id, &first.object))
        );
    }

    #[test]
    fn evaluated_counts_every_applicable_pair_passed_or_failed() {
        let evaluation = run(&mixed());
        let passed: usize = evaluation.inspected.iter().map(|i| i.passed.len()).sum();
        assert_eq!(evaluation.evaluated, evaluation.findings.len() + passed);
        // One more container adds one pair per container check.
        let one = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - {name: a, image: x:1}\n";
        let two = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - {name: a, image: x:1}\n  - {name: b, image: x:1}\n";
        let container_checks = all()
            .iter()
            .filter(|entry| entry.meta.scope == Scope::Container)
            .count();
        let one = run(&objects(FileId(0), one)).evaluated;
        let two = run(&objects(FileId(0), two)).evaluated;
        assert_eq!(two - one, container_checks);
    }

    #[test]
    fn a_field_of_the_wrong_type_skips_only_the_checks_that_read_it() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec:\n  hostNetwork: yes please\n  hostPID: On\n  containers:\n  - {name: a, image: nginx, securityContext: {runAsUser: 1e3}}\n";
        let evaluation = run(&objects(FileId(3), text));
        let codes: Vec<Code> = evaluation.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, [Code::InvalidFieldType]);
        let crate::diagnostic::Location::Span(span) = evaluation.diagnostics[0].location else {
            panic!("at a span")
        };
        assert_eq!(span.start as usize, text.find("yes please").expect("value"));
        let found: Vec<&str> = evaluation.findings.iter().map(|f| f.rule.meta.id).collect();
        assert!(
            found.contains(&"hostPIDSet") && found.contains(&"tagNotSpecified"),
            "{found:?}"
        );
        assert!(!found.contains(&"hostNetworkSet") && !found.contains(&"runAsRootAllowed"));
        let bad = &evaluation.inspected[0];
        let skipped: Vec<&str> = bad.skipped.iter().map(|s| s.rule.meta.id).collect();
        assert_eq!(skipped, ["hostNetworkSet"]);
        assert_eq!(
            skipped.len() + evaluation.findings.len() + bad.passed.len(),
            {
                let container_checks = all()
                    .iter()
                    .filter(|e| e.meta.scope == Scope::Container)
                    .count();
                let pod_checks = all().iter().filter(|e| e.meta.scope == Scope::Pod).count();
                container_checks + pod_checks
            }
        );
    }

    #[test]
    fn a_pod_spec_that_is_not_a_mapping_skips_every_check_of_its_object() {
        let evaluation = run(&objects(FileId(0), "apiVersion: v1\nkind: Pod\nspec: []\n"));
        assert_eq!(evaluation.diagnostics.len(), 1);
        assert!(evaluation.findings.is_empty());
        let workload_checks = all()
            .iter()
            .filter(|e| e.meta.scope != Scope::Binding)
            .count();
        assert_eq!(evaluation.inspected[0].skipped.len(), workload_checks);
    }

    #[test]
    fn an_object_that_is_not_a_workload_yields_nothing() {
        let objects = objects(
            FileId(0),
            "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 80}]\n",
        );
        let evaluation = run(&objects);
        assert!(evaluation.findings.is_empty() && evaluation.diagnostics.is_empty());
        assert_eq!(evaluation.evaluated, 0);
        assert_eq!(evaluation.inspected.len(), 1);
        assert!(!evaluation.inspected[0].checked);
    }

    #[test]
    fn a_finding_names_its_object_container_and_field() {
        let evaluation = run(&objects(FileId(2), DEPLOYMENT));
        let privileged = evaluation
            .findings
            .iter()
            .find(|f| f.rule.meta.id == "runAsPrivileged")
            .expect("a finding");
        assert_eq!(privileged.object.name.as_deref(), Some("c"));
        assert_eq!(
            privileged
                .container
                .as_ref()
                .and_then(|c| c.name.as_deref()),
            Some("four")
        );
        assert_eq!(
            privileged.field,
            "spec.template.spec.containers[four].securityContext.privileged"
        );
        assert_eq!(privileged.severity, privileged.rule.meta.severity);
        assert!(privileged.via.is_empty());
    }
}
