//! Where a character of an expression was written in its file, when the expression is a YAML
//! scalar: plain, quoted, literal (`|`) or folded (`>`), on one line or many.
//!
//! The tree keeps the scalar's span, not how its text was folded, so the decoded text is
//! aligned with the raw text: each decoded character is matched with the next raw character
//! that spells it, skipping what YAML removed (the block header, indentation, quotes, escape
//! backslashes). A line break that folding turned into a space matches that space.

/// The byte offset in `raw` (the scalar's text in the file) that wrote the character at byte
/// `offset` of `decoded` (the scalar's value); the end of `raw` if alignment runs out.
pub(super) fn raw_offset(raw: &str, decoded: &str, offset: usize) -> usize {
    let body_start = block_body_start(raw);
    let mut raw_chars = raw
        .char_indices()
        .skip_while(|(at, _)| *at < body_start)
        .peekable();
    for (at, wanted) in decoded.char_indices() {
        let found = loop {
            match raw_chars.next() {
                Some((raw_at, c)) if spells(c, wanted) => break Some(raw_at),
                Some(_) => continue,
                None => break None,
            }
        };
        match found {
            Some(raw_at) if at >= offset => return raw_at,
            Some(_) => {}
            None => return raw.len(),
        }
    }
    raw_chars.peek().map_or(raw.len(), |(at, _)| *at)
}

/// Whether raw character `raw` can have produced decoded character `decoded`.
fn spells(raw: char, decoded: char) -> bool {
    raw == decoded || (raw == '\n' && decoded == ' ')
}

/// Where the content of a block scalar starts: after its `|`/`>` header line. Zero for flow
/// scalars.
fn block_body_start(raw: &str) -> usize {
    let header = raw.trim_start();
    if !(header.starts_with('|') || header.starts_with('>')) {
        return 0;
    }
    raw.find('\n').map_or(raw.len(), |newline| newline + 1)
}

#[cfg(test)]
mod tests {
    use super::raw_offset;

    #[test]
    fn plain_and_quoted_scalars_shift_by_their_quote() {
        assert_eq!(raw_offset("a + b", "a + b", 4), 4);
        assert_eq!(raw_offset("\"a + b\"", "a + b", 4), 5);
        assert_eq!(raw_offset("'it''s' + b", "'it's' + b", 9), 10);
    }

    #[test]
    fn folded_block_scalars_skip_header_and_indentation() {
        let raw = ">-\n  object.spec.all(c,\n  c.x == 1)";
        let decoded = "object.spec.all(c, c.x == 1)";
        let at = raw_offset(raw, decoded, decoded.find("c.x").unwrap_or(0));
        assert_eq!(raw.get(at..at + 3), Some("c.x"));
    }

    #[test]
    fn literal_block_scalars_keep_line_breaks() {
        let raw = "|\n    a &&\n    b";
        let decoded = "a &&\nb";
        let at = raw_offset(raw, decoded, 5);
        assert_eq!(raw.get(at..at + 1), Some("b"));
    }
}
