//! `PATH:LINE:COL: SEVERITY: MESSAGE [CODE]`, one line per finding or input problem, in file
//! and position order: the shape editors' problem matchers and `grep` expect.

use std::io::{self, Write};

use super::Outcome;
use crate::diagnostic::Location;
use crate::exempt::Suppressed;
use crate::source::FileId;

/// One output line with the place it sorts at.
struct Line {
    file: Option<FileId>,
    offset: u32,
    text: String,
}

pub fn write(outcome: &Outcome, out: &mut dyn Write) -> io::Result<()> {
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
        let span = finding.primary();
        let (start, _) = outcome.sources.position(span);
        lines.push(Line {
            file: Some(span.file),
            offset: span.start,
            text: format!(
                "{}:{}:{}: {}: {} ({}) [{}]",
                outcome.sources.display(span.file),
                start.line,
                start.column,
                finding.severity,
                single_line(&finding.message),
                finding.subject(),
                finding.rule.meta.id
            ),
        });
    }
    for suppressed in &outcome.suppressed {
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

/// `PATH:LINE:COL: suppressed SEVERITY: MESSAGE (SUBJECT) [CHECK] by WHAT at PLACE: REASON`.
fn suppressed_line(outcome: &Outcome, suppressed: &Suppressed) -> Line {
    let finding = &suppressed.finding;
    let span = finding.primary();
    let (start, _) = outcome.sources.position(span);
    let by = &suppressed.by;
    let place = by
        .span()
        .map(|at| {
            let (position, _) = outcome.sources.position(at);
            format!(
                " at {}:{}:{}",
                outcome.sources.display(at.file),
                position.line,
                position.column
            )
        })
        .unwrap_or_default();
    let reason = by
        .reason()
        .map(|reason| format!(": {}", single_line(reason)))
        .unwrap_or_default();
    Line {
        file: Some(span.file),
        offset: span.start,
        text: format!(
            "{}:{}:{}: suppressed {}: {} ({}) [{}] by {}{place}{reason}",
            outcome.sources.display(span.file),
            start.line,
            start.column,
            finding.severity,
            single_line(&finding.message),
            finding.subject(),
            finding.rule.meta.id,
            by.describe(),
        ),
    }
}

fn single_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}
