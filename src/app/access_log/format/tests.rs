//! Golden lines for both formats, and hostile bytes: whatever a client
//! sends, one entry is one line, `combined` keeps every byte recoverable
//! and `json` stays valid JSON.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::super::entry::{Entry, Protocol, Remote};
use super::{Formatter, first_special, is_special};
use crate::config::AccessLogFormat;

/// 2000-10-10T13:55:36.123Z
fn october_2000() -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(971_186_136_123)
}

fn entry() -> Entry<'static> {
    Entry {
        time: october_2000(),
        remote: Remote::Ip(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))),
        method: b"GET",
        target: b"/apache_pb.gif?a=1",
        protocol: Protocol::Http11,
        status: 200,
        bytes: 2326,
        duration: Duration::from_micros(1234),
        stream: None,
        host: Some(b"example.com"),
        referer: Some(b"http://www.example.com/start.html"),
        user_agent: Some(b"Mozilla/4.08 [en] (Win98; I ;Nav)"),
    }
}

fn line(format: AccessLogFormat, entry: &Entry<'_>) -> String {
    let mut out = Vec::new();
    Formatter::new(format, 4242).write(entry, &mut out);
    String::from_utf8(out).expect("both formats write UTF-8")
}

fn combined(entry: &Entry<'_>) -> String {
    line(AccessLogFormat::Combined, entry)
}

fn json(entry: &Entry<'_>) -> String {
    line(AccessLogFormat::Json, entry)
}

fn parsed(line: &str) -> serde_json::Value {
    assert!(line.ends_with('\n'), "{line:?}");
    assert_eq!(line.matches('\n').count(), 1, "{line:?}");
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?}"))
}

#[test]
fn combined_is_exactly_apaches_combined_format() {
    assert_eq!(
        combined(&entry()),
        "192.0.2.1 - - [10/Oct/2000:13:55:36 +0000] \"GET /apache_pb.gif?a=1 HTTP/1.1\" \
         200 2326 \"http://www.example.com/start.html\" \"Mozilla/4.08 [en] (Win98; I ;Nav)\"\n"
    );
}

#[test]
fn combined_names_http2_as_nginx_does_and_dashes_absent_fields() {
    let e = Entry {
        protocol: Protocol::Http2,
        stream: Some(3),
        referer: None,
        user_agent: Some(b""),
        bytes: 0,
        status: 304,
        ..entry()
    };
    assert_eq!(
        combined(&e),
        "192.0.2.1 - - [10/Oct/2000:13:55:36 +0000] \"GET /apache_pb.gif?a=1 HTTP/2.0\" \
         304 0 \"-\" \"-\"\n"
    );
}

#[test]
fn combined_request_line_is_a_dash_when_the_method_is_unknown() {
    let e = Entry {
        method: b"",
        target: b"",
        status: 400,
        ..entry()
    };
    assert!(
        combined(&e).contains("] \"-\" 400 2326 "),
        "{}",
        combined(&e)
    );
}

#[test]
fn json_has_every_field_in_a_fixed_order() {
    let e = Entry {
        protocol: Protocol::Http2,
        stream: Some(3),
        referer: None,
        ..entry()
    };
    assert_eq!(
        json(&e),
        "{\"time\":\"2000-10-10T13:55:36.123Z\",\"remote\":\"192.0.2.1\",\
         \"host\":\"example.com\",\"method\":\"GET\",\"target\":\"/apache_pb.gif?a=1\",\
         \"protocol\":\"HTTP/2.0\",\"status\":200,\"bytes\":2326,\"duration_ms\":1.234,\
         \"stream\":3,\"pid\":4242,\"referer\":null,\
         \"user_agent\":\"Mozilla/4.08 [en] (Win98; I ;Nav)\"}\n"
    );
}

#[test]
fn json_absent_fields_are_null_and_http1_has_no_stream() {
    let e = Entry {
        host: None,
        user_agent: None,
        referer: Some(b""),
        ..entry()
    };
    let v = parsed(&json(&e));
    assert_eq!(v["host"], serde_json::Value::Null);
    assert_eq!(v["user_agent"], serde_json::Value::Null);
    assert_eq!(v["referer"], "");
    assert_eq!(v["stream"], serde_json::Value::Null);
    assert_eq!(v["protocol"], "HTTP/1.1");
}

#[test]
fn json_duration_keeps_microseconds_and_long_ones_whole() {
    for (duration, expected) in [
        (Duration::ZERO, 0.0),
        (Duration::from_nanos(999), 0.0),
        (Duration::from_micros(7), 0.007),
        (Duration::from_micros(1_000_001), 1000.001),
        (Duration::from_secs(86_400), 86_400_000.0),
    ] {
        let v = parsed(&json(&Entry {
            duration,
            ..entry()
        }));
        assert_eq!(v["duration_ms"].as_f64(), Some(expected), "{duration:?}");
    }
}

#[test]
fn remotes_ipv6_mapped_ipv4_and_unix() {
    let v6 = Remote::Ip(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)));
    let mapped = Remote::Ip(IpAddr::V6(Ipv4Addr::new(198, 51, 100, 7).to_ipv6_mapped()));
    for (remote, expected) in [
        (v6, "2001:db8::1"),
        (mapped, "198.51.100.7"),
        (Remote::Unix, "unix:"),
    ] {
        let e = Entry { remote, ..entry() };
        assert!(combined(&e).starts_with(&format!("{expected} - - [")));
        assert_eq!(parsed(&json(&e))["remote"], expected);
    }
}

#[test]
fn times_are_utc_and_clamped_to_four_digit_years() {
    let cases = [
        (
            UNIX_EPOCH - Duration::from_secs(5),
            "01/Jan/1970:00:00:00 +0000",
            "1970-01-01T00:00:00.000Z",
        ),
        (
            UNIX_EPOCH + Duration::from_secs(951_782_400),
            "29/Feb/2000:00:00:00 +0000",
            "2000-02-29T00:00:00.000Z",
        ),
        (
            UNIX_EPOCH + Duration::from_secs(u64::MAX / 4),
            "31/Dec/9999:23:59:59 +0000",
            "9999-12-31T23:59:59.999Z",
        ),
    ];
    for (time, clf, rfc3339) in cases {
        let e = Entry { time, ..entry() };
        assert!(
            combined(&e).contains(&format!("[{clf}]")),
            "{}",
            combined(&e)
        );
        assert_eq!(parsed(&json(&e))["time"], rfc3339);
    }
}

#[test]
fn the_cached_second_changes_with_the_entries_time() {
    let mut formatter = Formatter::new(AccessLogFormat::Combined, 1);
    let mut out = Vec::new();
    for offset in [0, 1, 0, 3600] {
        let time = october_2000() + Duration::from_secs(offset);
        formatter.write(&Entry { time, ..entry() }, &mut out);
    }
    let text = String::from_utf8(out).unwrap();
    let times: Vec<&str> = text
        .lines()
        .map(|l| l.split(['[', ']']).nth(1).unwrap())
        .collect();
    assert_eq!(
        times,
        [
            "10/Oct/2000:13:55:36 +0000",
            "10/Oct/2000:13:55:37 +0000",
            "10/Oct/2000:13:55:36 +0000",
            "10/Oct/2000:14:55:36 +0000"
        ]
    );
}

/// A user agent built to break a log: quotes, backslashes, a newline with
/// a forged second entry, NUL, DEL, an ANSI escape, a C1 CSI, valid
/// non-ASCII text and invalid UTF-8.
const HOSTILE: &[u8] =
    b"a\"b\\c\r\n127.0.0.1 - - [x] \"GET / HTTP/1.1\" 200 0\x00\x7f\x1b[31m\xc2\x9b caf\xc3\xa9 \xff\xfe\xc3";

#[test]
fn combined_escapes_hostile_bytes_nginx_style() {
    let e = Entry {
        user_agent: Some(HOSTILE),
        referer: Some(b"\x01\x1f\x20\x7e\x80"),
        ..entry()
    };
    let line = combined(&e);
    assert_eq!(line.matches('\n').count(), 1, "{line:?}");
    assert!(
        line.ends_with(
            " \"\\x01\\x1F ~\\x80\" \"a\\x22b\\x5Cc\\x0D\\x0A127.0.0.1 - - [x] \\x22GET / \
             HTTP/1.1\\x22 200 0\\x00\\x7F\\x1B[31m\\xC2\\x9B caf\\xC3\\xA9 \\xFF\\xFE\\xC3\"\n"
        ),
        "{line}"
    );
}

#[test]
fn combined_request_line_keeps_three_words() {
    let e = Entry {
        method: b"GET /x",
        target: b"/a b\"c",
        ..entry()
    };
    assert!(
        combined(&e).contains("\"GET\\x20/x /a\\x20b\\x22c HTTP/1.1\""),
        "{}",
        combined(&e)
    );
}

#[test]
fn json_escapes_hostile_bytes_and_replaces_invalid_utf8() {
    let e = Entry {
        user_agent: Some(HOSTILE),
        method: b"G\xffT",
        target: b"/\t\x08\x0c\xe2\x80\xa8",
        ..entry()
    };
    let line = json(&e);
    let v = parsed(&line);
    assert_eq!(
        v["user_agent"],
        "a\"b\\c\r\n127.0.0.1 - - [x] \"GET / HTTP/1.1\" 200 0\u{0}\u{7f}\u{1b}[31m\u{9b} café \
         \u{fffd}\u{fffd}\u{fffd}"
    );
    assert_eq!(v["method"], "G\u{fffd}T");
    assert_eq!(v["target"], "/\t\u{8}\u{c}\u{2028}");
    // Escapes as written: short forms where JSON has them, lower-case
    // \u00XX for the other controls, the replacement character escaped.
    assert!(
        line.contains(
            "\"user_agent\":\"a\\\"b\\\\c\\r\\n127.0.0.1 - - [x] \\\"GET / HTTP/1.1\\\" 200 \
             0\\u0000\\u007f\\u001b[31m\\u009b café \\ufffd\\ufffd\\ufffd\"}"
        ),
        "{line}"
    );
}

#[test]
fn every_single_byte_value_stays_on_one_line_in_both_formats() {
    for b in 0..=255u8 {
        let value = [b'<', b, b'>'];
        let e = Entry {
            method: &value,
            target: &value,
            host: Some(&value),
            referer: Some(&value),
            user_agent: Some(&value),
            ..entry()
        };
        let c = combined(&e);
        assert_eq!(c.matches('\n').count(), 1, "{b:#x}: {c:?}");
        assert!(c.bytes().all(|b| (0x20..0x7f).contains(&b) || b == b'\n'));
        parsed(&json(&e));
    }
}

#[test]
fn the_eight_byte_scan_finds_exactly_what_the_byte_scan_finds() {
    for space in [false, true] {
        for b in 0..=255u8 {
            for at in 0..20 {
                let mut field = *b"abcdefghijklmnopqrst";
                field[at] = b;
                let expected = field.iter().position(|&c| is_special(c, space));
                assert_eq!(first_special(&field, space), expected, "{b:#x} at {at}");
                // A special byte later on does not hide this one.
                field[19] = b'"';
                let expected = field.iter().position(|&c| is_special(c, space));
                assert_eq!(first_special(&field, space), expected, "{b:#x} at {at}");
            }
        }
    }
    assert_eq!(first_special(b"", false), None);
}
