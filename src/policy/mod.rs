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
pub use bindings::Bindings;
pub mod kyverno;
pub mod selection;

use std::sync::Arc;

use crate::cel;
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::source::{SourceMap, Span};
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

/// Whether loaded files hold a policy: policies may select any kind, so the objects no built-in
/// check inspects must then be read whole too.
pub fn policies_read_whole_objects(files: &[crate::model::files::LoadedFile]) -> bool {
    files
        .iter()
        .flat_map(|file| &file.documents)
        .any(|document| {
            let field = |key: &str| document.root.get(key).and_then(Node::as_str);
            field("apiVersion")
                .zip(field("kind"))
                .is_some_and(|(api_version, kind)| is_policy_kind(api_version, kind))
        })
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
