//! Reading a posted form: its fields, the CSRF check, and the pages that refuse a post.
//!
//! Forms are read as raw name-value pairs rather than into a struct, so that repeated fields
//! (checkboxes) and numbered ones (one row per language) keep their order, and a form that is
//! not `application/x-www-form-urlencoded` gets the UI's own error page instead of axum's text.

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::http::StatusCode;
use axum::response::Response;

use super::context::{Ctx, SignedIn};
use super::layout::error_page;
use super::session::same_secret;

/// A posted form as the handlers take it: a rejection is answered with [`bad_form`].
pub(crate) type FormPairs = Result<Form<Vec<(String, String)>>, FormRejection>;

/// The first value of field `name`, if the form has it.
pub(crate) fn field_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The page for a post whose CSRF token is missing or wrong.
pub(crate) fn csrf_refused(ctx: &Ctx) -> Response {
    error_page(
        ctx,
        StatusCode::FORBIDDEN,
        ctx.tr.t("csrf.title"),
        ctx.tr.t("csrf.text"),
    )
}

/// The page for a post that is not a readable form.
pub(crate) fn bad_form(ctx: &Ctx) -> Response {
    error_page(
        ctx,
        StatusCode::BAD_REQUEST,
        ctx.tr.t("form.bad.title"),
        ctx.tr.t("form.bad.text"),
    )
}

/// The checks every signed-in form post makes after [`SignedIn`] found the session: a readable
/// form, carrying the session's CSRF token. Gives the form's fields.
// The refusal is the page the caller returns as is, once per request: boxing it buys nothing.
#[allow(clippy::result_large_err)]
pub(crate) fn csrf_checked(
    signed_in: &SignedIn,
    form: FormPairs,
) -> Result<Vec<(String, String)>, Response> {
    let Ok(Form(pairs)) = form else {
        return Err(bad_form(&signed_in.ctx));
    };
    if !same_secret(
        &signed_in.session.csrf,
        field_value(&pairs, "csrf").unwrap_or_default(),
    ) {
        return Err(csrf_refused(&signed_in.ctx));
    }
    Ok(pairs)
}
