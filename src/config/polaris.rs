//! Polaris custom checks, read from the Polaris configuration `polarisConfig:` names, so that
//! a team moving from Polaris keeps its rules.
//!
//! Polaris writes a custom check as a JSON Schema (`schema` in YAML, or `jsonSchema` as a JSON
//! string) that a `target` must satisfy: `Container` (each container), `Pod` (the pod spec),
//! `Controller` (every workload object) or one kind (`apps/Deployment`: the whole object). With
//! `target: Container` and `schemaTarget: PodSpec`, the schema sees the pod spec holding only
//! that container, as Polaris does. Each check becomes a custom check whose id is its key; its
//! severity is the one the Polaris `checks:` map gives it (else its own `severity`), and a check
//! Polaris would not run (`ignore`, or no severity at all) is left out, as Polaris leaves it.
//! `failureMessage` is the finding's message and `successMessage` (what passing looks like) the
//! check's title.

use std::sync::Arc;

use super::custom::{CustomCheck, Test, error, is_built_in, line_of};
use crate::diagnostic::Diagnostic;
use crate::rules::dynamic::{Definition, register};
use crate::rules::{Category, Scope, Severity};
use crate::source::{FileId, Span};
use crate::yaml::{self, Node};

/// A compiled Polaris schema and what it is applied to.
pub struct SchemaTest {
    pub validator: jsonschema::Validator,
    /// Container target with `schemaTarget: PodSpec`: the schema sees the pod spec with only
    /// the container being checked.
    pub pod_spec: bool,
}

impl std::fmt::Debug for SchemaTest {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SchemaTest")
            .field("pod_spec", &self.pod_spec)
            .finish_non_exhaustive()
    }
}

/// The custom checks of the Polaris configuration `text` (file `file`, shown as `display`).
pub(super) fn custom_checks(
    file: FileId,
    text: &str,
    display: &str,
    errors: &mut Vec<Diagnostic>,
) -> Vec<CustomCheck> {
    let parsed = yaml::parse(file, text, yaml::Limits::default());
    errors.extend(
        parsed
            .errors
            .into_iter()
            .map(|problem| error(problem.span, problem.message)),
    );
    let Some(root) = parsed.documents.first().map(|document| &document.root) else {
        return Vec::new();
    };
    let Some(checks) = root.get("customChecks") else {
        return Vec::new();
    };
    let Some(entries) = checks.as_map() else {
        errors.push(error(
            checks.span,
            "Polaris `customChecks` must be a mapping",
        ));
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|entry| {
            let id = entry.key.as_str()?;
            let grade = root.get("checks").and_then(|grades| grades.get(id));
            custom_check(id, &entry.value, grade, text, display, errors)
        })
        .collect()
}

fn custom_check(
    id: &str,
    node: &Node,
    grade: Option<&Node>,
    text: &str,
    display: &str,
    errors: &mut Vec<Diagnostic>,
) -> Option<CustomCheck> {
    if node.as_map().is_none() {
        errors.push(error(node.span, "a Polaris custom check must be a mapping"));
        return None;
    }
    let severity_node = grade.or_else(|| node.get("severity"))?;
    let severity = match severity_node.as_str() {
        Some("danger") => Severity::Danger,
        Some("warning") => Severity::Warning,
        Some("ignore") => return None,
        _ => {
            errors.push(error(
                severity_node.span,
                "a Polaris severity is `danger`, `warning` or `ignore`",
            ));
            return None;
        }
    };
    if is_built_in(id) {
        errors.push(error(node.span, format!("`{id}` is a built-in check's id")));
        return None;
    }
    let text_of = |key: &str| node.get(key).and_then(Node::as_str).map(str::to_owned);
    let (scope, kinds) = target(node, errors)?;
    let pod_spec = match node.get("schemaTarget") {
        None => false,
        Some(value) if value.as_str() == Some("PodSpec") && scope == Scope::Container => true,
        Some(value) => {
            errors.push(error(
                value.span,
                "kubepatrol supports `schemaTarget: PodSpec` with `target: Container` only",
            ));
            return None;
        }
    };
    let (schema, span) = schema(node, errors)?;
    let validator = jsonschema::validator_for(&schema)
        .map_err(|problem| errors.push(error(span, format!("invalid JSON Schema: {problem}"))))
        .ok()?;
    let entry = register(Definition {
        id: id.to_owned(),
        title: text_of("successMessage").unwrap_or_else(|| id.to_owned()),
        category: category(text_of("category").as_deref()),
        severity,
        scope,
        message: text_of("failureMessage")
            .unwrap_or_else(|| format!("The Polaris check {id} does not hold.")),
        remediation: "Change the manifest so that it satisfies the check's JSON Schema.".to_owned(),
        source: format!("{display}:{}", line_of(text, node.span)),
    });
    Some(CustomCheck {
        entry,
        kinds,
        test: Test::Schema(Arc::new(SchemaTest {
            validator,
            pod_spec,
        })),
        field: None,
        span,
    })
}

/// The scope and kinds of a Polaris `target`.
fn target(node: &Node, errors: &mut Vec<Diagnostic>) -> Option<(Scope, Vec<String>)> {
    let Some(value) = node.get("target") else {
        errors.push(error(node.span, "a Polaris custom check needs `target`"));
        return None;
    };
    match value.as_str() {
        Some("Container") => Some((Scope::Container, Vec::new())),
        Some("Pod") => Some((Scope::Pod, Vec::new())),
        Some("Controller") => Some((Scope::Object, Vec::new())),
        Some(kind) if kind.contains('/') => {
            let kind = kind.rsplit('/').next().unwrap_or(kind);
            Some((Scope::Object, vec![kind.to_owned()]))
        }
        _ => {
            errors.push(error(
                value.span,
                "a Polaris `target` is `Container`, `Pod`, `Controller` or `group/Kind`",
            ));
            None
        }
    }
}

/// The check's schema as JSON, with the span of where it was written.
fn schema(node: &Node, errors: &mut Vec<Diagnostic>) -> Option<(serde_json::Value, Span)> {
    if let Some(schema) = node.get("schema") {
        return match yaml::to_json(schema) {
            Ok(json) => Some((json, schema.span)),
            Err(_) => {
                errors.push(error(schema.span, "the schema has no JSON form"));
                None
            }
        };
    }
    let Some(value) = node.get("jsonSchema") else {
        errors.push(error(
            node.span,
            "a Polaris custom check needs `schema` or `jsonSchema`",
        ));
        return None;
    };
    match value.as_str().map(serde_json::from_str) {
        Some(Ok(json)) => Some((json, value.span)),
        Some(Err(problem)) => {
            errors.push(error(
                value.span,
                format!("`jsonSchema` is not JSON: {problem}"),
            ));
            None
        }
        None => {
            errors.push(error(value.span, "`jsonSchema` must be a string"));
            None
        }
    }
}

/// Polaris' categories (Security, Efficiency, Reliability) and kubepatrol's own.
fn category(name: Option<&str>) -> Category {
    match name.map(str::to_ascii_lowercase).as_deref() {
        Some("efficiency" | "resources") => Category::Resources,
        Some("reliability" | "health-checks") => Category::HealthChecks,
        Some("networking") => Category::Networking,
        Some("images") => Category::Images,
        _ => Category::Security,
    }
}
