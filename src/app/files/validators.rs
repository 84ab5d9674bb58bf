//! Validators (RFC 9110 §8.8) of a file: the entity tag made from its
//! metadata, its Last-Modified time, and the entity-tag syntax and
//! comparison functions that conditional requests use.
//!
//! The ETag is `"<size>-<mtime in ns>-<inode>"` in hex. It is sent as a
//! strong validator: a change to a file changes its size or its
//! nanosecond mtime in practice, and a file replaced by rename gets a new
//! inode. (A rewrite of the same size within one mtime tick, with the
//! mtime then restored, would go unnoticed; so it would by `make` and
//! rsync.) A precompressed sibling is a different file, so each content
//! coding of a resource has its own tag, as RFC 9110 §8.8.3.3 asks.

use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;

use super::field::trim_ows;

/// What identifies one version of a file: if any of these changes, the
/// cached content and validators are stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Version {
    pub(super) dev: u64,
    pub(super) ino: u64,
    pub(super) len: u64,
    /// Modification time in nanoseconds since the epoch (negative times
    /// count as the epoch).
    pub(super) mtime_ns: u128,
}

impl Version {
    pub(super) fn of(meta: &Metadata) -> Version {
        let secs = u128::try_from(meta.mtime()).unwrap_or(0);
        let nanos = u128::try_from(meta.mtime_nsec()).unwrap_or(0);
        Version {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            mtime_ns: secs * 1_000_000_000 + nanos,
        }
    }

    /// The entity tag, quotes included.
    pub(super) fn etag(&self) -> String {
        format!("\"{:x}-{:x}-{:x}\"", self.len, self.mtime_ns, self.ino)
    }

    /// The modification time in whole seconds since the epoch.
    pub(super) fn mtime_secs(&self) -> u64 {
        u64::try_from(self.mtime_ns / 1_000_000_000).unwrap_or(u64::MAX)
    }
}

/// Last-Modified as sent: the file's mtime, unless that is in the
/// future. "An origin server with a clock ... MUST NOT generate a
/// Last-Modified date that is later than the server's time of message
/// origination (Date) ... the origin server MUST replace that value with
/// the message origination date." (RFC 9110 §8.8.2.1)
pub(super) fn last_modified(mtime_secs: u64, now_secs: u64) -> u64 {
    mtime_secs.min(now_secs)
}

/// The validators of the selected representation, as conditional
/// requests compare them.
#[derive(Debug, Clone, Copy)]
pub(super) struct Validators<'a> {
    /// The ETag value, quotes included.
    pub(super) etag: &'a str,
    /// Last-Modified, in seconds (already clamped to the clock).
    pub(super) last_modified: u64,
}

/// One entity tag from a request field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct EntityTag<'a> {
    pub(super) weak: bool,
    /// The opaque-tag, quotes included.
    pub(super) opaque: &'a [u8],
}

impl EntityTag<'_> {
    /// "Strong comparison: two entity tags are equivalent if both are not
    /// weak and their opaque-tags match character-by-character." Our own
    /// tags are never weak.
    pub(super) fn strong_eq(&self, ours: &str) -> bool {
        !self.weak && self.opaque == ours.as_bytes()
    }

    /// "Weak comparison: two entity tags are equivalent if their
    /// opaque-tags match character-by-character, regardless of either or
    /// both being tagged as weak."
    pub(super) fn weak_eq(&self, ours: &str) -> bool {
        self.opaque == ours.as_bytes()
    }
}

/// An `If-Match` / `If-None-Match` value: `*` or a list of tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TagList<'a> {
    Any,
    Tags(Vec<EntityTag<'a>>),
}

/// Parses `"*" / #entity-tag`. Members after a malformed one are dropped
/// (what came before still counts); empty list members are skipped.
pub(super) fn tag_list(value: &[u8]) -> TagList<'_> {
    let value = trim_ows(value);
    if value == b"*" {
        return TagList::Any;
    }
    let mut tags = Vec::new();
    let mut rest = value;
    loop {
        rest = skip_ows_commas(rest);
        if rest.is_empty() {
            break;
        }
        let Some((tag, after)) = entity_tag(rest) else {
            break;
        };
        tags.push(tag);
        rest = trim_ows(after);
        if !(rest.is_empty() || rest.starts_with(b",")) {
            break;
        }
    }
    TagList::Tags(tags)
}

/// One whole field value that must be a single entity tag (`If-Range`).
pub(super) fn single_tag(value: &[u8]) -> Option<EntityTag<'_>> {
    let (tag, rest) = entity_tag(trim_ows(value))?;
    rest.is_empty().then_some(tag)
}

/// `[ W/ ] DQUOTE *etagc DQUOTE` at the start of `v`, and what follows.
fn entity_tag(v: &[u8]) -> Option<(EntityTag<'_>, &[u8])> {
    let (weak, v) = match v.strip_prefix(b"W/") {
        Some(rest) => (true, rest),
        None => (false, v),
    };
    let body = v.strip_prefix(b"\"")?;
    let close = body.iter().position(|&b| b == b'"')?;
    let inner = body.get(..close)?;
    // etagc = %x21 / %x23-7E / obs-text
    if !inner
        .iter()
        .all(|&b| b == 0x21 || (0x23..=0x7e).contains(&b) || b >= 0x80)
    {
        return None;
    }
    let opaque = v.get(..close + 2)?;
    let rest = v.get(close + 2..)?;
    Some((EntityTag { weak, opaque }, rest))
}

fn skip_ows_commas(mut v: &[u8]) -> &[u8] {
    while let Some((&b, rest)) = v.split_first() {
        if matches!(b, b' ' | b'\t' | b',') {
            v = rest;
        } else {
            break;
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(value: &str) -> Vec<(bool, String)> {
        match tag_list(value.as_bytes()) {
            TagList::Any => panic!("not *"),
            TagList::Tags(t) => t
                .iter()
                .map(|t| (t.weak, String::from_utf8_lossy(t.opaque).into_owned()))
                .collect(),
        }
    }

    #[test]
    fn the_etag_names_size_mtime_and_inode_in_hex() {
        let v = Version {
            dev: 1,
            ino: 0xabc,
            len: 255,
            mtime_ns: 1_000_000_001,
        };
        assert_eq!(v.etag(), "\"ff-3b9aca01-abc\"");
        assert_eq!(v.mtime_secs(), 1);
    }

    #[test]
    fn a_future_mtime_is_sent_as_now() {
        assert_eq!(last_modified(2_000, 1_000), 1_000);
        assert_eq!(last_modified(500, 1_000), 500);
    }

    #[test]
    fn tag_lists_parse_the_rfc_examples() {
        assert_eq!(tag_list(b" * "), TagList::Any);
        assert_eq!(tags("\"xyzzy\""), vec![(false, "\"xyzzy\"".into())]);
        assert_eq!(
            tags("\"xyzzy\", \"r2d2xxxx\",\"c3piozzzz\""),
            vec![
                (false, "\"xyzzy\"".into()),
                (false, "\"r2d2xxxx\"".into()),
                (false, "\"c3piozzzz\"".into())
            ]
        );
        assert_eq!(
            tags("W/\"xyzzy\", W/\"r2d2xxxx\""),
            vec![(true, "\"xyzzy\"".into()), (true, "\"r2d2xxxx\"".into())]
        );
        assert_eq!(tags("\"\""), vec![(false, "\"\"".into())]);
        assert_eq!(
            tags(" , \"a\" ,, \"b\""),
            vec![(false, "\"a\"".into()), (false, "\"b\"".into())]
        );
    }

    #[test]
    fn a_malformed_member_ends_the_list() {
        assert_eq!(tags("\"a\", xyzzy, \"b\""), vec![(false, "\"a\"".into())]);
        assert_eq!(tags("\"a\"\"b\""), vec![(false, "\"a\"".into())]);
        assert_eq!(tags("\"unterminated"), vec![]);
        assert_eq!(tags("w/\"lowercase-w\""), vec![]);
        assert_eq!(tags("\"sp ace\""), vec![]);
        assert_eq!(tags("*, \"a\""), vec![], "* mixed with tags is invalid");
    }

    #[test]
    fn strong_and_weak_comparison_follow_the_rfc_table() {
        // RFC 9110 §8.8.3.2, Table 3, with "1" as our (strong) tag.
        let weak = single_tag(b"W/\"1\"").unwrap();
        let strong = single_tag(b"\"1\"").unwrap();
        let other = single_tag(b"W/\"2\"").unwrap();
        assert!(!weak.strong_eq("\"1\"") && weak.weak_eq("\"1\""));
        assert!(strong.strong_eq("\"1\"") && strong.weak_eq("\"1\""));
        assert!(!other.strong_eq("\"1\"") && !other.weak_eq("\"1\""));
        assert_eq!(single_tag(b"\"1\" x"), None);
    }
}
