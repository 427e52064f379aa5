//! `reckon sync`: a ledger fetched through a vendor's API into the store. The sync itself is the
//! engine's (`reckon::sync`, shared with the desktop app); this module parses the arguments,
//! finds the key, prints each stored page and the outcome.

use std::ops::ControlFlow;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Result};
use chrono::Utc;

use super::key::api_key;
use reckon::escape::terminal;
use reckon::model::ChainKey;
use reckon::money;
use reckon::store::Store;
use reckon::sync::{self, BaseUrl, Customers, SyncProgress, SyncRequest, SyncSink, Vendor, VENDORS};

#[derive(clap::Args)]
pub(super) struct Args {
    /// Whose API: one of the vendors Reckon knows.
    #[arg(value_parser = vendor_name())]
    vendor: &'static Vendor,
    /// The API's root, such as https://api.reverie.example, https://api.withorb.com or
    /// https://api.stripe.com (http only to 127.0.0.1, ::1, localhost).
    #[arg(long)]
    base_url: String,
    /// Vendors with customers: the customer whose ledger to sync (Orb: its Orb ID; Stripe:
    /// cus_...).
    #[arg(long, conflicts_with = "all_customers")]
    customer: Option<String>,
    /// Vendors with customers: every customer of the account, each into its own chains.
    #[arg(long)]
    all_customers: bool,
    /// Lago: the wallet whose transactions to sync (its lago_id); Lago's ledgers are wallets,
    /// so this is the customer.
    #[arg(long, conflicts_with_all = ["customer", "all_customers"])]
    wallet: Option<String>,
    /// The account the ledger belongs to; with customers, the account of entries the reader
    /// does not assign to one.
    #[arg(long, default_value = ChainKey::DEFAULT_ACCOUNT)]
    account: String,
    /// Vendors with one ledger per key: the credit currency (default: "credits").
    #[arg(long)]
    currency: Option<String>,
    /// Vendors with one ledger per key: fetch only entries from this time on (RFC 3339, such
    /// as 2026-03-01T00:00:00Z); by default, from the chain's newest stored entry on
    /// (everything on a first sync).
    #[arg(long, value_parser = rfc3339)]
    since: Option<String>,
    /// Entries per page asked of the API, at most the vendor's largest page.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u16).range(1..=1000))]
    page_size: u16,
    /// Customers fetched at once with --all-customers, sharing the rate limit.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=16))]
    concurrency: u16,
    /// Requests a second (default: the vendor's documented rate, such as Orb's 100 or
    /// Stripe's 25).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
    rate: Option<u32>,
    /// The longest the whole sync may take, such as 30m, 2h or 90s (default 6h); past it the
    /// sync stops with an error and what was stored stays.
    #[arg(long, default_value = "6h", value_parser = duration)]
    deadline: Duration,
}

/// The names in the vendor table, each with its API's name as help.
fn vendor_name() -> impl clap::builder::TypedValueParser<Value = &'static Vendor> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    PossibleValuesParser::new(VENDORS.iter().map(|v| PossibleValue::new(v.name).help(v.api)))
        .map(|name| sync::vendor(&name).expect("a name from the table"))
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
    let request = request(args)?;
    // A server's words (an error body, a time it states) reach the terminal made inert.
    let summary = sync::sync_blocking(store, &request, &mut PrintPages)
        .map_err(|e| anyhow::anyhow!("{}", terminal(&super::remedy::add(e.to_string(), &e))))?;
    let p = &summary.progress;
    let customers =
        if request.vendor.per_customer { format!("{} customers, ", summary.customers) } else { String::new() };
    out!(
        "{}: {customers}{} pages, {} entries: {} new, {} already known, {} conflicting ({:.0} entries/s)",
        request.vendor.api,
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
    print_anchors(&summary.anchors)?;
    // The ledgers reached are checked: the check is kept in their history, and each is compared
    // with its low-balance threshold.
    match reckon::watch::threshold::after_sync(store, &summary.chain_ids, Utc::now().timestamp_micros()) {
        Ok(kept) => {
            match &kept.history {
                Ok(deltas) => print_new_findings(deltas)?,
                Err(e) => note!("note: this sync's check is not kept in the ledgers' history: {e}"),
            }
            super::threshold::warn_kept(&kept);
        }
        Err(e) => note!("note: the ledgers synced were not checked, so their history and low-balance thresholds wait for the next check: {e}"),
    }
    Ok(ExitCode::SUCCESS)
}

/// One line for the findings the sync brought, per ledger that has any new since its last
/// check (its first check counts every finding new), naming `reckon history` for the rest.
fn print_new_findings(deltas: &[reckon::watch::history::HistoryDelta]) -> Result<()> {
    for d in deltas.iter().filter(|d| !d.new.is_empty()) {
        let errors = d.new_errors().count();
        let (account, currency) = (terminal(&d.chain.account), terminal(&d.chain.currency));
        let since = if d.first { "first check" } else { "new since the last check" };
        out!(
            "check of {account}/{currency}: {} {since} ({}); `reckon history {account}/{currency}` lists them",
            count(d.new.len(), "finding"),
            count(errors, "error")
        );
    }
    Ok(())
}

/// "1 finding", "3 findings".
fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// The balances the API stated for ledgers (Lago's wallets) and whether each became an anchor.
fn print_anchors(anchors: &[sync::KeptAnchor]) -> Result<()> {
    for a in anchors {
        let (account, currency) = (terminal(&a.chain.account), terminal(&a.chain.currency));
        let at = chrono::DateTime::from_timestamp_micros(a.ts).map_or_else(String::new, |t| t.to_rfc3339());
        match (a.chain_id, a.added) {
            (Some(_), true) => out!("stated balance of {account}/{currency}: {} at {at}, kept as an anchor", money::format(a.balance)),
            (Some(_), false) => out!(
                "stated balance of {account}/{currency}: {} at {at}, as the newest anchor already says; nothing new, none added",
                money::format(a.balance)
            ),
            (None, _) => out!("stated balance of {account}/{currency}: {}; not kept: the ledger has no entries", money::format(a.balance)),
        }
    }
    Ok(())
}

/// The request the arguments make, refusing what does not apply to the vendor (the table says
/// whether its ledgers are per customer).
fn request(args: Args) -> Result<SyncRequest> {
    let vendor = args.vendor;
    let (name, per_customer) = (vendor.name, vendor.per_customer);
    let mut args = args;
    if args.wallet.is_some() {
        args.customer = args.wallet.take();
    }
    if per_customer {
        if args.customer.is_none() && !args.all_customers {
            bail!("{name} keeps a ledger per customer: give --customer ID or --all-customers (Lago: --wallet ID)");
        }
        if args.all_customers && !vendor.all_customers {
            let what = vendor.customer_title.to_lowercase();
            let flag = if what == "wallet" { "--wallet" } else { "--customer" };
            bail!("{name} cannot list every {what}'s ledger at once: name the {what} (its ID, {flag} ID)");
        }
        for (given, flag) in [(args.currency.is_some(), "--currency"), (args.since.is_some(), "--since")] {
            if given {
                bail!("{flag} does not apply to {name}, which keeps a ledger per customer and currency");
            }
        }
    } else if args.customer.is_some() || args.all_customers {
        bail!("{name} has one ledger per key, without customers: leave out --customer, --wallet and --all-customers");
    }
    let mut request = SyncRequest::new(vendor, base_url(&args.base_url)?, api_key(vendor)?, Utc::now());
    request.customers = match args.customer {
        Some(c) => Customers::One(c),
        None => Customers::All,
    };
    let currency = args.currency.unwrap_or_else(|| ChainKey::DEFAULT_CURRENCY.to_string());
    request.chain = ChainKey::new(args.account, currency);
    request.since = args.since;
    request.page_size = Some(usize::from(args.page_size));
    request.concurrency = usize::from(args.concurrency);
    request.rate = args.rate;
    request.bounds.deadline = args.deadline;
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
