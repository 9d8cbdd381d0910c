//! The CEL environment Kubernetes policies are written for: the standard macros, optional
//! values (`a.?b`, `.orValue()`), and the Kubernetes libraries (lists, strings, regex, URLs,
//! IP/CIDR, quantities, `format`), with a cost limit so that a hostile expression ends with an
//! error instead of a hang.
//!
//! The interpreter is the `cel` crate (cel-rust). Among the Rust implementations it is the one
//! that is maintained (regular releases, a spec conformance suite in CI), parses with the
//! official ANTLR grammar, supports the optional syntax and ships cel-go's strings and lists
//! extensions. What it lacks is added here: the libraries Kubernetes registers on top of
//! cel-go (`library.rs`, `quantity.rs`, `network.rs`) and a runtime limit (`budget.rs`):
//! cel-rust has no cost tracking, so every comprehension's range is charged to the evaluation
//! and one that passes the limit is an error. The `regex` and `chrono` features are enabled:
//! `chrono` gives the `duration()` and `timestamp()` types Kubernetes' CEL has (comparison,
//! arithmetic, the `get…` accessors, with time zone names through `chrono-tz`), which policies
//! use on fields such as `metadata.creationTimestamp` or a CRD's timeout.
//!
//! Positions: a compile error names the offset in the expression; `place.rs` maps it to the
//! file position of the YAML scalar the expression was written in, through block and flow
//! scalar folding.

mod budget;
mod library;
mod network;
mod paths;
mod place;
mod quantity;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use cel::common::value::{CowVal, Val};
use cel::context::VariableResolver;
use cel::objects::{Key, Map};
use cel::{Context, Env, ExecutionError, Value};

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::source::Span;
use crate::yaml::{Node, Value as Yaml};

static ENVIRONMENT: LazyLock<Result<Arc<Env>, String>> = LazyLock::new(|| {
    let mut env = Env::stdlib();
    let declared = env
        .add_extension(cel::extensions::strings)
        .and_then(|()| env.add_extension(cel::extensions::lists))
        .and_then(|()| env.add_extension(library::kubernetes))
        .and_then(|()| {
            let range = vec![cel::common::types::DYN_TYPE];
            env.add_overload(budget::BUDGET, "k8s.budget", range, budget::charge)
        });
    declared
        .map(|()| Arc::new(env))
        .map_err(|error| error.to_string())
});

/// A compiled expression, its comprehensions charged to the evaluation's budget.
#[derive(Clone, Debug)]
pub struct Expression {
    instrumented: cel::parser::Expression,
}

/// Why an expression does not compile: the message and the byte offset in the expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    pub message: String,
    pub offset: usize,
}

/// Compiles `source` in the Kubernetes environment.
pub fn compile(source: &str) -> Result<Expression, CompileError> {
    let env = environment().map_err(|message| CompileError { message, offset: 0 })?;
    match env.compile(source) {
        Ok(program) => Ok(Expression {
            instrumented: budget::instrument(program.expression()),
        }),
        Err(errors) => {
            let first = errors.errors.first();
            let (line, column) = first.map_or((1, 0), |error| error.pos);
            Err(CompileError {
                message: first.map_or_else(|| errors.to_string(), |error| error.msg.clone()),
                offset: offset_of(source, line, column),
            })
        }
    }
}

impl Expression {
    /// The field paths of `object` the expression reads (`["spec", "hostNetwork"]`).
    pub fn object_paths(&self) -> Vec<Vec<String>> {
        self.paths_from("object")
    }

    /// The field paths of the variable `root` the expression reads.
    pub fn paths_from(&self, root: &str) -> Vec<Vec<String>> {
        paths::read_paths(&self.instrumented, root)
    }
}

/// Compiles the expression the YAML scalar `node` holds; `file_text` is the text of the file it
/// was read from. A compile error is an `invalid-cel` diagnostic at the line and column inside
/// the scalar.
pub fn compile_scalar(node: &Node, file_text: &str) -> Result<Expression, Diagnostic> {
    let Some(source) = node.as_str() else {
        return Err(Diagnostic::error(
            Code::InvalidCel,
            Location::Span(node.span),
            format!(
                "a CEL expression must be a string, not {}",
                node.describe_type()
            ),
        ));
    };
    compile(source).map_err(|failure| {
        let (start, end) = (node.span.start as usize, node.span.end as usize);
        let raw = file_text.get(start..end).unwrap_or_default();
        let at = start + place::raw_offset(raw, source, failure.offset);
        let span = Span::new(node.span.file, at, (at + 1).min(end.max(at)));
        Diagnostic::error(
            Code::InvalidCel,
            Location::Span(span),
            format!("CEL expression does not compile: {}", failure.message),
        )
    })
}

fn environment() -> Result<Arc<Env>, String> {
    ENVIRONMENT.as_ref().map(Arc::clone).map_err(Clone::clone)
}

/// The byte offset of a 1-based line and 1-based character column in `source`.
fn offset_of(source: &str, line: isize, column: isize) -> usize {
    let line = usize::try_from(line.saturating_sub(1)).unwrap_or(0);
    let column = usize::try_from(column.saturating_sub(1)).unwrap_or(0);
    let line_start: usize = source.split_inclusive('\n').take(line).map(str::len).sum();
    let rest = source.get(line_start..).unwrap_or_default();
    line_start
        + rest
            .char_indices()
            .nth(column)
            .map_or(rest.len(), |(at, _)| at)
}

/// Variables converted once to the interpreter's values, so that evaluating many expressions
/// on one object does not convert the object again for each; a child set sees its parent's
/// variables under its own.
#[derive(Debug, Default)]
pub struct Variables<'p> {
    parent: Option<&'p Variables<'p>>,
    values: Vec<(String, Box<dyn Val>)>,
}

impl<'p> Variables<'p> {
    /// A set that adds to (and may shadow) this one.
    pub fn child(&'p self) -> Variables<'p> {
        Variables {
            parent: Some(self),
            values: Vec::new(),
        }
    }

    /// Binds `name`, replacing its value in this set.
    pub fn set(&mut self, name: &str, value: Value) {
        let Ok(converted) = Box::<dyn Val>::try_from(value) else {
            return;
        };
        match self.values.iter_mut().find(|(known, _)| known == name) {
            Some(slot) => slot.1 = converted,
            None => self.values.push((name.to_owned(), converted)),
        }
    }
}

impl VariableResolver for Variables<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        let own = self.values.iter().find(|(name, _)| name == variable);
        match own {
            Some((_, value)) => Some(CowVal::Borrowed(value.as_ref())),
            None => self.parent?.resolve(variable),
        }
    }
}

/// Evaluates `expression` with `variables`; an evaluation that runs more than the iteration
/// limit's comprehension steps is an error.
pub fn evaluate(expression: &Expression, variables: &Variables<'_>) -> Result<Value, String> {
    let env = environment()?;
    let mut context = Context::with_env(env);
    context.set_variable_resolver(variables);
    budget::reset();
    Value::resolve(&expression.instrumented, &context).map_err(|error| describe(&error))
}

fn describe(error: &ExecutionError) -> String {
    match error {
        ExecutionError::NoSuchKey(key) => format!("no such key: {key}"),
        other => other.to_string(),
    }
}

/// The CEL value of a YAML tree, as the API server sees the JSON object: whole-number floats
/// are integers, map keys are strings.
pub fn value_of(node: &Node) -> Value {
    match &node.value {
        Yaml::Null => Value::Null,
        Yaml::Bool(flag) => Value::Bool(*flag),
        Yaml::Int(number) => Value::Int(*number),
        Yaml::Float(number) => {
            crate::yaml::whole_number(*number).map_or(Value::Float(*number), Value::Int)
        }
        Yaml::Str(text) => Value::String(Arc::new(text.to_string())),
        Yaml::Seq(items) => Value::List(Arc::new(items.iter().map(value_of).collect())),
        Yaml::Map(entries) => {
            let map: HashMap<Key, Value> = entries
                .iter()
                .filter_map(|entry| {
                    let key = crate::yaml::json_key(&entry.key)?;
                    Some((
                        Key::String(Arc::new(key.into_owned())),
                        value_of(&entry.value),
                    ))
                })
                .collect();
            Value::Map(Map { map: Arc::new(map) })
        }
    }
}

/// A map value from string keys, for variables such as `variables` and `namespaceObject`.
pub fn map_of(entries: impl IntoIterator<Item = (String, Value)>) -> Value {
    let map: HashMap<Key, Value> = entries
        .into_iter()
        .map(|(key, value)| (Key::String(Arc::new(key)), value))
        .collect();
    Value::Map(Map { map: Arc::new(map) })
}

/// The string a value is, if it is one.
pub fn as_str(value: &Value) -> Option<&str> {
    match value {
        Value::String(text) => Some(text),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
