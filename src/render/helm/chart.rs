//! A chart rendered as `helm template` renders it, with provenance.
//!
//! The chart tree (the chart and every subchart folder under `charts/`), values coalesced as
//! Helm coalesces them (a parent's `values.<subchart>` over the subchart's `values.yaml`, the
//! parent's `global` over the subchart's), dependencies turned off by `condition`/`tags`,
//! aliases renaming a subchart, library charts contributing only their partials, one template
//! set parsed in Helm's order (deepest paths first, so the parent's `define`s win), each
//! template executed with its chart's `.Values`, `.Chart`, `.Files`, `.Release`,
//! `.Capabilities`, `.Template` and `.Subcharts`. The output of each template is parsed with
//! the span-carrying YAML loader and every node's span is mapped back to the template or
//! values-file text that wrote it, so findings point at the line to change.
//!
//! Each chart's `values.schema.json` is checked against the values it renders with; a
//! violation is an error at the values line (Helm refuses the release; kubepatrol still lints
//! what renders).
//!
//! `.Release` is what `helm template` sets without a name: `release-name` in namespace
//! `default`, installing revision 1. `.Capabilities` are helm v3.17.1's defaults (Kubernetes
//! v1.32.0 and its built-in API versions). A values set (see [`ValuesSet`]) renders with its
//! values files and `set` values over the chart's (see [`super::overrides`]), its release name
//! and namespace, its kube version in place of the default and its API versions added to the
//! defaults, as `helm template` does with `--kube-version` and `--api-versions`; its objects
//! and diagnostics name it. A kube version the chart's `kubeVersion` constraint excludes is an
//! error at the constraint, as Helm's refusal is. Archived subcharts (`charts/x.tgz`) arrive unpacked
//! from the loader under `charts/x.tgz/`, and are subchart folders like any other.
//! `import-values` are processed as helm v3.17.1 processes them (see [`import_values`]).

use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use super::encode::files_object;
use super::exec::Engine;
use super::parse::{ParseOutcome, SourceOrigin};
use super::text::Traced;
use super::value::{Kind, Methods, Object, Slot, Val, from_node, map_of};
use super::{Limits, STACK_SIZE};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::model::files::{ChartFile, LoadedChart};
use crate::model::object::{Object as KubeObject, objects_of};
use crate::model::values_set::ValuesSet;
use crate::source::{FileId, SourceMap, Span};
use crate::yaml::{self, Document, Node, Value};

/// The release `lint` renders charts as: `helm template`'s default name, namespace `default`.
pub(crate) const RELEASE_NAME: &str = "release-name";
const RELEASE_NAMESPACE: &str = "default";
const KUBE_VERSION: (&str, &str, &str) = ("v1.32.0", "1", "32");
/// helm v3.17.1's default `.Capabilities.APIVersions` (read from the real binary).
const API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "internal.apiserver.k8s.io/v1alpha1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1alpha1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "autoscaling/v2beta1",
    "autoscaling/v2beta2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1beta1",
    "certificates.k8s.io/v1alpha1",
    "coordination.k8s.io/v1alpha2",
    "coordination.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1alpha1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1alpha1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1beta1",
    "rbac.authorization.k8s.io/v1alpha1",
    "resource.k8s.io/v1beta1",
    "resource.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1alpha1",
    "scheduling.k8s.io/v1beta1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1alpha1",
    "storagemigration.k8s.io/v1alpha1",
    "apiextensions.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
];

/// What rendering a chart produced.
#[derive(Debug, Default)]
pub(crate) struct RenderedChart {
    pub(crate) objects: Vec<KubeObject>,
    pub(crate) diagnostics: Vec<Diagnostic>,
}

/// A chart to render: its `Chart.yaml` input, its files, and the values set it renders with
/// (`None`: its `values.yaml` alone, as release [`RELEASE_NAME`]).
#[derive(Clone, Copy)]
pub(crate) struct Request<'a> {
    pub(crate) chart_file: FileId,
    pub(crate) chart: &'a LoadedChart,
    pub(crate) sources: &'a SourceMap,
    pub(crate) values_set: Option<&'a ValuesSet>,
    /// What the chart's renders share.
    pub(crate) cache: &'a RenderCache,
}

/// The work the renders of one chart (its values sets) share, done once: neither parsing a
/// template nor reading a rendered output as YAML depends on the values, only on the text.
/// Filled on first use, from any thread.
pub(crate) struct RenderCache {
    /// Every text file of the chart, read when a render first needs it.
    files: HashMap<FileId, FileReads>,
    /// Per template file, each distinct output read so far, by template name (an aliased
    /// subchart renders its files under two names) and traced text.
    outputs: Mutex<ReadOutputs>,
}

type ReadOutputs = HashMap<FileId, Vec<(String, Traced, Arc<ReadOutput>)>>;

/// A chart file read as a template, or as YAML (`Chart.yaml`, values files).
#[derive(Default)]
struct FileReads {
    template: OnceLock<ParseOutcome>,
    yaml: OnceLock<(Option<Node>, Vec<Diagnostic>)>,
    /// The text, copied out of the source map once for every render: as a template's source,
    /// or as a `.Files` entry.
    text: OnceLock<Arc<str>>,
}

/// A rendered output read as YAML, its spans mapped back to the sources.
struct ReadOutput {
    documents: Vec<Document>,
    computed: Vec<(Span, Vec<Span>)>,
    diagnostics: Vec<Diagnostic>,
}

impl RenderCache {
    pub(crate) fn of(chart: &LoadedChart) -> RenderCache {
        let files = (chart.files.values())
            .filter_map(|file| match file {
                ChartFile::Text(file) => Some((*file, FileReads::default())),
                ChartFile::Bytes(_) => None,
            })
            .collect();
        RenderCache {
            files,
            outputs: Mutex::default(),
        }
    }

    fn parse(
        &self,
        file: FileId,
        text: &str,
        parser: &impl Fn(&str) -> ParseOutcome,
    ) -> ParseOutcome {
        match self.files.get(&file) {
            Some(reads) => reads.template.get_or_init(|| parser(text)).clone(),
            None => parser(text),
        }
    }

    /// Whether `file` still has to be parsed as a template.
    fn parses(&self, file: FileId) -> bool {
        (self.files.get(&file)).is_none_or(|reads| reads.template.get().is_none())
    }

    /// A chart text file's text, copied out of the source map once.
    fn text(&self, file: FileId, sources: &SourceMap) -> Arc<str> {
        let copy = || Arc::from(sources.get(file).map_or("", |source| source.text.as_str()));
        match self.files.get(&file) {
            Some(reads) => Arc::clone(reads.text.get_or_init(copy)),
            None => copy(),
        }
    }

    /// A chart file's contents for `.Files`.
    fn bytes(&self, file: &ChartFile, sources: &SourceMap) -> Arc<[u8]> {
        match file {
            ChartFile::Bytes(bytes) => Arc::clone(bytes),
            ChartFile::Text(id) => Arc::from(self.text(*id, sources)),
        }
    }

    /// [`parse_yaml`], once per file.
    fn parse_yaml(
        &self,
        file: FileId,
        text: &str,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Option<Node> {
        let Some(reads) = self.files.get(&file) else {
            return parse_yaml(file, text, diagnostics);
        };
        let (node, errors) = reads.yaml.get_or_init(|| {
            let mut errors = Vec::new();
            (parse_yaml(file, text, &mut errors), errors)
        });
        diagnostics.extend(errors.iter().cloned());
        node.clone()
    }

    fn read(&self, output: &Output) -> Arc<ReadOutput> {
        let cached = |outputs: &ReadOutputs| {
            (outputs.get(&output.file)?.iter())
                .find(|(name, text, _)| *name == output.name && *text == output.text)
                .map(|(_, _, read)| Arc::clone(read))
        };
        if let Some(read) = self
            .outputs
            .lock()
            .ok()
            .and_then(|outputs| cached(&outputs))
        {
            return read;
        }
        // Read outside the lock: the other renders go on; a twin read meanwhile is dropped.
        let read = Arc::new(read_output(output));
        if let Ok(mut outputs) = self.outputs.lock()
            && cached(&outputs).is_none()
        {
            let entry = outputs.entry(output.file).or_default();
            entry.push((output.name.clone(), output.text.clone(), Arc::clone(&read)));
        }
        read
    }
}

/// One template's rendered text.
struct Output {
    name: String,
    file: FileId,
    text: Traced,
}

/// Render the chart into objects whose nodes point at the text that wrote them.
pub(crate) fn render_chart(request: Request<'_>) -> RenderedChart {
    let (outputs, diagnostics) = render_outputs(request);
    let mut rendered = RenderedChart {
        objects: Vec::new(),
        diagnostics,
    };
    // Templates execute in one thread (values are shared `Rc`s); their outputs parse and map
    // back to their sources on every core, joined in template order.
    let parts: Vec<RenderedChart> = outputs
        .par_iter()
        .map(|output| {
            let mut part = RenderedChart::default();
            objects_from(output, request.chart_file, request.cache, &mut part);
            part
        })
        .collect();
    for mut part in parts {
        rendered.objects.append(&mut part.objects);
        rendered.diagnostics.append(&mut part.diagnostics);
    }
    if let Some(set) = request.values_set {
        for object in &mut rendered.objects {
            object.values_set = Some(set.name.clone());
        }
        for diagnostic in &mut rendered.diagnostics {
            diagnostic.message = format!("{} (values set `{}`)", diagnostic.message, set.name);
        }
    }
    rendered
}

/// What `helm template` prints for the chart: every document under its `# Source:` name,
/// ordered by Helm's install order of kinds, hooks last, CRDs first when `include_crds`.
pub(crate) fn manifest(request: Request<'_>, include_crds: bool) -> (String, Vec<Diagnostic>) {
    let (outputs, diagnostics) = render_outputs(request);
    let mut out = String::new();
    if include_crds {
        for (name, text) in crd_files(request) {
            out.push_str(&format!("---\n# Source: {name}\n{text}\n"));
        }
    }
    let mut sorted: Vec<&Output> = outputs.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut manifests = Vec::new();
    let mut hooks = Vec::new();
    for output in sorted {
        for (start, end) in split_manifests(&output.text.text) {
            let piece = output
                .text
                .text
                .get(start..end)
                .unwrap_or_default()
                .to_string();
            let (kind, hook) = head(&piece);
            let entry = (install_rank(&kind), kind, output.name.clone(), piece);
            if hook {
                hooks.push(entry)
            } else {
                manifests.push(entry)
            }
        }
    }
    for list in [&mut manifests, &mut hooks] {
        list.sort_by(|a, b| match (a.0, b.0) {
            (None, None) if a.1 != b.1 => a.1.cmp(&b.1),
            (rank_a, rank_b) => rank_a
                .unwrap_or(usize::MAX)
                .cmp(&rank_b.unwrap_or(usize::MAX)),
        });
    }
    for (_, _, name, piece) in manifests.iter().chain(hooks.iter()) {
        out.push_str(&format!("---\n# Source: {name}\n{piece}\n"));
    }
    (out, diagnostics)
}

/// The chart tree's `crds/` files, as `--include-crds` prints them.
fn crd_files(request: Request<'_>) -> Vec<(String, String)> {
    let mut diagnostics = Vec::new();
    let Some(mut root) = load_node(
        request.chart,
        request.sources,
        request.cache,
        "",
        None,
        &mut diagnostics,
    ) else {
        return Vec::new();
    };
    resolve_dependencies(&mut root, &mut diagnostics);
    let mut files = Vec::new();
    collect_crds(&root, request, &mut files);
    files
}

fn collect_crds(node: &ChartNode, request: Request<'_>, files: &mut Vec<(String, String)>) {
    for (path, file) in &request.chart.files {
        let Some(relative) = path
            .strip_prefix(&node.prefix)
            .filter(|relative| relative.starts_with("crds/"))
        else {
            continue;
        };
        let text = match file {
            ChartFile::Bytes(bytes) => crate::source::lossy_utf8(bytes).into_owned(),
            ChartFile::Text(file) => request
                .sources
                .get(*file)
                .map(|source| source.text.clone())
                .unwrap_or_default(),
        };
        files.push((format!("{}/{relative}", node.full_path), text));
    }
    for child in &node.children {
        collect_crds(child, request, files);
    }
}

/// Helm's `SplitManifests`: the byte ranges of the documents, separated by `---` (even one
/// followed by text on its line, `---# comment`, which YAML would not split), each trimmed,
/// empty ones dropped.
fn split_manifests(text: &str) -> Vec<(usize, usize)> {
    static SEPARATOR: std::sync::LazyLock<Option<regex::Regex>> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"(?:^|\s*\n)---\s*").ok());
    let Some(separator) = SEPARATOR.as_ref() else {
        return Vec::new();
    };
    let start = text.len() - text.trim_start().len();
    let end = text.trim_end().len().max(start);
    let body = text.get(start..end).unwrap_or_default();
    let mut pieces = Vec::new();
    let mut from = 0;
    let mut push = |from: usize, to: usize| {
        let piece = body.get(from..to).unwrap_or_default();
        let lead = piece.len() - piece.trim_start().len();
        let trimmed = piece.trim();
        if !trimmed.is_empty() {
            pieces.push((start + from + lead, start + from + lead + trimmed.len()));
        }
    };
    for found in separator.find_iter(body) {
        push(from, found.start());
        from = found.end();
    }
    push(from, body.len());
    pieces
}

/// A document's kind and whether it is a hook (`helm.sh/hook` annotation).
fn head(piece: &str) -> (String, bool) {
    let parsed = yaml::parse(FileId(u32::MAX), piece, yaml::Limits::default());
    let Some(root) = parsed.documents.first().map(|document| &document.root) else {
        return (String::new(), false);
    };
    let kind = root
        .get("kind")
        .and_then(Node::as_str)
        .unwrap_or_default()
        .to_string();
    let hook = root
        .get("metadata")
        .and_then(|metadata| metadata.get("annotations"))
        .and_then(|annotations| annotations.get("helm.sh/hook"))
        .is_some();
    (kind, hook)
}

/// Helm's `InstallOrder`; unknown kinds go last, alphabetically.
fn install_rank(kind: &str) -> Option<usize> {
    const ORDER: &[&str] = &[
        "PriorityClass",
        "Namespace",
        "NetworkPolicy",
        "ResourceQuota",
        "LimitRange",
        "PodSecurityPolicy",
        "PodDisruptionBudget",
        "ServiceAccount",
        "Secret",
        "SecretList",
        "ConfigMap",
        "StorageClass",
        "PersistentVolume",
        "PersistentVolumeClaim",
        "CustomResourceDefinition",
        "ClusterRole",
        "ClusterRoleList",
        "ClusterRoleBinding",
        "ClusterRoleBindingList",
        "Role",
        "RoleList",
        "RoleBinding",
        "RoleBindingList",
        "Service",
        "DaemonSet",
        "Pod",
        "ReplicationController",
        "ReplicaSet",
        "Deployment",
        "HorizontalPodAutoscaler",
        "StatefulSet",
        "Job",
        "CronJob",
        "IngressClass",
        "Ingress",
        "APIService",
    ];
    ORDER.iter().position(|known| *known == kind)
}

/// Render every template, on a thread with room for Helm's nesting limits.
fn render_outputs(request: Request<'_>) -> (Vec<Output>, Vec<Diagnostic>) {
    let result = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(STACK_SIZE)
            .spawn_scoped(scope, || render_on_this_thread(request))
            .ok()
            .and_then(|handle| handle.join().ok())
    });
    result.unwrap_or_else(|| {
        let failed = Diagnostic::error(
            Code::InternalError,
            Location::File(request.chart_file),
            "rendering the chart failed",
        );
        (Vec::new(), vec![failed])
    })
}

/// The display paths of the directories of the rendered charts, each ending in `/`.
pub(crate) fn chart_directories(
    chart_files: impl Iterator<Item = FileId>,
    sources: &SourceMap,
) -> Vec<String> {
    chart_files
        .filter_map(|file| sources.get(file))
        .map(|source| {
            source
                .display
                .strip_suffix("Chart.yaml")
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

/// One chart of the tree: where its files are, its metadata and values.
struct ChartNode {
    /// Path prefix of its files in the loaded chart: `""` or `charts/sub/`.
    prefix: String,
    /// Its name in template paths and parent values: the alias, or `Chart.yaml`'s name.
    name: String,
    /// Its full path in template names: `parent/charts/name`.
    full_path: String,
    metadata: Node,
    is_library: bool,
    values: Val,
    children: Vec<ChartNode>,
}

fn text_of<'s>(
    chart: &LoadedChart,
    sources: &'s SourceMap,
    path: &str,
) -> Option<(FileId, &'s str)> {
    match chart.files.get(path)? {
        ChartFile::Text(file) => sources
            .get(*file)
            .map(|source| (*file, source.text.as_str())),
        ChartFile::Bytes(_) => None,
    }
}

pub(super) fn parse_yaml(
    file: FileId,
    text: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Node> {
    let parsed = yaml::parse(file, text, yaml::Limits::default());
    for error in &parsed.errors {
        diagnostics.push(Diagnostic::error(
            Code::HelmChartError,
            Location::Span(error.span),
            error.message.clone(),
        ));
    }
    if !parsed.errors.is_empty() {
        return None;
    }
    Some(parsed.documents.into_iter().next().map_or(
        Node {
            span: Span::new(file, 0, 0),
            value: Value::Null,
        },
        |document| document.root,
    ))
}

/// The chart at `prefix` and its subcharts; `None` (with a diagnostic) if it cannot be read.
fn load_node(
    chart: &LoadedChart,
    sources: &SourceMap,
    cache: &RenderCache,
    prefix: &str,
    parent: Option<&str>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<ChartNode> {
    let (chart_file, chart_text) = text_of(chart, sources, &format!("{prefix}Chart.yaml"))?;
    let metadata = cache.parse_yaml(chart_file, chart_text, diagnostics)?;
    let name = metadata
        .get("name")
        .and_then(Node::as_str)
        .unwrap_or_default()
        .to_string();
    let values = match text_of(chart, sources, &format!("{prefix}values.yaml")) {
        Some((file, text)) => {
            (cache.parse_yaml(file, text, diagnostics)).map(|node| from_node(&node))?
        }
        None => Val::map(Default::default()),
    };
    let values = if values.is_nil() {
        Val::map(Default::default())
    } else {
        values
    };
    let full_path = parent.map_or(name.clone(), |parent| format!("{parent}/charts/{name}"));
    let mut node = ChartNode {
        prefix: prefix.to_string(),
        name,
        full_path,
        is_library: metadata.get("type").and_then(Node::as_str) == Some("library"),
        metadata,
        values,
        children: Vec::new(),
    };
    let subchart_prefixes: Vec<String> = chart
        .files
        .keys()
        .filter_map(|path| path.strip_prefix(&format!("{prefix}charts/")))
        .filter_map(|rest| rest.strip_suffix("/Chart.yaml"))
        .filter(|folder| !folder.contains('/'))
        .map(|folder| format!("{prefix}charts/{folder}/"))
        .collect();
    for sub in subchart_prefixes {
        let parent_path = node.full_path.clone();
        if let Some(child) = load_node(chart, sources, cache, &sub, Some(&parent_path), diagnostics)
        {
            node.children.push(child);
        }
    }
    Some(node)
}

/// Helm's coalescing: `over` wins; maps merge; a null in `over` deletes the key.
fn coalesce(over: &Val, under: &Val) -> Val {
    let (Kind::Map(over_map), Kind::Map(under_map)) = (&over.kind, &under.kind) else {
        return if over.is_nil() {
            under.deep_copy()
        } else {
            over.clone()
        };
    };
    let mut merged = under_map.borrow().clone();
    for (key, slot) in over_map.borrow().iter() {
        if slot.value.is_nil() {
            merged.remove(key);
            continue;
        }
        let value = match merged.get(key) {
            Some(existing) => coalesce(&slot.value, &existing.value),
            None => slot.value.clone(),
        };
        merged.insert(
            key.clone(),
            Slot {
                key: slot.key,
                value,
            },
        );
    }
    Val::map(merged).with_origin(over.origin)
}

/// A values set's files and `set` values over the chart's, as `helm template -f … --set …`.
fn apply_values_set(
    root: &mut ChartNode,
    values_set: Option<&ValuesSet>,
    sources: &SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if let Some(set) = values_set {
        let user = super::overrides::user_values(set, sources, diagnostics);
        root.values = coalesce(&user, &root.values);
    }
}

/// The `import-values` entries of a chart's dependency.
fn import_entries(dependency: &Node) -> &[Node] {
    dependency
        .get("import-values")
        .and_then(Node::as_seq)
        .unwrap_or_default()
}

fn dependency_entries(metadata: &Node) -> &[Node] {
    metadata
        .get("dependencies")
        .and_then(Node::as_seq)
        .unwrap_or_default()
}

/// Whether any chart of the tree imports values from a dependency.
fn declares_imports(node: &ChartNode) -> bool {
    dependency_entries(&node.metadata)
        .iter()
        .any(|dependency| !import_entries(dependency).is_empty())
        || node.children.iter().any(declares_imports)
}

/// Helm's `processDependencyImportValues` (with merge, as `helm template` runs it), on the
/// charts' own values before any values file: deepest charts first, each chart that imports
/// takes its enabled dependencies' tables (`child`/`parent` pairs, or a plain name meaning
/// `exports.<name>` into the top level), the first import of a key winning, under its own
/// values, which win over everything imported. Its values become that merge, subchart
/// sections included. As in Helm, an imported table is the very map of the merged values,
/// not a copy, so a later import into the same place also adds to the subchart's section.
/// `enabled` is the same tree after conditions, tags and aliases.
fn import_values(node: &mut ChartNode, enabled: &ChartNode) {
    for child in &mut node.children {
        if let Some(kept) = enabled
            .children
            .iter()
            .find(|kept| kept.prefix == child.prefix)
        {
            import_values(child, kept);
        }
    }
    let dependencies = dependency_entries(&node.metadata);
    if dependencies
        .iter()
        .all(|dependency| import_entries(dependency).is_empty())
    {
        return;
    }
    let merged = merged_values(node, enabled);
    let imported = Val::map(Default::default());
    for dependency in dependencies {
        let name = dependency
            .get("alias")
            .or_else(|| dependency.get("name"))
            .and_then(Node::as_str)
            .unwrap_or_default();
        if !enabled.children.iter().any(|kept| kept.name == name) {
            continue;
        }
        for entry in import_entries(dependency) {
            let (child, parent) = match entry.as_str() {
                Some(export) => (format!("exports.{export}"), "."),
                None => {
                    let field = |key| entry.get(key).and_then(Node::as_str);
                    let (Some(child), Some(parent)) = (field("child"), field("parent")) else {
                        continue;
                    };
                    (child.to_string(), parent)
                }
            };
            if let Some(table) = table_at(&merged, &format!("{name}.{child}")) {
                merge_tables(&imported, &nested_under(parent, table));
            }
        }
    }
    let values = merged.deep_copy();
    merge_tables(&values, &imported);
    node.values = values;
}

/// Helm's `MergeValues(chart, nil)`: the chart's values with each enabled subchart's merged
/// values filled in under its name.
fn merged_values(node: &ChartNode, enabled: &ChartNode) -> Val {
    let values = node.values.deep_copy();
    let Kind::Map(map) = &values.kind else {
        return values;
    };
    for kept in &enabled.children {
        let Some(child) = node
            .children
            .iter()
            .find(|child| child.prefix == kept.prefix)
        else {
            continue;
        };
        let section = match values.get(&kept.name) {
            Some(section) if matches!(section.kind, Kind::Map(_)) => section,
            Some(_) => continue,
            None => Val::map(Default::default()),
        };
        merge_tables(&section, &merged_values(child, kept));
        let key = map.borrow().get(&kept.name).and_then(|slot| slot.key);
        map.borrow_mut().insert(
            kept.name.clone(),
            Slot {
                key,
                value: section,
            },
        );
    }
    values
}

/// Helm's `Values.Table`: the map at a dotted path, itself (not a copy).
fn table_at(values: &Val, path: &str) -> Option<Val> {
    let mut table = values.clone();
    for key in path.split('.') {
        table = table.get(key)?;
        if !matches!(table.kind, Kind::Map(_)) {
            return None;
        }
    }
    Some(table)
}

/// Helm's `pathToMap`: `table` nested under the dotted `path` (`.` is the top level).
fn nested_under(path: &str, table: Val) -> Val {
    if path == "." {
        return table;
    }
    path.split('.')
        .rev()
        .fold(table, |inner, key| map_of(vec![(key, inner)]))
}

/// Helm's `MergeTables(dst, src)` with merge: `dst` wins, maps in both merge, in place.
fn merge_tables(dst: &Val, src: &Val) {
    let (Kind::Map(dst_map), Kind::Map(src_map)) = (&dst.kind, &src.kind) else {
        return;
    };
    if std::rc::Rc::ptr_eq(dst_map, src_map) {
        return;
    }
    let entries: Vec<(String, Slot)> = src_map
        .borrow()
        .iter()
        .map(|(key, slot)| (key.clone(), slot.clone()))
        .collect();
    for (key, slot) in entries {
        let existing = dst_map.borrow().get(&key).map(|slot| slot.value.clone());
        match existing {
            None => {
                dst_map.borrow_mut().insert(key, slot);
            }
            Some(existing) => merge_tables(&existing, &slot.value),
        }
    }
}

/// Apply aliases, conditions and tags, and coalesce each enabled subchart's values into
/// `values` (the parent's), globals included.
fn resolve_dependencies(node: &mut ChartNode, diagnostics: &mut Vec<Diagnostic>) {
    let dependencies: Vec<Node> = node
        .metadata
        .get("dependencies")
        .and_then(Node::as_seq)
        .map(<[Node]>::to_vec)
        .unwrap_or_default();
    let mut children = std::mem::take(&mut node.children);
    let mut matched: Vec<(ChartNode, Option<&Node>)> = Vec::new();
    for dependency in &dependencies {
        let Some(name) = dependency.get("name").and_then(Node::as_str) else {
            continue;
        };
        let Some(index) = children.iter().position(|child| child.name == name) else {
            diagnostics.push(Diagnostic::error(
                Code::HelmChartError,
                Location::Span(dependency.span),
                format!("dependency {name} is in Chart.yaml but missing in charts/: run `helm dependency build`"),
            ));
            continue;
        };
        let mut child = children.remove(index);
        if let Some(alias) = dependency.get("alias").and_then(Node::as_str) {
            child.name = alias.to_string();
            child.full_path = format!("{}/charts/{alias}", node.full_path);
        }
        matched.push((child, Some(dependency)));
    }
    matched.extend(children.into_iter().map(|child| (child, None)));
    // Helm decides conditions on the values coalesced with every subchart's defaults, then
    // renders with the defaults of the enabled ones only.
    let view = node.values.deep_copy();
    if let Kind::Map(map) = &view.kind {
        for (child, _) in &matched {
            let given = view.get(&child.name).unwrap_or_else(Val::nil);
            let value = coalesce(&given, &child.values);
            map.borrow_mut()
                .insert(child.name.clone(), Slot { key: None, value });
        }
    }
    let mut kept: Vec<ChartNode> = matched
        .into_iter()
        .filter(|(_, dependency)| dependency.is_none_or(|dependency| enabled(dependency, &view)))
        .map(|(child, _)| child)
        .collect();
    let parent_global = node.values.get("global");
    for child in &mut kept {
        let given = node.values.get(&child.name).unwrap_or_else(Val::nil);
        let mut values = coalesce(&given, &child.values);
        let child_global = values.get("global").unwrap_or_else(Val::nil);
        let global = coalesce(
            &parent_global.clone().unwrap_or_else(Val::nil),
            &child_global,
        );
        // Helm's coalesceGlobals always leaves a table, empty when neither chart has one.
        let global = if global.is_nil() {
            Val::map(Default::default())
        } else {
            global
        };
        if let Kind::Map(map) = &values.kind {
            map.borrow_mut().insert(
                "global".into(),
                Slot {
                    key: None,
                    value: global,
                },
            );
        }
        if values.is_nil() {
            values = Val::map(Default::default());
        }
        child.values = values.clone();
        if let Kind::Map(parent) = &node.values.kind {
            let key = parent.borrow().get(&child.name).and_then(|slot| slot.key);
            parent
                .borrow_mut()
                .insert(child.name.clone(), Slot { key, value: values });
        }
        resolve_dependencies(child, diagnostics);
    }
    node.children = kept;
}

/// A dependency's `condition` (the first path that is a boolean decides), else its `tags`
/// (enabled if any is true), else enabled.
fn enabled(dependency: &Node, values: &Val) -> bool {
    if let Some(condition) = dependency.get("condition").and_then(Node::as_str) {
        for path in condition.split(',') {
            let mut value = Some(values.clone());
            for key in path.trim().split('.') {
                value = value.and_then(|value| value.get(key));
            }
            if let Some(Val {
                kind: Kind::Bool(flag),
                ..
            }) = value
            {
                return flag;
            }
        }
    }
    let tags = dependency
        .get("tags")
        .and_then(Node::as_seq)
        .unwrap_or_default();
    let tag_values: Vec<bool> = tags
        .iter()
        .filter_map(Node::as_str)
        .filter_map(|tag| values.get("tags").and_then(|all| all.get(tag)))
        .filter_map(|value| {
            if let Kind::Bool(flag) = value.kind {
                Some(flag)
            } else {
                None
            }
        })
        .collect();
    tag_values.is_empty() || tag_values.contains(&true)
}

/// Each chart's `values.schema.json` against the values it renders with (Helm refuses the
/// release then); every violation is an error at the values line that wrote the value (or at
/// the enclosing map, for a missing property).
fn validate_schemas(
    node: &ChartNode,
    chart: &LoadedChart,
    chart_file: FileId,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if let Some(ChartFile::Bytes(bytes)) = chart
        .files
        .get(&format!("{}values.schema.json", node.prefix))
    {
        let schema =
            serde_json::from_slice::<serde_json::Value>(bytes).map_err(|error| error.to_string());
        let validator = schema.and_then(|schema| {
            jsonschema::validator_for(&schema).map_err(|error| error.to_string())
        });
        match validator {
            Ok(validator) => {
                let instance =
                    serde_json::from_str(&super::encode::to_json(&node.values, false, false))
                        .unwrap_or(serde_json::Value::Null);
                for error in validator.iter_errors(&instance) {
                    let path = error.instance_path().to_string();
                    let at =
                        origin_of_path(&node.values, &path).unwrap_or(Span::new(chart_file, 0, 0));
                    diagnostics.push(Diagnostic::error(
                        Code::HelmChartError,
                        Location::Span(at),
                        format!(
                            "values don't meet the values.schema.json of chart {}: {}: {error}",
                            node.name,
                            if path.is_empty() { "/" } else { &path }
                        ),
                    ));
                }
            }
            Err(error) => diagnostics.push(Diagnostic::error(
                Code::HelmChartError,
                Location::File(chart_file),
                format!("{}values.schema.json cannot be used: {error}", node.prefix),
            )),
        }
    }
    for child in &node.children {
        validate_schemas(child, chart, chart_file, diagnostics);
    }
}

/// Where the value at a JSON pointer was written: the deepest value on the path that has an
/// origin.
fn origin_of_path(values: &Val, pointer: &str) -> Option<Span> {
    let mut current = values.clone();
    let mut found = current.origin.map(|origin| origin.span);
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        let next = match &current.kind {
            Kind::Map(map) => map
                .borrow()
                .get(&segment)
                .map(|slot| (slot.value.clone(), slot.key)),
            Kind::List(items) => segment
                .parse::<usize>()
                .ok()
                .and_then(|index| items.get(index))
                .map(|item| (item.clone(), None)),
            _ => None,
        };
        let Some((value, key)) = next else {
            break;
        };
        found = value.origin.or(key).map(|origin| origin.span).or(found);
        current = value;
    }
    found
}

/// `.Chart`: `Chart.yaml` as Helm's `chart.Metadata` struct (Go field names), plus `IsRoot`.
fn chart_object(metadata: &Node, is_root: bool) -> Val {
    const FIELDS: &[(&str, &str)] = &[
        ("Name", "name"),
        ("Home", "home"),
        ("Sources", "sources"),
        ("Version", "version"),
        ("Description", "description"),
        ("Keywords", "keywords"),
        ("Maintainers", "maintainers"),
        ("Icon", "icon"),
        ("APIVersion", "apiVersion"),
        ("Condition", "condition"),
        ("Tags", "tags"),
        ("AppVersion", "appVersion"),
        ("Deprecated", "deprecated"),
        ("Annotations", "annotations"),
        ("KubeVersion", "kubeVersion"),
        ("Dependencies", "dependencies"),
        ("Type", "type"),
    ];
    let mut fields: Vec<(&'static str, Val)> = FIELDS
        .iter()
        .map(|(field, key)| {
            let value = metadata.get(key).map(from_node);
            let value = match value {
                Some(Val {
                    kind: Kind::Float(number),
                    origin,
                }) if !matches!(*field, "Deprecated") => {
                    Val::str(super::format::sprint_value(&Val::float(number))).with_origin(origin)
                }
                Some(value) => value,
                None if matches!(*field, "Deprecated") => Val::bool(false),
                None if matches!(
                    *field,
                    "Sources" | "Keywords" | "Maintainers" | "Dependencies" | "Annotations"
                ) =>
                {
                    Val::nil()
                }
                None => Val::str(""),
            };
            (*field, value)
        })
        .collect();
    fields.push(("IsRoot", Val::bool(is_root)));
    Val::object(Object {
        type_name: "chart.Metadata",
        fields,
        methods: Methods::None,
    })
}

/// `.Capabilities.KubeVersion`'s version, major and minor: the kube version `set` gives, else
/// helm's default (an unreadable kube version is an error at its line).
fn kube_version(
    set: Option<&ValuesSet>,
    diagnostics: &mut Vec<Diagnostic>,
) -> (String, String, String) {
    let (version, major, minor) = KUBE_VERSION;
    let default = (version.to_owned(), major.to_owned(), minor.to_owned());
    let Some((text, span)) = set.and_then(|set| set.kube_version.as_ref()) else {
        return default;
    };
    super::semver::kube_version(text).unwrap_or_else(|| {
        diagnostics.push(Diagnostic::error(
            Code::InvalidConfig,
            Location::Span(*span),
            format!("invalid kube version {text:?}: Invalid Semantic Version"),
        ));
        default
    })
}

/// Helm's check of the chart's `kubeVersion` constraint against the kube version it renders
/// for: an error at the constraint when they are incompatible (Helm refuses the release;
/// kubepatrol still lints what renders).
fn check_kube_version(metadata: &Node, version: &str, diagnostics: &mut Vec<Diagnostic>) {
    let Some(constraint) = metadata.get("kubeVersion") else {
        return;
    };
    let Some(text) = constraint.as_str().filter(|text| !text.is_empty()) else {
        return;
    };
    if super::semver::compare(text, version) != Ok(true) {
        diagnostics.push(Diagnostic::error(
            Code::HelmChartError,
            Location::Span(constraint.span),
            format!(
                "chart requires kubeVersion: {text} which is incompatible with Kubernetes {version}"
            ),
        ));
    }
}

/// `.Capabilities`: helm's defaults with `kube_version` and the API versions `set` adds.
fn capabilities(kube_version: (String, String, String), set: Option<&ValuesSet>) -> Val {
    let (version, major, minor) = kube_version;
    let kube = Val::object(Object {
        type_name: "chartutil.KubeVersion",
        fields: vec![
            ("Version", Val::str(version)),
            ("Major", Val::str(major)),
            ("Minor", Val::str(minor)),
        ],
        methods: Methods::KubeVersion,
    });
    let extra_api_versions = set.map_or(&[][..], |set| &set.api_versions[..]);
    let apis = Val::object(Object {
        type_name: "chartutil.VersionSet",
        fields: Vec::new(),
        methods: Methods::ApiVersions(
            API_VERSIONS
                .iter()
                .map(|version| version.to_string())
                .chain(extra_api_versions.iter().cloned())
                .collect(),
        ),
    });
    let helm = map_of(vec![
        ("version", Val::str("v3.17.1")),
        (
            "git_commit",
            Val::str("980d8ac1939e39138101364400756af2bdee1da5"),
        ),
        ("git_tree_state", Val::str("clean")),
        ("go_version", Val::str("go1.23.5")),
    ]);
    Val::object(Object {
        type_name: "*chartutil.Capabilities",
        fields: vec![
            ("KubeVersion", kube),
            ("APIVersions", apis),
            ("HelmVersion", helm),
        ],
        methods: Methods::None,
    })
}

fn release(set: Option<&ValuesSet>) -> Val {
    let name = set
        .and_then(|set| set.release_name.as_deref())
        .unwrap_or(RELEASE_NAME);
    let namespace = set
        .and_then(|set| set.namespace.as_deref())
        .unwrap_or(RELEASE_NAMESPACE);
    map_of(vec![
        ("Name", Val::str(name)),
        ("Namespace", Val::str(namespace)),
        ("IsUpgrade", Val::bool(false)),
        ("IsInstall", Val::bool(true)),
        ("Revision", Val::int(1)),
        ("Service", Val::str("Helm")),
    ])
}

/// A template to render: its name (`chart/templates/x.yaml`), file, and its chart's context.
struct Template {
    name: String,
    file: FileId,
    context: Val,
    base_path: String,
    render: bool,
}

/// Every template of `node` and its subcharts, with each chart's context; returns the
/// context of `node` (a parent's `.Subcharts` holds its children's).
fn collect_templates(
    node: &ChartNode,
    chart: &LoadedChart,
    sources: &SourceMap,
    cache: &RenderCache,
    is_root: bool,
    shared: &(Val, Val),
    templates: &mut Vec<Template>,
) -> Val {
    let subcharts: Vec<(String, Val)> = node
        .children
        .iter()
        .map(|child| {
            (
                child.name.clone(),
                collect_templates(child, chart, sources, cache, false, shared, templates),
            )
        })
        .collect();
    let own_files: BTreeMap<String, Arc<[u8]>> = chart
        .files
        .iter()
        .filter_map(|(path, file)| {
            let relative = path.strip_prefix(&node.prefix)?;
            if relative.starts_with("templates/")
                || relative.starts_with("charts/")
                || matches!(relative, "Chart.yaml" | "values.yaml")
            {
                return None;
            }
            let bytes = cache.bytes(file, sources);
            Some((relative.to_string(), bytes))
        })
        .collect();
    let context = map_of(vec![
        ("Values", node.values.clone()),
        ("Release", shared.0.clone()),
        ("Capabilities", shared.1.clone()),
        ("Chart", chart_object(&node.metadata, is_root)),
        ("Files", files_object(own_files)),
        (
            "Subcharts",
            map_of(
                subcharts
                    .iter()
                    .map(|(name, value)| (name.as_str(), value.clone()))
                    .collect(),
            ),
        ),
    ]);
    for (path, file) in &chart.files {
        let (Some(relative), ChartFile::Text(file)) = (
            path.strip_prefix(&node.prefix)
                .and_then(|rest| rest.strip_prefix("templates/")),
            file,
        ) else {
            continue;
        };
        let base = relative.rsplit('/').next().unwrap_or(relative);
        let partial = base.starts_with('_');
        templates.push(Template {
            name: format!("{}/templates/{relative}", node.full_path),
            file: *file,
            context: context.clone(),
            base_path: format!("{}/templates", node.full_path),
            render: !partial && !node.is_library && base != "NOTES.txt",
        });
    }
    context
}

fn render_on_this_thread(request: Request<'_>) -> (Vec<Output>, Vec<Diagnostic>) {
    let Request {
        chart_file,
        chart,
        sources,
        values_set,
        cache,
    } = request;
    let mut diagnostics = Vec::new();
    let mut outputs = Vec::new();
    let Some(mut root) = load_node(chart, sources, cache, "", None, &mut diagnostics) else {
        return (outputs, diagnostics);
    };
    if root.is_library {
        let note = Diagnostic::note(
            Code::HelmChartError,
            Location::File(chart_file),
            "library chart: rendered only as a dependency of another chart",
        );
        return (outputs, vec![note]);
    }
    if declares_imports(&root) {
        // Helm imports on the charts' own values, but only from the dependencies the given
        // values leave enabled: decide those on a second copy of the tree first.
        if let Some(mut enabled) = load_node(chart, sources, cache, "", None, &mut Vec::new()) {
            apply_values_set(&mut enabled, values_set, sources, &mut Vec::new());
            resolve_dependencies(&mut enabled, &mut Vec::new());
            import_values(&mut root, &enabled);
        }
    }
    apply_values_set(&mut root, values_set, sources, &mut diagnostics);
    resolve_dependencies(&mut root, &mut diagnostics);
    validate_schemas(&root, chart, chart_file, &mut diagnostics);
    let kube_version = kube_version(values_set, &mut diagnostics);
    check_kube_version(&root.metadata, &kube_version.0, &mut diagnostics);
    let shared = (release(values_set), capabilities(kube_version, values_set));
    let mut templates = Vec::new();
    collect_templates(&root, chart, sources, cache, true, &shared, &mut templates);
    // Helm parses deepest paths first, and reverse-alphabetically among equals: the last
    // definition of a name wins, so the parent chart's `define`s override its subcharts'.
    templates.sort_by(|a, b| {
        (a.name.matches('/').count(), &a.name)
            .cmp(&(b.name.matches('/').count(), &b.name))
            .reverse()
    });
    let mut engine = Engine::new(Limits::default());
    let text_of = |template: &Template| {
        sources
            .get(template.file)
            .map(|source| source.text.as_str())
            .unwrap_or_default()
    };
    let texts: Vec<(FileId, &str)> = (templates.iter())
        .map(|template| (template.file, text_of(template)))
        .collect();
    let trees = parse_all(&engine, cache, &texts);
    let mut parsed = Vec::new();
    for (template, tree) in templates.iter().zip(trees) {
        let origin = SourceOrigin::File(template.file);
        let text = cache.text(template.file, sources);
        match engine.add_parsed(&template.name, text, origin, &tree) {
            Ok(()) => parsed.push(template),
            Err(error) => diagnostics.push(template_error(&error, template.file)),
        }
    }
    for template in parsed.into_iter().filter(|template| template.render) {
        if let Kind::Map(map) = &template.context.kind {
            let current = map_of(vec![
                ("Name", Val::str(template.name.clone())),
                ("BasePath", Val::str(template.base_path.clone())),
            ]);
            map.borrow_mut().insert(
                "Template".into(),
                Slot {
                    key: None,
                    value: current,
                },
            );
        }
        match engine.render(&template.name, &template.context) {
            Ok(text) => outputs.push(Output {
                name: template.name.clone(),
                file: template.file,
                text,
            }),
            Err(error) => diagnostics.push(template_error(&error, template.file)),
        }
    }
    (outputs, diagnostics)
}

/// Every template parsed (or taken from `cache`), in order, on as many threads as the run has
/// (parsing is pure; the parts are cut by size), each with room for the parser's nesting
/// limit. Registering them stays in Helm's order.
fn parse_all(engine: &Engine, cache: &RenderCache, texts: &[(FileId, &str)]) -> Vec<ParseOutcome> {
    let parser = engine.parser();
    let parse_part = |part: &[(FileId, &str)]| {
        (part.iter())
            .map(|(file, text)| cache.parse(*file, text, &parser))
            .collect::<Vec<_>>()
    };
    if !texts.iter().any(|(file, _)| cache.parses(*file)) {
        // An earlier values set parsed every one: no parsing, so no threads to start.
        return parse_part(texts);
    }
    let parts = parts_by_size(texts, rayon::current_num_threads(), |(_, text)| text.len());
    std::thread::scope(|scope| {
        let running: Vec<_> = parts
            .iter()
            .map(|part| {
                let thread = std::thread::Builder::new().stack_size(STACK_SIZE);
                (part, thread.spawn_scoped(scope, || parse_part(part)))
            })
            .collect();
        running
            .into_iter()
            .flat_map(|(part, thread)| {
                // A thread that could not start, or failed, leaves its part to this one.
                let joined = thread.ok().and_then(|thread| thread.join().ok());
                joined.unwrap_or_else(|| parse_part(part))
            })
            .collect()
    })
}

/// `items` cut into at most `count` consecutive parts of about equal total `size`.
fn parts_by_size<T>(items: &[T], count: usize, size: impl Fn(&T) -> usize) -> Vec<&[T]> {
    let total: usize = items.iter().map(&size).sum();
    let target = total.div_ceil(count.max(1)).max(1);
    let mut parts = Vec::new();
    let mut rest = items;
    while !rest.is_empty() {
        let mut part_size = 0;
        let cut = rest
            .iter()
            .position(|item| {
                part_size += size(item);
                part_size >= target
            })
            .map_or(rest.len(), |last| last + 1);
        let (part, after) = rest.split_at(cut);
        parts.push(part);
        rest = after;
    }
    parts
}

fn template_error(error: &super::TemplateError, file: FileId) -> Diagnostic {
    let span = error.span().unwrap_or_else(|| Span::new(file, 0, 0));
    let message = match &error.source {
        Some(source) => {
            let (line, column) = error.line_column();
            format!("{} (at {}:{line}:{column})", error.message, source.name)
        }
        None => error.message.clone(),
    };
    Diagnostic::error(Code::HelmTemplateError, Location::Span(span), message)
}

/// Parse a template's output and map every node back to where its text was written.
fn objects_from(
    output: &Output,
    chart_file: FileId,
    cache: &RenderCache,
    rendered: &mut RenderedChart,
) {
    let read = cache.read(output);
    let (mut objects, mut diagnostics) = objects_of(output.file, &read.documents);
    for object in &mut objects {
        object.via = vec![chart_file];
        object.computed_from = read.computed.clone();
    }
    rendered.objects.append(&mut objects);
    rendered
        .diagnostics
        .extend(read.diagnostics.iter().cloned());
    rendered.diagnostics.append(&mut diagnostics);
}

/// An output's documents, under its `# Source:` name, with every span mapped to the source
/// that wrote it; what functions computed; and the YAML errors, placed in the sources.
fn read_output(output: &Output) -> ReadOutput {
    let Output { name, file, text } = output;
    let fallback = Span::new(*file, 0, 0);
    let mut read = ReadOutput {
        documents: Vec::new(),
        computed: Vec::new(),
        diagnostics: Vec::new(),
    };
    for (start, end) in split_manifests(&text.text) {
        let piece = text.slice(start, end);
        let parsed = yaml::parse(*file, &piece.text, yaml::Limits::default());
        for error in &parsed.errors {
            let at = piece
                .origin_at(error.span.start as usize)
                .unwrap_or(fallback);
            let message = format!("YAML parse error on {name}: {}", error.message);
            read.diagnostics.push(Diagnostic::error(
                Code::HelmTemplateError,
                Location::Span(at),
                message,
            ));
        }
        for document in &parsed.documents {
            computed_inputs(&document.root, &piece, fallback, &mut read.computed);
        }
        read.documents
            .extend(parsed.documents.into_iter().map(|mut document| {
                remap(&mut document.root, &piece, fallback);
                Document {
                    helm_source: Some(name.clone()),
                    ..document
                }
            }));
    }
    read
}

/// Move every span of `node` from the rendered text to the source that wrote it, in place (a
/// subtree an alias shares is copied first).
fn remap(node: &mut Node, output: &Traced, fallback: Span) {
    node.span = map_span(node.span, output, fallback);
    match &mut node.value {
        Value::Seq(items) => {
            for item in Arc::make_mut(items) {
                remap(item, output, fallback);
            }
        }
        Value::Map(entries) => {
            for entry in Arc::make_mut(entries) {
                remap(&mut entry.key, output, fallback);
                remap(&mut entry.value, output, fallback);
            }
        }
        _ => {}
    }
}

/// For every scalar of `node` (in the rendered text) a function computed from values: where
/// the scalar maps to (the action) and the spans of those values.
fn computed_inputs(
    node: &Node,
    output: &Traced,
    fallback: Span,
    computed: &mut Vec<(Span, Vec<Span>)>,
) {
    match &node.value {
        Value::Seq(items) => {
            for item in items.iter() {
                computed_inputs(item, output, fallback, computed);
            }
        }
        Value::Map(entries) => {
            for entry in entries.iter() {
                computed_inputs(&entry.value, output, fallback, computed);
            }
        }
        _ => {
            let inputs = output.inputs_within(node.span.start as usize, node.span.end as usize);
            if !inputs.is_empty() {
                computed.push((map_span(node.span, output, fallback), inputs));
            }
        }
    }
}

fn map_span(span: Span, output: &Traced, fallback: Span) -> Span {
    let Some(start) = output.origin_at(span.start as usize) else {
        return fallback;
    };
    let length = span.end.saturating_sub(span.start);
    let end = start
        .start
        .saturating_add(length)
        .min(start.end.max(start.start));
    Span {
        file: start.file,
        start: start.start,
        end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_split_where_helm_splits_them() {
        let text = "\n a: 1\n---# note\nb: 2\n---\n\n---\nc: 3\n";
        let pieces: Vec<&str> = split_manifests(text)
            .into_iter()
            .map(|(start, end)| text.get(start..end).unwrap_or_default())
            .collect();
        // As in Go, `^` matches only at the start: a `---` right after a separator stays.
        assert_eq!(pieces, ["a: 1", "# note\nb: 2", "---\nc: 3"]);
    }

    #[test]
    fn a_chart_file_is_read_once_for_all_renders() {
        let chart = LoadedChart {
            files: BTreeMap::from([
                ("templates/a.yaml".to_string(), ChartFile::Text(FileId(1))),
                ("values.yaml".to_string(), ChartFile::Text(FileId(2))),
            ]),
            values_sets: Vec::new(),
            values_sets_only: false,
        };
        let cache = RenderCache::of(&chart);
        let parser = Engine::new(Limits::default()).parser();
        let root = |outcome: ParseOutcome| outcome.ok().map(|parsed| parsed.root);
        let first = root(cache.parse(FileId(1), "a: {{ .Values.a }}", &parser));
        let again = root(cache.parse(FileId(1), "changed", &parser));
        assert!(first.zip(again).is_some_and(|(a, b)| Arc::ptr_eq(&a, &b)));
        let sources = SourceMap::default();
        let text = cache.text(FileId(1), &sources);
        assert!(Arc::ptr_eq(&text, &cache.text(FileId(1), &sources)));

        let mut errors = Vec::new();
        assert!(cache.parse_yaml(FileId(2), "a: [", &mut errors).is_none());
        assert!(cache.parse_yaml(FileId(2), "a: 1", &mut errors).is_none());
        assert_eq!(errors.len(), 2, "the error is reported to every render");

        let output = |name: &str, text: &str| Output {
            name: name.to_string(),
            file: FileId(1),
            text: Traced::plain(text),
        };
        let read = cache.read(&output("c/templates/a.yaml", "kind: A"));
        assert!(Arc::ptr_eq(
            &read,
            &cache.read(&output("c/templates/a.yaml", "kind: A"))
        ));
        // An aliased subchart renders the same file under another name; other text is read anew.
        let alias = cache.read(&output("d/templates/a.yaml", "kind: A"));
        assert_eq!(
            alias.documents[0].helm_source.as_deref(),
            Some("d/templates/a.yaml")
        );
        assert!(!Arc::ptr_eq(
            &read,
            &cache.read(&output("c/templates/a.yaml", "kind: B"))
        ));
    }

    #[test]
    fn templates_are_cut_into_parts_of_about_equal_size() {
        let texts = ["aaaa", "b", "cc", "d", "eeee"];
        let parts_by_size = |texts: &[&'static str], count| {
            super::parts_by_size(texts, count, |text| text.len())
                .into_iter()
                .map(<[_]>::to_vec)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            parts_by_size(&texts, 2),
            [texts[..3].to_vec(), texts[3..].to_vec()]
        );
        assert_eq!(parts_by_size(&texts, 1), [texts.to_vec()]);
        assert_eq!(parts_by_size(&texts, 9).concat(), texts);
        assert!(parts_by_size(&[], 2).is_empty());
    }
}
