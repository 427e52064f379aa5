//! HTTP clients of vendors' ledger APIs. A client pages through an API and hands each page's
//! raw bytes to a caller-supplied [`PageSink`] (ripgrep's `Sink` idea); what the bytes mean
//! and where they are stored is the caller's business.
//!
//! Reverie pages oldest first; Orb and Stripe newest first, which `newest` handles for both
//! (incremental stops, resume after a kill, many customers at once).
//!
//! *Boundary:* this crate never touches the store and does not depend on `reckon`; the engine
//! never touches the network.

mod endpoint;
mod error;
mod fetch;
pub mod lago;
mod limit;
#[cfg(feature = "mock")]
pub mod mock;
pub mod newest;
pub mod orb;
pub mod reverie;
pub mod stripe;
pub mod stripe_credits;

use std::future::Future;
use std::ops::ControlFlow;
use std::pin::Pin;

pub use endpoint::BaseUrl;
pub use error::{ApiError, Remedy};
pub use fetch::{ApiKey, Bounds, Config, Pause, Retry, TokioPause};
pub use limit::RateLimit;
pub use newest::Known;
pub use reverie::Balance;

/// One page of an API answer, as it came over the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The URL the page was fetched from (without the key, which travels in a header).
    pub url: String,
    /// The answer's bytes, untouched.
    pub body: Vec<u8>,
    /// The cursor of the next page; `None` on the last page.
    pub next_cursor: Option<String>,
    /// 0 for the first page of this run.
    pub index: usize,
    /// How many entries the page holds.
    pub entries: usize,
    /// The customer whose ledger it is, for sources with many (Orb, Stripe).
    pub customer: Option<String>,
}

/// Receives pages as they arrive and may stop the sync by returning `Break`. Its error type
/// takes the client's errors too, so a fetch returns one error type the caller chose.
pub trait PageSink {
    type Error: From<ApiError>;
    fn page(&mut self, page: Page) -> Result<ControlFlow<()>, Self::Error>;
}

/// What a ledger fetch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fetched {
    /// Pages handed to the sink.
    pub pages: usize,
    /// Entries on those pages.
    pub entries: usize,
    /// Whether the sink stopped the fetch before the last page.
    pub stopped: bool,
    /// Customers whose ledgers were fetched (Orb, Stripe).
    pub customers: usize,
}

/// What one sync asks of a vendor's client, the same for every vendor.
pub struct Job<'a> {
    pub config: Config,
    /// Vendors with customers: whose ledgers; `None`: every customer of the account. Vendors
    /// with one ledger per key ignore it.
    pub customers: Option<Vec<String>>,
    /// What the caller has stored already: newest-first vendors stop there.
    pub known: &'a dyn Known,
    /// Customers fetched at once, sharing the rate limit.
    pub concurrency: usize,
}

impl std::fmt::Debug for Job<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("config", &self.config)
            .field("customers", &self.customers)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

/// What a vendor's fetch did: its pages, and the balance the API states now if it states one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    pub fetched: Fetched,
    pub balance: Option<Balance>,
    /// Balances the API states for named ledgers (Lago's wallet `credits_balance`), which the
    /// sync keeps as stated anchors of those ledgers.
    pub anchors: Vec<StatedAnchor>,
}

/// A balance an API states for one ledger, read during a sync: the sync keeps it as a stated
/// anchor of the ledger `account`/`currency` (as the vendor's reader files its entries).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatedAnchor {
    pub account: String,
    pub currency: String,
    /// The decimal string as the API wrote it.
    pub balance: String,
    /// When the balance held (RFC 3339), where the API says; `None`: when it was read, which
    /// is the sync's clock (the balance is read before the ledger's pages, so an entry made
    /// in between counts after it).
    pub at: Option<String>,
    /// Where it was read (without the key).
    pub url: String,
}

/// A fetch under way, borrowing its job and its sink.
pub type Fetching<'a, E> = Pin<Box<dyn Future<Output = Result<Ledger, E>> + 'a>>;

/// A vendor's client, as a table holds it: runs one [`Job`], handing each page to the sink.
/// Each vendor's module has one (`reverie::fetch`, `orb::fetch`, `stripe::fetch`), generic over
/// the sink's error type; the caller picks it once (`orb::fetch::<MyError>`).
pub type Fetch<E> = for<'a> fn(Job<'a>, &'a mut dyn PageSink<Error = E>) -> Fetching<'a, E>;

/// Expands its items in builds that have the mock APIs (feature `mock`: tests, and the demo's
/// `--features mock-server`), and to nothing in others, so a command line can offer its mock
/// server only where the mock is built, without a feature of its own that tests must remember.
#[cfg(feature = "mock")]
#[macro_export]
macro_rules! with_mock {
    ($($item:tt)*) => { $($item)* };
}

/// See the `mock` build of this macro: here, without the mock, it expands to nothing.
#[cfg(not(feature = "mock"))]
#[macro_export]
macro_rules! with_mock {
    ($($item:tt)*) => {};
}

/// The other side of [`with_mock!`]: its items only in builds without the mock.
#[cfg(feature = "mock")]
#[macro_export]
macro_rules! without_mock {
    ($($item:tt)*) => {};
}

/// See the `mock` build of this macro: here, without the mock, it expands its items.
#[cfg(not(feature = "mock"))]
#[macro_export]
macro_rules! without_mock {
    ($($item:tt)*) => { $($item)* };
}

/// Whether this build has the mock APIs.
pub const HAS_MOCK: bool = cfg!(feature = "mock");
