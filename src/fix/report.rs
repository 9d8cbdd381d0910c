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
    for (line, subjects) in grouped(outcome, plan) {
        let _ = writeln!(out, "{}", line.replace(SUBJECT, &subjects.join(", ")));
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

/// Where the subjects go in a report line until the findings with the same line are gathered.
const SUBJECT: &str = "\u{0}";

/// Report lines with their subjects: the findings of one base rendered through several overlays
/// share a line (same place, check and result) that names each overlay's object. (Findings of
/// one value used twice through an alias keep a line each: they are different containers.)
fn grouped(outcome: &Outcome, plan: &Plan) -> Vec<(String, Vec<String>)> {
    let mut lines: Vec<(String, Vec<String>)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
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
        let line = match &result.status {
            Status::Fixed => format!("{place}: fixed [{check}] {SUBJECT}"),
            Status::NotFixable(reason) => {
                format!("{place}: not fixable [{check}] {SUBJECT}: {reason}")
            }
        };
        let subject = finding.subject();
        if finding.via.is_empty() {
            lines.push((line, vec![subject]));
            continue;
        }
        match index.get(&line).and_then(|&at| lines.get_mut(at)) {
            Some((_, subjects)) if !subjects.contains(&subject) => subjects.push(subject),
            Some(_) => {}
            None => {
                index.insert(line.clone(), lines.len());
                lines.push((line, vec![subject]));
            }
        }
    }
    lines
}
