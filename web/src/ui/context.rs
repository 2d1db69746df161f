//! What every UI handler needs to know about its request, as axum extractors.
//!
//! [`Ctx`] reads the interface language, the signed-in session (if any) and the request's
//! location once, before the handler runs, so no handler repeats that preamble. [`SignedIn`] is
//! the same context for the pages only a signed-in user may see; without a live session it
//! answers for the handler with the same `303` to `/signin` every such page gave before.

use axum::extract::rejection::ExtensionRejection;
use axum::extract::{Extension, FromRequestParts, Query};
use axum::http::header::ACCEPT_LANGUAGE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::i18n::{Lang, Tr};
use super::session::{LANG_COOKIE, SESSION_COOKIE, Sessions, cookie, is_https};
use crate::backend::{Backend, Role};
use crate::query::parse_accept_language;

/// The signed-in session a request carries: a live session id whose token the backend still
/// accepts.
#[derive(Debug, Clone)]
pub(crate) struct ActiveSession {
    /// The session id, as the cookie holds it; signing out removes it from the table.
    pub id: String,
    /// The CSRF token every form of this session must carry.
    pub csrf: String,
    /// What the session's token may do, asked of the backend on this very request.
    pub role: Role,
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
    /// The signed-in session, if any.
    pub session: Option<ActiveSession>,
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
    fn read<B: Backend>(backend: &B, headers: &HeaderMap, uri: &Uri, sessions: &Sessions) -> Ctx {
        // A malformed query string reads as empty: the page then shows the unfiltered view.
        let pairs: Vec<(String, String)> = Query::try_from_uri(uri)
            .map(|Query(pairs)| pairs)
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
                parse_accept_language(accept)
                    .iter()
                    .find_map(|tag| Lang::from_tag(tag))
            })
            .unwrap_or(Lang::En);
        let session = cookie(headers, SESSION_COOKIE).and_then(|id| {
            let session = sessions.get(id)?;
            let role = backend.authorize(&session.token)?;
            Some(ActiveSession {
                id: id.to_owned(),
                csrf: session.csrf,
                role,
            })
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
        self.session.as_ref().map(|s| s.csrf.as_str())
    }

    /// The signed-in role, if any.
    pub fn role(&self) -> Option<Role> {
        self.session.as_ref().map(|s| s.role)
    }

    /// A query parameter's value.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl<B: Backend> FromRequestParts<B> for Ctx {
    /// Only when the router lacks its session table, which `ui::routes` always installs.
    type Rejection = ExtensionRejection;

    async fn from_request_parts(parts: &mut Parts, backend: &B) -> Result<Self, Self::Rejection> {
        let Extension(sessions) = Extension::<Sessions>::from_request_parts(parts, backend).await?;
        Ok(Ctx::read(backend, &parts.headers, &parts.uri, &sessions))
    }
}

/// The context of a request from a signed-in user, for the pages that need one.
#[derive(Debug, Clone)]
pub(crate) struct SignedIn {
    /// The request's context; its `session` is the same one as below.
    pub ctx: Ctx,
    /// The signed-in session.
    pub session: ActiveSession,
}

impl<B: Backend> FromRequestParts<B> for SignedIn {
    /// A `303` to the sign-in form, or the missing session table's error.
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, backend: &B) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, backend)
            .await
            .map_err(IntoResponse::into_response)?;
        match ctx.session.clone() {
            Some(session) => Ok(SignedIn { ctx, session }),
            None => Err(redirect("/signin", &[])),
        }
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

#[cfg(test)]
mod tests {
    use axum::http::Request;
    use axum::http::header::{COOKIE, LOCATION};

    use super::*;
    use crate::testing::{MemoryBackend, PUBLISHER_TOKEN};

    /// The parts of a GET of `uri` with `headers`, carrying `sessions` as `ui::routes` installs it.
    fn parts(uri: &str, headers: &[(&str, &str)], sessions: &Sessions) -> Parts {
        let mut request = Request::get(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let (mut parts, ()) = request.body(()).expect("a valid request").into_parts();
        parts.extensions.insert(sessions.clone());
        parts
    }

    async fn ctx(uri: &str, headers: &[(&str, &str)], sessions: &Sessions) -> Ctx {
        Ctx::from_request_parts(&mut parts(uri, headers, sessions), &MemoryBackend::new())
            .await
            .expect("the session table is installed")
    }

    #[tokio::test]
    async fn language_comes_from_the_query_then_the_cookie_then_accept_language() {
        let sessions = Sessions::default();
        let accept_en = ("accept-language", "en");
        let chosen = ctx(
            "/?lang=it",
            &[accept_en, ("cookie", "mosaico_lang=en")],
            &sessions,
        )
        .await;
        assert_eq!((chosen.lang(), chosen.remember_lang), (Lang::It, true));
        let remembered = ctx("/", &[accept_en, ("cookie", "mosaico_lang=it")], &sessions).await;
        assert_eq!(
            (remembered.lang(), remembered.remember_lang),
            (Lang::It, false)
        );
        let asked = ctx("/", &[("accept-language", "it-IT, en;q=0.5")], &sessions).await;
        assert_eq!(asked.lang(), Lang::It);
        assert_eq!(asked.content_languages, "it, it-IT, en;q=0.5");
        assert_eq!(ctx("/", &[], &sessions).await.lang(), Lang::En);
    }

    #[tokio::test]
    async fn a_session_counts_only_while_the_backend_knows_its_token() {
        let sessions = Sessions::default();
        let known = format!("mosaico_session={}", sessions.create(PUBLISHER_TOKEN));
        let signed_in = ctx("/", &[("cookie", &known)], &sessions).await;
        assert_eq!(signed_in.role(), Some(Role::Publisher));
        assert!(signed_in.csrf().is_some_and(|csrf| csrf.len() == 64));
        let unknown = format!("mosaico_session={}", sessions.create("a revoked token"));
        assert!(
            ctx("/", &[("cookie", &unknown)], &sessions)
                .await
                .session
                .is_none()
        );
        let forged = ctx("/", &[("cookie", "mosaico_session=forged")], &sessions).await;
        assert!(forged.session.is_none());
    }

    #[tokio::test]
    async fn signed_in_without_a_session_answers_see_other_to_the_sign_in_form() {
        let sessions = Sessions::default();
        let backend = MemoryBackend::new();
        let refused =
            SignedIn::from_request_parts(&mut parts("/publish", &[], &sessions), &backend)
                .await
                .expect_err("no session cookie");
        assert_eq!(refused.status(), StatusCode::SEE_OTHER);
        assert_eq!(refused.headers()[LOCATION], "/signin");
        let cookie = format!("mosaico_session={}", sessions.create(PUBLISHER_TOKEN));
        let mut with_session = parts("/publish", &[], &sessions);
        with_session
            .headers
            .insert(COOKIE, cookie.parse().expect("a header value"));
        let signed_in = SignedIn::from_request_parts(&mut with_session, &backend)
            .await
            .expect("a live session");
        assert_eq!(signed_in.session.role, Role::Publisher);
        assert_eq!(signed_in.ctx.csrf(), Some(signed_in.session.csrf.as_str()));
    }

    #[tokio::test]
    async fn a_router_without_the_session_table_is_refused_not_served_as_signed_out() {
        let (mut parts, ()) = Request::get("/")
            .body(())
            .expect("a valid request")
            .into_parts();
        let refused = Ctx::from_request_parts(&mut parts, &MemoryBackend::new()).await;
        assert!(refused.is_err());
    }
}
