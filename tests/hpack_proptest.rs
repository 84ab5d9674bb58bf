//! Property stories: random header lists round-trip through our encoder
//! and decoder under every mode and through table size changes; random
//! bytes never panic the decoder; Huffman coding round-trips any octets.

use bicorn::hpack::{
    Decoder, DecoderLimits, Encoder, HeaderField, HeaderList, HuffmanMode, IndexingMode, huffman,
};
use proptest::prelude::*;

/// Names and values drawn from a small pool, so that repeats (and hence
/// the dynamic table) come into play, plus arbitrary octets.
fn name() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b":status".to_vec()),
        Just(b"content-type".to_vec()),
        Just(b"cookie".to_vec()),
        Just(b"authorization".to_vec()),
        Just(b"x-custom".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..40),
    ]
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"200".to_vec()),
        Just(b"text/html".to_vec()),
        Just(Vec::new()),
        proptest::collection::vec(any::<u8>(), 0..300),
    ]
}

/// A field to encode: name, value, marked sensitive.
type Field = (Vec<u8>, Vec<u8>, bool);

fn header_lists() -> impl Strategy<Value = Vec<Vec<Field>>> {
    let field = (name(), value(), any::<bool>());
    proptest::collection::vec(proptest::collection::vec(field, 0..20), 1..8)
}

fn indexing() -> impl Strategy<Value = IndexingMode> {
    prop_oneof![
        Just(IndexingMode::Policy),
        Just(IndexingMode::Always),
        Just(IndexingMode::Never),
    ]
}

fn huffman_mode() -> impl Strategy<Value = HuffmanMode> {
    prop_oneof![
        Just(HuffmanMode::WhenShorter),
        Just(HuffmanMode::Always),
        Just(HuffmanMode::Never),
    ]
}

proptest! {
    #[test]
    fn random_header_lists_round_trip(
        blocks in header_lists(),
        table_sizes in proptest::collection::vec(
            prop_oneof![Just(None), (0usize..5000).prop_map(Some)],
            8,
        ),
        indexing in indexing(),
        huffman in huffman_mode(),
    ) {
        let mut encoder = Encoder::new(4096);
        encoder.set_indexing(indexing);
        encoder.set_huffman(huffman);
        let mut decoder = Decoder::new(4096, DecoderLimits::default());
        let mut list = HeaderList::new();
        for (block, size) in blocks.iter().zip(&table_sizes) {
            if let Some(size) = *size {
                encoder.set_peer_max_table_size(size);
                decoder.set_max_table_size(size);
            }
            let mut wire = Vec::new();
            encoder.encode(
                block.iter().map(|(n, v, s)| HeaderField { name: n, value: v, never_indexed: *s }),
                &mut wire,
            );
            decoder.decode(&wire, &mut list).unwrap();
            prop_assert_eq!(list.len(), block.len());
            for (got, (n, v, sensitive)) in list.iter().zip(block) {
                prop_assert_eq!(got.name, n.as_slice());
                prop_assert_eq!(got.value, v.as_slice());
                // A field the caller marked sensitive stays marked.
                prop_assert!(!sensitive || got.never_indexed);
            }
        }
    }

    #[test]
    fn random_bytes_never_panic_the_decoder(
        blocks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..200), 1..6),
        max_table_size in 0usize..8192,
    ) {
        let limits = DecoderLimits { max_list_size: 2048, max_fields: 16, max_string_len: 512 };
        let mut decoder = Decoder::new(max_table_size, limits);
        let mut list = HeaderList::new();
        for block in &blocks {
            match decoder.decode(block, &mut list) {
                Ok(()) => prop_assert!(list.len() <= 16),
                Err(e) => {
                    prop_assert!(list.is_empty());
                    prop_assert!(!e.to_string().is_empty());
                }
            }
        }
    }

    #[test]
    fn random_bytes_after_a_valid_prefix_never_panic_the_decoder(
        tail in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        // Start from a block that fills the table, so random indexes hit it.
        let mut block = b"\x40\x01a\x7f\x61\x40\x01b\x01c".to_vec();
        block.extend(tail);
        let mut list = HeaderList::new();
        let _ = Decoder::new(4096, DecoderLimits::default()).decode(&block, &mut list);
    }

    #[test]
    fn huffman_round_trips_any_octets(octets in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut coded = Vec::new();
        huffman::encode(&octets, &mut coded);
        prop_assert_eq!(coded.len(), huffman::encoded_len(&octets));
        let mut decoded = Vec::new();
        huffman::decode(&coded, &mut decoded, usize::MAX).unwrap();
        prop_assert_eq!(decoded, octets);
    }

    #[test]
    fn huffman_decoding_random_octets_never_panics(
        octets in proptest::collection::vec(any::<u8>(), 0..128),
    ) {
        let mut decoded = Vec::new();
        let _ = huffman::decode(&octets, &mut decoded, 64);
        prop_assert!(decoded.len() <= 64);
    }
}
