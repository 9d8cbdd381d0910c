//! The CI report formats as their consumers read them: JUnit XML validated by `xmllint` against
//! the JUnit schema Jenkins publishes and read back by the `junitparser` library from PyPI, and
//! GitLab Code Quality JSON with repository-relative paths and line-free fingerprints.
//!
//! The schema is `junit-10.xsd` of the Jenkins xUnit plugin (MIT, Gregory Boissinot), the one
//! pytest validates its own `--junitxml` output against. It is taken unmodified from pytest's
//! source distribution on PyPI (`testing/example_scripts/junit-10.xsd`), pinned by version, so
//! that the test checks against the published file and not a copy that could drift.

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

use common::{fixtures, json, run_in, stdout};

const JUNITPARSER_VERSION: &str = "5.0.3";
/// The pytest release whose source distribution carries the Jenkins JUnit schema.
const PYTEST_SDIST_VERSION: &str = "8.4.2";

/// junitparser's virtualenv Python.
fn junit_python() -> PathBuf {
    common::python_venv("junitparser", JUNITPARSER_VERSION).join("bin/python")
}

/// The Jenkins JUnit schema, extracted once from pytest's source distribution.
fn junit_schema(python: &Path) -> PathBuf {
    let dir = common::tools_dir().join(format!("pytest-sdist-{PYTEST_SDIST_VERSION}"));
    let schema = dir.join("junit-10.xsd");
    if !schema.exists() {
        let downloaded = Command::new(python)
            .args(["-m", "pip", "download", "--quiet", "--no-deps"])
            .args(["--no-binary", ":all:", "--dest"])
            .arg(&dir)
            .arg(format!("pytest=={PYTEST_SDIST_VERSION}"))
            .status()
            .expect("pip runs");
        assert!(downloaded.success(), "cannot download pytest's sdist");
        let extract = format!(
            "import tarfile,sys\n\
             with tarfile.open(sys.argv[1]) as t:\n\
             \x20   data = t.extractfile('pytest-{PYTEST_SDIST_VERSION}/testing/example_scripts/junit-10.xsd').read()\n\
             open(sys.argv[2], 'wb').write(data)\n"
        );
        let extracted = Command::new(python)
            .args(["-c", &extract])
            .arg(dir.join(format!("pytest-{PYTEST_SDIST_VERSION}.tar.gz")))
            .arg(&schema)
            .status()
            .expect("python runs");
        assert!(extracted.success(), "cannot extract junit-10.xsd");
    }
    schema
}

/// `xmllint --schema` on `document`: passes or fails the test with xmllint's words.
fn assert_schema_valid(schema: &Path, document: &Path) {
    let Some(xmllint) = common::required_tool(
        PathBuf::from("/usr/bin/xmllint"),
        "install Debian's libxml2-utils (.ci/run does)",
    ) else {
        return;
    };
    let output = Command::new(xmllint)
        .args(["--noout", "--schema"])
        .arg(schema)
        .arg(document)
        .output()
        .expect("xmllint runs");
    assert!(
        output.status.success(),
        "{} is not valid JUnit XML:\n{}",
        document.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The document as junitparser reads it: per suite its counts and per case its name, class
/// name, result kind, message and text.
fn read_with_junitparser(python: &Path, document: &Path) -> serde_json::Value {
    let script = "import json,sys\n\
        from junitparser import JUnitXml\n\
        suites = []\n\
        for suite in JUnitXml.fromfile(sys.argv[1]):\n\
        \x20   cases = [{'name': c.name, 'classname': c.classname,\n\
        \x20             'results': [{'kind': type(r).__name__, 'message': r.message, 'text': r.text} for r in c.result]}\n\
        \x20            for c in suite]\n\
        \x20   suites.append({'name': suite.name, 'tests': suite.tests, 'failures': suite.failures,\n\
        \x20                  'errors': suite.errors, 'skipped': suite.skipped, 'cases': cases})\n\
        print(json.dumps(suites))\n";
    let output = Command::new(python)
        .args(["-c", script])
        .arg(document)
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "junitparser cannot read {}:\n{}",
        document.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    json(&output)
}

fn suite<'a>(suites: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    suites
        .as_array()
        .unwrap()
        .iter()
        .find(|suite| suite["name"] == name)
        .unwrap_or_else(|| panic!("no suite {name}"))
}

#[test]
fn junit_is_valid_against_the_jenkins_schema_and_reads_back_with_junitparser() {
    let python = junit_python();
    let schema = junit_schema(&python);
    let dir = tempfile::tempdir().expect("temp dir");

    // Three overlays of one base: a case per overlay object, every one of them passed or failed.
    let overlays = dir.path().join("overlays.xml");
    let output = run_in(
        &fixtures().join("overlays"),
        &["lint", "--format", "line", "--output-junit"],
    );
    assert_eq!(output.status.code(), Some(2), "--output-junit needs a FILE");
    let output = run_in(
        &fixtures().join("overlays"),
        &[
            "lint",
            "--format",
            "junit",
            "--output",
            overlays.to_str().unwrap(),
            ".",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert_schema_valid(&schema, &overlays);
    let suites = read_with_junitparser(&python, &overlays);
    assert_eq!(suites.as_array().unwrap().len(), 17, "one suite per check");
    let privileged = suite(&suites, "runAsPrivileged");
    assert_eq!(privileged["tests"], 3);
    assert_eq!(privileged["failures"], 0);
    let names: Vec<&str> = privileged["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|case| case["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "container \"backend\" of Deployment dev/backend via dev/kustomization.yaml",
            "container \"backend\" of Deployment production/backend via production/kustomization.yaml",
            "container \"backend\" of Deployment staging/backend via staging/kustomization.yaml",
        ]
    );
    let place =
        regex::Regex::new(r"^tests/fixtures/overlays/[a-z]+/[a-z]+\.yaml:\d+:\d+: ").unwrap();
    let mut failures = 0;
    for suite in suites.as_array().unwrap() {
        let cases = suite["cases"].as_array().unwrap();
        assert_eq!(suite["tests"], cases.len(), "{}", suite["name"]);
        for case in cases {
            // From the repository root, as CI pages link files.
            let base = "tests/fixtures/overlays/base/deployment.yaml";
            assert_eq!(case["classname"], base, "{case}");
            for result in case["results"].as_array().unwrap() {
                assert_eq!(result["kind"], "Failure", "{case}");
                let text = result["text"].as_str().unwrap();
                // The place that wrote the value: the base, or the overlay patch that set it.
                assert!(place.is_match(text), "{text}");
                assert!(text.contains(result["message"].as_str().unwrap()), "{text}");
                failures += 1;
            }
        }
    }
    let line = stdout(&run_in(
        &fixtures().join("overlays"),
        &["lint", "--format", "json", "."],
    ));
    let report: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        failures,
        report["findings"].as_array().unwrap().len(),
        "a failure per finding of every overlay"
    );

    // Input errors, suppressed findings and characters XML must escape.
    fs::write(
        dir.path().join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"a<b>&'\\\"c\"\n  annotations:\n    kubepatrol.io/ignore: hostNetworkSet\nspec:\n  hostNetwork: true\n  hostPID: true\n  containers: []\n",
    )
    .expect("fixture written");
    fs::write(dir.path().join("broken.yaml"), "a: [\n").expect("fixture written");
    let mixed = dir.path().join("mixed.xml");
    let output = run_in(
        dir.path(),
        &[
            "lint",
            "--output-junit",
            mixed.to_str().unwrap(),
            "pod.yaml",
            "broken.yaml",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    assert_schema_valid(&schema, &mixed);
    let suites = read_with_junitparser(&python, &mixed);
    let host_network = suite(&suites, "hostNetworkSet");
    assert_eq!(host_network["skipped"], 1);
    let case = &host_network["cases"][0];
    assert_eq!(case["name"], "Pod a<b>&'\"c");
    assert_eq!(case["results"][0]["kind"], "Skipped");
    assert_eq!(
        case["results"][0]["message"],
        "suppressed by annotation `kubepatrol.io/ignore`"
    );
    let host_pid = suite(&suites, "hostPIDSet");
    assert_eq!(host_pid["failures"], 1);
    assert!(
        host_pid["cases"][0]["results"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("pod.yaml:9:12: danger: "),
        "{host_pid}"
    );
    let input = suite(&suites, "input");
    assert_eq!(input["errors"], 1);
    assert_eq!(input["cases"][0]["results"][0]["kind"], "Error");
    assert_eq!(input["cases"][0]["results"][0]["text"], "broken.yaml:1:4");
}

#[test]
fn gitlab_code_quality_names_files_from_the_repository_root() {
    let repo = tempfile::tempdir().expect("temp dir");
    fs::create_dir(repo.path().join(".git")).expect("mkdir");
    let deploy = repo.path().join("deploy");
    fs::create_dir_all(&deploy).expect("mkdir");
    fs::write(
        deploy.join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  containers:\n  - name: c\n    image: nginx:1.27\n",
    )
    .expect("fixture written");
    let written = repo.path().join("gl-code-quality-report.json");
    let output = run_in(
        &deploy,
        &[
            "lint",
            "--format",
            "gitlab",
            "--output-gitlab",
            written.to_str().unwrap(),
            ".",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let issues = json(&output);
    let from_file: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&written).unwrap()).unwrap();
    assert_eq!(issues, from_file);
    let issues = issues.as_array().unwrap();
    let host_network = issues
        .iter()
        .find(|issue| issue["check_name"] == "hostNetworkSet")
        .expect("hostNetworkSet issue");
    assert_eq!(host_network["severity"], "critical");
    assert_eq!(host_network["location"]["path"], "deploy/pod.yaml");
    assert_eq!(host_network["location"]["lines"]["begin"], 5);
    assert!(
        host_network["description"]
            .as_str()
            .unwrap()
            .ends_with("(Pod p)")
    );
    let memory = issues
        .iter()
        .find(|issue| issue["check_name"] == "memoryLimitsMissing")
        .expect("memoryLimitsMissing issue");
    assert_eq!(memory["severity"], "minor");
    let mut fingerprints: Vec<&str> = issues
        .iter()
        .map(|issue| issue["fingerprint"].as_str().unwrap())
        .collect();
    fingerprints.sort_unstable();
    fingerprints.dedup();
    assert_eq!(
        fingerprints.len(),
        issues.len(),
        "GitLab keeps one per fingerprint"
    );

    // The fingerprint does not depend on the line: a finding that moved is not new to GitLab.
    let before = host_network["fingerprint"].clone();
    fs::write(
        deploy.join("pod.yaml"),
        "# moved down\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  containers:\n  - name: c\n    image: nginx:1.27\n",
    )
    .expect("fixture written");
    let moved = json(&run_in(&deploy, &["lint", "--format", "gitlab", "."]));
    let moved = moved
        .as_array()
        .unwrap()
        .iter()
        .find(|issue| issue["check_name"] == "hostNetworkSet")
        .unwrap()
        .clone();
    assert_eq!(moved["location"]["lines"]["begin"], 6);
    assert_eq!(moved["fingerprint"], before);
}
