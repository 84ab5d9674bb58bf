//! One HTTP/2 connection in a worker (h2c with prior knowledge, detected
//! on the cleartext port by its preface): socket I/O around the sans-I/O
//! engine in `h2::conn`, and the built-in responder.
//!
//! Each readiness event: read while the engine wants input, hand the
//! octets to the engine, answer the requests it reports, write what it
//! produced until the socket would block. The engine's deadlines
//! (SETTINGS acknowledgement, the graceful-shutdown PING) go into the
//! worker's deadline heap like an HTTP/1.1 connection's.

use std::collections::HashMap;
use std::io::{self, IoSlice, Read, Write};
use std::sync::Arc;
use std::time::Instant;

use crate::config::HttpConfig;
use crate::h2::conn::{Config, Connection, Event};
use crate::h2::{ErrorCode, StreamId};

use super::access::{Logged, record_now};
use super::apps::AppRequest;
use super::body::{CHUNK, FileSource};
use super::conn::{Context, H2cUpgrade, READ_BUDGET};
use super::fault::HANG_PATH;
use super::listener::Stream;
use crate::app::access_log::{AccessLog, Protocol, Remote};
use crate::app::api::{App, Polled, StreamItem, StreamReceiver};
use crate::app::{Body, Fields, NoFields, Reply, Request};

const READ_CHUNK: usize = 16 * 1024;
/// Most slices handed to one `writev` (the engine's output target keeps
/// it to a few dozen in practice; IOV_MAX is 1024).
const WRITE_SLICES: usize = 64;

/// A request being received (a POST body still arriving).
#[derive(Debug)]
struct Pending {
    /// The app answering it, and the request as it will get it.
    app: Option<(Arc<dyn App>, AppRequest)>,
    method: Vec<u8>,
    path: Vec<u8>,
    head_only: bool,
    post: bool,
    received: u64,
    hang: bool,
    /// Its log fields, when an access log is configured.
    logged: Option<Logged>,
}

/// The pending access-log entry of a streamed body.
#[derive(Debug)]
struct StreamLog {
    logged: Logged,
    status: u16,
    bytes: u64,
}

/// An HTTP/2 client connection.
#[derive(Debug)]
pub(crate) struct H2Conn {
    stream: Stream,
    conn: Connection,
    /// Octets to write before the engine's output: the 101 of an h2c
    /// upgrade not yet written when the connection switched.
    prefix: Vec<u8>,
    /// The request of an h2c upgrade, answered on stream 1.
    upgraded: Option<Pending>,
    requests: HashMap<u32, Pending>,
    closed: bool,
    draining: bool,
    /// Idle deadline (no stream open for keepalive_timeout).
    deadline: Instant,
    scheduled: Option<Instant>,
    http: HttpConfig,
    /// The last time a write made progress (or output was empty).
    last_write: Instant,
    /// Output is waiting for the socket (the last write would block).
    write_blocked: bool,
    /// Response bodies read from files as their streams take them.
    sources: Vec<(StreamId, Outgoing)>,
    /// Reused for file chunks on their way into the engine.
    chunk: Vec<u8>,
    /// The peer, looked up when the access log first needs it.
    remote: Option<Remote>,
    /// Log fields of requests handed to an app, by stream.
    app_logs: HashMap<u32, Logged>,
    /// Streamed bodies that ended (or were cut), to be logged.
    finished: Vec<StreamLog>,
}

impl H2Conn {
    /// Take over a connection whose first octets (`initial`, starting with
    /// the client preface) were read by the HTTP/1.1 side.
    pub(crate) fn new(
        stream: Stream,
        initial: &[u8],
        now: Instant,
        draining: bool,
        http: HttpConfig,
    ) -> Self {
        let conn = Connection::new(Config::default(), now);
        Self::start(stream, conn, Vec::new(), None, initial, now, draining, http)
    }

    /// Take over after an accepted `Upgrade: h2c`: `unwritten` is what is
    /// left of our 101, `initial` what the client sent after its request.
    pub(crate) fn upgraded(
        stream: Stream,
        unwritten: Vec<u8>,
        initial: &[u8],
        up: H2cUpgrade,
        now: Instant,
        draining: bool,
        http: HttpConfig,
    ) -> Self {
        let conn = match Connection::new_upgraded(Config::default(), now, &up.settings) {
            Ok(c) => c,
            // The settings were checked before the 101 was sent.
            Err(_) => Connection::new(Config::default(), now),
        };
        let request = Pending {
            app: None,
            method: up.method,
            path: up.target,
            head_only: up.head_only,
            post: false,
            received: 0,
            hang: up.hang,
            logged: up.logged,
        };
        Self::start(
            stream,
            conn,
            unwritten,
            Some(request),
            initial,
            now,
            draining,
            http,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn start(
        stream: Stream,
        conn: Connection,
        prefix: Vec<u8>,
        upgraded: Option<Pending>,
        initial: &[u8],
        now: Instant,
        draining: bool,
        http: HttpConfig,
    ) -> Self {
        let mut h2 = Self {
            stream,
            conn,
            prefix,
            upgraded,
            requests: HashMap::new(),
            closed: false,
            draining: false,
            deadline: now + http.keepalive_timeout,
            scheduled: None,
            http,
            last_write: now,
            write_blocked: false,
            sources: Vec::new(),
            chunk: Vec::new(),
            remote: None,
            app_logs: HashMap::new(),
            finished: Vec::new(),
        };
        h2.conn.recv(initial, now);
        if draining {
            h2.begin_drain(now);
        }
        h2
    }

    pub(crate) fn stream_mut(&mut self) -> &mut Stream {
        &mut self.stream
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// Open streams and defence trips, for the scoreboard.
    pub(crate) fn seen(&self) -> super::tally::Seen {
        super::tally::Seen {
            protocol: Some(crate::supervisor::scoreboard::Protocol::Http2),
            streams: self.conn.open_streams() as u64,
            defences: self.conn.counters(),
        }
    }

    /// The worker drains: double GOAWAY, then finish open streams.
    pub(crate) fn begin_drain(&mut self, now: Instant) {
        if !self.draining {
            self.draining = true;
            self.conn.start_shutdown(now);
        }
    }

    /// A heap entry to add, when the next deadline is earlier than any
    /// already scheduled.
    pub(crate) fn take_new_deadline(&mut self) -> Option<Instant> {
        let mut next = match self.conn.next_deadline() {
            Some(t) => t.min(self.deadline),
            None => self.deadline,
        };
        if self.write_blocked {
            next = next.min(self.last_write + self.http.write_timeout);
        }
        match self.scheduled {
            Some(at) if at <= next => None,
            _ => {
                self.scheduled = Some(next);
                Some(next)
            }
        }
    }

    pub(crate) fn on_deadline(&mut self, now: Instant, when: Instant) {
        if self.scheduled == Some(when) {
            self.scheduled = None;
        }
        self.conn.on_deadline(now);
        self.top_up();
        if self.write_blocked && now >= self.last_write + self.http.write_timeout {
            // The client stopped reading: free the connection.
            log::debug!(
                "h2 connection closed: no write progress for {:?}",
                self.http.write_timeout
            );
            self.closed = true;
            return;
        }
        if now >= self.deadline && self.conn.open_streams() == 0 {
            // Idle: say goodbye properly, then close once flushed.
            self.begin_drain(now);
            self.deadline = now + self.http.keepalive_timeout;
        }
        self.flush(now);
    }

    /// Readiness. Returns the requests answered.
    ///
    /// mio is edge-triggered: each pass reads until the socket would
    /// block (or the engine stops wanting input because the peer is not
    /// reading) and writes until it would block. Only when reading paused
    /// for output and the output then drained is another pass needed.
    /// Returns the requests answered and whether to come back (the read
    /// budget ran out before the socket would block).
    pub(crate) fn on_ready(
        &mut self,
        now: Instant,
        ctx: &mut Context,
        closing: bool,
    ) -> (u64, bool) {
        if closing {
            self.begin_drain(now);
        }
        let mut served = 0;
        let mut more = false;
        if let Some(p) = self.upgraded.take() {
            served += self.answer(StreamId::new(1), p, ctx, now);
        }
        loop {
            let read = self.read(now);
            served += self.respond(ctx, now);
            let write = self.flush_bodies(now);
            if let Some(log) = &mut ctx.access_log {
                for p in self.finished.drain(..) {
                    let remote = *self.remote.get_or_insert_with(|| self.stream.remote());
                    p.logged.record(log, remote, p.status, p.bytes);
                }
            }
            if self.closed {
                return (served, false);
            }
            match (read, write) {
                (ReadEnd::Eof, _) => {
                    // The peer is gone (HTTP/2 clients do not half-close).
                    self.closed = true;
                    return (served, false);
                }
                (ReadEnd::Paused, WriteEnd::Drained) => continue,
                (ReadEnd::Budget, _) => {
                    more = true;
                    break;
                }
                _ => break,
            }
        }
        if self.conn.is_done() {
            self.closed = true;
        }
        (served, more && !self.closed)
    }

    /// Read and feed the engine until the socket would block, the peer
    /// closes, or the engine wants no more input for now.
    fn read(&mut self, now: Instant) -> ReadEnd {
        let mut total = 0;
        loop {
            if !self.conn.wants_read() {
                return ReadEnd::Paused;
            }
            if total >= READ_BUDGET {
                return ReadEnd::Budget;
            }
            let mut chunk = [0u8; READ_CHUNK];
            match self.stream.read(&mut chunk) {
                Ok(0) => return ReadEnd::Eof,
                Ok(n) => {
                    total += n;
                    self.conn.recv(&chunk[..n], now);
                    if n < chunk.len() && self.stream.drained_by_short_read() {
                        // A short read emptied the socket: with
                        // edge-triggered readiness, new data raises a new
                        // event, so the EAGAIN read can be skipped.
                        return ReadEnd::WouldBlock;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return ReadEnd::WouldBlock,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return ReadEnd::Eof,
            }
        }
    }

    /// Queue more of the file bodies whose streams can take it, and write,
    /// until the socket would block or no body wants more.
    fn flush_bodies(&mut self, now: Instant) -> WriteEnd {
        loop {
            let queued = self.top_up();
            let end = self.flush(now);
            if end == WriteEnd::Blocked || self.closed || !queued {
                return end;
            }
        }
    }

    /// Feed each file body's stream while the engine wants more of it
    /// (about one chunk queued at most, none while its window is shut).
    /// Returns whether anything was queued.
    fn top_up(&mut self) -> bool {
        let mut queued = false;
        let mut i = 0;
        while i < self.sources.len() {
            let (id, src) = &mut self.sources[i];
            let id = *id;
            let mut finished = !self.conn.is_sending(id);
            while !finished && self.conn.wants_body(id, CHUNK) {
                match src {
                    Outgoing::File(file) => {
                        self.chunk.clear();
                        match file.read_into(&mut self.chunk, CHUNK) {
                            Ok(_) => {
                                let end = file.is_done();
                                let _ = self.conn.send_data(id, &self.chunk, end);
                                queued = true;
                                finished = end;
                            }
                            Err(e) => {
                                log::warn!("file body for h2 stream {id} failed: {e}");
                                self.conn.reset(id, ErrorCode::INTERNAL_ERROR);
                                finished = true;
                            }
                        }
                    }
                    Outgoing::Stream(rx, pending) => match rx.poll() {
                        Polled::Pending => break, // woken when produced
                        Polled::Item(StreamItem::Data(d)) => {
                            if let Some(p) = pending {
                                p.bytes += d.len() as u64;
                            }
                            let _ = self.conn.send_data(id, &d, false);
                            queued = true;
                        }
                        Polled::Item(StreamItem::End(trailers)) => {
                            if trailers.is_empty() {
                                let _ = self.conn.send_data(id, &[], true);
                            } else {
                                let fields: Vec<(&[u8], &[u8])> = trailers
                                    .iter()
                                    .map(|(n, v)| (n.as_bytes(), v.as_slice()))
                                    .collect();
                                let _ = self.conn.send_trailers(id, &fields);
                            }
                            queued = true;
                            finished = true;
                        }
                        Polled::Item(StreamItem::Abort) => {
                            self.conn.reset(id, ErrorCode::INTERNAL_ERROR);
                            finished = true;
                        }
                    },
                }
            }
            if finished {
                if let (_, Outgoing::Stream(_, Some(p))) = self.sources.swap_remove(i) {
                    self.finished.push(p);
                }
            } else {
                i += 1;
            }
        }
        if self.chunk.capacity() > CHUNK && self.sources.is_empty() {
            self.chunk = Vec::new();
        }
        queued
    }

    /// Write what the engine has until done or the socket would block.
    fn flush(&mut self, now: Instant) -> WriteEnd {
        while !self.prefix.is_empty() {
            match self.stream.write(&self.prefix) {
                Ok(0) => {
                    self.closed = true;
                    return WriteEnd::Blocked;
                }
                Ok(n) => {
                    self.prefix.drain(..n);
                    self.last_write = now;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.write_blocked = true;
                    return WriteEnd::Blocked;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    self.closed = true;
                    return WriteEnd::Blocked;
                }
            }
        }
        loop {
            // Frame headers from the engine's buffer, cached bodies by
            // reference: one writev, no copy of the payload.
            let mut slices = [IoSlice::new(&[]); WRITE_SLICES];
            let n = self.conn.pending_output_vectored(&mut slices);
            if n == 0 {
                if self.conn.is_done() {
                    self.closed = true;
                }
                self.write_blocked = false;
                self.last_write = now;
                return WriteEnd::Drained;
            }
            match self.stream.write_vectored(&slices[..n]) {
                Ok(0) => {
                    self.closed = true;
                    return WriteEnd::Blocked;
                }
                Ok(n) => {
                    self.conn.consume_output(n);
                    self.last_write = now;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.write_blocked = true;
                    return WriteEnd::Blocked;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    log::debug!("h2 write failed: {e}");
                    self.closed = true;
                    return WriteEnd::Blocked;
                }
            }
        }
    }

    /// Answer what the engine reported. Returns the requests answered.
    fn respond(&mut self, ctx: &mut Context, now: Instant) -> u64 {
        let mut served = 0;
        while let Some(event) = self.conn.poll_event() {
            match event {
                Event::Request {
                    stream,
                    head,
                    end_stream,
                } => {
                    self.deadline = now + self.http.keepalive_timeout;
                    let path = head.path().unwrap_or_default();
                    if let Some((app, route_headers)) = ctx.app_for(path) {
                        let mut req = AppRequest {
                            route_headers: route_headers.into_vec(),
                            method: head.method().to_vec(),
                            target: path.to_vec(),
                            http2: true,
                            ..AppRequest::default()
                        };
                        let mut host = false;
                        for f in head.fields() {
                            if !f.name.starts_with(b":") {
                                host |= f.name == b"host";
                                req.fields.push((f.name.to_vec(), f.value.to_vec()));
                            }
                        }
                        if let (false, Some(authority)) = (host, head.authority()) {
                            req.fields.push((b"host".to_vec(), authority.to_vec()));
                        }
                        let logged = ctx
                            .access_log
                            .as_ref()
                            .map(|_| logged(&head, path, stream, now));
                        self.conn.recycle_fields(head.into_fields());
                        if end_stream {
                            if let Some(l) = logged {
                                self.app_logs.insert(stream.value(), l);
                            }
                            ctx.submit(stream.value(), app, req);
                            served += 1;
                        } else {
                            self.requests.insert(
                                stream.value(),
                                Pending {
                                    app: Some((app, req)),
                                    method: Vec::new(),
                                    path: Vec::new(),
                                    head_only: false,
                                    post: false,
                                    received: 0,
                                    hang: false,
                                    logged,
                                },
                            );
                        }
                        continue;
                    }
                    let logged = (!end_stream && ctx.access_log.is_some())
                        .then(|| logged(&head, path, stream, now));
                    let pending = Pending {
                        logged,
                        app: None,
                        method: if end_stream {
                            Vec::new()
                        } else {
                            head.method().to_vec()
                        },
                        path: if end_stream {
                            Vec::new()
                        } else {
                            head.path().unwrap_or_default().to_vec()
                        },
                        head_only: head.is_head(),
                        post: head.method() == b"POST",
                        received: 0,
                        hang: head.path() == Some(HANG_PATH.as_bytes()),
                    };
                    if end_stream {
                        // Answer from the head itself: no copy.
                        let req = Request {
                            method: head.method(),
                            target: head.path().unwrap_or_default(),
                            fields: &H2Fields(&head),
                        };
                        let (status, bytes) = self.answer_with(stream, &pending, req, ctx, now);
                        served += 1;
                        if let Some(log) = &mut ctx.access_log {
                            let remote = *self.remote.get_or_insert_with(|| self.stream.remote());
                            record_now(
                                log,
                                remote,
                                head.method(),
                                path,
                                &H2Fields(&head),
                                Protocol::Http2,
                                Some(stream.value()),
                                now,
                                status,
                                bytes,
                            );
                        }
                    } else {
                        self.requests.insert(stream.value(), pending);
                    }
                    self.conn.recycle_fields(head.into_fields());
                }
                Event::Data {
                    stream,
                    data,
                    end_stream,
                } => {
                    if let Some(p) = self.requests.get_mut(&stream.value()) {
                        p.received += data.len() as u64;
                        if let Some((_, req)) = &mut p.app {
                            req.push_body(&data, ctx.max_app_body());
                            if req.too_large {
                                // RFC 9113 §8.1: a complete response may
                                // precede the request's end; RST_STREAM
                                // (NO_ERROR) then asks the client to stop.
                                if let (Some(p), Some(log)) =
                                    (self.requests.remove(&stream.value()), &mut ctx.access_log)
                                    && let Some(logged) = &p.logged
                                {
                                    let remote =
                                        *self.remote.get_or_insert_with(|| self.stream.remote());
                                    logged.record(log, remote, 413, 0);
                                }
                                let _ =
                                    self.send_reply(stream, Reply::new(413, Body::Empty), false);
                                self.conn.reset(stream, ErrorCode::NO_ERROR);
                                self.conn.release_body(stream, data);
                                served += 1;
                                continue;
                            }
                        }
                    }
                    self.conn.release_body(stream, data);
                    if end_stream && let Some(p) = self.requests.remove(&stream.value()) {
                        served += self.answer(stream, p, ctx, now);
                    }
                }
                Event::Trailers { stream, fields } => {
                    if let Some(Pending {
                        app: Some((_, req)),
                        ..
                    }) = self.requests.get_mut(&stream.value())
                    {
                        req.trailers = fields
                            .iter()
                            .map(|f| (f.name.to_vec(), f.value.to_vec()))
                            .collect();
                    }
                    self.conn.recycle_fields(fields);
                    if let Some(p) = self.requests.remove(&stream.value()) {
                        served += self.answer(stream, p, ctx, now);
                    }
                }
                Event::Reset { stream, code } => {
                    if code != ErrorCode::NO_ERROR {
                        log::debug!("h2 stream {stream} reset: {code}");
                    }
                    self.requests.remove(&stream.value());
                }
                Event::GoAway { .. } => {}
            }
        }
        served
    }

    fn answer(&mut self, stream: StreamId, mut p: Pending, ctx: &mut Context, now: Instant) -> u64 {
        if let Some((app, req)) = p.app.take() {
            if let Some(l) = p.logged.take() {
                self.app_logs.insert(stream.value(), l);
            }
            ctx.submit(stream.value(), app, req);
            return 1;
        }
        let req = Request {
            method: &p.method,
            target: &p.path,
            fields: &NoFields,
        };
        let (status, bytes) = self.answer_with(stream, &p, req, ctx, now);
        if let (Some(log), Some(logged)) = (&mut ctx.access_log, &p.logged) {
            let remote = *self.remote.get_or_insert_with(|| self.stream.remote());
            logged.record(log, remote, status, bytes);
        }
        1
    }

    /// An app's reply for `stream` came back: send it (a streamed body as
    /// it is produced).
    pub(crate) fn deliver(
        &mut self,
        stream: u32,
        reply: Reply,
        body: Option<StreamReceiver>,
        head_only: bool,
        log: Option<&mut AccessLog>,
    ) {
        let id = StreamId::new(stream);
        let logged = self.app_logs.remove(&stream);
        if !self.conn.is_sending(id) {
            return; // reset meanwhile; dropping `body` stops its producer
        }
        let status = reply.status;
        let bytes = if head_only { 0 } else { reply.body.len() };
        if body.is_none()
            && let (Some(log), Some(logged)) = (log, &logged)
        {
            let remote = *self.remote.get_or_insert_with(|| self.stream.remote());
            logged.record(log, remote, status, bytes);
        }
        let pending = logged.filter(|_| body.is_some()).map(|logged| StreamLog {
            logged,
            status,
            bytes: 0,
        });
        if let Some(rx) = body {
            let mut fields: Vec<(&[u8], &[u8])> = vec![(b"server", b"bicorn")];
            fields.extend(
                reply
                    .fields
                    .iter()
                    .map(|(n, v)| (n.as_bytes(), v.as_bytes())),
            );
            if self
                .conn
                .send_headers(id, reply.status, &fields, false)
                .is_ok()
            {
                self.sources.push((id, Outgoing::Stream(rx, pending)));
            }
        } else if self.send_reply(id, reply, head_only).is_err() {
            log::debug!("h2 stream {stream} closed before its app reply");
        }
    }

    /// Answer through the worker's responder.
    fn answer_with(
        &mut self,
        stream: StreamId,
        p: &Pending,
        req: Request<'_>,
        ctx: &mut Context,
        now: Instant,
    ) -> (u16, u64) {
        ctx.request_hang(p.hang);
        ctx.tally
            .response(crate::supervisor::scoreboard::Protocol::Http2, now);
        let received = p.post.then_some(p.received);
        let reply = ctx
            .responder
            .respond(req.method, req.target, req.fields, "HTTP/2", received, now);
        let status = reply.status;
        let bytes = if p.head_only { 0 } else { reply.body.len() };
        // An Err: the stream was reset meanwhile; nothing to send.
        let _ = self.send_reply(stream, reply, p.head_only);
        (status, bytes)
    }

    /// Frame `reply` on `stream`: the head now, the body as flow control
    /// lets it go.
    fn send_reply(
        &mut self,
        stream: StreamId,
        reply: Reply,
        head_only: bool,
    ) -> Result<(), crate::h2::conn::SendError> {
        let mut length_buf = [0u8; 20];
        // RFC 9110 §8.6: no Content-Length in a 1xx or 204 response; a
        // 304's would describe the 200, which an empty body does not.
        let no_length = matches!(reply.body, Body::Empty)
            && (reply.status == 204 || reply.status == 304 || reply.status < 200);
        let length: &[u8] = if no_length {
            b""
        } else {
            decimal(reply.body.len(), &mut length_buf)
        };
        let empty = head_only || reply.body.is_empty();
        let mut stack: [(&[u8], &[u8]); STACK_FIELDS] = [(b"", b""); STACK_FIELDS];
        let heap: Vec<(&[u8], &[u8])>;
        let fixed: &[(&[u8], &[u8])] = if no_length {
            &[(b"server", b"bicorn")]
        } else {
            &[(b"server", b"bicorn"), (b"content-length", length)]
        };
        let fields: &[(&[u8], &[u8])] = if reply.fields.len() + fixed.len() <= STACK_FIELDS {
            stack[..fixed.len()].copy_from_slice(fixed);
            for (slot, (name, value)) in stack[fixed.len()..].iter_mut().zip(&reply.fields) {
                *slot = (name.as_bytes(), value.as_bytes());
            }
            &stack[..fixed.len() + reply.fields.len()]
        } else {
            heap = fixed
                .iter()
                .copied()
                .chain(
                    reply
                        .fields
                        .iter()
                        .map(|(n, v)| (n.as_bytes(), v.as_bytes())),
                )
                .collect();
            &heap
        };
        self.conn
            .send_headers(stream, reply.status, fields, empty)?;
        if empty {
            return Ok(());
        }
        match reply.body {
            Body::Empty => {}
            Body::Owned(v) => self.conn.send_data(stream, &v, true)?,
            Body::Shared { data, start, end } => {
                if start == 0 && end == data.len() {
                    // A cached file is framed straight from the cache.
                    self.conn.send_shared(stream, data, true)?;
                } else {
                    let part = data.get(start..end).unwrap_or_default();
                    self.conn.send_data(stream, part, true)?;
                }
            }
            Body::File(range) => self
                .sources
                .push((stream, Outgoing::File(FileSource::new(range)))),
        }
        Ok(())
    }
}

/// The access-log fields of a request answered later.
fn logged(
    head: &crate::h2::request::RequestHead,
    path: &[u8],
    stream: StreamId,
    now: Instant,
) -> Logged {
    let fields = H2Fields(head);
    Logged::new(
        head.method(),
        path,
        &fields,
        Protocol::Http2,
        Some(stream.value()),
        now,
    )
}

/// HTTP/2 request fields as the content layer looks them up.
struct H2Fields<'a>(&'a crate::h2::request::RequestHead);

impl Fields for H2Fields<'_> {
    fn each_value(&self, name: &str, each: &mut dyn FnMut(&[u8])) {
        let mut seen = false;
        for f in self.0.fields() {
            if f.name == name.as_bytes() {
                seen = true;
                each(f.value);
            }
        }
        // RFC 9113 §8.3.1: :authority stands for Host.
        if name == "host"
            && !seen
            && let Some(authority) = self.0.authority()
        {
            each(authority);
        }
    }
}

/// A body sent over time on one stream.
#[derive(Debug)]
enum Outgoing {
    File(FileSource),
    /// An app's body, with its pending log entry.
    Stream(StreamReceiver, Option<StreamLog>),
}

/// The most fields a response head is framed with from the stack.
const STACK_FIELDS: usize = 24;

/// `n` in decimal, in `buf`.
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[at..];
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadEnd {
    WouldBlock,
    Eof,
    /// The engine wants no input until its output drains.
    Paused,
    /// This pass read its budget; the worker comes back.
    Budget,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WriteEnd {
    Drained,
    Blocked,
}
