//! The checks: the [`Rule`] trait, their documentation in `rules/<id>.md`, and the registry.
//!
//! A rule's code holds only its decision and where its labels point. Everything a user reads
//! about it (id, category, severity, level, messages, risk, remediation) comes from its
//! Markdown file, embedded at build time, so documentation and behaviour cannot drift apart.

pub mod explain;

mod anonymous_user_rbac_binding;
mod capabilities_added;
mod cpu_limits_missing;
mod cpu_requests_missing;
pub mod dynamic;
mod host_ipc_set;
mod host_network_set;
mod host_pid_set;
mod host_port_set;
mod liveness_probe_missing;
mod memory_limits_missing;
mod memory_requests_missing;
mod metadata;
mod not_read_only_root_file_system;
mod privilege_escalation_allowed;
mod readiness_probe_missing;
mod remedy;
mod run_as_privileged;
mod run_as_root_allowed;
mod shared;
mod tag_not_specified;

use std::sync::LazyLock;

use crate::model::workload::{Binding, Container, Workload};
use crate::source::Span;

use crate::settings::normalize_capability;
pub use metadata::{Applicability, Category, RuleMeta, Scope, Severity};
pub use remedy::{Change, Desired, FixSubject, Remedy};
use remedy::{remove_labelled_entries, set_security_flag};
use shared::{
    Resource, added_capabilities, host_namespace_shared, privileged, probe_missing, probe_remedy,
    resource_missing, resource_remedy, security_flag_required, sys_admin_entries,
};

/// A span with the text shown beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

/// What a rule concluded about one subject.
#[derive(Debug)]
pub enum Verdict {
    Pass,
    Fail(Violation),
    /// The rule does not apply to this subject (e.g. probes on an init container).
    NotApplicable,
}

/// A failed check: where it points and, when the generic text is not precise enough, a message
/// or help of its own.
#[derive(Debug)]
pub struct Violation {
    pub labels: Vec<Label>,
    pub message: Option<String>,
    pub help: Option<String>,
}

impl Violation {
    /// A violation whose primary label is `span`.
    pub fn at(span: Span, text: impl Into<String>) -> Self {
        Violation {
            labels: vec![Label {
                span,
                text: text.into(),
            }],
            message: None,
            help: None,
        }
    }

    pub fn label(mut self, span: Span, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// A violation with one label per span, the first primary; `None` when there is none.
    pub fn at_each(labels: impl IntoIterator<Item = (Span, String)>) -> Option<Self> {
        let labels: Vec<Label> = labels
            .into_iter()
            .map(|(span, text)| Label { span, text })
            .collect();
        (!labels.is_empty()).then_some(Violation {
            labels,
            message: None,
            help: None,
        })
    }
}

impl From<Option<Violation>> for Verdict {
    fn from(violation: Option<Violation>) -> Self {
        violation.map_or(Verdict::Pass, Verdict::Fail)
    }
}

/// One check. A rule implements the method of its level (front matter `level`); the engine
/// calls only that one.
pub trait Rule: Sync + Send {
    /// The fields the check reads, as places in the schema relative to the pod spec or the
    /// binding (`hostNetwork`, `containers[].securityContext.privileged`; see
    /// [`crate::model::workload::InvalidField`]). When one of them, or a field around or
    /// inside it, has the wrong type, the check is skipped for that object.
    fn reads(&self) -> &'static [&'static str];

    fn check_pod(&self, _workload: &Workload<'_>) -> Verdict {
        Verdict::NotApplicable
    }

    fn check_container(&self, _workload: &Workload<'_>, _container: &Container<'_>) -> Verdict {
        Verdict::NotApplicable
    }

    fn check_binding(&self, _binding: &Binding<'_>) -> Verdict {
        Verdict::NotApplicable
    }

    /// What `kubepatrol fix` does about a finding of this rule; by default, nothing.
    fn remedy(&self, _subject: &FixSubject<'_, '_>) -> Remedy {
        Remedy::Never("no automatic fix exists for this check")
    }
}

/// A registered rule with its parsed documentation.
pub struct RuleEntry {
    pub meta: RuleMeta,
    pub rule: &'static dyn Rule,
}

impl std::fmt::Debug for RuleEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleEntry")
            .field("id", &self.meta.id)
            .finish()
    }
}

/// The file name a rule is registered under and its embedded documentation.
struct Registration {
    file_id: &'static str,
    doc: &'static str,
    rule: &'static dyn Rule,
}

macro_rules! registry {
    ($($id:literal => $rule:expr),* $(,)?) => {
        &[$(Registration {
            file_id: $id,
            doc: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/", $id, ".md")),
            rule: &$rule,
        }),*]
    };
}

/// Adding a check touches this list once.
static REGISTRY: &[Registration] = registry! {
    "hostNetworkSet" => host_network_set::HostNetworkSet,
    "hostIPCSet" => host_ipc_set::HostIpcSet,
    "hostPIDSet" => host_pid_set::HostPidSet,
    "hostPortSet" => host_port_set::HostPortSet,
    "runAsRootAllowed" => run_as_root_allowed::RunAsRootAllowed,
    "runAsPrivileged" => run_as_privileged::RunAsPrivileged,
    "privilegeEscalationAllowed" => privilege_escalation_allowed::PrivilegeEscalationAllowed,
    "capabilitiesAdded" => capabilities_added::CapabilitiesAdded,
    "notReadOnlyRootFileSystem" => not_read_only_root_file_system::NotReadOnlyRootFileSystem,
    "cpuRequestsMissing" => cpu_requests_missing::CpuRequestsMissing,
    "cpuLimitsMissing" => cpu_limits_missing::CpuLimitsMissing,
    "memoryRequestsMissing" => memory_requests_missing::MemoryRequestsMissing,
    "memoryLimitsMissing" => memory_limits_missing::MemoryLimitsMissing,
    "readinessProbeMissing" => readiness_probe_missing::ReadinessProbeMissing,
    "livenessProbeMissing" => liveness_probe_missing::LivenessProbeMissing,
    "tagNotSpecified" => tag_not_specified::TagNotSpecified,
    "anonymousUserRBACBinding" => anonymous_user_rbac_binding::AnonymousUserRbacBinding,
};

// The documents are compiled in, not input: a malformed one is a build defect that the tests
// below catch, so failing loudly here is right.
#[allow(clippy::panic)]
static RULES: LazyLock<Vec<RuleEntry>> = LazyLock::new(|| {
    REGISTRY
        .iter()
        .map(|registration| RuleEntry {
            // The documents are part of the binary and checked by the tests below.
            meta: RuleMeta::parse(registration.doc).unwrap_or_else(|error| {
                panic!("rules/{}.md is malformed: {error}", registration.file_id)
            }),
            rule: registration.rule,
        })
        .collect()
});

/// Every registered rule, in registry order.
pub fn all() -> &'static [RuleEntry] {
    &RULES
}

/// The rule a user means by `id`: matched case-insensitively, Polaris ids accepted; then the
/// checks policies defined (see [`dynamic`]).
pub fn find(id: &str) -> Option<&'static RuleEntry> {
    find_built_in(id).or_else(|| dynamic::find(id))
}

/// The built-in check with this id or Polaris name, matched case-insensitively.
pub fn find_built_in(id: &str) -> Option<&'static RuleEntry> {
    all().iter().find(|entry| {
        entry.meta.id.eq_ignore_ascii_case(id)
            || entry
                .meta
                .polaris
                .is_some_and(|alias| alias.eq_ignore_ascii_case(id))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_rule_has_complete_documentation() {
        for registration in REGISTRY {
            let meta = RuleMeta::parse(registration.doc)
                .unwrap_or_else(|error| panic!("{}: {error}", registration.file_id));
            assert_eq!(
                meta.id, registration.file_id,
                "front matter id vs file name"
            );
        }
        assert_eq!(all().len(), REGISTRY.len());
    }

    #[test]
    fn every_rule_document_is_registered() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
        let mut documented: Vec<String> = std::fs::read_dir(dir)
            .expect("rules/ exists")
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter_map(|name| name.strip_suffix(".md").map(str::to_owned))
            .collect();
        documented.sort();
        let mut registered: Vec<String> = REGISTRY.iter().map(|r| r.file_id.to_owned()).collect();
        registered.sort();
        assert_eq!(documented, registered);
    }

    #[test]
    fn ids_match_case_insensitively() {
        assert_eq!(
            find("HOSTNETWORKSET").map(|r| r.meta.id),
            Some("hostNetworkSet")
        );
        assert!(find("noSuchCheck").is_none());
    }
}
