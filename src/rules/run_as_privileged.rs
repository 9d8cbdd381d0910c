//! `securityContext.privileged` is true: the container has every device and capability of the node.

use super::{Rule, Verdict, Violation};
use crate::workload::{Container, Workload};

pub struct RunAsPrivileged;

impl Rule for RunAsPrivileged {
    fn check_container(&self, _workload: &Workload<'_>, container: &Container<'_>) -> Verdict {
        container
            .security_context("privileged")
            .filter(|value| value.as_bool() == Some(true))
            .map(|value| Violation::at(value.span, "`privileged` is true"))
            .into()
    }
}
