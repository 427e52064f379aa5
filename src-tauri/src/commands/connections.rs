//! The Connections screen: the vendors, the kept connections (with their scheduled syncs),
//! "Connect account…", "Sync now" (a long job: progress over a channel, `cancel_sync` stops
//! it), each connection's sync period, and the finding a notification asks to open.

use chrono::Utc;
use tauri::ipc::Channel;
use tauri::State;

use reckon::sync::{self, ApiKey, BaseUrl, Customers, SyncRequest, Vendor};

use super::Result;
use crate::dto::*;
use crate::job::JobRun;
use crate::schedule;
use crate::state::{blocking, AppState};

/// The vendors the app syncs from, in the engine's table order.
#[tauri::command]
pub fn list_vendors() -> Vec<VendorView> {
    sync::VENDORS.iter().map(|v| VendorView::from(*v)).collect()
}

/// The kept connections (never with keys).
#[tauri::command]
pub async fn list_connections(state: State<'_, AppState>) -> Result<Vec<ConnectionView>> {
    let connections = state.with_db(|db| Ok(db.store.connections()?)).await?;
    Ok(connections.iter().map(|c| schedule::connection_view(&state, c)).collect())
}

/// How often the app syncs a connection on its own while it runs (seconds; 0: only when asked).
#[tauri::command]
pub async fn set_sync_period(
    state: State<'_, AppState>,
    connection_id: i64,
    period_secs: i64,
) -> Result<ConnectionView> {
    if period_secs != 0 && !(MIN_PERIOD_SECS..=MAX_PERIOD_SECS).contains(&period_secs) {
        return Err(AppError::bad_input(format!(
            "a sync period of {period_secs} s is outside {MIN_PERIOD_SECS} s (a minute) to {MAX_PERIOD_SECS} s (a day); give 0 to sync only when asked"
        )));
    }
    let connection = state.with_db(move |db| Ok(db.store.set_connection_period(connection_id, period_secs)?)).await?;
    Ok(schedule::connection_view(&state, &connection))
}

/// The finding a clicked notification (or the window coming back into focus after one) asks to
/// open, once; `None` when there is none.
#[tauri::command]
pub fn take_open_finding(state: State<'_, AppState>) -> Option<NotifiedFinding> {
    state.watch().take_pending()
}

/// The shortest and longest period a person can set (`RECKON_SYNC_PERIOD_SECS` may go lower).
const MIN_PERIOD_SECS: i64 = 60;
const MAX_PERIOD_SECS: i64 = 24 * 3600;

/// "Connect account…": stores the key in the OS keyring (as `reckon key set` does), or, where
/// none runs, in this session's memory, and keeps the connection (without the key).
#[tauri::command]
pub async fn connect_account(state: State<'_, AppState>, request: ConnectRequest) -> Result<ConnectOutcome> {
    let vendor = vendor_of(&request.source)?;
    let base = BaseUrl::parse(request.base_url.trim()).map_err(|e| AppError::bad_input(e.to_string()))?;
    let key = request.key.trim().to_string();
    if key.is_empty() {
        return Err(AppError::bad_input(format!("give the {} API key", vendor.key_name)));
    }
    let customer = match (vendor.per_customer, request.all_customers, request.customer.as_deref().map(str::trim)) {
        (false, _, _) | (true, true, _) => None,
        (true, false, Some(c)) if !c.is_empty() => Some(c.to_string()),
        (true, false, _) => return Err(AppError::bad_input("give a customer ID, or choose all customers")),
    };
    let stored = blocking(move || Ok(sync::key::store_key(vendor.key_name, &key).map_err(|e| (e, key)))).await?;
    let (key_storage, message) = match stored {
        Ok(()) => (
            KeyStorage::Keyring,
            format!("The {} key is in the OS keyring (shared with the reckon CLI).", vendor.key_name),
        ),
        Err((e, key)) => {
            state.keep_session_key(vendor.key_name, ApiKey::new(key));
            (
                KeyStorage::Session,
                format!(
                    "{e}: the {} key is kept in memory for this session only; connect again after restarting Reckon.",
                    vendor.key_name
                ),
            )
        }
    };
    let url = base.to_string();
    let connection =
        state.with_db(move |db| Ok(db.store.add_connection(vendor.name, &url, customer.as_deref())?)).await?;
    let connection = schedule::connection_view(&state, &connection);
    Ok(ConnectOutcome { connection, key_storage, message })
}

/// "Sync now": pulls what is new for a connection, on a connection to the database of its own,
/// with progress after each stored page; `cancel_sync` stops it, keeping what was stored.
#[tauri::command]
pub async fn sync_now(
    state: State<'_, AppState>,
    connection_id: i64,
    on_progress: Channel<SyncProgressEvent>,
) -> Result<SyncOutcomeView> {
    let connection = state.with_db(move |db| Ok(db.store.connection(connection_id)?)).await?;
    let vendor = vendor_of(&connection.source)?;
    let key = match state.session_key(vendor.key_name) {
        Some(key) => key,
        None => blocking(move || Ok(sync::key::find_key(vendor.key_name).key)).await?.ok_or_else(|| {
            AppError::bad_input(format!(
                "no {} API key is known in this session: Connect account… again with the key",
                vendor.key_name
            ))
        })?,
    };
    let base = BaseUrl::parse(&connection.base_url).map_err(|e| AppError::bad_input(e.to_string()))?;
    let job = state.begin_sync()?;
    let mut request = SyncRequest::new(vendor, base, key, Utc::now());
    request.customers = connection.customer.clone().map_or(Customers::All, Customers::One);
    request.cancel = Some(job.cancel_flag());
    let this = state.inner().clone();
    let outcome = blocking(move || run_sync(&this, &job, &request, on_progress)).await;
    // The sync wrote through its own connection: forget the findings walked before it.
    state
        .with_db(|db| {
            db.changed();
            Ok(())
        })
        .await?;
    let outcome = outcome?;
    // Synced by hand: the next scheduled sync is a period from now.
    let watch = state.watch();
    watch.planner().synced_by_hand(connection_id, watch.now(), Utc::now());
    Ok(sync_outcome_view(connection_id, &outcome))
}

#[tauri::command]
pub fn cancel_sync(state: State<'_, AppState>) {
    state.cancel_sync();
}

/// Runs the engine's sync on the calling (blocking) thread with a store of its own; the fetch
/// runs on Tauri's async runtime (its reactor and timers), entered from this thread.
pub(crate) fn run_sync(
    state: &AppState,
    job: &JobRun,
    request: &SyncRequest,
    channel: Channel<SyncProgressEvent>,
) -> Result<sync::SyncSummary> {
    let mut store = state.open_store()?;
    let mut sink = job.sink(channel);
    Ok(tauri::async_runtime::block_on(sync::sync(&mut store, request, &mut sink))?)
}

/// The vendor a connection or a request names, from the engine's table.
fn vendor_of(name: &str) -> Result<&'static Vendor> {
    sync::vendor(name).ok_or_else(|| AppError::bad_input(format!("unknown source {name:?}")))
}
