//! `hostNetwork` is true: the pod shares the node's network namespace.

use super::{Rule, Verdict, Violation};
use crate::workload::Workload;

pub struct HostNetworkSet;

impl Rule for HostNetworkSet {
    fn check_pod(&self, workload: &Workload<'_>) -> Verdict {
        workload
            .field("hostNetwork")
            .filter(|value| value.as_bool() == Some(true))
            .map(|value| Violation::at(value.span, "`hostNetwork` is true"))
            .into()
    }
}
