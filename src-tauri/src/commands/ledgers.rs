//! The Ledgers screen: every chain at a glance, and the balance the vendor's page states.

use tauri::State;

use reckon::money;

use super::Result;
use crate::dto::*;
use crate::state::AppState;

#[tauri::command]
pub async fn list_chains(state: State<'_, AppState>) -> Result<Vec<ChainView>> {
    state
        .with_db(|db| {
            let chains = db.store.chains()?;
            let report = db.report()?;
            Ok(chains.iter().map(|c| chain_view(c, &report)).collect())
        })
        .await
}

#[tauri::command]
pub async fn set_stated_balance(state: State<'_, AppState>, chain_id: i64, value: Option<String>) -> Result<ChainView> {
    let value = match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => None,
        Some(text) => Some(
            money::parse(text)
                .map_err(|e| AppError::bad_input(format!("the stated balance {text:?} cannot be read: {e}")))?,
        ),
    };
    state
        .with_db(move |db| {
            db.store.set_stated_balance(chain_id, value)?;
            db.changed();
            let chain = db.store.chain(chain_id)?;
            let report = db.report()?;
            Ok(chain_view(&chain, &report))
        })
        .await
}
