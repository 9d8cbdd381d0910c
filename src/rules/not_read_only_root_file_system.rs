//! `securityContext.readOnlyRootFilesystem` is not true.

use super::{FixSubject, Remedy, Rule, Verdict, security_flag_required, set_security_flag};
use crate::model::workload::{Container, Workload};

pub(super) struct NotReadOnlyRootFileSystem;

impl Rule for NotReadOnlyRootFileSystem {
    fn reads(&self) -> &'static [&'static str] {
        &["containers[].securityContext.readOnlyRootFilesystem"]
    }

    fn check_container(&self, _workload: &Workload<'_>, container: &Container<'_>) -> Verdict {
        security_flag_required(container, "readOnlyRootFilesystem", true)
    }

    fn remedy(&self, _subject: &FixSubject<'_, '_>) -> Remedy {
        Remedy::Changes(vec![set_security_flag("readOnlyRootFilesystem", true)])
    }
}
