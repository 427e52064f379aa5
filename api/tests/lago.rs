//! The Lago client against the mock on loopback: page-number paging newest first, pages handed
//! over oldest first, the wallet's balance, 429 and 5xx retried, a second run stopping at a
//! known `lago_id`, and answers that break what paging relies on.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Collect, Waits, KEY};
use reckon_api::mock::{Apis, Lago, MockServer, Reply};
use reckon_api::{lago, ApiError, ApiKey, BaseUrl, Config, Retry};
use serde_json::{json, Value};

const WALLET: &str = "wal_1";

/// Transaction `n` (1 = oldest), one a minute from 2026-03-01T00:00:00Z.
fn transaction(n: usize) -> Value {
    json!({
        "lago_id": format!("lt_{n:03}"),
        "lago_wallet_id": WALLET,
        "status": "settled",
        "transaction_status": "invoiced",
        "transaction_type": "outbound",
        "amount": "1.00",
        "credit_amount": "1.00",
        "created_at": format!("2026-03-01T{:02}:{:02}:00Z", n / 60, n % 60),
        "settled_at": format!("2026-03-01T{:02}:{:02}:00Z", n / 60, n % 60),
        "metadata": [],
    })
}

/// A wallet with `count` transactions, served newest first, and a balance of 7.50.
fn server(count: usize, script: Vec<Reply>) -> MockServer {
    let list: Vec<Value> = (1..=count).rev().map(transaction).collect();
    let wallet = json!({"wallet": {"lago_id": WALLET, "credits_balance": "7.50", "currency": "USD"}}).to_string();
    let mut api = Lago::from_json(json!(list).to_string().as_bytes(), &[wallet.as_bytes()], KEY).unwrap();
    api.script = script.into();
    MockServer::serve(Apis { lago: Some(api), ..Apis::default() }, 0).unwrap()
}

fn connect(server: &MockServer, page_size: usize, waits: Arc<Waits>) -> lago::Client {
    let mut config = Config::new(BaseUrl::parse(&server.lago_url()).unwrap(), ApiKey::new(KEY));
    config.page_size = page_size;
    config.pause = waits;
    config.retry = Retry { attempts: 4, ..Retry::default() };
    lago::Client::new(config).unwrap()
}

fn ids(sink: &Collect) -> Vec<String> {
    sink.pages
        .iter()
        .flat_map(|p| {
            let v: Value = serde_json::from_slice(&p.body).unwrap();
            v["wallet_transactions"].as_array().unwrap().clone()
        })
        .map(|t| t["lago_id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn pages_by_number_to_the_end_and_hands_them_over_oldest_first() {
    let api = server(25, Vec::new());
    let client = connect(&api, 10, Arc::new(Waits(Mutex::new(Vec::new()))));
    let mut sink = Collect::default();
    let fetched = client.fetch_ledger(WALLET, &(), &mut sink).await.unwrap();
    assert_eq!((fetched.pages, fetched.entries), (3, 25));
    let asked: Vec<(Option<String>, Option<String>)> = api
        .requests()
        .iter()
        .map(|r| (r.param("page").map(str::to_string), r.param("per_page").map(str::to_string)))
        .collect();
    let expected: Vec<_> = ["1", "2", "3"].iter().map(|p| (Some(p.to_string()), Some("10".to_string()))).collect();
    assert_eq!(asked, expected);
    // The oldest page (the third asked) first: lt_005..lt_001, then lt_015..lt_006, ...
    let got = ids(&sink);
    assert_eq!(got.first().map(String::as_str), Some("lt_005"));
    assert_eq!(got.last().map(String::as_str), Some("lt_016"));
    assert_eq!(got.iter().collect::<HashSet<_>>().len(), 25);
    assert_eq!(sink.pages[0].next_cursor, None, "the last page has no next page");
    assert_eq!(sink.pages[2].next_cursor.as_deref(), Some("2"));
}

#[tokio::test]
async fn the_balance_is_the_wallets_credits_balance() {
    let api = server(3, Vec::new());
    let client = connect(&api, 10, Arc::new(Waits(Mutex::new(Vec::new()))));
    let anchor = client.balance(WALLET).await.unwrap();
    assert_eq!(
        (anchor.account.as_str(), anchor.currency.as_str(), anchor.balance.as_str()),
        (WALLET, "credits", "7.50")
    );
    assert_eq!(anchor.at, None, "dated when it was read");
    let err = client.balance("wal_unknown").await.unwrap_err();
    assert!(matches!(err, ApiError::Status { status: 404, .. }), "{err}");
}

#[tokio::test]
async fn a_429_and_a_5xx_are_retried() {
    let script = vec![Reply::RateLimited(Some("3".into())), Reply::Status(502), Reply::Status(503)];
    let api = server(12, script);
    let waits = Arc::new(Waits(Mutex::new(Vec::new())));
    let client = connect(&api, 10, waits.clone());
    let mut sink = Collect::default();
    let fetched = client.fetch_ledger(WALLET, &(), &mut sink).await.unwrap();
    assert_eq!(fetched.entries, 12);
    let waited = waits.0.lock().unwrap().clone();
    assert_eq!(waited.len(), 3, "{waited:?}");
    assert_eq!(waited[0], Duration::from_secs(3), "Retry-After honoured");
    assert_eq!(api.requests().len(), 5, "three failures, then two pages");
}

#[tokio::test]
async fn a_second_run_stops_at_a_known_lago_id() {
    let api = server(25, Vec::new());
    let client = connect(&api, 10, Arc::new(Waits(Mutex::new(Vec::new()))));
    let mut first = Collect::default();
    client.fetch_ledger(WALLET, &(), &mut first).await.unwrap();
    let known: HashSet<String> = ids(&first).into_iter().collect();
    let before = api.requests().len();
    let mut second = Collect::default();
    let fetched = client.fetch_ledger(WALLET, &known, &mut second).await.unwrap();
    assert_eq!(fetched.pages, 1, "the first page is known ground");
    assert_eq!(api.requests().len(), before + 1);
}

#[tokio::test]
async fn answers_that_break_paging_stop_naming_them() {
    // A next page that is not a number.
    let bad_meta = json!({"wallet_transactions": [transaction(1)], "meta": {"next_page": "later"}}).to_string();
    let api = server(3, vec![Reply::Body(bad_meta)]);
    let client = connect(&api, 10, Arc::new(Waits(Mutex::new(Vec::new()))));
    let err = client.fetch_ledger(WALLET, &(), &mut Collect::default()).await.unwrap_err();
    let text = err.to_string();
    assert!(text.contains("Lago API") && text.contains("\"meta.next_page\" is \"later\""), "{text}");
    // A transaction without its lago_id.
    let mut nameless = transaction(1);
    nameless.as_object_mut().unwrap().remove("lago_id");
    let page = json!({"wallet_transactions": [nameless], "meta": {"next_page": null}}).to_string();
    let api = server(3, vec![Reply::Body(page)]);
    let client = connect(&api, 10, Arc::new(Waits(Mutex::new(Vec::new()))));
    let err = client.fetch_ledger(WALLET, &(), &mut Collect::default()).await.unwrap_err();
    assert!(err.to_string().contains("\"lago_id\" is missing"), "{err}");
    // A page that repeats forever: the next page is the same page number.
    let looping = json!({"wallet_transactions": [transaction(2)], "meta": {"next_page": 2}}).to_string();
    let api = server(3, vec![Reply::Body(looping.clone()), Reply::Body(looping)]);
    let client = connect(&api, 10, Arc::new(Waits(Mutex::new(Vec::new()))));
    let err = client.fetch_ledger(WALLET, &(), &mut Collect::default()).await.unwrap_err();
    assert!(matches!(err, ApiError::RepeatedCursor { .. }), "{err}");
}
