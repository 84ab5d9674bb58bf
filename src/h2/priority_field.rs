//! The Priority Field Value of RFC 9218: urgency `u` (0 to 7) and
//! `i`ncremental, as carried by the `priority` header field and the
//! PRIORITY_UPDATE frame.
//!
//! The value is a Structured Field dictionary (RFC 8941 §3.2). This file
//! parses the whole dictionary grammar (RFC 8941 §4.2.2: keys, bare items,
//! inner lists, parameters), so that any well-formed value is accepted and
//! any malformed one refused, but keeps only what it needs: the last value
//! given to `u` and to `i`. Byte sequences are checked, not decoded;
//! numbers beyond `u` are checked, not kept.
//!
//! Not owned: merging client and server signals (RFC 9218 §8), and
//! scheduling.

use std::fmt;

/// A response's priority (RFC 9218 §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Priority {
    /// 0 (most urgent) to 7 (background); 3 by default (§4.1).
    pub urgency: u8,
    /// Whether the response is useful piece by piece, so that responses of
    /// equal urgency may share the connection; false by default (§4.2).
    pub incremental: bool,
}

impl Default for Priority {
    /// §4.1: urgency "The default is 3."; §4.2: "The default value of the
    /// incremental parameter is `false` (`0`)."
    fn default() -> Self {
        Self {
            urgency: 3,
            incremental: false,
        }
    }
}

impl Priority {
    /// The highest (least urgent) urgency, 7.
    pub const MAX_URGENCY: u8 = 7;

    /// Parses a Priority Field Value; `None` if it is not a valid
    /// Structured Field dictionary.
    ///
    /// Parameters missing from the value keep their defaults, and so do
    /// parameters the value gets wrong: RFC 9218 §4 says "unknown priority
    /// parameters, priority parameters with out-of-range values, or values
    /// of unexpected types MUST be ignored." When a key repeats, its last
    /// value counts (RFC 8941 §4.2.2 overwrites), before that rule applies.
    pub fn parse(value: &[u8]) -> Option<Self> {
        let mut urgency = Member::Absent;
        let mut incremental = Member::Absent;
        let mut input = Cursor { rest: value };
        // RFC 8941 §4.2: fail if the input is not ASCII; skip leading SP.
        if !value.is_ascii() {
            return None;
        }
        input.skip_sp();
        input.dictionary(|key, member| match key {
            b"u" => urgency = member,
            b"i" => incremental = member,
            _ => {}
        })?;
        let mut priority = Self::default();
        if let Member::Integer(urgency) = urgency
            && let Ok(urgency) = u8::try_from(urgency)
            && urgency <= Self::MAX_URGENCY
        {
            priority.urgency = urgency;
        }
        if let Member::Boolean(incremental) = incremental {
            priority.incremental = incremental;
        }
        Some(priority)
    }
}

impl fmt::Display for Priority {
    /// The value as a dictionary, e.g. `u=3` or `u=0, i`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "u={}", self.urgency)?;
        if self.incremental {
            f.write_str(", i")?;
        }
        Ok(())
    }
}

/// What a dictionary member's value was, as far as RFC 9218 cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Member {
    /// The key did not appear.
    Absent,
    /// An Integer.
    Integer(i64),
    /// A Boolean (a key without `=` is `true`).
    Boolean(bool),
    /// Any other type, or an inner list.
    Other,
}

/// The unparsed rest of the input. Every step takes octets off the front
/// and returns `None` where RFC 8941 says "fail parsing".
struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let (&first, rest) = self.rest.split_first()?;
        self.rest = rest;
        Some(first)
    }

    fn eat(&mut self, octet: u8) -> bool {
        if self.peek() == Some(octet) {
            self.rest = self.rest.get(1..).unwrap_or_default();
            true
        } else {
            false
        }
    }

    fn skip_sp(&mut self) {
        while self.eat(b' ') {}
    }

    fn skip_ows(&mut self) {
        while self.eat(b' ') || self.eat(b'\t') {}
    }

    /// Takes octets while `keep` holds.
    fn take_while(&mut self, keep: impl Fn(u8) -> bool) -> &'a [u8] {
        let len = self.rest.iter().take_while(|&&octet| keep(octet)).count();
        let (taken, rest) = self.rest.split_at(len);
        self.rest = rest;
        taken
    }

    /// RFC 8941 §4.2.2, calling `member` for each key and value in order.
    fn dictionary(&mut self, mut member: impl FnMut(&[u8], Member)) -> Option<()> {
        while !self.rest.is_empty() {
            let key = self.key()?;
            let value = if self.eat(b'=') {
                self.item_or_inner_list()?
            } else {
                self.parameters()?;
                Member::Boolean(true)
            };
            member(key, value);
            self.skip_ows();
            if self.rest.is_empty() {
                break;
            }
            if self.bump()? != b',' {
                return None;
            }
            self.skip_ows();
            if self.rest.is_empty() {
                // A trailing comma.
                return None;
            }
        }
        Some(())
    }

    /// RFC 8941 §4.2.1.1.
    fn item_or_inner_list(&mut self) -> Option<Member> {
        if self.eat(b'(') {
            loop {
                self.skip_sp();
                if self.eat(b')') {
                    self.parameters()?;
                    return Some(Member::Other);
                }
                self.bare_item()?;
                self.parameters()?;
                if !matches!(self.peek()?, b' ' | b')') {
                    return None;
                }
            }
        }
        let item = self.bare_item()?;
        self.parameters()?;
        Some(item)
    }

    /// RFC 8941 §4.2.3.2.
    fn parameters(&mut self) -> Option<()> {
        while self.eat(b';') {
            self.skip_sp();
            self.key()?;
            if self.eat(b'=') {
                self.bare_item()?;
            }
        }
        Some(())
    }

    /// RFC 8941 §4.2.3.3: `( lcalpha / "*" ) *( lcalpha / DIGIT / "_" /
    /// "-" / "." / "*" )`.
    fn key(&mut self) -> Option<&'a [u8]> {
        let first = self.peek()?;
        if !(first.is_ascii_lowercase() || first == b'*') {
            return None;
        }
        Some(self.take_while(|octet| {
            octet.is_ascii_lowercase()
                || octet.is_ascii_digit()
                || matches!(octet, b'_' | b'-' | b'.' | b'*')
        }))
    }

    /// RFC 8941 §4.2.3.1.
    fn bare_item(&mut self) -> Option<Member> {
        match self.peek()? {
            b'-' | b'0'..=b'9' => self.number(),
            b'"' => self.string(),
            b':' => self.byte_sequence(),
            b'?' => self.boolean(),
            octet if octet.is_ascii_alphabetic() || octet == b'*' => {
                self.token();
                Some(Member::Other)
            }
            _ => None,
        }
    }

    /// RFC 8941 §4.2.4: Integer (at most 15 digits) or Decimal (at most 12
    /// integer and 3 fraction digits).
    fn number(&mut self) -> Option<Member> {
        let negative = self.eat(b'-');
        let integer = self.take_while(|octet| octet.is_ascii_digit());
        if integer.is_empty() {
            return None;
        }
        if self.eat(b'.') {
            let fraction = self.take_while(|octet| octet.is_ascii_digit());
            if integer.len() > 12 || fraction.is_empty() || fraction.len() > 3 {
                return None;
            }
            return Some(Member::Other);
        }
        if integer.len() > 15 {
            return None;
        }
        // At most 15 digits: below 10^15, no overflow in i64.
        let magnitude = integer
            .iter()
            .fold(0_i64, |value, &digit| value * 10 + i64::from(digit - b'0'));
        Some(Member::Integer(if negative {
            -magnitude
        } else {
            magnitude
        }))
    }

    /// RFC 8941 §4.2.5: printable ASCII between quotes, `\"` and `\\`
    /// escapes only.
    fn string(&mut self) -> Option<Member> {
        self.bump()?;
        loop {
            match self.bump()? {
                b'\\' => {
                    if !matches!(self.bump()?, b'"' | b'\\') {
                        return None;
                    }
                }
                b'"' => return Some(Member::Other),
                0x20..=0x7e => {}
                _ => return None,
            }
        }
    }

    /// RFC 8941 §4.2.6: after the first octet, `tchar / ":" / "/"`.
    fn token(&mut self) {
        self.take_while(|octet| {
            octet.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~:/".contains(&octet)
        });
    }

    /// RFC 8941 §4.2.7: base64 between colons (checked, not decoded).
    fn byte_sequence(&mut self) -> Option<Member> {
        self.bump()?;
        self.take_while(|octet| {
            octet.is_ascii_alphanumeric() || matches!(octet, b'+' | b'/' | b'=')
        });
        self.eat(b':').then_some(Member::Other)
    }

    /// RFC 8941 §4.2.8: `?0` or `?1`.
    fn boolean(&mut self) -> Option<Member> {
        self.bump()?;
        match self.bump()? {
            b'0' => Some(Member::Boolean(false)),
            b'1' => Some(Member::Boolean(true)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str) -> Option<Priority> {
        Priority::parse(value.as_bytes())
    }

    fn priority(urgency: u8, incremental: bool) -> Option<Priority> {
        Some(Priority {
            urgency,
            incremental,
        })
    }

    #[test]
    fn rfc_examples_parse() {
        assert_eq!(parse("u=0"), priority(0, false));
        assert_eq!(parse("u=5, i"), priority(5, true));
    }

    #[test]
    fn missing_parameters_keep_their_defaults() {
        assert_eq!(parse(""), priority(3, false));
        assert_eq!(parse("i"), priority(3, true));
        assert_eq!(parse("u=7"), priority(7, false));
    }

    #[test]
    fn incremental_takes_sf_booleans() {
        assert_eq!(parse("i=?1"), priority(3, true));
        assert_eq!(parse("i=?0"), priority(3, false));
        assert_eq!(parse("u=1,i=?1"), priority(1, true));
    }

    #[test]
    fn out_of_range_or_mistyped_values_are_ignored() {
        assert_eq!(parse("u=8"), priority(3, false));
        assert_eq!(parse("u=-1, i"), priority(3, true));
        assert_eq!(parse("u=2.5"), priority(3, false));
        assert_eq!(parse("u=\"1\""), priority(3, false));
        assert_eq!(parse("u=(1 2)"), priority(3, false));
        assert_eq!(parse("i=1"), priority(3, false));
        assert_eq!(parse("u=999999999999999"), priority(3, false));
    }

    #[test]
    fn unknown_keys_and_parameters_are_ignored() {
        assert_eq!(
            parse("foo=bar, u=2;x=1;y, z=(a \"b\" :aGk=: ?1 -1.5);q, i"),
            priority(2, true)
        );
        assert_eq!(parse("*x=tok/en:1, u=6"), priority(6, false));
    }

    #[test]
    fn the_last_value_of_a_repeated_key_counts() {
        assert_eq!(parse("u=1, u=4"), priority(4, false));
        assert_eq!(parse("u=1, u=9"), priority(3, false));
        assert_eq!(parse("i, i=?0"), priority(3, false));
    }

    #[test]
    fn whitespace_follows_the_structured_field_rules() {
        assert_eq!(parse("  u=1 ,\ti  "), priority(1, true));
        assert_eq!(parse("\tu=1"), None);
        assert_eq!(parse("u = 1"), None);
    }

    #[test]
    fn malformed_dictionaries_are_refused() {
        for value in [
            "u=",
            "u=1,",
            "U=1",
            "u=1;",
            "u=1 i",
            "u=?2",
            "u=\"x",
            "u=:ab",
            "u=(1",
            "u=1.",
            "u=1.2345",
            "u=-",
            "u=1234567890123456",
            "1=u",
            "u=1,,i",
            "u=\u{e9}",
        ] {
            assert_eq!(parse(value), None, "{value:?}");
        }
    }

    #[test]
    fn display_is_a_dictionary_that_parses_back() {
        for (urgency, incremental) in [(0, true), (3, false), (7, true)] {
            let priority = Priority {
                urgency,
                incremental,
            };
            assert_eq!(
                Priority::parse(priority.to_string().as_bytes()),
                Some(priority)
            );
        }
        assert_eq!(Priority::default().to_string(), "u=3");
    }
}
