//! A client-side rate limiter: a token bucket of one token, refilled every `1 / rate`, so
//! requests leave evenly spaced and no window of one second holds more than the vendor's
//! documented rate. One limiter per client, shared by every customer it fetches.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// How many requests a second a source may be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_second: u32,
}

impl RateLimit {
    /// Orb documents 100 requests a second.
    pub const ORB: RateLimit = RateLimit { per_second: 100 };
    /// Stripe documents 25 requests a second per endpoint (live mode reads).
    pub const STRIPE: RateLimit = RateLimit { per_second: 25 };

    /// The gap between two requests. The bucket aims 2% under the rate, so a request that
    /// reaches the server a little late cannot tip a one-second window over it.
    fn interval(self) -> Duration {
        Duration::from_secs(1).mul_f64(1.02) / self.per_second.max(1)
    }
}

/// Hands out the right to send one request at a time, no faster than the rate.
#[derive(Debug)]
pub(crate) struct Limiter {
    interval: Duration,
    /// When the next request may leave; `None` before the first.
    next: Mutex<Option<Instant>>,
}

impl Limiter {
    pub(crate) fn new(rate: RateLimit) -> Limiter {
        Limiter { interval: rate.interval(), next: Mutex::new(None) }
    }

    /// Waits for this request's turn. Turns are taken in order of asking, so concurrent
    /// callers queue instead of racing, and the gap is counted from the moment a request
    /// actually leaves, never from a turn a sleep overshot.
    pub(crate) async fn acquire(&self) {
        let turn = {
            let mut next = self.next.lock().expect("limiter lock");
            let now = Instant::now();
            let turn = next.map_or(now, |n| n.max(now));
            *next = Some(turn + self.interval);
            turn
        };
        tokio::time::sleep_until(turn).await;
        let late = Instant::now();
        let mut next = self.next.lock().expect("limiter lock");
        // A sleep that overshot pushes the queue back by as much, keeping every gap whole.
        if let Some(n) = next.as_mut() {
            *n += late.saturating_duration_since(turn);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_leave_evenly_spaced() {
        let limiter = Limiter::new(RateLimit { per_second: 50 });
        let start = std::time::Instant::now();
        for _ in 0..11 {
            limiter.acquire().await;
        }
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(200), "10 gaps of 20 ms: {took:?}");
        assert!(took < Duration::from_millis(600), "{took:?}");
    }
}
