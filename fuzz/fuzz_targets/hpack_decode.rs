//! Fuzz target: the HPACK decoder on arbitrary blocks.
//!
//! Input layout: two octets pick the decoder's table size (0..=65535);
//! the rest is split at 0xff 0x00 pairs into successive header blocks
//! decoded by one decoder, with a table size change before every other
//! block. Besides "never panics", every list that decodes is re-encoded
//! by our encoder and must decode back to the same fields, keeping
//! every never-indexed flag.
#![no_main]

use bicorn::hpack::{Decoder, DecoderLimits, Encoder, HeaderList};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((size, rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let table_size = usize::from(u16::from_be_bytes(*size));
    let limits = DecoderLimits {
        max_list_size: 16 * 1024,
        max_fields: 64,
        max_string_len: 4096,
    };
    let mut decoder = Decoder::new(table_size, limits);
    let mut encoder = Encoder::default();
    let mut echo = Decoder::new(4096, DecoderLimits::default());
    let mut list = HeaderList::new();
    let mut echoed = HeaderList::new();
    let mut wire = Vec::new();
    for (i, block) in split_blocks(rest).enumerate() {
        if i % 2 == 1 {
            decoder.set_max_table_size(table_size / (i + 1));
        }
        match decoder.decode(block, &mut list) {
            Ok(()) => {}
            Err(e) if e.is_compression_error() => return,
            Err(_) => continue,
        }
        wire.clear();
        encoder.encode(list.iter(), &mut wire);
        echo.decode(&wire, &mut echoed).expect("our own encoding decodes");
        assert_eq!(list.len(), echoed.len());
        for (sent, back) in list.iter().zip(echoed.iter()) {
            assert_eq!((sent.name, sent.value), (back.name, back.value));
            // Our policy may add the flag (credentials), never drop it.
            assert!(!sent.never_indexed || back.never_indexed);
        }
    }
});

fn split_blocks(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let current = rest?;
        match current.windows(2).position(|w| w == [0xff, 0x00]) {
            Some(at) => {
                rest = current.get(at + 2..);
                current.get(..at)
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}
