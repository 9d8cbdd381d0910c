//! Output formats. Every format reads the same [`Outcome`]; positions are computed here, from
//! spans, and nowhere earlier.

pub mod events;
mod github;
mod gitlab;
pub mod health;
mod html;
mod human;
mod json;
mod junit;
mod line;
mod sarif;
pub(crate) mod shared;
mod summary;
pub mod verdict;

use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use crate::diagnostic::{Diagnostic, Location};
use crate::pipeline::Outcome;
use crate::source::Position;

pub use health::Health;
pub use verdict::{Gate, Verdict};

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
    Junit,
    Gitlab,
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
    /// The human report's width in columns: the terminal's, or `COLUMNS`; 100 when `None`.
    pub width: Option<usize>,
    /// List suppressed findings in the line report too (other formats always carry them).
    pub show_suppressed: bool,
    /// Where the run happened in its repository, for SARIF artifact URIs and GitHub
    /// annotations.
    pub repository: Option<Repository>,
    /// What makes the run fail, for the verdict every summary states.
    pub gate: Gate,
}

/// The working directory relative to the repository root (empty at the root).
#[derive(Debug, Default, Clone)]
pub struct Repository {
    pub root: PathBuf,
    pub working_dir_in_root: PathBuf,
}

impl Repository {
    /// A display path (relative to the working directory, or absolute) as a path relative to
    /// the repository root with `/` separators, as GitHub names files in annotations and code
    /// scanning; `..` is resolved lexically. Paths outside the repository stay as they are.
    pub fn path_of(&self, display: &str) -> String {
        let path = Path::new(display);
        let joined = if path.is_absolute() {
            match path.strip_prefix(&self.root) {
                Ok(inside) => inside.to_path_buf(),
                Err(_) => return display.to_owned(),
            }
        } else {
            self.working_dir_in_root.join(path)
        };
        let mut parts: Vec<String> = Vec::new();
        for component in joined.components() {
            match component {
                Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
                Component::ParentDir if parts.last().is_some_and(|last| last != "..") => {
                    parts.pop();
                }
                Component::ParentDir => parts.push("..".to_owned()),
                _ => {}
            }
        }
        parts.join("/")
    }
}

/// What every format reads: the run's outcome, its health, the options.
#[derive(Debug)]
pub struct Report<'a> {
    pub outcome: &'a Outcome,
    pub health: Health<'a>,
    /// Whether the run fails and why; the exit code is [`Verdict::exit_code`].
    pub verdict: Verdict,
    pub options: ReportOptions,
}

impl<'a> Report<'a> {
    pub fn new(outcome: &'a Outcome, options: ReportOptions) -> Self {
        let health = Health::of(outcome);
        let verdict = Verdict::of(outcome, health.score, options.gate);
        Report {
            outcome,
            health,
            verdict,
            options,
        }
    }

    /// The run's input errors with where they are: the path from the repository root and, when
    /// known, the start position; for the CI formats that list each as a problem.
    fn input_errors(&self) -> impl Iterator<Item = (&Diagnostic, String, Option<Position>)> {
        self.outcome
            .diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.level == crate::diagnostic::Level::Error)
            .map(|diagnostic| {
                let (file, range) = self.outcome.diagnostic_place(diagnostic);
                let start = range.map(|(start, _)| start);
                (diagnostic, self.repository_path(&file), start)
            })
    }

    /// A display path as CI systems name files: from the repository root when the run is in
    /// one (see [`Repository::path_of`]), else as displayed.
    fn repository_path(&self, display: &str) -> String {
        match &self.options.repository {
            Some(repository) => repository.path_of(display),
            None => display.to_owned(),
        }
    }
}

pub fn write(format: Format, report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Line => line::write(report, out),
        Format::Json => json::write(report, out),
        Format::Human => human::write(report, out),
        Format::Sarif => sarif::write(report, out),
        Format::Github => github::write(report, out),
        Format::Summary => summary::write(report, out),
        Format::Html => html::write(report, out),
        Format::Junit => junit::write(report, out),
        Format::Gitlab => gitlab::write(report, out),
    }
}
