//! What the connection sends: response heads and trailers (HPACK-encoded
//! at once, since HEADERS are not flow-controlled), and DATA framed from
//! each stream's queue only as both flow-control windows and the output
//! bound allow.

use std::sync::Arc;

use super::output::SPLICE_MIN;
use super::stream::State;
use super::{Connection, SendError};
use crate::h2::error::ErrorCode;
use crate::h2::frame::{
    Data, Flags, FrameHeader, FrameType, RstStream, StreamId, encode_header_block,
};
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
        let generation = self.encoder.generation();
        if let Some(block) = self.head_cache.lookup(generation, status_text, fields) {
            // The same head as last time, HPACK unchanged: same octets.
            encode_header_block(
                stream,
                block,
                end_stream,
                self.peer.max_frame_size,
                &mut self.out,
            );
        } else {
            let all = std::iter::once(HeaderField::new(b":status", &status_text))
                .chain(fields.iter().map(|(n, v)| HeaderField::new(n, v)));
            let mut block = std::mem::take(&mut self.scratch);
            block.clear();
            self.encoder.encode(all, &mut block);
            if self.encoder.generation() == generation {
                self.head_cache
                    .store(generation, status_text, fields, &block);
            }
            encode_header_block(
                stream,
                &block,
                end_stream,
                self.peer.max_frame_size,
                &mut self.out,
            );
            self.scratch = block;
        }
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
        let send = self.body_half(stream)?;
        send.push(data);
        send.end_queued = end_stream;
        if send.is_sendable() {
            self.sched.set_ready(stream.value(), true);
        }
        Ok(())
    }

    /// Like [`send_data`](Self::send_data), for a body shared with other
    /// responses (a cached file): it is framed from the shared buffer
    /// without being copied into the stream's queue.
    pub fn send_shared(
        &mut self,
        stream: StreamId,
        data: Arc<[u8]>,
        end_stream: bool,
    ) -> Result<(), SendError> {
        let send = self.body_half(stream)?;
        if send.pending().is_empty() {
            send.queued.clear();
            send.sent = 0;
            send.shared = Some(data);
        } else {
            send.push(&data);
        }
        send.end_queued = end_stream;
        if send.is_sendable() {
            self.sched.set_ready(stream.value(), true);
        }
        Ok(())
    }

    /// The sending half of `stream`, if body data may be queued on it: the
    /// head is sent and neither the end nor trailers are queued.
    fn body_half(&mut self, stream: StreamId) -> Result<&mut super::stream::SendHalf, SendError> {
        let Some(send) = self.streams.get_mut(&stream.value()).and_then(State::send) else {
            return Err(SendError::StreamGone);
        };
        if !send.head_sent || send.end_queued || send.trailers.is_some() {
            return Err(SendError::NotSendable);
        }
        Ok(send)
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
        if send.is_sendable() {
            self.sched.set_ready(stream.value(), true);
        }
        Ok(())
    }

    /// Abandon `stream` with RST_STREAM(`code`) (the application gave up).
    pub fn reset(&mut self, stream: StreamId, code: ErrorCode) {
        if self.streams.contains_key(&stream.value()) {
            RstStream::new(stream, code).encode(&mut self.out);
            self.streams.remove(&stream.value());
            self.sched.close(stream.value());
            self.note_closed(stream.value());
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
            // Our side is done: nothing more to schedule for it.
            self.sched.close(stream.value());
            if let Some(next) = state.send_end() {
                self.streams.insert(stream.value(), next);
            } else {
                self.note_closed(stream.value());
            }
        }
    }

    /// Streams whose stream windows may have opened (SETTINGS raised
    /// INITIAL_WINDOW_SIZE).
    pub(super) fn requeue_sendable(&mut self) {
        for (id, state) in self.streams.iter_mut() {
            if state.send().is_some_and(|send| send.is_sendable()) {
                self.sched.set_ready(id, true);
            }
        }
    }

    /// Frame DATA (and trailers), one frame at a time for the stream the
    /// scheduler picks, until the output reaches its high-water mark, the
    /// connection window closes, or no stream can send.
    ///
    /// The mark is `output_high_water`, except for the last frame of a
    /// response spliced from a shared body: it costs no memory, and
    /// finishing responses lets several small ones share one `writev`, so
    /// it may go up to `spliced_high_water`. The middle of a long body
    /// keeps to the ordinary mark: on loopback, writes of 64 KiB and more
    /// from one busy socket cost more CPU per octet than 32 KiB ones (TCP
    /// defers what exceeds its small-queue limit to softirq work). Both
    /// marks count all unwritten octets, so the choices do not depend on
    /// how the output is taken, vectored or flattened.
    pub(super) fn frame_data(&mut self) {
        let max_frame = self.peer.max_frame_size as usize;
        let ahead = self
            .config
            .spliced_high_water
            .max(self.config.output_high_water);
        loop {
            let unwritten = self.unwritten();
            if unwritten >= ahead {
                return;
            }
            let Some(raw) = self.sched.next() else {
                return;
            };
            let id = StreamId::new(raw);
            let conn_avail = self.conn_send.available();
            let Some(send) = self.streams.get_mut(&raw).and_then(State::send) else {
                self.sched.close(raw);
                continue;
            };
            let n = send
                .pending()
                .len()
                .min(max_frame)
                .min(conn_avail)
                .min(send.window.available());
            if n == 0 && !send.pending().is_empty() {
                if conn_avail == 0 {
                    return; // every stream waits for the connection window
                }
                self.sched.set_ready(raw, false); // its own window is shut
                continue;
            }
            let spliced = n >= SPLICE_MIN && send.shared_pending().is_some();
            let end_with_data =
                n == send.pending().len() && send.end_queued && send.trailers.is_none();
            if unwritten >= self.config.output_high_water && !(spliced && end_with_data) {
                return; // past the ordinary mark: wait for the socket
            }
            let mut splice = None;
            if n > 0 || end_with_data {
                match send.shared_pending() {
                    // A large piece of a shared body goes out by
                    // reference: only the frame header is written here.
                    Some((data, from)) if spliced => {
                        let flags = Flags::EMPTY.with_if(Flags::END_STREAM, end_with_data);
                        FrameHeader::new(FrameType::DATA, flags, id, n).encode(&mut self.out);
                        splice = Some((Arc::clone(data), from..from + n));
                    }
                    _ => {
                        let mut frame = Data::new(id, &send.pending()[..n]);
                        if end_with_data {
                            frame = frame.end_stream();
                        }
                        frame.encode(&mut self.out);
                    }
                }
                send.window.consume(n);
                send.advance(n);
                self.conn_send.consume(n);
            }
            let sendable = send.is_sendable();
            let done = send.pending().is_empty();
            let trailers = if done { send.trailers.take() } else { None };
            self.sched.sent(raw, n);
            if let Some((data, range)) = splice {
                self.splice(&data, range);
            }
            if let Some(block) = trailers {
                encode_header_block(id, &block, true, self.peer.max_frame_size, &mut self.out);
                self.end_local(id);
            } else if end_with_data {
                self.end_local(id);
            } else if !sendable {
                self.sched.set_ready(raw, false);
            }
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
