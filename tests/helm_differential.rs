//! Differential test of the native Helm renderer against the real `helm` v3.17.1 (pinned in
//! tools/package.json, extracted to tools/helm by `.ci/run`): for every row (chart × values
//! set) of `../shared/charts/CHARTS.md`, `helm template kp CHART --namespace default [ARGS]
//! [-f VALUES]` and `kubepatrol::helm_template` must print the same documents under the same
//! `# Source:` names, each equal when parsed as YAML, and counts the rows whose whole output is
//! byte-identical. Rows whose output is not deterministic (random passwords, generated
//! certificates, checksums of them) are rendered twice by helm: the bytes helm's own two runs
//! disagree on are masked on both sides (see [`RandomSpans`]), and everything else must match
//! as it does for a deterministic row. A row helm refuses (CHARTS.md's status: a
//! values.schema.json violation) must be refused natively too. Rows that differ for a known
//! cause would be listed in `EXCEPTIONS`.

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
    let options = kubepatrol::HelmTemplateOptions {
        release: "kp".into(),
        values,
        include_crds: row.include_crds,
        ..Default::default()
    };
    kubepatrol::helm_template(&chart_dir, &options)
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

/// Where helm's own runs of a non-deterministic row disagree: per output line, nothing (the
/// runs agree) or the common prefix and suffix around the random middle. Both are cut back to
/// a delimiter, so a random character that happens to agree between two runs is not taken for
/// a fixed one (a base64 or hex run is random or fixed as a whole).
struct RandomSpans(Vec<Option<(String, String)>>);

impl RandomSpans {
    const MASK: &'static str = "<random>";

    /// `None` when the runs do not even agree on their lines (then nothing is masked).
    fn between(first: &str, second: &str) -> Option<RandomSpans> {
        let (first, second): (Vec<&str>, Vec<&str>) =
            (first.lines().collect(), second.lines().collect());
        if first.len() != second.len() {
            return None;
        }
        let spans = first
            .iter()
            .zip(&second)
            .map(|(one, other)| (one != other).then(|| Self::fixed_ends(one, other)))
            .collect();
        Some(RandomSpans(spans))
    }

    fn fixed_ends(one: &str, other: &str) -> (String, String) {
        let is_token = |byte: &u8| byte.is_ascii_alphanumeric() || b"+/=_-".contains(byte);
        let (one, other) = (one.as_bytes(), other.as_bytes());
        let mut prefix = one.iter().zip(other).take_while(|(a, b)| a == b).count();
        while prefix > 0 && is_token(&one[prefix - 1]) {
            prefix -= 1;
        }
        let room = one.len().min(other.len()) - prefix;
        let mut suffix = one
            .iter()
            .rev()
            .zip(other.iter().rev())
            .take(room)
            .take_while(|(a, b)| a == b)
            .count();
        while suffix > 0 && is_token(&one[one.len() - suffix]) {
            suffix -= 1;
        }
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        (text(&one[..prefix]), text(&one[one.len() - suffix..]))
    }

    /// `text` with each random middle replaced by a mark, where the line keeps helm's fixed ends;
    /// a line that does not is left whole, so it shows up as a difference.
    fn mask(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for (index, line) in text.lines().enumerate() {
            match self.0.get(index).and_then(Option::as_ref) {
                Some((prefix, suffix))
                    if line.len() >= prefix.len() + suffix.len()
                        && line.starts_with(prefix.as_str())
                        && line.ends_with(suffix.as_str()) =>
                {
                    out.push_str(prefix);
                    out.push_str(Self::MASK);
                    out.push_str(suffix);
                }
                _ => out.push_str(line),
            }
            out.push('\n');
        }
        out
    }
}

fn compare(expected: &str, actual: &str) -> Result<bool, String> {
    let (want, got) = (documents(expected), documents(actual));
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
    // A non-deterministic row runs helm twice, to tell its random bytes from its fixed ones.
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
                                let second_run = (!row.deterministic && !row.helm_fails)
                                    .then(|| helm_output(&helm, &charts, row));
                                (
                                    helm_output(&helm, &charts, row),
                                    second_run,
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
    let (mut identical, mut identical_but_random) = (0, 0);
    let mut failures = Vec::new();
    for (row, (expected, second_run, native)) in rows.iter().zip(&rendered) {
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
        } else if !errors.is_empty() {
            Err(format!("diagnostics: {errors:?}"))
        } else if let Some(second_run) = second_run {
            match RandomSpans::between(expected, second_run) {
                Some(spans) => {
                    compare(&spans.mask(expected), &spans.mask(&native.text)).map(|same_bytes| {
                        identical_but_random += usize::from(same_bytes);
                        false
                    })
                }
                None => Err("helm's two runs differ in their lines: nothing to mask".to_string()),
            }
        } else {
            compare(expected, &native.text)
        };
        let excepted = EXCEPTIONS.iter().any(|(number, _)| *number == row.number);
        match outcome {
            Ok(same_bytes) => {
                identical += usize::from(same_bytes);
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
        "{identical} of {} rows byte-identical to helm, and {identical_but_random} more outside \
         the bytes helm's own two runs disagree on",
        rows.len()
    );
    assert!(
        failures.is_empty(),
        "{} rows differ from helm:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn random_spans_mask_only_what_helms_runs_disagree_on() {
    let first = "kind: Secret\n  password: \"aGVsbG8x\"\n  checksum/config: 0a1b\n";
    let second = "kind: Secret\n  password: \"aGxsbG9z\"\n  checksum/config: 9a1c\n";
    let spans = RandomSpans::between(first, second).unwrap();
    // The agreeing "aG" and "1" are inside random runs: masked with them, not kept as fixed.
    let masked = "kind: Secret\n  password: \"<random>\"\n  checksum/config: <random>\n";
    assert_eq!(spans.mask(first), masked);
    assert_eq!(
        spans.mask("kind: Secret\n  password: \"eHh4eA==\"\n  checksum/config: ffff\n"),
        masked
    );
    // Fixed bytes still count: another key, or another kind, is not hidden.
    assert_eq!(
        spans.mask("kind: Secret\n  passwd: \"eHh4eA==\"\n  checksum/config: ffff\n"),
        "kind: Secret\n  passwd: \"eHh4eA==\"\n  checksum/config: <random>\n"
    );
    assert_eq!(
        spans.mask("kind: ConfigMap\n").lines().next(),
        Some("kind: ConfigMap")
    );
    assert!(RandomSpans::between("a\n", "a\nb\n").is_none());
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
        let options = kubepatrol::HelmTemplateOptions {
            release: "kp".into(),
            ..Default::default()
        };
        let native = kubepatrol::helm_template(chart, &options);
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
