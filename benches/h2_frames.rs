//! HTTP/2 deframing throughput (criterion).
//!
//! - `parse/mix`: parse, frame by frame, what a browser-like client sends
//!   a server: the SETTINGS preface and a connection WINDOW_UPDATE, then
//!   200 requests as HEADERS frames (40–90 octet field blocks), one in ten
//!   a POST with 1 KiB or 16 KiB of DATA, a stream WINDOW_UPDATE every
//!   fourth request, a PING every fiftieth and a SETTINGS ACK. Bytes are
//!   wire octets, elements are frames. DATA dominates the bytes, control
//!   frames the count: both figures matter.
//! - `parse/control`: the same without DATA, to see the per-frame cost.
//!
//! Run: `cargo bench --bench h2_frames` (add `-- --quick` for a short run).

use bicorn::h2::StreamId;
use bicorn::h2::frame::{
    Data, Frame, Headers, Ping, SettingId, SettingsFrame, WindowUpdate, parse_frame,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

/// The client's side of one connection, as octets and a frame count.
fn connection(with_data: bool) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut frames = Vec::<Frame<'_>>::new();
    let settings = [
        (SettingId::HEADER_TABLE_SIZE, 65_536),
        (SettingId::ENABLE_PUSH, 0),
        (SettingId::MAX_CONCURRENT_STREAMS, 1_000),
        (SettingId::INITIAL_WINDOW_SIZE, 6_291_456),
        (SettingId::MAX_HEADER_LIST_SIZE, 262_144),
        (SettingId::NO_RFC7540_PRIORITIES, 1),
    ];
    frames.push(Frame::Settings(SettingsFrame::new(&settings)));
    frames.push(Frame::WindowUpdate(WindowUpdate::new(
        StreamId::CONNECTION,
        15_663_105,
    )));
    let blocks: Vec<Vec<u8>> = (0..200).map(|i| vec![0x82; 40 + (i % 6) * 10]).collect();
    let small = vec![b'x'; 1024];
    let large = vec![b'y'; 16_384];
    for (i, block) in blocks.iter().enumerate() {
        let stream = StreamId::new(2 * i as u32 + 1);
        let post = with_data && i % 10 == 0;
        let headers = Headers::new(stream, block).end_headers();
        frames.push(Frame::Headers(if post {
            headers
        } else {
            headers.end_stream()
        }));
        if post {
            let body = if i % 20 == 0 { &large } else { &small };
            frames.push(Frame::Data(Data::new(stream, body).end_stream()));
        }
        if i % 4 == 0 {
            frames.push(Frame::WindowUpdate(WindowUpdate::new(stream, 65_536)));
        }
        if i % 50 == 0 {
            frames.push(Frame::Ping(Ping::new(i.to_be_bytes())));
        }
        if i == 1 {
            frames.push(Frame::Settings(SettingsFrame::ack()));
        }
    }
    for frame in &frames {
        frame.encode(&mut out);
    }
    (out, frames.len())
}

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    for (name, with_data) in [("mix", true), ("control", false)] {
        let (wire, count) = connection(with_data);
        group.throughput(Throughput::ElementsAndBytes {
            elements: count as u64,
            bytes: wire.len() as u64,
        });
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut rest = black_box(&wire[..]);
                let mut frames = 0;
                while let Some((frame, used)) = parse_frame(rest, 16_384).expect("valid frames") {
                    black_box(&frame);
                    frames += 1;
                    rest = &rest[used..];
                }
                assert_eq!(frames, count);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
