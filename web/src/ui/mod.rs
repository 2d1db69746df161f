//! The staff web UI: server-rendered HTML pages at `/`, over the same [`Backend`] as the API.
//!
//! Every page works without JavaScript; `static/mosaico.js` only adds the in-browser signature
//! check and live updates. Pages are written with [`html::Html`], which can only emit markup
//! from string literals, so every record value is escaped by construction. Interface text
//! comes from the message catalogues in `i18n/`, in Italian or English (chosen by `?lang=`, then
//! a cookie, then `Accept-Language`).
//!
//! Module map, from the bottom up: `html`, `i18n`, `format` (dates, numbers, URLs) and
//! `session` (the session table, CSRF tokens, cookies) know nothing of requests; `context` turns
//! a request into the `Ctx` and `SignedIn` extractors every handler takes;
//! `layout` (page shell and shared fragments) and `posted` (reading a posted form, the CSRF
//! check) build on it; the pages are `concepts` (the concept index and pages, and the concept
//! fragments other pages show), `browse` (home, search), `record` (record, history),
//! `members`, `signin` (sign-in and out) and `publish` (form, new version, retraction). Each
//! module names only modules before it in this list, so there is no ring among them.

mod browse;
mod concepts;
mod context;
mod format;
mod html;
mod i18n;
mod layout;
mod members;
mod posted;
mod publish;
mod record;
mod session;
mod signin;

use axum::Router;
use axum::extract::Extension;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::backend::Backend;
pub use i18n::Lang;
use session::Sessions;

/// The UI's content security policy: scripts, styles and fetches from this node only, nothing
/// inline, no framing, forms only to this node.
pub const UI_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const CSS: &str = include_str!("../../static/mosaico.css");
const JS: &str = include_str!("../../static/mosaico.js");

/// The UI's routes, to be merged into the main router.
pub fn routes<B: Backend>() -> Router<B> {
    Router::new()
        .route("/", get(browse::home::<B>))
        .route("/search", get(browse::search::<B>))
        .route("/concepts", get(concepts::index_page::<B>))
        .route("/concepts/{slug}", get(concepts::concept_page::<B>))
        .route("/records/{id}", get(record::record_page::<B>))
        .route("/records/{id}/history", get(record::history_page::<B>))
        .route("/members", get(members::members_page::<B>))
        .route(
            "/signin",
            get(signin::signin_form).post(signin::signin::<B>),
        )
        .route("/signout", post(signin::signout))
        .route(
            "/publish",
            get(publish::new_form).post(publish::submit::<B>),
        )
        .route("/records/{id}/edit", get(publish::edit_form::<B>))
        .route(
            "/records/{id}/retract",
            get(publish::retract_confirm::<B>).post(publish::retract::<B>),
        )
        .route("/static/mosaico.css", get(css))
        .route("/static/mosaico.js", get(js))
        .layer(Extension(Sessions::default()))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(UI_CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
}

async fn css() -> Response {
    static_asset("text/css; charset=utf-8", CSS)
}

async fn js() -> Response {
    static_asset("text/javascript; charset=utf-8", JS)
}

fn static_asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(content_type)),
            // Assets change only with the binary; an hour keeps upgrades visible the same day.
            (
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        body,
    )
        .into_response()
}
