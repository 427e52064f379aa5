//! The Stripe client against a real HTTP server on loopback (the `mock` module), with ledgers
//! made inline: paging with `starting_after`, faults, incremental runs, resume after a kill,
//! many customers, minor units and same-second entries.

mod common;

use common::*;
use reckon_api::mock::{Kind, Vendor};
use reckon_api::stripe;
use serde_json::json;

#[tokio::test]
async fn pages_to_the_end_starting_after_the_last_id() {
    pages_to_the_end(Kind::Stripe).await;
}

#[tokio::test]
async fn a_rejected_key_stops_at_once_naming_the_stripe_key() {
    a_rejected_key_stops_at_once(Kind::Stripe, "stripe", "Stripe API").await;
}

#[tokio::test]
async fn rate_limits_wait_retry_after_then_succeed() {
    rate_limits_wait_then_succeed(Kind::Stripe).await;
}

#[tokio::test]
async fn server_errors_back_off_unless_stripe_says_not_to() {
    server_errors_back_off_then_succeed(Kind::Stripe, "Stripe-Should-Retry").await;
}

#[tokio::test]
async fn retries_stop_at_the_total_waiting_bound() {
    retries_are_bounded_in_total_time(Kind::Stripe).await;
}

#[tokio::test]
async fn a_timeout_is_retried_then_succeeds() {
    a_timeout_is_retried(Kind::Stripe).await;
}

#[tokio::test]
async fn a_malformed_page_stops_naming_it() {
    a_malformed_page_is_an_error_naming_it(Kind::Stripe).await;
}

#[tokio::test]
async fn an_entry_without_created_stops_naming_it() {
    an_entry_without_its_time_is_an_error_naming_it(Kind::Stripe, "created").await;
}

#[tokio::test]
async fn a_repeating_cursor_stops() {
    a_repeating_cursor_is_an_error(Kind::Stripe).await;
}

#[tokio::test]
async fn a_second_run_stops_at_a_known_id() {
    a_second_run_fetches_only_what_is_new(Kind::Stripe).await;
}

#[tokio::test]
async fn killed_half_way_then_resumed_loses_and_duplicates_nothing() {
    killed_half_way_then_resumed(Kind::Stripe).await;
}

#[tokio::test]
async fn fifty_customers_at_once_stay_under_25_a_second() {
    fifty_customers_under_the_rate_limit(Kind::Stripe, 25, 40).await;
}

/// 30 transactions in one second across a page boundary: paging by ID (not by time) loses
/// none and repeats none; amounts stay integers in minor units, byte for byte.
#[tokio::test]
async fn same_second_entries_in_minor_units_all_arrive() {
    let entries: Vec<_> = (1..=30)
        .rev()
        .map(|n| {
            json!({"id": format!("cbtxn_{n:02}"), "object": "customer_balance_transaction", "amount": -1999 - n,
                   "created": 1_772_352_000, "currency": "jpy", "customer": "cus_a", "ending_balance": -(2000 * n),
                   "type": if n % 2 == 0 { "applied_to_invoice" } else { "adjustment" }, "invoice": null})
        })
        .collect();
    let mut h = Harness::new(Vendor::new(Kind::Stripe, KEY, vec![("cus_a".into(), entries.clone())]));
    h.config.page_size = 7;
    let mut sink = Collect::default();
    let fetched = h.fetch("cus_a", &(), &mut sink).await.unwrap();
    assert_eq!((fetched.pages, fetched.entries), (5, 30));
    assert_eq!(h.cursors()[1].as_deref(), Some("cbtxn_24"));
    let handed = sink.entries();
    let mut got = ids(&handed);
    got.sort();
    let mut expected = ids(&entries);
    expected.sort();
    assert_eq!(got, expected);
    for entry in &entries {
        assert!(handed.contains(entry), "{entry} came back changed");
    }
    assert!(sink.pages.iter().all(|p| !String::from_utf8_lossy(&p.body).contains("-2001.0")), "integers stay integers");
}

#[tokio::test]
async fn has_more_without_an_id_to_page_after_is_an_error() {
    let h = Harness::one(Kind::Stripe, 5);
    h.update(|v| {
        v.script.push_back(reckon_api::mock::Reply::Body(
            json!({"object": "list", "data": [], "has_more": true}).to_string(),
        ))
    });
    let err = h.fetch("cus_a", &(), &mut Collect::default()).await.unwrap_err();
    assert!(err.to_string().contains("no \"id\" to page after"), "{err}");
}

#[tokio::test]
async fn the_customer_list_is_paged_with_starting_after() {
    let customers = (0..130).map(|c| (format!("cus_{c:03}"), Vec::new())).collect();
    let h = Harness::new(Vendor::new(Kind::Stripe, KEY, customers));
    let client = stripe::Client::new(h.config.clone()).unwrap();
    let ids = client.customers().await.unwrap();
    assert_eq!(ids.len(), 130);
    assert_eq!(h.server.requests()[1].param("starting_after"), Some("cus_099"));
}
