//! `kubepatrol fix` with the real binary: on a copy of every failing check fixture and of the
//! cases in `tests/fixtures/fix/<case>/input` (expected results in `.../expected`). Each run is
//! checked the same way: the files either stay byte-identical or parse to the same objects
//! except for the fixed fields, `lint` reports exactly the findings `fix` called not fixable,
//! and a second run changes nothing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use common::{comparable_documents, copy_dir, fixtures, not_fixable, read_tree, run_in, stdout};

/// Every fix, placeholders and unsafe ones included.
const EVERY_FIX: &[&str] = &["--with-placeholders", "--unsafe-fixes"];

/// Run `fix` with `args` in `dir`, check the result as the module comment says, and return the
/// report.
fn fix_and_check(dir: &Path, args: &[&str]) -> String {
    let before = read_tree(dir);
    let output = run_in(dir, &[&["fix"], args].concat());
    let report = stdout(&output);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let after = read_tree(dir);
    assert_same_objects(&before, &after);

    let lint = common::json(&run_in(dir, &["lint", "--format", "json", "."]));
    let checks = selected_checks(args);
    let mut remaining: Vec<(String, String)> = lint["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap_or_default().to_owned(),
                f["check"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .filter(|(_, check)| checks.as_ref().is_none_or(|ids| ids.contains(check)))
        .collect();
    // As sets: a base rendered by several overlays has a finding per overlay in json and one
    // `not fixable` line naming them all.
    remaining.sort();
    remaining.dedup();
    let mut refused = not_fixable(&report);
    refused.dedup();
    assert_eq!(
        remaining, refused,
        "lint after fix must report exactly the findings fix could not fix\n{report}"
    );

    let again = run_in(dir, &[&["fix"], args].concat());
    let again_report = stdout(&again);
    assert!(
        again_report.contains("\n0 fixed, ") || again_report.starts_with("0 fixed, "),
        "a second run fixed more:\n{again_report}"
    );
    assert_eq!(read_tree(dir), after, "a second run changed files");
    report
}

/// The ids after `--checks`, when given.
fn selected_checks(args: &[&str]) -> Option<Vec<String>> {
    let at = args.iter().position(|arg| *arg == "--checks")?;
    Some(args.get(at + 1)?.split(',').map(str::to_owned).collect())
}

fn assert_same_objects(before: &BTreeMap<PathBuf, Vec<u8>>, after: &BTreeMap<PathBuf, Vec<u8>>) {
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "fix adds or removes no file"
    );
    for (path, old) in before {
        let new = &after[path];
        if old == new {
            continue;
        }
        let (old, new) = (String::from_utf8_lossy(old), String::from_utf8_lossy(new));
        assert_eq!(
            comparable_documents(&old),
            comparable_documents(&new),
            "{} changed more than the fixed fields:\n{new}",
            path.display()
        );
    }
}

fn check_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(fixtures().join("checks"))
        .expect("checks fixtures")
        .map(|entry| entry.expect("entry").path())
        .collect();
    dirs.sort();
    dirs
}

fn fail_fixtures(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("fixture dir")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with("fail_"))
        .collect();
    names.sort();
    names
}

/// Every failing fixture, fixed for its own check (with placeholders): the report and the diff
/// are snapshots, one per check.
#[test]
fn every_fail_fixture_is_fixed_or_said_not_fixable() {
    for dir in check_dirs() {
        let id = dir.file_name().unwrap().to_string_lossy().into_owned();
        let mut snapshot = String::new();
        for name in fail_fixtures(&dir) {
            let temp = tempfile::tempdir().expect("temp dir");
            fs::copy(dir.join(&name), temp.path().join(&name)).expect("copy");
            let args = [
                "--with-placeholders",
                "--unsafe-fixes",
                "--checks",
                id.as_str(),
                name.as_str(),
            ];
            let diff = stdout(&run_in(
                temp.path(),
                &[&["fix", "--diff"], &args[..]].concat(),
            ));
            assert_eq!(
                fs::read(dir.join(&name)).expect("original"),
                fs::read(temp.path().join(&name)).expect("copy"),
                "--diff writes nothing"
            );
            let report = fix_and_check(temp.path(), &args);
            snapshot.push_str(&format!("## {name}\n{report}{diff}\n"));
        }
        insta::assert_snapshot!(format!("fail_fixtures_{id}"), snapshot);
    }
}

/// Without `--with-placeholders`, resources and probes are not touched and say why.
#[test]
fn placeholders_need_the_flag() {
    let dir = fixtures().join("checks/cpuLimitsMissing");
    let temp = tempfile::tempdir().expect("temp dir");
    copy_dir(&dir, temp.path());
    let before = read_tree(temp.path());
    let report = fix_and_check(
        temp.path(),
        &["--checks", "cpuLimitsMissing,livenessProbeMissing"],
    );
    assert_eq!(read_tree(temp.path()), before);
    assert!(report.contains("not fixable [cpuLimitsMissing]"));
    assert!(report.contains("--with-placeholders"));
    assert!(!report.contains(": fixed ["));
}

/// The cases of `tests/fixtures/fix`: the result is the expected tree, byte for byte.
#[test]
fn cases_match_their_expected_files() {
    let root = fixtures().join("fix");
    let mut cases: Vec<PathBuf> = fs::read_dir(&root)
        .expect("fix fixtures")
        .map(|entry| entry.expect("entry").path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 5);
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let temp = tempfile::tempdir().expect("temp dir");
        copy_dir(&case.join("input"), temp.path());
        let diff = stdout(&run_in(
            temp.path(),
            &[&["fix", "--diff"], EVERY_FIX, &["."]].concat(),
        ));
        assert_eq!(read_tree(temp.path()), read_tree(&case.join("input")));
        let report = fix_and_check(temp.path(), &[EVERY_FIX, &["."]].concat());
        let expected = read_tree(&case.join("expected"));
        let actual = read_tree(temp.path());
        for (path, bytes) in &actual {
            assert_eq!(
                String::from_utf8_lossy(bytes),
                String::from_utf8_lossy(&expected[path]),
                "{name}: {}",
                path.display()
            );
        }
        assert_eq!(actual.len(), expected.len(), "{name}");
        insta::assert_snapshot!(format!("case_{name}"), format!("{report}\n{diff}"));
    }
}

#[test]
fn dry_run_writes_nothing_and_unknown_checks_are_usage_errors() {
    let temp = tempfile::tempdir().expect("temp dir");
    copy_dir(&fixtures().join("fix/styles/input"), temp.path());
    let before = read_tree(temp.path());
    let output = run_in(temp.path(), &["fix", "--dry-run", "."]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("would change (nothing written)"));
    assert_eq!(read_tree(temp.path()), before);
    let output = run_in(temp.path(), &["fix", "--checks", "noSuchCheck", "."]);
    assert_eq!(output.status.code(), Some(2));
    let output = run_in(temp.path(), &["fix", "--checks", "hostPortSett", "."]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("unknown check `hostPortSett` (did you mean `hostPortSet`?)")
    );
    let output = run_in(temp.path(), &["fix", "-"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_file_with_nothing_to_fix_exits_zero() {
    let temp = tempfile::tempdir().expect("temp dir");
    fs::copy(
        fixtures().join("checks/hostNetworkSet/fail_deployment.yaml"),
        temp.path().join("d.yaml"),
    )
    .expect("copy");
    let args = ["fix", "--unsafe-fixes", "--checks", "hostNetworkSet", "."];
    let output = run_in(temp.path(), &args);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let output = run_in(temp.path(), &args);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).starts_with("0 fixed, 0 not fixable"));
}

/// What `--diff` prints is what `fix` writes: applied with `git apply`, it gives the expected
/// files.
#[test]
fn the_diff_applies_with_git_apply() {
    let case = fixtures().join("fix/styles");
    let temp = tempfile::tempdir().expect("temp dir");
    copy_dir(&case.join("input"), temp.path());
    let diff = run_in(
        temp.path(),
        &[&["fix", "--diff"], EVERY_FIX, &["."]].concat(),
    );
    let patch = tempfile::NamedTempFile::new().expect("patch file");
    fs::write(patch.path(), &diff.stdout).expect("write patch");
    let applied = std::process::Command::new("git")
        .args(["apply", "--unsafe-paths"])
        .arg(patch.path())
        .current_dir(temp.path())
        .output()
        .expect("git runs");
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );
    assert_eq!(read_tree(temp.path()), read_tree(&case.join("expected")));
}

/// A base outside the scanned paths may have overlays the run cannot see: it is not edited.
#[test]
fn a_base_outside_the_scanned_paths_is_not_edited() {
    let temp = tempfile::tempdir().expect("temp dir");
    copy_dir(&fixtures().join("fix/kustomize/input"), temp.path());
    let before = read_tree(temp.path());
    let output = run_in(
        temp.path(),
        &["fix", "--checks", "runAsPrivileged", "overlays/prod"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("outside the scanned paths"));
    assert_eq!(read_tree(temp.path()), before);
}

/// Every check at once on every check fixture: fixes of one container meet in one block.
#[test]
fn all_checks_at_once_on_every_check_fixture() {
    let temp = tempfile::tempdir().expect("temp dir");
    for dir in check_dirs() {
        let target = temp.path().join(dir.file_name().unwrap());
        fs::create_dir(&target).expect("dir");
        for name in fail_fixtures(&dir) {
            fs::copy(dir.join(&name), target.join(&name)).expect("copy");
        }
    }
    let report = fix_and_check(temp.path(), &[EVERY_FIX, &["."]].concat());
    assert!(report.contains(": fixed ["));
}

/// The Kustomize fixtures (bases, overlays, components, strategic-merge and JSON 6902 patches):
/// fixes land in the file that wrote each value, or say why not.
#[test]
fn the_kustomize_fixtures_are_fixed_where_values_are_written() {
    let temp = tempfile::tempdir().expect("temp dir");
    copy_dir(&fixtures().join("kustomize"), temp.path());
    let report = fix_and_check(temp.path(), &[EVERY_FIX, &["."]].concat());
    assert!(report.contains("overlays/staging/add-capability.yaml:7:5: fixed [capabilitiesAdded]"));
    assert!(report.contains("a Kustomize patch removes it"));
    assert!(report.contains("inline patch of a kustomization"));
}

/// Each check's applicability as `kubepatrol checks` lists it: the behaviour-changing fixes are
/// unsafe, the resource requests (a reservation, never a throttle or a kill) are safe, and the
/// checks only a human can fix are display-only.
const APPLICABILITY: &[(&str, &str)] = &[
    ("hostNetworkSet", "unsafe"),
    ("hostIPCSet", "unsafe"),
    ("hostPIDSet", "unsafe"),
    ("hostPortSet", "unsafe"),
    ("runAsRootAllowed", "unsafe"),
    ("runAsPrivileged", "unsafe"),
    ("privilegeEscalationAllowed", "unsafe"),
    ("capabilitiesAdded", "unsafe"),
    ("notReadOnlyRootFileSystem", "unsafe"),
    ("cpuRequestsMissing", "safe"),
    ("cpuLimitsMissing", "unsafe"),
    ("memoryRequestsMissing", "safe"),
    ("memoryLimitsMissing", "unsafe"),
    ("readinessProbeMissing", "unsafe"),
    ("livenessProbeMissing", "unsafe"),
    ("tagNotSpecified", "display-only"),
    ("anonymousUserRBACBinding", "display-only"),
];

/// Every check's first failing fixture fixed without `--unsafe-fixes`: safe fixes are applied,
/// unsafe ones held back (and counted), display-only ones never fixed; with `--unsafe-fixes`
/// the unsafe ones are applied and say what to check before deploying.
#[test]
fn every_check_declares_its_applicability_and_fix_honours_it() {
    let checks = stdout(&run_in(&fixtures(), &["checks"]));
    let listed: Vec<(String, String)> = checks
        .lines()
        .skip(1)
        .filter_map(|line| {
            let columns: Vec<&str> = line.split_whitespace().collect();
            Some((columns.first()?.to_string(), columns.get(4)?.to_string()))
        })
        .collect();
    let expected: Vec<(String, String)> = APPLICABILITY
        .iter()
        .map(|(id, applicability)| (id.to_string(), applicability.to_string()))
        .collect();
    assert_eq!(listed, expected, "{checks}");
    for (id, applicability) in APPLICABILITY {
        let dir = fixtures().join("checks").join(id);
        let name = fail_fixtures(&dir).remove(0);
        let temp = tempfile::tempdir().expect("temp dir");
        fs::copy(dir.join(&name), temp.path().join(&name)).expect("copy");
        let args = ["--with-placeholders", "--checks", id, name.as_str()];
        let safe_only = fix_and_check(temp.path(), &args);
        let held = format!(": held back [{id}]");
        let fixed = format!(": fixed [{id}]");
        match *applicability {
            "safe" => assert!(safe_only.contains(&fixed), "{safe_only}"),
            "unsafe" => {
                assert!(safe_only.contains(&held), "{safe_only}");
                assert!(!safe_only.contains(&fixed), "{safe_only}");
                assert!(
                    safe_only.contains("can be enabled with the `--unsafe-fixes` option."),
                    "{safe_only}"
                );
                let unsafe_too =
                    fix_and_check(temp.path(), &[&["--unsafe-fixes"], &args[..]].concat());
                assert!(unsafe_too.contains(&fixed), "{unsafe_too}");
                assert!(
                    unsafe_too.contains("(unsafe: before deploying, check "),
                    "{unsafe_too}"
                );
            }
            _ => assert!(
                safe_only.contains(&format!(": not fixable [{id}]")),
                "{safe_only}"
            ),
        }
    }
}

/// `examples/`: nothing it can fix is safe, so a plain `fix` changes nothing and says how many
/// fixes `--unsafe-fixes` would add; with it, those are applied and each says what to check.
#[test]
fn unsafe_fixes_are_held_back_and_counted_until_asked_for() {
    let temp = tempfile::tempdir().expect("temp dir");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"),
        temp.path(),
    );
    let before = read_tree(temp.path());
    let output = run_in(temp.path(), &["fix", "."]);
    let report = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert_eq!(read_tree(temp.path()), before, "{report}");
    assert_eq!(report.matches(": held back [").count(), 5, "{report}");
    assert!(
        report.contains("0 fixed, 7 not fixable, 5 held back; 0 file(s) changed\n5 hidden fixes can be enabled with the `--unsafe-fixes` option.\n"),
        "{report}"
    );
    let report = fix_and_check(temp.path(), &["--unsafe-fixes", "."]);
    assert_eq!(
        report.matches("(unsafe: before deploying, check ").count(),
        5,
        "{report}"
    );
    assert!(
        report.contains("5 fixed (5 unsafe), 7 not fixable; 1 file(s) changed\n"),
        "{report}"
    );
    assert!(!report.contains("hidden fix"), "{report}");
}

/// A finding whose label is in the base but whose edit goes into an overlay's patch is reported
/// at the patch, where the edit is.
#[test]
fn the_report_names_the_file_the_edit_was_made_in() {
    let temp = tempfile::tempdir().expect("temp dir");
    copy_dir(
        &fixtures().join("fix/kustomize_patch_edit/input"),
        temp.path(),
    );
    let lint = stdout(&run_in(temp.path(), &["lint", "--format", "line", "."]));
    assert!(lint.starts_with("base/deployment.yaml:13:15: "), "{lint}");
    let report = fix_and_check(
        temp.path(),
        &["--unsafe-fixes", "--checks", "runAsRootAllowed", "."],
    );
    assert!(
        report.starts_with("overlays/prod/harden.yaml:11:11: fixed [runAsRootAllowed]"),
        "{report}"
    );
}
