//! Finding and reading the configuration file: the one place the config stage touches the
//! file system, through a [`FileSystem`] (an editor's unsaved configuration is read like the
//! rest). `--config` names it, or it is searched upward from the first linted path.

use std::path::{Path, PathBuf};

use super::{Config, CustomCheck, FILE_NAME, parse_reading};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::source::{SourceFile, SourceMap};
use crate::vfs::{FileSystem, Kind, ReadError};
use crate::yaml::Node;

/// A configuration file larger than this is not read (it would be a mistake, not a config).
const MAX_CONFIG_BYTES: u64 = 16 * 1024 * 1024;

/// The config file for a run: the nearest `.kubepatrol.yaml` from `start` (a file's directory,
/// or the directory itself) upwards, stopping at the repository root (a directory with `.git`).
pub fn find(files: &dyn FileSystem, start: &Path) -> Option<PathBuf> {
    let start = files.canonical(start)?;
    let mut dir = if files.kind(&start).is_dir() {
        Some(start.as_path())
    } else {
        start.parent()
    };
    while let Some(current) = dir {
        let candidate = current.join(FILE_NAME);
        if files.kind(&candidate).is_file() {
            return Some(candidate);
        }
        if !matches!(files.kind(&current.join(".git")), Kind::Missing(_)) {
            return None;
        }
        dir = current.parent();
    }
    None
}

/// A configuration read from a file, with the source map that holds the file (its only file,
/// id 0) so that suppressions by its entries have positions.
#[derive(Debug)]
pub struct LoadedConfig {
    pub config: Config,
    pub sources: SourceMap,
    /// The directory the `file` globs of exemptions are relative to.
    pub dir: PathBuf,
}

/// The configuration for a run: `explicit` (from `--config`), else the one [`find`] finds from
/// the first linted path. Errors come with the source map that holds the config text.
pub fn read_for_run(
    files: &dyn FileSystem,
    explicit: Option<&Path>,
    first_path: &str,
) -> Result<Option<LoadedConfig>, (SourceMap, Vec<Diagnostic>)> {
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None => {
            let start = if first_path == crate::discover::STDIN_ARG {
                "."
            } else {
                first_path
            };
            match find(files, Path::new(start)) {
                Some(path) => path,
                None => return Ok(None),
            }
        }
    };
    let mut sources = SourceMap::default();
    let config = load(files, &path, &mut sources).map_err(|errors| (sources.clone(), errors))?;
    let absolute = files.canonical(&path).unwrap_or(path);
    let dir = absolute.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok(Some(LoadedConfig {
        config,
        sources,
        dir,
    }))
}

/// Read and map the config file at `path`, adding its text to `sources` so that errors (and
/// suppressions by its entries) have positions.
pub fn load(
    files: &dyn FileSystem,
    path: &Path,
    sources: &mut SourceMap,
) -> Result<Config, Vec<Diagnostic>> {
    let display = display_path(files, path);
    let text = read_text(files, path).map_err(|error| {
        vec![Diagnostic::error(
            Code::InvalidConfig,
            Location::Path(display.clone()),
            format!("cannot read the configuration: {error}"),
        )]
    })?;
    let file = sources.add(SourceFile::new(display, text.clone()));
    let dir = path.parent().unwrap_or(Path::new(""));
    let mut read_polaris = |value: &Node, errors: &mut Vec<Diagnostic>| {
        read_polaris(files, dir, value, sources, errors)
    };
    parse_reading(file, &text, &mut read_polaris)
}

/// The custom checks of the Polaris configuration named by `value` (relative to `dir`, the
/// config file's directory), its text added to `sources`.
fn read_polaris(
    files: &dyn FileSystem,
    dir: &Path,
    value: &Node,
    sources: &mut SourceMap,
    errors: &mut Vec<Diagnostic>,
) -> Vec<CustomCheck> {
    let written = value.as_str().unwrap_or_default();
    let path = dir.join(written);
    match read_text(files, &path) {
        Ok(text) => {
            let display = display_path(files, &path);
            let file = sources.add(SourceFile::new(display.clone(), text.clone()));
            super::polaris::custom_checks(file, &text, &display, errors)
        }
        Err(problem) => {
            errors.push(Diagnostic::error(
                Code::InvalidConfig,
                Location::Span(value.span),
                format!("cannot read the Polaris configuration `{written}`: {problem}"),
            ));
            Vec::new()
        }
    }
}

/// The text of the file at `path`, with the reason it could not be read as
/// `std::fs::read_to_string` words it.
fn read_text(files: &dyn FileSystem, path: &Path) -> Result<String, String> {
    let bytes = files
        .read(path, MAX_CONFIG_BYTES)
        .map_err(|error| match error {
            ReadError::Io(error) => error.to_string(),
            ReadError::NotAFile => "not a regular file".to_owned(),
            ReadError::TooLarge(size) => {
                format!("larger than {MAX_CONFIG_BYTES} bytes ({size} bytes or more)")
            }
        })?;
    String::from_utf8(bytes).map_err(|_| "stream did not contain valid UTF-8".to_owned())
}

/// The config path relative to the working directory (with `..` when it is in a parent, as
/// it usually is when found by walking up), else as given.
fn display_path(files: &dyn FileSystem, path: &Path) -> String {
    let absolute = files.canonical(path);
    let cwd = std::env::current_dir()
        .ok()
        .and_then(|cwd| std::fs::canonicalize(cwd).ok());
    let (Some(absolute), Some(cwd)) = (absolute, cwd) else {
        return path.to_string_lossy().into_owned();
    };
    let common = absolute
        .components()
        .zip(cwd.components())
        .take_while(|(a, b)| a == b)
        .count();
    let ups = cwd.components().count() - common;
    let mut relative: Vec<String> = vec!["..".to_owned(); ups];
    relative.extend(
        absolute
            .components()
            .skip(common)
            .map(|part| part.as_os_str().to_string_lossy().into_owned()),
    );
    relative.join("/")
}
