//! `securityContext.privileged` is true: the container has every device and capability of the node.

use super::{FixSubject, Remedy, Rule, Verdict, Violation, privileged, set_security_flag};
use crate::model::workload::{Container, Workload};

pub(super) struct RunAsPrivileged;

impl Rule for RunAsPrivileged {
    fn reads(&self) -> &'static [&'static str] {
        &["containers[].securityContext.privileged"]
    }

    fn check_container(&self, _workload: &Workload<'_>, container: &Container<'_>) -> Verdict {
        privileged(container)
            .map(|value| Violation::at(value.span, "`privileged` is true"))
            .into()
    }

    fn remedy(&self, _subject: &FixSubject<'_, '_>) -> Remedy {
        Remedy::Changes(vec![set_security_flag("privileged", false)])
    }
}
