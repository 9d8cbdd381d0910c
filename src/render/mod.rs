//! Turn loaded documents into the objects that reach a cluster: split documents and `List`
//! kinds, and render Kustomize overlays (Helm output is tagged with its template by the loader).

pub(crate) mod json6902;
pub(crate) mod kustomize;
pub(crate) mod select;
pub(crate) mod strategic_merge;
pub(crate) mod transform;
pub mod tree_edit;

use rayon::prelude::*;

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::discover::{Input, InputKind};
use crate::model::files::FileTree;
use crate::model::files::LoadedFile;
use crate::model::object::{Object, objects_of};
use crate::source::{FileId, SourceMap};

#[derive(Debug, Default)]
pub struct Rendered {
    pub objects: Vec<Object>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Render every input: kustomization roots (not consumed by another kustomization) through
/// kustomize, plain manifests as they are. Files a kustomization consumes (its resources,
/// patches, nested kustomizations) are not linted on their own; files loaded only because a
/// kustomization referenced them (ids past `inputs`) neither.
pub fn render(
    inputs: &[Input],
    first_input: usize,
    files: &[LoadedFile],
    sources: &SourceMap,
    tree: &FileTree,
) -> Rendered {
    let consumed = tree.consumed();
    let context = kustomize::Context {
        files,
        sources,
        tree,
    };
    // Each root renders on its own; the parts are joined in input order.
    let parts: Vec<Rendered> = inputs
        .par_iter()
        .enumerate()
        .map(|(index, input)| {
            let index = first_input + index;
            let file = FileId(u32::try_from(index).unwrap_or(u32::MAX));
            let mut part = Rendered::default();
            if consumed.contains(&file) {
                return part;
            }
            let Some(loaded) = files.get(index).filter(|loaded| loaded.file == file) else {
                return part;
            };
            if input.kind == InputKind::Kustomization {
                render_kustomization(&context, loaded, &mut part);
            } else {
                (part.objects, part.diagnostics) = objects_of(loaded.file, &loaded.documents);
            }
            part
        })
        .collect();
    let mut rendered = Rendered::default();
    for mut part in parts {
        rendered.objects.append(&mut part.objects);
        rendered.diagnostics.append(&mut part.diagnostics);
    }
    kustomize::dedup_diagnostics(&mut rendered.diagnostics);
    rendered
}

fn render_kustomization(
    context: &kustomize::Context<'_>,
    loaded: &LoadedFile,
    rendered: &mut Rendered,
) {
    let is_component = loaded
        .documents
        .first()
        .and_then(|document| document.root.get("kind"))
        .and_then(|kind| kind.as_str())
        == Some("Component");
    if is_component {
        // A component only means something inside the kustomization that includes it.
        rendered.diagnostics.push(Diagnostic::note(
            Code::KustomizeComponent,
            Location::File(loaded.file),
            "component not included by any kustomization in the scan: not rendered on its own",
        ));
        return;
    }
    let (mut objects, mut diagnostics) = kustomize::render_root(context, loaded.file);
    rendered.objects.append(&mut objects);
    rendered.diagnostics.append(&mut diagnostics);
}
