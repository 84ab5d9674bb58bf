//! Stories for the HTTP/2 frame layer, one module per RFC section: what a
//! peer's bytes parse to, and which error (code and scope) each violation
//! of RFC 9113 §4–§6 and RFC 9218 §7.1 earns. Malformed frames are written
//! with [`raw`], since the encoders only produce valid ones.

use bicorn::h2::frame::{
    Continuation, Data, Flags, Frame, FrameHeader, FrameType, GoAway, Headers, Ping, PriorityFrame,
    PriorityUpdate, PushPromise, RstStream, SettingId, Settings, SettingsFrame, StreamDependency,
    Unknown, WindowUpdate, encode_header_block, parse_frame,
};
use bicorn::h2::{Error, ErrorCode, ErrorFrame, Priority, StreamId};

const MAX: u32 = 16_384;

/// A frame as raw octets: any length, type, flags and stream, valid or not.
fn raw(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let [_, l0, l1, l2] = u32::try_from(payload.len())
        .expect("test payloads are small")
        .to_be_bytes();
    let mut out = vec![l0, l1, l2, kind];
    out.push(flags);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

fn id(value: u32) -> StreamId {
    StreamId::new(value)
}

/// Parses one whole frame that must be valid and fill `buf`.
fn parse(buf: &[u8]) -> Frame<'_> {
    let (frame, used) = parse_frame(buf, MAX)
        .expect("valid frame")
        .expect("complete frame");
    assert_eq!(used, buf.len());
    frame
}

/// Parses one whole frame that must be refused.
fn refuse(buf: &[u8]) -> Error {
    parse_frame(buf, MAX).expect_err("frame must be refused")
}

fn connection_error(code: ErrorCode) -> impl Fn(&Error) -> bool {
    move |error| error.is_connection_error() && error.code() == code
}

fn assert_connection_error(buf: &[u8], code: ErrorCode) {
    let error = refuse(buf);
    assert!(connection_error(code)(&error), "{error}");
}

fn assert_stream_error(buf: &[u8], stream: u32, code: ErrorCode) {
    let error = refuse(buf);
    assert_eq!(error.stream_id(), Some(id(stream)), "{error}");
    assert_eq!(error.code(), code, "{error}");
}

fn encode(frame: Frame<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    frame.encode(&mut out);
    out
}

mod frame_format_4_1 {
    use super::*;

    #[test]
    fn partial_frame_needs_more_bytes() {
        let whole = raw(0x0, 0x1, 1, b"hello");
        for cut in 0..whole.len() {
            assert_eq!(parse_frame(&whole[..cut], MAX), Ok(None), "cut at {cut}");
        }
        assert!(parse_frame(&whole, MAX).unwrap().is_some());
    }

    #[test]
    fn frames_in_one_buffer_parse_one_at_a_time() {
        let mut buf = raw(0x6, 0x0, 0, &[1; 8]);
        buf.extend(raw(0x0, 0x1, 3, b"body"));
        buf.extend_from_slice(&[0, 0]); // the start of a third frame
        let (first, used) = parse_frame(&buf, MAX).unwrap().unwrap();
        assert_eq!(first, Frame::Ping(Ping::new([1; 8])));
        let (second, used2) = parse_frame(&buf[used..], MAX).unwrap().unwrap();
        assert_eq!(second, Frame::Data(Data::new(id(3), b"body").end_stream()));
        assert_eq!(parse_frame(&buf[used + used2..], MAX), Ok(None));
    }

    #[test]
    fn reserved_bit_of_the_stream_id_is_ignored_on_receipt() {
        let buf = raw(0x0, 0x0, 0x8000_0005, b"x");
        let frame = parse(&buf);
        assert_eq!(frame.stream_id(), id(5));
    }

    #[test]
    fn reserved_bit_is_never_sent() {
        let out = encode(Frame::Data(Data::new(StreamId::new(u32::MAX), b"")));
        assert_eq!(&out[5..9], &[0x7f, 0xff, 0xff, 0xff]);
    }

    #[test]
    fn unused_flags_are_ignored_on_receipt() {
        // Every flag but PADDED on DATA: only END_STREAM means anything.
        let buf = raw(0x0, 0xf7, 1, b"x");
        let frame = parse(&buf);
        assert_eq!(frame, Frame::Data(Data::new(id(1), b"x").end_stream()));
        let buf = raw(0x8, 0xff, 0, &[0, 0, 0, 1]);
        let frame = parse(&buf);
        assert_eq!(frame, Frame::WindowUpdate(WindowUpdate::new(id(0), 1)));
    }

    #[test]
    fn unknown_frame_type_is_parsed_and_ignored() {
        // No check applies to an unknown type, whatever its stream or flags.
        for stream in [0, 1, 2] {
            let buf = raw(0xfa, 0xff, stream, b"grease");
            let Frame::Unknown(unknown) = parse(&buf) else {
                panic!("expected an unknown frame");
            };
            assert_eq!(unknown.kind(), FrameType::new(0xfa));
            assert_eq!(unknown.flags(), Flags::new(0xff));
            assert_eq!(unknown.stream_id(), id(stream));
            assert_eq!(unknown.payload(), b"grease");
        }
        assert!(matches!(parse(&raw(0x0a, 0, 0, b"")), Frame::Unknown(_)));
    }

    #[test]
    fn payloads_are_borrowed_from_the_input() {
        let buf = raw(0x0, 0x0, 1, b"no copy");
        let Frame::Data(data) = parse(&buf) else {
            panic!("expected DATA");
        };
        assert!(buf.as_ptr_range().contains(&data.data().as_ptr()));
    }
}

mod frame_size_4_2 {
    use super::*;

    #[test]
    fn frame_over_max_frame_size_is_a_frame_size_error() {
        let buf = raw(0x0, 0x0, 1, &[0; MAX as usize + 1]);
        assert_connection_error(&buf, ErrorCode::FRAME_SIZE_ERROR);
    }

    #[test]
    fn oversized_frame_is_refused_from_its_header_alone() {
        let header = &raw(0x1, 0x4, 1, &[0; MAX as usize + 1])[..9];
        assert_connection_error(header, ErrorCode::FRAME_SIZE_ERROR);
    }

    #[test]
    fn oversized_frame_on_a_stream_is_still_a_connection_error() {
        // Our choice for every type: see parse_frame.
        for kind in [0x0, 0x2, 0x3, 0x8, 0xfa] {
            let buf = raw(kind, 0, 1, &[0; MAX as usize + 1]);
            assert_connection_error(&buf, ErrorCode::FRAME_SIZE_ERROR);
        }
    }

    #[test]
    fn frame_of_exactly_max_frame_size_parses() {
        let buf = raw(0x0, 0x0, 1, &[7; MAX as usize]);
        assert!(matches!(parse(&buf), Frame::Data(_)));
    }

    #[test]
    fn larger_advertised_max_frame_size_admits_larger_frames() {
        let buf = raw(0x0, 0x0, 1, &[7; 20_000]);
        assert!(parse_frame(&buf, 20_000).unwrap().is_some());
        assert!(parse_frame(&buf, 19_999).is_err());
    }
}

mod error_handling_5_4 {
    use super::*;

    #[test]
    fn connection_error_is_answered_with_goaway_naming_the_last_stream() {
        let error = refuse(&raw(0x0, 0x0, 0, b"x"));
        let mut out = Vec::new();
        error.to_frame(id(7)).encode(&mut out);
        let Frame::GoAway(goaway) = parse(&out) else {
            panic!("expected GOAWAY");
        };
        assert_eq!(goaway.last_stream_id(), id(7));
        assert_eq!(goaway.code(), ErrorCode::PROTOCOL_ERROR);
        assert_eq!(goaway.debug_data(), error.reason().as_bytes());
    }

    #[test]
    fn stream_error_is_answered_with_rst_stream_on_that_stream() {
        let error = refuse(&raw(0x8, 0x0, 5, &[0, 0, 0, 0]));
        assert_eq!(
            error.to_frame(id(7)),
            ErrorFrame::RstStream(RstStream::new(id(5), ErrorCode::PROTOCOL_ERROR))
        );
    }

    #[test]
    fn after_a_stream_error_the_frame_can_be_skipped() {
        let mut buf = raw(0x2, 0x0, 3, &[0, 0, 0, 1]); // PRIORITY, 4 octets
        buf.extend(raw(0x6, 0x0, 0, &[9; 8]));
        assert!(!refuse(&buf).is_connection_error());
        let skip = FrameHeader::parse(&buf).unwrap().frame_len();
        let (next, _) = parse_frame(&buf[skip..], MAX).unwrap().unwrap();
        assert_eq!(next, Frame::Ping(Ping::new([9; 8])));
    }

    #[test]
    fn errors_read_as_sentences_for_the_debug_log() {
        let error = refuse(&raw(0x3, 0x0, 0, &[0; 4]));
        assert_eq!(
            error.to_string(),
            "HTTP/2 connection error PROTOCOL_ERROR: RST_STREAM frame on stream 0"
        );
    }
}

mod data_6_1 {
    use super::*;

    #[test]
    fn data_on_stream_zero_is_a_connection_protocol_error() {
        assert_connection_error(&raw(0x0, 0x0, 0, b"x"), ErrorCode::PROTOCOL_ERROR);
    }

    #[test]
    fn padded_data_with_pad_length_covering_payload_is_a_protocol_error() {
        // Payload of 4: Pad Length 3 leaves room for 0 data octets (fine),
        // Pad Length 4 is "the length of the frame payload" (refused).
        assert!(matches!(
            parse(&raw(0x0, 0x8, 1, &[3, 0, 0, 0])),
            Frame::Data(_)
        ));
        for pad in [4, 5, 255] {
            let buf = raw(0x0, 0x8, 1, &[pad, 0, 0, 0]);
            assert_connection_error(&buf, ErrorCode::PROTOCOL_ERROR);
        }
    }

    #[test]
    fn padded_data_without_room_for_the_pad_length_is_a_frame_size_error() {
        assert_connection_error(&raw(0x0, 0x8, 1, b""), ErrorCode::FRAME_SIZE_ERROR);
    }

    #[test]
    fn padding_counts_against_flow_control() {
        let buf = raw(0x0, 0x8, 1, &[2, b'h', b'i', 0, 0]);
        let Frame::Data(data) = parse(&buf) else {
            panic!("expected DATA");
        };
        assert_eq!(data.data(), b"hi");
        assert_eq!(data.pad_len(), Some(2));
        assert_eq!(data.flow_controlled_len(), 5);
    }

    #[test]
    fn non_zero_padding_is_not_checked() {
        // "A receiver is not obligated to verify padding".
        let buf = raw(0x0, 0x8, 1, &[1, b'a', 0xff]);
        let Frame::Data(data) = parse(&buf) else {
            panic!("expected DATA");
        };
        assert_eq!(data.data(), b"a");
    }

    #[test]
    fn empty_data_with_end_stream_round_trips() {
        let frame = Data::new(id(1), b"").end_stream();
        assert_eq!(parse(&encode(Frame::Data(frame))), Frame::Data(frame));
        assert_eq!(frame.flow_controlled_len(), 0);
    }

    #[test]
    fn padded_data_round_trips_with_zero_padding() {
        let frame = Data::new(id(7), b"abc").padded(10);
        let out = encode(Frame::Data(frame));
        assert_eq!(&out[out.len() - 10..], &[0; 10]);
        assert_eq!(parse(&out), Frame::Data(frame));
    }
}

mod headers_6_2 {
    use super::*;

    #[test]
    fn headers_on_stream_zero_is_a_connection_protocol_error() {
        assert_connection_error(&raw(0x1, 0x4, 0, b"\x82"), ErrorCode::PROTOCOL_ERROR);
    }

    #[test]
    fn priority_flag_fields_are_exclusive_bit_dependency_and_weight_plus_one() {
        let buf = raw(0x1, 0x24, 3, &[0x80, 0, 0, 1, 15, 0x82]);
        let Frame::Headers(headers) = parse(&buf) else {
            panic!("expected HEADERS");
        };
        let dependency = headers.dependency().unwrap();
        assert!(dependency.is_exclusive());
        assert_eq!(dependency.dependency(), id(1));
        assert_eq!(dependency.weight(), 16);
        assert_eq!(headers.fragment(), b"\x82");
        assert!(headers.is_end_headers());
        assert!(!headers.is_end_stream());
    }

    #[test]
    fn headers_too_short_for_its_priority_fields_is_a_connection_frame_size_error() {
        let buf = raw(0x1, 0x24, 3, &[0, 0, 0, 1]);
        assert_connection_error(&buf, ErrorCode::FRAME_SIZE_ERROR);
    }

    #[test]
    fn padded_headers_with_pad_length_covering_payload_is_a_protocol_error() {
        assert_connection_error(&raw(0x1, 0x0c, 1, &[2, 0x82]), ErrorCode::PROTOCOL_ERROR);
    }

    #[test]
    fn padding_that_would_cover_the_priority_fields_is_a_protocol_error() {
        let buf = raw(0x1, 0x2c, 3, &[2, 0, 0, 0, 1, 15]);
        assert_connection_error(&buf, ErrorCode::PROTOCOL_ERROR);
    }

    #[test]
    fn headers_depending_on_itself_parses_so_the_block_can_be_decoded() {
        let buf = raw(0x1, 0x24, 3, &[0, 0, 0, 3, 15, 0x82]);
        let Frame::Headers(headers) = parse(&buf) else {
            panic!("expected HEADERS");
        };
        assert!(headers.depends_on_itself());
        assert_eq!(headers.fragment(), b"\x82");
    }

    #[test]
    fn headers_with_every_flag_round_trips() {
        let frame = Headers::new(id(1), b"\x82\x84\x86")
            .end_stream()
            .end_headers()
            .with_dependency(StreamDependency::new(id(0), false, 256))
            .padded(3);
        assert_eq!(parse(&encode(Frame::Headers(frame))), Frame::Headers(frame));
    }
}

mod priority_6_3 {
    use super::*;

    #[test]
    fn priority_with_wrong_length_is_a_stream_frame_size_error() {
        for len in [0, 4, 6, 100] {
            let buf = raw(0x2, 0x0, 3, &vec![0; len]);
            assert_stream_error(&buf, 3, ErrorCode::FRAME_SIZE_ERROR);
        }
    }

    #[test]
    fn priority_on_stream_zero_is_a_connection_protocol_error() {
        assert_connection_error(
            &raw(0x2, 0x0, 0, &[0, 0, 0, 1, 0]),
            ErrorCode::PROTOCOL_ERROR,
        );
    }

    #[test]
    fn priority_making_a_stream_depend_on_itself_is_a_stream_protocol_error() {
        let buf = raw(0x2, 0x0, 5, &[0x80, 0, 0, 5, 0]);
        assert_stream_error(&buf, 5, ErrorCode::PROTOCOL_ERROR);
    }

    #[test]
    fn priority_round_trips() {
        let frame = PriorityFrame::new(id(5), StreamDependency::new(id(3), true, 1));
        assert_eq!(
            parse(&encode(Frame::Priority(frame))),
            Frame::Priority(frame)
        );
    }
}

mod rst_stream_6_4 {
    use super::*;

    #[test]
    fn rst_stream_with_wrong_length_is_a_connection_frame_size_error() {
        for len in [0, 3, 5, 8] {
            let buf = raw(0x3, 0x0, 1, &vec![0; len]);
            assert_connection_error(&buf, ErrorCode::FRAME_SIZE_ERROR);
        }
    }

    #[test]
    fn rst_stream_on_stream_zero_is_a_connection_protocol_error() {
        assert_connection_error(&raw(0x3, 0x0, 0, &[0, 0, 0, 8]), ErrorCode::PROTOCOL_ERROR);
    }

    #[test]
    fn rst_stream_keeps_an_unknown_error_code() {
        let buf = raw(0x3, 0x0, 1, &[0xde, 0xad, 0xbe, 0xef]);
        let Frame::RstStream(rst) = parse(&buf) else {
            panic!("expected RST_STREAM");
        };
        assert_eq!(rst.code(), ErrorCode::new(0xdead_beef));
        assert_eq!(
            encode(Frame::RstStream(rst)),
            raw(0x3, 0x0, 1, &[0xde, 0xad, 0xbe, 0xef])
        );
    }
}

mod settings_6_5 {
    use super::*;

    fn entry(id: u16, value: u32) -> Vec<u8> {
        let mut out = id.to_be_bytes().to_vec();
        out.extend_from_slice(&value.to_be_bytes());
        out
    }

    #[test]
    fn settings_on_a_stream_is_a_connection_protocol_error() {
        assert_connection_error(&raw(0x4, 0x0, 1, &entry(3, 100)), ErrorCode::PROTOCOL_ERROR);
    }

    #[test]
    fn settings_with_length_not_multiple_of_six_is_a_connection_frame_size_error() {
        for len in [1, 5, 7, 13] {
            let buf = raw(0x4, 0x0, 0, &vec![0; len]);
            assert_connection_error(&buf, ErrorCode::FRAME_SIZE_ERROR);
        }
    }

    #[test]
    fn settings_ack_with_a_payload_is_a_connection_frame_size_error() {
        assert_connection_error(
            &raw(0x4, 0x1, 0, &entry(3, 100)),
            ErrorCode::FRAME_SIZE_ERROR,
        );
    }

    #[test]
    fn enable_push_other_than_zero_or_one_is_a_protocol_error() {
        assert!(matches!(
            parse(&raw(0x4, 0, 0, &entry(2, 1))),
            Frame::Settings(_)
        ));
        assert_connection_error(&raw(0x4, 0, 0, &entry(2, 2)), ErrorCode::PROTOCOL_ERROR);
    }

    #[test]
    fn initial_window_size_above_2_pow_31_minus_1_is_a_flow_control_error() {
        assert!(matches!(
            parse(&raw(0x4, 0, 0, &entry(4, 0x7fff_ffff))),
            Frame::Settings(_)
        ));
        let buf = raw(0x4, 0, 0, &entry(4, 0x8000_0000));
        assert_connection_error(&buf, ErrorCode::FLOW_CONTROL_ERROR);
    }

    #[test]
    fn max_frame_size_outside_its_range_is_a_protocol_error() {
        for good in [16_384, 16_777_215] {
            assert!(matches!(
                parse(&raw(0x4, 0, 0, &entry(5, good))),
                Frame::Settings(_)
            ));
        }
        for bad in [0, 16_383, 16_777_216, u32::MAX] {
            assert_connection_error(&raw(0x4, 0, 0, &entry(5, bad)), ErrorCode::PROTOCOL_ERROR);
        }
    }

    #[test]
    fn extension_booleans_other_than_zero_or_one_are_protocol_errors() {
        for setting in [8, 9] {
            assert!(matches!(
                parse(&raw(0x4, 0, 0, &entry(setting, 1))),
                Frame::Settings(_)
            ));
            let buf = raw(0x4, 0, 0, &entry(setting, 2));
            assert_connection_error(&buf, ErrorCode::PROTOCOL_ERROR);
        }
    }

    #[test]
    fn an_invalid_value_anywhere_refuses_the_whole_frame() {
        let mut payload = entry(3, 100);
        payload.extend(entry(5, 1));
        assert_connection_error(&raw(0x4, 0, 0, &payload), ErrorCode::PROTOCOL_ERROR);
    }

    #[test]
    fn unknown_settings_are_listed_and_ignored_when_applied() {
        let mut payload = entry(0xf00d, u32::MAX);
        payload.extend(entry(4, 1_000_000));
        payload.extend(entry(7, 5)); // unassigned
        let buf = raw(0x4, 0, 0, &payload);
        let Frame::Settings(settings) = parse(&buf) else {
            panic!("expected SETTINGS");
        };
        assert_eq!(settings.len(), 3);
        assert_eq!(
            settings.iter().collect::<Vec<_>>(),
            [
                (SettingId::new(0xf00d), u32::MAX),
                (SettingId::INITIAL_WINDOW_SIZE, 1_000_000),
                (SettingId::new(7), 5),
            ]
        );
        let mut values = Settings::default();
        values.apply(&settings);
        assert_eq!(
            values,
            Settings {
                initial_window_size: 1_000_000,
                ..Settings::default()
            }
        );
    }

    #[test]
    fn entry_count_lets_the_connection_cap_a_settings_flood() {
        let payload: Vec<u8> = (0..1000).flat_map(|_| entry(0x99, 0)).collect();
        let buf = raw(0x4, 0, 0, &payload);
        let Frame::Settings(settings) = parse(&buf) else {
            panic!("expected SETTINGS");
        };
        assert_eq!(settings.len(), 1000);
        assert_eq!(settings.iter().len(), 1000);
    }

    #[test]
    fn settings_ack_and_empty_settings_parse() {
        let buf = raw(0x4, 0x1, 0, b"");
        let Frame::Settings(ack) = parse(&buf) else {
            panic!("expected SETTINGS");
        };
        assert!(ack.is_ack());
        assert_eq!(ack, SettingsFrame::ack());
        let buf = raw(0x4, 0x0, 0, b"");
        let Frame::Settings(empty) = parse(&buf) else {
            panic!("expected SETTINGS");
        };
        assert!(!empty.is_ack());
        assert!(empty.is_empty());
    }

    #[test]
    fn defaults_are_the_rfc_initial_values() {
        let settings = Settings::default();
        assert_eq!(settings.header_table_size, 4_096);
        assert!(settings.enable_push);
        assert_eq!(settings.max_concurrent_streams, None);
        assert_eq!(settings.initial_window_size, 65_535);
        assert_eq!(settings.max_frame_size, 16_384);
        assert_eq!(settings.max_header_list_size, None);
        assert!(!settings.enable_connect_protocol);
        assert!(!settings.no_rfc7540_priorities);
    }
}

mod push_promise_6_6 {
    use super::*;

    #[test]
    fn push_promise_is_parsed_for_the_connection_to_reject() {
        let buf = raw(0x5, 0x4, 1, &[0, 0, 0, 2, 0x82]);
        let Frame::PushPromise(promise) = parse(&buf) else {
            panic!("expected PUSH_PROMISE");
        };
        assert_eq!(promise.promised_stream_id(), id(2));
        assert_eq!(promise.fragment(), b"\x82");
        assert!(promise.is_end_headers());
    }

    #[test]
    fn push_promise_on_stream_zero_is_a_connection_protocol_error() {
        assert_connection_error(&raw(0x5, 0x4, 0, &[0, 0, 0, 2]), ErrorCode::PROTOCOL_ERROR);
    }

    #[test]
    fn push_promise_too_short_for_the_promised_id_is_a_frame_size_error() {
        assert_connection_error(&raw(0x5, 0x4, 1, &[0, 0, 2]), ErrorCode::FRAME_SIZE_ERROR);
    }

    #[test]
    fn padded_push_promise_with_pad_length_covering_payload_is_a_protocol_error() {
        let buf = raw(0x5, 0xc, 1, &[5, 0, 0, 0, 2]);
        assert_connection_error(&buf, ErrorCode::PROTOCOL_ERROR);
    }

    #[test]
    fn push_promise_round_trips() {
        let frame = PushPromise::new(id(1), id(4), b"\x82")
            .end_headers()
            .padded(2);
        assert_eq!(
            parse(&encode(Frame::PushPromise(frame))),
            Frame::PushPromise(frame)
        );
    }
}

mod ping_6_7 {
    use super::*;

    #[test]
    fn ping_with_length_other_than_eight_is_a_connection_frame_size_error() {
        for len in [0, 7, 9] {
            let buf = raw(0x6, 0x0, 0, &vec![0; len]);
            assert_connection_error(&buf, ErrorCode::FRAME_SIZE_ERROR);
        }
    }

    #[test]
    fn ping_on_a_stream_is_a_connection_protocol_error() {
        assert_connection_error(&raw(0x6, 0x0, 1, &[0; 8]), ErrorCode::PROTOCOL_ERROR);
    }

    #[test]
    fn ping_is_answered_with_the_same_data_and_ack() {
        let buf = raw(0x6, 0x0, 0, b"12345678");
        let Frame::Ping(ping) = parse(&buf) else {
            panic!("expected PING");
        };
        assert!(!ping.is_ack());
        let out = encode(Frame::Ping(ping.ack()));
        assert_eq!(out, raw(0x6, 0x1, 0, b"12345678"));
    }
}

mod goaway_6_8 {
    use super::*;

    #[test]
    fn goaway_on_a_stream_is_a_connection_protocol_error() {
        assert_connection_error(&raw(0x7, 0x0, 1, &[0; 8]), ErrorCode::PROTOCOL_ERROR);
    }

    #[test]
    fn goaway_shorter_than_eight_octets_is_a_frame_size_error() {
        assert_connection_error(&raw(0x7, 0x0, 0, &[0; 7]), ErrorCode::FRAME_SIZE_ERROR);
    }

    #[test]
    fn goaway_keeps_unknown_codes_and_borrows_debug_data() {
        let buf = raw(
            0x7,
            0x0,
            0,
            &[0x80, 0, 0, 9, 0, 0, 0x12, 0x34, b'b', b'y', b'e'],
        );
        let Frame::GoAway(goaway) = parse(&buf) else {
            panic!("expected GOAWAY");
        };
        assert_eq!(goaway.last_stream_id(), id(9));
        assert_eq!(goaway.code(), ErrorCode::new(0x1234));
        assert_eq!(goaway.debug_data(), b"bye");
        assert!(buf.as_ptr_range().contains(&goaway.debug_data().as_ptr()));
    }

    #[test]
    fn graceful_goaway_round_trips() {
        let frame = GoAway::new(StreamId::MAX, ErrorCode::NO_ERROR).with_debug_data(b"drain");
        assert_eq!(parse(&encode(Frame::GoAway(frame))), Frame::GoAway(frame));
    }
}

mod window_update_6_9 {
    use super::*;

    #[test]
    fn window_update_with_wrong_length_is_a_connection_frame_size_error() {
        for stream in [0, 1] {
            for len in [0, 3, 5] {
                let buf = raw(0x8, 0x0, stream, &vec![0; len]);
                assert_connection_error(&buf, ErrorCode::FRAME_SIZE_ERROR);
            }
        }
    }

    #[test]
    fn window_update_with_zero_increment_on_a_stream_is_a_stream_error() {
        assert_stream_error(&raw(0x8, 0x0, 3, &[0; 4]), 3, ErrorCode::PROTOCOL_ERROR);
    }

    #[test]
    fn window_update_with_zero_increment_on_the_connection_is_a_connection_error() {
        assert_connection_error(&raw(0x8, 0x0, 0, &[0; 4]), ErrorCode::PROTOCOL_ERROR);
    }

    #[test]
    fn reserved_bit_of_the_increment_is_ignored() {
        let buf = raw(0x8, 0x0, 1, &[0xff, 0xff, 0xff, 0xff]);
        let Frame::WindowUpdate(update) = parse(&buf) else {
            panic!("expected WINDOW_UPDATE");
        };
        assert_eq!(update.increment(), 0x7fff_ffff);
        // And a zero increment under a set reserved bit is still zero.
        assert_stream_error(
            &raw(0x8, 0x0, 1, &[0x80, 0, 0, 0]),
            1,
            ErrorCode::PROTOCOL_ERROR,
        );
    }
}

mod continuation_6_10 {
    use super::*;

    #[test]
    fn continuation_on_stream_zero_is_a_connection_protocol_error() {
        assert_connection_error(&raw(0x9, 0x4, 0, b"\x82"), ErrorCode::PROTOCOL_ERROR);
    }

    #[test]
    fn lone_continuation_parses_since_sequencing_is_the_connections() {
        let buf = raw(0x9, 0x4, 1, b"\x82");
        let frame = parse(&buf);
        assert_eq!(
            frame,
            Frame::Continuation(Continuation::new(id(1), b"\x82").end_headers())
        );
    }

    /// Splits `out` into frames, checking the split rules on the way.
    fn frames(out: &[u8], max: u32) -> Vec<Frame<'_>> {
        let mut frames = Vec::new();
        let mut rest = out;
        while !rest.is_empty() {
            let (frame, used) = parse_frame(rest, max)
                .expect("valid frame")
                .expect("whole frame");
            frames.push(frame);
            rest = &rest[used..];
        }
        frames
    }

    #[test]
    fn header_block_larger_than_max_frame_size_is_split_into_continuations() {
        let block: Vec<u8> = (0..40_000_u32).map(|i| i as u8).collect();
        let mut out = Vec::new();
        encode_header_block(id(1), &block, true, 16_384, &mut out);
        let frames = frames(&out, 16_384);
        assert_eq!(frames.len(), 3);
        let Frame::Headers(headers) = frames[0] else {
            panic!("HEADERS first");
        };
        assert!(headers.is_end_stream());
        assert!(!headers.is_end_headers());
        assert_eq!(headers.fragment().len(), 16_384);
        let mut reassembled = headers.fragment().to_vec();
        for (i, frame) in frames[1..].iter().enumerate() {
            let Frame::Continuation(continuation) = frame else {
                panic!("CONTINUATION after HEADERS");
            };
            assert_eq!(continuation.stream_id(), id(1));
            assert_eq!(continuation.is_end_headers(), i == 1);
            reassembled.extend_from_slice(continuation.fragment());
        }
        assert_eq!(reassembled, block);
    }

    #[test]
    fn header_block_that_fits_is_one_headers_frame() {
        for len in [0, 1, 16_384] {
            let block = vec![0x82; len];
            let mut out = Vec::new();
            encode_header_block(id(3), &block, false, 16_384, &mut out);
            assert_eq!(
                frames(&out, 16_384),
                [Frame::Headers(Headers::new(id(3), &block).end_headers())]
            );
        }
    }

    #[test]
    fn header_block_split_follows_the_peers_larger_max_frame_size() {
        let block = vec![0x82; 50_000];
        let mut out = Vec::new();
        encode_header_block(id(3), &block, false, 30_000, &mut out);
        assert_eq!(frames(&out, 30_000).len(), 2);
    }
}

mod priority_update_rfc9218_7_1 {
    use super::*;

    #[test]
    fn priority_update_carries_the_stream_and_a_borrowed_field_value() {
        let buf = raw(0x10, 0x0, 0, b"\0\0\0\x05u=0, i");
        let Frame::PriorityUpdate(update) = parse(&buf) else {
            panic!("expected PRIORITY_UPDATE");
        };
        assert_eq!(update.prioritized_stream_id(), id(5));
        assert_eq!(update.field_value(), b"u=0, i");
        assert_eq!(
            update.priority(),
            Some(Priority {
                urgency: 0,
                incremental: true
            })
        );
    }

    #[test]
    fn priority_update_on_a_stream_is_a_connection_protocol_error() {
        assert_connection_error(
            &raw(0x10, 0x0, 1, b"\0\0\0\x01u=1"),
            ErrorCode::PROTOCOL_ERROR,
        );
    }

    #[test]
    fn priority_update_shorter_than_four_octets_is_a_frame_size_error() {
        assert_connection_error(&raw(0x10, 0x0, 0, &[0, 0, 1]), ErrorCode::FRAME_SIZE_ERROR);
    }

    #[test]
    fn priority_update_for_stream_zero_is_a_connection_protocol_error() {
        assert_connection_error(
            &raw(0x10, 0x0, 0, b"\0\0\0\0u=1"),
            ErrorCode::PROTOCOL_ERROR,
        );
    }

    #[test]
    fn unparsable_field_value_is_left_to_the_connection() {
        let buf = raw(0x10, 0x0, 0, b"\0\0\0\x01u=,");
        let Frame::PriorityUpdate(update) = parse(&buf) else {
            panic!("expected PRIORITY_UPDATE");
        };
        assert_eq!(update.priority(), None);
    }

    #[test]
    fn priority_update_round_trips() {
        let frame = PriorityUpdate::new(id(7), b"u=5");
        assert_eq!(
            parse(&encode(Frame::PriorityUpdate(frame))),
            Frame::PriorityUpdate(frame)
        );
    }
}

mod error_codes_7 {
    use super::*;

    #[test]
    fn every_rfc_code_has_its_name() {
        let names = [
            "NO_ERROR",
            "PROTOCOL_ERROR",
            "INTERNAL_ERROR",
            "FLOW_CONTROL_ERROR",
            "SETTINGS_TIMEOUT",
            "STREAM_CLOSED",
            "FRAME_SIZE_ERROR",
            "REFUSED_STREAM",
            "CANCEL",
            "COMPRESSION_ERROR",
            "CONNECT_ERROR",
            "ENHANCE_YOUR_CALM",
            "INADEQUATE_SECURITY",
            "HTTP_1_1_REQUIRED",
        ];
        for (value, name) in names.iter().enumerate() {
            assert_eq!(ErrorCode::new(value as u32).to_string(), *name);
        }
        assert_eq!(ErrorCode::new(0xe).name(), None);
    }

    #[test]
    fn unknown_frame_types_round_trip_untouched() {
        let frame = Unknown::new(FrameType::new(0xee), Flags::new(0x5a), id(0), b"ext");
        let out = encode(Frame::Unknown(frame));
        assert_eq!(out, raw(0xee, 0x5a, 0, b"ext"));
        assert_eq!(parse(&out), Frame::Unknown(frame));
    }
}
