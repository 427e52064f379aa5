//! reckon-scale against reckon check: the same ledgers imported into a database, exported as
//! Parquet, checked by `reckon-scale` (embedded, within a memory pool, on a Ballista cluster
//! started here) must print byte for byte what `reckon check --format json` prints. The
//! expected side is the engine's check and JSON, which is all `reckon check --format json`
//! runs (its rules at their defaults).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{TimeZone, Utc};
use reckon::check::{check, CheckOptions};
use reckon::import::{import, ImportOptions, NoProgress};
use reckon::model::{AnchorKind, ChainKey};
use reckon::store::Store;
use rust_decimal::Decimal;

/// Entries in the one long chain: issue 19's million (25 s in the debug profile on a 2-core
/// machine, 5.6 s at 200,000).
const ONE_CHAIN_ENTRIES: usize = 1_000_000;
/// Chains of `SMALL_CHAIN_ENTRIES` each in the many-chains case.
const CHAINS: usize = 10_000;
const SMALL_CHAIN_ENTRIES: usize = 5;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
}

/// A database in a temporary folder with `files` imported into `chain`.
fn imported(dir: &Path, files: &[PathBuf], chain: &ChainKey) -> Store {
    let mut store = Store::open(&dir.join("reckon.db")).unwrap();
    let options = ImportOptions { chain: chain.clone(), ..ImportOptions::new(now()) };
    import(&mut store, files, &options, &mut NoProgress).unwrap();
    store
}

/// What `reckon check --format json` prints for `store`.
fn reckon_check_json(store: &Store) -> String {
    let report = check(store, &CheckOptions::default()).unwrap();
    format!("{}\n", reckon::check_output::json(&report, false))
}

/// `reckon-scale ARGS`: (exit code, stdout, stderr).
fn reckon_scale(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_reckon-scale")).args(args).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

/// Exports `store` under `dir/parquet` and returns the folder.
fn exported(store: &Store, dir: &Path) -> PathBuf {
    let out = dir.join("parquet");
    reckon::export_parquet::export(store, &out).unwrap();
    out
}

/// reckon-scale's JSON for the export, embedded, with the exit code reckon check would give.
fn scale_json(parquet: &Path, extra: &[&str]) -> String {
    let mut args = vec!["check", parquet.to_str().unwrap(), "--format", "json"];
    args.extend(extra);
    let (code, out, err) = reckon_scale(&args);
    assert!(code == 0 || code == 1, "reckon-scale failed ({code}): {err}");
    out
}

fn assert_same(expected: &str, got: &str) {
    assert!(expected.contains("\"chains\""), "not a check report: {expected}");
    if expected != got {
        let at = expected.bytes().zip(got.bytes()).position(|(a, b)| a != b).unwrap_or(expected.len().min(got.len()));
        let from = at.saturating_sub(200);
        panic!(
            "reckon-scale differs from reckon check at byte {at}:\nreckon check: ...{}\nreckon-scale: ...{}",
            &expected[from..(at + 200).min(expected.len())],
            &got[from..(at + 200).min(got.len())]
        );
    }
}

#[test]
fn every_fixture_checks_the_same_as_reckon_check() {
    // Each fixture on its own (several sources, planted faults), then one database holding
    // several with an anchor, a stated balance and a note, so chain.json and notes.json count.
    let sets: Vec<Vec<&str>> = vec![
        vec!["clean.csv"],
        vec!["faulty.csv"],
        vec!["messy.csv"],
        vec!["shuffled.csv"],
        vec!["faulty.csv", "faulty-rewritten.csv"],
        vec!["orb-ledger.json"],
        vec!["stripe-balance.json"],
        vec!["usage-feed.csv"],
        vec!["usage-feed-nobalance.csv"],
        vec!["grant-ledger.csv"],
        vec!["lago-wallet-transactions.json"],
        vec!["stripe-credit-transactions.json", "stripe-credit-grants.json", "stripe-credit-balance-summary.json"],
        vec!["workspace-conversations.csv", "workspace-credit-adjustments.csv"],
        vec!["bank-debit-credit.csv"],
    ];
    let mut compared = 0;
    for set in sets {
        let files: Vec<PathBuf> = set.iter().map(|f| fixtures().join(f)).collect();
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(&tmp.path().join("reckon.db")).unwrap();
        let options = ImportOptions::new(now());
        if import(&mut store, &files, &options, &mut NoProgress).is_err() {
            // A file this engine reads only with a profile (the bank export) is not a ledger
            // on its own; every other set must import.
            assert_eq!(set, ["bank-debit-credit.csv"], "{set:?} did not import");
            continue;
        }
        let expected = reckon_check_json(&store);
        let got = scale_json(&exported(&store, tmp.path()), &[]);
        assert_same(&expected, &got);
        compared += 1;
    }
    assert!(compared >= 12, "only {compared} fixture sets compared");

    // Anchors, a stated balance, a note.
    let tmp = tempfile::tempdir().unwrap();
    let mut store = imported(tmp.path(), &[fixtures().join("faulty.csv")], &ChainKey::new("acct-1", "credits"));
    import(
        &mut store,
        &[fixtures().join("usage-feed-nobalance.csv")],
        &ImportOptions { chain: ChainKey::new("acct-2", "credits"), ..ImportOptions::new(now()) },
        &mut NoProgress,
    )
    .unwrap();
    let chains = store.chains().unwrap();
    let first = chains[0].clone();
    store.set_stated_balance(first.id, Some(Decimal::new(12_345, 2))).unwrap();
    let second = chains[1].clone();
    let mid = (second.first_ts.unwrap() + second.last_ts.unwrap()) / 2;
    store.add_anchor(second.id, mid, Decimal::new(5000, 2), AnchorKind::Stated, "the billing page", 1).unwrap();
    store.set_opening_balance(second.id, Some(Decimal::from(100))).unwrap();
    let report = check(&store, &CheckOptions::default()).unwrap();
    let explained = report.findings[0].finding.id.clone();
    store.set_note(&explained, "known: the vendor's outage", now()).unwrap();
    let expected = reckon_check_json(&store);
    assert!(!expected.contains(&explained), "the explained finding is hidden");
    let parquet = exported(&store, tmp.path());
    assert_same(&expected, &scale_json(&parquet, &[]));
    // The text form is reckon check's too.
    let (_, text, _) = reckon_scale(&["check", parquet.to_str().unwrap()]);
    let mut want = Vec::new();
    reckon::check_output::text(&check(&store, &CheckOptions::default()).unwrap(), false, &mut want).unwrap();
    assert_eq!(text, String::from_utf8(want).unwrap());
    assert!(text.contains("1 explained (hidden"), "{text}");
}

/// A Reverie CSV of `n` entries, oldest first, with a balance break every 50,000 entries, a
/// duplicate charge and same-second ties.
fn long_reverie_csv(n: usize) -> String {
    let mut csv = String::from("Transaction ID,Date,Type,Description,Amount,Balance after,Character,Model\n");
    let mut balance: i64 = 1_000_000_000; // micro... in cents: 10,000,000.00
    let start = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap().timestamp();
    for i in 0..n {
        let ts = start + (i as i64 / 3) * 7; // three entries a second now and then
        let (kind, description, amount) = if i % 97 == 0 {
            ("PURCHASE", "Credit pack", 5000)
        } else {
            ("CHAT", if i % 2 == 0 { "GPT-5 mini reply" } else { "DeepSeek V3.2 reply" }, -((i % 7) as i64 + 1) * 10)
        };
        balance += amount;
        if i % 50_000 == 49_999 {
            balance -= 123; // a balance break
        }
        let time = Utc.timestamp_opt(ts, 0).unwrap().format("%Y-%m-%dT%H:%M:%SZ");
        let _ = writeln!(
            csv,
            "txn_{i:08},{time},{kind},{description},{}{}.{:02},{}.{:02},Nemo,{}",
            if amount < 0 { "-" } else { "+" },
            amount.abs() / 100,
            amount.abs() % 100,
            balance / 100,
            balance % 100,
            if i % 2 == 0 { "GPT-5 mini" } else { "DeepSeek V3.2" }
        );
    }
    csv
}

#[test]
fn one_long_chain_checks_the_same_as_reckon_check() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("long.csv");
    std::fs::write(&file, long_reverie_csv(ONE_CHAIN_ENTRIES)).unwrap();
    let store = imported(tmp.path(), &[file], &ChainKey::new("acct-long", "credits"));
    let expected = reckon_check_json(&store);
    assert!(expected.contains("balance_break"), "the planted breaks are found");
    let parquet = exported(&store, tmp.path());
    assert_same(&expected, &scale_json(&parquet, &[]));
    // The chain's entries are held at once: a pool smaller than them cannot hold its
    // accumulator (size() is what the pool is asked for), and says so.
    let (code, _, err) = reckon_scale(&["check", parquet.to_str().unwrap(), "--memory-limit", "2MiB"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the memory limit") && err.contains("raise --memory-limit"), "{err}");
}

/// Orb's ledger of `chains` customers of `entries` each, every tenth with a balance break.
fn many_customers_orb_json(chains: usize, entries: usize) -> String {
    let mut json = String::from("{\"data\": [");
    let mut first = true;
    for c in 0..chains {
        let mut balance: i64 = 10_000;
        for e in 0..entries {
            let amount: i64 = if e == 0 { 500 } else { -((c + e) as i64 % 9 + 1) };
            let mut start = balance;
            if c % 10 == 3 && e == 2 {
                start += 7; // the previous entry's ending balance and this one's start disagree
            }
            balance = start + amount;
            let _ = write!(
                json,
                "{}{{\"id\": \"orb_{c}_{e}\", \"ledger_sequence_number\": {e}, \"entry_type\": \"{}\", \"entry_status\": \"committed\", \
                 \"customer\": {{\"id\": \"cus_{c}\", \"external_customer_id\": \"customer-{c:05}\"}}, \
                 \"starting_balance\": {}.{:02}, \"ending_balance\": {}.{:02}, \"amount\": {}{}.{:02}, \"currency\": \"credits\", \
                 \"created_at\": \"2026-03-{:02}T{:02}:00:00+00:00\", \"description\": null, \"credit_block\": null, \"metadata\": {{}}}}",
                if first { "" } else { "," },
                if amount > 0 { "increment" } else { "decrement" },
                start / 100,
                start % 100,
                balance / 100,
                balance % 100,
                if amount < 0 { "-" } else { "" },
                amount.abs() / 100,
                amount.abs() % 100,
                1 + e,
                c % 24
            );
            first = false;
        }
    }
    json.push_str("]}");
    json
}

#[test]
fn ten_thousand_chains_check_the_same_embedded_within_a_small_pool_and_on_ballista() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("orb.json");
    std::fs::write(&file, many_customers_orb_json(CHAINS, SMALL_CHAIN_ENTRIES)).unwrap();
    let store = imported(tmp.path(), &[file], &ChainKey::new("unused", "credits"));
    assert_eq!(store.chains().unwrap().len(), CHAINS);
    let expected = reckon_check_json(&store);
    assert!(expected.contains("balance_break"), "the planted breaks are found");
    let parquet = exported(&store, tmp.path());
    assert_same(&expected, &scale_json(&parquet, &[]));
    // A small pool: every chain is small, the groups spill or fit.
    assert_same(&expected, &scale_json(&parquet, &["--memory-limit", "16MiB"]));
    // An absurd one fails, saying what to do.
    let (code, out, err) = reckon_scale(&["check", parquet.to_str().unwrap(), "--memory-limit", "1KiB"]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(err.contains("the memory limit 1024 bytes is too small"), "{err}");

    // A Ballista scheduler and two executors in this process, on loopback ports of their own.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let port = runtime.block_on(async {
        let state = reckon_scale::ballista_state();
        let address = ballista_scheduler::standalone::new_standalone_scheduler_from_state(&state).await.unwrap();
        for _ in 0..2 {
            let url = format!("http://localhost:{}", address.port());
            let scheduler =
                ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient::connect(url).await.unwrap();
            ballista_executor::new_standalone_executor_from_state(scheduler, 2, &state).await.unwrap();
        }
        address.port()
    });
    let scheduler = format!("df://localhost:{port}");
    assert_same(&expected, &scale_json(&parquet, &["--scheduler", &scheduler]));
    // The same cluster checks the fixtures' faults too.
    let tmp2 = tempfile::tempdir().unwrap();
    let store2 = imported(tmp2.path(), &[fixtures().join("faulty.csv")], &ChainKey::new("acct", "credits"));
    let parquet2 = exported(&store2, tmp2.path());
    assert_same(&reckon_check_json(&store2), &scale_json(&parquet2, &["--scheduler", &scheduler]));
    drop(runtime);
}
