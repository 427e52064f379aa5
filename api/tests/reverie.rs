//! The Reverie client against a real HTTP server on loopback (the `mock` module), serving
//! `fixtures/clean.json` in pages.

use std::ops::ControlFlow;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reckon_api::mock::{MockServer, Reply, Reverie};
use reckon_api::reverie::Client;
use reckon_api::{ApiError, ApiKey, BaseUrl, Config, Page, PageSink, Pause, Retry};

const KEY: &str = "sk_test_0123456789";

fn fixture() -> Reverie {
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/clean.json")).unwrap();
    Reverie::from_ledger(&bytes, KEY).unwrap()
}

/// Records the waits asked for and returns at once.
#[derive(Debug, Default)]
struct Waits(Mutex<Vec<Duration>>);

impl Pause for Waits {
    fn pause(&self, wait: Duration) -> Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        self.0.lock().unwrap().push(wait);
        Box::pin(std::future::ready(()))
    }
}

struct Setup {
    server: MockServer,
    waits: Arc<Waits>,
    config: Config,
}

fn setup(api: Reverie, page_size: usize) -> Setup {
    let server = MockServer::start(api).unwrap();
    let waits = Arc::new(Waits::default());
    let mut config = Config::new(BaseUrl::parse(&server.base_url()).unwrap(), ApiKey::new(KEY));
    config.page_size = page_size;
    config.retry = Retry { base: Duration::from_millis(4), ..Retry::default() };
    config.pause = waits.clone();
    config.timeout = Duration::from_secs(5);
    Setup { server, waits, config }
}

impl Setup {
    fn waits(&self) -> Vec<Duration> {
        self.waits.0.lock().unwrap().clone()
    }
    fn ledger_requests(&self) -> usize {
        self.server.requests().iter().filter(|r| r.path == "/v1/ledger").count()
    }
}

/// Keeps every page; stops after `stop_after` pages if set.
#[derive(Default)]
struct Collect {
    pages: Vec<Page>,
    stop_after: Option<usize>,
}

impl PageSink for Collect {
    type Error = ApiError;
    fn page(&mut self, page: Page) -> Result<ControlFlow<()>, ApiError> {
        self.pages.push(page);
        Ok(if self.stop_after == Some(self.pages.len()) { ControlFlow::Break(()) } else { ControlFlow::Continue(()) })
    }
}

impl Collect {
    fn ids(&self) -> Vec<String> {
        self.pages
            .iter()
            .flat_map(|p| {
                let v: serde_json::Value = serde_json::from_slice(&p.body).unwrap();
                v["data"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_string()).collect::<Vec<_>>()
            })
            .collect()
    }
}

async fn fetch(s: &Setup) -> (Collect, Result<reckon_api::Fetched, ApiError>) {
    let client = Client::new(s.config.clone()).unwrap();
    let mut sink = Collect::default();
    let result = client.fetch_ledger(&mut sink).await;
    (sink, result)
}

#[tokio::test]
async fn pages_to_the_end_oldest_first() {
    let api = fixture();
    let expected: Vec<String> = api.entries.iter().map(|e| e["id"].as_str().unwrap().to_string()).collect();
    let s = setup(api, 40);
    let (sink, result) = fetch(&s).await;
    let fetched = result.unwrap();
    assert_eq!((fetched.pages, fetched.entries, fetched.stopped), (3, 97, false));
    assert_eq!(sink.pages.iter().map(|p| p.entries).collect::<Vec<_>>(), vec![40, 40, 17]);
    assert_eq!(sink.pages.iter().map(|p| p.index).collect::<Vec<_>>(), vec![0, 1, 2]);
    assert_eq!(sink.pages[0].next_cursor.as_deref(), Some("c40"));
    assert_eq!(sink.pages[2].next_cursor, None);
    assert_eq!(sink.ids(), expected);
    let requests = s.server.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|r| r.authorization.as_deref() == Some(&*format!("Bearer {KEY}"))));
    assert!(requests.iter().all(|r| r.param("limit") == Some("40")));
    assert_eq!(requests.iter().map(|r| r.param("cursor")).collect::<Vec<_>>(), vec![None, Some("c40"), Some("c80")]);
    assert!(sink.pages[1].url.contains("/v1/ledger?limit=40&cursor=c40"), "{}", sink.pages[1].url);
    assert!(s.waits().is_empty());
}

#[tokio::test]
async fn since_is_passed_to_the_api() {
    let mut s = setup(fixture(), 500);
    s.config.since = Some("2026-03-10T00:00:00Z".into());
    let (sink, result) = fetch(&s).await;
    let fetched = result.unwrap();
    assert_eq!(fetched.pages, 1);
    assert!(fetched.entries > 0 && fetched.entries < 97, "{fetched:?}");
    assert_eq!(s.server.requests()[0].param("since"), Some("2026-03-10T00:00:00Z"));
    assert!(sink.pages[0].url.contains("since=2026-03-10T00%3A00%3A00Z"), "{}", sink.pages[0].url);
}

#[tokio::test]
async fn the_balance_is_read() {
    let s = setup(fixture(), 500);
    let balance = Client::new(s.config.clone()).unwrap().fetch_balance().await.unwrap();
    assert_eq!(balance.balance, "1595.01");
    assert_eq!(balance.as_of, "2026-03-10T09:00:00Z");
    assert!(balance.url.ends_with("/v1/balance"));
}

#[tokio::test]
async fn a_rejected_key_stops_at_once() {
    let mut s = setup(fixture(), 40);
    s.config.key = ApiKey::new("sk_wrong_key_987");
    let (sink, result) = fetch(&s).await;
    let err = result.unwrap_err();
    assert!(matches!(err, ApiError::KeyRejected { status: 401, .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("API key was rejected") && message.contains("/v1/ledger?limit=40"), "{message}");
    assert!(message.contains("Reverie Open API"), "{message}");
    assert!(!message.contains("sk_wrong_key_987") && !format!("{err:?}").contains("sk_wrong_key_987"));
    assert_eq!(s.ledger_requests(), 1, "no retry after 401");
    assert!(sink.pages.is_empty());
    assert!(s.waits().is_empty());
}

#[tokio::test]
async fn rate_limits_wait_retry_after_then_succeed() {
    let mut api = fixture();
    api.script.extend([
        Reply::RateLimited(Some("0".into())),
        Reply::RateLimited(Some("1".into())),
        Reply::RateLimited(Some("3600".into())),
    ]);
    let s = setup(api, 500);
    let (sink, result) = fetch(&s).await;
    assert_eq!(result.unwrap().entries, 97);
    assert_eq!(sink.pages.len(), 1);
    assert_eq!(s.waits(), vec![Duration::ZERO, Duration::from_secs(1), Duration::from_secs(60)], "capped at 60 s");
    assert_eq!(s.ledger_requests(), 4);
}

#[tokio::test]
async fn server_errors_back_off_then_succeed() {
    let mut api = fixture();
    api.script.extend([Reply::Status(500), Reply::Status(503)]);
    let s = setup(api, 500);
    let (_, result) = fetch(&s).await;
    assert_eq!(result.unwrap().entries, 97);
    let waits = s.waits();
    assert_eq!(waits.len(), 2);
    assert!(waits[0] >= Duration::from_millis(2) && waits[0] <= Duration::from_millis(4), "{waits:?}");
    assert!(waits[1] >= Duration::from_millis(4) && waits[1] <= Duration::from_millis(8), "{waits:?}");
}

#[tokio::test]
async fn server_errors_give_up_after_the_attempts() {
    let mut api = fixture();
    api.script.extend(std::iter::repeat_n(Reply::Status(500), 10));
    let s = setup(api, 500);
    let (_, result) = fetch(&s).await;
    let err = result.unwrap_err();
    assert!(matches!(err, ApiError::Unavailable { status: 500, attempts: 5, .. }), "{err:?}");
    assert_eq!(s.ledger_requests(), 5);
}

#[tokio::test]
async fn a_timeout_is_retried() {
    let mut api = fixture();
    api.script.push_back(Reply::Stall(Duration::from_millis(600)));
    let mut s = setup(api, 500);
    s.config.timeout = Duration::from_millis(150);
    let (_, result) = fetch(&s).await;
    assert_eq!(result.unwrap().entries, 97);
    assert_eq!(s.waits().len(), 1);
    assert_eq!(s.ledger_requests(), 2);
}

#[tokio::test]
async fn a_malformed_page_is_an_error_naming_it() {
    let mut api = fixture();
    let first = serde_json::json!({"data": &api.entries[..40], "next_cursor": "c40"}).to_string();
    api.script.extend([Reply::Body(first), Reply::Body("{\"data\": [oops".into())]);
    let s = setup(api, 40);
    let (sink, result) = fetch(&s).await;
    let err = result.unwrap_err();
    assert!(matches!(err, ApiError::BadAnswer { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("/v1/ledger?limit=40&cursor=c40"), "{message}");
    assert!(message.contains("not the documented JSON"), "{message}");
    assert_eq!(sink.pages.len(), 1, "the good page before it was handed over");
    assert_eq!(s.ledger_requests(), 2, "a malformed page is not retried");
}

#[tokio::test]
async fn a_page_without_data_is_an_error() {
    let mut api = fixture();
    api.script.push_back(Reply::Body("{\"items\": [], \"next_cursor\": null}".into()));
    let s = setup(api, 40);
    let (_, result) = fetch(&s).await;
    let message = result.unwrap_err().to_string();
    assert!(message.contains("missing field `data`"), "{message}");
}

#[tokio::test]
async fn a_repeating_cursor_is_an_error() {
    let mut api = fixture();
    api.repeat_cursor = true;
    let s = setup(api, 40);
    let (sink, result) = fetch(&s).await;
    let err = result.unwrap_err();
    assert!(matches!(&err, ApiError::RepeatedCursor { cursor, .. } if cursor == "c40"), "{err:?}");
    assert!(err.to_string().contains("cursor=c40"), "{err}");
    assert_eq!(sink.pages.len(), 1);
    assert_eq!(s.ledger_requests(), 2);
}

#[tokio::test]
async fn the_sink_can_stop_the_fetch() {
    let s = setup(fixture(), 40);
    let client = Client::new(s.config.clone()).unwrap();
    let mut sink = Collect { stop_after: Some(1), ..Collect::default() };
    let fetched = client.fetch_ledger(&mut sink).await.unwrap();
    assert_eq!((fetched.pages, fetched.entries, fetched.stopped), (1, 40, true));
    assert_eq!(s.ledger_requests(), 1);
}

#[test]
fn plain_http_to_another_host_is_refused() {
    let err = BaseUrl::parse("http://api.reverie.example").unwrap_err();
    assert!(matches!(err, ApiError::InsecureUrl { .. }), "{err:?}");
    assert!(err.to_string().contains("use https://") || err.to_string().contains("Use https://"), "{err}");
    assert!(BaseUrl::parse("http://127.0.0.1:9").is_ok());
    assert!(BaseUrl::parse("https://api.reverie.example").is_ok());
}
