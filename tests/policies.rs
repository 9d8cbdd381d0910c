//! Policies in the repository and in `--policies` / `policies:` paths: their rules report like
//! built-in checks, at the field that decided them; their CEL errors point into the YAML.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

mod common;

use common::{fixtures, json, run_in, stdout};

/// The lines of a `line` report that policies produced: their findings and CEL errors.
fn policy_lines(text: &str) -> String {
    text.lines()
        .filter(|line| {
            let id = line.rsplit_once('[').map_or("", |(_, id)| id);
            id.contains('/') || id.starts_with("invalid-cel")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn policies_in_the_linted_paths_report_like_checks() {
    let output = run_in(
        &fixtures().join("policies"),
        &["lint", "--format", "line", "."],
    );
    assert_eq!(
        output.status.code(),
        Some(2),
        "the broken policy is an input error"
    );
    insta::assert_snapshot!(policy_lines(&stdout(&output)));
}

#[test]
fn policies_from_elsewhere_define_checks_without_being_linted() {
    let dir = fixtures().join("policies");
    let report = json(&run_in(
        &dir,
        &[
            "lint",
            "--format",
            "json",
            "--policies",
            "policies/workloads.yaml",
            "--policies",
            "policies/services.yaml",
            "app",
        ],
    ));
    let checks: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["check"].as_str().unwrap())
        .filter(|check| check.contains('/'))
        .collect();
    assert_eq!(
        checks,
        [
            "workload-rules/team-label",
            "workload-rules/host-network",
            "restrict-node-port/validate-nodeport"
        ]
    );
    let suppressed: Vec<&str> = report["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["check"].as_str().unwrap())
        .filter(|check| check.contains('/'))
        .collect();
    assert_eq!(suppressed, ["workload-rules/host-network"], "{report:#}");
}

#[test]
fn the_configuration_names_policy_paths() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&fixtures().join("policies/app"), &dir.path().join("app"));
    let library = fixtures().join("policies/policies/services.yaml");
    std::fs::write(
        dir.path().join(".kubepatrol.yaml"),
        format!("policies: [{}]\n", library.display()),
    )
    .unwrap();
    let output = run_in(dir.path(), &["lint", "--format", "line", "app"]);
    let lines = policy_lines(&stdout(&output));
    assert_eq!(
        lines,
        "app/service.yaml:7:9: warning: Services of type NodePort are not allowed. (Service shop/api) [restrict-node-port/validate-nodeport]"
    );
}

/// The lines of a `line` report about ValidatingAdmissionPolicies: their findings and notes.
fn admission_lines(text: &str) -> String {
    text.lines()
        .filter(|line| !line.contains("container \""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn admission_policies_are_evaluated_through_their_bindings() {
    let output = run_in(
        &fixtures().join("admission"),
        &["lint", "--format", "line", "."],
    );
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(admission_lines(&stdout(&output)));
}

#[test]
fn the_configuration_can_leave_admission_policies_out() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&fixtures().join("admission"), dir.path());
    std::fs::write(
        dir.path().join(".kubepatrol.yaml"),
        "admissionPolicies: false\n",
    )
    .unwrap();
    let text = stdout(&run_in(dir.path(), &["lint", "--format", "line", "."]));
    assert!(
        !text.contains("replica-limit") && !text.contains("policy-"),
        "{text}"
    );
}

#[test]
fn workload_entries_name_the_resources_of_custom_kinds() {
    let output = run_in(
        &fixtures().join("admission-resources"),
        &["lint", "--format", "line", "."],
    );
    assert_eq!(output.status.code(), Some(1));
    // The Rollout's built-in findings are another test's business.
    let text = stdout(&output);
    let lines: Vec<&str> = text
        .lines()
        .filter(|line| !line.contains("container \""))
        .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn policy_findings_on_owned_objects_count_as_their_top_owner() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&fixtures().join("owned-policies"), dir.path());
    std::fs::copy(
        fixtures().join("cluster/kubectl-get.yaml"),
        dir.path().join("kubectl-get.yaml"),
    )
    .unwrap();
    let output = run_in(dir.path(), &["lint", "--format", "line", "."]);
    let ids = [
        "pod-rules/service-account-token",
        "no-privileged-debuggers",
        "podsRunAsNonRoot",
        "configOwner",
    ];
    insta::assert_snapshot!(lines_of(&stdout(&output), &ids));
    // The HTML report has a row per top owner and per other object a check applied to.
    let page = stdout(&run_in(dir.path(), &["lint", "--format", "html", "."]));
    let marker = r#"<script type="application/json" id="report-data">"#;
    let start = page.find(marker).unwrap() + marker.len();
    let end = start + page[start..].find("</script>").unwrap();
    let data: serde_json::Value = serde_json::from_str(&page[start..end]).unwrap();
    let rows: Vec<String> = data["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let results = row["results"].as_array().unwrap();
            let failed: Vec<&str> = results
                .iter()
                .filter(|result| result["result"] != "passed")
                .map(|result| {
                    data["checks"][result["check"].as_u64().unwrap() as usize]["id"]
                        .as_str()
                        .unwrap()
                })
                .filter(|id| ids.contains(id))
                .collect();
            format!("{} {}: {}", row["kind"], row["name"], failed.join(", "))
        })
        .collect();
    insta::assert_snapshot!("owned_policies_html_rows", rows.join("\n"));
}

/// The lines of a `line` report that the checks `ids` produced.
fn lines_of(text: &str, ids: &[&str]) -> String {
    text.lines()
        .filter(|line| ids.iter().any(|id| line.ends_with(&format!("[{id}]"))))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The checks of the findings suppressed when linting `dir`, and the ids of the SARIF log's
/// rules.
fn suppressed_and_sarif_rules(dir: &std::path::Path) -> (Vec<String>, Vec<String>) {
    let ids = |items: &serde_json::Value, key: &str| -> Vec<String> {
        items
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item[key].as_str().unwrap().to_owned())
            .collect()
    };
    let report = json(&run_in(dir, &["lint", "--format", "json", "."]));
    let sarif = json(&run_in(dir, &["lint", "--format", "sarif", "."]));
    (
        ids(&report["suppressed"], "check"),
        ids(&sarif["runs"][0]["tool"]["driver"]["rules"], "id"),
    )
}

const CUSTOM_IDS: [&str; 4] = [
    "registryAllowList",
    "teamLabel",
    "noNodePort",
    "initContainersPinned",
];

#[test]
fn custom_checks_behave_like_built_in_ones() {
    let dir = fixtures().join("custom-checks");
    let output = run_in(&dir, &["lint", "--format", "line", "."]);
    insta::assert_snapshot!(lines_of(&stdout(&output), &CUSTOM_IDS));
    let (suppressed, rules) = suppressed_and_sarif_rules(&dir);
    assert_eq!(suppressed, ["noNodePort"]);
    // After the built-in checks, in the order the configuration defines them.
    assert_eq!(rules[rules.len() - 4..], CUSTOM_IDS);
}

/// Lints a Pod in a directory holding `files` (name, text), which must end with exit code 2,
/// and asserts the report starts with `expected`.
fn assert_configuration_error(files: &[(&str, &str)], expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    std::fs::write(
        dir.path().join("app.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n",
    )
    .unwrap();
    let output = run_in(dir.path(), &["lint", "--format", "line", "."]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).starts_with(expected), "{}", stdout(&output));
}

#[test]
fn a_custom_check_that_does_not_compile_is_a_configuration_error() {
    assert_configuration_error(
        &[(
            ".kubepatrol.yaml",
            "customChecks:\n- id: broken\n  expression: >-\n    object.spec.all(c,\n      c.x ==)\n",
        )],
        ".kubepatrol.yaml:5:13: error: CEL expression does not compile",
    );
}

#[test]
fn policy_rules_that_apply_to_nothing_are_reported_on_request() {
    let dir = fixtures().join("policies");
    let args = [
        "lint",
        "--format",
        "line",
        "--policies",
        "policies/workloads.yaml",
        "--policies",
        "policies/services.yaml",
        "app/pods.yaml",
    ];
    let unused = |extra: &[&str]| -> Vec<String> {
        let output = run_in(&dir, &[&args[..], extra].concat());
        stdout(&output)
            .lines()
            .filter(|line| line.ends_with("[unused-policy]"))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(unused(&[]), Vec::<String>::new());
    assert_eq!(
        unused(&["--report-unused-policies"]),
        [
            "policies/services.yaml:9:11: note: policy rule restrict-node-port/validate-nodeport applies to no object in the input [unused-policy]",
            "policies/workloads.yaml:27:11: note: policy rule workload-rules/team-label applies to no object in the input [unused-policy]",
        ]
    );
}

/// The ids `kubepatrol checks`, run in `dir`, lists after the built-in checks.
fn checks_listed_after_the_built_in_ones(dir: &std::path::Path) -> Vec<String> {
    stdout(&run_in(dir, &["checks"]))
        .lines()
        .skip_while(|line| !line.starts_with("anonymousUserRBACBinding"))
        .skip(1)
        .map(|line| line.split_whitespace().next().unwrap().to_owned())
        .collect()
}

#[test]
fn checks_and_explain_know_the_custom_checks() {
    let dir = fixtures().join("custom-checks");
    assert_eq!(
        checks_listed_after_the_built_in_ones(&dir),
        [
            "registryAllowList",
            "teamLabel",
            "noNodePort",
            "initContainersPinned"
        ]
    );
    let explained = stdout(&run_in(&dir, &["explain", "noNodePort"]));
    assert!(
        explained.starts_with("noNodePort — No NodePort Services\n"),
        "{explained}"
    );
    assert!(
        explained.contains("NodePort Services are not allowed."),
        "{explained}"
    );
}

#[test]
fn policy_findings_follow_kustomize_provenance() {
    let output = run_in(
        &fixtures().join("overlays"),
        &[
            "lint",
            "--format",
            "line",
            "--policies",
            "../policies/policies/workloads.yaml",
            ".",
        ],
    );
    let host_network: Vec<String> = stdout(&output)
        .lines()
        .filter(|line| line.ends_with("[workload-rules/host-network]"))
        .map(str::to_owned)
        .collect();
    // The overlay's inline patch wrote `hostNetwork: true`: the finding points there.
    assert_eq!(
        host_network,
        [
            "staging/kustomization.yaml:13:24: danger: Pods must not use the host network. (Deployment staging/backend via staging/kustomization.yaml) [workload-rules/host-network]"
        ]
    );
}

#[test]
fn a_policy_path_that_is_also_linted_is_read_once() {
    let output = run_in(
        &fixtures().join("policies"),
        &["lint", "--format", "line", "--policies", "policies", "."],
    );
    let findings = stdout(&output)
        .lines()
        .filter(|line| line.ends_with("[workload-rules/host-network]"))
        .count();
    assert_eq!(findings, 1);
}

#[test]
fn polaris_custom_checks_behave_like_custom_checks() {
    let dir = fixtures().join("polaris-checks");
    let ids = [
        "imageRegistry",
        "memoryLimit",
        "noHostPath",
        "minReplicas",
        "notRun",
    ];
    let output = run_in(&dir, &["lint", "--format", "line", "."]);
    insta::assert_snapshot!(lines_of(&stdout(&output), &ids));
    let (suppressed, rules) = suppressed_and_sarif_rules(&dir);
    assert_eq!(suppressed, ["minReplicas"]);
    // `notRun` is `ignore` in the Polaris configuration, so it is not a check at all.
    assert_eq!(rules[rules.len() - 4..], ids[..4]);
    let explained = stdout(&run_in(&dir, &["explain", "memoryLimit"]));
    assert!(
        explained.starts_with("memoryLimit — Memory limits are set\n"),
        "{explained}"
    );
    assert!(explained.contains("polaris.yaml:"), "{explained}");
}

#[test]
fn polaris_schemas_are_templated_and_checks_narrowed_as_polaris_does() {
    let dir = fixtures().join("polaris-templates");
    let ids = [
        "nameLabel",
        "selectorMatchesLabels",
        "imageNamedAfterContainer",
        "initContainersPinned",
        "cpuLimits",
        "brokenTemplate",
    ];
    let output = run_in(&dir, &["lint", "--format", "line", "."]);
    insta::assert_snapshot!(lines_of(&stdout(&output), &ids));
}

#[test]
fn a_polaris_check_with_a_bad_schema_is_a_configuration_error() {
    let config = (".kubepatrol.yaml", "polarisConfig: polaris.yaml\n");
    assert_configuration_error(
        &[
            config,
            (
                "polaris.yaml",
                "checks:\n  broken: danger\ncustomChecks:\n  broken:\n    target: Container\n    jsonSchema: '{\"type\": 3}'\n",
            ),
        ],
        "polaris.yaml:6:17: error: invalid JSON Schema",
    );
    assert_configuration_error(
        &[config],
        ".kubepatrol.yaml:1:16: error: cannot read the Polaris configuration `polaris.yaml`",
    );
    assert_configuration_error(
        &[
            config,
            (
                "polaris.yaml",
                "checks:\n  pinned: danger\ncustomChecks:\n  pinned:\n    target: Container\n    containers: {exclude: [sidecar]}\n    schema: {}\n",
            ),
        ],
        "polaris.yaml:6:28: error: an entry of `containers.exclude` is `initContainer` or `container`",
    );
    assert_configuration_error(
        &[
            config,
            (
                "polaris.yaml",
                "checks:\n  both: danger\ncustomChecks:\n  both:\n    target: Pod\n    schema: {}\n    schemaString: 'type: object'\n",
            ),
        ],
        "polaris.yaml:7:5: error: a Polaris custom check has only one of `schema`, `schemaString` and `jsonSchema`",
    );
}

#[test]
fn the_configuration_names_policy_rules() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join(".kubepatrol.yaml");
    let admission = fixtures().join("admission");
    let lint = |text: &str| {
        std::fs::write(&config, text).unwrap();
        let config = config.to_str().unwrap();
        run_in(
            &admission,
            &["lint", "--format", "line", "--config", config, "."],
        )
    };
    let output = lint(
        "checks:\n  REPLICA-LIMIT: warning\nexemptions:\n- kind: Deployment\n  checks: [pinned-images]\n  reason: digests come later\n",
    );
    let lines = lines_of(&stdout(&output), &["replica-limit", "pinned-images"]);
    assert_eq!(
        lines,
        "objects.yaml:28:13: warning: replicas 5 exceed the limit 3 (Deployment shop/api) [replica-limit]"
    );
    let output = lint("checks:\n  replica-limit: ignore\n  no-such-policy/rule: danger\n");
    assert_eq!(output.status.code(), Some(2));
    let report = stdout(&output);
    let errors: Vec<&str> = report
        .lines()
        .filter(|line| line.contains("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{report}");
    assert!(
        errors[0].ends_with(
            "/.kubepatrol.yaml:3:3: error: unknown check `no-such-policy/rule`; `kubepatrol checks` lists them [invalid-config]"
        ),
        "{report}"
    );
}

#[test]
fn checks_and_explain_know_the_rules_of_the_configured_policies() {
    let dir = tempfile::tempdir().unwrap();
    let library = fixtures().join("policies/policies/workloads.yaml");
    std::fs::write(
        dir.path().join(".kubepatrol.yaml"),
        format!("policies: [{}]\n", library.display()),
    )
    .unwrap();
    assert_eq!(
        checks_listed_after_the_built_in_ones(dir.path()),
        ["workload-rules/host-network", "workload-rules/team-label"]
    );
    let explained = stdout(&run_in(
        dir.path(),
        &["explain", "workload-rules/team-label"],
    ));
    assert!(
        explained.starts_with("workload-rules/team-label — "),
        "{explained}"
    );
}
