//! `--format human`: readable for a handful of findings and for hundreds. Findings are drawn by
//! miette one object at a time (one snippet per object and file, every finding of the object a
//! label in it), input problems one at a time, in file order; notes come after them folded to a
//! line per directory; then each check's help once; then a closing summary of a few lines
//! (counts by severity and check, the score, and why the run fails).

use std::collections::BTreeMap;
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
use crate::exempt::baseline::Recorded;
use crate::rules::{self, Severity};
use crate::source::{FileId, SourceMap, Span};

/// The width when none is given: wide enough for a YAML line and its label.
const DEFAULT_WIDTH: usize = 100;

/// How many overlays an object's header names before it only counts the rest.
const OVERLAYS_NAMED: usize = 2;

pub(super) fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let outcome = report.outcome;
    let sources = &outcome.sources;
    let width = report.options.width.unwrap_or(DEFAULT_WIDTH);
    let theme = if report.options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width)
        .with_wrap_lines(false)
        .with_links(false);
    let mut entries: Vec<(Option<FileId>, u32, Drawn<'_>)> = outcome
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.level > Level::Note)
        .map(|diagnostic| {
            let (file, offset) = match &diagnostic.location {
                Location::Path(_) => (None, 0),
                Location::File(file) => (Some(*file), 0),
                Location::Span(span) => (Some(span.file), span.start),
            };
            (file, offset, from_diagnostic(sources, diagnostic))
        })
        .collect();
    let shown = shared::group_findings(&outcome.findings);
    entries.extend(by_object(sources, &shown).into_iter().map(|object| {
        let span = object.first_span();
        (Some(span.file), span.start, object.drawn(sources))
    }));
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
    write_folded_notes(report, out)?;
    write_help(report, width, out)?;
    write_summary(report, width, out)
}

/// Every finding of one object that is labelled in one file.
struct ObjectFindings<'s, 'a> {
    file: FileId,
    header: String,
    findings: Vec<&'s Shown<'a>>,
}

/// The shown findings grouped by the file of their primary label and the object they are
/// about (with its overlays), in first-seen order.
fn by_object<'s, 'a>(sources: &SourceMap, shown: &'s [Shown<'a>]) -> Vec<ObjectFindings<'s, 'a>> {
    let mut groups: Vec<ObjectFindings<'s, 'a>> = Vec::new();
    let mut index: BTreeMap<(FileId, String), usize> = BTreeMap::new();
    for item in shown {
        let file = item.first().primary().file;
        let header = object_header(sources, item);
        let key = (file, header.clone());
        match index.get(&key).and_then(|&at| groups.get_mut(at)) {
            Some(group) => group.findings.push(item),
            None => {
                index.insert(key, groups.len());
                groups.push(ObjectFindings {
                    file,
                    header,
                    findings: vec![item],
                });
            }
        }
    }
    groups
}

/// `Deployment shop/web via overlays/dev/kustomization.yaml, overlays/prod/kustomization.yaml
/// and 3 more overlays`: the objects of every member, then their overlays, the first few named.
/// A chart rendered with its defaults and with values sets is named once, with its renders:
/// `charts/web/Chart.yaml (default values, values set prod)`.
fn object_header(sources: &SourceMap, shown: &Shown<'_>) -> String {
    let mut objects: Vec<String> = Vec::new();
    for member in shown.members() {
        let object = member.object_subject();
        if !objects.contains(&object) {
            objects.push(object);
        }
    }
    let overlays = shared::renders(sources, shown.members());
    let mut header = objects.join(", ");
    if let Some(template) = &shown.first().helm_template {
        header.push_str(&format!(" from template {template}"));
    }
    if overlays.is_empty() {
        return header;
    }
    let named: Vec<&str> = overlays
        .iter()
        .take(OVERLAYS_NAMED)
        .map(String::as_str)
        .collect();
    header.push_str(&format!(" via {}", named.join(", ")));
    let rest = overlays.len().saturating_sub(OVERLAYS_NAMED);
    if rest > 0 {
        header.push_str(&format!(" and {rest} more overlay{}", plural(rest)));
    }
    header
}

impl<'a> ObjectFindings<'_, 'a> {
    fn first_span(&self) -> Span {
        self.findings
            .iter()
            .map(|shown| shown.first().primary())
            .min_by_key(|span| span.start)
            .unwrap_or(Span {
                file: self.file,
                start: 0,
                end: 0,
            })
    }

    /// One diagnostic for the object: the worst severity, the counts, and every finding's
    /// labels in this file, each named by its check.
    fn drawn(&self, sources: &'a SourceMap) -> Drawn<'a> {
        let severity = self
            .findings
            .iter()
            .map(|shown| shown.first().severity)
            .max()
            .unwrap_or(Severity::Warning);
        let count = |wanted: Severity| {
            self.findings
                .iter()
                .filter(|shown| shown.first().severity == wanted)
                .count()
        };
        let counts: Vec<String> = [Severity::Danger, Severity::Warning]
            .into_iter()
            .map(|severity| (count(severity), severity))
            .filter(|(count, _)| *count > 0)
            .map(|(count, severity)| format!("{count} {severity}"))
            .collect();
        let mut labels: Vec<(SourceSpan, Option<String>)> = Vec::new();
        for shown in &self.findings {
            let finding = shown.first();
            let tag = format!("{}[{}]", finding.severity, finding.rule.meta.id);
            for (index, label) in finding.labels.iter().enumerate() {
                // miette draws one source per diagnostic: labels in other files are left out.
                if label.span.file != self.file {
                    continue;
                }
                let help = finding.help.as_deref().filter(|_| index == 0);
                let text = match help {
                    Some(help) => format!("{tag} {}; {help}", label.text),
                    None => format!("{tag} {}", label.text),
                };
                labels.push((source_span(label.span), Some(text)));
            }
        }
        labels.sort_by_key(|(span, _)| span.offset());
        Drawn {
            message: format!("{}: {}", self.header, counts.join(", ")),
            code: None,
            severity: miette_severity(severity),
            source: snippet(sources, self.file),
            labels,
        }
    }
}

fn miette_severity(severity: Severity) -> miette::Severity {
    match severity {
        Severity::Danger => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
    }
}

/// Notes (skipped templates, files no kustomization references) after the findings, one line
/// per code and directory with how many files it covers.
fn write_folded_notes(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let outcome = report.outcome;
    let mut folded: BTreeMap<(String, &'static str), Vec<&Diagnostic>> = BTreeMap::new();
    for diagnostic in &outcome.diagnostics {
        if diagnostic.level != Level::Note {
            continue;
        }
        let (place, _) = outcome.diagnostic_place(diagnostic);
        let directory = match place.rsplit_once('/') {
            Some((directory, _)) => format!("{directory}/"),
            None => "./".to_owned(),
        };
        folded
            .entry((directory, diagnostic.code.as_str()))
            .or_default()
            .push(diagnostic);
    }
    for ((directory, code), notes) in &folded {
        let [first, ..] = notes.as_slice() else {
            continue;
        };
        if let [only] = notes.as_slice() {
            let (place, _) = outcome.diagnostic_place(only);
            writeln!(out, "note[{code}] {place}: {}", only.message)?;
        } else {
            let files = notes.len();
            writeln!(
                out,
                "note[{code}] {directory} ({files} files): {}",
                first.message
            )?;
        }
    }
    if !folded.is_empty() {
        writeln!(out)?;
    }
    Ok(())
}

/// Each check that found something, once: its title and the first sentence of its
/// remediation; `kubepatrol explain` has the rest.
fn write_help(report: &Report<'_>, width: usize, out: &mut dyn Write) -> io::Result<()> {
    let found: Vec<&rules::RuleEntry> = report
        .outcome
        .checks()
        .into_iter()
        .filter(|entry| {
            report
                .outcome
                .findings
                .iter()
                .any(|finding| std::ptr::eq(finding.rule, *entry))
        })
        .collect();
    if found.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "help, once per check (`kubepatrol explain <ID>` tells the whole story):"
    )?;
    for entry in found {
        let meta = &entry.meta;
        writeln!(out, "  {}: {}", meta.id, meta.title)?;
        for line in wrap(first_sentence(meta.remediation), width.saturating_sub(4)) {
            writeln!(out, "    {line}")?;
        }
    }
    writeln!(out)
}

/// The closing lines: the counts and the score, the count of each check, and the verdict.
fn write_summary(report: &Report<'_>, width: usize, out: &mut dyn Write) -> io::Result<()> {
    let outcome = report.outcome;
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
    if let Some(summary) = outcome
        .baseline
        .as_ref()
        .filter(|summary| summary.recorded == Recorded::Commit)
    {
        writeln!(out, "{}", summary.describe_commit())?;
    }
    let by_check: Vec<String> = outcome
        .checks()
        .into_iter()
        .map(|entry| {
            let count = outcome
                .findings
                .iter()
                .filter(|finding| std::ptr::eq(finding.rule, entry))
                .count();
            (entry.meta.id, count)
        })
        .filter(|(_, count)| *count > 0)
        .map(|(id, count)| format!("{id} {count}"))
        .collect();
    if !by_check.is_empty() {
        let text = format!("by check: {}", by_check.join(", "));
        for line in wrap(&text, width) {
            writeln!(out, "{line}")?;
        }
    }
    if report.verdict.fails() {
        writeln!(out, "{}", report.verdict.describe())?;
    }
    Ok(())
}

/// The text up to the first full stop followed by a new sentence (or the whole first
/// paragraph).
fn first_sentence(text: &str) -> &str {
    let paragraph = text.split("\n\n").next().unwrap_or_default();
    paragraph
        .match_indices(". ")
        .chain(paragraph.match_indices(".\n"))
        .map(|(at, _)| at)
        .filter(|&at| {
            paragraph
                .get(at + 2..)
                .and_then(|rest| rest.chars().next())
                .is_some_and(|next| next.is_uppercase() || next == '`')
        })
        .min()
        .and_then(|at| paragraph.get(..=at))
        .unwrap_or(paragraph)
}

/// `text` with its line breaks undone, broken again at spaces to lines of at most `width`
/// characters (a longer word gets a line of its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let needed = current.chars().count() + 1 + word.chars().count();
        if !current.is_empty() && needed > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// A finding or an input problem in the shape miette draws.
#[derive(Debug)]
struct Drawn<'a> {
    message: String,
    code: Option<String>,
    severity: miette::Severity,
    source: Option<Snippet<'a>>,
    /// Byte ranges in `source`, the first one primary.
    labels: Vec<(SourceSpan, Option<String>)>,
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
        code: Some(diagnostic.code.as_str().to_owned()),
        severity: match diagnostic.level {
            Level::Error => miette::Severity::Error,
            Level::Warning => miette::Severity::Warning,
            Level::Note => miette::Severity::Advice,
        },
        source,
        labels,
    }
}

fn snippet(sources: &SourceMap, file: FileId) -> Option<Snippet<'_>> {
    sources.get(file).map(|source| Snippet {
        name: &source.display,
        text: printable(&source.text),
    })
}

/// The text with control characters (NUL, escape sequences: a file could move the cursor or
/// recolour the terminal) shown as `.`, one byte for one byte so that spans still fit.
fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let is_control = |c: char| c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r');
    if !text.contains(is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.chars()
            .map(|c| if is_control(c) { '.' } else { c })
            .collect(),
    )
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
        self.code
            .as_ref()
            .map(|code| Box::new(code) as Box<dyn fmt::Display + 'b>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|source| source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().enumerate().map(
            |(index, (span, text))| {
                let text = text.clone();
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
    text: std::borrow::Cow<'a, str>,
}

impl SourceCode for Snippet<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let contents =
            self.text
                .as_ref()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_not_sent_to_the_terminal() {
        assert_eq!(printable("a\0b\u{1b}[31m\tc\r\n"), "a.b.[31m\tc\r\n");
        assert!(matches!(printable("plain"), std::borrow::Cow::Borrowed(_)));
    }
}
