//! The last guard before a file is written: the edited text must parse to the same documents
//! as before, except for the fields that fixes own. A bug in placing text therefore leaves the
//! file alone instead of corrupting it.

use serde_json::Value as Json;

use crate::render::tree_edit::to_json;
use crate::source::FileId;
use crate::yaml::{Limits, Node, parse};

/// Pod spec fields that a fix may remove.
const POD_FIELDS: &[&str] = &["hostNetwork", "hostIPC", "hostPID"];
/// Container fields that a fix may add to.
const CONTAINER_FIELDS: &[&str] = &["resources", "readinessProbe", "livenessProbe"];
/// securityContext fields that a fix may set.
const SECURITY_FIELDS: &[&str] = &[
    "privileged",
    "allowPrivilegeEscalation",
    "readOnlyRootFilesystem",
    "runAsNonRoot",
];

/// Whether `after` parses like `before`, with the same errors, documents and values outside
/// the fields fixes own.
pub fn same_objects(before: &str, after: &str) -> bool {
    let old = parse(FileId(0), before, Limits::default());
    let new = parse(FileId(0), after, Limits::default());
    let codes = |errors: &[crate::yaml::YamlError]| -> Vec<&'static str> {
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

/// The tree as JSON without the fields fixes own; emptied securityContexts, capabilities and
/// null values of those fields count as absent.
pub fn comparable(root: &Node) -> Json {
    let mut value = to_json(root);
    let mut stack = vec![&mut value];
    while let Some(node) = stack.pop() {
        match node {
            Json::Object(map) => {
                for field in POD_FIELDS.iter().chain(CONTAINER_FIELDS) {
                    map.remove(*field);
                }
                if let Some(Json::Array(ports)) = map.get_mut("ports") {
                    for port in ports.iter_mut() {
                        if let Json::Object(port) = port {
                            port.remove("hostPort");
                        }
                    }
                }
                strip_security_context(map);
                stack.extend(map.values_mut());
            }
            Json::Array(items) => stack.extend(items.iter_mut()),
            _ => {}
        }
    }
    value
}

fn strip_security_context(map: &mut serde_json::Map<String, Json>) {
    let Some(context) = map.get_mut("securityContext") else {
        return;
    };
    if let Json::Object(fields) = context {
        for field in SECURITY_FIELDS {
            fields.remove(*field);
        }
        if let Some(Json::Object(capabilities)) = fields.get_mut("capabilities") {
            capabilities.remove("add");
            capabilities.remove("drop");
        }
        let empty_capabilities = match fields.get("capabilities") {
            Some(Json::Object(capabilities)) => capabilities.is_empty(),
            Some(Json::Null) => true,
            _ => false,
        };
        if empty_capabilities {
            fields.remove("capabilities");
        }
    }
    let empty = match map.get("securityContext") {
        Some(Json::Object(fields)) => fields.is_empty(),
        Some(Json::Null) => true,
        _ => false,
    };
    if empty {
        map.remove("securityContext");
    }
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
    }
}
