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
