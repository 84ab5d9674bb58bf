//! Encoder stories: representation choices, the indexing policy, and size
//! updates. Round trips over the interop corpus are in
//! `tests/hpack_corpus.rs`.

use super::*;
use crate::hpack::{Decoder, DecoderLimits, HeaderList};

fn encode(encoder: &mut Encoder, fields: &[HeaderField<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    encoder.encode(fields.iter().copied(), &mut out);
    out
}

fn round_trip(encoder: &mut Encoder, decoder: &mut Decoder, fields: &[HeaderField<'_>]) -> Vec<u8> {
    let wire = encode(encoder, fields);
    let mut list = HeaderList::new();
    decoder.decode(&wire, &mut list).unwrap();
    assert_eq!(list.iter().collect::<Vec<_>>(), fields);
    wire
}

#[test]
fn static_full_match_is_one_octet() {
    let mut e = Encoder::default();
    assert_eq!(
        encode(&mut e, &[HeaderField::new(b":status", b"200")]),
        [0x88]
    );
}

#[test]
fn a_repeated_response_header_costs_one_octet_the_second_time() {
    let mut e = Encoder::default();
    let mut d = Decoder::new(4096, DecoderLimits::default());
    let fields = [
        HeaderField::new(b"content-type", b"text/html; charset=utf-8"),
        HeaderField::new(b"server", b"bicorn"),
    ];
    let first = round_trip(&mut e, &mut d, &fields);
    let second = round_trip(&mut e, &mut d, &fields);
    assert!(first.len() > 10);
    // 63 = content-type (older), 62 = server (newest).
    assert_eq!(second, [0xbf, 0xbe]);
}

#[test]
fn per_message_values_are_not_indexed() {
    let mut e = Encoder::default();
    let mut d = Decoder::new(4096, DecoderLimits::default());
    let fields = [HeaderField::new(b"content-length", b"1234")];
    let wire = round_trip(&mut e, &mut d, &fields);
    // 0x0f 0x0d: literal without indexing, name index 28.
    assert_eq!(wire[..2], [0x0f, 0x0d]);
    assert_eq!(e.table.find(b"content-length", b"1234"), None);
}

#[test]
fn credentials_and_short_cookies_are_never_indexed() {
    let mut e = Encoder::default();
    let mut d = Decoder::new(4096, DecoderLimits::default());
    let sent = [
        HeaderField::new(b"authorization", b"Basic dXNlcjpwYXNz"),
        HeaderField::new(b"cookie", b"sid=42"),
        HeaderField::new(b"set-cookie", b"sid=43; HttpOnly"),
        HeaderField::sensitive(b"x-api-key", b"k"),
    ];
    let wire = encode(&mut e, &sent);
    let mut list = HeaderList::new();
    d.decode(&wire, &mut list).unwrap();
    assert!(list.iter().all(|f| f.never_indexed));
    assert!(
        list.iter()
            .map(|f| (f.name, f.value))
            .eq(sent.iter().map(|f| (f.name, f.value)))
    );
    // Even a field already in the table is sent literally when sensitive.
    e.encode([HeaderField::new(b"x-api-key", b"k")], &mut Vec::new());
    let again = encode(&mut e, &[HeaderField::sensitive(b"x-api-key", b"k")]);
    assert_eq!(again[0] & 0xf0, 0x10);
}

#[test]
fn a_long_cookie_is_indexed() {
    let mut e = Encoder::default();
    let cookie = HeaderField::new(b"cookie", b"session=0123456789abcdef0123");
    encode(&mut e, &[cookie]);
    assert_eq!(encode(&mut e, &[cookie]), [0xbe]);
}

#[test]
fn an_entry_bigger_than_three_quarters_of_the_table_is_not_indexed() {
    let mut e = Encoder::new(256);
    let value = [b'v'; 200];
    let wire = encode(&mut e, &[HeaderField::new(b"x-big", &value)]);
    assert_eq!(wire[0], 0x00);
}

#[test]
fn a_peer_shrinking_then_growing_its_table_gets_both_updates() {
    let mut e = Encoder::default();
    let mut d = Decoder::new(4096, DecoderLimits::default());
    let field = [HeaderField::new(b"x-a", b"b")];
    round_trip(&mut e, &mut d, &field);
    e.set_peer_max_table_size(0);
    e.set_peer_max_table_size(1024);
    d.set_max_table_size(0);
    d.set_max_table_size(1024);
    let wire = round_trip(&mut e, &mut d, &field);
    // 0x20 = update to 0; 0x3f 0xe1 0x07 = update to 1024.
    assert_eq!(wire[..4], [0x20, 0x3f, 0xe1, 0x07]);
    assert_eq!(e.table_size(), 1024);
    assert_eq!(d.table_size(), 1024);
}

#[test]
fn a_peer_offering_more_than_our_limit_gets_no_update() {
    let mut e = Encoder::default();
    e.set_peer_max_table_size(65536);
    assert_eq!(
        encode(&mut e, &[HeaderField::new(b":method", b"GET")]),
        [0x82]
    );
}

#[test]
fn a_peer_returning_to_a_smaller_size_gets_one_update() {
    let mut e = Encoder::default();
    e.set_peer_max_table_size(100);
    let wire = encode(&mut e, &[]);
    assert_eq!(wire, [0x3f, 0x45]);
    e.set_peer_max_table_size(4096);
    e.set_peer_max_table_size(100);
    assert!(encode(&mut e, &[]).is_empty());
}

#[test]
fn indexing_never_mode_builds_no_table() {
    let mut e = Encoder::default();
    e.set_indexing(IndexingMode::Never);
    let field = [HeaderField::new(b"server", b"bicorn")];
    let first = encode(&mut e, &field);
    assert_eq!(first, encode(&mut e, &field));
    assert_eq!(first[0], 0x0f);
}

#[test]
fn the_generation_holds_exactly_while_the_same_list_encodes_the_same() {
    let mut e = Encoder::default();
    let head = [
        HeaderField::new(b":status", b"200"),
        HeaderField::new(b"server", b"bicorn"),
        HeaderField::new(b"content-length", b"612"),
    ];
    let g0 = e.generation();
    let first = encode(&mut e, &head);
    assert_ne!(e.generation(), g0, "the first encoding inserted `server`");
    let g1 = e.generation();
    let second = encode(&mut e, &head);
    assert_eq!(e.generation(), g1, "nothing inserted the second time");
    assert_ne!(first, second);
    assert_eq!(encode(&mut e, &head), second, "so the block repeats");
    // Whatever could change the octets moves it on.
    encode(&mut e, &[HeaderField::new(b"x-new", b"v")]);
    assert_ne!(e.generation(), g1);
    let g2 = e.generation();
    e.set_peer_max_table_size(1024);
    assert_ne!(e.generation(), g2);
    let g3 = e.generation();
    e.set_huffman(HuffmanMode::Never);
    assert_ne!(e.generation(), g3);
}
