//! The foundation pipeline end to end: the real binary on `tests/fixtures/foundation`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

mod common;

use std::fs;
use std::process::{Command, Stdio};

use common::{fixtures, found, json, markers, run_in, stdout};

/// The checks these fixtures mark; the others have fixtures of their own.
const FOUNDATION_CHECKS: [&str; 3] = ["hostNetworkSet", "hostPortSet", "runAsRootAllowed"];

fn foundation() -> std::path::PathBuf {
    fixtures().join("foundation")
}

#[test]
fn every_marker_is_hit_at_its_column_and_nothing_else_fires() {
    let output = run_in(&foundation(), &["lint", "--format", "json", "."]);
    let report = json(&output);
    for name in [
        "yaml11.yaml",
        "anchors.yaml",
        "multi.yaml",
        "mixed/good.yaml",
    ] {
        let text = fs::read_to_string(foundation().join(name)).expect("fixture");
        for check in FOUNDATION_CHECKS {
            let expected: Vec<_> = markers(&text)
                .into_iter()
                .filter(|m| m.check == check)
                .collect();
            assert_eq!(
                found(&report, name, Some(check)),
                expected,
                "{name} {check}"
            );
        }
    }
}

#[test]
fn line_output_snapshot() {
    let output = run_in(&foundation(), &["lint"]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "an input error wins over findings"
    );
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn json_output_snapshot() {
    let output = run_in(&foundation(), &["lint", "--format", "json"]);
    assert_eq!(output.status.code(), Some(2));
    let mut report = json(&output);
    report["tool"]["version"] = "<version>".into();
    insta::assert_json_snapshot!(report);
}

#[test]
fn a_syntax_error_names_the_file_and_line_and_the_good_file_is_still_checked() {
    let output = run_in(&foundation().join("mixed"), &["lint"]);
    assert_eq!(output.status.code(), Some(2));
    let text = stdout(&output);
    assert!(text.contains("broken.yaml:8:"), "{text}");
    assert!(text.contains("[invalid-yaml]"), "{text}");
    assert!(text.contains("good.yaml:6:16: danger: "), "{text}");
}

#[test]
fn the_json_list_is_split_into_objects() {
    let output = run_in(&foundation(), &["lint", "--format", "json", "list.json"]);
    assert_eq!(output.status.code(), Some(1));
    let report = json(&output);
    let checks: Vec<_> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| FOUNDATION_CHECKS.iter().any(|check| f["check"] == *check))
        .map(|f| {
            let start = &f["start"];
            (
                f["check"].as_str().unwrap_or_default().to_owned(),
                start["line"].clone(),
                start["column"].clone(),
            )
        })
        .collect();
    assert_eq!(
        checks,
        [
            ("hostNetworkSet".to_owned(), 10.into(), 24.into()),
            ("hostPortSet".to_owned(), 13.into(), 94.into()),
        ]
    );
    assert_eq!(report["counts"]["objects"], 2);
}

#[test]
fn standard_input_is_read_from_a_redirected_file() {
    let file = fs::File::open(foundation().join("mixed/good.yaml")).expect("fixture");
    let output = Command::new(env!("CARGO_BIN_EXE_kubepatrol"))
        .args(["lint", "-"])
        .stdin(Stdio::from(file))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).starts_with("<stdin>:6:16: danger: "),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_missing_path_is_an_error_not_an_empty_result() {
    let output = run_in(&foundation(), &["lint", "no/such/dir"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stdout(&output).starts_with("no/such/dir: error: cannot read"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn fail_on_sets_the_threshold() {
    let dir = foundation();
    let only_warning = [
        "lint",
        "--fail-on",
        "danger",
        "--format",
        "json",
        "anchors.yaml",
    ];
    assert_eq!(
        run_in(&dir, &only_warning).status.code(),
        Some(1),
        "runAsRootAllowed is danger"
    );
    let never = ["lint", "--fail-on", "never", "anchors.yaml"];
    assert_eq!(run_in(&dir, &never).status.code(), Some(0));
    let clean = ["lint", "workflow.yml"];
    assert_eq!(run_in(&dir, &clean).status.code(), Some(0));
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let dir = foundation();
    let one = run_in(&dir, &["lint", "--jobs", "1", "--format", "json"]);
    let two = run_in(&dir, &["lint", "--jobs", "2", "--format", "json"]);
    assert_eq!(one.stdout, two.stdout);
}

#[test]
fn output_goes_to_a_file() {
    let temp = tempfile::tempdir().expect("temp dir");
    let target = temp.path().join("report.txt");
    let output = run_in(
        &foundation(),
        &[
            "lint",
            "--output",
            target.to_str().expect("utf-8"),
            "anchors.yaml",
        ],
    );
    assert!(output.stdout.is_empty());
    let written = fs::read_to_string(&target).expect("report written");
    assert!(written.contains("anchors.yaml:17:24: danger:"), "{written}");
}

/// A throw-away tree: ignore files, hidden directories, odd extensions.
fn ignore_tree() -> tempfile::TempDir {
    let temp = tempfile::tempdir().expect("temp dir");
    let bad = "apiVersion: v1\nkind: Pod\nspec:\n  hostNetwork: true\n  securityContext: {runAsUser: 5}\n  containers: [{name: a}]\n";
    for path in [
        "kept.yaml",
        "git-ignored.yaml",
        "kp-ignored.yaml",
        "excluded/x.yaml",
        ".hidden/x.yaml",
        "notes.txt",
    ] {
        let full = temp.path().join(path);
        fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        fs::write(full, bad).expect("write");
    }
    fs::write(temp.path().join(".gitignore"), "git-ignored.yaml\n").expect("write");
    fs::write(temp.path().join(".kubepatrolignore"), "kp-ignored.yaml\n").expect("write");
    temp
}

fn linted_files(dir: &std::path::Path, args: &[&str]) -> Vec<String> {
    let mut full = vec!["lint", "--format", "json"];
    full.extend_from_slice(args);
    let report = json(&run_in(dir, &full));
    let mut files: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["file"].as_str().map(str::to_owned))
        .collect();
    files.dedup();
    files
}

#[test]
fn ignore_files_hidden_directories_and_excludes_are_honoured() {
    let temp = ignore_tree();
    let dir = temp.path();
    assert_eq!(
        linted_files(dir, &["--exclude", "excluded/**"]),
        ["kept.yaml"]
    );
    assert_eq!(
        linted_files(dir, &["--no-ignore"]),
        [
            "excluded/x.yaml",
            "git-ignored.yaml",
            "kept.yaml",
            "kp-ignored.yaml"
        ]
    );
    // Files named explicitly are read whatever their extension or ignore rules.
    assert_eq!(
        linted_files(dir, &["git-ignored.yaml", "notes.txt", "./kept.yaml"]),
        ["git-ignored.yaml", "kept.yaml", "notes.txt"]
    );
    assert_eq!(
        linted_files(dir, &["sub/../kept.yaml", "--exclude", "kept.yaml"]),
        Vec::<String>::new()
    );
    // Globs match below the walked directory too, as `.gitignore` patterns do.
    let parent = dir.parent().expect("parent");
    let name = dir.file_name().and_then(|n| n.to_str()).expect("name");
    assert_eq!(
        linted_files(parent, &["--no-ignore", "--exclude", "excluded/**", name]),
        [
            format!("{name}/git-ignored.yaml"),
            format!("{name}/kept.yaml"),
            format!("{name}/kp-ignored.yaml")
        ]
    );
}

#[test]
fn a_templated_document_hides_only_itself() {
    let output = run_in(
        &common::fixtures(),
        &["lint", "--format", "json", "templated/rollout-linkerd.yaml"],
    );
    let report = json(&output);
    let checks: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["check"].as_str())
        .collect();
    assert!(checks.contains(&"hostNetworkSet"), "{checks:?}");
    let diagnostics = report["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_eq!(diagnostics[0]["code"], "template-expression");
    assert_eq!(diagnostics[0]["start"]["line"], 32);
    assert_eq!(
        report["counts"]["objects"], 2,
        "the Rollout and the Service"
    );
}

#[test]
fn checks_lists_every_check_and_explain_prints_its_document() {
    let dir = foundation();
    let checks = stdout(&run_in(&dir, &["checks"]));
    assert!(checks.contains("hostNetworkSet"), "{checks}");
    let explain = run_in(&dir, &["explain", "HOSTPORTSET"]);
    assert_eq!(explain.status.code(), Some(0));
    assert!(stdout(&explain).starts_with("hostPortSet — "));
    let unknown = run_in(&dir, &["explain", "hostNetwrkSet"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("did you mean `hostNetworkSet`"));
}

#[test]
fn helm_output_names_its_template_and_stdin_can_be_named() {
    let rendered = fixtures().join("helm/rendered.yaml");
    let file = fs::File::open(&rendered).expect("fixture");
    let output = Command::new(env!("CARGO_BIN_EXE_kubepatrol"))
        .args([
            "lint",
            "--stdin-filename",
            "helm-output.yaml",
            "--format",
            "json",
            "-",
        ])
        .stdin(Stdio::from(file))
        .output()
        .expect("runs");
    let report = json(&output);
    let host_pid = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["check"] == "hostPIDSet")
        .expect("a hostPIDSet finding")
        .clone();
    assert_eq!(host_pid["file"], "helm-output.yaml");
    assert_eq!(host_pid["helmTemplate"], "shop/templates/deployment.yaml");
    assert_eq!(host_pid["start"]["line"], 16);
    let line = stdout(&run_in(
        &fixtures().join("helm"),
        &["lint", "rendered.yaml"],
    ));
    assert!(
        line.contains("rendered.yaml:16:16: danger: The pod shares the node's process namespace (`hostPID` is true) (Deployment shop from template shop/templates/deployment.yaml) [hostPIDSet]"),
        "{line}"
    );
}

#[test]
fn text_in_memory_is_linted_like_a_file() {
    let text = fs::read(foundation().join("mixed/good.yaml")).expect("fixture");
    let outcome = kubepatrol::lint_bytes("memory.yaml", &text, &kubepatrol::LintOptions::default());
    let host_network = outcome
        .findings
        .iter()
        .find(|f| f.rule.meta.id == "hostNetworkSet")
        .expect("found");
    assert_eq!(
        outcome.sources.display(host_network.primary().file),
        "memory.yaml"
    );
    assert_eq!(outcome.sources.position(host_network.primary()).0.line, 6);
}

#[test]
fn reports_written_to_files_are_readable_by_others() {
    use std::os::unix::fs::PermissionsExt;
    let temp = tempfile::tempdir().expect("temp dir");
    let target = temp.path().join("report.json");
    run_in(
        &foundation(),
        &[
            "lint",
            "--format",
            "json",
            "--output",
            target.to_str().expect("utf-8"),
            "anchors.yaml",
        ],
    );
    let mode = fs::metadata(&target).expect("written").permissions().mode();
    assert_eq!(mode & 0o777, 0o644);
}
