//! Orb's credits ledger: `GET /v1/customers/{id}/credits/ledger` (or
//! `/v1/customers/external_customer_id/{id}/credits/ledger`), newest first, in pages of up to
//! 100 with `cursor`; `GET /v1/customers` for every customer. Paging, incremental stops and
//! resume are `newest`'s; this module knows Orb's URLs and envelope.

use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::fetch::Http;
use crate::newest::{self, Api, Envelope, Known};
use crate::{ApiError, Config, Fetched, Fetching, Job, Ledger, PageSink, RateLimit};

/// Names the API in messages.
pub const SOURCE_NAME: &str = "Orb API";
/// What `reckon key set` calls its key.
pub const KEY_NAME: &str = "orb";
/// The largest page Orb serves.
pub const MAX_PAGE: usize = 100;

/// Which of a customer's ledgers, and how customers are named.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Customers are given by `external_customer_id` instead of Orb's ID.
    pub external_ids: bool,
    /// Only this currency (`currency`), such as `USD` or a custom pricing unit.
    pub currency: Option<String>,
    /// Only `committed` or `pending` entries (`entry_status`).
    pub entry_status: Option<String>,
}

/// A client of one Orb account.
#[derive(Debug)]
pub struct Client {
    http: Http,
    options: Options,
}

#[derive(Deserialize)]
struct Answer {
    data: Vec<Value>,
    pagination_metadata: Pagination,
}

#[derive(Deserialize)]
struct Pagination {
    has_more: bool,
    #[serde(default)]
    next_cursor: Option<String>,
}

/// Orb's [`crate::Fetch`]: the ledgers of `job.customers` (every customer when `None`),
/// `job.concurrency` at a time, each stopping at what `job.known` holds.
pub fn fetch<'a, E: From<ApiError> + 'static>(job: Job<'a>, sink: &'a mut dyn PageSink<Error = E>) -> Fetching<'a, E> {
    Box::pin(async move {
        let client = Client::new(job.config, Options::default())?;
        let customers = match job.customers {
            Some(c) => c,
            None => client.customers().await?,
        };
        let fetched = client.fetch_ledgers(&customers, job.known, job.concurrency, sink).await?;
        Ok(Ledger { fetched, balance: None, anchors: Vec::new() })
    })
}

impl Client {
    /// Pages of `config.page_size`, at most 100; rate 100 a second unless `config` says.
    pub fn new(config: Config, options: Options) -> Result<Client, ApiError> {
        Ok(Client { http: Http::new(config, SOURCE_NAME, KEY_NAME, Some(RateLimit::ORB))?, options })
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

    /// Every customer's Orb ID.
    pub async fn customers(&self) -> Result<Vec<String>, ApiError> {
        newest::customers(self).await
    }

    fn limit(&self) -> String {
        self.http.config.page_size.clamp(1, MAX_PAGE).to_string()
    }
}

impl Api for Client {
    fn http(&self) -> &Http {
        &self.http
    }

    fn ledger_url(&self, customer: &str, cursor: Option<&str>, since: Option<i64>) -> Url {
        let base = &self.http.config.base;
        let mut url = if self.options.external_ids {
            base.join(&["v1", "customers", "external_customer_id", customer, "credits", "ledger"])
        } else {
            base.join(&["v1", "customers", customer, "credits", "ledger"])
        };
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("limit", &self.limit());
            if let Some(c) = cursor {
                query.append_pair("cursor", c);
            }
            if let Some(currency) = &self.options.currency {
                query.append_pair("currency", currency);
            }
            if let Some(status) = &self.options.entry_status {
                query.append_pair("entry_status", status);
            }
            if let Some(since) = since {
                query.append_pair("created_at[gte]", &rfc3339(since));
            }
        }
        url
    }

    fn customers_url(&self, cursor: Option<&str>) -> Url {
        let mut url = self.http.config.base.join(&["v1", "customers"]);
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("limit", &self.limit());
            if let Some(c) = cursor {
                query.append_pair("cursor", c);
            }
        }
        url
    }

    fn envelope(&self, body: &[u8]) -> Result<Envelope, String> {
        let answer: Answer = serde_json::from_slice(body).map_err(|e| {
            format!("{e}; expected {{\"data\": [...], \"pagination_metadata\": {{\"has_more\": bool, \"next_cursor\": \"...\" or null}}}}")
        })?;
        let next = match (answer.pagination_metadata.has_more, answer.pagination_metadata.next_cursor) {
            (true, Some(c)) if !c.is_empty() => Some(c),
            (true, _) => return Err("\"has_more\" is true but \"next_cursor\" is empty".into()),
            (false, _) => None,
        };
        Ok(Envelope { data: answer.data, next })
    }

    fn time_field(&self) -> (&'static str, fn(&Value) -> bool) {
        ("created_at", |v| v.as_str().is_some_and(looks_rfc3339))
    }

    fn customer_id(&self, item: &Value) -> Option<String> {
        item.get("id").and_then(Value::as_str).filter(|id| !id.is_empty()).map(str::to_string)
    }
}

/// `YYYY-MM-DDTHH:MM:SS` then anything (fraction, `Z` or offset): enough to know the field
/// is a time; the reader parses it for real.
fn looks_rfc3339(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && matches!(b[10], b'T' | b't' | b' ')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
}

/// Unix seconds as RFC 3339 UTC (`2026-03-01T08:00:00Z`), by Howard Hinnant's civil-from-days.
fn rfc3339(unix: i64) -> String {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_seconds_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_772_352_000), "2026-03-01T08:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn times_are_recognised() {
        assert!(looks_rfc3339("2026-03-01T08:00:00Z"));
        assert!(looks_rfc3339("2026-03-01T08:00:00.123+00:00"));
        assert!(!looks_rfc3339("yesterday"));
        assert!(!looks_rfc3339("2026-03-01"));
    }
}
