//! Command-line definitions (clap derive) and nothing else.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use kubepatrol::report::Format;
use kubepatrol::report::events::EventTarget;
use kubepatrol::settings::FailOn;

const EXAMPLES: &str = "\
Examples:
  kubepatrol lint                          lint every manifest under the current directory
  kubepatrol lint deploy/ k8s/app.yaml     lint a directory and a file
  helm template ./chart | kubepatrol lint -
  kubepatrol lint --format json --output report.json .
  kubepatrol baseline > .kubepatrol-baseline.json
  kubepatrol lint --baseline .kubepatrol-baseline.json   report only findings not in the baseline
  kubepatrol lint --new-since origin/main deploy/   only what this branch introduced
  kubepatrol lint --format github --output-sarif kubepatrol.sarif --output-html report.html .
  kubepatrol fix --diff deploy/            show the safe fixes as a unified diff, change nothing
  kubepatrol fix deploy/                   apply them (each file rewritten atomically)
  kubepatrol fix --unsafe-fixes deploy/    also apply the fixes that can change behaviour
  kubepatrol fix --checks hostPortSet,runAsPrivileged --dry-run .
  kubepatrol fix --with-placeholders .     also add resources and probes marked TODO(kubepatrol)
  kubepatrol checks                        list every check
  kubepatrol explain runAsRootAllowed      why a check matters and how to fix it";

#[derive(Debug, Parser)]
#[command(
    name = "kubepatrol",
    version = env!("KUBEPATROL_VERSION"),
    about = "Lint Kubernetes manifests for security and reliability risks, pointing at the exact line and column",
    after_help = EXAMPLES
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Check manifests in files, directories or standard input (`-`).
    #[command(after_help = EXAMPLES)]
    Lint(Box<LintArgs>),
    /// Record today's findings (after exemptions) as a baseline, written to standard output.
    #[command(after_help = EXAMPLES)]
    Baseline(BaselineArgs),
    /// Fix findings with minimal edits that keep everything else as written.
    #[command(after_help = EXAMPLES)]
    Fix(FixArgs),
    /// List every check with its category, severity and level.
    Checks,
    /// Explain a check: what it finds, why it is a risk and how to fix it.
    Explain {
        /// Check id (case-insensitive; Polaris ids are accepted).
        id: String,
    },
    /// Run the language server on standard input and output, for editors (see docs/editor.md).
    Lsp,
}

#[derive(Debug, Args)]
pub(crate) struct LintArgs {
    /// Files and directories to lint; `-` reads standard input. Default: the current directory.
    #[arg(value_name = "PATHS")]
    pub paths: Vec<String>,

    /// Output format [default: human on a terminal, line otherwise].
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,

    /// Colour in the human format; `auto` colours a terminal unless NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Write the report to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Lowest severity that makes the run exit with 1 [default: `failOn` of the config, else warning].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOnArg>,

    /// Configuration file [default: the nearest .kubepatrol.yaml up to the repository root].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Report only findings that the baseline FILE (from `kubepatrol baseline`) does not record.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Report (and fail on) only findings this change introduced: the same paths are also linted
    /// as they are at the commit REF (read from git, nothing is checked out) and findings found
    /// there are set aside, compared by fingerprint as a baseline is.
    #[arg(long, value_name = "REF", conflicts_with = "baseline")]
    pub new_since: Option<String>,

    /// Also print suppressed findings, with what suppressed them (the JSON report always has them).
    #[arg(long)]
    pub show_suppressed: bool,

    /// Warn about annotation ignores and configuration exemptions that silenced nothing.
    #[arg(long)]
    pub report_unused_ignores: bool,

    /// Also write the json report to FILE.
    #[arg(long, value_name = "FILE")]
    pub output_json: Option<PathBuf>,

    /// Also write the SARIF report to FILE.
    #[arg(long, value_name = "FILE")]
    pub output_sarif: Option<PathBuf>,

    /// Also write the HTML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub output_html: Option<PathBuf>,

    /// Also write the summary to FILE.
    #[arg(long, value_name = "FILE")]
    pub output_summary: Option<PathBuf>,

    /// Also write the JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub output_junit: Option<PathBuf>,

    /// Also write the GitLab Code Quality report to FILE.
    #[arg(long, value_name = "FILE")]
    pub output_gitlab: Option<PathBuf>,

    /// Exit with 1 when the health score is below N (0-100).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=100))]
    pub min_score: Option<u32>,

    /// List the passed checks of every workload in the json report.
    #[arg(long)]
    pub include_passed: bool,

    /// Write the inspection events as a Kubernetes List of Events to FILE (`kubectl create -f`).
    #[arg(long, value_name = "FILE", requires = "events_for")]
    pub events: Option<PathBuf>,

    /// The object the events are about, e.g. `CronJob/ops/kubepatrol`.
    #[arg(long, value_name = "KIND/NAMESPACE/NAME", requires = "events")]
    pub events_for: Option<EventTarget>,

    /// Skip paths matching GLOB (repeatable); applies to walked and explicitly named files.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Do not honour .gitignore, .ignore and .kubepatrolignore files.
    #[arg(long)]
    pub no_ignore: bool,

    /// The name to report for standard input (`-`), e.g. the chart template it came from.
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<String>,

    /// Lint kustomization bases, overlays and patch files one by one instead of rendering them.
    #[arg(long)]
    pub no_kustomize: bool,

    /// Number of threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,

    /// Also read policies (Kyverno CEL policies) from PATH, a file or directory (repeatable);
    /// policies among the linted paths are always read.
    #[arg(long, value_name = "PATH")]
    pub policies: Vec<String>,

    /// Note the policy rules that apply to no object in the input.
    #[arg(long)]
    pub report_unused_policies: bool,
}

#[derive(Debug, Args)]
pub(crate) struct BaselineArgs {
    /// Files and directories to record; `-` reads standard input. Default: the current directory.
    #[arg(value_name = "PATHS")]
    pub paths: Vec<String>,

    #[command(flatten)]
    pub inputs: InputArgs,
}

/// How `baseline` and `fix` find their inputs and configuration.
#[derive(Debug, Args)]
pub(crate) struct InputArgs {
    /// Configuration file [default: the nearest .kubepatrol.yaml up to the repository root].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Skip paths matching GLOB (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Do not honour .gitignore, .ignore and .kubepatrolignore files.
    #[arg(long)]
    pub no_ignore: bool,
}

#[derive(Debug, Args)]
pub(crate) struct FixArgs {
    /// Files and directories to fix. Default: the current directory.
    #[arg(value_name = "PATHS")]
    pub paths: Vec<String>,

    /// Fix only the findings of these checks (comma-separated ids; Polaris ids accepted).
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub checks: Vec<String>,

    /// Say what would be fixed, write nothing.
    #[arg(long, conflicts_with = "diff")]
    pub dry_run: bool,

    /// Print the fixes as a unified diff on standard output, write nothing (the per-finding
    /// report goes to standard error).
    #[arg(long)]
    pub diff: bool,

    /// Also fix missing resources and probes, with placeholder values marked `# TODO(kubepatrol)`
    /// (the unsafe ones, limits and probes, only with `--unsafe-fixes` too).
    #[arg(long)]
    pub with_placeholders: bool,

    /// Also apply fixes that can change what a workload does (stop a container from starting,
    /// take away what a process relies on); `kubepatrol checks` lists which checks these are.
    /// Each is reported with what to check before deploying.
    #[arg(long)]
    pub unsafe_fixes: bool,

    #[command(flatten)]
    pub inputs: InputArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// `--fail-on`: the lowest severity that makes the exit code 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailOnArg {
    Warning,
    Danger,
    Never,
}

impl From<FailOnArg> for FailOn {
    fn from(arg: FailOnArg) -> Self {
        match arg {
            FailOnArg::Warning => FailOn::Warning,
            FailOnArg::Danger => FailOn::Danger,
            FailOnArg::Never => FailOn::Never,
        }
    }
}

/// `--format`: the library's [`Format`] as a command-line value, with its help.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum FormatArg {
    /// One line per finding: `PATH:LINE:COL: SEVERITY: MESSAGE [CHECK]`.
    Line,
    /// A versioned JSON document (see docs/json-output.md).
    Json,
    /// Graphical diagnostics with the source snippet (the default on a terminal).
    Human,
    /// SARIF 2.1.0 for code scanning (see docs/sarif.md).
    Sarif,
    /// GitHub Actions workflow commands that annotate the pull request.
    Github,
    /// The health score, its grade and the counts per category, kind and namespace.
    Summary,
    /// One self-contained HTML page with the overview, charts and a filterable workload table.
    Html,
    /// JUnit XML: a test suite per check, a test case per object or container (see docs/ci.md).
    Junit,
    /// GitLab Code Quality JSON for `artifacts:reports:codequality` (see docs/ci.md).
    Gitlab,
}

impl From<FormatArg> for Format {
    fn from(arg: FormatArg) -> Self {
        match arg {
            FormatArg::Line => Format::Line,
            FormatArg::Json => Format::Json,
            FormatArg::Human => Format::Human,
            FormatArg::Sarif => Format::Sarif,
            FormatArg::Github => Format::Github,
            FormatArg::Summary => Format::Summary,
            FormatArg::Html => Format::Html,
            FormatArg::Junit => Format::Junit,
            FormatArg::Gitlab => Format::Gitlab,
        }
    }
}
