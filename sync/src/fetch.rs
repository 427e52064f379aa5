//! One GET, retried the way an API asks: 429 waits `Retry-After` (or `retry-after-ms`); 408,
//! 409, 5xx and failures to get an answer back off exponentially with jitter; a
//! `Stripe-Should-Retry` / `x-should-retry` header overrides that either way; 401/403 and other
//! answers stop at once. Retries are bounded in count and in total waiting. Every attempt first
//! waits its turn at the client's rate limiter.

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use url::Url;

use crate::limit::{Limiter, RateLimit};
use crate::{BaseUrl, SyncError};

/// An API key. Never printed: `Debug` shows it redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into())
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
}

impl Http {
    pub(crate) fn new(
        config: Config,
        source_name: &'static str,
        key_name: &'static str,
        default_rate: Option<RateLimit>,
    ) -> Result<Http, SyncError> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .user_agent(concat!("reckon-sync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SyncError::Client(e.to_string()))?;
        let limiter = config.rate_limit.or(default_rate).map(Limiter::new);
        Ok(Http { client, config, source_name, key_name, limiter })
    }

    /// The body of a 2xx answer to `GET url`, retrying what may pass.
    pub(crate) async fn get(&self, url: &Url) -> Result<Vec<u8>, SyncError> {
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
                        let url = url.to_string();
                        return Err(SyncError::RateLimited { source_name: name, url, attempts: attempt });
                    }
                    wait
                }
                Err(Failure::Server(status)) => {
                    let wait = backoff(&retry, attempt);
                    if last || !within(waited, wait) {
                        return Err(SyncError::Unavailable {
                            source_name: name,
                            url: url.to_string(),
                            status,
                            attempts: attempt,
                        });
                    }
                    wait
                }
                Err(Failure::NoAnswer(detail)) => {
                    let wait = backoff(&retry, attempt);
                    if last || !within(waited, wait) {
                        let url = url.to_string();
                        return Err(SyncError::Transport { source_name: name, url, attempts: attempt, detail });
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
            return answer.bytes().await.map(|b| b.to_vec()).map_err(|e| Failure::NoAnswer(describe(&e)));
        }
        let failure = self.classify(url, answer).await;
        Err(match (failure, should_retry) {
            (Failure::RateLimited(_) | Failure::Server(_), Some(false)) => Failure::Final(self.status_error(
                url,
                status.as_u16(),
                "the API said not to retry (should-retry: false)",
            )),
            (Failure::Final(SyncError::Status { status, .. }), Some(true)) => Failure::Server(status),
            (failure, _) => failure,
        })
    }

    /// What an answer other than 2xx means for the retry loop.
    async fn classify(&self, url: &Url, answer: reqwest::Response) -> Failure {
        let status = answer.status();
        match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Failure::Final(SyncError::KeyRejected {
                source_name: self.source_name,
                key_name: self.key_name,
                url: url.to_string(),
                status: status.as_u16(),
            }),
            StatusCode::TOO_MANY_REQUESTS => Failure::RateLimited(retry_after(answer.headers())),
            StatusCode::REQUEST_TIMEOUT | StatusCode::CONFLICT => Failure::Server(status.as_u16()),
            s if s.is_server_error() => Failure::Server(s.as_u16()),
            s => {
                let body = answer.text().await.unwrap_or_default();
                let body: String = body.chars().take(200).collect();
                let body = if body.trim().is_empty() { "(empty answer)".to_string() } else { body };
                Failure::Final(self.status_error(url, s.as_u16(), &body))
            }
        }
    }

    fn status_error(&self, url: &Url, status: u16, body: &str) -> SyncError {
        SyncError::Status { source_name: self.source_name, url: url.to_string(), status, body: body.to_string() }
    }

    pub(crate) fn bad_answer(&self, url: &Url, problem: impl Into<String>) -> SyncError {
        SyncError::BadAnswer { source_name: self.source_name, url: url.to_string(), problem: problem.into() }
    }

    pub(crate) fn source_name(&self) -> &'static str {
        self.source_name
    }
}

/// What went wrong with one attempt.
enum Failure {
    /// No retry can help.
    Final(SyncError),
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
