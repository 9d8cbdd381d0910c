//! The pre-commit hook as users run it: the real `pre-commit` from PyPI, in a virtualenv, on a
//! throw-away repository, through `pre-commit try-repo <this repository> kubepatrol`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PRE_COMMIT_VERSION: &str = "4.7.0";

/// pre-commit in a virtualenv, made once and reused.
fn pre_commit() -> PathBuf {
    common::python_venv("pre-commit", PRE_COMMIT_VERSION).join("bin/pre-commit")
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

fn try_repo(pre_commit: &Path, dir: &Path) -> Output {
    try_repo_with(pre_commit, dir, &["--all-files"])
}

/// `pre-commit try-repo <this repository> kubepatrol` with `files` (`--all-files`, or
/// `--files PATH…` as a commit that changed those files passes them).
fn try_repo_with(pre_commit: &Path, dir: &Path, files: &[&str]) -> Output {
    Command::new(pre_commit)
        .args(["try-repo", env!("CARGO_MANIFEST_DIR"), "kubepatrol"])
        .args(files)
        .current_dir(dir)
        .env(
            "PRE_COMMIT_HOME",
            common::tools_dir().join("pre-commit-home"),
        )
        // Reuse the hook's build between runs: each new commit of this repository is a new hook
        // revision, and a cold LTO build takes minutes.
        .env(
            "CARGO_TARGET_DIR",
            common::tools_dir().join("pre-commit-build"),
        )
        // The hook's behaviour is under test, not its speed: an unoptimised build takes a
        // fraction of the release profile's LTO build on a fresh CI machine.
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .output()
        .expect("pre-commit runs")
}

const BAD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  hostNetwork: true\n  securityContext: {runAsNonRoot: true}\n  containers:\n    - name: app\n      image: nginx:1.27\n      securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}\n      resources:\n        requests: {cpu: 10m, memory: 16Mi}\n        limits: {cpu: 100m, memory: 64Mi}\n      readinessProbe: {tcpSocket: {port: 80}}\n      livenessProbe: {tcpSocket: {port: 80}}\n";

#[test]
fn the_hook_fails_on_a_finding_and_passes_once_fixed() {
    let pre_commit = pre_commit();
    let repo = tempfile::tempdir().expect("temp dir");
    let dir = repo.path();
    git(dir, &["init", "--quiet"]);
    fs::write(dir.join("bad.yaml"), BAD).expect("write");
    fs::write(
        dir.join("good.yaml"),
        BAD.replace("  hostNetwork: true\n", "")
            .replace("name: bad", "name: good"),
    )
    .expect("write");
    fs::write(dir.join("README.md"), "not a manifest\n").expect("write");
    git(dir, &["add", "."]);

    let failing = try_repo(&pre_commit, dir);
    let text = String::from_utf8_lossy(&failing.stdout);
    assert!(!failing.status.success(), "{text}");
    assert!(
        text.contains("bad.yaml:6:16: danger:") && text.contains("[hostNetworkSet]"),
        "{text}"
    );
    assert!(!text.contains("good.yaml:"), "{text}");

    fs::write(
        dir.join("bad.yaml"),
        BAD.replace("  hostNetwork: true\n", ""),
    )
    .expect("write");
    git(dir, &["add", "."]);
    let passing = try_repo(&pre_commit, dir);
    assert!(
        passing.status.success(),
        "{}",
        String::from_utf8_lossy(&passing.stdout)
    );
}

/// The findings lines of a hook run (`PATH:LINE:COL: SEVERITY: …`), sorted.
fn finding_lines(output: &Output) -> Vec<String> {
    let mut lines: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| line.contains(": danger: ") || line.contains(": warning: "))
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

/// A base with two overlays and a patch file: the hook on the patch alone reports what
/// linting its overlay reports, and on every file each finding once (not once per batch).
#[test]
fn a_patch_file_is_linted_through_its_overlay_and_nothing_twice() {
    let pre_commit = pre_commit();
    let repo = tempfile::tempdir().expect("temp dir");
    let dir = repo.path();
    git(dir, &["init", "--quiet"]);
    let write = |path: &str, text: &str| {
        let full = dir.join(path);
        fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        fs::write(full, text).expect("write");
    };
    write("base/kustomization.yaml", "resources:\n- deployment.yaml\n");
    write(
        "base/deployment.yaml",
        &BAD.replace("  hostNetwork: true\n", ""),
    );
    write(
        "overlays/prod/kustomization.yaml",
        "namespace: prod\nresources:\n- ../../base\npatches:\n- path: host-network.yaml\n",
    );
    write(
        "overlays/prod/host-network.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\nspec:\n  hostNetwork: true\n",
    );
    write(
        "overlays/dev/kustomization.yaml",
        "namespace: dev\nresources:\n- ../../base\n",
    );
    git(dir, &["add", "."]);

    let lint = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_kubepatrol"))
            .arg("lint")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("kubepatrol runs")
    };
    let patch_alone = try_repo_with(
        &pre_commit,
        dir,
        &["--files", "overlays/prod/host-network.yaml"],
    );
    let through_overlay = lint(&["overlays/prod"]);
    let expected = finding_lines(&through_overlay);
    assert!(
        expected
            .iter()
            .any(|line| line.starts_with("overlays/prod/host-network.yaml:6:16: danger:")),
        "{expected:#?}"
    );
    assert_eq!(finding_lines(&patch_alone), expected);
    assert!(!patch_alone.status.success());

    let all = try_repo(&pre_commit, dir);
    let whole = finding_lines(&lint(&["."]));
    assert_eq!(
        finding_lines(&all),
        whole,
        "{}",
        String::from_utf8_lossy(&all.stdout)
    );
    let mut unique = whole.clone();
    unique.dedup();
    assert_eq!(unique, whole, "no finding twice");
}
