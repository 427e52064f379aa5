//! The workspace generator (`reckon_bench::workspace`, `reckon-gen --format
//! workspace-conversations|workspace-adjustments`): deterministic by seed, shaped like the page,
//! and its sidecar totals agree with its rows, as read back by a CSV parser and as the engine
//! stores them, at a tiny size.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{TimeZone, Utc};
use reckon::import::{import, ImportOptions, NoProgress};
use reckon::store::{GroupBy, LedgerFilter, Store};
use reckon_bench::workspace::{
    adjustments, conversations, fingerprint, write_adjustments_csv, write_adjustments_totals, write_conversations_csv,
    write_conversations_totals, Conversations, ADJUSTMENT_TYPES,
};
use serde_json::Value;

fn conv_files(c: &Conversations) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let (mut csv, mut later, mut totals) = (Vec::new(), Vec::new(), Vec::new());
    write_conversations_csv(&c.rows, &mut csv).unwrap();
    write_conversations_csv(&c.later, &mut later).unwrap();
    write_conversations_totals(c, &mut totals).unwrap();
    (csv, later, totals)
}

fn records(bytes: &[u8]) -> Vec<csv::StringRecord> {
    csv::ReaderBuilder::new().from_reader(bytes).records().map(|r| r.expect("a CSV record")).collect()
}

/// `12.5`, `"1,250.75"`, `-250` in cents.
fn cents(text: &str) -> i64 {
    let t = text.replace(',', "");
    let (neg, t) = t.strip_prefix('-').map_or((false, t.as_str()), |r| (true, r));
    let (w, f) = t.split_once('.').unwrap_or((t, ""));
    assert!(f.len() <= 2, "{text}: more than cents");
    let v = w.parse::<i64>().unwrap() * 100 + format!("{f:0<2}").parse::<i64>().unwrap();
    if neg {
        -v
    } else {
        v
    }
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("the sidecar is JSON")
}

/// Per conversation ID, from the rows of one or more exports: (latest credits, entries a store
/// keeps: one per strictly later figure, latest Updated At, billing type).
fn latest(rows: &[csv::StringRecord]) -> BTreeMap<String, (i64, u64, String, String)> {
    let mut by: BTreeMap<String, (i64, u64, String, String)> = BTreeMap::new();
    // Oldest figure first: the exports list newest first, and the time text sorts as time.
    let mut sorted: Vec<&csv::StringRecord> = rows.iter().collect();
    sorted.sort_by(|a, b| a[6].cmp(&b[6]));
    for r in sorted {
        let e = by.entry(r[0].to_string()).or_insert((0, 0, String::new(), r[5].to_string()));
        if r[6] > *e.2 {
            e.0 = cents(&r[3]);
            e.1 += 1;
            e.2 = r[6].to_string();
        }
    }
    by
}

#[test]
fn the_generator_is_deterministic_by_seed() {
    let a = conv_files(&conversations(3_000, 5));
    let b = conv_files(&conversations(3_000, 5));
    assert!(a == b, "the same seed gave other conversations");
    assert!(a.0 != conv_files(&conversations(3_000, 6)).0, "another seed gave the same conversations");
    let adj = |seed| {
        let (mut csv, mut totals) = (Vec::new(), Vec::new());
        let a = adjustments(3_000, seed);
        write_adjustments_csv(&a, &mut csv).unwrap();
        write_adjustments_totals(&a, &mut totals).unwrap();
        (csv, totals)
    };
    assert!(adj(5) == adj(5), "the same seed gave other adjustments");
    assert!(adj(5).0 != adj(6).0);
}

#[test]
fn conversations_are_shaped_like_the_page_and_the_sidecar_adds_up() {
    let c = conversations(4_000, 9);
    let (csv, later, totals) = conv_files(&c);
    let rows = records(&csv);
    assert_eq!(rows.len(), 4_000);
    let text = String::from_utf8(csv.clone()).unwrap();
    assert!(text.starts_with("Conversation ID,Title,Message Count,Credits,User,Billing Type,Updated At\n"));
    // Newest first; same-second bursts; titles with commas and with quotes.
    assert!(rows.windows(2).all(|w| w[0][6] >= w[1][6]));
    assert!(rows.windows(2).filter(|w| w[0][6] == w[1][6]).count() > 100);
    assert!(rows.iter().any(|r| r[1].contains(',')) && rows.iter().any(|r| r[1].contains('"')));
    // Billing types, their credits, messages, users.
    let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &rows {
        *by_type.entry(&r[5]).or_default() += 1;
        let messages: u32 = r[2].parse().unwrap();
        assert!(messages >= 1);
    }
    assert!(
        by_type["message"] > by_type["image generation"] && by_type["image generation"] > by_type["video generation"]
    );
    assert!(by_type["video generation"] > 0);
    let first = latest(&rows);
    for r in &rows {
        let (lo, hi) = match &r[5] {
            "message" => (50, 500),
            "image generation" => (800, 4_000),
            "video generation" => (4_000, 25_000),
            other => panic!("billing type {other}"),
        };
        // A conversation's first figure is one draw; a later one is larger.
        let credits = cents(&r[3]);
        assert!(credits >= lo, "{} {credits}", &r[0]);
        if first[&r[0]].1 == 1 {
            assert!(credits <= hi && r[2].parse::<u32>().unwrap() <= 60);
        }
    }
    let empty_users = rows.iter().filter(|r| r[4].is_empty()).count();
    assert!((800..=1_600).contains(&empty_users), "{empty_users} rows without a user");
    let users: std::collections::BTreeSet<&str> = rows.iter().map(|r| &r[4]).filter(|u| !u.is_empty()).collect();
    assert!((15..=20).contains(&users.len()));
    // About 2% are later figures of an earlier conversation, each larger than the one before.
    let revisions = rows.len() - first.len();
    assert!((40..=120).contains(&revisions), "{revisions} later figures");
    let mut seen: BTreeMap<&str, (i64, u32)> = BTreeMap::new();
    for r in rows.iter().rev() {
        let figure = (cents(&r[3]), r[2].parse::<u32>().unwrap());
        if let Some(prev) = seen.insert(&r[0], figure) {
            assert!(figure.0 > prev.0 && figure.1 > prev.1, "{}: {prev:?} then {figure:?}", &r[0]);
        }
    }

    // The sidecar: what the rows add up to.
    let side = json(&totals);
    let credits: i64 = first.values().map(|v| v.0).sum();
    assert_eq!(side["rows"], 4_000);
    assert_eq!(side["conversations"].as_u64(), Some(first.len() as u64));
    assert_eq!(side["entries"], 4_000);
    assert_eq!(side["credits"].as_str().map(cents), Some(credits));
    let print = fingerprint(first.iter().map(|(id, v)| (id.as_str(), v.0, v.1)));
    assert_eq!(side["fingerprint"].as_str(), Some(print.as_str()));
    let video: i64 = first.values().filter(|v| v.3 == "video generation").map(|v| v.0).sum();
    assert_eq!(side["by_billing_type"]["video generation"]["credits"].as_str().map(cents), Some(video));

    // The later export: every conversation once, 5% with a newer, larger figure.
    let later_rows = records(&later);
    assert_eq!(later_rows.len(), first.len());
    let moved: Vec<&str> = later_rows
        .iter()
        .filter(|r| r[6] > *first[&r[0]].2)
        .inspect(|r| assert!(cents(&r[3]) > first[&r[0]].0))
        .map(|r| &r[0])
        .collect();
    let mut revised: Vec<&str> =
        side["later"]["revised"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let mut moved_sorted = moved.clone();
    moved_sorted.sort_unstable();
    revised.sort_unstable();
    assert_eq!(moved_sorted, revised);
    assert_eq!(side["later"]["changed"].as_u64(), Some(moved.len() as u64));
    assert!((100..=300).contains(&moved.len()), "{} moved on", moved.len());
    let both: Vec<csv::StringRecord> = rows.iter().chain(&later_rows).cloned().collect();
    let after = latest(&both);
    let after_side = &side["later"]["after_later"];
    assert_eq!(after_side["entries"].as_u64(), Some(4_000 + moved.len() as u64));
    assert_eq!(after_side["credits"].as_str().map(cents), Some(after.values().map(|v| v.0).sum::<i64>()));
    let print = fingerprint(after.iter().map(|(id, v)| (id.as_str(), v.0, v.1)));
    assert_eq!(after_side["fingerprint"].as_str(), Some(print.as_str()));
}

#[test]
fn adjustments_have_every_type_and_the_sidecar_adds_up() {
    let a = adjustments(3_000, 13);
    let (mut csv, mut totals) = (Vec::new(), Vec::new());
    write_adjustments_csv(&a, &mut csv).unwrap();
    write_adjustments_totals(&a, &mut totals).unwrap();
    let rows = records(&csv);
    assert_eq!(rows.len(), 3_000);
    let mut by: BTreeMap<String, (u64, i64, i64)> = BTreeMap::new();
    for r in &rows {
        let amount = cents(&r[1]);
        let t = by.entry(r[0].to_uppercase().replace(' ', "_")).or_default();
        t.0 += 1;
        if amount >= 0 {
            t.1 += amount;
        } else {
            t.2 -= amount;
        }
        if &r[0] == "Credit expiration" {
            assert!(amount < 0, "an expiration of {amount}");
        }
        if &r[0] == "Package reset" {
            assert!(r[2].contains("reset to 5,000") && r[3].ends_with("00:00"), "{r:?}");
        }
    }
    assert_eq!(by.len(), ADJUSTMENT_TYPES.len(), "types: {:?}", by.keys());
    // Identical rows repeated (two referral rewards in the same second).
    let repeats = rows.windows(2).filter(|w| w[0] == w[1]).count();
    assert!(repeats > 0 && rows.windows(2).any(|w| w[0] == w[1] && &w[0][0] == "Referral signup reward"));
    let side = json(&totals);
    assert_eq!(side["identical_repeats"].as_u64(), Some(repeats as u64));
    assert_eq!(side["package_resets"].as_u64(), Some(by["PACKAGE_RESET"].0));
    for (k, (n, i, o)) in &by {
        let t = &side["by_type"][k];
        assert_eq!(t["entries"].as_u64(), Some(*n), "{k}");
        assert_eq!(t["credits_in"].as_str().map(cents), Some(*i), "{k}");
        assert_eq!(t["credits_out"].as_str().map(cents), Some(*o), "{k}");
    }
    // Monthly resets: a longer file spans months, one reset at the start of each.
    let long = adjustments(120_000, 13);
    let resets = long.rows.iter().filter(|r| r.kind == 1).count();
    let span_days = (long.rows.last().unwrap().ts - long.rows[0].ts) / 86_400;
    assert!(span_days > 60 && resets as i64 >= span_days / 31, "{resets} resets over {span_days} days");
}

/// Per summary key: (entries, credits in, credits out) in cents, credits out positive.
fn summary(store: &Store, by: GroupBy) -> BTreeMap<String, (u64, i64, i64)> {
    let rows = store.summary(&LedgerFilter::default(), by).unwrap();
    rows.into_iter()
        .map(|r| {
            (r.key, (r.totals.entries, decimal_cents(&r.totals.credits_in), decimal_cents(&r.totals.credits_out).abs()))
        })
        .collect()
}

/// An engine decimal (`-12.500000`) in cents; the generator writes nothing finer.
fn decimal_cents(d: &impl std::fmt::Display) -> i64 {
    let s = d.to_string();
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    cents(&s)
}

fn import_files(dir: &Path, files: &[(&str, &[u8])]) -> Store {
    let mut store = Store::open(&dir.join("reckon.db")).unwrap();
    let now = Utc.with_ymd_and_hms(2027, 6, 1, 0, 0, 0).unwrap();
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        import(&mut store, &[path], &ImportOptions::new(now), &mut NoProgress).unwrap();
    }
    store
}

#[test]
fn the_engine_stores_what_the_sidecar_says() {
    let dir = tempfile::tempdir().unwrap();
    let c = conversations(1_500, 21);
    let (csv, later, totals) = conv_files(&c);
    let side = json(&totals);
    let store = import_files(dir.path(), &[("conversations.csv", &csv)]);
    let check = |store: &Store, want: &Value| {
        let by_type = summary(store, GroupBy::Type);
        let want_credits = want["credits"].as_str().map(cents).unwrap();
        assert_eq!(
            by_type.into_iter().collect::<Vec<_>>(),
            vec![("CONVERSATION".to_string(), (want["entries"].as_u64().unwrap(), 0, want_credits))]
        );
        let convs = summary(store, GroupBy::Transaction);
        assert_eq!(convs.len() as u64, want["conversations"].as_u64().unwrap());
        let print = fingerprint(convs.iter().map(|(id, v)| (id.as_str(), v.2, v.0)));
        assert_eq!(Some(print.as_str()), want["fingerprint"].as_str());
        convs
    };
    let before = check(&store, &side);
    drop(store);
    let store = import_files(dir.path(), &[("later.csv", &later)]);
    let after = check(&store, &side["later"]["after_later"]);
    let mut grew: Vec<&str> = after.iter().filter(|(id, v)| v.0 > before[*id].0).map(|(id, _)| id.as_str()).collect();
    let mut revised: Vec<&str> =
        side["later"]["revised"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    grew.sort_unstable();
    revised.sort_unstable();
    assert_eq!(grew, revised);

    let a = adjustments(1_500, 21);
    let (mut csv, mut totals) = (Vec::new(), Vec::new());
    write_adjustments_csv(&a, &mut csv).unwrap();
    write_adjustments_totals(&a, &mut totals).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = import_files(dir.path(), &[("adjustments.csv", &csv)]);
    let side = json(&totals);
    let got = summary(&store, GroupBy::Type);
    let want: BTreeMap<String, (u64, i64, i64)> = side["by_type"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let c = |f: &str| v[f].as_str().map(cents).unwrap();
            (k.clone(), (v["entries"].as_u64().unwrap(), c("credits_in"), c("credits_out")))
        })
        .collect();
    assert_eq!(got, want);
}
