//! The disk, walked with the `ignore` crate (ripgrep's walker).

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use ignore::WalkBuilder;

use super::{
    FileSystem, Kind, ReadError, WalkEntry, WalkError, WalkOptions, directory_or_here, read_limited,
};

/// The local file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct Disk;

impl FileSystem for Disk {
    fn read(&self, path: &Path, max_bytes: u64) -> Result<Vec<u8>, ReadError> {
        // A FIFO or device would block or never end; only regular files are read.
        let meta = std::fs::metadata(path).map_err(ReadError::Io)?;
        if !meta.is_file() {
            return Err(ReadError::NotAFile);
        }
        if meta.len() > max_bytes {
            return Err(ReadError::TooLarge(meta.len()));
        }
        let expected = usize::try_from(meta.len()).unwrap_or(0);
        read_limited(
            File::open(path).map_err(ReadError::Io)?,
            max_bytes,
            expected,
        )
    }

    fn kind(&self, path: &Path) -> Kind {
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => Kind::Directory,
            Ok(meta) if meta.is_file() => Kind::File,
            Ok(_) => Kind::Other,
            Err(error) => Kind::Missing(error.to_string()),
        }
    }

    fn canonical(&self, path: &Path) -> Option<PathBuf> {
        std::fs::canonicalize(path).ok()
    }

    fn canonical_all(&self, paths: &[&Path]) -> Vec<Option<PathBuf>> {
        // `canonicalize` asks the kernel about every component of a path (a `readlink` each,
        // and the working directory for a relative one): resolve each directory once, and look
        // at a file itself only to see whether it is a link, which is resolved whole.
        let mut directories: HashMap<&Path, Option<PathBuf>> = HashMap::new();
        paths
            .iter()
            .map(|path| {
                let (Some(directory), Some(name)) = (path.parent(), path.file_name()) else {
                    return self.canonical(path);
                };
                let plain_file = std::fs::symlink_metadata(path)
                    .is_ok_and(|meta| !meta.file_type().is_symlink());
                if !plain_file {
                    return self.canonical(path);
                }
                let resolved = directories
                    .entry(directory)
                    .or_insert_with(|| self.canonical(directory_or_here(directory)));
                resolved.as_ref().map(|resolved| resolved.join(name))
            })
            .collect()
    }

    fn walk(&self, root: &Path, options: &WalkOptions) -> Vec<Result<WalkEntry, WalkError>> {
        let honour_ignores = options.honour_ignores;
        let mut builder = WalkBuilder::new(root);
        builder
            .hidden(true)
            .git_ignore(honour_ignores)
            .git_global(honour_ignores)
            .git_exclude(honour_ignores)
            .ignore(honour_ignores)
            .parents(honour_ignores)
            .require_git(false)
            // Symlinked manifests are linted too; loops and dangling links become errors.
            .follow_links(true)
            .sort_by_file_name(|a, b| a.cmp(b));
        if honour_ignores {
            for name in &options.custom_ignore_files {
                builder.add_custom_ignore_filename(name);
            }
        }
        if let Some(keep) = options.keep.clone() {
            builder.filter_entry(move |entry| keep(entry.path()));
        }
        builder
            .build()
            .map(|entry| {
                let entry = entry.map_err(|error| WalkError {
                    path: error_path(&error).map(Path::to_path_buf),
                    message: root_cause(&error),
                })?;
                let kind = match entry.file_type() {
                    Some(kind) if kind.is_dir() => Kind::Directory,
                    Some(kind) if kind.is_file() => Kind::File,
                    _ => Kind::Other,
                };
                Ok(WalkEntry {
                    path: entry.into_path(),
                    kind,
                })
            })
            .collect()
    }
}

/// The innermost cause, without the path the error names elsewhere.
fn root_cause(error: &ignore::Error) -> String {
    match error {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithLineNumber { err, .. }
        | ignore::Error::WithDepth { err, .. } => root_cause(err),
        ignore::Error::Loop { ancestor, .. } => {
            let ancestor = ancestor.strip_prefix(".").unwrap_or(ancestor);
            let ancestor = directory_or_here(ancestor);
            format!(
                "file system loop: links back to its ancestor `{}`",
                ancestor.display()
            )
        }
        ignore::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    }
}

fn error_path(error: &ignore::Error) -> Option<&Path> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithLineNumber { err, .. } | ignore::Error::WithDepth { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn canonical_all_resolves_as_canonicalize_does() -> std::io::Result<()> {
        use std::os::unix::fs::symlink;
        let temp = tempfile::tempdir()?;
        let root = temp.path();
        std::fs::create_dir_all(root.join("real/sub"))?;
        std::fs::write(root.join("real/a.yaml"), "a: 1")?;
        std::fs::write(root.join("real/sub/b.yaml"), "b: 1")?;
        symlink(root.join("real"), root.join("linked-dir"))?;
        symlink(root.join("real/sub/b.yaml"), root.join("real/link.yaml"))?;
        let paths = [
            root.join("real/a.yaml"),
            root.join("linked-dir/a.yaml"),
            root.join("linked-dir/sub/../a.yaml"),
            root.join("real/link.yaml"),
            root.join("real/sub/b.yaml"),
            root.join("real/missing.yaml"),
            root.join("real/sub/.."),
            root.to_path_buf(),
        ];
        let paths: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
        let one_by_one: Vec<Option<PathBuf>> = (paths.iter())
            .map(|path| std::fs::canonicalize(path).ok())
            .collect();
        assert_eq!(Disk.canonical_all(&paths), one_by_one);
        assert_eq!(one_by_one[1], one_by_one[0]);
        assert_eq!(one_by_one[3], one_by_one[4]);
        assert_eq!(one_by_one[5], None);
        Ok(())
    }
}
