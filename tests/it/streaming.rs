//! A large file stored window by window (`import::stream`) gives the same ledger and the same
//! findings as the file read whole. `RECKON_WINDOW_BYTES` makes the windows tiny, so a small
//! file runs the streaming path through many windows; `RECKON_TRACE` shows which path ran.

use std::path::{Path, PathBuf};

use reckon::store::{LedgerFilter, LedgerRow, Store};

use crate::support::{fault, faults, Db};

/// What a database holds after an import: the check's JSON, the ledger as JSON, every stored
/// row as the store reads it back (its sequence number, source file, line and offset too),
/// and the import's trace (standard error).
struct Imported {
    check: serde_json::Value,
    ledger: String,
    rows: Vec<LedgerRow>,
    trace: String,
}

fn import(file: &Path, window: Option<u64>) -> Imported {
    let db = Db::new();
    let out = db.import_in_windows(file, window).env("RECKON_TRACE", "1").output().unwrap();
    imported(&db, &out)
}

/// What `db` holds after import `out`, which must have succeeded.
fn imported(db: &Db, out: &std::process::Output) -> Imported {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (check, _) = db.check_json(&[]);
    let ledger = db.ok(&["ledger", "--limit", "1000000", "--format", "json"], 0);
    let store = Store::open_read_only(&db.path).unwrap();
    let rows = store.ledger_page(&LedgerFilter::default(), 0, u64::MAX).unwrap();
    Imported { check, ledger, rows, trace: String::from_utf8_lossy(&out.stderr).into_owned() }
}

/// Whether the import was stored window by window (`Ingest::store_stream`).
fn streamed(i: &Imported) -> bool {
    i.trace.contains("import: stream windows")
}

/// Same findings (every field, ids included) and the same stored ledger, entry for entry.
fn assert_same(whole: &Imported, windowed: &Imported, what: &str) {
    assert_eq!(windowed.check, whole.check, "{what}: findings");
    assert_eq!(windowed.ledger, whole.ledger, "{what}: ledger");
    let differ = windowed.rows.iter().zip(&whole.rows).position(|(a, b)| a != b);
    if let Some(i) = differ {
        panic!("{what}: stored row {i}:\n{:?}\nagainst the whole read's\n{:?}", windowed.rows[i], whole.rows[i]);
    }
    assert_eq!(windowed.rows.len(), whole.rows.len(), "{what}: stored rows");
}

#[test]
fn fixtures_stored_window_by_window_match_the_whole_file_read() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (fixture, in_order) in [
        ("fixtures/faulty.csv", true),
        ("fixtures/demo.csv", true),
        ("fixtures/clean.csv", true),
        ("fixtures/usage-feed.csv", true),
        ("fixtures/usage-feed-nobalance.csv", true),
        // Two ledgers (credits and USD) in one file, one after the other, pending grants
        // among them.
        ("fixtures/grant-ledger.csv", true),
        // Reverie's API answer saved: `{"data": [...]}`, oldest first.
        ("fixtures/clean.json", true),
        // Same-second rows shuffled: still in time order.
        ("fixtures/shuffled.csv", true),
        // Times in several UTC offsets, out of order once in UTC: the streaming path gives up
        // and reads the file whole.
        ("fixtures/messy.csv", false),
    ] {
        let path = root.join(fixture);
        let whole = import(&path, None);
        assert!(!streamed(&whole), "{fixture}: a small file is read whole by default");
        for window in [1, 300, 4096] {
            let windowed = import(&path, Some(window));
            assert_eq!(streamed(&windowed), in_order, "{fixture} in windows of {window} bytes:\n{}", windowed.trace);
            assert_same(&whole, &windowed, fixture);
        }
    }
}

/// A Reverie export of `n` entries with shuffled same-second ties, a few refunds, an
/// identical charge twice within seconds, an unusual charge and three balance breaks; newest
/// first unless `oldest_first`. Returns the CSV and the planted breaks.
fn ledger(n: usize, oldest_first: bool) -> (String, Vec<crate::support::Fault>) {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut rand = |m: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % m
    };
    let models = ["GPT-5", "Claude", "Gemini"];
    let (mut rows, mut breaks) = (Vec::new(), Vec::new());
    let (mut balance, mut ts) = (5_000_000i64, 1_767_225_600i64);
    let cents = |c: i64| format!("{}{}.{:02}", if c < 0 { "-" } else { "" }, c.abs() / 100, c.abs() % 100);
    let break_at = [n / 5, n / 3, 3 * n / 4];
    for i in 0..n {
        // About a third of the entries share their second with the one before; a planted
        // break and the entry after it each have a second of their own.
        if rand(3) > 0 || break_at.contains(&i) || i > 0 && break_at.contains(&(i - 1)) {
            ts += 1 + rand(40) as i64;
        }
        let (kind, amount, model) = if i % 997 == 0 {
            ("PURCHASE", 100_000, "")
        } else if i % 503 == 0 {
            ("REFUND", 7, "")
        } else if i == n / 2 {
            ("CHAT", -900_000, models[0])
        } else {
            ("CHAT", -(1 + rand(30) as i64), models[rand(3) as usize])
        };
        if break_at.contains(&i) {
            // This entry and every later one state a balance 1.23 higher.
            balance += 123;
            breaks.push(i);
        }
        let when = chrono::DateTime::from_timestamp(ts, 0).unwrap().format("%Y-%m-%dT%H:%M:%SZ");
        let description = if kind == "CHAT" { format!("{model} reply") } else { kind.to_lowercase() };
        // The same charge twice in one second, under two IDs.
        let ids = if i == n / 7 && kind == "CHAT" {
            vec![format!("txn_{i:06}"), "txn_twin".into()]
        } else {
            vec![format!("txn_{i:06}")]
        };
        for id in ids {
            balance += amount;
            rows.push(format!("{id},{when},{kind},{description},{},{},Luna,{model}\n", cents(amount), cents(balance)));
        }
    }
    let planted = breaks
        .iter()
        .map(|&b| fault("balance_break", &[&format!("txn_{:06}", b - 1), &format!("txn_{b:06}")], Some("1.23")))
        .collect();
    // Shuffle each second's rows: an export does not keep their order.
    let mut start = 0;
    while start < rows.len() {
        let second = |r: &String| r.split(',').nth(1).unwrap().to_string();
        let end = start + rows[start..].iter().take_while(|r| second(r) == second(&rows[start])).count();
        for k in (start + 1..end).rev() {
            let j = start + rand((k - start + 1) as u64) as usize;
            rows.swap(k, j);
        }
        start = end;
    }
    if !oldest_first {
        rows.reverse();
    }
    let mut csv = String::from("Transaction ID,Date,Type,Description,Amount,Balance after,Character,Model\n");
    for r in rows {
        csv.push_str(&r);
    }
    (csv, planted)
}

#[test]
fn a_generated_ledger_in_tiny_windows_gives_the_findings_of_the_whole_read() {
    let dir = tempfile::tempdir().unwrap();
    for oldest_first in [false, true] {
        let (csv, planted) = ledger(6_000, oldest_first);
        let path = dir.path().join(format!("ledger-{oldest_first}.csv"));
        std::fs::write(&path, csv).unwrap();
        let whole = import(&path, None);
        let breaks: Vec<_> = faults(&whole.check)
            .into_iter()
            .filter(|f| f.0 == "balance_break" || f.0 == "misreported_balance")
            .collect();
        assert_eq!(breaks, planted, "the planted breaks, exactly");
        let kinds: Vec<String> = faults(&whole.check).into_iter().map(|f| f.0).collect();
        assert!(kinds.contains(&"duplicate_charge".to_string()), "{kinds:?}");
        assert!(kinds.contains(&"unusual_amount".to_string()), "{kinds:?}");
        for window in [2_000, 50_000] {
            let windowed = import(&path, Some(window));
            assert!(streamed(&windowed), "windows of {window} bytes:\n{}", windowed.trace);
            assert_same(&whole, &windowed, &format!("oldest first: {oldest_first}, windows of {window}"));
        }
    }
}

/// The streamed import holds a bounded number of transaction ID hashes and sorts the rest
/// into temporary files (`RECKON_ID_HASHES_HELD` makes that 7 here): the result is the whole
/// read's, and a transaction ID twice, in two different runs, still sends the file to the
/// whole-file path, which tells known from conflicting versions.
#[test]
fn transaction_ids_sorted_into_runs_on_disk_still_find_a_repeat() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, _) = ledger(6_000, false);
    let path = dir.path().join("ledger.csv");
    std::fs::write(&path, &csv).unwrap();
    let run = |path: &Path| {
        let db = Db::new();
        let out = db
            .command(&["import", &path.to_string_lossy()])
            .env("RECKON_TRACE", "1")
            .env("RECKON_WINDOW_BYTES", "2000")
            .env("RECKON_ID_HASHES_HELD", "7")
            .output()
            .unwrap();
        imported(&db, &out)
    };
    let held = run(&path);
    assert!(streamed(&held) && !held.trace.contains("streaming gave up"), "{}", held.trace);
    assert_same(&import(&path, None), &held, "7 hashes held");

    // The newest row's ID given to a row 5,000 rows older (another second, other amounts).
    let lines: Vec<&str> = csv.lines().collect();
    let newest_id = lines[1].split(',').next().unwrap();
    let old_id = lines[5_001].split(',').next().unwrap();
    let twice = csv.replacen(&format!("{old_id},"), &format!("{newest_id},"), 1);
    assert_ne!(twice, csv);
    let path = dir.path().join("twice.csv");
    std::fs::write(&path, &twice).unwrap();
    let held = run(&path);
    assert!(held.trace.contains("streaming gave up (a transaction ID hash repeats)"), "{}", held.trace);
    assert_same(&import(&path, None), &held, "an ID twice, 7 hashes held");
}

#[test]
fn a_bad_row_deep_in_a_windowed_file_is_reported_as_a_whole_read_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, _) = ledger(3_000, false);
    // A date no calendar has, in a row in the middle of the file.
    let bad: String = csv
        .lines()
        .map(|l| if l.starts_with("txn_001500,") { l.replacen(",2026-01-", ",2026-13-", 1) } else { l.to_string() })
        .map(|l| l + "\n")
        .collect();
    assert_ne!(bad, csv);
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, &bad).unwrap();
    let run = |window: Option<u64>| {
        let db = Db::new();
        let out = db.import_in_windows(&path, window).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        // Nothing stored.
        let chains = db.run(&["chains"]);
        (String::from_utf8_lossy(&out.stderr).into_owned(), String::from_utf8_lossy(&chains.stdout).into_owned())
    };
    let whole = run(None);
    assert!(whole.0.contains("bad.csv:"), "{}", whole.0);
    assert_eq!(run(Some(1_000)), whole);
}

/// Imports `first` whole, then `second` (in windows of `window` bytes when given, with the
/// variables `env` set) into the same database; what it holds after, with the second import's
/// output and trace.
fn import_after(first: &Path, second: &Path, window: Option<u64>, env: &[(&str, &str)]) -> (Imported, String) {
    let db = Db::new();
    let out = db.import_in_windows(first, None).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = db.import_in_windows(second, window).env("RECKON_TRACE", "1").envs(env.iter().copied()).output().unwrap();
    (imported(&db, &out), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Writes `rows` (oldest first) under `header` as `dir/name-oldest_first.csv`, in that order or
/// newest first.
fn write_export(dir: &Path, name: &str, header: &str, rows: &[impl AsRef<str>], oldest_first: bool) -> PathBuf {
    let mut rows: Vec<&str> = rows.iter().map(AsRef::as_ref).collect();
    if !oldest_first {
        rows.reverse();
    }
    let path = dir.join(format!("{name}-{oldest_first}.csv"));
    std::fs::write(&path, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
    path
}

/// A later export of a stored ledger (its stored entries again, new ones after them) is
/// stored window by window, continuing the ledger; whatever the streaming path cannot do
/// exactly (a new entry in a second already stored, a stored entry changed) it leaves to the
/// whole-file read. Either way the ledger, the findings and the import's counts are those of
/// the whole-file read.
#[test]
fn a_grown_export_continues_the_stored_ledger_as_the_whole_read_does() {
    let dir = tempfile::tempdir().unwrap();
    for oldest_first in [false, true] {
        let (csv, _) = ledger(6_000, oldest_first);
        let mut lines: Vec<&str> = csv.lines().collect();
        let header = lines.remove(0);
        // Oldest first from here on.
        if !oldest_first {
            lines.reverse();
        }
        let second = |l: &str| l.split(',').nth(1).unwrap().to_string();
        let write = |name: &str, rows: &[String]| write_export(dir.path(), name, header, rows, oldest_first);
        let all: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        // The first export ends with a whole second of two entries or more (put in walk order
        // again with what follows); a cut inside a second too.
        let at_second = (4_000..)
            .find(|&k| second(&all[k - 2]) == second(&all[k - 1]) && second(&all[k - 1]) != second(&all[k]))
            .unwrap();
        let in_second = (4_000..).find(|&k| second(&all[k - 1]) == second(&all[k])).unwrap();
        let first = write("first", &all[..at_second]);
        let mut changed = all.clone();
        changed[1_000] = changed[1_000].replacen(",CHAT,", ",IMAGE,", 1);
        assert_ne!(changed[1_000], all[1_000]);
        let cases: Vec<(&str, std::path::PathBuf, std::path::PathBuf, Option<&str>)> = vec![
            ("grown", first.clone(), write("grown", &all), None),
            // An export of a later period: the oldest stored entries no longer in it.
            ("a later period", first.clone(), write("later", &all[2_000..]), None),
            // The same entries, written again (no line end after the last): nothing new.
            (
                "written again",
                first.clone(),
                {
                    let path = write("again", &all[..at_second]);
                    let text = std::fs::read_to_string(&path).unwrap();
                    std::fs::write(&path, text.trim_end()).unwrap();
                    path
                },
                None,
            ),
            (
                "cut inside a second",
                write("cut", &all[..in_second]),
                write("grown", &all),
                Some("a new entry among the stored ones"),
            ),
            (
                "a stored entry changed",
                first.clone(),
                write("changed", &changed),
                Some("an entry differs from its stored version"),
            ),
        ];
        for (what, first, second, gives_up) in cases {
            let what = format!("{what}, oldest first: {oldest_first}");
            let (whole, whole_out) = import_after(&first, &second, None, &[]);
            assert!(!streamed(&whole), "{what}");
            let (windowed, windowed_out) = import_after(&first, &second, Some(2_000), &[]);
            match gives_up {
                None => assert!(
                    streamed(&windowed) && !windowed.trace.contains("gave up"),
                    "{what}: streamed\n{}",
                    windowed.trace
                ),
                Some(why) => assert!(
                    windowed.trace.contains(&format!("streaming gave up ({why})")),
                    "{what}: {why}\n{}",
                    windowed.trace
                ),
            }
            assert_same(&whole, &windowed, &what);
            assert_eq!(windowed_out, whole_out, "{what}: the import's counts");
        }
    }
}

/// A file of any size that continues a long ledger is streamed onto it (`RECKON_CONTINUE_FROM`
/// lowers "long" from 100,000 entries to this test's size), its stored blocks passing the
/// cutter a few at a time: a few new entries after ten stored blocks, the grown export in one
/// window reaching all ten, and a later period starting inside the ledger. The ledger, the
/// findings and the counts are the whole-file read's.
#[test]
fn a_small_file_continuing_a_long_ledger_is_streamed_onto_it() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, _) = ledger(41_000, true);
    let mut lines: Vec<&str> = csv.lines().collect();
    let header = lines.remove(0);
    let second = |l: &str| l.split(',').nth(1).unwrap().to_string();
    // The stored ledger ends with a whole second, so the new entries are all after it.
    let end = (40_000..).find(|&k| second(lines[k - 1]) != second(lines[k])).unwrap();
    // Oldest first, and newest first as Reverie exports.
    let cases = [true, false].into_iter().flat_map(|oldest_first| {
        let write = |name: &str, rows: &[&str]| write_export(dir.path(), name, header, rows, oldest_first);
        let first = write("first", &lines[..end]);
        [
            ("the new entries alone", first.clone(), write("new", &lines[end..])),
            ("the grown export", first.clone(), write("grown", &lines)),
            ("a later period", first, write("later", &lines[30_000..])),
        ]
        .map(|(what, first, second)| (format!("{what}, oldest first: {oldest_first}"), first, second))
    });
    for (what, first, second) in cases.collect::<Vec<_>>() {
        let what = what.as_str();
        let (whole, whole_out) = import_after(&first, &second, None, &[]);
        assert!(!streamed(&whole), "{what}: a ledger under 100,000 entries is continued by the whole read");
        let (continued, continued_out) = import_after(&first, &second, None, &[("RECKON_CONTINUE_FROM", "40000")]);
        assert!(streamed(&continued) && !continued.trace.contains("gave up"), "{what}:\n{}", continued.trace);
        assert_same(&whole, &continued, what);
        assert_eq!(continued_out, whole_out, "{what}: the import's counts");
    }
}

/// A grant ledger of `n` rows in two currencies (FORMATS.md section 5), oldest first unless
/// `newest_first`: grants, spends, pending grants settled later (one for another amount),
/// same-second rows, and a break in each currency.
fn grant_ledger(n: usize, newest_first: bool) -> String {
    let mut rows = Vec::new();
    let mut balance = [500_000i64, 20_000];
    let mut pending: Vec<(usize, usize, i64)> = Vec::new();
    let mut ts = 1_767_225_600i64;
    let cents = |c: i64| format!("{}{}.{:02}", if c < 0 { "-" } else { "" }, c.abs() / 100, c.abs() % 100);
    for i in 0..n {
        if i % 3 != 1 {
            ts += 1 + (i as i64 * 7) % 50;
        }
        let c = usize::from(i % 5 == 0);
        let currency = ["credits", "USD"][c];
        let when = chrono::DateTime::from_timestamp(ts, 0).unwrap().format("%Y-%m-%dT%H:%M:%SZ");
        let id = format!("gl_{i:05}");
        let before = balance[c];
        let (event, kind, amount, change, settles) = if i % 13 == 0 {
            pending.push((i, c, 2_500 + i as i64));
            ("Top-up awaiting payment", "pending_grant", 2_500 + i as i64, String::new(), String::new())
        } else if i % 13 == 7 && pending.iter().any(|p| p.1 == c) {
            let k = pending.iter().position(|p| p.1 == c).unwrap();
            let (p, _, amount) = pending.remove(k);
            let paid = if p % 4 == 0 { amount - 100 } else { amount };
            balance[c] += paid;
            ("Invoice paid", "grant", paid, format!("{} -> {}", cents(before), cents(balance[c])), format!("gl_{p:05}"))
        } else if i % 11 == 0 {
            balance[c] += 10_000;
            ("Prepaid purchase", "grant", 10_000, format!("{} -> {}", cents(before), cents(balance[c])), String::new())
        } else {
            let spend = 50 + (i as i64 * 37) % 900;
            balance[c] -= spend;
            ("API usage", "spend", -spend, format!("{} -> {}", cents(before), cents(balance[c])), String::new())
        };
        if i == n / 3 || i == 2 * n / 3 + 1 {
            // This row and every later one in its currency state 1.00 more.
            balance[c] += 100;
        }
        let change = if i == n / 3 || i == 2 * n / 3 + 1 {
            format!("{} -> {}", cents(before + 100), cents(balance[c]))
        } else {
            change
        };
        let amount = if amount > 0 { format!("+{}", cents(amount)) } else { cents(amount) };
        rows.push(format!("{id},{when},{currency},{event},{kind},{amount},\"{change}\",{settles}"));
    }
    if newest_first {
        rows.reverse();
    }
    format!("Entry ID,Time,Currency,Event,Kind,Amount,Balance change,Settles\n{}\n", rows.join("\n"))
}

/// A grant ledger of two currencies is stored window by window into a ledger per currency,
/// as the whole read stores it; newest first, the stream meets them in the other order, and
/// leaves the file to the whole read.
#[test]
fn a_grant_ledger_of_two_currencies_is_streamed_into_a_ledger_each() {
    let dir = tempfile::tempdir().unwrap();
    for newest_first in [false, true] {
        let path = dir.path().join(format!("grants-{newest_first}.csv"));
        std::fs::write(&path, grant_ledger(4_000, newest_first)).unwrap();
        let whole = import(&path, None);
        let kinds: Vec<String> = faults(&whole.check).into_iter().map(|f| f.0).collect();
        for kind in ["balance_break", "settled_amount_mismatch"] {
            assert!(kinds.contains(&kind.to_string()), "{kind} in {kinds:?}");
        }
        assert_eq!(whole.check["chains"].as_array().unwrap().len(), 2, "{}", whole.check);
        for window in [3_000, 40_000] {
            let windowed = import(&path, Some(window));
            if newest_first {
                assert!(
                    windowed.trace.contains("streaming gave up (a file of several ledgers runs newest first)"),
                    "{}",
                    windowed.trace
                );
            } else {
                assert!(streamed(&windowed) && !windowed.trace.contains("gave up"), "{}", windowed.trace);
            }
            assert_same(&whole, &windowed, &format!("newest first: {newest_first}, windows of {window}"));
        }
    }
}

/// The Reverie ledger `csv` (from `ledger`) as its Open API answers it, saved: `{"data":
/// [...], "next_cursor": null}` on one line or pretty, or its entries as a bare array.
fn reverie_json(csv: &str, shape: &str) -> String {
    let entries: Vec<serde_json::Value> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let text = |s: &str| if s.is_empty() { serde_json::Value::Null } else { s.into() };
            serde_json::json!({
                "id": f[0], "created_at": f[1], "type": f[2], "description": f[3],
                "amount": f[4], "balance_after": f[5], "character": text(f[6]), "model": text(f[7]),
            })
        })
        .collect();
    let page = |data: &[serde_json::Value], last: bool| serde_json::json!({"data": data, "next_cursor": if last { serde_json::Value::Null } else { "c".into() }});
    match shape {
        "one line" => page(&entries, true).to_string(),
        "pretty" => serde_json::to_string_pretty(&page(&entries, true)).unwrap(),
        _ => serde_json::Value::from(entries).to_string(),
    }
}

/// Reverie's saved API answer, however long, is one ledger: stored window by window as its CSV
/// export is (one line, pretty, a bare array of entries), the same as the whole read; newest first
/// (not as the API answers) it is left to the whole read.
#[test]
fn a_reverie_api_answer_is_stored_window_by_window_as_one_ledger() {
    let dir = tempfile::tempdir().unwrap();
    for oldest_first in [true, false] {
        let (csv, _) = ledger(6_000, oldest_first);
        for shape in ["one line", "pretty", "bare array"] {
            let path = dir.path().join(format!("{shape}-{oldest_first}.json"));
            std::fs::write(&path, reverie_json(&csv, shape)).unwrap();
            let whole = import(&path, None);
            assert!(!streamed(&whole), "{shape}");
            for window in [5_000, 80_000] {
                let windowed = import(&path, Some(window));
                let what = format!("{shape}, oldest first: {oldest_first}, windows of {window}");
                assert_eq!(streamed(&windowed), oldest_first, "{what}:\n{}", windowed.trace);
                assert_same(&whole, &windowed, &what);
            }
        }
    }
}
