//! `reckon sync`: pull a ledger through a vendor's API into the store. The fetching is the
//! `reckon-sync` crate's; each page it hands over is parsed by the same reader and stored
//! through the same ingest as a file import, one transaction per page, so a sync cut short
//! keeps the pages it stored and a second run adds only what is new.

use std::ops::ControlFlow;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, Context, Result};
use chrono::Utc;

use super::ChainArgs;
use reckon::import::{self, fingerprint_bytes, store_parsed, ImportOptions, Reader};
use reckon::model::ChainKey;
use reckon::store::Store;
use reckon_sync::reverie::{self, Client};
use reckon_sync::{ApiKey, BaseUrl, Config, Page, PageSink};

/// Where the API key comes from (the OS keyring is a later addition).
const KEY_VAR: &str = "RECKON_API_KEY";

#[derive(clap::Args)]
pub(super) struct Args {
    #[command(subcommand)]
    source: Source,
}

#[derive(clap::Subcommand)]
enum Source {
    /// Reverie's Open API (/v1/ledger, /v1/balance); the key comes from $RECKON_API_KEY.
    Reverie(ReverieArgs),
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
    }
}

fn run_reverie(store: &mut Store, args: ReverieArgs) -> Result<ExitCode> {
    let key = std::env::var(KEY_VAR).ok().filter(|k| !k.trim().is_empty()).ok_or_else(|| {
        anyhow!("no API key: set ${KEY_VAR} to the Reverie Open API key of the account to sync (nothing was fetched)")
    })?;
    let mut config = Config::new(args.base_url, ApiKey::new(key.trim()));
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
        let parse = self.reader.parse.expect("reverie-json parses bytes held in memory");
        let print = fingerprint_bytes(&page.body);
        let parsed = parse(Path::new(&page.url), page.body)?;
        let summary =
            store_parsed(self.store, vec![parsed], &[print], &self.options, &mut || ControlFlow::Continue(()))?;
        self.new += summary.new_entries();
        self.known += summary.known_entries();
        self.conflicting += summary.conflicting_entries();
        eprintln!(
            "page {}: {} entries: {} new, {} already known, {} conflicting",
            page.index + 1,
            page.entries,
            summary.new_entries(),
            summary.known_entries(),
            summary.conflicting_entries()
        );
        Ok(ControlFlow::Continue(()))
    }
}
