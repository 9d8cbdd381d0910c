//! Finding and reading the configuration file: the one place the config stage touches the
//! file system. `--config` names it, or it is searched upward from the first linted path.

use std::path::{Path, PathBuf};

use super::{Config, FILE_NAME, parse};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::source::{SourceFile, SourceMap};

/// The config file for a run: the nearest `.kubepatrol.yaml` from `start` (a file's directory,
/// or the directory itself) upwards, stopping at the repository root (a directory with `.git`).
pub fn find(start: &Path) -> Option<PathBuf> {
    let start = std::fs::canonicalize(start).ok()?;
    let mut dir = if start.is_dir() {
        Some(start.as_path())
    } else {
        start.parent()
    };
    while let Some(current) = dir {
        let candidate = current.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        if current.join(".git").exists() {
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
            match find(Path::new(start)) {
                Some(path) => path,
                None => return Ok(None),
            }
        }
    };
    let mut sources = SourceMap::default();
    let config = load(&path, &mut sources).map_err(|errors| (sources.clone(), errors))?;
    let absolute = std::fs::canonicalize(&path).unwrap_or(path);
    let dir = absolute.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok(Some(LoadedConfig {
        config,
        sources,
        dir,
    }))
}

/// Read and map the config file at `path`, adding its text to `sources` so that errors (and
/// suppressions by its entries) have positions.
pub fn load(path: &Path, sources: &mut SourceMap) -> Result<Config, Vec<Diagnostic>> {
    let display = display_path(path);
    let text = std::fs::read_to_string(path).map_err(|error| {
        vec![Diagnostic::error(
            Code::InvalidConfig,
            Location::Path(display.clone()),
            format!("cannot read the configuration: {error}"),
        )]
    })?;
    let file = sources.add(SourceFile::new(display, text));
    let text = sources.get(file).map_or("", |source| source.text.as_str());
    parse(file, text)
}

/// The config path relative to the working directory (with `..` when it is in a parent, as
/// it usually is when found by walking up), else as given.
fn display_path(path: &Path) -> String {
    let absolute = std::fs::canonicalize(path).ok();
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
