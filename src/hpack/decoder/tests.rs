//! Decoder stories: representations, table size rules, limits and the
//! HPACK bomb. The RFC's worked examples are in
//! `tests/hpack_rfc7541_appendix_c.rs`.

use super::*;
use crate::hpack::HeaderField;

fn decoder() -> Decoder {
    Decoder::new(4096, DecoderLimits::default())
}

fn fields(list: &HeaderList) -> Vec<(Vec<u8>, Vec<u8>, bool)> {
    list.iter()
        .map(|f| (f.name.to_vec(), f.value.to_vec(), f.never_indexed))
        .collect()
}

/// A literal with incremental indexing and a literal name, no Huffman.
fn indexed_literal(name: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = vec![0x40];
    string::encode(name, crate::hpack::HuffmanMode::Never, &mut out);
    string::encode(value, crate::hpack::HuffmanMode::Never, &mut out);
    out
}

#[test]
fn never_indexed_literal_keeps_its_flag_for_a_proxy() {
    let mut list = HeaderList::new();
    // 0x10: never indexed, literal name "password", value "secret".
    let block = b"\x10\x08password\x06secret";
    decoder().decode(block, &mut list).unwrap();
    assert_eq!(
        fields(&list),
        [(b"password".to_vec(), b"secret".to_vec(), true)]
    );
    assert_eq!(
        list.get(0),
        Some(HeaderField::sensitive(b"password", b"secret"))
    );
}

#[test]
fn indexed_name_from_the_dynamic_table_is_copied_before_eviction() {
    // Table of 64 octets: "k: v" (34) fits once; inserting a second entry
    // named by index 62 evicts the entry its name comes from.
    let mut d = Decoder::new(64, DecoderLimits::default());
    let mut list = HeaderList::new();
    d.decode(&indexed_literal(b"k", b"v"), &mut list).unwrap();
    d.decode(b"\x7e\x02vv", &mut list).unwrap();
    assert_eq!(fields(&list), [(b"k".to_vec(), b"vv".to_vec(), false)]);
    d.decode(b"\xbe", &mut list).unwrap();
    assert_eq!(fields(&list), [(b"k".to_vec(), b"vv".to_vec(), false)]);
}

#[test]
fn index_zero_and_an_index_past_the_tables_are_invalid() {
    let mut list = HeaderList::new();
    assert_eq!(
        decoder().decode(b"\x80", &mut list),
        Err(DecodeError::InvalidIndex { index: 0 })
    );
    assert_eq!(
        decoder().decode(b"\xbe", &mut list),
        Err(DecodeError::InvalidIndex { index: 62 })
    );
    assert_eq!(
        decoder().decode(b"\x7f\x00\x00", &mut list),
        Err(DecodeError::InvalidIndex { index: 63 })
    );
}

#[test]
fn a_block_cut_inside_a_literal_is_truncated_and_leaves_the_list_empty() {
    let mut list = HeaderList::new();
    let mut d = decoder();
    assert_eq!(
        d.decode(b"\x82\x40\x03abc", &mut list),
        Err(DecodeError::Truncated)
    );
    assert!(list.is_empty());
}

#[test]
fn size_update_after_a_field_is_rejected() {
    let mut list = HeaderList::new();
    assert_eq!(
        decoder().decode(b"\x82\x20", &mut list),
        Err(DecodeError::TableSizeUpdateNotAtStart)
    );
}

#[test]
fn size_update_above_our_setting_is_rejected() {
    let mut list = HeaderList::new();
    let mut block = Vec::new();
    integer::encode(4097, 5, 0x20, &mut block);
    assert_eq!(
        decoder().decode(&block, &mut list),
        Err(DecodeError::TableSizeUpdateTooLarge {
            requested: 4097,
            max: 4096
        })
    );
}

#[test]
fn after_our_setting_shrinks_the_next_block_must_open_with_an_update() {
    let mut list = HeaderList::new();
    let mut d = decoder();
    d.set_max_table_size(1024);
    assert_eq!(
        d.decode(b"\x82", &mut list),
        Err(DecodeError::TableSizeUpdateMissing { required: 1024 })
    );

    let mut d = decoder();
    d.set_max_table_size(1024);
    let mut block = Vec::new();
    integer::encode(1024, 5, 0x20, &mut block);
    block.push(0x82);
    d.decode(&block, &mut list).unwrap();
    assert_eq!(d.table_size(), 1024);
    // Only the first block after the change needs one.
    d.decode(b"\x82", &mut list).unwrap();
}

#[test]
fn after_a_dip_and_a_rise_the_update_must_reach_the_dip() {
    let mut list = HeaderList::new();
    let mut d = decoder();
    d.set_max_table_size(0);
    d.set_max_table_size(2048);
    let mut only_final = Vec::new();
    integer::encode(2048, 5, 0x20, &mut only_final);
    assert_eq!(
        d.decode(&only_final, &mut list),
        Err(DecodeError::TableSizeUpdateMissing { required: 0 })
    );

    let mut d = decoder();
    d.decode(&indexed_literal(b"k", b"v"), &mut list).unwrap();
    d.set_max_table_size(0);
    d.set_max_table_size(2048);
    d.decode(b"\x20\x3f\xe1\x0f\xbe", &mut list)
        .expect_err("the update to 0 emptied the table, so index 62 is gone");
}

#[test]
fn raising_our_setting_requires_no_update() {
    let mut list = HeaderList::new();
    let mut d = decoder();
    d.set_max_table_size(16384);
    d.decode(b"\x82", &mut list).unwrap();
    assert_eq!(d.table_size(), 4096);
}

#[test]
fn a_string_longer_than_the_limit_is_refused_before_it_is_read() {
    let limits = DecoderLimits {
        max_string_len: 8,
        ..DecoderLimits::default()
    };
    let mut list = HeaderList::new();
    assert_eq!(
        Decoder::new(4096, limits).decode(b"\x00\x09123456789\x00", &mut list),
        Err(DecodeError::StringTooLong { max: 8 })
    );
}

#[test]
fn too_many_fields_fails_but_keeps_the_table_in_step() {
    let limits = DecoderLimits {
        max_fields: 2,
        ..DecoderLimits::default()
    };
    let mut d = Decoder::new(4096, limits);
    let mut list = HeaderList::new();
    let mut block = vec![0x82, 0x82];
    block.extend(indexed_literal(b"late", b"entry"));
    let err = d.decode(&block, &mut list).unwrap_err();
    assert_eq!(err, DecodeError::TooManyFields { max: 2 });
    assert!(!err.is_compression_error());
    assert!(list.is_empty());
    // The third field was still added to the table.
    d.decode(b"\xbe", &mut list).unwrap();
    assert_eq!(
        fields(&list),
        [(b"late".to_vec(), b"entry".to_vec(), false)]
    );
}

#[test]
fn hpack_bomb_of_one_large_entry_repeated_fails_once_the_list_limit_is_passed() {
    // One 4000-octet value enters the table once, then the block names it
    // by index 62 ten thousand times: 40 MB of headers from 10 kB of wire.
    let limits = DecoderLimits::default();
    let mut d = Decoder::new(4096, limits);
    let mut list = HeaderList::new();
    let big = vec![b'x'; 4000];
    let mut block = indexed_literal(b"bomb", &big);
    block.extend(std::iter::repeat_n(0xbe, 10_000));
    let err = d.decode(&block, &mut list).unwrap_err();
    assert_eq!(
        err,
        DecodeError::HeaderListTooLarge {
            max: limits.max_list_size
        }
    );
    assert!(!err.is_compression_error());
    assert!(list.is_empty());
    // The list buffer stopped growing at the limit instead of holding
    // 40 MB (it is cleared, but its capacity tells how far it got).
    assert!(list.capacity_octets() <= 2 * limits.max_list_size);
    // The connection survives: the table is intact and in step.
    d.decode(b"\xbe", &mut list).unwrap();
    assert_eq!(list.len(), 1);
}

#[test]
fn errors_other_than_list_limits_are_compression_errors() {
    for err in [
        DecodeError::Truncated,
        DecodeError::IntegerOverflow,
        DecodeError::InvalidIndex { index: 0 },
        DecodeError::HuffmanEos,
        DecodeError::HuffmanPadding,
        DecodeError::StringTooLong { max: 1 },
        DecodeError::TableSizeUpdateTooLarge {
            requested: 2,
            max: 1,
        },
        DecodeError::TableSizeUpdateNotAtStart,
        DecodeError::TableSizeUpdateMissing { required: 0 },
    ] {
        assert!(err.is_compression_error(), "{err}");
    }
    assert!(!DecodeError::HeaderListTooLarge { max: 1 }.is_compression_error());
}
