//! The usage feed with refunds (FORMATS.md section 4, `product-docs/002_...`): CSV with the
//! header `Entry ID, Time, Kind, Description, Credits, Reason, Refund of, Balance`, newest first.
//!
//! The feed has two kinds only, `charge` and `refund` (Billing -> Usage: charges, and refunds as
//! green + entries), so a Reverie ledger's grants, purchases and other positive entries cannot be
//! written in it. The feed is its own ledger instead: the generated ledger's usage charges (chats,
//! images, speech; see [`USAGE`]) and their refunds, in order, with the same IDs and
//! descriptions (a charge's naming its model and character, which the feed has no column for),
//! `Refund of` naming the charge the generator's refund names, and a running balance from an opening balance large enough that it never goes below zero. Exactly `rows`
//! rows: the ledger is generated long enough and cut after the `rows`-th kept entry.
//!
//! With `Balance`, `faults` balance breaks are planted (the stated balance shifted by a delta
//! from one row on, each between two rows alone in their second). Without it there is nothing
//! to break: [`Feed::anchors`] gives balances stated along the way (the true ones), with which
//! `reckon check` walks the feed.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::ledger::{self, cents_string, format_cents, Break, Config, Kind};

/// The charges a usage feed lists: chats, images, speech. Videos (40-200 credits) are left out
/// with their refunds: under the one kind `charge` they sit among 0.2-credit chats and
/// `unusual_amount` flags them by size (about 240 warnings at 100k rows); sent gifts are not
/// usage.
const USAGE: [Kind; 4] = [Kind::Chat, Kind::Image, Kind::Tts, Kind::Asr];

/// One row of the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: String,
    pub ts: i64,
    pub refund: bool,
    pub description: String,
    /// Positive cents.
    pub credits: i64,
    /// A refund's reason.
    pub reason: Option<&'static str>,
    /// The charge a refund names.
    pub refund_of: Option<String>,
    /// The balance the feed states after the row (the true one plus the planted deltas).
    pub balance: i64,
    /// The balance after the row without the planted deltas.
    pub true_balance: i64,
}

#[derive(Debug, Clone)]
pub struct Feed {
    pub seed: u64,
    /// Oldest first.
    pub rows: Vec<Row>,
    /// The balance before the first row.
    pub opening: i64,
    pub breaks: Vec<Break>,
}

/// Generates a feed of exactly `rows` rows with `faults` planted balance breaks.
pub fn generate(rows: usize, seed: u64, faults: usize) -> Feed {
    let mut entries = rows + rows / 2 + 64;
    let mut kept: Vec<Row> = loop {
        let l = ledger::generate(&Config { entries, seed, faults: 0, messy: false, noisy_types: false });
        let kept: Vec<Row> = l
            .entries
            .into_iter()
            .filter(|e| {
                if e.kind == Kind::Refund {
                    !e.description.contains("video")
                } else {
                    e.amount < 0 && USAGE.contains(&e.kind)
                }
            })
            .take(rows)
            .map(|e| {
                let refund = e.kind == Kind::Refund;
                let refund_of = refund
                    .then(|| e.description.strip_prefix("Refund for ").and_then(|r| r.split(' ').next()))
                    .flatten()
                    .map(String::from);
                let reason = refund.then(|| {
                    if e.description.contains("no reply") {
                        "No reply generated"
                    } else {
                        "Generation failed"
                    }
                });
                // The feed has no character or model column: the description names them, as
                // two voice charges of the same length for two characters a few seconds apart
                // are two charges, not a duplicate.
                let mut description = e.description;
                for name in [&e.model, &e.character].into_iter().flatten() {
                    if !refund && !description.contains(name.as_str()) {
                        description = format!("{description} ({name})");
                    }
                }
                Row {
                    id: e.id,
                    ts: e.ts,
                    refund,
                    description,
                    credits: e.amount.abs(),
                    reason,
                    refund_of,
                    balance: 0,
                    true_balance: 0,
                }
            })
            .collect();
        if kept.len() == rows {
            break kept;
        }
        entries *= 2;
    };
    // The opening balance: the deepest the running sum goes, rounded up to 1,000 credits.
    let (mut sum, mut low) = (0i64, 0i64);
    for r in &kept {
        sum += if r.refund { r.credits } else { -r.credits };
        low = low.min(sum);
    }
    let opening = (-low / 100_000 + 1) * 100_000;
    let mut balance = opening;
    for r in &mut kept {
        balance += if r.refund { r.credits } else { -r.credits };
        r.true_balance = balance;
        r.balance = balance;
    }
    // Planted breaks, spread evenly, each at a row alone in its second after a row alone in its.
    let alone = |rows: &[Row], i: usize| {
        (i == 0 || rows[i - 1].ts != rows[i].ts) && (i + 1 == rows.len() || rows[i + 1].ts != rows[i].ts)
    };
    let mut breaks = Vec::new();
    let mut shift = 0i64;
    let mut from = 1;
    let mut points = Vec::new();
    for k in 0..faults {
        let mut i = ((k + 1) * rows / (faults + 1)).max(from);
        while i < rows && !(alone(&kept, i) && alone(&kept, i - 1)) {
            i += 1;
        }
        if i >= rows {
            break;
        }
        points.push(i);
        from = i + 2;
    }
    let mut next = 0;
    for i in 0..kept.len() {
        if next < points.len() && points[next] == i {
            // 1.00, -2.50, 7.25, ... never zero.
            let delta = [100, -250, 725, -1_000, 333][next % 5];
            shift += delta;
            breaks.push(Break { index: i, before: kept[i - 1].id.clone(), after: kept[i].id.clone(), delta });
            next += 1;
        }
        kept[i].balance += shift;
    }
    Feed { seed, rows: kept, opening, breaks }
}

impl Feed {
    /// `count` balances stated along the feed: the opening one a second before the first row,
    /// then at the time of evenly spaced rows, each the true balance after every row at or before
    /// that time. `(opening?, ts, cents)`.
    pub fn anchors(&self, count: usize) -> Vec<(bool, i64, i64)> {
        let Some(first) = self.rows.first() else { return Vec::new() };
        let mut out = vec![(true, first.ts - 1, self.opening)];
        let stated = count.saturating_sub(1);
        for k in 1..=stated {
            let mut i = (k * self.rows.len() / stated).min(self.rows.len()) - 1;
            while i + 1 < self.rows.len() && self.rows[i + 1].ts == self.rows[i].ts {
                i += 1;
            }
            out.push((false, self.rows[i].ts, self.rows[i].true_balance));
        }
        out
    }
}

/// Writes the feed's CSV, newest first; without `Balance` the column is left out.
pub fn write_csv(feed: &Feed, with_balance: bool, out: &mut dyn Write) -> io::Result<()> {
    let mut s = String::with_capacity(1 << 17);
    s.push_str("Entry ID,Time,Kind,Description,Credits,Reason,Refund of");
    s.push_str(if with_balance { ",Balance\n" } else { "\n" });
    for r in feed.rows.iter().rev() {
        s.push_str(&r.id);
        s.push(',');
        let (y, m, d) = ledger::civil_from_days(r.ts.div_euclid(86_400));
        let t = r.ts.rem_euclid(86_400);
        let _ = write!(s, "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z,", t / 3600, t / 60 % 60, t % 60);
        s.push_str(if r.refund { "refund," } else { "charge," });
        if r.description.contains([',', '"']) {
            let _ = write!(s, "\"{}\",", r.description.replace('"', "\"\""));
        } else {
            s.push_str(&r.description);
            s.push(',');
        }
        format_cents(&mut s, r.credits, false, false, true, "-");
        s.push(',');
        s.push_str(r.reason.unwrap_or(""));
        s.push(',');
        s.push_str(r.refund_of.as_deref().unwrap_or(""));
        if with_balance {
            s.push(',');
            format_cents(&mut s, r.balance, false, false, true, "-");
        }
        s.push('\n');
        if s.len() > 1 << 16 {
            out.write_all(s.as_bytes())?;
            s.clear();
        }
    }
    out.write_all(s.as_bytes())
}

/// The sidecar of planted faults, in the shape of [`ledger::write_faults_json`].
pub fn write_faults_json(feed: &Feed, with_balance: bool, out: &mut dyn Write) -> io::Result<()> {
    let q = |s: &str| serde_json::Value::String(s.to_string()).to_string();
    let mut s = String::new();
    let _ = writeln!(s, "{{");
    let _ = writeln!(s, "  \"entries\": {},", feed.rows.len());
    let _ = writeln!(s, "  \"seed\": {},", feed.seed);
    let _ = writeln!(s, "  \"opening_balance\": \"{}\",", cents_string(feed.opening));
    let last = feed.rows.last().map_or(feed.opening, |r| r.true_balance);
    let _ = writeln!(s, "  \"final_balance\": \"{}\",", cents_string(last));
    let _ = writeln!(s, "  \"balance_breaks\": [");
    let breaks: &[Break] = if with_balance { &feed.breaks } else { &[] };
    for (k, b) in breaks.iter().enumerate() {
        let _ = writeln!(
            s,
            "    {{ \"transaction_ids\": [{}, {}], \"delta\": \"{}\", \"index\": {} }}{}",
            q(&b.before),
            q(&b.after),
            cents_string(b.delta),
            b.index,
            if k + 1 < breaks.len() { "," } else { "" }
        );
    }
    let _ = writeln!(s, "  ]");
    let _ = writeln!(s, "}}");
    out.write_all(s.as_bytes())
}

/// The anchors as lines of `opening|stated <TAB> YYYY-MM-DDTHH:MM:SSZ <TAB> balance`.
pub fn write_anchors(anchors: &[(bool, i64, i64)], out: &mut dyn Write) -> io::Result<()> {
    let mut s = String::new();
    for &(opening, ts, cents) in anchors {
        let (y, m, d) = ledger::civil_from_days(ts.div_euclid(86_400));
        let t = ts.rem_euclid(86_400);
        let _ = writeln!(
            s,
            "{}\t{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z\t{}",
            if opening { "opening" } else { "stated" },
            t / 3600,
            t / 60 % 60,
            t % 60,
            cents_string(cents)
        );
    }
    out.write_all(s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<csv::StringRecord> {
        let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
        r.records().map(|x| x.expect("a CSV record")).collect()
    }

    #[test]
    fn feed_parses_with_the_rows_asked() {
        for (n, with_balance) in [(2_000, true), (2_000, false), (137, true)] {
            let feed = generate(n, 7, 3);
            let mut out = Vec::new();
            write_csv(&feed, with_balance, &mut out).unwrap();
            let text = String::from_utf8(out).unwrap();
            let rows = parse(&text);
            assert_eq!(rows.len(), n, "rows of a {n}-row feed");
            let width = if with_balance { 8 } else { 7 };
            assert!(rows.iter().all(|r| r.len() == width));
            assert!(rows.iter().all(|r| &r[2] == "charge" || &r[2] == "refund"));
            // Newest first; every refund names a charge of the feed of its amount.
            let credits: std::collections::HashMap<&str, &str> =
                rows.iter().filter(|r| &r[2] == "charge").map(|r| (&r[0], &r[4])).collect();
            for r in rows.iter().filter(|r| &r[2] == "refund") {
                assert_eq!(credits.get(&r[6]), Some(&&r[4]), "refund {} of {}", &r[0], &r[6]);
            }
            assert!(rows.windows(2).all(|w| w[0][1] >= w[1][1]));
        }
    }

    #[test]
    fn balance_runs_except_at_the_planted_breaks() {
        let feed = generate(3_000, 11, 3);
        assert_eq!(feed.rows.len(), 3_000);
        assert_eq!(feed.breaks.len(), 3);
        let mut prev = feed.opening;
        let mut breaks = 0;
        for r in &feed.rows {
            assert!(r.true_balance >= 0);
            let amount = if r.refund { r.credits } else { -r.credits };
            if r.balance != prev + amount {
                breaks += 1;
            }
            prev = r.balance;
        }
        assert_eq!(breaks, 3);
        assert!(feed.rows.iter().any(|r| r.refund));
        let anchors = feed.anchors(1_000);
        assert_eq!(anchors.len(), 1_000);
        assert_eq!(anchors.last().map(|a| a.2), feed.rows.last().map(|r| r.true_balance));
    }
}
