//! The sources Reckon knows: each vendor's type reference table, the label dimensions its
//! entries carry beyond the type, and the dimension that sets prices. Domain data: readers
//! stamp it on what they read, `check` hands it to the rules; [`named`] finds one by name.

use super::Dimension;

/// A vendor whose ledgers Reckon reads, whatever the file format: its type reference table and
/// the label dimensions its entries carry beyond the type. A chain holds one source's entries.
#[derive(Debug)]
pub struct Source {
    /// Stored with each chain (`reverie`).
    pub name: &'static str,
    /// For people (`Reverie`).
    pub title: &'static str,
    /// The types the vendor documents; any other is imported and is an `unknown_type`.
    pub types: &'static [&'static str],
    /// `(key, title)` of each dimension, in the order entries carry them; at most `MAX_DIMS`.
    pub dimensions: &'static [(&'static str, &'static str)],
    /// The dimension whose values set prices (Reverie: `model`): `unusual_amount` compares a
    /// charge with charges of its type on the same value.
    pub price_dimension: Option<&'static str>,
}

impl Source {
    /// The declared dimensions as the model holds them.
    pub fn dimensions(&self) -> Vec<Dimension> {
        self.dimensions.iter().map(|(k, t)| Dimension::new(k, t)).collect()
    }
}

/// Every source, by name (see [`named`]). A new vendor is a static below and a line here.
pub static SOURCES: [&Source; 9] =
    [&REVERIE, &ORB, &STRIPE, &USAGE_FEED, &GRANT_LEDGER, &WORKSPACE, &LAGO, &STRIPE_CREDITS, &PROFILE];

/// The source called `name`, as a chain stores it.
pub fn named(name: &str) -> Option<&'static Source> {
    SOURCES.iter().copied().find(|s| s.name == name)
}

/// Reverie, an AI chat app (product-docs/000): its ledger, read from the CSV export or the
/// Open API JSON.
pub static REVERIE: Source = Source {
    name: "reverie",
    title: "Reverie",
    types: &REVERIE_TYPES,
    dimensions: &[("character", "Character"), ("model", "Model")],
    price_dimension: Some("model"),
};

/// Transaction types on Reverie's reference table. Anything else is imported and flagged.
pub const REVERIE_TYPES: [&str; 19] = [
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

/// Orb's customer credit ledger.
pub static ORB: Source = Source {
    name: "orb",
    title: "Orb",
    types: &ORB_TYPES,
    dimensions: &[("credit_block", "Credit block"), ("status", "Status")],
    price_dimension: None,
};

/// Orb's ledger entry types (`entry_type`, upper-cased).
pub const ORB_TYPES: [&str; 7] =
    ["INCREMENT", "DECREMENT", "EXPIRATION_CHANGE", "CREDIT_BLOCK_EXPIRY", "VOID", "VOID_INITIATED", "AMENDMENT"];

/// Stripe's customer balance.
pub static STRIPE: Source = Source {
    name: "stripe",
    title: "Stripe",
    types: &STRIPE_TYPES,
    dimensions: &[("invoice", "Invoice"), ("credit_note", "Credit note")],
    price_dimension: None,
};

/// The customer balance transaction types Stripe documents (`type`, upper-cased). Stripe adds
/// types; an unknown one is imported and is an `unknown_type`.
pub const STRIPE_TYPES: [&str; 12] = [
    "ADJUSTMENT",
    "APPLIED_TO_INVOICE",
    "CHECKOUT_SESSION_SUBSCRIPTION_PAYMENT",
    "CHECKOUT_SESSION_SUBSCRIPTION_PAYMENT_CANCELED",
    "CREDIT_NOTE",
    "INITIAL",
    "INVOICE_OVERPAID",
    "INVOICE_TOO_LARGE",
    "INVOICE_TOO_SMALL",
    "MIGRATION",
    "UNAPPLIED_FROM_INVOICE",
    "UNSPENT_RECEIVER_CREDIT",
];

/// A usage feed with refunds (product-docs/002): charges and the refunds that reimburse them,
/// each refund with its reason and, where the feed knows it, the charge it refunds. The
/// refund rules pair a refund with the charge its `refund_of` names.
pub static USAGE_FEED: Source = Source {
    name: "usage-feed",
    title: "Usage feed",
    types: &["CHARGE", "REFUND"],
    dimensions: &[("reason", "Reason"), ("refund_of", "Refund of")],
    price_dimension: None,
};

/// The grant / spend / pending grant ledger (product-docs/003, FORMATS.md section 5): one
/// chain per credit currency. A pending grant is stored with amount 0 and no stated balance,
/// its amount in `pending`; a grant that settles one names it in `settles`.
pub static GRANT_LEDGER: Source = Source {
    name: "grant-ledger",
    title: "Grant ledger",
    types: &["GRANT", "SPEND", "PENDING_GRANT"],
    dimensions: &[("settles", "Settles"), ("pending", "Pending"), ("currency", "Currency")],
    price_dimension: None,
};

/// Lago wallet transactions (FORMATS.md section 6): a chain per wallet, in credits. `status`
/// is settled, pending or failed (only settled counts); `source` says how the transaction came
/// (manual, interval, threshold); a pending transaction's credits are kept in `pending`, as
/// the grant ledger keeps them, and the settled transaction names its pending version in
/// `settles`.
pub static LAGO: Source = Source {
    name: "lago",
    title: "Lago",
    types: &["PURCHASED", "GRANTED", "VOIDED", "INVOICED"],
    dimensions: &[("status", "Status"), ("source", "Source"), ("pending", "Pending"), ("settles", "Settles")],
    price_dimension: None,
};

/// A workspace's credit usage records (product-docs/001, FORMATS.md section 3): the page's four
/// tabs in one chain. Usage rows take credits away, adjustments add or take them, a package
/// reset sets the balance. `user` is the creator or caller (empty unless the exporter is an
/// owner or admin), `usage_type` the billing or import type, `api_key` the key of an MCP-HTTP
/// call, `messages` a conversation's message count.
pub static WORKSPACE: Source = Source {
    name: "workspace",
    title: "Workspace usage records",
    types: &WORKSPACE_TYPES,
    dimensions: &[("user", "User"), ("usage_type", "Usage type"), ("api_key", "API key"), ("messages", "Messages")],
    price_dimension: None,
};

/// The usage rows' types and the Credit Adjustments types the page lists.
pub const WORKSPACE_TYPES: [&str; 12] = [
    "CONVERSATION",
    "MCP_CALL",
    "IMPORT_TASK",
    "FREE_WORKSPACE_GRANT",
    "PACKAGE_RESET",
    "SUBSCRIPTION_RENEWAL",
    "SUBSCRIPTION_SWITCH_COMPENSATION",
    "REFERRAL_SIGNUP_REWARD",
    "REFERRAL_FIRST_PAID_PLAN_REWARD",
    "CREDIT_PACKAGE_PURCHASE",
    "ADMIN_ADJUSTMENT",
    "CREDIT_EXPIRATION",
];

/// How a later export of a source revises what is stored, beyond "same ID, same content is
/// known; other content is a conflict". Most sources revise nothing.
#[derive(Debug)]
pub struct Revisions {
    /// Types whose rows are aggregates that grow (a conversation's credits so far): a later
    /// figure for the same ID becomes a revision entry carrying the change, an older or equal
    /// one changes nothing.
    pub aggregate_types: &'static [&'static str],
    /// A dimension a later export may fill in or replace without a conflict (the `User` only
    /// owners and admins see); it is left out of an entry's identity.
    pub mutable_dimension: Option<usize>,
    /// Types that set the balance to their amount (a package reset): importing one records an
    /// anchor of kind reset at its time.
    pub reset_types: &'static [&'static str],
}

/// The revisions of source `name`, if it has any.
pub fn revisions(name: &str) -> Option<&'static Revisions> {
    (name == WORKSPACE.name).then_some(&WORKSPACE_REVISIONS)
}

static WORKSPACE_REVISIONS: Revisions =
    Revisions { aggregate_types: &["CONVERSATION"], mutable_dimension: Some(0), reset_types: &["PACKAGE_RESET"] };

/// Stripe billing credits (FORMATS.md section 6): a customer's credit balance transactions
/// in one currency, with its credit grants as entries of amount 0 (type `CREDIT_GRANT`).
/// `grant` is the grant a transaction draws on or funds (a grant's own ID on its entry);
/// `category` (paid, promotional), `priority` and `expires_at` (RFC 3339 UTC) are a grant's.
pub static STRIPE_CREDITS: Source = Source {
    name: "stripe-credits",
    title: "Stripe billing credits",
    types: &STRIPE_CREDIT_TYPES,
    dimensions: &[("grant", "Grant"), ("category", "Category"), ("priority", "Priority"), ("expires_at", "Expires at")],
    price_dimension: None,
};

/// The credit and debit types Stripe documents, and a grant's own entry.
pub const STRIPE_CREDIT_TYPES: [&str; 6] = [
    "CREDITS_GRANTED",
    "CREDITS_APPLICATION_INVOICE_VOIDED",
    "CREDITS_APPLIED",
    "CREDITS_EXPIRED",
    "CREDITS_VOIDED",
    "CREDIT_GRANT",
];

/// Any CSV read through a saved mapping profile (FORMATS.md section 7, `import/profile.rs`).
/// Its types are whatever the file's type column says (or `CREDIT`/`DEBIT` by sign): there is
/// no reference table to judge them by, so no entry of it is an `unknown_type` (the rules skip
/// a source without types). Its dimensions are the profile's own, kept with each chain.
pub static PROFILE: Source =
    Source { name: "profile", title: "Mapping profile", types: &[], dimensions: &[], price_dimension: None };
