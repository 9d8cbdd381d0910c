//! Buffers over another file system: what an editor shows before it saves.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{
    FileSystem, Files, Kind, ReadError, WalkEntry, WalkError, WalkOptions, lexically_absolute,
    read_limited, working_directory,
};

/// Reads of an overlaid path return its buffer; everything else falls through to the file
/// system below. Buffers are keyed by absolute path (`.` and `..` resolved by the text), so
/// `deploy/x.yaml` and `/repo/deploy/x.yaml` name one buffer. A walk lists what the file
/// system below lists: a buffer of a file that does not exist there yet is read when a path
/// names it (or a kustomization references it), not found by walking.
#[derive(Debug)]
pub struct Overlay {
    below: Files,
    cwd: PathBuf,
    buffers: HashMap<PathBuf, Arc<[u8]>>,
}

impl Overlay {
    /// An overlay without buffers over `below`; relative paths are resolved against the
    /// process's working directory.
    pub fn new(below: Files) -> Self {
        Overlay {
            below,
            cwd: working_directory(),
            buffers: HashMap::new(),
        }
    }

    /// Resolve relative paths against `cwd` instead of the process's working directory.
    pub fn with_working_directory(mut self, cwd: PathBuf) -> Self {
        self.cwd = cwd;
        self
    }

    /// Put `text` in place of the file at `path` (replacing an earlier buffer).
    pub fn insert(&mut self, path: &Path, text: impl Into<Arc<[u8]>>) {
        self.buffers.insert(self.key(path), text.into());
    }

    /// Drop the buffer of `path`: its reads fall through again.
    pub fn remove(&mut self, path: &Path) {
        self.buffers.remove(&self.key(path));
    }

    fn key(&self, path: &Path) -> PathBuf {
        lexically_absolute(&self.cwd, path)
    }

    fn buffer(&self, path: &Path) -> Option<&Arc<[u8]>> {
        self.buffers.get(&self.key(path))
    }
}

impl FileSystem for Overlay {
    fn read(&self, path: &Path, max_bytes: u64) -> Result<Vec<u8>, ReadError> {
        match self.buffer(path) {
            Some(buffer) => read_limited(buffer.as_ref(), max_bytes, buffer.len()),
            None => self.below.read(path, max_bytes),
        }
    }

    fn kind(&self, path: &Path) -> Kind {
        match self.buffer(path) {
            Some(_) => Kind::File,
            None => self.below.kind(path),
        }
    }

    fn canonical(&self, path: &Path) -> Option<PathBuf> {
        self.below
            .canonical(path)
            .or_else(|| self.buffer(path).map(|_| self.key(path)))
    }

    fn walk(&self, root: &Path, options: &WalkOptions) -> Vec<Result<WalkEntry, WalkError>> {
        self.below.walk(root, options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::MemoryTree;

    #[test]
    fn a_buffer_replaces_a_file_and_the_rest_falls_through() {
        let cwd = PathBuf::from("/repo");
        let mut below =
            MemoryTree::new(cwd.clone(), "the test tree").with_working_directory(cwd.clone());
        below.insert_file(Path::new("a.yaml"), &b"on disk"[..]);
        below.insert_file(Path::new("b.yaml"), &b"untouched"[..]);
        let mut overlay = Overlay::new(Files::new(below)).with_working_directory(cwd);
        overlay.insert(Path::new("./a.yaml"), &b"unsaved"[..]);
        overlay.insert(Path::new("/repo/new.yaml"), &b"new"[..]);
        let read = |overlay: &Overlay, path: &str| overlay.read(Path::new(path), 100).ok();
        assert_eq!(read(&overlay, "/repo/a.yaml"), Some(b"unsaved".to_vec()));
        assert_eq!(read(&overlay, "b.yaml"), Some(b"untouched".to_vec()));
        assert_eq!(read(&overlay, "new.yaml"), Some(b"new".to_vec()));
        assert!(overlay.read(Path::new("a.yaml"), 3).is_err());
        assert_eq!(overlay.kind(Path::new("new.yaml")), Kind::File);
        assert_eq!(
            overlay.canonical(Path::new("sub/../new.yaml")),
            Some(PathBuf::from("/repo/new.yaml"))
        );
        let walked: Vec<PathBuf> = overlay
            .walk(Path::new("."), &WalkOptions::default())
            .into_iter()
            .filter_map(|entry| entry.ok().map(|entry| entry.path))
            .collect();
        assert_eq!(walked, [".", "./a.yaml", "./b.yaml"].map(PathBuf::from));
        overlay.remove(Path::new("a.yaml"));
        assert_eq!(read(&overlay, "a.yaml"), Some(b"on disk".to_vec()));
    }
}
