use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use clap::Parser;

mod cli;
mod git_tree;

use cli::{BaselineArgs, Cli, ColorChoice, Command, FixArgs, InputArgs, LintArgs};
use kubepatrol::diagnostic::{Code, Diagnostic, Level, Location};
use kubepatrol::discover;
use kubepatrol::exempt::baseline;
use kubepatrol::fix::{self, FixOptions, report::Mode};
use kubepatrol::report::events::{self, RunTimes};
use kubepatrol::report::{Format, Gate, Report, ReportOptions};
use kubepatrol::rules;
use kubepatrol::rules::explain;
use kubepatrol::settings::FailOn;
use kubepatrol::vfs::Files;
use kubepatrol::{LintOptions, Outcome, config, lint, report};

// The loader and the Helm engine allocate many small, short-lived strings and nodes; mimalloc
// serves them in about half the time of glibc's malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        Command::Lint(args) => run_lint(*args),
        Command::Baseline(args) => run_baseline(args),
        Command::Fix(args) => run_fix(args),
        Command::Checks => print(&explain::checks_table(&custom_checks())),
        Command::Lsp => ExitCode::from(kubepatrol::lsp::serve_stdio()),
        Command::Explain { id } => {
            custom_checks();
            match rules::find(&id) {
                Some(entry) => print(&explain::explain(entry)),
                None => {
                    eprintln!("error: {}", config::unknown_check_message(&id));
                    ExitCode::from(EXIT_ERROR)
                }
            }
        }
    }
}

/// The custom checks of the configuration found from the current directory, and the rules of
/// the policies its `policies:` names, registered so that `checks` lists them and `explain`
/// finds them; an invalid configuration defines none (`lint` reports its errors).
fn custom_checks() -> Vec<&'static rules::RuleEntry> {
    let Some(loaded) = config::read_for_run(&kubepatrol::vfs::Disk, None, ".")
        .ok()
        .flatten()
    else {
        return Vec::new();
    };
    let paths: Vec<String> = loaded
        .config
        .policies
        .iter()
        .map(|path| loaded.dir.join(&path.value).display().to_string())
        .collect();
    if paths.is_empty() {
        let checks = &loaded.config.custom_checks;
        return checks.iter().map(|check| check.entry).collect();
    }
    // The policies are read as `lint` reads them: by linting their paths.
    let outcome = lint(&LintOptions {
        paths,
        config: Some(loaded),
        ..LintOptions::default()
    });
    let built_in = rules::all();
    outcome
        .checks()
        .into_iter()
        .filter(|check| !built_in.iter().any(|entry| std::ptr::eq(entry, *check)))
        .collect()
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
    let format = args
        .format
        .map(Format::from)
        .unwrap_or(if io::stdout().is_terminal() {
            Format::Human
        } else {
            Format::Line
        });
    let mut options = match lint_options(&args) {
        Ok(options) => options,
        Err(stopped) => return report_stopped(format, args.output.as_deref(), &stopped),
    };
    let gate = gate(&args, &options);
    let started = SystemTime::now();
    let mut notes_at_commit = Vec::new();
    if let Some(reference) = &args.new_since {
        match compare_with_commit(reference, &mut options) {
            Ok(notes) => notes_at_commit = notes,
            Err(stopped) => return report_stopped(format, args.output.as_deref(), &stopped),
        }
    }
    let mut outcome = lint(&options);
    if !notes_at_commit.is_empty() {
        outcome.diagnostics.append(&mut notes_at_commit);
        outcome.sort_diagnostics();
    }
    let times = RunTimes {
        started,
        finished: SystemTime::now(),
    };
    let mut report = Report::new(
        &outcome,
        ReportOptions {
            include_passed: args.include_passed,
            color: false,
            width: report_width(),
            show_suppressed: args.show_suppressed,
            repository: repository(),
            gate,
        },
    );
    if let Err(code) = write_reports(&args, format, &mut report, times) {
        return code;
    }
    let code = ExitCode::from(report.verdict.exit_code());
    drop(report);
    // The process ends now and the system takes its memory back at once; freeing the
    // outcome's trees one by one would cost a large chart 2% of its run.
    std::mem::forget(outcome);
    code
}

/// The options of a `lint` run: the configuration, the baseline and the flags applied.
fn lint_options(args: &LintArgs) -> Result<LintOptions, Box<Outcome>> {
    let mut options = kubepatrol::lint_options_for(
        kubepatrol::vfs::Files::disk(),
        args.paths.clone(),
        args.config.as_deref(),
        args.exclude.clone(),
        args.no_ignore,
    )?;
    if let Some(path) = &args.baseline {
        let recorded = read_baseline(path)
            .map_err(|error| Box::new(Outcome::stopped(Default::default(), vec![error])))?;
        options.baseline = Some(recorded);
    }
    options.report_unused_ignores = args.report_unused_ignores;
    options.policy_paths.extend(args.policies.iter().cloned());
    options.report_unused_policies = args.report_unused_policies;
    options.discover.stdin_name = args.stdin_filename.clone();
    options.discover.no_kustomize = args.no_kustomize;
    Ok(options)
}

/// `--new-since REF`: lint the same paths as they are at the commit `reference` names, with
/// the same options, and make its findings the run's baseline. The input errors found there
/// come back as notes: they do not fail the run, the working tree's do.
fn compare_with_commit(
    reference: &str,
    options: &mut LintOptions,
) -> Result<Vec<Diagnostic>, Box<Outcome>> {
    let stop = |message: String| {
        let location = Location::Path(reference.to_owned());
        let error = Diagnostic::error(Code::InvalidNewSince, location, message);
        Box::new(Outcome::stopped(Default::default(), vec![error]))
    };
    if options.paths.iter().any(|path| path == discover::STDIN_ARG) {
        return Err(stop(
            "standard input has no earlier version to compare with; lint files or directories"
                .into(),
        ));
    }
    let commit = git_tree::read(reference, options.limits.max_file_bytes).map_err(stop)?;
    let paths_then = commit.paths_then(&options.paths);
    let paths_now = std::mem::replace(&mut options.paths, paths_then);
    options.files = Files::new(commit.tree);
    let before = lint(options);
    options.files = Files::disk();
    options.paths = paths_now;
    options.baseline = Some(baseline::of_commit(&commit.label, &before.findings));
    Ok(before
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.level == Level::Error)
        .map(|diagnostic| note_at_commit(&before, diagnostic, &commit.label))
        .collect())
}

/// An input error of the run at a commit as a note of this run, which has other files: it
/// names the file (and line) in words.
fn note_at_commit(before: &Outcome, diagnostic: &Diagnostic, label: &str) -> Diagnostic {
    let (path, line) = match &diagnostic.location {
        Location::Path(path) => (path.clone(), None),
        Location::File(file) => (before.sources.display(*file).to_owned(), None),
        Location::Span(span) => (
            before.sources.display(span.file).to_owned(),
            Some(before.sources.position(*span).0.line),
        ),
    };
    let place = line.map_or_else(String::new, |line| format!(", line {line}"));
    Diagnostic::note(
        Code::InputErrorAtCommit,
        Location::Path(path),
        format!(
            "at {label}{place}: {} [{}]; findings that could not be seen there are reported as new",
            diagnostic.message, diagnostic.code
        ),
    )
}

/// Read the baseline at `path`.
fn read_baseline(path: &Path) -> Result<baseline::Baseline, Diagnostic> {
    let display = path.to_string_lossy().into_owned();
    let text = std::fs::read_to_string(path).map_err(|error| {
        Diagnostic::error(
            Code::InvalidBaseline,
            Location::Path(display.clone()),
            format!("cannot read the baseline: {error}"),
        )
    })?;
    baseline::parse(&display, &text)
}

/// What decides the exit code of a `lint` run besides input errors: flags over configuration.
fn gate(args: &LintArgs, options: &LintOptions) -> Gate {
    let configured = options.config.as_ref().map(|loaded| &loaded.config);
    Gate {
        fail_on: args
            .fail_on
            .map(FailOn::from)
            .or(configured.and_then(|config| config.fail_on))
            .unwrap_or(FailOn::Warning),
        min_score: args
            .min_score
            .or(configured.and_then(|config| config.min_score.map(u32::from))),
    }
}

/// The report in `format` (to `--output` or standard output), every `--output-*` file and the
/// events file.
fn write_reports(
    args: &LintArgs,
    format: Format,
    report: &mut Report<'_>,
    times: RunTimes,
) -> Result<(), ExitCode> {
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
        (
            args.output_junit.as_ref().map(|_| Format::Junit),
            args.output_junit.as_deref(),
        ),
        (
            args.output_gitlab.as_ref().map(|_| Format::Gitlab),
            args.output_gitlab.as_deref(),
        ),
    ];
    for (format, path) in outputs {
        let Some(format) = format else { continue };
        report.options.color = use_color(args.color, path.is_none() && io::stdout().is_terminal());
        if let Err(error) = write_to(path, |out| report::write(format, report, out)) {
            let target =
                path.map_or_else(|| "standard output".to_owned(), |p| p.display().to_string());
            eprintln!("error: cannot write the report to {target}: {error}");
            return Err(ExitCode::from(EXIT_ERROR));
        }
    }
    if let (Some(path), Some(target)) = (args.events.as_deref(), args.events_for.as_ref())
        && let Err(error) = write_to(Some(path), |out| events::write(report, target, times, out))
    {
        eprintln!(
            "error: cannot write the events to {}: {error}",
            path.display()
        );
        return Err(ExitCode::from(EXIT_ERROR));
    }
    Ok(())
}

fn report_stopped(format: Format, output: Option<&Path>, stopped: &Outcome) -> ExitCode {
    let report = Report::new(stopped, ReportOptions::default());
    if let Err(error) = write_to(output, |out| report::write(format, &report, out)) {
        eprintln!("error: cannot write the report: {error}");
    }
    ExitCode::from(EXIT_ERROR)
}

/// Write the baseline to standard output; input errors go to standard error (exit 2), the
/// baseline of the readable files is still written.
fn run_baseline(args: BaselineArgs) -> ExitCode {
    let options = match prepare_inputs(args.paths, args.inputs) {
        Ok(options) => options,
        Err(code) => return code,
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
        to_stderr(&Outcome::stopped(outcome.sources, outcome.diagnostics));
        return ExitCode::from(EXIT_ERROR);
    }
    ExitCode::SUCCESS
}

/// Input problems of `baseline` and `fix`, in the line format on standard error.
fn to_stderr(outcome: &Outcome) {
    let report = Report::new(outcome, ReportOptions::default());
    let _ = report::write(Format::Line, &report, &mut io::stderr().lock());
}

/// [`kubepatrol::lint_options_for`] for `baseline` and `fix`: a run stopped by its configuration is reported on
/// standard error and exits with 2.
fn prepare_inputs(paths: Vec<String>, inputs: InputArgs) -> Result<LintOptions, ExitCode> {
    kubepatrol::lint_options_for(
        kubepatrol::vfs::Files::disk(),
        paths,
        inputs.config.as_deref(),
        inputs.exclude,
        inputs.no_ignore,
    )
    .map_err(|stopped| {
        to_stderr(&stopped);
        ExitCode::from(EXIT_ERROR)
    })
}

/// Fix what can be fixed safely (and, with `--unsafe-fixes`, what changes behaviour). Exit
/// codes: 2 for input or usage errors (the readable files are still fixed) or a file that
/// cannot be written, 1 when findings remain that were not fixed (held back included), else 0;
/// `--dry-run` and `--diff` exit as the run would.
fn run_fix(args: FixArgs) -> ExitCode {
    if args.paths.iter().any(|path| path == discover::STDIN_ARG) {
        eprintln!("error: `fix` edits files in place and cannot read standard input; use `lint -`");
        return ExitCode::from(EXIT_ERROR);
    }
    let mut checks = Vec::new();
    for id in &args.checks {
        match rules::find(id) {
            Some(entry) => checks.push(entry),
            None => {
                eprintln!("error: {}", config::unknown_check_message(id));
                return ExitCode::from(EXIT_ERROR);
            }
        }
    }
    let options = match prepare_inputs(args.paths, args.inputs) {
        Ok(options) => options,
        Err(code) => return code,
    };
    let outcome = lint(&options);
    let scope = options.paths.iter().map(PathBuf::from).collect();
    let plan = fix::plan(
        &outcome,
        &options.settings,
        &FixOptions {
            checks: (!checks.is_empty()).then_some(checks),
            with_placeholders: args.with_placeholders,
            unsafe_fixes: args.unsafe_fixes,
            scope,
            findings: None,
        },
    );
    let mut failed = false;
    let mode = if args.dry_run || args.diff {
        Mode::DryRun
    } else {
        for file in &plan.files {
            // A symbolic link keeps pointing at the file it named; that file is rewritten.
            let path = std::fs::canonicalize(&file.path)
                .unwrap_or_else(|_| Path::new(&file.path).to_path_buf());
            if let Err(error) =
                kubepatrol::atomic::write_file(&path, |out| out.write_all(file.after.as_bytes()))
            {
                eprintln!("error: cannot write {}: {error}", file.path);
                failed = true;
            }
        }
        Mode::Write
    };
    let lines = fix::report::lines(&outcome, &plan, mode);
    if args.diff {
        let diff = fix::diff::unified(&plan.files);
        if print(&diff) != ExitCode::SUCCESS {
            failed = true;
        }
        eprint!("{lines}");
    } else if print(&lines) != ExitCode::SUCCESS {
        failed = true;
    }
    if outcome.has_errors() {
        // Notes (skipped templates, say) matter to `lint`; here only what stopped a fix does.
        let problems = outcome
            .diagnostics
            .into_iter()
            .filter(|diagnostic| diagnostic.level >= kubepatrol::diagnostic::Level::Warning)
            .collect();
        to_stderr(&Outcome::stopped(outcome.sources, problems));
        return ExitCode::from(EXIT_ERROR);
    }
    if failed {
        ExitCode::from(EXIT_ERROR)
    } else if plan.fixed() < plan.results.len() {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}

/// The width of the human report: `COLUMNS` when set (how scripts and tests fix it), else the
/// terminal's when standard output is one; `None` (the report's default) otherwise.
fn report_width() -> Option<usize> {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|value| value.trim().parse::<usize>().ok())
        .filter(|columns| *columns > 0);
    columns.or_else(|| {
        terminal_size::terminal_size_of(io::stdout())
            .map(|(terminal_size::Width(columns), _)| usize::from(columns))
    })
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

/// Write to standard output, or atomically to `path`: a temporary file in the same directory
/// renamed into place, so a failed run never leaves a partial report behind. A closed pipe is
/// not an error.
fn write_to(
    path: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let Some(path) = path else {
        let mut writer = BufWriter::new(io::stdout().lock());
        return match write(&mut writer).and_then(|()| writer.flush()) {
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        };
    };
    kubepatrol::atomic::write_file(path, write)
}
