//! Kubernetes objects: documents with an `apiVersion` and a `kind`, with `List` kinds unwrapped.

use std::sync::Arc;

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::source::FileId;
use crate::yaml::{Document, Node};

/// Who an object is, for reports.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ObjectId {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
}

impl ObjectId {
    /// The API group: the part of `apiVersion` before the `/`, empty for the core group.
    pub fn group(&self) -> &str {
        group_of(&self.api_version)
    }
}

/// The API group of an `apiVersion`: the part before the `/`, empty for the core group.
pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(group, _)| group)
}

#[derive(Clone, Debug)]
pub struct Object {
    pub id: Arc<ObjectId>,
    pub file: FileId,
    pub root: Node,
    /// Set for objects from Helm output: the template named by the `# Source:` comment.
    pub helm_template: Option<String>,
    /// The kustomizations (overlay roots) the object was rendered through; empty for a plain
    /// manifest.
    pub via: Vec<FileId>,
}

/// Turn parsed documents into objects. Documents that are not Kubernetes objects (no
/// `apiVersion` and `kind`: values files, CI workflows, compose files) are skipped silently.
pub fn objects_of(file: FileId, documents: &[Document]) -> (Vec<Object>, Vec<Diagnostic>) {
    let mut objects = Vec::new();
    let mut diagnostics = Vec::new();
    for document in documents {
        let Some(id) = identify(&document.root) else {
            continue;
        };
        let make = |root: &Node, id: ObjectId| Object {
            id: Arc::new(id),
            file,
            root: root.clone(),
            helm_template: document.helm_source.clone(),
            via: Vec::new(),
        };
        if !is_list_kind(&id.kind) {
            objects.push(make(&document.root, id));
            continue;
        }
        let Some(items_entry) = document.root.entry("items") else {
            // A `*List` kind without `items` is an ordinary object (e.g. a CRD named so).
            objects.push(make(&document.root, id));
            continue;
        };
        let items = &items_entry.value;
        if items.is_null() {
            continue;
        }
        let Some(items) = items.as_seq() else {
            diagnostics.push(Diagnostic::error(
                Code::InvalidList,
                Location::Span(items.span),
                format!(
                    "`items` of a {} must be a sequence, not {}",
                    id.kind,
                    items.describe_type()
                ),
            ));
            continue;
        };
        for item in items {
            match identify(item) {
                Some(item_id) => objects.push(make(item, item_id)),
                None => diagnostics.push(Diagnostic::error(
                    Code::InvalidListItem,
                    Location::Span(item.span),
                    format!(
                        "an item of a {} must be an object with `apiVersion` and `kind`",
                        id.kind
                    ),
                )),
            }
        }
    }
    (objects, diagnostics)
}

fn is_list_kind(kind: &str) -> bool {
    kind.ends_with("List")
}

fn identify(root: &Node) -> Option<ObjectId> {
    let api_version = root.get("apiVersion")?.as_str()?;
    let kind = root.get("kind")?.as_str()?;
    let metadata = root.get("metadata");
    let text = |key: &str| {
        metadata
            .and_then(|meta| meta.get(key))
            .and_then(Node::as_str)
            .map(str::to_owned)
    };
    Some(ObjectId {
        api_version: api_version.to_owned(),
        kind: kind.to_owned(),
        namespace: text("namespace"),
        name: text("name"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{Limits, parse};

    fn objects(text: &str) -> (Vec<Object>, Vec<Diagnostic>) {
        let parsed = parse(FileId(0), text, Limits::default());
        objects_of(FileId(0), &parsed.documents)
    }

    #[test]
    fn lists_are_unwrapped_and_non_kubernetes_documents_skipped() {
        let (found, errors) = objects(
            "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: a}}\n\
             - {apiVersion: v1, kind: Service, metadata: {name: b, namespace: ns}}\n---\nname: chart\n",
        );
        assert!(errors.is_empty());
        let names: Vec<_> = found
            .iter()
            .map(|o| o.id.name.clone().unwrap_or_default())
            .collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(found[1].id.namespace.as_deref(), Some("ns"));
    }

    #[test]
    fn a_list_whose_items_is_a_string_is_an_error() {
        let (found, errors) = objects("apiVersion: v1\nkind: List\nitems: nope\n");
        assert!(found.is_empty());
        assert_eq!(errors[0].code, Code::InvalidList);
    }

    #[test]
    fn group_of_api_version() {
        let (found, _) = objects("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n");
        assert_eq!(found[0].id.group(), "rbac.authorization.k8s.io");
    }
}
