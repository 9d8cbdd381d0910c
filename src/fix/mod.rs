//! `kubepatrol fix`: turn the findings of a lint run into minimal text edits of the files that
//! wrote the offending values.
//!
//! The stage comes after `exempt` and reads only the lint outcome. Each finding's rule gives a
//! [`Remedy`] (semantic changes); this module groups the changes of one container or pod spec
//! and [`place`] turns them into byte edits ([`edit`]) in the style the text is written in.
//! [`safety`] refuses what is not safe: a value written once but used in several places (an
//! alias, a merge key, a Kustomize base rendered by several overlays, counted by [`uses`]) is
//! edited only when every use has the same finding; files outside the scanned paths, files
//! with input errors, inline patches of kustomizations and lines holding template expressions
//! are left alone. Edits must not overlap, and every edited file must still parse to the same
//! objects except for the fixed fields ([`verify`]). Whatever fails a test is reported as not
//! fixable with the reason, and the plan is made again without it. A fix whose check declares
//! it unsafe ([`Applicability`]) is applied only when asked for; otherwise it is held back, and
//! the report says how many were. [`report`] and [`diff`] say what was done.

pub mod diff;
pub(crate) mod edit;
pub mod exemption;
pub(crate) mod place;
pub mod report;
mod safety;
mod uses;
pub(crate) mod verify;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::evaluate::finding::Finding;
use crate::model::object::Object;
use crate::model::workload::{self, View, Workload};
use crate::pipeline::Outcome;
use crate::rules::{Applicability, Change, Desired, FixSubject, Remedy, RuleEntry};
use crate::settings::Settings;
use crate::source::{FileId, Span};
use crate::yaml::{Node, Value};

use edit::Edit;
use place::{Pending, Style};
use uses::{Kind, Target, Uses};

/// What to fix.
#[derive(Debug, Default)]
pub struct FixOptions {
    /// Only findings of these checks; every check when `None`.
    pub checks: Option<Vec<&'static RuleEntry>>,
    /// Only these findings (indexes into the outcome's findings), for an editor's quick fix of
    /// one finding or of one file; every finding when `None`.
    pub findings: Option<Vec<usize>>,
    /// Insert placeholder resources and probes, marked for review. Independent of
    /// `unsafe_fixes`: a placeholder fix is applied when both its values are wanted and its
    /// applicability is allowed.
    pub with_placeholders: bool,
    /// Also apply the fixes that [`Applicability::Unsafe`] checks propose.
    pub unsafe_fixes: bool,
    /// The scanned paths: a file outside them (a Kustomize base an overlay refers to) may have
    /// users the run cannot see, so it is not edited. Empty: every file may be edited.
    pub scope: Vec<PathBuf>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Fixed,
    /// The fix is unsafe and was not asked for; it would have been applied.
    HeldBack,
    NotFixable(String),
}

/// What became of one finding (an index into the outcome's findings).
#[derive(Clone, Debug)]
pub struct FindingFix {
    pub finding: usize,
    pub status: Status,
    /// Where its edit is (or, held back, would be) made: the first value it changes, which
    /// may be in another file than the finding's label (an overlay's patch, say).
    pub edited: Option<Span>,
}

/// One file's text before and after.
#[derive(Clone, Debug)]
pub struct FileFix {
    pub file: FileId,
    pub path: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Default)]
pub struct Plan {
    pub results: Vec<FindingFix>,
    pub files: Vec<FileFix>,
}

impl Plan {
    pub fn fixed(&self) -> usize {
        self.count(&Status::Fixed)
    }

    /// The unsafe fixes that were not asked for (`--unsafe-fixes`).
    pub fn held_back(&self) -> usize {
        self.count(&Status::HeldBack)
    }

    fn count(&self, status: &Status) -> usize {
        self.results
            .iter()
            .filter(|result| result.status == *status)
            .count()
    }
}

impl FixOptions {
    fn allows(&self, applicability: Applicability) -> bool {
        match applicability {
            Applicability::Safe => true,
            Applicability::Unsafe => self.unsafe_fixes,
            // Its remedy is never a change; nothing to allow.
            Applicability::DisplayOnly => false,
        }
    }
}

/// Where a remedy's paths start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Base {
    PodSpec,
    Container(usize),
}

/// A finding whose rule gave changes, waiting to be placed.
struct Candidate {
    finding: usize,
    object: usize,
    base: Base,
    changes: Vec<Change>,
    /// How many rendered objects the finding stands for (a finding merged across overlays
    /// stands for one per overlay).
    weight: usize,
    /// Rendered through Kustomize: what a file says may differ from the rendered object.
    rendered: bool,
    /// The rule's place in the registry: the fixes of one container are written in this order,
    /// whatever order the findings came in.
    rank: usize,
}

/// An edit with what it is for.
#[derive(Clone, Debug)]
struct Planned {
    file: FileId,
    edit: Edit,
    /// The written node the edit changes for every one of its uses.
    target: Target,
    weight: usize,
    findings: Vec<usize>,
    /// Which object and base asked for it.
    group: usize,
}

/// Plan the fixes of `outcome`'s findings; nothing is written. Without `unsafe_fixes`, the
/// plan is made a second time with them, only to tell which held-back fixes would apply: a
/// held-back fix that would be refused anyway is reported not fixable, with its reason.
pub fn plan(outcome: &Outcome, settings: &Settings, options: &FixOptions) -> Plan {
    let mut plan = plan_allowed(outcome, settings, options);
    if plan.held_back() == 0 {
        return plan;
    }
    let with_unsafe = FixOptions {
        checks: options.checks.clone(),
        findings: options.findings.clone(),
        scope: options.scope.clone(),
        with_placeholders: options.with_placeholders,
        unsafe_fixes: true,
    };
    let would = plan_allowed(outcome, settings, &with_unsafe);
    let statuses: HashMap<usize, &FindingFix> = would
        .results
        .iter()
        .map(|result| (result.finding, result))
        .collect();
    for result in &mut plan.results {
        if result.status != Status::HeldBack {
            continue;
        }
        if let Some(would) = statuses.get(&result.finding) {
            result.edited = would.edited;
            if let Status::NotFixable(reason) = &would.status {
                result.status = Status::NotFixable(reason.clone());
            }
        }
    }
    plan
}

/// The plan with the fixes `options` allows; the others are held back.
fn plan_allowed(outcome: &Outcome, settings: &Settings, options: &FixOptions) -> Plan {
    let objects: Vec<Object> = outcome
        .inspected
        .iter()
        .map(|inspected| Object {
            id: inspected.id.clone(),
            file: inspected.root.span.file,
            root: inspected.root.clone(),
            helm_template: None,
            via: Vec::new(),
            values_set: None,
            computed_from: Vec::new(),
        })
        .collect();
    // A finding and its inspected object share one `Arc` of the object's id (see `evaluate`).
    let by_id: HashMap<*const crate::model::object::ObjectId, usize> = objects
        .iter()
        .enumerate()
        .map(|(index, object)| (Arc::as_ptr(&object.id), index))
        .collect();
    let mut views: HashMap<usize, Option<Workload<'_>>> = HashMap::new();
    let mut refused: HashMap<usize, String> = HashMap::new();
    let mut held_back: HashSet<usize> = HashSet::new();
    let mut candidates = Vec::new();
    let mut selected = Vec::new();
    for (index, finding) in outcome.findings.iter().enumerate() {
        let wanted = options.checks.as_ref().is_none_or(|checks| {
            checks
                .iter()
                .any(|entry| entry.meta.id == finding.rule.meta.id)
        }) && options
            .findings
            .as_ref()
            .is_none_or(|findings| findings.contains(&index));
        if !wanted {
            continue;
        }
        selected.push(index);
        let object = by_id.get(&Arc::as_ptr(&finding.object)).copied();
        let view = object.and_then(|object| {
            views
                .entry(object)
                .or_insert_with(|| {
                    objects.get(object).and_then(|object| {
                        match workload::view(object, settings).view {
                            View::Workload(workload) => Some(workload),
                            _ => None,
                        }
                    })
                })
                .as_ref()
        });
        match candidate(index, finding, object, view, options) {
            Ok(_) if !options.allows(finding.rule.meta.applicability) => {
                held_back.insert(index);
            }
            Ok(found) => candidates.push(found),
            Err(reason) => {
                refused.insert(index, reason);
            }
        }
    }
    let mut context = Context {
        outcome,
        scope: &options.scope,
        views: &views,
        uses: Uses::default(),
        touches: HashMap::new(),
        written: Default::default(),
        verified: Default::default(),
    };
    // Each finding on its own first, so that a reason names the finding it is about.
    let mut edited = vec![false; outcome.sources.len()];
    for candidate in &candidates {
        match context.place(&[candidate], 0) {
            Ok(planned) => {
                for planned in planned {
                    if let Some(slot) = edited.get_mut(planned.file.0 as usize) {
                        *slot = true;
                    }
                    context
                        .touches
                        .entry(candidate.finding)
                        .or_default()
                        .push(planned.target);
                }
            }
            Err(reason) => {
                refused.insert(candidate.finding, reason);
            }
        }
    }
    context.uses = uses::count(outcome, edited);
    let settled = loop {
        let remaining: Vec<&Candidate> = candidates
            .iter()
            .filter(|candidate| !refused.contains_key(&candidate.finding))
            .collect();
        match context.settle(&remaining) {
            Ok(settled) => break settled,
            // Each round refuses at least one remaining finding, so this ends; the guard only
            // keeps a bug from looping forever.
            Err(more) if more.keys().all(|finding| refused.contains_key(finding)) => {
                break Settled::default();
            }
            Err(more) => refused.extend(more),
        }
    };
    let results = selected
        .into_iter()
        .map(|finding| {
            let status = if held_back.contains(&finding) {
                Status::HeldBack
            } else {
                refused
                    .remove(&finding)
                    .map_or(Status::Fixed, Status::NotFixable)
            };
            FindingFix {
                finding,
                edited: (status == Status::Fixed)
                    .then(|| settled.edited.get(&finding).copied())
                    .flatten(),
                status,
            }
        })
        .collect();
    Plan {
        results,
        files: settled.files,
    }
}

/// The edited files of a plan that passed every test, and where each finding's edit is.
#[derive(Default)]
struct Settled {
    files: Vec<FileFix>,
    edited: HashMap<usize, Span>,
}

/// The changes a finding's rule proposes, or why there are none.
fn candidate(
    index: usize,
    finding: &Finding,
    object: Option<usize>,
    view: Option<&Workload<'_>>,
    options: &FixOptions,
) -> Result<Candidate, String> {
    if let Some(template) = &finding.helm_template {
        return Err(format!(
            "rendered by Helm from `{template}`: fix the chart, not its output"
        ));
    }
    let rule = finding.rule.rule;
    let (remedy, base) = match (view, &finding.container) {
        (None, _) => (rule.remedy(&FixSubject::Binding), Base::PodSpec),
        (Some(workload), None) => (
            rule.remedy(&FixSubject::Pod {
                workload,
                labels: &finding.labels,
            }),
            Base::PodSpec,
        ),
        (Some(workload), Some(wanted)) => {
            let primary = finding.primary();
            let mut matching =
                workload.containers.iter().enumerate().filter(|(_, c)| {
                    c.kind == wanted.kind && c.name.map(str::to_owned) == wanted.name
                });
            let found = match (matching.next(), matching.next()) {
                (Some(only), None) => Some(only),
                (Some(_), Some(_)) => workload.containers.iter().enumerate().find(|(_, c)| {
                    c.node.span.file == primary.file
                        && c.node.span.start <= primary.start
                        && primary.end <= c.node.span.end
                }),
                _ => None,
            };
            let Some((position, container)) = found else {
                return Err("the container could not be told apart from another".into());
            };
            (
                rule.remedy(&FixSubject::Container {
                    workload,
                    container,
                    labels: &finding.labels,
                }),
                Base::Container(position),
            )
        }
    };
    let changes = match remedy {
        Remedy::Never(reason) => return Err(format!("never fixed automatically: {reason}")),
        Remedy::Refused(reason) => return Err(reason),
        Remedy::Placeholders(_) if !options.with_placeholders => {
            let unsafe_too = match finding.rule.meta.applicability {
                Applicability::Unsafe => ", with `--unsafe-fixes` since it is unsafe",
                Applicability::Safe | Applicability::DisplayOnly => "",
            };
            return Err(format!(
                "needs values only you know; `--with-placeholders` inserts placeholders marked TODO(kubepatrol){unsafe_too}"
            ));
        }
        Remedy::Changes(changes) | Remedy::Placeholders(changes) => changes,
    };
    let Some(object) = object else {
        return Err("the object was not found".into());
    };
    Ok(Candidate {
        finding: index,
        object,
        base,
        changes,
        weight: finding.via.len().max(1),
        rendered: !finding.via.is_empty(),
        rank: crate::rules::all()
            .iter()
            .position(|entry| std::ptr::eq(entry, finding.rule))
            .unwrap_or(usize::MAX),
    })
}

struct Context<'a, 'w> {
    outcome: &'a Outcome,
    scope: &'a [PathBuf],
    views: &'a HashMap<usize, Option<Workload<'w>>>,
    uses: Uses,
    /// The keys of every mapping of each edited file as written, by the mapping's span, to see
    /// the keys a Kustomize patch removed.
    written: std::cell::RefCell<HashMap<FileId, HashMap<Span, Vec<String>>>>,
    /// The nodes each finding's own edits change, so that a refused edit of a group refuses
    /// only the findings that asked for it.
    touches: HashMap<usize, Vec<Target>>,
    /// The last text checked for each file and whether it passed, since planning again after
    /// a refusal mostly yields the same files.
    verified: std::cell::RefCell<HashMap<FileId, (String, bool)>>,
}

impl Context<'_, '_> {
    fn style(&self, file: FileId) -> Style {
        let text = self.text(file);
        Style {
            json: self
                .outcome
                .sources
                .display(file)
                .to_ascii_lowercase()
                .ends_with(".json"),
            newline: edit::newline(text),
        }
    }

    fn text(&self, file: FileId) -> &str {
        self.outcome
            .sources
            .get(file)
            .map_or("", |source| source.text.as_str())
    }

    fn base_node(&self, candidate: &Candidate) -> Option<&Node> {
        let workload = self.views.get(&candidate.object)?.as_ref()?;
        match candidate.base {
            Base::PodSpec => Some(workload.spec),
            Base::Container(index) => workload.containers.get(index).map(|c| c.node),
        }
    }

    /// The edits for candidates that share one object and base, all together: one insertion
    /// per mapping, so that several fixes of one container make one coherent block.
    fn place(&self, group: &[&Candidate], id: usize) -> Result<Vec<Planned>, String> {
        let Some(first) = group.first() else {
            return Ok(Vec::new());
        };
        let Some(base) = self.base_node(first) else {
            return Err("the pod spec or the container was not found".into());
        };
        let changes = Changes::of(group)?;
        let mut placed: Vec<(Target, Edit)> = Vec::new();
        self.remove_entries(base, &changes.entries, &mut placed)?;
        self.remove_items(base, &changes.items, &mut placed)?;
        let rendered = group.iter().any(|candidate| candidate.rendered);
        self.set(base, &changes.pending, rendered, &mut placed)?;
        Ok(placed
            .into_iter()
            .map(|(target, edit)| self.planned(group, id, target, edit))
            .collect())
    }

    fn remove_entries(
        &self,
        base: &Node,
        entries: &[Span],
        placed: &mut Vec<(Target, Edit)>,
    ) -> Result<(), String> {
        for &span in entries {
            let Some((map, index)) = find(base, span, Found::Entry) else {
                return Err("the value to remove was not found".into());
            };
            self.not_inline_patch(span.file)?;
            let target = Target {
                span,
                kind: Kind::Scalar,
            };
            for edit in place::remove_entry(self.text(span.file), map, index)? {
                placed.push((target, edit));
            }
        }
        Ok(())
    }

    /// Remove sequence items, all of one sequence at once; a sequence left empty is removed
    /// with its key (`capabilities.add`), or, when no key holds it, left as `[]`.
    fn remove_items(
        &self,
        base: &Node,
        items: &[Span],
        placed: &mut Vec<(Target, Edit)>,
    ) -> Result<(), String> {
        let mut sequences: Vec<(&Node, Vec<usize>)> = Vec::new();
        for &span in items {
            let Some((seq, index)) = find(base, span, Found::Item) else {
                return Err("the sequence item to remove was not found".into());
            };
            self.not_inline_patch(span.file)?;
            match sequences
                .iter_mut()
                .find(|(known, _)| known.span == seq.span)
            {
                Some((_, indexes)) => indexes.push(index),
                None => sequences.push((seq, vec![index])),
            }
        }
        for (seq, mut indexes) in sequences {
            indexes.sort_unstable();
            let text = self.text(seq.span.file);
            let emptied = indexes.len() == seq.as_seq().map_or(0, <[Node]>::len);
            let edits = match (emptied, find(base, seq.span, Found::Entry)) {
                (true, Some((map, index))) => place::remove_emptied_sequence(text, map, index)?,
                (true, None) if !place::is_flow(text, seq) => {
                    return Err("the emptied sequence's key was not found".into());
                }
                _ => place::remove_items(text, seq, &indexes)?,
            };
            placed.extend(edits.into_iter().map(|edit| (Target::of(seq), edit)));
        }
        Ok(())
    }

    /// An edit with the findings whose own edits change its node; all of the group when none
    /// does (a node only the combined edit reaches).
    fn planned(&self, group: &[&Candidate], id: usize, target: Target, edit: Edit) -> Planned {
        let asking: Vec<&&Candidate> = group
            .iter()
            .filter(|c| {
                self.touches
                    .get(&c.finding)
                    .is_some_and(|targets| targets.contains(&target))
            })
            .collect();
        let asking = if asking.is_empty() {
            group.iter().collect()
        } else {
            asking
        };
        Planned {
            file: target.span.file,
            edit,
            target,
            weight: asking.iter().map(|c| c.weight).min().unwrap_or(1),
            findings: asking.iter().map(|c| c.finding).collect(),
            group: id,
        }
    }

    /// Make `map` hold `pending`: descend into mappings that exist, replace values that differ,
    /// fill null values, and insert every absent key of one mapping with one edit.
    fn set(
        &self,
        map: &Node,
        pending: &[(&'static str, Pending)],
        rendered: bool,
        placed: &mut Vec<(Target, Edit)>,
    ) -> Result<(), String> {
        let mut absent = Vec::new();
        for (key, wanted) in pending {
            let Some(entry) = map.entry(key) else {
                absent.push((*key, wanted.clone()));
                continue;
            };
            let file = entry.key.span.file;
            self.not_inline_patch(file)?;
            if entry.value.is_null() {
                let edit = place::fill_null(self.text(file), entry, wanted, self.style(file))?;
                placed.push((Target::key(&entry.key), edit));
                continue;
            }
            match wanted {
                Pending::Map(children) if entry.value.as_map().is_some() => {
                    self.set(&entry.value, children, rendered, placed)?;
                }
                Pending::Map(_) => return Err(format!("`{key}` is not a mapping")),
                Pending::Leaf(Desired::Bool(flag)) => {
                    if entry.value.as_bool() != Some(*flag) {
                        let edit = place::replace_scalar(&entry.value, &flag.to_string())?;
                        placed.push((Target::of(&entry.value), edit));
                    }
                }
                Pending::Leaf(Desired::ListIfAbsent(_)) => {}
                Pending::Leaf(Desired::Placeholder { .. }) => {
                    if entry.value.as_str() == Some("") {
                        return Err(format!("`{key}` is an empty string; write the value"));
                    }
                }
            }
        }
        if !absent.is_empty() {
            let file = map.span.file;
            self.not_inline_patch(file)?;
            let removed = absent
                .iter()
                .find(|(key, _)| rendered && self.written_has(map, key));
            if let Some((key, _)) = removed {
                return Err(format!(
                    "`{key}` is written in {} but a Kustomize patch removes it; fix the patch",
                    self.outcome.sources.display(file)
                ));
            }
            let edit = place::insert(self.text(file), map, &absent, self.style(file))?;
            placed.push((Target::of(map), edit));
        }
        Ok(())
    }

    /// Whether each edited text parses like its file's text, in parallel; the last text of
    /// each file and its verdict are remembered, since planning again after a refusal mostly
    /// yields the same files.
    fn verify_all(&self, applied: &[(FileId, Vec<&Planned>, Option<String>)]) -> Vec<bool> {
        let mut cache = self.verified.borrow_mut();
        let work: Vec<(&str, Option<&str>, Option<bool>)> = applied
            .iter()
            .map(|(file, _, after)| {
                let known = cache
                    .get(file)
                    .filter(|(text, _)| Some(text.as_str()) == after.as_deref())
                    .map(|(_, passed)| *passed);
                (self.text(*file), after.as_deref(), known)
            })
            .collect();
        let passed: Vec<bool> = work
            .par_iter()
            .map(|(before, after, known)| match (after, known) {
                (None, _) => false,
                (Some(_), Some(known)) => *known,
                (Some(after), None) => verify::same_objects(before, after),
            })
            .collect();
        for ((file, _, after), passed) in applied.iter().zip(&passed) {
            if let Some(after) = after {
                cache.insert(*file, (after.clone(), *passed));
            }
        }
        passed
    }

    /// Whether the mapping written at `map`'s span has `key` in the file as written: a rendered
    /// mapping lacks a key that a Kustomize patch removed, and inserting it again would
    /// repeat it.
    fn written_has(&self, map: &Node, key: &str) -> bool {
        let file = map.span.file;
        let mut cache = self.written.borrow_mut();
        let keys = cache.entry(file).or_insert_with(|| {
            let parsed = crate::yaml::parse(file, self.text(file), crate::yaml::Limits::default());
            let mut keys: HashMap<Span, Vec<String>> = HashMap::new();
            let mut stack: Vec<&Node> = parsed.documents.iter().map(|doc| &doc.root).collect();
            while let Some(node) = stack.pop() {
                match &node.value {
                    Value::Map(entries) => {
                        keys.entry(node.span).or_default().extend(
                            entries
                                .iter()
                                .filter_map(|entry| entry.key.as_str().map(str::to_owned)),
                        );
                        stack.extend(entries.iter().map(|entry| &entry.value));
                    }
                    Value::Seq(items) => stack.extend(items.iter()),
                    _ => {}
                }
            }
            keys
        });
        keys.get(&map.span)
            .is_some_and(|written| written.iter().any(|known| known == key))
    }

    /// Place every remaining candidate and check the edits together. `Err` names the findings
    /// to leave out, with why; `Ok` is the edited files.
    fn settle(&self, candidates: &[&Candidate]) -> Result<Settled, HashMap<usize, String>> {
        let mut refused = HashMap::new();
        let merged = self.place_groups(&group_by_object_and_base(candidates), &mut refused);
        refuse_different_edits_of_one_value(&merged, &mut refused);
        for planned in &merged {
            if let Some(reason) = self.refusal(planned) {
                refuse(&mut refused, planned.findings.iter().copied(), &reason);
            }
        }
        if !refused.is_empty() {
            return Err(refused);
        }
        let applied = self.apply_per_file(&merged, &mut refused);
        let files = self.verified_fixes(applied, &mut refused);
        if refused.is_empty() {
            Ok(Settled {
                files,
                edited: first_edit_of_each_finding(&merged),
            })
        } else {
            Err(refused)
        }
    }

    /// Place each group's edits; the same edit asked for by several uses of a shared value is
    /// planned once, with their weights and findings added up.
    fn place_groups(
        &self,
        groups: &[Vec<&Candidate>],
        refused: &mut HashMap<usize, String>,
    ) -> Vec<Planned> {
        let mut merged: Vec<Planned> = Vec::new();
        let mut same: HashMap<(FileId, usize, usize, String), usize> = HashMap::new();
        for (id, group) in groups.iter().enumerate() {
            match self.place(group, id) {
                Ok(planned) => {
                    for planned in planned {
                        let key = (
                            planned.file,
                            planned.edit.start,
                            planned.edit.end,
                            planned.edit.text.clone(),
                        );
                        match same.get(&key).and_then(|&at| merged.get_mut(at)) {
                            // The same edit for another use of a shared value.
                            Some(known) => {
                                known.weight += planned.weight;
                                known.findings.extend(planned.findings);
                            }
                            None => {
                                same.insert(key, merged.len());
                                merged.push(planned);
                            }
                        }
                    }
                }
                Err(reason) => refuse(refused, group.iter().map(|c| c.finding), &reason),
            }
        }
        merged
    }

    /// Each file's edits applied to its text, unless two of them overlap: `None` as the text
    /// when applying failed.
    fn apply_per_file<'p>(
        &self,
        merged: &'p [Planned],
        refused: &mut HashMap<usize, String>,
    ) -> Vec<(FileId, Vec<&'p Planned>, Option<String>)> {
        let mut files: Vec<FileId> = merged.iter().map(|planned| planned.file).collect();
        files.sort();
        files.dedup();
        let mut applied = Vec::new();
        for file in files {
            let mut planned: Vec<&Planned> = merged
                .iter()
                .filter(|planned| planned.file == file)
                .collect();
            planned.sort_by_key(|planned| planned.edit.order());
            let edits: Vec<Edit> = planned.iter().map(|p| p.edit.clone()).collect();
            if let Some((first, second)) = edit::first_overlap(&edits) {
                let involved = [first, second]
                    .into_iter()
                    .filter_map(|index| planned.get(index))
                    .flat_map(|planned| planned.findings.iter().copied());
                refuse(
                    refused,
                    involved,
                    "its edit overlaps the edit of another fix at the same place",
                );
                continue;
            }
            let after = edit::apply(self.text(file), &edits);
            applied.push((file, planned, after));
        }
        applied
    }

    /// The edited files that parse to the same objects as before; the findings of the others
    /// are refused.
    fn verified_fixes(
        &self,
        applied: Vec<(FileId, Vec<&Planned>, Option<String>)>,
        refused: &mut HashMap<usize, String>,
    ) -> Vec<FileFix> {
        let passed = self.verify_all(&applied);
        let mut fixes = Vec::new();
        for ((file, planned, after), passed) in applied.into_iter().zip(passed) {
            match after.filter(|_| passed) {
                Some(after) => fixes.push(FileFix {
                    file,
                    path: self.outcome.sources.display(file).to_owned(),
                    before: self.text(file).to_owned(),
                    after,
                }),
                None => refuse(
                    refused,
                    planned.iter().flat_map(|p| p.findings.iter().copied()),
                    "the edited file would not parse to the same objects (please report this); it is left as it is",
                ),
            }
        }
        fixes
    }
}

/// Where each finding's edits begin: the earliest value they change, by file and offset.
fn first_edit_of_each_finding(merged: &[Planned]) -> HashMap<usize, Span> {
    let mut first: HashMap<usize, Span> = HashMap::new();
    for planned in merged {
        let span = planned.target.span;
        for finding in &planned.findings {
            first
                .entry(*finding)
                .and_modify(|known| {
                    if (span.file, span.start) < (known.file, known.start) {
                        *known = span;
                    }
                })
                .or_insert(span);
        }
    }
    first
}

/// Candidates grouped by the object and the base value they edit, in first-seen order.
fn group_by_object_and_base<'c>(candidates: &[&'c Candidate]) -> Vec<Vec<&'c Candidate>> {
    let mut groups: Vec<((usize, Base), Vec<&Candidate>)> = Vec::new();
    for candidate in candidates {
        let key = (candidate.object, candidate.base);
        match groups.iter_mut().find(|(known, _)| *known == key) {
            Some((_, group)) => group.push(candidate),
            None => groups.push((key, vec![candidate])),
        }
    }
    groups.into_iter().map(|(_, group)| group).collect()
}

/// Different edits of one written value (a value several objects share) cannot all be applied:
/// identical edits were merged when they were placed, so these are refused.
fn refuse_different_edits_of_one_value(merged: &[Planned], refused: &mut HashMap<usize, String>) {
    let mut by_target: HashMap<Target, Vec<&Planned>> = HashMap::new();
    for planned in merged {
        by_target.entry(planned.target).or_default().push(planned);
    }
    for same_target in by_target.values() {
        let groups: HashSet<usize> = same_target.iter().map(|planned| planned.group).collect();
        if groups.len() > 1 {
            refuse(
                refused,
                same_target
                    .iter()
                    .flat_map(|planned| planned.findings.iter().copied()),
                "the value is written once for several objects that need different edits",
            );
        }
    }
}

/// The changes a group of candidates asks for, in rank order: entries and items to remove
/// (each once) and values to set.
struct Changes {
    entries: Vec<Span>,
    items: Vec<Span>,
    pending: Vec<(&'static str, Pending)>,
}

impl Changes {
    fn of(group: &[&Candidate]) -> Result<Self, String> {
        let mut changes = Changes {
            entries: Vec::new(),
            items: Vec::new(),
            pending: Vec::new(),
        };
        let mut ordered = group.to_vec();
        ordered.sort_by_key(|candidate| candidate.rank);
        for candidate in ordered {
            for change in &candidate.changes {
                match change {
                    Change::RemoveEntry(span) if !changes.entries.contains(span) => {
                        changes.entries.push(*span)
                    }
                    Change::RemoveItem(span) if !changes.items.contains(span) => {
                        changes.items.push(*span)
                    }
                    Change::RemoveEntry(_) | Change::RemoveItem(_) => {}
                    Change::Set { path, value } => add_pending(&mut changes.pending, path, value)?,
                }
            }
        }
        Ok(changes)
    }
}

fn refuse(
    refused: &mut HashMap<usize, String>,
    findings: impl Iterator<Item = usize>,
    reason: &str,
) {
    for finding in findings {
        refused.entry(finding).or_insert_with(|| reason.to_owned());
    }
}

/// Add `path: value` to the tree of keys to write, merging shared prefixes.
fn add_pending(
    tree: &mut Vec<(&'static str, Pending)>,
    path: &[&'static str],
    value: &Desired,
) -> Result<(), String> {
    let Some((first, rest)) = path.split_first() else {
        return Err("a change names no field".into());
    };
    let position = tree.iter().position(|(key, _)| key == first);
    if rest.is_empty() {
        return match position.and_then(|at| tree.get(at)) {
            None => {
                tree.push((first, Pending::Leaf(value.clone())));
                Ok(())
            }
            Some((_, Pending::Leaf(known))) if known == value => Ok(()),
            Some(_) => Err(format!("two fixes want different values for `{first}`")),
        };
    }
    let at = match position {
        Some(at) => at,
        None => {
            tree.push((first, Pending::Map(Vec::new())));
            tree.len() - 1
        }
    };
    match tree.get_mut(at) {
        Some((_, Pending::Map(children))) => add_pending(children, rest, value),
        _ => Err(format!("two fixes disagree about `{first}`")),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Found {
    Entry,
    Item,
}

/// The collection below `base` that holds, as a mapping value (`Entry`) or a sequence item
/// (`Item`), the node written at `span`, with its index.
fn find(base: &Node, span: Span, wanted: Found) -> Option<(&Node, usize)> {
    let mut stack = vec![base];
    while let Some(node) = stack.pop() {
        match &node.value {
            Value::Map(entries) => {
                for (index, entry) in entries.iter().enumerate() {
                    if wanted == Found::Entry && entry.value.span == span {
                        return Some((node, index));
                    }
                    stack.push(&entry.value);
                }
            }
            Value::Seq(items) => {
                for (index, item) in items.iter().enumerate() {
                    if wanted == Found::Item && item.span == span {
                        return Some((node, index));
                    }
                    stack.push(item);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{LintOptions, lint_bytes};
    use crate::rules;

    const POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  hostNetwork: true
  containers:
  - name: app
    image: nginx:latest
    securityContext:
      privileged: true
";

    fn lint(text: &str) -> Outcome {
        lint_bytes("web.yaml", text.as_bytes(), &LintOptions::default())
    }

    /// Every fix of these checks, unsafe ones included: the tests below are about placing.
    fn only(ids: &[&str]) -> FixOptions {
        FixOptions {
            checks: Some(
                ids.iter()
                    .map(|id| rules::find(id).expect("a check"))
                    .collect(),
            ),
            unsafe_fixes: true,
            ..FixOptions::default()
        }
    }

    /// Each selected finding's check and what became of it.
    fn statuses(outcome: &Outcome, plan: &Plan) -> Vec<(&'static str, Status)> {
        plan.results
            .iter()
            .map(|result| {
                let finding = &outcome.findings[result.finding];
                (finding.rule.meta.id, result.status.clone())
            })
            .collect()
    }

    fn status_of(outcome: &Outcome, plan: &Plan, check: &str) -> Status {
        statuses(outcome, plan)
            .into_iter()
            .find(|(id, _)| *id == check)
            .map(|(_, status)| status)
            .expect("a result for the check")
    }

    /// The one edited file's text.
    fn after(plan: &Plan) -> &str {
        let [file] = plan.files.as_slice() else {
            panic!("one edited file, not {}", plan.files.len())
        };
        &file.after
    }

    #[test]
    fn host_network_is_removed_and_privileged_turned_off_in_place() {
        let outcome = lint(POD);
        let plan = plan(
            &outcome,
            &Settings::default(),
            &only(&["hostNetworkSet", "runAsPrivileged"]),
        );
        assert_eq!(
            statuses(&outcome, &plan),
            [
                ("hostNetworkSet", Status::Fixed),
                ("runAsPrivileged", Status::Fixed)
            ]
        );
        assert_eq!(plan.fixed(), 2);
        let file = &plan.files[0];
        assert_eq!(
            (file.file, file.path.as_str(), file.before.as_str()),
            (FileId(0), "web.yaml", POD)
        );
        assert_eq!(
            after(&plan),
            "\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: nginx:latest
    securityContext:
      privileged: false
"
        );
    }

    #[test]
    fn every_fix_of_a_container_goes_into_its_security_context_in_registry_order() {
        let outcome = lint(POD);
        let options = FixOptions {
            unsafe_fixes: true,
            ..FixOptions::default()
        };
        let plan = plan(&outcome, &Settings::default(), &options);
        assert_eq!(
            after(&plan),
            "\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: nginx:latest
    securityContext:
      privileged: false
      runAsNonRoot: true
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
"
        );
        // Linting the fixed text again finds none of the fixed checks.
        let fixed: Vec<&str> = statuses(&outcome, &plan)
            .into_iter()
            .filter(|(_, status)| *status == Status::Fixed)
            .map(|(id, _)| id)
            .collect();
        assert_eq!(fixed.len(), 5, "{fixed:?}");
        let again = lint(after(&plan));
        assert!(
            again
                .findings
                .iter()
                .all(|f| !fixed.contains(&f.rule.meta.id))
        );
    }

    #[test]
    fn unsafe_fixes_are_held_back_unless_asked_for_and_say_where_they_would_go() {
        let outcome = lint(POD);
        let held = plan(
            &outcome,
            &Settings::default(),
            &FixOptions {
                unsafe_fixes: false,
                ..only(&["hostNetworkSet", "runAsPrivileged"])
            },
        );
        assert_eq!(
            statuses(&outcome, &held),
            [
                ("hostNetworkSet", Status::HeldBack),
                ("runAsPrivileged", Status::HeldBack)
            ]
        );
        assert_eq!((held.fixed(), held.held_back()), (0, 2));
        assert!(held.files.is_empty());
        let privileged = held.results.get(1).and_then(|result| result.edited);
        assert_eq!(
            privileged.map(|span| outcome.sources.position(span).0.line),
            Some(11)
        );
    }

    #[test]
    fn a_held_back_fix_that_would_be_refused_is_not_fixable() {
        let text = POD.replace(
            "hostNetwork: true",
            "hostNetwork: true # {{ .Values.host }}",
        );
        let outcome = lint(&text);
        let options = FixOptions {
            unsafe_fixes: false,
            ..only(&["hostNetworkSet"])
        };
        let plan = plan(&outcome, &Settings::default(), &options);
        let Status::NotFixable(reason) = status_of(&outcome, &plan, "hostNetworkSet") else {
            panic!("refused, not held back")
        };
        assert!(reason.contains("template expressions"), "{reason}");
    }

    #[test]
    fn a_latest_tag_is_not_fixed_and_says_why() {
        let outcome = lint(POD);
        let plan = plan(&outcome, &Settings::default(), &only(&["tagNotSpecified"]));
        assert_eq!(
            statuses(&outcome, &plan),
            [(
                "tagNotSpecified",
                Status::NotFixable(
                    "never fixed automatically: a human must choose the image tag or digest".into()
                )
            )]
        );
        assert_eq!(plan.fixed(), 0);
        assert!(plan.files.is_empty());
    }

    #[test]
    fn placeholders_are_written_only_when_asked_for() {
        let outcome = lint(POD);
        let without = plan(&outcome, &Settings::default(), &only(&["cpuLimitsMissing"]));
        let Status::NotFixable(reason) = status_of(&outcome, &without, "cpuLimitsMissing") else {
            panic!("not fixed without placeholders")
        };
        assert!(reason.contains("--with-placeholders"), "{reason}");
        assert!(without.files.is_empty());
        let with = plan(
            &outcome,
            &Settings::default(),
            &FixOptions {
                with_placeholders: true,
                ..only(&["cpuLimitsMissing"])
            },
        );
        assert_eq!(
            status_of(&outcome, &with, "cpuLimitsMissing"),
            Status::Fixed
        );
        assert!(
            after(&with).ends_with(
                "      privileged: true\n    resources:  # TODO(kubepatrol): placeholder, set what the container needs\n      limits:\n        cpu: 500m\n"
            ),
            "{}",
            after(&with)
        );
    }

    #[test]
    fn a_file_outside_the_scanned_paths_is_not_edited() {
        let outcome = lint(POD);
        let options = FixOptions {
            scope: vec![PathBuf::from("elsewhere")],
            ..only(&["hostNetworkSet"])
        };
        let plan = plan(&outcome, &Settings::default(), &options);
        let Status::NotFixable(reason) = status_of(&outcome, &plan, "hostNetworkSet") else {
            panic!("refused")
        };
        assert!(reason.contains("outside the scanned paths"), "{reason}");
        assert!(plan.files.is_empty());
        let inside = FixOptions {
            scope: vec![PathBuf::from(".")],
            ..only(&["hostNetworkSet"])
        };
        let plan = super::plan(&outcome, &Settings::default(), &inside);
        assert_eq!(status_of(&outcome, &plan, "hostNetworkSet"), Status::Fixed);
    }

    #[test]
    fn a_line_with_a_template_expression_is_not_edited() {
        let text = POD.replace(
            "hostNetwork: true",
            "hostNetwork: true # {{ .Values.host }}",
        );
        let outcome = lint(&text);
        let plan = plan(&outcome, &Settings::default(), &only(&["hostNetworkSet"]));
        let Status::NotFixable(reason) = status_of(&outcome, &plan, "hostNetworkSet") else {
            panic!("refused")
        };
        assert!(reason.contains("template expressions"), "{reason}");
    }

    #[test]
    fn a_value_shared_with_a_container_without_the_finding_is_not_edited() {
        let text = "\
apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations:
    kubepatrol.io/ignore.b: runAsPrivileged
spec:
  containers:
  - name: a
    image: x:1
    securityContext: &shared {privileged: true}
  - name: b
    image: x:1
    securityContext: *shared
";
        let outcome = lint(text);
        let plan = plan(&outcome, &Settings::default(), &only(&["runAsPrivileged"]));
        let Status::NotFixable(reason) = status_of(&outcome, &plan, "runAsPrivileged") else {
            panic!("refused")
        };
        assert!(reason.contains("used 2 times"), "{reason}");
        assert!(plan.files.is_empty());
    }

    #[test]
    fn the_last_line_of_a_file_without_a_final_line_break_can_be_removed() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: []\n  hostNetwork: true";
        let outcome = lint(text);
        let plan = plan(&outcome, &Settings::default(), &only(&["hostNetworkSet"]));
        assert_eq!(status_of(&outcome, &plan, "hostNetworkSet"), Status::Fixed);
        assert_eq!(
            after(&plan),
            "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: []\n"
        );
    }
}
