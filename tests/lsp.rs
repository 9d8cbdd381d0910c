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

/// Neovim (Debian's `neovim`, installed by `.ci/run`), headless, with its built-in LSP client:
/// the diagnostics it shows, a quick fix applied to the buffer, the diagnostics after it.
#[test]
fn neovim_shows_findings_and_applies_a_fix() {
    let Some(nvim) =
        common::required_tool(PathBuf::from("/usr/bin/nvim"), "apt-get install neovim")
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("temporary directory");
    let manifest = dir.path().join("deployment.yaml");
    let original =
        std::fs::read_to_string(common::fixtures().join("lsp/deployment.yaml")).expect("fixture");
    std::fs::write(&manifest, &original).expect("copy");
    let result = dir.path().join("result.json");
    let output = Command::new(nvim)
        .args(["--headless", "--clean", "-c"])
        .arg(format!(
            "luafile {}",
            lsp_tests().join("neovim.lua").display()
        ))
        .env("KUBEPATROL", env!("CARGO_BIN_EXE_kubepatrol"))
        .env("KUBEPATROL_FILE", &manifest)
        .env("KUBEPATROL_RESULT", &result)
        .current_dir(dir.path())
        .output()
        .expect("nvim runs");
    let seen: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&result).unwrap_or_else(|_| panic!("no result: {output:?}")),
    )
    .expect("JSON");
    assert_eq!(seen["errors"], serde_json::json!([]), "{seen:#}");
    let place = |d: &serde_json::Value| {
        (
            d["code"].as_str().unwrap_or_default().to_owned(),
            d["source"].as_str().unwrap_or_default().to_owned(),
            d["severity"].as_u64().unwrap_or_default(),
            [&d["lnum"], &d["col"], &d["end_lnum"], &d["end_col"]]
                .map(|n| n.as_u64().unwrap_or(99)),
        )
    };
    let diagnostics: Vec<_> = seen["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(place)
        .collect();
    // Neovim's severity 1 is an error; lines and columns are 0-based.
    assert_eq!(
        diagnostics,
        [
            (
                "hostPIDSet".to_owned(),
                "kubepatrol".to_owned(),
                1,
                [12, 15, 12, 19]
            ),
            (
                "privilegeEscalationAllowed".to_owned(),
                "kubepatrol".to_owned(),
                1,
                [17, 38, 17, 42]
            ),
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
    let after: Vec<_> = seen["after_fix"]
        .as_array()
        .unwrap()
        .iter()
        .map(place)
        .collect();
    assert_eq!(
        after,
        [(
            "hostPIDSet".to_owned(),
            "kubepatrol".to_owned(),
            1,
            [12, 15, 12, 19]
        )]
    );
}
