//! Reverie's Open API (FORMATS.md section 1): `GET /v1/ledger` in pages, oldest first, until
//! `next_cursor` is null; `GET /v1/balance` for the balance the account page states now.

use std::collections::HashSet;
use std::ops::ControlFlow;

use serde::de::IgnoredAny;
use serde::Deserialize;

use crate::fetch::Http;
use crate::{Config, Fetched, Page, PageSink, SyncError};

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

/// The envelope of a ledger page; the entries are the caller's to read.
#[derive(Deserialize)]
struct LedgerPage {
    data: Vec<IgnoredAny>,
    /// Absent reads as null: the last page.
    #[serde(default)]
    next_cursor: Option<String>,
}

#[derive(Deserialize)]
struct BalanceAnswer {
    balance: String,
    as_of: String,
}

impl Client {
    pub fn new(config: Config) -> Result<Client, SyncError> {
        Ok(Client { http: Http::new(config, SOURCE_NAME, KEY_NAME, None)? })
    }

    /// Pages through the ledger, oldest first, handing each page to `sink` as it arrives,
    /// until the API says there is no next page or the sink says stop.
    pub async fn fetch_ledger<S: PageSink>(&self, sink: &mut S) -> Result<Fetched, S::Error> {
        let config = &self.http.config;
        let mut fetched = Fetched::default();
        let mut seen = HashSet::new();
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
                    return Err(SyncError::RepeatedCursor {
                        source_name: self.http.source_name(),
                        url: url.to_string(),
                        cursor: next.clone(),
                    }
                    .into());
                }
            }
            let entries = page.data.len();
            let next_cursor = page.next_cursor;
            let flow = sink.page(Page {
                url: url.to_string(),
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
    pub async fn fetch_balance(&self) -> Result<Balance, SyncError> {
        let url = self.http.config.base.join(&["v1", "balance"]);
        let body = self.http.get(&url).await?;
        let answer: BalanceAnswer = serde_json::from_slice(&body).map_err(|e| {
            self.http.bad_answer(
                &url,
                format!("{e}; expected {{\"balance\": \"decimal string\", \"as_of\": \"RFC 3339 time\"}}"),
            )
        })?;
        Ok(Balance { balance: answer.balance, as_of: answer.as_of, url: url.to_string() })
    }
}
