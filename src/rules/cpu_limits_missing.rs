//! `resources.limits.cpu` is not set.

use super::{FixSubject, Remedy, Resource, Rule, Verdict, resource_missing, resource_remedy};
use crate::model::workload::{Container, Workload};

pub(super) struct CpuLimitsMissing;

impl Rule for CpuLimitsMissing {
    fn reads(&self) -> &'static [&'static str] {
        &["containers[].resources.limits.cpu"]
    }

    fn check_container(&self, _workload: &Workload<'_>, container: &Container<'_>) -> Verdict {
        resource_missing(container, Resource::Limits, "cpu")
    }

    fn remedy(&self, subject: &FixSubject<'_, '_>) -> Remedy {
        resource_remedy(subject, Resource::Limits, "cpu")
    }
}
