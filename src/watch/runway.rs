//! Runway (pure): at the net burn of the last 30 days before a ledger's newest entry, the
//! moment its balance runs out. Exact decimal arithmetic; the clock is never read (the newest
//! entry is the "now" the balance is stated at).

use rust_decimal::{Decimal, RoundingStrategy};

/// How far back the burn is measured from the newest entry.
pub const WINDOW_DAYS: i64 = 30;

const DAY: i64 = 86_400_000_000;

/// Money moved over the window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Burn {
    /// Added in the window (zero or more).
    pub credits_in: Decimal,
    /// Spent in the window (zero or less).
    pub credits_out: Decimal,
    /// Unix microseconds the window covers: from the later of 30 days before the newest entry
    /// and the oldest entry, to the newest entry.
    pub from: i64,
    pub to: i64,
}

impl Burn {
    /// The window for a ledger whose entries run from `first` to `last` (Unix microseconds):
    /// `[last - 30 days, last]`, cut to `first` for a younger ledger. The sums are the
    /// caller's, over the same span.
    pub fn window(first: i64, last: i64) -> (i64, i64) {
        (last.saturating_sub(WINDOW_DAYS * DAY).max(first.min(last)), last)
    }

    /// Net change over the window: negative when more was spent than added.
    pub fn net(&self) -> Decimal {
        self.credits_in + self.credits_out
    }
}

/// When a balance runs out at the window's net burn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runway {
    /// The balance grew or stayed flat over the window: it does not run out at this rate.
    NoRunway { net: Decimal },
    /// The balance is already at or below zero.
    Exhausted,
    /// Spending more than is added: the balance reaches zero at `at`.
    RunsOut {
        /// Net spent a day, positive, rounded to six decimal places (micro-credits) for
        /// showing; `at` is computed from the exact figures.
        daily_burn: Decimal,
        /// Unix microseconds when the balance reaches zero; `None` past the year 9999.
        at: Option<i64>,
    },
}

/// The runway of `balance` (as of `burn.to`, the newest entry) at `burn`'s net rate. The daily
/// rate is the net over the window's length in days, counted as at least one day (a ledger
/// whose entries all fall on one moment).
pub fn runway(balance: Decimal, burn: &Burn) -> Runway {
    if balance <= Decimal::ZERO {
        return Runway::Exhausted;
    }
    let net = burn.net();
    if net >= Decimal::ZERO {
        return Runway::NoRunway { net };
    }
    let spent = -net;
    let span = (burn.to - burn.from).max(DAY);
    let daily_burn = (spent * Decimal::from(DAY) / Decimal::from(span))
        .round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero);
    // balance / (spent / span) micros after the newest entry: multiply first, then divide,
    // so the only rounding is rust_decimal's 28 significant digits, far below a microsecond.
    let until = balance
        .checked_mul(Decimal::from(span))
        .and_then(|m| m.checked_div(spent))
        .map(|d| d.floor())
        .and_then(|d| i64::try_from(d).ok())
        .and_then(|micros| burn.to.checked_add(micros))
        .filter(|&at| at <= LAST_MICRO);
    Runway::RunsOut { daily_burn, at: until }
}

/// The day (UTC) a time falls on, `2026-04-30`.
pub fn day(ts: i64) -> String {
    chrono::DateTime::from_timestamp_micros(ts).map_or_else(|| ts.to_string(), |t| t.format("%Y-%m-%d").to_string())
}

impl Runway {
    /// A sentence for people (reports, the CLI, the app): "At the last 30 days' net burn of
    /// 10.00 a day, the balance runs out on 2026-04-30."
    pub fn sentence(&self) -> String {
        match self {
            Runway::RunsOut { daily_burn, at: Some(at) } => format!(
                "At the last {WINDOW_DAYS} days' net burn of {} a day, the balance runs out on {}.",
                crate::money::format(*daily_burn),
                day(*at)
            ),
            Runway::RunsOut { daily_burn, at: None } => format!(
                "At the last {WINDOW_DAYS} days' net burn of {} a day, the balance lasts past the year 9999.",
                crate::money::format(*daily_burn)
            ),
            Runway::NoRunway { net } => format!(
                "Over the last {WINDOW_DAYS} days the balance changed by {}: at that rate it does not run out.",
                crate::money::format_signed(*net)
            ),
            Runway::Exhausted => "The balance is at or below zero: it has run out.".into(),
        }
    }
}

/// 9999-12-31T23:59:59.999999Z.
const LAST_MICRO: i64 = 253_402_300_799_999_999;

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn ts(text: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(text).unwrap().timestamp_micros()
    }

    #[test]
    fn ten_a_day_from_three_hundred_runs_out_thirty_days_after_the_newest_entry() {
        let to = ts("2026-03-31T12:00:00Z");
        let (from, to) = Burn::window(ts("2025-01-01T00:00:00Z"), to);
        assert_eq!(from, ts("2026-03-01T12:00:00Z"));
        let burn = Burn { credits_in: d("100"), credits_out: d("-400"), from, to };
        let Runway::RunsOut { daily_burn, at } = runway(d("300"), &burn) else {
            panic!("{:?}", runway(d("300"), &burn))
        };
        assert_eq!(daily_burn, d("10"));
        assert_eq!(at, Some(ts("2026-04-30T12:00:00Z")));
        assert_eq!(
            runway(d("300"), &burn).sentence(),
            "At the last 30 days' net burn of 10.00 a day, the balance runs out on 2026-04-30."
        );
    }

    #[test]
    fn a_burn_that_does_not_divide_evenly_lands_on_the_exact_microsecond() {
        // 100 spent over 30 days: 3.333333... a day; 50 lasts 15 days exactly.
        let (from, to) = (ts("2026-03-01T00:00:00Z"), ts("2026-03-31T00:00:00Z"));
        let burn = Burn { credits_in: Decimal::ZERO, credits_out: d("-100"), from, to };
        let Runway::RunsOut { daily_burn, at } = runway(d("50"), &burn) else { panic!() };
        assert_eq!(daily_burn, d("3.333333"));
        assert_eq!(at, Some(ts("2026-04-15T00:00:00Z")));
        // One micro-credit more lasts a little longer, never less.
        let Runway::RunsOut { at: later, .. } = runway(d("50.000001"), &burn) else { panic!() };
        assert!(later.unwrap() > at.unwrap());
    }

    #[test]
    fn a_growing_or_flat_balance_has_no_runway() {
        let (from, to) = (ts("2026-03-01T00:00:00Z"), ts("2026-03-31T00:00:00Z"));
        let growing = Burn { credits_in: d("500"), credits_out: d("-499.99"), from, to };
        assert_eq!(runway(d("10"), &growing), Runway::NoRunway { net: d("0.01") });
        let flat = Burn { credits_in: d("20"), credits_out: d("-20"), from, to };
        assert_eq!(runway(d("10"), &flat), Runway::NoRunway { net: Decimal::ZERO });
    }

    #[test]
    fn no_entries_in_the_window_is_flat() {
        let (from, to) = Burn::window(ts("2026-03-31T00:00:00Z"), ts("2026-03-31T00:00:00Z"));
        assert_eq!(from, to, "a ledger of one moment");
        let burn = Burn { from, to, ..Burn::default() };
        assert_eq!(runway(d("10"), &burn), Runway::NoRunway { net: Decimal::ZERO });
    }

    #[test]
    fn a_young_ledger_burns_over_its_own_span_of_at_least_a_day() {
        // Ten days old: 100 spent is 10 a day, not 100/30.
        let (from, to) = Burn::window(ts("2026-03-21T00:00:00Z"), ts("2026-03-31T00:00:00Z"));
        let burn = Burn { credits_in: Decimal::ZERO, credits_out: d("-100"), from, to };
        assert_eq!(
            runway(d("20"), &burn),
            Runway::RunsOut { daily_burn: d("10"), at: Some(ts("2026-04-02T00:00:00Z")) }
        );
        // All on one moment: counted as one day.
        let burn = Burn { credits_in: Decimal::ZERO, credits_out: d("-5"), from: to, to };
        assert_eq!(
            runway(d("20"), &burn),
            Runway::RunsOut { daily_burn: d("5"), at: Some(ts("2026-04-04T00:00:00Z")) }
        );
    }

    #[test]
    fn a_balance_at_or_below_zero_is_exhausted_and_a_far_date_is_past_the_calendar() {
        let (from, to) = (ts("2026-03-01T00:00:00Z"), ts("2026-03-31T00:00:00Z"));
        let burn = Burn { credits_in: Decimal::ZERO, credits_out: d("-0.000001"), from, to };
        assert_eq!(runway(Decimal::ZERO, &burn), Runway::Exhausted);
        assert_eq!(runway(d("-3"), &burn), Runway::Exhausted);
        let Runway::RunsOut { daily_burn, at } = runway(d("1000000000"), &burn) else { panic!() };
        assert_eq!((daily_burn, at), (Decimal::ZERO, None), "1e9 at 0.000001 a month outlasts year 9999");
    }
}
