//! The GitHub Action (action.yml): its metadata checked by action-validator against GitHub's
//! schema, and its run steps (scripts/action-*.sh) executed locally with the `GITHUB_*` and
//! `RUNNER_*` variables pointed at temporary files.

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

use common::{fixtures, required_tool};

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// action-validator from tools/ (pinned in tools/package-lock.json), or `None` outside CI.
fn action_validator() -> Option<PathBuf> {
    required_tool(
        repository().join("tools/node_modules/.bin/action-validator"),
        "run `npm ci --prefix tools` (as .ci/run does)",
    )
}

fn validate(validator: &Path, action: &Path) -> Output {
    Command::new(validator)
        .arg(action)
        .output()
        .expect("action-validator runs")
}

#[test]
fn action_metadata_matches_the_schema() {
    let Some(validator) = action_validator() else {
        return;
    };
    let checked = validate(&validator, &repository().join("action.yml"));
    assert!(
        checked.status.success(),
        "action.yml is invalid:\n{}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );

    // The validator must be able to fail: a step without `shell` is invalid in a composite action.
    let broken = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(repository().join("action.yml")).unwrap();
    let without_shell = text.replace("      shell: bash\n", "");
    assert_ne!(text, without_shell);
    fs::write(broken.path().join("action.yml"), without_shell).unwrap();
    let rejected = validate(&validator, &broken.path().join("action.yml"));
    assert!(!rejected.status.success());
    let complaint = String::from_utf8_lossy(&rejected.stderr);
    assert!(complaint.contains("/runs/steps/0/shell"), "{complaint}");
}

/// Temporary stand-ins for what the runner provides.
struct Runner {
    workspace: tempfile::TempDir,
    temp: tempfile::TempDir,
}

impl Runner {
    /// A workspace holding a copy of the action fixture (a manifest with findings).
    fn new() -> Runner {
        let workspace = tempfile::tempdir().unwrap();
        let source = fixtures().join("action/k8s/web.yaml");
        fs::create_dir(workspace.path().join("k8s")).unwrap();
        fs::copy(source, workspace.path().join("k8s/web.yaml")).unwrap();
        Runner {
            workspace,
            temp: tempfile::tempdir().unwrap(),
        }
    }

    fn output_file(&self) -> PathBuf {
        self.temp.path().join("github_output")
    }

    fn summary_file(&self) -> PathBuf {
        self.temp.path().join("step_summary.md")
    }

    /// Run `scripts/NAME` as action.yml does, with the action's inputs as `KUBEPATROL_*` variables.
    fn step(&self, name: &str, inputs: &[(&str, &str)]) -> Output {
        self.step_in(".", name, inputs)
    }

    /// Run a step in `dir` of the workspace, as the `working-directory` input makes it.
    fn step_in(&self, dir: &str, name: &str, inputs: &[(&str, &str)]) -> Output {
        let mut command = Command::new("bash");
        command
            .arg(repository().join("scripts").join(name))
            .current_dir(self.workspace.path().join(dir))
            .env("GITHUB_ACTION_PATH", repository())
            .env("GITHUB_WORKSPACE", self.workspace.path())
            .env("GITHUB_REPOSITORY", "acme/shop")
            .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
            .env("GITHUB_OUTPUT", self.output_file())
            .env("GITHUB_STEP_SUMMARY", self.summary_file())
            .env("RUNNER_TEMP", self.temp.path())
            .env_remove("RUNNER_TOOL_CACHE")
            .envs(inputs.iter().copied());
        command.output().expect("bash runs")
    }

    /// The lint step with the binary under test.
    fn lint(&self, inputs: &[(&str, &str)]) -> Output {
        let mut all = vec![
            ("KUBEPATROL_BIN", env!("CARGO_BIN_EXE_kubepatrol")),
            ("KUBEPATROL_PATHS", "k8s"),
            ("KUBEPATROL_FAIL_ON", "warning"),
            ("KUBEPATROL_SARIF", "kubepatrol.sarif"),
        ];
        all.extend_from_slice(inputs);
        self.lint_step(&all)
    }

    fn lint_step(&self, inputs: &[(&str, &str)]) -> Output {
        self.step("action-run.sh", inputs)
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn lint_step_annotates_writes_sarif_summary_and_outputs() {
    let runner = Runner::new();
    let run = runner.lint(&[]);
    let stdout = text(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{stdout}{}", text(&run.stderr));

    assert!(
        stdout.contains("::error file=k8s/web.yaml,line=16"),
        "annotations on stdout:\n{stdout}"
    );

    let sarif_path = runner.workspace.path().join("kubepatrol.sarif");
    let sarif: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(sarif_path).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");

    let summary = fs::read_to_string(runner.summary_file()).unwrap();
    assert!(summary.starts_with("## kubepatrol\n"), "{summary}");
    assert!(summary.contains("| Category | Score | Passed | Warning | Danger |"));
    assert!(summary.contains("| security |"), "{summary}");
    assert!(summary.contains("### Top findings"), "{summary}");
    assert!(
        summary.contains(
            "(https://github.com/acme/shop/blob/0123456789abcdef0123456789abcdef01234567/k8s/web.yaml#L18)"
        ),
        "{summary}"
    );

    let outputs = fs::read_to_string(runner.output_file()).unwrap();
    let score = outputs.lines().find_map(|line| line.strip_prefix("score="));
    let score: u32 = score.expect("score output").parse().unwrap();
    assert!(score < 100, "{outputs}");
    assert!(
        summary.contains(&format!("**Score {score}/100, grade ")),
        "{summary}"
    );
    let findings = outputs
        .lines()
        .find_map(|line| line.strip_prefix("findings="));
    assert!(findings.expect("findings output").parse::<usize>().unwrap() > 0);
    assert!(
        outputs.contains("sarif-file=kubepatrol.sarif\n"),
        "{outputs}"
    );
    assert_eq!(
        fs::read_dir(runner.temp.path()).unwrap().count(),
        2,
        "only the output and summary files remain in RUNNER_TEMP"
    );
}

#[test]
fn lint_step_in_a_working_directory_names_files_from_the_repository_root() {
    let runner = Runner::new();
    fs::create_dir(runner.workspace.path().join(".git")).unwrap();
    let run = runner.step_in(
        "k8s",
        "action-run.sh",
        &[
            ("KUBEPATROL_BIN", env!("CARGO_BIN_EXE_kubepatrol")),
            ("KUBEPATROL_PATHS", "."),
            ("KUBEPATROL_SARIF", "kubepatrol.sarif"),
        ],
    );
    let stdout = text(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{stdout}{}", text(&run.stderr));
    assert!(
        stdout.contains("::error file=k8s/web.yaml,line=16"),
        "{stdout}"
    );
    assert!(!stdout.contains("file=web.yaml"), "{stdout}");
    let sarif: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(runner.workspace.path().join("k8s/kubepatrol.sarif")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "k8s/web.yaml"
    );
    let summary = fs::read_to_string(runner.summary_file()).unwrap();
    assert!(summary.contains("/k8s/web.yaml#L18)"), "{summary}");
    let outputs = fs::read_to_string(runner.output_file()).unwrap();
    assert!(
        outputs.contains("sarif-file=k8s/kubepatrol.sarif\n"),
        "upload-sarif runs in the workspace: {outputs}"
    );
    assert!(
        summary.contains("Result: fails: ") && summary.contains("at or above warning"),
        "{summary}"
    );
}

#[test]
fn lint_step_passes_with_fail_on_never() {
    let runner = Runner::new();
    let run = runner.lint(&[("KUBEPATROL_FAIL_ON", "never")]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    assert!(text(&run.stdout).contains("::error file=k8s/web.yaml"));
    let outputs = fs::read_to_string(runner.output_file()).unwrap();
    assert!(outputs.contains("findings="), "{outputs}");
}

#[test]
fn lint_step_reports_a_failed_run_in_the_summary() {
    let runner = Runner::new();
    let run = runner.lint(&[("KUBEPATROL_CONFIG", "missing.yaml")]);
    assert_eq!(run.status.code(), Some(2), "{}", text(&run.stderr));
    let summary = fs::read_to_string(runner.summary_file()).unwrap();
    assert!(summary.contains("exited with code 2"), "{summary}");
    let outputs = fs::read_to_string(runner.output_file()).unwrap();
    assert!(outputs.starts_with("score=\nfindings=\n"), "{outputs}");
}

#[test]
fn install_step_skips_the_build_when_this_version_is_installed() {
    let runner = Runner::new();
    let version = env!("CARGO_PKG_VERSION");
    let bin_dir = runner.temp.path().join(format!("kubepatrol/{version}/bin"));
    fs::create_dir_all(&bin_dir).unwrap();
    let installed = bin_dir.join("kubepatrol");
    fs::copy(env!("CARGO_BIN_EXE_kubepatrol"), &installed).unwrap();

    // A `cargo` that fails proves the step does not build.
    let fake_tools = tempfile::tempdir().unwrap();
    let cargo = fake_tools.path().join("cargo");
    fs::write(&cargo, "#!/bin/sh\necho cargo must not run >&2\nexit 3\n").unwrap();
    make_executable(&cargo);
    let path = std::env::join_paths(
        std::iter::once(fake_tools.path().to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();

    let run = runner.step("action-install.sh", &[("PATH", path.to_str().unwrap())]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(text(&run.stdout).contains(&format!("kubepatrol {version} is already installed")));
    let outputs = fs::read_to_string(runner.output_file()).unwrap();
    assert_eq!(outputs, format!("bin={}\n", installed.display()));
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn lint_step_with_new_since_annotates_only_new_findings_and_keeps_sarif_complete() {
    let runner = Runner::new();
    let workspace = runner.workspace.path();
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args(["-c", "user.email=ci@example.com", "-c", "user.name=ci"])
            .args(args)
            .current_dir(workspace)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "--quiet"]);
    git(&["add", "."]);
    git(&["commit", "--quiet", "-m", "base"]);
    let old = fs::read_to_string(workspace.join("k8s/web.yaml")).unwrap();
    let new = old.replacen("name: web", "name: api", 1);
    assert_ne!(old, new);
    fs::write(workspace.join("k8s/api.yaml"), new).unwrap();

    let run = runner.lint(&[
        ("KUBEPATROL_NEW_SINCE", "HEAD"),
        ("KUBEPATROL_HTML", "report.html"),
    ]);
    let stdout = text(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{stdout}{}", text(&run.stderr));
    assert!(stdout.contains("file=k8s/api.yaml"), "{stdout}");
    assert!(!stdout.contains("file=k8s/web.yaml"), "{stdout}");

    let summary = fs::read_to_string(runner.summary_file()).unwrap();
    assert!(
        summary.contains("Only findings new since `HEAD` ("),
        "{summary}"
    );
    assert!(!summary.contains("k8s/web.yaml"), "{summary}");
    let html = fs::read_to_string(workspace.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");

    let sarif: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(workspace.join("kubepatrol.sarif")).unwrap())
            .unwrap();
    let files: std::collections::BTreeSet<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| {
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        files.into_iter().collect::<Vec<_>>(),
        ["k8s/api.yaml", "k8s/web.yaml"]
    );
}
