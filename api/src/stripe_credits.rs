//! Stripe billing credits: a customer's `GET /v1/billing/credit_balance_transactions` and
//! `GET /v1/billing/credit_grants`, newest first in pages of up to 100 (`starting_after` the
//! last ID), and `GET /v1/billing/credit_balance_summary`, whose available balance is the
//! ledger's stated balance. Paging, incremental stops at known IDs and resume are `newest`'s.
//!
//! The summary is read first, so it dates at the sync's clock: a transaction made while the
//! pages are read counts after it. The grants are read whole each time (a customer has few;
//! the store knows the ones it has).

use futures_util::stream::{self, StreamExt};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::fetch::Http;
use crate::newest::{self, Api, Envelope};
use crate::{ApiError, Config, Fetching, Job, Ledger, PageSink, RateLimit, StatedAnchor};

/// Names the API in messages.
pub const SOURCE_NAME: &str = "Stripe billing credits API";
/// What `reckon key set` calls its key: Stripe's, one key for both Stripe syncs.
pub const KEY_NAME: &str = "stripe";
/// The largest page Stripe serves.
pub const MAX_PAGE: usize = 100;

/// A client of one Stripe account's billing credits.
#[derive(Debug)]
pub struct Client {
    http: Http,
}

/// The same client, listing credit grants instead of transactions.
struct Grants<'a>(&'a Client);

#[derive(Deserialize)]
struct List {
    data: Vec<Value>,
    has_more: bool,
}

#[derive(Deserialize)]
struct Summary {
    balances: Vec<SummaryBalance>,
}

#[derive(Deserialize)]
struct SummaryBalance {
    available_balance: Amount,
}

#[derive(Deserialize)]
struct Amount {
    monetary: Option<Monetary>,
}

#[derive(Deserialize)]
struct Monetary {
    currency: String,
    value: i64,
}

/// Stripe billing credits' [`crate::Fetch`]: for `job.customers` (every customer when `None`),
/// `job.concurrency` at a time, the balance summaries, then the credit grants, then the
/// transactions new since `job.known`.
pub fn fetch<'a, E: From<ApiError> + 'static>(job: Job<'a>, sink: &'a mut dyn PageSink<Error = E>) -> Fetching<'a, E> {
    Box::pin(async move {
        let client = Client::new(job.config)?;
        let customers = match job.customers {
            Some(c) => c,
            None => newest::customers(&client).await?,
        };
        let mut ledger = Ledger::default();
        // Every customer's summary before any of its pages, so each dates at the sync's clock.
        let mut balances = stream::iter(&customers).map(|c| client.balance(c)).buffered(job.concurrency.max(1));
        while let Some(anchors) = balances.next().await {
            ledger.anchors.extend(anchors?);
        }
        drop(balances);
        let grants = newest::fetch_many(&Grants(&client), &customers, &(), job.concurrency, sink).await?;
        let f = &mut ledger.fetched;
        (f.pages, f.entries, f.customers, f.stopped) = (grants.pages, grants.entries, grants.customers, grants.stopped);
        if grants.stopped {
            return Ok(ledger);
        }
        let transactions = newest::fetch_many(&client, &customers, job.known, job.concurrency, sink).await?;
        let f = &mut ledger.fetched;
        f.pages += transactions.pages;
        f.entries += transactions.entries;
        f.customers = transactions.customers;
        f.stopped = transactions.stopped;
        Ok(ledger)
    })
}

impl Client {
    /// Pages of `config.page_size`, at most 100; rate 25 a second unless `config` says.
    pub fn new(config: Config) -> Result<Client, ApiError> {
        Ok(Client { http: Http::new(config, SOURCE_NAME, KEY_NAME, Some(RateLimit::STRIPE))? })
    }

    /// The customer's available balance in each currency, from its credit balance summary
    /// for metered prices, dated when read.
    pub async fn balance(&self, customer: &str) -> Result<Vec<StatedAnchor>, ApiError> {
        let mut url = self.http.config.base.join(&["v1", "billing", "credit_balance_summary"]);
        url.query_pairs_mut()
            .append_pair("customer", customer)
            .append_pair("filter[type]", "applicability_scope")
            .append_pair("filter[applicability_scope][price_type]", "metered");
        let body = self.http.get(&url).await?;
        let summary: Summary = serde_json::from_slice(&body).map_err(|e| {
            self.http.bad_answer(
                &url,
                format!("{e}; expected {{\"object\": \"billing.credit_balance_summary\", \"balances\": [{{\"available_balance\": {{\"monetary\": {{\"currency\", \"value\"}}}}}}]}}"),
            )
        })?;
        let mut anchors = Vec::new();
        for b in summary.balances {
            let Some(m) = b.available_balance.monetary else {
                return Err(self
                    .http
                    .bad_answer(&url, "an available balance is not monetary; Reckon reads monetary billing credits"));
            };
            let currency = m.currency.to_ascii_lowercase();
            anchors.push(StatedAnchor {
                account: customer.to_string(),
                balance: decimal(m.value, exponent(&currency)),
                currency,
                at: None,
                url: self.http.shown(&url),
            });
        }
        Ok(anchors)
    }

    fn list_url(&self, segments: &[&str], customer: Option<&str>, cursor: Option<&str>) -> Url {
        let mut url = self.http.config.base.join(segments);
        {
            let mut query = url.query_pairs_mut();
            if let Some(c) = customer {
                query.append_pair("customer", c);
            }
            query.append_pair("limit", &self.http.config.page_size.clamp(1, MAX_PAGE).to_string());
            if let Some(c) = cursor {
                query.append_pair("starting_after", c);
            }
        }
        url
    }
}

/// Stripe's list envelope; the next cursor is the last object's ID.
fn envelope(body: &[u8]) -> Result<Envelope, String> {
    let list: List = serde_json::from_slice(body)
        .map_err(|e| format!("{e}; expected {{\"object\": \"list\", \"data\": [...], \"has_more\": bool}}"))?;
    let next = if list.has_more {
        match list.data.last().and_then(|e| e.get("id")).and_then(Value::as_str) {
            Some(id) if !id.is_empty() => Some(id.to_string()),
            _ => return Err("\"has_more\" is true but the page's last object has no \"id\" to page after".into()),
        }
    } else {
        None
    };
    Ok(Envelope { data: list.data, next })
}

fn customer_id(item: &Value) -> Option<String> {
    item.get("id").and_then(Value::as_str).filter(|id| !id.is_empty()).map(str::to_string)
}

fn is_time(v: &Value) -> bool {
    v.as_i64().is_some_and(|t| t >= 0)
}

impl Api for Client {
    fn http(&self) -> &Http {
        &self.http
    }

    /// The endpoint has no time filter: incremental runs stop at known IDs alone.
    fn ledger_url(&self, customer: &str, cursor: Option<&str>, _since: Option<i64>) -> Url {
        self.list_url(&["v1", "billing", "credit_balance_transactions"], Some(customer), cursor)
    }

    fn customers_url(&self, cursor: Option<&str>) -> Url {
        self.list_url(&["v1", "customers"], None, cursor)
    }

    fn envelope(&self, body: &[u8]) -> Result<Envelope, String> {
        envelope(body)
    }

    fn time_field(&self) -> (&'static str, fn(&Value) -> bool) {
        ("created", is_time)
    }

    fn customer_id(&self, item: &Value) -> Option<String> {
        customer_id(item)
    }
}

impl Api for Grants<'_> {
    fn http(&self) -> &Http {
        &self.0.http
    }

    fn ledger_url(&self, customer: &str, cursor: Option<&str>, _since: Option<i64>) -> Url {
        self.0.list_url(&["v1", "billing", "credit_grants"], Some(customer), cursor)
    }

    fn customers_url(&self, cursor: Option<&str>) -> Url {
        self.0.customers_url(cursor)
    }

    fn envelope(&self, body: &[u8]) -> Result<Envelope, String> {
        envelope(body)
    }

    fn time_field(&self) -> (&'static str, fn(&Value) -> bool) {
        ("created", is_time)
    }

    fn customer_id(&self, item: &Value) -> Option<String> {
        customer_id(item)
    }
}

/// Decimal places of `currency`'s smallest unit, as Stripe counts them (the engine's Stripe
/// readers keep the same lists).
pub fn exponent(currency: &str) -> u32 {
    const ZERO_DECIMAL: [&str; 16] = [
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf",
    ];
    const THREE_DECIMAL: [&str; 5] = ["bhd", "jod", "kwd", "omr", "tnd"];
    let lower = currency.to_ascii_lowercase();
    if ZERO_DECIMAL.contains(&lower.as_str()) {
        0
    } else if THREE_DECIMAL.contains(&lower.as_str()) {
        3
    } else {
        2
    }
}

/// `value` minor units with `exponent` decimal places, as a decimal string (`1050`, 2: `10.50`).
fn decimal(value: i64, exponent: u32) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let digits = value.unsigned_abs().to_string();
    if exponent == 0 {
        return format!("{sign}{digits}");
    }
    let e = exponent as usize;
    let padded = format!("{digits:0>width$}", width = e + 1);
    let (whole, frac) = padded.split_at(padded.len() - e);
    format!("{sign}{whole}.{frac}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minor_units_become_exact_decimals() {
        assert_eq!(decimal(1050, 2), "10.50");
        assert_eq!(decimal(5, 2), "0.05");
        assert_eq!(decimal(-300, 2), "-3.00");
        assert_eq!(decimal(1234, 0), "1234");
        assert_eq!(decimal(1234, 3), "1.234");
        assert_eq!(exponent("JPY"), 0);
        assert_eq!(exponent("kwd"), 3);
    }
}
