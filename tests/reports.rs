//! The report formats end to end on `tests/fixtures/foundation` (every format on the same
//! fixtures), plus the score threshold, several outputs in one run, colour and the events.

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
use std::process::{Command, Output, Stdio};

use common::{fixtures, json, run_in, stdout};

fn foundation() -> PathBuf {
    fixtures().join("foundation")
}

/// Run `kubepatrol` in `dir` with extra environment variables.
fn run_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kubepatrol"));
    command
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .env_remove("NO_COLOR");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("the kubepatrol binary runs")
}

fn redact_version(text: &str) -> String {
    text.replace(env!("CARGO_PKG_VERSION"), "<version>")
}

/// The human format off a terminal, colour off, at a fixed width.
fn human(dir: &Path) -> (Option<i32>, String) {
    let output = run_with_env(
        dir,
        &["lint", "--format", "human", "--color", "never", "."],
        &[("COLUMNS", "100")],
    );
    let text = stdout(&output);
    assert!(!text.contains('\u{1b}'), "no colour with --color never");
    assert_help_once_per_check(&text);
    (output.status.code(), text)
}

/// Each check's help is printed once, however many findings it has.
fn assert_help_once_per_check(text: &str) {
    let from = text.find("by check: ").expect("a count by check") + "by check: ".len();
    let to = text[from..]
        .find("\nfails")
        .map_or(text.len(), |at| from + at);
    let checks: Vec<&str> = text[from..to]
        .split(',')
        .filter_map(|entry| entry.split_whitespace().next())
        .collect();
    assert!(!checks.is_empty(), "{text}");
    for check in checks {
        assert_eq!(
            text.matches(&format!("\n  {check}: ")).count(),
            1,
            "help of {check} once:\n{text}"
        );
    }
}

#[test]
fn human_output_snapshot() {
    let (code, text) = human(&foundation());
    assert_eq!(code, Some(2));
    insta::assert_snapshot!(text);
}

/// Every check fixture at once: one snippet per object and file, each check's help once, the
/// notes folded, and a closing summary of a few lines.
#[test]
fn human_output_of_many_findings_snapshot() {
    let (code, text) = human(&fixtures().join("checks"));
    assert_eq!(code, Some(2), "the fixtures include wrong-typed fields");
    let findings = run_in(
        &fixtures().join("checks"),
        &["lint", "--format", "line", "."],
    );
    let count = stdout(&findings)
        .lines()
        .filter(|line| line.ends_with(']'))
        .count();
    assert!(count > 100, "{count} findings");
    assert!(
        text.lines().count() < count * 4,
        "{} lines",
        text.lines().count()
    );
    insta::assert_snapshot!(text);
}

/// `COLUMNS` sets the width the snippets and the closing lines wrap at.
#[test]
fn human_output_honours_the_width() {
    let width = |columns: &str| {
        let output = run_with_env(
            &foundation(),
            &["lint", "--format", "human", "--color", "never", "."],
            &[("COLUMNS", columns)],
        );
        stdout(&output)
            .lines()
            .map(|line| line.chars().count())
            .max()
            .unwrap_or(0)
    };
    assert!(
        width("60") < width("200"),
        "{} {}",
        width("60"),
        width("200")
    );
}

#[test]
fn human_output_is_coloured_only_when_asked() {
    let args = ["lint", "--format", "human", "multi.yaml"];
    let always = run_with_env(
        &foundation(),
        &[&args[..], &["--color", "always"]].concat(),
        &[],
    );
    assert!(stdout(&always).contains('\u{1b}'), "--color always colours");
    // Not a terminal: `auto` stays plain, with or without NO_COLOR.
    let auto = run_with_env(&foundation(), &args, &[]);
    assert!(!stdout(&auto).contains('\u{1b}'));
    let no_color = run_with_env(&foundation(), &args, &[("NO_COLOR", "1")]);
    assert!(!stdout(&no_color).contains('\u{1b}'));
}

#[test]
fn default_format_off_a_terminal_is_line() {
    let default = run_in(&foundation(), &["lint", "multi.yaml"]);
    let line = run_in(&foundation(), &["lint", "--format", "line", "multi.yaml"]);
    assert_eq!(stdout(&default), stdout(&line));
}

#[test]
fn summary_output_snapshot() {
    let output = run_in(&foundation(), &["lint", "--format", "summary"]);
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn github_output_snapshot() {
    let output = run_in(&foundation(), &["lint", "--format", "github"]);
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn sarif_output_snapshot() {
    let output = run_in(&foundation(), &["lint", "--format", "sarif"]);
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(redact_version(&stdout(&output)));
}

#[test]
fn html_data_snapshot() {
    let output = run_in(&foundation(), &["lint", "--format", "html"]);
    let page = stdout(&output);
    let start = page
        .find(r#"<script type="application/json" id="report-data">"#)
        .expect("data script")
        + r#"<script type="application/json" id="report-data">"#.len();
    let end = start + page[start..].find("</script>").expect("end of data");
    let data: serde_json::Value = serde_json::from_str(&page[start..end]).expect("data is JSON");
    assert!(!page.contains("http://") || !page.contains("src=\"http"));
    assert!(!page.contains("<link"), "no external stylesheets");
    insta::assert_snapshot!(redact_version(
        &serde_json::to_string_pretty(&data).expect("serialises")
    ));
}

#[test]
fn the_html_page_makes_no_network_requests() {
    let output = run_in(&foundation(), &["lint", "--format", "html"]);
    let page = stdout(&output);
    for reference in ["src=\"http", "href=\"http", "url(http", "@import", "<link"] {
        assert!(!page.contains(reference), "{reference}");
    }
    assert!(
        page.contains("default-src 'none'"),
        "the CSP forbids fetching"
    );
}

#[test]
fn github_commands_escape_paths_and_messages() {
    let dir = tempfile::tempdir().expect("temp dir");
    let name = "odd,name:100%.yaml";
    fs::write(
        dir.path().join(name),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  containers: []\n",
    )
    .expect("fixture written");
    let output = run_in(dir.path(), &["lint", "--format", "github", name]);
    let text = stdout(&output);
    assert!(
        text.starts_with("::error file=odd%2Cname%3A100%25.yaml,line=5,col=16,endLine=5,endColumn=20,title=kubepatrol hostNetworkSet (danger)::"),
        "{text}"
    );
    // One command per line: the finding, then the run's result.
    assert_eq!(text.lines().count(), 2, "{text}");
    assert_eq!(
        text.lines().nth(1),
        Some("::error title=kubepatrol result::fails: 1 finding at or above warning (--fail-on)")
    );
}

#[test]
fn json_summary_and_passed_results() {
    let plain = json(&run_in(&foundation(), &["lint", "--format", "json"]));
    let workloads = plain["summary"]["workloads"].as_array().expect("workloads");
    assert!(workloads.iter().all(|w| w.get("passed").is_none()));
    let with_passed = json(&run_in(
        &foundation(),
        &["lint", "--format", "json", "--include-passed"],
    ));
    let summary = &with_passed["summary"];
    let listed: usize = summary["workloads"]
        .as_array()
        .expect("workloads")
        .iter()
        .map(|w| w["passed"].as_array().expect("passed list").len())
        .sum();
    assert_eq!(Some(listed as u64), summary["passed"].as_u64());
    let evaluated = with_passed["counts"]["evaluated"].as_u64().expect("count");
    let failed = summary["warning"].as_u64().unwrap() + summary["danger"].as_u64().unwrap();
    assert_eq!(evaluated, listed as u64 + failed, "every pair counts once");
}

#[test]
fn min_score_fails_the_run_below_the_threshold() {
    let temp = tempfile::tempdir().expect("temp dir");
    fs::write(
        temp.path().join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  containers:\n  - {name: c, image: nginx:1.27}\n",
    )
    .expect("fixture written");
    let dir = temp.path();
    let lenient = ["lint", "--fail-on", "never", "--format", "summary"];
    let output = run_in(dir, &lenient);
    assert_eq!(output.status.code(), Some(0));
    let score: u32 = stdout(&output)
        .split_whitespace()
        .nth(2)
        .and_then(|s| s.strip_suffix("/100,"))
        .and_then(|s| s.parse().ok())
        .expect("score on the first line");
    let at = score.to_string();
    let above = (score + 1).to_string();
    let passing = run_in(dir, &[&lenient[..], &["--min-score", &at]].concat());
    assert_eq!(
        passing.status.code(),
        Some(0),
        "score {score} is not below {at}"
    );
    let failing = run_in(dir, &[&lenient[..], &["--min-score", &above]].concat());
    assert_eq!(
        failing.status.code(),
        Some(1),
        "score {score} is below {above}"
    );
}

#[test]
fn several_outputs_in_one_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let output = run_in(
        &foundation(),
        &[
            "lint",
            "--format",
            "line",
            "--output-sarif",
            &path("k.sarif"),
            "--output-html",
            &path("k.html"),
            "--output-json",
            &path("k.json"),
            "--output-summary",
            &path("k.txt"),
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stdout(&output).contains("[hostNetworkSet]"),
        "line on stdout"
    );
    let sarif: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(path("k.sarif")).expect("sarif")).expect("json");
    assert_eq!(sarif["version"], "2.1.0");
    let report: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(path("k.json")).expect("json")).expect("json");
    assert_eq!(
        sarif["runs"][0]["results"].as_array().map(Vec::len),
        report["findings"].as_array().map(Vec::len)
    );
    assert!(
        fs::read_to_string(path("k.html"))
            .expect("html")
            .starts_with("<!DOCTYPE html>")
    );
    assert!(
        fs::read_to_string(path("k.txt"))
            .expect("summary")
            .starts_with("Health score ")
    );
}

#[test]
fn events_for_a_named_object() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("events.json");
    let output = run_in(
        &foundation(),
        &[
            "lint",
            "--events",
            &file.to_string_lossy(),
            "--events-for",
            "CronJob/ops/kubepatrol",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let mut events: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&file).expect("events")).expect("json");
    for item in events["items"].as_array_mut().expect("items") {
        assert!(
            item["metadata"]["name"]
                .as_str()
                .is_some_and(|name| name.starts_with("kubepatrol.kubepatrol-"))
        );
        for key in ["firstTimestamp", "lastTimestamp"] {
            assert!(
                item[key].as_str().is_some_and(|t| t.ends_with('Z')),
                "{key}"
            );
            item[key] = "<time>".into();
        }
        item["metadata"]["name"] = "<name>".into();
    }
    insta::assert_json_snapshot!(events);
}

/// Warnings only: 10 passed, 6 warnings (resources and probes), no danger.
const HARDENED_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  \
    securityContext: {runAsNonRoot: true}\n  containers:\n  - name: c\n    image: nginx:1.27\n    \
    securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}\n";

#[test]
fn the_score_of_a_hand_counted_pod() {
    let temp = tempfile::tempdir().expect("temp dir");
    fs::write(temp.path().join("pod.yaml"), HARDENED_POD).expect("fixture written");
    let report = json(&run_in(temp.path(), &["lint", "--format", "json"]));
    let summary = &report["summary"];
    assert_eq!(
        (summary["passed"].as_u64(), summary["warning"].as_u64()),
        (Some(10), Some(6))
    );
    // floor(100 × 20 / (20 + 6)) = floor(76.9) = 76, grade C.
    assert_eq!(summary["score"], 76);
    assert_eq!(summary["grade"], "C");
}

#[test]
fn no_high_risk_event_without_danger_findings() {
    let temp = tempfile::tempdir().expect("temp dir");
    fs::write(temp.path().join("pod.yaml"), HARDENED_POD).expect("fixture written");
    let file = temp.path().join("events.json");
    let output = run_in(
        temp.path(),
        &[
            "lint",
            "--events",
            &file.to_string_lossy(),
            "--events-for",
            "CronJob/ops/kubepatrol",
            "pod.yaml",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let events: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&file).expect("events")).expect("json");
    let reasons: Vec<&str> = events["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|item| item["reason"].as_str())
        .collect();
    assert_eq!(
        reasons,
        [
            "SecurityInspectorConfigAuditStart",
            "SecurityInspectorConfigAuditFinished"
        ]
    );
}

#[test]
fn events_need_a_target() {
    let output = run_in(
        &foundation(),
        &["lint", "--events", "/tmp/never-written.json"],
    );
    assert_eq!(output.status.code(), Some(2), "usage error");
}

#[test]
fn sarif_fingerprints_survive_edits_elsewhere_in_the_file() {
    let temp = tempfile::tempdir().expect("temp dir");
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  containers:\n  - {name: c, image: nginx}\n";
    let fingerprints = |text: &str| {
        fs::write(temp.path().join("pod.yaml"), text).expect("fixture written");
        let sarif = json(&run_in(temp.path(), &["lint", "--format", "sarif"]));
        let results = sarif["runs"][0]["results"]
            .as_array()
            .expect("results")
            .clone();
        let lines: Vec<_> = results
            .iter()
            .map(|r| r["locations"][0]["physicalLocation"]["region"]["startLine"].clone())
            .collect();
        let mut prints: Vec<String> = results
            .iter()
            .map(|r| r["partialFingerprints"]["kubepatrolFinding/v1"].to_string())
            .collect();
        prints.sort();
        (prints, lines)
    };
    let (before, lines_before) = fingerprints(pod);
    let (after, lines_after) = fingerprints(&format!("# a comment\n\n{pod}"));
    assert_ne!(lines_before, lines_after, "the findings moved");
    assert_eq!(before, after, "but kept their fingerprints");
    let mut unique = before.clone();
    unique.dedup();
    assert_eq!(unique.len(), before.len(), "one fingerprint per finding");
    let (renamed, _) = fingerprints(&pod.replace("name: c,", "name: d,"));
    assert_ne!(before, renamed, "the container is part of the identity");
}

/// Why a run fails is said in every format, also when only the score fails it, and a run with
/// input errors never shows a clean grade without saying that inputs failed.
#[test]
fn every_format_says_why_the_run_fails() {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(
        dir.path().join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  containers: []\n",
    )
    .expect("fixture written");
    let score_only = [
        "lint",
        "--min-score",
        "90",
        "--fail-on",
        "never",
        "pod.yaml",
    ];
    let reason = "health score 66 is below the minimum 90 (--min-score)";
    for format in [
        "line", "human", "summary", "github", "json", "sarif", "html",
    ] {
        let output = run_in(
            dir.path(),
            &[
                &score_only[..1],
                &["--format", format, "--color", "never"],
                &score_only[1..],
            ]
            .concat(),
        );
        assert_eq!(output.status.code(), Some(1), "{format}");
        let text = stdout(&output);
        assert!(text.contains(reason), "{format}: {text}");
    }

    fs::write(dir.path().join("broken.yaml"), "a: [\n").expect("fixture written");
    let output = run_in(
        dir.path(),
        &["lint", "--format", "summary", "broken.yaml", "missing.yaml"],
    );
    assert_eq!(output.status.code(), Some(2));
    let text = stdout(&output);
    assert!(text.contains("Health score 100/100, grade A+"), "{text}");
    assert!(
        text.contains("Result: fails: 2 input errors (the results cover only what could be read)"),
        "{text}"
    );
    let html = stdout(&run_in(
        dir.path(),
        &["lint", "--format", "html", "broken.yaml", "missing.yaml"],
    ));
    assert!(
        html.contains("\"code\":\"invalid-yaml\""),
        "the page lists the errors"
    );
    assert!(html.contains("\"code\":\"path-not-found\""));
}

/// Run from a subdirectory of a repository, `github` and SARIF name a file the same way: from
/// the repository root, as GitHub resolves both.
#[test]
fn github_and_sarif_paths_agree_from_a_subdirectory() {
    let repo = tempfile::tempdir().expect("temp dir");
    fs::create_dir(repo.path().join(".git")).expect("mkdir");
    let deploy = repo.path().join("deploy/bases");
    fs::create_dir_all(&deploy).expect("mkdir");
    fs::write(
        deploy.join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  containers: []\n",
    )
    .expect("fixture written");
    let from = repo.path().join("deploy");
    let github = stdout(&run_in(&from, &["lint", "--format", "github", "bases"]));
    assert!(
        github.starts_with("::error file=deploy/bases/pod.yaml,line=5,"),
        "{github}"
    );
    let sarif = json(&run_in(&from, &["lint", "--format", "sarif", "bases"]));
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "deploy/bases/pod.yaml"
    );
}
