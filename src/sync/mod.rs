//! A sync: a vendor's ledger fetched through its API (crate `reckon-api`) and stored page by
//! page exactly as an import of the same answer would be (`import::store_parsed`), so the CLI
//! (`reckon sync`) and the desktop app (Sync now) share one path.
//!
//! How the store and the async fetch meet: `sync` is an `async fn` that borrows the caller's
//! `Store` but never holds it across an `.await`. The client hands each page to a synchronous
//! sink, which parses and stores it in its own transaction before the client asks for the next
//! one; the future therefore runs on one thread (the CLI's current-thread runtime, or the app's
//! runtime entered from a blocking thread with a connection of its own), and what is stored is
//! always a prefix the next run resumes from. Cancelling (the sink's `Break`, or the flag,
//! polled while a request is in flight) drops the fetch between two stores.
//!
//! Which vendors there are, and how each is named, paged, read and fetched: the table in
//! `vendor.rs`. Incremental: a vendor with one ledger per key (Reverie) is asked `since` the
//! chain's newest stored entry (that second's entries come again and dedupe as known); vendors
//! with customers (Orb, Stripe) page newest first and stop at the first
//! stored ID, also asked from each customer's newest stored time.

pub mod key;
mod vendor;

pub use vendor::{vendor, vendor_names, Vendor, VENDORS};

use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::import::{self, fingerprint_bytes, store_parsed, ImportError, ImportOptions, Reader};
use crate::model::{AnchorKind, ChainKey};
use crate::store::{ImportSummary, LastSync, Store, StoreError};
pub use reckon_api::{ApiError, ApiKey, BaseUrl, Bounds, Remedy as ApiRemedy};
use reckon_api::{Config, Fetched, Job, Known, Ledger, Page, PageSink, RateLimit};

/// Whose ledgers, for APIs with customers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Customers {
    One(String),
    All,
}

/// What to sync and how.
#[derive(Debug, Clone)]
pub struct SyncRequest {
    pub vendor: &'static Vendor,
    pub base_url: BaseUrl,
    pub key: ApiKey,
    /// Vendors with customers; the others have one ledger per key.
    pub customers: Customers,
    /// Where entries go when the API names no account (Reverie's ledger, Orb/Stripe entries
    /// without a customer).
    pub chain: ChainKey,
    /// Entries per page; `None`: the largest the API serves.
    pub page_size: Option<usize>,
    /// One ledger per key (Reverie): fetch from this time on (RFC 3339) instead of the chain's newest stored entry.
    pub since: Option<String>,
    /// Requests a second; `None`: the vendor's documented rate (`Vendor::rate`).
    pub rate: Option<u32>,
    /// Customers fetched at once (sharing the rate limit).
    pub concurrency: usize,
    /// Recorded as the import time and the chains' last sync (the clock is a parameter).
    pub now: DateTime<Utc>,
    /// Set from elsewhere to stop the sync, even while a request is in flight.
    pub cancel: Option<Arc<AtomicBool>>,
    /// How far a sync may go whatever the server says (page size, entries, a run of pages
    /// with nothing new, a deadline for the whole sync); entries default to a file's limit.
    pub bounds: Bounds,
}

impl SyncRequest {
    pub fn new(vendor: &'static Vendor, base_url: BaseUrl, key: ApiKey, now: DateTime<Utc>) -> SyncRequest {
        SyncRequest {
            vendor,
            base_url,
            key,
            customers: Customers::All,
            chain: ChainKey::new(ChainKey::DEFAULT_ACCOUNT, ChainKey::DEFAULT_CURRENCY),
            page_size: None,
            since: None,
            rate: None,
            concurrency: 4,
            now,
            cancel: None,
            bounds: Bounds { entries: import::MAX_ENTRIES, ..Bounds::default() },
        }
    }
}

/// One stored page, as a progress event names it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageDone {
    /// The customer whose ledger it is (Orb, Stripe).
    pub customer: Option<String>,
    /// 0 for the first page of this run (of this customer).
    pub index: usize,
    pub entries: u64,
    pub new: u64,
    pub known: u64,
    pub conflicting: u64,
}

/// Where a sync is, after each stored page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncProgress {
    pub pages: u64,
    pub entries: u64,
    pub new: u64,
    pub known: u64,
    pub conflicting: u64,
    /// Since the sync started (a stopwatch, not the clock: it dates nothing).
    pub elapsed: Duration,
    /// The page just stored.
    pub page: PageDone,
}

impl SyncProgress {
    /// Entries fetched and stored a second so far.
    pub fn entries_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.entries as f64 / secs
        } else {
            0.0
        }
    }
}

/// Receives progress after each stored page and may stop the sync by returning `Break`
/// (the pages stored stay; the next run resumes after them). In the spirit of `ProgressSink`.
pub trait SyncSink {
    fn progress(&mut self, progress: &SyncProgress) -> ControlFlow<()>;
}

/// Ignores progress and never stops.
#[derive(Debug, Default, Clone, Copy)]
pub struct Quiet;

impl SyncSink for Quiet {
    fn progress(&mut self, _: &SyncProgress) -> ControlFlow<()> {
        ControlFlow::Continue(())
    }
}

/// The balance Reverie's `/v1/balance` stated, now the chain's stated balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stated {
    pub balance: Decimal,
    /// As the API wrote it.
    pub as_of: String,
    /// Whether it was saved (not when the ledger has no entries to hang it on).
    pub saved: bool,
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncSummary {
    /// Orb and Stripe: customers whose ledgers were fetched.
    pub customers: usize,
    pub progress: SyncProgress,
    /// The chains the sync reached (each recorded as last synced now).
    pub chain_ids: Vec<i64>,
    /// Reverie: the balance the API states now.
    pub stated: Option<Stated>,
    /// Whether the sync was cancelled; what it stored stays.
    pub cancelled: bool,
    /// Reverie: the `since` the API was asked with.
    pub since: Option<String>,
    /// Balances the API stated for named ledgers (Lago's wallets), each kept as an anchor.
    pub anchors: Vec<KeptAnchor>,
}

/// A balance the API stated for one ledger during a sync, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptAnchor {
    pub chain: ChainKey,
    pub balance: Decimal,
    /// When it held, Unix microseconds (the sync's clock when the API gave no time).
    pub ts: i64,
    /// The chain it was kept with; `None` when the ledger has no entries to anchor.
    pub chain_id: Option<i64>,
    /// Whether a new anchor was added: not when the chain's newest anchor already states
    /// this balance and the sync stored nothing new (a second run adds nothing).
    pub added: bool,
}

/// Why a sync stopped.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The API could not be reached, refused the key, or answered what is not its format.
    #[error("{0}")]
    Api(#[from] ApiError),
    /// A page could not be read as the API's format, or not stored.
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error("{0}")]
    Store(#[from] StoreError),
    /// This build has no reader for the API's pages.
    #[error("this build of reckon has no {reader} reader to read {api} pages with, so nothing can be stored (nothing was fetched); the readers known are: {known}")]
    NoReader { reader: &'static str, api: &'static str, known: String },
    /// `/v1/balance` answered a balance that is not a decimal.
    #[error("{api}: the balance {balance:?} from {url} cannot be read: expected {problem}; the ledger was stored, the stated balance was not")]
    BadBalance { api: &'static str, balance: String, url: String, problem: String },
    /// The tokio runtime could not start.
    #[error("cannot start the runtime for network requests: {0}")]
    Runtime(std::io::Error),
}

/// Runs `sync` on a current-thread runtime of its own, on the calling thread (the CLI's way).
pub fn sync_blocking(
    store: &mut Store,
    request: &SyncRequest,
    sink: &mut dyn SyncSink,
) -> Result<SyncSummary, SyncError> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(SyncError::Runtime)?;
    runtime.block_on(sync(store, request, sink))
}

/// Syncs what is new into `store`: see the module's documentation.
pub async fn sync(store: &mut Store, request: &SyncRequest, sink: &mut dyn SyncSink) -> Result<SyncSummary, SyncError> {
    let vendor = request.vendor;
    let reader = import::reader(vendor.reader).filter(|r| r.parse.is_some()).ok_or_else(|| SyncError::NoReader {
        reader: vendor.reader,
        api: vendor.api,
        known: import::reader_names(),
    })?;
    let mut config = Config::new(request.base_url.clone(), request.key.clone());
    config.page_size = request.page_size.unwrap_or(vendor.max_page).clamp(1, vendor.max_page);
    config.rate_limit = request.rate.map(|per_second| RateLimit { per_second }).or(vendor.rate);
    config.bounds = request.bounds;
    let mut options = ImportOptions::new(request.now);
    options.chain = request.chain.clone();
    let mut summary = SyncSummary::default();
    let cancel = request.cancel.clone().unwrap_or_default();
    let stored;
    let known: &dyn Known = if vendor.per_customer {
        stored = Stored::load(store, reader.source.name)?;
        &stored
    } else {
        // A chain a repair left waiting for a refill is fetched whole, whatever `since` says.
        let refill = match store.chain_id(&request.chain)? {
            Some(id) => store.awaiting_sync(id)?,
            None => false,
        };
        config.since = match &request.since {
            Some(since) if !refill => Some(since.clone()),
            _ => newest_second(store, &request.chain)?,
        };
        summary.since = config.since.clone();
        &()
    };
    let mut pages = StorePages {
        store: &mut *store,
        reader,
        options,
        progress: SyncProgress::default(),
        chain_ids: Vec::new(),
        sink,
        started: Instant::now(),
        cancel: cancel.clone(),
    };
    let customers = match &request.customers {
        Customers::One(c) => Some(vec![c.clone()]),
        Customers::All => None,
    };
    let job = Job { config, customers, known, concurrency: request.concurrency.max(1) };
    let fetch = (vendor.fetch)(job, &mut pages);
    let outcome = tokio::select! {
        outcome = fetch => Some(outcome),
        () = cancelled(&cancel) => None,
    };
    summary.progress = pages.progress.clone();
    summary.progress.elapsed = pages.started.elapsed();
    summary.chain_ids = std::mem::take(&mut pages.chain_ids);
    drop(pages);
    let Ledger { fetched, balance, anchors } = match outcome {
        Some(outcome) => {
            let result = outcome;
            // What was stored before an error is kept; say when it was synced from anyway.
            if result.is_err() {
                record(store, request, &summary.chain_ids)?;
            }
            result?
        }
        None => Ledger { fetched: Fetched { stopped: true, ..Fetched::default() }, ..Ledger::default() },
    };
    summary.customers = fetched.customers;
    summary.cancelled = fetched.stopped;
    if let Some(balance) = balance {
        let stated = crate::money::parse(&balance.balance).map_err(|e| SyncError::BadBalance {
            api: vendor.api,
            balance: balance.balance.clone(),
            url: balance.url.clone(),
            problem: e.to_string(),
        })?;
        let chain_id = store.chain_id(&request.chain)?;
        if let Some(id) = chain_id {
            store.set_stated_balance(id, Some(stated))?;
            if !summary.chain_ids.contains(&id) {
                summary.chain_ids.push(id);
            }
        }
        summary.stated = Some(Stated { balance: stated, as_of: balance.as_of, saved: chain_id.is_some() });
    }
    for anchor in &anchors {
        let kept = keep_anchor(store, request, anchor, summary.progress.new)?;
        if let Some(id) = kept.chain_id.filter(|id| !summary.chain_ids.contains(id)) {
            summary.chain_ids.push(id);
        }
        summary.anchors.push(kept);
    }
    record(store, request, &summary.chain_ids)?;
    if !summary.cancelled {
        // Each chain reached was fetched whole if it waited for a refill (see `newest_second`
        // and `Stored::load`): it may be read again.
        store.clear_awaiting_sync(&summary.chain_ids)?;
    }
    Ok(summary)
}

/// Keeps a balance the API stated for a ledger as a stated anchor of its chain, unless the
/// chain's newest anchor states the same balance and the sync stored nothing new (`new`).
fn keep_anchor(
    store: &mut Store,
    request: &SyncRequest,
    anchor: &reckon_api::StatedAnchor,
    new: u64,
) -> Result<KeptAnchor, SyncError> {
    let api = request.vendor.api;
    let balance = crate::money::parse(&anchor.balance).map_err(|e| SyncError::BadBalance {
        api,
        balance: anchor.balance.clone(),
        url: anchor.url.clone(),
        problem: e.to_string(),
    })?;
    let ts = match &anchor.at {
        Some(at) => {
            DateTime::parse_from_rfc3339(at).map(|t| t.timestamp_micros()).map_err(|_| SyncError::BadBalance {
                api,
                balance: at.clone(),
                url: anchor.url.clone(),
                problem: "an RFC 3339 time for the balance".into(),
            })?
        }
        None => request.now.timestamp_micros(),
    };
    let chain = ChainKey::new(anchor.account.clone(), anchor.currency.clone());
    let chain_id = store.chain_id(&chain)?;
    let mut added = false;
    if let Some(id) = chain_id {
        let newest = store.anchors(id)?.into_iter().filter(|a| a.kind.is_checked()).max_by_key(|a| a.ts);
        if new > 0 || newest.is_none_or(|a| a.balance != balance) {
            let note = format!("{api}: balance read from {}", anchor.url);
            store.add_anchor(id, ts, balance, AnchorKind::Stated, &note, request.now.timestamp_micros())?;
            added = true;
        }
    }
    Ok(KeptAnchor { chain, balance, ts, chain_id, added })
}

/// Resolves once `cancel` is set (polled: it is set from another thread).
async fn cancelled(cancel: &AtomicBool) {
    while !cancel.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Records the chains' last sync: when, from which API, URL and customer (never the key).
fn record(store: &mut Store, request: &SyncRequest, chain_ids: &[i64]) -> Result<(), StoreError> {
    if chain_ids.is_empty() {
        return Ok(());
    }
    let customer = match &request.customers {
        Customers::One(c) if request.vendor.per_customer => Some(c.clone()),
        _ => None,
    };
    store.record_sync(
        chain_ids,
        &LastSync {
            at: request.now.timestamp_micros(),
            source: request.vendor.name.to_string(),
            base_url: request.base_url.to_string(),
            customer,
        },
    )
}

/// The second of the chain's newest stored entry, RFC 3339 UTC: a later Reverie sync asks
/// `since` then, so only what is new comes (with that second's entries again, known). None
/// for a chain a repair left waiting for a refill: its whole ledger comes again.
fn newest_second(store: &Store, chain: &ChainKey) -> Result<Option<String>, StoreError> {
    let Some(id) = store.chain_id(chain)? else { return Ok(None) };
    if store.awaiting_sync(id)? {
        return Ok(None);
    }
    Ok(store.chain(id)?.last_ts.and_then(|ts| {
        DateTime::from_timestamp(ts.div_euclid(1_000_000), 0).map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
    }))
}

/// What the store holds of a newest-first source: every transaction ID (Orb and Stripe IDs
/// are unique across an account) and each account's newest entry time. An account with a
/// chain a repair left waiting for a refill is left out whole, so its ledger is fetched from
/// the start.
struct Stored {
    ids: HashSet<String>,
    newest: HashMap<String, i64>,
}

impl Stored {
    fn load(store: &Store, source: &str) -> Result<Stored, StoreError> {
        let mut stored = Stored { ids: HashSet::new(), newest: HashMap::new() };
        let chains: Vec<_> = store.chains()?.into_iter().filter(|c| c.source == source).collect();
        let mut refill = HashSet::new();
        for chain in &chains {
            if store.awaiting_sync(chain.id)? {
                refill.insert(chain.key.account.clone());
            }
        }
        for chain in chains.iter().filter(|c| !refill.contains(&c.key.account)) {
            let (_, txns) = store.load_facts(chain)?;
            let ids: HashSet<String> =
                (0..txns.len()).map(|i| String::from_utf8_lossy(txns.get(i)).into_owned()).collect();
            // A transaction stored while pending (Lago) settles or fails later under its own
            // ID, wherever it sits in a newest-first list: while one waits, the ledger is
            // fetched whole, since stopping at newer known entries would never reach it.
            if ids.iter().filter_map(|id| id.strip_suffix(import::PENDING_SUFFIX)).any(|id| !ids.contains(id)) {
                continue;
            }
            stored.ids.extend(ids);
            if let Some(ts) = chain.last_ts {
                let secs = ts.div_euclid(1_000_000);
                let newest = stored.newest.entry(chain.key.account.clone()).or_insert(secs);
                *newest = (*newest).max(secs);
            }
        }
        Ok(stored)
    }
}

impl Known for Stored {
    fn is_known(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    fn since(&self, customer: &str) -> Option<i64> {
        self.newest.get(customer).copied()
    }
}

/// Parses each page with the reader a saved answer would get and stores it in its own
/// transaction, then reports progress.
struct StorePages<'a> {
    store: &'a mut Store,
    reader: &'static Reader,
    options: ImportOptions,
    progress: SyncProgress,
    chain_ids: Vec<i64>,
    sink: &'a mut dyn SyncSink,
    started: Instant,
    cancel: Arc<AtomicBool>,
}

impl PageSink for StorePages<'_> {
    type Error = SyncError;

    fn page(&mut self, page: Page) -> Result<ControlFlow<()>, SyncError> {
        let parse = self.reader.parse.expect("checked before fetching");
        let print = fingerprint_bytes(&page.body);
        let parsed = parse(Path::new(&page.url), page.body)?;
        // An empty page (nothing since, a customer without entries) names no chain: storing it
        // would make an empty one of the default account.
        let stored = if parsed.entries.is_empty() {
            ImportSummary::default()
        } else {
            store_parsed(self.store, vec![parsed], &[print], &self.options, &mut || ControlFlow::Continue(()))?
        };
        for id in &stored.chain_ids {
            if !self.chain_ids.contains(id) {
                self.chain_ids.push(*id);
            }
        }
        let done = PageDone {
            customer: page.customer,
            index: page.index,
            entries: page.entries as u64,
            new: stored.new_entries(),
            known: stored.known_entries(),
            conflicting: stored.conflicting_entries(),
        };
        let p = &mut self.progress;
        p.pages += 1;
        p.entries += done.entries;
        p.new += done.new;
        p.known += done.known;
        p.conflicting += done.conflicting;
        p.elapsed = self.started.elapsed();
        p.page = done;
        let flow = self.sink.progress(p);
        if flow.is_break() || self.cancel.load(Ordering::SeqCst) {
            return Ok(ControlFlow::Break(()));
        }
        Ok(ControlFlow::Continue(()))
    }
}
