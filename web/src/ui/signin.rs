//! Signing in and out of the staff UI.
//!
//! A publisher signs in with their bearer token; the session table in `session` keeps the
//! token and hands the browser only a session id. The sign-in form has no session yet, so its
//! CSRF token is a double submit: the same random value in a hidden field and in a cookie.
//! Signing out needs the session's own CSRF token, so no other site can sign a user out.

use axum::Form;
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use super::context::{Ctx, redirect};
use super::html::Html;
use super::layout::{NavSection, page_with_status};
use super::posted::{FormPairs, bad_form, csrf_refused, field_value};
use super::session::{
    CSRF_COOKIE, SESSION_COOKIE, SESSION_IDLE, Sessions, cookie, random_token, same_secret,
    set_cookie,
};
use crate::backend::Backend;

/// The sign-in form with `csrf` as its double-submit token (also set in its cookie), and
/// `error` next to the token field when the last attempt failed.
fn signin_page(ctx: &Ctx, csrf: &str, error: Option<&str>, status: StatusCode) -> Response {
    let tr = &ctx.tr;
    let mut h = Html::new();
    let heading = tr.t("signin.title");
    h.elem("h1", &[], heading);
    h.elem("p", &[], tr.t("signin.lead"));
    h.raw("<form method=\"post\" action=\"/signin\" class=\"form\" novalidate>");
    h.raw("<input type=\"hidden\" name=\"csrf\"")
        .attr("value", csrf)
        .raw(">");
    let described = if error.is_some() {
        "token-hint token-error"
    } else {
        "token-hint"
    };
    h.raw("<div class=\"field\">");
    h.elem("label", &[("for", "token")], tr.t("signin.token"));
    h.elem(
        "p",
        &[("id", "token-hint"), ("class", "hint")],
        tr.t("signin.hint"),
    );
    if let Some(error) = error {
        h.raw("<p id=\"token-error\" class=\"error\"><strong>")
            .text(tr.t("form.error_prefix"))
            .raw("</strong> ")
            .text(error)
            .raw("</p>");
    }
    h.raw("<input type=\"password\" id=\"token\" name=\"token\" autocomplete=\"current-password\" required")
        .attr("aria-describedby", described);
    if error.is_some() {
        h.raw(" aria-invalid=\"true\"");
    }
    h.raw("></div><button type=\"submit\">")
        .text(tr.t("signin.button"))
        .raw("</button></form>");
    let mut response = page_with_status(ctx, status, NavSection::Publish, heading, h);
    let cookie = set_cookie(CSRF_COOKIE, csrf, None, ctx.secure);
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The sign-in form.
pub(crate) async fn signin_form(ctx: Ctx, headers: HeaderMap) -> Response {
    if ctx.session.is_some() {
        return redirect("/publish", &[]);
    }
    let csrf = cookie(&headers, CSRF_COOKIE)
        .filter(|c| c.len() == 64)
        .map(str::to_owned)
        .unwrap_or_else(random_token);
    signin_page(&ctx, &csrf, None, StatusCode::OK)
}

/// Signs in with a publisher token.
pub(crate) async fn signin<B: Backend>(
    State(backend): State<B>,
    Extension(sessions): Extension<Sessions>,
    headers: HeaderMap,
    ctx: Ctx,
    form: FormPairs,
) -> Response {
    let Ok(Form(pairs)) = form else {
        return bad_form(&ctx);
    };
    let expected = cookie(&headers, CSRF_COOKIE).unwrap_or_default();
    let given = field_value(&pairs, "csrf").unwrap_or_default();
    if expected.is_empty() || !same_secret(expected, given) {
        return csrf_refused(&ctx);
    }
    let token = field_value(&pairs, "token").unwrap_or_default().trim();
    if token.is_empty() || backend.authorize(token).is_none() {
        let message = if token.is_empty() {
            ctx.tr.t("signin.empty")
        } else {
            ctx.tr.t("signin.unknown")
        };
        return signin_page(&ctx, expected, Some(message), StatusCode::UNAUTHORIZED);
    }
    let id = sessions.create(token);
    if let Some(old) = &ctx.session {
        sessions.remove(&old.id);
    }
    redirect(
        "/publish",
        &[set_cookie(
            SESSION_COOKIE,
            &id,
            Some(SESSION_IDLE),
            ctx.secure,
        )],
    )
}

/// Signs out.
pub(crate) async fn signout(
    Extension(sessions): Extension<Sessions>,
    ctx: Ctx,
    form: FormPairs,
) -> Response {
    let Ok(Form(pairs)) = form else {
        return bad_form(&ctx);
    };
    let Some(session) = &ctx.session else {
        return redirect("/", &[]);
    };
    if !same_secret(
        &session.csrf,
        field_value(&pairs, "csrf").unwrap_or_default(),
    ) {
        return csrf_refused(&ctx);
    }
    sessions.remove(&session.id);
    redirect(
        "/",
        &[set_cookie(
            SESSION_COOKIE,
            "",
            Some(std::time::Duration::ZERO),
            ctx.secure,
        )],
    )
}
