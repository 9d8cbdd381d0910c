//! `resources.requests.cpu` is not set.

use super::{Resource, Rule, Verdict, resource_missing};
use crate::workload::{Container, Workload};

pub struct CpuRequestsMissing;

impl Rule for CpuRequestsMissing {
    fn check_container(&self, _workload: &Workload<'_>, container: &Container<'_>) -> Verdict {
        resource_missing(container, Resource::Requests, "cpu")
    }
}
