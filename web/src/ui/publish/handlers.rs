//! The publish form's handlers: the kind choice, a new record's form, a new version's form,
//! and the one post every button of the form sends (add or remove a language, preview,
//! publish).

use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use mosaico_protocol::draft::DraftError;
use mosaico_protocol::vocab::Kind;
use mosaico_protocol::{FieldError, Limits, Record, RecordError, Verified};

use super::form::{LangRow, RecordForm};
use super::render::{form_page, kind_choice_page};
use crate::backend::{Backend, PublishError};
use crate::ui::context::{Ctx, SignedIn, redirect};
use crate::ui::layout::error_page;
use crate::ui::posted::{FormPairs, bad_form, csrf_checked, field_value};
use crate::ui::record::load;

/// The kind choice, or a new record's form (`?kind=`).
pub(crate) async fn new_form(SignedIn { ctx, .. }: SignedIn) -> Response {
    match ctx.param("kind").map(Kind::parse) {
        Some(Ok(kind)) if kind.is_content() => {
            let form = RecordForm::new(&kind, ctx.tr.lang.tag());
            form_page(&ctx, &form, &[], None, None, StatusCode::OK)
        }
        _ => kind_choice_page(&ctx),
    }
}

/// The form for a new version, filled in from the record.
pub(crate) async fn edit_form<B: Backend>(
    State(backend): State<B>,
    Path(id): Path<String>,
    SignedIn { ctx, .. }: SignedIn,
) -> Response {
    let record = match load_own(&backend, &ctx, &id) {
        Ok(record) => record,
        Err(response) => return response,
    };
    let head = backend.head(&record.logical_key()).ok().flatten();
    let next = head.map_or(record.header().version, |h| h.header().version) + 1;
    let form = RecordForm::from_record(record.header(), record.body(), next);
    form_page(&ctx, &form, &[], None, None, StatusCode::OK)
}

/// The record `id`, if this node may sign a new version of it. Another region's record, or a
/// trust record (which only the operator's tools change), is refused with a 403 page; an unknown
/// or malformed id gets what [`load`] answers.
// The error is the finished page, as in `load`: boxing it buys nothing.
#[allow(clippy::result_large_err)]
pub(super) fn load_own<B: Backend>(
    backend: &B,
    ctx: &Ctx,
    id: &str,
) -> Result<Record<Verified>, Response> {
    let record = load(backend, ctx, id)?;
    if record.header().author != backend.status().public_key || !record.header().kind.is_content() {
        return Err(error_page(
            ctx,
            StatusCode::FORBIDDEN,
            ctx.tr.t("publish.foreign.title"),
            ctx.tr.t("publish.foreign.text"),
        ));
    }
    Ok(record)
}

/// The wall clock in milliseconds since 1970, the draft's creation time.
fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// Every button of the form: add or remove a language, preview, publish.
pub(crate) async fn submit<B: Backend>(
    State(backend): State<B>,
    signed_in: SignedIn,
    form: FormPairs,
) -> Response {
    let pairs = match csrf_checked(&signed_in, form) {
        Ok(pairs) => pairs,
        Err(refusal) => return refusal,
    };
    let SignedIn { ctx, session } = signed_in;
    let role = session.role;
    let mut form = RecordForm::from_pairs(&pairs);
    let kind = match Kind::parse(&form.kind) {
        Ok(kind) if kind.is_content() && role.may_publish(&kind) => kind,
        _ => return bad_form(&ctx),
    };
    let action = field_value(&pairs, "action").unwrap_or("preview");
    if action == "add-language" {
        if form.rows.len() < Limits::MAX_LANGUAGES {
            form.rows.push(LangRow::default());
        }
        let focus = form.rows.len() - 1;
        return form_page(&ctx, &form, &[], None, Some(focus), StatusCode::OK);
    }
    if let Some(index) = action
        .strip_prefix("remove-language-")
        .and_then(|i| i.parse::<usize>().ok())
    {
        if form.rows.len() > 1 && index < form.rows.len() {
            form.rows.remove(index);
        }
        return form_page(&ctx, &form, &[], None, None, StatusCode::OK);
    }
    let (draft, body) = match form.check(backend.status().public_key, now_millis()) {
        Ok(checked) => checked,
        Err(errors) => {
            return form_page(
                &ctx,
                &form,
                &errors,
                None,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    if action != "publish" {
        return form_page(&ctx, &form, &[], Some(&body), None, StatusCode::OK);
    }
    debug_assert_eq!(draft.kind(), &kind);
    match backend.publish(draft).await {
        Ok(published) => redirect(&format!("/records/{}?published=1", published.id), &[]),
        Err(error) => {
            let errors = publish_errors(&ctx, error);
            form_page(
                &ctx,
                &form,
                &errors,
                None,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    }
}

/// A refused publish as field errors (general ones under the field `(record)`).
fn publish_errors(ctx: &Ctx, error: PublishError) -> Vec<FieldError> {
    match error {
        PublishError::Invalid(RecordError::Invalid(errors)) => errors,
        PublishError::Draft(DraftError::Invalid(errors)) => errors,
        PublishError::Invalid(other) => {
            vec![FieldError::new("(record)", other.code(), other.to_string())]
        }
        PublishError::Draft(other) => vec![FieldError::new(
            "version",
            "inconsistent",
            other.to_string(),
        )],
        PublishError::NotAllowed(text) | PublishError::Unavailable(text) => {
            vec![FieldError::new("(record)", "not_allowed", text)]
        }
        PublishError::NotFound => vec![FieldError::new("(record)", "not_found", "no such record")],
        PublishError::Internal(cause) => {
            tracing::error!(%cause, "publish from the web form failed");
            vec![FieldError::new(
                "(record)",
                "internal",
                ctx.tr.t("error.backend.text"),
            )]
        }
    }
}
