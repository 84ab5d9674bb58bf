//! Fuzz target: the HTTP/2 deframer on arbitrary bytes. Every frame that
//! parses must re-encode to a frame that parses to the same value.
#![no_main]

use bicorn::h2::frame::parse_frame;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut at = 0;
    while at < data.len() {
        match parse_frame(&data[at..], 1 << 14) {
            Ok(Some((frame, used))) => {
                let mut again = Vec::new();
                frame.encode(&mut again);
                if let Ok(Some((back, _))) = parse_frame(&again, 1 << 24) {
                    assert_eq!(back.kind(), frame.kind());
                    assert_eq!(back.stream_id(), frame.stream_id());
                }
                at += used;
            }
            Ok(None) | Err(_) => break,
        }
    }
});
