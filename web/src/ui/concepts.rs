//! The concept pages: `/concepts`, an index that finds concepts by any of their names with a
//! plain GET form (so it suggests without JavaScript), and `/concepts/<slug>`, one concept with
//! its names in every language, its neighbours in the scheme, its EuroVoc links and the records
//! that carry it, whatever language they are written in.
//!
//! The fragments other pages show about concepts live here too: a concept's name in the reader's
//! language and its link ([`concept_link`]), the «also found through the concept…» line under
//! search results ([`also_found`]), the datalist of names for the search box
//! ([`concept_datalist`]) and the name of a language ([`language_name`]).

use std::collections::BTreeSet;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use mosaico_protocol::concepts::{Concept, ConceptScheme, LANGUAGES, compact_concept_id};

use super::context::Ctx;
use super::format::{number, url_with};
use super::html::Html;
use super::i18n::Tr;
use super::layout::{NavSection, backend_error_page, error_page, page, record_card};
use crate::backend::{Backend, BackendError};
use crate::query::parse_record_query;
use crate::views::{
    MAX_CONCEPT_QUERY_CHARS, MAX_CONCEPT_SLUG_CHARS, QueryReading, RecordPage, RecordSummary,
    concept_label, narrower_concepts, suggest_concepts,
};

/// Records listed on a concept page; the rest are one link away, in the search.
const CONCEPT_PAGE_RECORDS: u32 = 20;
/// Concepts listed for a typed text on the index: more than the API's 20, since a page can show
/// a longer list than a drop-down.
const INDEX_SUGGESTIONS: usize = 50;
/// The most names the search box's datalist offers, to keep every search page light.
pub(crate) const DATALIST_OPTIONS: usize = 500;
/// The id of the datalist the search box names in its `list` attribute.
pub(crate) const DATALIST_ID: &str = "concept-names";

/// The path of a concept's page (`mc:machine-translation` → `/concepts/machine-translation`).
pub(crate) fn concept_href(id: &str) -> String {
    format!("/concepts/{}", id.strip_prefix("mc:").unwrap_or(id))
}

/// A concept's name in the reader's language, or its id when this node's scheme does not know
/// it (a record may carry a concept from a newer scheme).
pub(crate) fn concept_name(scheme: &ConceptScheme, tr: &Tr, id: &str) -> String {
    scheme.get(id).map_or_else(
        || id.to_owned(),
        |c| concept_label(c, tr.lang.tag()).to_owned(),
    )
}

/// A link to a concept's page, named in the reader's language.
pub(crate) fn concept_link(h: &mut Html, scheme: &ConceptScheme, tr: &Tr, id: &str) {
    h.link(&concept_href(id), &concept_name(scheme, tr, id));
}

/// The name of a language in the reader's language, from its tag's primary subtag (`pt-BR`
/// reads "Portuguese"), or the tag itself for a language the catalogues do not name.
pub(crate) fn language_name(tr: &Tr, tag: &str) -> String {
    let primary = tag.split('-').next().unwrap_or(tag).to_ascii_lowercase();
    let name = tr.term("concept_lang", &primary);
    if name == primary {
        tag.to_owned()
    } else {
        name
    }
}

/// The line under search results that says which concepts carried the search across
/// languages: each concept linked by its name in the reader's language, followed by its names in
/// the other languages of the records on the page, each marked with its `lang`. Nothing when the
/// search was plain text search. The node's notice, when there is one, follows as given: the
/// node writes it in English.
pub(crate) fn also_found(
    h: &mut Html,
    scheme: &ConceptScheme,
    tr: &Tr,
    reading: &QueryReading,
    items: &[RecordSummary],
) {
    if reading.expanded && !reading.concepts.is_empty() {
        let ui = tr.lang.tag();
        // The languages the reader sees on this page, besides their own.
        let shown: BTreeSet<String> = items
            .iter()
            .filter_map(|item| item.lang.as_deref())
            .map(|tag| tag.split('-').next().unwrap_or(tag).to_ascii_lowercase())
            .filter(|lang| lang != ui)
            .collect();
        let lead = if reading.concepts.len() == 1 {
            tr.t("concept_also_one")
        } else {
            tr.t("concept_also_many")
        };
        h.raw("<p class=\"also-found\">").text(lead).raw(" ");
        for (n, matched) in reading.concepts.iter().enumerate() {
            if n > 0 {
                h.raw("; ");
            }
            h.raw("<em>");
            concept_link(h, scheme, tr, &matched.id);
            h.raw("</em>");
            let Some(concept) = scheme.get(&matched.id) else {
                continue;
            };
            let mut seen: BTreeSet<&str> = BTreeSet::new();
            seen.insert(concept_label(concept, ui));
            for lang in &shown {
                let Some(label) = concept.pref_labels.get(lang) else {
                    continue;
                };
                // Languages that share a name (Italian and Portuguese often do) show it once.
                if seen.insert(label.as_str()) {
                    h.raw(" · ").elem("span", &[("lang", lang)], label);
                }
            }
        }
        h.raw("</p>");
    }
    if let Some(notice) = &reading.notice {
        h.open("p", &[("class", "notice"), ("lang", "en")])
            .text(notice)
            .close("p");
    }
}

/// The concept facet: the concepts counted over the whole result, most frequent first, each
/// named in the reader's language and linking to the same search narrowed to it (or, for the
/// active one, back to the search without it).
pub(crate) fn concept_facet(
    h: &mut Html,
    scheme: &ConceptScheme,
    tr: &Tr,
    counts: &[(&String, u64)],
    current: Option<&str>,
    without: &[(String, String)],
) {
    if !counts.is_empty() {
        concept_counts(h, scheme, tr, counts, current, without);
    }
    // The index is reachable from every search, counts or not.
    h.raw("<p class=\"more\">")
        .link("/concepts", tr.t("concept_all_link"))
        .raw("</p>");
}

/// The list of the concept facet's counts, under its heading.
fn concept_counts(
    h: &mut Html,
    scheme: &ConceptScheme,
    tr: &Tr,
    counts: &[(&String, u64)],
    current: Option<&str>,
    without: &[(String, String)],
) {
    h.elem("h3", &[], tr.t("concept_facet"));
    h.raw("<ul>");
    for (id, count) in counts {
        let name = concept_name(scheme, tr, id);
        h.raw("<li>");
        if current == Some(id.as_str()) {
            h.elem(
                "a",
                &[
                    ("href", &url_with("/search", without)),
                    ("aria-current", "true"),
                ],
                &name,
            );
        } else {
            let mut with = without.to_vec();
            with.push(("concept".to_owned(), (*id).clone()));
            h.link(&url_with("/search", &with), &name);
        }
        h.raw(" <span class=\"count\">")
            .text(&tr.tf("search.count", &[("count", &number(tr.lang, *count))]))
            .raw("</span></li>");
    }
    h.raw("</ul>");
}

/// A `<datalist>` of the concepts' names in the reader's language, sorted, for the search box
/// to suggest from without JavaScript; bounded by [`DATALIST_OPTIONS`].
pub(crate) fn concept_datalist(h: &mut Html, scheme: &ConceptScheme, tr: &Tr) {
    let names: BTreeSet<&str> = scheme
        .concepts()
        .iter()
        .map(|c| concept_label(c, tr.lang.tag()))
        .collect();
    h.open("datalist", &[("id", DATALIST_ID)]);
    for name in names.into_iter().take(DATALIST_OPTIONS) {
        h.open("option", &[("value", name)]).close("option");
    }
    h.close("datalist");
}

/// The index of concepts, `GET /concepts[?q=<text>]`.
pub(crate) async fn index_page<B: Backend>(State(backend): State<B>, ctx: Ctx) -> Response {
    let tr = &ctx.tr;
    let scheme = backend.concepts();
    let typed: String = ctx
        .param("q")
        .unwrap_or_default()
        .chars()
        .take(MAX_CONCEPT_QUERY_CHARS)
        .collect();
    let typed = typed.trim();

    let mut h = Html::new();
    h.elem("h1", &[], tr.t("concept_index_title"));
    h.elem("p", &[("class", "lead")], tr.t("concept_index_lead"));
    h.raw("<form role=\"search\" method=\"get\" action=\"/concepts\" class=\"searchbox\">");
    h.elem(
        "label",
        &[("for", "concept-q")],
        tr.t("concept_index_label"),
    );
    h.raw(
        "<div class=\"row\"><input type=\"search\" id=\"concept-q\" name=\"q\" maxlength=\"100\"",
    )
    .attr("value", typed)
    .raw("><button type=\"submit\">")
    .text(tr.t("concept_index_button"))
    .raw("</button></div></form>");

    if typed.is_empty() {
        // Every concept, by its name in the reader's language.
        let mut all: Vec<(&str, &Concept)> = scheme
            .concepts()
            .iter()
            .map(|c| (concept_label(c, tr.lang.tag()), c))
            .collect();
        all.sort_by_key(|(name, _)| name.to_lowercase());
        h.elem(
            "h2",
            &[],
            &tr.tf(
                "concept_index_all",
                &[("count", &number(tr.lang, all.len() as u64))],
            ),
        );
        h.raw("<ul class=\"concepts\">");
        for (name, concept) in all {
            h.raw("<li>")
                .link(&concept_href(&concept.id), name)
                .raw("</li>");
        }
        h.raw("</ul>");
    } else {
        let found = suggest_concepts(&scheme, typed, tr.lang.tag(), INDEX_SUGGESTIONS);
        if found.is_empty() {
            h.elem("p", &[], &tr.tf("concept_index_none", &[("text", typed)]));
        } else {
            h.elem("h2", &[], &tr.tf("concept_index_found", &[("text", typed)]));
            h.raw("<ul class=\"concepts\">");
            for suggestion in &found {
                h.raw("<li>")
                    .link(&concept_href(&suggestion.id), &suggestion.label);
                if suggestion.matched != suggestion.label {
                    h.raw(" — ").text(tr.t("concept_index_via")).raw(" ");
                    h.elem(
                        "span",
                        &[("lang", &suggestion.language)],
                        &suggestion.matched,
                    );
                    h.raw(" (")
                        .text(&language_name(tr, &suggestion.language))
                        .raw(")");
                }
                h.raw("</li>");
            }
            h.raw("</ul>");
        }
    }
    page(&ctx, NavSection::Search, tr.t("concept_index_title"), h)
}

/// One concept, `GET /concepts/<slug>`.
pub(crate) async fn concept_page<B: Backend>(
    State(backend): State<B>,
    Path(slug): Path<String>,
    ctx: Ctx,
) -> Response {
    let tr = &ctx.tr;
    let well_formed = (slug.len() <= MAX_CONCEPT_SLUG_CHARS)
        .then(|| compact_concept_id(&format!("mc:{slug}")))
        .flatten();
    let Some(id) = well_formed else {
        let slug: String = slug.chars().take(MAX_CONCEPT_SLUG_CHARS).collect();
        return error_page(
            &ctx,
            StatusCode::BAD_REQUEST,
            tr.t("concept_malformed_title"),
            &tr.tf("concept_malformed_text", &[("slug", &slug)]),
        );
    };
    let scheme = backend.concepts();
    let Some(concept) = scheme.get(&id) else {
        return error_page(
            &ctx,
            StatusCode::NOT_FOUND,
            tr.t("concept_unknown_title"),
            &tr.tf("concept_unknown_text", &[("id", &id)]),
        );
    };
    let records = match carrying(&backend, &ctx, &id).await {
        Ok(records) => records,
        Err(e) => return backend_error_page(&ctx, &e),
    };
    let h = render_concept(&scheme, tr, concept, &records);
    page(
        &ctx,
        NavSection::Search,
        concept_label(concept, tr.lang.tag()),
        h,
    )
}

/// The first page of records carrying concept `id`, in any language, titles in the reader's.
async fn carrying<B: Backend>(
    backend: &B,
    ctx: &Ctx,
    id: &str,
) -> Result<RecordPage, BackendError> {
    let pairs = [
        ("concept".to_owned(), id.to_owned()),
        ("limit".to_owned(), CONCEPT_PAGE_RECORDS.to_string()),
    ];
    let query = parse_record_query(&pairs, Some(&ctx.content_languages))
        .map_err(|e| BackendError::Internal(format!("concept page query: {e}")))?;
    let backend = backend.clone();
    // Search may take milliseconds on a large index: keep it off the async workers.
    tokio::task::spawn_blocking(move || backend.list_records(&query))
        .await
        .map_err(|e| BackendError::Internal(format!("search task failed: {e}")))?
}

/// The body of a concept's page: a pure function of the scheme, the concept and the records
/// found, so tests can check it without a backend.
pub(crate) fn render_concept(
    scheme: &ConceptScheme,
    tr: &Tr,
    concept: &Concept,
    records: &RecordPage,
) -> Html {
    let ui = tr.lang.tag();
    let mut h = Html::new();
    h.raw("<p class=\"meta\">")
        .link("/concepts", tr.t("concept_index_title"))
        .raw("</p>");
    h.elem("h1", &[], concept_label(concept, ui));
    h.raw("<dl class=\"details\">");
    h.elem("dt", &[], tr.t("concept_id"));
    h.raw("<dd><code>").text(&concept.id).raw("</code></dd>");
    let definition = concept
        .definitions
        .get_key_value(ui)
        .or_else(|| concept.definitions.get_key_value("en"))
        .or_else(|| concept.definitions.iter().next());
    if let Some((lang, text)) = definition {
        h.elem("dt", &[], tr.t("concept_definition"));
        let mut attrs: Vec<(&'static str, &str)> = Vec::new();
        if lang != ui {
            attrs.push(("lang", lang));
        }
        h.elem("dd", &attrs, text);
    }
    h.raw("</dl>");

    // Names: the scheme's languages first, in its order, then any other the concept has.
    let mut languages: Vec<&str> = LANGUAGES.to_vec();
    for lang in concept.pref_labels.keys().chain(concept.alt_labels.keys()) {
        if !languages.contains(&lang.as_str()) {
            languages.push(lang);
        }
    }
    h.raw("<section aria-labelledby=\"h-names\">");
    h.elem("h2", &[("id", "h-names")], tr.t("concept_labels"));
    h.raw("<table class=\"names\"><thead><tr>");
    for key in [
        "concept_language",
        "concept_preferred",
        "concept_alternatives",
    ] {
        h.elem("th", &[("scope", "col")], tr.t(key));
    }
    h.raw("</tr></thead><tbody>");
    for lang in languages {
        let preferred = concept.pref_labels.get(lang);
        let alternatives = concept.alt_labels.get(lang).map_or(&[][..], Vec::as_slice);
        if preferred.is_none() && alternatives.is_empty() {
            continue;
        }
        h.raw("<tr>")
            .elem("th", &[("scope", "row")], &language_name(tr, lang))
            .raw("<td>");
        if let Some(label) = preferred {
            h.elem("span", &[("lang", lang)], label);
        }
        h.raw("</td><td>");
        for (n, label) in alternatives.iter().enumerate() {
            if n > 0 {
                h.raw(", ");
            }
            h.elem("span", &[("lang", lang)], label);
        }
        h.raw("</td></tr>");
    }
    h.raw("</tbody></table></section>");

    let narrower = narrower_concepts(scheme, &concept.id);
    for (key, section, ids) in [
        ("concept_broader", "h-broader", &concept.broader),
        ("concept_narrower", "h-narrower", &narrower),
        ("concept_related", "h-related", &concept.related),
    ] {
        if ids.is_empty() {
            continue;
        }
        h.open("section", &[("aria-labelledby", section)]);
        h.elem("h2", &[("id", section)], tr.t(key));
        h.raw("<ul class=\"concepts\">");
        for id in ids {
            h.raw("<li>");
            concept_link(&mut h, scheme, tr, id);
            h.raw("</li>");
        }
        h.raw("</ul></section>");
    }

    if !concept.exact_match.is_empty() || !concept.close_match.is_empty() {
        h.raw("<section aria-labelledby=\"h-eurovoc\">");
        h.elem("h2", &[("id", "h-eurovoc")], tr.t("concept_eurovoc"));
        h.raw("<dl class=\"details\">");
        for (key, uris) in [
            ("concept_exact", &concept.exact_match),
            ("concept_close", &concept.close_match),
        ] {
            if uris.is_empty() {
                continue;
            }
            h.elem("dt", &[], tr.t(key));
            h.raw("<dd><ul class=\"links\">");
            for uri in uris {
                h.raw("<li>").link(uri, uri).raw("</li>");
            }
            h.raw("</ul></dd>");
        }
        h.raw("</dl></section>");
    }

    h.raw("<section aria-labelledby=\"h-records\">");
    h.elem("h2", &[("id", "h-records")], tr.t("concept_records"));
    if records.items.is_empty() {
        h.elem("p", &[], tr.t("concept_records_none"));
    } else {
        h.elem(
            "p",
            &[("class", "total")],
            &tr.tf(
                "concept_records_total",
                &[("count", &number(tr.lang, records.total))],
            ),
        );
        h.raw("<ul class=\"results\">");
        for item in &records.items {
            record_card(&mut h, tr, item, &[], "h3");
        }
        h.raw("</ul>");
        h.raw("<p>")
            .link(
                &url_with("/search", &[("concept".to_owned(), concept.id.clone())]),
                tr.t("concept_records_all"),
            )
            .raw("</p>");
    }
    h.raw("</section>");
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::MatchedConcept;
    use mosaico_protocol::Kind;
    use mosaico_protocol::keys::SecretKey;

    fn scheme() -> ConceptScheme {
        ConceptScheme::builtin()
    }

    fn item(lang: &str, title: &str) -> RecordSummary {
        let author = SecretKey::from_bytes([1; 32]).public_key();
        RecordSummary {
            id: "0".repeat(64).parse().expect("a well-formed id"),
            key: mosaico_protocol::LogicalKey {
                author,
                kind: Kind::Solution,
                slug: title.to_lowercase().replace(' ', "-"),
            },
            kind: Kind::Solution,
            version: 1,
            title: Some(title.to_owned()),
            summary: None,
            lang: Some(lang.to_owned()),
            organisation: None,
            country: None,
            nuts: None,
            themes: Vec::new(),
            technologies: Vec::new(),
            status: None,
            created_at: 0,
            retracted: false,
            snippet: None,
            why: None,
        }
    }

    fn reading(expanded: bool, notice: Option<&str>) -> QueryReading {
        QueryReading {
            language: Some("it".to_owned()),
            language_source: None,
            concepts: vec![MatchedConcept {
                id: "mc:machine-translation".to_owned(),
                matched: "traduzione automatica".to_owned(),
                label: "traduzione automatica".to_owned(),
            }],
            expanded,
            notice: notice.map(str::to_owned),
        }
    }

    #[test]
    fn the_also_found_line_names_the_concept_in_the_ui_language_then_the_pages_languages() {
        let tr = Tr::new(super::super::i18n::Lang::It);
        let items = [
            item("en", "Translator"),
            item("ca", "Traductor"),
            item("it", "Traduttore"),
        ];
        let mut h = Html::new();
        also_found(&mut h, &scheme(), &tr, &reading(true, None), &items);
        let html = h.into_string();
        assert_eq!(
            html,
            "<p class=\"also-found\">Trovato anche attraverso il concetto <em><a href=\"/concepts/machine-translation\">traduzione automatica</a></em> · <span lang=\"ca\">traducció automàtica</span> · <span lang=\"en\">machine translation</span></p>"
        );
    }

    #[test]
    fn plain_text_search_has_no_also_found_line_but_shows_the_notice() {
        let tr = Tr::new(super::super::i18n::Lang::En);
        let mut h = Html::new();
        also_found(&mut h, &scheme(), &tr, &reading(false, None), &[]);
        assert_eq!(h.into_string(), "");
        let mut h = Html::new();
        let notice = "the query's language is unknown <here>";
        also_found(&mut h, &scheme(), &tr, &reading(false, Some(notice)), &[]);
        assert_eq!(
            h.into_string(),
            "<p class=\"notice\" lang=\"en\">the query&#39;s language is unknown &lt;here&gt;</p>"
        );
    }

    #[test]
    fn the_concept_facet_names_concepts_in_the_ui_language_and_links_the_narrowed_search() {
        let tr = Tr::new(super::super::i18n::Lang::De);
        let mt = "mc:machine-translation".to_owned();
        let unknown = "mc:from-a-newer-scheme".to_owned();
        let counts = [(&mt, 1234), (&unknown, 2)];
        let without = [("q".to_owned(), "übersetzung".to_owned())];
        let mut h = Html::new();
        concept_facet(&mut h, &scheme(), &tr, &counts, None, &without);
        let html = h.into_string();
        assert!(html.starts_with("<h3>Konzepte</h3>"), "{html}");
        assert!(
            html.contains("<a href=\"/search?q=%C3%BCbersetzung&amp;concept=mc%3Amachine-translation\">maschinelle Übersetzung</a> <span class=\"count\">1.234"),
            "{html}"
        );
        // An id this scheme does not know is shown as the id.
        assert!(html.contains(">mc:from-a-newer-scheme</a>"), "{html}");
        // The active concept links back to the search without it.
        let mut h = Html::new();
        concept_facet(&mut h, &scheme(), &tr, &counts, Some(&mt), &without);
        assert!(
            h.into_string().contains(
                "<a href=\"/search?q=%C3%BCbersetzung\" aria-current=\"true\">maschinelle Übersetzung</a>"
            )
        );
        // No counts, no facet, but still the way to the index.
        let mut h = Html::new();
        concept_facet(&mut h, &scheme(), &tr, &[], None, &without);
        assert_eq!(
            h.into_string(),
            "<p class=\"more\"><a href=\"/concepts\">Alle Konzepte</a></p>"
        );
    }

    #[test]
    fn languages_are_named_in_the_readers_language_and_others_kept_as_tags() {
        let tr = Tr::new(super::super::i18n::Lang::It);
        assert_eq!(language_name(&tr, "pt-BR"), "portoghese");
        assert_eq!(language_name(&tr, "ca"), "catalano");
        assert_eq!(language_name(&tr, "eu"), "eu");
    }
}
