//! `--format junit`: JUnit XML as CI systems (Jenkins, GitLab, Azure Pipelines, CircleCI) read
//! test results. One test suite per check, in catalogue order; one test case per (check, object
//! or container) pair the check applied to, so that CI shows the totals: passed cases are
//! empty, failed ones carry a `failure` per finding (message, file, line and column), suppressed
//! ones are `skipped` with what silenced them. Each overlay's rendered object is its own case,
//! named with the overlay, as every count keeps overlays apart. Input errors are one more suite,
//! `input`, with an `error` per problem. The document follows the JUnit schema Jenkins publishes
//! (junit-10.xsd), which has no `file` or `line` attributes on test cases: the place is in the
//! failure's text, and the class name is the file the object was written in.
//!
//! XML is written by hand: the five predefined entities, character references for the line
//! breaks and tabs inside attributes, and U+FFFD for the characters XML 1.0 cannot carry are all
//! it takes for this flat document, so no XML crate is needed.

use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::Arc;

use super::health::WorkloadResults;
use super::{Report, shared};
use crate::evaluate::finding::{ContainerRef, Finding, subject_of};
use crate::exempt::Suppressed;
use crate::model::object::ObjectId;
use crate::rules::RuleEntry;

pub(super) fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let suites: Vec<Suite> = report
        .outcome
        .checks()
        .into_iter()
        .map(|rule| check_suite(report, rule))
        .chain(input_suite(report))
        .collect();
    let total = |count: fn(&Suite) -> usize| suites.iter().map(count).sum::<usize>();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="kubepatrol" tests="{}" failures="{}" errors="{}">"#,
        total(|suite| suite.cases.len()),
        total(|suite| suite.count(Outcome::is_failure)),
        total(|suite| suite.count(Outcome::is_error)),
    )?;
    for suite in &suites {
        suite.write(out)?;
    }
    writeln!(out, "</testsuites>")
}

/// One `testsuite`.
struct Suite {
    name: String,
    cases: Vec<Case>,
}

/// One `testcase` and what happened to it.
struct Case {
    name: String,
    classname: String,
    outcome: Outcome,
}

enum Outcome {
    Passed,
    /// One `(message, text)` per finding.
    Failed(Vec<(String, String)>),
    /// What silenced the findings.
    Skipped(String),
    /// An input problem: its code, message and place.
    Error {
        code: &'static str,
        message: String,
        place: String,
    },
}

impl Outcome {
    fn is_failure(&self) -> bool {
        matches!(self, Outcome::Failed(_))
    }

    fn is_error(&self) -> bool {
        matches!(self, Outcome::Error { .. })
    }

    fn is_skipped(&self) -> bool {
        matches!(self, Outcome::Skipped(_))
    }
}

impl Suite {
    fn count(&self, test: fn(&Outcome) -> bool) -> usize {
        self.cases.iter().filter(|case| test(&case.outcome)).count()
    }

    fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{}" errors="{}" skipped="{}">"#,
            attribute(&self.name),
            self.cases.len(),
            self.count(Outcome::is_failure),
            self.count(Outcome::is_error),
            self.count(Outcome::is_skipped),
        )?;
        for case in &self.cases {
            case.write(out)?;
        }
        writeln!(out, "  </testsuite>")
    }
}

impl Case {
    fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let open = format!(
            r#"    <testcase name="{}" classname="{}""#,
            attribute(&self.name),
            attribute(&self.classname)
        );
        match &self.outcome {
            Outcome::Passed => writeln!(out, "{open}/>"),
            Outcome::Failed(failures) => {
                writeln!(out, "{open}>")?;
                for (message, text) in failures {
                    writeln!(
                        out,
                        r#"      <failure message="{}" type="finding">{}</failure>"#,
                        attribute(message),
                        text_content(text)
                    )?;
                }
                writeln!(out, "    </testcase>")
            }
            Outcome::Skipped(why) => writeln!(
                out,
                r#"{open}><skipped message="{}"/></testcase>"#,
                attribute(why)
            ),
            Outcome::Error {
                code,
                message,
                place,
            } => writeln!(
                out,
                r#"{open}><error message="{}" type="{code}">{}</error></testcase>"#,
                attribute(message),
                text_content(place)
            ),
        }
    }
}

/// The cases of `rule`: every object or container it applied to, in input order.
fn check_suite(report: &Report<'_>, rule: &'static RuleEntry) -> Suite {
    let suppressed = suppressed_by_object(&report.outcome.suppressed, rule);
    let mut cases = Vec::new();
    for workload in &report.health.workloads {
        let key = Arc::as_ptr(&workload.inspected.id);
        let silenced = suppressed.get(&key).map_or(&[][..], Vec::as_slice);
        for pair in pairs_of(workload, rule, silenced) {
            cases.push(pair.into_case(report, workload));
        }
    }
    Suite {
        name: rule.meta.id.to_owned(),
        cases,
    }
}

/// The suppressed findings of `rule`, by the object they are about.
fn suppressed_by_object<'a>(
    suppressed: &'a [Suppressed],
    rule: &'static RuleEntry,
) -> HashMap<*const ObjectId, Vec<&'a Suppressed>> {
    let mut by_object: HashMap<*const ObjectId, Vec<&'a Suppressed>> = HashMap::new();
    for entry in suppressed
        .iter()
        .filter(|entry| std::ptr::eq(entry.finding.rule, rule))
    {
        by_object
            .entry(Arc::as_ptr(&entry.finding.object))
            .or_default()
            .push(entry);
    }
    by_object
}

/// The results of one check on one object or container.
struct Pair<'a> {
    container: Option<&'a ContainerRef>,
    findings: Vec<&'a Finding>,
    suppressed: Vec<&'a Suppressed>,
}

/// The (object or container) pairs of `rule` on one workload: passed ones first, then those
/// with findings or suppressed findings, each container once.
fn pairs_of<'a>(
    workload: &'a WorkloadResults<'a>,
    rule: &'static RuleEntry,
    suppressed: &[&'a Suppressed],
) -> Vec<Pair<'a>> {
    let mut pairs: Vec<Pair<'a>> = workload
        .passed()
        .iter()
        .filter(|passed| std::ptr::eq(passed.rule, rule))
        .map(|passed| Pair::new(passed.container.as_ref()))
        .collect();
    for finding in workload
        .findings
        .iter()
        .filter(|finding| std::ptr::eq(finding.rule, rule))
    {
        if let Some(pair) = pair_for(&mut pairs, finding.container.as_ref()) {
            pair.findings.push(finding);
        }
    }
    for entry in suppressed {
        if let Some(pair) = pair_for(&mut pairs, entry.finding.container.as_ref()) {
            pair.suppressed.push(entry);
        }
    }
    pairs
}

/// The pair of `container`, added when it is not there yet.
fn pair_for<'p, 'a>(
    pairs: &'p mut Vec<Pair<'a>>,
    container: Option<&'a ContainerRef>,
) -> Option<&'p mut Pair<'a>> {
    let at = match pairs.iter().position(|pair| pair.container == container) {
        Some(at) => at,
        None => {
            pairs.push(Pair::new(container));
            pairs.len() - 1
        }
    };
    pairs.get_mut(at)
}

impl<'a> Pair<'a> {
    fn new(container: Option<&'a ContainerRef>) -> Self {
        Pair {
            container,
            findings: Vec::new(),
            suppressed: Vec::new(),
        }
    }

    fn into_case(self, report: &Report<'_>, workload: &WorkloadResults<'_>) -> Case {
        let sources = &report.outcome.sources;
        let inspected = workload.inspected;
        let mut name = subject_of(&inspected.id, self.container);
        if let Some(overlays) =
            shared::overlays(sources, &inspected.via, inspected.values_set.as_deref())
        {
            name = format!("{name} via {overlays}");
        }
        let outcome = if !self.findings.is_empty() {
            Outcome::Failed(
                self.findings
                    .iter()
                    .map(|finding| (finding.message.clone(), failure_text(report, finding)))
                    .collect(),
            )
        } else if let Some(first) = self.suppressed.first() {
            Outcome::Skipped(format!("suppressed by {}", first.by.describe()))
        } else {
            Outcome::Passed
        };
        Case {
            name,
            classname: report.repository_path(sources.display(inspected.root.span.file)),
            outcome,
        }
    }
}

/// `path:line:column: severity: message`, then the help: what a CI page shows of a failure.
fn failure_text(report: &Report<'_>, finding: &Finding) -> String {
    let span = finding.primary();
    let sources = &report.outcome.sources;
    let (start, _) = sources.position(span);
    let help = finding
        .help
        .as_deref()
        .unwrap_or(finding.rule.meta.remediation);
    format!(
        "{}:{}:{}: {}: {} [{}]\n{help}",
        report.repository_path(sources.display(span.file)),
        start.line,
        start.column,
        finding.severity,
        finding.message,
        finding.rule.meta.id
    )
}

/// Input errors as a suite of their own, when there are any.
fn input_suite(report: &Report<'_>) -> Option<Suite> {
    let cases: Vec<Case> = report
        .input_errors()
        .map(|(diagnostic, path, start)| Case {
            outcome: Outcome::Error {
                code: diagnostic.code.as_str(),
                message: diagnostic.message.clone(),
                place: match start {
                    Some(start) => format!("{path}:{}:{}", start.line, start.column),
                    None => path.clone(),
                },
            },
            name: path,
            classname: "input".to_owned(),
        })
        .collect();
    (!cases.is_empty()).then(|| Suite {
        name: "input".to_owned(),
        cases,
    })
}

/// An attribute value in double quotes: line breaks and tabs as character references, which
/// attribute-value normalisation would otherwise turn into spaces.
fn attribute(text: &str) -> String {
    escape(text, true)
}

fn text_content(text: &str) -> String {
    escape(text, false)
}

fn escape(text: &str, in_attribute: bool) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' if in_attribute => escaped.push_str("&quot;"),
            '\n' if in_attribute => escaped.push_str("&#10;"),
            '\r' => escaped.push_str("&#13;"),
            '\t' if in_attribute => escaped.push_str("&#9;"),
            '\t' | '\n' => escaped.push(character),
            // XML 1.0 has no way to write other control characters or these two non-characters.
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => escaped.push('\u{fffd}'),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_are_entities() {
        assert_eq!(attribute(r#"a<b>&"c""#), "a&lt;b&gt;&amp;&quot;c&quot;");
        assert_eq!(text_content(r#"a<b>&"c""#), "a&lt;b&gt;&amp;\"c\"");
    }

    #[test]
    fn line_breaks_survive_in_attributes_and_text() {
        assert_eq!(attribute("a\nb\tc\r"), "a&#10;b&#9;c&#13;");
        assert_eq!(text_content("a\nb\tc\r"), "a\nb\tc&#13;");
    }

    #[test]
    fn characters_xml_cannot_carry_are_replaced() {
        assert_eq!(
            text_content("a\u{0}b\u{1b}c\u{ffff}"),
            "a\u{fffd}b\u{fffd}c\u{fffd}"
        );
        assert_eq!(attribute("ünïcødé ✓"), "ünïcødé ✓");
    }
}
