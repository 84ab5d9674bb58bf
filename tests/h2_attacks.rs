//! Every HTTP/2 flood family performed against the running server: each
//! ends in GOAWAY(ENHANCE_YOUR_CALM) (or the RFC's error), the worker's
//! peak memory grows by at most 8 MiB, and a legitimate client on another
//! connection keeps being served meanwhile (its slowest request is
//! printed: a figure for the issue note, not a timed assertion).
#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bicorn::h2::frame::{
    Continuation, Data, FrameType, Headers, Ping, PriorityFrame, RstStream, SettingsFrame,
    StreamDependency, WindowUpdate,
};
use bicorn::h2::{ErrorCode, StreamId};
use bicorn::hpack::{Encoder, HeaderField};
use support::Server;
use support::h2client::RawClient;

const ENHANCE_YOUR_CALM: u32 = 0xb;
const MAX_GROWTH_KIB: u64 = 8 * 1024;

/// A client doing ordinary GETs on its own connection until told to stop;
/// returns (requests served, slowest request).
fn legit_client(addr: String, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<(u64, Duration)> {
    std::thread::spawn(move || {
        let mut c = RawClient::connect(&addr);
        c.until(FrameType::SETTINGS);
        let (mut n, mut worst, mut id) = (0u64, Duration::ZERO, 1u32);
        let started = Instant::now();
        while !stop.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(60) {
            let t = Instant::now();
            c.get(id, "/legit");
            loop {
                let Some((kind, flags, stream, _)) = c.next_frame() else {
                    panic!(
                        "legit connection lost after {n} requests, {:?} into the attack: {:?}",
                        started.elapsed(),
                        c.last_error
                    );
                };
                if kind == FrameType::DATA && stream == id && flags & 1 == 1 {
                    break;
                }
                if kind == FrameType::GOAWAY {
                    panic!("the legitimate client got a GOAWAY");
                }
            }
            worst = worst.max(t.elapsed());
            n += 1;
            id += 2;
            std::thread::sleep(Duration::from_millis(2));
        }
        (n, worst)
    })
}

/// Run `attack` against a one-worker server and check the outcome.
fn under_attack(name: &str, expected: u32, attack: impl FnOnce(&mut RawClient, &mut Encoder)) {
    let level = if std::env::var_os("ATTACK_DEBUG").is_some() {
        "debug"
    } else {
        "info"
    };
    let s = Server::start(
        &support::config(1, "").replace("level = \"info\"", &format!("level = \"{level}\"")),
    );
    let worker = s.wait_workers(1, Duration::from_secs(5))[0];
    let rss_before = support::status_kib(worker, "VmRSS:");
    let stop = Arc::new(AtomicBool::new(false));
    let legit = legit_client(s.addr.clone(), stop.clone());
    std::thread::sleep(Duration::from_millis(100));
    let mut c = RawClient::connect(&s.addr);
    c.until(FrameType::SETTINGS);
    let mut enc = Encoder::default();
    attack(&mut c, &mut enc);
    let code = c.goaway_code();
    std::thread::sleep(Duration::from_millis(100));
    stop.store(true, Ordering::Relaxed);
    let Ok((served, worst)) = legit.join() else {
        panic!(
            "{name}: legitimate client failed; server log:\n{}",
            s.log.text()
        );
    };
    let peak = support::status_kib(worker, "VmHWM:");
    let growth = peak.saturating_sub(rss_before);
    println!(
        "{name}: GOAWAY {code:?}, worker RSS {rss_before} KiB -> peak {peak} KiB (+{growth} KiB); \
         legitimate client: {served} requests, slowest {worst:?}"
    );
    assert_eq!(code, Some(expected), "{name}");
    assert!(growth <= MAX_GROWTH_KIB, "{name}: worker grew {growth} KiB");
    assert!(served > 0, "{name}: the legitimate client was served");
    assert!(!support::exited(worker), "{name}: the worker survived");
}

fn get_block(enc: &mut Encoder) -> Vec<u8> {
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
    block
}

/// Send frames built by `f(i)` in batches until the server hangs up or
/// `count` frames went out.
fn flood(c: &mut RawClient, count: u32, mut f: impl FnMut(u32, &mut Vec<u8>)) {
    let mut batch = Vec::new();
    for i in 0..count {
        f(i, &mut batch);
        if batch.len() > 32 * 1024 {
            if !c.try_send(&batch) {
                return;
            }
            batch.clear();
        }
    }
    c.try_send(&batch);
}

#[test]
fn rapid_reset_cve_2023_44487() {
    under_attack("rapid reset", ENHANCE_YOUR_CALM, |c, enc| {
        flood(c, 50_000, |i, b| {
            let id = StreamId::new(1 + 2 * i);
            let block = get_block(enc);
            Headers::new(id, &block).end_headers().encode(b);
            RstStream::new(id, ErrorCode::CANCEL).encode(b);
        });
    });
}

#[test]
fn made_you_reset_cve_2025_8671() {
    under_attack("MadeYouReset", ENHANCE_YOUR_CALM, |c, enc| {
        flood(c, 50_000, |i, b| {
            let id = StreamId::new(1 + 2 * i);
            let block = get_block(enc);
            Headers::new(id, &block)
                .end_headers()
                .end_stream()
                .encode(b);
            // Overflowing the stream window makes us reset the stream.
            WindowUpdate::new(id, (1 << 31) - 1).encode(b);
        });
    });
}

#[test]
fn zero_window_updates_provoking_resets() {
    under_attack("zero WINDOW_UPDATE", ENHANCE_YOUR_CALM, |c, enc| {
        flood(c, 50_000, |i, b| {
            let id = StreamId::new(1 + 2 * i);
            let block = get_block(enc);
            Headers::new(id, &block).end_headers().encode(b);
            // WINDOW_UPDATE with increment 0 (the encoder refuses to build
            // one): length 4, type 0x8, no flags, the stream, 0.
            b.extend_from_slice(&[0, 0, 4, 0x8, 0]);
            b.extend_from_slice(&id.value().to_be_bytes());
            b.extend_from_slice(&[0, 0, 0, 0]);
        });
    });
}

#[test]
fn continuation_flood() {
    under_attack("CONTINUATION flood", ENHANCE_YOUR_CALM, |c, enc| {
        let block = get_block(enc);
        let mut first = Vec::new();
        Headers::new(StreamId::new(1), &block[..2]).encode(&mut first);
        c.try_send(&first);
        flood(c, 200_000, |_, b| {
            Continuation::new(StreamId::new(1), &[]).encode(b)
        });
    });
}

#[test]
fn hpack_bomb() {
    under_attack("HPACK bomb", ENHANCE_YOUR_CALM, |c, enc| {
        let big = vec![b'x'; 3000];
        flood(c, 5_000, |i, b| {
            let mut fields = vec![
                HeaderField::new(b":method", b"GET"),
                HeaderField::new(b":scheme", b"http"),
                HeaderField::new(b":path", b"/"),
            ];
            fields.extend(std::iter::repeat_n(HeaderField::new(b"x-bomb", &big), 40));
            let mut block = Vec::new();
            enc.encode(fields, &mut block);
            Headers::new(StreamId::new(1 + 2 * i), &block)
                .end_headers()
                .end_stream()
                .encode(b);
        });
    });
}

#[test]
fn settings_flood() {
    under_attack("SETTINGS flood", ENHANCE_YOUR_CALM, |c, _| {
        flood(c, 100_000, |_, b| SettingsFrame::new(&[]).encode(b));
    });
}

#[test]
fn ping_flood_from_a_client_that_never_reads() {
    under_attack("PING flood", ENHANCE_YOUR_CALM, |c, _| {
        flood(c, 200_000, |i, b| {
            Ping::new((u64::from(i)).to_be_bytes()).encode(b)
        });
    });
}

#[test]
fn empty_data_flood() {
    under_attack("empty DATA flood", ENHANCE_YOUR_CALM, |c, enc| {
        let block = get_block(enc);
        let mut head = Vec::new();
        Headers::new(StreamId::new(1), &block)
            .end_headers()
            .encode(&mut head);
        c.try_send(&head);
        flood(c, 200_000, |_, b| {
            Data::new(StreamId::new(1), &[]).encode(b)
        });
    });
}

#[test]
fn window_update_flood_on_a_finished_stream() {
    under_attack("WINDOW_UPDATE flood", ENHANCE_YOUR_CALM, |c, enc| {
        let block = get_block(enc);
        let mut head = Vec::new();
        Headers::new(StreamId::new(1), &block)
            .end_headers()
            .end_stream()
            .encode(&mut head);
        c.try_send(&head);
        flood(c, 200_000, |_, b| {
            WindowUpdate::new(StreamId::new(1), 1).encode(b)
        });
    });
}

#[test]
fn priority_churn_on_idle_streams() {
    under_attack("PRIORITY churn", ENHANCE_YOUR_CALM, |c, _| {
        flood(c, 500_000, |i, b| {
            PriorityFrame::new(
                StreamId::new(1 + 2 * (i % 1_000_000)),
                StreamDependency::new(StreamId::new(3 + 2 * (i % 1000)), i % 2 == 0, 16),
            )
            .encode(b)
        });
    });
}
