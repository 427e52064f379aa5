//! Credit amounts: parsing what real exports write (`+1,000.00`, `−0.35`) and the fixed-point
//! units the store keeps. Money is `rust_decimal::Decimal` in memory and whole micro-credits
//! (scale 6, `i64`) in SQLite, so sums in SQL stay exact. No `f64` ever touches an amount.

use rust_decimal::Decimal;

/// Decimal places the store keeps; an amount with more is rejected, never rounded.
pub const SCALE: u32 = 6;
const UNIT: i64 = 1_000_000;

/// The largest magnitude, in whole credits, of an amount or balance Reckon reads (10^9).
pub const MAX_CREDITS: i64 = 1_000_000_000;
/// [`MAX_CREDITS`] in micro-credits.
pub const MAX_UNITS: i64 = MAX_CREDITS * UNIT;

/// Why a text is not an amount. The message completes "expected ...".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Nothing but whitespace.
    #[error("a number, found an empty value")]
    Empty,
    /// A character that has no place in a number.
    #[error("a decimal number such as -0.35, +200 or 1,000.00 (found {0:?})")]
    Invalid(char),
    /// Thousands separators in the wrong place, e.g. `1,00`.
    #[error("thousands separators every three digits, as in 1,000.00")]
    Grouping,
    /// More decimal places than the store keeps.
    #[error("at most {SCALE} decimal places")]
    TooPrecise,
    /// Beyond [`MAX_CREDITS`] either way: no real ledger entry or balance comes near it, and
    /// the limit keeps a block's totals (4096 entries) far inside `i64` micro-credits.
    #[error("an amount of at most 1,000,000,000 credits either way")]
    TooLarge,
}

/// Parses a signed decimal as exports write it: optional `+`, `-` or U+2212 minus, optional
/// thousands commas in groups of three, optional fraction. Returns micro-credits.
pub fn parse_units(text: &str) -> Result<i64, AmountError> {
    let units = match parse_plain(text.as_bytes()) {
        Some(units) => units,
        None => parse_general(text)?,
    };
    if units.abs() > MAX_UNITS {
        return Err(AmountError::TooLarge);
    }
    Ok(units)
}

/// The shape nearly every export writes, `[+-]digits[.digits]` with at most 12 whole digits and
/// 6 decimals, in one pass over the bytes; `None` for anything else (separators, U+2212, errors),
/// which `parse_general` then handles and explains.
fn parse_plain(b: &[u8]) -> Option<i64> {
    let b = b.trim_ascii();
    let (negative, b) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    let (whole, frac) = match b.iter().position(|&c| c == b'.') {
        Some(dot) => (&b[..dot], &b[dot + 1..]),
        None => (b, &b[b.len()..]),
    };
    if whole.len() > 12 || frac.len() > SCALE as usize || (whole.is_empty() && frac.is_empty()) {
        return None;
    }
    let digits = |d: &[u8], start: i64| {
        d.iter().try_fold(start, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0')))
    };
    let units = digits(frac, digits(whole, 0)?)? * 10_i64.pow(SCALE - frac.len() as u32);
    Some(if negative { -units } else { units })
}

fn parse_general(text: &str) -> Result<i64, AmountError> {
    let s = text.trim();
    if s.is_empty() {
        return Err(AmountError::Empty);
    }
    let (negative, digits) = if let Some(rest) = s.strip_prefix('-') {
        (true, rest)
    } else if let Some(rest) = s.strip_prefix('\u{2212}') {
        (true, rest)
    } else if let Some(rest) = s.strip_prefix('+') {
        (false, rest)
    } else {
        (false, s)
    };
    let (int_part, frac_part) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    if int_part.is_empty() && frac_part.is_none_or(str::is_empty) {
        return Err(AmountError::Empty);
    }
    let mut whole: i64 = 0;
    if int_part.contains(',') {
        let mut groups = int_part.split(',');
        let first = groups.next().unwrap_or("");
        if first.is_empty() || first.len() > 3 {
            return Err(AmountError::Grouping);
        }
        whole = digits_value(first, whole)?;
        for group in groups {
            if group.len() != 3 {
                return Err(AmountError::Grouping);
            }
            whole = digits_value(group, whole)?;
        }
    } else {
        whole = digits_value(int_part, whole)?;
    }
    let mut frac: i64 = 0;
    if let Some(f) = frac_part {
        if f.len() > SCALE as usize {
            if let Some(c) = f.chars().find(|c| !c.is_ascii_digit()) {
                return Err(AmountError::Invalid(c));
            }
            return Err(AmountError::TooPrecise);
        }
        frac = digits_value(f, 0)?;
        frac *= 10_i64.pow(SCALE - f.len() as u32);
    }
    let units = whole.checked_mul(UNIT).and_then(|w| w.checked_add(frac)).ok_or(AmountError::TooLarge)?;
    Ok(if negative { -units } else { units })
}

fn digits_value(digits: &str, start: i64) -> Result<i64, AmountError> {
    let mut value = start;
    for c in digits.chars() {
        let d = c.to_digit(10).ok_or(AmountError::Invalid(c))?;
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(d)))
            .filter(|v| *v < i64::MAX / UNIT)
            .ok_or(AmountError::TooLarge)?;
    }
    Ok(value)
}

/// Parses an amount into a `Decimal`.
pub fn parse(text: &str) -> Result<Decimal, AmountError> {
    parse_units(text).map(from_units)
}

/// Micro-credits as a `Decimal`.
pub fn from_units(units: i64) -> Decimal {
    Decimal::new(units, SCALE)
}

/// A `Decimal` as micro-credits; `None` when it has more than six decimal places or is too large.
pub fn to_units(value: Decimal) -> Option<i64> {
    let scaled = value.checked_mul(Decimal::from(UNIT))?;
    if scaled.fract() != Decimal::ZERO {
        return None;
    }
    i64::try_from(scaled.trunc()).ok()
}

/// The canonical text of an amount: at least two decimals, no trailing zeros beyond them, no
/// thousands separators, `-` for negatives (`-0.35`, `200.00`, `0.125`).
pub fn format(value: Decimal) -> String {
    let mut v = value.normalize();
    if v.scale() < 2 {
        v.rescale(2);
    }
    if v.is_zero() {
        v.set_sign_positive(true);
    }
    v.to_string()
}

/// `format` with an explicit `+` on positive amounts, as ledgers show credits.
pub fn format_signed(value: Decimal) -> String {
    if value > Decimal::ZERO {
        format!("+{}", format(value))
    } else {
        format(value)
    }
}

/// `format` of micro-credits.
pub fn format_units(units: i64) -> String {
    format(from_units(units))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-pass path must agree with the general one on everything it accepts, and leave
    /// everything else (and every error) to it.
    #[test]
    fn the_plain_path_agrees_with_the_general_one() {
        let mut texts: Vec<String> = [
            "0",
            "-0",
            "+0",
            "1",
            "1.",
            ".5",
            "-.5",
            "+.000001",
            "12.345678",
            "-0.35",
            "+200",
            " 7.25 ",
            "\t-3\r",
            "999999999999.999999",
            "-999999999999.999999",
            "1000000000000",
            "9223372036854",
            "1.2345678",
            "",
            "-",
            "+",
            ".",
            "-.",
            "1.2.3",
            "1,000.00",
            "\u{2212}0.35",
            "12a",
            "1e5",
            "--1",
            "+-1",
            " ",
            "0x10",
            "\u{a0}5",
            "5\u{a0}",
            "１２",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Every short string over a small alphabet.
        let alphabet = ['0', '9', '.', '-', '+', ' ', ',', 'x'];
        let mut frontier = vec![String::new()];
        for _ in 0..4 {
            frontier = frontier.iter().flat_map(|p| alphabet.iter().map(move |c| format!("{p}{c}"))).collect();
            texts.extend(frontier.iter().cloned());
        }
        let mut plain = 0;
        for t in &texts {
            if let Some(units) = parse_plain(t.as_bytes()) {
                plain += 1;
                assert_eq!(Ok(units), parse_general(t), "{t:?}");
            }
            let general =
                parse_general(t).and_then(|u| if u.abs() > MAX_UNITS { Err(AmountError::TooLarge) } else { Ok(u) });
            assert_eq!(parse_units(t), general, "{t:?}");
        }
        assert!(plain > 250, "the plain path took only {plain} of {} texts", texts.len());
        assert_eq!(parse_plain(b"-12.5"), Some(-12_500_000));
        assert_eq!(parse_plain(b"1,000.00"), None);
    }

    #[test]
    fn parses_what_exports_write() {
        assert_eq!(parse_units("+200"), Ok(200_000_000));
        assert_eq!(parse_units("-120"), Ok(-120_000_000));
        assert_eq!(parse_units("-0.35"), Ok(-350_000));
        assert_eq!(parse_units("+1,000.00"), Ok(1_000_000_000));
        assert_eq!(parse_units("\u{2212}1.36"), Ok(-1_360_000));
        assert_eq!(parse_units(" 12,345,678.5 "), Ok(12_345_678_500_000));
        assert_eq!(parse_units(".5"), Ok(500_000));
        assert_eq!(parse_units("0.000001"), Ok(1));
    }

    #[test]
    fn rejects_what_is_not_an_amount() {
        assert_eq!(parse_units(""), Err(AmountError::Empty));
        assert_eq!(parse_units("-"), Err(AmountError::Empty));
        assert_eq!(parse_units("12a"), Err(AmountError::Invalid('a')));
        assert_eq!(parse_units("1,00"), Err(AmountError::Grouping));
        assert_eq!(parse_units("1234,567"), Err(AmountError::Grouping));
        assert_eq!(parse_units("0.0000001"), Err(AmountError::TooPrecise));
        assert_eq!(parse_units("99999999999999999"), Err(AmountError::TooLarge));
        assert_eq!(parse_units("1.2.3"), Err(AmountError::Invalid('.')));
    }

    #[test]
    fn amounts_stop_at_a_billion_credits() {
        assert_eq!(parse_units("1,000,000,000"), Ok(MAX_UNITS));
        assert_eq!(parse_units("-1000000000.000000"), Ok(-MAX_UNITS));
        assert_eq!(parse_units("1000000000.000001"), Err(AmountError::TooLarge));
        assert_eq!(parse_units("-999999999999"), Err(AmountError::TooLarge));
        assert_eq!(parse_units("+1,000,000,001"), Err(AmountError::TooLarge));
    }

    #[test]
    fn formats_canonically() {
        assert_eq!(format_units(200_000_000), "200.00");
        assert_eq!(format_units(-350_000), "-0.35");
        assert_eq!(format_units(125_000), "0.125");
        assert_eq!(format_units(0), "0.00");
        assert_eq!(format_signed(from_units(1_360_000)), "+1.36");
        assert_eq!(to_units(from_units(-1_360_000)), Some(-1_360_000));
        assert_eq!(to_units(Decimal::new(1, 7)), None);
    }
}
