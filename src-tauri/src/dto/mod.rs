//! The types the UI sends and receives, exactly as `docs/desktop-contract.md` spells them.
//! They live at the IPC boundary (camelCase, money as decimal strings, times as RFC 3339 UTC)
//! and are exported to `ui/src/bindings/` by ts-rs; conversions from engine types (and engine
//! errors into [`AppError`]) are in `convert.rs`, so the engine's own types never carry
//! `Serialize` for the UI's sake.

mod about;
mod chains;
mod convert;
mod findings;
mod matching;
mod profiles;
mod usage;
mod watch;

pub use about::*;
pub use chains::*;
pub use convert::*;
pub use findings::*;
pub use matching::*;
pub use profiles::*;
pub use usage::*;
pub use watch::*;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One ledger (an account's balance in one currency) with its health at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChainView {
    pub id: i64,
    pub account: String,
    pub currency: String,
    /// The source whose entries the chain holds (`reverie`).
    pub source: String,
    /// The label dimensions beyond the type, in the order rows carry them.
    pub dimensions: Vec<Dimension>,
    pub entries: i64,
    /// The available balance where the ledger keeps pending grants apart (`pending_balance`).
    pub ledger_balance: Option<String>,
    /// Granted but not yet settled, so not in `ledger_balance`: only for a ledger that keeps
    /// pending grants apart and has any (the grant ledger).
    pub pending_balance: Option<String>,
    /// Where entries state no balance (`ledger_balance` is `None`) and the ledger has anchors
    /// or an opening balance: the balance at its end rebuilt from them, as reports give it.
    pub rebuilt_balance: Option<String>,
    pub stated_balance: Option<String>,
    pub first_ts: Option<String>,
    pub last_ts: Option<String>,
    pub errors: i64,
    pub warnings: i64,
    pub explained: i64,
    /// The last sync through a vendor's API that reached this chain; `None` if never synced.
    pub last_sync: Option<LastSyncView>,
}

/// When and from where a chain was last synced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LastSyncView {
    /// RFC 3339 UTC.
    pub at: String,
    /// The vendor's name (`VendorView::name`).
    pub source: String,
    pub base_url: String,
    /// The customer asked for; `None` for every customer (or Reverie, which has none).
    pub customer: Option<String>,
}

/// A vendor the app syncs from, as the engine's vendor table states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct VendorView {
    /// What connections and last syncs name it by (`reverie`).
    pub name: String,
    /// Its name for people (`Reverie`).
    pub title: String,
    /// The keyring user its key is stored under.
    pub key_name: String,
    /// Whether its ledgers are per customer (one customer, or all of them).
    pub per_customer: bool,
    /// What one ledger belongs to (`Customer`, Lago's `Wallet`).
    pub customer_title: String,
    /// Whether every customer can be synced at once; else one must be named.
    pub all_customers: bool,
}

/// "Connect account…": where the API is, its key, and whose ledgers (vendors with customers).
#[derive(Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConnectRequest {
    /// The vendor's name (`VendorView::name`).
    pub source: String,
    pub base_url: String,
    /// Goes to the OS keyring (or, where none runs, this session's memory); never stored in
    /// the database, logged, or sent back.
    pub key: String,
    /// Vendors with customers: one customer's ledger; `None` with `allCustomers`.
    pub customer: Option<String>,
    pub all_customers: bool,
}

/// Debug never shows the key.
impl std::fmt::Debug for ConnectRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectRequest")
            .field("source", &self.source)
            .field("base_url", &self.base_url)
            .field("key", &"<redacted>")
            .field("customer", &self.customer)
            .field("all_customers", &self.all_customers)
            .finish()
    }
}

/// Where a connection's key is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum KeyStorage {
    /// The OS keyring, shared with the `reckon` CLI.
    Keyring,
    /// No keyring runs here: kept in the app's memory until it quits.
    Session,
}

/// A kept connection (never with its key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionView {
    pub id: i64,
    /// The vendor's name (`VendorView::name`).
    pub source: String,
    pub base_url: String,
    /// `None`: every customer (or Reverie, which has none).
    pub customer: Option<String>,
    /// Seconds between two scheduled syncs, as kept with the connection; 0: only when asked.
    pub period_secs: i64,
    /// Where its scheduled syncs stand (as the running app plans them).
    pub schedule: ScheduleView,
}

/// Where a connection's scheduled syncs stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ScheduleState {
    /// Synced only when asked.
    Off,
    /// Waiting for its next scheduled sync (`nextAt`).
    Waiting,
    /// A scheduled sync of it runs now.
    Syncing,
    /// Its vendor could not be reached: paused, retried at `nextAt` (backing off).
    Offline,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleView {
    pub state: ScheduleState,
    /// The period in force, in seconds (0: off).
    pub period_secs: i64,
    /// `RECKON_SYNC_PERIOD_SECS` sets every connection's period (tests).
    pub overridden: bool,
    /// RFC 3339 UTC: when the next scheduled sync is due.
    pub next_at: Option<String>,
    /// RFC 3339 UTC: the last sync of this session (scheduled or Sync now).
    pub last_at: Option<String>,
    /// Why the last scheduled sync failed, as it is.
    pub last_error: Option<String>,
}

/// A desktop notification raised for a new open error after a scheduled sync; also what
/// "open the finding" carries to the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NotifiedFinding {
    /// The notification's number in this session (1, 2, ...).
    pub id: i32,
    pub chain_id: i64,
    pub finding_id: String,
    /// FORMATS.md section 2 (`balance_break`).
    pub kind: String,
    /// Signed decimal, where the finding has a delta.
    pub delta: Option<String>,
    /// As shown: names the ledger (`Reckon: default · credits`).
    pub title: String,
    /// As shown: the kind and the delta.
    pub body: String,
    /// RFC 3339 UTC, when it was raised.
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConnectOutcome {
    pub connection: ConnectionView,
    pub key_storage: KeyStorage,
    /// What happened to the key, to show as it is ("No OS keyring is running here; ...").
    pub message: String,
}

/// Where a sync is, after each stored page; sent over the `onProgress` channel.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncProgressEvent {
    pub pages: i64,
    pub entries: i64,
    pub new: i64,
    pub known: i64,
    pub elapsed_ms: i64,
    pub entries_per_second: f64,
    /// The customer of the page just stored (Orb, Stripe).
    pub customer: Option<String>,
}

/// What a sync did.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SyncOutcomeView {
    pub connection_id: i64,
    pub customers: i64,
    pub pages: i64,
    pub entries: i64,
    pub new: i64,
    pub known: i64,
    pub conflicting: i64,
    pub elapsed_ms: i64,
    /// Reverie: the balance `/v1/balance` states, now the chain's stated balance.
    pub stated_balance: Option<String>,
    /// Cancelled before the end: what was stored stays; the next sync resumes from there.
    pub cancelled: bool,
}

/// A label dimension a source declares (Reverie: character, model).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Dimension {
    pub key: String,
    pub title: String,
}

/// Entries whose value in dimension `key` is `value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LabelFilter {
    pub key: String,
    pub value: String,
}

/// Where an import is; sent over the `onProgress` channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ImportStage {
    Reading,
    Storing,
    Done,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportProgressEvent {
    pub file: String,
    pub file_index: i64,
    pub files: i64,
    pub bytes_done: i64,
    pub bytes_total: i64,
    pub stage: ImportStage,
}

/// What one imported file brought.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportFileView {
    pub path: String,
    pub format: String,
    pub new: i64,
    pub known: i64,
    pub conflicting: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ImportOutcomeView {
    pub files: Vec<ImportFileView>,
}

/// Which rows of a chain the ledger screen shows. `search` is a transaction ID prefix;
/// `from`/`to` are RFC 3339 times, `from` inclusive, `to` exclusive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LedgerQuery {
    pub chain_id: i64,
    pub types: Vec<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub labels: Vec<LabelFilter>,
    pub search: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LedgerRowView {
    pub id: i64,
    pub txn_id: String,
    pub ts: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub description: String,
    pub amount: String,
    /// `None` where the source states no balance after the entry (shown as a dash).
    pub balance_after: Option<String>,
    /// The row's value in each of its chain's dimensions, in order.
    pub labels: Vec<Option<String>>,
    pub source_file: String,
    pub source_line: i64,
    pub finding_ids: Vec<String>,
    /// The worst severity among the findings that name this row.
    pub severity: Option<Severity>,
}

/// One page of rows, newest first, and how many rows the query matches in all.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LedgerPage {
    pub rows: Vec<LedgerRowView>,
    pub total: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TotalsView {
    pub entries: i64,
    pub credits_in: String,
    pub credits_out: String,
    pub net: String,
}

/// The values one dimension's filter offers.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FacetValues {
    pub dimension: Dimension,
    pub values: Vec<String>,
}

/// The values the filter controls offer.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Facets {
    pub types: Vec<String>,
    pub dimensions: Vec<FacetValues>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BalancePoint {
    pub ts: String,
    /// The available balance after the entry (rebuilt from the anchors where entries state none).
    pub balance: String,
    /// What is pending then (granted, not yet settled); `None` for a ledger without pending
    /// grants.
    pub pending: Option<String>,
}

/// What an anchor says about the balance at its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum AnchorKind {
    /// Someone or something stated the balance then; the ledger is checked against it.
    Stated,
    /// The vendor set the balance outright then (a package reset); the walk goes on from it.
    Reset,
    /// The balance the walk starts from at that time.
    Opening,
}

/// A balance stated (or set) at a point in time, kept with its ledger.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AnchorView {
    pub id: i64,
    pub chain_id: i64,
    /// RFC 3339 UTC; entries at or before it count before the anchor.
    pub at: String,
    pub balance: String,
    pub kind: AnchorKind,
    /// Where the figure came from; may be empty.
    pub note: String,
    /// When it was added, RFC 3339 UTC.
    pub created: String,
}

/// "On 3 March the page said 1,240": an anchor to add by hand.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AnchorRequest {
    pub chain_id: i64,
    /// RFC 3339, or `2026-03-03 12:00:00` (UTC).
    pub at: String,
    /// A decimal (`1240`, `1,240.50`).
    pub balance: String,
    pub kind: AnchorKind,
    pub note: String,
}

/// A finding pinned to the balance chart.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BalanceMark {
    /// The mark's worst finding (an error before a warning, then the earliest).
    pub finding_id: String,
    /// Its first finding's time.
    pub ts: String,
    pub kind: String,
    pub severity: String,
    /// The entries its findings name (at most 500).
    pub entry_ids: Vec<i64>,
    /// Open findings the mark stands for: those of one pixel column of the chart.
    pub count: i64,
    /// Of them, errors.
    pub errors: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BalanceSeries {
    pub points: Vec<BalancePoint>,
    pub marks: Vec<BalanceMark>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FindingView {
    pub id: String,
    pub chain_id: i64,
    pub kind: FindingKind,
    pub severity: Severity,
    pub transaction_ids: Vec<String>,
    pub entry_ids: Vec<i64>,
    pub delta: Option<String>,
    pub message: String,
    pub ts: Option<String>,
    pub explained: bool,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EntryDetailView {
    pub row: LedgerRowView,
    /// The line as it stood in the imported file, where the source keeps lines.
    pub raw_line: Option<String>,
    /// Why `raw_line` is missing, or a remark on it.
    pub raw_line_note: Option<String>,
    pub findings: Vec<FindingView>,
}

/// What kind of thing does not add up; names fixed by FORMATS.md section 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    BalanceBreak,
    MisreportedBalance,
    HeadMismatch,
    OpeningMismatch,
    ConflictingDuplicate,
    DuplicateCharge,
    UnmatchedRefund,
    UnknownType,
    UnusualAmount,
    RefundMismatch,
    AnchorMismatch,
    DoubleRefund,
    PendingUnsettled,
    SettledAmountMismatch,
    PendingOverspend,
    ExpiredGrantSpend,
    UnmatchedAcrossSources,
}

/// Who a report draft is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    Support,
    Customer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Csv,
    Json,
}

/// Every command rejects with this; the UI branches on `code` and shows `message` verbatim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadInput,
    NotFound,
    Cancelled,
    Io,
    Database,
    /// A vendor's API could not be reached or answered what it should not (a sync).
    Network,
    Internal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError { code, message: message.into() }
    }

    pub fn bad_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::BadInput, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    pub fn io(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Io, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
}

/// How ts-rs writes the bindings: `i64` ids and counts are plain `number`s in the UI (they
/// stay far below 2^53).
pub fn bindings_config() -> ts_rs::Config {
    ts_rs::Config::new().with_large_int("number")
}

/// Writes every exported type's declaration into `dir` (one `.ts` file per type).
pub fn export_bindings(dir: &std::path::Path) -> Result<(), ts_rs::ExportError> {
    let cfg = bindings_config().with_out_dir(dir);
    ChainView::export_all(&cfg)?;
    ChainsQuery::export_all(&cfg)?;
    ChainSortView::export_all(&cfg)?;
    ChainPageView::export_all(&cfg)?;
    ChainWatchView::export_all(&cfg)?;
    ImportProgressEvent::export_all(&cfg)?;
    ImportOutcomeView::export_all(&cfg)?;
    LedgerQuery::export_all(&cfg)?;
    LedgerPage::export_all(&cfg)?;
    TotalsView::export_all(&cfg)?;
    Facets::export_all(&cfg)?;
    BalanceSeries::export_all(&cfg)?;
    FindingView::export_all(&cfg)?;
    FindingsQuery::export_all(&cfg)?;
    FindingsPage::export_all(&cfg)?;
    FindingIds::export_all(&cfg)?;
    EntryDetailView::export_all(&cfg)?;
    Audience::export_all(&cfg)?;
    ExportFormat::export_all(&cfg)?;
    AppError::export_all(&cfg)?;
    VendorView::export_all(&cfg)?;
    ConnectRequest::export_all(&cfg)?;
    ConnectOutcome::export_all(&cfg)?;
    SyncProgressEvent::export_all(&cfg)?;
    SyncOutcomeView::export_all(&cfg)?;
    AnchorView::export_all(&cfg)?;
    AnchorRequest::export_all(&cfg)?;
    UsageViewInfo::export_all(&cfg)?;
    UsageRequest::export_all(&cfg)?;
    UsageRowView::export_all(&cfg)?;
    ProfileView::export_all(&cfg)?;
    PreviewView::export_all(&cfg)?;
    MatchOutcomeView::export_all(&cfg)?;
    AboutView::export_all(&cfg)?;
    NotifiedFinding::export_all(&cfg)?;
    Ok(())
}
