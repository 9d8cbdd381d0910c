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

use super::Passed;
use super::finding::{ContainerRef, Finding};
use super::fingerprint::field_path;
use super::policies::{decided_by, kind_span};
use crate::cel as k8s_cel;
use crate::config::{CustomCheck, Schema, SchemaTest, Test, schema_text};
use crate::model::object::Object;
use crate::model::workload::{self, Container, ContainerKind, View, Workload};
use crate::rules::{Label, Scope};
use crate::settings::Settings;
use crate::source::Span;
use crate::yaml::{self, Node};

/// Evaluates `checks` on `object`: the findings, and the checks it passed.
pub(super) fn evaluate_object(
    object: &Object,
    checks: &[CustomCheck],
    settings: &Settings,
) -> (Vec<Finding>, Vec<Passed>) {
    let mut results = (Vec::new(), Vec::new());
    if checks.is_empty() {
        return results;
    }
    let viewed = workload::view(object, settings);
    let workload = match &viewed.view {
        View::Workload(workload) => Some(workload),
        _ => None,
    };
    let mut object_variables = k8s_cel::Variables::default();
    object_variables.set("object", k8s_cel::value_of(&object.root));
    for check in checks {
        let applies = if check.kinds.is_empty() {
            workload.is_some()
        } else {
            check.kinds.iter().any(|kind| *kind == object.id.kind)
        };
        if !applies || !check.test.runs_on_kind(&object.id.kind) {
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
                let runs_on = |container: &&Container<'_>| {
                    let init =
                        matches!(container.kind, ContainerKind::Init | ContainerKind::Sidecar);
                    let ephemeral = container.kind == ContainerKind::Ephemeral;
                    check.test.runs_on_container(init, ephemeral)
                };
                for container in workload.containers.iter().filter(runs_on) {
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
        let failure = match &self.check.test {
            Test::Cel {
                expression,
                message_expression,
            } => self.cel_failure(
                expression,
                message_expression.as_deref(),
                &view,
                workload,
                container,
            ),
            Test::Schema(test) => schema_failure(
                test,
                self.check.entry.meta.id,
                self.object,
                workload,
                container,
            ),
        };
        let Some(Failure {
            message,
            at,
            detail,
        }) = failure
        else {
            results.1.push(Passed {
                rule: self.check.entry,
                container: container_ref,
            });
            return;
        };
        let message = message.unwrap_or_else(|| self.check.entry.meta.message.to_owned());
        let decided = at.unwrap_or_else(|| fallback(self.object, workload, container));
        let source = match detail {
            Some(detail) => format!("custom check {}: {detail}", self.check.entry.meta.id),
            None => format!("custom check {}", self.check.entry.meta.id),
        };
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
                    text: source,
                },
            ],
            via: self.object.via.clone(),
            values_set: self.object.values_set.clone(),
            found_in: None,
        });
    }

    /// The failure of a CEL check, or `None` when it holds.
    fn cel_failure(
        &self,
        expression: &k8s_cel::Expression,
        message_expression: Option<&k8s_cel::Expression>,
        view: &k8s_cel::Variables<'_>,
        workload: Option<&Workload<'_>>,
        container: Option<&Container<'_>>,
    ) -> Option<Failure> {
        let message = match k8s_cel::evaluate(expression, view) {
            Ok(Value::Bool(true)) => return None,
            Ok(Value::Bool(false)) => message_expression
                .and_then(|expression| k8s_cel::evaluate(expression, view).ok())
                .and_then(|value| k8s_cel::as_str(&value).map(str::to_owned)),
            Ok(other) => Some(format!(
                "the expression returned {:?}, not a bool",
                other.type_of()
            )),
            Err(error) => Some(format!("the expression could not be evaluated: {error}")),
        };
        let (base, variable) = match (container, workload) {
            (Some(container), _) => (container.node, "container"),
            (None, Some(workload)) => (workload.spec, "podSpec"),
            (None, None) => (&self.object.root, "object"),
        };
        let paths = match &self.check.field {
            Some(field) => vec![field.clone()],
            None => expression.paths_from(variable),
        };
        Some(Failure {
            message,
            at: decided_by(base, &paths),
            detail: None,
        })
    }
}

/// Why a check failed: its message (else the check's own), the span that decided it (else
/// the subject's fallback) and a detail for the secondary label.
struct Failure {
    message: Option<String>,
    at: Option<Span>,
    detail: Option<String>,
}

impl Failure {
    /// A failure the check can explain but not place: it points at the subject's fallback.
    fn unplaced(message: String) -> Failure {
        Failure {
            message: Some(message),
            at: None,
            detail: None,
        }
    }
}

/// Where a finding points when the check cannot tell: the container's name, the pod spec's
/// key or the object's kind.
fn fallback(
    object: &Object,
    workload: Option<&Workload<'_>>,
    container: Option<&Container<'_>>,
) -> Span {
    match (container, workload) {
        (Some(container), _) => container.name_span,
        (None, Some(workload)) => workload.spec_key,
        (None, None) => kind_span(object),
    }
}

/// The failure of a Polaris schema check, or `None` when the subject satisfies the schema.
/// The first violation's instance path gives the position.
fn schema_failure(
    test: &SchemaTest,
    id: &str,
    object: &Object,
    workload: Option<&Workload<'_>>,
    container: Option<&Container<'_>>,
) -> Option<Failure> {
    let templated;
    let validator = match &test.schema {
        Schema::Compiled(validator) => validator,
        Schema::Templated(text) => match templated_schema(id, text, object, workload, container) {
            Ok(validator) => {
                templated = validator;
                &templated
            }
            Err(message) => return Some(Failure::unplaced(message)),
        },
    };
    let (base, json) = match (container, workload) {
        (Some(container), Some(workload)) if test.pod_spec => {
            (workload.spec, pod_spec_of(workload.spec, container.node))
        }
        (Some(container), _) => (container.node, yaml::to_json(container.node).ok()),
        (None, Some(workload)) => (workload.spec, yaml::to_json(workload.spec).ok()),
        (None, None) => (&object.root, yaml::to_json(&object.root).ok()),
    };
    let Some(json) = json else {
        return Some(Failure::unplaced(
            "the object has no JSON form to validate".to_owned(),
        ));
    };
    let violation = validator.iter_errors(&json).next()?;
    let mut pointer: Vec<String> = violation
        .instance_path()
        .as_str()
        .split('/')
        .skip(1)
        .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
        .collect();
    let mut base = base;
    if test.pod_spec && pointer.first().map(String::as_str) == Some("containers") {
        // The checked container is the only one the schema saw: its path is `/containers/0`.
        if let Some(container) = container {
            base = container.node;
            pointer.drain(..pointer.len().min(2));
        }
    }
    Some(Failure {
        message: None,
        at: pointed_at(base, &pointer),
        detail: Some(violation.to_string()),
    })
}

/// The schema a templated Polaris check has for this subject: the template executed with the
/// object, and for pod spec and container checks the `Polaris` map (`PodSpec`, `PodTemplate`,
/// `Container`) Polaris adds; then read as YAML or JSON. Why not, as the failure's message.
fn templated_schema(
    id: &str,
    text: &str,
    object: &Object,
    workload: Option<&Workload<'_>>,
    container: Option<&Container<'_>>,
) -> Result<jsonschema::Validator, String> {
    let mut polaris: Vec<(&str, &Node)> = Vec::new();
    if let Some(workload) = workload {
        polaris.push(("PodSpec", workload.spec));
        if let Some(template) = pod_template(&object.root, workload.spec_key) {
            polaris.push(("PodTemplate", template));
        }
    }
    if let Some(container) = container {
        polaris.push(("Container", container.node));
    }
    let rendered = crate::render::helm::polaris::render_schema(id, text, &object.root, &polaris)
        .map_err(|error| format!("the schema template does not render: {error}"))?;
    let json = schema_text(&rendered)
        .map_err(|error| format!("the rendered schema is not YAML or JSON: {error}"))?;
    jsonschema::validator_for(&json)
        .map_err(|error| format!("the rendered schema is not a valid JSON Schema: {error}"))
}

/// The pod spec `spec` as JSON with `container` its only container, as Polaris validates a
/// container check whose `schemaTarget` is `PodSpec`.
fn pod_spec_of(spec: &Node, container: &Node) -> Option<serde_json::Value> {
    let mut json = yaml::to_json(spec).ok()?;
    let fields = json.as_object_mut()?;
    fields.remove("initContainers");
    fields.remove("ephemeralContainers");
    fields.insert(
        "containers".to_owned(),
        serde_json::Value::Array(vec![yaml::to_json(container).ok()?]),
    );
    Some(json)
}

/// The span of what `pointer` names below `base`: the value when it exists, else the key of
/// the deepest field present; `None` when not even the first step exists.
fn pointed_at(base: &Node, pointer: &[String]) -> Option<Span> {
    let mut node = base;
    let mut at = None;
    for (depth, step) in pointer.iter().enumerate() {
        let whole = depth + 1 == pointer.len();
        if let Some(entry) = node.entry(step) {
            at = Some(if whole {
                entry.value.span
            } else {
                entry.key.span
            });
            node = &entry.value;
        } else if let Some(item) = node
            .as_seq()
            .zip(step.parse::<usize>().ok())
            .and_then(|(items, index)| items.get(index))
        {
            at = Some(item.span);
            node = item;
        } else {
            break;
        }
    }
    at
}

/// The `metadata` beside the pod spec whose `spec:` key is at `spec_key`: the pod template's
/// (a Pod's own for a Pod).
fn pod_metadata(root: &Node, spec_key: Span) -> Option<&Node> {
    pod_template(root, spec_key)?.get("metadata")
}

/// The mapping that holds the pod spec whose `spec:` key is at `spec_key`: the pod template
/// (a Pod itself for a Pod).
fn pod_template(root: &Node, spec_key: Span) -> Option<&Node> {
    let entries = root.as_map()?;
    if entries.iter().any(|entry| entry.key.span == spec_key) {
        return Some(root);
    }
    let children: Box<dyn Iterator<Item = &Node>> = match root.as_seq() {
        Some(items) => Box::new(items.iter()),
        None => Box::new(entries.iter().map(|entry| &entry.value)),
    };
    children
        .filter(|child| child.span.start <= spec_key.start && spec_key.end <= child.span.end)
        .find_map(|child| pod_template(child, spec_key))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::string_slice)]

    use super::*;
    use crate::source::FileId;

    const SPEC: &str =
        "containers:\n- name: a\n  image: x\n- name: b\n  resources:\n    limits: {cpu: 1}\n";

    fn pointed(pointer: &[&str]) -> Option<&'static str> {
        let parsed = yaml::parse(FileId(0), SPEC, yaml::Limits::default());
        let root = &parsed.documents[0].root;
        let pointer: Vec<String> = pointer.iter().map(|step| (*step).to_owned()).collect();
        pointed_at(root, &pointer).map(|span| &SPEC[span.start as usize..span.end as usize])
    }

    #[test]
    fn an_instance_path_points_at_its_value_or_the_deepest_key_present() {
        assert_eq!(pointed(&["containers", "0", "image"]), Some("x"));
        assert_eq!(
            pointed(&["containers", "1", "resources", "limits"]),
            Some("{cpu: 1}")
        );
        // `memory` is absent: the key of the deepest field present.
        assert_eq!(
            pointed(&["containers", "1", "resources", "limits", "memory"]),
            Some("limits")
        );
        assert_eq!(pointed(&["volumes", "0"]), None);
        assert_eq!(pointed(&[]), None);
    }
}
