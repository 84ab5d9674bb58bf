//! The `[access_log]` table: whether each answered request is logged, where
//! to, in which format, and how much the workers buffer before writing.
//!
//! Only the settings live here. Writing the log (formats, escaping, the
//! buffer, reopening on USR1) is `app::access_log`.

use std::path::PathBuf;
use std::time::Duration;

use toml::Spanned;

use super::raw::{RawAccessLog, Seconds};
use super::{Checker, ConfigError};

/// Longest `flush_interval`: entries never wait longer than this to reach
/// the file, so `tail -f` and log shippers stay close to live.
const MAX_FLUSH_INTERVAL: f64 = 60.0;
/// Largest `buffer`: per worker, so the memory is this times `workers`.
const MAX_BUFFER: i64 = 16 * 1024 * 1024;

/// The validated `[access_log]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogConfig {
    /// Where entries go. Default: [`AccessLogDestination::Off`].
    pub destination: AccessLogDestination,
    /// How each entry is written. Default: [`AccessLogFormat::Combined`].
    pub format: AccessLogFormat,
    /// Longest time an entry waits in a worker's buffer before it is
    /// written; zero writes it at the end of the event-loop turn that
    /// recorded it. Default 1 s.
    pub flush_interval: Duration,
    /// A worker writes its buffer as soon as it holds this many bytes;
    /// zero writes every entry at once. Default 64 KiB.
    pub buffer: usize,
}

impl Default for AccessLogConfig {
    fn default() -> Self {
        AccessLogConfig {
            destination: AccessLogDestination::Off,
            format: AccessLogFormat::Combined,
            flush_interval: Duration::from_secs(1),
            buffer: 64 * 1024,
        }
    }
}

/// Where access log entries are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessLogDestination {
    /// `"off"`: no access log; nothing is formatted or written.
    Off,
    /// `"stdout"`: the process's standard output (a terminal, a pipe to a
    /// log collector, the systemd journal).
    Stdout,
    /// Any other value: a file, appended to, reopened on USR1. Absolute
    /// (a relative path is resolved against the config file's directory).
    File(PathBuf),
}

/// The line format of an access log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessLogFormat {
    /// `"combined"`: the Apache/nginx combined format, exactly, so that
    /// existing log tools read it.
    Combined,
    /// `"json"`: one JSON object per line, with every field bicorn has.
    Json,
}

impl Checker<'_> {
    pub(super) fn access_log(
        &self,
        raw: Option<RawAccessLog>,
    ) -> Result<AccessLogConfig, ConfigError> {
        let d = AccessLogConfig::default();
        let Some(raw) = raw else {
            return Ok(d);
        };
        Ok(AccessLogConfig {
            destination: match &raw.destination {
                None => d.destination,
                Some(dest) => self.access_log_destination(dest)?,
            },
            format: match &raw.format {
                None => d.format,
                Some(format) => self.access_log_format(format)?,
            },
            flush_interval: match &raw.flush_interval {
                None => d.flush_interval,
                Some(interval) => self.flush_interval(interval)?,
            },
            buffer: match &raw.buffer {
                None => d.buffer,
                Some(buffer) => self.access_log_buffer(buffer)?,
            },
        })
    }

    fn access_log_destination(
        &self,
        raw: &Spanned<String>,
    ) -> Result<AccessLogDestination, ConfigError> {
        match raw.get_ref().as_str() {
            "off" => Ok(AccessLogDestination::Off),
            "stdout" => Ok(AccessLogDestination::Stdout),
            "" => Err(self.invalid(
                raw.span(),
                "access_log.destination",
                "must be \"off\", \"stdout\" or a file path, got an empty string",
            )),
            _ => Ok(AccessLogDestination::File(
                self.path(raw, "access_log.destination")?,
            )),
        }
    }

    fn access_log_format(&self, raw: &Spanned<String>) -> Result<AccessLogFormat, ConfigError> {
        match raw.get_ref().as_str() {
            "combined" => Ok(AccessLogFormat::Combined),
            "json" => Ok(AccessLogFormat::Json),
            other => Err(self.invalid(
                raw.span(),
                "access_log.format",
                format!("must be \"combined\" or \"json\", got `{other}`"),
            )),
        }
    }

    fn flush_interval(&self, raw: &Spanned<Seconds>) -> Result<Duration, ConfigError> {
        let Seconds(seconds) = *raw.get_ref();
        // Written so that NaN fails too.
        if !(0.0..=MAX_FLUSH_INTERVAL).contains(&seconds) {
            return Err(self.invalid(
                raw.span(),
                "access_log.flush_interval",
                format!("must be between 0 and {MAX_FLUSH_INTERVAL} seconds, got {seconds}"),
            ));
        }
        Ok(Duration::from_secs_f64(seconds))
    }

    fn access_log_buffer(&self, raw: &Spanned<i64>) -> Result<usize, ConfigError> {
        let n = *raw.get_ref();
        if !(0..=MAX_BUFFER).contains(&n) {
            return Err(self.invalid(
                raw.span(),
                "access_log.buffer",
                format!("must be between 0 and {MAX_BUFFER} bytes, got {n}"),
            ));
        }
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }
}
