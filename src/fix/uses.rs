//! Who else uses a written value: a node reached through an alias or a `<<` merge key, or
//! written in a Kustomize base or patch that several overlays render, appears in several
//! rendered objects. An edit of such a node changes every one of them, so [`super`] edits it
//! only when each use asks for the same edit.

use std::collections::HashMap;

use crate::pipeline::Outcome;
use crate::source::{FileId, Span};
use crate::yaml::{Node, Value};

/// A written node: its span and what it is (a one-item block sequence and its item share a
/// span, so the span alone does not tell them apart).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct Target {
    pub span: Span,
    pub kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Kind {
    Key,
    Scalar,
    Map,
    Seq,
}

impl Target {
    pub(super) fn of(node: &Node) -> Self {
        let kind = match node.value {
            Value::Map(_) => Kind::Map,
            Value::Seq(_) => Kind::Seq,
            _ => Kind::Scalar,
        };
        Target {
            span: node.span,
            kind,
        }
    }

    pub(super) fn key(key: &Node) -> Self {
        Target {
            span: key.span,
            kind: Kind::Key,
        }
    }
}

/// How many times written nodes are used across every rendered object: more than once for a
/// value reached through an alias or a merge key, or from a base rendered by several overlays.
/// Only nodes of the files that fixes edit are counted.
#[derive(Debug, Default)]
pub(super) struct Uses {
    counts: HashMap<Target, usize>,
    /// The overlays whose rendered objects use the node, for nodes of rendered objects.
    pub overlays: HashMap<Target, Vec<FileId>>,
    /// Indexed by file id: whether the file's nodes were counted.
    counted: Vec<bool>,
}

impl Uses {
    /// The uses of `target`; unknown ones count as too many, so nothing uncounted is edited.
    pub(super) fn of(&self, target: Target) -> usize {
        if self.counted.get(target.span.file.0 as usize) == Some(&true) {
            self.counts.get(&target).copied().unwrap_or(1)
        } else {
            usize::MAX
        }
    }
}

/// Count the uses of the nodes written in the files `counted` marks (indexed by file id).
pub(super) fn count(outcome: &Outcome, counted: Vec<bool>) -> Uses {
    let wanted = |span: Span| counted.get(span.file.0 as usize) == Some(&true);
    let mut uses = Uses::default();
    for inspected in &outcome.inspected {
        let mut count = |target: Target| {
            *uses.counts.entry(target).or_default() += 1;
            if !inspected.via.is_empty() {
                let overlays = uses.overlays.entry(target).or_default();
                overlays.extend(&inspected.via);
                overlays.sort();
                overlays.dedup();
            }
        };
        let mut stack = vec![&inspected.root];
        while let Some(node) = stack.pop() {
            if wanted(node.span) {
                count(Target::of(node));
            }
            match &node.value {
                Value::Map(entries) => {
                    for entry in entries.iter() {
                        if wanted(entry.key.span) {
                            count(Target::key(&entry.key));
                        }
                        stack.push(&entry.value);
                    }
                }
                Value::Seq(items) => stack.extend(items.iter()),
                _ => {}
            }
        }
    }
    uses.counted = counted;
    uses
}
