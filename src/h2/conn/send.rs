//! What the connection sends: response heads and trailers (HPACK-encoded
//! at once, since HEADERS are not flow-controlled), and DATA framed from
//! each stream's queue only as both flow-control windows and the output
//! bound allow.

use super::stream::State;
use super::{Connection, Phase, SendError};
use crate::h2::error::ErrorCode;
use crate::h2::frame::{Data, RstStream, StreamId, encode_header_block};
use crate::hpack::HeaderField;

impl Connection {
    /// Send the response head of `stream`. `fields` are regular fields
    /// (lowercase names); `:status` is added. A 1xx status may precede the
    /// final one. `end_stream`: no body follows.
    pub fn send_headers(
        &mut self,
        stream: StreamId,
        status: u16,
        fields: &[(&[u8], &[u8])],
        end_stream: bool,
    ) -> Result<(), SendError> {
        let informational = (100..200).contains(&status);
        let Some(send) = self.streams.get_mut(&stream.value()).and_then(State::send) else {
            return Err(SendError::StreamGone);
        };
        if send.head_sent {
            return Err(SendError::HeadAlreadySent);
        }
        if informational && end_stream {
            return Err(SendError::NotSendable);
        }
        if !informational {
            send.head_sent = true;
        }
        let status_text = status_digits(status);
        let all = std::iter::once(HeaderField::new(b":status", &status_text))
            .chain(fields.iter().map(|(n, v)| HeaderField::new(n, v)));
        let mut block = std::mem::take(&mut self.scratch);
        block.clear();
        self.encoder.encode(all, &mut block);
        encode_header_block(
            stream,
            &block,
            end_stream,
            self.peer.max_frame_size,
            &mut self.out,
        );
        self.scratch = block;
        if end_stream {
            self.end_local(stream);
        }
        Ok(())
    }

    /// Queue body octets for `stream`; they go out as windows allow.
    pub fn send_data(
        &mut self,
        stream: StreamId,
        data: &[u8],
        end_stream: bool,
    ) -> Result<(), SendError> {
        let Some(send) = self.streams.get_mut(&stream.value()).and_then(State::send) else {
            return Err(SendError::StreamGone);
        };
        if !send.head_sent || send.end_queued || send.trailers.is_some() {
            return Err(SendError::NotSendable);
        }
        send.queued.extend_from_slice(data);
        send.end_queued = end_stream;
        if send.has_work() && !self.ready.contains(&stream) {
            self.ready.push_back(stream);
        }
        Ok(())
    }

    /// Queue trailers for `stream`: they end it, after the queued body.
    pub fn send_trailers(
        &mut self,
        stream: StreamId,
        fields: &[(&[u8], &[u8])],
    ) -> Result<(), SendError> {
        let mut block = Vec::new();
        self.encoder.encode(
            fields.iter().map(|(n, v)| HeaderField::new(n, v)),
            &mut block,
        );
        let Some(send) = self.streams.get_mut(&stream.value()).and_then(State::send) else {
            return Err(SendError::StreamGone);
        };
        if !send.head_sent || send.end_queued || send.trailers.is_some() {
            return Err(SendError::NotSendable);
        }
        send.trailers = Some(block);
        if !self.ready.contains(&stream) {
            self.ready.push_back(stream);
        }
        Ok(())
    }

    /// Abandon `stream` with RST_STREAM(`code`) (the application gave up).
    pub fn reset(&mut self, stream: StreamId, code: ErrorCode) {
        if self.streams.contains_key(&stream.value()) {
            RstStream::new(stream, code).encode(&mut self.out);
            self.streams.remove(&stream.value());
            self.ready.retain(|s| *s != stream);
        }
    }

    /// The application consumed a body chunk of `stream` (from
    /// `Event::Data`): credit flow control and keep the buffer for reuse.
    pub fn release_body(&mut self, stream: StreamId, data: Vec<u8>) {
        let n = u32::try_from(data.len()).unwrap_or(u32::MAX);
        if n > 0 {
            self.release_credit(stream, n);
        }
        if self.body_pool.len() < 16 {
            self.body_pool.push(data);
        }
    }

    /// Answer a request we cannot accept with a bare status (431 for an
    /// oversized head), ending the stream; if the client is still sending,
    /// RST_STREAM(NO_ERROR) tells it to stop (§8.1).
    pub(super) fn refuse_with_status(&mut self, stream: StreamId, status: u16, end_stream: bool) {
        let text = status_digits(status);
        let mut block = Vec::new();
        self.encoder.encode(
            [
                HeaderField::new(b":status", &text),
                HeaderField::new(b"content-length", b"0"),
            ],
            &mut block,
        );
        encode_header_block(
            stream,
            &block,
            true,
            self.peer.max_frame_size,
            &mut self.out,
        );
        if !end_stream {
            RstStream::new(stream, ErrorCode::NO_ERROR).encode(&mut self.out);
        }
    }

    /// Our side of `stream` is complete.
    fn end_local(&mut self, stream: StreamId) {
        if let Some(mut state) = self.streams.remove(&stream.value()) {
            self.recycle_queue(&mut state);
            if let Some(next) = state.send_end() {
                self.streams.insert(stream.value(), next);
            } else {
                self.ready.retain(|s| *s != stream);
            }
        }
    }

    /// Streams with work whose windows may have opened.
    pub(super) fn requeue_sendable(&mut self) {
        for (&id, state) in &mut self.streams {
            if let Some(send) = state.send()
                && send.has_work()
                && send.window.available() > 0
            {
                let id = StreamId::new(id);
                if !self.ready.contains(&id) {
                    self.ready.push_back(id);
                }
            }
        }
    }

    /// Bytes to write now (control frames first, then DATA framed up to
    /// the output target). Call [`consume_output`](Self::consume_output)
    /// with what was written.
    pub fn pending_output(&mut self) -> &[u8] {
        if self.phase != Phase::Failed {
            self.frame_data();
        }
        &self.out[self.out_pos..]
    }

    /// `n` octets of [`pending_output`](Self::pending_output) were written.
    pub fn consume_output(&mut self, n: usize) {
        self.out_pos = (self.out_pos + n).min(self.out.len());
        if self.out_pos == self.out.len() {
            self.out.clear();
            self.out_pos = 0;
        } else if self.out_pos > self.out.len() / 2 {
            self.out.drain(..self.out_pos);
            self.out_pos = 0;
        }
    }

    /// Frame DATA (and trailers) from ready streams, round robin, one
    /// frame per stream per turn, until the output target is reached or
    /// nothing can be sent.
    fn frame_data(&mut self) {
        let max_frame = self.peer.max_frame_size as usize;
        let mut idle_turns = 0;
        while self.unwritten() < self.config.output_high_water
            && idle_turns < self.ready.len().max(1)
        {
            let Some(id) = self.ready.pop_front() else {
                return;
            };
            let conn_avail = self.conn_send.available();
            let Some(send) = self.streams.get_mut(&id.value()).and_then(State::send) else {
                continue;
            };
            let n = send
                .queued
                .len()
                .min(max_frame)
                .min(conn_avail)
                .min(send.window.available());
            let last = n == send.queued.len();
            if n == 0 && !send.queued.is_empty() {
                // Blocked on a window: wait for a WINDOW_UPDATE.
                idle_turns += 1;
                continue;
            }
            let end_with_data = last && send.end_queued && send.trailers.is_none();
            if n > 0 || end_with_data {
                let mut frame = Data::new(id, &send.queued[..n]);
                if end_with_data {
                    frame = frame.end_stream();
                }
                frame.encode(&mut self.out);
                send.window.consume(n);
                send.queued.drain(..n);
                self.conn_send.consume(n);
            }
            idle_turns = 0;
            if send.queued.is_empty() {
                if let Some(block) = send.trailers.take() {
                    encode_header_block(id, &block, true, self.peer.max_frame_size, &mut self.out);
                    self.end_local(id);
                } else if end_with_data {
                    self.end_local(id);
                }
                continue;
            }
            self.ready.push_back(id);
        }
    }
}

/// A status code as its three ASCII digits (clamped to 100..=999).
fn status_digits(status: u16) -> [u8; 3] {
    let s = status.clamp(100, 999);
    [
        b'0' + (s / 100) as u8,
        b'0' + (s / 10 % 10) as u8,
        b'0' + (s % 10) as u8,
    ]
}
