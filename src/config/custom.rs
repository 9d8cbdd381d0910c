//! `customChecks:`: a team's own checks, written in CEL in `.kubepatrol.yaml`.
//!
//! Each entry becomes a check like the built-in ones (registered through
//! [`rules::dynamic`], so `checks:`, exemptions, annotations, the baseline and every report know
//! its id). It is mapped before the rest of the file, so that `checks:` and `exemptions:` may
//! name it. The expression is compiled here: a CEL error is a configuration error at its line
//! and column.

use std::sync::Arc;

use crate::cel;
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::rules::dynamic::{Definition, register};
use crate::rules::{Category, RuleEntry, Scope, Severity, explain};
use crate::source::Span;
use crate::yaml::Node;

const KEYS: &[&str] = &[
    "id",
    "title",
    "category",
    "severity",
    "scope",
    "kinds",
    "expression",
    "message",
    "messageExpression",
    "remediation",
    "field",
];

/// A check defined in `customChecks:`.
#[derive(Clone, Debug)]
pub struct CustomCheck {
    pub entry: &'static RuleEntry,
    /// The kinds it applies to; empty for every inspected workload kind.
    pub kinds: Vec<String>,
    /// What must hold.
    pub test: Test,
    /// The field to label, relative to the object, pod spec or container (`image`,
    /// `securityContext.runAsUser`).
    pub field: Option<Vec<String>>,
    /// The `expression` (or Polaris schema) value, the check's secondary label.
    pub span: Span,
}

/// How a custom check decides.
#[derive(Clone, Debug)]
pub enum Test {
    /// A CEL `expression` that must hold; it sees `object`, and for pod and container scope
    /// `podSpec`, `podMetadata`, `container` and `containerKind`. The failure message is the
    /// `messageExpression` when it evaluates to a string.
    Cel {
        expression: Arc<cel::Expression>,
        message_expression: Option<Arc<cel::Expression>>,
    },
    /// A Polaris custom check's JSON Schema, which the object, pod spec or container must
    /// satisfy (see [`super::polaris`]).
    Schema(Arc<super::polaris::SchemaTest>),
}

impl Test {
    /// Whether the check runs on an object of `kind` it targets (Polaris' `controllers:`).
    pub fn runs_on_kind(&self, kind: &str) -> bool {
        match self {
            Test::Cel { .. } => true,
            Test::Schema(test) => test.runs_on_kind(kind),
        }
    }

    /// Whether a container check runs on an init (or sidecar) container, or an ephemeral one
    /// (Polaris' `containers:`, and Polaris checks no ephemeral container).
    pub fn runs_on_container(&self, init: bool, ephemeral: bool) -> bool {
        match self {
            Test::Cel { .. } => true,
            Test::Schema(test) => test.runs_on_container(init, ephemeral),
        }
    }
}

/// Maps the `customChecks` sequence; `text` is the configuration file's text and `display`
/// its name, for positions.
pub(super) fn custom_checks(
    node: &Node,
    text: &str,
    display: &str,
    errors: &mut Vec<Diagnostic>,
) -> Vec<CustomCheck> {
    let Some(items) = node.as_seq() else {
        errors.push(error(node.span, "`customChecks` must be a sequence"));
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| custom_check(item, text, display, errors))
        .collect()
}

pub(super) fn error(span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(Code::InvalidConfig, Location::Span(span), message)
}

fn custom_check(
    node: &Node,
    text: &str,
    display: &str,
    errors: &mut Vec<Diagnostic>,
) -> Option<CustomCheck> {
    let Some(entries) = node.as_map() else {
        errors.push(error(node.span, "a custom check must be a mapping"));
        return None;
    };
    for entry in entries {
        let key = entry.key.as_str().unwrap_or_default();
        if !KEYS.contains(&key) {
            let hint = explain::nearest(key, KEYS.iter().copied())
                .map(|near| format!(" (did you mean `{near}`?)"))
                .unwrap_or_default();
            errors.push(error(
                entry.key.span,
                format!("unknown key `{key}` in `customChecks[]`{hint}"),
            ));
        }
    }
    let mut text_of = |key: &str, required: bool| -> Option<String> {
        match node.get(key) {
            Some(value) => match value.as_str() {
                Some(text) => Some(text.to_owned()),
                None => {
                    errors.push(error(
                        value.span,
                        format!("`customChecks[].{key}` must be a string"),
                    ));
                    None
                }
            },
            None if required => {
                errors.push(error(node.span, format!("a custom check needs `{key}`")));
                None
            }
            None => None,
        }
    };
    let id = text_of("id", true);
    let title = text_of("title", false);
    let category = text_of("category", false);
    let severity = text_of("severity", false);
    let scope = text_of("scope", false);
    let message = text_of("message", false);
    let remediation = text_of("remediation", false);
    let field = text_of("field", false);
    let category = parse_choice(
        node,
        "category",
        category.as_deref(),
        errors,
        |text| match text {
            "security" => Some(Category::Security),
            "networking" => Some(Category::Networking),
            "resources" => Some(Category::Resources),
            "health-checks" => Some(Category::HealthChecks),
            "images" => Some(Category::Images),
            _ => None,
        },
    )?;
    let severity = parse_choice(
        node,
        "severity",
        severity.as_deref(),
        errors,
        |text| match text {
            "danger" => Some(Severity::Danger),
            "warning" => Some(Severity::Warning),
            _ => None,
        },
    )?;
    let scope = parse_choice(node, "scope", scope.as_deref(), errors, |text| match text {
        "object" => Some(Scope::Object),
        "pod" => Some(Scope::Pod),
        "container" => Some(Scope::Container),
        _ => None,
    })?;
    let kinds = node
        .get("kinds")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::as_str)
        .map(str::to_owned)
        .collect();
    let Some(expression_node) = node.get("expression") else {
        errors.push(error(node.span, "a custom check needs `expression`"));
        return None;
    };
    let expression = compile(expression_node, text, errors)?;
    let message_expression = match node.get("messageExpression") {
        Some(value) => Some(compile(value, text, errors)?),
        None => None,
    };
    let id = id?;
    if is_built_in(&id) {
        errors.push(error(node.span, format!("`{id}` is a built-in check's id")));
        return None;
    }
    let line = line_of(text, node.span);
    let entry = register(Definition {
        title: title.unwrap_or_else(|| id.clone()),
        category: category.unwrap_or(Category::Security),
        severity: severity.unwrap_or(Severity::Warning),
        scope: scope.unwrap_or(Scope::Object),
        message: message.unwrap_or_else(|| format!("The custom check {id} does not hold.")),
        remediation: remediation
            .unwrap_or_else(|| "Change the object so that the check holds.".to_owned()),
        source: format!("{display}:{line}"),
        id,
    });
    Some(CustomCheck {
        entry,
        kinds,
        test: Test::Cel {
            expression: Arc::new(expression),
            message_expression: message_expression.map(Arc::new),
        },
        field: field.map(|field| field.split('.').map(str::to_owned).collect()),
        span: expression_node.span,
    })
}

/// Whether `id` is a built-in check's, which a custom check may not take.
pub(super) fn is_built_in(id: &str) -> bool {
    crate::rules::all()
        .iter()
        .any(|entry| entry.meta.id.eq_ignore_ascii_case(id))
}

/// The line of `text` where `span` starts, for a check's `source`.
pub(super) fn line_of(text: &str, span: Span) -> usize {
    text.get(..span.start as usize)
        .map_or(0, |before| before.lines().count())
}

/// One of the values `parse` accepts, or `None` inside when absent; an error when neither.
fn parse_choice<T>(
    node: &Node,
    key: &str,
    text: Option<&str>,
    errors: &mut Vec<Diagnostic>,
    parse: impl Fn(&str) -> Option<T>,
) -> Option<Option<T>> {
    let Some(text) = text else {
        return Some(None);
    };
    match parse(text) {
        Some(value) => Some(Some(value)),
        None => {
            let span = node.get(key).map_or(node.span, |value| value.span);
            errors.push(error(span, format!("`{text}` is not a valid `{key}`")));
            None
        }
    }
}

fn compile(node: &Node, text: &str, errors: &mut Vec<Diagnostic>) -> Option<cel::Expression> {
    cel::compile_scalar(node, text)
        .map_err(|diagnostic| errors.push(diagnostic))
        .ok()
}
