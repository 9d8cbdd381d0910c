//! `securityContext.readOnlyRootFilesystem` is not true.

use super::{Rule, Verdict, security_flag_required};
use crate::workload::{Container, Workload};

pub struct NotReadOnlyRootFileSystem;

impl Rule for NotReadOnlyRootFileSystem {
    fn check_container(&self, _workload: &Workload<'_>, container: &Container<'_>) -> Verdict {
        security_flag_required(container, "readOnlyRootFilesystem", true)
    }
}
