//! Workspace credit usage records (FORMATS.md section 3, `product-docs/001_...`): the
//! Conversations tab and the Credit Adjustments tab as the page exports them, with a sidecar of
//! the totals an import must give.
//!
//! **Conversations** (`Conversation ID, Title, Message Count, Credits, User, Billing Type,
//! Updated At`, newest first): billing type `message` for most rows (0.5-5 credits), `image
//! generation` (8-40), `video generation` now and then (40-250); 1-60 messages; the user one of
//! about 20 addresses, or empty for about 30% of the rows (what a non-admin exporter sees);
//! rows in bursts within the same second; titles with commas and quotes now and then. About 2%
//! of the rows are a later figure of an earlier conversation: the same ID, a later `Updated
//! At`, more credits and messages (Reckon stores it as a revision `ID@<time>` carrying the
//! change). [`Conversations::later`] is a second export taken later: one row per conversation
//! with its latest figure, 5% of them with a newer one still; importing it must add exactly
//! those as revisions.
//!
//! **Credit Adjustments** (`Type, Amount, Detail, Created At`, newest first): every type the
//! page lists; a free workspace grant first, a `Package reset` at the start of every month
//! ("reset to 5,000"), credit expirations negative, and identical rows repeated (two referral
//! rewards in the same second), which must stay two entries.
//!
//! The sidecars ([`write_conversations_totals`], [`write_adjustments_totals`]) state what
//! `reckon summary` must give after the import: per type and per billing type, per
//! conversation (count, credits of the latest figures, and a [`fingerprint`] of every
//! conversation's ID, credits and number of stored entries), so a benchmark can tell a right
//! import from a fast wrong one. Money is integer cents.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use crate::ledger::{self, cents_string, format_cents};
use crate::rng::{mix64, Rng};

/// 2026-01-01 00:00:00 UTC.
const START: i64 = 1_767_225_600;

/// The page's billing types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Billing {
    Message,
    Image,
    Video,
}

impl Billing {
    pub fn name(self) -> &'static str {
        match self {
            Billing::Message => "message",
            Billing::Image => "image generation",
            Billing::Video => "video generation",
        }
    }

    /// Credits of one figure, in cents.
    fn credits(self, rng: &mut Rng) -> i64 {
        match self {
            Billing::Message => rng.range(50, 500),
            Billing::Image => rng.range(800, 4_000),
            Billing::Video => rng.range(4_000, 25_000),
        }
    }
}

/// About 20 people of the workspace.
const USERS: [&str; 20] = [
    "maria@acme.test",
    "dev@acme.test",
    "li.wei@acme.test",
    "sam.okafor@acme.test",
    "ana.pereira@acme.test",
    "tom@acme.test",
    "priya.n@acme.test",
    "jonas.berg@acme.test",
    "design@acme.test",
    "marketing@acme.test",
    "kenji@acme.test",
    "fatima.z@acme.test",
    "lucas.m@acme.test",
    "olga@acme.test",
    "ops@acme.test",
    "noah.k@acme.test",
    "sofia.r@acme.test",
    "support@acme.test",
    "ben.ch@acme.test",
    "emma.l@acme.test",
];

const SUBJECTS: [&str; 16] = [
    "Launch copy",
    "Hero banner",
    "Product teaser",
    "Landing page",
    "Newsletter draft",
    "Q1 plan",
    "Onboarding email",
    "Pricing FAQ",
    "Social posts",
    "Brand voice",
    "Release notes",
    "Ad variations",
    "Blog outline",
    "Support macros",
    "Pitch deck",
    "Storyboard",
];

const TOPICS: [&str; 12] = [
    "spring sale",
    "the new app",
    "team offsite",
    "summer campaign",
    "holiday promo",
    "webinar",
    "partner launch",
    "v2 release",
    "Berlin store",
    "podcast",
    "trade show",
    "investor update",
];

/// One row of the Conversations tab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvRow {
    pub id: String,
    pub title: String,
    pub messages: u32,
    /// Cents, positive.
    pub credits: i64,
    pub user: Option<&'static str>,
    pub billing: Billing,
    /// Updated At, Unix seconds.
    pub ts: i64,
}

/// A Conversations export and the later one.
#[derive(Debug, Clone)]
pub struct Conversations {
    pub seed: u64,
    /// The first export, oldest first (written newest first).
    pub rows: Vec<ConvRow>,
    /// The later export: one row per conversation with its latest figure, oldest first.
    pub later: Vec<ConvRow>,
    /// The conversations whose figure the later export moves on, in the order of `later`.
    pub changed: Vec<String>,
}

/// The text of a title: a subject, a topic, and now and then a comma or quotes.
fn title(rng: &mut Rng) -> String {
    let subject = rng.pick(&SUBJECTS);
    let topic = rng.pick(&TOPICS);
    match rng.below(100) {
        0..=5 => format!("{subject} for {topic}, draft {}", rng.range(2, 9)),
        6..=9 => format!("\"{subject}\" for {topic}"),
        10..=11 => format!("{subject}, {topic} (\"final\", v{})", rng.range(2, 5)),
        _ => format!("{subject} for {topic}"),
    }
}

/// Generates a Conversations export of exactly `rows` rows and its later export.
pub fn conversations(rows: usize, seed: u64) -> Conversations {
    let mut rng = Rng::derive(seed, 0x5743_4f4e); // "WCON"
    let id_key = mix64(seed ^ 0x636f_6e76);
    let mut out: Vec<ConvRow> = Vec::with_capacity(rows);
    // Per conversation, the index of its latest row in `out`.
    let mut latest: Vec<usize> = Vec::new();
    let mut ts = START;
    for i in 0..rows {
        if i > 0 && !rng.chance(120) {
            ts += rng.range(1, 90);
        }
        // About 2%: a later figure of one of the recent conversations (strictly later).
        if latest.len() > 16 && rng.chance(20) {
            let back = rng.below(latest.len().min(5_000) as u64) as usize + 1;
            let k = latest.len() - back;
            let prev = &out[latest[k]];
            if prev.ts < ts {
                let mut next = prev.clone();
                next.credits += next.billing.credits(&mut rng);
                next.messages += rng.range(1, 12) as u32;
                next.ts = ts;
                latest[k] = out.len();
                out.push(next);
                continue;
            }
        }
        let billing = match rng.below(1_000) {
            0..=19 => Billing::Video,
            20..=149 => Billing::Image,
            _ => Billing::Message,
        };
        let user = (!rng.chance(300)).then(|| *rng.pick(&USERS));
        let n = latest.len() as u64;
        latest.push(out.len());
        out.push(ConvRow {
            id: format!("cv_{:016x}", mix64(id_key.wrapping_add(n))),
            title: title(&mut rng),
            messages: rng.range(1, 60) as u32,
            credits: billing.credits(&mut rng),
            user,
            billing,
            ts,
        });
    }
    // The later export: every conversation's latest figure, 5% moved on to a newer one, taken
    // up to a week after the first export ends.
    let end = out.last().map_or(START, |r| r.ts);
    let mut later: Vec<ConvRow> = Vec::with_capacity(latest.len());
    let mut changed = Vec::new();
    let mut rng = Rng::derive(seed, 0x4c41_5445); // "LATE"
    for &i in &latest {
        let mut r = out[i].clone();
        if rng.chance(50) {
            r.credits += r.billing.credits(&mut rng);
            r.messages += rng.range(1, 12) as u32;
            r.ts = end + rng.range(60, 7 * 86_400);
            changed.push(r.id.clone());
        }
        later.push(r);
    }
    later.sort_by_key(|r| r.ts);
    let order: BTreeMap<&str, usize> = later.iter().enumerate().map(|(k, r)| (r.id.as_str(), k)).collect();
    changed.sort_by_key(|id| order[id.as_str()]);
    Conversations { seed, rows: out, later, changed }
}

fn push_time(s: &mut String, ts: i64) {
    let (y, m, d) = ledger::civil_from_days(ts.div_euclid(86_400));
    let t = ts.rem_euclid(86_400);
    let _ = write!(s, "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
}

/// A CSV field, quoted when it holds a comma or a quote.
fn push_field(s: &mut String, text: &str) {
    if text.contains([',', '"', '\n']) {
        let _ = write!(s, "\"{}\"", text.replace('"', "\"\""));
    } else {
        s.push_str(text);
    }
}

/// Credits as the page writes them: `12.5`, `250`, `"1,250.75"`.
fn push_amount(s: &mut String, cents: i64) {
    let mut t = String::new();
    format_cents(&mut t, cents, false, true, false, "-");
    if t.contains('.') {
        while t.ends_with('0') {
            t.pop();
        }
    }
    push_field(s, &t);
}

/// Writes Conversations rows (given oldest first) newest first, as the page lists them.
pub fn write_conversations_csv(rows: &[ConvRow], out: &mut dyn Write) -> io::Result<()> {
    let mut s = String::with_capacity(1 << 17);
    s.push_str("Conversation ID,Title,Message Count,Credits,User,Billing Type,Updated At\n");
    for r in rows.iter().rev() {
        s.push_str(&r.id);
        s.push(',');
        push_field(&mut s, &r.title);
        let _ = write!(s, ",{},", r.messages);
        push_amount(&mut s, r.credits);
        s.push(',');
        s.push_str(r.user.unwrap_or(""));
        s.push(',');
        s.push_str(r.billing.name());
        s.push(',');
        push_time(&mut s, r.ts);
        s.push('\n');
        if s.len() > 1 << 16 {
            out.write_all(s.as_bytes())?;
            s.clear();
        }
    }
    out.write_all(s.as_bytes())
}

/// FNV-1a of a text: the ID's part of a [`fingerprint`].
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// One conversation's term of a [`fingerprint`]: its ID, its credits (the latest figure, in
/// cents, positive) and how many entries the store holds for it (1 + its revisions).
pub fn fingerprint_term(id: &str, cents: i64, entries: u64) -> u64 {
    mix64(fnv1a(id) ^ mix64((cents as u64).wrapping_add(entries.wrapping_mul(0x9e37_79b9_7f4a_7c15))))
}

/// The order-free fingerprint of every conversation's (ID, credits, entries): the wrapping sum
/// of their [`fingerprint_term`]s, as 16 hex digits.
pub fn fingerprint<'a>(items: impl IntoIterator<Item = (&'a str, i64, u64)>) -> String {
    let sum = items.into_iter().fold(0u64, |acc, (id, cents, n)| acc.wrapping_add(fingerprint_term(id, cents, n)));
    format!("{sum:016x}")
}

/// What a store that imported `rows` (and nothing else of these conversations) holds: per
/// conversation, its latest figure and its number of entries, by ID.
pub fn conversation_totals<'a>(
    rows: impl IntoIterator<Item = &'a ConvRow>,
) -> BTreeMap<&'a str, (i64, u64, i64, Billing)> {
    // (credits, entries, latest ts, billing)
    let mut by_id: BTreeMap<&str, (i64, u64, i64, Billing)> = BTreeMap::new();
    for r in rows {
        let e = by_id.entry(r.id.as_str()).or_insert((r.credits, 0, i64::MIN, r.billing));
        if r.ts > e.2 {
            // A later figure: one more entry. An equal or older one changes nothing.
            e.0 = r.credits;
            e.1 += 1;
            e.2 = r.ts;
        }
    }
    by_id
}

/// The sidecar of a Conversations file: what `reckon summary` must give after importing it
/// into a fresh database, and, under `after_later`, after importing the later export too.
pub fn write_conversations_totals(c: &Conversations, out: &mut dyn Write) -> io::Result<()> {
    let mut s = String::new();
    let _ = writeln!(s, "{{");
    let _ = writeln!(s, "  \"rows\": {},", c.rows.len());
    let _ = writeln!(s, "  \"seed\": {},", c.seed);
    push_totals(&mut s, &conversation_totals(&c.rows), "  ");
    let _ = writeln!(s, ",");
    let _ = writeln!(s, "  \"later\": {{");
    let _ = writeln!(s, "    \"rows\": {},", c.later.len());
    let _ = writeln!(s, "    \"changed\": {},", c.changed.len());
    let _ = writeln!(s, "    \"after_later\": {{");
    push_totals(&mut s, &conversation_totals(c.rows.iter().chain(&c.later)), "      ");
    let _ = writeln!(s, "\n    }},");
    let q = |t: &str| serde_json::Value::String(t.to_string()).to_string();
    let ids: Vec<String> = c.changed.iter().map(|id| q(id)).collect();
    let _ = writeln!(s, "    \"revised\": [{}]", ids.join(", "));
    let _ = writeln!(s, "  }}");
    let _ = writeln!(s, "}}");
    out.write_all(s.as_bytes())
}

fn push_totals(s: &mut String, totals: &BTreeMap<&str, (i64, u64, i64, Billing)>, pad: &str) {
    let credits: i64 = totals.values().map(|t| t.0).sum();
    let entries: u64 = totals.values().map(|t| t.1).sum();
    let mut by_billing: BTreeMap<&str, (u64, i64)> = BTreeMap::new();
    for t in totals.values() {
        let b = by_billing.entry(t.3.name()).or_default();
        b.0 += t.1;
        b.1 += t.0;
    }
    let _ = writeln!(s, "{pad}\"conversations\": {},", totals.len());
    let _ = writeln!(s, "{pad}\"entries\": {entries},");
    let _ = writeln!(s, "{pad}\"credits\": \"{}\",", cents_string(credits));
    let _ = writeln!(s, "{pad}\"fingerprint\": \"{}\",", fingerprint(totals.iter().map(|(id, t)| (*id, t.0, t.1))));
    let billing: Vec<String> = by_billing
        .iter()
        .map(|(name, (n, c))| format!("\"{name}\": {{ \"entries\": {n}, \"credits\": \"{}\" }}", cents_string(*c)))
        .collect();
    let _ = write!(s, "{pad}\"by_billing_type\": {{ {} }}", billing.join(", "));
}

/// The Credit Adjustments types, as the page writes them.
pub const ADJUSTMENT_TYPES: [&str; 9] = [
    "Free workspace grant",
    "Package reset",
    "Subscription renewal",
    "Subscription switch compensation",
    "Referral signup reward",
    "Referral first paid plan reward",
    "Credit package purchase",
    "Admin adjustment",
    "Credit expiration",
];

/// `Referral signup reward` as Reckon's reference type: `REFERRAL_SIGNUP_REWARD`.
pub fn reference_type(page: &str) -> String {
    page.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join("_").to_uppercase()
}

/// One row of the Credit Adjustments tab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdjRow {
    /// Index into [`ADJUSTMENT_TYPES`].
    pub kind: usize,
    /// Cents, signed (a reset: the balance it sets).
    pub amount: i64,
    pub detail: String,
    pub ts: i64,
}

/// A Credit Adjustments export.
#[derive(Debug, Clone)]
pub struct Adjustments {
    pub seed: u64,
    /// Oldest first (written newest first).
    pub rows: Vec<AdjRow>,
}

/// The first second of the month after the one holding `ts`.
fn next_month(ts: i64) -> i64 {
    let (y, m, _) = ledger::civil_from_days(ts.div_euclid(86_400));
    let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    days_from_civil(y, m, 1) * 86_400
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Generates a Credit Adjustments export of exactly `rows` rows.
pub fn adjustments(rows: usize, seed: u64) -> Adjustments {
    let mut rng = Rng::derive(seed, 0x5741_444a); // "WADJ"
    let mut out: Vec<AdjRow> = Vec::with_capacity(rows);
    let mut ts = START;
    // The workspace takes the Pro package an hour after its free grant; then every month.
    let mut reset_due = START + 3_600;
    let reset = |ts: i64| {
        let (_, m, _) = ledger::civil_from_days(ts.div_euclid(86_400));
        AdjRow {
            kind: 1,
            amount: 500_000,
            detail: format!("Pro monthly, {}: reset to 5,000", MONTHS[m as usize - 1]),
            ts,
        }
    };
    if rows > 0 {
        out.push(AdjRow { kind: 0, amount: 50_000, detail: "Free plan".into(), ts: START });
    }
    while out.len() < rows {
        if ts >= reset_due {
            out.push(reset(reset_due));
            reset_due = next_month(reset_due);
            continue;
        }
        let row = match rng.below(1_000) {
            0..=19 => {
                AdjRow { kind: 2, amount: 100_000, detail: format!("Pro plan, billing cycle {}", rng.range(2, 24)), ts }
            }
            20..=29 => AdjRow {
                kind: 3,
                amount: rng.range(10, 500) * 100,
                detail: "Compensation for switching from Starter to Pro".into(),
                ts,
            },
            30..=179 => AdjRow { kind: 4, amount: 10_000, detail: "Referral signup".into(), ts },
            180..=229 => AdjRow { kind: 5, amount: 50_000, detail: "Referral first paid plan".into(), ts },
            230..=479 => {
                let credits = *rng.pick(&[1_000i64, 2_500, 5_000, 10_000, 25_000]);
                let mut detail = String::from("Credit pack: ");
                format_cents(&mut detail, credits * 100, false, true, false, "-");
                detail.push_str(" credits");
                AdjRow { kind: 6, amount: credits * 100, detail, ts }
            }
            480..=579 => {
                let mut amount = rng.range(1, 50_000);
                if rng.chance(400) {
                    amount = -amount;
                }
                let detail = *rng.pick(&[
                    "Support: failed render refunded",
                    "Correction, duplicate charge",
                    "Goodwill credit, \"outage\" on the 3rd",
                    "Manual correction",
                ]);
                AdjRow { kind: 7, amount, detail: detail.into(), ts }
            }
            _ => {
                let (_, m, _) = ledger::civil_from_days(ts.div_euclid(86_400));
                let detail = format!("Unused {} credits expired", MONTHS[(m as usize + 10) % 12]);
                AdjRow { kind: 8, amount: -rng.range(100, 200_000), detail, ts }
            }
        };
        // Two referral rewards in the same second: identical rows, two entries.
        let twice = row.kind == 4 && rng.chance(150) && out.len() + 1 < rows;
        if twice {
            out.push(row.clone());
        }
        out.push(row);
        if !rng.chance(80) {
            ts += rng.range(1, 120);
        }
    }
    out.truncate(rows);
    Adjustments { seed, rows: out }
}

/// Writes the Credit Adjustments rows newest first, as the page lists them.
pub fn write_adjustments_csv(a: &Adjustments, out: &mut dyn Write) -> io::Result<()> {
    let mut s = String::with_capacity(1 << 17);
    s.push_str("Type,Amount,Detail,Created At\n");
    for r in a.rows.iter().rev() {
        s.push_str(ADJUSTMENT_TYPES[r.kind]);
        s.push(',');
        push_amount(&mut s, r.amount);
        s.push(',');
        push_field(&mut s, &r.detail);
        s.push(',');
        push_time(&mut s, r.ts);
        s.push('\n');
        if s.len() > 1 << 16 {
            out.write_all(s.as_bytes())?;
            s.clear();
        }
    }
    out.write_all(s.as_bytes())
}

/// Per reference type: (entries, credits in, credits out), cents, credits out positive.
pub fn adjustment_totals(a: &Adjustments) -> BTreeMap<String, (u64, i64, i64)> {
    let mut by: BTreeMap<String, (u64, i64, i64)> = BTreeMap::new();
    for r in &a.rows {
        let t = by.entry(reference_type(ADJUSTMENT_TYPES[r.kind])).or_default();
        t.0 += 1;
        if r.amount >= 0 {
            t.1 += r.amount;
        } else {
            t.2 -= r.amount;
        }
    }
    by
}

/// The balance after the last row: the last reset's amount plus every row after it.
pub fn adjustments_balance(a: &Adjustments) -> i64 {
    a.rows.iter().fold(0, |b, r| if r.kind == 1 { r.amount } else { b + r.amount })
}

/// The sidecar of a Credit Adjustments file: per type what `reckon summary --by type` must
/// give, the package resets (each a reset anchor), the identical rows and the final balance.
pub fn write_adjustments_totals(a: &Adjustments, out: &mut dyn Write) -> io::Result<()> {
    let mut s = String::new();
    let resets = a.rows.iter().filter(|r| r.kind == 1).count();
    let repeats = a.rows.windows(2).filter(|w| w[0] == w[1]).count();
    let _ = writeln!(s, "{{");
    let _ = writeln!(s, "  \"rows\": {},", a.rows.len());
    let _ = writeln!(s, "  \"seed\": {},", a.seed);
    let _ = writeln!(s, "  \"package_resets\": {resets},");
    let _ = writeln!(s, "  \"identical_repeats\": {repeats},");
    let _ = writeln!(s, "  \"final_balance\": \"{}\",", cents_string(adjustments_balance(a)));
    let types: Vec<String> = adjustment_totals(a)
        .iter()
        .map(|(k, (n, i, o))| {
            format!(
                "    \"{k}\": {{ \"entries\": {n}, \"credits_in\": \"{}\", \"credits_out\": \"{}\" }}",
                cents_string(*i),
                cents_string(*o)
            )
        })
        .collect();
    let _ = writeln!(s, "  \"by_type\": {{\n{}\n  }}", types.join(",\n"));
    let _ = writeln!(s, "}}");
    out.write_all(s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_step_to_the_first() {
        assert_eq!(days_from_civil(2026, 1, 1) * 86_400, START);
        assert_eq!(next_month(START), days_from_civil(2026, 2, 1) * 86_400);
        assert_eq!(next_month(days_from_civil(2026, 12, 31) * 86_400 + 5), days_from_civil(2027, 1, 1) * 86_400);
        assert_eq!(ledger::civil_from_days(days_from_civil(2028, 2, 29)), (2028, 2, 29));
    }

    #[test]
    fn amounts_read_as_the_page_writes_them() {
        let mut s = String::new();
        for c in [1_250, 50, 125_075, -25_000, 100_000] {
            push_amount(&mut s, c);
            s.push('|');
        }
        assert_eq!(s, "12.5|0.5|\"1,250.75\"|-250|\"1,000\"|");
    }
}
