//! The balance chart's series: the store's running balance, thinned, with the available
//! balance rebuilt from the opening balance and the anchors where entries state none (as
//! reports and the anchored walk rebuild it), and the pending balance beside it where the
//! ledger keeps pending grants apart. Reads the store and a completed check.

use rust_decimal::Decimal;

use crate::check::CheckReport;
use crate::model::Anchor;
use crate::store::{ChainInfo, LedgerFilter, Store, StoreError};

/// One point of the chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesPoint {
    /// Unix microseconds.
    pub ts: i64,
    /// The available balance after the entry.
    pub balance: Decimal,
    /// Granted but not yet settled then; `None` for a ledger without pending grants.
    pub pending: Option<Decimal>,
}

/// About `max_points` points of a chain's balance, oldest first (every entry when it has
/// fewer; otherwise each bucket's first, lowest, highest and last).
pub fn balance_series(
    store: &Store,
    check: &CheckReport,
    chain: &ChainInfo,
    max_points: usize,
) -> Result<Vec<SeriesPoint>, StoreError> {
    let stored = store.balance_series(chain.id, max_points)?;
    finish(store, check, chain, &stored)
}

/// The part of a chain's time the chart shows, and how many pixel columns it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Unix microseconds, inclusive; `None`: the chain's first entry.
    pub from: Option<i64>,
    /// Unix microseconds, inclusive; `None`: the chain's last entry.
    pub to: Option<i64>,
    pub columns: usize,
}

impl Window {
    /// The window's bounds for `chain` (its whole span where not given).
    pub fn bounds(&self, chain: &ChainInfo) -> (i64, i64) {
        let from = self.from.or(chain.first_ts).unwrap_or(0);
        let to = self.to.or(chain.last_ts).unwrap_or(from).max(from);
        (from, to)
    }

    /// The column of the window an instant falls in (`None` outside it).
    pub fn column(&self, chain: &ChainInfo, ts: i64) -> Option<usize> {
        let (from, to) = self.bounds(chain);
        if ts < from || ts > to {
            return None;
        }
        let span = (to as i128 - from as i128) + 1;
        Some(((ts as i128 - from as i128) * self.columns.max(1) as i128 / span) as usize)
    }
}

/// A chain's balance in `window`: per pixel column, the first, lowest, highest and last point
/// (`Store::balance_columns`), with the point before and after the window; rebuilt from the
/// anchors and with the pending balance as `balance_series`.
pub fn balance_window(
    store: &Store,
    check: &CheckReport,
    chain: &ChainInfo,
    window: Window,
) -> Result<Vec<SeriesPoint>, StoreError> {
    let (from, to) = window.bounds(chain);
    let stored = store.balance_columns(chain.id, from, to, window.columns)?;
    finish(store, check, chain, &stored)
}

fn finish(
    store: &Store,
    check: &CheckReport,
    chain: &ChainInfo,
    stored: &[crate::store::BalancePoint],
) -> Result<Vec<SeriesPoint>, StoreError> {
    let pending = check.pending.get(&chain.id);
    let mut points: Vec<SeriesPoint> = stored
        .iter()
        .map(|p| SeriesPoint { ts: p.ts, balance: p.balance, pending: pending.map(|pb| pb.at(p.ts)) })
        .collect();
    // A ledger whose entries state no balance: the store sums amounts from 0; move each stretch
    // to the opening balance, or to the anchor it starts from.
    if chain.ledger_balance.is_none() && pending.is_none() {
        let opening = chain.opening_balance.unwrap_or(Decimal::ZERO);
        let anchors = store.anchors(chain.id)?;
        rebuild(&mut points, opening, &anchors, |ts| {
            let through =
                LedgerFilter { chain_id: Some(chain.id), to: Some(ts.saturating_add(1)), ..Default::default() };
            store.ledger_totals(&through).map(|t| t.net())
        })?;
    }
    Ok(points)
}

/// Points summed from 0 moved onto the balance rebuilt from `opening` and `anchors` (in time
/// order): after an anchor, the anchor's balance plus what the entries after it add.
/// `net_through(ts)` is what the entries at or before `ts` add up to from 0.
fn rebuild<E>(
    points: &mut [SeriesPoint],
    opening: Decimal,
    anchors: &[Anchor],
    net_through: impl Fn(i64) -> Result<Decimal, E>,
) -> Result<(), E> {
    // The offset of each stretch: before the first anchor, the opening balance.
    let mut offsets = Vec::with_capacity(anchors.len());
    for a in anchors {
        offsets.push((a.ts, a.balance - net_through(a.ts)?));
    }
    for p in points {
        // Entries at or before an anchor's time count before it.
        let n = offsets.partition_point(|&(ts, _)| ts < p.ts);
        p.balance += n.checked_sub(1).map_or(opening, |i| offsets[i].1);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AnchorKind;

    fn anchor(ts: i64, balance: i64) -> Anchor {
        Anchor { id: 0, ts, balance: Decimal::from(balance), kind: AnchorKind::Stated, note: String::new(), created: 0 }
    }

    #[test]
    fn each_stretch_goes_on_from_the_anchor_before_it() {
        // Entries -10 at t=1, -5 at t=2, -1 at t=3: summed from 0, -10, -15, -16.
        let sums = [(1, -10), (2, -15), (3, -16)];
        let mut points: Vec<SeriesPoint> =
            sums.iter().map(|&(ts, b)| SeriesPoint { ts, balance: Decimal::from(b), pending: None }).collect();
        let net = |ts: i64| -> Result<Decimal, ()> {
            Ok(sums.iter().rev().find(|s| s.0 <= ts).map_or(Decimal::ZERO, |s| Decimal::from(s.1)))
        };
        // Opening 100; at t=2 (after the -5) the page said 80 (the walk rebuilt 85).
        rebuild(&mut points, Decimal::from(100), &[anchor(2, 80)], net).unwrap();
        let balances: Vec<Decimal> = points.iter().map(|p| p.balance).collect();
        assert_eq!(balances, [Decimal::from(90), Decimal::from(85), Decimal::from(79)]);
    }
}
