//! The format of `rules/<id>.md`: front matter, a title, and four sections.
//!
//! ```text
//! ---
//! id: hostNetworkSet
//! category: networking
//! severity: danger
//! level: pod
//! polaris: hostNetworkSet      (optional)
//! fix: unsafe                   safe, unsafe or display-only (see `Applicability`)
//! review: check that …          what to check before deploying; only, and always, when unsafe
//! ---
//! # Short description
//! ## Message       one line, the failure message
//! ## Success       one line, shown for passed results
//! ## Risk          what an attacker or a failure can do
//! ## Remediation   what to change, with a YAML example
//! ## Fix           what `kubepatrol fix` does about a finding, or why it does not, and why
//!                  its applicability is what the front matter says
//! ```

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Security,
    Networking,
    Resources,
    HealthChecks,
    Images,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Danger,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Pod,
    Container,
    Binding,
    /// A whole object, whatever its kind: the checks policies define.
    Object,
}

/// What applying a check's fix risks, as ruff classifies fixes. Declared in the front matter of
/// each `rules/<id>.md`, with the reasoning in its Fix section; `kubepatrol fix` and editors
/// read it from here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Applicability {
    /// Cannot stop a container from starting or take away anything a process relies on:
    /// `kubepatrol fix` applies it.
    Safe,
    /// Changes what the workload may do at run time (the kubelet may refuse to start it, or a
    /// process may lose something it needs): applied only with `--unsafe-fixes`, and reported
    /// with what to check before deploying.
    Unsafe,
    /// Never applied: the remediation shows the change, and only a human can choose its values.
    DisplayOnly,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Security => "security",
            Category::Networking => "networking",
            Category::Resources => "resources",
            Category::HealthChecks => "health-checks",
            Category::Images => "images",
        }
    }
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Danger => "danger",
        }
    }
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
            Applicability::DisplayOnly => "display-only",
        }
    }
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Pod => "pod",
            Scope::Container => "container",
            Scope::Binding => "binding",
            Scope::Object => "object",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything a user reads about a check.
#[derive(Debug, Clone)]
pub struct RuleMeta {
    pub id: &'static str,
    pub category: Category,
    pub severity: Severity,
    pub scope: Scope,
    /// The Polaris id of the equivalent check, accepted wherever a user names a check.
    pub polaris: Option<&'static str>,
    /// What applying the fix risks.
    pub applicability: Applicability,
    /// For an unsafe fix, what to check before deploying it (`check that …`).
    pub review: Option<&'static str>,
    pub title: &'static str,
    pub message: &'static str,
    pub success: &'static str,
    pub risk: &'static str,
    pub remediation: &'static str,
    /// What `kubepatrol fix` does about a finding, or why it never does.
    pub fix: &'static str,
    /// The whole document, for `explain`.
    pub document: &'static str,
}

impl RuleMeta {
    pub fn parse(document: &'static str) -> Result<RuleMeta, String> {
        let rest = document
            .strip_prefix("---\n")
            .ok_or("missing front matter (`---` on the first line)")?;
        let (front, body) = rest
            .split_once("\n---\n")
            .ok_or("unterminated front matter")?;
        let field = |key: &str| -> Option<&'static str> {
            front.lines().find_map(|line| {
                let (name, value) = line.split_once(':')?;
                (name.trim() == key).then(|| value.trim())
            })
        };
        let required = |key: &str| field(key).ok_or(format!("front matter has no `{key}`"));
        let title = body
            .lines()
            .find_map(|line| line.strip_prefix("# "))
            .ok_or("missing `# ` title")?
            .trim();
        let section =
            |name: &str| section(body, name).ok_or(format!("missing `## {name}` section"));
        let one_line = |name: &str| -> Result<&'static str, String> {
            let text = section(name)?;
            if text.lines().count() == 1 {
                Ok(text)
            } else {
                Err(format!("`## {name}` must be exactly one line"))
            }
        };
        let applicability = parse_applicability(required("fix")?)?;
        let review = field("review");
        if review.is_some() != (applicability == Applicability::Unsafe) {
            return Err("front matter has `review` exactly when `fix` is `unsafe`".into());
        }
        Ok(RuleMeta {
            id: required("id")?,
            category: parse_category(required("category")?)?,
            severity: parse_severity(required("severity")?)?,
            scope: parse_scope(required("level")?)?,
            polaris: field("polaris"),
            applicability,
            review,
            title,
            message: one_line("Message")?,
            success: one_line("Success")?,
            risk: section("Risk")?,
            remediation: section("Remediation")?,
            fix: section("Fix")?,
            document,
        })
    }
}

/// The trimmed text under `## name` up to the next `## ` heading.
fn section(body: &'static str, name: &str) -> Option<&'static str> {
    let heading = format!("## {name}\n");
    let (_, rest) = body.split_once(&heading)?;
    let text = rest.split("\n## ").next().unwrap_or(rest).trim();
    (!text.is_empty()).then_some(text)
}

pub(super) fn parse_severity(text: &str) -> Result<Severity, String> {
    match text {
        "danger" => Ok(Severity::Danger),
        "warning" => Ok(Severity::Warning),
        other => Err(format!("unknown severity `{other}`")),
    }
}

fn parse_category(text: &str) -> Result<Category, String> {
    match text {
        "security" => Ok(Category::Security),
        "networking" => Ok(Category::Networking),
        "resources" => Ok(Category::Resources),
        "health-checks" => Ok(Category::HealthChecks),
        "images" => Ok(Category::Images),
        other => Err(format!("unknown category `{other}`")),
    }
}

fn parse_applicability(text: &str) -> Result<Applicability, String> {
    match text {
        "safe" => Ok(Applicability::Safe),
        "unsafe" => Ok(Applicability::Unsafe),
        "display-only" => Ok(Applicability::DisplayOnly),
        other => Err(format!("unknown fix applicability `{other}`")),
    }
}

fn parse_scope(text: &str) -> Result<Scope, String> {
    match text {
        "pod" => Ok(Scope::Pod),
        "container" => Ok(Scope::Container),
        "binding" => Ok(Scope::Binding),
        other => Err(format!("unknown level `{other}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "---\nid: x\ncategory: images\nseverity: danger\nlevel: container\nfix: display-only\n---\n\n# Title\n\n## Message\nBad thing\n\n## Success\nGood thing\n\n## Risk\nRisky.\n\n## Remediation\nFix it:\n```yaml\na: 1\n```\n\n## Fix\nNever.\n";

    #[test]
    fn parses_a_complete_document() {
        let meta = RuleMeta::parse(GOOD).expect("valid");
        assert_eq!(
            (meta.id, meta.title, meta.message),
            ("x", "Title", "Bad thing")
        );
        assert_eq!(meta.category, Category::Images);
        assert!(meta.remediation.ends_with("```"));
        assert_eq!(meta.fix, "Never.");
        assert_eq!(meta.polaris, None);
        assert_eq!(
            (meta.applicability, meta.review),
            (Applicability::DisplayOnly, None)
        );
    }

    #[test]
    fn an_unsafe_fix_says_what_to_check_and_only_an_unsafe_one() {
        let unsafe_without_review: &'static str = Box::leak(
            GOOD.replace("fix: display-only", "fix: unsafe")
                .into_boxed_str(),
        );
        assert!(RuleMeta::parse(unsafe_without_review).is_err());
        let reviewed: &'static str = Box::leak(
            GOOD.replace("fix: display-only", "fix: unsafe\nreview: check the image")
                .into_boxed_str(),
        );
        let meta = RuleMeta::parse(reviewed).expect("valid");
        assert_eq!(meta.review, Some("check the image"));
        let safe_with_review: &'static str = Box::leak(
            reviewed
                .replace("fix: unsafe", "fix: safe")
                .into_boxed_str(),
        );
        assert!(RuleMeta::parse(safe_with_review).is_err());
    }

    #[test]
    fn rejects_incomplete_documents() {
        let without_risk = GOOD.replace("## Risk\nRisky.\n\n", "");
        let leaked: &'static str = Box::leak(without_risk.into_boxed_str());
        assert!(RuleMeta::parse(leaked).is_err());
        assert!(RuleMeta::parse("# no front matter").is_err());
    }
}
