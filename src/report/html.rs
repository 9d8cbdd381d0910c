//! `--format html`: one self-contained page (no network requests) with the overview, a chart per
//! category and a table of the checked objects that filters in the browser: workloads, bindings,
//! and every other object (a Service, a ConfigMap) a custom check or policy applied to, whose
//! results are at the check's level (`object`) rather than a pod's. The page's data is one JSON
//! document; the script in `html/report.js` draws the page from it, and builds a workload's
//! checks and YAML only when the user opens it, so a report of thousands of workloads stays
//! quick.

use std::io::{self, Write};

use serde::Serialize;

use super::Report;
use super::health::{KindShare, Tally, WorkloadResults};
use crate::evaluate::finding::ContainerRef;
use crate::rules::RuleEntry;
use crate::source::{SourceMap, Span};

const TEMPLATE: &str = include_str!("html/report.html");
const STYLE: &str = include_str!("html/report.css");
const SCRIPT: &str = include_str!("html/report.js");

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Page<'a> {
    tool: String,
    files: usize,
    objects: usize,
    evaluated: usize,
    score: u32,
    grade: &'static str,
    total: Tally,
    high_risks: usize,
    errors: usize,
    /// `passes`, or `fails: ` and why, as the exit code says.
    verdict: String,
    fails: bool,
    /// Every input problem, in report order, so the page says which inputs failed.
    diagnostics: Vec<InputProblem<'a>>,
    kinds: &'a [KindShare],
    categories: Vec<CategoryChart>,
    checks: Vec<Check>,
    workloads: Vec<Workload<'a>>,
}

#[derive(Serialize)]
struct InputProblem<'a> {
    level: &'static str,
    code: &'static str,
    file: String,
    /// Absent when the problem is about a whole file or path.
    line: Option<usize>,
    message: &'a str,
}

#[derive(Serialize)]
struct CategoryChart {
    category: &'static str,
    score: u32,
    #[serde(flatten)]
    results: Tally,
}

#[derive(Serialize)]
struct Check {
    id: &'static str,
    title: &'static str,
    category: &'static str,
    severity: &'static str,
    level: &'static str,
    success: &'static str,
    risk: &'static str,
    remediation: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Workload<'a> {
    kind: &'a str,
    namespace: Option<&'a str>,
    name: Option<&'a str>,
    file: &'a str,
    /// The kustomization (overlay) the object was rendered through; absent for a plain manifest.
    #[serde(skip_serializing_if = "Option::is_none")]
    overlay: Option<String>,
    /// The line the object's text starts at in `file`.
    first_line: usize,
    /// The object's text, shown in the YAML view.
    yaml: String,
    pod: Tally,
    container: Tally,
    results: Vec<CheckResult<'a>>,
}

#[derive(Serialize)]
struct CheckResult<'a> {
    /// Index into `checks`.
    check: usize,
    container: Option<&'a str>,
    #[serde(rename = "containerKind")]
    container_kind: Option<&'static str>,
    /// `passed`, `warning` or `danger`.
    result: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    /// Lines (in `file`) of the labels, the primary first; empty for passed results.
    lines: Vec<usize>,
}

impl<'a> CheckResult<'a> {
    /// A result without message, help or lines: what a passed check has.
    fn new(
        rule: &RuleEntry,
        container: Option<&'a ContainerRef>,
        result: &'static str,
        checks: &[&RuleEntry],
    ) -> Self {
        CheckResult {
            check: check_index(rule, checks),
            container: container.and_then(|container| container.name.as_deref()),
            container_kind: container.map(|container| container.kind.as_str()),
            result,
            message: None,
            help: None,
            lines: Vec::new(),
        }
    }
}

pub(super) fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let page = page(report);
    // `<` never appears outside JSON strings, and `\u003c` inside one cannot close the script.
    let data = serde_json::to_string(&page)?.replace('<', "\\u003c");
    let html = TEMPLATE
        .replace("/*STYLE*/", STYLE)
        .replace("/*SCRIPT*/", SCRIPT)
        .replace("/*DATA*/", &data);
    out.write_all(html.as_bytes())
}

fn page<'a>(report: &'a Report<'_>) -> Page<'a> {
    let outcome = report.outcome;
    let health = &report.health;
    Page {
        tool: format!("{} {}", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")),
        files: outcome.files,
        objects: outcome.objects,
        evaluated: outcome.evaluated,
        score: health.score,
        grade: health.grade,
        total: health.total,
        high_risks: health.high_risks(),
        errors: outcome
            .diagnostics
            .iter()
            .filter(|d| d.level == crate::diagnostic::Level::Error)
            .count(),
        verdict: report.verdict.describe(),
        fails: report.verdict.fails(),
        diagnostics: outcome
            .diagnostics
            .iter()
            .map(|diagnostic| {
                let (file, range) = outcome.diagnostic_place(diagnostic);
                InputProblem {
                    level: diagnostic.level.as_str(),
                    code: diagnostic.code.as_str(),
                    file,
                    line: range.map(|(start, _)| start.line),
                    message: &diagnostic.message,
                }
            })
            .collect(),
        kinds: &health.kinds,
        categories: health
            .categories
            .iter()
            .map(|(category, results)| CategoryChart {
                category: category.as_str(),
                score: results.score(),
                results: *results,
            })
            .collect(),
        checks: outcome.checks().into_iter().map(check).collect(),
        workloads: health
            .workloads
            .iter()
            .map(|workload| workload_data(&outcome.sources, workload, &outcome.checks()))
            .collect(),
    }
}

fn check(entry: &'static RuleEntry) -> Check {
    let meta = &entry.meta;
    Check {
        id: meta.id,
        title: meta.title,
        category: meta.category.as_str(),
        severity: meta.severity.as_str(),
        level: meta.scope.as_str(),
        success: meta.success,
        risk: meta.risk,
        remediation: meta.remediation,
    }
}

fn check_index(entry: &RuleEntry, checks: &[&RuleEntry]) -> usize {
    checks
        .iter()
        .position(|candidate| candidate.meta.id == entry.meta.id)
        .unwrap_or_default()
}

fn workload_data<'a>(
    sources: &'a SourceMap,
    workload: &'a WorkloadResults<'_>,
    checks: &[&RuleEntry],
) -> Workload<'a> {
    let span = workload.inspected.root.span;
    let (first, last) = sources.position(span);
    let line_of = |label: Span| sources.position(label).0.line;
    let mut results: Vec<CheckResult<'a>> = workload
        .findings
        .iter()
        .map(|finding| CheckResult {
            message: Some(&finding.message),
            help: finding.help.as_deref(),
            lines: finding
                .labels
                .iter()
                .filter(|label| label.span.file == span.file)
                .map(|label| line_of(label.span))
                .collect(),
            ..CheckResult::new(
                finding.rule,
                finding.container.as_ref(),
                finding.severity.as_str(),
                checks,
            )
        })
        .collect();
    results.extend(
        workload.passed().iter().map(|passed| {
            CheckResult::new(passed.rule, passed.container.as_ref(), "passed", checks)
        }),
    );
    let id = workload.id();
    Workload {
        kind: &id.kind,
        namespace: id.namespace.as_deref(),
        name: id.name.as_deref(),
        file: sources.display(span.file),
        overlay: super::shared::overlays(
            sources,
            &workload.inspected.via,
            workload.inspected.values_set.as_deref(),
        ),
        first_line: first.line,
        yaml: sources
            .get(span.file)
            .map(|file| {
                (first.line..=last.line)
                    .map(|line| file.line_text(line))
                    .collect::<Vec<_>>()
                    .join("\n")
                    // The span may end at the start of the next document's line.
                    .trim_end()
                    .to_owned()
            })
            .unwrap_or_default(),
        pod: workload.pod,
        container: workload.container,
        results,
    }
}
