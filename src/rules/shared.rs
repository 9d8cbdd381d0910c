//! The pieces several checks share, so that each check file reads like the spec's sentence.

use super::{Change, Desired, FixSubject, Remedy, Verdict, Violation, normalize_capability};
use crate::model::kinds::Probes;
use crate::model::workload::{Container, ContainerKind, Workload};
use crate::yaml::{Node, Value};

/// A pod-level `host*` flag set to true (hostNetwork, hostIPC, hostPID).
pub(super) fn host_namespace_shared(workload: &Workload<'_>, field: &str) -> Verdict {
    workload
        .field(field)
        .filter(|value| value.as_bool() == Some(true))
        .map(|value| Violation::at(value.span, format!("`{field}` is true")))
        .into()
}

/// A container `securityContext` flag that must be `wanted`: another value fails at the value,
/// a missing field at the container's name.
pub(super) fn security_flag_required(
    container: &Container<'_>,
    field: &str,
    wanted: bool,
) -> Verdict {
    match container.security_context(field) {
        Some(value) if value.as_bool() == Some(wanted) => Verdict::Pass,
        Some(value) => Verdict::Fail(Violation::at(
            value.span,
            format!("`{field}` is {}", !wanted),
        )),
        None => Verdict::Fail(Violation::at(
            container.name_span,
            format!("`securityContext.{field}` is not set to {wanted}"),
        )),
    }
}

/// The entries of `securityContext.capabilities.add`, each with its text.
pub(super) fn added_capabilities<'a>(
    container: &Container<'a>,
) -> impl Iterator<Item = (&'a Node, &'a str)> {
    container
        .security_context("capabilities")
        .and_then(|capabilities| capabilities.get("add"))
        .and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .filter_map(|entry| Some((entry, entry.as_str()?)))
}

/// `securityContext.privileged` when it is true.
pub(super) fn privileged<'a>(container: &Container<'a>) -> Option<&'a Node> {
    container
        .security_context("privileged")
        .filter(|value| value.as_bool() == Some(true))
}

/// The `capabilities.add` entries that name `SYS_ADMIN`, in any accepted spelling.
pub(super) fn sys_admin_entries<'a>(container: &Container<'a>) -> impl Iterator<Item = &'a Node> {
    added_capabilities(container)
        .filter(|(_, name)| normalize_capability(name) == "SYS_ADMIN")
        .map(|(node, _)| node)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Resource {
    Requests,
    Limits,
}

impl Resource {
    fn key(self) -> &'static str {
        match self {
            Resource::Requests => "requests",
            Resource::Limits => "limits",
        }
    }

    fn other(self) -> Resource {
        match self {
            Resource::Requests => Resource::Limits,
            Resource::Limits => Resource::Requests,
        }
    }

    /// A modest placeholder, the request below the limit.
    fn placeholder(self, name: &str) -> &'static str {
        match (self, name) {
            (Resource::Requests, "cpu") => "100m",
            (Resource::Limits, "cpu") => "500m",
            (Resource::Requests, _) => "128Mi",
            (Resource::Limits, _) => "256Mi",
        }
    }
}

const RESOURCES_TODO: &str = "TODO(kubepatrol): placeholder, set what the container needs";
const PROBE_TODO: &str = "TODO(kubepatrol): placeholder, check the port and the handler";

/// A quantity is set when present and neither null nor empty; `0` is set (spec §2).
fn quantity<'a>(container: &Container<'a>, resource: Resource, name: &str) -> Option<&'a Node> {
    container
        .node
        .get("resources")?
        .get(resource.key())?
        .get(name)
        .filter(|value| value.as_str() != Some(""))
}

/// `resources.<requests|limits>.<name>` is not set; when only the limit is written, the help
/// says the API server will copy it into the request. Ephemeral containers are not asked: the
/// API server forbids `resources` on them.
pub(super) fn resource_missing(
    container: &Container<'_>,
    resource: Resource,
    name: &str,
) -> Verdict {
    if container.kind == ContainerKind::Ephemeral {
        return Verdict::NotApplicable;
    }
    if quantity(container, resource, name).is_some() {
        return Verdict::Pass;
    }
    let path = format!("resources.{}.{name}", resource.key());
    let violation = Violation::at(container.name_span, format!("`{path}` is not set"));
    let limit_is_set =
        resource == Resource::Requests && quantity(container, Resource::Limits, name).is_some();
    Verdict::Fail(if limit_is_set {
        violation.help(format!(
            "`resources.limits.{name}` is set, so the API server will default the request to the limit; \
             write `{path}` down so the scheduler reserves what the container really needs"
        ))
    } else {
        violation
    })
}

/// A placeholder quantity: the other half of the pair when it is written (a request above its
/// limit would be rejected, and the API server defaults a missing request to the limit anyway),
/// else a modest default.
pub(super) fn resource_remedy(
    subject: &FixSubject<'_, '_>,
    resource: Resource,
    name: &'static str,
) -> Remedy {
    let Some((_, container)) = subject.container() else {
        return Remedy::Refused("the finding is not about a container".into());
    };
    let text = quantity(container, resource.other(), name)
        .and_then(plain_text)
        .unwrap_or_else(|| resource.placeholder(name).to_owned());
    Remedy::Placeholders(vec![Change::Set {
        path: vec!["resources", resource.key(), name],
        value: Desired::Placeholder {
            text,
            todo: RESOURCES_TODO,
        },
    }])
}

/// A value that can be written back as a plain scalar meaning the same quantity.
fn plain_text(node: &Node) -> Option<String> {
    match &node.value {
        Value::Int(number) => Some(number.to_string()),
        Value::Str(text)
            if !text.is_empty()
                && text
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-')) =>
        {
            Some(text.to_string())
        }
        _ => None,
    }
}

/// A placeholder `tcpSocket` probe on the container's first declared port (8080 without one).
pub(super) fn probe_remedy(subject: &FixSubject<'_, '_>, field: &'static str) -> Remedy {
    let Some((_, container)) = subject.container() else {
        return Remedy::Refused("the finding is not about a container".into());
    };
    let port = container
        .node
        .get("ports")
        .and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .find_map(|port| port.get("containerPort")?.as_int())
        .unwrap_or(8080);
    Remedy::Placeholders(vec![Change::Set {
        path: vec![field, "tcpSocket", "port"],
        value: Desired::Placeholder {
            text: port.to_string(),
            todo: PROBE_TODO,
        },
    }])
}

const PROBE_HANDLERS: &[&str] = &["exec", "httpGet", "tcpSocket", "grpc"];

/// Probes matter only for containers that keep running: regular containers and sidecars of
/// long-running pods (for Knative, see [`Probes::KnativeServing`]). A probe is usable with exactly one handler: without one it does nothing,
/// and with two the API server rejects the pod; either fails at the probe's key.
pub(super) fn probe_missing(
    workload: &Workload<'_>,
    container: &Container<'_>,
    field: &str,
) -> Verdict {
    let expected = match workload.probes {
        Probes::Kubernetes => true,
        // Knative writes a TCP readiness probe for the serving container when none is set and
        // rejects probes on the others: only the serving container's liveness probe is ours.
        Probes::KnativeServing => field == "livenessProbe" && workload.serves(container),
    };
    let applies = expected
        && workload.long_running
        && matches!(
            container.kind,
            ContainerKind::Regular | ContainerKind::Sidecar
        );
    if !applies {
        return Verdict::NotApplicable;
    }
    let Some(entry) = container
        .node
        .entry(field)
        .filter(|entry| !entry.value.is_null())
    else {
        return Verdict::Fail(Violation::at(
            container.name_span,
            format!("`{field}` is not set"),
        ));
    };
    let handlers = PROBE_HANDLERS
        .iter()
        .filter(|handler| entry.value.get(handler).is_some())
        .count();
    match handlers {
        1 => Verdict::Pass,
        0 => Verdict::Fail(Violation::at(
            entry.key.span,
            format!("`{field}` has no handler (exec, httpGet, tcpSocket or grpc)"),
        )),
        _ => Verdict::Fail(
            Violation::at(entry.key.span, format!("`{field}` has {handlers} handlers"))
                .message(format!(
                    "`{field}` names more than one handler: the API server rejects the pod \
                     (\"may not specify more than 1 handler type\")"
                ))
                .help("keep exactly one of exec, httpGet, tcpSocket or grpc"),
        ),
    }
}
