//! The page shell (skip link, header, navigation, language switch, footer) and fragments that
//! several pages share.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, SET_COOKIE, VARY};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::context::Ctx;
use super::format::{date, iso_date_time, url_with};
use super::html::Html;
use super::i18n::{Lang, Tr};
use super::session::{LANG_COOKIE, set_cookie};
use crate::views::RecordSummary;

/// Which navigation entry the page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NavSection {
    Home,
    Search,
    Members,
    Publish,
    None,
}

/// A finished page with status 200.
pub(crate) fn page(ctx: &Ctx, section: NavSection, title: &str, body: Html) -> Response {
    page_with_status(ctx, StatusCode::OK, section, title, body)
}

/// A finished page.
pub(crate) fn page_with_status(
    ctx: &Ctx,
    status: StatusCode,
    section: NavSection,
    title: &str,
    body: Html,
) -> Response {
    let tr = &ctx.tr;
    let mut h = Html::new();
    h.raw("<!DOCTYPE html>\n<html")
        .attr("lang", ctx.lang().tag())
        .raw("><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>")
        .text(title)
        .raw(" – ")
        .text(tr.t("site.name"))
        .raw("</title><link rel=\"stylesheet\" href=\"/static/mosaico.css\"><script src=\"/static/mosaico.js\" defer></script></head><body>");
    h.elem(
        "a",
        &[("class", "skip"), ("href", "#main")],
        tr.t("nav.skip"),
    );
    h.raw("<header class=\"site\"><div class=\"bar\">");
    h.open("a", &[("class", "brand"), ("href", "/")])
        .text(tr.t("site.name"))
        .raw("<span class=\"node\">")
        .text(&ctx.node_name)
        .raw("</span></a>");
    language_switch(&mut h, ctx);
    h.raw("</div>");
    h.open("nav", &[("aria-label", tr.t("nav.label"))])
        .raw("<ul>");
    let entries = [
        (NavSection::Home, "/", tr.t("nav.home")),
        (NavSection::Search, "/search", tr.t("nav.search")),
        (NavSection::Members, "/members", tr.t("nav.members")),
        (NavSection::Publish, "/publish", tr.t("nav.publish")),
    ];
    for (entry, href, label) in entries {
        h.raw("<li>");
        if entry == section {
            h.elem("a", &[("href", href), ("aria-current", "page")], label);
        } else {
            h.link(href, label);
        }
        h.raw("</li>");
    }
    h.raw("<li>");
    match ctx.csrf() {
        Some(csrf) => {
            h.raw("<form method=\"post\" action=\"/signout\" class=\"inline\">")
                .raw("<input type=\"hidden\" name=\"csrf\"")
                .attr("value", csrf)
                .raw("><button type=\"submit\" class=\"linklike\">")
                .text(tr.t("nav.signout"))
                .raw("</button></form>");
        }
        None => {
            h.link("/signin", tr.t("nav.signin"));
        }
    }
    h.raw("</li></ul></nav></header>");
    h.raw("<main id=\"main\" tabindex=\"-1\">");
    h.append(body);
    h.raw("</main><footer class=\"site\"><p>");
    h.text(&tr.tf("footer.node", &[("node", &ctx.node_name)]));
    h.raw(" · ");
    h.link("/api/v1/openapi.json", tr.t("footer.api"));
    h.raw(" · ");
    h.text(tr.t("footer.signed"));
    h.raw("</p></footer></body></html>");

    let mut response = (status, h.into_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // Pages show the reader's session and language: never share them between people.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    headers.insert(VARY, HeaderValue::from_static("Accept-Language, Cookie"));
    if ctx.remember_lang {
        let one_year = std::time::Duration::from_secs(365 * 24 * 3600);
        let cookie = set_cookie(LANG_COOKIE, ctx.lang().tag(), Some(one_year), ctx.secure);
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.append(SET_COOKIE, value);
        }
    }
    response
}

/// The language switch: the same page in each interface language.
fn language_switch(h: &mut Html, ctx: &Ctx) {
    h.open(
        "nav",
        &[("class", "langs"), ("aria-label", ctx.tr.t("nav.language"))],
    )
    .raw("<ul>");
    for lang in Lang::ALL {
        // A cursor belongs to one language's ordering; the switch starts from the first page.
        let mut pairs: Vec<(String, String)> = ctx
            .pairs
            .iter()
            .filter(|(name, _)| name != "lang" && name != "cursor")
            .cloned()
            .collect();
        pairs.push(("lang".to_owned(), lang.tag().to_owned()));
        let href = url_with(&ctx.path, &pairs);
        h.raw("<li>");
        let mut attrs = vec![
            ("href", href.as_str()),
            ("lang", lang.tag()),
            ("hreflang", lang.tag()),
        ];
        if lang == ctx.lang() {
            attrs.push(("aria-current", "true"));
        }
        h.elem("a", &attrs, lang.endonym());
        h.raw("</li>");
    }
    h.raw("</ul></nav>");
}

/// A page that explains an error.
pub(crate) fn error_page(ctx: &Ctx, status: StatusCode, heading: &str, message: &str) -> Response {
    let mut body = Html::new();
    body.elem("h1", &[], heading);
    body.elem("p", &[], message);
    body.raw("<p>")
        .link("/", ctx.tr.t("error.home"))
        .raw("</p>");
    page_with_status(ctx, status, NavSection::None, heading, body)
}

/// The page for a failed read from the backend.
pub(crate) fn backend_error_page(ctx: &Ctx, error: &crate::backend::BackendError) -> Response {
    tracing::warn!(%error, "UI page could not read from the backend");
    let status = match error {
        crate::backend::BackendError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        crate::backend::BackendError::BadCursor(_) => StatusCode::BAD_REQUEST,
        crate::backend::BackendError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error_page(
        ctx,
        status,
        ctx.tr.t("error.backend.title"),
        ctx.tr.t("error.backend.text"),
    )
}

/// `lang` attribute value for content in `content_lang`, when the page is in another language.
pub(crate) fn lang_attr<'a>(tr: &Tr, content_lang: Option<&'a str>) -> Option<&'a str> {
    content_lang.filter(|tag| Lang::from_tag(tag) != Some(tr.lang))
}

/// Writes `<tag …>` with a `lang` attribute when the content is in another language.
pub(crate) fn open_in(
    h: &mut Html,
    tr: &Tr,
    tag: &'static str,
    attrs: &[(&'static str, &str)],
    content_lang: Option<&str>,
) {
    let mut all: Vec<(&'static str, &str)> = attrs.to_vec();
    if let Some(lang) = lang_attr(tr, content_lang) {
        all.push(("lang", lang));
    }
    h.open(tag, &all);
}

/// Plain text with paragraphs separated by blank lines, as `<p>`s.
pub(crate) fn paragraphs(h: &mut Html, text: &str) {
    for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        h.elem("p", &[], paragraph);
    }
}

/// Marks each of `words` (case-insensitively) in `text`, escaping everything.
pub(crate) fn highlight(h: &mut Html, text: &str, words: &[String]) {
    let lower = text.to_lowercase();
    // Lowercasing can change byte lengths outside ASCII; mark only when offsets still line up.
    if words.is_empty() || lower.len() != text.len() {
        h.text(text);
        return;
    }
    let mut position = 0;
    while position < text.len() {
        let next = words
            .iter()
            .filter(|w| !w.is_empty())
            .filter_map(|w| {
                lower[position..]
                    .find(w.as_str())
                    .map(|at| (position + at, w.len()))
            })
            .min();
        match next {
            Some((at, len)) if text.is_char_boundary(at) && text.is_char_boundary(at + len) => {
                h.text(&text[position..at])
                    .raw("<mark>")
                    .text(&text[at..at + len])
                    .raw("</mark>");
                position = at + len;
            }
            _ => {
                h.text(&text[position..]);
                position = text.len();
            }
        }
    }
}

/// One search result or listed record, as a list item with an `h3` or `h{level}` title.
pub(crate) fn record_card(
    h: &mut Html,
    tr: &Tr,
    item: &RecordSummary,
    words: &[String],
    heading: &'static str,
) {
    let href = format!("/records/{}", item.id);
    let lang = item.lang.as_deref();
    h.raw("<li class=\"card\">");
    h.open(heading, &[]);
    let mut attrs: Vec<(&'static str, &str)> = vec![("href", href.as_str())];
    if let Some(l) = lang_attr(tr, lang) {
        attrs.push(("lang", l));
    }
    let untitled = tr.t("record.untitled");
    h.elem("a", &attrs, item.title.as_deref().unwrap_or(untitled));
    h.close(heading);
    h.raw("<p class=\"meta\">");
    h.elem(
        "span",
        &[("class", "kind")],
        &tr.term("kind", item.kind.as_str()),
    );
    if let Some(org) = &item.organisation {
        h.raw(" · ").text(org);
    }
    if let Some(country) = &item.country {
        h.raw(" · ").text(tr.country(country));
        if let Some(nuts) = &item.nuts {
            h.raw(" (").text(nuts).raw(")");
        }
    }
    h.raw(" · ");
    h.open("time", &[("datetime", &iso_date_time(item.created_at))])
        .text(&date(tr, item.created_at))
        .close("time");
    h.raw("</p>");
    // A backend that knows where the words matched sends a snippet with <mark> around them.
    let snippet = serde_json::to_value(item)
        .ok()
        .and_then(|v| v.get("snippet").and_then(|s| s.as_str()).map(str::to_owned));
    match (snippet, &item.summary) {
        (Some(snippet), _) => {
            open_in(h, tr, "p", &[("class", "snippet")], lang);
            h.text_with_marks(&snippet).raw("</p>");
        }
        (None, Some(summary)) => {
            open_in(h, tr, "p", &[("class", "snippet")], lang);
            highlight(h, summary, words);
            h.raw("</p>");
        }
        (None, None) => {}
    }
    if !item.themes.is_empty() {
        h.open(
            "ul",
            &[("class", "tags"), ("aria-label", tr.t("field.themes"))],
        );
        for theme in &item.themes {
            h.elem("li", &[], &tr.term("theme", theme));
        }
        h.raw("</ul>");
    }
    h.raw("</li>");
}
