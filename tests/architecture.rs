//! Guards the module layering that ARCHITECTURE.md describes: the library never depends on the
//! binary, a few edges are forbidden outright, a component imports only components of lower
//! layers, and the components form no cycle. A component is the first path segment under
//! `src/` (`src/x.rs` and `src/x/**` are `x`, `src/lib.rs` is `lib`); its imports are the
//! `crate::` paths in its code, and the `super::` paths that reach the crate root, comments and
//! literals excluded. Change ARCHITECTURE.md together with the tables here.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::Path;

/// The layers, lowest first: a component may import only components of strictly lower layers.
const LAYERS: &[&[&str]] = &[
    &["source"],
    &["diagnostic"],
    &["yaml", "guard", "atomic", "settings", "vfs"],
    &["discover"],
    &["model"],
    &["rules"],
    &["config"],
    &["load", "render"],
    &["evaluate"],
    &["exempt"],
    &["pipeline"],
    &["report", "fix"],
    &["lib"],
];

/// The components of the binary, which the library must never reach.
const BINARY: [&str; 2] = ["main", "cli"];

/// Edges forbidden whatever the layers say: a component and the components it must not import.
const FORBIDDEN: &[(&str, &[&str])] = &[
    ("config", &["report", "exempt"]),
    ("rules", &["evaluate", "exempt", "report", "fix"]),
    ("render", &["load"]),
    ("load", &["render"]),
    ("evaluate", &["exempt", "report"]),
    ("fix", &["report"]),
];

/// Components that must not import anything of a higher layer.
const FOUNDATIONS: [&str; 3] = ["source", "diagnostic", "yaml"];

const UNLISTED: &str =
    "is not in the layer table; add it to tests/architecture.rs and ARCHITECTURE.md";

struct SourceFile {
    /// Relative to the crate, with `/` separators: `src/render/mod.rs`.
    path: String,
    text: String,
}

#[derive(Clone, Copy)]
struct Token<'a> {
    text: &'a str,
    line: usize,
}

#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    from: String,
    to: String,
    file: String,
    line: usize,
}

type Graph<'a> = BTreeMap<&'a str, BTreeMap<&'a str, &'a Edge>>;

/// Every `.rs` file under `dir`, named `prefix/…`.
fn read_tree(dir: &Path, prefix: &str, files: &mut Vec<SourceFile>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = format!("{prefix}/{}", entry.file_name().to_string_lossy());
        if entry.file_type()?.is_dir() {
            read_tree(&entry.path(), &path, files)?;
        } else if path.ends_with(".rs") {
            let text = std::fs::read_to_string(entry.path())?;
            files.push(SourceFile { path, text });
        }
    }
    Ok(())
}

fn component_of(path: &str) -> &str {
    let under_src = path.strip_prefix("src/").unwrap_or(path);
    let first = under_src.split('/').next().unwrap_or(under_src);
    first.strip_suffix(".rs").unwrap_or(first)
}

/// `src/x.rs` or `src/x/mod.rs`, where `super` is the crate root.
fn is_component_root(path: &str) -> bool {
    let under_src = path.strip_prefix("src/").unwrap_or(path);
    let nested = under_src.split_once('/');
    nested.is_none_or(|(_, rest)| rest == "mod.rs")
}

fn is_in(file: &SourceFile, component: &str) -> bool {
    component_of(&file.path) == component
}

fn is_library(file: &SourceFile) -> bool {
    !BINARY.contains(&component_of(&file.path))
}

fn layer_of(component: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&component))
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The tokens of `text` outside comments and literals: identifiers, `::` and single characters.
fn tokens(text: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let (mut rest, mut line) = (text, 1);
    while let Some(c) = rest.chars().next() {
        let skipped = non_code_len(rest);
        let len = match skipped {
            0 if is_ident_char(c) => rest.find(|c| !is_ident_char(c)).unwrap_or(rest.len()),
            0 if rest.starts_with("::") => 2,
            0 => c.len_utf8(),
            _ => skipped,
        };
        let (text, after) = rest.split_at_checked(len).unwrap_or((rest, ""));
        if skipped == 0 && !c.is_whitespace() {
            tokens.push(Token { text, line });
        }
        line += text.matches('\n').count();
        rest = after;
    }
    tokens
}

/// The length of the comment or literal that `rest` starts with, 0 when it starts with code.
fn non_code_len(rest: &str) -> usize {
    let unprefixed = rest.strip_prefix(['b', 'c']).unwrap_or(rest);
    if rest.starts_with("//") {
        rest.find('\n').unwrap_or(rest.len())
    } else if rest.starts_with("/*") {
        block_comment_len(rest)
    } else if rest.starts_with('"') {
        quoted_len(rest, '"')
    } else if rest.starts_with('\'') {
        char_literal_len(rest)
    } else {
        raw_string_len(unprefixed).map_or(0, |len| len + rest.len() - unprefixed.len())
    }
}

/// The length of a block comment, nested ones included.
fn block_comment_len(rest: &str) -> usize {
    let mut depth = 0usize;
    let mut chars = rest.char_indices();
    while let Some((at, c)) = chars.next() {
        let pair = (c, chars.as_str().chars().next());
        depth = match pair {
            ('/', Some('*')) => depth + 1,
            ('*', Some('/')) if depth == 1 => return at + 2,
            ('*', Some('/')) => depth - 1,
            _ => continue,
        };
        chars.next();
    }
    rest.len()
}

fn quoted_len(rest: &str, quote: char) -> usize {
    let mut chars = rest.char_indices().skip(1);
    while let Some((at, c)) = chars.next() {
        if c == '\\' {
            chars.next();
        } else if c == quote {
            return at + 1;
        }
    }
    rest.len()
}

/// A character literal's length; 0 for a lifetime or a label, which are code.
fn char_literal_len(rest: &str) -> usize {
    let mut chars = rest.chars().skip(1);
    match (chars.next(), chars.next()) {
        (Some('\\'), _) => quoted_len(rest, '\''),
        (Some(c), Some('\'')) => c.len_utf8() + 2,
        _ => 0,
    }
}

/// The length of `r"…"` or `r#"…"#`.
fn raw_string_len(rest: &str) -> Option<usize> {
    let hashed = rest.strip_prefix('r')?;
    let body = hashed.trim_start_matches('#');
    let terminator = format!("\"{}", "#".repeat(hashed.len() - body.len()));
    let body = body.strip_prefix('"')?;
    let end = body
        .find(&terminator)
        .map_or(body.len(), |at| at + terminator.len());
    Some(rest.len() - body.len() + end)
}

/// The first segment of every path `root::a::…`, and of each member of `root::{a::…, b}`.
fn heads_under<'a>(tokens: &[Token<'a>], root: &str) -> Vec<Token<'a>> {
    let mut heads = Vec::new();
    for (at, window) in tokens.windows(3).enumerate() {
        if let [first, colons, next] = window
            && first.text == root
            && colons.text == "::"
        {
            match next.text {
                "{" => heads.extend(group_heads(tokens.get(at + 3..).unwrap_or_default())),
                _ => heads.push(*next),
            }
        }
    }
    heads
}

/// The first token of each member of a group, given the tokens after its `{`.
fn group_heads<'a>(group: &[Token<'a>]) -> Vec<Token<'a>> {
    let mut heads = Vec::new();
    let (mut depth, mut expecting_head) = (0usize, true);
    for token in group {
        match token.text {
            "}" if depth == 0 => break,
            "{" => depth += 1,
            "}" => depth -= 1,
            "," if depth == 0 => expecting_head = true,
            _ if depth == 0 && expecting_head => {
                expecting_head = false;
                heads.push(*token);
            }
            _ => {}
        }
    }
    heads
}

/// `tokens` without the bodies of inline `mod name { … }`, in which `super` is the file itself.
fn outside_inline_modules<'a>(tokens: &[Token<'a>]) -> Vec<Token<'a>> {
    let mut outside = Vec::new();
    let mut depth_in_module = 0usize;
    for (at, token) in tokens.iter().enumerate() {
        let keyword = at.checked_sub(2).and_then(|before| tokens.get(before));
        let opens_module = keyword.is_some_and(|keyword| keyword.text == "mod");
        match token.text {
            "{" if opens_module || depth_in_module > 0 => depth_in_module += 1,
            "}" if depth_in_module > 0 => depth_in_module -= 1,
            _ if depth_in_module == 0 => outside.push(*token),
            _ => {}
        }
    }
    outside
}

/// The token after each `keyword`.
fn after_keyword<'a>(tokens: &[Token<'a>], keyword: &str) -> Vec<Token<'a>> {
    let pairs = tokens.iter().zip(tokens.iter().skip(1));
    let after = pairs.filter(|(first, _)| first.text == keyword);
    after.map(|(_, next)| *next).collect()
}

fn imports(file: &SourceFile, components: &BTreeSet<&str>) -> Vec<Edge> {
    let tokens = tokens(&file.text);
    let mut heads = heads_under(&tokens, "crate");
    if is_component_root(&file.path) {
        heads.extend(heads_under(&outside_inline_modules(&tokens), "super"));
    }
    if file.path == "src/lib.rs" {
        let declared = after_keyword(&tokens, "mod").into_iter();
        heads.extend(declared.filter(|name| BINARY.contains(&name.text)));
    }
    let from = component_of(&file.path);
    let edge = |head: Token| Edge {
        from: from.to_owned(),
        // Not a component: an item of the root, such as `crate::Outcome`.
        to: components.get(head.text).map_or("lib", |c| *c).to_owned(),
        file: file.path.clone(),
        line: head.line,
    };
    heads
        .into_iter()
        .map(edge)
        .filter(|edge| edge.to != from)
        .collect()
}

fn edges(files: &[SourceFile]) -> BTreeSet<Edge> {
    let found = files.iter().map(|file| component_of(&file.path));
    let listed = LAYERS.iter().flat_map(|layer| layer.iter().copied());
    let components: BTreeSet<&str> = found.chain(listed).chain(BINARY).collect();
    let library = files.iter().filter(|file| is_library(file));
    library
        .flat_map(|file| imports(file, &components))
        .collect()
}

fn describe(edge: &Edge, reason: &str) -> String {
    let (file, line, from, to) = (&edge.file, edge.line, &edge.from, &edge.to);
    format!("{file}:{line}: component `{from}` imports `{to}` ({reason})")
}

fn binary_reason(edge: &Edge) -> Option<String> {
    let reason = "the library never depends on the binary";
    BINARY
        .contains(&edge.to.as_str())
        .then(|| reason.to_owned())
}

fn forbidden_reason(edge: &Edge) -> Option<String> {
    let (from, to) = (edge.from.as_str(), edge.to.as_str());
    if FORBIDDEN.iter().any(|(f, t)| *f == from && t.contains(&to)) {
        return Some(format!("forbidden: `{from}` never depends on `{to}`"));
    }
    let above = matches!((layer_of(from), layer_of(to)), (Some(f), Some(t)) if t > f);
    let reason = || format!("forbidden: `{from}` is a foundation and imports no higher layer");
    (FOUNDATIONS.contains(&from) && above).then(reason)
}

fn layering_reason(edge: &Edge) -> Option<String> {
    let (from, to) = (layer_of(&edge.from)?, layer_of(&edge.to)?);
    (to >= from).then(|| format!("layering: layer {to} is not below layer {from}"))
}

/// Where a file of `render` names `std::fs`, and, if it does, says `fs::`.
fn file_system_in_render(file: &SourceFile) -> Vec<String> {
    let tokens = tokens(&file.text);
    let std_heads = heads_under(&tokens, "std");
    let std_fs = std_heads.iter().filter(|head| head.text == "fs");
    let mut lines: BTreeSet<usize> = std_fs.map(|head| head.line).collect();
    let imported = !lines.is_empty();
    for window in tokens.windows(3).filter(|_| imported) {
        if let [before, fs, colons] = window
            && before.text != "::"
            && (fs.text, colons.text) == ("fs", "::")
        {
            lines.insert(fs.line);
        }
    }
    let reason = "forbidden: `render` never touches the file system";
    let path = &file.path;
    let describe = |line| format!("{path}:{line}: component `render` imports `std::fs` ({reason})");
    lines.into_iter().map(describe).collect()
}

fn unlisted_components(files: &[SourceFile]) -> Vec<String> {
    let roots = files.iter().filter(|file| is_component_root(&file.path));
    let roots = roots.filter(|file| is_library(file));
    let named = roots.map(|file| (&file.path, component_of(&file.path)));
    let unlisted = named.filter(|(_, component)| layer_of(component).is_none());
    let describe = |(path, component)| format!("{path}:1: component `{component}` {UNLISTED}");
    unlisted.map(describe).collect()
}

/// Depth-first search from `node`: each cycle met is kept once, rotated to its lowest name.
fn find_cycles<'a>(
    graph: &Graph<'a>,
    node: &'a str,
    path: &mut Vec<&'a str>,
    visited: &mut BTreeSet<&'a str>,
    cycles: &mut BTreeSet<Vec<&'a str>>,
) {
    if let Some(at) = path.iter().position(|&on_path| on_path == node) {
        let mut cycle = path.get(at..).unwrap_or_default().to_vec();
        let lowest = cycle.iter().enumerate().min_by_key(|(_, name)| **name);
        let lowest = lowest.map_or(0, |(index, _)| index);
        cycle.rotate_left(lowest);
        cycles.insert(cycle);
    } else if visited.insert(node) {
        path.push(node);
        for &next in graph.get(node).into_iter().flat_map(BTreeMap::keys) {
            find_cycles(graph, next, path, visited, cycles);
        }
        path.pop();
    }
}

/// One line per edge of each cycle, the first import that makes the edge.
fn cycle_violations(edges: &BTreeSet<Edge>) -> Vec<String> {
    let mut graph = Graph::new();
    for edge in edges {
        let targets = graph.entry(edge.from.as_str()).or_default();
        targets.entry(edge.to.as_str()).or_insert(edge);
    }
    let (mut visited, mut cycles) = (BTreeSet::new(), BTreeSet::new());
    for &start in graph.keys() {
        find_cycles(&graph, start, &mut Vec::new(), &mut visited, &mut cycles);
    }
    let mut violations = Vec::new();
    for cycle in cycles {
        let names: Vec<&str> = cycle.iter().chain(cycle.first()).copied().collect();
        let reason = format!("cycle {}", names.join(" → "));
        let pairs = names
            .windows(2)
            .filter_map(|pair| pair.first().zip(pair.get(1)));
        let cycle_edges = pairs.filter_map(|(from, to)| graph.get(from)?.get(to));
        violations.extend(cycle_edges.map(|edge| describe(edge, &reason)));
    }
    violations
}

/// Every violation, rule by rule; an edge is reported under the first rule it breaks.
fn violations(files: &[SourceFile]) -> Vec<String> {
    let edges = edges(files);
    let mut reported = BTreeSet::new();
    let mut broken = |rule: fn(&Edge) -> Option<String>| {
        let unreported = edges.iter().filter(|edge| !reported.contains(edge));
        let broken: Vec<_> = unreported
            .filter_map(|edge| Some((edge, rule(edge)?)))
            .collect();
        reported.extend(broken.iter().map(|(edge, _)| *edge));
        let described = broken.iter().map(|(edge, reason)| describe(edge, reason));
        described.collect::<Vec<_>>()
    };
    let render = files.iter().filter(|file| is_in(file, "render"));
    [
        broken(binary_reason),
        broken(forbidden_reason),
        render.flat_map(file_system_in_render).collect(),
        unlisted_components(files),
        broken(layering_reason),
        cycle_violations(&edges),
    ]
    .concat()
}

#[test]
fn layering_holds() -> io::Result<()> {
    let mut files = Vec::new();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    read_tree(&src, "src", &mut files)?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let violations = violations(&files);
    let (count, listed) = (violations.len(), violations.join("\n"));
    assert!(
        violations.is_empty(),
        "{count} layering violations (ARCHITECTURE.md):\n{listed}"
    );
    Ok(())
}

fn tree(files: &[(&str, &str)]) -> Vec<SourceFile> {
    let file = |&(path, text): &(&str, &str)| SourceFile {
        path: path.into(),
        text: text.into(),
    };
    files.iter().map(file).collect()
}

fn imported(files: &[(&str, &str)]) -> Vec<String> {
    let edges = edges(&tree(files));
    let describe = |edge: &Edge| format!("{}:{} {}", edge.file, edge.line, edge.to);
    edges.iter().map(describe).collect()
}

#[test]
fn comments_literals_and_doc_links_are_not_imports() {
    let text = r##"//! Feeds [`crate::fix`]; see crate::report.
/// Calls [crate::render::render].
/* crate::load /* nested crate::exempt */ still crate::config */
fn isolate<'a>(label: &'a str) -> char {
    let _ = ("crate::load", r#"crate::"quoted" crate::fix"#, br"crate::rules\", '\'');
    crate::guard::isolate(label, '"') // crate::report
}
"##;
    let found = imported(&[("src/evaluate.rs", text)]);
    assert_eq!(found, ["src/evaluate.rs:6 guard"]);
}

#[test]
fn grouped_multi_line_use_is_found() {
    let text = "use std::fmt;\nuse crate::{\n    model::Object,\n    source::{Span, SourceMap},\n    Outcome,\n};\n";
    let found = imported(&[("src/rules/mod.rs", text)]);
    let expected = [
        "src/rules/mod.rs:5 lib",
        "src/rules/mod.rs:3 model",
        "src/rules/mod.rs:4 source",
    ];
    assert_eq!(found, expected);
}

#[test]
fn super_counts_only_where_it_is_the_crate_root() {
    let root = "use super::model::Object;\n#[cfg(test)]\nmod tests {\n    use super::Helper;\n}\n";
    let nested = ("src/rules/shared.rs", "use super::Rule;\n");
    let found = imported(&[("src/rules/mod.rs", root), nested]);
    assert_eq!(found, ["src/rules/mod.rs:1 model"]);
}

#[test]
fn forbidden_edge_is_reported_with_file_and_line() {
    let rules = (
        "src/rules/metadata.rs",
        "//! Metadata.\n\nuse crate::evaluate::Finding;\n",
    );
    let render = (
        "src/render/mod.rs",
        "use std::{fs, io};\n\nfn read() {\n    fs::read(\"x\");\n}\n",
    );
    let found = violations(&tree(&[rules, render]));
    let expected = [
        "src/rules/metadata.rs:3: component `rules` imports `evaluate` (forbidden: `rules` never depends on `evaluate`)",
        "src/render/mod.rs:1: component `render` imports `std::fs` (forbidden: `render` never touches the file system)",
        "src/render/mod.rs:4: component `render` imports `std::fs` (forbidden: `render` never touches the file system)",
    ];
    assert_eq!(found, expected);
}

#[test]
fn two_component_cycle_is_detected() {
    let model = ("src/model/mod.rs", "use crate::rules::Rule;\n");
    let rules = ("src/rules/mod.rs", "\nuse crate::model::Object;\n");
    let found = violations(&tree(&[model, rules]));
    let expected = [
        "src/model/mod.rs:1: component `model` imports `rules` (layering: layer 5 is not below layer 4)",
        "src/model/mod.rs:1: component `model` imports `rules` (cycle model → rules → model)",
        "src/rules/mod.rs:2: component `rules` imports `model` (cycle model → rules → model)",
    ];
    assert_eq!(found, expected);
}
