//! Command-line definitions (clap derive) and nothing else.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::Format;

const EXAMPLES: &str = "\
Examples:
  kubepatrol lint                          lint every manifest under the current directory
  kubepatrol lint deploy/ k8s/app.yaml     lint a directory and a file
  helm template ./chart | kubepatrol lint -
  kubepatrol lint --format json --output report.json .
  kubepatrol checks                        list every check
  kubepatrol explain runAsRootAllowed      why a check matters and how to fix it";

#[derive(Debug, Parser)]
#[command(
    name = "kubepatrol",
    version,
    about = "Lint Kubernetes manifests for security and reliability risks, pointing at the exact line and column",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check manifests in files, directories or standard input (`-`).
    #[command(after_help = EXAMPLES)]
    Lint(LintArgs),
    /// List every check with its category, severity and level.
    Checks,
    /// Explain a check: what it finds, why it is a risk and how to fix it.
    Explain {
        /// Check id (case-insensitive; Polaris ids are accepted).
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Files and directories to lint; `-` reads standard input. Default: the current directory.
    #[arg(value_name = "PATHS")]
    pub paths: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Line)]
    pub format: Format,

    /// Write the report to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Lowest severity that makes the run exit with 1.
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    pub fail_on: FailOn,

    /// Skip paths matching GLOB (repeatable); applies to walked and explicitly named files.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Do not honour .gitignore, .ignore and .kubepatrolignore files.
    #[arg(long)]
    pub no_ignore: bool,

    /// Lint kustomization bases, overlays and patch files one by one instead of rendering them.
    #[arg(long)]
    pub no_kustomize: bool,

    /// Number of threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Warning,
    Danger,
    Never,
}
