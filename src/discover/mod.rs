//! Which files to read: directories are walked with the `ignore` crate (ripgrep's walker), files
//! named on the command line are always read, `-` is standard input. Every look at the files
//! goes through a [`FileSystem`], the disk unless the caller gives another.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::vfs::{Disk, FileSystem, Kind, WalkError, WalkOptions, directory_or_here};

/// The name a user gives standard input on the command line, and how it is reported.
pub const STDIN_ARG: &str = "-";
pub const STDIN_DISPLAY: &str = "<stdin>";

const MANIFEST_EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// The file names kustomize recognises, in the order it looks for them in a directory.
pub const KUSTOMIZATION_FILE_NAMES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    File(PathBuf),
    Stdin,
    /// Text already in memory (fuzzing, embedding kubepatrol in another program).
    Memory(std::sync::Arc<[u8]>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    Manifest,
    /// A file under a Helm chart's `templates/` directory: not YAML until rendered.
    HelmTemplate,
    /// A `kustomization.yaml` (or `.yml`, or `Kustomization`): rendered, not linted as is.
    Kustomization,
    /// The `Chart.yaml` of a Helm chart that is not a subchart: the chart is rendered.
    HelmChart,
}

#[derive(Clone, Debug)]
pub struct Input {
    /// The path as the user gave it, or joined to the walked directory, without a leading `./`.
    pub display: String,
    pub source: Source,
    pub kind: InputKind,
}

#[derive(Debug, Default)]
pub struct DiscoverOptions {
    pub exclude: Vec<String>,
    pub no_ignore: bool,
    /// How standard input is reported; `<stdin>` when not given.
    pub stdin_name: Option<String>,
    /// Treat kustomization files like any other file instead of rendering them.
    pub no_kustomize: bool,
}

#[derive(Debug, Default)]
pub struct Discovery {
    pub inputs: Vec<Input>,
    /// The kustomization files of the repository of each file named on the command line (not
    /// inputs themselves): a named patch or base is linted through the overlays that consume
    /// it, as pre-commit passes only the changed files.
    pub context: Vec<Input>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Each input's canonical path (files only), for the configuration's `file` globs, which are
/// relative to the configuration's directory.
pub fn canonical_paths(files: &dyn FileSystem, inputs: &[Input]) -> Vec<Option<PathBuf>> {
    let on_disk: Vec<&Path> = (inputs.iter())
        .filter_map(|input| match &input.source {
            Source::File(path) => Some(path.as_path()),
            Source::Stdin | Source::Memory(_) => None,
        })
        .collect();
    let mut canonical = files.canonical_all(&on_disk).into_iter();
    inputs
        .iter()
        .map(|input| match &input.source {
            Source::File(_) => canonical.next().flatten(),
            Source::Stdin | Source::Memory(_) => None,
        })
        .collect()
}

/// Find the inputs named by `paths` on the disk, sorted by display path and without
/// duplicates.
pub fn discover(paths: &[String], options: &DiscoverOptions) -> Discovery {
    discover_in(&Disk, paths, options)
}

/// [`discover`] in `files`.
pub fn discover_in(
    files: &dyn FileSystem,
    paths: &[String],
    options: &DiscoverOptions,
) -> Discovery {
    let mut discovery = Discovery::default();
    let exclude = match build_globset(&options.exclude) {
        Ok(set) => set,
        Err(diagnostic) => {
            discovery.diagnostics.push(diagnostic);
            GlobSet::empty()
        }
    };
    let mut charts = ChartCache::default();
    let mut named = Vec::new();
    for path in paths {
        if path == STDIN_ARG {
            discovery.inputs.push(Input {
                display: options
                    .stdin_name
                    .clone()
                    .unwrap_or_else(|| STDIN_DISPLAY.to_owned()),
                source: Source::Stdin,
                kind: InputKind::Manifest,
            });
            continue;
        }
        let display = clean_display(Path::new(path));
        match files.kind(Path::new(path)) {
            Kind::Missing(error) => discovery.diagnostics.push(Diagnostic::error(
                Code::PathNotFound,
                Location::Path(display),
                format!("cannot read `{path}`: {error}"),
            )),
            Kind::Directory => {
                walk(
                    files,
                    Path::new(path),
                    options,
                    &exclude,
                    &mut charts,
                    &mut discovery,
                    Wanted::Manifests,
                );
            }
            Kind::File | Kind::Other => {
                if !is_excluded(&exclude, Path::new(&display)) {
                    named.push(PathBuf::from(path));
                    discovery
                        .inputs
                        .push(named_input(files, path, display, options, &mut charts));
                }
            }
        }
    }
    discovery.inputs.sort_by(|a, b| a.display.cmp(&b.display));
    let mut seen = HashSet::new();
    discovery
        .inputs
        .retain(|input| seen.insert(input.display.clone()));
    if !options.no_kustomize && !named.is_empty() {
        let context = context_kustomizations(files, &named, options, &exclude, &mut charts);
        discovery.context = context.inputs;
        discovery.diagnostics.extend(context.diagnostics);
        discovery
            .context
            .retain(|input| seen.insert(input.display.clone()));
    }
    discovery
}

/// The input a file named on the command line makes. A template or values file of a chart is
/// linted through the chart that renders it (its top chart, when in a subchart), as a named
/// Kustomize patch is through its overlays: its findings are those of the rendered chart.
fn named_input(
    files: &dyn FileSystem,
    path: &str,
    display: String,
    options: &DiscoverOptions,
    charts: &mut ChartCache,
) -> Input {
    if let Some(chart_file) = charts.rendering_chart(files, Path::new(path)) {
        return Input {
            display: clean_display(&chart_file),
            source: Source::File(chart_file),
            kind: InputKind::HelmChart,
        };
    }
    Input {
        display,
        source: Source::File(PathBuf::from(path)),
        kind: classify(files, Path::new(path), options, charts),
    }
}

/// The `Chart.yaml` of the chart that renders `file` when `file` is a template (under a
/// chart's `templates/`) or a chart's `values.yaml` or other YAML file (the values files of
/// values sets, `ci/prod-values.yaml`; not `crds/`, which holds plain manifests), in a chart or
/// one of its subcharts: what an editor lints when such a file is open.
pub fn rendering_chart(files: &dyn FileSystem, file: &Path) -> Option<PathBuf> {
    ChartCache::default().rendering_chart(files, file)
}

/// What a walk collects.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Wanted<'a> {
    /// Manifests and kustomization files.
    Manifests,
    /// Kustomization files only.
    Kustomizations,
    /// The manifest or kustomization at this path alone, if the walk reaches it: only the
    /// directories on the way to it are visited.
    Only(&'a Path),
}

/// The kustomization files that may consume the `named` files: every one in the repository
/// (the nearest ancestor directory with `.git`) of each, found with the same ignore rules and
/// excludes as a walk; without a repository, those in the named file's own directory and the
/// directories above it, as written. Each repository is walked once; a directory it cannot read
/// is an error, since a kustomization in it might consume a named file.
fn context_kustomizations(
    files: &dyn FileSystem,
    named: &[PathBuf],
    options: &DiscoverOptions,
    exclude: &GlobSet,
    charts: &mut ChartCache,
) -> Discovery {
    let mut roots: Vec<PathBuf> = Vec::new();
    let mut found = Discovery::default();
    for file in named {
        match repository_root(files, file) {
            Some((root, cwd_in_root)) if !roots.contains(&root) => {
                let first = found.inputs.len();
                walk(
                    files,
                    &root,
                    options,
                    exclude,
                    charts,
                    &mut found,
                    Wanted::Kustomizations,
                );
                if let Some(cwd_in_root) = cwd_in_root {
                    for input in found.inputs.iter_mut().skip(first) {
                        from_working_directory(input, &root, &cwd_in_root);
                    }
                }
                roots.push(root);
            }
            Some(_) => {}
            None => found.inputs.extend(kustomizations_above(files, file)),
        }
    }
    found.inputs.sort_by(|a, b| a.display.cmp(&b.display));
    found.inputs.dedup_by(|a, b| a.display == b.display);
    found
}

/// A kustomization found from a repository root above the working directory
/// (`../../deploy/base/kustomization.yaml`), named from the working directory by the shortest
/// way (`../base/kustomization.yaml`, or `overlay/kustomization.yaml` below it) as the user's
/// own paths are, so that reported paths read naturally.
fn from_working_directory(input: &mut Input, root: &Path, cwd_in_root: &Path) {
    let Source::File(path) = &input.source else {
        return;
    };
    let Ok(in_root) = path.strip_prefix(root) else {
        return;
    };
    let cwd: Vec<_> = cwd_in_root.components().collect();
    let target: Vec<_> = in_root.components().collect();
    let common = cwd.iter().zip(&target).take_while(|(a, b)| a == b).count();
    let mut relative: PathBuf = std::iter::repeat_n("..", cwd.len() - common).collect();
    relative.extend(target.iter().skip(common));
    input.display = clean_display(&relative);
    input.source = Source::File(relative);
}

/// The repository root around `file`, written the way `file` is (relative to the working
/// directory when `file` is relative), so that reported paths look like the user's; and, when
/// the root is above the working directory, the working directory's path within it.
fn repository_root(files: &dyn FileSystem, file: &Path) -> Option<(PathBuf, Option<PathBuf>)> {
    let absolute = files.canonical(file)?;
    let root = absolute
        .ancestors()
        .skip(1)
        .find(|dir| !matches!(files.kind(&dir.join(".git")), Kind::Missing(_)))?;
    if file.is_absolute() {
        return Some((root.to_path_buf(), None));
    }
    let cwd = std::env::current_dir()
        .and_then(std::fs::canonicalize)
        .ok()?;
    if let Ok(below) = root.strip_prefix(&cwd) {
        let root = if below.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            below.to_path_buf()
        };
        return Some((root, None));
    }
    match cwd.strip_prefix(root) {
        Ok(above) => Some((
            above.components().map(|_| "..").collect(),
            Some(above.to_path_buf()),
        )),
        Err(_) => Some((root.to_path_buf(), None)),
    }
}

/// Kustomization files in the directory of `file` and each directory above it, as written.
fn kustomizations_above(files: &dyn FileSystem, file: &Path) -> Vec<Input> {
    file.ancestors()
        .skip(1)
        .flat_map(|dir| {
            let dir = directory_or_here(dir);
            KUSTOMIZATION_FILE_NAMES
                .iter()
                .map(move |name| dir.join(name))
                .find(|candidate| files.kind(candidate).is_file())
        })
        .map(|path| Input {
            display: clean_display(&path),
            source: Source::File(path),
            kind: InputKind::Kustomization,
        })
        .collect()
}

/// The kind of input a walk of `root` would make of `file`, or `None` when the walk would not
/// read it (ignored, excluded, hidden, or not a manifest): what an editor opening `file` is told.
/// Only the directories on the way to `file` are visited.
pub fn walked_kind(
    files: &dyn FileSystem,
    root: &Path,
    file: &Path,
    options: &DiscoverOptions,
) -> Option<InputKind> {
    let exclude = build_globset(&options.exclude).ok()?;
    let mut found = Discovery::default();
    walk(
        files,
        root,
        options,
        &exclude,
        &mut ChartCache::default(),
        &mut found,
        Wanted::Only(file),
    );
    found
        .inputs
        .into_iter()
        .find(|input| input.source == Source::File(file.to_path_buf()))
        .map(|input| input.kind)
}

fn walk(
    files: &dyn FileSystem,
    root: &Path,
    options: &DiscoverOptions,
    exclude: &GlobSet,
    charts: &mut ChartCache,
    discovery: &mut Discovery,
    wanted: Wanted<'_>,
) {
    let exclude = exclude.clone();
    let walked_root = root.to_path_buf();
    let towards = match wanted {
        Wanted::Only(path) => Some(path.to_path_buf()),
        Wanted::Manifests | Wanted::Kustomizations => None,
    };
    let walk_options = WalkOptions {
        honour_ignores: !options.no_ignore,
        custom_ignore_files: vec![".kubepatrolignore".to_owned()],
        // As `.gitignore` patterns do, a glob matches the path below the walked directory too:
        // `--exclude 'examples/**' repo` skips `repo/examples/`.
        keep: Some(std::sync::Arc::new(move |path: &Path| {
            let below_root = path.strip_prefix(&walked_root).ok();
            towards
                .as_ref()
                .is_none_or(|towards| towards.starts_with(path))
                && !is_excluded(&exclude, &clean_path(path))
                && !below_root.is_some_and(|below| {
                    !below.as_os_str().is_empty() && is_excluded(&exclude, below)
                })
        })),
    };
    for entry in files.walk(root, &walk_options) {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                discovery.diagnostics.push(walk_error(root, &error));
                continue;
            }
        };
        let path = entry.path.as_path();
        let is_kustomization = !options.no_kustomize && is_kustomization_file(path);
        let wanted = match wanted {
            Wanted::Manifests | Wanted::Only(_) => has_manifest_extension(path) || is_kustomization,
            Wanted::Kustomizations => is_kustomization,
        };
        if !entry.kind.is_file() || !wanted {
            continue;
        }
        discovery.inputs.push(Input {
            display: clean_display(path),
            source: Source::File(path.to_path_buf()),
            kind: classify(files, path, options, charts),
        });
    }
}

fn classify(
    files: &dyn FileSystem,
    path: &Path,
    options: &DiscoverOptions,
    charts: &mut ChartCache,
) -> InputKind {
    if !options.no_kustomize && is_kustomization_file(path) {
        InputKind::Kustomization
    } else {
        charts.classify(files, path)
    }
}

pub fn is_kustomization_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| KUSTOMIZATION_FILE_NAMES.contains(&name))
}

fn walk_error(root: &Path, error: &WalkError) -> Diagnostic {
    let path = error.path.as_deref().unwrap_or(root);
    Diagnostic::error(
        Code::UnreadablePath,
        Location::Path(clean_display(path)),
        format!("cannot read: {}", error.message),
    )
}

fn has_manifest_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|ext| ext.to_str())
        .is_some_and(|ext| {
            MANIFEST_EXTENSIONS
                .iter()
                .any(|known| ext.eq_ignore_ascii_case(known))
        })
}

fn build_globset(patterns: &[String]) -> Result<GlobSet, Diagnostic> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = Glob::new(pattern).map_err(|error| {
            Diagnostic::error(
                Code::InvalidGlob,
                Location::Path(pattern.clone()),
                format!("invalid --exclude glob `{pattern}`: {error}"),
            )
        })?;
        builder.add(glob);
    }
    builder.build().map_err(|error| {
        Diagnostic::error(
            Code::InvalidGlob,
            Location::Path(patterns.join(",")),
            format!("invalid --exclude globs: {error}"),
        )
    })
}

/// A glob excludes a path when it matches the whole (display) path or its last component, so
/// both `vendor/**` and `*.generated.yaml` do what users expect.
fn is_excluded(exclude: &GlobSet, path: &Path) -> bool {
    !exclude.is_empty()
        && (exclude.is_match(path) || path.file_name().is_some_and(|name| exclude.is_match(name)))
}

fn clean_path(path: &Path) -> PathBuf {
    path.strip_prefix(".").unwrap_or(path).to_path_buf()
}

pub fn clean_display(path: &Path) -> String {
    let cleaned = clean_path(path);
    let text = cleaned.to_string_lossy();
    if text.is_empty() {
        ".".to_owned()
    } else {
        text.into_owned()
    }
}

/// Remembers which directories hold a `Chart.yaml`, so that files under a chart's `templates/`
/// are recognised without probing the same directory twice.
#[derive(Default)]
struct ChartCache {
    is_chart: HashMap<PathBuf, bool>,
}

impl ChartCache {
    fn classify(&mut self, files: &dyn FileSystem, path: &Path) -> InputKind {
        if path.file_name().is_some_and(|name| name == "Chart.yaml") {
            return if self.is_subchart(files, path) {
                InputKind::Manifest
            } else {
                InputKind::HelmChart
            };
        }
        let mut dir = path.parent();
        while let Some(current) = dir {
            if current.file_name().is_some_and(|name| name == "templates")
                && let Some(chart) = current.parent()
                && self.is_chart(files, chart)
            {
                return InputKind::HelmTemplate;
            }
            dir = current.parent();
        }
        InputKind::Manifest
    }

    /// See [`rendering_chart`].
    fn rendering_chart(&mut self, files: &dyn FileSystem, file: &Path) -> Option<PathBuf> {
        let is_yaml = file
            .extension()
            .is_some_and(|extension| extension == "yaml" || extension == "yml")
            && file.file_name().is_some_and(|name| name != "Chart.yaml");
        let values_of = is_yaml
            .then(|| {
                file.ancestors()
                    .skip(1)
                    .find(|dir| self.is_chart(files, dir))
                    .map(Path::to_path_buf)
            })
            .flatten()
            .filter(|chart| {
                file.strip_prefix(chart)
                    .is_ok_and(|relative| !relative.starts_with("crds"))
            });
        let mut chart = if let Some(chart) = values_of {
            chart
        } else {
            file.ancestors()
                .skip(1)
                .find(|dir| dir.file_name().is_some_and(|name| name == "templates"))
                .and_then(Path::parent)
                .filter(|chart| self.is_chart(files, chart))?
                .to_path_buf()
        };
        // A subchart renders as part of its parent.
        while self.is_subchart(files, &chart.join("Chart.yaml")) {
            chart = chart.parent().and_then(Path::parent)?.to_path_buf();
        }
        Some(chart.join("Chart.yaml"))
    }

    fn is_chart(&mut self, files: &dyn FileSystem, directory: &Path) -> bool {
        *self
            .is_chart
            .entry(directory.to_path_buf())
            .or_insert_with(|| files.kind(&directory.join("Chart.yaml")).is_file())
    }

    /// A chart in the `charts/` folder of another chart renders as part of its parent.
    fn is_subchart(&mut self, files: &dyn FileSystem, chart_file: &Path) -> bool {
        let parent_chart = chart_file
            .parent()
            .and_then(Path::parent)
            .filter(|folder| folder.file_name().is_some_and(|name| name == "charts"))
            .and_then(Path::parent);
        parent_chart.is_some_and(|parent| self.is_chart(files, parent))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_paths_lose_the_leading_dot() {
        assert_eq!(clean_display(Path::new("./a/b.yaml")), "a/b.yaml");
        assert_eq!(clean_display(Path::new("a/b.yaml")), "a/b.yaml");
        assert_eq!(clean_display(Path::new(".")), ".");
    }

    #[test]
    fn globs_match_paths_and_file_names() {
        let set = build_globset(&["vendor/**".into(), "*.gen.yaml".into()]).expect("valid");
        assert!(is_excluded(&set, Path::new("vendor/x/y.yaml")));
        assert!(is_excluded(&set, Path::new("deep/dir/a.gen.yaml")));
        assert!(!is_excluded(&set, Path::new("app/deploy.yaml")));
        assert!(build_globset(&["a[".into()]).is_err());
    }

    #[test]
    fn chart_files_are_rendered_by_their_top_chart() {
        let root = PathBuf::from("/repo");
        let mut tree = crate::vfs::MemoryTree::new(root.clone(), "test");
        for file in [
            "web/Chart.yaml",
            "web/values.yaml",
            "web/templates/pod.yaml",
            "web/templates/_helpers.tpl",
            "web/charts/db/Chart.yaml",
            "web/charts/db/values.yaml",
            "web/charts/db/templates/deep/sts.yaml",
            "web/ci/values.yaml",
            "web/crds/crd.yaml",
            "plain/templates/x.yaml",
            "plain/values.yaml",
        ] {
            tree.insert_file(Path::new(file), &b""[..]);
        }
        let chart = |file: &str| rendering_chart(&tree, &root.join(file));
        let web = Some(root.join("web/Chart.yaml"));
        for file in [
            "web/values.yaml",
            "web/templates/pod.yaml",
            "web/templates/_helpers.tpl",
            "web/charts/db/values.yaml",
            "web/charts/db/templates/deep/sts.yaml",
            "web/ci/values.yaml",
        ] {
            assert_eq!(chart(file), web, "{file}");
        }
        for file in [
            "web/Chart.yaml",
            "web/crds/crd.yaml",
            "plain/templates/x.yaml",
            "plain/values.yaml",
        ] {
            assert_eq!(chart(file), None, "{file}");
        }
    }
}
