//! The executor of Go's `text/template` as Helm runs it: `missingkey=zero` (a missing map key
//! is nil and prints `<no value>`, which Helm then deletes), variables scoped to their control
//! structure, `range` over lists, maps in sorted key order and integers (go1.22+), `break` and
//! `continue`, lazily evaluated `and`/`or`, and Helm's `include` and `tpl`, whose nesting is
//! bounded as Helm bounds it (a name may be nested 1000 times).
//!
//! Output is [`Traced`]: literal text keeps its template span, printed values keep the span
//! they were read from, and what an action computed maps to the action.

// Template and function names are hashed on every call: foldhash, not SipHash.
use foldhash::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use super::format::sprint_value;
use super::funcs;
use super::parse::{Arg, Command, List, Node, ParseOutcome, Pipe, Source, SourceOrigin, parse};
use super::text::{Origin, Traced};
use super::value::{Kind, Methods, Object, Val};
use super::{Limits, TemplateError};
use crate::source::{Span, lossy_utf8};

/// A named template: a file's top level, or a `define`/`block` body.
#[derive(Debug)]
pub(crate) struct Define {
    pub(crate) source: Rc<Source>,
    pub(crate) body: Arc<List>,
}

/// Every template of a render, by name, and the limits that bound executing them.
#[derive(Debug, Default)]
pub(crate) struct Engine {
    templates: HashMap<String, Rc<Define>>,
    limits: Limits,
    functions: funcs::Functions,
}

/// Helm's placeholder for nil, printed by Go and deleted from every rendered file.
const NO_VALUE: &str = "<no value>";

impl Engine {
    pub(crate) fn new(limits: Limits) -> Engine {
        Engine {
            templates: HashMap::default(),
            limits,
            functions: funcs::Functions::Helm,
        }
    }

    /// An engine whose templates call `functions`; with Polaris' set, `<no value>` is printed
    /// as Go prints it, not deleted as Helm deletes it.
    pub(crate) fn with_functions(limits: Limits, functions: funcs::Functions) -> Engine {
        Engine {
            functions,
            ..Engine::new(limits)
        }
    }

    /// Parse a template file and register it and its `define`s. As in Go, a later definition
    /// replaces an earlier one unless it is empty.
    pub(crate) fn add(
        &mut self,
        name: &str,
        text: &str,
        origin: SourceOrigin,
    ) -> Result<(), TemplateError> {
        let parsed = self.parser()(text);
        self.add_parsed(name, Arc::from(text), origin, &parsed)
    }

    /// How this engine parses a template; pure, so templates can be parsed on every core
    /// (an error is its offset and message until [`Engine::add_parsed`] places it).
    pub(crate) fn parser(&self) -> impl Fn(&str) -> ParseOutcome + Sync + use<> {
        let functions = self.functions;
        move |text| {
            parse(text, &|name| functions.defines(name)).map_err(|error| (error.pos, error.message))
        }
    }

    /// [`Engine::add`] with the template already parsed by [`Engine::parser`]; the text is
    /// shared, as every values set of a chart executes the same template files.
    pub(crate) fn add_parsed(
        &mut self,
        name: &str,
        text: Arc<str>,
        origin: SourceOrigin,
        parsed: &ParseOutcome,
    ) -> Result<(), TemplateError> {
        let source = Rc::new(Source {
            name: name.to_string(),
            text,
            origin,
        });
        let parsed = parsed.as_ref().map_err(|(pos, message)| {
            TemplateError::at(*pos, message.clone()).in_source(&source)
        })?;
        register(&mut self.templates, name.to_string(), &source, &parsed.root);
        for (define, body) in &parsed.defines {
            register(&mut self.templates, define.clone(), &source, body);
        }
        Ok(())
    }

    /// Execute the template `name` with `data` as dot, and delete `<no value>` as Helm does.
    pub(crate) fn render(&self, name: &str, data: &Val) -> Result<Traced, TemplateError> {
        let mut exec = Exec {
            engine: self,
            local: Vec::new(),
            nested: HashMap::default(),
            depth: 0,
            written: 0,
        };
        let define = self
            .templates
            .get(name)
            .cloned()
            .ok_or_else(|| TemplateError::at(0, format!("no template {name:?}")))?;
        let out = exec.run(&define, data)?;
        match self.functions {
            funcs::Functions::Helm => Ok(remove_all(out, NO_VALUE)),
            funcs::Functions::Polaris => Ok(out),
        }
    }
}

fn register(
    templates: &mut HashMap<String, Rc<Define>>,
    name: String,
    source: &Rc<Source>,
    body: &Arc<List>,
) {
    if templates.contains_key(&name) && is_blank(body, &source.text) {
        return;
    }
    let define = Define {
        source: Rc::clone(source),
        body: Arc::clone(body),
    };
    templates.insert(name, Rc::new(define));
}

/// Go's empty tree: nothing but whitespace text.
fn is_blank(list: &List, text: &str) -> bool {
    list.iter().all(|node| match node {
        Node::Text { start, end } => text
            .get(*start..*end)
            .is_some_and(|text| text.trim().is_empty()),
        _ => false,
    })
}

/// `text` without any occurrence of `pattern`, origins kept.
pub(crate) fn remove_all(text: Traced, pattern: &str) -> Traced {
    // A whole output is searched, once: memchr's vectorised search, not `str::contains`.
    let found: Vec<usize> = memchr::memmem::find_iter(text.text.as_bytes(), pattern).collect();
    if found.is_empty() {
        return text;
    }
    let mut out = Traced::default();
    let mut start = 0;
    for index in found {
        out.push_traced(&text.slice(start, index), None);
        start = index + pattern.len();
    }
    out.push_traced(&text.slice(start, text.text.len()), None);
    out
}

/// What a list's execution asks of the enclosing `range`.
enum Flow {
    Normal,
    Break,
    Continue,
}

/// The state of one render: `define`s added by `tpl`, nesting counts, the output budget.
pub(crate) struct Exec<'e> {
    engine: &'e Engine,
    local: Vec<HashMap<String, Rc<Define>>>,
    nested: HashMap<String, usize>,
    depth: usize,
    written: usize,
}

/// One template's execution: its source (for positions) and variables.
struct Frame<'s> {
    source: &'s Rc<Source>,
    vars: Vec<(String, Val)>,
}

impl Frame<'_> {
    fn origin(&self, start: usize, end: usize) -> Option<Origin> {
        match self.source.origin {
            SourceOrigin::File(file) => Some(Origin {
                span: Span::new(file, start, end),
                exact: true,
            }),
            SourceOrigin::Value(origin) => origin.map(|origin| Origin {
                exact: false,
                ..origin
            }),
        }
    }

    fn action_origin(&self, start: usize, end: usize) -> Option<Origin> {
        self.origin(start, end).map(|origin| Origin {
            exact: false,
            ..origin
        })
    }

    fn error(&self, pos: usize, message: impl Into<String>) -> TemplateError {
        TemplateError::at(pos, message).in_source(self.source)
    }

    fn variable(&self, name: &str) -> Option<&Val> {
        self.vars
            .iter()
            .rev()
            .find(|(var, _)| var == name)
            .map(|(_, value)| value)
    }
}

impl Exec<'_> {
    fn lookup(&self, name: &str) -> Option<Rc<Define>> {
        self.local
            .iter()
            .rev()
            .find_map(|defines| defines.get(name).cloned())
            .or_else(|| self.engine.templates.get(name).cloned())
    }

    fn run(&mut self, define: &Define, dot: &Val) -> Result<Traced, TemplateError> {
        self.depth += 1;
        if self.depth > self.engine.limits.max_depth {
            self.depth -= 1;
            let message = format!(
                "exceeded maximum template depth ({})",
                self.engine.limits.max_depth
            );
            return Err(TemplateError::at(0, message).in_source(&define.source));
        }
        let mut frame = Frame {
            source: &define.source,
            vars: vec![(String::new(), dot.clone())],
        };
        let mut out = Traced::default();
        let result = self.list(&mut frame, &define.body, dot, &mut out);
        self.depth -= 1;
        result.map(|_| out)
    }

    fn list(
        &mut self,
        frame: &mut Frame<'_>,
        list: &List,
        dot: &Val,
        out: &mut Traced,
    ) -> Result<Flow, TemplateError> {
        for node in list {
            match self.node(frame, node, dot, out)? {
                Flow::Normal => {}
                flow => return Ok(flow),
            }
        }
        Ok(Flow::Normal)
    }

    fn write(
        &mut self,
        frame: &Frame<'_>,
        pos: usize,
        out: &mut Traced,
        text: &Traced,
        fallback: Option<Origin>,
    ) -> Result<(), TemplateError> {
        self.count_written(frame, pos, text.len())?;
        out.push_traced(text, fallback);
        Ok(())
    }

    /// Count `len` more bytes of output against the limit.
    fn count_written(
        &mut self,
        frame: &Frame<'_>,
        pos: usize,
        len: usize,
    ) -> Result<(), TemplateError> {
        self.written = self.written.saturating_add(len);
        if self.written > self.engine.limits.max_output {
            let message = format!(
                "rendered output exceeds {} bytes",
                self.engine.limits.max_output
            );
            return Err(frame.error(pos, message));
        }
        Ok(())
    }

    fn node(
        &mut self,
        frame: &mut Frame<'_>,
        node: &Node,
        dot: &Val,
        out: &mut Traced,
    ) -> Result<Flow, TemplateError> {
        match node {
            Node::Text { start, end } => {
                let text = frame.source.text.get(*start..*end).unwrap_or_default();
                self.count_written(frame, *start, text.len())?;
                out.push(text, frame.origin(*start, *end));
            }
            Node::Action { pipe } => {
                let value = self.pipe(frame, pipe, dot)?;
                if pipe.vars.is_empty() {
                    let fallback = frame.action_origin(pipe.pos, pipe.end);
                    let printed = printed(&value, fallback);
                    self.write(frame, pipe.pos, out, &printed, fallback)?;
                }
            }
            Node::If(control) | Node::With(control) => {
                let mark = frame.vars.len();
                let value = self.pipe(frame, &control.pipe, dot)?;
                let is_with = matches!(node, Node::With(_));
                let flow = if value.truthy() {
                    let inner = if is_with { value } else { dot.clone() };
                    self.list(frame, &control.body, &inner, out)?
                } else {
                    self.list(frame, &control.otherwise, dot, out)?
                };
                frame.vars.truncate(mark);
                return Ok(flow);
            }
            Node::Range(control) => return self.range(frame, control, dot, out),
            Node::Template { pos, name, pipe } => {
                let value = match pipe {
                    Some(pipe) => self.pipe(frame, pipe, dot)?,
                    None => Val::nil(),
                };
                let define = self
                    .lookup(name)
                    .ok_or_else(|| frame.error(*pos, format!("no such template {name:?}")))?;
                let text = self.run(&define, &value)?;
                self.write(frame, *pos, out, &text, None)?;
            }
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn range(
        &mut self,
        frame: &mut Frame<'_>,
        control: &super::parse::Control,
        dot: &Val,
        out: &mut Traced,
    ) -> Result<Flow, TemplateError> {
        let pipe = &control.pipe;
        let mark = frame.vars.len();
        let value = self.pipe_value(frame, pipe, dot)?;
        let items: Vec<(Val, Val)> = match &value.kind {
            Kind::List(items) => items
                .iter()
                .enumerate()
                .map(|(index, item)| (Val::int(index as i64), item.clone()))
                .collect(),
            Kind::Map(map) => map
                .borrow()
                .iter()
                .map(|(key, slot)| {
                    (
                        Val::str(key.clone()).with_origin(slot.key),
                        slot.value.clone(),
                    )
                })
                .collect(),
            Kind::Object(object) => object_items(object),
            Kind::Int(count, _) => {
                if pipe.vars.len() > 1 {
                    return Err(frame.error(
                        pipe.pos,
                        format!("can't use {count} to iterate over more than one variable"),
                    ));
                }
                if *count > self.engine.limits.max_list as i64 {
                    return Err(frame.error(
                        pipe.pos,
                        format!(
                            "range over {count} exceeds {} iterations",
                            self.engine.limits.max_list
                        ),
                    ));
                }
                (0..(*count).max(0))
                    .map(|index| (Val::int(index), Val::int(index)))
                    .collect()
            }
            Kind::Nil => Vec::new(),
            _ => {
                return Err(frame.error(
                    pipe.pos,
                    format!("range can't iterate over {}", sprint_value(&value)),
                ));
            }
        };
        if items.is_empty() {
            let flow = self.list(frame, &control.otherwise, dot, out)?;
            frame.vars.truncate(mark);
            return Ok(flow);
        }
        for (key, item) in items {
            frame.vars.truncate(mark);
            match pipe.vars.as_slice() {
                [element] => self.bind(frame, pipe, element, item.clone()),
                [index, element] => {
                    self.bind(frame, pipe, index, key);
                    self.bind(frame, pipe, element, item.clone());
                }
                _ => {}
            }
            let flow = self.list(frame, &control.body, &item, out)?;
            frame.vars.truncate(mark);
            if let Flow::Break = flow {
                break;
            }
        }
        frame.vars.truncate(mark);
        Ok(Flow::Normal)
    }

    fn bind(&self, frame: &mut Frame<'_>, pipe: &Pipe, name: &str, value: Val) {
        if pipe.assign {
            if let Some(slot) = frame.vars.iter_mut().rev().find(|(var, _)| var == name) {
                slot.1 = value;
            }
        } else {
            frame.vars.push((name.to_string(), value));
        }
    }

    /// A pipeline's value, declaring or assigning its variables.
    fn pipe(
        &mut self,
        frame: &mut Frame<'_>,
        pipe: &Pipe,
        dot: &Val,
    ) -> Result<Val, TemplateError> {
        let value = self.pipe_value(frame, pipe, dot)?;
        for name in &pipe.vars {
            self.bind(frame, pipe, name, value.clone());
        }
        Ok(value)
    }

    fn pipe_value(
        &mut self,
        frame: &mut Frame<'_>,
        pipe: &Pipe,
        dot: &Val,
    ) -> Result<Val, TemplateError> {
        let mut last: Option<Val> = None;
        for command in &pipe.commands {
            last = Some(self.command(frame, command, dot, last)?);
        }
        Ok(last.unwrap_or_else(Val::nil))
    }

    fn command(
        &mut self,
        frame: &mut Frame<'_>,
        command: &Command,
        dot: &Val,
        last: Option<Val>,
    ) -> Result<Val, TemplateError> {
        let Some((first, rest)) = command.args.split_first() else {
            return Ok(Val::nil());
        };
        let pos = command.pos;
        let source = Rc::clone(frame.source);
        let at = |error: String| executing(&source, pos, first, error);
        match first {
            Arg::Function(name) => {
                if matches!(name.as_str(), "and" | "or") {
                    return self.and_or(frame, name == "and", rest, dot, last, pos);
                }
                let mut args = Vec::with_capacity(rest.len() + 1);
                for arg in rest {
                    args.push(self.arg(frame, arg, dot, pos)?);
                }
                args.extend(last);
                self.call(frame, name, args, pos)
                    .map_err(|error| match error {
                        Failure::Message(message) => at(message),
                        Failure::Template(error) => error,
                    })
            }
            Arg::Field(names) => {
                let args = self.args(frame, rest, dot, last, pos)?;
                fields(dot.clone(), names, args, &|message| at(message))
            }
            Arg::Variable(name, names) => {
                let value = frame
                    .variable(name)
                    .cloned()
                    .ok_or_else(|| at(format!("undefined variable: ${name}")))?;
                let args = self.args(frame, rest, dot, last, pos)?;
                fields(value, names, args, &|message| at(message))
            }
            Arg::Pipe(pipe, names) => {
                let value = self.pipe_value(frame, pipe, dot)?;
                let args = self.args(frame, rest, dot, last, pos)?;
                if names.is_empty() && !args.is_empty() {
                    return Err(at("can't give argument to non-function".into()));
                }
                fields(value, names, args, &|message| at(message))
            }
            Arg::Nil => Err(at("nil is not a command".into())),
            constant => {
                if !rest.is_empty() || last.is_some() {
                    return Err(at(format!(
                        "can't give argument to non-function {}",
                        constant.describe()
                    )));
                }
                self.arg(frame, constant, dot, pos)
            }
        }
    }

    fn args(
        &mut self,
        frame: &mut Frame<'_>,
        rest: &[Arg],
        dot: &Val,
        last: Option<Val>,
        pos: usize,
    ) -> Result<Vec<Val>, TemplateError> {
        let mut args = Vec::with_capacity(rest.len() + 1);
        for arg in rest {
            args.push(self.arg(frame, arg, dot, pos)?);
        }
        args.extend(last);
        Ok(args)
    }

    /// Go 1.18+: `and`/`or` evaluate arguments only until the result is known.
    fn and_or(
        &mut self,
        frame: &mut Frame<'_>,
        is_and: bool,
        rest: &[Arg],
        dot: &Val,
        last: Option<Val>,
        pos: usize,
    ) -> Result<Val, TemplateError> {
        let name = if is_and { "and" } else { "or" };
        if rest.is_empty() && last.is_none() {
            return Err(frame.error(
                pos,
                format!("wrong number of args for {name}: want at least 1 got 0"),
            ));
        }
        let mut value = Val::nil();
        for arg in rest {
            value = self.arg(frame, arg, dot, pos)?;
            if value.truthy() != is_and {
                return Ok(value);
            }
        }
        Ok(last.unwrap_or(value))
    }

    fn arg(
        &mut self,
        frame: &mut Frame<'_>,
        arg: &Arg,
        dot: &Val,
        pos: usize,
    ) -> Result<Val, TemplateError> {
        match arg {
            Arg::Dot => Ok(dot.clone()),
            Arg::Nil => Ok(Val::nil()),
            Arg::Bool(flag) => Ok(Val::bool(*flag)),
            Arg::Str(text) => Ok(Val::str(text.clone())),
            Arg::Number(text) => number(text)
                .ok_or_else(|| frame.error(pos, format!("illegal number syntax: {text:?}"))),
            Arg::Field(_) | Arg::Variable(..) | Arg::Function(_) | Arg::Pipe(..) => {
                self.operand(frame, arg, dot, pos)
            }
        }
    }

    /// A field, variable, parenthesized pipeline or function named as an argument.
    fn operand(
        &mut self,
        frame: &mut Frame<'_>,
        arg: &Arg,
        dot: &Val,
        pos: usize,
    ) -> Result<Val, TemplateError> {
        let source = Rc::clone(frame.source);
        let at = |message: String| executing(&source, pos, arg, message);
        match arg {
            Arg::Field(names) => fields(dot.clone(), names, Vec::new(), &at),
            Arg::Variable(name, names) => {
                let value = frame.variable(name).cloned().unwrap_or_else(Val::nil);
                fields(value, names, Vec::new(), &at)
            }
            Arg::Pipe(pipe, names) => {
                let value = self.pipe_value(frame, pipe, dot)?;
                fields(value, names, Vec::new(), &at)
            }
            Arg::Function(name) => {
                self.call(frame, name, Vec::new(), pos)
                    .map_err(|error| match error {
                        Failure::Message(message) => at(message),
                        Failure::Template(error) => error,
                    })
            }
            _ => Ok(Val::nil()),
        }
    }

    fn call(
        &mut self,
        frame: &Frame<'_>,
        name: &str,
        args: Vec<Val>,
        pos: usize,
    ) -> Result<Val, Failure> {
        funcs::check_arity(name, args.len()).map_err(Failure::Message)?;
        let args = self.engine.functions.arguments(name, args);
        match name {
            "include" => self.include(&args).map(Val::traced),
            "tpl" => self.tpl(frame, &args, pos).map(Val::traced),
            _ => {
                let inputs = input_spans(frame, &args);
                let result =
                    funcs::call(name, args, &self.engine.limits).map_err(Failure::Message)?;
                Ok(with_inputs(result, inputs))
            }
        }
    }

    /// Helm's `include`: a named template's output as a string, nesting bounded per name.
    fn include(&mut self, args: &[Val]) -> Result<Traced, Failure> {
        let name = funcs::string_arg(args, 0)?;
        let data = args.get(1).cloned().unwrap_or_else(Val::nil);
        let define = self.lookup(&name).ok_or_else(|| {
            Failure::Message(format!(
                "template: no template {name:?} associated with template \"gotpl\""
            ))
        })?;
        self.nest(&name, |exec| {
            exec.run(&define, &data).map_err(Failure::Template)
        })
    }

    fn nest<T>(
        &mut self,
        name: &str,
        work: impl FnOnce(&mut Self) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        // The name is copied only the first time it nests.
        match self.nested.get_mut(name) {
            Some(count) if *count > self.engine.limits.max_include_depth => {
                return Err(Failure::Message(format!(
                    "rendering template has a nested reference name: {name}: unable to execute template"
                )));
            }
            Some(count) => *count += 1,
            None => {
                self.nested.insert(name.to_string(), 1);
            }
        }
        let result = work(self);
        if let Some(count) = self.nested.get_mut(name) {
            *count -= 1;
        }
        result
    }

    /// Helm's `tpl`: a string parsed as a template (its `define`s local to it) and executed
    /// with the given values; `<no value>` deleted from its output.
    fn tpl(&mut self, frame: &Frame<'_>, args: &[Val], pos: usize) -> Result<Traced, Failure> {
        let text = funcs::traced_arg(args, 0)?;
        let data = args.get(1).cloned().unwrap_or_else(Val::nil);
        if !matches!(data.kind, Kind::Map(_)) {
            return Err(Failure::Message(format!(
                "wrong type for value; expected chartutil.Values; got {}",
                data.type_name()
            )));
        }
        let name = data
            .get("Template")
            .and_then(|template| template.get("Name"))
            .and_then(|name| name.as_str().map(str::to_string))
            .unwrap_or_else(|| frame.source.name.clone());
        let origin = text
            .first_origin()
            .or_else(|| frame.action_origin(pos, pos));
        let source = Rc::new(Source {
            name: name.clone(),
            text: Arc::from(text.text.as_str()),
            origin: SourceOrigin::Value(origin),
        });
        let parsed = parse(&source.text, &funcs::is_function)
            .map_err(|error| Failure::Template(error.in_source(&source)))?;
        let mut defines = HashMap::default();
        for (define, body) in &parsed.defines {
            register(&mut defines, define.clone(), &source, body);
        }
        let root = Define {
            source: Rc::clone(&source),
            body: parsed.root,
        };
        self.local.push(defines);
        let result = self.nest(&name, |exec| {
            exec.run(&root, &data).map_err(Failure::Template)
        });
        self.local.pop();
        let out = result?;
        let mut out = remove_all(out, NO_VALUE);
        // A `tpl` string with no actions is the value itself: keep its exact origins.
        if !text.text.contains("{{") {
            out = text;
        }
        Ok(out)
    }
}

/// Why a function call failed: a message to place at the call, or an error already placed
/// (inside an `include`d template).
pub(crate) enum Failure {
    Message(String),
    Template(TemplateError),
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::Message(message)
    }
}

/// Go's error form for a failed command: `executing "NAME" at <ARG>: MESSAGE`.
fn executing(source: &Rc<Source>, pos: usize, arg: &Arg, message: String) -> TemplateError {
    let text = format!(
        "executing {:?} at <{}>: {message}",
        source.name,
        arg.describe()
    );
    TemplateError::at(pos, text).in_source(source)
}

/// Where the arguments of a function call were written, outside the template calling it (a
/// literal format string is part of the action, not an input): values' spans, and the inputs
/// of strings computed from values.
fn input_spans(frame: &Frame<'_>, args: &[Val]) -> Vec<Span> {
    let own_file = match frame.source.origin {
        SourceOrigin::File(file) => Some(file),
        SourceOrigin::Value(_) => None,
    };
    let mut spans: Vec<Span> = Vec::new();
    for arg in args {
        let found: Vec<Span> = match &arg.kind {
            Kind::Str(text) => text
                .segments
                .iter()
                .map(|segment| segment.origin.span)
                .chain(
                    text.inputs
                        .iter()
                        .flat_map(|inputs| inputs.origins.iter().copied()),
                )
                .collect(),
            _ => arg.origin.map(|origin| origin.span).into_iter().collect(),
        };
        for span in found {
            if Some(span.file) != own_file && !spans.contains(&span) {
                spans.push(span);
            }
        }
    }
    spans
}

/// A string a function computed without keeping any origin of its own, marked as computed from
/// `inputs`; any other result as it is.
fn with_inputs(result: Val, inputs: Vec<Span>) -> Val {
    match &result.kind {
        Kind::Str(text)
            if result.origin.is_none()
                && text.segments.is_empty()
                && text.inputs.is_empty()
                && !inputs.is_empty() =>
        {
            Val::traced(Traced::computed(text.text.clone(), inputs))
        }
        _ => result,
    }
}

/// What `{{ value }}` prints (`<no value>` for nil), with its origin.
fn printed(value: &Val, fallback: Option<Origin>) -> Traced {
    match &value.kind {
        Kind::Nil => Traced::plain(NO_VALUE),
        Kind::Str(text) => {
            let mut out = Traced::default();
            out.push_traced(text, value.origin.or(fallback));
            out
        }
        _ => {
            let origin = value.origin.map(|origin| Origin {
                exact: false,
                ..origin
            });
            Traced::from_origin(sprint_value(value), origin.or(fallback))
        }
    }
}

fn object_items(object: &Object) -> Vec<(Val, Val)> {
    match &object.methods {
        Methods::ApiVersions(versions) => versions
            .iter()
            .enumerate()
            .map(|(index, version)| (Val::int(index as i64), Val::str(version.clone())))
            .collect(),
        Methods::Files(files) => files
            .iter()
            .map(|(name, bytes)| (Val::str(name.clone()), Val::str(lossy_utf8(bytes))))
            .collect(),
        Methods::None | Methods::KubeVersion => Vec::new(),
    }
}

/// Walk `names` from `value`; the last name receives `args` if it is a method.
///
/// Go tells two nils apart: a pipeline's, variable's or dot's nil is an invalid value, and a
/// field of it is quietly nil again (the `(.Values.a).b` idiom); a nil read from a map inside
/// the chain is a nil interface, and a field of it is an error.
fn fields(
    value: Val,
    names: &[String],
    args: Vec<Val>,
    at: &dyn Fn(String) -> TemplateError,
) -> Result<Val, TemplateError> {
    if value.is_nil() {
        return Ok(value);
    }
    let mut value = value;
    let mut args = Some(args);
    for (index, name) in names.iter().enumerate() {
        let is_last = index + 1 == names.len();
        let call_args = if is_last {
            args.take().unwrap_or_default()
        } else {
            Vec::new()
        };
        value = field(&value, name, call_args).map_err(at)?;
    }
    if args.is_some_and(|args| !args.is_empty()) {
        return Err(at(format!(
            "can't give argument to non-function {}",
            sprint_value(&value)
        )));
    }
    Ok(value)
}

fn field(receiver: &Val, name: &str, args: Vec<Val>) -> Result<Val, String> {
    match &receiver.kind {
        Kind::Map(map) => {
            if !args.is_empty() {
                return Err(format!("{name} is not a method but has arguments"));
            }
            Ok(map
                .borrow()
                .get(name)
                .map(|slot| slot.value.clone())
                .unwrap_or_else(Val::nil))
        }
        Kind::Object(object) => {
            if let Some((_, value)) = object.fields.iter().find(|(field, _)| *field == name) {
                if !args.is_empty() {
                    return Err(format!(
                        "{name} has arguments but cannot be invoked as function"
                    ));
                }
                return Ok(value.clone());
            }
            funcs::method(object, name, &args).unwrap_or_else(|| {
                Err(format!(
                    "can't evaluate field {name} in type {}",
                    object.type_name
                ))
            })
        }
        Kind::Nil => Err(format!("nil pointer evaluating interface {{}}.{name}")),
        _ => Err(format!(
            "can't evaluate field {name} in type {}",
            receiver.type_name()
        )),
    }
}

/// A number constant as Go's template parser types it for an `interface{}` argument: a
/// character or an integer is `int`, anything with a point or exponent `float64`.
fn number(text: &str) -> Option<Val> {
    if let Some(inner) = text
        .strip_prefix('\'')
        .and_then(|rest| rest.strip_suffix('\''))
    {
        let ch = match inner.strip_prefix('\\') {
            Some(_) => super::lex::unquote(inner)?.chars().next()?,
            None => inner.chars().next()?,
        };
        return Some(Val::int(ch as i64));
    }
    let clean = text.replace('_', "");
    let (negative, digits) = match clean.strip_prefix('-') {
        Some(rest) => (true, rest.to_string()),
        None => (false, clean.trim_start_matches('+').to_string()),
    };
    let lower = digits.to_ascii_lowercase();
    let radix = [("0x", 16), ("0o", 8), ("0b", 2)]
        .iter()
        .find(|(prefix, _)| lower.starts_with(prefix))
        .map(|&(prefix, radix)| {
            (
                lower.get(prefix.len()..).unwrap_or_default().to_string(),
                radix,
            )
        });
    let integer = match radix {
        Some((body, radix)) => i64::from_str_radix(&body, radix).ok(),
        None if lower.len() > 1
            && lower.starts_with('0')
            && lower.bytes().all(|b| b.is_ascii_digit()) =>
        {
            i64::from_str_radix(&lower, 8).ok()
        }
        None => lower.parse::<i64>().ok(),
    };
    if let Some(integer) = integer {
        return Some(Val::int(if negative { -integer } else { integer }));
    }
    if lower.starts_with("0x") || !lower.bytes().any(|b| matches!(b, b'.' | b'e')) {
        return None;
    }
    let float: f64 = lower.parse().ok()?;
    Some(Val::float(if negative { -float } else { float }))
}
