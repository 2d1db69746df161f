//! Formatting for people: dates and numbers per language, and query strings for links.

use mosaico_protocol::Millis;

use super::i18n::{Lang, Tr};

/// Days since 1970-01-01 to a civil (year, month 1–12, day 1–31) date, proleptic Gregorian
/// (Howard Hinnant's algorithm): dates are shown in UTC, with no time-zone database to carry.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The keys of the month names in the catalogues, January first.
const MONTHS: [&str; 12] = [
    "month.1", "month.2", "month.3", "month.4", "month.5", "month.6", "month.7", "month.8",
    "month.9", "month.10", "month.11", "month.12",
];

/// A date such as "15 June 2025", "15 giugno 2025" or "15. Juni 2025": the catalogue's
/// `date.format` lays out the day, the month's name and the year, and `date.day_one` writes the
/// first of the month (French says "1er", Italian "1º").
pub fn date(tr: &Tr, millis: Millis) -> String {
    let days = (millis / 86_400_000) as i64;
    let (year, month, day) = civil_from_days(days);
    let name = tr.t(MONTHS[(month - 1) as usize]);
    let day = if day == 1 {
        tr.t("date.day_one").to_owned()
    } else {
        day.to_string()
    };
    tr.tf(
        "date.format",
        &[("day", &day), ("month", name), ("year", &year.to_string())],
    )
}

/// A date and time in UTC: "15 June 2025, 14:03 UTC" or "15 giugno 2025, 14:03 UTC".
pub fn date_time(tr: &Tr, millis: Millis) -> String {
    let seconds_of_day = (millis / 1000) % 86_400;
    format!(
        "{}, {:02}:{:02} UTC",
        date(tr, millis),
        seconds_of_day / 3600,
        (seconds_of_day % 3600) / 60
    )
}

/// The ISO 8601 form for `<time datetime>`.
pub fn iso_date_time(millis: Millis) -> String {
    let days = (millis / 86_400_000) as i64;
    let (year, month, day) = civil_from_days(days);
    let seconds_of_day = (millis / 1000) % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        seconds_of_day / 3600,
        (seconds_of_day % 3600) / 60,
        seconds_of_day % 60
    )
}

/// A whole number with the language's thousands separator: 100,000 or 100.000.
pub fn number(lang: Lang, n: u64) -> String {
    Tr::new(lang).number(n)
}

/// Percent-encodes a query component (everything but RFC 3986 unreserved characters).
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `path?name=value&…` from pairs (empty values left out).
pub fn url_with(path: &str, pairs: &[(String, String)]) -> String {
    let query: Vec<String> = pairs
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{}={}", encode_component(name), encode_component(value)))
        .collect();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_numbers_follow_the_language() {
        let en = Tr::new(Lang::En);
        let it = Tr::new(Lang::It);
        // 2025-06-15T15:06:40Z
        let t = 1_750_000_000_000;
        assert_eq!(date_time(&en, t), "15 June 2025, 15:06 UTC");
        assert_eq!(date(&it, t), "15 giugno 2025");
        assert_eq!(iso_date_time(t), "2025-06-15T15:06:40Z");
        assert_eq!(date(&en, 0), "1 January 1970");
        assert_eq!(date(&Tr::new(Lang::Fr), 0), "1er janvier 1970");
        assert_eq!(date(&Tr::new(Lang::De), 0), "1. Januar 1970");
        assert_eq!(date(&it, 0), "1º gennaio 1970");
        assert_eq!(date(&Tr::new(Lang::De), t), "15. Juni 2025");
        assert_eq!(date(&Tr::new(Lang::Es), t), "15 de junio de 2025");
        assert_eq!(date(&Tr::new(Lang::Fr), t), "15 juin 2025");
        assert_eq!(date(&Tr::new(Lang::Nl), t), "15 juni 2025");
        // Finnish dates take the month in the partitive.
        assert_eq!(date(&Tr::new(Lang::Fi), t), "15. kesäkuuta 2025");
        // Catalan elides the preposition before a vowel: d'abril, de juny.
        assert_eq!(date(&Tr::new(Lang::Ca), t), "15 de juny de 2025");
        assert_eq!(
            date(&Tr::new(Lang::Ca), 1_745_000_000_000),
            "18 d'abril de 2025"
        );
        assert_eq!(number(Lang::En, 100_000), "100,000");
        assert_eq!(number(Lang::It, 1_234_567), "1.234.567");
        assert_eq!(number(Lang::It, 999), "999");
        assert_eq!(number(Lang::Fr, 1_234), "1\u{202F}234");
    }

    #[test]
    fn query_strings_are_encoded() {
        let pairs = vec![
            ("q".to_owned(), "a&b c".to_owned()),
            ("theme".to_owned(), String::new()),
        ];
        assert_eq!(url_with("/search", &pairs), "/search?q=a%26b%20c");
    }
}
