//! Turn loaded documents into the objects that reach a cluster: split documents and `List`
//! kinds, and render Kustomize overlays (Helm output is tagged with its template by the loader).

pub mod helm;
pub(crate) mod json6902;
pub(crate) mod kustomize;
pub(crate) mod select;
pub(crate) mod strategic_merge;
pub(crate) mod transform;
pub mod tree_edit;

use std::collections::{BTreeMap, HashSet};

use rayon::prelude::*;

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::discover::{Input, InputKind};
use crate::model::files::FileTree;
use crate::model::files::LoadedFile;
use crate::model::object::{Object, objects_of};
use crate::model::values_set::ValuesSet;
use crate::source::{FileId, SourceMap};

#[derive(Debug, Default)]
pub struct Rendered {
    pub objects: Vec<Object>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Render every input: kustomization roots (not consumed by another kustomization) through
/// kustomize, plain manifests as they are. Files a kustomization consumes (its resources,
/// patches, nested kustomizations) are not linted on their own; files loaded only because a
/// kustomization referenced them (ids past `inputs`) neither. A manifest in a directory whose
/// kustomization does not reference it is not deployed by Flux, Argo CD or `kubectl kustomize`:
/// it is not linted, and one note per directory names such files. The context kustomizations
/// (see [`FileTree`]) that consume an input are rendered too, so that a patch or base named
/// alone is linted through the overlays that use it.
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
    let input_files: HashSet<FileId> = (first_input..first_input + inputs.len())
        .map(file_id)
        .collect();
    let chart_dirs = helm::chart::chart_directories(tree.charts.keys().copied(), sources);
    // Each root renders on its own; the parts are joined in input order. A part is empty, or
    // the input's objects, or the kustomization beside an input that does not reference it.
    let parts: Vec<(Rendered, Option<(FileId, FileId)>)> = inputs
        .par_iter()
        .enumerate()
        .map(|(index, input)| {
            let index = first_input + index;
            let file = file_id(index);
            let mut part = Rendered::default();
            if consumed.contains(&file) {
                return (part, None);
            }
            let Some(loaded) = files.get(index).filter(|loaded| loaded.file == file) else {
                return (part, None);
            };
            if input.kind == InputKind::Manifest
                && crate::model::files::consumed_by_chart(&input.display, &chart_dirs)
            {
                return (part, None);
            }
            if input.kind == InputKind::Kustomization {
                render_kustomization(&context, loaded, &mut part);
            } else if let Some(chart) = tree.charts.get(&file) {
                render_chart(file, chart, sources, &mut part);
            } else {
                let (objects, diagnostics) = objects_of(loaded.file, &loaded.documents);
                // Values files and transformer configurations beside a kustomization hold no
                // objects: they are not what the note is about.
                if let Some(kustomization) = tree.beside.get(&file).filter(|_| !objects.is_empty())
                {
                    return (part, Some((*kustomization, file)));
                }
                (part.objects, part.diagnostics) = (objects, diagnostics);
            }
            (part, None)
        })
        .collect();
    let mut unreferenced = BTreeMap::<FileId, Vec<FileId>>::new();
    for (kustomization, file) in parts.iter().filter_map(|(_, beside)| *beside) {
        unreferenced.entry(kustomization).or_default().push(file);
    }
    let consuming: Vec<FileId> = tree
        .context
        .iter()
        .copied()
        .filter(|root| !consumed.contains(root))
        .filter(|root| !tree.consumed_by(*root).is_disjoint(&input_files))
        .collect();
    let context_parts: Vec<Rendered> = consuming
        .par_iter()
        .filter_map(|root| files.get(root.0 as usize))
        .map(|loaded| {
            let mut part = Rendered::default();
            render_kustomization(&context, loaded, &mut part);
            part
        })
        .collect();
    let mut rendered = Rendered::default();
    let parts = parts.into_iter().map(|(part, _)| part);
    for mut part in parts.chain(context_parts) {
        rendered.objects.append(&mut part.objects);
        rendered.diagnostics.append(&mut part.diagnostics);
    }
    rendered
        .diagnostics
        .extend(unreferenced_notes(&unreferenced, sources));
    kustomize::dedup_diagnostics(&mut rendered.diagnostics);
    rendered
}

fn file_id(index: usize) -> FileId {
    FileId(u32::try_from(index).unwrap_or(u32::MAX))
}

/// One note per kustomization naming the files beside it that it does not reference.
fn unreferenced_notes(
    unreferenced: &BTreeMap<FileId, Vec<FileId>>,
    sources: &SourceMap,
) -> Vec<Diagnostic> {
    unreferenced
        .iter()
        .map(|(kustomization, files)| {
            let mut names: Vec<&str> = files.iter().map(|file| sources.display(*file)).collect();
            names.sort_unstable();
            Diagnostic::note(
                Code::NotReferenced,
                Location::File(*kustomization),
                format!(
                    "not referenced by {}, so not deployed and not linted (Flux, Argo CD and \
                     `kubectl kustomize` deploy only what it references): {}",
                    sources.display(*kustomization),
                    names.join(", ")
                ),
            )
        })
        .collect()
}

/// A chart with its own values (unless the configuration turned that off), then with each
/// values set the configuration names for it.
fn render_chart(
    file: FileId,
    chart: &crate::model::files::LoadedChart,
    sources: &SourceMap,
    rendered: &mut Rendered,
) {
    if chart.values_sets_only && chart.values_sets.is_empty() {
        rendered.diagnostics.push(Diagnostic::note(
            Code::HelmChartError,
            Location::File(file),
            "not rendered: the configuration turns off this chart's default render \
             (`renderDefault: false`) and names no values set for it",
        ));
        return;
    }
    let default = (!chart.values_sets_only).then_some(None);
    let values_sets: Vec<Option<&ValuesSet>> = (default.into_iter())
        .chain(chart.values_sets.iter().map(Some))
        .collect();
    // The sets render on every core, sharing one parse of the templates; their parts are
    // joined in the configuration's order.
    let cache = helm::chart::RenderCache::of(chart);
    let renders: Vec<helm::chart::RenderedChart> = values_sets
        .par_iter()
        .map(|values_set| {
            helm::chart::render_chart(helm::chart::Request {
                chart_file: file,
                chart,
                sources,
                values_set: *values_set,
                cache: &cache,
            })
        })
        .collect();
    for mut chart in renders {
        rendered.objects.append(&mut chart.objects);
        rendered.diagnostics.append(&mut chart.diagnostics);
    }
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
