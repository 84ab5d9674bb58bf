//! The HPACK Huffman code (RFC 7541 §5.2, Appendix B): encode, measure, and
//! a table-driven decoder that reads 4 bits per step.
//!
//! The decoder is a state machine in the style of nghttp2: each state is a
//! node of the code tree, and `huffman_table::DECODE`
//! gives, for a state and the next nibble, the state after it, the symbol
//! completed on the way (at most one) and whether the string may end there.
//! Two table lookups per input octet, no bit-by-bit tree walk.
//!
//! This file does not know about string literal headers (the H flag and the
//! length); `string.rs` does.

use super::DecodeError;
use super::huffman_table::{ACCEPT, DECODE, EMIT, ENCODE, FAIL};

/// Appends the Huffman coding of `src` to `dst`, padded with the most
/// significant bits of EOS (all 1s) to an octet boundary.
pub fn encode(src: &[u8], dst: &mut Vec<u8>) {
    dst.reserve(encoded_len(src));
    // Holds fewer than 8 pending bits plus one code of at most 30 bits.
    let mut pending: u64 = 0;
    let mut pending_bits: u32 = 0;
    for &octet in src {
        let (code, len) = ENCODE[usize::from(octet)];
        pending = (pending << len) | u64::from(code);
        pending_bits += u32::from(len);
        while pending_bits >= 8 {
            pending_bits -= 8;
            dst.push((pending >> pending_bits) as u8);
        }
        pending &= (1 << pending_bits) - 1;
    }
    if pending_bits > 0 {
        let padding = 8 - pending_bits;
        dst.push(((pending << padding) as u8) | (0xff >> pending_bits));
    }
}

/// The number of octets [`encode`] would produce for `src`.
pub fn encoded_len(src: &[u8]) -> usize {
    let bits: usize = src
        .iter()
        .map(|&octet| usize::from(ENCODE[usize::from(octet)].1))
        .sum();
    bits.div_ceil(8)
}

/// Appends the decoding of the Huffman-coded `src` to `dst`, failing with
/// [`DecodeError::StringTooLong`] before `dst` grows by more than
/// `max_len` octets.
pub fn decode(src: &[u8], dst: &mut Vec<u8>, max_len: usize) -> Result<(), DecodeError> {
    // Codes are at least 5 bits long, so 8 input bits yield at most 1.6
    // octets; reserve that much, but never more than the limit.
    dst.reserve((src.len().saturating_mul(8) / 5).min(max_len));
    let mut budget = max_len;
    let mut state = 0u8;
    // The empty string is a valid (zero-length) coding.
    let mut may_end = true;
    for &octet in src {
        for nibble in [octet >> 4, octet & 0x0f] {
            // `state` < 256 and `nibble` < 16 by type and mask: both
            // indexes are in bounds of the 256 × 16 table.
            let step = DECODE[usize::from(state)][usize::from(nibble)];
            if step.flags & FAIL != 0 {
                // RFC 7541 §5.2: "A Huffman-encoded string literal
                // containing the EOS symbol MUST be treated as a decoding
                // error."
                return Err(DecodeError::HuffmanEos);
            }
            if step.flags & EMIT != 0 {
                budget = budget
                    .checked_sub(1)
                    .ok_or(DecodeError::StringTooLong { max: max_len })?;
                dst.push(step.symbol);
            }
            state = step.next;
            may_end = step.flags & ACCEPT != 0;
        }
    }
    // RFC 7541 §5.2: "A padding strictly longer than 7 bits MUST be treated
    // as a decoding error. A padding not corresponding to the most
    // significant bits of the code for the EOS symbol MUST be treated as a
    // decoding error."
    if may_end {
        Ok(())
    } else {
        Err(DecodeError::HuffmanPadding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(src: &[u8]) -> Result<Vec<u8>, DecodeError> {
        let mut out = Vec::new();
        decode(src, &mut out, usize::MAX).map(|()| out)
    }

    fn encoded(src: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode(src, &mut out);
        out
    }

    #[test]
    fn rfc_c_4_1_www_example_com_codes_to_twelve_octets() {
        let wire = [
            0xf1, 0xe3, 0xc2, 0xe5, 0xf2, 0x3a, 0x6b, 0xa0, 0xab, 0x90, 0xf4, 0xff,
        ];
        assert_eq!(encoded(b"www.example.com"), wire);
        assert_eq!(encoded_len(b"www.example.com"), wire.len());
        assert_eq!(decoded(&wire).unwrap(), b"www.example.com");
    }

    #[test]
    fn every_octet_round_trips_alone_and_together() {
        let all: Vec<u8> = (0..=255).collect();
        for octet in &all {
            let one = std::slice::from_ref(octet);
            assert_eq!(decoded(&encoded(one)).unwrap(), one);
        }
        assert_eq!(decoded(&encoded(&all)).unwrap(), all);
    }

    #[test]
    fn empty_input_is_the_empty_string() {
        assert_eq!(decoded(&[]).unwrap(), b"");
        assert!(encoded(b"").is_empty());
    }

    #[test]
    fn a_whole_octet_of_padding_is_rejected() {
        // 'a' is 00011 (5 bits) + 3 bits of padding, then 8 more 1s.
        assert_eq!(decoded(&[0x1f]).unwrap(), b"a");
        assert_eq!(decoded(&[0x1f, 0xff]), Err(DecodeError::HuffmanPadding));
    }

    #[test]
    fn padding_with_a_zero_bit_is_rejected() {
        // 'a' then padding 110 instead of 111.
        assert_eq!(decoded(&[0x1e]), Err(DecodeError::HuffmanPadding));
    }

    #[test]
    fn a_string_ending_inside_a_long_code_is_rejected() {
        // The first 8 bits of the 13-bit code for octet 0.
        assert_eq!(decoded(&[0xff]), Err(DecodeError::HuffmanPadding));
    }

    #[test]
    fn the_eos_symbol_inside_a_string_is_rejected() {
        // 30 bits of 1s is EOS; pad to 32 bits.
        assert_eq!(
            decoded(&[0xff, 0xff, 0xff, 0xff]),
            Err(DecodeError::HuffmanEos)
        );
    }

    #[test]
    fn output_stops_at_the_length_limit() {
        let wire = encoded(b"abcdef");
        let mut out = Vec::new();
        assert_eq!(
            decode(&wire, &mut out, 5),
            Err(DecodeError::StringTooLong { max: 5 })
        );
        assert!(out.len() <= 5);
        out.clear();
        assert_eq!(decode(&wire, &mut out, 6), Ok(()));
    }
}
