//! The JSON report; its shape is documented in docs/json-output.md and versioned by
//! [`JSON_FORMAT_VERSION`].

use std::io::{self, Write};

use serde::Serialize;

use super::Outcome;
use crate::finding::Finding;
use crate::object::ObjectId;
use crate::source::{Position, Span};

/// Bumped on any incompatible change of the shape.
pub const JSON_FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    tool: Tool,
    findings: Vec<JsonFinding<'a>>,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    counts: Counts,
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
    #[serde(rename = "helmTemplate", skip_serializing_if = "Option::is_none")]
    helm_template: Option<&'a str>,
    container: Option<JsonContainer<'a>>,
    labels: Vec<JsonLabel<'a>>,
    /// The kustomization files (overlays) the object was rendered through.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    via: Vec<&'a str>,
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

pub fn write(outcome: &Outcome, out: &mut dyn Write) -> io::Result<()> {
    let findings: Vec<JsonFinding<'_>> = outcome
        .findings
        .iter()
        .map(|f| finding(outcome, f))
        .collect();
    let diagnostics = outcome
        .diagnostics
        .iter()
        .map(|diagnostic| {
            let (file, range) = outcome.diagnostic_place(diagnostic);
            JsonDiagnostic {
                level: diagnostic.level.as_str(),
                code: diagnostic.code,
                message: &diagnostic.message,
                file,
                start: range.map(|(start, _)| start),
                end: range.map(|(_, end)| end),
            }
        })
        .collect();
    let count = |severity| {
        outcome
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    };
    let report = Report {
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
            errors: outcome
                .diagnostics
                .iter()
                .filter(|d| d.level == crate::diagnostic::Level::Error)
                .count(),
        },
        findings,
        diagnostics,
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
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
        helm_template: finding.helm_template.as_deref(),
        container: finding.container.as_ref().map(|container| JsonContainer {
            name: container.name.as_deref(),
            kind: container.kind.as_str(),
        }),
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
