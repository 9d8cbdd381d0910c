//! `hostIPC` is true: the pod shares the node's IPC namespace.

use super::{FixSubject, Remedy, Rule, Verdict, host_namespace_shared, remove_labelled_entries};
use crate::model::workload::Workload;

pub(super) struct HostIpcSet;

impl Rule for HostIpcSet {
    fn reads(&self) -> &'static [&'static str] {
        &["hostIPC"]
    }

    fn check_pod(&self, workload: &Workload<'_>) -> Verdict {
        host_namespace_shared(workload, "hostIPC")
    }

    fn remedy(&self, subject: &FixSubject<'_, '_>) -> Remedy {
        remove_labelled_entries(subject)
    }
}
