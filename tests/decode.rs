//! The cases of reading a manifest the way kubectl decodes it, on `tests/fixtures/decode`: each
//! `# expect: <id>` marker is a finding on its line (columns are left to the other fixture tests:
//! several markers sit on flow mappings), no other finding of a marked check appears, and the
//! input errors are the ones kubectl's refusals call for.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

mod common;

use std::collections::BTreeSet;

use common::{fixtures, found, json, markers, run_in};

fn lint_decode_fixtures() -> (Option<i32>, serde_json::Value) {
    let output = run_in(
        &fixtures().join("decode"),
        &["lint", "--format", "json", "."],
    );
    (output.status.code(), json(&output))
}

#[test]
fn markers_are_hit_on_their_lines_and_marked_checks_fire_nowhere_else() {
    let (_, report) = lint_decode_fixtures();
    let dir = fixtures().join("decode");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("decode fixtures")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .into_string()
                .expect("name")
        })
        .collect();
    names.sort();
    for name in names {
        let text = std::fs::read_to_string(dir.join(&name)).expect("fixture");
        let expected = markers(&text);
        let checks: BTreeSet<&str> = expected.iter().map(|m| m.check.as_str()).collect();
        let on_lines = |list: Vec<common::Expected>| -> Vec<(String, usize)> {
            list.into_iter().map(|m| (m.check, m.line)).collect()
        };
        let found: Vec<_> = found(&report, &name, None)
            .into_iter()
            .filter(|f| checks.contains(f.check.as_str()))
            .collect();
        assert_eq!(on_lines(found), on_lines(expected), "{name}");
    }
}

#[test]
fn refusals_of_kubectl_are_input_errors_at_their_place() {
    let (code, report) = lint_decode_fixtures();
    assert_eq!(code, Some(2));
    let mut diagnostics: Vec<(String, String, u64)> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["file"].as_str().unwrap_or_default().to_owned(),
                d["code"].as_str().unwrap_or_default().to_owned(),
                d["start"]["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    diagnostics.sort();
    let expected = [
        ("annotations.yaml", "invalid-field-type", 7),
        ("annotations.yaml", "invalid-field-type", 8),
        ("bad-merges.yaml", "invalid-merge", 7),
        ("typed-lists.yaml", "invalid-list-item", 16),
        ("unknown-alias.yaml", "unknown-anchor", 6),
        ("wrong-type-hides-nothing.yaml", "invalid-field-type", 7),
        ("wrong-type-hides-nothing.yaml", "invalid-field-type", 14),
        ("yaml11-keys.yaml", "duplicate-key", 8),
        ("yaml11-keys.yaml", "missing-api-version", 27),
    ];
    let expected: Vec<(String, String, u64)> = expected
        .iter()
        .map(|(file, code, line)| ((*file).to_owned(), (*code).to_owned(), *line))
        .collect();
    assert_eq!(diagnostics, expected);
}

#[test]
fn a_check_whose_field_is_wrong_typed_is_listed_as_skipped_for_its_object() {
    let (_, report) = lint_decode_fixtures();
    let workload = report["summary"]["workloads"]
        .as_array()
        .expect("workloads")
        .iter()
        .find(|w| w["object"]["name"] == "one-bad-field")
        .expect("the object is still reported");
    let skipped: Vec<&str> = workload["skipped"]
        .as_array()
        .expect("skipped checks")
        .iter()
        .map(|s| s["check"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(skipped, ["hostIPCSet", "runAsRootAllowed"]);
    assert_eq!(
        workload["skipped"][0]["because"]["code"],
        "invalid-field-type"
    );
    assert_eq!(workload["skipped"][0]["because"]["start"]["line"], 7);
}

#[test]
fn a_document_after_an_explicit_end_is_not_linted() {
    let (_, report) = lint_decode_fixtures();
    let names: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["object"]["name"].as_str())
        .collect();
    assert!(names.contains(&"after-explicit-end"));
    assert!(!names.contains(&"never-sent") && !names.contains(&"no-api-version"));
}
