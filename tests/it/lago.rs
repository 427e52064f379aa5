//! Lago wallet transactions (docs/FORMATS.md section 6): the saved answer and wallet give exactly
//! the planted faults (a failed top-up that never counts, a gap against the wallet's balance, a
//! conflicting duplicate); `reckon sync lago` from the mock finds the same through a 429 and a
//! 503, and a second sync adds nothing; a malformed answer is refused at file:line:column and
//! leaves the database as it was.

use std::process::Output;

use reckon_api::mock::{Apis, Lago, MockServer, Reply};
use serde_json::Value;

use crate::support::{fault, faults, file, Db, Fault};

const KEY: &str = "lago_test_key_4242";
const WALLET: &str = "wal_acme_01";
const TRANSACTIONS: &str = "fixtures/lago-wallet-transactions.json";
const WALLET_FILE: &str = "fixtures/lago-wallet.json";

/// What the fixtures plant: the wallet states 95.25 where the settled transactions add up to
/// 99.50 (the failed top-up of 200 and the pending 40 not counted), and lt_05 comes twice with
/// different metadata.
fn planted() -> Vec<Fault> {
    let mut list =
        vec![fault("anchor_mismatch", &["lt_07"], Some("-4.25")), fault("conflicting_duplicate", &["lt_05"], None)];
    list.sort();
    list
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).unwrap()
}

/// The ledger's rows as `reckon ledger --format json` gives them, by transaction ID.
fn rows(db: &Db) -> Vec<Value> {
    let out = db.ok(&["ledger", "--format", "json", "--limit", "100"], 0);
    let doc: Value = serde_json::from_str(&out).unwrap();
    doc["rows"].as_array().unwrap().clone()
}

fn row<'a>(rows: &'a [Value], id: &str) -> &'a Value {
    rows.iter().find(|r| r["id"] == id).unwrap_or_else(|| panic!("no {id} in {rows:#?}"))
}

#[test]
fn the_saved_answer_and_wallet_give_exactly_the_planted_faults() {
    let db = Db::new();
    let out = db.ok(&["import", TRANSACTIONS, WALLET_FILE], 0);
    // 9 transactions on two pages: lt_04 repeated identically across them, lt_05 rewritten.
    assert!(out.contains("9 entries (lago-json): 7 new, 1 already known, 1 conflicting"), "{out}");
    assert!(
        out.contains("stated balance of wal_acme_01/credits: 95.25 at 2026-03-07 15:00:00 UTC, kept as an anchor"),
        "{out}"
    );
    let (check, code) = db.check_json(&[]);
    assert_eq!(faults(&check), planted(), "{check:#}");
    assert_eq!(code, 1, "an anchor mismatch is an error");
    let chain = &check["chains"][0];
    assert_eq!((chain["account"].as_str(), chain["currency"].as_str()), (Some(WALLET), Some("credits")));
    assert_eq!(chain["entries"], 7);
    let mismatch = check["findings"].as_array().unwrap().iter().find(|f| f["kind"] == "anchor_mismatch").unwrap();
    let message = mismatch["message"].as_str().unwrap();
    assert!(message.contains("is 95.25") && message.contains("add up to 99.50"), "{message}");

    let rows = rows(&db);
    // The failed top-up is in the ledger, labelled, and counts nothing.
    let failed = row(&rows, "lt_04");
    assert_eq!((failed["amount"].as_str(), failed["status"].as_str()), (Some("0.00"), Some("failed")));
    assert!(failed["description"].as_str().unwrap().starts_with("failed: 200.00 credits never counted"), "{failed}");
    // The pending top-up is kept apart: amount 0, no balance, its credits in `pending`.
    let pending = row(&rows, "lt_06:pending");
    assert_eq!(pending["amount"], "0.00");
    assert_eq!(pending["balance_after"], Value::Null);
    assert_eq!((pending["pending"].as_str(), pending["status"].as_str()), (Some("40.00"), Some("pending")));
    // Credits, not money: lt_02 bought 50 credits for 25.00 at the wallet's rate of 0.5.
    let bought = row(&rows, "lt_02");
    assert_eq!(bought["amount"], "50.00");
    assert_eq!(bought["created_at"], "2026-03-02T10:05:00Z", "dated when it settled");
    assert_eq!(bought["description"], "order: PO-2231", "metadata kept");
    assert_eq!(row(&rows, "lt_03")["amount"], "-30.00", "outbound subtracts");

    // The wallet states no updated_at: its balance is dated at the newest transaction.
    let anchors = db.ok(&["anchor", "list"], 0);
    assert!(anchors.contains("2026-03-07 15:00:00 UTC  stated              95.25"), "{anchors}");
}

#[test]
fn importing_both_files_again_adds_no_entry_and_no_anchor() {
    let db = Db::new();
    db.ok(&["import", TRANSACTIONS, WALLET_FILE], 0);
    let again = db.ok(&["import", TRANSACTIONS, WALLET_FILE], 0);
    assert!(again.contains("total: 0 new"), "{again}");
    assert!(again.contains("95.25 at 2026-03-07 15:00:00 UTC, an anchor already"), "{again}");
    let anchors = db.ok(&["anchor", "list"], 0);
    assert_eq!(anchors.matches("stated").count(), 1, "{anchors}");
    assert_eq!(faults(&db.check_json(&[]).0), planted());
}

#[test]
fn a_wallet_with_its_updated_at_is_dated_by_it_and_one_without_needs_transactions() {
    let db = Db::new();
    let text = String::from_utf8(fixture(WALLET_FILE)).unwrap();
    let alone = file(&db, "wallet.json", &text);
    let out = db.run(&["import", alone.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("wallet.json:1:1:") && stderr.contains("no entry to date it by"), "{stderr}");

    // Dated by its updated_at, before lt_07: the gap shows at lt_05, the newest before it.
    let dated =
        text.replacen("\"credits_balance\"", "\"updated_at\": \"2026-03-06T00:00:00Z\",\n    \"credits_balance\"", 1);
    let dated = dated.replace("\"95.25\"", "\"103.25\"");
    let path = file(&db, "wallet-dated.json", &dated);
    db.ok(&["import", TRANSACTIONS, path.to_str().unwrap()], 0);
    let (check, _) = db.check_json(&[]);
    // At 03-06 the settled transactions add up to 107.50 (lt_07 comes after).
    let mut expected =
        vec![fault("anchor_mismatch", &["lt_05"], Some("-4.25")), fault("conflicting_duplicate", &["lt_05"], None)];
    expected.sort();
    assert_eq!(faults(&check), expected, "{check:#}");
}

fn server(script: Vec<Reply>) -> MockServer {
    let mut lago = Lago::from_json(&fixture(TRANSACTIONS), &[&fixture(WALLET_FILE)], KEY).unwrap();
    lago.script = script.into();
    MockServer::serve(Apis { lago: Some(lago), ..Apis::default() }, 0).unwrap()
}

fn sync(db: &Db, server: &MockServer, key: &str) -> Output {
    sync_pages_of(db, server, key, 3)
}

fn sync_pages_of(db: &Db, server: &MockServer, key: &str, size: usize) -> Output {
    let url = server.lago_url();
    let size = size.to_string();
    let mut command = db.command(&["sync", "lago", "--base-url", &url, "--wallet", WALLET, "--page-size", &size]);
    command.env("RECKON_API_KEY", key);
    command.output().expect("reckon runs")
}

fn text(out: &Output) -> String {
    format!("stdout: {}\nstderr: {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn sync_from_the_mock_finds_the_same_through_a_429_and_a_503_and_a_second_adds_nothing() {
    let api = server(vec![Reply::RateLimited(Some("0".into())), Reply::Status(503)]);
    let db = Db::new();
    let out = sync(&db, &api, KEY);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("3 pages, 9 entries: 7 new, 1 already known, 1 conflicting"), "{}", text(&out));
    assert!(stdout.contains("stated balance of wal_acme_01/credits: 95.25 at "), "{}", text(&out));
    assert!(stdout.contains("kept as an anchor"), "{}", text(&out));
    let (check, code) = db.check_json(&[]);
    assert_eq!(faults(&check), planted(), "{check:#}");
    assert_eq!(code, 1);

    let requests = api.requests();
    let wallet_path = format!("/lago/api/v1/wallets/{WALLET}");
    // The wallet is read first: a 429, a 503, then its answer; then three pages by number.
    let paths: Vec<String> = requests.iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths[..3], [wallet_path.clone(), wallet_path.clone(), wallet_path.clone()], "{paths:?}");
    let pages: Vec<(Option<&str>, Option<&str>)> =
        requests[3..].iter().map(|r| (r.param("page"), r.param("per_page"))).collect();
    assert_eq!(pages, [(Some("1"), Some("3")), (Some("2"), Some("3")), (Some("3"), Some("3"))]);
    let bearer = format!("Bearer {KEY}");
    assert!(requests.iter().all(|r| r.authorization.as_deref() == Some(bearer.as_str())));

    let again = sync(&db, &api, KEY);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(stdout.contains(": 0 new,"), "{}", text(&again));
    assert!(stdout.contains("none added"), "{}", text(&again));
    let (after, _) = db.check_json(&[]);
    assert_eq!(after, check, "a second sync changes nothing");
    let anchors = db.ok(&["anchor", "list"], 0);
    assert_eq!(anchors.matches("stated").count(), 1, "{anchors}");
    let chains = db.ok(&["chains"], 0);
    assert!(chains.contains("from lago at "), "{chains}");
}

#[test]
fn a_settled_transaction_later_is_fetched_although_newer_ones_are_known() {
    // First sync while lt_06 is pending; then Lago settles it (same lago_id, same place in
    // the newest-first list, behind lt_07 which is known): the next sync must reach it.
    let api = server(Vec::new());
    let db = Db::new();
    let out = sync(&db, &api, KEY);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // Settled between the two syncs, so after the first reading of the balance and before
    // the second (each sync reads it at its own clock).
    let settled = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    api.update_apis(|apis| {
        let (wallet, entries) = &mut apis.lago.as_mut().unwrap().wallets[0];
        let lt06 = entries.iter_mut().find(|e| e["lago_id"] == "lt_06").unwrap();
        lt06["status"] = "settled".into();
        lt06["settled_at"] = settled.clone().into();
        wallet["credits_balance"] = "135.25".into();
    });
    // Pages of one: the first page (lt_07) is known ground, lt_06 is on the second.
    let again = sync_pages_of(&db, &api, KEY, 1);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(String::from_utf8_lossy(&again.stdout).contains(": 1 new,"), "{}", text(&again));
    let rows = rows(&db);
    assert_eq!(row(&rows, "lt_06")["amount"], "40.00");
    assert_eq!(row(&rows, "lt_06")["settles"], "lt_06:pending");
    // The second reading is the first plus lt_06's 40 credits: only the first anchor misses.
    let (check, _) = db.check_json(&[]);
    assert_eq!(faults(&check), planted(), "{check:#}");
    let anchors = db.ok(&["anchor", "list"], 0);
    assert_eq!(anchors.matches("stated").count(), 2, "{anchors}");
}

#[test]
fn a_rejected_key_stops_the_sync_and_stores_nothing() {
    let api = server(Vec::new());
    let db = Db::new();
    let out = sync(&db, &api, "not_the_key_0000");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Lago API: the API key was rejected (HTTP 401)"), "{stderr}");
    assert!(stderr.contains("reckon key set lago"), "{stderr}");
}

#[test]
fn a_malformed_saved_answer_is_refused_at_its_place_and_stores_nothing() {
    let db = Db::new();
    db.ok(&["import", TRANSACTIONS, WALLET_FILE], 0);
    let (before, _) = db.check_json(&[]);
    let good = String::from_utf8(fixture(TRANSACTIONS)).unwrap();
    // A credit amount that is not a number, on a transaction past the first page's start.
    let bad = good.replacen("\"credit_amount\": \"30.00\"", "\"credit_amount\": \"30,0O\"", 1);
    let (line, column) = place(&bad, "\"30,0O\"");
    let path = file(&db, "bad.json", &bad);
    let out = db.run(&["import", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("bad.json:{line}:{column}: credit_amount \"30,0O\" cannot be read")), "{stderr}");
    assert!(stderr.contains("nothing from this import was stored"), "{stderr}");
    // Broken JSON: the parser's place.
    let cut = &good[..good.len() / 2];
    let path = file(&db, "cut.json", cut);
    let out = db.run(&["import", "--format", "lago-json", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cut.json:") && stderr.contains("not a ledger JSON document"), "{stderr}");
    // An outbound transaction whose status Lago does not have.
    let odd = good.replacen("\"status\": \"settled\"", "\"status\": \"refunded\"", 1);
    let (line, column) = place(&odd, "\"refunded\"");
    let path = file(&db, "odd.json", &odd);
    let out = db.run(&["import", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "odd.json:{line}:{column}: status \"refunded\" cannot be read: expected pending, settled or failed"
        )),
        "{stderr}"
    );
    // A good file and a bad one together: neither is stored.
    let good_copy = file(&db, "more.json", &good.replace("lt_0", "lt_1"));
    let bad = file(&db, "bad.json", &bad);
    let out = db.run(&["import", good_copy.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(db.check_json(&[]).0, before, "the database is as it was");
}

/// 1-based line and character column of the first `needle` in `text`.
fn place(text: &str, needle: &str) -> (usize, usize) {
    let at = text.find(needle).unwrap();
    let line = text[..at].matches('\n').count() + 1;
    let start = text[..at].rfind('\n').map_or(0, |n| n + 1);
    (line, text[start..at].chars().count() + 1)
}

#[test]
fn every_wallet_cannot_be_asked_for_and_nothing_is_fetched() {
    let api = server(Vec::new());
    let db = Db::new();
    let url = api.lago_url();
    let mut command = db.command(&["sync", "lago", "--base-url", &url, "--all-customers"]);
    let out = command.env("RECKON_API_KEY", KEY).output().expect("reckon runs");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("name the wallet (its ID, --wallet ID)"), "{}", text(&out));
    assert!(api.requests().is_empty());
}

/// The README's demo: `reckon mock-server --lago ... --lago-wallet ... --fail-every 3` serves a
/// sync that finds the planted faults through the planted 429s and 500s.
#[test]
fn the_mock_server_command_serves_the_lago_demo() {
    use std::io::BufRead;
    let args =
        ["mock-server", "--port", "0", "--lago", TRANSACTIONS, "--lago-wallet", WALLET_FILE, "--fail-every", "3"];
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
    let url = first.trim().strip_prefix("Lago: --base-url ").expect("the first line names the URL").to_string();
    let db = Db::new();
    let out = db
        .command(&["sync", "lago", "--base-url", &url, "--wallet", WALLET, "--page-size", "3"])
        .env("RECKON_API_KEY", "any_key_at_all")
        .output()
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("9 entries: 7 new"), "{}", text(&out));
    assert_eq!(faults(&db.check_json(&[]).0), planted());
}
