//! The whole lint of one in-memory file: load, render, evaluate, exempt, and every report format.
#![no_main]

use kubepatrol::report::{self, Format, Report};
use kubepatrol::{LintOptions, lint_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let outcome = lint_bytes("fuzz.yaml", data, &LintOptions::default());
    let report = Report::new(&outcome, report::ReportOptions::default());
    for format in [Format::Line, Format::Json, Format::Human, Format::Sarif, Format::Github, Format::Summary, Format::Html] {
        let mut sink = Vec::new();
        let _ = report::write(format, &report, &mut sink);
    }
});
