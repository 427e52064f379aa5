//! `reckon sync`: pull a ledger through a vendor's API into the store. The fetching is the
//! `reckon-sync` crate's; each page it hands over is parsed by the same reader and stored
//! through the same ingest as a file import, one transaction per page, so a sync cut short
//! keeps the pages it stored and a second run adds only what is new.
//!
//! Orb and Stripe page newest first: the client hands a customer's new pages over oldest
//! first once it reaches the IDs already stored (see `reckon_sync::newest`), so storing page
//! by page stays safe against a kill. Their pages are read by the `orb-json` and `stripe-json`
//! readers, looked up by name at run time.

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, Context, Result};
use chrono::Utc;

use super::key::api_key;
use super::ChainArgs;
use reckon::import::{self, fingerprint_bytes, store_parsed, ImportOptions, Reader};
use reckon::model::ChainKey;
use reckon::store::Store;
use reckon_sync::reverie::{self, Client};
use reckon_sync::{orb, stripe, BaseUrl, Config, Fetched, Page, PageSink, RateLimit};

#[derive(clap::Args)]
pub(super) struct Args {
    #[command(subcommand)]
    source: Source,
}

#[derive(clap::Subcommand)]
enum Source {
    /// Reverie's Open API (/v1/ledger, /v1/balance).
    Reverie(ReverieArgs),
    /// Orb's credits ledger (/v1/customers/{id}/credits/ledger), per customer and currency.
    Orb(VendorArgs),
    /// Stripe's customer balance transactions (/v1/customers/{id}/balance_transactions).
    Stripe(VendorArgs),
}

#[derive(clap::Args)]
struct VendorArgs {
    /// The API's root, such as https://api.withorb.com or https://api.stripe.com (http only to
    /// 127.0.0.1, ::1, localhost).
    #[arg(long, value_parser = BaseUrl::parse)]
    base_url: BaseUrl,
    /// The customer whose ledger to pull (Orb: its Orb ID; Stripe: cus_...).
    #[arg(long, required_unless_present = "all_customers", conflicts_with = "all_customers")]
    customer: Option<String>,
    /// Every customer of the account, each into its own chains.
    #[arg(long)]
    all_customers: bool,
    /// The account of entries the reader does not assign to a customer (default: "default").
    #[arg(long, default_value = ChainKey::DEFAULT_ACCOUNT)]
    account: String,
    /// Customers fetched at once with --all-customers, sharing the rate limit.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=16))]
    concurrency: u16,
    /// Requests a second (default: the vendor's documented rate, Orb 100, Stripe 25).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
    rate: Option<u32>,
}

#[derive(clap::Args)]
struct ReverieArgs {
    /// The API's root, such as https://api.reverie.example (http only to 127.0.0.1, ::1, localhost).
    #[arg(long, value_parser = BaseUrl::parse)]
    base_url: BaseUrl,
    #[command(flatten)]
    chain: ChainArgs,
    /// Fetch only entries from this time on (RFC 3339, such as 2026-03-01T00:00:00Z).
    #[arg(long, value_parser = rfc3339)]
    since: Option<String>,
    /// Entries per page asked of the API.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u16).range(1..=1000))]
    page_size: u16,
}

fn rfc3339(text: &str) -> Result<String, String> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map(|_| text.trim().to_string())
        .map_err(|_| "expected an RFC 3339 time such as 2026-03-01T00:00:00Z".to_string())
}

pub(super) fn run(store: &mut Store, args: Args) -> Result<ExitCode> {
    match args.source {
        Source::Reverie(args) => run_reverie(store, args),
        Source::Orb(args) => run_vendor(store, args, Vendor::Orb),
        Source::Stripe(args) => run_vendor(store, args, Vendor::Stripe),
    }
}

#[derive(Clone, Copy)]
enum Vendor {
    Orb,
    Stripe,
}

fn run_vendor(store: &mut Store, args: VendorArgs, vendor: Vendor) -> Result<ExitCode> {
    let (reader_name, key_name, source_name) = match vendor {
        Vendor::Orb => ("orb-json", orb::KEY_NAME, orb::SOURCE_NAME),
        Vendor::Stripe => ("stripe-json", stripe::KEY_NAME, stripe::SOURCE_NAME),
    };
    let reader = import::reader(reader_name)
        .filter(|r| r.parse.is_some())
        .ok_or_else(|| anyhow!("this build of reckon has no {reader_name} reader to read {source_name} pages with, so nothing can be stored (nothing was fetched); the readers known are: {}", import::reader_names()))?;
    let key = api_key(key_name)?;
    let known = known_ids(store, reader.source.name)?;
    let mut config = Config::new(args.base_url, key);
    config.page_size = 100;
    config.rate_limit = args.rate.map(|per_second| RateLimit { per_second });
    let mut options = ImportOptions::new(Utc::now());
    options.chain = ChainKey::new(args.account, ChainKey::DEFAULT_CURRENCY);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime for network requests")?;
    let mut sink = StorePages { store, reader, options, new: 0, known: 0, conflicting: 0 };
    let concurrency = usize::from(args.concurrency);
    let fetched: Fetched = runtime.block_on(async {
        match vendor {
            Vendor::Orb => {
                let client = orb::Client::new(config, orb::Options::default())?;
                let customers = match args.customer {
                    Some(c) => vec![c],
                    None => client.customers().await?,
                };
                client.fetch_ledgers(&customers, &known, concurrency, &mut sink).await
            }
            Vendor::Stripe => {
                let client = stripe::Client::new(config)?;
                let customers = match args.customer {
                    Some(c) => vec![c],
                    None => client.customers().await?,
                };
                client.fetch_ledgers(&customers, &known, concurrency, &mut sink).await
            }
        }
    })?;
    out!(
        "{source_name}: {} customers, {} pages, {} entries: {} new, {} already known, {} conflicting",
        fetched.customers,
        fetched.pages,
        fetched.entries,
        sink.new,
        sink.known,
        sink.conflicting
    );
    Ok(ExitCode::SUCCESS)
}

/// Every transaction ID stored in the chains of `source`: where an incremental sync stops.
/// Orb and Stripe IDs are unique across an account, so one set serves every customer.
fn known_ids(store: &Store, source: &str) -> Result<HashSet<String>> {
    let mut ids = HashSet::new();
    for chain in store.chains()?.iter().filter(|c| c.source == source) {
        let (_, txns) = store.load_facts(chain)?;
        ids.extend((0..txns.len()).map(|i| String::from_utf8_lossy(txns.get(i)).into_owned()));
    }
    Ok(ids)
}

fn run_reverie(store: &mut Store, args: ReverieArgs) -> Result<ExitCode> {
    let key = api_key(reverie::KEY_NAME)?;
    let mut config = Config::new(args.base_url, key);
    config.page_size = usize::from(args.page_size);
    config.since = args.since;
    let client = Client::new(config)?;
    let mut options = ImportOptions::new(Utc::now());
    options.chain = ChainKey::new(args.chain.account, args.chain.currency);
    let reader = import::reader("reverie-json").expect("the reverie-json reader exists");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime for network requests")?;
    let mut sink = StorePages { store, reader, options, new: 0, known: 0, conflicting: 0 };
    let fetched = runtime.block_on(client.fetch_ledger(&mut sink))?;
    let (new, known, conflicting, options) = (sink.new, sink.known, sink.conflicting, sink.options);
    out!(
        "{}: {} pages, {} entries: {new} new, {known} already known, {conflicting} conflicting",
        reverie::SOURCE_NAME,
        fetched.pages,
        fetched.entries
    );
    let balance = runtime.block_on(client.fetch_balance())?;
    let stated = reckon::money::parse(&balance.balance).map_err(|e| {
        anyhow!(
            "{}: the balance {:?} from {} cannot be read: expected {e}; the ledger was stored, the stated balance was not",
            reverie::SOURCE_NAME,
            balance.balance,
            balance.url
        )
    })?;
    match store.chain_id(&options.chain)? {
        Some(chain_id) => {
            store.set_stated_balance(chain_id, Some(stated))?;
            let ChainKey { account, currency } = &options.chain;
            out!("stated balance: {stated} (as of {}), saved for {account}/{currency}", balance.as_of);
        }
        None => out!("stated balance: {stated} (as of {}); not saved: the ledger has no entries", balance.as_of),
    }
    Ok(ExitCode::SUCCESS)
}

/// Parses each page with the reader a saved answer would get and stores it in its own
/// transaction.
struct StorePages<'a> {
    store: &'a mut Store,
    reader: &'static Reader,
    options: ImportOptions,
    new: u64,
    known: u64,
    conflicting: u64,
}

impl PageSink for StorePages<'_> {
    type Error = anyhow::Error;

    fn page(&mut self, page: Page) -> Result<ControlFlow<()>> {
        let parse =
            self.reader.parse.ok_or_else(|| anyhow!("the {} reader cannot read an API answer", self.reader.name))?;
        let print = fingerprint_bytes(&page.body);
        let parsed = parse(Path::new(&page.url), page.body)?;
        let summary =
            store_parsed(self.store, vec![parsed], &[print], &self.options, &mut || ControlFlow::Continue(()))?;
        self.new += summary.new_entries();
        self.known += summary.known_entries();
        self.conflicting += summary.conflicting_entries();
        let whose = page.customer.as_deref().map(|c| format!("{c}, ")).unwrap_or_default();
        eprintln!(
            "{whose}page {}: {} entries: {} new, {} already known, {} conflicting",
            page.index + 1,
            page.entries,
            summary.new_entries(),
            summary.known_entries(),
            summary.conflicting_entries()
        );
        Ok(ControlFlow::Continue(()))
    }
}
