//! `hostPID` is true: the pod shares the node's process namespace.

use super::{Rule, Verdict, host_namespace_shared};
use crate::workload::Workload;

pub struct HostPidSet;

impl Rule for HostPidSet {
    fn check_pod(&self, workload: &Workload<'_>) -> Verdict {
        host_namespace_shared(workload, "hostPID")
    }
}
