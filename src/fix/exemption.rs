//! Exempting a workload or one of its containers from a check: the `kubepatrol.io/ignore`
//! (or `kubepatrol.io/ignore.<container>`) annotation with the check's id, and a reason for a
//! human to write. An editor offers it next to the fix; it is never applied by `fix`.
//!
//! Only block-style metadata is edited: new lines go after the last annotation (or, without
//! annotations, after the last key of `metadata`) at its indentation. An id already listed, a
//! flow-style or JSON mapping, or an object written by a Kustomize patch is refused.

use std::sync::Arc;

use super::FileFix;
use super::edit::{Edit, apply, column, next_line_start};
use crate::exempt::{IGNORE, IGNORE_CONTAINER_PREFIX, IGNORE_REASON};
use crate::pipeline::Outcome;
use crate::yaml::{Entry, Node};

/// What a reason placeholder says, for the human who must replace it.
const REASON_PLACEHOLDER: &str = "TODO(kubepatrol): why this check does not apply";

/// The annotation key that exempts the finding's container (or its workload).
pub fn annotation_key(container: Option<&str>) -> String {
    match container {
        Some(name) => format!("{IGNORE_CONTAINER_PREFIX}{name}"),
        None => IGNORE.to_owned(),
    }
}

/// The edit of the file that wrote the finding's object, exempting it from the finding's check
/// (for its container alone when it has a name).
pub fn exempt(outcome: &Outcome, finding: usize) -> Result<FileFix, String> {
    let finding = outcome
        .findings
        .get(finding)
        .ok_or_else(|| "the finding was not found".to_owned())?;
    if !finding.via.is_empty() {
        return Err("rendered through Kustomize: annotate the object in its overlay".into());
    }
    let object = outcome
        .inspected
        .iter()
        .find(|inspected| Arc::ptr_eq(&inspected.id, &finding.object))
        .ok_or_else(|| "the object was not found".to_owned())?;
    let file = object.root.span.file;
    let source = outcome
        .sources
        .get(file)
        .ok_or_else(|| "the object's file was not found".to_owned())?;
    let container = finding
        .container
        .as_ref()
        .and_then(|container| container.name.as_deref());
    let key = annotation_key(container);
    let edit = annotation_edit(&source.text, &object.root, &key, finding.rule.meta.id)?;
    let after = apply(&source.text, std::slice::from_ref(&edit))
        .ok_or_else(|| "the edit does not fit the text".to_owned())?;
    Ok(FileFix {
        file,
        path: source.display.clone(),
        before: source.text.clone(),
        after,
    })
}

/// Add `check` to the annotation `key` of the object `root` written in `text`.
fn annotation_edit(text: &str, root: &Node, key: &str, check: &str) -> Result<Edit, String> {
    let metadata = block_map(text, root.get("metadata"))
        .ok_or_else(|| "the object has no block-style `metadata` to annotate".to_owned())?;
    let annotations = root
        .get("metadata")
        .and_then(|metadata| metadata.get("annotations"));
    let Some(annotations) = annotations else {
        if metadata
            .iter()
            .any(|entry| entry.key.as_str() == Some("annotations"))
        {
            return Err("`annotations` is written but empty".into());
        }
        let indent = indent_of(text, metadata)?;
        let lines = format!(
            "{pad}annotations:\n{}",
            annotation_lines(key, check, indent + 2, true),
            pad = " ".repeat(indent)
        );
        return Ok(insert_lines(text, metadata, lines));
    };
    let entries = block_map(text, Some(annotations))
        .ok_or_else(|| "`annotations` is not a block-style mapping".to_owned())?;
    if let Some(existing) = entries.iter().find(|entry| entry.key.as_str() == Some(key)) {
        let listed = existing
            .value
            .as_str()
            .ok_or_else(|| format!("`{key}` is not a string"))?;
        if listed
            .split(',')
            .any(|id| id.trim().eq_ignore_ascii_case(check))
        {
            return Err(format!("`{key}` already lists {check}"));
        }
        let value = quoted(&format!("{}, {check}", listed.trim()));
        let span = existing.value.span;
        return Ok(Edit::replace(span.start as usize, span.end as usize, value));
    }
    let has_reason = entries
        .iter()
        .any(|entry| entry.key.as_str() == Some(IGNORE_REASON));
    let indent = indent_of(text, entries)?;
    Ok(insert_lines(
        text,
        entries,
        annotation_lines(key, check, indent, !has_reason),
    ))
}

/// The entries of a block mapping written in this text (not flow style, not made by a patch).
fn block_map<'n>(text: &str, node: Option<&'n Node>) -> Option<&'n [Entry]> {
    let node = node?;
    let entries = node.as_map()?;
    let start = node.span.start as usize;
    let flow = text.get(start..).is_some_and(|rest| rest.starts_with('{'));
    let written = entries.iter().all(|entry| {
        let (start, end) = (entry.key.span.start as usize, entry.key.span.end as usize);
        entry.key.as_str()
            == text
                .get(start..end)
                .map(|key| key.trim_matches(['"', '\'']))
    });
    (!flow && written && !entries.is_empty()).then_some(entries)
}

fn indent_of(text: &str, entries: &[Entry]) -> Result<usize, String> {
    entries
        .iter()
        .map(|entry| column(text, entry.key.span.start as usize))
        .min()
        .ok_or_else(|| "the mapping is empty".to_owned())
}

fn annotation_lines(key: &str, check: &str, indent: usize, with_reason: bool) -> String {
    let pad = " ".repeat(indent);
    let mut lines = format!("{pad}{}: {}\n", quoted(key), quoted(check));
    if with_reason {
        lines.push_str(&format!(
            "{pad}{}: {}\n",
            quoted(IGNORE_REASON),
            quoted(REASON_PLACEHOLDER)
        ));
    }
    lines
}

/// A double-quoted YAML scalar (JSON's string syntax is valid YAML).
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("\"{text}\""))
}

/// Insert `lines` after the last entry of a block mapping, in the text's line breaks.
fn insert_lines(text: &str, entries: &[Entry], lines: String) -> Edit {
    let end = entries
        .iter()
        .map(|entry| entry.value.span.end.max(entry.key.span.end) as usize)
        .max()
        .unwrap_or(0);
    let at = if end > 0 && text.get(end - 1..end) == Some("\n") {
        end
    } else {
        next_line_start(text, end)
    };
    let newline = super::edit::newline(text);
    let lines = lines.replace('\n', newline);
    let lines = if at == text.len() && !text.ends_with('\n') {
        format!("{newline}{}", lines.strip_suffix(newline).unwrap_or(&lines))
    } else {
        lines
    };
    Edit::replace(at, at, lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn annotate(text: &str, key: &str) -> Result<String, String> {
        let parsed = crate::yaml::parse(FileId(0), text, Default::default());
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let root = &parsed.documents.first().expect("a document").root;
        let edit = annotation_edit(text, root, key, "hostPIDSet")?;
        apply(text, &[edit]).ok_or_else(|| "apply".into())
    }

    #[test]
    fn adds_annotations_to_metadata_with_a_reason() {
        let text = "kind: Pod\nmetadata:\n  name: p\n  labels:\n    a: b\nspec: {}\n";
        assert_eq!(
            annotate(text, IGNORE).expect("edit"),
            "kind: Pod\nmetadata:\n  name: p\n  labels:\n    a: b\n  annotations:\n    \"kubepatrol.io/ignore\": \"hostPIDSet\"\n    \"kubepatrol.io/ignore-reason\": \"TODO(kubepatrol): why this check does not apply\"\nspec: {}\n"
        );
    }

    #[test]
    fn extends_an_existing_list_or_adds_a_key_after_the_last_annotation() {
        let text = "metadata:\n  annotations:\n    kubepatrol.io/ignore: cpuLimitsMissing\n    kubepatrol.io/ignore-reason: batch\n";
        assert_eq!(
            annotate(text, IGNORE).expect("edit"),
            "metadata:\n  annotations:\n    kubepatrol.io/ignore: \"cpuLimitsMissing, hostPIDSet\"\n    kubepatrol.io/ignore-reason: batch\n"
        );
        assert_eq!(
            annotate(text, "kubepatrol.io/ignore.web").expect("edit"),
            format!("{text}    \"kubepatrol.io/ignore.web\": \"hostPIDSet\"\n")
        );
        let listed = "metadata:\n  annotations:\n    kubepatrol.io/ignore: hostPIDSet\n";
        assert!(annotate(listed, IGNORE).is_err());
        assert!(annotate("metadata: {name: p}\n", IGNORE).is_err());
    }
}
