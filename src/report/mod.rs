//! Output formats. Every format reads the same [`Outcome`]; positions are computed here, from
//! spans, and nowhere earlier.

pub mod events;
mod github;
pub mod health;
mod html;
mod human;
mod json;
mod line;
mod sarif;
mod summary;

use std::io::{self, Write};
use std::path::PathBuf;

use crate::diagnostic::{Diagnostic, Location};
use crate::evaluate::finding::Finding;
use crate::pipeline::Outcome;
use crate::source::{Position, SourceMap};

pub use health::Health;

/// An output format (`--format`, and the `--output-*` files); `kubepatrol lint --help` (the
/// binary's `FormatArg`) describes each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Line,
    Json,
    Human,
    Sarif,
    Github,
    Summary,
    Html,
}

impl Outcome {
    /// Where a diagnostic points: the file's display path and, when known, a range.
    fn diagnostic_place(&self, diagnostic: &Diagnostic) -> (String, Option<(Position, Position)>) {
        match &diagnostic.location {
            Location::Path(path) => (path.clone(), None),
            Location::File(file) => (self.sources.display(*file).to_owned(), None),
            Location::Span(span) => (
                self.sources.display(span.file).to_owned(),
                Some(self.sources.position(*span)),
            ),
        }
    }
}

/// How the reports of one run are written; shared by every output of the run.
#[derive(Debug, Default, Clone)]
pub struct ReportOptions {
    /// Add the passed results per workload to the json report.
    pub include_passed: bool,
    /// Colour the human report.
    pub color: bool,
    /// List suppressed findings in the line report too (other formats always carry them).
    pub show_suppressed: bool,
    /// Where the run happened in its repository, for SARIF artifact URIs.
    pub repository: Option<Repository>,
}

/// The working directory relative to the repository root (empty at the root).
#[derive(Debug, Default, Clone)]
pub struct Repository {
    pub root: PathBuf,
    pub working_dir_in_root: PathBuf,
}

/// What every format reads: the run's outcome, its health, the options.
#[derive(Debug)]
pub struct Report<'a> {
    pub outcome: &'a Outcome,
    pub health: Health<'a>,
    pub options: ReportOptions,
}

impl<'a> Report<'a> {
    pub fn new(outcome: &'a Outcome, options: ReportOptions) -> Self {
        Report {
            outcome,
            health: Health::of(outcome),
            options,
        }
    }
}

pub fn write(format: Format, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Line => line::write(report.outcome, report.options.show_suppressed, out),
        Format::Json => json::write(report, out),
        Format::Human => human::write(report, out),
        Format::Sarif => sarif::write(report, out),
        Format::Github => github::write(report.outcome, out),
        Format::Summary => summary::write(report, out),
        Format::Html => html::write(report, out),
    }
}

/// The finding's subject, followed by the overlays it was rendered through, if any: `container
/// "web" of Deployment shop/web via overlays/prod/kustomization.yaml`.
pub fn subject_with_overlays(sources: &SourceMap, finding: &Finding) -> String {
    let subject = finding.subject();
    if finding.via.is_empty() {
        return subject;
    }
    let overlays: Vec<&str> = finding
        .via
        .iter()
        .map(|file| sources.display(*file))
        .collect();
    format!("{subject} via {}", overlays.join(", "))
}
