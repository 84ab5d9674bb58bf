//! The HTTP/2 server connection, sans-I/O: bytes and time in, events and
//! bytes out (RFC 9113).
//!
//! The I/O layer feeds what it read to [`Connection::recv`], takes
//! [`Event`]s from [`Connection::poll_event`], answers with
//! [`Connection::send_headers`] / [`send_data`](Connection::send_data) /
//! [`send_trailers`](Connection::send_trailers), writes what
//! [`Connection::pending_output`] returns and reports it with
//! [`Connection::consume_output`]. It never reads a clock: every call that
//! needs the time takes `now`, and [`Connection::next_deadline`] says when
//! to call [`Connection::on_deadline`].
//!
//! Memory is bounded per connection: the client can have at most our
//! windows' worth of request data buffered (credit returns only as the
//! application releases bodies), control output (SETTINGS and PING
//! acknowledgements) is capped, response DATA is framed only while the
//! output buffer is small, and [`Connection::wants_read`] tells the I/O
//! layer to stop reading a peer that does not read its responses.
//!
//! Not here: sockets, TLS, timers (the worker's), HPACK itself (`hpack`),
//! frame syntax (`frame`), the choice of the next stream to send
//! (`priority`, which this connection feeds with the client's signals).

mod defence;
mod head_cache;
mod headers;
mod output;
mod recv;
mod send;
mod stream;
mod upgrade;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

pub use defence::{BudgetConfig, Counters, DefenceConfig};
pub use upgrade::parse_http2_settings;

use super::error::{Error, ErrorCode};
use super::flow::{DEFAULT_WINDOW, RecvWindow, SendWindow};
use super::frame::{GoAway, Ping, SettingId, Settings, SettingsFrame, StreamId, WindowUpdate};
use super::priority::{PriorityLimits, Scheduler};
use super::request::RequestHead;
use crate::hpack::{Decoder, DecoderLimits, Encoder, HeaderList};
use defence::Budgets;
use stream::State;

/// Header lists a connection keeps for reuse: enough for the requests a
/// client sends in one go (h2load -m 16; a browser loading a page), so a
/// busy connection decodes into lists that have already grown.
const LIST_POOL: usize = 16;

/// The client connection preface (RFC 9113 §3.4).
pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Settings and limits of a connection, with justified defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// SETTINGS_MAX_CONCURRENT_STREAMS: 100, what browsers expect and
    /// nginx and h2o use; more streams beyond it are refused
    /// (REFUSED_STREAM), so the client may retry them.
    pub max_concurrent_streams: u32,
    /// Our initial stream window: 1 MiB, a 100 Mbit/s × 80 ms
    /// bandwidth-delay product, so one upload is not window-bound.
    pub stream_window: u32,
    /// Our connection window: 16 MiB, so 16 concurrent uploads each get a
    /// full stream window. This is the most request data one connection can
    /// make us buffer, since credit returns only as the application
    /// releases what it read.
    pub connection_window: u32,
    /// SETTINGS_MAX_HEADER_LIST_SIZE: 64 KiB of decoded fields (32 octets
    /// counted per field, RFC 7541 §4.1); above it a request gets 431.
    pub max_header_list_size: u32,
    /// Most fields in one header list.
    pub max_header_fields: usize,
    /// How long the client has to acknowledge our SETTINGS
    /// (SETTINGS_TIMEOUT after that, §6.5.3): 10 s.
    pub settings_timeout: Duration,
    /// How long a graceful shutdown waits for the PING that separates its
    /// two GOAWAYs (§6.8) before sending the final one anyway: 2 s.
    pub shutdown_ping_timeout: Duration,
    /// Control output (acknowledgements, resets, window updates) allowed
    /// to wait unwritten before the peer is judged to be flooding while
    /// not reading: 64 KiB.
    pub max_control_output: usize,
    /// Unwritten output up to which the engine frames DATA, and at or
    /// above which the I/O layer should stop reading (see
    /// [`Connection::wants_read`]): 32 KiB, a large write per system call
    /// while keeping a busy connection's buffer (and so a worker's peak
    /// memory with many connections) small.
    pub output_high_water: usize,
    /// Unwritten output up to which the last DATA frame of a response,
    /// cut from a shared body (a cached file, framed by reference and so
    /// costing no memory here, see `output.rs`), is still framed: 128 KiB,
    /// so that several small responses go out in one `writev` (h2load
    /// -m 4 on a 16 KiB file: one `writev` per four responses instead of
    /// two), while a stream that becomes more urgent waits behind at most
    /// that much. Other DATA stops at `output_high_water`.
    pub spliced_high_water: usize,
    /// Flood defences.
    pub defence: DefenceConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_concurrent_streams: 100,
            stream_window: 1 << 20,
            connection_window: 16 << 20,
            max_header_list_size: 64 << 10,
            max_header_fields: 256,
            settings_timeout: Duration::from_secs(10),
            shutdown_ping_timeout: Duration::from_secs(2),
            max_control_output: 64 << 10,
            output_high_water: 32 << 10,
            spliced_high_water: 128 << 10,
            defence: DefenceConfig::default(),
        }
    }
}

/// What the connection tells the application.
#[derive(Debug)]
pub enum Event {
    /// A valid request head. `end_stream`: it has no body.
    Request {
        stream: StreamId,
        head: RequestHead,
        end_stream: bool,
    },
    /// Request body octets; give the vector back with
    /// [`Connection::release_body`] once consumed, which returns flow
    /// control credit.
    Data {
        stream: StreamId,
        data: Vec<u8>,
        end_stream: bool,
    },
    /// The request's trailers (the body is complete).
    Trailers {
        stream: StreamId,
        fields: HeaderList,
    },
    /// The stream was reset (by the client, or by us because the client
    /// broke a rule); stop working on it.
    Reset { stream: StreamId, code: ErrorCode },
    /// The client is going away; streams above `last_stream_id` were not
    /// processed by it (only meaningful for server push, which we never
    /// use).
    GoAway {
        last_stream_id: StreamId,
        code: ErrorCode,
    },
}

/// Why a send was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// No such stream any more (it was reset or finished).
    StreamGone,
    /// The response head was already sent.
    HeadAlreadySent,
    /// Data or trailers before the response head, or after the end.
    NotSendable,
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SendError::StreamGone => "the stream is gone",
            SendError::HeadAlreadySent => "the response head was already sent",
            SendError::NotSendable => "the stream cannot send that now",
        })
    }
}

impl std::error::Error for SendError {}

/// Where the connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the 24-octet client preface.
    Preface,
    /// Preface seen; the first frame must be SETTINGS.
    FirstSettings,
    /// Serving.
    Open,
    /// Graceful shutdown: GOAWAY(2^31-1) and a PING sent; waiting for the
    /// PING's ACK (or `deadline`) to send the final GOAWAY.
    DrainPing { deadline: Instant },
    /// The final GOAWAY is sent; streams up to its last id finish.
    Draining,
    /// A connection error: GOAWAY sent, nothing more is read.
    Failed,
}

/// A header block being assembled from HEADERS + CONTINUATION.
#[derive(Debug)]
struct PendingBlock {
    stream: StreamId,
    /// RFC 7540 priority fields of the HEADERS frame.
    dependency: Option<super::frame::StreamDependency>,
    end_stream: bool,
    block: Vec<u8>,
    continuations: u32,
}

/// An HTTP/2 server connection.
#[derive(Debug)]
pub struct Connection {
    config: Config,
    phase: Phase,
    /// Input not yet parsed (a partial frame).
    input: Vec<u8>,
    /// Output not yet written, from `out_pos`, with `spliced` payloads
    /// inserted (see `output.rs`).
    out: Vec<u8>,
    out_pos: usize,
    spliced: output::Splices,
    events: VecDeque<Event>,
    streams: stream::StreamTable,
    /// Which stream with something to send goes next (RFC 9218 or the
    /// RFC 7540 tree).
    sched: Scheduler,
    /// Highest client stream id seen (§5.1.1).
    last_client_stream: u32,
    /// Streams we reset recently: frames still in flight for them are
    /// ignored (§5.4.2), bounded to the most recent.
    recently_reset: VecDeque<u32>,
    /// Streams that were open and are now closed, most recent last
    /// (bounded): a HEADERS on one of them is STREAM_CLOSED, on a lower id
    /// never opened PROTOCOL_ERROR (§5.1, §5.1.1).
    recently_closed: VecDeque<u32>,
    peer: Settings,
    ours: Settings,
    /// Our SETTINGS awaiting ACK, and since when.
    settings_sent_at: Option<Instant>,
    decoder: Decoder,
    encoder: Encoder,
    conn_recv: RecvWindow,
    conn_send: SendWindow,
    pending_block: Option<PendingBlock>,
    /// The last stream id of a GOAWAY we sent.
    goaway_last: Option<u32>,
    shutdown_ping: Option<[u8; 8]>,
    budgets: Budgets,
    counters: Counters,
    /// The connection error we raised, if any.
    error: Option<Error>,
    body_pool: Vec<Vec<u8>>,
    list_pool: Vec<HeaderList>,
    /// Where response heads are HPACK-encoded before framing.
    scratch: Vec<u8>,
    /// The last response head that HPACK encoded without changing its
    /// table, and its block.
    head_cache: head_cache::HeadCache,
    /// The buffer of the last multi-frame header block, reused.
    block_pool: Option<Vec<u8>>,
    /// Send queues of finished streams, reused for new ones.
    queue_pool: Vec<Vec<u8>>,
}

impl Connection {
    /// A connection that has just been accepted; our SETTINGS are queued
    /// at once (§3.4: the server preface "MUST be the first frame the
    /// server sends").
    pub fn new(config: Config, now: Instant) -> Self {
        let ours = Settings {
            max_concurrent_streams: Some(config.max_concurrent_streams),
            initial_window_size: config.stream_window,
            max_header_list_size: Some(config.max_header_list_size),
            enable_push: false,
            ..Settings::default()
        };
        let limits = DecoderLimits {
            max_list_size: config.max_header_list_size as usize,
            max_fields: config.max_header_fields,
            ..DecoderLimits::default()
        };
        let mut conn = Self {
            phase: Phase::Preface,
            input: Vec::new(),
            out: Vec::with_capacity(4096),
            out_pos: 0,
            spliced: output::Splices::default(),
            events: VecDeque::new(),
            streams: stream::StreamTable::default(),
            sched: Scheduler::new(PriorityLimits::default()),
            last_client_stream: 0,
            recently_reset: VecDeque::new(),
            recently_closed: VecDeque::new(),
            peer: Settings::default(),
            ours,
            settings_sent_at: Some(now),
            decoder: Decoder::new(ours.header_table_size as usize, limits),
            encoder: Encoder::default(),
            // Until our SETTINGS are acknowledged the client may assume
            // 65,535; we only ever raise the window, so checking against
            // the larger value from the start is safe.
            conn_recv: RecvWindow::new(DEFAULT_WINDOW, config.connection_window),
            conn_send: SendWindow::new(DEFAULT_WINDOW),
            pending_block: None,
            goaway_last: None,
            shutdown_ping: None,
            budgets: Budgets::new(&config.defence),
            counters: Counters::default(),
            error: None,
            body_pool: Vec::new(),
            list_pool: Vec::new(),
            queue_pool: Vec::new(),
            block_pool: None,
            scratch: Vec::new(),
            head_cache: head_cache::HeadCache::default(),
            config,
        };
        let entries = [
            (
                SettingId::MAX_CONCURRENT_STREAMS,
                config.max_concurrent_streams,
            ),
            (SettingId::INITIAL_WINDOW_SIZE, config.stream_window),
            (SettingId::MAX_HEADER_LIST_SIZE, config.max_header_list_size),
            (SettingId::ENABLE_PUSH, 0),
        ];
        SettingsFrame::new(&entries).encode(&mut conn.out);
        if let Some(inc) = conn.conn_recv.open_to_target() {
            WindowUpdate::new(StreamId::CONNECTION, inc).encode(&mut conn.out);
        }
        conn
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// How often each defence fired.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// The connection error that ended this connection, if one did.
    pub fn error(&self) -> Option<Error> {
        self.error
    }

    /// Streams open now.
    pub fn open_streams(&self) -> usize {
        self.streams.len()
    }

    /// Whether the application should queue more body for `stream` now:
    /// its response head is sent, its end is not queued, and what is
    /// queued but unframed is below `low_water` and below what the
    /// stream's send window would let out. `false` once the stream is
    /// gone (reset by the peer, or closed). This lets a body that is
    /// produced over time (a file read in chunks) keep at most about one
    /// chunk per stream in memory, and none while the peer's window is
    /// shut.
    pub fn wants_body(&mut self, stream: StreamId, low_water: usize) -> bool {
        match self.streams.get_mut(&stream.value()).and_then(State::send) {
            Some(send) => {
                let queued = send.pending().len();
                send.head_sent
                    && !send.end_queued
                    && send.trailers.is_none()
                    && queued < low_water
                    && queued < send.window.available()
            }
            None => false,
        }
    }

    /// Whether `stream` can still carry our response (not reset, not
    /// closed on our side).
    pub fn is_sending(&mut self, stream: StreamId) -> bool {
        self.streams
            .get_mut(&stream.value())
            .and_then(State::send)
            .is_some()
    }

    /// Should the I/O layer read more? False while our output to the peer
    /// piles up unwritten (it is not reading), and once the connection
    /// failed.
    pub fn wants_read(&self) -> bool {
        self.phase != Phase::Failed && self.unwritten() < self.config.output_high_water
    }

    /// Nothing more will happen: output is flushed and either the
    /// connection failed or a graceful shutdown finished.
    pub fn is_done(&self) -> bool {
        let finished = match self.phase {
            Phase::Failed => true,
            Phase::Draining => self.streams.is_empty(),
            _ => false,
        };
        finished && self.unwritten() == 0
    }

    /// The earliest instant at which [`on_deadline`](Self::on_deadline)
    /// has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        let settings = self
            .settings_sent_at
            .map(|t| t + self.config.settings_timeout);
        let ping = match self.phase {
            Phase::DrainPing { deadline } => Some(deadline),
            _ => None,
        };
        settings.into_iter().chain(ping).min()
    }

    /// Act on deadlines that have passed at `now`.
    pub fn on_deadline(&mut self, now: Instant) {
        if self
            .settings_sent_at
            .is_some_and(|t| now >= t + self.config.settings_timeout)
        {
            self.settings_sent_at = None;
            // §6.5.3: "If the sender of a SETTINGS frame does not receive
            // an acknowledgment within a reasonable amount of time, it MAY
            // issue a connection error of type SETTINGS_TIMEOUT."
            self.fail(Error::connection(
                ErrorCode::SETTINGS_TIMEOUT,
                "SETTINGS not acknowledged in time",
            ));
            return;
        }
        if let Phase::DrainPing { deadline } = self.phase
            && now >= deadline
        {
            self.final_goaway();
        }
    }

    /// Begin a graceful shutdown (RFC 9113 §6.8): GOAWAY with the largest
    /// stream id, so requests already in flight are still accepted, then a
    /// PING; when it comes back (or after `shutdown_ping_timeout`), a
    /// GOAWAY with the real last stream id. Streams up to it finish; then
    /// [`is_done`](Self::is_done).
    pub fn start_shutdown(&mut self, now: Instant) {
        if !matches!(
            self.phase,
            Phase::Open | Phase::FirstSettings | Phase::Preface
        ) {
            return;
        }
        if self.phase != Phase::Open {
            // Nothing was asked of us yet: one final GOAWAY is enough.
            self.goaway_last = Some(0);
            GoAway::new(StreamId::new(0), ErrorCode::NO_ERROR).encode(&mut self.out);
            self.phase = Phase::Draining;
            return;
        }
        GoAway::new(StreamId::MAX, ErrorCode::NO_ERROR).encode(&mut self.out);
        let opaque = *b"bicorn\x00\x01";
        self.shutdown_ping = Some(opaque);
        Ping::new(opaque).encode(&mut self.out);
        self.phase = Phase::DrainPing {
            deadline: now + self.config.shutdown_ping_timeout,
        };
    }

    fn final_goaway(&mut self) {
        self.goaway_last = Some(self.last_client_stream);
        GoAway::new(StreamId::new(self.last_client_stream), ErrorCode::NO_ERROR)
            .encode(&mut self.out);
        self.phase = Phase::Draining;
        self.shutdown_ping = None;
    }

    /// A connection error: GOAWAY with it, then nothing more is read.
    fn fail(&mut self, error: Error) {
        if self.phase == Phase::Failed {
            return;
        }
        if error.code() == ErrorCode::ENHANCE_YOUR_CALM {
            self.counters.calm_goaways += 1;
        }
        log::debug!("{error}");
        error
            .to_frame(StreamId::new(self.last_client_stream))
            .encode(&mut self.out);
        self.error = Some(error);
        self.phase = Phase::Failed;
        self.streams.clear();
        self.sched = Scheduler::new(PriorityLimits::default());
        self.input = Vec::new();
    }

    /// A connection error of type ENHANCE_YOUR_CALM for a flood.
    fn calm(&mut self, reason: &'static str) {
        self.fail(Error::connection(ErrorCode::ENHANCE_YOUR_CALM, reason));
    }

    fn take_list(&mut self) -> HeaderList {
        let mut l = self.list_pool.pop().unwrap_or_default();
        l.clear();
        l
    }

    /// Remember that stream `id` closed.
    fn note_closed(&mut self, id: u32) {
        if self.recently_closed.len() >= 128 {
            self.recently_closed.pop_front();
        }
        self.recently_closed.push_back(id);
    }

    /// A send half for a new stream, its queue taken from the pool.
    fn new_send_half(&mut self) -> stream::SendHalf {
        let mut send = stream::SendHalf::new(SendWindow::new(self.peer.initial_window_size));
        if let Some(mut q) = self.queue_pool.pop() {
            q.clear();
            send.queued = q;
            send.sent = 0;
        }
        send
    }

    /// Keep a finished stream's send queue for the next stream.
    fn recycle_queue(&mut self, state: &mut State) {
        if let Some(send) = state.send()
            && self.queue_pool.len() < 32
            && send.queued.capacity() <= 64 * 1024
        {
            self.queue_pool.push(std::mem::take(&mut send.queued));
        }
    }

    /// Give back a header list (from a request head or trailers) for reuse.
    /// Up to 16 are kept (enough for the requests a client sends at once).
    pub fn recycle_fields(&mut self, fields: HeaderList) {
        if self.list_pool.len() < LIST_POOL {
            self.list_pool.push(fields);
        }
    }
}

#[cfg(test)]
mod tests;
