//! Damaged and foreign databases: another application's file and a newer schema are refused
//! unwritten, reads create nothing, a flipped bit is found and repaired from the files, and an
//! import killed at any moment leaves the database before or after it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use reckon::store::{Store, StoreError, APPLICATION_ID};
use rusqlite::Connection;

use crate::support::Db;

/// Writes a Reverie CSV export of `n` entries (newest first, as exports come), the oldest at
/// `2026-01-01` plus `from` seconds, each one second after the last, balances continuous
/// from `opening` micro-credits.
fn write_ledger(path: &Path, n: u64, from: u64, opening: i64) {
    use std::fmt::Write;
    let mut rows = Vec::with_capacity(n as usize);
    let mut balance = opening;
    let base = 1_767_225_600u64; // 2026-01-01T00:00:00Z
    for i in 0..n {
        let amount = if i % 50 == 0 { 5_000_000 } else { -((i % 7 + 1) as i64) * 10_000 };
        balance += amount;
        let t = chrono::DateTime::from_timestamp((base + from + i) as i64, 0).unwrap();
        let mut line = String::new();
        let kind = if amount > 0 { "PURCHASE" } else { "CHAT" };
        let money = |v: i64| {
            format!("{}{}.{:02}", if v < 0 { "-" } else { "" }, v.abs() / 1_000_000, v.abs() % 1_000_000 / 10_000)
        };
        writeln!(
            line,
            "txn_{:010},{},{kind},reply {},{},{},Luna,GPT-5 mini",
            from + i,
            t.format("%Y-%m-%dT%H:%M:%SZ"),
            i % 13,
            money(amount),
            money(balance)
        )
        .unwrap();
        rows.push(line);
    }
    let mut text = String::from("Transaction ID,Date,Type,Description,Amount,Balance after,Character,Model\n");
    rows.iter().rev().for_each(|r| text.push_str(r));
    std::fs::write(path, text).unwrap();
}

fn entries(path: &Path) -> u64 {
    Store::open_read_only(path).unwrap().chains().unwrap().iter().map(|c| c.entries).sum()
}

/// Flips one bit in the middle of block `number` of chain 1, as a bad disk sector would.
fn flip_a_bit(db: &Path, number: i64) {
    let conn = Connection::open(db).unwrap();
    let id = (1i64 << 32) | number;
    let mut data: Vec<u8> = conn.query_row("SELECT data FROM entry_block WHERE id = ?1", [id], |r| r.get(0)).unwrap();
    let at = data.len() / 2;
    data[at] ^= 0x10;
    conn.execute("UPDATE entry_block SET data = ?1 WHERE id = ?2", rusqlite::params![data, id]).unwrap();
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn another_applications_database_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("photos.db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE album (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO album VALUES (1, 'x');",
        )
        .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::NotReckon { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("photos.db") && text.contains("not a Reckon database"), "{text}");
    assert!(matches!(Store::open_read_only(&path), Err(StoreError::NotReckon { .. })));
    // The CLI, reading and writing alike.
    let out = Command::new(env!("CARGO_BIN_EXE_reckon"))
        .arg("--db")
        .arg(&path)
        .args(["import", "fixtures/clean.csv"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a Reckon database"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&path).unwrap(), before, "the file is byte for byte as it was");
    assert!(!dir.path().join("photos.db-wal").exists(), "not switched to WAL");

    // A file that is not SQLite at all.
    let text_file = dir.path().join("notes.txt");
    std::fs::write(
        &text_file,
        "just some notes, long enough to look like a header.......................................................",
    )
    .unwrap();
    assert!(matches!(Store::open(&text_file), Err(StoreError::NotReckon { .. })));
}

#[test]
fn a_newer_schema_is_refused_before_wal_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reckon.db");
    drop(Store::open(&path).unwrap());
    {
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    assert_eq!(before[18..20], [1, 1], "a rollback-journal file before");
    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::NewerSchema { found: 99, .. }), "{err}");
    assert!(matches!(Store::open_read_only(&path), Err(StoreError::NewerSchema { .. })));
    let after = std::fs::read(&path).unwrap();
    assert_eq!(after[18..20], [1, 1], "not switched to WAL");
    assert_eq!(after, before, "the file is byte for byte as it was");
}

#[test]
fn an_old_reckon_database_without_application_id_opens_and_is_marked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reckon.db");
    drop(Store::open(&path).unwrap());
    {
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "application_id", 0).unwrap();
        // What versions 4 to 10 added or renamed goes too, so the file is what a version 3
        // Reckon wrote.
        conn.execute_batch(
            "DROP TABLE check_change; DROP TABLE check_seen; DROP TABLE check_run; DROP TABLE low_balance;
             DROP TABLE match_unmatched; DROP TABLE match_run; DROP TABLE anchor; DROP TABLE chain_sync; DROP TABLE sync_connection; DROP TABLE label_check;
             ALTER TABLE chain DROP COLUMN entry_count; ALTER TABLE chain DROP COLUMN block_count;
             ALTER TABLE chain DROP COLUMN resync;
             ALTER TABLE conflict RENAME COLUMN dim1_id TO character_id;
             ALTER TABLE conflict RENAME COLUMN dim2_id TO model_id;",
        )
        .unwrap();
        conn.pragma_update(None, "user_version", 3).unwrap();
    }
    // A reader may not migrate it, and says how to.
    let err = Store::open_read_only(&path).unwrap_err();
    assert!(err.to_string().contains("open it once with a command that writes"), "{err}");
    drop(Store::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    let id: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0)).unwrap();
    assert_eq!(id, APPLICATION_ID);
}

#[test]
fn a_read_of_a_missing_database_creates_nothing_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo").join("reckn.db");
    for args in [
        &["check"][..],
        &["check", "--format", "json"],
        &["report"],
        &["ledger"],
        &["summary", "--by", "type"],
        &["chains"],
        &["doctor"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_reckon"))
            .arg("--db")
            .arg(&path)
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "reckon {args:?}: {}", stderr(&out));
        let text = stderr(&out);
        assert!(text.contains("no database at") && text.contains("import a ledger first or check --db"), "{text}");
        assert!(!path.exists() && !path.parent().unwrap().exists(), "reckon {args:?} created the database");
    }
    assert!(matches!(Store::open_read_only(&path), Err(StoreError::NoDatabase { .. })));
}

/// A large import that has the database to itself holds it, in a rollback journal, until it
/// commits. A command started meanwhile waits the busy timeout, then says the file is locked
/// and to run it again once the writer is done (exit 2); afterwards it reads as before.
#[test]
fn a_command_blocked_by_a_large_import_says_to_run_it_again() {
    let db = Db::new();
    db.import(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/clean.csv").to_string_lossy());
    let before = stdout(&db.run(&["chains"]));
    let writer = Connection::open(&db.path).unwrap();
    let mode: String = writer.pragma_update_and_check(None, "journal_mode", "TRUNCATE", |r| r.get(0)).unwrap();
    assert_eq!(mode, "truncate");
    writer.execute_batch("BEGIN EXCLUSIVE").unwrap();
    for args in [&["chains"][..], &["check"]] {
        let out = db.run(args);
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "reckon {args:?}: {text}");
        assert!(text.contains("locked") && text.contains("run this again when that is done"), "{text}");
    }
    writer.execute_batch("COMMIT").unwrap();
    drop(writer);
    assert_eq!(stdout(&db.run(&["chains"])), before);
}

#[test]
fn a_database_in_a_read_only_folder_can_be_read() {
    use std::os::unix::fs::PermissionsExt;
    let db = Db::new();
    db.import("fixtures/faulty.csv");
    let (expected, _) = db.check_json(&[]);
    std::fs::set_permissions(db.dir(), std::fs::Permissions::from_mode(0o555)).unwrap();
    // Tests run as root here, and root ignores the folder's mode, so SQLite can still make
    // its -shm file: this checks the read-only open and the CLI over it, and the immutable
    // fallback a real read-only folder takes is checked by the unit test
    // `store::tests::an_immutable_open_reads_a_wal_database`.
    let mut store = Store::open_read_only(&db.path).unwrap();
    assert!(store.is_read_only());
    assert_eq!(store.chains().unwrap()[0].entries, 68);
    assert!(store.set_note("F-000000000000", "x", chrono::Utc::now()).is_err(), "a read-only store refuses writes");
    drop(store);
    let (check, code) = db.check_json(&[]);
    assert_eq!(code, 1);
    assert_eq!(check, expected);
    std::fs::set_permissions(db.dir(), std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_flipped_bit_is_named_and_the_reimport_no_longer_hides_it() {
    // The audit's sequence: damage a block, re-import the ledger's file. Before checksums the
    // check decoded wrong entries or said "re-import", and the re-import was skipped as known.
    let db = Db::new();
    let file = db.dir().join("ledger.csv");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/faulty.csv"), &file).unwrap();
    let file_arg = file.to_str().unwrap();
    db.import(file_arg);
    let (before, _) = db.check_json(&[]);
    let first_error = before["findings"].as_array().unwrap().iter().find(|f| f["severity"] == "error").unwrap();
    db.ok(&["explain", first_error["id"].as_str().unwrap(), "--note", "known"], 0);
    let (before, _) = db.check_json(&["--include-explained"]);
    flip_a_bit(&db.path, 0);

    let out = db.run(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    let text = stderr(&out);
    assert!(text.contains("default/credits is damaged") && text.contains("reckon doctor"), "{text}");
    // The store names the remedy; the CLI words it, after the store's text.
    assert_eq!(
        text,
        "reckon: the ledger default/credits is damaged in the database (entry block 0); run `reckon doctor` to \
         verify every ledger and repair it from its imported files\n"
    );
    let out = db.run(&["import", file_arg]);
    assert_eq!(out.status.code(), Some(2), "the known-file shortcut must not hide damage");
    assert!(stderr(&out).contains("reckon doctor"), "{}", stderr(&out));
    let report = db.ok(&["doctor"], 1);
    assert!(report.contains("default/credits: DAMAGED") && report.contains("block 0"), "{report}");

    // The file gone: doctor names it and changes nothing.
    let moved = db.dir().join("elsewhere.csv");
    std::fs::rename(&file, &moved).unwrap();
    let bytes = std::fs::read(&db.path).unwrap();
    let report = db.ok(&["doctor", "--repair"], 1);
    assert!(report.contains(file_arg) && report.contains("missing") && report.contains("xxh3"), "{report}");
    assert_eq!(std::fs::read(&db.path).unwrap(), bytes, "a repair that cannot run changes nothing");
    // Changed: named too.
    std::fs::write(&file, "Transaction ID,Date\n").unwrap();
    let report = db.ok(&["doctor", "--repair"], 1);
    assert!(report.contains("changed since"), "{report}");

    std::fs::rename(&moved, &file).unwrap();
    let report = db.ok(&["doctor", "--repair"], 0);
    assert!(report.contains("repaired (0 entries kept, 68 read again"), "{report}");
    assert!(db.ok(&["doctor"], 0).contains("default/credits: OK (68 entries in 1 blocks)"));
    let (after, _) = db.check_json(&["--include-explained"]);
    assert_eq!(after["findings"], before["findings"], "the same findings, the note kept");
    assert!(db.import(file_arg).contains("0 new, 68 already known"));
}

#[test]
fn a_repair_keeps_the_ids_of_entries_in_intact_blocks() {
    let db = Db::new();
    let file = db.dir().join("big.csv");
    write_ledger(&file, 10_000, 0, 1_000_000_000);
    db.import(file.to_str().unwrap());
    let ids = |path: &Path| -> Vec<(String, i64)> {
        let store = Store::open_read_only(path).unwrap();
        store.load_entries(1).unwrap().into_iter().map(|e| (e.txn_id, e.row_id)).collect()
    };
    let before = ids(&db.path);
    assert_eq!(before.len(), 10_000);
    flip_a_bit(&db.path, 1);
    let report = db.ok(&["doctor", "--repair"], 0);
    assert!(report.contains("repaired (5904 entries kept, 4096 read again"), "{report}");
    let after = ids(&db.path);
    assert_eq!(after.len(), before.len());
    let highest = before.iter().map(|e| e.1 & 0xFFFF_FFFF).max().unwrap();
    for (position, (b, a)) in before.iter().zip(&after).enumerate() {
        assert_eq!(a.0, b.0, "walk order kept");
        let in_damaged = (4096..8192).contains(&position);
        if in_damaged {
            assert!(a.1 & 0xFFFF_FFFF > highest, "a recovered entry is numbered after the highest");
        } else {
            assert_eq!(a.1, b.1, "an intact block's entry keeps its id");
        }
    }
    db.ok(&["doctor"], 0);
}

/// Entries the crash test imports: the count a debug build imports in about 1.5 s here.
const CRASH_ENTRIES: u64 = 100_000;
const KILLS: u32 = 12;

/// `RECKON_WINDOW_BYTES` for each way the import may store the file: read whole (in WAL), and
/// streamed in windows (through a rollback journal when alone on the database, which a kill
/// leaves hot for the next open to roll back).
const IMPORT_PATHS: [(&str, Option<&str>); 2] = [("whole", None), ("streamed", Some("1048576"))];

#[test]
fn an_import_killed_at_any_moment_leaves_the_database_before_or_after() {
    let dir = tempfile::tempdir().unwrap();
    let (small, big) = (dir.path().join("small.csv"), dir.path().join("big.csv"));
    write_ledger(&small, 500, 0, 1_000_000_000);
    write_ledger(&big, CRASH_ENTRIES, 1_000, 2_000_000_000);
    let reckon = |db: &PathBuf, window: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_reckon"));
        command.arg("--db").arg(db).env_remove("RECKON_WINDOW_BYTES");
        if let Some(bytes) = window {
            command.env("RECKON_WINDOW_BYTES", bytes);
        }
        command
    };
    let run =
        |db: &PathBuf, file: &Path, window: Option<&str>| reckon(db, window).arg("import").arg(file).output().unwrap();
    for (name, window) in IMPORT_PATHS {
        // One import to the end, timed: the kills spread over that time.
        let reference = dir.path().join(format!("reference-{name}.db"));
        assert!(run(&reference, &small, window).status.success());
        let started = Instant::now();
        let out = run(&reference, &big, window);
        assert!(out.status.success(), "{}", stderr(&out));
        let full = started.elapsed();
        assert_eq!(entries(&reference), 500 + CRASH_ENTRIES);

        let (mut before, mut after) = (0, 0);
        for k in 0..KILLS {
            let db = dir.path().join(format!("kill-{name}-{k}.db"));
            assert!(run(&db, &small, window).status.success());
            let mut child =
                reckon(&db, window).arg("import").arg(&big).stdout(std::process::Stdio::null()).spawn().unwrap();
            // From the first moment to a little past the time a whole import took.
            std::thread::sleep(full.mul_f64(k as f64 * 1.1 / KILLS as f64));
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            // Read-only first: doctor and a listing see the database before or after, never
            // half a write (a rollback journal left behind is rolled back before they read).
            let doctor = reckon(&db, None).arg("doctor").output().unwrap();
            assert_eq!(doctor.status.code(), Some(0), "{name} kill {k}: {}{}", stdout(&doctor), stderr(&doctor));
            let listed = reckon(&db, None).args(["chains", "--format", "json"]).output().unwrap();
            assert!(listed.status.success(), "{name} kill {k}: {}", stderr(&listed));
            match entries(&db) {
                500 => before += 1,
                n if n == 500 + CRASH_ENTRIES => after += 1,
                n => panic!("{name} kill {k}: the database holds {n} entries, neither 500 nor {}", 500 + CRASH_ENTRIES),
            }
            assert!(!hot_journal(&db), "{name} kill {k}: the journal is rolled back");
        }
        eprintln!("{name}: {KILLS} kills over {full:?}: {before} before the import, {after} after");
        assert_eq!(before + after, KILLS);
        assert!(before > 0, "{name}: some kills land before the commit");
    }
}

/// Whether beside `db` lies a rollback journal SQLite would play back (hot): one whose header
/// was written, its first byte not zero. A write killed before its journal's first sync leaves
/// a journal of zeros (SQLite writes the header's magic number at the sync), the database not
/// yet touched; SQLite leaves that one alone.
fn hot_journal(db: &Path) -> bool {
    use std::io::Read as _;
    let mut path = db.as_os_str().to_owned();
    path.push("-journal");
    let mut first = [0u8; 1];
    std::fs::File::open(PathBuf::from(path)).and_then(|mut f| f.read_exact(&mut first)).is_ok() && first[0] != 0
}

/// Copies `fixtures/faulty.csv` into the database's folder and imports it from there.
fn imported_copy(db: &Db) -> PathBuf {
    let file = db.dir().join("ledger.csv");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/faulty.csv"), &file).unwrap();
    db.import(file.to_str().unwrap());
    file
}

/// Runs SQL on the database as the `sqlite3` shell would (foreign keys not enforced).
fn sql(db: &Path, statements: &str) {
    let conn = Connection::open(db).unwrap();
    conn.pragma_update(None, "foreign_keys", false).unwrap();
    conn.execute_batch(statements).unwrap();
}

#[test]
fn deleted_blocks_are_damage_not_an_empty_ledger() {
    // The review's sequence: every block deleted. Doctor said "OK (0 entries in 0 blocks)",
    // check "0 errors", and a re-import was skipped as already known.
    let db = Db::new();
    let file = imported_copy(&db);
    let (before, code) = db.check_json(&["--include-explained"]);
    assert_eq!(code, 1);
    sql(&db.path, "DELETE FROM entry_block;");

    let report = db.ok(&["doctor"], 1);
    assert!(
        report.contains("default/credits: DAMAGED (1 of 1 blocks)") && report.contains("block 0: is missing"),
        "{report}"
    );
    assert!(!report.contains("OK"), "{report}");
    for args in [&["check"][..], &["ledger"], &["summary", "--by", "type"]] {
        let out = db.run(args);
        assert_eq!(out.status.code(), Some(2), "reckon {args:?}: {}", String::from_utf8_lossy(&out.stdout));
        assert!(stderr(&out).contains("default/credits is damaged"), "{}", stderr(&out));
    }
    let out = db.run(&["import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "a known file is not skipped over a damaged chain");
    assert!(stderr(&out).contains("reckon doctor"), "{}", stderr(&out));

    let report = db.ok(&["doctor", "--repair"], 0);
    assert!(report.contains("repaired (0 entries kept, 68 read again"), "{report}");
    assert!(db.ok(&["doctor"], 0).contains("default/credits: OK (68 entries in 1 blocks)"));
    assert_eq!(db.check_json(&["--include-explained"]).0, before);
}

#[test]
fn a_missing_middle_block_is_repaired_from_the_file_and_check_blames_nobody() {
    let db = Db::new();
    let file = db.dir().join("big.csv");
    write_ledger(&file, 10_000, 0, 1_000_000_000);
    db.import(file.to_str().unwrap());
    let (before, _) = db.check_json(&[]);
    let ids = |path: &Path| -> Vec<(String, i64)> {
        let store = Store::open_read_only(path).unwrap();
        store.load_entries(1).unwrap().into_iter().map(|e| (e.txn_id, e.row_id)).collect()
    };
    let ids_before = ids(&db.path);
    sql(&db.path, &format!("DELETE FROM entry_block WHERE id = {};", (1i64 << 32) | 1));

    let report = db.ok(&["doctor"], 1);
    assert!(report.contains("DAMAGED (1 of 3 blocks)") && report.contains("block 1: is missing"), "{report}");
    // No balance break that is not there, blamed on the vendor: the read is refused.
    let out = db.run(&["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("default/credits is damaged"), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "no findings printed");

    let report = db.ok(&["doctor", "--repair"], 0);
    assert!(report.contains("repaired (5904 entries kept, 4096 read again"), "{report}");
    assert!(db.ok(&["doctor"], 0).contains("OK (10000 entries in 3 blocks)"));
    assert_eq!(db.check_json(&[]).0["findings"], before["findings"]);
    let after = ids(&db.path);
    for (position, (b, a)) in ids_before.iter().zip(&after).enumerate() {
        assert_eq!(a.0, b.0, "walk order kept");
        if !(4096..8192).contains(&position) {
            assert_eq!(a.1, b.1, "an intact block's entry keeps its id");
        }
    }
}

#[test]
fn a_renamed_or_deleted_label_is_found_and_restored_from_the_files() {
    let db = Db::new();
    let file = imported_copy(&db);
    let (before, _) = db.check_json(&["--include-explained"]);
    let chats = before["findings"].as_array().unwrap().len();
    // A type renamed (every CHAT entry would read as another type) and a description deleted.
    sql(
        &db.path,
        "UPDATE label SET text = 'GIFT' WHERE text = 'CHAT';
         DELETE FROM label WHERE id = (SELECT max(id) FROM label);",
    );
    let report = db.ok(&["doctor"], 1);
    assert!(report.contains("labels: DAMAGED"), "{report}");
    // An import on top would intern CHAT again under a second id: refused.
    let out = db.run(&["import", "fixtures/clean.csv", "--account", "other"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("label table is damaged"), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "reckon: could not store the import: the label table is damaged in the database (the types, descriptions \
         and labels of entries would read wrong); run `reckon doctor` to verify it and restore it from the imported \
         files\n"
    );

    // The file gone: named, nothing changed.
    let moved = db.dir().join("moved.csv");
    std::fs::rename(&file, &moved).unwrap();
    let report = db.ok(&["doctor", "--repair"], 1);
    assert!(report.contains("labels: not repaired") && report.contains("ledger.csv (missing"), "{report}");
    std::fs::rename(&moved, &file).unwrap();

    let report = db.ok(&["doctor", "--repair"], 0);
    assert!(report.contains("labels: repaired (2 restored from the imported files"), "{report}");
    assert!(db.ok(&["doctor"], 0).contains("default/credits: OK (68 entries in 1 blocks)"));
    let (after, _) = db.check_json(&["--include-explained"]);
    assert_eq!(after, before, "every entry reads its type and description again ({chats} findings)");

    // Two labels given each other's text, and a third the text another holds (SQLite keeps no
    // index on the texts: the store keeps them unique): found and restored the same way.
    sql(
        &db.path,
        "UPDATE label SET text = CASE text WHEN 'IMAGE' THEN 'VIDEO' ELSE 'IMAGE' END WHERE text IN ('IMAGE', 'VIDEO');
         UPDATE label SET text = 'PURCHASE' WHERE text = 'CHAT';",
    );
    assert!(db.ok(&["doctor"], 1).contains("labels: DAMAGED"));
    let report = db.ok(&["doctor", "--repair"], 0);
    assert!(report.contains("labels: repaired (3 restored from the imported files"), "{report}");
    let (after, _) = db.check_json(&["--include-explained"]);
    assert_eq!(after, before, "every entry reads its type again");
}

#[test]
fn a_relative_import_is_repaired_from_another_folder() {
    let db = Db::new();
    let file = db.dir().join("ledger.csv");
    std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/faulty.csv"), &file).unwrap();
    // Imported as `ledger.csv` from the database's folder; repaired from the crate's folder.
    let out = db.command(&["import", "ledger.csv"]).current_dir(db.dir()).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ledger.csv: 68 entries"), "the path as given");
    flip_a_bit(&db.path, 0);
    let report = db.ok(&["doctor", "--repair"], 0);
    assert!(report.contains("repaired (0 entries kept, 68 read again"), "{report}");

    // A row an older Reckon stored relative: the absolute path recorded for the same file
    // (a later re-import) is preferred.
    let out = db.command(&["import", "ledger.csv"]).current_dir(db.dir()).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 new, 68 already known"));
    sql(&db.path, "UPDATE source_file SET path = 'ledger.csv' WHERE id = 1;");
    flip_a_bit(&db.path, 0);
    let report = db.ok(&["doctor", "--repair"], 0);
    assert!(report.contains("repaired (0 entries kept, 68 read again"), "{report}");
}

/// A database of one imported ledger, closed (its WAL checkpointed into the file).
fn closed_database() -> (Db, PathBuf) {
    let db = Db::new();
    let file = db.dir().join("big.csv");
    write_ledger(&file, 10_000, 0, 1_000_000_000);
    db.import(file.to_str().unwrap());
    assert!(
        !db.dir().join("reckon.db-wal").exists()
            || std::fs::metadata(db.dir().join("reckon.db-wal")).unwrap().len() == 0
    );
    (db, file)
}

/// Doctor and a repair over SQLite-level damage: exit 2, what happened and what to do, the
/// sources the file still names, and the file left as it was.
fn assert_refused_with_advice(db: &Db, expect: &[&str]) {
    let bytes = std::fs::read(&db.path).unwrap();
    for args in [&["doctor"][..], &["doctor", "--repair"]] {
        let out = db.run(args);
        let (text, stdout) = (stderr(&out), String::from_utf8_lossy(&out.stdout).into_owned());
        assert_eq!(out.status.code(), Some(2), "reckon {args:?}\nstdout: {stdout}\nstderr: {text}");
        assert!(!stdout.contains("OK"), "a damaged file is never OK: {stdout}");
        assert!(!text.contains("panicked") && !text.contains("older Reckon"), "{text}");
        for e in expect {
            assert!(text.contains(e), "reckon {args:?}: expected {e:?} in: {text}");
        }
        assert_eq!(std::fs::read(&db.path).unwrap(), bytes, "reckon {args:?} left the file as it was");
    }
}

#[test]
fn sqlite_level_damage_gets_advice_and_is_never_ok() {
    // Cut off.
    let (db, file) = closed_database();
    let len = std::fs::metadata(&db.path).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&db.path).unwrap().set_len(len / 2).unwrap();
    let _ = std::fs::remove_file(db.dir().join("reckon.db-shm"));
    assert_refused_with_advice(&db, &["damaged below the ledgers", "Restore it from a backup"]);
    let out = db.run(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("reckon doctor"), "check names the way on: {}", stderr(&out));

    // A page flipped: the root pages of the label and source tables, one at a time.
    for table in ["label", "chain"] {
        let (db, file) = closed_database();
        let (page_size, root): (i64, i64) = {
            let conn = Connection::open(&db.path).unwrap();
            let size = conn.pragma_query_value(None, "page_size", |r| r.get(0)).unwrap();
            let root =
                conn.query_row("SELECT rootpage FROM sqlite_schema WHERE name = ?1", [table], |r| r.get(0)).unwrap();
            (size, root)
        };
        let mut bytes = std::fs::read(&db.path).unwrap();
        let at = ((root - 1) * page_size) as usize + if root == 1 { 100 } else { 0 };
        bytes[at] ^= 0xFF; // the b-tree page type
        std::fs::write(&db.path, bytes).unwrap();
        let listed = file.to_str().unwrap().to_string();
        let expect: Vec<&str> = if table == "label" {
            vec!["damaged below the ledgers", "Restore it from a backup", &listed]
        } else {
            vec!["damaged below the ledgers", "Restore it from a backup"]
        };
        assert_refused_with_advice(&db, &expect);
    }
    let _ = file;

    // Wiped to nothing: not "an older schema", and never repaired into an empty database.
    let (db, _) = closed_database();
    std::fs::write(&db.path, b"").unwrap();
    let _ = std::fs::remove_file(db.dir().join("reckon.db-shm"));
    assert_refused_with_advice(&db, &["empty file (0 bytes)", "restore it from a backup"]);
    assert_eq!(std::fs::metadata(&db.path).unwrap().len(), 0);
    let out = db.run(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("empty file"), "{}", stderr(&out));

    // A header whose schema version no Reckon writes: said once, no advice to loop on.
    let (db, _) = closed_database();
    sql(&db.path, "PRAGMA user_version = -1;");
    assert_refused_with_advice(&db, &["schema version reads -1", "Restore it from a backup"]);
    for args in [&["check"][..], &["import", "fixtures/clean.csv"]] {
        let out = db.run(args);
        assert_eq!(out.status.code(), Some(2));
        let text = stderr(&out);
        assert!(text.contains("schema version reads -1") && !text.contains("open it once"), "{text}");
    }
}

#[test]
fn a_damaged_synced_ledger_is_synced_again() {
    use reckon_api::mock::{MockServer, Reverie};
    const KEY: &str = "sk_test_doctor_4242";
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/clean.json")).unwrap();
    let api = MockServer::start(Reverie::from_ledger(&bytes, KEY).unwrap()).unwrap();
    let url = api.base_url();
    let db = Db::new();
    let sync = |key: Option<&str>| {
        let mut command = db.command(&["sync", "reverie", "--base-url", &url, "--page-size", "40"]);
        match key {
            Some(k) => command.env("RECKON_API_KEY", k),
            None => command.env_remove("RECKON_API_KEY"),
        };
        command.output().unwrap()
    };
    let doctor = |key: Option<&str>, code: i32| {
        let mut command = db.command(&["doctor", "--repair"]);
        match key {
            Some(k) => command.env("RECKON_API_KEY", k),
            None => command.env_remove("RECKON_API_KEY"),
        };
        let out = command.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(out.status.code(), Some(code), "stdout: {stdout}\nstderr: {}", stderr(&out));
        stdout
    };
    assert_eq!(sync(Some(KEY)).status.code(), Some(0));
    let (before, _) = db.check_json(&[]);
    assert_eq!(before["chains"][0]["entries"], 97);

    // Without a key: the damaged block goes, and doctor says which sync brings it back.
    flip_a_bit(&db.path, 0);
    let out = sync(Some(KEY));
    assert_eq!(out.status.code(), Some(2), "a sync does not build on a damaged ledger");
    let report = doctor(None, 1);
    assert!(report.contains("97 came from its API"), "{report}");
    assert!(report.contains(&format!("run `reckon sync reverie --base-url {url}")), "{report}");
    assert!(db.ok(&["doctor"], 1).contains("default/credits: WAITING FOR A SYNC"));
    let out = db.run(&["check"]);
    assert_eq!(out.status.code(), Some(2), "a ledger missing entries is not checked");
    assert!(stderr(&out).contains("waits for a sync"), "{}", stderr(&out));
    // The sync it names refills the whole ledger.
    let out = sync(Some(KEY));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("97 new"), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(db.ok(&["doctor"], 0).contains("default/credits: OK (97 entries in 1 blocks)"));
    assert_eq!(db.check_json(&[]).0["findings"], before["findings"]);

    // With the key at hand, the repair syncs itself.
    flip_a_bit(&db.path, 0);
    let report = doctor(Some(KEY), 0);
    assert!(report.contains(&format!("repaired by a sync of its whole ledger from {url}")), "{report}");
    assert!(db.ok(&["doctor"], 0).contains("default/credits: OK (97 entries in 1 blocks)"));
    assert_eq!(db.check_json(&[]).0["findings"], before["findings"]);
}
