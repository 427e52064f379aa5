//! Ledgers that page newest first (Orb, Stripe): fetch to the end the first time, later only
//! what is new, and never lose the middle when a run is cut short.
//!
//! The problem: pages arrive newest first. Had each page been stored as it came, a run killed
//! after its first page would leave the newest entries stored and the older new ones not; the
//! next run would stop at those newest entries as "known ground" and the middle would be lost
//! for good.
//!
//! The choice: one customer's new pages are buffered in memory until the run reaches known
//! ground (a page holding an entry the caller already has, see [`Known`]) or the end of the
//! ledger; only then are they handed to the sink, oldest page first. Whatever prefix of that
//! hand-over the caller commits before a kill is the oldest part of what was new, contiguous
//! with what it had, so the next run stops at it and fetches the rest again: nothing is lost,
//! and nothing is duplicated (the store dedupes the page that reached known ground by ID).
//! The price: memory for one customer's new entries (a first sync of a long ledger holds it
//! all, ~1 KB an entry), and a run stopped mid-customer (an error, a kill) fetches that
//! customer's new pages again next time. Storing page by page and keeping a resume cursor
//! would save that refetch but needs cursors that outlive a run, which neither API promises.
//!
//! `--all-customers` fetches several customers at once (bounded), sharing the client's rate
//! limiter; each customer's batch goes to the sink whole as soon as it is complete.

use std::collections::HashSet;
use std::ops::ControlFlow;

use futures_util::stream::{self, StreamExt};
use serde_json::Value;
use url::Url;

use crate::fetch::{Http, Idle};
use crate::{ApiError, Fetched, Page, PageSink};

/// What the caller already has: where an incremental fetch may stop.
pub trait Known {
    /// Whether an entry with this ID is stored already.
    fn is_known(&self, id: &str) -> bool;
    /// The time (Unix seconds) of the newest entry stored for `customer`, if any: the API is
    /// then asked only for entries from that second on (`created_at[gte]`, `created[gte]`).
    fn since(&self, _customer: &str) -> Option<i64> {
        None
    }
}

/// Nothing is known: fetch everything.
impl Known for () {
    fn is_known(&self, _id: &str) -> bool {
        false
    }
}

/// These IDs are known; no time is.
impl Known for HashSet<String> {
    fn is_known(&self, id: &str) -> bool {
        self.contains(id)
    }
}

/// A page's envelope, read by the vendor's module.
pub(crate) struct Envelope {
    pub(crate) data: Vec<Value>,
    /// The cursor of the next (older) page; `None` on the last.
    pub(crate) next: Option<String>,
}

/// What the engine needs of a newest-first API.
pub(crate) trait Api {
    fn http(&self) -> &Http;
    /// The ledger page of `customer` after `cursor`, entries from `since` (Unix seconds) on.
    fn ledger_url(&self, customer: &str, cursor: Option<&str>, since: Option<i64>) -> Url;
    /// A page of the customer list after `cursor`.
    fn customers_url(&self, cursor: Option<&str>) -> Url;
    /// The envelope of a page (ledger or customers); `Err` says what is wrong with it.
    fn envelope(&self, body: &[u8]) -> Result<Envelope, String>;
    /// The field holding an entry's time, and whether `value` is one.
    fn time_field(&self) -> (&'static str, fn(&Value) -> bool);
    /// The ID of a customer-list item.
    fn customer_id(&self, item: &Value) -> Option<String>;
    /// The field holding an entry's ID (Lago: `lago_id`), and as messages quote it.
    fn id_field(&self) -> (&'static str, &'static str) {
        ("id", "\"id\"")
    }
}

/// Pages through one customer's ledger, newest first, until a page reaches known ground or
/// the end; returns the pages oldest first, indexed from 0.
pub(crate) async fn ledger(api: &impl Api, customer: &str, known: &dyn Known) -> Result<Vec<Page>, ApiError> {
    let http = api.http();
    let since = known.since(customer);
    let mut pages = Vec::new();
    let mut seen = HashSet::new();
    let mut idle = Idle::default();
    let mut cursor: Option<String> = None;
    loop {
        let url = api.ledger_url(customer, cursor.as_deref(), since);
        let body = http.get(&url).await?;
        let page = api.envelope(&body).map_err(|problem| http.bad_answer(&url, problem))?;
        let ids = check_entries(api, &url, pages.len() + 1, &page.data)?;
        let reached = ids.iter().any(|id| known.is_known(id));
        repeated(http, &url, &mut seen, page.next.as_deref())?;
        http.count_entries(&url, ids.len())?;
        let run = idle.page(ids.iter().map(|id| Some(id.as_bytes())));
        if page.next.is_some() && !reached && run >= http.config.bounds.idle_pages.max(1) {
            return Err(http.idle(&url, run));
        }
        pages.push(Page {
            url: http.shown(&url),
            body,
            next_cursor: page.next.clone(),
            index: 0,
            entries: page.data.len(),
            customer: Some(customer.to_string()),
        });
        match page.next {
            Some(next) if !reached => cursor = Some(next),
            _ => break,
        }
    }
    pages.reverse();
    for (index, page) in pages.iter_mut().enumerate() {
        page.index = index;
    }
    Ok(pages)
}

/// Every customer's ID, following the list's cursors to the end.
pub(crate) async fn customers(api: &impl Api) -> Result<Vec<String>, ApiError> {
    let http = api.http();
    let mut ids = Vec::new();
    let mut seen = HashSet::new();
    let mut idle = Idle::default();
    let mut cursor: Option<String> = None;
    loop {
        let url = api.customers_url(cursor.as_deref());
        let body = http.get(&url).await?;
        let page = api.envelope(&body).map_err(|problem| http.bad_answer(&url, problem))?;
        let first = ids.len();
        for (at, item) in page.data.iter().enumerate() {
            let id = api
                .customer_id(item)
                .ok_or_else(|| http.bad_answer(&url, format!("customer {} has no \"id\"", at + 1)))?;
            ids.push(id);
        }
        repeated(http, &url, &mut seen, page.next.as_deref())?;
        let run = idle.page(ids[first..].iter().map(|id| Some(id.as_bytes())));
        if page.next.is_some() && run >= http.config.bounds.idle_pages.max(1) {
            return Err(http.idle(&url, run));
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(ids),
        }
    }
}

/// One customer's new pages, handed to `sink` oldest first.
pub(crate) async fn fetch_one<S: PageSink + ?Sized>(
    api: &impl Api,
    customer: &str,
    known: &dyn Known,
    sink: &mut S,
) -> Result<Fetched, S::Error> {
    let pages = ledger(api, customer, known).await?;
    let mut fetched = Fetched::default();
    // A sink that stops shows in `fetched.stopped`.
    let _ = hand_over(pages, sink, &mut fetched)?;
    Ok(fetched)
}

/// Several customers, at most `concurrency` fetching at once; each customer's pages go to
/// `sink` (oldest first) as soon as that customer is complete. The first error stops the run:
/// customers handed over before it stay stored.
pub(crate) async fn fetch_many<S: PageSink + ?Sized>(
    api: &impl Api,
    customers: &[String],
    known: &dyn Known,
    concurrency: usize,
    sink: &mut S,
) -> Result<Fetched, S::Error> {
    let mut fetched = Fetched::default();
    let mut done = stream::iter(customers).map(|c| ledger(api, c, known)).buffer_unordered(concurrency.max(1));
    while let Some(pages) = done.next().await {
        if hand_over(pages?, sink, &mut fetched)?.is_break() {
            fetched.stopped = true;
            break;
        }
    }
    Ok(fetched)
}

fn hand_over<S: PageSink + ?Sized>(
    pages: Vec<Page>,
    sink: &mut S,
    fetched: &mut Fetched,
) -> Result<ControlFlow<()>, S::Error> {
    fetched.customers += 1;
    let last = pages.len();
    for page in pages {
        let (index, entries) = (page.index, page.entries);
        let flow = sink.page(page)?;
        fetched.pages += 1;
        fetched.entries += entries;
        if flow.is_break() {
            fetched.stopped = index + 1 < last;
            return Ok(flow);
        }
    }
    Ok(ControlFlow::Continue(()))
}

/// The IDs of a page's entries, each checked for what paging relies on.
fn check_entries(api: &impl Api, url: &Url, page: usize, data: &[Value]) -> Result<Vec<String>, ApiError> {
    let (time_field, is_time) = api.time_field();
    let bad = |entry: String, field, problem: &str| ApiError::BadEntry {
        source_name: api.http().source_name(),
        url: api.http().shown(url),
        page,
        entry,
        field,
        problem: problem.to_string(),
    };
    let mut ids = Vec::with_capacity(data.len());
    for (at, item) in data.iter().enumerate() {
        let position = format!("#{} on the page", at + 1);
        if !item.is_object() {
            return Err(bad(position, "the entry", "is not a JSON object"));
        }
        let (id_field, quoted) = api.id_field();
        let id = match item.get(id_field) {
            Some(Value::String(id)) if !id.trim().is_empty() => id.clone(),
            Some(Value::String(_)) => return Err(bad(position, quoted, "is empty")),
            Some(other) => return Err(bad(position, quoted, &format!("is {other}, not a string"))),
            None => return Err(bad(position, quoted, "is missing")),
        };
        match item.get(time_field) {
            Some(value) if is_time(value) => {}
            Some(value) => return Err(bad(id, time_field, &format!("is {value}, not a valid time"))),
            None => return Err(bad(id, time_field, "is missing")),
        }
        ids.push(id);
    }
    Ok(ids)
}

fn repeated(http: &Http, url: &Url, seen: &mut HashSet<String>, next: Option<&str>) -> Result<(), ApiError> {
    match next {
        Some(next) if !seen.insert(next.to_string()) => Err(ApiError::RepeatedCursor {
            source_name: http.source_name(),
            url: http.shown(url),
            cursor: http.config.key.redact_text(next),
        }),
        _ => Ok(()),
    }
}
