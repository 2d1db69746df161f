//! The staff web UI: server-rendered HTML pages at `/`, over the same [`Backend`] as the API.
//!
//! Every page works without JavaScript; `static/mosaico.js` only adds the in-browser signature
//! check and live updates. Pages are written with [`html::Html`], which can only emit markup
//! from string literals, so every record value is escaped by construction. Interface text
//! comes from the message catalogues in `i18n/`, in Italian or English (chosen by `?lang=`, then
//! a cookie, then `Accept-Language`).
//!
//! Module map: `layout` (page shell and shared fragments), `browse` (home, search), `record`
//! (record, history), `members`, `publish` (sign-in, form, new version, retraction), `session`
//! (sessions, CSRF, cookies), `format` (dates, numbers, URLs), `i18n`, `html`.

mod browse;
mod format;
mod html;
mod i18n;
mod layout;
mod members;
mod publish;
mod record;
mod session;

use axum::Router;
use axum::extract::Extension;
use axum::http::header::{ACCEPT_LANGUAGE, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::backend::{Backend, Role};
pub use i18n::Lang;
use i18n::Tr;
use session::{LANG_COOKIE, Session, Sessions, cookie, is_https};

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
        .route("/records/{id}", get(record::record_page::<B>))
        .route("/records/{id}/history", get(record::history_page::<B>))
        .route("/members", get(members::members_page::<B>))
        .route(
            "/signin",
            get(publish::signin_form::<B>).post(publish::signin::<B>),
        )
        .route("/signout", post(publish::signout::<B>))
        .route(
            "/publish",
            get(publish::new_form::<B>).post(publish::submit::<B>),
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

/// What every page needs to know about the request.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    /// The interface language's translator.
    pub tr: Tr,
    /// Set when `?lang=` chose the language, so the choice is remembered in a cookie.
    pub remember_lang: bool,
    /// Whether cookies must be `Secure`.
    pub secure: bool,
    /// The signed-in session (id, session, role), if any.
    pub session: Option<(String, Session, Role)>,
    /// The request's path.
    pub path: String,
    /// The request's query pairs.
    pub pairs: Vec<(String, String)>,
    /// `Accept-Language` with the interface language first, for content language choices.
    pub content_languages: String,
    /// The node's region name.
    pub node_name: String,
}

impl Ctx {
    /// Reads the request's language, session and location.
    pub fn new<B: Backend>(
        backend: &B,
        headers: &HeaderMap,
        uri: &Uri,
        sessions: &Sessions,
    ) -> Ctx {
        // A malformed query string reads as empty: the page then shows the unfiltered view.
        let pairs: Vec<(String, String)> = axum::extract::Query::try_from_uri(uri)
            .map(|axum::extract::Query(pairs)| pairs)
            .unwrap_or_default();
        let from_query = pairs
            .iter()
            .find(|(name, _)| name == "lang")
            .and_then(|(_, value)| Lang::from_tag(value));
        let accept = headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let lang = from_query
            .or_else(|| cookie(headers, LANG_COOKIE).and_then(Lang::from_tag))
            .or_else(|| {
                crate::query::parse_accept_language(accept)
                    .iter()
                    .find_map(|tag| Lang::from_tag(tag))
            })
            .unwrap_or(Lang::En);
        let session = cookie(headers, session::SESSION_COOKIE).and_then(|id| {
            let session = sessions.get(id)?;
            let role = backend.authorize(&session.token)?;
            Some((id.to_owned(), session, role))
        });
        Ctx {
            tr: Tr::new(lang),
            remember_lang: from_query.is_some(),
            secure: is_https(headers),
            session,
            path: uri.path().to_owned(),
            pairs,
            content_languages: if accept.is_empty() {
                lang.tag().to_owned()
            } else {
                format!("{}, {accept}", lang.tag())
            },
            node_name: backend.status().node_name,
        }
    }

    /// The interface language.
    pub fn lang(&self) -> Lang {
        self.tr.lang
    }

    /// The session's CSRF token, when signed in.
    pub fn csrf(&self) -> Option<&str> {
        self.session.as_ref().map(|(_, s, _)| s.csrf.as_str())
    }

    /// The signed-in role, if any.
    pub fn role(&self) -> Option<Role> {
        self.session.as_ref().map(|(_, _, role)| *role)
    }

    /// A query parameter's value.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A `303 See Other` to `location`, with extra `Set-Cookie` values.
pub(crate) fn redirect(location: &str, cookies: &[String]) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}
