//! HTTP/1.1 `Upgrade: h2c` (RFC 7540 §3.2, deprecated by RFC 9113 §3.1
//! but still sent by curl and others over cleartext): the HTTP2-Settings
//! field and a connection that starts with the upgraded request as
//! stream 1.

use std::time::Instant;

use super::{Config, Connection};
use crate::h2::error::Error;
use crate::h2::frame::{Flags, Frame, FrameHeader, FrameType, StreamId, parse_frame};

/// Decode and check an `HTTP2-Settings` value: base64url without padding
/// (RFC 4648 §5) of a SETTINGS payload whose values are valid. Returns the
/// payload, or `None`: then the server "MUST NOT upgrade" (RFC 7540
/// §3.2.1) and answers the request over HTTP/1.1.
pub fn parse_http2_settings(value: &[u8]) -> Option<Vec<u8>> {
    let payload = base64url_decode(value)?;
    let mut frame = Vec::with_capacity(9 + payload.len());
    FrameHeader::new(
        FrameType::SETTINGS,
        Flags::EMPTY,
        StreamId::CONNECTION,
        payload.len(),
    )
    .encode(&mut frame);
    frame.extend_from_slice(&payload);
    match parse_frame(&frame, 1 << 24) {
        Ok(Some((Frame::Settings(_), _))) => Some(payload),
        _ => None,
    }
}

fn base64url_decode(text: &[u8]) -> Option<Vec<u8>> {
    let text = text
        .strip_suffix(b"==")
        .or_else(|| text.strip_suffix(b"="))
        .unwrap_or(text);
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &c in text {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // Leftover bits must be padding zeros, and a lone 6-bit group is not
    // a whole octet.
    if bits >= 6 || acc != 0 {
        return None;
    }
    Some(out)
}

impl Connection {
    /// A connection upgraded from HTTP/1.1 (after our 101): `settings` is
    /// the checked HTTP2-Settings payload, applied as the client's
    /// SETTINGS ("a 101 response serves as implicit acknowledgement",
    /// RFC 7540 §3.2.1). The upgraded request is stream 1, "half-closed"
    /// from the client, whose response the application sends with
    /// [`Connection::send_headers`] on stream 1. The client's preface
    /// is still expected.
    pub fn new_upgraded(config: Config, now: Instant, settings: &[u8]) -> Result<Self, Error> {
        let mut conn = Self::new(config, now);
        let mut frame = Vec::with_capacity(9 + settings.len());
        FrameHeader::new(
            FrameType::SETTINGS,
            Flags::EMPTY,
            StreamId::CONNECTION,
            settings.len(),
        )
        .encode(&mut frame);
        frame.extend_from_slice(settings);
        if let Some((Frame::Settings(s), _)) = parse_frame(&frame, 1 << 24)? {
            conn.peer.apply(&s);
            conn.encoder
                .set_peer_max_table_size(conn.peer.header_table_size as usize);
        }
        conn.last_client_stream = 1;
        let send = conn.new_send_half();
        conn.streams
            .insert(1, super::State::HalfClosedRemote { send });
        conn.sched.open(1);
        Ok(conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_decodes_without_padding() {
        assert_eq!(
            base64url_decode(b"AAMAAABkAARAAAAAAAIAAAAA").map(|v| v.len()),
            Some(18)
        );
        assert_eq!(base64url_decode(b"aGk"), Some(b"hi".to_vec()));
        assert_eq!(base64url_decode(b"aGk="), Some(b"hi".to_vec()));
        assert_eq!(base64url_decode(b"a"), None, "a lone 6-bit group");
        assert_eq!(base64url_decode(b"aG+"), None, "+ is not base64url");
    }

    #[test]
    fn curl_s_http2_settings_value_is_accepted() {
        // What curl 7.88 sends: MAX_CONCURRENT_STREAMS 100,
        // INITIAL_WINDOW_SIZE 1 GiB, ENABLE_PUSH 0.
        let payload = parse_http2_settings(b"AAMAAABkAAQCAAAAAAIAAAAA").unwrap();
        assert_eq!(payload.len(), 18);
    }

    #[test]
    fn invalid_settings_values_refuse_the_upgrade() {
        // ENABLE_PUSH = 2 is a PROTOCOL_ERROR.
        assert_eq!(parse_http2_settings(b"AAIAAAAC"), None);
        // Not a multiple of 6 octets.
        assert_eq!(parse_http2_settings(b"AAIAAA"), None);
    }
}
