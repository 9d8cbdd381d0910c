//! Text positions as the protocol counts them: a 0-based line and a 0-based character offset in
//! UTF-16 code units (the protocol's default) or in bytes (when the client offers UTF-8), with
//! LF, CRLF and a lone CR all ending a line. Pure; the editor's buffer and the spans of our trees
//! meet here.

use lsp_types::{Position, Range, TextDocumentContentChangeEvent};

/// How the client counts characters in a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    Utf8,
    Utf16,
}

impl Encoding {
    fn width(self, character: char) -> usize {
        match self {
            Encoding::Utf8 => character.len_utf8(),
            Encoding::Utf16 => character.len_utf16(),
        }
    }
}

/// A text with the offsets of its line starts.
#[derive(Clone, Debug)]
pub(crate) struct Text {
    pub(crate) text: String,
    line_starts: Vec<usize>,
}

impl Text {
    pub(crate) fn new(text: String) -> Self {
        let line_starts = line_starts(&text);
        Text { text, line_starts }
    }

    /// Apply one change of `textDocument/didChange`: the whole text, or a range replaced.
    /// Ranges past the end are clamped, so a confused client cannot make the server fail.
    pub(crate) fn apply(&mut self, change: TextDocumentContentChangeEvent, encoding: Encoding) {
        match change.range {
            None => self.text = change.text,
            Some(range) => {
                let start = self.offset(range.start, encoding);
                let end = self.offset(range.end, encoding).max(start);
                self.text.replace_range(start..end, &change.text);
            }
        }
        self.line_starts = line_starts(&self.text);
    }

    /// The byte offset of `position`: a character past the end of its line is the line's end,
    /// a line past the last is the end of the text; always a character boundary.
    pub(crate) fn offset(&self, position: Position, encoding: Encoding) -> usize {
        let Some(&start) = self.line_starts.get(position.line as usize) else {
            return self.text.len();
        };
        let line = self.text.get(start..).unwrap_or("");
        let mut units = 0;
        for (index, character) in line.char_indices() {
            if units >= position.character as usize || matches!(character, '\n' | '\r') {
                return start + index;
            }
            units += encoding.width(character);
        }
        self.text.len()
    }

    /// The position of a byte offset (clamped to the text, and back to a character boundary).
    pub(crate) fn position(&self, offset: usize, encoding: Encoding) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self
            .line_starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1);
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let character: usize = self
            .text
            .get(start..offset)
            .unwrap_or("")
            .chars()
            .map(|character| encoding.width(character))
            .sum();
        Position::new(saturate(line), saturate(character))
    }

    pub(crate) fn range(&self, start: usize, end: usize, encoding: Encoding) -> Range {
        Range::new(
            self.position(start, encoding),
            self.position(end.max(start), encoding),
        )
    }
}

fn saturate(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

fn line_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        index += 1;
        match byte {
            b'\r' if bytes.get(index) == Some(&b'\n') => {
                index += 1;
                starts.push(index);
            }
            b'\r' | b'\n' => starts.push(index),
            _ => {}
        }
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(
        range: Option<((u32, u32), (u32, u32))>,
        text: &str,
    ) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: range.map(|((l1, c1), (l2, c2))| {
                Range::new(Position::new(l1, c1), Position::new(l2, c2))
            }),
            range_length: None,
            text: text.to_owned(),
        }
    }

    #[test]
    fn utf16_counts_surrogate_pairs_twice_and_utf8_counts_bytes() {
        let text = Text::new("a: é😀x\r\nb: y\rc".to_owned());
        let x = text.text.find('x').expect("x");
        assert_eq!(text.position(x, Encoding::Utf16), Position::new(0, 6));
        assert_eq!(text.position(x, Encoding::Utf8), Position::new(0, 9));
        assert_eq!(text.offset(Position::new(0, 6), Encoding::Utf16), x);
        assert_eq!(text.offset(Position::new(0, 9), Encoding::Utf8), x);
        assert_eq!(
            text.position(text.text.len(), Encoding::Utf16),
            Position::new(2, 1)
        );
        // Past the end of a line, of the text, or inside a character: clamped.
        assert_eq!(text.offset(Position::new(1, 99), Encoding::Utf16), 16);
        assert_eq!(
            text.offset(Position::new(9, 0), Encoding::Utf16),
            text.text.len()
        );
        assert_eq!(text.position(4, Encoding::Utf8), Position::new(0, 3));
    }

    #[test]
    fn incremental_changes_edit_ranges_and_full_changes_replace() {
        let mut text = Text::new("kind: Pod\nspec: {}\n".to_owned());
        text.apply(change(Some(((1, 6), (1, 8))), "{a: 1}"), Encoding::Utf16);
        assert_eq!(text.text, "kind: Pod\nspec: {a: 1}\n");
        text.apply(change(Some(((0, 0), (0, 0))), "---\n"), Encoding::Utf16);
        assert_eq!(
            text.position(text.text.len(), Encoding::Utf16),
            Position::new(3, 0)
        );
        // A reversed or out-of-range edit never panics.
        text.apply(change(Some(((9, 9), (0, 0))), "!"), Encoding::Utf16);
        assert!(text.text.ends_with('!'));
        text.apply(change(None, "new"), Encoding::Utf16);
        assert_eq!(text.text, "new");
    }
}
