//! Checks defined by input rather than by a `rules/<id>.md`: the rules of the policies a run
//! reads. Reports, exemptions and the baseline refer to every check through a
//! `&'static RuleEntry`, so a policy rule gets one too, registered for the life of the process.
//! Registration is interned: the same definition read again (the next run of an editor
//! session, the next file) returns the entry already made, so memory grows with the distinct
//! definitions seen, not with the runs.

use std::sync::Mutex;

use super::metadata::{Applicability, Category, RuleMeta, Scope, Severity};
use super::{Rule, RuleEntry};

/// What a policy says about one of its rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Definition {
    pub id: String,
    pub title: String,
    pub category: Category,
    pub severity: Severity,
    pub scope: Scope,
    /// The failure message when the finding has none of its own.
    pub message: String,
    pub remediation: String,
    /// Where the rule was written (`policies/no-host.yaml:12`), for `explain`.
    pub source: String,
}

/// A defined check's decisions are made by its policy, not through the [`Rule`] trait: the
/// engine never calls these methods.
struct Defined;

impl Rule for Defined {
    fn reads(&self) -> &'static [&'static str] {
        &[]
    }
}

static REGISTERED: Mutex<Vec<(Definition, &'static RuleEntry)>> = Mutex::new(Vec::new());

/// The entry of `definition`, made on first use.
pub fn register(definition: Definition) -> &'static RuleEntry {
    let mut registered = REGISTERED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, entry)) = registered.iter().find(|(known, _)| *known == definition) {
        return entry;
    }
    let entry: &'static RuleEntry = Box::leak(Box::new(RuleEntry {
        meta: meta_of(&definition),
        rule: &Defined,
    }));
    registered.push((definition, entry));
    entry
}

/// The most recently registered entry with this id, matched case-insensitively.
pub(super) fn find(id: &str) -> Option<&'static RuleEntry> {
    let registered = REGISTERED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    registered
        .iter()
        .rev()
        .find(|(definition, _)| definition.id.eq_ignore_ascii_case(id))
        .map(|(_, entry)| *entry)
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

fn meta_of(definition: &Definition) -> RuleMeta {
    let document = format!(
        "# {}\n\n## Message\n\n{}\n\n## Remediation\n\n{}\n\n## Source\n\n{}\n",
        definition.title, definition.message, definition.remediation, definition.source
    );
    RuleMeta {
        id: leak(definition.id.clone()),
        category: definition.category,
        severity: definition.severity,
        scope: definition.scope,
        polaris: None,
        applicability: Applicability::DisplayOnly,
        review: None,
        title: leak(definition.title.clone()),
        message: leak(definition.message.clone()),
        success: leak(format!("{} holds.", definition.title)),
        risk: leak(format!(
            "The rule defined at {} does not hold.",
            definition.source
        )),
        remediation: leak(definition.remediation.clone()),
        fix: "No automatic fix: the rule states what must hold, not how to change the manifest.",
        document: leak(document),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn definition(id: &str) -> Definition {
        Definition {
            id: id.to_owned(),
            title: "No host network".to_owned(),
            category: Category::Security,
            severity: Severity::Danger,
            scope: Scope::Object,
            message: "uses the host network".to_owned(),
            remediation: "remove hostNetwork".to_owned(),
            source: "policy.yaml:3".to_owned(),
        }
    }

    #[test]
    fn the_same_definition_is_registered_once() {
        let first = register(definition("test-policy/interned"));
        let again = register(definition("test-policy/interned"));
        assert!(std::ptr::eq(first, again));
        assert!(find("TEST-POLICY/INTERNED").is_some_and(|found| std::ptr::eq(found, first)));
        assert_eq!(first.meta.id, "test-policy/interned");
    }
}
