//! Small pieces of pure bookkeeping used by the event loop: the reconnect backoff for
//! configured peers and the per-peer token bucket for inbound sync requests.
//!
//! Neither reads the clock: every method takes `now`, so the tests below run without sleeping.

use std::time::{Duration, Instant};

/// Exponential backoff for reconnecting to a configured peer: the first retry waits
/// `initial`, each further failure doubles the wait, up to `max`.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    current: Duration,
}

impl Backoff {
    /// Creates a backoff that starts at `initial` and never exceeds `max`.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max: max.max(initial),
            current: initial,
        }
    }

    /// Returns how long to wait before the next attempt, and doubles the wait for the one
    /// after.
    pub fn next_delay(&mut self) -> Duration {
        let delay = self.current;
        self.current = self.current.saturating_mul(2).min(self.max);
        delay
    }

    /// Starts again from the initial wait, after a connection has proven healthy.
    pub fn reset(&mut self) {
        self.current = self.initial;
    }
}

/// A token bucket: `burst` requests may arrive at once, then `per_second` requests per second.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    tokens: f64,
    burst: f64,
    per_second: f64,
    last_refill: Instant,
}

impl TokenBucket {
    /// Creates a full bucket.
    pub fn new(burst: u32, per_second: f64, now: Instant) -> Self {
        Self {
            tokens: f64::from(burst),
            burst: f64::from(burst),
            per_second,
            last_refill: now,
        }
    }

    /// Takes one token if there is one. Returns false when the caller is over its rate.
    pub fn try_take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last_refill);
        self.tokens = (self.tokens + elapsed.as_secs_f64() * self.per_second).min(self.burst);
        self.last_refill = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_maximum_and_resets() {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
        let delays: Vec<u64> = (0..7).map(|_| backoff.next_delay().as_secs()).collect();
        assert_eq!(delays, vec![1, 2, 4, 8, 16, 30, 30]);
        backoff.reset();
        assert_eq!(backoff.next_delay(), Duration::from_secs(1));
    }

    #[test]
    fn token_bucket_allows_a_burst_then_the_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(3, 2.0, start);
        assert!(bucket.try_take(start));
        assert!(bucket.try_take(start));
        assert!(bucket.try_take(start));
        assert!(!bucket.try_take(start), "the burst is spent");
        // Half a second at two per second refills exactly one token.
        let later = start + Duration::from_millis(500);
        assert!(bucket.try_take(later));
        assert!(!bucket.try_take(later));
        // A long pause refills only up to the burst size.
        let much_later = later + Duration::from_secs(60);
        for _ in 0..3 {
            assert!(bucket.try_take(much_later));
        }
        assert!(!bucket.try_take(much_later));
    }
}
