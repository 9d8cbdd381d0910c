//! What `kubepatrol fix` says about each finding: `PATH:LINE:COL: fixed [CHECK] SUBJECT` at the
//! place the edit was made (with what to check before deploying, for an unsafe fix),
//! `PATH:LINE:COL: held back [CHECK] SUBJECT: …` for an unsafe fix that was not asked for, or
//! `PATH:LINE:COL: not fixable [CHECK] SUBJECT: REASON` at the finding; then the counts.

use std::fmt::Write as _;

use super::{FindingFix, Plan, Status};
use crate::evaluate::finding::Finding;
use crate::pipeline::Outcome;
use crate::rules::Applicability;

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
    let held_back = plan.held_back();
    let unsafe_fixed = plan
        .results
        .iter()
        .filter(|result| result.status == Status::Fixed)
        .filter_map(|result| outcome.findings.get(result.finding))
        .filter(|finding| finding.rule.meta.applicability == Applicability::Unsafe)
        .count();
    let unsafe_note = if unsafe_fixed > 0 {
        format!(" ({unsafe_fixed} unsafe)")
    } else {
        String::new()
    };
    let held_note = if held_back > 0 {
        format!(", {held_back} held back")
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{fixed} fixed{unsafe_note}, {} not fixable{held_note}; {} file(s) {}",
        plan.results.len() - fixed - held_back,
        plan.files.len(),
        match mode {
            Mode::Write => "changed",
            Mode::DryRun => "would change (nothing written)",
        }
    );
    if held_back > 0 {
        let fixes = if held_back == 1 { "fix" } else { "fixes" };
        let _ = writeln!(
            out,
            "{held_back} hidden {fixes} can be enabled with the `--unsafe-fixes` option."
        );
    }
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
        let line = line(outcome, finding, result);
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

/// One finding's report line, with [`SUBJECT`] where its subjects go.
fn line(outcome: &Outcome, finding: &Finding, result: &FindingFix) -> String {
    // A fixed finding is reported where its edit was made, which may be another file.
    let span = match result.status {
        Status::Fixed => result.edited.unwrap_or_else(|| finding.primary()),
        Status::HeldBack | Status::NotFixable(_) => finding.primary(),
    };
    let (start, _) = outcome.sources.position(span);
    let place = format!(
        "{}:{}:{}",
        outcome.sources.display(span.file),
        start.line,
        start.column
    );
    let check = finding.rule.meta.id;
    let review = finding.rule.meta.review.unwrap_or_default();
    match (&result.status, finding.rule.meta.applicability) {
        (Status::Fixed, Applicability::Unsafe) => {
            format!("{place}: fixed [{check}] {SUBJECT} (unsafe: before deploying, {review})")
        }
        (Status::Fixed, _) => format!("{place}: fixed [{check}] {SUBJECT}"),
        (Status::HeldBack, _) => format!(
            "{place}: held back [{check}] {SUBJECT}: the fix is unsafe (`--unsafe-fixes` applies it; then {review})"
        ),
        (Status::NotFixable(reason), _) => {
            format!("{place}: not fixable [{check}] {SUBJECT}: {reason}")
        }
    }
}
