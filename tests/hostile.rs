//! Hostile and broken input: every case runs next to a good manifest, under a memory limit and a
//! time limit, and must end with the expected diagnostic while the neighbour's finding is still
//! reported. Small cases are committed in `tests/hostile/`; large or file-system ones are made
//! here in a temporary directory.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Address space for one run: far above what kubepatrol needs, far below what an alias bomb or
/// a 200 MB file read into a tree would take.
const MEMORY_LIMIT_KB: u64 = 1_500_000;
const TIME_LIMIT: Duration = Duration::from_secs(30);

const NEIGHBOUR: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: neighbour\nspec:\n  hostNetwork: true\n  containers: []\n";

struct Run {
    code: Option<i32>,
    stdout: String,
}

/// Run `kubepatrol lint ARGS` in `dir` under the limits, optionally as an unprivileged user.
fn run_limited(dir: &Path, args: &[&str], unprivileged: bool) -> Run {
    let binary = env!("CARGO_BIN_EXE_kubepatrol");
    let mut script = format!("ulimit -v {MEMORY_LIMIT_KB} && exec ");
    if unprivileged {
        script.push_str("setpriv --reuid=65534 --regid=65534 --clear-groups ");
    }
    script.push_str("\"$0\" lint \"$@\"");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(binary)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let started = Instant::now();
    loop {
        if let Some(_status) = child.try_wait().expect("wait") {
            break;
        }
        if started.elapsed() > TIME_LIMIT {
            child.kill().expect("kill");
            panic!("kubepatrol {args:?} did not finish within {TIME_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let output = child.wait_with_output().expect("output");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
    }
}

/// A temporary directory holding the neighbour and the case.
fn arena() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("neighbour.yaml"), NEIGHBOUR).expect("write");
    dir
}

fn committed(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/hostile")
        .join(name)
}

/// Assert the run failed with `code` at `place` (a `file:line:` or `file:` prefix) and still
/// reported the neighbour.
fn assert_reported(run: &Run, place: &str, code: &str) {
    assert_eq!(run.code, Some(2), "{}", run.stdout);
    let hit = run.stdout.lines().any(|line| {
        line.starts_with(place)
            && line.contains(": error: ")
            && line.ends_with(&format!("[{code}]"))
    });
    assert!(hit, "no `{place}` … [{code}] in:\n{}", run.stdout);
    assert!(
        run.stdout.contains("neighbour.yaml:6:16: danger: "),
        "the neighbour's finding is missing:\n{}",
        run.stdout
    );
}

fn committed_case(name: &str, place: &str, code: &str) {
    let dir = arena();
    fs::copy(committed(name), dir.path().join(name)).expect("copy");
    assert_reported(&run_limited(dir.path(), &["."], false), place, code);
}

#[test]
fn billion_laughs() {
    committed_case(
        "billion_laughs.yaml",
        "billion_laughs.yaml:",
        "alias-expansion-limit",
    );
}

#[test]
fn invalid_utf8() {
    committed_case("invalid_utf8.yaml", "invalid_utf8.yaml:6:", "invalid-utf8");
}

#[test]
fn utf16_with_bom() {
    committed_case("utf16_bom.yaml", "utf16_bom.yaml:", "unsupported-encoding");
}

#[test]
fn nul_byte() {
    committed_case("nul_byte.yaml", "nul_byte.yaml:4:", "binary-file");
}

#[test]
fn truncated_document() {
    committed_case("truncated.yaml", "truncated.yaml:7:", "invalid-yaml");
}

#[test]
fn duplicate_keys() {
    committed_case(
        "duplicate_keys.yaml",
        "duplicate_keys.yaml:7:3:",
        "duplicate-key",
    );
}

#[test]
fn tabs_in_indentation() {
    committed_case("tabs.yaml", "tabs.yaml:6:", "invalid-yaml");
}

#[test]
fn list_items_that_are_a_string() {
    committed_case(
        "list_items_string.yaml",
        "list_items_string.yaml:3:8:",
        "invalid-list",
    );
}

#[test]
fn wrong_types_are_errors_at_their_position() {
    let dir = arena();
    fs::copy(committed("wrong_types.yaml"), dir.path().join("w.yaml")).expect("copy");
    let run = run_limited(dir.path(), &["."], false);
    for place in [
        "w.yaml:6:16:",
        "w.yaml:9:14:",
        "w.yaml:10:24:",
        "w.yaml:19:19:",
    ] {
        assert_reported(&run, place, "invalid-field-type");
    }
}

#[test]
fn empty_files_and_bare_separators_are_fine() {
    let dir = arena();
    for name in ["empty.yaml", "only_dashes.yaml"] {
        fs::copy(committed(name), dir.path().join(name)).expect("copy");
    }
    let run = run_limited(dir.path(), &["."], false);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
}

#[test]
fn quadratic_alias_fan_out() {
    let dir = arena();
    let items = vec!["x"; 20_000].join(", ");
    let refs = vec!["*big"; 20_000].join(", ");
    let text = format!(
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  big: &big [{items}]\n  refs: [{refs}]\n"
    );
    fs::write(dir.path().join("fanout.yaml"), text).expect("write");
    assert_reported(
        &run_limited(dir.path(), &["."], false),
        "fanout.yaml:5:",
        "alias-expansion-limit",
    );
}

#[test]
fn deeply_nested_flow_and_block_collections() {
    let dir = arena();
    fs::write(
        dir.path().join("flow.yaml"),
        "[".repeat(100_000) + &"]".repeat(100_000),
    )
    .expect("write");
    fs::write(dir.path().join("braces.yaml"), "{a: ".repeat(100_000)).expect("write");
    fs::write(dir.path().join("block.yaml"), "- ".repeat(100_000) + "x\n").expect("write");
    let run = run_limited(dir.path(), &["."], false);
    for name in ["flow.yaml:1:", "braces.yaml:1:", "block.yaml:1:"] {
        assert_reported(&run, name, "nesting-too-deep");
    }
}

#[test]
fn a_file_over_the_size_limit_is_not_read() {
    let dir = arena();
    // Sparse: 200 MB of size without 200 MB of disk writes.
    let file = fs::File::create(dir.path().join("huge.yaml")).expect("create");
    file.set_len(200 * 1024 * 1024).expect("set_len");
    assert_reported(
        &run_limited(dir.path(), &["."], false),
        "huge.yaml:",
        "file-too-large",
    );
}

#[test]
fn a_fifty_megabyte_line() {
    let dir = arena();
    let mut file = fs::File::create(dir.path().join("line.yaml")).expect("create");
    file.write_all(b"data: ").expect("write");
    file.write_all(&vec![b'x'; 50 * 1024 * 1024])
        .expect("write");
    drop(file);
    assert_reported(
        &run_limited(dir.path(), &["."], false),
        "line.yaml:",
        "file-too-large",
    );
}

#[test]
fn symlink_loops_and_a_directory_linked_into_itself() {
    let dir = arena();
    let path = dir.path();
    std::os::unix::fs::symlink("b.yaml", path.join("a.yaml")).expect("symlink");
    std::os::unix::fs::symlink("a.yaml", path.join("b.yaml")).expect("symlink");
    fs::create_dir(path.join("sub")).expect("mkdir");
    std::os::unix::fs::symlink("..", path.join("sub/up")).expect("symlink");
    let run = run_limited(path, &["."], false);
    assert_reported(&run, "a.yaml:", "unreadable-path");
    assert_reported(&run, "b.yaml:", "unreadable-path");
    assert_reported(&run, "sub/up:", "unreadable-path");
}

#[test]
fn a_fifo_named_as_a_file_is_not_read() {
    let dir = arena();
    let fifo = dir.path().join("pipe.yaml");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let run = run_limited(dir.path(), &["neighbour.yaml", "pipe.yaml"], false);
    assert_reported(&run, "pipe.yaml:", "not-a-regular-file");
}

#[test]
fn a_path_that_does_not_exist() {
    let dir = arena();
    let run = run_limited(dir.path(), &["neighbour.yaml", "missing.yaml"], false);
    assert_reported(&run, "missing.yaml:", "path-not-found");
}

#[test]
fn an_unreadable_file() {
    let dir = arena();
    let secret = dir.path().join("secret.yaml");
    fs::write(&secret, NEIGHBOUR).expect("write");
    let set_mode = |path: &Path, mode| {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
    };
    set_mode(&secret, 0o000);
    set_mode(dir.path(), 0o755);
    set_mode(&dir.path().join("neighbour.yaml"), 0o644);
    // Root reads any file: drop to `nobody` so the permission check is real.
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false);
    let run = run_limited(dir.path(), &["."], is_root);
    assert_reported(&run, "secret.yaml:", "unreadable-file");
}

#[test]
fn a_report_that_cannot_be_written_is_an_error_and_leaves_nothing_behind() {
    let dir = arena();
    let target = dir.path().join("missing-dir/report.txt");
    let output = common::run_in(
        dir.path(),
        &["lint", "--output", target.to_str().expect("utf-8"), "."],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot write the report to"));
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let output = Command::new(env!("CARGO_BIN_EXE_kubepatrol"))
        .args(["lint", "."])
        .current_dir(dir.path())
        .stdout(full)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .collect();
    assert_eq!(
        leftovers.len(),
        1,
        "only the neighbour remains: {leftovers:?}"
    );
}
