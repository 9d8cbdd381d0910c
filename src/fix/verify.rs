//! The last guard before a file is written: the edited text must parse to the same documents
//! as before, except for the fields that fixes own. A bug in placing text therefore leaves the
//! file alone instead of corrupting it.

use serde_json::Value as Json;

use crate::render::tree_edit::to_json;
use crate::source::FileId;
use crate::yaml::{Limits, Node, parse};

/// Pod spec fields that a fix may remove.
const POD_FIELDS: &[&str] = &["hostNetwork", "hostIPC", "hostPID"];
/// Probes that a fix may give a `tcpSocket` handler.
const PROBES: &[&str] = &["readinessProbe", "livenessProbe"];
/// securityContext fields that a fix may set.
const SECURITY_FIELDS: &[&str] = &[
    "privileged",
    "allowPrivilegeEscalation",
    "readOnlyRootFilesystem",
    "runAsNonRoot",
];

/// Whether `after` parses like `before`, with the same errors, documents and values outside
/// the fields fixes own.
pub(crate) fn same_objects(before: &str, after: &str) -> bool {
    let old = parse(FileId(0), before, Limits::default());
    let new = parse(FileId(0), after, Limits::default());
    let codes = |errors: &[crate::yaml::YamlError]| -> Vec<crate::diagnostic::Code> {
        errors.iter().map(|error| error.code).collect()
    };
    codes(&old.errors) == codes(&new.errors)
        && old.documents.len() == new.documents.len()
        && old
            .documents
            .iter()
            .zip(&new.documents)
            .all(|(a, b)| a.index == b.index && comparable(&a.root) == comparable(&b.root))
}

/// The tree as JSON without the fields fixes own: host namespace flags, `hostPort`s, the
/// securityContext flags and capabilities, placeholder quantities and probe handlers. What
/// that leaves empty, and null values, count as absent.
pub(crate) fn comparable(root: &Node) -> Json {
    let mut value = to_json(root);
    let mut stack = vec![&mut value];
    while let Some(node) = stack.pop() {
        match node {
            Json::Object(map) => {
                for field in POD_FIELDS {
                    map.remove(*field);
                }
                strip_placeholders(map);
                if let Some(Json::Array(ports)) = map.get_mut("ports") {
                    for port in ports.iter_mut() {
                        if let Json::Object(port) = port {
                            port.remove("hostPort");
                        }
                    }
                }
                strip_security_context(map);
                strip_patch_value(map);
                stack.extend(map.values_mut());
            }
            Json::Array(items) => stack.extend(items.iter_mut()),
            _ => {}
        }
    }
    value
}

/// Placeholder quantities (`resources.{requests,limits}.{cpu,memory}`) and `tcpSocket`
/// handlers; what they leave empty counts as absent.
fn strip_placeholders(map: &mut serde_json::Map<String, Json>) {
    if let Some(Json::Object(resources)) = map.get_mut("resources") {
        for section in ["requests", "limits"] {
            if let Some(Json::Object(quantities)) = resources.get_mut(section) {
                quantities.remove("cpu");
                quantities.remove("memory");
            }
            remove_if_empty(resources, section);
        }
    }
    remove_if_empty(map, "resources");
    for probe in PROBES {
        if let Some(Json::Object(handlers)) = map.get_mut(*probe) {
            handlers.remove("tcpSocket");
        }
        remove_if_empty(map, probe);
    }
}

/// Remove `key` when its value is null or an empty mapping.
fn remove_if_empty(map: &mut serde_json::Map<String, Json>, key: &str) {
    let empty = match map.get(key) {
        Some(Json::Object(fields)) => fields.is_empty(),
        Some(Json::Null) => true,
        _ => false,
    };
    if empty {
        map.remove(key);
    }
}

fn strip_security_context(map: &mut serde_json::Map<String, Json>) {
    if let Some(Json::Object(fields)) = map.get_mut("securityContext") {
        for field in SECURITY_FIELDS {
            fields.remove(*field);
        }
        strip_capabilities(fields);
    }
    remove_if_empty(map, "securityContext");
}

fn strip_capabilities(map: &mut serde_json::Map<String, Json>) {
    if let Some(Json::Object(capabilities)) = map.get_mut("capabilities") {
        capabilities.remove("add");
        capabilities.remove("drop");
    }
    remove_if_empty(map, "capabilities");
}

/// A JSON patch operation (`op`, `path`, `value`) writes its value at `path`: the value is
/// stripped as it would be there, when that is a securityContext or its capabilities.
fn strip_patch_value(map: &mut serde_json::Map<String, Json>) {
    if !map.contains_key("op") {
        return;
    }
    let Some(last) = map
        .get("path")
        .and_then(Json::as_str)
        .and_then(|path| path.rsplit('/').next())
        .map(str::to_owned)
    else {
        return;
    };
    let Some(value) = map.get_mut("value") else {
        return;
    };
    let mut holder = serde_json::Map::new();
    holder.insert(last.clone(), std::mem::take(value));
    match last.as_str() {
        "securityContext" => strip_security_context(&mut holder),
        "capabilities" => strip_capabilities(&mut holder),
        _ => {}
    }
    *value = holder.remove(&last).unwrap_or(Json::Null);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_fields_are_ignored_and_others_compared() {
        let before = "a: 1\nspec:\n  hostNetwork: true\n  containers:\n  - name: x\n";
        let after = "a: 1\nspec:\n  containers:\n  - name: x\n    securityContext:\n      capabilities:\n        drop: [ALL]\n";
        assert!(same_objects(before, after));
        assert!(!same_objects(before, "a: 2\n"));
        assert!(!same_objects(before, "a: 1\n---\nb: 2\n"));
        assert!(!same_objects(before, "a: [1\n"));
        let patch =
            "- op: add\n  path: /x/securityContext/capabilities\n  value:\n    add: [SYS_ADMIN]\n";
        let fixed = "- op: add\n  path: /x/securityContext/capabilities\n  value:\n    add: []\n    drop: [ALL]\n";
        assert!(same_objects(patch, fixed));
    }
}
