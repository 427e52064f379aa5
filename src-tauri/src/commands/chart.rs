//! The Balance chart screen: the running balance, thinned (available beside pending where the
//! ledger keeps pending grants apart; rebuilt from the anchors where entries state none), with
//! the open findings pinned on it. The anchors it also draws come from `anchors::list_anchors`.

use tauri::State;

use reckon::{model, money};

use super::Result;
use crate::dto::*;
use crate::state::AppState;

#[tauri::command]
pub async fn balance_series(state: State<'_, AppState>, chain_id: i64, max_points: usize) -> Result<BalanceSeries> {
    if max_points == 0 {
        return Err(AppError::bad_input("maxPoints must be at least 1"));
    }
    state
        .with_db(move |db| {
            let chain = db.store.chain(chain_id)?;
            let report = db.report()?;
            let points = reckon::series::balance_series(&db.store, &report, &chain, max_points)?;
            let marks = chain_findings(&report, chain_id)
                .into_iter()
                .filter(|f| f.is_open())
                .filter_map(balance_mark)
                .collect();
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
