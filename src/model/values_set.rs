//! A values set: one more render of a chart that the configuration's `charts:` entries name,
//! with its own values files, `set` values, release and capabilities, as `helm template -f …
//! --set … --namespace … --kube-version … --api-versions …` would render it. Configuration
//! maps it, load reads its values files, render renders it.
//!
//! `set` values are written in Helm's `--set` syntax and read here as helm v3.17.1's
//! `pkg/strvals` parser reads them: `a.b=c` nests maps, `a[0].b=c` indexes lists (growing
//! them with nulls), `a={x,y}` is a list, `\` escapes the next character, several
//! assignments are separated by commas. Values are typed as `strvals.typedVal` types them:
//! `true`/`false`/`null` in any case, integers (not starting with `0`, except `0` itself) as
//! `int64`, anything else a string. Where Helm's parser needs the values it writes into (a key
//! that already holds a string cannot be nested into), render applies the assignments and
//! reports the conflict.

use crate::source::{FileId, Span};

/// Deepest `a.b.c` nesting Helm's parser accepts (`MaxNestedNameLevel`).
const MAX_NESTED_NAME_LEVEL: usize = 30;
/// Largest list index Helm's parser accepts (`MaxIndex`).
pub const MAX_INDEX: usize = 65536;

/// One values set of one chart, ready to render.
#[derive(Clone, Debug)]
pub struct ValuesSet {
    /// How findings name it (`values set prod`).
    pub name: String,
    /// The set's entry in the configuration file.
    pub span: Span,
    /// Its values files, in order (later ones win, as `-f` files do).
    pub values_files: Vec<FileId>,
    /// Its `set` values, in order, applied after the values files.
    pub set: Vec<Assignment>,
    /// `.Release.Name` (default `release-name`).
    pub release_name: Option<String>,
    /// `.Release.Namespace` (default `default`).
    pub namespace: Option<String>,
    /// `.Capabilities.KubeVersion` as written, and where (`--kube-version`).
    pub kube_version: Option<(String, Span)>,
    /// API versions added to `.Capabilities.APIVersions` (`--api-versions`).
    pub api_versions: Vec<String>,
}

/// One `path=value` of a `set` entry, with the configuration text that wrote it.
#[derive(Clone, Debug, PartialEq)]
pub struct Assignment {
    pub path: Vec<Step>,
    pub value: SetValue,
    pub span: Span,
}

/// A step of an assignment's path: a map key or a list index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// A value as Helm's `typedVal` types it.
#[derive(Clone, Debug, PartialEq)]
pub enum SetValue {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    List(Vec<SetValue>),
}

/// The assignments of one `--set` argument written at `span`, or Helm's error message. When
/// the argument's text is written verbatim in the file from byte `verbatim_at` on (a scalar
/// without escapes), each assignment's span is its value's text; otherwise `span`.
pub fn parse_set(
    text: &str,
    span: Span,
    verbatim_at: Option<u32>,
) -> Result<Vec<Assignment>, String> {
    let mut offsets: Vec<usize> = text.char_indices().map(|(offset, _)| offset).collect();
    offsets.push(text.len());
    let mut parser = Parser {
        chars: text.chars().collect(),
        offsets,
        at: 0,
        span,
        verbatim_at,
        value_end: 0,
        assignments: Vec::new(),
    };
    loop {
        match parser.key(Vec::new(), 0) {
            Ok(()) => continue,
            Err(Stop::End) => return Ok(parser.assignments),
            Err(Stop::Error(message)) => return Err(message),
        }
    }
}

/// Why the parser stopped: the end of the text (not an error, as Go's `io.EOF`) or an error.
enum Stop {
    End,
    Error(String),
}

type Parsed<T> = Result<T, Stop>;

fn error<T>(message: String) -> Parsed<T> {
    Err(Stop::Error(message))
}

struct Parser {
    chars: Vec<char>,
    /// The byte offset of each character, and the text's length.
    offsets: Vec<usize>,
    at: usize,
    span: Span,
    verbatim_at: Option<u32>,
    /// Where the value [`Parser::value`] read last ends (a character index).
    value_end: usize,
    assignments: Vec<Assignment>,
}

impl Parser {
    fn next(&mut self) -> Option<char> {
        let next = self.chars.get(self.at).copied();
        if next.is_some() {
            self.at += 1;
        }
        next
    }

    /// The text up to one of `stop` (consumed and returned), `\` escaping the next character;
    /// `None` as the stop at the end.
    fn until(&mut self, stop: &[char]) -> (String, Option<char>) {
        let mut text = String::new();
        loop {
            match self.next() {
                None => return (text, None),
                Some(c) if stop.contains(&c) => return (text, Some(c)),
                Some('\\') => match self.next() {
                    Some(escaped) => text.push(escaped),
                    None => return (text, None),
                },
                Some(c) => text.push(c),
            }
        }
    }

    /// Record an assignment of the value written at characters `start..end`.
    fn assign(&mut self, path: Vec<Step>, value: SetValue, start: usize, end: usize) {
        let byte = |index: usize| self.offsets.get(index).copied().unwrap_or_default();
        let span = match self.verbatim_at {
            Some(base) if start < end => Span::new(
                self.span.file,
                base as usize + byte(start),
                base as usize + byte(end),
            ),
            _ => self.span,
        };
        self.assignments.push(Assignment { path, value, span });
    }

    /// Helm's `parser.key`: one key, then what follows it.
    fn key(&mut self, mut path: Vec<Step>, level: usize) -> Parsed<()> {
        let (key, last) = self.until(&['=', '[', ',', '.']);
        match last {
            None if key.is_empty() => Err(Stop::End),
            None => error(format!("key {key:?} has no value")),
            Some('[') => {
                let index = self.index()?;
                path.push(Step::Key(key));
                path.push(Step::Index(index));
                self.list_item(path, level)
            }
            Some('=') => {
                path.push(Step::Key(key));
                let start = self.at;
                let value = self.value();
                match value {
                    Ok(value) => {
                        self.assign(path, value, start, self.value_end);
                        Ok(())
                    }
                    Err(Stop::End) => {
                        self.assign(path, SetValue::Str(String::new()), start, start);
                        Err(Stop::End)
                    }
                    Err(stop) => Err(stop),
                }
            }
            Some(',') => error(format!("key {key:?} has no value (cannot end with ,)")),
            _ => {
                let level = level + 1;
                if level > MAX_NESTED_NAME_LEVEL {
                    return error(format!(
                        "value name nested level is greater than maximum supported nested level of {MAX_NESTED_NAME_LEVEL}"
                    ));
                }
                let before = self.assignments.len();
                path.push(Step::Key(key.clone()));
                let result = self.key(path, level);
                let empty_key = self.assignments.get(before..).is_some_and(|added| {
                    added.len() == 1
                        && added
                            .first()
                            .and_then(|assignment| assignment.path.last())
                            .is_some_and(|step| *step == Step::Key(String::new()))
                });
                if result.is_ok() && empty_key {
                    return error(format!("key map {key:?} has no value"));
                }
                result
            }
        }
    }

    /// `N]` after a `[`.
    fn index(&mut self) -> Parsed<usize> {
        let (text, last) = self.until(&[']']);
        if last.is_none() {
            return Err(Stop::End);
        }
        let index: i64 = text.parse().map_err(|_| {
            Stop::Error(format!(
                "error parsing index: strconv.Atoi: parsing {text:?}: invalid syntax"
            ))
        })?;
        if index < 0 {
            return error(format!("negative {index} index not allowed"));
        }
        let index = usize::try_from(index).unwrap_or(usize::MAX);
        if index > MAX_INDEX {
            return error(format!(
                "index of {index} is greater than maximum supported index of {MAX_INDEX}"
            ));
        }
        Ok(index)
    }

    /// Helm's `parser.listItem`: what follows `[N]`.
    fn list_item(&mut self, mut path: Vec<Step>, level: usize) -> Parsed<()> {
        let (text, last) = self.until(&['[', '.', '=']);
        if !text.is_empty() {
            return error(format!("unexpected data at end of array index: {text:?}"));
        }
        match last {
            None => Err(Stop::End),
            Some('=') => {
                let start = self.at;
                let value = match self.value() {
                    Ok(value) => value,
                    Err(Stop::End) => {
                        self.value_end = start;
                        SetValue::Str(String::new())
                    }
                    Err(stop) => return Err(stop),
                };
                self.assign(path, value, start, self.value_end);
                Ok(())
            }
            Some('[') => {
                let index = self.index()?;
                path.push(Step::Index(index));
                self.list_item(path, level)
            }
            _ => self.key(path, level),
        }
    }

    /// After `=`: a `{a,b}` list or a value up to the next comma; `End` when nothing follows.
    fn value(&mut self) -> Parsed<SetValue> {
        match self.chars.get(self.at) {
            None => Err(Stop::End),
            Some('{') => {
                self.at += 1;
                self.list()
            }
            Some(_) => {
                let (text, last) = self.until(&[',']);
                self.value_end = if last.is_some() { self.at - 1 } else { self.at };
                Ok(typed(&text))
            }
        }
    }

    fn list(&mut self) -> Parsed<SetValue> {
        let mut items = Vec::new();
        loop {
            let (text, last) = self.until(&[',', '}']);
            match last {
                None => return error("list must terminate with '}'".to_owned()),
                Some('}') => {
                    self.value_end = self.at;
                    if self.chars.get(self.at) == Some(&',') {
                        self.at += 1;
                    }
                    items.push(typed(&text));
                    return Ok(SetValue::List(items));
                }
                _ => items.push(typed(&text)),
            }
        }
    }
}

/// Helm's `typedVal`.
fn typed(text: &str) -> SetValue {
    if text.eq_ignore_ascii_case("true") {
        return SetValue::Bool(true);
    }
    if text.eq_ignore_ascii_case("false") {
        return SetValue::Bool(false);
    }
    if text.eq_ignore_ascii_case("null") {
        return SetValue::Null;
    }
    if text == "0" {
        return SetValue::Int(0);
    }
    if !text.is_empty()
        && !text.starts_with('0')
        && let Ok(number) = text.parse::<i64>()
    {
        return SetValue::Int(number);
    }
    SetValue::Str(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Vec<(Vec<Step>, SetValue)> {
        parse_set(text, Span::new(FileId(0), 0, 0), None)
            .unwrap_or_else(|message| panic!("{text}: {message}"))
            .into_iter()
            .map(|assignment| (assignment.path, assignment.value))
            .collect()
    }

    fn key(name: &str) -> Step {
        Step::Key(name.to_owned())
    }

    fn text(value: &str) -> SetValue {
        SetValue::Str(value.to_owned())
    }

    #[test]
    fn paths_nest_maps_and_index_lists() {
        assert_eq!(
            parsed("a.b=c,list[1].name=x,m[0][2]=y"),
            [
                (vec![key("a"), key("b")], text("c")),
                (vec![key("list"), Step::Index(1), key("name")], text("x")),
                (vec![key("m"), Step::Index(0), Step::Index(2)], text("y")),
            ]
        );
    }

    #[test]
    fn values_are_typed_as_helm_types_them() {
        let values: Vec<SetValue> = parsed("a=TRUE,b=null,c=0,d=012,e=-3,f=1.5,g=,h={x,2}")
            .into_iter()
            .map(|(_, value)| value)
            .collect();
        assert_eq!(
            values,
            [
                SetValue::Bool(true),
                SetValue::Null,
                SetValue::Int(0),
                text("012"),
                SetValue::Int(-3),
                text("1.5"),
                text(""),
                SetValue::List(vec![text("x"), SetValue::Int(2)]),
            ]
        );
    }

    #[test]
    fn backslashes_escape_commas_dots_and_braces() {
        assert_eq!(
            parsed(r"ann.example\.com/x=a\,b,l=\{x}"),
            [
                (vec![key("ann"), key("example.com/x")], text("a,b")),
                (vec![key("l")], text("{x}")),
            ]
        );
    }

    #[test]
    fn values_written_verbatim_are_placed_exactly() {
        let text = r"a=one,b={x,y},c=é\,d,e=";
        let spans: Vec<(usize, usize)> = parse_set(text, Span::new(FileId(0), 0, 99), Some(10))
            .unwrap()
            .into_iter()
            .map(|assignment| (assignment.span.start as usize, assignment.span.end as usize))
            .collect();
        let at = |value: &str| {
            let start = 10 + text.find(value).unwrap();
            (start, start + value.len())
        };
        assert_eq!(spans, [at("one"), at("{x,y}"), at(r"é\,d"), (0, 99)]);
    }

    #[test]
    fn helm_errors_are_kept() {
        let error = |text: &str| parse_set(text, Span::new(FileId(0), 0, 0), None).unwrap_err();
        assert_eq!(error("a"), "key \"a\" has no value");
        assert_eq!(error("a,b=1"), "key \"a\" has no value (cannot end with ,)");
        assert_eq!(error("a={x,y"), "list must terminate with '}'");
        assert_eq!(error("a[-1]=x"), "negative -1 index not allowed");
        assert_eq!(
            error("a[x]=1"),
            "error parsing index: strconv.Atoi: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            error("a[0]b=1"),
            "unexpected data at end of array index: \"b\""
        );
        assert_eq!(error("a.=1"), "key map \"a\" has no value");
        assert!(error("a[65537]=1").contains("maximum supported index"));
    }
}
