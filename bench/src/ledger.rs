//! A generator of realistic Reverie credit ledgers, deterministic for a seed.
//!
//! The shapes come from Reverie's ledger page (`product-docs/000_...`: "Credit ledger"), not
//! from what any rule of Reckon finds easy: the wins of a prize table are rare but real, prices
//! differ by model, and refunds of a video are as large as videos.
//!
//! What a generated ledger promises (the unit tests hold it to this):
//! - every one of the 19 types of the reference table appears (given a few thousand entries),
//!   and no other type, unless [`Config::noisy_types`] asks for about 1% `TIP` entries (a type
//!   the reference table does not have);
//! - amounts are exact cents and come from each type's own table or price model:
//!   - credits: LUCKY_DRAW from a prize table (1, 2, 5, 10, 25, 50, rarely 100); DAILY_LOGIN a
//!     small fixed amount by day of the login calendar; STREAK_BONUS a fixed amount at 7, 14 and
//!     30 days (and their multiples); BONUS mostly 2 with some 10, 25, 50; REDEEM codes of 5,
//!     10, 25, 50, 100; REFERRAL fixed; REFERRAL_COMMISSION 10% of a referee's pack (so varied,
//!     now and then large); PURCHASE packs of 100, 300, 500, 1,000, 5,000, rarely 20,000;
//!     SUBSCRIPTION_GRANT fixed per plan (the plan changes now and then); GIFT and ADMIN_GRANT
//!     varied; PLUGIN_COMMISSION a small fixed share per tool call; CHARACTER_REVENUE a tenth
//!     of someone's chat, image or video;
//!   - charges: CHAT from token counts (written in the description) and the model's prices,
//!     bounded by the model's context and output limits (a mini model about 0.05-0.8, a large
//!     one about 0.4-3, a long-context reply on a large model up to about 12); IMAGE a fixed
//!     price per model and resolution; VIDEO a fixed price per model and duration (5, 8, 10 s;
//!     40-200); TTS and ASR free until [`PROMO_END`], then a small price per second;
//! - the running balance (`Balance after`) never goes negative and is consistent entry to entry,
//!   except at exactly `faults` planted breaks, where it jumps by an unexplained delta;
//!   each break sits between two entries that are each alone in their second, so "the entry
//!   before the gap" and "the entry after it" are unambiguous;
//! - entries come in sessions (a chat writing several replies seconds apart or in the same
//!   second, a plugin's tool calls in a burst); about a quarter of the entries share their
//!   second with a neighbour;
//! - every REFUND names an earlier CHAT/IMAGE/VIDEO charge of the same magnitude within two days
//!   ("Refund for txn_... (no reply generated)", "(Image generation failure)", "(video
//!   generation failed)"), and no charge is refunded twice;
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

/// 2025-11-15T00:00:00Z: TTS and ASR are free before it ("currently free during promo") and
/// priced per second from it.
pub const PROMO_END: i64 = START_TS + 75 * 86_400;

/// The reference table of the Reverie ledger page, in its order: the engine's own list.
pub const TYPES: [&str; 19] = reckon::import::REVERIE_TYPES;

/// The type [`Config::noisy_types`] adds: not on the reference table, so an `unknown_type`.
pub const NOISY_TYPE: &str = "TIP";

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
    /// Not a Reverie type: only in a ledger made with [`Config::noisy_types`].
    Tip,
}

impl Kind {
    /// The 19 types of the reference table (not [`Kind::Tip`]).
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
        match self {
            Kind::Tip => NOISY_TYPE,
            k => TYPES[k as usize],
        }
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
    /// A chat reply's (input, output) tokens, which set its price; the description names only
    /// the output, as a ledger line does ("DeepSeek V3.2 reply, 412 tokens"), so descriptions
    /// repeat as they do in a real export instead of being one of a kind each.
    pub tokens: Option<(i64, i64)>,
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

#[derive(Debug, Clone, Default)]
pub struct Config {
    pub entries: usize,
    pub seed: u64,
    /// Planted balance breaks (0: a clean ledger).
    pub faults: usize,
    /// Decorate descriptions and character names with commas, quotes and non-ASCII text.
    /// (The rendering side of "messy" is [`CsvStyle`].) Amounts, IDs and times do not change.
    pub messy: bool,
    /// About 1% of the entries get the type `TIP`, which is not on the reference table: one
    /// `unknown_type` warning each, thousands at 1M, for timing a check with many findings.
    pub noisy_types: bool,
}

/// A generated ledger, oldest first.
#[derive(Debug, Clone)]
pub struct Ledger {
    pub config: Config,
    pub entries: Vec<Entry>,
    pub breaks: Vec<Break>,
}

/// A chat model's prices (cents per million tokens) and limits (tokens).
#[derive(Debug)]
pub struct ChatModel {
    pub name: &'static str,
    pub input_per_m: i64,
    pub output_per_m: i64,
    pub max_context: i64,
    pub max_output: i64,
    /// How often a session picks it (relative).
    pub weight: u64,
}

/// Mini models at about 0.05-0.8 credits a reply, mid ones about 0.1-1.5, large ones about
/// 0.4-3, and a long-context reply on a large one up to about 12.
pub const CHAT_MODELS: [ChatModel; 7] = [
    ChatModel {
        name: "DeepSeek V3.2",
        input_per_m: 1_500,
        output_per_m: 6_000,
        max_context: 64_000,
        max_output: 4_096,
        weight: 25,
    },
    ChatModel {
        name: "GPT-5 mini",
        input_per_m: 2_000,
        output_per_m: 8_000,
        max_context: 32_000,
        max_output: 2_048,
        weight: 20,
    },
    ChatModel {
        name: "Gemini 2.5 Flash",
        input_per_m: 1_500,
        output_per_m: 6_000,
        max_context: 32_000,
        max_output: 2_048,
        weight: 15,
    },
    ChatModel {
        name: "Llama 4 Maverick",
        input_per_m: 1_000,
        output_per_m: 4_000,
        max_context: 32_000,
        max_output: 2_048,
        weight: 10,
    },
    ChatModel {
        name: "Qwen3 235B",
        input_per_m: 4_000,
        output_per_m: 16_000,
        max_context: 32_000,
        max_output: 4_096,
        weight: 10,
    },
    ChatModel {
        name: "Claude Sonnet 4.5",
        input_per_m: 15_000,
        output_per_m: 60_000,
        max_context: 64_000,
        max_output: 4_096,
        weight: 12,
    },
    ChatModel {
        name: "GPT-5",
        input_per_m: 12_500,
        output_per_m: 50_000,
        max_context: 64_000,
        max_output: 4_096,
        weight: 8,
    },
];

/// The context a session carries beyond this is trimmed (a long-context reply is not).
const CONTEXT_BUDGET: i64 = 16_000;

/// Image models: a fixed price per resolution (cents), the first the usual one.
pub const IMAGE_MODELS: [(&str, [(&str, i64); 3]); 3] = [
    ("Flux 1.1 Pro", [("1024x1024", 400), ("832x1216", 500), ("1216x832", 500)]),
    ("SDXL Lightning", [("1024x1024", 150), ("832x1216", 200), ("1216x832", 200)]),
    ("Seedream 4", [("1024x1024", 300), ("2048x2048", 800), ("1440x2560", 800)]),
];

/// Video models (image-to-video): a fixed price per duration in seconds (cents).
pub const VIDEO_MODELS: [(&str, &[(i64, i64)]); 3] = [
    ("Wan 2.2", &[(5, 4_000), (8, 6_400), (10, 8_000)]),
    ("Kling 2.1", &[(5, 7_000), (10, 14_000)]),
    ("Veo 3 Fast", &[(8, 20_000)]),
];
const TTS_MODELS: [&str; 2] = ["Reverie Voice v2", "ElevenLabs Flash v2.5"];
const ASR_MODELS: [&str; 2] = ["Whisper large-v3", "Parakeet TDT 0.6B"];

/// A prize or denomination table: (cents, weight per 10 000).
type Table = [(i64, u64)];

pub const LUCKY_DRAW_PRIZES: [(i64, u64); 7] =
    [(100, 4_995), (200, 2_500), (500, 1_500), (1_000, 700), (2_500, 250), (5_000, 50), (10_000, 5)];
/// DAILY_LOGIN by day of the streak's week (the login calendar).
pub const LOGIN_CALENDAR: [i64; 7] = [500, 500, 500, 1_000, 500, 500, 1_500];
pub const BONUSES: [(i64, u64); 4] = [(200, 8_500), (1_000, 1_000), (2_500, 400), (5_000, 100)];
pub const REDEEM_CODES: [(i64, u64); 5] = [(500, 3_000), (1_000, 3_000), (2_500, 2_000), (5_000, 1_500), (10_000, 500)];
/// Credit packs; the same table for the user's purchases and a referee's.
pub const PACKS: [(i64, u64); 6] =
    [(10_000, 2_000), (30_000, 2_500), (50_000, 2_500), (100_000, 2_000), (500_000, 950), (2_000_000, 50)];
pub const REFERRAL_REWARD: i64 = 5_000;
/// Plans and their monthly grant.
pub const PLANS: [(&str, i64); 3] = [("Basic", 100_000), ("Pro", 300_000), ("Max", 1_000_000)];
/// (plugin, tool, commission per call in cents).
pub const PLUGIN_TOOLS: [(&str, &str, i64); 9] = [
    ("Web Search", "search", 5),
    ("Web Search", "fetch_page", 3),
    ("Dice Roller", "roll", 1),
    ("Memory Vault", "recall", 2),
    ("Memory Vault", "store", 1),
    ("Image Captioner", "caption", 10),
    ("Weather Now", "forecast", 2),
    ("Tarot Reader", "draw", 5),
    ("Tarot Reader", "spread", 15),
];

fn from_table(rng: &mut Rng, table: &Table) -> i64 {
    let total: u64 = table.iter().map(|t| t.1).sum();
    let mut r = rng.below(total);
    for &(v, w) in table {
        if r < w {
            return v;
        }
        r -= w;
    }
    table[table.len() - 1].0
}

/// "1,000" for 100000 cents of whole credits.
fn whole_credits(cents: i64) -> String {
    let mut s = String::new();
    format_cents(&mut s, cents, false, true, false, "-");
    s
}

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
const USERS: [&str; 8] =
    ["@kestrel", "@moonpie", "@driftwood", "@nova_k", "@tamsin", "@basilisk", "@ferro", "@quietfox"];
const MESSY_SUFFIXES: [&str; 5] =
    [", regenerated", ", 2 tool calls", ", \"continue\" pressed", ", long context (32k)", ", café scene"];

/// Draw weights (per 10 000) of the entries that are not scheduled (grants, daily logins,
/// streak bonuses), not forced (a top-up when the balance runs low) and do not continue the
/// session's chat or burst of tool calls.
const WEIGHTS: [(Kind, u64); 16] = [
    (Kind::Chat, 5_600),
    (Kind::Image, 1_400),
    (Kind::Video, 80),
    (Kind::Tts, 450),
    (Kind::Asr, 350),
    (Kind::PluginCommission, 400),
    (Kind::CharacterRevenue, 900),
    (Kind::LuckyDraw, 100),
    (Kind::Referral, 8),
    (Kind::ReferralCommission, 15),
    (Kind::Purchase, 2),
    (Kind::Redeem, 10),
    (Kind::Gift, 100),
    (Kind::Refund, 250),
    (Kind::AdminGrant, 8),
    (Kind::Bonus, 20),
];

/// Per mille: the next entry of a session goes on with its chat, or its burst of tool calls.
const CHAT_GOES_ON: u64 = 650;
const TOOL_CALLS_GO_ON: u64 = 700;
/// Per mille of a session's gaps that are zero (same second).
const SAME_SECOND: u64 = 170;
/// Per mille: a session starts at the next entry (so sessions average five entries).
const NEW_SESSION: u64 = 200;
/// Per mille of days the user claims the daily login (a missed day ends the streak).
const CLAIMS_LOGIN: u64 = 960;

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
    tokens: Option<(i64, i64)>,
}

/// What the entries of one session share: the character, the chat model and its growing
/// context, the plugin tool being called.
#[derive(Debug)]
struct Session {
    character: usize,
    chat_model: usize,
    context: i64,
    tool: usize,
}

impl Session {
    fn new(rng: &mut Rng) -> Self {
        let total: u64 = CHAT_MODELS.iter().map(|m| m.weight).sum();
        let mut r = rng.below(total);
        let chat_model = CHAT_MODELS
            .iter()
            .position(|m| {
                if r < m.weight {
                    true
                } else {
                    r -= m.weight;
                    false
                }
            })
            .unwrap_or(0);
        Session {
            character: rng.below(CHARACTERS.len() as u64) as usize,
            chat_model,
            context: rng.range(1_500, 8_000),
            tool: rng.below(PLUGIN_TOOLS.len() as u64) as usize,
        }
    }
}

/// What `draft` needs to know of the ledger so far.
#[derive(Debug)]
struct State {
    messy: bool,
    /// The streak the daily login at `now` would continue or start.
    next_streak: u32,
    /// The streak the latest daily login reached.
    streak: u32,
    plan: usize,
    refundable: Vec<Refundable>,
}

/// A chat reply on `model`: (input tokens, output tokens, cost in cents). A long-context reply
/// reads up to the model's whole context; any other reads the session's `context` (trimmed to
/// [`CONTEXT_BUDGET`]) plus the user's message, and adds its reply to it. Never more than the
/// model's limits.
pub fn chat_reply(rng: &mut Rng, model: &ChatModel, context: &mut i64, long: bool) -> (i64, i64, i64) {
    let (input, output) = if long {
        (rng.range(model.max_context / 2, model.max_context), rng.range(200, model.max_output))
    } else {
        *context = (*context).min(CONTEXT_BUDGET.min(model.max_context) - 1_000);
        let input = *context + rng.range(20, 400);
        let output = if rng.chance(30) { rng.range(700, model.max_output) } else { rng.range(60, 700) };
        *context += rng.range(20, 400) + output;
        (input, output)
    };
    let cost = ((input * model.input_per_m + output * model.output_per_m + 999_999) / 1_000_000).max(1);
    (input, output, cost)
}

fn streak_bonus(streak: u32) -> Option<i64> {
    match streak {
        0 => None,
        s if s % 30 == 0 => Some(10_000),
        s if s % 14 == 0 => Some(5_000),
        s if s % 7 == 0 => Some(2_500),
        _ => None,
    }
}

/// Generates the ledger. Panics if `faults` breaks cannot be placed (a ledger far too short).
pub fn generate(config: &Config) -> Ledger {
    let n = config.entries;
    let mut rng = Rng::derive(config.seed, 1);
    let mut noise = Rng::derive(config.seed, 2);
    let mut deco = Rng::derive(config.seed, 3);

    // 1. Timestamps, in sessions of about five entries: within a session entries are 1-20 s
    //    apart or in the same second (about one gap in six); sessions are spread over months.
    let span: i64 = 120 * 86_400 + n as i64 * 10;
    let sessions = (n as i64 * NEW_SESSION as i64 / 1000).max(1);
    let within = n as i64 * 9;
    let avg_gap = ((span - within) / sessions).max(60);
    let mut ts = Vec::with_capacity(n);
    let mut starts = Vec::with_capacity(n);
    let mut t = START_TS + rng.range(6 * 3600, 10 * 3600);
    for i in 0..n {
        let start = i == 0 || rng.chance(NEW_SESSION);
        if i > 0 {
            t += if start {
                rng.range(30, 2 * avg_gap - 30)
            } else if rng.chance(SAME_SECOND) {
                0
            } else {
                rng.range(1, 20)
            };
        }
        ts.push(t);
        starts.push(start);
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
    let mut login_decided_day = i64::MIN;
    let mut streak = 0u32;
    let mut pending_bonus = false;
    let mut last_grant_month = i64::MIN;
    let mut st = State { messy: config.messy, next_streak: 1, streak: 0, plan: 1, refundable: Vec::new() };
    let total_weight: u64 = WEIGHTS.iter().map(|w| w.1).sum();
    let mut next_break = 0usize;
    let mut session = Session::new(&mut rng);

    for (i, &now) in ts.iter().enumerate() {
        let day = now.div_euclid(86_400);
        let month = month_index(now);
        if starts[i] && i > 0 {
            session = Session::new(&mut rng);
        }
        let previous = if starts[i] { None } else { entries.last().map(|e| e.kind) };
        st.next_streak = if day == last_login_day + 1 { streak + 1 } else { 1 };
        st.streak = streak;
        let mut attempt = 0;
        let draft = loop {
            attempt += 1;
            let scheduled = if i == 0 {
                Some(Kind::Purchase)
            } else if month != last_grant_month {
                if last_grant_month != i64::MIN && rng.chance(150) {
                    // A plan change from this month on.
                    st.plan = (st.plan + 1 + rng.below(PLANS.len() as u64 - 1) as usize) % PLANS.len();
                }
                Some(Kind::SubscriptionGrant)
            } else if day != login_decided_day {
                login_decided_day = day;
                rng.chance(CLAIMS_LOGIN).then_some(Kind::DailyLogin)
            } else if pending_bonus {
                Some(Kind::StreakBonus)
            } else if balance < LOW_BALANCE && rng.chance(300) {
                Some(Kind::Purchase)
            } else {
                None
            };
            let kind = scheduled.unwrap_or_else(|| match previous {
                _ if config.noisy_types && rng.chance(10) => Kind::Tip,
                Some(Kind::Chat) if rng.chance(CHAT_GOES_ON) => Kind::Chat,
                Some(Kind::PluginCommission) if rng.chance(TOOL_CALLS_GO_ON) => Kind::PluginCommission,
                _ => {
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
                        .map_or(Kind::Chat, |w| w.0)
                }
            });
            let d = draft(kind, now, &mut rng, &st, &mut session);
            let Some(mut d) = d else { continue };
            if d.amount < 0 && balance + d.amount < 0 {
                // Cannot afford it: the user buys a pack first.
                d = draft(Kind::Purchase, now, &mut rng, &st, &mut session).expect("a purchase can always be drafted");
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
                streak = st.next_streak;
                last_login_day = day;
                pending_bonus = streak_bonus(streak).is_some();
            }
            Kind::StreakBonus => pending_bonus = false,
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
            st.refundable.swap_remove(r);
        }
        // Any chat reply, image or video can fail and be refunded; the 32 latest of each type
        // are candidates.
        if matches!(draft.kind, Kind::Chat | Kind::Image | Kind::Video) && draft.amount < 0 {
            st.refundable.push(Refundable {
                id: id.clone(),
                ts: now,
                kind: draft.kind,
                amount: draft.amount,
                character: draft.character.clone(),
                model: draft.model.clone(),
            });
            let same = st.refundable.iter().filter(|r| r.kind == draft.kind).count();
            if same > 32 {
                let oldest = st.refundable.iter().position(|r| r.kind == draft.kind).expect("counted");
                st.refundable.remove(oldest);
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
            tokens: draft.tokens,
        });
    }

    Ledger { config: config.clone(), entries, breaks }
}

/// A short code (`RV-XXXX-XXXX`, `call_xxxxx`) from a random number.
fn code(v: u64, len: usize) -> String {
    transaction_id(v, 0, v)[4..4 + len].to_string()
}

/// Contents of one entry of `kind` at `now`; `None` when that kind cannot happen now (a refund
/// with nothing to refund).
fn draft(kind: Kind, now: i64, rng: &mut Rng, st: &State, session: &mut Session) -> Option<Draft> {
    let mut d = Draft {
        kind,
        description: String::new(),
        amount: 0,
        character: None,
        model: None,
        refunds: None,
        tokens: None,
    };
    let messy = st.messy;
    let name = |i: usize| if messy { CHARACTERS_MESSY[i].to_string() } else { CHARACTERS[i].to_string() };
    let session_character = Some(name(session.character));
    match kind {
        Kind::Purchase => {
            let pack = from_table(rng, &PACKS);
            d.amount = pack;
            d.description = if messy {
                format!("{} credit pack", whole_credits(pack))
            } else {
                format!("{} credit pack", pack / 100)
            };
        }
        Kind::SubscriptionGrant => {
            let (plan, grant) = PLANS[st.plan];
            d.amount = grant;
            d.description = format!("{plan} plan monthly grant");
        }
        Kind::DailyLogin => {
            let day = (st.next_streak as usize - 1) % LOGIN_CALENDAR.len();
            d.amount = LOGIN_CALENDAR[day];
            d.description = format!("Daily login reward (day {} of 7)", day + 1);
        }
        Kind::StreakBonus => {
            // Drafted right after the daily login that reached the streak.
            let streak = st.streak;
            d.amount = streak_bonus(streak).unwrap_or(2_500);
            d.description = format!("{streak}-day streak bonus");
        }
        Kind::LuckyDraw => {
            d.amount = from_table(rng, &LUCKY_DRAW_PRIZES);
            d.description = "Lucky draw card flip".into();
        }
        Kind::Referral => {
            d.amount = REFERRAL_REWARD;
            d.description = format!("Referral reward: {} signed up", rng.pick(&USERS));
        }
        Kind::ReferralCommission => {
            // 10% of what the referee's pack credited, promotions included.
            let pack = from_table(rng, &PACKS);
            let credited = pack * *rng.pick(&[100i64, 100, 100, 110, 120, 150]) / 100;
            d.amount = credited / 10;
            d.description =
                format!("10% commission on {}'s {} credit purchase", rng.pick(&USERS), whole_credits(credited));
        }
        Kind::Chat => {
            let model = &CHAT_MODELS[session.chat_model];
            let long = rng.chance(10);
            let (input, output, cost) = chat_reply(rng, model, &mut session.context, long);
            d.amount = -cost;
            d.description =
                format!("{} reply, {output} tokens{}", model.name, if long { " (long context)" } else { "" });
            d.tokens = Some((input, output));
            d.model = Some(model.name.into());
            d.character = session_character;
        }
        Kind::Image => {
            let (model, sizes) = rng.pick(&IMAGE_MODELS);
            let (size, price) = if rng.chance(600) { sizes[0] } else { *rng.pick(&sizes[1..]) };
            d.amount = -price;
            d.description = format!("{model} image, {size}");
            d.model = Some((*model).into());
            d.character = session_character;
        }
        Kind::Video => {
            let (model, durations) = rng.pick(&VIDEO_MODELS);
            let (secs, price) = *rng.pick(durations);
            d.amount = -price;
            d.description = format!("Image-to-video, {secs} s ({model})");
            d.model = Some((*model).into());
            d.character = session_character;
        }
        Kind::Tts => {
            let secs = rng.range(2, 90);
            if now < PROMO_END {
                d.description = format!("Voice synthesis, {secs} s (free during promo)");
            } else {
                d.amount = -(secs + 1) / 2;
                d.description = format!("Voice synthesis, {secs} s");
            }
            d.model = Some((*rng.pick(&TTS_MODELS)).into());
            d.character = session_character;
        }
        Kind::Asr => {
            let secs = rng.range(1, 60);
            if now < PROMO_END {
                d.description = format!("Voice transcription, {secs} s (free during promo)");
            } else {
                d.amount = -(secs + 4) / 5;
                d.description = format!("Voice transcription, {secs} s");
            }
            d.model = Some((*rng.pick(&ASR_MODELS)).into());
        }
        Kind::PluginCommission => {
            let (plugin, tool, cents) = PLUGIN_TOOLS[session.tool];
            d.amount = cents;
            d.description = format!("Plugin commission: {plugin} ({tool}, call_{})", code(rng.next_u64(), 6));
        }
        Kind::CharacterRevenue => {
            // A tenth of what someone spent with one of the user's characters.
            let spent = match rng.below(100) {
                0..=84 => {
                    let model = &CHAT_MODELS[rng.below(CHAT_MODELS.len() as u64) as usize];
                    let mut context = rng.range(1_500, CONTEXT_BUDGET);
                    let long = rng.chance(10);
                    chat_reply(rng, model, &mut context, long).2
                }
                85..=97 => {
                    let sizes = rng.pick(&IMAGE_MODELS).1;
                    rng.pick(&sizes).1
                }
                _ => {
                    let durations = rng.pick(&VIDEO_MODELS).1;
                    rng.pick(durations).1
                }
            };
            d.amount = (spent / 10).max(1);
            d.character = Some(name(rng.below(CHARACTERS.len() as u64) as usize));
            d.description = "Creator share of character usage".into();
        }
        Kind::Redeem => {
            d.amount = from_table(rng, &REDEEM_CODES);
            let v = rng.next_u64();
            d.description = format!(
                "Redeem code RV-{}-{}",
                code(v, 4).to_ascii_uppercase(),
                code(mix64(v), 4).to_ascii_uppercase()
            );
        }
        Kind::Gift => {
            let credits = if rng.chance(800) {
                from_table(rng, &[(1_000, 30), (2_000, 25), (5_000, 20), (10_000, 15), (20_000, 7), (50_000, 3)])
            } else {
                rng.range(5, 300) * 100
            };
            let who = rng.pick(&USERS);
            if rng.chance(300) {
                d.amount = -credits;
                d.description = format!("Gift to {who}");
            } else {
                d.amount = credits;
                d.description = format!("Gift from {who}");
            }
        }
        Kind::Refund => {
            // Only a charge from an earlier second, so the refund is unambiguously later.
            let want = match rng.below(100) {
                0..=54 => Kind::Chat,
                55..=89 => Kind::Image,
                _ => Kind::Video,
            };
            // Within two days: refunds come quickly (and a matcher may look back only a week).
            let ok = |r: &Refundable| r.ts < now && r.ts >= now - 2 * 86_400 && r.kind == want;
            let candidates = st.refundable.iter().filter(|r| ok(r)).count();
            if candidates == 0 {
                return None;
            }
            let nth = rng.below(candidates as u64) as usize;
            let (idx, r) = st.refundable.iter().enumerate().filter(|(_, r)| ok(r)).nth(nth)?;
            d.amount = -r.amount;
            // The two cases of the ledger page: no reply generated, a broken image.
            d.description = match r.kind {
                Kind::Image => format!("Refund for {} (Image generation failure)", r.id),
                Kind::Video => format!("Refund for {} (video generation failed)", r.id),
                _ => format!("Refund for {} (no reply generated)", r.id),
            };
            d.character = r.character.clone();
            d.model = r.model.clone();
            d.refunds = Some(idx);
        }
        Kind::AdminGrant => {
            let ticket = rng.range(10_000, 99_999);
            if rng.chance(600) {
                d.amount = *rng.pick(&[1_000i64, 2_000, 5_000, 10_000, 50_000]);
                d.description = format!("Support goodwill grant (ticket #{ticket})");
            } else {
                d.amount = rng.range(100, 30_000);
                d.description = format!("Compensation for failed generations (ticket #{ticket})");
            }
        }
        Kind::Bonus => {
            d.amount = from_table(rng, &BONUSES);
            d.description =
                (*rng.pick(&["Launch week promotional bonus", "Holiday event bonus", "Beta tester thank-you bonus"]))
                    .into();
        }
        Kind::Tip => {
            let character = rng.below(CHARACTERS.len() as u64) as usize;
            d.amount = -*rng.pick(&[100i64, 200, 500, 1_000]);
            d.description = format!("Tip to {}", CHARACTERS[character]);
            d.character = Some(name(character));
        }
    }
    Some(d)
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
        "; Reverie credit ledger generated by reckon-gen --entries {} --seed {} --faults {}{}{}\n\
         ; one transaction per entry, oldest first; the (code) is the transaction ID\n\
         commodity 1000.00 C\n",
        c.entries,
        c.seed,
        c.faults,
        if c.messy { " --messy" } else { "" },
        if c.noisy_types { " --noisy-types" } else { "" }
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
    let mut counts = [0usize; 20];
    for e in &ledger.entries {
        counts[e.kind as usize] += 1;
    }
    let mut names: Vec<&str> = TYPES.to_vec();
    if counts[Kind::Tip as usize] > 0 {
        names.push(NOISY_TYPE);
    }
    let mut s = String::new();
    let _ = writeln!(s, "{{");
    let _ = writeln!(s, "  \"entries\": {},", c.entries);
    let _ = writeln!(s, "  \"seed\": {},", c.seed);
    let _ = writeln!(s, "  \"messy\": {},", c.messy);
    let _ = writeln!(s, "  \"noisy_types\": {},", c.noisy_types);
    let first = ledger.entries.first();
    let last = ledger.entries.last();
    let _ = writeln!(s, "  \"first\": {},", first.map_or("null".into(), |e| json_str(&e.id)));
    let _ = writeln!(s, "  \"last\": {},", last.map_or("null".into(), |e| json_str(&e.id)));
    let _ = writeln!(s, "  \"final_balance\": \"{}\",", cents_string(last.map_or(0, |e| e.balance_after)));
    let _ = writeln!(s, "  \"types\": {{");
    for (k, name) in names.iter().enumerate() {
        let _ = writeln!(s, "    \"{name}\": {}{}", counts[k], if k + 1 < names.len() { "," } else { "" });
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
