//! Turn loaded documents into the objects that reach a cluster. For now: split documents and
//! `List` kinds; Helm output is tagged with its template by the loader.

use crate::diagnostic::Diagnostic;
use crate::load::LoadedFile;
use crate::object::{Object, objects_of};

#[derive(Debug, Default)]
pub struct Rendered {
    pub objects: Vec<Object>,
    pub diagnostics: Vec<Diagnostic>,
}

pub fn render(files: &[LoadedFile]) -> Rendered {
    let mut rendered = Rendered::default();
    for file in files {
        let (mut objects, mut diagnostics) = objects_of(file.file, &file.documents);
        rendered.objects.append(&mut objects);
        rendered.diagnostics.append(&mut diagnostics);
    }
    rendered
}
