//! `.kubepatrol.yaml`: where it is found, and its strict mapping onto typed values.
//!
//! The file is parsed with the project's own span-aware loader and mapped by hand, so every
//! unknown key, wrong type or unknown check id is an error at the config file's line and
//! column. The JSON Schema in `schema/kubepatrol-config.json` is generated from these types
//! (see the tests), so editors complete exactly what this module accepts.

mod custom;
mod mapper;
mod polaris;
mod search;

use globset::GlobMatcher;

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::rules::{RuleEntry, Severity};
use crate::settings::{ExtraPod, ExtraWorkload, FailOn, Settings};
use crate::source::Span;
use mapper::decode_pointer;

pub use custom::{CustomCheck, Test};
pub use mapper::{PolarisReader, parse, parse_reading, unknown_check_message};
pub use polaris::{Schema, SchemaTest, schema_text};
pub use search::{LoadedConfig, find, load, read_for_run};

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
    /// Files and directories to read policies from besides the linted paths (Kyverno CEL
    /// policies), relative to the configuration file, as `--policies`.
    #[cfg_attr(test, schemars(default))]
    pub policies: Vec<Spanned<String>>,
    /// Whether ValidatingAdmissionPolicies and their bindings found in the input are
    /// evaluated (default true).
    pub admission_policies: Option<bool>,
    /// The team's own checks, in CEL: each is a check like the built-in ones.
    #[cfg_attr(test, schemars(default, schema_with = "schema::custom_checks"))]
    pub custom_checks: Vec<CustomCheck>,
    /// A Polaris configuration whose `customChecks` (JSON Schema) become checks, relative to
    /// this file.
    pub polaris_config: Option<Spanned<String>>,
    /// Helm charts rendered with further values sets, by chart directory glob.
    #[cfg_attr(test, schemars(default))]
    pub charts: Vec<ChartValues>,
    /// The ids `checks:` and `exemptions:` name that no check had when the file was read: a
    /// run's policy rules (`<policy>/<rule>`, a ValidatingAdmissionPolicy's name), checked
    /// with [`Config::unresolved_errors`] once the policies are known.
    #[cfg_attr(test, schemars(skip))]
    pub unresolved_checks: Vec<Spanned<String>>,
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
            CheckSelection::Only(checks) => checks.iter().any(|c| same_check(c.value, check)),
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

/// A `charts:` entry: the values sets every chart whose directory matches `path` is rendered
/// with, each a render of its own.
#[derive(Clone, Debug)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(deny_unknown_fields, rename_all = "camelCase"))]
pub struct ChartValues {
    /// Glob on the chart's directory, relative to the directory of the config file
    /// (`charts/*`, `deploy/web`).
    pub path: Pattern,
    /// Whether the chart is still rendered with its own `values.yaml` alone, besides the
    /// values sets (default true).
    #[cfg_attr(test, schemars(default = "schema::default_true"))]
    pub render_default: bool,
    /// The values sets, each rendered on its own.
    #[cfg_attr(test, schemars(default, schema_with = "schema::values_sets"))]
    pub values_sets: Vec<ConfiguredValuesSet>,
    /// The entry in the config file.
    #[cfg_attr(test, schemars(skip))]
    pub span: Span,
}

/// One values set as configured: what it renders with, its values files still as written.
#[derive(Clone, Debug)]
pub struct ConfiguredValuesSet {
    /// Values files relative to the chart's directory, as `helm template -f` takes them
    /// (later ones win).
    pub values_files: Vec<Spanned<String>>,
    /// The rest of the set: its name, `set` values, release and capabilities.
    pub set: crate::model::values_set::ValuesSet,
}

/// A kind that carries a pod spec.
#[derive(Clone, Debug)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[cfg_attr(test, schemars(deny_unknown_fields, rename_all = "camelCase"))]
pub struct WorkloadKind {
    /// `group/version` or `group`; any when absent.
    pub api_version: Option<String>,
    pub kind: String,
    /// JSON pointer (RFC 6901) of the pod spec, e.g. `/spec/template/spec`; required unless
    /// `inspect` is false.
    #[cfg_attr(test, schemars(regex(pattern = r"^(/[^/]+)+$")))]
    pub pod_spec: Option<String>,
    /// Whether the pods may keep running, for the probe checks (their `restartPolicy` still
    /// decides); true when absent.
    pub long_running: Option<bool>,
    /// `false` declares a kind that carries no pod spec to check: it is neither inspected nor
    /// recognised by its shape.
    pub inspect: Option<bool>,
    /// The kind's API resource, lower-case plural (`rollouts`), which the resource rules of
    /// ValidatingAdmissionPolicies name; when absent, it is assumed from the kind by English
    /// plural rules, with a note when that decides whether a policy applies.
    #[cfg_attr(test, schemars(regex(pattern = r"^[a-z0-9][a-z0-9.-]*$")))]
    pub resource: Option<String>,
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
                pod: workload
                    .pod_spec
                    .as_ref()
                    .filter(|_| workload.inspect != Some(false))
                    .map(|pointer| ExtraPod {
                        pod_spec: decode_pointer(pointer),
                        long_running: workload.long_running.unwrap_or(true),
                    }),
                resource: workload.resource.clone(),
            })
            .collect();
        settings
    }

    /// The severity `check` has under this configuration; `None` when it is ignored.
    pub fn grade(&self, check: &RuleEntry) -> Option<&CheckGrade> {
        self.checks
            .iter()
            .rev()
            .find(|grade| same_check(grade.check, check))
    }

    /// An error for each id `checks:` and `exemptions:` name that neither a built-in check, a
    /// custom check nor one of the run's `policy_checks` has.
    pub fn unresolved_errors(&self, policy_checks: &[&'static RuleEntry]) -> Vec<Diagnostic> {
        self.unresolved_checks
            .iter()
            .filter(|id| {
                !policy_checks
                    .iter()
                    .any(|check| check.meta.id.eq_ignore_ascii_case(&id.value))
            })
            .map(|id| {
                Diagnostic::error(
                    Code::InvalidConfig,
                    Location::Span(id.span),
                    unknown_check_message(&id.value),
                )
            })
            .collect()
    }
}

/// Whether `a` and `b` are the same check. By id, not by entry: an id `checks:` or
/// `exemptions:` name before the run's policies are read stands for the policy rule of that id.
fn same_check(a: &RuleEntry, b: &RuleEntry) -> bool {
    std::ptr::eq(a, b) || a.meta.id.eq_ignore_ascii_case(b.meta.id)
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

    /// `customChecks`: what `custom.rs` maps.
    pub(super) fn custom_checks(_: &mut SchemaGenerator) -> Schema {
        let text = json_schema!({ "type": "string" });
        json_schema!({
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["id", "expression"],
                "properties": {
                    "id": { "type": "string", "description": "The check's id, as findings, `checks:` and annotations name it." },
                    "title": text,
                    "category": { "enum": ["security", "networking", "resources", "health-checks", "images"] },
                    "severity": { "enum": ["danger", "warning"] },
                    "scope": { "enum": ["object", "pod", "container"] },
                    "kinds": { "type": "array", "items": { "type": "string" }, "description": "Kinds it applies to (default: every inspected workload kind)." },
                    "expression": { "type": "string", "description": "CEL that must hold; sees object, and podSpec, podMetadata, container, containerKind by scope." },
                    "message": text,
                    "messageExpression": { "type": "string", "description": "CEL giving the failure message." },
                    "remediation": text,
                    "field": { "type": "string", "description": "The field to label, relative to the object, pod spec or container (`securityContext.runAsUser`)." },
                },
            },
        })
    }

    /// `charts[].valuesSets`: what `mapper.rs` maps into [`super::ConfiguredValuesSet`]s.
    pub(super) fn values_sets(_: &mut SchemaGenerator) -> Schema {
        let text = json_schema!({ "type": "string" });
        let assignment = json_schema!({
            "type": "string",
            "description": "Helm's --set syntax: `a.b=c`, `list[0].name=x`, `a={x,y}`, `\\` escapes `,` `.` `{`; several separated by commas.",
        });
        json_schema!({ "type": "array", "items": {
            "type": "object",
            "additionalProperties": false,
            "required": ["name"],
            "properties": {
                "valuesFiles": { "type": "array", "items": text, "description": "Values files relative to the chart's directory, as `helm template -f` takes them (later ones win)." },
                "name": { "type": "string", "description": "How findings and diagnostics name the set (`values set prod`); unique per chart." },
                "set": {
                    "description": "Values set as `helm template --set` sets them, after the values files: a list of --set arguments, or a mapping of --set paths to values.",
                    "oneOf": [
                        { "type": "array", "items": assignment },
                        { "type": "object", "additionalProperties": { "type": ["string", "number", "boolean", "null"] } },
                    ],
                },
                "releaseName": { "type": "string", "description": "`.Release.Name` (default `release-name`)." },
                "namespace": { "type": "string", "description": "`.Release.Namespace` (default `default`)." },
                "kubeVersion": { "type": "string", "description": "`.Capabilities.KubeVersion`, as --kube-version (default v1.32.0)." },
                "apiVersions": { "type": "array", "items": text, "description": "API versions added to `.Capabilities.APIVersions`, as --api-versions." },
            },
        }})
    }

    pub(super) fn default_true() -> bool {
        true
    }

    pub(super) fn grades(generator: &mut SchemaGenerator) -> Schema {
        let grade = generator.subschema_for::<Grade>();
        json_schema!({
            "type": "object",
            "propertyNames": { "enum": check_ids() },
            "additionalProperties": grade,
        })
    }

    pub(super) fn selection(_: &mut SchemaGenerator) -> Schema {
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
    use std::path::Path;

    use super::*;
    use crate::diagnostic::Location;
    use crate::source::{FileId, SourceFile};
    use crate::yaml::{self, Node};

    #[test]
    fn an_unknown_id_stays_unknown_in_every_later_read_of_the_process() {
        // An editor session reads the configuration again and again: the placeholder made
        // for an unknown id the first time must not make it a known check the next.
        let text = "checks:\n  noSuchCheckAnywhere: ignore\n";
        for _ in 0..2 {
            let config = parse_reading(FileId(0), text, &mut |_, _| Vec::new()).expect("deferred");
            let unresolved: Vec<&str> = config
                .unresolved_checks
                .iter()
                .map(|id| id.value.as_str())
                .collect();
            assert_eq!(unresolved, ["noSuchCheckAnywhere"]);
            assert_eq!(config.unresolved_errors(&[]).len(), 1);
        }
    }

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
            settings.extra_workloads[0]
                .pod
                .as_ref()
                .map(|pod| pod.pod_spec.as_slice()),
            Some(["spec", "template", "spec"].map(String::from).as_slice())
        );
    }

    #[test]
    fn a_kind_not_inspected_has_no_pod_spec_and_an_inspected_one_needs_it() {
        let found = errors(
            "workloads:\n- {kind: A, inspect: false, podSpec: /spec}\n- {kind: B, longRunning: no}\n",
        );
        let positions: Vec<u32> = found.iter().map(|(at, _)| *at).collect();
        assert_eq!(positions, [2029, 3003], "{found:?}");
        assert!(found[0].1.contains("`inspect: false` has no pod spec"));
        assert!(found[1].1.contains("or `inspect: false`"));
        let config = parse(FileId(0), "workloads:\n- {kind: A, inspect: false}\n").expect("valid");
        assert_eq!(config.settings().extra_workloads[0].pod, None);
    }

    #[test]
    fn a_workload_kind_names_its_api_resource() {
        let config = parse(
            FileId(0),
            "workloads:\n- {apiVersion: argoproj.io, kind: Rollout, podSpec: /spec/template/spec, resource: rollouts}\n\
             - {kind: Certificate, inspect: false, resource: certificates}\n",
        )
        .expect("valid");
        let settings = config.settings();
        assert_eq!(
            settings.resource_of("argoproj.io/v1alpha1", "Rollout"),
            Some("rollouts")
        );
        assert_eq!(settings.resource_of("example.com/v1", "Rollout"), None);
        assert_eq!(
            settings.resource_of("cert-manager.io/v1", "Certificate"),
            Some("certificates")
        );
        let found = errors("workloads:\n- {kind: A, inspect: false, resource: Rollouts}\n");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].1.contains("lower case and plural"), "{found:?}");
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
        let doc = include_str!("../../docs/config.md");
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
                "podSpec: /spec/template/spec\n  - apiVersion",
                "podspec: /spec/template/spec\n  - apiVersion",
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
