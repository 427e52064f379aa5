//! Re-imports, conflicts, notes, and the queries the screens page through.

use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use reckon::check::{check, CheckOptions};
use reckon::import::ImportOptions;
use reckon::import::NoProgress;
use reckon::store::{GroupBy, LedgerFilter, Store};

use crate::support::{faults, Db};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

fn opts() -> ImportOptions {
    ImportOptions::new(Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap())
}

#[test]
fn reimporting_the_same_file_adds_nothing() {
    let db = Db::new();
    let first = db.import("fixtures/faulty.csv");
    assert!(first.contains("68 new, 0 already known, 0 conflicting"), "{first}");
    let second = db.import("fixtures/faulty.csv");
    assert!(second.contains("0 new, 68 already known, 0 conflicting"), "{second}");
}

#[test]
fn an_overlapping_export_with_a_rewritten_transaction_is_a_conflict() {
    let db = Db::new();
    db.import("fixtures/faulty.csv");
    let out = db.import("fixtures/faulty-rewritten.csv");
    assert!(out.contains("0 new, 19 already known, 1 conflicting"), "{out}");
    let (check, code) = db.check_json(&[]);
    let conflicts: Vec<_> = faults(&check).into_iter().filter(|f| f.0 == "conflicting_duplicate").collect();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].1, vec!["txn_f599c90e88".to_string()]);
    assert_eq!(conflicts[0].2, None);
    assert_eq!(code, 1);
    // The ledger keeps the first version; the balance does not change.
    assert_eq!(check["chains"][0]["ledger_balance"], "1502.97");
    // Seeing the same rewrite again is not a new conflict.
    db.import("fixtures/faulty-rewritten.csv");
    let (again, _) = db.check_json(&[]);
    assert_eq!(faults(&again), faults(&check));
}

#[test]
fn overlapping_exports_merge_into_one_chain_in_walk_order() {
    let mut store = Store::open_in_memory().unwrap();
    // The shuffled export's same-second rows land among rows already stored from the clean one.
    reckon::import::import(&mut store, &[fixture("clean.csv")], &opts(), &mut NoProgress).unwrap();
    let s =
        reckon::import::import(&mut store, &[fixture("shuffled.csv"), fixture("clean.json")], &opts(), &mut NoProgress)
            .unwrap();
    assert_eq!(s.new_entries(), 0);
    assert_eq!(s.known_entries(), 97 * 2);
    let report = check(&store, &CheckOptions::default()).unwrap();
    assert_eq!(report.findings, vec![]);
    // Pages come newest first and each balance follows from the next older one.
    let filter = LedgerFilter { chain_id: Some(s.chain_ids[0]), ..LedgerFilter::default() };
    let rows = store.ledger_page(&filter, 0, 200).unwrap();
    assert_eq!(rows.len(), 97);
    for pair in rows.windows(2) {
        assert_eq!(
            pair[0].balance_after.unwrap() - pair[0].amount,
            pair[1].balance_after.unwrap(),
            "{} follows {}",
            pair[0].txn_id,
            pair[1].txn_id
        );
    }
}

#[test]
fn notes_survive_reimports_and_leave_the_error_count() {
    let mut store = Store::open_in_memory().unwrap();
    reckon::import::import(&mut store, &[fixture("faulty.csv")], &opts(), &mut NoProgress).unwrap();
    let report = check(&store, &CheckOptions::default()).unwrap();
    assert_eq!(report.open_errors(), 2);
    let brk = report.findings.iter().find(|f| f.finding.kind.as_str() == "balance_break").unwrap();
    store.set_note(&brk.finding.id, "Vendor confirmed a lost charge", Utc::now()).unwrap();
    reckon::import::import(&mut store, &[fixture("faulty.csv")], &opts(), &mut NoProgress).unwrap();
    let report = check(&store, &CheckOptions::default()).unwrap();
    assert_eq!(report.open_errors(), 1);
    let again = report.finding(&brk.finding.id).unwrap();
    assert_eq!(again.note.as_ref().unwrap().note, "Vendor confirmed a lost charge");
    store.clear_note(&brk.finding.id).unwrap();
    assert_eq!(check(&store, &CheckOptions::default()).unwrap().open_errors(), 2);
}

#[test]
fn filters_pages_totals_and_summaries_agree() {
    let mut store = Store::open_in_memory().unwrap();
    let s = reckon::import::import(&mut store, &[fixture("clean.csv")], &opts(), &mut NoProgress).unwrap();
    let all = LedgerFilter { chain_id: Some(s.chain_ids[0]), ..LedgerFilter::default() };
    let chats = LedgerFilter { types: vec!["CHAT".into()], ..all.clone() };
    let chat_rows = store.ledger_page(&chats, 0, 1000).unwrap();
    assert!(chat_rows.iter().all(|r| r.kind == "CHAT"));
    let totals = store.ledger_totals(&chats).unwrap();
    assert_eq!(totals.entries, chat_rows.len() as u64);
    assert_eq!(totals.credits_out, chat_rows.iter().map(|r| r.amount).sum());
    assert_eq!(totals.credits_in, rust_decimal::Decimal::ZERO);
    // Paging: two pages of 10 are the first 20 rows.
    let first20 = store.ledger_page(&all, 0, 20).unwrap();
    let mut paged = store.ledger_page(&all, 0, 10).unwrap();
    paged.extend(store.ledger_page(&all, 10, 10).unwrap());
    assert_eq!(first20, paged);
    // A summary by type adds up to the unfiltered totals.
    let by_type = store.summary(&all, GroupBy::Type).unwrap();
    let total = store.ledger_totals(&all).unwrap();
    assert_eq!(by_type.iter().map(|r| r.totals.entries).sum::<u64>(), total.entries);
    assert_eq!(by_type.iter().map(|r| r.totals.net()).sum::<rust_decimal::Decimal>(), total.net());
    assert_eq!(by_type.iter().find(|r| r.key == "CHAT").unwrap().totals, totals);
    // ID prefix search and date range.
    let one = &first20[3];
    let found =
        store.ledger_page(&LedgerFilter { search: Some(one.txn_id[..10].into()), ..all.clone() }, 0, 50).unwrap();
    assert!(found.iter().any(|r| r.txn_id == one.txn_id));
    assert!(found.iter().all(|r| r.txn_id.starts_with(&one.txn_id[..10])));
    let day =
        store.ledger_page(&LedgerFilter { from: Some(one.ts), to: Some(one.ts + 1), ..all.clone() }, 0, 50).unwrap();
    assert!(day.iter().all(|r| r.ts == one.ts) && !day.is_empty());
    // Facets list what occurs.
    let facets = store.facets(s.chain_ids[0]).unwrap();
    assert!(facets.types.contains(&"CHAT".to_string()) && facets.types.contains(&"REFUND".to_string()));
    assert!(facets.dimensions[0].1.contains(&"Captain Nemo, the Navigator".to_string()));
    assert!(facets.dimensions[1].1.contains(&"DeepSeek V3.2".to_string()));
}

#[test]
fn entry_detail_shows_the_raw_source_line() {
    let mut store = Store::open_in_memory().unwrap();
    let s = reckon::import::import(&mut store, &[fixture("messy.csv")], &opts(), &mut NoProgress).unwrap();
    let filter = LedgerFilter {
        chain_id: Some(s.chain_ids[0]),
        labels: vec![("character".into(), "Captain Nemo, the Navigator".into())],
        ..LedgerFilter::default()
    };
    let row = store.ledger_page(&filter, 0, 1).unwrap().remove(0);
    let detail = reckon::import::entry_detail(&store, row.id).unwrap();
    let raw = detail.raw.expect("the fixture is still there");
    assert!(raw.starts_with(&row.txn_id) || raw.starts_with(&format!("\"{}\"", row.txn_id)), "{raw}");
    assert!(raw.contains("\"Captain Nemo, the Navigator\""));
    let text = std::fs::read_to_string(fixture("messy.csv")).unwrap();
    let line = text.split("\r\n").nth(row.source_line as usize - 1).unwrap();
    assert_eq!(raw, line.trim_start_matches('\u{feff}'));
}

#[test]
fn balance_series_keeps_extremes_when_thinned() {
    let mut store = Store::open_in_memory().unwrap();
    let s = reckon::import::import(&mut store, &[fixture("demo.csv")], &opts(), &mut NoProgress).unwrap();
    let full = store.balance_series(s.chain_ids[0], 100_000).unwrap();
    assert_eq!(full.len(), 644);
    let thin = store.balance_series(s.chain_ids[0], 40).unwrap();
    assert!(thin.len() <= 40 && thin.len() >= 10, "{}", thin.len());
    let max = full.iter().map(|p| p.balance).max().unwrap();
    let min = full.iter().map(|p| p.balance).min().unwrap();
    assert!(thin.iter().any(|p| p.balance == max) && thin.iter().any(|p| p.balance == min));
    assert_eq!(thin.last(), full.last());
}

#[test]
fn cancelling_an_import_stores_nothing() {
    struct Cancel;
    impl reckon::import::ProgressSink for Cancel {
        fn progress(&mut self, p: &reckon::import::Progress<'_>) -> std::ops::ControlFlow<()> {
            if p.stage == reckon::import::Stage::Storing {
                std::ops::ControlFlow::Break(())
            } else {
                std::ops::ControlFlow::Continue(())
            }
        }
    }
    let mut store = Store::open_in_memory().unwrap();
    let err = reckon::import::import(&mut store, &[fixture("clean.csv")], &opts(), &mut Cancel).unwrap_err();
    assert!(matches!(err, reckon::import::ImportError::Cancelled));
    assert!(store.chains().unwrap().is_empty());
}

#[test]
fn check_over_the_store_equals_reconciling_the_loaded_entries() {
    use reckon::reconcile::{reconcile_chain, Anchors, Reference, RuleConfig};
    let stated = rust_decimal::Decimal::new(158_301, 2);
    let opening = rust_decimal::Decimal::new(-5, 1);
    let loose = RuleConfig {
        unusual: reckon::reconcile::UnusualRule {
            min_history: 2,
            ratio: rust_decimal::Decimal::new(15, 1),
            mad_multiple: rust_decimal::Decimal::ONE,
            gap: rust_decimal::Decimal::ONE,
            recurring: 2,
        },
        ..RuleConfig::default()
    };
    for fixtures in [&["faulty.csv", "faulty-rewritten.csv"][..], &["demo.csv"], &["messy.csv"], &["shuffled.csv"]] {
        let mut store = Store::open_in_memory().unwrap();
        let paths: Vec<PathBuf> = fixtures.iter().map(|f| fixture(f)).collect();
        for p in &paths {
            reckon::import::import(&mut store, std::slice::from_ref(p), &opts(), &mut NoProgress).unwrap();
        }
        for (anchors, rules) in [
            (Anchors::default(), RuleConfig::default()),
            (Anchors { stated: Some(stated), opening: Some(opening) }, loose.clone()),
        ] {
            let options = CheckOptions {
                stated: anchors.stated,
                opening: anchors.opening,
                rules: rules.clone(),
                ..Default::default()
            };
            let report = check(&store, &options).unwrap();
            let chain = store.chains().unwrap().remove(0);
            let mut entries = store.load_entries(chain.id).unwrap();
            let conflicts = store.conflicts(chain.id).unwrap();
            let source = reckon::import::source(&chain.source).unwrap();
            let keys: Vec<&str> = chain.dimensions.iter().map(|d| d.key.as_str()).collect();
            let reference =
                Reference { title: source.title, types: source.types, dimensions: &keys, price_dim: Some(1) };
            let expected = reconcile_chain(&chain.key, &reference, &mut entries, anchors, &conflicts, &rules);
            let got: Vec<_> = report.findings.into_iter().map(|f| f.finding).collect();
            assert!(!expected.is_empty() || fixtures[0] != "faulty.csv");
            assert_eq!(got, expected, "{fixtures:?}");
            assert_eq!(report.chains[0].ledger_balance, entries.last().map(|e| e.balance_after));
        }
    }
}

#[test]
fn a_known_file_reimported_reports_the_same_counts_as_reading_it() {
    let mut store = Store::open_in_memory().unwrap();
    let counts = |s: &reckon::store::ImportSummary| (s.new_entries(), s.known_entries(), s.conflicting_entries());
    let faulty = [fixture("faulty.csv")];
    let rewritten = [fixture("faulty-rewritten.csv")];
    let both = [fixture("faulty.csv"), fixture("faulty-rewritten.csv")];
    assert_eq!(counts(&reckon::import::import(&mut store, &faulty, &opts(), &mut NoProgress).unwrap()), (68, 0, 0));
    // Read in full (a new file), then known: the conflict is still counted, and stored once.
    assert_eq!(counts(&reckon::import::import(&mut store, &rewritten, &opts(), &mut NoProgress).unwrap()), (0, 19, 1));
    assert_eq!(counts(&reckon::import::import(&mut store, &rewritten, &opts(), &mut NoProgress).unwrap()), (0, 19, 1));
    let again = reckon::import::import(&mut store, &both, &opts(), &mut NoProgress).unwrap();
    assert_eq!(
        again.files.iter().map(|f| (f.new, f.known, f.conflicting)).collect::<Vec<_>>(),
        [(0, 68, 0), (0, 19, 1)]
    );
    assert_eq!(again.files[1].entries, 20);
    let report = check(&store, &CheckOptions::default()).unwrap();
    assert_eq!(report.findings.iter().filter(|f| f.finding.kind.as_str() == "conflicting_duplicate").count(), 1);
    // The same bytes into another chain are new there.
    let mut other = opts();
    other.chain = reckon::model::ChainKey::new("someone-else", "credits");
    assert_eq!(counts(&reckon::import::import(&mut store, &faulty, &other, &mut NoProgress).unwrap()), (68, 0, 0));
    assert_eq!(counts(&reckon::import::import(&mut store, &faulty, &other, &mut NoProgress).unwrap()), (0, 68, 0));
    assert_eq!(store.chains().unwrap().iter().map(|c| c.entries).sum::<u64>(), 136);
}

#[test]
fn pages_from_either_end_and_kept_totals_agree_with_a_scan() {
    let mut store = Store::open_in_memory().unwrap();
    let s = reckon::import::import(&mut store, &[fixture("clean.csv")], &opts(), &mut NoProgress).unwrap();
    reckon::import::import(&mut store, &[fixture("faulty.csv")], &opts(), &mut NoProgress).unwrap();
    for types in
        [vec![], vec!["CHAT".to_string()], vec!["IMAGE".to_string(), "REFUND".to_string()], vec!["NOPE".to_string()]]
    {
        let kept = LedgerFilter { chain_id: Some(s.chain_ids[0]), types: types.clone(), ..LedgerFilter::default() };
        // A time range that covers everything forces the scan.
        let scanned = LedgerFilter { from: Some(i64::MIN), ..kept.clone() };
        assert_eq!(store.ledger_totals(&kept).unwrap(), store.ledger_totals(&scanned).unwrap(), "{types:?}");
        let all = store.ledger_page(&scanned, 0, 10_000).unwrap();
        assert_eq!(all.len() as u64, store.ledger_totals(&kept).unwrap().entries);
        for offset in [0, 1, 7, 80, 95, 150, 160, 164, 165, 170] {
            for limit in [1, 10, 200] {
                let page = store.ledger_page(&kept, offset, limit).unwrap();
                let expected: Vec<_> = all.iter().skip(offset as usize).take(limit as usize).cloned().collect();
                assert_eq!(page, expected, "{types:?} offset {offset} limit {limit}");
            }
        }
    }
    let chain = store.chain(s.chain_ids[0]).unwrap();
    assert_eq!(chain.entries, 97 + 68);
}

/// The app opens its own connection for an import while the screens open theirs; on a fresh
/// database both find it unmigrated. Every opener must succeed and the schema be made once.
#[test]
fn connections_opening_a_fresh_database_at_once_all_succeed() {
    use std::sync::{Arc, Barrier};
    const OPENERS: usize = 4;
    for round in 0..25 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reckon.db");
        let start = Arc::new(Barrier::new(OPENERS));
        let openers: Vec<_> = (0..OPENERS)
            .map(|_| {
                let (path, start) = (path.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    Store::open(&path).map(|s| s.chains().map(|c| c.len()))
                })
            })
            .collect();
        for opener in openers {
            match opener.join().unwrap() {
                Ok(Ok(0)) => {}
                other => panic!("round {round}: a concurrent open gave {other:?}"),
            }
        }
    }
}

/// The app writes notes on the screens' connection while an import runs on its own. An import
/// reads what is stored before it writes: begun as a reader, it would read the chain while a
/// note's transaction is open and then, once the note commits, fail "database is locked" on
/// its first write, busy timeout or not, because what it read is no longer the latest.
#[test]
fn an_import_waits_for_a_note_written_on_another_connection() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reckon.db");
    let clean = std::fs::read_to_string(fixture("clean.csv")).unwrap();
    let (header, rows) = clean.split_once('\n').unwrap();
    let rows: Vec<&str> = rows.lines().collect();
    // The oldest 50 entries first, then an export one entry longer: the second import reads the
    // stored chain and then writes to it.
    let export = |n: usize| {
        let file = dir.path().join(format!("export-{n}.csv"));
        std::fs::write(&file, format!("{header}\n{}\n", rows[rows.len() - n..].join("\n"))).unwrap();
        file
    };
    let mut store = Store::open(&path).unwrap();
    reckon::import::import(&mut store, &[export(50)], &opts(), &mut NoProgress).unwrap();
    let longer = export(51);

    let (locked, wait_locked) = std::sync::mpsc::channel();
    let screens = std::thread::spawn({
        let path = path.clone();
        move || {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch(
                "BEGIN IMMEDIATE;
                 INSERT INTO finding_note (finding_id, note, explained_at) VALUES ('f1', 'checked', '2026-11-01');",
            )
            .unwrap();
            locked.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(300));
            conn.execute_batch("COMMIT").unwrap();
        }
    });
    wait_locked.recv().unwrap();
    let summary = reckon::import::import(&mut store, &[longer], &opts(), &mut NoProgress);
    screens.join().unwrap();
    assert_eq!(summary.expect("the import waits for the note, then stores").new_entries(), 1);
    assert_eq!(store.notes().unwrap().len(), 1, "the note is kept");
}

/// Entry ids are given once, when an entry is first stored: importing older entries after
/// newer ones moves the newer ones in walk order but not their ids, so an id the app holds
/// (detail panel, a finding's entries) keeps opening the same transaction.
#[test]
fn an_entry_keeps_its_id_when_older_entries_arrive_later() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("faulty.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.collect();
    // Rows are newest first: the first half is the newer one.
    let (newer, older) = rows.split_at(rows.len() / 2);
    let write = |name: &str, part: &[&str]| {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("{header}\n{}\n", part.join("\n"))).unwrap();
        path
    };
    let (newer, older) = (write("newer.csv", newer), write("older.csv", older));

    let mut store = Store::open(&dir.path().join("ids.db")).unwrap();
    let s = reckon::import::import(&mut store, &[newer], &opts(), &mut NoProgress).unwrap();
    let chain = LedgerFilter { chain_id: Some(s.chain_ids[0]), ..LedgerFilter::default() };
    let before = store.ledger_page(&chain, 0, 1_000).unwrap();
    let held: Vec<(i64, String)> = before.iter().map(|r| (r.id, r.txn_id.clone())).collect();
    assert!(held.len() > 10);

    reckon::import::import(&mut store, &[older], &opts(), &mut NoProgress).unwrap();
    for (id, txn) in &held {
        let detail = reckon::import::entry_detail(&store, *id).unwrap();
        assert_eq!(&detail.row.txn_id, txn, "entry {id} opens another transaction after the older import");
    }
    let after = store.ledger_page(&chain, 0, 1_000).unwrap();
    assert_eq!(after.len(), rows.len());
    let ids: std::collections::HashSet<i64> = after.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), after.len(), "every entry has its own id");
    // The older entries were numbered after the newer ones.
    let newest_of_older = after.iter().filter(|r| !held.iter().any(|(_, t)| t == &r.txn_id)).map(|r| r.id).min();
    assert!(newest_of_older > held.iter().map(|h| h.0).max());

    // A finding's entries are the ones it names, by id.
    let report = check(&store, &CheckOptions::default()).unwrap();
    assert!(!report.findings.is_empty());
    for f in &report.findings {
        for (id, txn) in f.finding.row_ids.iter().zip(&f.finding.transaction_ids) {
            assert_eq!(&reckon::import::entry_detail(&store, *id).unwrap().row.txn_id, txn, "{}", f.finding.id);
        }
    }
    // And the ids survive reopening the database.
    drop(store);
    let store = Store::open(&dir.path().join("ids.db")).unwrap();
    for (id, txn) in &held {
        assert_eq!(&reckon::import::entry_detail(&store, *id).unwrap().row.txn_id, txn);
    }
}

/// A check of many chains reads label texts on a second connection (`Store::label_reader`):
/// only while its label table is the one the check's own read sees. Once a write has added
/// labels since that read began, none is given (the check then stays on one thread), nor for
/// a database in memory.
#[test]
fn a_label_reader_is_given_only_while_the_labels_are_the_reads_own() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("labels.db");
    let mut writer = Store::open(&path).unwrap();
    reckon::import::import(&mut writer, &[fixture("clean.csv")], &opts(), &mut NoProgress).unwrap();
    assert!(Store::open_in_memory().unwrap().label_reader().is_none());
    let reader = Store::open_read_only(&path).unwrap();
    reader
        .in_one_read(|| {
            assert_eq!(reader.chains().unwrap().len(), 1);
            let labels = reader.label_reader().expect("the same labels");
            assert!(!labels.label(1).is_empty());
            let s = reckon::import::import(&mut writer, &[fixture("stripe-balance.json")], &opts(), &mut NoProgress)
                .unwrap();
            assert!(s.new_entries() > 0);
            // This read still sees one chain, and its labels are no longer the file's.
            assert_eq!(reader.chains().unwrap().len(), 1);
            assert!(reader.label_reader().is_none());
        })
        .unwrap();
    assert!(reader.label_reader().is_some(), "a new read sees the new labels");
}
