//! `.kubepatrol.yaml`: where it is found, and its strict mapping onto typed values.
//!
//! The file is parsed with the project's own span-aware loader and mapped by hand, so every
//! unknown key, wrong type or unknown check id is an error at the config file's line and
//! column. The JSON Schema in `schema/kubepatrol-config.json` is generated from these types
//! (see the tests), so editors complete exactly what this module accepts.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher};

use crate::cli::FailOn;
use crate::diagnostic::{Diagnostic, Location};
use crate::explain;
use crate::rules::{self, RuleEntry, Severity};
use crate::settings::{ExtraWorkload, Settings};
use crate::source::{FileId, SourceFile, SourceMap, Span};
use crate::yaml::{self, Entry, Node};

/// The file name looked for in the linted directory and its parents.
pub const FILE_NAME: &str = ".kubepatrol.yaml";

/// A value with the span where it was written in the config file.
#[derive(Clone, Debug)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

/// `.kubepatrol.yaml`. Every field is optional.
#[derive(Debug, Default)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(deny_unknown_fields, rename_all = "camelCase"))]
pub struct Config {
    /// Re-grade checks: `checkId: danger | warning | ignore`.
    #[cfg_attr(test, schemars(default, schema_with = "schema::grades"))]
    pub checks: Vec<CheckGrade>,
    /// Silence checks for the objects and containers an entry matches.
    #[cfg_attr(test, schemars(default))]
    pub exemptions: Vec<Exemption>,
    /// Replaces the default set of capabilities that capabilitiesAdded reports.
    pub dangerous_capabilities: Option<Vec<Spanned<String>>>,
    /// Further kinds that carry a pod spec (CRDs such as Argo Rollouts or Knative Services).
    #[cfg_attr(test, schemars(default))]
    pub workloads: Vec<WorkloadKind>,
    /// Path globs to skip, as `--exclude`.
    #[cfg_attr(test, schemars(default))]
    pub exclude: Vec<Spanned<String>>,
    /// Default of `--fail-on`.
    pub fail_on: Option<FailOn>,
    /// Default of `--min-score`: the lowest acceptable health score (0 to 100).
    #[cfg_attr(test, schemars(range(max = 100)))]
    pub min_score: Option<u8>,
}

/// What a `checks:` entry does to its check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(rename_all = "lowercase"))]
pub enum Grade {
    Danger,
    Warning,
    /// The check's findings are suppressed.
    Ignore,
}

#[derive(Clone, Debug)]
pub struct CheckGrade {
    pub check: &'static RuleEntry,
    pub grade: Grade,
    /// The entry's key, where a suppression by this entry points.
    pub span: Span,
}

/// Which checks an exemption or annotation silences.
#[derive(Clone, Debug)]
pub enum CheckSelection {
    All,
    Only(Vec<Spanned<&'static RuleEntry>>),
}

impl CheckSelection {
    pub fn covers(&self, check: &RuleEntry) -> bool {
        match self {
            CheckSelection::All => true,
            CheckSelection::Only(checks) => checks.iter().any(|c| std::ptr::eq(c.value, check)),
        }
    }
}

/// A glob with the text it was written as.
#[derive(Clone, Debug)]
pub struct Pattern {
    pub text: String,
    matcher: Option<GlobMatcher>,
}

impl Pattern {
    pub fn matches(&self, candidate: &str) -> bool {
        self.matcher
            .as_ref()
            .is_some_and(|matcher| matcher.is_match(candidate))
    }
}

/// One `exemptions:` entry: every given criterion must match.
#[derive(Clone, Debug)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(deny_unknown_fields))]
pub struct Exemption {
    /// Glob on the file path, relative to the directory of the config file.
    pub file: Option<Pattern>,
    /// Glob on `metadata.namespace` (an object without one has the empty namespace).
    pub namespace: Option<Pattern>,
    /// The object's kind, exactly.
    pub kind: Option<String>,
    /// Glob on `metadata.name`.
    pub name: Option<Pattern>,
    /// Glob on the container name; an entry with it matches only container-level findings.
    pub container: Option<Pattern>,
    /// Check ids, or `all`.
    #[cfg_attr(test, schemars(schema_with = "schema::selection"))]
    pub checks: CheckSelection,
    /// Why the exemption is acceptable; carried into the reports.
    pub reason: String,
    /// The entry in the config file.
    #[cfg_attr(test, schemars(skip))]
    pub span: Span,
}

/// A kind that carries a pod spec.
#[derive(Clone, Debug)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(deny_unknown_fields, rename_all = "camelCase"))]
pub struct WorkloadKind {
    /// `group/version` or `group`; any when absent.
    pub api_version: Option<String>,
    pub kind: String,
    /// JSON pointer (RFC 6901) of the pod spec, e.g. `/spec/template/spec`.
    #[cfg_attr(test, schemars(regex(pattern = r"^(/[^/]+)+$")))]
    pub pod_spec: String,
}

impl Config {
    /// What the checks see under this configuration.
    pub fn settings(&self) -> Settings {
        let mut settings = Settings::default();
        if let Some(names) = &self.dangerous_capabilities {
            settings = settings.with_dangerous_capabilities(names.iter().map(|n| n.value.as_str()));
        }
        settings.extra_workloads = self
            .workloads
            .iter()
            .map(|workload| ExtraWorkload {
                api_version: workload.api_version.clone(),
                kind: workload.kind.clone(),
                pod_spec: decode_pointer(&workload.pod_spec),
            })
            .collect();
        settings
    }

    /// The severity `check` has under this configuration; `None` when it is ignored.
    pub fn grade(&self, check: &RuleEntry) -> Option<&CheckGrade> {
        self.checks
            .iter()
            .rev()
            .find(|grade| std::ptr::eq(grade.check, check))
    }
}

impl Grade {
    pub fn severity(self) -> Option<Severity> {
        match self {
            Grade::Danger => Some(Severity::Danger),
            Grade::Warning => Some(Severity::Warning),
            Grade::Ignore => None,
        }
    }
}

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
pub struct Loaded {
    pub config: Config,
    pub sources: SourceMap,
    /// The directory the `file` globs of exemptions are relative to.
    pub dir: PathBuf,
}

impl Loaded {
    /// A linted file's path as the `file` globs see it: relative to the config's directory,
    /// with `/` separators; the path as given when the file is elsewhere (or standard input).
    pub fn relative_path(&self, path: &Path, display: &str) -> String {
        std::fs::canonicalize(path)
            .ok()
            .and_then(|absolute| {
                let relative = absolute.strip_prefix(&self.dir).ok()?;
                let parts: Vec<String> = relative
                    .components()
                    .map(|part| part.as_os_str().to_string_lossy().into_owned())
                    .collect();
                Some(parts.join("/"))
            })
            .unwrap_or_else(|| display.to_owned())
    }
}

/// The configuration for a run: `explicit` (from `--config`), else the one [`find`] finds from
/// the first linted path. Errors come with the source map that holds the config text.
pub fn resolve(
    explicit: Option<&Path>,
    first_path: &str,
) -> Result<Option<Loaded>, (SourceMap, Vec<Diagnostic>)> {
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
    Ok(Some(Loaded {
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
            "invalid-config",
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

/// Map config text onto [`Config`]; all problems are reported, not only the first.
pub fn parse(file: FileId, text: &str) -> Result<Config, Vec<Diagnostic>> {
    let parsed = yaml::parse(file, text, yaml::Limits::default());
    let mut mapper = Mapper {
        errors: parsed
            .errors
            .into_iter()
            .map(|error| config_error(error.span, error.message))
            .collect(),
    };
    if let Some(extra) = parsed.documents.get(1) {
        mapper.error(extra.root.span, "the configuration is one YAML document");
    }
    let config = parsed
        .documents
        .first()
        .map(|document| mapper.config(&document.root))
        .unwrap_or_default();
    if mapper.errors.is_empty() {
        Ok(config)
    } else {
        Err(mapper.errors)
    }
}

fn config_error(span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error("invalid-config", Location::Span(span), message)
}

const TOP_LEVEL_KEYS: &[&str] = &[
    "checks",
    "exemptions",
    "dangerousCapabilities",
    "workloads",
    "exclude",
    "failOn",
    "minScore",
];
const EXEMPTION_KEYS: &[&str] = &[
    "file",
    "namespace",
    "kind",
    "name",
    "container",
    "checks",
    "reason",
];
const WORKLOAD_KEYS: &[&str] = &["apiVersion", "kind", "podSpec"];

/// The position-aware mapping from YAML nodes to config values; collects every error.
struct Mapper {
    errors: Vec<Diagnostic>,
}

impl Mapper {
    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.errors.push(config_error(span, message));
    }

    fn type_error(&mut self, node: &Node, what: &str, expected: &str) {
        self.error(
            node.span,
            format!("`{what}` must be {expected}, not {}", node.describe_type()),
        );
    }

    /// The entries of a mapping whose keys are all `known`; unknown keys are errors with the
    /// nearest known key as a hint.
    fn mapping<'n>(&mut self, node: &'n Node, what: &str, known: &[&str]) -> &'n [Entry] {
        let Some(entries) = node.as_map() else {
            self.type_error(node, what, "a mapping");
            return &[];
        };
        for entry in entries {
            let key = entry.key.as_str().unwrap_or_default();
            if !known.contains(&key) {
                let hint = explain::nearest(key, known.iter().copied())
                    .map(|near| format!(" (did you mean `{near}`?)"))
                    .unwrap_or_default();
                self.error(
                    entry.key.span,
                    format!("unknown key `{key}` in `{what}`{hint}"),
                );
            }
        }
        entries
    }

    fn config(&mut self, root: &Node) -> Config {
        let mut config = Config::default();
        for entry in self.mapping(root, "configuration", TOP_LEVEL_KEYS) {
            let value = &entry.value;
            if value.is_null() {
                continue;
            }
            match entry.key.as_str().unwrap_or_default() {
                "checks" => config.checks = self.grades(value),
                "exemptions" => {
                    config.exemptions = self.items(value, "exemptions", Self::exemption);
                }
                "dangerousCapabilities" => {
                    config.dangerous_capabilities =
                        Some(self.strings(value, "dangerousCapabilities"));
                }
                "workloads" => config.workloads = self.items(value, "workloads", Self::workload),
                "exclude" => {
                    let globs = self.strings(value, "exclude");
                    for glob in &globs {
                        self.pattern(&glob.value, glob.span, "exclude");
                    }
                    config.exclude = globs;
                }
                "failOn" => config.fail_on = self.fail_on(value),
                "minScore" => config.min_score = self.score(value),
                _ => {}
            }
        }
        config
    }

    fn sequence<'n>(&mut self, node: &'n Node, what: &str) -> &'n [Node] {
        node.as_seq().unwrap_or_else(|| {
            self.type_error(node, what, "a sequence");
            &[]
        })
    }

    /// The items of a sequence, each mapped by `item` (which reports its own errors).
    fn items<T>(
        &mut self,
        node: &Node,
        what: &str,
        item: fn(&mut Self, &Node) -> Option<T>,
    ) -> Vec<T> {
        self.sequence(node, what)
            .iter()
            .filter_map(|node| item(self, node))
            .collect()
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<Spanned<String>> {
        match node.as_str() {
            Some(text) => Some(Spanned {
                value: text.to_owned(),
                span: node.span,
            }),
            None => {
                self.type_error(node, what, "a string");
                None
            }
        }
    }

    fn strings(&mut self, node: &Node, what: &str) -> Vec<Spanned<String>> {
        self.sequence(node, what)
            .iter()
            .filter_map(|item| self.string(item, what))
            .collect()
    }

    fn check(&mut self, node: &Node, what: &str) -> Option<Spanned<&'static RuleEntry>> {
        let id = self.string(node, what)?;
        match rules::find(&id.value) {
            Some(check) => Some(Spanned {
                value: check,
                span: id.span,
            }),
            None => {
                self.error(id.span, unknown_check_message(&id.value));
                None
            }
        }
    }

    fn grades(&mut self, node: &Node) -> Vec<CheckGrade> {
        let mut grades = Vec::new();
        let Some(entries) = node.as_map() else {
            self.type_error(node, "checks", "a mapping of check ids to grades");
            return grades;
        };
        for entry in entries {
            let check = self.check(&entry.key, "checks");
            let grade = match entry.value.as_str() {
                Some("danger") => Some(Grade::Danger),
                Some("warning") => Some(Grade::Warning),
                Some("ignore") => Some(Grade::Ignore),
                _ => {
                    self.error(
                        entry.value.span,
                        "a check's grade must be `danger`, `warning` or `ignore`",
                    );
                    None
                }
            };
            if let (Some(check), Some(grade)) = (check, grade) {
                grades.push(CheckGrade {
                    check: check.value,
                    grade,
                    span: entry.key.span,
                });
            }
        }
        grades
    }

    fn selection(&mut self, node: &Node, what: &str) -> Option<CheckSelection> {
        if node.as_str() == Some("all") {
            return Some(CheckSelection::All);
        }
        let Some(items) = node.as_seq() else {
            self.type_error(node, what, "`all` or a sequence of check ids");
            return None;
        };
        let checks = items
            .iter()
            .filter_map(|item| self.check(item, what))
            .collect();
        Some(CheckSelection::Only(checks))
    }

    fn pattern(&mut self, text: &str, span: Span, what: &str) -> Option<Pattern> {
        match Glob::new(text) {
            Ok(glob) => Some(Pattern {
                text: text.to_owned(),
                matcher: Some(glob.compile_matcher()),
            }),
            Err(error) => {
                self.error(span, format!("invalid glob in `{what}`: {}", error.kind()));
                None
            }
        }
    }

    fn optional_pattern(&mut self, node: Option<&Node>, what: &str) -> Option<Pattern> {
        let text = self.string(node?, what)?;
        self.pattern(&text.value, text.span, what)
    }

    fn exemption(&mut self, node: &Node) -> Option<Exemption> {
        let entries = self.mapping(node, "exemptions[]", EXEMPTION_KEYS);
        if entries.is_empty() && node.as_map().is_none() {
            return None;
        }
        let checks = match node.get("checks") {
            Some(checks) => self.selection(checks, "exemptions[].checks"),
            None => {
                self.error(
                    node.span,
                    "an exemption needs `checks` (a list of ids or `all`)",
                );
                None
            }
        };
        let reason = match node.get("reason") {
            Some(reason) => self.string(reason, "exemptions[].reason"),
            None => {
                self.error(node.span, "an exemption needs a `reason`");
                None
            }
        };
        let exemption = Exemption {
            file: self.optional_pattern(node.get("file"), "exemptions[].file"),
            namespace: self.optional_pattern(node.get("namespace"), "exemptions[].namespace"),
            kind: node
                .get("kind")
                .and_then(|kind| self.string(kind, "exemptions[].kind"))
                .map(|kind| kind.value),
            name: self.optional_pattern(node.get("name"), "exemptions[].name"),
            container: self.optional_pattern(node.get("container"), "exemptions[].container"),
            checks: checks?,
            reason: reason?.value,
            span: node.span,
        };
        Some(exemption)
    }

    fn workload(&mut self, node: &Node) -> Option<WorkloadKind> {
        self.mapping(node, "workloads[]", WORKLOAD_KEYS);
        node.as_map()?;
        let api_version = node
            .get("apiVersion")
            .and_then(|value| self.string(value, "workloads[].apiVersion"));
        let kind = match node.get("kind") {
            Some(kind) => self.string(kind, "workloads[].kind"),
            None => {
                self.error(node.span, "a workload kind needs `kind`");
                None
            }
        };
        let pod_spec = match node.get("podSpec") {
            Some(pointer) => self.string(pointer, "workloads[].podSpec"),
            None => {
                self.error(
                    node.span,
                    "a workload kind needs `podSpec` (a JSON pointer such as `/spec/template/spec`)",
                );
                None
            }
        }?;
        if !pod_spec.value.starts_with('/') || pod_spec.value.len() < 2 {
            self.error(
                pod_spec.span,
                "`podSpec` must be a JSON pointer such as `/spec/template/spec`",
            );
            return None;
        }
        Some(WorkloadKind {
            api_version: api_version.map(|v| v.value),
            kind: kind?.value,
            pod_spec: pod_spec.value,
        })
    }

    fn fail_on(&mut self, node: &Node) -> Option<FailOn> {
        match node.as_str() {
            Some("warning") => Some(FailOn::Warning),
            Some("danger") => Some(FailOn::Danger),
            Some("never") => Some(FailOn::Never),
            _ => {
                self.error(node.span, "`failOn` must be `warning`, `danger` or `never`");
                None
            }
        }
    }

    fn score(&mut self, node: &Node) -> Option<u8> {
        let score = node
            .as_int()
            .and_then(|number| u8::try_from(number).ok())
            .filter(|score| *score <= 100);
        if score.is_none() {
            let found = node
                .as_int()
                .map_or_else(|| node.describe_type().to_owned(), |n| n.to_string());
            self.error(
                node.span,
                format!("`minScore` must be an integer from 0 to 100, not {found}"),
            );
        }
        score
    }
}

/// "unknown check `x` (did you mean `y`?)": shared by the config file and annotations.
pub fn unknown_check_message(id: &str) -> String {
    let hint = explain::suggest(id)
        .map(|near| format!(" (did you mean `{near}`?)"))
        .unwrap_or_default();
    format!("unknown check `{id}`{hint}; `kubepatrol checks` lists them")
}

/// The keys of an RFC 6901 JSON pointer (`~1` is `/`, `~0` is `~`).
fn decode_pointer(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
        .collect()
}

#[cfg(test)]
mod schema {
    //! Schemas of the fields whose Rust type is not what the file spells.

    use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

    use super::Grade;
    use crate::rules;

    /// Every id a user may write: the registered ids and their Polaris aliases.
    fn check_ids() -> Vec<&'static str> {
        let mut ids: Vec<&str> = rules::all()
            .iter()
            .flat_map(|entry| std::iter::once(entry.meta.id).chain(entry.meta.polaris))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    pub fn grades(generator: &mut SchemaGenerator) -> Schema {
        let grade = generator.subschema_for::<Grade>();
        json_schema!({
            "type": "object",
            "propertyNames": { "enum": check_ids() },
            "additionalProperties": grade,
        })
    }

    pub fn selection(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "oneOf": [
                { "const": "all" },
                { "type": "array", "items": { "enum": check_ids() } },
            ]
        })
    }

    impl JsonSchema for super::Pattern {
        fn schema_name() -> std::borrow::Cow<'static, str> {
            "Glob".into()
        }

        fn json_schema(_: &mut SchemaGenerator) -> Schema {
            json_schema!({ "type": "string", "description": "A glob: `*`, `?`, `**`, `[a-z]`, `{a,b}`." })
        }
    }

    impl<T: JsonSchema> JsonSchema for super::Spanned<T> {
        fn schema_name() -> std::borrow::Cow<'static, str> {
            T::schema_name()
        }

        fn inline_schema() -> bool {
            T::inline_schema()
        }

        fn json_schema(generator: &mut SchemaGenerator) -> Schema {
            T::json_schema(generator)
        }
    }
}

#[cfg(test)]
#[allow(clippy::string_slice)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<(u32, String)> {
        let source = SourceFile::new("c".into(), text.to_owned());
        parse(FileId(0), text)
            .expect_err("invalid")
            .into_iter()
            .map(|diagnostic| match diagnostic.location {
                Location::Span(span) => {
                    let position = source.position(span.start);
                    (
                        position.line as u32 * 1000 + position.column as u32,
                        diagnostic.message,
                    )
                }
                _ => (0, diagnostic.message),
            })
            .collect()
    }

    #[test]
    fn a_full_config_maps_onto_the_types() {
        let config = parse(
            FileId(0),
            "checks:\n  hostNetworkSet: warning\n  NOTREADONLYROOTFILESYSTEM: ignore\n\
             exemptions:\n- namespace: kube-*\n  checks: all\n  reason: system\n\
             dangerousCapabilities: [NET_RAW]\n\
             workloads:\n- {apiVersion: serving.knative.dev/v1, kind: Service, podSpec: /spec/template/spec}\n\
             exclude: [vendor/**]\nfailOn: danger\nminScore: 80\n",
        )
        .expect("valid");
        assert_eq!(config.checks.len(), 2);
        assert_eq!(config.checks[1].check.meta.id, "notReadOnlyRootFileSystem");
        assert_eq!(config.checks[1].grade, Grade::Ignore);
        assert!(
            config.exemptions[0]
                .namespace
                .as_ref()
                .expect("ns")
                .matches("kube-system")
        );
        assert!(config.exemptions[0].checks.covers(config.checks[0].check));
        assert_eq!(config.fail_on, Some(FailOn::Danger));
        assert_eq!(config.min_score, Some(80));
        let settings = config.settings();
        assert!(settings.is_dangerous_capability("CAP_NET_RAW"));
        assert!(!settings.is_dangerous_capability("SYS_ADMIN"));
        assert_eq!(
            settings.extra_workloads[0].pod_spec,
            ["spec", "template", "spec"]
        );
    }

    #[test]
    fn unknown_keys_wrong_types_and_unknown_checks_are_errors_at_their_position() {
        let found = errors(
            "chekcs: {}\nexemptions:\n- checks: [hostNetwrkSet]\n  reason: 5\n  nmae: x\nminScore: high\nfailOn: [danger]\n",
        );
        let expected: Vec<(u32, &str)> = vec![
            (
                1001,
                "unknown key `chekcs` in `configuration` (did you mean `checks`?)",
            ),
            (
                3012,
                "unknown check `hostNetwrkSet` (did you mean `hostNetworkSet`?); `kubepatrol checks` lists them",
            ),
            (
                4011,
                "`exemptions[].reason` must be a string, not an integer",
            ),
            (
                5003,
                "unknown key `nmae` in `exemptions[]` (did you mean `name`?)",
            ),
            (
                6011,
                "`minScore` must be an integer from 0 to 100, not a string",
            ),
            (7009, "`failOn` must be `warning`, `danger` or `never`"),
        ];
        let mut found = found;
        found.sort();
        assert_eq!(
            found,
            expected
                .into_iter()
                .map(|(at, message)| (at, message.to_owned()))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn exemptions_need_checks_and_a_reason() {
        let found = errors("exemptions:\n- kind: Pod\n");
        let messages: Vec<&str> = found.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(
            messages,
            [
                "an exemption needs `checks` (a list of ids or `all`)",
                "an exemption needs a `reason`"
            ]
        );
    }

    #[test]
    fn an_empty_file_is_the_default_configuration() {
        let config = parse(FileId(0), "# nothing yet\n").expect("valid");
        assert!(config.checks.is_empty() && config.min_score.is_none());
    }

    #[test]
    fn json_pointers_are_decoded() {
        assert_eq!(decode_pointer("/a~1b/c~0d"), ["a/b", "c~d"]);
    }

    /// The complete example of docs/config.md.
    fn documented_example() -> String {
        let doc = include_str!("../docs/config.md");
        let start = doc
            .find("```yaml\n# Re-grade")
            .expect("the complete example")
            + "```yaml\n".len();
        let end = start + doc[start..].find("```").expect("the end of the example");
        doc[start..end].to_owned()
    }

    fn to_json(node: &Node) -> serde_json::Value {
        use yaml::Value;
        match &node.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(flag) => (*flag).into(),
            Value::Int(number) => (*number).into(),
            Value::Float(number) => (*number).into(),
            Value::Str(text) => text.as_ref().into(),
            Value::Seq(items) => items.iter().map(to_json).collect(),
            Value::Map(entries) => entries
                .iter()
                .map(|entry| {
                    (
                        entry.key.as_str().unwrap_or_default().to_owned(),
                        to_json(&entry.value),
                    )
                })
                .collect::<serde_json::Map<_, _>>()
                .into(),
        }
    }

    fn yaml_to_json(text: &str) -> serde_json::Value {
        let parsed = yaml::parse(FileId(0), text, yaml::Limits::default());
        to_json(&parsed.documents[0].root)
    }

    fn schema_path() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/kubepatrol-config.json")
    }

    fn generated_schema() -> serde_json::Value {
        let mut schema = schemars::schema_for!(Config).to_value();
        schema["$id"] = "https://kubepatrol.io/schema/kubepatrol-config.json".into();
        schema["title"] = "kubepatrol configuration (.kubepatrol.yaml)".into();
        schema
    }

    /// Regenerate with `KUBEPATROL_UPDATE_SCHEMA=1 cargo test --lib config`.
    #[test]
    fn the_committed_schema_is_generated_from_the_types() {
        let generated = serde_json::to_string_pretty(&generated_schema()).expect("json") + "\n";
        if std::env::var_os("KUBEPATROL_UPDATE_SCHEMA").is_some() {
            std::fs::write(schema_path(), &generated).expect("write the schema");
        }
        let committed = std::fs::read_to_string(schema_path()).unwrap_or_default();
        assert!(
            committed == generated,
            "schema/kubepatrol-config.json is stale: run KUBEPATROL_UPDATE_SCHEMA=1 cargo test --lib config"
        );
    }

    #[test]
    fn the_schema_accepts_the_documented_example_and_rejects_typos() {
        let example = documented_example();
        assert!(parse(FileId(0), &example).is_ok(), "the example loads");
        let validator = jsonschema::validator_for(&generated_schema()).expect("a valid schema");
        assert!(validator.is_valid(&yaml_to_json(&example)));
        let typos = [
            ("exemptions:", "exemptons:"),
            ("    reason: third", "    reasn: third"),
            ("tagNotSpecified: warning", "tagNotSpecified: warn"),
            ("hostPortSet: danger", "hostPortSett: danger"),
            (
                "podSpec: /spec/template/spec\n  - kind",
                "podspec: /spec/template/spec\n  - kind",
            ),
            ("minScore: 80", "minScore: 180"),
            ("failOn: danger", "failOn: always"),
        ];
        for (right, wrong) in typos {
            assert!(example.contains(right), "{right}");
            let typo = example.replacen(right, wrong, 1);
            assert!(
                !validator.is_valid(&yaml_to_json(&typo)),
                "schema accepts {wrong}"
            );
            assert!(parse(FileId(0), &typo).is_err(), "loader accepts {wrong}");
        }
    }
}
