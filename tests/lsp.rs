//! `kubepatrol lsp` with real clients: the protocol through pytest-lsp (a pinned virtualenv,
//! tests/lsp/test_protocol.py), and Neovim's built-in LSP client end to end (tests/lsp/*.lua).

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

fn lsp_tests() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lsp")
}

#[test]
fn protocol_with_pytest_lsp() {
    let venv = common::python_venv_from("lsp-tests", &lsp_tests().join("requirements.txt"));
    let output = Command::new(venv.join("bin/python"))
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "-c"])
        .arg(lsp_tests().join("pytest.ini"))
        .arg(lsp_tests().join("test_protocol.py"))
        .env("KUBEPATROL", env!("CARGO_BIN_EXE_kubepatrol"))
        .output()
        .expect("pytest runs");
    assert!(
        output.status.success(),
        "pytest-lsp tests failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// What headless Neovim (Debian's `neovim`, installed by `.ci/run`) saw with its built-in LSP
/// client after opening `file` (and, with `fix`, applying the quick fix at that range); `None`
/// when Neovim is absent outside CI.
fn neovim(file: &Path, fix: Option<&str>) -> Option<serde_json::Value> {
    let nvim = common::required_tool(PathBuf::from("/usr/bin/nvim"), "apt-get install neovim")?;
    let result = file.with_extension("result.json");
    let mut command = Command::new(nvim);
    command
        .args(["--headless", "--clean", "-c"])
        .arg(format!(
            "luafile {}",
            lsp_tests().join("neovim.lua").display()
        ))
        .env("KUBEPATROL", env!("CARGO_BIN_EXE_kubepatrol"))
        .env("KUBEPATROL_FILE", file)
        .env("KUBEPATROL_RESULT", &result)
        .current_dir(file.parent().expect("a directory"));
    if let Some(fix) = fix {
        command.env("KUBEPATROL_FIX", fix);
    }
    let output = command.output().expect("nvim runs");
    let seen: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&result).unwrap_or_else(|_| panic!("no result: {output:?}")),
    )
    .expect("JSON");
    std::fs::remove_file(&result).expect("result removed");
    assert_eq!(seen["errors"], serde_json::json!([]), "{seen:#}");
    Some(seen)
}

type Seen = (String, String, u64, [u64; 4]);

/// Diagnostics as Neovim holds them: code, source, severity (1 is an error) and the 0-based
/// range.
fn diagnostics(seen: &serde_json::Value) -> Vec<Seen> {
    let place = |d: &serde_json::Value| {
        (
            d["code"].as_str().unwrap_or_default().to_owned(),
            d["source"].as_str().unwrap_or_default().to_owned(),
            d["severity"].as_u64().unwrap_or_default(),
            [&d["lnum"], &d["col"], &d["end_lnum"], &d["end_col"]]
                .map(|n| n.as_u64().unwrap_or(99)),
        )
    };
    seen.as_array().unwrap().iter().map(place).collect()
}

fn error(code: &str, range: [u64; 4]) -> Seen {
    (code.to_owned(), "kubepatrol".to_owned(), 1, range)
}

/// The diagnostics of a manifest, a quick fix applied to the buffer, the diagnostics after it.
#[test]
fn neovim_shows_findings_and_applies_a_fix() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let manifest = dir.path().join("deployment.yaml");
    let original =
        std::fs::read_to_string(common::fixtures().join("lsp/deployment.yaml")).expect("fixture");
    std::fs::write(&manifest, &original).expect("copy");
    let Some(seen) = neovim(&manifest, Some("17,38,42")) else {
        return;
    };
    assert_eq!(
        diagnostics(&seen["diagnostics"]),
        [
            error("hostPIDSet", [12, 15, 12, 19]),
            error("privilegeEscalationAllowed", [17, 38, 17, 42]),
        ]
    );
    let lines: Vec<&str> = seen["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l.as_str())
        .collect();
    let expected = original.replace(
        "allowPrivilegeEscalation: true",
        "allowPrivilegeEscalation: false",
    );
    assert_eq!(lines, expected.lines().collect::<Vec<_>>());
    assert_eq!(
        diagnostics(&seen["after_fix"]),
        [error("hostPIDSet", [12, 15, 12, 19])]
    );
}

/// A patch of an overlay, opened alone, shows the overlay's finding at the patch's line.
#[test]
fn neovim_shows_an_overlays_finding_in_its_patch() {
    let dir = tempfile::tempdir().expect("temporary directory");
    copy_tree(&common::fixtures().join("lsp/kustomize"), dir.path());
    // A repository: every kustomization in it may render the patch.
    std::fs::create_dir(dir.path().join(".git")).expect(".git");
    let Some(seen) = neovim(&dir.path().join("overlay/patch.yaml"), None) else {
        return;
    };
    assert_eq!(
        diagnostics(&seen["diagnostics"]),
        [error("hostNetworkSet", [7, 19, 7, 23])]
    );
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("fixture directory") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&target).expect("directory");
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}
