//! Reading request field values the way RFC 9110 §5.5 and §5.6 describe
//! them: without the optional whitespace around them (OWS), as
//! comma-separated list members, or as a singleton that must come once.
//! The grammar of each field (dates, entity tags, ranges, codings) is in
//! the file that evaluates it.

use crate::app::Fields;

/// `v` without leading and trailing spaces and tabs.
pub(super) fn trim_ows(v: &[u8]) -> &[u8] {
    let start = v.iter().position(|b| !matches!(b, b' ' | b'\t'));
    let end = v.iter().rposition(|b| !matches!(b, b' ' | b'\t'));
    match (start, end) {
        (Some(s), Some(e)) => v.get(s..=e).unwrap_or(&[]),
        _ => &[],
    }
}

/// The non-empty members of a list value (`#element`), trimmed. "A
/// recipient MUST parse and ignore a reasonable number of empty list
/// elements" (RFC 9110 §5.6.1.2).
pub(super) fn members(v: &[u8]) -> impl Iterator<Item = &[u8]> {
    v.split(|&b| b == b',')
        .map(trim_ows)
        .filter(|m| !m.is_empty())
}

/// The value of a singleton field sent exactly once, trimmed; `None` when
/// absent or repeated (a repeated singleton is as invalid as a malformed
/// one, and the fields read here are ignored when invalid).
pub(super) fn singleton(fields: &dyn Fields, name: &str) -> Option<Vec<u8>> {
    let mut count = 0;
    let mut found = None;
    fields.each_value(name, &mut |v| {
        count += 1;
        if found.is_none() {
            found = Some(trim_ows(v).to_vec());
        }
    });
    if count == 1 { found } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::FieldPairs;

    #[test]
    fn ows_is_trimmed_and_empty_members_skipped() {
        assert_eq!(trim_ows(b" \t a b \t"), b"a b");
        assert_eq!(trim_ows(b"  "), b"");
        let m: Vec<&[u8]> = members(b" gzip ,, br;q=0.5 ,").collect();
        assert_eq!(m, vec![&b"gzip"[..], b"br;q=0.5"]);
    }

    #[test]
    fn a_singleton_sent_twice_counts_as_absent() {
        let once = FieldPairs(&[("range", " bytes=0-1 ")]);
        assert_eq!(singleton(&once, "range"), Some(b"bytes=0-1".to_vec()));
        let twice = FieldPairs(&[("range", "bytes=0-1"), ("range", "bytes=2-3")]);
        assert_eq!(singleton(&twice, "range"), None);
        assert_eq!(singleton(&once, "if-range"), None);
    }
}
