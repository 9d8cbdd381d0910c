//! The reports checked by the tools their consumers use: the official SARIF Multitool (with
//! GitHub's ingestion rules) and headless Chromium driving the HTML report. `.ci/run` installs
//! both; without them a local run skips these tests with a message, but under `CI` a missing
//! tool fails the test.

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
use std::process::Command;

use common::{fixtures, required_tool, run_in};

fn multitool() -> Option<PathBuf> {
    required_tool(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"),
        "run `npm ci --prefix tools` (as .ci/run does)",
    )
}

fn chromium() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("chromium"))
            .find(|candidate| candidate.exists())
    });
    required_tool(
        found.unwrap_or_else(|| PathBuf::from("chromium")),
        "install Debian's `chromium` package (as .ci/run does)",
    )
}

#[test]
fn sarif_passes_the_multitool_with_github_rules() {
    let Some(multitool) = multitool() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let sarif = dir.path().join("kubepatrol.sarif");
    // Both fixture sets: input errors, aliases, every check, pod and container level.
    let output = run_in(
        &fixtures(),
        &["lint", "--output-sarif", &sarif.to_string_lossy(), "."],
    );
    assert_eq!(
        output.status.code(),
        Some(2),
        "the fixtures hold input errors"
    );
    let produced: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&sarif).expect("sarif")).expect("json");
    let suppressed = produced["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|result| result["suppressions"][0]["kind"] == "inSource")
        .count();
    assert!(
        suppressed > 0,
        "annotation-suppressed findings are in the log"
    );
    let log = dir.path().join("validation.sarif");
    let validation = Command::new(multitool)
        .args(["validate", "--rule-kind", "Gh;Sarif", "--output"])
        .arg(&log)
        .arg(&sarif)
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .output()
        .expect("the multitool runs");
    let console = String::from_utf8_lossy(&validation.stdout);
    assert!(validation.status.success(), "{console}");
    let results: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&log).expect("validation log")).expect("json");
    let complaints: Vec<String> = results["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|result| result["level"] != "note" && result["kind"] != "pass")
        .map(|result| format!("{} {}", result["ruleId"], result["message"]))
        .collect();
    assert!(
        complaints.is_empty(),
        "errors and warnings: {complaints:#?}"
    );
    let notifications = &results["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert!(
        notifications.as_array().is_none_or(Vec::is_empty),
        "{notifications}"
    );
}

/// The page after its script ran, as Chromium sees it at `fragment`.
fn rendered_dom(chromium: &Path, page: &Path, fragment: &str) -> String {
    let profile = tempfile::tempdir().expect("profile dir");
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}{fragment}", page.display()))
        .output()
        .expect("chromium runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The workload rows the filters left visible, and the count the page shows.
fn visible_rows(dom: &str) -> (usize, usize) {
    let rows = dom
        .split("<tr class=\"workload")
        .skip(1)
        .filter(|row| {
            let tag_end = row.find('>').unwrap_or(row.len());
            !row[..tag_end].contains("hidden")
        })
        .count();
    let shown = dom
        .split("data-visible=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|count| count.parse().ok())
        .expect("the page shows a count");
    (rows, shown)
}

#[test]
fn html_report_filters_in_chromium() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let page = dir.path().join("report.html");
    let checks = fixtures().join("checks");
    run_in(
        &checks,
        &[
            "lint",
            "--format",
            "json",
            "--output-html",
            &page.to_string_lossy(),
            ".",
        ],
    );
    let report = common::json(&run_in(&checks, &["lint", "--format", "json", "."]));
    let workloads = report["summary"]["workloads"]
        .as_array()
        .expect("workloads");
    let total = workloads.len();
    let failed = |w: &serde_json::Value| {
        ["pod", "container"]
            .iter()
            .any(|level| w[level]["warning"] != 0 || w[level]["danger"] != 0)
    };
    let risky = workloads.iter().filter(|w| failed(w)).count();
    let jobs = workloads
        .iter()
        .filter(|w| w["object"]["kind"] == "Job")
        .count();
    let system = workloads
        .iter()
        .filter(|w| w["object"]["namespace"] == "kube-system")
        .count();
    assert!(0 < jobs && jobs < total && 0 < system && risky < total);

    let all = rendered_dom(&chromium, &page, "");
    assert_eq!(visible_rows(&all), (total, total));
    assert!(all.contains("id=\"score\""), "the gauge is drawn");
    assert!(
        !all.contains("class=\"yaml-line"),
        "YAML views are built only on demand"
    );

    let only_risky = rendered_dom(&chromium, &page, "#risk=1");
    assert_eq!(visible_rows(&only_risky), (risky, risky));
    let only_jobs = rendered_dom(&chromium, &page, "#kind=Job");
    assert_eq!(visible_rows(&only_jobs), (jobs, jobs));
    let namespace = rendered_dom(&chromium, &page, "#namespace=kube-system");
    assert_eq!(visible_rows(&namespace), (system, system));

    // Opening a risky workload shows its checks and its YAML with the lines marked.
    let first_risky = workloads
        .iter()
        .position(|w| failed(w) && w["container"]["passed"] != 0)
        .expect("a risky workload with passed checks");
    let opened = rendered_dom(&chromium, &page, &format!("#open={first_risky}&yaml=1"));
    assert!(opened.contains("class=\"detail\""), "the detail row opened");
    assert!(
        opened.contains("class=\"yaml-line hit\""),
        "offending lines are marked"
    );
    assert!(
        opened.contains("class=\"check passed\""),
        "passed checks are listed"
    );
}

/// The report data of an HTML page.
fn page_data(page: &str) -> serde_json::Value {
    let marker = r#"<script type="application/json" id="report-data">"#;
    let start = page.find(marker).expect("data script") + marker.len();
    let end = start + page[start..].find("</script>").expect("end of data");
    serde_json::from_str(&page[start..end]).expect("data is JSON")
}

#[test]
fn html_report_lists_objects_that_only_policies_check() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let page = dir.path().join("report.html");
    let policies = fixtures().join("policies");
    let output = run_in(&policies, &["lint", "--format", "html", "."]);
    let html = String::from_utf8_lossy(&output.stdout).into_owned();
    std::fs::write(&page, &html).expect("write the page");
    let data = page_data(&html);
    let rows = data["workloads"].as_array().expect("rows");
    let service = rows
        .iter()
        .position(|row| row["kind"] == "Service")
        .expect("the Service a policy judged is a row");

    let all = rendered_dom(&chromium, &page, "");
    assert_eq!(visible_rows(&all), (rows.len(), rows.len()));
    assert!(all.contains("<h2>Checked objects</h2>"), "{all}");
    let services = rendered_dom(&chromium, &page, "#kind=Service");
    assert_eq!(visible_rows(&services), (1, 1));
    // Its detail names the policy rule, at the level of the whole object.
    let opened = rendered_dom(&chromium, &page, &format!("#open={service}"));
    assert!(
        opened.contains("<td>restrict-node-port/validate-nodeport</td>"),
        "{opened}"
    );
    assert!(opened.contains("<td>object</td>"), "{opened}");
}
