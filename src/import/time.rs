//! Times as exports write them: ISO 8601 / RFC 3339 and the space-separated form, read into
//! Unix microseconds (UTC) within the range every source is held to ([`MIN_TIME`]`..=`[`MAX_TIME`]).
//! A fast path for the common shapes; chrono validates anything else.

/// What the date fields accept, for error messages.
pub(super) const DATE_EXPECTED: &str = "an ISO 8601 time such as 2026-03-01T08:00:00Z, 2026-03-01T03:00:00-05:00 or 2026-03-01 08:00:00 (read as UTC), from 1900-01-01T00:00:00Z to 2999-12-31T23:59:59Z in UTC, with an offset of at most 14:00 and at most 6 digits after the second (Reckon keeps microseconds)";

/// The earliest instant read: 1900-01-01T00:00:00Z. The range is the years 1900 to 2999 of the
/// instant in UTC, whatever offset the text carries (`1900-01-01T00:00:00+01:00` is 1899 in UTC
/// and refused); any rendering of an accepted instant with an offset within ±14:00 still has
/// a four-digit year (1899 to 3000) and reads back. Unix microseconds.
pub const MIN_TIME: i64 = -2_208_988_800_000_000;
/// The latest instant read: 2999-12-31T23:59:59.999999Z (`2999-12-31T23:59:59-05:00` is 3000
/// in UTC and refused). Unix microseconds.
pub const MAX_TIME: i64 = 32_503_680_000_000_000 - 1;
/// The largest offset from UTC read (±14:00, the real world's range), in seconds.
pub const MAX_OFFSET_SECONDS: i32 = 14 * 3600;

/// Parses a timestamp as exports write it into Unix microseconds, UTC. `None` for anything
/// else, including instants outside [`MIN_TIME`]`..=`[`MAX_TIME`], offsets beyond ±14:00 and
/// fractions of a second finer than a microsecond (up to nine digits are read when those past
/// the sixth are zeros; others would be dropped silently, so the time is refused instead).
pub fn parse_time(text: &str) -> Option<i64> {
    // The common shapes as they come, before any trimming or looking for a fraction: the
    // fast path takes none with a fraction or with whitespace around it.
    if let Some(ts) = parse_time_fast(text.as_bytes()) {
        return Some(ts).filter(|ts| (MIN_TIME..=MAX_TIME).contains(ts));
    }
    if !keeps_fraction(text.trim()) {
        return None;
    }
    parse_time_any(text).filter(|ts| (MIN_TIME..=MAX_TIME).contains(ts))
}

/// Whether the fraction of a second in `text` (digits after its `.`, if any) is at most nine
/// digits, none but zeros past the sixth: what microseconds hold exactly.
fn keeps_fraction(text: &str) -> bool {
    let Some(dot) = text.find('.') else { return true };
    let digits = text[dot + 1..].bytes().take_while(u8::is_ascii_digit).count();
    digits <= 9 && text[dot + 1..].bytes().take(digits).skip(6).all(|b| b == b'0')
}

fn parse_time_any(text: &str) -> Option<i64> {
    let s = text.trim();
    parse_time_fast(s.as_bytes()).or_else(|| parse_time_general(s))
}

/// `s` (trimmed) by chrono: RFC 3339, with a space for the T, or without an offset (UTC).
fn parse_time_general(s: &str) -> Option<i64> {
    let within = |t: &chrono::DateTime<chrono::FixedOffset>| {
        t.offset().local_minus_utc().abs() <= MAX_OFFSET_SECONDS && t.timestamp_subsec_nanos() < 1_000_000_000
    };
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return within(&t).then(|| t.timestamp_micros());
    }
    // RFC 3339 with a space instead of the T, and an offset.
    if let Ok(t) = chrono::DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%:z") {
        return within(&t).then(|| t.timestamp_micros());
    }
    let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f"))
        .ok()?;
    let t = naive.and_utc();
    (t.timestamp_subsec_nanos() < 1_000_000_000).then(|| t.timestamp_micros())
}

/// The common shapes (`2026-03-01T08:00:00Z`, `…T03:00:00-05:00`, `2026-03-01 08:00:00`)
/// without a general parser; `None` sends anything else to chrono, which validates it fully.
fn parse_time_fast(b: &[u8]) -> Option<i64> {
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        b[range].iter().try_fold(0i64, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0')))
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&month)
        || day < 1
        || day > month_days[month as usize - 1]
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let offset = match &b[19..] {
        [] => 0,
        [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [*h1, *h2, *m1, *m2];
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let (h, m) =
                (i64::from(h1 - b'0') * 10 + i64::from(h2 - b'0'), i64::from(m1 - b'0') * 10 + i64::from(m2 - b'0'));
            let secs = h * 3600 + m * 60;
            if m > 59 || secs > i64::from(MAX_OFFSET_SECONDS) {
                return None;
            }
            if *sign == b'+' {
                secs
            } else {
                -secs
            }
        }
        _ => return None,
    };
    // Days from 1970-01-01 to the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + hour * 3600 + minute * 60 + second) - offset) * 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        /// The fast path reads what chrono reads, wherever it reads anything: digits and
        /// separators anywhere in range and out of it, a letter in place of a digit, each offset.
        #[test]
        fn the_fast_path_reads_what_chrono_reads(
            fields in (1890u32..3010, 0u32..14, 0u32..33, 0u32..25, 0u32..61, 0u32..61),
            sep in proptest::sample::select(vec!['T', ' ', 't', '_']),
            suffix in proptest::sample::select(vec!["", "Z", "z", "+05:30", "-14:00", "+14:01", "-03:60", "+0530", "Q"]),
            typo in proptest::option::of((0usize..19, proptest::sample::select(vec!['x', '/', ' ', '0']))),
        ) {
            let (y, mo, d, h, mi, se) = fields;
            let mut text: Vec<char> = format!("{y:04}-{mo:02}-{d:02}{sep}{h:02}:{mi:02}:{se:02}{suffix}").chars().collect();
            if let Some((i, c)) = typo {
                text[i] = c;
            }
            let text: String = text.into_iter().collect();
            if let Some(ts) = parse_time_fast(text.as_bytes()) {
                proptest::prop_assert_eq!(Some(ts), parse_time_general(&text), "{}", text);
            }
        }
    }

    #[test]
    fn times_in_every_accepted_shape() {
        let utc = parse_time("2026-03-01T08:00:00Z").unwrap();
        assert_eq!(parse_time("2026-03-01T03:00:00-05:00"), Some(utc));
        assert_eq!(parse_time("2026-03-01 08:00:00"), Some(utc));
        assert_eq!(parse_time("2026-03-01T08:00:00"), Some(utc));
        assert_eq!(parse_time("2026-03-01 09:00:00+01:00"), Some(utc));
        assert_eq!(parse_time("2026-03-01T08:00:00.250Z"), Some(utc + 250_000));
        assert_eq!(parse_time("01/03/2026 08:00"), None);
        assert_eq!(
            parse_time("2024-02-29T23:59:59+14:00"),
            Some(chrono::DateTime::parse_from_rfc3339("2024-02-29T23:59:59+14:00").unwrap().timestamp_micros())
        );
        assert_eq!(parse_time("1969-12-31T23:59:59Z"), Some(-1_000_000));
        assert_eq!(parse_time("2026-03-01T08:00:00+14:00"), Some(utc - 14 * 3_600_000_000));
        assert_eq!(parse_time("2025-02-29T08:00:00Z"), None);
        assert_eq!(parse_time("2026-03-01T24:00:00Z"), None);
        assert_eq!(parse_time("2026-03-01 08:00:00Z"), Some(utc));
        assert_eq!(parse_time("2026-02-30T08:00:00Z"), None);
    }

    /// Years 0000 and 9999 and offsets such as -23:59 used to be read, then exported as text
    /// that Reckon's own import refused (`+10000-01-01T...`).
    #[test]
    fn times_outside_the_documented_range_are_refused() {
        for text in [
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "9999-12-31T23:59:59-23:59",
            "2026-03-01T08:00:00-23:59",
            "2026-03-01T08:00:00+14:01",
            "2026-03-01 08:00:00-15:00",
            "1899-12-31T23:59:59Z",
            "1899-12-31T23:59:59.999999Z",
            "3000-01-01T00:00:00Z",
            "1900-01-01T00:00:00+00:01",
            "2999-12-31T23:59:59-05:00",
            "1900-01-01T00:00:00+14:00",
            "2999-12-31T23:59:59-14:00",
            "2026-03-01T23:59:60Z",
        ] {
            assert_eq!(parse_time(text), None, "{text}");
        }
        assert!(parse_time("1970-01-01T00:00:00Z").is_some());
    }

    /// The documented range's edges used to be refused: the range is the years 1900 to 2999
    /// of the instant in UTC, whatever the offset.
    #[test]
    fn the_edges_of_the_range_are_read() {
        assert_eq!(parse_time("1900-01-01T00:00:00Z"), Some(MIN_TIME));
        assert_eq!(parse_time("1900-01-01 00:00:00"), Some(MIN_TIME));
        assert_eq!(parse_time("1899-12-31T19:00:00-05:00"), Some(MIN_TIME));
        assert_eq!(parse_time("2999-12-31T23:59:59Z"), Some(MAX_TIME - 999_999));
        assert_eq!(parse_time("2999-12-31T23:59:59.999999Z"), Some(MAX_TIME));
        assert_eq!(parse_time("3000-01-01T04:59:59.999999+05:00"), Some(MAX_TIME));
        assert_eq!(parse_time("2999-12-31T23:59:59+14:00"), Some(MAX_TIME - 999_999 - 14 * 3_600_000_000));
    }

    /// Digits past a microsecond used to be dropped silently (`.1234567` read as `.123456`).
    #[test]
    fn fractions_finer_than_a_microsecond_are_refused_unless_zeros() {
        let second = parse_time("2026-03-01T08:00:00Z").unwrap();
        assert_eq!(parse_time("2026-03-01T08:00:00.123456Z"), Some(second + 123_456));
        assert_eq!(parse_time("2026-03-01T08:00:00.123456000Z"), Some(second + 123_456));
        assert_eq!(parse_time("2026-03-01 08:00:00.5000"), Some(second + 500_000));
        for text in [
            "2026-03-01T08:00:00.1234567Z",
            "2026-03-01T08:00:00.000000001Z",
            "2026-03-01T08:00:00.1234560000Z",
            "2026-03-01 08:00:00.9999999",
            "2026-03-01T03:00:00.0000005-05:00",
        ] {
            assert_eq!(parse_time(text), None, "{text}");
        }
    }

    /// Every accepted instant renders, in UTC and at ±14:00, as RFC 3339 that reads back.
    #[test]
    fn accepted_times_round_trip_in_every_zone() {
        for ts in [MIN_TIME, MAX_TIME, 0, MIN_TIME + 1, MAX_TIME - 1] {
            let utc = chrono::DateTime::from_timestamp_micros(ts).unwrap();
            for offset in [-MAX_OFFSET_SECONDS, 0, MAX_OFFSET_SECONDS] {
                let zone = chrono::FixedOffset::east_opt(offset).unwrap();
                let text = utc.with_timezone(&zone).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
                assert_eq!(parse_time(&text), Some(ts), "{text}");
            }
        }
    }
}
