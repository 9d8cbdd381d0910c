//! The catalogue of input diagnostic codes: every code a diagnostic can carry is declared
//! here once, with its one-line meaning, in the order `docs/diagnostics.md` lists them (that
//! page is generated from this table and a test keeps the two equal, as rustc's error index).

use std::fmt;

macro_rules! catalogue {
    ($($variant:ident = $code:literal, $stage:literal: $meaning:literal;)*) => {
        /// A kebab-case code such as `invalid-yaml`, as printed in every output format.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in catalogue order.
            pub const ALL: &[Code] = &[$(Code::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// The stage that reports it.
            pub fn stage(self) -> &'static str {
                match self {
                    $(Code::$variant => $stage,)*
                }
            }

            /// What it means, in one line.
            pub fn meaning(self) -> &'static str {
                match self {
                    $(Code::$variant => $meaning,)*
                }
            }
        }
    };
}

catalogue! {
    PathNotFound = "path-not-found", "discover":
        "A path given on the command line does not exist.";
    UnreadablePath = "unreadable-path", "discover":
        "A directory could not be walked (permissions, a symbolic link loop).";
    InvalidGlob = "invalid-glob", "discover":
        "An `--exclude` or `exclude:` pattern is not a valid glob.";
    InvalidConfig = "invalid-config", "config":
        "The configuration file cannot be read, or has an unknown key, a wrong type or an unknown check id.";
    InvalidBaseline = "invalid-baseline", "exempt":
        "The baseline file cannot be read or is not a baseline of a version this release reads.";
    FileTooLarge = "file-too-large", "load":
        "A file is larger than the limit (32 MiB) and was not read.";
    NotARegularFile = "not-a-regular-file", "load":
        "A path names something other than a regular file (a device, a socket).";
    UnreadableFile = "unreadable-file", "load":
        "A file could not be read.";
    BinaryFile = "binary-file", "load":
        "A file contains NUL bytes: it is not a text manifest.";
    InvalidUtf8 = "invalid-utf8", "load":
        "A file is not valid UTF-8; the diagnostic points at the first bad byte.";
    UnsupportedEncoding = "unsupported-encoding", "load":
        "A file is UTF-16 or UTF-32, which kubectl does not read either.";
    HelmTemplate = "helm-template", "load":
        "A Helm template was skipped because its chart's `Chart.yaml` is not in the scan (a note: it does not change the exit code); templates of a scanned chart are rendered with it.";
    TemplateExpression = "template-expression", "load":
        "A document outside a Helm chart holds a template expression (`{{ }}`) that is not YAML until rendered: that document is skipped, the file's others are checked (a note).";
    InvalidYaml = "invalid-yaml", "load":
        "A document is not valid YAML; the other documents of the file are still checked.";
    DuplicateKey = "duplicate-key", "load":
        "A mapping repeats a key, which the API server rejects.";
    UnknownAnchor = "unknown-anchor", "load":
        "An alias names an anchor that is not defined before it.";
    InvalidMerge = "invalid-merge", "load":
        "A `<<` merge key merges something other than a mapping, an alias of one, or a sequence of them.";
    NestingTooDeep = "nesting-too-deep", "load":
        "A document nests deeper than the limit (256 levels), aliases included.";
    AliasExpansionLimit = "alias-expansion-limit", "load":
        "Aliases expand a document past the limit (1,000,000 nodes), as in a billion-laughs file.";
    InvalidList = "invalid-list", "load":
        "The `items` of a `*List` kind is not a sequence.";
    InvalidListItem = "invalid-list-item", "load":
        "An item of a `List` has no `apiVersion` and `kind` (items of a typed list such as `PodList` may omit both), or is a list itself.";
    MissingApiVersion = "missing-api-version", "load":
        "A document has a `kind` but no `apiVersion`: kubectl cannot send it, so it is not checked (a note).";
    KustomizeComponent = "kustomize-component", "render":
        "A Kustomize component is only rendered inside a kustomization that includes it (a note).";
    NotReferenced = "not-referenced", "render":
        "Manifests beside a kustomization that does not reference them are not deployed by Flux, Argo CD or `kubectl kustomize`, so not linted (a note naming them).";
    KustomizeNotRendered = "kustomize-not-rendered", "render":
        "A kustomization field kubepatrol does not render (generators, helmCharts, replacements, vars, plugins, configurations, crds, openapi) was left out (a note); empty ones are not mentioned.";
    KustomizationCycle = "kustomization-cycle", "render":
        "Kustomizations include each other in a cycle.";
    NotAKustomization = "not-a-kustomization", "render":
        "A component reference is not a directory with a kustomization file.";
    InvalidKustomization = "invalid-kustomization", "render":
        "A kustomization field has the wrong shape (a reference that is not a string, say).";
    RemoteResource = "remote-resource", "render":
        "A remote resource (a URL or Git reference) was not fetched; the rest renders.";
    MissingResource = "missing-resource", "render":
        "A file or directory a kustomization references does not exist or holds no kustomization.";
    InvalidPatchTarget = "invalid-patch-target", "render":
        "A JSON 6902 patch has no `target`.";
    LoadOutsideRoot = "load-outside-root", "render":
        "A kustomization reads a file outside its directory, which `kubectl kustomize` refuses (a warning; kubepatrol renders it anyway).";
    PatchTargetNotFound = "patch-target-not-found", "render":
        "A patch matches no object (a warning when something was left out of the render).";
    InvalidJsonPatch = "invalid-json-patch", "render":
        "A JSON 6902 patch is not a list of valid operations.";
    JsonPatchFailed = "json-patch-failed", "render":
        "A JSON 6902 operation cannot be applied (a missing path, a failed `test`).";
    HelmTemplateError = "helm-template-error", "render":
        "A Helm template failed to parse or execute (`required`, `fail`, a nil pointer, a wrong argument type, an unknown function, a limit), or rendered invalid YAML: reported at the template line and column; the chart's other templates are still rendered.";
    HelmChartError = "helm-chart-error", "render":
        "A Helm chart's values break its `values.schema.json` (reported at the values line, as Helm refuses the release), or the chart cannot be rendered as a whole: `Chart.yaml` or `values.yaml` is invalid, a dependency is missing from `charts/` (run `helm dependency build`), or an archived subchart (`charts/*.tgz`) cannot be unpacked (not a gzip tar, a path outside its chart, over Helm's size limits).";
    InvalidFieldType = "invalid-field-type", "evaluate":
        "A field a check reads, or an annotation value, has the wrong type (`hostNetwork: \"true\"`, say); the checks that read it skip that object, the others still run.";
    WorkloadByShape = "workload-by-shape", "evaluate":
        "An object of a kind no table or `workloads:` entry names has containers at `spec.template.spec`, so it is checked as a long-running workload (a note: declare the kind in `workloads:` to check it without the note, or with `inspect: false` to leave it unchecked).";
    InvalidPolicy = "invalid-policy", "policy":
        "A Kyverno policy's CEL rule has a field of the wrong shape (a rule without a `name`, a validation without an `expression`); that rule is left out, the policy's others still apply.";
    InvalidCel = "invalid-cel", "policy":
        "A CEL expression does not compile; the diagnostic points at the line and column of the error inside the YAML scalar that holds it, and the rule it belongs to is left out.";
    PolicyNotEvaluated = "policy-not-evaluated", "evaluate":
        "A ValidatingAdmissionPolicy cannot be evaluated offline (a `paramRef` to an object not in the input, an `authorizer` call) or has no binding in the input: said as a note, never passed silently.";
    AssumedResource = "assumed-resource", "evaluate":
        "Whether a ValidatingAdmissionPolicy's resource rule selects an object depended on the resource name of a kind that is not built into Kubernetes and that no `workloads:` entry gives a `resource`: the kind's English plural was assumed (how the API server's resources are named); a note, once per policy and kind: declare the kind with `resource:` in `workloads:` to be sure.";
    PolicyAudit = "policy-audit", "evaluate":
        "A ValidatingAdmissionPolicy whose binding only audits (`validationActions: [Audit]`) failed on an object: a note, as the API server only records it.";
    UnusedPolicy = "unused-policy", "evaluate":
        "A policy rule (a Kyverno rule, a bound ValidatingAdmissionPolicy) applies to no object in the input (with `--report-unused-policies`).";
    UnknownCheck = "unknown-check", "exempt":
        "An ignore annotation names a check that does not exist; the nearest id is suggested.";
    UnusedIgnore = "unused-ignore", "exempt":
        "An ignore annotation or exemption silenced nothing (with `--report-unused-ignores`).";
    InvalidNewSince = "invalid-new-since", "new-since":
        "`--new-since` names no commit of the repository around the working directory, git cannot read it, or standard input was to be compared.";
    InputErrorAtCommit = "input-error-at-commit", "new-since":
        "An input error in the files as they are at the commit `--new-since` compares with (a note naming the error's own code: it does not fail the run, but what could not be read there may show as new).";
    InternalError = "internal-error", "any":
        "A bug in kubepatrol stopped the work on one file or object; the rest was still checked. Please report it.";
}

impl fmt::Display for Code {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::path::Path;

    use super::*;

    /// `docs/diagnostics.md`: every code with the stage that reports it and its meaning.
    fn index_markdown() -> String {
        let mut page = String::from(
            "# Input diagnostics\n\n\
             Problems with the input itself, as opposed to findings of checks. Every output format \
             prints the code; errors make the exit code 2, warnings and notes do not change it.\n\
             This page is generated from `src/diagnostic/code.rs` \
             (`KUBEPATROL_UPDATE_DOCS=1 cargo test --lib diagnostic` rewrites it).\n\n\
             | code | stage | meaning |\n| --- | --- | --- |\n",
        );
        for code in Code::ALL {
            page.push_str(&format!(
                "| `{}` | {} | {} |\n",
                code.as_str(),
                code.stage(),
                code.meaning().replace('|', "\\|")
            ));
        }
        page
    }

    #[test]
    fn codes_are_unique_kebab_case() {
        let mut seen = HashSet::new();
        for code in Code::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "`{text}` is declared twice");
            assert!(
                text.split('-').all(|part| !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())),
                "`{text}` is not kebab-case"
            );
            assert!(
                code.meaning().ends_with('.'),
                "`{text}`: meaning is one sentence"
            );
        }
    }

    /// Regenerate with `KUBEPATROL_UPDATE_DOCS=1 cargo test --lib diagnostic`.
    #[test]
    fn the_committed_index_is_generated_from_the_catalogue() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/diagnostics.md");
        let generated = index_markdown();
        if std::env::var_os("KUBEPATROL_UPDATE_DOCS").is_some() {
            std::fs::write(&path, &generated).expect("write docs/diagnostics.md");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "docs/diagnostics.md is out of date: run KUBEPATROL_UPDATE_DOCS=1 cargo test --lib diagnostic"
        );
    }
}
