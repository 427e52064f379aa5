//! The CLI contract: exit codes, report drafts, exports, explaining findings.

use crate::support::{faults, snapshot, Db};

const NOW: &str = "2026-03-10T09:00:00Z";

#[test]
fn exit_codes() {
    let db = Db::new();
    db.import("fixtures/clean.csv");
    db.ok(&["check"], 0);
    db.import("fixtures/faulty.csv");
    // The faulty ledger lands in the same default chain as the clean one; a separate account
    // keeps them apart.
    let db = Db::new();
    db.import("fixtures/faulty.csv");
    db.ok(&["check"], 1);
    db.ok(&["check", "--stated-balance", "12,3"], 2);
    db.ok(&["check", "--format", "yaml"], 2);
    db.ok(&["import", "fixtures/does-not-exist.csv"], 2);
    db.ok(&["report", "--finding", "F-000000000000"], 2);
    db.ok(&["frobnicate"], 2);
}

#[test]
fn accounts_keep_chains_apart() {
    let db = Db::new();
    db.ok(&["import", "--account", "alice", "fixtures/clean.csv"], 0);
    db.ok(&["import", "--account", "bob", "fixtures/faulty.csv"], 0);
    let (check, code) = db.check_json(&[]);
    assert_eq!(check["chains"].as_array().unwrap().len(), 2);
    assert_eq!(code, 1);
    db.ok(&["check", "--stated-balance", "1"], 2);
    let (alice, code) = db.check_json(&["--account", "alice", "--stated-balance", "1595.01"]);
    assert_eq!(faults(&alice), vec![]);
    assert_eq!(code, 0);
}

#[test]
fn explaining_the_errors_brings_the_exit_code_to_zero() {
    let db = Db::new();
    db.import("fixtures/faulty.csv");
    let (check, _) = db.check_json(&[]);
    for f in check["findings"].as_array().unwrap().iter().filter(|f| f["severity"] == "error") {
        db.ok(&["explain", f["id"].as_str().unwrap(), "--note", "confirmed with the vendor"], 0);
    }
    let (after, code) = db.check_json(&[]);
    assert_eq!(code, 0);
    assert_eq!(after["findings"].as_array().unwrap().len(), 4, "explained findings leave the list");
    let text = db.ok(&["check", "--include-explained"], 0);
    assert!(text.contains("note: confirmed with the vendor"), "{text}");
    db.ok(&["explain", "F-000000000000", "--note", "x"], 2);
}

#[test]
fn support_report_draft() {
    let db = Db::new();
    db.import("fixtures/faulty.csv");
    let text = db.ok(&["report", "--now", NOW, "--stated-balance", "1502.97"], 0);
    for id in ["txn_f46aba54ef", "txn_f7013183e3", "txn_f8b196b0c7", "txn_f4cdc656fb", "txn_f6ad9593b4"] {
        assert!(text.contains(id), "the draft cites {id}");
    }
    snapshot("snapshots", "support.md", &text);
}

#[test]
fn customer_report_draft() {
    let db = Db::new();
    db.import("fixtures/clean.csv");
    let text = db.ok(&["report", "--audience", "customer", "--now", NOW], 0);
    snapshot("snapshots", "customer.md", &text);
}

#[test]
fn report_for_one_finding_writes_a_file() {
    let db = Db::new();
    db.import("fixtures/faulty.csv");
    let (check, _) = db.check_json(&[]);
    let id = check["findings"].as_array().unwrap().iter().find(|f| f["kind"] == "duplicate_charge").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = db.dir().join("draft.md");
    db.ok(&["report", "--finding", &id, "--now", NOW, "--out", out.to_str().unwrap()], 0);
    let text = std::fs::read_to_string(out).unwrap();
    assert!(text.contains("## Findings (1)"));
    assert!(text.contains("txn_f4cdc656fb") && text.contains("txn_f53d1b2085"));
    assert!(!text.contains("txn_f46aba54ef"), "only the chosen finding");
}

#[test]
fn exported_csv_imports_back_to_the_same_ledger() {
    let db = Db::new();
    db.import("fixtures/messy.csv");
    let out = db.dir().join("export.csv");
    db.ok(&["ledger", "--export", "csv-raw", "--out", out.to_str().unwrap()], 0);
    let fresh = Db::new();
    let imported = fresh.import(out.to_str().unwrap());
    assert!(imported.contains("72 new"), "{imported}");
    let (a, _) = db.check_json(&[]);
    let (b, _) = fresh.check_json(&[]);
    assert_eq!(a["chains"], b["chains"]);
    // And the JSON export too.
    let json = db.dir().join("export.json");
    db.ok(&["ledger", "--export", "json", "--out", json.to_str().unwrap()], 0);
    let again = Db::new();
    assert!(again.import(json.to_str().unwrap()).contains("72 new"));
}

#[test]
fn filtered_export_holds_only_the_filtered_rows() {
    let db = Db::new();
    db.import("fixtures/clean.csv");
    let text = db.ok(&["ledger", "--type", "image", "--export", "csv"], 0);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("Transaction ID,Date,Type,Description,Amount,Balance after,Character,Model"));
    let rows: Vec<&str> = lines.collect();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.contains(",IMAGE,")), "{rows:?}");
    let summary = db.ok(&["summary", "--by", "type", "--format", "json", "--type", "IMAGE"], 0);
    let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
    assert_eq!(summary[0]["entries"].as_u64().unwrap() as usize, rows.len());
    // Local times carry the zone's offset.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_reckon"))
        .args(["--db", db.path.to_str().unwrap(), "ledger", "--type", "IMAGE", "--export", "csv", "--local"])
        .env("TZ", "America/New_York")
        .output()
        .unwrap();
    let local = String::from_utf8(out.stdout).unwrap();
    let offsets: std::collections::BTreeSet<&str> =
        local.lines().skip(1).map(|l| &l.split(',').nth(1).unwrap()[19..]).collect();
    assert_eq!(offsets.into_iter().collect::<Vec<_>>(), ["-04:00", "-05:00"], "EST before 8 March, EDT after");
}

#[test]
fn summary_by_day_and_character() {
    let db = Db::new();
    db.import("fixtures/clean.csv");
    let by_day: serde_json::Value = serde_json::from_str(
        &db.ok(&["summary", "--by", "day", "--format", "json", "--from", "2026-03-02", "--to", "2026-03-03"], 0),
    )
    .unwrap();
    let days: Vec<&str> = by_day.as_array().unwrap().iter().map(|r| r["key"].as_str().unwrap()).collect();
    assert_eq!(days, ["2026-03-02", "2026-03-03"]);
    let by_char = db.ok(&["summary", "--by", "character"], 0);
    assert!(by_char.contains("Émile") && by_char.contains("(none)"), "{by_char}");
}

/// Without `--db` or `$RECKON_DB`, the CLI writes `reckon/reckon.db` in the platform's data
/// directory: the database the desktop app opens by default (see the shell's test
/// `the_app_opens_the_database_the_cli_uses_and_can_open_another`).
#[test]
fn the_cli_writes_the_shared_default_database() {
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_reckon"))
            .args(args)
            .env_remove("RECKON_DB")
            .env("XDG_DATA_HOME", home.path())
            .env("HOME", home.path())
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap()
    };
    let out = run(&["import", "fixtures/clean.csv"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let shared = home.path().join("reckon").join("reckon.db");
    let store = reckon::store::Store::open(&shared).expect("the CLI wrote the shared database");
    assert_eq!(store.chains().unwrap().iter().map(|c| c.entries).collect::<Vec<_>>(), [97]);
    let listed = run(&["chains"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("97 entries"));
}

/// A ledger of `n` tips (a type not on Reverie's reference table) after a purchase, newest
/// first, balances adding up: `n` unknown_type warnings.
fn tips(dir: &std::path::Path, n: usize) -> std::path::PathBuf {
    let mut rows = vec![("txn_buy".to_string(), 0usize, "PURCHASE", 100_000i64)];
    rows.extend((1..=n).map(|i| (format!("txn_tip{i:04}"), i, "TIP", -100)));
    let mut balance = 0;
    let mut lines: Vec<String> = rows
        .iter()
        .map(|(id, minute, kind, cents)| {
            balance += cents;
            format!(
                "{id},2026-03-{:02}T{:02}:{:02}:00Z,{kind},Tip,{}{}.{:02},{}.{:02},,",
                1 + minute / 1440,
                minute % 1440 / 60,
                minute % 60,
                if *cents < 0 { "-" } else { "+" },
                cents.abs() / 100,
                cents.abs() % 100,
                balance / 100,
                balance % 100
            )
        })
        .collect();
    lines.reverse();
    let path = dir.join("tips.csv");
    std::fs::write(
        &path,
        format!("Transaction ID,Date,Type,Description,Amount,Balance after,Character,Model\n{}\n", lines.join("\n")),
    )
    .unwrap();
    path
}

#[test]
fn a_whole_kind_is_explained_and_reopened_in_bulk() {
    let db = Db::new();
    let file = tips(db.dir(), 240);
    db.ok(&["import", file.to_str().unwrap()], 0);
    let count = |extra: &[&str]| {
        let (json, _) = db.check_json(extra);
        json["findings"].as_array().unwrap().len()
    };
    assert_eq!(count(&["--kind", "unknown_type"]), 240);
    assert_eq!(count(&["--kind", "balance_break"]), 0);
    assert_eq!(count(&["--severity", "warning"]), 240);
    db.ok(&["check", "--kind", "no_such_kind"], 2);

    let out = db.ok(&["explain", "--kind", "unknown_type", "--note", "tips are a promo the vendor confirmed"], 0);
    assert!(out.contains("240 open unknown_type findings marked as explained"), "{out}");
    assert_eq!(count(&["--kind", "unknown_type"]), 0);
    assert_eq!(count(&["--kind", "unknown_type", "--include-explained"]), 240);
    // Kept across a re-import, like a single note.
    db.ok(&["import", file.to_str().unwrap()], 0);
    assert_eq!(count(&["--kind", "unknown_type"]), 0);

    let out = db.ok(&["reopen", "--kind", "unknown_type"], 0);
    assert!(out.contains("240 findings reopened"), "{out}");
    assert_eq!(count(&["--kind", "unknown_type"]), 240);
    db.ok(&["explain", "--kind", "unknown_type", "--note", " "], 2);
    db.ok(&["explain", "--note", "x"], 2);
}

#[test]
fn a_report_sums_up_a_kind_with_many_findings() {
    let db = Db::new();
    let file = tips(db.dir(), 120);
    db.ok(&["import", file.to_str().unwrap()], 0);
    let report = db.ok(&["report", "--now", NOW], 0);
    assert!(report.contains("### 1. Unknown transaction type: 120 findings (warning)"), "{report}");
    assert!(report.contains("The other 115 are listed in the appendix"), "{report}");
    assert!(report.contains("## Appendix: every unknown transaction type finding"), "{report}");
    // Every finding is in the appendix, once; the body shows five.
    assert_eq!(report.matches("| txn_tip").count(), 120);
    assert!(report.contains("What these transaction types mean (120 transactions; see the appendix)."), "{report}");
    assert!(report.lines().count() < 200, "a summary, not 120 sections: {} lines", report.lines().count());
}

/// Third-party text that tries to act: formulas for a spreadsheet, markup, links, images and
/// HTML for a Markdown report, escape sequences for a terminal.
fn hostile_ledger(dir: &std::path::Path) -> std::path::PathBuf {
    let rows = [
        (
            "txn_f1",
            "2026-03-01T08:05:00Z",
            "CHAT",
            "=HYPERLINK(\"\"http://x\"\",\"\"y\"\")",
            "-1.00",
            "99.00",
            "@SUM(1)",
            "+cmd|' /C calc'!A0",
        ),
        ("txn_f2", "2026-03-01T08:04:00Z", "CHAT", "-2+3", "-1.00", "100.00", "<img src=x onerror=alert(1)>", "m"),
        (
            "txn_f3",
            "2026-03-01T08:03:00Z",
            "TIP",
            "[Claim your refund here](https://evil.example/phish)",
            "-1.00",
            "101.00",
            "a|b",
            "m",
        ),
        (
            "txn_f4",
            "2026-03-01T08:02:00Z",
            "TIP",
            "![t](http://evil.example/p.png) line\n# Injected heading",
            "-1.00",
            "102.00",
            "\u{1b}[2Jclear",
            "m",
        ),
        ("txn_f0", "2026-03-01T08:00:00Z", "PURCHASE", "pack", "+103.00", "103.00", "", ""),
    ];
    let mut text = String::from("Transaction ID,Date,Type,Description,Amount,Balance after,Character,Model\n");
    for (id, ts, kind, description, amount, after, character, model) in rows {
        text.push_str(&format!("{id},{ts},{kind},\"{description}\",{amount},{after},\"{character}\",\"{model}\"\n"));
    }
    let path = dir.join("hostile.csv");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn spreadsheet_export_defuses_formulas_and_raw_export_keeps_them() {
    let db = Db::new();
    let file = hostile_ledger(db.dir());
    db.ok(&["import", file.to_str().unwrap()], 0);
    let sheet = db.ok(&["ledger", "--export", "csv"], 0);
    let mut reader = csv::Reader::from_reader(sheet.as_bytes());
    let mut cells = 0;
    for record in reader.records() {
        for (i, cell) in record.unwrap().iter().enumerate() {
            // Dates and the numbers Reckon writes (columns 1, 4, 5) are not third-party text.
            if [1, 4, 5].contains(&i) {
                continue;
            }
            cells += 1;
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "a formula reaches the spreadsheet: {cell:?}");
        }
    }
    assert!(cells >= 20);
    assert!(sheet.contains("'=HYPERLINK"), "{sheet}");
    assert!(sheet.contains("'-2+3") && sheet.contains("'@SUM(1)") && sheet.contains("'+cmd|"), "{sheet}");
    // The raw export is the vendor's text, and imports back to the same ledger.
    let out = db.dir().join("raw.csv");
    db.ok(&["ledger", "--export", "csv-raw", "--out", out.to_str().unwrap()], 0);
    let raw = std::fs::read_to_string(&out).unwrap();
    assert!(raw.contains(",-2+3,") || raw.contains("\"-2+3\""), "{raw}");
    let fresh = Db::new();
    fresh.import(out.to_str().unwrap());
    assert_eq!(fresh.check_json(&[]).0["findings"], db.check_json(&[]).0["findings"]);
}

#[test]
fn reports_render_third_party_text_inert() {
    let db = Db::new();
    let file = hostile_ledger(db.dir());
    db.ok(&["import", file.to_str().unwrap()], 0);
    for audience in ["support", "customer"] {
        let md = db.ok(&["report", "--audience", audience, "--now", NOW], 0);
        for line in md.lines() {
            assert!(!line.starts_with("# Injected"), "{audience}: an injected heading: {line}");
        }
        let unescaped = md.replace("\\]", "").replace("\\[", "");
        assert!(!unescaped.contains("](http") && !unescaped.contains("!["), "{audience}: a live link or image:\n{md}");
        assert!(!md.contains("<img"), "{audience}: raw HTML:\n{md}");
        assert!(!md.contains("http://") && !md.contains("https://"), "{audience}: a bare link:\n{md}");
        assert!(!md.contains('\u{1b}'), "{audience}: an escape sequence");
        // Tables keep their columns: every row of the findings tables has 7 cells.
        for row in md.lines().filter(|l| l.starts_with("| txn_")) {
            let cells = row.replace("\\|", "").matches('|').count();
            assert_eq!(cells, 8, "{audience}: a row with its columns shifted: {row}");
        }
    }
    // The terminal gets no escape sequence either.
    let text = db.ok(&["check", "--include-explained"], 0);
    assert!(!text.contains('\u{1b}'), "{text}");
}

/// A reader that stops early (`reckon ledger ... | head`) ends the command quietly: no panic,
/// no exit 101, nothing on standard error.
#[test]
fn a_closed_pipe_ends_output_quietly() {
    let db = Db::new();
    let file = tips(db.dir(), 3_000);
    db.ok(&["import", file.to_str().unwrap()], 0);
    for args in [
        &["ledger", "--format", "json", "--limit", "3000"][..],
        &["ledger", "--limit", "3000"][..],
        &["ledger", "--export", "csv"][..],
        &["check", "--format", "json"][..],
        &["check"][..],
        &["summary", "--by", "day"][..],
    ] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_reckon"))
            .arg("--db")
            .arg(&db.path)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Read a little, then hang up, as `head -c 100` does.
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 100];
        let _ = std::io::Read::read(&mut stdout, &mut first);
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(matches!(out.status.code(), Some(0) | Some(1)), "{args:?}: {:?} {err}", out.status);
    }
}

/// `reckon doctor | true`: standard output a pipe nobody reads from any more. Every command
/// that prints ends without a panic (exit 101); the pipe is closed before the command starts,
/// so each of its writes fails.
#[test]
fn a_pipe_closed_before_the_first_line_ends_output_quietly() {
    let db = Db::new();
    db.import("fixtures/faulty.csv");
    for args in [&["doctor"][..], &["chains"], &["check"], &["ledger"], &["summary", "--by", "type"]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = db.command(args).stdout(writer).stderr(std::process::Stdio::piped()).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {err}");
        assert!(matches!(out.status.code(), Some(0) | Some(1)), "{args:?}: {:?} {err}", out.status);
    }
}

/// `RECKON_TRACE=1`: the engine's phase events reach standard error as `trace:` lines through
/// the CLI's subscriber; without it, none (the engine prints nothing itself).
#[test]
fn phase_timings_are_printed_only_when_asked() {
    let db = crate::support::Db::new();
    let traced = db.command(&["import", "fixtures/clean.csv"]).env("RECKON_TRACE", "1").output().unwrap();
    assert!(traced.status.success());
    let stderr = String::from_utf8_lossy(&traced.stderr);
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("trace: ")).collect();
    assert!(lines.len() >= 3, "{stderr}");
    assert!(lines.iter().all(|l| l.ends_with(" ms")), "{stderr}");
    let quiet = db.command(&["check"]).env_remove("RECKON_TRACE").output().unwrap();
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("trace:"));
}
