//! One HTTP/1.1 connection in a worker: socket I/O around the sans-I/O
//! `h1` decoder, a built-in responder, keep-alive, pipelining (responses in
//! order, since each request is answered when its body ends), and a
//! lingering close.
//!
//! The responder answers every request with a short text naming the worker
//! pid and generation, which is what the process tests and benchmarks need
//! until the content layer lands. Lingering close (RFC 9112 §9.6): after
//! the last response the write side is shut and the read side drained for
//! a moment, so unread request bytes cannot turn the close into a reset
//! that destroys the response in flight.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::config::HttpConfig;
use crate::h1;

use super::access::{Logged, record_now};
use super::apps::{AppRequest, AppRuntime, RouteFields};
use super::body::{CHUNK, FileSource};
use super::fault::HANG_PATH;
use super::h1_reply::{H1Fields, encode_end, encode_reply, encode_streamed_head};
use super::listener::Stream;
use super::respond::Responder;
use super::tally::Tally;
use crate::app::Reply;
use crate::app::access_log::{AccessLog, Protocol, Remote};
use crate::app::api::{App, Polled, ReplyKey, StreamItem, StreamReceiver};
use crate::supervisor::scoreboard::{self, Scoreboard};
use std::collections::HashMap;

/// How long the read side is drained after the final response.
const LINGER: Duration = Duration::from_secs(2);
/// Unsent output above which the connection stops reading (backpressure).
const MAX_PENDING_OUTPUT: usize = 256 * 1024;
const READ_CHUNK: usize = 16 * 1024;
/// Buffers larger than this are released when they empty, so an idle
/// keep-alive connection costs almost nothing.
const IDLE_BUFFER: usize = 4 * 1024;
/// The first octet of a TLS connection (a handshake record, RFC 8446 §5.1).
const TLS_HANDSHAKE_RECORD: u8 = 0x16;
/// Most octets read from one connection per readiness pass, so one fast
/// sender cannot starve the worker's other connections; the worker
/// revisits a connection that stopped at this budget.
pub(crate) const READ_BUDGET: usize = 256 * 1024;

/// Per-worker state shared by its connections.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    pub(crate) responder: Responder<'a>,
    /// Handler threads and app routes, when the config has app routes.
    pub(crate) apps: Option<AppRuntime>,
    /// The token of the connection being served (where app replies go).
    pub(crate) current: usize,
    /// The access log, when one is configured.
    pub(crate) access_log: Option<AccessLog>,
    /// The worker's [http] limits and deadlines.
    pub(crate) http: HttpConfig,
    pub(crate) date: h1::DateCache,
    /// Counts for the scoreboard, published once per loop turn.
    pub(crate) tally: Tally,
    /// When each request handed to an app arrived, and over what, until
    /// its reply comes back (for the duration histogram).
    pub(crate) app_started: HashMap<ReplyKey, (Instant, scoreboard::Protocol)>,
    hang: bool,
}

impl<'a> Context<'a> {
    pub(crate) fn new(
        pid: u32,
        generation: u32,
        routes: Vec<crate::config::Route>,
        http: HttpConfig,
        board: &'a Scoreboard,
        slot: usize,
    ) -> Self {
        Self {
            http,
            responder: Responder::new(
                format!("pid={pid} generation={generation}"),
                routes,
                board,
                slot,
            ),
            apps: None,
            current: 0,
            access_log: None,
            date: h1::DateCache::new(SystemTime::now()),
            tally: Tally::default(),
            app_started: HashMap::new(),
            hang: false,
        }
    }

    /// Did a request ask to hang the worker (test fault)?
    pub(crate) fn hang_requested(&self) -> bool {
        self.hang
    }

    /// The app answering `target`, if an app route covers it.
    /// With the route's response fields.
    pub(crate) fn app_for(&self, target: &[u8]) -> Option<(Arc<dyn App>, Box<RouteFields>)> {
        let (app, headers) = self.apps.as_ref()?.app_for(target)?;
        Some((app, headers.into()))
    }

    /// Largest request body buffered for an app.
    pub(crate) fn max_app_body(&self) -> u64 {
        self.apps.as_ref().map_or(0, AppRuntime::max_body)
    }

    /// Hand a request to its app; the reply comes back for `stream` of
    /// the current connection.
    pub(crate) fn submit(&mut self, stream: u32, app: Arc<dyn App>, req: AppRequest) {
        if let Some(rt) = &self.apps {
            let key = ReplyKey {
                conn: self.current,
                stream,
            };
            rt.submit(key, app, req);
            // HTTP/2 stream ids are odd; 0 stands for HTTP/1.1.
            let protocol = if stream == 0 {
                scoreboard::Protocol::Http1
            } else {
                scoreboard::Protocol::Http2
            };
            self.app_started.insert(key, (Instant::now(), protocol));
        }
    }

    /// Note a request for the test fault's hang path.
    pub(crate) fn request_hang(&mut self, hang: bool) {
        self.hang |= hang;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Reading requests, writing responses.
    Open,
    /// Final response queued; shut the write side once it is flushed.
    Finishing,
    /// Write side shut; draining reads until EOF or the deadline.
    Lingering,
    /// Done; the worker removes it.
    Closed,
    /// The client sent the HTTP/2 preface (h2c with prior knowledge): the
    /// worker hands the socket and what was read to the HTTP/2 side.
    Http2,
}

#[derive(Debug)]
struct Request {
    method: String,
    target: String,
    head_only: bool,
    keep_alive: bool,
    post: bool,
    body_bytes: u64,
    hang: bool,
    /// The checked HTTP2-Settings payload of an `Upgrade: h2c` request we
    /// accept.
    h2c: Option<Vec<u8>>,
    /// The app answering it, and the request as it will get it.
    app: Option<(Arc<dyn App>, AppRequest)>,
    /// Its field lines (names lowercase), for the static-file layer.
    fields: Vec<(String, Vec<u8>)>,
    /// When its head was decoded (for the access log's duration).
    started: Instant,
}

/// The body of the response being sent, after `wbuf`.
#[derive(Debug)]
enum Outgoing {
    /// A file range, by sendfile or in chunks.
    File(FileSource),
    /// An app's streamed body, framed chunked as it is produced; its
    /// log entry is written when it ends.
    Stream(StreamReceiver, Option<StreamLog>),
}

/// The pending access-log entry of a streamed body.
#[derive(Debug)]
struct StreamLog {
    logged: Logged,
    status: u16,
    bytes: u64,
}

/// An app request handed to its handler, its reply not yet back.
#[derive(Debug)]
struct Awaiting {
    head_only: bool,
    keep_alive: bool,
    /// Its log fields, when an access log is configured.
    logged: Option<Logged>,
}

/// An accepted `Upgrade: h2c`: what the HTTP/2 side needs to answer the
/// upgraded request on stream 1.
#[derive(Debug)]
pub(crate) struct H2cUpgrade {
    pub(crate) settings: Vec<u8>,
    pub(crate) method: Vec<u8>,
    pub(crate) target: Vec<u8>,
    pub(crate) head_only: bool,
    pub(crate) hang: bool,
    /// Its log fields, when an access log is configured.
    pub(crate) logged: Option<Logged>,
}

/// The HTTP2-Settings payload if `head` asks for `Upgrade: h2c` in a way
/// we accept: exactly one valid HTTP2-Settings (RFC 7540 §3.2.1: a server
/// "MUST NOT upgrade the connection to HTTP/2 if this header field is not
/// present or if more than one is present"), and no request body (we do
/// not buffer a body across the switch; such a request is served over
/// HTTP/1.1, which the client must accept).
fn h2c_upgrade(head: &h1::RequestHead) -> Option<Vec<u8>> {
    let asks = head.upgrade.as_deref().is_some_and(|u| {
        u.split(|&b| b == b',')
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"h2c"))
    });
    if !asks || head.body != h1::BodyKind::Empty {
        return None;
    }
    let mut values = head.headers.iter().filter(|(n, _)| n == "http2-settings");
    let (Some((_, value)), None) = (values.next(), values.next()) else {
        return None;
    };
    crate::h2::conn::parse_http2_settings(value)
}

/// A client connection.
#[derive(Debug)]
pub(crate) struct Conn {
    stream: Stream,
    rbuf: Vec<u8>,
    wbuf: Vec<u8>,
    written: usize,
    decoder: h1::Decoder,
    request: Option<Request>,
    phase: Phase,
    /// When the connection's current phase times out.
    deadline: Instant,
    /// The earliest entry the worker's deadline heap holds for us. A new
    /// entry is pushed only when the deadline moves earlier than it, so a
    /// busy keep-alive connection does not add one per request.
    scheduled: Option<Instant>,
    drain_by: Option<Instant>,
    /// No request has started on this connection yet (the HTTP/2 preface
    /// is only looked for then).
    first_request: bool,
    /// An accepted h2c upgrade, handed to the HTTP/2 side.
    upgrade: Option<H2cUpgrade>,
    /// The peer, looked up when the access log first needs it.
    remote: Option<Remote>,
    /// The body of the response being sent, after `wbuf`: a file range
    /// sent in chunks. Later requests wait for it (responses in order).
    body: Option<Outgoing>,
    /// The request whose app reply is awaited: later requests wait.
    awaiting: Option<Awaiting>,
    /// A streamed body that just ended (or was cut), to be logged.
    finished_stream: Option<StreamLog>,
    http: HttpConfig,
}

/// What a read pass ended on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReadEnd {
    WouldBlock,
    Eof,
    /// Stopped early: too much output is waiting to be written.
    Backpressure,
    /// Stopped early: this pass read its budget; the worker comes back.
    Budget,
}

impl Conn {
    pub(crate) fn new(
        stream: Stream,
        now: Instant,
        drain_by: Option<Instant>,
        http: HttpConfig,
    ) -> Self {
        let mut conn = Self {
            stream,
            rbuf: Vec::new(),
            wbuf: Vec::new(),
            written: 0,
            decoder: h1::Decoder::new(h1::Limits::default()),
            request: None,
            phase: Phase::Open,
            deadline: now,
            scheduled: None,
            drain_by,
            first_request: true,
            upgrade: None,
            remote: None,
            body: None,
            awaiting: None,
            finished_stream: None,
            http,
        };
        conn.set_deadline(now + http.header_timeout);
        if let Some(t) = drain_by {
            conn.set_deadline(t);
        }
        conn
    }

    pub(crate) fn stream_mut(&mut self) -> &mut Stream {
        &mut self.stream
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Did the client open with the HTTP/2 preface?
    pub(crate) fn wants_http2(&self) -> bool {
        self.phase == Phase::Http2
    }

    /// The socket, the octets read so far, output not yet written (the
    /// 101 of an upgrade), and the upgrade, for the HTTP/2 side.
    pub(crate) fn http(&self) -> HttpConfig {
        self.http
    }

    pub(crate) fn into_http2(self) -> (Stream, Vec<u8>, Vec<u8>, Option<H2cUpgrade>) {
        let unwritten = self.wbuf[self.written..].to_vec();
        (self.stream, self.rbuf, unwritten, self.upgrade)
    }

    /// The worker started draining: an idle connection gets until
    /// `linger_until` for a request already on its way.
    pub(crate) fn begin_drain(&mut self, linger_until: Instant) {
        self.drain_by = Some(linger_until);
        if self.phase == Phase::Open && self.is_idle() {
            self.set_deadline(linger_until);
        }
    }

    /// A deadline entry to add to the worker's heap, if the current
    /// deadline is earlier than anything already scheduled for us.
    pub(crate) fn take_new_deadline(&mut self) -> Option<Instant> {
        match self.scheduled {
            Some(at) if at <= self.deadline => None,
            _ => {
                self.scheduled = Some(self.deadline);
                Some(self.deadline)
            }
        }
    }

    fn set_deadline(&mut self, at: Instant) {
        self.deadline = at;
    }

    fn is_idle(&self) -> bool {
        self.request.is_none()
            && self.awaiting.is_none()
            && self.rbuf.is_empty()
            && self.decoder.is_idle()
    }

    /// A scheduled deadline `when` passed at `now`.
    pub(crate) fn on_deadline(&mut self, now: Instant, when: Instant) {
        if self.scheduled == Some(when) {
            self.scheduled = None;
        }
        if now < self.deadline {
            return; // moved later; take_new_deadline schedules it again
        }
        if self.awaiting.is_some() {
            // A handler is working on the request: not idle, not stalled.
            self.set_deadline(now + self.http.write_timeout);
            return;
        }
        match self.phase {
            Phase::Open => {
                // Idle too long, request too slow, or drain linger over.
                log::debug!("closing connection at deadline");
                self.start_lingering(now);
            }
            Phase::Finishing => self.phase = Phase::Closed, // peer not reading
            Phase::Lingering => self.phase = Phase::Closed,
            Phase::Closed | Phase::Http2 => {}
        }
    }

    /// Readiness: read, decode, respond, write, until the socket would
    /// block or the peer is done. Returns requests answered.
    ///
    /// mio is edge-triggered: a pass that stops early because of
    /// backpressure must go round again once the output has drained, or
    /// requests already buffered would wait for an edge that never comes.
    pub(crate) fn on_ready(
        &mut self,
        now: Instant,
        ctx: &mut Context,
        closing: bool,
    ) -> (u64, bool) {
        let mut served = 0;
        let mut read_total = 0;
        let mut more = false;
        loop {
            let mut end = ReadEnd::WouldBlock;
            let mut paused = false;
            if self.phase == Phase::Open {
                end = self.read_available(&mut read_total);
                let (n, p) = self.process(now, ctx, closing);
                served += n;
                paused = p;
            }
            let flushed = self.flush();
            if let (Some(p), Some(log)) = (self.finished_stream.take(), &mut ctx.access_log) {
                let remote = *self.remote.get_or_insert_with(|| self.stream.remote());
                p.logged.record(log, remote, p.status, p.bytes);
            }
            if let Err(e) = flushed {
                log::debug!("write failed: {e}");
                self.phase = Phase::Closed;
                return (served, false);
            }
            if end == ReadEnd::Budget && self.phase == Phase::Open {
                more = true;
                break;
            }
            let drained = self.output_done();
            if !drained && matches!(self.phase, Phase::Open | Phase::Finishing) {
                // The client is not taking our output (or takes a long
                // body): it has write_timeout from now to read more.
                self.set_deadline(now + self.http.write_timeout);
            }
            if self.phase == Phase::Open && drained && (paused || end == ReadEnd::Backpressure) {
                continue;
            }
            if end == ReadEnd::Eof && self.phase == Phase::Open && !paused {
                // The peer sent all it will and every buffered request is
                // answered: finish writing, then close. (When paused, the
                // next writable edge reads EOF again and carries on.)
                self.phase = if drained {
                    Phase::Closed
                } else {
                    Phase::Finishing
                };
            }
            break;
        }
        if self.phase == Phase::Finishing && self.output_done() {
            self.start_lingering(now);
        }
        if self.phase == Phase::Lingering {
            self.drain_lingering();
        }
        (served, more)
    }

    /// Read until WouldBlock, EOF, backpressure, or the pass's budget.
    fn read_available(&mut self, total: &mut usize) -> ReadEnd {
        loop {
            if self.wbuf.len() - self.written > MAX_PENDING_OUTPUT
                || self.body.is_some()
                || self.awaiting.is_some()
            {
                return ReadEnd::Backpressure;
            }
            if *total >= READ_BUDGET {
                return ReadEnd::Budget;
            }
            // Read into the stack and keep only what arrived: an idle
            // connection then holds no read buffer at all.
            let mut chunk = [0u8; READ_CHUNK];
            match self.stream.read(&mut chunk) {
                Ok(0) => return ReadEnd::Eof,
                Ok(n) => {
                    self.rbuf.extend_from_slice(&chunk[..n]);
                    *total += n;
                    if n < chunk.len() && self.stream.drained_by_short_read() {
                        // A short read emptied the socket; new data
                        // raises a new edge (saves the EAGAIN read).
                        return ReadEnd::WouldBlock;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return ReadEnd::WouldBlock,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return ReadEnd::Eof,
            }
        }
    }

    /// Decode and answer what `rbuf` holds. Returns the requests answered
    /// and whether it stopped because of pending output.
    fn process(&mut self, now: Instant, ctx: &mut Context, closing: bool) -> (u64, bool) {
        let mut served = 0;
        let mut offset = 0;
        let mut paused = false;
        // h2c with prior knowledge: the first octets of the connection
        // are the HTTP/2 preface (RFC 9113 §3.3).
        if self.first_request && h1::is_h2_preface_prefix(&self.rbuf) {
            if self.rbuf.len() >= h1::H2_PREFACE.len() {
                self.phase = Phase::Http2;
            }
            return (0, false);
        }
        // A TLS client on a cleartext port: its first octet, a handshake
        // record's type (22), can begin no request-line, but the decoder
        // only judges a line once it has the line's end, which a
        // ClientHello may not contain. Answer now rather than at the
        // request timeout.
        if self.first_request && self.rbuf.first() == Some(&TLS_HANDSHAKE_RECORD) {
            log::debug!("bad request: TLS handshake on a cleartext port");
            let e = h1::ParseError::InvalidRequestLine;
            h1::error_response(&e, ctx.date.get(SystemTime::now()), &mut self.wbuf);
            self.rbuf.clear();
            self.phase = Phase::Finishing;
            self.set_deadline(now + self.http.write_timeout);
            return (0, false);
        }
        while self.phase == Phase::Open {
            if self.wbuf.len() - self.written > MAX_PENDING_OUTPUT
                || self.body.is_some()
                || self.awaiting.is_some()
            {
                paused = true;
                break;
            }
            match self.decoder.decode(&self.rbuf[offset..]) {
                Ok(None) => break,
                Ok(Some((event, used))) => {
                    match event {
                        h1::Event::Head(head) => {
                            self.first_request = false;
                            if head.expect_continue {
                                h1::encode_continue(&mut self.wbuf);
                            }
                            let h2c = if closing { None } else { h2c_upgrade(&head) };
                            let app =
                                ctx.app_for(head.target.as_bytes())
                                    .map(|(app, route_headers)| {
                                        let req = AppRequest {
                                            route_headers: route_headers.into_vec(),
                                            method: head.method.clone().into_bytes(),
                                            target: head.target.clone().into_bytes(),
                                            fields: head
                                                .headers
                                                .iter()
                                                .map(|(n, v)| (n.clone().into_bytes(), v.clone()))
                                                .collect(),
                                            ..AppRequest::default()
                                        };
                                        (app, req)
                                    });
                            self.request = Some(Request {
                                app,
                                fields: head.headers,
                                started: now,
                                head_only: head.method == "HEAD",
                                keep_alive: head.keep_alive,
                                post: head.method == "POST",
                                body_bytes: 0,
                                hang: head.target == HANG_PATH,
                                h2c,
                                method: head.method,
                                target: head.target,
                            });
                        }
                        h1::Event::Data(data) => {
                            if let Some(r) = &mut self.request {
                                r.body_bytes += data.len() as u64;
                                if let Some((_, app_req)) = &mut r.app {
                                    app_req.push_body(data, ctx.max_app_body());
                                }
                            }
                        }
                        h1::Event::Trailers(fields) => {
                            if let Some(Request {
                                app: Some((_, app_req)),
                                ..
                            }) = &mut self.request
                            {
                                app_req.trailers = fields
                                    .into_iter()
                                    .map(|(n, v)| (n.into_bytes(), v))
                                    .collect();
                            }
                        }
                        h1::Event::End => {
                            if let Some(mut req) = self.request.take() {
                                if let Some(settings) = req.h2c.take() {
                                    // RFC 7540 §3.2: 101, then HTTP/2 on
                                    // this connection; stream 1 carries
                                    // the response.
                                    self.wbuf.extend_from_slice(
                                        b"HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: h2c\r\n\r\n",
                                    );
                                    self.upgrade = Some(H2cUpgrade {
                                        settings,
                                        method: req.method.clone().into_bytes(),
                                        target: req.target.clone().into_bytes(),
                                        head_only: req.head_only,
                                        hang: req.hang,
                                        logged: ctx.access_log.as_ref().map(|_| {
                                            Logged::new(
                                                req.method.as_bytes(),
                                                req.target.as_bytes(),
                                                &H1Fields(&req.fields),
                                                Protocol::Http2,
                                                Some(1),
                                                req.started,
                                            )
                                        }),
                                    });
                                    self.phase = Phase::Http2;
                                    offset += used;
                                    break;
                                }
                                ctx.hang |= req.hang;
                                let keep_alive =
                                    req.keep_alive && !closing && self.drain_by.is_none();
                                let too_large = req.app.as_ref().is_some_and(|(_, r)| r.too_large);
                                if !too_large && let Some((app, app_req)) = req.app.take() {
                                    // Answered when the handler's reply
                                    // comes back (`deliver`).
                                    let logged = ctx.access_log.as_ref().map(|_| {
                                        Logged::new(
                                            req.method.as_bytes(),
                                            req.target.as_bytes(),
                                            &H1Fields(&req.fields),
                                            Protocol::Http11,
                                            None,
                                            req.started,
                                        )
                                    });
                                    ctx.submit(0, app, app_req);
                                    self.awaiting = Some(Awaiting {
                                        head_only: req.head_only,
                                        keep_alive,
                                        logged,
                                    });
                                    served += 1;
                                    offset += used;
                                    break;
                                }
                                let reply = if too_large {
                                    Reply::text(413, "request body too large\n")
                                } else {
                                    ctx.responder.respond(
                                        req.method.as_bytes(),
                                        req.target.as_bytes(),
                                        &H1Fields(&req.fields),
                                        "HTTP/1.1",
                                        req.post.then_some(req.body_bytes),
                                        now,
                                    )
                                };
                                ctx.tally.response(scoreboard::Protocol::Http1, req.started);
                                let date = ctx.date.get(SystemTime::now());
                                self.body = encode_reply(
                                    &reply,
                                    req.head_only,
                                    keep_alive,
                                    date,
                                    &mut self.wbuf,
                                )
                                .map(Outgoing::File);
                                if let Some(log) = &mut ctx.access_log {
                                    let remote =
                                        *self.remote.get_or_insert_with(|| self.stream.remote());
                                    let bytes = if req.head_only { 0 } else { reply.body.len() };
                                    record_now(
                                        log,
                                        remote,
                                        req.method.as_bytes(),
                                        req.target.as_bytes(),
                                        &H1Fields(&req.fields),
                                        Protocol::Http11,
                                        None,
                                        req.started,
                                        reply.status,
                                        bytes,
                                    );
                                }
                                served += 1;
                                if !keep_alive {
                                    self.phase = Phase::Finishing;
                                }
                            }
                        }
                    }
                    offset += used;
                }
                Err(e) => {
                    log::debug!("bad request: {e}");
                    let started = self.request.as_ref().map_or(now, |r| r.started);
                    ctx.tally.response(scoreboard::Protocol::Http1, started);
                    h1::error_response(&e, ctx.date.get(SystemTime::now()), &mut self.wbuf);
                    if let Some(log) = &mut ctx.access_log {
                        // The request line may be unreadable: logged as "-".
                        let remote = *self.remote.get_or_insert_with(|| self.stream.remote());
                        let (method, target) =
                            self.request.as_ref().map_or((&b""[..], &b""[..]), |r| {
                                (r.method.as_bytes(), r.target.as_bytes())
                            });
                        record_now(
                            log,
                            remote,
                            method,
                            target,
                            &crate::app::NoFields,
                            Protocol::Http11,
                            None,
                            now,
                            e.status(),
                            0,
                        );
                    }
                    self.phase = Phase::Finishing;
                    offset = self.rbuf.len();
                }
            }
        }
        self.rbuf.drain(..offset);
        if self.rbuf.is_empty() && self.rbuf.capacity() > IDLE_BUFFER {
            self.rbuf = Vec::new();
        }
        if self.phase == Phase::Open {
            let next = if self.is_idle() {
                match self.drain_by {
                    Some(t) => t,
                    None => now + self.http.keepalive_timeout,
                }
            } else {
                now + self.http.header_timeout
            };
            if served > 0 || offset > 0 {
                self.set_deadline(next);
            }
        } else if self.phase == Phase::Finishing {
            self.set_deadline(now + self.http.write_timeout);
        }
        (served, paused)
    }

    /// Everything queued, the body being sent included, is written.
    fn output_done(&self) -> bool {
        self.written == self.wbuf.len() && self.body.is_none() && self.awaiting.is_none()
    }

    /// The app's reply to the awaited request: frame it (a streamed body
    /// goes chunked as it is produced). The worker then drives the
    /// connection as if it were ready.
    pub(crate) fn deliver(
        &mut self,
        reply: Reply,
        stream: Option<StreamReceiver>,
        date: &[u8],
        log: Option<&mut AccessLog>,
    ) {
        let Some(a) = self.awaiting.take() else {
            return;
        };
        if let Some(rx) = stream {
            encode_streamed_head(&reply, a.keep_alive, date, &mut self.wbuf);
            let pending = a.logged.map(|logged| StreamLog {
                logged,
                status: reply.status,
                bytes: 0,
            });
            self.body = Some(Outgoing::Stream(rx, pending));
        } else {
            self.body = encode_reply(&reply, a.head_only, a.keep_alive, date, &mut self.wbuf)
                .map(Outgoing::File);
            if let (Some(log), Some(logged)) = (log, a.logged) {
                let remote = *self.remote.get_or_insert_with(|| self.stream.remote());
                let bytes = if a.head_only { 0 } else { reply.body.len() };
                logged.record(log, remote, reply.status, bytes);
            }
        }
        if !a.keep_alive && self.phase == Phase::Open {
            self.phase = Phase::Finishing;
        }
    }

    /// Write `wbuf`, then the body being sent, until done or the socket
    /// would block. A file body goes by `sendfile` on a cleartext
    /// connection (no copy through user space) and in chunks through
    /// `wbuf` on TLS.
    fn flush(&mut self) -> io::Result<()> {
        loop {
            while self.written < self.wbuf.len() {
                match self.stream.write(&self.wbuf[self.written..]) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => self.written += n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            let Some(outgoing) = &mut self.body else {
                break;
            };
            let body = match outgoing {
                Outgoing::File(f) => f,
                Outgoing::Stream(rx, pending) => {
                    self.wbuf.clear();
                    self.written = 0;
                    match rx.poll() {
                        Polled::Pending => return Ok(()), // woken when produced
                        Polled::Item(StreamItem::Data(d)) => {
                            if let Some(p) = pending {
                                p.bytes += d.len() as u64;
                            }
                            h1::encode_chunk(&d, &mut self.wbuf);
                        }
                        Polled::Item(StreamItem::End(trailers)) => {
                            encode_end(&trailers, &mut self.wbuf);
                            if let Some(Outgoing::Stream(_, p)) = self.body.take() {
                                self.finished_stream = p;
                            }
                        }
                        Polled::Item(StreamItem::Abort) => {
                            // No last chunk: the client sees the body cut.
                            if let Some(Outgoing::Stream(_, p)) = self.body.take() {
                                self.finished_stream = p;
                            }
                            return Err(io::Error::other("app stream aborted"));
                        }
                    }
                    continue;
                }
            };
            match &self.stream {
                Stream::Plain(socket) => {
                    self.wbuf.clear();
                    self.written = 0;
                    body.send_to(socket)?;
                    if !body.is_done() {
                        return Ok(()); // the socket would block
                    }
                }
                Stream::Tls(_) => {
                    self.wbuf.clear();
                    self.written = 0;
                    body.read_into(&mut self.wbuf, CHUNK)?;
                }
            }
            if body.is_done() {
                // Any last chunk is in wbuf, written on the next turn.
                self.body = None;
            }
        }
        self.wbuf.clear();
        self.written = 0;
        if self.wbuf.capacity() > IDLE_BUFFER {
            self.wbuf = Vec::new();
        }
        Ok(())
    }

    fn start_lingering(&mut self, now: Instant) {
        self.stream.shutdown_write();
        self.phase = Phase::Lingering;
        self.set_deadline(now + LINGER);
        self.drain_lingering();
    }

    fn drain_lingering(&mut self) {
        let mut sink = [0u8; 4096];
        loop {
            match self.stream.read(&mut sink) {
                Ok(0) => {
                    self.phase = Phase::Closed;
                    return;
                }
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(_) => {
                    self.phase = Phase::Closed;
                    return;
                }
            }
        }
    }
}
