//! Whitelisting: annotations, `.kubepatrol.yaml` and the baseline, on `tests/fixtures/exempt`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

mod common;

use std::fs;
use std::path::Path;

use common::{fixtures, json, run_in, stdout};

fn exempt(dir: &str) -> std::path::PathBuf {
    fixtures().join("exempt").join(dir)
}

/// (check, container) of every entry of a JSON report list.
fn checks(report: &serde_json::Value, list: &str, object: &str) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = report[list]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|f| f["object"]["name"] == object)
        .map(|f| {
            (
                f["check"].as_str().unwrap_or_default().to_owned(),
                f["container"]["name"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    found.sort();
    found
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[test]
fn a_container_annotation_silences_two_checks_of_one_container_and_the_rest_still_fire() {
    let output = run_in(&exempt("annotations"), &["lint", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report = json(&output);
    assert_eq!(
        checks(&report, "suppressed", "shop"),
        pairs(&[("cpuLimitsMissing", "web"), ("memoryLimitsMissing", "web")])
    );
    assert_eq!(
        checks(&report, "findings", "shop"),
        pairs(&[
            ("cpuLimitsMissing", "proxy"),
            ("memoryLimitsMissing", "proxy")
        ])
    );
    let first = &report["suppressed"][0]["suppression"];
    assert_eq!(first["kind"], "annotation");
    assert_eq!(first["annotation"], "kubepatrol.io/ignore.web");
    assert_eq!(
        first["reason"],
        "limits are set by the namespace's LimitRange"
    );
    assert_eq!(first["start"]["line"], 7);
    assert!(checks(&report, "findings", "agent").is_empty(), "`all`");
    assert_eq!(checks(&report, "suppressed", "agent").len(), 11);
}

#[test]
fn annotations_line_output_with_suppressed_and_unused_ignores() {
    let output = run_in(
        &exempt("annotations"),
        &["lint", "--show-suppressed", "--report-unused-ignores"],
    );
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn suppressed_findings_are_hidden_from_the_line_output_by_default() {
    let text = stdout(&run_in(&exempt("annotations"), &["lint"]));
    assert!(!text.contains("suppressed"), "{text}");
    assert!(!text.contains("unused-ignore"), "{text}");
    assert!(text.contains("[unknown-check]"), "{text}");
}

#[test]
fn polaris_annotations_are_honoured() {
    let report = json(&run_in(&exempt("polaris"), &["lint", "--format", "json"]));
    assert_eq!(
        checks(&report, "suppressed", "node-agent"),
        pairs(&[("hostPIDSet", ""), ("notReadOnlyRootFileSystem", "agent")])
    );
    assert_eq!(
        checks(&report, "findings", "node-agent"),
        pairs(&[("hostIPCSet", "")]),
        "`false` does not exempt"
    );
    assert!(checks(&report, "findings", "legacy").is_empty());
}

#[test]
fn the_config_file_regrades_exempts_and_changes_what_checks_see() {
    let output = run_in(
        &exempt("config").join("manifests"),
        &["lint", "--format", "json", "--report-unused-ignores", "."],
    );
    let report = json(&output);
    // dangerousCapabilities replaces the set: NET_RAW is reported, SYS_ADMIN no longer is.
    let capability = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["check"] == "capabilitiesAdded")
        .expect("capabilitiesAdded");
    assert_eq!(capability["labels"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        capability["labels"][0]["text"],
        "`NET_RAW` is a dangerous capability"
    );
    // checks: re-grade and ignore.
    let tag = &report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["check"] == "tagNotSpecified")
        .expect("tagNotSpecified")["severity"];
    assert_eq!(tag, "warning");
    assert!(
        !report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["check"] == "notReadOnlyRootFileSystem")
    );
    // exemptions by namespace + kind, by file, by name + container.
    assert_eq!(checks(&report, "findings", "cni").len(), 3);
    assert_eq!(
        checks(&report, "findings", "logs"),
        pairs(&[("runAsRootAllowed", "exporter")])
    );
    assert!(checks(&report, "findings", "operator").is_empty());
    // workloads: the Knative Service is inspected.
    assert_eq!(
        checks(&report, "findings", "hello"),
        pairs(&[("hostPIDSet", "")])
    );
    // failOn: danger from the config; the unused exemption is a warning at its line.
    assert_eq!(output.status.code(), Some(1));
    let unused = &report["diagnostics"][0];
    assert_eq!(unused["code"], "unused-ignore");
    assert_eq!(unused["file"], "../.kubepatrol.yaml");
    assert_eq!(unused["start"]["line"], 16);
}

#[test]
fn config_line_output_with_suppressed() {
    let output = run_in(&exempt("config"), &["lint", "--show-suppressed"]);
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn config_errors_have_positions_and_stop_the_run() {
    let output = run_in(&exempt("config-errors"), &["lint"]);
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn an_explicit_config_wins_and_a_missing_one_is_an_error() {
    let explicit = exempt("config").join(".kubepatrol.yaml");
    let output = run_in(
        &exempt("config-errors"),
        &[
            "lint",
            "--format",
            "json",
            "--config",
            explicit.to_str().expect("utf-8"),
            "app.yaml",
        ],
    );
    // Only warnings remain in app.yaml: exit 0 because the explicit config says `failOn: danger`.
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let without = run_in(
        &exempt("config-errors"),
        &[
            "lint",
            "--config",
            explicit.to_str().expect("utf-8"),
            "--fail-on",
            "warning",
            "app.yaml",
        ],
    );
    assert_eq!(
        without.status.code(),
        Some(1),
        "the flag wins over the config"
    );
    let output = run_in(&exempt("config"), &["lint", "--config", "missing.yaml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).contains("missing.yaml: error: cannot read the configuration"));
}

const APP: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  template:
    spec:
      securityContext:
        runAsNonRoot: true
      containers:
      - name: web
        image: shop:1.0
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities:
            add: [SYS_PTRACE]
        resources:
          requests: {cpu: 10m, memory: 16Mi}
          limits: {cpu: 10m, memory: 16Mi}
        readinessProbe: {exec: {command: [true]}}
        livenessProbe: {exec: {command: [true]}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
";

fn lint_with_baseline(dir: &Path) -> serde_json::Value {
    json(&run_in(
        dir,
        &[
            "lint",
            "--format",
            "json",
            "--baseline",
            "baseline.json",
            "app.yaml",
        ],
    ))
}

#[test]
fn the_baseline_survives_unrelated_edits_and_stops_matching_when_the_field_changes() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("app.yaml"), APP).expect("write");
    let recorded = run_in(dir.path(), &["baseline", "app.yaml"]);
    assert_eq!(recorded.status.code(), Some(0));
    fs::write(dir.path().join("baseline.json"), &recorded.stdout).expect("write");
    let entries = json(&recorded);
    assert_eq!(entries["findings"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        entries["findings"][0]["field"],
        "spec.template.spec.containers[web].securityContext.capabilities.add[SYS_PTRACE]"
    );

    let edited = format!(
        "# owned by the shop team\n\n{}",
        APP.replace("name: settings", "name: shop-settings")
    );
    fs::write(dir.path().join("app.yaml"), edited).expect("write");
    let report = lint_with_baseline(dir.path());
    assert_eq!(report["findings"].as_array().map(Vec::len), Some(0));
    assert_eq!(report["baseline"]["baselined"], 1);
    assert_eq!(report["baseline"]["fixed"], 0);
    assert_eq!(report["suppressed"][0]["suppression"]["kind"], "baseline");

    fs::write(
        dir.path().join("app.yaml"),
        APP.replace("SYS_PTRACE", "SYS_MODULE"),
    )
    .expect("write");
    let report = lint_with_baseline(dir.path());
    assert_eq!(report["findings"].as_array().map(Vec::len), Some(1));
    assert_eq!(report["baseline"]["baselined"], 0);
    assert_eq!(report["baseline"]["fixed"], 1);
    let line = stdout(&run_in(
        dir.path(),
        &["lint", "--baseline", "baseline.json", "app.yaml"],
    ));
    assert!(
        line.contains("baseline.json: note: 0 finding(s) silenced by the baseline, 1 baselined finding(s) fixed [baseline]"),
        "{line}"
    );
}

#[test]
fn an_invalid_baseline_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("app.yaml"), APP).expect("write");
    fs::write(dir.path().join("baseline.json"), "{\"version\": 1}").expect("write");
    let output = run_in(
        dir.path(),
        &["lint", "--baseline", "baseline.json", "app.yaml"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).contains("[invalid-baseline]"));
}
