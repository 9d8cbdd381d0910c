//! The JSON report; its shape is documented in docs/json-output.md and versioned by
//! [`JSON_FORMAT_VERSION`].

use std::io::{self, Write};

use serde::Serialize;

use super::Report;
use super::health::{KindShare, NamespaceTally, Tally, WorkloadResults};
use super::verdict::Reason;
use crate::diagnostic::Diagnostic;
use crate::evaluate::finding::{ContainerRef, Finding};
use crate::exempt::baseline::Recorded;
use crate::exempt::{Suppressed, Suppression};
use crate::model::object::ObjectId;
use crate::pipeline::Outcome;
use crate::source::{Position, Span};

/// Bumped on any incompatible change of the shape.
pub(super) const JSON_FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    tool: Tool,
    findings: Vec<JsonFinding<'a>>,
    suppressed: Vec<JsonSuppressed<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<&'a crate::exempt::baseline::Summary>,
    /// What `--new-since` compared with.
    #[serde(rename = "newSince", skip_serializing_if = "Option::is_none")]
    new_since: Option<NewSince<'a>>,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    counts: Counts,
    summary: Summary<'a>,
    verdict: JsonVerdict<'a>,
}

#[derive(Serialize)]
struct NewSince<'a> {
    /// The commit as the user named it, with its abbreviated hash.
    reference: &'a str,
    /// Findings at the commit (the multiset of their fingerprints is what was compared).
    before: usize,
    /// Findings at the commit that this change fixed.
    fixed: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary<'a> {
    score: u32,
    grade: &'static str,
    #[serde(flatten)]
    results: Tally,
    high_risks: usize,
    categories: Vec<CategorySummary>,
    kinds: &'a [KindShare],
    namespaces: &'a [NamespaceTally],
    workloads: Vec<WorkloadSummary<'a>>,
}

#[derive(Serialize)]
struct CategorySummary {
    category: &'static str,
    score: u32,
    #[serde(flatten)]
    results: Tally,
}

#[derive(Serialize)]
struct WorkloadSummary<'a> {
    object: &'a ObjectId,
    file: &'a str,
    line: usize,
    /// The overlays the object was rendered through, as in findings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    via: Vec<&'a str>,
    /// The configured values set the object's chart was rendered with.
    #[serde(rename = "valuesSet", skip_serializing_if = "Option::is_none")]
    values_set: Option<&'a str>,
    pod: Tally,
    container: Tally,
    #[serde(skip_serializing_if = "Option::is_none")]
    passed: Option<Vec<PassedResult<'a>>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    skipped: Vec<SkippedCheck<'a>>,
}

/// A check that did not run on the object, and the wrong-typed field it would have read.
#[derive(Serialize)]
struct SkippedCheck<'a> {
    check: &'static str,
    because: JsonDiagnostic<'a>,
}

#[derive(Serialize)]
struct PassedResult<'a> {
    check: &'static str,
    message: &'static str,
    container: Option<JsonContainer<'a>>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Counts {
    files: usize,
    objects: usize,
    evaluated: usize,
    findings: usize,
    danger: usize,
    warning: usize,
    suppressed: usize,
    errors: usize,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    check: &'static str,
    severity: &'static str,
    category: &'static str,
    message: &'a str,
    help: &'a str,
    file: &'a str,
    start: Position,
    end: Position,
    object: &'a ObjectId,
    /// The owned object (a Pod of this Deployment's ReplicaSet) the finding was found in.
    #[serde(rename = "foundIn", skip_serializing_if = "Option::is_none")]
    found_in: Option<&'a ObjectId>,
    #[serde(rename = "helmTemplate", skip_serializing_if = "Option::is_none")]
    helm_template: Option<&'a str>,
    container: Option<JsonContainer<'a>>,
    labels: Vec<JsonLabel<'a>>,
    /// The kustomization files (overlays) or the chart the object was rendered through.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    via: Vec<&'a str>,
    /// The configured values set the chart was rendered with.
    #[serde(rename = "valuesSet", skip_serializing_if = "Option::is_none")]
    values_set: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonSuppressed<'a> {
    #[serde(flatten)]
    finding: JsonFinding<'a>,
    suppression: JsonSuppression<'a>,
}

/// What silenced a finding: `kind` is `annotation`, `config-check`, `config-exemption` or
/// `baseline`; the place where it is written when it is in a file.
#[derive(Serialize)]
struct JsonSuppression<'a> {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    annotation: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    start: Option<Position>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end: Option<Position>,
}

#[derive(Serialize)]
struct JsonContainer<'a> {
    name: Option<&'a str>,
    kind: &'static str,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    file: &'a str,
    start: Position,
    end: Position,
    text: &'a str,
    primary: bool,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    level: &'static str,
    code: &'static str,
    message: &'a str,
    file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    start: Option<Position>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end: Option<Position>,
}

fn diagnostic_json<'a>(outcome: &'a Outcome, diagnostic: &'a Diagnostic) -> JsonDiagnostic<'a> {
    let (file, range) = outcome.diagnostic_place(diagnostic);
    JsonDiagnostic {
        level: diagnostic.level.as_str(),
        code: diagnostic.code.as_str(),
        message: &diagnostic.message,
        file,
        start: range.map(|(start, _)| start),
        end: range.map(|(_, end)| end),
    }
}

pub(super) fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let outcome = report.outcome;
    let findings: Vec<JsonFinding<'_>> = outcome
        .findings
        .iter()
        .map(|f| finding(outcome, f))
        .collect();
    let diagnostics = outcome
        .diagnostics
        .iter()
        .map(|diagnostic| diagnostic_json(outcome, diagnostic))
        .collect();
    let count = |severity| {
        outcome
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    };
    let suppressed: Vec<JsonSuppressed<'_>> = outcome
        .suppressed
        .iter()
        .map(|s| suppressed(outcome, s))
        .collect();
    let json = JsonReport {
        version: JSON_FORMAT_VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        },
        counts: Counts {
            files: outcome.files,
            objects: outcome.objects,
            evaluated: outcome.evaluated,
            findings: findings.len(),
            danger: count(crate::rules::Severity::Danger),
            warning: count(crate::rules::Severity::Warning),
            suppressed: suppressed.len(),
            errors: outcome
                .diagnostics
                .iter()
                .filter(|d| d.level == crate::diagnostic::Level::Error)
                .count(),
        },
        findings,
        suppressed,
        baseline: outcome
            .baseline
            .as_ref()
            .filter(|summary| summary.recorded == Recorded::File),
        new_since: outcome
            .baseline
            .as_ref()
            .filter(|summary| summary.recorded == Recorded::Commit)
            .map(|summary| {
                let (before, fixed) = summary.before_and_fixed();
                NewSince {
                    reference: &summary.file,
                    before,
                    fixed,
                }
            }),
        diagnostics,
        summary: summary(report),
        verdict: JsonVerdict {
            fails: report.verdict.fails(),
            exit_code: report.verdict.exit_code(),
            reasons: report
                .verdict
                .reasons
                .iter()
                .map(|reason| JsonReason {
                    reason,
                    message: reason.describe(),
                })
                .collect(),
        },
    };
    serde_json::to_writer_pretty(&mut *out, &json)?;
    writeln!(out)
}

/// Whether the run fails and why, as the exit code says.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonVerdict<'a> {
    fails: bool,
    exit_code: u8,
    reasons: Vec<JsonReason<'a>>,
}

#[derive(Serialize)]
struct JsonReason<'a> {
    #[serde(flatten)]
    reason: &'a Reason,
    message: String,
}

fn summary<'a>(report: &'a Report<'_>) -> Summary<'a> {
    let health = &report.health;
    Summary {
        score: health.score,
        grade: health.grade,
        results: health.total,
        high_risks: health.high_risks(),
        categories: health
            .categories
            .iter()
            .map(|(category, results)| CategorySummary {
                category: category.as_str(),
                score: results.score(),
                results: *results,
            })
            .collect(),
        kinds: &health.kinds,
        namespaces: &health.namespaces,
        workloads: health
            .workloads
            .iter()
            .map(|workload| workload_summary(report, workload))
            .collect(),
    }
}

fn workload_summary<'a>(
    report: &'a Report<'_>,
    workload: &'a WorkloadResults<'_>,
) -> WorkloadSummary<'a> {
    let sources = &report.outcome.sources;
    let span = workload.inspected.root.span;
    let passed = report.options.include_passed.then(|| {
        workload
            .passed()
            .iter()
            .map(|passed| PassedResult {
                check: passed.rule.meta.id,
                message: passed.rule.meta.success,
                container: passed.container.as_ref().map(container_json),
            })
            .collect()
    });
    WorkloadSummary {
        object: workload.id(),
        file: sources.display(span.file),
        line: sources.position(span).0.line,
        via: workload
            .inspected
            .via
            .iter()
            .map(|file| sources.display(*file))
            .collect(),
        values_set: workload.inspected.values_set.as_deref(),
        pod: workload.pod,
        container: workload.container,
        passed,
        skipped: workload
            .inspected
            .skipped
            .iter()
            .map(|skipped| SkippedCheck {
                check: skipped.rule.meta.id,
                because: diagnostic_json(report.outcome, &skipped.because),
            })
            .collect(),
    }
}

fn finding<'a>(outcome: &'a Outcome, finding: &'a Finding) -> JsonFinding<'a> {
    let primary = finding.primary();
    let (start, end) = outcome.sources.position(primary);
    let meta = &finding.rule.meta;
    JsonFinding {
        check: meta.id,
        severity: finding.severity.as_str(),
        category: meta.category.as_str(),
        message: &finding.message,
        help: finding.help.as_deref().unwrap_or(meta.remediation),
        file: outcome.sources.display(primary.file),
        start,
        end,
        object: &finding.object,
        found_in: finding.found_in.as_deref(),
        helm_template: finding.helm_template.as_deref(),
        container: finding.container.as_ref().map(container_json),
        labels: finding
            .labels
            .iter()
            .enumerate()
            .map(|(index, label)| label_json(outcome, label.span, &label.text, index == 0))
            .collect(),
        via: finding
            .via
            .iter()
            .map(|file| outcome.sources.display(*file))
            .collect(),
        values_set: finding.values_set.as_deref(),
    }
}

fn suppressed<'a>(outcome: &'a Outcome, suppressed: &'a Suppressed) -> JsonSuppressed<'a> {
    let by = &suppressed.by;
    let place = by.span().map(|span| outcome.sources.position(span));
    JsonSuppressed {
        finding: finding(outcome, &suppressed.finding),
        suppression: JsonSuppression {
            kind: by.kind(),
            annotation: match by {
                Suppression::Annotation { key, .. } => Some(key),
                _ => None,
            },
            reason: by.reason(),
            file: match by {
                Suppression::Baseline { file } => file,
                Suppression::Existing { reference } => reference,
                _ => by
                    .span()
                    .map_or("", |span| outcome.sources.display(span.file)),
            },
            start: place.map(|(start, _)| start),
            end: place.map(|(_, end)| end),
        },
    }
}

fn container_json(container: &ContainerRef) -> JsonContainer<'_> {
    JsonContainer {
        name: container.name.as_deref(),
        kind: container.kind.as_str(),
    }
}

fn label_json<'a>(outcome: &'a Outcome, span: Span, text: &'a str, primary: bool) -> JsonLabel<'a> {
    let (start, end) = outcome.sources.position(span);
    JsonLabel {
        file: outcome.sources.display(span.file),
        start,
        end,
        text,
        primary,
    }
}
