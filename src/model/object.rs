//! Kubernetes objects: documents with an `apiVersion` and a `kind`, with `List` kinds unwrapped.

use std::sync::Arc;

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::source::{FileId, Span};
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
    /// For an object of a chart rendered with a configured values set: the set's name.
    pub values_set: Option<String>,
    /// For an object a chart rendered: each value a template function computed from values
    /// (`printf "%s:%s" .repo .tag`), as the span it maps to (the action) and the spans of the
    /// values that fed it.
    pub computed_from: Vec<(Span, Vec<Span>)>,
}

/// Turn parsed documents into objects. Documents that are not Kubernetes objects (no `kind`:
/// values files, CI workflows, compose files) are skipped silently; one with a `kind` but no
/// `apiVersion` is skipped with a note, since kubectl cannot send it.
pub fn objects_of(file: FileId, documents: &[Document]) -> (Vec<Object>, Vec<Diagnostic>) {
    let mut objects = Vec::new();
    let mut diagnostics = Vec::new();
    for document in documents {
        let make = |root: &Node, id: ObjectId| Object {
            id: Arc::new(id),
            file,
            root: root.clone(),
            helm_template: document.helm_source.clone(),
            via: Vec::new(),
            values_set: None,
            computed_from: Vec::new(),
        };
        let Some(id) = identified(&document.root, &mut diagnostics) else {
            continue;
        };
        let Some(items) = list_items(&document.root, &id, &mut diagnostics) else {
            objects.push(make(&document.root, id));
            continue;
        };
        for item in items {
            if let Some(item_id) = list_item(item, &id, &mut diagnostics) {
                objects.push(make(item, item_id));
            }
        }
    }
    (objects, diagnostics)
}

/// The identity of a document that is an object; a note when it has a `kind` but no
/// `apiVersion`.
fn identified(root: &Node, diagnostics: &mut Vec<Diagnostic>) -> Option<ObjectId> {
    let kind = root.get("kind")?.as_str()?;
    match root.get("apiVersion").and_then(Node::as_str) {
        Some(api_version) => Some(identify(root, api_version, kind)),
        None => {
            diagnostics.push(missing_api_version(root, kind));
            None
        }
    }
}

fn missing_api_version(root: &Node, kind: &str) -> Diagnostic {
    let at = root.entry("kind").map_or(root.span, |entry| entry.key.span);
    Diagnostic::note(
        Code::MissingApiVersion,
        Location::Span(at),
        format!("this {kind} has no `apiVersion`: kubectl cannot send it, so it is not checked"),
    )
}

/// The items of a `*List` with `items`; `None` for any other object (a `*List` kind without
/// `items` is an ordinary object, e.g. a CRD named so). A null `items` holds nothing.
fn list_items<'a>(
    root: &'a Node,
    id: &ObjectId,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<&'a [Node]> {
    let items = &root
        .entry("items")
        .filter(|_| is_list_kind(&id.kind))?
        .value;
    if items.is_null() {
        return Some(&[]);
    }
    if items.as_seq().is_none() {
        diagnostics.push(Diagnostic::error(
            Code::InvalidList,
            Location::Span(items.span),
            format!(
                "`items` of a {} must be a sequence, not {}",
                id.kind,
                items.describe_type()
            ),
        ));
    }
    Some(items.as_seq().unwrap_or_default())
}

/// The identity of an item of the list `list`. An item of a typed list (`PodList`) written
/// without `apiVersion` and `kind` is of the list's item kind and version, as kubectl reads it;
/// an item of a plain `List` needs both, and a list inside a list is refused by kubectl.
fn list_item(item: &Node, list: &ObjectId, diagnostics: &mut Vec<Diagnostic>) -> Option<ObjectId> {
    let refusal = match item.get("kind").map(Node::as_str) {
        Some(Some(kind)) if is_list_kind(kind) && item.entry("items").is_some() => {
            format!("a {kind} inside a {} is refused by kubectl", list.kind)
        }
        Some(Some(_)) => return identified(item, diagnostics),
        None if item.get("apiVersion").is_none() && item.as_map().is_some() => {
            let item_kind = list
                .kind
                .strip_suffix("List")
                .filter(|kind| !kind.is_empty());
            if let Some(item_kind) = item_kind {
                return Some(identify(item, &list.api_version, item_kind));
            }
            untyped_item(list)
        }
        _ => untyped_item(list),
    };
    diagnostics.push(Diagnostic::error(
        Code::InvalidListItem,
        Location::Span(item.span),
        refusal,
    ));
    None
}

fn untyped_item(list: &ObjectId) -> String {
    format!(
        "an item of a {} must be an object with `apiVersion` and `kind`",
        list.kind
    )
}

fn is_list_kind(kind: &str) -> bool {
    kind.ends_with("List")
}

fn identify(root: &Node, api_version: &str, kind: &str) -> ObjectId {
    let metadata = root.get("metadata");
    let text = |key: &str| {
        metadata
            .and_then(|meta| meta.get(key))
            .and_then(Node::as_str)
            .map(str::to_owned)
    };
    ObjectId {
        api_version: api_version.to_owned(),
        kind: kind.to_owned(),
        namespace: text("namespace"),
        name: text("name"),
    }
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
    fn items_of_a_typed_list_take_its_item_kind_and_version() {
        let (found, errors) = objects(
            "apiVersion: apps/v1\nkind: DeploymentList\nitems:\n- metadata: {name: d}\n- {apiVersion: v1, kind: Pod}\n",
        );
        assert!(errors.is_empty(), "{errors:?}");
        let kinds: Vec<_> = found
            .iter()
            .map(|o| (o.id.api_version.as_str(), o.id.kind.as_str()))
            .collect();
        assert_eq!(kinds, [("apps/v1", "Deployment"), ("v1", "Pod")]);
    }

    #[test]
    fn a_list_inside_a_list_and_an_untyped_item_of_a_list_are_errors() {
        let (found, errors) = objects(
            "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: List, items: []}\n- {metadata: {name: x}}\n",
        );
        assert!(found.is_empty());
        let messages: Vec<_> = errors
            .iter()
            .map(|e| (e.code, e.message.as_str()))
            .collect();
        assert_eq!(
            messages,
            [
                (
                    Code::InvalidListItem,
                    "a List inside a List is refused by kubectl"
                ),
                (
                    Code::InvalidListItem,
                    "an item of a List must be an object with `apiVersion` and `kind`"
                ),
            ]
        );
    }

    #[test]
    fn an_object_without_api_version_is_a_note() {
        let (found, errors) = objects("kind: Pod\nmetadata: {name: p}\n---\nname: values\n");
        assert!(found.is_empty());
        assert_eq!(errors.len(), 1);
        assert_eq!(
            (errors[0].code, errors[0].level),
            (Code::MissingApiVersion, crate::diagnostic::Level::Note)
        );
    }

    #[test]
    fn group_of_api_version() {
        let (found, _) = objects("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n");
        assert_eq!(found[0].id.group(), "rbac.authorization.k8s.io");
    }
}
