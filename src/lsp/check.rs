//! Linting one open document as `kubepatrol lint <file>` would lint the file, with every open
//! buffer read in place of its file: the configuration found from the document's directory,
//! ignored and excluded files left alone, a Kustomize patch or base rendered through the
//! overlays that use it, a Helm template or values file through its chart, and every finding
//! written in the document and every input problem turned into a protocol diagnostic.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag, NumberOrString, Range, Uri,
};

use super::text::{Encoding, Text};
use super::uri;
use crate::diagnostic::{Code, Diagnostic, Level, Location};
use crate::discover::{self, InputKind};
use crate::evaluate::finding::Finding;
use crate::pipeline::{LintOptions, Outcome, lint, lint_options_for};
use crate::report::shared;
use crate::rules::Severity;
use crate::settings::Settings;
use crate::source::{FileId, Span};
use crate::vfs::Files;

pub(crate) const SOURCE: &str = "kubepatrol";

/// The lint of one document's text, kept for code actions and hover until the text changes.
pub(crate) struct Analysis {
    /// The document's path: the scope of its fixes, as `kubepatrol fix <path>` has.
    pub(crate) path: PathBuf,
    pub(crate) outcome: Outcome,
    pub(crate) settings: Settings,
    /// The document among the outcome's sources (once, or twice when a kustomization of its
    /// repository read it too); empty when it was not linted.
    pub(crate) files: Vec<FileId>,
    /// Each finding shown in the document and where: the indexes into the outcome's findings
    /// of its members (one per overlay that renders it), the first one first.
    pub(crate) shown: Vec<(Vec<usize>, Range)>,
    pub(crate) diagnostics: Vec<lsp_types::Diagnostic>,
}

/// An open document: its absolute path, its URI as the client spells it, and how the client
/// counts characters.
#[derive(Clone, Copy)]
pub(crate) struct Opened<'a> {
    pub(crate) path: &'a Path,
    pub(crate) uri: &'a Uri,
    pub(crate) encoding: Encoding,
}

/// Lint the document as `kubepatrol lint <path>` would, reading `files` (the open buffers over
/// the disk): a plain manifest alone, a Kustomize patch or base through the overlays of its
/// repository that render it, a kustomization rendered, a Helm template or values file through
/// its chart.
pub(crate) fn analyse(files: Files, document: Opened<'_>) -> Analysis {
    let path = document.path;
    let display = path.to_string_lossy().into_owned();
    let mut options = match lint_options_for(
        files.clone(),
        vec![display.clone()],
        None,
        Vec::new(),
        false,
    ) {
        Ok(options) => options,
        // An invalid configuration stops `lint` too: its errors are the document's diagnostics.
        Err(stopped) => {
            return Analysis::of(document, *stopped, Settings::default(), Vec::new());
        }
    };
    if !is_linted(&files, path, &options) {
        return Analysis::of(
            document,
            Outcome::stopped(Default::default(), Vec::new()),
            options.settings,
            Vec::new(),
        );
    }
    options.report_unused_ignores = true;
    let outcome = lint(&options);
    // The document may be read twice, as named and as a kustomization's reference.
    let canonical = files.canonical(path);
    let file_ids = (0..outcome.sources.len())
        .filter_map(|index| u32::try_from(index).ok().map(FileId))
        .filter(|&file| {
            let shown = Path::new(outcome.sources.display(file));
            shown == path
                || (canonical.is_some()
                    && shown.file_name() == path.file_name()
                    && files.canonical(shown) == canonical)
        })
        .collect();
    let LintOptions { settings, .. } = options;
    Analysis::of(document, outcome, settings, file_ids)
}

/// Whether `lint` of the configuration's directory (else the repository, else the file's
/// directory) would read `path` (neither ignored nor excluded); a chart's template or values
/// file is linted when its chart is (through the chart). A file not yet saved is linted.
fn is_linted(files: &Files, path: &Path, options: &LintOptions) -> bool {
    let Ok(file) = std::fs::canonicalize(path) else {
        return true;
    };
    let chart = discover::rendering_chart(&**files, &file);
    let file = chart.clone().unwrap_or(file);
    let root = options
        .config
        .as_ref()
        .map(|loaded| loaded.dir.clone())
        .or_else(|| repository_root(&file))
        .or_else(|| file.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    let kind = discover::walked_kind(&**files, &root, &file, &options.discover);
    if chart.is_some() {
        kind == Some(InputKind::HelmChart)
    } else {
        matches!(kind, Some(InputKind::Manifest | InputKind::Kustomization))
    }
}

fn repository_root(file: &Path) -> Option<PathBuf> {
    file.ancestors()
        .skip(1)
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf)
}

impl Analysis {
    /// Whether `file` is the document.
    pub(crate) fn is_document(&self, file: FileId) -> bool {
        self.files.contains(&file)
    }

    fn of(document: Opened<'_>, outcome: Outcome, settings: Settings, files: Vec<FileId>) -> Self {
        let mut places = Places {
            outcome: &outcome,
            document,
            files: &files,
            texts: HashMap::new(),
        };
        let mut shown = Vec::new();
        let mut diagnostics = Vec::new();
        let index_of: HashMap<*const Finding, usize> = outcome
            .findings
            .iter()
            .enumerate()
            .map(|(index, finding)| (std::ptr::from_ref(finding), index))
            .collect();
        // A base rendered by several overlays has one finding per overlay: shown once.
        for group in shared::group_findings(&outcome.findings) {
            let finding = group.first();
            // The first label written in this document marks it; the others are related.
            let Some(marked) = finding
                .labels
                .iter()
                .position(|label| files.contains(&label.span.file))
            else {
                continue;
            };
            let Some(range) = finding
                .labels
                .get(marked)
                .and_then(|label| places.range(label.span))
            else {
                continue;
            };
            let message = format!(
                "{} ({})",
                finding.message,
                shared::subject(&outcome.sources, &group)
            );
            let related: Vec<DiagnosticRelatedInformation> = finding
                .labels
                .iter()
                .enumerate()
                .filter(|&(at, _)| at != marked)
                .filter_map(|(_, label)| {
                    Some(DiagnosticRelatedInformation {
                        location: places.location(label.span)?,
                        message: label.text.clone(),
                    })
                })
                .collect();
            let members = group
                .members()
                .filter_map(|member| index_of.get(&std::ptr::from_ref(member)).copied())
                .collect();
            shown.push((members, range));
            diagnostics.push(lsp_types::Diagnostic {
                range,
                severity: Some(match finding.severity {
                    Severity::Danger => DiagnosticSeverity::ERROR,
                    Severity::Warning => DiagnosticSeverity::WARNING,
                }),
                code: Some(NumberOrString::String(finding.rule.meta.id.to_owned())),
                source: Some(SOURCE.to_owned()),
                message,
                related_information: (!related.is_empty()).then_some(related),
                ..Default::default()
            });
        }
        for problem in &outcome.diagnostics {
            // Problems elsewhere in the repository are shown when they may hide findings.
            if problem.level == Level::Error || places.is_in(problem, &files) {
                diagnostics.push(places.input_problem(problem, &files));
            }
        }
        Analysis {
            path: document.path.to_path_buf(),
            outcome,
            settings,
            files,
            shown,
            diagnostics,
        }
    }
}

/// Ranges and locations of the outcome's spans, with each file's line index built once.
struct Places<'o> {
    outcome: &'o Outcome,
    document: Opened<'o>,
    /// The document among the outcome's sources.
    files: &'o [FileId],
    texts: HashMap<FileId, Text>,
}

impl<'o> Places<'o> {
    fn range(&mut self, span: Span) -> Option<Range> {
        let text = match self.texts.entry(span.file) {
            std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
            std::collections::hash_map::Entry::Vacant(slot) => {
                let source = self.outcome.sources.get(span.file)?;
                slot.insert(Text::new(source.text.clone()))
            }
        };
        Some(text.range(
            span.start as usize,
            span.end as usize,
            self.document.encoding,
        ))
    }

    fn location(&mut self, span: Span) -> Option<lsp_types::Location> {
        let uri = if self.files.contains(&span.file) {
            self.document.uri.clone()
        } else {
            uri::from_path(&absolute(self.outcome.sources.display(span.file)))?
        };
        Some(lsp_types::Location::new(uri, self.range(span)?))
    }

    fn is_in(&self, problem: &Diagnostic, document: &[FileId]) -> bool {
        match &problem.location {
            Location::Span(Span { file, .. }) | Location::File(file) => document.contains(file),
            Location::Path(_) => false,
        }
    }

    /// An input problem: at its place when it is in the document, else at the document's
    /// start, naming where it is (the configuration file, say).
    fn input_problem(
        &mut self,
        problem: &Diagnostic,
        document: &[FileId],
    ) -> lsp_types::Diagnostic {
        let span = match &problem.location {
            Location::Span(span) => Some(*span),
            Location::File(file) => Some(Span::new(*file, 0, 0)),
            Location::Path(_) => None,
        };
        let in_document = span.filter(|span| document.contains(&span.file));
        let range = in_document
            .and_then(|span| self.range(span))
            .unwrap_or_default();
        let message = match (&problem.location, in_document) {
            (_, Some(_)) => problem.message.clone(),
            (Location::Path(path), None) => format!("{path}: {}", problem.message),
            (_, None) => {
                let place = span.map_or_else(String::new, |span| {
                    let (start, _) = self.outcome.sources.position(span);
                    let display = self.outcome.sources.display(span.file);
                    format!("{display}:{}:{}: ", start.line, start.column)
                });
                format!("{place}{}", problem.message)
            }
        };
        lsp_types::Diagnostic {
            range,
            severity: Some(match problem.level {
                Level::Error => DiagnosticSeverity::ERROR,
                Level::Warning => DiagnosticSeverity::WARNING,
                Level::Note => DiagnosticSeverity::INFORMATION,
            }),
            code: Some(NumberOrString::String(problem.code.as_str().to_owned())),
            source: Some(SOURCE.to_owned()),
            message,
            tags: (problem.code == Code::UnusedIgnore).then(|| vec![DiagnosticTag::UNNECESSARY]),
            ..Default::default()
        }
    }
}

/// A display path as an absolute path: displays are relative to the working directory.
fn absolute(display: &str) -> PathBuf {
    let path = Path::new(display);
    if path.is_absolute() {
        return path.to_path_buf();
    }
    std::env::current_dir()
        .map(|cwd| cwd.join(path))
        .unwrap_or_else(|_| path.to_path_buf())
}
