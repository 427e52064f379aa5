//! The usage feed with refunds (docs/FORMATS.md section 4): the planted findings with and
//! without a `Balance` column, refunds paired by `Refund of` or by amount within 7 days, a
//! re-import that adds nothing, and a bad row refused with file:line:column.

use crate::support::{fault, faults, file, planted, Db, Fault};

const HEAD: &str = "Entry ID,Time,Kind,Description,Credits,Reason,Refund of";

/// The findings of a feed of `rows` (after the header) in a database of its own.
fn findings_of(rows: &str) -> Vec<Fault> {
    let db = Db::new();
    let path = file(&db, "feed.csv", &format!("{HEAD}\n{rows}"));
    db.import(path.to_str().unwrap());
    faults(&db.check_json(&[]).0)
}

#[test]
fn the_feed_with_balances_gives_exactly_the_planted_findings() {
    let db = Db::new();
    let out = db.import("fixtures/usage-feed.csv");
    assert!(out.contains("15 new"), "{out}");
    let (check, code) = db.check_json(&[]);
    let found = faults(&check);
    assert_eq!(found, planted("usage-feed.csv"));
    // Spelled out, so a change to planted.json alone cannot hide a regression.
    assert!(found.contains(&fault("unmatched_refund", &["use_0014"], Some("6.60"))));
    assert!(found.contains(&fault("refund_mismatch", &["use_0008", "use_0003"], Some("-7.00"))));
    assert!(found.contains(&fault("double_refund", &["use_0005", "use_0006", "use_0011"], Some("3.00"))));
    assert!(found.contains(&fault("balance_break", &["use_0009", "use_0010"], Some("-1.36"))));
    // use_0012 names no charge and pairs with use_0004 (4.40, five days before it).
    assert!(found.iter().all(|(_, ids, _)| !ids.iter().any(|id| id == "use_0012" || id == "use_0004")), "{found:?}");
    assert_eq!(code, 1, "a balance break is an error");
    assert_eq!(check["chains"][0]["ledger_balance"], "83.89");
}

#[test]
fn the_feed_without_balances_gives_the_refund_findings_and_no_balance_finding() {
    let db = Db::new();
    db.import("fixtures/usage-feed-nobalance.csv");
    let (check, code) = db.check_json(&[]);
    assert_eq!(faults(&check), planted("usage-feed-nobalance.csv"));
    assert_eq!(code, 0, "only warnings");
    // Such a chain is reconciled from anchors: from an opening balance of 100.00 the entries
    // rebuild 85.25, so a stated 85.25 agrees, and a stated 83.89 (what the feed with
    // balances ends at) misses by the lost charge of 1.36: one anchor_mismatch on the newest
    // entry, never a balance_break or head_mismatch.
    let (check, _) = db.check_json(&["--opening-balance", "100", "--stated-balance", "85.25"]);
    assert_eq!(faults(&check), planted("usage-feed-nobalance.csv"));
    let (check, _) = db.check_json(&["--opening-balance", "100", "--stated-balance", "83.89"]);
    let mut expected = planted("usage-feed-nobalance.csv");
    expected.push(fault("anchor_mismatch", &["use_0015"], Some("-1.36")));
    expected.sort();
    assert_eq!(faults(&check), expected);
}

#[test]
fn an_empty_balance_column_states_no_balance() {
    let rows = "u3,2026-03-01T10:00:00Z,charge,c,2.00,,,\n\
                u1,2026-03-01T08:00:00Z,charge,a,1.00,,,\n\
                u2,2026-03-01T09:00:00Z,refund,b,1.00,Generation failed,u1,\n";
    let db = Db::new();
    let path = file(&db, "feed.csv", &format!("{HEAD},Balance\n{rows}"));
    db.import(path.to_str().unwrap());
    assert_eq!(faults(&db.check_json(&[]).0), vec![]);
}

#[test]
fn a_refund_pairs_by_amount_within_seven_days_and_not_after() {
    let seven_days = "c1,2026-03-01T08:00:00Z,charge,a,2.50,,\n\
                      r1,2026-03-08T08:00:00Z,refund,a,2.50,Generation failed,\n";
    assert_eq!(findings_of(seven_days), vec![]);
    let eight_days = "c1,2026-03-01T08:00:00Z,charge,a,2.50,,\n\
                      r1,2026-03-09T08:00:00Z,refund,a,2.50,Generation failed,\n";
    assert_eq!(findings_of(eight_days), vec![fault("unmatched_refund", &["r1"], Some("2.50"))]);
    // The latest unrefunded charge of that amount: c2, then c1 for the second refund; a
    // third refund finds none left.
    let latest = "c1,2026-03-01T08:00:00Z,charge,a,2.50,,\n\
                  c2,2026-03-02T08:00:00Z,charge,b,2.50,,\n\
                  r1,2026-03-03T08:00:00Z,refund,a,2.50,Generation failed,\n\
                  r2,2026-03-04T08:00:00Z,refund,a,2.50,Generation failed,\n\
                  r3,2026-03-05T08:00:00Z,refund,a,2.50,Generation failed,\n";
    assert_eq!(findings_of(latest), vec![fault("unmatched_refund", &["r3"], Some("2.50"))]);
}

#[test]
fn refunds_named_by_refund_of_are_judged_against_that_charge() {
    // A refund of more than the charge, and a charge refunded three times.
    let rows = "c1,2026-03-01T08:00:00Z,charge,a,2.00,,\n\
                r1,2026-03-01T09:00:00Z,refund,a,3.00,Generation failed,c1\n\
                c2,2026-03-02T08:00:00Z,charge,b,1.00,,\n\
                r2,2026-03-02T09:00:00Z,refund,b,1.00,Generation failed,c2\n\
                r4,2026-03-20T09:00:00Z,refund,b,1.00,Duplicate charge,c2\n\
                r3,2026-03-03T09:00:00Z,refund,b,1.00,Generation failed,c2\n";
    let mut expected = vec![
        fault("refund_mismatch", &["r1", "c1"], Some("1.00")),
        fault("double_refund", &["c2", "r2", "r3", "r4"], Some("2.00")),
    ];
    expected.sort();
    assert_eq!(findings_of(rows), expected);
    // A named ID the feed does not hold: paired by amount if it can be, else unmatched.
    let unknown = "r1,2026-03-01T09:00:00Z,refund,a,3.00,Generation failed,gone_1\n";
    assert_eq!(findings_of(unknown), vec![fault("unmatched_refund", &["r1"], Some("3.00"))]);
}

#[test]
fn importing_the_feed_again_adds_nothing() {
    let db = Db::new();
    db.import("fixtures/usage-feed.csv");
    let again = db.import("fixtures/usage-feed.csv");
    assert!(again.contains("0 new, 15 already known, 0 conflicting"), "{again}");
    // A copy elsewhere is read again, and its entries are known by their Entry IDs.
    let copy = file(&db, "copy.csv", &std::fs::read_to_string("fixtures/usage-feed.csv").unwrap());
    let again = db.import(copy.to_str().unwrap());
    assert!(again.contains("0 new, 15 already known, 0 conflicting"), "{again}");
    let (check, _) = db.check_json(&[]);
    assert_eq!(check["chains"][0]["entries"], 15);
    assert_eq!(faults(&check), planted("usage-feed.csv"));
}

#[test]
fn a_header_in_another_case_and_order_is_detected() {
    let db = Db::new();
    let text = "refund of,CREDITS,kind,time,entry id,description\n\
                ,1.00,Charge,2026-03-01T08:00:00Z,c1,a\n\
                c1,1.00,REFUND,2026-03-01T09:00:00Z,r1,a\n";
    let path = file(&db, "feed.csv", text);
    let out = db.import(path.to_str().unwrap());
    assert!(out.contains("(usage-feed-csv): 2 new"), "{out}");
    assert_eq!(faults(&db.check_json(&[]).0), vec![]);
}

#[test]
fn a_bad_row_is_refused_with_file_line_and_column_and_nothing_is_stored() {
    let cases = [
        ("u2,2026-03-01T09:00:00Z,chargeback,x,1.00,,\n", ":3:25: Kind \"chargeback\"", "expected charge or refund"),
        ("u2,2026-03-01T09:00:00Z,refund,x,-1.00,,\n", ":3:34: Credits \"-1.00\"", "a positive number of credits"),
        ("u2,2026-03-01 9h,refund,x,1.00,,\n", ":3:4: Time \"2026-03-01 9h\"", "an ISO 8601 time"),
    ];
    for (row, place, fix) in cases {
        let db = Db::new();
        let path = file(&db, "bad.csv", &format!("{HEAD}\nu1,2026-03-01T08:00:00Z,charge,x,1.00,,\n{row}"));
        let out = db.run(&["import", path.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(&format!("{}{place}", path.display())), "{err}");
        assert!(err.contains(fix), "{err}");
        assert!(err.contains("nothing from this import was stored"), "{err}");
        let (check, _) = db.check_json(&[]);
        assert_eq!(check["chains"].as_array().map_or(0, Vec::len), 0, "nothing stored");
    }
}

/// A feed without balances shows none: no made-up figure in the ledger's rows (text, JSON,
/// CSV export), and the balance chart is rebuilt from the amounts.
#[test]
fn rows_without_a_balance_show_none_and_the_chart_is_rebuilt() {
    let db = Db::new();
    db.import("fixtures/usage-feed-nobalance.csv");
    let json: serde_json::Value = serde_json::from_str(&db.ok(&["ledger", "--format", "json"], 0)).unwrap();
    let rows = json["rows"].as_array().unwrap();
    assert!(!rows.is_empty() && rows.iter().all(|r| r["balance_after"].is_null()), "{json}");
    let csv = db.ok(&["ledger", "--export", "csv"], 0);
    assert!(!csv.contains("4611686018427"), "{csv}");
    let text = db.ok(&["ledger"], 0);
    assert!(!text.contains("4611686018427"), "{text}");

    let store = reckon::store::Store::open(&db.path).unwrap();
    let chain = store.chains().unwrap()[0].id;
    let series = store.balance_series(chain, 1_000_000).unwrap();
    let net: rust_decimal::Decimal =
        rows.iter().map(|r| r["amount"].as_str().unwrap().parse::<rust_decimal::Decimal>().unwrap()).sum();
    assert_eq!(series.last().unwrap().balance, net, "the last point is the entries' sum from 0");
}
