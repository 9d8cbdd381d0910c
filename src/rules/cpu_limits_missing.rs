//! `resources.limits.cpu` is not set.

use super::{Resource, Rule, Verdict, resource_missing};
use crate::workload::{Container, Workload};

pub struct CpuLimitsMissing;

impl Rule for CpuLimitsMissing {
    fn check_container(&self, _workload: &Workload<'_>, container: &Container<'_>) -> Verdict {
        resource_missing(container, Resource::Limits, "cpu")
    }
}
