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

#[test]
fn the_whole_corpus_is_linted_without_a_panic() {
    let Some(corpus) = common::corpus() else {
        return;
    };
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
    every_finding_is_accounted_for(&corpus, &report);
}

/// A finding comes from a rendered kustomization (it names the overlay, a kustomization file),
/// a rendered Helm chart (it names the chart's `Chart.yaml`), or from a standalone manifest: a file in a directory without a kustomization file. A file
/// beside a kustomization that does not reference it is deployed by nothing and never linted.
fn every_finding_is_accounted_for(corpus: &std::path::Path, report: &serde_json::Value) {
    let has_kustomization = |dir: &std::path::Path| {
        ["kustomization.yaml", "kustomization.yml", "Kustomization"]
            .iter()
            .any(|name| dir.join(name).is_file())
    };
    for finding in report["findings"].as_array().expect("findings") {
        let file = finding["file"].as_str().expect("file");
        // Absent for a plain manifest.
        let via: Vec<&str> = finding["via"]
            .as_array()
            .map(|via| via.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        if via.is_empty() {
            let dir = corpus.join(file);
            let dir = dir.parent().expect("parent");
            assert!(
                !has_kustomization(dir),
                "{file} is beside a kustomization but linted on its own"
            );
        } else {
            for overlay in via {
                assert!(
                    overlay.ends_with("kustomization.yaml")
                        || overlay.ends_with("kustomization.yml")
                        || overlay.ends_with("Kustomization")
                        || overlay.ends_with("Chart.yaml"),
                    "{file} via {overlay}"
                );
            }
        }
    }
}

/// `fix` on a copy of the corpus: every file stays byte-identical or parses to the same objects
/// except the fixed fields, and a second run fixes nothing and finds exactly what the first
/// could not fix (so lint no longer reports the fixed findings). The corpus itself is never
/// written.
#[test]
fn fix_on_a_copy_of_the_corpus_changes_only_the_fixed_fields() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    let temp = tempfile::tempdir().expect("temp dir");
    common::copy_dir(&corpus, temp.path());
    let before = common::read_tree(temp.path());
    let output = common::run_in(temp.path(), &["fix", "--with-placeholders", "."]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(matches!(output.status.code(), Some(0..=2)));
    let report = common::stdout(&output);
    let after = common::read_tree(temp.path());
    assert_eq!(before.len(), after.len());
    let mut changed = 0;
    for (path, old) in &before {
        let new = &after[path];
        if old == new {
            continue;
        }
        changed += 1;
        let (old, new) = (String::from_utf8_lossy(old), String::from_utf8_lossy(new));
        assert_eq!(
            common::comparable_documents(&old),
            common::comparable_documents(&new),
            "{} changed more than the fixed fields",
            path.display()
        );
    }
    assert!(changed > 100, "only {changed} files changed:\n{report}");

    let again = common::stdout(&common::run_in(
        temp.path(),
        &["fix", "--dry-run", "--with-placeholders", "."],
    ));
    assert!(again.contains("\n0 fixed, "), "a second run fixes more");
    assert_eq!(common::not_fixable(&again), common::not_fixable(&report));
}
