//! Values sets (`charts:` in `.kubepatrol.yaml`): each set renders the chart as `helm template`
//! would with the same `-f`, `--set`, release name, `--namespace`, `--kube-version` and
//! `--api-versions` (compared with the real helm v3.17.1 on the fixture chart and on charts of
//! `../shared/charts`), every format names the set a finding came through, findings point at
//! the override file or configuration line that wrote a value, and configuration mistakes are
//! errors at their line.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{fixtures, json, required_tool, run_in, stdout};
use kubepatrol::source::FileId;
use kubepatrol::yaml::{Limits, parse, to_json};

fn values_fixture() -> PathBuf {
    fixtures().join("helm-values")
}

/// One `helm template` run: the chart (relative to `root`) and its arguments.
struct Case {
    root: PathBuf,
    chart: &'static str,
    release: &'static str,
    namespace: Option<&'static str>,
    values: &'static [&'static str],
    set: &'static [&'static str],
    kube_version: Option<&'static str>,
    api_versions: &'static [&'static str],
}

impl Case {
    fn fixture(set: &'static [&'static str]) -> Case {
        Case {
            root: values_fixture(),
            chart: "charts/web",
            release: "shop",
            namespace: None,
            values: &[],
            set,
            kube_version: None,
            api_versions: &[],
        }
    }

    fn helm(&self, helm: &Path) -> String {
        let mut command = Command::new(helm);
        command
            .current_dir(&self.root)
            .args(["template", self.release, self.chart]);
        command.args(["--namespace", self.namespace.unwrap_or("default")]);
        for values in self.values {
            command.args(["-f", &format!("{}/{values}", self.chart)]);
        }
        for set in self.set {
            command.args(["--set", set]);
        }
        if let Some(version) = self.kube_version {
            command.args(["--kube-version", version]);
        }
        for version in self.api_versions {
            command.args(["--api-versions", version]);
        }
        let output = command.output().expect("helm runs");
        assert!(
            output.status.success(),
            "helm: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("utf-8")
    }

    fn native(&self) -> kubepatrol::HelmTemplate {
        let chart = self.root.join(self.chart);
        let options = kubepatrol::HelmTemplateOptions {
            release: self.release.into(),
            namespace: self.namespace.map(str::to_owned),
            values: self
                .values
                .iter()
                .map(|values| chart.join(values))
                .collect(),
            set: self.set.iter().map(|set| (*set).to_owned()).collect(),
            kube_version: self.kube_version.map(str::to_owned),
            api_versions: self
                .api_versions
                .iter()
                .map(|version| (*version).to_owned())
                .collect(),
            include_crds: false,
        };
        kubepatrol::helm_template(&chart, &options)
    }
}

/// The documents of a `helm template` output: (source, document as JSON), in order.
fn documents(text: &str) -> Vec<(String, serde_json::Value)> {
    let mut out = Vec::new();
    for piece in text.split("---\n# Source: ").skip(1) {
        let (source, body) = piece.split_once('\n').unwrap_or((piece, ""));
        for document in parse(FileId(0), body, Limits::default()).documents {
            out.push((source.to_string(), to_json(&document.root).unwrap()));
        }
    }
    out
}

fn shared_chart_root() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/charts");
    if root.join("CHARTS.md").is_file() {
        return Some(root);
    }
    eprintln!("SKIPPED: chart corpus not found at {}", root.display());
    None
}

#[test]
fn values_sets_render_as_helm_renders_them() {
    let Some(helm) = required_tool(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tools/helm"),
        "run .ci/run (it extracts helm v3.17.1 from tools/node_modules)",
    ) else {
        return;
    };
    let mut cases = vec![
        Case {
            namespace: Some("production"),
            values: &["ci/prod-values.yaml"],
            kube_version: Some("1.29"),
            api_versions: &["monitoring.coreos.com/v1"],
            ..Case::fixture(&[
                "replicas=3,image.tag=1.27.3",
                "extraArgs={--verbose,--port=8080}",
            ])
        },
        Case::fixture(&[
            r"annotations.example\.com/owner=team\,web,securityContext.privileged=true",
        ]),
        // Typing and nesting as strvals does them: ints, `0`, leading zeros, booleans in any
        // case, null deleting a default, lists grown with nulls, escapes, an empty value.
        Case::fixture(&[
            "replicas=null,image.tag=012,a=0,b=-5,c=TRUE,d=1.5,e=,f={}",
            "list[2].name=x,list[0]=y,nested[1][1]=z",
            r"esc=a\,b\.c,brace=\{x}",
        ]),
        Case {
            kube_version: Some("v1.30.2-eks.1+meta"),
            ..Case::fixture(&["image.repository=other"])
        },
    ];
    if let Some(shared) = shared_chart_root() {
        cases.push(Case {
            root: shared.clone(),
            chart: "prometheus-community__helm-charts/charts/kube-state-metrics",
            release: "ksm",
            namespace: Some("monitoring"),
            values: &[
                "ci/03-servicemonitor-values.yaml",
                "ci/04-self-monitor-values.yaml",
            ],
            set: &["replicas=2,image.tag=v2.10.0", "podAnnotations.team=obs"],
            kube_version: Some("1.27.4"),
            api_versions: &["monitoring.coreos.com/v1"],
        });
        cases.push(Case {
            root: shared.clone(),
            chart: "kubernetes__ingress-nginx/charts/ingress-nginx",
            release: "edge",
            namespace: Some("ingress"),
            values: &["ci/controller-daemonset-metrics-values.yaml"],
            set: &["controller.replicaCount=3,controller.image.digest="],
            kube_version: Some("1.25.0"),
            api_versions: &["monitoring.coreos.com/v1", "autoscaling/v2beta2"],
        });
        // A subchart enabled and configured from the parent, and `global` values.
        cases.push(Case {
            root: shared.clone(),
            chart: "argoproj__argo-helm/charts/argo-cd",
            release: "argo",
            namespace: Some("argocd"),
            values: &[],
            set: &[
                "redis-ha.enabled=true,redis-ha.haproxy.replicas=2",
                "global.domain=argo.example.com,global.logging.level=debug",
            ],
            kube_version: Some("1.30.1"),
            api_versions: &["monitoring.coreos.com/v1"],
        });
        cases.push(Case {
            root: shared,
            chart: "prometheus-community__helm-charts/charts/prometheus-node-exporter",
            release: "nodes",
            namespace: None,
            values: &["ci/port-values.yaml"],
            set: &["hostNetwork=false,tolerations[0].operator=Exists"],
            kube_version: None,
            api_versions: &[],
        });
    }
    let mut identical = 0;
    for case in &cases {
        let expected = case.helm(&helm);
        let native = case.native();
        let label = format!("{} {:?} {:?}", case.chart, case.values, case.set);
        assert!(
            native.diagnostics.is_empty(),
            "{label}: {:?}",
            native.diagnostics
        );
        assert_eq!(
            documents(&native.text),
            documents(&expected),
            "{label}: documents differ"
        );
        identical += usize::from(native.text == expected);
    }
    assert_eq!(identical, cases.len(), "every case is byte-identical");
}

#[test]
fn lint_names_the_values_set_of_each_finding() {
    let output = run_in(&values_fixture(), &["lint", "--format", "line", "."]);
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn a_values_sets_file_named_alone_is_linted_through_its_chart() {
    let whole = run_in(&values_fixture(), &["lint", "--format", "line", "."]);
    let named = run_in(
        &values_fixture(),
        &["lint", "--format", "line", "charts/web/ci/prod-values.yaml"],
    );
    assert_eq!(stdout(&named), stdout(&whole));
}

#[test]
fn human_output_names_the_values_set() {
    let output = run_in(
        &values_fixture(),
        &["lint", "--format", "human", "--color", "never", "."],
    );
    insta::assert_snapshot!(stdout(&output));
}

/// `(file, line, column)` of each finding of `check` in the JSON report, with its values set.
fn placed(report: &serde_json::Value, check: &str) -> Vec<(String, String, u64, u64)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["check"] == check)
        .map(|finding| {
            (
                finding["valuesSet"].as_str().unwrap_or("").to_owned(),
                finding["file"].as_str().unwrap().to_owned(),
                finding["start"]["line"].as_u64().unwrap(),
                finding["start"]["column"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn override_files_and_set_values_are_where_findings_point() {
    let report = json(&run_in(
        &values_fixture(),
        &["lint", "--format", "json", "."],
    ));
    // `allowPrivilegeEscalation: true` in the prod set's -f file overrides values.yaml's
    // `false`: the finding points at the -f file. The debug set's `privileged: true`, from its
    // `set` mapping, points at that configuration line. The default render has no finding.
    assert_eq!(
        placed(&report, "privilegeEscalationAllowed"),
        [
            ("debug".into(), ".kubepatrol.yaml".into(), 15, 39),
            (
                "prod".into(),
                "charts/web/ci/prod-values.yaml".into(),
                4,
                29
            ),
        ]
    );
    // `securityContext.privileged: true` from the debug set's `set` mapping: its config line.
    assert_eq!(
        placed(&report, "runAsPrivileged"),
        [("debug".into(), ".kubepatrol.yaml".into(), 15, 39)]
    );
    // `image.tag=1.27.3` fixes the prod set's tag; the others keep `latest`.
    let tags: Vec<String> = placed(&report, "tagNotSpecified")
        .into_iter()
        .map(|(set, ..)| set)
        .collect();
    assert_eq!(tags, ["", "debug"]);
}

#[test]
fn every_format_names_the_values_set() {
    let formats = ["sarif", "github", "junit", "gitlab", "html", "summary"];
    for format in formats {
        let output = run_in(&values_fixture(), &["lint", "--format", format, "."]);
        let text = stdout(&output);
        assert!(
            text.contains("charts/web/Chart.yaml (values set prod)"),
            "{format} does not name the values set"
        );
    }
}

#[test]
fn baselines_keep_values_sets_apart() {
    let recorded = run_in(&values_fixture(), &["baseline", "."]);
    assert_eq!(recorded.status.code(), Some(0));
    let baseline = json(&recorded);
    let entries = baseline["findings"].as_array().unwrap();
    let liveness: Vec<(&str, Option<&str>)> = entries
        .iter()
        .filter(|entry| entry["check"] == "livenessProbeMissing")
        .map(|entry| {
            (
                entry["fingerprint"].as_str().unwrap(),
                entry["valuesSet"].as_str(),
            )
        })
        .collect();
    assert_eq!(liveness.len(), 3, "{liveness:?}");
    let mut fingerprints: Vec<&str> = liveness.iter().map(|(print, _)| *print).collect();
    fingerprints.dedup();
    assert_eq!(fingerprints.len(), 3, "each render its own fingerprint");
}

/// The configuration in `dir` (written by the test) linted: exit code and line output.
fn lint_with_config(config: &str) -> (Option<i32>, String) {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "kubepatrol-values-sets-{}-{run}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let chart = dir.join("charts/web");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::create_dir(dir.join(".git")).unwrap();
    for file in ["Chart.yaml", "values.yaml", "templates/deployment.yaml"] {
        std::fs::copy(
            values_fixture().join("charts/web").join(file),
            chart.join(file),
        )
        .unwrap();
    }
    std::fs::write(dir.join(".kubepatrol.yaml"), config).unwrap();
    let output = run_in(&dir, &["lint", "--format", "line", "."]);
    let _ = std::fs::remove_dir_all(&dir);
    (output.status.code(), stdout(&output))
}

#[test]
fn set_values_point_at_their_text_in_the_configuration() {
    let config = "charts:\n  - path: charts/*\n    renderDefault: false\n    valuesSets:\n      - name: ci\n        set: [\"image.tag=1.0,securityContext.privileged=true\"]\n";
    let (_, text) = lint_with_config(config);
    let line = config
        .lines()
        .position(|line| line.contains("privileged="))
        .unwrap()
        + 1;
    let column = config.lines().nth(line - 1).unwrap().find("true").unwrap() + 1;
    let privileged: Vec<&str> = text
        .lines()
        .filter(|finding| finding.ends_with("[runAsPrivileged]"))
        .collect();
    assert_eq!(privileged.len(), 1, "{text}");
    assert!(
        privileged[0].starts_with(&format!(".kubepatrol.yaml:{line}:{column}: danger:")),
        "{text}"
    );
}

#[test]
fn configuration_mistakes_are_errors_at_their_line() {
    let (code, text) = lint_with_config(
        "charts:\n  - path: \"charts/[\"\n    valuesSets:\n      - name: a\n        set: [\"a\", \"b={x\"]\n        colour: red\n  - valuesSets: []\n",
    );
    assert_eq!(code, Some(2));
    insta::assert_snapshot!("config_errors", text);
    let (code, text) = lint_with_config(
        "charts:\n  - path: charts/*\n    renderDefault: false\n    valuesSets:\n      - name: prod\n        valuesFiles: [missing.yaml]\n        kubeVersion: banana\n        set: [\"image=flat\", \"image.tag=x\"]\n",
    );
    assert_eq!(code, Some(2));
    insta::assert_snapshot!("render_errors", text);
    // Helm refuses a kube version the chart's `kubeVersion` excludes; the render is still linted.
    let (code, text) = lint_with_config(
        "charts:\n  - path: charts/*\n    valuesSets:\n      - name: old\n        kubeVersion: \"1.25\"\n",
    );
    assert_eq!(code, Some(2));
    assert!(
        text.starts_with(
            "charts/web/Chart.yaml:4:14: error: chart requires kubeVersion: >=1.27.0-0 which is \
             incompatible with Kubernetes v1.25.0 (values set `old`) [helm-chart-error]\n"
        ),
        "{text}"
    );
    let (code, text) = lint_with_config("charts:\n  - path: charts/*\n    renderDefault: false\n");
    assert_eq!(code, Some(0));
    assert_eq!(
        text,
        "charts/web/Chart.yaml:1:1: note: not rendered: the configuration turns off this chart's \
         default render (`renderDefault: false`) and names no values set for it \
         [helm-chart-error]\n"
    );
}
