//! The policies a run reads (Kyverno CEL policies, and ValidatingAdmissionPolicies with their
//! bindings, among its objects or in the `--policies` paths), evaluated on every object like
//! the built-in checks: a failing rule is a [`Finding`] of the check `<policy>/<rule>` (a
//! ValidatingAdmissionPolicy's check is its name, one finding per failing validation), a
//! passing one a [`Passed`] entry, so re-grading, exemptions, the baseline and every report
//! treat them alike. A binding that denies makes danger findings, one that warns warnings, one
//! that only audits `policy-audit` notes; what cannot be decided offline is a
//! `policy-not-evaluated` note.
//!
//! A finding points at the field that decided it when the failed expression reads one: the
//! deepest field of its paths that the object has (the value when the whole path is there, the
//! key of the last field present when it is not), with the rule's expression as a secondary
//! label; otherwise at the object's `kind`.

use std::sync::Arc;

use super::finding::Finding;
use super::fingerprint::field_path;
use super::{Evaluation, Passed};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::model::object::Object;
use crate::policy::admission::{
    Actions, AdmissionBinding, AdmissionOutcome, AdmissionPolicy, resource_of,
};
use crate::policy::kyverno::{KyvernoPolicy, KyvernoRule, Namespaces, RuleOutcome};
use crate::policy::{Failure, ObjectBindings};
use crate::rules::dynamic::{Definition, register};
use crate::rules::{Category, Label, RuleEntry, Scope, Severity};
use crate::settings::Settings;
use crate::source::{SourceMap, Span};
use crate::yaml::Node;

/// Every policy rule read, with the check it reports as.
#[derive(Debug, Default)]
pub struct Policies {
    rules: Vec<(Arc<KyvernoPolicy>, usize, &'static RuleEntry)>,
    admission: Vec<(AdmissionPolicy, Vec<AdmissionBinding>, &'static RuleEntry)>,
}

impl Policies {
    /// Reads the policies among `objects`.
    pub fn read(
        objects: &[Object],
        sources: &SourceMap,
        admission_policies: bool,
    ) -> (Policies, Vec<Diagnostic>) {
        let mut diagnostics = Vec::new();
        let mut policies = Policies::default();
        if admission_policies {
            policies.read_admission(objects, sources, &mut diagnostics);
        }
        for object in objects
            .iter()
            .filter(|object| KyvernoPolicy::is_policy(object))
        {
            let Some(policy) = KyvernoPolicy::parse(object, sources, &mut diagnostics) else {
                continue;
            };
            let policy = Arc::new(policy);
            for (index, rule) in policy.rules.iter().enumerate() {
                let entry = register(definition(&policy, rule, sources));
                policies.rules.push((Arc::clone(&policy), index, entry));
            }
        }
        (policies, diagnostics)
    }

    fn read_admission(
        &mut self,
        objects: &[Object],
        sources: &SourceMap,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        let bindings: Vec<AdmissionBinding> = objects
            .iter()
            .filter(|object| AdmissionBinding::is_binding(object))
            .filter_map(|object| AdmissionBinding::parse(object, diagnostics))
            .collect();
        for object in objects
            .iter()
            .filter(|object| AdmissionPolicy::is_policy(object))
        {
            let Some(policy) = AdmissionPolicy::parse(object, sources, diagnostics) else {
                continue;
            };
            let bound: Vec<AdmissionBinding> = bindings
                .iter()
                .filter(|binding| binding.policy == policy.name)
                .map(AdmissionBinding::clone)
                .collect();
            if bound.is_empty() {
                diagnostics.push(Diagnostic::note(
                    Code::PolicyNotEvaluated,
                    Location::Span(policy.span),
                    format!(
                        "ValidatingAdmissionPolicy {} has no binding in the input: the API server applies it to nothing, so neither does kubepatrol",
                        policy.name
                    ),
                ));
                continue;
            }
            let entry = register(admission_definition(&policy, sources));
            self.admission.push((policy, bound, entry));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.admission.is_empty()
    }

    /// The checks the policies define, in the order they were read.
    pub fn checks(&self) -> Vec<&'static RuleEntry> {
        self.rules
            .iter()
            .map(|(_, _, entry)| *entry)
            .chain(self.admission.iter().map(|(_, _, entry)| *entry))
            .collect()
    }

    /// Evaluates every rule on `object`, one of `input`, whose `Namespace` objects are
    /// `namespaces`. The findings and passes go to the object's evaluation, the rest is what
    /// [`Policies::conclude`] reports once every object is evaluated.
    pub(super) fn evaluate_object(
        &self,
        object: &Object,
        input: &[Object],
        namespaces: &InputNamespaces,
        settings: &Settings,
        part: &mut Evaluation,
    ) -> Leftover {
        let mut results = Results::default();
        if self.is_empty() {
            return results.leftover;
        }
        let base = ObjectBindings::new(object);
        results.merge(self.evaluate_kyverno(object, &base, namespaces));
        self.evaluate_admission(object, input, &base, namespaces, settings, &mut results);
        part.add(results.findings, results.passed);
        part.diagnostics.extend(results.audits);
        results.leftover
    }

    /// The notes of every object's leftovers: `policy-not-evaluated` and `assumed-resource`
    /// once per reason and place, however many objects they concern, and with `report_unused`
    /// an `unused-policy` note for each rule that applied to no object.
    pub(super) fn conclude(
        &self,
        leftovers: Vec<Leftover>,
        report_unused: bool,
    ) -> Vec<Diagnostic> {
        let mut undecided = Vec::new();
        let mut assumed = Vec::new();
        let mut applied: Vec<&'static RuleEntry> = Vec::new();
        for leftover in leftovers {
            undecided.extend(leftover.undecided);
            assumed.extend(leftover.assumed);
            applied.extend(leftover.applied);
        }
        let mut diagnostics = Vec::new();
        if report_unused && !self.is_empty() {
            diagnostics.extend(self.unused(&applied));
        }
        for (code, mut notes) in [
            (Code::PolicyNotEvaluated, undecided),
            (Code::AssumedResource, assumed),
        ] {
            notes.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
            notes.dedup();
            diagnostics.extend(
                notes
                    .into_iter()
                    .map(|(reason, span)| Diagnostic::note(code, Location::Span(span), reason)),
            );
        }
        diagnostics
    }

    /// `unused-policy` notes for the rules not in `applied`.
    fn unused(&self, applied: &[&'static RuleEntry]) -> Vec<Diagnostic> {
        let unused =
            |entry: &&'static RuleEntry| !applied.iter().any(|used| std::ptr::eq(*used, *entry));
        let kyverno = self
            .rules
            .iter()
            .filter(|(_, _, entry)| unused(entry))
            .filter_map(|(policy, index, entry)| {
                Some((policy.rules.get(*index)?.span, entry.meta.id))
            });
        let admission = self
            .admission
            .iter()
            .filter(|(_, _, entry)| unused(entry))
            .map(|(policy, _, entry)| (policy.span, entry.meta.id));
        kyverno
            .chain(admission)
            .map(|(span, id)| {
                Diagnostic::note(
                    Code::UnusedPolicy,
                    Location::Span(span),
                    format!("policy rule {id} applies to no object in the input"),
                )
            })
            .collect()
    }

    fn evaluate_admission(
        &self,
        object: &Object,
        input: &[Object],
        base: &ObjectBindings<'_>,
        namespaces: &dyn Namespaces,
        settings: &Settings,
        results: &mut Results,
    ) {
        let resource = resource_of(&object.id.api_version, &object.id.kind, settings);
        for (policy, bindings, entry) in &self.admission {
            for binding in bindings {
                if policy.rests_on_assumed(binding, object, &resource) {
                    results
                        .leftover
                        .assumed
                        .push((assumed_note(policy, object, &resource.name), policy.span));
                }
                let outcome = policy.evaluate(binding, object, &resource, input, base, namespaces);
                if outcome != AdmissionOutcome::Skip {
                    results.leftover.applied.push(entry);
                }
                match outcome {
                    AdmissionOutcome::Skip => {}
                    AdmissionOutcome::Pass => results.passed.push(Passed {
                        rule: entry,
                        container: None,
                    }),
                    AdmissionOutcome::Undecided { reason, span } => {
                        results.leftover.undecided.push((reason, span));
                    }
                    AdmissionOutcome::Fail(failures) => {
                        for failure in &failures {
                            results.record(entry, policy, binding, object, failure);
                        }
                    }
                }
            }
        }
    }

    fn evaluate_kyverno(
        &self,
        object: &Object,
        base: &ObjectBindings<'_>,
        namespaces: &dyn Namespaces,
    ) -> Results {
        let mut results = Results::default();
        for (policy, index, entry) in &self.rules {
            let Some(rule) = policy.rules.get(*index).filter(|_| policy.covers(object)) else {
                continue;
            };
            let outcome = rule.evaluate(object, base, namespaces);
            if outcome != RuleOutcome::Skip {
                results.leftover.applied.push(entry);
            }
            match outcome {
                RuleOutcome::Skip => {}
                RuleOutcome::Pass => results.passed.push(Passed {
                    rule: entry,
                    container: None,
                }),
                RuleOutcome::Fail(failures) => {
                    results.findings.extend(failures.iter().map(|failure| {
                        let label = format!("rule {} (expression {})", rule.name, failure.index);
                        let mut found =
                            finding(entry, object, &label, failure.expression, &failure.reads);
                        found.message = failure.message.clone();
                        found
                    }));
                }
            }
        }
        results
    }
}

/// What the policies found on one object.
#[derive(Default)]
struct Results {
    findings: Vec<Finding>,
    passed: Vec<Passed>,
    /// `policy-audit` notes.
    audits: Vec<Diagnostic>,
    leftover: Leftover,
}

/// What one object's evaluation leaves for the run's notes (see [`Policies::conclude`]).
#[derive(Debug, Default)]
pub(super) struct Leftover {
    /// Why a policy could not be evaluated, and where.
    undecided: Vec<(String, Span)>,
    /// Which policy matched a kind by an assumed resource name, and where.
    assumed: Vec<(String, Span)>,
    /// The checks that applied to the object (passed, failed or undecided).
    applied: Vec<&'static RuleEntry>,
}

impl Results {
    fn merge(&mut self, other: Results) {
        self.findings.extend(other.findings);
        self.passed.extend(other.passed);
        self.audits.extend(other.audits);
        self.leftover.undecided.extend(other.leftover.undecided);
        self.leftover.assumed.extend(other.leftover.assumed);
        self.leftover.applied.extend(other.leftover.applied);
    }

    /// A failed validation: a finding of its binding's severity, or a note when the binding
    /// only audits.
    fn record(
        &mut self,
        entry: &'static RuleEntry,
        policy: &AdmissionPolicy,
        binding: &AdmissionBinding,
        object: &Object,
        failure: &Failure,
    ) {
        let severity = match binding.actions {
            Actions { deny: true, .. } => Severity::Danger,
            Actions { warn: true, .. } => Severity::Warning,
            _ => {
                self.audits.push(audit(policy, binding, object, failure));
                return;
            }
        };
        let label = format!("validation {}: {}", failure.index, failure.message);
        let mut found = finding(entry, object, &label, failure.expression, &failure.reads);
        found.severity = severity;
        found.message = failure.message.clone();
        self.findings.push(found);
    }
}

/// The `assumed-resource` note of `policy` on `object`, whose resource was assumed `resource`.
fn assumed_note(policy: &AdmissionPolicy, object: &Object, resource: &str) -> String {
    format!(
        "{} ({}) is not a built-in kind and no `workloads:` entry gives its `resource`: \
         ValidatingAdmissionPolicy {} took its resource to be `{resource}`, the English plural \
         resources usually have; declare `resource:` in a `workloads:` entry for the kind to be sure",
        object.id.kind, object.id.api_version, policy.name
    )
}

fn audit(
    policy: &AdmissionPolicy,
    binding: &AdmissionBinding,
    object: &Object,
    failure: &Failure,
) -> Diagnostic {
    let span = decided_by(&object.root, &failure.reads).unwrap_or_else(|| kind_span(object));
    Diagnostic::note(
        Code::PolicyAudit,
        Location::Span(span),
        format!(
            "{} {}: validation {} of ValidatingAdmissionPolicy {} (audited by binding {}): {}",
            object.id.kind,
            object.id.name.as_deref().unwrap_or("(unnamed)"),
            failure.index,
            policy.name,
            binding.name,
            failure.message
        ),
    )
}

/// The check a ValidatingAdmissionPolicy reports as: its name; danger unless a binding only
/// warns (each finding takes its binding's severity).
fn admission_definition(policy: &AdmissionPolicy, sources: &SourceMap) -> Definition {
    let (position, _) = sources.position(policy.span);
    Definition {
        id: policy.name.clone(),
        title: format!("ValidatingAdmissionPolicy {}", policy.name),
        category: Category::Security,
        severity: Severity::Danger,
        scope: Scope::Object,
        message: format!("A validation of policy {} does not hold.", policy.name),
        remediation: format!(
            "Change the object so that every validation of ValidatingAdmissionPolicy {} holds.",
            policy.name
        ),
        source: format!("{}:{}", sources.display(policy.span.file), position.line),
    }
}

/// The input's `Namespace` objects by name, converted once.
pub(super) struct InputNamespaces(std::collections::HashMap<String, cel::Value>);

impl InputNamespaces {
    pub(super) fn of(objects: &[Object]) -> InputNamespaces {
        let namespaces = objects
            .iter()
            .filter(|object| object.id.kind == "Namespace" && object.id.api_version == "v1")
            .filter_map(|object| {
                let name = object.id.name.clone()?;
                Some((name, crate::cel::value_of(&object.root)))
            })
            .collect();
        InputNamespaces(namespaces)
    }
}

impl Namespaces for InputNamespaces {
    fn namespace(&self, name: &str) -> Option<cel::Value> {
        self.0.get(name).cloned()
    }
}

/// The check a rule reports as: `<policy>/<rule>`; danger when the policy enforces (the API
/// server would refuse the object), warning when it audits.
fn definition(policy: &KyvernoPolicy, rule: &KyvernoRule, sources: &SourceMap) -> Definition {
    let (position, _) = sources.position(rule.span);
    let title = policy.title.clone().unwrap_or_else(|| policy.name.clone());
    Definition {
        id: format!("{}/{}", policy.name, rule.name),
        title: format!("{title} ({})", rule.name),
        category: category_of(policy.category.as_deref()),
        severity: if policy.enforce {
            Severity::Danger
        } else {
            Severity::Warning
        },
        scope: Scope::Object,
        message: format!(
            "The rule {} of policy {} does not hold.",
            rule.name, policy.name
        ),
        remediation: policy
            .description
            .clone()
            .unwrap_or_else(|| format!("Change the object so that policy {} passes.", policy.name)),
        source: format!("{}:{}", sources.display(rule.span.file), position.line),
    }
}

/// The category closest to a Kyverno category annotation; security when none is.
fn category_of(annotation: Option<&str>) -> Category {
    let annotation = annotation.unwrap_or_default().to_ascii_lowercase();
    if annotation.contains("resource") {
        Category::Resources
    } else if annotation.contains("network") {
        Category::Networking
    } else if annotation.contains("image") {
        Category::Images
    } else if annotation.contains("probe") || annotation.contains("health") {
        Category::HealthChecks
    } else {
        Category::Security
    }
}

/// A finding at the field that decided it, with `label` on the expression that failed.
fn finding(
    entry: &'static RuleEntry,
    object: &Object,
    label: &str,
    expression: Span,
    reads: &[Vec<String>],
) -> Finding {
    let decided = decided_by(&object.root, reads).unwrap_or_else(|| kind_span(object));
    let labels = vec![
        Label {
            span: decided,
            text: label.to_owned(),
        },
        Label {
            span: expression,
            text: label.to_owned(),
        },
    ];
    Finding {
        rule: entry,
        severity: entry.meta.severity,
        message: entry.meta.message.to_owned(),
        help: None,
        object: object.id.clone(),
        helm_template: object.helm_template.clone(),
        container: None,
        field: field_path(&object.root, decided),
        labels,
        via: object.via.clone(),
        values_set: object.values_set.clone(),
        found_in: None,
    }
}

pub(super) fn kind_span(object: &Object) -> Span {
    object
        .root
        .entry("kind")
        .map_or(object.root.span, |entry| entry.key.span)
}

/// The span of the deepest field the paths reach in `root` (see the module documentation).
pub(super) fn decided_by(root: &Node, paths: &[Vec<String>]) -> Option<Span> {
    let mut best: Option<(usize, Span)> = None;
    for path in paths {
        let mut node = root;
        let mut reached = None;
        for (depth, field) in path.iter().enumerate() {
            let Some(entry) = node.entry(field).filter(|entry| !entry.value.is_null()) else {
                break;
            };
            let whole = depth + 1 == path.len();
            reached = Some((
                depth + 1,
                if whole {
                    entry.value.span
                } else {
                    entry.key.span
                },
            ));
            node = &entry.value;
        }
        if let Some((depth, span)) = reached
            && best.is_none_or(|(best_depth, _)| depth > best_depth)
        {
            best = Some((depth, span));
        }
    }
    best.map(|(_, span)| span)
}
