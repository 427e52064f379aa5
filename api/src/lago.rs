//! Lago's wallets: `GET /api/v1/wallets/{id}/wallet_transactions?page=N&per_page=M`, newest
//! first, paged by page number until `meta.next_page` is null, and `GET /api/v1/wallets/{id}`
//! for the wallet's `credits_balance`. Paging, incremental stops and resume are `newest`'s (a
//! wallet is its "customer", the page number its cursor); this module knows Lago's URLs and
//! envelope, and reads the wallet first so its balance is an anchor at the time it was read.

use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::fetch::Http;
use crate::newest::{self, Api, Envelope, Known};
use crate::{ApiError, Config, Fetched, Fetching, Job, Ledger, PageSink, StatedAnchor};

/// Names the API in messages.
pub const SOURCE_NAME: &str = "Lago API";
/// What `reckon key set` calls its key.
pub const KEY_NAME: &str = "lago";
/// The largest page Lago serves (`per_page`).
pub const MAX_PAGE: usize = 100;
/// The currency a wallet's ledger is kept in: its credits (never the money `amount`).
pub const CURRENCY: &str = "credits";

/// A client of one Lago organization.
#[derive(Debug)]
pub struct Client {
    http: Http,
}

#[derive(Deserialize)]
struct Answer {
    wallet_transactions: Vec<Value>,
    meta: Meta,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(default)]
    next_page: Option<Value>,
}

#[derive(Deserialize)]
struct WalletAnswer {
    wallet: Wallet,
}

#[derive(Deserialize)]
struct Wallet {
    lago_id: String,
    credits_balance: Value,
}

/// Lago's [`crate::Fetch`]: for each wallet in `job.customers`, its balance (read first), then
/// its new transactions, stopping at what `job.known` holds. Lago lists wallets per customer
/// only, so a wallet must be named.
pub fn fetch<'a, E: From<ApiError> + 'static>(job: Job<'a>, sink: &'a mut dyn PageSink<Error = E>) -> Fetching<'a, E> {
    Box::pin(async move {
        let client = Client::new(job.config)?;
        let wallets = job.customers.ok_or(ApiError::NameTheLedger {
            source_name: SOURCE_NAME,
            what: "Lago keeps a ledger per wallet and lists wallets per customer only, so every wallet of the organization cannot be fetched: name the wallet (its lago_id, --wallet)",
        })?;
        let mut anchors = Vec::with_capacity(wallets.len());
        for wallet in &wallets {
            anchors.push(client.balance(wallet).await?);
        }
        let fetched = newest::fetch_many(&client, &wallets, job.known, job.concurrency, sink).await?;
        if fetched.stopped {
            anchors.clear();
        }
        Ok(Ledger { fetched, anchors, ..Ledger::default() })
    })
}

impl Client {
    /// Pages of `config.page_size`, at most 100; Lago documents no rate limit, so none unless
    /// `config` sets one.
    pub fn new(config: Config) -> Result<Client, ApiError> {
        Ok(Client { http: Http::new(config, SOURCE_NAME, KEY_NAME, None)? })
    }

    /// One wallet's new pages (all of them the first time), handed to `sink` oldest page
    /// first once the fetch reaches known ground or the end (see `newest`).
    pub async fn fetch_ledger<S: PageSink + ?Sized>(
        &self,
        wallet: &str,
        known: &dyn Known,
        sink: &mut S,
    ) -> Result<Fetched, S::Error> {
        newest::fetch_one(self, wallet, known, sink).await
    }

    /// The wallet's `credits_balance` now, as an anchor of its ledger (`wallet`/credits).
    pub async fn balance(&self, wallet: &str) -> Result<StatedAnchor, ApiError> {
        let url = self.http.config.base.join(&["api", "v1", "wallets", wallet]);
        let body = self.http.get(&url).await?;
        let answer: WalletAnswer = serde_json::from_slice(&body).map_err(|e| {
            self.http.bad_answer(
                &url,
                format!("{e}; expected {{\"wallet\": {{\"lago_id\": \"...\", \"credits_balance\": \"decimal string\", ...}}}}"),
            )
        })?;
        let balance = match answer.wallet.credits_balance {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            other => return Err(self.http.bad_answer(&url, format!("\"credits_balance\" is {other}, not a decimal"))),
        };
        if answer.wallet.lago_id != wallet {
            return Err(self.http.bad_answer(
                &url,
                format!("the wallet answered is {:?}, not the wallet {wallet:?} asked for", answer.wallet.lago_id),
            ));
        }
        Ok(StatedAnchor {
            account: wallet.to_string(),
            currency: CURRENCY.to_string(),
            balance,
            at: None,
            url: self.http.shown(&url),
        })
    }

    fn per_page(&self) -> String {
        self.http.config.page_size.clamp(1, MAX_PAGE).to_string()
    }
}

impl Api for Client {
    fn http(&self) -> &Http {
        &self.http
    }

    /// The cursor is the page number; Lago filters wallet transactions by status and type but
    /// not by time, so `since` is not sent.
    fn ledger_url(&self, wallet: &str, cursor: Option<&str>, _since: Option<i64>) -> Url {
        let mut url = self.http.config.base.join(&["api", "v1", "wallets", wallet, "wallet_transactions"]);
        url.query_pairs_mut().append_pair("page", cursor.unwrap_or("1")).append_pair("per_page", &self.per_page());
        url
    }

    fn customers_url(&self, cursor: Option<&str>) -> Url {
        let mut url = self.http.config.base.join(&["api", "v1", "wallets"]);
        url.query_pairs_mut().append_pair("page", cursor.unwrap_or("1")).append_pair("per_page", &self.per_page());
        url
    }

    fn envelope(&self, body: &[u8]) -> Result<Envelope, String> {
        const SHAPE: &str =
            "{\"wallet_transactions\": [...], \"meta\": {\"current_page\", \"next_page\": number or null, ...}}";
        let answer: Answer = serde_json::from_slice(body).map_err(|e| format!("{e}; expected {SHAPE}"))?;
        let next = match answer.meta.next_page {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.as_u64().is_some_and(|n| n >= 1) => Some(n.to_string()),
            Some(Value::String(s)) if s.parse::<u64>().is_ok_and(|n| n >= 1) => Some(s),
            Some(other) => return Err(format!("\"meta.next_page\" is {other}, not a page number or null")),
        };
        Ok(Envelope { data: answer.wallet_transactions, next })
    }

    fn time_field(&self) -> (&'static str, fn(&Value) -> bool) {
        ("created_at", |v| {
            v.as_str().is_some_and(|t| t.len() >= 19 && t.as_bytes()[4] == b'-' && t.as_bytes()[10] == b'T')
        })
    }

    fn customer_id(&self, item: &Value) -> Option<String> {
        item.get("lago_id").and_then(Value::as_str).filter(|id| !id.is_empty()).map(str::to_string)
    }

    fn id_field(&self) -> (&'static str, &'static str) {
        ("lago_id", "\"lago_id\"")
    }
}
