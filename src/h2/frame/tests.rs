//! Unit stories for the frame header, the deframer and the padding
//! helpers of `frame/mod.rs`. Stories per RFC section, against the public
//! API only, live in `tests/h2_frames.rs`.

use super::*;

#[test]
fn header_reads_length_type_flags_and_stream() {
    let header =
        FrameHeader::parse(&[0x01, 0x02, 0x03, 0x07, 0x09, 0x00, 0x00, 0x01, 0x2c, 0xff]).unwrap();
    assert_eq!(header.length(), 0x01_0203);
    assert_eq!(header.kind(), FrameType::GOAWAY);
    assert_eq!(header.flags(), Flags::new(0x09));
    assert_eq!(header.stream_id(), StreamId::new(300));
    assert_eq!(header.frame_len(), 9 + 0x01_0203);
}

#[test]
fn header_needs_nine_octets() {
    assert_eq!(FrameHeader::parse(&[0; 8]), None);
}

#[test]
fn reserved_bit_is_ignored_on_receipt_and_never_sent() {
    let header = FrameHeader::parse(&[0, 0, 0, 0xff, 0, 0x80, 0, 0, 5]).unwrap();
    assert_eq!(header.stream_id(), StreamId::new(5));
    let mut out = Vec::new();
    FrameHeader::new(FrameType::DATA, Flags::EMPTY, StreamId::new(0xffff_ffff), 0).encode(&mut out);
    assert_eq!(out, [0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff]);
}

#[test]
#[should_panic(expected = "over 2^24-1")]
fn encoding_a_payload_over_the_24_bit_limit_is_a_local_bug() {
    FrameHeader::new(FrameType::DATA, Flags::EMPTY, StreamId::new(1), 1 << 24);
}

#[test]
fn stream_ids_know_who_opens_them() {
    assert!(StreamId::new(1).is_client_initiated());
    assert!(StreamId::new(2).is_server_initiated());
    assert!(!StreamId::CONNECTION.is_server_initiated());
    assert!(StreamId::CONNECTION.is_connection());
    assert_eq!(StreamId::MAX.value(), 0x7fff_ffff);
}

#[test]
fn frame_types_and_flags_print_and_combine() {
    assert_eq!(FrameType::PRIORITY_UPDATE.to_string(), "PRIORITY_UPDATE");
    assert_eq!(FrameType::new(0xfa).to_string(), "unknown frame type 0xfa");
    assert_eq!(format!("{:?}", FrameType::new(0xfa)), "FrameType(0xfa)");
    let flags = Flags::END_HEADERS | Flags::PADDED;
    assert!(flags.contains(Flags::PADDED));
    assert!(!flags.contains(Flags::END_STREAM));
    assert_eq!(flags.with_if(Flags::PRIORITY, false), flags);
}

#[test]
fn max_frame_size_below_the_floor_is_raised_to_16384() {
    let mut out = Vec::new();
    Data::new(StreamId::new(1), &[0; 16_384]).encode(&mut out);
    assert!(parse_frame(&out, 0).unwrap().is_some());
}

#[test]
fn padding_helpers_refuse_missing_pad_length_and_excess_padding() {
    let padded = FrameHeader::new(FrameType::DATA, Flags::PADDED, StreamId::new(1), 0);
    assert_eq!(
        split_pad_length(&padded, &[]).unwrap_err().code(),
        ErrorCode::FRAME_SIZE_ERROR
    );
    assert_eq!(strip_padding(Some(2), b"ab"), Ok(&b""[..]));
    assert_eq!(
        strip_padding(Some(3), b"ab").unwrap_err().code(),
        ErrorCode::PROTOCOL_ERROR
    );
    assert_eq!(strip_padding(None, b"ab"), Ok(&b"ab"[..]));
}

#[test]
fn frame_reports_its_kind_and_stream() {
    let ping = Frame::Ping(Ping::new([0; 8]));
    assert_eq!(ping.kind(), FrameType::PING);
    assert_eq!(ping.stream_id(), StreamId::CONNECTION);
    let data = Frame::Data(Data::new(StreamId::new(9), b""));
    assert_eq!(data.kind(), FrameType::DATA);
    assert_eq!(data.stream_id(), StreamId::new(9));
    let unknown = Frame::Unknown(Unknown::new(
        FrameType::new(0xbb),
        Flags::EMPTY,
        StreamId::new(4),
        b"",
    ));
    assert_eq!(unknown.kind(), FrameType::new(0xbb));
    assert_eq!(unknown.stream_id(), StreamId::new(4));
}
