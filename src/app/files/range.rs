//! Range requests (RFC 9110 §14, and `If-Range`, §13.1.5): which part of
//! a file a GET asks for, and the `Content-Range` values that describe
//! the answer.
//!
//! One range is answered with 206 (Partial Content); a range that starts
//! at or beyond the end, or a zero-length suffix, with 416 (Range Not
//! Satisfiable). Open ranges (`500-`) run to the end, suffix ranges
//! (`-500`) take the last octets, and a last position past the end is
//! clamped to it.
//!
//! **Several ranges are answered with the whole file (200), by design.**
//! RFC 9110 §14.2 allows it ("A server MAY ignore the Range header
//! field"). multipart/byteranges is rarely asked for (some PDF readers,
//! which cope with a 200), its body cannot be one slice of a cached
//! buffer or an open file (the reply's body types), so it would have to
//! be assembled in memory, and answering it invites the cheap
//! amplification of many small or overlapping ranges (CVE-2011-3192).
//!
//! Everything malformed is ignored rather than refused, as the RFC
//! allows: an unknown unit (which an origin server "MUST ignore"), a
//! range whose last position is before its first (`5-2`), garbage.

use super::date;
use super::field::{members, singleton};
use super::validators::{Validators, single_tag};
use crate::app::Request;

/// What to send of a representation of a known length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RangeAnswer {
    /// 200: all of it (no Range, an ignored one, or a false If-Range).
    Full,
    /// 206: `len` octets from `first` (never empty, within the length).
    Partial { first: u64, len: u64 },
    /// 416: the one range asked for lies outside the representation.
    Unsatisfiable,
}

/// Decides the range answer for a representation of `len` octets with
/// validators `v`. `now` (seconds since the epoch) is for dates in
/// `If-Range`.
pub(super) fn select(req: &Request<'_>, len: u64, v: Validators<'_>, now: u64) -> RangeAnswer {
    // "A server MUST ignore a Range header field received with a request
    // method that is unrecognized or for which range handling is not
    // defined. For this specification, GET is the only method for which
    // range handling is defined." (RFC 9110 §14.2)
    if req.method != b"GET" {
        return RangeAnswer::Full;
    }
    // "A server that supports range requests MAY ignore a Range header
    // field when the selected representation has no content".
    if len == 0 {
        return RangeAnswer::Full;
    }
    let Some(spec) = singleton(req.fields, "range").and_then(|v| parse(&v)) else {
        return RangeAnswer::Full;
    };
    // "A recipient of an If-Range header field MUST ignore the Range
    // header field if the If-Range condition evaluates to false."
    if req.fields.has("if-range") && !if_range(req, v, now) {
        return RangeAnswer::Full;
    }
    spec.against(len)
}

/// `bytes first-last/len`, for a 206.
pub(super) fn content_range(first: u64, len: u64, total: u64) -> String {
    let last = first + len.saturating_sub(1);
    format!("bytes {first}-{last}/{total}")
}

/// `bytes */len`, for a 416.
pub(super) fn unsatisfied(total: u64) -> String {
    format!("bytes */{total}")
}

/// One range-spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spec {
    /// `first-` or `first-last` (last ≥ first).
    Int { first: u64, last: Option<u64> },
    /// `-suffix`: the last `suffix` octets.
    Suffix(u64),
}

impl Spec {
    fn against(self, len: u64) -> RangeAnswer {
        match self {
            // "an int-range with a first-pos that is less than the
            // current length of the selected representation" is
            // satisfiable; "If the last-pos value is absent, or if the
            // value is greater than or equal to the current length ...
            // the server replaces the value of last-pos with a value that
            // is one less than the current length".
            Spec::Int { first, last } if first < len => {
                let last = last.unwrap_or(u64::MAX).min(len - 1);
                RangeAnswer::Partial {
                    first,
                    len: last - first + 1,
                }
            }
            Spec::Int { .. } => RangeAnswer::Unsatisfiable,
            // "a suffix-range with a non-zero suffix-length" is
            // satisfiable; "If the selected representation is shorter than
            // the specified suffix-length, the entire representation is
            // used."
            Spec::Suffix(0) => RangeAnswer::Unsatisfiable,
            Spec::Suffix(n) => {
                let n = n.min(len);
                RangeAnswer::Partial {
                    first: len - n,
                    len: n,
                }
            }
        }
    }
}

/// Parses `bytes=<one range-spec>`; `None` for anything to ignore: an
/// unknown unit ("An origin server MUST ignore a Range header field that
/// contains a range unit it does not understand"), an invalid spec, or
/// more than one spec (see the module doc).
fn parse(value: &[u8]) -> Option<Spec> {
    let eq = value.iter().position(|&b| b == b'=')?;
    let (unit, set) = (value.get(..eq)?, value.get(eq + 1..)?);
    // "All range unit names are case-insensitive" (§14.1).
    if !unit.eq_ignore_ascii_case(b"bytes") {
        return None;
    }
    let mut specs = members(set);
    let one = specs.next()?;
    if specs.next().is_some() {
        return None;
    }
    let dash = one.iter().position(|&b| b == b'-')?;
    let (first, last) = (one.get(..dash)?, one.get(dash + 1..)?);
    match (first.is_empty(), last.is_empty()) {
        (true, true) => None,
        (true, false) => Some(Spec::Suffix(number(last)?)),
        (false, true) => Some(Spec::Int {
            first: number(first)?,
            last: None,
        }),
        (false, false) => {
            let (first, last) = (number(first)?, number(last)?);
            // "An int-range is invalid if the last-pos value is present
            // and less than the first-pos."
            (last >= first).then_some(Spec::Int {
                first,
                last: Some(last),
            })
        }
    }
}

/// `1*DIGIT`, saturating: "recipients MUST anticipate potentially large
/// decimal numerals and prevent parsing errors due to integer conversion
/// overflows" (§14.1.2). A saturated first position is past any file; a
/// saturated last one is clamped to the end.
fn number(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0u64, |n, &d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    }))
}

/// The If-Range condition (RFC 9110 §13.1.5). An entity tag must match
/// by the strong comparison (a weak tag never does); a date must match
/// Last-Modified exactly. Anything else, a repeated field included, is
/// false, which only costs the client a whole response.
fn if_range(req: &Request<'_>, v: Validators<'_>, now: u64) -> bool {
    let Some(value) = singleton(req.fields, "if-range") else {
        return false;
    };
    // "A valid entity-tag can be distinguished from a valid HTTP-date by
    // examining the first three characters for a DQUOTE."
    if value.iter().take(3).any(|&b| b == b'"') {
        return single_tag(&value).is_some_and(|t| t.strong_eq(v.etag));
    }
    date::parse(&value, now) == Some(v.last_modified)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::FieldPairs;

    const LEN: u64 = 10_000;
    const ETAG: &str = "\"a-1-2\"";
    /// Sun, 06 Nov 1994 08:49:37 GMT
    const MODIFIED: u64 = 784_111_777;
    const NOW: u64 = 1_767_225_600;

    fn answer_for(method: &str, len: u64, fields: &[(&str, &str)]) -> RangeAnswer {
        let fields = FieldPairs(fields);
        let req = Request {
            method: method.as_bytes(),
            target: b"/f",
            fields: &fields,
        };
        let v = Validators {
            etag: ETAG,
            last_modified: MODIFIED,
        };
        select(&req, len, v, NOW)
    }

    fn range(value: &str) -> RangeAnswer {
        answer_for("GET", LEN, &[("range", value)])
    }

    fn part(first: u64, len: u64) -> RangeAnswer {
        RangeAnswer::Partial { first, len }
    }

    use RangeAnswer::{Full, Unsatisfiable};

    #[test]
    fn the_rfc_single_range_examples_select_their_octets() {
        assert_eq!(range("bytes=0-499"), part(0, 500));
        assert_eq!(range("bytes=500-999"), part(500, 500));
        assert_eq!(range("bytes=-500"), part(9500, 500));
        assert_eq!(range("bytes=9500-"), part(9500, 500));
        assert_eq!(range("bytes=0-0"), part(0, 1));
        assert_eq!(range("BYTES= 0-0 "), part(0, 1), "unit case, list OWS");
    }

    #[test]
    fn last_positions_past_the_end_are_clamped_and_long_suffixes_take_everything() {
        assert_eq!(range("bytes=9990-20000"), part(9990, 10));
        assert_eq!(range("bytes=0-99999999999999999999999"), part(0, LEN));
        assert_eq!(range("bytes=-20000"), part(0, LEN));
    }

    #[test]
    fn a_start_at_or_past_the_end_or_an_empty_suffix_is_unsatisfiable() {
        assert_eq!(range("bytes=10000-"), Unsatisfiable);
        assert_eq!(range("bytes=10000-10005"), Unsatisfiable);
        assert_eq!(range("bytes=99999999999999999999999-"), Unsatisfiable);
        assert_eq!(range("bytes=-0"), Unsatisfiable);
        assert_eq!(unsatisfied(LEN), "bytes */10000");
    }

    #[test]
    fn invalid_or_foreign_ranges_are_ignored() {
        for value in [
            "bytes=5-2",
            "bytes=",
            "bytes=-",
            "bytes=a-b",
            "bytes=1 - 2",
            "bytes=+1-2",
            "bytes 0-1",
            "items=0-1",
            "bytes=0-1;x",
            "",
        ] {
            assert_eq!(range(value), Full, "{value:?}");
        }
    }

    #[test]
    fn several_ranges_get_the_whole_file() {
        assert_eq!(range("bytes=0-0,-1"), Full);
        assert_eq!(range("bytes= 0-999, 4500-5499, -1000"), Full);
        assert_eq!(range("bytes=500-600,601-999"), Full);
    }

    #[test]
    fn only_get_honours_range() {
        let fields = [("range", "bytes=0-0")];
        assert_eq!(answer_for("HEAD", LEN, &fields), Full);
        assert_eq!(answer_for("POST", LEN, &fields), Full);
    }

    #[test]
    fn an_empty_file_is_sent_whole_whatever_the_range() {
        for value in ["bytes=0-0", "bytes=-5", "bytes=-0"] {
            assert_eq!(answer_for("GET", 0, &[("range", value)]), Full, "{value}");
        }
    }

    #[test]
    fn a_repeated_range_field_is_ignored() {
        let fields = [("range", "bytes=0-0"), ("range", "bytes=1-1")];
        assert_eq!(answer_for("GET", LEN, &fields), Full);
    }

    #[test]
    fn if_range_with_the_current_strong_etag_keeps_the_range() {
        let fields = [("range", "bytes=0-0"), ("if-range", ETAG)];
        assert_eq!(answer_for("GET", LEN, &fields), part(0, 1));
    }

    #[test]
    fn if_range_with_a_stale_or_weak_etag_sends_the_whole_file() {
        for tag in ["\"stale\"", "W/\"a-1-2\"", "\"a-1-2\" x"] {
            let fields = [("range", "bytes=0-0"), ("if-range", tag)];
            assert_eq!(answer_for("GET", LEN, &fields), Full, "{tag}");
        }
    }

    #[test]
    fn if_range_with_a_date_must_match_last_modified_exactly() {
        let at = "Sun, 06 Nov 1994 08:49:37 GMT";
        let later = "Sun, 06 Nov 1994 08:49:38 GMT";
        let fields = [("range", "bytes=0-0"), ("if-range", at)];
        assert_eq!(answer_for("GET", LEN, &fields), part(0, 1));
        let fields = [("range", "bytes=0-0"), ("if-range", later)];
        assert_eq!(
            answer_for("GET", LEN, &fields),
            Full,
            "not 'earlier or equal'"
        );
        let fields = [("range", "bytes=0-0"), ("if-range", "garbage")];
        assert_eq!(answer_for("GET", LEN, &fields), Full);
    }

    #[test]
    fn if_range_without_range_changes_nothing() {
        assert_eq!(answer_for("GET", LEN, &[("if-range", "\"stale\"")]), Full);
    }

    #[test]
    fn content_range_names_first_last_and_length() {
        assert_eq!(content_range(0, 1, 10), "bytes 0-0/10");
        assert_eq!(content_range(9500, 500, 10_000), "bytes 9500-9999/10000");
    }
}
