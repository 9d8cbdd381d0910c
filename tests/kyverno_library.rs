//! Kyverno's public policy library is its own oracle: every policy folder in the shared copy
//! (`pod-security-cel/`, `best-practices-cel/`) has a `.kyverno-test/kyverno-test.yaml` naming
//! resources and the expected pass or fail of each rule on each of them. Every policy is read
//! and evaluated here on those resources, and every expected result must match. Kyverno's own
//! cluster tests (`.chainsaw-test/chainsaw-test.yaml`) are a second oracle: each resource file
//! they apply with the policy enforced must be admitted, or refused where the test expects the
//! apply to fail, and every object in it must get that verdict here too.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kubepatrol::model::object::{Object, objects_of};
use kubepatrol::policy::ObjectBindings;
use kubepatrol::policy::kyverno::{KyvernoPolicy, Namespaces, RuleOutcome};
use kubepatrol::source::{SourceFile, SourceMap};
use kubepatrol::yaml::{Limits, Node, parse};

/// Expected results that do not match, with the reason: none.
const EXCEPTIONS: &[(&str, &str, &str)] = &[];

struct Loaded {
    sources: SourceMap,
    objects: Vec<Object>,
}

fn load(paths: &[PathBuf]) -> Loaded {
    let mut sources = SourceMap::default();
    let mut objects = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        let file = sources.add(SourceFile::new(path.display().to_string(), text.clone()));
        let parsed = parse(file, &text, Limits::default());
        assert!(
            parsed.errors.is_empty(),
            "{}: {:?}",
            path.display(),
            parsed.errors
        );
        objects.extend(objects_of(file, &parsed.documents).0);
    }
    Loaded { sources, objects }
}

struct InputNamespaces<'a>(&'a [Object]);

impl Namespaces for InputNamespaces<'_> {
    fn namespace(&self, name: &str) -> Option<cel::Value> {
        self.0
            .iter()
            .find(|object| object.id.kind == "Namespace" && object.id.name.as_deref() == Some(name))
            .map(|object| kubepatrol::cel::value_of(&object.root))
    }
}

fn strings(node: Option<&Node>) -> Vec<String> {
    node.and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::as_str)
        .map(str::to_owned)
        .collect()
}

fn verdict(outcome: &RuleOutcome) -> &'static str {
    match outcome {
        RuleOutcome::Skip => "skip",
        RuleOutcome::Pass => "pass",
        RuleOutcome::Fail(_) => "fail",
    }
}

/// The Kyverno policies in `paths`, which must all read without a diagnostic; `context` names
/// the test they are read for.
fn read_policies(paths: &[PathBuf], context: &Path) -> Vec<KyvernoPolicy> {
    let input = load(paths);
    let mut diagnostics = Vec::new();
    let policies: Vec<KyvernoPolicy> = input
        .objects
        .iter()
        .filter(|object| KyvernoPolicy::is_policy(object))
        .filter_map(|object| KyvernoPolicy::parse(object, &input.sources, &mut diagnostics))
        .collect();
    assert!(
        diagnostics.is_empty(),
        "{}: {diagnostics:?}",
        context.display()
    );
    assert!(
        !policies.is_empty(),
        "{}: no policy read",
        context.display()
    );
    policies
}

/// Every file named `name` under the shared library, in path order; `None` (the test skips)
/// without the library.
fn library_tests(name: &str) -> Option<Vec<PathBuf>> {
    let library = common::policies()?;
    let mut tests = Vec::new();
    test_files(&library, name, &mut tests);
    assert!(!tests.is_empty(), "no {name} under {}", library.display());
    Some(tests)
}

/// Fails the test with every mismatch, one a line.
fn assert_no_mismatches(mismatches: &[String]) {
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// Checks one `kyverno-test.yaml`; returns the number of results compared and the mismatches.
fn check_test(test_file: &Path) -> (usize, Vec<String>) {
    let dir = test_file.parent().unwrap_or(Path::new("."));
    let test = load(&[test_file.to_path_buf()]);
    let root = &test.objects[0].root;
    let policy_paths: Vec<PathBuf> = strings(root.get("policies"))
        .iter()
        .map(|p| dir.join(p))
        .collect();
    let resource_paths: Vec<PathBuf> = strings(root.get("resources"))
        .iter()
        .map(|p| dir.join(p))
        .collect();

    let policies = read_policies(&policy_paths, test_file);
    let resources = load(&resource_paths);
    let namespaces = InputNamespaces(&resources.objects);

    let mut compared = 0;
    let mut mismatches = Vec::new();
    for result in root
        .get("results")
        .and_then(Node::as_seq)
        .unwrap_or_default()
    {
        let field = |key: &str| result.get(key).and_then(Node::as_str).unwrap_or_default();
        let (policy_name, rule_name, kind, expected) = (
            field("policy"),
            field("rule"),
            field("kind"),
            field("result"),
        );
        let rule = policies
            .iter()
            .filter(|policy| policy.name == policy_name)
            .flat_map(|policy| &policy.rules)
            .find(|rule| rule.name == rule_name);
        let Some(rule) = rule else {
            mismatches.push(format!("{policy_name}/{rule_name}: rule not read"));
            continue;
        };
        for name in strings(result.get("resources")) {
            let object = resources
                .objects
                .iter()
                .find(|object| object.id.kind == kind && object.id.name.as_deref() == Some(&name));
            let Some(object) = object else {
                mismatches.push(format!("{kind} {name}: resource not found"));
                continue;
            };
            compared += 1;
            let outcome = rule.evaluate(object, &ObjectBindings::new(object), &namespaces);
            let excepted = EXCEPTIONS
                .iter()
                .any(|(policy, resource, _)| *policy == policy_name && *resource == name);
            if verdict(&outcome) != expected && !excepted {
                mismatches.push(format!(
                    "{policy_name}/{rule_name} on {kind} {name}: expected {expected}, got {outcome:?}"
                ));
            }
        }
    }
    (compared, mismatches)
}

/// Chainsaw verdicts that do not match, with the cause: (policy folder, object name, cause).
const CHAINSAW_EXCEPTIONS: &[(&str, &str, &str)] = &[
    (
        "require-drop-cap-net-raw",
        "add-capabilities-bad-001",
        "both containers drop CAP_NET_RAW, so the policy's expression holds; the test expects the \
         whole bad-pod-corner.yaml refused, which only its other two Pods are",
    ),
    (
        "disallow-host-ports-range",
        "goodpod11",
        "`hostPort: 0`: the API server decodes ports into ContainerPort, whose hostPort is an \
         int32 with omitempty, so the object Kyverno is sent has no hostPort and \
         `!has(port.hostPort)` holds; kubepatrol evaluates the manifest as written",
    ),
    (
        "disallow-host-ports-range",
        "gooddeployment11",
        "the same `hostPort: 0` in a Deployment's pod template",
    ),
];

/// The resource files a chainsaw test applies, each with whether the apply must be refused
/// (`expect: [{check: {($error != null): true}}]`). The policy's own file (`../policy.yaml`)
/// is not a resource.
fn chainsaw_applies(test: &Node) -> Vec<(String, bool)> {
    let steps = test
        .get("spec")
        .and_then(|spec| spec.get("steps"))
        .and_then(Node::as_seq)
        .unwrap_or_default();
    let operations = steps
        .iter()
        .flat_map(|step| step.get("try").and_then(Node::as_seq).unwrap_or_default());
    operations
        .filter_map(|operation| operation.get("apply"))
        .filter_map(|apply| {
            let file = apply.get("file").and_then(Node::as_str)?;
            let refused = apply
                .get("expect")
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(|expect| expect.get("check"))
                .any(|check| check.get("($error != null)").and_then(Node::as_bool) == Some(true));
            (!file.starts_with("../")).then(|| (file.to_string(), refused))
        })
        .collect()
}

/// Checks one chainsaw test against the policy in its parent folder; returns the number of
/// objects judged and the mismatches.
fn check_chainsaw(test_file: &Path) -> (usize, Vec<String>) {
    let dir = test_file.parent().unwrap_or(Path::new("."));
    let policy_dir = dir.parent().unwrap_or(Path::new("."));
    let mut policy_paths: Vec<PathBuf> = std::fs::read_dir(policy_dir)
        .expect("policy folder")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "yaml")
        })
        .collect();
    policy_paths.sort();
    let policies = read_policies(&policy_paths, policy_dir);
    let test = load(&[test_file.to_path_buf()]);
    let applies = chainsaw_applies(&test.objects[0].root);
    let files: Vec<PathBuf> = applies.iter().map(|(file, _)| dir.join(file)).collect();
    let everything_applied = load(&files);
    let namespaces = InputNamespaces(&everything_applied.objects);
    let mut judged = 0;
    let mut mismatches = Vec::new();
    for (file, refused) in files
        .iter()
        .zip(applies.iter().map(|(_, refused)| *refused))
    {
        for object in &load(std::slice::from_ref(file)).objects {
            let failures: Vec<&str> = policies
                .iter()
                .flat_map(|policy| &policy.rules)
                .filter(|rule| {
                    let bindings = ObjectBindings::new(object);
                    matches!(
                        rule.evaluate(object, &bindings, &namespaces),
                        RuleOutcome::Fail(_)
                    )
                })
                .map(|rule| rule.name.as_str())
                .collect();
            judged += 1;
            let excepted = CHAINSAW_EXCEPTIONS.iter().any(|(folder, name, _)| {
                policy_dir.ends_with(folder) && object.id.name.as_deref() == Some(*name)
            });
            if failures.is_empty() == refused && !excepted {
                let expected = if refused { "refused" } else { "admitted" };
                mismatches.push(format!(
                    "{}: {} {:?}: chainsaw expects it {expected}, failing rules here: {failures:?}",
                    file.display(),
                    object.id.kind,
                    object.id.name,
                ));
            }
        }
    }
    (judged, mismatches)
}

#[test]
fn every_chainsaw_apply_of_the_library_is_admitted_or_refused_as_expected() {
    let Some(tests) = library_tests("chainsaw-test.yaml") else {
        return;
    };
    let (mut judged, mut mismatches) = (0, Vec::new());
    for test in &tests {
        let (count, found) = check_chainsaw(test);
        judged += count;
        mismatches.extend(found);
    }
    assert_no_mismatches(&mismatches);
    eprintln!(
        "{} chainsaw tests, {judged} applied objects judged as expected",
        tests.len()
    );
}

fn test_files(dir: &Path, name: &str, found: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            test_files(&path, name, found);
        } else if path.file_name().is_some_and(|file| file == name) {
            found.push(path);
        }
    }
}

#[test]
fn every_expected_result_of_the_library_matches() {
    let Some(tests) = library_tests("kyverno-test.yaml") else {
        return;
    };
    let mut per_test = BTreeMap::new();
    let mut mismatches = Vec::new();
    for test in &tests {
        let (compared, found) = check_test(test);
        assert!(compared > 0, "{}: no result compared", test.display());
        per_test.insert(test.display().to_string(), compared);
        mismatches.extend(found);
    }
    assert_no_mismatches(&mismatches);
    let total: usize = per_test.values().sum();
    eprintln!("{} policies, {total} expected results matched", tests.len());
}
