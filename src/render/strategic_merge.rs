//! Strategic merge patches on the span-carrying tree, with Kubernetes' merge keys for the lists
//! a pod spec holds and the `$patch: delete|replace` directives. Values the patch writes keep
//! the patch's spans; values it leaves alone (or repeats unchanged) keep the base's.

use crate::render::tree_edit::{same_value, seq, with_key, without_key};
use crate::yaml::{Entry, Node, Value};

const DIRECTIVE: &str = "$patch";

/// Merge `patch` into the object `base`; `None` when the patch deletes it (`$patch: delete`).
/// Like kustomize, which rebuilds every keyed list of an object it patches, a repeated key
/// in such a list keeps only its first item, even where the patch does not reach.
pub(crate) fn merge(base: &Node, patch: &Node) -> Option<Node> {
    merge_node(base, patch).map(|merged| without_repeated_keys(None, &merged))
}

/// `node` with each keyed list (at any depth) holding one item per key, the first one. Unchanged
/// subtrees stay shared with `node`.
fn without_repeated_keys(key: Option<&str>, node: &Node) -> Node {
    deduplicated(key, node).unwrap_or_else(|| node.clone())
}

/// [`without_repeated_keys`], or `None` when nothing under `node` repeats a key.
fn deduplicated(key: Option<&str>, node: &Node) -> Option<Node> {
    match &node.value {
        Value::Map(entries) => {
            let changed: Vec<Option<Node>> = entries
                .iter()
                .map(|entry| deduplicated(entry.key.as_str(), &entry.value))
                .collect();
            if changed.iter().all(Option::is_none) {
                return None;
            }
            let entries: Vec<Entry> = entries
                .iter()
                .zip(changed)
                .map(|(entry, changed)| Entry {
                    key: entry.key.clone(),
                    value: changed.unwrap_or_else(|| entry.value.clone()),
                })
                .collect();
            Some(Node {
                span: node.span,
                value: Value::Map(entries.into()),
            })
        }
        Value::Seq(items) => {
            let identity = key.and_then(|key| merge_key(key, items));
            let mut kept: Vec<Node> = Vec::with_capacity(items.len());
            let mut changed = false;
            for item in items.iter() {
                let repeated = identity.is_some_and(|field| {
                    kept.iter()
                        .any(|earlier| same_identity(earlier, item, field))
                });
                if repeated {
                    changed = true;
                    continue;
                }
                match deduplicated(None, item) {
                    Some(item) => {
                        changed = true;
                        kept.push(item);
                    }
                    None => kept.push(item.clone()),
                }
            }
            changed.then(|| seq(node, kept))
        }
        _ => None,
    }
}

/// Whether two items of a keyed list have the same value of `field` (items without it are
/// never the same).
fn same_identity(a: &Node, b: &Node, field: &str) -> bool {
    a.get(field)
        .zip(b.get(field))
        .is_some_and(|(x, y)| same_value(x, y))
}

fn merge_node(base: &Node, patch: &Node) -> Option<Node> {
    let Some(patch_entries) = patch.as_map() else {
        return Some(keep_unchanged(base, patch));
    };
    match patch.get(DIRECTIVE).and_then(Node::as_str) {
        Some("delete") => return None,
        Some("replace") => return Some(strip_directives(patch)),
        _ => {}
    }
    if base.as_map().is_none() {
        return Some(strip_directives(patch));
    }
    let mut result = base.clone();
    for entry in patch_entries {
        let Some(key) = entry.key.as_str() else {
            continue;
        };
        if key.starts_with('$') {
            // `$patch`, `$setElementOrder/…`, `$retainKeys`: directives, not fields.
            continue;
        }
        result = merge_field(&result, key, entry);
    }
    Some(result)
}

fn merge_field(result: &Node, key: &str, entry: &Entry) -> Node {
    let value = &entry.value;
    if value.is_null() {
        return without_key(result, key);
    }
    let merged = match result.get(key) {
        Some(current) if current.as_map().is_some() && value.as_map().is_some() => {
            match merge_node(current, value) {
                Some(merged) => merged,
                None => return without_key(result, key),
            }
        }
        Some(current) if current.as_seq().is_some() && value.as_seq().is_some() => {
            merge_list(key, current, value)
        }
        Some(current) => keep_unchanged(current, value),
        None => match value.get(DIRECTIVE).and_then(Node::as_str) {
            Some("delete") => return result.clone(),
            _ => strip_directives(value),
        },
    };
    with_key(result, key, merged, entry.key.span)
}

/// The base node when the patch repeats its value, so inherited lines stay where they were
/// written; the patch's node otherwise.
fn keep_unchanged(base: &Node, patch: &Node) -> Node {
    if same_value(base, patch) {
        base.clone()
    } else {
        strip_directives(patch)
    }
}

/// The field that identifies an item of the list at `key`, for the lists that have one.
fn merge_key(key: &str, items: &[Node]) -> Option<&'static str> {
    match key {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "imagePullSecrets"
        | "env" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "volumeDevices" => Some("devicePath"),
        "hostAliases" => Some("ip"),
        // Container ports are keyed by containerPort, a Service's by port.
        "ports" if items.iter().any(|item| item.get("containerPort").is_some()) => {
            Some("containerPort")
        }
        "ports" if items.iter().any(|item| item.get("port").is_some()) => Some("port"),
        _ => None,
    }
}

fn merge_list(key: &str, base: &Node, patch: &Node) -> Node {
    let base_items = base.as_seq().unwrap_or_default();
    let patch_items = patch.as_seq().unwrap_or_default();
    let replace_all = patch_items
        .iter()
        .any(|item| item.get(DIRECTIVE).and_then(Node::as_str) == Some("replace"));
    let all_items: Vec<Node> = base_items.iter().chain(patch_items).cloned().collect();
    let merge_key = merge_key(key, &all_items).filter(|_| !replace_all);
    let Some(merge_key) = merge_key else {
        let kept: Vec<Node> = patch_items
            .iter()
            .filter(|item| item.get(DIRECTIVE).is_none())
            .map(strip_directives)
            .collect();
        return if replace_all || !same_value(base, &seq(patch, kept.clone())) {
            seq(patch, kept)
        } else {
            base.clone()
        };
    };
    // The patch's items come first, in the patch's order (merged with the base item of the
    // same key), then the items only the base has, in the base's order: kustomize's order.
    let mut remaining: Vec<Node> = base_items.to_vec();
    let mut result: Vec<Node> = Vec::new();
    for item in patch_items {
        let found = remaining
            .iter()
            .position(|current| same_identity(current, item, merge_key));
        match found {
            Some(index) => {
                let current = remaining.remove(index);
                result.extend(merge_node(&current, item));
            }
            None if item.get(DIRECTIVE).and_then(Node::as_str) == Some("delete") => {}
            None => result.push(strip_directives(item)),
        }
    }
    result.append(&mut remaining);
    seq(base, result)
}

/// A patch value without its `$…` directives, at any depth.
fn strip_directives(node: &Node) -> Node {
    match &node.value {
        Value::Map(entries) => {
            let kept: Vec<Entry> = entries
                .iter()
                .filter(|entry| !entry.key.as_str().is_some_and(|key| key.starts_with('$')))
                .map(|entry| Entry {
                    key: entry.key.clone(),
                    value: strip_directives(&entry.value),
                })
                .collect();
            Node {
                span: node.span,
                value: Value::Map(kept.into()),
            }
        }
        Value::Seq(items) => seq(node, items.iter().map(strip_directives).collect()),
        _ => node.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tree_edit::to_json;
    use crate::source::FileId;
    use crate::yaml::{Limits, parse};

    const BASE: &str = "\
spec:
  replicas: 1
  containers:
  - name: web
    image: nginx:1
    env:
    - {name: A, value: a}
    ports:
    - containerPort: 80
  - name: side
    image: busybox
  volumes:
  - name: data
    emptyDir: {}
  args: [x, y]
";

    fn trees(patch: &str) -> (Node, Node) {
        let base = parse(FileId(0), BASE, Limits::default()).documents[0]
            .root
            .clone();
        let patch = parse(FileId(1), patch, Limits::default()).documents[0]
            .root
            .clone();
        (base, patch)
    }

    fn container<'a>(root: &'a Node, name: &str) -> &'a Node {
        root.get("spec")
            .and_then(|s| s.get("containers"))
            .and_then(Node::as_seq)
            .and_then(|items| {
                items
                    .iter()
                    .find(|c| c.get("name").and_then(Node::as_str) == Some(name))
            })
            .expect("container")
    }

    #[test]
    fn containers_merge_by_name_and_keep_both_spans() {
        let (base, patch) = trees(
            "spec:\n  containers:\n  - name: web\n    image: nginx:2\n  - name: new\n    image: x\n",
        );
        let merged = merge(&base, &patch).expect("kept");
        let web = container(&merged, "web");
        let image = web.get("image").expect("image");
        assert_eq!(image.as_str(), Some("nginx:2"));
        assert_eq!(image.span.file, FileId(1));
        let env = web.get("env").expect("env");
        assert_eq!(env.span.file, FileId(0));
        assert_eq!(container(&merged, "side").span.file, FileId(0));
        assert_eq!(container(&merged, "new").span.file, FileId(1));
    }

    #[test]
    fn env_ports_and_mounts_merge_by_their_keys() {
        let (base, patch) = trees(
            "spec:\n  containers:\n  - name: web\n    env:\n    - {name: B, value: b}\n    - {name: A, value: z}\n    ports:\n    - {containerPort: 80, name: http}\n",
        );
        let merged = merge(&base, &patch).expect("kept");
        let web = to_json(container(&merged, "web"));
        assert_eq!(
            web["env"],
            serde_json::json!([{"name": "B", "value": "b"}, {"name": "A", "value": "z"}])
        );
        assert_eq!(
            web["ports"],
            serde_json::json!([{"containerPort": 80, "name": "http"}])
        );
    }

    #[test]
    fn delete_and_replace_directives() {
        let (base, patch) = trees(
            "spec:\n  containers:\n  - {name: side, $patch: delete}\n  volumes:\n  - $patch: replace\n  - name: cache\n    emptyDir: {}\n  replicas: null\n",
        );
        let merged = to_json(&merge(&base, &patch).expect("kept"));
        let names: Vec<_> = merged["spec"]["containers"]
            .as_array()
            .expect("list")
            .iter()
            .map(|c| c["name"].clone())
            .collect();
        assert_eq!(names, [serde_json::json!("web")]);
        assert_eq!(
            merged["spec"]["volumes"],
            serde_json::json!([{"name": "cache", "emptyDir": {}}])
        );
        assert!(merged["spec"].get("replicas").is_none());
        let (base, patch) = trees("spec:\n  $patch: delete\n");
        assert!(
            to_json(&merge(&base, &patch).expect("kept"))
                .get("spec")
                .is_none()
        );
        let (base, patch) = trees("spec:\n  $patch: replace\n  replicas: 3\n");
        assert_eq!(
            to_json(&merge(&base, &patch).expect("kept"))["spec"],
            serde_json::json!({"replicas": 3})
        );
    }

    #[test]
    fn repeated_keys_keep_their_first_item_anywhere_in_a_patched_object() {
        let base_text = "spec:\n  containers:\n  - name: web\n    env:\n    - {name: A, value: '1'}\n    - {name: B, value: b}\n    - {name: A, value: '2'}\n  args: [x, x]\n";
        let repeated = parse(FileId(0), base_text, Limits::default()).documents[0]
            .root
            .clone();
        let (_, patch) = trees("spec:\n  replicas: 2\n");
        let merged = to_json(&merge(&repeated, &patch).expect("kept"));
        assert_eq!(
            merged["spec"]["containers"][0]["env"],
            serde_json::json!([{"name": "A", "value": "1"}, {"name": "B", "value": "b"}])
        );
        assert_eq!(merged["spec"]["args"], serde_json::json!(["x", "x"]));
    }

    #[test]
    fn unknown_lists_are_replaced_and_repeated_values_keep_the_base_span() {
        let (base, patch) = trees("spec:\n  args: [z]\n  replicas: 1\n");
        let merged = merge(&base, &patch).expect("kept");
        let spec = merged.get("spec").expect("spec");
        assert_eq!(
            to_json(spec.get("args").expect("args")),
            serde_json::json!(["z"])
        );
        assert_eq!(spec.get("replicas").expect("replicas").span.file, FileId(0));
    }
}
