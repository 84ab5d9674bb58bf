//! What a worker counts for its scoreboard slot between publications.
//!
//! The request path only touches plain integers here (a request's
//! duration is one clock read and three additions); the worker copies the
//! tally into its shared slot once per event-loop turn
//! ([`Tally::publish`]), so the shared cache lines are written once per
//! turn, not once per request.
//!
//! Open connections, open HTTP/2 streams and defence trips are read off
//! each connection after the worker touched it ([`Seen`]): the change
//! since the last look is what is added, so nothing is missed even when
//! a connection changes protocol (TLS handshake, h2c) or closes.
//!
//! Socket octets are counted where every octet passes: the socket's
//! `read`/`write` and `sendfile` (`listener.rs`, `body.rs`). A worker is
//! one process with one event loop touching sockets, so these are
//! process-wide counters; being below every connection and protocol,
//! TLS records and handshakes are included.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::h2::conn::Counters;
use crate::supervisor::scoreboard::{Delta, Gauges, Protocol, Slot};

static BYTES_IN: AtomicU64 = AtomicU64::new(0);
static BYTES_OUT: AtomicU64 = AtomicU64::new(0);

/// `n` octets were read from a client socket.
pub(crate) fn count_in(n: usize) {
    // One writer (the event loop): a load and a store, no locked add.
    BYTES_IN.store(
        BYTES_IN.load(Ordering::Relaxed).wrapping_add(n as u64),
        Ordering::Relaxed,
    );
}

/// `n` octets were written to a client socket.
pub(crate) fn count_out(n: usize) {
    BYTES_OUT.store(
        BYTES_OUT.load(Ordering::Relaxed).wrapping_add(n as u64),
        Ordering::Relaxed,
    );
}

/// What one connection contributed when last looked at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Seen {
    /// The protocol it spoke (none during a TLS handshake).
    pub(crate) protocol: Option<Protocol>,
    /// Its open HTTP/2 streams.
    pub(crate) streams: u64,
    /// Its HTTP/2 defence counters.
    pub(crate) defences: Counters,
}

/// The worker's counts since the last publication, and its gauges.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    delta: Delta,
    open: [u64; 2],
    streams: u64,
}

impl Tally {
    /// A response to a request that arrived at `started` was queued now.
    pub(crate) fn response(&mut self, protocol: Protocol, started: Instant) {
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.delta.latency[protocol.index()].record(micros);
    }

    /// A connection went from `before` to `after` (`Seen::default()` once
    /// it is closed; its defence counters then stay as they were).
    pub(crate) fn shift(&mut self, before: &Seen, after: &Seen) {
        if before == after {
            return;
        }
        if let Some(p) = before.protocol {
            self.open[p.index()] = self.open[p.index()].saturating_sub(1);
        }
        if let Some(p) = after.protocol {
            self.open[p.index()] += 1;
        }
        self.streams = (self.streams + after.streams).saturating_sub(before.streams);
        let (b, a) = (
            defence_words(&before.defences),
            defence_words(&after.defences),
        );
        for ((d, a), b) in self.delta.defences.iter_mut().zip(a).zip(b) {
            *d += a.saturating_sub(b);
        }
    }

    /// Copy everything into `slot` and start counting afresh.
    pub(crate) fn publish(&mut self, slot: &Slot<'_>, requests: u64, connections: u64) {
        let gauges = Gauges {
            requests,
            connections,
            open: self.open,
            h2_streams: self.streams,
            bytes_in: BYTES_IN.load(Ordering::Relaxed),
            bytes_out: BYTES_OUT.load(Ordering::Relaxed),
        };
        slot.publish(&gauges, &self.delta);
        self.delta = Delta::default();
    }
}

/// The engine's counters in the scoreboard's order (`DEFENCES`).
fn defence_words(c: &Counters) -> [u64; 9] {
    [
        c.client_resets,
        c.provoked_resets,
        c.continuation_floods,
        c.oversized_header_lists,
        c.settings_floods,
        c.ping_floods,
        c.empty_frames,
        c.priority_frames,
        c.calm_goaways,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_that_upgrades_and_closes_leaves_no_gauge_behind() {
        let mut t = Tally::default();
        let h1 = Seen {
            protocol: Some(Protocol::Http1),
            ..Seen::default()
        };
        let mut h2 = Seen {
            protocol: Some(Protocol::Http2),
            streams: 3,
            ..Seen::default()
        };
        t.shift(&Seen::default(), &h1);
        assert_eq!(t.open, [1, 0]);
        t.shift(&h1, &h2);
        assert_eq!((t.open, t.streams), ([0, 1], 3));
        let before = h2;
        h2.streams = 0;
        h2.defences.client_resets = 7;
        h2.defences.calm_goaways = 1;
        t.shift(&before, &h2);
        t.shift(&h2, &Seen::default());
        assert_eq!((t.open, t.streams), ([0, 0], 0));
        assert_eq!(t.delta.defences[0], 7);
        assert_eq!(t.delta.defences[8], 1);
    }
}
