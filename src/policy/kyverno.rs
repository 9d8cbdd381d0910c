//! Kyverno `ClusterPolicy` and `Policy` (`kyverno.io/v1`) rules that validate with CEL
//! (`validate.cel.expressions`), evaluated as Kyverno evaluates them on admission of a new
//! object: `match`/`exclude`, `celPreconditions`, `validate.cel.variables`, then every
//! expression, whose failure reports its `message` or `messageExpression`.
//!
//! Pod controllers: a rule that matches only `Pod` also applies, as Kyverno's auto-generation
//! makes it, to the controllers named by the `pod-policies.kyverno.io/autogen-controllers`
//! annotation (by default DaemonSet, Deployment, Job, StatefulSet, ReplicaSet,
//! ReplicationController and CronJob), with the expressions reading the pod template:
//! `object.spec` becomes `object.spec.template.spec` (`object.spec.jobTemplate.spec.template.spec`
//! for a CronJob), `object.metadata` the template's metadata. The rule keeps its own name, as the
//! policy library's tests name it.

use std::sync::Arc;

use cel::Value;

pub use super::bindings::Namespaces;
use super::selection::Selection;
use super::validation::Validation;
use super::{Bindings, Failure, ObjectBindings};
use super::{CelField, invalid_policy, named_fields};
use crate::diagnostic::Diagnostic;
use crate::model::object::Object;
use crate::source::{SourceMap, Span};
use crate::yaml::Node;

const AUTOGEN_ANNOTATION: &str = "pod-policies.kyverno.io/autogen-controllers";
const DEFAULT_CONTROLLERS: &[&str] = &[
    "DaemonSet",
    "Deployment",
    "Job",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
    "CronJob",
];

/// A policy with the rules that validate with CEL.
#[derive(Debug)]
pub struct KyvernoPolicy {
    pub name: String,
    /// Set for a namespaced `Policy`, which applies only to its namespace.
    pub namespace: Option<String>,
    /// `Enforce` (deny) rather than `Audit` (report).
    pub enforce: bool,
    /// The policy's `kind` line, for reports.
    pub span: Span,
    /// `policies.kyverno.io/title`, `…/description`, `…/category` annotations, when given.
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub rules: Vec<KyvernoRule>,
}

#[derive(Debug)]
pub struct KyvernoRule {
    pub name: String,
    /// The rule's `name` value.
    pub span: Span,
    /// The rule as written, then its pod-controller forms.
    forms: Vec<Form>,
    exclude: Selection,
}

/// The rule for one set of kinds: as written (`kinds: None`), or generated for pod controllers.
#[derive(Debug)]
struct Form {
    selection: Selection,
    kinds: Option<Vec<&'static str>>,
    preconditions: Vec<(Arc<str>, CelField)>,
    variables: Vec<(Arc<str>, CelField)>,
    validations: Vec<Validation>,
}

/// What a rule decided about an object.
#[derive(Debug, PartialEq)]
pub enum RuleOutcome {
    /// The rule does not select the object, or a precondition does not hold.
    Skip,
    Pass,
    Fail(Vec<Failure>),
}

impl KyvernoPolicy {
    /// Whether an object is a Kyverno policy this module reads.
    pub fn is_policy(object: &Object) -> bool {
        object.id.api_version == "kyverno.io/v1"
            && super::is_policy_kind(&object.id.api_version, &object.id.kind)
    }

    /// Reads the CEL rules of a policy object; rules that validate otherwise are left out.
    pub fn parse(
        object: &Object,
        sources: &SourceMap,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<KyvernoPolicy> {
        let root = &object.root;
        let metadata = root.get("metadata");
        let name = object.id.name.clone()?;
        let spec = root.get("spec")?;
        let controllers = autogen_controllers(metadata);
        let rules = spec
            .get("rules")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter(|rule| rule.get("validate").and_then(|v| v.get("cel")).is_some())
            .filter_map(|rule| KyvernoRule::parse(rule, &controllers, sources, diagnostics))
            .collect();
        let action = spec.get("validationFailureAction").and_then(Node::as_str);
        let annotation = |key: &str| {
            metadata
                .and_then(|metadata| metadata.get("annotations"))
                .and_then(|annotations| annotations.get(key))
                .and_then(Node::as_str)
                .map(|text| text.split_whitespace().collect::<Vec<_>>().join(" "))
        };
        Some(KyvernoPolicy {
            title: annotation("policies.kyverno.io/title"),
            description: annotation("policies.kyverno.io/description"),
            category: annotation("policies.kyverno.io/category"),
            name,
            namespace: (object.id.kind == "Policy").then(|| {
                object
                    .id
                    .namespace
                    .clone()
                    .unwrap_or_else(|| "default".to_owned())
            }),
            enforce: action.is_some_and(|action| action.eq_ignore_ascii_case("enforce")),
            span: root.entry("kind").map_or(root.span, |entry| entry.key.span),
            rules,
        })
    }

    /// Whether the policy can apply to `object` at all (a `Policy` only in its namespace).
    pub fn covers(&self, object: &Object) -> bool {
        self.namespace
            .as_ref()
            .is_none_or(|namespace| object.id.namespace.as_ref() == Some(namespace))
    }
}

/// The controllers Kyverno generates rules for, from the policy's annotation.
fn autogen_controllers(metadata: Option<&Node>) -> Vec<&'static str> {
    let annotation = metadata
        .and_then(|metadata| metadata.get("annotations"))
        .and_then(|annotations| annotations.get(AUTOGEN_ANNOTATION))
        .and_then(Node::as_str);
    match annotation {
        None => DEFAULT_CONTROLLERS.to_vec(),
        Some(listed) => DEFAULT_CONTROLLERS
            .iter()
            .copied()
            .filter(|controller| listed.split(',').any(|item| item.trim() == *controller))
            .collect(),
    }
}

impl KyvernoRule {
    fn parse(
        rule: &Node,
        controllers: &[&'static str],
        sources: &SourceMap,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<KyvernoRule> {
        let Some(name_node) = rule.get("name").filter(|name| name.as_str().is_some()) else {
            diagnostics.push(invalid_policy(rule.span, "a rule needs a `name`"));
            return None;
        };
        let selection = Selection::parse(rule.get("match"));
        let as_written = Form::parse(
            rule,
            selection.clone(),
            None,
            &|text| text.to_owned(),
            sources,
            diagnostics,
        )?;
        let mut forms = vec![as_written];
        if selection.only_pods() {
            let (cronjobs, others): (Vec<&'static str>, Vec<&'static str>) =
                controllers.iter().partition(|kind| **kind == "CronJob");
            let templates = [
                (others, "object.spec.template"),
                (cronjobs, "object.spec.jobTemplate.spec.template"),
            ];
            for (kinds, template) in templates {
                if kinds.is_empty() {
                    continue;
                }
                let rewrite = move |text: &str| pod_template_form(text, template);
                forms.extend(Form::parse(
                    rule,
                    selection.clone(),
                    Some(kinds),
                    &rewrite,
                    sources,
                    &mut Vec::new(),
                ));
            }
        }
        Some(KyvernoRule {
            name: name_node.as_str().unwrap_or_default().to_owned(),
            span: name_node.span,
            forms,
            exclude: Selection::parse(rule.get("exclude")),
        })
    }

    /// Evaluates the rule on `object` as Kyverno would on its creation.
    pub fn evaluate(
        &self,
        object: &Object,
        base: &ObjectBindings<'_>,
        namespaces: &dyn Namespaces,
    ) -> RuleOutcome {
        if self.exclude.selects(object, None) {
            return RuleOutcome::Skip;
        }
        let Some(form) = self
            .forms
            .iter()
            .find(|form| form.selection.selects(object, form.kinds.as_deref()))
        else {
            return RuleOutcome::Skip;
        };
        form.evaluate(object, base.get(), namespaces)
    }
}

/// An expression written for a Pod, rewritten to read a controller's pod template.
fn pod_template_form(text: &str, template: &str) -> String {
    text.replace("object.spec", &format!("{template}.spec"))
        .replace("object.metadata", &format!("{template}.metadata"))
}

impl Form {
    fn parse(
        rule: &Node,
        selection: Selection,
        kinds: Option<Vec<&'static str>>,
        rewrite: &dyn Fn(&str) -> String,
        sources: &SourceMap,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Form> {
        let cel = rule
            .get("validate")
            .and_then(|validate| validate.get("cel"))?;
        let preconditions =
            named_fields(rule.get("celPreconditions"), sources, rewrite, diagnostics)?;
        let variables = named_fields(cel.get("variables"), sources, rewrite, diagnostics)?;
        let validations =
            Validation::parse_all(cel.get("expressions"), sources, rewrite, diagnostics)?;
        Some(Form {
            selection,
            kinds,
            preconditions,
            variables,
            validations,
        })
    }

    fn evaluate(
        &self,
        object: &Object,
        base: &Bindings<'_>,
        namespaces: &dyn Namespaces,
    ) -> RuleOutcome {
        let mut bindings = base.rule(object, namespaces, Some("default"));
        for (_, precondition) in &self.preconditions {
            if bindings.evaluate(precondition) != Ok(Value::Bool(true)) {
                return RuleOutcome::Skip;
            }
        }
        bindings.bind_variables(&self.variables);
        let failures: Vec<Failure> = self
            .validations
            .iter()
            .enumerate()
            .filter_map(|(index, validation)| {
                validation.failure(index, &bindings, &self.variables, false)
            })
            .collect();
        if failures.is_empty() {
            RuleOutcome::Pass
        } else {
            RuleOutcome::Fail(failures)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::object::objects_of;
    use crate::source::SourceFile;

    struct NoNamespaces;

    impl Namespaces for NoNamespaces {
        fn namespace(&self, _: &str) -> Option<Value> {
            None
        }
    }

    fn objects(sources: &mut SourceMap, text: &str) -> Vec<Object> {
        let file = sources.add(SourceFile::new("input.yaml".to_owned(), text.to_owned()));
        let parsed = crate::yaml::parse(file, text, crate::yaml::Limits::default());
        objects_of(file, &parsed.documents).0
    }

    const POLICY: &str = "apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: no-host-network
spec:
  rules:
  - name: host-network
    match:
      any:
      - resources:
          kinds: [Pod]
    exclude:
      any:
      - resources:
          namespaces: [kube-*]
    validate:
      cel:
        expressions:
        - expression: >-
            !object.spec.?hostNetwork.orValue(false)
          messageExpression: \"'pod ' + object.metadata.name + ' uses the host network'\"
";

    fn outcome(policy: &str, resource: &str) -> (Vec<Diagnostic>, Vec<RuleOutcome>) {
        let mut sources = SourceMap::default();
        let policy_objects = objects(&mut sources, policy);
        let resources = objects(&mut sources, resource);
        let mut diagnostics = Vec::new();
        let outcomes = policy_objects
            .iter()
            .filter_map(|object| KyvernoPolicy::parse(object, &sources, &mut diagnostics))
            .flat_map(|policy| policy.rules)
            .flat_map(|rule| {
                resources
                    .iter()
                    .map(|object| {
                        rule.evaluate(object, &ObjectBindings::new(object), &NoNamespaces)
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        (diagnostics, outcomes)
    }

    fn verdicts(outcomes: &[RuleOutcome]) -> Vec<String> {
        outcomes
            .iter()
            .map(|outcome| match outcome {
                RuleOutcome::Fail(failures) => failures
                    .iter()
                    .map(|failure| failure.message.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
                other => format!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn pods_and_generated_controller_forms_are_validated() {
        let resources = "apiVersion: v1
kind: Pod
metadata: {name: web}
spec: {hostNetwork: true, containers: [{name: a, image: a}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  template:
    metadata: {name: api-pod}
    spec: {hostNetwork: true, containers: [{name: a, image: a}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  jobTemplate:
    spec:
      template:
        metadata: {name: nightly-pod}
        spec: {containers: [{name: a, image: a}]}
---
apiVersion: v1
kind: Pod
metadata: {name: system, namespace: kube-system}
spec: {hostNetwork: true, containers: [{name: a, image: a}]}
---
apiVersion: v1
kind: Service
metadata: {name: web}
";
        let (diagnostics, outcomes) = outcome(POLICY, resources);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(
            verdicts(&outcomes),
            [
                "pod web uses the host network",
                "pod api-pod uses the host network",
                "Pass",
                "Skip",
                "Skip"
            ]
        );
    }

    #[test]
    fn autogen_follows_the_annotation() {
        let policy = POLICY.replace(
            "  name: no-host-network\n",
            "  name: no-host-network\n  annotations:\n    pod-policies.kyverno.io/autogen-controllers: none\n",
        );
        let deployment = "apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec: {template: {spec: {hostNetwork: true}}}
";
        assert_eq!(outcome(&policy, deployment).1, [RuleOutcome::Skip]);
    }

    #[test]
    fn a_syntax_error_points_into_the_folded_scalar() {
        let broken = POLICY.replace("orValue(false)", "orValue(false) &&");
        let mut sources = SourceMap::default();
        let policy = objects(&mut sources, &broken);
        let mut diagnostics = Vec::new();
        let parsed = policy
            .first()
            .and_then(|object| KyvernoPolicy::parse(object, &sources, &mut diagnostics));
        assert_eq!(parsed.map(|policy| policy.rules.len()), Some(0));
        let [diagnostic] = diagnostics.as_slice() else {
            unreachable!("one diagnostic expected: {diagnostics:?}")
        };
        assert_eq!(diagnostic.code, crate::diagnostic::Code::InvalidCel);
        let crate::diagnostic::Location::Span(span) = diagnostic.location else {
            unreachable!("a span expected")
        };
        let (start, _) = sources.position(span);
        // Line 20 holds the expression; the error is the end of its text, after `&&`.
        assert_eq!(
            (start.line, start.column),
            (20, 56),
            "{}",
            diagnostic.message
        );
    }

    #[test]
    fn an_evaluation_error_fails_the_validation_with_its_cause() {
        let policy = POLICY.replace(
            "!object.spec.?hostNetwork.orValue(false)",
            "object.spec.hostNetwork == false",
        );
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n";
        let verdict = verdicts(&outcome(&policy, pod).1);
        assert!(
            verdict
                .first()
                .is_some_and(|v| v.contains("could not be evaluated")),
            "{verdict:?}"
        );
    }
}
