//! The per-peer token bucket that limits inbound catch-up requests: pure bookkeeping.
//!
//! It does not read the clock: every method takes `now`, so the tests below run without
//! sleeping. (The reconnect backoff for configured peers lives in `reconnect`.)

use std::time::Instant;

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
    use std::time::Duration;

    use super::*;

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
