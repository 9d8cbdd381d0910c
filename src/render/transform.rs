//! Kustomize's built-in transformers on one object: namespace, name prefix and suffix (with the
//! references that follow a renamed object), labels, annotations, replicas and images. A value
//! a transformer writes carries the span of the kustomization entry that asked for it.

use crate::render::tree_edit::{text, update_at, update_items, with_key};
use crate::yaml::Node;

/// Kinds that live outside namespaces (the ones kustomize knows; custom kinds are namespaced).
const CLUSTER_SCOPED: [&str; 20] = [
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "APIService",
    "IngressClass",
    "RuntimeClass",
    "CSIDriver",
    "CSINode",
    "Node",
    "PodSecurityPolicy",
    "VolumeAttachment",
    "CertificateSigningRequest",
];

fn kind(root: &Node) -> &str {
    root.get("kind").and_then(Node::as_str).unwrap_or("")
}

pub(crate) fn name(root: &Node) -> Option<&str> {
    root.get("metadata")?.get("name")?.as_str()
}

pub(crate) fn namespace(root: &Node) -> Option<&str> {
    root.get("metadata")?.get("namespace")?.as_str()
}

fn set(root: &Node, path: &[&str], value: Node, create: bool) -> Node {
    let span = value.span;
    let mut value = Some(value);
    update_at(root, path, span, create, &mut |_| value.take()).unwrap_or_else(|| root.clone())
}

/// The `namespace:` field: namespaced objects move to `value`; a Namespace object is renamed
/// to it; ServiceAccount subjects of bindings without a namespace follow.
pub(crate) fn set_namespace(root: &Node, value: &Node) -> Node {
    match kind(root) {
        "Namespace" => set(root, &["metadata", "name"], value.clone(), true),
        "RoleBinding" | "ClusterRoleBinding" => {
            let bound = update_items(root, "subjects", &mut |subject| {
                let is_account =
                    subject.get("kind").and_then(Node::as_str) == Some("ServiceAccount");
                (is_account && subject.get("namespace").is_none())
                    .then(|| with_key(subject, "namespace", value.clone(), value.span))
            })
            .unwrap_or_else(|| root.clone());
            if kind(root) == "RoleBinding" {
                set(&bound, &["metadata", "namespace"], value.clone(), true)
            } else {
                bound
            }
        }
        other if CLUSTER_SCOPED.contains(&other) => root.clone(),
        _ => set(root, &["metadata", "namespace"], value.clone(), true),
    }
}

/// A renamed object, for the references that must follow it.
#[derive(Clone, Debug)]
pub(crate) struct Rename {
    pub kind: String,
    pub from: String,
    /// The renamed object's namespace: a binding subject must be in it to follow the rename.
    pub namespace: Option<String>,
    pub to: Node,
}

/// `namePrefix`/`nameSuffix`; Namespaces and CRDs keep their names, as in kustomize.
pub(crate) fn add_affixes(
    root: &Node,
    prefix: Option<&Node>,
    suffix: Option<&Node>,
) -> (Node, Option<Rename>) {
    let Some(old) = name(root) else {
        return (root.clone(), None);
    };
    if matches!(kind(root), "Namespace" | "CustomResourceDefinition")
        || (prefix.is_none() && suffix.is_none())
    {
        return (root.clone(), None);
    }
    fn affix(node: Option<&Node>) -> &str {
        node.and_then(Node::as_str).unwrap_or("")
    }
    let renamed = format!("{}{old}{}", affix(prefix), affix(suffix));
    let span = prefix.or(suffix).map_or(root.span, |node| node.span);
    let new_name = text(span, &renamed);
    let rename = Rename {
        kind: kind(root).to_owned(),
        from: old.to_owned(),
        namespace: namespace(root).map(str::to_owned),
        to: new_name.clone(),
    };
    (
        set(root, &["metadata", "name"], new_name, false),
        Some(rename),
    )
}

/// Where a kind keeps its pod spec.
fn pod_spec_path(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "Pod" => Some(&["spec"]),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => Some(&["spec", "template", "spec"]),
        "CronJob" => Some(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    }
}

/// Point references at renamed objects: pod specs (service account, config maps, secrets,
/// claims) and RBAC bindings (role and service account subjects).
pub(crate) fn follow_renames(root: &Node, renames: &[Rename]) -> Node {
    let renamed = |kind: &str, name: &Node| -> Option<Node> {
        let current = name.as_str()?;
        renames
            .iter()
            .find(|rename| rename.kind == kind && rename.from == current)
            .map(|rename| rename.to.clone())
    };
    let mut result = root.clone();
    if let Some(path) = pod_spec_path(kind(root)) {
        let span = root.span;
        if let Some(updated) = update_at(root, path, span, false, &mut |spec| {
            spec.map(|spec| rename_in_pod_spec(spec, &renamed))
        }) {
            result = updated;
        }
    }
    if matches!(kind(root), "RoleBinding" | "ClusterRoleBinding") {
        let role_kind = root
            .get("roleRef")
            .and_then(|r| r.get("kind"))
            .and_then(Node::as_str)
            .unwrap_or("")
            .to_owned();
        result = update_at(
            &result,
            &["roleRef", "name"],
            root.span,
            false,
            &mut |name| name.and_then(|name| renamed(&role_kind, name)),
        )
        .unwrap_or(result);
        result = update_items(&result, "subjects", &mut |subject| {
            let subject_kind = subject.get("kind").and_then(Node::as_str)?;
            let current = subject.get("name")?.as_str()?;
            let subject_namespace = subject.get("namespace").and_then(Node::as_str);
            let rename = renames.iter().find(|rename| {
                rename.kind == subject_kind
                    && rename.from == current
                    && rename.namespace.as_deref() == subject_namespace
            })?;
            Some(with_key(subject, "name", rename.to.clone(), subject.span))
        })
        .unwrap_or(result);
    }
    result
}

type Lookup<'a> = dyn Fn(&str, &Node) -> Option<Node> + 'a;

fn rename_in_pod_spec(spec: &Node, renamed: &Lookup<'_>) -> Node {
    let mut spec = spec.clone();
    for key in ["serviceAccountName", "serviceAccount"] {
        spec = update_at(&spec, &[key], spec.span, false, &mut |name| {
            name.and_then(|name| renamed("ServiceAccount", name))
        })
        .unwrap_or(spec);
    }
    spec = update_items(&spec, "imagePullSecrets", &mut |item| {
        rename_field(item, &["name"], "Secret", renamed)
    })
    .unwrap_or(spec);
    spec = update_items(&spec, "volumes", &mut |volume| {
        let mut changed = None;
        for (path, target) in [
            (&["configMap", "name"][..], "ConfigMap"),
            (&["secret", "secretName"][..], "Secret"),
            (
                &["persistentVolumeClaim", "claimName"][..],
                "PersistentVolumeClaim",
            ),
        ] {
            let current = changed.clone().unwrap_or_else(|| volume.clone());
            if let Some(updated) = rename_field(&current, path, target, renamed) {
                changed = Some(updated);
            }
        }
        let current = changed.clone().unwrap_or_else(|| volume.clone());
        update_at(
            &current,
            &["projected"],
            current.span,
            false,
            &mut |projected| {
                update_items(projected?, "sources", &mut |source| {
                    rename_field(source, &["configMap", "name"], "ConfigMap", renamed)
                        .or_else(|| rename_field(source, &["secret", "name"], "Secret", renamed))
                })
            },
        )
        .or(changed)
    })
    .unwrap_or(spec);
    for key in ["containers", "initContainers", "ephemeralContainers"] {
        spec = update_items(&spec, key, &mut |container| {
            rename_in_container(container, renamed)
        })
        .unwrap_or(spec);
    }
    spec
}

fn rename_in_container(container: &Node, renamed: &Lookup<'_>) -> Option<Node> {
    let with_env = update_items(container, "env", &mut |variable| {
        rename_field(
            variable,
            &["valueFrom", "configMapKeyRef", "name"],
            "ConfigMap",
            renamed,
        )
        .or_else(|| {
            rename_field(
                variable,
                &["valueFrom", "secretKeyRef", "name"],
                "Secret",
                renamed,
            )
        })
    });
    let current = with_env.clone().unwrap_or_else(|| container.clone());
    update_items(&current, "envFrom", &mut |source| {
        rename_field(source, &["configMapRef", "name"], "ConfigMap", renamed)
            .or_else(|| rename_field(source, &["secretRef", "name"], "Secret", renamed))
    })
    .or(with_env)
}

fn rename_field(node: &Node, path: &[&str], kind: &str, renamed: &Lookup<'_>) -> Option<Node> {
    update_at(node, path, node.span, false, &mut |name| {
        name.and_then(|name| renamed(kind, name))
    })
}

/// Where a label or annotation transformer writes, besides `metadata`.
fn template_metadata_path(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => Some(&["spec", "template", "metadata"]),
        "CronJob" => Some(&["spec", "jobTemplate", "spec", "template", "metadata"]),
        _ => None,
    }
}

/// Add `pairs` (a mapping in the kustomization) to `metadata.<field>`, and to the pod template
/// and selectors when asked.
pub(crate) fn add_pairs(
    root: &Node,
    field: &str,
    pairs: &Node,
    templates: bool,
    selectors: bool,
) -> Node {
    let mut result = root.clone();
    let mut paths: Vec<Vec<&str>> = vec![vec!["metadata", field]];
    let kind = kind(root).to_owned();
    if templates && let Some(template) = template_metadata_path(&kind) {
        let mut path = template.to_vec();
        path.push(field);
        paths.push(path);
    }
    if selectors {
        match kind.as_str() {
            "Service" => paths.push(vec!["spec", "selector"]),
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
                paths.push(vec!["spec", "selector", "matchLabels"]);
            }
            _ => {}
        }
    }
    for path in paths {
        for entry in pairs.as_map().unwrap_or_default() {
            let Some(key) = entry.key.as_str() else {
                continue;
            };
            let mut full = path.clone();
            full.push(key);
            let value = entry.value.clone();
            let key_span = entry.key.span;
            let mut slot = Some(value);
            result =
                update_at(&result, &full, key_span, true, &mut |_| slot.take()).unwrap_or(result);
        }
    }
    result
}

/// `replicas:` entries name an object and give its count.
pub(crate) fn set_replicas(root: &Node, count: &Node) -> Node {
    match kind(root) {
        "Deployment" | "StatefulSet" | "ReplicaSet" | "ReplicationController" => {
            set(root, &["spec", "replicas"], count.clone(), true)
        }
        _ => root.clone(),
    }
}

/// An `images:` entry: the image it matches and what it changes.
pub(crate) struct ImageRule<'a> {
    pub name: &'a str,
    pub new_name: Option<&'a Node>,
    pub new_tag: Option<&'a Node>,
    pub digest: Option<&'a Node>,
}

impl ImageRule<'_> {
    /// The rewritten image for `image`, if the rule applies, at the span of the entry that
    /// changed it (digest, else tag, else name).
    fn rewrite(&self, image: &Node) -> Option<Node> {
        let current = image.as_str()?;
        let (name, reference) = split_image(current);
        if name != self.name {
            return None;
        }
        let text_of = |node: Option<&Node>| node.and_then(scalar_text);
        let new_name = text_of(self.new_name).unwrap_or_else(|| name.to_owned());
        let reference = match (text_of(self.digest), text_of(self.new_tag)) {
            (Some(digest), _) => format!("@{digest}"),
            (None, Some(tag)) => format!(":{tag}"),
            (None, None) => reference.to_owned(),
        };
        let span = self.digest.or(self.new_tag).or(self.new_name)?.span;
        Some(text(span, &format!("{new_name}{reference}")))
    }
}

fn scalar_text(node: &Node) -> Option<String> {
    match &node.value {
        crate::yaml::Value::Str(text) => Some(text.to_string()),
        crate::yaml::Value::Int(number) => Some(number.to_string()),
        crate::yaml::Value::Float(number) => Some(number.to_string()),
        _ => None,
    }
}

/// `registry:5000/app:1.2@sha256:…` → (`registry:5000/app`, `:1.2@sha256:…`).
fn split_image(image: &str) -> (&str, &str) {
    let last_slash = image.rfind('/').map_or(0, |index| index + 1);
    let reference_at = image
        .get(last_slash..)
        .and_then(|tail| tail.find([':', '@']))
        .map_or(image.len(), |index| last_slash + index);
    image.split_at(reference_at)
}

/// Apply the image rules to every container list anywhere in the object.
pub(crate) fn rewrite_images(node: &Node, rules: &[ImageRule<'_>]) -> Option<Node> {
    let entries = node.as_map();
    let items = node.as_seq();
    if let Some(items) = items {
        let mut changed = false;
        let new: Vec<Node> = items
            .iter()
            .map(|item| match rewrite_images(item, rules) {
                Some(new) => {
                    changed = true;
                    new
                }
                None => item.clone(),
            })
            .collect();
        return changed.then(|| crate::render::tree_edit::seq(node, new));
    }
    let mut result: Option<Node> = None;
    for entry in entries? {
        let Some(key) = entry.key.as_str() else {
            continue;
        };
        let current = result.clone().unwrap_or_else(|| node.clone());
        let updated = if matches!(key, "containers" | "initContainers" | "ephemeralContainers") {
            update_items(&current, key, &mut |container| {
                let image = container.get("image")?;
                let new = rules.iter().find_map(|rule| rule.rewrite(image))?;
                Some(with_key(container, "image", new, image.span))
            })
        } else {
            rewrite_images(&entry.value, rules)
                .map(|new| with_key(&current, key, new, entry.key.span))
        };
        if updated.is_some() {
            result = updated;
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tree_edit::to_json;
    use crate::source::FileId;
    use crate::yaml::{Limits, parse};

    fn node(file: u32, text: &str) -> Node {
        parse(FileId(file), text, Limits::default()).documents[0]
            .root
            .clone()
    }

    #[test]
    fn images_split_and_rewrite_at_the_tag_entry() {
        assert_eq!(
            split_image("registry:5000/app:1.2"),
            ("registry:5000/app", ":1.2")
        );
        assert_eq!(split_image("app@sha256:ab"), ("app", "@sha256:ab"));
        assert_eq!(split_image("app"), ("app", ""));
        let deployment = node(
            0,
            "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - {name: a, image: 'nginx:1'}\n      - {name: b, image: busybox}\n",
        );
        let rule = node(1, "{name: nginx, newName: mirror/nginx, newTag: '2'}");
        let rules = [ImageRule {
            name: "nginx",
            new_name: rule.get("newName"),
            new_tag: rule.get("newTag"),
            digest: None,
        }];
        let rewritten = rewrite_images(&deployment, &rules).expect("changed");
        let containers = rewritten
            .get("spec")
            .and_then(|s| s.get("template"))
            .and_then(|t| t.get("spec"))
            .and_then(|s| s.get("containers"))
            .and_then(Node::as_seq)
            .expect("containers");
        let image = containers[0].get("image").expect("image");
        assert_eq!(
            (image.as_str(), image.span),
            (
                Some("mirror/nginx:2"),
                rule.get("newTag").expect("tag").span
            )
        );
        assert_eq!(
            containers[1].get("image").expect("image").span.file,
            FileId(0)
        );
    }

    #[test]
    fn namespace_prefix_and_references() {
        let binding = node(
            0,
            "kind: RoleBinding\nmetadata: {name: rb}\nroleRef: {kind: Role, name: r}\nsubjects:\n- {kind: ServiceAccount, name: sa}\n- {kind: ServiceAccount, name: x, namespace: other}\n",
        );
        let ns = node(1, "prod");
        let moved = to_json(&set_namespace(&binding, &ns));
        assert_eq!(moved["metadata"]["namespace"], "prod");
        assert_eq!(moved["subjects"][0]["namespace"], "prod");
        assert_eq!(moved["subjects"][1]["namespace"], "other");
        let prefix = node(1, "p-");
        let role = node(0, "kind: Role\nmetadata: {name: r}\n");
        let account = node(0, "kind: ServiceAccount\nmetadata: {name: sa}\n");
        let renames: Vec<Rename> = [role, account]
            .iter()
            .filter_map(|o| add_affixes(o, Some(&prefix), None).1)
            .collect();
        let followed = to_json(&follow_renames(&binding, &renames));
        assert_eq!(followed["roleRef"]["name"], "p-r");
        assert_eq!(followed["subjects"][0]["name"], "p-sa");
        assert_eq!(followed["subjects"][1]["name"], "x");
        let namespace = node(0, "kind: Namespace\nmetadata: {name: old}\n");
        assert_eq!(
            to_json(&set_namespace(&namespace, &ns))["metadata"]["name"],
            "prod"
        );
        assert!(add_affixes(&namespace, Some(&prefix), None).1.is_none());
    }

    #[test]
    fn labels_reach_templates_and_selectors() {
        let deployment = node(
            0,
            "kind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    metadata: {}\n",
        );
        let pairs = node(1, "{app: web}");
        let labelled = to_json(&add_pairs(&deployment, "labels", &pairs, true, true));
        assert_eq!(labelled["metadata"]["labels"]["app"], "web");
        assert_eq!(
            labelled["spec"]["template"]["metadata"]["labels"]["app"],
            "web"
        );
        assert_eq!(labelled["spec"]["selector"]["matchLabels"]["app"], "web");
    }
}
