//! What `kubepatrol fix` may do about a finding, decided by the rule that raised it. A remedy is
//! a set of semantic changes (remove this entry, make that field hold this value); turning them
//! into text edits that respect the file's layout is the job of [`crate::fix`].

use crate::model::workload::{Container, Workload};
use crate::rules::Label;
use crate::source::Span;

/// What a rule sees when asked for a remedy: the finding's labels and what it is about.
#[derive(Clone, Copy, Debug)]
pub enum FixSubject<'s, 'a> {
    Pod {
        workload: &'s Workload<'a>,
        labels: &'s [Label],
    },
    Container {
        workload: &'s Workload<'a>,
        container: &'s Container<'a>,
        labels: &'s [Label],
    },
    Binding,
}

/// How a finding is fixed, if at all.
#[derive(Debug)]
pub enum Remedy {
    /// Never fixed automatically: only a human can choose (a tag, a subject).
    Never(&'static str),
    /// Fixable in general, but not here, for the reason given.
    Refused(String),
    /// These changes fix it.
    Changes(Vec<Change>),
    /// These changes fix it with values the user must review (`--with-placeholders`).
    Placeholders(Vec<Change>),
}

/// One semantic change. Paths of [`Change::Set`] start at the container for container checks
/// and at the pod spec for pod checks.
#[derive(Debug)]
pub enum Change {
    /// Remove the mapping entry whose value is written at this span.
    RemoveEntry(Span),
    /// Remove the sequence item written at this span.
    RemoveItem(Span),
    /// Make the field at `path` hold `value`, creating the mappings on the way.
    Set {
        path: Vec<&'static str>,
        value: Desired,
    },
}

/// The value a [`Change::Set`] wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Desired {
    Bool(bool),
    /// A flow sequence of plain strings, written only where the field is absent.
    ListIfAbsent(&'static [&'static str]),
    /// A plain scalar the user must review, written only where the field is absent, with a
    /// `# TODO(kubepatrol): …` comment on the first line written.
    Placeholder {
        text: String,
        todo: &'static str,
    },
}

/// Set `securityContext.<field>` of the container to `value`.
pub(super) fn set_security_flag(field: &'static str, value: bool) -> Change {
    Change::Set {
        path: vec!["securityContext", field],
        value: Desired::Bool(value),
    }
}

impl<'s, 'a> FixSubject<'s, 'a> {
    pub fn labels(&self) -> &'s [Label] {
        match self {
            FixSubject::Pod { labels, .. } | FixSubject::Container { labels, .. } => labels,
            FixSubject::Binding => &[],
        }
    }

    pub fn container(&self) -> Option<(&'s Workload<'a>, &'s Container<'a>)> {
        match self {
            FixSubject::Container {
                workload,
                container,
                ..
            } => Some((workload, container)),
            FixSubject::Pod { .. } | FixSubject::Binding => None,
        }
    }
}

/// Remove every labelled value with its key (`hostNetwork: true`, `hostPort: 8080`).
pub(super) fn remove_labelled_entries(subject: &FixSubject<'_, '_>) -> Remedy {
    Remedy::Changes(
        subject
            .labels()
            .iter()
            .map(|label| Change::RemoveEntry(label.span))
            .collect(),
    )
}
