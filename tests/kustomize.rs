//! Kustomize overlays rendered by kubepatrol: findings point at the file and line that wrote the
//! value (base, patch file, inline patch, `images:` entry) and name the overlays.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

mod common;

use insta::assert_snapshot;

fn lint(args: &[&str]) -> std::process::Output {
    common::run_in(&common::fixtures(), args)
}

/// (check, file, line) of every finding, with its overlays.
fn placed(report: &serde_json::Value) -> Vec<(String, String, u64, Vec<String>)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let via = f["via"]
                .as_array()
                .map(|v| {
                    v.iter()
                        .filter_map(|p| p.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            (
                f["check"].as_str().unwrap_or_default().to_owned(),
                f["file"].as_str().unwrap_or_default().to_owned(),
                f["start"]["line"].as_u64().unwrap_or_default(),
                via,
            )
        })
        .collect()
}

#[test]
fn overlays_are_rendered_and_findings_point_where_values_were_written() {
    let output = lint(&["lint", "kustomize"]);
    assert_eq!(output.status.code(), Some(1));
    assert_snapshot!(common::stdout(&output));
}

#[test]
fn patched_values_point_at_the_patch_and_inherited_ones_at_the_base() {
    let report = common::json(&lint(&["lint", "--format", "json", "kustomize"]));
    let findings = placed(&report);
    let has = |check: &str, file: &str, line: u64| {
        findings
            .iter()
            .any(|(c, f, l, _)| c == check && f == file && *l == line)
    };
    // A strategic merge patch file, an inline JSON 6902 literal block, the images entry.
    assert!(has(
        "hostNetworkSet",
        "kustomize/overlays/prod/host-network.yaml",
        8
    ));
    assert!(has(
        "runAsPrivileged",
        "kustomize/overlays/prod/kustomization.yaml",
        29
    ));
    assert!(has(
        "tagNotSpecified",
        "kustomize/overlays/prod/kustomization.yaml",
        14
    ));
    // An inline strategic merge patch, a JSON 6902 patch file, a component's inline patch.
    assert!(has(
        "hostPIDSet",
        "kustomize/overlays/staging/kustomization.yaml",
        14
    ));
    assert!(has(
        "capabilitiesAdded",
        "kustomize/overlays/staging/add-capability.yaml",
        7
    ));
    assert!(has(
        "runAsRootAllowed",
        "kustomize/components/debug/kustomization.yaml",
        16
    ));
    // Inherited: the base's untagged image, once per overlay that keeps it, each its own
    // finding (the line format shows them as one line naming both).
    let untagged: Vec<_> = findings
        .iter()
        .filter(|(c, f, _, _)| c == "tagNotSpecified" && f == "kustomize/base/deployment.yaml")
        .collect();
    assert_eq!(untagged.len(), 2, "{untagged:?}");
    assert!(untagged.iter().all(|(_, _, line, _)| *line == 15));
    let overlays: Vec<&[String]> = untagged
        .iter()
        .map(|(_, _, _, via)| via.as_slice())
        .collect();
    assert_eq!(
        overlays,
        [
            ["kustomize/overlays/dev/kustomization.yaml".to_owned()],
            ["kustomize/overlays/staging/kustomization.yaml".to_owned()]
        ]
    );
    // Consumed files are never linted on their own: every finding came through an overlay.
    assert!(findings.iter().all(|(_, _, _, via)| !via.is_empty()));
}

#[test]
fn no_kustomize_lints_each_file_on_its_own() {
    let report = common::json(&lint(&[
        "lint",
        "--format",
        "json",
        "--no-kustomize",
        "kustomize",
    ]));
    let findings = placed(&report);
    assert!(findings.iter().all(|(_, _, _, via)| via.is_empty()));
    assert!(
        findings
            .iter()
            .any(|(c, f, _, _)| c == "tagNotSpecified" && f == "kustomize/base/deployment.yaml")
    );
}

#[test]
fn every_format_names_the_overlay() {
    let overlay = "via kustomize-errors/unmatched/kustomization.yaml";
    for format in ["line", "human", "github", "sarif"] {
        let output = lint(&[
            "lint",
            "--format",
            format,
            "--color",
            "never",
            "kustomize-errors/unmatched",
        ]);
        let text = common::stdout(&output);
        assert!(text.contains(overlay), "{format}: {text}");
    }
}

#[test]
fn a_consumed_file_of_an_uninspected_kind_is_patched_whole() {
    // The loader keeps only the identity of a ConfigMap; the kustomization that consumes it
    // gets it whole, or the patch's `test` of its data would fail.
    let output = lint(&["lint", "kustomize-consumed"]);
    assert_eq!(common::stdout(&output), "");
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn broken_kustomizations_are_diagnostics_with_positions() {
    let output = lint(&["lint", "kustomize-errors"]);
    assert_eq!(output.status.code(), Some(2));
    assert_snapshot!(common::stdout(&output));
}

#[test]
fn an_annotation_added_by_one_overlay_silences_only_that_overlay() {
    let temp = tempfile::tempdir().expect("temp dir");
    let root = temp.path();
    let write = |path: &str, text: &str| {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
    };
    write("base/kustomization.yaml", "resources:\n- deployment.yaml\n");
    write(
        "base/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx\n",
    );
    write(
        "quiet/kustomization.yaml",
        "resources:\n- ../base\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n      annotations:\n        kubepatrol.io/ignore: tagNotSpecified\n",
    );
    write(
        "loud/kustomization.yaml",
        "resources:\n- ../base\nnamespace: loud\n",
    );
    let report = common::json(&common::run_in(root, &["lint", "--format", "json", "."]));
    let tags: Vec<_> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["check"] == "tagNotSpecified")
        .collect();
    assert_eq!(tags.len(), 1, "{tags:#?}");
    assert_eq!(
        tags[0]["via"],
        serde_json::json!(["loud/kustomization.yaml"])
    );
    let silenced = report["suppressed"]
        .as_array()
        .expect("suppressed")
        .iter()
        .filter(|s| s["check"] == "tagNotSpecified" || s["finding"]["check"] == "tagNotSpecified")
        .count();
    assert_eq!(silenced, 1);
}

#[test]
fn files_a_kustomization_does_not_reference_are_named_not_linted() {
    let dir = common::fixtures().join("kustomize-unreferenced");
    let report = common::json(&common::run_in(&dir, &["lint", "--format", "json", "."]));
    let files: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["file"].as_str().unwrap_or_default())
        .collect();
    assert!(files.contains(&"config/default/manager_image_patch.yaml"));
    assert!(
        files.contains(&"standalone/pod.yaml"),
        "no kustomization beside it"
    );
    assert!(
        files
            .iter()
            .all(|file| !file.contains("proxy") && !file.contains("metrics")),
        "{files:?}"
    );
    let notes: Vec<&serde_json::Value> = report["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter(|d| d["code"] == "not-referenced")
        .collect();
    assert_eq!(notes.len(), 1, "one note per directory: {notes:#?}");
    assert_eq!(notes[0]["level"], "note");
    assert_eq!(notes[0]["file"], "config/default/kustomization.yaml");
    let message = notes[0]["message"].as_str().expect("message");
    assert!(
        message.ends_with(
            "config/default/manager_auth_proxy_patch.yaml, config/default/manager_prometheus_metrics_patch.yaml"
        ),
        "{message}"
    );
    // Named alone (as pre-commit passes it), the unreferenced patch is still not linted.
    let alone = common::run_in(
        &dir,
        &["lint", "config/default/manager_auth_proxy_patch.yaml"],
    );
    assert_eq!(alone.status.code(), Some(0));
    assert!(common::stdout(&alone).contains("[not-referenced]"));
}

#[test]
fn a_named_patch_or_base_file_is_linted_through_the_overlays_that_render_it() {
    let dir = common::fixtures().join("overlays");
    let through = |args: &[&str]| {
        let mut lines: Vec<String> = common::stdout(&common::run_in(
            &dir,
            &[&["lint", "--format", "line"], args].concat(),
        ))
        .lines()
        .map(str::to_owned)
        .collect();
        lines.sort();
        lines
    };
    assert_eq!(
        through(&["production/hardening.yaml"]),
        through(&["production"])
    );
    // The base file: every overlay renders it.
    assert_eq!(
        through(&["base/deployment.yaml"]),
        through(&["dev", "staging", "production"])
    );
    // From a subdirectory, with paths as the user writes them.
    let from_below = common::stdout(&common::run_in(
        &dir.join("production"),
        &["lint", "--format", "line", "hardening.yaml"],
    ));
    assert_eq!(from_below, "", "production passes every check");
    let staging = common::stdout(&common::run_in(
        &dir.join("staging"),
        &["lint", "--format", "line", "kustomization.yaml"],
    ));
    assert!(
        staging.contains("kustomization.yaml:13:24: danger:"),
        "{staging}"
    );
}
