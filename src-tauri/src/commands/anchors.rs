//! Anchors, on the Balance chart screen: a ledger's balances stated (or set) at points in time,
//! listed, added by hand ("on 3 March the page said 1,240") and removed. A change re-runs the
//! check, as an import does, so findings, counts and the chart follow.

use chrono::Utc;
use tauri::State;

use reckon::money;

use super::Result;
use crate::dto::*;
use crate::state::AppState;

#[tauri::command]
pub async fn list_anchors(state: State<'_, AppState>, chain_id: i64) -> Result<Vec<AnchorView>> {
    state
        .with_db(move |db| {
            db.store.chain(chain_id)?;
            Ok(db.store.anchors(chain_id)?.iter().map(|a| anchor_view(chain_id, a)).collect())
        })
        .await
}

#[tauri::command]
pub async fn add_anchor(state: State<'_, AppState>, request: AnchorRequest) -> Result<AnchorView> {
    let at = anchor_time(&request.at)?;
    let text = request.balance.trim();
    let balance =
        money::parse(text).map_err(|e| AppError::bad_input(format!("the balance {text:?} cannot be read: {e}")))?;
    let note = request.note.trim().to_string();
    let (chain_id, kind) = (request.chain_id, request.kind.into());
    state
        .with_db(move |db| {
            db.store.chain(chain_id)?;
            let id = db.store.add_anchor(chain_id, at, balance, kind, &note, Utc::now().timestamp_micros())?;
            db.changed();
            let added = db.store.anchors(chain_id)?.into_iter().find(|a| a.id == id);
            added
                .map(|a| anchor_view(chain_id, &a))
                .ok_or_else(|| AppError::internal(format!("anchor {id} was added but cannot be read back")))
        })
        .await
}

#[tauri::command]
pub async fn remove_anchor(state: State<'_, AppState>, anchor_id: i64) -> Result<()> {
    state
        .with_db(move |db| {
            db.store.remove_anchor(anchor_id)?;
            db.changed();
            Ok(())
        })
        .await
}
