//! The built-in table of kinds that carry pod templates (spec §1.1): Kubernetes' own workload
//! kinds and the well-known custom resources. Kept as data, one row per kind: the section
//! "Workload kinds" of `docs/config.md` is generated from it, and `workloads:` in
//! `.kubepatrol.yaml` overrides or extends it.

/// Where a kind keeps its containers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// A Kubernetes PodSpec at the pod spec pointer.
    PodSpec,
    /// An Argo Workflows `WorkflowSpec` at the pod spec pointer: the pod-level `hostNetwork` and
    /// `securityContext` are its own, the containers are in `templates[]` (`container`,
    /// `script`, `initContainers`, `sidecars`, `containerSet.containers`), and a template's
    /// `securityContext` replaces the workflow's for that template's pod.
    ArgoTemplates,
}

/// Which containers the probe checks expect probes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probes {
    /// Regular containers and sidecars of long-running pods.
    Kubernetes,
    /// Knative Serving: it gives the serving container a TCP readiness probe when none is
    /// written and rejects probes on the other containers (unless the `multi-container-probing`
    /// feature is on), so only the serving container's liveness probe is expected.
    KnativeServing,
}

/// One row of the table.
#[derive(Debug)]
pub struct KnownKind {
    /// API group the kind must belong to; `None` for Kubernetes' kinds, matched in any group.
    pub group: Option<&'static str>,
    pub kind: &'static str,
    /// JSON pointer (RFC 6901, no escapes) of the pod spec, or of the workflow spec for
    /// [`Layout::ArgoTemplates`].
    pub pod_spec: &'static str,
    /// JSON pointer of the pod metadata, for the documentation: annotations are read from the
    /// object's own `metadata` (spec §5).
    pub pod_metadata: &'static str,
    pub layout: Layout,
    /// Whether the pods may keep running (the pod's `restartPolicy` still decides); `false`
    /// for kinds whose pods run to completion.
    pub long_running: bool,
    pub probes: Probes,
    /// The upstream definition the pointers follow.
    pub source: &'static str,
}

impl KnownKind {
    /// The mapping keys from the object root to the pod spec.
    pub fn pod_spec_keys(&self) -> impl Iterator<Item = &'static str> {
        self.pod_spec.split('/').skip(1)
    }
}

const K8S_API: &str = "Kubernetes API reference (spec §1.1)";
const KRUISE: &str = "OpenKruise `apps.kruise.io` API (openkruise.io/docs/user-manuals)";
const KNATIVE: &str =
    "Knative Serving API `serving.knative.dev/v1` (knative.dev/docs/serving/reference/serving-api)";
const ARGO_WORKFLOWS: &str =
    "Argo Workflows field reference (argo-workflows.readthedocs.io/en/latest/fields)";

/// A row with a Kubernetes PodSpec and Kubernetes' probe rules.
const fn pod_spec(
    group: Option<&'static str>,
    kind: &'static str,
    pod_spec: &'static str,
    pod_metadata: &'static str,
    long_running: bool,
    source: &'static str,
) -> KnownKind {
    KnownKind {
        group,
        kind,
        pod_spec,
        pod_metadata,
        layout: Layout::PodSpec,
        long_running,
        probes: Probes::Kubernetes,
        source,
    }
}

/// A kind with a pod template at `spec.template`, as a Deployment's.
const fn template(
    group: Option<&'static str>,
    kind: &'static str,
    long_running: bool,
    source: &'static str,
) -> KnownKind {
    pod_spec(
        group,
        kind,
        "/spec/template/spec",
        "/spec/template/metadata",
        long_running,
        source,
    )
}

/// An OpenKruise kind: a pod template at `spec.template`, as its Kubernetes namesake's.
const fn kruise(kind: &'static str, long_running: bool) -> KnownKind {
    template(Some("apps.kruise.io"), kind, long_running, KRUISE)
}

const fn knative(
    kind: &'static str,
    pod_spec: &'static str,
    pod_metadata: &'static str,
) -> KnownKind {
    KnownKind {
        probes: Probes::KnativeServing,
        ..self::pod_spec(
            Some("serving.knative.dev"),
            kind,
            pod_spec,
            pod_metadata,
            true,
            KNATIVE,
        )
    }
}

const fn argo_workflow(
    kind: &'static str,
    workflow_spec: &'static str,
    pod_metadata: &'static str,
) -> KnownKind {
    KnownKind {
        layout: Layout::ArgoTemplates,
        ..self::pod_spec(
            Some("argoproj.io"),
            kind,
            workflow_spec,
            pod_metadata,
            false,
            ARGO_WORKFLOWS,
        )
    }
}

/// Rows of a specific group come before Kubernetes' kinds of the same name, which match in
/// any group: the first matching row wins.
pub const KNOWN_KINDS: &[KnownKind] = &[
    pod_spec(None, "Pod", "/spec", "/metadata", true, K8S_API),
    template(None, "Deployment", true, K8S_API),
    template(None, "ReplicaSet", true, K8S_API),
    kruise("StatefulSet", true),
    template(None, "StatefulSet", true, K8S_API),
    kruise("DaemonSet", true),
    template(None, "DaemonSet", true, K8S_API),
    template(None, "ReplicationController", true, K8S_API),
    template(None, "Job", false, K8S_API),
    pod_spec(
        None,
        "CronJob",
        "/spec/jobTemplate/spec/template/spec",
        "/spec/jobTemplate/spec/template/metadata",
        false,
        K8S_API,
    ),
    pod_spec(
        None,
        "PodTemplate",
        "/template/spec",
        "/template/metadata",
        true,
        K8S_API,
    ),
    template(
        Some("apps.openshift.io"),
        "DeploymentConfig",
        true,
        "OpenShift API `apps.openshift.io/v1` DeploymentConfigSpec.template",
    ),
    knative("Service", "/spec/template/spec", "/spec/template/metadata"),
    knative(
        "Configuration",
        "/spec/template/spec",
        "/spec/template/metadata",
    ),
    // A Revision's spec is a RevisionSpec, which inlines the PodSpec.
    knative("Revision", "/spec", "/metadata"),
    pod_spec(
        Some("keda.sh"),
        "ScaledJob",
        "/spec/jobTargetRef/template/spec",
        "/spec/jobTargetRef/template/metadata",
        false,
        "KEDA ScaledJob spec (keda.sh/docs/latest/reference/scaledjob-spec): `jobTargetRef` is a Job spec",
    ),
    kruise("CloneSet", true),
    kruise("BroadcastJob", false),
    // A Rollout with `spec.workloadRef` instead of a template has no pod spec to inspect: the
    // Deployment it references is inspected where it is written.
    template(
        Some("argoproj.io"),
        "Rollout",
        true,
        "Argo Rollouts specification (argo-rollouts.readthedocs.io/en/stable/features/specification)",
    ),
    argo_workflow("Workflow", "/spec", "/spec/podMetadata"),
    argo_workflow("WorkflowTemplate", "/spec", "/spec/podMetadata"),
    argo_workflow("ClusterWorkflowTemplate", "/spec", "/spec/podMetadata"),
    argo_workflow(
        "CronWorkflow",
        "/spec/workflowSpec",
        "/spec/workflowSpec/podMetadata",
    ),
];

/// The row for a kind of an API group.
pub fn known_kind(group: &str, kind: &str) -> Option<&'static KnownKind> {
    KNOWN_KINDS
        .iter()
        .find(|known| known.kind == kind && known.group.is_none_or(|g| g == group))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const BEGIN: &str = "<!-- BEGIN workload kinds: generated from src/model/kinds.rs -->\n";
    const END: &str = "<!-- END workload kinds -->";

    /// The table as the Markdown of `docs/config.md`'s section between the markers.
    fn markdown_table() -> String {
        let mut table = String::from(
            "| kind | API group | pod spec at | pod metadata at | pods | source |\n|---|---|---|---|---|---|\n",
        );
        for known in KNOWN_KINDS {
            let pods = match (known.layout, known.probes, known.long_running) {
                (Layout::ArgoTemplates, _, _) => "run to completion; containers in `templates[]`",
                (_, Probes::KnativeServing, _) => "long-running; Knative probe rules",
                (_, _, true) => "long-running unless `restartPolicy` says otherwise",
                (_, _, false) => "run to completion",
            };
            table.push_str(&format!(
                "| {} | {} | `{}` | `{}` | {} | {} |\n",
                known.kind,
                known
                    .group
                    .map_or("any".to_owned(), |group| format!("`{group}`")),
                known.pod_spec,
                known.pod_metadata,
                pods,
                known.source,
            ));
        }
        table
    }

    #[test]
    fn pointers_are_plain_and_rows_unique() {
        for (index, known) in KNOWN_KINDS.iter().enumerate() {
            for pointer in [known.pod_spec, known.pod_metadata] {
                assert!(
                    pointer.starts_with('/') && !pointer.contains('~'),
                    "{pointer}"
                );
            }
            let twin = KNOWN_KINDS[..index]
                .iter()
                .any(|other| other.kind == known.kind && other.group == known.group);
            assert!(!twin, "{} is listed twice", known.kind);
        }
    }

    #[test]
    fn a_group_row_wins_over_the_kubernetes_row_of_the_same_name() {
        let kruise = known_kind("apps.kruise.io", "StatefulSet").expect("row");
        assert_eq!(kruise.source, KRUISE);
        assert_eq!(
            known_kind("apps", "StatefulSet").expect("row").source,
            K8S_API
        );
        assert!(known_kind("", "Service").is_none());
        assert_eq!(
            known_kind("keda.sh", "ScaledJob")
                .expect("row")
                .pod_spec_keys()
                .collect::<Vec<_>>(),
            ["spec", "jobTargetRef", "template", "spec"]
        );
    }

    /// Regenerate with `KUBEPATROL_UPDATE_DOCS=1 cargo test --lib kinds`.
    #[test]
    fn docs_config_lists_the_table() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/config.md");
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        let (head, rest) = committed.split_once(BEGIN).expect("begin marker");
        let (_, tail) = rest.split_once(END).expect("end marker");
        let generated = format!("{head}{BEGIN}{}{END}{tail}", markdown_table());
        if std::env::var_os("KUBEPATROL_UPDATE_DOCS").is_some() {
            std::fs::write(&path, &generated).expect("write docs/config.md");
        }
        assert!(
            committed == generated,
            "docs/config.md is out of date: run KUBEPATROL_UPDATE_DOCS=1 cargo test --lib kinds"
        );
    }
}
