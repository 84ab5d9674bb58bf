//! The access log: one line per answered request, in the `combined` or
//! `json` format (`format.rs`), written to a file or standard output
//! (`sink.rs`) as `[access_log]` in the config says.
//!
//! Each worker owns an [`AccessLog`] of its own and never blocks on it
//! for long: [`AccessLog::record`] formats an [`Entry`] into a buffer that
//! is reused, and the buffer is written in one go (whole lines) when it
//! holds `buffer` bytes, when its oldest entry has waited
//! `flush_interval`, on [`AccessLog::flush`] and on drop. There is no
//! thread and no timer here: the worker's event loop asks
//! [`AccessLog::next_flush_deadline`] and calls
//! [`AccessLog::on_deadline`] with its own `now`, which keeps this module
//! testable with explicit time.
//!
//! USR1 calls [`AccessLog::reopen`]: what was recorded before goes to the
//! old (renamed) file, what comes after to a new file at the configured
//! path. When the master runs as root, it calls [`AccessLog::prepare`]
//! before signalling the workers, so that the new file belongs to the
//! workers' user (they cannot `chown` it themselves).
//!
//! A failed write (disk full, a closed pipe) never stops the server: the
//! buffered entries are dropped, one `warn` says so, and one more says how
//! many were lost when writing works again. Nothing here panics on request
//! data; the formats escape it so that one entry is always one line.
//!
//! This module does not know the connections: they fill the `Entry`.

mod entry;
mod format;
mod sink;
#[cfg(test)]
mod tests;

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::config::{AccessLogConfig, AccessLogDestination};

pub use entry::{Entry, Protocol, Remote};
use format::Formatter;
use sink::Sink;

/// A worker's access log: a buffer of formatted entries and where they go.
#[derive(Debug)]
pub struct AccessLog {
    sink: Sink,
    formatter: Formatter,
    /// Formatted entries not yet written: whole lines only.
    buf: Vec<u8>,
    /// How many entries `buf` holds.
    entries: u64,
    /// Write `buf` once it holds this many bytes.
    limit: usize,
    /// How long the oldest entry in `buf` may wait.
    interval: Duration,
    /// When `buf` must be written; `None` while it is empty.
    deadline: Option<Instant>,
    health: Health,
    /// A failed write stopped in the middle of a line: the next write
    /// starts with a newline, so that the torn line ends before new ones.
    torn: bool,
}

/// Whether writing works; failures are reported once per burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Health {
    Writing,
    /// Writes fail; `dropped` entries have been lost since the first one.
    Failing {
        dropped: u64,
    },
}

/// Why an access log could not be opened.
#[derive(Debug)]
pub enum AccessLogError {
    /// The file could not be opened (or created, or given to the workers'
    /// user).
    Open { path: PathBuf, source: io::Error },
    /// Standard output is closed or unusable.
    Stdout(io::Error),
}

impl fmt::Display for AccessLogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccessLogError::Open { path, source } => {
                write!(f, "cannot open access log {}: {source}", path.display())
            }
            AccessLogError::Stdout(e) => write!(f, "cannot log accesses to stdout: {e}"),
        }
    }
}

impl std::error::Error for AccessLogError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AccessLogError::Open { source, .. } | AccessLogError::Stdout(source) => Some(source),
        }
    }
}

impl AccessLog {
    /// Opens the configured destination; `None` when the access log is
    /// off. Call it in the worker, after it dropped privileges: the file
    /// is opened as the workers' user, and the pid in `json` lines is the
    /// caller's.
    pub fn open(config: &AccessLogConfig) -> Result<Option<AccessLog>, AccessLogError> {
        let sink = match &config.destination {
            AccessLogDestination::Off => return Ok(None),
            AccessLogDestination::Stdout => Sink::stdout()?,
            AccessLogDestination::File(path) => Sink::file(path)?,
        };
        Ok(Some(AccessLog {
            sink,
            formatter: Formatter::new(config.format, std::process::id()),
            // Room for the limit and one more entry, so that a full buffer
            // rarely grows.
            buf: Vec::with_capacity(config.buffer.saturating_add(1024)),
            entries: 0,
            limit: config.buffer,
            interval: config.flush_interval,
            deadline: None,
            health: Health::Writing,
            torn: false,
        }))
    }

    /// For the master: creates the configured file if it is missing and,
    /// with `owner` (see `logging::log_owner`), gives it to the workers'
    /// user, so that workers running as that user can open it. Call it at
    /// start, on reload (a failure rejects the new config, naming the
    /// file) and on USR1 before signalling the workers. Nothing to do for
    /// `off` and `stdout`.
    pub fn prepare(
        config: &AccessLogConfig,
        owner: Option<(u32, u32)>,
    ) -> Result<(), AccessLogError> {
        match &config.destination {
            AccessLogDestination::File(path) => sink::open(path, owner).map(drop),
            AccessLogDestination::Off | AccessLogDestination::Stdout => Ok(()),
        }
    }

    /// Adds one entry; `now` is the event loop's clock, from which its
    /// flush deadline counts. Writes the buffer if it is now full.
    pub fn record(&mut self, entry: &Entry<'_>, now: Instant) {
        self.formatter.write(entry, &mut self.buf);
        self.entries += 1;
        if self.deadline.is_none() {
            self.deadline = Some(now.checked_add(self.interval).unwrap_or(now));
        }
        if self.buf.len() >= self.limit {
            self.flush();
        }
    }

    /// When the buffered entries must be written: `flush_interval` after
    /// the oldest was recorded; `None` when nothing is buffered. The worker
    /// caps its poll timeout with it.
    pub fn next_flush_deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Writes the buffer if its deadline has come.
    pub fn on_deadline(&mut self, now: Instant) {
        if self.deadline.is_some_and(|deadline| now >= deadline) {
            self.flush();
        }
    }

    /// Writes everything buffered now. Errors are logged, not returned:
    /// the entries are dropped and serving goes on.
    pub fn flush(&mut self) {
        self.deadline = None;
        if self.buf.is_empty() {
            return;
        }
        if self.torn {
            self.buf.insert(0, b'\n');
        }
        match self.sink.write(&self.buf) {
            Ok(()) => {
                self.torn = false;
                if let Health::Failing { dropped } = self.health {
                    log::warn!(
                        "access log: writing to {} again; {dropped} entries were lost",
                        self.sink
                    );
                    self.health = Health::Writing;
                }
            }
            Err(failure) => {
                let dropped = match self.health {
                    Health::Writing => {
                        log::warn!(
                            "access log: cannot write to {}: {}; entries are lost until \
                             writing works again",
                            self.sink,
                            failure.error
                        );
                        0
                    }
                    Health::Failing { dropped } => dropped,
                };
                self.health = Health::Failing {
                    dropped: dropped.saturating_add(self.entries),
                };
                // A line cut short by the failure must be ended by the
                // next write; if nothing was written, nothing changed.
                if let Some(&last) = self.buf.get(..failure.written).and_then(<[u8]>::last) {
                    self.torn = last != b'\n';
                }
            }
        }
        self.buf.clear();
        self.entries = 0;
    }

    /// USR1: writes what is buffered (to the old file, which logrotate
    /// has renamed), then opens the configured path again. If that fails,
    /// the old file stays in use and a warning says why. Nothing to do
    /// for stdout.
    pub fn reopen(&mut self) {
        self.flush();
        if let Err(e) = self.sink.reopen() {
            log::warn!("USR1: {e}; the access log goes on in the old file");
        }
    }
}

impl Drop for AccessLog {
    /// Writes what is left. A worker that leaves by `process::exit` must
    /// call [`AccessLog::flush`] itself: `exit` runs no destructors.
    fn drop(&mut self) {
        self.flush();
    }
}
