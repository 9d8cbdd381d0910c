//! Typed views of the objects the checks inspect: workloads (objects that carry a pod spec, spec
//! §1.1) with their containers, and RBAC bindings (§1.2).
//!
//! Building a view also validates the types of every field a check reads (and of annotation
//! values, which kubectl refuses unless they are strings): a wrong type is reported at that
//! field, and named by its [`InvalidField::field`] so that only the checks reading it skip the
//! object; a wrong-typed value is never checked as if valid.

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::model::kinds::{Layout, Probes, known_kind};
use crate::model::object::{Object, group_of};
use crate::settings::{ExtraWorkload, Settings};
use crate::source::Span;
use crate::yaml::{Node, Value, json_key};

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
    /// The pod-level `securityContext` that applies to it: the pod spec's, or for an Argo
    /// Workflows template the template's when set, else the workflow's.
    pub pod_security_context: Option<&'a Node>,
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
    /// Which containers the probe checks expect probes on.
    pub probes: Probes,
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
        let node = container.pod_security_context?.get(field)?;
        Some(Effective {
            node,
            origin: Origin::Pod,
        })
    }

    /// Whether Knative would route requests to `container`: the only regular container, or
    /// the one that declares `ports` (Knative requires exactly one to).
    pub fn serves(&self, container: &Container<'a>) -> bool {
        let regular = || {
            self.containers
                .iter()
                .filter(|c| c.kind == ContainerKind::Regular)
        };
        let has_ports = |c: &Container<'_>| {
            c.node
                .get("ports")
                .and_then(Node::as_seq)
                .is_some_and(|ports| !ports.is_empty())
        };
        container.kind == ContainerKind::Regular && (regular().count() == 1 || has_ports(container))
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
    /// The `workload-by-shape` note of a kind recognised only by its shape.
    pub note: Option<Diagnostic>,
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

/// The view the checks see of `object`, the type errors in it, and the note of a kind
/// recognised by its shape. Configured kinds come first, then the built-in table
/// ([`crate::model::kinds`]), then the shape rule.
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
    let (view, note) = kind_view(object, settings, &mut invalid);
    Viewed {
        view,
        invalid,
        note,
    }
}

fn kind_view<'a>(
    object: &'a Object,
    settings: &'a Settings,
    invalid: &mut Vec<InvalidField>,
) -> (View<'a>, Option<Diagnostic>) {
    let kind = object.id.kind.as_str();
    if is_binding(object.id.group(), kind) {
        return (binding(object, invalid), None);
    }
    match declared(&object.id.api_version, kind, settings) {
        Declared::Pods(location) => (workload(object, settings, &location, invalid), None),
        Declared::Unknown if has_pod_template_shape(&object.root) => {
            let location = PodLocation::by_shape();
            let view = workload(object, settings, &location, invalid);
            (view, Some(recognised_by_shape(object)))
        }
        Declared::Unknown | Declared::NotInspected => (View::Other, None),
    }
}

/// Where the pods of a kind are, as the table or the configuration says.
struct PodLocation<'s> {
    keys: Vec<&'s str>,
    layout: Layout,
    long_running: bool,
    probes: Probes,
}

impl PodLocation<'static> {
    /// A kind recognised by its shape: a long-running pod at `spec.template.spec`.
    fn by_shape() -> Self {
        PodLocation {
            keys: SHAPE_POD_SPEC.to_vec(),
            layout: Layout::PodSpec,
            long_running: true,
            probes: Probes::Kubernetes,
        }
    }
}

const SHAPE_POD_SPEC: &[&str] = &["spec", "template", "spec"];

/// What configuration and the table say about a kind.
enum Declared<'s> {
    Pods(PodLocation<'s>),
    /// Configured with `inspect: false`.
    NotInspected,
    Unknown,
}

fn declared<'s>(api_version: &str, kind: &str, settings: &'s Settings) -> Declared<'s> {
    let group = group_of(api_version);
    if let Some(extra) = extra_workload(settings, api_version, group, kind) {
        return match &extra.pod {
            Some(pod) => Declared::Pods(PodLocation {
                keys: pod.pod_spec.iter().map(String::as_str).collect(),
                layout: Layout::PodSpec,
                long_running: pod.long_running,
                probes: Probes::Kubernetes,
            }),
            None => Declared::NotInspected,
        };
    }
    match known_kind(group, kind) {
        Some(known) => Declared::Pods(PodLocation {
            keys: known.pod_spec_keys().collect(),
            layout: known.layout,
            long_running: known.long_running,
            probes: known.probes,
        }),
        None => Declared::Unknown,
    }
}

/// Whether `root` has a pod template where most workloads keep one: a mapping at
/// `spec.template.spec` whose `containers` is a non-empty list of mappings that each have a
/// `name` and an `image`.
pub fn has_pod_template_shape(root: &Node) -> bool {
    let spec = SHAPE_POD_SPEC
        .iter()
        .try_fold(root, |node, key| node.get(key));
    let containers = spec
        .and_then(|spec| spec.get("containers"))
        .and_then(Node::as_seq)
        .unwrap_or_default();
    !containers.is_empty()
        && containers.iter().all(|container| {
            container.as_map().is_some()
                && container.get("name").is_some()
                && container.get("image").is_some()
        })
}

fn recognised_by_shape(object: &Object) -> Diagnostic {
    let id = &object.id;
    let at = object
        .root
        .get("kind")
        .map_or(object.root.span, |kind| kind.span);
    let group = match id.group() {
        "" => String::new(),
        group => format!("apiVersion: {group}, "),
    };
    Diagnostic::note(
        Code::WorkloadByShape,
        Location::Span(at),
        format!(
            "{} `{}` is no known workload kind, but its `spec.template.spec` holds containers: \
             it is checked as a long-running workload. Declare the kind in `.kubepatrol.yaml` to \
             check it without this note (`workloads: [{{{group}kind: {}, podSpec: /spec/template/spec}}]`), \
             or to leave it unchecked (`workloads: [{{{group}kind: {}, inspect: false}}]`)",
            id.api_version, id.kind, id.kind, id.kind
        ),
    )
}

/// Whether any check looks inside objects of this kind (besides kinds recognised by their
/// shape, [`has_pod_template_shape`]); of the others only the identity (`apiVersion`, `kind`,
/// `metadata`) is ever read.
pub fn is_inspected(api_version: &str, kind: &str, settings: &Settings) -> bool {
    is_binding(group_of(api_version), kind)
        || matches!(declared(api_version, kind, settings), Declared::Pods(_))
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
    location: &PodLocation<'_>,
    invalid: &mut Vec<InvalidField>,
) -> View<'a> {
    let mut node = &object.root;
    let mut spec_key = None;
    let mut path = String::new();
    for key in &location.keys {
        let Some(entry) = node.entry(key).filter(|entry| !entry.value.is_null()) else {
            // An object without a pod spec (a partial patch, a Rollout with a `workloadRef`)
            // has nothing to inspect.
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
    let containers = match location.layout {
        Layout::PodSpec => {
            validate(node, &POD_SPEC, &Place::root(&path, ""), invalid);
            pod_containers(node)
        }
        Layout::ArgoTemplates => {
            validate(node, &WORKFLOW_POD_FIELDS, &Place::root(&path, ""), invalid);
            argo_containers(node, &path, invalid)
        }
    };
    let restart_policy = node
        .get("restartPolicy")
        .and_then(Node::as_str)
        .unwrap_or("Always");
    View::Workload(Workload {
        object,
        settings,
        spec: node,
        spec_key: spec_key.unwrap_or(object.root.span),
        long_running: location.long_running && restart_policy == "Always",
        probes: location.probes,
        containers,
    })
}

fn pod_containers(spec: &Node) -> Vec<Container<'_>> {
    let lists = [
        ("initContainers", ContainerKind::Init),
        ("containers", ContainerKind::Regular),
        ("ephemeralContainers", ContainerKind::Ephemeral),
    ];
    let pod_security_context = spec.get("securityContext");
    let mut found = Vec::new();
    for (field, list_kind) in lists {
        for node in spec.get(field).and_then(Node::as_seq).unwrap_or(&[]) {
            found.push(container(node, list_kind, pod_security_context));
        }
    }
    found
}

/// Where an Argo Workflows template keeps containers (the keys from the template), whether the
/// field holds one container or a list, and the kind of its containers. Argo puts `sidecars`
/// and the `containerSet` into the pod's `containers` beside the main one.
const ARGO_TEMPLATE_CONTAINERS: &[(&[&str], bool, ContainerKind)] = &[
    (&["initContainers"], true, ContainerKind::Init),
    (&["container"], false, ContainerKind::Regular),
    (&["script"], false, ContainerKind::Regular),
    (
        &["containerSet", "containers"],
        true,
        ContainerKind::Regular,
    ),
    (&["sidecars"], true, ContainerKind::Regular),
];

/// The containers of every template of an Argo Workflows spec, with their types validated
/// under the schema names of a pod spec's (`containers[]`, `securityContext`), so that a check
/// skips them exactly as it would skip a pod's.
fn argo_containers<'a>(
    workflow: &'a Node,
    path: &str,
    invalid: &mut Vec<InvalidField>,
) -> Vec<Container<'a>> {
    let templates_path = join(path, "templates");
    let Some(templates) = workflow.get("templates") else {
        return Vec::new();
    };
    validate(
        templates,
        &Shape::ListOf(&Shape::Map(&[])),
        &Place::root(&templates_path, "containers"),
        invalid,
    );
    let mut found = Vec::new();
    let mappings = templates.as_seq().unwrap_or_default().iter().enumerate();
    // Validation reported the templates that are not mappings.
    for (index, template) in mappings.filter(|(_, template)| template.as_map().is_some()) {
        let template_path = format!("{templates_path}[{index}]");
        if let Some(context) = template.get("securityContext") {
            let place = Place::root(&join(&template_path, "securityContext"), "securityContext");
            validate(context, &POD_SECURITY_CONTEXT, &place, invalid);
        }
        let pod_security_context = template
            .get("securityContext")
            .or_else(|| workflow.get("securityContext"));
        for (keys, is_list, kind) in ARGO_TEMPLATE_CONTAINERS {
            let Some((node, field_path)) = template_field(template, keys, &template_path, invalid)
            else {
                continue;
            };
            let nodes = if *is_list {
                validate(
                    node,
                    &CONTAINER_LIST,
                    &Place::root(&field_path, "containers"),
                    invalid,
                );
                node.as_seq().unwrap_or_default()
            } else {
                validate(
                    node,
                    &CONTAINER,
                    &Place::root(&field_path, "containers[]"),
                    invalid,
                );
                std::slice::from_ref(node)
            };
            found.extend(
                nodes
                    .iter()
                    .map(|node| container(node, *kind, pod_security_context)),
            );
        }
    }
    found
}

/// The value at `keys` below an Argo template, and its path; a mapping on the way that is not
/// one is a type error that makes containers unreadable.
fn template_field<'a>(
    template: &'a Node,
    keys: &[&str],
    template_path: &str,
    invalid: &mut Vec<InvalidField>,
) -> Option<(&'a Node, String)> {
    let mut node = template;
    let mut path = template_path.to_owned();
    for key in keys {
        if node.as_map().is_none() {
            invalid.push(InvalidField {
                field: "containers".to_owned(),
                diagnostic: type_error(node, &path, "a mapping"),
            });
            return None;
        }
        node = node.get(key)?;
        path = join(&path, key);
    }
    Some((node, path))
}

fn container<'a>(
    node: &'a Node,
    list_kind: ContainerKind,
    pod_security_context: Option<&'a Node>,
) -> Container<'a> {
    let restarts_always = node.get("restartPolicy").and_then(Node::as_str) == Some("Always");
    let kind = match list_kind {
        ContainerKind::Init if restarts_always => ContainerKind::Sidecar,
        other => other,
    };
    let name_node = node.get("name");
    Container {
        node,
        kind,
        name: name_node.and_then(Node::as_str),
        name_span: name_node.map_or(node.span, |name| name.span),
        pod_security_context,
    }
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

const CONTAINER_LIST: Shape = Shape::ListOf(&CONTAINER);

const POD_SECURITY_CONTEXT: Shape =
    Shape::Map(&[("runAsUser", Shape::Int), ("runAsNonRoot", Shape::Bool)]);

const POD_SPEC: Shape = Shape::Map(&[
    ("hostNetwork", Shape::Bool),
    ("hostIPC", Shape::Bool),
    ("hostPID", Shape::Bool),
    ("restartPolicy", Shape::Str),
    ("securityContext", POD_SECURITY_CONTEXT),
    ("containers", CONTAINER_LIST),
    ("initContainers", CONTAINER_LIST),
    ("ephemeralContainers", CONTAINER_LIST),
]);

/// The pod-level fields of an Argo Workflows spec that checks read (its templates are
/// validated container by container).
const WORKFLOW_POD_FIELDS: Shape = Shape::Map(&[
    ("hostNetwork", Shape::Bool),
    ("securityContext", POD_SECURITY_CONTEXT),
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

    fn workload_of<'a>(object: &'a Object, settings: &'a Settings) -> Workload<'a> {
        match view(object, settings).view {
            View::Workload(workload) => workload,
            other => panic!("a workload, not {other:?}"),
        }
    }

    fn names_and_kinds<'a>(workload: &Workload<'a>) -> Vec<(Option<&'a str>, ContainerKind)> {
        workload
            .containers
            .iter()
            .map(|c| (c.name, c.kind))
            .collect()
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
        let workload = workload_of(&pod, defaults());
        assert_eq!(
            names_and_kinds(&workload),
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
        let workload = workload_of(&job, defaults());
        assert!(!workload.long_running);
        let pod =
            object("apiVersion: v1\nkind: Pod\nspec:\n  restartPolicy: Never\n  containers: []\n");
        let workload = workload_of(&pod, defaults());
        assert!(!workload.long_running);
    }

    #[test]
    fn effective_security_context_prefers_the_container() {
        let pod = object(
            "apiVersion: v1\nkind: Pod\nspec:\n  securityContext: {runAsNonRoot: true, runAsUser: 5}\n  containers:\n  - name: a\n    securityContext: {runAsNonRoot: false}\n",
        );
        let workload = workload_of(&pod, defaults());
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
            "apiVersion: example.com/v1\nkind: Service\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n",
        );
        assert!(matches!(view(&service, defaults()).view, View::Other));
        let mut settings = Settings::default();
        settings
            .extra_workloads
            .push(crate::settings::ExtraWorkload {
                api_version: Some("example.com/v1".into()),
                kind: "Service".into(),
                pod: Some(crate::settings::ExtraPod {
                    pod_spec: vec!["spec".into(), "template".into(), "spec".into()],
                    long_running: true,
                }),
                resource: None,
            });
        let workload = workload_of(&service, &settings);
        assert_eq!(workload.containers[0].name, Some("app"));
        assert!(workload.long_running);
    }

    fn configured(kind: &str, pod: Option<crate::settings::ExtraPod>) -> Settings {
        let mut settings = Settings::default();
        settings
            .extra_workloads
            .push(crate::settings::ExtraWorkload {
                api_version: None,
                kind: kind.into(),
                pod,
                resource: None,
            });
        settings
    }

    const SHAPED: &str = "apiVersion: example.com/v1\nkind: WebApp\nspec:\n  template:\n    spec:\n      containers:\n      - {name: app, image: app:1}\n";

    #[test]
    fn an_unknown_kind_with_a_pod_template_is_a_workload_with_a_note() {
        let shaped = object(SHAPED);
        let viewed = view(&shaped, defaults());
        assert!(matches!(&viewed.view, View::Workload(w) if w.long_running));
        let note = viewed.note.expect("a note");
        assert_eq!(note.code, Code::WorkloadByShape);
        assert!(note.message.contains("inspect: false"), "{}", note.message);
        let declared = configured("WebApp", None);
        let viewed = view(&shaped, &declared);
        assert!(matches!(viewed.view, View::Other) && viewed.note.is_none());
        let imageless = object(&SHAPED.replace(", image: app:1", ""));
        assert!(matches!(view(&imageless, defaults()).view, View::Other));
    }

    #[test]
    fn configuration_replaces_a_row_of_the_table() {
        let rollout = object(
            "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nspec:\n  template:\n    spec:\n      containers: [{name: a}]\n",
        );
        let workload = workload_of(&rollout, defaults());
        assert!(workload.long_running);
        let settings = configured(
            "Rollout",
            Some(crate::settings::ExtraPod {
                pod_spec: vec!["spec".into(), "template".into(), "spec".into()],
                long_running: false,
            }),
        );
        let workload = workload_of(&rollout, &settings);
        assert!(!workload.long_running);
        assert!(!is_inspected(
            "argoproj.io/v1alpha1",
            "Rollout",
            &configured("Rollout", None)
        ));
    }

    #[test]
    fn knative_serves_the_only_container_or_the_one_with_ports() {
        let service = object(
            "apiVersion: serving.knative.dev/v1\nkind: Service\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        ports: [{containerPort: 8080}]\n      - name: proxy\n",
        );
        let workload = workload_of(&service, defaults());
        assert_eq!(workload.probes, Probes::KnativeServing);
        let serving: Vec<_> = workload
            .containers
            .iter()
            .map(|c| workload.serves(c))
            .collect();
        assert_eq!(serving, [true, false]);
    }

    #[test]
    fn argo_workflow_containers_come_from_every_template() {
        let workflow = object(
            "apiVersion: argoproj.io/v1alpha1\nkind: CronWorkflow\nspec:\n  workflowSpec:\n    securityContext: {runAsNonRoot: true}\n    templates:\n    - name: a\n      securityContext: {runAsUser: 0}\n      initContainers: [{name: setup}]\n      container: {image: x}\n      sidecars: [{name: db}]\n    - name: b\n      script: {image: y, securityContext: {privileged: yes}}\n    - name: c\n      containerSet: {containers: [{name: one}]}\n    - name: steps\n      steps: []\n",
        );
        let workload = workload_of(&workflow, defaults());
        assert!(!workload.long_running);
        assert_eq!(
            names_and_kinds(&workload),
            [
                (Some("setup"), ContainerKind::Init),
                (None, ContainerKind::Regular),
                (Some("db"), ContainerKind::Regular),
                (None, ContainerKind::Regular),
                (Some("one"), ContainerKind::Regular),
            ]
        );
        // The template's securityContext replaces the workflow's.
        let main = &workload.containers[1];
        assert!(workload.effective(main, "runAsNonRoot").is_none());
        assert_eq!(
            workload.effective(main, "runAsUser").map(|e| e.origin),
            Some(Origin::Pod)
        );
        let script = &workload.containers[3];
        assert!(workload.effective(script, "runAsNonRoot").is_some());
    }

    #[test]
    fn argo_template_type_errors_are_named_as_a_pod_specs() {
        let workflow = object(
            "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec:\n  hostNetwork: 1\n  templates:\n  - name: a\n    securityContext: {runAsUser: x}\n    container: {image: [x]}\n    sidecars: 5\n  - 7\n  - containerSet: []\n",
        );
        let invalid = view(&workflow, defaults()).invalid;
        let fields: Vec<_> = invalid.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "hostNetwork",
                "containers[]",
                "securityContext.runAsUser",
                "containers[].image",
                "containers",
                "containers",
            ]
        );
        assert!(
            invalid[3]
                .diagnostic
                .message
                .starts_with("`spec.templates[0].container.image`")
        );
    }

    #[test]
    fn objects_without_a_pod_spec_are_not_workloads() {
        let patch = object("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n");
        assert!(matches!(view(&patch, defaults()).view, View::Other));
    }
}
