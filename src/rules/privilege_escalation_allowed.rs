//! `allowPrivilegeEscalation` is not false. Privileged containers and containers that add
//! `SYS_ADMIN` can always escalate, whatever the field says (spec §2).

use super::{
    Change, FixSubject, Remedy, Rule, Verdict, Violation, privileged, security_flag_required,
    set_security_flag, sys_admin_entries,
};
use crate::model::workload::{Container, Workload};

pub(super) struct PrivilegeEscalationAllowed;

impl Rule for PrivilegeEscalationAllowed {
    fn reads(&self) -> &'static [&'static str] {
        &[
            "containers[].securityContext.privileged",
            "containers[].securityContext.capabilities.add",
            "containers[].securityContext.allowPrivilegeEscalation",
        ]
    }

    fn check_container(&self, _workload: &Workload<'_>, container: &Container<'_>) -> Verdict {
        if let Some(privileged) = privileged(container) {
            return Verdict::Fail(
                Violation::at(privileged.span, "`privileged` is true")
                    .message("A privileged container can always escalate privileges, whatever `allowPrivilegeEscalation` says"),
            );
        }
        if let Some(sys_admin) = sys_admin_entries(container).next() {
            return Verdict::Fail(
                Violation::at(sys_admin.span, "`SYS_ADMIN` is added").message(
                    "A container with `SYS_ADMIN` can always escalate privileges, whatever `allowPrivilegeEscalation` says",
                ),
            );
        }
        security_flag_required(container, "allowPrivilegeEscalation", false)
    }

    /// The field alone does not help while the container is privileged or adds `SYS_ADMIN`:
    /// those go too, in the same edit of the container's securityContext.
    fn remedy(&self, subject: &FixSubject<'_, '_>) -> Remedy {
        let Some((_, container)) = subject.container() else {
            return Remedy::Refused("the finding is not about a container".into());
        };
        let mut changes = Vec::new();
        if privileged(container).is_some() {
            changes.push(set_security_flag("privileged", false));
        }
        changes.extend(sys_admin_entries(container).map(|node| Change::RemoveItem(node.span)));
        changes.push(set_security_flag("allowPrivilegeEscalation", false));
        Remedy::Changes(changes)
    }
}
