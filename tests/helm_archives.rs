//! Archived subcharts (`charts/<name>.tgz`, as `helm dependency build` leaves them): rendered
//! as the real helm v3.17.1 renders them (byte-identical output), nested archives included,
//! and findings inside an archive name the archive and the entry as the archive lists it.

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

use common::{json, required_tool, run_in};

/// A gzip tar of `files` (name, content), as `helm package` writes one.
fn tgz(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::default(),
    ));
    for (name, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, name, *content).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

const DEPLOYMENT: &[u8] = b"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-{{ .Chart.Name }}
spec:
  selector:
    matchLabels: {app: sub}
  template:
    metadata:
      labels: {app: sub}
    spec:
      containers:
        - name: app
          image: {{ .Values.image | quote }}
";

/// `app` with the archived subchart `sub`, which has the archived subchart `inner`.
fn write_chart(root: &Path) -> PathBuf {
    let chart = root.join("app");
    std::fs::create_dir_all(chart.join("charts")).unwrap();
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: sub\n    version: 0.1.0\n    repository: file://../sub\n",
    )
    .unwrap();
    std::fs::write(chart.join("values.yaml"), "sub:\n  image: nginx:1.27\n").unwrap();
    let inner = tgz(&[
        ("inner/Chart.yaml", b"apiVersion: v2\nname: inner\nversion: 0.2.0\n"),
        ("inner/values.yaml", b"greeting: hello\n"),
        (
            "inner/templates/cm.yaml",
            b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-inner\ndata:\n  greeting: {{ .Values.greeting }}\n  file: {{ .Files.Get \"files/a.txt\" | quote }}\n",
        ),
        ("inner/files/a.txt", b"from the archive"),
    ]);
    let sub = tgz(&[
        (
            "sub/Chart.yaml",
            b"apiVersion: v2\nname: sub\nversion: 0.1.0\n",
        ),
        ("sub/values.yaml", b"image: busybox\n"),
        ("sub/templates/deployment.yaml", DEPLOYMENT),
        ("sub/charts/inner-0.2.0.tgz", &inner),
    ]);
    std::fs::write(chart.join("charts/sub-0.1.0.tgz"), sub).unwrap();
    chart
}

#[test]
fn archived_subcharts_render_as_helm_renders_them() {
    let Some(helm) = required_tool(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tools/helm"),
        "run .ci/run (it extracts helm v3.17.1 from tools/node_modules)",
    ) else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let chart = write_chart(root.path());
    let expected = Command::new(helm)
        .args(["template", "kp"])
        .arg(&chart)
        .args(["--namespace", "default"])
        .output()
        .unwrap();
    assert!(
        expected.status.success(),
        "{}",
        String::from_utf8_lossy(&expected.stderr)
    );
    let options = kubepatrol::HelmTemplateOptions {
        release: "kp".into(),
        ..Default::default()
    };
    let native = kubepatrol::helm_template(&chart, &options);
    assert!(native.diagnostics.is_empty(), "{:?}", native.diagnostics);
    assert_eq!(native.text, String::from_utf8(expected.stdout).unwrap());
    assert!(
        native
            .text
            .contains("# Source: app/charts/sub/charts/inner/templates/cm.yaml")
    );
}

#[test]
fn findings_inside_an_archive_name_the_archive_and_the_entry() {
    let root = tempfile::tempdir().unwrap();
    write_chart(root.path());
    let report = json(&run_in(root.path(), &["lint", "--format", "json", "app"]));
    let file = "app/charts/sub-0.1.0.tgz/sub/templates/deployment.yaml";
    let findings: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["file"] == file)
        .collect();
    assert!(!findings.is_empty(), "no finding in {file}: {report:#}");
    assert!(
        findings
            .iter()
            .all(|finding| finding["start"]["line"].as_u64() > Some(0))
    );
}

#[test]
fn an_unreadable_archive_is_an_error_at_the_archive() {
    let root = tempfile::tempdir().unwrap();
    let chart = write_chart(root.path());
    std::fs::write(chart.join("charts/sub-0.1.0.tgz"), b"not an archive").unwrap();
    let output = run_in(root.path(), &["lint", "--format", "json", "app"]);
    assert_eq!(output.status.code(), Some(2));
    let report = json(&output);
    let text = report.to_string();
    assert!(
        text.contains("archived subchart cannot be read"),
        "{report:#}"
    );
    assert!(text.contains("app/charts/sub-0.1.0.tgz"), "{report:#}");
}
