//! JSON 6902 patches on the span-carrying tree. The operations and their pointers are parsed
//! and validated by the `json-patch` crate's types; they are applied here, on our nodes, so an
//! added or replaced value keeps the span of the patch line that wrote it.

use json_patch::jsonptr::Pointer;
use json_patch::{Patch, PatchOperation};

use crate::render::tree_edit::{same_value, seq, to_json, with_key, without_key};
use crate::source::Span;
use crate::yaml::Node;

#[derive(Clone, Debug)]
pub(crate) struct Operation {
    kind: Kind,
    path: Vec<String>,
    from: Vec<String>,
    /// The operation's `value` as written, with its spans.
    value: Option<Node>,
    /// The whole operation, for error positions.
    span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Add,
    Remove,
    Replace,
    Move,
    Copy,
    Test,
}

/// A patch that could not be parsed or applied, with the place to blame.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Failure {
    pub span: Span,
    pub message: String,
}

/// Parse a sequence of operations.
pub(crate) fn parse(ops: &Node) -> Result<Vec<Operation>, Failure> {
    let Some(items) = ops.as_seq() else {
        return Err(Failure {
            span: ops.span,
            message: format!(
                "a JSON 6902 patch must be a sequence of operations, not {}",
                ops.describe_type()
            ),
        });
    };
    items.iter().map(parse_one).collect()
}

fn parse_one(item: &Node) -> Result<Operation, Failure> {
    let parsed: Patch = serde_json::from_value(serde_json::Value::Array(vec![to_json(item)]))
        .map_err(|error| Failure {
            span: item.span,
            message: format!("invalid JSON 6902 operation: {error}"),
        })?;
    let Some(operation) = parsed.0.into_iter().next() else {
        return Err(Failure {
            span: item.span,
            message: "empty JSON 6902 operation".into(),
        });
    };
    let value = item.entry("value").map(|entry| entry.value.clone());
    let (kind, path, from) = match &operation {
        PatchOperation::Add(op) => (Kind::Add, tokens(&op.path), Vec::new()),
        PatchOperation::Remove(op) => (Kind::Remove, tokens(&op.path), Vec::new()),
        PatchOperation::Replace(op) => (Kind::Replace, tokens(&op.path), Vec::new()),
        PatchOperation::Move(op) => (Kind::Move, tokens(&op.path), tokens(&op.from)),
        PatchOperation::Copy(op) => (Kind::Copy, tokens(&op.path), tokens(&op.from)),
        PatchOperation::Test(op) => (Kind::Test, tokens(&op.path), Vec::new()),
    };
    Ok(Operation {
        kind,
        path,
        from,
        value,
        span: item.span,
    })
}

fn tokens(pointer: &Pointer) -> Vec<String> {
    pointer
        .tokens()
        .map(|token| token.decoded().into_owned())
        .collect()
}

/// Apply `ops` in order; the first failing operation stops the patch.
pub(crate) fn apply(root: &Node, ops: &[Operation]) -> Result<Node, Failure> {
    ops.iter().try_fold(root.clone(), |tree, op| {
        apply_one(&tree, op).map_err(|message| Failure {
            span: op.span,
            message,
        })
    })
}

fn apply_one(tree: &Node, op: &Operation) -> Result<Node, String> {
    let value = || {
        op.value
            .clone()
            .ok_or_else(|| "the operation has no `value`".to_owned())
    };
    match op.kind {
        Kind::Add => add(tree, &op.path, value()?),
        Kind::Remove => remove(tree, &op.path),
        Kind::Replace => replace(tree, &op.path, value()?),
        Kind::Move => {
            let moved = get(tree, &op.from)
                .ok_or_else(|| missing(&op.from))?
                .clone();
            add(&remove(tree, &op.from)?, &op.path, moved)
        }
        Kind::Copy => {
            let copied = get(tree, &op.from)
                .ok_or_else(|| missing(&op.from))?
                .clone();
            add(tree, &op.path, copied)
        }
        Kind::Test => {
            let found = get(tree, &op.path).ok_or_else(|| missing(&op.path))?;
            if same_value(found, &value()?) {
                Ok(tree.clone())
            } else {
                Err(format!(
                    "test failed: the value at {} differs",
                    pointer_text(&op.path)
                ))
            }
        }
    }
}

fn pointer_text(path: &[String]) -> String {
    if path.is_empty() {
        return "the root".into();
    }
    path.iter()
        .map(|token| format!("/{}", token.replace('~', "~0").replace('/', "~1")))
        .collect()
}

fn missing(path: &[String]) -> String {
    format!("no value at {}", pointer_text(path))
}

fn index_of(token: &str, len: usize, allow_end: bool) -> Result<usize, String> {
    if token == "-" && allow_end {
        return Ok(len);
    }
    let valid = !token.is_empty()
        && token.bytes().all(|b| b.is_ascii_digit())
        && (token == "0" || !token.starts_with('0'));
    let index: usize = token
        .parse()
        .ok()
        .filter(|_| valid)
        .ok_or_else(|| format!("`{token}` is not a sequence index"))?;
    let limit = if allow_end {
        len
    } else {
        len.saturating_sub(1)
    };
    if index > limit || (!allow_end && len == 0) {
        return Err(format!("index {index} is out of range (length {len})"));
    }
    Ok(index)
}

pub(crate) fn get<'a>(tree: &'a Node, path: &[String]) -> Option<&'a Node> {
    path.iter()
        .try_fold(tree, |node, token| match (node.as_map(), node.as_seq()) {
            (Some(_), _) => node.entry(token).map(|entry| &entry.value),
            (_, Some(items)) => index_of(token, items.len(), false)
                .ok()
                .and_then(|index| items.get(index)),
            _ => None,
        })
}

/// Rebuild the tree with the container at `parent` replaced by `edit`'s result.
fn edit_parent(
    tree: &Node,
    parent: &[String],
    edit: &mut dyn FnMut(&Node) -> Result<Node, String>,
) -> Result<Node, String> {
    let Some((first, rest)) = parent.split_first() else {
        return edit(tree);
    };
    if let Some(items) = tree.as_seq() {
        let index = index_of(first, items.len(), false)?;
        let mut new_items = items.to_vec();
        let child = items.get(index).ok_or_else(|| missing(parent))?;
        let new_child = edit_parent(child, rest, edit)?;
        if let Some(slot) = new_items.get_mut(index) {
            *slot = new_child;
        }
        return Ok(seq(tree, new_items));
    }
    let entry = tree.entry(first).ok_or_else(|| missing(parent))?;
    let new_child = edit_parent(&entry.value, rest, edit)?;
    Ok(with_key(tree, first, new_child, entry.key.span))
}

fn add(tree: &Node, path: &[String], value: Node) -> Result<Node, String> {
    let Some((last, parent)) = path.split_last() else {
        return Ok(value);
    };
    let mut value = Some(value);
    edit_parent(tree, parent, &mut |container| {
        let value = value.take().ok_or("value already used")?;
        if let Some(items) = container.as_seq() {
            let index = index_of(last, items.len(), true)?;
            let mut new_items = items.to_vec();
            new_items.insert(index, value);
            Ok(seq(container, new_items))
        } else if container.as_map().is_some() {
            let span = value.span;
            Ok(with_key(container, last, value, span))
        } else {
            Err(format!("cannot add to {}", container.describe_type()))
        }
    })
}

fn replace(tree: &Node, path: &[String], value: Node) -> Result<Node, String> {
    let Some((last, parent)) = path.split_last() else {
        return Ok(value);
    };
    let mut value = Some(value);
    edit_parent(tree, parent, &mut |container| {
        let value = value.take().ok_or("value already used")?;
        if let Some(items) = container.as_seq() {
            let index = index_of(last, items.len(), false)?;
            let mut new_items = items.to_vec();
            if let Some(slot) = new_items.get_mut(index) {
                *slot = value;
            }
            Ok(seq(container, new_items))
        } else if let Some(entry) = container.entry(last) {
            Ok(with_key(container, last, value, entry.key.span))
        } else {
            Err(missing(path))
        }
    })
}

fn remove(tree: &Node, path: &[String]) -> Result<Node, String> {
    let Some((last, parent)) = path.split_last() else {
        return Err("cannot remove the root".into());
    };
    edit_parent(tree, parent, &mut |container| {
        if let Some(items) = container.as_seq() {
            let index = index_of(last, items.len(), false)?;
            let mut new_items = items.to_vec();
            new_items.remove(index);
            Ok(seq(container, new_items))
        } else if container.entry(last).is_some() {
            Ok(without_key(container, last))
        } else {
            Err(missing(path))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::yaml::{Limits, parse};

    const BASE: &str =
        "spec:\n  containers:\n  - name: web\n    image: nginx:1\n  hostNetwork: false\n";

    fn run(ops: &str) -> Result<Node, Failure> {
        let base = parse(FileId(0), BASE, Limits::default()).documents[0]
            .root
            .clone();
        let ops = parse(FileId(1), ops, Limits::default()).documents[0]
            .root
            .clone();
        apply(&base, &super::parse(&ops)?)
    }

    #[test]
    fn add_replace_remove_keep_the_patch_spans() {
        let tree = run(
            "- {op: replace, path: /spec/hostNetwork, value: true}\n- {op: add, path: /spec/containers/-, value: {name: side}}\n- {op: remove, path: /spec/containers/0/image}\n",
        )
        .expect("applies");
        let spec = tree.get("spec").expect("spec");
        let host = spec.get("hostNetwork").expect("value");
        assert_eq!((host.as_bool(), host.span.file), (Some(true), FileId(1)));
        assert_eq!(
            to_json(spec.get("containers").expect("list")),
            serde_json::json!([{"name": "web"}, {"name": "side"}])
        );
    }

    #[test]
    fn move_copy_and_test() {
        let tree = run(
            "- {op: test, path: /spec/containers/0/name, value: web}\n- {op: copy, from: /spec/containers/0, path: /spec/initContainers}\n- {op: move, from: /spec/hostNetwork, path: /spec/hostPID}\n",
        )
        .expect("applies");
        let spec = to_json(tree.get("spec").expect("spec"));
        assert_eq!(spec["initContainers"]["name"], "web");
        assert_eq!(spec["hostPID"], false);
        assert!(spec.get("hostNetwork").is_none());
        let failure =
            run("- {op: test, path: /spec/hostNetwork, value: true}\n").expect_err("fails");
        assert!(failure.message.contains("test failed"), "{failure:?}");
        assert_eq!(failure.span.file, FileId(1));
    }

    #[test]
    fn invalid_operations_and_pointers_are_failures() {
        assert!(run("- {op: jump, path: /a}\n").is_err());
        assert!(run("- {op: add, path: no-slash, value: 1}\n").is_err());
        assert!(run("- {op: remove, path: /spec/containers/7}\n").is_err());
        assert!(run("- {op: replace, path: /spec/nothing, value: 1}\n").is_err());
        assert!(run("- {op: add, path: /spec/containers/01, value: 1}\n").is_err());
    }
}
