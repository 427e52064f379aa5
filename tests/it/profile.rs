//! Mapping profiles (docs/FORMATS.md section 7): a bank-style CSV (`;`, decimal comma,
//! thousands dots, separate debit and credit columns, `DD.MM.YYYY`, a balance column) read
//! through a saved profile with a planted balance break found exactly; rows without IDs keyed
//! by their values (a re-import adds none, identical rows are kept); a bad row refused with
//! file:line:column and the database unchanged; the profile's file round-trips.

use crate::support::{fault, faults, file, Db};

const BANK: &[&str] = &[
    "profile",
    "save",
    "bank",
    "--delimiter",
    ";",
    "--decimal-separator",
    ",",
    "--thousands-separator",
    ".",
    "--date-format",
    "DD.MM.YYYY",
    "--time-zone",
    "+01:00",
    "--id-column",
    "Reference",
    "--time-column",
    "Date",
    "--debit-column",
    "Debit",
    "--credit-column",
    "Credit",
    "--balance-column",
    "Balance",
    "--description-column",
    "Text",
    "--dimension-column",
    "Category",
];

#[test]
fn a_bank_csv_imports_through_its_profile_with_the_planted_break_found() {
    let db = Db::new();
    let out = db.ok(BANK, 0);
    assert!(out.contains("saved profile bank"), "{out}");
    let out = db.ok(&["import", "--profile", "bank", "fixtures/bank-debit-credit.csv"], 0);
    assert!(out.contains("8 entries (profile): 8 new, 0 already known, 0 conflicting"), "{out}");
    let (check, code) = db.check_json(&[]);
    // R-1006 (a fee of 2,35) says 3.266,24 where 3.272,94 - 2,35 = 3.270,59, and the rows
    // after it go on from 3.266,24: 4.35 went missing between R-1005 and R-1006.
    assert_eq!(faults(&check), vec![fault("balance_break", &["R-1005", "R-1006"], Some("-4.35"))]);
    assert_eq!(code, 1);
    assert_eq!(check["chains"][0]["ledger_balance"], "5676.34");
    // Exact amounts, the debit signed, the quoted text with its delimiter, the dimension.
    let ledger = db.ok(&["ledger", "--format", "json"], 0);
    let rows: serde_json::Value = serde_json::from_str(&ledger).unwrap();
    let rent = rows["rows"].as_array().unwrap().iter().find(|e| e["id"] == "R-1003").expect("R-1003");
    assert_eq!(rent["amount"], "-1234.56", "{rent}");
    let card = rows["rows"].as_array().unwrap().iter().find(|e| e["id"] == "R-1002").expect("R-1002");
    assert_eq!(card["description"], "Card payment \"Café; Berlin\"", "{card}");
    // 02.01.2026 at +01:00 is 1 January 23:00 UTC.
    let first = rows["rows"].as_array().unwrap().iter().find(|e| e["id"] == "R-1001").expect("R-1001");
    assert!(first["created_at"].as_str().unwrap().starts_with("2026-01-01T23:00:00"), "{first}");
    // The same file again adds nothing.
    let out = db.ok(&["import", "--profile", "bank", "fixtures/bank-debit-credit.csv"], 0);
    assert!(out.contains("0 new, 8 already known"), "{out}");
}

#[test]
fn rows_without_ids_are_keyed_by_value_and_identical_rows_kept() {
    let db = Db::new();
    db.ok(
        &[
            "profile",
            "save",
            "noid",
            "--delimiter",
            ",",
            "--decimal-separator",
            ".",
            "--date-format",
            "YYYY-MM-DD HH:mm",
            "--time-column",
            "When",
            "--amount-column",
            "Amount",
            "--type-column",
            "What",
        ],
        0,
    );
    let text =
        "When,What,Amount\n2026-03-01 08:00,top up,100\n2026-03-01 09:00,coffee,-2.5\n2026-03-01 09:00,coffee,-2.5\n";
    let path = file(&db, "noid.csv", text);
    let out = db.ok(&["import", "--profile", "noid", path.to_str().unwrap()], 0);
    assert!(out.contains("3 new"), "two identical rows are two entries: {out}");
    let out = db.ok(&["import", "--profile", "noid", path.to_str().unwrap()], 0);
    assert!(out.contains("0 new, 3 already known"), "{out}");
    // A later export with a third identical row adds exactly that one.
    let more = file(&db, "more.csv", &format!("{text}2026-03-01 09:00,coffee,-2.5\n"));
    let out = db.ok(&["import", "--profile", "noid", more.to_str().unwrap()], 0);
    assert!(out.contains("1 new, 3 already known"), "{out}");
    let (check, code) = db.check_json(&[]);
    // No balance column: the entries state none, so no balance finding; the types are the
    // file's own, so none is an unknown_type.
    assert!(faults(&check).iter().all(|(k, _, _)| k != "unknown_type" && k != "balance_break"), "{check}");
    assert_eq!(code, 0);
    assert_eq!(check["chains"][0]["entries"], 4);
}

#[test]
fn a_bad_row_is_refused_at_its_line_and_column_and_nothing_is_stored() {
    let db = Db::new();
    db.ok(BANK, 0);
    db.ok(&["import", "--profile", "bank", "fixtures/bank-debit-credit.csv"], 0);
    let before = db.ok(&["ledger", "--format", "json"], 0);
    let text = "Date;Reference;Text;Debit;Credit;Balance;Category\n\
                21.01.2026;R-2001;ok;1,00;;5.675,34;x\n\
                22.01.2026;R-2002;bad;12.34;;5.663,00;x\n";
    let path = file(&db, "bad.csv", text);
    let out = db.run(&["import", "--profile", "bank", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    // "12.34" is a thousands group of two digits: not a number with a decimal comma.
    assert!(err.contains(&format!("{}:3:23: Debit \"12.34\"", path.display())), "{err}");
    assert!(err.contains("decimal ','"), "{err}");
    let bad_date =
        file(&db, "date.csv", "Date;Reference;Text;Debit;Credit;Balance;Category\n2026-01-21;R-3;x;1,00;;1,00;x\n");
    let out = db.run(&["import", "--profile", "bank", bad_date.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:2:1: Date \"2026-01-21\"", bad_date.display())), "{err}");
    assert!(err.contains("DD.MM.YYYY"), "{err}");
    let both =
        file(&db, "both.csv", "Date;Reference;Text;Debit;Credit;Balance;Category\n21.01.2026;R-4;x;1,00;2,00;1,00;x\n");
    let err =
        String::from_utf8_lossy(&db.run(&["import", "--profile", "bank", both.to_str().unwrap()]).stderr).into_owned();
    assert!(err.contains(":2:23: Credit \"2,00\""), "{err}");
    let missing = file(&db, "missing.csv", "Date;Reference;Text;Debit;Balance\n");
    let err = String::from_utf8_lossy(&db.run(&["import", "--profile", "bank", missing.to_str().unwrap()]).stderr)
        .into_owned();
    assert!(err.contains("no \"Credit\" column"), "{err}");
    assert_eq!(db.ok(&["ledger", "--format", "json"], 0), before, "nothing stored");
}

#[test]
fn profiles_are_plain_files_that_round_trip() {
    let db = Db::new();
    db.ok(BANK, 0);
    let file = db.dir().join("home/.config/reckon/profiles/bank.toml");
    let text = std::fs::read_to_string(&file).expect("the profile's file");
    assert!(text.contains("delimiter = \";\"") && text.contains("debit_column = \"Debit\""), "{text}");
    assert_eq!(db.ok(&["profile", "list"], 0), "bank\n");
    let shown = db.ok(&["profile", "show", "bank"], 0);
    assert_eq!(shown.trim(), text.lines().skip(1).collect::<Vec<_>>().join("\n").trim());
    // A file a colleague shares is read as it is.
    std::fs::copy(&file, file.with_file_name("shared.toml")).unwrap();
    assert_eq!(db.ok(&["profile", "list"], 0), "bank\nshared\n");
    let out = db.ok(&["import", "--profile", "shared", "fixtures/bank-debit-credit.csv"], 0);
    assert!(out.contains("8 new"), "{out}");
    db.ok(&["profile", "delete", "shared"], 0);
    assert_eq!(db.ok(&["profile", "list"], 0), "bank\n");
    // Names cannot leave the directory; a missing profile says how to make one.
    let out = db.run(&["profile", "show", "../x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot name a profile"));
    let out = db.run(&["import", "--profile", "nope", "fixtures/bank-debit-credit.csv"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("reckon profile save nope"));
    // Both an amount and debit/credit columns is refused by the command line.
    let mut both = BANK.to_vec();
    both.extend(["--amount-column", "Amount"]);
    assert_eq!(db.run(&both).status.code(), Some(2));
}

/// A bank CSV of `n` rows, oldest first, a few a day (one day's rows in the order they
/// happened, the balance running through them), with a fee that leaves 4.35 unexplained.
fn bank_csv(n: usize) -> String {
    let mut out = String::from("Date;Reference;Text;Debit;Credit;Balance;Category\n");
    let mut balance = 500_000i64;
    let money = |c: i64| {
        let (whole, cents) = (c.abs() / 100, c.abs() % 100);
        let mut digits = whole.to_string();
        let mut grouped = String::new();
        while digits.len() > 3 {
            let tail = digits.split_off(digits.len() - 3);
            grouped = format!(".{tail}{grouped}");
        }
        format!("{}{digits}{grouped},{cents:02}", if c < 0 { "-" } else { "" })
    };
    for i in 0..n {
        let day = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Days::new((i / 3) as u64);
        let (text, debit, credit) =
            if i % 17 == 0 { ("Salary", 0, 250_000) } else { ("Card payment", 100 + (i as i64 * 53) % 9_000, 0) };
        balance += credit - debit;
        if i == n / 2 {
            balance -= 435;
        }
        let cell = |c: i64| if c == 0 { String::new() } else { money(c) };
        out.push_str(&format!(
            "{};R-{i:06};{text};{};{};{};{}\n",
            day.format("%d.%m.%Y"),
            cell(debit),
            cell(credit),
            money(balance),
            if credit > 0 { "income" } else { "card" }
        ));
    }
    out
}

/// A large CSV read through a profile that names the ID column is stored window by window,
/// exactly as the whole read stores it; without an ID column (rows keyed by their values and
/// occurrence in the whole file) it is read whole.
#[test]
fn a_large_bank_csv_is_stored_window_by_window_as_the_whole_read_stores_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bank.csv");
    std::fs::write(&path, bank_csv(3_000)).unwrap();
    let no_ids: Vec<&str> = {
        let at = BANK.iter().position(|&a| a == "--id-column").unwrap();
        BANK.iter().enumerate().filter(|&(i, _)| i != at && i != at + 1).map(|(_, &a)| a).collect()
    };
    for profile in [BANK.to_vec(), no_ids] {
        let run = |window: Option<u64>| {
            let db = Db::new();
            db.ok(&profile, 0);
            let mut command = db.command(&["import", "--profile", "bank", &path.to_string_lossy()]);
            command.env("RECKON_TRACE", "1");
            match window {
                Some(w) => command.env("RECKON_WINDOW_BYTES", w.to_string()),
                None => command.env_remove("RECKON_WINDOW_BYTES"),
            };
            let out = command.output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            let (check, _) = db.check_json(&[]);
            let ledger = db.ok(&["ledger", "--limit", "100000", "--format", "json"], 0);
            let streamed = String::from_utf8_lossy(&out.stderr).contains("import: store windows");
            (check, ledger, String::from_utf8_lossy(&out.stdout).into_owned(), streamed)
        };
        let whole = run(None);
        assert!(!whole.3);
        let breaks: Vec<_> = faults(&whole.0).into_iter().filter(|f| f.0 == "balance_break").collect();
        assert_eq!(breaks.len(), 1, "{}", whole.0);
        let with_ids = profile.contains(&"--id-column");
        for window in [2_000, 30_000] {
            let windowed = run(Some(window));
            assert_eq!(windowed.3, with_ids, "streamed in windows of {window}, ID column: {with_ids}");
            assert_eq!((&windowed.0, &windowed.1, &windowed.2), (&whole.0, &whole.1, &whole.2), "windows of {window}");
        }
    }
}
