//! Helm's template engine, written here so that every byte of rendered output knows where it
//! came from.
//!
//! Why not a crate: the Rust ports of Go's `text/template` (`gtmpl`, `gtmpl-ng`) and the
//! Jinja-like engines return plain `String`s: once a value has been printed, nothing says
//! whether `latest` came from `values.yaml:12:8` or from a literal in `templates/x.yaml`, and
//! that is the point of rendering charts natively (findings at the values line or template
//! line that wrote them, which no other linter can give). They also do not reproduce Helm's
//! semantics closely enough (`float64` numbers, `missingkey=zero` and `<no value>`, Sprig's
//! typed parameters, go-yaml v2's `toYaml`). So the engine here carries [`text::Traced`]
//! strings through execution: template literals keep their spans, values keep the span of
//! the values-file node they were read from (through `default`, `quote`, `toYaml`, `indent`,
//! `nindent`, `tpl`, `include`, ...), and what an action computes maps to the action.
//!
//! Pieces: [`lex`] and [`parse`] (Go's template syntax, with positions), [`exec`] (the
//! executor, `include`, `tpl`), [`funcs`] (Go builtins, Sprig, Helm), [`format`] (Go's `fmt`),
//! [`yaml_out`] (`toYaml`/`fromYaml`), [`encode`] (JSON, base64, digests, dates, `.Files`),
//! [`semver`] (`semverCompare`), [`value`] (Go's dynamic values). Pure: no file system.

pub(crate) mod chart;
pub(crate) mod encode;
pub(crate) mod exec;
pub(crate) mod format;
pub(crate) mod funcs;
pub(crate) mod lex;
pub(crate) mod overrides;
pub(crate) mod parse;
pub(crate) mod polaris;
pub(crate) mod semver;
pub(crate) mod text;
pub(crate) mod toml;
pub(crate) mod value;
pub(crate) mod yaml_out;

#[cfg(test)]
mod tests;

use std::rc::Rc;

use parse::{Source, SourceOrigin};

/// The stack a chart render runs on: deep `include` nesting (up to Helm's 1000 per name)
/// recurses through the executor. Reserved, not committed, until used.
pub(crate) const STACK_SIZE: usize = 512 << 20;

/// Bounds on one render, reported as errors at the template position that hits them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// How often one name may be nested in `include`/`tpl` (Helm: 1000).
    pub(crate) max_include_depth: usize,
    /// Nesting of template executions (`template`, `include`, `tpl`) of any names.
    pub(crate) max_depth: usize,
    /// Bytes one render may write, summed over every buffer.
    pub(crate) max_output: usize,
    /// Items `until`/`untilStep`/`range N` and the `rand*` functions may produce.
    pub(crate) max_list: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_include_depth: 1000,
            max_depth: 1000 + 64,
            max_output: 64 << 20,
            max_list: 1 << 20,
        }
    }
}

/// A template parse or execution error at a byte offset of a template's text.
#[derive(Clone, Debug)]
pub(crate) struct TemplateError {
    pub(crate) pos: usize,
    pub(crate) message: String,
    pub(crate) source: Option<Rc<Source>>,
}

impl TemplateError {
    pub(crate) fn at(pos: usize, message: impl Into<String>) -> Self {
        TemplateError {
            pos,
            message: message.into(),
            source: None,
        }
    }

    /// The same error at another offset (parse errors found after the token moved on).
    pub(crate) fn moved(mut self, pos: usize) -> Self {
        self.pos = pos;
        self
    }

    /// Place the error in `source` unless it already names one (an inner template's error).
    pub(crate) fn in_source(mut self, source: &Rc<Source>) -> Self {
        if self.source.is_none() {
            self.source = Some(Rc::clone(source));
        }
        self
    }

    /// 1-based line and column (in characters) of the error in its template text.
    pub(crate) fn line_column(&self) -> (usize, usize) {
        let text = self
            .source
            .as_ref()
            .map(|source| &*source.text)
            .unwrap_or_default();
        let before = text.get(..self.pos.min(text.len())).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let column = before
            .rsplit('\n')
            .next()
            .unwrap_or_default()
            .chars()
            .count()
            + 1;
        (line, column)
    }

    /// Where the error is in the source map: the template file's offset, or, inside a `tpl`
    /// string, where that string was written.
    pub(crate) fn span(&self) -> Option<crate::source::Span> {
        let source = self.source.as_ref()?;
        match source.origin {
            SourceOrigin::File(file) => Some(crate::source::Span::new(file, self.pos, self.pos)),
            SourceOrigin::Value(origin) => origin.map(|origin| origin.span),
        }
    }
}

impl std::fmt::Display for TemplateError {
    /// Helm's form: `template: NAME:LINE:COL: MESSAGE`.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = self
            .source
            .as_ref()
            .map(|source| source.name.as_str())
            .unwrap_or("gotpl");
        let (line, column) = self.line_column();
        write!(
            formatter,
            "template: {name}:{line}:{column}: {}",
            self.message
        )
    }
}

/// Render one template text with a values document, as the only template of a chart named
/// `chart` (release `release-name`): the rendered text, or the error as Helm prints it.
/// For fuzzing the parser and executor, and for trying a template without a chart.
pub fn render_template(template: &str, values: &str) -> Result<String, String> {
    let work = || {
        let name = "chart/templates/template.yaml";
        let parsed = crate::yaml::parse(
            crate::source::FileId(1),
            values,
            crate::yaml::Limits::default(),
        );
        let values = parsed
            .documents
            .first()
            .map(|document| value::from_node(&document.root))
            .unwrap_or_else(value::Val::nil);
        let mut engine = exec::Engine::new(Limits::default());
        engine
            .add(name, template, SourceOrigin::File(crate::source::FileId(0)))
            .map_err(|error| error.to_string())?;
        let data = value::map_of(vec![
            ("Values", values),
            (
                "Template",
                value::map_of(vec![
                    ("Name", value::Val::str(name)),
                    ("BasePath", value::Val::str("chart/templates")),
                ]),
            ),
        ]);
        engine
            .render(name, &data)
            .map(|out| out.text)
            .map_err(|error| error.to_string())
    };
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(STACK_SIZE)
            .spawn_scoped(scope, work)
            .map_err(|error| error.to_string())?
            .join()
            .map_err(|_| "rendering panicked".to_string())?
    })
}
