//! `hostNetwork` is true: the pod shares the node's network namespace.

use super::{FixSubject, Remedy, Rule, Verdict, host_namespace_shared, remove_labelled_entries};
use crate::model::workload::Workload;

pub(super) struct HostNetworkSet;

impl Rule for HostNetworkSet {
    fn reads(&self) -> &'static [&'static str] {
        &["hostNetwork"]
    }

    fn check_pod(&self, workload: &Workload<'_>) -> Verdict {
        host_namespace_shared(workload, "hostNetwork")
    }

    fn remedy(&self, subject: &FixSubject<'_, '_>) -> Remedy {
        remove_labelled_entries(subject)
    }
}
