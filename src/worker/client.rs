//! A client connection in a worker: HTTP/1.1 until its first octets show
//! the HTTP/2 preface, then HTTP/2.

use std::time::Instant;

use super::conn::{Conn, Context};
use super::h2conn::H2Conn;
use super::listener::Stream;

/// The protocol a connection speaks.
#[derive(Debug)]
pub(crate) enum Client {
    H1(Box<Conn>),
    H2(Box<H2Conn>),
}

impl Client {
    pub(crate) fn stream_mut(&mut self) -> &mut Stream {
        match self {
            Client::H1(c) => c.stream_mut(),
            Client::H2(c) => c.stream_mut(),
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        match self {
            Client::H1(c) => c.is_closed(),
            Client::H2(c) => c.is_closed(),
        }
    }

    pub(crate) fn take_new_deadline(&mut self) -> Option<Instant> {
        match self {
            Client::H1(c) => c.take_new_deadline(),
            Client::H2(c) => c.take_new_deadline(),
        }
    }

    pub(crate) fn on_deadline(&mut self, now: Instant, when: Instant) {
        match self {
            Client::H1(c) => c.on_deadline(now, when),
            Client::H2(c) => c.on_deadline(now, when),
        }
    }

    /// The worker drains; `linger_until` is the HTTP/1.1 idle grace.
    pub(crate) fn begin_drain(&mut self, now: Instant, linger_until: Instant) {
        match self {
            Client::H1(c) => c.begin_drain(linger_until),
            Client::H2(c) => c.begin_drain(now),
        }
    }

    /// Readiness; returns the connection, requests answered, and whether
    /// the worker should come back to it without waiting for an event
    /// (it stopped at its read budget). An HTTP/1.1 connection whose
    /// client sent the HTTP/2 preface becomes an HTTP/2 one here (the
    /// socket's registration and token stay the same).
    pub(crate) fn on_ready(
        self,
        now: Instant,
        ctx: &mut Context,
        closing: bool,
        draining: bool,
    ) -> (Client, u64, bool) {
        match self {
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
