//! The parser of Go's `text/template`: the tree of a template file with the byte offset of
//! every node, `define`/`block` bodies collected by name, `else if`/`else with` chains, and the
//! checks Go makes while parsing (unknown functions, undefined variables, `break` outside
//! `range`, misplaced `end`/`else`).

use std::sync::Arc;

use super::TemplateError;
use super::lex::{Tok, Token, lex};

/// Deepest nesting of controls and parentheses a template may have (Go has no limit, but
/// no real chart comes near it).
const MAX_NESTING: usize = 1000;

/// The text a template was parsed from, and a name for errors.
#[derive(Debug)]
pub(crate) struct Source {
    pub(crate) name: String,
    pub(crate) text: std::sync::Arc<str>,
    /// Where the text's bytes are in the source map, if it is a file (not a `tpl` string).
    pub(crate) origin: SourceOrigin,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum SourceOrigin {
    /// A template file: byte `n` of the text is byte `n` of this file.
    File(crate::source::FileId),
    /// A string given to `tpl`: every byte maps to where the string was written, if known.
    Value(Option<super::text::Origin>),
}

pub(crate) type List = Vec<Node>;

#[derive(Debug)]
pub(crate) enum Node {
    Text {
        start: usize,
        end: usize,
    },
    Action {
        pipe: Pipe,
    },
    If(Control),
    With(Control),
    Range(Control),
    Template {
        pos: usize,
        name: String,
        pipe: Option<Pipe>,
    },
    Break,
    Continue,
}

/// `if`, `with` and `range`: the pipeline, the body, and the `else` branch.
#[derive(Debug)]
pub(crate) struct Control {
    pub(crate) pipe: Pipe,
    pub(crate) body: List,
    pub(crate) otherwise: List,
}

#[derive(Debug)]
pub(crate) struct Pipe {
    pub(crate) pos: usize,
    pub(crate) end: usize,
    /// Variables declared (`:=`) or assigned (`=`) with the pipeline's value.
    pub(crate) vars: Vec<String>,
    pub(crate) assign: bool,
    pub(crate) commands: Vec<Command>,
}

#[derive(Debug)]
pub(crate) struct Command {
    pub(crate) pos: usize,
    pub(crate) args: Vec<Arg>,
}

#[derive(Debug)]
pub(crate) enum Arg {
    Dot,
    Nil,
    Bool(bool),
    Number(String),
    Str(String),
    /// `.a.b`: fields of dot.
    Field(Vec<String>),
    /// `$x.a.b`.
    Variable(String, Vec<String>),
    Function(String),
    /// `(pipeline).a.b` or a parenthesized pipeline with no fields.
    Pipe(Box<Pipe>, Vec<String>),
}

impl Arg {
    /// How Go prints the node in errors ("at <.Values.x>").
    pub(crate) fn describe(&self) -> String {
        match self {
            Arg::Dot => ".".into(),
            Arg::Nil => "nil".into(),
            Arg::Bool(flag) => flag.to_string(),
            Arg::Number(text) => text.clone(),
            Arg::Str(text) => format!("{text:?}"),
            Arg::Field(names) => names.iter().map(|name| format!(".{name}")).collect(),
            Arg::Variable(name, names) => {
                let fields: String = names.iter().map(|field| format!(".{field}")).collect();
                format!("${name}{fields}")
            }
            Arg::Function(name) => name.clone(),
            Arg::Pipe(_, names) => {
                let fields: String = names.iter().map(|field| format!(".{field}")).collect();
                format!("(...){fields}")
            }
        }
    }
}

/// A parsed template file: its top-level list and the templates it defines. The lists are
/// shared, so one parse serves every render of the file (each values set of a chart).
#[derive(Clone, Debug)]
pub(crate) struct Parsed {
    pub(crate) root: Arc<List>,
    pub(crate) defines: Vec<(String, Arc<List>)>,
}

/// A template file parsed, or where and why it is not a template.
pub(crate) type ParseOutcome = Result<Parsed, (usize, String)>;

/// Parse `source`; `is_function` says which names are functions.
pub(crate) fn parse(
    text: &str,
    is_function: &dyn Fn(&str) -> bool,
) -> Result<Parsed, TemplateError> {
    let tokens = lex(text)?;
    let mut parser = Parser {
        tokens,
        index: 0,
        vars: vec!["".into()],
        range_depth: 0,
        nesting: 0,
        defines: Vec::new(),
        is_function,
    };
    let (root, end) = parser.list(true)?;
    if let Some(end) = end {
        return Err(TemplateError::at(
            end.pos,
            format!("unexpected {}", end.word),
        ));
    }
    Ok(Parsed {
        root: Arc::new(root),
        defines: (parser.defines.into_iter())
            .map(|(name, body)| (name, Arc::new(body)))
            .collect(),
    })
}

/// A keyword that ends a list: `end`, `else` (possibly `else if`/`else with`).
struct ListEnd {
    pos: usize,
    word: &'static str,
    /// For `else if`/`else with`: which control follows.
    chained: Option<&'static str>,
}

struct Parser<'a> {
    tokens: Vec<Token>,
    index: usize,
    vars: Vec<String>,
    range_depth: usize,
    /// Open controls and parentheses: bounded, so that hostile input cannot exhaust the stack.
    nesting: usize,
    defines: Vec<(String, List)>,
    is_function: &'a dyn Fn(&str) -> bool,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.index)
    }

    /// The next token, moved out: the parser never reads a token again once past it (the one
    /// lookahead that backs up, over `$x :=`, only peeks).
    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get_mut(self.index).map(|token| Token {
            tok: std::mem::replace(&mut token.tok, Tok::Text),
            ..*token
        });
        self.index += 1;
        token
    }

    fn pos(&self) -> usize {
        self.peek()
            .or_else(|| self.tokens.last())
            .map(|token| token.start)
            .unwrap_or(0)
    }

    fn expect_close(&mut self, context: &str) -> Result<(), TemplateError> {
        match self.next() {
            Some(Token {
                tok: Tok::Close, ..
            }) => Ok(()),
            other => Err(TemplateError::at(
                other.map(|token| token.start).unwrap_or_else(|| self.pos()),
                format!("unexpected token in {context}"),
            )),
        }
    }

    /// Nodes until `end`/`else` (returned) or the end of input (only allowed at top level).
    fn list(&mut self, top: bool) -> Result<(List, Option<ListEnd>), TemplateError> {
        let mut list = List::new();
        while let Some(token) = self.next() {
            match token.tok {
                Tok::Text => list.push(Node::Text {
                    start: token.start,
                    end: token.end,
                }),
                Tok::Open => {
                    if let Some(end) = self.action(token.start, top, &mut list)? {
                        return Ok((list, Some(end)));
                    }
                }
                _ => return Err(TemplateError::at(token.start, "unexpected token")),
            }
        }
        if !top {
            return Err(TemplateError::at(self.pos(), "unexpected EOF"));
        }
        Ok((list, None))
    }

    /// One action after `{{`; pushes its node, or returns the list end it is.
    fn action(
        &mut self,
        open: usize,
        top: bool,
        list: &mut List,
    ) -> Result<Option<ListEnd>, TemplateError> {
        let keyword = match self.peek().map(|token| &token.tok) {
            Some(Tok::Ident(word)) => word.clone(),
            _ => String::new(),
        };
        let pos = self.pos();
        match keyword.as_str() {
            "end" => {
                self.index += 1;
                self.expect_close("end")?;
                Ok(Some(ListEnd {
                    pos,
                    word: "{{end}}",
                    chained: None,
                }))
            }
            "else" => {
                self.index += 1;
                let chained = match self.peek().map(|token| &token.tok) {
                    Some(Tok::Ident(word)) if word == "if" => Some("if"),
                    Some(Tok::Ident(word)) if word == "with" => Some("with"),
                    _ => None,
                };
                if chained.is_some() {
                    self.index += 1;
                } else {
                    self.expect_close("else")?;
                }
                Ok(Some(ListEnd {
                    pos,
                    word: "{{else}}",
                    chained,
                }))
            }
            "if" | "with" | "range" => {
                self.index += 1;
                let node = self.control(&keyword)?;
                list.push(node);
                Ok(None)
            }
            "define" | "block" => {
                self.index += 1;
                if keyword == "define" && !top {
                    return Err(TemplateError::at(pos, "unexpected <define> in command"));
                }
                self.define(&keyword, pos, list)?;
                Ok(None)
            }
            "template" => {
                self.index += 1;
                let name = self.template_name("template")?;
                let pipe = self.optional_pipe("template")?;
                list.push(Node::Template { pos, name, pipe });
                Ok(None)
            }
            "break" | "continue" => {
                self.index += 1;
                if self.range_depth == 0 {
                    return Err(TemplateError::at(
                        pos,
                        format!("{{{{{keyword}}}}} outside {{{{range}}}}"),
                    ));
                }
                self.expect_close(&keyword)?;
                list.push(if keyword == "break" {
                    Node::Break
                } else {
                    Node::Continue
                });
                Ok(None)
            }
            _ => {
                let pipe = self.pipeline("command", false)?;
                let _ = open;
                list.push(Node::Action { pipe });
                Ok(None)
            }
        }
    }

    fn template_name(&mut self, context: &str) -> Result<String, TemplateError> {
        match self.next() {
            Some(Token {
                tok: Tok::Str(name),
                ..
            }) => Ok(name),
            other => Err(TemplateError::at(
                other.map(|token| token.start).unwrap_or_else(|| self.pos()),
                format!("unexpected token in {context} clause"),
            )),
        }
    }

    fn optional_pipe(&mut self, context: &str) -> Result<Option<Pipe>, TemplateError> {
        if matches!(self.peek().map(|token| &token.tok), Some(Tok::Close)) {
            self.index += 1;
            return Ok(None);
        }
        self.pipeline(context, false).map(Some)
    }

    fn define(&mut self, keyword: &str, pos: usize, list: &mut List) -> Result<(), TemplateError> {
        let name = self.template_name(keyword)?;
        let pipe = if keyword == "block" {
            Some(self.pipeline("block", false)?)
        } else {
            self.expect_close("define")?;
            None
        };
        let saved_vars = std::mem::replace(&mut self.vars, vec!["".into()]);
        let saved_depth = std::mem::replace(&mut self.range_depth, 0);
        let (body, end) = self.list(false)?;
        self.vars = saved_vars;
        self.range_depth = saved_depth;
        match end {
            Some(ListEnd {
                word: "{{end}}", ..
            }) => {}
            Some(other) => {
                return Err(TemplateError::at(
                    other.pos,
                    format!("unexpected {} in {keyword}", other.word),
                ));
            }
            None => return Err(TemplateError::at(pos, "unexpected EOF")),
        }
        self.defines.push((name.clone(), body));
        if keyword == "block" {
            list.push(Node::Template { pos, name, pipe });
        }
        Ok(())
    }

    /// `if`/`with`/`range` after its keyword, through its `end`.
    fn control(&mut self, keyword: &str) -> Result<Node, TemplateError> {
        self.enter()?;
        let node = self.control_body(keyword);
        self.nesting -= 1;
        node
    }

    fn enter(&mut self) -> Result<(), TemplateError> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            self.nesting -= 1;
            return Err(TemplateError::at(
                self.pos(),
                format!("template nests deeper than {MAX_NESTING} levels"),
            ));
        }
        Ok(())
    }

    fn control_body(&mut self, keyword: &str) -> Result<Node, TemplateError> {
        let vars_before = self.vars.len();
        let pipe = self.pipeline(keyword, keyword == "range")?;
        if keyword == "range" {
            self.range_depth += 1;
        }
        let (body, end) = self.list(false)?;
        if keyword == "range" {
            self.range_depth -= 1;
        }
        let end = end.ok_or_else(|| TemplateError::at(pipe.pos, "unexpected EOF"))?;
        let otherwise = match (end.word, end.chained) {
            ("{{end}}", _) => List::new(),
            (_, Some(chained)) if chained == keyword || (keyword == "if" && chained == "if") => {
                vec![self.control(chained)?]
            }
            (_, Some(chained)) => {
                return Err(TemplateError::at(
                    end.pos,
                    format!("unexpected {{{{else {chained}}}}}"),
                ));
            }
            (_, None) => {
                let (otherwise, last) = self.list(false)?;
                match last {
                    Some(ListEnd {
                        word: "{{end}}", ..
                    }) => otherwise,
                    Some(other) => {
                        return Err(TemplateError::at(
                            other.pos,
                            format!("expected end; found {}", other.word),
                        ));
                    }
                    None => return Err(TemplateError::at(end.pos, "unexpected EOF")),
                }
            }
        };
        self.vars.truncate(vars_before);
        let control = Control {
            pipe,
            body,
            otherwise,
        };
        Ok(match keyword {
            "if" => Node::If(control),
            "with" => Node::With(control),
            _ => Node::Range(control),
        })
    }

    /// A pipeline through the closing delimiter (or right paren when `nested`).
    fn pipeline(&mut self, context: &str, allow_two_vars: bool) -> Result<Pipe, TemplateError> {
        let pos = self.pos();
        let (vars, assign) = self.declarations(allow_two_vars)?;
        let mut commands = Vec::new();
        loop {
            let Some(token) = self.peek().cloned() else {
                return Err(TemplateError::at(
                    pos,
                    format!("unclosed action in {context}"),
                ));
            };
            match token.tok {
                Tok::Close | Tok::RightParen => {
                    self.index += 1;
                    if commands.is_empty() {
                        return Err(TemplateError::at(
                            pos,
                            format!("missing value for {context}"),
                        ));
                    }
                    if matches!(token.tok, Tok::RightParen) != (context == "parenthesized pipeline")
                    {
                        return Err(TemplateError::at(
                            token.start,
                            format!("unexpected token in {context}"),
                        ));
                    }
                    return Ok(Pipe {
                        pos,
                        end: token.start,
                        vars,
                        assign,
                        commands,
                    });
                }
                Tok::Pipe if !commands.is_empty() => self.index += 1,
                _ => commands.push(self.command()?),
            }
        }
    }

    /// `$x :=`, `$x =` or (in `range`) `$i, $e :=` at the start of a pipeline.
    fn declarations(&mut self, allow_two: bool) -> Result<(Vec<String>, bool), TemplateError> {
        let mut names = Vec::new();
        let start = self.index;
        while let Some(Token {
            tok: Tok::Variable(name),
            ..
        }) = self.peek()
        {
            let name = name.clone();
            let after = self.tokens.get(self.index + 1).map(|token| &token.tok);
            match after {
                Some(Tok::Declare) | Some(Tok::Assign) => {
                    let assign = after == Some(&Tok::Assign);
                    self.index += 2;
                    names.push(name);
                    if assign {
                        for name in &names {
                            self.check_variable(name)?;
                        }
                    } else {
                        self.vars.extend(names.iter().cloned());
                    }
                    return Ok((names, assign));
                }
                Some(Tok::Comma) if allow_two && names.is_empty() => {
                    self.index += 2;
                    names.push(name);
                }
                _ => break,
            }
        }
        self.index = start;
        Ok((Vec::new(), false))
    }

    fn check_variable(&self, name: &str) -> Result<(), TemplateError> {
        if self.vars.iter().any(|var| var == name) {
            return Ok(());
        }
        Err(TemplateError::at(
            self.pos(),
            format!("undefined variable \"${name}\""),
        ))
    }

    fn command(&mut self) -> Result<Command, TemplateError> {
        let pos = self.pos();
        let mut args = Vec::new();
        loop {
            match self.peek().map(|token| &token.tok) {
                None | Some(Tok::Close) | Some(Tok::RightParen) | Some(Tok::Pipe) => break,
                Some(_) => {
                    if !args.is_empty() && !self.peek().is_some_and(|token| token.spaced) {
                        return Err(TemplateError::at(
                            self.pos(),
                            "missing space between arguments",
                        ));
                    }
                    args.push(self.operand()?);
                }
            }
        }
        if args.is_empty() {
            return Err(TemplateError::at(pos, "empty command"));
        }
        Ok(Command { pos, args })
    }

    /// A term followed by the fields chained onto it.
    fn operand(&mut self) -> Result<Arg, TemplateError> {
        let Some(token) = self.next() else {
            return Err(TemplateError::at(self.pos(), "unexpected EOF"));
        };
        let arg = match token.tok {
            Tok::Dot => Arg::Dot,
            Tok::Field(name) => Arg::Field(vec![name]),
            Tok::Variable(name) => {
                self.check_variable(&name)
                    .map_err(|error| error.moved(token.start))?;
                Arg::Variable(name, Vec::new())
            }
            Tok::Str(text) => Arg::Str(text),
            Tok::Number(text) => Arg::Number(text),
            Tok::LeftParen => {
                self.enter()?;
                let pipe = self.pipeline("parenthesized pipeline", false);
                self.nesting -= 1;
                Arg::Pipe(Box::new(pipe?), Vec::new())
            }
            Tok::Ident(word) => match word.as_str() {
                "true" => Arg::Bool(true),
                "false" => Arg::Bool(false),
                "nil" => Arg::Nil,
                _ if (self.is_function)(&word) => Arg::Function(word),
                _ => {
                    return Err(TemplateError::at(
                        token.start,
                        format!("function {word:?} not defined"),
                    ));
                }
            },
            _ => {
                return Err(TemplateError::at(
                    token.start,
                    "unexpected token in operand",
                ));
            }
        };
        let mut fields = Vec::new();
        while let Some(Token {
            tok: Tok::Field(name),
            spaced: false,
            ..
        }) = self.peek().cloned()
        {
            self.index += 1;
            fields.push(name);
        }
        if fields.is_empty() {
            return Ok(arg);
        }
        Ok(match arg {
            Arg::Field(mut names) => {
                names.extend(fields);
                Arg::Field(names)
            }
            Arg::Variable(name, _) => Arg::Variable(name, fields),
            Arg::Pipe(pipe, _) => Arg::Pipe(pipe, fields),
            Arg::Dot => Arg::Field(fields),
            _ => return Err(TemplateError::at(token.start, "unexpected . after term")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Result<Parsed, TemplateError> {
        parse(text, &|name| matches!(name, "include" | "quote"))
    }

    #[test]
    fn defines_are_collected_and_else_if_chains_nest() {
        let parsed = parsed(
            r#"{{ define "a" }}x{{ end }}{{ if .a }}1{{ else if .b }}2{{ else }}3{{ end }}"#,
        );
        let parsed = parsed.map_err(|error| error.message);
        assert!(matches!(&parsed, Ok(p) if p.defines.len() == 1 && p.root.len() == 1));
    }

    #[test]
    fn parse_errors_name_the_problem() {
        let message = |text| {
            parsed(text)
                .err()
                .map(|error| error.message)
                .unwrap_or_default()
        };
        assert_eq!(message("{{ nope 1 }}"), "function \"nope\" not defined");
        assert_eq!(message("{{ $x }}"), "undefined variable \"$x\"");
        assert_eq!(
            message("{{ if 1 }}{{ break }}{{ end }}"),
            "{{break}} outside {{range}}"
        );
        assert_eq!(message("{{ end }}"), "unexpected {{end}}");
        assert_eq!(message("{{ if 1 }}"), "unexpected EOF");
    }

    #[test]
    fn variables_are_scoped_to_their_control() {
        assert!(parsed("{{ if 1 }}{{ $x := 1 }}{{ end }}{{ $x }}").is_err());
        assert!(parsed("{{ $x := 1 }}{{ if 1 }}{{ $x = 2 }}{{ end }}{{ $x }}").is_ok());
        assert!(parsed("{{ range $i, $e := .a }}{{ $i }}{{ $e }}{{ end }}").is_ok());
    }
}
