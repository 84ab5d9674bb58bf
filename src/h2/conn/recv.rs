//! What the connection does with each frame it receives: the rules of
//! RFC 9113 §5 and §6 that need connection state (the frame layer already
//! checked each frame on its own).

use std::time::Instant;

use super::stream::State;
use super::{Connection, Event, PREFACE, Phase};
use crate::h2::error::{Error, ErrorCode};
use crate::h2::frame::{
    Data, Frame, GoAway, Ping, PriorityFrame, RstStream, SettingsFrame, StreamId, WindowUpdate,
    parse_frame,
};

/// How many recently reset streams are remembered, to ignore their
/// in-flight frames.
const RECENT_RESETS: usize = 128;

impl Connection {
    /// Feed octets read from the peer. Frames are processed as far as they
    /// are complete; events queue up for [`Connection::poll_event`]. After
    /// a connection error, the GOAWAY is queued and further input ignored
    /// (see [`Connection::error`]).
    pub fn recv(&mut self, bytes: &[u8], now: Instant) {
        if self.phase == Phase::Failed {
            return;
        }
        if self.input.is_empty() {
            let used = self.process(bytes, now);
            if self.phase != Phase::Failed {
                self.input.extend_from_slice(&bytes[used..]);
            }
        } else {
            self.input.extend_from_slice(bytes);
            let input = std::mem::take(&mut self.input);
            let used = self.process(&input, now);
            if self.phase != Phase::Failed {
                self.input = input;
                self.input.drain(..used);
            }
        }
    }

    /// Process whole frames from `buf`; returns the octets used.
    fn process(&mut self, buf: &[u8], now: Instant) -> usize {
        let mut used = 0;
        if self.phase == Phase::Preface {
            let n = buf.len().min(PREFACE.len());
            if buf[..n] != PREFACE[..n] {
                // §3.4: a preface that is not the expected one "MUST be
                // treated as a connection error of type PROTOCOL_ERROR".
                self.fail(Error::connection(
                    ErrorCode::PROTOCOL_ERROR,
                    "invalid connection preface",
                ));
                return buf.len();
            }
            if n < PREFACE.len() {
                return 0;
            }
            used = PREFACE.len();
            self.phase = Phase::FirstSettings;
        }
        // While our SETTINGS are unacknowledged the peer may still use the
        // default maximum frame size; we never lower it, so one value fits.
        let max_frame = self.ours.max_frame_size;
        while self.phase != Phase::Failed {
            match parse_frame(&buf[used..], max_frame) {
                Ok(None) => break,
                Ok(Some((frame, len))) => {
                    used += len;
                    if let Err(e) = self.on_frame(frame, now) {
                        self.on_error(e, now);
                    }
                }
                Err(e) => {
                    if let Error::Stream { .. } = e {
                        // A stream error leaves the frame boundary intact:
                        // skip the frame and go on.
                        let len = crate::h2::frame::FrameHeader::parse(&buf[used..])
                            .map_or(buf.len() - used, |h| h.frame_len());
                        if self.pending_block.is_some() {
                            // §6.10: nothing may interrupt a header block.
                            self.fail(Error::connection(
                                ErrorCode::PROTOCOL_ERROR,
                                "frame inside a header block",
                            ));
                            return buf.len();
                        }
                        used += len;
                    }
                    self.on_error(e, now);
                }
            }
        }
        used
    }

    /// Answer an error: RST_STREAM for a stream error, GOAWAY and the end
    /// for a connection error.
    fn on_error(&mut self, e: Error, now: Instant) {
        match e {
            Error::Connection { .. } => self.fail(e),
            Error::Stream {
                stream_id, code, ..
            } => {
                log::debug!("{e}");
                self.counters.provoked_resets += 1;
                self.reset_stream(stream_id, code);
                // CVE-2025-8671 (MadeYouReset): resets the client provokes
                // cost the same budget as resets it sends.
                if !self.budgets.resets.spend(now) {
                    self.calm("too many streams reset (provoked)");
                }
            }
        }
    }

    /// Send RST_STREAM and forget the stream (its in-flight frames will be
    /// ignored).
    pub(super) fn reset_stream(&mut self, stream: StreamId, code: ErrorCode) {
        RstStream::new(stream, code).encode(&mut self.out);
        self.forget(stream.value());
        self.events.push_back(Event::Reset { stream, code });
    }

    pub(super) fn forget(&mut self, id: u32) {
        if self.streams.remove(&id).is_some() {
            self.sched.close(id);
        }
        self.note_closed(id);
        if self.recently_reset.len() >= RECENT_RESETS {
            self.recently_reset.pop_front();
        }
        self.recently_reset.push_back(id);
    }

    fn on_frame(&mut self, frame: Frame<'_>, now: Instant) -> Result<(), Error> {
        // §3.4: "the first frame [the client sends] MUST be a SETTINGS frame"
        if self.phase == Phase::FirstSettings {
            match frame {
                Frame::Settings(s) if !s.is_ack() => self.phase = Phase::Open,
                _ => {
                    return Err(Error::connection(
                        ErrorCode::PROTOCOL_ERROR,
                        "first frame after the preface is not SETTINGS",
                    ));
                }
            }
        }
        // §6.2: a header block "MUST be followed by a CONTINUATION frame for
        // the same stream"; anything else is a PROTOCOL_ERROR.
        if let Some(pending) = &self.pending_block {
            match frame {
                Frame::Continuation(c) if c.stream_id() == pending.stream => {}
                _ => {
                    return Err(Error::connection(
                        ErrorCode::PROTOCOL_ERROR,
                        "frame other than CONTINUATION inside a header block",
                    ));
                }
            }
        }
        match frame {
            Frame::Data(d) => self.on_data(d, now),
            Frame::Headers(h) => self.on_headers(h, now),
            Frame::Continuation(c) => self.on_continuation(c, now),
            Frame::Priority(p) => self.on_priority(p, now),
            Frame::RstStream(r) => self.on_rst_stream(r, now),
            Frame::Settings(s) => self.on_settings(s, now),
            Frame::Ping(p) => self.on_ping(p, now),
            Frame::GoAway(g) => {
                self.on_goaway(g);
                Ok(())
            }
            Frame::WindowUpdate(w) => self.on_window_update(w, now),
            Frame::PushPromise(_) => Err(Error::connection(
                ErrorCode::PROTOCOL_ERROR,
                "PUSH_PROMISE sent by a client",
            )),
            Frame::PriorityUpdate(u) => {
                self.counters.priority_frames += 1;
                if !self.budgets.priority_frames.spend(now) {
                    self.calm("PRIORITY_UPDATE flood");
                    return Ok(());
                }
                // RFC 9218 §7.1: a value that does not parse is ignored
                // (the MAY of treating it as an error is not taken).
                if let Some(p) = u.priority() {
                    self.sched
                        .set_priority(u.prioritized_stream_id().value(), p);
                }
                Ok(())
            }
            // §5.5: "Implementations MUST ignore unknown or unsupported
            // values in all extensible protocol elements" (frame types).
            Frame::Unknown(_) => Ok(()),
        }
    }

    /// Is `id` a stream that is closed (it existed and is gone)? Idle
    /// streams are those above the highest id seen.
    pub(super) fn is_idle(&self, id: u32) -> bool {
        id > self.last_client_stream
    }

    fn on_data(&mut self, d: Data<'_>, now: Instant) -> Result<(), Error> {
        let id = d.stream_id();
        let len = d.flow_controlled_len();
        // §6.9.1: DATA counts against the connection window whatever the
        // stream's state; over it is a connection FLOW_CONTROL_ERROR.
        if self.conn_recv.receive(len).is_err() {
            return Err(Error::connection(
                ErrorCode::FLOW_CONTROL_ERROR,
                "DATA beyond the connection window",
            ));
        }
        if self.is_idle(id.value()) {
            // §5.1 idle: "Receiving any frame other than HEADERS or PRIORITY
            // on a stream in this state MUST be treated as a connection
            // error of type PROTOCOL_ERROR."
            return Err(Error::connection(
                ErrorCode::PROTOCOL_ERROR,
                "DATA on an idle stream",
            ));
        }
        if d.data().is_empty() && !d.is_end_stream() {
            self.counters.empty_frames += 1;
            if !self.budgets.empty_frames.spend(now) {
                self.calm("flood of empty DATA frames");
                return Ok(());
            }
        }
        let Some(state) = self.streams.get_mut(&id.value()) else {
            // Closed. Credit the connection window back at once: nobody
            // will consume these octets.
            self.credit_connection(len);
            if self.recently_reset.contains(&id.value()) {
                return Ok(()); // §5.4.2: in flight when we reset it
            }
            return Err(Error::stream(
                id,
                ErrorCode::STREAM_CLOSED,
                "DATA on a closed stream",
            ));
        };
        let Some(recv) = state.recv() else {
            self.credit_connection(len);
            // §5.1 half-closed (remote): frames other than WINDOW_UPDATE,
            // PRIORITY, RST_STREAM get "a stream error of type
            // STREAM_CLOSED".
            return Err(Error::stream(
                id,
                ErrorCode::STREAM_CLOSED,
                "DATA after END_STREAM",
            ));
        };
        if recv.window.receive(len).is_err() {
            self.credit_connection(len);
            return Err(Error::stream(
                id,
                ErrorCode::FLOW_CONTROL_ERROR,
                "DATA beyond the stream window",
            ));
        }
        let body = d.data();
        recv.received += body.len() as u64;
        let over = recv.content_length.is_some_and(|cl| recv.received > cl);
        let short = d.is_end_stream() && recv.content_length.is_some_and(|cl| recv.received != cl);
        // Padding is consumed on arrival: return its credit now.
        let padding = len - body.len() as u32;
        if over || short {
            self.credit_connection(len);
            // §8.1.1: content-length not equal to the DATA received is
            // malformed.
            return Err(Error::stream(
                id,
                ErrorCode::PROTOCOL_ERROR,
                "DATA does not match content-length",
            ));
        }
        if padding > 0 {
            self.release_credit(id, padding);
        }
        if d.is_end_stream() {
            self.end_remote(id);
        }
        if !body.is_empty() || d.is_end_stream() {
            let mut data = self.body_pool.pop().unwrap_or_default();
            data.clear();
            data.extend_from_slice(body);
            self.events.push_back(Event::Data {
                stream: id,
                data,
                end_stream: d.is_end_stream(),
            });
        }
        Ok(())
    }

    /// The client ended its side of `id`.
    pub(super) fn end_remote(&mut self, id: StreamId) {
        if let Some(state) = self.streams.remove(&id.value()) {
            match state.recv_end() {
                Some(next) => {
                    self.streams.insert(id.value(), next);
                }
                None => {
                    self.sched.close(id.value());
                    self.note_closed(id.value());
                }
            }
        }
    }

    fn on_priority(&mut self, p: PriorityFrame, now: Instant) -> Result<(), Error> {
        self.counters.priority_frames += 1;
        if !self.budgets.priority_frames.spend(now) {
            self.calm("PRIORITY flood");
            return Ok(());
        }
        let d = p.dependency();
        let dependency = crate::h2::priority::Dependency {
            on: d.dependency().value(),
            exclusive: d.is_exclusive(),
            weight: d.weight(),
        };
        if d.dependency() == p.stream_id()
            || self
                .sched
                .set_dependency(p.stream_id().value(), dependency)
                .is_err()
        {
            // §5.3.1 (RFC 7540): self-dependency is a stream PROTOCOL_ERROR.
            return Err(Error::stream(
                p.stream_id(),
                ErrorCode::PROTOCOL_ERROR,
                "stream depends on itself",
            ));
        }
        Ok(())
    }

    fn on_rst_stream(&mut self, r: RstStream, now: Instant) -> Result<(), Error> {
        let id = r.stream_id().value();
        if self.is_idle(id) {
            return Err(Error::connection(
                ErrorCode::PROTOCOL_ERROR,
                "RST_STREAM on an idle stream",
            ));
        }
        if let Some(state) = self.streams.remove(&id) {
            self.sched.close(id);
            self.note_closed(id);
            // CVE-2023-44487: a client resetting a stream we are still
            // working on spends the reset budget.
            let in_progress = state_in_progress(&state);
            if in_progress {
                self.counters.client_resets += 1;
                if !self.budgets.resets.spend(now) {
                    self.calm("too many streams reset by the client (rapid reset)");
                    return Ok(());
                }
            }
            // §5.4.2: never answer a RST_STREAM with a RST_STREAM.
            self.events.push_back(Event::Reset {
                stream: r.stream_id(),
                code: r.code(),
            });
        }
        Ok(())
    }

    fn on_settings(&mut self, s: SettingsFrame<'_>, now: Instant) -> Result<(), Error> {
        if s.is_ack() {
            if self.settings_sent_at.take().is_none() {
                // An ACK we did not ask for: harmless, ignored.
                return Ok(());
            }
            return Ok(());
        }
        if s.len() > self.config.defence.max_settings_entries {
            self.counters.settings_floods += 1;
            self.calm("SETTINGS frame with too many entries");
            return Ok(());
        }
        if !self.budgets.settings_frames.spend(now) {
            self.counters.settings_floods += 1;
            self.calm("SETTINGS flood");
            return Ok(());
        }
        let old_window = self.peer.initial_window_size;
        self.peer.apply(&s);
        if self.peer.no_rfc7540_priorities {
            // RFC 9218 §2.1: the client will send no RFC 7540 signals.
            self.sched.use_rfc9218();
        }
        let delta = i64::from(self.peer.initial_window_size) - i64::from(old_window);
        if delta != 0 {
            for state in self.streams.values_mut() {
                if let Some(send) = state.send()
                    && send.window.adjust(delta).is_err()
                {
                    return Err(Error::connection(
                        ErrorCode::FLOW_CONTROL_ERROR,
                        "SETTINGS_INITIAL_WINDOW_SIZE overflows a stream window",
                    ));
                }
            }
            if delta > 0 {
                self.requeue_sendable();
            }
        }
        self.encoder
            .set_peer_max_table_size(self.peer.header_table_size as usize);
        // §6.5.3: "Upon receiving a SETTINGS frame without the ACK flag,
        // the recipient MUST immediately [apply it and] emit a SETTINGS
        // frame with the ACK flag set".
        SettingsFrame::ack().encode(&mut self.out);
        self.check_control_output()
    }

    fn on_ping(&mut self, p: Ping, now: Instant) -> Result<(), Error> {
        if p.is_ack() {
            if self.shutdown_ping == Some(p.opaque_data()) {
                self.final_goaway();
            }
            return Ok(());
        }
        if !self.budgets.pings.spend(now) {
            self.counters.ping_floods += 1;
            self.calm("PING flood");
            return Ok(());
        }
        // §6.7: "Receivers of a PING frame that does not include an ACK
        // flag MUST send a PING frame with the ACK flag set in response".
        p.ack().encode(&mut self.out);
        self.check_control_output()
    }

    fn on_goaway(&mut self, g: GoAway<'_>) {
        self.events.push_back(Event::GoAway {
            last_stream_id: g.last_stream_id(),
            code: g.code(),
        });
    }

    fn on_window_update(&mut self, w: WindowUpdate, now: Instant) -> Result<(), Error> {
        let id = w.stream_id();
        if id.is_connection() {
            if self.conn_send.increase(w.increment()).is_err() {
                return Err(Error::connection(
                    ErrorCode::FLOW_CONTROL_ERROR,
                    "connection window above 2^31-1",
                ));
            }
            self.requeue_sendable();
            return Ok(());
        }
        if self.is_idle(id.value()) {
            return Err(Error::connection(
                ErrorCode::PROTOCOL_ERROR,
                "WINDOW_UPDATE on an idle stream",
            ));
        }
        let Some(send) = self.streams.get_mut(&id.value()).and_then(State::send) else {
            // Closed, or our side is done: nothing to unblock.
            self.counters.empty_frames += 1;
            if !self.budgets.empty_frames.spend(now) {
                self.calm("WINDOW_UPDATE flood");
            }
            return Ok(());
        };
        if send.window.increase(w.increment()).is_err() {
            return Err(Error::stream(
                id,
                ErrorCode::FLOW_CONTROL_ERROR,
                "stream window above 2^31-1",
            ));
        }
        if send.is_sendable() {
            self.sched.set_ready(id.value(), true);
        }
        Ok(())
    }

    /// Too much control output waiting for a peer that does not read?
    fn check_control_output(&mut self) -> Result<(), Error> {
        if self.unwritten() > self.config.max_control_output {
            self.counters.ping_floods += 1;
            return Err(Error::connection(
                ErrorCode::ENHANCE_YOUR_CALM,
                "control frames pile up unread",
            ));
        }
        Ok(())
    }

    /// Give the connection window back for octets nobody will consume.
    fn credit_connection(&mut self, n: u32) {
        if let Some(inc) = self.conn_recv.release(n) {
            WindowUpdate::new(StreamId::CONNECTION, inc).encode(&mut self.out);
        }
    }

    /// Octets of stream `id` were consumed: return credit on the stream
    /// (if it still receives) and the connection.
    pub(super) fn release_credit(&mut self, id: StreamId, n: u32) {
        if let Some(recv) = self.streams.get_mut(&id.value()).and_then(State::recv)
            && let Some(inc) = recv.window.release(n)
        {
            WindowUpdate::new(id, inc).encode(&mut self.out);
        }
        self.credit_connection(n);
    }
}

/// Is the stream still being worked on (a response not yet complete)?
fn state_in_progress(state: &State) -> bool {
    !matches!(state, State::HalfClosedLocal { .. })
}
