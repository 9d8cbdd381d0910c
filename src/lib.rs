//! kubepatrol: a policy linter for Kubernetes manifests that points at the offending line and
//! column. The pipeline runs in one direction: discover → load → render → evaluate → report.

pub mod cli;
pub mod diagnostic;
pub mod discover;
pub mod evaluate;
pub mod explain;
pub mod finding;
pub mod load;
pub mod object;
pub mod render;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod source;
pub mod workload;
pub mod yaml;

use report::Outcome;

/// What to lint and how.
#[derive(Debug, Default)]
pub struct LintOptions {
    pub paths: Vec<String>,
    pub discover: discover::Options,
    pub limits: load::LoadLimits,
}

/// Run the whole pipeline; input problems end up in the outcome's diagnostics, never as a panic.
pub fn lint(options: &LintOptions) -> Outcome {
    let discovery = discover::discover(&options.paths, &options.discover);
    let mut loaded = load::load(&discovery.inputs, options.limits);
    let tree = resolve::resolve(&discovery.inputs, &mut loaded, options.limits);
    let rendered = render::render(&discovery.inputs, &loaded.files, &loaded.sources, &tree);
    let evaluation = evaluate::evaluate(&rendered.objects, rules::all());
    let mut outcome = Outcome {
        sources: loaded.sources,
        findings: evaluation.findings,
        diagnostics: [
            discovery.diagnostics,
            loaded.diagnostics,
            rendered.diagnostics,
            evaluation.diagnostics,
        ]
        .concat(),
        files: discovery.inputs.len(),
        objects: rendered.objects.len(),
        evaluated: evaluation.evaluated,
    };
    outcome.sort_diagnostics();
    outcome
}
