//! `reckon export --journal`: the journal checked by the real tools. hledger (Debian package
//! `hledger`) and bean-check (beancount, installed by scripts/setup.sh into
//! `target/journal-venv`) must accept a clean ledger and fail on a balance break at the entry
//! `reckon check` names. A missing tool fails these tests: scripts/setup.sh installs both.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{isolate_home, Db};

/// `bean-check`: `$RECKON_BEAN_CHECK`, else the venv scripts/setup.sh makes in the target
/// directory, else from `PATH`.
fn bean_check() -> PathBuf {
    if let Some(path) = std::env::var_os("RECKON_BEAN_CHECK") {
        return PathBuf::from(path);
    }
    // The binary is target/<profile>/reckon: the target directory is two up.
    let target = Path::new(env!("CARGO_BIN_EXE_reckon")).parent().and_then(Path::parent).expect("target directory");
    let venv = target.join("journal-venv/bin/bean-check");
    if venv.is_file() {
        venv
    } else {
        PathBuf::from("bean-check")
    }
}

/// Runs a journal tool on `file`; a tool that is not installed fails the test, saying how to
/// install it.
fn tool(program: &Path, args: &[&str], file: &Path, dir: &Path) -> Output {
    let mut command = Command::new(program);
    command.args(args).arg(file);
    isolate_home(&mut command, dir);
    command.output().unwrap_or_else(|e| {
        panic!(
            "{} could not run ({e}); scripts/setup.sh installs hledger (apt) and beancount (target/journal-venv)",
            program.display()
        )
    })
}

fn hledger(file: &Path, dir: &Path) -> Output {
    tool(Path::new("hledger"), &["check", "--strict", "-f"], file, dir)
}

fn beancount(file: &Path, dir: &Path) -> Output {
    tool(&bean_check(), &[], file, dir)
}

/// Exports the database's one ledger as a journal file and returns its path and text.
fn export(db: &Db, syntax: &str) -> (PathBuf, String) {
    let file = db.dir().join(format!("books.{syntax}"));
    db.ok(&["export", "--journal", syntax, "-o", file.to_str().unwrap()], 0);
    let text = std::fs::read_to_string(&file).expect("journal written");
    (file, text)
}

/// The 1-based line number a tool's error names (`(line 812, column 44)`, `books.beancount:812:`).
fn failing_line(stderr: &str, file: &Path) -> usize {
    let name = file.display().to_string();
    let at = stderr
        .find("(line ")
        .map(|i| &stderr[i + 6..])
        .or_else(|| stderr.find(&format!("{name}:")).map(|i| &stderr[i + name.len() + 1..]))
        .unwrap_or_else(|| panic!("no line in the tool's error:\n{stderr}"));
    at.split(|c: char| !c.is_ascii_digit()).next().and_then(|n| n.parse().ok()).expect("a line number")
}

/// The 1-based line of the beancount transaction or hledger transaction line of `txn`.
fn entry_line(text: &str, syntax: &str, txn: &str) -> usize {
    let needle = if syntax == "hledger" { format!("; txn:{txn},") } else { format!("  txn: \"{txn}\"") };
    text.lines().position(|l| l.contains(&needle)).unwrap_or_else(|| panic!("{txn} is not in the journal")) + 1
}

/// The error findings of `check --format json` and the transaction ID each is about: the
/// entry after the gap for a break, the one entry for the others.
fn errors(db: &Db) -> Vec<(String, String)> {
    let (report, _) = db.check_json(&[]);
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| {
            let ids: Vec<&str> = f["transaction_ids"].as_array().unwrap().iter().map(|i| i.as_str().unwrap()).collect();
            (f["kind"].as_str().unwrap().to_string(), ids.last().expect("an entry").to_string())
        })
        .collect()
}

/// `fixtures/clean.csv` without the row of `txn`: a lost entry, so a balance break.
fn clean_without(db: &Db, txn: &str) -> PathBuf {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/clean.csv")).unwrap();
    let kept: Vec<&str> = text.lines().filter(|l| !l.starts_with(&format!("{txn},"))).collect();
    assert_eq!(kept.len() + 1, text.lines().count(), "{txn} is one row of clean.csv");
    let path = db.dir().join("lost-entry.csv");
    std::fs::write(&path, kept.join("\n") + "\n").unwrap();
    path
}

#[test]
fn hledger_accepts_the_clean_ledger_and_ends_at_its_balance() {
    let db = Db::new();
    db.import("fixtures/clean.csv");
    let (report, code) = db.check_json(&[]);
    assert_eq!(code, 0, "clean.csv has no finding: {report}");
    let (file, text) = export(&db, "hledger");
    let out = hledger(&file, db.dir());
    assert!(out.status.success(), "hledger check refused the clean ledger:\n{}", String::from_utf8_lossy(&out.stderr));
    // An assertion on every entry (each states its balance) and on the opening balance.
    let entries = report["chains"][0]["entries"].as_u64().unwrap() as usize;
    assert_eq!(text.lines().filter(|l| l.contains(" CREDITS = ")).count(), entries + 1);
    // hledger's own sum of the asset account is the ledger's balance.
    let mut command = Command::new("hledger");
    command.args(["-f", file.to_str().unwrap(), "balance", "--flat", "-N", "Assets"]);
    isolate_home(&mut command, db.dir());
    let balance = String::from_utf8(command.output().expect("hledger runs").stdout).unwrap();
    let ledger = report["chains"][0]["ledger_balance"].as_str().unwrap();
    assert!(balance.contains(&format!("{ledger} CREDITS  Assets:Credits:Default")), "{balance} vs {ledger}");
}

#[test]
fn beancount_accepts_the_clean_ledger() {
    let db = Db::new();
    db.import("fixtures/clean.csv");
    let (file, text) = export(&db, "beancount");
    let out = beancount(&file, db.dir());
    assert!(
        out.status.success(),
        "bean-check refused the clean ledger:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // One check a day, the morning after each day of entries.
    let csv = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/clean.csv")).unwrap();
    let days: std::collections::BTreeSet<&str> =
        csv.lines().skip(1).map(|l| &l.split(',').nth(1).unwrap()[..10]).collect();
    assert!(days.len() > 5, "{days:?}");
    assert_eq!(text.lines().filter(|l| l.contains(" balance Assets:Credits:Default ")).count(), days.len(), "{text}");
}

#[test]
fn hledger_rejects_a_lost_entry_at_the_entry_reckon_names() {
    let db = Db::new();
    let broken = clean_without(&db, "txn_c1dbc799b0");
    db.import(broken.to_str().unwrap());
    let errors = errors(&db);
    assert_eq!(errors.len(), 1, "one break: {errors:?}");
    let (kind, after_gap) = &errors[0];
    assert_eq!(kind, "balance_break");
    let (file, text) = export(&db, "hledger");
    let out = hledger(&file, db.dir());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("balance assertion"), "hledger check passed a break:\n{stderr}");
    // hledger names the posting line; the transaction line right before it carries the ID.
    let line = failing_line(&stderr, &file);
    assert_eq!(entry_line(&text, "hledger", after_gap), line - 1, "hledger failed at line {line}:\n{stderr}");
    // The finding is a comment right above it.
    let above = text.lines().take(line - 2).collect::<Vec<_>>().join("\n");
    assert!(above.trim_end().ends_with(";   open") && above.contains("balance_break (error, delta "), "{above}");
}

#[test]
fn beancount_rejects_a_lost_entry_at_the_first_check_after_the_entry_reckon_names() {
    let db = Db::new();
    let broken = clean_without(&db, "txn_c1dbc799b0");
    db.import(broken.to_str().unwrap());
    let errors = errors(&db);
    assert_eq!(errors.len(), 1, "one break: {errors:?}");
    let (file, text) = export(&db, "beancount");
    let out = beancount(&file, db.dir());
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success() && said.contains("Balance failed"), "bean-check passed a break:\n{said}");
    let line = failing_line(&said, &file);
    // beancount has no times: the break is caught by the day's check, the first `balance`
    // directive after the entry, dated the next day.
    let entry = entry_line(&text, "beancount", &errors[0].1);
    let first_check = text.lines().enumerate().skip(entry).find(|(_, l)| l.contains(" balance Assets:")).unwrap().0 + 1;
    assert_eq!(line, first_check, "bean-check failed at line {line}, entry at {entry}:\n{said}");
    assert_eq!(
        said.matches("Balance failed").count(),
        1 + count_checks_after(&text, line),
        "every later day is off too"
    );
}

/// How many `balance` directives follow line `line` (1-based).
fn count_checks_after(text: &str, line: usize) -> usize {
    text.lines().skip(line).filter(|l| l.contains(" balance Assets:")).count()
}

#[test]
fn hledger_and_beancount_stop_on_the_demos_first_error() {
    // The demo ledger (the app's "Open demo ledger") has a lost charge and a misreported
    // balance: both tools fail at an entry Reckon names, the earlier one for hledger.
    let db = Db::new();
    db.import("fixtures/demo.csv");
    let errors = errors(&db);
    let kinds: Vec<&str> = errors.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds.len(), 2, "{errors:?}");
    assert!(kinds.contains(&"balance_break") && kinds.contains(&"misreported_balance"), "{errors:?}");

    let (file, text) = export(&db, "hledger");
    let out = hledger(&file, db.dir());
    assert!(!out.status.success());
    let line = failing_line(&String::from_utf8_lossy(&out.stderr), &file);
    let first = errors.iter().map(|(_, txn)| entry_line(&text, "hledger", txn)).min().unwrap();
    assert_eq!(first, line - 1, "hledger stops at the earlier of Reckon's errors");

    let (file, text) = export(&db, "beancount");
    let out = beancount(&file, db.dir());
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success() && said.contains("Balance failed"), "{said}");
    // Its first failure is the first check after one of the entries Reckon names.
    let line = failing_line(&said, &file);
    let checks: Vec<usize> =
        text.lines().enumerate().filter(|(_, l)| l.contains(" balance Assets:")).map(|(i, _)| i + 1).collect();
    let after = |entry: usize| checks.iter().copied().find(|&c| c > entry).unwrap();
    assert!(
        errors.iter().any(|(_, txn)| after(entry_line(&text, "beancount", txn)) == line),
        "bean-check's first failure at line {line} is not the check after an entry Reckon names:\n{said}"
    );
}

#[test]
fn an_explained_finding_carries_its_note_into_the_journal() {
    let db = Db::new();
    db.import("fixtures/demo.csv");
    let (report, _) = db.check_json(&[]);
    let id = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "balance_break")
        .map(|f| f["id"].as_str().unwrap().to_string())
        .expect("the demo's break");
    db.ok(&["explain", &id, "--note", "vendor confirmed; the charge was lost"], 0);
    for syntax in ["hledger", "beancount"] {
        let (_, text) = export(&db, syntax);
        let at = text.find(&format!("; finding {id} balance_break (error, delta -1.36)")).expect("the finding");
        let next = text[at..].lines().nth(1).unwrap();
        assert!(
            next.starts_with(";   explained ") && next.ends_with(": vendor confirmed; the charge was lost"),
            "{next}"
        );
    }
}

#[test]
fn export_names_the_ledger_it_needs() {
    let db = Db::new();
    db.import("fixtures/clean.csv");
    db.import("fixtures/orb-ledger.json");
    let out = db.run(&["export", "--journal", "hledger"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ledgers (") && stderr.contains("name one with --account and --currency"), "{stderr}");
    let out = db.run(&["export", "--journal", "beancount", "--account", "acme-corp", "--currency", "USD"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(" open Assets:Credits:Acme-corp USD\n"), "{text}");
}
