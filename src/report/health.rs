//! The health score, its grade and the counts behind the summary, computed once per run from
//! an [`Outcome`] and shared by every format that shows them.

use std::collections::{BTreeMap, HashMap};

use crate::evaluate::finding::Finding;
use crate::evaluate::{Inspected, Passed};
use crate::model::object::ObjectId;
use crate::pipeline::Outcome;
use crate::rules::{Category, Severity};

/// Results of (check, object or container) pairs: passed, and failed by severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    pub passed: usize,
    pub warning: usize,
    pub danger: usize,
}

impl Tally {
    fn add_finding(&mut self, severity: Severity) {
        match severity {
            Severity::Warning => self.warning += 1,
            Severity::Danger => self.danger += 1,
        }
    }

    pub fn failed(&self) -> usize {
        self.warning + self.danger
    }

    pub fn score(&self) -> u32 {
        score(self.passed, self.warning, self.danger)
    }
}

/// `floor(100 × 2·passed / (2·passed + warnings + 2·dangers))`, 100 when nothing was evaluated.
pub fn score(passed: usize, warnings: usize, dangers: usize) -> u32 {
    let passed = passed as u128;
    let denominator = 2 * passed + warnings as u128 + 2 * dangers as u128;
    if denominator == 0 {
        return 100;
    }
    u32::try_from(200 * passed / denominator).unwrap_or(100)
}

/// The letter grade of a score.
pub fn grade(score: u32) -> &'static str {
    const BANDS: [(u32, &str); 12] = [
        (97, "A+"),
        (93, "A"),
        (90, "A-"),
        (87, "B+"),
        (83, "B"),
        (80, "B-"),
        (77, "C+"),
        (73, "C"),
        (70, "C-"),
        (67, "D+"),
        (63, "D"),
        (60, "D-"),
    ];
    BANDS
        .iter()
        .find(|(lowest, _)| score >= *lowest)
        .map_or("F", |(_, grade)| grade)
}

/// One object a check applied to, with its results split by level.
#[derive(Debug)]
pub struct WorkloadResults<'a> {
    pub inspected: &'a Inspected,
    pub pod: Tally,
    pub container: Tally,
    pub findings: Vec<&'a Finding>,
}

impl WorkloadResults<'_> {
    pub fn id(&self) -> &ObjectId {
        &self.inspected.id
    }

    pub fn passed(&self) -> &[Passed] {
        &self.inspected.passed
    }

    pub fn has_risk(&self) -> bool {
        !self.findings.is_empty()
    }

    pub fn total(&self) -> Tally {
        Tally {
            passed: self.pod.passed + self.container.passed,
            warning: self.pod.warning + self.container.warning,
            danger: self.pod.danger + self.container.danger,
        }
    }
}

#[derive(Debug, PartialEq, serde::Serialize)]
pub struct KindShare {
    pub kind: String,
    pub objects: usize,
    /// Share of all objects, rounded to one decimal.
    pub percent: f64,
}

#[derive(Debug, PartialEq, serde::Serialize)]
pub struct NamespaceTally {
    /// `None` for objects that do not name one (cluster-scoped or namespaced by the context).
    pub namespace: Option<String>,
    pub objects: usize,
    #[serde(flatten)]
    pub results: Tally,
}

#[derive(Debug)]
pub struct Health<'a> {
    pub total: Tally,
    pub score: u32,
    pub grade: &'static str,
    /// Every category in catalogue order, also those without results.
    pub categories: Vec<(Category, Tally)>,
    /// By number of objects, then by name.
    pub kinds: Vec<KindShare>,
    /// By namespace name, objects without one first.
    pub namespaces: Vec<NamespaceTally>,
    /// Objects a check applied to, in input order.
    pub workloads: Vec<WorkloadResults<'a>>,
}

impl<'a> Health<'a> {
    pub fn of(outcome: &'a Outcome) -> Self {
        let workloads = workload_results(outcome);
        let mut total = Tally::default();
        let mut categories: BTreeMap<Category, Tally> = ALL_CATEGORIES
            .iter()
            .map(|category| (*category, Tally::default()))
            .collect();
        for workload in &workloads {
            for passed in workload.passed() {
                total.passed += 1;
                categories
                    .entry(passed.rule.meta.category)
                    .or_default()
                    .passed += 1;
            }
        }
        for finding in &outcome.findings {
            total.add_finding(finding.severity);
            categories
                .entry(finding.rule.meta.category)
                .or_default()
                .add_finding(finding.severity);
        }
        let score = total.score();
        Health {
            total,
            score,
            grade: grade(score),
            categories: categories.into_iter().collect(),
            kinds: kind_shares(&outcome.inspected),
            namespaces: namespace_tallies(&outcome.inspected, &workloads),
            workloads,
        }
    }

    /// Findings of severity danger: the "high risks" of the inspection events.
    pub fn high_risks(&self) -> usize {
        self.total.danger
    }
}

const ALL_CATEGORIES: [Category; 5] = [
    Category::Security,
    Category::Networking,
    Category::Resources,
    Category::HealthChecks,
    Category::Images,
];

fn workload_results(outcome: &Outcome) -> Vec<WorkloadResults<'_>> {
    // Findings share the `Arc<ObjectId>` of their object, so its address identifies the object
    // even when two objects in different files have the same name.
    let mut index_of: HashMap<*const ObjectId, usize> = HashMap::new();
    let mut workloads: Vec<WorkloadResults<'_>> = Vec::new();
    for inspected in outcome.inspected.iter().filter(|i| i.checked) {
        let mut results = WorkloadResults {
            inspected,
            pod: Tally::default(),
            container: Tally::default(),
            findings: Vec::new(),
        };
        for passed in &inspected.passed {
            match passed.container {
                Some(_) => results.container.passed += 1,
                None => results.pod.passed += 1,
            }
        }
        index_of.insert(std::sync::Arc::as_ptr(&inspected.id), workloads.len());
        workloads.push(results);
    }
    for finding in &outcome.findings {
        let Some(workload) = index_of
            .get(&std::sync::Arc::as_ptr(&finding.object))
            .and_then(|index| workloads.get_mut(*index))
        else {
            continue;
        };
        match finding.container {
            Some(_) => workload.container.add_finding(finding.severity),
            None => workload.pod.add_finding(finding.severity),
        }
        workload.findings.push(finding);
    }
    workloads
}

fn kind_shares(inspected: &[Inspected]) -> Vec<KindShare> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for object in inspected {
        *counts.entry(object.id.kind.as_str()).or_default() += 1;
    }
    let total = inspected.len().max(1) as f64;
    let mut shares: Vec<KindShare> = counts
        .into_iter()
        .map(|(kind, objects)| KindShare {
            kind: kind.to_owned(),
            objects,
            percent: (objects as f64 * 1000.0 / total).round() / 10.0,
        })
        .collect();
    shares.sort_by(|a, b| b.objects.cmp(&a.objects).then_with(|| a.kind.cmp(&b.kind)));
    shares
}

fn namespace_tallies(
    inspected: &[Inspected],
    workloads: &[WorkloadResults<'_>],
) -> Vec<NamespaceTally> {
    let mut by_namespace: BTreeMap<Option<&str>, (usize, Tally)> = BTreeMap::new();
    for object in inspected {
        by_namespace
            .entry(object.id.namespace.as_deref())
            .or_default()
            .0 += 1;
    }
    for workload in workloads {
        let entry = by_namespace
            .entry(workload.id().namespace.as_deref())
            .or_default();
        let total = workload.total();
        entry.1.passed += total.passed;
        entry.1.warning += total.warning;
        entry.1.danger += total.danger;
    }
    by_namespace
        .into_iter()
        .map(|(namespace, (objects, results))| NamespaceTally {
            namespace: namespace.map(str::to_owned),
            objects,
            results,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_evaluated_scores_100() {
        assert_eq!(score(0, 0, 0), 100);
        assert_eq!(grade(100), "A+");
    }

    #[test]
    fn only_passes_score_100() {
        assert_eq!(score(17, 0, 0), 100);
    }

    #[test]
    fn only_failures_score_0() {
        assert_eq!(score(0, 3, 2), 0);
        assert_eq!(grade(0), "F");
    }

    #[test]
    fn mixed_results_by_hand() {
        // 2·10 / (2·10 + 3 + 2·2) = 20 / 27 = 0.7407… → 74, grade C.
        assert_eq!(score(10, 3, 2), 74);
        assert_eq!(grade(74), "C");
        // 2·45 / (90 + 5 + 0) = 90 / 95 = 0.947… → 94, grade A.
        assert_eq!(score(45, 5, 0), 94);
        // 2·1 / (2 + 0 + 2) = 0.5 exactly → 50.
        assert_eq!(score(1, 0, 1), 50);
        // 2·33 / (66 + 1 + 0) = 0.98507… → 98: floor, not rounding up to 99.
        assert_eq!(score(33, 1, 0), 98);
    }

    #[test]
    fn grade_bands_start_at_their_lower_bound() {
        let cases = [
            (97, "A+"),
            (96, "A"),
            (93, "A"),
            (92, "A-"),
            (90, "A-"),
            (89, "B+"),
            (87, "B+"),
            (83, "B"),
            (80, "B-"),
            (79, "C+"),
            (77, "C+"),
            (73, "C"),
            (70, "C-"),
            (67, "D+"),
            (63, "D"),
            (60, "D-"),
            (59, "F"),
        ];
        for (score, expected) in cases {
            assert_eq!(grade(score), expected, "score {score}");
        }
    }
}
