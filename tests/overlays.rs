//! One base, several overlays: every overlay's rendered object is its own object for counting,
//! score, the summary per namespace, JSON, SARIF, HTML and the baseline; the human-read formats
//! may show a finding the overlays share once, naming every overlay.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::{fixtures, json, run_in, stdout};
use proptest::prelude::*;
use serde_json::Value;

const OVERLAYS: [&str; 3] = ["dev", "staging", "production"];

fn overlays() -> std::path::PathBuf {
    fixtures().join("overlays")
}

/// Each workload's verdict: `namespace/name` → (pod and container tallies, sorted findings).
fn verdicts(report: &Value) -> BTreeMap<String, (Value, Value, Vec<String>)> {
    let mut verdicts = BTreeMap::new();
    for workload in report["summary"]["workloads"]
        .as_array()
        .expect("workloads")
    {
        let object = &workload["object"];
        let key = format!("{}/{}", object["namespace"], object["name"]);
        verdicts.insert(
            key,
            (
                workload["pod"].clone(),
                workload["container"].clone(),
                Vec::new(),
            ),
        );
    }
    for finding in report["findings"].as_array().expect("findings") {
        let object = &finding["object"];
        let key = format!("{}/{}", object["namespace"], object["name"]);
        let entry = verdicts
            .get_mut(&key)
            .expect("a finding's object is a workload");
        entry.2.push(format!(
            "{} {}:{}",
            finding["check"], finding["file"], finding["start"]["line"]
        ));
    }
    for (_, _, findings) in verdicts.values_mut() {
        findings.sort();
    }
    verdicts
}

fn lint_json(dir: &Path, paths: &[&str]) -> Value {
    json(&run_in(
        dir,
        &[&["lint", "--format", "json"], paths].concat(),
    ))
}

/// (passed, warning, danger) of a tally.
fn counts(tally: &Value) -> (u64, u64, u64) {
    let number = |key: &str| tally[key].as_u64().expect("a count");
    (number("passed"), number("warning"), number("danger"))
}

/// Verdicts of every overlay linted alone, and of all of them linted together.
fn alone_and_together(dir: &Path, overlays: &[&str]) -> (Vec<Value>, Value) {
    let alone = overlays.iter().map(|o| lint_json(dir, &[o])).collect();
    (alone, lint_json(dir, overlays))
}

fn assert_same_verdicts(alone: &[Value], together: &Value) {
    let mut expected = BTreeMap::new();
    for report in alone {
        expected.extend(verdicts(report));
    }
    assert_eq!(verdicts(together), expected);
    let sum = |key: &str| -> u64 {
        alone
            .iter()
            .map(|report| report["summary"][key].as_u64().expect("a count"))
            .sum()
    };
    for key in ["passed", "warning", "danger"] {
        assert_eq!(together["summary"][key].as_u64(), Some(sum(key)), "{key}");
    }
}

#[test]
fn every_overlay_counts_alone_and_together() {
    let (alone, together) = alone_and_together(&overlays(), &OVERLAYS);
    assert_same_verdicts(&alone, &together);
    // The honest whole: 43 passed, 4 warnings, 1 danger, floor(100·86/92).
    assert_eq!(together["summary"]["score"], 93);
    let namespaces: BTreeMap<String, (u64, u64, u64)> = together["summary"]["namespaces"]
        .as_array()
        .expect("namespaces")
        .iter()
        .map(|n| (n["namespace"].as_str().unwrap().to_owned(), counts(n)))
        .collect();
    for (name, report) in OVERLAYS.iter().zip(&alone) {
        assert_eq!(namespaces[*name], counts(&report["summary"]), "{name}");
    }
    assert_eq!(namespaces["staging"], (13, 2, 1));
    assert_eq!(namespaces["production"], (16, 0, 0));
    // Each overlay alone: dev 93, staging 86, production 100; together 93, not more.
    let scores: Vec<u64> = alone
        .iter()
        .map(|r| r["summary"]["score"].as_u64().unwrap())
        .collect();
    assert_eq!(scores, [93, 86, 100]);
}

#[test]
fn shared_findings_are_one_line_naming_every_overlay() {
    let output = run_in(&overlays(), &["lint", "--format", "line", "."]);
    let text = stdout(&output);
    let liveness: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("[livenessProbeMissing]"))
        .collect();
    assert_eq!(
        liveness,
        [
            "base/deployment.yaml:11:15: warning: The container has no usable liveness probe \
          (container \"backend\" of Deployment dev/backend via dev/kustomization.yaml; \
          container \"backend\" of Deployment staging/backend via staging/kustomization.yaml) \
          [livenessProbeMissing]"
        ]
    );
    let sarif = json(&run_in(&overlays(), &["lint", "--format", "sarif", "."]));
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "livenessProbeMissing")
        .expect("a result");
    let resources: Vec<&str> = result["locations"][0]["logicalLocations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "resource")
        .map(|l| l["fullyQualifiedName"].as_str().unwrap())
        .collect();
    assert_eq!(
        resources,
        ["Deployment/dev/backend", "Deployment/staging/backend"]
    );
}

#[test]
fn the_html_table_names_each_row_s_overlay() {
    let output = run_in(&overlays(), &["lint", "--format", "html", "."]);
    let page = stdout(&output);
    let start = page.find("id=\"report-data\">").unwrap() + "id=\"report-data\">".len();
    let end = start + page[start..].find("</script>").unwrap();
    let data: Value = serde_json::from_str(&page[start..end]).unwrap();
    let rows: Vec<(String, String, u64)> = data["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            let failed = counts(&w["pod"]).1 + counts(&w["pod"]).2;
            let failed = failed + counts(&w["container"]).1 + counts(&w["container"]).2;
            (
                w["namespace"].as_str().unwrap().to_owned(),
                w["overlay"].as_str().unwrap().to_owned(),
                failed,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("dev".into(), "dev/kustomization.yaml".into(), 2),
            (
                "production".into(),
                "production/kustomization.yaml".into(),
                0
            ),
            ("staging".into(), "staging/kustomization.yaml".into(), 3),
        ]
    );
}

#[test]
fn a_baseline_of_the_whole_matches_every_overlay() {
    let temp = tempfile::tempdir().unwrap();
    let recorded = run_in(&overlays(), &["baseline", "."]);
    assert_eq!(recorded.status.code(), Some(0));
    let baseline = temp.path().join("baseline.json");
    fs::write(&baseline, &recorded.stdout).unwrap();
    let entries = json(&recorded)["findings"].as_array().unwrap().len();
    assert_eq!(entries, 5, "every overlay's findings are recorded");
    let baseline = baseline.to_string_lossy().into_owned();
    let mut seen = 0;
    for overlay in OVERLAYS {
        let report = lint_json(&overlays(), &["--baseline", &baseline, overlay]);
        assert_eq!(report["findings"], serde_json::json!([]), "{overlay}");
        let summary = &report["baseline"];
        assert_eq!(summary["fixed"], 0, "{overlay}");
        let baselined = summary["baselined"].as_u64().unwrap();
        assert_eq!(
            baselined + summary["unseen"].as_u64().unwrap(),
            5,
            "{overlay}"
        );
        seen += baselined;
    }
    assert_eq!(seen, 5);
}

/// A base and overlays with generated namespaces, name prefixes and patches.
fn overlay_set() -> impl Strategy<
    Value = Vec<(
        Option<&'static str>,
        Option<&'static str>,
        Vec<&'static str>,
    )>,
> {
    let patch = prop::sample::subsequence(
        vec![
            "hostNetwork: true",
            "hostPID: true",
            "serviceAccountName: x",
        ],
        0..3,
    );
    let overlay = (
        prop::option::of(prop::sample::select(vec!["dev", "prod", "qa"])),
        prop::option::of(prop::sample::select(vec!["a-", "b-"])),
        patch,
    );
    prop::collection::vec(overlay, 1..4)
}

fn write_overlays(root: &Path, set: &[(Option<&str>, Option<&str>, Vec<&str>)]) -> Vec<String> {
    let write = |path: &str, text: &str| {
        let full = root.join(path);
        fs::create_dir_all(full.parent().unwrap()).unwrap();
        fs::write(full, text).unwrap();
    };
    write("base/kustomization.yaml", "resources:\n- deployment.yaml\n");
    write(
        "base/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx\n",
    );
    let mut names = Vec::new();
    for (index, (namespace, prefix, patch)) in set.iter().enumerate() {
        let name = format!("o{index}");
        let mut text = String::from("resources:\n- ../base\n");
        if let Some(namespace) = namespace {
            text.push_str(&format!("namespace: {namespace}\n"));
        }
        if let Some(prefix) = prefix {
            text.push_str(&format!("namePrefix: {prefix}\n"));
        }
        if !patch.is_empty() {
            text.push_str("patches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      template:\n        spec:\n");
            for line in patch {
                text.push_str(&format!("          {line}\n"));
            }
        }
        write(&format!("{name}/kustomization.yaml"), &text);
        names.push(name);
    }
    names
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Linting a set of overlays together gives the same per-object verdicts as linting each
    /// alone, and the totals add up (two overlays that render the very same object, same
    /// namespace and name, are two objects too).
    #[test]
    fn overlays_together_give_the_verdicts_of_each_alone(set in overlay_set()) {
        let temp = tempfile::tempdir().unwrap();
        let names = write_overlays(temp.path(), &set);
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let (alone, together) = alone_and_together(temp.path(), &names);
        let distinct = {
            let mut keys: Vec<String> = alone.iter().flat_map(|r| verdicts(r).into_keys()).collect();
            keys.sort();
            keys.dedup();
            keys.len()
        };
        let sum = |key: &str| -> u64 {
            alone.iter().map(|r| r["summary"][key].as_u64().unwrap()).sum()
        };
        for key in ["passed", "warning", "danger"] {
            prop_assert_eq!(together["summary"][key].as_u64(), Some(sum(key)));
        }
        if distinct == names.len() {
            assert_same_verdicts(&alone, &together);
        }
    }
}
