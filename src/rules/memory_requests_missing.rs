//! `resources.requests.memory` is not set.

use super::{Resource, Rule, Verdict, resource_missing};
use crate::workload::{Container, Workload};

pub struct MemoryRequestsMissing;

impl Rule for MemoryRequestsMissing {
    fn check_container(&self, _workload: &Workload<'_>, container: &Container<'_>) -> Verdict {
        resource_missing(container, Resource::Requests, "memory")
    }
}
