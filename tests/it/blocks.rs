//! The block store against a naive model. Ledgers of a few blocks are generated here, written
//! as Reverie CSV exports, imported whole, in overlapping parts and into two chains; every
//! answer of the store is then recomputed from the generated entries.
//!
//! Each generated ledger has a running balance that adds up, and entries that share a second
//! always move the balance the same way, so the balances of a same-second group are all
//! different: the walk order is then exactly the order the entries were generated in, and so
//! are the entry ids (`chain_id * 2^32 + position`). The model can therefore predict every row
//! of every page, not only which rows a page holds.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use reckon::check::{check, CheckOptions};
use reckon::import::{entry_detail, ImportOptions, NoProgress};
use reckon::model::ChainKey;
use reckon::store::{GroupBy, ImportSummary, LedgerFilter, LedgerRow, Store, StoreError, SummaryRow, Totals};
use rust_decimal::Decimal;

/// Entries per block (`store::block::BLOCK`).
const BLOCK: u64 = 4096;
const SECOND: i64 = 1_000_000;
/// 2026-03-01T00:00:00Z.
const MARCH_1: i64 = 1_772_323_200;

/// SplitMix64: small, deterministic, good enough to shuffle a ledger.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }

    fn percent(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// Who appears in a ledger.
struct Cast {
    characters: &'static [&'static str],
    models: &'static [&'static str],
}

const CAST: Cast = Cast {
    characters: &["Aria", "Captain Nemo, the Navigator", "Dr. \"Doc\" Brown", "\u{c9}mile", "Luna"],
    models: &["DeepSeek V3.2", "GPT-5 mini", "Claude Haiku 4.5"],
};

const OTHER_CAST: Cast = Cast { characters: &["Luna", "Zed"], models: &["GPT-5 mini", "Mistral Small"] };

/// One generated entry. Money in cents.
#[derive(Debug, Clone)]
struct Gen {
    txn_id: String,
    secs: i64,
    kind: &'static str,
    description: String,
    amount: i64,
    after: i64,
    character: Option<&'static str>,
    model: Option<&'static str>,
}

/// A ledger of `n` entries, oldest first, starting at `start` (Unix seconds) from a zero
/// balance. A quarter or so of the entries share their second with the one before. Its labels
/// number well over 127 (descriptions carry token counts), and a character and a model that
/// only the oldest entries have get the highest label ids, as files are read newest first.
/// A few transaction IDs are longer than 127 bytes or not ASCII.
fn ledger(seed: u64, n: usize, start: i64, cast: &Cast) -> Vec<Gen> {
    let mut rng = Rng(seed);
    let mut ids = HashSet::new();
    let mut out: Vec<Gen> = Vec::with_capacity(n);
    let (mut balance, mut secs, mut prev_sign) = (0i64, start, 0i64);
    for i in 0..n {
        let roll = rng.range(0, 99);
        let character = |rng: &mut Rng, p| if rng.percent(p) { Some(rng.pick(cast.characters)) } else { None };
        let (kind, description, amount, who, model): (&'static str, String, i64, Option<&'static str>, _) =
            if i == 0 || balance < 300 * 100 || roll < 3 {
                let credits = rng.range(1, 10) * 100;
                ("PURCHASE", format!("Credit pack, {credits} credits"), credits * 100, None, None)
            } else if roll < 63 && i < 300 && rng.percent(50) {
                ("CHAT", "Legacy reply".to_string(), -rng.range(20, 200), Some("Old Friend"), Some("Legacy 1"))
            } else if roll < 63 {
                let model = rng.pick(cast.models);
                let description = format!("{model} reply, {} tokens", rng.range(1, 400));
                ("CHAT", description, -rng.range(20, 200), character(&mut rng, 80), Some(model))
            } else if roll < 75 {
                (
                    "IMAGE",
                    "Portrait, 1024x1024".to_string(),
                    -rng.range(200, 600),
                    character(&mut rng, 50),
                    Some("Flux 1.1"),
                )
            } else if roll < 84 {
                ("DAILY_REWARD", "Daily reward".to_string(), 500, None, None)
            } else if roll < 90 {
                ("REFUND", "Refund for a failed reply".to_string(), rng.range(20, 600), character(&mut rng, 30), None)
            } else if roll < 94 {
                let who = Some(rng.pick(cast.characters));
                ("TTS", "Voice reply (free during promo)".to_string(), 0, who, Some("Reverie Voice"))
            } else {
                ("PLUGIN_COMMISSION", "Web search plugin share".to_string(), 12, None, None)
            };
        let sign = amount.signum();
        // Only a move the same way as the previous one may share its second.
        let same_second = i > 0 && sign != 0 && sign == prev_sign && rng.percent(40);
        if !same_second {
            secs += if rng.percent(2) { rng.range(3_600, 12 * 3_600) } else { rng.range(1, 240) };
        }
        prev_sign = sign;
        balance += amount;
        let txn_id = loop {
            let mut id = format!("txn_{:010x}", rng.next() >> 24);
            match rng.range(0, 199) {
                0 => id.push_str(&"-retried".repeat(20)),
                1 => id.push_str("-r\u{e9}essai"),
                _ => {}
            }
            if ids.insert(id.clone()) {
                break id;
            }
        };
        out.push(Gen { txn_id, secs, kind, description, amount, after: balance, character: who, model });
    }
    out
}

/// Where each entry of one written file is.
struct Written {
    path: PathBuf,
    range: Range<usize>,
    /// `(line, byte offset)` of entry `range.start + i`.
    at: Vec<(u64, u64)>,
    /// The text of each entry's line, without its end.
    lines: Vec<String>,
}

impl Written {
    fn count(&self) -> u64 {
        self.range.len() as u64
    }
}

fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn money(cents: i64, signed: bool) -> String {
    let sign = match (signed, cents.signum()) {
        (true, 1) => "+",
        (_, -1) => "-",
        _ => "",
    };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

fn rfc3339(secs: i64) -> String {
    DateTime::from_timestamp(secs, 0).unwrap().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// How an export is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// Newest first, LF: as Reverie writes them.
    Newest,
    /// Newest first, CRLF: other bytes, the same entries.
    NewestCrlf,
    /// Oldest first (rows may come in any order).
    Oldest,
}

/// Writes `gens[range]` as a Reverie CSV export.
fn write_csv(path: &Path, gens: &[Gen], range: Range<usize>, layout: Layout) -> Written {
    let eol = if layout == Layout::NewestCrlf { "\r\n" } else { "\n" };
    let mut text = format!("Transaction ID,Date,Type,Description,Amount,Balance after,Character,Model{eol}");
    let mut at = vec![(0, 0); range.len()];
    let mut lines = vec![String::new(); range.len()];
    let order: Vec<usize> =
        if layout == Layout::Oldest { range.clone().collect() } else { range.clone().rev().collect() };
    for (k, i) in order.into_iter().enumerate() {
        let g = &gens[i];
        let line = [
            field(&g.txn_id),
            rfc3339(g.secs),
            g.kind.to_string(),
            field(&g.description),
            money(g.amount, true),
            money(g.after, false),
            field(g.character.unwrap_or("")),
            field(g.model.unwrap_or("")),
        ]
        .join(",");
        at[i - range.start] = (k as u64 + 2, text.len() as u64);
        text.push_str(&line);
        text.push_str(eol);
        lines[i - range.start] = line;
    }
    std::fs::write(path, text).unwrap();
    Written { path: path.to_path_buf(), range, at, lines }
}

/// A filter on one dimension's value.
fn label(key: &str, value: &str) -> Vec<(String, String)> {
    vec![(key.to_string(), value.to_string())]
}

/// A row's character and model (the Reverie dimensions, in order).
fn character(r: &LedgerRow) -> Option<&String> {
    r.labels[0].as_ref()
}

fn model(r: &LedgerRow) -> Option<&String> {
    r.labels[1].as_ref()
}

/// The row the store should show for entry `i` numbered `seq` in `chain_id`, first brought by `w`.
fn row_of(gens: &[Gen], i: usize, chain_id: i64, seq: usize, w: &Written) -> LedgerRow {
    let g = &gens[i];
    let (line, offset) = w.at[i - w.range.start];
    LedgerRow {
        id: (chain_id << 32) | seq as i64,
        txn_id: g.txn_id.clone(),
        ts: g.secs * SECOND,
        kind: g.kind.to_string(),
        description: g.description.clone(),
        amount: Decimal::new(g.amount, 2),
        balance_after: Some(Decimal::new(g.after, 2)),
        labels: vec![g.character.map(str::to_string), g.model.map(str::to_string)],
        chain_id,
        source_path: w.path.to_string_lossy().into_owned(),
        source_format: "reverie-csv".to_string(),
        source_line: line,
        source_offset: offset,
    }
}

/// The rows the store should hold in `chain_id`, in walk order, when entry `i` came first with
/// `first[i]`, numbered `seqs[i]`, and entries with `None` were never imported. (Every second's
/// imported entries must be neighbours in `gens`, or their walk order is not `gens` order.)
fn partial_model(gens: &[Gen], chain_id: i64, first: &[Option<&Written>], seqs: &[Option<usize>]) -> Vec<LedgerRow> {
    (0..gens.len()).filter_map(|i| Some(row_of(gens, i, chain_id, seqs[i]?, first[i]?))).collect()
}

/// The rows the store should hold for all of `gens` in `chain_id`, every one from `w` in one
/// import (numbered in walk order).
fn model_rows(gens: &[Gen], chain_id: i64, w: &Written) -> Vec<LedgerRow> {
    let seqs: Vec<Option<usize>> = (0..gens.len()).map(Some).collect();
    partial_model(gens, chain_id, &vec![Some(w); gens.len()], &seqs)
}

/// The filter, applied the obvious way.
fn matches(f: &LedgerFilter, r: &LedgerRow) -> bool {
    let search = f.search.as_deref().map(str::trim).filter(|s| !s.is_empty());
    f.chain_id.is_none_or(|c| c == r.chain_id)
        && (f.types.is_empty() || f.types.contains(&r.kind))
        && f.from.is_none_or(|from| r.ts >= from)
        && f.to.is_none_or(|to| r.ts < to)
        && f.labels.iter().all(|(k, v)| match k.as_str() {
            "character" => character(r) == Some(v),
            "model" => model(r) == Some(v),
            _ => false,
        })
        && search.is_none_or(|s| r.txn_id.starts_with(s))
        && (f.row_ids.is_empty() || f.row_ids.contains(&r.id))
}

/// What one chain's view should list: newest first, a second's entries in reverse walk order.
fn listing(rows: &[LedgerRow], f: &LedgerFilter) -> Vec<LedgerRow> {
    rows.iter().rev().filter(|r| matches(f, r)).cloned().collect()
}

fn totals<'a>(rows: impl IntoIterator<Item = &'a LedgerRow>) -> Totals {
    let mut t = Totals::default();
    for r in rows {
        t.entries += 1;
        if r.amount > Decimal::ZERO {
            t.credits_in += r.amount;
        } else {
            t.credits_out += r.amount;
        }
    }
    t
}

fn day(ts: i64) -> String {
    DateTime::from_timestamp_micros(ts).unwrap().format("%Y-%m-%d").to_string()
}

fn model_summary(rows: &[LedgerRow], by: GroupBy) -> Vec<SummaryRow> {
    let mut groups: BTreeMap<Option<String>, Vec<&LedgerRow>> = BTreeMap::new();
    for r in rows {
        let key = match &by {
            GroupBy::Type => Some(r.kind.clone()),
            GroupBy::Label(k) if k == "character" => character(r).cloned(),
            GroupBy::Label(_) => model(r).cloned(),
            GroupBy::Day => Some(day(r.ts)),
            GroupBy::Transaction => Some(r.txn_id.clone()),
        };
        groups.entry(key).or_default().push(r);
    }
    groups
        .into_iter()
        .map(|(key, rows)| SummaryRow {
            key: key.unwrap_or_else(|| "(none)".into()),
            latest: rows.iter().map(|r| r.ts).max().unwrap_or(0),
            totals: totals(rows),
        })
        .collect()
}

/// Offsets worth a page: both ends, around the first block boundaries, and past the end.
/// (`u64::MAX` is a limit too: "everything from here on".)
fn offsets(len: u64, limit: u64) -> BTreeSet<u64> {
    if limit == u64::MAX {
        return [0, 1, BLOCK + 1, len.saturating_sub(1), len + 1].into_iter().collect();
    }
    [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK, len.saturating_sub(limit), len.saturating_sub(1), len, len + 1]
        .into_iter()
        .collect()
}

/// Every page of `f` is `expected[offset..offset + limit]`, pages of 100 add up to one
/// `for_each_row`, totals and summaries are the model's.
fn check_view(store: &Store, f: &LedgerFilter, expected: &[LedgerRow], what: &str) {
    let len = expected.len() as u64;
    assert_eq!(store.ledger_totals(f).unwrap(), totals(expected), "{what}: totals");

    let mut all = Vec::new();
    let n = store
        .for_each_row(f, |r| {
            all.push(r);
            Ok(())
        })
        .unwrap();
    assert_eq!(n, len, "{what}: for_each_row count");
    assert_rows_eq(&all, expected, &format!("{what}: for_each_row"));

    let mut paged = Vec::new();
    loop {
        let page = store.ledger_page(f, paged.len() as u64, 100).unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() == 100 || paged.len() + page.len() == all.len(), "{what}: a short page before the end");
        paged.extend(page);
        assert!(paged.len() <= all.len(), "{what}: pages of 100 run past the {} rows", all.len());
    }
    assert_rows_eq(&paged, &all, &format!("{what}: pages of 100 vs for_each_row"));

    for limit in [1, 100, 5000, u64::MAX] {
        for offset in offsets(len, limit) {
            let page = store.ledger_page(f, offset, limit).unwrap();
            let from = offset.min(len) as usize;
            let to = offset.saturating_add(limit).min(len) as usize;
            assert_rows_eq(&page, &expected[from..to], &format!("{what}: offset {offset} limit {limit} of {len}"));
        }
    }
    assert_eq!(store.ledger_page(f, 0, 0).unwrap(), vec![], "{what}: limit 0");

    for by in [GroupBy::Type, GroupBy::Label("character".into()), GroupBy::Label("model".into()), GroupBy::Day] {
        assert_eq!(
            store.summary(f, by.clone()).unwrap(),
            model_summary(expected, by.clone()),
            "{what}: summary by {by:?}"
        );
    }
}

/// Equal row lists, reporting the first difference rather than two walls of rows.
fn assert_rows_eq(got: &[LedgerRow], expected: &[LedgerRow], what: &str) {
    if let Some(i) = (0..got.len().min(expected.len())).find(|&i| got[i] != expected[i]) {
        panic!("{what}: row {i} differs\n     got: {:?}\nexpected: {:?}", got[i], expected[i]);
    }
    assert_eq!(
        got.len(),
        expected.len(),
        "{what}: {} rows, expected {} (first extra: {:?})",
        got.len(),
        expected.len(),
        got.get(expected.len()).or(expected.get(got.len()))
    );
}

fn opts() -> ImportOptions {
    ImportOptions::new(Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap())
}

fn opts_for(chain: &ChainKey) -> ImportOptions {
    ImportOptions { chain: chain.clone(), ..opts() }
}

fn import(store: &mut Store, files: &[&Written], options: &ImportOptions) -> ImportSummary {
    let paths: Vec<PathBuf> = files.iter().map(|w| w.path.clone()).collect();
    reckon::import::import(store, &paths, options, &mut NoProgress).unwrap()
}

fn counts(s: &ImportSummary) -> (u64, u64, u64) {
    (s.new_entries(), s.known_entries(), s.conflicting_entries())
}

/// Pairs of neighbours that share a second.
fn same_second_pairs(gens: &[Gen]) -> usize {
    gens.windows(2).filter(|w| w[0].secs == w[1].secs).count()
}

/// The first position at or after `target` that splits a same-second group.
fn cut_in_group(gens: &[Gen], target: usize) -> usize {
    (target..gens.len()).find(|&p| gens[p - 1].secs == gens[p].secs).unwrap()
}

/// A fresh store with `gens` imported from one file into the default chain.
fn imported(dir: &Path, gens: &[Gen]) -> (Store, i64, Written, Vec<LedgerRow>) {
    let whole = write_csv(&dir.join("whole.csv"), gens, 0..gens.len(), Layout::Newest);
    let mut store = Store::open(&dir.join("reckon.db")).unwrap();
    let s = import(&mut store, &[&whole], &opts());
    assert_eq!(counts(&s), (gens.len() as u64, 0, 0));
    let rows = model_rows(gens, s.chain_ids[0], &whole);
    (store, s.chain_ids[0], whole, rows)
}

#[test]
fn every_view_of_a_three_block_chain_agrees_with_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let gens = ledger(1, 10_007, MARCH_1, &CAST);
    assert!(same_second_pairs(&gens) > gens.len() / 5, "{} same-second pairs", same_second_pairs(&gens));
    assert!(gens.iter().map(|g| &g.description).collect::<HashSet<_>>().len() > 500, "labels take two-byte ids");
    assert!(gens.iter().any(|g| g.txn_id.len() > 127) && gens.iter().any(|g| !g.txn_id.is_ascii()));
    let (store, chain_id, _whole, rows) = imported(dir.path(), &gens);
    let n = rows.len() as u64;
    let last = rows.last().unwrap();

    let chain = store.chain(chain_id).unwrap();
    assert_eq!(chain.entries, n);
    assert_eq!((chain.first_ts, chain.last_ts), (Some(rows[0].ts), Some(last.ts)));
    assert_eq!(chain.ledger_balance, last.balance_after);
    let series = store.balance_series(chain_id, 1_000_000).unwrap();
    assert_eq!(
        series.iter().map(|p| (p.ts, p.balance)).collect::<Vec<_>>(),
        rows.iter().map(|r| (r.ts, r.balance_after.unwrap())).collect::<Vec<_>>(),
        "the unthinned balance series is every entry in walk order"
    );
    let facets = store.facets(chain_id).unwrap();
    let set = |f: fn(&LedgerRow) -> Option<&String>| -> Vec<String> {
        rows.iter().filter_map(f).cloned().collect::<BTreeSet<_>>().into_iter().collect()
    };
    assert_eq!(facets.types, set(|r| Some(&r.kind)));
    assert_eq!(facets.dimensions[0].1, set(character));
    assert_eq!(facets.dimensions[1].1, set(model));

    let all = LedgerFilter { chain_id: Some(chain_id), ..LedgerFilter::default() };
    let types = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    // Date edges inside blocks, one of them inside a same-second group.
    let group_start = cut_in_group(&gens, 2_500) - 1;
    let (from, to) = (rows[group_start + 1].ts, rows[9_000].ts);
    assert!(group_start % BLOCK as usize != 0 && 9_000 % BLOCK != 0);
    let inside_one_block = (rows[4_300].ts, rows[5_000].ts + 1);
    let prefix = rows[5_000].txn_id[..5].to_string();
    let picked: Vec<i64> =
        [0, 1, 4_095, 4_096, 4_097, 8_191, 8_192, n - 1].iter().map(|&p| rows[p as usize].id).collect();
    let mut with_strays = picked.clone();
    with_strays.extend([(chain_id << 32) | n as i64, (chain_id << 32) | (3 * BLOCK as i64 + 5), (chain_id + 7) << 32]);

    let filters: Vec<(&str, LedgerFilter)> = vec![
        ("no filter", all.clone()),
        ("no chain", LedgerFilter::default()),
        ("CHAT", LedgerFilter { types: types(&["CHAT"]), ..all.clone() }),
        ("IMAGE or REFUND", LedgerFilter { types: types(&["IMAGE", "REFUND"]), ..all.clone() }),
        ("a character", LedgerFilter { labels: label("character", "Captain Nemo, the Navigator"), ..all.clone() }),
        ("a quoted character", LedgerFilter { labels: label("character", "Dr. \"Doc\" Brown"), ..all.clone() }),
        ("a model", LedgerFilter { labels: label("model", "GPT-5 mini"), ..all.clone() }),
        ("the last label, a character", LedgerFilter { labels: label("character", "Old Friend"), ..all.clone() }),
        (
            "the last labels, model and type",
            LedgerFilter { labels: label("model", "Legacy 1"), types: types(&["CHAT"]), ..all.clone() },
        ),
        ("CHAT by Aria", LedgerFilter { types: types(&["CHAT"]), labels: label("character", "Aria"), ..all.clone() }),
        (
            "CHAT by \u{c9}mile on DeepSeek",
            LedgerFilter {
                types: types(&["CHAT"]),
                labels: vec![("character".into(), "\u{c9}mile".into()), ("model".into(), "DeepSeek V3.2".into())],
                ..all.clone()
            },
        ),
        ("date range", LedgerFilter { from: Some(from), to: Some(to), ..all.clone() }),
        ("date range, CHAT", LedgerFilter { from: Some(from), to: Some(to), types: types(&["CHAT"]), ..all.clone() }),
        (
            "date range, a model",
            LedgerFilter { from: Some(from), to: Some(to), labels: label("model", "Flux 1.1"), ..all.clone() },
        ),
        (
            "date range in one block",
            LedgerFilter { from: Some(inside_one_block.0), to: Some(inside_one_block.1), ..all.clone() },
        ),
        ("to at block 0's last time", LedgerFilter { to: Some(rows[4_095].ts), ..all.clone() }),
        ("from at block 0's last time", LedgerFilter { from: Some(rows[4_095].ts), ..all.clone() }),
        (
            "from and to at block 1's first and last times, CHAT",
            LedgerFilter {
                from: Some(rows[4_096].ts),
                to: Some(rows[8_191].ts),
                types: types(&["CHAT"]),
                ..all.clone()
            },
        ),
        ("open-ended from", LedgerFilter { from: Some(rows[7_777].ts), ..all.clone() }),
        ("open-ended to", LedgerFilter { to: Some(rows[4_444].ts), ..all.clone() }),
        (
            "everything by time, CHAT, a character",
            LedgerFilter {
                from: Some(i64::MIN),
                types: types(&["CHAT"]),
                labels: label("character", "Luna"),
                ..all.clone()
            },
        ),
        ("search a prefix", LedgerFilter { search: Some(prefix.clone()), ..all.clone() }),
        ("search one id", LedgerFilter { search: Some(format!(" {} ", &rows[6_000].txn_id[..12])), ..all.clone() }),
        ("search, REFUND", LedgerFilter { search: Some(prefix), types: types(&["REFUND"]), ..all.clone() }),
        ("row ids", LedgerFilter { row_ids: picked.clone(), ..all.clone() }),
        ("row ids and strays", LedgerFilter { row_ids: with_strays, ..all.clone() }),
        ("row ids, CHAT", LedgerFilter { row_ids: picked.clone(), types: types(&["CHAT"]), ..all.clone() }),
        ("unknown type", LedgerFilter { types: types(&["NOPE"]), ..all.clone() }),
        ("unknown and known type", LedgerFilter { types: types(&["NOPE", "TTS"]), ..all.clone() }),
        ("unknown character", LedgerFilter { labels: label("character", "Nobody"), ..all.clone() }),
        ("empty range", LedgerFilter { from: Some(rows[5_000].ts), to: Some(rows[5_000].ts), ..all.clone() }),
    ];
    for (what, f) in &filters {
        let expected = listing(&rows, f);
        check_view(&store, f, &expected, what);
    }
    // The filters test what they claim to.
    let size = |name: &str| listing(&rows, &filters.iter().find(|(w, _)| *w == name).unwrap().1).len();
    assert_eq!(size("no filter"), n as usize);
    assert_eq!(size("row ids"), picked.len());
    assert_eq!(size("row ids and strays"), picked.len());
    assert_eq!(size("search one id"), 1);
    assert!(size("date range") > BLOCK as usize && size("date range") < 9_000);
    for name in [
        "the last label, a character",
        "CHAT by Aria",
        "CHAT by \u{c9}mile on DeepSeek",
        "search a prefix",
        "search, REFUND",
        "row ids, CHAT",
    ] {
        assert!(size(name) > 0, "{name} matches nothing");
    }
    assert!(size("CHAT") > BLOCK as usize, "CHAT spans blocks");
}

#[test]
fn entry_detail_of_first_middle_and_last_entries_and_missing_ids() {
    let dir = tempfile::tempdir().unwrap();
    let gens = ledger(4, 9_000, MARCH_1, &CAST);
    let (store, chain_id, whole, rows) = imported(dir.path(), &gens);
    let n = rows.len() as u64;
    let all = LedgerFilter { chain_id: Some(chain_id), ..LedgerFilter::default() };
    for position in [0, 1, BLOCK - 1, BLOCK, 5_000, n - 1] {
        let id = (chain_id << 32) | position as i64;
        let page = store.ledger_page(&all, n - 1 - position, 1).unwrap();
        assert_eq!(page.len(), 1);
        assert_eq!(page[0], rows[position as usize], "page row at position {position}");
        let detail = entry_detail(&store, id).unwrap();
        assert_eq!(detail.row, page[0], "detail of position {position}");
        assert_eq!(detail.raw.as_deref(), Some(whole.lines[position as usize].as_str()), "raw of position {position}");
        assert_eq!(detail.raw_note, None);
    }
    let missing = [
        ("one past the end", (chain_id << 32) | n as i64),
        ("the end of the last block", (chain_id << 32) | (3 * BLOCK as i64 - 1)),
        ("a block past the end", (chain_id << 32) | (3 * BLOCK as i64)),
        ("far past the end", (chain_id << 32) | 0xFFFF_FFFF),
        ("a chain that does not exist", (chain_id + 1) << 32),
        ("chain 0", 5),
        ("a negative id", -1),
    ];
    for (what, id) in missing {
        match entry_detail(&store, id) {
            Err(StoreError::NotFound(_)) => {}
            other => panic!("entry_detail of {what} ({id}): expected NotFound, got {other:?}"),
        }
    }
}

/// The fields an entry is made of, for comparing stores whose entries came from other files
/// (and in another order, so with other ids: an id is given when an entry first arrives).
fn content(r: &LedgerRow) -> (String, i64, String, String, Decimal, Decimal, Option<String>, Option<String>) {
    (
        r.txn_id.clone(),
        r.ts,
        r.kind.clone(),
        r.description.clone(),
        r.amount,
        r.balance_after.unwrap(),
        character(r).cloned(),
        model(r).cloned(),
    )
}

fn all_rows(store: &Store, f: &LedgerFilter) -> Vec<LedgerRow> {
    let mut rows = Vec::new();
    store
        .for_each_row(f, |r| {
            rows.push(r);
            Ok(())
        })
        .unwrap();
    rows
}

/// A finding's kind, transaction IDs and delta.
type FindingKey = (String, Vec<String>, Option<Decimal>);

/// Findings reduced to what does not depend on which file an entry came from, nor on the order
/// entries arrived in (which gives their ids).
fn findings(store: &Store) -> Vec<FindingKey> {
    let report = check(store, &CheckOptions::default()).unwrap();
    report
        .findings
        .into_iter()
        .map(|f| {
            let f = f.finding;
            (f.kind.as_str().to_string(), f.transaction_ids, f.delta)
        })
        .collect()
}

/// Imports `steps` in turn into the default chain, each one import of its files, checking every
/// file's counts and, after each step, the whole chain against the model of what came so far.
/// `reader`, another connection to the same database, reads before and after every step.
fn import_steps<'w>(
    store: &mut Store,
    reader: Option<&Store>,
    gens: &[Gen],
    steps: &[Vec<&'w Written>],
    what: &str,
) -> (i64, Vec<LedgerRow>) {
    let mut first: Vec<Option<&'w Written>> = vec![None; gens.len()];
    // Entry ids: each import numbers its new entries after the ones stored, in walk order.
    let mut seqs: Vec<Option<usize>> = vec![None; gens.len()];
    let mut next_seq = 0;
    let mut result = None;
    for (k, files) in steps.iter().enumerate() {
        let names: Vec<String> = files.iter().map(|w| w.path.file_name().unwrap().to_string_lossy().into()).collect();
        let what = format!("{what}, step {k} ({})", names.join(" + "));
        let mut expected = Vec::new();
        for w in files {
            let new = w.range.clone().filter(|&i| first[i].is_none()).count() as u64;
            for i in w.range.clone() {
                first[i].get_or_insert(w);
            }
            expected.push((new, w.count() - new, 0));
        }
        for i in 0..gens.len() {
            if first[i].is_some() && seqs[i].is_none() {
                seqs[i] = Some(next_seq);
                next_seq += 1;
            }
        }
        if let Some(reader) = reader {
            // Fill the reader's caches with what is about to change.
            reader.ledger_totals(&LedgerFilter::default()).unwrap();
            reader.ledger_page(&LedgerFilter::default(), 0, 10).unwrap();
        }
        let s = import(store, files, &opts());
        let got: Vec<_> = s.files.iter().map(|f| (f.new, f.known, f.conflicting)).collect();
        assert_eq!(got, expected, "{what}: (new, known, conflicting) per file");
        let rows = partial_model(gens, s.chain_ids[0], &first, &seqs);
        let chain = LedgerFilter { chain_id: Some(s.chain_ids[0]), ..LedgerFilter::default() };
        let expected = listing(&rows, &chain);
        assert_rows_eq(&all_rows(store, &chain), &expected, &what);
        assert_eq!(store.ledger_totals(&chain).unwrap(), totals(&expected), "{what}: totals");
        if let Some(reader) = reader {
            assert_rows_eq(
                &all_rows(reader, &LedgerFilter::default()),
                &expected,
                &format!("{what}: other connection"),
            );
            assert_eq!(reader.ledger_totals(&LedgerFilter::default()).unwrap(), totals(&expected), "{what}: other");
        }
        let info = store.chain(s.chain_ids[0]).unwrap();
        assert_eq!(info.entries, rows.len() as u64, "{what}: chain entries");
        assert_eq!((info.first_ts, info.last_ts), (Some(rows[0].ts), rows.last().map(|r| r.ts)), "{what}: chain times");
        assert_eq!(info.ledger_balance, rows.last().and_then(|r| r.balance_after), "{what}: ledger balance");
        let last = rows.len() - 1;
        assert_eq!(entry_detail(store, rows[last].id).unwrap().row, rows[last], "{what}: last entry");
        match entry_detail(store, (s.chain_ids[0] << 32) | rows.len() as i64) {
            Err(StoreError::NotFound(_)) => {}
            other => panic!("{what}: entry {} is past the end, got {other:?}", rows.len()),
        }
        result = Some((s.chain_ids[0], rows));
    }
    result.unwrap()
}

#[test]
fn overlapping_exports_in_any_order_equal_one_import_of_the_whole() {
    let dir = tempfile::tempdir().unwrap();
    let gens = ledger(2, 10_100, MARCH_1, &CAST);
    let n = gens.len();
    // The oldest part ends, and the newest begins, inside same-second groups; the middle part
    // fills the gap, landing inside block 1 among stored entries.
    let oldest_end = cut_in_group(&gens, 5_000);
    let newest_start = cut_in_group(&gens, 6_200);
    let (middle_start, middle_end) = (cut_in_group(&gens, 4_500), cut_in_group(&gens, 6_900));
    assert!(middle_start < oldest_end && middle_end > newest_start);
    let d = dir.path();
    let oldest = write_csv(&d.join("oldest.csv"), &gens, 0..oldest_end, Layout::Newest);
    let middle = write_csv(&d.join("middle.csv"), &gens, middle_start..middle_end, Layout::Newest);
    let newest = write_csv(&d.join("newest.csv"), &gens, newest_start..n, Layout::Newest);
    let middle_crlf = write_csv(&d.join("middle-crlf.csv"), &gens, middle_start..middle_end, Layout::NewestCrlf);

    let (fresh, fresh_chain, whole, fresh_rows) = imported(d, &gens);
    let fresh_all = all_rows(&fresh, &LedgerFilter::default());
    assert_rows_eq(&fresh_all, &listing(&fresh_rows, &LedgerFilter::default()), "the whole file");
    let fresh_findings = findings(&fresh);
    assert!(!fresh_findings.is_empty(), "DAILY_REWARD is an unknown type, so there are findings to compare");

    let orders: [(&str, Vec<Vec<&Written>>); 3] = [
        ("newest, oldest, middle", vec![vec![&newest], vec![&oldest], vec![&middle]]),
        ("oldest, middle, newest", vec![vec![&oldest], vec![&middle], vec![&newest]]),
        ("all three in one import", vec![vec![&newest, &oldest, &middle]]),
    ];
    for (order, steps) in &orders {
        let path = d.join(format!("{order}.db"));
        let mut store = Store::open(&path).unwrap();
        let reader = Store::open(&path).unwrap();
        let (chain_id, rows) = import_steps(&mut store, Some(&reader), &gens, steps, order);
        assert_eq!(chain_id, fresh_chain, "both stores number their first chain alike");

        // `check` takes seconds over 10,000 entries in a debug build: findings once per order.
        let check_store = |store: &Store, when: &str, with_findings: bool| {
            let got = all_rows(store, &LedgerFilter::default());
            assert_eq!(
                got.iter().map(content).collect::<Vec<_>>(),
                fresh_all.iter().map(content).collect::<Vec<_>>(),
                "{order}{when}: the store differs from one import of the whole file"
            );
            assert_rows_eq(&got, &listing(&rows, &LedgerFilter::default()), &format!("{order}{when}: vs model"));
            let (a, b) = (store.chain(chain_id).unwrap(), fresh.chain(fresh_chain).unwrap());
            assert_eq!(a, b, "{order}{when}: chain info");
            if with_findings {
                let found = findings(store);
                assert_eq!(found.len(), fresh_findings.len(), "{order}{when}: number of findings");
                assert_eq!(found, fresh_findings, "{order}{when}: findings");
            }
            assert_eq!(store.facets(chain_id).unwrap(), fresh.facets(fresh_chain).unwrap(), "{order}{when}: facets");
            assert_eq!(
                store.balance_series(chain_id, 1_000_000).unwrap(),
                fresh.balance_series(fresh_chain, 1_000_000).unwrap(),
                "{order}{when}: balance series"
            );
            let chats = LedgerFilter { chain_id: Some(chain_id), types: vec!["CHAT".into()], ..Default::default() };
            let around = LedgerFilter {
                chain_id: Some(chain_id),
                from: Some(rows[middle_start].ts),
                to: Some(rows[middle_end].ts),
                ..Default::default()
            };
            for (what, f) in [("CHAT", chats), ("around the middle part", around)] {
                check_view(store, &f, &listing(&rows, &f), &format!("{order}{when}: {what}"));
            }
        };
        check_store(&store, "", true);
        check_store(&reader, ", other connection", false);

        // Nothing is new the second time, whether the bytes are known or only the entries.
        for w in [&oldest, &middle, &newest, &middle_crlf, &whole] {
            let s = import(&mut store, &[w], &opts());
            assert_eq!(counts(&s), (0, w.count(), 0), "{order}: re-importing {}", w.path.display());
        }
        let s = import(&mut store, &[&newest, &oldest, &middle], &opts());
        assert_eq!(counts(&s), (0, newest.count() + oldest.count() + middle.count(), 0), "{order}: all three again");
        check_store(&store, ", re-imported", false);
    }
}

#[test]
fn single_entries_landing_on_block_edges() {
    // A ledger whose entries 4095 and 4096 share a second that neither neighbour has, and
    // whose entries 8191 and 8192 share one.
    let gens = (10..)
        .map(|seed| ledger(seed, 8_400, MARCH_1, &CAST))
        .find(|g| {
            let s = |i: usize| g[i].secs;
            s(4094) != s(4095) && s(4095) == s(4096) && s(4096) != s(4097) && s(8191) == s(8192)
        })
        .unwrap();
    let n = gens.len();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let w = |name: &str, range, layout| write_csv(&d.join(name), &gens, range, layout);
    let new = Layout::Newest;

    // Entry 4095 arrives last into block 0's last slot; the chain is then exactly two full
    // blocks, and a third begins with an entry of the second block's last second. Then entries
    // are appended from an export listed oldest first, then a single one.
    let (x, y, z) = (w("x.csv", 0..4_095, new), w("y.csv", 4_096..8_192, new), w("z.csv", 4_094..4_097, new));
    let tail = w("t.csv", 8_000..n - 10, new);
    let (ascending, one) = (w("asc.csv", n - 12..n - 1, Layout::Oldest), w("one.csv", n - 1..n, new));
    let mut store = Store::open(&d.join("a.db")).unwrap();
    let steps = [vec![&x], vec![&y], vec![&z], vec![&tail], vec![&ascending], vec![&one]];
    let (chain_id, rows) = import_steps(&mut store, None, &gens, &steps[..3], "last slot");
    assert_eq!(rows.len(), 2 * BLOCK as usize);
    let all = LedgerFilter { chain_id: Some(chain_id), ..LedgerFilter::default() };
    check_view(&store, &all, &listing(&rows, &all), "two full blocks");
    let mut store = Store::open(&d.join("a2.db")).unwrap();
    let (chain_id, rows) = import_steps(&mut store, None, &gens, &steps, "last slot, then a new block");
    assert_eq!(rows.len(), n);
    let all = LedgerFilter { chain_id: Some(chain_id), ..LedgerFilter::default() };
    check_view(&store, &all, &listing(&rows, &all), "a third block");

    // Entry 4096 arrives last, as the first of block 1.
    let (x, y, z) = (w("x2.csv", 0..4_096, new), w("y2.csv", 4_097..n, new), w("z2.csv", 4_095..4_098, new));
    let mut store = Store::open(&d.join("b.db")).unwrap();
    let (chain_id, rows) = import_steps(&mut store, None, &gens, &[vec![&x], vec![&y], vec![&z]], "first slot");
    assert_eq!(rows.len(), n);
    let all = LedgerFilter { chain_id: Some(chain_id), ..LedgerFilter::default() };
    for (what, f) in
        [("first slot", all.clone()), ("first slot, CHAT", LedgerFilter { types: vec!["CHAT".into()], ..all })]
    {
        check_view(&store, &f, &listing(&rows, &f), what);
    }
}

#[test]
fn two_chains_interleave_newest_first_and_filter_apart() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let gens_a = ledger(5, 5_000, MARCH_1, &CAST);
    let gens_b = ledger(6, 4_300, MARCH_1 + 3_600, &OTHER_CAST);
    let file_a = write_csv(&d.join("a.csv"), &gens_a, 0..gens_a.len(), Layout::Newest);
    let file_b = write_csv(&d.join("b.csv"), &gens_b, 0..gens_b.len(), Layout::Newest);
    let mut store = Store::open(&d.join("reckon.db")).unwrap();
    let key_b = ChainKey::new("someone-else", "credits");
    let a = import(&mut store, &[&file_a], &opts()).chain_ids[0];
    let b = import(&mut store, &[&file_b], &opts_for(&key_b)).chain_ids[0];
    assert_ne!(a, b);
    assert_eq!(store.chain_id(&key_b).unwrap(), Some(b));
    let rows_a = model_rows(&gens_a, a, &file_a);
    let rows_b = model_rows(&gens_b, b, &file_b);
    let shared_seconds = {
        let secs: HashSet<i64> = gens_a.iter().map(|g| g.secs).collect();
        gens_b.iter().filter(|g| secs.contains(&g.secs)).count()
    };
    assert!(shared_seconds > 0, "some seconds hold entries of both chains");

    let chains = store.chains().unwrap();
    assert_eq!(
        chains.iter().map(|c| (c.id, c.entries)).collect::<BTreeSet<_>>(),
        BTreeSet::from([(a, gens_a.len() as u64), (b, gens_b.len() as u64)])
    );
    for (chain, rows) in [(a, &rows_a), (b, &rows_b)] {
        let set = |f: fn(&LedgerRow) -> Option<&String>| -> Vec<String> {
            rows.iter().filter_map(f).cloned().collect::<BTreeSet<_>>().into_iter().collect()
        };
        let facets = store.facets(chain).unwrap();
        assert_eq!(facets.types, set(|r| Some(&r.kind)), "chain {chain}");
        assert_eq!(facets.dimensions[0].1, set(character), "chain {chain}");
        assert_eq!(facets.dimensions[1].1, set(model), "chain {chain}");
    }
    assert!(!store.facets(b).unwrap().dimensions[0].1.contains(&"Aria".to_string()));

    let types = |t: &str| vec![t.to_string()];
    let from = rows_a[1_000].ts;
    let to = rows_a[4_500].ts;
    let both: Vec<(&str, LedgerFilter)> = vec![
        ("every chain", LedgerFilter::default()),
        ("every chain, CHAT", LedgerFilter { types: types("CHAT"), ..Default::default() }),
        ("every chain, Luna", LedgerFilter { labels: label("character", "Luna"), ..Default::default() }),
        ("every chain, a date range", LedgerFilter { from: Some(from), to: Some(to), ..Default::default() }),
        (
            "every chain, row ids",
            LedgerFilter {
                row_ids: vec![rows_a[0].id, rows_a[4_096].id, rows_b[4_095].id, rows_b[4_299].id],
                ..Default::default()
            },
        ),
    ];
    for (what, f) in &both {
        let (exp_a, exp_b) = (listing(&rows_a, f), listing(&rows_b, f));
        assert!(!exp_a.is_empty() && !exp_b.is_empty(), "{what} matches in both chains");
        let mut union: Vec<&LedgerRow> = exp_a.iter().chain(&exp_b).collect();
        assert_eq!(store.ledger_totals(f).unwrap(), totals(union.iter().copied()), "{what}: totals");
        union.sort_by_key(|r| r.id);
        let union: Vec<LedgerRow> = union.into_iter().cloned().collect();
        for by in [GroupBy::Type, GroupBy::Label("character".into()), GroupBy::Label("model".into()), GroupBy::Day] {
            assert_eq!(
                store.summary(f, by.clone()).unwrap(),
                model_summary(&union, by.clone()),
                "{what}: summary by {by:?}"
            );
        }

        let got = all_rows(&store, f);
        if let Some(w) = got.windows(2).find(|w| w[0].ts < w[1].ts) {
            panic!("{what}: {} at {} listed before the newer {} at {}", w[0].txn_id, w[0].ts, w[1].txn_id, w[1].ts);
        }
        let mut sorted = got.clone();
        sorted.sort_by_key(|r| r.id);
        assert_rows_eq(&sorted, &union, &format!("{what}: the rows of both chains"));
        // Each chain's rows keep their own order, same-second ones included.
        let only = |c: i64| got.iter().filter(|r| r.chain_id == c).cloned().collect::<Vec<_>>();
        assert_rows_eq(&only(a), &exp_a, &format!("{what}: chain a's rows in the merged listing"));
        assert_rows_eq(&only(b), &exp_b, &format!("{what}: chain b's rows in the merged listing"));

        let len = got.len() as u64;
        // (`u64::MAX` as a limit: see `a_page_to_the_end_over_every_chain`.)
        for limit in [1, 100, 5000] {
            for offset in offsets(len, limit) {
                let page = store.ledger_page(f, offset, limit).unwrap();
                let (from, to) = (offset.min(len) as usize, offset.saturating_add(limit).min(len) as usize);
                assert_rows_eq(&page, &got[from..to], &format!("{what}: offset {offset} limit {limit} of {len}"));
            }
        }
        let mut paged = Vec::new();
        while let page @ [_, ..] = &store.ledger_page(f, paged.len() as u64, 1000).unwrap()[..] {
            paged.extend_from_slice(page);
            assert!(paged.len() <= got.len(), "{what}: pages run past the end");
        }
        assert_rows_eq(&paged, &got, &format!("{what}: pages of 1000"));

        // With a chain named, only that chain.
        for (chain, rows) in [(a, &rows_a), (b, &rows_b)] {
            let one = LedgerFilter { chain_id: Some(chain), ..f.clone() };
            check_view(&store, &one, &listing(rows, &one), &format!("{what}, chain {chain} only"));
        }
    }
    let nowhere = LedgerFilter { chain_id: Some(b + 10), ..Default::default() };
    assert_eq!(store.ledger_totals(&nowhere).unwrap(), Totals::default());
    assert_eq!(store.ledger_page(&nowhere, 0, 10).unwrap(), vec![]);
}

#[test]
fn a_page_to_the_end_over_every_chain() {
    // `ledger_page(filter, offset, u64::MAX)` is "everything from `offset` on" (the CLI takes
    // `--limit` as any u64). Over one chain it is; over every chain it must be too.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (gens_a, gens_b) = (ledger(7, 300, MARCH_1, &CAST), ledger(8, 200, MARCH_1, &OTHER_CAST));
    let file_a = write_csv(&d.join("a.csv"), &gens_a, 0..gens_a.len(), Layout::Newest);
    let file_b = write_csv(&d.join("b.csv"), &gens_b, 0..gens_b.len(), Layout::Newest);
    let mut store = Store::open(&d.join("reckon.db")).unwrap();
    let a = import(&mut store, &[&file_a], &opts()).chain_ids[0];
    import(&mut store, &[&file_b], &opts_for(&ChainKey::new("someone-else", "credits")));

    let one = LedgerFilter { chain_id: Some(a), ..LedgerFilter::default() };
    let rows_a = listing(&model_rows(&gens_a, a, &file_a), &one);
    assert_rows_eq(&store.ledger_page(&one, 1, u64::MAX).unwrap(), &rows_a[1..], "one chain, offset 1, no limit");

    let every = LedgerFilter::default();
    let all = all_rows(&store, &every);
    assert_eq!(all.len(), 500);
    for offset in [0, 1, 250, 499, 500] {
        let page =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| store.ledger_page(&every, offset, u64::MAX)));
        let page =
            page.unwrap_or_else(|_| panic!("every chain, offset {offset}, limit u64::MAX: ledger_page panicked"));
        assert_rows_eq(&page.unwrap(), &all[offset as usize..], &format!("every chain, offset {offset}, no limit"));
    }
}

#[test]
fn rewritten_entries_in_several_blocks_are_conflicts_and_the_first_versions_stay() {
    let dir = tempfile::tempdir().unwrap();
    let gens = ledger(9, 9_000, MARCH_1, &CAST);
    let (mut store, chain_id, _whole, rows) = imported(dir.path(), &gens);
    // A later export of entries 4090..4110 and 8990..9000 in which four were rewritten,
    // on both sides of the first block boundary and in the last block.
    let rewritten = [4_095, 4_096, 4_100, 8_999];
    let mut edited = gens.clone();
    for &i in &rewritten {
        edited[i].description.push_str(" (edited)");
    }
    let parts = [
        write_csv(&dir.path().join("edited-1.csv"), &edited, 4_090..4_110, Layout::Newest),
        write_csv(&dir.path().join("edited-2.csv"), &edited, 8_990..9_000, Layout::Newest),
    ];
    for again in [false, true] {
        let s = import(&mut store, &[&parts[0], &parts[1]], &opts());
        assert_eq!(counts(&s), (0, 30 - 4, 4), "imported again: {again}");
        let all = LedgerFilter { chain_id: Some(chain_id), ..LedgerFilter::default() };
        assert_rows_eq(&all_rows(&store, &all), &listing(&rows, &all), "the ledger keeps the first versions");
        let conflicts = store.conflicts(chain_id).unwrap();
        let mut expected: Vec<usize> = rewritten.to_vec();
        expected.sort_by_key(|&i| gens[i].txn_id.clone());
        assert_eq!(conflicts.len(), expected.len(), "conflicts, imported again: {again}");
        for (c, &i) in conflicts.iter().zip(&expected) {
            let stored = &rows[i];
            let e = &c.stored;
            assert_eq!(
                (e.row_id, e.txn_id.as_str(), e.ts, &*e.description, e.amount, e.balance_after),
                (
                    stored.id,
                    stored.txn_id.as_str(),
                    stored.ts,
                    stored.description.as_str(),
                    stored.amount,
                    stored.balance_after.unwrap()
                ),
                "the stored version of entry {i}"
            );
            assert_eq!(
                (e.label("character"), e.label("model")),
                (character(stored).map(String::as_str), model(stored).map(String::as_str))
            );
            assert_eq!(c.other.txn_id, stored.txn_id);
            assert_eq!(&*c.other.description, format!("{} (edited)", stored.description));
            let w = &parts[usize::from(i > 8_000)];
            assert_eq!(
                (c.other_source.as_str(), c.other_line),
                (&*w.path.to_string_lossy(), w.at[i - w.range.start].0)
            );
        }
    }
}

/// Short ledgers crowded into a few seconds, with broken and misreported balances, so most
/// same-time groups have no clean order and are ordered by fewest faults, which looks at the
/// entries around the group. Imported whole, or older part then newer part, or newer part
/// then older part, or the older part then the whole: every way must store the same order.
#[test]
fn crowded_ties_with_faults_order_the_same_however_they_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    let header = "Transaction ID,Date,Type,Description,Amount,Balance after";
    let mut compared = 0;
    for round in 0..60 {
        let n = 6 + next(20) as usize;
        // (second, txn id, amount, balance after) in true order.
        let mut rows: Vec<(u64, String, i64, i64)> = Vec::new();
        let (mut second, mut balance) = (0u64, 10_000i64);
        for i in 0..n {
            second += u64::from(next(3) == 0);
            let amount = [-300, -125, 200, -50, 75][next(5) as usize];
            balance += amount;
            let reported = match next(7) {
                0 => balance + 1_000, // misreported: this entry's balance alone is off
                1 => {
                    balance += 500; // a break: everything after is shifted
                    balance
                }
                _ => balance,
            };
            rows.push((second, format!("txn_{round}_{i:02}"), amount, reported));
        }
        let line = |r: &(u64, String, i64, i64)| {
            let cents = |c: i64| format!("{}{}.{:02}", if c < 0 { "-" } else { "" }, c.abs() / 100, c.abs() % 100);
            format!("{},2026-03-01T08:00:{:02}Z,CHAT,reply,{},{}", r.1, r.0, cents(r.2), cents(r.3))
        };
        let write = |name: &str, part: &[(u64, String, i64, i64)]| {
            let path = dir.path().join(format!("{round}-{name}.csv"));
            // Newest first, as exports come, with same-second rows shuffled by the id order.
            let mut lines: Vec<String> = part.iter().rev().map(line).collect();
            lines.sort_by(|a, b| b[a.find(',').unwrap()..].cmp(&a[a.find(',').unwrap()..]).reverse());
            std::fs::write(&path, format!("{header}\n{}\n", lines.join("\n"))).unwrap();
            path
        };
        // Split between two seconds, so each part is a whole set of seconds.
        let cut_second = next(second + 1);
        let cut = rows.partition_point(|r| r.0 <= cut_second);
        if cut == 0 || cut == rows.len() {
            continue;
        }
        let (whole, older, newer) = (write("whole", &rows), write("older", &rows[..cut]), write("newer", &rows[cut..]));
        let expected = stored_order(&[&whole]);
        assert_eq!(expected.len(), rows.len());
        for (what, imports) in [
            ("older then newer", [&older, &newer]),
            ("newer then older", [&newer, &older]),
            ("older then whole", [&older, &whole]),
        ] {
            assert_eq!(stored_order(&imports), expected, "round {round}: {what}");
            compared += 1;
        }
    }
    assert!(compared > 75, "only {compared} comparisons ran");
}

/// Two entries in one second, both starting from the same balance: one of them is wrong either
/// way. Alone at the end of the ledger, the one that keeps its own link comes first (x then y);
/// once a later entry arrives that continues from x, y then x breaks fewer links. An import of
/// that later entry must order the stored pair again, exactly as one import of everything does.
#[test]
fn a_later_entry_reorders_the_same_second_pair_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let header = "Transaction ID,Date,Type,Description,Amount,Balance after";
    let e0 = "txn_0,2026-03-01T08:00:00Z,BONUS,start,+5.00,5.00";
    let x = "txn_x,2026-03-01T08:00:01Z,BONUS,x,+1.00,6.00";
    let y = "txn_y,2026-03-01T08:00:01Z,BONUS,y,+2.00,7.00";
    let z = "txn_z,2026-03-01T08:00:02Z,BONUS,z,+3.00,9.00";
    let write = |name: &str, lines: &[&str]| {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("{header}\n{}\n", lines.join("\n"))).unwrap();
        path
    };
    let older = write("older.csv", &[y, x, e0]);
    let newer = write("newer.csv", &[z]);
    let whole = write("whole.csv", &[z, y, x, e0]);
    assert_eq!(stored_order(&[&older]), ["txn_0", "txn_x", "txn_y"], "alone, x keeps its link");
    assert_eq!(stored_order(&[&whole]), ["txn_0", "txn_y", "txn_x", "txn_z"], "z continues from x");
    assert_eq!(stored_order(&[&older, &newer]), stored_order(&[&whole]), "imported in two parts");
    assert_eq!(stored_order(&[&older, &whole]), stored_order(&[&whole]), "the whole export after the older part");
}

/// A fresh chain's transaction IDs in walk order (oldest first) after importing each file in
/// turn, one import per file.
fn stored_order(imports: &[&PathBuf]) -> Vec<String> {
    let mut store = Store::open_in_memory().unwrap();
    for file in imports {
        reckon::import::import(&mut store, &[file.to_path_buf()], &opts(), &mut NoProgress).unwrap();
    }
    let chain = store.chains().unwrap()[0].id;
    let filter = LedgerFilter { chain_id: Some(chain), ..LedgerFilter::default() };
    // Pages are newest first.
    store.ledger_page(&filter, 0, 1_000).unwrap().into_iter().rev().map(|r| r.txn_id.to_string()).collect()
}
