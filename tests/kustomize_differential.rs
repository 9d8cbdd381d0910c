//! Differential test against `kubectl kustomize`: for every kustomization directory of the
//! shared corpus that kubectl renders offline (listed in its KUSTOMIZE.md) and for the
//! project's own overlays, kubepatrol's rendered objects must have the same identities and
//! JSON-equal pod specs and RBAC subjects; and rendering with the objects no check inspects
//! outlined (as `lint` loads them) must give the same inspected objects as rendering every file
//! whole. kubectl runs once per directory, on two threads.
//! Without kubectl the test is skipped with a message, unless CI requires it (`CI=true`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use kubepatrol::discover::{self, DiscoverOptions};
use kubepatrol::load::LoadLimits;
use kubepatrol::model::object::objects_of;
use kubepatrol::model::workload;
use kubepatrol::render::tree_edit::to_json;
use kubepatrol::settings::Settings;
use kubepatrol::source::{FileId, SourceMap};
use kubepatrol::yaml::{self, Limits, Node};

const KUBECTL: &str = "/usr/bin/kubectl";

/// Directories (relative to the corpus) where kubepatrol knowingly differs, with the cause.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    (
        "GoogleCloudPlatform__microservices-demo/kustomize/components/network-policies",
        COMPONENT_ROOT,
    ),
    (
        "argoproj__argo-cd/util/kustomize/testdata/kustomization_yaml_components/components",
        COMPONENT_ROOT,
    ),
    ("kubernetes-sigs__kustomize/examples/ldap/base", GENERATOR),
    (
        "kubernetes-sigs__kustomize/examples/ldap/overlays/production",
        GENERATOR,
    ),
    (
        "kubernetes-sigs__kustomize/examples/ldap/overlays/staging",
        GENERATOR,
    ),
    (
        "kubernetes-sigs__kustomize/examples/springboot/base",
        GENERATOR,
    ),
    (
        "kubernetes-sigs__kustomize/examples/springboot/overlays/production",
        GENERATOR,
    ),
    (
        "kubernetes-sigs__kustomize/examples/springboot/overlays/staging",
        GENERATOR,
    ),
    ("kubernetes__ingress-nginx/deploy/prometheus", GENERATOR),
    (
        "argoproj__argo-cd/test/e2e/testdata/kustomize-cm-gen",
        GENERATOR,
    ),
    (
        "kubernetes-sigs__kustomize/examples/wordpress",
        "`vars` ($(MYSQL_SERVICE)) are not substituted",
    ),
    (
        "jaegertracing__jaeger-operator/config/namespaced",
        RETYPED_BINDING,
    ),
];
const COMPONENT_ROOT: &str = "a `kind: Component` built on its own is noted, not rendered";
const GENERATOR: &str = "configMapGenerator objects are not rendered (noted)";
/// A JSON patch turns a ClusterRoleBinding into a RoleBinding; kustomize's name-reference pass
/// then drops the namespace of its ServiceAccount subject, kubepatrol keeps it. No check reads
/// a subject's namespace.
const RETYPED_BINDING: &str = "ServiceAccount subject's namespace of a ClusterRoleBinding \
     retyped to RoleBinding: kustomize drops it, kubepatrol keeps it";

type Identity = (String, String, String, String);
/// Identity → (pod spec, RBAC subjects) as JSON.
type Rendering = BTreeMap<Identity, (serde_json::Value, serde_json::Value)>;

fn summary(objects: impl Iterator<Item = (Identity, Node)>) -> Rendering {
    objects
        .map(|(id, root)| {
            let json = to_json(&root);
            let pod_spec = [
                "/spec/template/spec",
                "/spec/jobTemplate/spec/template/spec",
            ]
            .iter()
            .find_map(|pointer| json.pointer(pointer).cloned())
            .or_else(|| (id.1 == "Pod").then(|| json["spec"].clone()))
            .unwrap_or_default();
            (id, (pod_spec, json["subjects"].clone()))
        })
        .collect()
}

fn identity(id: &kubepatrol::model::object::ObjectId) -> Identity {
    (
        id.api_version.clone(),
        id.kind.clone(),
        id.namespace.clone().unwrap_or_default(),
        id.name.clone().unwrap_or_default(),
    )
}

fn kubectl(dir: &Path) -> Result<Rendering, String> {
    let output = Command::new(KUBECTL)
        .arg("kustomize")
        .arg(dir)
        .output()
        .map_err(|error| error.to_string())?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let parsed = yaml::parse(FileId(0), &text, Limits::default());
    let (objects, _) = objects_of(FileId(0), &parsed.documents);
    Ok(summary(
        objects.iter().map(|o| (identity(&o.id), o.root.clone())),
    ))
}

/// kubepatrol's rendering of `dir`, with every object whole or, as `lint` loads them, with the
/// objects no check inspects outlined until a patch needs them.
fn kubepatrol(dir: &Path, outlined: bool) -> (Rendering, Vec<String>) {
    let file = discover::KUSTOMIZATION_FILE_NAMES
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
        .expect("a kustomization file");
    let discovery = discover::discover(
        &[file.to_string_lossy().into_owned()],
        &DiscoverOptions::default(),
    );
    let settings = Settings::default();
    let inspected = |api_version: &str, kind: &str| {
        !outlined || workload::is_inspected(api_version, kind, &settings)
    };
    let (_, rendered) = kubepatrol::load_and_render(
        SourceMap::default(),
        &discovery.inputs,
        // The directory's own rendering, as `kubectl kustomize DIR`, not the overlays that
        // consume it.
        &[],
        LoadLimits::default(),
        &inspected,
    );
    let diagnostics = rendered
        .diagnostics
        .iter()
        .map(|diagnostic| format!("{}: {}", diagnostic.code, diagnostic.message))
        .collect();
    let objects = rendered
        .objects
        .iter()
        .map(|o| (identity(&o.id), o.root.clone()));
    (summary(objects), diagnostics)
}

/// Only the objects some check inspects.
fn inspected_only(rendering: &Rendering) -> Rendering {
    let settings = Settings::default();
    rendering
        .iter()
        .filter(|((api_version, kind, _, _), _)| {
            workload::is_inspected(api_version, kind, &settings)
        })
        .map(|(id, value)| (id.clone(), value.clone()))
        .collect()
}

/// Outlining must not change what is rendered: the same identities and diagnostics (a JSON
/// patch that tests or moves a field of an outlined object would fail), and the same inspected
/// objects as when every file is read whole.
fn outlining_difference(dir: &Path, whole: &(Rendering, Vec<String>)) -> Option<String> {
    let (outlined, diagnostics) = kubepatrol(dir, true);
    if diagnostics != whole.1 {
        return Some(format!(
            "outlining changed the diagnostics: {diagnostics:?} instead of {:?}",
            whole.1
        ));
    }
    let whole = &whole.0;
    if !whole.keys().eq(outlined.keys()) {
        return Some("outlining changed the rendered identities".into());
    }
    difference(&inspected_only(whole), &inspected_only(&outlined))
        .map(|found| format!("outlining changed an inspected object: {found}"))
}

/// The first difference between the two renderings, if any.
fn difference(expected: &Rendering, actual: &Rendering) -> Option<String> {
    let missing: Vec<_> = expected
        .keys()
        .filter(|id| !actual.contains_key(*id))
        .collect();
    let extra: Vec<_> = actual
        .keys()
        .filter(|id| !expected.contains_key(*id))
        .collect();
    if !missing.is_empty() || !extra.is_empty() {
        return Some(format!("identities: missing {missing:?}, extra {extra:?}"));
    }
    expected.iter().find_map(|(id, want)| {
        let got = actual.get(id)?;
        let part = if got.0 != want.0 {
            "pod spec"
        } else {
            "subjects"
        };
        let (want, got) = if got.0 != want.0 {
            (&want.0, &got.0)
        } else {
            (&want.1, &got.1)
        };
        (want != got).then(|| format!("{id:?} {part}:\n  kubectl    {want}\n  kubepatrol {got}"))
    })
}

fn corpus_dirs(corpus: &Path) -> Vec<PathBuf> {
    let index = std::fs::read_to_string(corpus.join("KUSTOMIZE.md")).expect("KUSTOMIZE.md");
    index
        .lines()
        .filter(|line| line.contains("| ok:"))
        .filter_map(|line| line.split('`').nth(1))
        .map(|dir| corpus.join(dir))
        .collect()
}

#[test]
fn rendering_matches_kubectl_kustomize() {
    if !Path::new(KUBECTL).is_file() {
        assert!(
            std::env::var("CI").is_err(),
            "kubectl is required for the differential test at {KUBECTL}"
        );
        eprintln!("SKIPPED: {KUBECTL} not found");
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let fixtures = root.join("tests/fixtures/kustomize");
    let mut dirs: Vec<PathBuf> = ["base", "overlays/prod", "overlays/staging", "overlays/dev"]
        .iter()
        .map(|dir| fixtures.join(dir))
        .collect();
    let corpus = std::env::var_os("KUBEPATROL_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/corpus"));
    if corpus.is_dir() {
        dirs.extend(corpus_dirs(&corpus));
    }
    let (left, right) = dirs.split_at(dirs.len() / 2);
    let compare = |dirs: &[PathBuf]| -> Vec<(PathBuf, Option<String>, Option<String>)> {
        dirs.iter()
            .map(|dir| {
                let whole = kubepatrol(dir, false);
                let outcome = match kubectl(dir) {
                    Ok(expected) => difference(&expected, &whole.0),
                    Err(error) => Some(format!("kubectl failed: {error}")),
                };
                (dir.clone(), outcome, outlining_difference(dir, &whole))
            })
            .collect()
    };
    let results: Vec<_> = std::thread::scope(|scope| {
        let first = scope.spawn(|| compare(left));
        let mut results = compare(right);
        results.extend(first.join().expect("thread"));
        results
    });
    let mut unexpected = Vec::new();
    let mut passed = 0;
    for (dir, outcome, outlining) in &results {
        let relative = dir
            .strip_prefix(&corpus)
            .unwrap_or(dir)
            .to_string_lossy()
            .into_owned();
        if let Some(difference) = outlining {
            unexpected.push(format!("{relative}: {difference}"));
        }
        let known = KNOWN_DIFFERENCES
            .iter()
            .any(|(known, _)| *known == relative);
        match (outcome, known) {
            (None, false) => passed += 1,
            (None, true) => unexpected.push(format!(
                "{relative}: now matches; drop it from KNOWN_DIFFERENCES"
            )),
            (Some(_), true) => {}
            (Some(difference), false) => unexpected.push(format!("{relative}: {difference}")),
        }
    }
    eprintln!(
        "kustomize differential: {passed} of {} directories match",
        results.len()
    );
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
}
