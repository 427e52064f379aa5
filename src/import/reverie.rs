//! Reverie, an AI chat app: its credit ledger's type reference table and the dimensions its
//! entries carry (product-docs/000). Its two formats are `reverie_csv` and `reverie_json`.

use super::Source;

/// Reverie's ledger, read from the CSV export or the Open API JSON.
pub(super) static SOURCE: Source = Source {
    name: "reverie",
    title: "Reverie",
    types: &TYPES,
    dimensions: &[("character", "Character"), ("model", "Model")],
    price_dimension: Some("model"),
};

/// Transaction types on Reverie's reference table. Anything else is imported and flagged.
pub const TYPES: [&str; 19] = [
    "PURCHASE",
    "SUBSCRIPTION_GRANT",
    "DAILY_LOGIN",
    "STREAK_BONUS",
    "LUCKY_DRAW",
    "REFERRAL",
    "REFERRAL_COMMISSION",
    "CHAT",
    "IMAGE",
    "VIDEO",
    "TTS",
    "ASR",
    "PLUGIN_COMMISSION",
    "CHARACTER_REVENUE",
    "REDEEM",
    "GIFT",
    "REFUND",
    "ADMIN_GRANT",
    "BONUS",
];
