//! The whole lint of one in-memory file: load, render, evaluate, and both report formats.
#![no_main]

use kubepatrol::discover::{Input, InputKind, Source};
use kubepatrol::load::{LoadLimits, load_one};
use kubepatrol::report::{Format, Outcome, write};
use kubepatrol::source::{FileId, SourceMap};
use kubepatrol::{evaluate, render, rules};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = Input {
        display: "fuzz.yaml".to_owned(),
        source: Source::Stdin,
        kind: InputKind::Manifest,
    };
    let (source, file, diagnostics) = load_one(FileId(0), &input, Ok(data.to_vec()), LoadLimits::default());
    let mut sources = SourceMap::default();
    sources.add(source);
    let rendered = render::render(std::slice::from_ref(&file));
    let evaluation = evaluate::evaluate(&rendered.objects, rules::all(), &Default::default());
    let outcome = Outcome {
        sources,
        findings: evaluation.findings,
        diagnostics: [diagnostics, rendered.diagnostics, evaluation.diagnostics].concat(),
        files: 1,
        objects: rendered.objects.len(),
        evaluated: evaluation.evaluated,
    };
    for format in [Format::Line, Format::Json] {
        let mut sink = Vec::new();
        let _ = write(format, &outcome, &mut sink);
    }
});
