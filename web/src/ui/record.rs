//! The record page (every field, provenance, the in-browser signature check, related records)
//! and the history page (versions and what changed between each pair).

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use mosaico_protocol::trust::Authority;
use mosaico_protocol::{Body, LangMap, Record, RecordId, Verified};
use serde_json::Value;

use super::concepts::language_name;
use super::context::Ctx;
use super::format::{date_time, iso_date_time, url_with};
use super::html::Html;
use super::i18n::{Lang, Tr};
use super::layout::{
    NavSection, backend_error_page, error_page, open_in, page, paragraphs, record_card,
};
use crate::backend::Backend;
use crate::query::parse_record_query;

/// Names of common languages in themselves, for the switch among a record's languages.
const ENDONYMS: &[(&str, &str)] = &[
    ("bg", "Български"),
    ("ca", "Català"),
    ("cs", "Čeština"),
    ("da", "Dansk"),
    ("de", "Deutsch"),
    ("el", "Ελληνικά"),
    ("en", "English"),
    ("es", "Español"),
    ("et", "Eesti"),
    ("eu", "Euskara"),
    ("fi", "Suomi"),
    ("fr", "Français"),
    ("ga", "Gaeilge"),
    ("gl", "Galego"),
    ("hr", "Hrvatski"),
    ("hu", "Magyar"),
    ("it", "Italiano"),
    ("lt", "Lietuvių"),
    ("lv", "Latviešu"),
    ("mt", "Malti"),
    ("nl", "Nederlands"),
    ("pl", "Polski"),
    ("pt", "Português"),
    ("ro", "Română"),
    ("sk", "Slovenčina"),
    ("sl", "Slovenščina"),
    ("sv", "Svenska"),
];

fn endonym(tag: &str) -> String {
    let primary = tag.split('-').next().unwrap_or(tag).to_ascii_lowercase();
    ENDONYMS
        .iter()
        .find(|(code, _)| *code == primary)
        .map(|(_, name)| {
            if tag.contains('-') {
                format!("{name} ({tag})")
            } else {
                (*name).to_owned()
            }
        })
        .unwrap_or_else(|| tag.to_owned())
}

/// Loads a record by the hex id in the path, or answers the page that says why not.
// The error is the finished page, built and returned once per request: boxing it buys nothing.
#[allow(clippy::result_large_err)]
pub(crate) fn load<B: Backend>(
    backend: &B,
    ctx: &Ctx,
    id: &str,
) -> Result<Record<Verified>, Response> {
    let not_found = || {
        error_page(
            ctx,
            StatusCode::NOT_FOUND,
            ctx.tr.t("error.not_found.title"),
            ctx.tr.t("error.not_found.text"),
        )
    };
    let Ok(id) = id.parse::<RecordId>() else {
        return Err(not_found());
    };
    match backend.record(&id) {
        Ok(Some(record)) => Ok(record),
        Ok(None) => Err(not_found()),
        Err(e) => Err(backend_error_page(ctx, &e)),
    }
}

/// The languages a record's text is written in.
fn record_languages(body: &Body) -> Vec<String> {
    let mut langs: BTreeSet<String> = BTreeSet::new();
    for map in [&body.title, &body.summary, &body.description] {
        langs.extend(map.keys().cloned());
    }
    langs.into_iter().collect()
}

/// The record page.
pub(crate) async fn record_page<B: Backend>(
    State(backend): State<B>,
    Path(id): Path<String>,
    ctx: Ctx,
) -> Response {
    let tr = &ctx.tr;
    let record = match load(&backend, &ctx, &id) {
        Ok(record) => record,
        Err(response) => return response,
    };
    let header = record.header();
    let body = record.body();
    let key = record.logical_key();
    let versions = match backend.versions(&key) {
        Ok(versions) => versions,
        Err(e) => return backend_error_page(&ctx, &e),
    };
    let head = versions
        .first()
        .map_or(header.version, |v| v.header().version);
    let authority = backend.authority(&record);
    let own_record = header.author == backend.status().public_key;

    // The language to show: the reader's explicit choice among the record's languages, else the
    // best match for the interface language and Accept-Language.
    let languages = record_languages(body);
    let preferences: Vec<String> = crate::query::parse_accept_language(&ctx.content_languages);
    let chosen = ctx
        .param("rlang")
        .filter(|wanted| languages.iter().any(|l| l == wanted))
        .map(str::to_owned)
        .or_else(|| {
            crate::views::pick_language(&body.title, &preferences).map(|(lang, _)| lang.to_owned())
        });
    let chosen_prefs: Vec<String> = chosen
        .iter()
        .cloned()
        .chain(preferences.iter().cloned())
        .collect();
    let text = |map: &LangMap| {
        crate::views::pick_language(map, &chosen_prefs).map(|(l, t)| (l.to_owned(), t.to_owned()))
    };
    let title = text(&body.title);
    let shown_lang = title.as_ref().map(|(l, _)| l.clone()).or(chosen.clone());

    let mut h = Html::new();
    if ctx.param("published").is_some() {
        h.raw("<div class=\"notice\" role=\"status\"><p>")
            .text(tr.t("record.published"))
            .raw("</p></div>");
    }
    if header.retracted {
        h.raw("<div class=\"alert\" role=\"note\"><p><strong>")
            .text(tr.t("record.retracted"))
            .raw("</strong> ")
            .text(tr.t("record.retracted_text"))
            .raw("</p></div>");
    }
    let heading = match &title {
        Some((_, t)) => t.clone(),
        None if header.retracted => tr.tf("record.retraction_of", &[("slug", &header.slug)]),
        None => tr.t("record.untitled").to_owned(),
    };
    open_in(
        &mut h,
        tr,
        "h1",
        &[],
        title.as_ref().map(|(l, _)| l.as_str()),
    );
    h.text(&heading).close("h1");
    h.raw("<p class=\"meta\">")
        .elem(
            "span",
            &[("class", "kind")],
            &tr.term("kind", header.kind.as_str()),
        )
        .raw(" · ")
        .text(&tr.tf(
            "record.version_of",
            &[("n", &header.version.to_string()), ("m", &head.to_string())],
        ))
        .raw("</p>");
    if header.version < head
        && let Some(newest) = versions.first()
    {
        h.raw("<p class=\"notice\">")
            .text(tr.t("record.older"))
            .raw(" ")
            .link(
                &format!("/records/{}", newest.id()),
                tr.t("record.see_newest"),
            )
            .raw("</p>");
    }

    // Which languages the record is written in, named in the reader's language.
    if !languages.is_empty() {
        let names: Vec<String> = languages
            .iter()
            .map(|lang| language_name(tr, lang))
            .collect();
        h.elem(
            "p",
            &[("class", "written-in")],
            &tr.tf("concept_written_in", &[("languages", &names.join(", "))]),
        );
    }

    // Language note and switch.
    if let Some(shown) = &shown_lang {
        if Lang::from_tag(shown) != Some(tr.lang) {
            h.raw("<p class=\"notice\">")
                .text(&tr.tf("record.other_language", &[("language", &endonym(shown))]))
                .raw("</p>");
        }
        if languages.len() > 1 {
            h.open(
                "nav",
                &[
                    ("aria-label", tr.t("record.languages")),
                    ("class", "record-langs"),
                ],
            );
            h.elem("span", &[], tr.t("record.languages"));
            h.raw(" <ul>");
            for lang in &languages {
                let href = url_with(
                    &ctx.path,
                    &[
                        ("rlang".to_owned(), lang.clone()),
                        ("lang".to_owned(), tr.lang.tag().to_owned()),
                    ],
                );
                let mut attrs = vec![
                    ("href", href.as_str()),
                    ("lang", lang.as_str()),
                    ("hreflang", lang.as_str()),
                ];
                if lang == shown {
                    attrs.push(("aria-current", "true"));
                }
                h.raw("<li>").elem("a", &attrs, &endonym(lang)).raw("</li>");
            }
            h.raw("</ul></nav>");
        }
    }

    h.raw("<div class=\"record-layout\"><article class=\"record\">");
    if let Some((lang, summary)) = text(&body.summary) {
        open_in(&mut h, tr, "div", &[("class", "summary")], Some(&lang));
        paragraphs(&mut h, &summary);
        h.raw("</div>");
    }
    if let Some((lang, description)) = text(&body.description) {
        h.elem("h2", &[], tr.t("field.description"));
        open_in(&mut h, tr, "div", &[("class", "description")], Some(&lang));
        paragraphs(&mut h, &description);
        h.raw("</div>");
    }
    if !header.retracted {
        h.elem("h2", &[], tr.t("record.details"));
        details(&mut h, tr, body);
        contacts(&mut h, tr, body);
    }
    h.raw("</article>");

    // Provenance.
    h.raw("<aside class=\"provenance\" aria-labelledby=\"h-provenance\">");
    h.elem("h2", &[("id", "h-provenance")], tr.t("provenance.title"));
    h.raw("<dl>");
    if let Some(org) = &body.organisation {
        dt_dd(&mut h, tr.t("field.organisation"), org);
    }
    let region = match &authority {
        Some(Authority::Member { name }) => tr.tf("provenance.member", &[("name", name)]),
        Some(Authority::Partner { name, .. }) => tr.tf("provenance.partner", &[("name", name)]),
        Some(Authority::Genesis) => tr.t("provenance.genesis").to_owned(),
        None => tr.t("provenance.unrecognised").to_owned(),
    };
    dt_dd(&mut h, tr.t("provenance.region"), &region);
    h.elem("dt", &[], tr.t("provenance.key"));
    h.raw("<dd><code>")
        .text(&header.author.fingerprint())
        .raw("</code></dd>");
    h.elem("dt", &[], tr.t("provenance.signed_at"));
    h.raw("<dd>")
        .open("time", &[("datetime", &iso_date_time(header.created_at))])
        .text(&date_time(tr, header.created_at))
        .raw("</time></dd>");
    dt_dd(
        &mut h,
        tr.t("provenance.version"),
        &tr.tf(
            "record.version_of",
            &[("n", &header.version.to_string()), ("m", &head.to_string())],
        ),
    );
    h.elem("dt", &[], tr.t("provenance.signature"));
    h.raw("<dd><p class=\"check ok\">")
        .elem("span", &[("aria-hidden", "true")], "✓ ")
        .text(tr.t("provenance.node_check"))
        .raw("</p>");
    let author_signature = record.signatures().iter().find(|s| s.key == header.author);
    if let Some(signature) = author_signature {
        h.open(
            "p",
            &[
                ("class", "check browser"),
                ("id", "browser-check"),
                ("data-id", &record.id().to_hex()),
                ("data-canonical", &STANDARD.encode(record.canonical())),
                ("data-key", &header.author.to_hex()),
                ("data-signature", &signature.signature.to_hex()),
                ("data-checking", tr.t("provenance.browser_checking")),
                ("data-ok", tr.t("provenance.browser_ok")),
                ("data-bad", tr.t("provenance.browser_bad")),
                ("data-unsupported", tr.t("provenance.browser_unsupported")),
                ("aria-live", "polite"),
            ],
        )
        .text(tr.t("provenance.browser_none"))
        .raw("</p>");
    }
    h.raw("</dd></dl><ul class=\"actions\">");
    h.raw("<li>")
        .link(
            &format!("/api/v1/records/{}", record.id()),
            tr.t("record.json"),
        )
        .raw("</li>");
    h.raw("<li>")
        .link(
            &format!("/records/{}/history", record.id()),
            tr.t("record.history"),
        )
        .raw("</li>");
    if own_record && ctx.role().is_some() && !header.retracted {
        h.raw("<li>")
            .link(
                &format!("/records/{}/edit", record.id()),
                tr.t("record.edit"),
            )
            .raw("</li>");
        h.raw("<li>")
            .link(
                &format!("/records/{}/retract", record.id()),
                tr.t("record.retract"),
            )
            .raw("</li>");
    }
    h.raw("</ul></aside></div>");

    // Related records: same themes, same technologies.
    if !header.retracted {
        let mut related = Vec::new();
        let mut filters: Vec<(&str, String)> = Vec::new();
        if let Some(theme) = body.themes.first() {
            filters.push(("theme", theme.as_str().to_owned()));
        }
        if let Some(technology) = body.technologies.first() {
            filters.push(("technology", technology.clone()));
        }
        for (param, value) in filters {
            let pairs = vec![
                (param.to_owned(), value),
                ("limit".to_owned(), "7".to_owned()),
            ];
            if let Ok(query) = parse_record_query(&pairs, Some(&ctx.content_languages))
                && let Ok(found) = backend.list_records(&query)
            {
                for item in found.items {
                    if item.key != key
                        && !related
                            .iter()
                            .any(|r: &crate::views::RecordSummary| r.id == item.id)
                    {
                        related.push(item);
                    }
                }
            }
        }
        if !related.is_empty() {
            h.raw("<section aria-labelledby=\"h-related\">");
            h.elem("h2", &[("id", "h-related")], tr.t("record.related"));
            h.raw("<ul class=\"results\">");
            for item in related.iter().take(6) {
                record_card(&mut h, tr, item, &[], "h3");
            }
            h.raw("</ul></section>");
        }
    }
    page(&ctx, NavSection::None, &heading, h)
}

fn dt_dd(h: &mut Html, term: &str, value: &str) {
    h.elem("dt", &[], term).elem("dd", &[], value);
}

fn dt_list(h: &mut Html, term: &str, values: &[String]) {
    if values.is_empty() {
        return;
    }
    h.elem("dt", &[], term).raw("<dd><ul class=\"tags\">");
    for value in values {
        h.elem("li", &[], value);
    }
    h.raw("</ul></dd>");
}

/// Every structured field, as one definition list.
pub(crate) fn details(h: &mut Html, tr: &Tr, body: &Body) {
    h.raw("<dl class=\"details\">");
    if let Some(org) = &body.organisation {
        dt_dd(h, tr.t("field.organisation"), org);
    }
    if let Some(country) = &body.country {
        dt_dd(h, tr.t("field.country"), tr.country(country));
    }
    if let Some(nuts) = &body.nuts {
        dt_dd(h, tr.t("field.nuts"), nuts);
    }
    let themes: Vec<String> = body
        .themes
        .iter()
        .map(|t| tr.term("theme", t.as_str()))
        .collect();
    dt_list(h, tr.t("field.themes"), &themes);
    dt_list(h, tr.t("field.technologies"), &body.technologies);
    if let Some(status) = &body.status {
        dt_dd(h, tr.t("field.status"), &tr.term("status", status.as_str()));
    }
    if let Some(licence) = &body.licence {
        dt_dd(h, tr.t("field.licence"), licence);
    }
    dt_list(h, tr.t("field.tags"), &body.tags);
    if !body.links.is_empty() {
        h.elem("dt", &[], tr.t("field.links")).raw("<dd><ul>");
        for link in &body.links {
            h.raw("<li>");
            // Only http(s) links are valid records; anything else is shown, not linked.
            if link.url.starts_with("https://") || link.url.starts_with("http://") {
                h.elem(
                    "a",
                    &[("href", &link.url), ("rel", "noopener noreferrer")],
                    link.title.as_deref().unwrap_or(&link.url),
                );
            } else {
                h.text(&link.url);
            }
            h.raw("</li>");
        }
        h.raw("</ul></dd>");
    }
    if let Some(cs) = &body.case_study {
        dt_list(h, tr.t("field.cofog"), &cs.cofog);
        dt_list(h, tr.t("field.process_types"), &cs.process_types);
        dt_list(h, tr.t("field.application_types"), &cs.application_types);
        let interaction: Vec<String> = cs
            .interaction
            .iter()
            .map(|i| tr.term("interaction", i.as_str()))
            .collect();
        dt_list(h, tr.t("field.interaction"), &interaction);
        let benefits: Vec<String> = cs
            .benefits
            .iter()
            .map(|b| tr.term("benefit", b.as_str()))
            .collect();
        dt_list(h, tr.t("field.benefits"), &benefits);
        if let Some(year) = cs.start_year {
            dt_dd(h, tr.t("field.start_year"), &year.to_string());
        }
        if let Some(year) = cs.end_year {
            dt_dd(h, tr.t("field.end_year"), &year.to_string());
        }
        if let Some(source) = &cs.source {
            let mut text = source.name.clone();
            if let Some(id) = &source.id {
                text.push_str(&format!(" ({id})"));
            }
            dt_dd(h, tr.t("field.source"), &text);
        }
    }
    if let Some(s) = &body.solution {
        for (label, url) in [
            (tr.t("field.url"), &s.url),
            (tr.t("field.landing_url"), &s.landing_url),
        ] {
            if let Some(url) = url {
                h.elem("dt", &[], label).raw("<dd>");
                if url.starts_with("https://") || url.starts_with("http://") {
                    h.elem("a", &[("href", url), ("rel", "noopener noreferrer")], url);
                } else {
                    h.text(url);
                }
                h.raw("</dd>");
            }
        }
        if let Some(v) = &s.development_status {
            dt_dd(h, tr.t("field.development_status"), v.as_str());
        }
        if let Some(v) = &s.software_type {
            dt_dd(h, tr.t("field.software_type"), v.as_str());
        }
        dt_list(h, tr.t("field.platforms"), &s.platforms);
        dt_list(h, tr.t("field.categories"), &s.categories);
        if let Some(v) = &s.maintenance {
            dt_dd(h, tr.t("field.maintenance"), v.as_str());
        }
        dt_list(h, tr.t("field.used_by"), &s.used_by);
    }
    h.raw("</dl>");
}

fn contacts(h: &mut Html, tr: &Tr, body: &Body) {
    if body.contacts.is_empty() {
        return;
    }
    h.elem("h2", &[], tr.t("field.contacts"));
    h.raw("<ul class=\"contacts\">");
    for contact in &body.contacts {
        h.raw("<li>").elem("strong", &[], &contact.name);
        for extra in [&contact.role, &contact.organisation].into_iter().flatten() {
            h.raw(" · ").text(extra);
        }
        if let Some(email) = &contact.email {
            h.raw(" · ").link(&format!("mailto:{email}"), email);
        }
        h.raw("</li>");
    }
    h.raw("</ul>");
}

/// Flattens a record's JSON into `path → text`, for comparing versions field by field.
fn flatten(value: &Value, path: String, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (name, inner) in map {
                let inner_path = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                flatten(inner, inner_path, out);
            }
        }
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            let texts: Vec<String> = items.iter().map(scalar_text).collect();
            out.insert(path, texts.join(", "));
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                flatten(inner, format!("{path}[{i}]"), out);
            }
        }
        scalar => {
            out.insert(path, scalar_text(scalar));
        }
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// What changed from `older` to `newer`: (field, before, after), header bookkeeping left out.
pub(crate) fn diff(older: &Value, newer: &Value) -> Vec<(String, Option<String>, Option<String>)> {
    let (mut before, mut after) = (BTreeMap::new(), BTreeMap::new());
    flatten(older, String::new(), &mut before);
    flatten(newer, String::new(), &mut after);
    let fields: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    fields
        .into_iter()
        .filter(|field| !matches!(field.as_str(), "version" | "created_at"))
        .filter(|field| before.get(*field) != after.get(*field))
        .map(|field| {
            (
                field.clone(),
                before.get(field).cloned(),
                after.get(field).cloned(),
            )
        })
        .collect()
}

/// The history page.
pub(crate) async fn history_page<B: Backend>(
    State(backend): State<B>,
    Path(id): Path<String>,
    ctx: Ctx,
) -> Response {
    let tr = &ctx.tr;
    let record = match load(&backend, &ctx, &id) {
        Ok(record) => record,
        Err(response) => return response,
    };
    let versions = match backend.versions(&record.logical_key()) {
        Ok(versions) => versions,
        Err(e) => return backend_error_page(&ctx, &e),
    };
    let preferences = crate::query::parse_accept_language(&ctx.content_languages);
    let name = versions.iter().find_map(|v| {
        crate::views::pick_language(&v.body().title, &preferences)
            .map(|(l, t)| (l.to_owned(), t.to_owned()))
    });
    let mut h = Html::new();
    let heading = tr.t("history.title");
    h.elem("h1", &[], heading);
    if let Some((lang, title)) = &name {
        open_in(&mut h, tr, "p", &[("class", "lead")], Some(lang));
        h.link(
            &format!(
                "/records/{}",
                versions.first().map_or(record.id(), |v| v.id())
            ),
            title,
        );
        h.raw("</p>");
    }
    h.elem(
        "p",
        &[],
        &tr.tf("history.count", &[("count", &versions.len().to_string())]),
    );
    for (i, version) in versions.iter().enumerate() {
        let header = version.header();
        h.raw("<section class=\"version\">");
        h.open("h2", &[])
            .text(&tr.tf("history.version", &[("n", &header.version.to_string())]));
        if header.retracted {
            h.raw(" — ").text(tr.t("record.retracted"));
        }
        h.raw("</h2><p class=\"meta\">")
            .open("time", &[("datetime", &iso_date_time(header.created_at))])
            .text(&date_time(tr, header.created_at))
            .raw("</time> · ")
            .link(&format!("/records/{}", version.id()), tr.t("history.open"))
            .raw(" · ")
            .link(
                &format!("/api/v1/records/{}", version.id()),
                tr.t("record.json"),
            )
            .raw("</p>");
        match versions.get(i + 1) {
            None => {
                h.elem("p", &[], tr.t("history.first"));
            }
            Some(older) => {
                let changes = diff(older.unsigned(), version.unsigned());
                if changes.is_empty() {
                    h.elem("p", &[], tr.t("history.no_changes"));
                } else {
                    h.raw("<table class=\"diff\">");
                    h.elem(
                        "caption",
                        &[],
                        &tr.tf(
                            "history.changes",
                            &[
                                ("from", &older.header().version.to_string()),
                                ("to", &header.version.to_string()),
                            ],
                        ),
                    );
                    h.raw("<thead><tr>")
                        .elem("th", &[("scope", "col")], tr.t("history.field"))
                        .elem("th", &[("scope", "col")], tr.t("history.before"))
                        .elem("th", &[("scope", "col")], tr.t("history.after"))
                        .raw("</tr></thead><tbody>");
                    for (field, before, after) in changes {
                        h.raw("<tr>")
                            .open("th", &[("scope", "row")])
                            .raw("<code>")
                            .text(&field)
                            .raw("</code></th>");
                        for value in [before, after] {
                            match value {
                                Some(text) => h.elem("td", &[], &text),
                                None => h
                                    .raw("<td><em>")
                                    .text(tr.t("history.absent"))
                                    .raw("</em></td>"),
                            };
                        }
                        h.raw("</tr>");
                    }
                    h.raw("</tbody></table>");
                }
            }
        }
        h.raw("</section>");
    }
    page(&ctx, NavSection::None, heading, h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_reports_changed_added_and_removed_fields_only() {
        let older = json!({"version": 1, "title": {"it": "A"}, "themes": ["iot"], "links": [{"url": "https://a"}]});
        let newer = json!({"version": 2, "title": {"it": "B", "en": "B"}, "themes": ["iot"]});
        assert_eq!(
            diff(&older, &newer),
            vec![
                (
                    "links[0].url".to_owned(),
                    Some("https://a".to_owned()),
                    None
                ),
                ("title.en".to_owned(), None, Some("B".to_owned())),
                (
                    "title.it".to_owned(),
                    Some("A".to_owned()),
                    Some("B".to_owned())
                ),
            ]
        );
    }
}
