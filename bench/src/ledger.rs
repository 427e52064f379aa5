//! A generator of realistic Reverie credit ledgers, deterministic for a seed.
//!
//! What a generated ledger promises (the unit tests hold it to this):
//! - every one of the 19 types of the reference table appears (given a few thousand entries),
//!   and no other type;
//! - amounts are exact cents, inside each type's normal range; TTS and ASR are free (promo);
//! - the running balance (`Balance after`) never goes negative and is consistent entry to entry,
//!   except at exactly `faults` planted breaks, where it jumps by an unexplained delta;
//!   each break sits between two entries that are each alone in their second, so "the entry
//!   before the gap" and "the entry after it" are unambiguous;
//! - about a quarter of the entries share their second with a neighbour;
//! - every REFUND names an earlier CHAT/IMAGE/VIDEO charge of the same magnitude
//!   ("Refund for txn_..."), and no charge is refunded twice;
//! - no two entries with the same type, amount, description, character and model lie within
//!   [`DUPLICATE_WINDOW_SECS`] of each other (so no accidental `duplicate_charge`);
//! - transaction IDs are `txn_` + 20 base32 characters, unique by construction.
//!
//! The CSV is written newest first with same-second rows shuffled, as the export does.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::rng::{mix64, Rng};

/// Entries closer than this with identical contents would look like a double charge.
pub const DUPLICATE_WINDOW_SECS: i64 = 60;

/// 2025-09-01T00:00:00Z: the ledger starts here and runs for months.
pub const START_TS: i64 = 1_756_684_800;

/// The reference table of the Reverie ledger page, in its order: the engine's own list.
pub const TYPES: [&str; 19] = reckon::import::REVERIE_TYPES;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Purchase,
    SubscriptionGrant,
    DailyLogin,
    StreakBonus,
    LuckyDraw,
    Referral,
    ReferralCommission,
    Chat,
    Image,
    Video,
    Tts,
    Asr,
    PluginCommission,
    CharacterRevenue,
    Redeem,
    Gift,
    Refund,
    AdminGrant,
    Bonus,
}

impl Kind {
    pub const ALL: [Kind; 19] = [
        Kind::Purchase,
        Kind::SubscriptionGrant,
        Kind::DailyLogin,
        Kind::StreakBonus,
        Kind::LuckyDraw,
        Kind::Referral,
        Kind::ReferralCommission,
        Kind::Chat,
        Kind::Image,
        Kind::Video,
        Kind::Tts,
        Kind::Asr,
        Kind::PluginCommission,
        Kind::CharacterRevenue,
        Kind::Redeem,
        Kind::Gift,
        Kind::Refund,
        Kind::AdminGrant,
        Kind::Bonus,
    ];

    pub fn name(self) -> &'static str {
        TYPES[self as usize]
    }

    /// The hledger account on the other side of `assets:credits`.
    fn counter_account(self, amount: i64) -> String {
        let side = if amount < 0 { "expenses" } else { "income" };
        format!("{side}:{}", self.name().to_ascii_lowercase().replace('_', "-"))
    }
}

/// One ledger entry. Money in integer cents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    /// Unix seconds, UTC.
    pub ts: i64,
    pub kind: Kind,
    pub description: String,
    pub amount: i64,
    pub balance_after: i64,
    pub character: Option<String>,
    pub model: Option<String>,
}

/// A planted balance break: between `before` and `after` (chronological neighbours) the balance
/// moved by `delta` cents more than `after`'s amount explains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// Index of `after` in chronological order.
    pub index: usize,
    pub before: String,
    pub after: String,
    pub delta: i64,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub entries: usize,
    pub seed: u64,
    /// Planted balance breaks.
    pub faults: usize,
    /// Decorate descriptions and character names with commas, quotes and non-ASCII text.
    /// (The rendering side of "messy" is [`CsvStyle`].) Amounts, IDs and times do not change.
    pub messy: bool,
}

/// A generated ledger, oldest first.
#[derive(Debug, Clone)]
pub struct Ledger {
    pub config: Config,
    pub entries: Vec<Entry>,
    pub breaks: Vec<Break>,
}

struct ModelPrice {
    name: &'static str,
    lo: i64,
    hi: i64,
}

const CHAT_MODELS: [ModelPrice; 6] = [
    ModelPrice { name: "DeepSeek V3.2", lo: 10, hi: 40 },
    ModelPrice { name: "GPT-5 mini", lo: 15, hi: 50 },
    ModelPrice { name: "Gemini 2.5 Flash", lo: 10, hi: 35 },
    ModelPrice { name: "Claude Sonnet 4.5", lo: 60, hi: 140 },
    ModelPrice { name: "Qwen3 235B", lo: 12, hi: 45 },
    ModelPrice { name: "Llama 4 Maverick", lo: 10, hi: 30 },
];
const IMAGE_MODELS: [ModelPrice; 3] = [
    ModelPrice { name: "Flux 1.1 Pro", lo: 400, hi: 800 },
    ModelPrice { name: "SDXL Lightning", lo: 200, hi: 400 },
    ModelPrice { name: "Seedream 4", lo: 300, hi: 600 },
];
const VIDEO_MODELS: [ModelPrice; 3] = [
    ModelPrice { name: "Kling 2.1", lo: 8_000, hi: 15_000 },
    ModelPrice { name: "Wan 2.2", lo: 5_000, hi: 9_000 },
    ModelPrice { name: "Veo 3 Fast", lo: 10_000, hi: 18_000 },
];
const TTS_MODELS: [&str; 2] = ["Reverie Voice v2", "ElevenLabs Flash v2.5"];
const ASR_MODELS: [&str; 2] = ["Whisper large-v3", "Parakeet TDT 0.6B"];

const CHARACTERS: [&str; 16] = [
    "Aria",
    "Captain Vex",
    "Luna Hart",
    "Professor Quill",
    "Mika",
    "Sable",
    "Orion Blackwood",
    "Nyx",
    "Juniper",
    "Detective Rowe",
    "Ember",
    "Sir Galahad",
    "Yuki",
    "Marlowe",
    "Pip the Bard",
    "Zara Moon",
];
/// The messy spelling of each character above (a bijection, so distinct stays distinct).
const CHARACTERS_MESSY: [&str; 16] = [
    "Aria, the Archivist",
    "Captain \"Vex\" Varga",
    "Luna Hart",
    "Professor Quill, PhD",
    "Mika 美香",
    "Sable",
    "Orion Blackwood",
    "Nyx — Night Oracle",
    "Juniper",
    "Detective Rowe",
    "Ember, \"the Flame\"",
    "Sir Galahad",
    "Yuki 雪",
    "Marlowe",
    "Pip the Bard",
    "Zoë Moon",
];
const PLUGINS: [&str; 6] =
    ["Web Search", "Dice Roller", "Memory Vault", "Image Captioner", "Weather Now", "Tarot Reader"];
const USERS: [&str; 8] =
    ["@kestrel", "@moonpie", "@driftwood", "@nova_k", "@tamsin", "@basilisk", "@ferro", "@quietfox"];
const MESSY_SUFFIXES: [&str; 5] =
    [", regenerated", ", 2 tool calls", ", \"continue\" pressed", ", long context (32k)", ", café scene"];

/// Draw weights (per 10 000) of the entries that are not scheduled (grants, daily logins,
/// streak bonuses) nor forced (a top-up when the balance runs low).
const WEIGHTS: [(Kind, u64); 16] = [
    (Kind::Chat, 6_300),
    (Kind::Image, 1_200),
    (Kind::Video, 60),
    (Kind::Tts, 450),
    (Kind::Asr, 350),
    (Kind::PluginCommission, 500),
    (Kind::CharacterRevenue, 900),
    (Kind::LuckyDraw, 100),
    (Kind::Referral, 5),
    (Kind::ReferralCommission, 10),
    (Kind::Purchase, 2),
    (Kind::Redeem, 5),
    (Kind::Gift, 100),
    (Kind::Refund, 150),
    (Kind::AdminGrant, 5),
    (Kind::Bonus, 10),
];

/// Below this many cents the user tops up now and then.
const LOW_BALANCE: i64 = 50_000;

/// A charge that a later REFUND may name.
#[derive(Debug, Clone)]
struct Refundable {
    id: String,
    ts: i64,
    kind: Kind,
    amount: i64,
    character: Option<String>,
    model: Option<String>,
}

/// Contents of an entry before it gets a balance.
#[derive(Debug, Clone)]
struct Draft {
    kind: Kind,
    description: String,
    amount: i64,
    character: Option<String>,
    model: Option<String>,
    refunds: Option<usize>,
}

const BASE32: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// `txn_` + 20 base32 characters (100 bits): 64 bits a bijection of the index (so unique),
/// 36 bits of noise.
pub fn transaction_id(seed: u64, index: u64, noise: u64) -> String {
    let hi = mix64(index ^ mix64(seed ^ 0x7478_6e5f_6964_7321));
    let lo = noise & ((1 << 36) - 1);
    let mut s = String::with_capacity(24);
    s.push_str("txn_");
    for i in 0..20 {
        // 100 bits = hi (64) then lo (36), five bits at a time.
        let bit = i * 5;
        let v = if bit + 5 <= 64 {
            (hi >> (59 - bit)) & 31
        } else if bit >= 64 {
            (lo >> (36 - (bit - 64) - 5)) & 31
        } else {
            // straddles: 64 - bit bits of hi, the rest of lo.
            let from_hi = 64 - bit;
            let h = hi & ((1 << from_hi) - 1);
            let rest = 5 - from_hi;
            (h << rest) | (lo >> (36 - rest))
        };
        s.push(BASE32[v as usize] as char);
    }
    s
}

fn pick_price(rng: &mut Rng, models: &[ModelPrice]) -> (&'static str, i64) {
    let m = rng.pick(models);
    (m.name, rng.range(m.lo, m.hi))
}

/// Days since 1970-01-01 to (year, month, day): Howard Hinnant's `civil_from_days`.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn month_index(ts: i64) -> i64 {
    let (y, m, _) = civil_from_days(ts.div_euclid(86_400));
    y * 12 + m as i64
}

/// Generates the ledger. Panics if `faults` breaks cannot be placed (a ledger far too short).
pub fn generate(config: &Config) -> Ledger {
    let n = config.entries;
    let mut rng = Rng::derive(config.seed, 1);
    let mut noise = Rng::derive(config.seed, 2);
    let mut deco = Rng::derive(config.seed, 3);

    // 1. Timestamps: months of activity; ~13% of gaps are zero, so ~25% of entries share
    //    their second with a neighbour.
    let span: i64 = 120 * 86_400 + n as i64 * 10;
    let avg_gap = (span / n.max(1) as i64).max(2);
    let mut ts = Vec::with_capacity(n);
    let mut t = START_TS + rng.range(6 * 3600, 10 * 3600);
    for i in 0..n {
        if i > 0 {
            t += if rng.chance(130) { 0 } else { rng.range(1, 2 * avg_gap - 1) };
        }
        ts.push(t);
    }

    // 2. Where the breaks go: spread evenly, each between two entries alone in their second.
    let alone = |i: usize| (i == 0 || ts[i - 1] < ts[i]) && (i + 1 == n || ts[i] < ts[i + 1]);
    let mut break_at = Vec::with_capacity(config.faults);
    for k in 0..config.faults {
        let target = ((k + 1) * n / (config.faults + 1)).max(2);
        let mut i = target;
        let spaced = |i: usize, at: &[usize]| match at.last() {
            Some(&b) => i > b + 2,
            None => true,
        };
        while i + 1 < n && !(alone(i - 1) && alone(i) && spaced(i, &break_at)) {
            i += 1;
        }
        assert!(i + 1 < n, "cannot place {} balance breaks in {} entries", config.faults, n);
        break_at.push(i);
    }

    // 3. Contents and running balance.
    let mut entries: Vec<Entry> = Vec::with_capacity(n);
    let mut breaks = Vec::with_capacity(config.faults);
    let mut balance: i64 = 0;
    let mut last_login_day = i64::MIN;
    let mut streak = 0u32;
    let mut last_grant_month = i64::MIN;
    let mut refundable: Vec<Refundable> = Vec::new();
    let total_weight: u64 = WEIGHTS.iter().map(|w| w.1).sum();
    let mut next_break = 0usize;
    let character = |i: usize, deco_on: bool| -> String {
        if deco_on {
            CHARACTERS_MESSY[i].to_string()
        } else {
            CHARACTERS[i].to_string()
        }
    };

    for (i, &now) in ts.iter().enumerate() {
        let day = now.div_euclid(86_400);
        let month = month_index(now);
        let mut attempt = 0;
        let draft = loop {
            attempt += 1;
            let scheduled = if i == 0 {
                Some(Kind::Purchase)
            } else if month != last_grant_month {
                Some(Kind::SubscriptionGrant)
            } else if day != last_login_day {
                Some(Kind::DailyLogin)
            } else if streak > 0 && streak % 7 == 0 && entries.last().is_some_and(|e| e.kind == Kind::DailyLogin) {
                Some(Kind::StreakBonus)
            } else if balance < LOW_BALANCE && rng.chance(300) {
                Some(Kind::Purchase)
            } else {
                None
            };
            let kind = scheduled.unwrap_or_else(|| {
                let mut r = rng.below(total_weight);
                WEIGHTS
                    .iter()
                    .find(|(_, w)| {
                        if r < *w {
                            true
                        } else {
                            r -= *w;
                            false
                        }
                    })
                    .map(|w| w.0)
                    .unwrap_or(Kind::Chat)
            });
            let d = draft(kind, now, &mut rng, &refundable, config.messy, &character);
            let Some(mut d) = d else { continue };
            if d.amount < 0 && balance + d.amount < 0 {
                // Cannot afford it: the user buys a pack first.
                d = draft(Kind::Purchase, now, &mut rng, &refundable, config.messy, &character)
                    .expect("a purchase can always be drafted");
            }
            if config.messy && d.kind == Kind::Chat && deco.chance(150) {
                let suffix = MESSY_SUFFIXES[deco.below(MESSY_SUFFIXES.len() as u64) as usize];
                d.description.push_str(suffix);
            }
            let clash = entries.iter().rev().take_while(|e| e.ts > now - DUPLICATE_WINDOW_SECS).any(|e| {
                e.kind == d.kind
                    && e.amount == d.amount
                    && e.description == d.description
                    && e.character == d.character
                    && e.model == d.model
            });
            if !clash {
                break d;
            }
            assert!(attempt < 1000, "cannot avoid a duplicate at entry {i}");
        };

        match draft.kind {
            Kind::SubscriptionGrant => last_grant_month = month,
            Kind::DailyLogin => {
                streak = if day == last_login_day + 1 { streak + 1 } else { 1 };
                last_login_day = day;
            }
            _ => {}
        }

        let id = transaction_id(config.seed, i as u64, noise.next_u64());
        balance += draft.amount;
        if next_break < break_at.len() && break_at[next_break] == i {
            let mut delta = rng.range(1, 5_000);
            if rng.chance(500) && balance - delta >= 0 {
                delta = -delta;
            }
            balance += delta;
            breaks.push(Break { index: i, before: entries[i - 1].id.clone(), after: id.clone(), delta });
            next_break += 1;
        }
        debug_assert!(balance >= 0);

        if let Some(r) = draft.refunds {
            refundable.swap_remove(r);
        }
        // Refundable: images (2-8 credits) and the dearer chat replies (0.50-1.40), half each, so
        // REFUND magnitudes stay within one order of magnitude (no accidental unusual_amount).
        if (draft.kind == Kind::Image || draft.kind == Kind::Chat && draft.amount <= -50) && draft.amount < 0 {
            refundable.push(Refundable {
                id: id.clone(),
                ts: now,
                kind: draft.kind,
                amount: draft.amount,
                character: draft.character.clone(),
                model: draft.model.clone(),
            });
            let same = refundable.iter().filter(|r| r.kind == draft.kind).count();
            if same > 32 {
                let oldest = refundable.iter().position(|r| r.kind == draft.kind).expect("counted");
                refundable.remove(oldest);
            }
        }
        entries.push(Entry {
            id,
            ts: now,
            kind: draft.kind,
            description: draft.description,
            amount: draft.amount,
            balance_after: balance,
            character: draft.character,
            model: draft.model,
        });
    }

    Ledger { config: config.clone(), entries, breaks }
}

/// Contents of one entry of `kind` at `now`; `None` when that kind cannot happen now (a refund
/// with nothing to refund).
fn draft(
    kind: Kind,
    now: i64,
    rng: &mut Rng,
    refundable: &[Refundable],
    messy: bool,
    character: &dyn Fn(usize, bool) -> String,
) -> Option<Draft> {
    let mut d = Draft { kind, description: String::new(), amount: 0, character: None, model: None, refunds: None };
    let some_character = |rng: &mut Rng| character(rng.below(CHARACTERS.len() as u64) as usize, messy);
    match kind {
        Kind::Purchase => {
            let pack = *rng.pick(&[500i64, 1_000, 1_000, 2_000, 2_000, 5_000]);
            d.amount = pack * 100;
            d.description = if messy && pack >= 1_000 {
                format!("{},{:03} credit pack", pack / 1_000, pack % 1_000)
            } else {
                format!("{pack} credit pack")
            };
        }
        Kind::SubscriptionGrant => {
            d.amount = 300_000;
            d.description = "Pro plan monthly grant".into();
        }
        Kind::DailyLogin => {
            d.amount = 1_000;
            d.description = "Daily login reward".into();
        }
        Kind::StreakBonus => {
            d.amount = 5_000;
            d.description = "7-day streak bonus".into();
        }
        Kind::LuckyDraw => {
            d.amount = rng.range(5, 50) * 100;
            d.description = "Lucky draw card flip".into();
        }
        Kind::Referral => {
            d.amount = 20_000;
            d.description = format!("Referral reward: {} signed up", rng.pick(&USERS));
        }
        Kind::ReferralCommission => {
            d.amount = *rng.pick(&[5_000i64, 10_000, 20_000, 50_000]);
            d.description = format!("10% commission on {}'s purchase", rng.pick(&USERS));
        }
        Kind::Chat => {
            let (model, price) = pick_price(rng, &CHAT_MODELS);
            d.amount = -price;
            d.description = format!("{model} reply");
            d.model = Some(model.into());
            d.character = Some(some_character(rng));
        }
        Kind::Image => {
            let (model, price) = pick_price(rng, &IMAGE_MODELS);
            d.amount = -price;
            d.description = format!("{model} image, {}", rng.pick(&["1024x1024", "832x1216", "1216x832"]));
            d.model = Some(model.into());
            d.character = Some(some_character(rng));
        }
        Kind::Video => {
            let (model, price) = pick_price(rng, &VIDEO_MODELS);
            d.amount = -price;
            d.description = format!("Image-to-video, {} s ({model})", rng.pick(&[5, 5, 8, 10]));
            d.model = Some(model.into());
            d.character = Some(some_character(rng));
        }
        Kind::Tts => {
            d.description = format!("Voice synthesis, {} s (free during promo)", rng.range(2, 90));
            d.model = Some((*rng.pick(&TTS_MODELS)).into());
            d.character = Some(some_character(rng));
        }
        Kind::Asr => {
            d.description = format!("Voice transcription, {} s (free during promo)", rng.range(1, 60));
            d.model = Some((*rng.pick(&ASR_MODELS)).into());
        }
        Kind::PluginCommission => {
            d.amount = rng.range(5, 300);
            d.description = format!("Plugin commission: {}", rng.pick(&PLUGINS));
        }
        Kind::CharacterRevenue => {
            d.amount = rng.range(20, 500);
            d.character = Some(some_character(rng));
            d.description = "Creator share of character usage".into();
        }
        Kind::Redeem => {
            d.amount = *rng.pick(&[10_000i64, 20_000, 50_000]);
            let code = rng.next_u64();
            d.description = format!(
                "Redeem code RV-{}-{}",
                &transaction_id(code, 0, code)[4..8].to_ascii_uppercase(),
                &transaction_id(code, 1, code)[4..8].to_ascii_uppercase()
            );
        }
        Kind::Gift => {
            let credits = *rng.pick(&[20i64, 50, 100, 200]);
            let who = rng.pick(&USERS);
            if rng.chance(500) {
                d.amount = -credits * 100;
                d.description = format!("Gift to {who}");
            } else {
                d.amount = credits * 100;
                d.description = format!("Gift from {who}");
            }
        }
        Kind::Refund => {
            // Only a charge from an earlier second, so the refund is unambiguously later.
            // Half images, half chat replies, so the type's magnitudes stay homogeneous.
            let want = if rng.chance(500) { Kind::Image } else { Kind::Chat };
            // Within two days: support refunds quickly (and a matcher may look back only a week).
            let ok = |r: &Refundable| r.ts < now && r.ts >= now - 2 * 86_400 && r.kind == want;
            let candidates = refundable.iter().filter(|r| ok(r)).count();
            if candidates == 0 {
                return None;
            }
            let nth = rng.below(candidates as u64) as usize;
            let (idx, r) = refundable.iter().enumerate().filter(|(_, r)| ok(r)).nth(nth)?;
            d.amount = -r.amount;
            d.description = match r.kind {
                Kind::Image => format!("Refund for {} (broken image)", r.id),
                Kind::Video => format!("Refund for {} (generation failed)", r.id),
                _ => format!("Refund for {} (no reply generated)", r.id),
            };
            d.character = r.character.clone();
            d.model = r.model.clone();
            d.refunds = Some(idx);
        }
        Kind::AdminGrant => {
            d.amount = *rng.pick(&[5_000i64, 10_000, 20_000]);
            d.description = format!("Support goodwill grant (ticket #{})", rng.range(10_000, 99_999));
        }
        Kind::Bonus => {
            d.amount = *rng.pick(&[2_000i64, 5_000, 10_000]);
            d.description =
                (*rng.pick(&["Launch week promotional bonus", "Holiday event bonus", "Beta tester thank-you bonus"]))
                    .into();
        }
    }
    Some(d)
}

/// How the CSV looks. Does not change what it says.
#[derive(Debug, Clone, Copy, Default)]
pub struct CsvStyle {
    /// CRLF, a BOM, all descriptions quoted, `+1,000.00` thousands separators, U+2212 minus on
    /// some amounts, some dates with a `-05:00` offset or as `YYYY-MM-DD HH:MM:SS`.
    pub messy: bool,
}

/// `cents` as a decimal: `sign` forces a leading `+` on non-negative values, `thousands` adds
/// `,` separators, `fixed` always writes two decimals (else whole amounts have none).
pub fn format_cents(out: &mut String, cents: i64, sign: bool, thousands: bool, fixed: bool, minus: &str) {
    let neg = cents < 0;
    let abs = cents.unsigned_abs();
    let (whole, frac) = (abs / 100, abs % 100);
    if neg {
        out.push_str(minus);
    } else if sign && cents != 0 {
        out.push('+');
    }
    let digits = whole.to_string();
    if thousands {
        for (k, ch) in digits.chars().enumerate() {
            if k > 0 && (digits.len() - k) % 3 == 0 {
                out.push(',');
            }
            out.push(ch);
        }
    } else {
        out.push_str(&digits);
    }
    if fixed || frac != 0 {
        let _ = write!(out, ".{frac:02}");
    }
}

pub fn cents_string(cents: i64) -> String {
    let mut s = String::new();
    format_cents(&mut s, cents, false, false, true, "-");
    s
}

/// `YYYY-MM-DDTHH:MM:SS` of a unix time shifted by `offset_secs`.
fn push_datetime(out: &mut String, ts: i64, offset_secs: i64, sep: char) {
    let local = ts + offset_secs;
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    let s = local.rem_euclid(86_400);
    let _ = write!(out, "{y:04}-{m:02}-{d:02}{sep}{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
}

fn push_field(out: &mut String, value: &str, force_quotes: bool) {
    if force_quotes || value.contains([',', '"', '\n', '\r']) || value.starts_with(' ') || value.ends_with(' ') {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// The chronological indexes in export order: newest first, same-second rows shuffled.
pub fn export_order(ledger: &Ledger) -> Vec<usize> {
    let mut order: Vec<usize> = (0..ledger.entries.len()).rev().collect();
    let mut rng = Rng::derive(ledger.config.seed, 4);
    let mut start = 0;
    while start < order.len() {
        let ts = ledger.entries[order[start]].ts;
        let mut end = start + 1;
        while end < order.len() && ledger.entries[order[end]].ts == ts {
            end += 1;
        }
        rng.shuffle(&mut order[start..end]);
        start = end;
    }
    order
}

/// Writes the Reverie "Export -> CSV" of the ledger.
pub fn write_csv(ledger: &Ledger, style: CsvStyle, out: &mut dyn Write) -> io::Result<()> {
    let eol = if style.messy { "\r\n" } else { "\n" };
    let mut rng = Rng::derive(ledger.config.seed, 5);
    let mut line = String::with_capacity(256);
    if style.messy {
        line.push('\u{feff}');
        line.push_str("Transaction ID,Date,Type,Description,Amount,Balance After,Character,Model");
    } else {
        line.push_str("Transaction ID,Date,Type,Description,Amount,Balance after,Character,Model");
    }
    line.push_str(eol);
    out.write_all(line.as_bytes())?;
    for i in export_order(ledger) {
        let e = &ledger.entries[i];
        line.clear();
        line.push_str(&e.id);
        line.push(',');
        if style.messy {
            match rng.below(100) {
                0..=9 => {
                    push_datetime(&mut line, e.ts, -5 * 3600, 'T');
                    line.push_str("-05:00");
                }
                10..=14 => push_datetime(&mut line, e.ts, 0, ' '),
                _ => {
                    push_datetime(&mut line, e.ts, 0, 'T');
                    line.push('Z');
                }
            }
        } else {
            push_datetime(&mut line, e.ts, 0, 'T');
            line.push('Z');
        }
        line.push(',');
        line.push_str(e.kind.name());
        line.push(',');
        push_field(&mut line, &e.description, style.messy);
        line.push(',');
        let mut amount = String::new();
        if style.messy {
            let minus = if rng.chance(200) { "\u{2212}" } else { "-" };
            format_cents(&mut amount, e.amount, true, true, true, minus);
        } else {
            format_cents(&mut amount, e.amount, true, false, false, "-");
        }
        push_field(&mut line, &amount, false);
        line.push(',');
        let mut bal = String::new();
        format_cents(&mut bal, e.balance_after, false, style.messy, true, "-");
        push_field(&mut line, &bal, false);
        line.push(',');
        push_field(&mut line, e.character.as_deref().unwrap_or(""), false);
        line.push(',');
        push_field(&mut line, e.model.as_deref().unwrap_or(""), false);
        line.push_str(eol);
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// Writes the same ledger as an hledger journal (1.25 syntax), oldest first, one transaction per
/// entry, each with a balance assertion on `assets:credits`. `hledger check` stops at the first
/// planted break.
pub fn write_journal(ledger: &Ledger, out: &mut dyn Write) -> io::Result<()> {
    let c = &ledger.config;
    writeln!(
        out,
        "; Reverie credit ledger generated by reckon-gen --entries {} --seed {} --faults {}{}\n\
         ; one transaction per entry, oldest first; the (code) is the transaction ID\n\
         commodity 1000.00 C\n",
        c.entries,
        c.seed,
        c.faults,
        if c.messy { " --messy" } else { "" }
    )?;
    let mut buf = String::with_capacity(512);
    for e in &ledger.entries {
        buf.clear();
        push_datetime(&mut buf, e.ts, 0, 'T');
        let (date, time) = buf.split_at(10);
        let (date, time) = (date.to_string(), time[1..].to_string());
        buf.clear();
        // A description ends at ';' in a journal: keep it out.
        let desc = e.description.replace(';', ",");
        let _ = write!(buf, "{date} * ({}) {desc}  ; type:{}, time:{time}", e.id, e.kind.name());
        if let Some(ch) = &e.character {
            let _ = write!(buf, ", character:{}", ch.replace([',', ';'], " "));
        }
        if let Some(m) = &e.model {
            let _ = write!(buf, ", model:{}", m.replace([',', ';'], " "));
        }
        buf.push_str("\n    assets:credits  ");
        format_cents(&mut buf, e.amount, false, false, true, "-");
        buf.push_str(" C = ");
        format_cents(&mut buf, e.balance_after, false, false, true, "-");
        buf.push_str(" C\n    ");
        buf.push_str(&e.kind.counter_account(e.amount));
        buf.push_str("\n\n");
        out.write_all(buf.as_bytes())?;
    }
    Ok(())
}

fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// The sidecar naming the planted faults, so a benchmark can verify what `reckon check` found.
pub fn write_faults_json(ledger: &Ledger, out: &mut dyn Write) -> io::Result<()> {
    let c = &ledger.config;
    let mut counts = [0usize; 19];
    for e in &ledger.entries {
        counts[e.kind as usize] += 1;
    }
    let mut s = String::new();
    let _ = writeln!(s, "{{");
    let _ = writeln!(s, "  \"entries\": {},", c.entries);
    let _ = writeln!(s, "  \"seed\": {},", c.seed);
    let _ = writeln!(s, "  \"messy\": {},", c.messy);
    let first = ledger.entries.first();
    let last = ledger.entries.last();
    let _ = writeln!(s, "  \"first\": {},", first.map_or("null".into(), |e| json_str(&e.id)));
    let _ = writeln!(s, "  \"last\": {},", last.map_or("null".into(), |e| json_str(&e.id)));
    let _ = writeln!(s, "  \"final_balance\": \"{}\",", cents_string(last.map_or(0, |e| e.balance_after)));
    let _ = writeln!(s, "  \"types\": {{");
    for (k, name) in TYPES.iter().enumerate() {
        let _ = writeln!(s, "    \"{name}\": {}{}", counts[k], if k + 1 < TYPES.len() { "," } else { "" });
    }
    let _ = writeln!(s, "  }},");
    let _ = writeln!(s, "  \"balance_breaks\": [");
    for (k, b) in ledger.breaks.iter().enumerate() {
        let _ = writeln!(
            s,
            "    {{ \"transaction_ids\": [{}, {}], \"delta\": \"{}\", \"index\": {} }}{}",
            json_str(&b.before),
            json_str(&b.after),
            cents_string(b.delta),
            b.index,
            if k + 1 < ledger.breaks.len() { "," } else { "" }
        );
    }
    let _ = writeln!(s, "  ]");
    let _ = writeln!(s, "}}");
    out.write_all(s.as_bytes())
}

#[cfg(test)]
mod tests;
