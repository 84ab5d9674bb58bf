//! [`Entry`]: what the connections tell the access log about one answered
//! request. Every field is borrowed or `Copy`, so building one costs a few
//! stores and nothing is allocated; the connection fills it when the
//! response has been sent (or abandoned) and hands it to
//! [`AccessLog::record`](super::AccessLog::record).
//!
//! Field values are request data, hence hostile: they are kept as the
//! bytes received and escaped by the formats, never trusted here.

use std::fmt;
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

/// One answered request.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// Wall-clock time the request started (its head began to arrive, or
    /// its HTTP/2 stream opened).
    pub time: SystemTime,
    /// Who sent it.
    pub remote: Remote,
    /// The method token as received (`GET`). Empty when the request was
    /// refused before its method was known (then `combined` writes the
    /// request line as `-`).
    pub method: &'a [u8],
    /// The request target as received: path and query (`/a?b=1`).
    pub target: &'a [u8],
    /// The protocol that carried it.
    pub protocol: Protocol,
    /// The status code sent.
    pub status: u16,
    /// Response body bytes sent (not counting the head or framing), like
    /// nginx's `$body_bytes_sent`; less than the body's length when the
    /// client went away.
    pub bytes: u64,
    /// From the start of the request until its response was sent.
    pub duration: Duration,
    /// The HTTP/2 stream id; `None` for HTTP/1.x.
    pub stream: Option<u32>,
    /// `host`, or HTTP/2's `:authority`, if the request had one.
    pub host: Option<&'a [u8]>,
    /// `referer`, if the request had one.
    pub referer: Option<&'a [u8]>,
    /// `user-agent`, if the request had one.
    pub user_agent: Option<&'a [u8]>,
}

/// The peer of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remote {
    /// A TCP client. An IPv4 address seen through a dual-stack socket
    /// (`::ffff:192.0.2.1`) is logged as the IPv4 address.
    Ip(IpAddr),
    /// A client on a unix socket (a proxy on the same host), logged as
    /// `unix:` like nginx does.
    Unix,
}

/// The protocol a request came over, as the request line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `HTTP/1.0`
    Http10,
    /// `HTTP/1.1`
    Http11,
    /// `HTTP/2.0`, as nginx and Apache write it.
    Http2,
}

impl Protocol {
    /// The name written in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Http10 => "HTTP/1.0",
            Protocol::Http11 => "HTTP/1.1",
            Protocol::Http2 => "HTTP/2.0",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
