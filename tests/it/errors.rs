//! One expected message per kind of bad input (tests/errors/<fixture>.txt), and proof that a
//! failed import stores nothing.

use crate::support::{snapshot, Db};

fn assert_rejected(fixture: &str) {
    let db = Db::new();
    db.import("fixtures/clean.csv");
    let before = db.ok(&["ledger", "--limit", "1000", "--format", "json"], 0);
    let path = format!("fixtures/bad/{fixture}");
    let out = db.run(&["import", &path]);
    assert_eq!(out.status.code(), Some(2), "{fixture} is refused with exit 2");
    assert!(out.stdout.is_empty(), "nothing reported as imported");
    let message = String::from_utf8(out.stderr).unwrap();
    snapshot("errors", &format!("{fixture}.txt"), &message);
    let after = db.ok(&["ledger", "--limit", "1000", "--format", "json"], 0);
    assert_eq!(before, after, "{fixture}: the database is unchanged");
}

#[test]
fn bad_amount() {
    assert_rejected("amount.csv");
}

#[test]
fn bad_balance_grouping() {
    assert_rejected("balance.csv");
}

#[test]
fn bad_date() {
    assert_rejected("date.csv");
}

#[test]
fn too_many_decimal_places() {
    assert_rejected("precision.csv");
}

#[test]
fn orb_number_beyond_six_decimals_is_refused_not_rounded() {
    assert_rejected("precision-orb.json");
}

#[test]
fn empty_transaction_id() {
    assert_rejected("empty-id.csv");
}

#[test]
fn missing_column() {
    assert_rejected("missing-column.csv");
}

#[test]
fn row_with_extra_field() {
    assert_rejected("ragged.csv");
}

#[test]
fn not_a_ledger() {
    assert_rejected("not-a-ledger.txt");
}

#[test]
fn bad_json_amount() {
    assert_rejected("amount.json");
}

#[test]
fn broken_json() {
    assert_rejected("syntax.json");
}

#[test]
fn column_named_twice() {
    assert_rejected("duplicate-column.csv");
}

/// The audit's case: the last row's model "GPT-5 mini" cut to "G" was stored as "G".
#[test]
fn file_cut_inside_its_last_row() {
    assert_rejected("cut-off.csv");
}

#[test]
fn quote_never_closed() {
    assert_rejected("open-quote.csv");
}

#[test]
fn value_over_the_size_limit() {
    assert_rejected("huge-value.csv");
}

#[test]
fn amount_over_a_billion_credits() {
    assert_rejected("amount-too-large.csv");
}

#[test]
fn date_outside_the_documented_range() {
    assert_rejected("date-range.csv");
}

#[test]
fn json_entry_that_is_not_an_object() {
    assert_rejected("not-an-object.json");
}

#[test]
fn json_nested_too_deep() {
    assert_rejected("too-deep.json");
}

/// `/dev/zero` (whose metadata says 0 bytes) used to grow to gigabytes: now each reader stops
/// at a limit within moments, and the message stays one short line.
#[test]
#[cfg(target_os = "linux")]
fn an_endless_input_stops_at_a_limit() {
    for format in ["reverie-csv", "reverie-json"] {
        let db = Db::new();
        let started = std::time::Instant::now();
        let out = db.run(&["import", "--format", format, "/dev/zero"]);
        assert_eq!(out.status.code(), Some(2), "{format}");
        let message = String::from_utf8(out.stderr).unwrap();
        assert!(message.starts_with("reckon: /dev/zero:1:1: ") && message.len() < 400, "{format}: {message}");
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "{format}: {:?}", started.elapsed());
    }
}

/// A CR-only export (Excel's "CSV (Macintosh)") used to import as 0 entries with exit 0.
#[test]
fn cr_only_line_ends_are_read() {
    let db = Db::new();
    let text = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/clean.csv")).unwrap();
    let path = db.dir().join("mac.csv");
    std::fs::write(&path, text.iter().map(|&b| if b == b'\n' { b'\r' } else { b }).collect::<Vec<u8>>()).unwrap();
    let out = db.ok(&["import", path.to_str().unwrap()], 0);
    assert!(out.contains(": 97 entries (reverie-csv): 97 new"), "{out}");
}

#[test]
fn a_bad_file_among_good_ones_stores_none_of_them() {
    let db = Db::new();
    let out = db.run(&["import", "fixtures/clean.csv", "fixtures/bad/date.csv"]);
    assert_eq!(out.status.code(), Some(2));
    let (check, _) = db.check_json(&[]);
    assert_eq!(check["chains"].as_array().unwrap().len(), 0, "the good file was not stored either");
}

#[test]
fn error_positions_point_at_the_value() {
    // The amount error names line 5 and the column where the bad value starts on that line.
    let text =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/bad/amount.csv"))
            .unwrap();
    let line = text.lines().nth(4).unwrap();
    let column = line[..line.find("-0.3S").unwrap()].chars().count() + 1;
    let db = Db::new();
    let out = db.run(&["import", "fixtures/bad/amount.csv"]);
    let message = String::from_utf8(out.stderr).unwrap();
    assert!(message.contains(&format!("fixtures/bad/amount.csv:5:{column}: Amount \"-0.3S\"")), "{message}");
}

/// Every error chain prints each cause once (`reckon: x.csv: cannot read the file: No such
/// file or directory (os error 2). ...`, not the OS error twice).
#[test]
fn causes_are_printed_once() {
    let db = Db::new();
    for args in [
        &["--db", db.path.to_str().unwrap(), "import", "fixtures/does-not-exist.csv"][..],
        &["--db", "/proc/reckon-cannot-create/x.db", "chains"][..],
        &["--db", db.path.to_str().unwrap(), "report", "--finding", "F-000000000000"][..],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_reckon"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: one line: {err}");
        for cause in ["No such file or directory", "database error", "no finding", "Permission denied", "os error"] {
            assert!(err.matches(cause).count() <= 1, "{args:?}: {cause:?} printed twice: {err}");
        }
    }
}
