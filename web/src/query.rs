//! The record search query: parsing the URL's parameters and the opaque pagination cursor.
//!
//! Everything here is a pure function of the request's text, so every rule about parameters is
//! unit-tested without a router. Unknown parameters are refused rather than ignored: a typo such
//! as `contry=IT` would otherwise silently return the whole federation.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mosaico_protocol::iso3166;
use mosaico_protocol::validate::check_language_tag;
use mosaico_protocol::vocab::{Status, Theme};
use mosaico_protocol::{Kind, Millis, PublicKey, RecordId};
use serde::{Deserialize, Serialize};

/// Page size when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 20;
/// The largest page a client may ask for.
pub const MAX_LIMIT: usize = 100;
/// Characters of the full-text query.
pub const MAX_QUERY_CHARS: usize = 200;
/// Characters of a cursor; a real one is well under this.
pub const MAX_CURSOR_CHARS: usize = 1024;
/// Languages taken from `Accept-Language`, so a hostile header cannot make a long list.
const MAX_ACCEPT_LANGUAGES: usize = 8;

/// How the results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sort {
    /// Best match first (the default when there is a text query).
    Relevance,
    /// Most recently created version first (the default without a text query).
    Newest,
    /// By title in the language shown, A to Z.
    Title,
}

impl Sort {
    /// The parameter's spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
            Sort::Newest => "newest",
            Sort::Title => "title",
        }
    }
}

/// Where the next page starts: after the record `id` whose sort key is `sort_key`. The backend
/// chooses what the sort key holds (a zero-padded time, a title, a score); the router only wraps
/// it into the opaque text the client sees and checks it on the way back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The last item's sort key.
    pub sort_key: String,
    /// The last item's id, which breaks ties so that no item is skipped or repeated.
    pub id: RecordId,
}

/// A search for records: the parsed and checked query parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordQuery {
    /// Full-text query.
    pub q: Option<String>,
    /// Only this kind. Without it, only content kinds are listed (staff browse solutions, case
    /// studies and best practices; trust records are asked for by name).
    pub kind: Option<Kind>,
    /// Only records in this thematic community.
    pub theme: Option<Theme>,
    /// Only records using this technology.
    pub technology: Option<String>,
    /// Only records from this country (ISO 3166-1 alpha-2).
    pub country: Option<String>,
    /// Only records whose NUTS code starts with this prefix (`ITH` finds ITH5 and ITH3).
    pub nuts: Option<String>,
    /// Only records with this status.
    pub status: Option<Status>,
    /// Only records by this publishing key.
    pub author: Option<PublicKey>,
    /// The language the client asked for explicitly, which wins over `Accept-Language`.
    pub lang: Option<String>,
    /// Languages from `Accept-Language`, best first.
    pub accept_languages: Vec<String>,
    /// The language the text query is written in, when the client says so (`q_lang`). Unlike
    /// `lang`, which filters records by their language, this only tells the search how to read
    /// `q`: which stemmer, and which concept labels to match it against.
    pub query_lang: Option<String>,
    /// The language of the UI the query was typed into, when it came through the UI: the
    /// query's language when neither `q_lang` nor the text itself says otherwise.
    pub ui_lang: Option<String>,
    /// Only records that carry this concept (signed by the author or derived from the text).
    pub concept: Option<String>,
    /// Only versions created at or after this time (milliseconds since the epoch).
    pub updated_since: Option<Millis>,
    /// The order.
    pub sort: Sort,
    /// Where the page starts; `None` for the first page.
    pub cursor: Option<Cursor>,
    /// Items per page, 1 to [`MAX_LIMIT`].
    pub limit: usize,
}

impl RecordQuery {
    /// The languages to show titles and summaries in, best first: `lang`, then `Accept-Language`.
    pub fn language_preferences(&self) -> Vec<String> {
        let mut langs: Vec<String> = self.lang.iter().cloned().collect();
        for lang in &self.accept_languages {
            if !langs.iter().any(|l| l.eq_ignore_ascii_case(lang)) {
                langs.push(lang.clone());
            }
        }
        langs
    }

    /// A fingerprint of everything that defines the result set and its order. A cursor carries
    /// it, so a cursor from one search is refused on another instead of giving a wrong page.
    /// FNV-1a: stable across processes and versions, unlike std's `DefaultHasher`; this is a
    /// consistency check, not a security boundary (the backend treats any cursor as a bound).
    pub fn fingerprint(&self) -> u64 {
        let parts = [
            self.q.clone().unwrap_or_default(),
            self.kind
                .as_ref()
                .map(|k| k.as_str().to_owned())
                .unwrap_or_default(),
            self.theme
                .as_ref()
                .map(|t| t.as_str().to_owned())
                .unwrap_or_default(),
            self.technology.clone().unwrap_or_default(),
            self.country.clone().unwrap_or_default(),
            self.nuts.clone().unwrap_or_default(),
            self.status
                .as_ref()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            self.author.map(|a| a.to_hex()).unwrap_or_default(),
            self.language_preferences().join(","),
            self.query_lang.clone().unwrap_or_default(),
            self.ui_lang.clone().unwrap_or_default(),
            self.concept.clone().unwrap_or_default(),
            self.updated_since
                .map(|t| t.to_string())
                .unwrap_or_default(),
            self.sort.as_str().to_owned(),
        ];
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for part in parts {
            // A separator byte that cannot occur in the parts keeps ("a","bc") apart from ("ab","c").
            for byte in part.bytes().chain(std::iter::once(0xff)) {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        }
        hash
    }
}

/// A query parameter that cannot be used, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{parameter}: {message}")]
pub struct QueryError {
    /// The parameter's name as the client spelled it.
    pub parameter: String,
    /// What is wrong with it.
    pub message: String,
}

impl QueryError {
    fn new(parameter: &str, message: impl Into<String>) -> Self {
        QueryError {
            parameter: parameter.to_owned(),
            message: message.into(),
        }
    }
}

/// The wire form of a cursor: the position plus the fingerprint of the query it belongs to.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CursorWire {
    /// Format version, so the wire form can change without misreading old cursors.
    v: u8,
    /// The query fingerprint, in hex.
    f: String,
    k: String,
    i: RecordId,
}

const CURSOR_VERSION: u8 = 1;

/// Wraps `cursor` into the opaque text handed to the client for the next page of `query`.
pub fn encode_cursor(cursor: &Cursor, query: &RecordQuery) -> String {
    let wire = CursorWire {
        v: CURSOR_VERSION,
        f: format!("{:016x}", query.fingerprint()),
        k: cursor.sort_key.clone(),
        i: cursor.id,
    };
    // A struct of strings and an id always serializes.
    let json = serde_json::to_vec(&wire).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// Reads a cursor given back by the client for `query`; refuses forged, damaged and stale ones.
pub fn decode_cursor(text: &str, query: &RecordQuery) -> Result<Cursor, QueryError> {
    let invalid =
        |why: &str| QueryError::new("cursor", format!("{why}; start again from the first page"));
    if text.len() > MAX_CURSOR_CHARS {
        return Err(invalid("is too long to be a cursor this API issued"));
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| invalid("is not a cursor this API issued"))?;
    let wire: CursorWire =
        serde_json::from_slice(&bytes).map_err(|_| invalid("is not a cursor this API issued"))?;
    if wire.v != CURSOR_VERSION {
        return Err(invalid("comes from another version of the API"));
    }
    if wire.f != format!("{:016x}", query.fingerprint()) {
        return Err(invalid("belongs to a search with other parameters"));
    }
    Ok(Cursor {
        sort_key: wire.k,
        id: wire.i,
    })
}

/// Parses the query string's pairs (already percent-decoded) and the `Accept-Language` header.
pub fn parse_record_query(
    pairs: &[(String, String)],
    accept_language: Option<&str>,
) -> Result<RecordQuery, QueryError> {
    let mut query = RecordQuery {
        q: None,
        kind: None,
        theme: None,
        technology: None,
        country: None,
        nuts: None,
        status: None,
        author: None,
        lang: None,
        accept_languages: accept_language
            .map(parse_accept_language)
            .unwrap_or_default(),
        query_lang: None,
        ui_lang: None,
        concept: None,
        updated_since: None,
        sort: Sort::Newest,
        cursor: None,
        limit: DEFAULT_LIMIT,
    };
    let mut seen: Vec<&str> = Vec::new();
    let mut sort = None;
    let mut cursor = None;
    for (name, value) in pairs {
        if seen.contains(&name.as_str()) {
            return Err(QueryError::new(name, "is given more than once"));
        }
        seen.push(name);
        match name.as_str() {
            "q" => query.q = non_empty(value).map(parse_text_query).transpose()?,
            "kind" => {
                query.kind =
                    Some(Kind::parse(value).map_err(|e| QueryError::new(name, e.to_string()))?)
            }
            "theme" => {
                query.theme =
                    Some(Theme::parse(value).map_err(|e| QueryError::new(name, e.to_string()))?)
            }
            "technology" => query.technology = Some(parse_term(name, value)?),
            "country" => query.country = Some(parse_country(value)?),
            "nuts" => query.nuts = Some(parse_nuts_prefix(value)?),
            "status" => {
                query.status =
                    Some(Status::parse(value).map_err(|e| QueryError::new(name, e.to_string()))?)
            }
            "author" => {
                query.author = Some(value.parse().map_err(
                    |e: mosaico_protocol::keys::HexError| QueryError::new(name, e.to_string()),
                )?)
            }
            "lang" => {
                check_language_tag(value).map_err(|e| QueryError::new(name, e))?;
                query.lang = Some(value.clone());
            }
            "q_lang" => {
                check_language_tag(value).map_err(|e| QueryError::new(name, e))?;
                query.query_lang = Some(value.clone());
            }
            "concept" => query.concept = Some(parse_concept_id(value)?),
            "updated_since" => {
                query.updated_since = Some(value.parse().map_err(|_| {
                    QueryError::new(
                        name,
                        "must be a time in milliseconds since 1970-01-01 UTC, e.g. 1735689600000",
                    )
                })?)
            }
            "sort" => sort = Some(parse_sort(value)?),
            "cursor" => cursor = Some(value.as_str()),
            "limit" => query.limit = parse_limit(value)?,
            _ => {
                return Err(QueryError::new(
                    name,
                    "is not a parameter of this endpoint (q, q_lang, kind, theme, technology, concept, country, nuts, status, author, lang, updated_since, sort, cursor, limit)",
                ));
            }
        }
    }
    query.sort = sort.unwrap_or(if query.q.is_some() {
        Sort::Relevance
    } else {
        Sort::Newest
    });
    if query.sort == Sort::Relevance && query.q.is_none() {
        return Err(QueryError::new("sort", "relevance needs a text query (q)"));
    }
    // The cursor is checked last: its fingerprint covers every other parameter.
    if let Some(cursor) = cursor {
        query.cursor = Some(decode_cursor(cursor, &query)?);
    }
    Ok(query)
}

fn non_empty(value: &str) -> Option<&str> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then_some(trimmed)
}

fn parse_text_query(value: &str) -> Result<String, QueryError> {
    let chars = value.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(QueryError::new(
            "q",
            format!("{chars} characters, at most {MAX_QUERY_CHARS}"),
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(QueryError::new("q", "contains control characters"));
    }
    Ok(value.to_owned())
}

/// A concept id as records carry it (`mc:<slug>`), known to the local scheme or not: a
/// federation may run several scheme versions, so an unknown id is still a fair filter.
fn parse_concept_id(value: &str) -> Result<String, QueryError> {
    mosaico_protocol::concepts::compact_concept_id(value).ok_or_else(|| {
        QueryError::new(
            "concept",
            format!(
                "{:?} is not a concept id: write mc: followed by lowercase letters, digits and hyphens, e.g. mc:machine-translation",
                truncate(value)
            ),
        )
    })
}

fn parse_term(name: &str, value: &str) -> Result<String, QueryError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > 200 || value.chars().any(char::is_control) {
        return Err(QueryError::new(
            name,
            "must be a term of 1 to 200 characters",
        ));
    }
    Ok(value.to_owned())
}

fn parse_country(value: &str) -> Result<String, QueryError> {
    // `EU` too: records that concern the whole Union say so with it (docs/protocol.md), and staff
    // must be able to ask for them.
    if iso3166::is_record_country(value) {
        Ok(value.to_owned())
    } else {
        Err(QueryError::new(
            "country",
            format!(
                "\"{}\" is not an ISO 3166-1 alpha-2 code in capitals, such as IT or ES, or EU",
                truncate(value)
            ),
        ))
    }
}

/// A NUTS prefix: the two letters of a country as NUTS writes them, then up to three more
/// capitals or digits (`IT`, `ITH`, `ITH5`, `ITH55`).
fn parse_nuts_prefix(value: &str) -> Result<String, QueryError> {
    let bytes = value.as_bytes();
    let valid = (2..=5).contains(&bytes.len())
        && bytes[..2].iter().all(u8::is_ascii_uppercase)
        && bytes[2..]
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if valid {
        Ok(value.to_owned())
    } else {
        Err(QueryError::new(
            "nuts",
            format!(
                "\"{}\" is not a NUTS code or prefix, such as ITH or ITH5",
                truncate(value)
            ),
        ))
    }
}

fn parse_sort(value: &str) -> Result<Sort, QueryError> {
    match value {
        "relevance" => Ok(Sort::Relevance),
        "newest" => Ok(Sort::Newest),
        "title" => Ok(Sort::Title),
        other => Err(QueryError::new(
            "sort",
            format!(
                "\"{}\" is not one of relevance, newest, title",
                truncate(other)
            ),
        )),
    }
}

fn parse_limit(value: &str) -> Result<usize, QueryError> {
    match value.parse::<usize>() {
        Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => Ok(limit),
        _ => Err(QueryError::new(
            "limit",
            format!("must be a whole number from 1 to {MAX_LIMIT}"),
        )),
    }
}

fn truncate(value: &str) -> String {
    value.chars().take(40).collect()
}

/// The languages of an `Accept-Language` header, best first, without `*` and refused ones
/// (`q=0`). Malformed entries are skipped: a header is a hint, never a reason to fail.
pub fn parse_accept_language(header: &str) -> Vec<String> {
    let mut ranked: Vec<(u16, usize, String)> = Vec::new();
    for (position, entry) in header.split(',').enumerate().take(32) {
        let mut parts = entry.split(';');
        let tag = parts.next().unwrap_or_default().trim();
        if tag.is_empty() || tag == "*" || check_language_tag(tag).is_err() {
            continue;
        }
        let mut weight = 1000;
        for param in parts {
            if let Some(q) = param.trim().strip_prefix("q=") {
                weight = parse_qvalue(q).unwrap_or(0);
            }
        }
        if weight > 0 {
            ranked.push((weight, position, tag.to_owned()));
        }
    }
    // Stable order: higher weight first, then the order the client wrote.
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked
        .into_iter()
        .map(|(_, _, tag)| tag)
        .take(MAX_ACCEPT_LANGUAGES)
        .collect()
}

/// An RFC 9110 qvalue as thousandths: `0.8` is 800.
fn parse_qvalue(text: &str) -> Option<u16> {
    let value: f32 = text.trim().parse().ok()?;
    // `as` saturates, and the range is checked first.
    (0.0..=1.0)
        .contains(&value)
        .then(|| (value * 1000.0).round() as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn parse(list: &[(&str, &str)]) -> Result<RecordQuery, QueryError> {
        parse_record_query(&pairs(list), None)
    }

    #[test]
    fn the_query_language_and_the_concept_filter_are_checked() {
        let query = parse(&[
            ("q", "semafori"),
            ("q_lang", "it"),
            ("concept", "urn:mosaico:concept:smart-traffic-lights"),
        ])
        .expect("valid");
        assert_eq!(query.query_lang.as_deref(), Some("it"));
        assert_eq!(query.concept.as_deref(), Some("mc:smart-traffic-lights"));
        // `lang` keeps its meaning: the records' language, not the query's.
        assert_eq!(query.lang, None);
        // A language the scheme has no labels in is still a well-formed tag: the search falls
        // back to plain text and says so.
        assert!(parse(&[("q_lang", "ja")]).is_ok());
        let error = parse(&[("q_lang", "not a tag")]).expect_err("malformed tag");
        assert_eq!(error.parameter, "q_lang");
        for bad in [
            "machine-translation",
            "mc:",
            "mc:Machine",
            "mc:a--b",
            "mc:a b",
        ] {
            let error = parse(&[("concept", bad)]).expect_err(bad);
            assert_eq!(error.parameter, "concept", "{bad}");
            assert!(error.message.contains("mc:"), "{bad}: {}", error.message);
        }
        // Two searches that differ only in the query's language are two cursors' worth apart.
        let it = parse(&[("q", "chatbot"), ("q_lang", "it")]).expect("it");
        let fi = parse(&[("q", "chatbot"), ("q_lang", "fi")]).expect("fi");
        assert_ne!(it.fingerprint(), fi.fingerprint());
    }

    #[test]
    fn defaults_sort_by_newest_without_text_and_by_relevance_with_it() {
        let query = parse(&[]).expect("empty query");
        assert_eq!(
            (query.sort, query.limit, query.cursor),
            (Sort::Newest, DEFAULT_LIMIT, None)
        );
        assert_eq!(parse(&[("q", "chatbot")]).expect("q").sort, Sort::Relevance);
        assert_eq!(parse(&[("q", "  ")]).expect("blank q").q, None);
    }

    #[test]
    fn the_european_union_is_a_country_filter_and_other_codes_are_still_refused() {
        let query = parse(&[("country", "EU")]).expect("EU");
        assert_eq!(query.country.as_deref(), Some("EU"));
        for bad in ["XX", "eu", "Europe", "EUR"] {
            let err = parse(&[("country", bad)]).expect_err(bad);
            assert!(err.to_string().contains("country"), "{bad}: {err}");
        }
    }

    #[test]
    fn every_filter_is_parsed() {
        let author = "ab".repeat(32);
        let query = parse(&[
            ("kind", "case_study"),
            ("theme", "iot"),
            ("technology", "chatbot"),
            ("country", "IT"),
            ("nuts", "ITH"),
            ("status", "pilot"),
            ("author", &author),
            ("lang", "it"),
            ("updated_since", "1700000000000"),
            ("sort", "title"),
            ("limit", "100"),
        ])
        .expect("valid");
        assert_eq!(query.kind, Some(Kind::CaseStudy));
        assert_eq!(query.theme, Some(Theme::Iot));
        assert_eq!(query.nuts.as_deref(), Some("ITH"));
        assert_eq!(query.status, Some(Status::Pilot));
        assert_eq!(query.author.map(|a| a.to_hex()), Some(author));
        assert_eq!(
            (query.updated_since, query.sort, query.limit),
            (Some(1_700_000_000_000), Sort::Title, 100)
        );
    }

    #[test]
    fn each_bad_parameter_is_named() {
        for (name, value) in [
            ("kind", "novel"),
            ("theme", "gardening"),
            ("country", "it"),
            ("country", "XX"),
            ("nuts", "ith"),
            ("nuts", "ITH555"),
            ("status", "paused"),
            ("author", "abc"),
            ("lang", "not a language"),
            ("updated_since", "yesterday"),
            ("sort", "random"),
            ("limit", "0"),
            ("limit", "101"),
            ("limit", "-1"),
            ("contry", "IT"),
            ("cursor", "!!!"),
        ] {
            let err = parse(&[(name, value)]).expect_err(name);
            assert_eq!(err.parameter, name, "{name}={value}: {err}");
        }
        let err = parse(&[("q", &"x".repeat(201))]).expect_err("long q");
        assert_eq!(err.parameter, "q");
        let err = parse(&[("kind", "solution"), ("kind", "case_study")]).expect_err("twice");
        assert!(err.message.contains("more than once"));
        assert_eq!(
            parse(&[("sort", "relevance")]).expect_err("no q").parameter,
            "sort"
        );
    }

    #[test]
    fn cursor_round_trips_for_the_same_search_only() {
        let query = parse(&[("kind", "solution")]).expect("valid");
        let cursor = Cursor {
            sort_key: "00001700000000000".into(),
            id: RecordId([7; 32]),
        };
        let text = encode_cursor(&cursor, &query);
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        let again =
            parse(&[("kind", "solution"), ("cursor", &text), ("limit", "5")]).expect("same search");
        assert_eq!(again.cursor, Some(cursor));
        let err = parse(&[("kind", "case_study"), ("cursor", &text)]).expect_err("other search");
        assert!(err.message.contains("other parameters"), "{err}");
    }

    #[test]
    fn forged_cursors_are_refused() {
        let query = parse(&[]).expect("valid");
        for forged in [
            "AAAA".to_string(),
            URL_SAFE_NO_PAD.encode(br#"{"v":1}"#),
            URL_SAFE_NO_PAD.encode(br#"{"v":9,"f":"0","k":"","i":"00"}"#),
            "a".repeat(MAX_CURSOR_CHARS + 1),
        ] {
            let err = decode_cursor(&forged, &query).expect_err("forged");
            assert_eq!(err.parameter, "cursor");
        }
    }

    #[test]
    fn accept_language_is_ranked_by_weight_then_order() {
        assert_eq!(
            parse_accept_language("it-IT,it;q=0.9,en;q=0.8,*;q=0.1"),
            ["it-IT", "it", "en"]
        );
        assert_eq!(parse_accept_language("en;q=0.5, ca, fr;q=0"), ["ca", "en"]);
        assert_eq!(
            parse_accept_language("garbage;;;, ,q=1"),
            Vec::<String>::new()
        );
        let query = parse_record_query(&pairs(&[("lang", "ca")]), Some("es, ca")).expect("valid");
        assert_eq!(query.language_preferences(), ["ca", "es"]);
    }
}
