//! No usable `readinessProbe` on a regular container or sidecar of a long-running pod.

use super::{FixSubject, Remedy, Rule, Verdict, probe_missing, probe_remedy};
use crate::model::workload::{Container, Workload};

pub(super) struct ReadinessProbeMissing;

impl Rule for ReadinessProbeMissing {
    fn reads(&self) -> &'static [&'static str] {
        &[
            "restartPolicy",
            "containers[].restartPolicy",
            "containers[].readinessProbe",
        ]
    }

    fn check_container(&self, workload: &Workload<'_>, container: &Container<'_>) -> Verdict {
        probe_missing(workload, container, "readinessProbe")
    }

    fn remedy(&self, subject: &FixSubject<'_, '_>) -> Remedy {
        probe_remedy(subject, "readinessProbe")
    }
}
