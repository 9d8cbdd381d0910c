//! Helm's `toYaml` and `fromYaml`, byte for byte.
//!
//! `toYaml` is `sigs.k8s.io/yaml.Marshal`: the value goes through `encoding/json` (sorted map
//! keys; numbers in Go's JSON form, so whole floats become integers) and back through go-yaml
//! v2's emitter, whose rules are reproduced here: 2-space indentation with sequences inside
//! mappings not indented, empty collections in flow style (`{}`, `[]`), strings quoted when
//! they would read back as something else (YAML 1.1 booleans, numbers, timestamps, base-60),
//! single quotes when plain style is not allowed, double quotes with escapes for tabs and
//! other unprintable characters, literal blocks (`|`, `|-`, `|+`) for multi-line strings, and
//! plain and quoted strings folded at the first space after column 80. Helm trims the final
//! newline. Every scalar and key is written with its origin.

use regex::Regex;
use std::sync::LazyLock;

use super::text::{Origin, Traced};
use super::value::{Kind, MAX_DEPTH, Slot, Val, from_node_with, map_of};
use crate::source::{FileId, Span};
use crate::yaml::{Limits, parse};

const BEST_WIDTH: usize = 80;
const BEST_INDENT: usize = 2;

/// `toYaml value`.
pub(crate) fn to_yaml(value: &Val) -> Traced {
    emit(value, false)
}

/// `toYamlPretty value`: go-yaml v3's encoder with 2-space indentation, on the value itself
/// (no JSON round trip): sequences inside mappings indented, no folding of long lines, floats in Go's `%g` form (`1`,
/// `1e+06`), map keys in v3's natural order (`a2` before `a10`), struct fields by their
/// lower-cased names. Quoting and literal blocks are v2's.
pub(crate) fn to_yaml_pretty(value: &Val) -> Traced {
    emit(value, true)
}

fn emit(value: &Val, pretty: bool) -> Traced {
    let mut emitter = Emitter {
        pretty,
        ..Emitter::default()
    };
    emitter.document(value);
    let mut out = emitter.out;
    if out.text.ends_with('\n') {
        out = out.slice(0, out.text.len() - 1);
    }
    out
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

/// The emitter's position state, as libyaml keeps it.
struct Emitter {
    out: Traced,
    column: usize,
    whitespace: bool,
    indention: bool,
    /// go-yaml v3 as `toYamlPretty` runs it, rather than v2 behind JSON.
    pretty: bool,
}

impl Default for Emitter {
    fn default() -> Self {
        Emitter {
            out: Traced::default(),
            column: 0,
            whitespace: true,
            indention: true,
            pretty: false,
        }
    }
}

fn weak(origin: Option<Origin>) -> Option<Origin> {
    origin.map(|origin| Origin {
        exact: false,
        ..origin
    })
}

impl Emitter {
    /// Where long scalars fold: go-yaml v2 at 80 columns; v3 (`toYamlPretty`) never.
    fn best_width(&self) -> usize {
        if self.pretty { usize::MAX } else { BEST_WIDTH }
    }

    fn put(&mut self, text: &str, origin: Option<Origin>) {
        self.out.push(text, origin);
        self.column += text.chars().count();
    }

    fn put_break(&mut self) {
        self.out.push("\n", None);
        self.column = 0;
    }

    fn write_indent(&mut self, indent: usize) {
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(" ", None);
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn indicator(
        &mut self,
        text: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
        origin: Option<Origin>,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(" ", None);
        }
        self.put(text, origin);
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn document(&mut self, value: &Val) {
        self.node(value, None, false, 0);
        self.write_indent(0);
    }

    /// A node; `parent` is the block indent of the enclosing collection (None at the root),
    /// `in_mapping` whether it is a mapping value (sequences there are not indented).
    fn node(&mut self, value: &Val, parent: Option<usize>, in_mapping: bool, depth: usize) {
        if depth > MAX_DEPTH {
            self.scalar_text("null", value.origin);
            return;
        }
        match &value.kind {
            Kind::Map(map) => {
                let map = map.borrow();
                if map.is_empty() {
                    self.indicator("{}", true, false, false, weak(value.origin));
                    return;
                }
                let indent = parent.map_or(0, |parent| parent + BEST_INDENT);
                let mut slots: Vec<(&String, &Slot)> = map.iter().collect();
                if self.pretty {
                    slots.sort_by(|a, b| natural_order(a.0, b.0));
                }
                for (key, slot) in slots {
                    self.write_indent(indent);
                    let key_value = Val::str(key.clone()).with_origin(slot.key);
                    self.string(&key_value, key, indent, true);
                    self.indicator(":", false, false, false, None);
                    self.node(&slot.value, Some(indent), true, depth + 1);
                }
            }
            Kind::List(items) => {
                if items.is_empty() {
                    self.indicator("[]", true, false, false, weak(value.origin));
                    return;
                }
                let indent = match parent {
                    None => 0,
                    Some(parent) if in_mapping && !self.indention && !self.pretty => parent,
                    Some(parent) => parent + BEST_INDENT,
                };
                for item in items.iter() {
                    self.write_indent(indent);
                    self.indicator("-", true, false, true, None);
                    self.node(item, Some(indent), false, depth + 1);
                }
            }
            Kind::Object(object) if self.pretty => {
                let fields = object
                    .fields
                    .iter()
                    .map(|(name, value)| (name.to_lowercase(), value.clone()))
                    .collect::<Vec<_>>();
                let fields = fields
                    .iter()
                    .map(|(name, value)| (name.as_str(), value.clone()))
                    .collect();
                self.node(&map_of(fields), parent, in_mapping, depth + 1);
            }
            Kind::Object(object) => {
                let fields = object
                    .fields
                    .iter()
                    .filter(|(_, value)| value.truthy())
                    .map(|(name, value)| (*name, value.clone()))
                    .collect();
                self.node(&json_object(fields), parent, in_mapping, depth + 1);
            }
            Kind::Str(text) => {
                let indent = parent.map_or(BEST_INDENT, |parent| parent + BEST_INDENT);
                self.string(value, &text.text, indent, false);
            }
            Kind::Nil => self.scalar_text("null", value.origin),
            Kind::Bool(flag) => {
                self.scalar_text(if *flag { "true" } else { "false" }, value.origin)
            }
            Kind::Int(number, _) => self.scalar_text(&number.to_string(), value.origin),
            Kind::Float(number) if self.pretty => {
                self.scalar_text(&go_yaml_v3_float(*number), value.origin)
            }
            Kind::Float(number) => self.scalar_text(&yaml_float(*number), value.origin),
        }
    }

    fn scalar_text(&mut self, text: &str, origin: Option<Origin>) {
        if !self.whitespace {
            self.put(" ", None);
        }
        self.put(text, weak(origin));
        self.whitespace = false;
        self.indention = false;
    }

    /// A string scalar in the style go-yaml v2 picks for it.
    fn string(&mut self, value: &Val, text: &str, indent: usize, simple_key: bool) {
        let analysis = analyze(text);
        let mut style = if text.contains('\n') {
            Style::Literal
        } else if resolves_to_string(text) {
            Style::Plain
        } else {
            Style::Double
        };
        if simple_key && analysis.multiline {
            style = Style::Double;
        }
        if style == Style::Plain
            && (!analysis.block_plain_allowed || (text.is_empty() && simple_key))
        {
            style = Style::Single;
        }
        if style == Style::Single && !analysis.single_quoted_allowed {
            style = Style::Double;
        }
        if style == Style::Literal && (!analysis.block_allowed || simple_key) {
            style = Style::Double;
        }
        let untraced;
        let traced = match &value.kind {
            Kind::Str(traced) => traced,
            _ => {
                untraced = Traced::plain(text);
                &untraced
            }
        };
        let origin = traced.first_origin().or(value.origin);
        match style {
            Style::Plain => self.plain(traced, value.origin, indent, !simple_key),
            Style::Single => self.quoted(text, '\'', indent, !simple_key, weak(origin)),
            Style::Double => self.quoted(text, '"', indent, !simple_key, weak(origin)),
            Style::Literal => self.literal(traced, value.origin, indent),
        }
    }

    fn plain(
        &mut self,
        text: &Traced,
        fallback: Option<Origin>,
        indent: usize,
        allow_breaks: bool,
    ) {
        if !self.whitespace {
            self.put(" ", None);
        }
        let chars: Vec<(usize, char)> = text.text.char_indices().collect();
        let mut spaces = false;
        let mut run_start = 0;
        for (position, &(offset, ch)) in chars.iter().enumerate() {
            if ch == ' ' {
                let next_is_space = chars
                    .get(position + 1)
                    .is_some_and(|(_, next)| *next == ' ');
                if allow_breaks
                    && !spaces
                    && self.column + (offset - run_start) > self.best_width()
                    && !next_is_space
                {
                    self.traced_run(text, run_start, offset, fallback);
                    self.write_indent(indent);
                    run_start = offset + 1;
                    spaces = true;
                    continue;
                }
                spaces = true;
            } else {
                spaces = false;
            }
        }
        self.traced_run(text, run_start, text.text.len(), fallback);
        self.whitespace = false;
        self.indention = false;
    }

    fn traced_run(&mut self, text: &Traced, start: usize, end: usize, fallback: Option<Origin>) {
        if start >= end {
            return;
        }
        let slice = text.slice(start, end);
        self.column += slice.text.chars().count();
        self.out.push_traced(&slice, weak(fallback));
    }

    /// Single- or double-quoted, escaped and folded as go-yaml v2 writes it.
    fn quoted(
        &mut self,
        text: &str,
        quote: char,
        indent: usize,
        allow_breaks: bool,
        origin: Option<Origin>,
    ) {
        self.indicator(
            if quote == '"' { "\"" } else { "'" },
            true,
            false,
            false,
            origin,
        );
        let chars: Vec<char> = text.chars().collect();
        let mut spaces = false;
        for (index, &ch) in chars.iter().enumerate() {
            let is_last = index + 1 == chars.len();
            if ch == ' ' {
                let next_is_space = chars.get(index + 1) == Some(&' ');
                let fold_ok = quote == '"' || !next_is_space;
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width()
                    && index > 0
                    && !is_last
                    && fold_ok
                {
                    self.write_indent(indent);
                    if quote == '"' && next_is_space {
                        self.put("\\", origin);
                    }
                } else {
                    self.put(" ", origin);
                }
                spaces = true;
                continue;
            }
            spaces = false;
            if quote == '\'' {
                if ch == '\'' {
                    self.put("''", origin);
                } else {
                    self.put(ch.encode_utf8(&mut [0; 4]), origin);
                }
                self.indention = false;
                continue;
            }
            match double_escape(ch) {
                Some(escape) => self.put(&escape, origin),
                None => self.put(ch.encode_utf8(&mut [0; 4]), origin),
            }
        }
        self.indicator(
            if quote == '"' { "\"" } else { "'" },
            false,
            false,
            false,
            origin,
        );
    }

    fn literal(&mut self, text: &Traced, fallback: Option<Origin>, indent: usize) {
        let value = &text.text;
        let mut header = String::from("|");
        if value.starts_with([' ', '\n', '\r']) {
            header.push_str(&BEST_INDENT.to_string());
        }
        let trailing_breaks = value.len() - value.trim_end_matches('\n').len();
        if trailing_breaks == 0 {
            header.push('-');
        } else if trailing_breaks >= 2 || value == "\n" {
            header.push('+');
        }
        self.indicator(&header, true, false, false, None);
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        for line in text.lines() {
            let content = line.text.strip_suffix('\n').unwrap_or(&line.text);
            if !content.is_empty() {
                self.write_indent(indent);
                let body = line.slice(0, content.len());
                self.column += body.text.chars().count();
                self.out.push_traced(&body, weak(fallback));
                self.indention = false;
            }
            if line.text.ends_with('\n') {
                self.put_break();
                self.indention = true;
            }
        }
        self.whitespace = true;
    }
}

fn json_object(fields: Vec<(&str, Val)>) -> Val {
    let lowered: Vec<(String, Val)> = fields
        .into_iter()
        .map(|(name, value)| {
            let mut chars = name.chars();
            let first = chars
                .next()
                .map(|ch| ch.to_ascii_lowercase().to_string())
                .unwrap_or_default();
            (first + chars.as_str(), value)
        })
        .collect();
    map_of(
        lowered
            .iter()
            .map(|(name, value)| (name.as_str(), value.clone()))
            .collect(),
    )
}

/// A float as it comes back from JSON into go-yaml: a whole number that fits 64 bits is an
/// integer; anything else is `strconv.FormatFloat(f, 'g', -1, 64)`.
fn yaml_float(number: f64) -> String {
    if number.is_nan() {
        return ".nan".into();
    }
    if number.is_infinite() {
        return if number > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        };
    }
    if number.fract() == 0.0 && number.abs() < 1e21 {
        let text = format!("{number}");
        if text.parse::<i64>().is_ok() || text.parse::<u64>().is_ok() {
            return text;
        }
    }
    super::format::format_float_g(number, None, false)
}

/// go-yaml v3's float: `strconv.FormatFloat(f, 'g', -1, 64)`, with YAML's infinities and NaN.
fn go_yaml_v3_float(number: f64) -> String {
    if number.is_nan() {
        ".nan".into()
    } else if number.is_infinite() {
        if number > 0.0 { ".inf" } else { "-.inf" }.into()
    } else {
        super::format::format_float_g(number, None, false)
    }
}

/// go-yaml v3's `keyList.Less` on string keys: letters before other characters, runs of
/// digits compared as numbers, so `a2` sorts before `a10`.
fn natural_order(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (left, right): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let before = |flag: bool| {
        if flag {
            Ordering::Less
        } else {
            Ordering::Greater
        }
    };
    let mut digits = false;
    for (index, (&l, &r)) in left.iter().zip(&right).enumerate() {
        if l == r {
            digits = is_go_digit(l);
            continue;
        }
        let (l_letter, r_letter) = (l.is_alphabetic(), r.is_alphabetic());
        if l_letter && r_letter {
            return l.cmp(&r);
        }
        if l_letter || r_letter {
            return before(if digits { l_letter } else { r_letter });
        }
        // A zero after other digits is part of a number already begun.
        let begun = (l == '0' || r == '0')
            && left
                .iter()
                .take(index)
                .rev()
                .take_while(|ch| is_go_digit(**ch))
                .any(|ch| *ch != '0');
        let (l_number, l_end) = digit_run(&left, index, i64::from(begun));
        let (r_number, r_end) = digit_run(&right, index, i64::from(begun));
        if l_number != r_number {
            return l_number.cmp(&r_number);
        }
        if l_end != r_end {
            return l_end.cmp(&r_end);
        }
        return l.cmp(&r);
    }
    left.len().cmp(&right.len())
}

/// Go's `unicode.IsDigit`.
fn is_go_digit(ch: char) -> bool {
    if u32::from(ch) <= 0xff {
        ch.is_ascii_digit()
    } else {
        ch.is_numeric()
    }
}

/// The number the digits from `start` spell (continuing `number`, with Go's wrapping and its
/// `rune - '0'` for non-ASCII digits), and where they end.
fn digit_run(chars: &[char], start: usize, mut number: i64) -> (i64, usize) {
    let mut end = start;
    for ch in chars.iter().skip(start).take_while(|ch| is_go_digit(**ch)) {
        number = number
            .wrapping_mul(10)
            .wrapping_add(i64::from(u32::from(*ch)) - i64::from(u32::from('0')));
        end += 1;
    }
    (number, end)
}

/// libyaml's `\`-escape for a character that cannot appear as is in a double-quoted scalar.
fn double_escape(ch: char) -> Option<String> {
    let code = ch as u32;
    let simple = match ch {
        '\0' => "0",
        '\u{7}' => "a",
        '\u{8}' => "b",
        '\t' => "t",
        '\n' => "n",
        '\u{b}' => "v",
        '\u{c}' => "f",
        '\r' => "r",
        '\u{1b}' => "e",
        '"' => "\"",
        '\\' => "\\",
        '\u{85}' => "N",
        '\u{2028}' => "L",
        '\u{2029}' => "P",
        _ if is_printable(ch) && ch != '\u{feff}' => return None,
        _ if code <= 0xFF => return Some(format!("\\x{code:02X}")),
        _ if code <= 0xFFFF => return Some(format!("\\u{code:04X}")),
        _ => return Some(format!("\\U{code:08X}")),
    };
    Some(format!("\\{simple}"))
}

/// libyaml's printable set (note: not tabs, and not characters beyond the BMP).
fn is_printable(ch: char) -> bool {
    let code = ch as u32;
    code == 0x0A
        || (0x20..=0x7E).contains(&code)
        || (0xA0..=0xD7FF).contains(&code)
        || ((0xE000..=0xFFFD).contains(&code) && code != 0xFEFF)
}

fn is_break(ch: char) -> bool {
    matches!(ch, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

/// libyaml's `yaml_emitter_analyze_scalar` for block context.
fn analyze(value: &str) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let chars: Vec<char> = value.chars().collect();
    let mut block_indicators = value.starts_with("---") || value.starts_with("...");
    let (mut special, mut line_breaks) = (false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_whitespace = true;
    for (index, &ch) in chars.iter().enumerate() {
        let next = chars.get(index + 1).copied();
        let followed_by_whitespace =
            next.is_none_or(|next| next == ' ' || next == '\t' || is_break(next));
        if index == 0 {
            match ch {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match ch {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(ch) && !is_break(ch) || ch == '\u{feff}' {
            special = true;
        }
        if ch == '\u{85}' {
            special = true;
        }
        let is_last = index + 1 == chars.len();
        if ch == ' ' {
            leading_space |= index == 0;
            trailing_space |= is_last;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(ch) {
            line_breaks = true;
            leading_break |= index == 0;
            trailing_break |= is_last;
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = ch == ' ' || ch == '\t' || is_break(ch);
    }
    let mut analysis = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        analysis.block_plain_allowed = false;
    }
    if trailing_space {
        analysis.block_allowed = false;
    }
    if break_space {
        analysis.block_plain_allowed = false;
        analysis.single_quoted_allowed = false;
    }
    if space_break || special {
        analysis.block_plain_allowed = false;
        analysis.single_quoted_allowed = false;
        analysis.block_allowed = false;
    }
    if line_breaks || block_indicators {
        analysis.block_plain_allowed = false;
    }
    analysis
}

static FLOAT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$").ok());
static BASE60: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$").ok());
static TIMESTAMP: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^[0-9]{4}-([0-9]{1,2})-([0-9]{1,2})(?:(?:([Tt])|( ))([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.[0-9]+)?(Z|[-+][0-9]{2}:[0-9]{2})?)?$").ok()
});

fn matches(regex: &LazyLock<Option<Regex>>, text: &str) -> bool {
    regex.as_ref().is_some_and(|regex| regex.is_match(text))
}

/// go-yaml v2's `resolve` of an unquoted scalar is `!!str`, and it is not a base-60 float.
fn resolves_to_string(text: &str) -> bool {
    const WORDS: &[&str] = &[
        "", "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
        "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
        ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan",
        ".NaN", ".NAN", "<<",
    ];
    if WORDS.contains(&text) || matches(&BASE60, text) {
        return false;
    }
    match text.as_bytes().first() {
        Some(b'.') => text.parse::<f64>().is_err() || text.contains(['i', 'I', 'n', 'N']),
        Some(b'0'..=b'9' | b'+' | b'-') => {
            if is_timestamp(text) {
                return false;
            }
            let plain = text.replace('_', "");
            !(go_int(&plain) || matches(&FLOAT, &plain) || binary_int(&plain))
        }
        _ => true,
    }
}

fn is_timestamp(text: &str) -> bool {
    let Some(captures) = TIMESTAMP.as_ref().and_then(|regex| regex.captures(text)) else {
        return false;
    };
    let number = |index: usize| {
        captures
            .get(index)
            .and_then(|found| found.as_str().parse::<u32>().ok())
    };
    let date_ok = number(1).is_some_and(|month| (1..=12).contains(&month))
        && number(2).is_some_and(|day| (1..=31).contains(&day));
    let has_time = captures.get(5).is_some();
    let zone = captures.get(8).is_some();
    let separator_t = captures.get(3).is_some();
    if !has_time {
        return date_ok;
    }
    let time_ok = number(5).is_some_and(|hour| hour < 24)
        && number(6).is_some_and(|minute| minute < 60)
        && number(7).is_some_and(|second| second < 60);
    date_ok && time_ok && (separator_t == zone)
}

/// `strconv.ParseInt(s, 0, 64)` or `ParseUint` succeeds.
fn go_int(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let lower = unsigned.to_ascii_lowercase();
    let (digits, radix) = if let Some(rest) = lower.strip_prefix("0x") {
        (rest, 16)
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (rest, 8)
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (rest, 2)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (lower.get(1..).unwrap_or_default(), 8)
    } else {
        (lower.as_str(), 10)
    };
    !digits.is_empty() && u64::from_str_radix(digits, radix).is_ok()
}

fn binary_int(text: &str) -> bool {
    let digits = text.strip_prefix("-0b").or_else(|| text.strip_prefix("0b"));
    digits
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b == b'0' || b == b'1'))
}

/// `fromYaml`/`fromYamlArray`: the first document, read as Helm reads values (through JSON);
/// an error is returned in the value, as Helm does. Strings keep the origins of the text.
pub(crate) fn from_yaml(text: &Traced, array: bool) -> Val {
    let parsed = parse(FileId(u32::MAX), &text.text, Limits::default());
    if let Some(error) = parsed.errors.first() {
        return error_value(
            format!("error converting YAML to JSON: {}", error.message),
            array,
        );
    }
    let Some(document) = parsed.documents.first() else {
        return if array {
            Val::list(Vec::new())
        } else {
            Val::map(Default::default())
        };
    };
    let origin_of = |node: &crate::yaml::Node, _len: Option<usize>| {
        let span: Span = text.origin_at(node.span.start as usize)?;
        Some(Origin { span, exact: false })
    };
    let value = from_node_with(&document.root, &origin_of);
    match (&value.kind, array) {
        (Kind::Map(_), false) | (Kind::List(_), true) | (Kind::Nil, _) => value,
        (_, false) => error_value(
            format!(
                "error unmarshaling JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                json_kind(&value)
            ),
            false,
        ),
        (_, true) => error_value(
            format!(
                "error unmarshaling JSON: json: cannot unmarshal {} into Go value of type []interface {{}}",
                json_kind(&value)
            ),
            true,
        ),
    }
}

fn json_kind(value: &Val) -> &'static str {
    match value.kind {
        Kind::Map(_) => "object",
        Kind::List(_) => "array",
        Kind::Str(_) => "string",
        Kind::Bool(_) => "bool",
        _ => "number",
    }
}

fn error_value(message: String, array: bool) -> Val {
    if array {
        Val::list(vec![Val::str(message)])
    } else {
        map_of(vec![("Error", Val::str(message))])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(value: &Val) -> String {
        to_yaml(value).text
    }

    fn map(pairs: Vec<(&str, Val)>) -> Val {
        map_of(pairs)
    }

    #[test]
    fn pretty_indents_sequences_sorts_keys_naturally_and_prints_floats_as_go() {
        let value = map(vec![
            ("a10", Val::float(1e6)),
            ("a2", Val::list(vec![Val::float(1.0), Val::str("yes")])),
            ("b", map(vec![])),
        ]);
        assert_eq!(
            to_yaml_pretty(&value).text,
            "a2:\n  - 1\n  - \"yes\"\na10: 1e+06\nb: {}"
        );
        assert_eq!(yaml(&value), "a10: 1000000\na2:\n- 1\n- \"yes\"\nb: {}");
    }

    #[test]
    fn natural_order_is_go_yaml_v3s() {
        let mut keys = vec!["a10", "a2", "b", "A", "a", "_", "a02", "1", "10", "9z"];
        keys.sort_by(|a, b| natural_order(a, b));
        assert_eq!(
            keys,
            ["_", "1", "9z", "10", "A", "a", "a2", "a02", "a10", "b"]
        );
    }

    #[test]
    fn mappings_sort_keys_and_sequences_in_mappings_are_not_indented() {
        let value = map(vec![
            (
                "b",
                Val::list(vec![
                    map(vec![("name", Val::str("x")), ("image", Val::str("nginx"))]),
                    Val::str("z"),
                ]),
            ),
            (
                "a",
                map(vec![
                    ("c", Val::float(1.0)),
                    ("d", Val::list(Vec::new())),
                    ("e", map(Vec::new())),
                ]),
            ),
        ]);
        assert_eq!(
            yaml(&value),
            "a:\n  c: 1\n  d: []\n  e: {}\nb:\n- image: nginx\n  name: x\n- z"
        );
        let nested = Val::list(vec![Val::list(vec![Val::str("a"), Val::str("b")])]);
        assert_eq!(yaml(&nested), "- - a\n  - b");
    }

    #[test]
    fn strings_are_quoted_when_they_would_read_back_as_something_else() {
        let cases = [
            ("8080", "\"8080\""),
            ("true", "\"true\""),
            ("yes", "\"yes\""),
            ("", "\"\""),
            ("1e3", "\"1e3\""),
            ("0x1F", "\"0x1F\""),
            ("2024-01-02", "\"2024-01-02\""),
            ("12:30", "\"12:30\""),
            ("1.2.3", "1.2.3"),
            ("nginx:1.25", "nginx:1.25"),
            ("- a", "'- a'"),
            ("a: b", "'a: b'"),
            (" lead", "' lead'"),
            ("it's", "it's"),
            ("*", "'*'"),
            ("tab\there", "\"tab\\there\""),
            ("a #b", "'a #b'"),
        ];
        for (text, expected) in cases {
            assert_eq!(yaml(&Val::str(text)), expected, "{text:?}");
        }
    }

    #[test]
    fn multi_line_strings_are_literal_blocks_with_chomping() {
        let value = map(vec![
            ("a", Val::str("x\ny\n")),
            ("b", Val::str("x\ny")),
            ("c", Val::str("x\n\n")),
            ("d", Val::str("x \ny")),
        ]);
        assert_eq!(
            yaml(&value),
            "a: |\n  x\n  y\nb: |-\n  x\n  y\nc: |+\n  x\n\nd: \"x \\ny\""
        );
    }

    #[test]
    fn long_plain_strings_fold_after_column_80() {
        let words = vec!["word"; 30].join(" ");
        let text = yaml(&map(vec![("k", Val::str(words))]));
        let first = text.lines().next().unwrap_or_default();
        assert!(first.len() > 80 && first.len() < 90, "{text}");
        assert!(
            text.lines()
                .nth(1)
                .is_some_and(|line| line.starts_with("  word"))
        );
    }

    #[test]
    fn numbers_take_their_json_form() {
        let value = map(vec![
            ("big", Val::float(1e6)),
            ("half", Val::float(0.5)),
            ("huge", Val::float(1e21)),
            ("int", Val::int(3)),
            ("nil", Val::nil()),
        ]);
        assert_eq!(
            yaml(&value),
            "big: 1000000\nhalf: 0.5\nhuge: 1e+21\nint: 3\nnil: null"
        );
    }

    #[test]
    fn from_yaml_reads_numbers_as_floats_and_reports_errors_in_the_value() {
        let value = from_yaml(&Traced::plain("a: 1\nb: [x]\n"), false);
        assert_eq!(
            value.get("a").map(|value| value.type_name()),
            Some("float64")
        );
        let error = from_yaml(&Traced::plain("- 1\n"), false);
        assert!(error.get("Error").is_some());
        let _ = Slot {
            key: None,
            value: Val::nil(),
        };
    }
}
