//! `reckon sync`: a ledger fetched through a vendor's API into the store. The sync itself is the
//! engine's (`reckon::sync`, shared with the desktop app); this module parses the arguments,
//! finds the key, prints each stored page and the outcome.

use std::ops::ControlFlow;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use chrono::Utc;

use super::key::api_key;
use super::ChainArgs;
use reckon::escape::terminal;
use reckon::model::ChainKey;
use reckon::store::Store;
use reckon::sync::{self, Api, BaseUrl, Customers, SyncProgress, SyncRequest, SyncSink};

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
    #[arg(long)]
    base_url: String,
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
    #[command(flatten)]
    deadline: DeadlineArg,
}

#[derive(clap::Args)]
struct DeadlineArg {
    /// The longest the whole sync may take, such as 30m, 2h or 90s (default 6h); past it the
    /// sync stops with an error and what was stored stays.
    #[arg(long, default_value = "6h", value_parser = duration)]
    deadline: Duration,
}

#[derive(clap::Args)]
struct ReverieArgs {
    /// The API's root, such as https://api.reverie.example (http only to 127.0.0.1, ::1, localhost).
    #[arg(long)]
    base_url: String,
    #[command(flatten)]
    chain: ChainArgs,
    /// Fetch only entries from this time on (RFC 3339, such as 2026-03-01T00:00:00Z); by
    /// default, from the chain's newest stored entry on (everything on a first sync).
    #[arg(long, value_parser = rfc3339)]
    since: Option<String>,
    /// Entries per page asked of the API.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u16).range(1..=1000))]
    page_size: u16,
    #[command(flatten)]
    deadline: DeadlineArg,
}

/// `90s`, `30m`, `6h`, `1d`, or a sum of them (`1h30m`).
fn duration(text: &str) -> Result<Duration, String> {
    const EXPECTED: &str = "expected a duration such as 90s, 30m, 6h or 1h30m";
    let text = text.trim();
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let number: u64 = rest[..digits].parse().map_err(|_| EXPECTED.to_string())?;
        rest = &rest[digits..];
        let unit = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let seconds = match &rest[..unit] {
            "ms" => 0,
            "s" => 1,
            "m" | "min" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(EXPECTED.to_string()),
        };
        let part = if seconds == 0 {
            Duration::from_millis(number)
        } else {
            Duration::from_secs(number.checked_mul(seconds).ok_or(EXPECTED)?)
        };
        total = total.checked_add(part).ok_or(EXPECTED)?;
        rest = &rest[unit..];
    }
    if total.is_zero() {
        return Err(EXPECTED.to_string());
    }
    Ok(total)
}

fn rfc3339(text: &str) -> Result<String, String> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map(|_| text.trim().to_string())
        .map_err(|_| "expected an RFC 3339 time such as 2026-03-01T00:00:00Z".to_string())
}

pub(super) fn run(store: &mut Store, args: Args) -> Result<ExitCode> {
    let request = match args.source {
        Source::Reverie(args) => {
            let mut request =
                SyncRequest::new(Api::Reverie, base_url(&args.base_url)?, api_key(Api::Reverie)?, Utc::now());
            request.chain = ChainKey::new(args.chain.account, args.chain.currency);
            request.since = args.since;
            request.page_size = Some(usize::from(args.page_size));
            request.bounds.deadline = args.deadline.deadline;
            request
        }
        Source::Orb(args) => vendor(Api::Orb, args)?,
        Source::Stripe(args) => vendor(Api::Stripe, args)?,
    };
    // A server's words (an error body, a time it states) reach the terminal made inert.
    let summary = sync::sync_blocking(store, &request, &mut PrintPages)
        .map_err(|e| anyhow::anyhow!("{}", terminal(&e.to_string())))?;
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
            let (account, currency, as_of) = (terminal(account), terminal(currency), terminal(&stated.as_of));
            out!("stated balance: {} (as of {as_of}), saved for {account}/{currency}", stated.balance);
        } else {
            let as_of = terminal(&stated.as_of);
            out!("stated balance: {} (as of {as_of}); not saved: the ledger has no entries", stated.balance);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn vendor(api: Api, args: VendorArgs) -> Result<SyncRequest> {
    let mut request = SyncRequest::new(api, base_url(&args.base_url)?, api_key(api)?, Utc::now());
    request.customers = match args.customer {
        Some(c) => Customers::One(c),
        None => Customers::All,
    };
    request.chain = ChainKey::new(args.account, ChainKey::DEFAULT_CURRENCY);
    request.concurrency = usize::from(args.concurrency);
    request.rate = args.rate;
    request.bounds.deadline = args.deadline.deadline;
    Ok(request)
}

/// The base URL checked here rather than by clap, whose error would echo the value, and with it
/// any password or key put there.
fn base_url(text: &str) -> Result<BaseUrl> {
    Ok(BaseUrl::parse(text)?)
}

/// One line on standard error per stored page.
struct PrintPages;

impl SyncSink for PrintPages {
    fn progress(&mut self, p: &SyncProgress) -> ControlFlow<()> {
        let page = &p.page;
        let whose = page.customer.as_deref().map(|c| format!("{}, ", terminal(c))).unwrap_or_default();
        note!(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_read_as_people_write_them() {
        assert_eq!(duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(duration("6h"), Ok(Duration::from_secs(6 * 3600)));
        assert_eq!(duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(duration("250ms"), Ok(Duration::from_millis(250)));
        for bad in ["", "0s", "5", "h", "3 weeks", "-1h"] {
            assert!(duration(bad).is_err(), "{bad}");
        }
    }
}
