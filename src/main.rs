use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::SystemTime;

use clap::Parser;

use kubepatrol::cli::{Cli, ColorChoice, Command, FailOn, LintArgs};
use kubepatrol::report::events::{self, RunTimes};
use kubepatrol::report::{Format, Report};
use kubepatrol::rules::{self, Severity};
use kubepatrol::{LintOptions, discover, explain, lint, report};

/// Exit codes: 2 for input or usage errors, 1 for findings at or above the threshold, else 0.
const EXIT_FINDINGS: u8 = 1;
const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Lint(args) => run_lint(*args),
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
        },
        ..LintOptions::default()
    };
    let started = SystemTime::now();
    let outcome = lint(&options);
    let times = RunTimes {
        started,
        finished: SystemTime::now(),
    };
    let mut report = Report::new(
        &outcome,
        report::Options {
            include_passed: args.include_passed,
            color: false,
            repository: repository(),
        },
    );
    let format = args.format.unwrap_or(if io::stdout().is_terminal() {
        Format::Human
    } else {
        Format::Line
    });
    let outputs = [
        (Some(format), args.output.as_deref()),
        (
            args.output_json.as_ref().map(|_| Format::Json),
            args.output_json.as_deref(),
        ),
        (
            args.output_sarif.as_ref().map(|_| Format::Sarif),
            args.output_sarif.as_deref(),
        ),
        (
            args.output_html.as_ref().map(|_| Format::Html),
            args.output_html.as_deref(),
        ),
        (
            args.output_summary.as_ref().map(|_| Format::Summary),
            args.output_summary.as_deref(),
        ),
    ];
    for (format, path) in outputs {
        let Some(format) = format else { continue };
        report.options.color = use_color(args.color, path.is_none() && io::stdout().is_terminal());
        if let Err(error) = write_to(path, |out| report::write(format, &report, out)) {
            eprintln!("error: cannot write the report: {error}");
            return ExitCode::from(EXIT_ERROR);
        }
    }
    if let (Some(path), Some(target)) = (args.events.as_deref(), args.events_for.as_ref())
        && let Err(error) = write_to(Some(path), |out| events::write(&report, target, times, out))
    {
        eprintln!(
            "error: cannot write the events to {}: {error}",
            path.display()
        );
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
    let below_score = args
        .min_score
        .is_some_and(|minimum| report.health.score < minimum);
    if failing || below_score {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}

/// `auto` colours a terminal unless `NO_COLOR` is set to anything non-empty (no-color.org).
fn use_color(choice: ColorChoice, to_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            to_terminal && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
        }
    }
}

/// The repository the working directory is in (the nearest ancestor with `.git`), for SARIF
/// URIs relative to its root; `None` outside a repository.
fn repository() -> Option<report::Repository> {
    let working_dir = std::env::current_dir().ok()?;
    let root = working_dir
        .ancestors()
        .find(|dir| dir.join(".git").exists())?
        .to_path_buf();
    Some(report::Repository {
        working_dir_in_root: working_dir.strip_prefix(&root).ok()?.to_path_buf(),
        root,
    })
}

/// Write to `path`, or to standard output when `None`; a closed pipe is not an error.
fn write_to(
    path: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let result = match path {
        Some(path) => {
            let mut writer = BufWriter::new(File::create(path)?);
            write(&mut writer).and_then(|()| writer.flush())
        }
        None => {
            let mut writer = BufWriter::new(io::stdout().lock());
            write(&mut writer).and_then(|()| writer.flush())
        }
    };
    match result {
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
