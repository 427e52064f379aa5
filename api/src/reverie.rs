//! Reverie's Open API (FORMATS.md section 1): `GET /v1/ledger` in pages, oldest first, until
//! `next_cursor` is null; `GET /v1/balance` for the balance the account page states now.

use std::collections::HashSet;
use std::ops::ControlFlow;

use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::fetch::{Http, Idle};
use crate::{ApiError, Config, Fetched, Fetching, Job, Ledger, Page, PageSink};

/// Names the API in messages.
pub const SOURCE_NAME: &str = "Reverie Open API";
/// What `reckon key set` calls its key.
pub const KEY_NAME: &str = "reverie";

/// A client of one Reverie account's Open API.
#[derive(Debug)]
pub struct Client {
    http: Http,
}

/// What `/v1/balance` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    /// The decimal string as the API wrote it.
    pub balance: String,
    /// When the API says the balance held (RFC 3339), as written.
    pub as_of: String,
    pub url: String,
}

/// The envelope of a ledger page; the entries are the caller's to read, but for their IDs
/// (whether a page brought anything new).
#[derive(Deserialize)]
struct LedgerPage {
    data: Vec<EntryId>,
    /// Absent reads as null: the last page.
    #[serde(default)]
    next_cursor: Option<String>,
}

/// An entry's `id` as its JSON text, if it is an object with one; anything else is the reader's
/// to refuse, with a line and column.
struct EntryId(Option<String>);

impl<'de> Deserialize<'de> for EntryId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<EntryId, D::Error> {
        deserializer.deserialize_any(EntryIdVisitor)
    }
}

struct EntryIdVisitor;

impl<'de> Visitor<'de> for EntryIdVisitor {
    type Value = EntryId;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a ledger entry")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EntryId, A::Error> {
        let mut id = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "id" {
                id = Some(map.next_value::<serde_json::Value>()?.to_string());
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(EntryId(id))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<EntryId, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(EntryId(None))
    }

    fn visit_bool<E>(self, _: bool) -> Result<EntryId, E> {
        Ok(EntryId(None))
    }
    fn visit_i64<E>(self, _: i64) -> Result<EntryId, E> {
        Ok(EntryId(None))
    }
    fn visit_u64<E>(self, _: u64) -> Result<EntryId, E> {
        Ok(EntryId(None))
    }
    fn visit_f64<E>(self, _: f64) -> Result<EntryId, E> {
        Ok(EntryId(None))
    }
    fn visit_str<E>(self, _: &str) -> Result<EntryId, E> {
        Ok(EntryId(None))
    }
    fn visit_unit<E>(self) -> Result<EntryId, E> {
        Ok(EntryId(None))
    }
}

#[derive(Deserialize)]
struct BalanceAnswer {
    balance: String,
    as_of: String,
}

/// Reverie's [`crate::Fetch`]: the ledger from `job.config.since` on, then, unless the sink
/// stopped it, the balance the API states now. Reverie has one ledger per key: no customers.
pub fn fetch<'a, E: From<ApiError> + 'static>(job: Job<'a>, sink: &'a mut dyn PageSink<Error = E>) -> Fetching<'a, E> {
    Box::pin(async move {
        let client = Client::new(job.config)?;
        let fetched = client.fetch_ledger(sink).await?;
        let balance = if fetched.stopped { None } else { Some(client.fetch_balance().await?) };
        Ok(Ledger { fetched, balance, anchors: Vec::new() })
    })
}

impl Client {
    pub fn new(config: Config) -> Result<Client, ApiError> {
        Ok(Client { http: Http::new(config, SOURCE_NAME, KEY_NAME, None)? })
    }

    /// Pages through the ledger, oldest first, handing each page to `sink` as it arrives,
    /// until the API says there is no next page or the sink says stop.
    pub async fn fetch_ledger<S: PageSink + ?Sized>(&self, sink: &mut S) -> Result<Fetched, S::Error> {
        let config = &self.http.config;
        let mut fetched = Fetched::default();
        let mut seen = HashSet::new();
        let mut idle = Idle::default();
        let mut cursor: Option<String> = None;
        loop {
            let mut url = config.base.join(&["v1", "ledger"]);
            {
                let mut query = url.query_pairs_mut();
                query.append_pair("limit", &config.page_size.to_string());
                if let Some(c) = &cursor {
                    query.append_pair("cursor", c);
                }
                if let Some(since) = &config.since {
                    query.append_pair("since", since);
                }
            }
            let body = self.http.get(&url).await?;
            let page: LedgerPage = serde_json::from_slice(&body).map_err(|e| {
                self.http.bad_answer(
                    &url,
                    format!("{e}; expected {{\"data\": [entry, ...], \"next_cursor\": \"...\" or null}}"),
                )
            })?;
            if let Some(next) = &page.next_cursor {
                if !seen.insert(next.clone()) {
                    return Err(ApiError::RepeatedCursor {
                        source_name: self.http.source_name(),
                        url: self.http.shown(&url),
                        cursor: config.key.redact_text(next),
                    }
                    .into());
                }
            }
            let entries = page.data.len();
            self.http.count_entries(&url, entries)?;
            let run = idle.page(page.data.iter().map(|e| e.0.as_deref().map(str::as_bytes)));
            if page.next_cursor.is_some() && run >= config.bounds.idle_pages.max(1) {
                return Err(self.http.idle(&url, run).into());
            }
            let next_cursor = page.next_cursor;
            let flow = sink.page(Page {
                url: self.http.shown(&url),
                body,
                next_cursor: next_cursor.clone(),
                index: fetched.pages,
                entries,
                customer: None,
            })?;
            fetched.pages += 1;
            fetched.entries += entries;
            match (flow, next_cursor) {
                (ControlFlow::Break(()), Some(_)) => {
                    fetched.stopped = true;
                    return Ok(fetched);
                }
                (_, None) => return Ok(fetched),
                (ControlFlow::Continue(()), next) => cursor = next,
            }
        }
    }

    /// The balance the account page states now.
    pub async fn fetch_balance(&self) -> Result<Balance, ApiError> {
        let url = self.http.config.base.join(&["v1", "balance"]);
        let body = self.http.get(&url).await?;
        let answer: BalanceAnswer = serde_json::from_slice(&body).map_err(|e| {
            self.http.bad_answer(
                &url,
                format!("{e}; expected {{\"balance\": \"decimal string\", \"as_of\": \"RFC 3339 time\"}}"),
            )
        })?;
        Ok(Balance { balance: answer.balance, as_of: answer.as_of, url: self.http.shown(&url) })
    }
}
