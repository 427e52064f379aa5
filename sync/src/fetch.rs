//! One GET, retried the way an API asks: 429 waits `Retry-After`, 5xx and failures to get an
//! answer back off exponentially with jitter, 401/403 and other answers stop at once.

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use url::Url;

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
}

impl Default for Retry {
    fn default() -> Retry {
        Retry {
            attempts: 5,
            base: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
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
        }
    }
}

/// An HTTP client bound to one API and key.
#[derive(Debug)]
pub(crate) struct Http {
    client: reqwest::Client,
    pub(crate) config: Config,
    source_name: &'static str,
}

impl Http {
    pub(crate) fn new(config: Config, source_name: &'static str) -> Result<Http, SyncError> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .user_agent(concat!("reckon-sync/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SyncError::Client(e.to_string()))?;
        Ok(Http { client, config, source_name })
    }

    /// The body of a 2xx answer to `GET url`, retrying what may pass.
    pub(crate) async fn get(&self, url: &Url) -> Result<Vec<u8>, SyncError> {
        let retry = self.config.retry;
        let attempts = retry.attempts.max(1);
        let name = self.source_name;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= attempts;
            let wait = match self.attempt(url).await {
                Ok(body) => return Ok(body),
                Err(Failure::Final(e)) => return Err(e),
                Err(Failure::RateLimited(after)) => {
                    if last {
                        return Err(SyncError::RateLimited { source_name: name, url: url.to_string(), attempts });
                    }
                    after.map_or_else(|| backoff(&retry, attempt), |a| a.min(retry.max_retry_after))
                }
                Err(Failure::Server(status)) => {
                    if last {
                        return Err(SyncError::Unavailable {
                            source_name: name,
                            url: url.to_string(),
                            status,
                            attempts,
                        });
                    }
                    backoff(&retry, attempt)
                }
                Err(Failure::NoAnswer(detail)) => {
                    if last {
                        return Err(SyncError::Transport { source_name: name, url: url.to_string(), attempts, detail });
                    }
                    backoff(&retry, attempt)
                }
            };
            self.config.pause.pause(wait).await;
        }
    }

    async fn attempt(&self, url: &Url) -> Result<Vec<u8>, Failure> {
        let name = self.source_name;
        let answer = self
            .client
            .get(url.clone())
            .bearer_auth(&self.config.key.0)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| Failure::NoAnswer(describe(&e)))?;
        let status = answer.status();
        match status {
            s if s.is_success() => {
                answer.bytes().await.map(|b| b.to_vec()).map_err(|e| Failure::NoAnswer(describe(&e)))
            }
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(Failure::Final(SyncError::KeyRejected {
                source_name: name,
                url: url.to_string(),
                status: status.as_u16(),
            })),
            StatusCode::TOO_MANY_REQUESTS => {
                let after = answer
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                Err(Failure::RateLimited(after))
            }
            s if s.is_server_error() => Err(Failure::Server(s.as_u16())),
            s => {
                let body = answer.text().await.unwrap_or_default();
                let body: String = body.chars().take(200).collect();
                Err(Failure::Final(SyncError::Status {
                    source_name: name,
                    url: url.to_string(),
                    status: s.as_u16(),
                    body: if body.trim().is_empty() { "(empty answer)".into() } else { body },
                }))
            }
        }
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
    /// 5xx.
    Server(u16),
    /// Timeout, refused connection, broken transfer.
    NoAnswer(String),
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
