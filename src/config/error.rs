//! `ConfigError`: what is wrong with a config file, and where.
//!
//! Every error names the file and, when the file could be read, the
//! 1-based line and column and the dotted key path, so that it reads like
//! a compiler message:
//!
//! ```text
//! conf/bicorn.toml:3:1: `wrokers`: unknown key (expected one of workers, listen, ...)
//! conf/bicorn.toml:7:12: `listen[1].backlog`: must be between 1 and 65535, got 0
//! conf/bicorn.toml: cannot read: No such file or directory (os error 2)
//! ```
//!
//! This module turns the TOML parser's errors into that form (rewording
//! serde's messages into the file's terms). Semantic checks live in
//! `mod.rs` and build their errors with [`ConfigError::at`].

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use super::locate;

/// What kind of mistake a [`ConfigError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file could not be read at all.
    Unreadable,
    /// The text is not valid TOML.
    Syntax,
    /// A key that bicorn does not know.
    UnknownKey,
    /// A key that must be present is not.
    MissingKey,
    /// A value of the wrong TOML type (a string where a number belongs).
    WrongType,
    /// A value of the right type that is out of range, malformed, names
    /// something that does not exist, or clashes with another value.
    InvalidValue,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::Unreadable => "unreadable file",
            ErrorKind::Syntax => "syntax error",
            ErrorKind::UnknownKey => "unknown key",
            ErrorKind::MissingKey => "missing key",
            ErrorKind::WrongType => "wrong type",
            ErrorKind::InvalidValue => "invalid value",
        })
    }
}

/// A config file that cannot be used, located for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    file: PathBuf,
    line: usize,
    column: usize,
    key: String,
    kind: ErrorKind,
    message: String,
}

impl ConfigError {
    /// The config file, as given to [`Config::load`](super::Config::load).
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// 1-based line of the offending text; 0 when the file was unreadable.
    pub fn line(&self) -> usize {
        self.line
    }

    /// 1-based column (in characters); 0 when the file was unreadable.
    pub fn column(&self) -> usize {
        self.column
    }

    /// Dotted key path such as `listen[1].backlog`; empty when no key
    /// applies (an unreadable file, a syntax error between entries).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// What kind of mistake this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// What is wrong, without the location.
    pub fn message(&self) -> &str {
        &self.message
    }

    pub(super) fn unreadable(file: &Path, error: &io::Error) -> ConfigError {
        ConfigError {
            file: file.to_path_buf(),
            line: 0,
            column: 0,
            key: String::new(),
            kind: ErrorKind::Unreadable,
            message: format!("cannot read: {error}"),
        }
    }

    /// An error about the text at byte `offset`, under `key`.
    pub(super) fn at(
        file: &Path,
        text: &str,
        offset: usize,
        key: impl Into<String>,
        kind: ErrorKind,
        message: impl Into<String>,
    ) -> ConfigError {
        let (line, column) = locate::line_column(text, offset);
        ConfigError {
            file: file.to_path_buf(),
            line,
            column,
            key: key.into(),
            kind,
            message: message.into(),
        }
    }

    /// Locates and rewords an error from the TOML parser or from serde.
    pub(super) fn from_toml(file: &Path, text: &str, error: &toml::de::Error) -> ConfigError {
        let offset = error.span().map_or(0, |span| span.start);
        let mut key = locate::key_path(text, offset);
        let (kind, message) = reword(error.message());
        // serde points at the table that lacks the key; name the key.
        if kind == ErrorKind::MissingKey
            && let Some(field) = between(error.message(), "missing field `", "`")
        {
            if !key.is_empty() {
                key.push('.');
            }
            key.push_str(field);
        }
        ConfigError::at(file, text, offset, key, kind, message)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        f.write_str(": ")?;
        if !self.key.is_empty() {
            write!(f, "`{}`: ", self.key)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Classifies a serde/TOML message and puts it in the file's terms:
/// keys rather than fields, "an integer" rather than `i64`.
fn reword(message: &str) -> (ErrorKind, String) {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let expected = rest.split_once("`, ").map_or("", |(_, e)| e);
        let expected = match expected.strip_prefix("there are no fields") {
            Some(_) => "this table has no keys".to_string(),
            None => expected.replace('`', ""),
        };
        return (ErrorKind::UnknownKey, format!("unknown key ({expected})"));
    }
    if message.starts_with("missing field `") {
        return (ErrorKind::MissingKey, "required key is missing".to_string());
    }
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((got, expected)) = rest.rsplit_once(", expected ")
        {
            return (
                ErrorKind::WrongType,
                format!("expected {}, got {got}", type_name(expected)),
            );
        }
    }
    (ErrorKind::Syntax, message.to_string())
}

/// serde's name for an expected type, in TOML's words.
fn type_name(expected: &str) -> &str {
    match expected {
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" => "an integer",
        "f32" | "f64" => "a number",
        "a sequence" => "an array",
        "a boolean" | "a string" => expected,
        e if e.starts_with("struct ") || e == "a map" => "a table",
        e => e,
    }
}

/// The text between the first `open` and the next `close`.
fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let (_, rest) = text.split_once(open)?;
    rest.split_once(close).map(|(inner, _)| inner)
}
