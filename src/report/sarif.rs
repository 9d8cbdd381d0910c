//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers. The shape
//! and GitHub's upload limits are described in docs/sarif.md.

use std::io::{self, Write};
use std::path::{Component, Path};

use serde::Serialize;

use super::Report;
use crate::evaluate::finding::Finding;
use crate::exempt::Suppression as ExemptSuppression;
use crate::model::object::ObjectId;
use crate::rules::{self, RuleEntry, Severity};
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

#[derive(Serialize)]
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
    let findings = &report.outcome.findings;
    let result_count = findings.len() + report.outcome.suppressed.len();
    if result_count > MAX_RESULTS_PER_RUN {
        return Err(io::Error::other(format!(
            "{result_count} results (findings and suppressed findings) exceed the \
             {MAX_RESULTS_PER_RUN} GitHub code scanning accepts in one SARIF run; lint fewer \
             files per run or raise --fail-on"
        )));
    }
    let context = Context {
        report,
        uris: ArtifactUris::new(report),
    };
    let suppressed = report.outcome.suppressed.iter().map(|suppressed| {
        let mut result = result(&context, &suppressed.finding);
        result.suppressions = Some(vec![suppression(&suppressed.by)]);
        result
    });
    let results = findings
        .iter()
        .map(|finding| result(&context, finding))
        .chain(suppressed)
        .collect();
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
                    rules: rules::all().iter().map(rule).collect(),
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
    uris: ArtifactUris,
}

fn result<'a>(context: &Context<'_>, finding: &'a Finding) -> SarifResult<'a> {
    let meta = &finding.rule.meta;
    let primary = Location {
        id: None,
        physical_location: physical(context, finding.primary()),
        logical_locations: logical_locations(finding),
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
        rule_index: rules::all()
            .iter()
            .position(|entry| entry.meta.id == meta.id)
            .unwrap_or_default(),
        level: level(finding.severity),
        message: Message {
            text: sentence(&format!(
                "{} ({})",
                finding.message,
                super::subject_with_overlays(&context.report.outcome.sources, finding)
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
fn suppression(by: &ExemptSuppression) -> Suppression {
    Suppression {
        kind: match by {
            ExemptSuppression::Annotation { .. } => "inSource",
            _ => "external",
        },
        justification: Some(match by.reason() {
            Some(reason) => format!("{} ({reason})", by.kind()),
            None => by.kind().to_owned(),
        }),
    }
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

fn object_name(id: &ObjectId) -> String {
    let name = id.name.as_deref().unwrap_or("(unnamed)");
    match &id.namespace {
        Some(namespace) => format!("{}/{namespace}/{name}", id.kind),
        None => format!("{}/{name}", id.kind),
    }
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

/// Turns display paths (relative to the working directory, or absolute) into URIs relative to
/// the repository root.
struct ArtifactUris {
    prefix: Option<std::path::PathBuf>,
    root: Option<std::path::PathBuf>,
}

impl ArtifactUris {
    fn new(report: &Report<'_>) -> Self {
        let repository = report.options.repository.as_ref();
        ArtifactUris {
            prefix: repository.map(|repo| repo.working_dir_in_root.clone()),
            root: repository.map(|repo| repo.root.clone()),
        }
    }

    fn of(&self, display: &str) -> String {
        let path = Path::new(display);
        let relative = match (&self.root, &self.prefix) {
            (Some(root), _) if path.is_absolute() => path
                .strip_prefix(root)
                .map_or_else(|_| path.to_path_buf(), Path::to_path_buf),
            (_, Some(prefix)) => prefix.join(path),
            _ => path.to_path_buf(),
        };
        let segments: Vec<String> = relative
            .components()
            .filter_map(|component| match component {
                Component::Normal(part) => Some(percent_encode(&part.to_string_lossy())),
                Component::ParentDir => Some("..".to_owned()),
                _ => None,
            })
            .collect();
        segments.join("/")
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
        let uris = ArtifactUris {
            prefix: Some("deploy".into()),
            root: Some("/repo".into()),
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
