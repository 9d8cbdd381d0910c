//! Helpers shared by the integration tests: run the real binary, read expectation markers.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Run `kubepatrol` with `args` in `dir`, standard input closed.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubepatrol"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("the kubepatrol binary runs")
}

/// The tool at `path`, or `None` (after saying why) when it is absent outside CI; under `CI` a
/// missing tool fails the test.
pub fn required_tool(path: PathBuf, install_hint: &str) -> Option<PathBuf> {
    if path.exists() {
        return Some(path);
    }
    let message = format!("{} is missing; {install_hint}", path.display());
    if std::env::var_os("CI").is_some() {
        panic!("{message}");
    }
    eprintln!("skipped: {message}");
    None
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "stdout is JSON ({error}):\n{}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// An expected primary label: `# expect: checkId` (optionally `x2` for two findings) on a line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expected {
    pub check: String,
    pub line: usize,
    pub column: usize,
}

/// The markers of a fixture. The expected column is where the line's value starts
/// (`key: VALUE`, `- VALUE`), or where the key starts for a line that is only `key:`.
pub fn markers(text: &str) -> Vec<Expected> {
    let mut expected = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let Some(at) = line.find("# expect:") else {
            continue;
        };
        let mut words = line[at + "# expect:".len()..].split_whitespace();
        let Some(check) = words.next() else { continue };
        let count = match words.next() {
            Some(times) => times
                .trim_start_matches('x')
                .parse()
                .expect("marker count like x2"),
            None => 1,
        };
        let column = value_column(line[..at].trim_end());
        for _ in 0..count {
            expected.push(Expected {
                check: check.to_owned(),
                line: index + 1,
                column,
            });
        }
    }
    expected.sort();
    expected
}

fn value_column(content: &str) -> usize {
    let mut start = content.len() - content.trim_start().len();
    while content[start..].starts_with("- ") {
        start += 2;
        start += content[start..].len() - content[start..].trim_start().len();
    }
    let rest = &content[start..];
    let value_start = if rest.ends_with(':') {
        start
    } else if let Some(colon) = rest.find(": ") {
        let after = start + colon + 2;
        after + (content[after..].len() - content[after..].trim_start().len())
    } else {
        start
    };
    content[..value_start].chars().count() + 1
}

/// The primary positions of the findings of `check` (all checks when `None`) in `file`.
pub fn found(report: &serde_json::Value, file: &str, check: Option<&str>) -> Vec<Expected> {
    let mut found: Vec<Expected> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["file"] == file && check.is_none_or(|c| f["check"] == c))
        .map(|f| Expected {
            check: f["check"].as_str().unwrap_or_default().to_owned(),
            line: f["start"]["line"].as_u64().unwrap_or_default() as usize,
            column: f["start"]["column"].as_u64().unwrap_or_default() as usize,
        })
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marker_columns() {
        assert_eq!(value_column("  hostNetwork: true"), 16);
        assert_eq!(value_column("    - name: web"), 13);
        assert_eq!(value_column("      - SYS_ADMIN"), 9);
        assert_eq!(value_column("    readinessProbe:"), 5);
    }
}
