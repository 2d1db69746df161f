//! The dates of a PSTW release: `Date updated` as the file writes it, read into ISO 8601.
//!
//! Releases write m/d/yyyy (the June 2025 one) or d/m/yyyy, and nothing in a cell says which; the
//! file's convention is inferred from the rows where a number is over 12. Spreadsheet exports
//! also write ISO dates, with or without a time after them.

use std::collections::BTreeMap;

use super::columns::Col;

/// Which number comes first in a slashed date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DateOrder {
    /// m/d/yyyy, as the June 2025 release writes it.
    MonthFirst,
    /// d/m/yyyy.
    DayFirst,
}

/// m/d/yyyy unless some row has a first number over 12 and none a second one over 12.
pub(super) fn infer_date_order(
    records: &[csv::StringRecord],
    columns: &BTreeMap<usize, Col>,
) -> DateOrder {
    let Some(index) = columns
        .iter()
        .find(|(_, c)| **c == Col::DateUpdated)
        .map(|(i, _)| *i)
    else {
        return DateOrder::MonthFirst;
    };
    let (mut first_big, mut second_big) = (false, false);
    for record in records {
        let parts: Vec<u32> = record
            .get(index)
            .unwrap_or_default()
            .trim()
            .split('/')
            .filter_map(|p| p.parse().ok())
            .collect();
        if let [a, b, _] = parts.as_slice() {
            first_big |= *a > 12;
            second_big |= *b > 12;
        }
    }
    if first_big && !second_big {
        DateOrder::DayFirst
    } else {
        DateOrder::MonthFirst
    }
}

/// `m/d/yyyy` or `d/m/yyyy` (or already ISO, perhaps with a time after it) as an ISO 8601 date.
pub(super) fn iso_date(text: &str, order: DateOrder) -> Option<String> {
    let text = text.trim();
    let (year, month, day) = match iso_prefix(text) {
        Some(ymd) => ymd,
        None => {
            let parts: Vec<u32> = text
                .split(['/', '.', '-'])
                .map(|p| p.trim().parse().ok())
                .collect::<Option<_>>()?;
            let [a, b, year] = parts.as_slice() else {
                return None;
            };
            let (month, day) = match order {
                DateOrder::MonthFirst if *a > 12 => (*b, *a),
                DateOrder::MonthFirst => (*a, *b),
                DateOrder::DayFirst if *b > 12 => (*a, *b),
                DateOrder::DayFirst => (*b, *a),
            };
            (*year, month, day)
        }
    };
    ((1..=12).contains(&month) && (1..=31).contains(&day) && (1950..=2200).contains(&year))
        .then(|| format!("{year:04}-{month:02}-{day:02}"))
}

/// The year, month and day of a text starting `yyyy-mm-dd` (then nothing, or a time).
fn iso_prefix(text: &str) -> Option<(u32, u32, u32)> {
    let date = text.get(..10)?;
    let rest = &text[10..];
    if !(rest.is_empty() || rest.starts_with([' ', 'T'])) {
        return None;
    }
    let bytes = date.as_bytes();
    if bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    Some((
        date[..4].parse().ok()?,
        date[5..7].parse().ok()?,
        date[8..].parse().ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_the_files_convention() {
        assert_eq!(
            iso_date("3/18/2025", DateOrder::MonthFirst).as_deref(),
            Some("2025-03-18")
        );
        assert_eq!(
            iso_date("18/3/2025", DateOrder::MonthFirst).as_deref(),
            Some("2025-03-18")
        );
        assert_eq!(
            iso_date("4/3/2025", DateOrder::DayFirst).as_deref(),
            Some("2025-03-04")
        );
        assert_eq!(iso_date("yesterday", DateOrder::MonthFirst), None);
    }

    #[test]
    fn iso_dates_pass_with_or_without_a_time() {
        for text in ["2025-03-13", "2025-03-13 00:00:00", "2025-03-13T10:00:00Z"] {
            assert_eq!(
                iso_date(text, DateOrder::MonthFirst).as_deref(),
                Some("2025-03-13"),
                "{text}"
            );
        }
        assert_eq!(iso_date("2025-13-01", DateOrder::MonthFirst), None);
        assert_eq!(iso_date("2025-03-13x", DateOrder::MonthFirst), None);
    }
}
