//! Text that remembers where each of its bytes came from.
//!
//! The engine's output is a [`Traced`] string: the text, and for byte ranges of it the [`Span`]
//! that wrote them (a literal in a template, or a value in a values file). Ranges not covered
//! were computed by the template action that printed them; the executor fills those with the
//! action's span when it writes them out. A range a function computed from values (`printf
//! "%s:%s" .repo .tag`) also keeps the spans of those values as its [`Inputs`].

use crate::source::Span;

/// Where a range of output bytes came from. `exact` means the bytes are a verbatim copy of the
/// source span's text, so an offset inside the range maps to the same offset inside the span;
/// otherwise every byte maps to the start of the span (a formatted number, a quoted string).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    pub(crate) span: Span,
    pub(crate) exact: bool,
}

/// A range `start..end` of a [`Traced`] text and its origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Segment {
    pub(crate) start: u32,
    pub(crate) end: u32,
    pub(crate) origin: Origin,
}

/// A range `start..end` of a [`Traced`] text computed from the values written at `origins`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Inputs {
    pub(crate) start: u32,
    pub(crate) end: u32,
    pub(crate) origins: std::sync::Arc<[Span]>,
}

/// A string and, for some of its byte ranges (sorted, not overlapping), their origins, and the
/// inputs of the ranges functions computed.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Traced {
    pub(crate) text: String,
    pub(crate) segments: Vec<Segment>,
    pub(crate) inputs: Vec<Inputs>,
}

impl Traced {
    pub(crate) fn plain(text: impl Into<String>) -> Self {
        Traced {
            text: text.into(),
            ..Traced::default()
        }
    }

    /// `text` computed from the values written at `origins` (none: plain text).
    pub(crate) fn computed(text: impl Into<String>, origins: Vec<Span>) -> Self {
        let mut traced = Traced::plain(text);
        if !origins.is_empty() && !traced.is_empty() {
            traced.inputs.push(Inputs {
                start: 0,
                end: to_u32(traced.len()),
                origins: origins.into(),
            });
        }
        traced
    }

    /// The spans of the values every range of `start..end` was computed from, each once.
    pub(crate) fn inputs_within(&self, start: usize, end: usize) -> Vec<Span> {
        let (start, end) = (to_u32(start), to_u32(end));
        let mut spans: Vec<Span> = Vec::new();
        let overlapping = self
            .inputs
            .iter()
            .filter(|inputs| inputs.start < end && start < inputs.end);
        for span in overlapping.flat_map(|inputs| inputs.origins.iter()) {
            if !spans.contains(span) {
                spans.push(*span);
            }
        }
        spans
    }

    /// `text`, all of it from `origin` (when known).
    pub(crate) fn from_origin(text: impl Into<String>, origin: Option<Origin>) -> Self {
        let mut traced = Traced::plain(text);
        if let Some(origin) = origin.filter(|_| !traced.is_empty()) {
            traced.add_segment(0, traced.len(), origin);
        }
        traced
    }

    pub(crate) fn len(&self) -> usize {
        self.text.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Append `text` written by `origin`.
    pub(crate) fn push(&mut self, text: &str, origin: Option<Origin>) {
        let start = self.text.len();
        self.text.push_str(text);
        if let Some(origin) = origin.filter(|_| !text.is_empty()) {
            self.add_segment(start, self.text.len(), origin);
        }
    }

    /// Append another traced text; its uncovered ranges take `fallback`.
    pub(crate) fn push_traced(&mut self, other: &Traced, fallback: Option<Origin>) {
        let base = self.text.len();
        let mut covered = 0usize;
        for segment in &other.segments {
            if let Some(fallback) = fallback {
                self.fill(base + covered, base + segment.start as usize, fallback);
            }
            self.add_segment(
                base + segment.start as usize,
                base + segment.end as usize,
                segment.origin,
            );
            covered = segment.end as usize;
        }
        if let Some(fallback) = fallback {
            self.fill(base + covered, base + other.text.len(), fallback);
        }
        self.inputs.extend(other.inputs.iter().map(|inputs| Inputs {
            start: inputs.start.saturating_add(to_u32(base)),
            end: inputs.end.saturating_add(to_u32(base)),
            origins: inputs.origins.clone(),
        }));
        self.text.push_str(&other.text);
    }

    fn fill(&mut self, start: usize, end: usize, origin: Origin) {
        if start < end {
            self.add_segment(start, end, origin);
        }
    }

    fn add_segment(&mut self, start: usize, end: usize, origin: Origin) {
        let (start, end) = (to_u32(start), to_u32(end));
        if let Some(last) = self.segments.last_mut()
            && last.end == start
            && last.origin.span.file == origin.span.file
            && !origin.exact
            && !last.origin.exact
            && last.origin.span == origin.span
        {
            last.end = end;
            return;
        }
        self.segments.push(Segment { start, end, origin });
    }

    /// The bytes `start..end` (char boundaries) with their origins.
    pub(crate) fn slice(&self, start: usize, end: usize) -> Traced {
        let text = self.text.get(start..end).unwrap_or_default().to_string();
        let (from, to) = (to_u32(start), to_u32(end));
        // Segments are sorted and disjoint: skip to the first that reaches past `start`, so
        // that cutting a long text into lines does not walk all of its segments for each.
        let first = self.segments.partition_point(|segment| segment.end <= from);
        let segments = (self.segments.get(first..).unwrap_or_default().iter())
            .take_while(|segment| segment.start < to)
            .filter_map(|segment| clip(segment, start, end))
            .collect();
        let inputs = self
            .inputs
            .iter()
            .filter(|inputs| inputs.start < to && from < inputs.end)
            .map(|inputs| Inputs {
                start: inputs.start.max(from) - from,
                end: inputs.end.min(to) - from,
                origins: inputs.origins.clone(),
            })
            .collect();
        Traced {
            text,
            segments,
            inputs,
        }
    }

    /// The origin of the byte at `offset`, mapped into its source.
    pub(crate) fn origin_at(&self, offset: usize) -> Option<Span> {
        let offset = to_u32(offset);
        let index = self
            .segments
            .partition_point(|segment| segment.end <= offset);
        let segment = self.segments.get(index)?;
        if segment.start > offset {
            return None;
        }
        let span = segment.origin.span;
        if !segment.origin.exact {
            return Some(span);
        }
        let start = span
            .start
            .saturating_add(offset - segment.start)
            .min(span.end);
        Some(Span {
            file: span.file,
            start,
            end: span.end,
        })
    }

    /// The first origin of any byte of the text.
    pub(crate) fn first_origin(&self) -> Option<Origin> {
        self.segments.first().map(|segment| segment.origin)
    }

    /// Lines (split after each `\n`) as traced slices.
    pub(crate) fn lines(&self) -> Vec<Traced> {
        let mut lines = Vec::new();
        let mut start = 0;
        for (index, _) in self.text.match_indices('\n') {
            lines.push(self.slice(start, index + 1));
            start = index + 1;
        }
        if start < self.text.len() {
            lines.push(self.slice(start, self.text.len()));
        }
        lines
    }
}

/// `segment` clipped to `start..end`, shifted to start at 0.
fn clip(segment: &Segment, start: usize, end: usize) -> Option<Segment> {
    let (start, end) = (to_u32(start), to_u32(end));
    let from = segment.start.max(start);
    let to = segment.end.min(end);
    if from >= to {
        return None;
    }
    let mut origin = segment.origin;
    if origin.exact {
        let skipped = from - segment.start;
        origin.span.start = origin
            .span
            .start
            .saturating_add(skipped)
            .min(origin.span.end);
    }
    Some(Segment {
        start: from - start,
        end: to - start,
        origin,
    })
}

fn to_u32(offset: usize) -> u32 {
    u32::try_from(offset).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn origin(start: usize, end: usize, exact: bool) -> Origin {
        Origin {
            span: Span::new(FileId(1), start, end),
            exact,
        }
    }

    #[test]
    fn exact_origins_map_offsets_and_inexact_ones_their_start() {
        let mut text = Traced::default();
        text.push("abc", Some(origin(10, 13, true)));
        text.push("42", Some(origin(50, 60, false)));
        assert_eq!(text.origin_at(1).map(|span| span.start), Some(11));
        assert_eq!(text.origin_at(4).map(|span| span.start), Some(50));
        assert_eq!(text.origin_at(5), None);
    }

    #[test]
    fn uncovered_ranges_take_the_fallback() {
        let mut inner = Traced::plain("x=");
        inner.push("1", Some(origin(5, 6, false)));
        let mut outer = Traced::default();
        outer.push_traced(&inner, Some(origin(100, 110, false)));
        assert_eq!(outer.origin_at(0).map(|span| span.start), Some(100));
        assert_eq!(outer.origin_at(2).map(|span| span.start), Some(5));
    }

    #[test]
    fn computed_ranges_keep_their_inputs_through_pushes_and_slices() {
        let inputs = vec![Span::new(FileId(1), 3, 8), Span::new(FileId(1), 20, 26)];
        let mut text = Traced::plain("image: ");
        text.push_traced(&Traced::computed("nginx:1.2", inputs.clone()), None);
        assert_eq!(text.inputs_within(0, 7), []);
        assert_eq!(text.inputs_within(7, 16), inputs);
        assert_eq!(text.slice(9, 12).inputs_within(0, 3), inputs);
    }

    #[test]
    fn slices_keep_the_origins_of_their_bytes() {
        let mut text = Traced::default();
        text.push("hello", Some(origin(0, 5, true)));
        let tail = text.slice(2, 5);
        assert_eq!(tail.text, "llo");
        assert_eq!(tail.origin_at(0).map(|span| span.start), Some(2));
        assert_eq!(text.lines().len(), 1);
    }

    #[test]
    fn every_slice_keeps_exactly_the_segments_it_overlaps() {
        let mut text = Traced::plain("a");
        for (at, piece) in ["bc", "d", "efg", "h"].iter().enumerate() {
            text.push(
                piece,
                Some(origin(at * 10, at * 10 + piece.len(), at % 2 == 0)),
            );
            text.push(" ", None);
        }
        let len = text.len();
        for start in 0..=len {
            for end in start..=len {
                let all_clipped: Vec<Segment> = (text.segments.iter())
                    .filter_map(|segment| clip(segment, start, end))
                    .collect();
                assert_eq!(
                    text.slice(start, end).segments,
                    all_clipped,
                    "{start}..{end}"
                );
            }
        }
    }
}
