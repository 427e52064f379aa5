use std::collections::{HashMap, HashSet};

use super::*;

fn gen(entries: usize, seed: u64, faults: usize, messy: bool) -> Ledger {
    generate(&Config { entries, seed, faults, messy })
}

fn csv_of(l: &Ledger, messy: bool) -> Vec<u8> {
    let mut v = Vec::new();
    write_csv(l, CsvStyle { messy }, &mut v).unwrap();
    v
}

/// Parses a decimal as the export writes it (sign, U+2212, thousands separators) into cents.
fn parse_cents(s: &str) -> i64 {
    let s = s.replace('\u{2212}', "-").replace(',', "");
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(&s)),
    };
    let (whole, frac) = body.split_once('.').unwrap_or((body, "0"));
    assert!(frac.len() <= 2, "more than two decimals in {s:?}");
    let frac: i64 = format!("{frac:0<2}").parse().unwrap();
    let v = whole.parse::<i64>().unwrap() * 100 + frac;
    if neg {
        -v
    } else {
        v
    }
}

#[test]
fn running_balance_is_consistent_except_at_the_planted_breaks() {
    for (n, faults) in [(5_000, 3), (20_000, 7), (2_000, 0)] {
        let l = gen(n, 42, faults, false);
        assert_eq!(l.entries.len(), n);
        assert_eq!(l.breaks.len(), faults);
        let planted: HashMap<usize, i64> = l.breaks.iter().map(|b| (b.index, b.delta)).collect();
        let mut prev = 0i64;
        for (i, e) in l.entries.iter().enumerate() {
            assert!(e.balance_after >= 0, "negative balance at {i}");
            let gap = e.balance_after - prev - e.amount;
            match planted.get(&i) {
                Some(&d) => {
                    assert_ne!(d, 0);
                    assert_eq!(gap, d, "break at {i}");
                    assert_eq!(l.breaks.iter().find(|b| b.index == i).unwrap().before, l.entries[i - 1].id);
                    assert_eq!(l.breaks.iter().find(|b| b.index == i).unwrap().after, e.id);
                }
                None => assert_eq!(gap, 0, "unplanted break at entry {i} ({})", e.id),
            }
            prev = e.balance_after;
        }
        // Each break sits between two entries that are alone in their second.
        for b in &l.breaks {
            let ts = |k: usize| l.entries[k].ts;
            assert!(
                ts(b.index - 2) < ts(b.index - 1) && ts(b.index - 1) < ts(b.index) && ts(b.index) < ts(b.index + 1)
            );
        }
    }
}

#[test]
fn the_written_csv_replays_to_the_same_balances() {
    // Read the CSV back as an importer would: sort by time, resolve same-second groups by the
    // balance chain, and count the breaks.
    let l = gen(3_000, 9, 3, false);
    let bytes = csv_of(&l, false);
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    let rows: Vec<(String, String, i64, i64)> = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[0].to_string(), rec[1].to_string(), parse_cents(&rec[4]), parse_cents(&rec[5]))
        })
        .collect();
    assert_eq!(rows.len(), 3_000);
    // Newest first: the dates never increase down the file.
    assert!(rows.windows(2).all(|w| w[0].1 >= w[1].1));
    let by_id: HashMap<&str, (i64, i64)> = rows.iter().map(|r| (r.0.as_str(), (r.2, r.3))).collect();
    for e in &l.entries {
        assert_eq!(by_id[e.id.as_str()], (e.amount, e.balance_after));
    }
}

#[test]
fn every_type_appears_and_only_known_types() {
    let l = gen(20_000, 7, 3, false);
    let seen: HashSet<Kind> = l.entries.iter().map(|e| e.kind).collect();
    for k in Kind::ALL {
        assert!(seen.contains(&k), "{} never generated", k.name());
    }
    let bytes = csv_of(&l, false);
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    for rec in r.records() {
        assert!(TYPES.contains(&&rec.unwrap()[2]));
    }
}

#[test]
fn about_a_quarter_share_a_second_and_months_are_spanned() {
    let l = gen(50_000, 3, 3, false);
    let ts: Vec<i64> = l.entries.iter().map(|e| e.ts).collect();
    let sharing =
        (0..ts.len()).filter(|&i| (i > 0 && ts[i - 1] == ts[i]) || (i + 1 < ts.len() && ts[i + 1] == ts[i])).count();
    let frac = sharing as f64 / ts.len() as f64;
    assert!((0.18..0.32).contains(&frac), "{frac} share a second");
    assert!(ts.last().unwrap() - ts[0] > 90 * 86_400);
}

#[test]
fn refunds_name_an_earlier_unrefunded_charge_of_the_same_magnitude() {
    let l = gen(30_000, 11, 3, false);
    let by_id: HashMap<&str, &Entry> = l.entries.iter().map(|e| (e.id.as_str(), e)).collect();
    let mut refunded = HashSet::new();
    let mut refunds = 0;
    for e in l.entries.iter().filter(|e| e.kind == Kind::Refund) {
        refunds += 1;
        let id = e.description.strip_prefix("Refund for ").unwrap().split(' ').next().unwrap();
        let charge = by_id[id];
        assert!(matches!(charge.kind, Kind::Chat | Kind::Image));
        assert!(charge.ts < e.ts && charge.ts >= e.ts - 2 * 86_400);
        assert_eq!(charge.amount, -e.amount);
        assert!(refunded.insert(id), "{id} refunded twice");
    }
    assert!(refunds > 100);
}

#[test]
fn no_identical_entries_close_together_and_amounts_in_range() {
    let l = gen(30_000, 5, 3, true);
    for (i, e) in l.entries.iter().enumerate() {
        for f in l.entries[..i].iter().rev().take_while(|f| f.ts > e.ts - DUPLICATE_WINDOW_SECS) {
            assert!(
                !(f.kind == e.kind
                    && f.amount == e.amount
                    && f.description == e.description
                    && f.character == e.character
                    && f.model == e.model),
                "{} duplicates {}",
                e.id,
                f.id
            );
        }
        let (lo, hi) = match e.kind {
            Kind::Chat => (-140, -10),
            Kind::Image => (-800, -200),
            Kind::Video => (-18_000, -5_000),
            Kind::Tts | Kind::Asr => (0, 0),
            Kind::Gift => (-20_000, 20_000),
            Kind::Refund => (50, 800),
            Kind::Purchase => (50_000, 500_000),
            _ => (1, 300_000),
        };
        assert!((lo..=hi).contains(&e.amount), "{} {} out of range", e.kind.name(), e.amount);
        if e.kind != Kind::Refund {
            assert_eq!(
                matches!(e.kind, Kind::Chat | Kind::Image | Kind::Video | Kind::Tts | Kind::Asr),
                e.model.is_some()
            );
        }
    }
}

#[test]
fn transaction_ids_are_unique_and_well_formed() {
    let l = gen(100_000, 1, 3, false);
    let mut seen = HashSet::new();
    for e in &l.entries {
        assert_eq!(e.id.len(), 24);
        assert!(e.id.starts_with("txn_"));
        assert!(e.id[4..].bytes().all(|b| BASE32.contains(&b)));
        assert!(seen.insert(e.id.as_str()));
    }
}

#[test]
fn the_same_seed_gives_the_same_files_and_another_seed_does_not() {
    let a = gen(4_000, 77, 3, true);
    let b = gen(4_000, 77, 3, true);
    let c = gen(4_000, 78, 3, true);
    assert_eq!(csv_of(&a, true), csv_of(&b, true));
    let (mut ja, mut jb) = (Vec::new(), Vec::new());
    write_journal(&a, &mut ja).unwrap();
    write_journal(&b, &mut jb).unwrap();
    assert_eq!(ja, jb);
    assert_ne!(csv_of(&a, true), csv_of(&c, true));
}

#[test]
fn the_journal_has_one_transaction_and_one_assertion_per_entry() {
    let l = gen(2_500, 4, 3, true);
    let mut j = Vec::new();
    write_journal(&l, &mut j).unwrap();
    let text = String::from_utf8(j).unwrap();
    let headers = text.lines().filter(|l| l.len() > 10 && l.as_bytes()[0].is_ascii_digit()).count();
    let assertions: Vec<&str> = text.lines().filter(|l| l.contains(" = ")).collect();
    assert_eq!(headers, 2_500);
    assert_eq!(assertions.len(), 2_500);
    for (line, e) in assertions.iter().zip(&l.entries) {
        assert!(line.starts_with("    assets:credits  "));
        assert!(line.ends_with(&format!(" C = {} C", cents_string(e.balance_after))), "{line}");
    }
    // Oldest first.
    let dates: Vec<&str> =
        text.lines().filter(|l| l.len() > 10 && l.as_bytes()[0].is_ascii_digit()).map(|l| &l[..10]).collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn messy_output_still_parses_as_csv_to_the_same_ledger() {
    let l = gen(5_000, 21, 3, true);
    let bytes = csv_of(&l, true);
    assert!(bytes.starts_with("\u{feff}".as_bytes()));
    let text = std::str::from_utf8(&bytes).unwrap();
    assert!(text.contains("\r\n"));
    assert!(text.contains('\u{2212}'));
    assert!(text.contains("-05:00"));
    assert!(text.contains("\"\""), "no escaped quote");
    assert!(text.contains(",\"+"), "no quoted amount with thousands separator");
    let mut r = csv::ReaderBuilder::new().from_reader(&bytes[3..]);
    let headers = r.headers().unwrap().clone();
    assert_eq!(headers.len(), 8);
    let by_id: HashMap<&str, &Entry> = l.entries.iter().map(|e| (e.id.as_str(), e)).collect();
    let mut n = 0;
    for rec in r.records() {
        let rec = rec.unwrap();
        assert_eq!(rec.len(), 8);
        let e = by_id[&rec[0]];
        assert_eq!(parse_cents(&rec[4]), e.amount);
        assert_eq!(parse_cents(&rec[5]), e.balance_after);
        assert_eq!(&rec[3], e.description);
        assert_eq!(&rec[6], e.character.as_deref().unwrap_or(""));
        n += 1;
    }
    assert_eq!(n, 5_000);
}

#[test]
fn dates_and_decimals_format_exactly() {
    assert_eq!(civil_from_days(0), (1970, 1, 1));
    assert_eq!(civil_from_days(START_TS / 86_400), (2025, 9, 1));
    let mut s = String::new();
    push_datetime(&mut s, START_TS + 3600 * 8, -5 * 3600, 'T');
    assert_eq!(s, "2025-09-01T03:00:00");
    let f = |c, sign, th, fixed, minus| {
        let mut s = String::new();
        format_cents(&mut s, c, sign, th, fixed, minus);
        s
    };
    assert_eq!(f(100_000, true, true, true, "-"), "+1,000.00");
    assert_eq!(f(-35, true, false, false, "-"), "-0.35");
    assert_eq!(f(20_000, true, false, false, "-"), "+200");
    assert_eq!(f(-123_456_789, true, true, true, "\u{2212}"), "\u{2212}1,234,567.89");
    assert_eq!(f(0, true, false, false, "-"), "0");
    assert_eq!(cents_string(-136), "-1.36");
}
