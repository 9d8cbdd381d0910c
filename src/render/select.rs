//! Patch `target` selectors: group, version, kind, name and namespace (regular expressions
//! anchored at both ends, as kustomize compiles them), label and annotation selectors.

use regex::Regex;

use crate::source::Span;
use crate::yaml::Node;

#[derive(Debug)]
pub(crate) struct Selector {
    group: Option<String>,
    version: Option<String>,
    kind: Option<String>,
    name: Option<Regex>,
    namespace: Option<Regex>,
    labels: Vec<Requirement>,
    annotations: Vec<Requirement>,
}

#[derive(Debug, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    Absent(String),
}

/// What a selector is matched against: the object and the names it had before prefixes and
/// suffixes were added (kustomize matches both).
pub(crate) struct Candidate<'a> {
    pub root: &'a Node,
    pub names: &'a [String],
}

impl Selector {
    pub(crate) fn parse(target: &Node) -> Result<Selector, (Span, String)> {
        let text = |key: &str| target.get(key).and_then(Node::as_str).map(str::to_owned);
        let pattern = |key: &str| -> Result<Option<Regex>, (Span, String)> {
            let Some(node) = target.get(key) else {
                return Ok(None);
            };
            let source = node.as_str().unwrap_or_default();
            Regex::new(&format!("^(?:{source})$"))
                .map(Some)
                .map_err(|error| (node.span, format!("invalid `{key}` pattern: {error}")))
        };
        let requirements = |key: &str| -> Result<Vec<Requirement>, (Span, String)> {
            match target.get(key) {
                None => Ok(Vec::new()),
                Some(node) => parse_requirements(node.as_str().unwrap_or_default())
                    .map_err(|message| (node.span, format!("invalid `{key}`: {message}"))),
            }
        };
        Ok(Selector {
            group: text("group"),
            version: text("version"),
            kind: text("kind"),
            name: pattern("name")?,
            namespace: pattern("namespace")?,
            labels: requirements("labelSelector")?,
            annotations: requirements("annotationSelector")?,
        })
    }

    pub(crate) fn matches(&self, candidate: &Candidate<'_>) -> bool {
        let root = candidate.root;
        let api_version = root.get("apiVersion").and_then(Node::as_str).unwrap_or("");
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let kind = root.get("kind").and_then(Node::as_str).unwrap_or("");
        let metadata = root.get("metadata");
        let meta_text = |key: &str| metadata.and_then(|m| m.get(key)).and_then(Node::as_str);
        let equal =
            |wanted: &Option<String>, actual: &str| wanted.as_deref().is_none_or(|w| w == actual);
        equal(&self.group, group)
            && equal(&self.version, version)
            && equal(&self.kind, kind)
            && self.name.as_ref().is_none_or(|name| {
                meta_text("name").is_some_and(|current| name.is_match(current))
                    || candidate.names.iter().any(|old| name.is_match(old))
            })
            && self
                .namespace
                .as_ref()
                .is_none_or(|namespace| namespace.is_match(meta_text("namespace").unwrap_or("")))
            && satisfied(&self.labels, metadata.and_then(|m| m.get("labels")))
            && satisfied(
                &self.annotations,
                metadata.and_then(|m| m.get("annotations")),
            )
    }
}

fn satisfied(requirements: &[Requirement], map: Option<&Node>) -> bool {
    let value = |key: &str| map.and_then(|m| m.get(key)).and_then(Node::as_str);
    requirements.iter().all(|requirement| match requirement {
        Requirement::Equals(key, wanted) => value(key) == Some(wanted.as_str()),
        Requirement::NotEquals(key, unwanted) => value(key) != Some(unwanted.as_str()),
        Requirement::In(key, set) => value(key).is_some_and(|v| set.iter().any(|s| s == v)),
        Requirement::NotIn(key, set) => value(key).is_none_or(|v| set.iter().all(|s| s != v)),
        Requirement::Exists(key) => value(key).is_some(),
        Requirement::Absent(key) => value(key).is_none(),
    })
}

/// Kubernetes label selector syntax: `a=b, c!=d, e in (f,g), h notin (i), j, !k`.
fn parse_requirements(text: &str) -> Result<Vec<Requirement>, String> {
    split_top_level(text)
        .into_iter()
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(parse_requirement)
        .collect()
}

/// Split at the commas outside parentheses (`a in (x,y),b` → `a in (x,y)`, `b`).
fn split_top_level(text: &str) -> Vec<&str> {
    let mut depth = 0usize;
    text.split(|character| {
        match character {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        character == ',' && depth == 0
    })
    .collect()
}

fn parse_requirement(part: &str) -> Result<Requirement, String> {
    let owned = |s: &str| s.trim().to_owned();
    if let Some((key, value)) = part.split_once("!=") {
        return Ok(Requirement::NotEquals(owned(key), owned(value)));
    }
    if let Some((key, value)) = part.split_once("==").or_else(|| part.split_once('=')) {
        return Ok(Requirement::Equals(owned(key), owned(value)));
    }
    for (operator, negated) in [(" notin ", true), (" in ", false)] {
        if let Some((key, set)) = part.split_once(operator) {
            let set = set.trim();
            let inner = set
                .strip_prefix('(')
                .and_then(|rest| rest.strip_suffix(')'))
                .ok_or_else(|| format!("`{part}`: a set must be written in parentheses"))?;
            let values = inner.split(',').map(owned).collect();
            return Ok(if negated {
                Requirement::NotIn(owned(key), values)
            } else {
                Requirement::In(owned(key), values)
            });
        }
    }
    match part.strip_prefix('!') {
        Some(key) => Ok(Requirement::Absent(owned(key))),
        None if part.contains(char::is_whitespace) => Err(format!("`{part}` is not a requirement")),
        None => Ok(Requirement::Exists(owned(part))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::yaml::{Limits, parse};

    fn node(text: &str) -> Node {
        parse(FileId(0), text, Limits::default()).documents[0]
            .root
            .clone()
    }

    const OBJECT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: p-web\n  namespace: shop\n  labels: {tier: front, env: prod}\n  annotations: {team: a}\n";

    fn matches(target: &str, names: &[String]) -> bool {
        let selector = Selector::parse(&node(target)).expect("valid");
        selector.matches(&Candidate {
            root: &node(OBJECT),
            names,
        })
    }

    #[test]
    fn fields_and_anchored_regex_names() {
        assert!(matches(
            "{group: apps, version: v1, kind: Deployment, name: p-.*}",
            &[]
        ));
        assert!(!matches("{name: web}", &[]));
        assert!(matches("{name: web}", &["web".to_owned()]));
        assert!(!matches("{kind: StatefulSet}", &[]));
        assert!(matches("{namespace: sh.p}", &[]));
        assert!(Selector::parse(&node("{name: '('}")).is_err());
    }

    #[test]
    fn label_and_annotation_selectors() {
        assert!(matches(
            "{labelSelector: 'tier=front,env in (prod, dev),!missing'}",
            &[]
        ));
        assert!(!matches("{labelSelector: 'tier!=front'}", &[]));
        assert!(matches(
            "{labelSelector: 'env notin (dev)', annotationSelector: team}",
            &[]
        ));
        assert!(!matches("{annotationSelector: 'team=b'}", &[]));
        assert!(parse_requirements("a in b").is_err());
    }
}
