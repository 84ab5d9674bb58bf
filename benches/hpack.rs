//! HPACK throughput over the interop corpus (criterion).
//!
//! - `decode/<dir>`: decode every story of an encoder directory, one
//!   decoder per story; bytes are wire octets, elements are header fields.
//!   `nghttp2` mixes Huffman and raw strings, `python-hpack` is all
//!   Huffman, `haskell-http2-linear` has none.
//! - `encode/raw-data`: encode every raw-data story, one encoder per
//!   story; bytes are the uncompressed names and values.
//!
//! Run: `cargo bench --bench hpack` (add `-- --quick` for a short run).

#[path = "../tests/support/hpack_corpus.rs"]
#[allow(
    dead_code,
    reason = "shared with tests/hpack_corpus.rs, which uses all of it"
)]
mod corpus;

use bicorn::hpack::{DEFAULT_TABLE_SIZE, Decoder, DecoderLimits, Encoder, HeaderField, HeaderList};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for dir in ["nghttp2", "python-hpack", "haskell-http2-linear"] {
        let stories = corpus::stories(dir);
        let wires: Vec<Vec<(Option<usize>, Vec<u8>)>> = stories
            .iter()
            .map(|story| {
                story
                    .cases
                    .iter()
                    .map(|case| {
                        (
                            case.header_table_size,
                            case.wire.clone().unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .collect();
        let bytes: usize = wires.iter().flatten().map(|(_, wire)| wire.len()).sum();
        let elements: usize = stories
            .iter()
            .flat_map(|story| &story.cases)
            .map(|case| case.headers.len())
            .sum();
        group.throughput(Throughput::ElementsAndBytes {
            elements: elements as u64,
            bytes: bytes as u64,
        });
        let mut list = HeaderList::new();
        group.bench_function(dir, |b| {
            b.iter(|| {
                for story in &wires {
                    let mut decoder = Decoder::new(DEFAULT_TABLE_SIZE, DecoderLimits::default());
                    for (size, wire) in story {
                        if let Some(size) = size {
                            decoder.set_max_table_size(*size);
                        }
                        decoder
                            .decode(black_box(wire), &mut list)
                            .expect("corpus decodes");
                        black_box(list.len());
                    }
                }
            })
        });
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let stories = corpus::stories("raw-data");
    let bytes: usize = stories
        .iter()
        .flat_map(|story| &story.cases)
        .flat_map(|case| &case.headers)
        .map(|(n, v)| n.len() + v.len())
        .sum();
    let elements: usize = stories
        .iter()
        .flat_map(|story| &story.cases)
        .map(|case| case.headers.len())
        .sum();
    let mut group = c.benchmark_group("encode");
    group.throughput(Throughput::ElementsAndBytes {
        elements: elements as u64,
        bytes: bytes as u64,
    });
    let mut out = Vec::new();
    group.bench_function("raw-data", |b| {
        b.iter(|| {
            for story in &stories {
                let mut encoder = Encoder::new(DEFAULT_TABLE_SIZE);
                for case in &story.cases {
                    out.clear();
                    let fields = case.headers.iter().map(|(n, v)| HeaderField::new(n, v));
                    encoder.encode(black_box(fields), &mut out);
                    black_box(out.len());
                }
            }
        })
    });
    group.finish();
}

criterion_group!(benches, decode, encode);
criterion_main!(benches);
