//! The Balance chart screen: the running balance in the window in view, one pixel column at a
//! time (each column's first, lowest, highest and last point, so 1M entries draw as legibly as
//! 1,000; available beside pending where the ledger keeps pending grants apart; rebuilt from the
//! anchors where entries state none), with the open findings pinned on it, those of one column
//! as one mark with their count. The anchors it also draws come from `anchors::list_anchors`.

use tauri::State;

use reckon::check::CheckedFinding;
use reckon::model::Severity as EngineSeverity;
use reckon::series::Window;
use reckon::{model, money};

use super::Result;
use crate::dto::*;
use crate::state::AppState;

/// Entries a clustered mark jumps to, at most (the Ledger shows them as a filter).
const MARK_ENTRIES: usize = 500;

/// The balance between `from` and `to` (RFC 3339; the chain's whole span where absent) in
/// `max_points / 4` pixel columns, and the open findings in that window, clustered by column.
#[tauri::command]
pub async fn balance_series(
    state: State<'_, AppState>,
    chain_id: i64,
    max_points: usize,
    from: Option<String>,
    to: Option<String>,
) -> Result<BalanceSeries> {
    if max_points == 0 {
        return Err(AppError::bad_input("maxPoints must be at least 1"));
    }
    let from = from.as_deref().map(|t| instant("from", t)).transpose()?;
    let to = to.as_deref().map(|t| instant("to", t)).transpose()?;
    state
        .with_db(move |db| {
            let chain = db.store.chain(chain_id)?;
            let report = db.report()?;
            let window = Window { from, to, columns: (max_points / 4).max(1) };
            let points = reckon::series::balance_window(&db.store, &report, &chain, window)?;
            let marks = cluster(chain_findings(&report, chain_id).into_iter().filter(|f| f.is_open()), |ts| {
                window.column(&chain, ts)
            });
            let points = points
                .iter()
                .map(|p| BalancePoint {
                    ts: model::rfc3339(p.ts),
                    balance: money::format(p.balance),
                    pending: p.pending.map(money::format),
                })
                .collect();
            Ok(BalanceSeries { points, marks })
        })
        .await
}

fn instant(name: &str, text: &str) -> Result<i64> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.timestamp_micros())
        .map_err(|e| AppError::bad_input(format!("{name} {text:?} is not an RFC 3339 time: {e}")))
}

/// One mark per column that holds open findings with a time: at the column's first finding,
/// named for its worst one (an error before a warning, then the earliest), with how many it
/// stands for and the entries they name (up to `MARK_ENTRIES`). Findings outside the window
/// are left out.
fn cluster<'a>(
    findings: impl Iterator<Item = &'a CheckedFinding>,
    column: impl Fn(i64) -> Option<usize>,
) -> Vec<BalanceMark> {
    let mut by_column: std::collections::BTreeMap<usize, Vec<&CheckedFinding>> = Default::default();
    for f in findings {
        if let Some(c) = f.finding.ts.and_then(&column) {
            by_column.entry(c).or_default().push(f);
        }
    }
    let mut marks = Vec::with_capacity(by_column.len());
    for (_, mut group) in by_column {
        group.sort_by_key(|f| (f.finding.severity() != EngineSeverity::Error, f.finding.ts, f.finding.id.clone()));
        let Some(mut mark) = balance_mark(group[0]) else { continue };
        if let Some(first) = group.iter().filter_map(|f| f.finding.ts).min() {
            mark.ts = model::rfc3339(first);
        }
        mark.count = group.len() as i64;
        mark.errors = group.iter().filter(|f| f.finding.severity() == EngineSeverity::Error).count() as i64;
        let mut entries: Vec<i64> = group.iter().flat_map(|f| f.finding.row_ids.iter().copied()).collect();
        entries.sort_unstable();
        entries.dedup();
        entries.truncate(MARK_ENTRIES);
        mark.entry_ids = entries;
        marks.push(mark);
    }
    marks
}
