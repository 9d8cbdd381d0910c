//! `securityContext.readOnlyRootFilesystem` is not true.

use super::{Rule, Verdict, Violation};
use crate::workload::{Container, Workload};

pub struct NotReadOnlyRootFileSystem;

impl Rule for NotReadOnlyRootFileSystem {
    fn check_container(&self, _workload: &Workload<'_>, container: &Container<'_>) -> Verdict {
        match container.security_context("readOnlyRootFilesystem") {
            Some(value) if value.as_bool() == Some(true) => Verdict::Pass,
            Some(value) => Verdict::Fail(Violation::at(
                value.span,
                "`readOnlyRootFilesystem` is false",
            )),
            None => Verdict::Fail(Violation::at(
                container.name_span,
                "`securityContext.readOnlyRootFilesystem` is not set",
            )),
        }
    }
}
