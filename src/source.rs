//! Source files and positions.
//!
//! Everything downstream of the loader refers to source text through a [`Span`]: a file id plus a
//! byte range. Lines and columns are only computed when a report needs them, from a line index
//! built once per file.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

/// `bytes` as text, invalid UTF-8 replaced by U+FFFD as `String::from_utf8_lossy` does, but
/// checked first with the fast validator (the lossy decoder walks byte by byte).
pub fn lossy_utf8(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// [`lossy_utf8`] of bytes it owns, without a copy when they are valid UTF-8.
pub fn lossy_utf8_owned(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes)
        .unwrap_or_else(|invalid| String::from_utf8_lossy(invalid.as_bytes()).into_owned())
}

/// Index of a file in the [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        let clamp = |offset: usize| u32::try_from(offset).unwrap_or(u32::MAX);
        Span {
            file,
            start: clamp(start),
            end: clamp(end.max(start)),
        }
    }
}

/// A 1-based line and a 1-based column counted in characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// One loaded file: how the user sees its path, and its text.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user gave it, or relative to the walked directory (`<stdin>` for `-`).
    pub display: String,
    pub text: String,
    /// Computed on first use: most files of a large repository never need a position.
    line_starts: OnceLock<Vec<u32>>,
}

impl SourceFile {
    pub fn new(display: String, text: String) -> Self {
        SourceFile {
            display,
            text,
            line_starts: OnceLock::new(),
        }
    }

    /// The byte offset of each line's start (files are at most a few tens of MiB: u32 fits).
    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| line_starts(&self.text))
    }

    fn line_start(&self, index: usize) -> Option<usize> {
        self.line_starts().get(index).map(|&start| start as usize)
    }

    /// The 1-based position of a byte offset; offsets inside a character or past the end are
    /// clamped to the nearest valid position.
    pub fn position(&self, offset: u32) -> Position {
        let offset = (offset as usize).min(self.text.len());
        let line_index = self
            .line_starts()
            .partition_point(|&start| start as usize <= offset)
            .saturating_sub(1);
        let line_start = self.line_start(line_index).unwrap_or(0);
        let prefix = self.text.get(line_start..offset).unwrap_or("");
        Position {
            line: line_index + 1,
            column: prefix.chars().count() + 1,
        }
    }

    /// The text of a 1-based line without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        let start = self.line_start(line.wrapping_sub(1));
        let end = self.line_start(line).unwrap_or(self.text.len());
        start
            .and_then(|start| self.text.get(start..end))
            .map(|text| text.trim_end_matches(['\n', '\r']))
            .unwrap_or("")
    }

    /// The 1-based position of the first byte past the line/column pair, for error positions
    /// that a parser gives as a line and a 0-based character column.
    pub fn offset_of(&self, line: usize, column0: usize) -> usize {
        let start = self
            .line_start(line.saturating_sub(1))
            .unwrap_or(self.text.len());
        let rest = self.text.get(start..).unwrap_or("");
        rest.char_indices()
            .nth(column0)
            .map_or(self.text.len(), |(index, _)| start + index)
    }
}

/// YAML recognises LF, CRLF and a lone CR as line breaks.
fn line_starts(text: &str) -> Vec<u32> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    let mut push = |index: usize| starts.push(u32::try_from(index).unwrap_or(u32::MAX));
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'\r' if bytes.get(index + 1) == Some(&b'\n') => {
                index += 2;
                push(index);
            }
            b'\r' | b'\n' => {
                index += 1;
                push(index);
            }
            _ => index += 1,
        }
    }
    starts
}

/// All files read in one run, indexed by [`FileId`].
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<Arc<SourceFile>>,
}

impl SourceMap {
    pub fn add(&mut self, file: SourceFile) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(Arc::new(file));
        id
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize).map(Arc::as_ref)
    }

    pub fn display(&self, id: FileId) -> &str {
        self.get(id)
            .map_or("<unknown>", |file| file.display.as_str())
    }

    pub fn position(&self, span: Span) -> (Position, Position) {
        match self.get(span.file) {
            Some(file) => (file.position(span.start), file.position(span.end)),
            None => {
                let origin = Position { line: 1, column: 1 };
                (origin, origin)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_become_text_as_the_lossy_decoder_makes_it() {
        for bytes in [&b"caf\xc3\xa9"[..], b"a\xffb\xc3", b""] {
            let expected = String::from_utf8_lossy(bytes);
            assert_eq!(lossy_utf8(bytes), expected);
            assert_eq!(lossy_utf8_owned(bytes.to_vec()), expected);
        }
        assert!(matches!(lossy_utf8(b"valid"), Cow::Borrowed("valid")));
    }

    #[test]
    fn positions_count_characters_not_bytes() {
        let file = SourceFile::new("f".into(), "a: é\nbb: x\r\nc: y\rd".into());
        assert_eq!(file.position(0), Position { line: 1, column: 1 });
        // "x" on line 2 is at byte 10: "é" takes two bytes but one column.
        assert_eq!(file.position(10), Position { line: 2, column: 5 });
        assert_eq!(file.position(16), Position { line: 3, column: 4 });
        assert_eq!(file.position(18), Position { line: 4, column: 1 });
        assert_eq!(file.position(1000), Position { line: 4, column: 2 });
        assert_eq!(file.line_text(2), "bb: x");
        assert_eq!(file.line_text(9), "");
    }

    #[test]
    fn offset_of_inverts_position() {
        let file = SourceFile::new("f".into(), "é: 1\nkey: x\n".into());
        assert_eq!(file.offset_of(1, 1), 2);
        assert_eq!(file.offset_of(2, 5), 11);
        assert_eq!(file.offset_of(7, 0), file.text.len());
    }
}
