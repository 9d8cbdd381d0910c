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

use crate::baseline;
use crate::diagnostic::{Diagnostic, Level, Location};
use crate::evaluate::Inspected;
use crate::exempt::Suppressed;
use crate::finding::Finding;
use crate::source::{Position, SourceMap};

pub use health::Health;
pub use json::JSON_FORMAT_VERSION;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per finding: `PATH:LINE:COL: SEVERITY: MESSAGE [CHECK]`.
    Line,
    /// A versioned JSON document (see docs/json-output.md).
    Json,
    /// Graphical diagnostics with the source snippet (the default on a terminal).
    Human,
    /// SARIF 2.1.0 for code scanning (see docs/sarif.md).
    Sarif,
    /// GitHub Actions workflow commands that annotate the pull request.
    Github,
    /// The health score, its grade and the counts per category, kind and namespace.
    Summary,
    /// One self-contained HTML page with the overview, charts and a filterable workload table.
    Html,
}

/// Everything a run produced.
#[derive(Debug)]
pub struct Outcome {
    pub sources: SourceMap,
    pub findings: Vec<Finding>,
    /// Findings silenced by annotations, configuration or the baseline, with what did it.
    pub suppressed: Vec<Suppressed>,
    /// What `--baseline` did, when given.
    pub baseline: Option<baseline::Summary>,
    pub diagnostics: Vec<Diagnostic>,
    pub files: usize,
    pub objects: usize,
    pub evaluated: usize,
    /// Every object, in input order, with the checks it passed.
    pub inspected: Vec<Inspected>,
}

impl Outcome {
    /// The outcome of a run that stopped before reading any input (e.g. an invalid
    /// configuration).
    pub fn stopped(sources: SourceMap, diagnostics: Vec<Diagnostic>) -> Self {
        let mut outcome = Outcome {
            sources,
            findings: Vec::new(),
            suppressed: Vec::new(),
            baseline: None,
            diagnostics,
            files: 0,
            objects: 0,
            evaluated: 0,
            inspected: Vec::new(),
        };
        outcome.sort_diagnostics();
        outcome
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.level == Level::Error)
    }

    /// Diagnostics in report order: those without a file first, then by file and position.
    pub fn sort_diagnostics(&mut self) {
        self.diagnostics
            .sort_by(|a, b| sort_key(a).cmp(&sort_key(b)));
    }

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

fn sort_key(diagnostic: &Diagnostic) -> (u8, u32, u32, &'static str) {
    match &diagnostic.location {
        Location::Path(_) => (0, 0, 0, diagnostic.code),
        Location::File(file) => (1, file.0, 0, diagnostic.code),
        Location::Span(span) => (1, span.file.0, span.start, diagnostic.code),
    }
}

/// How the reports of one run are written; shared by every output of the run.
#[derive(Debug, Default, Clone)]
pub struct Options {
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
    pub options: Options,
}

impl<'a> Report<'a> {
    pub fn new(outcome: &'a Outcome, options: Options) -> Self {
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
