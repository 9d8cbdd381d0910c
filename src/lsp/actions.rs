//! Code actions and hover for one analysed document. Fixes are `fix`'s own plans (the same
//! edits `kubepatrol fix` writes), made for one finding or for every safe one of the file;
//! exemptions are `fix::exemption`'s annotation edits.

use std::collections::HashMap;

use lsp_types::{
    CodeAction, CodeActionKind, Hover, HoverContents, MarkupContent, MarkupKind, Range, TextEdit,
    Uri, WorkspaceEdit,
};

use super::check::Analysis;
use super::text::{Encoding, Text};
use super::uri;
use crate::fix::{self, FileFix, FixOptions};
use crate::rules::{self, Applicability};
use crate::yaml::Node;

/// The kind of the "fix all safe findings" action, as editors' fix-on-save settings name it.
pub(crate) const FIX_ALL: &str = "source.fixAll.kubepatrol";

/// The actions for the findings whose range meets `range`, then "fix all safe findings".
pub(crate) fn code_actions(
    analysis: &Analysis,
    document: &Uri,
    range: Range,
    encoding: Encoding,
) -> Vec<CodeAction> {
    let mut actions = Vec::new();
    for ((members, shown), diagnostic) in analysis.shown.iter().zip(&analysis.diagnostics) {
        if !overlaps(*shown, range) {
            continue;
        }
        if let Some(action) = fix_one(analysis, document, members, encoding) {
            actions.push(CodeAction {
                diagnostics: Some(vec![diagnostic.clone()]),
                ..action
            });
        }
        let first = members.first().copied().unwrap_or(usize::MAX);
        if let Some(action) = exempt_one(analysis, document, first, encoding) {
            actions.push(CodeAction {
                diagnostics: Some(vec![diagnostic.clone()]),
                ..action
            });
        }
    }
    if let Some(action) = fix_all_safe(analysis, document, encoding) {
        actions.push(action);
    }
    actions
}

fn overlaps(a: Range, b: Range) -> bool {
    a.start <= b.end && b.start <= a.end
}

/// The fix of one shown finding: of all its members, since the value they share is edited only
/// when every overlay that renders it asks for the same edit.
fn fix_one(
    analysis: &Analysis,
    document: &Uri,
    members: &[usize],
    encoding: Encoding,
) -> Option<CodeAction> {
    let found = analysis.outcome.findings.get(*members.first()?)?;
    let meta = &found.rule.meta;
    let plan = plan(analysis, members.to_vec(), true);
    if plan.fixed() == 0 {
        return None;
    }
    let mut title = format!("Fix {}", meta.id);
    if plan.files.iter().any(adds_placeholder) {
        title.push_str(" with a TODO placeholder to review");
    }
    if let (Applicability::Unsafe, Some(review)) = (meta.applicability, meta.review) {
        title.push_str(&format!(" (unsafe: {review})"));
    }
    Some(CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        is_preferred: Some(meta.applicability == Applicability::Safe),
        edit: Some(workspace_edit(analysis, document, &plan.files, encoding)),
        ..Default::default()
    })
}

fn exempt_one(
    analysis: &Analysis,
    document: &Uri,
    finding: usize,
    encoding: Encoding,
) -> Option<CodeAction> {
    let found = analysis.outcome.findings.get(finding)?;
    let edit = fix::exemption::exempt(&analysis.outcome, finding)
        .ok()
        .filter(|edit| analysis.is_document(edit.file))?;
    Some(CodeAction {
        title: format!(
            "Exempt {} from {} (annotation; write the reason)",
            found.subject(),
            found.rule.meta.id
        ),
        kind: Some(CodeActionKind::QUICKFIX),
        edit: Some(workspace_edit(analysis, document, &[edit], encoding)),
        ..Default::default()
    })
}

fn fix_all_safe(analysis: &Analysis, document: &Uri, encoding: Encoding) -> Option<CodeAction> {
    let findings = analysis
        .shown
        .iter()
        .flat_map(|(members, _)| members.iter().copied())
        .collect();
    let plan = plan(analysis, findings, false);
    let fixed = plan.fixed();
    if fixed == 0 {
        return None;
    }
    Some(CodeAction {
        title: format!(
            "Fix all safe kubepatrol findings in this file ({fixed} {})",
            if fixed == 1 { "finding" } else { "findings" }
        ),
        kind: Some(CodeActionKind::from(FIX_ALL)),
        edit: Some(workspace_edit(analysis, document, &plan.files, encoding)),
        ..Default::default()
    })
}

/// `fix`'s plan for `findings`. Placeholders are written (as `--with-placeholders` does): in
/// an editor the `TODO(kubepatrol)` they carry is in front of the user.
fn plan(analysis: &Analysis, findings: Vec<usize>, unsafe_fixes: bool) -> fix::Plan {
    fix::plan(
        &analysis.outcome,
        &analysis.settings,
        &FixOptions {
            findings: Some(findings),
            unsafe_fixes,
            with_placeholders: true,
            scope: vec![analysis.path.clone()],
            ..FixOptions::default()
        },
    )
}

fn adds_placeholder(file: &FileFix) -> bool {
    const TODO: &str = "TODO(kubepatrol)";
    file.after.matches(TODO).count() > file.before.matches(TODO).count()
}

/// The edited files as text edits: one edit per file, spanning what changed (the plan's edits
/// of one finding are next to each other).
// `WorkspaceEdit` keys its changes by `Uri`, which hashes and compares its text alone.
#[allow(clippy::mutable_key_type)]
fn workspace_edit(
    analysis: &Analysis,
    document: &Uri,
    files: &[FileFix],
    encoding: Encoding,
) -> WorkspaceEdit {
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for file in files {
        let target = if analysis.is_document(file.file) {
            Some(document.clone())
        } else {
            let path = std::path::Path::new(&file.path);
            uri::from_path(&std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
        };
        let Some(target) = target else { continue };
        changes
            .entry(target)
            .or_default()
            .push(text_edit(&file.before, &file.after, encoding));
    }
    WorkspaceEdit::new(changes)
}

/// The one edit that turns `before` into `after`: what lies between their common prefix and
/// suffix (on character boundaries).
pub(crate) fn text_edit(before: &str, after: &str, encoding: Encoding) -> TextEdit {
    let mut prefix = before
        .bytes()
        .zip(after.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !(before.is_char_boundary(prefix) && after.is_char_boundary(prefix)) {
        prefix -= 1;
    }
    let room = before.len().min(after.len()) - prefix;
    let mut suffix = before
        .bytes()
        .rev()
        .zip(after.bytes().rev())
        .take(room)
        .take_while(|(a, b)| a == b)
        .count();
    while !(before.is_char_boundary(before.len() - suffix)
        && after.is_char_boundary(after.len() - suffix))
    {
        suffix -= 1;
    }
    let text = Text::new(before.to_owned());
    TextEdit::new(
        text.range(prefix, before.len() - suffix, encoding),
        after
            .get(prefix..after.len() - suffix)
            .unwrap_or_default()
            .to_owned(),
    )
}

/// Hover at `offset` of the document: a check's explanation on a flagged field, the check an
/// ignore annotation names on its id.
pub(crate) fn hover(analysis: &Analysis, offset: usize) -> Option<Hover> {
    let contains = |span: crate::source::Span| {
        analysis.is_document(span.file)
            && span.start as usize <= offset
            && offset <= span.end as usize
    };
    let flagged = analysis.shown.iter().find_map(|(members, _)| {
        let found = analysis.outcome.findings.get(*members.first()?)?;
        found
            .labels
            .iter()
            .any(|label| contains(label.span))
            .then_some(found)
    });
    let markdown = match flagged {
        Some(finding) => without_front_matter(finding.rule.meta.document).to_owned(),
        None => {
            let id = analysis
                .outcome
                .inspected
                .iter()
                .filter(|object| analysis.is_document(object.root.span.file))
                .find_map(|object| {
                    let text = &analysis.outcome.sources.get(object.root.span.file)?.text;
                    annotated_check(&object.root, text, offset)
                })?;
            let check = rules::find(&id)?;
            format!(
                "`{}` ({}): {}\n\n{}",
                check.meta.id,
                check.meta.severity.as_str(),
                check.meta.title,
                check.meta.risk
            )
        }
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: markdown,
        }),
        range: None,
    })
}

fn without_front_matter(document: &str) -> &str {
    document
        .strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map_or(document, |(_, body)| body.trim_start())
}

/// The word under `offset` in the value of an ignore annotation of `root`.
fn annotated_check(root: &Node, text: &str, offset: usize) -> Option<String> {
    let annotations = root.get("metadata")?.get("annotations")?.as_map()?;
    let value = annotations.iter().find_map(|entry| {
        let key = entry.key.as_str()?;
        let ignore = key == fix::exemption::annotation_key(None)
            || key.starts_with(&fix::exemption::annotation_key(Some("")));
        let span = entry.value.span;
        (ignore && span.start as usize <= offset && offset <= span.end as usize).then_some(span)
    })?;
    let is_id = |c: char| c.is_ascii_alphanumeric();
    let before = text.get(value.start as usize..offset)?;
    let after = text.get(offset..value.end as usize)?;
    let start = before.len()
        - before
            .chars()
            .rev()
            .take_while(|&c| is_id(c))
            .map(char::len_utf8)
            .sum::<usize>();
    let end = after
        .chars()
        .take_while(|&c| is_id(c))
        .map(char::len_utf8)
        .sum::<usize>();
    let word = format!("{}{}", before.get(start..)?, after.get(..end)?);
    (!word.is_empty()).then_some(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_edit_covers_only_what_changed() {
        let edit = text_edit("a: 1\nb: é\n", "a: 1\nb: è\nc: 3\n", Encoding::Utf16);
        assert_eq!(edit.new_text, "è\nc: 3");
        assert_eq!(edit.range.start, lsp_types::Position::new(1, 3));
        assert_eq!(edit.range.end, lsp_types::Position::new(1, 4));
        let same = text_edit("x", "x", Encoding::Utf8);
        assert_eq!(same.new_text, "");
        assert_eq!(same.range.start, same.range.end);
    }

    #[test]
    fn front_matter_is_not_shown() {
        assert_eq!(without_front_matter("---\nid: x\n---\n\n# T\n"), "# T\n");
        assert_eq!(without_front_matter("# T\n"), "# T\n");
    }
}
