//! kubepatrol: a policy linter for Kubernetes manifests that points at the offending line and
//! column. The pipeline runs in one direction: discover → load → render → evaluate → exempt →
//! report; ARCHITECTURE.md at the repository root walks the modules in that order.
//!
//! The public surface is what the binary, the integration tests and the fuzz targets use: the
//! pipeline ([`lint`], [`lint_bytes`], [`load_and_render`]), the stages' option types, the
//! reports and `fix`.

// Foundation: imported by the stages, importing none of them.
pub mod atomic;
pub mod diagnostic;
pub mod guard;
pub mod settings;
pub mod source;
pub mod vfs;
pub mod yaml;

// The stages, in pipeline order, with the data they hand each other (`model`) and the checks.
pub mod cel;
pub mod config;
pub mod discover;
pub mod evaluate;
pub mod exempt;
pub mod fix;
pub mod load;
// The language server: an edge above the reports, like the binary.
pub mod lsp;
pub mod model;
mod pipeline;
pub mod policy;
pub mod render;
pub mod report;
pub mod rules;

pub use pipeline::{
    HelmTemplate, HelmTemplateOptions, LintOptions, Outcome, helm_template, lint, lint_bytes,
    lint_options_for, load_and_render, load_and_render_in,
};
