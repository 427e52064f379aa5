//! The hostile corpus (`fixtures/hostile/`, written by `scripts/make_hostile.py` with the
//! expected outcome of each file in `expected.json`): every file goes through the `reckon`
//! binary into a database that already holds fixtures/clean.csv. A refused file exits 2 with a
//! message naming the file and its line, and leaves the database byte-identical; an accepted
//! one exits 0 having read exactly the expected number of entries. Usage feed files (`feed-*`)
//! go to an account of their own; grant ledger files (`grant-*`), whose chains are named by
//! their currencies in the default account, into a database holding clean.csv under another
//! account. A refused feed or grant ledger must also name the column (`file:line:column:`) and
//! say how to fix it.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{self, fault, faults, isolate_home, Db};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The database files (the main file and any SQLite sidecars) in `dir`, with their bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("reckon.db"))
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    files
}

/// Runs one file; `None` when it did what `expect` says, else what went wrong.
fn run_one(base: &Path, name: &str, expect: &Value) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    for (path, bytes) in snapshot(base) {
        std::fs::write(dir.path().join(path.file_name().unwrap()), bytes).unwrap();
    }
    let before = snapshot(dir.path());
    let file = format!("fixtures/hostile/{name}");
    let mut command = Command::new(env!("CARGO_BIN_EXE_reckon"));
    command
        .arg("--db")
        .arg(dir.path().join("reckon.db"))
        .args(["import", &file])
        // The usage feed is another source than the Reverie ledger the database holds.
        .args(match name.split('-').next() {
            Some("feed") => &["--account", "feed"][..],
            // The workspace page's tabs are another source too.
            Some("ws") => &["--account", "workspace"][..],
            _ => &[],
        })
        .env("TZ", "UTC")
        .current_dir(root());
    isolate_home(&mut command, dir.path());
    let out = command.output().unwrap();
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let code = out.status.code();
    if expect["refused"] == Value::Bool(true) {
        if code != Some(2) {
            return Some(format!("{name}: expected refused, got {code:?}: {stdout}{stderr}"));
        }
        let named = match expect["line"].as_u64() {
            Some(line) => stderr.contains(&format!("{file}:{line}:")),
            None => stderr
                .split_once(&format!("{file}:"))
                .and_then(|(_, rest)| rest.split(':').next()?.parse::<u64>().ok())
                .is_some_and(|line| line >= 1),
        };
        if !named {
            return Some(format!("{name}: expected line {}, got: {stderr}", expect["line"]));
        }
        if new_shape(name) {
            if let Err(why) = names_column_and_fix(&stderr, &file) {
                return Some(format!("{name}: {why}: {stderr}"));
            }
        }
        if stderr.len() > 1_000 {
            return Some(format!("{name}: a {} byte message", stderr.len()));
        }
        if snapshot(dir.path()) != before {
            return Some(format!("{name}: refused, but the database changed"));
        }
    } else {
        let n = expect["entries"].as_u64().unwrap();
        if code != Some(0) || !stdout.contains(&format!(": {n} entries (")) {
            return Some(format!("{name}: expected {n} entries, got {code:?}: {stdout}{stderr}"));
        }
    }
    None
}

/// A corpus file of the usage feed, the grant ledger or the workspace page's tabs.
fn new_shape(name: &str) -> bool {
    name.starts_with("feed-") || name.starts_with("grant-") || name.starts_with("ws-")
}

/// What every refusal of the new shapes' readers says: `reckon: FILE:LINE:COLUMN: ` and how to
/// fix it (one of the remedies the readers give).
fn names_column_and_fix(stderr: &str, file: &str) -> Result<(), String> {
    let rest = stderr.strip_prefix(&format!("reckon: {file}:")).ok_or("not `reckon: FILE:`")?;
    let mut parts = rest.splitn(3, ':');
    let (line, column) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if line.parse::<u64>().map_or(true, |l| l < 1) || column.parse::<u64>().map_or(true, |c| c < 1) {
        return Err("no line and column".into());
    }
    const FIXES: [&str; 9] = [
        "Correct that value in the file and import again",
        "Add the column",
        "Keep one of them",
        "xport it again",
        "or add the missing fields",
        "ave the export as UTF-8",
        "save it as \"CSV UTF-8\"",
        "check that this is the right file",
        "close the quote",
    ];
    if !FIXES.iter().any(|f| stderr.contains(f)) {
        return Err("no fix in the message".into());
    }
    Ok(())
}

#[test]
fn every_hostile_file_is_refused_or_read_exactly() {
    let expected: serde_json::Map<String, Value> =
        serde_json::from_slice(&std::fs::read(root().join("fixtures/hostile/expected.json")).unwrap()).unwrap();
    let on_disk = std::fs::read_dir(root().join("fixtures/hostile")).unwrap().count() - 1;
    assert_eq!(on_disk, expected.len(), "every file has an expectation (run scripts/make_hostile.py)");
    assert!(expected.len() >= 300, "{} files", expected.len());
    let db = Db::new();
    db.import("fixtures/clean.csv");
    // The grant ledger's `credits` chain is default/credits: Reverie's goes elsewhere.
    let aside = Db::new();
    aside.ok(&["import", "--account", "reverie", "fixtures/clean.csv"], 0);
    let cases: Vec<(&String, &Value)> = expected.iter().collect();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(4);
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let (cases, base, aside) = (&cases, db.dir(), aside.dir());
                scope.spawn(move || {
                    cases
                        .iter()
                        .skip(w)
                        .step_by(workers)
                        .filter_map(|(n, e)| run_one(if n.starts_with("grant-") { aside } else { base }, n, e))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert!(failures.is_empty(), "{} of {} files:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// The first and last instants Reckon reads (1900-01-01T00:00:00Z and 2999-12-31T23:59:59.999999Z,
/// written with offsets in the file), exported in UTC and in the zones furthest from it (UTC+14,
/// UTC-12), read back as the same entries: no export writes a time its own import refuses
/// (years 0000 and 9999 used to go out as `+10000-...`; the edges themselves used to be refused).
#[test]
fn the_edge_times_round_trip_through_exports() {
    let db = Db::new();
    let csv = db.dir().join("edges.csv");
    std::fs::write(
        &csv,
        "Transaction ID,Date,Type,Description,Amount,Balance after\n\
         txn_first,1899-12-31T10:00:00-14:00,PURCHASE,First,\"+1,000,000,000\",1000000000.00\n\
         txn_last,3000-01-01T13:59:59.999999000+14:00,CHAT,Last,-1000000000,0\n",
    )
    .unwrap();
    let out = db.ok(&["import", csv.to_str().unwrap()], 0);
    assert!(out.contains(": 2 entries (reverie-csv): 2 new"), "{out}");
    for (tz, format) in [("UTC", "csv"), ("Etc/GMT-14", "csv"), ("Etc/GMT+12", "csv"), ("Etc/GMT-14", "json")] {
        let file = db.dir().join(format!("out-{}.{format}", tz.replace('/', "-")));
        let mut export = db.command(&["ledger", "--export", format, "--local", "--out", file.to_str().unwrap()]);
        let status = export.env("TZ", tz).status().unwrap();
        assert!(status.success(), "{tz} {format}");
        let other = Db::new();
        let out = other.ok(&["import", file.to_str().unwrap()], 0);
        assert!(out.contains(": 2 entries ("), "{tz} {format}: {out}");
        // Importing it where the originals are: the same two entries, known.
        let again = db.ok(&["import", file.to_str().unwrap()], 0);
        assert!(again.contains("0 new, 2 already known, 0 conflicting"), "{tz} {format}: {again}");
    }
    let out = db.ok(&["ledger", "--format", "json"], 0);
    assert!(out.contains("1900-01-01T00:00:00") && out.contains("2999-12-31T23:59:59.999999"), "{out}");
}

/// The range's edges in UTC, read by the CSV and the JSON readers alike (`parse_time` is
/// shared); `2999-12-31T23:59:59-05:00` is 3000 in UTC, and a seventh digit of a second that is
/// not zero would be dropped: both refused, naming the value and the rule.
#[test]
fn the_edges_of_the_range_in_csv_and_json() {
    let db = Db::new();
    let csv = db.dir().join("edges.csv");
    std::fs::write(
        &csv,
        "Transaction ID,Date,Type,Description,Amount,Balance after\n\
         txn_first,1900-01-01T00:00:00Z,PURCHASE,First,+10,10\n\
         txn_last,2999-12-31T23:59:59Z,CHAT,Last,-1,9\n",
    )
    .unwrap();
    let json = db.dir().join("edges.json");
    std::fs::write(
        &json,
        r#"{"data": [
{"id": "txn_a", "created_at": "1900-01-01T00:00:00Z", "type": "PURCHASE", "description": "a", "amount": "10", "balance_after": "10"},
{"id": "txn_b", "created_at": "2999-12-31T23:59:59Z", "type": "CHAT", "description": "b", "amount": "-1", "balance_after": "9"}
]}"#,
    )
    .unwrap();
    for file in [&csv, &json] {
        let out = Db::new().ok(&["import", file.to_str().unwrap()], 0);
        assert!(out.contains(": 2 entries ("), "{out}");
    }
    for (value, json_value) in [
        ("2999-12-31T23:59:59-05:00", "2999-12-31T23:59:59-05:00"),
        ("1900-01-01T00:00:00+00:01", "1900-01-01T00:00:00+00:01"),
        ("2026-03-01T08:00:00.1234567Z", "2026-03-01T08:00:00.1234567Z"),
    ] {
        for (file, from, to) in [(&csv, "2999-12-31T23:59:59Z", value), (&json, "2999-12-31T23:59:59Z", json_value)] {
            let bad = db.dir().join(format!("bad.{}", file.extension().unwrap().to_str().unwrap()));
            std::fs::write(&bad, std::fs::read_to_string(file).unwrap().replace(from, to)).unwrap();
            let out = Db::new().run(&["import", bad.to_str().unwrap()]);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{value}: {err}");
            assert!(err.contains(":3:") && err.contains(&format!("{to:?}")), "{value}: {err}");
            assert!(err.contains("Reckon keeps microseconds") && err.contains("2999-12-31T23:59:59Z in UTC"), "{err}");
        }
    }
}

/// The database's chains, entries and anchors, as `reckon chains`, `reckon ledger` and `reckon
/// anchor list` print them.
fn contents(db: &Db) -> String {
    let mut out = db.ok(&["chains"], 0);
    out.push_str(&db.ok(&["anchor", "list"], 0));
    for chain in ["reverie/credits", "feed/credits", "default/credits", "default/USD", "workspace/credits"] {
        let (account, currency) = chain.split_once('/').unwrap();
        let run =
            db.run(&["ledger", "--account", account, "--currency", currency, "--limit", "1000", "--format", "json"]);
        out.push_str(&String::from_utf8_lossy(&run.stdout));
        out.push_str(&String::from_utf8_lossy(&run.stderr));
    }
    out
}

/// One message per kind of damage in the new shapes (tests/errors/<file>.txt): a Kind that is
/// neither, negative Credits, a refund naming itself, an unreadable time, a Balance change whose
/// sides do not differ by the Amount or has one side, a pending grant that changes the available
/// balance, a grant settling itself, an amount beyond the range, a row short of fields, a column
/// twice. Each names file:line:column and the fix, and `reckon chains` and every ledger read
/// the same before and after (a database that already holds both sources and Reverie's).
#[test]
fn each_damaged_feed_or_grant_ledger_is_refused_with_its_place_and_fix() {
    let db = Db::new();
    db.ok(&["import", "--account", "reverie", "fixtures/clean.csv"], 0);
    db.ok(&["import", "--account", "feed", "fixtures/usage-feed.csv"], 0);
    db.import("fixtures/grant-ledger.csv");
    let before = contents(&db);
    assert!(before.contains("gl_011") && before.contains("use_0015") && before.contains("txn_"), "{before}");
    for name in [
        "feed-field-00-kind.csv",
        "feed-field-04-credits.csv",
        "feed-refund-of-self.csv",
        "feed-field-12-time.csv",
        "feed-balance-beyond-limit.csv",
        "feed-row-too-few-fields.csv",
        "feed-duplicate-credits.csv",
        "feed-quoted-newline-then-bad-kind.csv",
        "grant-field-00-kind.csv",
        "grant-field-06-amount.csv",
        "grant-field-12-amount-balance_change.csv",
        "grant-field-15-balance_change.csv",
        "grant-field-16-balance_change.csv",
        "grant-field-26-balance_change.csv",
        "grant-field-31-settles.csv",
        "grant-field-36-time.csv",
        "grant-row-too-few-fields.csv",
        "grant-utf16le-nobom.csv",
        "feed-missing-credits.csv",
        "grant-missing-balance-change.csv",
    ] {
        let file = format!("fixtures/hostile/{name}");
        let account: &[&str] = if name.starts_with("feed-") { &["--account", "feed"] } else { &[] };
        let out = db.run(&[&["import"][..], account, &[file.as_str()]].concat());
        let message = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}: {message}");
        assert!(out.stdout.is_empty(), "{name}: nothing reported as imported");
        names_column_and_fix(&message, &file).unwrap_or_else(|why| panic!("{name}: {why}: {message}"));
        support::snapshot("errors", &format!("{name}.txt"), &message);
        assert_eq!(contents(&db), before, "{name}: the database is unchanged");
    }
}

/// Where FORMATS.md is silent, what a grant ledger's `Settles` may name: an entry the ledger
/// does not hold (an earlier export's pending grant) or one that is not a pending grant is
/// kept, and the grant counts as a grant; the pending grant it no longer settles is then
/// unsettled. A pending grant whose `Balance change` says the balance did not move is read as
/// one with none. A refund that names a refund is paired by amount like one naming nothing.
#[test]
fn settles_naming_no_pending_grant_is_kept_and_the_pending_one_is_unsettled() {
    for name in ["grant-field-32-settles.csv", "grant-field-33-settles.csv", "grant-field-34-settles.csv"] {
        let db = Db::new();
        let out = db.ok(&["import", &format!("fixtures/hostile/{name}")], 0);
        assert!(out.contains(": 12 entries (grant-ledger-csv): 12 new"), "{name}: {out}");
        let (check, _) = db.check_json(&[]);
        let found = faults(&check);
        let expected = vec![
            fault("pending_overspend", &["gl_004"], Some("120.00")),
            fault("pending_unsettled", &["gl_003"], Some("500.00")),
            fault("pending_unsettled", &["gl_008"], Some("200.00")),
            fault("settled_amount_mismatch", &["gl_006", "gl_007"], Some("-50.00")),
        ];
        assert_eq!(found, expected, "{name}");
    }
    let db = Db::new();
    db.ok(&["import", "fixtures/hostile/grant-field-27-balance_change.csv"], 0);
    let same = db.check_json(&[]).0;
    let db = Db::new();
    db.import("fixtures/grant-ledger.csv");
    assert_eq!(faults(&same), faults(&db.check_json(&[]).0), "880 -> 880 on a pending grant is no change");
}

/// One message per kind of damage in the workspace page's four tabs (tests/errors/<file>.txt):
/// an empty ID, negative, unreadable or thousands-misplaced Credits, a Message Count that is no
/// count, an unreadable time, an empty adjustment Type, an Amount past the range, a negative
/// Package reset, a header short of a column or naming one twice, a row short of fields, a cut
/// inside a quote, Latin-1 text, UTF-16 without a byte-order mark. Each names
/// file:line:column and the fix, and the chains, every ledger and the anchors (the tabs' package
/// reset among them) read the same before and after.
#[test]
fn each_damaged_workspace_tab_is_refused_with_its_place_and_fix() {
    let db = Db::new();
    db.ok(&["import", "--account", "reverie", "fixtures/clean.csv"], 0);
    for tab in ["conversations", "mcp-calls", "import-usage", "credit-adjustments"] {
        db.ok(&["import", "--account", "workspace", &format!("fixtures/workspace-{tab}.csv")], 0);
    }
    let before = contents(&db);
    assert!(before.contains("cv_7f3a04") && before.contains("Package reset (") && before.contains("txn_"), "{before}");
    for name in [
        "ws-conv-field-00-conversation_id.csv",
        "ws-conv-field-05-message_count.csv",
        "ws-conv-field-12-message_count.csv",
        "ws-conv-field-19-credits.csv",
        "ws-conv-missing-updated-at.csv",
        "ws-conv-quoted-newline-then-bad-credits.csv",
        "ws-mcp-field-01-call_id.csv",
        "ws-mcp-field-24-created_at.csv",
        "ws-mcp-missing-call-id.csv",
        "ws-mcp-row-too-few-fields.csv",
        "ws-imp-field-20-credits.csv",
        "ws-imp-duplicate-id-case.csv",
        "ws-imp-latin1-import_url.csv",
        "ws-adj-field-00-type.csv",
        "ws-adj-field-18-amount.csv",
        "ws-adj-reset-01-amount.csv",
        "ws-adj-missing-amount.csv",
        "ws-adj-cut-in-quote.csv",
        "ws-adj-utf16le-nobom.csv",
    ] {
        let file = format!("fixtures/hostile/{name}");
        let out = db.run(&["import", "--account", "workspace", &file]);
        let message = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}: {message}");
        assert!(out.stdout.is_empty(), "{name}: nothing reported as imported");
        names_column_and_fix(&message, &file).unwrap_or_else(|why| panic!("{name}: {why}: {message}"));
        support::snapshot("errors", &format!("{name}.txt"), &message);
        assert_eq!(contents(&db), before, "{name}: the database is unchanged");
    }
}
