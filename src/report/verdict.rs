//! Whether the run fails, and why: input errors, findings at or above `--fail-on`, a health
//! score below `--min-score`. Computed once per run, so the exit code and every format's
//! summary give the same reasons.

use crate::diagnostic::Level;
use crate::pipeline::Outcome;
use crate::rules::Severity;
use crate::settings::FailOn;

/// What decides the exit code besides input errors: flags over configuration.
#[derive(Clone, Copy, Debug)]
pub struct Gate {
    pub fail_on: FailOn,
    pub min_score: Option<u32>,
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            fail_on: FailOn::Warning,
            min_score: None,
        }
    }
}

/// One reason the run fails.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Reason {
    /// Diagnostics of level error: the results cover only what could be read.
    InputErrors { count: usize },
    /// Findings at or above the `--fail-on` severity.
    Findings { count: usize, threshold: Severity },
    /// The health score is below `--min-score`.
    MinScore { score: u32, minimum: u32 },
}

impl Reason {
    /// A clause for the summaries: `2 input errors (the results cover only what could be read)`.
    pub fn describe(&self) -> String {
        match self {
            Reason::InputErrors { count } => format!(
                "{count} input error{} (the results cover only what could be read)",
                plural(*count)
            ),
            Reason::Findings { count, threshold } => format!(
                "{count} finding{} at or above {threshold} (--fail-on)",
                plural(*count)
            ),
            Reason::MinScore { score, minimum } => {
                format!("health score {score} is below the minimum {minimum} (--min-score)")
            }
        }
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// In the order of the exit code's precedence: input errors first.
    pub reasons: Vec<Reason>,
}

impl Verdict {
    pub fn of(outcome: &Outcome, score: u32, gate: Gate) -> Self {
        let mut reasons = Vec::new();
        let errors = outcome
            .diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.level == Level::Error)
            .count();
        if errors > 0 {
            reasons.push(Reason::InputErrors { count: errors });
        }
        let threshold = match gate.fail_on {
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Danger => Some(Severity::Danger),
            FailOn::Never => None,
        };
        if let Some(threshold) = threshold {
            let count = outcome
                .findings
                .iter()
                .filter(|finding| finding.severity >= threshold)
                .count();
            if count > 0 {
                reasons.push(Reason::Findings { count, threshold });
            }
        }
        if let Some(minimum) = gate.min_score.filter(|minimum| score < *minimum) {
            reasons.push(Reason::MinScore { score, minimum });
        }
        Verdict { reasons }
    }

    pub fn fails(&self) -> bool {
        !self.reasons.is_empty()
    }

    /// 2 for input errors, 1 for findings or the score, 0 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self.reasons.first() {
            Some(Reason::InputErrors { .. }) => 2,
            Some(_) => 1,
            None => 0,
        }
    }

    /// `fails: 1 input error (…); 3 findings at or above warning (--fail-on)`, or `passes`.
    pub fn describe(&self) -> String {
        if self.reasons.is_empty() {
            return "passes".to_owned();
        }
        let reasons: Vec<String> = self.reasons.iter().map(Reason::describe).collect();
        format!("fails: {}", reasons.join("; "))
    }
}
