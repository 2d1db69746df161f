//! The kernel's range of local ports for outgoing connections, read in one place.
//!
//! A program that picks a port to listen on (the demo's tests, a test harness) must pick it
//! below that range: a port the kernel may hand to any outgoing connection can be taken between
//! the check that it is free and the bind, for instance by the nodes' own dialling. Reading the
//! range is I/O; what it means is decided by [`parse_range`], which tests can call with text.

use std::ops::RangeInclusive;

/// Where Linux keeps the range, as two numbers: the first and the last port.
const RANGE_FILE: &str = "/proc/sys/net/ipv4/ip_local_port_range";

/// Linux's default range, assumed when the file is missing or unreadable (other systems, or a
/// sandbox without `/proc`).
pub const DEFAULT_RANGE: RangeInclusive<u16> = 32_768..=60_999;

/// The ports the kernel hands out for outgoing connections on this machine.
pub fn outgoing_port_range() -> RangeInclusive<u16> {
    std::fs::read_to_string(RANGE_FILE)
        .ok()
        .and_then(|text| parse_range(&text))
        .unwrap_or(DEFAULT_RANGE)
}

/// Parses the file's text, "FIRST<whitespace>LAST"; `None` unless both are ports and in order.
pub fn parse_range(text: &str) -> Option<RangeInclusive<u16>> {
    let mut numbers = text.split_whitespace().map(str::parse::<u16>);
    let first = numbers.next()?.ok()?;
    let last = numbers.next()?.ok()?;
    (first <= last && numbers.next().is_none()).then_some(first..=last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_file_is_read_as_first_and_last_port() {
        assert_eq!(parse_range("32768\t60999\n"), Some(32_768..=60_999));
        assert_eq!(parse_range("1024 65535"), Some(1_024..=65_535));
    }

    #[test]
    fn text_that_is_not_a_range_is_refused() {
        assert_eq!(parse_range(""), None);
        assert_eq!(parse_range("32768"), None);
        assert_eq!(parse_range("60999 32768"), None);
        assert_eq!(parse_range("32768 70000"), None);
        assert_eq!(parse_range("32768 60999 7"), None);
    }
}
