//! `reckon sync`: pull a ledger through a vendor's API into the store. The pull itself is the
//! engine's (`reckon::pull`, shared with the desktop app); this module parses the arguments,
//! finds the key, prints each stored page and the outcome.

use std::ops::ControlFlow;
use std::process::ExitCode;

use anyhow::Result;
use chrono::Utc;

use super::key::api_key;
use super::ChainArgs;
use reckon::model::ChainKey;
use reckon::pull::{self, Api, BaseUrl, Customers, PullProgress, PullRequest, PullSink};
use reckon::store::Store;

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
    /// Fetch only entries from this time on (RFC 3339, such as 2026-03-01T00:00:00Z); by
    /// default, from the chain's newest stored entry on (everything on a first sync).
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
    let request = match args.source {
        Source::Reverie(args) => {
            let mut request = PullRequest::new(Api::Reverie, args.base_url, api_key(Api::Reverie)?, Utc::now());
            request.chain = ChainKey::new(args.chain.account, args.chain.currency);
            request.since = args.since;
            request.page_size = Some(usize::from(args.page_size));
            request
        }
        Source::Orb(args) => vendor(Api::Orb, args)?,
        Source::Stripe(args) => vendor(Api::Stripe, args)?,
    };
    let summary = pull::pull_blocking(store, &request, &mut PrintPages)?;
    let p = &summary.progress;
    let customers =
        if request.api.has_customers() { format!("{} customers, ", summary.customers) } else { String::new() };
    out!(
        "{}: {customers}{} pages, {} entries: {} new, {} already known, {} conflicting ({:.0} entries/s)",
        request.api.title(),
        p.pages,
        p.entries,
        p.new,
        p.known,
        p.conflicting,
        p.entries_per_second()
    );
    if summary.cancelled {
        out!("stopped before the end; what was stored stays, and the next sync resumes from there");
    }
    if let Some(stated) = &summary.stated {
        let ChainKey { account, currency } = &request.chain;
        if stated.saved {
            out!("stated balance: {} (as of {}), saved for {account}/{currency}", stated.balance, stated.as_of);
        } else {
            out!("stated balance: {} (as of {}); not saved: the ledger has no entries", stated.balance, stated.as_of);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn vendor(api: Api, args: VendorArgs) -> Result<PullRequest> {
    let mut request = PullRequest::new(api, args.base_url, api_key(api)?, Utc::now());
    request.customers = match args.customer {
        Some(c) => Customers::One(c),
        None => Customers::All,
    };
    request.chain = ChainKey::new(args.account, ChainKey::DEFAULT_CURRENCY);
    request.concurrency = usize::from(args.concurrency);
    request.rate = args.rate;
    Ok(request)
}

/// One line on standard error per stored page.
struct PrintPages;

impl PullSink for PrintPages {
    fn progress(&mut self, p: &PullProgress) -> ControlFlow<()> {
        let page = &p.page;
        let whose = page.customer.as_deref().map(|c| format!("{c}, ")).unwrap_or_default();
        eprintln!(
            "{whose}page {}: {} entries: {} new, {} already known, {} conflicting",
            page.index + 1,
            page.entries,
            page.new,
            page.known,
            page.conflicting
        );
        ControlFlow::Continue(())
    }
}
