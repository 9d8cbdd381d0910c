//! No usable `livenessProbe` on a regular container or sidecar of a long-running pod.

use super::{Rule, Verdict, probe_missing};
use crate::workload::{Container, Workload};

pub struct LivenessProbeMissing;

impl Rule for LivenessProbeMissing {
    fn check_container(&self, workload: &Workload<'_>, container: &Container<'_>) -> Verdict {
        probe_missing(workload, container, "livenessProbe")
    }
}
