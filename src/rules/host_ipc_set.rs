//! `hostIPC` is true: the pod shares the node's IPC namespace.

use super::{Rule, Verdict, host_namespace_shared};
use crate::workload::Workload;

pub struct HostIpcSet;

impl Rule for HostIpcSet {
    fn check_pod(&self, workload: &Workload<'_>) -> Verdict {
        host_namespace_shared(workload, "hostIPC")
    }
}
