//! The Balance chart screen: the running balance, thinned, with the open findings pinned on it.

use tauri::State;

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
            db.store.chain(chain_id)?;
            let points = db.store.balance_series(chain_id, max_points)?;
            let report = db.report()?;
            let marks = chain_findings(&report, chain_id)
                .into_iter()
                .filter(|f| f.is_open())
                .filter_map(balance_mark)
                .collect();
            Ok(BalanceSeries { points: points.iter().map(BalancePoint::from).collect(), marks })
        })
        .await
}
