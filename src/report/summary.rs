//! `--format summary`: the health score and grade, then the counts per category, kind,
//! namespace and workload as aligned plain-text tables.

use std::io::{self, Write};

use super::Report;
use super::health::{Health, Tally};

pub(super) fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let health = &report.health;
    let outcome = report.outcome;
    writeln!(
        out,
        "Health score {}/100, grade {}",
        health.score, health.grade
    )?;
    writeln!(
        out,
        "{} files, {} objects, {} results: {} passed, {} warning, {} danger",
        outcome.files,
        outcome.objects,
        outcome.evaluated,
        health.total.passed,
        health.total.warning,
        health.total.danger
    )?;
    writeln!(out, "{}", high_risks_line(health.high_risks()))?;
    writeln!(out, "Result: {}", report.verdict.describe())?;
    categories(health).write(out)?;
    kinds(health).write(out)?;
    namespaces(health).write(out)?;
    workloads(report).write(out)
}

fn categories(health: &Health<'_>) -> Table<5> {
    let mut table = Table::new(["category", "score", "passed", "warning", "danger"]);
    for (category, results) in &health.categories {
        table.row(tally_row(category.as_str(), results));
    }
    table
}

fn kinds(health: &Health<'_>) -> Table<3> {
    let mut table = Table::new(["kind", "objects", "share"]);
    for share in &health.kinds {
        table.row([
            share.kind.clone(),
            share.objects.to_string(),
            format!("{:.1}%", share.percent),
        ]);
    }
    table
}

fn namespaces(health: &Health<'_>) -> Table<6> {
    let mut table = Table::new([
        "namespace",
        "objects",
        "score",
        "passed",
        "warning",
        "danger",
    ]);
    for namespace in &health.namespaces {
        let [name, score, passed, warning, danger] = tally_row(
            namespace.namespace.as_deref().unwrap_or("(none)"),
            &namespace.results,
        );
        table.row([
            name,
            namespace.objects.to_string(),
            score,
            passed,
            warning,
            danger,
        ]);
    }
    table
}

/// Each workload with its pod and container results, at the line it starts.
fn workloads(report: &Report<'_>) -> Table<6> {
    let sources = &report.outcome.sources;
    let mut table = Table::new([
        "workload",
        "file",
        "pod passed",
        "pod failed",
        "container passed",
        "container failed",
    ])
    .text_columns(2);
    for workload in &report.health.workloads {
        let id = workload.id();
        let name = match &id.namespace {
            Some(namespace) => format!("{} {namespace}/{}", id.kind, display_name(id)),
            None => format!("{} {}", id.kind, display_name(id)),
        };
        let span = workload.inspected.root.span;
        let mut file = format!(
            "{}:{}",
            sources.display(span.file),
            sources.position(span).0.line
        );
        if let Some(overlays) = super::shared::overlays(
            sources,
            &workload.inspected.via,
            workload.inspected.values_set.as_deref(),
        ) {
            file = format!("{file} via {overlays}");
        }
        table.row([
            name,
            file,
            workload.pod.passed.to_string(),
            workload.pod.failed().to_string(),
            workload.container.passed.to_string(),
            workload.container.failed().to_string(),
        ]);
    }
    table
}

/// The sentence the inspection events and the human report also end with.
pub(super) fn high_risks_line(count: usize) -> String {
    match count {
        1 => "1 high risk found".to_owned(),
        n => format!("{n} high risks found"),
    }
}

fn display_name(id: &crate::model::object::ObjectId) -> &str {
    id.name.as_deref().unwrap_or("(unnamed)")
}

fn tally_row(name: &str, results: &Tally) -> [String; 5] {
    [
        name.to_owned(),
        results.score().to_string(),
        results.passed.to_string(),
        results.warning.to_string(),
        results.danger.to_string(),
    ]
}

/// A plain-text table: the leading text columns left-aligned, the numbers right-aligned.
struct Table<const N: usize> {
    header: [String; N],
    rows: Vec<[String; N]>,
    text_columns: usize,
}

impl<const N: usize> Table<N> {
    fn new(header: [&str; N]) -> Self {
        Table {
            header: header.map(str::to_owned),
            rows: Vec::new(),
            text_columns: 1,
        }
    }

    fn text_columns(mut self, count: usize) -> Self {
        self.text_columns = count;
        self
    }

    fn row(&mut self, row: [String; N]) {
        self.rows.push(row);
    }

    fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut widths = [0; N];
        for row in std::iter::once(&self.header).chain(&self.rows) {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        writeln!(out)?;
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let mut line = String::new();
            for (index, (cell, width)) in row.iter().zip(widths).enumerate() {
                let gap = if index == 0 { "" } else { "  " };
                if index < self.text_columns {
                    line.push_str(&format!("{gap}{cell:<width$}"));
                } else {
                    line.push_str(&format!("{gap}{cell:>width$}"));
                }
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }
}
