//! Small pure readers and writers of HTTP header values.

use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, IF_NONE_MATCH};
use mosaico_protocol::RecordId;

use crate::error::ApiError;

/// The strong entity tag of a record version: its id, which is the hash of its content.
pub fn etag_for(id: &RecordId) -> String {
    format!("\"{id}\"")
}

/// Whether an `If-None-Match` value matches `etag`. RFC 9110 asks for the weak comparison here,
/// so `W/"x"` matches `"x"`; `*` matches any existing representation.
pub fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    let if_none_match = if_none_match.trim();
    if if_none_match == "*" {
        return true;
    }
    if_none_match
        .split(',')
        .map(|tag| tag.trim())
        .map(|tag| tag.strip_prefix("W/").unwrap_or(tag))
        .any(|tag| tag == etag)
}

/// Whether the request's `If-None-Match` headers match `etag`.
pub fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| etag_matches(value, etag))
}

/// The bearer token of the `Authorization` header.
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, ApiError> {
    let missing = ApiError::Unauthorized {
        detail: "this endpoint needs an Authorization: Bearer <token> header with a token the operator created",
        token_given: false,
    };
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Err(missing);
    };
    let value = value.to_str().map_err(|_| missing.clone())?;
    let (scheme, token) = value
        .trim()
        .split_once(' ')
        .ok_or_else(|| missing.clone())?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(missing);
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn if_none_match_uses_weak_comparison_and_lists() {
        let etag = etag_for(&RecordId([1; 32]));
        assert!(etag_matches(&etag, &etag));
        assert!(etag_matches(&format!("W/{etag}"), &etag));
        assert!(etag_matches(&format!("\"other\", {etag}"), &etag));
        assert!(etag_matches("*", &etag));
        assert!(!etag_matches("\"other\"", &etag));
        assert!(!etag_matches("", &etag));
    }

    #[test]
    fn bearer_tokens_need_the_scheme_and_a_token() {
        let mut headers = HeaderMap::new();
        assert!(bearer_token(&headers).is_err());
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer  s3cret "));
        assert_eq!(bearer_token(&headers).ok(), Some("s3cret"));
        headers.insert(AUTHORIZATION, HeaderValue::from_static("bearer s3cret"));
        assert_eq!(bearer_token(&headers).ok(), Some("s3cret"));
        for bad in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "s3cret"] {
            headers.insert(AUTHORIZATION, HeaderValue::from_static(bad));
            assert!(bearer_token(&headers).is_err(), "{bad}");
        }
    }
}
