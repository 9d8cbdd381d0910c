//! A container port is bound to a port of the node (`ports[].hostPort` is non-zero).

use super::{FixSubject, Remedy, Rule, Verdict, Violation, remove_labelled_entries};
use crate::model::workload::{Container, Workload};
use crate::yaml::Node;

pub(super) struct HostPortSet;

impl Rule for HostPortSet {
    fn reads(&self) -> &'static [&'static str] {
        &["containers[].ports[].hostPort"]
    }

    fn check_container(&self, _workload: &Workload<'_>, container: &Container<'_>) -> Verdict {
        let ports = container
            .node
            .get("ports")
            .and_then(Node::as_seq)
            .unwrap_or(&[]);
        let host_ports = ports
            .iter()
            .filter_map(|port| port.get("hostPort"))
            .filter(|host_port| host_port.as_int().is_some_and(|number| number != 0))
            .map(|host_port| {
                let number = host_port.as_int().unwrap_or_default();
                (
                    host_port.span,
                    format!("`hostPort` {number} binds a port of the node"),
                )
            });
        Violation::at_each(host_ports).into()
    }

    fn remedy(&self, subject: &FixSubject<'_, '_>) -> Remedy {
        remove_labelled_entries(subject)
    }
}
