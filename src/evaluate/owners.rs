//! Owner chains. Objects read from a cluster (`kubectl get -o yaml`) come with the objects
//! their controllers made: a Deployment, its ReplicaSets, and their Pods, each with a pod spec
//! copied from the one above. Linted one by one, a Deployment's problem is reported three times.
//!
//! An object whose `metadata.ownerReferences` name another checked object of the same input
//! (same kind, name and namespace, and the same `uid` when both have one) is part of its top
//! owner, found by following the controller reference (else the first) up the chain. The owned
//! object is still checked, but is not reported on its own:
//! - a finding the top owner has too (same check, container and place in the pod spec) is the
//!   owner's finding and is dropped;
//! - any other finding (a sidecar an admission webhook injected into the Pod, a field someone
//!   edited in the live object) is reported as the top owner's, naming the owned object it was
//!   found in ([`Finding::found_in`]), at the place the owned object was written.
//!
//! The owned object leaves the list of inspected objects, with the pairs it was checked on, so
//! that counts and summaries show each workload once.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::evaluate::finding::Finding;
use crate::model::object::{Object, ObjectId};
use crate::yaml::Node;

/// More links than any controller makes (CronJob → Job → Pod is the longest built-in chain):
/// a longer chain is a cycle or hostile input, and its objects stay on their own.
const MAX_CHAIN: usize = 8;

/// For each object, the index of its top owner among `objects`, if it has one; `checked` says
/// which objects a check applied to (only those can own).
pub(crate) fn top_owners(objects: &[Object], checked: &[bool]) -> Vec<Option<usize>> {
    let mut by_identity: HashMap<(&str, Option<&str>, &str), usize> = HashMap::new();
    for (index, object) in objects.iter().enumerate() {
        if let (Some(true), Some(name)) = (checked.get(index), object.id.name.as_deref()) {
            let key = (
                object.id.kind.as_str(),
                object.id.namespace.as_deref(),
                name,
            );
            by_identity.entry(key).or_insert(index);
        }
    }
    let owner_of = |index: usize| -> Option<usize> {
        let object = objects.get(index)?;
        let references = owner_references(&object.root);
        let controller = references
            .iter()
            .find(|reference| reference.get("controller").and_then(Node::as_bool) == Some(true))
            .or(references.first())?;
        let kind = controller.get("kind").and_then(Node::as_str)?;
        let name = controller.get("name").and_then(Node::as_str)?;
        let owner = *by_identity.get(&(kind, object.id.namespace.as_deref(), name))?;
        let uid = |node: &Node| node.get("uid").and_then(Node::as_str).map(str::to_owned);
        let owner_uid = objects
            .get(owner)
            .and_then(|owner| owner.root.get("metadata"))
            .and_then(uid);
        match (uid(controller), owner_uid) {
            (Some(named), Some(actual)) if named != actual => None,
            _ => (owner != index).then_some(owner),
        }
    };
    (0..objects.len())
        .map(|index| {
            let mut top = owner_of(index)?;
            for _ in 0..MAX_CHAIN {
                match owner_of(top) {
                    Some(next) if next == index => return None,
                    Some(next) => top = next,
                    None => return Some(top),
                }
            }
            None
        })
        .collect()
}

fn owner_references(root: &Node) -> &[Node] {
    root.get("metadata")
        .and_then(|metadata| metadata.get("ownerReferences"))
        .and_then(Node::as_seq)
        .unwrap_or_default()
}

/// What makes two findings of one pod spec the same problem, wherever the spec is written.
type Key = (&'static str, Option<String>, String);

fn key(finding: &Finding) -> Key {
    (
        finding.rule.meta.id,
        finding
            .container
            .as_ref()
            .and_then(|container| container.name.clone()),
        in_pod_spec(&finding.field).to_owned(),
    )
}

/// A field path from the pod spec down: `spec.template.spec.containers[web].image` (a
/// template, also inside a CronJob's job template) and `spec.containers[web].image` (a Pod)
/// are both `.containers[web].image`.
fn in_pod_spec(field: &str) -> &str {
    match field.rsplit_once("template.spec") {
        Some((_, below)) => below,
        None => field.strip_prefix("spec").unwrap_or(field),
    }
}

/// The findings of the owned objects, given as (top owner's findings, owned object's
/// findings): those the owner has too dropped, the others attributed to the owner.
pub(crate) fn attribute(
    owner: &Arc<ObjectId>,
    owner_findings: &[Finding],
    owned: Vec<Finding>,
) -> Vec<Finding> {
    let known: HashSet<Key> = owner_findings.iter().map(key).collect();
    owned
        .into_iter()
        .filter(|finding| !known.contains(&key(finding)))
        .map(|mut finding| {
            finding.found_in = Some(std::mem::replace(&mut finding.object, owner.clone()));
            finding
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::object::objects_of;
    use crate::source::FileId;

    fn objects(text: &str) -> Vec<Object> {
        let parsed = crate::yaml::parse(FileId(0), text, crate::yaml::Limits::default());
        objects_of(FileId(0), &parsed.documents).0
    }

    fn object(kind: &str, name: &str, uid: &str, owner: Option<(&str, &str, &str)>) -> String {
        let owner = owner.map_or(String::new(), |(kind, name, uid)| {
            format!("  ownerReferences: [{{kind: {kind}, name: {name}, uid: {uid}, controller: true}}]\n")
        });
        format!(
            "apiVersion: v1\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: shop\n  uid: {uid}\n{owner}---\n"
        )
    }

    #[test]
    fn chains_lead_to_the_top_owner_present_in_the_input() {
        let text = [
            object("Pod", "web-1", "p1", Some(("ReplicaSet", "web-r", "r1"))),
            object(
                "ReplicaSet",
                "web-r",
                "r1",
                Some(("Deployment", "web", "d1")),
            ),
            object("Deployment", "web", "d1", None),
            // Its owner is not in the input.
            object("Pod", "job-1", "p2", Some(("Job", "gone", "j1"))),
            // The reference names another object of the same name.
            object("Pod", "web-2", "p3", Some(("ReplicaSet", "web-r", "other"))),
            // Objects that own each other.
            object("Pod", "a", "a1", Some(("Pod", "b", "b1"))),
            object("Pod", "b", "b1", Some(("Pod", "a", "a1"))),
        ]
        .concat();
        let objects = objects(&text);
        let checked = vec![true; objects.len()];
        assert_eq!(
            top_owners(&objects, &checked),
            [Some(2), Some(2), None, None, None, None, None]
        );
        // Only a checked object owns.
        let mut checked = checked;
        checked[2] = false;
        assert_eq!(top_owners(&objects, &checked)[..3], [Some(1), None, None]);
    }

    #[test]
    fn fields_compare_from_the_pod_spec_down() {
        assert_eq!(
            in_pod_spec("spec.template.spec.containers[web].image"),
            ".containers[web].image"
        );
        assert_eq!(
            in_pod_spec("spec.jobTemplate.spec.template.spec.hostNetwork"),
            ".hostNetwork"
        );
        assert_eq!(
            in_pod_spec("spec.containers[web].image"),
            ".containers[web].image"
        );
        assert_eq!(in_pod_spec("spec"), "");
    }
}
