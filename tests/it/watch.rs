//! Keeping watch: each check kept in the ledger's history (`reckon history`: new, resolved,
//! explained), the runway, and a low-balance threshold compared at each sync (the real binary
//! against the mock Reverie API) and check; a check that keeps history still never creates,
//! migrates or repairs a file, and checks a database it cannot write.

use std::os::unix::fs::MetadataExt;

use reckon_api::mock::{MockServer, Reverie};
use rusqlite::Connection;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::support::Db;

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn err_text(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn history(db: &Db) -> Value {
    serde_json::from_str(&db.ok(&["history", "default", "--format", "json"], 0)).expect("history prints JSON")
}

fn ids(changes: &Value) -> Vec<String> {
    changes.as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect()
}

#[test]
fn history_keeps_what_each_check_found_new_resolved_and_explained() {
    let db = Db::new();
    db.import("fixtures/clean.json");
    let (first, _) = db.check_json(&[]);
    let seen_first = first["findings"].as_array().unwrap().len();

    // A stated balance 5.00 above the ledger's end (saved, so the check is as configured): a
    // head_mismatch appears.
    let (second, _) = db.check_json(&["--stated-balance", "1600.01", "--save-balance"]);
    let head: Vec<&Value> =
        second["findings"].as_array().unwrap().iter().filter(|f| f["kind"] == "head_mismatch").collect();
    assert_eq!(head.len(), 1, "{second:#}");
    let head_id = head[0]["id"].as_str().unwrap().to_string();

    // Explained, then resolved by stating the balance the ledger ends at.
    db.ok(&["explain", &head_id, "--note", "the page rounds"], 0);
    db.check_json(&[]);
    db.check_json(&["--stated-balance", "1595.01", "--save-balance"]);
    // Two checks that change nothing fold into one row.
    db.check_json(&[]);
    db.check_json(&[]);
    // A check with a balance for this run only is not kept.
    db.check_json(&["--stated-balance", "1.00"]);

    let h = history(&db);
    let runs = h["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 5, "{h:#}");
    // Newest first.
    let (unchanged, resolved, explained, new, base) = (&runs[0], &runs[1], &runs[2], &runs[3], &runs[4]);
    assert_eq!(base["first"], true);
    assert_eq!(base["new"].as_array().unwrap().len(), seen_first, "a first check finds everything new");
    assert_eq!(ids(&new["new"]), [head_id.as_str()]);
    assert_eq!(new["new"][0]["kind"], "head_mismatch");
    assert_eq!(new["new"][0]["delta"], "5.00");
    assert_eq!((new["resolved"].as_array().unwrap().len(), new["first"].clone()), (0, json!(false)));
    assert_eq!(ids(&explained["explained"]), [head_id.as_str()]);
    assert!(ids(&explained["new"]).is_empty() && ids(&explained["resolved"]).is_empty(), "{explained:#}");
    assert_eq!(explained["explained_total"], 1);
    assert_eq!(ids(&resolved["resolved"]), [head_id.as_str()]);
    assert_eq!(resolved["resolved"][0]["delta"], "5.00", "a resolved finding keeps what it said");
    assert_eq!(unchanged["checks"], 2, "{unchanged:#}");
    assert!(ids(&unchanged["new"]).is_empty() && ids(&unchanged["resolved"]).is_empty());
    assert!(unchanged["last_at"].as_str().unwrap() >= unchanged["at"].as_str().unwrap());

    let text = db.ok(&["history", "default/credits"], 0);
    assert!(text.contains("resolved  head_mismatch") && text.contains(&head_id), "{text}");
    assert!(text.contains("(first check)"), "{text}");
}

/// A note removed (the finding reopened) by a check that otherwise changes nothing is still
/// kept for the next comparison: explained again later, the finding is explained again.
#[test]
fn a_finding_reopened_then_explained_again_is_explained_again_in_the_history() {
    let db = Db::new();
    db.import("fixtures/clean.json");
    let (report, _) = db.check_json(&["--stated-balance", "1600.01", "--save-balance"]);
    let head = report["findings"].as_array().unwrap().iter().find(|f| f["kind"] == "head_mismatch").cloned();
    let head_id = head.expect("a head_mismatch")["id"].as_str().unwrap().to_string();
    db.ok(&["explain", &head_id, "--note", "the page rounds"], 0);
    db.check_json(&[]);
    db.ok(&["reopen", &head_id], 0);
    db.check_json(&[]);
    db.ok(&["explain", &head_id, "--note", "the page rounds, confirmed"], 0);
    db.check_json(&[]);

    let h = history(&db);
    let runs = h["runs"].as_array().unwrap();
    // Newest first: explained again, reopened (nothing new or resolved), explained, new.
    assert_eq!(ids(&runs[0]["explained"]), [head_id.as_str()], "{h:#}");
    assert!(ids(&runs[1]["explained"]).is_empty() && ids(&runs[1]["new"]).is_empty(), "{h:#}");
    assert_eq!(ids(&runs[2]["explained"]), [head_id.as_str()], "{h:#}");
    assert_eq!(ids(&runs[3]["new"]), [head_id.as_str()], "{h:#}");
}

#[test]
fn the_runway_is_the_last_thirty_days_net_burn_and_reports_give_it() {
    let db = Db::new();
    // A purchase long before the window, then 300 net spent in the 30 days to the newest entry
    // (the window's first moment included): 10 a day, so 700 lasts 70 days.
    let csv = "Transaction ID,Date,Type,Description,Amount,Balance after,Character,Model\n\
        t1,2026-01-01T00:00:00Z,PURCHASE,pack,+1000,1000,,\n\
        t2,2026-03-01T00:00:00Z,CHAT,reply,-100,900,,\n\
        t3,2026-03-16T00:00:00Z,PURCHASE,pack,+50,950,,\n\
        t4,2026-03-31T00:00:00Z,CHAT,reply,-250,700,,\n";
    let path = crate::support::file(&db, "burn.csv", csv);
    db.import(path.to_str().unwrap());
    db.check_json(&[]);
    let h = history(&db);
    let runway = &h["runway"];
    assert_eq!(runway["state"], "runs_out", "{h:#}");
    let (spent, days) = (Decimal::from(100 - 50 + 250), Decimal::from(30));
    let daily = spent / days;
    assert_eq!(runway["daily_burn"].as_str().unwrap().parse::<Decimal>().unwrap(), daily);
    let newest = chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
    let lasts = (Decimal::from(700) / daily).to_string().parse::<u64>().unwrap();
    let expected = newest + chrono::Days::new(lasts);
    assert_eq!(runway["runs_out_on"], expected.to_string(), "{h:#}");

    let report = db.ok(&["report"], 0);
    let line = format!("At the last 30 days' net burn of 10.00 a day, the balance runs out on {expected}.");
    assert!(report.contains(&line), "{report}");

    // Growing: a purchase of 1000 an hour later outweighs the spending (the window moves with
    // the newest entry, so t2 falls out of it: +50 - 250 + 1000).
    let more = "Transaction ID,Date,Type,Description,Amount,Balance after,Character,Model\n\
        t5,2026-03-31T01:00:00Z,PURCHASE,pack,+1000,1700,,\n";
    let path = crate::support::file(&db, "more.csv", more);
    db.import(path.to_str().unwrap());
    db.check_json(&[]);
    let h = history(&db);
    assert_eq!(h["runway"], json!({"state": "not_running_out", "net": "800.00"}), "{h:#}");
    assert!(!db.ok(&["report"], 0).contains("net burn"), "no runway line for a growing balance");
}

const KEY: &str = "sk_test_watch_1";

fn sync(db: &Db, server: &MockServer) -> (String, String) {
    let out = db
        .command(&["sync", "reverie", "--base-url", &server.base_url(), "--page-size", "40"])
        .env("RECKON_API_KEY", KEY)
        .output()
        .expect("reckon runs");
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned());
    assert_eq!(out.status.code(), Some(0), "stdout: {stdout}\nstderr: {stderr}");
    (stdout, stderr)
}

/// Reverie's API on loopback serving `fixtures/clean.json`, whose balance is 1595.01.
fn clean_ledger_server() -> MockServer {
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/clean.json")).unwrap();
    let mut api = Reverie::from_ledger(&bytes, KEY).unwrap();
    api.balance = "1595.01".into();
    MockServer::start(api).unwrap()
}

fn spend_or_buy(server: &MockServer, id: &str, at: &str, amount: &str, balance: &str) {
    server.update(|r| {
        r.entries.push(json!({
            "id": id, "created_at": at, "type": if amount.starts_with('-') { "CHAT" } else { "PURCHASE" },
            "description": "watch", "amount": amount, "balance_after": balance,
            "character": null, "model": null
        }));
        r.balance = balance.into();
    });
}

const WARNING: &str = "warning: default/credits is at 595.01, below its low-balance threshold of 1000.00";

#[test]
fn a_sync_warns_once_per_crossing_until_the_balance_recovers() {
    let server = clean_ledger_server();
    let db = Db::new();
    sync(&db, &server);
    assert!(db.ok(&["threshold", "set", "default", "1000"], 0).contains("warns below 1000.00"));
    assert!(db.ok(&["threshold", "show", "default"], 0).contains("threshold 1000.00, balance 1595.01"));

    // 1595.01 is above it: no warning.
    let (_, stderr) = sync(&db, &server);
    assert!(!stderr.contains("low-balance"), "{stderr}");

    // A spend of 1000 takes the ledger to 595.01, below it: said once.
    spend_or_buy(&server, "txn_watch_spend", "2026-03-11T09:00:00Z", "-1000.00", "595.01");
    let (stdout, stderr) = sync(&db, &server);
    assert!(stdout.contains("1 new"), "{stdout}");
    assert_eq!(stderr.matches(WARNING).count(), 1, "{stderr}");
    let shown = db.ok(&["threshold", "show"], 0);
    assert!(shown.contains("default/credits: threshold 1000.00, balance 595.01, below it since"), "{shown}");
    // Still below: neither the next sync nor a check says it again.
    let (_, stderr) = sync(&db, &server);
    assert!(!stderr.contains("low-balance"), "{stderr}");
    let out = db.run(&["check"]);
    assert!(!err_text(&out).contains("low-balance"), "{}", err_text(&out));

    // Back above, then below again: a new crossing, said again.
    spend_or_buy(&server, "txn_watch_buy", "2026-03-11T10:00:00Z", "+1000.00", "1595.01");
    let (_, stderr) = sync(&db, &server);
    assert!(!stderr.contains("low-balance"), "{stderr}");
    assert!(!db.ok(&["threshold", "show"], 0).contains("below it since"));
    spend_or_buy(&server, "txn_watch_spend_2", "2026-03-11T11:00:00Z", "-1000.00", "595.01");
    let (_, stderr) = sync(&db, &server);
    assert_eq!(stderr.matches(WARNING).count(), 1, "{stderr}");
    // Set again, the threshold is crossed anew: this time the check says so, once.
    db.ok(&["threshold", "set", "default/credits", "1000"], 0);
    let out = db.run(&["check"]);
    assert_eq!(err_text(&out).matches(WARNING).count(), 1, "{}", err_text(&out));
    let out = db.run(&["check"]);
    assert!(!err_text(&out).contains("low-balance"), "{}", err_text(&out));

    // The report and the list of ledgers give it too.
    assert!(db.ok(&["report"], 0).contains("Low-balance threshold 1000.00: the balance, 595.01, is below it."));
    let chains: Value = serde_json::from_str(&db.ok(&["chains", "--format", "json"], 0)).unwrap();
    assert_eq!(chains["rows"][0]["low_balance_threshold"], "1000.00", "{chains:#}");
    assert_eq!(chains["rows"][0]["below_threshold"], true, "{chains:#}");
    assert!(db.ok(&["chains"], 0).contains("low-balance threshold 1000.00: BELOW IT"));

    // Cleared: no warning any more.
    assert!(db.ok(&["threshold", "clear", "default"], 0).contains("no low-balance threshold any more"));
    spend_or_buy(&server, "txn_watch_buy_2", "2026-03-11T12:00:00Z", "+1000.00", "1595.01");
    sync(&db, &server);
    spend_or_buy(&server, "txn_watch_spend_3", "2026-03-11T13:00:00Z", "-1000.00", "595.01");
    let (_, stderr) = sync(&db, &server);
    assert!(!stderr.contains("low-balance"), "{stderr}");
    assert_eq!(db.ok(&["threshold", "show"], 0), "");
    assert!(db.ok(&["threshold", "show", "default"], 0).contains("no low-balance threshold"));
}

#[test]
fn a_sync_keeps_its_check_in_the_history_and_says_what_is_new() {
    let server = clean_ledger_server();
    let db = Db::new();
    let (stdout, _) = sync(&db, &server);
    let h = history(&db);
    let runs = h["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "the first sync's check is kept: {h:#}");
    assert_eq!(runs[0]["first"], true);
    let first_new = runs[0]["new"].as_array().unwrap().len();
    assert_eq!(stdout.contains("first check"), first_new > 0, "{stdout}");

    // An entry whose balance does not follow (1595.01 - 10.00 is not 1500.00): the next sync's
    // check finds the break, says it on standard output and keeps it in the history.
    spend_or_buy(&server, "txn_watch_broken", "2026-03-11T09:00:00Z", "-10.00", "1500.00");
    let (stdout, _) = sync(&db, &server);
    let h = history(&db);
    let runs = h["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{h:#}");
    let new = runs[0]["new"].as_array().unwrap();
    let breaks: Vec<&Value> = new.iter().filter(|c| c["kind"] == "balance_break").collect();
    assert_eq!(breaks.len(), 1, "{h:#}");
    assert!(breaks[0].to_string().contains("txn_watch_broken"), "{h:#}");
    let errors = new.iter().filter(|c| c["kind"] == "balance_break" || c["kind"] == "head_mismatch").count();
    let line = format!(
        "check of default/credits: {} new since the last check ({} error{}); `reckon history default/credits` lists them",
        if new.len() == 1 { "1 finding".to_string() } else { format!("{} findings", new.len()) },
        errors,
        if errors == 1 { "" } else { "s" }
    );
    assert!(stdout.contains(&line), "expected {line:?} in:\n{stdout}");

    // Nothing new on the server: the next syncs' checks say nothing; they are kept as one run
    // with nothing new (the second folds into the first).
    for _ in 0..2 {
        let (stdout, _) = sync(&db, &server);
        assert!(!stdout.contains("check of"), "{stdout}");
    }
    let h = history(&db);
    let runs = h["runs"].as_array().unwrap();
    assert_eq!((runs.len(), runs[0]["checks"].clone()), (3, json!(2)), "{h:#}");
    assert!(runs[0]["new"].as_array().unwrap().is_empty() && runs[0]["resolved"].as_array().unwrap().is_empty());
}

#[test]
fn a_threshold_is_refused_below_zero_and_for_an_unknown_ledger() {
    let db = Db::new();
    db.import("fixtures/clean.json");
    let out = db.run(&["threshold", "set", "default", "-5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(err_text(&out).contains("below zero"), "{}", err_text(&out));
    for args in [&["threshold", "set", "nobody", "5"][..], &["history", "nobody"], &["threshold", "show", "x/y"]] {
        let out = db.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            err_text(&out).contains("no ledger nobody") || err_text(&out).contains("no ledger x/y"),
            "{}",
            err_text(&out)
        );
    }
    // A threshold needs a database: none is created for one.
    let missing = Db::new();
    let out = missing.run(&["threshold", "set", "default", "5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!missing.path.exists(), "a threshold created a database");
}

#[test]
fn threshold_crossing_is_reported_once_until_the_balance_recovers() {
    use reckon::check::{check, CheckOptions};
    use reckon::store::Store;
    use reckon::watch::threshold;

    let db = Db::new();
    db.import("fixtures/clean.json");
    let mut store = Store::open(&db.path).unwrap();
    let chain = store.chains().unwrap().remove(0);
    let report = check(&store, &CheckOptions::default()).unwrap();
    assert!(threshold::evaluate(&mut store, &report, 1).unwrap().is_empty(), "no threshold, no alert");

    store.set_low_balance(chain.id, Some(d("2000"))).unwrap();
    let first = threshold::evaluate(&mut store, &report, 10).unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!((first[0].crossed, first[0].since, first[0].balance), (true, 10, d("1595.01")), "{first:?}");
    let again = threshold::evaluate(&mut store, &report, 20).unwrap();
    assert_eq!((again[0].crossed, again[0].since), (false, 10), "still below, not crossed again: {again:?}");

    // The balance moves: lower still is the same crossing; at the threshold it has recovered;
    // a micro-credit below it again is a new crossing.
    let at = |store: &mut Store, balance: &str, when: i64| {
        threshold::crossed(store, chain.id, &chain.key, d(balance), when).unwrap()
    };
    let lower = at(&mut store, "10", 30).unwrap();
    assert_eq!((lower.crossed, lower.since), (false, 10));
    assert_eq!(at(&mut store, "2000", 40), None, "at the threshold is not below it");
    assert_eq!(store.low_balance(chain.id).unwrap().unwrap().below_since, None, "recovered");
    assert_eq!(at(&mut store, "2000", 45), None);
    let back = at(&mut store, "1999.999999", 50).unwrap();
    assert_eq!((back.crossed, back.since), (true, 50));
    assert!(!at(&mut store, "1999.999999", 60).unwrap().crossed);

    // A new threshold forgets the old crossing: a balance below it has just crossed it.
    store.set_low_balance(chain.id, Some(d("1600"))).unwrap();
    let reset = threshold::evaluate(&mut store, &report, 70).unwrap();
    assert_eq!((reset[0].crossed, reset[0].since, reset[0].threshold), (true, 70, d("1600")));
    store.set_low_balance(chain.id, None).unwrap();
    assert!(threshold::evaluate(&mut store, &report, 80).unwrap().is_empty(), "cleared");
    assert_eq!(at(&mut store, "1", 90), None);
}

#[test]
fn connections_comparing_at_once_report_one_crossing() {
    use reckon::store::Store;
    use reckon::watch::threshold;
    use std::sync::{Arc, Barrier};

    let db = Db::new();
    db.import("fixtures/clean.json");
    let (id, key) = {
        let mut store = Store::open(&db.path).unwrap();
        let chain = store.chains().unwrap().remove(0);
        store.set_low_balance(chain.id, Some(d("2000"))).unwrap();
        (chain.id, chain.key)
    };
    // A check and scheduled syncs, each on its own connection, all finding it below at once.
    let n = 6;
    let barrier = Arc::new(Barrier::new(n));
    let threads: Vec<_> = (0..n as i64)
        .map(|i| {
            let (path, key, barrier) = (db.path.clone(), key.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut store = Store::open(&path).unwrap();
                barrier.wait();
                threshold::crossed(&mut store, id, &key, d("1500"), 100 + i).unwrap().unwrap()
            })
        })
        .collect();
    let alerts: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(alerts.iter().filter(|a| a.crossed).count(), 1, "{alerts:?}");
    let since = alerts.iter().find(|a| a.crossed).unwrap().since;
    assert!(alerts.iter().all(|a| a.since == since), "one crossing, one time: {alerts:?}");
}

#[test]
fn checking_keeps_history_but_never_creates_migrates_or_repairs_a_file() {
    // Missing: an error, nothing created.
    let db = Db::new();
    let out = db.run(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(err_text(&out).contains("no database at"), "{}", err_text(&out));
    assert!(!db.path.exists());

    // Wiped to nothing: refused as before, never made into an empty database.
    std::fs::write(&db.path, b"").unwrap();
    for args in [&["check"][..], &["check", "--format", "json"], &["history", "default"]] {
        let out = db.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(err_text(&out).contains("empty file"), "{}", err_text(&out));
    }
    assert_eq!(std::fs::metadata(&db.path).unwrap().len(), 0);
    assert!(!db.dir().join("reckon.db-wal").exists());

    // Another application's SQLite file: refused, byte for byte as it was, not switched to WAL.
    let other = Db::new();
    Connection::open(&other.path)
        .unwrap()
        .execute_batch("CREATE TABLE album (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO album VALUES (1, 'x');")
        .unwrap();
    let before = std::fs::read(&other.path).unwrap();
    let out = other.run(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(err_text(&out).contains("not a Reckon database"), "{}", err_text(&out));
    assert_eq!(std::fs::read(&other.path).unwrap(), before);
    assert!(!other.dir().join("reckon.db-wal").exists(), "not switched to WAL");

    // A database an older Reckon wrote (before the watch tables): a check does not migrate it.
    let old = Db::new();
    old.import("fixtures/clean.json");
    Connection::open(&old.path)
        .unwrap()
        .execute_batch(
            "DROP TABLE check_change; DROP TABLE check_seen; DROP TABLE check_run; DROP TABLE low_balance;
             PRAGMA user_version = 9;",
        )
        .unwrap();
    let out = old.run(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(err_text(&out).contains("open it once with a command that writes"), "{}", err_text(&out));
    let version: i64 =
        Connection::open(&old.path).unwrap().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(version, 9, "a check migrated the database");
}

#[test]
fn a_database_that_cannot_be_written_is_checked_without_history() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let db = Db::new();
    db.import("fixtures/faulty.csv");
    let (expected, code) = db.check_json(&[]);
    let history_before = history(&db);
    assert_eq!(history_before["runs"].as_array().unwrap().len(), 1);

    // Its folder and file write-protected; root ignores modes, so a test run as root checks
    // as the unprivileged `nobody` instead, for whom the same modes hold.
    std::fs::set_permissions(&db.path, std::fs::Permissions::from_mode(0o444)).unwrap();
    std::fs::set_permissions(db.dir(), std::fs::Permissions::from_mode(0o555)).unwrap();
    let bytes = std::fs::read(&db.path).unwrap();
    let as_root = std::fs::metadata(&db.path).unwrap().uid() == 0;
    let run = |args: &[&str]| {
        let mut command = db.command(args);
        if as_root {
            command.uid(65534).gid(65534);
        }
        command.output().unwrap()
    };
    let out = run(&["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(code), "{}", err_text(&out));
    let check: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(check, expected, "the same check");
    let text = err_text(&out);
    assert_eq!(text.matches("note:").count(), 1, "said once: {text}");
    assert!(text.contains("cannot be written, so this check is not kept in the ledgers' history"), "{text}");
    assert_eq!(std::fs::read(&db.path).unwrap(), bytes, "the file is byte for byte as it was");
    let out = run(&["threshold", "set", "default", "5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(err_text(&out).contains("cannot be written"), "{}", err_text(&out));

    std::fs::set_permissions(db.dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&db.path, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(history(&db), history_before, "nothing kept");
}

#[test]
fn only_a_check_with_the_stored_balances_and_default_rules_is_kept() {
    let db = Db::new();
    db.import("fixtures/faulty.csv");
    let (first, _) = db.check_json(&[]);
    let kept = history(&db);
    for args in [
        &["--opening-balance", "0"][..],
        &["--stated-balance", "1.00"],
        &["--unusual-ratio", "2"],
        &["--unusual-mad", "1"],
        &["--unusual-min-history", "3"],
    ] {
        db.check_json(args);
        assert_eq!(history(&db), kept, "check {args:?} was kept");
    }
    // Kept, and what it prints is what it printed before it kept anything.
    let (again, _) = db.check_json(&[]);
    assert_eq!(again, first);
    let h = history(&db);
    assert_eq!(h["runs"].as_array().unwrap().len(), 2, "{h:#}");
    assert_eq!((h["runs"][0]["first"].clone(), h["runs"][0]["new"].clone()), (json!(false), json!([])), "{h:#}");
    // Narrowing what is shown does not narrow what is kept: nothing changed, so this check
    // folds into the unchanged one before it.
    db.check_json(&["--kind", "unknown_type", "--severity", "warning"]);
    let h = history(&db);
    assert_eq!((h["runs"].as_array().unwrap().len(), h["runs"][0]["checks"].clone()), (2, json!(2)), "{h:#}");
    assert!(h["runs"][0]["resolved"].as_array().unwrap().is_empty(), "{h:#}");
}

#[test]
fn history_record_tells_each_chain_what_is_new() {
    use reckon::check::{check, CheckOptions};
    use reckon::store::Store;
    use reckon::watch::history;

    let db = Db::new();
    db.import("fixtures/clean.json");
    let mut store = Store::open(&db.path).unwrap();
    let chain = store.chains().unwrap().remove(0);
    let clean = check(&store, &CheckOptions::default()).unwrap();
    let base = history::record(&mut store, &clean, 100).unwrap();
    assert!(base[0].first && base[0].new.len() == clean.findings.len());

    store.set_stated_balance(chain.id, Some("1590.01".parse().unwrap())).unwrap();
    let broken = check(&store, &CheckOptions::default()).unwrap();
    let delta = history::record(&mut store, &broken, 200).unwrap();
    assert_eq!(delta.len(), 1);
    let d = &delta[0];
    assert!(!d.first);
    assert_eq!(d.new.len(), 1, "{d:?}");
    assert_eq!(d.new_errors().count(), 1, "a head_mismatch is an error");
    assert_eq!(d.new[0].delta.map(|x| x.abs()), Some(Decimal::new(5, 0)));
    // Recorded again at once (another connection, the scheduled sync): nothing new twice.
    let twice = history::record(&mut store, &broken, 300).unwrap();
    assert!(twice[0].is_empty(), "{twice:?}");
}

#[test]
fn one_record_keeps_each_ledger_apart() {
    use reckon::check::{check, CheckOptions};
    use reckon::store::Store;
    use reckon::watch::history;

    let db = Db::new();
    db.ok(&["import", "--account", "clean", "fixtures/clean.json"], 0);
    db.ok(&["import", "--account", "faulty", "fixtures/faulty.csv"], 0);
    let mut store = Store::open(&db.path).unwrap();
    let report = check(&store, &CheckOptions::default()).unwrap();
    let deltas = history::record(&mut store, &report, 100).unwrap();
    assert_eq!(deltas.len(), 2);
    for (chain, delta) in report.chains.iter().zip(&deltas) {
        assert_eq!((delta.chain_id, &delta.chain), (chain.id, &chain.key));
        let found = report.findings.iter().filter(|f| f.chain_id == chain.id).count();
        assert_eq!(delta.new.len(), found, "{}", chain.key.account);
    }
    let faulty = deltas.iter().find(|d| d.chain.account == "faulty").unwrap();
    assert!(faulty.new_errors().count() > 0);
    drop(store);
    // Each ledger's history holds its own findings only.
    let h: Value = serde_json::from_str(&db.ok(&["history", "clean", "--format", "json"], 0)).unwrap();
    let clean_new = h["runs"][0]["new"].as_array().unwrap().len();
    assert_eq!(clean_new, deltas.iter().find(|d| d.chain.account == "clean").unwrap().new.len());
    assert!(clean_new < faulty.new.len(), "{h:#}");
}
