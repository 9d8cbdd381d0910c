//! Mapping the parsed YAML onto [`Config`] by hand, strictly: every unknown key, wrong type and
//! unknown check id is an error at its line and column, and all of them are reported.

use globset::Glob;

use super::{
    ChartValues, CheckGrade, CheckSelection, Config, ConfiguredValuesSet, CustomCheck, Exemption,
    Grade, Pattern, Spanned, WorkloadKind,
};
use crate::diagnostic::{Code, Diagnostic, Location};
use crate::model::values_set::{self, Assignment, ValuesSet};
use crate::rules::{self, RuleEntry, explain};
use crate::settings::FailOn;
use crate::source::{FileId, Span};
use crate::yaml::{self, Entry, Node, Value};

/// Reads the Polaris configuration that `polarisConfig:` (the node given) names and maps its
/// custom checks, adding its problems to the errors.
pub type PolarisReader<'r> = &'r mut dyn FnMut(&Node, &mut Vec<Diagnostic>) -> Vec<CustomCheck>;

/// Map config text onto [`Config`]; all problems are reported, not only the first. It reads
/// no file: a `polarisConfig:` is checked to be a string but defines no checks (see
/// [`parse_reading`]).
pub fn parse(file: FileId, text: &str) -> Result<Config, Vec<Diagnostic>> {
    map(file, text, &mut |_, _| Vec::new(), false)
}

/// [`parse`] for a run, with the checks of the Polaris configuration `polarisConfig:` names
/// read by `read_polaris`, before `checks:` and `exemptions:` so that they may name them. An
/// unknown id there is not an error yet: it may be a policy rule's, known only once the run's
/// policies are read (see [`Config::unresolved_errors`]).
pub fn parse_reading(
    file: FileId,
    text: &str,
    read_polaris: PolarisReader<'_>,
) -> Result<Config, Vec<Diagnostic>> {
    map(file, text, read_polaris, true)
}

fn map(
    file: FileId,
    text: &str,
    read_polaris: PolarisReader<'_>,
    defer_unknown_ids: bool,
) -> Result<Config, Vec<Diagnostic>> {
    let parsed = yaml::parse(file, text, yaml::Limits::default());
    let mut mapper = Mapper {
        errors: parsed
            .errors
            .into_iter()
            .map(|error| config_error(error.span, error.message))
            .collect(),
        defer_unknown_ids,
        unresolved: Vec::new(),
        own_checks: Vec::new(),
        text: text.to_owned(),
    };
    if let Some(extra) = parsed.documents.get(1) {
        mapper.error(extra.root.span, "the configuration is one YAML document");
    }
    let config = parsed
        .documents
        .first()
        .map(|document| {
            // Mapped first, so that `checks:` and `exemptions:` may name the checks it defines.
            let mut custom_checks =
                document
                    .root
                    .get("customChecks")
                    .map_or_else(Vec::new, |node| {
                        super::custom::custom_checks(
                            node,
                            text,
                            super::FILE_NAME,
                            &mut mapper.errors,
                        )
                    });
            if let Some(path) = document
                .root
                .get("polarisConfig")
                .filter(|node| node.as_str().is_some())
            {
                custom_checks.extend(read_polaris(path, &mut mapper.errors));
            }
            mapper.own_checks = custom_checks.iter().map(|check| check.entry).collect();
            let mut config = mapper.config(&document.root);
            config.custom_checks = custom_checks;
            config.unresolved_checks = std::mem::take(&mut mapper.unresolved);
            config
        })
        .unwrap_or_default();
    if mapper.errors.is_empty() {
        Ok(config)
    } else {
        // The run stops here, before any policy is read: the deferred ids are unknown too
        // (the report sorts the errors by position).
        let mut errors = mapper.errors;
        errors.extend(
            config
                .unresolved_checks
                .iter()
                .map(|id| config_error(id.span, unknown_check_message(&id.value))),
        );
        Err(errors)
    }
}

fn config_error(span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(Code::InvalidConfig, Location::Span(span), message)
}

const TOP_LEVEL_KEYS: &[&str] = &[
    "checks",
    "exemptions",
    "dangerousCapabilities",
    "workloads",
    "exclude",
    "failOn",
    "minScore",
    "policies",
    "admissionPolicies",
    "customChecks",
    "polarisConfig",
    "charts",
];
const CHART_KEYS: &[&str] = &["path", "renderDefault", "valuesSets"];
const VALUES_SET_KEYS: &[&str] = &[
    "name",
    "valuesFiles",
    "set",
    "releaseName",
    "namespace",
    "kubeVersion",
    "apiVersions",
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
const WORKLOAD_KEYS: &[&str] = &[
    "apiVersion",
    "kind",
    "podSpec",
    "longRunning",
    "inspect",
    "resource",
];

/// The position-aware mapping from YAML nodes to config values; collects every error.
struct Mapper {
    errors: Vec<Diagnostic>,
    /// Whether an unknown check id is recorded in `unresolved` rather than an error.
    defer_unknown_ids: bool,
    unresolved: Vec<Spanned<String>>,
    /// The checks this configuration defines (custom and Polaris checks): with the built-in
    /// ones, all an id may name now. Not the process's whole registry, where a long-running
    /// editor session keeps the checks of earlier runs, and the placeholders of ids once
    /// unknown.
    own_checks: Vec<&'static RuleEntry>,
    /// The file's text, to place `set` values inside the scalars that write them.
    text: String,
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
                "charts" => config.charts = self.items(value, "charts", Self::chart),
                "exclude" => {
                    let globs = self.strings(value, "exclude");
                    for glob in &globs {
                        self.pattern(&glob.value, glob.span, "exclude");
                    }
                    config.exclude = globs;
                }
                "failOn" => config.fail_on = self.fail_on(value),
                "minScore" => config.min_score = self.score(value),
                "policies" => config.policies = self.strings(value, "policies"),
                "polarisConfig" => match value.as_str() {
                    Some(path) => {
                        config.polaris_config = Some(Spanned {
                            value: path.to_owned(),
                            span: value.span,
                        });
                    }
                    None => self.type_error(value, "polarisConfig", "a string"),
                },
                "admissionPolicies" => match value.as_bool() {
                    Some(flag) => config.admission_policies = Some(flag),
                    None => self.type_error(value, "admissionPolicies", "a boolean"),
                },
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
        let own = || {
            self.own_checks
                .iter()
                .rev()
                .find(|check| check.meta.id.eq_ignore_ascii_case(&id.value))
                .copied()
        };
        match rules::find_built_in(&id.value).or_else(own) {
            Some(check) => Some(Spanned {
                value: check,
                span: id.span,
            }),
            None if self.defer_unknown_ids => {
                let check = rules::dynamic::register(rules::dynamic::Definition {
                    id: id.value.clone(),
                    title: id.value.clone(),
                    category: rules::Category::Security,
                    severity: rules::Severity::Warning,
                    scope: rules::Scope::Object,
                    message: String::new(),
                    remediation: String::new(),
                    source: "an id the configuration names before the policies are read".to_owned(),
                });
                self.unresolved.push(id.clone());
                Some(Spanned {
                    value: check,
                    span: id.span,
                })
            }
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

    fn chart(&mut self, node: &Node) -> Option<ChartValues> {
        self.mapping(node, "charts[]", CHART_KEYS);
        node.as_map()?;
        let path = match node.get("path") {
            Some(path) => self.optional_pattern(Some(path), "charts[].path"),
            None => {
                self.error(
                    node.span,
                    "a `charts` entry needs `path` (a glob on chart directories)",
                );
                None
            }
        };
        let render_default = node
            .get("renderDefault")
            .and_then(|value| self.boolean(value, "charts[].renderDefault"))
            .unwrap_or(true);
        let values_sets = node.get("valuesSets").map_or_else(Vec::new, |sets| {
            self.items(sets, "charts[].valuesSets", Self::values_set)
        });
        for (index, set) in values_sets.iter().enumerate() {
            let earlier = values_sets.get(..index).unwrap_or_default();
            if earlier.iter().any(|other| other.set.name == set.set.name) {
                self.error(
                    set.set.span,
                    format!("values set `{}` is named twice in this entry", set.set.name),
                );
            }
        }
        Some(ChartValues {
            path: path?,
            render_default,
            values_sets,
            span: node.span,
        })
    }

    fn values_set(&mut self, node: &Node) -> Option<ConfiguredValuesSet> {
        self.mapping(node, "valuesSets[]", VALUES_SET_KEYS);
        node.as_map()?;
        let text = |mapper: &mut Self, key: &str| {
            node.get(key)
                .and_then(|value| mapper.string(value, &format!("valuesSets[].{key}")))
        };
        let name = match node.get("name") {
            Some(name) => self.string(name, "valuesSets[].name"),
            None => {
                self.error(
                    node.span,
                    "a values set needs a `name` (findings name the set by it)",
                );
                None
            }
        };
        let release_name = text(self, "releaseName");
        let namespace = text(self, "namespace");
        let kube_version = text(self, "kubeVersion");
        let values_files = node.get("valuesFiles").map_or_else(Vec::new, |files| {
            self.strings(files, "valuesSets[].valuesFiles")
        });
        let api_versions = node.get("apiVersions").map_or_else(Vec::new, |versions| {
            self.strings(versions, "valuesSets[].apiVersions")
        });
        let set = node
            .get("set")
            .map_or_else(Vec::new, |set| self.assignments(set));
        let name = name?;
        Some(ConfiguredValuesSet {
            values_files,
            set: ValuesSet {
                name: name.value,
                span: name.span,
                values_files: Vec::new(),
                set,
                release_name: release_name.map(|name| name.value),
                namespace: namespace.map(|namespace| namespace.value),
                kube_version: kube_version.map(|version| (version.value, version.span)),
                api_versions: api_versions
                    .into_iter()
                    .map(|version| version.value)
                    .collect(),
            },
        })
    }

    /// A values set's `set`: `--set` arguments, or a mapping of `--set` paths to the values
    /// their scalars spell; each assignment points at the scalar that wrote it.
    fn assignments(&mut self, node: &Node) -> Vec<Assignment> {
        let arguments: Vec<(String, Span, Option<u32>)> = match &node.value {
            Value::Seq(items) => {
                let strings: Vec<Spanned<String>> = items
                    .iter()
                    .filter_map(|item| self.string(item, "valuesSets[].set[]"))
                    .collect();
                strings
                    .into_iter()
                    .map(|argument| {
                        let verbatim = self.verbatim_at(&argument.value, argument.span);
                        (argument.value, argument.span, verbatim)
                    })
                    .collect()
            }
            Value::Map(entries) => entries
                .iter()
                .filter_map(|entry| {
                    let path = self.string(&entry.key, "valuesSets[].set")?;
                    let value = self.set_value(&entry.value)?;
                    Some((format!("{}={value}", path.value), entry.value.span, None))
                })
                .collect(),
            _ => {
                self.type_error(
                    node,
                    "valuesSets[].set",
                    "a sequence of `--set` arguments or a mapping of paths to values",
                );
                Vec::new()
            }
        };
        let mut assignments = Vec::new();
        for (argument, span, verbatim) in arguments {
            match values_set::parse_set(&argument, span, verbatim) {
                Ok(mut parsed) => assignments.append(&mut parsed),
                Err(message) => self.error(span, format!("invalid `set` value: {message}")),
            }
        }
        assignments
    }

    /// Where `value`, the string of the scalar at `span`, is written verbatim: the scalar's
    /// start, or the byte after its opening quote; `None` when escapes or folding changed it.
    fn verbatim_at(&self, value: &str, span: Span) -> Option<u32> {
        let raw = self
            .text
            .get(span.start as usize..span.end as usize)
            .unwrap_or_default();
        if raw == value {
            return Some(span.start);
        }
        let quoted = ['"', '\''].iter().any(|quote| {
            raw.strip_prefix(*quote)
                .and_then(|rest| rest.strip_suffix(*quote))
                == Some(value)
        });
        quoted.then_some(span.start + 1)
    }

    /// A mapping value of `set` as `--set` text, escaped so that it stays one value.
    fn set_value(&mut self, node: &Node) -> Option<String> {
        let spelled = match &node.value {
            Value::Null => "null".to_owned(),
            Value::Bool(flag) => flag.to_string(),
            Value::Int(number) => number.to_string(),
            Value::Float(number) => number.to_string(),
            Value::Str(text) => text.to_string(),
            Value::Seq(_) | Value::Map(_) => {
                self.type_error(node, "valuesSets[].set", "a mapping to scalars");
                return None;
            }
        };
        let mut escaped = String::with_capacity(spelled.len());
        for (index, c) in spelled.chars().enumerate() {
            if matches!(c, '\\' | ',') || (index == 0 && c == '{') {
                escaped.push('\\');
            }
            escaped.push(c);
        }
        Some(escaped)
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
        let long_running = node
            .get("longRunning")
            .and_then(|value| self.boolean(value, "workloads[].longRunning"));
        let inspect = node
            .get("inspect")
            .and_then(|value| self.boolean(value, "workloads[].inspect"));
        let resource = node.get("resource").and_then(|value| self.resource(value));
        let pod_spec = if inspect == Some(false) {
            if let Some(extra) = ["podSpec", "longRunning"]
                .iter()
                .find_map(|key| node.entry(key))
            {
                self.error(
                    extra.key.span,
                    "a kind with `inspect: false` has no pod spec: remove this key or `inspect`",
                );
            }
            None
        } else {
            Some(self.pod_spec(node)?)
        };
        Some(WorkloadKind {
            api_version: api_version.map(|v| v.value),
            kind: kind?.value,
            pod_spec,
            long_running,
            inspect,
            resource,
        })
    }

    /// A `workloads[].resource`: an API resource name as the API server spells it.
    fn resource(&mut self, node: &Node) -> Option<String> {
        let name = self.string(node, "workloads[].resource")?;
        let valid = name.value.starts_with(|c: char| c.is_ascii_alphanumeric())
            && name
                .value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
        if !valid {
            self.error(
                name.span,
                "`resource` is the kind's API resource, lower case and plural, such as `rollouts`",
            );
            return None;
        }
        Some(name.value)
    }

    /// The `podSpec` pointer of a workload kind that is inspected.
    fn pod_spec(&mut self, node: &Node) -> Option<String> {
        let pod_spec = match node.get("podSpec") {
            Some(pointer) => self.string(pointer, "workloads[].podSpec"),
            None => {
                self.error(
                    node.span,
                    "a workload kind needs `podSpec` (a JSON pointer such as `/spec/template/spec`), \
                     or `inspect: false`",
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
        Some(pod_spec.value)
    }

    fn boolean(&mut self, node: &Node, what: &str) -> Option<bool> {
        let value = node.as_bool();
        if value.is_none() {
            self.type_error(node, what, "a boolean");
        }
        value
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
pub(super) fn decode_pointer(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
        .collect()
}
