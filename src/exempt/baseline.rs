//! The baseline: today's findings recorded by fingerprint, so that a team adopting kubepatrol is
//! told only about new findings. `kubepatrol baseline` writes it; `lint --baseline` applies it.
//! `lint --new-since REF` records the findings of the same paths at a commit the same way and
//! applies them as a baseline: a finding is new when its fingerprint occurs more often now.

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::evaluate::finding::Finding;
use crate::exempt::{Suppressed, Suppression};

/// Bumped on any incompatible change of the file.
pub const BASELINE_VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    findings: Vec<Entry>,
}

/// One recorded finding: the fingerprint decides; the rest is there for people reviewing it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    fingerprint: String,
    check: String,
    api_version: String,
    kind: String,
    namespace: Option<String>,
    name: Option<String>,
    container: Option<String>,
    field: String,
    /// The configured values set of a chart finding (part of its fingerprint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    values_set: Option<String>,
}

/// A loaded baseline: how many times each fingerprint was recorded.
#[derive(Debug)]
pub struct Baseline {
    /// The file, or for a commit how messages name it.
    pub display: String,
    pub recorded: Recorded,
    /// How many times each fingerprint is recorded, and for which object.
    counts: HashMap<String, (usize, ObjectKey)>,
}

/// An object as the baseline records it: apiVersion, kind, namespace, name.
pub(crate) type ObjectKey = (String, String, Option<String>, Option<String>);

/// The key of a linted object, to tell a fixed finding from one of an object not linted.
pub(crate) fn object_key(id: &crate::model::object::ObjectId) -> ObjectKey {
    (
        id.api_version.clone(),
        id.kind.clone(),
        id.namespace.clone(),
        id.name.clone(),
    )
}

/// Where a baseline's findings were recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// A file written by `kubepatrol baseline`.
    File,
    /// A run over the same paths at a commit (`--new-since`).
    Commit,
}

/// What applying a baseline did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub file: String,
    #[serde(skip)]
    pub recorded: Recorded,
    /// Findings silenced because the baseline records them.
    pub baselined: usize,
    /// Recorded findings of objects this run linted that no longer occur.
    pub fixed: usize,
    /// Recorded findings of objects this run did not lint (another overlay or directory, or
    /// an object that was deleted): neither fixed nor present.
    pub unseen: usize,
}

impl Summary {
    /// For `--new-since`: the findings at the commit, and those of them this change fixed
    /// (gone, or of an object that no longer exists in the linted paths).
    pub fn before_and_fixed(&self) -> (usize, usize) {
        let fixed = self.fixed + self.unseen;
        (self.baselined + fixed, fixed)
    }

    /// The line that says what `--new-since` compared with: "3 findings at `main` (3f2a1b0),
    /// 1 fixed by this change".
    pub fn describe_commit(&self) -> String {
        let (before, fixed) = self.before_and_fixed();
        let plural = if before == 1 { "" } else { "s" };
        format!(
            "{before} finding{plural} at {}, {fixed} fixed by this change; only new findings are reported",
            self.file
        )
    }
}

/// Write the baseline of `findings`, ordered by what they are about (not by line), so that
/// regenerating it after unrelated edits gives the same file.
pub fn write(findings: &[Finding], out: &mut dyn Write) -> io::Result<()> {
    let mut entries: Vec<Entry> = findings.iter().map(entry).collect();
    entries.sort_by(|a, b| {
        let key = |e: &Entry| {
            (
                e.namespace.clone(),
                e.kind.clone(),
                e.name.clone(),
                e.container.clone(),
                e.check.clone(),
                e.field.clone(),
                e.values_set.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
    let file = File {
        version: BASELINE_VERSION,
        findings: entries,
    };
    serde_json::to_writer_pretty(&mut *out, &file)?;
    writeln!(out)
}

fn entry(finding: &Finding) -> Entry {
    let object = &finding.object;
    Entry {
        fingerprint: finding.fingerprint(),
        check: finding.rule.meta.id.to_owned(),
        api_version: object.api_version.clone(),
        kind: object.kind.clone(),
        namespace: object.namespace.clone(),
        name: object.name.clone(),
        container: finding
            .container
            .as_ref()
            .and_then(|container| container.name.clone()),
        field: finding.field.clone(),
        values_set: finding.values_set.clone(),
    }
}

/// Parse a baseline file's text; `display` names it in errors and reports.
pub fn parse(display: &str, text: &str) -> Result<Baseline, Diagnostic> {
    let invalid = |message: String| {
        Diagnostic::error(
            Code::InvalidBaseline,
            Location::Path(display.to_owned()),
            message,
        )
    };
    let file: File = serde_json::from_str(text)
        .map_err(|error| invalid(format!("not a kubepatrol baseline: {error}")))?;
    if file.version != BASELINE_VERSION {
        return Err(invalid(format!(
            "baseline version {} is not supported (expected {BASELINE_VERSION}); regenerate it with `kubepatrol baseline`",
            file.version
        )));
    }
    let mut counts = HashMap::new();
    for entry in file.findings {
        let object = (entry.api_version, entry.kind, entry.namespace, entry.name);
        counts.entry(entry.fingerprint).or_insert((0, object)).0 += 1;
    }
    Ok(Baseline {
        display: display.to_owned(),
        recorded: Recorded::File,
        counts,
    })
}

/// The findings of a run at a commit, which `label` names ("`main` (3f2a1b0)"), as a baseline.
pub fn of_commit(label: &str, findings: &[Finding]) -> Baseline {
    let mut counts = HashMap::new();
    for finding in findings {
        let object = object_key(&finding.object);
        counts.entry(finding.fingerprint()).or_insert((0, object)).0 += 1;
    }
    Baseline {
        display: label.to_owned(),
        recorded: Recorded::Commit,
        counts,
    }
}

/// Split `findings` into new ones and those the baseline records (each recorded finding
/// silences one occurrence).
pub fn apply(
    findings: Vec<Finding>,
    baseline: &Baseline,
    linted: &HashSet<ObjectKey>,
) -> (Vec<Finding>, Vec<Suppressed>, Summary) {
    let mut remaining = baseline.counts.clone();
    let mut kept = Vec::new();
    let mut suppressed = Vec::new();
    for finding in findings {
        let count = remaining
            .get_mut(&finding.fingerprint())
            .map(|(count, _)| count)
            .filter(|c| **c > 0);
        match count {
            Some(count) => {
                *count -= 1;
                let by = match baseline.recorded {
                    Recorded::File => Suppression::Baseline {
                        file: baseline.display.clone(),
                    },
                    Recorded::Commit => Suppression::Existing {
                        reference: baseline.display.clone(),
                    },
                };
                suppressed.push(Suppressed { finding, by });
            }
            None => kept.push(finding),
        }
    }
    let (fixed, unseen) = remaining
        .values()
        .fold((0, 0), |(fixed, unseen), (count, object)| {
            if linted.contains(object) {
                (fixed + count, unseen)
            } else {
                (fixed, unseen + count)
            }
        });
    let summary = Summary {
        file: baseline.display.clone(),
        recorded: baseline.recorded,
        baselined: suppressed.len(),
        fixed,
        unseen,
    };
    (kept, suppressed, summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_foreign_or_future_file_is_an_error() {
        assert!(parse("b.json", "{\"version\": 1, \"findings\": []}").is_ok());
        let future = parse("b.json", "{\"version\": 9, \"findings\": []}").expect_err("version");
        assert!(future.message.contains("version 9"));
        assert!(parse("b.json", "[]").is_err());
    }
}
