//! The OpenAPI 3.1 document and the handler that serves it, assembled from the handlers'
//! `utoipa::path` attributes, the response types' `ToSchema` derives and the input descriptions
//! in `inputs`.
//!
//! Dependencies point one way: this module names the handlers of `api` and `sse`, and none of
//! them names this module. That is why the document's own handler lives here rather than among
//! the other operations endpoints in `api`.

use std::sync::LazyLock;

use axum::body::Bytes;
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::{FieldErrorView, Problem};
use crate::inputs::{DraftSchema, EnvelopeSchema, PublishRequest};
use crate::views::{
    AuthorityView, ConceptSuggestion, ConceptSuggestions, ConceptView, EndorsementView, Facets,
    FederationView, LogicalKeySchema, MatchWhy, MatchedConcept, MemberView, MembersView,
    PeerSyncView, PeerView, PublishedView, QueryLanguageSource, QueryReading, RecordList,
    RecordSummary, RecordView, SignatureView, StatusView, VersionsView,
};
use crate::{api, sse};

/// This API's OpenAPI 3.1 document.
// The function keeps the name `openapi`: utoipa makes the operation id from it, and the
// document must not change.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object))
)]
pub(crate) async fn openapi() -> Response {
    // Built once: the document is a function of the code alone.
    static DOCUMENT: LazyLock<Bytes> = LazyLock::new(|| {
        // A tree of strings, numbers and maps with string keys always serializes.
        Bytes::from(serde_json::to_vec(&ApiDoc::openapi()).unwrap_or_default())
    });
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        DOCUMENT.clone(),
    )
        .into_response()
}

/// Declares the bearer scheme the publishing operations name in their `security` lists.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A token created by the operator with `mosaico token create`",
                    ))
                    .build(),
            ),
        );
    }
}

/// The API's OpenAPI document.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Mosaico node API",
        description = "Browse, search and publish the signed records of a Mosaico federation. Errors are RFC 9457 problem documents.",
        license(name = "EUPL-1.2", identifier = "EUPL-1.2"),
    ),
    paths(
        api::list_records,
        sse::events,
        api::publish,
        api::record_by_id,
        api::head,
        api::versions,
        api::retract,
        api::concept_suggestions,
        api::concept,
        api::members,
        api::peers,
        api::status,
        openapi,
        api::healthz,
        api::readyz,
        api::metrics,
    ),
    components(schemas(
        Problem, FieldErrorView, RecordView, SignatureView, AuthorityView, VersionsView, RecordSummary,
        RecordList, Facets, MatchWhy, QueryReading, MatchedConcept, QueryLanguageSource, PublishedView, LogicalKeySchema, MembersView, FederationView, MemberView,
        EndorsementView, StatusView, PeerSyncView, PeerView, PublishRequest, DraftSchema, EnvelopeSchema,
        ConceptSuggestion, ConceptSuggestions, ConceptView, sse::ReloadNotice,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "records", description = "Search and read signed records"),
        (name = "publishing", description = "Publish and retract records (bearer token)"),
        (name = "concepts", description = "The node's multilingual concept scheme: suggestions and concepts"),
        (name = "federation", description = "Members, endorsements and peers"),
        (name = "operations", description = "Health, readiness, metrics and this document"),
    )
)]
pub struct ApiDoc;
