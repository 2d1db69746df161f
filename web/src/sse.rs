//! `GET /api/v1/events`: live record events as server-sent events, filtered like `/records`.
//!
//! The backend hands over a stream of [`LiveEvent`]s fed by a bounded broadcast channel. A client
//! that reads too slowly loses events rather than making the node queue without bound; it then
//! gets a `reload` event and should fetch `/records` again. Keep-alive comments every 15 seconds
//! keep proxies from closing an idle stream.

use std::convert::Infallible;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt as _};
use mosaico_protocol::{Record, Verified};
use serde::Serialize;
use utoipa::ToSchema;

use crate::backend::{Backend, LiveEvent};
use crate::error::ApiError;
use crate::query::{QueryError, RecordQuery, parse_record_query};
use crate::views::RecordSummary;

/// Parameters of `/records` that make no sense for a stream.
const NOT_FOR_EVENTS: [&str; 4] = ["q", "sort", "cursor", "limit"];

/// The data of a `reload` event.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReloadNotice {
    /// How many events this client missed.
    pub missed: u64,
    /// What to do about it.
    pub detail: String,
}

/// Stream live events: `record` (a new or updated record), `retracted`, `membership` (a
/// membership or endorsement change) and `reload` (events were missed; fetch `/records` again).
/// The data of `record`, `retracted` and `membership` events is a record summary; the event id
/// is the record id. Filters are those of `/records`; content filters (theme, technology,
/// country, nuts, status, lang, updated_since) apply to `record` events only, since a retraction
/// carries no content and trust records have none of those fields.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "records",
    params(crate::inputs::EventParams),
    responses(
        (status = 200, description = "A stream of server-sent events (`event: record|retracted|membership|reload`); the data of the first three is a RecordSummary, of `reload` a ReloadNotice",
            body = String, content_type = "text/event-stream"),
        (status = 400, description = "A parameter is not valid (the problem names it)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(crate) async fn events<B: Backend>(
    State(backend): State<B>,
    pairs: Result<Query<Vec<(String, String)>>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let Query(pairs) = pairs.map_err(|e| QueryError {
        parameter: "(query string)".into(),
        message: e.body_text(),
    })?;
    if let Some((name, _)) = pairs
        .iter()
        .find(|(name, _)| NOT_FOR_EVENTS.contains(&name.as_str()))
    {
        return Err(QueryError {
            parameter: name.clone(),
            message: "is not a parameter of /events (kind, theme, technology, country, nuts, status, author, lang, updated_since)".into(),
        }
        .into());
    }
    let accept_language = headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    let query = parse_record_query(&pairs, accept_language)?;
    let languages = query.language_preferences();
    let stream = backend.live_events().filter_map(move |event| {
        let event = to_sse(&event, &query, &languages);
        async move { event.map(Ok) }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// The SSE event for `event`, or `None` when the client's filters exclude it.
fn to_sse(event: &LiveEvent, query: &RecordQuery, languages: &[String]) -> Option<Event> {
    let (name, record) = match event {
        LiveEvent::Lagged { missed } => {
            let notice = ReloadNotice {
                missed: *missed,
                detail:
                    "this client read too slowly and missed events; fetch /api/v1/records again"
                        .into(),
            };
            return Event::default().event("reload").json_data(notice).ok();
        }
        // An older version arriving late changes nothing anyone sees.
        LiveEvent::Stored { head: false, .. } => return None,
        LiveEvent::Stored { record, head: true } => (classify(record, query)?, record),
    };
    let summary = RecordSummary::from_record(record, languages);
    Event::default()
        .event(name)
        .id(record.id().to_hex())
        .json_data(summary)
        .ok()
}

/// The event name of a new head, if the query lets it through.
fn classify(record: &Record<Verified>, query: &RecordQuery) -> Option<&'static str> {
    let header = record.header();
    let kind_ok = match &query.kind {
        Some(kind) => *kind == header.kind,
        None => true,
    };
    let author_ok = query.author.is_none_or(|a| a == header.author);
    if !(kind_ok && author_ok) {
        return None;
    }
    if !header.kind.is_content() {
        return Some("membership");
    }
    if header.retracted {
        return Some("retracted");
    }
    matches_content_filters(record, query).then_some("record")
}

/// Whether `record` matches the content filters of `query` (everything but kind, author, text,
/// order and page), with the same rules as search: technology ignores case, `nuts` is a prefix,
/// `lang` compares primary subtags of the title and summary languages.
pub fn matches_content_filters(record: &Record<Verified>, query: &RecordQuery) -> bool {
    let header = record.header();
    let body = record.body();
    let primary = |tag: &str| tag.split('-').next().unwrap_or(tag).to_ascii_lowercase();
    query.theme.as_ref().is_none_or(|t| body.themes.contains(t))
        && query
            .technology
            .as_ref()
            .is_none_or(|t| body.technologies.iter().any(|x| x.eq_ignore_ascii_case(t)))
        && query
            .country
            .as_ref()
            .is_none_or(|c| body.country.as_deref() == Some(c.as_str()))
        && query.nuts.as_ref().is_none_or(|n| {
            body.nuts
                .as_deref()
                .is_some_and(|x| x.starts_with(n.as_str()))
        })
        && query
            .status
            .as_ref()
            .is_none_or(|s| body.status.as_ref() == Some(s))
        && query.updated_since.is_none_or(|t| header.created_at >= t)
        && query.lang.as_ref().is_none_or(|l| {
            body.title
                .keys()
                .chain(body.summary.keys())
                .any(|k| primary(k) == primary(l))
        })
}
