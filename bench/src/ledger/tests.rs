use std::collections::{HashMap, HashSet};

use super::*;

fn gen(entries: usize, seed: u64, faults: usize, messy: bool) -> Ledger {
    generate(&Config { entries, seed, faults, messy, noisy_types: false })
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
    let mut of_kind: HashMap<Kind, usize> = HashMap::new();
    for e in l.entries.iter().filter(|e| e.kind == Kind::Refund) {
        let id = e.description.strip_prefix("Refund for ").unwrap().split(' ').next().unwrap();
        let charge = by_id[id];
        assert!(matches!(charge.kind, Kind::Chat | Kind::Image | Kind::Video));
        assert!(charge.ts < e.ts && charge.ts >= e.ts - 2 * 86_400);
        assert_eq!(charge.amount, -e.amount);
        assert_eq!((&charge.character, &charge.model), (&e.character, &e.model));
        let reason = match charge.kind {
            Kind::Chat => "(no reply generated)",
            Kind::Image => "(Image generation failure)",
            _ => "(video generation failed)",
        };
        assert!(e.description.ends_with(reason), "{}", e.description);
        assert!(refunded.insert(id), "{id} refunded twice");
        *of_kind.entry(charge.kind).or_default() += 1;
    }
    assert!(of_kind.values().sum::<usize>() > 100);
    // Expensive generations are refunded too.
    assert!(of_kind[&Kind::Video] > 3, "{of_kind:?}");
    assert!(of_kind[&Kind::Image] > 20 && of_kind[&Kind::Chat] > 20, "{of_kind:?}");
}

fn in_table(table: &[(i64, u64)], v: i64) -> bool {
    table.iter().any(|t| t.0 == v)
}

/// "Model reply, 318 tokens[ (long context)]": the output tokens the description names.
fn output_tokens(description: &str) -> i64 {
    description.split(", ").nth(1).and_then(|w| w.split(' ').next()).and_then(|n| n.parse().ok()).unwrap()
}

#[test]
fn no_identical_entries_close_together_and_amounts_from_each_types_table() {
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
        let a = e.amount;
        let model = e.model.as_deref().unwrap_or("");
        let ok = match e.kind {
            Kind::Chat => {
                // The price of the tokens the description names, within the model's limits.
                let m = CHAT_MODELS.iter().find(|m| m.name == model).unwrap();
                let (input, output) = e.tokens.expect("a chat reply knows its tokens");
                assert_eq!(output, output_tokens(&e.description), "{}", e.description);
                assert!(input <= m.max_context && output <= m.max_output, "{}", e.description);
                let cost = ((input * m.input_per_m + output * m.output_per_m + 999_999) / 1_000_000).max(1);
                a == -cost && a >= -1_500
            }
            Kind::Image => {
                let (_, sizes) = IMAGE_MODELS.iter().find(|m| m.0 == model).unwrap();
                sizes.iter().any(|(size, price)| a == -price && e.description.contains(size))
            }
            Kind::Video => {
                let (_, durations) = VIDEO_MODELS.iter().find(|m| m.0 == model).unwrap();
                durations.iter().any(|(secs, price)| a == -price && e.description.contains(&format!(", {secs} s")))
            }
            Kind::Tts if e.ts < PROMO_END => a == 0,
            Kind::Asr if e.ts < PROMO_END => a == 0,
            Kind::Tts => (-45..=-1).contains(&a),
            Kind::Asr => (-12..=-1).contains(&a),
            Kind::LuckyDraw => in_table(&LUCKY_DRAW_PRIZES, a),
            Kind::Bonus => in_table(&BONUSES, a),
            Kind::Redeem => in_table(&REDEEM_CODES, a),
            Kind::Purchase => in_table(&PACKS, a),
            Kind::DailyLogin => LOGIN_CALENDAR.contains(&a),
            Kind::StreakBonus => [2_500, 5_000, 10_000].contains(&a),
            Kind::SubscriptionGrant => PLANS.iter().any(|p| p.1 == a && e.description.starts_with(p.0)),
            Kind::Referral => a == REFERRAL_REWARD,
            Kind::ReferralCommission => {
                PACKS.iter().any(|p| [100, 110, 120, 150].iter().any(|pct| a == p.0 * pct / 1_000))
            }
            Kind::PluginCommission => PLUGIN_TOOLS.iter().any(|t| a == t.2 && e.description.contains(t.0)),
            Kind::CharacterRevenue => (1..=2_000).contains(&a),
            Kind::Gift => (500..=50_000).contains(&a.abs()),
            Kind::AdminGrant => (100..=50_000).contains(&a),
            Kind::Refund => (1..=20_000).contains(&a),
            Kind::Tip => false,
        };
        assert!(ok, "{} {} {:?} out of its table", e.kind.name(), a, e.description);
        if e.kind != Kind::Refund {
            assert_eq!(
                matches!(e.kind, Kind::Chat | Kind::Image | Kind::Video | Kind::Tts | Kind::Asr),
                e.model.is_some()
            );
        }
    }
}

/// The middle magnitude of the entries that pass `keep`.
fn median(l: &Ledger, keep: impl Fn(&Entry) -> bool) -> i64 {
    let mut v: Vec<i64> = l.entries.iter().filter(|e| keep(e)).map(|e| e.amount.abs()).collect();
    assert!(!v.is_empty());
    v.sort_unstable();
    v[v.len() / 2]
}

#[test]
fn distributions_have_their_rare_big_values() {
    let l = gen(200_000, 8, 0, false);
    let count = |kind: Kind, amount: i64| l.entries.iter().filter(|e| e.kind == kind && e.amount == amount).count();
    // Prize tables: the smallest prize is the usual one, the big ones are rare but there.
    let mode = |kind: Kind| {
        let mut by: HashMap<i64, usize> = HashMap::new();
        for e in l.entries.iter().filter(|e| e.kind == kind) {
            *by.entry(e.amount).or_default() += 1;
        }
        by.into_iter().max_by_key(|&(amount, n)| (n, -amount)).unwrap().0
    };
    assert_eq!(mode(Kind::LuckyDraw), 100);
    assert!(count(Kind::LuckyDraw, 5_000) > 0 && count(Kind::LuckyDraw, 5_000) < count(Kind::LuckyDraw, 2_500));
    assert_eq!(mode(Kind::Bonus), 200);
    assert!(count(Kind::Bonus, 2_500) + count(Kind::Bonus, 5_000) > 0);
    assert!(count(Kind::StreakBonus, 2_500) > 0 && count(Kind::StreakBonus, 5_000) > 0);
    assert!(count(Kind::Redeem, 10_000) > 0 && count(Kind::Redeem, 500) > count(Kind::Redeem, 10_000));
    // Prices differ by model: a large model costs many times a mini one.
    let by_model = |name: &'static str| median(&l, move |e| e.kind == Kind::Chat && e.model.as_deref() == Some(name));
    assert!(by_model("Claude Sonnet 4.5") > 5 * by_model("Llama 4 Maverick"));
    assert!(by_model("GPT-5 mini") <= 50);
    // Long-context replies on a large model: rare, dear, bounded.
    let long: Vec<i64> = l
        .entries
        .iter()
        .filter(|e| e.model.as_deref() == Some("Claude Sonnet 4.5") && e.description.contains("long context"))
        .map(|e| -e.amount)
        .collect();
    assert!(!long.is_empty() && long.iter().all(|&c| (480..=1_206).contains(&c)), "{long:?}");
    // Videos cost far more than images.
    assert!(median(&l, |e| e.kind == Kind::Video) >= 20 * median(&l, |e| e.kind == Kind::Image));
    // Every login after the streak reached 7, 14 or 30 days is followed by its bonus.
    for w in l.entries.windows(2) {
        if w[1].kind == Kind::StreakBonus {
            assert_eq!(w[0].kind, Kind::DailyLogin);
            assert_eq!(w[0].ts.div_euclid(86_400), w[1].ts.div_euclid(86_400));
        }
    }
}

#[test]
fn chats_and_tool_calls_come_in_bursts() {
    let l = gen(20_000, 12, 3, false);
    let same_second = |kind: Kind| {
        l.entries
            .windows(2)
            .filter(|w| {
                w[0].kind == kind
                    && w[1].kind == kind
                    && w[0].ts == w[1].ts
                    && w[0].character == w[1].character
                    && w[0].model == w[1].model
            })
            .count()
    };
    assert!(same_second(Kind::Chat) > 200, "{}", same_second(Kind::Chat));
    assert!(same_second(Kind::PluginCommission) > 10, "{}", same_second(Kind::PluginCommission));
    // A chat session's context grows from one reply to the next.
    let growing = l
        .entries
        .windows(2)
        .filter(|w| {
            w[0].kind == Kind::Chat
                && w[1].kind == Kind::Chat
                && w[1].ts - w[0].ts <= 20
                && !w[1].description.contains("long context")
                && !w[0].description.contains("long context")
                && w[0].model == w[1].model
        })
        .map(|w| (w[0].tokens.unwrap().0 < w[1].tokens.unwrap().0) as usize)
        .collect::<Vec<_>>();
    let grew = growing.iter().sum::<usize>() as f64 / growing.len() as f64;
    assert!(grew > 0.6, "{grew}");
}

#[test]
fn noisy_types_add_about_one_percent_tips_and_nothing_else_unknown() {
    let l = generate(&Config { entries: 50_000, seed: 3, faults: 0, messy: false, noisy_types: true });
    let tips = l.entries.iter().filter(|e| e.kind == Kind::Tip).count();
    assert!((300..800).contains(&tips), "{tips} TIP entries");
    let bytes = csv_of(&l, false);
    let mut r = csv::Reader::from_reader(bytes.as_slice());
    let unknown = r.records().filter(|rec| !TYPES.contains(&&rec.as_ref().unwrap()[2])).count();
    assert_eq!(unknown, tips);
    assert!(l.breaks.is_empty());
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
