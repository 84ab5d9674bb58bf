//! Where a worker's access log bytes go: a file it opened itself
//! (`O_APPEND`, so the workers' writes land one after another), or its
//! own descriptor for standard output.
//!
//! Writes are ordinary blocking writes from the event loop. To a file on a
//! local disk they take microseconds (nginx does the same); on standard
//! output they last as long as the reader makes them (a terminal, the
//! journal, a pipe), which the operator chooses. Every write holds whole
//! lines. On a regular file one `write` appends them all at once; on
//! anything else (a pipe, a socket, a terminal) they go in writes of
//! whole lines of at most `PIPE_BUF` bytes, which a pipe keeps in one
//! piece, so the lines of several workers do not mix.

use std::fmt;
use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use super::AccessLogError;

/// Most bytes a pipe writes atomically (POSIX `PIPE_BUF`, 4096 on Linux).
const PIPE_BUF: usize = 4096;

#[derive(Debug)]
pub(super) enum Sink {
    /// A duplicate of fd 1.
    Stdout {
        file: File,
        /// Not a regular file: write in whole lines of at most `PIPE_BUF`.
        chunked: bool,
    },
    File {
        path: PathBuf,
        file: File,
    },
}

/// A write that failed after `written` bytes had gone out.
#[derive(Debug)]
pub(super) struct WriteFailure {
    pub(super) written: usize,
    pub(super) error: io::Error,
}

impl Sink {
    pub(super) fn stdout() -> Result<Sink, AccessLogError> {
        let fd = io::stdout()
            .as_fd()
            .try_clone_to_owned()
            .map_err(AccessLogError::Stdout)?;
        let file = File::from(fd);
        let chunked = !file
            .metadata()
            .map_err(AccessLogError::Stdout)?
            .file_type()
            .is_file();
        Ok(Sink::Stdout { file, chunked })
    }

    pub(super) fn file(path: &Path) -> Result<Sink, AccessLogError> {
        Ok(Sink::File {
            path: path.to_path_buf(),
            file: open(path, None)?,
        })
    }

    /// Writes all of `bytes` (whole lines).
    pub(super) fn write(&mut self, bytes: &[u8]) -> Result<(), WriteFailure> {
        match self {
            Sink::File { file, .. }
            | Sink::Stdout {
                file,
                chunked: false,
            } => write_all(file, bytes),
            Sink::Stdout {
                file,
                chunked: true,
            } => {
                let mut written = 0;
                for chunk in LineChunks::new(bytes, PIPE_BUF) {
                    write_all(file, chunk).map_err(|mut failure| {
                        failure.written += written;
                        failure
                    })?;
                    written += chunk.len();
                }
                Ok(())
            }
        }
    }

    /// Opens the file's path again (after logrotate renamed it). On
    /// failure the old file stays in use. Standard output has nothing to
    /// reopen.
    pub(super) fn reopen(&mut self) -> Result<(), AccessLogError> {
        if let Sink::File { path, file } = self {
            *file = open(path, None)?;
        }
        Ok(())
    }
}

impl fmt::Display for Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sink::Stdout { .. } => f.write_str("stdout"),
            Sink::File { path, .. } => write!(f, "{}", path.display()),
        }
    }
}

/// Opens `path` for appending, created 0640 (and given to `owner`) if
/// missing, as the server log is.
pub(super) fn open(path: &Path, owner: Option<(u32, u32)>) -> Result<File, AccessLogError> {
    crate::logging::open_log_file(path, owner).map_err(|source| AccessLogError::Open {
        path: path.to_path_buf(),
        source,
    })
}

/// `write_all` that says how much was written before it failed.
fn write_all(file: &mut File, mut bytes: &[u8]) -> Result<(), WriteFailure> {
    let mut written = 0;
    while !bytes.is_empty() {
        match file.write(bytes) {
            Ok(0) => {
                return Err(WriteFailure {
                    written,
                    error: io::ErrorKind::WriteZero.into(),
                });
            }
            Ok(n) => {
                written += n;
                bytes = bytes.get(n..).unwrap_or_default();
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(WriteFailure { written, error }),
        }
    }
    Ok(())
}

/// `bytes` (whole lines) cut into runs of whole lines of at most `max`
/// bytes; a line longer than `max` is a run of its own.
#[derive(Debug)]
pub(super) struct LineChunks<'a> {
    rest: &'a [u8],
    max: usize,
}

impl<'a> LineChunks<'a> {
    pub(super) fn new(bytes: &'a [u8], max: usize) -> LineChunks<'a> {
        LineChunks { rest: bytes, max }
    }
}

impl<'a> Iterator for LineChunks<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let window = self.rest.get(..self.max).unwrap_or(self.rest);
        let end = if window.len() == self.rest.len() {
            self.rest.len()
        } else if let Some(last) = window.iter().rposition(|&b| b == b'\n') {
            last + 1
        } else {
            // One line longer than `max`: all of it.
            self.rest
                .iter()
                .position(|&b| b == b'\n')
                .map_or(self.rest.len(), |n| n + 1)
        };
        let (chunk, rest) = self.rest.split_at_checked(end).unwrap_or((self.rest, &[]));
        self.rest = rest;
        Some(chunk)
    }
}
