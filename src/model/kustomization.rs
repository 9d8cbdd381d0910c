//! What a kustomization file refers to, and how inline patches are read, without any I/O: the
//! loader uses [`references`] to know which files to read, the renderer to look them up.

use std::path::{Component, Path, PathBuf};

use crate::source::{SourceFile, Span};
use crate::yaml::{self, Entry, Limits, Node, Value, YamlError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Resource,
    Component,
    Patch,
}

/// A path written in a kustomization, and what it is for.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reference<'a> {
    pub path: &'a str,
    pub role: Role,
}

/// Every local or remote path the kustomization names, in the order kustomize reads them.
pub(crate) fn references(root: &Node) -> Vec<Reference<'_>> {
    let mut found = Vec::new();
    for (key, role) in [
        ("resources", Role::Resource),
        ("bases", Role::Resource),
        ("components", Role::Component),
    ] {
        for item in items(root, key) {
            if let Some(path) = item.as_str() {
                found.push(Reference { path, role });
            }
        }
    }
    for item in items(root, "patchesStrategicMerge") {
        if let Some(path) = item.as_str().filter(|text| !is_inline_patch(text)) {
            found.push(Reference {
                path,
                role: Role::Patch,
            });
        }
    }
    for key in ["patches", "patchesJson6902"] {
        for item in items(root, key) {
            if let Some(node) = item.get("path")
                && let Some(path) = node.as_str()
            {
                found.push(Reference {
                    path,
                    role: Role::Patch,
                });
            }
        }
    }
    found
}

/// The items of the sequence at `key`, none when absent or not a sequence.
pub(crate) fn items<'a>(root: &'a Node, key: &str) -> &'a [Node] {
    root.get(key).and_then(Node::as_seq).unwrap_or_default()
}

/// A patch document is a JSON 6902 patch when it is a list of operations, a strategic merge
/// patch otherwise (as kustomize decides).
pub(crate) fn is_json_patch(document: &Node) -> bool {
    document.as_seq().is_some()
}

/// A `patchesStrategicMerge` item is either a file path or the patch itself.
pub(crate) fn is_inline_patch(text: &str) -> bool {
    text.contains('\n') || text.contains(": ")
}

/// URLs and git references (`https://…`, `github.com/org/repo//dir?ref=v1`, `git@…`).
pub(crate) fn is_remote(path: &str) -> bool {
    path.contains("://")
        || path.starts_with("git@")
        || path.starts_with("git::")
        || path.contains("?ref=")
        || ["github.com/", "gitlab.com/", "bitbucket.org/"]
            .iter()
            .any(|host| path.starts_with(host))
}

/// `dir/relative` with `.` and `..` resolved lexically, as kustomize resolves relative paths.
pub(crate) fn join(dir: &Path, relative: &str) -> PathBuf {
    normalize(&dir.join(relative))
}

pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut parts: Vec<Component<'_>> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match parts.last() {
                Some(Component::Normal(_)) => {
                    parts.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => parts.push(component),
            },
            other => parts.push(other),
        }
    }
    parts.iter().collect()
}

/// Parse a patch written as a string inside the kustomization (`patch: |` or an inline
/// `patchesStrategicMerge` item). Spans point into the kustomization file: for a literal block
/// scalar (`|`) every content line is the source line minus its indentation, so positions are
/// exact; for folded (`>`), quoted and plain strings, where folding and escapes break that
/// correspondence, every node points at the whole string.
pub(crate) fn parse_inline(
    node: &Node,
    source: Option<&SourceFile>,
) -> (Vec<Node>, Vec<YamlError>) {
    let text = node.as_str().unwrap_or_default();
    let parsed = yaml::parse(node.span.file, text, Limits::default());
    let lines = source.and_then(|source| LiteralLines::new(node, text, source));
    let place = |span: Span| match &lines {
        Some(lines) => Span {
            file: span.file,
            start: lines.map(span.start),
            end: lines.map(span.end),
        },
        None => node.span,
    };
    let documents = parsed
        .documents
        .iter()
        .map(|document| respan(&document.root, &place))
        .collect();
    let errors = parsed
        .errors
        .into_iter()
        .map(|error| YamlError {
            span: place(error.span),
            ..error
        })
        .collect();
    (documents, errors)
}

fn respan(node: &Node, place: &dyn Fn(Span) -> Span) -> Node {
    let value = match &node.value {
        Value::Seq(items) => Value::Seq(items.iter().map(|item| respan(item, place)).collect()),
        Value::Map(entries) => Value::Map(
            entries
                .iter()
                .map(|entry| Entry {
                    key: respan(&entry.key, place),
                    value: respan(&entry.value, place),
                })
                .collect(),
        ),
        other => other.clone(),
    };
    Node {
        span: place(node.span),
        value,
    }
}

/// Where each line of a literal block scalar's content starts in the source.
struct LiteralLines {
    /// (offset in the content, offset in the source, length of the line)
    lines: Vec<(u32, u32, u32)>,
}

impl LiteralLines {
    fn new(node: &Node, text: &str, source: &SourceFile) -> Option<Self> {
        // The scalar's span starts at its first content line; the header (`|`, `|-`, `|2+`)
        // ends the line before.
        let first_line = source.position(node.span.start).line;
        let header = source.line_text(first_line.checked_sub(1)?);
        let header = header.split(" #").next().unwrap_or(header);
        let indicator = header.split_whitespace().last()?;
        if !indicator.starts_with('|') {
            return None;
        }
        let mut lines = Vec::new();
        let mut content_offset = 0usize;
        let body = text.strip_suffix('\n').unwrap_or(text);
        for (index, line) in body.split('\n').enumerate() {
            let number = first_line + index;
            let written = source.line_text(number);
            if !written.ends_with(line) {
                return None;
            }
            let start = source.offset_of(number, 0) + (written.len() - line.len());
            lines.push((
                u32::try_from(content_offset).ok()?,
                u32::try_from(start).ok()?,
                u32::try_from(line.len()).ok()?,
            ));
            content_offset += line.len() + 1;
        }
        Some(LiteralLines { lines })
    }

    fn map(&self, offset: u32) -> u32 {
        let index = self
            .lines
            .partition_point(|&(start, _, _)| start <= offset)
            .saturating_sub(1);
        self.lines.get(index).map_or(0, |&(start, source, len)| {
            source + (offset - start).min(len)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn kustomization(text: &str) -> (SourceFile, Node) {
        let root = yaml::parse(FileId(0), text, Limits::default()).documents[0]
            .root
            .clone();
        (SourceFile::new("k".into(), text.into()), root)
    }

    #[test]
    fn references_cover_resources_components_and_patch_files() {
        let (_, root) = kustomization(
            "resources: [a.yaml, ../base]\nbases: [old]\ncomponents: [c]\npatchesStrategicMerge:\n- p.yaml\n- |\n  kind: X\npatches:\n- path: q.yaml\n- patch: 'x: 1'\npatchesJson6902:\n- path: j.yaml\n",
        );
        let paths: Vec<_> = references(&root).iter().map(|r| r.path).collect();
        assert_eq!(
            paths,
            [
                "a.yaml", "../base", "old", "c", "p.yaml", "q.yaml", "j.yaml"
            ]
        );
    }

    #[test]
    fn literal_block_patches_point_into_the_kustomization() {
        let text = "patches:\n- patch: |-\n    - op: add\n      path: /spec/x\n      value: 1\n";
        let (source, root) = kustomization(text);
        let patch = items(&root, "patches")[0].get("patch").expect("patch");
        let (documents, errors) = parse_inline(patch, Some(&source));
        assert!(errors.is_empty());
        let value = documents[0].as_seq().expect("ops")[0]
            .get("value")
            .expect("value");
        assert_eq!(
            source.position(value.span.start),
            crate::source::Position {
                line: 5,
                column: 14
            }
        );
        let folded = "patches:\n- patch: >\n    a: 1\n";
        let (source, root) = kustomization(folded);
        let patch = items(&root, "patches")[0].get("patch").expect("patch");
        let (documents, _) = parse_inline(patch, Some(&source));
        assert_eq!(documents[0].get("a").expect("a").span, patch.span);
    }

    #[test]
    fn remote_and_local_paths() {
        assert!(is_remote("https://example.com/x.yaml"));
        assert!(is_remote("github.com/org/repo//dir?ref=v1"));
        assert!(!is_remote("../base"));
        assert_eq!(join(Path::new("a/b"), "../../c/./d"), PathBuf::from("c/d"));
        assert_eq!(join(Path::new("a"), "../../c"), PathBuf::from("../c"));
    }
}
