//! `resources.requests.cpu` is not set.

use super::{FixSubject, Remedy, Resource, Rule, Verdict, resource_missing, resource_remedy};
use crate::model::workload::{Container, Workload};

pub(super) struct CpuRequestsMissing;

impl Rule for CpuRequestsMissing {
    fn reads(&self) -> &'static [&'static str] {
        &[
            "containers[].resources.requests.cpu",
            "containers[].resources.limits.cpu",
        ]
    }

    fn check_container(&self, _workload: &Workload<'_>, container: &Container<'_>) -> Verdict {
        resource_missing(container, Resource::Requests, "cpu")
    }

    fn remedy(&self, subject: &FixSubject<'_, '_>) -> Remedy {
        resource_remedy(subject, Resource::Requests, "cpu")
    }
}
