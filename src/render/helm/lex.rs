//! The lexer of Go's `text/template`: text and actions, `{{-`/`-}}` trimming (the marker must
//! touch the delimiter and be followed/preceded by a space), comments `{{/* */}}`, and the
//! tokens of an action. Whitespace between tokens is kept as a flag because it separates
//! arguments: `.a.b` is one field chain, `.a .b` two arguments.

use super::TemplateError;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    /// Literal text between actions (after trimming), as a byte range of the source.
    Text,
    Open,
    Close,
    Ident(String),
    /// `.Name` (the name without the dot).
    Field(String),
    /// `$name` (`$` alone is the empty name).
    Variable(String),
    Dot,
    Str(String),
    /// A number or character constant, as written.
    Number(String),
    Pipe,
    LeftParen,
    RightParen,
    Comma,
    Declare,
    Assign,
}

#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// Whitespace came right before this token inside an action.
    pub(crate) spaced: bool,
}

const OPEN: &str = "{{";
const CLOSE: &str = "}}";

fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n')
}

/// Every token of `source`.
pub(crate) fn lex(source: &str) -> Result<Vec<Token>, TemplateError> {
    let mut lexer = Lexer {
        source,
        bytes: source.as_bytes(),
        pos: 0,
        tokens: Vec::new(),
        trim_next_text: false,
    };
    lexer.run()?;
    Ok(lexer.tokens)
}

struct Lexer<'a> {
    source: &'a str,
    bytes: &'a [u8],
    pos: usize,
    tokens: Vec<Token>,
    trim_next_text: bool,
}

impl Lexer<'_> {
    fn at(&self, offset: usize) -> u8 {
        self.bytes.get(offset).copied().unwrap_or(0)
    }

    fn rest(&self) -> &str {
        self.source.get(self.pos..).unwrap_or_default()
    }

    fn run(&mut self) -> Result<(), TemplateError> {
        while self.pos < self.bytes.len() {
            let found = memchr::memmem::find(self.rest().as_bytes(), OPEN.as_bytes())
                .map(|index| self.pos + index);
            let text_end = found.unwrap_or(self.bytes.len());
            let left_trim =
                found.is_some_and(|open| self.at(open + 2) == b'-' && is_space(self.at(open + 3)));
            self.push_text(self.pos, text_end, left_trim);
            let Some(open) = found else {
                self.pos = self.bytes.len();
                break;
            };
            self.pos = open + 2 + if left_trim { 2 } else { 0 };
            if self.comment(open)? {
                continue;
            }
            self.tokens.push(Token {
                tok: Tok::Open,
                start: open,
                end: self.pos,
                spaced: false,
            });
            self.action(open)?;
        }
        Ok(())
    }

    fn push_text(&mut self, start: usize, end: usize, trim_right: bool) {
        let mut start = start;
        let mut end = end;
        if std::mem::take(&mut self.trim_next_text) {
            while start < end && is_space(self.at(start)) {
                start += 1;
            }
        }
        if trim_right {
            while end > start && is_space(self.at(end - 1)) {
                end -= 1;
            }
        }
        if start < end {
            self.tokens.push(Token {
                tok: Tok::Text,
                start,
                end,
                spaced: false,
            });
        }
    }

    /// A comment action `{{/* ... */}}` (with optional trim markers); true when one was read.
    fn comment(&mut self, open: usize) -> Result<bool, TemplateError> {
        if !self.rest().starts_with("/*") {
            return Ok(false);
        }
        let Some(close) = self.rest().find("*/") else {
            return Err(TemplateError::at(open, "unclosed comment"));
        };
        self.pos += close + 2;
        if self.rest().starts_with(" -}}") {
            self.pos += 4;
            self.trim_next_text = true;
        } else if self.rest().starts_with(CLOSE) {
            self.pos += 2;
        } else {
            return Err(TemplateError::at(
                open,
                "comment ends before closing delimiter",
            ));
        }
        Ok(true)
    }

    /// The tokens of one action, through its closing delimiter.
    fn action(&mut self, open: usize) -> Result<(), TemplateError> {
        let mut spaced = false;
        let mut depth = 0usize;
        loop {
            let byte = self.at(self.pos);
            if self.pos >= self.bytes.len() {
                return Err(TemplateError::at(open, "unclosed action"));
            }
            if is_space(byte) {
                let start = self.pos;
                while is_space(self.at(self.pos)) {
                    self.pos += 1;
                }
                if self.rest().starts_with("-}}") {
                    self.close(start, self.pos + 3, depth, open)?;
                    self.trim_next_text = true;
                    return Ok(());
                }
                spaced = true;
                continue;
            }
            if self.rest().starts_with(CLOSE) {
                self.close(self.pos, self.pos + 2, depth, open)?;
                return Ok(());
            }
            let start = self.pos;
            let tok = self.token(&mut depth)?;
            self.tokens.push(Token {
                tok,
                start,
                end: self.pos,
                spaced,
            });
            spaced = false;
        }
    }

    fn close(
        &mut self,
        start: usize,
        end: usize,
        depth: usize,
        open: usize,
    ) -> Result<(), TemplateError> {
        if depth > 0 {
            return Err(TemplateError::at(open, "unclosed left paren"));
        }
        self.pos = end;
        self.tokens.push(Token {
            tok: Tok::Close,
            start,
            end,
            spaced: false,
        });
        Ok(())
    }

    fn token(&mut self, depth: &mut usize) -> Result<Tok, TemplateError> {
        let start = self.pos;
        let byte = self.at(start);
        self.pos += 1;
        Ok(match byte {
            b'|' => Tok::Pipe,
            b',' => Tok::Comma,
            b'(' => {
                *depth += 1;
                Tok::LeftParen
            }
            b')' => {
                if *depth == 0 {
                    return Err(TemplateError::at(start, "unexpected right paren"));
                }
                *depth -= 1;
                Tok::RightParen
            }
            b':' if self.at(self.pos) == b'=' => {
                self.pos += 1;
                Tok::Declare
            }
            b'=' => Tok::Assign,
            b'"' => Tok::Str(self.quoted(start)?),
            b'`' => {
                let Some(close) = self.rest().find('`') else {
                    return Err(TemplateError::at(start, "unterminated raw quoted string"));
                };
                let text = self.rest().get(..close).unwrap_or_default().to_string();
                self.pos += close + 1;
                Tok::Str(text)
            }
            b'\'' => {
                self.char_constant(start)?;
                Tok::Number(
                    self.source
                        .get(start..self.pos)
                        .unwrap_or_default()
                        .to_string(),
                )
            }
            b'$' => Tok::Variable(self.word()),
            b'.' if !self.at(self.pos).is_ascii_digit() => {
                let name = self.word();
                if name.is_empty() {
                    Tok::Dot
                } else {
                    Tok::Field(name)
                }
            }
            b'0'..=b'9' | b'.' | b'+' | b'-' => {
                while is_number_byte(self.at(self.pos)) {
                    self.pos += 1;
                }
                Tok::Number(
                    self.source
                        .get(start..self.pos)
                        .unwrap_or_default()
                        .to_string(),
                )
            }
            byte if is_word_byte(byte) => {
                self.pos = start;
                Tok::Ident(self.word())
            }
            _ => {
                let shown = self.rest_char(start);
                return Err(TemplateError::at(
                    start,
                    format!("unexpected {shown:?} in command"),
                ));
            }
        })
    }

    fn rest_char(&self, start: usize) -> char {
        self.source
            .get(start..)
            .and_then(|rest| rest.chars().next())
            .unwrap_or('\0')
    }

    fn word(&mut self) -> String {
        let start = self.pos;
        while is_word_byte(self.at(self.pos)) || self.at(self.pos) >= 0x80 {
            self.pos += 1;
        }
        self.source
            .get(start..self.pos)
            .unwrap_or_default()
            .to_string()
    }

    fn quoted(&mut self, start: usize) -> Result<String, TemplateError> {
        loop {
            if self.pos >= self.bytes.len() || self.at(self.pos) == b'\n' {
                return Err(TemplateError::at(start, "unterminated quoted string"));
            }
            match self.at(self.pos) {
                b'\\' => self.pos += 2,
                b'"' => {
                    self.pos += 1;
                    break;
                }
                _ => self.pos += 1,
            }
        }
        let raw = self.source.get(start + 1..self.pos - 1).unwrap_or_default();
        unquote(raw).ok_or_else(|| TemplateError::at(start, "invalid syntax in quoted string"))
    }

    fn char_constant(&mut self, start: usize) -> Result<(), TemplateError> {
        loop {
            match self.at(self.pos) {
                b'\\' => self.pos += 2,
                b'\'' => {
                    self.pos += 1;
                    return Ok(());
                }
                _ if self.pos >= self.bytes.len() => {
                    return Err(TemplateError::at(start, "unterminated character constant"));
                }
                b'\n' => return Err(TemplateError::at(start, "unterminated character constant")),
                _ => self.pos += 1,
            }
        }
    }
}

fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

fn is_number_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'+' | b'-')
}

/// The value of a Go double-quoted string's inside.
pub(crate) fn unquote(raw: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = raw.chars();
    while let Some(ch) = chars.next() {
        if ch != '\\' {
            out.push(ch);
            continue;
        }
        let escaped = chars.next()?;
        match escaped {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'v' => out.push('\u{b}'),
            '\\' | '"' | '\'' => out.push(escaped),
            'x' => out.push(hex_char(&mut chars, 2)?),
            'u' => out.push(hex_char(&mut chars, 4)?),
            'U' => out.push(hex_char(&mut chars, 8)?),
            '0'..='7' => {
                let digits: String = std::iter::once(escaped)
                    .chain(chars.by_ref().take(2))
                    .collect();
                out.push(char::from_u32(u32::from_str_radix(&digits, 8).ok()?)?);
            }
            _ => return None,
        }
    }
    Some(out)
}

fn hex_char(chars: &mut std::str::Chars<'_>, count: usize) -> Option<char> {
    let digits: String = chars.by_ref().take(count).collect();
    if digits.len() != count {
        return None;
    }
    char::from_u32(u32::from_str_radix(&digits, 16).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(source: &str) -> Vec<String> {
        lex(source)
            .unwrap_or_default()
            .iter()
            .filter(|token| token.tok == Tok::Text)
            .map(|token| {
                source
                    .get(token.start..token.end)
                    .unwrap_or_default()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn trim_markers_eat_whitespace_on_their_side_only() {
        assert_eq!(texts("a  \n{{- 1 -}}\n  b"), ["a", "b"]);
        assert_eq!(texts("a \n{{ 1 }} b"), ["a \n", " b"]);
        assert_eq!(texts("a {{- /* c */ -}} b"), ["a", "b"]);
    }

    #[test]
    fn a_dash_without_space_is_a_number() {
        let tokens = lex("{{-3}}").unwrap_or_default();
        assert_eq!(
            tokens.get(1).map(|token| token.tok.clone()),
            Some(Tok::Number("-3".into()))
        );
    }

    #[test]
    fn strings_unquote_go_escapes() {
        assert_eq!(unquote(r#"a\n\x41\u00e9\101"#).as_deref(), Some("a\nAéA"));
        assert!(lex("{{ \"open }}").is_err());
    }
}
