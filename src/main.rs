use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::Parser;

use kubepatrol::cli::{Cli, Command, FailOn, LintArgs};
use kubepatrol::rules::{self, Severity};
use kubepatrol::{LintOptions, discover, explain, lint, report};

/// Exit codes: 2 for input or usage errors, 1 for findings at or above the threshold, else 0.
const EXIT_FINDINGS: u8 = 1;
const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Lint(args) => run_lint(args),
        Command::Checks => print(&explain::checks_table()),
        Command::Explain { id } => match rules::find(&id) {
            Some(entry) => print(&explain::explain(entry)),
            None => {
                let hint = explain::suggest(&id)
                    .map(|near| format!(" (did you mean `{near}`?)"))
                    .unwrap_or_default();
                eprintln!("error: unknown check `{id}`{hint}; `kubepatrol checks` lists them");
                ExitCode::from(EXIT_ERROR)
            }
        },
    }
}

fn print(text: &str) -> ExitCode {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: cannot write output: {error}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn run_lint(args: LintArgs) -> ExitCode {
    if let Some(jobs) = args.jobs
        && let Err(error) = rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(jobs))
            .build_global()
    {
        eprintln!("error: cannot start {jobs} threads: {error}");
        return ExitCode::from(EXIT_ERROR);
    }
    let paths = if args.paths.is_empty() {
        vec![".".to_owned()]
    } else {
        args.paths
    };
    let options = LintOptions {
        paths,
        discover: discover::Options {
            exclude: args.exclude,
            no_ignore: args.no_ignore,
            no_kustomize: args.no_kustomize,
        },
        ..LintOptions::default()
    };
    let outcome = lint(&options);
    if let Err(error) = write_report(args.format, args.output.as_deref(), &outcome) {
        eprintln!("error: cannot write the report: {error}");
        return ExitCode::from(EXIT_ERROR);
    }
    if outcome.has_errors() {
        return ExitCode::from(EXIT_ERROR);
    }
    let threshold = match args.fail_on {
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Danger => Some(Severity::Danger),
        FailOn::Never => None,
    };
    let failing =
        threshold.is_some_and(|threshold| outcome.findings.iter().any(|f| f.severity >= threshold));
    if failing {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}

fn write_report(
    format: report::Format,
    output: Option<&std::path::Path>,
    outcome: &report::Outcome,
) -> io::Result<()> {
    let result = match output {
        Some(path) => {
            let mut writer = BufWriter::new(File::create(path)?);
            report::write(format, outcome, &mut writer).and_then(|()| writer.flush())
        }
        None => {
            let mut writer = BufWriter::new(io::stdout().lock());
            report::write(format, outcome, &mut writer).and_then(|()| writer.flush())
        }
    };
    match result {
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
