//! The parser adapter: YAML text → span-carrying [`Node`] trees, one per document.
//!
//! The tree is built iteratively from `granit-parser` events (no recursion, so deep input cannot
//! overflow the stack), scalars are typed by the YAML 1.1 rules that Kubernetes' decoder uses,
//! aliases and `<<` merge keys are resolved, and every node keeps the span where it was written.
//! Collections are reference-counted so that an alias is a cheap clone; a node budget bounds how
//! much an alias may expand, so a billion-laughs document fails fast instead of exhausting memory.

use std::borrow::Cow;
use std::collections::HashMap;

use granit_parser::{Event, Parser, ScalarStyle, ScanError, Tag};

mod fast;
mod json;
mod node;
mod scalar;

pub(crate) use json::whole_number;
pub use json::{JsonError, json_key, to_json};
pub use node::{Entry, Node, Value};
pub use scalar::plain_scalar_value;
use scalar::type_scalar;

use crate::diagnostic::Code;
use crate::source::{FileId, Span};

/// Explicit bounds on what one file may cost.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Deepest nesting of collections, counting collections reached through aliases.
    pub max_depth: usize,
    /// Nodes that aliases may add to a document beyond those written out.
    pub max_alias_nodes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 256,
            max_alias_nodes: 1_000_000,
        }
    }
}

/// One non-empty YAML document.
#[derive(Debug)]
pub struct Document {
    pub root: Node,
    /// 0-based index of the document in its file, counting empty documents too.
    pub index: usize,
    /// The template named by a Helm `# Source:` comment before the document's content.
    pub helm_source: Option<String>,
    /// A mapping key that is itself a collection: never valid Kubernetes, typical of `{{ }}`.
    pub has_collection_key: bool,
}

/// A problem in the YAML text itself.
#[derive(Debug, Clone)]
pub struct YamlError {
    pub code: Code,
    pub span: Span,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Parsed {
    pub documents: Vec<Document>,
    pub errors: Vec<YamlError>,
}

/// Parse every document of `text`. A syntax error abandons its document and parsing resumes at
/// the next `---`; exceeding a limit stops the file.
pub fn parse(file: FileId, text: &str, limits: Limits) -> Parsed {
    let depth = limits.max_depth.min(u16::MAX as usize);
    match fast::events(text, depth) {
        Ok(events) => build(file, text, limits, events),
        Err(fast::Declined) => parse_fully(file, text, limits, depth),
    }
}

/// The tree of the events the fast path read (text it reads is free of syntax errors).
fn build(file: FileId, text: &str, limits: Limits, events: Vec<fast::Spanned<'_>>) -> Parsed {
    let mut builder = Builder::new(file, text, limits);
    let mut parsed = Parsed::default();
    for (event, start, end) in events {
        if !builder.feed(event, start, end, &mut parsed) {
            break;
        }
    }
    parsed.errors.append(&mut builder.duplicate_keys);
    parsed
}

/// Every document of `text` read by `granit-parser`, recovering from syntax errors.
fn parse_fully(file: FileId, text: &str, limits: Limits, depth: usize) -> Parsed {
    let options = granit_parser::options! {
        flow_nesting_limit: depth,
        block_nesting_limit: depth,
        emit_unresolved_aliases: true,
    };
    let mut parser = Parser::new_from_str_with_options(text, options);
    let mut builder = Builder::new(file, text, limits);
    let mut parsed = Parsed::default();
    loop {
        match parser.next_event() {
            None => break,
            Some(Ok((event, span))) => {
                let start = span.start.byte_offset().unwrap_or(0);
                let end = span.end.byte_offset().unwrap_or(start);
                if !builder.feed(event, start, end, &mut parsed) {
                    break;
                }
            }
            Some(Err(error)) => {
                let fatal = is_limit_error(&error);
                parsed.errors.push(builder.scan_error(&error));
                builder.abandon_document();
                if fatal || parsed.errors.len() >= MAX_SYNTAX_ERRORS_PER_FILE {
                    break;
                }
                match parser.proceed_next_document() {
                    Ok(true) => {}
                    Ok(false) | Err(_) => break,
                }
            }
        }
    }
    parsed.errors.append(&mut builder.duplicate_keys);
    parsed
}

/// After this many syntax errors a file is clearly not YAML; more would only be noise.
const MAX_SYNTAX_ERRORS_PER_FILE: usize = 20;

fn is_limit_error(error: &ScanError) -> bool {
    let text = error.info().to_ascii_lowercase();
    text.contains("limit") || text.contains("nesting")
}

enum PendingKey {
    Key(Node),
    /// A `<<` key (plain, or tagged `!!merge`): its value is merged into the mapping.
    Merge,
}

/// What a mapping says, in the order it says it: go-yaml v2 applies entries and merges one after
/// another, each overwriting the keys it sets, so a merge after an explicit key wins over it.
enum Member {
    Entry(Entry),
    Merge(Node),
}

enum Collection {
    Seq(Vec<Node>),
    Map {
        members: Vec<Member>,
        pending: Option<PendingKey>,
    },
}

struct Frame {
    collection: Collection,
    start: usize,
    anchor: usize,
    /// Value of `expanded` when the collection started, to measure what its anchor costs.
    expanded_at_start: u64,
    /// Height of the tallest child, so an alias knows how deep it reaches.
    child_height: usize,
}

struct Anchored {
    node: Node,
    expanded: u64,
    height: usize,
}

struct Builder<'a> {
    file: FileId,
    text: &'a str,
    limits: Limits,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchored>,
    document_index: usize,
    root: Option<Node>,
    helm_source: Option<String>,
    /// Where the text before the next document's root begins (the end of the last document):
    /// the only place a `# Source:` comment can name the document. `None` after an abandoned
    /// document, until the next `---`.
    comments_from: Option<usize>,
    has_collection_key: bool,
    /// Nodes in the document counting alias expansion, and those added by aliases alone.
    expanded: u64,
    alias_nodes: u64,
    duplicate_keys: Vec<YamlError>,
    /// The last document ended with `...`.
    explicit_end: bool,
    /// A document after `...` without `---`: kubectl decodes only the first document between
    /// `---` lines, so it never sees this one.
    unseen_document: bool,
    finished: bool,
}

impl<'a> Builder<'a> {
    fn new(file: FileId, text: &'a str, limits: Limits) -> Self {
        Builder {
            file,
            text,
            limits,
            stack: Vec::new(),
            anchors: HashMap::new(),
            document_index: 0,
            root: None,
            helm_source: None,
            comments_from: Some(0),
            has_collection_key: false,
            expanded: 0,
            alias_nodes: 0,
            duplicate_keys: Vec::new(),
            explicit_end: false,
            unseen_document: false,
            finished: false,
        }
    }

    /// Take one event into `parsed`; false once the file is done (its end, or an error that
    /// stops it).
    fn feed(&mut self, event: Event<'_>, start: usize, end: usize, parsed: &mut Parsed) -> bool {
        match self.event(event, start, end) {
            Ok(Some(document)) => parsed.documents.push(document),
            Ok(None) => {}
            Err(error) => {
                parsed.errors.push(error);
                return false;
            }
        }
        !self.finished
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn event(
        &mut self,
        event: Event<'_>,
        start: usize,
        end: usize,
    ) -> Result<Option<Document>, YamlError> {
        match event {
            Event::StreamStart | Event::Anchor(..) => {}
            Event::DocumentStart(explicit, _) => {
                self.unseen_document = !explicit && self.explicit_end;
                self.comments_from.get_or_insert(start);
            }
            Event::StreamEnd => self.finished = true,
            Event::DocumentEnd => {
                self.explicit_end = end > start;
                let document = self.finish_document();
                self.comments_from = Some(end);
                return Ok(document);
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.scalar(text, style, anchor, tag.as_deref(), start, end)?;
            }
            Event::Alias(id) => self.alias(id, start, end)?,
            Event::UnresolvedAlias(name) => {
                return Err(self.error(
                    Code::UnknownAnchor,
                    start,
                    end,
                    format!("unknown alias *{name}"),
                ));
            }
            Event::SequenceStart(_, anchor, _) => {
                self.open(Collection::Seq(Vec::new()), anchor, start)?
            }
            Event::MappingStart(_, anchor, _) => self.open(
                Collection::Map {
                    members: Vec::new(),
                    pending: None,
                },
                anchor,
                start,
            )?,
            Event::SequenceEnd | Event::MappingEnd => self.close(end)?,
            // Presentation-only events a later parser version may add carry no data.
            _ => {}
        }
        Ok(None)
    }

    fn error(&self, code: Code, start: usize, end: usize, message: String) -> YamlError {
        YamlError {
            code,
            span: self.span(start, end),
            message,
        }
    }

    fn scan_error(&self, error: &ScanError) -> YamlError {
        let marker = error.marker();
        let offset = marker.byte_offset().unwrap_or_else(|| {
            crate::source::SourceFile::new(String::new(), self.text.to_owned())
                .offset_of(marker.line(), marker.col())
        });
        let info = error.info();
        let code = if is_limit_error(error) {
            Code::NestingTooDeep
        } else {
            Code::InvalidYaml
        };
        let message = if code == Code::NestingTooDeep {
            format!(
                "YAML nesting exceeds the limit of {} levels ({info})",
                self.limits.max_depth
            )
        } else {
            format!("invalid YAML: {info}")
        };
        self.error(code, offset, offset, message)
    }

    /// Before the root's first event, read the comments written since the last document for
    /// Helm's `# Source:` line. The parser runs without comment events, which cost as much as
    /// the rest of parsing; between documents only comments, directives and markers can stand.
    fn read_source_comment(&mut self, root_start: usize) {
        if !self.stack.is_empty() || self.root.is_some() {
            return;
        }
        let Some(from) = self.comments_from.take() else {
            return;
        };
        let before_root = self.text.get(from..root_start).unwrap_or_default();
        if let Some(source) = before_root.lines().rev().find_map(helm_source_comment) {
            self.helm_source = Some(source.to_owned());
        }
    }

    fn scalar(
        &mut self,
        text: Cow<'_, str>,
        style: ScalarStyle,
        anchor: usize,
        tag: Option<&Tag>,
        start: usize,
        end: usize,
    ) -> Result<(), YamlError> {
        self.read_source_comment(start);
        let merge_key = match tag {
            None => style == ScalarStyle::Plain,
            // `!!merge`, which is not a core-schema tag to the parser.
            Some(tag) => {
                let (handle, suffix) = tag.parts();
                "tag:yaml.org,2002:merge".strip_prefix(handle) == Some(suffix)
            }
        };
        if merge_key
            && text == "<<"
            && let Some(Frame {
                collection:
                    Collection::Map {
                        pending: pending @ None,
                        ..
                    },
                ..
            }) = self.stack.last_mut()
        {
            *pending = Some(PendingKey::Merge);
            return Ok(());
        }
        let Some(value) = type_scalar(&text, style, tag) else {
            let tag = tag.map(Tag::original).unwrap_or_default();
            return Err(self.error(
                Code::InvalidYaml,
                start,
                end,
                format!("`{text}` cannot be decoded as {tag}"),
            ));
        };
        let node = Node {
            span: self.span(start, end),
            value,
        };
        self.expanded += 1;
        if anchor != 0 {
            self.anchors.insert(
                anchor,
                Anchored {
                    node: node.clone(),
                    expanded: 1,
                    height: 0,
                },
            );
        }
        self.attach(node, 0, start, end, false)
    }

    fn alias(&mut self, id: usize, start: usize, end: usize) -> Result<(), YamlError> {
        self.read_source_comment(start);
        let Some(anchored) = self.anchors.get(&id) else {
            return Err(self.error(
                Code::UnknownAnchor,
                start,
                end,
                "alias to an unknown anchor".into(),
            ));
        };
        let (node, cost, height) = (anchored.node.clone(), anchored.expanded, anchored.height);
        self.alias_nodes = self.alias_nodes.saturating_add(cost);
        self.expanded = self.expanded.saturating_add(cost);
        if self.alias_nodes > self.limits.max_alias_nodes {
            return Err(self.error(
                Code::AliasExpansionLimit,
                start,
                end,
                format!(
                    "aliases expand to more than {} nodes (a \"billion laughs\" document?)",
                    self.limits.max_alias_nodes
                ),
            ));
        }
        if self.stack.len() + height > self.limits.max_depth {
            return Err(self.too_deep(start, end));
        }
        self.attach(node, height, start, end, true)
    }

    fn too_deep(&self, start: usize, end: usize) -> YamlError {
        self.error(
            Code::NestingTooDeep,
            start,
            end,
            format!(
                "YAML nesting exceeds the limit of {} levels",
                self.limits.max_depth
            ),
        )
    }

    fn open(
        &mut self,
        collection: Collection,
        anchor: usize,
        start: usize,
    ) -> Result<(), YamlError> {
        self.read_source_comment(start);
        if self.stack.len() >= self.limits.max_depth {
            return Err(self.too_deep(start, start));
        }
        if let Some(Frame {
            collection: Collection::Map { pending: None, .. },
            ..
        }) = self.stack.last()
        {
            self.has_collection_key = true;
        }
        self.expanded += 1;
        self.stack.push(Frame {
            collection,
            start,
            anchor,
            expanded_at_start: self.expanded,
            child_height: 0,
        });
        Ok(())
    }

    fn close(&mut self, end: usize) -> Result<(), YamlError> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let span = self.span(frame.start, end);
        let value = match frame.collection {
            Collection::Seq(items) => Value::Seq(items.into()),
            Collection::Map { members, .. } => Value::Map(self.resolve_mapping(members).into()),
        };
        let node = Node { span, value };
        let height = frame.child_height + 1;
        if frame.anchor != 0 {
            self.anchors.insert(
                frame.anchor,
                Anchored {
                    node: node.clone(),
                    expanded: self.expanded - frame.expanded_at_start + 1,
                    height,
                },
            );
        }
        self.attach(node, height, frame.start, end, false)
    }

    /// The entries of a mapping as go-yaml v2 builds it: members in order, each overwriting the
    /// keys it sets (keys compared as the JSON keys they become, so `y` and `yes` are one key).
    /// A key written twice in the mapping itself is reported.
    fn resolve_mapping(&mut self, members: Vec<Member>) -> Vec<Entry> {
        let mut mapping = MappingBuilder::default();
        for member in members {
            match member {
                Member::Entry(entry) => {
                    let key_span = entry.key.span;
                    if let Some(earlier) = mapping.set(entry, true) {
                        self.duplicate_keys
                            .push(self.duplicate_key(key_span, earlier));
                    }
                }
                Member::Merge(source) => {
                    for merged in merge_sources(&source) {
                        for entry in merged.as_map().unwrap_or_default() {
                            mapping.set(entry.clone(), false);
                        }
                    }
                }
            }
        }
        mapping.entries
    }

    fn duplicate_key(&self, key: Span, earlier: Span) -> YamlError {
        let written = |span: Span| {
            self.text
                .get(span.start as usize..span.end as usize)
                .unwrap_or_default()
        };
        let (repeated, first) = (written(key), written(earlier));
        let equal = if repeated == first {
            String::new()
        } else {
            format!(" (it means the same as `{first}` to the YAML 1.1 decoder)")
        };
        YamlError {
            code: Code::DuplicateKey,
            span: key,
            message: format!(
                "mapping key `{repeated}` is repeated{equal} (the API server rejects duplicate keys)"
            ),
        }
    }

    /// Put a finished node where it belongs: the document root, a sequence item, a mapping key
    /// or a mapping value.
    fn attach(
        &mut self,
        node: Node,
        height: usize,
        start: usize,
        end: usize,
        via_alias: bool,
    ) -> Result<(), YamlError> {
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        frame.child_height = frame.child_height.max(height);
        match &mut frame.collection {
            Collection::Seq(items) => items.push(node),
            Collection::Map { members, pending } => match pending.take() {
                None => *pending = Some(PendingKey::Key(node)),
                Some(PendingKey::Key(key)) => {
                    members.push(Member::Entry(Entry { key, value: node }))
                }
                Some(PendingKey::Merge) => {
                    if !is_mergeable(&node, via_alias) {
                        return Err(self.error(
                            Code::InvalidMerge,
                            start,
                            end,
                            "map merge requires map or sequence of maps as the value (a `<<` \
                             merge key needs a mapping, an alias of one, or a sequence of them)"
                                .into(),
                        ));
                    }
                    members.push(Member::Merge(node));
                }
            },
        }
        Ok(())
    }

    fn finish_document(&mut self) -> Option<Document> {
        // An empty or comment-only document holds a single null scalar: nothing to check.
        let root = self
            .root
            .take()
            .filter(|root| !root.is_null() && !self.unseen_document);
        let document = root.map(|root| Document {
            root,
            index: self.document_index,
            helm_source: self.helm_source.take(),
            has_collection_key: self.has_collection_key,
        });
        self.reset_document();
        document
    }

    fn abandon_document(&mut self) {
        self.root = None;
        self.comments_from = None;
        self.reset_document();
    }

    fn reset_document(&mut self) {
        self.stack.clear();
        self.anchors.clear();
        self.helm_source = None;
        self.has_collection_key = false;
        self.expanded = 0;
        self.alias_nodes = 0;
        self.document_index += 1;
    }
}

/// The template a `# Source: chart/templates/x.yaml` comment line names (after `---` too).
fn helm_source_comment(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let line = line.strip_prefix("---").unwrap_or(line).trim_start();
    let comment = line.strip_prefix('#')?;
    Some(comment.trim().strip_prefix("Source:")?.trim())
}

/// go-yaml v2 merges a mapping, an alias of a mapping, or a sequence written out whose items
/// are mappings or aliases of them; an alias of a sequence is refused even if it holds mappings.
fn is_mergeable(node: &Node, via_alias: bool) -> bool {
    match &node.value {
        Value::Map(_) => true,
        Value::Seq(items) => !via_alias && items.iter().all(|item| item.as_map().is_some()),
        _ => false,
    }
}

/// The mappings a merge applies, in the order it applies them: among several, the earlier ones
/// take precedence, so they are applied last.
fn merge_sources(node: &Node) -> Vec<&Node> {
    match node.as_seq() {
        Some(items) => items.iter().rev().collect(),
        None => vec![node],
    }
}

/// A mapping's entries under construction, one per key.
#[derive(Default)]
struct MappingBuilder {
    entries: Vec<Entry>,
    /// For each entry, whether its key was written in the mapping itself (not merged in).
    written: Vec<bool>,
    /// Positions by key, built once the mapping is large enough for hashing to pay: most have a
    /// handful of keys, and comparing with those costs less than hashing each key.
    index: Option<HashMap<String, usize>>,
}

impl MappingBuilder {
    const SCAN_UP_TO: usize = 16;

    /// Set `entry`, overwriting an earlier entry of an equal key. Returns the key span of the
    /// earlier entry when both were written in the mapping itself: a duplicate key.
    fn set(&mut self, entry: Entry, written: bool) -> Option<Span> {
        let Some(position) = self.position(&entry.key) else {
            self.push(entry, written);
            return None;
        };
        let (slot, was_written) = (
            self.entries.get_mut(position)?,
            self.written.get_mut(position)?,
        );
        let earlier = std::mem::replace(slot, entry);
        let duplicate = (written && *was_written).then_some(earlier.key.span);
        *was_written |= written;
        duplicate
    }

    fn position(&self, key: &Node) -> Option<usize> {
        let key = json_key(key)?;
        match &self.index {
            Some(index) => index.get(key.as_ref()).copied(),
            None => self
                .entries
                .iter()
                .position(|entry| json_key(&entry.key).as_deref() == Some(key.as_ref())),
        }
    }

    fn push(&mut self, entry: Entry, written: bool) {
        self.entries.push(entry);
        self.written.push(written);
        if self.index.is_none() && self.entries.len() > Self::SCAN_UP_TO {
            let keyed = self.entries.iter().enumerate();
            self.index = Some(
                keyed
                    .filter_map(|(at, entry)| Some((json_key(&entry.key)?.into_owned(), at)))
                    .collect(),
            );
        } else if let Some(index) = &mut self.index
            && let Some(key) = self.entries.last().and_then(|entry| json_key(&entry.key))
        {
            index.insert(key.into_owned(), self.entries.len() - 1);
        }
    }
}

#[cfg(test)]
#[allow(clippy::string_slice)]
mod tests {
    use super::*;

    fn parse_one(text: &str) -> Node {
        let parsed = parse(FileId(0), text, Limits::default());
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        parsed
            .documents
            .into_iter()
            .next()
            .expect("one document")
            .root
    }

    fn slice<'t>(text: &'t str, node: &Node) -> &'t str {
        &text[node.span.start as usize..node.span.end as usize]
    }

    #[test]
    fn yaml_1_1_scalars_are_typed_like_kubernetes() {
        for truthy in [
            "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE",
        ] {
            assert_eq!(
                plain_scalar_value(truthy).as_bool_value(),
                Some(true),
                "{truthy}"
            );
        }
        for falsy in [
            "n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE",
        ] {
            assert_eq!(
                plain_scalar_value(falsy).as_bool_value(),
                Some(false),
                "{falsy}"
            );
        }
        assert!(matches!(plain_scalar_value("0x1F"), Value::Int(31)));
        assert!(matches!(plain_scalar_value("0o17"), Value::Int(15)));
        assert!(matches!(plain_scalar_value("017"), Value::Int(15)));
        assert!(matches!(plain_scalar_value("-1_000"), Value::Int(-1000)));
        assert!(matches!(plain_scalar_value("0"), Value::Int(0)));
        assert!(matches!(plain_scalar_value("1.5"), Value::Float(_)));
        assert!(matches!(plain_scalar_value("1e3"), Value::Float(_)));
        assert!(matches!(plain_scalar_value("08"), Value::Float(_)));
        assert!(matches!(plain_scalar_value("~"), Value::Null));
        assert!(matches!(plain_scalar_value("1.2.3"), Value::Str(_)));
        assert!(matches!(plain_scalar_value("nginx:1.25"), Value::Str(_)));
        assert!(matches!(plain_scalar_value("e3"), Value::Str(_)));
        assert!(matches!(plain_scalar_value("."), Value::Str(_)));
        let root = parse_one("a: \"true\"\nb: 'yes'\nc: !!str on\nd: |\n  true\n");
        for key in ["a", "b", "c", "d"] {
            assert!(root.get(key).and_then(Node::as_str).is_some(), "{key}");
        }
    }

    #[test]
    fn spans_point_at_values_and_keys() {
        let text = "spec:\n  hostNetwork: yes\n  name: \"web\"\n";
        let root = parse_one(text);
        let spec = root.get("spec").expect("spec");
        assert_eq!(slice(text, spec.get("hostNetwork").expect("value")), "yes");
        assert_eq!(slice(text, spec.get("name").expect("value")), "\"web\"");
        assert_eq!(slice(text, &root.entry("spec").expect("entry").key), "spec");
    }

    #[test]
    fn aliases_keep_the_span_where_the_value_was_written() {
        let text = "base: &sc\n  privileged: true\nuse: *sc\n";
        let root = parse_one(text);
        let used = root
            .get("use")
            .and_then(|node| node.get("privileged"))
            .expect("aliased");
        assert_eq!(slice(text, used), "true");
        assert_eq!(used.span.start, 24);
    }

    #[test]
    fn merge_keys_let_written_keys_win() {
        let text = "defaults: &d {a: 1, b: 2}\nm:\n  <<: *d\n  b: 3\n";
        let root = parse_one(text);
        let merged = root.get("m").expect("m");
        assert_eq!(merged.get("a").and_then(Node::as_int), Some(1));
        assert_eq!(merged.get("b").and_then(Node::as_int), Some(3));
        let list = parse_one("x: &x {a: 1}\ny: &y {a: 2, c: 3}\nm:\n  <<: [*x, *y]\n");
        let merged = list.get("m").expect("m");
        assert_eq!(merged.get("a").and_then(Node::as_int), Some(1));
        assert_eq!(merged.get("c").and_then(Node::as_int), Some(3));
    }

    #[test]
    fn documents_are_split_and_empty_ones_skipped() {
        let text = "--- # comment\na: 1\n---\n---\n# only a comment\n---\nb: 2\n";
        let parsed = parse(FileId(0), text, Limits::default());
        assert!(parsed.errors.is_empty());
        let indexes: Vec<usize> = parsed.documents.iter().map(|doc| doc.index).collect();
        assert_eq!(indexes, vec![0, 3]);
    }

    #[test]
    fn helm_source_comments_name_the_template() {
        let text = "---\n# Source: chart/templates/deploy.yaml\nkind: Deployment\n";
        let parsed = parse(FileId(0), text, Limits::default());
        assert_eq!(
            parsed.documents[0].helm_source.as_deref(),
            Some("chart/templates/deploy.yaml")
        );
    }

    #[test]
    fn the_last_source_comment_before_a_root_names_it() {
        let text = "# Source: a.yaml\n---\n# Source: b.yaml\n# other\nkind: A\n--- # Source: c.yaml\nkind: B\n---\nkind: C\n";
        let parsed = parse(FileId(0), text, Limits::default());
        let sources: Vec<Option<&str>> = parsed
            .documents
            .iter()
            .map(|doc| doc.helm_source.as_deref())
            .collect();
        assert_eq!(sources, vec![Some("b.yaml"), Some("c.yaml"), None]);
    }

    #[test]
    fn a_source_comment_inside_a_document_names_nothing() {
        let text =
            "kind: A\n# Source: inside.yaml\nb: 1\n---\n# Source: {bad\nkind: [\n---\nkind: C\n";
        let parsed = parse(FileId(0), text, Limits::default());
        assert!(parsed.documents.iter().all(|doc| doc.helm_source.is_none()));
    }

    #[test]
    fn billion_laughs_fails_fast() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..10 {
            let refs = vec![format!("*a{}", level - 1); 10].join(", ");
            text.push_str(&format!("a{level}: &a{level} [{refs}]\n"));
        }
        let parsed = parse(FileId(0), &text, Limits::default());
        assert_eq!(parsed.errors.len(), 1);
        assert_eq!(parsed.errors[0].code, Code::AliasExpansionLimit);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(100_000);
        let parsed = parse(FileId(0), &text, Limits::default());
        assert_eq!(parsed.errors[0].code, Code::NestingTooDeep);
        let mut block = String::new();
        for depth in 0..300 {
            block.push_str(&" ".repeat(depth));
            block.push_str("k:\n");
        }
        let parsed = parse(FileId(0), &block, Limits::default());
        assert_eq!(parsed.errors[0].code, Code::NestingTooDeep);
    }

    #[test]
    fn syntax_errors_keep_the_other_documents() {
        let text = "a: 1\n---\nb: [\n---\nc: 3\n";
        let parsed = parse(FileId(0), text, Limits::default());
        assert_eq!(parsed.errors.len(), 1);
        assert_eq!(parsed.errors[0].code, Code::InvalidYaml);
        assert_eq!(parsed.documents.len(), 2);
    }

    #[test]
    fn duplicate_keys_are_reported_and_the_last_wins() {
        let text = "a: 1\na: 2\n";
        let parsed = parse(FileId(0), text, Limits::default());
        assert_eq!(parsed.errors[0].code, Code::DuplicateKey);
        assert_eq!(parsed.errors[0].span.start, 5);
        assert_eq!(
            parsed.documents[0].root.get("a").and_then(Node::as_int),
            Some(2)
        );
        // Large mappings take the hashed path: the same reports, at the repeated key.
        let large: String = (0..20)
            .map(|i| format!("k{i}: {i}\n"))
            .chain(["k3: again\n".to_owned(), "k3: thrice\n".to_owned()])
            .collect();
        let parsed = parse(FileId(0), &large, Limits::default());
        let repeated: Vec<&str> = parsed
            .errors
            .iter()
            .map(|error| {
                slice(
                    &large,
                    &Node {
                        span: error.span,
                        value: Value::Null,
                    },
                )
            })
            .collect();
        assert_eq!(repeated, ["k3", "k3"]);
    }

    fn errors(text: &str) -> Vec<(Code, String)> {
        parse(FileId(0), text, Limits::default())
            .errors
            .into_iter()
            .map(|error| {
                (
                    error.code,
                    text[error.span.start as usize..error.span.end as usize].to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn merges_apply_in_order_like_go_yaml_v2() {
        let flow = parse_one("sc: {privileged: false, <<: {privileged: true}}\n");
        let sc = flow.get("sc").expect("sc");
        assert_eq!(sc.get("privileged").and_then(Node::as_bool), Some(true));
        assert_eq!(sc.as_map().map(<[Entry]>::len), Some(1));
        let block = parse_one("sc:\n  runAsNonRoot: false\n  !!merge <<: {runAsNonRoot: true}\n");
        let sc = block.get("sc").expect("sc");
        assert_eq!(sc.get("runAsNonRoot").and_then(Node::as_bool), Some(true));
        // Earlier mappings of a merged sequence win over later ones, and all over what came
        // before the merge; a quoted `"<<"` is an ordinary key.
        let list = parse_one(
            "x: &x {a: 1}\ny: &y {a: 2, b: 2}\nm: {a: 0, b: 0, <<: [*x, *y], \"<<\": q}\n",
        );
        let m = list.get("m").expect("m");
        assert_eq!(m.get("a").and_then(Node::as_int), Some(1));
        assert_eq!(m.get("b").and_then(Node::as_int), Some(2));
        assert_eq!(m.get("<<").and_then(Node::as_str), Some("q"));
    }

    #[test]
    fn merges_go_yaml_refuses_are_errors() {
        for text in [
            "s: &s [{a: 1}]\nm: {<<: *s}\n",
            "m: {<<: 1}\n",
            "m: {<<: [1]}\n",
            "m: {<<: ~}\n",
            "s: &s 1\nm: {<<: [*s]}\n",
        ] {
            let codes: Vec<Code> = errors(text).into_iter().map(|(code, _)| code).collect();
            assert_eq!(codes, [Code::InvalidMerge], "{text}");
        }
        assert!(errors("m: {<<: []}\n").is_empty());
    }

    #[test]
    fn keys_equal_under_yaml_1_1_are_duplicates_and_the_last_wins() {
        assert_eq!(
            errors("y: 1\nyes: 2\n0x1: 3\n1: 4\n"),
            [
                (Code::DuplicateKey, "yes".to_owned()),
                (Code::DuplicateKey, "1".to_owned())
            ]
        );
        let root = parse_one("a: 1\n<<: {a: 2}\n");
        assert_eq!(root.get("a").and_then(Node::as_int), Some(2));
    }

    #[test]
    fn an_unknown_alias_is_an_unknown_anchor() {
        assert_eq!(
            errors("a: *nowhere\n"),
            [(Code::UnknownAnchor, "*nowhere".to_owned())]
        );
    }

    #[test]
    fn a_document_after_an_explicit_end_without_a_start_is_not_read() {
        let parsed = parse(FileId(0), "a: 1\n...\nb: 2\n---\nc: 3\n", Limits::default());
        assert!(parsed.errors.is_empty());
        let keys: Vec<bool> = parsed
            .documents
            .iter()
            .map(|doc| doc.root.get("c").is_some())
            .collect();
        assert_eq!(keys, [false, true]);
        assert!(parsed.documents[0].root.get("a").is_some());
    }

    #[test]
    fn core_tags_are_applied_or_refused_like_go_yaml() {
        let root =
            parse_one("a: !!float 80\nb: !!float 0x50\nc: !!int \"7\"\nd: !!str 80\ne: 0X1F\n");
        assert!(matches!(
            root.get("a").map(|n| &n.value),
            Some(Value::Float(80.0))
        ));
        assert!(matches!(
            root.get("b").map(|n| &n.value),
            Some(Value::Float(80.0))
        ));
        assert_eq!(root.get("c").and_then(Node::as_int), Some(7));
        assert_eq!(root.get("d").and_then(Node::as_str), Some("80"));
        assert_eq!(root.get("e").and_then(Node::as_int), Some(31));
        for refused in ["a: !!int 1.5\n", "a: !!bool maybe\n", "a: !!null x\n"] {
            let codes: Vec<Code> = errors(refused).into_iter().map(|(code, _)| code).collect();
            assert_eq!(codes, [Code::InvalidYaml], "{refused}");
        }
    }

    impl Value {
        fn as_bool_value(&self) -> Option<bool> {
            match self {
                Value::Bool(flag) => Some(*flag),
                _ => None,
            }
        }
    }
}
