//! Policies written in CEL that teams already run in their clusters, evaluated offline against
//! the repository's objects: Kyverno `ClusterPolicy`/`Policy` rules that validate with
//! `cel.expressions` (`kyverno.rs`), matched by kind, namespace, name and labels
//! (`selection.rs`).
//!
//! Every expression is compiled once, when the policy is read; a syntax error is a diagnostic at
//! the line and column inside the YAML scalar that holds it, and the rule it belongs to is left
//! out (the rest of the policy still applies).

pub mod admission;
mod bindings;
use bindings::Bindings;
pub use bindings::ObjectBindings;
pub mod kyverno;
pub mod selection;
mod validation;
pub use validation::Failure;

use std::sync::Arc;

use crate::cel;
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::model::files::LoadedFile;
use crate::source::{FileId, SourceMap, Span};
use crate::yaml::Node;

/// Whether objects of this kind are read by policies, so must be loaded whole: the policies
/// themselves, and the `Namespace`s their expressions see as `namespaceObject`.
pub fn is_policy_input(api_version: &str, kind: &str) -> bool {
    is_policy_kind(api_version, kind)
        || (admission::is_admission_version(api_version)
            && kind == "ValidatingAdmissionPolicyBinding")
        || (api_version == "v1" && kind == "Namespace")
}

/// Whether objects of this kind are policies: Kyverno's, and ValidatingAdmissionPolicies.
pub fn is_policy_kind(api_version: &str, kind: &str) -> bool {
    (api_version == "kyverno.io/v1" && matches!(kind, "ClusterPolicy" | "Policy"))
        || (admission::is_admission_version(api_version) && kind == "ValidatingAdmissionPolicy")
}

/// The outlined files policies need whole: those holding an object of a kind a Kyverno policy
/// names in `match` or `exclude`, or every outlined file when a policy may select any kind (a
/// wildcard, a ValidatingAdmissionPolicy's resource rules, its parameters).
pub fn files_policies_read(files: &[LoadedFile]) -> Vec<FileId> {
    let documents = || files.iter().flat_map(|file| &file.documents);
    let mut kinds: Vec<&str> = Vec::new();
    let mut any_kind = false;
    for document in documents() {
        let field = |key: &str| document.root.get(key).and_then(Node::as_str);
        let Some((api_version, kind)) = field("apiVersion").zip(field("kind")) else {
            continue;
        };
        if !is_policy_kind(api_version, kind) {
            continue;
        }
        if admission::is_admission_version(api_version) {
            any_kind = true;
            continue;
        }
        let rules = document.root.get("spec").and_then(|spec| spec.get("rules"));
        for rule in rules.and_then(Node::as_seq).unwrap_or_default() {
            for block in ["match", "exclude"].iter().filter_map(|key| rule.get(key)) {
                kinds_named(block, &mut kinds);
            }
        }
    }
    any_kind |= kinds.iter().any(|kind| kind.contains(['*', '?']));
    files
        .iter()
        .filter(|file| file.outlined)
        .filter(|file| {
            any_kind
                || file.documents.iter().any(|document| {
                    let kind = document.root.get("kind").and_then(Node::as_str);
                    kind.is_some_and(|kind| kinds.contains(&kind))
                })
        })
        .map(|file| file.file)
        .collect()
}

/// The kinds (the last segment of `group/version/Kind`) of every `kinds:` list under `node`.
fn kinds_named<'n>(node: &'n Node, kinds: &mut Vec<&'n str>) {
    for entry in node.as_map().unwrap_or_default() {
        if entry.key.as_str() == Some("kinds") {
            let named = entry
                .value
                .as_seq()
                .unwrap_or_default()
                .iter()
                .filter_map(Node::as_str);
            kinds.extend(named.map(|kind| kind.rsplit('/').next().unwrap_or(kind)));
        } else {
            kinds_named(&entry.value, kinds);
        }
    }
    for item in node.as_seq().unwrap_or_default() {
        kinds_named(item, kinds);
    }
}

/// A compiled CEL expression and where it was written.
#[derive(Debug)]
pub struct CelField {
    pub expression: cel::Expression,
    /// The scalar that holds the expression.
    pub span: Span,
}

/// Compiles the expression `node` holds, as written or after `rewrite`; a compile error of the
/// text as written is a diagnostic at its position in the file.
fn compile_field(
    node: &Node,
    sources: &SourceMap,
    rewrite: &dyn Fn(&str) -> String,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<CelField> {
    let file_text = sources
        .get(node.span.file)
        .map_or("", |source| source.text.as_str());
    let written = match cel::compile_scalar(node, file_text) {
        Ok(written) => written,
        Err(diagnostic) => {
            diagnostics.push(diagnostic);
            return None;
        }
    };
    let text = node.as_str().unwrap_or_default();
    let rewritten = rewrite(text);
    let expression = if rewritten == text {
        written
    } else {
        cel::compile(&rewritten).ok()?
    };
    Some(CelField {
        expression,
        span: node.span,
    })
}

/// The strings of the sequence at `key` in `node`; other items are left out.
fn strings_at(node: &Node, key: &str) -> Vec<String> {
    node.get(key)
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::as_str)
        .map(str::to_owned)
        .collect()
}

fn invalid_policy(span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(Code::InvalidPolicy, Location::Span(span), message)
}

/// The names and texts of a sequence of `{name, expression}` mappings (`variables`,
/// `celPreconditions`).
fn named_fields(
    node: Option<&Node>,
    sources: &SourceMap,
    rewrite: &dyn Fn(&str) -> String,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Vec<(Arc<str>, CelField)>> {
    let mut fields = Vec::new();
    for item in node.and_then(Node::as_seq).unwrap_or_default() {
        let name = item.get("name").and_then(Node::as_str);
        let expression = item.get("expression");
        let (Some(name), Some(expression)) = (name, expression) else {
            diagnostics.push(invalid_policy(
                item.span,
                "expected `name` and `expression`",
            ));
            return None;
        };
        fields.push((
            Arc::from(name),
            compile_field(expression, sources, rewrite, diagnostics)?,
        ));
    }
    Some(fields)
}
