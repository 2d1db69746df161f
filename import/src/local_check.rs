//! A draft checked against the protocol's rules with no node involved.
//!
//! Signing with a throwaway key runs every field rule the node would run, so an importer can
//! refuse a bad draft with all its reasons before anything is sent, and re-use the protocol's
//! own rules rather than a copy of them. The time is passed in: a pure function reads no clock.

use mosaico_protocol::draft::Draft;
use mosaico_protocol::{Record, SecretKey};
use serde_json::Value;

/// Checks `draft` (JSON, as the node's API takes it) against every protocol rule, as if signed at
/// `now_millis`. Returns every reason it would be refused, one per line.
pub fn check_draft(draft: &Value, now_millis: u64) -> Result<(), Vec<String>> {
    let parsed = Draft::from_value(draft.clone()).map_err(|e| split_reasons(&e.to_string()))?;
    // A fixed key: the signature is thrown away, only the rules it runs matter.
    let throwaway = SecretKey::from_bytes([7; 32]);
    let unsigned = parsed
        .into_unsigned(throwaway.public_key(), 1, now_millis)
        .map_err(|e| split_reasons(&e.to_string()))?;
    Record::sign(unsigned, &throwaway).map(|_| ()).map_err(|e| {
        let errors = e.field_errors();
        if errors.is_empty() {
            vec![e.to_string()]
        } else {
            errors.iter().map(ToString::to_string).collect()
        }
    })
}

/// The protocol joins several reasons with `; `: one line each reads better in a report.
fn split_reasons(text: &str) -> Vec<String> {
    text.split("; ").map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn case(country: &str) -> Value {
        json!({
            "kind": "case_study",
            "slug": "pstw-1",
            "title": {"en": "A case"},
            "summary": {"en": "What it does."},
            "organisation": "Comune",
            "country": country,
            "case_study": {}
        })
    }

    #[test]
    fn a_good_draft_passes_and_a_bad_one_names_the_field() {
        assert_eq!(check_draft(&case("IT"), 1_700_000_000_000), Ok(()));
        let reasons = check_draft(&case("XX"), 1_700_000_000_000).expect_err("XX is no country");
        assert!(
            reasons.iter().any(|r| r.starts_with("country:")),
            "{reasons:?}"
        );
    }
}
