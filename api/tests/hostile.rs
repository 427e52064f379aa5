//! A hostile server on loopback: each test serves one misbehaviour (a redirect to another
//! origin, an error body echoing the key, a huge or endless body, fresh cursors forever,
//! pages that never end, too many entries) and checks that the client ends with an error
//! naming it, keeps the pages it handed over, and never shows the key.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use common::{entry, Collect, Harness, KEY, START};
use reckon_api::mock::{Kind, MockServer, Reply, Reverie, Vendor};
use reckon_api::reverie::Client;
use reckon_api::{ApiError, ApiKey, BaseUrl, Config, Retry};
use serde_json::json;

fn reverie(entries: usize) -> Reverie {
    let entries: Vec<_> = (1..=entries)
        .map(|n| {
            json!({"id": format!("txn_{n:04}"), "created_at": "2026-03-01T08:00:00Z", "type": "CHAT",
                   "description": "", "amount": "-1", "balance_after": format!("{}", 1000 - n),
                   "character": null, "model": null})
        })
        .collect();
    Reverie::from_ledger(json!({ "data": entries }).to_string().as_bytes(), KEY).unwrap()
}

fn config(base: &str) -> Config {
    let mut config = Config::new(BaseUrl::parse(base).unwrap(), ApiKey::new(KEY));
    config.page_size = 10;
    config.retry = Retry { attempts: 2, base: Duration::from_millis(1), ..Retry::default() };
    config.timeout = Duration::from_secs(10);
    config
}

async fn fetch(config: &Config) -> (Collect, Result<reckon_api::Fetched, ApiError>) {
    let mut sink = Collect::default();
    let result = Client::new(config.clone()).unwrap().fetch_ledger(&mut sink).await;
    (sink, result)
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_refused_naming_both_urls() {
    // The attacker's ledger on another port of this machine.
    let elsewhere = MockServer::start(reverie(3)).unwrap();
    let target = format!("{}/v1/ledger?limit=10", elsewhere.base_url());
    let mut api = reverie(3);
    api.script.push_back(Reply::Raw {
        status: 302,
        headers: vec![("Location".into(), target.clone())],
        body: String::new(),
    });
    let server = MockServer::start(api).unwrap();
    let (sink, result) = fetch(&config(&server.base_url())).await;
    let e = result.unwrap_err();
    assert!(matches!(e, ApiError::Redirect { status: 302, .. }), "{e}");
    let message = e.to_string();
    assert!(message.contains(&server.base_url()) && message.contains(&target), "{message}");
    assert!(sink.pages.is_empty());
    assert!(elsewhere.requests().is_empty(), "the redirect was followed");
}

#[tokio::test]
async fn the_key_is_redacted_from_error_bodies_cursors_and_pages() {
    let mut api = reverie(3);
    api.script.push_back(Reply::Raw {
        status: 400,
        headers: vec![],
        body: format!("{{\"error\": \"bad key {KEY}\"}}"),
    });
    let server = MockServer::start(api).unwrap();
    let (_, result) = fetch(&config(&server.base_url())).await;
    let message = result.unwrap_err().to_string();
    assert!(!message.contains(KEY), "{message}");
    assert!(message.contains("bad key [redacted]"), "{message}");

    // A page that quotes the key, and a cursor that is the key.
    let mut api = reverie(3);
    let page = json!({"data": [{"id": "txn_1", "description": format!("echo {KEY}")}], "next_cursor": KEY});
    api.script.push_back(Reply::Body(page.to_string()));
    let server = MockServer::start(api).unwrap();
    let (sink, _) = fetch(&config(&server.base_url())).await;
    let first = &sink.pages[0];
    let body = String::from_utf8_lossy(&first.body);
    assert!(!body.contains(KEY) && body.contains("echo [redacted]"), "{body}");
    assert!(sink.pages.iter().all(|p| !p.url.contains(KEY)), "a page URL names the key");
}

#[tokio::test]
async fn a_page_past_the_cap_is_refused_naming_the_cap() {
    let server = MockServer::start(reverie(40)).unwrap();
    let mut config = config(&server.base_url());
    config.bounds.page_bytes = 1 << 10;
    let (sink, result) = fetch(&config).await;
    let e = result.unwrap_err();
    assert!(matches!(e, ApiError::PageTooLarge { .. }), "{e}");
    assert!(e.to_string().contains("1 KiB"), "{e}");
    assert!(sink.pages.is_empty());
}

/// Serves one answer whose chunked body never ends (up to 256 MiB, so a client without a cap
/// fails the test instead of the machine), then stops.
fn endless_body() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else { return };
        let mut head = [0u8; 4096];
        let _ = stream.read(&mut head);
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
        if stream.write_all(head.as_bytes()).is_err() {
            return;
        }
        let chunk = format!("{:x}\r\n{}\r\n", 64 << 10, " ".repeat(64 << 10));
        for _ in 0..4096 {
            if stream.write_all(chunk.as_bytes()).is_err() {
                return;
            }
        }
    });
    base
}

#[tokio::test]
async fn an_endless_body_is_cut_at_the_cap() {
    let mut config = config(&endless_body());
    config.bounds.page_bytes = 1 << 20;
    config.retry.attempts = 1;
    let (_, result) = fetch(&config).await;
    let e = result.unwrap_err();
    assert!(matches!(e, ApiError::PageTooLarge { .. }), "{e}");
    assert!(e.to_string().contains("1 MiB"), "{e}");
}

#[tokio::test]
async fn fresh_cursors_with_nothing_new_end_after_a_run_of_pages() {
    let mut api = reverie(3);
    for n in 0..30 {
        api.script.push_back(Reply::Body(json!({"data": [], "next_cursor": format!("fresh{n}")}).to_string()));
    }
    let server = MockServer::start(api).unwrap();
    let (sink, result) = fetch(&config(&server.base_url())).await;
    let e = result.unwrap_err();
    assert!(matches!(e, ApiError::IdlePages { pages: 20, .. }), "{e}");
    // The pages before the run's end were handed over (and stay stored).
    assert_eq!(sink.pages.len(), 19);

    // The same entries again and again, each page with a fresh cursor.
    let mut api = reverie(3);
    let same = json!([{"id": "txn_0001"}, {"id": "txn_0002"}]);
    for n in 0..30 {
        api.script.push_back(Reply::Body(json!({"data": same, "next_cursor": format!("fresh{n}")}).to_string()));
    }
    let server = MockServer::start(api).unwrap();
    let (sink, result) = fetch(&config(&server.base_url())).await;
    assert!(matches!(result, Err(ApiError::IdlePages { pages: 20, .. })), "{result:?}");
    assert_eq!(sink.pages.len(), 20);
}

#[tokio::test]
async fn newest_first_apis_stop_on_fresh_empty_pages_too() {
    let h = Harness::one(Kind::Orb, 5);
    h.update(|v| {
        for n in 0..30 {
            let page = json!({"data": [], "pagination_metadata": {"has_more": true, "next_cursor": format!("x{n}")}});
            v.script.push_back(Reply::Body(page.to_string()));
        }
    });
    let mut sink = Collect::default();
    let result = h.fetch("cus_a", &(), &mut sink).await;
    assert!(matches!(result, Err(ApiError::IdlePages { pages: 20, .. })), "{result:?}");
    assert_eq!(h.ledger_requests().len(), 20);

    // The customer list, likewise.
    let h = Harness::one(Kind::Orb, 5);
    h.update(|v| {
        for n in 0..30 {
            let page = json!({"data": [], "pagination_metadata": {"has_more": true, "next_cursor": format!("x{n}")}});
            v.script.push_back(Reply::Body(page.to_string()));
        }
    });
    let mut sink = Collect::default();
    let result = h.fetch_all(&(), 2, &mut sink).await;
    assert!(matches!(result, Err(ApiError::IdlePages { pages: 20, .. })), "{result:?}");
}

#[tokio::test]
async fn a_sync_past_its_entry_bound_stops() {
    // Stripe: every page one fresh entry (its ID is the next cursor), forever.
    let mut vendor = Vendor::new(Kind::Stripe, KEY, vec![("cus_a".into(), Vec::new())]);
    for n in 1..=200 {
        let page = json!({"object": "list", "data": [entry(Kind::Stripe, "cus_a", n, START)], "has_more": true});
        vendor.script.push_back(Reply::Body(page.to_string()));
    }
    let mut h = Harness::new(vendor);
    h.config.bounds.entries = 50;
    let mut sink = Collect::default();
    let result = h.fetch("cus_a", &(), &mut sink).await;
    let e = result.unwrap_err();
    assert!(matches!(e, ApiError::TooManyEntries { limit: 50, .. }), "{e}");
    assert_eq!(h.ledger_requests().len(), 51);

    // Reverie counts its pages' entries the same way; those handed over stay.
    let server = MockServer::start(reverie(95)).unwrap();
    let mut config = config(&server.base_url());
    config.bounds.entries = 45;
    let (sink, result) = fetch(&config).await;
    assert!(matches!(result, Err(ApiError::TooManyEntries { limit: 45, .. })), "{result:?}");
    assert_eq!(sink.pages.len(), 4);
}

#[tokio::test]
async fn a_sync_past_its_deadline_stops_and_keeps_its_pages() {
    // The first page comes at once; the second never does (the server holds it for a minute,
    // well past the deadline and short of the request timeout).
    let mut api = reverie(30);
    api.script.push_back(Reply::Body(json!({"data": [{"id": "txn_a"}], "next_cursor": "c10"}).to_string()));
    api.script.push_back(Reply::Stall(Duration::from_secs(60)));
    let server = MockServer::start(api).unwrap();
    let mut config = config(&server.base_url());
    config.timeout = Duration::from_secs(120);
    config.bounds.deadline = Duration::from_secs(2);
    let (sink, result) = fetch(&config).await;
    let e = result.unwrap_err();
    assert!(matches!(e, ApiError::Deadline { .. }), "{e}");
    assert!(e.to_string().contains("2s"), "{e}");
    assert_eq!(sink.pages.len(), 1);
}
