//! The values templates compute with: Go's dynamic types as Helm's values become them
//! (`float64` numbers, `int`/`int64` from functions, strings, booleans, `map[string]interface{}`,
//! `[]interface{}`, nil), plus the few Helm structs (`.Chart`, `.Capabilities`, `.Files`).
//!
//! Every value keeps the [`Origin`] it was read from, and strings are [`Traced`], so what a
//! template prints can be traced back to the values file. Maps are shared and mutable, as Go
//! maps are: Sprig's `set` and `merge` change the map every holder sees, and charts rely on it.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

use super::text::{Origin, Traced};
use crate::yaml::{Node, Value, json_key};

/// Deepest nesting the recursive walks over values (printing, JSON, copies, comparisons)
/// follow; only a map that contains itself (Sprig's `set`) reaches it.
pub(crate) const MAX_DEPTH: usize = 512;

/// Go's two integer types that Helm's functions return: `int` (`len`, `int`, `atoi`) and
/// `int64` (`add`, `int64`, Sprig's arithmetic). `typeOf` tells them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IntType {
    Int,
    Int64,
}

#[derive(Clone, Debug)]
pub(crate) enum Kind {
    /// Go's nil interface: a missing map key, `nil`, an unset value.
    Nil,
    Bool(bool),
    Int(i64, IntType),
    Float(f64),
    Str(Traced),
    Map(MapRef),
    List(Rc<Vec<Val>>),
    Object(Rc<Object>),
}

/// A value and where it was written (for strings the [`Traced`] segments say more).
#[derive(Clone, Debug)]
pub(crate) struct Val {
    pub(crate) kind: Kind,
    pub(crate) origin: Option<Origin>,
}

/// One key of a map: where the key was written, and its value.
#[derive(Clone, Debug)]
pub(crate) struct Slot {
    pub(crate) key: Option<Origin>,
    pub(crate) value: Val,
}

pub(crate) type Map = BTreeMap<String, Slot>;
pub(crate) type MapRef = Rc<RefCell<Map>>;

/// A Go struct value Helm passes to templates: fields by name, and the methods it has.
#[derive(Debug)]
pub(crate) struct Object {
    /// Go's name of the type, as errors and `typeOf` print it.
    pub(crate) type_name: &'static str,
    pub(crate) fields: Vec<(&'static str, Val)>,
    pub(crate) methods: Methods,
}

/// The methods templates call on Helm's objects.
#[derive(Debug)]
pub(crate) enum Methods {
    None,
    /// `.Files`: file contents by path (already filtered by `.helmignore`).
    /// The contents are shared: every render of a chart reads the same files.
    Files(BTreeMap<String, Arc<[u8]>>),
    /// `.Capabilities.APIVersions` (`Has`).
    ApiVersions(Vec<String>),
    /// `.Capabilities.KubeVersion`: prints as its `Version` field.
    KubeVersion,
}

impl Val {
    pub(crate) fn nil() -> Val {
        Val::new(Kind::Nil)
    }

    pub(crate) fn new(kind: Kind) -> Val {
        Val { kind, origin: None }
    }

    pub(crate) fn with_origin(mut self, origin: Option<Origin>) -> Val {
        self.origin = origin;
        self
    }

    pub(crate) fn bool(flag: bool) -> Val {
        Val::new(Kind::Bool(flag))
    }

    pub(crate) fn int(number: i64) -> Val {
        Val::new(Kind::Int(number, IntType::Int))
    }

    pub(crate) fn int64(number: i64) -> Val {
        Val::new(Kind::Int(number, IntType::Int64))
    }

    pub(crate) fn float(number: f64) -> Val {
        Val::new(Kind::Float(number))
    }

    pub(crate) fn str(text: impl Into<String>) -> Val {
        Val::new(Kind::Str(Traced::plain(text)))
    }

    pub(crate) fn traced(text: Traced) -> Val {
        Val::new(Kind::Str(text))
    }

    pub(crate) fn list(items: Vec<Val>) -> Val {
        Val::new(Kind::List(Rc::new(items)))
    }

    pub(crate) fn map(map: Map) -> Val {
        Val::new(Kind::Map(Rc::new(RefCell::new(map))))
    }

    pub(crate) fn object(object: Object) -> Val {
        Val::new(Kind::Object(Rc::new(object)))
    }

    pub(crate) fn is_nil(&self) -> bool {
        matches!(self.kind, Kind::Nil)
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(text) => Some(&text.text),
            _ => None,
        }
    }

    /// Go's truth (`if`, `and`, `not`): false, 0, nil, and empty strings, maps and lists are
    /// false. Sprig's `empty` is its negation.
    pub(crate) fn truthy(&self) -> bool {
        match &self.kind {
            Kind::Nil => false,
            Kind::Bool(flag) => *flag,
            Kind::Int(number, _) => *number != 0,
            Kind::Float(number) => *number != 0.0,
            Kind::Str(text) => !text.is_empty(),
            Kind::Map(map) => !map.borrow().is_empty(),
            Kind::List(items) => !items.is_empty(),
            Kind::Object(object) => match &object.methods {
                Methods::Files(files) => !files.is_empty(),
                Methods::ApiVersions(versions) => !versions.is_empty(),
                Methods::None | Methods::KubeVersion => true,
            },
        }
    }

    /// Go's name of the dynamic type (`typeOf`, error messages).
    pub(crate) fn type_name(&self) -> &'static str {
        match &self.kind {
            Kind::Nil => "<nil>",
            Kind::Bool(_) => "bool",
            Kind::Int(_, IntType::Int) => "int",
            Kind::Int(_, IntType::Int64) => "int64",
            Kind::Float(_) => "float64",
            Kind::Str(_) => "string",
            Kind::Map(_) => "map[string]interface {}",
            Kind::List(_) => "[]interface {}",
            Kind::Object(object) => object.type_name,
        }
    }

    /// Go's reflect kind (`kindIs`, `kindOf`).
    pub(crate) fn kind_name(&self) -> &'static str {
        match &self.kind {
            Kind::Nil => "invalid",
            Kind::Bool(_) => "bool",
            Kind::Int(_, IntType::Int) => "int",
            Kind::Int(_, IntType::Int64) => "int64",
            Kind::Float(_) => "float64",
            Kind::Str(_) => "string",
            Kind::Map(_) => "map",
            Kind::List(_) => "slice",
            Kind::Object(object) => match object.methods {
                Methods::Files(_) => "map",
                Methods::ApiVersions(_) => "slice",
                Methods::None | Methods::KubeVersion => "ptr",
            },
        }
    }

    /// A copy sharing nothing mutable with the original (`deepCopy`, values handed to a render).
    /// A map that contains itself is cut at [`MAX_DEPTH`].
    pub(crate) fn deep_copy(&self) -> Val {
        self.deep_copy_at(0)
    }

    fn deep_copy_at(&self, depth: usize) -> Val {
        if depth > MAX_DEPTH {
            return Val::nil();
        }
        let kind = match &self.kind {
            Kind::Map(map) => {
                let copied = map
                    .borrow()
                    .iter()
                    .map(|(key, slot)| {
                        let slot = Slot {
                            key: slot.key,
                            value: slot.value.deep_copy_at(depth + 1),
                        };
                        (key.clone(), slot)
                    })
                    .collect();
                Kind::Map(Rc::new(RefCell::new(copied)))
            }
            Kind::List(items) => Kind::List(Rc::new(
                items
                    .iter()
                    .map(|item| item.deep_copy_at(depth + 1))
                    .collect(),
            )),
            other => other.clone(),
        };
        Val {
            kind,
            origin: self.origin,
        }
    }

    /// The value of `key` when this is a map.
    pub(crate) fn get(&self, key: &str) -> Option<Val> {
        match &self.kind {
            Kind::Map(map) => map.borrow().get(key).map(|slot| slot.value.clone()),
            _ => None,
        }
    }
}

/// Where a values-file node was written. A scalar whose span is as long as its text was
/// written verbatim (plain style), so its bytes map one to one.
fn node_origin(node: &Node, text_len: Option<usize>) -> Origin {
    let span = node.span;
    let exact = text_len.is_some_and(|len| (span.end - span.start) as usize == len);
    Origin { span, exact }
}

/// A values tree as Helm reads it: through JSON, so every number is a `float64` and every
/// key a string.
pub(crate) fn from_node(node: &Node) -> Val {
    from_node_with(node, &|node, text_len| Some(node_origin(node, text_len)))
}

/// [`from_node`] with origins computed by `origin_of(node, length of its text if a string)`
/// (`fromYaml` maps the parsed string's offsets back through its own origins).
pub(crate) fn from_node_with(
    node: &Node,
    origin_of: &dyn Fn(&Node, Option<usize>) -> Option<Origin>,
) -> Val {
    let kind = match &node.value {
        Value::Null => Kind::Nil,
        Value::Bool(flag) => Kind::Bool(*flag),
        Value::Int(number) => Kind::Float(*number as f64),
        Value::Float(number) => Kind::Float(*number),
        Value::Str(text) => {
            let origin = origin_of(node, Some(text.len()));
            let value = Val::traced(Traced::from_origin(text.to_string(), origin));
            return value.with_origin(origin);
        }
        Value::Seq(items) => Kind::List(Rc::new(
            items
                .iter()
                .map(|item| from_node_with(item, origin_of))
                .collect(),
        )),
        Value::Map(entries) => {
            let mut map = Map::new();
            for entry in entries.iter() {
                let Some(key) = json_key(&entry.key) else {
                    continue;
                };
                let slot = Slot {
                    key: origin_of(&entry.key, Some(key.len())),
                    value: from_node_with(&entry.value, origin_of),
                };
                map.insert(key.into_owned(), slot);
            }
            Kind::Map(Rc::new(RefCell::new(map)))
        }
    };
    Val {
        kind,
        origin: origin_of(node, None),
    }
}

/// A map from plain key/value pairs (the built-in objects).
pub(crate) fn map_of(pairs: Vec<(&str, Val)>) -> Val {
    let map = pairs
        .into_iter()
        .map(|(key, value)| (key.to_string(), Slot { key: None, value }))
        .collect();
    Val::map(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::yaml::{Limits, parse};

    fn values(text: &str) -> Val {
        let parsed = parse(FileId(0), text, Limits::default());
        let root = parsed
            .documents
            .first()
            .map(|document| document.root.clone());
        root.map(|root| from_node(&root)).unwrap_or_else(Val::nil)
    }

    #[test]
    fn numbers_from_values_are_floats_and_strings_keep_their_origin() {
        let root = values("replicas: 3\nimage: nginx\nquoted: \"x\"\n");
        let replicas = root.get("replicas").map(|value| value.type_name());
        assert_eq!(replicas, Some("float64"));
        let image = root.get("image").and_then(|value| value.origin);
        assert_eq!(
            image.map(|origin| (origin.span.start, origin.exact)),
            Some((19, true))
        );
        let quoted = root.get("quoted").and_then(|value| value.origin);
        assert_eq!(quoted.map(|origin| origin.exact), Some(false));
    }

    #[test]
    fn truth_follows_go() {
        assert!(!values("a: 0").get("a").is_some_and(|value| value.truthy()));
        assert!(!values("a: {}").get("a").is_some_and(|value| value.truthy()));
        assert!(
            values("a: [1]")
                .get("a")
                .is_some_and(|value| value.truthy())
        );
        assert!(!Val::nil().truthy());
    }
}
