//! The JSON API's handlers. Each one extracts, calls a pure parser, asks the backend and formats;
//! the rules themselves live in `query`, `body`, `headers` and `views`. The `utoipa::path`
//! attributes are the OpenAPI description of each route, kept next to the code they describe.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header::{ACCEPT_LANGUAGE, CACHE_CONTROL, CONTENT_TYPE, ETAG, LOCATION, VARY};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use mosaico_protocol::{Kind, LogicalKey, PublicKey, RecordId};

use crate::backend::{Backend, Published, Role};
use crate::body::{MAX_BODY_BYTES, PublishBody, body_format, parse_publish_body};
use crate::error::ApiError;
use crate::headers::{bearer_token, etag_for, not_modified};
use crate::limits::WriteLimiter;
use crate::query::{QueryError, encode_cursor, parse_record_query};
use crate::views::{
    ConceptSuggestions, ConceptView, MAX_CONCEPT_QUERY_CHARS, MAX_CONCEPT_SLUG_CHARS,
    MAX_CONCEPT_SUGGESTIONS, MembersView, PeerView, PublishedView, RecordList, RecordView,
    StatusView, VersionsView, suggest_concepts,
};
use mosaico_protocol::concepts::compact_concept_id;

/// A record version never changes: clients and proxies may keep it for a year.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// A head or a history changes when a new version arrives: keep it briefly.
const SHORT_CACHE: &str = "public, max-age=10";
/// Prometheus text exposition format.
pub(crate) const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A path whose parameters are `{author}/{kind}/{slug}`.
type KeyPath = Result<Path<(String, String, String)>, PathRejection>;

/// Search records.
#[utoipa::path(
    get,
    path = "/api/v1/records",
    tag = "records",
    params(crate::inputs::ListParams),
    responses(
        (status = 200, description = "One page of matching records, with the total and facet counts", body = RecordList),
        (status = 400, description = "A parameter is not valid (the problem names it), or the cursor is forged or stale", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The node is not ready", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn list_records<B: Backend>(
    State(backend): State<B>,
    pairs: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Query(pairs) = pairs.map_err(|e| QueryError {
        parameter: "(query string)".into(),
        message: e.body_text(),
    })?;
    let accept_language = headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    let query = parse_record_query(&pairs, accept_language)?;
    // Search may take milliseconds on a large index: keep it off the async workers.
    let page = {
        let (backend, query) = (backend.clone(), query.clone());
        tokio::task::spawn_blocking(move || backend.list_records(&query))
            .await
            .map_err(|e| ApiError::Internal(format!("search task failed: {e}")))??
    };
    let list = RecordList {
        next_cursor: page
            .next_cursor
            .map(|cursor| encode_cursor(&cursor, &query)),
        items: page.items,
        total: page.total,
        facets: page.facets,
        query: query.q.is_some().then_some(page.reading),
    };
    Ok((
        [
            (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (VARY, HeaderValue::from_static("Accept-Language")),
        ],
        Json(list),
    )
        .into_response())
}

/// Concepts whose labels contain a text: suggestions for a search box, in any language.
#[utoipa::path(
    get,
    path = "/api/v1/concepts",
    tag = "concepts",
    params(ConceptSearchParams),
    responses(
        (status = 200, description = "At most 20 concepts with a label containing `q`, labels in `lang` first", body = ConceptSuggestions),
        (status = 400, description = "A parameter is missing, unknown, repeated or not valid (the problem names it)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn concept_suggestions<B: Backend>(
    State(backend): State<B>,
    pairs: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Json<ConceptSuggestions>, ApiError> {
    let Query(pairs) = pairs.map_err(|e| QueryError {
        parameter: "(query string)".into(),
        message: e.body_text(),
    })?;
    let search = parse_concept_search(&pairs)?;
    let scheme = backend.concepts();
    Ok(Json(ConceptSuggestions {
        items: suggest_concepts(
            &scheme,
            &search.text,
            &search.language,
            MAX_CONCEPT_SUGGESTIONS,
        ),
    }))
}

/// One concept of the node's scheme, with its labels in every language and its links.
#[utoipa::path(
    get,
    path = "/api/v1/concepts/{slug}",
    tag = "concepts",
    params(
        ("slug" = String, Path, description = "The concept id without its `mc:` prefix: lowercase letters, digits and single hyphens", pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 100, example = "machine-translation"),
    ),
    responses(
        (status = 200, description = "The concept; narrower concepts are computed from the scheme's broader links", body = ConceptView),
        (status = 400, description = "The slug is not a well-formed concept id", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "This node's scheme has no such concept", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn concept<B: Backend>(
    State(backend): State<B>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<ConceptView>, ApiError> {
    let Path(slug) = path.map_err(path_error)?;
    let id = parse_concept_slug(&slug)?;
    let scheme = backend.concepts();
    let concept = scheme.get(&id).ok_or_else(|| {
        ApiError::NotFound(format!("this node's concept scheme has no concept {id}"))
    })?;
    Ok(Json(ConceptView::new(&scheme, concept)))
}

/// The query parameters of `GET /api/v1/concepts`. Unknown and repeated parameters are refused
/// with 400, like those of `/records`, so a misspelt name is never silently ignored.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Only its OpenAPI description is used; the handler parses the raw pairs.
pub(crate) struct ConceptSearchParams {
    /// The text a label must contain, compared case-folded: 1 to 100 characters, not only spaces.
    #[param(min_length = 1, max_length = 100, example = "traduz")]
    q: String,
    /// The reader's language (BCP 47; the primary subtag counts): its labels rank first and
    /// each suggestion's `label` is in it. English when absent.
    #[param(pattern = "^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$", example = "it")]
    lang: Option<String>,
}

/// A concept search as `parse_concept_search` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ConceptSearch {
    /// The text to find in labels.
    pub text: String,
    /// The primary subtag of the reader's language, lowercase.
    pub language: String,
}

/// Reads the parameters of `GET /api/v1/concepts`, refusing what the document does not allow.
pub(crate) fn parse_concept_search(
    pairs: &[(String, String)],
) -> Result<ConceptSearch, QueryError> {
    let bad = |parameter: &str, message: String| QueryError {
        parameter: parameter.to_owned(),
        message,
    };
    let mut text: Option<String> = None;
    let mut language: Option<String> = None;
    for (name, value) in pairs {
        let slot = match name.as_str() {
            "q" => &mut text,
            "lang" => &mut language,
            _ => {
                return Err(bad(
                    name,
                    "is not a parameter of this endpoint (q, lang)".to_owned(),
                ));
            }
        };
        if slot.is_some() {
            return Err(bad(name, "is given more than once".to_owned()));
        }
        *slot = Some(value.clone());
    }
    let text = text.ok_or_else(|| {
        bad(
            "q",
            "is required: the text to find in concept labels".to_owned(),
        )
    })?;
    if text.trim().is_empty() {
        return Err(bad("q", "is empty: type part of a label".to_owned()));
    }
    let length = text.chars().count();
    if length > MAX_CONCEPT_QUERY_CHARS {
        return Err(bad(
            "q",
            format!("is {length} characters long; the limit is {MAX_CONCEPT_QUERY_CHARS}"),
        ));
    }
    let language = match language {
        None => "en".to_owned(),
        Some(tag) => primary_language(&tag).ok_or_else(|| {
            bad(
                "lang",
                format!("{tag:?} is not a language tag (BCP 47, e.g. it or pt-BR)"),
            )
        })?,
    };
    Ok(ConceptSearch { text, language })
}

/// The lowercase primary subtag of a BCP 47 tag, when the tag is well formed.
fn primary_language(tag: &str) -> Option<String> {
    let mut parts = tag.split('-');
    let primary = parts.next()?;
    let primary_ok =
        (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_alphabetic());
    let rest_ok =
        parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()));
    (primary_ok && rest_ok).then(|| primary.to_ascii_lowercase())
}

/// The concept id of a path's slug (`machine-translation` → `mc:machine-translation`).
pub(crate) fn parse_concept_slug(slug: &str) -> Result<String, QueryError> {
    if slug.len() > MAX_CONCEPT_SLUG_CHARS {
        return Err(QueryError {
            parameter: "slug".to_owned(),
            message: format!(
                "is {} bytes long; concept slugs are at most {MAX_CONCEPT_SLUG_CHARS}",
                slug.len()
            ),
        });
    }
    compact_concept_id(&format!("mc:{slug}")).ok_or_else(|| QueryError {
        parameter: "slug".to_owned(),
        message: format!(
            "{slug:?} is not a concept id: lowercase letters, digits and single hyphens, e.g. machine-translation"
        ),
    })
}

/// One record version by id.
#[utoipa::path(
    get,
    path = "/api/v1/records/{id}",
    tag = "records",
    params(
        ("id" = String, Path, description = "The record id, 64 lowercase hex digits", pattern = "^[0-9a-f]{64}$"),
        ("If-None-Match" = Option<String>, Header, description = "An entity tag from an earlier answer"),
    ),
    responses(
        (status = 200, description = "The signed record; immutable", body = RecordView,
            headers(("ETag" = String, description = "The id in quotes"), ("Cache-Control" = String))),
        (status = 304, description = "The client's copy is current"),
        (status = 400, description = "The id is not 64 lowercase hex digits", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such record", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The node is not ready", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn record_by_id<B: Backend>(
    State(backend): State<B>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Path(id) = path.map_err(path_error)?;
    let id = parse_record_id(&id)?;
    let record = backend
        .record(&id)?
        .ok_or_else(|| ApiError::NotFound(format!("this node holds no record with id {id}")))?;
    Ok(record_response(&backend, &record, IMMUTABLE, &headers))
}

/// The head (current version) of a logical record, which may be its retraction.
#[utoipa::path(
    get,
    path = "/api/v1/records/{author}/{kind}/{slug}",
    tag = "records",
    params(
        ("author" = String, Path, description = "The publishing key, 64 lowercase hex digits", pattern = "^[0-9a-f]{64}$"),
        ("kind" = String, Path, description = "The record kind", example = "case_study"),
        ("slug" = String, Path, description = "The author's slug"),
        ("If-None-Match" = Option<String>, Header, description = "An entity tag from an earlier answer"),
    ),
    responses(
        (status = 200, description = "The head version", body = RecordView,
            headers(("ETag" = String, description = "The head's id in quotes"), ("Cache-Control" = String))),
        (status = 304, description = "The client's copy is still the head"),
        (status = 400, description = "A path parameter is not valid", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such logical record", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The node is not ready", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn head<B: Backend>(
    State(backend): State<B>,
    path: KeyPath,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let key = key_from_path(path)?;
    let record = backend
        .head(&key)?
        .ok_or_else(|| ApiError::NotFound(format!("this node holds no record {key}")))?;
    Ok(record_response(&backend, &record, SHORT_CACHE, &headers))
}

/// Every version of a logical record held by this node, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/records/{author}/{kind}/{slug}/versions",
    tag = "records",
    params(
        ("author" = String, Path, description = "The publishing key, 64 lowercase hex digits", pattern = "^[0-9a-f]{64}$"),
        ("kind" = String, Path, description = "The record kind", example = "case_study"),
        ("slug" = String, Path, description = "The author's slug"),
    ),
    responses(
        (status = 200, description = "The history, newest first", body = VersionsView),
        (status = 400, description = "A path parameter is not valid", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such logical record", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The node is not ready", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn versions<B: Backend>(
    State(backend): State<B>,
    path: KeyPath,
) -> Result<Response, ApiError> {
    let key = key_from_path(path)?;
    let versions = backend.versions(&key)?;
    let Some(head) = versions.first() else {
        return Err(ApiError::NotFound(format!(
            "this node holds no record {key}"
        )));
    };
    let view = VersionsView {
        head: head.id(),
        versions: versions
            .iter()
            .map(|record| RecordView::new(record, backend.authority(record)))
            .collect(),
        key,
    };
    Ok((
        [(CACHE_CONTROL, HeaderValue::from_static(SHORT_CACHE))],
        Json(view),
    )
        .into_response())
}

/// Publish a record: a draft for the node to sign, or an envelope signed elsewhere.
#[utoipa::path(
    post,
    path = "/api/v1/records",
    tag = "publishing",
    security(("bearer" = [])),
    request_body(
        description = "A draft (kind, slug and content fields; the node adds format, author, version and created_at and signs it) \
                       or a signed envelope (exactly `record` and `signatures`). At most 256 KiB.",
        content(
            (crate::inputs::PublishRequest = "application/json"),
            (crate::inputs::PublishRequest = "application/yaml"),
            (crate::inputs::PublishRequest = "text/yaml"),
        )
    ),
    responses(
        (status = 201, description = "Stored durably and gossiped", body = PublishedView,
            headers(("Location" = String, description = "Where the new version is served"))),
        (status = 400, description = "The body is not JSON or YAML", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No token, or an unknown one", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role or the federation's trust rules do not allow it", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The draft names a version that is no longer the next one", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 256 KiB", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON or YAML", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "The record is not valid; every broken field rule is listed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "The token has used its write allowance; see Retry-After", body = crate::error::Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the next write is allowed"))),
        (status = 503, description = "The node cannot take writes now", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn publish<B: Backend>(
    State(backend): State<B>,
    Extension(limiter): Extension<Arc<WriteLimiter>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let role = authenticate(&backend, &headers)?;
    if role == Role::Publisher {
        take_write(&limiter, &headers)?;
    }
    let format = body_format(headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()))?;
    let body = body.map_err(body_error)?;
    let published = match parse_publish_body(format, &body)? {
        PublishBody::Draft(draft) => {
            check_role(role, draft.kind())?;
            backend.publish(draft).await?
        }
        PublishBody::Signed(record) => {
            check_role(role, &record.header().kind)?;
            backend.publish_signed(record).await?
        }
    };
    Ok(created(published))
}

/// Retract one of this region's logical records: publishes a signed retraction as its head.
#[utoipa::path(
    post,
    path = "/api/v1/records/{author}/{kind}/{slug}/retract",
    tag = "publishing",
    security(("bearer" = [])),
    params(
        ("author" = String, Path, description = "The publishing key, 64 lowercase hex digits", pattern = "^[0-9a-f]{64}$"),
        ("kind" = String, Path, description = "The record kind", example = "case_study"),
        ("slug" = String, Path, description = "The author's slug"),
    ),
    responses(
        (status = 201, description = "The retraction is stored durably and gossiped", body = PublishedView,
            headers(("Location" = String, description = "Where the retraction is served"))),
        (status = 400, description = "A path parameter is not valid", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No token, or an unknown one", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token's role does not allow it, or the record is another region's", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such logical record", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "The token has used its write allowance; see Retry-After", body = crate::error::Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the next write is allowed"))),
        (status = 503, description = "The node cannot take writes now", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn retract<B: Backend>(
    State(backend): State<B>,
    Extension(limiter): Extension<Arc<WriteLimiter>>,
    headers: HeaderMap,
    path: KeyPath,
) -> Result<Response, ApiError> {
    let role = authenticate(&backend, &headers)?;
    if role == Role::Publisher {
        take_write(&limiter, &headers)?;
    }
    let key = key_from_path(path)?;
    check_role(role, &key.kind)?;
    Ok(created(backend.retract(key).await?))
}

/// The federation's members and endorsements.
#[utoipa::path(
    get,
    path = "/api/v1/members",
    tag = "federation",
    responses((status = 200, description = "Membership and endorsements", body = MembersView))
)]
pub(crate) async fn members<B: Backend>(State(backend): State<B>) -> Json<MembersView> {
    Json(backend.members())
}

/// The peers this node knows.
#[utoipa::path(
    get,
    path = "/api/v1/peers",
    tag = "federation",
    responses(
        (status = 200, description = "Known peers", body = Vec<PeerView>),
        (status = 503, description = "The network task is not answering", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 500, description = "Internal error", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn peers<B: Backend>(
    State(backend): State<B>,
) -> Result<Json<Vec<PeerView>>, ApiError> {
    Ok(Json(backend.peers().await?))
}

/// This node's state.
#[utoipa::path(
    get,
    path = "/api/v1/status",
    tag = "operations",
    responses((status = 200, description = "The node's state", body = StatusView))
)]
pub(crate) async fn status<B: Backend>(State(backend): State<B>) -> Response {
    (
        [(CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(backend.status()),
    )
        .into_response()
}

/// Liveness: answers while the process serves HTTP.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "The process is serving", body = String, content_type = "text/plain"))
)]
pub(crate) async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: whether the node should receive traffic.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = String, content_type = "text/plain"),
        (status = 503, description = "Not ready yet, or shutting down", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn readyz<B: Backend>(State(backend): State<B>) -> Result<&'static str, ApiError> {
    if backend.ready() {
        Ok("ready")
    } else {
        Err(ApiError::Unavailable(
            "the node is starting or shutting down (store, index or federation not loaded)".into(),
        ))
    }
}

/// Prometheus metrics.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, description = "Metrics in Prometheus text format 0.0.4", body = String,
        content_type = "text/plain; version=0.0.4; charset=utf-8"))
)]
pub(crate) async fn metrics<B: Backend>(State(backend): State<B>) -> Response {
    (
        [(CONTENT_TYPE, HeaderValue::from_static(PROMETHEUS_TEXT))],
        backend.metrics(),
    )
        .into_response()
}

/// Answers routes that do not exist.
pub(crate) async fn not_found(uri: Uri) -> ApiError {
    let path: String = uri.path().chars().take(200).collect();
    ApiError::NotFound(format!(
        "there is nothing at {path}; the API is described at /api/v1/openapi.json"
    ))
}

/// Answers known routes called with a method they do not have; axum adds the `Allow` header.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

fn authenticate<B: Backend>(backend: &B, headers: &HeaderMap) -> Result<Role, ApiError> {
    let token = bearer_token(headers)?;
    backend.authorize(token).ok_or(ApiError::Unauthorized {
        detail: "the bearer token is not known to this node (mistyped, revoked, or created on another node)",
        token_given: true,
    })
}

/// Takes one write from the token's allowance (after authentication, so only real tokens count).
fn take_write(limiter: &WriteLimiter, headers: &HeaderMap) -> Result<(), ApiError> {
    let token = bearer_token(headers)?;
    limiter
        .take(token, std::time::Instant::now())
        .map_err(|wait| ApiError::TooManyRequests {
            // Whole seconds, rounded up, at least one: Retry-After has no fractions.
            retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
        })
}

fn check_role(role: Role, kind: &Kind) -> Result<(), ApiError> {
    if role.may_publish(kind) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "{kind} records change who may publish in the federation and need an admin token; this token is a publisher's"
        )))
    }
}

fn created(published: Published) -> Response {
    let location = format!("/api/v1/records/{}", published.id);
    let header =
        HeaderValue::from_str(&location).unwrap_or(HeaderValue::from_static("/api/v1/records"));
    let view = PublishedView {
        id: published.id,
        key: published.key,
        version: published.version,
        location,
    };
    (StatusCode::CREATED, [(LOCATION, header)], Json(view)).into_response()
}

fn record_response<B: Backend>(
    backend: &B,
    record: &mosaico_protocol::Record<mosaico_protocol::Verified>,
    cache_control: &'static str,
    headers: &HeaderMap,
) -> Response {
    let etag = etag_for(&record.id());
    // The id is 64 hex digits in quotes, always a valid header value.
    let etag_header = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\""));
    let cache = [
        (ETAG, etag_header),
        (CACHE_CONTROL, HeaderValue::from_static(cache_control)),
    ];
    if not_modified(headers, &etag) {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    (
        cache,
        Json(RecordView::new(record, backend.authority(record))),
    )
        .into_response()
}

fn parse_record_id(text: &str) -> Result<RecordId, ApiError> {
    text.parse().map_err(|e: mosaico_protocol::keys::HexError| {
        ApiError::BadParameter(QueryError {
            parameter: "id".into(),
            message: e.to_string(),
        })
    })
}

/// Reads `{author}/{kind}/{slug}` into a logical key.
pub(crate) fn parse_logical_key(
    author: &str,
    kind: &str,
    slug: &str,
) -> Result<LogicalKey, ApiError> {
    let bad = |parameter: &str, message: String| {
        ApiError::BadParameter(QueryError {
            parameter: parameter.into(),
            message,
        })
    };
    let author: PublicKey = author
        .parse()
        .map_err(|e: mosaico_protocol::keys::HexError| bad("author", e.to_string()))?;
    let kind = Kind::parse(kind).map_err(|e| bad("kind", e.to_string()))?;
    if slug.is_empty() || slug.chars().count() > mosaico_protocol::Limits::MAX_SLUG {
        return Err(bad(
            "slug",
            format!(
                "must be 1 to {} characters",
                mosaico_protocol::Limits::MAX_SLUG
            ),
        ));
    }
    Ok(LogicalKey {
        author,
        kind,
        slug: slug.to_owned(),
    })
}

fn key_from_path(path: KeyPath) -> Result<LogicalKey, ApiError> {
    let Path((author, kind, slug)) = path.map_err(path_error)?;
    parse_logical_key(&author, &kind, &slug)
}

fn path_error(rejection: PathRejection) -> ApiError {
    ApiError::BadParameter(QueryError {
        parameter: "(path)".into(),
        message: rejection.body_text(),
    })
}

fn body_error(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        }
    } else {
        ApiError::MalformedBody {
            detail: format!("the body could not be read: {}", rejection.body_text()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_keys_name_the_bad_segment() {
        let author = "ab".repeat(32);
        let key = parse_logical_key(&author, "case_study", "chatbot").expect("valid");
        assert_eq!(key.to_string(), format!("{author}/case_study/chatbot"));
        for (a, k, s, parameter) in [
            ("xyz", "case_study", "x", "author"),
            (author.as_str(), "novel", "x", "kind"),
            (author.as_str(), "solution", "", "slug"),
        ] {
            match parse_logical_key(a, k, s) {
                Err(ApiError::BadParameter(e)) => assert_eq!(e.parameter, parameter),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn publishers_may_not_publish_trust_records() {
        assert!(check_role(Role::Publisher, &Kind::CaseStudy).is_ok());
        assert!(check_role(Role::Publisher, &Kind::Endorsement).is_err());
        assert!(check_role(Role::Admin, &Kind::Membership).is_ok());
    }
}
