//! Anchors: balances stated at a point in time, added, listed and removed through the CLI, and
//! the anchored walk `check` runs over them (FORMATS.md sections 2 and 3, issue 17).

use serde_json::Value;

use crate::support::Db;

/// `anchor list --format json`, parsed: its `anchors` array.
fn anchors(db: &Db, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["anchor", "list", "--format", "json"];
    args.extend_from_slice(extra);
    let out: Value = serde_json::from_str(&db.ok(&args, 0)).expect("anchor list prints JSON");
    out["anchors"].as_array().expect("anchors array").clone()
}

#[test]
fn anchors_are_added_listed_and_removed() {
    let db = Db::new();
    db.import("fixtures/clean.csv");
    let added = db.ok(&["anchor", "add", "--at", "2026-03-03 12:00:00", "--balance", "1,240", "--note", "page"], 0);
    assert!(added.contains("anchor 1 added to default/credits"), "{added}");
    db.ok(&["anchor", "add", "--at", "2026-03-04T01:00:00+01:00", "--balance", "5000.5", "--reset"], 0);
    db.ok(&["anchor", "add", "--at", "2026-03-01T00:00:00Z", "--balance", "-0.000001", "--opening"], 0);

    let listed = anchors(&db, &[]);
    let rows: Vec<(i64, &str, &str, &str, &str)> = listed
        .iter()
        .map(|a| {
            (
                a["id"].as_i64().unwrap(),
                a["at"].as_str().unwrap(),
                a["balance"].as_str().unwrap(),
                a["kind"].as_str().unwrap(),
                a["note"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (3, "2026-03-01T00:00:00Z", "-0.000001", "opening", ""),
            (1, "2026-03-03T12:00:00Z", "1240.00", "stated", "page"),
            (2, "2026-03-04T00:00:00Z", "5000.50", "reset", ""),
        ],
        "in time order, exact, the offset read as UTC"
    );
    assert!(listed.iter().all(|a| a["account"] == "default" && a["currency"] == "credits"));
    let text = db.ok(&["anchor", "list"], 0);
    assert!(text.contains("2026-03-03 12:00:00 UTC") && text.contains("1240.00") && text.contains("page"), "{text}");

    let removed = db.ok(&["anchor", "remove", "1"], 0);
    assert!(removed.contains("anchor 1 removed from default/credits"), "{removed}");
    let ids: Vec<i64> = anchors(&db, &[]).iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [3, 2]);
    let out = db.run(&["anchor", "remove", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`reckon anchor list` shows the anchors"));
}

#[test]
fn an_anchor_needs_a_ledger_it_can_name() {
    let db = Db::new();
    db.ok(&["import", "--account", "alice", "fixtures/clean.csv"], 0);
    db.ok(&["import", "--account", "bob", "fixtures/clean.csv"], 0);
    // Two ledgers, neither default/credits: which one is ambiguous.
    let out = db.run(&["anchor", "add", "--at", "2026-03-03 12:00:00", "--balance", "1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("2 ledgers (alice/credits, bob/credits)") && err.contains("--account"), "{err}");
    db.ok(&["anchor", "add", "--account", "bob", "--at", "2026-03-03 12:00:00", "--balance", "1"], 0);
    assert_eq!(anchors(&db, &["--account", "alice"]).len(), 0);
    assert_eq!(anchors(&db, &["--account", "bob"]).len(), 1);
    db.ok(&["anchor", "add", "--account", "carol", "--at", "2026-03-03 12:00:00", "--balance", "1"], 2);
    // Bad values are usage errors naming the flag, and write nothing.
    db.ok(&["anchor", "add", "--account", "bob", "--at", "3 March", "--balance", "1"], 2);
    db.ok(&["anchor", "add", "--account", "bob", "--at", "2026-03-03 12:00:00", "--balance", "1.5e3"], 2);
    db.ok(
        &["anchor", "add", "--account", "bob", "--at", "2026-03-03 12:00:00", "--balance", "1", "--reset", "--opening"],
        2,
    );
    assert_eq!(anchors(&db, &[]).len(), 1);
}

/// The findings of `check --format json`: kind, transaction IDs, delta.
fn found(check: &Value) -> Vec<(String, Vec<String>, Option<String>)> {
    crate::support::faults(check)
}

#[test]
fn a_ledger_that_states_its_balance_is_checked_against_each_anchor() {
    let db = Db::new();
    db.import("fixtures/clean.csv");
    // What the ledger states after txn_cb3e2434e3 (11:18:21): it agrees, nothing to say.
    db.ok(&["anchor", "add", "--at", "2026-03-02 12:00:00", "--balance", "1509.34"], 0);
    let (check, code) = db.check_json(&[]);
    assert_eq!((found(&check), code), (vec![], 0));
    // The page said 12.50 less on 3 March at 12:30 than the ledger's 1503.96 after
    // txn_cdc89da11b: one anchor_mismatch, no head_mismatch, the VIDEO charge of 12.50 between
    // the two anchors named as what one more of would close the gap.
    db.ok(&["anchor", "add", "--at", "2026-03-03T12:30:00Z", "--balance", "1491.46", "--note", "billing page"], 0);
    let (check, code) = db.check_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(
        found(&check),
        vec![("anchor_mismatch".to_string(), vec!["txn_cdc89da11b".to_string()], Some("-12.50".to_string()))]
    );
    let finding = &check["findings"][0];
    assert_eq!(finding["severity"], "error");
    let candidates = finding["candidates"].as_array().expect("candidates");
    assert_eq!(candidates.len(), 1, "{candidates:?}");
    assert_eq!(candidates[0]["reading"], "missing");
    assert_eq!(candidates[0]["transaction_ids"], serde_json::json!(["txn_c6677f6cbd"]));
    assert_eq!(candidates[0]["amount"], "-12.50");
    let message = finding["message"].as_str().unwrap();
    assert!(message.contains("The balance stated on 2026-03-03 12:30:00 UTC is 1491.46 (billing page)"), "{message}");
    assert!(message.contains("the ledger states 1503.96 after txn_cdc89da11b"), "{message}");
    // Other findings carry no candidates member.
    let db2 = Db::new();
    db2.import("fixtures/faulty.csv");
    let (faulty, _) = db2.check_json(&[]);
    assert!(faulty["findings"].as_array().unwrap().iter().all(|f| f.get("candidates").is_none()));

    let text = db.ok(&["check"], 1);
    assert!(text.contains("anchor_mismatch") && text.contains("candidate (missing): txn_c6677f6cbd  -12.50"), "{text}");
    // The report cites the anchors and the finding with its candidates.
    let report = db.ok(&["report", "--now", "2026-03-10T09:00:00Z"], 0);
    assert!(
        report.contains(
            "1509.34 stated on 2026-03-02 12:00:00 UTC; 1491.46 stated on 2026-03-03 12:30:00 UTC (billing page)"
        ),
        "{report}"
    );
    assert!(report.contains("txn_c6677f6cbd (-12.50): one more like it missing"), "{report}");
    let customer = db.ok(&["report", "--audience", "customer", "--now", "2026-03-10T09:00:00Z"], 0);
    assert!(customer.contains("checked against the balances stated along the way: 1509.34 stated on"), "{customer}");
    // Removing the anchor removes the finding.
    let id = anchors(&db, &[]).iter().find(|a| a["balance"] == "1491.46").unwrap()["id"].as_i64().unwrap();
    db.ok(&["anchor", "remove", &id.to_string()], 0);
    db.ok(&["check"], 0);
}

#[test]
fn a_feed_without_balances_gets_its_gap_placed_between_the_right_two_anchors() {
    // A usage feed without its Balance column; the 1.20 charge e06 of 5 March was lost from
    // the export. The page stated 96.30, 93.00 and 88.10 along the way, from an opening 100.
    let db = Db::new();
    let feed = db.dir().join("feed.csv");
    std::fs::write(
        &feed,
        "Entry ID,Time,Kind,Description,Credits,Reason,Refund of\n\
         e01,2026-03-01T08:00:00Z,charge,Draft,2.50,,\n\
         e02,2026-03-01T09:00:00Z,charge,Caption,1.20,,\n\
         e03,2026-03-02T10:00:00Z,charge,Draft,2.50,,\n\
         e04,2026-03-03T10:00:00Z,charge,Thumbnail,0.80,,\n\
         e05,2026-03-04T10:00:00Z,charge,Caption,1.20,,\n\
         e07,2026-03-06T10:00:00Z,charge,Draft,2.50,,\n",
    )
    .unwrap();
    db.import(feed.to_str().unwrap());
    db.ok(&["anchor", "add", "--at", "2026-03-01 00:00:00", "--balance", "100", "--opening"], 0);
    db.ok(&["anchor", "add", "--at", "2026-03-02 00:00:00", "--balance", "96.30"], 0);
    db.ok(&["anchor", "add", "--at", "2026-03-03 12:00:00", "--balance", "93.00"], 0);
    db.ok(&["anchor", "add", "--at", "2026-03-07 00:00:00", "--balance", "88.10", "--note", "page"], 0);
    let (check, code) = db.check_json(&[]);
    assert_eq!(code, 1);
    let mismatch = ("anchor_mismatch".to_string(), vec!["e07".to_string()], Some("-1.20".to_string()));
    assert_eq!(found(&check), vec![mismatch.clone()], "one finding, at the third stated anchor");
    let finding = &check["findings"][0];
    assert_eq!(
        finding["candidates"],
        serde_json::json!([{ "reading": "missing", "transaction_ids": ["e05"], "amount": "-1.20" }]),
        "e05, between the 2nd and 3rd anchors (not e02, before the 1st)"
    );
    let message = finding["message"].as_str().unwrap();
    assert!(
        message.contains(
            "the entries add up to 89.30, rebuilt from the balance of 93.00 stated on 2026-03-03 12:00:00 UTC"
        ),
        "{message}"
    );
    // The stated balance of the run is one more anchor, at the newest entry: the gap moves to
    // it, still one anchor_mismatch and never a head_mismatch.
    let (check, _) = db.check_json(&["--stated-balance", "88.10"]);
    assert_eq!(found(&check), vec![mismatch.clone()]);
    // A reset on 5 March sets the balance outright: the walk to the last anchor starts there.
    db.ok(&["anchor", "add", "--at", "2026-03-05 00:00:00", "--balance", "90.60", "--reset"], 0);
    let (check, code) = db.check_json(&[]);
    assert_eq!((found(&check), code), (vec![], 0), "90.60 - 2.50 = 88.10");
    let report = db.ok(&["report", "--now", "2026-03-10T09:00:00Z"], 0);
    assert!(report.contains("The ledger states no running balance: it was rebuilt from the balances"), "{report}");
    assert!(report.contains("90.60 reset on 2026-03-05 00:00:00 UTC"), "{report}");
    // No garbage where the entries state no balance: none at the end, the rebuilt one instead.
    assert_eq!(check["chains"][0]["ledger_balance"], Value::Null);
    assert!(report.contains("| Balance the ledger ends at | - |"), "{report}");
    assert!(report.contains("| Balance the entries add up to | 88.10 |"), "{report}");
    let customer = db.ok(&["report", "--audience", "customer", "--now", "2026-03-10T09:00:00Z"], 0);
    assert!(customer.contains("Your balance went from **100.00** to **88.10** (-11.90)"), "{customer}");
}
