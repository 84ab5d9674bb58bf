//! HTTP-date (RFC 9110 §5.6.7) as the files layer reads and writes it:
//! parsing all three formats a request may carry (`If-Modified-Since`,
//! `If-Unmodified-Since`, `If-Range`) into seconds since the epoch, and
//! formatting `Last-Modified`. Formatting reuses the connection's
//! IMF-fixdate writer ([`crate::h1::imf_fixdate`]), so the crate has one.
//!
//! Times are whole seconds: HTTP-date has no finer resolution, and every
//! comparison the files layer makes is between a received date and a
//! file's modification time truncated to its second.

use crate::h1::imf_fixdate;

/// `secs` as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub(super) fn format(secs: u64) -> String {
    // imf_fixdate writes only ASCII letters, digits, spaces, `,` and `:`.
    String::from_utf8_lossy(&imf_fixdate(secs)).into_owned()
}

/// Parses an HTTP-date in any of its three formats, as "A recipient that
/// parses a timestamp value in an HTTP field MUST accept all three
/// HTTP-date formats" (RFC 9110 §5.6.7) requires. `now` (seconds since
/// the epoch) places the two-digit years of the RFC 850 format. Dates
/// before 1970 come back as 0; anything malformed is `None`.
pub(super) fn parse(value: &[u8], now: u64) -> Option<u64> {
    let value = super::field::trim_ows(value);
    imf_fixdate_parse(value)
        .or_else(|| rfc850(value, now))
        .or_else(|| asctime(value))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`
fn imf_fixdate_parse(v: &[u8]) -> Option<u64> {
    if v.len() != 29 || v.get(3..5)? != b", " || v.get(25..)? != b" GMT" {
        return None;
    }
    short_day(v.get(..3)?)?;
    let day = digits(v.get(5..7)?)?;
    space(v, 7)?;
    let month = month(v.get(8..11)?)?;
    space(v, 11)?;
    let year = digits(v.get(12..16)?)?;
    space(v, 16)?;
    let time = time_of_day(v.get(17..25)?)?;
    seconds(year, month, day, time)
}

/// `Sunday, 06-Nov-94 08:49:37 GMT`
fn rfc850(v: &[u8], now: u64) -> Option<u64> {
    let comma = v.iter().position(|&b| b == b',')?;
    long_day(v.get(..comma)?)?;
    let rest = v.get(comma..)?;
    if rest.len() != 24 || rest.get(..2)? != b", " || rest.get(20..)? != b" GMT" {
        return None;
    }
    let day = digits(rest.get(2..4)?)?;
    dash(rest, 4)?;
    let month = month(rest.get(5..8)?)?;
    dash(rest, 8)?;
    let yy = digits(rest.get(9..11)?)?;
    space(rest, 11)?;
    let time = time_of_day(rest.get(12..20)?)?;
    // "Recipients of a timestamp value in rfc850-date format, which uses
    // a two-digit year, MUST interpret a timestamp that appears to be
    // more than 50 years in the future as representing the most recent
    // year in the past that had the same last two digits."
    let this_year = 1970 + now / 31_556_952; // mean Gregorian year, in seconds
    let mut year = this_year - this_year % 100 + yy;
    if year > this_year + 50 {
        year -= 100;
    }
    seconds(year, month, day, time)
}

/// `Sun Nov  6 08:49:37 1994`
fn asctime(v: &[u8]) -> Option<u64> {
    if v.len() != 24 {
        return None;
    }
    short_day(v.get(..3)?)?;
    space(v, 3)?;
    let month = month(v.get(4..7)?)?;
    space(v, 7)?;
    let day = match v.get(8..10)? {
        [b' ', d] => digits(&[*d])?,
        two => digits(two)?,
    };
    space(v, 10)?;
    let time = time_of_day(v.get(11..19)?)?;
    space(v, 19)?;
    let year = digits(v.get(20..24)?)?;
    seconds(year, month, day, time)
}

fn short_day(v: &[u8]) -> Option<()> {
    const DAYS: [&[u8]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
    DAYS.contains(&v).then_some(())
}

fn long_day(v: &[u8]) -> Option<()> {
    const DAYS: [&[u8]; 7] = [
        b"Monday",
        b"Tuesday",
        b"Wednesday",
        b"Thursday",
        b"Friday",
        b"Saturday",
        b"Sunday",
    ];
    DAYS.contains(&v).then_some(())
}

/// 1 to 12.
fn month(v: &[u8]) -> Option<u64> {
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let index = MONTHS.iter().position(|m| *m == v)?;
    Some(index as u64 + 1)
}

/// `HH:MM:SS` as seconds into the day; a leap second (`:60`) counts as
/// the last second of its minute.
fn time_of_day(v: &[u8]) -> Option<u64> {
    if v.get(2) != Some(&b':') || v.get(5) != Some(&b':') {
        return None;
    }
    let (h, m, s) = (
        digits(v.get(..2)?)?,
        digits(v.get(3..5)?)?,
        digits(v.get(6..8)?)?,
    );
    (h < 24 && m < 60 && s <= 60).then(|| h * 3600 + m * 60 + s.min(59))
}

/// Seconds since the epoch of a checked calendar date; 0 before 1970.
fn seconds(year: u64, month: u64, day: u64, time: u64) -> Option<u64> {
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day == 0 || day > days_in_month {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(u64::try_from(days).map_or(0, |d| d * 86_400 + time))
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`, the inverse of the one in `h1::date`), for years
/// 0 to 9999.
fn days_from_civil(year: u64, month: u64, day: u64) -> i64 {
    // March-based year, so the leap day ends it; years are at most 9999,
    // so every value below fits an i64.
    let y = year as i64 - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let year_of_era = y.rem_euclid(400);
    let m = month as i64;
    let day_of_year = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Two or four ASCII digits as a number.
fn digits(v: &[u8]) -> Option<u64> {
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(v.iter().fold(0, |n, &d| n * 10 + u64::from(d - b'0')))
}

fn space(v: &[u8], at: usize) -> Option<()> {
    (v.get(at) == Some(&b' ')).then_some(())
}

fn dash(v: &[u8], at: usize) -> Option<()> {
    (v.get(at) == Some(&b'-')).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-01-01T00:00:00Z.
    const NOW: u64 = 1_767_225_600;

    #[test]
    fn the_three_formats_of_the_rfc_example_are_the_same_instant() {
        // RFC 9110 §5.6.7's example, 784111777 by `date -u -d`.
        for text in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "  Sun, 06 Nov 1994 08:49:37 GMT\t",
        ] {
            assert_eq!(parse(text.as_bytes(), NOW), Some(784_111_777), "{text}");
        }
    }

    #[test]
    fn formatting_and_parsing_agree_across_leap_years_and_centuries() {
        for secs in [0, 951_782_400, 978_307_199, 1_709_251_199, 4_107_542_400] {
            assert_eq!(parse(format(secs).as_bytes(), NOW), Some(secs), "{secs}");
        }
    }

    #[test]
    fn rfc850_years_more_than_fifty_years_ahead_are_last_century() {
        let y2075 = parse(b"Tuesday, 01-Jan-75 00:00:00 GMT", NOW).unwrap();
        let y2077 = parse(b"Friday, 01-Jan-77 00:00:00 GMT", NOW).unwrap();
        assert_eq!(format(y2075), "Tue, 01 Jan 2075 00:00:00 GMT");
        assert_eq!(format(y2077), "Sat, 01 Jan 1977 00:00:00 GMT");
    }

    #[test]
    fn malformed_dates_are_none() {
        for text in [
            "",
            "yesterday",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 31 Feb 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT",
            "Sun, 00 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994",
            "1994-11-06T08:49:37Z",
        ] {
            assert_eq!(parse(text.as_bytes(), NOW), None, "{text:?}");
        }
    }

    #[test]
    fn a_leap_second_and_dates_before_the_epoch_are_clamped() {
        assert_eq!(
            parse(b"Sat, 31 Dec 2016 23:59:60 GMT", NOW),
            parse(b"Sat, 31 Dec 2016 23:59:59 GMT", NOW)
        );
        assert_eq!(parse(b"Fri, 01 Jan 1960 00:00:00 GMT", NOW), Some(0));
    }
}
