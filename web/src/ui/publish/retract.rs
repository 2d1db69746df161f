//! Retracting one of this region's records: a confirmation page, then the post that publishes
//! the signed retraction as the record's new head.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use mosaico_protocol::{Record, Verified};

use super::handlers::load_own;
use crate::backend::{Backend, PublishError};
use crate::ui::context::{Ctx, SignedIn, redirect};
use crate::ui::html::Html;
use crate::ui::layout::{NavSection, error_page, page_with_status};
use crate::ui::posted::{FormPairs, csrf_checked, field_value};
use crate::views::pick_language;

/// The confirmation step before a retraction.
pub(crate) async fn retract_confirm<B: Backend>(
    State(backend): State<B>,
    Path(id): Path<String>,
    SignedIn { ctx, .. }: SignedIn,
) -> Response {
    let record = match load_own(&backend, &ctx, &id) {
        Ok(record) => record,
        Err(response) => return response,
    };
    retract_page(&ctx, &record, StatusCode::OK)
}

/// The question whether to retract `record`, with the form that confirms it.
fn retract_page(ctx: &Ctx, record: &Record<Verified>, status: StatusCode) -> Response {
    let tr = &ctx.tr;
    let prefs = vec![tr.lang.tag().to_owned()];
    let title = pick_language(&record.body().title, &prefs)
        .map(|(_, t)| t.to_owned())
        .unwrap_or_else(|| record.header().slug.clone());
    let mut h = Html::new();
    let heading = tr.t("retract.title");
    h.elem("h1", &[], heading);
    h.elem(
        "p",
        &[("class", "lead")],
        &tr.tf("retract.question", &[("title", &title)]),
    );
    h.elem("p", &[], tr.t("retract.explain"));
    h.open(
        "form",
        &[
            ("method", "post"),
            ("action", &format!("/records/{}/retract", record.id())),
            ("class", "form"),
        ],
    );
    h.raw("<input type=\"hidden\" name=\"csrf\"")
        .attr("value", ctx.csrf().unwrap_or_default())
        .raw(">");
    h.raw("<input type=\"hidden\" name=\"confirm\" value=\"yes\">");
    h.raw("<div class=\"buttons\"><button type=\"submit\" class=\"danger\">")
        .text(tr.t("retract.confirm"))
        .raw("</button> ")
        .link(&format!("/records/{}", record.id()), tr.t("retract.cancel"))
        .raw("</div></form>");
    page_with_status(ctx, status, NavSection::Publish, heading, h)
}

/// Publishes the retraction, once confirmed.
pub(crate) async fn retract<B: Backend>(
    State(backend): State<B>,
    Path(id): Path<String>,
    signed_in: SignedIn,
    form: FormPairs,
) -> Response {
    let pairs = match csrf_checked(&signed_in, form) {
        Ok(pairs) => pairs,
        Err(refusal) => return refusal,
    };
    let SignedIn { ctx, session } = signed_in;
    let role = session.role;
    let record = match load_own(&backend, &ctx, &id) {
        Ok(record) => record,
        Err(response) => return response,
    };
    if field_value(&pairs, "confirm") != Some("yes") || !role.may_publish(&record.header().kind) {
        return retract_page(&ctx, &record, StatusCode::OK);
    }
    match backend.retract(record.logical_key()).await {
        Ok(published) => redirect(&format!("/records/{}", published.id), &[]),
        Err(error) => {
            let message = match error {
                PublishError::Internal(cause) => {
                    tracing::error!(%cause, "retraction from the web UI failed");
                    ctx.tr.t("error.backend.text").to_owned()
                }
                other => other.to_string(),
            };
            error_page(
                &ctx,
                StatusCode::CONFLICT,
                ctx.tr.t("retract.failed"),
                &message,
            )
        }
    }
}
