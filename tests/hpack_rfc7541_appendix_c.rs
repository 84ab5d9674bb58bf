//! RFC 7541 Appendix C, byte for byte: the integer examples (C.1), the
//! four representations (C.2), three requests without and with Huffman
//! coding (C.3, C.4) and three responses with eviction in a 256-octet
//! table (C.5, C.6).
//!
//! Each example is decoded and its header list and dynamic table compared
//! with the RFC; then the same header lists are encoded and compared with
//! the RFC's bytes. The RFC's encoder indexes every field and Huffman-codes
//! all (C.4, C.6) or none (C.3, C.5) of its strings, so the encoder tests
//! set [`IndexingMode::Always`] and a fixed [`HuffmanMode`]; C.2.2 and
//! C.2.3 show what the default policy does on its own.

#![allow(
    clippy::unwrap_used,
    reason = "helpers outside #[test] fns; a panic is the failure report"
)]

use bicorn::hpack::{
    Decoder, DecoderLimits, Encoder, HeaderField, HeaderList, HuffmanMode, IndexingMode,
};

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

type Fields<'a> = &'a [(&'a str, &'a str)];

/// One header block of an example: wire, decoded list, table afterwards
/// (newest entry first) and the RFC's "Table size".
struct Block<'a> {
    wire: &'a str,
    headers: Fields<'a>,
    table: Fields<'a>,
    table_size: usize,
}

fn owned(list: &HeaderList) -> Vec<(String, String)> {
    list.iter()
        .map(|f| {
            (
                String::from_utf8(f.name.to_vec()).unwrap(),
                String::from_utf8(f.value.to_vec()).unwrap(),
            )
        })
        .collect()
}

fn expected(fields: Fields<'_>) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|&(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// Reads the dynamic table back through indexed representations on a copy
/// of the decoder, and checks that the index after the last entry is
/// invalid.
fn assert_table(decoder: &Decoder, table: Fields<'_>, table_size: usize) {
    let probe: Vec<u8> = (0..table.len()).map(|i| 0x80 | (62 + i) as u8).collect();
    let mut list = HeaderList::new();
    decoder.clone().decode(&probe, &mut list).unwrap();
    assert_eq!(owned(&list), expected(table));
    let past_the_end = [0x80 | (62 + table.len()) as u8];
    assert!(decoder.clone().decode(&past_the_end, &mut list).is_err());
    let size: usize = table.iter().map(|(n, v)| n.len() + v.len() + 32).sum();
    assert_eq!(size, table_size);
}

fn decode_story(table_capacity: usize, blocks: &[Block<'_>]) {
    let mut decoder = Decoder::new(table_capacity, DecoderLimits::default());
    let mut list = HeaderList::new();
    for block in blocks {
        decoder.decode(&hex(block.wire), &mut list).unwrap();
        assert_eq!(owned(&list), expected(block.headers), "{}", block.wire);
        assert_table(&decoder, block.table, block.table_size);
    }
}

fn encode_story(table_capacity: usize, huffman: HuffmanMode, blocks: &[Block<'_>]) {
    let mut encoder = Encoder::new(table_capacity);
    encoder.set_indexing(IndexingMode::Always);
    encoder.set_huffman(huffman);
    for block in blocks {
        let mut out = Vec::new();
        let fields = block
            .headers
            .iter()
            .map(|&(n, v)| HeaderField::new(n.as_bytes(), v.as_bytes()));
        encoder.encode(fields, &mut out);
        assert_eq!(out, hex(block.wire));
    }
}

#[test]
fn c_1_2_1337_with_a_5_bit_prefix_is_a_table_size_update() {
    // C.1.2's octets 1f 9a 0a behind the size update pattern 001: the
    // decoder reads the integer the RFC shows. (C.1 is also checked octet
    // by octet in the integer unit tests.)
    let mut list = HeaderList::new();
    let mut decoder = Decoder::new(4096, DecoderLimits::default());
    decoder.decode(&hex("3f9a0a"), &mut list).unwrap();
    assert_eq!(decoder.table_size(), 1337);
}

const C_2_1: Block<'static> = Block {
    wire: "400a637573746f6d2d6b65790d637573746f6d2d686561646572",
    headers: &[("custom-key", "custom-header")],
    table: &[("custom-key", "custom-header")],
    table_size: 55,
};

const C_2_2: Block<'static> = Block {
    wire: "040c2f73616d706c652f70617468",
    headers: &[(":path", "/sample/path")],
    table: &[],
    table_size: 0,
};

const C_2_3: &str = "100870617373776f726406736563726574";

const C_2_4: Block<'static> = Block {
    wire: "82",
    headers: &[(":method", "GET")],
    table: &[],
    table_size: 0,
};

#[test]
fn c_2_each_representation_decodes_alone() {
    decode_story(4096, &[C_2_1]);
    decode_story(4096, &[C_2_2]);
    decode_story(4096, &[C_2_4]);
    let mut list = HeaderList::new();
    Decoder::new(4096, DecoderLimits::default())
        .decode(&hex(C_2_3), &mut list)
        .unwrap();
    assert_eq!(
        list.iter().collect::<Vec<_>>(),
        [HeaderField::sensitive(b"password", b"secret")]
    );
}

#[test]
fn c_2_each_representation_encodes_alone() {
    encode_story(4096, HuffmanMode::Never, &[C_2_1]);
    encode_story(4096, HuffmanMode::Never, &[C_2_4]);
    // The default policy alone picks C.2.2's "without indexing" for :path
    // and C.2.3's "never indexed" for a field marked sensitive.
    let mut encoder = Encoder::default();
    encoder.set_huffman(HuffmanMode::Never);
    let mut out = Vec::new();
    encoder.encode([HeaderField::new(b":path", b"/sample/path")], &mut out);
    assert_eq!(out, hex(C_2_2.wire));
    out.clear();
    encoder.encode([HeaderField::sensitive(b"password", b"secret")], &mut out);
    assert_eq!(out, hex(C_2_3));
}

const REQUEST_1: Fields<'static> = &[
    (":method", "GET"),
    (":scheme", "http"),
    (":path", "/"),
    (":authority", "www.example.com"),
];
const REQUEST_2: Fields<'static> = &[
    (":method", "GET"),
    (":scheme", "http"),
    (":path", "/"),
    (":authority", "www.example.com"),
    ("cache-control", "no-cache"),
];
const REQUEST_3: Fields<'static> = &[
    (":method", "GET"),
    (":scheme", "https"),
    (":path", "/index.html"),
    (":authority", "www.example.com"),
    ("custom-key", "custom-value"),
];
const REQUEST_TABLE_1: Fields<'static> = &[(":authority", "www.example.com")];
const REQUEST_TABLE_2: Fields<'static> = &[
    ("cache-control", "no-cache"),
    (":authority", "www.example.com"),
];
const REQUEST_TABLE_3: Fields<'static> = &[
    ("custom-key", "custom-value"),
    ("cache-control", "no-cache"),
    (":authority", "www.example.com"),
];

const C_3: [Block<'static>; 3] = [
    Block {
        wire: "828684410f7777772e6578616d706c652e636f6d",
        headers: REQUEST_1,
        table: REQUEST_TABLE_1,
        table_size: 57,
    },
    Block {
        wire: "828684be58086e6f2d6361636865",
        headers: REQUEST_2,
        table: REQUEST_TABLE_2,
        table_size: 110,
    },
    Block {
        wire: "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565",
        headers: REQUEST_3,
        table: REQUEST_TABLE_3,
        table_size: 164,
    },
];

const C_4: [Block<'static>; 3] = [
    Block {
        wire: "828684418cf1e3c2e5f23a6ba0ab90f4ff",
        headers: REQUEST_1,
        table: REQUEST_TABLE_1,
        table_size: 57,
    },
    Block {
        wire: "828684be5886a8eb10649cbf",
        headers: REQUEST_2,
        table: REQUEST_TABLE_2,
        table_size: 110,
    },
    Block {
        wire: "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf",
        headers: REQUEST_3,
        table: REQUEST_TABLE_3,
        table_size: 164,
    },
];

#[test]
fn c_3_requests_without_huffman_decode_and_fill_the_table() {
    decode_story(4096, &C_3);
}

#[test]
fn c_3_requests_without_huffman_encode_byte_for_byte() {
    encode_story(4096, HuffmanMode::Never, &C_3);
}

#[test]
fn c_4_requests_with_huffman_decode_and_fill_the_table() {
    decode_story(4096, &C_4);
}

#[test]
fn c_4_requests_with_huffman_encode_byte_for_byte() {
    encode_story(4096, HuffmanMode::Always, &C_4);
}

const RESPONSE_1: Fields<'static> = &[
    (":status", "302"),
    ("cache-control", "private"),
    ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
    ("location", "https://www.example.com"),
];
const RESPONSE_2: Fields<'static> = &[
    (":status", "307"),
    ("cache-control", "private"),
    ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
    ("location", "https://www.example.com"),
];
const RESPONSE_3: Fields<'static> = &[
    (":status", "200"),
    ("cache-control", "private"),
    ("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
    ("location", "https://www.example.com"),
    ("content-encoding", "gzip"),
    (
        "set-cookie",
        "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
    ),
];
const RESPONSE_TABLE_1: Fields<'static> = &[
    ("location", "https://www.example.com"),
    ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
    ("cache-control", "private"),
    (":status", "302"),
];
/// ":status: 302" was evicted to make room for ":status: 307".
const RESPONSE_TABLE_2: Fields<'static> = &[
    (":status", "307"),
    ("location", "https://www.example.com"),
    ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
    ("cache-control", "private"),
];
/// Three inserts evicted all four previous entries but "date".
const RESPONSE_TABLE_3: Fields<'static> = &[
    (
        "set-cookie",
        "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
    ),
    ("content-encoding", "gzip"),
    ("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
];

const C_5: [Block<'static>; 3] = [
    Block {
        wire: "4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d",
        headers: RESPONSE_1,
        table: RESPONSE_TABLE_1,
        table_size: 222,
    },
    Block {
        wire: "4803333037c1c0bf",
        headers: RESPONSE_2,
        table: RESPONSE_TABLE_2,
        table_size: 222,
    },
    Block {
        wire: "88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a69707738666f6f3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d61782d6167653d333630303b2076657273696f6e3d31",
        headers: RESPONSE_3,
        table: RESPONSE_TABLE_3,
        table_size: 215,
    },
];

const C_6: [Block<'static>; 3] = [
    Block {
        wire: "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c78f0b97c8e9ae82ae43d3",
        headers: RESPONSE_1,
        table: RESPONSE_TABLE_1,
        table_size: 222,
    },
    Block {
        wire: "4883640effc1c0bf",
        headers: RESPONSE_2,
        table: RESPONSE_TABLE_2,
        table_size: 222,
    },
    Block {
        wire: "88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007",
        headers: RESPONSE_3,
        table: RESPONSE_TABLE_3,
        table_size: 215,
    },
];

#[test]
fn c_5_responses_without_huffman_decode_and_evict_in_a_256_octet_table() {
    decode_story(256, &C_5);
}

#[test]
fn c_5_responses_without_huffman_encode_byte_for_byte() {
    encode_story(256, HuffmanMode::Never, &C_5);
}

#[test]
fn c_6_responses_with_huffman_decode_and_evict_in_a_256_octet_table() {
    decode_story(256, &C_6);
}

#[test]
fn c_6_responses_with_huffman_encode_byte_for_byte() {
    encode_story(256, HuffmanMode::Always, &C_6);
}
