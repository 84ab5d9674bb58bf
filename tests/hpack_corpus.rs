//! The HPACK interop corpus: every story of six other encoders decodes to
//! exactly its header lists, and our encoder's output for every `raw-data`
//! story round-trips through our decoder, with and without table size
//! changes, in fewer octets than literals would take.

#[path = "support/hpack_corpus.rs"]
mod corpus;

use bicorn::hpack::{DEFAULT_TABLE_SIZE, Decoder, DecoderLimits, Encoder, HeaderField, HeaderList};
use corpus::{Case, ENCODER_DIRS, Story};

fn decoded(list: &HeaderList) -> Vec<(Vec<u8>, Vec<u8>)> {
    list.iter()
        .map(|f| (f.name.to_vec(), f.value.to_vec()))
        .collect()
}

/// Decodes every story of `dir` with one decoder per story, as the
/// corpus README prescribes, and returns the number of blocks.
fn decode_every_story(dir: &str) -> usize {
    let stories = corpus::stories(dir);
    assert!(stories.len() >= 31, "{dir}: only {} stories", stories.len());
    let mut blocks = 0;
    for Story { path, cases } in stories {
        let mut decoder = Decoder::new(DEFAULT_TABLE_SIZE, DecoderLimits::default());
        let mut list = HeaderList::new();
        for (
            seqno,
            Case {
                header_table_size,
                wire,
                headers,
            },
        ) in cases.iter().enumerate()
        {
            if let Some(size) = header_table_size {
                decoder.set_max_table_size(*size);
            }
            let wire = wire.as_ref().expect("encoder stories carry wire");
            decoder
                .decode(wire, &mut list)
                .unwrap_or_else(|e| panic!("{} case {seqno}: {e}", path.display()));
            assert_eq!(&decoded(&list), headers, "{} case {seqno}", path.display());
            blocks += 1;
        }
    }
    blocks
}

#[test]
fn every_encoder_directory_is_present() {
    for dir in ENCODER_DIRS {
        assert!(corpus::root().join(dir).is_dir(), "{dir} missing");
    }
}

#[test]
fn go_hpack_stories_decode_to_their_headers() {
    assert!(decode_every_story("go-hpack") > 0);
}

#[test]
fn haskell_http2_linear_stories_decode_to_their_headers() {
    assert!(decode_every_story("haskell-http2-linear") > 0);
}

#[test]
fn nghttp2_stories_decode_to_their_headers() {
    assert!(decode_every_story("nghttp2") > 0);
}

#[test]
fn nghttp2_16384_4096_stories_decode_after_an_initial_size_update() {
    assert!(decode_every_story("nghttp2-16384-4096") > 0);
}

#[test]
fn nghttp2_change_table_size_stories_decode_across_size_changes() {
    assert!(decode_every_story("nghttp2-change-table-size") > 0);
}

#[test]
fn python_hpack_stories_decode_to_their_headers() {
    assert!(decode_every_story("python-hpack") > 0);
}

/// Octets of the plainest encoding: every field a literal without
/// indexing, with a literal name and raw strings.
fn literal_only_len(headers: &[(Vec<u8>, Vec<u8>)]) -> usize {
    fn string_len(s: &[u8]) -> usize {
        let mut len = 1;
        if s.len() >= 127 {
            let mut rest = s.len() - 127;
            len += 1;
            while rest >= 128 {
                rest >>= 7;
                len += 1;
            }
        }
        len + s.len()
    }
    headers
        .iter()
        .map(|(n, v)| 1 + string_len(n) + string_len(v))
        .sum()
}

/// Totals over a round trip of the raw-data stories.
#[derive(Debug, Default)]
struct Totals {
    blocks: usize,
    encoded: usize,
    literal_only: usize,
}

/// Encodes every raw-data story with one encoder per story and decodes
/// the output with one decoder; before block `i` both learn the table size
/// `schedule(i)` returns (the peer's SETTINGS, sent and acknowledged).
fn round_trip_raw_data(schedule: impl Fn(usize) -> Vec<usize>) -> Totals {
    let mut totals = Totals::default();
    let stories = corpus::stories("raw-data");
    assert!(stories.len() >= 31);
    for Story { path, cases } in stories {
        let mut encoder = Encoder::new(DEFAULT_TABLE_SIZE);
        let mut decoder = Decoder::new(DEFAULT_TABLE_SIZE, DecoderLimits::default());
        let mut list = HeaderList::new();
        let mut wire = Vec::new();
        for (seqno, case) in cases.iter().enumerate() {
            for size in schedule(seqno) {
                encoder.set_peer_max_table_size(size);
                decoder.set_max_table_size(size);
            }
            wire.clear();
            let fields = case.headers.iter().map(|(n, v)| HeaderField::new(n, v));
            encoder.encode(fields, &mut wire);
            decoder
                .decode(&wire, &mut list)
                .unwrap_or_else(|e| panic!("{} case {seqno}: {e}", path.display()));
            assert_eq!(
                decoded(&list),
                case.headers,
                "{} case {seqno}",
                path.display()
            );
            totals.blocks += 1;
            totals.encoded += wire.len();
            totals.literal_only += literal_only_len(&case.headers);
        }
    }
    totals
}

#[test]
fn raw_data_round_trips_smaller_than_literals() {
    let totals = round_trip_raw_data(|_| Vec::new());
    println!(
        "raw-data: {} blocks, {} octets encoded vs {} literal-only: ratio {:.3}",
        totals.blocks,
        totals.encoded,
        totals.literal_only,
        totals.encoded as f64 / totals.literal_only as f64
    );
    assert!(totals.encoded < totals.literal_only);
}

#[test]
fn raw_data_round_trips_while_the_table_size_changes_between_blocks() {
    // 4096 → 0 → 1024 → 4096, and every fifth block a dip to 0 and a rise
    // to 2048 between two blocks (two size updates in one block).
    let totals = round_trip_raw_data(|seqno| match seqno % 5 {
        0 => vec![4096],
        1 => vec![0],
        2 => vec![1024],
        3 => vec![4096],
        _ => vec![0, 2048],
    });
    println!(
        "raw-data with size changes: {} blocks, ratio {:.3}",
        totals.blocks,
        totals.encoded as f64 / totals.literal_only as f64
    );
    assert!(totals.encoded < totals.literal_only);
}

#[test]
fn raw_data_round_trips_when_the_peer_allows_no_table() {
    let totals = round_trip_raw_data(|seqno| if seqno == 0 { vec![0] } else { vec![] });
    assert!(totals.encoded < totals.literal_only);
}
