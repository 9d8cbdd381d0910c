//! `PATH:LINE:COL: SEVERITY: MESSAGE [CODE]`, one line per finding or input problem, in file
//! and position order: the shape editors' problem matchers and `grep` expect.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::diagnostic::Location;
use crate::evaluate::finding::Finding;
use crate::exempt::Suppressed;
use crate::pipeline::Outcome;
use crate::source::FileId;

/// One output line with the place it sorts at.
struct Line {
    file: Option<FileId>,
    offset: u32,
    text: String,
}

pub(super) fn write(
    outcome: &Outcome,
    show_suppressed: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
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
    for finding in &outcome.findings {
        lines.push(finding_line(outcome, finding, ""));
    }
    for suppressed in outcome.suppressed.iter().filter(|_| show_suppressed) {
        lines.push(suppressed_line(outcome, suppressed));
    }
    if let Some(summary) = &outcome.baseline {
        lines.push(Line {
            file: None,
            offset: 0,
            text: format!(
                "{}: note: {} finding(s) silenced by the baseline, {} baselined finding(s) fixed [baseline]",
                summary.file, summary.baselined, summary.fixed
            ),
        });
    }
    // Stable: within one place, diagnostics come before findings, each list already ordered.
    lines.sort_by_key(|line| (line.file, line.offset));
    for line in lines {
        writeln!(out, "{}", line.text)?;
    }
    Ok(())
}

/// `PATH:LINE:COL: PREFIXSEVERITY: MESSAGE (SUBJECT) [CHECK]`.
fn finding_line(outcome: &Outcome, finding: &Finding, prefix: &str) -> Line {
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
            super::subject_with_overlays(&outcome.sources, finding),
            finding.rule.meta.id
        ),
    }
}

/// The finding's line prefixed with `suppressed `, followed by `by WHAT at PLACE: REASON`.
fn suppressed_line(outcome: &Outcome, suppressed: &Suppressed) -> Line {
    let mut line = finding_line(outcome, &suppressed.finding, "suppressed ");
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
