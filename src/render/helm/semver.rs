//! `semverCompare` and `semver` as Sprig v3 runs them with Masterminds/semver v3: loose
//! versions (`v1.32.0`, `1.2`), constraints joined by `,`/space (and) and `||` (or), the
//! operators `= != > < >= <= ~ ^`, wildcards (`1.x`, `*`), hyphen ranges, and the rule that a
//! pre-release version only satisfies a constraint that names a pre-release.

use std::cmp::Ordering;

use super::value::{Methods, Object, Val};

#[derive(Clone, Debug, PartialEq, Eq)]
struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    prerelease: String,
    metadata: String,
}

fn parse_version(text: &str) -> Option<Version> {
    let text = text.trim();
    let text = text.strip_prefix('v').unwrap_or(text);
    let (text, metadata) = match text.split_once('+') {
        Some((version, metadata)) => (version, metadata.to_string()),
        None => (text, String::new()),
    };
    let (core, prerelease) = match text.split_once('-') {
        Some((core, prerelease)) => (core, prerelease.to_string()),
        None => (text, String::new()),
    };
    let valid_identifiers = |part: &str| {
        part.split('.')
            .all(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    };
    if (!prerelease.is_empty() && !valid_identifiers(&prerelease))
        || (!metadata.is_empty() && !valid_identifiers(&metadata))
    {
        return None;
    }
    let numbers: Vec<&str> = core.split('.').collect();
    if numbers.is_empty() || numbers.len() > 3 {
        return None;
    }
    let number = |index: usize| -> Option<u64> {
        match numbers.get(index) {
            None => Some(0),
            Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                digits.parse().ok()
            }
            Some(_) => None,
        }
    };
    Some(Version {
        major: number(0)?,
        minor: number(1)?,
        patch: number(2)?,
        prerelease,
        metadata,
    })
}

fn compare_prerelease(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let mut left = a.split('.');
    let mut right = b.split('.');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let order = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(x), Ok(y)) => x.cmp(&y),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

fn compare_versions(a: &Version, b: &Version) -> Ordering {
    (a.major, a.minor, a.patch)
        .cmp(&(b.major, b.minor, b.patch))
        .then_with(|| compare_prerelease(&a.prerelease, &b.prerelease))
}

/// One `op version` term; `minor_dirty`/`patch_dirty` mark parts left out or wildcarded.
struct Term {
    op: String,
    version: Version,
    minor_dirty: bool,
    patch_dirty: bool,
    any: bool,
}

fn is_wild(part: &str) -> bool {
    matches!(part, "x" | "X" | "*")
}

fn parse_term(text: &str) -> Option<Term> {
    let text = text.trim();
    let split = text
        .find(|ch: char| ch.is_ascii_alphanumeric() || ch == '*')
        .unwrap_or(text.len());
    let (op, rest) = text.split_at(split);
    let op = op.trim().to_string();
    let rest = rest.trim();
    let rest = rest.strip_prefix('v').unwrap_or(rest);
    let core_end = rest.find(['-', '+']).unwrap_or(rest.len());
    let (core, tail) = rest.split_at(core_end);
    let parts: Vec<&str> = core.split('.').collect();
    if is_wild(parts.first().copied().unwrap_or("")) {
        return Some(Term {
            op,
            version: parse_version("0.0.0")?,
            minor_dirty: true,
            patch_dirty: true,
            any: true,
        });
    }
    let minor_dirty = parts.get(1).is_none_or(|part| is_wild(part));
    let patch_dirty = minor_dirty || parts.get(2).is_none_or(|part| is_wild(part));
    let filled: Vec<&str> = parts
        .iter()
        .map(|part| if is_wild(part) { "0" } else { part })
        .collect();
    let mut normalized = filled.join(".");
    normalized.push_str(tail);
    Some(Term {
        op,
        version: parse_version(&normalized)?,
        minor_dirty,
        patch_dirty,
        any: false,
    })
}

fn next_major(version: &Version) -> Version {
    Version {
        major: version.major + 1,
        minor: 0,
        patch: 0,
        prerelease: String::new(),
        metadata: String::new(),
    }
}

fn next_minor(version: &Version) -> Version {
    Version {
        minor: version.minor + 1,
        patch: 0,
        prerelease: String::new(),
        metadata: String::new(),
        ..version.clone()
    }
}

fn term_matches(term: &Term, version: &Version) -> bool {
    if !version.prerelease.is_empty() && term.version.prerelease.is_empty() {
        return false;
    }
    if term.any {
        return !matches!(term.op.as_str(), "!=" | "<" | ">");
    }
    let c = &term.version;
    let cmp = compare_versions(version, c);
    let below = |upper: &Version| compare_versions(version, upper) == Ordering::Less;
    match term.op.as_str() {
        "" | "=" | "==" => {
            if term.minor_dirty {
                version.major == c.major
            } else if term.patch_dirty {
                version.major == c.major && version.minor == c.minor
            } else {
                cmp == Ordering::Equal
            }
        }
        "!=" => {
            if term.minor_dirty {
                version.major != c.major
            } else if term.patch_dirty {
                version.major != c.major || version.minor != c.minor
            } else {
                cmp != Ordering::Equal
            }
        }
        ">" => {
            if term.minor_dirty {
                version.major > c.major
            } else if term.patch_dirty {
                (version.major, version.minor) > (c.major, c.minor)
            } else {
                cmp == Ordering::Greater
            }
        }
        "<" => cmp == Ordering::Less,
        ">=" | "=>" => cmp != Ordering::Less,
        "<=" | "=<" => {
            if term.minor_dirty {
                version.major <= c.major
            } else if term.patch_dirty {
                (version.major, version.minor) <= (c.major, c.minor)
            } else {
                cmp != Ordering::Greater
            }
        }
        "~" | "~>" => {
            cmp != Ordering::Less
                && below(&if term.minor_dirty {
                    next_major(c)
                } else {
                    next_minor(c)
                })
        }
        "^" => {
            let upper = if c.major > 0 || term.minor_dirty {
                next_major(c)
            } else if c.minor > 0 || term.patch_dirty {
                next_minor(c)
            } else {
                Version {
                    patch: c.patch + 1,
                    prerelease: String::new(),
                    ..c.clone()
                }
            };
            cmp != Ordering::Less && below(&upper)
        }
        _ => false,
    }
}

/// An and-group of terms, with hyphen ranges (`1.2 - 1.4`) rewritten to `>=` and `<=`.
fn parse_group(text: &str) -> Option<Vec<Term>> {
    let text = text.replace(" - ", " HYPHEN ");
    let mut pieces: Vec<String> = Vec::new();
    let mut pending_op = String::new();
    for word in text.split([',', ' ']).filter(|word| !word.is_empty()) {
        if word.chars().all(|ch| "=!<>~^".contains(ch)) {
            pending_op.push_str(word);
            continue;
        }
        pieces.push(format!("{}{word}", std::mem::take(&mut pending_op)));
    }
    let mut terms = Vec::new();
    let mut index = 0;
    while let Some(piece) = pieces.get(index) {
        if pieces.get(index + 1).is_some_and(|next| next == "HYPHEN") {
            let upper = pieces.get(index + 2)?;
            terms.push(parse_term(&format!(">={piece}"))?);
            terms.push(parse_term(&format!("<={upper}"))?);
            index += 3;
            continue;
        }
        terms.push(parse_term(piece)?);
        index += 1;
    }
    (!terms.is_empty()).then_some(terms)
}

/// `semverCompare constraint version`.
pub(crate) fn compare(constraint: &str, version: &str) -> Result<bool, String> {
    let groups: Vec<Vec<Term>> = constraint
        .split("||")
        .map(parse_group)
        .collect::<Option<_>>()
        .ok_or_else(|| format!("error calling semverCompare: improper constraint: {constraint}"))?;
    let version = parse_version(version)
        .ok_or_else(|| "error calling semverCompare: Invalid Semantic Version".to_string())?;
    Ok(groups
        .iter()
        .any(|group| group.iter().all(|term| term_matches(term, &version))))
}

/// `semver version`: the parsed version's parts.
pub(crate) fn object(text: &str) -> Result<Val, String> {
    let version = parse_version(text)
        .ok_or_else(|| "error calling semver: Invalid Semantic Version".to_string())?;
    let number = |value: u64| Val::int64(i64::try_from(value).unwrap_or(i64::MAX));
    Ok(Val::object(Object {
        type_name: "*semver.Version",
        fields: vec![
            ("Major", number(version.major)),
            ("Minor", number(version.minor)),
            ("Patch", number(version.patch)),
            ("Prerelease", Val::str(version.prerelease)),
            ("Metadata", Val::str(version.metadata)),
            ("Original", Val::str(text)),
        ],
        methods: Methods::None,
    }))
}

/// A `--kube-version` as Helm's `chartutil.ParseKubeVersion` reads it: `.Capabilities.KubeVersion`'s
/// `Version` (`v` and the normalized version), `Major` and `Minor`.
pub(crate) fn kube_version(text: &str) -> Option<(String, String, String)> {
    let version = parse_version(text)?;
    let mut normalized = format!("v{}.{}.{}", version.major, version.minor, version.patch);
    if !version.prerelease.is_empty() {
        normalized.push_str(&format!("-{}", version.prerelease));
    }
    if !version.metadata.is_empty() {
        normalized.push_str(&format!("+{}", version.metadata));
    }
    Some((
        normalized,
        version.major.to_string(),
        version.minor.to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraints_charts_use_hold_for_kubernetes_versions() {
        let check = |constraint: &str, version: &str| compare(constraint, version).unwrap_or(false);
        assert!(check(">=1.21-0", "v1.32.0"));
        assert!(!check("<1.19-0", "v1.32.0"));
        assert!(check(">=1.16.0-0 <1.33.0-0", "v1.32.0"));
        assert!(check("^1.2.0", "1.9.3"));
        assert!(!check("^1.2.0", "2.0.0"));
        assert!(check("~1.2", "1.2.9"));
        assert!(!check("~1.2", "1.3.0"));
        assert!(check("1.x || >=3", "1.4.0"));
        assert!(check("1.2 - 1.4", "1.3.5"));
        assert!(!check(">=1.21", "1.22.0-rc.1"));
        assert!(check(">=1.21-0", "1.22.0-rc.1"));
        assert!(compare(">=", "1.0.0").is_err());
    }
}
