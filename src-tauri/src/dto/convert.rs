//! Engine types into the DTOs the UI sees, the UI's arguments into engine types, and engine
//! errors into [`AppError`] with the app's words for their remedy. The commands call these;
//! none of them reads the database.

use reckon::check::{CheckError, CheckReport, CheckedFinding};
use reckon::export::{self, ExportError};
use reckon::import::{ImportError, Progress, Stage};
use reckon::model::{self, Finding, Severity as EngineSeverity};
use reckon::money;
use reckon::report::{self, ReportError};
use reckon::store::{self, ImportSummary, LedgerFilter, LedgerRow, StoreError};
use reckon::sync::{self, ApiError, SyncError, SyncProgress, Vendor};

use super::*;

// --- arguments -------------------------------------------------------------------------

/// The engine's filter for a ledger query; times must be RFC 3339.
pub fn ledger_filter(q: &LedgerQuery) -> Result<LedgerFilter, AppError> {
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

fn time_arg(name: &str, text: &str) -> Result<i64, AppError> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.timestamp_micros())
        .map_err(|e| AppError::bad_input(format!("{name} {text:?} is not an RFC 3339 time: {e}")))
}

impl From<Audience> for report::Audience {
    fn from(a: Audience) -> Self {
        match a {
            Audience::Support => report::Audience::Support,
            Audience::Customer => report::Audience::Customer,
        }
    }
}

impl From<ExportFormat> for export::ExportFormat {
    fn from(f: ExportFormat) -> Self {
        match f {
            ExportFormat::Csv => export::ExportFormat::Csv,
            ExportFormat::Json => export::ExportFormat::Json,
        }
    }
}

// --- views -----------------------------------------------------------------------------

/// The findings of one chain, from a walk of every chain.
pub fn chain_findings(report: &CheckReport, chain_id: i64) -> Vec<&CheckedFinding> {
    report.findings.iter().filter(|f| f.chain_id == chain_id).collect()
}

pub fn chain_view(chain: &store::ChainInfo, report: &CheckReport) -> ChainView {
    let mine = chain_findings(report, chain.id);
    let open = |severity| mine.iter().filter(|f| f.is_open() && f.finding.severity() == severity).count() as i64;
    let explained = mine.iter().filter(|f| !f.is_open()).count() as i64;
    counted_chain_view(chain, report, [open(EngineSeverity::Error), open(EngineSeverity::Warning), explained])
}

/// A row of the engine's ledger list (`chain_list`), whose findings are counted already: a
/// page of 100,000 ledgers never scans the findings once per ledger.
pub fn chain_row_view(row: &reckon::chain_list::ChainRow, report: &CheckReport) -> ChainView {
    counted_chain_view(row.chain, report, [row.open_errors as i64, row.open_warnings as i64, row.explained as i64])
}

/// `[open errors, open warnings, explained]`.
fn counted_chain_view(
    chain: &store::ChainInfo,
    report: &CheckReport,
    [errors, warnings, explained]: [i64; 3],
) -> ChainView {
    ChainView {
        id: chain.id,
        account: chain.key.account.clone(),
        currency: chain.key.currency.clone(),
        source: chain.source.clone(),
        dimensions: chain.dimensions.iter().map(|d| Dimension { key: d.key.clone(), title: d.title.clone() }).collect(),
        entries: chain.entries as i64,
        // A ledger that ends on a pending grant: the available balance before it (as check says).
        ledger_balance: chain
            .ledger_balance
            .or_else(|| report.pending.get(&chain.id).and_then(|p| p.available))
            .map(money::format),
        pending_balance: report.pending_balance(chain.id).map(money::format),
        rebuilt_balance: report.rebuilt.get(&chain.id).copied().map(money::format),
        stated_balance: chain.stated_balance.map(money::format),
        first_ts: chain.first_ts.map(model::rfc3339),
        last_ts: chain.last_ts.map(model::rfc3339),
        errors,
        warnings,
        explained,
        last_sync: chain.last_sync.as_ref().map(|s| LastSyncView {
            at: model::rfc3339(s.at),
            source: s.source.clone(),
            base_url: s.base_url.clone(),
            customer: s.customer.clone(),
        }),
    }
}

impl From<model::FindingKind> for FindingKind {
    fn from(k: model::FindingKind) -> Self {
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
            K::AnchorMismatch => FindingKind::AnchorMismatch,
            K::DoubleRefund => FindingKind::DoubleRefund,
            K::PendingUnsettled => FindingKind::PendingUnsettled,
            K::SettledAmountMismatch => FindingKind::SettledAmountMismatch,
            K::PendingOverspend => FindingKind::PendingOverspend,
            K::ExpiredGrantSpend => FindingKind::ExpiredGrantSpend,
            K::UnmatchedAcrossSources => FindingKind::UnmatchedAcrossSources,
        }
    }
}

impl From<EngineSeverity> for Severity {
    fn from(s: EngineSeverity) -> Self {
        match s {
            EngineSeverity::Error => Severity::Error,
            EngineSeverity::Warning => Severity::Warning,
        }
    }
}

/// A ledger row, flagged with the findings (of its chain) that name it.
pub fn row_view(row: &LedgerRow, findings: &[&CheckedFinding]) -> LedgerRowView {
    let naming: Vec<&Finding> = findings.iter().map(|f| &f.finding).filter(|f| f.row_ids.contains(&row.id)).collect();
    LedgerRowView {
        id: row.id,
        txn_id: row.txn_id.clone(),
        ts: model::rfc3339(row.ts),
        kind: row.kind.clone(),
        description: row.description.clone(),
        amount: money::format(row.amount),
        balance_after: row.balance_after.map(money::format),
        labels: row.labels.clone(),
        source_file: row.source_path.clone(),
        source_line: row.source_line as i64,
        finding_ids: naming.iter().map(|f| f.id.clone()).collect(),
        // Severity orders Error before Warning: the minimum is the worst.
        severity: naming.iter().map(|f| f.severity()).min().map(Severity::from),
    }
}

impl From<&CheckedFinding> for FindingView {
    fn from(f: &CheckedFinding) -> Self {
        FindingView {
            id: f.finding.id.clone(),
            chain_id: f.chain_id,
            kind: f.finding.kind.into(),
            severity: f.finding.severity().into(),
            transaction_ids: f.finding.transaction_ids.clone(),
            entry_ids: f.finding.row_ids.clone(),
            delta: f.finding.delta.map(money::format),
            message: f.finding.message.clone(),
            ts: f.finding.ts.map(model::rfc3339),
            explained: !f.is_open(),
            note: f.note.as_ref().map(|n| n.note.clone()),
        }
    }
}

/// The chart's mark for an open finding with a time; `None` for one without.
pub fn balance_mark(f: &CheckedFinding) -> Option<BalanceMark> {
    Some(BalanceMark {
        finding_id: f.finding.id.clone(),
        ts: model::rfc3339(f.finding.ts?),
        kind: f.finding.kind.as_str().to_string(),
        severity: f.finding.severity().as_str().to_string(),
        entry_ids: f.finding.row_ids.clone(),
        count: 1,
        errors: i64::from(f.finding.severity() == model::Severity::Error),
    })
}

impl From<model::AnchorKind> for AnchorKind {
    fn from(k: model::AnchorKind) -> Self {
        match k {
            model::AnchorKind::Stated => AnchorKind::Stated,
            model::AnchorKind::Reset => AnchorKind::Reset,
            model::AnchorKind::Opening => AnchorKind::Opening,
        }
    }
}

impl From<AnchorKind> for model::AnchorKind {
    fn from(k: AnchorKind) -> Self {
        match k {
            AnchorKind::Stated => model::AnchorKind::Stated,
            AnchorKind::Reset => model::AnchorKind::Reset,
            AnchorKind::Opening => model::AnchorKind::Opening,
        }
    }
}

pub fn anchor_view(chain_id: i64, a: &model::Anchor) -> AnchorView {
    AnchorView {
        id: a.id,
        chain_id,
        at: model::rfc3339(a.ts),
        balance: money::format(a.balance),
        kind: a.kind.into(),
        note: a.note.clone(),
        created: model::rfc3339(a.created),
    }
}

/// An anchor's time as typed: RFC 3339, or `2026-03-03 12:00:00` (UTC), as `reckon anchor
/// add --at` takes it.
pub fn anchor_time(text: &str) -> Result<i64, AppError> {
    reckon::import::parse_time(text).ok_or_else(|| {
        AppError::bad_input(format!(
            "the time {text:?} cannot be read: write it as 2026-03-03 12:00:00 (UTC) or 2026-03-03T12:00:00Z"
        ))
    })
}

impl From<&store::Totals> for TotalsView {
    fn from(t: &store::Totals) -> Self {
        TotalsView {
            entries: t.entries as i64,
            credits_in: money::format(t.credits_in),
            credits_out: money::format(t.credits_out),
            net: money::format(t.net()),
        }
    }
}

impl From<store::Facets> for Facets {
    fn from(f: store::Facets) -> Self {
        let dimensions = f
            .dimensions
            .into_iter()
            .map(|(d, values)| FacetValues { dimension: Dimension { key: d.key, title: d.title }, values })
            .collect();
        Facets { types: f.types, dimensions }
    }
}

impl From<&ImportSummary> for ImportOutcomeView {
    fn from(summary: &ImportSummary) -> Self {
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
}

impl From<&Progress<'_>> for ImportProgressEvent {
    fn from(p: &Progress<'_>) -> Self {
        ImportProgressEvent {
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
        }
    }
}

impl From<&SyncProgress> for SyncProgressEvent {
    fn from(p: &SyncProgress) -> Self {
        SyncProgressEvent {
            pages: p.pages as i64,
            entries: p.entries as i64,
            new: p.new as i64,
            known: p.known as i64,
            elapsed_ms: p.elapsed.as_millis() as i64,
            entries_per_second: p.entries_per_second(),
            customer: p.page.customer.clone(),
        }
    }
}

/// What a sync of `connection_id` did.
pub fn sync_outcome_view(connection_id: i64, summary: &sync::SyncSummary) -> SyncOutcomeView {
    let p = &summary.progress;
    SyncOutcomeView {
        connection_id,
        customers: summary.customers as i64,
        pages: p.pages as i64,
        entries: p.entries as i64,
        new: p.new as i64,
        known: p.known as i64,
        conflicting: p.conflicting as i64,
        elapsed_ms: p.elapsed.as_millis() as i64,
        // Reverie's /v1/balance; else a balance the API stated for a ledger (Lago's wallet).
        stated_balance: summary
            .stated
            .as_ref()
            .map(|s| s.balance)
            .or_else(|| summary.anchors.first().map(|a| a.balance))
            .map(money::format),
        cancelled: summary.cancelled,
    }
}

impl From<&Vendor> for VendorView {
    fn from(v: &Vendor) -> Self {
        VendorView {
            name: v.name.to_string(),
            title: v.title.to_string(),
            key_name: v.key_name.to_string(),
            per_customer: v.per_customer,
            customer_title: v.customer_title.to_string(),
            all_customers: v.all_customers,
        }
    }
}

/// A kept connection with where its scheduled syncs stand.
pub fn connection_view(c: &store::SyncConnection, schedule: ScheduleView) -> ConnectionView {
    ConnectionView {
        id: c.id,
        source: c.source.clone(),
        base_url: c.base_url.clone(),
        customer: c.customer.clone(),
        period_secs: c.period_secs,
        schedule,
    }
}

// --- errors ----------------------------------------------------------------------------

pub fn io_error(path: &std::path::Path, e: std::io::Error) -> AppError {
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
pub fn with_remedy(mut message: String, e: &(dyn std::error::Error + 'static)) -> String {
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
        Some(store::Remedy::WaitForWriter) => {
            ": another program is writing it (a large import from the command line has the file to itself until it \
             commits); try again when that is done"
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
            // The app's words for what the API crate leaves to each shell.
            SyncError::Api(e) if e.remedy().is_some() => {
                let words = match e.remedy() {
                    Some(sync::ApiRemedy::StoreKey(_)) => " through Connect account… (Connections).",
                    _ => ": the Connect account… dialog keeps it (Connections).",
                };
                AppError::bad_input(format!("{e}{words}"))
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
