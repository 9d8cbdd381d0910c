//! What `kubepatrol fix` says about each finding: `PATH:LINE:COL: fixed [CHECK] SUBJECT` or
//! `PATH:LINE:COL: not fixable [CHECK] SUBJECT: REASON`, then a summary line.

use std::fmt::Write as _;

use super::{Plan, Status};
use crate::pipeline::Outcome;

/// Whether the files were written, or only shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Write,
    DryRun,
}

pub fn lines(outcome: &Outcome, plan: &Plan, mode: Mode) -> String {
    let mut out = String::new();
    for result in &plan.results {
        let Some(finding) = outcome.findings.get(result.finding) else {
            continue;
        };
        let span = finding.primary();
        let (start, _) = outcome.sources.position(span);
        let place = format!(
            "{}:{}:{}",
            outcome.sources.display(span.file),
            start.line,
            start.column
        );
        let check = finding.rule.meta.id;
        let subject = finding.subject();
        let _ = match &result.status {
            Status::Fixed => writeln!(out, "{place}: fixed [{check}] {subject}"),
            Status::NotFixable(reason) => {
                writeln!(out, "{place}: not fixable [{check}] {subject}: {reason}")
            }
        };
    }
    let fixed = plan.fixed();
    let files = plan.files.len();
    let _ = writeln!(
        out,
        "{fixed} fixed, {} not fixable; {files} file(s) {}",
        plan.results.len() - fixed,
        match mode {
            Mode::Write => "changed",
            Mode::DryRun => "would change (nothing written)",
        }
    );
    out
}
