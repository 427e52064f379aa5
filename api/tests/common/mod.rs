//! What the Orb and Stripe tests share: ledgers made inline, a harness around the mock on
//! loopback that calls either client, and sinks that keep pages or play a store.

#![allow(dead_code)]

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reckon_api::mock::{Apis, Kind, MockServer, Vendor};
use reckon_api::{orb, stripe, ApiError, ApiKey, BaseUrl, Config, Fetched, Known, Page, PageSink, Pause, Retry};
use serde_json::{json, Value};

pub const KEY: &str = "sk_test_0123456789";

/// Entry `n` (1 = oldest) of `customer`, as the vendor writes it; `at` in Unix seconds.
pub fn entry(kind: Kind, customer: &str, n: usize, at: i64) -> Value {
    match kind {
        Kind::Orb => json!({
            "id": format!("ole_{customer}_{n:04}"),
            "ledger_sequence_number": n,
            "entry_type": "decrement",
            "entry_status": "committed",
            "customer": {"id": customer, "external_customer_id": format!("ext_{customer}")},
            "starting_balance": 1000.0 - n as f64,
            "ending_balance": 999.0 - n as f64,
            "amount": -1.0,
            "currency": "credits",
            "created_at": rfc3339(at),
            "description": null,
            "credit_block": {"id": "cb_1", "expiry_date": null, "per_unit_cost_basis": "0.10"},
        }),
        Kind::Stripe => json!({
            "id": format!("cbtxn_{customer}_{n:04}"),
            "object": "customer_balance_transaction",
            "amount": -125,
            "created": at,
            "currency": "usd",
            "customer": customer,
            "description": null,
            "ending_balance": -125 * n as i64,
            "livemode": false,
            "type": "adjustment",
        }),
    }
}

/// `count` entries of `customer`, newest first, one a minute from `start`, `first` numbering.
pub fn ledger(kind: Kind, customer: &str, first: usize, count: usize, start: i64) -> Vec<Value> {
    (first..first + count).rev().map(|n| entry(kind, customer, n, start + 60 * n as i64)).collect()
}

pub fn rfc3339(unix: i64) -> String {
    // The fixtures stay within one day of 2026-03-01T00:00:00Z (1772323200).
    let secs = unix - 1_772_323_200;
    assert!((0..86_400).contains(&secs), "{unix}");
    format!("2026-03-01T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

pub const START: i64 = 1_772_323_200;

pub fn ids(values: &[Value]) -> Vec<String> {
    values.iter().map(|e| e["id"].as_str().unwrap().to_string()).collect()
}

/// Records the waits asked for and returns at once.
#[derive(Debug, Default)]
pub struct Waits(pub Mutex<Vec<Duration>>);

impl Pause for Waits {
    fn pause(&self, wait: Duration) -> Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        self.0.lock().unwrap().push(wait);
        Box::pin(std::future::ready(()))
    }
}

pub struct Harness {
    pub kind: Kind,
    pub server: MockServer,
    pub waits: Arc<Waits>,
    pub config: Config,
}

impl Harness {
    pub fn new(vendor: Vendor) -> Harness {
        let kind = vendor.kind;
        let apis = match kind {
            Kind::Orb => Apis { orb: Some(vendor), ..Apis::default() },
            Kind::Stripe => Apis { stripe: Some(vendor), ..Apis::default() },
        };
        let server = MockServer::serve(apis, 0).unwrap();
        let waits = Arc::new(Waits::default());
        let mut config = Config::new(BaseUrl::parse(&server.vendor_url(kind)).unwrap(), ApiKey::new(KEY));
        config.retry = Retry { base: Duration::from_millis(4), ..Retry::default() };
        config.pause = waits.clone();
        config.timeout = Duration::from_secs(5);
        Harness { kind, server, waits, config }
    }

    /// One customer with `count` entries.
    pub fn one(kind: Kind, count: usize) -> Harness {
        Harness::new(Vendor::new(kind, KEY, vec![("cus_a".into(), ledger(kind, "cus_a", 1, count, START))]))
    }

    pub fn waits(&self) -> Vec<Duration> {
        self.waits.0.lock().unwrap().clone()
    }

    pub fn update(&self, change: impl FnOnce(&mut Vendor)) {
        let kind = self.kind;
        self.server.update_apis(|apis| {
            change(match kind {
                Kind::Orb => apis.orb.as_mut().unwrap(),
                Kind::Stripe => apis.stripe.as_mut().unwrap(),
            })
        });
    }

    pub fn ledger_requests(&self) -> Vec<reckon_api::mock::Request> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| r.path.ends_with("/ledger") || r.path.ends_with("/balance_transactions"))
            .collect()
    }

    /// The cursor parameter each ledger request carried.
    pub fn cursors(&self) -> Vec<Option<String>> {
        let name = if self.kind == Kind::Orb { "cursor" } else { "starting_after" };
        self.ledger_requests().iter().map(|r| r.param(name).map(str::to_string)).collect()
    }

    pub async fn fetch<S: PageSink>(
        &self,
        customer: &str,
        known: &dyn Known,
        sink: &mut S,
    ) -> Result<Fetched, S::Error> {
        match self.kind {
            Kind::Orb => {
                orb::Client::new(self.config.clone(), orb::Options::default())
                    .unwrap()
                    .fetch_ledger(customer, known, sink)
                    .await
            }
            Kind::Stripe => stripe::Client::new(self.config.clone()).unwrap().fetch_ledger(customer, known, sink).await,
        }
    }

    pub async fn fetch_all<S: PageSink>(
        &self,
        known: &dyn Known,
        concurrency: usize,
        sink: &mut S,
    ) -> Result<Fetched, S::Error> {
        match self.kind {
            Kind::Orb => {
                let client = orb::Client::new(self.config.clone(), orb::Options::default()).unwrap();
                let customers = client.customers().await?;
                client.fetch_ledgers(&customers, known, concurrency, sink).await
            }
            Kind::Stripe => {
                let client = stripe::Client::new(self.config.clone()).unwrap();
                let customers = client.customers().await?;
                client.fetch_ledgers(&customers, known, concurrency, sink).await
            }
        }
    }
}

/// Keeps every page.
#[derive(Default)]
pub struct Collect {
    pub pages: Vec<Page>,
}

impl PageSink for Collect {
    type Error = ApiError;
    fn page(&mut self, page: Page) -> Result<ControlFlow<()>, ApiError> {
        self.pages.push(page);
        Ok(ControlFlow::Continue(()))
    }
}

impl Collect {
    pub fn entries(&self) -> Vec<Value> {
        self.pages.iter().flat_map(page_entries).collect()
    }
}

pub fn page_entries(page: &Page) -> Vec<Value> {
    let v: Value = serde_json::from_slice(&page.body).unwrap();
    v["data"].as_array().unwrap().clone()
}

/// Plays the store: each page a transaction, entries deduped by ID, what it holds is known.
/// `commit_pages` cuts the run after that many pages (a kill between two commits).
#[derive(Default)]
pub struct Store {
    pub ids: Vec<String>,
    pub set: HashSet<String>,
    pub newest: Option<i64>,
    pub known_again: usize,
    pub commit_pages: Option<usize>,
    pub committed: usize,
    /// Answer `since` with the newest stored time.
    pub use_since: bool,
}

impl PageSink for Store {
    type Error = ApiError;
    fn page(&mut self, page: Page) -> Result<ControlFlow<()>, ApiError> {
        if self.commit_pages == Some(self.committed) {
            return Ok(ControlFlow::Break(()));
        }
        // Entries of a page are newest first; store them oldest first.
        for e in page_entries(&page).iter().rev() {
            let id = e["id"].as_str().unwrap().to_string();
            let at = e["created"].as_i64().or_else(|| e["created_at"].as_str().map(from_rfc3339));
            self.newest = self.newest.max(at);
            if self.set.insert(id.clone()) {
                self.ids.push(id);
            } else {
                self.known_again += 1;
            }
        }
        self.committed += 1;
        Ok(ControlFlow::Continue(()))
    }
}

impl Known for Store {
    fn is_known(&self, id: &str) -> bool {
        self.set.contains(id)
    }
    fn since(&self, _customer: &str) -> Option<i64> {
        self.newest.filter(|_| self.use_since)
    }
}

fn from_rfc3339(t: &str) -> i64 {
    let h: i64 = t[11..13].parse().unwrap();
    let m: i64 = t[14..16].parse().unwrap();
    let s: i64 = t[17..19].parse().unwrap();
    START + h * 3600 + m * 60 + s
}

/// A clone of what the store holds, to run again with (a new process reads the same store).
impl Store {
    pub fn reopen(&self) -> Store {
        Store {
            ids: self.ids.clone(),
            set: self.set.clone(),
            newest: self.newest,
            use_since: self.use_since,
            ..Store::default()
        }
    }
}

// Checks both vendors must pass; `orb.rs` and `stripe.rs` run each for their API.

/// 250 entries in pages of 100 (the largest: the config's 500 is cut to 100): three requests
/// newest first, handed over oldest first, every entry once.
pub async fn pages_to_the_end(kind: Kind) {
    let h = Harness::one(kind, 250);
    let mut sink = Collect::default();
    let fetched = h.fetch("cus_a", &(), &mut sink).await.unwrap();
    assert_eq!((fetched.pages, fetched.entries, fetched.stopped, fetched.customers), (3, 250, false, 1));
    assert!(h.ledger_requests().iter().all(|r| r.param("limit") == Some("100")));
    assert!(h.ledger_requests().iter().all(|r| r.authorization.as_deref() == Some(&*format!("Bearer {KEY}"))));
    let expected_cursors = match kind {
        Kind::Orb => vec![None, Some("c100".to_string()), Some("c200".to_string())],
        Kind::Stripe => vec![None, Some("cbtxn_cus_a_0151".to_string()), Some("cbtxn_cus_a_0051".to_string())],
    };
    assert_eq!(h.cursors(), expected_cursors);
    assert_eq!(sink.pages.iter().map(|p| (p.index, p.entries)).collect::<Vec<_>>(), vec![(0, 50), (1, 100), (2, 100)]);
    assert!(sink.pages.iter().all(|p| p.customer.as_deref() == Some("cus_a")));
    let mut got = ids(&sink.entries());
    assert_eq!(got.len(), 250);
    got.sort();
    got.dedup();
    assert_eq!(got.len(), 250, "no entry twice");
    assert!(h.waits().is_empty());
}

pub async fn a_rejected_key_stops_at_once(kind: Kind, key_name: &str, source_name: &str) {
    let mut h = Harness::one(kind, 30);
    h.config.key = ApiKey::new("sk_wrong_key_987");
    let mut sink = Collect::default();
    let err = h.fetch("cus_a", &(), &mut sink).await.unwrap_err();
    assert!(matches!(err, ApiError::KeyRejected { status: 401, .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(source_name) && message.contains(&format!("the {key_name} key")), "{message}");
    // The crate names no command: each shell words the remedy (the CLI: `reckon key set`).
    assert!(matches!(err.remedy(), Some(reckon_api::Remedy::StoreKey(k)) if k == key_name), "{message}");
    assert!(!message.contains("reckon "), "{message}");
    assert!(!message.contains("sk_wrong_key_987") && !format!("{err:?}").contains("sk_wrong_key_987"));
    assert_eq!(h.ledger_requests().len(), 1, "no retry after 401");
    assert!(sink.pages.is_empty() && h.waits().is_empty());
}

/// 429 waits what `Retry-After` or `retry-after-ms` says, then the fetch goes on.
pub async fn rate_limits_wait_then_succeed(kind: Kind) {
    let h = Harness::one(kind, 30);
    h.update(|v| {
        v.script.extend([
            reckon_api::mock::Reply::RateLimited(Some("2".into())),
            reckon_api::mock::Reply::Raw {
                status: 429,
                headers: vec![("retry-after-ms".into(), "1500".into()), ("Retry-After".into(), "9".into())],
                body: "{}".into(),
            },
        ])
    });
    let mut sink = Collect::default();
    assert_eq!(h.fetch("cus_a", &(), &mut sink).await.unwrap().entries, 30);
    assert_eq!(h.waits(), vec![Duration::from_secs(2), Duration::from_millis(1500)]);
    assert_eq!(h.ledger_requests().len(), 3);
}

/// 500, 409 and 408 back off with jitter, then succeed; a `should-retry: false` stops at once.
pub async fn server_errors_back_off_then_succeed(kind: Kind, no_retry_header: &str) {
    use reckon_api::mock::Reply;
    let h = Harness::one(kind, 30);
    h.update(|v| v.script.extend([Reply::Status(500), Reply::Status(409), Reply::Status(408)]));
    let mut sink = Collect::default();
    assert_eq!(h.fetch("cus_a", &(), &mut sink).await.unwrap().entries, 30);
    let waits = h.waits();
    assert_eq!(waits.len(), 3);
    assert!(waits[0] >= Duration::from_millis(2) && waits[0] <= Duration::from_millis(4), "{waits:?}");
    assert!(waits[2] >= Duration::from_millis(8) && waits[2] <= Duration::from_millis(16), "{waits:?}");

    let h = Harness::one(kind, 30);
    h.update(|v| {
        v.script.push_back(Reply::Raw {
            status: 503,
            headers: vec![(no_retry_header.into(), "false".into())],
            body: "{}".into(),
        })
    });
    let err = h.fetch("cus_a", &(), &mut Collect::default()).await.unwrap_err();
    assert!(matches!(err, ApiError::Status { status: 503, .. }), "{err:?}");
    assert!(err.to_string().contains("not to retry"), "{err}");
    assert_eq!(h.ledger_requests().len(), 1);
}

pub async fn retries_are_bounded_in_total_time(kind: Kind) {
    let mut h = Harness::one(kind, 30);
    h.update(|v| v.script.extend(std::iter::repeat_n(reckon_api::mock::Reply::RateLimited(Some("40".into())), 5)));
    h.config.retry.max_waiting = Duration::from_secs(100);
    let err = h.fetch("cus_a", &(), &mut Collect::default()).await.unwrap_err();
    assert!(matches!(err, ApiError::RateLimited { attempts: 3, .. }), "{err:?}");
    assert_eq!(h.waits(), vec![Duration::from_secs(40), Duration::from_secs(40)], "a third 40 s wait would pass 100 s");
}

pub async fn a_timeout_is_retried(kind: Kind) {
    let mut h = Harness::one(kind, 30);
    h.update(|v| v.script.push_back(reckon_api::mock::Reply::Stall(Duration::from_millis(600))));
    h.config.timeout = Duration::from_millis(150);
    assert_eq!(h.fetch("cus_a", &(), &mut Collect::default()).await.unwrap().entries, 30);
    assert_eq!(h.waits().len(), 1);
    assert_eq!(h.ledger_requests().len(), 2);
}

/// A page that is not the documented JSON stops the sync naming the page; nothing of that
/// customer's run is handed over (the pages before it are newer, and would leave a gap).
pub async fn a_malformed_page_is_an_error_naming_it(kind: Kind) {
    let h = Harness::one(kind, 250);
    let first = {
        let h2 = Harness::one(kind, 250);
        let mut sink = Collect::default();
        h2.fetch("cus_a", &(), &mut sink).await.unwrap();
        String::from_utf8(sink.pages[2].body.clone()).unwrap()
    };
    h.update(|v| {
        v.script
            .extend([reckon_api::mock::Reply::Body(first), reckon_api::mock::Reply::Body("{\"data\": [oops".into())])
    });
    let mut sink = Collect::default();
    let err = h.fetch("cus_a", &(), &mut sink).await.unwrap_err();
    assert!(matches!(err, ApiError::BadAnswer { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("not the documented JSON") && message.contains("limit=100&"), "{message}");
    assert!(sink.pages.is_empty());
    assert_eq!(h.ledger_requests().len(), 2, "not retried");
}

/// An entry without its time stops the sync naming source, page, entry ID and field.
pub async fn an_entry_without_its_time_is_an_error_naming_it(kind: Kind, field: &str) {
    let h = Harness::one(kind, 150);
    h.update(|v| {
        let entry = v.customers[0].1[120].as_object_mut().unwrap();
        entry.remove(field);
    });
    let mut sink = Collect::default();
    let err = h.fetch("cus_a", &(), &mut sink).await.unwrap_err();
    let ApiError::BadEntry { page, entry, field: f, .. } = &err else { panic!("{err:?}") };
    assert_eq!((*page, entry.as_str(), *f), (2, ids(&[h_entry(kind, 30)])[0].as_str(), field));
    let message = err.to_string();
    assert!(
        message.contains("page 2") && message.contains(entry.as_str()) && message.contains("is missing"),
        "{message}"
    );
    assert!(sink.pages.is_empty());
}

fn h_entry(kind: Kind, n: usize) -> Value {
    entry(kind, "cus_a", n, START + 60 * n as i64)
}

pub async fn a_repeating_cursor_is_an_error(kind: Kind) {
    let h = Harness::one(kind, 350);
    h.update(|v| v.repeat_cursor = true);
    let mut sink = Collect::default();
    let err = h.fetch("cus_a", &(), &mut sink).await.unwrap_err();
    assert!(matches!(&err, ApiError::RepeatedCursor { .. }), "{err:?}");
    assert!(sink.pages.is_empty());
    assert_eq!(h.ledger_requests().len(), 2, "the second page names the first page's cursor again");
}

/// A second run fetches only the newest page: it holds a known ID, so paging stops there.
pub async fn a_second_run_fetches_only_what_is_new(kind: Kind) {
    let h = Harness::one(kind, 250);
    let mut store = Store::default();
    h.fetch("cus_a", &(), &mut store).await.unwrap();
    assert_eq!(store.ids.len(), 250);
    h.update(|v| {
        let mut new = ledger(kind, "cus_a", 251, 3, START);
        new.append(&mut v.customers[0].1);
        v.customers[0].1 = new;
    });
    let before = h.ledger_requests().len();
    let mut again = store.reopen();
    let fetched = h.fetch("cus_a", &store, &mut again).await.unwrap();
    assert_eq!(h.ledger_requests().len() - before, 1, "one page, then known ground");
    assert_eq!((fetched.pages, fetched.entries), (1, 100));
    assert_eq!(again.ids.len(), 253);
    assert_eq!(again.known_again, 97);

    // With the newest stored time the API is asked only from then on.
    let mut since = again.reopen();
    since.use_since = true;
    let mut third = since.reopen();
    let fetched = h.fetch("cus_a", &since, &mut third).await.unwrap();
    let last = h.ledger_requests().pop().unwrap();
    let newest = START + 60 * 253;
    match kind {
        Kind::Orb => assert_eq!(last.param("created_at[gte]"), Some(rfc3339(newest).as_str())),
        Kind::Stripe => assert_eq!(last.param("created[gte]"), Some(newest.to_string().as_str())),
    }
    assert_eq!((fetched.pages, fetched.entries), (1, 1), "only the newest entry is at or after its own time");
    assert_eq!(third.ids.len(), 253);
}

/// 250 entries stored; 250 more arrive: pages of 100 newest first are 500..401, 400..301 and
/// 300..201, the last reaching known ground. A run killed after committing one page, and one whose fetch fails half-way, leave what is stored contiguous; the next run
/// ends with every entry exactly once.
pub async fn killed_half_way_then_resumed(kind: Kind) {
    let h = Harness::one(kind, 250);
    let mut store = Store::default();
    h.fetch("cus_a", &(), &mut store).await.unwrap();
    h.update(|v| {
        let mut new = ledger(kind, "cus_a", 251, 250, START);
        new.append(&mut v.customers[0].1);
        v.customers[0].1 = new;
    });
    let all = ids(&h_all(&h));

    // Killed after the first commit of the hand-over: the oldest new page is stored.
    let mut killed = store.reopen();
    killed.commit_pages = Some(1);
    let fetched = h.fetch("cus_a", &store, &mut killed).await.unwrap();
    assert!(fetched.stopped);
    assert_eq!(killed.ids.len(), 300, "the oldest new page (300..201): 50 new entries next to what was stored");
    assert!(killed.ids.iter().all(|id| all[200..].contains(id)), "no gap: 1..300");

    // Cut off mid-fetch (the key revoked on the second page): nothing of this run is stored.
    let first = first_page(&h);
    h.update(|v| v.script.extend([reckon_api::mock::Reply::Body(first), reckon_api::mock::Reply::Status(401)]));
    let mut cut = killed.reopen();
    assert!(h.fetch("cus_a", &killed, &mut cut).await.is_err());
    assert_eq!(cut.ids.len(), 300);

    // The next run resumes: it stops at the stored page and adds the rest.
    let mut resumed = cut.reopen();
    let before = h.ledger_requests().len();
    h.fetch("cus_a", &cut, &mut resumed).await.unwrap();
    assert_eq!(h.ledger_requests().len() - before, 3, "the third page reaches known ground");
    let mut stored = resumed.ids.clone();
    assert_eq!(stored.len(), 500);
    stored.sort();
    stored.dedup();
    assert_eq!(stored.len(), 500, "nothing twice");
    let mut expected = all.clone();
    expected.sort();
    assert_eq!(stored, expected, "nothing lost");
}

fn h_all(h: &Harness) -> Vec<Value> {
    let mut all = Vec::new();
    h.server.update_apis(|apis| {
        let v = apis.orb.as_ref().or(apis.stripe.as_ref()).unwrap();
        all = v.customers[0].1.clone();
    });
    all
}

fn first_page(h: &Harness) -> String {
    let entries: Vec<Value> = h_all(h).into_iter().take(100).collect();
    match h.kind {
        Kind::Orb => json!({"data": entries, "pagination_metadata": {"has_more": true, "next_cursor": "c100"}}),
        Kind::Stripe => json!({"object": "list", "data": entries, "has_more": true, "url": "/v1/x"}),
    }
    .to_string()
}

/// 50 customers, 4 at a time, one limiter: the mock never sees more than the limit in any
/// one second. Returns the most it saw.
pub async fn fifty_customers_under_the_rate_limit(kind: Kind, limit: usize, per_customer: usize) -> usize {
    let customers: Vec<(String, Vec<Value>)> = (0..50)
        .map(|c| {
            let id = format!("cus_{c:02}");
            let entries = ledger(kind, &id, 1, per_customer, START);
            (id, entries)
        })
        .collect();
    let h = Harness::new(Vendor::new(kind, KEY, customers));
    let mut store = Store::default();
    let started = std::time::Instant::now();
    let fetched = h.fetch_all(&(), 4, &mut store).await.unwrap();
    let took = started.elapsed();
    assert_eq!((fetched.customers, fetched.entries), (50, 50 * per_customer));
    assert_eq!(store.ids.len(), 50 * per_customer);
    let requests = h.server.requests().len();
    let most = h.server.max_per_second();
    eprintln!("{kind:?}: {requests} requests in {took:?}, at most {most} in any one second (limit {limit})");
    assert!(most <= limit, "{most} requests in one second, limit {limit}");
    assert!(most >= limit / 4, "the limiter should not starve the sync: {most}");
    most
}
