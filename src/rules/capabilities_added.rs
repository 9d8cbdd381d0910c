//! `securityContext.capabilities.add` holds a dangerous capability (spec §2: compared
//! case-insensitively, with or without `CAP_`); the set comes from the run's settings.

use super::{Rule, Verdict, Violation, added_capabilities};
use crate::workload::{Container, Workload};

pub struct CapabilitiesAdded;

impl Rule for CapabilitiesAdded {
    fn check_container(&self, workload: &Workload<'_>, container: &Container<'_>) -> Verdict {
        let dangerous = added_capabilities(container)
            .filter(|(_, name)| workload.settings.is_dangerous_capability(name))
            .map(|(node, name)| (node.span, format!("`{name}` is a dangerous capability")));
        Violation::at_each(dangerous).into()
    }
}
