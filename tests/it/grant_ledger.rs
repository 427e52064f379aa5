//! The grant / spend / pending grant ledger (docs/FORMATS.md section 5): the planted findings,
//! a clean settlement, the 30-day boundary of `pending_unsettled`, a break hidden next to a
//! pending grant, a re-import that adds nothing, detection by header, and a malformed
//! `Balance change` refused with file:line:column.

use crate::support::{fault, faults, file, planted, Db, Fault};

const HEAD: &str = "Entry ID,Time,Currency,Event,Kind,Amount,Balance change,Settles";

/// The findings of a ledger of `rows` (after the header) in a database of its own.
fn findings_of(rows: &str) -> Vec<Fault> {
    let db = Db::new();
    let path = file(&db, "grants.csv", &format!("{HEAD}\n{rows}"));
    let out = db.import(path.to_str().unwrap());
    assert!(out.contains("(grant-ledger-csv)"), "{out}");
    faults(&db.check_json(&[]).0)
}

#[test]
fn the_fixture_gives_exactly_the_planted_findings() {
    let db = Db::new();
    let out = db.import("fixtures/grant-ledger.csv");
    assert!(out.contains("12 new"), "{out}");
    let (check, code) = db.check_json(&[]);
    let found = faults(&check);
    assert_eq!(found, planted("grant-ledger.csv"));
    // Spelled out, so a change to planted.json alone cannot hide a regression.
    assert!(found.contains(&fault("pending_overspend", &["gl_004"], Some("120.00"))), "{found:?}");
    assert!(found.contains(&fault("settled_amount_mismatch", &["gl_006", "gl_007"], Some("-50.00"))), "{found:?}");
    assert!(found.contains(&fault("pending_unsettled", &["gl_008"], Some("200.00"))), "{found:?}");
    assert_eq!(found.len(), 3, "{found:?}");
    assert_eq!(code, 1, "a pending overspend is an error");
    // One chain per currency; pending grants add nothing available.
    let chains = check["chains"].as_array().unwrap();
    assert_eq!(chains.len(), 2, "{check}");
    let balance = |currency: &str| {
        chains.iter().find(|c| c["currency"] == currency).map(|c| c["ledger_balance"].clone()).unwrap()
    };
    assert_eq!(balance("credits"), "500.00");
    assert_eq!(balance("USD"), "30.00");
}

#[test]
fn a_pending_grant_settled_for_its_amount_gives_nothing() {
    let rows = "g1,2026-01-01T09:00:00Z,credits,Purchase,grant,+100,0 -> 100,\n\
                p1,2026-01-02T09:00:00Z,credits,Top-up,pending_grant,+50,,\n\
                s1,2026-01-03T09:00:00Z,credits,Usage,spend,-80,100 -> 20,\n\
                g2,2026-01-04T09:00:00Z,credits,Top-up paid,grant,+50,20 -> 70,p1\n\
                s2,2026-03-30T09:00:00Z,credits,Usage,spend,-70,70 -> 0,\n";
    assert_eq!(findings_of(rows), vec![]);
    // The same settlement for 40 instead of 50.
    let short = rows.replace("grant,+50,20 -> 70,p1", "grant,+40,20 -> 60,p1").replace("-70,70 -> 0", "-60,60 -> 0");
    assert_eq!(findings_of(&short), vec![fault("settled_amount_mismatch", &["p1", "g2"], Some("-10.00"))]);
}

#[test]
fn a_pending_grant_is_unsettled_from_30_days_before_the_newest_entry() {
    let rows = |newest: &str| {
        format!(
            "g1,2026-01-01T00:00:00Z,credits,Purchase,grant,+100,0 -> 100,\n\
             p1,2026-01-01T00:00:00Z,credits,Top-up,pending_grant,\"+1,000.50\",,\n\
             s1,{newest},credits,Usage,spend,-1,100 -> 99,\n"
        )
    };
    assert_eq!(findings_of(&rows("2026-01-30T23:59:59Z")), vec![]);
    assert_eq!(findings_of(&rows("2026-01-31T00:00:00Z")), vec![fault("pending_unsettled", &["p1"], Some("1000.50"))]);
}

#[test]
fn a_spend_the_pending_balance_alone_could_not_cover_is_not_an_overspend() {
    let rows = |spend: &str, change: &str| {
        format!(
            "g1,2026-01-01T09:00:00Z,credits,Purchase,grant,+100,0 -> 100,\n\
             p1,2026-01-02T09:00:00Z,credits,Top-up,pending_grant,+50,,\n\
             s1,2026-01-03T09:00:00Z,credits,Usage,spend,{spend},{change},\n\
             g2,2026-01-04T09:00:00Z,credits,Top-up paid,grant,+50,{},p1\n",
            change
                .split(" -> ")
                .nth(1)
                .map(|after| format!("{after} -> {}", after.parse::<i64>().unwrap() + 50))
                .unwrap()
        )
    };
    assert_eq!(findings_of(&rows("-150", "100 -> -50")), vec![fault("pending_overspend", &["s1"], Some("50.00"))]);
    assert_eq!(findings_of(&rows("-100", "100 -> 0")), vec![]);
    // More than available and pending together: no pending_overspend (the vendor let the
    // balance go below what it could ever cover, which is not about pending credits).
    assert_eq!(findings_of(&rows("-151", "100 -> -51")), vec![]);
}

#[test]
fn a_break_next_to_a_pending_grant_is_still_found() {
    // s1 left 80, but g2 (after the pending grant) starts from 70: 10 is unexplained.
    let rows = "g1,2026-01-01T09:00:00Z,credits,Purchase,grant,+100,0 -> 100,\n\
                s1,2026-01-02T09:00:00Z,credits,Usage,spend,-20,100 -> 80,\n\
                p1,2026-01-03T09:00:00Z,credits,Top-up,pending_grant,+50,,\n\
                g2,2026-01-04T09:00:00Z,credits,Top-up paid,grant,+50,70 -> 120,p1\n";
    assert_eq!(findings_of(rows), vec![fault("balance_break", &["s1", "g2"], Some("-10.00"))]);
}

#[test]
fn importing_the_ledger_again_adds_nothing() {
    let db = Db::new();
    db.import("fixtures/grant-ledger.csv");
    let again = db.import("fixtures/grant-ledger.csv");
    assert!(again.contains(": 0 new,"), "{again}");
    // A copy elsewhere is read again, and its entries are known by their Entry IDs.
    let copy = file(&db, "copy.csv", &std::fs::read_to_string("fixtures/grant-ledger.csv").unwrap());
    let again = db.import(copy.to_str().unwrap());
    assert!(again.contains(": 0 new,") && again.contains("already known, 0 conflicting"), "{again}");
    let (check, _) = db.check_json(&[]);
    let entries: u64 = check["chains"].as_array().unwrap().iter().map(|c| c["entries"].as_u64().unwrap()).sum();
    assert_eq!(entries, 12);
    assert_eq!(faults(&check), planted("grant-ledger.csv"));
}

#[test]
fn a_header_in_another_case_and_order_is_detected() {
    let db = Db::new();
    let text = "settles,AMOUNT,kind,balance change,time,entry id,currency,event\n\
                ,+10,Grant,0 -> 10,2026-03-01T08:00:00Z,g1,credits,a\n\
                ,-4,SPEND,10 -> 6,2026-03-01T09:00:00Z,s1,credits,b\n";
    let path = file(&db, "grants.csv", text);
    let out = db.import(path.to_str().unwrap());
    assert!(out.contains("(grant-ledger-csv): 2 new"), "{out}");
    assert_eq!(faults(&db.check_json(&[]).0), vec![]);
}

#[test]
fn a_malformed_balance_change_is_refused_with_file_line_and_column_and_nothing_is_stored() {
    let cases = [
        ("s1,2026-01-02T09:00:00Z,credits,x,spend,-20,100 to 80,", "100 to 80", "written 1,000 -> 880"),
        (
            "s1,2026-01-02T09:00:00Z,credits,x,spend,-20,100 -> eighty,",
            "100 -> eighty",
            "the balance after as a number",
        ),
        ("s1,2026-01-02T09:00:00Z,credits,x,spend,-20,100 -> 90,", "100 -> 90", "differ by the Amount -20.00"),
        ("s1,2026-01-02T09:00:00Z,credits,x,spend,-20,,", "", "the available balance before and after"),
        (
            "p1,2026-01-02T09:00:00Z,credits,x,pending_grant,+20,100 -> 120,",
            "100 -> 120",
            "a pending grant changes nothing available",
        ),
    ];
    for (row, value, fix) in cases {
        let db = Db::new();
        let path =
            file(&db, "bad.csv", &format!("{HEAD}\ng1,2026-01-01T09:00:00Z,credits,x,grant,+100,0 -> 100,\n{row}\n"));
        let out = db.run(&["import", path.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        let column = row.match_indices(',').nth(5).unwrap().0 + 2;
        let place = format!("{}:3:{column}: Balance change \"{value}\"", path.display());
        assert!(err.contains(&place), "{place} not in {err}");
        assert!(err.contains(fix), "{err}");
        assert!(err.contains("nothing from this import was stored"), "{err}");
        let (check, _) = db.check_json(&[]);
        assert_eq!(check["chains"].as_array().map_or(0, Vec::len), 0, "nothing stored");
    }
}

/// The ledger names no account: `--account` files its currencies' chains under the one asked,
/// so a grant ledger in `credits` sits beside a Reverie ledger in `default/credits` (it used to
/// go to `default` whatever was asked, and be refused there as "holds reverie entries"); a
/// second import adds nothing; and `doctor --repair` rebuilds such a chain from its file.
#[test]
fn the_ledger_goes_into_the_account_asked_and_is_repaired_from_its_file() {
    let db = Db::new();
    db.import("fixtures/clean.csv");
    let copy = db.dir().join("grants.csv");
    std::fs::copy(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/grant-ledger.csv"), &copy).unwrap();
    let copy = copy.to_str().unwrap();
    let out = db.ok(&["import", "--account", "acme", copy], 0);
    assert!(out.contains(": 12 entries (grant-ledger-csv): 12 new"), "{out}");
    let again = db.ok(&["import", "--account", "acme", copy], 0);
    assert!(again.contains(" 0 new, ") && again.contains(" already known, 0 conflicting"), "{again}");
    let chains = db.ok(&["chains"], 0);
    assert!(chains.contains("acme/credits: 10 entries") && chains.contains("acme/USD: 2 entries"), "{chains}");
    assert!(chains.contains("default/credits: 97 entries"), "{chains}");
    let (before, _) = db.check_json(&["--include-explained"]);
    let acme: Vec<Fault> = faults(&before).into_iter().filter(|f| f.1.iter().all(|id| id.starts_with("gl_"))).collect();
    let mut expected = planted("grant-ledger.csv");
    expected.sort();
    assert_eq!(acme, expected);

    let conn = rusqlite::Connection::open(&db.path).unwrap();
    conn.pragma_update(None, "foreign_keys", false).unwrap();
    conn.execute_batch(
        "DELETE FROM entry_block WHERE chain_id = (SELECT id FROM chain WHERE account = 'acme' AND currency = 'credits');",
    )
    .unwrap();
    drop(conn);
    let report = db.ok(&["doctor"], 1);
    assert!(report.contains("acme/credits: DAMAGED"), "{report}");
    let report = db.ok(&["doctor", "--repair"], 0);
    assert!(report.contains("repaired (0 entries kept, 10 read again"), "{report}");
    assert_eq!(db.check_json(&["--include-explained"]).0, before);
}
