//! One stream's state (RFC 9113 §5.1) and what each state holds, and the
//! table of a connection's streams.

use std::collections::VecDeque;
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

/// A connection's streams by id, in id order.
///
/// Client streams open in increasing id order (RFC 9113 §5.1.1), so a new
/// stream goes at the back and the oldest, which tend to finish first,
/// sit at the front: two deques kept sorted by id (found by binary search
/// over the ids alone) make opening and closing O(1) in the usual case.
/// An ordered map moved every later stream's state within its node on
/// each removal, several hundred octets per request.
#[derive(Debug, Default)]
pub(super) struct StreamTable {
    ids: VecDeque<u32>,
    states: VecDeque<State>,
}

impl StreamTable {
    pub(super) fn len(&self) -> usize {
        self.ids.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub(super) fn contains_key(&self, id: &u32) -> bool {
        self.ids.binary_search(id).is_ok()
    }

    pub(super) fn get_mut(&mut self, id: &u32) -> Option<&mut State> {
        let at = self.ids.binary_search(id).ok()?;
        self.states.get_mut(at)
    }

    /// Add or replace stream `id`; returns the state it replaced.
    pub(super) fn insert(&mut self, id: u32, state: State) -> Option<State> {
        if self.ids.back().is_none_or(|&last| last < id) {
            self.ids.push_back(id);
            self.states.push_back(state);
            return None;
        }
        match self.ids.binary_search(&id) {
            Ok(at) => self
                .states
                .get_mut(at)
                .map(|old| std::mem::replace(old, state)),
            Err(at) => {
                self.ids.insert(at, id);
                self.states.insert(at, state);
                None
            }
        }
    }

    pub(super) fn remove(&mut self, id: &u32) -> Option<State> {
        let at = self.ids.binary_search(id).ok()?;
        self.ids.remove(at);
        self.states.remove(at)
    }

    pub(super) fn clear(&mut self) {
        self.ids.clear();
        self.states.clear();
    }

    /// Every stream's state, in id order.
    pub(super) fn values_mut(&mut self) -> impl Iterator<Item = &mut State> {
        self.states.iter_mut()
    }

    /// Every stream, in id order.
    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = (u32, &mut State)> {
        self.ids.iter().copied().zip(self.states.iter_mut())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::h2::flow::{DEFAULT_WINDOW, SendWindow};

    fn state() -> State {
        State::HalfClosedRemote {
            send: SendHalf::new(SendWindow::new(DEFAULT_WINDOW)),
        }
    }

    #[test]
    fn streams_stay_in_id_order_however_they_come_and_go() {
        let mut t = StreamTable::default();
        for id in [1, 3, 5, 7, 9] {
            assert!(t.insert(id, state()).is_none());
        }
        assert!(t.remove(&1).is_some());
        assert!(t.remove(&5).is_some());
        assert!(t.remove(&5).is_none());
        // A stream taken out and put back (a state transition) returns
        // to its place, and one replaced in place reports the old state.
        assert!(t.insert(1, state()).is_none());
        assert!(t.insert(5, state()).is_none());
        assert!(t.insert(7, state()).is_some());
        let ids: Vec<u32> = t.iter_mut().map(|(id, _)| id).collect();
        assert_eq!(ids, [1, 3, 5, 7, 9]);
        assert!(t.contains_key(&9) && !t.contains_key(&11));
        assert!(t.get_mut(&3).is_some() && t.get_mut(&4).is_none());
        assert_eq!(t.len(), 5);
        t.clear();
        assert!(t.is_empty());
    }
}
