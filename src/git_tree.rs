//! The repository as it is at a commit, read from git's object database into a [`MemoryTree`]
//! without checking anything out: what `lint --new-since REF` lints on the REF side.
//!
//! It runs the `git` command rather than linking a git library such as `gix`: the command is
//! already on every machine that has a repository to compare with, it reads every object
//! format and repository layout git itself reads (packs, alternates, worktrees, shallow and
//! partial clones), and it costs no dependency tree. Two processes do all the work:
//! `git ls-tree -r -z --full-tree -l COMMIT` lists every file of the commit, and one
//! `git cat-file --batch` streams the contents of the files the tree will hold.
//!
//! The whole commit is listed, not only the linted paths: a kustomization may render a base
//! outside them, and discovery looks for the overlays of a named file in the whole
//! repository. Only files that may be read are fetched: those with a manifest extension, the
//! kustomization, chart and ignore files, every file in a directory that holds a kustomization
//! (where patches of any name live) and every file of a Helm chart (templates, helpers).
//! Symbolic links are kept (the tree follows them as the disk would); submodules are left out,
//! and a file larger than the load limit is left for load to report as missing.
//!
//! A file named on the command line that was renamed since the commit is looked up there under
//! its old name (`git diff --find-renames`), so that a renamed file's findings are not new.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use kubepatrol::discover::KUSTOMIZATION_FILE_NAMES;
use kubepatrol::vfs::MemoryTree;

/// The names of the files the REF side may read besides manifests.
const ALSO_READ: [&str; 4] = ["Chart.yaml", ".gitignore", ".ignore", ".kubepatrolignore"];
const MANIFEST_EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// The tree of the commit `reference` names, in the repository around the working directory.
pub(crate) struct CommitTree {
    pub(crate) tree: MemoryTree,
    /// "`main` (3f2a1b0)": how messages name the side.
    pub(crate) label: String,
    /// The files renamed since the commit: absolute path now → absolute path then.
    renamed: HashMap<PathBuf, PathBuf>,
}

impl CommitTree {
    /// The command-line `paths` as the commit knows them: a renamed file by its old name.
    pub(crate) fn paths_then(&self, paths: &[String]) -> Vec<String> {
        let cwd = std::env::current_dir()
            .and_then(std::fs::canonicalize)
            .unwrap_or_default();
        paths
            .iter()
            .map(|path| {
                let now = cwd.join(path);
                let now = std::fs::canonicalize(&now).unwrap_or(now);
                self.renamed
                    .get(&now)
                    .map_or_else(|| path.clone(), |then| then.to_string_lossy().into_owned())
            })
            .collect()
    }
}

/// Read the commit `reference` names; an error is a message for the user.
pub(crate) fn read(reference: &str, max_file_bytes: u64) -> Result<CommitTree, String> {
    let root = git(&["rev-parse", "--show-toplevel"])
        .map_err(|error| format!("--new-since needs a git repository: {error}"))?;
    let root = std::fs::canonicalize(root.trim_end_matches('\n'))
        .map_err(|error| format!("cannot open the repository root: {error}"))?;
    let commit = git(&[
        "rev-parse",
        "--verify",
        "--quiet",
        "--end-of-options",
        &format!("{reference}^{{commit}}"),
    ])
    .map_err(|_| format!("`{reference}` does not name a commit in this repository"))?;
    let commit = commit.trim_end_matches('\n');
    let short: String = commit.chars().take(7).collect();
    let label = format!("`{reference}` ({short})");
    let listing = git(&["ls-tree", "-r", "-z", "--full-tree", "-l", commit])
        .map_err(|error| format!("cannot list the files of {label}: {error}"))?;
    let wanted = wanted_blobs(&listing, max_file_bytes);
    let changes = git(&[
        "diff",
        "-z",
        "--name-status",
        "--find-renames",
        commit,
        "--",
    ])
    .map_err(|error| format!("cannot compare with {label}: {error}"))?;
    let renamed = renames(&changes)
        .map(|(then, now)| (root.join(now), root.join(then)))
        .collect();
    let mut tree = MemoryTree::new(root, label.clone());
    // Discovery finds the repository root by its `.git`, on this side as on the disk.
    tree.insert_directory(Path::new(".git"));
    for (blob, text) in
        contents(wanted).map_err(|error| format!("cannot read the files of {label}: {error}"))?
    {
        if blob.link {
            let target = String::from_utf8_lossy(&text).into_owned();
            tree.insert_link(&blob.path, PathBuf::from(target));
        } else {
            tree.insert_file(&blob.path, text);
        }
    }
    Ok(CommitTree {
        tree,
        label,
        renamed,
    })
}

/// The (old, new) paths of the renames in `git diff -z --name-status` output, whose records
/// are `R<score>\0<old>\0<new>\0`, or `<status>\0<path>\0` for the other changes.
fn renames(changes: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut fields = changes.split('\0');
    std::iter::from_fn(move || {
        loop {
            let status = fields.next()?;
            let first = fields.next()?;
            if status.starts_with('R') || status.starts_with('C') {
                let second = fields.next()?;
                if status.starts_with('R') {
                    return Some((first, second));
                }
            }
        }
    })
}

/// One file of the listing to fetch.
struct Blob {
    id: String,
    path: PathBuf,
    /// A symbolic link, whose content is its target.
    link: bool,
}

/// The regular files of a `git ls-tree -r -z -l` listing that the REF side may read, and the
/// symbolic links.
fn wanted_blobs(listing: &str, max_file_bytes: u64) -> Vec<Blob> {
    let files: Vec<(Blob, u64)> = listing
        .split('\0')
        .filter_map(|record| {
            // `<mode> SP <type> SP <object> SP+ <size> TAB <path>`
            let (meta, path) = record.split_once('\t')?;
            let mut fields = meta.split_whitespace();
            let (mode, kind, id, size) = (
                fields.next()?,
                fields.next()?,
                fields.next()?,
                fields.next()?,
            );
            let link = mode == "120000";
            let regular = link || mode == "100644" || mode == "100755";
            let size = size.parse().ok()?;
            (kind == "blob" && regular).then(|| {
                let blob = Blob {
                    id: id.to_owned(),
                    path: PathBuf::from(path),
                    link,
                };
                (blob, size)
            })
        })
        .collect();
    let directories_of = |is_wanted: fn(&Path) -> bool| -> std::collections::HashSet<&Path> {
        files
            .iter()
            .filter(|(blob, _)| is_wanted(&blob.path))
            .filter_map(|(blob, _)| blob.path.parent())
            .collect()
    };
    let kustomization_directories = directories_of(kubepatrol::discover::is_kustomization_file);
    let charts = directories_of(|path| path.file_name().is_some_and(|name| name == "Chart.yaml"));
    let may_be_read = |path: &Path| {
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("");
        let extension = path.extension().and_then(|ext| ext.to_str()).unwrap_or("");
        MANIFEST_EXTENSIONS
            .iter()
            .any(|known| extension.eq_ignore_ascii_case(known))
            || KUSTOMIZATION_FILE_NAMES.contains(&name)
            || ALSO_READ.contains(&name)
            || path
                .parent()
                .is_some_and(|dir| kustomization_directories.contains(dir))
            || path.ancestors().any(|dir| charts.contains(dir))
    };
    let wanted: Vec<bool> = files
        .iter()
        .map(|(blob, size)| blob.link || (*size <= max_file_bytes && may_be_read(&blob.path)))
        .collect();
    files
        .into_iter()
        .zip(wanted)
        .filter_map(|((blob, _), wanted)| wanted.then_some(blob))
        .collect()
}

/// The contents of `blobs`, streamed by one `git cat-file --batch`. The object names are
/// written by a thread while this one reads, so that neither pipe fills up and blocks git.
fn contents(blobs: Vec<Blob>) -> std::io::Result<Vec<(Blob, Vec<u8>)>> {
    let mut child = Command::new("git")
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let (Some(mut stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
        return Err(std::io::Error::other("git cat-file has no pipes"));
    };
    let ids: Vec<String> = blobs.iter().map(|blob| blob.id.clone()).collect();
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        for id in ids {
            writeln!(stdin, "{id}")?;
        }
        Ok(())
    });
    let mut stdout = BufReader::new(stdout);
    let mut read = Vec::with_capacity(blobs.len());
    for blob in blobs {
        let text = next_object(&mut stdout, &blob.id)?;
        read.push((blob, text));
    }
    writer
        .join()
        .map_err(|_| std::io::Error::other("writing to git cat-file failed"))??;
    child.wait()?;
    Ok(read)
}

/// One object of `git cat-file --batch` output: `<id> <type> <size>\n<content>\n`.
fn next_object(out: &mut impl BufRead, id: &str) -> std::io::Result<Vec<u8>> {
    let mut header = String::new();
    out.read_line(&mut header)?;
    let size = header
        .split_whitespace()
        .nth(2)
        .and_then(|size| size.parse::<usize>().ok())
        .ok_or_else(|| std::io::Error::other(format!("object {id}: {}", header.trim_end())))?;
    let mut text = vec![0; size];
    out.read_exact(&mut text)?;
    let mut newline = [0u8; 1];
    out.read_exact(&mut newline)?;
    Ok(text)
}

/// The standard output of `git ARGS`, or its standard error when it fails.
fn git(args: &[&str]) -> Result<String, String> {
    let output = Command::new("git")
        .args(args)
        .output()
        .map_err(|error| format!("cannot run git: {error}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).trim().to_owned());
    }
    String::from_utf8(output.stdout).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_that_may_be_read_and_links_are_fetched() {
        let listing = [
            "100644 blob aaa      12\tdeploy/app.yaml",
            "100644 blob bbb      12\tdeploy/kustomization.yaml",
            "100644 blob ccc      12\tdeploy/patch.txt",
            "100644 blob ddd      12\tsrc/main.rs",
            "120000 blob eee      12\tdeploy/link.yaml",
            "160000 commit fff       -\tvendor/sub",
            "100755 blob ggg      99\tbig.yaml",
            "100644 blob hhh       3\t.gitignore",
            "100644 blob iii       3\tcharts/web/Chart.yaml",
            "100644 blob jjj       3\tcharts/web/templates/_helpers.tpl",
        ]
        .join("\0");
        let fetched: Vec<String> = wanted_blobs(&listing, 50)
            .into_iter()
            .map(|blob| blob.path.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            fetched,
            [
                "deploy/app.yaml",
                "deploy/kustomization.yaml",
                "deploy/patch.txt",
                "deploy/link.yaml",
                ".gitignore",
                "charts/web/Chart.yaml",
                "charts/web/templates/_helpers.tpl",
            ]
        );
    }

    #[test]
    fn renames_are_read_from_name_status_records() {
        let changes = "M\0a.yaml\0R087\0old.yaml\0new.yaml\0C100\0x\0y\0D\0gone.yaml\0";
        assert_eq!(
            renames(changes).collect::<Vec<_>>(),
            [("old.yaml", "new.yaml")]
        );
    }

    #[test]
    fn batch_output_is_split_by_the_sizes_it_announces() {
        let mut out = &b"aaa blob 3\nx\ny\nbbb blob 0\n\n"[..];
        assert_eq!(next_object(&mut out, "aaa").unwrap(), b"x\ny");
        assert_eq!(next_object(&mut out, "bbb").unwrap(), b"");
        assert!(next_object(&mut out, "ccc").is_err());
    }
}
