//! Exports: the search's results as DCAT-AP 3.0.1 (Turtle and JSON-LD), an Atom feed and CSV.
//!
//! Every export takes the same filters as `GET /api/v1/records` (parsed by the same
//! [`parse_record_query`]) and walks the same [`Backend::list_records`] pages, so an export
//! holds exactly what the JSON listing shows. DCAT and CSV walk every page; the Atom feed is one
//! page (newest first by default), as feed readers poll it.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header::{ACCEPT_LANGUAGE, CACHE_CONTROL, CONTENT_TYPE, HOST};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use mosaico_protocol::{Record, Verified};

use crate::backend::Backend;
use crate::dcat::{self, CatalogEntry, CatalogInfo};
use crate::error::ApiError;
use crate::query::{MAX_LIMIT, QueryError, RecordQuery, Sort, encode_cursor, parse_record_query};
use crate::views::RecordSummary;

/// The most records one export walks: a bound on the work a single request can cause.
pub const MAX_EXPORT_RECORDS: usize = 100_000;

/// The export routes, to be merged into the router before its state is set.
pub fn routes<B: Backend>() -> Router<B> {
    Router::new()
        .route("/export/catalog.ttl", get(catalog_turtle::<B>))
        .route("/export/catalog.jsonld", get(catalog_json_ld::<B>))
        .route("/export/records.csv", get(records_csv::<B>))
        .route("/feeds/atom.xml", get(atom::<B>))
}

type Pairs = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// Parses the search filters; `all` drops paging parameters (an export walks every page).
fn parse(pairs: Pairs, headers: &HeaderMap, all: bool) -> Result<RecordQuery, ApiError> {
    let Query(mut pairs) = pairs.map_err(|e| QueryError {
        parameter: "(query string)".into(),
        message: e.body_text(),
    })?;
    if all {
        pairs.retain(|(name, _)| name != "limit" && name != "cursor");
    }
    let accept_language = headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    let mut query = parse_record_query(&pairs, accept_language)?;
    if all {
        query.limit = MAX_LIMIT;
    }
    Ok(query)
}

/// Every summary matching `query`, page after page.
fn all_summaries<B: Backend>(
    backend: &B,
    query: &RecordQuery,
) -> Result<Vec<RecordSummary>, ApiError> {
    let mut query = query.clone();
    let mut items = Vec::new();
    loop {
        let page = backend.list_records(&query)?;
        items.extend(page.items);
        match page.next_cursor {
            Some(cursor) if items.len() < MAX_EXPORT_RECORDS => query.cursor = Some(cursor),
            _ => break,
        }
    }
    items.truncate(MAX_EXPORT_RECORDS);
    Ok(items)
}

/// A head with the creation time of its first version.
type Dated = (Record<Verified>, Option<u64>);

/// The full records behind the summaries, each with the creation time of its first version.
fn full_records<B: Backend>(
    backend: &B,
    summaries: &[RecordSummary],
) -> Result<Vec<Dated>, ApiError> {
    let mut records = Vec::with_capacity(summaries.len());
    for summary in summaries {
        if let Some(record) = backend.record(&summary.id)? {
            let issued = backend
                .versions(&summary.key)?
                .last()
                .map(|first| first.header().created_at);
            records.push((record, issued));
        }
    }
    Ok(records)
}

/// The base URL clients reached this node by, for the IRIs of the catalogue.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

async fn catalog_graph<B: Backend>(
    backend: B,
    query: RecordQuery,
    base: String,
) -> Result<dcat::Graph, ApiError> {
    // Walking every page and record reads the store many times: keep it off the async workers.
    tokio::task::spawn_blocking(move || {
        let summaries = all_summaries(&backend, &query)?;
        let records = full_records(&backend, &summaries)?;
        let entries: Vec<CatalogEntry<'_>> = records
            .iter()
            .map(|(record, issued)| CatalogEntry {
                record,
                issued: *issued,
            })
            .collect();
        let info = CatalogInfo {
            base,
            node_name: backend.status().node_name,
        };
        Ok(dcat::catalog(&info, &entries))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("export task failed: {e}")))?
}

fn document(content_type: &'static str, body: String) -> Response {
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

async fn catalog_turtle<B: Backend>(
    State(backend): State<B>,
    pairs: Pairs,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let query = parse(pairs, &headers, true)?;
    let graph = catalog_graph(backend, query, base_url(&headers)).await?;
    Ok(document("text/turtle; charset=utf-8", graph.to_turtle()))
}

async fn catalog_json_ld<B: Backend>(
    State(backend): State<B>,
    pairs: Pairs,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let query = parse(pairs, &headers, true)?;
    let graph = catalog_graph(backend, query, base_url(&headers)).await?;
    let body = serde_json::to_string(&graph.to_json_ld())
        .map_err(|e| ApiError::Internal(format!("JSON-LD: {e}")))?;
    Ok(document("application/ld+json", body))
}

/// One CSV field, always quoted (RFC 4180), with formula-leading characters defused so a
/// spreadsheet never runs a cell as a formula.
fn csv_field(text: &str) -> String {
    let defused = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    format!("\"{}\"", defused.replace('"', "\"\""))
}

async fn records_csv<B: Backend>(
    State(backend): State<B>,
    pairs: Pairs,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let query = parse(pairs, &headers, true)?;
    let base = base_url(&headers);
    let summaries = tokio::task::spawn_blocking(move || all_summaries(&backend, &query))
        .await
        .map_err(|e| ApiError::Internal(format!("export task failed: {e}")))??;
    let mut out = String::from(
        "id,author,kind,slug,version,title,lang,summary,organisation,country,nuts,themes,technologies,status,created_at,url\r\n",
    );
    for s in &summaries {
        let row = [
            s.id.to_hex(),
            s.key.author.to_hex(),
            s.kind.as_str().to_owned(),
            s.key.slug.clone(),
            s.version.to_string(),
            s.title.clone().unwrap_or_default(),
            s.lang.clone().unwrap_or_default(),
            s.summary.clone().unwrap_or_default(),
            s.organisation.clone().unwrap_or_default(),
            s.country.clone().unwrap_or_default(),
            s.nuts.clone().unwrap_or_default(),
            s.themes.join(";"),
            s.technologies.join(";"),
            s.status.clone().unwrap_or_default(),
            dcat::rfc3339(s.created_at),
            format!("{base}/api/v1/records/{}", s.id),
        ];
        out.push_str(
            &row.iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    Ok(document("text/csv; charset=utf-8", out))
}

fn xml(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&apos;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

async fn atom<B: Backend>(
    State(backend): State<B>,
    pairs: Pairs,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut query = parse(pairs, &headers, false)?;
    if query.q.is_none() {
        query.sort = Sort::Newest;
    }
    let base = base_url(&headers);
    let (page, node_name) = {
        let query = query.clone();
        tokio::task::spawn_blocking(move || {
            backend
                .list_records(&query)
                .map(|page| (page, backend.status().node_name))
        })
        .await
        .map_err(|e| ApiError::Internal(format!("feed task failed: {e}")))??
    };
    let updated = page.items.iter().map(|s| s.created_at).max().unwrap_or(0);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    out.push_str(&format!(
        "  <id>{}/feeds/atom.xml#{:016x}</id>\n",
        xml(&base),
        query.fingerprint()
    ));
    out.push_str(&format!(
        "  <title>{}: Mosaico records</title>\n",
        xml(&node_name)
    ));
    out.push_str(&format!(
        "  <updated>{}</updated>\n",
        dcat::rfc3339(updated)
    ));
    out.push_str(&format!(
        "  <author><name>{}</name></author>\n",
        xml(&node_name)
    ));
    out.push_str(&format!(
        "  <link rel=\"alternate\" type=\"application/json\" href=\"{}/api/v1/records\"/>\n",
        xml(&base)
    ));
    if let Some(cursor) = &page.next_cursor {
        out.push_str(&format!(
            "  <link rel=\"next\" href=\"{}/feeds/atom.xml?cursor={}\"/>\n",
            xml(&base),
            xml(&encode_cursor(cursor, &query))
        ));
    }
    for s in &page.items {
        let title = s.title.clone().unwrap_or_else(|| s.key.slug.clone());
        out.push_str("  <entry>\n");
        out.push_str(&format!("    <id>urn:mosaico:record:{}</id>\n", s.id));
        match &s.lang {
            Some(lang) => out.push_str(&format!(
                "    <title xml:lang=\"{}\">{}</title>\n",
                xml(lang),
                xml(&title)
            )),
            None => out.push_str(&format!("    <title>{}</title>\n", xml(&title))),
        }
        out.push_str(&format!(
            "    <updated>{}</updated>\n",
            dcat::rfc3339(s.created_at)
        ));
        out.push_str(&format!(
            "    <author><name>{}</name></author>\n",
            xml(s.organisation.as_deref().unwrap_or("unknown"))
        ));
        out.push_str(&format!(
            "    <link rel=\"alternate\" type=\"application/json\" href=\"{}/api/v1/records/{}\"/>\n",
            xml(&base),
            s.id
        ));
        if let Some(summary) = &s.summary {
            out.push_str(&format!("    <summary>{}</summary>\n", xml(summary)));
        }
        out.push_str(&format!(
            "    <category term=\"{}\"/>\n",
            xml(s.kind.as_str())
        ));
        for theme in &s.themes {
            out.push_str(&format!("    <category term=\"{}\"/>\n", xml(theme)));
        }
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    Ok(document("application/atom+xml; charset=utf-8", out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("a\"b"), "\"a\"\"b\"");
        assert_eq!(csv_field("=1+1"), "\"'=1+1\"");
    }

    #[test]
    fn xml_text_is_escaped() {
        assert_eq!(xml("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }
}
