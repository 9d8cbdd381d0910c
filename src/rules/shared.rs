//! The pieces several checks share, so that each check file reads like the spec's sentence.

use super::{Verdict, Violation};
use crate::workload::{Container, ContainerKind, Workload};
use crate::yaml::Node;

/// A pod-level `host*` flag set to true (hostNetwork, hostIPC, hostPID).
pub fn host_namespace_shared(workload: &Workload<'_>, field: &str) -> Verdict {
    workload
        .field(field)
        .filter(|value| value.as_bool() == Some(true))
        .map(|value| Violation::at(value.span, format!("`{field}` is true")))
        .into()
}

/// A container `securityContext` flag that must be `wanted`: another value fails at the value,
/// a missing field at the container's name.
pub fn security_flag_required(container: &Container<'_>, field: &str, wanted: bool) -> Verdict {
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
pub fn added_capabilities<'a>(
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
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
}

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
/// says the API server will copy it into the request.
pub fn resource_missing(container: &Container<'_>, resource: Resource, name: &str) -> Verdict {
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

const PROBE_HANDLERS: &[&str] = &["exec", "httpGet", "tcpSocket", "grpc"];

/// Probes matter only for containers that keep running: regular containers and sidecars of
/// long-running pods. A probe without a handler fails at the probe's key.
pub fn probe_missing(workload: &Workload<'_>, container: &Container<'_>, field: &str) -> Verdict {
    let applies = workload.long_running
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
    if PROBE_HANDLERS
        .iter()
        .any(|handler| entry.value.get(handler).is_some())
    {
        Verdict::Pass
    } else {
        Verdict::Fail(Violation::at(
            entry.key.span,
            format!("`{field}` has no handler (exec, httpGet, tcpSocket or grpc)"),
        ))
    }
}
