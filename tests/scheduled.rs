//! The scheduled inspection (docs/scheduled-inspection.md): the example workflow validated like
//! action.yml, the in-cluster CronJob and its least-privilege RBAC linted by kubepatrol itself,
//! and a realistic `kubectl get -o yaml` dump through `lint -` with the inspection's events.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{fixtures, json, required_tool, run_in, stdout};
use kubepatrol::model::kinds::KNOWN_KINDS;
use kubepatrol::source::FileId;
use kubepatrol::yaml::{self, Limits};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scheduled-inspection")
}

#[test]
fn the_example_workflow_matches_the_schema() {
    let Some(validator) = required_tool(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/node_modules/.bin/action-validator"),
        "run `npm ci --prefix tools` (as .ci/run does)",
    ) else {
        return;
    };
    let workflow = examples().join("github-workflow.yml");
    let checked = Command::new(&validator).arg(&workflow).output().unwrap();
    assert!(
        checked.status.success(),
        "{}{}",
        stdout(&checked),
        String::from_utf8_lossy(&checked.stderr)
    );
    // The validator reads it as a workflow and can reject one: a job needs `runs-on`.
    let broken = tempfile::tempdir().unwrap();
    let text = fs::read_to_string(&workflow).unwrap();
    let without_runner = text.replace("    runs-on: ubuntu-latest\n", "");
    assert_ne!(text, without_runner);
    let copy = broken.path().join("github-workflow.yml");
    fs::write(&copy, without_runner).unwrap();
    let rejected = Command::new(&validator).arg(&copy).output().unwrap();
    assert!(!rejected.status.success());
    let complaint = String::from_utf8_lossy(&rejected.stderr);
    assert!(complaint.contains("/jobs/inspect/runs-on"), "{complaint}");
}

/// (API group, resource) of each of Kubernetes' own kinds in the table of inspected kinds; a
/// row added to the table without a line here fails the test, so the RBAC cannot fall behind.
fn resource_of(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "Pod" => ("", "pods"),
        "PodTemplate" => ("", "podtemplates"),
        "ReplicationController" => ("", "replicationcontrollers"),
        "Deployment" => ("apps", "deployments"),
        "ReplicaSet" => ("apps", "replicasets"),
        "StatefulSet" => ("apps", "statefulsets"),
        "DaemonSet" => ("apps", "daemonsets"),
        "Job" => ("batch", "jobs"),
        "CronJob" => ("batch", "cronjobs"),
        other => panic!("no resource known for the inspected kind {other}"),
    }
}

/// Every (group, resource) the in-cluster inspection must read: Kubernetes' own workload kinds
/// and the RBAC bindings the anonymous-user check inspects.
fn inspected_resources() -> BTreeSet<(String, String)> {
    let rbac = "rbac.authorization.k8s.io";
    KNOWN_KINDS
        .iter()
        .filter(|known| known.group.is_none())
        .map(|known| resource_of(known.kind))
        .chain([(rbac, "rolebindings"), (rbac, "clusterrolebindings")])
        .map(|(group, resource)| (group.to_owned(), resource.to_owned()))
        .collect()
}

fn documents(path: &Path) -> Vec<serde_json::Value> {
    let text = fs::read_to_string(path).unwrap();
    let parsed = yaml::parse(FileId(0), &text, Limits::default());
    assert!(parsed.errors.is_empty());
    parsed
        .documents
        .iter()
        .map(|document| yaml::to_json(&document.root).unwrap())
        .collect()
}

#[test]
fn the_cronjob_and_its_rbac_pass_kubepatrol_and_grant_only_reading_and_events() {
    let manifest = examples().join("kubepatrol-inspector.yaml");
    let output = run_in(
        &examples(),
        &["lint", "--format", "json", "kubepatrol-inspector.yaml"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let report = json(&output);
    assert_eq!(report["findings"], serde_json::json!([]));
    assert_eq!(report["suppressed"], serde_json::json!([]));

    let documents = documents(&manifest);
    let of_kind = |kind: &str| {
        let found: Vec<&serde_json::Value> = documents
            .iter()
            .filter(|document| document["kind"] == kind)
            .collect();
        assert_eq!(found.len(), 1, "one {kind}");
        found[0]
    };
    let mut granted = BTreeSet::new();
    for rule in of_kind("ClusterRole")["rules"].as_array().unwrap() {
        let strings = |key: &str| -> Vec<String> {
            let values = rule[key].as_array().unwrap();
            values
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect()
        };
        assert!(rule.get("resourceNames").is_none() && rule.get("nonResourceURLs").is_none());
        for group in strings("apiGroups") {
            for resource in strings("resources") {
                for verb in strings("verbs") {
                    granted.insert((group.clone(), resource.clone(), verb));
                }
            }
        }
    }
    let mut expected: BTreeSet<(String, String, String)> = inspected_resources()
        .into_iter()
        .flat_map(|(group, resource)| {
            ["get", "list"].map(|verb| (group.clone(), resource.clone(), verb.to_owned()))
        })
        .collect();
    expected.insert((String::new(), "events".into(), "create".into()));
    assert_eq!(granted, expected);

    let binding = of_kind("ClusterRoleBinding");
    assert_eq!(
        binding["roleRef"]["name"],
        of_kind("ClusterRole")["metadata"]["name"]
    );
    assert_eq!(
        binding["subjects"][0]["name"],
        of_kind("ServiceAccount")["metadata"]["name"]
    );

    // The CronJob lists exactly what the role may read.
    let script = of_kind("CronJob")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        ["containers"][0]["args"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let listed = script
        .split_whitespace()
        .find(|word| word.starts_with("pods,"))
        .expect("the kubectl get resource list");
    let listed: BTreeSet<(String, String)> = listed
        .split(',')
        .map(|resource| match resource.split_once('.') {
            Some((resource, group)) => (group.to_owned(), resource.to_owned()),
            None => (String::new(), resource.to_owned()),
        })
        .collect();
    assert_eq!(listed, inspected_resources());
}

/// `kubepatrol lint ARGS --stdin-filename cluster.yaml -` on the `kubectl get` dump, in `dir`.
fn lint_dump(dir: &Path, args: &[&str]) -> std::process::Output {
    let dump = fs::read(fixtures().join("cluster/kubectl-get.yaml")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubepatrol"))
        .arg("lint")
        .args(args)
        .args(["--stdin-filename", "cluster.yaml", "-"])
        .current_dir(dir)
        .env("COLUMNS", "120")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&dump).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_cluster_dump_reports_each_workload_once_with_the_events() {
    let temp = tempfile::tempdir().unwrap();
    let events_file = temp.path().join("events.yaml");
    let events_option = events_file.to_str().unwrap();
    let output = lint_dump(
        temp.path(),
        &[
            "--format",
            "line",
            "--events",
            events_option,
            "--events-for",
            "CronJob/kubepatrol/kubepatrol-inspector",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    insta::assert_snapshot!(stdout(&output));
    // People read the owned object's findings under their own heading.
    let human = stdout(&lint_dump(temp.path(), &["--format", "human"]));
    let headings: Vec<&str> = human.lines().filter(|line| line.contains('×')).collect();
    assert_eq!(
        headings,
        [
            "  × Deployment shop/web: 2 danger, 7 warning",
            "  × Deployment shop/web, in its Pod shop/web-7c9d8b6f4-m7tzd: 3 danger, 1 warning",
            "  × Pod default/toolbox: 4 danger, 7 warning",
            "  × ClusterRoleBinding metrics-reader-public: 1 danger",
        ]
    );

    let mut events: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&events_file).unwrap()).unwrap();
    for item in events["items"].as_array_mut().unwrap() {
        for key in ["firstTimestamp", "lastTimestamp"] {
            item[key] = "<time>".into();
        }
        item["metadata"]["name"] = "<name>".into();
    }
    insta::assert_json_snapshot!(events);
}
