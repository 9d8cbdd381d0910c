//! `kubepatrol lsp`: a language server over standard input and output, so that any editor shows
//! findings as you type, with `fix`'s edits and exemptions as code actions.
//!
//! Like the binary, the server is an edge: it reads the configuration and the file system
//! through the pipeline and writes to standard output; the stages know nothing of it. Each open
//! YAML or JSON document is linted from its unsaved buffer as `kubepatrol lint <file>` would
//! lint the file ([`check`]), on open and save at once and after a pause in typing
//! ([`DEBOUNCE`]) on change; [`actions`] plans fixes with `fix` itself.
//!
//! Built on `lsp-server` and `lsp-types`, the pair rust-analyzer uses and maintains: a
//! synchronous message loop fits a linter whose every run is a few milliseconds of CPU, with no
//! async runtime to add (`tower-lsp-server` would bring tokio for nothing). Its own stdio
//! transport ends at the first message that is not JSON, so this module reads messages itself
//! with `lsp_server::Message::read`, which consumes a malformed message whole: the server logs
//! it and goes on. Every message is handled inside [`guard::isolate`], so a bug answers one
//! request with an error instead of ending the session.

mod actions;
mod check;
mod text;
mod uri;

use std::collections::HashMap;
use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionParams, CodeActionProviderCapability,
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    HoverParams, HoverProviderCapability, InitializeParams, InitializeResult, PositionEncodingKind,
    PublishDiagnosticsParams, SaveOptions, ServerCapabilities, ServerInfo,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, Uri,
};
use serde::de::DeserializeOwned;

use crate::guard;
use crate::vfs::{Files, Overlay};
use check::Analysis;
use text::{Encoding, Text};

/// How long typing must pause before a changed document is linted again.
pub const DEBOUNCE: Duration = Duration::from_millis(200);

/// Serve on standard input and output until the client says `exit` or goes away; the process
/// exit code (0 after a `shutdown` request, 1 otherwise, as the protocol asks).
pub fn serve_stdio() -> u8 {
    serve(io::BufReader::new(io::stdin()), io::stdout().lock())
}

/// Serve messages read from `input`, writing to `output`.
fn serve(input: impl BufRead + Send + 'static, output: impl Write) -> u8 {
    let (sender, events) = mpsc::channel();
    std::thread::spawn(move || read_messages(input, &sender));
    Server::new(output).run(&events)
}

enum Event {
    Message(Message),
    /// A message that was not a JSON-RPC message; what was wrong with it.
    Malformed(String),
}

fn read_messages(mut input: impl BufRead, events: &mpsc::Sender<Event>) {
    loop {
        let event = match Message::read(&mut input) {
            Ok(Some(message)) => Event::Message(message),
            // A malformed header or body has been read whole: the next message can be read.
            Err(error) if error.kind() == io::ErrorKind::InvalidData => {
                Event::Malformed(error.to_string())
            }
            Ok(None) | Err(_) => return,
        };
        if events.send(event).is_err() {
            return;
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Uninitialized,
    Running,
    ShutDown,
}

struct Document {
    /// The file the document is (its URI for a document that is not a file).
    path: PathBuf,
    version: i32,
    text: Text,
    /// The lint of the current text; `None` while a change waits for [`DEBOUNCE`].
    analysis: Option<Analysis>,
}

struct Server<W: Write> {
    output: W,
    state: State,
    encoding: Encoding,
    documents: HashMap<Uri, Document>,
    /// Changed documents and when to lint them.
    due: HashMap<Uri, Instant>,
}

/// What to do after a message.
enum Flow {
    Continue,
    Exit(u8),
}

impl<W: Write> Server<W> {
    fn new(output: W) -> Self {
        Server {
            output,
            state: State::Uninitialized,
            encoding: Encoding::Utf16,
            documents: HashMap::new(),
            due: HashMap::new(),
        }
    }

    fn run(mut self, events: &mpsc::Receiver<Event>) -> u8 {
        loop {
            let next = self.due.values().min().copied();
            let event = match next {
                None => events
                    .recv()
                    .map_err(|_| mpsc::RecvTimeoutError::Disconnected),
                Some(at) => events.recv_timeout(at.saturating_duration_since(Instant::now())),
            };
            let flow = match event {
                Ok(Event::Message(message)) => guard::isolate(|| self.handle(message))
                    .unwrap_or_else(|panic| {
                        self.log(&format!("internal error: {panic}; please report it"));
                        Ok(Flow::Continue)
                    }),
                Ok(Event::Malformed(error)) => {
                    self.log(&format!("ignored a malformed message: {error}"));
                    Ok(Flow::Continue)
                }
                Err(mpsc::RecvTimeoutError::Timeout) => self.lint_due(),
                // The client closed standard input without `exit`.
                Err(mpsc::RecvTimeoutError::Disconnected) => return 1,
            };
            match flow {
                Ok(Flow::Continue) => {}
                Ok(Flow::Exit(code)) => return code,
                // Standard output is gone: nobody is listening.
                Err(_) => return 1,
            }
        }
    }

    fn send(&mut self, message: impl Into<Message>) -> io::Result<()> {
        message.into().write(&mut self.output)
    }

    /// A message in the client's log (`window/logMessage`), best effort.
    fn log(&mut self, message: &str) {
        let params = lsp_types::LogMessageParams {
            typ: lsp_types::MessageType::WARNING,
            message: format!("kubepatrol: {message}"),
        };
        let _ = self.send(Notification::new("window/logMessage".to_owned(), params));
    }

    fn handle(&mut self, message: Message) -> io::Result<Flow> {
        match message {
            Message::Request(request) => {
                let response = self.respond(request);
                self.send(response)?;
                Ok(Flow::Continue)
            }
            Message::Notification(notification) => self.notified(notification),
            // The server sends no requests.
            Message::Response(_) => Ok(Flow::Continue),
        }
    }

    fn respond(&mut self, request: Request) -> Response {
        let id = request.id.clone();
        let result = match (self.state, request.method.as_str()) {
            (State::Uninitialized, "initialize") => {
                params(request).map(|params| self.initialize(&params))
            }
            (State::Uninitialized, _) => Err(error(
                ErrorCode::ServerNotInitialized,
                "the server is not initialized",
            )),
            (State::ShutDown, _) => {
                Err(error(ErrorCode::InvalidRequest, "the server is shut down"))
            }
            (State::Running, "initialize") => Err(error(
                ErrorCode::InvalidRequest,
                "the server is already initialized",
            )),
            (State::Running, "shutdown") => {
                self.state = State::ShutDown;
                Ok(serde_json::Value::Null)
            }
            (State::Running, "textDocument/codeAction") => {
                params(request).map(|params| self.code_actions(params))
            }
            (State::Running, "textDocument/hover") => {
                params(request).map(|params| self.hover(&params))
            }
            (State::Running, method) => Err(error(
                ErrorCode::MethodNotFound,
                &format!("unknown method `{method}`"),
            )),
        };
        response(id, result)
    }

    fn initialize(&mut self, params: &InitializeParams) -> serde_json::Value {
        let offers_utf8 = params
            .capabilities
            .general
            .as_ref()
            .and_then(|general| general.position_encodings.as_ref())
            .is_some_and(|encodings| encodings.contains(&PositionEncodingKind::UTF8));
        self.encoding = if offers_utf8 {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        };
        self.state = State::Running;
        let result = InitializeResult {
            capabilities: capabilities(self.encoding),
            server_info: Some(ServerInfo {
                name: "kubepatrol".to_owned(),
                version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            }),
        };
        serde_json::to_value(result).unwrap_or_default()
    }

    fn notified(&mut self, notification: Notification) -> io::Result<Flow> {
        if notification.method == "exit" {
            return Ok(Flow::Exit(if self.state == State::ShutDown {
                0
            } else {
                1
            }));
        }
        if self.state != State::Running {
            return Ok(Flow::Continue);
        }
        let method = notification.method.clone();
        match method.as_str() {
            "textDocument/didOpen" => {
                if let Some(params) =
                    self.notification_params::<DidOpenTextDocumentParams>(notification)
                {
                    self.opened(params)?;
                }
            }
            "textDocument/didChange" => {
                if let Some(params) =
                    self.notification_params::<DidChangeTextDocumentParams>(notification)
                {
                    self.changed(params);
                }
            }
            // The configuration or an ignore file may have been saved: which document does
            // not matter.
            "textDocument/didSave" => {
                self.lint_all_at(Instant::now());
                self.lint_due()?;
            }
            "textDocument/didClose" => {
                if let Some(params) =
                    self.notification_params::<DidCloseTextDocumentParams>(notification)
                {
                    let uri = params.text_document.uri;
                    self.due.remove(&uri);
                    if self.documents.remove(&uri).is_some() {
                        self.publish(uri, Vec::new(), None)?;
                        // The others read the file on disk from now on.
                        self.lint_all_at(Instant::now() + DEBOUNCE);
                    }
                }
            }
            _ => {}
        }
        Ok(Flow::Continue)
    }

    /// A notification's parameters; malformed ones are logged and ignored, since a
    /// notification has no response to carry an error.
    fn notification_params<P: DeserializeOwned>(
        &mut self,
        notification: Notification,
    ) -> Option<P> {
        match serde_json::from_value(notification.params) {
            Ok(params) => Some(params),
            Err(error) => {
                self.log(&format!(
                    "ignored `{}` with invalid parameters: {error}",
                    notification.method
                ));
                None
            }
        }
    }

    fn opened(&mut self, params: DidOpenTextDocumentParams) -> io::Result<()> {
        let document = params.text_document;
        let path =
            uri::to_path(&document.uri).unwrap_or_else(|| PathBuf::from(document.uri.as_str()));
        if !is_manifest_document(&document.language_id, &path) {
            return Ok(());
        }
        self.documents.insert(
            document.uri.clone(),
            Document {
                path,
                version: document.version,
                text: Text::new(document.text),
                analysis: None,
            },
        );
        self.lint(&document.uri)
    }

    fn changed(&mut self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let Some(document) = self.documents.get_mut(&uri) else {
            return;
        };
        for change in params.content_changes {
            document.text.apply(change, self.encoding);
        }
        document.version = params.text_document.version;
        self.lint_all_at(Instant::now() + DEBOUNCE);
    }

    /// Lint every open document at `at`: any of them may be rendered with any other (a base
    /// and its overlay's patch), and all read the configuration.
    fn lint_all_at(&mut self, at: Instant) {
        for (uri, document) in &mut self.documents {
            document.analysis = None;
            self.due.insert(uri.clone(), at);
        }
    }

    /// Lint the documents whose pause in typing is over.
    fn lint_due(&mut self) -> io::Result<Flow> {
        let now = Instant::now();
        let due: Vec<Uri> = self
            .due
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(uri, _)| uri.clone())
            .collect();
        for uri in due {
            self.due.remove(&uri);
            self.lint(&uri)?;
        }
        Ok(Flow::Continue)
    }

    /// The open buffers over the disk: what every lint reads.
    fn files(&self) -> Files {
        let mut overlay = Overlay::new(Files::disk());
        for document in self.documents.values() {
            overlay.insert(&document.path, document.text.text.as_bytes());
        }
        Files::new(overlay)
    }

    /// Lint an open document now and publish its diagnostics.
    fn lint(&mut self, uri: &Uri) -> io::Result<()> {
        let encoding = self.encoding;
        let files = self.files();
        let Some(document) = self.documents.get_mut(uri) else {
            return Ok(());
        };
        let analysis = check::analyse(
            files,
            check::Opened {
                path: &document.path,
                uri,
                encoding,
            },
        );
        let diagnostics = analysis.diagnostics.clone();
        let version = document.version;
        document.analysis = Some(analysis);
        self.publish(uri.clone(), diagnostics, Some(version))
    }

    fn publish(
        &mut self,
        uri: Uri,
        diagnostics: Vec<lsp_types::Diagnostic>,
        version: Option<i32>,
    ) -> io::Result<()> {
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        self.send(Notification::new(
            "textDocument/publishDiagnostics".to_owned(),
            params,
        ))
    }

    /// The document's analysis, linting it first if a change is waiting (a code action must
    /// see the text the editor shows).
    fn analysis(&mut self, uri: &Uri) -> Option<&Document> {
        if self.documents.get(uri)?.analysis.is_none() {
            self.due.remove(uri);
            // A client that cannot hear the diagnostics will not hear the answer either.
            let _ = self.lint(uri);
        }
        self.documents.get(uri)
    }

    fn code_actions(&mut self, params: CodeActionParams) -> serde_json::Value {
        let encoding = self.encoding;
        let uri = params.text_document.uri;
        let actions = self
            .analysis(&uri)
            .and_then(|document| document.analysis.as_ref())
            .map(|analysis| actions::code_actions(analysis, &uri, params.range, encoding))
            .unwrap_or_default();
        serde_json::to_value(actions).unwrap_or_default()
    }

    fn hover(&mut self, params: &HoverParams) -> serde_json::Value {
        let encoding = self.encoding;
        let place = &params.text_document_position_params;
        let hover = self
            .analysis(&place.text_document.uri)
            .and_then(|document| {
                let offset = document.text.offset(place.position, encoding);
                actions::hover(document.analysis.as_ref()?, offset)
            });
        serde_json::to_value(hover).unwrap_or_default()
    }
}

/// YAML, JSON and Helm template documents (`helm` is the language id editors give chart
/// templates); other languages are left alone.
fn is_manifest_document(language: &str, path: &std::path::Path) -> bool {
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase);
    matches!(language, "yaml" | "json" | "helm")
        || matches!(extension.as_deref(), Some("yaml" | "yml" | "json" | "tpl"))
}

fn capabilities(encoding: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(match encoding {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(false),
                })),
                ..Default::default()
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![
                CodeActionKind::QUICKFIX,
                CodeActionKind::from(actions::FIX_ALL),
            ]),
            ..Default::default()
        })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        ..Default::default()
    }
}

type Answer = Result<serde_json::Value, lsp_server::ResponseError>;

fn params<P: DeserializeOwned>(request: Request) -> Result<P, lsp_server::ResponseError> {
    serde_json::from_value(request.params).map_err(|problem| {
        error(
            ErrorCode::InvalidParams,
            &format!("invalid parameters of `{}`: {problem}", request.method),
        )
    })
}

fn error(code: ErrorCode, message: &str) -> lsp_server::ResponseError {
    lsp_server::ResponseError {
        code: code as i32,
        message: message.to_owned(),
        data: None,
    }
}

fn response(id: RequestId, result: Answer) -> Response {
    Response {
        id,
        response_result: result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(messages: &[serde_json::Value]) -> io::Cursor<Vec<u8>> {
        let mut bytes = Vec::new();
        for message in messages {
            let body = message.to_string();
            bytes.extend(format!("Content-Length: {}\r\n\r\n{body}", body.len()).bytes());
        }
        io::Cursor::new(bytes)
    }

    #[test]
    fn a_session_negotiates_utf8_and_ends_with_0_after_shutdown() {
        let input = framed(&[
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "capabilities": {"general": {"positionEncodings": ["utf-8", "utf-16"]}}}}),
            serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}),
            serde_json::json!({"jsonrpc": "2.0", "method": "exit"}),
        ]);
        let mut output = Vec::new();
        assert_eq!(serve(input, &mut output), 0);
        let output = String::from_utf8(output).expect("UTF-8");
        assert!(output.contains(r#""positionEncoding":"utf-8""#), "{output}");
        assert!(output.contains(r#""id":2,"result":null"#), "{output}");
    }

    #[test]
    fn input_that_ends_without_exit_ends_with_1() {
        let input = framed(&[serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "shutdown"})]);
        let mut output = Vec::new();
        assert_eq!(serve(input, &mut output), 1);
        assert!(String::from_utf8_lossy(&output).contains("-32002"));
    }
}
