//! `resources.limits.memory` is not set.

use super::{FixSubject, Remedy, Resource, Rule, Verdict, resource_missing, resource_remedy};
use crate::model::workload::{Container, Workload};

pub(super) struct MemoryLimitsMissing;

impl Rule for MemoryLimitsMissing {
    fn reads(&self) -> &'static [&'static str] {
        &["containers[].resources.limits.memory"]
    }

    fn check_container(&self, _workload: &Workload<'_>, container: &Container<'_>) -> Verdict {
        resource_missing(container, Resource::Limits, "memory")
    }

    fn remedy(&self, subject: &FixSubject<'_, '_>) -> Remedy {
        resource_remedy(subject, Resource::Limits, "memory")
    }
}
