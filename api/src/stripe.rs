//! Stripe's customer balance transactions: `GET /v1/customers/{id}/balance_transactions`,
//! newest first, in pages of up to 100, the next page `starting_after` the last ID of this
//! one; `GET /v1/customers` for every customer. Paging, incremental stops and resume are
//! `newest`'s; this module knows Stripe's URLs and list envelope.

use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::fetch::Http;
use crate::newest::{self, Api, Envelope, Known};
use crate::{ApiError, Config, Fetched, Fetching, Job, Ledger, PageSink, RateLimit};

/// Names the API in messages.
pub const SOURCE_NAME: &str = "Stripe API";
/// What `reckon key set` calls its key.
pub const KEY_NAME: &str = "stripe";
/// The largest page Stripe serves.
pub const MAX_PAGE: usize = 100;

/// A client of one Stripe account.
#[derive(Debug)]
pub struct Client {
    http: Http,
}

#[derive(Deserialize)]
struct List {
    data: Vec<Value>,
    has_more: bool,
}

/// Stripe's [`crate::Fetch`]: the ledgers of `job.customers` (every customer when `None`),
/// `job.concurrency` at a time, each stopping at what `job.known` holds.
pub fn fetch<'a, E: From<ApiError> + 'static>(job: Job<'a>, sink: &'a mut dyn PageSink<Error = E>) -> Fetching<'a, E> {
    Box::pin(async move {
        let client = Client::new(job.config)?;
        let customers = match job.customers {
            Some(c) => c,
            None => client.customers().await?,
        };
        let fetched = client.fetch_ledgers(&customers, job.known, job.concurrency, sink).await?;
        Ok(Ledger { fetched, balance: None, anchors: Vec::new() })
    })
}

impl Client {
    /// Pages of `config.page_size`, at most 100; rate 25 a second unless `config` says.
    pub fn new(config: Config) -> Result<Client, ApiError> {
        Ok(Client { http: Http::new(config, SOURCE_NAME, KEY_NAME, Some(RateLimit::STRIPE))? })
    }

    /// One customer's new pages (all of them the first time), handed to `sink` oldest page
    /// first once the fetch reaches known ground or the end (see `newest`).
    pub async fn fetch_ledger<S: PageSink + ?Sized>(
        &self,
        customer: &str,
        known: &dyn Known,
        sink: &mut S,
    ) -> Result<Fetched, S::Error> {
        newest::fetch_one(self, customer, known, sink).await
    }

    /// Several customers' ledgers, `concurrency` at a time, sharing the rate limiter.
    pub async fn fetch_ledgers<S: PageSink + ?Sized>(
        &self,
        customers: &[String],
        known: &dyn Known,
        concurrency: usize,
        sink: &mut S,
    ) -> Result<Fetched, S::Error> {
        newest::fetch_many(self, customers, known, concurrency, sink).await
    }

    /// Every customer's ID (`cus_...`).
    pub async fn customers(&self) -> Result<Vec<String>, ApiError> {
        newest::customers(self).await
    }

    fn list_url(&self, segments: &[&str], cursor: Option<&str>) -> Url {
        let mut url = self.http.config.base.join(segments);
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("limit", &self.http.config.page_size.clamp(1, MAX_PAGE).to_string());
            if let Some(c) = cursor {
                query.append_pair("starting_after", c);
            }
        }
        url
    }
}

impl Api for Client {
    fn http(&self) -> &Http {
        &self.http
    }

    fn ledger_url(&self, customer: &str, cursor: Option<&str>, since: Option<i64>) -> Url {
        let mut url = self.list_url(&["v1", "customers", customer, "balance_transactions"], cursor);
        if let Some(since) = since {
            url.query_pairs_mut().append_pair("created[gte]", &since.to_string());
        }
        url
    }

    fn customers_url(&self, cursor: Option<&str>) -> Url {
        self.list_url(&["v1", "customers"], cursor)
    }

    fn envelope(&self, body: &[u8]) -> Result<Envelope, String> {
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

    fn time_field(&self) -> (&'static str, fn(&Value) -> bool) {
        ("created", |v| v.as_i64().is_some_and(|t| t >= 0))
    }

    fn customer_id(&self, item: &Value) -> Option<String> {
        item.get("id").and_then(Value::as_str).filter(|id| !id.is_empty()).map(str::to_string)
    }
}
