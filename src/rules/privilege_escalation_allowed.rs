//! `allowPrivilegeEscalation` is not false. Privileged containers and containers that add
//! `SYS_ADMIN` can always escalate, whatever the field says (spec §2).

use super::{
    Rule, Verdict, Violation, added_capabilities, normalize_capability, security_flag_required,
};
use crate::workload::{Container, Workload};

pub struct PrivilegeEscalationAllowed;

impl Rule for PrivilegeEscalationAllowed {
    fn check_container(&self, _workload: &Workload<'_>, container: &Container<'_>) -> Verdict {
        if let Some(privileged) = container
            .security_context("privileged")
            .filter(|value| value.as_bool() == Some(true))
        {
            return Verdict::Fail(
                Violation::at(privileged.span, "`privileged` is true")
                    .message("A privileged container can always escalate privileges, whatever `allowPrivilegeEscalation` says"),
            );
        }
        if let Some((sys_admin, _)) = added_capabilities(container)
            .find(|(_, name)| normalize_capability(name) == "SYS_ADMIN")
        {
            return Verdict::Fail(
                Violation::at(sys_admin.span, "`SYS_ADMIN` is added").message(
                    "A container with `SYS_ADMIN` can always escalate privileges, whatever `allowPrivilegeEscalation` says",
                ),
            );
        }
        security_flag_required(container, "allowPrivilegeEscalation", false)
    }
}
