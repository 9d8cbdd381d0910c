//! What the load stage hands the render stage: each file's documents, and every path a
//! kustomization references, already resolved against the file system.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::source::FileId;
use crate::yaml::Document;

/// The documents of one file.
#[derive(Debug)]
pub struct LoadedFile {
    pub file: FileId,
    pub documents: Vec<Document>,
    /// Set when objects no check inspects were cut down to their identity (see [`outline`]);
    /// [`Loaded::restore`] parses the whole file again for a kustomization that consumes it.
    pub outlined: bool,
}

impl LoadedFile {
    pub(crate) fn empty(file: FileId) -> Self {
        LoadedFile {
            file,
            documents: Vec::new(),
            outlined: false,
        }
    }
}

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
    pub(crate) entries: HashMap<PathBuf, PathEntry>,
    /// The file and directory of each kustomization file, by file id.
    pub(crate) kustomizations: HashMap<FileId, PathBuf>,
    /// What each kustomization references directly: files and kustomizations, by file id.
    pub(crate) references: HashMap<FileId, Vec<FileId>>,
    /// Kustomizations loaded because they may consume a file named on the command line (see
    /// [`crate::discover::Discovery::context`]), in path order.
    pub(crate) context: Vec<FileId>,
    /// Each manifest input in a directory with a kustomization file, and that kustomization.
    pub(crate) beside: HashMap<FileId, FileId>,
    /// The Helm charts to render, by the file id of their `Chart.yaml` input.
    pub(crate) charts: HashMap<FileId, LoadedChart>,
}

/// A Helm chart directory as load read it: every file not excluded by `.helmignore`, by its
/// `/`-separated path relative to the chart (subcharts under `charts/<name>/`).
#[derive(Debug, Default)]
pub(crate) struct LoadedChart {
    pub(crate) files: BTreeMap<String, ChartFile>,
    /// The values sets the configuration names for the chart, values files read.
    pub(crate) values_sets: Vec<crate::model::values_set::ValuesSet>,
    /// Whether the configuration turned off the render with the chart's own values alone.
    pub(crate) values_sets_only: bool,
}

/// A chart file: text that findings may point into (templates, values, `Chart.yaml`) is in
/// the source map; anything else is bytes for `.Files`.
#[derive(Debug)]
pub(crate) enum ChartFile {
    Text(FileId),
    Bytes(std::sync::Arc<[u8]>),
}

impl FileTree {
    pub fn entry(&self, path: &Path) -> Option<&PathEntry> {
        self.entries.get(path)
    }

    /// The directory of a kustomization file, against which its references are resolved.
    pub fn directory_of(&self, kustomization: FileId) -> Option<&Path> {
        self.kustomizations
            .get(&kustomization)
            .map(PathBuf::as_path)
    }

    /// Every file `kustomization` consumes, directly or through the kustomizations it
    /// references.
    pub fn consumed_by(&self, kustomization: FileId) -> HashSet<FileId> {
        let mut seen = HashSet::new();
        let mut pending = vec![kustomization];
        while let Some(next) = pending.pop() {
            for file in self.references.get(&next).into_iter().flatten() {
                if seen.insert(*file) {
                    pending.push(*file);
                }
            }
        }
        seen
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

/// A file a rendered chart consumes (values files, `ci/` values sets, files for `.Files`,
/// subchart files): not a manifest of its own. The `crds/` folder of the chart or of a
/// subchart holds plain manifests Helm installs as they are: those are still linted.
pub(crate) fn consumed_by_chart(display: &str, chart_dirs: &[String]) -> bool {
    chart_dirs.iter().any(|directory| {
        display
            .strip_prefix(directory.as_str())
            .is_some_and(|relative| !is_crd_file(&relative.split('/').collect::<Vec<_>>()))
    })
}

/// `crds/...`, or `charts/<name>/` followed by such a path.
fn is_crd_file(parts: &[&str]) -> bool {
    match parts {
        ["crds", _, ..] => true,
        ["charts", _, rest @ ..] => is_crd_file(rest),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_crds_folders_of_a_chart_are_linted_as_manifests() {
        let charts = ["web/".to_string()];
        assert!(consumed_by_chart("web/values.yaml", &charts));
        assert!(consumed_by_chart("web/files/crds/x.yaml", &charts));
        assert!(!consumed_by_chart("web/crds/x.yaml", &charts));
        assert!(!consumed_by_chart("web/charts/sub/crds/x.yaml", &charts));
        assert!(!consumed_by_chart("other/x.yaml", &charts));
    }
}
