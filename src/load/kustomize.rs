//! The loading half of Kustomize support: follow every kustomization's references (resources,
//! bases, components, patch files) and read the files they need, including those outside the
//! scanned paths, so that rendering is pure. What a path turned out to be (a file, a directory
//! with a kustomization, nothing) is recorded for the renderer, which reports the problems
//! with the position of the reference.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};

use crate::discover::{Input, InputKind, KUSTOMIZATION_FILE_NAMES, Source, clean_display};
use crate::load::{self, InspectedKind, LoadLimits, Loaded, load_one, read_input};
use crate::model::files::{FileTree, PathEntry};
use crate::model::kustomization::{
    Role, is_json_patch, is_remote, items, join, normalize, references,
};
use crate::source::FileId;
use crate::vfs::{FileSystem, Kind, directory_or_here};
use crate::yaml::{self, Document, Node};

/// Follow the kustomizations among `inputs` (already loaded into `loaded`, input `i` is file
/// `loaded.first_input + i`)
/// and load what they reference, appending to `loaded`.
/// Files read here are outlined like the scanned ones (see [`crate::load::load_after`]) until
/// it is known which of them a patch reads.
pub(crate) fn follow_references(
    files: &dyn FileSystem,
    inputs: &[Input],
    context: &[Input],
    loaded: &mut Loaded,
    limits: LoadLimits,
    inspected: InspectedKind<'_>,
) -> FileTree {
    let mut known = Known::new(files);
    let mut queue = VecDeque::new();
    for (index, input) in inputs.iter().enumerate() {
        let Source::File(path) = &input.source else {
            continue;
        };
        let file = FileId(u32::try_from(loaded.first_input + index).unwrap_or(u32::MAX));
        let path = normalize(path);
        if input.kind == InputKind::Kustomization {
            queue.push_back((file, path.clone()));
        }
        known.insert(path, file);
    }
    let mut tree = FileTree::default();
    for input in context {
        let Source::File(path) = &input.source else {
            continue;
        };
        let path = normalize(path);
        let file = load_extra(files, &path, &mut known, loaded, limits, None);
        // Already an input (spelled differently): rendered as one, not as context.
        if file.0 as usize >= loaded.first_input + inputs.len() {
            tree.context.push(file);
        }
        queue.push_back((file, path));
    }
    let mut edges: Vec<Edge> = Vec::new();
    while let Some((file, path)) = queue.pop_front() {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        // The first path a kustomization was reached through is its directory for good.
        if tree.kustomizations.contains_key(&file) {
            continue;
        }
        tree.kustomizations.insert(file, dir.clone());
        let targets: Vec<(PathBuf, Role)> = loaded
            .files
            .get(file.0 as usize)
            .and_then(|loaded_file| loaded_file.documents.first())
            .map(|document| {
                references(&document.root)
                    .iter()
                    .filter(|reference| !is_remote(reference.path))
                    .map(|reference| (join(&dir, reference.path), reference.role))
                    .collect()
            })
            .unwrap_or_default();
        for (target, role) in targets {
            edges.push(Edge {
                consumer: file,
                target: target.clone(),
                role,
            });
            if tree.entries.contains_key(&target) {
                continue;
            }
            let (entry, kustomization_path) =
                locate(files, &target, &mut known, loaded, limits, inspected);
            if let (PathEntry::Kustomization(found), Some(path)) = (&entry, kustomization_path) {
                queue.push_back((*found, path));
            }
            tree.entries.insert(target, entry);
        }
    }
    for edge in &edges {
        if let Some(PathEntry::File(file) | PathEntry::Kustomization(file)) =
            tree.entries.get(&edge.target)
        {
            tree.references
                .entry(edge.consumer)
                .or_default()
                .push(*file);
        }
    }
    restore_what_patches_read(&tree, &edges, loaded, limits);
    tree.beside = kustomizations_beside(files, inputs, loaded.first_input, &tree);
    tree
}

/// For each manifest input, the kustomization in its directory, if one was loaded; directories
/// are compared by their canonical paths, since one may be reached as `deploy/app` and as
/// `../repo/deploy/app`.
fn kustomizations_beside(
    files: &dyn FileSystem,
    inputs: &[Input],
    first_input: usize,
    tree: &FileTree,
) -> HashMap<FileId, FileId> {
    if tree.kustomizations.is_empty() {
        return HashMap::new();
    }
    let canonical = |dir: &Path| files.canonical(directory_or_here(dir));
    let directories: HashMap<PathBuf, FileId> = tree
        .kustomizations
        .iter()
        .filter_map(|(file, dir)| Some((canonical(dir)?, *file)))
        .collect();
    let mut seen: HashMap<PathBuf, Option<FileId>> = HashMap::new();
    let mut beside = HashMap::new();
    for (index, input) in inputs.iter().enumerate() {
        let (InputKind::Manifest, Source::File(path)) = (input.kind, &input.source) else {
            continue;
        };
        let Some(parent) = path.parent() else {
            continue;
        };
        let kustomization = *seen
            .entry(parent.to_path_buf())
            .or_insert_with(|| canonical(parent).and_then(|dir| directories.get(&dir).copied()));
        if let Some(kustomization) = kustomization {
            let file = FileId(u32::try_from(first_input + index).unwrap_or(u32::MAX));
            beside.insert(file, kustomization);
        }
    }
    beside
}

/// One path a kustomization names.
struct Edge {
    consumer: FileId,
    target: PathBuf,
    role: Role,
}

/// Scanned files were loaded with only the identity of the objects no check inspects. Patch
/// files are read whole; so are resource files that a JSON 6902 patch may reach (it can test
/// any field or change the kind), that is those of a kustomization that has one, or whose
/// component or consumer has one. Strategic merges and the other transformers never make an
/// uninspected object inspected, so its identity is all they need.
fn restore_what_patches_read(
    tree: &FileTree,
    edges: &[Edge],
    loaded: &mut Loaded,
    limits: LoadLimits,
) {
    let file_of = |edge: &Edge| match tree.entry(&edge.target) {
        Some(PathEntry::File(file)) => Some(*file),
        _ => None,
    };
    let kustomization_of = |edge: &Edge| match tree.entry(&edge.target) {
        Some(PathEntry::Kustomization(file)) => Some(*file),
        _ => None,
    };
    let patches: Vec<FileId> = edges
        .iter()
        .filter(|edge| edge.role == Role::Patch)
        .filter_map(file_of)
        .collect();
    loaded.restore(&patches, limits);
    let mut exposed: HashSet<FileId> = tree
        .kustomizations
        .keys()
        .copied()
        .filter(|kustomization| has_json_patch(*kustomization, tree, loaded, limits))
        .collect();
    // Down from a consumer to what it consumes; both ways between a component and its user,
    // whose resources the component patches.
    let mut changed = true;
    while changed {
        changed = false;
        for edge in edges {
            let Some(target) = kustomization_of(edge) else {
                continue;
            };
            let consumer_exposed = exposed.contains(&edge.consumer);
            if consumer_exposed && exposed.insert(target) {
                changed = true;
            }
            if edge.role == Role::Component && exposed.contains(&target) && !consumer_exposed {
                exposed.insert(edge.consumer);
                changed = true;
            }
        }
    }
    let reachable: Vec<FileId> = edges
        .iter()
        .filter(|edge| edge.role == Role::Resource && exposed.contains(&edge.consumer))
        .filter_map(file_of)
        .collect();
    loaded.restore(&reachable, limits);
}

/// Whether the kustomization has a JSON 6902 patch: `patchesJson6902`, or a `patches` entry
/// with a document that [`is_json_patch`], inline or in its file.
fn has_json_patch(
    kustomization: FileId,
    tree: &FileTree,
    loaded: &Loaded,
    limits: LoadLimits,
) -> bool {
    let Some(root) = loaded
        .files
        .get(kustomization.0 as usize)
        .and_then(|file| file.documents.first())
        .map(|document| &document.root)
    else {
        return false;
    };
    if !items(root, "patchesJson6902").is_empty() {
        return true;
    }
    let directory = tree.directory_of(kustomization).unwrap_or(Path::new(""));
    let any_json = |documents: &[Document]| {
        documents
            .iter()
            .any(|document| is_json_patch(&document.root))
    };
    items(root, "patches").iter().any(|item| {
        if let Some(text) = item.get("patch").and_then(Node::as_str) {
            return any_json(&yaml::parse(kustomization, text, limits.yaml).documents);
        }
        let Some(path) = item.get("path").and_then(Node::as_str) else {
            return false;
        };
        match tree.entry(&join(directory, path)) {
            Some(PathEntry::File(file)) => loaded
                .files
                .get(file.0 as usize)
                .is_some_and(|file| any_json(&file.documents)),
            _ => false,
        }
    })
}

/// The files already loaded, by the path they were reached through and, when a path is new, by
/// their canonical path: a file named `base/x.yaml` on the command line and reached as
/// `../../repo/base/x.yaml` from a kustomization elsewhere is one file.
struct Known<'a> {
    files: &'a dyn FileSystem,
    by_path: HashMap<PathBuf, FileId>,
    /// The canonical paths of the files of `by_path`, resolved together on the first path
    /// `by_path` does not know (an earlier file wins).
    by_identity: HashMap<PathBuf, FileId>,
    /// The files of `by_path` whose canonical paths are not in `by_identity` yet.
    unresolved: Vec<(PathBuf, FileId)>,
}

impl<'a> Known<'a> {
    fn new(files: &'a dyn FileSystem) -> Self {
        Known {
            files,
            by_path: HashMap::new(),
            by_identity: HashMap::new(),
            unresolved: Vec::new(),
        }
    }

    fn insert(&mut self, path: PathBuf, file: FileId) {
        self.unresolved.push((path.clone(), file));
        self.by_path.insert(path, file);
    }

    fn get(&mut self, path: &Path) -> Option<FileId> {
        if let Some(file) = self.by_path.get(path) {
            return Some(*file);
        }
        self.resolve_identities();
        let file = *self.by_identity.get(&self.files.canonical(path)?)?;
        self.by_path.insert(path.to_path_buf(), file);
        Some(file)
    }

    fn resolve_identities(&mut self) {
        let paths: Vec<&Path> = (self.unresolved.iter())
            .map(|(path, _)| path.as_path())
            .collect();
        let canonical = self.files.canonical_all(&paths);
        for ((_, file), canonical) in self.unresolved.drain(..).zip(canonical) {
            if let Some(canonical) = canonical {
                self.by_identity.entry(canonical).or_insert(file);
            }
        }
    }
}

/// What `target` is, loading the file it names; for a directory with a kustomization, also
/// the kustomization file's path.
fn locate(
    files: &dyn FileSystem,
    target: &Path,
    known: &mut Known<'_>,
    loaded: &mut Loaded,
    limits: LoadLimits,
    inspected: InspectedKind<'_>,
) -> (PathEntry, Option<PathBuf>) {
    match files.kind(target) {
        Kind::Missing(error) => (PathEntry::Missing(error), None),
        Kind::Directory => {
            let found = KUSTOMIZATION_FILE_NAMES
                .iter()
                .map(|name| target.join(name))
                .find(|candidate| files.kind(candidate).is_file());
            match found {
                Some(file) => {
                    let id = load_extra(files, &file, known, loaded, limits, None);
                    (PathEntry::Kustomization(id), Some(file))
                }
                None => (PathEntry::PlainDirectory, None),
            }
        }
        Kind::File | Kind::Other => (
            PathEntry::File(load_extra(
                files,
                target,
                known,
                loaded,
                limits,
                Some(inspected),
            )),
            None,
        ),
    }
}

/// The id of an already loaded file, or load it now (outlined when `outline` says which kinds
/// are inspected; a kustomization file is read whole).
fn load_extra(
    files: &dyn FileSystem,
    path: &Path,
    known: &mut Known<'_>,
    loaded: &mut Loaded,
    limits: LoadLimits,
    outline: Option<InspectedKind<'_>>,
) -> FileId {
    if let Some(file) = known.get(path) {
        return file;
    }
    let file = FileId(u32::try_from(loaded.files.len()).unwrap_or(u32::MAX));
    let input = Input {
        display: clean_display(path),
        source: Source::File(path.to_path_buf()),
        kind: InputKind::Manifest,
    };
    let bytes = read_input(files, &input.source, limits.max_file_bytes);
    let (source, mut loaded_file, mut diagnostics) = load_one(file, &input, bytes, limits);
    if let Some(inspected) = outline {
        loaded_file.outlined = load::outline(&mut loaded_file.documents, inspected);
    }
    loaded.sources.add(source);
    loaded.files.push(loaded_file);
    loaded.diagnostics.append(&mut diagnostics);
    known.insert(path.to_path_buf(), file);
    file
}
