//! `--format github`: GitHub Actions workflow commands, which the runner turns into annotations
//! on the pull request (`::error file=…,line=…::message`). Danger findings are errors, warnings
//! are warnings; input problems keep their level.

use std::io::{self, Write};

use super::Report;
use super::shared;
use crate::diagnostic::Level;
use crate::rules::Severity;
use crate::source::Position;

pub(super) fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    let outcome = report.outcome;
    // GitHub resolves annotation paths from the repository root, whatever the working directory.
    let path_of = |display: &str| report.repository_path(display);
    for diagnostic in &outcome.diagnostics {
        let (file, range) = outcome.diagnostic_place(diagnostic);
        let command = match diagnostic.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Note => "notice",
        };
        let title = format!("kubepatrol {}", diagnostic.code);
        writeln!(
            out,
            "{}",
            annotation(command, &path_of(&file), range, &title, &diagnostic.message)
        )?;
    }
    for shown in shared::group_findings(&outcome.findings) {
        let finding = shown.first();
        let span = finding.primary();
        let command = match finding.severity {
            Severity::Danger => "error",
            Severity::Warning => "warning",
        };
        let title = format!("kubepatrol {} ({})", finding.rule.meta.id, finding.severity);
        let message = format!(
            "{} ({})",
            finding.message,
            shared::subject(&outcome.sources, &shown)
        );
        writeln!(
            out,
            "{}",
            annotation(
                command,
                &path_of(outcome.sources.display(span.file)),
                Some(outcome.sources.position(span)),
                &title,
                &message
            )
        )?;
    }
    // The run's result, for the job's annotation list: why the step failed.
    if report.verdict.fails() {
        writeln!(
            out,
            "::error title={}::{}",
            escape_property("kubepatrol result"),
            escape_data(&report.verdict.describe())
        )?;
    }
    Ok(())
}

fn annotation(
    command: &str,
    file: &str,
    range: Option<(Position, Position)>,
    title: &str,
    message: &str,
) -> String {
    let mut properties = vec![format!("file={}", escape_property(file))];
    if let Some((start, end)) = range {
        properties.push(format!("line={}", start.line));
        properties.push(format!("col={}", start.column));
        properties.push(format!("endLine={}", end.line));
        properties.push(format!("endColumn={}", end.column));
    }
    properties.push(format!("title={}", escape_property(title)));
    format!(
        "::{command} {}::{}",
        properties.join(","),
        escape_data(message)
    )
}

/// The message part: the runner decodes `%25`, `%0D` and `%0A`; a raw line break would end
/// the command early.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value also may not contain the separators `:` and `,`.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_escapes_percent_first_then_line_breaks() {
        assert_eq!(escape_data("100% sure\r\nnext"), "100%25 sure%0D%0Anext");
        assert_eq!(escape_data("a:b,c"), "a:b,c");
        assert_eq!(escape_data("%0A"), "%250A");
    }

    #[test]
    fn properties_also_escape_colon_and_comma() {
        assert_eq!(
            escape_property("dir,x/a:b%\n.yaml"),
            "dir%2Cx/a%3Ab%25%0A.yaml"
        );
    }

    #[test]
    fn annotation_without_a_position_names_only_the_file() {
        let text = annotation(
            "error",
            "missing.yaml",
            None,
            "kubepatrol io",
            "cannot read",
        );
        assert_eq!(
            text,
            "::error file=missing.yaml,title=kubepatrol io::cannot read"
        );
    }
}
