//! A client connection in a worker: on a TLS listener first a handshake,
//! then HTTP/2 if ALPN chose `h2`; otherwise HTTP/1.1 until its first
//! octets show the HTTP/2 preface (h2c with prior knowledge), then HTTP/2.

use std::time::Instant;

use crate::config::HttpConfig;

use mio::event::Source;

use super::conn::{Conn, Context};
use super::h2conn::H2Conn;
use super::listener::Stream;
use super::tally::Seen;
use super::tls::{Handshake, Progress};
use crate::supervisor::scoreboard::Protocol;

/// The protocol a connection speaks.
#[derive(Debug)]
pub(crate) enum Client {
    /// TLS handshake in progress.
    Handshake(Box<Handshake>),
    H1(Box<Conn>),
    H2(Box<H2Conn>),
}

impl Client {
    /// A freshly accepted connection; `drain_by` is set when the worker
    /// is already draining.
    pub(crate) fn new(
        stream: Stream,
        now: Instant,
        drain_by: Option<Instant>,
        http: HttpConfig,
    ) -> Client {
        match stream {
            Stream::Tls(tls) => Client::Handshake(Box::new(Handshake::new(
                tls,
                now,
                drain_by,
                http.tls_handshake_timeout,
            ))),
            plain => Client::H1(Box::new(Conn::new(plain, now, drain_by, http))),
        }
    }

    /// The socket, to register with or deregister from the poll.
    pub(crate) fn source_mut(&mut self) -> &mut dyn Source {
        match self {
            Client::Handshake(c) => c.source_mut(),
            Client::H1(c) => c.stream_mut(),
            Client::H2(c) => c.stream_mut(),
        }
    }

    /// An app's reply for `stream` (0 on HTTP/1.1) came back.
    pub(crate) fn deliver(
        &mut self,
        stream: u32,
        reply: crate::app::Reply,
        body: Option<crate::app::api::StreamReceiver>,
        head_only: bool,
        date: &[u8],
        log: Option<&mut crate::app::access_log::AccessLog>,
    ) {
        match self {
            Client::Handshake(_) => {}
            Client::H1(c) => c.deliver(reply, body, date, log),
            Client::H2(c) => c.deliver(stream, reply, body, head_only, log),
        }
    }

    /// What this connection contributes to the scoreboard now.
    pub(crate) fn seen(&self) -> Seen {
        match self {
            Client::Handshake(_) => Seen::default(),
            Client::H1(_) => Seen {
                protocol: Some(Protocol::Http1),
                ..Seen::default()
            },
            Client::H2(c) => c.seen(),
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        match self {
            Client::Handshake(c) => c.is_closed(),
            Client::H1(c) => c.is_closed(),
            Client::H2(c) => c.is_closed(),
        }
    }

    pub(crate) fn take_new_deadline(&mut self) -> Option<Instant> {
        match self {
            Client::Handshake(c) => c.take_new_deadline(),
            Client::H1(c) => c.take_new_deadline(),
            Client::H2(c) => c.take_new_deadline(),
        }
    }

    pub(crate) fn on_deadline(&mut self, now: Instant, when: Instant) {
        match self {
            Client::Handshake(c) => c.on_deadline(now, when),
            Client::H1(c) => c.on_deadline(now, when),
            Client::H2(c) => c.on_deadline(now, when),
        }
    }

    /// The worker drains; `linger_until` is the HTTP/1.1 idle grace.
    pub(crate) fn begin_drain(&mut self, now: Instant, linger_until: Instant) {
        match self {
            Client::Handshake(c) => c.begin_drain(linger_until),
            Client::H1(c) => c.begin_drain(linger_until),
            Client::H2(c) => c.begin_drain(now),
        }
    }

    /// Readiness; returns the connection, requests answered, and whether
    /// the worker should come back to it without waiting for an event
    /// (it stopped at its read budget). A finished TLS handshake becomes
    /// HTTP/2 or HTTP/1.1 here, and an HTTP/1.1 connection whose client
    /// sent the HTTP/2 preface becomes an HTTP/2 one (the socket's
    /// registration and token stay the same); either is served at once,
    /// since what the client sent may already be buffered.
    pub(crate) fn on_ready(
        self,
        now: Instant,
        ctx: &mut Context,
        closing: bool,
        draining: bool,
    ) -> (Client, u64, bool) {
        match self {
            Client::Handshake(hs) => match hs.on_ready() {
                Progress::Waiting(hs) | Progress::Failed(hs) => (Client::Handshake(hs), 0, false),
                Progress::Done {
                    tls,
                    h2: true,
                    drain_by: _,
                } => {
                    let h2 = Box::new(H2Conn::new(Stream::Tls(tls), &[], now, draining, ctx.http));
                    Client::H2(h2).on_ready(now, ctx, closing, draining)
                }
                Progress::Done {
                    tls,
                    h2: false,
                    drain_by,
                } => {
                    let h1 = Box::new(Conn::new(Stream::Tls(tls), now, drain_by, ctx.http));
                    Client::H1(h1).on_ready(now, ctx, closing, draining)
                }
            },
            Client::H1(mut c) => {
                let (served, more) = c.on_ready(now, ctx, closing);
                if !c.wants_http2() {
                    return (Client::H1(c), served, more);
                }
                let http = c.http();
                let (stream, initial, unwritten, upgrade) = (*c).into_http2();
                let mut h2 = Box::new(match upgrade {
                    Some(up) => {
                        H2Conn::upgraded(stream, unwritten, &initial, up, now, draining, http)
                    }
                    None => H2Conn::new(stream, &initial, now, draining, http),
                });
                let (served2, more) = h2.on_ready(now, ctx, closing);
                (Client::H2(h2), served + served2, more)
            }
            Client::H2(mut c) => {
                let (served, more) = c.on_ready(now, ctx, closing);
                (Client::H2(c), served, more)
            }
        }
    }
}
