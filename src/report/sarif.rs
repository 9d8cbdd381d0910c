//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers. The shape
//! and GitHub's upload limits are described in docs/sarif.md.

use std::io::{self, Write};

use serde::Serialize;

use super::shared::{self, Shown};
use super::{Report, Repository};
use crate::diagnostic::{Diagnostic, Level};
use crate::evaluate::finding::Finding;
use crate::exempt::Suppression as ExemptSuppression;
use crate::model::object::ObjectId;
use crate::rules::{RuleEntry, Severity};
use crate::source::Span;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The base every artifact URI is relative to: the root of the repository.
const SOURCE_ROOT: &str = "SRCROOT";
const INFORMATION_URI: &str = "https://github.com/kubepatrol/kubepatrol";

/// GitHub code scanning rejects a run with more results than this (docs/sarif.md).
pub(super) const MAX_RESULTS_PER_RUN: usize = 25_000;
/// GitHub rejects a result with more locations than this; related locations count.
pub(super) const MAX_LOCATIONS_PER_RESULT: usize = 1_000;

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    original_uri_base_ids: OriginalUriBaseIds,
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
    invocations: [Invocation; 1],
}

/// How the run went (SARIF §3.20): successful unless some input could not be read; the exit
/// code and why; every input problem as a notification.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    exit_code: u8,
    exit_code_description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Message,
    descriptor: Descriptor,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<NotificationLocation>,
}

#[derive(Serialize)]
struct Descriptor {
    id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NotificationLocation {
    physical_location: NotificationPlace,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NotificationPlace {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct OriginalUriBaseIds {
    #[serde(rename = "SRCROOT")]
    source_root: BaseLocation,
}

#[derive(Serialize)]
struct BaseLocation {
    description: Description<'static>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    short_description: Description<'static>,
    full_description: Description<'static>,
    help: Help,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Description<'a> {
    text: &'a str,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<&'static str>,
    /// GitHub's CVSS-like score, shown as the alert's severity.
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Message,
    locations: [Location<'a>; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location<'a>>,
    partial_fingerprints: Fingerprints,
    /// A suppressed finding stays in the log with what suppressed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressions: Option<Vec<Suppression>>,
}

/// SARIF §3.35: why a result is not shown as an open alert.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Suppression {
    /// `inSource` for an annotation in the manifest, `external` for configuration or a baseline.
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<LogicalLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Description<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    uri_base_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct LogicalLocation {
    name: String,
    fully_qualified_name: String,
    kind: &'static str,
}

#[derive(Serialize)]
struct Fingerprints {
    /// Our own key ([`Finding::fingerprint`]); bump the suffix if its recipe changes.
    #[serde(rename = "kubepatrolFinding/v1")]
    finding: String,
}

pub(super) fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let context = Context {
        report,
        uris: ArtifactUris::new(report),
    };
    let suppressed = shared::group_suppressed(&report.outcome.suppressed)
        .into_iter()
        .map(|(shown, suppressed)| {
            let mut result = result(&context, &shown);
            result.suppressions = suppression(&suppressed.by).map(|by| vec![by]);
            result
        });
    let results: Vec<SarifResult<'_>> = shared::group_findings(&report.outcome.findings)
        .iter()
        .map(|shown| result(&context, shown))
        .chain(suppressed)
        .collect();
    if results.len() > MAX_RESULTS_PER_RUN {
        return Err(io::Error::other(format!(
            "{} results (findings and suppressed findings) exceed the \
             {MAX_RESULTS_PER_RUN} GitHub code scanning accepts in one SARIF run; lint fewer \
             files per run or raise --fail-on",
            results.len()
        )));
    }
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: env!("CARGO_PKG_NAME"),
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: INFORMATION_URI,
                    rules: report.outcome.checks().into_iter().map(rule).collect(),
                },
            },
            original_uri_base_ids: OriginalUriBaseIds {
                source_root: BaseLocation {
                    description: Description {
                        text: "The root of the repository the manifests are in.",
                    },
                },
            },
            column_kind: "unicodeCodePoints",
            results,
            invocations: [invocation(&context)],
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

fn rule(entry: &'static RuleEntry) -> Rule {
    let meta = &entry.meta;
    Rule {
        id: meta.id,
        // SARIF §3.49.7: a name equal to the id is left out.
        name: Some(pascal_case(meta.title)).filter(|name| !name.eq_ignore_ascii_case(meta.id)),
        short_description: Description { text: meta.title },
        full_description: Description { text: meta.risk },
        help: Help {
            text: format!("{}\n\n{}", meta.risk, meta.remediation),
            markdown: format!(
                "## Risk\n\n{}\n\n## Remediation\n\n{}",
                meta.risk, meta.remediation
            ),
        },
        default_configuration: Configuration {
            level: level(meta.severity),
        },
        properties: RuleProperties {
            tags: tags(meta.category.as_str()),
            security_severity: match meta.severity {
                Severity::Danger => "8.0",
                Severity::Warning => "5.0",
            },
        },
    }
}

/// GitHub reads `security-severity` only from rules tagged `security`; tags must be unique.
fn tags(category: &'static str) -> Vec<&'static str> {
    let mut tags = vec!["kubernetes", "security"];
    if !tags.contains(&category) {
        tags.push(category);
    }
    tags
}

/// A readable identifier that differs from the id, as SARIF asks: the title in PascalCase,
/// `Host network namespace is shared` → `HostNetworkNamespaceIsShared`.
fn pascal_case(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .flat_map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase())
                .into_iter()
                .chain(chars)
        })
        .collect()
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Danger => "error",
        Severity::Warning => "warning",
    }
}

/// What every result needs from the whole run.
struct Context<'a> {
    report: &'a Report<'a>,
    uris: ArtifactUris<'a>,
}

/// One result for a finding and the identical findings other overlays share with it: their
/// objects are all among its logical locations.
fn result<'a>(context: &Context<'_>, shown: &Shown<'a>) -> SarifResult<'a> {
    let finding = shown.first();
    let meta = &finding.rule.meta;
    let primary = Location {
        id: None,
        physical_location: physical(context, finding.primary()),
        logical_locations: distinct_logical_locations(shown),
        message: None,
    };
    let related = finding
        .labels
        .iter()
        .enumerate()
        .skip(1)
        .take(MAX_LOCATIONS_PER_RESULT - 1)
        .map(|(index, label)| Location {
            id: Some(index),
            physical_location: physical(context, label.span),
            logical_locations: Vec::new(),
            message: Some(Description { text: &label.text }),
        })
        .collect();
    SarifResult {
        rule_id: meta.id,
        rule_index: context
            .report
            .outcome
            .checks()
            .iter()
            .position(|entry| entry.meta.id == meta.id)
            .unwrap_or_default(),
        level: level(finding.severity),
        message: Message {
            text: sentence(&format!(
                "{} ({})",
                finding.message,
                shared::subject(&context.report.outcome.sources, shown)
            )),
        },
        locations: [primary],
        related_locations: related,
        partial_fingerprints: Fingerprints {
            finding: finding.fingerprint(),
        },
        suppressions: None,
    }
}

/// SARIF §3.35: annotations are in-source suppressions; configuration and baseline are external.
/// A finding `--new-since` found at the commit too is no suppression: it is an ordinary result,
/// so that the log stays complete and code scanning tells new alerts from old ones itself.
fn suppression(by: &ExemptSuppression) -> Option<Suppression> {
    Some(Suppression {
        kind: match by {
            ExemptSuppression::Annotation { .. } => "inSource",
            ExemptSuppression::Existing { .. } => return None,
            _ => "external",
        },
        justification: Some(match by.reason() {
            Some(reason) => format!("{} ({reason})", by.kind()),
            None => by.kind().to_owned(),
        }),
    })
}

/// SARIF viewers expect messages to be sentences.
fn sentence(text: &str) -> String {
    if text.ends_with('.') {
        text.to_owned()
    } else {
        format!("{text}.")
    }
}

fn physical(context: &Context<'_>, span: Span) -> PhysicalLocation {
    let sources = &context.report.outcome.sources;
    let (start, end) = sources.position(span);
    PhysicalLocation {
        artifact_location: ArtifactLocation {
            uri: context.uris.of(sources.display(span.file)),
            uri_base_id: SOURCE_ROOT,
        },
        region: Region {
            start_line: start.line,
            start_column: start.column,
            end_line: end.line,
            end_column: end.column,
        },
    }
}

fn invocation(context: &Context<'_>) -> Invocation {
    let report = context.report;
    Invocation {
        execution_successful: !report.outcome.has_errors(),
        exit_code: report.verdict.exit_code(),
        exit_code_description: report.verdict.describe(),
        tool_execution_notifications: report
            .outcome
            .diagnostics
            .iter()
            .map(|diagnostic| notification(context, diagnostic))
            .collect(),
    }
}

fn notification(context: &Context<'_>, diagnostic: &Diagnostic) -> Notification {
    let (display, range) = context.report.outcome.diagnostic_place(diagnostic);
    Notification {
        level: match diagnostic.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "note",
        },
        message: Message {
            text: sentence(&diagnostic.message),
        },
        descriptor: Descriptor {
            id: diagnostic.code.as_str(),
        },
        locations: vec![NotificationLocation {
            physical_location: NotificationPlace {
                artifact_location: ArtifactLocation {
                    uri: context.uris.of(&display),
                    uri_base_id: SOURCE_ROOT,
                },
                region: range.map(|(start, end)| Region {
                    start_line: start.line,
                    start_column: start.column,
                    end_line: end.line,
                    end_column: end.column,
                }),
            },
        }],
    }
}

fn object_name(id: &ObjectId) -> String {
    let name = id.name.as_deref().unwrap_or("(unnamed)");
    match &id.namespace {
        Some(namespace) => format!("{}/{namespace}/{name}", id.kind),
        None => format!("{}/{name}", id.kind),
    }
}

/// The logical locations of every object a shown result stands for, each once: two overlays
/// that neither prefix nor move their objects render objects of the same name, and SARIF
/// requires the items of `logicalLocations` to be unique.
fn distinct_logical_locations(shown: &Shown<'_>) -> Vec<LogicalLocation> {
    let mut distinct: Vec<LogicalLocation> = Vec::new();
    for location in shown.members().flat_map(logical_locations) {
        if !distinct.contains(&location) {
            distinct.push(location);
        }
    }
    distinct
}

fn logical_locations(finding: &Finding) -> Vec<LogicalLocation> {
    let object = object_name(&finding.object);
    let mut locations = vec![LogicalLocation {
        name: finding.object.name.clone().unwrap_or_default(),
        fully_qualified_name: object.clone(),
        kind: "resource",
    }];
    if let Some(container) = &finding.container {
        let name = container.name.clone().unwrap_or_default();
        locations.push(LogicalLocation {
            fully_qualified_name: format!("{object}/{}/{name}", container.kind.as_str()),
            name,
            kind: "element",
        });
    }
    locations
}

/// Turns display paths into URIs relative to the repository root, percent-encoded.
struct ArtifactUris<'a> {
    repository: Option<&'a Repository>,
}

impl<'a> ArtifactUris<'a> {
    fn new(report: &'a Report<'_>) -> Self {
        ArtifactUris {
            repository: report.options.repository.as_ref(),
        }
    }

    fn of(&self, display: &str) -> String {
        let path = match self.repository {
            Some(repository) => repository.path_of(display),
            None => display.to_owned(),
        };
        path.split('/')
            .filter(|segment| !segment.is_empty() && *segment != ".")
            .map(percent_encode)
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// RFC 3986: everything but unreserved characters is percent-encoded within a path segment.
fn percent_encode(segment: &str) -> String {
    let mut encoded = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_to_the_repository_root_and_encoded() {
        let repository = Repository {
            root: "/repo".into(),
            working_dir_in_root: "deploy".into(),
        };
        let uris = ArtifactUris {
            repository: Some(&repository),
        };
        assert_eq!(uris.of("apps/web app.yaml"), "deploy/apps/web%20app.yaml");
        assert_eq!(uris.of("/repo/base/x.yaml"), "base/x.yaml");
        assert_eq!(uris.of("./a#b.yaml"), "deploy/a%23b.yaml");
    }

    #[test]
    fn rule_names_are_the_title_in_pascal_case() {
        assert_eq!(
            pascal_case("Image tag missing or latest"),
            "ImageTagMissingOrLatest"
        );
        assert_eq!(pascal_case("CPU limit missing"), "CPULimitMissing");
    }
}
