//! Read and parse every input in parallel into span-carrying documents.

pub(crate) mod helm;
pub(crate) mod kustomize;

use std::collections::HashSet;

use rayon::prelude::*;

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::discover::{Input, InputKind, Source};
use crate::model::files::{LoadedFile, consumed_by_chart};
use crate::model::workload;
use crate::source::{FileId, SourceFile, SourceMap, Span};
pub use crate::vfs::ReadError;
use crate::vfs::{Disk, FileSystem, read_limited};
use crate::yaml::{self, Document, Limits, Node, Value};

#[derive(Clone, Copy, Debug)]
pub struct LoadLimits {
    pub max_file_bytes: u64,
    pub yaml: Limits,
}

impl Default for LoadLimits {
    fn default() -> Self {
        LoadLimits {
            max_file_bytes: 32 * 1024 * 1024,
            yaml: Limits::default(),
        }
    }
}

#[derive(Debug, Default)]
pub struct Loaded {
    pub sources: SourceMap,
    /// Indexed by file id: slots before `first_input` (the configuration) hold no documents.
    pub files: Vec<LoadedFile>,
    pub diagnostics: Vec<Diagnostic>,
    /// The file id of the first input; input `i` is file `first_input + i`.
    pub first_input: usize,
}

/// Whether any check inspects objects of an `apiVersion` and `kind`.
pub type InspectedKind<'a> = &'a (dyn Fn(&str, &str) -> bool + Sync);

/// Read (from the disk) and parse `inputs` into whole trees; file ids follow the order of
/// `inputs`. A bug that panics on one file becomes an internal error for that file; the
/// others are still loaded.
pub fn load(inputs: &[Input], limits: LoadLimits) -> Loaded {
    load_after(&Disk, SourceMap::default(), inputs, limits, &|_, _| true)
}

/// [`load`] into a source map that already holds other files (the configuration): the inputs'
/// file ids follow those. Objects whose kind is not `inspected` keep only their identity, so
/// that a repository of CRDs and ConfigMaps costs its text, not trees several times its size.
pub fn load_after(
    files: &dyn FileSystem,
    sources: SourceMap,
    inputs: &[Input],
    limits: LoadLimits,
    inspected: InspectedKind<'_>,
) -> Loaded {
    let base = sources.len();
    // A chart's values and other files are read (and reported on) by the chart's own load
    // (`helm::read_charts`) and render; read as manifests they would be parsed for nothing.
    let chart_dirs: Vec<String> = inputs
        .iter()
        .filter(|input| input.kind == InputKind::HelmChart)
        .filter_map(|input| input.display.strip_suffix("Chart.yaml"))
        .map(str::to_string)
        .collect();
    let results: Vec<(SourceFile, LoadedFile, Vec<Diagnostic>)> = inputs
        .par_iter()
        .enumerate()
        .map(|(index, input)| {
            let file = FileId(u32::try_from(base + index).unwrap_or(u32::MAX));
            if input.kind == InputKind::Manifest && consumed_by_chart(&input.display, &chart_dirs) {
                let source = SourceFile::new(input.display.clone(), String::new());
                return (source, LoadedFile::empty(file), Vec::new());
            }
            let bytes = read_input(files, &input.source, limits.max_file_bytes);
            crate::guard::isolate(|| {
                let (source, mut loaded, diagnostics) = load_one(file, input, bytes, limits);
                if input.kind == InputKind::Manifest {
                    loaded.outlined = outline(&mut loaded.documents, inspected);
                }
                (source, loaded, diagnostics)
            })
            .unwrap_or_else(|message| {
                (
                    SourceFile::new(input.display.clone(), String::new()),
                    LoadedFile::empty(file),
                    vec![crate::guard::internal_error(Location::File(file), &message)],
                )
            })
        })
        .collect();
    let mut loaded = Loaded {
        sources,
        first_input: base,
        ..Loaded::default()
    };
    loaded.files = (0..base)
        .map(|slot| LoadedFile::empty(FileId(u32::try_from(slot).unwrap_or(u32::MAX))))
        .collect();
    for (source, file, mut diagnostics) in results {
        loaded.sources.add(source);
        loaded.files.push(file);
        loaded.diagnostics.append(&mut diagnostics);
    }
    loaded
}

impl Loaded {
    /// Give outlined files their whole trees back, parsed again (in parallel) from the text
    /// already read.
    pub fn restore(&mut self, files: &[FileId], limits: LoadLimits) {
        let outlined: HashSet<FileId> = files
            .iter()
            .copied()
            .filter(|file| {
                self.files
                    .get(file.0 as usize)
                    .is_some_and(|loaded| loaded.outlined)
            })
            .collect();
        let sources = &self.sources;
        let parsed: Vec<(FileId, Vec<Document>)> = outlined
            .into_par_iter()
            .filter_map(|file| {
                let text = sources.get(file)?.text.as_str();
                // The problems of this text were reported when it was first parsed.
                Some((file, yaml::parse(file, text, limits.yaml).documents))
            })
            .collect();
        for (file, documents) in parsed {
            if let Some(loaded) = self.files.get_mut(file.0 as usize) {
                loaded.documents = documents;
                loaded.outlined = false;
            }
        }
    }
}

/// Cut the objects no check inspects down to `apiVersion`, `kind` and `metadata`, and drop
/// documents without a `kind`; `List`s stay whole. Returns whether anything was cut.
pub fn outline(documents: &mut [Document], inspected: InspectedKind<'_>) -> bool {
    let mut cut = false;
    for document in documents {
        let root = &document.root;
        let api_version = root.get("apiVersion").and_then(Node::as_str);
        let kind = root.get("kind").and_then(Node::as_str);
        let outlined = match (api_version, kind) {
            (_, Some(kind)) if kind.ends_with("List") => continue,
            (Some(api_version), Some(kind)) if inspected(api_version, kind) => continue,
            // A kind no table names may still be a workload, recognised by its shape.
            (Some(_), Some(_)) if workload::has_pod_template_shape(root) => continue,
            // An object, or one without `apiVersion` that render notes as such.
            (_, Some(_)) => Node {
                span: root.span,
                value: Value::Map(
                    root.as_map()
                        .unwrap_or_default()
                        .iter()
                        .filter(|entry| {
                            matches!(entry.key.as_str(), Some("apiVersion" | "kind" | "metadata"))
                        })
                        .cloned()
                        .collect(),
                ),
            },
            (_, None) if root.is_null() => continue,
            (_, None) => Node {
                span: root.span,
                value: Value::Null,
            },
        };
        document.root = outlined;
        cut = true;
    }
    cut
}

/// The bytes of one input: a file from `files`, standard input, or text in memory.
pub fn read_input(
    files: &dyn FileSystem,
    source: &Source,
    max_bytes: u64,
) -> Result<Vec<u8>, ReadError> {
    match source {
        Source::Stdin => read_limited(std::io::stdin().lock(), max_bytes, 0),
        Source::Memory(bytes) => read_limited(bytes.as_ref(), max_bytes, bytes.len()),
        Source::File(path) => files.read(path, max_bytes),
    }
}

/// Decode and parse one file's bytes. Pure: no I/O.
pub fn load_one(
    file: FileId,
    input: &Input,
    bytes: Result<Vec<u8>, ReadError>,
    limits: LoadLimits,
) -> (SourceFile, LoadedFile, Vec<Diagnostic>) {
    let whole_file = Location::File(file);
    let empty = |diagnostic: Diagnostic, text: String| {
        (
            SourceFile::new(input.display.clone(), text),
            LoadedFile::empty(file),
            vec![diagnostic],
        )
    };
    let bytes = match bytes {
        Ok(bytes) => bytes,
        Err(error) => return empty(read_error(error, whole_file, limits), String::new()),
    };
    // A template is rendered with its chart (see `helm`), never read as YAML.
    if input.kind == InputKind::HelmTemplate {
        return (
            SourceFile::new(input.display.clone(), String::new()),
            LoadedFile::empty(file),
            Vec::new(),
        );
    }
    let text = match decode(file, bytes) {
        Ok(text) => text,
        Err((diagnostic, lossy)) => return empty(diagnostic, lossy),
    };
    let mut parsed = yaml::parse(file, &text, limits.yaml);
    let templated = templated_documents(&text, &parsed);
    let mut diagnostics: Vec<Diagnostic> = templated
        .iter()
        .map(|chunk| template_expression_note(file, &text, chunk))
        .collect();
    let in_templated = |offset: u32| templated.iter().any(|chunk| chunk.contains(&offset));
    parsed
        .errors
        .retain(|error| !in_templated(error.span.start));
    parsed
        .documents
        .retain(|document| !in_templated(document.root.span.start));
    diagnostics.extend(
        parsed
            .errors
            .into_iter()
            .map(|error| Diagnostic::error(error.code, Location::Span(error.span), error.message)),
    );
    (
        SourceFile::new(input.display.clone(), text),
        LoadedFile {
            file,
            documents: parsed.documents,
            outlined: false,
        },
        diagnostics,
    )
}

/// The byte ranges of the documents (text between `---` lines) that hold a template
/// expression which makes them something other than the YAML they will be once rendered: a
/// syntax error, or a mapping key that is a collection (`{{ .x }}: y` parses as a flow
/// mapping key). A `{{ }}` inside an ordinary string (an alert's description) is just text.
fn templated_documents(text: &str, parsed: &yaml::Parsed) -> Vec<std::ops::Range<u32>> {
    if !text.contains("{{") {
        return Vec::new();
    }
    document_chunks(text)
        .into_iter()
        .filter(|chunk| {
            let range = chunk.start as usize..chunk.end as usize;
            text.get(range).is_some_and(|part| part.contains("{{"))
                && (parsed
                    .errors
                    .iter()
                    .any(|error| chunk.contains(&error.span.start))
                    || parsed.documents.iter().any(|document| {
                        document.has_collection_key && chunk.contains(&document.root.span.start)
                    }))
        })
        .collect()
}

/// The text of each document: from one line starting with `---` to the next, as kubectl
/// splits a stream.
fn document_chunks(text: &str) -> Vec<std::ops::Range<u32>> {
    let offset = |at: usize| u32::try_from(at).unwrap_or(u32::MAX);
    let mut chunks = Vec::new();
    let mut start = 0;
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let is_separator = line
            .strip_prefix("---")
            .is_some_and(|rest| rest.chars().next().is_none_or(char::is_whitespace));
        if is_separator && line_start > start {
            chunks.push(offset(start)..offset(line_start));
            start = line_start;
        }
        line_start += line.len();
    }
    chunks.push(offset(start)..offset(text.len()));
    chunks
}

/// A note at the first `{{` of a skipped document.
fn template_expression_note(file: FileId, text: &str, chunk: &std::ops::Range<u32>) -> Diagnostic {
    let from = chunk.start as usize;
    let at = text
        .get(from..)
        .and_then(|rest| rest.find("{{"))
        .map_or(from, |found| from + found);
    Diagnostic::note(
        Code::TemplateExpression,
        Location::Span(Span::new(file, at, at + 2)),
        "this document holds a template expression (`{{ }}`) and is not YAML until rendered: it \
         is skipped, the file's other documents are checked",
    )
}

pub(crate) fn read_error(error: ReadError, location: Location, limits: LoadLimits) -> Diagnostic {
    match error {
        ReadError::TooLarge(size) => Diagnostic::error(
            Code::FileTooLarge,
            location,
            format!(
                "file is larger than the limit of {} bytes ({size} bytes or more)",
                limits.max_file_bytes
            ),
        ),
        ReadError::NotAFile => Diagnostic::error(
            Code::NotARegularFile,
            location,
            "not a regular file (a FIFO, socket or device is not read)",
        ),
        ReadError::Io(error) => Diagnostic::error(
            Code::UnreadableFile,
            location,
            format!("cannot read file: {error}"),
        ),
    }
}

/// UTF-8 (with or without a byte-order mark) is the only encoding Kubernetes tooling reads
/// reliably; anything else is reported with the position of the first bad byte.
fn decode(file: FileId, bytes: Vec<u8>) -> Result<String, (Diagnostic, String)> {
    let whole_file = Location::File(file);
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err((
            Diagnostic::error(
                Code::UnsupportedEncoding,
                whole_file,
                "file is UTF-16 encoded; save it as UTF-8",
            ),
            String::new(),
        ));
    }
    if let Some(nul) = memchr::memchr(0, &bytes) {
        let lossy = String::from_utf8_lossy(&bytes).into_owned();
        let at = Location::Span(Span::new(file, nul, nul));
        return Err((
            Diagnostic::error(
                Code::BinaryFile,
                at,
                "file contains a NUL byte: binary, not YAML",
            ),
            lossy,
        ));
    }
    String::from_utf8(bytes).map_err(|error| {
        let offset = error.utf8_error().valid_up_to();
        let lossy = String::from_utf8_lossy(error.as_bytes()).into_owned();
        let at = Location::Span(Span::new(file, offset, offset));
        (
            Diagnostic::error(Code::InvalidUtf8, at, "file is not valid UTF-8"),
            lossy,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(kind: InputKind) -> Input {
        Input {
            display: "x.yaml".into(),
            source: Source::Stdin,
            kind,
        }
    }

    fn codes(bytes: &[u8]) -> Vec<Code> {
        let (_, _, diagnostics) = load_one(
            FileId(0),
            &input(InputKind::Manifest),
            Ok(bytes.to_vec()),
            LoadLimits::default(),
        );
        diagnostics.iter().map(|d| d.code).collect()
    }

    #[test]
    fn bad_encodings_are_reported() {
        assert_eq!(codes(b"\xFF\xFEa\0"), [Code::UnsupportedEncoding]);
        assert_eq!(codes(b"a: \0"), [Code::BinaryFile]);
        assert_eq!(codes(b"a: \xC3\x28"), [Code::InvalidUtf8]);
        assert!(codes("\u{FEFF}a: b".as_bytes()).is_empty());
    }

    #[test]
    fn templates_are_noted_not_errors() {
        assert_eq!(
            codes(b"{{- if .Values.x }}\nkind: Pod\n{{- end }}\n"),
            [Code::TemplateExpression]
        );
        assert_eq!(
            codes(b"metadata:\n  name: {{ .Release.Name }}\n"),
            [Code::TemplateExpression]
        );
        // Go templates inside strings (alert descriptions) are ordinary text.
        assert!(codes(b"description: \"{{ $labels.pod }} is down\"\n").is_empty());
    }

    #[test]
    fn uninspected_objects_keep_their_identity_until_restored() {
        const TEXT: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n---\n\
             apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {}\n---\n\
             apiVersion: v1\nkind: List\nitems: []\n---\nreplicaCount: 3\n";
        let only_pods = |_: &str, kind: &str| kind == "Pod";
        let mut loaded = load_after(
            &Disk,
            SourceMap::default(),
            &[Input {
                source: Source::Memory(TEXT.as_bytes().into()),
                ..input(InputKind::Manifest)
            }],
            LoadLimits::default(),
            &only_pods,
        );
        let keys = |loaded: &Loaded, index: usize| -> Vec<String> {
            let root = &loaded.files[0].documents[index].root;
            root.as_map()
                .unwrap_or_default()
                .iter()
                .filter_map(|entry| entry.key.as_str().map(str::to_owned))
                .collect()
        };
        assert!(loaded.files[0].outlined);
        assert_eq!(keys(&loaded, 0), ["apiVersion", "kind", "metadata"]);
        assert_eq!(keys(&loaded, 1), ["apiVersion", "kind", "metadata", "spec"]);
        assert_eq!(keys(&loaded, 2), ["apiVersion", "kind", "items"]);
        assert!(loaded.files[0].documents[3].root.is_null());
        loaded.restore(&[FileId(0)], LoadLimits::default());
        assert!(!loaded.files[0].outlined);
        assert_eq!(keys(&loaded, 0), ["apiVersion", "kind", "metadata", "data"]);
        assert_eq!(keys(&loaded, 3), ["replicaCount"]);
    }

    #[test]
    fn size_limit_applies_to_streams() {
        let result = read_limited(&b"12345"[..], 4, 0);
        assert!(matches!(result, Err(ReadError::TooLarge(5))));
        let bytes = read_limited(&b"1234"[..], 4, 4).expect("within the limit");
        assert_eq!(bytes.capacity(), 4);
    }
}
