//! One GET, retried the way an API asks: 429 waits `Retry-After` (or `retry-after-ms`); 408,
//! 409, 5xx and failures to get an answer back off exponentially with jitter; a
//! `Stripe-Should-Retry` / `x-should-retry` header overrides that either way; 401/403 and other
//! answers stop at once. Retries are bounded in count and in total waiting. Every attempt first
//! waits its turn at the client's rate limiter.
//!
//! A hostile or broken server is held to [`Bounds`]: no redirect is followed, a body is read
//! chunk by chunk and refused past its cap, and every request ends by the sync's deadline.
//! What the server sends back is scrubbed of the key before anyone sees it.

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use tokio::time::Instant;
use url::Url;

use crate::limit::{Limiter, RateLimit};
use crate::{ApiError, BaseUrl};

/// An API key. Never printed: `Debug` shows it redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into())
    }
}

impl ApiKey {
    /// Keys shorter than this are not looked for in text: a short string would turn up in
    /// ordinary words, and no vendor issues keys that short.
    const MIN_REDACTED: usize = 8;
    const REDACTED: &'static [u8] = b"[redacted]";

    /// `bytes` with every occurrence of the key replaced by `[redacted]`; untouched (one
    /// vectorised search) when the key is not there, as on every honest page.
    pub(crate) fn redact(&self, bytes: Vec<u8>) -> Vec<u8> {
        let key = self.0.as_bytes();
        if key.len() < Self::MIN_REDACTED || memchr::memmem::find(&bytes, key).is_none() {
            return bytes;
        }
        let mut out = Vec::with_capacity(bytes.len());
        let mut rest = 0;
        for at in memchr::memmem::find_iter(&bytes, key) {
            if at >= rest {
                out.extend_from_slice(&bytes[rest..at]);
                out.extend_from_slice(Self::REDACTED);
                rest = at + key.len();
            }
        }
        out.extend_from_slice(&bytes[rest..]);
        out
    }

    /// `text` with the key replaced by `[redacted]`.
    pub(crate) fn redact_text(&self, text: &str) -> String {
        let key = &self.0;
        if key.len() < Self::MIN_REDACTED {
            return text.to_string();
        }
        text.replace(key.as_str(), "[redacted]")
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// How hard to try before giving up on a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts per request, the first included.
    pub attempts: u32,
    /// The first backoff; each retry doubles it, up to `max_backoff`. Jitter picks a wait
    /// between half of it and all of it.
    pub base: Duration,
    pub max_backoff: Duration,
    /// The longest `Retry-After` honoured; a longer one is cut to this.
    pub max_retry_after: Duration,
    /// The most time one request may spend waiting between its attempts, all waits together;
    /// a retry that would wait past it gives up instead.
    pub max_waiting: Duration,
}

impl Default for Retry {
    fn default() -> Retry {
        Retry {
            attempts: 5,
            base: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
            max_waiting: Duration::from_secs(180),
        }
    }
}

/// How far a sync may go, whatever the server says: a hostile or broken API ends with an error
/// naming the bound, and the pages already handed to the sink stay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// The most bytes one answer's body may hold (after any decoding), read chunk by chunk and
    /// refused as soon as it goes past.
    pub page_bytes: usize,
    /// The most entries one sync may bring, all customers together (a file's limit).
    pub entries: usize,
    /// Pages in a row that bring no entry (or customer) not seen before in this sync, after
    /// which paging stops: a server handing out fresh cursors forever.
    pub idle_pages: usize,
    /// The whole sync, every request, wait and retry of it, from the client's creation.
    pub deadline: Duration,
}

impl Bounds {
    /// 64 MiB a page: a page of 1000 entries is about 1 MB.
    pub const PAGE_BYTES: usize = 64 << 20;
    /// 50 million entries, as a file.
    pub const ENTRIES: usize = 50_000_000;
    pub const IDLE_PAGES: usize = 20;
    /// Six hours.
    pub const DEADLINE: Duration = Duration::from_secs(6 * 3600);
}

impl Default for Bounds {
    fn default() -> Bounds {
        Bounds {
            page_bytes: Bounds::PAGE_BYTES,
            entries: Bounds::ENTRIES,
            idle_pages: Bounds::IDLE_PAGES,
            deadline: Bounds::DEADLINE,
        }
    }
}

/// A size in words (`64 MiB`).
pub(crate) fn size(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// A duration in words (`6 h`, `30 min`, `1.5 s`).
fn duration(d: Duration) -> String {
    let secs = d.as_secs();
    if d.subsec_nanos() == 0 && secs >= 3600 && secs % 3600 == 0 {
        format!("{} h", secs / 3600)
    } else if d.subsec_nanos() == 0 && secs >= 60 && secs % 60 == 0 {
        format!("{} min", secs / 60)
    } else {
        format!("{:?}", d)
    }
}

/// Waits between attempts. Tests substitute one that records the waits and returns at once.
pub trait Pause: Send + Sync + std::fmt::Debug {
    fn pause(&self, wait: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// Sleeps on the tokio timer.
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioPause;

impl Pause for TokioPause {
    fn pause(&self, wait: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(wait))
    }
}

/// Where and how to call an API.
#[derive(Debug, Clone)]
pub struct Config {
    pub base: BaseUrl,
    /// Sent as `Authorization: Bearer {key}`.
    pub key: ApiKey,
    /// Entries per page asked for.
    pub page_size: usize,
    /// Fetch only entries from this time on (RFC 3339), passed to the API as it is.
    pub since: Option<String>,
    /// Per request, connecting included.
    pub timeout: Duration,
    pub retry: Retry,
    pub pause: Arc<dyn Pause>,
    /// Requests a second; `None`: the source's documented rate (Orb 100, Stripe 25; Reverie
    /// documents none and is not limited).
    pub rate_limit: Option<RateLimit>,
    pub bounds: Bounds,
}

impl Config {
    /// The defaults: pages of 500, 30 s per request, 5 attempts.
    pub fn new(base: BaseUrl, key: ApiKey) -> Config {
        Config {
            base,
            key,
            page_size: 500,
            since: None,
            timeout: Duration::from_secs(30),
            retry: Retry::default(),
            pause: Arc::new(TokioPause),
            rate_limit: None,
            bounds: Bounds::default(),
        }
    }
}

/// An HTTP client bound to one API and key.
#[derive(Debug)]
pub(crate) struct Http {
    client: reqwest::Client,
    pub(crate) config: Config,
    source_name: &'static str,
    /// What `reckon key set` calls the source's key (`orb`), for a rejected key.
    key_name: &'static str,
    limiter: Option<Limiter>,
    /// When the sync must be over (`bounds.deadline` from the client's creation).
    deadline: Instant,
    /// Entries counted so far, every customer together.
    entries: AtomicUsize,
}

impl Http {
    pub(crate) fn new(
        config: Config,
        source_name: &'static str,
        key_name: &'static str,
        default_rate: Option<RateLimit>,
    ) -> Result<Http, ApiError> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .user_agent(concat!("reckon-api/", env!("CARGO_PKG_VERSION")))
            // A redirect is an error naming both URLs (see `attempt`): following one to another
            // origin would store that server's answer as the ledger.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ApiError::Client(e.to_string()))?;
        let limiter = config.rate_limit.or(default_rate).map(Limiter::new);
        let deadline = Instant::now() + config.bounds.deadline.min(Duration::from_secs(100 * 365 * 86_400));
        Ok(Http { client, config, source_name, key_name, limiter, deadline, entries: AtomicUsize::new(0) })
    }

    /// The body of a 2xx answer to `GET url`, retrying what may pass, by the sync's deadline.
    /// The key is redacted from the body.
    pub(crate) async fn get(&self, url: &Url) -> Result<Vec<u8>, ApiError> {
        match tokio::time::timeout_at(self.deadline, self.get_retrying(url)).await {
            Ok(body) => Ok(self.config.key.redact(body?)),
            Err(_) => Err(ApiError::Deadline {
                source_name: self.source_name,
                url: self.shown(url),
                deadline: duration(self.config.bounds.deadline),
            }),
        }
    }

    /// A URL as messages and pages name it: without the key, should a server have put it in a
    /// cursor.
    pub(crate) fn shown(&self, url: &Url) -> String {
        self.config.key.redact_text(url.as_str())
    }

    /// Counts a page's entries against the sync's bound.
    pub(crate) fn count_entries(&self, url: &Url, entries: usize) -> Result<(), ApiError> {
        let limit = self.config.bounds.entries;
        let total = self.entries.fetch_add(entries, Ordering::Relaxed).saturating_add(entries);
        if total > limit {
            return Err(ApiError::TooManyEntries { source_name: self.source_name, url: self.shown(url), limit });
        }
        Ok(())
    }

    async fn get_retrying(&self, url: &Url) -> Result<Vec<u8>, ApiError> {
        let retry = self.config.retry;
        let attempts = retry.attempts.max(1);
        let name = self.source_name;
        let mut attempt = 0;
        let mut waited = Duration::ZERO;
        let within = |waited: Duration, wait: Duration| waited + wait <= retry.max_waiting;
        loop {
            attempt += 1;
            let last = attempt >= attempts;
            if let Some(limiter) = &self.limiter {
                limiter.acquire().await;
            }
            let wait = match self.attempt(url).await {
                Ok(body) => return Ok(body),
                Err(Failure::Final(e)) => return Err(e),
                Err(Failure::RateLimited(after)) => {
                    let wait = after.map_or_else(|| backoff(&retry, attempt), |a| a.min(retry.max_retry_after));
                    if last || !within(waited, wait) {
                        let url = self.shown(url);
                        return Err(ApiError::RateLimited { source_name: name, url, attempts: attempt });
                    }
                    wait
                }
                Err(Failure::Server(status)) => {
                    let wait = backoff(&retry, attempt);
                    if last || !within(waited, wait) {
                        return Err(ApiError::Unavailable {
                            source_name: name,
                            url: self.shown(url),
                            status,
                            attempts: attempt,
                        });
                    }
                    wait
                }
                Err(Failure::NoAnswer(detail)) => {
                    let wait = backoff(&retry, attempt);
                    if last || !within(waited, wait) {
                        let url = self.shown(url);
                        return Err(ApiError::Transport { source_name: name, url, attempts: attempt, detail });
                    }
                    wait
                }
            };
            waited += wait;
            self.config.pause.pause(wait).await;
        }
    }

    async fn attempt(&self, url: &Url) -> Result<Vec<u8>, Failure> {
        let answer = self
            .client
            .get(url.clone())
            .bearer_auth(&self.config.key.0)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| Failure::NoAnswer(describe(&e)))?;
        let status = answer.status();
        let should_retry = should_retry(answer.headers());
        if status.is_success() {
            let cap = self.config.bounds.page_bytes;
            return match read_body(answer, cap).await.map_err(|e| Failure::NoAnswer(describe(&e)))? {
                Body::Whole(body) => Ok(body),
                Body::Cut(_) => Err(Failure::Final(ApiError::PageTooLarge {
                    source_name: self.source_name,
                    url: self.shown(url),
                    limit: size(cap),
                })),
            };
        }
        if status.is_redirection() {
            let location = answer.headers().get(reqwest::header::LOCATION).map_or_else(
                || "(no Location given)".to_string(),
                |l| {
                    let text = String::from_utf8_lossy(l.as_bytes());
                    url.join(&text).map_or_else(|_| text.into_owned(), String::from)
                },
            );
            return Err(Failure::Final(ApiError::Redirect {
                source_name: self.source_name,
                url: self.shown(url),
                status: status.as_u16(),
                location: self.config.key.redact_text(&location),
            }));
        }
        let failure = self.classify(url, answer).await;
        Err(match (failure, should_retry) {
            (Failure::RateLimited(_) | Failure::Server(_), Some(false)) => Failure::Final(self.status_error(
                url,
                status.as_u16(),
                "the API said not to retry (should-retry: false)",
            )),
            (Failure::Final(ApiError::Status { status, .. }), Some(true)) => Failure::Server(status),
            (failure, _) => failure,
        })
    }

    /// What an answer other than 2xx means for the retry loop.
    async fn classify(&self, url: &Url, answer: reqwest::Response) -> Failure {
        let status = answer.status();
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Failure::Final(ApiError::KeyRejected {
                source_name: self.source_name,
                key_name: self.key_name,
                url: self.shown(url),
                status: status.as_u16(),
            }),
            StatusCode::TOO_MANY_REQUESTS => Failure::RateLimited(retry_after(answer.headers())),
            StatusCode::REQUEST_TIMEOUT | StatusCode::CONFLICT => Failure::Server(status.as_u16()),
            s if s.is_server_error() => Failure::Server(s.as_u16()),
            s => {
                // Only the start is shown: read no more than that, whatever the server sends.
                let body = match read_body(answer, ERROR_BODY_BYTES).await {
                    Ok(Body::Whole(b) | Body::Cut(b)) => self.config.key.redact(b),
                    Err(_) => Vec::new(),
                };
                let body: String = String::from_utf8_lossy(&body).chars().take(200).collect();
                let body = if body.trim().is_empty() { "(empty answer)".to_string() } else { body };
                Failure::Final(self.status_error(url, s.as_u16(), &body))
            }
        }
    }

    fn status_error(&self, url: &Url, status: u16, body: &str) -> ApiError {
        ApiError::Status { source_name: self.source_name, url: self.shown(url), status, body: body.to_string() }
    }

    pub(crate) fn bad_answer(&self, url: &Url, problem: impl Into<String>) -> ApiError {
        ApiError::BadAnswer {
            source_name: self.source_name,
            url: self.shown(url),
            problem: self.config.key.redact_text(&problem.into()),
        }
    }

    /// The error ending a run of pages that brought nothing new.
    pub(crate) fn idle(&self, url: &Url, pages: usize) -> ApiError {
        ApiError::IdlePages { source_name: self.source_name, url: self.shown(url), pages }
    }

    pub(crate) fn source_name(&self) -> &'static str {
        self.source_name
    }
}

/// How much of an error answer's body is read: its first 200 characters are shown.
const ERROR_BODY_BYTES: usize = 4 << 10;

/// A body read up to a cap.
enum Body {
    Whole(Vec<u8>),
    /// Went past the cap: the bytes up to it.
    Cut(Vec<u8>),
}

/// Reads a body chunk by chunk (decoded, if the client decodes), stopping as soon as it holds
/// more than `cap` bytes: an endless or huge answer never grows memory past the cap.
async fn read_body(mut answer: reqwest::Response, cap: usize) -> Result<Body, reqwest::Error> {
    let declared = answer.content_length().and_then(|n| usize::try_from(n).ok());
    let mut body = Vec::with_capacity(declared.unwrap_or(0).min(cap));
    while let Some(chunk) = answer.chunk().await? {
        if chunk.len() > cap - body.len() {
            body.extend_from_slice(&chunk[..cap - body.len()]);
            return Ok(Body::Cut(body));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Body::Whole(body))
}

/// Tracks a run of pages that bring nothing new: each entry's (or customer's) ID is hashed
/// into a set, and a page with no unseen ID extends the run.
#[derive(Default)]
pub(crate) struct Idle {
    seen: std::collections::HashSet<u64>,
    hasher: std::collections::hash_map::RandomState,
    run: usize,
}

impl Idle {
    /// Notes a page's IDs (`None`: an entry without one, which counts as new); the length of
    /// the run of pages without a new one, this page included.
    pub(crate) fn page<'a>(&mut self, ids: impl IntoIterator<Item = Option<&'a [u8]>>) -> usize {
        let mut new = false;
        for id in ids {
            new |= id.is_none_or(|id| self.seen.insert(self.hasher.hash_one(id)));
        }
        self.run = if new { 0 } else { self.run + 1 };
        self.run
    }
}

/// What went wrong with one attempt.
enum Failure {
    /// No retry can help.
    Final(ApiError),
    /// 429, with the `Retry-After` it gave in seconds, if any.
    RateLimited(Option<Duration>),
    /// 408, 409, 5xx.
    Server(u16),
    /// Timeout, refused connection, broken transfer.
    NoAnswer(String),
}

/// `Stripe-Should-Retry` or `x-should-retry` (OpenAI, Orb and others), if the answer has one.
fn should_retry(headers: &reqwest::header::HeaderMap) -> Option<bool> {
    ["stripe-should-retry", "x-should-retry"].iter().find_map(|name| {
        match headers.get(*name)?.to_str().ok()?.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    })
}

/// How long a 429 asks to wait: `retry-after-ms` (milliseconds, may be fractional) before
/// `Retry-After` (whole seconds; an HTTP date is not read and falls back to backoff).
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(ms) =
        text("retry-after-ms").and_then(|v| v.parse::<f64>().ok()).filter(|ms| ms.is_finite() && *ms >= 0.0)
    {
        return Some(Duration::from_secs_f64(ms.min(86_400_000.0) / 1000.0));
    }
    text("retry-after").and_then(|v| v.parse::<u64>().ok()).map(Duration::from_secs)
}

/// The wait before retry number `attempt` (1-based): the base doubled each time, capped, then
/// jittered into its upper half so clients that failed together do not retry together.
fn backoff(retry: &Retry, attempt: u32) -> Duration {
    let full = retry.base.saturating_mul(1 << (attempt - 1).min(16)).min(retry.max_backoff);
    let half = full / 2;
    let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
    let jitter = if nanos == 0 { 0 } else { random() % (nanos + 1) };
    half + Duration::from_nanos(jitter)
}

/// A random number from the standard library's randomly seeded hasher (no `rand` for this).
fn random() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0x9e37_79b9_7f4a_7c15);
    h.finish()
}

/// A transport error in words, without the URL (the caller names it).
fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "the answer broke off"
    } else {
        "request failed"
    };
    let mut detail = what.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    detail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_its_cap_with_jitter() {
        let retry =
            Retry { base: Duration::from_millis(100), max_backoff: Duration::from_millis(350), ..Retry::default() };
        for _ in 0..50 {
            let first = backoff(&retry, 1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100), "{first:?}");
            let third = backoff(&retry, 3);
            assert!(third >= Duration::from_millis(175) && third <= Duration::from_millis(350), "{third:?}");
        }
    }

    #[test]
    fn the_key_is_never_printed() {
        assert_eq!(format!("{:?}", ApiKey::new("sk_live_secret")), "ApiKey(<redacted>)");
    }
}
