//! Fuzz target: the HTTP/2 server connection on arbitrary client bytes.
//!
//! Input layout: the bytes after the client preface, fed in chunks split
//! at 0xfe 0xfe pairs; every request is answered with a small response.
//! Besides "never panics", the output must always be whole frames.
#![no_main]

use std::time::Instant;

use bicorn::h2::conn::{Config, Connection, Event, PREFACE};
use bicorn::h2::frame::FrameHeader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let now = Instant::now();
    let mut conn = Connection::new(Config::default(), now);
    conn.recv(PREFACE, now);
    for chunk in data.split(|&b| b == 0xfe) {
        conn.recv(chunk, now);
        while let Some(e) = conn.poll_event() {
            match e {
                Event::Request { stream, head, .. } => {
                    let _ = conn.send_headers(stream, 200, &[], false);
                    let _ = conn.send_data(stream, b"ok", true);
                    conn.recycle_fields(head.into_fields());
                }
                Event::Data { stream, data, .. } => conn.release_body(stream, data),
                _ => {}
            }
        }
        let out = conn.pending_output().to_vec();
        let mut at = 0;
        while let Some(h) = FrameHeader::parse(&out[at..]) {
            at += h.frame_len();
        }
        assert_eq!(at, out.len());
        conn.consume_output(out.len());
    }
});
