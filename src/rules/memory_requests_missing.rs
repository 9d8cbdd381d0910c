//! `resources.requests.memory` is not set.

use super::{FixSubject, Remedy, Resource, Rule, Verdict, resource_missing, resource_remedy};
use crate::model::workload::{Container, Workload};

pub(super) struct MemoryRequestsMissing;

impl Rule for MemoryRequestsMissing {
    fn reads(&self) -> &'static [&'static str] {
        &[
            "containers[].resources.requests.memory",
            "containers[].resources.limits.memory",
        ]
    }

    fn check_container(&self, _workload: &Workload<'_>, container: &Container<'_>) -> Verdict {
        resource_missing(container, Resource::Requests, "memory")
    }

    fn remedy(&self, subject: &FixSubject<'_, '_>) -> Remedy {
        resource_remedy(subject, Resource::Requests, "memory")
    }
}
