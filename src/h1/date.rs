//! The `date` field value (RFC 9110 §5.6.7 IMF-fixdate, e.g.
//! `Sun, 06 Nov 1994 08:49:37 GMT`), formatted without a calendar crate
//! and cached so a busy worker formats it once per second, not once per
//! response.
//!
//! The clock is not read here: the worker passes `now`.

use std::time::{SystemTime, UNIX_EPOCH};

/// Length of an IMF-fixdate.
const LEN: usize = 29;

/// The last second formatted, and its text.
#[derive(Clone, Debug)]
pub struct DateCache {
    second: u64,
    text: [u8; LEN],
}

impl DateCache {
    /// A cache holding the date for `now`.
    pub fn new(now: SystemTime) -> Self {
        let second = unix_seconds(now);
        DateCache {
            second,
            text: imf_fixdate(second),
        }
    }

    /// The IMF-fixdate for `now`, reformatted only when its second
    /// differs from the last call's.
    pub fn get(&mut self, now: SystemTime) -> &[u8] {
        let second = unix_seconds(now);
        if second != self.second {
            self.second = second;
            self.text = imf_fixdate(second);
        }
        &self.text
    }
}

/// Whole seconds since the epoch, clamped to the years IMF-fixdate can
/// spell (1970 through 9999).
fn unix_seconds(now: SystemTime) -> u64 {
    /// 9999-12-31T23:59:59Z
    const LAST: u64 = 253_402_300_799;
    now.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
        .min(LAST)
}

/// Formats `secs` (at most year 9999) as an IMF-fixdate.
pub fn imf_fixdate(secs: u64) -> [u8; LEN] {
    const DAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let days = secs / 86_400;
    let in_day = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    let mut out = *b"Thu, 01 Jan 1970 00:00:00 GMT";
    // 1970-01-01 was a Thursday, DAYS[0]; `% 7` and `month - 1 < 12`
    // keep both indexes in range.
    out[..3].copy_from_slice(DAYS[(days % 7) as usize]);
    two_digits(&mut out[5..7], day);
    out[8..11].copy_from_slice(MONTHS[(month - 1) as usize]);
    two_digits(&mut out[12..14], year / 100);
    two_digits(&mut out[14..16], year % 100);
    two_digits(&mut out[17..19], in_day / 3600);
    two_digits(&mut out[20..22], in_day / 60 % 60);
    two_digits(&mut out[23..25], in_day % 60);
    out
}

fn two_digits(out: &mut [u8], value: u64) {
    out[0] = b'0' + (value / 10 % 10) as u8;
    out[1] = b'0' + (value % 10) as u8;
}

/// Year, month (1-12) and day (1-31) of the `days`-th day after
/// 1970-01-01: Howard Hinnant's `civil_from_days`, for non-negative days,
/// in eras of 400 years (146 097 days) starting on March 1st. Also used by
/// the access log's timestamps.
pub(crate) fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // Shift the epoch to 0000-03-01, so leap days fall at era year end.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097; // [0, 146096]
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365; // [0, 399]
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100); // [0, 365]
    let mp = (5 * day_of_year + 2) / 153; // [0, 11], March-based month
    let day = day_of_year - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn known_dates_format_as_imf_fixdate() {
        // Vectors checked with `date -u -d @SECS '+%a, %d %b %Y %H:%M:%S GMT'`.
        let vectors: [(u64, &str); 8] = [
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
            (978_307_199, "Sun, 31 Dec 2000 23:59:59 GMT"),
            (1_709_251_199, "Thu, 29 Feb 2024 23:59:59 GMT"),
            (4_107_542_400, "Mon, 01 Mar 2100 00:00:00 GMT"),
            (2_147_483_647, "Tue, 19 Jan 2038 03:14:07 GMT"),
            (253_402_300_799, "Fri, 31 Dec 9999 23:59:59 GMT"),
        ];
        for (secs, expected) in vectors {
            assert_eq!(
                std::str::from_utf8(&imf_fixdate(secs)).unwrap(),
                expected,
                "{secs}"
            );
        }
    }

    #[test]
    fn cache_changes_only_when_the_second_does() {
        let mut cache = DateCache::new(at(784_111_777));
        let later_same_second = at(784_111_777) + Duration::from_millis(999);
        assert_eq!(
            cache.get(later_same_second),
            b"Sun, 06 Nov 1994 08:49:37 GMT"
        );
        assert_eq!(cache.get(at(784_111_778)), b"Sun, 06 Nov 1994 08:49:38 GMT");
    }

    #[test]
    fn times_outside_the_format_are_clamped() {
        let mut cache = DateCache::new(UNIX_EPOCH - Duration::from_secs(10));
        assert_eq!(
            cache.get(UNIX_EPOCH - Duration::from_secs(1)),
            b"Thu, 01 Jan 1970 00:00:00 GMT"
        );
        assert_eq!(
            cache.get(at(u64::MAX / 2)),
            b"Fri, 31 Dec 9999 23:59:59 GMT"
        );
    }
}
