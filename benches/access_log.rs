//! Access log cost per request (criterion): `AccessLog::record` of a
//! browser-like entry into a 64 KiB buffer written to `/dev/null`, so the
//! figure is formatting plus the amortised `write` (one per ~300 entries).
//!
//! - `record/combined`, `record/json`: a typical request (HTTP/2, 40-byte
//!   target, referer, a 110-byte browser user agent).
//! - `record/combined-hostile`, `record/json-hostile`: the same with a user
//!   agent of quotes, control bytes and invalid UTF-8, the escaping's
//!   worst case.
//!
//! Run: `cargo bench --bench access_log` (add `-- --quick` for a short run).

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use bicorn::app::access_log::{AccessLog, Entry, Protocol, Remote};
use bicorn::config::{AccessLogConfig, AccessLogDestination, AccessLogFormat};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const BROWSER: &[u8] = b"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
Chrome/126.0.0.0 Safari/537.36";
const HOSTILE: &[u8] =
    b"\"\\\r\n\x00\x1b[31m\xff\xfe\"\\\r\n\x00\x1b[31m\xff\xfe\"\\\r\n\x00\x1b[31m\
\xff\xfe\"\\\r\n\x00\x1b[31m\xff\xfe\"\\\r\n\x00\x1b[31m\xff\xfe\"\\\r\n\x00\x1b[31m\xff\xfe";

fn entry(user_agent: &[u8]) -> Entry<'_> {
    Entry {
        time: SystemTime::now(),
        remote: Remote::Ip(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 42))),
        method: b"GET",
        target: b"/assets/app.3f9a1c.js?v=20261122&lang=en",
        protocol: Protocol::Http2,
        status: 200,
        bytes: 48_213,
        duration: Duration::from_micros(1_234),
        stream: Some(17),
        host: Some(b"www.example.com"),
        referer: Some(b"https://www.example.com/index.html"),
        user_agent: Some(user_agent),
    }
}

fn record(c: &mut Criterion) {
    let mut group = c.benchmark_group("record");
    group.throughput(Throughput::Elements(1));
    for (name, format, user_agent) in [
        ("combined", AccessLogFormat::Combined, BROWSER),
        ("json", AccessLogFormat::Json, BROWSER),
        ("combined-hostile", AccessLogFormat::Combined, HOSTILE),
        ("json-hostile", AccessLogFormat::Json, HOSTILE),
    ] {
        let config = AccessLogConfig {
            destination: AccessLogDestination::File(PathBuf::from("/dev/null")),
            format,
            flush_interval: Duration::from_secs(1),
            buffer: 64 * 1024,
        };
        let mut log = AccessLog::open(&config)
            .expect("/dev/null opens")
            .expect("a file destination is on");
        let entry = entry(user_agent);
        let now = Instant::now();
        group.bench_function(name, |b| b.iter(|| log.record(black_box(&entry), now)));
    }
    group.finish();
}

criterion_group!(benches, record);
criterion_main!(benches);
