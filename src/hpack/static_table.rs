//! The static table (RFC 7541 §2.3.1, Appendix A): 61 fixed entries at
//! indexes 1..=61, and the encoder's lookup into them.
//!
//! [`ENTRIES`] was transcribed from Appendix A of RFC 7541; the test
//! `entries_match_the_rfc_text` checks it against the RFC text. The dynamic
//! table and the combined index space are elsewhere (`dynamic_table.rs`,
//! `decoder.rs`).

/// Number of entries; dynamic table indexes start after it.
pub(crate) const LEN: usize = 61;

/// `ENTRIES[i - 1]` is the entry at index `i`.
pub(crate) static ENTRIES: [(&[u8], &[u8]); LEN] = [
    (b":authority", b""),
    (b":method", b"GET"),
    (b":method", b"POST"),
    (b":path", b"/"),
    (b":path", b"/index.html"),
    (b":scheme", b"http"),
    (b":scheme", b"https"),
    (b":status", b"200"),
    (b":status", b"204"),
    (b":status", b"206"),
    (b":status", b"304"),
    (b":status", b"400"),
    (b":status", b"404"),
    (b":status", b"500"),
    (b"accept-charset", b""),
    (b"accept-encoding", b"gzip, deflate"),
    (b"accept-language", b""),
    (b"accept-ranges", b""),
    (b"accept", b""),
    (b"access-control-allow-origin", b""),
    (b"age", b""),
    (b"allow", b""),
    (b"authorization", b""),
    (b"cache-control", b""),
    (b"content-disposition", b""),
    (b"content-encoding", b""),
    (b"content-language", b""),
    (b"content-length", b""),
    (b"content-location", b""),
    (b"content-range", b""),
    (b"content-type", b""),
    (b"cookie", b""),
    (b"date", b""),
    (b"etag", b""),
    (b"expect", b""),
    (b"expires", b""),
    (b"from", b""),
    (b"host", b""),
    (b"if-match", b""),
    (b"if-modified-since", b""),
    (b"if-none-match", b""),
    (b"if-range", b""),
    (b"if-unmodified-since", b""),
    (b"last-modified", b""),
    (b"link", b""),
    (b"location", b""),
    (b"max-forwards", b""),
    (b"proxy-authenticate", b""),
    (b"proxy-authorization", b""),
    (b"range", b""),
    (b"referer", b""),
    (b"refresh", b""),
    (b"retry-after", b""),
    (b"server", b""),
    (b"set-cookie", b""),
    (b"strict-transport-security", b""),
    (b"transfer-encoding", b""),
    (b"user-agent", b""),
    (b"vary", b""),
    (b"via", b""),
    (b"www-authenticate", b""),
];

/// The entry at `index` (1-based), if it is a static index.
pub(crate) fn entry(index: usize) -> Option<(&'static [u8], &'static [u8])> {
    ENTRIES.get(index.checked_sub(1)?).copied()
}

/// How well a field matches the static table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Match {
    /// Name and value match the entry at this index.
    Full(usize),
    /// Only the name matches; this is its lowest index.
    Name(usize),
}

/// Finds `name: value` in the static table.
pub(crate) fn find(name: &[u8], value: &[u8]) -> Option<Match> {
    let (first, last) = name_range(name)?;
    (first..=last)
        .find(|&index| entry(index).is_some_and(|(_, v)| v == value))
        .map_or(Some(Match::Name(first)), |index| Some(Match::Full(index)))
}

/// The first and last index of the entries named `name`. The test
/// `name_ranges_agree_with_the_entries` keeps this in step with ENTRIES.
fn name_range(name: &[u8]) -> Option<(usize, usize)> {
    Some(match name {
        b":authority" => (1, 1),
        b":method" => (2, 3),
        b":path" => (4, 5),
        b":scheme" => (6, 7),
        b":status" => (8, 14),
        b"accept-charset" => (15, 15),
        b"accept-encoding" => (16, 16),
        b"accept-language" => (17, 17),
        b"accept-ranges" => (18, 18),
        b"accept" => (19, 19),
        b"access-control-allow-origin" => (20, 20),
        b"age" => (21, 21),
        b"allow" => (22, 22),
        b"authorization" => (23, 23),
        b"cache-control" => (24, 24),
        b"content-disposition" => (25, 25),
        b"content-encoding" => (26, 26),
        b"content-language" => (27, 27),
        b"content-length" => (28, 28),
        b"content-location" => (29, 29),
        b"content-range" => (30, 30),
        b"content-type" => (31, 31),
        b"cookie" => (32, 32),
        b"date" => (33, 33),
        b"etag" => (34, 34),
        b"expect" => (35, 35),
        b"expires" => (36, 36),
        b"from" => (37, 37),
        b"host" => (38, 38),
        b"if-match" => (39, 39),
        b"if-modified-since" => (40, 40),
        b"if-none-match" => (41, 41),
        b"if-range" => (42, 42),
        b"if-unmodified-since" => (43, 43),
        b"last-modified" => (44, 44),
        b"link" => (45, 45),
        b"location" => (46, 46),
        b"max-forwards" => (47, 47),
        b"proxy-authenticate" => (48, 48),
        b"proxy-authorization" => (49, 49),
        b"range" => (50, 50),
        b"referer" => (51, 51),
        b"refresh" => (52, 52),
        b"retry-after" => (53, 53),
        b"server" => (54, 54),
        b"set-cookie" => (55, 55),
        b"strict-transport-security" => (56, 56),
        b"transfer-encoding" => (57, 57),
        b"user-agent" => (58, 58),
        b"vary" => (59, 59),
        b"via" => (60, 60),
        b"www-authenticate" => (61, 61),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_match_the_rfc_text() {
        let text = [
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../shared/reference/rfc/rfc7541.txt"
            ),
            "/work/shared/reference/rfc/rfc7541.txt",
        ]
        .iter()
        .find_map(|path| std::fs::read_to_string(path).ok())
        .expect("RFC 7541 text not found in the shared reference tree");
        let start = text.find("| Index | Header Name").unwrap();
        let end = text.find("Table 1: Static Table Entries").unwrap();
        let rows: Vec<(usize, String, String)> = text[start..end]
            .lines()
            .filter_map(|line| {
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                match cells.as_slice() {
                    ["", index, name, value, ""] => {
                        Some((index.parse().ok()?, name.to_string(), value.to_string()))
                    }
                    _ => None,
                }
            })
            .collect();
        assert_eq!(rows.len(), LEN);
        for (index, name, value) in rows {
            assert_eq!(entry(index), Some((name.as_bytes(), value.as_bytes())));
        }
    }

    #[test]
    fn name_ranges_agree_with_the_entries() {
        for (position, &(name, value)) in ENTRIES.iter().enumerate() {
            let index = position + 1;
            let (first, last) = name_range(name).unwrap();
            assert!((first..=last).contains(&index));
            assert!(ENTRIES[first - 1..last].iter().all(|&(n, _)| n == name));
            assert_eq!(find(name, value), Some(Match::Full(index)));
        }
        assert_eq!(find(b":status", b"302"), Some(Match::Name(8)));
        assert_eq!(find(b"x-custom", b""), None);
    }

    #[test]
    fn index_zero_and_past_the_end_are_not_static() {
        assert_eq!(entry(0), None);
        assert_eq!(entry(LEN + 1), None);
    }
}
