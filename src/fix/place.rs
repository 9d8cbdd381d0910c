//! Where text goes: each function turns one change of a span-carrying tree into byte edits of
//! the text the tree was parsed from, in the style the text is written in (block mappings at
//! their indentation, flow mappings and sequences with their commas, JSON with quoted keys).
//! What cannot be written safely is an error with the reason, never a guess.

use crate::rules::Desired;
use crate::source::Span;
use crate::yaml::{Entry, Node, Value};

use super::edit::{Edit, column, line_end, line_start, next_line_start};

/// How new text is written in one file.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    /// A `.json` file: keys and strings are double-quoted, nothing is written in block style.
    pub json: bool,
    pub newline: &'static str,
}

/// What to write where keys are absent: a leaf value or a mapping of more keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Pending {
    Leaf(Desired),
    Map(Vec<(&'static str, Pending)>),
}

impl Pending {
    /// The TODO comment the written text must carry, if any value in it is a placeholder.
    pub(crate) fn todo(&self) -> Option<&'static str> {
        match self {
            Pending::Leaf(Desired::Placeholder { todo, .. }) => Some(todo),
            Pending::Leaf(_) => None,
            Pending::Map(children) => children.iter().find_map(|(_, child)| child.todo()),
        }
    }
}

pub(crate) type Placed = Result<Edit, String>;

fn slice(text: &str, start: usize, end: usize) -> &str {
    text.get(start..end).unwrap_or("")
}

fn starts_with(text: &str, offset: usize, prefix: char) -> bool {
    text.get(offset..)
        .is_some_and(|rest| rest.starts_with(prefix))
}

fn range(span: Span) -> (usize, usize) {
    (span.start as usize, span.end as usize)
}

/// A collection written in flow style (`{…}`, `[…]`); block collections start at their first
/// key or item.
pub(crate) fn is_flow(text: &str, node: &Node) -> bool {
    let start = node.span.start as usize;
    starts_with(text, start, '{') || starts_with(text, start, '[')
}

fn inside(outer: Span, inner: Span) -> bool {
    outer.file == inner.file && outer.start <= inner.start && inner.end <= outer.end
}

/// The entries written in the text of `map` itself, not merged in from elsewhere.
fn local_entries(map: &Node) -> impl Iterator<Item = &Entry> {
    map.as_map()
        .unwrap_or(&[])
        .iter()
        .filter(move |entry| inside(map.span, entry.key.span))
}

/// The end of the last text written for `node` within `bounds`: scalars and flow collections
/// end exactly where their text ends; block collections are searched. A multi-line scalar (a
/// block scalar) ends after its last line break, not in the next line's indentation.
fn written_end(text: &str, node: &Node, bounds: Span) -> Option<usize> {
    if !inside(bounds, node.span) {
        return None;
    }
    let (start, end) = range(node.span);
    match &node.value {
        Value::Map(entries) if !is_flow(text, node) => entries
            .iter()
            .flat_map(|entry| {
                [
                    written_end(text, &entry.key, bounds),
                    written_end(text, &entry.value, bounds),
                ]
            })
            .flatten()
            .max(),
        Value::Seq(items) if !is_flow(text, node) => items
            .iter()
            .filter_map(|item| written_end(text, item, bounds))
            .max(),
        _ if start == end => None,
        _ => {
            let written = slice(text, start, end);
            let trimmed = if written.contains('\n') {
                written.trim_end_matches([' ', '\t'])
            } else {
                written
            };
            Some(start + trimmed.len())
        }
    }
}

/// Replace a scalar's text.
pub(crate) fn replace_scalar(node: &Node, new_text: &str) -> Placed {
    let (start, end) = range(node.span);
    if start == end {
        return Err("the value is not written out".into());
    }
    Ok(Edit::replace(start, end, new_text))
}

/// A scalar as it is written.
fn scalar(desired: &Desired, style: Style) -> String {
    let quote = |item: &str| {
        if style.json {
            format!("\"{item}\"")
        } else {
            item.to_owned()
        }
    };
    match desired {
        Desired::Bool(flag) => flag.to_string(),
        Desired::ListIfAbsent(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|item| quote(item))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Desired::Placeholder { text, .. } => text.clone(),
    }
}

fn key_text(key: &str, quote: bool) -> String {
    if quote {
        format!("\"{key}\"")
    } else {
        key.to_owned()
    }
}

/// `{a: 1, b: {c: 2}}`, with quoted keys for JSON.
fn flow(pending: &Pending, style: Style, quote: bool) -> String {
    match pending {
        Pending::Leaf(desired) => scalar(desired, style),
        Pending::Map(children) => format!(
            "{{{}}}",
            children
                .iter()
                .map(|(key, child)| format!(
                    "{}: {}",
                    key_text(key, quote),
                    flow(child, style, quote)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Lines of block YAML for `key: pending` at `indent`; the TODO comment, if any, goes on the
/// first line.
fn block(
    out: &mut String,
    key: &str,
    pending: &Pending,
    indent: usize,
    step: usize,
    style: Style,
    comment: bool,
) {
    let todo = pending
        .todo()
        .filter(|_| comment)
        .map(|todo| format!("  # {todo}"))
        .unwrap_or_default();
    let pad = " ".repeat(indent);
    match pending {
        Pending::Leaf(desired) => {
            out.push_str(&format!(
                "{pad}{key}: {}{todo}{}",
                scalar(desired, style),
                style.newline
            ));
        }
        Pending::Map(children) => {
            out.push_str(&format!("{pad}{key}:{todo}{}", style.newline));
            for (child_key, child) in children {
                block(out, child_key, child, indent + step, step, style, false);
            }
        }
    }
}

/// The indentation step of a block mapping: how much deeper its first nested block mapping's
/// keys are; 2 when nothing shows it. A nested mapping written elsewhere (a Kustomize patch
/// replaced it) says nothing about this text.
fn step_of(text: &str, map: &Node, indent: usize) -> usize {
    local_entries(map)
        .filter(|entry| inside(map.span, entry.value.span))
        .filter(|entry| entry.value.as_map().is_some() && !is_flow(text, &entry.value))
        .find_map(|entry| {
            let child = local_entries(&entry.value).next()?;
            column(text, child.key.span.start as usize).checked_sub(indent)
        })
        .filter(|step| *step > 0)
        .unwrap_or(2)
}

/// Insert `absent` keys into `map`: after its last written entry at its indentation (block), or
/// before its closing brace (flow).
pub(crate) fn insert(
    text: &str,
    map: &Node,
    absent: &[(&'static str, Pending)],
    style: Style,
) -> Placed {
    let local: Vec<&Entry> = local_entries(map).collect();
    let written = |entry: &&Entry| {
        let (start, end) = range(entry.key.span);
        entry.key.as_str() == Some(slice(text, start, end).trim_matches(['"', '\'']))
    };
    if !local.iter().all(written) {
        // Rendering made this mapping (a JSON patch adding below a missing parent): its key
        // spans point at the patch, not at keys written in a mapping.
        return Err("the mapping is made by a Kustomize patch, not written in a file".into());
    }
    let todo = absent.iter().find_map(|(_, pending)| pending.todo());
    if is_flow(text, map) {
        if todo.is_some() {
            return Err("a flow-style mapping cannot hold the TODO(kubepatrol) comment".into());
        }
        let quote = style.json
            || local
                .first()
                .is_some_and(|entry| starts_with(text, entry.key.span.start as usize, '"'));
        let items: Vec<String> = absent
            .iter()
            .map(|(key, pending)| {
                format!("{}: {}", key_text(key, quote), flow(pending, style, quote))
            })
            .collect();
        let (start, end) = range(map.span);
        let Some(close) = end.checked_sub(1).filter(|&at| starts_with(text, at, '}')) else {
            return Err("the end of the flow mapping was not found".into());
        };
        let Some(last) = local.last() else {
            return Ok(Edit::replace(close, close, items.join(", ")));
        };
        let after = written_end(text, &last.value, map.span)
            .or_else(|| written_end(text, &last.key, map.span))
            .unwrap_or(close);
        let multi_line = slice(text, start, after).contains('\n');
        let separator = if multi_line {
            let indent = column(text, last.key.span.start as usize);
            format!(",{}{}", style.newline, " ".repeat(indent))
        } else {
            ", ".to_owned()
        };
        let joined = items.join(&separator);
        return Ok(Edit::replace(after, after, format!("{separator}{joined}")));
    }
    if style.json {
        return Err("a JSON file has no block-style mapping".into());
    }
    let (indent, at) = match local
        .iter()
        .map(|entry| column(text, entry.key.span.start as usize))
        .min()
    {
        Some(indent) => {
            let Some(last_end) = local
                .iter()
                .filter_map(|entry| {
                    written_end(text, &entry.value, map.span)
                        .max(written_end(text, &entry.key, map.span))
                })
                .max()
            else {
                return Err("the end of the mapping was not found".into());
            };
            let at = if last_end > 0 && slice(text, last_end - 1, last_end) == "\n" {
                last_end
            } else {
                next_line_start(text, last_end)
            };
            // Text the tree does not show (an alias, a `<<` line) can follow the last value.
            let last_key = local
                .iter()
                .map(|entry| entry.key.span.start as usize)
                .max()
                .unwrap_or(at);
            (indent, at.max(block_end(text, last_key)))
        }
        None => merge_only(text, map)?,
    };
    let step = step_of(text, map, indent);
    let mut lines = String::new();
    for (key, pending) in absent {
        block(&mut lines, key, pending, indent, step, style, true);
    }
    Ok(lines_at(text, at, indent, &lines, style))
}

/// Insert whole `lines` at the line start `at`. At the end of a text whose last line has no
/// line break, the break goes before the new lines instead of after them.
fn lines_at(text: &str, at: usize, indent: usize, lines: &str, style: Style) -> Edit {
    let lines = if at == text.len() && !text.ends_with('\n') {
        let body = lines.strip_suffix(style.newline).unwrap_or(lines);
        format!("{}{body}", style.newline)
    } else {
        lines.to_owned()
    };
    Edit {
        column: indent,
        ..Edit::replace(at, at, lines)
    }
}

/// The line start just after the last line of the block entry whose key starts at `key`: the
/// entry goes on while lines are indented deeper than the key, or as deep but start a sequence
/// item (an indentless sequence); blank and comment-only lines do not end it, but new lines go
/// before them.
fn block_end(text: &str, key: usize) -> usize {
    let key_column = column(text, key);
    let mut end = next_line_start(text, key);
    let mut at = end;
    while at < text.len() {
        let line = slice(text, at, line_end(text, at));
        let content = line.trim_start_matches(' ');
        let indent = line.len() - content.len();
        let blank = content.trim().is_empty() || content.starts_with('#');
        if !blank {
            let item = content == "-" || content.starts_with("- ");
            if indent < key_column || (indent == key_column && !item) {
                break;
            }
            end = next_line_start(text, at);
        }
        at = next_line_start(text, at);
    }
    end
}

/// Where new keys go in a block mapping whose only written line is `<<: *alias` (or a flow
/// list of aliases): the mapping starts at its `<<`, so new keys align with it, on the next line.
fn merge_only(text: &str, map: &Node) -> Result<(usize, usize), String> {
    let start = map.span.start as usize;
    let line = slice(text, start, line_end(text, start));
    let value = line
        .strip_prefix("<<")
        .map(str::trim_start)
        .and_then(|rest| rest.strip_prefix(':'))
        .map(str::trim_start)
        .unwrap_or("");
    let aliases_only = value.starts_with('*')
        || (value.starts_with('[') && value.contains(']') && !value.contains('{'));
    if !aliases_only {
        return Err("the mapping has no key of its own to align new keys with".into());
    }
    Ok((column(text, start), next_line_start(text, start)))
}

/// Give a key whose value is null (`key:`, `key: ~`) the pending value.
pub(crate) fn fill_null(text: &str, entry: &Entry, pending: &Pending, style: Style) -> Placed {
    let (start, end) = range(entry.value.span);
    if start != end {
        let quote = style.json || starts_with(text, entry.key.span.start as usize, '"');
        let value = flow(pending, style, quote);
        return match (pending, pending.todo()) {
            (_, None) => Ok(Edit::replace(start, end, value)),
            // `cpu: ~` becomes `cpu: 100m  # TODO…` when the line has room for the comment.
            (Pending::Leaf(_), Some(todo))
                if !style.json && slice(text, end, line_end(text, end)).trim().is_empty() =>
            {
                Ok(Edit::replace(start, end, format!("{value}  # {todo}")))
            }
            _ => Err("a flow-style value cannot hold the TODO(kubepatrol) comment".into()),
        };
    }
    // An empty value has no text of its own: write right after the key's colon.
    let Some(start) = after_colon(text, entry) else {
        return Err("the empty value is not written after its key".into());
    };
    let rest_of_line = slice(text, start, line_end(text, start)).trim();
    match pending {
        Pending::Leaf(desired) => {
            let todo = match pending.todo() {
                Some(_) if !rest_of_line.is_empty() => {
                    return Err("the line already holds a comment".into());
                }
                Some(todo) => format!("  # {todo}"),
                None => String::new(),
            };
            Ok(Edit::replace(
                start,
                start,
                format!(" {}{todo}", scalar(desired, style)),
            ))
        }
        Pending::Map(children) => {
            let indent = column(text, entry.key.span.start as usize) + 2;
            let mut lines = String::new();
            let mut comment = true;
            for (key, child) in children {
                block(&mut lines, key, child, indent, 2, style, comment);
                comment = false;
            }
            Ok(lines_at(
                text,
                next_line_start(text, start),
                indent,
                &lines,
                style,
            ))
        }
    }
}

/// The offset just past the colon that follows `entry`'s key on its line.
fn after_colon(text: &str, entry: &Entry) -> Option<usize> {
    let key_end = entry.key.span.end as usize;
    let gap = slice(text, key_end, line_end(text, key_end));
    let from_colon = gap.trim_start();
    from_colon
        .starts_with(':')
        .then(|| key_end + (gap.len() - from_colon.len()) + 1)
}

/// Delete the lines from the one holding `start` to the one holding `end`, with a trailing
/// comment: it is about the removed value.
fn delete_lines(text: &str, start: usize, end: usize) -> Placed {
    let rest = slice(text, end, line_end(text, end)).trim_start();
    if rest.is_empty() || rest.starts_with('#') {
        Ok(Edit::replace(
            line_start(text, start),
            next_line_start(text, end),
            "",
        ))
    } else {
        Err("the line holds more than the value".into())
    }
}

/// Delete item `index` of the flow collection whose items span `spans`, with one of its
/// commas: the one before it, or after it when it comes before every kept item.
fn flow_deletions(spans: &[(usize, usize)], remove: &[bool]) -> Vec<Edit> {
    let first_kept = remove.iter().position(|removed| !removed);
    let mut edits = Vec::new();
    let Some(first_kept) = first_kept else {
        if let (Some(first), Some(last)) = (spans.first(), spans.last()) {
            edits.push(Edit::replace(first.0, last.1, ""));
        }
        return edits;
    };
    for (index, removed) in remove.iter().enumerate() {
        if !removed {
            continue;
        }
        let this = spans.get(index);
        let edit = if index < first_kept {
            this.zip(spans.get(index + 1))
                .map(|(this, next)| Edit::replace(this.0, next.0, ""))
        } else {
            index
                .checked_sub(1)
                .and_then(|previous| spans.get(previous))
                .zip(this)
                .map(|(previous, this)| Edit::replace(previous.1, this.1, ""))
        };
        edits.extend(edit);
    }
    edits
}

/// Remove entry `index` of `map` (a scalar-valued entry) with its key.
pub(crate) fn remove_entry(text: &str, map: &Node, index: usize) -> Result<Vec<Edit>, String> {
    let entry = entry_at(map, index)?;
    if entry.value.as_map().is_some() || entry.value.as_seq().is_some() {
        return Err("the value is a collection".into());
    }
    delete_entry(text, map, entry)
}

/// Remove entry `index` of `map`, a sequence whose every item a fix removes: the key goes with
/// it rather than staying as `key: []`.
pub(crate) fn remove_emptied_sequence(
    text: &str,
    map: &Node,
    index: usize,
) -> Result<Vec<Edit>, String> {
    let entry = entry_at(map, index)?;
    if entry.value.as_seq().is_none() {
        return Err("the value is not a sequence".into());
    }
    delete_entry(text, map, entry)
}

fn entry_at(map: &Node, index: usize) -> Result<&Entry, String> {
    map.as_map()
        .unwrap_or(&[])
        .get(index)
        .ok_or_else(|| "the entry was not found".to_owned())
}

/// Delete `entry` of `map`, its key and its value, in the style `map` is written in.
fn delete_entry(text: &str, map: &Node, entry: &Entry) -> Result<Vec<Edit>, String> {
    let (key_start, _) = range(entry.key.span);
    // A block sequence's span reaches into the next line; its last item does not.
    let value_end =
        written_end(text, &entry.value, entry.value.span).unwrap_or(entry.value.span.end as usize);
    if is_flow(text, map) && inside(map.span, entry.key.span) {
        let local: Vec<&Entry> = local_entries(map).collect();
        let spans: Vec<(usize, usize)> = local
            .iter()
            .map(|other| (other.key.span.start as usize, other.value.span.end as usize))
            .collect();
        let remove: Vec<bool> = local
            .iter()
            .map(|other| other.key.span == entry.key.span)
            .collect();
        return Ok(flow_deletions(&spans, &remove));
    }
    let line = line_start(text, key_start);
    let prefix = slice(text, line, key_start);
    if prefix.trim().is_empty() {
        return delete_lines(text, key_start, value_end).map(|edit| vec![edit]);
    }
    if prefix.trim() == "-" {
        // The first key of a sequence item: the next key moves up behind the dash.
        let next = local_entries(map)
            .filter(|other| other.key.span.start as usize >= value_end)
            .min_by_key(|other| other.key.span.start);
        return match next {
            Some(next)
                if slice(text, value_end, next.key.span.start as usize)
                    .trim()
                    .is_empty() =>
            {
                Ok(vec![Edit::replace(
                    key_start,
                    next.key.span.start as usize,
                    "",
                )])
            }
            _ => Err("it is the only key of its sequence item".into()),
        };
    }
    Err("it shares its line with other text".into())
}

/// Remove the items at `indexes` of the sequence `seq`.
pub(crate) fn remove_items(text: &str, seq: &Node, indexes: &[usize]) -> Result<Vec<Edit>, String> {
    let items = seq.as_seq().unwrap_or(&[]);
    if is_flow(text, seq) {
        let spans: Vec<(usize, usize)> = items.iter().map(|item| range(item.span)).collect();
        let remove: Vec<bool> = (0..items.len())
            .map(|index| indexes.contains(&index))
            .collect();
        return Ok(flow_deletions(&spans, &remove));
    }
    let mut edits = Vec::new();
    for index in indexes {
        let Some(item) = items.get(*index) else {
            return Err("the item was not found".into());
        };
        let (start, end) = range(item.span);
        let line = line_start(text, start);
        let prefix = slice(text, line, start);
        if prefix.trim() != "-" || item.as_map().is_some() || item.as_seq().is_some() {
            return Err("the item does not have a line of its own".into());
        }
        edits.push(delete_lines(text, start, end)?);
    }
    Ok(edits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::edit::{apply, sort};
    use crate::source::FileId;
    use crate::yaml::{Limits, parse};

    const YAML: Style = Style {
        json: false,
        newline: "\n",
    };

    fn root(text: &str) -> Node {
        parse(FileId(0), text, Limits::default())
            .documents
            .remove(0)
            .root
    }

    fn edited(text: &str, mut edits: Vec<Edit>) -> String {
        sort(&mut edits);
        apply(text, &edits).expect("applies")
    }

    /// `map` with `securityContext.privileged: false` inserted.
    fn with_flag(text: &str, map: &Node, style: Style) -> String {
        let absent = vec![(
            "securityContext",
            Pending::Map(vec![("privileged", Pending::Leaf(Desired::Bool(false)))]),
        )];
        edited(
            text,
            vec![insert(text, map, &absent, style).expect("placed")],
        )
    }

    #[test]
    fn block_insertion_follows_the_last_entry_at_its_indentation() {
        let text = "c:\n  - name: a  # n\n    args:\n      - |\n        x\n\n    # trailing\n";
        let tree = root(text);
        let container = &tree.get("c").expect("c").as_seq().expect("seq")[0];
        assert_eq!(
            with_flag(text, container, YAML),
            "c:\n  - name: a  # n\n    args:\n      - |\n        x\n\n    securityContext:\n      privileged: false\n    # trailing\n"
        );
    }

    #[test]
    fn flow_and_json_insertions_keep_their_commas() {
        let text = "c: {name: a}\n";
        let map = root(text).get("c").expect("c").clone();
        assert_eq!(
            with_flag(text, &map, YAML),
            "c: {name: a, securityContext: {privileged: false}}\n"
        );
        let json = "{\n  \"name\": \"a\"\n}\n";
        let style = Style { json: true, ..YAML };
        assert_eq!(
            with_flag(json, &root(json), style),
            "{\n  \"name\": \"a\",\n  \"securityContext\": {\"privileged\": false}\n}\n"
        );
    }

    #[test]
    fn removals_take_their_trailing_comment_and_keep_commas() {
        let text = "a: 1\nb: true  # why\nc: [X, Y, Z]\nd: {e: 1, f: 2}\n";
        let tree = root(text);
        let mut edits = remove_entry(text, &tree, 1).expect("b");
        let c = tree.get("c").expect("c");
        edits.extend(remove_items(text, c, &[0, 2]).expect("c"));
        let d = tree.get("d").expect("d");
        edits.extend(remove_entry(text, d, 0).expect("e"));
        assert_eq!(edited(text, edits), "a: 1\nc: [Y]\nd: {f: 2}\n");
        let item = "p:\n- hostPort: 1\n  containerPort: 2\n";
        let tree = root(item);
        let port = &tree.get("p").expect("p").as_seq().expect("seq")[0];
        let edits = remove_entry(item, port, 0).expect("removed");
        assert_eq!(edited(item, edits), "p:\n- containerPort: 2\n");
    }

    #[test]
    fn an_emptied_sequence_goes_with_its_key() {
        let text = "c:\n  add:  # extra\n  - SYS_ADMIN  # needed?\n  - NET_ADMIN\n  drop: [X]\nf: {add: [A], drop: [B]}\n";
        let tree = root(text);
        let c = tree.get("c").expect("c");
        let mut edits = remove_emptied_sequence(text, c, 0).expect("add");
        let f = tree.get("f").expect("f");
        edits.extend(remove_emptied_sequence(text, f, 0).expect("flow add"));
        assert_eq!(edited(text, edits), "c:\n  drop: [X]\nf: {drop: [B]}\n");
        assert!(remove_emptied_sequence(text, c, 1).is_ok());
        assert!(
            remove_emptied_sequence(text, &tree, 0).is_err(),
            "not a sequence"
        );
    }

    #[test]
    fn null_values_are_filled_in_place() {
        let text = "a:\nb: ~\n";
        let tree = root(text);
        let entries = tree.as_map().expect("map");
        let leaf = Pending::Leaf(Desired::Bool(true));
        let edits = vec![
            fill_null(text, &entries[0], &leaf, YAML).expect("a"),
            fill_null(text, &entries[1], &leaf, YAML).expect("b"),
        ];
        assert_eq!(edited(text, edits), "a: true\nb: true\n");
        let placeholder = Pending::Leaf(Desired::Placeholder {
            text: "100m".into(),
            todo: "TODO(kubepatrol): check",
        });
        let edit = fill_null(text, &entries[1], &placeholder, YAML).expect("b");
        assert_eq!(
            edited(text, vec![edit]),
            "a:\nb: 100m  # TODO(kubepatrol): check\n"
        );
    }

    #[test]
    fn a_mapping_of_only_a_merge_gets_keys_aligned_with_its_merge_key() {
        let text = "t: &t {a: 1}\np:\n  <<: *t  # timings\nq: 2\n";
        let map = root(text).get("p").expect("p").clone();
        assert_eq!(
            with_flag(text, &map, YAML),
            "t: &t {a: 1}\np:\n  <<: *t  # timings\n  securityContext:\n    privileged: false\nq: 2\n"
        );
    }

    #[test]
    fn keys_go_after_text_the_tree_does_not_show() {
        let text = "t: &t {a: 1}\nc:\n  name: x\n  probe:\n    <<: *t\n  args:\n  - y\nd: 1\n";
        let map = root(text).get("c").expect("c").clone();
        assert_eq!(
            with_flag(text, &map, YAML),
            "t: &t {a: 1}\nc:\n  name: x\n  probe:\n    <<: *t\n  args:\n  - y\n  securityContext:\n    privileged: false\nd: 1\n"
        );
        let text = "t: &t {a: 1}\nc:\n  name: x\n  probe:\n    <<: *t\n# note\nd: 1\n";
        let map = root(text).get("c").expect("c").clone();
        assert_eq!(
            with_flag(text, &map, YAML),
            "t: &t {a: 1}\nc:\n  name: x\n  probe:\n    <<: *t\n  securityContext:\n    privileged: false\n# note\nd: 1\n"
        );
    }

    #[test]
    fn crlf_files_get_crlf_lines() {
        let text = "c:\r\n  name: a\r\n";
        let map = root(text).get("c").expect("c").clone();
        let style = Style {
            newline: "\r\n",
            ..YAML
        };
        assert_eq!(
            with_flag(text, &map, style),
            "c:\r\n  name: a\r\n  securityContext:\r\n    privileged: false\r\n"
        );
    }
}
