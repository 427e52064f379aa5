//! A large JSON export of many ledgers stored a few ledgers at a time (`import::json_stream`)
//! gives the database the whole-file read gives, table by table, and the same findings; a
//! file it cannot store exactly that way (a ledger named again after another, broken JSON)
//! is read whole, with the whole read's errors. `RECKON_WINDOW_BYTES` makes the windows tiny,
//! so a small file runs the streaming path through many windows; `RECKON_TRACE` shows which
//! path ran.

use std::path::Path;

use rusqlite::types::Value as Sql;
use serde_json::{json, Value};

use crate::support::Db;

/// What an import did and what the database holds after it.
#[derive(Debug, PartialEq)]
struct Imported {
    code: Option<i32>,
    stdout: String,
    /// Standard error without the trace.
    stderr: String,
    /// Every table's rows, in order (the import's clock left out).
    tables: Vec<(String, Vec<String>)>,
    check: Option<Value>,
}

const STREAMED: &str = "import: store ledgers as the file is read";
const GAVE_UP: &str = "import: streaming the ledgers gave up";

/// Imports `file` into a new database (in windows of `window` bytes, or the default: a small
/// file read whole) and returns what it did, and the trace.
fn import(file: &Path, window: Option<u64>) -> (Imported, String) {
    let db = Db::new();
    let out = db.import_in_windows(file, window).env("RECKON_TRACE", "1").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let stderr: String = err.lines().filter(|l| !l.starts_with("trace: ")).map(|l| format!("{l}\n")).collect();
    let tables = if db.path.exists() { tables(&db.path) } else { Vec::new() };
    let check = out.status.success().then(|| db.check_json(&[]).0);
    let imported = Imported {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
        tables,
        check,
    };
    (imported, err.into_owned())
}

/// Every table's rows, ordered by their first columns, without `imported_at`.
fn tables(db: &Path) -> Vec<(String, Vec<String>)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    names
        .into_iter()
        .map(|table| {
            let count = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap().column_count();
            let order = (1..=count).map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
            let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\" ORDER BY {order}")).unwrap();
            let columns: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
            let rows = stmt
                .query_map([], |r| {
                    let mut row = Vec::new();
                    for (i, c) in columns.iter().enumerate() {
                        if c != "imported_at" {
                            row.push(format!("{c}={:?}", r.get::<_, Sql>(i)?));
                        }
                    }
                    Ok(row.join(" "))
                })
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            (table, rows)
        })
        .collect()
}

/// Stripe customer balance transactions of `customers` customers, `per_customer` each, as
/// `reckon sync stripe --all-customers` saves them: an array of pages of at most `page`
/// entries, newest first per customer. Every third customer has a balance break; some
/// descriptions repeat across customers, some are the entry's own, one carries a `]` and
/// an escaped quote; one customer pays in two currencies.
fn customer_base(customers: usize, per_customer: usize, page: usize) -> Vec<Value> {
    let mut pages = Vec::new();
    for c in 0..customers {
        let customer = format!("cus_{c:04}");
        let mut entries = Vec::new();
        // Per currency: usd, eur.
        let mut balances = [0i64; 2];
        for n in 0..per_customer {
            let amount =
                if n % 4 == 0 { -(500 + (c as i64 * 37 + n as i64 * 11) % 900) } else { 40 + (n as i64 % 7) * 5 };
            let eur = c == 1 && n % 2 == 1;
            let balance = &mut balances[usize::from(eur)];
            *balance += amount;
            // Customers 0, 3, 6...: the running balance skips 25 at the middle entry.
            if c % 3 == 0 && n == per_customer / 2 {
                *balance += 25;
            }
            let description = match n % 5 {
                0 => Value::Null,
                1 => json!("Credit pack"),
                2 => json!(format!("Invoice adjustment {c}-{n}")),
                3 => json!("Refund for \"Pro\" plan [annual]"),
                _ => json!("Credit pack, 1,000 credits"),
            };
            let currency = if eur { "eur" } else { "usd" };
            entries.push(json!({
                "id": format!("cbtxn_{c:04}_{n:05}"),
                "object": "customer_balance_transaction",
                "amount": amount,
                "created": 1_767_225_600 + (c as i64) * 7 + (n as i64) * 3_600,
                "currency": currency,
                "customer": customer,
                "description": description,
                "ending_balance": *balance,
                "livemode": false,
                "metadata": {},
                "type": if amount < 0 { "applied_to_invoice" } else { "adjustment" },
            }));
        }
        entries.reverse();
        for chunk in entries.chunks(page) {
            pages.push(json!({
                "object": "list",
                "data": chunk,
                "has_more": false,
                "url": format!("/v1/customers/{customer}/balance_transactions"),
            }));
        }
    }
    pages
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_customer_base_stored_ledger_by_ledger_matches_the_whole_file_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let base = customer_base(9, 40, 15);
    let files = [
        write(dir.path(), "one-line.json", &serde_json::to_string(&base).unwrap()),
        write(dir.path(), "pretty.json", &serde_json::to_string_pretty(&base).unwrap()),
        // A byte-order mark, blank lines before the array and after it, no line end at the end.
        write(dir.path(), "bom.json", &format!("\u{feff}\r\n\n{}\n\n", serde_json::to_string_pretty(&base).unwrap())),
        root.join("fixtures/stripe-balance-pages.json"),
        root.join("fixtures/orb-ledger-pages.json"),
    ];
    for file in &files {
        let (whole, trace) = import(file, None);
        assert_eq!(whole.code, Some(0), "{}: {}", file.display(), whole.stderr);
        assert!(!trace.contains(STREAMED), "a small file is read whole by default:\n{trace}");
        for window in [1, 700, 6_000, 1 << 20] {
            let (windowed, trace) = import(file, Some(window));
            assert!(trace.contains(STREAMED), "{} in windows of {window} bytes:\n{trace}", file.display());
            assert_eq!(windowed, whole, "{} in windows of {window} bytes", file.display());
        }
    }
    // The breaks are found on the streamed path as on the whole: customers 0, 3 and 6.
    let (windowed, _) = import(&files[0], Some(700));
    let mut breaks: Vec<&str> = windowed.check.as_ref().unwrap()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "balance_break")
        .map(|f| &f["transaction_ids"][0].as_str().unwrap()[..10])
        .collect();
    breaks.dedup();
    assert_eq!(breaks, ["cbtxn_0000", "cbtxn_0003", "cbtxn_0006"]);
}

#[test]
fn a_ledger_named_again_after_another_is_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let base = customer_base(3, 30, 10);
    // Customer 0's pages, customer 1's, then customer 0's last page again after them.
    let mut shuffled = base.clone();
    let moved = shuffled.remove(2);
    shuffled.insert(5, moved);
    let file = write(dir.path(), "shuffled.json", &serde_json::to_string_pretty(&shuffled).unwrap());
    let (whole, _) = import(&file, None);
    assert_eq!(whole.code, Some(0), "{}", whole.stderr);
    // In windows of a page, customer 0 is stored before customer 1's pages come: it gives up.
    let (windowed, trace) = import(&file, Some(1));
    assert!(trace.contains(GAVE_UP), "{trace}");
    assert_eq!(windowed, whole);
    // In windows that hold the whole file, nothing is stored before the file ends: no need.
    let (windowed, trace) = import(&file, Some(1 << 20));
    assert!(trace.contains(STREAMED), "{trace}");
    assert_eq!(windowed, whole);
}

#[test]
fn broken_json_cut_into_windows_is_refused_as_the_whole_read_refuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let text = serde_json::to_string_pretty(&customer_base(4, 12, 6)).unwrap();
    let body = text.trim_end().strip_suffix(']').unwrap();
    let between = text.find("},\n  {").unwrap() + 1;
    let broken = [
        ("trailing-comma", format!("{},\n]", body.trim_end())),
        ("brace-closes", format!("{body}}}")),
        ("garbage-after", format!("{text}\nx")),
        ("cut-off", body.to_string()),
        ("empty-element", format!("{},,{}", &text[..between], &text[between + 1..])),
        ("empty-array", "[ ]".to_string()),
        ("nul-byte", text.replacen("Credit pack", "Credit \u{0}pack", 1)),
        // Nested deeper than the 128 levels a JSON file may: the cutter counts, and says so.
        (
            "too-deep",
            text.replacen("\"metadata\": {}", &format!("\"metadata\": {}{}", "[".repeat(130), "]".repeat(130)), 1),
        ),
    ];
    for (name, bad) in &broken {
        let file = write(dir.path(), &format!("{name}.json"), bad);
        let (whole, _) = import(&file, None);
        for window in [1, 300, 1 << 20] {
            let (windowed, trace) = import(&file, Some(window));
            assert!(!trace.contains(STREAMED), "{name} in windows of {window}:\n{trace}");
            assert_eq!(windowed, whole, "{name} in windows of {window}");
        }
        if *name != "empty-array" {
            assert_eq!(whole.code, Some(2), "{name}: {}", whole.stdout);
            assert!(whole.stderr.contains(&format!("{name}.json:")), "{name}: {}", whole.stderr);
        }
    }
}

#[test]
fn a_customer_base_imported_again_unchanged_is_recorded_as_known_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "base.json", &serde_json::to_string(&customer_base(5, 20, 8)).unwrap());
    let file_arg = file.to_string_lossy().into_owned();
    let db = Db::new();
    assert!(db.import(&file_arg).contains("100 entries (stripe-json): 100 new, 0 already known"));
    let before = tables(&db.path);
    let run = |db: &Db| {
        let out = db.command(&["import", &file_arg]).env("RECKON_TRACE", "1").output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (out, trace) = run(&db);
    assert!(trace.contains("import: known file of many ledgers"), "{trace}");
    assert!(out.contains("100 entries (stripe-json): 0 new, 100 already known, 0 conflicting"), "{out}");
    // Every ledger the file went to has the import recorded (6: customer 1 pays in two
    // currencies), and nothing else changed.
    let after = tables(&db.path);
    let files = |t: &[(String, Vec<String>)]| t.iter().find(|(n, _)| n == "source_file").unwrap().1.len();
    assert_eq!((files(&before), files(&after)), (6, 12));
    let entries = |t: &[(String, Vec<String>)]| t.iter().find(|(n, _)| n == "entry_block").unwrap().1.clone();
    assert_eq!(entries(&after), entries(&before));

    // Changed by one byte, it is read again.
    let changed = std::fs::read_to_string(&file).unwrap().replacen("Credit pack", "Credit pach", 1);
    std::fs::write(&file, changed).unwrap();
    let (out, trace) = run(&db);
    assert!(!trace.contains("known file of many ledgers"), "{trace}");
    assert!(out.contains("99 already known, 1 conflicting"), "{out}");

    // A Reverie export names no ledger: the same bytes into another account are new there.
    let db = Db::new();
    db.ok(&["import", "--account", "alice", "fixtures/clean.csv"], 0);
    let again = db.ok(&["import", "--account", "bob", "fixtures/clean.csv"], 0);
    assert!(again.contains("0 already known"), "{again}");
}

/// A customer base's check (64 chains or more) reads each chain on the connection's thread
/// while a second thread checks the ones read before, with a read-only connection of its own
/// for label texts. It prints what the check on one thread prints, on the first check and on
/// the next (the history then compares), with an explained finding among them.
#[test]
fn a_customer_base_checked_on_two_threads_prints_what_one_thread_prints() {
    let db = Db::new();
    let base = customer_base(150, 12, 5);
    let file = write(db.dir(), "base.json", &serde_json::to_string(&base).unwrap());
    db.import(&file.to_string_lossy());
    // 151 ledgers (customer 1 pays in two currencies): on two threads by default.
    let out = db.command(&["check", "--format", "json"]).env("RECKON_TRACE", "1").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("check: on two threads"));
    let first = crate::stream_check::same_on_one_thread_and_two(&db, "a customer base, first check");
    let chains = first["chains"].as_array().unwrap();
    let findings = first["findings"].as_array().unwrap();
    assert_eq!(chains.len(), 151);
    // Customers 0, 3, ..., 147 each have their break.
    let mut broken: Vec<&str> = findings
        .iter()
        .filter(|f| f["kind"] == "balance_break")
        .map(|f| &f["transaction_ids"][0].as_str().unwrap()[..10])
        .collect();
    broken.dedup();
    let planted: Vec<String> = (0..150).step_by(3).map(|c| format!("cbtxn_{c:04}")).collect();
    assert_eq!(broken, planted);
    let id = findings[1]["id"].as_str().unwrap();
    db.ok(&["explain", id, "--note", "a goodwill credit"], 0);
    let again = crate::stream_check::same_on_one_thread_and_two(&db, "a customer base, checked again");
    // The explained finding is left out of the open ones, on both paths alike.
    let open = again["findings"].as_array().unwrap();
    assert_eq!(open.len(), findings.len() - 1);
    assert!(open.iter().all(|f| f["id"] != id));
}
