//! Prefix-coded integers (RFC 7541 §5.1): decode with overflow and length
//! limits, and encode.
//!
//! Owns the integer wire format only. What an integer means (an index, a
//! string length, a table size) is the caller's business, and so are the
//! per-use limits beyond the global cap below.

use super::DecodeError;

/// The largest integer the decoder accepts. Every HPACK integer is an
/// index, a string length or a table size, and none of those can sensibly
/// exceed a SETTINGS value (32 bits).
pub(crate) const MAX_INTEGER: usize = u32::MAX as usize;

/// The most continuation octets accepted after the prefix: 5 × 7 = 35 bits
/// are enough for [`MAX_INTEGER`] plus any prefix.
const MAX_CONTINUATION_OCTETS: u32 = 5;

/// Decodes an integer with a `prefix_bits`-bit prefix (1..=7) from the
/// front of `input`, advancing `input` past it. The bits above the prefix
/// in the first octet are ignored (they are the representation's pattern).
pub(crate) fn decode(input: &mut &[u8], prefix_bits: u8) -> Result<usize, DecodeError> {
    debug_assert!((1..=7).contains(&prefix_bits));
    let mask = (1u8 << prefix_bits) - 1;
    let (&first, mut rest) = input.split_first().ok_or(DecodeError::Truncated)?;
    let mut value = u64::from(first & mask);
    if value < u64::from(mask) {
        *input = rest;
        return Ok(value as usize);
    }
    for octet_number in 0..MAX_CONTINUATION_OCTETS {
        let (&octet, tail) = rest.split_first().ok_or(DecodeError::Truncated)?;
        rest = tail;
        // At most 5 octets of 7 bits: the shift stays below 35 and the sum
        // below 2^36, far inside u64.
        value += u64::from(octet & 0x7f) << (7 * octet_number);
        if octet & 0x80 == 0 {
            // RFC 7541 §5.1: "Integer encodings that exceed implementation
            // limits -- in value or octet length -- MUST be treated as
            // decoding errors."
            return match usize::try_from(value) {
                Ok(v) if v <= MAX_INTEGER => {
                    *input = rest;
                    Ok(v)
                }
                _ => Err(DecodeError::IntegerOverflow),
            };
        }
    }
    Err(DecodeError::IntegerOverflow)
}

/// Appends `value` with a `prefix_bits`-bit prefix (1..=7); `pattern` holds
/// the representation's bits above the prefix in the first octet.
pub(crate) fn encode(value: usize, prefix_bits: u8, pattern: u8, out: &mut Vec<u8>) {
    debug_assert!((1..=7).contains(&prefix_bits));
    let max_prefix = (1usize << prefix_bits) - 1;
    if value < max_prefix {
        out.push(pattern | value as u8);
        return;
    }
    out.push(pattern | max_prefix as u8);
    let mut rest = value - max_prefix;
    while rest >= 0x80 {
        out.push(0x80 | (rest & 0x7f) as u8);
        rest >>= 7;
    }
    out.push(rest as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(bytes: &[u8], prefix_bits: u8) -> Result<(usize, usize), DecodeError> {
        let mut input = bytes;
        let value = decode(&mut input, prefix_bits)?;
        Ok((value, bytes.len() - input.len()))
    }

    fn encoded(value: usize, prefix_bits: u8) -> Vec<u8> {
        let mut out = Vec::new();
        encode(value, prefix_bits, 0, &mut out);
        out
    }

    #[test]
    fn rfc_c_1_1_ten_fits_in_a_five_bit_prefix() {
        assert_eq!(encoded(10, 5), [0x0a]);
        assert_eq!(decoded(&[0xea], 5), Ok((10, 1)));
    }

    #[test]
    fn rfc_c_1_2_1337_spills_into_two_continuation_octets() {
        assert_eq!(encoded(1337, 5), [0x1f, 0x9a, 0x0a]);
        assert_eq!(decoded(&[0x1f, 0x9a, 0x0a], 5), Ok((1337, 3)));
    }

    #[test]
    fn rfc_c_1_3_forty_two_at_an_octet_boundary() {
        // With an 8-bit prefix in the RFC; our largest prefix is 7 bits,
        // so check the 7-bit neighbour of the same idea instead.
        assert_eq!(encoded(42, 7), [42]);
        assert_eq!(decoded(&[42], 7), Ok((42, 1)));
    }

    #[test]
    fn prefix_filled_exactly_needs_a_zero_continuation_octet() {
        assert_eq!(encoded(31, 5), [0x1f, 0x00]);
        assert_eq!(decoded(&[0x1f, 0x00], 5), Ok((31, 2)));
    }

    #[test]
    fn the_largest_accepted_value_round_trips() {
        let bytes = encoded(MAX_INTEGER, 4);
        assert_eq!(decoded(&bytes, 4), Ok((MAX_INTEGER, bytes.len())));
    }

    #[test]
    fn one_past_the_cap_is_an_overflow() {
        let bytes = encoded(MAX_INTEGER + 1, 4);
        assert_eq!(decoded(&bytes, 4), Err(DecodeError::IntegerOverflow));
    }

    #[test]
    fn endless_zero_continuations_are_an_overflow_not_a_loop() {
        let mut bytes = vec![0x1f];
        bytes.extend(std::iter::repeat_n(0x80, 100));
        bytes.push(0);
        assert_eq!(decoded(&bytes, 5), Err(DecodeError::IntegerOverflow));
    }

    #[test]
    fn a_block_ending_mid_integer_is_truncated() {
        assert_eq!(decoded(&[], 5), Err(DecodeError::Truncated));
        assert_eq!(decoded(&[0x1f, 0x9a], 5), Err(DecodeError::Truncated));
    }

    #[test]
    fn every_prefix_round_trips_around_its_boundary() {
        for prefix_bits in 1..=7u8 {
            let boundary = (1usize << prefix_bits) - 1;
            for value in [
                0,
                1,
                boundary - 1,
                boundary,
                boundary + 1,
                127,
                128,
                16_383,
                16_384,
            ] {
                let bytes = encoded(value, prefix_bits);
                assert_eq!(decoded(&bytes, prefix_bits), Ok((value, bytes.len())));
            }
        }
    }
}
