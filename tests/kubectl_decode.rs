//! The decoder against kubectl itself: for every file of the fixtures and of the shared corpus,
//! the JSON kubepatrol reads ([`kubepatrol::yaml::to_json`] of each object) must equal what
//! `kubectl annotate --local -o json` prints, a purely client-side command that decodes with
//! sigs.k8s.io/yaml on go-yaml v2 exactly as `kubectl apply` does. A file kubectl refuses must
//! give kubepatrol an input error, unless the refusal is one of the intended differences below.
//! A property test runs generated YAML 1.1 spellings through both.
//!
//! kubectl runs on batches of files (one process for many `-f`); a batch that fails or
//! disagrees is run again file by file to name the file.

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
use std::time::Instant;

use kubepatrol::diagnostic::{Code, Level};
use kubepatrol::model::object::objects_of;
use kubepatrol::source::FileId;
use kubepatrol::yaml::{Document, Limits, parse, to_json};
use proptest::prelude::*;
use serde_json::Value as Json;

const KUBECTL: &str = "/usr/bin/kubectl";

/// The annotation `kubectl annotate` adds, removed again before comparing.
const MARK: &str = "kubepatrol.test/decoded";

/// Files per kubectl process: large enough to keep the process count low, small enough that a
/// batch rerun file by file after a refusal stays cheap.
const BATCH: usize = 64;

/// Refusals by kubectl that kubepatrol meets without an input error, on purpose.
const INTENDED_REFUSALS: &[(&str, &str)] = &[
    (
        "Object 'Kind' is missing",
        "a document without `kind` (a values file, a CI workflow) is not a Kubernetes object: \
         kubepatrol skips it silently instead of failing the run",
    ),
    (
        "unstructured.detector",
        "a document that is a sequence (a JSON 6902 patch file) is not an object either",
    ),
    (
        "helm-template",
        "an unrendered Helm template is skipped with a note (kubectl cannot parse `{{ }}`)",
    ),
    (
        "template-expression",
        "a document holding a template expression is skipped with a note, the file's other \
         documents are checked (kubectl refuses the whole stream)",
    ),
];

/// Where kubepatrol's tree and kubectl's JSON may differ on purpose; none of these is a field a
/// check reads differently.
const INTENDED_DIFFERENCES: &[(&str, &str)] = &[
    (
        "duplicate-key",
        "kubectl keeps the last of repeated keys silently; kubepatrol's tree keeps the last too \
         (so the decoding is compared), and it reports `duplicate-key` as an input error",
    ),
    (
        "timestamp",
        "an unquoted YAML timestamp (`2024-01-02`) is re-written by go-yaml as RFC 3339 \
         (`2024-01-02T00:00:00Z`); kubepatrol keeps the text, and no check reads a date",
    ),
];

fn kubectl_available() -> bool {
    common::required_tool(PathBuf::from(KUBECTL), "install kubectl (CI requires it)").is_some()
}

/// kubectl's decoding of `files`: the printed objects, or its error output.
fn kubectl(files: &[PathBuf]) -> Result<Vec<Json>, String> {
    let mut command = Command::new(KUBECTL);
    command.args([
        "annotate",
        "--local",
        "-o",
        "json",
        // kubepatrol reads `metadata.managedFields` as written (a `kubectl get` dump has them);
        // kubectl's printer would drop them.
        "--show-managed-fields",
        "--kubeconfig=/dev/null",
    ]);
    for file in files {
        command.arg("-f").arg(file);
    }
    let output = command
        .arg(format!("{MARK}=yes"))
        .output()
        .expect("kubectl runs");
    if !output.status.success() || !output.stderr.is_empty() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    Ok(serde_json::Deserializer::from_str(&stdout)
        .into_iter::<Json>()
        .map(|value| normalized(value.expect("kubectl prints JSON")))
        .collect())
}

/// Without the annotation kubectl added and the empty maps that held it, on both sides.
fn normalized(mut object: Json) -> Json {
    if let Some(metadata) = object.get_mut("metadata").and_then(Json::as_object_mut) {
        if let Some(annotations) = metadata
            .get_mut("annotations")
            .and_then(Json::as_object_mut)
        {
            annotations.remove(MARK);
        }
        if metadata.get("annotations").is_some_and(|annotations| {
            annotations.is_null() || annotations == &Json::Object(Default::default())
        }) {
            metadata.remove("annotations");
        }
    }
    if let Some(root) = object.as_object_mut()
        && root.get("metadata").is_some_and(|metadata| {
            metadata.is_null() || metadata == &Json::Object(Default::default())
        })
    {
        root.remove("metadata");
    }
    object
}

/// What kubepatrol decodes from `text`: every object kubectl would print, in order, as JSON.
/// Items of a typed list carry the identity kubectl gives them; a document with a `kind` but no
/// `apiVersion`, which kubepatrol notes and does not check, is still decoded.
fn kubepatrol_objects(text: &str) -> Result<Vec<Json>, String> {
    let parsed = parse(FileId(0), text, Limits::default());
    let refusal = parsed
        .errors
        .iter()
        .find(|error| error.code != Code::DuplicateKey);
    if let Some(error) = refusal {
        return Err(format!("{}: {}", error.code.as_str(), error.message));
    }
    let mut objects = Vec::new();
    for document in &parsed.documents {
        objects.extend(document_objects(document)?);
    }
    Ok(objects)
}

fn document_objects(document: &Document) -> Result<Vec<Json>, String> {
    let (objects, diagnostics) = objects_of(FileId(0), std::slice::from_ref(document));
    if let Some(error) = diagnostics.iter().find(|d| d.level == Level::Error) {
        return Err(format!("{}: {}", error.code.as_str(), error.message));
    }
    if diagnostics
        .iter()
        .any(|d| d.code == Code::MissingApiVersion)
        && objects.is_empty()
    {
        return Ok(vec![normalized(json(&document.root)?)]);
    }
    objects
        .iter()
        .map(|object| {
            let mut decoded = json(&object.root)?;
            if let Some(root) = decoded.as_object_mut() {
                root.entry("apiVersion")
                    .or_insert_with(|| object.id.api_version.clone().into());
                root.entry("kind")
                    .or_insert_with(|| object.id.kind.clone().into());
            }
            Ok(normalized(decoded))
        })
        .collect()
}

fn json(node: &kubepatrol::yaml::Node) -> Result<Json, String> {
    to_json(node).map_err(|error| format!("no JSON form: {error:?}"))
}

/// Whether the pipeline reports an error-level diagnostic for the file, and the codes it
/// reported.
fn input_errors(path: &Path, bytes: &[u8]) -> (bool, Vec<&'static str>) {
    let outcome = kubepatrol::lint_bytes(
        &path.display().to_string(),
        bytes,
        &kubepatrol::LintOptions::default(),
    );
    let codes = outcome
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    let error = outcome.diagnostics.iter().any(|d| d.level == Level::Error);
    (error, codes)
}

/// The first place where two JSON values differ, as a path, or `None` when they are equal
/// (up to the intended differences).
fn difference(path: &str, ours: &Json, theirs: &Json) -> Option<String> {
    match (ours, theirs) {
        (Json::Object(a), Json::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            keys.into_iter().find_map(|key| {
                let here = format!("{path}.{key}");
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => difference(&here, x, y),
                    (x, y) => Some(format!("{here}: kubepatrol {x:?}, kubectl {y:?}")),
                }
            })
        }
        (Json::Array(a), Json::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(index, (x, y))| difference(&format!("{path}[{index}]"), x, y)),
        (Json::Number(a), Json::Number(b)) if a.as_f64() == b.as_f64() => None,
        (Json::String(a), Json::String(b)) if is_timestamp_rewrite(a, b) => None,
        _ if ours == theirs => None,
        _ => Some(format!("{path}: kubepatrol {ours}, kubectl {theirs}")),
    }
}

/// go-yaml's rewrite of an unquoted timestamp (see [`INTENDED_DIFFERENCES`]).
fn is_timestamp_rewrite(ours: &str, theirs: &str) -> bool {
    let date = |text: &str| {
        text.len() >= 10
            && text.bytes().take(10).enumerate().all(|(at, byte)| {
                if at == 4 || at == 7 {
                    byte == b'-'
                } else {
                    byte.is_ascii_digit()
                }
            })
    };
    date(ours) && theirs.starts_with(&ours[..10]) && theirs.ends_with('Z') && ours != theirs
}

/// The verdict on one file: `Ok` when both agree (or differ only as intended).
fn compare_file(path: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).expect("readable");
    let text = String::from_utf8(bytes.clone());
    let ours = text
        .as_deref()
        .map_err(|_| "not UTF-8".to_owned())
        .and_then(kubepatrol_objects);
    match (kubectl(&[path.to_path_buf()]), ours) {
        (Ok(theirs), Ok(ours)) => objects_difference(&ours, &theirs).map_or(Ok(()), Err),
        (Ok(_), Err(error)) => Err(format!("kubectl accepts it, kubepatrol: {error}")),
        (Err(refusal), _) => {
            let (error, codes) = input_errors(path, &bytes);
            let intended = INTENDED_REFUSALS
                .iter()
                .any(|(sign, _)| refusal.contains(sign) || codes.contains(sign));
            if error || intended {
                Ok(())
            } else {
                Err(format!(
                    "kubectl refuses it ({}) but kubepatrol reports no input error",
                    refusal.trim()
                ))
            }
        }
    }
}

fn objects_difference(ours: &[Json], theirs: &[Json]) -> Option<String> {
    if ours.len() != theirs.len() {
        return Some(format!(
            "kubepatrol decodes {} objects, kubectl {}",
            ours.len(),
            theirs.len()
        ));
    }
    ours.iter()
        .zip(theirs)
        .enumerate()
        .find_map(|(index, (a, b))| difference(&format!("object {index}"), a, b))
}

/// What kubepatrol decodes from a file when it expects kubectl to accept the file: every
/// document an object (a mapping with a `kind`); `None` for the files that go to kubectl alone.
fn decodable(file: &Path) -> Option<Vec<Json>> {
    let text = std::fs::read_to_string(file).ok()?;
    let parsed = parse(FileId(0), &text, Limits::default());
    let objects = parsed
        .documents
        .iter()
        .all(|document| document.root.get("kind").is_some());
    objects.then(|| kubepatrol_objects(&text).ok()).flatten()
}

/// Whether a batch agrees in one kubectl run: kubectl accepts every file and prints what
/// kubepatrol decodes, in order.
fn batch_agrees(files: &[PathBuf], ours: &[Json]) -> bool {
    kubectl(files).is_ok_and(|theirs| objects_difference(ours, &theirs).is_none())
}

fn manifests_below(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            manifests_below(&path, found);
        } else if path
            .extension()
            .and_then(|ext| ext.to_str())
            .is_some_and(|ext| matches!(ext, "yaml" | "yml" | "json"))
        {
            found.push(path);
        }
    }
}

#[test]
fn every_fixture_and_corpus_file_decodes_as_kubectl_decodes_it() {
    if !kubectl_available() {
        return;
    }
    let started = Instant::now();
    let mut files = Vec::new();
    manifests_below(&common::fixtures(), &mut files);
    if let Some(corpus) = common::corpus() {
        manifests_below(&corpus, &mut files);
    }
    files.sort();
    // Files kubectl should accept go in batches; the others (refusals expected) one by one.
    let (mut batched, mut alone) = (Vec::new(), Vec::new());
    for file in &files {
        match decodable(file) {
            Some(objects) => batched.push((file.clone(), objects)),
            None => alone.push(vec![(file.clone(), Vec::new())]),
        }
    }
    let counts = (batched.len(), alone.len());
    let mut work: Vec<Vec<(PathBuf, Vec<Json>)>> =
        batched.chunks(BATCH).map(<[_]>::to_vec).collect();
    work.append(&mut alone);
    let (left, right) = work.split_at(work.len() / 2);
    let check = |batches: &[Vec<(PathBuf, Vec<Json>)>]| -> Vec<String> {
        let mut failures = Vec::new();
        for batch in batches {
            let paths: Vec<PathBuf> = batch.iter().map(|(path, _)| path.clone()).collect();
            let ours: Vec<Json> = batch
                .iter()
                .flat_map(|(_, objects)| objects.clone())
                .collect();
            if batch.len() > 1 && batch_agrees(&paths, &ours) {
                continue;
            }
            for file in &paths {
                if let Err(failure) = compare_file(file) {
                    failures.push(format!("{}: {failure}", file.display()));
                }
            }
        }
        failures
    };
    let failures: Vec<String> = std::thread::scope(|scope| {
        let first = scope.spawn(|| check(left));
        let mut failures = check(right);
        failures.extend(first.join().expect("thread"));
        failures
    });
    eprintln!(
        "kubectl decode: {} files ({} in batches, {} alone) in {:.1?}; intended differences: {:?}",
        files.len(),
        counts.0,
        counts.1,
        started.elapsed(),
        INTENDED_REFUSALS
            .iter()
            .chain(INTENDED_DIFFERENCES)
            .map(|(sign, _)| *sign)
            .collect::<Vec<_>>()
    );
    assert!(files.len() > 50, "too few files: {}", files.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// YAML 1.1 spellings of scalars, as written in a manifest.
fn scalar() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "y",
        "Y",
        "yes",
        "Yes",
        "YES",
        "n",
        "N",
        "no",
        "on",
        "On",
        "OFF",
        "true",
        "False",
        "TRUE",
        "0",
        "-0",
        "+7",
        "017",
        "0o17",
        "0x1F",
        "0X1f",
        "0b101",
        "-0x10",
        "1_000",
        "08",
        "080",
        "1.5",
        "-1.5",
        ".5",
        "1e3",
        "8e1",
        "80.0",
        "0.0",
        "-0.0",
        "1_000.5",
        "1E-2",
        "~",
        "null",
        "Null",
        "NULL",
        "\"\"",
        "''",
        "'yes'",
        "\"0x1\"",
        "!!str 80",
        "!!str yes",
        "!!float 80",
        "!!float 0x50",
        "!!int \"7\"",
        "!!bool \"yes\"",
        "!!null ~",
        "nginx:1.25",
        "a b",
        "1.2.3",
        ".inf.",
        "0x",
    ])
    .prop_map(str::to_owned)
}

/// A keyed mapping body written flow or block, with a merge before or after the explicit key,
/// through an anchor or inline, and an alias of the anchored value.
fn mapping(index: usize) -> impl Strategy<Value = String> {
    (scalar(), scalar(), scalar(), 0..6usize).prop_map(move |(a, b, c, form)| match form {
        0 => format!("  m{index}: {{k: {a}, <<: {{k: {b}, j: {c}}}}}\n"),
        1 => format!("  m{index}: {{<<: {{k: {b}}}, k: {a}}}\n"),
        2 => format!("  m{index}:\n    k: {a}\n    <<:\n      k: {b}\n      j: {c}\n"),
        3 => format!(
            "  d{index}: &d{index} {{k: {a}, j: {b}}}\n  m{index}:\n    !!merge <<: *d{index}\n    j: {c}\n"
        ),
        4 => format!("  a{index}: &a{index} {a}\n  m{index}: [*a{index}, {b}, {{x: *a{index}}}]\n"),
        _ => format!(
            "  x{index}: &x{index} {{k: {a}}}\n  y{index}: &y{index} {{k: {b}, j: {c}}}\n  m{index}: {{<<: [*x{index}, *y{index}]}}\n"
        ),
    })
}

fn document() -> impl Strategy<Value = String> {
    (mapping(0), mapping(1), mapping(2)).prop_map(|(a, b, c)| {
        format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: generated\nspec:\n{a}{b}{c}")
    })
}

proptest! {
    // Each case is one kubectl process on a file of many generated documents.
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn generated_yaml_1_1_spellings_decode_as_kubectl_decodes_them(
        documents in prop::collection::vec(document(), 24),
    ) {
        if !Path::new(KUBECTL).is_file() {
            return Ok(());
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("generated.yaml");
        let text = documents.join("---\n");
        std::fs::write(&path, &text).expect("write");
        match (kubectl(std::slice::from_ref(&path)), kubepatrol_objects(&text)) {
            (Ok(theirs), Ok(ours)) => {
                let difference = objects_difference(&ours, &theirs);
                prop_assert!(difference.is_none(), "{}\n{}", difference.unwrap_or_default(), text);
            }
            (Err(refusal), Ok(_)) => prop_assert!(false, "kubectl refuses ({refusal}) what kubepatrol reads:\n{text}"),
            (Ok(_), Err(error)) => prop_assert!(false, "kubepatrol refuses ({error}) what kubectl reads:\n{text}"),
            (Err(_), Err(_)) => {}
        }
    }
}
