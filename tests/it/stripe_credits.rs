//! Stripe billing credits (docs/FORMATS.md section 6): the saved transactions, grants and
//! balance summary give exactly the planted faults (a debit on an expired grant, a conflicting
//! duplicate, a gap against the summary; an exact repeat stored once); `reckon sync
//! stripe-credits` from the mock finds the same through a 429 and a 500, and a second sync
//! adds nothing; a malformed answer is refused at file:line:column and stores nothing.

use std::process::Output;

use reckon_api::mock::{Apis, MockServer, Reply, StripeCredits};
use serde_json::Value;

use crate::support::{fault, faults, file, Db, Fault};

const KEY: &str = "sk_test_credits_4242";
const CUSTOMER: &str = "cus_Rk7Credits";
const TRANSACTIONS: &str = "fixtures/stripe-credit-transactions.json";
const GRANTS: &str = "fixtures/stripe-credit-grants.json";
const SUMMARY: &str = "fixtures/stripe-credit-balance-summary.json";

/// What `scripts/make_stripe_credits.py` plants: cbtxn_007 applies 4.50 from the welcome
/// grant five days after it expired; cbtxn_008 comes twice with different invoice lines; the
/// summary's 65.50 is 3.00 below the 68.50 the transactions add up to.
fn planted() -> Vec<Fault> {
    let mut list = vec![
        fault("anchor_mismatch", &["cbtxn_010"], Some("-3.00")),
        fault("conflicting_duplicate", &["cbtxn_008"], None),
        fault("expired_grant_spend", &["cbtxn_007"], Some("-4.50")),
    ];
    list.sort();
    list
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).unwrap()
}

fn rows(db: &Db) -> Vec<Value> {
    let out = db.ok(&["ledger", "--format", "json", "--limit", "100"], 0);
    let doc: Value = serde_json::from_str(&out).unwrap();
    doc["rows"].as_array().unwrap().clone()
}

fn row<'a>(rows: &'a [Value], id: &str) -> &'a Value {
    rows.iter().find(|r| r["id"] == id).unwrap_or_else(|| panic!("no {id} in {rows:#?}"))
}

#[test]
fn the_saved_answers_give_exactly_the_planted_faults() {
    let db = Db::new();
    let out = db.ok(&["import", TRANSACTIONS, GRANTS, SUMMARY], 0);
    // 12 objects on two pages: cbtxn_009 repeated identically, cbtxn_008 rewritten.
    assert!(out.contains("12 entries (stripe-credits-json): 10 new, 1 already known, 1 conflicting"), "{out}");
    assert!(out.contains("3 entries (stripe-credits-json): 3 new"), "{out}");
    let (check, code) = db.check_json(&[]);
    assert_eq!(faults(&check), planted(), "{check:#}");
    assert_eq!(code, 1, "an anchor mismatch is an error");
    let chain = &check["chains"][0];
    assert_eq!((chain["account"].as_str(), chain["currency"].as_str()), (Some(CUSTOMER), Some("usd")));
    assert_eq!(chain["entries"], 13, "10 transactions and 3 grants");
    let late = check["findings"].as_array().unwrap().iter().find(|f| f["kind"] == "expired_grant_spend").unwrap();
    assert_eq!(late["severity"], "warning");
    let message = late["message"].as_str().unwrap();
    assert!(message.contains("credgr_welcome") && message.contains("2026-03-15 00:00:00 UTC"), "{message}");

    let rows = rows(&db);
    // Minor units by the currency's exponent; credit adds, debit subtracts.
    let spend = row(&rows, "cbtxn_007");
    assert_eq!((spend["amount"].as_str(), spend["type"].as_str()), (Some("-4.50"), Some("CREDITS_APPLIED")));
    assert_eq!(
        (spend["grant"].as_str(), spend["description"].as_str()),
        (Some("credgr_welcome"), Some("Invoice in_003, line il_003"))
    );
    assert_eq!(spend["balance_after"], Value::Null, "no entry states a balance");
    assert_eq!(row(&rows, "cbtxn_001")["amount"], "100.00");
    // A grant is an entry of amount 0 carrying its terms.
    let grant = row(&rows, "credgr_welcome");
    assert_eq!(grant["amount"], "0.00");
    assert_eq!(grant["type"], "CREDIT_GRANT");
    assert_eq!(
        (grant["category"].as_str(), grant["priority"].as_str(), grant["expires_at"].as_str()),
        (Some("promotional"), Some("10"), Some("2026-03-15T00:00:00Z"))
    );
    assert_eq!(grant["description"], "Welcome credits: 20.00 usd granted");
    assert_eq!(row(&rows, "credgr_paid")["expires_at"], Value::Null);

    // The summary says no time: its balance is dated at the newest transaction.
    let anchors = db.ok(&["anchor", "list"], 0);
    assert!(anchors.contains("2026-04-10 12:00:00 UTC  stated              65.50"), "{anchors}");
}

#[test]
fn importing_again_adds_no_entry_and_no_anchor() {
    let db = Db::new();
    db.ok(&["import", TRANSACTIONS, GRANTS, SUMMARY], 0);
    let again = db.ok(&["import", TRANSACTIONS, GRANTS, SUMMARY], 0);
    assert!(again.contains("total: 0 new"), "{again}");
    assert_eq!(db.ok(&["anchor", "list"], 0).matches("stated").count(), 1);
    assert_eq!(faults(&db.check_json(&[]).0), planted());
}

#[test]
fn transactions_alone_go_to_the_account_named_and_meet_their_grants_there() {
    let db = Db::new();
    db.ok(&["import", "--account", CUSTOMER, TRANSACTIONS], 0);
    db.ok(&["import", GRANTS, SUMMARY], 0);
    let (check, _) = db.check_json(&[]);
    assert_eq!(check["chains"].as_array().unwrap().len(), 1, "{check:#}");
    assert_eq!(faults(&check), planted(), "{check:#}");
}

#[test]
fn a_debit_at_the_expiry_itself_or_on_a_grant_without_one_is_not_flagged() {
    let db = Db::new();
    // cbtxn_007 moved to the second the welcome grant expires (1773532800); the debits drawn
    // on the paid grant, which never expires, are not judged.
    let text = fixture(TRANSACTIONS).replace("1774008000", "1773532800");
    let moved = file(&db, "moved.json", &text);
    db.ok(&["import", moved.to_str().unwrap(), GRANTS], 0);
    let kinds: Vec<String> = faults(&db.check_json(&[]).0).into_iter().map(|f| f.0).collect();
    assert_eq!(kinds, ["conflicting_duplicate"]);
}

fn server(script: Vec<Reply>) -> MockServer {
    let mut credits = StripeCredits::from_json(
        fixture(TRANSACTIONS).as_bytes(),
        fixture(GRANTS).as_bytes(),
        fixture(SUMMARY).as_bytes(),
        KEY,
    )
    .unwrap();
    credits.script = script.into();
    MockServer::serve(Apis { stripe_credits: Some(credits), ..Apis::default() }, 0).unwrap()
}

fn sync(db: &Db, server: &MockServer, key: &str) -> Output {
    let url = format!("{}/stripe", server.base_url());
    let mut command =
        db.command(&["sync", "stripe-credits", "--base-url", &url, "--customer", CUSTOMER, "--page-size", "3"]);
    command.env("RECKON_API_KEY", key);
    command.output().expect("reckon runs")
}

fn text(out: &Output) -> String {
    format!("stdout: {}\nstderr: {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn sync_from_the_mock_finds_the_same_through_a_429_and_a_500_and_a_second_adds_nothing() {
    let api = server(vec![Reply::RateLimited(Some("0".into())), Reply::Status(500)]);
    let db = Db::new();
    let out = sync(&db, &api, KEY);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    // 1 page of 3 grants, 5 pages of the 12 transactions in pages of 3 (Stripe pages after
    // an ID's first copy, so the repeats come again and are known).
    assert!(stdout.contains("6 pages, 17 entries: 13 new, 3 already known, 1 conflicting"), "{}", text(&out));
    assert!(stdout.contains("stated balance of cus_Rk7Credits/usd: 65.50 at "), "{}", text(&out));
    let (check, code) = db.check_json(&[]);
    assert_eq!(faults(&check), planted(), "{check:#}");
    assert_eq!(code, 1);

    let requests = api.requests();
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    // The summary first (a 429, a 500, then its answer), then the grants, then the
    // transactions, each paged after the last ID of the page before.
    let summary = "/stripe/v1/billing/credit_balance_summary";
    assert_eq!(paths[..4], [summary, summary, summary, "/stripe/v1/billing/credit_grants"], "{paths:?}");
    let cursors: Vec<Option<&str>> = requests[4..]
        .iter()
        .filter(|r| r.path.ends_with("credit_balance_transactions"))
        .map(|r| r.param("starting_after"))
        .collect();
    assert_eq!(
        cursors,
        [None, Some("cbtxn_009"), Some("cbtxn_008"), Some("cbtxn_006"), Some("cbtxn_003")],
        "{paths:?}"
    );
    assert!(requests.iter().all(|r| r.param("customer") == Some(CUSTOMER)));
    let bearer = format!("Bearer {KEY}");
    assert!(requests.iter().all(|r| r.authorization.as_deref() == Some(bearer.as_str())));

    let again = sync(&db, &api, KEY);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(stdout.contains(": 0 new,"), "{}", text(&again));
    assert!(stdout.contains("none added"), "{}", text(&again));
    assert_eq!(db.check_json(&[]).0, check, "a second sync changes nothing");
    assert_eq!(db.ok(&["anchor", "list"], 0).matches("stated").count(), 1);
}

#[test]
fn a_rejected_key_stops_the_sync_and_stores_nothing() {
    let api = server(Vec::new());
    let db = Db::new();
    let out = sync(&db, &api, "sk_not_the_key");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("(HTTP 401)") && stderr.contains("reckon key set stripe"), "{stderr}");
    if db.path.exists() {
        assert_eq!(db.check_json(&[]).0["chains"], serde_json::json!([]), "nothing stored");
    }
}

#[test]
fn a_malformed_saved_answer_is_refused_at_its_place_and_stores_nothing() {
    let db = Db::new();
    db.ok(&["import", TRANSACTIONS, GRANTS, SUMMARY], 0);
    let (before, _) = db.check_json(&[]);
    let anchors = db.ok(&["anchor", "list"], 0);
    let good = fixture(TRANSACTIONS);
    let refused = |name: &str, text: &str, expected: &str| {
        let path = file(&db, name, text);
        let out = db.run(&["import", path.to_str().unwrap(), GRANTS]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{name}: {stderr}");
    };
    // An amount written as a decimal string, at its line and column.
    let bad = good.replacen("\"value\": 450", "\"value\": \"4.50\"", 1);
    let (line, column) = place(&bad, "\"4.50\"");
    refused(
        "string.json",
        &bad,
        &format!("string.json:{line}:{column}: value \"4.50\" cannot be read: expected a positive integer"),
    );
    // A negative amount: Stripe writes credit and debit amounts positive.
    let bad = good.replacen("\"value\": 450", "\"value\": -450", 1);
    let (line, column) = place(&bad, "-450");
    refused("negative.json", &bad, &format!("negative.json:{line}:{column}: value \"-450\" cannot be read"));
    // Neither credit nor debit.
    let bad = good.replacen("\"type\": \"debit\"", "\"type\": \"refund\"", 1);
    let (line, column) = place(&bad, "\"refund\"");
    refused(
        "type.json",
        &bad,
        &format!("type.json:{line}:{column}: type \"refund\" cannot be read: expected credit or debit"),
    );
    // Credits in a unit Reckon does not read.
    let bad = good.replacen("\"type\": \"monetary\"", "\"type\": \"custom_pricing_unit\"", 1);
    let (line, column) = place(&bad, "\"custom_pricing_unit\"");
    refused("unit.json", &bad, &format!("unit.json:{line}:{column}: amount \"custom_pricing_unit\" cannot be read"));
    // A summary cut off: the parser's place.
    let summary = fixture(SUMMARY);
    let cut = file(&db, "cut.json", &summary[..summary.len() / 2]);
    let out = db.run(&["import", cut.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let cut_text = &summary[..summary.len() / 2];
    let (lines, last) = (cut_text.lines().count(), cut_text.lines().last().unwrap().chars().count());
    assert!(stderr.contains(&format!("cut.json:{lines}:{last}: not a credit balance summary")), "{stderr}");
    // A customer balance transaction among billing credits: another Stripe list.
    let bad = good.replacen("\"billing.credit_balance_transaction\"", "\"customer_balance_transaction\"", 1);
    let (line, column) = place(&bad, "\"customer_balance_transaction\"");
    refused(
        "other.json",
        &bad,
        &format!("other.json:{line}:{column}: object \"customer_balance_transaction\" cannot be read"),
    );
    // A debit without its debit.
    let bad = good.replacen(
        "\"credit\": null,\n        \"credit_grant\": \"credgr_paid\",\n        \"debit\": {",
        "\"credit\": null,\n        \"credit_grant\": \"credgr_paid\",\n        \"debit\": null, \"x\": {",
        1,
    );
    assert_ne!(bad, good);
    refused(
        "nodebit.json",
        &bad,
        "nodebit.json:5:7: debit \"\" cannot be read: expected every entry to have \"debit\"",
    );
    // A grant that names no customer.
    let grants = fixture(GRANTS).replacen("\"customer\": \"cus_Rk7Credits\",", "", 1);
    let path = file(&db, "grants.json", &grants);
    let out = db.run(&["import", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("grants.json:4:5: customer \"\" cannot be read"), "{stderr}");
    // UTF-16 with a byte-order mark reads as the UTF-8 file does: nothing new.
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(good.encode_utf16().flat_map(u16::to_le_bytes));
    let wide = db.dir().join("wide.json");
    std::fs::write(&wide, utf16).unwrap();
    let out = db.ok(&["import", "--account", CUSTOMER, wide.to_str().unwrap()], 0);
    assert!(out.contains("12 entries (stripe-credits-json): 0 new, 11 already known, 1 conflicting"), "{out}");
    // A good file and a bad one together: neither is stored.
    let more = file(&db, "more.json", &good.replace("cbtxn_0", "cbtxn_1"));
    let bad = file(&db, "bad.json", &good.replacen("\"value\": 450", "\"value\": 4.5", 1));
    let out = db.run(&["import", more.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(db.check_json(&[]).0, before, "the database is as it was");
    assert_eq!(db.ok(&["anchor", "list"], 0), anchors);
}

/// 1-based line and character column of the first `needle` in `text`.
fn place(text: &str, needle: &str) -> (usize, usize) {
    let at = text.find(needle).unwrap();
    let line = text[..at].matches('\n').count() + 1;
    let start = text[..at].rfind('\n').map_or(0, |n| n + 1);
    (line, text[start..at].chars().count() + 1)
}

/// The README's demo: `reckon mock-server --stripe-credits ... --fail-every 4` serves a sync
/// that finds the planted faults through the planted 429s and 500s.
#[test]
fn the_mock_server_command_serves_the_stripe_credits_demo() {
    use std::io::BufRead;
    let args = [
        "mock-server",
        "--port",
        "0",
        "--stripe-credits",
        TRANSACTIONS,
        "--stripe-credit-grants",
        GRANTS,
        "--stripe-credit-summary",
        SUMMARY,
        "--fail-every",
        "4",
    ];
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_reckon"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("reckon mock-server runs");
    // Kept open while the server runs: a closed pipe ends it.
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    lines.read_line(&mut first).unwrap();
    let url = first.trim().strip_prefix("Stripe billing credits: --base-url ").expect("the URL").to_string();
    let db = Db::new();
    let out = db
        .command(&["sync", "stripe-credits", "--base-url", &url, "--customer", CUSTOMER, "--page-size", "3"])
        .env("RECKON_API_KEY", "any_key_at_all")
        .output()
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("17 entries: 13 new"), "{}", text(&out));
    assert_eq!(faults(&db.check_json(&[]).0), planted());
}
