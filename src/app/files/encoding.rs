//! Precompressed siblings (a route's `precompressed = true`): which
//! content coding to send a file in, from the request's `Accept-Encoding`
//! (RFC 9110 §12.5.3) and the `NAME.br` / `NAME.gz` files that exist
//! beside `NAME`.
//!
//! Weights (`q=`) are honoured: `q=0` refuses a coding, the highest
//! weight wins, and at equal weight br is preferred to gzip (smaller).
//! `x-gzip` counts as gzip, `*` gives its weight to codings not listed.
//! Identity competes only when listed: `br;q=0.5, identity` picks
//! identity, while an unlisted identity is acceptable but least
//! preferred. A request without `Accept-Encoding` gets identity: the RFC
//! would allow any coding, but a client that says nothing (curl, a
//! script) rarely expects compressed bytes.
//!
//! Finding the siblings (through the cache, with the route's path rules)
//! and setting `Content-Encoding` and `Vary` is `mod.rs`'s job.

use super::field::{members, trim_ows};
use crate::app::Fields;

/// A content coding a sibling file may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Coding {
    Br,
    Gzip,
}

impl Coding {
    /// In order of preference at equal weight.
    pub(super) const ALL: [Coding; 2] = [Coding::Br, Coding::Gzip];

    /// The `Content-Encoding` value.
    pub(super) fn name(self) -> &'static str {
        match self {
            Coding::Br => "br",
            Coding::Gzip => "gzip",
        }
    }

    /// What the sibling's name adds to the original's.
    pub(super) fn suffix(self) -> &'static str {
        match self {
            Coding::Br => ".br",
            Coding::Gzip => ".gz",
        }
    }
}

/// Weights in thousandths (RFC 9110 §12.4.2: 0 to 1, three decimals).
#[derive(Debug, Default, Clone, Copy)]
struct Weights {
    br: Option<u16>,
    gzip: Option<u16>,
    identity: Option<u16>,
    star: Option<u16>,
}

impl Weights {
    fn parse(fields: &dyn Fields) -> Option<Weights> {
        let mut present = false;
        let mut w = Weights::default();
        fields.each_value("accept-encoding", &mut |value| {
            present = true;
            for member in members(value) {
                let mut parts = member.split(|&b| b == b';');
                let coding = trim_ows(parts.next().unwrap_or_default());
                let mut weight = Some(1000);
                for param in parts {
                    let param = trim_ows(param);
                    if let Some(q) = param
                        .strip_prefix(b"q=")
                        .or_else(|| param.strip_prefix(b"Q="))
                    {
                        weight = qvalue(q);
                    }
                }
                // A member with a malformed weight says nothing.
                let Some(weight) = weight else { continue };
                let slot = if coding.eq_ignore_ascii_case(b"br") {
                    &mut w.br
                } else if coding.eq_ignore_ascii_case(b"gzip")
                    || coding.eq_ignore_ascii_case(b"x-gzip")
                {
                    &mut w.gzip
                } else if coding.eq_ignore_ascii_case(b"identity") {
                    &mut w.identity
                } else if coding == b"*" {
                    &mut w.star
                } else {
                    continue;
                };
                slot.get_or_insert(weight);
            }
        });
        present.then_some(w)
    }

    fn of(&self, coding: Coding) -> u16 {
        let listed = match coding {
            Coding::Br => self.br,
            Coding::Gzip => self.gzip,
        };
        listed.or(self.star).unwrap_or(0)
    }
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in
/// thousandths.
fn qvalue(v: &[u8]) -> Option<u16> {
    let (int, frac) = match v.iter().position(|&b| b == b'.') {
        Some(dot) => (v.get(..dot)?, v.get(dot + 1..)?),
        None => (v, &b""[..]),
    };
    if frac.len() > 3 || !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut thousandths = 0u16;
    for i in 0..3 {
        let digit = frac.get(i).map_or(0, |d| u16::from(d - b'0'));
        thousandths = thousandths * 10 + digit;
    }
    match int {
        b"0" => Some(thousandths),
        b"1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// The coding to send, among those `available` (siblings that exist);
/// `None` for the file itself.
pub(super) fn choose(fields: &dyn Fields, available: &[Coding]) -> Option<Coding> {
    let weights = Weights::parse(fields)?;
    let mut best: Option<(Coding, u16)> = None;
    for coding in Coding::ALL {
        let w = weights.of(coding);
        // "a qvalue of 0 means not acceptable"; the first of equals wins.
        if available.contains(&coding) && w > 0 && best.is_none_or(|(_, b)| w > b) {
            best = Some((coding, w));
        }
    }
    let (coding, w) = best?;
    match weights.identity {
        Some(identity) if identity > w => None,
        _ => Some(coding),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::FieldPairs;

    const BOTH: &[Coding] = &[Coding::Br, Coding::Gzip];

    fn pick(accept: &str, available: &[Coding]) -> Option<Coding> {
        choose(&FieldPairs(&[("accept-encoding", accept)]), available)
    }

    #[test]
    fn br_is_preferred_to_gzip_at_equal_weight() {
        assert_eq!(pick("gzip, deflate, br, zstd", BOTH), Some(Coding::Br));
        assert_eq!(pick("gzip, br", &[Coding::Gzip]), Some(Coding::Gzip));
        assert_eq!(pick("gzip", BOTH), Some(Coding::Gzip));
        assert_eq!(pick("deflate", BOTH), None);
    }

    #[test]
    fn weights_decide_and_q0_refuses() {
        assert_eq!(pick("br;q=0.5, gzip;q=0.8", BOTH), Some(Coding::Gzip));
        assert_eq!(pick("br;q=0, gzip", BOTH), Some(Coding::Gzip));
        assert_eq!(pick("br;q=0, gzip;q=0.000", BOTH), None);
        assert_eq!(pick("br ; Q=1.000", BOTH), Some(Coding::Br));
        assert_eq!(pick("BR", BOTH), Some(Coding::Br));
        assert_eq!(pick("x-gzip", BOTH), Some(Coding::Gzip));
    }

    #[test]
    fn a_malformed_weight_makes_the_member_say_nothing() {
        assert_eq!(pick("br;q=2, gzip", BOTH), Some(Coding::Gzip));
        assert_eq!(pick("br;q=0.1234, gzip;q=0.1", BOTH), Some(Coding::Gzip));
        assert_eq!(pick("br;q=1.5", BOTH), None);
        assert_eq!(qvalue(b"0.5"), Some(500));
        assert_eq!(qvalue(b"1."), Some(1000));
        assert_eq!(qvalue(b"1.001"), None);
        assert_eq!(qvalue(b""), None);
    }

    #[test]
    fn star_covers_unlisted_codings_only() {
        assert_eq!(pick("*", BOTH), Some(Coding::Br));
        assert_eq!(pick("br;q=0, *", BOTH), Some(Coding::Gzip));
        assert_eq!(pick("*;q=0", BOTH), None);
        assert_eq!(pick("gzip;q=0.2, *;q=0.1", BOTH), Some(Coding::Gzip));
    }

    #[test]
    fn a_listed_identity_with_more_weight_wins() {
        assert_eq!(pick("br;q=0.5, identity", BOTH), None);
        assert_eq!(pick("br, identity;q=0.5", BOTH), Some(Coding::Br));
        assert_eq!(
            pick("br, identity", BOTH),
            Some(Coding::Br),
            "ties compress"
        );
    }

    #[test]
    fn no_accept_encoding_or_an_empty_one_means_identity() {
        assert_eq!(choose(&FieldPairs(&[]), BOTH), None);
        assert_eq!(pick("", BOTH), None);
    }

    #[test]
    fn nothing_available_means_identity() {
        assert_eq!(pick("br, gzip", &[]), None);
    }

    #[test]
    fn members_on_several_field_lines_all_count() {
        let fields = FieldPairs(&[("accept-encoding", "gzip;q=0.5"), ("accept-encoding", "br")]);
        assert_eq!(choose(&fields, BOTH), Some(Coding::Br));
    }
}
