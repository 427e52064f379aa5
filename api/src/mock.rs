//! Small Reverie, Orb, Stripe and Lago APIs on loopback, for tests and for trying a sync offline
//! (`reckon mock-server`): plain HTTP/1.1 over a std `TcpListener` on its own thread, a thread
//! per connection. Reverie lives at `/v1/...` (oldest first, cursor `c{offset}`), Orb under
//! `/orb/v1/...` (newest first, cursor `c{offset}`), Stripe under `/stripe/v1/...` (newest
//! first, `starting_after`), Lago under `/lago/api/v1/...` (newest first, page numbers), each
//! with scripted faults and a request log with arrival times.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod credits;
pub use credits::StripeCredits;

/// What the mock serves.
#[derive(Debug, Clone)]
pub struct Reverie {
    /// Ledger entries, oldest first, as the API writes them.
    pub entries: Vec<Value>,
    /// What `/v1/balance` answers.
    pub balance: String,
    pub as_of: String,
    /// The only key accepted; any other gets 401.
    pub key: String,
    /// Answers for the first ledger requests, in order, before the ledger itself is served.
    pub script: VecDeque<Reply>,
    /// Every page but the last names the same next cursor (a broken API).
    pub repeat_cursor: bool,
}

/// A scripted answer to a ledger request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// This status with a small JSON error body.
    Status(u16),
    /// 429, with this `Retry-After` header value, if any.
    RateLimited(Option<String>),
    /// 200 with this body.
    Body(String),
    /// Any answer: status, headers, body.
    Raw { status: u16, headers: Vec<(String, String)>, body: String },
    /// Holds the connection this long, then closes it without an answer.
    Stall(Duration),
}

/// A request as the mock saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub path: String,
    /// Decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
    /// When the mock read it.
    pub at: Instant,
}

impl Request {
    /// The value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

impl Reverie {
    /// Serves the entries of a ledger JSON document (`{"data": [...]}` or a bare array).
    pub fn from_ledger(json: &[u8], key: &str) -> serde_json::Result<Reverie> {
        let entries = data(serde_json::from_slice(json)?);
        let balance = entries.last().and_then(|e| e["balance_after"].as_str()).unwrap_or("0").to_string();
        Ok(Reverie {
            entries,
            balance,
            as_of: "2026-03-10T09:00:00Z".into(),
            key: key.into(),
            script: VecDeque::new(),
            repeat_cursor: false,
        })
    }
}

/// Which newest-first API a [`Vendor`] imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Orb,
    Stripe,
}

/// An Orb or Stripe account: customers, each with a ledger served newest first.
#[derive(Debug, Clone)]
pub struct Vendor {
    pub kind: Kind,
    /// `(customer ID, entries newest first)`, in the order the customer list gives them.
    pub customers: Vec<(String, Vec<Value>)>,
    /// The only key accepted; any other gets 401.
    pub key: String,
    /// Answers for the first requests to this API (any endpoint), in order.
    pub script: VecDeque<Reply>,
    /// Every ledger page but the last names the first page's next cursor again.
    pub repeat_cursor: bool,
    /// Every n-th request to this API fails, 429 (`Retry-After: 1`) and 500 in turn.
    pub fail_every: Option<u32>,
    /// Each answer waits this long first (a slow API).
    pub delay: Duration,
    served: u32,
}

impl Vendor {
    /// An account with these customers' ledgers (entries newest first).
    pub fn new(kind: Kind, key: &str, customers: Vec<(String, Vec<Value>)>) -> Vendor {
        Vendor {
            kind,
            customers,
            key: key.into(),
            script: VecDeque::new(),
            repeat_cursor: false,
            fail_every: None,
            delay: Duration::ZERO,
            served: 0,
        }
    }

    /// Serves the entries of a JSON document (`{"data": [...]}` or a bare array), grouped by
    /// customer (Orb: `customer.id` or `customer_id`; Stripe: `customer`; else `cus_mock`) and
    /// sorted newest first (Orb: `created_at`, then `ledger_sequence_number`; Stripe: `created`).
    pub fn from_json(kind: Kind, json: &[u8], key: &str) -> serde_json::Result<Vendor> {
        let mut customers: Vec<(String, Vec<Value>)> = Vec::new();
        for entry in data(serde_json::from_slice(json)?) {
            let customer = match kind {
                Kind::Orb => entry["customer"]["id"].as_str().or(entry["customer_id"].as_str()),
                Kind::Stripe => entry["customer"].as_str(),
            }
            .unwrap_or("cus_mock")
            .to_string();
            match customers.iter_mut().find(|(c, _)| *c == customer) {
                Some((_, entries)) => entries.push(entry),
                None => customers.push((customer, vec![entry])),
            }
        }
        for (_, entries) in &mut customers {
            entries.sort_by(|a, b| match kind {
                Kind::Orb => (b["created_at"].as_str(), b["ledger_sequence_number"].as_i64())
                    .cmp(&(a["created_at"].as_str(), a["ledger_sequence_number"].as_i64())),
                Kind::Stripe => b["created"].as_i64().cmp(&a["created"].as_i64()),
            });
        }
        Ok(Vendor::new(kind, key, customers))
    }

    /// Where its API lives below the mock's base URL.
    pub fn prefix(kind: Kind) -> &'static str {
        match kind {
            Kind::Orb => "/orb",
            Kind::Stripe => "/stripe",
        }
    }
}

/// A Lago organization: wallets, each with its transactions served newest first, page by
/// page number, under `/lago/api/v1/...`.
#[derive(Debug, Clone)]
pub struct Lago {
    /// `(wallet object, its transactions newest first)`.
    pub wallets: Vec<(Value, Vec<Value>)>,
    /// The only key accepted; any other gets 401.
    pub key: String,
    /// Answers for the first requests to this API (any endpoint), in order.
    pub script: VecDeque<Reply>,
    /// Every n-th request fails, 429 (`Retry-After: 1`) and 500 in turn.
    pub fail_every: Option<u32>,
    served: u32,
}

impl Lago {
    /// Where its API lives below the mock's base URL.
    pub const PREFIX: &'static str = "/lago";

    /// Serves the transactions of a saved answer (one page, an array of pages or a bare array
    /// of transactions), grouped by `lago_wallet_id` and sorted newest first by `created_at`
    /// (entries of one time in the order given), with the wallets of `wallets` (saved
    /// `{"wallet": {...}}` documents; a wallet without one states a balance of 0).
    pub fn from_json(transactions: &[u8], wallets: &[&[u8]], key: &str) -> serde_json::Result<Lago> {
        let mut entries = Vec::new();
        let doc: Value = serde_json::from_slice(transactions)?;
        let pages = match doc {
            Value::Array(items) => items,
            page => vec![page],
        };
        for page in pages {
            match page {
                Value::Object(mut map) if map.contains_key("wallet_transactions") => {
                    if let Some(Value::Array(items)) = map.remove("wallet_transactions") {
                        entries.extend(items);
                    }
                }
                item => entries.push(item),
            }
        }
        let mut found: Vec<(Value, Vec<Value>)> = Vec::new();
        for bytes in wallets {
            let mut doc: Value = serde_json::from_slice(bytes)?;
            found.push((doc["wallet"].take(), Vec::new()));
        }
        for entry in entries {
            let wallet = entry["lago_wallet_id"].as_str().unwrap_or("wallet_mock").to_string();
            match found.iter_mut().find(|(w, _)| w["lago_id"].as_str() == Some(&wallet)) {
                Some((_, list)) => list.push(entry),
                None => found.push((json!({"lago_id": wallet, "credits_balance": "0.0"}), vec![entry])),
            }
        }
        for (_, list) in &mut found {
            list.sort_by(|a, b| b["created_at"].as_str().cmp(&a["created_at"].as_str()));
        }
        Ok(Lago { wallets: found, key: key.into(), script: VecDeque::new(), fail_every: None, served: 0 })
    }
}

/// Everything one mock serves.
#[derive(Debug, Clone, Default)]
pub struct Apis {
    pub reverie: Option<Reverie>,
    pub orb: Option<Vendor>,
    pub stripe: Option<Vendor>,
    pub lago: Option<Lago>,
    /// Stripe billing credits, under the Stripe prefix.
    pub stripe_credits: Option<StripeCredits>,
    /// Any non-empty Bearer key is accepted (for trying a sync offline).
    pub any_key: bool,
    /// Every key is rejected with 401.
    pub bad_key: bool,
}

fn data(doc: Value) -> Vec<Value> {
    match doc {
        Value::Array(items) => items,
        Value::Object(mut map) => match map.remove("data") {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// A running mock; stops when dropped.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Debug)]
struct State {
    apis: Apis,
    requests: Vec<Request>,
}

impl MockServer {
    /// Serves a Reverie API on 127.0.0.1 at a free port.
    pub fn start(api: Reverie) -> std::io::Result<MockServer> {
        MockServer::serve(Apis { reverie: Some(api), ..Apis::default() }, 0)
    }

    /// Serves `apis` on 127.0.0.1 at `port` (0: a free one).
    pub fn serve(apis: Apis, port: u16) -> std::io::Result<MockServer> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State { apis, requests: Vec::new() }));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        // Each connection on its own thread, so a stalled one holds up no other.
                        // A client that hangs up early is its own business.
                        let state = state.clone();
                        std::thread::spawn(move || serve(stream, &state));
                    }
                }
            })
        };
        Ok(MockServer { addr, state, stop, thread: Some(thread) })
    }

    /// `http://127.0.0.1:{port}`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().expect("mock state").requests.clone()
    }

    /// The base URL of its Lago API.
    pub fn lago_url(&self) -> String {
        format!("{}{}", self.base_url(), Lago::PREFIX)
    }

    /// The base URL of its Orb or Stripe API.
    pub fn vendor_url(&self, kind: Kind) -> String {
        format!("{}{}", self.base_url(), Vendor::prefix(kind))
    }

    /// Changes what the Reverie API serves from the next request on.
    pub fn update(&self, change: impl FnOnce(&mut Reverie)) {
        if let Some(api) = self.state.lock().expect("mock state").apis.reverie.as_mut() {
            change(api);
        }
    }

    /// Changes what the mock serves from the next request on.
    pub fn update_apis(&self, change: impl FnOnce(&mut Apis)) {
        change(&mut self.state.lock().expect("mock state").apis);
    }

    /// The most requests that arrived within any one second.
    pub fn max_per_second(&self) -> usize {
        let times: Vec<Instant> = self.requests().iter().map(|r| r.at).collect();
        let mut most = 0;
        let mut first = 0;
        for (i, t) in times.iter().enumerate() {
            while t.duration_since(times[first]) >= Duration::from_secs(1) {
                first += 1;
            }
            most = most.max(i + 1 - first);
        }
        most
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(mut stream: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf)?;
        if n == 0 || head.len() > 64 * 1024 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.split("\r\n");
    let target = lines.next().and_then(|l| l.split(' ').nth(1)).unwrap_or("/").to_string();
    let authorization = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.trim().to_string());
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let request = Request {
        path: path.to_string(),
        query: url::form_urlencoded::parse(query.as_bytes()).into_owned().collect(),
        authorization,
        at: Instant::now(),
    };
    let (answer, delay) = {
        let mut state = state.lock().expect("mock state");
        state.requests.push(request.clone());
        route(&mut state.apis, &request)
    };
    std::thread::sleep(delay);
    let (status, extra, body) = match answer {
        Answer::Http { status, extra, body } => (status, extra, body),
        Answer::Stall(wait) => {
            std::thread::sleep(wait);
            return Ok(());
        }
    };
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        408 => "Request Timeout",
        409 => "Conflict",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    };
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in extra {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    stream.write_all(out.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}

enum Answer {
    Http { status: u16, extra: Vec<(String, String)>, body: String },
    Stall(Duration),
}

fn http(status: u16, body: String) -> Answer {
    Answer::Http { status, extra: Vec::new(), body }
}

fn not_found() -> Answer {
    http(404, json!({"error": "no such endpoint"}).to_string())
}

/// The answer, and how long to wait before giving it.
fn route(apis: &mut Apis, request: &Request) -> (Answer, Duration) {
    if let Some(answer) = credits::route(apis, request) {
        return (answer, Duration::ZERO);
    }
    let Apis { reverie, orb, stripe, lago, any_key, bad_key, .. } = apis;
    let key_ok = |key: &str| {
        let given = request.authorization.as_deref().and_then(|a| a.strip_prefix("Bearer ")).unwrap_or("");
        !*bad_key && (given == key || (*any_key && !given.trim().is_empty()))
    };
    let unauthorized = || http(401, json!({"error": "invalid API key"}).to_string());
    if let (Some(lago), Some(path)) = (lago.as_mut(), request.path.strip_prefix(Lago::PREFIX)) {
        if !key_ok(&lago.key) {
            return (unauthorized(), Duration::ZERO);
        }
        return (lago_answer(lago, path, request), Duration::ZERO);
    }
    for vendor in [orb, stripe].into_iter().flatten() {
        let Some(path) = request.path.strip_prefix(Vendor::prefix(vendor.kind)) else { continue };
        let delay = vendor.delay;
        if !key_ok(&vendor.key) {
            return (unauthorized(), delay);
        }
        vendor.served += 1;
        if let Some(reply) = vendor.script.pop_front() {
            return (scripted(reply), delay);
        }
        if let Some(n) = vendor.fail_every.filter(|n| *n > 0 && vendor.served % *n == 0) {
            let reply =
                if (vendor.served / n) % 2 == 1 { Reply::RateLimited(Some("1".into())) } else { Reply::Status(500) };
            return (scripted(reply), delay);
        }
        return (vendor_answer(vendor, path, request), delay);
    }
    let Some(api) = reverie else { return (not_found(), Duration::ZERO) };
    if !key_ok(&api.key) {
        return (unauthorized(), Duration::ZERO);
    }
    let answer = match request.path.as_str() {
        "/v1/ledger" => match api.script.pop_front() {
            Some(reply) => scripted(reply),
            None => ledger_page(api, request),
        },
        "/v1/balance" => http(200, json!({"balance": api.balance, "as_of": api.as_of}).to_string()),
        _ => not_found(),
    };
    (answer, Duration::ZERO)
}

fn scripted(reply: Reply) -> Answer {
    match reply {
        Reply::Status(status) => http(status, json!({"error": "scripted failure"}).to_string()),
        Reply::RateLimited(after) => Answer::Http {
            status: 429,
            extra: after.map(|a| ("Retry-After".to_string(), a)).into_iter().collect(),
            body: json!({"error": "slow down"}).to_string(),
        },
        Reply::Body(body) => http(200, body),
        Reply::Raw { status, headers, body } => Answer::Http { status, extra: headers, body },
        Reply::Stall(wait) => Answer::Stall(wait),
    }
}

/// Lago: a wallet, or a page of its transactions (`page` from 1, `per_page` default 20, at
/// most 100), after any scripted or planted failure.
fn lago_answer(lago: &mut Lago, path: &str, request: &Request) -> Answer {
    lago.served += 1;
    if let Some(reply) = lago.script.pop_front() {
        return scripted(reply);
    }
    if let Some(n) = lago.fail_every.filter(|n| *n > 0 && lago.served % *n == 0) {
        let reply = if (lago.served / n) % 2 == 1 { Reply::RateLimited(Some("1".into())) } else { Reply::Status(500) };
        return scripted(reply);
    }
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (id, transactions) = match segments.as_slice() {
        ["api", "v1", "wallets", id] => (*id, false),
        ["api", "v1", "wallets", id, "wallet_transactions"] => (*id, true),
        _ => return not_found(),
    };
    let Some((wallet, entries)) = lago.wallets.iter().find(|(w, _)| w["lago_id"].as_str() == Some(id)) else {
        return http(404, json!({"status": 404, "error": "Not Found", "code": "wallet_not_found"}).to_string());
    };
    if !transactions {
        return http(200, json!({"wallet": wallet}).to_string());
    }
    let number = |name: &str, default: usize| request.param(name).map_or(Some(default), |v| v.parse::<usize>().ok());
    let (Some(page), Some(per_page)) = (number("page", 1), number("per_page", 20)) else {
        return http(400, json!({"error": "page and per_page are numbers"}).to_string());
    };
    if page == 0 || !(1..=100).contains(&per_page) {
        return http(400, json!({"error": "page from 1, per_page from 1 to 100"}).to_string());
    }
    let total_pages = entries.len().div_ceil(per_page).max(1);
    let start = ((page - 1) * per_page).min(entries.len());
    let end = (start + per_page).min(entries.len());
    let meta = json!({
        "current_page": page,
        "next_page": (page < total_pages).then_some(page + 1),
        "prev_page": (page > 1).then(|| page - 1),
        "total_pages": total_pages,
        "total_count": entries.len(),
    });
    http(200, json!({"wallet_transactions": &entries[start..end], "meta": meta}).to_string())
}

/// Orb or Stripe: the customer list, or a customer's ledger page.
fn vendor_answer(vendor: &Vendor, path: &str, request: &Request) -> Answer {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let customer = match (vendor.kind, segments.as_slice()) {
        (_, ["v1", "customers"]) => {
            let list: Vec<Value> = vendor
                .customers
                .iter()
                .map(|(id, _)| match vendor.kind {
                    Kind::Orb => json!({"id": id, "external_customer_id": format!("ext_{id}")}),
                    Kind::Stripe => json!({"id": id, "object": "customer"}),
                })
                .collect();
            return page_of(vendor, &list.iter().collect::<Vec<_>>(), request, path, false);
        }
        (Kind::Orb, ["v1", "customers", id, "credits", "ledger"]) => Some(*id),
        (Kind::Orb, ["v1", "customers", "external_customer_id", ext, "credits", "ledger"]) => ext.strip_prefix("ext_"),
        (Kind::Stripe, ["v1", "customers", id, "balance_transactions"]) => Some(*id),
        _ => return not_found(),
    };
    match customer.and_then(|c| vendor.customers.iter().find(|(id, _)| id == c)) {
        Some((_, entries)) => {
            // By reference: cloning a long ledger on every request made the mock, not the
            // client, the bottleneck of the sync figures.
            let entries: Vec<&Value> = entries.iter().filter(|e| since_ok(vendor.kind, e, request)).collect();
            page_of(vendor, &entries, request, path, vendor.repeat_cursor)
        }
        None => http(404, json!({"error": "no such customer"}).to_string()),
    }
}

/// Whether an entry passes `created_at[gte]` (Orb, compared as text: the fixtures' UTC `Z`
/// times) or `created[gte]` (Stripe).
fn since_ok(kind: Kind, entry: &Value, request: &Request) -> bool {
    match kind {
        Kind::Orb => {
            request.param("created_at[gte]").is_none_or(|s| entry["created_at"].as_str().is_some_and(|t| t >= s))
        }
        Kind::Stripe => request
            .param("created[gte]")
            .and_then(|s| s.parse::<i64>().ok())
            .is_none_or(|s| entry["created"].as_i64().is_some_and(|t| t >= s)),
    }
}

/// One page of `items` in the vendor's envelope: `limit` (default 20 for Orb, 10 for Stripe,
/// at most 100) after the cursor.
fn page_of(vendor: &Vendor, items: &[&Value], request: &Request, path: &str, repeat: bool) -> Answer {
    let default = if vendor.kind == Kind::Orb { 20 } else { 10 };
    let limit = request.param("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(default);
    if !(1..=100).contains(&limit) {
        return http(400, json!({"error": format!("limit {limit} is not between 1 and 100")}).to_string());
    }
    let offset = match vendor.kind {
        Kind::Orb => match request.param("cursor") {
            None => Some(0),
            Some(c) => c.strip_prefix('c').and_then(|n| n.parse::<usize>().ok()),
        },
        Kind::Stripe => match request.param("starting_after") {
            None => Some(0),
            Some(after) => items.iter().position(|e| e["id"].as_str() == Some(after)).map(|at| at + 1),
        },
    };
    let Some(offset) = offset else {
        return http(400, json!({"error": "bad cursor"}).to_string());
    };
    let end = (offset + limit).min(items.len());
    let data = items.get(offset.min(end)..end).unwrap_or_default();
    let has_more = end < items.len();
    let body = match vendor.kind {
        Kind::Orb => {
            let next = has_more.then(|| if repeat { format!("c{limit}") } else { format!("c{end}") });
            json!({"data": data, "pagination_metadata": {"has_more": has_more, "next_cursor": next}})
        }
        Kind::Stripe => {
            // A broken API that keeps answering with the first page.
            let data = if repeat { items.get(..limit.min(items.len())).unwrap_or_default() } else { data };
            json!({"object": "list", "data": data, "has_more": has_more, "url": path})
        }
    };
    http(200, body.to_string())
}

/// One page: `limit` entries (default 100) from the cursor's offset, on or after `since`
/// (compared as text, which holds for the UTC `Z` times the fixtures use).
fn ledger_page(api: &Reverie, request: &Request) -> Answer {
    let limit = request.param("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(100).clamp(1, 1000);
    let offset = match request.param("cursor") {
        None => 0,
        Some(c) => match c.strip_prefix('c').and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => n,
            None => return http(400, json!({"error": format!("bad cursor {c}")}).to_string()),
        },
    };
    let since = request.param("since");
    let entries: Vec<&Value> =
        api.entries.iter().filter(|e| since.is_none_or(|s| e["created_at"].as_str().is_some_and(|t| t >= s))).collect();
    let end = (offset + limit).min(entries.len());
    let data = entries.get(offset.min(end)..end).unwrap_or_default();
    let next = if end < entries.len() {
        Some(if api.repeat_cursor { format!("c{limit}") } else { format!("c{end}") })
    } else {
        None
    };
    http(200, json!({"data": data, "next_cursor": next}).to_string())
}
