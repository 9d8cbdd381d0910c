//! The policies a run reads (Kyverno CEL policies among its objects or in the `--policies`
//! paths), evaluated on every object like the built-in checks: a failing rule is a [`Finding`]
//! of the check `<policy>/<rule>`, a passing one a [`Passed`] entry, so re-grading,
//! exemptions, the baseline and every report treat them alike.
//!
//! A finding points at the field that decided it when the failed expression reads one: the
//! deepest field of its paths that the object has (the value when the whole path is there, the
//! key of the last field present when it is not), with the rule's expression as a secondary
//! label; otherwise at the object's `kind`.

use std::sync::Arc;

use rayon::prelude::*;

use super::finding::Finding;
use super::fingerprint::field_path;
use super::{Evaluation, Passed};
use crate::diagnostic::Diagnostic;
use crate::model::object::Object;
use crate::policy::kyverno::{Failure, KyvernoPolicy, KyvernoRule, Namespaces, RuleOutcome};
use crate::rules::dynamic::{Definition, register};
use crate::rules::{Category, Label, RuleEntry, Scope, Severity};
use crate::source::{SourceMap, Span};
use crate::yaml::Node;

/// Every policy rule read, with the check it reports as.
#[derive(Debug, Default)]
pub struct Policies {
    rules: Vec<(Arc<KyvernoPolicy>, usize, &'static RuleEntry)>,
}

impl Policies {
    /// Reads the policies among `objects`.
    pub fn read(objects: &[Object], sources: &SourceMap) -> (Policies, Vec<Diagnostic>) {
        let mut diagnostics = Vec::new();
        let mut policies = Policies::default();
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

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The checks the policies define, in the order they were read.
    pub fn checks(&self) -> Vec<&'static RuleEntry> {
        self.rules.iter().map(|(_, _, entry)| *entry).collect()
    }

    /// Evaluates every rule on every object, in parallel over objects. `evaluation` holds the
    /// built-in checks' results for the same objects, in the same order; the policies' are
    /// added to it.
    pub fn evaluate(&self, objects: &[Object], evaluation: &mut Evaluation) {
        let namespaces = InputNamespaces(objects);
        let per_object: Vec<(Vec<Finding>, Vec<Passed>)> = objects
            .par_iter()
            .map(|object| self.evaluate_object(object, &namespaces))
            .collect();
        for ((findings, passed), inspected) in per_object.into_iter().zip(&mut evaluation.inspected)
        {
            evaluation.evaluated += findings.len() + passed.len();
            inspected.checked |= !findings.is_empty() || !passed.is_empty();
            inspected.passed.extend(passed);
            evaluation.findings.extend(findings);
        }
    }

    fn evaluate_object(
        &self,
        object: &Object,
        namespaces: &dyn Namespaces,
    ) -> (Vec<Finding>, Vec<Passed>) {
        let mut findings = Vec::new();
        let mut passed = Vec::new();
        for (policy, index, entry) in &self.rules {
            let Some(rule) = policy.rules.get(*index).filter(|_| policy.covers(object)) else {
                continue;
            };
            match rule.evaluate(object, namespaces) {
                RuleOutcome::Skip => {}
                RuleOutcome::Pass => passed.push(Passed {
                    rule: entry,
                    container: None,
                }),
                RuleOutcome::Fail(failures) => findings.extend(
                    failures
                        .iter()
                        .map(|failure| finding(entry, object, rule, failure)),
                ),
            }
        }
        (findings, passed)
    }
}

struct InputNamespaces<'a>(&'a [Object]);

impl Namespaces for InputNamespaces<'_> {
    fn namespace(&self, name: &str) -> Option<cel::Value> {
        self.0
            .iter()
            .find(|object| {
                object.id.kind == "Namespace"
                    && object.id.api_version == "v1"
                    && object.id.name.as_deref() == Some(name)
            })
            .map(|object| crate::cel::value_of(&object.root))
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

fn finding(
    entry: &'static RuleEntry,
    object: &Object,
    rule: &KyvernoRule,
    failure: &Failure,
) -> Finding {
    let decided = decided_by(&object.root, &failure.reads).unwrap_or_else(|| kind_span(object));
    let labels = vec![
        Label {
            span: decided,
            text: failure.message.clone(),
        },
        Label {
            span: failure.expression,
            text: format!("rule {} (expression {})", rule.name, failure.index),
        },
    ];
    Finding {
        rule: entry,
        severity: entry.meta.severity,
        message: failure.message.clone(),
        help: None,
        object: object.id.clone(),
        helm_template: object.helm_template.clone(),
        container: None,
        field: field_path(&object.root, decided),
        labels,
        via: object.via.clone(),
    }
}

fn kind_span(object: &Object) -> Span {
    object
        .root
        .entry("kind")
        .map_or(object.root.span, |entry| entry.key.span)
}

/// The span of the deepest field the paths reach in `root` (see the module documentation).
fn decided_by(root: &Node, paths: &[Vec<String>]) -> Option<Span> {
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
