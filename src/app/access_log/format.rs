//! The two line formats, `combined` and `json`, written into the caller's
//! buffer without allocating (the buffer's capacity is reused).
//!
//! `combined` is the Apache/nginx combined format, exactly, so that log
//! tools read it unchanged:
//!
//! ```text
//! 192.0.2.1 - - [10/Oct/2000:13:55:36 +0000] "GET /x HTTP/1.1" 200 2326 "http://a/" "curl/8.5.0"
//! ```
//!
//! The time is UTC. Inside the quotes, nginx's escaping: `"`, `\`, bytes
//! below 0x20 and from 0x7F up are written `\xHH` (upper-case hex), so a
//! field cannot end its quotes or the line, nor carry terminal escapes,
//! and every byte received can be recovered. In the request line a space
//! is written `\x20` too, so that method, target and protocol stay three
//! words. An absent (or empty) referer or user agent is `"-"`; a request
//! whose method is unknown (refused early) has the request line `"-"`.
//! Nothing is appended: the duration, pid, HTTP/2 stream and host are in
//! `json`.
//!
//! `json` is one object per line, keys always present and in this order:
//!
//! ```text
//! {"time":"2000-10-10T13:55:36.123Z","remote":"192.0.2.1","host":"a","method":"GET",
//!  "target":"/x","protocol":"HTTP/2.0","status":200,"bytes":2326,"duration_ms":1.234,
//!  "stream":3,"pid":4242,"referer":null,"user_agent":"curl/8.5.0"}
//! ```
//!
//! `time` is RFC 3339 UTC with milliseconds; `duration_ms` has microsecond
//! precision; absent fields are `null`. Strings are escaped as JSON
//! requires (`"`, `\`, control characters, C1 controls included, as
//! `\n`-style or `\u00XX` escapes), so the output is one valid UTF-8 line.
//! Bytes that are not UTF-8 become `\ufffd`, one per maximal invalid
//! sequence (as `String::from_utf8_lossy` does): a JSON string holds
//! characters, not bytes. Who needs the exact bytes uses `combined`.

use std::io::Write;
use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use super::entry::{Entry, Remote};
use crate::config::AccessLogFormat;

/// Upper-case hex digits, as nginx writes its `\xHH` escapes.
const HEX: &[u8; 16] = b"0123456789ABCDEF";
/// Lower-case hex digits, as JSON encoders usually write `\u00XX`.
const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// Writes entries in one format for one worker.
#[derive(Debug)]
pub(super) struct Formatter {
    format: AccessLogFormat,
    /// The worker's pid, for `json`.
    pid: u32,
    clock: Clock,
}

impl Formatter {
    pub(super) fn new(format: AccessLogFormat, pid: u32) -> Formatter {
        Formatter {
            format,
            pid,
            clock: Clock::new(),
        }
    }

    /// Appends `entry` to `out` as one line, newline included.
    pub(super) fn write(&mut self, entry: &Entry<'_>, out: &mut Vec<u8>) {
        let (second, millis) = unix_time(entry.time);
        self.clock.set(second);
        match self.format {
            AccessLogFormat::Combined => combined(entry, &self.clock, out),
            AccessLogFormat::Json => json(entry, &self.clock, millis, self.pid, out),
        }
    }
}

fn combined(entry: &Entry<'_>, clock: &Clock, out: &mut Vec<u8>) {
    push_remote(entry.remote, out);
    out.extend_from_slice(b" - - [");
    out.extend_from_slice(&clock.combined);
    out.extend_from_slice(b"] \"");
    if entry.method.is_empty() {
        out.push(b'-');
    } else {
        push_escaped(entry.method, true, out);
        out.push(b' ');
        push_escaped(entry.target, true, out);
        out.push(b' ');
        out.extend_from_slice(entry.protocol.as_str().as_bytes());
    }
    out.extend_from_slice(b"\" ");
    push_number(u64::from(entry.status), out);
    out.push(b' ');
    push_number(entry.bytes, out);
    out.extend_from_slice(b" \"");
    push_escaped_or_dash(entry.referer, out);
    out.extend_from_slice(b"\" \"");
    push_escaped_or_dash(entry.user_agent, out);
    out.extend_from_slice(b"\"\n");
}

fn json(entry: &Entry<'_>, clock: &Clock, millis: u32, pid: u32, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"time\":\"");
    out.extend_from_slice(&clock.rfc3339);
    out.push(b'.');
    push_three(millis, out);
    out.extend_from_slice(b"Z\",\"remote\":\"");
    push_remote(entry.remote, out);
    out.extend_from_slice(b"\",\"host\":");
    push_json_or_null(entry.host, out);
    out.extend_from_slice(b",\"method\":");
    push_json_string(entry.method, out);
    out.extend_from_slice(b",\"target\":");
    push_json_string(entry.target, out);
    out.extend_from_slice(b",\"protocol\":\"");
    out.extend_from_slice(entry.protocol.as_str().as_bytes());
    out.extend_from_slice(b"\",\"status\":");
    push_number(u64::from(entry.status), out);
    out.extend_from_slice(b",\"bytes\":");
    push_number(entry.bytes, out);
    out.extend_from_slice(b",\"duration_ms\":");
    let micros = u64::try_from(entry.duration.as_micros()).unwrap_or(u64::MAX);
    push_number(micros / 1000, out);
    out.push(b'.');
    // `% 1000` fits in u32.
    push_three((micros % 1000) as u32, out);
    out.extend_from_slice(b",\"stream\":");
    match entry.stream {
        Some(id) => push_number(u64::from(id), out),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"pid\":");
    push_number(u64::from(pid), out);
    out.extend_from_slice(b",\"referer\":");
    push_json_or_null(entry.referer, out);
    out.extend_from_slice(b",\"user_agent\":");
    push_json_or_null(entry.user_agent, out);
    out.extend_from_slice(b"}\n");
}

fn push_remote(remote: Remote, out: &mut Vec<u8>) {
    match remote {
        Remote::Ip(ip) => match ip.to_canonical() {
            IpAddr::V4(v4) => {
                let [a, b, c, d] = v4.octets();
                push_number(u64::from(a), out);
                for octet in [b, c, d] {
                    out.push(b'.');
                    push_number(u64::from(octet), out);
                }
            }
            // `Vec`'s `io::Write` cannot fail.
            IpAddr::V6(v6) => drop(write!(out, "{v6}")),
        },
        Remote::Unix => out.extend_from_slice(b"unix:"),
    }
}

/// `value` in decimal (cheaper than `write!`, which shows per request).
fn push_number(mut value: u64, out: &mut Vec<u8>) {
    // u64::MAX has 20 digits.
    let mut text = [0u8; 20];
    let mut start = text.len();
    for d in text.iter_mut().rev() {
        *d = b'0' + (value % 10) as u8;
        value /= 10;
        start -= 1;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(text.get(start..).unwrap_or_default());
}

/// Whether `b` is escaped: below 0x20, from 0x7F up, `"` or `\\` (and
/// ` ` with `space`). The same bytes for both formats: in `json` a byte
/// from 0x80 up starts a character that is looked at whole.
fn is_special(b: u8, space: bool) -> bool {
    !(0x20..0x7F).contains(&b) || b == b'"' || b == b'\\' || (space && b == b' ')
}

/// The index of the first byte [`is_special`], looked for eight bytes at
/// a time (SWAR: most fields have none, and this scan is most of a
/// line's cost).
fn first_special(bytes: &[u8], space: bool) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Whether some byte of `w` is zero; or below `n` (n at most 0x80).
    let has_zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGH != 0;
    let has_below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGH != 0;
    let has = |w: u64, b: u8| has_zero(w ^ (ONES * u64::from(b)));
    let mut clean = 0;
    for chunk in bytes.chunks_exact(8) {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let w = u64::from_le_bytes(word);
        if has_below(w, 0x20)
            || w & HIGH != 0
            || has(w, 0x7F)
            || has(w, b'"')
            || has(w, b'\\')
            || (space && has(w, b' '))
        {
            break;
        }
        clean += 8;
    }
    let i = bytes
        .get(clean..)?
        .iter()
        .position(|&b| is_special(b, space))?;
    Some(clean + i)
}

/// `value` (below 1000) as three digits, zero-padded.
fn push_three(value: u32, out: &mut Vec<u8>) {
    let mut text = [0u8; 3];
    digits(u64::from(value), &mut text);
    out.extend_from_slice(&text);
}

fn push_escaped_or_dash(value: Option<&[u8]>, out: &mut Vec<u8>) {
    match value {
        Some(v) if !v.is_empty() => push_escaped(v, false, out),
        _ => out.push(b'-'),
    }
}

/// `bytes` with nginx's `\xHH` escapes (and spaces too, with `space`).
fn push_escaped(bytes: &[u8], space: bool, out: &mut Vec<u8>) {
    let mut rest = bytes;
    while let Some(i) = first_special(rest, space) {
        // `i` is in range: `first_special` found it there.
        let (clean, tail) = rest.split_at_checked(i).unwrap_or((&[], rest));
        out.extend_from_slice(clean);
        let Some((&b, after)) = tail.split_first() else {
            break;
        };
        out.extend_from_slice(&[
            b'\\',
            b'x',
            HEX[usize::from(b >> 4)],
            HEX[usize::from(b & 0xF)],
        ]);
        rest = after;
    }
    out.extend_from_slice(rest);
}

fn push_json_or_null(value: Option<&[u8]>, out: &mut Vec<u8>) {
    match value {
        Some(v) => push_json_string(v, out),
        None => out.extend_from_slice(b"null"),
    }
}

/// `bytes` as a quoted JSON string; see the module doc for invalid UTF-8.
fn push_json_string(bytes: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    // The usual field is printable ASCII: nothing to check or escape.
    if first_special(bytes, false).is_none() {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    // `from_utf8` is much faster than `utf8_chunks` on valid input.
    match std::str::from_utf8(bytes) {
        Ok(s) => push_json_str(s, out),
        Err(_) => {
            for chunk in bytes.utf8_chunks() {
                push_json_str(chunk.valid(), out);
                if !chunk.invalid().is_empty() {
                    out.extend_from_slice(b"\\ufffd");
                }
            }
        }
    }
    out.push(b'"');
}

/// The characters of `s`, escaped for a JSON string. Plain ASCII is
/// copied in runs; anything else is looked at a character at a time.
fn push_json_str(s: &str, out: &mut Vec<u8>) {
    let mut rest = s;
    while let Some(i) = first_special(rest.as_bytes(), false) {
        // Every byte before `i` is ASCII, so `i` is a character boundary;
        // if it were not, the loop below would still escape correctly.
        let (clean, tail) = rest.split_at_checked(i).unwrap_or(("", rest));
        out.extend_from_slice(clean.as_bytes());
        let mut chars = tail.chars();
        let Some(c) = chars.next() else {
            break;
        };
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            // C0, DEL and C1 (U+0080 to U+009F): all below U+0100.
            c if c.is_control() => {
                let code = u32::from(c) as usize;
                out.extend_from_slice(b"\\u00");
                out.push(HEX_LOWER[code >> 4 & 0xF]);
                out.push(HEX_LOWER[code & 0xF]);
            }
            c => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
        rest = chars.as_str();
    }
    out.extend_from_slice(rest.as_bytes());
}

/// Whole seconds since the epoch (clamped to years 1970 through 9999, as
/// both formats have four-digit years) and the milliseconds past them.
fn unix_time(time: SystemTime) -> (u64, u32) {
    /// 9999-12-31T23:59:59Z
    const LAST: u64 = 253_402_300_799;
    match time.duration_since(UNIX_EPOCH) {
        Ok(since) if since.as_secs() <= LAST => (since.as_secs(), since.subsec_millis()),
        Ok(_) => (LAST, 999),
        Err(_) => (0, 0),
    }
}

/// The time of the last second seen, in both formats: a busy worker
/// formats the date once a second, not once a request.
#[derive(Debug)]
struct Clock {
    second: u64,
    /// `10/Oct/2000:13:55:36 +0000`
    combined: [u8; 26],
    /// `2000-10-10T13:55:36` (the milliseconds and `Z` are per entry).
    rfc3339: [u8; 19],
}

impl Clock {
    fn new() -> Clock {
        Clock {
            second: 0,
            combined: *b"01/Jan/1970:00:00:00 +0000",
            rfc3339: *b"1970-01-01T00:00:00",
        }
    }

    /// Reformats both times when `second` (at most year 9999) differs.
    fn set(&mut self, second: u64) {
        const MONTHS: [&[u8; 3]; 12] = [
            b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
            b"Dec",
        ];
        if second == self.second {
            return;
        }
        self.second = second;
        let (year, month, day) = crate::h1::civil_from_days(second / 86_400);
        let in_day = second % 86_400;
        let (hour, minute, sec) = (in_day / 3600, in_day / 60 % 60, in_day % 60);
        // Years are at most 9999 (see `unix_time`); months 1 to 12, so
        // `month - 1` indexes MONTHS.
        let mut text = [0u8; 4];
        digits(year, &mut text);
        let [y0, y1, y2, y3] = text;
        let [d0, d1] = two(day);
        let [h0, h1] = two(hour);
        let [i0, i1] = two(minute);
        let [s0, s1] = two(sec);
        let [n0, n1] = two(month);
        let [m0, m1, m2] = **MONTHS
            .get((month as usize).saturating_sub(1))
            .unwrap_or(&b"Jan");
        self.combined = [
            d0, d1, b'/', m0, m1, m2, b'/', y0, y1, y2, y3, b':', h0, h1, b':', i0, i1, b':', s0,
            s1, b' ', b'+', b'0', b'0', b'0', b'0',
        ];
        self.rfc3339 = [
            y0, y1, y2, y3, b'-', n0, n1, b'-', d0, d1, b'T', h0, h1, b':', i0, i1, b':', s0, s1,
        ];
    }
}

/// The last `out.len()` decimal digits of `value`.
fn digits(mut value: u64, out: &mut [u8]) {
    for d in out.iter_mut().rev() {
        *d = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

fn two(value: u64) -> [u8; 2] {
    let mut out = [0u8; 2];
    digits(value, &mut out);
    out
}

#[cfg(test)]
mod tests;
