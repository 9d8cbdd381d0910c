//! Byte edits of one file's text: replace a range with new text. Edits are planned against the
//! original text and applied together, so they must not overlap.

/// Replace `start..end` of the original text with `text` (an insertion when the range is empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Edit {
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// The column the inserted text is indented to: two insertions at the same offset go in
    /// the deeper one first, so that its lines stay inside the deeper block.
    pub column: usize,
}

impl Edit {
    pub(crate) fn replace(start: usize, end: usize, text: impl Into<String>) -> Self {
        Edit {
            start,
            end,
            text: text.into(),
            column: 0,
        }
    }

    /// Application order: by position, deeper insertions first at one offset.
    pub(crate) fn order(&self) -> (usize, usize, std::cmp::Reverse<usize>) {
        (self.start, self.end, std::cmp::Reverse(self.column))
    }
}

/// Sort `edits` into application order (the planner sorts by [`Edit::order`] itself).
#[cfg(test)]
pub(crate) fn sort(edits: &mut [Edit]) {
    edits.sort_by_key(Edit::order);
}

/// The first pair of sorted edits that overlap (an insertion inside a replaced range counts),
/// by their indexes.
pub(crate) fn first_overlap(sorted: &[Edit]) -> Option<(usize, usize)> {
    sorted
        .windows(2)
        .enumerate()
        .find_map(|(index, pair)| match pair {
            [first, second] if second.start < first.end => Some((index, index + 1)),
            _ => None,
        })
}

/// Apply sorted, non-overlapping edits; `None` when an edit is out of range or not on a
/// character boundary.
pub(crate) fn apply(text: &str, sorted: &[Edit]) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 256);
    let mut at = 0;
    for edit in sorted {
        out.push_str(text.get(at..edit.start)?);
        out.push_str(&edit.text);
        at = edit.end.max(at);
    }
    out.push_str(text.get(at..)?);
    Some(out)
}

/// The offset of the start of the line holding `offset`.
pub(crate) fn line_start(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .and_then(|before| before.rfind('\n'))
        .map_or(0, |newline| newline + 1)
}

/// The offset just past the line break that ends the line holding `offset` (the text's length
/// on the last line without one).
pub(crate) fn next_line_start(text: &str, offset: usize) -> usize {
    text.get(offset..)
        .and_then(|after| after.find('\n'))
        .map_or(text.len(), |newline| offset + newline + 1)
}

/// The offset of the end of the line holding `offset`, before its line break.
pub(crate) fn line_end(text: &str, offset: usize) -> usize {
    let end = text
        .get(offset..)
        .and_then(|after| after.find('\n'))
        .map_or(text.len(), |newline| offset + newline);
    if end > offset && text.get(end - 1..end) == Some("\r") {
        end - 1
    } else {
        end
    }
}

/// The column of `offset` counted in characters from its line's start.
pub(crate) fn column(text: &str, offset: usize) -> usize {
    text.get(line_start(text, offset)..offset)
        .map_or(0, |prefix| prefix.chars().count())
}

/// The line break the file uses: CRLF when its first line ends with one.
pub(crate) fn newline(text: &str) -> &'static str {
    match text.find('\n') {
        Some(at) if at > 0 && text.get(at - 1..at) == Some("\r") => "\r\n",
        _ => "\n",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_apply_in_order_and_overlaps_are_found() {
        let mut edits = vec![
            Edit::replace(4, 4, "X"),
            Edit::replace(0, 1, "a"),
            Edit {
                column: 4,
                ..Edit::replace(4, 4, "Y")
            },
        ];
        sort(&mut edits);
        assert_eq!(first_overlap(&edits), None);
        assert_eq!(apply("0123456", &edits).as_deref(), Some("a123YX456"));
        let mut overlapping = vec![Edit::replace(1, 3, ""), Edit::replace(2, 2, "x")];
        sort(&mut overlapping);
        assert_eq!(first_overlap(&overlapping), Some((0, 1)));
    }

    #[test]
    fn line_helpers() {
        let text = "ab\r\ncd\nef";
        assert_eq!(line_start(text, 5), 4);
        assert_eq!(next_line_start(text, 1), 4);
        assert_eq!(next_line_start(text, 8), 9);
        assert_eq!(line_end(text, 0), 2);
        assert_eq!(column(text, 5), 1);
        assert_eq!(newline(text), "\r\n");
    }
}
