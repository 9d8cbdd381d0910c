//! The problem matcher shipped for editors and GitHub reads kubepatrol's real `line` output.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic
)]

mod common;

use std::fs;

use regex::Regex;

fn matcher() -> Regex {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".github/kubepatrol-matcher.json");
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(path).expect("matcher")).expect("JSON");
    let pattern = &json["problemMatcher"][0]["pattern"][0];
    assert_eq!(
        [
            &pattern["file"],
            &pattern["line"],
            &pattern["column"],
            &pattern["severity"],
            &pattern["message"],
            &pattern["code"]
        ],
        [1, 2, 3, 4, 5, 6].map(serde_json::Value::from).each_ref()
    );
    Regex::new(pattern["regexp"].as_str().expect("regexp")).expect("a valid regex")
}

fn captures(matcher: &Regex, line: &str) -> Vec<String> {
    let caps = matcher
        .captures(line)
        .unwrap_or_else(|| panic!("no match: {line}"));
    (1..=6)
        .map(|i| caps.get(i).map_or("", |m| m.as_str()).to_owned())
        .collect()
}

#[test]
fn the_matcher_reads_real_output_including_spaces_and_drive_letters() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = temp.path().join("dir with spaces");
    fs::create_dir(&dir).expect("mkdir");
    fs::write(
        dir.join("pod file.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  hostNetwork: true\n  containers: [{name: a, image: [x]}]\n---\na: [\n",
    )
    .expect("write");
    let output = common::run_in(temp.path(), &["lint", "--format", "line", "."]);
    let text = common::stdout(&output);
    let matcher = matcher();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() >= 2, "{text}");
    for line in &lines {
        let fields = captures(&matcher, line);
        assert_eq!(fields[0], "dir with spaces/pod file.yaml", "{line}");
        assert!(fields[1].parse::<u32>().is_ok() && fields[2].parse::<u32>().is_ok());
        assert!(["error", "danger", "warning"].contains(&fields[3].as_str()));
        assert!(!fields[4].is_empty() && !fields[5].is_empty());
    }
    assert!(lines.iter().any(|l| l.ends_with("[invalid-field-type]")));
    let windows = r#"C:\work\repo\deploy\app.yaml:12:7: danger: The container runs in privileged mode (`privileged` is true) (container "a" of Pod p) [runAsPrivileged]"#;
    assert_eq!(
        captures(&matcher, windows),
        [
            r"C:\work\repo\deploy\app.yaml",
            "12",
            "7",
            "danger",
            r#"The container runs in privileged mode (`privileged` is true) (container "a" of Pod p)"#,
            "runAsPrivileged"
        ]
    );
}

/// The Zed extension's manifest registers the language server id that `src/lib.rs` reads its
/// settings under (the id users write in Zed's settings), for the languages `kubepatrol lsp` reads.
#[test]
fn the_zed_extension_registers_its_server_for_yaml_and_json_under_the_id_it_reads() {
    let zed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("editors/zed");
    let manifest: toml_edit::DocumentMut = fs::read_to_string(zed.join("extension.toml"))
        .expect("extension.toml")
        .parse()
        .expect("TOML");
    assert_eq!(manifest["schema_version"].as_integer(), Some(1));
    let servers = manifest["language_servers"]
        .as_table()
        .expect("[language_servers]");
    let ids: Vec<&str> = servers.iter().map(|(id, _)| id).collect();
    assert_eq!(ids, ["kubepatrol"]);
    let languages: Vec<&str> = servers["kubepatrol"]["languages"]
        .as_array()
        .expect("languages")
        .iter()
        .map(|language| language.as_str().expect("a language name"))
        .collect();
    assert_eq!(languages, ["YAML", "JSON"]);

    let source = fs::read_to_string(zed.join("src/lib.rs")).expect("src/lib.rs");
    let server_id = Regex::new(r#"const SERVER_ID: &str = "([^"]*)";"#)
        .expect("regex")
        .captures(&source)
        .expect("src/lib.rs declares SERVER_ID");
    assert_eq!(&server_id[1], "kubepatrol");
    assert!(source.contains(r#"worktree.which("kubepatrol")"#));
    assert!(source.contains(r#"vec!["lsp".to_owned()]"#));
}
