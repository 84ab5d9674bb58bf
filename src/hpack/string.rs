//! String literals (RFC 7541 §5.2): the H flag, a 7-bit-prefix length, and
//! raw or Huffman-coded octets.
//!
//! Owns the framing and the length limit; the Huffman code itself lives in
//! `huffman.rs`. Strings are appended to a caller's buffer so the decoder
//! can keep a whole header list in one allocation.

use super::{DecodeError, huffman, integer};

/// When the encoder Huffman-codes a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HuffmanMode {
    /// Only when the coding is strictly shorter than the raw octets.
    #[default]
    WhenShorter,
    /// Always (RFC 7541 Appendix C.4 and C.6 do this).
    Always,
    /// Never (RFC 7541 Appendix C.3 and C.5 do this).
    Never,
}

/// Decodes one string literal from the front of `input`, advancing past it,
/// and appends its octets to `out`. A string longer than `max_len` octets
/// (on the wire, or once decoded) fails before `out` grows past the limit.
pub(crate) fn decode(
    input: &mut &[u8],
    max_len: usize,
    out: &mut Vec<u8>,
) -> Result<(), DecodeError> {
    let &first = input.first().ok_or(DecodeError::Truncated)?;
    let huffman_coded = first & 0x80 != 0;
    let len = integer::decode(input, 7)?;
    // Checked before anything is allocated or decoded.
    if len > max_len {
        return Err(DecodeError::StringTooLong { max: max_len });
    }
    let (data, rest) = input.split_at_checked(len).ok_or(DecodeError::Truncated)?;
    *input = rest;
    if huffman_coded {
        huffman::decode(data, out, max_len)
    } else {
        out.extend_from_slice(data);
        Ok(())
    }
}

/// Appends `value` as a string literal, Huffman-coded as `mode` says.
pub(crate) fn encode(value: &[u8], mode: HuffmanMode, out: &mut Vec<u8>) {
    let huffman_len = match mode {
        HuffmanMode::Never => None,
        HuffmanMode::Always => Some(huffman::encoded_len(value)),
        HuffmanMode::WhenShorter => {
            Some(huffman::encoded_len(value)).filter(|&len| len < value.len())
        }
    };
    match huffman_len {
        Some(len) => {
            integer::encode(len, 7, 0x80, out);
            huffman::encode(value, out);
        }
        None => {
            integer::encode(value.len(), 7, 0x00, out);
            out.extend_from_slice(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(wire: &[u8], max_len: usize) -> Result<(Vec<u8>, usize), DecodeError> {
        let mut input = wire;
        let mut out = Vec::new();
        decode(&mut input, max_len, &mut out)?;
        Ok((out, wire.len() - input.len()))
    }

    #[test]
    fn raw_and_huffman_forms_decode_to_the_same_text() {
        let mut raw = Vec::new();
        encode(b"custom-key", HuffmanMode::Never, &mut raw);
        assert_eq!(raw[0], 10);
        let mut coded = Vec::new();
        encode(b"custom-key", HuffmanMode::Always, &mut coded);
        assert_eq!(coded[0] & 0x80, 0x80);
        for wire in [raw, coded] {
            assert_eq!(
                decoded(&wire, 100).unwrap(),
                (b"custom-key".to_vec(), wire.len())
            );
        }
    }

    #[test]
    fn huffman_is_used_only_when_it_saves_octets() {
        let mut out = Vec::new();
        encode(b"www.example.com", HuffmanMode::WhenShorter, &mut out);
        assert_eq!(out.len(), 1 + 12);
        out.clear();
        // Octet 0 has a 13-bit code: Huffman would double the length.
        encode(&[0], HuffmanMode::WhenShorter, &mut out);
        assert_eq!(out, [0x01, 0x00]);
    }

    #[test]
    fn an_announced_length_over_the_limit_fails_before_reading_data() {
        // Claims 1 MiB, carries nothing.
        let mut wire = Vec::new();
        integer::encode(1 << 20, 7, 0, &mut wire);
        assert_eq!(
            decoded(&wire, 4096),
            Err(DecodeError::StringTooLong { max: 4096 })
        );
    }

    #[test]
    fn a_length_past_the_end_of_the_block_is_truncated() {
        assert_eq!(
            decoded(&[0x05, b'a', b'b'], 100),
            Err(DecodeError::Truncated)
        );
    }

    #[test]
    fn a_huffman_string_that_grows_past_the_limit_fails() {
        let mut wire = Vec::new();
        encode(b"aaaaaaaa", HuffmanMode::Always, &mut wire);
        // 8 octets decode from 5 on the wire: the wire length passes a
        // limit of 6, the decoded length does not.
        assert_eq!(
            decoded(&wire, 6),
            Err(DecodeError::StringTooLong { max: 6 })
        );
    }
}
