//! The OpenAPI descriptions of the inputs the handlers parse by hand: query parameters and the
//! publish body. The handlers read raw pairs and bytes so they can give precise problems, so
//! these types are never deserialized; they exist so the document says exactly what the parsers
//! accept. They live apart from `openapi` because the handlers name them in their `utoipa::path`
//! attributes while `openapi` names the handlers: keeping them here lets both depend on this
//! module without depending on each other.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::views::SignatureView;

/// The query parameters of `GET /api/v1/records`, as parsed by `query::parse_record_query`.
/// Unknown parameters and repeated ones are refused with 400.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Only its OpenAPI description is used; the handler parses the raw pairs.
pub(crate) struct ListParams {
    /// Full-text query, up to 200 characters.
    #[param(max_length = 200)]
    q: Option<String>,
    /// The language `q` is written in (BCP 47): which stemmer reads it and which concept labels
    /// it is matched against. Without it, the node reads the language from the words, then the
    /// UI's language, then `Accept-Language`; the answer's `query` says which it settled on.
    #[param(example = "it")]
    q_lang: Option<String>,
    /// Only this kind: solution, case_study, best_practice, membership, endorsement.
    #[param(example = "case_study")]
    kind: Option<String>,
    /// Only this thematic community (e.g. `iot`, `data`, `citizens`, or an `x-` extension).
    theme: Option<String>,
    /// Only records carrying this concept, signed by the author or derived from the text:
    /// `mc:` followed by lowercase letters, digits and single hyphens (the full
    /// `urn:mosaico:concept:` IRI is accepted too). See `GET /api/v1/concepts`.
    #[param(example = "mc:machine-translation")]
    concept: Option<String>,
    /// Only records using this technology (e.g. `chatbot`).
    #[param(max_length = 200)]
    technology: Option<String>,
    /// Only records from this country (ISO 3166-1 alpha-2, capitals; `EU` for records about the
    /// whole European Union).
    #[param(pattern = "^[A-Z]{2}$", example = "IT")]
    country: Option<String>,
    /// Only records whose NUTS code starts with this prefix (`ITH` finds ITH5 and ITH3).
    #[param(pattern = "^[A-Z]{2}[A-Z0-9]{0,3}$", example = "ITH")]
    nuts: Option<String>,
    /// Only records with this status: planned, pilot, implemented, scaled, discontinued.
    status: Option<String>,
    /// Only records by this publishing key (64 lowercase hex digits).
    #[param(pattern = "^[0-9a-f]{64}$")]
    author: Option<String>,
    /// The language to show titles and summaries in (BCP 47); wins over `Accept-Language`.
    #[param(example = "it")]
    lang: Option<String>,
    /// Only versions created at or after this time, in milliseconds since 1970-01-01 UTC.
    #[param(minimum = 0)]
    updated_since: Option<u64>,
    /// Order: `relevance` (default with `q`, needs `q`), `newest` (default without), `title`.
    sort: Option<String>,
    /// The `next_cursor` of the previous page of the same search.
    #[param(max_length = 1024)]
    cursor: Option<String>,
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

/// The query parameters of `GET /api/v1/events`: the filters of `/records`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Only its OpenAPI description is used; the handler parses the raw pairs.
pub(crate) struct EventParams {
    /// Only this kind: solution, case_study, best_practice, membership, endorsement.
    #[param(example = "case_study")]
    kind: Option<String>,
    /// Only this thematic community.
    theme: Option<String>,
    /// Only records using this technology.
    #[param(max_length = 200)]
    technology: Option<String>,
    /// Only records from this country (ISO 3166-1 alpha-2, capitals; `EU` for records about the
    /// whole European Union).
    #[param(pattern = "^[A-Z]{2}$", example = "IT")]
    country: Option<String>,
    /// Only records whose NUTS code starts with this prefix.
    #[param(pattern = "^[A-Z]{2}[A-Z0-9]{0,3}$", example = "ITH")]
    nuts: Option<String>,
    /// Only records with this status.
    status: Option<String>,
    /// Only records by this publishing key (64 lowercase hex digits).
    #[param(pattern = "^[0-9a-f]{64}$")]
    author: Option<String>,
    /// Only records with a title or summary in this language; also the language shown.
    #[param(example = "it")]
    lang: Option<String>,
    /// Only versions created at or after this time, in milliseconds since 1970-01-01 UTC.
    #[param(minimum = 0)]
    updated_since: Option<u64>,
}

/// A draft: what a publisher writes. The node adds `format`, `author`, `version` and `created_at`.
/// Every other field of the record format may be given (title, summary, organisation, country…).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Draft)]
#[allow(dead_code)] // Schema only.
pub(crate) struct DraftSchema {
    /// solution, case_study, best_practice, membership or endorsement.
    #[schema(example = "case_study")]
    kind: String,
    /// The logical record's slug: lowercase letters, digits, `-`, `_` and `.`.
    #[schema(example = "chatbot-urp")]
    slug: String,
    /// The version this draft expects to become; refused with 409 if another came in between.
    version: Option<u64>,
    /// The title per language.
    #[schema(value_type = Option<Object>)]
    title: Option<Value>,
    /// The summary per language.
    #[schema(value_type = Option<Object>)]
    summary: Option<Value>,
}

/// A record signed elsewhere, in its wire envelope.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SignedEnvelope)]
#[allow(dead_code)] // Schema only.
pub(crate) struct EnvelopeSchema {
    /// The unsigned record with every header field.
    #[schema(value_type = Object)]
    record: Value,
    /// The signatures over `"mosaico-record-v1:" ‖ id`.
    signatures: Vec<SignatureView>,
}

/// The body of `POST /api/v1/records`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // Schema only.
pub(crate) enum PublishRequest {
    /// An unsigned draft.
    Draft(DraftSchema),
    /// A signed envelope.
    Signed(EnvelopeSchema),
}
