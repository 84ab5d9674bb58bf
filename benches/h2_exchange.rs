//! One whole small GET through the HTTP/2 engine (criterion), the figure
//! issue 3 holds the engine to: request HEADERS in, response HEADERS and
//! a 612-byte DATA frame out, on a long-lived connection as h2load drives
//! it (the client's HPACK table warm, stream ids rising).
//!
//! A second case takes 16 requests per read and answers them in one
//! write, as h2load -m 16 drives a connection.
//!
//! Before criterion runs, the bench counts heap allocations per exchange
//! with a counting global allocator and prints them.
//!
//! Run: `cargo bench --bench h2_exchange` (add `-- --quick` for a short run).

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bicorn::h2::StreamId;
use bicorn::h2::conn::{Config, Connection, Event, PREFACE};
use bicorn::h2::frame::{Flags, FrameHeader, FrameType, SettingsFrame, WindowUpdate};
use bicorn::hpack::{Encoder, HeaderField};
use criterion::{Criterion, Throughput, criterion_group};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only
// counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const BODY: [u8; 612] = [b'x'; 612];

/// A connection past its handshake, and the client's request block.
struct Bench {
    conn: Connection,
    now: Instant,
    block: Vec<u8>,
    frame: Vec<u8>,
    next_stream: u32,
    /// Connection window to give back with the next requests.
    credit: u32,
}

impl Bench {
    fn new() -> Self {
        let now = Instant::now();
        let mut conn = Connection::new(Config::default(), now);
        let mut hello = PREFACE.to_vec();
        SettingsFrame::new(&[]).encode(&mut hello);
        SettingsFrame::ack().encode(&mut hello);
        conn.recv(&hello, now);
        let n = conn.pending_output().len();
        conn.consume_output(n);
        // The second encoding of the same fields is what every later
        // request looks like: all indexed.
        let mut enc = Encoder::default();
        let fields = [
            HeaderField::new(b":method", b"GET"),
            HeaderField::new(b":scheme", b"http"),
            HeaderField::new(b":authority", b"127.0.0.1:8080"),
            HeaderField::new(b":path", b"/index.html"),
            HeaderField::new(b"user-agent", b"h2load nghttp2/1.52.0"),
            HeaderField::new(b"accept", b"*/*"),
        ];
        let mut first = Vec::new();
        enc.encode(fields, &mut first);
        let mut block = Vec::new();
        enc.encode(fields, &mut block);
        let mut b = Self {
            conn,
            now,
            block,
            frame: Vec::new(),
            next_stream: 1,
            credit: 0,
        };
        // Send the first (literal) block once so the server's table matches.
        b.exchange_with(&first.clone(), 1);
        b
    }

    fn exchange(&mut self) -> usize {
        self.batch(1)
    }

    /// `n` requests in one read, as h2load -m `n` sends them, and their
    /// responses out in one write; returns the octets written.
    fn batch(&mut self, n: usize) -> usize {
        let block = std::mem::take(&mut self.block);
        let out = self.exchange_with(&block, n);
        self.block = block;
        out
    }

    /// `n` requests in, their responses out; returns the octets written.
    fn exchange_with(&mut self, block: &[u8], n: usize) -> usize {
        if self.next_stream > (1 << 30) {
            *self = Self::new();
        }
        self.frame.clear();
        // As a real client does: credit back the connection window the
        // previous responses used (without it the window runs out after
        // about a hundred responses, and every later stream waits with its
        // body queued until the stream limit refuses new ones).
        if self.credit > 0 {
            WindowUpdate::new(StreamId::CONNECTION, self.credit).encode(&mut self.frame);
        }
        self.credit = u32::try_from(n * BODY.len()).unwrap_or(u32::MAX);
        for _ in 0..n {
            let id = StreamId::new(self.next_stream);
            self.next_stream += 2;
            FrameHeader::new(
                FrameType::HEADERS,
                Flags::new(Flags::END_HEADERS.bits() | Flags::END_STREAM.bits()),
                id,
                block.len(),
            )
            .encode(&mut self.frame);
            self.frame.extend_from_slice(block);
        }
        self.conn.recv(&self.frame, self.now);
        while let Some(event) = self.conn.poll_event() {
            if let Event::Request { stream, head, .. } = event {
                self.conn
                    .send_headers(
                        stream,
                        200,
                        &[
                            (b"server", b"bicorn"),
                            (b"content-type", b"text/html"),
                            (b"content-length", b"612"),
                        ],
                        false,
                    )
                    .ok();
                self.conn.send_data(stream, &BODY, true).ok();
                self.conn.recycle_fields(head.into_fields());
            }
        }
        let written = self.conn.pending_output().len();
        // Every request got its HEADERS and its whole DATA frame.
        assert!(
            written >= n * (2 * 9 + BODY.len()),
            "{n} requests got {written} octets back"
        );
        let n = written;
        black_box(self.conn.pending_output());
        self.conn.consume_output(n);
        n
    }
}

/// Allocations and rate for requests `per_read` at a time.
fn allocations_per_exchange(per_read: usize) {
    let mut b = Bench::new();
    let octets = b.batch(per_read);
    for _ in 0..1000 {
        b.batch(per_read);
    }
    let before = ALLOCS.load(Ordering::Relaxed);
    let rounds = 100_000 / per_read as u64;
    let n = rounds * per_read as u64;
    let t = Instant::now();
    for _ in 0..rounds {
        b.batch(per_read);
    }
    let elapsed = t.elapsed();
    let allocs = ALLOCS.load(Ordering::Relaxed) - before;
    // HEADERS (9 + ~12) and DATA (9 + 612): a real response went out.
    assert!(
        octets > 630 * per_read,
        "response not produced: {octets} octets"
    );
    println!(
        "h2 exchange, {per_read} per read: {octets} octets out, {:.2} allocations per exchange, {:.0} exchanges/s on one core ({n} exchanges in {elapsed:?})",
        allocs as f64 / n as f64,
        n as f64 / elapsed.as_secs_f64()
    );
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("h2");
    group.throughput(Throughput::Elements(1));
    let mut b = Bench::new();
    group.bench_function("get_exchange_612B", |bench| bench.iter(|| b.exchange()));
    group.finish();
    // As h2load -m 16 drives it: 16 requests per read.
    let mut group = c.benchmark_group("h2");
    group.throughput(Throughput::Elements(16));
    let mut b = Bench::new();
    group.bench_function("get_exchange_612B_x16", |bench| bench.iter(|| b.batch(16)));
    group.finish();
}

criterion_group!(benches, bench);

fn main() {
    allocations_per_exchange(1);
    allocations_per_exchange(16);
    benches();
    Criterion::default().configure_from_args().final_summary();
}
