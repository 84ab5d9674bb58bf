//! Chunk-line grammar, checked directly.

use super::*;

#[test]
fn size_lines_parse_or_wait() {
    assert_eq!(size_line(b"1a\r\nrest", 8), Ok(Some((26, 4))));
    assert_eq!(size_line(b"00000F;x=y\r\n", 8), Ok(Some((15, 12))));
    assert_eq!(
        size_line(b"ffffffffffffffff\r\n", 0),
        Ok(Some((u64::MAX, 18)))
    );
    assert_eq!(size_line(b"", 8), Ok(None));
    assert_eq!(size_line(b"1a", 8), Ok(None));
    assert_eq!(size_line(b"1a\r", 8), Ok(None));
    assert_eq!(size_line(b"1a;ab", 8), Ok(None));
}

#[test]
fn size_lines_reject_what_the_grammar_does_not_allow() {
    assert_eq!(size_line(b"-1\r\n", 8), Err(ParseError::InvalidChunkSize));
    assert_eq!(
        size_line(b"1a\n", 8),
        Err(ParseError::InvalidChunkDelimiter)
    );
    assert_eq!(
        size_line(&[b'0'; MAX_SIZE_DIGITS + 1], 8),
        Err(ParseError::ChunkSizeOverflow)
    );
    assert_eq!(
        size_line(b"10000000000000000\r\n", 8),
        Err(ParseError::ChunkSizeOverflow)
    );
    assert_eq!(
        size_line(b"1;abcdefghi", 8),
        Err(ParseError::ChunkExtensionTooLong)
    );
}

#[test]
fn chunk_extensions_follow_the_grammar() {
    for ok in [
        &b""[..],
        b";a",
        b";a=b",
        b" ; a = b ;c",
        b";a=\"quoted \\\" string\"",
        b";a=\"\"",
        b"\t;a",
    ] {
        assert_eq!(validate_chunk_ext(ok), Ok(()), "{ok:?}");
    }
    for bad in [
        &b";"[..],
        b"a",
        b";a=",
        b";a ",
        b";a=b ",
        b";a=\"open",
        b";a=\"bad\x01\"",
        b";a b",
        b";a=b=c",
        b";a\r",
    ] {
        assert_eq!(
            validate_chunk_ext(bad),
            Err(ParseError::InvalidChunkExtension),
            "{bad:?}"
        );
    }
}
