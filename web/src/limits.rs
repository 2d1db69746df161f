//! Router options: write rate limits and cross-origin reads.
//!
//! Writes are limited per token with a token bucket: a token may write [`WriteRate::burst`]
//! records at once, then one every `1 / per_second` seconds. That absorbs an import of a few
//! dozen files but stops a leaked or runaway token from flooding the federation (every write is
//! gossiped to every region). A refused write gets 429 with `Retry-After`. Admin tokens are not
//! limited: they are the operator's own (the CLI's local token, imports, membership updates),
//! and a bulk import of a national catalogue must not take hours.
//!
//! Reads may be opened to other origins (a region's portal calling the API from the browser)
//! with `cors_origins`; it is empty by default, and writes are never allowed cross-origin.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderValue, Method};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// The write allowance of one token.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WriteRate {
    /// Writes allowed at once.
    pub burst: u32,
    /// Writes regained per second.
    pub per_second: f64,
}

impl Default for WriteRate {
    /// 30 writes at once, then one per second (3,600 an hour).
    fn default() -> Self {
        WriteRate {
            burst: 30,
            per_second: 1.0,
        }
    }
}

/// What the router is built with besides the backend.
#[derive(Debug, Clone, Default)]
pub struct RouterOptions {
    /// Origins allowed to read the API from a browser (`https://portal.example.org`); empty:
    /// no cross-origin reads.
    pub cors_origins: Vec<HeaderValue>,
    /// The write allowance per token.
    pub write_rate: WriteRate,
}

/// Tokens remembered at most; beyond this, full buckets are forgotten (they hold no debt).
const MAX_TRACKED_TOKENS: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Token buckets per bearer token. Only authenticated tokens reach it, so its keys are the
/// node's own tokens, a short list.
#[derive(Debug)]
pub struct WriteLimiter {
    rate: WriteRate,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl WriteLimiter {
    /// A limiter with `rate` for every token.
    pub fn new(rate: WriteRate) -> Self {
        WriteLimiter {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one write for `token` at `now`; when none is left, says how long until one is.
    pub fn take(&self, token: &str, now: Instant) -> Result<(), Duration> {
        let burst = f64::from(self.rate.burst.max(1));
        let per_second = self.rate.per_second.max(f64::MIN_POSITIVE);
        // A panic elsewhere cannot leave a bucket map half-updated in a harmful way.
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= MAX_TRACKED_TOKENS && !buckets.contains_key(token) {
            buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.updated).as_secs_f64() * per_second
                    < burst
            });
        }
        let bucket = buckets.entry(token.to_owned()).or_insert(Bucket {
            tokens: burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_second))
        }
    }
}

/// The CORS layer for `origins`: reads only, no credentials.
pub(crate) fn cors_layer(origins: &[HeaderValue]) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins.iter().cloned()))
        .allow_methods([Method::GET, Method::HEAD])
        .allow_headers([
            axum::http::header::ACCEPT,
            axum::http::header::ACCEPT_LANGUAGE,
            axum::http::header::IF_NONE_MATCH,
        ])
        .max_age(Duration::from_secs(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_a_burst_then_the_steady_rate() {
        let limiter = WriteLimiter::new(WriteRate {
            burst: 3,
            per_second: 0.5,
        });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.take("a", t0).is_ok());
        }
        let wait = limiter.take("a", t0).expect_err("burst used");
        assert_eq!(wait.as_secs(), 2);
        // Another token has its own bucket.
        assert!(limiter.take("b", t0).is_ok());
        assert!(limiter.take("a", t0 + Duration::from_secs(2)).is_ok());
        assert!(limiter.take("a", t0 + Duration::from_secs(2)).is_err());
    }
}
