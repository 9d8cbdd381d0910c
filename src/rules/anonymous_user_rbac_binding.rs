//! A binding grants a role to the anonymous user or the unauthenticated group.

use super::{FixSubject, Remedy, Rule, Verdict, Violation};
use crate::model::workload::Binding;
use crate::yaml::Node;

pub(super) struct AnonymousUserRbacBinding;

/// The default ClusterRole that exposes only version and health endpoints to everyone.
const PUBLIC_INFO_VIEWER: &str = "system:public-info-viewer";

impl Rule for AnonymousUserRbacBinding {
    fn reads(&self) -> &'static [&'static str] {
        &[
            "subjects[].kind",
            "subjects[].name",
            "roleRef.kind",
            "roleRef.name",
        ]
    }

    fn check_binding(&self, binding: &Binding<'_>) -> Verdict {
        if grants_public_info_only(binding) {
            return Verdict::Pass;
        }
        let anonymous = binding.subjects.iter().filter_map(|subject| {
            let kind = subject.get("kind").and_then(Node::as_str);
            let name = subject.get("name")?;
            match (kind, name.as_str()) {
                (Some("User"), Some("system:anonymous")) => {
                    Some((name.span, "the anonymous user".to_owned()))
                }
                (Some("Group"), Some("system:unauthenticated")) => {
                    Some((name.span, "every unauthenticated request".to_owned()))
                }
                _ => None,
            }
        });
        Violation::at_each(anonymous).into()
    }

    fn remedy(&self, _subject: &FixSubject<'_, '_>) -> Remedy {
        Remedy::Never("a human must choose who the binding is for")
    }
}

fn grants_public_info_only(binding: &Binding<'_>) -> bool {
    let role_ref = |field: &str| {
        binding
            .role_ref
            .and_then(|role| role.get(field))
            .and_then(Node::as_str)
    };
    binding.object.id.kind == "ClusterRoleBinding"
        && role_ref("kind") == Some("ClusterRole")
        && role_ref("name") == Some(PUBLIC_INFO_VIEWER)
}
