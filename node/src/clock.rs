//! The node's wall clock, read in this one place.
//!
//! Records carry wall-clock times (when a version was made, when a signature expires), and so
//! do a few operator-facing facts (when a peer connected, when a token was made). Every such
//! reading comes from here, so there is one place to look when a node's idea of "now" matters,
//! and the pure core never reads the clock at all: the shell passes `now` in.
//!
//! Timers and durations (`tokio::time`, `std::time::Instant`) do not need the wall clock and are
//! not routed through here: a monotonic clock is what they must use, because the wall clock may
//! jump.

use std::time::{SystemTime, UNIX_EPOCH};

use mosaico_protocol::Millis;

/// The wall clock now.
pub fn now() -> SystemTime {
    SystemTime::now()
}

/// The wall clock in milliseconds since the Unix epoch, the unit of every time in a record. A
/// clock set before 1970 reads as 0 rather than failing: records made then would be refused as
/// too old by every peer anyway.
pub fn now_millis() -> Millis {
    now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_follow_the_system_clock() {
        let before = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("the test machine's clock is after 1970")
            .as_millis() as Millis;
        let read = now_millis();
        let after = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("the test machine's clock is after 1970")
            .as_millis() as Millis;
        assert!(
            before <= read && read <= after,
            "{before} <= {read} <= {after}"
        );
    }
}
