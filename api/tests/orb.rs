//! The Orb client against a real HTTP server on loopback (the `mock` module), with ledgers
//! made inline: paging, faults, incremental runs, resume after a kill, many customers.

mod common;

use common::*;
use reckon_api::mock::{Kind, Vendor};
use reckon_api::orb;
use serde_json::json;

#[tokio::test]
async fn pages_to_the_end_newest_first() {
    pages_to_the_end(Kind::Orb).await;
}

#[tokio::test]
async fn a_rejected_key_stops_at_once_naming_the_orb_key() {
    a_rejected_key_stops_at_once(Kind::Orb, "orb", "Orb API").await;
}

#[tokio::test]
async fn rate_limits_wait_retry_after_then_succeed() {
    rate_limits_wait_then_succeed(Kind::Orb).await;
}

#[tokio::test]
async fn server_errors_back_off_unless_told_not_to() {
    server_errors_back_off_then_succeed(Kind::Orb, "x-should-retry").await;
}

#[tokio::test]
async fn retries_stop_at_the_total_waiting_bound() {
    retries_are_bounded_in_total_time(Kind::Orb).await;
}

#[tokio::test]
async fn a_timeout_is_retried_then_succeeds() {
    a_timeout_is_retried(Kind::Orb).await;
}

#[tokio::test]
async fn a_malformed_page_stops_naming_it() {
    a_malformed_page_is_an_error_naming_it(Kind::Orb).await;
}

#[tokio::test]
async fn an_entry_without_created_at_stops_naming_it() {
    an_entry_without_its_time_is_an_error_naming_it(Kind::Orb, "created_at").await;
}

#[tokio::test]
async fn a_repeating_cursor_stops() {
    a_repeating_cursor_is_an_error(Kind::Orb).await;
}

#[tokio::test]
async fn a_second_run_stops_at_a_known_id() {
    a_second_run_fetches_only_what_is_new(Kind::Orb).await;
}

#[tokio::test]
async fn killed_half_way_then_resumed_loses_and_duplicates_nothing() {
    killed_half_way_then_resumed(Kind::Orb).await;
}

#[tokio::test]
async fn fifty_customers_at_once_stay_under_100_a_second() {
    fifty_customers_under_the_rate_limit(Kind::Orb, 100, 150).await;
}

/// Pending and committed increments, a void, an expiry and a decrement drawn from two blocks:
/// the client hands the pages over byte for byte; reading them is the reader's business.
#[tokio::test]
async fn pending_void_and_multi_block_entries_pass_through_untouched() {
    let c = json!({"id": "cus_a", "external_customer_id": "acme"});
    let entries = vec![
        json!({"id": "ole_6", "ledger_sequence_number": 6, "entry_type": "decrement", "entry_status": "committed",
               "customer": c, "amount": -150.0, "starting_balance": 250.0, "ending_balance": 100.0, "currency": "credits",
               "created_at": "2026-03-01T10:00:00Z", "description": "usage across two blocks",
               "credit_block": {"id": "cb_2", "expiry_date": null, "per_unit_cost_basis": "0.20"},
               "event_id": "evt_1", "invoice_id": null, "price_id": "price_x"}),
        json!({"id": "ole_5", "ledger_sequence_number": 5, "entry_type": "decrement", "entry_status": "committed",
               "customer": c, "amount": -50.0, "starting_balance": 300.0, "ending_balance": 250.0, "currency": "credits",
               "created_at": "2026-03-01T10:00:00Z", "description": "usage across two blocks",
               "credit_block": {"id": "cb_1", "expiry_date": "2026-04-01T00:00:00Z", "per_unit_cost_basis": "0.10"},
               "event_id": "evt_1", "invoice_id": null, "price_id": "price_x"}),
        json!({"id": "ole_4", "ledger_sequence_number": 4, "entry_type": "void", "entry_status": "committed",
               "customer": c, "amount": -100.0, "starting_balance": 400.0, "ending_balance": 300.0, "currency": "credits",
               "created_at": "2026-03-01T09:00:00Z", "void_reason": "refund", "void_amount": 100.0,
               "credit_block": {"id": "cb_3", "expiry_date": null, "per_unit_cost_basis": null}}),
        json!({"id": "ole_3", "ledger_sequence_number": 3, "entry_type": "increment", "entry_status": "pending",
               "customer": c, "amount": 500.0, "starting_balance": 400.0, "ending_balance": 400.0, "currency": "credits",
               "created_at": "2026-03-01T08:30:00Z", "credit_block": {"id": "cb_4", "expiry_date": null, "per_unit_cost_basis": "0.10"}}),
        json!({"id": "ole_2", "ledger_sequence_number": 2, "entry_type": "increment", "entry_status": "committed",
               "customer": c, "amount": 100.0, "starting_balance": 300.0, "ending_balance": 400.0, "currency": "credits",
               "created_at": "2026-03-01T08:00:00Z", "credit_block": {"id": "cb_3", "expiry_date": null, "per_unit_cost_basis": null}}),
        json!({"id": "ole_1", "ledger_sequence_number": 1, "entry_type": "increment", "entry_status": "committed",
               "customer": c, "amount": 300.0, "starting_balance": 0.0, "ending_balance": 300.0, "currency": "credits",
               "created_at": "2026-03-01T07:00:00Z", "credit_block": {"id": "cb_1", "expiry_date": "2026-04-01T00:00:00Z", "per_unit_cost_basis": "0.10"}}),
    ];
    let mut h = Harness::new(Vendor::new(Kind::Orb, KEY, vec![("cus_a".into(), entries.clone())]));
    h.config.page_size = 4;
    let mut sink = Collect::default();
    let fetched = h.fetch("cus_a", &(), &mut sink).await.unwrap();
    assert_eq!((fetched.pages, fetched.entries), (2, 6));
    // Oldest page first, each page newest first as served.
    let handed = sink.entries();
    assert_eq!(ids(&handed), ["ole_2", "ole_1", "ole_6", "ole_5", "ole_4", "ole_3"]);
    for entry in &entries {
        assert!(handed.contains(entry), "{entry} came back changed");
    }
}

#[tokio::test]
async fn external_ids_currency_and_status_go_into_the_request() {
    let h = Harness::one(Kind::Orb, 5);
    let options =
        orb::Options { external_ids: true, currency: Some("credits".into()), entry_status: Some("pending".into()) };
    let client = orb::Client::new(h.config.clone(), options).unwrap();
    let fetched = client.fetch_ledger("ext_cus_a", &(), &mut Collect::default()).await.unwrap();
    assert_eq!(fetched.entries, 5);
    let r = &h.server.requests()[0];
    assert_eq!(r.path, "/orb/v1/customers/external_customer_id/ext_cus_a/credits/ledger");
    assert_eq!((r.param("currency"), r.param("entry_status")), (Some("credits"), Some("pending")));
}

#[tokio::test]
async fn the_customer_list_is_paged_to_the_end() {
    let customers = (0..130).map(|c| (format!("cus_{c:03}"), Vec::new())).collect();
    let h = Harness::new(Vendor::new(Kind::Orb, KEY, customers));
    let client = orb::Client::new(h.config.clone(), orb::Options::default()).unwrap();
    let ids = client.customers().await.unwrap();
    assert_eq!(ids.len(), 130);
    assert_eq!(ids[129], "cus_129");
    assert_eq!(h.server.requests().len(), 2);
}
