//! Helpers shared by the integration tests: run the real binary, read expectation markers.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub(crate) fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The shared corpus (`KUBEPATROL_CORPUS`, else `../shared/corpus`), or `None` after a visible
/// message where it is absent; `KUBEPATROL_REQUIRE_CORPUS` (set by CI) makes absence a failure.
pub(crate) fn corpus() -> Option<PathBuf> {
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

/// The shared policy library (`KUBEPATROL_POLICIES`, else `policies` beside the corpus), or
/// `None` after a visible message; `KUBEPATROL_REQUIRE_CORPUS` makes absence a failure.
pub(crate) fn policies() -> Option<PathBuf> {
    let path = std::env::var_os("KUBEPATROL_POLICIES")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("KUBEPATROL_CORPUS").map(|c| PathBuf::from(c).join("../policies"))
        })
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/policies"));
    if path.is_dir() {
        return Some(path);
    }
    assert!(
        std::env::var_os("KUBEPATROL_REQUIRE_CORPUS").is_none(),
        "the policy library is required but missing at {}",
        path.display()
    );
    eprintln!(
        "SKIPPED: policy library not found at {} (set KUBEPATROL_POLICIES)",
        path.display()
    );
    None
}

/// Run `kubepatrol` with `args` in `dir`, standard input closed.
pub(crate) fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubepatrol"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("the kubepatrol binary runs")
}

/// Where tests keep the tools they install (virtualenvs, downloads), reused between runs.
pub(crate) fn tools_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-tools")
}

/// A virtualenv under [`tools_dir`] with `package==version` from PyPI, made once and reused.
pub(crate) fn python_venv(package: &str, version: &str) -> PathBuf {
    let pinned = format!("{package}=={version}");
    python_venv_with(&format!("{package}-{version}"), "", &[&pinned])
}

/// A virtualenv under [`tools_dir`] named `name` with the pinned `requirements` file installed
/// (each dependency pinned there too), made once and remade when the file changes.
pub(crate) fn python_venv_from(name: &str, requirements: &Path) -> PathBuf {
    let pins = std::fs::read_to_string(requirements).expect("requirements readable");
    let file = requirements.to_string_lossy();
    python_venv_with(name, &pins, &["--no-deps", "-r", &file])
}

/// The virtualenv `name` with `pip install <install>` done, unless its marker holds `marker`.
fn python_venv_with(name: &str, marker: &str, install: &[&str]) -> PathBuf {
    // Tests of one binary run in parallel threads; two of them creating the same virtualenv at
    // once make one fail ("cannot create a virtualenv" on a fresh CI machine).
    static CREATING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = CREATING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let venv = tools_dir().join(name);
    let installed = venv.join("installed");
    if std::fs::read_to_string(&installed).ok().as_deref() != Some(marker) {
        let _ = std::fs::remove_dir_all(&venv);
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 runs");
        assert!(made.success(), "cannot create a virtualenv");
        let pip = Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet"])
            .args(install)
            .status()
            .expect("pip runs");
        assert!(pip.success(), "cannot install {install:?} from PyPI");
        std::fs::write(&installed, marker).expect("marker written");
    }
    venv
}

/// The tool at `path`, or `None` (after saying why) when it is absent outside CI; under `CI` a
/// missing tool fails the test.
pub(crate) fn required_tool(path: PathBuf, install_hint: &str) -> Option<PathBuf> {
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

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "stdout is JSON ({error}):\n{}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// An expected primary label: `# expect: checkId` (optionally `x2` for two findings) on a line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Expected {
    pub check: String,
    pub line: usize,
    pub column: usize,
}

/// The markers of a fixture. The expected column is where the line's value starts
/// (`key: VALUE`, `- VALUE`), or where the key starts for a line that is only `key:`.
pub(crate) fn markers(text: &str) -> Vec<Expected> {
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
pub(crate) fn found(report: &serde_json::Value, file: &str, check: Option<&str>) -> Vec<Expected> {
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

/// Copy the tree at `from` into `to` (created).
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Every file below `dir` by its path relative to `dir`, with its bytes.
pub(crate) fn read_tree(dir: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).expect("below dir").to_path_buf();
                files.insert(relative, std::fs::read(&path).expect("read"));
            }
        }
    }
    files
}

/// The documents of a manifest as JSON, without the fields `kubepatrol fix` may change: in
/// every pod spec (a mapping with `containers`) the host namespace flags, and in each of its
/// containers (and any mapping with a `name` and an `image`, such as a container a Kustomize
/// patch adds) the `cpu` and `memory` quantities, the probes' `tcpSocket`, `ports[].hostPort`, the securityContext flags that fixes
/// set, `capabilities.drop`, and the dangerous entries of `capabilities.add`. Emptied
/// securityContexts and capabilities count as absent. Two versions of a file that compare
/// equal differ at most in the fixed fields.
pub(crate) fn comparable_documents(text: &str) -> Vec<serde_json::Value> {
    use kubepatrol::render::tree_edit::to_json;
    use kubepatrol::source::FileId;
    use kubepatrol::yaml::{Limits, parse};
    parse(FileId(0), text, Limits::default())
        .documents
        .iter()
        .map(|document| {
            let mut value = to_json(&document.root);
            strip_pod_specs(&mut value);
            value
        })
        .collect()
}

fn strip_pod_specs(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            if map.get("containers").is_some_and(Value::is_array) {
                for field in ["hostNetwork", "hostIPC", "hostPID"] {
                    map.remove(field);
                }
                for list in ["containers", "initContainers", "ephemeralContainers"] {
                    if let Some(Value::Array(containers)) = map.get_mut(list) {
                        containers.iter_mut().for_each(strip_container);
                    }
                }
            }
            // The containers of an Argo Workflows template.
            for single in ["container", "script"] {
                if let Some(container @ Value::Object(_)) = map.get_mut(single) {
                    strip_container(container);
                }
            }
            if let Some(Value::Array(sidecars)) = map.get_mut("sidecars") {
                sidecars.iter_mut().for_each(strip_container);
            }
            strip_patch_value(map);
            map.values_mut().for_each(strip_pod_specs);
            // A container a Kustomize patch adds is written in the patch, outside a pod spec.
            if map.get("image").is_some_and(Value::is_string) && map.contains_key("name") {
                strip_container(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_pod_specs),
        _ => {}
    }
}

/// The value of a JSON patch operation that writes a securityContext or its capabilities,
/// stripped as it would be inside a container.
fn strip_patch_value(map: &mut serde_json::Map<String, serde_json::Value>) {
    use serde_json::{Value, json};
    let path = map.get("path").and_then(Value::as_str).unwrap_or_default();
    let wrap: fn(Value) -> Value = if path.ends_with("/securityContext") {
        |value| json!({ "securityContext": value })
    } else if path.ends_with("/capabilities") {
        |value| json!({ "securityContext": { "capabilities": value } })
    } else {
        return;
    };
    let capabilities = path.ends_with("/capabilities");
    let (true, Some(value)) = (map.contains_key("op"), map.get_mut("value")) else {
        return;
    };
    let mut container = wrap(std::mem::take(value));
    strip_container(&mut container);
    let context = container
        .get("securityContext")
        .cloned()
        .unwrap_or(Value::Null);
    *value = if capabilities {
        context.get("capabilities").cloned().unwrap_or(Value::Null)
    } else {
        context
    };
}

fn strip_container(container: &mut serde_json::Value) {
    use serde_json::Value;
    let Value::Object(container) = container else {
        return;
    };
    // Placeholders only fill in missing quantities and handlers; anything else in resources
    // and probes must be as it was.
    if let Some(Value::Object(resources)) = container.get_mut("resources") {
        for section in ["requests", "limits"] {
            if let Some(Value::Object(quantities)) = resources.get_mut(section) {
                quantities.retain(|name, _| name != "cpu" && name != "memory");
                if quantities.is_empty() {
                    resources.remove(section);
                }
            } else if resources.get(section).is_some_and(Value::is_null) {
                resources.remove(section);
            }
        }
    }
    for probe in ["readinessProbe", "livenessProbe"] {
        if let Some(Value::Object(handlers)) = container.get_mut(probe) {
            handlers.remove("tcpSocket");
        }
    }
    for field in ["resources", "readinessProbe", "livenessProbe"] {
        let empty = container.get(field).is_some_and(|value| {
            value.is_null() || value.as_object().is_some_and(|m| m.is_empty())
        });
        if empty {
            container.remove(field);
        }
    }
    if let Some(Value::Array(ports)) = container.get_mut("ports") {
        for port in ports.iter_mut().filter_map(Value::as_object_mut) {
            port.remove("hostPort");
        }
    }
    let Some(context) = container.get_mut("securityContext") else {
        return;
    };
    if let Value::Object(fields) = context {
        for field in [
            "privileged",
            "allowPrivilegeEscalation",
            "readOnlyRootFilesystem",
            "runAsNonRoot",
        ] {
            fields.remove(field);
        }
        if let Some(Value::Object(capabilities)) = fields.get_mut("capabilities") {
            capabilities.remove("drop");
            let kept: Vec<Value> = match capabilities.get("add") {
                Some(Value::Array(added)) => added
                    .iter()
                    .filter(|name| {
                        !kubepatrol::settings::Settings::default()
                            .is_dangerous_capability(name.as_str().unwrap_or_default())
                    })
                    .cloned()
                    .collect(),
                _ => Vec::new(),
            };
            if kept.is_empty() {
                capabilities.remove("add");
            } else {
                capabilities.insert("add".into(), Value::Array(kept));
            }
        }
        if matches!(fields.get("capabilities"), Some(Value::Null))
            || fields
                .get("capabilities")
                .and_then(Value::as_object)
                .is_some_and(|capabilities| capabilities.is_empty())
        {
            fields.remove("capabilities");
        }
    }
    if context.is_null() || context.as_object().is_some_and(|fields| fields.is_empty()) {
        container.remove("securityContext");
    }
}

/// `(file, check)` of each finding a `kubepatrol fix` report did not fix: its `not fixable`
/// and `held back` lines.
pub(crate) fn not_fixable(report: &str) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = report
        .lines()
        .filter_map(|line| {
            let (place, rest) = line
                .split_once(": not fixable [")
                .or_else(|| line.split_once(": held back ["))?;
            let file = place.rsplitn(3, ':').nth(2)?;
            let check = rest.split(']').next()?;
            Some((file.to_owned(), check.to_owned()))
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
