use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use clap::Parser;

use kubepatrol::cli::{BaselineArgs, Cli, Command, FailOn, LintArgs};
use kubepatrol::report::Outcome;
use kubepatrol::rules::{self, Severity};
use kubepatrol::{LintOptions, baseline, config, discover, explain, lint, report};

/// Exit codes: 2 for input or usage errors, 1 for findings at or above the threshold, else 0.
const EXIT_FINDINGS: u8 = 1;
const EXIT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    kubepatrol::guard::install_quiet_panic_hook();
    match kubepatrol::guard::isolate(|| run(cli)) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: internal error: {message}; please report it [internal-error]");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Lint(args) => run_lint(args),
        Command::Baseline(args) => run_baseline(args),
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
    let mut options = match prepare(
        args.paths,
        args.config.as_deref(),
        args.exclude,
        args.no_ignore,
    ) {
        Ok(options) => options,
        Err(stopped) => return report_stopped(args.format, args.output.as_deref(), &stopped),
    };
    if let Some(path) = &args.baseline {
        match baseline::read(path) {
            Ok(recorded) => options.baseline = Some(recorded),
            Err(error) => {
                let stopped = Outcome::stopped(Default::default(), vec![error]);
                return report_stopped(args.format, args.output.as_deref(), &stopped);
            }
        }
    }
    options.report_unused_ignores = args.report_unused_ignores;
    options.discover.stdin_name = args.stdin_filename;
    let configured = options.config.as_ref().map(|loaded| &loaded.config);
    let fail_on = args
        .fail_on
        .or(configured.and_then(|config| config.fail_on))
        .unwrap_or(FailOn::Warning);
    let mut outcome = lint(&options);
    if args.format == report::Format::Line && !args.show_suppressed {
        outcome.suppressed.clear();
    }
    if let Err(error) = write_report(args.format, args.output.as_deref(), &outcome) {
        let target = args.output.as_ref().map_or_else(
            || "standard output".to_owned(),
            |path| path.display().to_string(),
        );
        eprintln!("error: cannot write the report to {target}: {error}");
        return ExitCode::from(EXIT_ERROR);
    }
    if outcome.has_errors() {
        return ExitCode::from(EXIT_ERROR);
    }
    let threshold = match fail_on {
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

/// Lint options for `paths` with the configuration (explicit or found) applied; an invalid
/// configuration stops the run with its errors.
fn prepare(
    paths: Vec<String>,
    config_file: Option<&std::path::Path>,
    mut exclude: Vec<String>,
    no_ignore: bool,
) -> Result<LintOptions, Box<Outcome>> {
    let paths = if paths.is_empty() {
        vec![".".to_owned()]
    } else {
        paths
    };
    let first = paths.first().map_or(".", String::as_str);
    let loaded = config::resolve(config_file, first)
        .map_err(|(sources, errors)| Box::new(Outcome::stopped(sources, errors)))?;
    let mut settings = Default::default();
    if let Some(loaded) = &loaded {
        exclude.extend(loaded.config.exclude.iter().map(|glob| glob.value.clone()));
        settings = loaded.config.settings();
    }
    Ok(LintOptions {
        paths,
        discover: discover::Options {
            exclude,
            no_ignore,
            stdin_name: None,
        },
        settings,
        config: loaded,
        ..LintOptions::default()
    })
}

fn report_stopped(
    format: report::Format,
    output: Option<&std::path::Path>,
    stopped: &Outcome,
) -> ExitCode {
    if let Err(error) = write_report(format, output, stopped) {
        eprintln!("error: cannot write the report: {error}");
    }
    ExitCode::from(EXIT_ERROR)
}

/// Write the baseline to standard output; input errors go to standard error (exit 2), the
/// baseline of the readable files is still written.
fn run_baseline(args: BaselineArgs) -> ExitCode {
    let options = match prepare(
        args.paths,
        args.config.as_deref(),
        args.exclude,
        args.no_ignore,
    ) {
        Ok(options) => options,
        Err(stopped) => {
            let _ = report::write(report::Format::Line, &stopped, &mut io::stderr().lock());
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let outcome = lint(&options);
    let mut stdout = BufWriter::new(io::stdout().lock());
    if let Err(error) =
        baseline::write(&outcome.findings, &mut stdout).and_then(|()| stdout.flush())
    {
        eprintln!("error: cannot write the baseline: {error}");
        return ExitCode::from(EXIT_ERROR);
    }
    if outcome.has_errors() {
        let diagnostics_only = Outcome::stopped(outcome.sources, outcome.diagnostics);
        let _ = report::write(
            report::Format::Line,
            &diagnostics_only,
            &mut io::stderr().lock(),
        );
        return ExitCode::from(EXIT_ERROR);
    }
    ExitCode::SUCCESS
}

/// Write the report to stdout, or atomically to `output`: a temporary file in the same
/// directory renamed into place, so a failed run never leaves a partial report behind.
fn write_report(
    format: report::Format,
    output: Option<&std::path::Path>,
    outcome: &report::Outcome,
) -> io::Result<()> {
    let Some(path) = output else {
        let mut writer = BufWriter::new(io::stdout().lock());
        return match report::write(format, outcome, &mut writer).and_then(|()| writer.flush()) {
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        };
    };
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => std::path::Path::new("."),
    };
    // The temporary file's own name would only confuse the message.
    let mut temp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|error| io::Error::new(error.kind(), error.kind().to_string()))?;
    let mut writer = BufWriter::new(temp.as_file_mut());
    report::write(format, outcome, &mut writer).and_then(|()| writer.flush())?;
    drop(writer);
    temp.persist(path).map(|_| ()).map_err(|error| error.error)
}
