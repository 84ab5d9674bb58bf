//! One stream's state (RFC 9113 §5.1) and what each state holds.

use std::sync::Arc;

use super::super::flow::{RecvWindow, SendWindow};

/// The state of a stream that has been opened by the client's HEADERS.
///
/// RFC 9113 §5.1, the server's view (push is never used, so the
/// "reserved" states never occur; "idle" streams are simply not stored,
/// and "closed" ones are removed from the table):
///
/// ```text
///                              +--------+
///                      send PP |        | recv PP
///                     ,--------+  idle  +--------.
///                    /         |        |         \
///                   v          +--------+          v
///            +----------+          |           +----------+
///            |          |          | send H /  |          |
///     ,------+ reserved |          | recv H    | reserved +------.
///     |      | (local)  |          |           | (remote) |      |
///     |      +---+------+          v           +------+---+      |
///     |          |             +--------+             |          |
///     |          |     recv ES |        | send ES     |          |
///     |   send H |     ,-------+  open  +-------.     | recv H   |
///     |          |    /        |        |        \    |          |
///     |          v   v         +---+----+         v   v          |
///     |      +----------+          |           +----------+      |
///     |      |   half-  |          |           |   half-  |      |
///     |      |  closed  |          | send R /  |  closed  |      |
///     |      | (remote) |          | recv R    | (local)  |      |
///     |      +----+-----+          |           +-----+----+      |
///     |           |                |                 |           |
///     |           | send ES /      |       recv ES / |           |
///     |           | send R /       v        send R / |           |
///     |           | recv R     +--------+   recv R   |           |
///     | send R /  `----------->|        |<-----------'  send R / |
///     | recv R                 | closed |               recv R   |
///     `----------------------->|        |<-----------------------'
///                              +--------+
/// ```
///
/// Each variant holds only what is valid in it: the receiving half (our
/// window for the client's DATA, the declared content-length) exists
/// while the client may still send; the sending half (the client's window
/// for our DATA, what we have queued) while we may.
#[derive(Debug)]
pub(super) enum State {
    /// Both directions open.
    Open { recv: RecvHalf, send: SendHalf },
    /// The client sent END_STREAM; we are still responding.
    HalfClosedRemote { send: SendHalf },
    /// Our response is complete; the client is still sending.
    HalfClosedLocal { recv: RecvHalf },
}

/// The client-to-server direction.
#[derive(Debug)]
pub(super) struct RecvHalf {
    pub(super) window: RecvWindow,
    pub(super) content_length: Option<u64>,
    pub(super) received: u64,
}

/// The server-to-client direction.
#[derive(Debug)]
pub(super) struct SendHalf {
    pub(super) window: SendWindow,
    /// Response HEADERS sent (a final status, not only 1xx).
    pub(super) head_sent: bool,
    /// DATA queued; `queued[sent..]` is not yet framed (a cursor, so that
    /// framing a large body is linear, not a memmove per frame).
    pub(super) queued: Vec<u8>,
    pub(super) sent: usize,
    /// A shared body sent without copying (a cached file); while it is
    /// set, `queued` is empty and `sent` counts into it.
    pub(super) shared: Option<Arc<[u8]>>,
    /// END_STREAM goes out after `queued` (with a DATA frame, or with the
    /// trailers).
    pub(super) end_queued: bool,
    /// An encoded trailer block to send after `queued`.
    pub(super) trailers: Option<Vec<u8>>,
}

impl SendHalf {
    /// Queued octets not yet framed.
    pub(super) fn pending(&self) -> &[u8] {
        match &self.shared {
            Some(data) => data.get(self.sent..).unwrap_or_default(),
            None => self.queued.get(self.sent..).unwrap_or_default(),
        }
    }

    /// The shared body pending octets are cut from, and the offset of the
    /// first of them, when the body is shared.
    pub(super) fn shared_pending(&self) -> Option<(&Arc<[u8]>, usize)> {
        self.shared.as_ref().map(|data| (data, self.sent))
    }

    /// `n` octets were framed.
    pub(super) fn advance(&mut self, n: usize) {
        self.sent += n;
        let len = self.shared.as_ref().map_or(self.queued.len(), |d| d.len());
        if self.sent >= len {
            self.queued.clear();
            self.shared = None;
            self.sent = 0;
        }
    }

    /// Append owned octets after whatever is pending.
    pub(super) fn push(&mut self, data: &[u8]) {
        if let Some(shared) = self.shared.take() {
            // Rare: more data after a shared body; copy what is left.
            self.queued.clear();
            self.queued
                .extend_from_slice(shared.get(self.sent..).unwrap_or_default());
            self.sent = 0;
        }
        self.queued.extend_from_slice(data);
    }

    pub(super) fn new(window: SendWindow) -> Self {
        Self {
            window,
            head_sent: false,
            queued: Vec::new(),
            sent: 0,
            shared: None,
            end_queued: false,
            trailers: None,
        }
    }

    /// Can a frame go out now as far as this stream is concerned: data
    /// with stream window left, or an END_STREAM or trailers that need
    /// none? (The connection window is the connection's to check.)
    pub(super) fn is_sendable(&self) -> bool {
        if self.pending().is_empty() {
            self.end_queued || self.trailers.is_some()
        } else {
            self.window.available() > 0
        }
    }
}

impl State {
    pub(super) fn send(&mut self) -> Option<&mut SendHalf> {
        match self {
            State::Open { send, .. } | State::HalfClosedRemote { send } => Some(send),
            State::HalfClosedLocal { .. } => None,
        }
    }

    pub(super) fn recv(&mut self) -> Option<&mut RecvHalf> {
        match self {
            State::Open { recv, .. } | State::HalfClosedLocal { recv } => Some(recv),
            State::HalfClosedRemote { .. } => None,
        }
    }

    /// The client ended its side. `None`: the stream is now closed.
    pub(super) fn recv_end(self) -> Option<State> {
        match self {
            State::Open { send, .. } => Some(State::HalfClosedRemote { send }),
            State::HalfClosedRemote { send } => Some(State::HalfClosedRemote { send }),
            State::HalfClosedLocal { .. } => None,
        }
    }

    /// We ended our side. `None`: the stream is now closed.
    pub(super) fn send_end(self) -> Option<State> {
        match self {
            State::Open { recv, .. } => Some(State::HalfClosedLocal { recv }),
            State::HalfClosedLocal { recv } => Some(State::HalfClosedLocal { recv }),
            State::HalfClosedRemote { .. } => None,
        }
    }
}
