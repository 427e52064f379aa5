//! The Stripe billing credits client against the mock on loopback, serving the fixtures:
//! the balance summary read first (as an anchor in the currency's exact decimals), grants and
//! transactions paged `starting_after` the last ID, a 429 and a 500 waited out, a second run
//! stopping at a known ID.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use common::{page_entries, Collect, Waits, KEY};
use reckon_api::mock::{Apis, MockServer, Reply, StripeCredits};
use reckon_api::{stripe_credits, ApiKey, BaseUrl, Config, Job, Ledger, Retry};

const CUSTOMER: &str = "cus_Rk7Credits";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("fixtures").join(name)).unwrap()
}

fn server(script: Vec<Reply>) -> MockServer {
    let mut credits = StripeCredits::from_json(
        &fixture("stripe-credit-transactions.json"),
        &fixture("stripe-credit-grants.json"),
        &fixture("stripe-credit-balance-summary.json"),
        KEY,
    )
    .unwrap();
    credits.script = script.into();
    MockServer::serve(Apis { stripe_credits: Some(credits), ..Apis::default() }, 0).unwrap()
}

fn config(server: &MockServer, waits: &Arc<Waits>) -> Config {
    let base = BaseUrl::parse(&format!("{}/stripe", server.base_url())).unwrap();
    let mut config = Config::new(base, ApiKey::new(KEY));
    config.retry = Retry { base: Duration::from_millis(4), ..Retry::default() };
    config.pause = waits.clone();
    config.page_size = 5;
    config
}

async fn run(config: Config, known: &HashSet<String>, sink: &mut Collect) -> Ledger {
    let job = Job { config, customers: Some(vec![CUSTOMER.into()]), known, concurrency: 1 };
    stripe_credits::fetch::<reckon_api::ApiError>(job, sink).await.unwrap()
}

#[tokio::test]
async fn the_summary_first_then_grants_and_transactions_through_a_429_and_a_500() {
    let api = server(vec![Reply::RateLimited(Some("1".into())), Reply::Status(500)]);
    let waits = Arc::new(Waits::default());
    let mut sink = Collect::default();
    let ledger = run(config(&api, &waits), &HashSet::new(), &mut sink).await;

    let anchor = &ledger.anchors[..];
    assert_eq!(anchor.len(), 1);
    assert_eq!((anchor[0].account.as_str(), anchor[0].currency.as_str()), (CUSTOMER, "usd"));
    assert_eq!((anchor[0].balance.as_str(), anchor[0].at.as_deref()), ("65.50", None));
    let waits = waits.0.lock().unwrap().clone();
    assert_eq!(waits.len(), 2, "{waits:?}");
    assert_eq!(waits[0], Duration::from_secs(1), "Retry-After is kept");

    // Grants in one page, transactions in three of at most 5: Stripe pages after an ID's
    // first copy, so the rewritten cbtxn_008 that ends the first page comes again.
    assert_eq!((ledger.fetched.pages, ledger.fetched.entries, ledger.fetched.customers), (4, 16, 1));
    let ids: Vec<String> =
        sink.pages.iter().flat_map(page_entries).map(|e| e["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(&ids[..3], ["credgr_spring", "credgr_welcome", "credgr_paid"]);
    // Handed oldest page first, each page newest first, as Stripe lists them.
    assert_eq!(ids[3..6], ["cbtxn_003", "cbtxn_002", "cbtxn_001"]);
    assert_eq!(ids.iter().filter(|i| *i == "cbtxn_009").count(), 2);
    assert!(sink.pages.iter().all(|p| p.customer.as_deref() == Some(CUSTOMER) && p.url.contains("customer=")));

    let requests = api.requests();
    let summary = "/stripe/v1/billing/credit_balance_summary";
    assert_eq!(requests.iter().take(3).map(|r| r.path.as_str()).collect::<Vec<_>>(), [summary; 3]);
    assert_eq!(requests[2].param("filter[type]"), Some("applicability_scope"));
    let cursors: Vec<Option<&str>> = requests
        .iter()
        .filter(|r| r.path.ends_with("credit_balance_transactions"))
        .map(|r| r.param("starting_after"))
        .collect();
    assert_eq!(cursors, [None, Some("cbtxn_008"), Some("cbtxn_004")]);
    let bearer = format!("Bearer {KEY}");
    assert!(requests.iter().all(|r| r.authorization.as_deref() == Some(bearer.as_str())));
}

#[tokio::test]
async fn a_second_run_stops_at_a_known_transaction() {
    let api = server(Vec::new());
    let waits = Arc::new(Waits::default());
    let mut first = Collect::default();
    run(config(&api, &waits), &HashSet::new(), &mut first).await;
    let known: HashSet<String> =
        first.pages.iter().flat_map(page_entries).map(|e| e["id"].as_str().unwrap().to_string()).collect();
    let before = api.requests().len();
    let mut again = Collect::default();
    let ledger = run(config(&api, &waits), &known, &mut again).await;
    // The summary, the grants' one page and the first page of transactions, which is known.
    assert_eq!(api.requests().len() - before, 3);
    assert_eq!(ledger.fetched.pages, 2);
    assert_eq!(ledger.anchors[0].balance, "65.50");
}

#[tokio::test]
async fn several_customers_at_once_each_with_its_own_summary_grants_and_transactions() {
    let api = server(Vec::new());
    let waits = Arc::new(Waits::default());
    let mut sink = Collect::default();
    let customers = vec!["cus_empty".to_string(), CUSTOMER.to_string()];
    let job = Job { config: config(&api, &waits), customers: Some(customers), known: &HashSet::new(), concurrency: 2 };
    let ledger = stripe_credits::fetch::<reckon_api::ApiError>(job, &mut sink).await.unwrap();
    // The customer with nothing states no balance and brings one empty page of each list.
    assert_eq!(ledger.anchors.iter().map(|a| a.account.as_str()).collect::<Vec<_>>(), [CUSTOMER]);
    assert_eq!((ledger.fetched.customers, ledger.fetched.entries), (2, 16));
    let summaries = api.requests().iter().take_while(|r| r.path.ends_with("credit_balance_summary")).count();
    assert_eq!(summaries, 2, "both summaries before any page");
    let pages_of = |c: &str| sink.pages.iter().filter(|p| p.customer.as_deref() == Some(c)).count();
    assert_eq!((pages_of("cus_empty"), pages_of(CUSTOMER)), (2, 4));
}
