//! `lint --new-since REF` on throw-away git repositories: only what the change introduced is
//! reported and fails the run, whatever moved; errors at REF are notes, a REF that names no
//! commit is an error.

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
use std::process::{Command, Output};

use common::{json, run_in, stdout};

/// A pod with no finding; `host_network` adds exactly one (hostNetworkSet).
fn pod(name: &str, host_network: bool) -> String {
    let host_network = if host_network {
        "  hostNetwork: true\n"
    } else {
        ""
    };
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n{host_network}  \
         securityContext: {{runAsNonRoot: true}}\n  containers:\n    - name: app\n      \
         image: nginx:1.27\n      securityContext: {{allowPrivilegeEscalation: false, \
         readOnlyRootFilesystem: true}}\n      resources:\n        requests: {{cpu: 10m, \
         memory: 16Mi}}\n        limits: {{cpu: 100m, memory: 64Mi}}\n      readinessProbe: \
         {{tcpSocket: {{port: 80}}}}\n      livenessProbe: {{tcpSocket: {{port: 80}}}}\n"
    )
}

/// A throw-away repository.
struct Repo(tempfile::TempDir);

impl Repo {
    fn new(files: &[(&str, &str)]) -> Repo {
        let repo = Repo(tempfile::tempdir().unwrap());
        repo.git(&["init", "--quiet", "--initial-branch=main"]);
        repo.git(&["config", "user.email", "test@example.com"]);
        repo.git(&["config", "user.name", "test"]);
        repo.write(files);
        repo.commit("first");
        repo
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    fn git(&self, args: &[&str]) {
        let status = Command::new("git")
            .args(args)
            .current_dir(self.path())
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    fn write(&self, files: &[(&str, &str)]) {
        for (path, text) in files {
            let path = self.path().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
    }

    fn commit(&self, message: &str) {
        self.git(&["add", "--all"]);
        self.git(&["commit", "--quiet", "-m", message]);
    }

    /// `lint --new-since main` in the line format, in `dir` below the repository.
    fn lint_in(&self, dir: &str, paths: &[&str]) -> Output {
        let mut args = vec!["--format", "line"];
        args.extend(paths);
        self.lint_with(dir, &args)
    }

    /// `lint --new-since main ARGS` in `dir` below the repository.
    fn lint_with(&self, dir: &str, args: &[&str]) -> Output {
        let mut all = vec!["lint", "--new-since", "main"];
        all.extend(args);
        run_in(&self.path().join(dir), &all)
    }
}

/// The finding lines of a line report (not the notes).
fn findings(output: &Output) -> Vec<String> {
    stdout(output)
        .lines()
        .filter(|line| !line.contains(": note: "))
        .map(str::to_owned)
        .collect()
}

/// Assert the exit code, the new findings' lines, and the summary's counts of the findings at
/// REF and of those fixed.
fn assert_compared(output: &Output, exit: i32, new: &[&str], before: usize, fixed: usize) {
    let text = stdout(output);
    assert_eq!(output.status.code(), Some(exit), "{text}");
    assert_eq!(findings(output), new, "{text}");
    let plural = if before == 1 { "" } else { "s" };
    let counts = format!("{before} finding{plural} at `main` (");
    let summary = text.lines().find(|line| line.ends_with("[new-since]"));
    let summary = summary.unwrap_or_else(|| panic!("no new-since summary in:\n{text}"));
    assert!(summary.contains(&counts), "{summary}");
    assert!(
        summary.contains(&format!(", {fixed} fixed by this change")),
        "{summary}"
    );
}

#[test]
fn an_added_finding_is_new_and_fails_the_run() {
    let repo = Repo::new(&[("a.yaml", &pod("a", false)), ("b.yaml", &pod("b", true))]);
    repo.write(&[("a.yaml", &pod("a", true))]);
    assert_compared(
        &repo.lint_in(".", &["."]),
        1,
        &[
            "a.yaml:6:16: danger: The pod shares the node's network namespace (`hostNetwork` is true) (Pod a) [hostNetworkSet]",
        ],
        1,
        0,
    );
}

#[test]
fn a_fixed_finding_is_counted_and_the_run_passes() {
    let repo = Repo::new(&[("a.yaml", &pod("a", true)), ("b.yaml", &pod("b", true))]);
    repo.write(&[("a.yaml", &pod("a", false))]);
    assert_compared(&repo.lint_in(".", &["."]), 0, &[], 2, 1);
}

#[test]
fn a_finding_moved_to_another_line_or_file_is_not_new() {
    let repo = Repo::new(&[
        ("deploy/a.yaml", &pod("a", true)),
        ("deploy/b.yaml", &pod("b", false)),
    ]);
    // A comment moves a's finding two lines down; b's pod moves into a.yaml.
    repo.write(&[
        (
            "deploy/a.yaml",
            &format!(
                "# moved\n# down\n{}---\n{}",
                pod("a", true),
                pod("b", false)
            ),
        ),
        ("deploy/b.yaml", "# nothing left here\n"),
    ]);
    // Run from a subdirectory: paths at REF are resolved as in the working tree.
    assert_compared(&repo.lint_in("deploy", &["."]), 0, &[], 1, 0);
}

#[test]
fn a_renamed_file_brings_no_new_findings() {
    let repo = Repo::new(&[("old.yaml", &pod("a", true))]);
    repo.git(&["mv", "old.yaml", "new.yaml"]);
    assert_compared(&repo.lint_in(".", &["."]), 0, &[], 1, 0);
    // Named explicitly, it is looked up at REF under its old name.
    assert_compared(&repo.lint_in(".", &["new.yaml"]), 0, &[], 1, 0);
}

#[test]
fn a_base_changed_under_two_overlays_is_new_in_each() {
    let kustomization = |namespace: &str| {
        format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: \
             {namespace}\nresources:\n  - ../../base\n"
        )
    };
    let repo = Repo::new(&[
        ("base/kustomization.yaml", "resources:\n  - pod.yaml\n"),
        ("base/pod.yaml", &pod("web", false)),
        ("overlays/dev/kustomization.yaml", &kustomization("dev")),
        ("overlays/prod/kustomization.yaml", &kustomization("prod")),
    ]);
    repo.write(&[("base/pod.yaml", &pod("web", true))]);
    let output = repo.lint_with(".", &["--format", "json", "overlays"]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let report = json(&output);
    let mut new: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| {
            format!(
                "{} {} {}:{}",
                finding["check"].as_str().unwrap(),
                finding["object"]["namespace"].as_str().unwrap(),
                finding["file"].as_str().unwrap(),
                finding["start"]["line"],
            )
        })
        .collect();
    new.sort();
    assert_eq!(
        new,
        [
            "hostNetworkSet dev base/pod.yaml:6",
            "hostNetworkSet prod base/pod.yaml:6"
        ]
    );
    assert_eq!(report["newSince"]["before"], 0, "{}", report["newSince"]);
}

#[test]
fn errors_at_ref_are_notes_and_errors_now_fail() {
    let repo = Repo::new(&[("a.yaml", "apiVersion: v1\nkind: Pod\nmetadata: [\n")]);
    repo.write(&[("a.yaml", &pod("a", true))]);
    let output = repo.lint_in(".", &["."]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let text = stdout(&output);
    assert!(
        text.lines()
            .any(|line| line.starts_with("a.yaml: note: at `main` (")
                && line.contains(", line 3: ")
                && line.contains("[invalid-yaml]")
                && line.ends_with("[input-error-at-commit]")),
        "{text}"
    );
    assert_eq!(findings(&output).len(), 1, "{text}");

    repo.commit("second");
    repo.write(&[("a.yaml", "apiVersion: v1\nkind: Pod\nmetadata: [\n")]);
    let output = repo.lint_in(".", &["."]);
    assert_eq!(output.status.code(), Some(2), "{}", stdout(&output));
    assert!(stdout(&output).contains("error:"), "{}", stdout(&output));
}

#[test]
fn a_ref_that_names_no_commit_is_an_error() {
    let repo = Repo::new(&[("a.yaml", &pod("a", true))]);
    let output = run_in(
        repo.path(),
        &[
            "lint",
            "--format",
            "line",
            "--new-since",
            "no-such-branch",
            ".",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stdout(&output),
        "no-such-branch: error: `no-such-branch` does not name a commit in this repository [invalid-new-since]\n"
    );
    let outside = tempfile::tempdir().unwrap();
    let output = run_in(outside.path(), &["lint", "--new-since", "main", "."]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stdout(&output).contains("--new-since needs a git repository"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn sarif_and_gitlab_keep_the_findings_that_existed_as_ordinary_results() {
    let repo = Repo::new(&[("a.yaml", &pod("a", true))]);
    repo.write(&[("b.yaml", &pod("b", true))]);
    let sarif = repo.path().join("out.sarif");
    let sarif_option = [
        "--format",
        "json",
        "--output-sarif",
        sarif.to_str().unwrap(),
        ".",
    ];
    let output = repo.lint_with(".", &sarif_option);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let report = json(&output);
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
    assert_eq!(report["suppressed"][0]["suppression"]["kind"], "new-since");
    let log: serde_json::Value = serde_json::from_slice(&fs::read(sarif).unwrap()).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert!(
        results
            .iter()
            .all(|result| result.get("suppressions").is_none())
    );

    // GitLab compares the base's and the head's reports itself: both findings are issues.
    let output = repo.lint_with(".", &["--format", "gitlab", "."]);
    let issues = json(&output);
    let mut paths: Vec<&str> = issues
        .as_array()
        .unwrap()
        .iter()
        .map(|issue| issue["location"]["path"].as_str().unwrap())
        .collect();
    paths.sort_unstable();
    assert_eq!(paths, ["a.yaml", "b.yaml"]);
}

#[test]
fn a_symlinked_manifest_is_read_through_its_link_at_ref_too() {
    let repo = Repo::new(&[("shared/app.yaml", &pod("a", true))]);
    fs::create_dir(repo.path().join("deploy")).unwrap();
    std::os::unix::fs::symlink("../shared/app.yaml", repo.path().join("deploy/app.yaml")).unwrap();
    repo.commit("link");
    assert_compared(&repo.lint_in("deploy", &["."]), 0, &[], 1, 0);
}

#[test]
fn a_chart_values_change_is_new_and_what_the_chart_had_is_not() {
    let template = pod("web", false).replace(
        "spec:\n",
        "spec:\n  hostNetwork: {{ .Values.hostNetwork }}\n  hostPID: {{ .Values.hostPID }}\n",
    );
    let repo = Repo::new(&[
        (
            "chart/Chart.yaml",
            "apiVersion: v2\nname: web\nversion: 0.1.0\n",
        ),
        ("chart/templates/pod.yaml", &template),
        ("chart/values.yaml", "hostPID: true\nhostNetwork: false\n"),
    ]);
    // hostPID existed at REF (now a line lower); hostNetwork is new.
    repo.write(&[(
        "chart/values.yaml",
        "# host namespaces\nhostPID: true\nhostNetwork: true\n",
    )]);
    let new = [
        "chart/values.yaml:3:14: danger: The pod shares the node's network namespace (`hostNetwork` is true) (Pod web from template web/templates/pod.yaml via chart/Chart.yaml) [hostNetworkSet]",
    ];
    // The chart rendered on both sides, walked or through its values file named alone.
    assert_compared(&repo.lint_in(".", &["."]), 1, &new, 1, 0);
    assert_compared(&repo.lint_in(".", &["chart/values.yaml"]), 1, &new, 1, 0);
}
