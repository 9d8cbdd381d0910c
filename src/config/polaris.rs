//! Polaris custom checks, read from the Polaris configuration `polarisConfig:` names, so that
//! a team moving from Polaris keeps its rules.
//!
//! Polaris writes a custom check as a JSON Schema (`schema` in YAML, `schemaString` as YAML or
//! JSON text, or `jsonSchema` as a JSON string) that a `target` must satisfy: `Container` (each
//! container and init container), `PodSpec` (the pod spec), `Controller` (every workload object)
//! or a kind (`apps/Deployment`, or just `Pod`: the whole object, matched by kind as Polaris
//! does). With `target: Container` and `schemaTarget: PodSpec`, the schema sees the pod spec
//! holding only that container, as Polaris does. `controllers: {include, exclude}` narrows the
//! kinds a check runs on, `containers: {include, exclude}` (`initContainer`, `container`) the
//! containers, as Polaris' `IsActionable` does.
//!
//! A schema whose text holds a Go template action (`{{`) is templated: Polaris executes it
//! with the object being checked (see `render::helm::polaris`) before reading it, so it is
//! kept as text here and compiled per object when the checks run; a `schema` mapping is
//! templated as its JSON text, as Polaris marshals it. Each check becomes a custom check whose id is its key; its
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

/// A Polaris schema and what it is applied to.
pub struct SchemaTest {
    pub schema: Schema,
    /// Container target with `schemaTarget: PodSpec`: the schema sees the pod spec with only
    /// the container being checked.
    pub pod_spec: bool,
    /// `controllers:`: the kinds the check runs on.
    pub controllers: IncludeExclude,
    /// `containers:`: `initContainer`, `container`.
    pub containers: IncludeExclude,
}

/// A schema compiled once, or a template rendered for each object it checks.
pub enum Schema {
    Compiled(jsonschema::Validator),
    /// The template's text: YAML or JSON once rendered.
    Templated(String),
}

/// Polaris' `include`/`exclude` lists: none included means all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IncludeExclude {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

impl IncludeExclude {
    pub fn admits(&self, name: &str) -> bool {
        (self.include.is_empty() || self.include.iter().any(|included| included == name))
            && !self.exclude.iter().any(|excluded| excluded == name)
    }
}

impl SchemaTest {
    /// Whether the check runs on an object of `kind` (Polaris' `controllers:`).
    pub fn runs_on_kind(&self, kind: &str) -> bool {
        self.controllers.admits(kind)
    }

    /// Whether a container check runs on an init container (`init`) or a container: Polaris
    /// checks no ephemeral container, and `containers:` may leave either kind out.
    pub fn runs_on_container(&self, init: bool, ephemeral: bool) -> bool {
        !ephemeral
            && self
                .containers
                .admits(if init { "initContainer" } else { "container" })
    }
}

impl std::fmt::Debug for SchemaTest {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SchemaTest")
            .field("pod_spec", &self.pod_spec)
            .field("controllers", &self.controllers)
            .field("containers", &self.containers)
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
    let schema = match schema {
        Source::Json(json) => Schema::Compiled(
            jsonschema::validator_for(&json)
                .map_err(|problem| {
                    errors.push(error(span, format!("invalid JSON Schema: {problem}")));
                })
                .ok()?,
        ),
        Source::Template(text) => Schema::Templated(text),
    };
    let controllers = include_exclude(node, "controllers", None, errors)?;
    let containers = include_exclude(
        node,
        "containers",
        Some(&["initContainer", "container"]),
        errors,
    )?;
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
            schema,
            pod_spec,
            controllers,
            containers,
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
        Some("PodSpec") => Some((Scope::Pod, Vec::new())),
        Some("Controller") => Some((Scope::Object, Vec::new())),
        // Polaris matches any other target by kind: `apps/Deployment` or `Deployment`.
        Some(kind) if !kind.is_empty() => {
            let kind = kind.rsplit('/').next().unwrap_or(kind);
            Some((Scope::Object, vec![kind.to_owned()]))
        }
        _ => {
            errors.push(error(
                value.span,
                "a Polaris `target` is `Container`, `PodSpec`, `Controller` or a kind (`apps/Deployment`)",
            ));
            None
        }
    }
}

/// A schema as written: JSON to compile, or a template to render per object.
enum Source {
    Json(serde_json::Value),
    Template(String),
}

/// Whether schema text holds a Go template action.
fn is_template(text: &str) -> bool {
    text.contains("{{")
}

/// The check's schema, with the span of where it was written: `schema` (a mapping),
/// `schemaString` (YAML or JSON text) or `jsonSchema` (JSON text); only one of them.
fn schema(node: &Node, errors: &mut Vec<Diagnostic>) -> Option<(Source, Span)> {
    let given: Vec<&crate::yaml::Entry> = ["schema", "schemaString", "jsonSchema"]
        .iter()
        .filter_map(|key| node.entry(key))
        .collect();
    let entry = match given.as_slice() {
        [entry] => *entry,
        [] => {
            errors.push(error(
                node.span,
                "a Polaris custom check needs `schema` or `schemaString`",
            ));
            return None;
        }
        [_, second, ..] => {
            errors.push(error(
                second.key.span,
                "a Polaris custom check has only one of `schema`, `schemaString` and `jsonSchema`",
            ));
            return None;
        }
    };
    let value = &entry.value;
    let source = match entry.key.as_str() {
        Some("schema") => {
            let Ok(json) = yaml::to_json(value) else {
                errors.push(error(value.span, "the schema has no JSON form"));
                return None;
            };
            // Polaris templates the schema's JSON text.
            let text = json.to_string();
            if is_template(&text) {
                Source::Template(text)
            } else {
                Source::Json(json)
            }
        }
        Some(key) => {
            let Some(text) = value.as_str() else {
                errors.push(error(value.span, format!("`{key}` must be a string")));
                return None;
            };
            if is_template(text) {
                Source::Template(text.to_owned())
            } else {
                Source::Json(
                    schema_text(text)
                        .map_err(|problem| {
                            errors.push(error(
                                value.span,
                                format!("`{key}` is not YAML or JSON: {problem}"),
                            ));
                        })
                        .ok()?,
                )
            }
        }
        None => return None,
    };
    Some((source, value.span))
}

/// The JSON of schema text written in YAML or JSON (JSON is YAML).
pub fn schema_text(text: &str) -> Result<serde_json::Value, String> {
    let parsed = yaml::parse(FileId(0), text, yaml::Limits::default());
    if let Some(problem) = parsed.errors.first() {
        return Err(problem.message.clone());
    }
    match parsed.documents.first() {
        Some(document) => {
            yaml::to_json(&document.root).map_err(|_| "it has no JSON form".to_owned())
        }
        // Polaris reads blank text as the empty schema, which everything satisfies.
        None => Ok(serde_json::Value::Object(serde_json::Map::new())),
    }
}

/// Polaris' `controllers:` or `containers:` (`include` and `exclude` lists of strings, of
/// `allowed` values when given).
fn include_exclude(
    node: &Node,
    key: &str,
    allowed: Option<&[&str]>,
    errors: &mut Vec<Diagnostic>,
) -> Option<IncludeExclude> {
    let Some(value) = node.get(key) else {
        return Some(IncludeExclude::default());
    };
    if value.as_map().is_none() {
        errors.push(error(
            value.span,
            format!("`{key}` is a mapping with `include` and `exclude` lists"),
        ));
        return None;
    }
    let mut list = |name: &str| -> Option<Vec<String>> {
        let Some(items) = value.get(name) else {
            return Some(Vec::new());
        };
        let Some(items) = items.as_seq() else {
            errors.push(error(items.span, format!("`{key}.{name}` must be a list")));
            return None;
        };
        items
            .iter()
            .map(|item| match item.as_str() {
                Some(text) if allowed.is_none_or(|allowed| allowed.contains(&text)) => {
                    Some(text.to_owned())
                }
                _ => {
                    let expected = allowed.map_or("a kind".to_owned(), |allowed| {
                        format!("`{}`", allowed.join("` or `"))
                    });
                    errors.push(error(
                        item.span,
                        format!("an entry of `{key}.{name}` is {expected}"),
                    ));
                    None
                }
            })
            .collect()
    };
    Some(IncludeExclude {
        include: list("include")?,
        exclude: list("exclude")?,
    })
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
