//! `PATH:LINE:COL: SEVERITY: MESSAGE [CODE]`, one line per finding or input problem, in file
//! and position order: the shape editors' problem matchers and `grep` expect.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::diagnostic::Location;
use crate::exempt::Suppressed;
use crate::exempt::baseline::Recorded;
use crate::pipeline::Outcome;
use crate::source::FileId;

use super::Report;
use super::shared::{self, Shown};
use super::verdict::Reason;

/// One output line with the place it sorts at.
struct Line {
    file: Option<FileId>,
    offset: u32,
    text: String,
}

pub(super) fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let outcome = report.outcome;
    let show_suppressed = report.options.show_suppressed;
    let mut lines: Vec<Line> =
        Vec::with_capacity(outcome.findings.len() + outcome.diagnostics.len());
    for diagnostic in &outcome.diagnostics {
        let (path, range) = outcome.diagnostic_place(diagnostic);
        let place = match (range, &diagnostic.location) {
            (Some((start, _)), _) => format!("{path}:{}:{}", start.line, start.column),
            (None, Location::File(_)) => format!("{path}:1:1"),
            (None, _) => path,
        };
        let (file, offset) = match &diagnostic.location {
            Location::Path(_) => (None, 0),
            Location::File(file) => (Some(*file), 0),
            Location::Span(span) => (Some(span.file), span.start),
        };
        lines.push(Line {
            file,
            offset,
            text: format!(
                "{place}: {}: {} [{}]",
                diagnostic.level.as_str(),
                single_line(&diagnostic.message),
                diagnostic.code
            ),
        });
    }
    for shown in shared::group_findings(&outcome.findings) {
        lines.push(finding_line(outcome, &shown, ""));
    }
    if show_suppressed {
        for (shown, suppressed) in shared::group_suppressed(&outcome.suppressed) {
            lines.push(suppressed_line(outcome, &shown, suppressed));
        }
    }
    if let Some(summary) = outcome
        .baseline
        .as_ref()
        .filter(|summary| summary.recorded == Recorded::Commit)
    {
        lines.push(Line {
            file: None,
            offset: 0,
            text: format!(
                "kubepatrol: note: {} [new-since]",
                summary.describe_commit()
            ),
        });
    } else if let Some(summary) = &outcome.baseline {
        let unseen = match summary.unseen {
            0 => String::new(),
            count => format!(", {count} recorded for objects this run did not lint"),
        };
        lines.push(Line {
            file: None,
            offset: 0,
            text: format!(
                "{}: note: {} finding(s) silenced by the baseline, {} baselined finding(s) fixed{unseen} [baseline]",
                summary.file, summary.baselined, summary.fixed
            ),
        });
    }
    // Stable: within one place, diagnostics come before findings, each list already ordered.
    lines.sort_by(|a, b| {
        outcome
            .place_key(a.file, a.offset)
            .cmp(&outcome.place_key(b.file, b.offset))
    });
    for line in lines {
        writeln!(out, "{}", line.text)?;
    }
    // Input errors and findings have their lines; a score below the minimum would fail the run
    // without a word.
    for reason in &report.verdict.reasons {
        if let Reason::MinScore { .. } = reason {
            writeln!(out, "kubepatrol: error: {} [min-score]", reason.describe())?;
        }
    }
    Ok(())
}

/// `PATH:LINE:COL: PREFIXSEVERITY: MESSAGE (SUBJECT) [CHECK]`.
fn finding_line(outcome: &Outcome, shown: &Shown<'_>, prefix: &str) -> Line {
    let finding = shown.first();
    let span = finding.primary();
    let (start, _) = outcome.sources.position(span);
    Line {
        file: Some(span.file),
        offset: span.start,
        text: format!(
            "{}:{}:{}: {prefix}{}: {} ({}) [{}]",
            outcome.sources.display(span.file),
            start.line,
            start.column,
            finding.severity,
            single_line(&finding.message),
            shared::subject(&outcome.sources, shown),
            finding.rule.meta.id
        ),
    }
}

/// The finding's line prefixed with `suppressed `, followed by `by WHAT at PLACE: REASON`.
fn suppressed_line(outcome: &Outcome, shown: &Shown<'_>, suppressed: &Suppressed) -> Line {
    let mut line = finding_line(outcome, shown, "suppressed ");
    let by = &suppressed.by;
    let _ = write!(line.text, " by {}", by.describe());
    if let Some(at) = by.span() {
        let (position, _) = outcome.sources.position(at);
        let _ = write!(
            line.text,
            " at {}:{}:{}",
            outcome.sources.display(at.file),
            position.line,
            position.column
        );
    }
    if let Some(reason) = by.reason() {
        let _ = write!(line.text, ": {}", single_line(reason));
    }
    line
}

fn single_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}
