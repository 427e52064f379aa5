//! The IPC commands of `docs/desktop-contract.md`. Each one converts its arguments from DTOs,
//! calls the engine on a blocking thread, and converts the answer back; nothing here decides
//! what a finding is or how a ledger is stored.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use chrono::Utc;
use tauri::ipc::Channel;
use tauri::State;

use reckon::check::{CheckError, CheckReport, CheckedFinding};
use reckon::export::{self, ExportError, Zone};
use reckon::import::ImportOptions;
use reckon::import::{ImportError, Progress, ProgressSink, Stage};
use reckon::model::{self, Finding, Severity as EngineSeverity};
use reckon::money;
use reckon::report::{self, ReportError, ReportRequest};
use reckon::store::{self, ImportSummary, LedgerFilter, LedgerRow, StoreError};
use reckon::sync::{
    self, ApiError, ApiKey, BaseUrl, Customers, SyncError, SyncProgress, SyncRequest, SyncSink, Vendor,
};

use crate::dto::*;
use crate::state::{blocking, AppState, ImportSlot, SyncSlot};

/// The demo ledger, with planted faults, bundled so "Open demo" works offline.
pub const DEMO_CSV: &str = include_str!("../../fixtures/demo.csv");
/// What the demo is saved as beside the database before it is imported.
pub const DEMO_FILE_NAME: &str = "reckon-demo.csv";

type Result<T> = std::result::Result<T, AppError>;

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
pub async fn import_files(
    state: State<'_, AppState>,
    paths: Vec<String>,
    on_progress: Channel<ImportProgressEvent>,
) -> Result<ImportOutcomeView> {
    if paths.is_empty() {
        return Err(AppError::bad_input("no files to import"));
    }
    let paths: Vec<PathBuf> = paths.into_iter().map(PathBuf::from).collect();
    for path in &paths {
        state.may_read(path)?;
    }
    import(&state, paths, on_progress).await
}

/// The native open dialog, opened by the shell: the files picked may then be imported.
/// `None` when the user cancels.
#[tauri::command]
pub async fn pick_import_files<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<Option<Vec<String>>> {
    use tauri_plugin_dialog::DialogExt;
    let picked = blocking(move || {
        Ok(app
            .dialog()
            .file()
            .set_title("Import ledger exports")
            .add_filter("Ledger exports", &["csv", "json"])
            .blocking_pick_files())
    })
    .await?;
    let Some(picked) = picked else { return Ok(None) };
    let paths: Vec<PathBuf> = picked.into_iter().filter_map(|p| p.into_path().ok()).collect();
    state.grant_read(paths.iter().cloned());
    Ok(Some(paths.iter().map(|p| p.display().to_string()).collect()))
}

/// The native save dialog, opened by the shell: the file picked may then be written once.
#[tauri::command]
pub async fn pick_save_path<R: tauri::Runtime>(
    app: tauri::AppHandle<R>,
    state: State<'_, AppState>,
    default_name: String,
    filter_name: String,
    extensions: Vec<String>,
) -> Result<Option<String>> {
    use tauri_plugin_dialog::DialogExt;
    let picked = blocking(move || {
        let extensions: Vec<&str> = extensions.iter().map(String::as_str).collect();
        Ok(app.dialog().file().set_file_name(&default_name).add_filter(&filter_name, &extensions).blocking_save_file())
    })
    .await?;
    let Some(path) = picked.and_then(|p| p.into_path().ok()) else { return Ok(None) };
    state.grant_write(path.clone());
    Ok(Some(path.display().to_string()))
}

#[tauri::command]
pub async fn open_demo(
    state: State<'_, AppState>,
    on_progress: Channel<ImportProgressEvent>,
) -> Result<ImportOutcomeView> {
    let path = state.location().data_dir.join(DEMO_FILE_NAME);
    let target = path.clone();
    blocking(move || {
        if let Some(dir) = target.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        }
        std::fs::write(&target, DEMO_CSV).map_err(|e| io_error(&target, e))
    })
    .await?;
    import(&state, vec![path], on_progress).await
}

#[tauri::command]
pub fn cancel_import(state: State<'_, AppState>) {
    state.cancel_import();
}

#[tauri::command]
pub async fn ledger_page(
    state: State<'_, AppState>,
    query: LedgerQuery,
    offset: u64,
    limit: u64,
) -> Result<LedgerPage> {
    let filter = ledger_filter(&query)?;
    state
        .with_db(move |db| {
            let rows = db.store.ledger_page(&filter, offset, limit)?;
            let total = db.store.ledger_totals(&filter)?.entries as i64;
            let report = db.report()?;
            let findings = chain_findings(&report, query.chain_id);
            Ok(LedgerPage { rows: rows.iter().map(|r| row_view(r, &findings)).collect(), total })
        })
        .await
}

#[tauri::command]
pub async fn ledger_totals(state: State<'_, AppState>, query: LedgerQuery) -> Result<TotalsView> {
    let filter = ledger_filter(&query)?;
    state
        .with_db(move |db| {
            let t = db.store.ledger_totals(&filter)?;
            Ok(TotalsView {
                entries: t.entries as i64,
                credits_in: money::format(t.credits_in),
                credits_out: money::format(t.credits_out),
                net: money::format(t.net()),
            })
        })
        .await
}

#[tauri::command]
pub async fn facets(state: State<'_, AppState>, chain_id: i64) -> Result<Facets> {
    state
        .with_db(move |db| {
            db.store.chain(chain_id)?;
            let f = db.store.facets(chain_id)?;
            let dimensions = f
                .dimensions
                .into_iter()
                .map(|(d, values)| FacetValues { dimension: Dimension { key: d.key, title: d.title }, values })
                .collect();
            Ok(Facets { types: f.types, dimensions })
        })
        .await
}

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
                .filter_map(|f| {
                    Some(BalanceMark {
                        finding_id: f.finding.id.clone(),
                        ts: model::rfc3339(f.finding.ts?),
                        kind: f.finding.kind.as_str().to_string(),
                        severity: f.finding.severity().as_str().to_string(),
                        entry_ids: f.finding.row_ids.clone(),
                    })
                })
                .collect();
            Ok(BalanceSeries {
                points: points
                    .iter()
                    .map(|p| BalancePoint { ts: model::rfc3339(p.ts), balance: money::format(p.balance) })
                    .collect(),
                marks,
            })
        })
        .await
}

#[tauri::command]
pub async fn findings(state: State<'_, AppState>, chain_id: i64) -> Result<Vec<FindingView>> {
    state
        .with_db(move |db| {
            db.store.chain(chain_id)?;
            let report = db.report()?;
            Ok(chain_findings(&report, chain_id).into_iter().map(finding_view).collect())
        })
        .await
}

#[tauri::command]
pub async fn entry_detail(state: State<'_, AppState>, entry_id: i64) -> Result<EntryDetailView> {
    state
        .with_db(move |db| {
            let detail = reckon::import::entry_detail(&db.store, entry_id)?;
            let report = db.report()?;
            let findings = chain_findings(&report, detail.row.chain_id);
            let row = row_view(&detail.row, &findings);
            Ok(EntryDetailView {
                row,
                raw_line: detail.raw,
                raw_line_note: detail.raw_note,
                findings: findings
                    .into_iter()
                    .filter(|f| f.finding.row_ids.contains(&entry_id))
                    .map(finding_view)
                    .collect(),
            })
        })
        .await
}

#[tauri::command]
pub async fn mark_explained(state: State<'_, AppState>, finding_id: String, note: String) -> Result<()> {
    state
        .with_db(move |db| {
            if db.report()?.finding(&finding_id).is_none() {
                return Err(AppError::not_found(format!("no finding {finding_id}")));
            }
            let (note, at) = (note.trim().to_string(), Utc::now());
            db.store.set_note(&finding_id, &note, at)?;
            db.noted(&[finding_id], Some(reckon::model::Note { note, explained_at: at.to_rfc3339() }));
            Ok(())
        })
        .await
}

#[tauri::command]
pub async fn unmark_explained(state: State<'_, AppState>, finding_id: String) -> Result<()> {
    state
        .with_db(move |db| {
            db.store.clear_note(&finding_id)?;
            db.noted(&[finding_id], None);
            Ok(())
        })
        .await
}

/// Marks many findings as explained with one note (a selection, or every finding of a kind).
/// Every id must be a current finding; returns how many were marked.
#[tauri::command]
pub async fn explain_findings(state: State<'_, AppState>, finding_ids: Vec<String>, note: String) -> Result<i64> {
    let note = note.trim().to_string();
    if note.is_empty() {
        return Err(AppError::bad_input("write a note that says why these findings are explained"));
    }
    state
        .with_db(move |db| {
            let report = db.report()?;
            if let Some(missing) = finding_ids.iter().find(|id| report.finding(id).is_none()) {
                return Err(AppError::not_found(format!("no finding {missing}")));
            }
            let at = Utc::now();
            let n = db.store.set_notes(&finding_ids, &note, at)?;
            db.noted(&finding_ids, Some(reckon::model::Note { note, explained_at: at.to_rfc3339() }));
            Ok(n as i64)
        })
        .await
}

/// Reopens many explained findings; returns how many had a note.
#[tauri::command]
pub async fn reopen_findings(state: State<'_, AppState>, finding_ids: Vec<String>) -> Result<i64> {
    state
        .with_db(move |db| {
            let n = db.store.clear_notes(&finding_ids)?;
            db.noted(&finding_ids, None);
            Ok(n as i64)
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

#[tauri::command]
pub async fn draft_report(
    state: State<'_, AppState>,
    chain_id: i64,
    finding_ids: Vec<String>,
    audience: Audience,
) -> Result<String> {
    state
        .with_db(move |db| {
            db.store.chain(chain_id)?;
            let check = db.report()?;
            let request = ReportRequest {
                audience: match audience {
                    Audience::Support => report::Audience::Support,
                    Audience::Customer => report::Audience::Customer,
                },
                chain_id: Some(chain_id),
                finding_ids,
                from: None,
                to: None,
                now: Utc::now(),
            };
            Ok(report::draft(&db.store, &check, &request)?)
        })
        .await
}

#[tauri::command]
pub async fn export_ledger(
    state: State<'_, AppState>,
    query: LedgerQuery,
    format: ExportFormat,
    local: bool,
    path: String,
) -> Result<u64> {
    let filter = ledger_filter(&query)?;
    let path = non_empty_path(&path)?;
    state.may_write(&path)?;
    state
        .with_db(move |db| {
            let format = match format {
                ExportFormat::Csv => export::ExportFormat::Csv,
                ExportFormat::Json => export::ExportFormat::Json,
            };
            let zone = if local { Zone::Local } else { Zone::Utc };
            // Written whole beside the target, then renamed over it (the engine's atomic export).
            Ok(export::export_to_file(&db.store, &filter, format, zone, &path)?)
        })
        .await
}

/// The database the app has open (the CLI's default too, unless told otherwise).
#[tauri::command]
pub async fn database_path(state: State<'_, AppState>) -> Result<String> {
    Ok(state.location().db.display().to_string())
}

/// "Open database...": switches to another database file (created if new); returns its path.
#[tauri::command]
pub async fn open_database(state: State<'_, AppState>, path: String) -> Result<String> {
    let path = non_empty_path(&path)?;
    state.may_write(&path)?;
    let state = state.inner().clone();
    blocking(move || Ok(state.switch_database(path)?.db.display().to_string())).await
}

#[tauri::command]
pub async fn save_text(state: State<'_, AppState>, path: String, content: String) -> Result<()> {
    let path = non_empty_path(&path)?;
    state.may_write(&path)?;
    blocking(move || std::fs::write(&path, content).map_err(|e| io_error(&path, e))).await
}

// --- sync --------------------------------------------------------------------------------

/// The vendors the app syncs from, in the engine's table order.
#[tauri::command]
pub fn list_vendors() -> Vec<VendorView> {
    sync::VENDORS.iter().map(|v| vendor_view(v)).collect()
}

/// The kept connections (never with keys).
#[tauri::command]
pub async fn list_connections(state: State<'_, AppState>) -> Result<Vec<ConnectionView>> {
    state.with_db(|db| Ok(db.store.connections()?.iter().map(connection_view).collect())).await
}

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
    let connection = state
        .with_db(move |db| Ok(connection_view(&db.store.add_connection(vendor.name, &url, customer.as_deref())?)))
        .await?;
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
    let slot = state.begin_sync()?;
    let mut request = SyncRequest::new(vendor, base, key, Utc::now());
    request.customers = connection.customer.clone().map_or(Customers::All, Customers::One);
    request.cancel = Some(slot.cancel_flag());
    let outcome = blocking(move || run_sync(&slot, &request, on_progress)).await;
    // The sync wrote through its own connection: forget the findings walked before it.
    state
        .with_db(|db| {
            db.changed();
            Ok(())
        })
        .await?;
    let summary = outcome?;
    let p = &summary.progress;
    Ok(SyncOutcomeView {
        connection_id,
        customers: summary.customers as i64,
        pages: p.pages as i64,
        entries: p.entries as i64,
        new: p.new as i64,
        known: p.known as i64,
        conflicting: p.conflicting as i64,
        elapsed_ms: p.elapsed.as_millis() as i64,
        stated_balance: summary.stated.as_ref().map(|s| money::format(s.balance)),
        cancelled: summary.cancelled,
    })
}

#[tauri::command]
pub fn cancel_sync(state: State<'_, AppState>) {
    state.cancel_sync();
}

/// Runs the engine's pull on the calling (blocking) thread with a store of its own; the fetch
/// runs on Tauri's async runtime (its reactor and timers), entered from this thread.
pub(crate) fn run_sync(
    slot: &SyncSlot,
    request: &SyncRequest,
    channel: Channel<SyncProgressEvent>,
) -> Result<sync::SyncSummary> {
    let mut store = slot.open_store()?;
    let mut sink = SyncChannel { channel };
    Ok(tauri::async_runtime::block_on(sync::sync(&mut store, request, &mut sink))?)
}

/// Forwards each stored page's progress to the window; cancel goes through the request's flag.
struct SyncChannel {
    channel: Channel<SyncProgressEvent>,
}

impl SyncSink for SyncChannel {
    fn progress(&mut self, p: &SyncProgress) -> ControlFlow<()> {
        // A closed window is no reason to stop a sync; ignore send errors.
        let _ = self.channel.send(SyncProgressEvent {
            pages: p.pages as i64,
            entries: p.entries as i64,
            new: p.new as i64,
            known: p.known as i64,
            elapsed_ms: p.elapsed.as_millis() as i64,
            entries_per_second: p.entries_per_second(),
            customer: p.page.customer.clone(),
        });
        ControlFlow::Continue(())
    }
}

/// The vendor a connection or a request names, from the engine's table.
fn vendor_of(name: &str) -> Result<&'static Vendor> {
    sync::vendor(name).ok_or_else(|| AppError::bad_input(format!("unknown source {name:?}")))
}

fn vendor_view(v: &Vendor) -> VendorView {
    VendorView {
        name: v.name.to_string(),
        title: v.title.to_string(),
        key_name: v.key_name.to_string(),
        per_customer: v.per_customer,
    }
}

fn connection_view(c: &store::SyncConnection) -> ConnectionView {
    ConnectionView { id: c.id, source: c.source.clone(), base_url: c.base_url.clone(), customer: c.customer.clone() }
}

// --- import ------------------------------------------------------------------------------

async fn import(
    state: &AppState,
    paths: Vec<PathBuf>,
    channel: Channel<ImportProgressEvent>,
) -> Result<ImportOutcomeView> {
    let slot = state.begin_import()?;
    let summary = blocking(move || run_import(&slot, &paths, channel)).await;
    // The import wrote through its own connection: forget the findings walked before it.
    state
        .with_db(|db| {
            db.changed();
            Ok(())
        })
        .await?;
    summary.map(|s| outcome_view(&s))
}

/// Imports on the calling (blocking) thread, on a connection of its own.
pub(crate) fn run_import(
    slot: &ImportSlot,
    paths: &[PathBuf],
    channel: Channel<ImportProgressEvent>,
) -> Result<ImportSummary> {
    let mut store = slot.open_store()?;
    let mut sink = ChannelSink { channel, cancel: slot.cancel_flag() };
    Ok(reckon::import::import(&mut store, paths, &ImportOptions::new(Utc::now()), &mut sink)?)
}

/// Forwards progress to the window and stops the import once `cancel_import` was called.
struct ChannelSink {
    channel: Channel<ImportProgressEvent>,
    cancel: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl ProgressSink for ChannelSink {
    fn progress(&mut self, p: &Progress<'_>) -> ControlFlow<()> {
        // A closed window is no reason to stop an import; ignore send errors.
        let _ = self.channel.send(ImportProgressEvent {
            file: p.file.display().to_string(),
            file_index: p.file_index as i64,
            files: p.files as i64,
            bytes_done: p.bytes_done as i64,
            bytes_total: p.bytes_total as i64,
            stage: match p.stage {
                Stage::Reading => ImportStage::Reading,
                Stage::Storing => ImportStage::Storing,
                Stage::Done => ImportStage::Done,
            },
        });
        if self.cancel.load(Ordering::SeqCst) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

fn outcome_view(summary: &ImportSummary) -> ImportOutcomeView {
    ImportOutcomeView {
        files: summary
            .files
            .iter()
            .map(|f| ImportFileView {
                path: f.path.display().to_string(),
                format: f.format.clone(),
                new: f.new as i64,
                known: f.known as i64,
                conflicting: f.conflicting as i64,
            })
            .collect(),
    }
}

// --- conversions -------------------------------------------------------------------------

fn ledger_filter(q: &LedgerQuery) -> Result<LedgerFilter> {
    Ok(LedgerFilter {
        chain_id: Some(q.chain_id),
        types: q.types.iter().map(|t| model::normalize_type(t).into_owned()).collect(),
        from: q.from.as_deref().map(|t| time_arg("from", t)).transpose()?,
        to: q.to.as_deref().map(|t| time_arg("to", t)).transpose()?,
        labels: q.labels.iter().filter(|l| !l.value.is_empty()).map(|l| (l.key.clone(), l.value.clone())).collect(),
        search: q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string),
        row_ids: Vec::new(),
    })
}

fn time_arg(name: &str, text: &str) -> Result<i64> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.timestamp_micros())
        .map_err(|e| AppError::bad_input(format!("{name} {text:?} is not an RFC 3339 time: {e}")))
}

fn non_empty_path(path: &str) -> Result<PathBuf> {
    let path = path.trim();
    if path.is_empty() {
        return Err(AppError::bad_input("no file was chosen"));
    }
    Ok(PathBuf::from(path))
}

fn chain_findings(report: &CheckReport, chain_id: i64) -> Vec<&CheckedFinding> {
    report.findings.iter().filter(|f| f.chain_id == chain_id).collect()
}

fn chain_view(chain: &store::ChainInfo, report: &CheckReport) -> ChainView {
    let mine = chain_findings(report, chain.id);
    let open = |severity| mine.iter().filter(|f| f.is_open() && f.finding.severity() == severity).count() as i64;
    ChainView {
        id: chain.id,
        account: chain.key.account.clone(),
        currency: chain.key.currency.clone(),
        source: chain.source.clone(),
        dimensions: chain.dimensions.iter().map(|d| Dimension { key: d.key.clone(), title: d.title.clone() }).collect(),
        entries: chain.entries as i64,
        ledger_balance: chain.ledger_balance.map(money::format),
        stated_balance: chain.stated_balance.map(money::format),
        first_ts: chain.first_ts.map(model::rfc3339),
        last_ts: chain.last_ts.map(model::rfc3339),
        errors: open(EngineSeverity::Error),
        warnings: open(EngineSeverity::Warning),
        explained: mine.iter().filter(|f| !f.is_open()).count() as i64,
        last_sync: chain.last_sync.as_ref().map(|s| LastSyncView {
            at: model::rfc3339(s.at),
            source: s.source.clone(),
            base_url: s.base_url.clone(),
            customer: s.customer.clone(),
        }),
    }
}

fn finding_kind(k: model::FindingKind) -> FindingKind {
    use model::FindingKind as K;
    match k {
        K::BalanceBreak => FindingKind::BalanceBreak,
        K::MisreportedBalance => FindingKind::MisreportedBalance,
        K::HeadMismatch => FindingKind::HeadMismatch,
        K::OpeningMismatch => FindingKind::OpeningMismatch,
        K::ConflictingDuplicate => FindingKind::ConflictingDuplicate,
        K::DuplicateCharge => FindingKind::DuplicateCharge,
        K::UnmatchedRefund => FindingKind::UnmatchedRefund,
        K::UnknownType => FindingKind::UnknownType,
        K::UnusualAmount => FindingKind::UnusualAmount,
        K::RefundMismatch => FindingKind::RefundMismatch,
    }
}

fn severity(s: EngineSeverity) -> Severity {
    match s {
        EngineSeverity::Error => Severity::Error,
        EngineSeverity::Warning => Severity::Warning,
    }
}

fn row_view(row: &LedgerRow, findings: &[&CheckedFinding]) -> LedgerRowView {
    let naming: Vec<&Finding> = findings.iter().map(|f| &f.finding).filter(|f| f.row_ids.contains(&row.id)).collect();
    LedgerRowView {
        id: row.id,
        txn_id: row.txn_id.clone(),
        ts: model::rfc3339(row.ts),
        kind: row.kind.clone(),
        description: row.description.clone(),
        amount: money::format(row.amount),
        balance_after: money::format(row.balance_after),
        labels: row.labels.clone(),
        source_file: row.source_path.clone(),
        source_line: row.source_line as i64,
        finding_ids: naming.iter().map(|f| f.id.clone()).collect(),
        // Severity orders Error before Warning: the minimum is the worst.
        severity: naming.iter().map(|f| f.severity()).min().map(severity),
    }
}

fn finding_view(f: &CheckedFinding) -> FindingView {
    FindingView {
        id: f.finding.id.clone(),
        chain_id: f.chain_id,
        kind: finding_kind(f.finding.kind),
        severity: severity(f.finding.severity()),
        transaction_ids: f.finding.transaction_ids.clone(),
        entry_ids: f.finding.row_ids.clone(),
        delta: f.finding.delta.map(money::format),
        message: f.finding.message.clone(),
        ts: f.finding.ts.map(model::rfc3339),
        explained: !f.is_open(),
        note: f.note.as_ref().map(|n| n.note.clone()),
    }
}

fn io_error(path: &Path, e: std::io::Error) -> AppError {
    AppError::io(format!("{}: {e}", path.display()))
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        let code = match &e {
            StoreError::NotFound(_) => ErrorCode::NotFound,
            StoreError::BadValue(_) | StoreError::OtherSource { .. } => ErrorCode::BadInput,
            StoreError::CreateDir { .. } => ErrorCode::Io,
            _ => ErrorCode::Database,
        };
        AppError::new(code, with_remedy(e.to_string(), &e))
    }
}

/// `message` with the app's words for the remedy the store error in `e` names, if any.
fn with_remedy(mut message: String, e: &(dyn std::error::Error + 'static)) -> String {
    message.push_str(match StoreError::find_in(e).and_then(StoreError::remedy) {
        Some(store::Remedy::RepairLedger) => {
            "; the app cannot repair it yet: run `reckon doctor --repair` on this database to rebuild it from its \
             imported files"
        }
        Some(store::Remedy::RestoreLabels) => {
            "; the app cannot repair it yet: run `reckon doctor --repair` on this database to restore it from the \
             imported files"
        }
        Some(store::Remedy::Resync) => "; sync it again (Sync now) before reading it",
        Some(store::Remedy::SalvageFile) => {
            ": restore it from a backup, or open a new database and import or sync its ledgers again"
        }
        None => "",
    });
    message
}

impl From<CheckError> for AppError {
    fn from(e: CheckError) -> Self {
        match e {
            CheckError::Store(e) => e.into(),
            other => AppError::bad_input(other.to_string()),
        }
    }
}

impl From<ImportError> for AppError {
    fn from(e: ImportError) -> Self {
        let code = match &e {
            ImportError::Cancelled => ErrorCode::Cancelled,
            ImportError::Io { .. } => ErrorCode::Io,
            e if e.is_bad_input() => ErrorCode::BadInput,
            ImportError::Store(_) => ErrorCode::Database,
            _ => ErrorCode::Internal,
        };
        AppError::new(code, with_remedy(e.to_string(), &e))
    }
}

impl From<ReportError> for AppError {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::Store(e) => e.into(),
            ReportError::NoFinding(_) => AppError::not_found(e.to_string()),
            ReportError::NoChain => AppError::not_found(e.to_string()),
        }
    }
}

impl From<ExportError> for AppError {
    fn from(e: ExportError) -> Self {
        match e {
            ExportError::Store(e) => e.into(),
            ExportError::Io(io) => AppError::io(format!("cannot write the export: {io}")),
            e @ ExportError::File { .. } => AppError::io(e.to_string()),
        }
    }
}

impl From<SyncError> for AppError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Store(e) => e.into(),
            SyncError::Import(e) => e.into(),
            SyncError::Api(e @ ApiError::KeyRejected { .. }) => {
                AppError::bad_input(format!("{e} In the app: Connect account… again with the current key."))
            }
            SyncError::Api(e @ (ApiError::BadUrl { .. } | ApiError::InsecureUrl { .. })) => {
                AppError::bad_input(e.to_string())
            }
            SyncError::Api(e) => AppError::new(ErrorCode::Network, e.to_string()),
            e @ SyncError::BadBalance { .. } => AppError::new(ErrorCode::Network, e.to_string()),
            e => AppError::internal(e.to_string()),
        }
    }
}
