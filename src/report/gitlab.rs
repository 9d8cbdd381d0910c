//! `--format gitlab`: a GitLab Code Quality report, the JSON array a job uploads as
//! `artifacts:reports:codequality` (docs/ci.md). GitLab compares the reports of a merge
//! request's base and head by `fingerprint`, so it is the line-free [`Finding::fingerprint`]:
//! a finding that moved is not new. Findings several overlays share are one issue naming every
//! overlay, as in the other formats read by people; a fingerprint seen again (two objects with
//! the same identity) gets a `-N` suffix, because GitLab keeps one issue per fingerprint.
//! Input errors are `blocker` issues: the results miss what could not be read.

use std::collections::HashMap;
use std::io::{self, Write};

use serde::Serialize;

use super::{Report, shared};
use crate::evaluate::finding::Finding;
use crate::exempt::Suppression;
use crate::rules::Severity;

#[derive(Serialize)]
struct Issue {
    description: String,
    check_name: String,
    fingerprint: String,
    severity: &'static str,
    location: IssueLocation,
}

#[derive(Serialize)]
struct IssueLocation {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
}

pub(super) fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let mut issues = input_errors(report);
    issues.extend(findings(report));
    serde_json::to_writer_pretty(&mut *out, &issues)?;
    writeln!(out)
}

/// GitLab's levels are info, minor, major, critical and blocker: a warning is minor, a danger
/// (a way into the node or the cluster) critical.
fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Warning => "minor",
        Severity::Danger => "critical",
    }
}

/// Every finding, also those `--new-since` found at the commit too: GitLab compares the
/// reports of the base and the head itself.
fn findings(report: &Report<'_>) -> Vec<Issue> {
    let sources = &report.outcome.sources;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let existing: Vec<Finding> = report
        .outcome
        .suppressed
        .iter()
        .filter(|suppressed| matches!(suppressed.by, Suppression::Existing { .. }))
        .map(|suppressed| suppressed.finding.clone())
        .collect();
    let new = shared::group_findings(&report.outcome.findings);
    new.into_iter()
        .chain(shared::group_findings(&existing))
        .map(|shown| {
            let finding = shown.first();
            let span = finding.primary();
            let fingerprint = finding.fingerprint();
            let repeats = seen.entry(fingerprint.clone()).or_default();
            *repeats += 1;
            Issue {
                description: format!("{} ({})", finding.message, shared::subject(sources, &shown)),
                check_name: finding.rule.meta.id.to_owned(),
                fingerprint: match *repeats {
                    1 => fingerprint,
                    n => format!("{fingerprint}-{n}"),
                },
                severity: severity(finding.severity),
                location: IssueLocation {
                    path: report.repository_path(sources.display(span.file)),
                    lines: Lines {
                        begin: sources.position(span).0.line,
                    },
                },
            }
        })
        .collect()
}

fn input_errors(report: &Report<'_>) -> Vec<Issue> {
    report
        .input_errors()
        .map(|(diagnostic, path, start)| {
            let line = start.map_or(1, |start| start.line);
            Issue {
                description: diagnostic.message.clone(),
                check_name: diagnostic.code.as_str().to_owned(),
                // Input errors have no identity beyond their place and text.
                fingerprint: format!(
                    "{}:{path}:{line}:{}",
                    diagnostic.code.as_str(),
                    diagnostic.message
                ),
                severity: "blocker",
                location: IssueLocation {
                    path,
                    lines: Lines { begin: line },
                },
            }
        })
        .collect()
}
