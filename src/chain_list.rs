//! The list of ledgers: every chain a check walked with its entries, balance and open findings,
//! filtered, sorted and paged. `reckon chains` and the app's Ledgers screen both list through
//! [`list`], so a customer base of 100,000 chains is never sent or printed whole.

use std::cmp::Ordering;

use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use crate::check::CheckReport;
use crate::model::Severity;
use crate::store::ChainInfo;

/// How the list is ordered. Numbers sort largest first; ties, and `Account`, by account then
/// currency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ChainSort {
    #[default]
    Account,
    /// Open findings (errors, then warnings, break ties), most first.
    Findings,
    /// The ledger's balance (stated by its entries, else rebuilt from its anchors), largest
    /// first; a ledger with neither last.
    Balance,
    Entries,
}

/// Which chains, in what order, which page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainQuery {
    /// Only chains with an open (unexplained) finding.
    pub with_findings: bool,
    pub sort: ChainSort,
    /// Chains whose account contains this text, ignoring case; empty: every chain.
    pub search: String,
    pub offset: usize,
    /// `None`: every chain from `offset` on.
    pub limit: Option<usize>,
}

/// One chain of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainRow<'r> {
    pub chain: &'r ChainInfo,
    /// The balance at its end: its newest entry's, else the one rebuilt from its anchors.
    pub balance: Option<Decimal>,
    /// Whether `balance` was rebuilt from anchors (the entries state none).
    pub rebuilt: bool,
    pub open_errors: u64,
    pub open_warnings: u64,
    /// Findings marked as explained.
    pub explained: u64,
}

impl ChainRow<'_> {
    pub fn open_findings(&self) -> u64 {
        self.open_errors + self.open_warnings
    }
}

/// A page of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainPage<'r> {
    pub rows: Vec<ChainRow<'r>>,
    /// Chains that match the filter and the search (the list's length, all pages).
    pub total: usize,
    /// Chains in the report, matching or not.
    pub chains: usize,
}

/// The chains of `report` that `query` asks for: each chain's findings counted in one pass
/// over the findings, then filtered, sorted and cut to the page.
pub fn list<'r>(report: &'r CheckReport, query: &ChainQuery) -> ChainPage<'r> {
    let mut counts: FxHashMap<i64, [u64; 3]> = FxHashMap::default();
    for f in &report.findings {
        let c = counts.entry(f.chain_id).or_default();
        match (f.is_open(), f.finding.severity()) {
            (false, _) => c[2] += 1,
            (true, Severity::Error) => c[0] += 1,
            (true, _) => c[1] += 1,
        }
    }
    let needle = query.search.trim().to_lowercase();
    let mut rows: Vec<ChainRow<'r>> = report
        .chains
        .iter()
        .filter(|c| needle.is_empty() || contains_folded(&c.key.account, &needle))
        .map(|chain| {
            let [open_errors, open_warnings, explained] = counts.get(&chain.id).copied().unwrap_or_default();
            let rebuilt = report.rebuilt.get(&chain.id).copied();
            ChainRow {
                chain,
                balance: chain.ledger_balance.or(rebuilt),
                rebuilt: chain.ledger_balance.is_none() && rebuilt.is_some(),
                open_errors,
                open_warnings,
                explained,
            }
        })
        .filter(|r| !query.with_findings || r.open_findings() > 0)
        .collect();
    let by_key = |a: &ChainRow, b: &ChainRow| a.chain.key.cmp(&b.chain.key);
    match query.sort {
        ChainSort::Account => rows.sort_by(by_key),
        ChainSort::Findings => rows.sort_by(|a, b| {
            b.open_findings().cmp(&a.open_findings()).then(b.open_errors.cmp(&a.open_errors)).then_with(|| by_key(a, b))
        }),
        ChainSort::Balance => rows.sort_by(|a, b| match (a.balance, b.balance) {
            (Some(x), Some(y)) => y.cmp(&x).then_with(|| by_key(a, b)),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => by_key(a, b),
        }),
        ChainSort::Entries => rows.sort_by(|a, b| b.chain.entries.cmp(&a.chain.entries).then_with(|| by_key(a, b))),
    }
    let total = rows.len();
    let rows = rows.into_iter().skip(query.offset).take(query.limit.unwrap_or(usize::MAX)).collect();
    ChainPage { rows, total, chains: report.chains.len() }
}

/// Whether `text` contains `needle` (already lower case), ignoring case; ASCII without
/// allocating.
fn contains_folded(text: &str, needle: &str) -> bool {
    if text.is_ascii() && needle.is_ascii() {
        let (t, n) = (text.as_bytes(), needle.as_bytes());
        return n.len() <= t.len() && t.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n));
    }
    text.to_lowercase().contains(needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::CheckedFinding;
    use crate::model::{ChainKey, Finding, FindingKind, Note};

    fn chain(id: i64, account: &str, entries: u64, balance: Option<i64>) -> ChainInfo {
        ChainInfo {
            id,
            key: ChainKey::new(account, "credits"),
            source: "orb".into(),
            dimensions: Vec::new(),
            entries,
            first_ts: None,
            last_ts: None,
            ledger_balance: balance.map(Decimal::from),
            stated_balance: None,
            opening_balance: None,
            last_sync: None,
        }
    }

    fn finding(chain_id: i64, kind: FindingKind, n: usize, explained: bool) -> CheckedFinding {
        let finding = Finding {
            id: format!("F-{n}"),
            kind,
            chain: ChainKey::new("any", "credits"),
            transaction_ids: vec![format!("txn_{n}")],
            row_ids: Vec::new(),
            delta: None,
            message: String::new(),
            ts: None,
            candidates: Vec::new(),
        };
        let note = explained.then(|| Note { note: "ok".into(), explained_at: "2026-01-01T00:00:00Z".into() });
        CheckedFinding { chain_id, finding, note }
    }

    fn report() -> CheckReport {
        let mut r = CheckReport {
            chains: vec![
                chain(1, "cust_b", 10, Some(50)),
                chain(2, "Cust_A", 30, Some(-5)),
                chain(3, "other", 20, None),
                chain(4, "cust_c", 5, Some(50)),
            ],
            ..CheckReport::default()
        };
        r.rebuilt.insert(3, Decimal::from(7));
        r.findings = vec![
            finding(1, FindingKind::UnknownType, 1, false),
            finding(1, FindingKind::UnknownType, 2, false),
            finding(2, FindingKind::BalanceBreak, 3, false),
            finding(2, FindingKind::UnusualAmount, 4, false),
            finding(4, FindingKind::BalanceBreak, 5, true),
        ];
        r
    }

    fn accounts(page: &ChainPage) -> Vec<String> {
        page.rows.iter().map(|r| r.chain.key.account.clone()).collect()
    }

    #[test]
    fn counts_open_findings_per_chain_and_filters_on_them() {
        let r = report();
        let all = list(&r, &ChainQuery::default());
        assert_eq!(accounts(&all), ["Cust_A", "cust_b", "cust_c", "other"]);
        let a = &all.rows[0];
        assert_eq!((a.open_errors, a.open_warnings, a.explained), (1, 1, 0));
        let c = &all.rows[2];
        assert_eq!((c.open_errors, c.open_warnings, c.explained), (0, 0, 1));
        let open = list(&r, &ChainQuery { with_findings: true, ..ChainQuery::default() });
        assert_eq!(accounts(&open), ["Cust_A", "cust_b"], "an explained finding is not open");
        assert_eq!((open.total, open.chains), (2, 4));
    }

    #[test]
    fn sorts_numbers_largest_first_with_ties_by_account() {
        let r = report();
        let sorted = |sort| accounts(&list(&r, &ChainQuery { sort, ..ChainQuery::default() }));
        // Two each; Cust_A's error first.
        assert_eq!(sorted(ChainSort::Findings), ["Cust_A", "cust_b", "cust_c", "other"]);
        assert_eq!(sorted(ChainSort::Balance), ["cust_b", "cust_c", "other", "Cust_A"]);
        assert_eq!(sorted(ChainSort::Entries), ["Cust_A", "other", "cust_b", "cust_c"]);
        let other = list(&r, &ChainQuery { search: "OTH".into(), ..ChainQuery::default() });
        assert_eq!((other.rows[0].balance, other.rows[0].rebuilt), (Some(Decimal::from(7)), true));
    }

    #[test]
    fn searches_accounts_ignoring_case_and_pages() {
        let r = report();
        let found = list(&r, &ChainQuery { search: " cust_".into(), ..ChainQuery::default() });
        assert_eq!(accounts(&found), ["Cust_A", "cust_b", "cust_c"]);
        let page = list(&r, &ChainQuery { search: "CUST".into(), offset: 1, limit: Some(1), ..ChainQuery::default() });
        assert_eq!((accounts(&page), page.total), (vec!["cust_b".to_string()], 3));
        let past = list(&r, &ChainQuery { offset: 10, ..ChainQuery::default() });
        assert_eq!((past.rows.len(), past.total), (0, 4));
        assert!(contains_folded("Ünïcode_Kunde", "kunde") && contains_folded("ÄBC", "äb"));
    }
}
