//! Problems with the input itself (unreadable files, invalid YAML, wrong field types), as
//! opposed to findings of checks. Every stage returns them as values and goes on.

mod code;

pub use code::Code;

use crate::source::{FileId, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Note,
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Note => "note",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// Where a diagnostic points, as precisely as is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A path that could not be opened as a file (for example, it does not exist).
    Path(String),
    /// A whole file.
    File(FileId),
    /// A range in a file.
    Span(Span),
}

#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub level: Level,
    pub code: Code,
    pub message: String,
    pub location: Location,
}

impl Diagnostic {
    pub fn error(code: Code, location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Error,
            code,
            message: message.into(),
            location,
        }
    }

    pub fn note(code: Code, location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Note,
            code,
            message: message.into(),
            location,
        }
    }
}
