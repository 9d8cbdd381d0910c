//! A tree of files held in memory, mounted at a directory: a repository as it is at a git
//! commit, read without checking it out.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use super::{
    FileSystem, Kind, ReadError, WalkEntry, WalkError, WalkOptions, lexically_absolute,
    read_limited, working_directory,
};

/// Files and directories by their path below `root`, the directory the tree stands in for
/// (a repository's root for a git commit). A path outside `root`, or one the tree does not
/// hold, is missing; the tree holds no symbolic links. Walks honour the ignore files held in
/// the tree, in the walked directories and those above them up to `root`, and the user's
/// global git excludes, as a walk of the disk does.
#[derive(Debug)]
pub struct MemoryTree {
    root: PathBuf,
    cwd: PathBuf,
    /// What the tree is, in messages about paths it lacks: "`main` (3f2a1b0)".
    label: String,
    files: HashMap<PathBuf, Arc<[u8]>>,
    /// Every directory (the root is the empty path) with the names of its entries.
    directories: BTreeMap<PathBuf, BTreeSet<OsString>>,
}

impl MemoryTree {
    /// An empty tree standing in for the absolute directory `root`. Relative paths are
    /// resolved against the process's working directory.
    pub fn new(root: PathBuf, label: impl Into<String>) -> Self {
        MemoryTree {
            root,
            cwd: working_directory(),
            label: label.into(),
            files: HashMap::new(),
            directories: BTreeMap::from([(PathBuf::new(), BTreeSet::new())]),
        }
    }

    /// Resolve relative paths against `cwd` instead of the process's working directory.
    pub fn with_working_directory(mut self, cwd: PathBuf) -> Self {
        self.cwd = cwd;
        self
    }

    /// Add the file at `path` (relative to the root) and the directories above it.
    pub fn insert_file(&mut self, path: &Path, text: impl Into<Arc<[u8]>>) {
        if let Some(parent) = path.parent() {
            self.insert_directory(parent);
        }
        self.add_name(path);
        self.files.insert(path.to_path_buf(), text.into());
    }

    /// Add the directory at `path` (relative to the root) and those above it.
    pub fn insert_directory(&mut self, path: &Path) {
        for directory in path.ancestors() {
            if self.directories.contains_key(directory) {
                break;
            }
            self.directories
                .insert(directory.to_path_buf(), BTreeSet::new());
            self.add_name(directory);
        }
    }

    fn add_name(&mut self, path: &Path) {
        if let (Some(parent), Some(name)) = (path.parent(), path.file_name()) {
            self.directories
                .entry(parent.to_path_buf())
                .or_default()
                .insert(name.to_owned());
        }
    }

    /// The path below the root that `path` names, if it is inside the root.
    fn inside(&self, path: &Path) -> Option<PathBuf> {
        let absolute = lexically_absolute(&self.cwd, path);
        absolute
            .strip_prefix(&self.root)
            .ok()
            .map(Path::to_path_buf)
    }

    fn kind_inside(&self, inside: &Path) -> Kind {
        if self.files.contains_key(inside) {
            Kind::File
        } else if self.directories.contains_key(inside) {
            Kind::Directory
        } else {
            Kind::Missing(self.missing())
        }
    }

    fn missing(&self) -> String {
        format!("no such file or directory in {}", self.label)
    }

    /// The ignore files of the directory `inside`, parsed; an unparsable line is an error.
    fn ignores_of(&self, inside: &Path, options: &WalkOptions) -> (Ignores, Vec<WalkError>) {
        let mut errors = Vec::new();
        let mut matcher = |names: &[&str]| {
            let mut builder = GitignoreBuilder::new(self.root.join(inside));
            for name in names {
                let Some(text) = self.files.get(&inside.join(name)) else {
                    continue;
                };
                for line in String::from_utf8_lossy(text).lines() {
                    if let Err(error) = builder.add_line(None, line) {
                        errors.push(WalkError {
                            path: Some(self.root.join(inside).join(name)),
                            message: error.to_string(),
                        });
                    }
                }
            }
            builder.build().unwrap_or_else(|_| Gitignore::empty())
        };
        let custom: Vec<&str> = options
            .custom_ignore_files
            .iter()
            .map(String::as_str)
            .collect();
        let ignores = Ignores {
            custom: matcher(&custom),
            dot_ignore: matcher(&[".ignore"]),
            git: matcher(&[".gitignore"]),
        };
        (ignores, errors)
    }
}

/// The ignore files of one directory, by precedence: the custom ones over `.ignore` over
/// `.gitignore`, as ripgrep's walker ranks them.
struct Ignores {
    custom: Gitignore,
    dot_ignore: Gitignore,
    git: Gitignore,
}

/// A walk in progress: the ignore files of the directories from the root down to the current
/// one, and what it found.
struct Walk<'a> {
    tree: &'a MemoryTree,
    options: &'a WalkOptions,
    levels: Vec<Ignores>,
    global: Gitignore,
    found: Vec<Result<WalkEntry, WalkError>>,
}

impl Walk<'_> {
    /// Whether the ignore files say `absolute` is ignored: for each kind of file by
    /// precedence, the deepest directory whose file matches decides.
    fn is_ignored(&self, absolute: &Path, is_dir: bool) -> bool {
        let kinds: [fn(&Ignores) -> &Gitignore; 3] = [
            |level| &level.custom,
            |level| &level.dot_ignore,
            |level| &level.git,
        ];
        for matcher_of in kinds {
            for level in self.levels.iter().rev() {
                match matcher_of(level).matched(absolute, is_dir) {
                    Match::Ignore(_) => return true,
                    Match::Whitelist(_) => return false,
                    Match::None => {}
                }
            }
        }
        self.global.matched(absolute, is_dir).is_ignore()
    }

    fn enter(&mut self, inside: &Path) {
        if self.options.honour_ignores {
            let (ignores, mut errors) = self.tree.ignores_of(inside, self.options);
            self.found.extend(errors.drain(..).map(Err));
            self.levels.push(ignores);
        }
    }

    fn leave(&mut self) {
        self.levels.pop();
    }

    /// The entries below the directory `inside`, spelled as `shown`.
    fn directory(&mut self, inside: &Path, shown: &Path) {
        let tree = self.tree;
        let Some(names) = tree.directories.get(inside) else {
            return;
        };
        self.enter(inside);
        for name in names {
            let (inside, shown) = (inside.join(name), shown.join(name));
            let kind = tree.kind_inside(&inside);
            let hidden = name.to_string_lossy().starts_with('.');
            let ignored = self.options.honour_ignores
                && self.is_ignored(&tree.root.join(&inside), kind.is_dir());
            let rejected = self.options.keep.as_ref().is_some_and(|keep| !keep(&shown));
            if hidden || ignored || rejected {
                continue;
            }
            self.found.push(Ok(WalkEntry {
                path: shown.clone(),
                kind: kind.clone(),
            }));
            if kind.is_dir() {
                self.directory(&inside, &shown);
            }
        }
        self.leave();
    }
}

impl FileSystem for MemoryTree {
    fn read(&self, path: &Path, max_bytes: u64) -> Result<Vec<u8>, ReadError> {
        let inside = self.inside(path);
        match inside.as_ref().and_then(|inside| self.files.get(inside)) {
            Some(text) => read_limited(text.as_ref(), max_bytes, text.len()),
            None if inside.is_some_and(|inside| self.directories.contains_key(&inside)) => {
                Err(ReadError::NotAFile)
            }
            None => Err(ReadError::Io(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                self.missing(),
            ))),
        }
    }

    fn kind(&self, path: &Path) -> Kind {
        match self.inside(path) {
            Some(inside) => self.kind_inside(&inside),
            None => Kind::Missing(self.missing()),
        }
    }

    fn canonical(&self, path: &Path) -> Option<PathBuf> {
        let inside = self.inside(path)?;
        match self.kind_inside(&inside) {
            Kind::Missing(_) => None,
            _ => Some(self.root.join(inside)),
        }
    }

    fn walk(&self, root: &Path, options: &WalkOptions) -> Vec<Result<WalkEntry, WalkError>> {
        let (inside, kind) = match self.inside(root) {
            Some(inside) => {
                let kind = self.kind_inside(&inside);
                (inside, kind)
            }
            None => (PathBuf::new(), Kind::Missing(self.missing())),
        };
        if let Kind::Missing(message) = kind {
            return vec![Err(WalkError {
                path: Some(root.to_path_buf()),
                message,
            })];
        }
        let global = if options.honour_ignores {
            Gitignore::global().0
        } else {
            Gitignore::empty()
        };
        let mut walk = Walk {
            tree: self,
            options,
            levels: Vec::new(),
            global,
            found: vec![Ok(WalkEntry {
                path: root.to_path_buf(),
                kind: kind.clone(),
            })],
        };
        if kind.is_dir() {
            // The ignore files of the directories above the walked one apply too.
            let mut above: Vec<&Path> = inside.ancestors().skip(1).collect();
            above.reverse();
            for directory in above {
                walk.enter(directory);
            }
            walk.directory(&inside, root);
        }
        walk.found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> MemoryTree {
        let mut tree = MemoryTree::new(PathBuf::from("/repo"), "`main`")
            .with_working_directory(PathBuf::from("/repo/deploy"));
        let files: [(&str, &str); 8] = [
            (".gitignore", "generated/\n*.tmp.yaml\n"),
            ("deploy/app.yaml", "a"),
            ("deploy/app.tmp.yaml", "ignored by the root's .gitignore"),
            ("deploy/generated/x.yaml", "ignored directory"),
            ("deploy/.hidden.yaml", "hidden"),
            ("deploy/sub/.kubepatrolignore", "skip.yaml\n"),
            ("deploy/sub/skip.yaml", "ignored by the custom file"),
            ("deploy/sub/keep.yaml", "k"),
        ];
        for (path, text) in files {
            tree.insert_file(Path::new(path), text.as_bytes());
        }
        tree
    }

    fn walked(tree: &MemoryTree, root: &str, honour_ignores: bool) -> Vec<String> {
        let options = WalkOptions {
            honour_ignores,
            custom_ignore_files: vec![".kubepatrolignore".into()],
            keep: None,
        };
        tree.walk(Path::new(root), &options)
            .into_iter()
            .map(|entry| match entry {
                Ok(entry) => entry.path.to_string_lossy().into_owned(),
                Err(error) => format!("error: {}", error.message),
            })
            .collect()
    }

    #[test]
    fn paths_resolve_against_the_working_directory_inside_the_root() {
        let tree = tree();
        assert_eq!(tree.kind(Path::new("app.yaml")), Kind::File);
        assert_eq!(tree.kind(Path::new("../deploy/sub")), Kind::Directory);
        assert_eq!(tree.kind(Path::new("/repo")), Kind::Directory);
        assert_eq!(
            tree.kind(Path::new("/elsewhere/app.yaml")),
            Kind::Missing("no such file or directory in `main`".into())
        );
        assert_eq!(
            tree.canonical(Path::new("sub/../app.yaml")),
            Some(PathBuf::from("/repo/deploy/app.yaml"))
        );
        assert_eq!(
            tree.read(Path::new("app.yaml"), 10).ok(),
            Some(b"a".to_vec())
        );
        assert!(matches!(
            tree.read(Path::new("sub"), 10),
            Err(ReadError::NotAFile)
        ));
        assert!(matches!(
            tree.read(Path::new("app.yaml"), 0),
            Err(ReadError::TooLarge(1))
        ));
    }

    #[test]
    fn walks_honour_ignore_files_above_and_below_and_skip_hidden_entries() {
        let tree = tree();
        assert_eq!(
            walked(&tree, ".", true),
            [".", "./app.yaml", "./sub", "./sub/keep.yaml"]
        );
        assert_eq!(
            walked(&tree, ".", false),
            [
                ".",
                "./app.tmp.yaml",
                "./app.yaml",
                "./generated",
                "./generated/x.yaml",
                "./sub",
                "./sub/keep.yaml",
                "./sub/skip.yaml",
            ]
        );
        assert_eq!(
            walked(&tree, "missing", true),
            ["error: no such file or directory in `main`"]
        );
    }
}
