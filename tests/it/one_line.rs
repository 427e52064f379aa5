//! JSON written on one line, as APIs answer and `json.dump` saves: every JSON reader places its
//! entries in time linear in the file, whatever the file's line structure, and reads exactly
//! what it reads from the same answer pretty-printed.

use std::path::Path;

use reckon::import::{position_bytes_scanned, reader};

use crate::support::Db;

/// A Reverie Open API entry, number `i` of a ledger whose balance starts at 1,000,000.
fn reverie(i: usize) -> String {
    let balance = 1_000_000 - i as i64;
    format!(
        r#"{{"id": "txn_{i:08}", "created_at": "2026-03-{:02}T{:02}:{:02}:{:02}Z", "type": "CHAT", "description": "Aria reply, 41 tokens: “ünïcode”", "amount": "-1.00", "balance_after": "{balance}.00", "character": "Aria", "model": null}}"#,
        1 + i / 86_400,
        (i / 3600) % 24,
        (i / 60) % 60,
        i % 60
    )
}

/// An Orb ledger entry, newest first: entry `i` of `n`.
fn orb(i: usize, n: usize) -> String {
    let seq = n - i;
    let ending = 1_000_000 - seq as i64;
    format!(
        r#"{{"id": "orb_{seq:08}", "ledger_sequence_number": {seq}, "entry_type": "decrement", "entry_status": "committed", "customer": {{"id": "cus_1", "external_customer_id": "acme"}}, "starting_balance": {}.0, "ending_balance": {ending}.0, "amount": -1.0, "currency": "USD", "created_at": "2026-03-01T00:00:00+00:00", "description": "API call ✓", "credit_block": {{"id": "blk_1", "expiry_date": null}}, "metadata": {{}}}}"#,
        ending + 1
    )
}

/// A Stripe customer balance transaction, newest first: entry `i` of `n`.
fn stripe(i: usize, n: usize) -> String {
    let seq = n - i;
    let ending = -1_000_000 + seq as i64;
    format!(
        r#"{{"id": "cbtxn_{seq:08}", "object": "customer_balance_transaction", "amount": 1, "checkout_session": null, "created": {}, "credit_note": null, "currency": "usd", "customer": "cus_1", "description": "Applied to invoice é", "ending_balance": {ending}, "invoice": "in_1", "livemode": false, "metadata": {{}}, "type": "applied_to_invoice"}}"#,
        1_772_323_200 + seq
    )
}

/// The reader's whole answer for `n` entries, on one line or with an entry a line.
fn answer(name: &str, n: usize, one_line: bool) -> String {
    let sep = if one_line { ", " } else { ",\n  " };
    let entries: Vec<String> = (0..n)
        .map(|i| match name {
            "reverie-json" => reverie(i),
            "orb-json" => orb(i, n),
            _ => stripe(i, n),
        })
        .collect();
    let (head, tail) = match name {
        "reverie-json" => ("{\"data\": [", "], \"next_cursor\": null}"),
        "orb-json" => ("{\"data\": [", "], \"pagination_metadata\": {\"has_more\": false, \"next_cursor\": null}}"),
        _ => (
            "{\"object\": \"list\", \"data\": [",
            "], \"has_more\": false, \"url\": \"/v1/customers/cus_1/balance_transactions\"}",
        ),
    };
    let nl = if one_line { "" } else { "\n  " };
    format!("{head}{nl}{}{}{tail}", entries.join(sep), if one_line { "" } else { "\n" })
}

const READERS: [&str; 3] = ["reverie-json", "orb-json", "stripe-json"];

/// Bytes scanned to place the entries of `text` at a line and column, through `name`'s parse.
fn scanned(name: &str, text: String) -> u64 {
    let parse = reader(name).unwrap().parse.unwrap();
    let before = position_bytes_scanned();
    let parsed = parse(Path::new("answer.json"), text.into_bytes()).unwrap();
    assert!(!parsed.entries.is_empty());
    position_bytes_scanned() - before
}

/// The complexity guard, without a clock: doubling a one-line answer at most doubles the bytes
/// scanned to place its entries (a cursor that counts a column from the line's start scans
/// the line once per entry: four times as much for twice the entries).
#[test]
fn placing_entries_scans_a_one_line_file_once() {
    for name in READERS {
        let (small, large) = (scanned(name, answer(name, 2_000, true)), scanned(name, answer(name, 4_000, true)));
        assert!(small > 0, "{name}: nothing scanned");
        assert!(large <= 2 * small + 4096, "{name}: {small} bytes scanned for 2,000 entries, {large} for 4,000");
        let text = answer(name, 4_000, true);
        let len = text.len() as u64;
        // Each byte before the last entry is read once for lines and at most once for columns.
        assert!(scanned(name, text) <= 2 * len, "{name}: a byte scanned more than twice");
    }
}

/// The same answer on one line and pretty-printed: the same entries, amounts and balances.
#[test]
fn one_line_and_pretty_answers_read_the_same_entries() {
    for name in READERS {
        let parse = reader(name).unwrap().parse.unwrap();
        let one = parse(Path::new("one.json"), answer(name, 500, true).into_bytes()).unwrap();
        let pretty = parse(Path::new("pretty.json"), answer(name, 500, false).into_bytes()).unwrap();
        assert_eq!(one.entries.len(), 500, "{name}");
        let key = |f: &reckon::model::ParsedFile| {
            f.entries.iter().map(|e| (e.txn_id.clone(), e.ts, e.amount, e.balance_after)).collect::<Vec<_>>()
        };
        assert_eq!(key(&one), key(&pretty), "{name}");
        assert!(one.entries.iter().all(|e| e.line == 1), "{name}: a one-line file has one line");
        assert!(pretty.entries.iter().skip(1).all(|e| e.line > 1), "{name}: pretty entries have their own lines");
    }
}

/// A bad value deep in a one-line file is placed at its exact column (characters, not bytes).
#[test]
fn an_error_in_a_one_line_file_names_its_exact_column() {
    let mut text = answer("reverie-json", 3_000, true);
    let at = text.find("txn_00002500").unwrap();
    let amount = at + text[at..].find("\"amount\": \"-1.00\"").unwrap() + "\"amount\": ".len();
    text.replace_range(amount..amount + "\"-1.00\"".len(), "\"-1.0x\"");
    let column = text[..amount].chars().count() as u64 + 1;
    let err = reader("reverie-json").unwrap().parse.unwrap()(Path::new("one.json"), text.into_bytes()).unwrap_err();
    let message = err.to_string();
    assert!(message.contains(&format!("one.json:1:{column}:")), "{message}");
}

/// The hostile corpus's large one-line answers: 60,000 entries of each JSON reader on one
/// line, imported through the CLI, every entry read, the ledger's balance the last entry's.
#[test]
fn large_one_line_answers_of_every_reader_import_whole() {
    let db = Db::new();
    for name in READERS {
        let n = 60_000;
        let file = db.dir().join(format!("{name}-one-line.json"));
        std::fs::write(&file, answer(name, n, true)).unwrap();
        let out = db.ok(&["import", file.to_str().unwrap()], 0);
        assert!(out.contains(&format!(": {n} entries ({name}): {n} new")), "{name}: {out}");
    }
    let (check, _) = db.check_json(&[]);
    let chains = check["chains"].as_array().unwrap();
    assert_eq!(chains.len(), 3, "{check}");
    let errors = check["findings"].as_array().unwrap().iter().filter(|f| f["severity"] == "error").count();
    assert_eq!(errors, 0, "{check}");
}
