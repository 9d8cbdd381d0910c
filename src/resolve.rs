//! The loading half of Kustomize support: follow every kustomization's references (resources,
//! bases, components, patch files) and read the files they need, including those outside the
//! scanned paths, so that rendering is pure. What a path turned out to be (a file, a directory
//! with a kustomization, nothing) is recorded for the renderer, which reports the problems
//! with the position of the reference.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};

use crate::discover::{Input, InputKind, KUSTOMIZATION_FILE_NAMES, Source, clean_display};
use crate::load::{LoadLimits, Loaded, load_one, read_input};
use crate::render::kustomization::{is_remote, join, normalize, references};
use crate::source::FileId;

/// What a referenced path is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathEntry {
    File(FileId),
    /// A directory, by the kustomization file in it.
    Kustomization(FileId),
    /// A directory without a kustomization file.
    PlainDirectory,
    Missing(String),
}

/// Every path referenced by a kustomization, resolved.
#[derive(Debug, Default)]
pub struct FileTree {
    entries: HashMap<PathBuf, PathEntry>,
    /// The file and directory of each kustomization file, by file id.
    kustomizations: HashMap<FileId, PathBuf>,
}

impl FileTree {
    /// A tree from known entries, for tests of the renderer.
    pub fn new(
        entries: HashMap<PathBuf, PathEntry>,
        kustomizations: HashMap<FileId, PathBuf>,
    ) -> Self {
        FileTree {
            entries,
            kustomizations,
        }
    }

    pub fn entry(&self, path: &Path) -> Option<&PathEntry> {
        self.entries.get(path)
    }

    /// The directory of a kustomization file, against which its references are resolved.
    pub fn directory_of(&self, kustomization: FileId) -> Option<&Path> {
        self.kustomizations
            .get(&kustomization)
            .map(PathBuf::as_path)
    }

    /// Files that some kustomization consumes: not linted on their own.
    pub fn consumed(&self) -> HashSet<FileId> {
        self.entries
            .values()
            .filter_map(|entry| match entry {
                PathEntry::File(file) | PathEntry::Kustomization(file) => Some(*file),
                _ => None,
            })
            .collect()
    }
}

/// Follow the kustomizations among `inputs` (already loaded into `loaded`, input `i` is file
/// `loaded.first_input + i`)
/// and load what they reference, appending to `loaded`.
pub fn resolve(inputs: &[Input], loaded: &mut Loaded, limits: LoadLimits) -> FileTree {
    let mut known: HashMap<PathBuf, FileId> = HashMap::new();
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
    while let Some((file, path)) = queue.pop_front() {
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        if tree.kustomizations.insert(file, dir.clone()).is_some() {
            continue;
        }
        let targets: Vec<PathBuf> = loaded
            .files
            .get(file.0 as usize)
            .and_then(|loaded_file| loaded_file.documents.first())
            .map(|document| {
                references(&document.root)
                    .iter()
                    .filter(|reference| !is_remote(reference.path))
                    .map(|reference| join(&dir, reference.path))
                    .collect()
            })
            .unwrap_or_default();
        for target in targets {
            if tree.entries.contains_key(&target) {
                continue;
            }
            let entry = locate(&target, &mut known, loaded, limits);
            if let PathEntry::Kustomization(found) = entry {
                let kustomization_path = tree_path_of(&known, found).unwrap_or_default();
                queue.push_back((found, kustomization_path));
            }
            tree.entries.insert(target, entry);
        }
    }
    tree
}

fn tree_path_of(known: &HashMap<PathBuf, FileId>, file: FileId) -> Option<PathBuf> {
    known
        .iter()
        .find(|(_, id)| **id == file)
        .map(|(path, _)| path.clone())
}

fn locate(
    target: &Path,
    known: &mut HashMap<PathBuf, FileId>,
    loaded: &mut Loaded,
    limits: LoadLimits,
) -> PathEntry {
    match std::fs::metadata(target) {
        Err(error) => PathEntry::Missing(error.to_string()),
        Ok(meta) if meta.is_dir() => {
            let found = KUSTOMIZATION_FILE_NAMES
                .iter()
                .map(|name| target.join(name))
                .find(|candidate| candidate.is_file());
            match found {
                Some(file) => PathEntry::Kustomization(load_extra(&file, known, loaded, limits)),
                None => PathEntry::PlainDirectory,
            }
        }
        Ok(_) => PathEntry::File(load_extra(target, known, loaded, limits)),
    }
}

/// The id of an already loaded file, or load it now.
fn load_extra(
    path: &Path,
    known: &mut HashMap<PathBuf, FileId>,
    loaded: &mut Loaded,
    limits: LoadLimits,
) -> FileId {
    if let Some(file) = known.get(path) {
        // A scanned file that a kustomization consumes needs its whole trees for patching.
        loaded.restore(*file, limits);
        return *file;
    }
    let file = FileId(u32::try_from(loaded.files.len()).unwrap_or(u32::MAX));
    let input = Input {
        display: clean_display(path),
        source: Source::File(path.to_path_buf()),
        kind: InputKind::Manifest,
    };
    let bytes = read_input(&input.source, limits.max_file_bytes);
    let (source, loaded_file, mut diagnostics) = load_one(file, &input, bytes, limits);
    loaded.sources.add(source);
    loaded.files.push(loaded_file);
    loaded.diagnostics.append(&mut diagnostics);
    known.insert(path.to_path_buf(), file);
    file
}
