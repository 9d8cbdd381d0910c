//! Display grouping of findings that several overlays share. A base rendered through three
//! overlays is three objects with three findings each: every count, score, JSON entry and
//! baseline fingerprint keeps them apart. Formats read by people (line, human, GitHub
//! annotations, SARIF results) show such findings once, naming every overlay, because the
//! three findings point at the same line and ask for the same edit. Grouping never drops a
//! finding: each group keeps all its members.

use std::collections::HashMap;

use crate::evaluate::finding::Finding;
use crate::exempt::Suppressed;
use crate::source::SourceMap;

/// One finding as shown, with the other overlays' identical findings.
#[derive(Debug)]
pub(crate) struct Shown<'a> {
    /// The first member in input order, which speaks for the group.
    pub(crate) first: &'a Finding,
    /// The other overlays' identical findings, in input order.
    pub(crate) others: Vec<&'a Finding>,
}

impl<'a> Shown<'a> {
    fn new(first: &'a Finding) -> Self {
        Shown {
            first,
            others: Vec::new(),
        }
    }

    pub(crate) fn first(&self) -> &'a Finding {
        self.first
    }

    /// Every member, the first one first.
    pub(crate) fn members(&self) -> impl Iterator<Item = &'a Finding> + '_ {
        std::iter::once(self.first).chain(self.others.iter().copied())
    }
}

/// Group `items` whose findings are the same finding through different overlays: same check,
/// severity, message, kind, container and labels, and the same `extra` key (e.g. what silenced
/// them). Findings of plain manifests are never grouped. Groups keep the order of their first
/// member.
pub(super) fn group<'a, T>(
    items: &'a [T],
    finding: impl Fn(&'a T) -> &'a Finding,
    extra: impl Fn(&'a T) -> String,
) -> Vec<(Shown<'a>, &'a T)> {
    let mut groups: Vec<(Shown<'a>, &'a T)> = Vec::with_capacity(items.len());
    let mut index: HashMap<String, usize> = HashMap::new();
    for item in items {
        let member = finding(item);
        if member.via.is_empty() {
            groups.push((Shown::new(member), item));
            continue;
        }
        let key = format!(
            "{}|{}|{}|{}|{:?}|{:?}|{}",
            member.rule.meta.id,
            member.severity,
            member.object.kind,
            member.message,
            member.container,
            member.labels,
            extra(item)
        );
        match index.get(&key).and_then(|&at| groups.get_mut(at)) {
            Some((shown, _)) => shown.others.push(member),
            None => {
                index.insert(key, groups.len());
                groups.push((Shown::new(member), item));
            }
        }
    }
    groups
}

/// Group findings with nothing else to tell them apart.
pub(crate) fn group_findings(findings: &[Finding]) -> Vec<Shown<'_>> {
    group(findings, |finding| finding, |_| String::new())
        .into_iter()
        .map(|(shown, _)| shown)
        .collect()
}

/// Group suppressed findings that were silenced by the same thing.
pub(super) fn group_suppressed(suppressed: &[Suppressed]) -> Vec<(Shown<'_>, &Suppressed)> {
    group(
        suppressed,
        |suppressed| &suppressed.finding,
        |suppressed| format!("{:?}", suppressed.by),
    )
}

/// What the shown finding is about, with the overlays it was rendered through: `container
/// "web" of Deployment shop/web via overlays/prod/kustomization.yaml`, or, when the overlays
/// gave the object different namespaces or names, each subject with its overlay:
/// `Deployment dev/web via overlays/dev/kustomization.yaml; Deployment prod/web via …`.
pub(crate) fn subject(sources: &SourceMap, shown: &Shown<'_>) -> String {
    let first = shown.first();
    if first.via.is_empty() {
        return first.subject();
    }
    // Members of one subject are named once, with every render they came through.
    let mut groups: Vec<(String, Vec<&Finding>)> = Vec::new();
    for member in shown.members() {
        let subject = member.subject();
        match groups.iter_mut().find(|(named, _)| *named == subject) {
            Some((_, members)) => members.push(member),
            None => groups.push((subject, vec![member])),
        }
    }
    let named = groups.into_iter().map(|(subject, members)| {
        let renders = renders(sources, members);
        if renders.is_empty() {
            subject
        } else {
            format!("{subject} via {}", renders.join(", "))
        }
    });
    named.collect::<Vec<_>>().join("; ")
}

/// The overlays and charts `members` were rendered through, each named once with its renders
/// when a chart rendered with values sets: `charts/web/Chart.yaml (default values, values set
/// prod)`.
pub(super) fn renders<'f>(
    sources: &'f SourceMap,
    members: impl IntoIterator<Item = &'f Finding>,
) -> Vec<String> {
    let renders = members
        .into_iter()
        .map(|member| (member.via.as_slice(), member.values_set.as_deref()));
    named_renders(sources, renders)
}

/// [`renders`] of objects given as the files they were rendered through and their values set.
fn named_renders<'f>(
    sources: &'f SourceMap,
    objects: impl IntoIterator<Item = (&'f [crate::source::FileId], Option<&'f str>)>,
) -> Vec<String> {
    let mut renders: Vec<(&str, Vec<Option<&str>>)> = Vec::new();
    for (via, set) in objects {
        for file in via {
            let path = sources.display(*file);
            match renders.iter_mut().find(|(named, _)| *named == path) {
                Some((_, sets)) if !sets.contains(&set) => sets.push(set),
                Some(_) => {}
                None => renders.push((path, vec![set])),
            }
        }
    }
    let named = |set: &Option<&str>| {
        set.map_or("default values".to_owned(), |set| {
            format!("values set {set}")
        })
    };
    (renders.iter())
        .map(|(path, sets)| match sets.as_slice() {
            [None] => (*path).to_owned(),
            _ => {
                let sets: Vec<String> = sets.iter().map(named).collect();
                format!("{path} ({})", sets.join(", "))
            }
        })
        .collect()
}

/// The overlays an object was rendered through, for the formats that list objects: `None` for
/// a plain manifest. A chart rendered with a configured values set names it:
/// `charts/web/Chart.yaml (values set prod)`.
pub(super) fn overlays(
    sources: &SourceMap,
    via: &[crate::source::FileId],
    values_set: Option<&str>,
) -> Option<String> {
    (!via.is_empty()).then(|| named_renders(sources, [(via, values_set)]).join(", "))
}
