//! The usage views of a workspace's credit usage records page (product-docs/001): usage per
//! conversation, API key, import type, billing type and user, over the last 7 days, 30 days,
//! 3 months or a custom range, sorted by most recent or most credits. `reckon summary` and
//! the app's Ledger screen both read them from here.

use std::str::FromStr;

use crate::store::{GroupBy, SummaryRow};

/// One of the page's views: how it groups, and which tabs' usage it totals.
#[derive(Debug)]
pub struct View {
    /// As `reckon summary --by` takes it (`api-key`).
    pub key: &'static str,
    /// For people (`API key`).
    pub title: &'static str,
    /// The dimension it groups by; `None`: the conversation (its transaction ID, revisions
    /// counted with it).
    pub dimension: Option<&'static str>,
    /// The types (tabs) it totals.
    pub types: &'static [&'static str],
}

impl View {
    pub fn group_by(&self) -> GroupBy {
        match self.dimension {
            Some(key) => GroupBy::Label(key.to_string()),
            None => GroupBy::Transaction,
        }
    }
}

const USAGE: &[&str] = &["CONVERSATION", "MCP_CALL", "IMPORT_TASK"];

/// The page's views, in its order.
pub static VIEWS: [View; 5] = [
    View { key: "conversation", title: "Conversation", dimension: None, types: &["CONVERSATION"] },
    View { key: "billing-type", title: "Billing type", dimension: Some("usage_type"), types: &["CONVERSATION"] },
    View { key: "api-key", title: "API key", dimension: Some("api_key"), types: &["MCP_CALL"] },
    View { key: "import-type", title: "Import type", dimension: Some("usage_type"), types: &["IMPORT_TASK"] },
    View { key: "user", title: "User", dimension: Some("user"), types: USAGE },
];

/// The view called `key` (`api_key` is read as `api-key`).
pub fn view(key: &str) -> Option<&'static View> {
    let key = key.trim().replace('_', "-");
    VIEWS.iter().find(|v| v.key == key)
}

/// A span counted back from the newest entry (not the clock: an export is a snapshot).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    Days(u32),
    Months(u32),
}

impl FromStr for Span {
    type Err = String;

    /// `7d`, `2w`, `3m`.
    fn from_str(text: &str) -> Result<Span, String> {
        let t = text.trim().to_ascii_lowercase();
        let expected = || format!("{text:?}: expected a span such as 7d, 30d, 2w or 3m");
        let (n, unit) = t.split_at(t.len().saturating_sub(1));
        let n: u32 = n.parse().map_err(|_| expected())?;
        match unit {
            "d" if (1..=36_600).contains(&n) => Ok(Span::Days(n)),
            "w" if (1..=5_200).contains(&n) => Ok(Span::Days(n * 7)),
            "m" if (1..=1_200).contains(&n) => Ok(Span::Months(n)),
            _ => Err(expected()),
        }
    }
}

impl Span {
    /// The first instant of the span that ends at `newest` (Unix microseconds).
    pub fn start(self, newest: i64) -> i64 {
        let end = chrono::DateTime::from_timestamp_micros(newest).unwrap_or_default();
        let start = match self {
            Span::Days(n) => end - chrono::Duration::days(i64::from(n)),
            Span::Months(n) => end.checked_sub_months(chrono::Months::new(n)).unwrap_or(end),
        };
        start.timestamp_micros()
    }
}

/// The orders the page offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// By group, as the store gives them.
    #[default]
    Key,
    /// Newest entry first.
    Recent,
    /// Most credits used first.
    Credits,
}

impl Sort {
    pub fn apply(self, rows: &mut [SummaryRow]) {
        match self {
            Sort::Key => {}
            Sort::Recent => rows.sort_by(|a, b| b.latest.cmp(&a.latest).then_with(|| a.key.cmp(&b.key))),
            Sort::Credits => {
                rows.sort_by(|a, b| a.totals.credits_out.cmp(&b.totals.credits_out).then_with(|| a.key.cmp(&b.key)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_and_count_back_from_the_newest_entry() {
        assert_eq!("7d".parse(), Ok(Span::Days(7)));
        assert_eq!("2W".parse(), Ok(Span::Days(14)));
        assert_eq!("3m".parse(), Ok(Span::Months(3)));
        assert!("0d".parse::<Span>().is_err() && "7".parse::<Span>().is_err() && "7x".parse::<Span>().is_err());
        let may_31 = chrono::DateTime::parse_from_rfc3339("2026-05-31T12:00:00Z").unwrap().timestamp_micros();
        let feb_28 = chrono::DateTime::parse_from_rfc3339("2026-02-28T12:00:00Z").unwrap().timestamp_micros();
        assert_eq!(Span::Months(3).start(may_31), feb_28, "a calendar month back, clamped to the month's end");
        assert_eq!(Span::Days(1).start(may_31), may_31 - 86_400_000_000);
    }

    #[test]
    fn views_are_found_by_the_pages_names() {
        assert_eq!(view("api_key").map(|v| v.title), Some("API key"));
        assert_eq!(view("conversation").map(View::group_by), Some(GroupBy::Transaction));
        assert!(view("model").is_none());
    }
}
