//! Whether a planned edit is safe to apply: its value is used only by objects that ask for
//! the same edit, it lies in the scanned paths, in a file without input errors, outside inline
//! patches and template expressions.

use std::path::{Component, Path, PathBuf};

use super::edit;
use super::{Context, Planned};
use crate::source::FileId;

impl Context<'_, '_> {
    /// Why `planned` must not be applied, if it must not.
    pub(super) fn refusal(&self, planned: &Planned) -> Option<String> {
        let used = self.uses.of(planned.target);
        if used > planned.weight {
            let used = if used == usize::MAX {
                "several".to_owned()
            } else {
                used.to_string()
            };
            return Some(format!(
                "the value is written once and used {used} times (through an alias, a merge key or a Kustomize base rendered by several overlays), and not every use has this finding: an edit would change the others too"
            ));
        }
        if let Some(reason) = self.overlays_differ(planned) {
            return Some(reason);
        }
        if used < planned.weight {
            // A finding merged across overlays, but this overlay's value is its own.
            return Some(format!(
                "the finding comes from {} overlays, but the value to edit is used by only {used} of them",
                planned.weight
            ));
        }
        if !self.in_scope(planned.file) {
            return Some(format!(
                "the value is written in {}, outside the scanned paths, where overlays this run does not see may use it; run fix on a directory that holds every user",
                self.outcome.sources.display(planned.file)
            ));
        }
        if self.has_errors(planned.file) {
            return Some(
                "the file has errors (`kubepatrol lint` shows them): fix those first".into(),
            );
        }
        if let Err(reason) = self.not_inline_patch(planned.file) {
            return Some(reason);
        }
        let text = self.text(planned.file);
        if slice_lines(text, planned.edit.start, planned.edit.end).contains("{{") {
            return Some("the lines to edit hold template expressions (`{{ }}`)".into());
        }
        None
    }

    /// Why the overlays that use the edited value are not exactly the overlays whose finding
    /// asks for the edit, if they are not: counting uses cannot tell a base used by overlays A
    /// and C from one used by A and B.
    fn overlays_differ(&self, planned: &Planned) -> Option<String> {
        let using = self.uses.overlays.get(&planned.target)?;
        let mut asking: Vec<FileId> = planned
            .findings
            .iter()
            .filter_map(|&finding| self.outcome.findings.get(finding))
            .flat_map(|finding| finding.via.iter().copied())
            .collect();
        asking.sort();
        asking.dedup();
        let name = |file: &FileId| self.outcome.sources.display(*file).to_owned();
        if let Some(other) = using.iter().find(|file| !asking.contains(file)) {
            return Some(format!(
                "the value is also rendered through {}, which does not have this finding: an edit would change it too",
                name(other)
            ));
        }
        asking
            .iter()
            .find(|file| !using.contains(file))
            .map(|missing| {
                format!(
                    "the finding also comes from {}, whose value is written elsewhere",
                    name(missing)
                )
            })
    }

    /// Whether `file` is below one of the scanned paths.
    fn in_scope(&self, file: FileId) -> bool {
        let display = Path::new(self.outcome.sources.display(file));
        let below = |root: &PathBuf| {
            let root: PathBuf = root
                .components()
                .filter(|part| *part != Component::CurDir)
                .collect();
            if root.as_os_str().is_empty() {
                display.is_relative() && display.components().next() != Some(Component::ParentDir)
            } else {
                display.starts_with(&root)
            }
        };
        self.scope.is_empty() || self.scope.iter().any(below)
    }

    /// Whether an input error points into `file` (a repeated key, say): what it means is not
    /// clear enough to edit around.
    fn has_errors(&self, file: FileId) -> bool {
        self.outcome.diagnostics.iter().any(|diagnostic| {
            diagnostic.level == crate::diagnostic::Level::Error
                && match diagnostic.location {
                    crate::diagnostic::Location::Span(span) => span.file == file,
                    crate::diagnostic::Location::File(other) => other == file,
                    crate::diagnostic::Location::Path(_) => false,
                }
        })
    }

    /// Refuses a kustomization file: values in it that reach an object come from inline
    /// patches. Asked before placing an edit too, since the text around a value inside a
    /// `patch: |` string would otherwise give a misleading reason.
    pub(super) fn not_inline_patch(&self, file: FileId) -> Result<(), String> {
        let display = self.outcome.sources.display(file);
        let name = display.rsplit('/').next().unwrap_or(display);
        if crate::discover::KUSTOMIZATION_FILE_NAMES.contains(&name) {
            return Err("the value is written in an inline patch of a kustomization, YAML inside a string that kubepatrol does not edit".into());
        }
        Ok(())
    }
}

/// The whole lines that `start..end` touches.
fn slice_lines(text: &str, start: usize, end: usize) -> &str {
    let from = edit::line_start(text, start);
    let to = edit::line_end(text, end);
    text.get(from..to).unwrap_or("")
}
