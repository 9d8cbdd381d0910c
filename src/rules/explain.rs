//! `kubepatrol checks` and `kubepatrol explain`: the rule documentation for a terminal.

use std::fmt::Write;

use crate::rules::{self, RuleEntry};

/// A table of every check.
pub fn checks_table(defined: &[&'static RuleEntry]) -> String {
    let entries: Vec<&RuleEntry> = rules::all().iter().chain(defined.iter().copied()).collect();
    let width = entries.iter().map(|e| e.meta.id.len()).max().unwrap_or(0);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:width$}  {:13}  {:8}  {:9}  {:12}  DESCRIPTION",
        "ID", "CATEGORY", "SEVERITY", "LEVEL", "FIX"
    );
    for entry in entries {
        let meta = &entry.meta;
        let _ = writeln!(
            out,
            "{:width$}  {:13}  {:8}  {:9}  {:12}  {}",
            meta.id,
            meta.category.as_str(),
            meta.severity.as_str(),
            meta.scope.as_str(),
            meta.applicability.as_str(),
            meta.title
        );
    }
    out
}

/// The rule's document rendered as plain text: front matter as a header, headings without
/// Markdown markers, code blocks indented.
pub fn explain(entry: &RuleEntry) -> String {
    let meta = &entry.meta;
    let mut out = String::new();
    let _ = writeln!(out, "{} — {}", meta.id, meta.title);
    let _ = write!(
        out,
        "category: {}   severity: {}   level: {}   fix: {}",
        meta.category.as_str(),
        meta.severity.as_str(),
        meta.scope.as_str(),
        meta.applicability.as_str()
    );
    if let Some(alias) = meta.polaris {
        let _ = write!(out, "   polaris: {alias}");
    }
    out.push('\n');
    if let Some(review) = meta.review {
        let _ = writeln!(out, "before deploying its fix: {review}");
    }
    out.push('\n');
    for (heading, text) in [
        ("Message", meta.message),
        ("Risk", meta.risk),
        ("Remediation", meta.remediation),
        ("Fix", meta.fix),
    ] {
        let _ = writeln!(out, "{}", heading.to_uppercase());
        let mut in_code = false;
        for line in text.lines() {
            if line.trim_start().starts_with("```") {
                in_code = !in_code;
                continue;
            }
            let indent = if in_code { "      " } else { "  " };
            let _ = writeln!(out, "{indent}{line}");
        }
        out.push('\n');
    }
    out
}

/// The registered id closest to `typed`, for "did you mean" hints.
pub fn suggest(typed: &str) -> Option<&'static str> {
    nearest(typed, rules::all().iter().map(|entry| entry.meta.id))
}

/// The candidate closest to `typed` (ignoring case), if it is close enough to be a typo.
pub fn nearest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let typed = typed.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            (
                edit_distance(&typed, &candidate.to_ascii_lowercase()),
                candidate,
            )
        })
        .filter(|(distance, candidate)| *distance <= candidate.len() / 3 + 1)
        .min()
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        let mut left = i + 1;
        // `pair` is (diagonal, above) from the previous row.
        for (pair, cb) in previous.windows(2).zip(&b) {
            if let [diagonal, above] = *pair {
                left = (diagonal + usize::from(ca != *cb))
                    .min(above + 1)
                    .min(left + 1);
                current.push(left);
            }
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_id() {
        assert_eq!(suggest("hostnetwrkset"), Some("hostNetworkSet"));
        assert_eq!(suggest("completely-different"), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
