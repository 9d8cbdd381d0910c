//! The real binary on the shared corpus of public manifests: it must finish without a panic.
//! Skipped with a visible message where the corpus is absent, unless CI requires it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

mod common;

use std::path::PathBuf;

fn corpus() -> Option<PathBuf> {
    let path = std::env::var_os("KUBEPATROL_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    if path.is_dir() {
        return Some(path);
    }
    assert!(
        std::env::var_os("KUBEPATROL_REQUIRE_CORPUS").is_none(),
        "the corpus is required but missing at {}",
        path.display()
    );
    eprintln!(
        "SKIPPED: corpus not found at {} (set KUBEPATROL_CORPUS)",
        path.display()
    );
    None
}

#[test]
fn the_whole_corpus_is_linted_without_a_panic() {
    let Some(corpus) = corpus() else { return };
    let output = common::run_in(&corpus, &["lint", "--format", "json", "."]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        matches!(output.status.code(), Some(0..=2)),
        "{:?}",
        output.status
    );
    let report = common::json(&output);
    assert!(report["counts"]["files"].as_u64().unwrap_or_default() > 1500);
    assert!(report["counts"]["objects"].as_u64().unwrap_or_default() > 3000);
    assert!(!report["findings"].as_array().expect("findings").is_empty());
}
