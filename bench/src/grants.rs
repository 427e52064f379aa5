//! The grant / spend / pending grant ledger (FORMATS.md section 5, `product-docs/003_...`): CSV
//! with the header `Entry ID, Time, Currency, Event, Kind, Amount, Balance change, Settles`,
//! oldest first, as the product page's examples are.
//!
//! Two credit currencies (`credits`, most rows, and `USD`), each its own chain opening with an
//! allocation. Spends of 0.50 to 200.00 (none large enough to be an `unusual_amount`); a
//! top-up grant before any spend that would leave less than 200 available, so nothing spends
//! pending credits by accident; pending grants ("Invoice issued for top-up") that a grant
//! ("Invoice paid") settles, naming it in `Settles`, for the same amount, 1 hour to 20 days
//! later. Rows are 11 seconds to a few minutes apart, and 60 days or more in all (no two spends inside the 10-second duplicate
//! window, no same-second order to guess).
//!
//! Planted, each once per `faults` round (in `credits`):
//! - `balance_break`: the stated balances shifted by a delta from one row on (both sides of its
//!   `Balance change`, so the row itself adds up; the link to the row before does not);
//! - `pending_unsettled`: a pending grant no grant ever settles, early in the ledger (far more
//!   than 30 days before its end);
//! - `settled_amount_mismatch`: a pending grant settled for another amount;
//! - `pending_overspend` (once): the available balance run down below 150, a pending grant of
//!   500, then a spend of 40.00 more than was available, then the grant that settles it.
//!
//! The sidecar lists every planted finding (kind, transaction IDs, delta): `reckon check` must
//! report exactly these.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::{self, Write};

use crate::ledger::{self, cents_string, format_cents};
use crate::rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Grant,
    Spend,
    Pending,
}

/// One row of the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: String,
    pub ts: i64,
    /// Index into [`CURRENCIES`].
    pub currency: usize,
    pub event: &'static str,
    pub kind: Kind,
    /// Signed cents (a pending grant's is positive).
    pub amount: i64,
    /// The stated available balance before and after (planted shifts included); `None` for a
    /// pending grant.
    pub change: Option<(i64, i64)>,
    /// The pending grant a grant settles.
    pub settles: Option<String>,
}

/// A planted finding: kind, transaction IDs, delta in cents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planted {
    pub kind: &'static str,
    pub ids: Vec<String>,
    pub delta: i64,
}

#[derive(Debug, Clone)]
pub struct Grants {
    pub seed: u64,
    /// Oldest first.
    pub rows: Vec<Row>,
    pub planted: Vec<Planted>,
}

pub const CURRENCIES: [&str; 2] = ["credits", "USD"];
/// 2026-01-01T00:00:00Z.
const START: i64 = 1_767_225_600;
const DAY: i64 = 86_400;

/// A pending grant waiting for the grant that settles it.
struct Due {
    ts: i64,
    pending: String,
    currency: usize,
    amount: i64,
    /// Settled for `amount + delta` (a planted mismatch when not 0).
    delta: i64,
}

/// Generates a ledger of exactly `rows` rows with `faults` rounds of planted findings (one
/// `pending_overspend` in all).
pub fn generate(rows: usize, seed: u64, faults: usize) -> Grants {
    let mut rng = Rng::derive(seed, 0x6772_616e_7473);
    let mut out: Vec<Row> = Vec::with_capacity(rows);
    let mut planted = Vec::new();
    // Stated available balance per currency, and the last row of each that stated one.
    let mut balance = [0i64; 2];
    let mut last_stated: [Option<usize>; 2] = [None, None];
    let mut due: VecDeque<Due> = VecDeque::new();
    let mut ts = START;
    // Where each planted fault goes (row counts), spread over the ledger.
    let at = |k: usize, of: usize| (k + 1) * rows / (of + 1);
    let breaks: Vec<usize> = (0..faults).map(|k| at(k, faults).max(8)).collect();
    let unsettled: Vec<usize> = (0..faults).map(|k| at(k, 2 * faults + 2).max(4)).collect();
    let mismatches: Vec<usize> = (0..faults).map(|k| rows / 3 + at(k, faults) / 2).collect();
    let mut overspend = (faults > 0).then_some(rows * 3 / 5);
    let (mut next_break, mut next_unsettled, mut next_mismatch) = (0, 0, 0);
    // At least 60 days in all, so that a pending grant planted early is 30 days old at the end.
    let step = (120 * DAY / rows.max(1) as i64).max(200);
    let mut draining = false;
    let deltas = [100, -250, 725, -1_000, 333];
    let mismatch_deltas = [-5_000, 2_500, -12_000, 100];

    let push = |out: &mut Vec<Row>,
                balance: &mut [i64; 2],
                last_stated: &mut [Option<usize>; 2],
                ts: i64,
                currency: usize,
                event: &'static str,
                kind: Kind,
                amount: i64,
                settles: Option<String>|
     -> usize {
        let id = format!("gl_{:07}", out.len() + 1);
        let change = if kind == Kind::Pending {
            None
        } else {
            let before = balance[currency];
            balance[currency] += amount;
            last_stated[currency] = Some(out.len());
            Some((before, balance[currency]))
        };
        out.push(Row { id, ts, currency, event, kind, amount, change, settles });
        out.len() - 1
    };

    while out.len() < rows {
        ts += rng.range(11, step);
        let left = rows - out.len();
        // Each chain opens with an allocation.
        if let Some(c) = (0..2).find(|&c| last_stated[c].is_none()) {
            push(
                &mut out,
                &mut balance,
                &mut last_stated,
                ts,
                c,
                "Monthly allocation granted",
                Kind::Grant,
                500_000,
                None,
            );
            continue;
        }
        // A settlement that is due.
        if due.front().is_some_and(|d| d.ts <= ts) {
            let d = due.pop_front().unwrap();
            let i = push(
                &mut out,
                &mut balance,
                &mut last_stated,
                ts,
                d.currency,
                "Invoice paid",
                Kind::Grant,
                d.amount + d.delta,
                Some(d.pending.clone()),
            );
            if d.delta != 0 {
                planted.push(Planted {
                    kind: "settled_amount_mismatch",
                    ids: vec![d.pending, out[i].id.clone()],
                    delta: d.delta,
                });
            }
            continue;
        }
        // A planted balance break in `credits`: the stated balances move by a delta from here on.
        if next_break < breaks.len() && out.len() >= breaks[next_break] {
            let delta = deltas[next_break % deltas.len()];
            balance[0] += delta;
            let prev = out[last_stated[0].unwrap()].id.clone();
            let amount = -rng.range(50, 20_000);
            let i = push(&mut out, &mut balance, &mut last_stated, ts, 0, "API usage", Kind::Spend, amount, None);
            planted.push(Planted { kind: "balance_break", ids: vec![prev, out[i].id.clone()], delta });
            next_break += 1;
            continue;
        }
        // A planted pending grant that never settles.
        if next_unsettled < unsettled.len() && out.len() >= unsettled[next_unsettled] {
            let amount = rng.range(100, 3_000) * 100;
            let i = push(
                &mut out,
                &mut balance,
                &mut last_stated,
                ts,
                0,
                "Invoice issued for top-up",
                Kind::Pending,
                amount,
                None,
            );
            planted.push(Planted { kind: "pending_unsettled", ids: vec![out[i].id.clone()], delta: amount });
            next_unsettled += 1;
            continue;
        }
        // A planted pending grant settled for another amount, 1 hour to 2 days later.
        if next_mismatch < mismatches.len() && out.len() >= mismatches[next_mismatch] {
            let delta = mismatch_deltas[next_mismatch % mismatch_deltas.len()];
            let amount = rng.range(10, 40) * 5_000;
            let i = push(
                &mut out,
                &mut balance,
                &mut last_stated,
                ts,
                0,
                "Invoice issued for top-up",
                Kind::Pending,
                amount,
                None,
            );
            let when = ts + rng.range(3_600, 2 * DAY);
            insert_due(&mut due, Due { ts: when, pending: out[i].id.clone(), currency: 0, amount, delta });
            next_mismatch += 1;
            continue;
        }
        // The planted overspend: run `credits` down, then a pending grant, the spend, its settlement.
        if overspend.is_some_and(|o| out.len() >= o) && left >= 3 {
            draining = true;
        }
        if draining && balance[0] < 15_000 && left >= 3 {
            let available = balance[0];
            let p = push(
                &mut out,
                &mut balance,
                &mut last_stated,
                ts,
                0,
                "Invoice issued for top-up",
                Kind::Pending,
                50_000,
                None,
            );
            ts += rng.range(11, step);
            let shortfall = 4_000;
            let s = push(
                &mut out,
                &mut balance,
                &mut last_stated,
                ts,
                0,
                "Batch job",
                Kind::Spend,
                -(available + shortfall),
                None,
            );
            ts += rng.range(11, step);
            let pending = out[p].id.clone();
            push(&mut out, &mut balance, &mut last_stated, ts, 0, "Invoice paid", Kind::Grant, 50_000, Some(pending));
            planted.push(Planted { kind: "pending_overspend", ids: vec![out[s].id.clone()], delta: shortfall });
            (draining, overspend) = (false, None);
            continue;
        }
        let currency = usize::from(rng.chance(80));
        let roll = rng.below(1000);
        if roll < 20 && left > 1 {
            // A pending grant, settled 1 hour to 20 days later.
            let amount = rng.range(1, 40) * 5_000;
            let i = push(
                &mut out,
                &mut balance,
                &mut last_stated,
                ts,
                currency,
                "Invoice issued for top-up",
                Kind::Pending,
                amount,
                None,
            );
            let when = ts + rng.range(3_600, 20 * DAY);
            insert_due(&mut due, Due { ts: when, pending: out[i].id.clone(), currency, amount, delta: 0 });
            continue;
        }
        if roll < 35 {
            let (event, amount) = if rng.chance(500) {
                ("Manual top-up granted", rng.range(10, 200) * 1_000)
            } else {
                ("Promotional credits granted", rng.range(1, 50) * 500)
            };
            push(&mut out, &mut balance, &mut last_stated, ts, currency, event, Kind::Grant, amount, None);
            continue;
        }
        // A spend: 0.50 to 200.00, mostly small.
        let draining_here = draining && currency == 0;
        let amount = if rng.chance(900) && !draining_here { rng.range(50, 3_000) } else { rng.range(3_000, 20_000) };
        if balance[currency] - amount < 20_000 && !draining_here {
            push(
                &mut out,
                &mut balance,
                &mut last_stated,
                ts,
                currency,
                "Plan renewal granted",
                Kind::Grant,
                rng.range(10, 100) * 10_000,
                None,
            );
            continue;
        }
        if draining_here && balance[0] - amount < 0 {
            // Draining: only spends that leave something, until under 150.
            continue;
        }
        let event = if amount > 3_000 { "Batch job" } else { "API usage" };
        push(&mut out, &mut balance, &mut last_stated, ts, currency, event, Kind::Spend, -amount, None);
    }
    planted.sort_by(|a, b| a.kind.cmp(b.kind).then_with(|| a.ids.cmp(&b.ids)));
    Grants { seed, rows: out, planted }
}

/// `d` into `due`, kept in time order.
fn insert_due(due: &mut VecDeque<Due>, d: Due) {
    let pos = due.iter().position(|x| x.ts > d.ts).unwrap_or(due.len());
    due.insert(pos, d);
}

/// Writes the ledger's CSV, oldest first.
pub fn write_csv(g: &Grants, out: &mut dyn Write) -> io::Result<()> {
    let mut s = String::with_capacity(1 << 17);
    s.push_str("Entry ID,Time,Currency,Event,Kind,Amount,Balance change,Settles\n");
    for r in &g.rows {
        s.push_str(&r.id);
        s.push(',');
        let (y, m, d) = ledger::civil_from_days(r.ts.div_euclid(DAY));
        let t = r.ts.rem_euclid(DAY);
        let _ = write!(s, "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z,", t / 3600, t / 60 % 60, t % 60);
        s.push_str(CURRENCIES[r.currency]);
        s.push(',');
        s.push_str(r.event);
        s.push(',');
        s.push_str(match r.kind {
            Kind::Grant => "grant,",
            Kind::Spend => "spend,",
            Kind::Pending => "pending_grant,",
        });
        s.push('"');
        format_cents(&mut s, r.amount, true, true, true, "-");
        s.push_str("\",");
        if let Some((before, after)) = r.change {
            s.push('"');
            format_cents(&mut s, before, false, true, true, "-");
            s.push_str(" -> ");
            format_cents(&mut s, after, false, true, true, "-");
            s.push('"');
        }
        s.push(',');
        s.push_str(r.settles.as_deref().unwrap_or(""));
        s.push('\n');
        if s.len() > 1 << 16 {
            out.write_all(s.as_bytes())?;
            s.clear();
        }
    }
    out.write_all(s.as_bytes())
}

/// The sidecar of planted faults: `balance_breaks` in the shape of
/// [`ledger::write_faults_json`], and `findings`, every planted finding.
pub fn write_faults_json(g: &Grants, out: &mut dyn Write) -> io::Result<()> {
    let q = |s: &str| serde_json::Value::String(s.to_string()).to_string();
    let ids = |p: &Planted| p.ids.iter().map(|i| q(i)).collect::<Vec<_>>().join(", ");
    let mut s = String::new();
    let _ = writeln!(s, "{{");
    let _ = writeln!(s, "  \"entries\": {},", g.rows.len());
    let _ = writeln!(s, "  \"seed\": {},", g.seed);
    let breaks: Vec<&Planted> = g.planted.iter().filter(|p| p.kind == "balance_break").collect();
    let _ = writeln!(s, "  \"balance_breaks\": [");
    for (k, b) in breaks.iter().enumerate() {
        let comma = if k + 1 < breaks.len() { "," } else { "" };
        let _ =
            writeln!(s, "    {{ \"transaction_ids\": [{}], \"delta\": \"{}\" }}{comma}", ids(b), cents_string(b.delta));
    }
    let _ = writeln!(s, "  ],");
    let _ = writeln!(s, "  \"findings\": [");
    for (k, p) in g.planted.iter().enumerate() {
        let comma = if k + 1 < g.planted.len() { "," } else { "" };
        let _ = writeln!(
            s,
            "    {{ \"kind\": {}, \"transaction_ids\": [{}], \"delta\": \"{}\" }}{comma}",
            q(p.kind),
            ids(p),
            cents_string(p.delta)
        );
    }
    let _ = writeln!(s, "  ]");
    let _ = writeln!(s, "}}");
    out.write_all(s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<csv::StringRecord> {
        let mut r = csv::ReaderBuilder::new().has_headers(true).from_reader(text.as_bytes());
        r.records().map(|x| x.expect("a CSV record")).collect()
    }

    fn cents(s: &str) -> i64 {
        let s = s.trim().replace(['+', ','], "");
        let (neg, body) = s.strip_prefix('-').map_or((false, s.as_str()), |b| (true, b));
        let (w, f) = body.split_once('.').unwrap();
        let v = w.parse::<i64>().unwrap() * 100 + f.parse::<i64>().unwrap();
        if neg {
            -v
        } else {
            v
        }
    }

    #[test]
    fn rows_add_up_except_at_the_planted_breaks() {
        for (n, faults) in [(5_000, 3), (300, 1), (2_000, 0)] {
            let g = generate(n, 7, faults);
            let mut out = Vec::new();
            write_csv(&g, &mut out).unwrap();
            let rows = parse(&String::from_utf8(out).unwrap());
            assert_eq!(rows.len(), n);
            assert!(rows.windows(2).all(|w| w[0][1] < w[1][1]), "strictly oldest first");
            let mut last: std::collections::HashMap<String, i64> = Default::default();
            let mut breaks = Vec::new();
            for r in &rows {
                if &r[4] == "pending_grant" {
                    assert_eq!(&r[6], "");
                    continue;
                }
                let (b, a) = r[6].split_once(" -> ").unwrap();
                let (b, a) = (cents(b), cents(a));
                assert_eq!(a - b, cents(&r[5]), "{}: the row adds up", &r[0]);
                if let Some(prev) = last.insert(r[2].to_string(), a) {
                    if prev != b {
                        breaks.push((r[0].to_string(), b - prev));
                    }
                }
            }
            let planted: Vec<(String, i64)> =
                g.planted.iter().filter(|p| p.kind == "balance_break").map(|p| (p.ids[1].clone(), p.delta)).collect();
            assert_eq!(breaks, planted);
            let count = |k: &str| g.planted.iter().filter(|p| p.kind == k).count();
            assert_eq!(count("balance_break"), faults);
            assert_eq!(count("pending_unsettled"), faults);
            assert_eq!(count("settled_amount_mismatch"), faults);
            assert_eq!(count("pending_overspend"), usize::from(faults > 0));
            // Every settlement names a pending grant before it.
            let pending: std::collections::HashSet<&str> =
                rows.iter().filter(|r| &r[4] == "pending_grant").map(|r| &r[0]).collect();
            assert!(rows.iter().filter(|r| !r[7].is_empty()).all(|r| pending.contains(&r[7])));
            assert!(rows.iter().any(|r| &r[2] == "USD"));
        }
    }
}
