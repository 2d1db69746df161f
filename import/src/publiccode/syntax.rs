//! Predicates on single publiccode.yml values: URLs and URIs, iPA codes, dates, MIME types,
//! images, language tags.
//!
//! What the protocol already defines is not redefined here: http(s) URLs and e-mail addresses
//! are checked with `mosaico_protocol::validate`, and a language tag's structure with its
//! [`check_language_tag`]. What stays here is what only publiccode.yml needs: any-scheme URLs and
//! URIs (`urn:…`), the parser's reading of scalars, and letter case as the parser tolerates it.

use std::path::Path;

use mosaico_protocol::validate::check_language_tag;
use serde_json::Value;
use unicode_segmentation::UnicodeSegmentation;

use super::vocab::{ISO_639_1, ISO_639_3_EUROPE};

/// A scalar's text as Go's YAML decoder gives it to a string field.
pub(super) fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// Lengths as the standard counts them: user-perceived characters (grapheme clusters).
pub(super) fn graphemes(text: &str) -> usize {
    text.graphemes(true).count()
}

/// An absolute URL: a scheme, `://`, and a host.
pub(super) fn is_url(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once("://") else {
        return false;
    };
    is_scheme(scheme)
        && !rest.is_empty()
        && !rest.starts_with('/')
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A URI scheme: a letter, then letters, digits, `+`, `-` or `.`.
fn is_scheme(scheme: &str) -> bool {
    scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// A URI: a scheme, a colon and something after it (`urn:foo:bar`, `https://…`).
pub(super) fn is_uri(text: &str) -> bool {
    text.split_once(':').is_some_and(|(scheme, rest)| {
        is_scheme(scheme)
            && !rest.is_empty()
            && !text.chars().any(|c| c.is_whitespace() || c.is_control())
    })
}

/// The shape of an iPA code: lowercase letters, digits and underscores (`pcm`, `c_h501`).
pub(super) fn is_ipa_code_syntax(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A calendar date written `YYYY-MM-DD` (the parser refuses a date-time or 2023-02-29).
pub(super) fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<u32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// A MIME type's essence, `type/subtype`, made of token characters (parameters ignored).
pub(super) fn is_mime_type(text: &str) -> bool {
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    let essence = text.split(';').next().unwrap_or_default().trim();
    essence
        .split_once('/')
        .is_some_and(|(t, s)| token(t) && token(s))
}

/// Whether the bytes start with the PNG signature.
pub(super) fn is_png(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG\r\n\x1a\n")
}

/// Whether the bytes are an image of the kind the file's extension says, by its magic number.
pub(super) fn is_image(file: &Path, bytes: &[u8]) -> bool {
    let extension = file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("png") => is_png(bytes),
        Some("jpg" | "jpeg") => bytes.starts_with(&[0xff, 0xd8, 0xff]),
        Some("gif") => bytes.starts_with(b"GIF8"),
        Some("svg") => std::str::from_utf8(bytes).is_ok_and(|t| t.contains("<svg")),
        Some("webp") => bytes.len() > 12 && &bytes[8..12] == b"WEBP",
        _ => false,
    }
}

/// A BCP 47 tag whose primary language is a known ISO 639 code, in any letter case (the
/// official parser accepts `en-us`; the protocol keys maps by the canonical form, see
/// [`canonical_language`]). The tag's structure is the protocol's rule
/// ([`check_language_tag`]) applied to the canonical form, so the two never disagree on it; what
/// this adds is that the language itself must exist.
pub fn is_bcp47(tag: &str) -> bool {
    let language = tag
        .split('-')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let known = match language.len() {
        2 => ISO_639_1.contains(&language.as_str()),
        3 => ISO_639_3_EUROPE.contains(&language.as_str()),
        _ => false,
    };
    known && check_language_tag(&canonical_language(tag)).is_ok()
}

/// A BCP 47 tag in the canonical case the protocol keys language maps by: `en-GB`, `sr-Latn`.
pub fn canonical_language(tag: &str) -> String {
    tag.split('-')
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part.to_ascii_lowercase()
            } else if part.len() == 2 {
                part.to_ascii_uppercase()
            } else if part.len() == 4 && part.bytes().all(|b| b.is_ascii_alphabetic()) {
                let mut s = part.to_ascii_lowercase();
                s[..1].make_ascii_uppercase();
                s
            } else {
                part.to_ascii_lowercase()
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_canonicalised() {
        assert_eq!(canonical_language("en-gb"), "en-GB");
        assert_eq!(canonical_language("sr-latn-rs"), "sr-Latn-RS");
        assert!(is_bcp47("sl-IT-nedis"));
        assert!(is_bcp47("en-us") && is_bcp47("EN"));
        assert!(!is_bcp47("en_GB"));
        assert!(!is_bcp47("xxx"));
        assert!(!is_bcp47("qq"), "well formed, but no such language");
        assert!(!is_bcp47("en-Latn-Latn"));
        assert!(!is_bcp47("no such language"));
    }

    #[test]
    fn dates_are_calendar_dates() {
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2023-02-29"));
        assert!(!is_date("2017-04-15T10:00:00Z"));
        assert!(!is_date(""));
    }

    #[test]
    fn urls_and_uris_take_any_scheme() {
        assert!(is_url("git+ssh://example.org/repo"));
        assert!(!is_url("example.org/repo"));
        assert!(!is_url("https:///path"));
        assert!(is_uri("urn:x-italian-pa:pcm"));
        assert!(!is_uri("no scheme"));
    }
}
