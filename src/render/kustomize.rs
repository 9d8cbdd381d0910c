//! Render a kustomization without kustomize, on the span-carrying tree: resources (files and
//! nested kustomizations), components, patches (strategic merge and JSON 6902), and the
//! built-in transformers, in kustomize's order. Every value of a rendered object keeps the span
//! of the file and line that wrote it. Pure: every file was read by [`crate::load::kustomize`].

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Code, Diagnostic, Level, Location};
use crate::model::files::LoadedFile;
use crate::model::files::{FileTree, PathEntry};
use crate::model::kustomization::{
    is_inline_patch, is_json_patch, is_remote, items, join, normalize, parse_inline,
};
use crate::model::object::{Object, objects_of};
use crate::render::json6902;
use crate::render::select::{Candidate, Selector};
use crate::render::strategic_merge::merge;
use crate::render::transform::{self, ImageRule, Rename};
use crate::render::tree_edit::{with_key, without_key};
use crate::source::{FileId, SourceMap, Span};
use crate::yaml::Node;

/// Kustomization fields kubepatrol does not render: generators and plugins make objects or
/// changes it cannot see, `configurations`, `crds` and `openapi` change which fields the
/// transformers and patches reach. Each present and non-empty one gets a note.
const NOT_RENDERED: [&str; 11] = [
    "configMapGenerator",
    "secretGenerator",
    "helmCharts",
    "replacements",
    "vars",
    "generators",
    "transformers",
    "validators",
    "configurations",
    "crds",
    "openapi",
];

fn is_empty(value: &Node) -> bool {
    value.is_null()
        || value.as_seq().is_some_and(<[Node]>::is_empty)
        || value.as_map().is_some_and(<[crate::yaml::Entry]>::is_empty)
}

/// What the renderer reads: loaded files by id, their text (for inline patches), and what
/// each referenced path turned out to be.
pub(crate) struct Context<'a> {
    pub files: &'a [LoadedFile],
    pub sources: &'a SourceMap,
    pub tree: &'a FileTree,
}

/// An object being rendered, with the names it had before prefixes and suffixes.
#[derive(Clone, Debug)]
struct Resource {
    root: Node,
    file: FileId,
    names: Vec<String>,
}

/// Render the kustomization in `root`; objects carry `root` as the overlay they came through.
pub(crate) fn render_root(context: &Context<'_>, root: FileId) -> (Vec<Object>, Vec<Diagnostic>) {
    let mut renderer = Renderer {
        context,
        diagnostics: Vec::new(),
        stack: vec![root],
        incomplete: false,
    };
    let resources = renderer.apply(root, Vec::new());
    let objects = resources
        .into_iter()
        .filter_map(|resource| {
            let (mut objects, _) = objects_of(resource.file, &[document(resource.root)]);
            objects.pop().map(|object| Object {
                via: vec![root],
                ..object
            })
        })
        .collect();
    (objects, renderer.diagnostics)
}

fn document(root: Node) -> crate::yaml::Document {
    crate::yaml::Document {
        root,
        index: 0,
        helm_source: None,
        has_collection_key: false,
    }
}

struct Renderer<'a> {
    context: &'a Context<'a>,
    diagnostics: Vec<Diagnostic>,
    /// Kustomizations being rendered, outermost first, to detect cycles.
    stack: Vec<FileId>,
    /// Set once a remote resource or a generator was left out: a patch may target what they
    /// would have produced, so a patch that matches nothing is then no proof of an error.
    incomplete: bool,
}

impl Renderer<'_> {
    fn error(&mut self, code: Code, span: Span, message: String) {
        self.diagnostics
            .push(Diagnostic::error(code, Location::Span(span), message));
    }

    fn warning(&mut self, code: Code, span: Span, message: String) {
        self.diagnostics.push(Diagnostic {
            level: Level::Warning,
            code,
            message,
            location: Location::Span(span),
        });
    }

    fn documents(&self, file: FileId) -> &[crate::yaml::Document] {
        self.context
            .files
            .get(file.0 as usize)
            .filter(|loaded| loaded.file == file)
            .map_or(&[], |loaded| loaded.documents.as_slice())
    }

    fn directory(&self, file: FileId) -> PathBuf {
        self.context
            .tree
            .directory_of(file)
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// Apply the kustomization (or component) in `file` on top of `resources`.
    fn apply(&mut self, file: FileId, mut resources: Vec<Resource>) -> Vec<Resource> {
        let Some(root) = self.documents(file).first().map(|doc| doc.root.clone()) else {
            return resources;
        };
        let dir = self.directory(file);
        for item in items(&root, "resources")
            .iter()
            .chain(items(&root, "bases"))
        {
            self.add_resource(item, &dir, &mut resources);
        }
        for item in items(&root, "components") {
            if let Some(component) = self.nested(item, &dir) {
                self.stack.push(component);
                resources = self.apply(component, resources);
                self.stack.pop();
            }
        }
        for key in NOT_RENDERED {
            // An empty `vars:` or `generators: []` changes nothing.
            if let Some(entry) = root.entry(key).filter(|entry| !is_empty(&entry.value)) {
                self.incomplete = true;
                self.diagnostics.push(Diagnostic::note(
                    Code::KustomizeNotRendered,
                    Location::Span(entry.key.span),
                    format!("`{key}` is not rendered by kubepatrol; its objects and changes are not linted"),
                ));
            }
        }
        for item in items(&root, "patchesStrategicMerge") {
            for patch in self.patch_documents(item, &dir) {
                resources = self.strategic_merge(resources, &patch, None);
            }
        }
        for item in items(&root, "patches") {
            resources = self.patch(resources, item, &dir);
        }
        self.transform(&root, &mut resources);
        for item in items(&root, "patchesJson6902") {
            resources = self.patch(resources, item, &dir);
        }
        self.replicas_and_images(&root, &mut resources);
        resources
    }

    /// The kustomization a `resources`/`components` entry names, if it names one.
    fn nested(&mut self, item: &Node, dir: &Path) -> Option<FileId> {
        match self.resolve(item, dir)? {
            PathEntry::Kustomization(file) => {
                if self.stack.contains(&file) {
                    self.error(
                        Code::KustomizationCycle,
                        item.span,
                        "this reference makes a cycle between kustomizations".into(),
                    );
                    return None;
                }
                Some(file)
            }
            _ => {
                self.error(
                    Code::NotAKustomization,
                    item.span,
                    "a component must be a directory with a kustomization file".into(),
                );
                None
            }
        }
    }

    /// Look a referenced path up; remote and missing paths are reported here.
    fn resolve(&mut self, item: &Node, dir: &Path) -> Option<PathEntry> {
        let Some(path) = item.as_str() else {
            self.error(
                Code::InvalidKustomization,
                item.span,
                format!("expected a path, found {}", item.describe_type()),
            );
            return None;
        };
        if is_remote(path) {
            self.incomplete = true;
            self.warning(
                Code::RemoteResource,
                item.span,
                format!("remote resource `{path}` is not fetched; the rest is rendered without it"),
            );
            return None;
        }
        match self.context.tree.entry(&join(dir, path)) {
            Some(PathEntry::Missing(reason)) => {
                self.error(
                    Code::MissingResource,
                    item.span,
                    format!("cannot read `{path}`: {reason}"),
                );
                None
            }
            Some(PathEntry::PlainDirectory) => {
                self.error(
                    Code::MissingResource,
                    item.span,
                    format!("directory `{path}` has no kustomization file"),
                );
                None
            }
            Some(entry @ PathEntry::File(_)) => {
                let entry = entry.clone();
                let within = normalize(Path::new(path));
                let outside = within.is_absolute()
                    || within
                        .components()
                        .next()
                        .is_some_and(|first| first == std::path::Component::ParentDir);
                if outside {
                    self.warning(
                        Code::LoadOutsideRoot,
                        item.span,
                        format!(
                            "`kubectl kustomize` refuses to load `{path}`: a file a kustomization reads must be in or below its directory (kustomize's load restrictor); rendered anyway"
                        ),
                    );
                }
                Some(entry)
            }
            Some(entry) => Some(entry.clone()),
            None => {
                self.error(
                    Code::MissingResource,
                    item.span,
                    format!("`{path}` was not loaded"),
                );
                None
            }
        }
    }

    fn add_resource(&mut self, item: &Node, dir: &Path, resources: &mut Vec<Resource>) {
        match self.resolve(item, dir) {
            Some(PathEntry::File(file)) => {
                let (objects, mut diagnostics) = objects_of(file, self.documents(file));
                self.diagnostics.append(&mut diagnostics);
                resources.extend(objects.into_iter().map(|object| Resource {
                    names: object.id.name.iter().cloned().collect(),
                    root: object.root,
                    file,
                }));
            }
            Some(PathEntry::Kustomization(_)) => {
                if let Some(nested) = self.nested(item, dir) {
                    self.stack.push(nested);
                    let built = self.apply(nested, Vec::new());
                    self.stack.pop();
                    resources.extend(built);
                }
            }
            _ => {}
        }
    }

    /// The patch documents of a `patches`/`patchesStrategicMerge`/`patchesJson6902` entry:
    /// from its file or from the text written inline.
    fn patch_documents(&mut self, item: &Node, dir: &Path) -> Vec<Node> {
        let inline = match item.as_str() {
            Some(text) if is_inline_patch(text) => Some(item),
            Some(_) => None,
            None => item.get("patch"),
        };
        if let Some(inline) = inline {
            let source = self.context.sources.get(inline.span.file);
            let (documents, errors) = parse_inline(inline, source);
            for error in errors {
                self.error(error.code, error.span, error.message);
            }
            return documents;
        }
        let path = if item.as_str().is_some() {
            Some(item)
        } else {
            item.get("path")
        };
        let Some(path) = path else {
            self.error(
                Code::InvalidKustomization,
                item.span,
                "a patch needs `path` or `patch`".into(),
            );
            return Vec::new();
        };
        match self.resolve(path, dir) {
            Some(PathEntry::File(file)) => self
                .documents(file)
                .iter()
                .map(|doc| doc.root.clone())
                .collect(),
            Some(_) => {
                self.error(
                    Code::InvalidKustomization,
                    path.span,
                    "a patch must be a file".into(),
                );
                Vec::new()
            }
            None => Vec::new(),
        }
    }

    fn patch(&mut self, resources: Vec<Resource>, item: &Node, dir: &Path) -> Vec<Resource> {
        let selector = match item.get("target").map(Selector::parse) {
            Some(Ok(selector)) => Some(selector),
            Some(Err((span, message))) => {
                self.error(Code::InvalidPatchTarget, span, message);
                return resources;
            }
            None => None,
        };
        let mut resources = resources;
        for patch in self.patch_documents(item, dir) {
            if is_json_patch(&patch) {
                resources = self.json_patch(resources, &patch, selector.as_ref(), item.span);
            } else {
                resources = self.strategic_merge(resources, &patch, selector.as_ref());
            }
        }
        resources
    }

    fn json_patch(
        &mut self,
        mut resources: Vec<Resource>,
        patch: &Node,
        selector: Option<&Selector>,
        item_span: Span,
    ) -> Vec<Resource> {
        let Some(selector) = selector else {
            self.error(
                Code::InvalidPatchTarget,
                item_span,
                "a JSON 6902 patch needs a `target`".into(),
            );
            return resources;
        };
        let operations = match json6902::parse(patch) {
            Ok(operations) => operations,
            Err(failure) => {
                self.error(Code::InvalidJsonPatch, failure.span, failure.message);
                return resources;
            }
        };
        let mut matched = false;
        for resource in &mut resources {
            if !selector.matches(&Candidate {
                root: &resource.root,
                names: &resource.names,
            }) {
                continue;
            }
            matched = true;
            match json6902::apply(&resource.root, &operations) {
                Ok(patched) => resource.root = patched,
                Err(failure) => self.error(Code::JsonPatchFailed, failure.span, failure.message),
            }
        }
        if !matched {
            self.no_match(item_span);
        }
        resources
    }

    /// A strategic merge patch, applied to the objects `selector` matches or, without one, to
    /// the object the patch itself names.
    fn strategic_merge(
        &mut self,
        resources: Vec<Resource>,
        patch: &Node,
        selector: Option<&Selector>,
    ) -> Vec<Resource> {
        // Matching is done here; the patch's own identity must not rename what it hits.
        let identityless = anonymous(patch);
        let mut matched = false;
        let mut result = Vec::with_capacity(resources.len());
        for mut resource in resources {
            let candidate = Candidate {
                root: &resource.root,
                names: &resource.names,
            };
            let applies = match selector {
                Some(selector) => selector.matches(&candidate),
                None => is_named_by(patch, &candidate),
            };
            if !applies {
                result.push(resource);
                continue;
            }
            matched = true;
            // A `$patch: delete` at the top removes the object.
            if let Some(merged) = merge(&resource.root, &identityless) {
                resource.root = merged;
                result.push(resource);
            }
        }
        if !matched {
            let span = patch
                .get("metadata")
                .and_then(|meta| meta.get("name"))
                .map_or(patch.span, |name| name.span);
            if selector.is_some() {
                self.no_match(span);
            } else if self.incomplete {
                self.warning(
                    Code::PatchTargetNotFound,
                    span,
                    "no rendered resource matches this strategic merge patch; it may target an \
                     object of a remote resource or generator that kubepatrol does not render"
                        .into(),
                );
            } else {
                self.error(
                    Code::PatchTargetNotFound,
                    span,
                    "no resource matches this strategic merge patch (by kind and name)".into(),
                );
            }
        }
        result
    }

    fn no_match(&mut self, span: Span) {
        self.warning(
            Code::PatchTargetNotFound,
            span,
            "the patch's `target` matches no resource".into(),
        );
    }

    /// namespace, namePrefix/nameSuffix, commonLabels/labels, commonAnnotations.
    fn transform(&mut self, root: &Node, resources: &mut [Resource]) {
        if let Some(namespace) = root.get("namespace") {
            for resource in resources.iter_mut() {
                resource.root = transform::set_namespace(&resource.root, namespace);
            }
        }
        let (prefix, suffix) = (root.get("namePrefix"), root.get("nameSuffix"));
        let mut renames: Vec<Rename> = Vec::new();
        for resource in resources.iter_mut() {
            let (renamed, rename) = transform::add_affixes(&resource.root, prefix, suffix);
            resource.root = renamed;
            renames.extend(rename);
        }
        if !renames.is_empty() {
            for resource in resources.iter_mut() {
                resource.root = transform::follow_renames(&resource.root, &renames);
            }
        }
        if let Some(labels) = root.get("commonLabels") {
            for resource in resources.iter_mut() {
                resource.root = transform::add_pairs(&resource.root, "labels", labels, true, true);
            }
        }
        for label in items(root, "labels") {
            let Some(pairs) = label.get("pairs") else {
                continue;
            };
            let flag = |key: &str| label.get(key).and_then(Node::as_bool).unwrap_or(false);
            let (selectors, templates) = (flag("includeSelectors"), flag("includeTemplates"));
            for resource in resources.iter_mut() {
                resource.root = transform::add_pairs(
                    &resource.root,
                    "labels",
                    pairs,
                    templates || selectors,
                    selectors,
                );
            }
        }
        if let Some(annotations) = root.get("commonAnnotations") {
            for resource in resources.iter_mut() {
                resource.root =
                    transform::add_pairs(&resource.root, "annotations", annotations, true, false);
            }
        }
    }

    fn replicas_and_images(&mut self, root: &Node, resources: &mut [Resource]) {
        for entry in items(root, "replicas") {
            let (Some(name), Some(count)) =
                (entry.get("name").and_then(Node::as_str), entry.get("count"))
            else {
                continue;
            };
            for resource in resources.iter_mut() {
                let current = transform::name(&resource.root);
                if current == Some(name) || resource.names.iter().any(|old| old == name) {
                    resource.root = transform::set_replicas(&resource.root, count);
                }
            }
        }
        let rules: Vec<ImageRule<'_>> = items(root, "images")
            .iter()
            .filter_map(|entry| {
                Some(ImageRule {
                    name: entry.get("name")?.as_str()?,
                    new_name: entry.get("newName"),
                    new_tag: entry.get("newTag"),
                    digest: entry.get("digest"),
                })
            })
            .collect();
        if rules.is_empty() {
            return;
        }
        for resource in resources.iter_mut() {
            if let Some(rewritten) = transform::rewrite_images(&resource.root, &rules) {
                resource.root = rewritten;
            }
        }
    }
}

/// Whether a patch names the candidate: same kind and name (current or original), and the same
/// namespace when the patch gives one.
fn is_named_by(patch: &Node, candidate: &Candidate<'_>) -> bool {
    let text = |root: &Node, key: &str| root.get(key).and_then(Node::as_str).map(str::to_owned);
    let meta = |root: &Node, key: &str| root.get("metadata").and_then(|m| text(m, key));
    let Some(name) = meta(patch, "name") else {
        return false;
    };
    let same_kind = text(patch, "kind") == text(candidate.root, "kind");
    let same_name = meta(candidate.root, "name").as_deref() == Some(name.as_str())
        || candidate.names.contains(&name);
    let same_namespace = meta(patch, "namespace").is_none_or(|namespace| {
        meta(candidate.root, "namespace").as_deref() == Some(namespace.as_str())
    });
    same_kind && same_name && same_namespace
}

/// A patch without its identity (apiVersion, kind, name, namespace), which selects objects
/// but must not rewrite them.
fn anonymous(patch: &Node) -> Node {
    let stripped = without_key(&without_key(patch, "apiVersion"), "kind");
    match stripped.entry("metadata") {
        Some(entry) => {
            let metadata = without_key(&without_key(&entry.value, "name"), "namespace");
            with_key(&stripped, "metadata", metadata, entry.key.span)
        }
        None => stripped,
    }
}

/// A base shared by several overlays is rendered once per overlay; its problems are reported
/// once.
pub(crate) fn dedup_diagnostics(diagnostics: &mut Vec<Diagnostic>) {
    let mut seen = HashSet::new();
    diagnostics.retain(|diagnostic| {
        seen.insert((
            format!("{:?}", diagnostic.location),
            diagnostic.code,
            diagnostic.message.clone(),
        ))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::{Input, InputKind, Source};
    use crate::source::SourceFile;
    use crate::yaml::{Limits, parse};

    /// Files in memory, with the tree the loader would have built for them.
    #[derive(Default)]
    struct Repo {
        sources: SourceMap,
        files: Vec<LoadedFile>,
        tree: FileTree,
    }

    impl Repo {
        fn load(&mut self, path: &str, text: &str) -> FileId {
            let id = self
                .sources
                .add(SourceFile::new(path.to_owned(), text.to_owned()));
            let parsed = parse(id, text, Limits::default());
            assert!(parsed.errors.is_empty(), "{path}: {:?}", parsed.errors);
            self.files.push(LoadedFile {
                file: id,
                documents: parsed.documents,
                outlined: false,
            });
            id
        }

        /// A file some kustomization references.
        fn file(&mut self, path: &str, text: &str) -> FileId {
            let id = self.load(path, text);
            self.tree
                .entries
                .insert(PathBuf::from(path), PathEntry::File(id));
            id
        }

        /// `dir/kustomization.yaml`, which no other kustomization references.
        fn root(&mut self, dir: &str, text: &str) -> FileId {
            let id = self.load(&format!("{dir}/kustomization.yaml"), text);
            self.tree.kustomizations.insert(id, PathBuf::from(dir));
            id
        }

        /// `dir/kustomization.yaml`, which another kustomization references as `dir`.
        fn kustomization(&mut self, dir: &str, text: &str) -> FileId {
            let id = self.root(dir, text);
            self.tree
                .entries
                .insert(PathBuf::from(dir), PathEntry::Kustomization(id));
            id
        }

        fn text(&self, file: FileId) -> &str {
            self.sources
                .get(file)
                .map_or("", |source| source.text.as_str())
        }

        /// The span of the first `needle` in `file`.
        fn span_of(&self, file: FileId, needle: &str) -> Span {
            let start = self.text(file).find(needle).expect("needle in the file");
            Span::new(file, start, start + needle.len())
        }

        fn render(&self, root: FileId) -> (Vec<Object>, Vec<Diagnostic>) {
            let context = Context {
                files: &self.files,
                sources: &self.sources,
                tree: &self.tree,
            };
            render_root(&context, root)
        }
    }

    const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: app
        image: nginx:1.27
        securityContext:
          privileged: false
";

    const PATCH: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: app
        securityContext:
          privileged: true
";

    /// base/ with the deployment, overlay/ with `overlay` as its kustomization and a patch.
    fn base_and_overlay(overlay: &str) -> (Repo, FileId) {
        let mut repo = Repo::default();
        repo.kustomization("base", "resources:\n- deployment.yaml\n");
        repo.file("base/deployment.yaml", DEPLOYMENT);
        repo.file("overlay/patch.yaml", PATCH);
        let root = repo.root("overlay", overlay);
        (repo, root)
    }

    fn container(object: &Object) -> &Node {
        object
            .root
            .get("spec")
            .and_then(|n| n.get("template"))
            .and_then(|n| n.get("spec"))
            .and_then(|n| n.get("containers"))
            .and_then(Node::as_seq)
            .and_then(<[Node]>::first)
            .expect("a container")
    }

    fn codes(diagnostics: &[Diagnostic]) -> Vec<(Code, Level)> {
        diagnostics.iter().map(|d| (d.code, d.level)).collect()
    }

    #[test]
    fn a_patched_value_points_into_the_patch_and_the_rest_into_the_base() {
        let (repo, root) =
            base_and_overlay("resources:\n- ../base\npatches:\n- path: patch.yaml\n");
        let (objects, diagnostics) = repo.render(root);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let [object] = objects.as_slice() else {
            panic!("one object, not {}", objects.len())
        };
        let base = FileId(1);
        let patch = FileId(2);
        assert_eq!(object.file, base);
        assert_eq!(object.via, [root]);
        let app = container(object);
        let privileged = app
            .get("securityContext")
            .and_then(|n| n.get("privileged"))
            .expect("privileged");
        assert_eq!(privileged.as_bool(), Some(true));
        assert_eq!(privileged.span, repo.span_of(patch, "true"));
        let image = app.get("image").expect("image");
        assert_eq!(image.as_str(), Some("nginx:1.27"));
        assert_eq!(image.span, repo.span_of(base, "nginx:1.27"));
        let replicas = object.root.get("spec").and_then(|s| s.get("replicas"));
        let written = repo.span_of(base, "replicas: 1");
        let one = Span::new(base, written.start as usize + 10, written.end as usize);
        assert_eq!(replicas.map(|r| r.span), Some(one));
    }

    #[test]
    fn patches_strategic_merge_by_path_applies_like_patches() {
        let (repo, root) =
            base_and_overlay("resources:\n- ../base\npatchesStrategicMerge:\n- patch.yaml\n");
        let (objects, diagnostics) = repo.render(root);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let privileged = container(&objects[0])
            .get("securityContext")
            .and_then(|n| n.get("privileged"))
            .expect("privileged");
        assert_eq!(privileged.span.file, FileId(2));
    }

    #[test]
    fn name_prefix_and_namespace_are_applied_with_the_overlays_spans() {
        let overlay = "namePrefix: prod-\nnamespace: shop\nresources:\n- ../base\npatches:\n- path: patch.yaml\n";
        let (repo, root) = base_and_overlay(overlay);
        let (objects, diagnostics) = repo.render(root);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let object = &objects[0];
        assert_eq!(object.id.name.as_deref(), Some("prod-web"));
        assert_eq!(object.id.namespace.as_deref(), Some("shop"));
        let namespace = object
            .root
            .get("metadata")
            .and_then(|m| m.get("namespace"))
            .expect("namespace");
        assert_eq!(namespace.span, repo.span_of(root, "shop"));
        // The patch names the object by its name before the prefix, and still applies.
        let privileged = container(object)
            .get("securityContext")
            .and_then(|n| n.get("privileged"))
            .and_then(Node::as_bool);
        assert_eq!(privileged, Some(true));
    }

    #[test]
    fn a_missing_resource_is_an_error_at_the_reference() {
        let mut repo = Repo::default();
        repo.file("app/deployment.yaml", DEPLOYMENT);
        repo.tree.entries.insert(
            PathBuf::from("app/gone.yaml"),
            PathEntry::Missing("No such file or directory".into()),
        );
        let root = repo.root(
            "app",
            "resources:\n- deployment.yaml\n- gone.yaml\n- never-loaded.yaml\n",
        );
        let (objects, diagnostics) = repo.render(root);
        assert_eq!(objects.len(), 1, "the rest is rendered");
        assert_eq!(
            codes(&diagnostics),
            [
                (Code::MissingResource, Level::Error),
                (Code::MissingResource, Level::Error)
            ]
        );
        assert_eq!(
            diagnostics[0].location,
            Location::Span(repo.span_of(root, "gone.yaml"))
        );
        assert_eq!(
            diagnostics[0].message,
            "cannot read `gone.yaml`: No such file or directory"
        );
        assert_eq!(
            diagnostics[1].location,
            Location::Span(repo.span_of(root, "never-loaded.yaml"))
        );
    }

    #[test]
    fn a_patch_that_matches_nothing_is_reported_at_its_name() {
        let mut repo = Repo::default();
        repo.file("app/deployment.yaml", DEPLOYMENT);
        let patch = repo.file("app/patch.yaml", &PATCH.replace("name: web", "name: nope"));
        let root = repo.root(
            "app",
            "resources:\n- deployment.yaml\npatches:\n- path: patch.yaml\n",
        );
        let (objects, diagnostics) = repo.render(root);
        assert_eq!(
            codes(&diagnostics),
            [(Code::PatchTargetNotFound, Level::Error)]
        );
        assert_eq!(
            diagnostics[0].location,
            Location::Span(repo.span_of(patch, "nope"))
        );
        let privileged = container(&objects[0])
            .get("securityContext")
            .and_then(|n| n.get("privileged"))
            .and_then(Node::as_bool);
        assert_eq!(privileged, Some(false), "the object is left as it was");
    }

    #[test]
    fn empty_unrendered_fields_say_nothing_and_configurations_are_noted() {
        let mut repo = Repo::default();
        repo.file("app/deployment.yaml", DEPLOYMENT);
        let root = repo.root(
            "app",
            "resources:\n- deployment.yaml\nvars:\ngenerators: []\nconfigurations:\n- crd-fields.yaml\n",
        );
        let (objects, diagnostics) = repo.render(root);
        assert_eq!(objects.len(), 1);
        assert_eq!(
            codes(&diagnostics),
            [(Code::KustomizeNotRendered, Level::Note)]
        );
        assert!(diagnostics[0].message.contains("`configurations`"));
    }

    #[test]
    fn a_file_outside_the_kustomization_directory_is_a_warning_and_still_rendered() {
        let mut repo = Repo::default();
        repo.file("base/deployment.yaml", DEPLOYMENT);
        let root = repo.root("overlay", "resources:\n- ../base/deployment.yaml\n");
        let (objects, diagnostics) = repo.render(root);
        assert_eq!(objects.len(), 1);
        assert_eq!(
            codes(&diagnostics),
            [(Code::LoadOutsideRoot, Level::Warning)]
        );
    }

    #[test]
    fn a_target_that_matches_nothing_is_a_warning() {
        let mut repo = Repo::default();
        repo.file("app/deployment.yaml", DEPLOYMENT);
        repo.file("app/patch.yaml", PATCH);
        let root = repo.root(
            "app",
            "resources:\n- deployment.yaml\npatches:\n- path: patch.yaml\n  target: {kind: StatefulSet}\n",
        );
        let (_, diagnostics) = repo.render(root);
        assert_eq!(
            codes(&diagnostics),
            [(Code::PatchTargetNotFound, Level::Warning)]
        );
    }

    #[test]
    fn with_a_generator_left_out_an_unmatched_patch_is_only_a_warning() {
        let mut repo = Repo::default();
        repo.file("app/deployment.yaml", DEPLOYMENT);
        repo.file("app/patch.yaml", &PATCH.replace("name: web", "name: nope"));
        let root = repo.root(
            "app",
            "resources:\n- deployment.yaml\nconfigMapGenerator:\n- name: settings\npatches:\n- path: patch.yaml\n",
        );
        let (_, diagnostics) = repo.render(root);
        assert_eq!(
            codes(&diagnostics),
            [
                (Code::KustomizeNotRendered, Level::Note),
                (Code::PatchTargetNotFound, Level::Warning)
            ]
        );
    }

    #[test]
    fn render_renders_the_overlay_and_not_the_base_it_consumes() {
        let mut repo = Repo::default();
        repo.kustomization("base", "resources:\n- deployment.yaml\n");
        repo.file("base/deployment.yaml", DEPLOYMENT);
        repo.load(
            "other/pod.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: alone}\n",
        );
        let root = repo.root("overlay", "namePrefix: prod-\nresources:\n- ../base\n");
        let input = |display: &str, kind| Input {
            display: display.to_owned(),
            source: Source::Memory(b"".as_slice().into()),
            kind,
        };
        let inputs = [
            input("base/kustomization.yaml", InputKind::Kustomization),
            input("base/deployment.yaml", InputKind::Manifest),
            input("other/pod.yaml", InputKind::Manifest),
            input("overlay/kustomization.yaml", InputKind::Kustomization),
        ];
        let rendered = crate::render::render(&inputs, 0, &repo.files, &repo.sources, &repo.tree);
        let names: Vec<(Option<&str>, Vec<FileId>)> = rendered
            .objects
            .iter()
            .map(|o| (o.id.name.as_deref(), o.via.clone()))
            .collect();
        assert_eq!(
            names,
            [(Some("alone"), vec![]), (Some("prod-web"), vec![root])]
        );
        assert!(
            rendered.diagnostics.is_empty(),
            "{:?}",
            rendered.diagnostics
        );
    }
}
