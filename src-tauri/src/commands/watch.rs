//! Keeping watch over a ledger, on the Ledgers screen: its low-balance threshold ("alert me
//! below 500"), its runway at the last 30 days' net burn, and the history of its checks (each
//! check the app runs is kept by `Db::report`, as `reckon check` keeps its own).

use chrono::Utc;
use tauri::State;

use reckon::money;
use reckon::store::CheckRun;
use reckon::watch::{self, Runway};

use super::Result;
use crate::dto::*;
use crate::state::{AppState, Db};

/// How many checks the panel lists, newest first.
const HISTORY_RUNS: usize = 50;
/// How many findings one run lists (its counts say how many there are in all).
const CHANGES_PER_RUN: usize = 200;

#[tauri::command]
pub async fn chain_watch(state: State<'_, AppState>, chain_id: i64) -> Result<ChainWatchView> {
    state.with_db(move |db| watch_view(db, chain_id)).await
}

/// Sets (a decimal, as a balance is written) or clears (`None` or blank) the ledger's
/// low-balance threshold, and compares the balance with it at once.
#[tauri::command]
pub async fn set_low_balance(
    state: State<'_, AppState>,
    chain_id: i64,
    threshold: Option<String>,
) -> Result<ChainWatchView> {
    let threshold = match threshold.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => None,
        Some(text) => Some(
            money::parse(text)
                .map_err(|e| AppError::bad_input(format!("the threshold {text:?} cannot be read: {e}")))?,
        ),
    };
    state
        .with_db(move |db| {
            let chain = db.store.chain(chain_id)?;
            db.store.set_low_balance(chain_id, threshold)?;
            let report = db.report()?;
            if let Some(balance) = watch::balance(&report, &chain) {
                watch::threshold::crossed(&mut db.store, chain_id, &chain.key, balance, Utc::now().timestamp_micros())?;
            }
            watch_view(db, chain_id)
        })
        .await
}

fn watch_view(db: &mut Db, chain_id: i64) -> Result<ChainWatchView> {
    let chain = db.store.chain(chain_id)?;
    let report = db.report()?;
    let low = db.store.low_balance(chain_id)?;
    let runway = watch::runway_of(&db.store, &report, &chain)?;
    let history = watch::history::runs(&db.store, chain_id, HISTORY_RUNS)?;
    Ok(ChainWatchView {
        chain_id,
        balance: watch::balance(&report, &chain).map(money::format),
        threshold: low.map(|l| money::format(l.threshold)),
        below_since: low.and_then(|l| l.below_since).map(reckon::model::rfc3339),
        runway: runway.map(|r| runway_view(&r)),
        history: history.iter().map(run_view).collect(),
    })
}

fn runway_view(r: &Runway) -> RunwayView {
    let (state, runs_out_at, daily_burn) = match r {
        Runway::RunsOut { daily_burn, at } => {
            ("runs_out", at.map(reckon::model::rfc3339), Some(money::format(*daily_burn)))
        }
        Runway::NoRunway { .. } => ("no_runway", None, None),
        Runway::Exhausted => ("exhausted", None, None),
    };
    RunwayView { state: state.into(), sentence: r.sentence(), runs_out_at, daily_burn }
}

fn run_view(run: &CheckRun) -> CheckRunView {
    CheckRunView {
        id: run.id,
        at: reckon::model::rfc3339(run.at),
        last_at: reckon::model::rfc3339(run.last_at),
        runs: run.runs as i64,
        first: run.first,
        entries: run.counts.entries as i64,
        errors: run.counts.errors as i64,
        warnings: run.counts.warnings as i64,
        explained: run.counts.explained as i64,
        balance: run.balance.map(money::format),
        new_count: run.new as i64,
        resolved_count: run.resolved as i64,
        explained_count: run.explained as i64,
        changes: run
            .changes
            .iter()
            .take(CHANGES_PER_RUN)
            .map(|c| FindingChangeView {
                change: c.change.as_str().into(),
                finding_id: c.finding_id.clone(),
                kind: c.kind.into(),
                delta: c.delta.map(money::format_signed),
                transaction_ids: c.transaction_ids.clone(),
            })
            .collect(),
    }
}
