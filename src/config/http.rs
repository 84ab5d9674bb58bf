//! The `[http]` table: per-worker connection limits and the deadlines that
//! free a worker from clients that are slow, stalled or gone.

use std::time::Duration;

use toml::Spanned;

use super::raw::RawHttp;
use super::{Checker, ConfigError};

/// Connection limits and deadlines of the workers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HttpConfig {
    /// Most open connections per worker; a full worker stops accepting
    /// so that the others take the load. Default 10,000.
    pub max_connections: usize,
    /// Time for a request head (and its body) to arrive once it has
    /// started, and for the first request on a new connection
    /// (slowloris). Default 30 s.
    pub header_timeout: Duration,
    /// Idle time allowed between requests on a keep-alive connection
    /// (HTTP/1.1) or with no stream open (HTTP/2). Default 75 s.
    pub keepalive_timeout: Duration,
    /// Time a connection may go without any write progress while output
    /// waits (the client is not reading). Default 30 s.
    pub write_timeout: Duration,
    /// While draining, how long an idle HTTP/1.1 keep-alive connection is
    /// kept for a request already on its way. Default 1 s.
    pub drain_linger: Duration,
    /// Time a client on a TLS listener gets from accept to a finished
    /// handshake. Default 10 s: long enough for a slow mobile link's round
    /// trips, short enough that idle half-open handshakes do not pile up.
    pub tls_handshake_timeout: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            max_connections: 10_000,
            header_timeout: Duration::from_secs(30),
            keepalive_timeout: Duration::from_secs(75),
            write_timeout: Duration::from_secs(30),
            drain_linger: Duration::from_secs(1),
            tls_handshake_timeout: Duration::from_secs(10),
        }
    }
}

/// Most connections a worker may be configured for (a file descriptor
/// each; the process limit is checked at start).
const MAX_CONNECTIONS: i64 = 1_000_000;

impl Checker<'_> {
    pub(super) fn http(&self, raw: Option<RawHttp>) -> Result<HttpConfig, ConfigError> {
        let d = HttpConfig::default();
        let Some(raw) = raw else {
            return Ok(d);
        };
        Ok(HttpConfig {
            max_connections: self.max_connections(raw.max_connections.as_ref())?,
            header_timeout: self.seconds(
                raw.header_timeout.as_ref(),
                "http.header_timeout",
                0.0,
                d.header_timeout,
            )?,
            keepalive_timeout: self.seconds(
                raw.keepalive_timeout.as_ref(),
                "http.keepalive_timeout",
                0.0,
                d.keepalive_timeout,
            )?,
            write_timeout: self.seconds(
                raw.write_timeout.as_ref(),
                "http.write_timeout",
                0.0,
                d.write_timeout,
            )?,
            drain_linger: self.seconds(
                raw.drain_linger.as_ref(),
                "http.drain_linger",
                0.0,
                d.drain_linger,
            )?,
            tls_handshake_timeout: self.seconds(
                raw.tls_handshake_timeout.as_ref(),
                "http.tls_handshake_timeout",
                0.0,
                d.tls_handshake_timeout,
            )?,
        })
    }

    fn max_connections(&self, raw: Option<&Spanned<i64>>) -> Result<usize, ConfigError> {
        let Some(raw) = raw else {
            return Ok(HttpConfig::default().max_connections);
        };
        let n = *raw.get_ref();
        if !(1..=MAX_CONNECTIONS).contains(&n) {
            return Err(self.invalid(
                raw.span(),
                "http.max_connections",
                format!("must be between 1 and {MAX_CONNECTIONS}, got {n}"),
            ));
        }
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }
}
