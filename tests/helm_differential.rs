//! Differential test of the native Helm renderer against the real `helm` v3.17.1 (pinned in
//! tools/package.json, extracted to tools/helm by `.ci/run`): for every row (chart × values
//! set) of `../shared/charts/CHARTS.md`, `helm template kp CHART --namespace default [ARGS]
//! [-f VALUES]` and `kubepatrol::helm_template` must print the same documents under the same
//! `# Source:` names, each equal when parsed as YAML. Rows whose output is not deterministic
//! (random passwords, generated certificates) are compared by the identity of each document.
//! A row helm refuses (CHARTS.md's status: a values.schema.json violation) must be refused
//! natively too. Rows that differ for a known cause would be listed in `EXCEPTIONS`; the test
//! also reports how many rows are byte-identical (every deterministic row helm renders is,
//! today). A row with random output must be identical but for the lines helm's own two runs
//! of the row disagree on (helm renders it twice), and the test counts those rows too.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::required_tool;
use kubepatrol::source::FileId;
use kubepatrol::yaml::{Limits, parse, to_json};

/// Rows known to differ, with the cause.
/// None today: every row helm renders renders the same natively.
const EXCEPTIONS: &[(usize, &str)] = &[];

struct Row {
    number: usize,
    chart: String,
    values: Option<String>,
    include_crds: bool,
    deterministic: bool,
    /// Helm refuses the row (CHARTS.md's status is an error).
    helm_fails: bool,
}

fn charts_dir() -> Option<PathBuf> {
    let path = std::env::var_os("KUBEPATROL_CORPUS")
        .map(|corpus| PathBuf::from(corpus).join("../charts"))
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/charts"));
    if path.join("CHARTS.md").is_file() {
        return Some(path);
    }
    assert!(
        std::env::var_os("KUBEPATROL_REQUIRE_CORPUS").is_none(),
        "the chart corpus is required but missing at {}",
        path.display()
    );
    eprintln!("SKIPPED: chart corpus not found at {}", path.display());
    None
}

fn rows(charts: &Path) -> Vec<Row> {
    let table = std::fs::read_to_string(charts.join("CHARTS.md")).expect("CHARTS.md");
    table
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let number: usize = cells.get(1)?.parse().ok()?;
            let chart = cells.get(2)?.trim_matches('`').to_string();
            let values = cells
                .get(3)
                .filter(|values| values.starts_with('`'))
                .map(|values| values.trim_matches('`').to_string());
            Some(Row {
                number,
                chart,
                values,
                include_crds: cells.get(4)?.contains("--include-crds"),
                deterministic: cells.get(9)? == &"yes",
                helm_fails: cells.get(5)?.starts_with("error"),
            })
        })
        .collect()
}

fn native_output(charts: &Path, row: &Row) -> kubepatrol::HelmTemplate {
    let chart_dir = charts.join(&row.chart);
    let values: Vec<PathBuf> = row
        .values
        .iter()
        .map(|values| chart_dir.join(values))
        .collect();
    kubepatrol::helm_template(&chart_dir, "kp", &values, row.include_crds)
}

fn helm_output(helm: &Path, charts: &Path, row: &Row) -> String {
    let mut command = Command::new(helm);
    command
        .current_dir(charts)
        .args(["template", "kp", &row.chart, "--namespace", "default"]);
    if row.include_crds {
        command.arg("--include-crds");
    }
    if let Some(values) = &row.values {
        command.args(["-f", &format!("{}/{values}", row.chart)]);
    }
    let output = bounded(command);
    assert_eq!(
        output.status.success(),
        !row.helm_fails,
        "row {}: helm: {}",
        row.number,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

/// How long one `helm template` may take before the test fails instead of hanging.
const HELM_TIMEOUT_SECONDS: &str = "300";

/// Run helm under coreutils' `timeout` (killed 10 s after the limit if it ignores the
/// signal), with no standard input to wait on: a test that runs helm cannot hang.
fn bounded(command: Command) -> std::process::Output {
    let mut bounded = Command::new("timeout");
    bounded
        .args(["--kill-after=10", HELM_TIMEOUT_SECONDS])
        .arg(command.get_program())
        .args(command.get_args())
        .stdin(Stdio::null());
    if let Some(dir) = command.get_current_dir() {
        bounded.current_dir(dir);
    }
    let output = bounded.output().expect("timeout runs helm");
    assert_ne!(
        output.status.code(),
        Some(124),
        "helm {:?} did not finish within {HELM_TIMEOUT_SECONDS} s",
        command.get_args().collect::<Vec<_>>()
    );
    output
}

/// The documents of a `helm template` output: (source, document parsed to JSON) in order.
fn documents(text: &str) -> Vec<(String, serde_json::Value)> {
    let mut out = Vec::new();
    for piece in text.split("---\n# Source: ").skip(1) {
        let (source, body) = piece.split_once('\n').unwrap_or((piece, ""));
        let parsed = parse(FileId(0), body, Limits::default());
        for document in parsed.documents {
            out.push((
                source.to_string(),
                to_json(&document.root).unwrap_or(serde_json::Value::Null),
            ));
        }
    }
    out
}

/// What stays the same between runs of a non-deterministic chart.
fn identity(document: &serde_json::Value) -> serde_json::Value {
    serde_json::json!([
        document["apiVersion"],
        document["kind"],
        document["metadata"]["name"]
    ])
}

fn compare(row: &Row, expected: &str, actual: &str) -> Result<bool, String> {
    let (mut want, mut got) = (documents(expected), documents(actual));
    if !row.deterministic {
        want = want
            .into_iter()
            .map(|(source, document)| (source, identity(&document)))
            .collect();
        got = got
            .into_iter()
            .map(|(source, document)| (source, identity(&document)))
            .collect();
    }
    let as_set = |documents: &[(String, serde_json::Value)]| {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for (source, document) in documents {
            *counts.entry(format!("{source} {document}")).or_default() += 1;
        }
        counts
    };
    let (want_set, got_set) = (as_set(&want), as_set(&got));
    if want_set != got_set {
        let missing: Vec<&String> = want_set
            .keys()
            .filter(|key| got_set.get(*key) != want_set.get(*key))
            .take(2)
            .collect();
        let extra: Vec<&String> = got_set
            .keys()
            .filter(|key| got_set.get(*key) != want_set.get(*key))
            .take(2)
            .collect();
        let clip = |keys: Vec<&String>| {
            keys.iter()
                .map(|key| key.chars().take(300).collect::<String>())
                .collect::<Vec<_>>()
        };
        return Err(format!(
            "helm only: {:?}\nnative only: {:?}",
            clip(missing),
            clip(extra)
        ));
    }
    Ok(expected == actual)
}

/// Whether `native` equals helm's `first` output in every line that helm's `second` run of the
/// same row printed identically: only the lines random functions wrote (passwords,
/// certificates, checksums of them) may differ, and they may differ in number. A line of
/// `native` added where helm's runs agree, or a stable line changed or missing, is a difference.
fn identical_outside_random_lines(first: &str, second: &str, native: &str) -> bool {
    let random: std::collections::BTreeSet<usize> = similar::TextDiff::from_lines(first, second)
        .ops()
        .iter()
        .flat_map(|op| match op.tag() {
            similar::DiffTag::Equal => 0..0,
            _ => op.old_range(),
        })
        .collect();
    similar::TextDiff::from_lines(first, native)
        .ops()
        .iter()
        .all(|op| {
            let old = op.old_range();
            match op.tag() {
                similar::DiffTag::Equal => true,
                // An insertion is random only next to (or inside) random lines.
                similar::DiffTag::Insert => {
                    random.contains(&old.start)
                        || old
                            .start
                            .checked_sub(1)
                            .is_some_and(|before| random.contains(&before))
                }
                similar::DiffTag::Delete | similar::DiffTag::Replace => {
                    old.into_iter().all(|line| random.contains(&line))
                }
            }
        })
}

#[test]
fn native_rendering_matches_helm_on_every_chart_row() {
    let Some(charts) = charts_dir() else { return };
    let Some(helm) = required_tool(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tools/helm"),
        "run .ci/run (it extracts helm v3.17.1 from tools/node_modules)",
    ) else {
        return;
    };
    let rows = rows(&charts);
    assert!(rows.len() > 100, "CHARTS.md lists every row");
    // Both sides per row, four rows at a time: helm processes and native renders in parallel.
    // A row with random output is rendered by helm twice, to learn which lines are random.
    let rendered: Vec<(String, Option<String>, kubepatrol::HelmTemplate)> =
        std::thread::scope(|scope| {
            let chunks: Vec<_> = rows.chunks(rows.len().div_ceil(4)).collect();
            let handles: Vec<_> = chunks
                .into_iter()
                .map(|chunk| {
                    scope.spawn(|| {
                        chunk
                            .iter()
                            .map(|row| {
                                let second = (!row.deterministic && !row.helm_fails)
                                    .then(|| helm_output(&helm, &charts, row));
                                (
                                    helm_output(&helm, &charts, row),
                                    second,
                                    native_output(&charts, row),
                                )
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|handle| handle.join().expect("render thread"))
                .collect()
        });
    let mut identical = 0;
    let mut identical_but_random = 0;
    let mut failures = Vec::new();
    for (row, (expected, second, native)) in rows.iter().zip(&rendered) {
        let errors: Vec<&String> = native
            .diagnostics
            .iter()
            .map(|diagnostic| &diagnostic.message)
            .collect();
        let outcome = if row.helm_fails {
            // Helm refuses the row (a values.schema.json violation): so must the native render.
            let refused = errors
                .iter()
                .any(|message| message.contains("values.schema.json"));
            if refused {
                Ok(false)
            } else {
                Err(format!(
                    "helm refuses this row, the native render does not: {errors:?}"
                ))
            }
        } else if errors.is_empty() {
            compare(row, expected, &native.text)
        } else {
            Err(format!("diagnostics: {errors:?}"))
        };
        // A random row must be identical but for its random lines.
        let outcome = outcome.and_then(|same_bytes| match second {
            Some(second)
                if !same_bytes
                    && !identical_outside_random_lines(expected, second, &native.text) =>
            {
                Err("differs from helm in lines helm's own two runs agree on".to_string())
            }
            _ => Ok(same_bytes),
        });
        let excepted = EXCEPTIONS.iter().any(|(number, _)| *number == row.number);
        match outcome {
            Ok(same_bytes) => {
                identical += usize::from(same_bytes);
                identical_but_random += usize::from(!same_bytes && second.is_some());
                assert!(
                    !excepted,
                    "row {} is listed in EXCEPTIONS but now matches: remove it",
                    row.number
                );
            }
            Err(difference) if !excepted => failures.push(format!(
                "row {} ({} {:?}): {difference}",
                row.number, row.chart, row.values
            )),
            Err(_) => {}
        }
    }
    eprintln!(
        "{identical} of {} rows byte-identical to helm; {identical_but_random} more identical \
         but for the lines helm's own two runs disagree on",
        rows.len()
    );
    assert!(
        failures.is_empty(),
        "{} rows differ from helm:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// The fixture charts under tests/fixtures/helm-differential (functions and dependency
/// features the corpus charts do not use: `toToml`, `fromToml`, `toYamlPretty`,
/// `getHostByName`, `import-values`) render byte for byte as helm renders them.
#[test]
fn fixture_charts_render_byte_identical_to_helm() {
    let Some(helm) = required_tool(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tools/helm"),
        "run .ci/run (it extracts helm v3.17.1 from tools/node_modules)",
    ) else {
        return;
    };
    let fixtures = common::fixtures().join("helm-differential");
    let mut charts: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .expect("fixture charts")
        .map(|entry| entry.expect("entry").path())
        .collect();
    charts.sort();
    assert!(
        charts.len() >= 2,
        "fixture charts in {}",
        fixtures.display()
    );
    let mut failures = Vec::new();
    for chart in &charts {
        let mut command = Command::new(&helm);
        command
            .current_dir(chart)
            .args(["template", "kp", ".", "--namespace", "default"]);
        let output = bounded(command);
        assert!(
            output.status.success(),
            "{}: helm: {}",
            chart.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let expected = String::from_utf8(output.stdout).expect("utf-8");
        let native = kubepatrol::helm_template(chart, "kp", &[], false);
        let errors: Vec<&String> = native
            .diagnostics
            .iter()
            .map(|diagnostic| &diagnostic.message)
            .collect();
        if !errors.is_empty() || native.text != expected {
            failures.push(format!(
                "{}: diagnostics {errors:?}\n{}",
                chart.display(),
                similar::TextDiff::from_lines(&expected, &native.text)
                    .unified_diff()
                    .header("helm", "native")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn only_lines_helms_runs_disagree_on_may_differ() {
    let first = "a: 1\npassword: Qm9i\nb: 2\n";
    let second = "a: 1\npassword: WjJ4\nb: 2\n";
    assert!(identical_outside_random_lines(first, second, first));
    assert!(identical_outside_random_lines(
        first,
        second,
        "a: 1\npassword: eHh4\nextra: random\nb: 2\n"
    ));
    assert!(!identical_outside_random_lines(
        first,
        second,
        "a: 9\npassword: eHh4\nb: 2\n"
    ));
    assert!(!identical_outside_random_lines(
        first,
        second,
        "extra: 1\na: 1\npassword: eHh4\nb: 2\n"
    ));
}
