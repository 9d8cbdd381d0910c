//! Typed views of the objects the checks inspect: workloads (objects that carry a pod spec, spec
//! §1.1) with their containers, and RBAC bindings (§1.2).
//!
//! Building a view also validates the types of every field a check reads (and of annotation
//! values, which kubectl refuses unless they are strings): a wrong type is reported at that
//! field, and named by its [`InvalidField::field`] so that only the checks reading it skip the
//! object; a wrong-typed value is never checked as if valid.

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::model::object::{Object, group_of};
use crate::settings::{ExtraWorkload, Settings};
use crate::source::Span;
use crate::yaml::{Node, Value, json_key};

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

/// The view the checks see of an object, with the wrong-typed fields it holds.
#[derive(Debug)]
pub struct Viewed<'a> {
    pub view: View<'a>,
    pub invalid: Vec<InvalidField>,
}

/// A field of the wrong type: the `invalid-field-type` error, and the field's place in the
/// schema the checks read, relative to the pod spec or the binding: `hostNetwork`,
/// `securityContext.runAsUser` (the pod's), `containers[].ports[].hostPort` (any container
/// list). An empty `field` is the pod spec itself: nothing of it can be read.
#[derive(Clone, Debug)]
pub struct InvalidField {
    pub field: String,
    pub diagnostic: Diagnostic,
}

/// Whether a check reading `input` (a schema path as in [`InvalidField::field`]) cannot trust
/// it because of a wrong type at `invalid`: one lies inside the other.
pub fn reads_invalid(input: &str, invalid: &str) -> bool {
    let inside = |inner: &str, outer: &str| {
        outer.is_empty()
            || inner
                .strip_prefix(outer)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
    };
    inside(input, invalid) || inside(invalid, input)
}

/// The view the checks see of `object`, and the type errors in it. Built-in kinds come first;
/// `settings` may add kinds that carry a pod spec.
pub fn view<'a>(object: &'a Object, settings: &'a Settings) -> Viewed<'a> {
    let mut invalid = Vec::new();
    if let Some(metadata) = object.root.get("metadata") {
        validate(
            metadata,
            &METADATA,
            &Place::root("metadata", "metadata"),
            &mut invalid,
        );
    }
    let view = kind_view(object, settings, &mut invalid);
    Viewed { view, invalid }
}

fn kind_view<'a>(
    object: &'a Object,
    settings: &'a Settings,
    invalid: &mut Vec<InvalidField>,
) -> View<'a> {
    let kind = object.id.kind.as_str();
    let group = object.id.group();
    if is_binding(group, kind) {
        return binding(object, invalid);
    }
    if let Some(location) = pod_spec_location(group, kind) {
        return workload(
            object,
            settings,
            location.path,
            location.run_to_completion,
            invalid,
        );
    }
    match extra_workload(settings, &object.id.api_version, group, kind) {
        Some(extra) => workload(object, settings, &extra.pod_spec, false, invalid),
        None => View::Other,
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

fn binding<'a>(object: &'a Object, invalid: &mut Vec<InvalidField>) -> View<'a> {
    validate(&object.root, &BINDING, &Place::root("", ""), invalid);
    View::Binding(Binding {
        object,
        subjects: object
            .root
            .get("subjects")
            .and_then(Node::as_seq)
            .unwrap_or(&[]),
        role_ref: object.root.get("roleRef"),
    })
}

fn workload<'a>(
    object: &'a Object,
    settings: &'a Settings,
    pod_spec_path: &[impl AsRef<str>],
    run_to_completion: bool,
    invalid: &mut Vec<InvalidField>,
) -> View<'a> {
    let mut node = &object.root;
    let mut spec_key = None;
    let mut path = String::new();
    for key in pod_spec_path {
        let key = key.as_ref();
        let Some(entry) = node.entry(key).filter(|entry| !entry.value.is_null()) else {
            // An object without a pod spec (a partial patch, say) has nothing to inspect.
            return View::Other;
        };
        path = join(&path, key);
        spec_key = Some(entry.key.span);
        node = &entry.value;
        if node.as_map().is_none() {
            // Validation reports it, as a field no check can read.
            break;
        }
    }
    validate(node, &POD_SPEC, &Place::root(&path, ""), invalid);
    let restart_policy = node
        .get("restartPolicy")
        .and_then(Node::as_str)
        .unwrap_or("Always");
    View::Workload(Workload {
        object,
        settings,
        spec: node,
        spec_key: spec_key.unwrap_or(object.root.span),
        long_running: !run_to_completion && restart_policy == "Always",
        containers: containers(node),
    })
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
    /// A mapping whose every value has this shape (annotations: strings).
    MapOf(&'static Shape),
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

const METADATA: Shape = Shape::Map(&[("annotations", Shape::MapOf(&Shape::Str))]);

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

/// Where validation is: the field's path in the object, for messages, and its place in the
/// schema, for [`InvalidField::field`].
struct Place {
    path: String,
    schema: String,
}

impl Place {
    fn root(path: &str, schema: &str) -> Self {
        Place {
            path: path.to_owned(),
            schema: schema.to_owned(),
        }
    }

    /// The place of `key` below this one. The three container lists share one schema name:
    /// a check reads containers of every kind alike.
    fn key(&self, key: &str) -> Place {
        let schema_key = match key {
            "initContainers" | "ephemeralContainers" => "containers",
            other => other,
        };
        Place {
            path: join(&self.path, key),
            schema: join(&self.schema, schema_key),
        }
    }

    fn item(&self, index: usize) -> Place {
        Place {
            path: format!("{}[{index}]", self.path),
            schema: format!("{}[]", self.schema),
        }
    }
}

/// Check the types of the fields `shape` names; null counts as absent, other fields are free.
fn validate(node: &Node, shape: &Shape, place: &Place, invalid: &mut Vec<InvalidField>) {
    if node.is_null() {
        return;
    }
    let expected = match (shape, &node.value) {
        (Shape::Bool, Value::Bool(_))
        | (Shape::Str, Value::Str(_))
        | (Shape::Quantity, Value::Str(_) | Value::Int(_) | Value::Float(_)) => return,
        // A whole-number float is an integer once it is JSON (`80.0`, `1e3`).
        (Shape::Int, _) if node.as_int().is_some() => return,
        (Shape::Map(fields), Value::Map(_)) => {
            for (key, field_shape) in *fields {
                if let Some(value) = node.get(key) {
                    validate(value, field_shape, &place.key(key), invalid);
                }
            }
            return;
        }
        (Shape::MapOf(value_shape), Value::Map(entries)) => {
            for entry in entries.iter() {
                let key = json_key(&entry.key).unwrap_or_default();
                validate(&entry.value, value_shape, &place.key(&key), invalid);
            }
            return;
        }
        (Shape::ListOf(item_shape), Value::Seq(items)) => {
            for (index, item) in items.iter().enumerate() {
                validate(item, item_shape, &place.item(index), invalid);
            }
            return;
        }
        (Shape::Bool, _) => "a boolean",
        (Shape::Int, _) => "an integer",
        (Shape::Str, _) => "a string",
        (Shape::Quantity, _) => "a quantity (a string or a number)",
        (Shape::Map(_) | Shape::MapOf(_), _) => "a mapping",
        (Shape::ListOf(_), _) => "a sequence",
    };
    invalid.push(InvalidField {
        field: place.schema.clone(),
        diagnostic: type_error(node, &place.path, expected),
    });
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
        let View::Workload(workload) = view(&pod, defaults()).view else {
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
        let View::Workload(workload) = view(&job, defaults()).view else {
            panic!("a workload")
        };
        assert!(!workload.long_running);
        let pod =
            object("apiVersion: v1\nkind: Pod\nspec:\n  restartPolicy: Never\n  containers: []\n");
        let View::Workload(workload) = view(&pod, defaults()).view else {
            panic!("a workload")
        };
        assert!(!workload.long_running);
    }

    #[test]
    fn effective_security_context_prefers_the_container() {
        let pod = object(
            "apiVersion: v1\nkind: Pod\nspec:\n  securityContext: {runAsNonRoot: true, runAsUser: 5}\n  containers:\n  - name: a\n    securityContext: {runAsNonRoot: false}\n",
        );
        let View::Workload(workload) = view(&pod, defaults()).view else {
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
    fn wrong_types_are_errors_at_the_field_named_by_its_schema_place() {
        let pod = object("apiVersion: v1\nkind: Pod\nspec:\n  hostNetwork: {}\n  containers: 5\n");
        let invalid = view(&pod, defaults()).invalid;
        let messages: Vec<_> = invalid
            .iter()
            .map(|e| e.diagnostic.message.as_str())
            .collect();
        assert!(messages[0].starts_with("`spec.hostNetwork` must be a boolean, not a mapping"));
        assert!(messages[1].starts_with("`spec.containers` must be a sequence, not an integer"));
        let fields: Vec<_> = invalid.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["hostNetwork", "containers"]);
        let deployment = object(
            "apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      initContainers:\n      - name: a\n        image: [a]\n        securityContext: []\n        ports: [{hostPort: 80.5}]\n",
        );
        let fields: Vec<_> = view(&deployment, defaults())
            .invalid
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "containers[].image",
                "containers[].ports[].hostPort",
                "containers[].securityContext"
            ]
        );
    }

    #[test]
    fn whole_number_floats_are_integers_and_annotations_must_be_strings() {
        let pod = object(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  annotations: {a: \"x\", b: true, c: 1}\nspec:\n  securityContext: {runAsUser: 1e3}\n  containers: [{name: a, ports: [{hostPort: 080}]}]\n",
        );
        let invalid = view(&pod, defaults()).invalid;
        let fields: Vec<_> = invalid.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["metadata.annotations.b", "metadata.annotations.c"]);
        assert!(
            invalid[0]
                .diagnostic
                .message
                .starts_with("`metadata.annotations.b` must be a string")
        );
    }

    #[test]
    fn a_check_reading_a_field_cannot_trust_what_is_around_or_inside_it() {
        let input = "containers[].securityContext.privileged";
        for invalid in [
            "",
            "containers",
            "containers[]",
            "containers[].securityContext",
            input,
        ] {
            assert!(reads_invalid(input, invalid), "{invalid}");
        }
        assert!(reads_invalid(
            "containers[].securityContext.capabilities.add",
            "containers[].securityContext.capabilities.add[]"
        ));
        for unrelated in [
            "hostNetwork",
            "containers[].securityContext.privilegedX",
            "containers[].image",
            "securityContext.privileged",
        ] {
            assert!(!reads_invalid(input, unrelated), "{unrelated}");
        }
    }

    #[test]
    fn a_pod_spec_that_is_not_a_mapping_makes_every_field_unreadable() {
        let pod = object("apiVersion: v1\nkind: Pod\nspec: [1]\n");
        let invalid = view(&pod, defaults()).invalid;
        assert_eq!(invalid.len(), 1);
        assert_eq!(invalid[0].field, "");
    }

    #[test]
    fn configured_kinds_are_workloads_at_their_pointer() {
        let service = object(
            "apiVersion: serving.knative.dev/v1\nkind: Service\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n",
        );
        assert!(matches!(view(&service, defaults()).view, View::Other));
        let mut settings = Settings::default();
        settings
            .extra_workloads
            .push(crate::settings::ExtraWorkload {
                api_version: Some("serving.knative.dev/v1".into()),
                kind: "Service".into(),
                pod_spec: vec!["spec".into(), "template".into(), "spec".into()],
            });
        let View::Workload(workload) = view(&service, &settings).view else {
            panic!("a workload")
        };
        assert_eq!(workload.containers[0].name, Some("app"));
        assert!(workload.long_running);
    }

    #[test]
    fn objects_without_a_pod_spec_are_not_workloads() {
        let patch = object("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n");
        assert!(matches!(view(&patch, defaults()).view, View::Other));
    }
}
