//! Conditional requests (RFC 9110 §13): whether a request for a file that
//! exists is answered normally, with 304 (Not Modified), or with 412
//! (Precondition Failed), evaluating `If-Match`, `If-Unmodified-Since`,
//! `If-None-Match` and `If-Modified-Since` in the order of §13.2.2.
//!
//! Step 5 of that order, `If-Range`, only decides whether `Range` is
//! honoured; it lives with ranges in `range.rs`. Building the 304 or 412
//! reply is the caller's (`mod.rs`), which knows the fields a 200 would
//! have carried.

use super::date;
use super::field::singleton;
use super::validators::{TagList, Validators, tag_list};
use crate::app::Request;

/// What the preconditions say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Precondition {
    /// None present, or all true: perform the method.
    Proceed,
    /// 304: the client's copy is current (GET and HEAD only).
    NotModified,
    /// 412: a precondition is false.
    Failed,
}

/// Evaluates the preconditions of `req` against the selected
/// representation's validators. `now` (seconds since the epoch) places
/// two-digit years in obsolete date formats.
pub(super) fn evaluate(req: &Request<'_>, v: Validators<'_>, now: u64) -> Precondition {
    let get_or_head = req.method == b"GET" || req.method == b"HEAD";
    // RFC 9110 §13.2.2: "A recipient cache or origin server MUST evaluate
    // the request preconditions defined by this specification in the
    // following order":
    // 1. If-Match: "if false, respond 412 (Precondition Failed)".
    if let Some(matched) = if_match(req, v.etag) {
        if !matched {
            return Precondition::Failed;
        }
    }
    // 2. "If-Match is not present, and If-Unmodified-Since is present".
    // §13.1.4: "A recipient MUST ignore the If-Unmodified-Since header
    // field if the received field value is not a valid HTTP-date".
    else if let Some(date) = date_field(req, "if-unmodified-since", now) {
        // "If the selected representation's last modification date is
        // earlier than or equal to the date provided in the field value,
        // the condition is true."
        if v.last_modified > date {
            return Precondition::Failed;
        }
    }
    // 3. If-None-Match: "if false for GET/HEAD, respond 304 (Not
    // Modified); if false for other methods, respond 412".
    if let Some(none_matched) = if_none_match(req, v.etag) {
        if !none_matched {
            return if get_or_head {
                Precondition::NotModified
            } else {
                Precondition::Failed
            };
        }
    }
    // 4. "When the method is GET or HEAD, If-None-Match is not present,
    // and If-Modified-Since is present". §13.1.3: "A recipient MUST
    // ignore the If-Modified-Since header field if the received field
    // value is not a valid HTTP-date, the field value has more than one
    // member, or if the request method is neither GET nor HEAD."
    else if get_or_head && let Some(date) = date_field(req, "if-modified-since", now) {
        // "If the selected representation's last modification date is
        // earlier or equal to the date provided in the field value, the
        // condition is false."
        if v.last_modified <= date {
            return Precondition::NotModified;
        }
    }
    Precondition::Proceed
}

/// The If-Match condition, if the field is present: "*" is true (the
/// file exists); otherwise true if any listed tag matches ours. "An
/// origin server MUST use the strong comparison function when comparing
/// entity tags for If-Match" (RFC 9110 §13.1.1).
fn if_match(req: &Request<'_>, etag: &str) -> Option<bool> {
    let mut present = false;
    let mut matched = false;
    req.fields.each_value("if-match", &mut |value| {
        present = true;
        matched |= match tag_list(value) {
            TagList::Any => true,
            TagList::Tags(tags) => tags.iter().any(|t| t.strong_eq(etag)),
        };
    });
    present.then_some(matched)
}

/// The If-None-Match condition, if the field is present: "*" is false
/// (the file exists); otherwise false if any listed tag matches ours. "A
/// recipient MUST use the weak comparison function when comparing entity
/// tags for If-None-Match" (RFC 9110 §13.1.2).
fn if_none_match(req: &Request<'_>, etag: &str) -> Option<bool> {
    let mut present = false;
    let mut matched = false;
    req.fields.each_value("if-none-match", &mut |value| {
        present = true;
        matched |= match tag_list(value) {
            TagList::Any => true,
            TagList::Tags(tags) => tags.iter().any(|t| t.weak_eq(etag)),
        };
    });
    present.then_some(!matched)
}

/// A date field sent once with a valid HTTP-date; anything else is
/// ignored, as both date preconditions require.
fn date_field(req: &Request<'_>, name: &str, now: u64) -> Option<u64> {
    date::parse(&singleton(req.fields, name)?, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::FieldPairs;

    const ETAG: &str = "\"a-1-2\"";
    /// Sun, 06 Nov 1994 08:49:37 GMT
    const MODIFIED: u64 = 784_111_777;
    const NOW: u64 = 1_767_225_600;
    const BEFORE: &str = "Sun, 06 Nov 1994 08:49:36 GMT";
    const AT: &str = "Sun, 06 Nov 1994 08:49:37 GMT";

    fn check(method: &str, fields: &[(&str, &str)]) -> Precondition {
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
        evaluate(&req, v, NOW)
    }

    use Precondition::{Failed, NotModified, Proceed};

    #[test]
    fn no_preconditions_proceed() {
        assert_eq!(check("GET", &[]), Proceed);
    }

    #[test]
    fn if_none_match_with_our_tag_is_304_for_get_and_head_and_412_otherwise() {
        for method in ["GET", "HEAD"] {
            assert_eq!(check(method, &[("if-none-match", ETAG)]), NotModified);
        }
        assert_eq!(check("POST", &[("if-none-match", ETAG)]), Failed);
        assert_eq!(check("GET", &[("if-none-match", "\"other\"")]), Proceed);
        assert_eq!(
            check(
                "GET",
                &[("if-none-match", "\"x\""), ("if-none-match", ETAG)]
            ),
            NotModified,
            "members on any field line count"
        );
    }

    #[test]
    fn if_none_match_star_matches_an_existing_file() {
        assert_eq!(check("GET", &[("if-none-match", "*")]), NotModified);
    }

    #[test]
    fn if_none_match_compares_weakly_and_if_match_strongly() {
        let weak = "W/\"a-1-2\"";
        assert_eq!(check("GET", &[("if-none-match", weak)]), NotModified);
        assert_eq!(check("GET", &[("if-match", weak)]), Failed);
        assert_eq!(check("GET", &[("if-match", ETAG)]), Proceed);
        assert_eq!(check("GET", &[("if-match", "*")]), Proceed);
        assert_eq!(check("GET", &[("if-match", "\"x\", \"a-1-2\"")]), Proceed);
        assert_eq!(check("GET", &[("if-match", "garbage")]), Failed);
    }

    #[test]
    fn a_failed_if_match_is_412_before_if_none_match_could_say_304() {
        let fields = [("if-match", "\"stale\""), ("if-none-match", ETAG)];
        assert_eq!(check("GET", &fields), Failed);
    }

    #[test]
    fn if_unmodified_since_is_412_when_modified_after_the_date() {
        assert_eq!(check("GET", &[("if-unmodified-since", BEFORE)]), Failed);
        assert_eq!(check("GET", &[("if-unmodified-since", AT)]), Proceed);
        assert_eq!(
            check("GET", &[("if-unmodified-since", "not a date")]),
            Proceed,
            "an invalid date is ignored"
        );
    }

    #[test]
    fn if_match_present_makes_if_unmodified_since_ignored() {
        let fields = [("if-match", ETAG), ("if-unmodified-since", BEFORE)];
        assert_eq!(check("GET", &fields), Proceed);
    }

    #[test]
    fn if_modified_since_is_304_when_not_modified_after_the_date() {
        assert_eq!(check("GET", &[("if-modified-since", AT)]), NotModified);
        assert_eq!(check("HEAD", &[("if-modified-since", AT)]), NotModified);
        assert_eq!(check("GET", &[("if-modified-since", BEFORE)]), Proceed);
        let obsolete = "Sunday, 06-Nov-94 08:49:37 GMT";
        assert_eq!(
            check("GET", &[("if-modified-since", obsolete)]),
            NotModified
        );
    }

    #[test]
    fn if_modified_since_is_ignored_beside_if_none_match_for_other_methods_and_when_invalid() {
        let fields = [("if-none-match", "\"other\""), ("if-modified-since", AT)];
        assert_eq!(check("GET", &fields), Proceed, "If-None-Match decides");
        assert_eq!(check("POST", &[("if-modified-since", AT)]), Proceed);
        assert_eq!(check("GET", &[("if-modified-since", "yesterday")]), Proceed);
        let twice = [("if-modified-since", AT), ("if-modified-since", AT)];
        assert_eq!(check("GET", &twice), Proceed, "more than one member");
    }

    #[test]
    fn a_true_if_unmodified_since_still_lets_if_none_match_say_304() {
        let fields = [("if-unmodified-since", AT), ("if-none-match", ETAG)];
        assert_eq!(check("GET", &fields), NotModified);
    }
}
