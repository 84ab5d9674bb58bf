//! Header blocks: HEADERS and CONTINUATION assembled into one block
//! (with the CONTINUATION-flood caps), decoded with HPACK, and turned into
//! a new request stream or a trailer section (RFC 9113 §4.3, §6.2, §6.10,
//! §8.1).

use std::time::Instant;

use super::stream::{RecvHalf, State};
use super::{Connection, Event, PendingBlock};
use crate::h2::error::{Error, ErrorCode};
use crate::h2::flow::RecvWindow;
use crate::h2::frame::{Continuation, Headers, RstStream, StreamDependency, StreamId};
use crate::h2::request::{validate_request, validate_trailers};
use crate::hpack::DecodeError;

impl Connection {
    pub(super) fn on_headers(&mut self, h: Headers<'_>, now: Instant) -> Result<(), Error> {
        let id = h.stream_id();
        if !id.is_client_initiated() {
            // §5.1.1: "Streams initiated by a client MUST use
            // odd-numbered stream identifiers".
            return Err(Error::connection(
                ErrorCode::PROTOCOL_ERROR,
                "even stream id from a client",
            ));
        }
        if h.depends_on_itself() {
            // §5.3.1: "A stream cannot depend on itself. An endpoint MUST
            // treat this as a stream error of type PROTOCOL_ERROR."
            if self.is_idle(id.value()) {
                self.last_client_stream = id.value();
            }
            return Err(Error::stream(
                id,
                ErrorCode::PROTOCOL_ERROR,
                "stream depends on itself",
            ));
        }
        if h.fragment().is_empty() && !h.is_end_headers() {
            self.counters.empty_frames += 1;
            if !self.budgets.empty_frames.spend(now) {
                self.calm("flood of empty HEADERS frames");
                return Ok(());
            }
        }
        if h.is_end_headers() {
            // The common case: the whole block in one frame, decoded where
            // it lies, without a copy.
            return self.on_header_block(id, h.is_end_stream(), h.dependency(), h.fragment(), now);
        }
        let mut block = self.block_pool.take().unwrap_or_default();
        block.clear();
        self.pending_block = Some(PendingBlock {
            stream: id,
            end_stream: h.is_end_stream(),
            dependency: h.dependency(),
            block,
            continuations: 0,
        });
        self.add_fragment(h.fragment(), false, now)
    }

    pub(super) fn on_continuation(
        &mut self,
        c: Continuation<'_>,
        now: Instant,
    ) -> Result<(), Error> {
        let Some(pending) = &mut self.pending_block else {
            // §6.10: a CONTINUATION not preceded by HEADERS, PUSH_PROMISE
            // or CONTINUATION without END_HEADERS is a PROTOCOL_ERROR.
            return Err(Error::connection(
                ErrorCode::PROTOCOL_ERROR,
                "CONTINUATION without a header block",
            ));
        };
        pending.continuations += 1;
        if pending.continuations > self.config.defence.max_continuations {
            self.counters.continuation_floods += 1;
            self.calm("too many CONTINUATION frames in one header block");
            return Ok(());
        }
        self.add_fragment(c.fragment(), c.is_end_headers(), now)
    }

    fn add_fragment(
        &mut self,
        fragment: &[u8],
        end_headers: bool,
        now: Instant,
    ) -> Result<(), Error> {
        let Some(pending) = &mut self.pending_block else {
            return Ok(());
        };
        if pending.block.len() + fragment.len() > self.config.defence.max_header_block {
            self.counters.continuation_floods += 1;
            self.calm("header block too large");
            return Ok(());
        }
        pending.block.extend_from_slice(fragment);
        if !end_headers {
            return Ok(());
        }
        let Some(pending) = self.pending_block.take() else {
            return Ok(());
        };
        let result = self.on_header_block(
            pending.stream,
            pending.end_stream,
            pending.dependency,
            &pending.block,
            now,
        );
        if pending.block.capacity() <= 64 * 1024 {
            self.block_pool = Some(pending.block);
        }
        result
    }

    /// A complete header block: a new request, or trailers.
    fn on_header_block(
        &mut self,
        id: StreamId,
        end_stream: bool,
        dependency: Option<StreamDependency>,
        block: &[u8],
        now: Instant,
    ) -> Result<(), Error> {
        let mut fields = self.take_list();
        // The block is always decoded, even for a stream we will refuse or
        // ignore: HPACK state is shared by the whole connection.
        let decoded = self.decoder.decode(block, &mut fields);
        match decoded {
            Err(e) if e.is_compression_error() => {
                // §4.3: a field block that cannot be decompressed is "a
                // connection error of type COMPRESSION_ERROR".
                return Err(Error::connection(
                    ErrorCode::COMPRESSION_ERROR,
                    "header block cannot be decoded",
                ));
            }
            _ => {}
        }
        let new = self.is_idle(id.value());
        if new {
            // §5.1.1: a new stream id must exceed every earlier one; being
            // above last_client_stream, it does.
            self.last_client_stream = id.value();
            if let Some(last) = self.goaway_last
                && id.value() > last
            {
                // §6.8: after a GOAWAY, newer streams are ignored.
                self.recycle_fields(fields);
                return Ok(());
            }
        } else if !self.streams.contains_key(&id.value()) {
            self.recycle_fields(fields);
            if self.recently_reset.contains(&id.value()) {
                return Ok(());
            }
            if !self.recently_closed.contains(&id.value()) {
                // §5.1.1: "An endpoint that receives an unexpected stream
                // identifier MUST respond with a connection error of type
                // PROTOCOL_ERROR": a new stream below an earlier one.
                return Err(Error::connection(
                    ErrorCode::PROTOCOL_ERROR,
                    "stream id lower than an earlier stream's",
                ));
            }
            // §5.1 closed: frames after the stream closed are a
            // STREAM_CLOSED error (a connection error here: a client
            // re-using a finished stream is confused beyond one stream).
            return Err(Error::connection(
                ErrorCode::STREAM_CLOSED,
                "HEADERS on a closed stream",
            ));
        }
        if let Err(e) = decoded {
            self.counters.oversized_header_lists += 1;
            log::debug!("stream {id}: {e}");
            self.recycle_fields(fields);
            if new
                && matches!(
                    e,
                    DecodeError::HeaderListTooLarge { .. } | DecodeError::TooManyFields { .. }
                )
            {
                self.refuse_with_status(id, 431, end_stream);
                // An HPACK bomb costs us far more than the client: each
                // refusal spends the reset budget, so a stream of them
                // ends in ENHANCE_YOUR_CALM.
                if !self.budgets.resets.spend(now) {
                    self.calm("too many oversized header lists (HPACK bomb)");
                }
                return Ok(());
            }
            return Err(Error::stream(
                id,
                ErrorCode::PROTOCOL_ERROR,
                "header list too large",
            ));
        }
        if new {
            self.open_stream(id, fields, end_stream, dependency, now)
        } else {
            self.on_trailers(id, fields, end_stream)
        }
    }

    fn open_stream(
        &mut self,
        id: StreamId,
        fields: crate::hpack::HeaderList,
        end_stream: bool,
        dependency: Option<StreamDependency>,
        _now: Instant,
    ) -> Result<(), Error> {
        if self.streams.len() >= self.config.max_concurrent_streams as usize {
            // §5.1.2: beyond SETTINGS_MAX_CONCURRENT_STREAMS, "treat this as
            // a stream error of type PROTOCOL_ERROR or REFUSED_STREAM";
            // REFUSED_STREAM tells the client it may retry.
            self.recycle_fields(fields);
            RstStream::new(id, ErrorCode::REFUSED_STREAM).encode(&mut self.out);
            self.forget(id.value());
            return Ok(());
        }
        let head = match validate_request(fields, self.ours.enable_connect_protocol) {
            Ok(h) => h,
            Err(m) => {
                log::debug!("stream {id}: {m}");
                return Err(Error::stream(id, ErrorCode::PROTOCOL_ERROR, m.0));
            }
        };
        if end_stream && head.content_length().is_some_and(|n| n > 0) {
            // §8.1.1: content-length with no DATA at all.
            return Err(Error::stream(
                id,
                ErrorCode::PROTOCOL_ERROR,
                "content-length on a request without content",
            ));
        }
        let send = self.new_send_half();
        let state = if end_stream {
            State::HalfClosedRemote { send }
        } else {
            State::Open {
                recv: RecvHalf {
                    window: RecvWindow::new(
                        self.config
                            .stream_window
                            .max(crate::h2::flow::DEFAULT_WINDOW),
                        self.config.stream_window,
                    ),
                    content_length: head.content_length(),
                    received: 0,
                },
                send,
            }
        };
        self.streams.insert(id.value(), state);
        self.sched.open(id.value());
        // RFC 9218 §5: the `priority` request header; else the RFC 7540
        // fields of the HEADERS frame (the scheduler ignores them once the
        // client has used RFC 9218).
        if let Some(p) = head.field(b"priority").and_then(crate::h2::Priority::parse) {
            self.sched.set_priority(id.value(), p);
        } else if let Some(d) = dependency {
            // Self-dependency was refused before the block was decoded.
            let _ = self.sched.set_dependency(
                id.value(),
                crate::h2::priority::Dependency {
                    on: d.dependency().value(),
                    exclusive: d.is_exclusive(),
                    weight: d.weight(),
                },
            );
        }
        self.events.push_back(Event::Request {
            stream: id,
            head,
            end_stream,
        });
        Ok(())
    }

    fn on_trailers(
        &mut self,
        id: StreamId,
        fields: crate::hpack::HeaderList,
        end_stream: bool,
    ) -> Result<(), Error> {
        let Some(state) = self.streams.get_mut(&id.value()) else {
            return Ok(());
        };
        let Some(recv) = state.recv() else {
            self.recycle_fields(fields);
            // §5.1 half-closed (remote): STREAM_CLOSED.
            return Err(Error::stream(
                id,
                ErrorCode::STREAM_CLOSED,
                "HEADERS after END_STREAM",
            ));
        };
        // §8.1: a trailer section ends the stream; HEADERS without
        // END_STREAM after the request head is malformed.
        if !end_stream {
            self.recycle_fields(fields);
            return Err(Error::stream(
                id,
                ErrorCode::PROTOCOL_ERROR,
                "second HEADERS without END_STREAM",
            ));
        }
        if recv.content_length.is_some_and(|cl| cl != recv.received) {
            self.recycle_fields(fields);
            return Err(Error::stream(
                id,
                ErrorCode::PROTOCOL_ERROR,
                "DATA does not match content-length",
            ));
        }
        if let Err(m) = validate_trailers(&fields) {
            self.recycle_fields(fields);
            return Err(Error::stream(id, ErrorCode::PROTOCOL_ERROR, m.0));
        }
        self.end_remote(id);
        self.events
            .push_back(Event::Trailers { stream: id, fields });
        Ok(())
    }
}
