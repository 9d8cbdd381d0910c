//! The container may run as root: effective `runAsUser` is 0, or effective `runAsNonRoot` is not
//! true and effective `runAsUser` is not a positive integer (spec §2, container over pod).

use super::{FixSubject, Remedy, Rule, Verdict, Violation, set_security_flag};
use crate::model::workload::{Container, Effective, Origin, Workload};

pub(super) struct RunAsRootAllowed;

impl Rule for RunAsRootAllowed {
    fn reads(&self) -> &'static [&'static str] {
        &[
            "securityContext.runAsUser",
            "securityContext.runAsNonRoot",
            "containers[].securityContext.runAsUser",
            "containers[].securityContext.runAsNonRoot",
        ]
    }

    fn check_container(&self, workload: &Workload<'_>, container: &Container<'_>) -> Verdict {
        let user = workload.effective(container, "runAsUser");
        let non_root = workload.effective(container, "runAsNonRoot");
        let non_root_required = non_root.is_some_and(|value| value.node.as_bool() == Some(true));
        let user_id = user.and_then(|value| value.node.as_int());

        if let (Some(user), Some(0)) = (user, user_id) {
            let violation = pointing_at(user, container, "`runAsUser` is 0 (root)");
            return Verdict::Fail(if non_root_required {
                violation.message(
                    "`runAsUser` is 0 while `runAsNonRoot` is true: the kubelet will refuse to start this container",
                )
            } else {
                violation
            });
        }
        if non_root_required || user_id.is_some_and(|id| id > 0) {
            return Verdict::Pass;
        }
        let violation = match non_root.filter(|value| value.node.as_bool() == Some(false)) {
            Some(explicit) => pointing_at(explicit, container, "`runAsNonRoot` is false"),
            None => match user {
                Some(negative) => {
                    pointing_at(negative, container, "`runAsUser` is not a positive integer")
                }
                None => Violation::at(
                    container.name_span,
                    "`securityContext.runAsNonRoot` is not set and `runAsUser` is not set",
                ),
            },
        };
        Verdict::Fail(violation)
    }

    /// `runAsNonRoot: true` on the container (it overrides the pod's value), unless the
    /// container is told to run as UID 0: then the kubelet would refuse to start it.
    fn remedy(&self, subject: &FixSubject<'_, '_>) -> Remedy {
        let Some((workload, container)) = subject.container() else {
            return Remedy::Refused("the finding is not about a container".into());
        };
        match workload
            .effective(container, "runAsUser")
            .and_then(|user| user.node.as_int())
        {
            Some(0) => Remedy::Refused(
                "`runAsUser` is 0: with `runAsNonRoot: true` the kubelet would refuse to start the container; choose a non-root user ID".into(),
            ),
            Some(negative) if negative < 0 => {
                Remedy::Refused("`runAsUser` is not a valid user ID; choose one".into())
            }
            _ => Remedy::Changes(vec![set_security_flag("runAsNonRoot", true)]),
        }
    }
}

/// A label at the offending value; when the pod's securityContext supplied it, a second label
/// shows which container inherits it.
fn pointing_at(value: Effective<'_>, container: &Container<'_>, text: &str) -> Violation {
    let violation = Violation::at(value.node.span, text);
    match value.origin {
        Origin::Container => violation,
        Origin::Pod => violation.label(container.name_span, "inherited by this container"),
    }
}
