//! Home and search: what is in the federation, and finding it.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use mosaico_protocol::concepts::ConceptScheme;

use super::concepts::{DATALIST_ID, also_found, concept_datalist, concept_facet, concept_name};
use super::context::Ctx;
use super::format::{number, url_with};
use super::html::Html;
use super::i18n::{Lang, Tr};
use super::layout::{NavSection, backend_error_page, page, page_with_status, record_card};
use crate::backend::{Backend, BackendError};
use crate::query::{QueryError, RecordQuery, decode_cursor, encode_cursor, parse_record_query};
use crate::views::RecordPage;

/// The parameters a search page keeps in its URL, in the order links write them.
const SEARCH_PARAMS: [&str; 9] = [
    "q",
    "kind",
    "theme",
    "technology",
    "concept",
    "country",
    "nuts",
    "status",
    "sort",
];
/// The facets shown, as (query parameter, vocabulary for labels, catalogue key of the heading).
const FACETS: [(&str, &str, &str); 5] = [
    ("kind", "kind", "field.kind"),
    ("theme", "theme", "field.themes"),
    ("status", "status", "field.status"),
    ("country", "country", "field.country"),
    ("technology", "technology", "field.technologies"),
];
/// Terms listed per facet; the rest are reachable by search.
const FACET_TERMS: usize = 12;

async fn list<B: Backend>(backend: &B, query: RecordQuery) -> Result<RecordPage, BackendError> {
    let backend = backend.clone();
    // Search may take milliseconds on a large index: keep it off the async workers.
    tokio::task::spawn_blocking(move || backend.list_records(&query))
        .await
        .map_err(|e| BackendError::Internal(format!("search task failed: {e}")))?
}

/// The search form; with a scheme, its input suggests the concepts' names from a datalist.
fn search_box(
    h: &mut Html,
    tr: &Tr,
    q: &str,
    hidden: &[(String, String)],
    suggest: Option<&ConceptScheme>,
) {
    h.raw("<form role=\"search\" method=\"get\" action=\"/search\" class=\"searchbox\">");
    h.elem("label", &[("for", "q")], tr.t("search.label"));
    h.raw("<div class=\"row\"><input type=\"search\" id=\"q\" name=\"q\" maxlength=\"200\"")
        .attr("value", q);
    if suggest.is_some() {
        h.attr("list", DATALIST_ID);
    }
    h.raw(">");
    if let Some(scheme) = suggest {
        concept_datalist(h, scheme, tr);
    }
    for (name, value) in hidden {
        h.raw("<input type=\"hidden\"")
            .attr("name", name)
            .attr("value", value)
            .raw(">");
    }
    h.raw("<button type=\"submit\">")
        .text(tr.t("search.button"))
        .raw("</button></div></form>");
}

fn sorted_counts(counts: &BTreeMap<String, u64>) -> Vec<(&String, u64)> {
    let mut sorted: Vec<(&String, u64)> = counts.iter().map(|(k, v)| (k, *v)).collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    sorted
}

/// The home page.
pub(crate) async fn home<B: Backend>(State(backend): State<B>, ctx: Ctx) -> Response {
    let tr = &ctx.tr;
    let query = match parse_record_query(
        &[("limit".to_owned(), "10".to_owned())],
        Some(&ctx.content_languages),
    ) {
        Ok(query) => query,
        Err(_) => return backend_error_page(&ctx, &BackendError::Internal("home query".into())),
    };
    let latest = match list(&backend, query).await {
        Ok(page) => page,
        Err(e) => return backend_error_page(&ctx, &e),
    };
    let members = backend.members();
    let peers = backend.peers().await.unwrap_or_default();
    let status = backend.status();

    let mut h = Html::new();
    h.elem("h1", &[], tr.t("home.title"));
    h.elem(
        "p",
        &[("class", "lead")],
        &tr.tf("home.lead", &[("federation", &members.federation.name)]),
    );
    search_box(&mut h, tr, "", &[], None);

    h.raw("<section aria-labelledby=\"h-counts\">");
    h.elem("h2", &[("id", "h-counts")], tr.t("home.counts"));
    h.elem(
        "p",
        &[],
        &tr.tf("home.total", &[("count", &number(tr.lang, latest.total))]),
    );
    h.raw("<div class=\"columns\">");
    for (param, vocabulary, heading) in [
        ("kind", "kind", "home.by_kind"),
        ("theme", "theme", "home.by_theme"),
        ("country", "country", "home.by_country"),
    ] {
        let counts = match param {
            "kind" => &latest.facets.kind,
            "theme" => &latest.facets.theme,
            _ => &latest.facets.country,
        };
        h.raw("<div>");
        h.elem("h3", &[], tr.t(heading));
        if counts.is_empty() {
            h.elem("p", &[], tr.t("home.none"));
        } else {
            h.raw("<ul class=\"counts\">");
            for (term, count) in sorted_counts(counts).into_iter().take(FACET_TERMS) {
                let href = url_with("/search", &[(param.to_owned(), term.clone())]);
                h.raw("<li>")
                    .link(&href, &tr.term(vocabulary, term))
                    .raw(" <span class=\"count\">")
                    .text(&number(tr.lang, count))
                    .raw("</span></li>");
            }
            h.raw("</ul>");
        }
        h.raw("</div>");
    }
    h.raw("</div></section>");

    h.raw("<section aria-labelledby=\"h-latest\">");
    h.elem("h2", &[("id", "h-latest")], tr.t("home.latest"));
    live_region(&mut h, tr);
    if latest.items.is_empty() {
        h.elem("p", &[], tr.t("home.empty"));
    } else {
        h.raw("<ul class=\"results\">");
        for item in &latest.items {
            record_card(&mut h, tr, item, &[], "h3");
        }
        h.raw("</ul>");
        h.raw("<p>").link("/search", tr.t("home.all")).raw("</p>");
    }
    h.raw("</section>");

    h.raw("<section aria-labelledby=\"h-members\">");
    h.elem("h2", &[("id", "h-members")], tr.t("home.members"));
    h.raw("<ul class=\"members\">");
    for member in &members.members {
        let state = if member.key == status.public_key {
            tr.t("node.this")
        } else if peers
            .iter()
            .any(|p| p.connected && p.name.as_deref() == Some(member.name.as_str()))
        {
            tr.t("node.connected")
        } else {
            tr.t("node.not_connected")
        };
        h.raw("<li>").elem("strong", &[], &member.name);
        if let Some(country) = &member.country {
            h.raw(" (").text(tr.country(country)).raw(")");
        }
        h.raw(" — ")
            .elem("span", &[("class", "state")], state)
            .raw("</li>");
    }
    h.raw("</ul><p>")
        .link("/members", tr.t("home.members_link"))
        .raw("</p></section>");
    page(&ctx, NavSection::Home, tr.t("home.title"), h)
}

/// A polite live region that the script fills when new records arrive (empty without it).
fn live_region(h: &mut Html, tr: &Tr) {
    h.open(
        "div",
        &[
            ("class", "live"),
            ("id", "live-updates"),
            ("aria-live", "polite"),
            ("data-new-records", tr.t("live.new_records")),
            ("data-reload", tr.t("live.reload")),
        ],
    )
    .close("div");
}

/// The search page.
pub(crate) async fn search<B: Backend>(State(backend): State<B>, ctx: Ctx) -> Response {
    let tr = &ctx.tr;
    // `lang` chooses the interface; the content language follows it through `content_languages`.
    let pairs: Vec<(String, String)> = ctx
        .pairs
        .iter()
        .filter(|(name, value)| name != "lang" && !value.is_empty())
        .cloned()
        .collect();
    let active: Vec<(String, String)> = SEARCH_PARAMS
        .iter()
        .filter_map(|name| {
            pairs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(n, v)| (n.clone(), v.clone()))
        })
        .collect();
    let q = ctx.param("q").unwrap_or_default().to_owned();

    let mut h = Html::new();
    h.elem("h1", &[], tr.t("search.title"));
    let hidden: Vec<(String, String)> = active.iter().filter(|(n, _)| n != "q").cloned().collect();
    let scheme = backend.concepts();
    search_box(&mut h, tr, &q, &hidden, Some(&scheme));

    let query = match search_query(&pairs, &ctx.content_languages, tr.lang) {
        Ok(query) => query,
        Err(e) => {
            h.raw("<div class=\"alert\" role=\"alert\"><p>")
                .elem("strong", &[], tr.t("search.invalid"))
                .raw(" ")
                .elem("span", &[("lang", "en")], &e.to_string())
                .raw("</p><p>")
                .link("/search", tr.t("search.reset"))
                .raw("</p></div>");
            return page_with_status(
                &ctx,
                StatusCode::BAD_REQUEST,
                NavSection::Search,
                tr.t("search.title"),
                h,
            );
        }
    };
    let words: Vec<String> = query
        .q
        .as_deref()
        .map(|q| q.split_whitespace().map(str::to_lowercase).collect())
        .unwrap_or_default();
    let results = match list(&backend, query.clone()).await {
        Ok(page) => page,
        Err(e) => return backend_error_page(&ctx, &e),
    };
    let without = |name: &str| -> Vec<(String, String)> {
        active.iter().filter(|(n, _)| n != name).cloned().collect()
    };

    // Active filters, each removable on its own.
    let filters: Vec<&(String, String)> = active
        .iter()
        .filter(|(n, _)| n != "q" && n != "sort")
        .collect();
    if !filters.is_empty() {
        h.raw("<section aria-labelledby=\"h-active\" class=\"active-filters\">");
        h.elem("h2", &[("id", "h-active")], tr.t("search.active"));
        h.raw("<ul>");
        for (name, value) in &filters {
            let shown = if name == "concept" {
                concept_name(&scheme, tr, value)
            } else {
                tr.term(name, value)
            };
            let label = format!("{}: {}", facet_heading(tr, name), shown);
            let remove = tr.tf("search.remove", &[("filter", &label)]);
            h.raw("<li>").text(&label).raw(" ");
            h.elem(
                "a",
                &[
                    ("href", &url_with("/search", &without(name))),
                    ("aria-label", &remove),
                ],
                tr.t("search.remove_short"),
            );
            h.raw("</li>");
        }
        h.raw("</ul><p>")
            .link("/search", tr.t("search.clear"))
            .raw("</p></section>");
    }

    h.raw("<div class=\"search-layout\">");
    // Facets.
    h.raw("<aside aria-labelledby=\"h-filters\" class=\"facets\">");
    h.elem("h2", &[("id", "h-filters")], tr.t("search.filters"));
    for (param, vocabulary, heading) in FACETS {
        let counts = match param {
            "kind" => &results.facets.kind,
            "theme" => &results.facets.theme,
            "status" => &results.facets.status,
            "country" => &results.facets.country,
            _ => &results.facets.technology,
        };
        if counts.is_empty() {
            continue;
        }
        h.elem("h3", &[], tr.t(heading));
        h.raw("<ul>");
        let current = active
            .iter()
            .find(|(n, _)| n == param)
            .map(|(_, v)| v.as_str());
        for (term, count) in sorted_counts(counts).into_iter().take(FACET_TERMS) {
            let label = tr.term(vocabulary, term);
            h.raw("<li>");
            if current == Some(term.as_str()) {
                h.elem(
                    "a",
                    &[
                        ("href", &url_with("/search", &without(param))),
                        ("aria-current", "true"),
                    ],
                    &label,
                );
            } else {
                let mut with = without(param);
                with.push((param.to_owned(), term.clone()));
                h.link(&url_with("/search", &with), &label);
            }
            h.raw(" <span class=\"count\">")
                .text(&tr.tf("search.count", &[("count", &number(tr.lang, count))]))
                .raw("</span></li>");
        }
        h.raw("</ul>");
    }
    let concept_counts: Vec<(&String, u64)> = sorted_counts(&results.facets.concept)
        .into_iter()
        .take(FACET_TERMS)
        .collect();
    concept_facet(
        &mut h,
        &scheme,
        tr,
        &concept_counts,
        active
            .iter()
            .find(|(n, _)| n == "concept")
            .map(|(_, v)| v.as_str()),
        &without("concept"),
    );
    h.raw("</aside>");

    // Results.
    h.raw("<section aria-labelledby=\"h-results\" class=\"results-section\">");
    h.elem("h2", &[("id", "h-results")], tr.t("search.results"));
    h.elem(
        "p",
        &[("class", "total")],
        &tr.tf(
            "search.total",
            &[("count", &number(tr.lang, results.total))],
        ),
    );
    // Sort, as a small form that keeps every other parameter.
    h.raw("<form method=\"get\" action=\"/search\" class=\"sort\">");
    for (name, value) in without("sort") {
        h.raw("<input type=\"hidden\"")
            .attr("name", &name)
            .attr("value", &value)
            .raw(">");
    }
    h.elem("label", &[("for", "sort")], tr.t("search.sort"));
    h.raw("<select id=\"sort\" name=\"sort\">");
    for (value, key) in [
        ("relevance", "sort.relevance"),
        ("newest", "sort.newest"),
        ("title", "sort.title"),
    ] {
        let mut attrs = vec![("value", value)];
        if query.sort.as_str() == value {
            attrs.push(("selected", "selected"));
        }
        h.elem("option", &attrs, tr.t(key));
    }
    h.raw("</select><button type=\"submit\">")
        .text(tr.t("search.apply"))
        .raw("</button></form>");
    live_region(&mut h, tr);
    if results.items.is_empty() {
        h.elem("p", &[], tr.t("search.none"));
    } else {
        h.raw("<ul class=\"results\">");
        for item in &results.items {
            record_card(&mut h, tr, item, &words, "h3");
        }
        h.raw("</ul>");
    }
    also_found(&mut h, &scheme, tr, &results.reading, &results.items);
    // Pagination: forward by cursor, and back to the start.
    if results.next_cursor.is_some() || query.cursor.is_some() {
        h.open(
            "nav",
            &[("aria-label", tr.t("search.pages")), ("class", "pages")],
        )
        .raw("<ul>");
        if query.cursor.is_some() {
            h.raw("<li>")
                .link(&url_with("/search", &active), tr.t("search.first"))
                .raw("</li>");
        }
        if let Some(cursor) = &results.next_cursor {
            let mut next = active.clone();
            next.push(("cursor".to_owned(), encode_cursor(cursor, &query)));
            h.raw("<li>")
                .link(&url_with("/search", &next), tr.t("search.next"))
                .raw("</li>");
        }
        h.raw("</ul></nav>");
    }
    // The same search as a feed and as a spreadsheet.
    h.raw("<p class=\"exports\">");
    h.link(
        &url_with("/feeds/atom.xml", &without("sort")),
        tr.t("search.atom"),
    );
    h.raw(" · ");
    h.link(
        &url_with("/export/records.csv", &active),
        tr.t("search.csv"),
    );
    h.raw("</p></section></div>");
    page(&ctx, NavSection::Search, tr.t("search.title"), h)
}

/// The search of a page in `lang`: the query is typed into the page, so the node reads it in
/// that language unless `q_lang` or the words themselves say otherwise. The UI's language is
/// part of what a cursor's fingerprint covers, so a single cursor is checked here, once the
/// language is set, rather than by the parser, which does not know it.
fn search_query(
    pairs: &[(String, String)],
    content_languages: &str,
    lang: Lang,
) -> Result<RecordQuery, QueryError> {
    let cursors = pairs.iter().filter(|(name, _)| name == "cursor").count();
    let is_cursor = |name: &str| cursors == 1 && name == "cursor";
    let cursor = pairs.iter().find(|(name, _)| is_cursor(name));
    let rest: Vec<(String, String)> = pairs
        .iter()
        .filter(|(name, _)| !is_cursor(name))
        .cloned()
        .collect();
    let mut query = parse_record_query(&rest, Some(content_languages))?;
    query.ui_lang = Some(lang.tag().to_owned());
    if let Some((_, text)) = cursor {
        query.cursor = Some(decode_cursor(text, &query)?);
    }
    Ok(query)
}

fn facet_heading(tr: &Tr, param: &str) -> &'static str {
    match param {
        "kind" => tr.t("field.kind"),
        "theme" => tr.t("field.themes"),
        "technology" => tr.t("field.technologies"),
        "country" => tr.t("field.country"),
        "nuts" => tr.t("field.nuts"),
        "status" => tr.t("field.status"),
        "concept" => tr.t("concept_filter"),
        _ => tr.t("field.other"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_typed_into_the_ui_is_read_in_the_ui_language() {
        let pairs = [("q".to_owned(), "traduzione".to_owned())];
        let query = search_query(&pairs, "it", Lang::It).expect("a plain query parses");
        assert_eq!(query.ui_lang.as_deref(), Some("it"));
        assert_eq!(query.q.as_deref(), Some("traduzione"));
        assert_eq!(query.cursor, None);
    }

    #[test]
    fn a_cursor_holds_only_for_the_ui_language_it_was_made_in() {
        let pairs = vec![("q".to_owned(), "traduzione".to_owned())];
        let italian = search_query(&pairs, "it", Lang::It).expect("a plain query parses");
        let position = crate::query::Cursor {
            sort_key: "0.5".to_owned(),
            id: "0".repeat(64).parse().expect("a well-formed id"),
        };
        let mut next = pairs.clone();
        next.push(("cursor".to_owned(), encode_cursor(&position, &italian)));
        let second = search_query(&next, "it", Lang::It).expect("its own cursor holds");
        assert!(second.cursor.is_some());
        assert!(search_query(&next, "it", Lang::De).is_err());
    }
}
