//! File access for the stages that read the repository (discover, load, the configuration
//! search), behind one small trait, so that the same pipeline can lint the disk, the disk with
//! an editor's unsaved buffers in place of some files ([`Overlay`]), or a tree that exists only
//! in memory, such as a repository at a git commit ([`MemoryTree`]).
//!
//! Paths are the caller's: relative to the working directory or absolute, never rewritten, so
//! that every report names files the way the user wrote them whichever file system was read.
//! Four operations cover what the stages need: a file's bytes, a path's kind, a canonical
//! identity (to tell that two spellings name one file; of many paths at once too, which the
//! disk resolves directory by directory) and a directory walk that honours the same ignore
//! files as ripgrep's walker.

mod disk;
mod memory;
mod overlay;

use std::fmt;
use std::io::Read;
use std::ops::Deref;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

pub use disk::Disk;
pub use memory::MemoryTree;
pub use overlay::Overlay;

/// A file system the pipeline reads through. Implementations are shared by the threads that
/// load files in parallel.
pub trait FileSystem: fmt::Debug + Send + Sync {
    /// The bytes of the regular file at `path`, at most `max_bytes` of them.
    fn read(&self, path: &Path, max_bytes: u64) -> Result<Vec<u8>, ReadError>;
    /// What `path` is; a symbolic link is followed.
    fn kind(&self, path: &Path) -> Kind;
    /// An absolute path that names the same file for every spelling of `path` (links
    /// resolved), when `path` exists.
    fn canonical(&self, path: &Path) -> Option<PathBuf>;
    /// [`FileSystem::canonical`] of each of `paths`, in order (a file system may share the
    /// work of resolving their directories).
    fn canonical_all(&self, paths: &[&Path]) -> Vec<Option<PathBuf>> {
        paths.iter().map(|path| self.canonical(path)).collect()
    }
    /// Every entry below `root` (and `root` itself), depth first, the entries of a directory
    /// ordered by name; paths are `root` joined with the names below it.
    fn walk(&self, root: &Path, options: &WalkOptions) -> Vec<Result<WalkEntry, WalkError>>;
}

/// A shared handle on a file system: what the pipeline's options carry. The disk by default.
#[derive(Clone, Debug)]
pub struct Files(Arc<dyn FileSystem>);

impl Files {
    pub fn new(files: impl FileSystem + 'static) -> Self {
        Files(Arc::new(files))
    }

    pub fn disk() -> Self {
        Files::new(Disk)
    }
}

impl Default for Files {
    fn default() -> Self {
        Files::disk()
    }
}

impl Deref for Files {
    type Target = dyn FileSystem;

    fn deref(&self) -> &Self::Target {
        self.0.as_ref()
    }
}

/// What a path names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    File,
    Directory,
    /// A FIFO, socket or device: never read, since it could block or never end.
    Other,
    /// Nothing, with why (the operating system's message, or the tree's).
    Missing(String),
}

impl Kind {
    pub fn is_file(&self) -> bool {
        *self == Kind::File
    }

    pub fn is_dir(&self) -> bool {
        *self == Kind::Directory
    }
}

/// Why a file could not be read, before any parsing.
#[derive(Debug)]
pub enum ReadError {
    TooLarge(u64),
    NotAFile,
    Io(std::io::Error),
}

/// Whether a walk keeps an entry (and, for a directory, descends into it).
pub type Keep = Arc<dyn Fn(&Path) -> bool + Send + Sync>;

/// How to walk a directory. Hidden entries (a name starting with `.`) are always skipped.
#[derive(Clone, Default)]
pub struct WalkOptions {
    /// Honour `.gitignore`, `.ignore`, the git global and repository excludes and the
    /// `custom_ignore_files`, in the directories walked and those above them.
    pub honour_ignores: bool,
    /// More ignore files in `.gitignore` syntax, taking precedence over the others (as
    /// ripgrep's `.rgignore`), e.g. `.kubepatrolignore`.
    pub custom_ignore_files: Vec<String>,
    /// Entries `keep` rejects are skipped, directories with everything below them.
    pub keep: Option<Keep>,
}

/// One entry found by a walk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalkEntry {
    pub path: PathBuf,
    pub kind: Kind,
}

/// A part of a walk that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalkError {
    /// The entry that failed, when known (else the walk's root).
    pub path: Option<PathBuf>,
    /// The innermost cause, without the path.
    pub message: String,
}

/// Read at most `max_bytes` (one more to tell that the limit was passed). `expected` sizes the
/// buffer so the text is not held in a buffer twice its size for the whole run.
pub fn read_limited(
    reader: impl Read,
    max_bytes: u64,
    expected: usize,
) -> Result<Vec<u8>, ReadError> {
    // read_to_end probes for the end on the stack when the buffer is full, so a buffer of the
    // expected size is not grown (and shrink_to_fit below then has nothing to do).
    let mut bytes = Vec::with_capacity(expected);
    reader
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > max_bytes {
        return Err(ReadError::TooLarge(bytes.len() as u64));
    }
    bytes.shrink_to_fit();
    Ok(bytes)
}

/// `directory` as a path to give the system: the parent of a bare file name is empty, and
/// names the working directory, `.`.
pub fn directory_or_here(directory: &Path) -> &Path {
    if directory.as_os_str().is_empty() {
        Path::new(".")
    } else {
        directory
    }
}

/// `path` made absolute against `cwd`, with `.` and `..` resolved by the text alone (a link is
/// not followed): how the in-memory file systems name a path that need not exist on disk.
fn lexically_absolute(cwd: &Path, path: &Path) -> PathBuf {
    let mut absolute = PathBuf::new();
    for component in cwd.join(path).components() {
        match component {
            Component::ParentDir => {
                absolute.pop();
            }
            Component::CurDir => {}
            other => absolute.push(other),
        }
    }
    absolute
}

/// The process's working directory, canonical (as the disk's canonical paths are), against
/// which the in-memory file systems resolve relative paths.
fn working_directory() -> PathBuf {
    std::env::current_dir()
        .and_then(std::fs::canonicalize)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_empty_parent_of_a_bare_file_name_is_the_working_directory() {
        let parent = Path::new("x.yaml").parent().unwrap_or(Path::new("/"));
        assert_eq!(directory_or_here(parent), Path::new("."));
        assert_eq!(directory_or_here(Path::new("deploy")), Path::new("deploy"));
    }

    #[test]
    fn lexical_paths_resolve_dots_without_the_disk() {
        let cwd = Path::new("/repo/deploy");
        assert_eq!(
            lexically_absolute(cwd, Path::new("../base/./x.yaml")),
            Path::new("/repo/base/x.yaml")
        );
        assert_eq!(
            lexically_absolute(cwd, Path::new("/abs/y.yaml")),
            Path::new("/abs/y.yaml")
        );
        assert_eq!(lexically_absolute(cwd, Path::new(".")), cwd);
    }
}
