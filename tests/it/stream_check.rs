//! A chain checked as a stream (`reconcile::Stream`, blocks read from the store two or three
//! times) prints exactly what the check of the chain loaded whole prints: JSON and text, byte
//! for byte. `RECKON_CHECK_BLOCK=N` forces the streaming path on small ledgers, in blocks down
//! to one entry; `RECKON_TRACE` shows which path ran.

use std::path::Path;

use crate::support::{faults, Db};

/// The env var that forces the streaming path (`reckon::check::BLOCK_VAR`).
const BLOCK_VAR: &str = "RECKON_CHECK_BLOCK";

/// The env var that sets how many entries the first pass holds before a refund to find the
/// charge it names (`reckon::check::LOOK_BACK_VAR`).
const LOOK_BACK_VAR: &str = "RECKON_CHECK_LOOK_BACK";

/// Block sizes the streaming path is run with (one entry, odd sizes, the default, more than
/// the chain), with the entries the first pass holds (`None`: the default, all of a small
/// chain): held that short, a refund's charge is often not among them and the second pass
/// runs; otherwise it is left out.
const BLOCKS: [(usize, Option<usize>); 6] =
    [(1, Some(2)), (2, None), (7, Some(1)), (7, None), (4096, None), (1_000_000, None)];

/// `reckon check` on `db` with `args`, traced, with each of `vars` set to a value or (`None`)
/// unset: standard output, exit code and the trace on standard error.
fn traced_check(db: &Db, args: &[&str], vars: &[(&str, Option<String>)]) -> (String, Option<i32>, String) {
    let mut full = vec!["check"];
    full.extend_from_slice(args);
    let mut command = db.command(&full);
    command.env("RECKON_TRACE", "1");
    for var in vars {
        match var {
            (name, Some(value)) => command.env(name, value),
            (name, None) => command.env_remove(name),
        };
    }
    let out = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(matches!(out.status.code(), Some(0 | 1)), "reckon {full:?} ({vars:?}): {stderr}");
    (String::from_utf8(out.stdout).unwrap(), out.status.code(), stderr)
}

/// `reckon check` on `db` with `args`, streamed in blocks of `block` (`None`: loaded whole,
/// as a small chain is by default) holding `look_back` entries: standard output, exit code,
/// whether it streamed.
fn check(db: &Db, args: &[&str], block: Option<usize>) -> (String, Option<i32>, bool) {
    let (stdout, code, trace) = check_holding(db, args, block, None);
    (stdout, code, trace.contains("check: stream, first pass"))
}

/// `check`, holding `look_back` entries in the first pass (`None`: the default), with the trace.
fn check_holding(
    db: &Db,
    args: &[&str],
    block: Option<usize>,
    look_back: Option<usize>,
) -> (String, Option<i32>, String) {
    let vars = [(BLOCK_VAR, block.map(|b| b.to_string())), (LOOK_BACK_VAR, look_back.map(|n| n.to_string()))];
    traced_check(db, args, &vars)
}

/// Checks `db` loaded whole and streamed in every block size, as JSON and as text, with each
/// of `variants` (extra arguments); they must print the same. Returns whether any chain
/// streamed, and the JSON of the first variant.
fn same_both_ways(db: &Db, what: &str, variants: &[Vec<&str>]) -> (bool, serde_json::Value) {
    let mut streamed = false;
    let mut first = None;
    for variant in variants {
        for format in ["json", "text"] {
            let mut args = vec!["--format", format];
            args.extend(variant.iter().copied());
            let whole = check(db, &args, None);
            assert!(!whole.2, "{what}: a small chain is loaded whole by default");
            if format == "json" && first.is_none() {
                first = Some(serde_json::from_str(&whole.0).unwrap());
            }
            for (block, look_back) in BLOCKS {
                let stream = check_holding(db, &args, Some(block), look_back);
                streamed |= stream.2.contains("check: stream, first pass");
                assert_eq!(
                    (stream.0.as_str(), stream.1),
                    (whole.0.as_str(), whole.1),
                    "{what}, {args:?}, streamed in blocks of {block}, holding {look_back:?}"
                );
            }
        }
    }
    (streamed, first.unwrap())
}

#[test]
fn every_fixture_checked_as_a_stream_prints_what_the_whole_check_prints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| (n.ends_with(".csv") || n.ends_with(".json")) && n != "planted.json")
        .collect();
    names.sort();
    assert!(names.len() >= 20, "{names:?}");
    let everything = Db::new();
    let mut streamed = Vec::new();
    for name in &names {
        let path = root.join(name).to_string_lossy().into_owned();
        let db = Db::new();
        // Some files are only a part of a ledger (a wallet's anchor, a balance summary): they
        // import with the files they go with, in `everything`.
        let alone = db.run(&["import", &path]).status.success();
        let _ = everything.run(&["import", &path]);
        if !alone {
            continue;
        }
        let (s, _) = same_both_ways(&db, name, &[vec![], vec!["--include-explained"]]);
        if s {
            streamed.push(name.as_str());
        }
    }
    // Reverie's, Orb's and Stripe's ledgers stream, and so do the usage feed (refunds named
    // in a column) and the grant ledger (pending grants).
    for name in [
        "faulty.csv",
        "demo.csv",
        "clean.csv",
        "messy.csv",
        "orb-ledger.json",
        "stripe-balance.json",
        "usage-feed.csv",
        "usage-feed-nobalance.csv",
        "grant-ledger.csv",
    ] {
        assert!(streamed.contains(&name), "{name} streamed: {streamed:?}");
    }
    let (s, json) = same_both_ways(&everything, "every fixture in one database", &[vec![]]);
    assert!(s && json["findings"].as_array().unwrap().len() > 20, "{json}");
    // Every fixture's chain checked on a second thread, as a customer base's are: the same.
    let explained = json["findings"][0]["id"].as_str().unwrap().to_string();
    everything.ok(&["explain", &explained, "--note", "seen with the vendor"], 0);
    same_on_one_thread_and_two(&everything, "every fixture in one database");
}

/// `reckon check` on `db` as JSON and as text, with explained findings and without, on the
/// connection's thread alone (`RECKON_CHECK_THREADS=1`) and with a second thread checking
/// (`=2`): the same output and exit code. Returns the JSON.
pub(crate) fn same_on_one_thread_and_two(db: &Db, what: &str) -> serde_json::Value {
    let run = |args: &[&str], threads: &str| {
        let (stdout, code, trace) = traced_check(db, args, &[(THREADS_VAR, Some(threads.to_string()))]);
        assert_eq!(trace.contains("check: on two threads"), threads == "2", "{what}: {threads} threads:\n{trace}");
        (stdout, code)
    };
    let mut json = None;
    for args in [&["--format", "json"][..], &["--format", "json", "--include-explained"], &["--format", "text"]] {
        let one = run(args, "1");
        let two = run(args, "2");
        assert_eq!(two, one, "{what}, {args:?}: two threads print what one prints");
        json.get_or_insert_with(|| serde_json::from_str(&one.0).unwrap());
    }
    json.unwrap()
}

/// `RECKON_CHECK_THREADS` (`reckon::check::THREADS_VAR`).
const THREADS_VAR: &str = "RECKON_CHECK_THREADS";

#[test]
fn stated_and_opening_balances_streamed_as_loaded() {
    let db = Db::new();
    db.import(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/faulty.csv").to_string_lossy());
    let variants = [
        vec!["--stated-balance", "0", "--opening-balance", "-3.5"],
        vec!["--stated-balance", "1502.97", "--opening-balance", "1000"],
        vec!["--opening-balance", "0"],
    ];
    let (streamed, json) = same_both_ways(&db, "faulty.csv with balances", &variants);
    assert!(streamed);
    let kinds: Vec<String> = faults(&json).into_iter().map(|f| f.0).collect();
    assert!(kinds.contains(&"head_mismatch".into()) && kinds.contains(&"opening_mismatch".into()), "{kinds:?}");
}

/// A Reverie export, oldest first, of `n` entries with every fault the streamed rules find:
/// balance breaks (one at the first link, one at the last), misreported balances, refunds
/// naming their charge (in full, partly, twice, one naming a later entry), refunds paired by
/// amount (within the window and beyond it), identical charges seconds apart (one refunded as
/// a duplicate, one refunded for another reason), an unknown type, unusual charges and
/// recurring price levels. Returns the CSV and the true balance at its end.
fn ledger(n: usize) -> (String, String) {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut rand = |m: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % m
    };
    let models = ["GPT-5", "Claude", "Gemini", "Mini"];
    let cents = |c: i64| format!("{}{}.{:02}", if c < 0 { "-" } else { "" }, c.abs() / 100, c.abs() % 100);
    let (mut balance, mut ts) = (2_000_000i64, 1_767_225_600i64);
    let mut rows = Vec::new();
    // Recent charges: (id, amount, second).
    let mut charges: Vec<(String, i64, i64)> = Vec::new();
    let mut shift = 0i64;
    for i in 0..n {
        match rand(10) {
            0..=4 => {}
            5..=8 => ts += 1 + rand(30) as i64,
            // Now and then more than a refund window later.
            _ => ts += if rand(50) == 0 { 8 * 86_400 } else { 3_600 },
        }
        let id = format!("txn_{i:06}");
        let roll = rand(100);
        let (kind, description, amount, model): (&str, String, i64, &str) = if i % 400 == 0 {
            ("PURCHASE", "Credit pack".into(), 50_000, "")
        } else if roll < 6 && !charges.is_empty() {
            let (named, charged, _) = charges[rand(charges.len() as u64) as usize].clone();
            let (description, amount) = match rand(6) {
                0 => (format!("Refund for {named}: no reply generated"), -charged),
                1 => (format!("Refund for {named}: partial"), -charged / 2),
                2 => (format!("Refund for {named} and {named}: duplicate charge"), -charged),
                3 => ("Refund (no reply generated)".into(), -charged),
                4 => ("Refund".into(), 1 + rand(40) as i64),
                // Names an entry that comes later.
                _ => (format!("Refund for txn_{:06}", i + 1 + rand(3) as usize), 5),
            };
            ("REFUND", description, amount, "")
        } else if roll < 8 {
            ("TIP", "Tip".into(), -(1 + rand(20) as i64), "")
        } else if roll < 10 {
            ("IMAGE", "Image".into(), -[200, 200, 200, 4_000][rand(4) as usize], "flux")
        } else {
            let model = models[rand(models.len() as u64) as usize];
            let amount = match rand(400) {
                0 => -90_000,
                1 => -(2_000 + rand(3) as i64 * 1_000),
                _ => -(1 + rand(if model == "Mini" { 8 } else { 60 }) as i64),
            };
            ("CHAT", format!("{model} reply"), amount, model)
        };
        // The same charge twice within seconds, under two IDs.
        let twice = kind == "CHAT" && rand(150) == 0;
        for copy in 0..1 + usize::from(twice) {
            let id = if copy == 0 { id.clone() } else { format!("{id}_twin") };
            balance += amount;
            if amount < 0 && kind != "REFUND" {
                charges.push((id.clone(), amount, ts));
                if charges.len() > 50 {
                    charges.remove(0);
                }
            }
            let roll = rand(300);
            // A break: every later balance is off; a misreport: only this line's.
            if i == 1 || i == n - 1 || roll == 0 {
                shift += 100 + rand(500) as i64;
            }
            let misreport = if roll == 1 && copy == 0 { 7 } else { 0 };
            let when = chrono::DateTime::from_timestamp(ts, 0).unwrap().format("%Y-%m-%dT%H:%M:%SZ");
            rows.push(format!(
                "{id},{when},{kind},{description},{},{},Luna,{model}\n",
                cents(amount),
                cents(balance + shift + misreport)
            ));
        }
    }
    let mut csv = String::from("Transaction ID,Date,Type,Description,Amount,Balance after,Character,Model\n");
    for r in rows {
        csv.push_str(&r);
    }
    (csv, cents(balance + shift))
}

#[test]
fn a_generated_ledger_with_every_fault_streamed_in_tiny_blocks_gives_the_same_findings() {
    let db = Db::new();
    let (csv, end) = ledger(5_000);
    let path = crate::support::file(&db, "generated.csv", &csv);
    db.import(&path.to_string_lossy());
    let variants =
        [vec![], vec!["--stated-balance", &end, "--opening-balance", "20000"], vec!["--stated-balance", "1"]];
    let (streamed, json) = same_both_ways(&db, "generated ledger", &variants);
    assert!(streamed);
    // Its refunds name charges a few entries back: the first pass finds them and the second
    // is left out; holding one entry, it finds few and the second runs.
    let left_out = |look_back| {
        let (_, _, trace) = check_holding(&db, &[], Some(7), look_back);
        assert!(trace.contains("check: stream, second pass"), "{trace}");
        trace.contains("second pass (the rules' part left out)")
    };
    assert!(left_out(None));
    assert!(!left_out(Some(1)));
    let kinds: std::collections::BTreeSet<String> = faults(&json).into_iter().map(|f| f.0).collect();
    for kind in [
        "balance_break",
        "misreported_balance",
        "duplicate_charge",
        "unmatched_refund",
        "refund_mismatch",
        "unknown_type",
        "unusual_amount",
    ] {
        assert!(kinds.contains(kind), "{kind} planted: {kinds:?}");
    }
}

/// A ledger whose rows state no balance, checked against anchors (an opening balance, stated
/// balances, one of them wrong, a reset, one before every entry and one after), streamed
/// exactly as loaded: the anchored walk, its candidates and the balance rebuilt at the end.
#[test]
fn anchored_walks_streamed_as_loaded() {
    let db = Db::new();
    db.import(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/usage-feed-nobalance.csv").to_string_lossy());
    for args in [
        ["--at", "2026-03-01T07:00:00Z", "--balance", "100", "--opening"],
        ["--at", "2026-03-01T06:00:00Z", "--balance", "5", ""],
        ["--at", "2026-03-03T00:00:00Z", "--balance", "91.15", ""],
        ["--at", "2026-03-05T12:00:00Z", "--balance", "70", ""],
        ["--at", "2026-03-07T00:00:00Z", "--balance", "80", "--reset"],
        ["--at", "2026-03-20T00:00:00Z", "--balance", "64.4", ""],
    ] {
        let mut full = vec!["anchor", "add"];
        full.extend(args.iter().copied().filter(|a| !a.is_empty()));
        db.ok(&full, 0);
    }
    let variants = [vec![], vec!["--stated-balance", "60"], vec!["--opening-balance", "90"]];
    let (streamed, json) = same_both_ways(&db, "usage feed without balances, with anchors", &variants);
    assert!(streamed);
    let kinds: Vec<String> = faults(&json).into_iter().map(|f| f.0).collect();
    assert!(kinds.iter().filter(|k| *k == "anchor_mismatch").count() >= 2, "{kinds:?}");
    // The balance rebuilt at the end is printed with the ledger.
    let (text, _, _) = check(&db, &["--format", "text"], Some(3));
    assert!(text.contains("rebuilt"), "{text}");
}
