//! `hostPID` is true: the pod shares the node's process namespace.

use super::{FixSubject, Remedy, Rule, Verdict, host_namespace_shared, remove_labelled_entries};
use crate::model::workload::Workload;

pub(super) struct HostPidSet;

impl Rule for HostPidSet {
    fn reads(&self) -> &'static [&'static str] {
        &["hostPID"]
    }

    fn check_pod(&self, workload: &Workload<'_>) -> Verdict {
        host_namespace_shared(workload, "hostPID")
    }

    fn remedy(&self, subject: &FixSubject<'_, '_>) -> Remedy {
        remove_labelled_entries(subject)
    }
}
