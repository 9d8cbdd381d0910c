//! The fast path of the loader: the YAML nearly every manifest is written in, scanned by hand.
//!
//! Manifests, rendered charts and CRDs use a small part of YAML: block mappings and sequences,
//! plain and quoted scalars, block scalars, simple flow collections, comments and `---`. This
//! scanner reads that part with less than half the instructions `granit-parser` spends (2.3x
//! fewer on kube-prometheus-stack's 4.5 MB of CRDs) and produces the very events, with the very
//! spans, that `granit-parser` would, so that the tree built from them is the same. Anything
//! outside that part (anchors, aliases, tags, comments inside flow collections, complex keys,
//! tabs or carriage returns where they matter, directives, and everything that is an error)
//! makes it decline the whole file, which `granit-parser` then reads: errors are always
//! reported by the full parser, and the fast path never has to be right about an unusual
//! construct. The tests in this module compare both parsers' events on every shared file the
//! fast path takes and on generated text.

use std::borrow::Cow;

use granit_parser::{Event, ScalarStyle, StructureStyle};

/// The fast path does not take this input: read it with the full parser.
#[derive(Debug)]
pub(super) struct Declined;

type Step<T = ()> = Result<T, Declined>;

/// An event with its byte span, as the full parser reports them.
pub(super) type Spanned<'a> = (Event<'a>, usize, usize);

/// Longest simple key YAML allows.
const MAX_KEY_BYTES: usize = 1024;

/// The events of every document in `text`, or [`Declined`].
pub(super) fn events(text: &str, max_depth: usize) -> Result<Vec<Spanned<'_>>, Declined> {
    if !plain_characters(text) {
        return Err(Declined);
    }
    let mut scanner = Scanner {
        text,
        bytes: text.as_bytes(),
        events: Vec::with_capacity(text.len() / 8),
        depth: 0,
        max_depth: max_depth.saturating_sub(2),
    };
    scanner.stream()?;
    Ok(scanner.events)
}

/// Text without a byte order mark, carriage returns, control characters or non-characters,
/// each of which the full parser treats specially or refuses.
fn plain_characters(text: &str) -> bool {
    // Whole chunks without an early exit, so that the check runs on vectors of bytes.
    let ascii_ok = text.as_bytes().chunks(64).all(|chunk| {
        chunk.iter().fold(true, |ok, &byte| {
            ok & (byte >= 0x20 && byte != 0x7f || byte == b'\n' || byte == b'\t' || byte >= 0x80)
        })
    });
    ascii_ok && (text.is_ascii() || non_ascii_characters_allowed(text))
}

/// Whether every character of `text` outside ASCII is one the full parser reads as content.
fn non_ascii_characters_allowed(text: &str) -> bool {
    let mut rest = text;
    while let Some(at) = rest.bytes().position(|byte| byte >= 0x80) {
        let Some(c) = rest.get(at..).and_then(|tail| tail.chars().next()) else {
            return false;
        };
        let allowed = c == '\u{85}'
            || ('\u{a0}'..='\u{d7ff}').contains(&c)
            || ('\u{e000}'..='\u{fffd}').contains(&c) && c != '\u{feff}'
            || c >= '\u{10000}';
        if !allowed {
            return false;
        }
        rest = rest.get(at + c.len_utf8()..).unwrap_or_default();
    }
    true
}

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    events: Vec<Spanned<'a>>,
    depth: usize,
    max_depth: usize,
}

/// A line holding content: where it starts, its indentation and where its content starts.
#[derive(Clone, Copy, Debug)]
struct Line {
    start: usize,
    indent: usize,
}

impl Line {
    fn content(self) -> usize {
        self.start + self.indent
    }
}

/// What the next content line is to the block being read.
enum Next {
    /// A line of content at this indentation.
    Content(Line),
    /// `---` or `...` at the start of a line (ends every block), at this offset.
    Marker(usize),
    End,
}

impl<'a> Scanner<'a> {
    fn push(&mut self, event: Event<'a>, start: usize, end: usize) {
        self.events.push((event, start, end));
    }

    /// An empty node (null), zero-width at `at`.
    fn push_empty(&mut self, at: usize) {
        let null = Event::Scalar(Cow::Borrowed("~"), ScalarStyle::Plain, 0, None);
        self.push(null, at, at);
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.bytes.get(at).copied()
    }

    /// The byte before `at`.
    fn before(&self, at: usize) -> Option<u8> {
        self.byte(at.checked_sub(1)?)
    }

    /// The text of `range`; every range this scanner cuts ends at ASCII bytes.
    fn slice(&self, range: std::ops::Range<usize>) -> Step<&'a str> {
        self.text.get(range).ok_or(Declined)
    }

    /// Whether `at` is a line break or the end of the text.
    fn at_break(&self, at: usize) -> bool {
        matches!(self.byte(at), None | Some(b'\n'))
    }

    fn at_space_or_break(&self, at: usize) -> bool {
        matches!(self.byte(at), None | Some(b'\n' | b' '))
    }

    fn line_end(&self, from: usize) -> usize {
        memchr::memchr(b'\n', self.bytes.get(from..).unwrap_or_default())
            .map_or(self.bytes.len(), |offset| from + offset)
    }

    /// The start of the line after the one holding `at`.
    fn next_line(&self, at: usize) -> usize {
        (self.line_end(at) + 1).min(self.bytes.len())
    }

    fn skip_spaces(&self, mut at: usize) -> usize {
        // Eight bytes at a time: manifests are indented deeply, and every line's indentation
        // is measured by more than one step of the scan.
        const SPACES: u64 = u64::from_le_bytes([b' '; 8]);
        while let Some(word) = (self.bytes.get(at..at + 8))
            .and_then(|chunk| <[u8; 8]>::try_from(chunk).ok())
            .map(u64::from_le_bytes)
        {
            let other = word ^ SPACES;
            if other != 0 {
                return at + other.trailing_zeros() as usize / 8;
            }
            at += 8;
        }
        while self.byte(at) == Some(b' ') {
            at += 1;
        }
        at
    }

    /// After content on a line: spaces and a comment up to the line break. Returns the start of
    /// the next line.
    fn finish_line(&self, at: usize) -> Step<usize> {
        let at = self.skip_spaces(at);
        match self.byte(at) {
            None | Some(b'\n') => Ok(self.next_line(at)),
            Some(b'#') if at > 0 && matches!(self.before(at), Some(b' ' | b'\n')) => {
                Ok(self.next_line(at))
            }
            _ => Err(Declined),
        }
    }

    fn is_marker(&self, at: usize, marker: &[u8]) -> bool {
        self.bytes
            .get(at..)
            .is_some_and(|rest| rest.starts_with(marker))
            && matches!(self.byte(at + 3), None | Some(b' ' | b'\n' | b'\t'))
    }

    /// The next line with content from the line starting at `from`, skipping blank and
    /// comment lines. A tab before content declines.
    fn next_content(&self, mut from: usize) -> Step<Next> {
        while from < self.bytes.len() {
            if self.is_marker(from, b"---") || self.is_marker(from, b"...") {
                return Ok(Next::Marker(from));
            }
            let content = self.skip_spaces(from);
            match self.byte(content) {
                None => return Ok(Next::End),
                Some(b'\n') => from = content + 1,
                Some(b'#') => from = self.next_line(content),
                Some(b'\t') => return Err(Declined),
                Some(_) => {
                    return Ok(Next::Content(Line {
                        start: from,
                        indent: content - from,
                    }));
                }
            }
        }
        Ok(Next::End)
    }

    /// Where the next token after a block starts: the next content, a marker or the end.
    fn token_at(&self, next: &Next) -> usize {
        match *next {
            Next::Content(line) => line.content(),
            Next::Marker(at) => at,
            Next::End => self.bytes.len(),
        }
    }

    fn stream(&mut self) -> Step {
        self.push(Event::StreamStart, 0, 0);
        let mut from = 0;
        loop {
            let next = self.next_content(from)?;
            let (explicit, content) = match next {
                Next::End => break,
                Next::Marker(at) if self.byte(at) == Some(b'.') => {
                    // `...` with no document before it.
                    return Err(Declined);
                }
                Next::Marker(at) => {
                    self.push(Event::DocumentStart(true, None), at, at + 3);
                    let after = self.finish_line(at + 3)?;
                    (Some(at + 3), self.next_content(after)?)
                }
                Next::Content(line) => (None, Next::Content(line)),
            };
            from = self.document(explicit, content)?;
        }
        let end = self.bytes.len();
        self.push(Event::StreamEnd, end, end);
        Ok(())
    }

    /// One document whose content (if any) is `content`; `explicit` is the end of its `---`.
    /// Returns where the text after it starts.
    fn document(&mut self, explicit: Option<usize>, content: Next) -> Step<usize> {
        let after = match content {
            Next::Content(line) => {
                if line.indent != 0 || !self.is_collection(line.content()) {
                    // A scalar or indented root: rare, left to the full parser.
                    return Err(Declined);
                }
                if explicit.is_none() {
                    let at = line.content();
                    self.push(Event::DocumentStart(false, None), at, at);
                }
                self.block_node(line, None)?
            }
            Next::Marker(_) | Next::End => {
                let Some(at) = explicit else {
                    return Err(Declined);
                };
                self.push_empty(at);
                match content {
                    Next::Marker(marker) if self.byte(marker) == Some(b'.') => {
                        self.push(Event::DocumentEnd, marker, marker + 3);
                        return self.finish_line(marker + 3);
                    }
                    _ => {
                        self.push(Event::DocumentEnd, at, at);
                        return Ok(self.token_at(&content));
                    }
                }
            }
        };
        match after {
            Next::Content(_) => Err(Declined),
            Next::Marker(at) if self.byte(at) == Some(b'.') => {
                self.push(Event::DocumentEnd, at, at + 3);
                self.finish_line(at + 3)
            }
            Next::Marker(at) => {
                self.push(Event::DocumentEnd, at, at);
                Ok(at)
            }
            Next::End => {
                let end = self.bytes.len();
                self.push(Event::DocumentEnd, end, end);
                Ok(end)
            }
        }
    }

    /// Whether the content at `at` starts a block sequence entry or a mapping key.
    fn is_collection(&self, at: usize) -> bool {
        self.is_entry(at) || self.key_end(at).is_some()
    }

    fn is_entry(&self, at: usize) -> bool {
        self.byte(at) == Some(b'-') && self.at_space_or_break(at + 1)
    }

    fn enter(&mut self) -> Step {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(Declined);
        }
        Ok(())
    }

    /// A block collection whose first token is on `line` at its indentation. `parent` is the
    /// indentation of the enclosing block (none at the root). Returns what follows it.
    fn block_node(&mut self, line: Line, parent: Option<usize>) -> Step<Next> {
        let at = line.content();
        if self.is_entry(at) {
            self.sequence(line.indent, at, false)
        } else if self.key_end(at).is_some() {
            self.mapping(line.indent, at)
        } else {
            // A scalar on a line of its own: the value of `key:` or `-` written below it.
            let parent = parent.ok_or(Declined)?;
            self.inline_value(at, parent)
        }
    }

    /// The offset just past the `:` of a mapping key starting at `at`, if a key starts there.
    fn key_end(&self, at: usize) -> Option<usize> {
        let end = match self.byte(at)? {
            b'"' | b'\'' => self.quoted_end(at)?,
            byte if starts_plain(byte, self.byte(at + 1)) => self.plain_line_end(at).ok()?.0,
            _ => return None,
        };
        if end - at > MAX_KEY_BYTES {
            return None;
        }
        let colon = self.skip_spaces(end);
        (self.byte(colon) == Some(b':') && self.at_space_or_break(colon + 1)).then_some(colon)
    }

    /// A block mapping at `indent` whose first key starts at `at`.
    fn mapping(&mut self, indent: usize, at: usize) -> Step<Next> {
        self.enter()?;
        self.push(Event::MappingStart(StructureStyle::Block, 0, None), at, at);
        let mut key_at = at;
        let next = loop {
            let colon = self.key(key_at)?;
            let next = self.mapping_value(indent, colon)?;
            match next {
                Next::Content(line) if line.indent == indent => {
                    key_at = line.content();
                    if self.is_entry(key_at) {
                        return Err(Declined);
                    }
                }
                Next::Content(line) if line.indent > indent => return Err(Declined),
                _ => break next,
            }
        };
        let end = self.token_at(&next);
        self.push(Event::MappingEnd, end, end);
        self.depth -= 1;
        Ok(next)
    }

    /// The key starting at `at`; returns the offset of its `:`.
    fn key(&mut self, at: usize) -> Step<usize> {
        let colon = self.key_end(at).ok_or(Declined)?;
        match self.byte(at).ok_or(Declined)? {
            b'"' | b'\'' => {
                let end = self.quoted(at, None)?;
                if self.skip_spaces(end) != colon {
                    return Err(Declined);
                }
            }
            _ => {
                let (end, _) = self.plain_line_end(at)?;
                self.single_line_plain(at, end)?;
            }
        }
        Ok(colon)
    }

    /// The value after the `:` at `colon` of a key in a mapping at `indent`.
    fn mapping_value(&mut self, indent: usize, colon: usize) -> Step<Next> {
        let at = self.skip_spaces(colon + 1);
        if !self.at_line_rest_empty(at) {
            if self.is_entry(at) {
                return Err(Declined);
            }
            return self.inline_value(at, indent);
        }
        let next = self.next_content(self.next_line(at))?;
        match next {
            Next::Content(line) if line.indent > indent => self.block_node(line, Some(indent)),
            Next::Content(line) if line.indent == indent && self.is_entry(line.content()) => {
                self.sequence(indent, line.content(), true)
            }
            _ => {
                self.push_empty(colon);
                Ok(next)
            }
        }
    }

    /// Whether nothing but spaces and a comment follow `at` on its line.
    fn at_line_rest_empty(&self, at: usize) -> bool {
        self.at_break(at) || self.byte(at) == Some(b'#') && self.before(at) == Some(b' ')
    }

    /// The content line after a value that ended on the line holding `at`.
    fn after_line(&self, at: usize) -> Step<Next> {
        let from = self.finish_line(at)?;
        self.next_content(from)
    }

    /// A block sequence at `indent` whose first `-` is at `at`; `indentless` when it is the
    /// value of a key at the same indentation.
    fn sequence(&mut self, indent: usize, at: usize, indentless: bool) -> Step<Next> {
        self.enter()?;
        // The full parser starts an indentless sequence at its first entry's first token.
        let start = if indentless {
            self.entry_token(at)?
        } else {
            at
        };
        self.push(
            Event::SequenceStart(StructureStyle::Block, 0, None),
            start,
            start,
        );
        let mut dash = at;
        let next = loop {
            let next = self.entry(indent, dash)?;
            match next {
                Next::Content(line) if line.indent == indent && self.is_entry(line.content()) => {
                    dash = line.content();
                }
                Next::Content(line) if line.indent > indent => return Err(Declined),
                Next::Content(line) if line.indent == indent && !indentless => {
                    return Err(Declined);
                }
                _ => break next,
            }
        };
        let end = self.token_at(&next);
        self.push(Event::SequenceEnd, end, end);
        self.depth -= 1;
        Ok(next)
    }

    /// Where the content of the entry after the `-` at `dash` starts, on the dash's line.
    /// An entry written below its dash declines: where the full parser starts the sequence
    /// then depends on what the entry is.
    fn entry_token(&self, dash: usize) -> Step<usize> {
        let at = self.skip_spaces(dash + 1);
        if self.at_line_rest_empty(at) {
            return Err(Declined);
        }
        Ok(at)
    }

    /// The entry after the `-` at `dash` of a sequence at `indent`.
    fn entry(&mut self, indent: usize, dash: usize) -> Step<Next> {
        let at = self.skip_spaces(dash + 1);
        if self.at_line_rest_empty(at) {
            let next = self.next_content(self.next_line(at))?;
            return match next {
                Next::Content(line) if line.indent > indent => self.block_node(line, Some(indent)),
                _ => {
                    // The full parser places an empty entry at the end of its line.
                    let at = self.line_end(at);
                    self.push_empty(at);
                    Ok(next)
                }
            };
        }
        // Compact forms: `- - x` and `- key: value` open a block at the entry's column.
        let column = at - self.line_start(at);
        if self.is_collection(at) {
            let line = Line {
                start: at - column,
                indent: column,
            };
            return self.block_node(line, Some(indent));
        }
        self.inline_value(at, indent)
    }

    fn line_start(&self, at: usize) -> usize {
        memchr::memrchr(b'\n', self.bytes.get(..at).unwrap_or_default())
            .map_or(0, |offset| offset + 1)
    }

    /// A scalar (or empty flow collection) starting at `at` on the line of its key or `-`;
    /// continuation lines must be indented more than `parent`. Returns what follows it.
    fn inline_value(&mut self, at: usize, parent: usize) -> Step<Next> {
        let end = match self.byte(at).ok_or(Declined)? {
            b'"' | b'\'' => self.quoted(at, Some(parent))?,
            b'|' | b'>' => {
                // A block scalar ends where the scan of its lines stopped.
                let stop = self.block_scalar(at, parent)?;
                return self.next_content(self.line_start(stop));
            }
            b'[' | b'{' => self.flow(at, parent)?,
            byte if starts_plain(byte, self.byte(at + 1)) => self.plain(at, parent)?,
            _ => return Err(Declined),
        };
        self.after_line(end)
    }

    /// A flow collection at `at` (`[` or `{`) of scalars and flow collections, which may span
    /// lines indented more than `parent`. Returns the offset past its closing bracket.
    fn flow(&mut self, at: usize, parent: usize) -> Step<usize> {
        self.enter()?;
        let is_mapping = self.byte(at) == Some(b'{');
        let (open, close, closing) = if is_mapping {
            let open = Event::MappingStart(StructureStyle::Flow, 0, None);
            (open, Event::MappingEnd, b'}')
        } else {
            let open = Event::SequenceStart(StructureStyle::Flow, 0, None);
            (open, Event::SequenceEnd, b']')
        };
        self.push(open, at, at + 1);
        let mut next = self.flow_space(at + 1, parent)?;
        while self.byte(next) != Some(closing) {
            let end = if is_mapping {
                let colon = self.flow_key(next, parent)?;
                let value = self.flow_space(colon + 1, parent)?;
                self.flow_item(value, parent)?
            } else {
                self.flow_item(next, parent)?
            };
            next = self.flow_space(end, parent)?;
            match self.byte(next).ok_or(Declined)? {
                b',' => next = self.flow_space(next + 1, parent)?,
                byte if byte == closing => {}
                _ => return Err(Declined),
            }
        }
        self.push(close, next, next + 1);
        self.depth -= 1;
        Ok(next + 1)
    }

    /// Past spaces and line breaks inside a flow collection; a continuation line must be
    /// indented more than `parent`. Comments and tabs there are left to the full parser.
    fn flow_space(&self, mut at: usize, parent: usize) -> Step<usize> {
        loop {
            match self.byte(at).ok_or(Declined)? {
                b' ' => at += 1,
                b'\n' => {
                    let line = at + 1;
                    if self.is_marker(line, b"---") || self.is_marker(line, b"...") {
                        return Err(Declined);
                    }
                    at = self.skip_spaces(line);
                    if at - line <= parent && !self.at_break(at) {
                        return Err(Declined);
                    }
                }
                b'\t' | b'#' => return Err(Declined),
                _ => return Ok(at),
            }
        }
    }

    /// A flow mapping's key at `at` (a scalar on one line); returns the offset of its `:`.
    fn flow_key(&mut self, at: usize, parent: usize) -> Step<usize> {
        let end = self.flow_item(at, parent)?;
        if matches!(self.byte(at), Some(b'[' | b'{')) {
            return Err(Declined);
        }
        let colon = self.skip_spaces(end);
        if self.byte(colon) != Some(b':') {
            return Err(Declined);
        }
        // After a plain key the `:` needs a space; after a quoted one it may touch the value.
        let quoted = matches!(self.byte(at), Some(b'"' | b'\''));
        let value = self.byte(colon + 1);
        if !quoted && !matches!(value, Some(b' ' | b'\n')) || matches!(value, Some(b',' | b'}')) {
            return Err(Declined);
        }
        Ok(colon)
    }

    /// A flow item at `at`: a flow collection, or a scalar on one line. Returns its end.
    fn flow_item(&mut self, at: usize, parent: usize) -> Step<usize> {
        match self.byte(at).ok_or(Declined)? {
            b'[' | b'{' => self.flow(at, parent),
            b'"' | b'\'' => {
                self.quoted_end(at).ok_or(Declined)?;
                self.quoted(at, None)
            }
            byte if starts_plain(byte, self.byte(at + 1)) => {
                let end = self.plain_flow_end(at)?;
                self.single_line_plain(at, end)
            }
            _ => Err(Declined),
        }
    }

    /// Where a plain scalar in a flow collection ends: before `,`, a bracket, `: ` or the
    /// line's end (trailing spaces excluded). One that goes on to the next line declines.
    fn plain_flow_end(&self, at: usize) -> Step<usize> {
        let mut end = at;
        let mut index = at;
        loop {
            match self.byte(index) {
                None | Some(b'\n') => {
                    // Whether the scalar continues on the next line decides its value.
                    let next = self.skip_spaces(index + 1);
                    if index < self.bytes.len()
                        && !matches!(self.byte(next), Some(b',' | b']' | b'}'))
                    {
                        return Err(Declined);
                    }
                    return Ok(end);
                }
                Some(b',' | b'[' | b']' | b'{' | b'}') => return Ok(end),
                Some(b':')
                    if matches!(
                        self.byte(index + 1),
                        None | Some(b' ' | b'\n' | b',' | b'[' | b']' | b'{' | b'}')
                    ) =>
                {
                    return Ok(end);
                }
                Some(b'#') if self.before(index) == Some(b' ') => return Err(Declined),
                Some(b'\t') => return Err(Declined),
                Some(b' ') => {}
                Some(_) => end = index + 1,
            }
            index += 1;
        }
    }

    /// Where a plain scalar starting at `at` ends on its line (trailing spaces excluded), and
    /// whether it stopped at `: ` (a key) rather than a comment or the line's end. A tab on
    /// the way declines: where it separates and where it is content is left to the full parser.
    fn plain_line_end(&self, at: usize) -> Step<(usize, bool)> {
        let line_end = self.line_end(at);
        let line = self.bytes.get(at..line_end).unwrap_or_default();
        // Only `:`, `#` and tabs can end the scalar early: jump from one to the next.
        let mut from = 0;
        let (stop, at_colon) = loop {
            let Some(found) =
                memchr::memchr3(b':', b'#', b'\t', line.get(from..).unwrap_or_default())
            else {
                break (line_end, false);
            };
            let index = at + from + found;
            match self.byte(index) {
                Some(b':') if self.at_space_or_break(index + 1) => break (index, true),
                Some(b'#') if self.before(index) == Some(b' ') => break (index, false),
                Some(b'\t') => return Err(Declined),
                _ => from += found + 1,
            }
        };
        // The scalar ends at its last byte other than a space before the stop.
        let kept = self.bytes.get(at..stop).unwrap_or_default();
        let end = at
            + kept
                .iter()
                .rposition(|&byte| byte != b' ')
                .map_or(0, |last| last + 1);
        Ok((end, at_colon))
    }

    /// A plain scalar value starting at `at`, with its continuation lines (indented more than
    /// `parent`). Returns where it ends.
    fn plain(&mut self, at: usize, parent: usize) -> Step<usize> {
        let (mut end, stopped_at_colon) = self.plain_line_end(at)?;
        if stopped_at_colon {
            return Err(Declined);
        }
        let mut folded: Option<String> = None;
        let mut from = self.next_line(end);
        if self.has_comment_after(end) {
            return self.single_line_plain(at, end);
        }
        loop {
            let mut breaks = 0;
            let mut line = from;
            // Blank lines between parts of the scalar each become a line feed.
            let content = loop {
                let content = self.skip_spaces(line);
                match self.byte(content) {
                    Some(b'\n') => {
                        breaks += 1;
                        line = content + 1;
                    }
                    Some(b'\t') => return Err(Declined),
                    _ => break content,
                }
            };
            let indent = content - line;
            let continues = line < self.bytes.len()
                && indent > parent
                && !self.at_break(content)
                && self.byte(content) != Some(b'#');
            if !continues {
                break;
            }
            let (part_end, stopped_at_colon) = self.plain_line_end(content)?;
            if stopped_at_colon {
                return Err(Declined);
            }
            let first = self.slice(at..end)?;
            let text = folded.get_or_insert_with(|| first.to_owned());
            if breaks == 0 {
                text.push(' ');
            } else {
                text.extend(std::iter::repeat_n('\n', breaks));
            }
            text.push_str(self.slice(content..part_end)?);
            end = part_end;
            from = self.next_line(end);
            if self.has_comment_after(end) {
                break;
            }
        }
        let value = folded.map_or(Cow::Borrowed(self.slice(at..end)?), Cow::Owned);
        self.push(Event::Scalar(value, ScalarStyle::Plain, 0, None), at, end);
        Ok(end)
    }

    fn single_line_plain(&mut self, at: usize, end: usize) -> Step<usize> {
        let text = self.slice(at..end)?;
        self.push(
            Event::Scalar(Cow::Borrowed(text), ScalarStyle::Plain, 0, None),
            at,
            end,
        );
        Ok(end)
    }

    /// Whether a comment follows `end` on its line (a plain scalar cannot continue past it).
    fn has_comment_after(&self, end: usize) -> bool {
        self.byte(self.skip_spaces(end)) == Some(b'#')
    }

    /// The offset just past the closing quote of the quoted scalar at `at` (which may span
    /// lines), if it closes.
    fn quoted_end(&self, at: usize) -> Option<usize> {
        let quote = self.byte(at)?;
        let mut index = at + 1;
        while let Some(byte) = self.byte(index) {
            match byte {
                b'\\' if quote == b'"' && self.byte(index + 1) == Some(b'\n') => return None,
                b'\\' if quote == b'"' => index += 2,
                b'\'' if quote == b'\'' && self.byte(index + 1) == Some(b'\'') => index += 2,
                byte if byte == quote => return Some(index + 1),
                b'\n' => return None,
                _ => index += 1,
            }
        }
        None
    }

    /// A quoted scalar at `at`. A key (`parent` none) stays on one line; a value may continue
    /// on lines indented more than `parent`. Returns the offset past its closing quote.
    fn quoted(&mut self, at: usize, parent: Option<usize>) -> Step<usize> {
        let quote = self.byte(at).ok_or(Declined)?;
        let style = if quote == b'"' {
            ScalarStyle::DoubleQuoted
        } else {
            ScalarStyle::SingleQuoted
        };
        if let Some(end) = self.quoted_end(at) {
            let inner = self.slice(at + 1..end - 1)?;
            let value = if quote == b'\'' {
                if inner.contains('\'') {
                    Cow::Owned(inner.replace("''", "'"))
                } else {
                    Cow::Borrowed(inner)
                }
            } else if inner.contains('\\') {
                Cow::Owned(unescape_line(inner)?)
            } else {
                Cow::Borrowed(inner)
            };
            self.push(Event::Scalar(value, style, 0, None), at, end);
            return Ok(end);
        }
        let parent = parent.ok_or(Declined)?;
        let (value, end) = self.multi_line_quoted(at, parent)?;
        self.push(Event::Scalar(Cow::Owned(value), style, 0, None), at, end);
        Ok(end)
    }

    /// A quoted scalar over several lines, folded: a single line break becomes a space, each
    /// blank line a line feed; spaces around breaks go. Continuation lines must be indented
    /// more than `parent` and may not start with a document marker.
    fn multi_line_quoted(&self, at: usize, parent: usize) -> Step<(String, usize)> {
        let quote = self.byte(at).ok_or(Declined)?;
        let mut value = String::new();
        let mut index = at + 1;
        let mut run_start = index;
        loop {
            let byte = self.byte(index).ok_or(Declined)?;
            match byte {
                b'\\' if quote == b'"' => {
                    if self.byte(index + 1) == Some(b'\n') {
                        // An escaped line break: joined without a space.
                        value.push_str(&unescape_line(self.slice(run_start..index)?)?);
                        index = self.continuation(index + 2, parent)?;
                        run_start = index;
                        continue;
                    }
                    index += 2;
                }
                b'\'' if quote == b'\'' && self.byte(index + 1) == Some(b'\'') => index += 2,
                _ if byte == quote => {
                    value.push_str(&self.unquote_run(quote, self.slice(run_start..index)?)?);
                    return Ok((value, index + 1));
                }
                b'\n' => {
                    let run = self.slice(run_start..index)?.trim_end_matches([' ', '\t']);
                    value.push_str(&self.unquote_run(quote, run)?);
                    let mut breaks = 0;
                    let mut line = index + 1;
                    loop {
                        let content = self.skip_spaces(line);
                        if self.byte(content) == Some(b'\n') {
                            breaks += 1;
                            line = content + 1;
                        } else {
                            break;
                        }
                    }
                    index = self.continuation(line, parent)?;
                    run_start = index;
                    if breaks == 0 {
                        value.push(' ');
                    } else {
                        value.extend(std::iter::repeat_n('\n', breaks));
                    }
                }
                _ => index += 1,
            }
        }
    }

    /// The first content of a quoted scalar's continuation line starting at `line`.
    fn continuation(&self, line: usize, parent: usize) -> Step<usize> {
        if self.is_marker(line, b"---") || self.is_marker(line, b"...") {
            return Err(Declined);
        }
        let content = self.skip_spaces(line);
        if content - line <= parent || matches!(self.byte(content), None | Some(b'\t' | b'\n')) {
            return Err(Declined);
        }
        Ok(content)
    }

    fn unquote_run(&self, quote: u8, run: &str) -> Step<String> {
        if quote == b'\'' {
            Ok(run.replace("''", "'"))
        } else {
            unescape_line(run)
        }
    }

    /// A block scalar whose header (`|`, `>`, with an optional chomping indicator) is at `at`,
    /// the value of a key or entry in a block at `parent`. Returns where the scan stopped.
    fn block_scalar(&mut self, at: usize, parent: usize) -> Step<usize> {
        let folded = self.byte(at) == Some(b'>');
        let chomping = match self.byte(at + 1) {
            Some(b'-') => Chomping::Strip,
            Some(b'+') => Chomping::Keep,
            _ => Chomping::Clip,
        };
        let header_end = at + 1 + usize::from(chomping != Chomping::Clip);
        if !self.at_space_or_break(header_end) {
            // An explicit indentation indicator, or something the full parser refuses.
            return Err(Declined);
        }
        let mut line = self.finish_line(header_end)?;
        // Leading blank lines, then the first content line sets the indentation.
        let mut leading_breaks = 0;
        let mut widest_blank = 0;
        let indent = loop {
            let content = self.skip_spaces(line);
            match self.byte(content) {
                Some(b'\n') => {
                    widest_blank = widest_blank.max(content - line);
                    leading_breaks += 1;
                    line = content + 1;
                }
                None | Some(b'\t') => return Err(Declined),
                Some(_) => break content - line,
            }
        };
        if indent <= parent || widest_blank > indent {
            return Err(Declined);
        }
        let start = line + indent;
        let mut value = String::new();
        value.extend(std::iter::repeat_n('\n', leading_breaks));
        let mut trailing_breaks = 0;
        let mut previous_more_indented = false;
        let mut first = true;
        let stop;
        loop {
            // `line` starts a line whose first `indent` columns are spaces, or the scan stops.
            let spaces = self.skip_spaces(line) - line;
            if spaces < indent {
                if self.at_break(line + spaces) && line + spaces < self.bytes.len() {
                    trailing_breaks += 1;
                    line = line + spaces + 1;
                    continue;
                }
                stop = line + spaces;
                break;
            }
            let text_start = line + indent;
            let line_end = self.line_end(text_start);
            let text = self.slice(text_start..line_end)?;
            if text.is_empty() && line_end < self.bytes.len() {
                trailing_breaks += 1;
                line = line_end + 1;
                continue;
            }
            if text.trim_start_matches([' ', '\t']).is_empty() {
                // Only white space past the indentation: content or not, by rules left to the
                // full parser.
                return Err(Declined);
            }
            let more_indented = text.starts_with([' ', '\t']);
            if !first {
                if folded && !previous_more_indented && !more_indented {
                    if trailing_breaks == 0 {
                        value.push(' ');
                    }
                } else {
                    value.push('\n');
                }
                value.extend(std::iter::repeat_n('\n', trailing_breaks));
            }
            trailing_breaks = 0;
            first = false;
            previous_more_indented = more_indented;
            value.push_str(text);
            if line_end >= self.bytes.len() {
                // The full parser chomps a last line without a line break as if it had one.
                stop = line_end;
                break;
            }
            line = line_end + 1;
        }
        self.push_block(value, folded, chomping, trailing_breaks, start, stop);
        Ok(stop)
    }

    fn push_block(
        &mut self,
        mut value: String,
        folded: bool,
        chomping: Chomping,
        trailing_breaks: usize,
        start: usize,
        end: usize,
    ) {
        // The line break after the last content line, then those of the blank lines after it.
        match chomping {
            Chomping::Strip => {}
            Chomping::Clip => value.push('\n'),
            Chomping::Keep => value.extend(std::iter::repeat_n('\n', trailing_breaks + 1)),
        }
        let style = if folded {
            ScalarStyle::Folded
        } else {
            ScalarStyle::Literal
        };
        self.push(Event::Scalar(Cow::Owned(value), style, 0, None), start, end);
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Chomping {
    Strip,
    Clip,
    Keep,
}

/// Whether a plain scalar can start with `byte` (followed by `next`) in block context.
fn starts_plain(byte: u8, next: Option<u8>) -> bool {
    match byte {
        b'-' | b'?' | b':' => !matches!(next, None | Some(b' ' | b'\n' | b'\t')),
        b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
        | b'"' | b'%' | b'@' | b'`' | b' ' | b'\t' | b'\n' => false,
        _ => true,
    }
}

/// The text of a double-quoted run without line breaks, its escapes resolved.
fn unescape_line(run: &str) -> Step<String> {
    let mut value = String::with_capacity(run.len());
    let mut chars = run.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            value.push(c);
            continue;
        }
        let escaped = match chars.next().ok_or(Declined)? {
            '0' => '\0',
            'a' => '\x07',
            'b' => '\x08',
            't' | '\t' => '\t',
            'n' => '\n',
            'v' => '\x0b',
            'f' => '\x0c',
            'r' => '\r',
            'e' => '\x1b',
            ' ' => ' ',
            '"' => '"',
            '/' => '/',
            '\\' => '\\',
            'N' => '\u{85}',
            '_' => '\u{a0}',
            'L' => '\u{2028}',
            'P' => '\u{2029}',
            'x' => hex_char(&mut chars, 2)?,
            'u' => hex_char(&mut chars, 4)?,
            'U' => hex_char(&mut chars, 8)?,
            _ => return Err(Declined),
        };
        value.push(escaped);
    }
    Ok(value)
}

fn hex_char(chars: &mut std::str::Chars<'_>, digits: usize) -> Step<char> {
    let mut code = 0u32;
    for _ in 0..digits {
        let digit = chars.next().and_then(|c| c.to_digit(16)).ok_or(Declined)?;
        code = code * 16 + digit;
    }
    char::from_u32(code).ok_or(Declined)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use granit_parser::Parser;
    use proptest::prelude::*;

    use super::*;

    /// The full parser's events, as text, up to its first error (`Err` then).
    fn full_events(text: &str) -> Result<Vec<String>, Vec<String>> {
        let options = granit_parser::options! { emit_unresolved_aliases: true };
        let mut parser = Parser::new_from_str_with_options(text, options);
        let mut events = Vec::new();
        while let Some(next) = parser.next_event() {
            match next {
                Ok((event, span)) => {
                    let start = span.start.byte_offset().unwrap_or(0);
                    let end = span.end.byte_offset().unwrap_or(start);
                    events.push(format!("{event:?} {start}..{end}"));
                }
                Err(_) => return Err(events),
            }
        }
        Ok(events)
    }

    fn fast_events(text: &str) -> Option<Vec<String>> {
        let events = events(text, 256).ok()?;
        Some(
            events
                .into_iter()
                .map(|(event, start, end)| format!("{event:?} {start}..{end}"))
                .collect(),
        )
    }

    /// Whether both parsers agree on `text`: the fast path declines, or gives the full parser's
    /// events exactly (and the full parser takes the text without error).
    fn agree(text: &str) -> Result<bool, String> {
        let Some(fast) = fast_events(text) else {
            return Ok(false);
        };
        match full_events(text) {
            Ok(full) if full == fast => Ok(true),
            Ok(full) => {
                let at = full.iter().zip(&fast).position(|(a, b)| a != b);
                let at = at.unwrap_or(full.len().min(fast.len()));
                Err(format!(
                    "first difference at event {at}: full {:?}, fast {:?}",
                    full.get(at),
                    fast.get(at)
                ))
            }
            Err(_) => Err("the full parser refuses the text the fast path read".into()),
        }
    }

    #[track_caller]
    fn assert_taken(text: &str) {
        assert_eq!(agree(text), Ok(true), "{text:?}");
    }

    #[track_caller]
    fn assert_declined(text: &str) {
        assert_eq!(agree(text), Ok(false), "{text:?}");
    }

    #[test]
    fn block_collections_and_scalars_match_the_full_parser() {
        for text in [
            "apiVersion: v1\nkind: Pod  # c\nmetadata:\n  name: \"x\"\n  labels: {}\n",
            "a:\n  b:\n    c: 1   # x\n\n  # comment\nd: |\n  lit\n# top\ne: >\n  f\n\n\n",
            "--- # c\nkey : \"v\\n\\\"q\"\nlist:\n- a\n-   b  \n- \n-\n  x: 1\n  y: 2\n- - n\nlast: |+\n  keep\n\n",
            "a:   # c\nb:\n- x\n-   # c\n  y: 1\nc:\n  - q\nd:\n    e: 1\n  # c\n",
            "---\n---\n# c\n...\n---\nx: 1\n...\n",
            "a: |-\n\n  x\n   y\n  \n\nb: 1\n",
            "desc: a plain\n  multi line\n\n  with a break\nq: 'single '' q\n  next'\n",
            "d: \"a \\\n  b\"\ne: \"x\n\n  y\"\n",
            "s:\n  - |\n    hello\n      x\n\n  - >-\n    folded\n    text\n\n     more\n    end\n",
            "k: v\n---\n- a\n- b: c\n  d: []\n",
            "a: [x, \"y\", 'z', 1]\nb: {k: v, \"q\": 2}\nc: [ a , b ]\nd: [a,\n  b]\ne: [{x: 1}, [2]]\nf: [a, ]\n",
            "a: b\n  - c\n  [d] \"e\"\n",
            "url: http://x:8080/a#b  \nk: a:b c#d   # c\nt: x   \n  y  \n",
            "name: café\nemoji: \u{1f600} ok\nnbsp: a\u{a0}b\n",
        ] {
            assert_taken(text);
        }
    }

    #[test]
    fn spaces_are_skipped_to_the_first_other_byte_or_the_end() {
        for spaces in 0..20 {
            for after in ["", "x", "\n"] {
                let text = format!("{}{after}", " ".repeat(spaces));
                let scanner = Scanner {
                    text: &text,
                    bytes: text.as_bytes(),
                    events: Vec::new(),
                    depth: 0,
                    max_depth: 10,
                };
                for from in 0..=spaces {
                    assert_eq!(scanner.skip_spaces(from), spaces, "{text:?} from {from}");
                }
            }
        }
    }

    #[test]
    fn unusual_yaml_is_left_to_the_full_parser() {
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !!str 1\n",
            "a: [1, # c\n  2]\n",
            "a: [b\n  c]\n",
            "? a\n: b\n",
            "%YAML 1.1\n---\na: 1\n",
            "a:\tb\n",
            "a: b\r\n",
            "just a scalar\n",
            "a: b: c\n",
            "a: |2\n   x\n",
            "a: \"unclosed\n",
            "a: b \t\n",
            "a: x\u{feff}y\n",
            "a: \u{7f}\n",
        ] {
            assert_declined(text);
        }
    }

    /// Files under `root` with a YAML name.
    fn yaml_files(root: &Path, found: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(root) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                yaml_files(&path, found);
            } else if path
                .extension()
                .is_some_and(|extension| extension == "yaml" || extension == "yml")
            {
                found.push(path);
            }
        }
    }

    /// Every YAML file of the shared corpus and charts: where the fast path reads a file, its
    /// events are the full parser's; and it reads most of them, or it would be no fast path.
    #[test]
    fn the_fast_path_reads_the_shared_files_as_the_full_parser_does() {
        let corpus = std::env::var_os("KUBEPATROL_CORPUS").map_or_else(
            || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
            PathBuf::from,
        );
        if !corpus.is_dir() {
            eprintln!(
                "SKIPPED: corpus not found at {} (set KUBEPATROL_CORPUS)",
                corpus.display()
            );
            return;
        }
        let mut files = Vec::new();
        yaml_files(&corpus, &mut files);
        yaml_files(&corpus.join("../charts"), &mut files);
        let (mut read, mut taken, mut mismatches) = (0, 0, Vec::new());
        for path in &files {
            // A chart's templates are Go templates, not YAML.
            let is_template = path
                .components()
                .any(|part| part.as_os_str() == "templates");
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            if is_template {
                continue;
            }
            read += 1;
            match agree(&text) {
                Ok(true) => taken += 1,
                Ok(false) => {}
                Err(difference) => mismatches.push(format!("{}: {difference}", path.display())),
            }
        }
        eprintln!("fast path: {taken} of {read} files");
        assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
        assert!(taken * 10 >= read * 9, "only {taken} of {read} files");
    }

    proptest! {
        /// Text made of YAML's structural pieces: the fast path agrees or declines.
        #[test]
        fn generated_yaml_is_read_alike_or_declined(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "a", "b1", ":", ": ", " ", "  ", "\n", "- ", "-", "#", " # c", "'", "''", "\"",
                    "\\n", "|", "|-", ">", ">+", "{}", "[]", "---", "...", "\n  ", "\n    ", "x: ",
                    "~", "true", "\t", "\n- ", "\n  - ", "\n  b: ", "[", "]", "{", "}", ", ",
                    ",", "\\", "\\\n", "&a ", "*a", "!t ", "? ", "%", "\u{e9}",
                ]),
                0..48,
            )
        ) {
            let text = pieces.concat();
            prop_assert!(agree(&text).is_ok(), "{:?}: {:?}", text, agree(&text));
        }
    }
}
