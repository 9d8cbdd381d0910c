//! Recognising a finding across edits: the field path of its primary label and a fingerprint
//! built from what the finding is about, never from where it is in the file. The baseline
//! uses it; SARIF `partialFingerprints` can use the same value.

use std::fmt::Write;

use crate::evaluate::finding::Finding;
use crate::source::Span;
use crate::yaml::{Node, Value};

/// The path from `root` to the node (or mapping key) written at `target`, such as
/// `spec.template.spec.containers[web].securityContext.privileged`. Sequence items are named by
/// their `name` field, or by their text for scalars, so inserting an item elsewhere keeps the
/// path; only items without either fall back to their index. Empty when `target` is not in
/// `root` (or is `root` itself).
pub(crate) fn field_path(root: &Node, target: Span) -> String {
    let mut path = String::new();
    let mut node = root;
    // Only children whose span holds the target are visited, so this is one walk down.
    'descend: loop {
        match &node.value {
            Value::Map(entries) => {
                for entry in entries.iter() {
                    let key = entry.key.as_str().unwrap_or("?");
                    if entry.key.span == target {
                        push_key(&mut path, key);
                        return path;
                    }
                    if contains(entry.value.span, target) {
                        push_key(&mut path, key);
                        if entry.value.span == target {
                            return path;
                        }
                        node = &entry.value;
                        continue 'descend;
                    }
                }
                return path;
            }
            Value::Seq(items) => {
                for (index, item) in items.iter().enumerate() {
                    if contains(item.span, target) {
                        let _ = write!(path, "[{}]", item_name(item, index));
                        if item.span == target {
                            return path;
                        }
                        node = item;
                        continue 'descend;
                    }
                }
                return path;
            }
            _ => return path,
        }
    }
}

fn contains(outer: Span, inner: Span) -> bool {
    outer.file == inner.file && outer.start <= inner.start && inner.end <= outer.end
}

fn push_key(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
}

fn item_name(item: &Node, index: usize) -> String {
    let named = item.get("name").and_then(Node::as_str);
    match (named, &item.value) {
        (Some(name), _) => name.to_owned(),
        (None, Value::Str(text)) => text.to_string(),
        (None, Value::Int(number)) => number.to_string(),
        _ => index.to_string(),
    }
}

impl Finding {
    /// A stable identity of the finding: check, object (apiVersion, kind, namespace, name),
    /// container name and field path, and for a chart rendered with a configured values set
    /// the set's name (the same chart's renders are often the same objects: a finding of the
    /// `prod` set is not the default render's), hashed to 16 hex digits.
    pub fn fingerprint(&self) -> String {
        let object = &self.object;
        let container = self
            .container
            .as_ref()
            .and_then(|container| container.name.as_deref());
        let mut parts = vec![
            self.rule.meta.id,
            &object.api_version,
            &object.kind,
            object.namespace.as_deref().unwrap_or(""),
            object.name.as_deref().unwrap_or(""),
            container.unwrap_or(""),
            &self.field,
        ];
        parts.extend(self.values_set.as_deref());
        format!("{:016x}", fnv1a(&parts))
    }
}

/// FNV-1a over the parts, each followed by a separator byte that cannot occur in them: small,
/// dependency-free and stable across Rust versions (unlike `DefaultHasher`).
fn fnv1a(parts: &[&str]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0xff)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::yaml::{Limits, parse};

    fn root(text: &str) -> Node {
        parse(FileId(0), text, Limits::default())
            .documents
            .remove(0)
            .root
    }

    fn span_of(text: &str, needle: &str) -> Span {
        let start = text.find(needle).expect("needle");
        Span::new(FileId(0), start, start + needle.len())
    }

    #[test]
    fn paths_name_items_by_their_name_or_text() {
        let text = "spec:\n  containers:\n  - name: web\n    securityContext:\n      capabilities:\n        add: [CHOWN, SYS_ADMIN]\n";
        let tree = root(text);
        assert_eq!(
            field_path(&tree, span_of(text, "SYS_ADMIN")),
            "spec.containers[web].securityContext.capabilities.add[SYS_ADMIN]"
        );
        assert_eq!(
            field_path(&tree, span_of(text, "web")),
            "spec.containers[web].name"
        );
        assert_eq!(field_path(&tree, span_of(text, "spec")), "spec");
    }

    #[test]
    fn fnv1a_is_stable() {
        assert_eq!(fnv1a(&[]), 0xcbf2_9ce4_8422_2325);
        assert_ne!(fnv1a(&["ab", "c"]), fnv1a(&["a", "bc"]));
    }
}
