//! Text clean-ups both importers apply before the protocol's limits: one-line fields, multi-line
//! fields, and cutting to a length.
//!
//! Real sources carry carriage returns, tabs and stray control characters that the protocol
//! refuses, and texts longer than its limits. Both mappings (publiccode.yml and PSTW) repair them
//! the same way, so the rules live here once.

/// Cuts `text` to `max` characters, ending with an ellipsis when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut = cut.trim_end().to_owned();
    cut.push('…');
    cut
}

/// Text on one line: control characters (newlines included) become spaces.
pub fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_control())
        .filter(|s| !s.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Multi-line text the protocol accepts: `\r\n` and `\r` become `\n`, other control characters
/// but tabs become spaces, and surrounding blank space goes.
pub fn clean_text(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_counts_characters_and_says_it_cut() {
        assert_eq!(truncate("città", 5), "città");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("ab   cdef", 4), "ab…");
    }

    #[test]
    fn control_characters_are_repaired() {
        assert_eq!(one_line(" a\n b\r\n\tc "), "a b c");
        assert_eq!(clean_text("  a\r\nb\rc\u{7}d\te  "), "a\nb\nc d\te");
    }
}
