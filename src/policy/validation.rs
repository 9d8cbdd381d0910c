//! A validation as Kyverno's `cel.expressions` and a ValidatingAdmissionPolicy's
//! `validations` both write it: an expression that must hold, and the message when it does not.

use std::sync::Arc;

use cel::Value;

use super::{Bindings, CelField, compile_field, invalid_policy};
use crate::cel as k8s_cel;
use crate::diagnostic::Diagnostic;
use crate::source::{SourceMap, Span};
use crate::yaml::Node;

#[derive(Debug)]
pub(super) struct Validation {
    pub(super) expression: CelField,
    message: Option<String>,
    message_expression: Option<CelField>,
    reason: Option<String>,
    /// Calls the `authorizer`, which only the API server can answer.
    pub(super) needs_authorizer: bool,
}

/// One validation that did not hold.
#[derive(Debug, PartialEq)]
pub struct Failure {
    /// The position of the validation in its list.
    pub index: usize,
    pub message: String,
    /// The expression that failed.
    pub expression: Span,
    /// The field paths of `object` it reads (through the variables when it reads none itself),
    /// as evaluated, to point at the one that decided it.
    pub reads: Vec<Vec<String>>,
}

impl Validation {
    /// The validations of the sequence `node`, each expression as written or after `rewrite`;
    /// `None` when one is malformed (the diagnostics say why).
    pub(super) fn parse_all(
        node: Option<&Node>,
        sources: &SourceMap,
        rewrite: &dyn Fn(&str) -> String,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Vec<Validation>> {
        let mut validations = Vec::new();
        for item in node.and_then(Node::as_seq).unwrap_or_default() {
            let Some(expression) = item.get("expression") else {
                diagnostics.push(invalid_policy(
                    item.span,
                    "a validation needs an `expression`",
                ));
                return None;
            };
            let message_expression = match item.get("messageExpression") {
                Some(node) => Some(compile_field(node, sources, rewrite, diagnostics)?),
                None => None,
            };
            let text = |key: &str| item.get(key).and_then(Node::as_str).map(str::to_owned);
            validations.push(Validation {
                needs_authorizer: expression
                    .as_str()
                    .is_some_and(|text| text.contains("authorizer")),
                expression: compile_field(expression, sources, rewrite, diagnostics)?,
                message: text("message"),
                message_expression,
                reason: text("reason"),
            });
        }
        Some(validations)
    }

    /// The failure of validation `index`, if it does not hold; an evaluation error is a failure
    /// unless `ignore_errors`.
    pub(super) fn failure(
        &self,
        index: usize,
        bindings: &Bindings<'_>,
        variables: &[(Arc<str>, CelField)],
        ignore_errors: bool,
    ) -> Option<Failure> {
        let message = match bindings.evaluate(&self.expression) {
            Ok(Value::Bool(true)) => return None,
            Ok(Value::Bool(false)) => self.message(bindings),
            _ if ignore_errors => return None,
            Ok(other) => format!("the expression returned {:?}, not a bool", other.type_of()),
            Err(error) => format!("the expression could not be evaluated: {error}"),
        };
        Some(Failure {
            index,
            message,
            expression: self.expression.span,
            reads: reads_of(&self.expression, variables),
        })
    }

    /// `messageExpression` when it evaluates to a string, else `message`, else the API
    /// server's default, with the `reason` when given.
    fn message(&self, bindings: &Bindings<'_>) -> String {
        let from_expression = self
            .message_expression
            .as_ref()
            .and_then(|field| bindings.evaluate(field).ok())
            .and_then(|value| k8s_cel::as_str(&value).map(str::to_owned));
        from_expression
            .or_else(|| self.message.clone())
            .unwrap_or_else(|| match &self.reason {
                Some(reason) => format!("failed expression ({reason})"),
                None => "failed expression".to_owned(),
            })
    }
}

/// The fields of `object` an expression reads, directly or, when it reads none, through the
/// variables.
fn reads_of(expression: &CelField, variables: &[(Arc<str>, CelField)]) -> Vec<Vec<String>> {
    let direct = expression.expression.object_paths();
    if !direct.is_empty() {
        return direct;
    }
    variables
        .iter()
        .flat_map(|(_, field)| field.expression.object_paths())
        .collect()
}
