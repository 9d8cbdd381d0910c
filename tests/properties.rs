//! Property tests: generated valid workloads always parse, and findings do not depend on the
//! number of threads.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

use kubepatrol::evaluate::evaluate;
use kubepatrol::model::object::{Object, objects_of};
use kubepatrol::source::FileId;
use kubepatrol::yaml::{Limits, parse};
use proptest::prelude::*;

/// YAML 1.1 spellings of booleans, as people write them.
fn boolean() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "true", "false", "yes", "no", "on", "off", "True", "FALSE", "y", "n",
    ])
}

fn optional_line(
    key: &'static str,
    value: impl Strategy<Value = String>,
) -> impl Strategy<Value = String> {
    prop::option::of(value)
        .prop_map(move |value| value.map(|v| format!("{key}: {v}")).unwrap_or_default())
}

fn security_context() -> impl Strategy<Value = Vec<String>> {
    (
        optional_line("runAsUser", (0i64..70_000).prop_map(|n| n.to_string())),
        optional_line("runAsNonRoot", boolean().prop_map(str::to_owned)),
        optional_line("privileged", boolean().prop_map(str::to_owned)),
        optional_line(
            "allowPrivilegeEscalation",
            boolean().prop_map(str::to_owned),
        ),
        optional_line("readOnlyRootFilesystem", boolean().prop_map(str::to_owned)),
        optional_line(
            "capabilities",
            prop::sample::subsequence(vec!["NET_ADMIN", "cap_sys_admin", "CHOWN", "all"], 0..3)
                .prop_map(|caps| format!("{{add: [{}]}}", caps.join(", "))),
        ),
    )
        .prop_map(|(a, b, c, d, e, f)| {
            vec![a, b, c, d, e, f]
                .into_iter()
                .filter(|l| !l.is_empty())
                .collect()
        })
}

fn container(index: usize) -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["nginx", "nginx:1.25", "reg:5000/app", "app@sha256:abc", "busybox:latest"]),
        security_context(),
        prop::option::of(prop::sample::select(vec!["100m", "0", "1", "\"\"", "~"])),
        any::<bool>(),
        prop::option::of(0u16..3),
    )
        .prop_map(move |(image, security, cpu, probe, host_port)| {
            let mut text = format!("        - name: c{index}\n          image: {image}\n");
            if !security.is_empty() {
                text.push_str("          securityContext:\n");
                for line in security {
                    text.push_str(&format!("            {line}\n"));
                }
            }
            if let Some(cpu) = cpu {
                text.push_str(&format!("          resources:\n            limits:\n              cpu: {cpu}\n"));
            }
            if probe {
                text.push_str("          readinessProbe:\n            tcpSocket: {port: 80}\n");
            }
            if let Some(port) = host_port {
                text.push_str(&format!("          ports:\n            - containerPort: 80\n              hostPort: {port}\n"));
            }
            text
        })
}

fn workload() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["Deployment", "StatefulSet", "DaemonSet", "Job"]),
        boolean(),
        prop::collection::vec(0usize..1, 1..4),
        security_context(),
    )
        .prop_flat_map(|(kind, host_network, containers, pod_security)| {
            let count = containers.len();
            let containers: Vec<_> = (0..count).map(container).collect();
            (Just(kind), Just(host_network), containers, Just(pod_security))
        })
        .prop_map(|(kind, host_network, containers, pod_security)| {
            let mut text = format!(
                "apiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: generated\nspec:\n  template:\n    spec:\n      hostNetwork: {host_network}\n"
            );
            if !pod_security.is_empty() {
                text.push_str("      securityContext:\n");
                for line in pod_security {
                    text.push_str(&format!("        {line}\n"));
                }
            }
            text.push_str("      containers:\n");
            for container in containers {
                text.push_str(&container);
            }
            text
        })
}

fn objects(text: &str) -> Vec<Object> {
    let parsed = parse(FileId(0), text, Limits::default());
    assert!(parsed.errors.is_empty(), "{:?}\n{text}", parsed.errors);
    let (objects, diagnostics) = objects_of(FileId(0), &parsed.documents);
    assert!(diagnostics.is_empty());
    objects
}

/// Every finding as (check, primary span start, label count), in output order.
fn findings_with(threads: usize, objects: &[Object]) -> Vec<(&'static str, u32, usize)> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("pool");
    let evaluation =
        pool.install(|| evaluate(objects, kubepatrol::rules::all(), &Default::default()));
    assert!(
        evaluation.diagnostics.is_empty(),
        "{:?}",
        evaluation.diagnostics
    );
    evaluation
        .findings
        .iter()
        .map(|f| (f.rule.meta.id, f.primary().start, f.labels.len()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn generated_workloads_parse_and_are_checked(text in workload()) {
        let objects = objects(&text);
        prop_assert_eq!(objects.len(), 1);
        prop_assert!(!findings_with(1, &objects).is_empty());
    }

    #[test]
    fn findings_do_not_depend_on_the_thread_count(texts in prop::collection::vec(workload(), 1..12)) {
        let all: Vec<Object> = texts.iter().flat_map(|text| objects(text)).collect();
        prop_assert_eq!(findings_with(1, &all), findings_with(2, &all));
    }
}
