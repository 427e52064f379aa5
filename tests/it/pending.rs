//! Available and pending balances kept apart (the grant ledger): `check`'s text and JSON give
//! the pending balance beside the available one, and both report drafts state both, name the
//! pending grants not settled yet and word the pending findings for their reader.

use crate::support::Db;

#[test]
fn check_and_reports_state_available_and_pending_apart() {
    let db = Db::new();
    db.import("fixtures/grant-ledger.csv");
    let (check, _) = db.check_json(&[]);
    let chains = check["chains"].as_array().unwrap();
    let chain = |currency: &str| chains.iter().find(|c| c["currency"] == currency).unwrap().clone();
    // gl_008's 200 is pending at the end (gl_003 and gl_006 settled, whatever for).
    assert_eq!(chain("credits")["ledger_balance"], "500.00");
    assert_eq!(chain("credits")["pending_balance"], "200.00");
    // A ledger without pending grants carries no such field.
    assert!(chain("USD").get("pending_balance").is_none(), "{check}");

    let text = db.ok(&["check"], 1);
    assert!(text.contains("default/credits: 10 entries, ledger ends at 500.00 available, 200.00 pending"), "{text}");

    let support = db.ok(&["report", "--currency", "credits", "--now", "2026-04-01T00:00:00Z"], 0);
    for line in [
        "| Available balance the ledger ends at | 500.00 |",
        "| Pending (granted, not yet settled) | 200.00 |",
        "| Available and pending together | 700.00 |",
        "Not settled yet: gl_008, 200.00 pending since 2026-02-01 09:00:00 UTC.",
        // A pending grant's row shows what is pending and no balance of its own.
        "| gl_006 | 2026-01-12 09:00:00 UTC | PENDING_GRANT | Plan renewal awaiting activation | 300.00 pending | - | - |",
        "- Whether the payments behind these pending grants arrived, and when the credits will be available (gl_008).",
        "- Which amount was paid for these grants: they settled for another amount than was pending (gl_006, gl_007).",
        "- Why these spends were allowed on credits that were still pending, and how the shortfall is counted (gl_004).",
    ] {
        assert!(support.contains(line), "missing {line:?} in\n{support}");
    }

    let customer =
        db.ok(&["report", "--currency", "credits", "--audience", "customer", "--now", "2026-04-01T00:00:00Z"], 0);
    for line in [
        "Of that, **500.00** is available to spend now. Another **200.00** is pending: granted, but not available until it settles (gl_008, 200.00 pending since 2026-02-01 09:00:00 UTC).",
        "- Pending grant never settled: 200.00 granted to you is still pending after 30 days, so it is not yet available; we are asking whether the payment arrived. (gl_008)",
        "- Grant settles for another amount than was pending: a pending grant became available for 50.00 less than was pending; we are confirming which amount is right. (gl_006, gl_007)",
        "- Spend covered only by pending credits: credits were spent before a pending grant became available, 120.00 more than was available then; we are checking how it is counted. (gl_004)",
    ] {
        assert!(customer.contains(line), "missing {line:?} in\n{customer}");
    }
    // The customer draft words the findings for the customer, not the vendor's support.
    assert!(!customer.contains("Ask the vendor"), "{customer}");
}

#[test]
fn the_customer_draft_words_feed_and_anchor_findings_plainly() {
    let db = Db::new();
    db.import("fixtures/usage-feed-nobalance.csv");
    db.ok(&["anchor", "add", "--at", "2026-02-28 23:59:59", "--balance", "100", "--opening"], 0);
    db.ok(&["anchor", "add", "--at", "2026-03-05 23:59:59", "--balance", "74.30"], 0);
    // The ledger states no balance; check gives where the anchors rebuild it to (74.30 + 9.75).
    let text = db.ok(&["check"], 1);
    assert!(text.contains("15 entries, ledger ends at - (rebuilt from the anchors: 84.05)"), "{text}");
    let customer = db.ok(&["report", "--audience", "customer", "--now", "2026-04-01T00:00:00Z"], 0);
    for line in [
        "- Balance stated at a point in time does not add up: the balance you were shown at that time and what your entries add up to differ by 1.20; we are finding the entry behind it. (use_0010)",
        "- Refund differs from the charge it names: a refund is 7.00 different from the charge it refunds; we are confirming the right amount. (use_0008, use_0003)",
        "- Charge refunded more than once: a charge was refunded more than once (3.00 beyond the charge); we are checking whether that was meant. (use_0005, use_0006, use_0011)",
    ] {
        assert!(customer.contains(line), "missing {line:?} in\n{customer}");
    }
}

#[test]
fn a_ledger_that_ends_on_a_pending_grant_ends_at_the_available_balance_before_it() {
    // The export starts mid-history (880 available) and its newest row is a pending top-up.
    let db = Db::new();
    let path = crate::support::file(
        &db,
        "grants.csv",
        "Entry ID,Time,Currency,Event,Kind,Amount,Balance change,Settles\n\
         g1,2026-01-01T09:00:00Z,credits,Top-up,grant,+120,\"880 -> 1,000\",\n\
         s1,2026-01-02T09:00:00Z,credits,API usage,spend,-10,\"1,000 -> 990\",\n\
         p1,2026-01-03T09:00:00Z,credits,Top-up awaiting payment,pending_grant,+50,,\n",
    );
    db.import(path.to_str().unwrap());
    let (check, _) = db.check_json(&[]);
    assert_eq!(check["chains"][0]["ledger_balance"], "990.00", "{check}");
    assert_eq!(check["chains"][0]["pending_balance"], "50.00", "{check}");
    let text = db.ok(&["check"], 0);
    assert!(text.contains("ledger ends at 990.00 available, 50.00 pending"), "{text}");

    let support = db.ok(&["report", "--now", "2026-04-01T00:00:00Z"], 0);
    for line in [
        "| Available balance the ledger ends at | 990.00 |",
        "| Available and pending together | 1040.00 |",
        // From the 880 the oldest row starts at, not from 0.
        "| Balance the entries add up to | 990.00 |",
    ] {
        assert!(support.contains(line), "missing {line:?} in\n{support}");
    }
    assert!(!support.contains("states no running balance"), "{support}");
    let customer = db.ok(&["report", "--audience", "customer", "--now", "2026-04-01T00:00:00Z"], 0);
    assert!(customer.contains("Your balance went from **880.00** to **990.00** (+110.00)"), "{customer}");
    assert!(
        customer.contains("Of that, **990.00** is available to spend now. Another **50.00** is pending"),
        "{customer}"
    );
}
