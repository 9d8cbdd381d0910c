//! Typed views of the objects the checks inspect: workloads (objects that carry a pod spec, spec
//! §1.1) with their containers, and RBAC bindings (§1.2).
//!
//! Building a view also validates the types of every field a check reads: an object the API
//! server would reject for a wrong type is reported at that field, never checked as if valid.

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::model::object::{Object, group_of};
use crate::settings::{ExtraWorkload, Settings};
use crate::source::Span;
use crate::yaml::{Node, Value};

/// Where a kind keeps its pod spec: the keys from the object root to the pod spec.
struct PodSpecLocation {
    /// API group the kind must belong to; `None` for the built-in kinds, matched in any group.
    group: Option<&'static str>,
    kind: &'static str,
    path: &'static [&'static str],
    run_to_completion: bool,
}

const TEMPLATE_SPEC: &[&str] = &["spec", "template", "spec"];

const POD_SPEC_LOCATIONS: &[PodSpecLocation] = &[
    PodSpecLocation {
        group: None,
        kind: "Pod",
        path: &["spec"],
        run_to_completion: false,
    },
    PodSpecLocation {
        group: None,
        kind: "Deployment",
        path: TEMPLATE_SPEC,
        run_to_completion: false,
    },
    PodSpecLocation {
        group: None,
        kind: "ReplicaSet",
        path: TEMPLATE_SPEC,
        run_to_completion: false,
    },
    PodSpecLocation {
        group: None,
        kind: "StatefulSet",
        path: TEMPLATE_SPEC,
        run_to_completion: false,
    },
    PodSpecLocation {
        group: None,
        kind: "DaemonSet",
        path: TEMPLATE_SPEC,
        run_to_completion: false,
    },
    PodSpecLocation {
        group: None,
        kind: "ReplicationController",
        path: TEMPLATE_SPEC,
        run_to_completion: false,
    },
    PodSpecLocation {
        group: None,
        kind: "Job",
        path: TEMPLATE_SPEC,
        run_to_completion: true,
    },
    PodSpecLocation {
        group: None,
        kind: "CronJob",
        path: &["spec", "jobTemplate", "spec", "template", "spec"],
        run_to_completion: true,
    },
    PodSpecLocation {
        group: None,
        kind: "PodTemplate",
        path: &["template", "spec"],
        run_to_completion: false,
    },
    PodSpecLocation {
        group: Some("argoproj.io"),
        kind: "Rollout",
        path: TEMPLATE_SPEC,
        run_to_completion: false,
    },
    PodSpecLocation {
        group: Some("apps.kruise.io"),
        kind: "CloneSet",
        path: TEMPLATE_SPEC,
        run_to_completion: false,
    },
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ContainerKind {
    Regular,
    /// An `initContainers` entry with `restartPolicy: Always`: runs beside the regular ones.
    Sidecar,
    Init,
    Ephemeral,
}

impl ContainerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ContainerKind::Regular => "regular",
            ContainerKind::Sidecar => "sidecar",
            ContainerKind::Init => "init",
            ContainerKind::Ephemeral => "ephemeral",
        }
    }
}

#[derive(Debug)]
pub struct Container<'a> {
    pub node: &'a Node,
    pub kind: ContainerKind,
    pub name: Option<&'a str>,
    /// The `name` value, where labels about missing fields point; the entry itself if unnamed.
    pub name_span: Span,
}

impl<'a> Container<'a> {
    /// A field of the container's `securityContext`.
    pub fn security_context(&self, field: &str) -> Option<&'a Node> {
        self.node.get("securityContext")?.get(field)
    }
}

#[derive(Debug)]
pub struct Workload<'a> {
    pub object: &'a Object,
    /// What configuration changed about the checks (e.g. the dangerous capability set).
    pub settings: &'a Settings,
    pub spec: &'a Node,
    /// The `spec:` key of the pod spec, where labels about missing pod-level fields point.
    pub spec_key: Span,
    /// Whether the pod restarts its containers forever (spec §1.1), as opposed to running to
    /// completion.
    pub long_running: bool,
    pub containers: Vec<Container<'a>>,
}

/// Which securityContext a value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Container,
    Pod,
}

#[derive(Clone, Copy, Debug)]
pub struct Effective<'a> {
    pub node: &'a Node,
    pub origin: Origin,
}

impl<'a> Workload<'a> {
    /// A field of the pod spec, absent when null.
    pub fn field(&self, name: &str) -> Option<&'a Node> {
        self.spec.get(name)
    }

    /// The container's `securityContext.<field>` when set, else the pod's.
    pub fn effective(&self, container: &Container<'a>, field: &str) -> Option<Effective<'a>> {
        if let Some(node) = container.security_context(field) {
            return Some(Effective {
                node,
                origin: Origin::Container,
            });
        }
        let node = self.spec.get("securityContext")?.get(field)?;
        Some(Effective {
            node,
            origin: Origin::Pod,
        })
    }
}

#[derive(Debug)]
pub struct Binding<'a> {
    pub object: &'a Object,
    pub subjects: &'a [Node],
    pub role_ref: Option<&'a Node>,
}

#[derive(Debug)]
pub enum View<'a> {
    Workload(Workload<'a>),
    Binding(Binding<'a>),
    /// Any other object: nothing to inspect.
    Other,
}

/// The view the checks see of `object`, or the type errors that make it invalid. Built-in kinds
/// come first; `settings` may add kinds that carry a pod spec.
pub fn view<'a>(object: &'a Object, settings: &'a Settings) -> Result<View<'a>, Vec<Diagnostic>> {
    let kind = object.id.kind.as_str();
    let group = object.id.group();
    if is_binding(group, kind) {
        return binding(object);
    }
    if let Some(location) = pod_spec_location(group, kind) {
        return workload(object, settings, location.path, location.run_to_completion);
    }
    match extra_workload(settings, &object.id.api_version, group, kind) {
        Some(extra) => workload(object, settings, &extra.pod_spec, false),
        None => Ok(View::Other),
    }
}

/// Whether any check looks inside objects of this kind; of the others only the identity
/// (`apiVersion`, `kind`, `metadata`) is ever read.
pub fn is_inspected(api_version: &str, kind: &str, settings: &Settings) -> bool {
    let group = group_of(api_version);
    is_binding(group, kind)
        || pod_spec_location(group, kind).is_some()
        || extra_workload(settings, api_version, group, kind).is_some()
}

fn pod_spec_location(group: &str, kind: &str) -> Option<&'static PodSpecLocation> {
    POD_SPEC_LOCATIONS
        .iter()
        .find(|loc| loc.kind == kind && loc.group.is_none_or(|g| g == group))
}

fn extra_workload<'s>(
    settings: &'s Settings,
    api_version: &str,
    group: &str,
    kind: &str,
) -> Option<&'s ExtraWorkload> {
    settings
        .extra_workloads
        .iter()
        .find(|extra| extra.matches(api_version, group, kind))
}

fn is_binding(group: &str, kind: &str) -> bool {
    matches!(kind, "RoleBinding" | "ClusterRoleBinding") && group == "rbac.authorization.k8s.io"
}

fn binding(object: &Object) -> Result<View<'_>, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    validate(&object.root, &BINDING, "", &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(View::Binding(Binding {
        object,
        subjects: object
            .root
            .get("subjects")
            .and_then(Node::as_seq)
            .unwrap_or(&[]),
        role_ref: object.root.get("roleRef"),
    }))
}

fn workload<'a>(
    object: &'a Object,
    settings: &'a Settings,
    pod_spec_path: &[impl AsRef<str>],
    run_to_completion: bool,
) -> Result<View<'a>, Vec<Diagnostic>> {
    let mut node = &object.root;
    let mut spec_key = None;
    let mut path = String::new();
    for key in pod_spec_path {
        let key = key.as_ref();
        let Some(entry) = node.entry(key).filter(|entry| !entry.value.is_null()) else {
            // An object without a pod spec (a partial patch, say) has nothing to inspect.
            return Ok(View::Other);
        };
        path = join(&path, key);
        if entry.value.as_map().is_none() {
            return Err(vec![type_error(&entry.value, &path, "a mapping")]);
        }
        spec_key = Some(entry.key.span);
        node = &entry.value;
    }
    let mut errors = Vec::new();
    validate(node, &POD_SPEC, &path, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let restart_policy = node
        .get("restartPolicy")
        .and_then(Node::as_str)
        .unwrap_or("Always");
    Ok(View::Workload(Workload {
        object,
        settings,
        spec: node,
        spec_key: spec_key.unwrap_or(object.root.span),
        long_running: !run_to_completion && restart_policy == "Always",
        containers: containers(node),
    }))
}

fn containers(spec: &Node) -> Vec<Container<'_>> {
    let mut found = Vec::new();
    let lists = [
        ("initContainers", ContainerKind::Init),
        ("containers", ContainerKind::Regular),
        ("ephemeralContainers", ContainerKind::Ephemeral),
    ];
    for (field, list_kind) in lists {
        for node in spec.get(field).and_then(Node::as_seq).unwrap_or(&[]) {
            let restarts_always =
                node.get("restartPolicy").and_then(Node::as_str) == Some("Always");
            let kind = match list_kind {
                ContainerKind::Init if restarts_always => ContainerKind::Sidecar,
                other => other,
            };
            let name_node = node.get("name");
            found.push(Container {
                node,
                kind,
                name: name_node.and_then(Node::as_str),
                name_span: name_node.map_or(node.span, |name| name.span),
            });
        }
    }
    found
}

/// The expected type of a field that some check reads.
enum Shape {
    Bool,
    Int,
    Str,
    /// A resource quantity: a string or a number.
    Quantity,
    Map(&'static [(&'static str, Shape)]),
    ListOf(&'static Shape),
}

const SECURITY_CONTEXT: Shape = Shape::Map(&[
    ("runAsUser", Shape::Int),
    ("runAsNonRoot", Shape::Bool),
    ("privileged", Shape::Bool),
    ("allowPrivilegeEscalation", Shape::Bool),
    ("readOnlyRootFilesystem", Shape::Bool),
    (
        "capabilities",
        Shape::Map(&[
            ("add", Shape::ListOf(&Shape::Str)),
            ("drop", Shape::ListOf(&Shape::Str)),
        ]),
    ),
]);

const QUANTITIES: Shape = Shape::Map(&[("cpu", Shape::Quantity), ("memory", Shape::Quantity)]);

const PROBE: Shape = Shape::Map(&[]);

const CONTAINER: Shape = Shape::Map(&[
    ("name", Shape::Str),
    ("image", Shape::Str),
    ("restartPolicy", Shape::Str),
    (
        "ports",
        Shape::ListOf(&Shape::Map(&[
            ("hostPort", Shape::Int),
            ("containerPort", Shape::Int),
        ])),
    ),
    ("securityContext", SECURITY_CONTEXT),
    (
        "resources",
        Shape::Map(&[("requests", QUANTITIES), ("limits", QUANTITIES)]),
    ),
    ("readinessProbe", PROBE),
    ("livenessProbe", PROBE),
]);

const POD_SPEC: Shape = Shape::Map(&[
    ("hostNetwork", Shape::Bool),
    ("hostIPC", Shape::Bool),
    ("hostPID", Shape::Bool),
    ("restartPolicy", Shape::Str),
    (
        "securityContext",
        Shape::Map(&[("runAsUser", Shape::Int), ("runAsNonRoot", Shape::Bool)]),
    ),
    ("containers", Shape::ListOf(&CONTAINER)),
    ("initContainers", Shape::ListOf(&CONTAINER)),
    ("ephemeralContainers", Shape::ListOf(&CONTAINER)),
]);

const BINDING: Shape = Shape::Map(&[
    (
        "subjects",
        Shape::ListOf(&Shape::Map(&[("kind", Shape::Str), ("name", Shape::Str)])),
    ),
    (
        "roleRef",
        Shape::Map(&[("kind", Shape::Str), ("name", Shape::Str)]),
    ),
]);

/// Check the types of the fields `shape` names; null counts as absent, other fields are free.
fn validate(node: &Node, shape: &Shape, path: &str, errors: &mut Vec<Diagnostic>) {
    if node.is_null() {
        return;
    }
    let expected = match (shape, &node.value) {
        (Shape::Bool, Value::Bool(_))
        | (Shape::Int, Value::Int(_))
        | (Shape::Str, Value::Str(_))
        | (Shape::Quantity, Value::Str(_) | Value::Int(_) | Value::Float(_)) => return,
        (Shape::Map(fields), Value::Map(_)) => {
            for (key, field_shape) in *fields {
                if let Some(value) = node.get(key) {
                    validate(value, field_shape, &join(path, key), errors);
                }
            }
            return;
        }
        (Shape::ListOf(item_shape), Value::Seq(items)) => {
            for (index, item) in items.iter().enumerate() {
                validate(item, item_shape, &format!("{path}[{index}]"), errors);
            }
            return;
        }
        (Shape::Bool, _) => "a boolean",
        (Shape::Int, _) => "an integer",
        (Shape::Str, _) => "a string",
        (Shape::Quantity, _) => "a quantity (a string or a number)",
        (Shape::Map(_), _) => "a mapping",
        (Shape::ListOf(_), _) => "a sequence",
    };
    errors.push(type_error(node, path, expected));
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn type_error(node: &Node, path: &str, expected: &str) -> Diagnostic {
    Diagnostic::error(
        Code::InvalidFieldType,
        Location::Span(node.span),
        format!(
            "`{path}` must be {expected}, not {} (the API server would reject this object)",
            node.describe_type()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::object::objects_of;
    use crate::source::FileId;
    use crate::yaml::{Limits, parse};

    fn defaults() -> &'static Settings {
        static DEFAULTS: std::sync::LazyLock<Settings> =
            std::sync::LazyLock::new(Settings::default);
        &DEFAULTS
    }

    fn object(text: &str) -> Object {
        let parsed = parse(FileId(0), text, Limits::default());
        let (mut objects, _) = objects_of(FileId(0), &parsed.documents);
        objects.remove(0)
    }

    #[test]
    fn containers_are_classified() {
        let pod = object(
            "apiVersion: v1\nkind: Pod\nspec:\n  initContainers:\n  - name: setup\n  - name: proxy\n    restartPolicy: Always\n  containers:\n  - name: app\n  ephemeralContainers:\n  - name: debug\n",
        );
        let Ok(View::Workload(workload)) = view(&pod, defaults()) else {
            panic!("a workload")
        };
        let kinds: Vec<_> = workload
            .containers
            .iter()
            .map(|c| (c.name, c.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                (Some("setup"), ContainerKind::Init),
                (Some("proxy"), ContainerKind::Sidecar),
                (Some("app"), ContainerKind::Regular),
                (Some("debug"), ContainerKind::Ephemeral),
            ]
        );
        assert!(workload.long_running);
    }

    #[test]
    fn jobs_and_never_restarting_pods_run_to_completion() {
        let job = object(
            "apiVersion: batch/v1\nkind: CronJob\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers: []\n",
        );
        let Ok(View::Workload(workload)) = view(&job, defaults()) else {
            panic!("a workload")
        };
        assert!(!workload.long_running);
        let pod =
            object("apiVersion: v1\nkind: Pod\nspec:\n  restartPolicy: Never\n  containers: []\n");
        let Ok(View::Workload(workload)) = view(&pod, defaults()) else {
            panic!("a workload")
        };
        assert!(!workload.long_running);
    }

    #[test]
    fn effective_security_context_prefers_the_container() {
        let pod = object(
            "apiVersion: v1\nkind: Pod\nspec:\n  securityContext: {runAsNonRoot: true, runAsUser: 5}\n  containers:\n  - name: a\n    securityContext: {runAsNonRoot: false}\n",
        );
        let Ok(View::Workload(workload)) = view(&pod, defaults()) else {
            panic!("a workload")
        };
        let container = &workload.containers[0];
        let non_root = workload.effective(container, "runAsNonRoot").expect("set");
        assert_eq!(
            (non_root.node.as_bool(), non_root.origin),
            (Some(false), Origin::Container)
        );
        let user = workload.effective(container, "runAsUser").expect("set");
        assert_eq!((user.node.as_int(), user.origin), (Some(5), Origin::Pod));
    }

    #[test]
    fn wrong_types_are_errors_at_the_field() {
        let pod = object("apiVersion: v1\nkind: Pod\nspec:\n  hostNetwork: {}\n  containers: 5\n");
        let errors = view(&pod, defaults()).expect_err("invalid");
        let messages: Vec<_> = errors.iter().map(|e| e.message.as_str()).collect();
        assert!(messages[0].starts_with("`spec.hostNetwork` must be a boolean, not a mapping"));
        assert!(messages[1].starts_with("`spec.containers` must be a sequence, not an integer"));
        let deployment = object(
            "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: [a]\n        securityContext: []\n",
        );
        assert_eq!(view(&deployment, defaults()).expect_err("invalid").len(), 2);
    }

    #[test]
    fn configured_kinds_are_workloads_at_their_pointer() {
        let service = object(
            "apiVersion: serving.knative.dev/v1\nkind: Service\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n",
        );
        assert!(matches!(view(&service, defaults()), Ok(View::Other)));
        let mut settings = Settings::default();
        settings
            .extra_workloads
            .push(crate::settings::ExtraWorkload {
                api_version: Some("serving.knative.dev/v1".into()),
                kind: "Service".into(),
                pod_spec: vec!["spec".into(), "template".into(), "spec".into()],
            });
        let Ok(View::Workload(workload)) = view(&service, &settings) else {
            panic!("a workload")
        };
        assert_eq!(workload.containers[0].name, Some("app"));
        assert!(workload.long_running);
    }

    #[test]
    fn objects_without_a_pod_spec_are_not_workloads() {
        let patch = object("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n");
        assert!(matches!(view(&patch, defaults()), Ok(View::Other)));
    }
}
