//! `hostNetwork` is true: the pod shares the node's network namespace.

use super::{Rule, Verdict, host_namespace_shared};
use crate::workload::Workload;

pub struct HostNetworkSet;

impl Rule for HostNetworkSet {
    fn check_pod(&self, workload: &Workload<'_>) -> Verdict {
        host_namespace_shared(workload, "hostNetwork")
    }
}
