//! `securityContext.capabilities.add` holds a dangerous capability (spec §2: compared
//! case-insensitively, with or without `CAP_`); the set comes from the run's settings.

use super::{Change, Desired, FixSubject, Remedy, Rule, Verdict, Violation, added_capabilities};
use crate::model::workload::{Container, Workload};

pub(super) struct CapabilitiesAdded;

impl Rule for CapabilitiesAdded {
    fn reads(&self) -> &'static [&'static str] {
        &["containers[].securityContext.capabilities.add"]
    }

    fn check_container(&self, workload: &Workload<'_>, container: &Container<'_>) -> Verdict {
        let dangerous = added_capabilities(container)
            .filter(|(_, name)| workload.settings.is_dangerous_capability(name))
            .map(|(node, name)| (node.span, format!("`{name}` is a dangerous capability")));
        Violation::at_each(dangerous).into()
    }

    /// Each labelled entry is a dangerous one: remove them, and drop every other capability
    /// unless the container already says what it drops.
    fn remedy(&self, subject: &FixSubject<'_, '_>) -> Remedy {
        let mut changes: Vec<Change> = subject
            .labels()
            .iter()
            .map(|label| Change::RemoveItem(label.span))
            .collect();
        changes.push(Change::Set {
            path: vec!["securityContext", "capabilities", "drop"],
            value: Desired::ListIfAbsent(&["ALL"]),
        });
        Remedy::Changes(changes)
    }
}
