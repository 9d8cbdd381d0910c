//! `--format human`: one graphical diagnostic per finding or input problem, drawn by miette
//! with the source snippet, the labels, the check and severity as the code and the remediation
//! as help; then one summary line.

use std::fmt;
use std::io::{self, Write};

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};

use super::Report;
use super::shared::{self, Shown};
use super::summary::high_risks_line;
use crate::diagnostic::{Diagnostic, Level, Location};
use crate::rules::Severity;
use crate::source::{FileId, SourceMap, Span};

/// Wide enough for a YAML line and its label; snapshots depend on it staying fixed.
const WIDTH: usize = 100;

pub(super) fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let outcome = report.outcome;
    let sources = &outcome.sources;
    let theme = if report.options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        // The remediation is already wrapped; re-wrapping it inside the help's indent breaks it.
        .with_wrap_lines(false)
        .with_links(false);
    let mut entries: Vec<(Option<FileId>, u32, Drawn<'_>)> = outcome
        .diagnostics
        .iter()
        .map(|diagnostic| {
            let (file, offset) = match &diagnostic.location {
                Location::Path(_) => (None, 0),
                Location::File(file) => (Some(*file), 0),
                Location::Span(span) => (Some(span.file), span.start),
            };
            (file, offset, from_diagnostic(sources, diagnostic))
        })
        .collect();
    entries.extend(
        shared::group_findings(&outcome.findings)
            .into_iter()
            .map(|shown| {
                let finding = shown.first();
                let span = finding.primary();
                (Some(span.file), span.start, from_finding(sources, &shown))
            }),
    );
    // Stable: input problems come before findings at the same place.
    entries.sort_by(|a, b| {
        outcome
            .place_key(a.0, a.1)
            .cmp(&outcome.place_key(b.0, b.1))
    });
    for (_, _, drawn) in &entries {
        let mut text = String::new();
        handler
            .render_report(&mut text, drawn)
            .map_err(|_| io::Error::other("cannot draw a diagnostic"))?;
        writeln!(out, "{text}")?;
    }
    let health = &report.health;
    writeln!(
        out,
        "{} files, {} objects: {} danger, {} warning; health score {}/100 ({}); {}",
        outcome.files,
        outcome.objects,
        health.total.danger,
        health.total.warning,
        health.score,
        health.grade,
        high_risks_line(health.high_risks())
    )?;
    if report.verdict.fails() {
        writeln!(out, "{}", report.verdict.describe())?;
    }
    Ok(())
}

/// A finding or an input problem in the shape miette draws.
#[derive(Debug)]
struct Drawn<'a> {
    message: String,
    code: String,
    severity: miette::Severity,
    help: Option<&'a str>,
    source: Option<Snippet<'a>>,
    /// Byte ranges in `source`, the primary first.
    labels: Vec<(SourceSpan, Option<&'a str>)>,
}

fn from_finding<'a>(sources: &'a SourceMap, shown: &Shown<'a>) -> Drawn<'a> {
    let finding = shown.first();
    let primary = finding.primary();
    Drawn {
        message: format!("{} ({})", finding.message, shared::subject(sources, shown)),
        code: format!("{}[{}]", finding.severity, finding.rule.meta.id),
        severity: match finding.severity {
            Severity::Danger => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        },
        help: Some(
            finding
                .help
                .as_deref()
                .unwrap_or(finding.rule.meta.remediation),
        ),
        source: snippet(sources, primary.file),
        labels: finding
            .labels
            .iter()
            // miette draws one source per diagnostic: labels in other files are left out.
            .filter(|label| label.span.file == primary.file)
            .map(|label| (source_span(label.span), Some(label.text.as_str())))
            .collect(),
    }
}

fn from_diagnostic<'a>(sources: &'a SourceMap, diagnostic: &'a Diagnostic) -> Drawn<'a> {
    let (source, labels, place) = match &diagnostic.location {
        Location::Span(span) => (
            snippet(sources, span.file),
            vec![(source_span(*span), None)],
            String::new(),
        ),
        Location::File(file) => (None, Vec::new(), format!("{}: ", sources.display(*file))),
        Location::Path(path) => (None, Vec::new(), format!("{path}: ")),
    };
    Drawn {
        message: format!("{place}{}", diagnostic.message),
        code: diagnostic.code.as_str().to_owned(),
        severity: match diagnostic.level {
            Level::Error => miette::Severity::Error,
            Level::Warning => miette::Severity::Warning,
            Level::Note => miette::Severity::Advice,
        },
        help: None,
        source,
        labels,
    }
}

fn snippet(sources: &SourceMap, file: FileId) -> Option<Snippet<'_>> {
    sources.get(file).map(|source| Snippet {
        name: &source.display,
        text: &source.text,
    })
}

fn source_span(span: Span) -> SourceSpan {
    let start = span.start as usize;
    SourceSpan::from((start, (span.end as usize).saturating_sub(start)))
}

impl fmt::Display for Drawn<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Drawn<'_> {}

impl miette::Diagnostic for Drawn<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .map(|help| Box::new(help) as Box<dyn fmt::Display + 'b>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|source| source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().enumerate().map(
            |(index, (span, text))| {
                let text = text.map(str::to_owned);
                if index == 0 {
                    LabeledSpan::new_primary_with_span(text, *span)
                } else {
                    LabeledSpan::new_with_span(text, *span)
                }
            },
        )))
    }
}

/// A loaded file's text under its display name, borrowed rather than copied per diagnostic.
#[derive(Debug)]
struct Snippet<'a> {
    name: &'a str,
    text: &'a str,
}

impl SourceCode for Snippet<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let contents = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_owned(),
            contents.data(),
            *contents.span(),
            contents.line(),
            contents.column(),
            contents.line_count(),
        )))
    }
}
