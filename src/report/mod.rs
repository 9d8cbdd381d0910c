//! Output formats. Every format reads the same [`Outcome`]; positions are computed here, from
//! spans, and nowhere earlier.

mod json;
mod line;

use std::io::{self, Write};

use crate::baseline;
use crate::diagnostic::{Diagnostic, Level, Location};
use crate::exempt::Suppressed;
use crate::finding::Finding;
use crate::source::{Position, SourceMap};

pub use json::JSON_FORMAT_VERSION;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One line per finding: `PATH:LINE:COL: SEVERITY: MESSAGE [CHECK]`.
    Line,
    /// A versioned JSON document (see docs/json-output.md).
    Json,
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

pub fn write(format: Format, outcome: &Outcome, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Line => line::write(outcome, out),
        Format::Json => json::write(outcome, out),
    }
}
