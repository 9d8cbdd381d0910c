//! Every check on its fixtures in `tests/fixtures/checks/<id>/`: each `# expect: <id>` marker of
//! a `fail_*` file is hit at the value's column, nothing unmarked of that check fires, and the
//! `pass_*` files produce no finding of that check.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

mod common;

use std::fs;

use common::{fixtures, found, json, markers, run_in};

fn check_ids() -> Vec<String> {
    let output = run_in(&fixtures(), &["checks"]);
    common::stdout(&output)
        .lines()
        .skip(1)
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .collect()
}

#[test]
fn every_check_has_failing_and_passing_fixtures() {
    for id in check_ids() {
        let dir = fixtures().join("checks").join(&id);
        let names: Vec<String> = fs::read_dir(&dir)
            .unwrap_or_else(|_| panic!("{} exists", dir.display()))
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .collect();
        assert!(
            names.iter().any(|n| n.starts_with("fail_")),
            "{id} has no fail_ fixture"
        );
        assert!(
            names.iter().any(|n| n.starts_with("pass_")),
            "{id} has no pass_ fixture"
        );
    }
}

#[test]
fn fixtures_fire_exactly_where_their_markers_say() {
    let mut failures = Vec::new();
    for id in check_ids() {
        let dir = fixtures().join("checks").join(&id);
        let report = json(&run_in(&dir, &["lint", "--format", "json", "."]));
        let mut names: Vec<String> = fs::read_dir(&dir)
            .expect("fixture dir")
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| name.ends_with(".yaml"))
            .collect();
        names.sort();
        for name in names {
            let text = fs::read_to_string(dir.join(&name)).expect("fixture");
            let expected: Vec<_> = markers(&text)
                .into_iter()
                .filter(|m| m.check == id)
                .collect();
            if name.starts_with("fail_") {
                assert!(!expected.is_empty(), "{id}/{name} has no marker");
            }
            let actual = found(&report, &name, Some(&id));
            if actual != expected {
                failures.push(format!(
                    "{id}/{name}:\n  expected {expected:?}\n  found    {actual:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn all_seventeen_checks_are_listed() {
    assert_eq!(check_ids().len(), 17);
}

#[test]
fn line_output_of_every_fixture_snapshot() {
    let output = run_in(&fixtures().join("checks"), &["lint", "."]);
    insta::assert_snapshot!(common::stdout(&output));
}

#[test]
fn a_missing_request_with_a_limit_says_the_request_defaults_to_the_limit() {
    let manifest = "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n    - name: app\n      resources:\n        limits: {cpu: 200m}\n";
    let temp = tempfile::tempdir().expect("temp dir");
    fs::write(temp.path().join("pod.yaml"), manifest).expect("write");
    let report = json(&run_in(
        temp.path(),
        &["lint", "--format", "json", "pod.yaml"],
    ));
    let findings = report["findings"].as_array().expect("findings");
    let help_of = |check: &str| {
        findings
            .iter()
            .find(|f| f["check"] == check)
            .and_then(|f| f["help"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(help_of("cpuRequestsMissing").contains("default the request to the limit"));
    assert!(!help_of("memoryRequestsMissing").contains("default the request to the limit"));
    assert_eq!(
        findings
            .iter()
            .find(|f| f["check"] == "cpuRequestsMissing")
            .map(|f| f["start"]["line"].clone()),
        Some(5.into())
    );
}

#[test]
fn explain_accepts_polaris_ids() {
    let output = run_in(&fixtures(), &["explain", "dangerousCapabilities"]);
    assert!(common::stdout(&output).starts_with("capabilitiesAdded — "));
    let output = run_in(&fixtures(), &["explain", "notReadOnlyRootFilesystem"]);
    assert!(common::stdout(&output).starts_with("notReadOnlyRootFileSystem — "));
}
