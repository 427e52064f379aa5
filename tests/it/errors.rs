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

fn clean_head(rows: usize) -> String {
    let text =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/clean.csv")).unwrap();
    text.lines().take(rows + 1).map(|l| format!("{l}\n")).collect()
}

/// `reckon import -` reads standard input, and names it so; `/dev/stdin` when it is a pipe was
/// opened two or three times ("no Transaction ID column": the header was read by the first).
#[test]
fn standard_input_and_pipes_are_read_once() {
    use std::io::Write;
    let csv = clean_head(5);
    for arg in ["-", "/dev/stdin"] {
        let db = Db::new();
        let mut child = db
            .command(&["import", arg])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(csv.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{arg}: {stdout}{stderr}");
        let name = if arg == "-" { "standard input" } else { arg };
        assert!(stdout.contains(&format!("{name}: 5 entries (reverie-csv): 5 new")), "{arg}: {stdout}");
    }
    // A bad value on standard input is named there, at its line.
    let db = Db::new();
    let mut child = db
        .command(&["import", "-"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let bad = csv.replacen("2026-", "2026/", 3);
    child.stdin.take().unwrap().write_all(bad.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.starts_with("reckon: standard input:2:16: Date") && !err.contains("/tmp"), "{err}");
}

/// A FIFO fed by a writer used to hang: detection, fingerprint and reader each opened it, and
/// the writer was gone after the first.
#[test]
#[cfg(unix)]
fn a_named_pipe_is_read_once() {
    let db = Db::new();
    let fifo = db.dir().join("ledger.csv");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let csv = clean_head(7);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, csv))
    };
    let out = db.command(&["import", fifo.to_str().unwrap()]).output().unwrap();
    if !out.status.success() && !writer.is_finished() {
        // Reckon never opened the FIFO: open its reading end so the writer's open returns.
        let _ = std::fs::read(&fifo);
    }
    writer.join().unwrap().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("ledger.csv: 7 entries (reverie-csv): 7 new"), "{stdout}");
}

/// Excel's "Unicode text" (tab-separated UTF-16LE) and UTF-16BE with a byte-order mark are
/// decoded; they used to be refused ("first line is not the start of a format"). Errors name
/// lines and columns of the text, the same in both encodings. UTF-32 is named with the fix.
#[test]
fn utf16_files_are_decoded_and_utf32_named() {
    let db = Db::new();
    let csv = clean_head(6);
    let utf16 = |text: &str, big: bool| -> Vec<u8> {
        let mut out = if big { vec![0xFE, 0xFF] } else { vec![0xFF, 0xFE] };
        for unit in text.encode_utf16() {
            out.extend_from_slice(&if big { unit.to_be_bytes() } else { unit.to_le_bytes() });
        }
        out
    };
    // Tab-separated, as Excel saves "Unicode text": no value of these rows holds a comma
    // within quotes, so commas can become tabs.
    let rows: String =
        csv.lines().filter(|l| !l.contains('"')).map(|l| format!("{}\r\n", l.replace(',', "\t"))).collect();
    let n = rows.lines().count() - 1;
    let tsv = db.dir().join("unicode.txt");
    std::fs::write(&tsv, utf16(&rows, false)).unwrap();
    let be = db.dir().join("be.csv");
    std::fs::write(&be, utf16(&csv, true)).unwrap();
    let out = db.ok(&["import", tsv.to_str().unwrap(), be.to_str().unwrap()], 0);
    assert!(out.contains(&format!("unicode.txt: {n} entries (reverie-csv)")), "{out}");
    assert!(out.contains("be.csv: 6 entries (reverie-csv)"), "{out}");
    // A bad value is named at its line and character column, a character beyond U+FFFF (two
    // UTF-16 units, four UTF-8 bytes) counted once.
    let bad = db.dir().join("bad.csv");
    let line = csv.lines().nth(4).unwrap();
    let text = csv.replace(line, &line.replacen(",", ",é\u{1F600}", 1).replacen("Z,", "Q,", 1));
    std::fs::write(&bad, utf16(&text, false)).unwrap();
    let out = db.run(&["import", bad.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    let column = text.lines().nth(4).unwrap().split(',').next().unwrap().chars().count() + 2;
    assert!(err.contains(&format!("bad.csv:5:{column}: Date")), "{column}: {err}");
    let utf32 = db.dir().join("u32.csv");
    let mut bytes = vec![0xFF, 0xFE, 0, 0];
    csv.chars().for_each(|c| bytes.extend_from_slice(&(c as u32).to_le_bytes()));
    std::fs::write(&utf32, bytes).unwrap();
    let out = db.run(&["import", utf32.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("u32.csv:1:1: ") && err.contains("UTF-32") && err.contains("CSV UTF-8"), "{err}");
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
