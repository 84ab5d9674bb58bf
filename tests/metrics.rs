//! The status routes against the running server: Prometheus metrics that
//! move by exactly the requests sent, a health check that turns 503 while
//! its worker drains, a status page with a row per worker, and an HTTP/2
//! flood that shows in the defence counters.
#![allow(clippy::unwrap_used)]

mod support;

use std::time::Duration;

use bicorn::h2::frame::{FrameType, Headers, RstStream};
use bicorn::h2::{ErrorCode, StreamId};
use bicorn::hpack::{Encoder, HeaderField};
use nix::sys::signal::Signal;
use support::Server;
use support::h2client::RawClient;
use support::http;

/// A config of `workers` workers with the three status routes, and
/// `more` appended (tables).
fn config(workers: usize, more: &str) -> String {
    format!(
        "{}\n[[route]]\npath = \"/-/metrics\"\nstatus = \"metrics\"\n\n\
         [[route]]\npath = \"/-/health\"\nstatus = \"health\"\n\n\
         [[route]]\npath = \"/-/status\"\nstatus = \"page\"\n{more}",
        support::config(workers, "")
    )
}

/// The value of the sample `series` (name and labels exactly as
/// exposed) in a scrape.
fn sample(text: &str, series: &str) -> u64 {
    let line = text
        .lines()
        .find(|l| l.strip_prefix(series).is_some_and(|v| v.starts_with(' ')))
        .unwrap_or_else(|| panic!("no sample {series} in\n{text}"));
    line[series.len()..].trim().parse().unwrap()
}

fn scrape(addr: &str) -> String {
    let r = http::get(addr, "/-/metrics").unwrap();
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    r.body
}

/// An HTTP/2 GET on `stream`, waiting for the end of its response.
fn h2_get(c: &mut RawClient, stream: u32, path: &str) {
    c.get(stream, path);
    loop {
        let (kind, flags, id, _) = c.next_frame().expect("response");
        if id == stream && flags & 1 == 1 && matches!(kind, FrameType::DATA | FrameType::HEADERS) {
            return;
        }
    }
}

const H1: &str = "bicorn_requests_total{protocol=\"http/1.1\"}";
const H2: &str = "bicorn_requests_total{protocol=\"h2\"}";

#[test]
fn metrics_count_exactly_the_requests_sent_over_each_protocol() {
    // One worker: the scrape and the requests meet the same slot, whose
    // counters are published once per loop turn, before the next request.
    let s = Server::start(&config(1, ""));
    let pid = s.wait_workers(1, Duration::from_secs(5))[0];
    let before = scrape(&s.addr);

    const N: u64 = 7;
    const M: u64 = 5;
    let mut conn = http::Conn::open(&s.addr).unwrap();
    for _ in 0..N {
        assert_eq!(conn.request("GET", "/hello", b"").unwrap().status, 200);
    }
    let mut h2 = RawClient::connect(&s.addr);
    h2.until(FrameType::SETTINGS);
    for i in 0..M as u32 {
        h2_get(&mut h2, 1 + 2 * i, "/hello");
    }
    let after = scrape(&s.addr);

    // The first scrape was an HTTP/1.1 request too; the second renders
    // before it is counted.
    assert_eq!(sample(&after, H1) - sample(&before, H1), N + 1, "{after}");
    assert_eq!(sample(&after, H2) - sample(&before, H2), M, "{after}");
    let count = |t: &str, p: &str| {
        sample(
            t,
            &format!("bicorn_request_duration_seconds_count{{protocol=\"{p}\"}}"),
        )
    };
    assert_eq!(
        count(&after, "http/1.1") - count(&before, "http/1.1"),
        N + 1
    );
    assert_eq!(count(&after, "h2") - count(&before, "h2"), M);
    let inf = "bicorn_request_duration_seconds_bucket{protocol=\"h2\",le=\"+Inf\"}";
    assert_eq!(sample(&after, inf), count(&after, "h2"));
    // The HTTP/2 connection is still open; the HTTP/1.1 one too, and
    // the scrape's own.
    assert_eq!(sample(&after, "bicorn_connections{protocol=\"h2\"}"), 1);
    assert!(sample(&after, "bicorn_connections{protocol=\"http/1.1\"}") >= 2);
    assert!(
        sample(&after, "bicorn_received_bytes_total")
            > sample(&before, "bicorn_received_bytes_total")
    );
    assert!(sample(&after, "bicorn_sent_bytes_total") > sample(&before, "bicorn_sent_bytes_total"));
    let worker =
        format!("bicorn_worker_requests_total{{slot=\"0\",pid=\"{pid}\",generation=\"1\"}}");
    assert_eq!(
        sample(&after, &worker),
        sample(&after, H1) + sample(&after, H2)
    );
    assert_eq!(sample(&after, "bicorn_workers{state=\"ready\"}"), 1);
}

#[test]
fn health_turns_503_on_a_kept_alive_connection_while_its_worker_drains() {
    // A long drain_linger keeps the idle keep-alive connection, and so
    // the draining worker, around long enough to ask it.
    let config =
        config(1, "\n[http]\ndrain_linger = 10\n").replace("level = \"info\"", "level = \"debug\"");
    let mut s = Server::start(&config);
    s.wait_workers(1, Duration::from_secs(5));
    let mut conn = http::Conn::open(&s.addr).unwrap();
    let ok = conn.request("GET", "/-/health", b"").unwrap();
    assert_eq!((ok.status, ok.body.as_str()), (200, "ok\n"));
    assert!(!ok.closes());

    s.signal(Signal::SIGQUIT);
    assert!(
        s.log.wait_for("QUIT: draining", Duration::from_secs(5)),
        "{}",
        s.log.text()
    );
    let draining = conn.request("GET", "/-/health", b"").unwrap();
    assert_eq!(draining.status, 503, "{draining:?}");
    assert!(draining.closes(), "a draining worker closes the connection");
    assert_eq!(draining.header("cache-control"), Some("no-store"));
    assert_eq!(
        s.wait_exit(Duration::from_secs(15)),
        Some(0),
        "{}",
        s.log.text()
    );
}

#[test]
fn status_page_has_one_row_per_worker_with_its_pid() {
    let s = Server::start(&config(2, ""));
    let mut pids = s.wait_workers(2, Duration::from_secs(5));
    // Both workers announced themselves ready (wait until the page says so).
    let mut page = String::new();
    assert!(
        support::wait_until(Duration::from_secs(5), || {
            let r = http::get(&s.addr, "/-/status").unwrap();
            assert_eq!(r.status, 200);
            assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
            page = r.body;
            page.matches("<td>ready</td>").count() == 2
        }),
        "{page}"
    );
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("<meta http-equiv=\"refresh\" content=\"2\">"));
    assert!(page.contains("<meta name=\"viewport\""));
    let rows: Vec<&str> = page
        .split("<tr>")
        .skip(1)
        .filter(|r| r.starts_with("<td>"))
        .collect();
    assert_eq!(rows.len(), 2, "{page}");
    let mut shown: Vec<i32> = rows
        .iter()
        .map(|r| {
            let cells: Vec<&str> = r
                .split("<td>")
                .skip(1)
                .map(|c| c.split("</td>").next().unwrap())
                .collect();
            assert_eq!(cells.len(), 9, "{r}");
            cells[1].parse().unwrap()
        })
        .collect();
    shown.sort();
    pids.sort_by_key(|p| p.as_raw());
    assert_eq!(shown, pids.iter().map(|p| p.as_raw()).collect::<Vec<_>>());
}

#[test]
fn a_rapid_reset_flood_shows_in_the_defence_counters() {
    let s = Server::start(&config(1, ""));
    s.wait_workers(1, Duration::from_secs(5));
    let resets = "bicorn_h2_defence_total{defence=\"client_resets\"}";
    let calm = "bicorn_h2_defence_total{defence=\"calm_goaways\"}";
    let before = scrape(&s.addr);
    assert_eq!((sample(&before, resets), sample(&before, calm)), (0, 0));

    let mut c = RawClient::connect(&s.addr);
    c.until(FrameType::SETTINGS);
    let mut enc = Encoder::default();
    let mut batch = Vec::new();
    for i in 0..5_000u32 {
        let id = StreamId::new(1 + 2 * i);
        let mut block = Vec::new();
        enc.encode(
            [
                HeaderField::new(b":method", b"GET"),
                HeaderField::new(b":scheme", b"http"),
                HeaderField::new(b":authority", b"test"),
                HeaderField::new(b":path", b"/"),
            ],
            &mut block,
        );
        Headers::new(id, &block).end_headers().encode(&mut batch);
        RstStream::new(id, ErrorCode::CANCEL).encode(&mut batch);
        if batch.len() > 32 * 1024 {
            if !c.try_send(&batch) {
                break;
            }
            batch.clear();
        }
    }
    c.try_send(&batch);
    assert_eq!(c.goaway_code(), Some(0xb), "ENHANCE_YOUR_CALM");
    assert!(support::wait_until(Duration::from_secs(5), || {
        sample(&scrape(&s.addr), calm) == 1
    }));
    let after = scrape(&s.addr);
    // The budget lets 200 through at once; the flood is cut after that.
    assert!(sample(&after, resets) > 200, "{after}");
    assert_eq!(sample(&after, calm), 1);
    assert_eq!(sample(&after, "bicorn_h2_streams"), 0, "{after}");
}
