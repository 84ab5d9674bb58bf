//! Flow-control windows (RFC 9113 §5.2, §6.9), both directions.
//!
//! [`SendWindow`]: the credit the peer gave us, per stream and for the
//! connection. It may go negative when the peer lowers
//! SETTINGS_INITIAL_WINDOW_SIZE (§6.9.2) and must never exceed 2^31-1.
//!
//! [`RecvWindow`]: the credit we gave the peer. DATA beyond it is a
//! FLOW_CONTROL_ERROR. Credit comes back with WINDOW_UPDATE only as the
//! application *consumes* data, so a slow reader throttles its sender
//! instead of filling our memory; updates are batched (sent once half the
//! target window has been consumed) so a bulk upload costs one
//! WINDOW_UPDATE per half window, not one per DATA frame.

use std::fmt;

/// 2^31-1, the largest flow-control window (§6.9.1).
pub const MAX_WINDOW: i64 = (1 << 31) - 1;
/// The initial window of every stream and of the connection until SETTINGS
/// say otherwise (§6.9.2).
pub const DEFAULT_WINDOW: u32 = 65_535;

/// A window would exceed 2^31-1, or the peer sent more than its credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowControlError {
    /// A WINDOW_UPDATE or a SETTINGS change pushed a window over 2^31-1.
    Overflow,
    /// The peer sent DATA beyond the window we advertised.
    Exceeded,
}

impl fmt::Display for FlowControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FlowControlError::Overflow => "flow-control window above 2^31-1",
            FlowControlError::Exceeded => "DATA beyond the advertised flow-control window",
        })
    }
}

impl std::error::Error for FlowControlError {}

/// Credit the peer gave us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendWindow(i64);

impl SendWindow {
    /// A window of `initial` octets.
    pub fn new(initial: u32) -> Self {
        Self(i64::from(initial))
    }

    /// Octets that may be sent now (0 while the window is negative).
    pub fn available(&self) -> usize {
        usize::try_from(self.0.max(0)).unwrap_or(0)
    }

    /// The signed size.
    pub fn size(&self) -> i64 {
        self.0
    }

    /// We sent `n` flow-controlled octets. Callers never send more than
    /// [`available`](Self::available), so this cannot go below the
    /// negative values a SETTINGS change may leave.
    pub fn consume(&mut self, n: usize) {
        self.0 -= i64::try_from(n).unwrap_or(MAX_WINDOW);
    }

    /// A WINDOW_UPDATE of `increment` arrived.
    pub fn increase(&mut self, increment: u32) -> Result<(), FlowControlError> {
        // §6.9.1: "If a sender receives a WINDOW_UPDATE that causes a
        // flow-control window to exceed this maximum, it MUST terminate
        // either the stream or the connection".
        let next = self.0 + i64::from(increment);
        if next > MAX_WINDOW {
            return Err(FlowControlError::Overflow);
        }
        self.0 = next;
        Ok(())
    }

    /// SETTINGS_INITIAL_WINDOW_SIZE changed by `delta` (§6.9.2: "a
    /// receiver MUST adjust the size of all stream flow-control windows
    /// that it maintains by the difference").
    pub fn adjust(&mut self, delta: i64) -> Result<(), FlowControlError> {
        let next = self.0 + delta;
        // §6.9.2: a change "that causes any flow-control window to exceed
        // the maximum size" is a connection FLOW_CONTROL_ERROR.
        if next > MAX_WINDOW {
            return Err(FlowControlError::Overflow);
        }
        self.0 = next;
        Ok(())
    }
}

/// Credit we gave the peer, and what to give back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecvWindow {
    /// Octets the peer may still send.
    window: i64,
    /// The window we aim to keep open.
    target: u32,
    /// Consumed by the application, not yet returned.
    pending: u32,
}

impl RecvWindow {
    /// A window whose peer-visible size starts at `initial` and is kept
    /// near `target` as the application consumes data.
    pub fn new(initial: u32, target: u32) -> Self {
        Self {
            window: i64::from(initial),
            target,
            pending: 0,
        }
    }

    /// Octets the peer may still send.
    pub fn size(&self) -> i64 {
        self.window
    }

    /// `n` flow-controlled octets (the whole DATA payload, padding
    /// included, §6.1) arrived.
    pub fn receive(&mut self, n: u32) -> Result<(), FlowControlError> {
        let n = i64::from(n);
        if n > self.window {
            return Err(FlowControlError::Exceeded);
        }
        self.window -= n;
        Ok(())
    }

    /// The application consumed `n` octets (padding counts as consumed on
    /// arrival). Returns the WINDOW_UPDATE increment to send, if enough
    /// has accumulated: at least half the target, or everything when the
    /// peer would otherwise be left with less than half.
    pub fn release(&mut self, n: u32) -> Option<u32> {
        self.pending = self.pending.saturating_add(n);
        let threshold = (self.target / 2).max(1);
        if self.pending >= threshold {
            let inc = self.pending;
            self.pending = 0;
            self.window += i64::from(inc);
            Some(inc)
        } else {
            None
        }
    }

    /// Raise the window to `target` at once (e.g. the connection window
    /// after the preface); returns the increment to send, if any.
    pub fn open_to_target(&mut self) -> Option<u32> {
        let missing = i64::from(self.target) - self.window;
        let inc = u32::try_from(missing).ok().filter(|&i| i > 0)?;
        self.window += i64::from(inc);
        Some(inc)
    }

    /// Our SETTINGS_INITIAL_WINDOW_SIZE changed by `delta` and the peer
    /// acknowledged it: it applies to stream windows (not the connection's).
    pub fn adjust(&mut self, delta: i64) {
        self.window += delta;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_update_past_2_31_minus_1_is_an_overflow() {
        let mut w = SendWindow::new(DEFAULT_WINDOW);
        assert!(w.increase((MAX_WINDOW - 65_535) as u32).is_ok());
        assert_eq!(w.size(), MAX_WINDOW);
        assert_eq!(w.increase(1), Err(FlowControlError::Overflow));
        assert_eq!(w.size(), MAX_WINDOW, "a rejected update changes nothing");
    }

    #[test]
    fn lowering_initial_window_size_can_make_a_window_negative() {
        let mut w = SendWindow::new(DEFAULT_WINDOW);
        w.consume(60_000);
        w.adjust(16_384 - 65_535).unwrap();
        assert_eq!(w.size(), 16_384 - 60_000);
        assert_eq!(w.available(), 0);
        w.increase(43_616).unwrap();
        assert_eq!(w.available(), 0);
        w.increase(1).unwrap();
        assert_eq!(w.available(), 1);
    }

    #[test]
    fn raising_initial_window_size_past_the_maximum_is_an_overflow() {
        let mut w = SendWindow::new(DEFAULT_WINDOW);
        w.increase(1_000).unwrap();
        assert_eq!(
            w.adjust(MAX_WINDOW - 65_535),
            Err(FlowControlError::Overflow)
        );
    }

    #[test]
    fn data_beyond_the_receive_window_is_a_flow_control_error() {
        let mut w = RecvWindow::new(DEFAULT_WINDOW, DEFAULT_WINDOW);
        w.receive(65_000).unwrap();
        assert_eq!(w.receive(536), Err(FlowControlError::Exceeded));
        w.receive(535).unwrap();
        assert_eq!(w.size(), 0);
    }

    #[test]
    fn window_updates_are_batched_until_half_the_target_is_consumed() {
        let mut w = RecvWindow::new(1 << 20, 1 << 20);
        w.receive(1 << 20).unwrap();
        let mut updates = Vec::new();
        for _ in 0..64 {
            if let Some(inc) = w.release(16_384) {
                updates.push(inc);
            }
        }
        assert_eq!(updates, [1 << 19, 1 << 19]);
        assert_eq!(w.size(), 1 << 20);
    }

    #[test]
    fn opening_the_connection_window_to_its_target_sends_the_difference() {
        let mut w = RecvWindow::new(DEFAULT_WINDOW, 16 << 20);
        assert_eq!(w.open_to_target(), Some((16 << 20) - 65_535));
        assert_eq!(w.open_to_target(), None);
    }
}
