//! Reading Helm charts: every file of each chart directory named by a `Chart.yaml` input,
//! filtered by the chart's `.helmignore`, so that rendering is pure. Templates, values files
//! and `Chart.yaml` files are added to the source map (findings point into them); other files
//! are kept as bytes for `.Files`. All chart file reading is in [`read_chart_files`].
//!
//! An archived subchart `charts/<name>.tgz` is unpacked in its place (see [`archive`]): its
//! files are the chart's files under `charts/<name>.tgz/<path inside the chart>`, so the chart
//! tree finds it as a subchart folder, and findings inside it name the archive and the entry
//! as the archive lists it: `charts/<name>.tgz/<top folder>/templates/x.yaml`.

mod archive;

use std::path::Path;

use ignore::gitignore::{Gitignore, GitignoreBuilder};

use super::{LoadLimits, Loaded, read_error};
use crate::config::LoadedConfig;
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::discover::{Input, InputKind, Source, clean_display};
use crate::model::files::{ChartFile, LoadedChart, LoadedFile};
use crate::source::{FileId, SourceFile};
use crate::vfs::{FileSystem, Kind, WalkOptions};

/// Read every chart whose `Chart.yaml` is an input (keyed by that input's file id), and note
/// the template files that no read chart renders.
pub(crate) fn read_charts(
    files: &dyn FileSystem,
    inputs: &[Input],
    loaded: &mut Loaded,
    limits: LoadLimits,
    config: Option<&LoadedConfig>,
) -> std::collections::HashMap<FileId, LoadedChart> {
    let mut charts = std::collections::HashMap::new();
    let mut chart_dirs = Vec::new();
    for (index, input) in inputs.iter().enumerate() {
        let (InputKind::HelmChart, Source::File(path)) = (input.kind, &input.source) else {
            continue;
        };
        let Some(directory) = path.parent() else {
            continue;
        };
        let file = FileId(u32::try_from(loaded.first_input + index).unwrap_or(u32::MAX));
        let mut chart = read_chart_files(files, directory, loaded, limits);
        if let Some(config) = config {
            configure_values_sets(files, directory, config, &mut chart, loaded, limits);
        }
        charts.insert(file, chart);
        chart_dirs.push(directory.to_path_buf());
    }
    for (index, input) in inputs.iter().enumerate() {
        let (InputKind::HelmTemplate, Source::File(path)) = (input.kind, &input.source) else {
            continue;
        };
        if !chart_dirs
            .iter()
            .any(|directory| path.starts_with(directory))
        {
            let file = FileId(u32::try_from(loaded.first_input + index).unwrap_or(u32::MAX));
            loaded.diagnostics.push(Diagnostic::note(
                Code::HelmTemplate,
                Location::File(file),
                "template of a chart whose Chart.yaml is not in the scan: not rendered; lint the chart directory",
            ));
        }
    }
    charts
}

/// Give `chart` the values sets of every `charts:` entry whose `path` matches its directory
/// (relative to the configuration's), reading their values files relative to the chart; a
/// values file that cannot be read is an error at the configuration line that names it.
fn configure_values_sets(
    files: &dyn FileSystem,
    directory: &Path,
    config: &LoadedConfig,
    chart: &mut LoadedChart,
    loaded: &mut Loaded,
    limits: LoadLimits,
) {
    let canonical = files
        .canonical(directory)
        .unwrap_or_else(|| directory.to_path_buf());
    let Ok(relative) = canonical.strip_prefix(&config.dir) else {
        return;
    };
    let relative = relative.to_string_lossy().replace('\\', "/");
    let entries = config
        .config
        .charts
        .iter()
        .filter(|entry| entry.path.matches(&relative));
    for entry in entries {
        chart.values_sets_only |= !entry.render_default;
        for configured in &entry.values_sets {
            let mut set = configured.set.clone();
            for path in &configured.values_files {
                let full = directory.join(&path.value);
                match files.read(&full, limits.max_file_bytes) {
                    Ok(bytes) => set.values_files.push(add_source(
                        loaded,
                        &full,
                        crate::source::lossy_utf8_owned(bytes),
                    )),
                    Err(error) => {
                        let mut diagnostic = read_error(error, Location::Span(path.span), limits);
                        diagnostic.message = format!(
                            "values file {} of values set `{}` (chart {relative}): {}",
                            clean_display(&full),
                            set.name,
                            diagnostic.message
                        );
                        loaded.diagnostics.push(diagnostic);
                    }
                }
            }
            chart.values_sets.push(set);
        }
    }
}

/// The chart in `directory` and the values files given for it (their file ids, in order),
/// read for a render of that chart alone.
pub(crate) fn read_chart_with_values(
    files: &dyn FileSystem,
    directory: &Path,
    values: &[std::path::PathBuf],
    loaded: &mut Loaded,
    limits: LoadLimits,
) -> (LoadedChart, Vec<FileId>) {
    let chart = read_chart_files(files, directory, loaded, limits);
    let mut values_files = Vec::new();
    for path in values {
        match files.read(path, limits.max_file_bytes) {
            Ok(bytes) => values_files.push(add_source(
                loaded,
                path,
                crate::source::lossy_utf8_owned(bytes),
            )),
            Err(error) => {
                let file = add_source(loaded, path, String::new());
                loaded
                    .diagnostics
                    .push(read_error(error, Location::File(file), limits));
            }
        }
    }
    (chart, values_files)
}

/// The files of the chart in `directory`; texts go to the source map.
fn read_chart_files(
    files: &dyn FileSystem,
    directory: &Path,
    loaded: &mut Loaded,
    limits: LoadLimits,
) -> LoadedChart {
    let ignore = helmignore(files, directory, limits);
    let mut chart = LoadedChart::default();
    let mut budget = archive::Budget::default();
    for entry in files.walk(
        directory,
        &WalkOptions {
            honour_ignores: false,
            ..WalkOptions::default()
        },
    ) {
        let Ok(entry) = entry else {
            continue;
        };
        let Ok(relative) = entry.path.strip_prefix(directory) else {
            continue;
        };
        let relative = relative.to_string_lossy().replace('\\', "/");
        let is_dir = matches!(entry.kind, Kind::Directory);
        if relative.is_empty()
            || is_dir
            || ignore
                .matched_path_or_any_parents(&relative, false)
                .is_ignore()
        {
            continue;
        }
        match files.read(&entry.path, limits.max_file_bytes) {
            Ok(bytes) => {
                let file = ReadFile {
                    display: entry.path.clone(),
                    relative,
                    bytes,
                };
                insert_chart_file(&mut chart, loaded, file, &mut budget);
            }
            Err(error) => {
                let file = add_source(loaded, &entry.path, String::new());
                loaded
                    .diagnostics
                    .push(read_error(error, Location::File(file), limits));
            }
        }
    }
    chart
}

/// A file read for a chart: its path to show, its path inside the chart, its bytes.
struct ReadFile {
    display: std::path::PathBuf,
    relative: String,
    bytes: Vec<u8>,
}

/// Nested archives deeper than this are refused (a self-containing archive cannot recurse).
const MAX_ARCHIVE_NESTING: usize = 8;

/// Keep a chart file (texts in the source map), or unpack it in place if it is an archived
/// subchart.
fn insert_chart_file(
    chart: &mut LoadedChart,
    loaded: &mut Loaded,
    file: ReadFile,
    budget: &mut archive::Budget,
) {
    if !is_subchart_archive(&file.relative) {
        if is_source_text(&file.relative) {
            let text = crate::source::lossy_utf8_owned(file.bytes);
            let id = add_source(loaded, &file.display, text);
            chart.files.insert(file.relative, ChartFile::Text(id));
        } else {
            chart
                .files
                .insert(file.relative, ChartFile::Bytes(file.bytes.into()));
        }
        return;
    }
    let unpacked = if file.relative.matches(".tgz/").count() >= MAX_ARCHIVE_NESTING {
        Err(format!(
            "archived subcharts nested more than {MAX_ARCHIVE_NESTING} deep"
        ))
    } else {
        archive::unpack(&file.bytes, budget)
    };
    match unpacked {
        Ok(entries) => {
            for entry in entries {
                let inner = ReadFile {
                    display: file.display.join(&entry.archived_name),
                    relative: format!("{}/{}", file.relative, entry.path),
                    bytes: entry.bytes,
                };
                insert_chart_file(chart, loaded, inner, budget);
            }
        }
        Err(message) => {
            let id = add_source(loaded, &file.display, String::new());
            loaded.diagnostics.push(Diagnostic::error(
                Code::HelmChartError,
                Location::File(id),
                format!("archived subchart cannot be read: {message}"),
            ));
        }
    }
}

/// `charts/<name>.tgz` directly in a (sub)chart's `charts/` folder, which Helm loads as a subchart
/// (names starting with `.` or `_` are skipped by Helm, and kept as plain files here).
fn is_subchart_archive(relative: &str) -> bool {
    let parts: Vec<&str> = relative.split('/').collect();
    let Some((name, folders)) = parts.split_last() else {
        return false;
    };
    // charts/<sub>/charts/<sub>/…/charts: every other folder is a `charts/`.
    let in_charts =
        folders.len() % 2 == 1 && folders.iter().step_by(2).all(|folder| *folder == "charts");
    in_charts && name.ends_with(".tgz") && !name.starts_with(['.', '_'])
}

/// Add a chart file to the source map (with no documents: the chart's render parses it).
fn add_source(loaded: &mut Loaded, path: &Path, text: String) -> FileId {
    let file = FileId(u32::try_from(loaded.files.len()).unwrap_or(u32::MAX));
    loaded
        .sources
        .add(SourceFile::new(clean_display(path), text));
    loaded.files.push(LoadedFile::empty(file));
    file
}

/// The chart's `.helmignore` (gitignore syntax, as Helm's rules read it).
fn helmignore(files: &dyn FileSystem, directory: &Path, limits: LoadLimits) -> Gitignore {
    let mut builder = GitignoreBuilder::new("");
    if let Ok(bytes) = files.read(&directory.join(".helmignore"), limits.max_file_bytes) {
        for line in String::from_utf8_lossy(&bytes).lines() {
            let _ = builder.add_line(None, line);
        }
    }
    builder.build().unwrap_or_else(|_| Gitignore::empty())
}

/// Files findings can point into: templates, values files and chart metadata.
fn is_source_text(relative: &str) -> bool {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    let in_templates = relative.split('/').any(|part| part == "templates");
    in_templates || matches!(name, "Chart.yaml" | "values.yaml" | "requirements.yaml")
}

#[cfg(test)]
mod tests {
    use super::is_subchart_archive;

    #[test]
    fn subchart_archives_are_in_a_charts_folder() {
        assert!(is_subchart_archive("charts/a.tgz"));
        assert!(is_subchart_archive("charts/a.tgz/charts/b.tgz"));
        assert!(is_subchart_archive("charts/a/charts/b.tgz"));
        assert!(!is_subchart_archive("a.tgz"));
        assert!(!is_subchart_archive("templates/charts/a.tgz"));
        assert!(!is_subchart_archive("charts/_a.tgz"));
        assert!(!is_subchart_archive("charts/a.tar"));
    }
}
