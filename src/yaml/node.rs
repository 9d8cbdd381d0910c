//! The span-carrying tree: [`Node`], its [`Value`] and mapping [`Entry`]s, and the accessors
//! every later stage reads it with.

use std::sync::Arc;

use super::json::whole_number;
use crate::source::Span;

/// A YAML value with the span where it was written.
#[derive(Clone, Debug)]
pub struct Node {
    pub span: Span,
    pub value: Value,
}

#[derive(Clone, Debug)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
    Seq(Arc<[Node]>),
    Map(Arc<[Entry]>),
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub key: Node,
    pub value: Node,
}

impl Node {
    /// The value of `key` in a mapping; the last one wins if a key is repeated (the loader
    /// reports repeated keys). Null values count as absent, as Kubernetes treats them.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key)
            .map(|entry| &entry.value)
            .filter(|node| !node.is_null())
    }

    /// The entry of `key`, including its key span, even when its value is null.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?
            .iter()
            .rev()
            .find(|entry| entry.key.as_str() == Some(key))
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(flag) => Some(flag),
            _ => None,
        }
    }

    /// An integer as the API server reads it: JSON has one kind of number, so a whole-number
    /// float (`80.0`, `8e1`, `080`) is the integer it spells.
    pub fn as_int(&self) -> Option<i64> {
        match self.value {
            Value::Int(number) => Some(number),
            Value::Float(number) => whole_number(number),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The value's type with its article, for error messages: "a string", "an integer".
    pub fn describe_type(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a sequence",
            Value::Map(_) => "a mapping",
        }
    }
}
