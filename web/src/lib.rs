//! Mosaico's HTTP surface: the JSON API under `/api/v1`, operations endpoints, and one error type.
//!
//! The crate depends on the protocol only. Everything stateful (store, search, network, the
//! region's key) sits behind the [`Backend`] trait, which the node implements; [`router`] turns
//! any backend into an axum `Router`, so tests drive the API with `oneshot` and no server.
//!
//! Shape of the crate:
//! - [`backend`]: the trait and its error types;
//! - [`query`], `body`, `headers`: pure parsers of URLs, bodies and header values;
//! - [`views`]: the JSON documents and the pure functions that build them;
//! - [`error`]: [`ApiError`] and its RFC 9457 problem documents;
//! - `api` and `sse`: thin handlers; `export`: DCAT, CSV and Atom exports; [`ui`]: the HTML UI;
//! - `inputs`: OpenAPI descriptions of the inputs the handlers parse by hand;
//! - `openapi`: the generated OpenAPI 3.1 document and its handler.
//!
//! Dependencies between these modules point one way, from the handlers down to the parsers and
//! views, and from `openapi` to the handlers it describes; nothing below names the crate root.
//! The route table lives here, at the root, so it may name every handler without closing a ring.

pub mod backend;
pub mod dcat;
pub mod error;
pub mod query;
pub mod views;

mod api;
mod body;
mod export;
mod headers;
mod inputs;
mod limits;
mod openapi;
mod sse;
pub mod ui;

#[cfg(feature = "testing")]
pub mod testing;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath};
use axum::http::{HeaderName, HeaderValue, Request, header};
use axum::response::Response;
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use backend::{Backend, BackendError, LiveEvent, PublishError, Published, Role};
pub use body::MAX_BODY_BYTES;
pub use error::{ApiError, Problem};
pub use limits::{RouterOptions, WriteLimiter, WriteRate};
pub use openapi::ApiDoc;
pub use query::{Cursor, RecordQuery, Sort};
pub use sse::{ReloadNotice, matches_content_filters};
pub use views::{
    Facets, MembersView, PeerSyncView, PeerView, RecordPage, RecordSummary, RecordView, StatusView,
};

/// The content security policy of API responses: JSON needs no sources and no framing. The HTML
/// UI sets its own policy, which this default does not override.
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Builds the router over `backend` with the default options: no cross-origin reads, the
/// default write rate.
pub fn router<B: Backend>(backend: B) -> Router {
    router_with(backend, RouterOptions::default())
}

/// Builds the router over `backend`: every route, the 404/405 fallbacks, body limits, write rate
/// limits, CORS for reads when origins are configured, tracing, server-error logging and
/// security headers.
pub fn router_with<B: Backend>(backend: B, options: RouterOptions) -> Router {
    let limiter = std::sync::Arc::new(WriteLimiter::new(options.write_rate));
    let cors =
        (!options.cors_origins.is_empty()).then(|| limits::cors_layer(&options.cors_origins));
    Router::new()
        .route(
            "/api/v1/records",
            get(api::list_records::<B>).post(api::publish::<B>),
        )
        .route("/api/v1/records/{id}", get(api::record_by_id::<B>))
        .route(
            "/api/v1/records/{author}/{kind}/{slug}",
            get(api::head::<B>),
        )
        .route(
            "/api/v1/records/{author}/{kind}/{slug}/versions",
            get(api::versions::<B>),
        )
        .route(
            "/api/v1/records/{author}/{kind}/{slug}/retract",
            post(api::retract::<B>),
        )
        .route("/api/v1/concepts", get(api::concept_suggestions::<B>))
        .route("/api/v1/concepts/{slug}", get(api::concept::<B>))
        .route("/api/v1/events", get(sse::events::<B>))
        .route("/api/v1/members", get(api::members::<B>))
        .route("/api/v1/peers", get(api::peers::<B>))
        .route("/api/v1/status", get(api::status::<B>))
        .route("/api/v1/openapi.json", get(openapi::openapi))
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz::<B>))
        .route("/metrics", get(api::metrics::<B>))
        .merge(ui::routes::<B>())
        .merge(export::routes::<B>())
        // Must follow the routes: it is installed on each route registered so far.
        .method_not_allowed_fallback(api::method_not_allowed)
        .fallback(api::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::Extension(limiter))
        .layer(tower::util::option_layer(cors))
        .layer(axum::middleware::map_response(log_server_errors))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(API_CSP),
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                // Server errors are logged once, with their cause, by `log_server_errors`.
                .on_failure(()),
        )
        .with_state(backend)
}

/// The span of one request: its method and the route it matched (never the raw path, which
/// would make every record id its own label).
fn request_span(request: &Request<Body>) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str)
        .unwrap_or("(no route)");
    tracing::info_span!("http_request", method = %request.method(), route)
}

/// Logs every server error exactly once, inside the request's span, with the cause the
/// [`ApiError`] left in the response (the client never sees it).
async fn log_server_errors(mut response: Response) -> Response {
    let status = response.status();
    if status.is_server_error() {
        let cause = response
            .extensions_mut()
            .remove::<error::ServerErrorCause>()
            .map(|cause| cause.0)
            .unwrap_or_else(|| "no cause recorded".to_owned());
        if status == axum::http::StatusCode::SERVICE_UNAVAILABLE {
            // Expected while starting or draining; not a fault to page anyone about.
            tracing::warn!(status = status.as_u16(), %cause, "request refused: node unavailable");
        } else {
            tracing::error!(status = status.as_u16(), %cause, "request failed");
        }
    }
    response
}
