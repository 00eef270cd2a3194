//! SigV4 timestamps: ISO 8601 basic format (`20261201T120000Z`) to and from
//! Unix seconds, and the RFC 7231 `Date` header as an alternative.

use std::time::{Duration, UNIX_EPOCH};

/// A request's signing time, as Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Parses `YYYYMMDDTHHMMSSZ` strictly (16 characters, digits where digits
    /// belong, fields in range).
    pub fn parse_basic(text: &str) -> Option<Timestamp> {
        let b = text.as_bytes();
        if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
            return None;
        }
        let num = |range: std::ops::Range<usize>| -> Option<i64> {
            let s = &b[range];
            if !s.iter().all(u8::is_ascii_digit) {
                return None;
            }
            Some(s.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0')))
        };
        let (year, month, day) = (num(0..4)?, num(4..6)?, num(6..8)?);
        let (hour, minute, second) = (num(9..11)?, num(11..13)?, num(13..15)?);
        if !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return None;
        }
        let days = days_from_civil(year, month, day);
        Some(Timestamp(days * 86_400 + hour * 3600 + minute * 60 + second))
    }

    /// Parses an HTTP `Date` header (IMF-fixdate and the two obsolete
    /// forms), and the RFC 2822 `-0000`/`+0000` zone that Python's
    /// `email.utils.formatdate` (botocore) writes for GMT.
    pub fn parse_http_date(text: &str) -> Option<Timestamp> {
        let text = text.trim();
        let gmt;
        let text = match text.strip_suffix(" -0000").or_else(|| text.strip_suffix(" +0000")) {
            Some(head) => {
                gmt = format!("{head} GMT");
                gmt.as_str()
            }
            None => text,
        };
        let time = httpdate::parse_http_date(text).ok()?;
        let secs = time.duration_since(UNIX_EPOCH).ok()?.as_secs();
        i64::try_from(secs).ok().map(Timestamp)
    }

    /// `YYYYMMDDTHHMMSSZ`.
    pub fn to_basic(self) -> String {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` (`aws:CurrentTime`, STS expirations).
    pub fn to_iso8601(self) -> String {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }

    pub fn plus(self, seconds: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(seconds))
    }
}

/// Where "now" comes from; injectable so that skew and expiry are testable.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let secs = std::time::SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs();
        Timestamp(i64::try_from(secs).unwrap_or(i64::MAX))
    }
}

/// A clock stopped at one instant.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_format_round_trips() {
        for text in [
            "19700101T000000Z",
            "20261201T120000Z",
            "20240229T235959Z",
            "21000301T000001Z",
        ] {
            let t = Timestamp::parse_basic(text).unwrap();
            assert_eq!(t.to_basic(), text);
        }
        assert_eq!(Timestamp::parse_basic("19700101T000100Z"), Some(Timestamp(60)));
    }

    #[test]
    fn malformed_basic_dates_are_refused() {
        for text in [
            "",
            "20261201T120000",
            "2026-12-01T12:00:00Z",
            "20261301T000000Z",
            "20230229T000000Z",
            "2026120xT000000Z",
            "20261201T240000Z",
        ] {
            assert_eq!(Timestamp::parse_basic(text), None, "{text}");
        }
    }

    #[test]
    fn http_dates_parse() {
        let t = Timestamp::parse_http_date("Tue, 01 Dec 2026 12:00:00 GMT").unwrap();
        assert_eq!(t.to_basic(), "20261201T120000Z");
        let t = Timestamp::parse_http_date("Tue, 01 Dec 2026 12:00:00 -0000").unwrap();
        assert_eq!(t.to_basic(), "20261201T120000Z");
    }
}
