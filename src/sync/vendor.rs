//! The vendors Reckon syncs from, as a table (like `import::READERS`): each line says how the
//! vendor is named, where its key lives, how it pages, which reader reads its pages and which
//! client of `reckon-api` fetches them. The CLI, the desktop shell and (through the shell) the
//! UI read this table; nothing else names a vendor. Adding one: its module in `api/`, its
//! reader in `import`, one line here.

use reckon_api::{lago, orb, reverie, stripe, stripe_credits, Fetch, RateLimit};

use super::SyncError;

/// One vendor's API.
pub struct Vendor {
    /// Its short name (`reverie`): `reckon sync reverie`, what a chain's last sync and the app's
    /// connections record.
    pub name: &'static str,
    /// Its name for people (`Reverie`), as the app lists it.
    pub title: &'static str,
    /// Its API's name in messages (`Reverie Open API`).
    pub api: &'static str,
    /// The keyring user its key is stored under (`reckon key set reverie`).
    pub key_name: &'static str,
    /// Whether its ledgers are per customer (asked for one customer or all of them, paged newest
    /// first and stopped at stored IDs); otherwise one ledger per key, asked `since` the chain's
    /// newest stored second.
    pub per_customer: bool,
    /// What one of its ledgers belongs to, for people (`Customer`, Lago's `Wallet`); empty for
    /// a vendor without customers.
    pub customer_title: &'static str,
    /// Whether every customer's ledgers can be fetched at once (`--all-customers`): Lago lists
    /// wallets per customer only, so a wallet must be named.
    pub all_customers: bool,
    /// The largest page it serves; a page size asked for is held to it.
    pub max_page: usize,
    /// Requests a second when none is asked (its documented rate); `None`: not limited.
    pub rate: Option<RateLimit>,
    /// The reader (`import::READERS`) whose `parse` reads its pages.
    pub reader: &'static str,
    /// Its client in `reckon-api`: fetches what a sync asks.
    pub fetch: Fetch<SyncError>,
}

impl std::fmt::Debug for Vendor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vendor").field("name", &self.name).finish_non_exhaustive()
    }
}

impl PartialEq for Vendor {
    fn eq(&self, other: &Vendor) -> bool {
        self.name == other.name
    }
}

impl Eq for Vendor {}

/// Every vendor, in the order the CLI's help and the app list them.
pub static VENDORS: [&Vendor; 5] = [&REVERIE, &ORB, &STRIPE, &LAGO, &STRIPE_CREDITS];

static REVERIE: Vendor = Vendor {
    name: "reverie",
    title: "Reverie",
    api: reverie::SOURCE_NAME,
    key_name: reverie::KEY_NAME,
    per_customer: false,
    // Reverie documents no largest page; its API accepts up to 1000.
    customer_title: "",
    all_customers: false,
    max_page: 1000,
    rate: None,
    reader: "reverie-json",
    fetch: reverie::fetch::<SyncError>,
};

static ORB: Vendor = Vendor {
    name: "orb",
    title: "Orb",
    api: orb::SOURCE_NAME,
    key_name: orb::KEY_NAME,
    per_customer: true,
    customer_title: "Customer",
    all_customers: true,
    max_page: orb::MAX_PAGE,
    rate: Some(RateLimit::ORB),
    reader: "orb-json",
    fetch: orb::fetch::<SyncError>,
};

static STRIPE: Vendor = Vendor {
    name: "stripe",
    title: "Stripe",
    api: stripe::SOURCE_NAME,
    key_name: stripe::KEY_NAME,
    per_customer: true,
    customer_title: "Customer",
    all_customers: true,
    max_page: stripe::MAX_PAGE,
    rate: Some(RateLimit::STRIPE),
    reader: "stripe-json",
    fetch: stripe::fetch::<SyncError>,
};

/// Lago's wallets: a wallet is the "customer" (`--wallet`), its balance an anchor.
static LAGO: Vendor = Vendor {
    name: "lago",
    title: "Lago",
    api: lago::SOURCE_NAME,
    key_name: lago::KEY_NAME,
    per_customer: true,
    customer_title: "Wallet",
    all_customers: false,
    max_page: lago::MAX_PAGE,
    rate: None,
    reader: "lago-json",
    fetch: lago::fetch::<SyncError>,
};

/// Stripe billing credits: the same Stripe key; the customer's credit balance transactions
/// and grants, and its credit balance summary as an anchor.
static STRIPE_CREDITS: Vendor = Vendor {
    name: "stripe-credits",
    title: "Stripe billing credits",
    api: stripe_credits::SOURCE_NAME,
    key_name: stripe_credits::KEY_NAME,
    per_customer: true,
    customer_title: "Customer",
    all_customers: true,
    max_page: stripe_credits::MAX_PAGE,
    rate: Some(RateLimit::STRIPE),
    reader: "stripe-credits-json",
    fetch: stripe_credits::fetch::<SyncError>,
};

/// The vendor named `name` (`reverie`, `Orb `: trimmed, any case).
pub fn vendor(name: &str) -> Option<&'static Vendor> {
    let name = name.trim().to_ascii_lowercase();
    VENDORS.into_iter().find(|v| v.name == name)
}

/// The vendors' names, for messages (`reverie, orb, stripe`).
pub fn vendor_names() -> String {
    VENDORS.iter().map(|v| v.name).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found_in_any_case() {
        for v in VENDORS {
            assert_eq!(vendor(&v.name.to_uppercase()), Some(v));
            assert_eq!(VENDORS.iter().filter(|w| w.name == v.name).count(), 1, "{}", v.name);
        }
        assert_eq!(vendor("nobody"), None);
    }

    #[test]
    fn each_vendor_has_a_reader_that_parses_its_pages() {
        for v in VENDORS {
            let reader =
                crate::import::reader(v.reader).unwrap_or_else(|| panic!("{}: no reader {}", v.name, v.reader));
            assert!(reader.parse.is_some(), "{}: {} cannot parse an API page", v.name, v.reader);
        }
    }
}
