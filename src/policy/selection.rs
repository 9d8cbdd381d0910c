//! Which objects a Kyverno rule's `match` and `exclude` select: resource filters by kind
//! (`Pod`, `v1/Pod`, `batch/*/CronJob`), namespace, name (with `*` and `?` wildcards),
//! label selector and operation, combined with `any` or `all`.

use crate::model::object::{Object, group_of};
use crate::yaml::Node;

/// A `match` or `exclude` block.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    any: Vec<ResourceFilter>,
    all: Vec<ResourceFilter>,
}

#[derive(Clone, Debug, Default)]
struct ResourceFilter {
    kinds: Vec<KindPattern>,
    namespaces: Vec<String>,
    names: Vec<String>,
    selector: Option<LabelSelector>,
    /// False when `operations` is listed without `CREATE`: offline, every object is created.
    on_create: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct KindPattern {
    group: String,
    version: String,
    kind: String,
}

/// A Kubernetes label selector: `matchLabels` and `matchExpressions`.
#[derive(Clone, Debug, Default)]
pub struct LabelSelector {
    requirements: Vec<(String, Operator, Vec<String>)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl Selection {
    /// Reads a `match`/`exclude` block: `any`, `all`, or a bare `resources` (older form).
    pub fn parse(node: Option<&Node>) -> Selection {
        let Some(node) = node else {
            return Selection::default();
        };
        let filters = |key: &str| -> Vec<ResourceFilter> {
            node.get(key)
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(|item| item.get("resources"))
                .map(ResourceFilter::parse)
                .collect()
        };
        let mut all = filters("all");
        all.extend(node.get("resources").map(ResourceFilter::parse));
        Selection {
            any: filters("any"),
            all,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.any.is_empty() && self.all.is_empty()
    }

    /// Whether the block selects `object`; `kinds`, when given, replaces every filter's kinds
    /// (a pod-controller rule generated from a Pod rule).
    pub fn selects(&self, object: &Object, kinds: Option<&[&str]>) -> bool {
        let selects = |filter: &ResourceFilter| filter.selects(object, kinds);
        !self.is_empty()
            && (self.any.is_empty() || self.any.iter().any(selects))
            && self.all.iter().all(selects)
    }

    /// Whether every filter names only the `Pod` kind, so Kyverno generates rules for pod
    /// controllers from it.
    pub fn only_pods(&self) -> bool {
        let filters = || self.any.iter().chain(&self.all);
        filters().next().is_some()
            && filters().all(|filter| {
                !filter.kinds.is_empty()
                    && filter.kinds.iter().all(|pattern| pattern.kind == "Pod")
                    && filter.names.is_empty()
                    && filter.selector.is_none()
            })
    }
}

impl ResourceFilter {
    fn parse(node: &Node) -> ResourceFilter {
        let strings = |key: &str| super::strings_at(node, key);
        let operations = strings("operations");
        ResourceFilter {
            kinds: strings("kinds")
                .iter()
                .map(|k| KindPattern::parse(k))
                .collect(),
            namespaces: strings("namespaces"),
            names: strings("names")
                .into_iter()
                .chain(node.get("name").and_then(Node::as_str).map(str::to_owned))
                .collect(),
            selector: node.get("selector").map(LabelSelector::parse),
            on_create: operations.is_empty() || operations.iter().any(|op| op == "CREATE"),
        }
    }

    fn selects(&self, object: &Object, kinds: Option<&[&str]>) -> bool {
        let kind_matches = match kinds {
            Some(kinds) => kinds.contains(&object.id.kind.as_str()),
            // No kinds (allowed in `exclude`) selects every kind.
            None => {
                self.kinds.is_empty() || self.kinds.iter().any(|pattern| pattern.matches(object))
            }
        };
        let namespace = object.id.namespace.as_deref().unwrap_or_default();
        let name = object.id.name.as_deref().unwrap_or_default();
        kind_matches
            && self.on_create
            && (self.namespaces.is_empty()
                || self
                    .namespaces
                    .iter()
                    .any(|pattern| wildcard(pattern, namespace)))
            && (self.names.is_empty() || self.names.iter().any(|pattern| wildcard(pattern, name)))
            && self
                .selector
                .as_ref()
                .is_none_or(|selector| selector.selects(object.root.get("metadata")))
    }
}

impl KindPattern {
    /// `Kind`, `version/Kind`, `group/version/Kind`; a subresource suffix is ignored.
    fn parse(text: &str) -> KindPattern {
        let parts: Vec<&str> = text.split('/').collect();
        let (group, version, kind) = match parts.as_slice() {
            [kind] => ("*", "*", *kind),
            [version, kind] => ("*", *version, *kind),
            [group, version, kind, ..] => (*group, *version, *kind),
            [] => ("*", "*", ""),
        };
        KindPattern {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: kind.to_owned(),
        }
    }

    fn matches(&self, object: &Object) -> bool {
        let api_version = object.id.api_version.as_str();
        let version = api_version.rsplit('/').next().unwrap_or(api_version);
        wildcard(&self.kind, &object.id.kind)
            && wildcard(&self.group, group_of(api_version))
            && wildcard(&self.version, version)
    }
}

impl LabelSelector {
    pub fn parse(node: &Node) -> LabelSelector {
        let mut requirements = Vec::new();
        for entry in node
            .get("matchLabels")
            .and_then(Node::as_map)
            .unwrap_or_default()
        {
            if let (Some(key), Some(value)) = (entry.key.as_str(), scalar_text(&entry.value)) {
                requirements.push((key.to_owned(), Operator::In, vec![value]));
            }
        }
        for expression in node
            .get("matchExpressions")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            let key = expression.get("key").and_then(Node::as_str);
            let operator = match expression.get("operator").and_then(Node::as_str) {
                Some("In") => Some(Operator::In),
                Some("NotIn") => Some(Operator::NotIn),
                Some("Exists") => Some(Operator::Exists),
                Some("DoesNotExist") => Some(Operator::DoesNotExist),
                _ => None,
            };
            let values = expression
                .get("values")
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(scalar_text)
                .collect();
            if let (Some(key), Some(operator)) = (key, operator) {
                requirements.push((key.to_owned(), operator, values));
            }
        }
        LabelSelector { requirements }
    }

    /// Whether the labels of `metadata` satisfy every requirement; an empty selector selects
    /// everything.
    pub fn selects(&self, metadata: Option<&Node>) -> bool {
        let labels = metadata.and_then(|metadata| metadata.get("labels"));
        self.requirements.iter().all(|(key, operator, values)| {
            let value = labels
                .and_then(|labels| labels.get(key))
                .and_then(scalar_text);
            match (operator, value) {
                (Operator::In, Some(value)) => values.contains(&value),
                (Operator::NotIn, Some(value)) => !values.contains(&value),
                (Operator::NotIn | Operator::DoesNotExist, None) => true,
                (Operator::Exists, value) => value.is_some(),
                (Operator::In, None) | (Operator::DoesNotExist, Some(_)) => false,
            }
        })
    }
}

fn scalar_text(node: &Node) -> Option<String> {
    crate::yaml::to_json(node).ok().and_then(|json| match json {
        serde_json::Value::String(text) => Some(text),
        serde_json::Value::Bool(_) | serde_json::Value::Number(_) => Some(json.to_string()),
        _ => None,
    })
}

/// Kyverno's wildcard match: `*` any run of characters, `?` one character. The classic
/// two-cursor match: on a mismatch, retry from the last `*` one character further.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    let mut last_star: Option<(usize, usize)> = None;
    while t < text.len() {
        match (pattern.get(p), text.get(t)) {
            (Some('*'), _) => {
                last_star = Some((p, t));
                p += 1;
            }
            (Some('?'), _) => (p, t) = (p + 1, t + 1),
            (Some(expected), Some(found)) if expected == found => (p, t) = (p + 1, t + 1),
            _ => match last_star {
                Some((star, matched)) => {
                    last_star = Some((star, matched + 1));
                    (p, t) = (star + 1, matched + 1);
                }
                None => return false,
            },
        }
    }
    pattern
        .get(p..)
        .is_some_and(|rest| rest.iter().all(|c| *c == '*'))
}

#[cfg(test)]
mod tests {
    use super::wildcard;

    #[test]
    fn wildcards() {
        assert!(wildcard("*", ""));
        assert!(wildcard("kube-*", "kube-system"));
        assert!(wildcard("a?c", "abc"));
        assert!(!wildcard("a?c", "ac"));
        assert!(wildcard("Pod", "Pod"));
        assert!(!wildcard("Pod", "Pods"));
        assert!(wildcard("*a*b", "xaxxb"));
    }
}
