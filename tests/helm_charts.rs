//! Charts linted natively: each finding points at the values-file or template line and column
//! that wrote the offending value (one fixture template per way a value reaches the output),
//! and template errors are diagnostics at the template's line and column while the chart's
//! other templates are still linted.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

mod common;

use common::{fixtures, json, run_in};

/// `(line, column)`, 1-based, of the first occurrence of `needle` after `after` in `file`.
fn position(file: &str, after: &str, needle: &str) -> (u64, u64) {
    let text = std::fs::read_to_string(fixtures().join("helm-provenance/web").join(file))
        .expect("fixture");
    let from = text.find(after).expect("anchor in fixture");
    let offset = from + text[from..].find(needle).expect("needle in fixture");
    let line_start = text[..offset].rfind('\n').map_or(0, |newline| newline + 1);
    let line = text[..offset].matches('\n').count() + 1;
    (line as u64, (offset - line_start + 1) as u64)
}

/// Where the finding of `check` on the object `name` (container `container`, if given) is.
fn finding_at(
    findings: &[serde_json::Value],
    check: &str,
    name: &str,
    container: Option<&str>,
) -> (String, u64, u64) {
    let finding = findings
        .iter()
        .find(|finding| {
            finding["check"] == check
                && finding["object"]["name"] == name
                && container.is_none_or(|container| finding["container"]["name"] == container)
        })
        .unwrap_or_else(|| panic!("no {check} finding on {name}"));
    let file = finding["file"]
        .as_str()
        .unwrap()
        .trim_start_matches("web/")
        .to_string();
    (
        file,
        finding["start"]["line"].as_u64().unwrap(),
        finding["start"]["column"].as_u64().unwrap(),
    )
}

#[test]
fn findings_point_where_the_value_was_written() {
    let output = run_in(
        &fixtures().join("helm-provenance"),
        &["lint", "--format", "json", "web"],
    );
    let report = json(&output);
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(
        report["diagnostics"],
        serde_json::json!([]),
        "the chart renders"
    );
    let at = |file: &str, after: &str, needle: &str| {
        let (line, column) = position(file, after, needle);
        (file.to_string(), line, column)
    };
    // A value from .Values, directly and through default, quote, toYaml, tpl and include.
    assert_eq!(
        finding_at(findings, "hostNetworkSet", "direct", None),
        at("values.yaml", "host:", "true")
    );
    assert_eq!(
        finding_at(findings, "hostPIDSet", "default", None),
        at("values.yaml", "pid:", "true")
    );
    assert_eq!(
        finding_at(findings, "tagNotSpecified", "quote", None),
        at("values.yaml", "fullImage:", "nginx")
    );
    assert_eq!(
        finding_at(findings, "runAsPrivileged", "to-yaml", None),
        at("values.yaml", "privileged:", "true")
    );
    assert_eq!(
        finding_at(findings, "hostIPCSet", "tpl", None),
        at("values.yaml", "ipc: true", "true")
    );
    assert_eq!(
        finding_at(findings, "capabilitiesAdded", "include", None),
        at("values.yaml", "capability:", "NET_ADMIN")
    );
    // A parent's values into a subchart, and a global.
    assert_eq!(
        finding_at(findings, "capabilitiesAdded", "sidecar", None),
        at("values.yaml", "sidecar:", "SYS_ADMIN")
    );
    assert_eq!(
        finding_at(findings, "hostPortSet", "sidecar", None),
        at("values.yaml", "hostPort:", "8080")
    );
    // Literal template text.
    assert_eq!(
        finding_at(findings, "hostNetworkSet", "literal", None),
        at("templates/literal.yaml", "hostNetwork:", "true")
    );
    // A value computed from several inputs points at the template action.
    assert_eq!(
        finding_at(findings, "tagNotSpecified", "computed", None),
        at("templates/computed.yaml", "image:", "printf")
    );
    // A missing field points at the container's name as written, in values or template.
    assert_eq!(
        finding_at(findings, "cpuLimitsMissing", "missing", Some("from-values")),
        at("values.yaml", "containerName:", "from-values")
    );
    assert_eq!(
        finding_at(
            findings,
            "cpuLimitsMissing",
            "missing",
            Some("literal-name")
        ),
        at("templates/missing.yaml", "- name: literal", "literal")
    );
    // Every finding names the chart it came through.
    assert!(
        findings
            .iter()
            .all(|finding| finding["via"] == serde_json::json!(["web/Chart.yaml"]))
    );
}

#[test]
fn template_errors_are_diagnostics_at_the_template_line_and_the_rest_is_linted() {
    let output = run_in(
        &fixtures().join("helm-errors"),
        &["lint", "--format", "json", "broken"],
    );
    assert_eq!(output.status.code(), Some(2), "an input error");
    let report = json(&output);
    let diagnostics = report["diagnostics"].as_array().expect("diagnostics");
    let error = diagnostics
        .iter()
        .find(|diagnostic| diagnostic["code"] == "helm-template-error")
        .expect("the required error");
    assert_eq!(error["file"], "broken/templates/required.yaml");
    assert_eq!(
        (
            error["start"]["line"].as_u64(),
            error["start"]["column"].as_u64()
        ),
        (Some(4), Some(12))
    );
    assert!(error["message"].as_str().unwrap().contains("set name"));
    let schema = diagnostics
        .iter()
        .find(|diagnostic| diagnostic["code"] == "helm-chart-error")
        .expect("the values.schema.json violation");
    assert_eq!(schema["file"], "broken/values.yaml");
    assert_eq!(
        (
            schema["start"]["line"].as_u64(),
            schema["start"]["column"].as_u64()
        ),
        (Some(1), Some(11))
    );
    assert!(schema["message"].as_str().unwrap().contains("/replicas"));
    let findings = report["findings"].as_array().expect("findings");
    assert!(
        findings
            .iter()
            .any(|finding| finding["check"] == "hostNetworkSet"
                && finding["object"]["name"] == "fine")
    );
}

#[test]
fn fix_reports_chart_findings_as_not_fixable_at_the_line_to_change() {
    let output = run_in(
        &fixtures().join("helm-provenance"),
        &["fix", "--dry-run", "web"],
    );
    let report = String::from_utf8_lossy(&output.stderr).into_owned()
        + &String::from_utf8_lossy(&output.stdout);
    let (line, column) = position("values.yaml", "host:", "true");
    let expected = format!("web/values.yaml:{line}:{column}: not fixable [hostNetworkSet]");
    assert!(report.contains(&expected), "{report}");
    assert!(report.contains("fix the chart, not its output"), "{report}");
}

/// A chart's values file, template or helper named alone (as pre-commit passes changed files)
/// is linted through its chart: the same findings as the chart directory, at the same places.
#[test]
fn a_named_values_or_template_file_is_linted_through_its_chart() {
    let findings_of = |path: &str| {
        let output = run_in(
            &fixtures().join("helm-provenance"),
            &["lint", "--format", "json", path],
        );
        let report = json(&output);
        assert_eq!(report["diagnostics"], serde_json::json!([]), "{path}");
        report["findings"].as_array().expect("findings").clone()
    };
    let whole = findings_of("web");
    assert!(!whole.is_empty());
    for named in [
        "web/values.yaml",
        "web/templates/literal.yaml",
        "web/templates/_helpers.tpl",
        "web/charts/sidecar/templates/pod.yaml",
    ] {
        let findings = findings_of(named);
        assert_eq!(findings, whole, "{named}");
        let (line, column) = position("values.yaml", "host:", "true");
        assert_eq!(
            finding_at(&findings, "hostNetworkSet", "direct", None),
            ("values.yaml".to_string(), line, column),
            "{named}"
        );
        let (line, column) = position("templates/literal.yaml", "hostNetwork:", "true");
        assert_eq!(
            finding_at(&findings, "hostNetworkSet", "literal", None),
            ("templates/literal.yaml".to_string(), line, column),
            "{named}"
        );
    }
}

#[test]
fn computed_values_name_the_values_that_fed_them() {
    let output = run_in(
        &fixtures().join("helm-provenance"),
        &["lint", "--format", "json", "web"],
    );
    let report = json(&output);
    let finding = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|finding| {
            finding["check"] == "tagNotSpecified" && finding["object"]["name"] == "computed"
        })
        .expect("the computed image's finding");
    let labels: Vec<(String, u64, u64, bool)> = finding["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|label| {
            (
                label["file"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("web/")
                    .to_string(),
                label["start"]["line"].as_u64().unwrap(),
                label["start"]["column"].as_u64().unwrap(),
                label["primary"].as_bool().unwrap(),
            )
        })
        .collect();
    let at = |file: &str, after: &str, needle: &str, primary: bool| {
        let (line, column) = position(file, after, needle);
        (file.to_string(), line, column, primary)
    };
    // The printf action, then `image.repository` and `image.tag` in values.yaml.
    assert_eq!(
        labels,
        [
            at("templates/computed.yaml", "image:", "printf", true),
            at("values.yaml", "repository:", "nginx", false),
            at("values.yaml", "tag:", "latest", false),
        ]
    );
}
