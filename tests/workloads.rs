//! The workload kinds of docs/config.md with the real binary, on `tests/fixtures/workloads/`:
//! each family of the built-in table and the shape rule has `fail_*` and `pass_*` files, every
//! `# expect: <id>` marker (of any check) is hit at its line and column and nothing unmarked
//! fires; `tests/fixtures/workloads-override/` does the same under a `workloads:` configuration
//! that replaces, adds and turns off kinds.

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

use common::{fixtures, found, json, markers, run_in};

/// The families of the table (docs/config.md, "Workload kinds") and the shape rule.
const FAMILIES: &[&str] = &[
    "openshift",
    "knative",
    "keda",
    "kruise",
    "argo_rollouts",
    "argo_workflows",
    "shape",
];

fn yaml_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("fixture dir")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".yaml") && !name.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// Lint `dir` and compare every file's findings with its markers; the JSON report.
fn assert_markers_hit(dir: &Path) -> serde_json::Value {
    let report = json(&run_in(dir, &["lint", "--format", "json", "."]));
    let mut failures = Vec::new();
    for name in yaml_files(dir) {
        let expected = markers(&fs::read_to_string(dir.join(&name)).expect("fixture"));
        assert_eq!(
            name.starts_with("fail_"),
            !expected.is_empty(),
            "{name}: fail_ files have markers, pass_ files none"
        );
        let actual = found(&report, &name, None);
        if actual != expected {
            failures.push(format!(
                "{name}:\n  expected {expected:?}\n  found    {actual:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    report
}

fn shape_notes(report: &serde_json::Value) -> Vec<(String, u64)> {
    report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["code"] == "workload-by-shape")
        .map(|d| {
            (
                d["file"].as_str().unwrap_or_default().to_owned(),
                d["start"]["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn every_family_has_failing_and_passing_fixtures() {
    let names = yaml_files(&fixtures().join("workloads"));
    for family in FAMILIES {
        for prefix in ["fail_", "pass_"] {
            let file = format!("{prefix}{family}.yaml");
            assert!(names.contains(&file), "{file} is missing");
        }
    }
}

#[test]
fn table_kinds_fire_exactly_where_their_markers_say() {
    let report = assert_markers_hit(&fixtures().join("workloads"));
    // One note per object recognised by its shape, at its `kind`; none for the table's kinds
    // nor for the WebApp whose containers have no image.
    assert_eq!(
        shape_notes(&report),
        [
            ("fail_shape.yaml".to_owned(), 4),
            ("pass_shape.yaml".to_owned(), 4)
        ]
    );
}

#[test]
fn configuration_replaces_adds_and_turns_off_kinds() {
    let report = assert_markers_hit(&fixtures().join("workloads-override"));
    assert!(shape_notes(&report).is_empty());
    let suppressed: Vec<_> = report["suppressed"]
        .as_array()
        .expect("suppressed")
        .iter()
        .map(|s| (s["object"]["kind"].as_str(), s["check"].as_str()))
        .collect();
    assert_eq!(
        suppressed,
        [(Some("DeploymentConfig"), Some("hostNetworkSet"))]
    );
}

#[test]
fn the_summary_counts_custom_workloads_by_kind() {
    let output = run_in(
        &fixtures().join("workloads"),
        &["lint", "--format", "summary", "."],
    );
    let summary = common::stdout(&output);
    for workload in [
        "DeploymentConfig frontend",
        "Service hello",
        "Revision hello-00001",
        "ScaledJob queue-consumer",
        "BroadcastJob image-warmup",
        "Rollout checkout",
        "CronWorkflow nightly",
        "WebApp storefront",
    ] {
        assert!(summary.contains(workload), "{workload}:\n{summary}");
    }
    // A Rollout with a `workloadRef` has no pod spec: it is an object, not a workload.
    assert!(!summary.contains("Rollout payments"), "{summary}");
}
