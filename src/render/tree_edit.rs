//! Persistent edits of span-carrying trees: every edit returns a new tree that shares the
//! untouched nodes (and so their spans) with the old one.

use std::sync::Arc;

use crate::source::Span;
use crate::yaml::{Entry, Node, Value};

/// A string node written at `span`.
pub fn text(span: Span, value: &str) -> Node {
    Node {
        span,
        value: Value::Str(value.into()),
    }
}

/// An empty mapping written at `span`.
pub fn empty_map(span: Span) -> Node {
    Node {
        span,
        value: Value::Map(Arc::from(Vec::new())),
    }
}

/// `node` with `key` set to `value`: an existing entry keeps its key node, a new entry gets a
/// key node at `span` (the place that asked for the key). A non-mapping becomes a mapping.
pub fn with_key(node: &Node, key: &str, value: Node, span: Span) -> Node {
    let mut entries: Vec<Entry> = node.as_map().map(<[Entry]>::to_vec).unwrap_or_default();
    let position = entries
        .iter()
        .rposition(|entry| entry.key.as_str() == Some(key));
    match position {
        Some(index) => {
            if let Some(entry) = entries.get_mut(index) {
                entry.value = value;
            }
        }
        None => entries.push(Entry {
            key: text(span, key),
            value,
        }),
    }
    Node {
        span: node.span,
        value: Value::Map(entries.into()),
    }
}

/// `node` without the entries of `key`.
pub fn without_key(node: &Node, key: &str) -> Node {
    let entries: Vec<Entry> = node
        .as_map()
        .unwrap_or_default()
        .iter()
        .filter(|entry| entry.key.as_str() != Some(key))
        .cloned()
        .collect();
    Node {
        span: node.span,
        value: Value::Map(entries.into()),
    }
}

/// A sequence node with the span of `like`.
pub fn seq(like: &Node, items: Vec<Node>) -> Node {
    Node {
        span: like.span,
        value: Value::Seq(items.into()),
    }
}

/// Rewrite the value at `path` with `edit`, which receives the current value (if any) and
/// returns the new one (`None` leaves the tree unchanged). Missing mappings on the way are
/// created at `span` when `create` is set; otherwise a missing path leaves the tree unchanged.
pub fn update_at(
    node: &Node,
    path: &[&str],
    span: Span,
    create: bool,
    edit: &mut dyn FnMut(Option<&Node>) -> Option<Node>,
) -> Option<Node> {
    let Some((first, rest)) = path.split_first() else {
        return edit(Some(node));
    };
    let child = node.get(first);
    let new_child = match (child, rest.is_empty()) {
        (Some(child), _) => update_at(child, rest, span, create, edit)?,
        (None, true) => edit(None)?,
        (None, false) if create => update_at(&empty_map(span), rest, span, create, edit)?,
        (None, false) => return None,
    };
    if node.as_map().is_none() && !create {
        return None;
    }
    Some(with_key(node, first, new_child, span))
}

/// Apply `edit` to every item of the sequence at `key` of a mapping; `None` if nothing changed.
pub fn update_items(
    node: &Node,
    key: &str,
    edit: &mut dyn FnMut(&Node) -> Option<Node>,
) -> Option<Node> {
    let entry = node.entry(key)?;
    let items = entry.value.as_seq()?;
    let mut changed = false;
    let new_items: Vec<Node> = items
        .iter()
        .map(|item| match edit(item) {
            Some(new) => {
                changed = true;
                new
            }
            None => item.clone(),
        })
        .collect();
    changed.then(|| with_key(node, key, seq(&entry.value, new_items), entry.key.span))
}

/// Structural equality that ignores spans (and so where values were written).
pub fn same_value(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Int(x), Value::Float(y)) | (Value::Float(y), Value::Int(x)) => *x as f64 == *y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Seq(x), Value::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| same_value(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|entry| {
                    entry
                        .key
                        .as_str()
                        .and_then(|key| b.entry(key))
                        .is_some_and(|other| same_value(&entry.value, &other.value))
                })
        }
        _ => false,
    }
}

/// The tree as JSON, for comparisons and for the JSON-patch types.
pub fn to_json(node: &Node) -> serde_json::Value {
    use serde_json::Value as Json;
    match &node.value {
        Value::Null => Json::Null,
        Value::Bool(flag) => Json::Bool(*flag),
        Value::Int(number) => Json::from(*number),
        Value::Float(number) => {
            serde_json::Number::from_f64(*number).map_or(Json::Null, Json::Number)
        }
        Value::Str(text) => Json::String(text.to_string()),
        Value::Seq(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|entry| (key_text(&entry.key), to_json(&entry.value)))
                .collect(),
        ),
    }
}

fn key_text(key: &Node) -> String {
    match &key.value {
        Value::Str(text) => text.to_string(),
        _ => to_json(key).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::yaml::{Limits, parse};

    fn tree(text: &str) -> Node {
        parse(FileId(0), text, Limits::default()).documents[0]
            .root
            .clone()
    }

    #[test]
    fn update_at_creates_missing_maps_at_the_given_span() {
        let root = tree("a: {b: 1}\n");
        let span = Span::new(FileId(1), 3, 4);
        let updated = update_at(&root, &["a", "c", "d"], span, true, &mut |_| {
            Some(text(span, "x"))
        })
        .expect("changed");
        let c = updated.get("a").and_then(|a| a.get("c")).expect("created");
        assert_eq!(c.span, span);
        assert_eq!(
            updated
                .get("a")
                .and_then(|a| a.get("b"))
                .map(|b| b.span.start),
            Some(7)
        );
        assert!(update_at(&root, &["x", "y"], span, false, &mut |_| None).is_none());
    }

    #[test]
    fn equality_ignores_spans_and_key_order() {
        assert!(same_value(
            &tree("{a: 1, b: [x]}"),
            &tree("b:\n- x\na: 1\n")
        ));
        assert!(!same_value(&tree("{a: 1}"), &tree("{a: '1'}")));
    }
}
