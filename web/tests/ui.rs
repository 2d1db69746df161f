//! Router tests of the staff web UI: every page type in both languages, escaping of hostile
//! record content, CSRF refusals, sign-in and sign-out, validation errors tied to their fields,
//! adding and removing languages without JavaScript, and the retraction's confirmation step.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use mosaico_protocol::RecordId;
use mosaico_protocol::draft::Draft;
use mosaico_web::testing::{MemoryBackend, PUBLISHER_TOKEN, flanders};
use mosaico_web::{Backend, router};
use serde_json::{Value, json};
use tower::ServiceExt as _;

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    html: String,
}

impl Page {
    fn header(&self, name: header::HeaderName) -> String {
        self.headers
            .get(&name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }
    fn location(&self) -> String {
        self.header(header::LOCATION)
    }
    /// The value of hidden input `name` (the first one).
    fn hidden(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self
            .html
            .find(&marker)
            .unwrap_or_else(|| panic!("no {name} in page"))
            + marker.len();
        self.html[start..].split('"').next().unwrap().to_owned()
    }
}

/// A browser: a router plus a cookie jar.
struct Browser {
    app: Router,
    cookies: HashMap<String, String>,
    language: &'static str,
}

impl Browser {
    fn new(backend: &MemoryBackend) -> Self {
        Browser {
            app: router(backend.clone()),
            cookies: HashMap::new(),
            language: "en",
        }
    }

    async fn send(&mut self, request: Request<Body>) -> Page {
        let response = self.app.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        for value in headers.get_all(header::SET_COOKIE) {
            let text = value.to_str().unwrap();
            let (name, rest) = text.split_once('=').unwrap();
            let value = rest.split(';').next().unwrap();
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        Page {
            status,
            headers,
            html: String::from_utf8(body.to_vec()).expect("utf-8"),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn get(&mut self, uri: &str) -> Page {
        let request = Request::get(uri)
            .header(header::ACCEPT_LANGUAGE, self.language)
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .unwrap();
        self.send(request).await
    }

    async fn post(&mut self, uri: &str, form: &[(&str, &str)]) -> Page {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let request = Request::post(uri)
            .header(header::ACCEPT_LANGUAGE, self.language)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    async fn sign_in(&mut self) {
        let form = self.get("/signin").await;
        let csrf = form.hidden("csrf");
        let answer = self
            .post("/signin", &[("csrf", &csrf), ("token", PUBLISHER_TOKEN)])
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.html);
    }

    /// The session's CSRF token, read from a page's sign-out form.
    async fn csrf(&mut self) -> String {
        self.get("/publish").await.hidden("csrf")
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn publish(backend: &MemoryBackend, draft: Value) -> RecordId {
    backend
        .publish(Draft::from_value(draft).expect("draft"))
        .await
        .expect("publish")
        .id
}

fn case_study(slug: &str) -> Value {
    json!({
        "kind": "case_study",
        "slug": slug,
        "title": {"it": "Chatbot per l'URP", "en": "Chatbot for the public relations office"},
        "summary": {"it": "Un assistente che risponde ai cittadini.", "en": "An assistant that answers citizens."},
        "description": {"en": "First paragraph.\n\nSecond paragraph."},
        "organisation": "Regione Emilia-Romagna",
        "country": "IT",
        "nuts": "ITH5",
        "themes": ["citizens", "data"],
        "technologies": ["chatbot"],
        "status": "implemented",
        "licence": "EUPL-1.2",
        "links": [{"url": "https://example.org/chatbot", "title": "Project page"}],
        "contacts": [{"name": "Maria Rossi", "email": "maria@example.org", "role": "project lead"}],
        "case_study": {"start_year": 2022, "interaction": ["G2C"], "benefits": ["efficiency"]},
    })
}

/// Every page type's path, for a backend holding `id` (one of its own records).
fn every_page(id: &RecordId) -> Vec<String> {
    vec![
        "/".into(),
        "/search".into(),
        "/search?q=chatbot&theme=citizens".into(),
        format!("/records/{id}"),
        format!("/records/{id}/history"),
        "/members".into(),
        "/signin".into(),
    ]
}

fn signed_in_pages(id: &RecordId) -> Vec<String> {
    vec![
        "/publish".into(),
        "/publish?kind=case_study".into(),
        "/publish?kind=solution".into(),
        "/publish?kind=best_practice".into(),
        format!("/records/{id}/edit"),
        format!("/records/{id}/retract"),
    ]
}

fn assert_well_formed_page(page: &Page, path: &str, lang: &str) {
    assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.html);
    assert!(page.html.starts_with("<!DOCTYPE html>"), "{path}");
    assert!(
        page.html.contains(&format!("<html lang=\"{lang}\"")),
        "{path} is not in {lang}"
    );
    assert!(
        !page.html.contains("⟦"),
        "{path} in {lang} misses a message"
    );
    assert!(
        page.html.contains("<a class=\"skip\" href=\"#main\">"),
        "{path} has no skip link"
    );
    assert!(
        page.html.contains("<main id=\"main\""),
        "{path} has no main landmark"
    );
    assert_eq!(
        page.html.matches("<h1").count(),
        1,
        "{path} must have one h1"
    );
    let csp = page.header(header::CONTENT_SECURITY_POLICY);
    for directive in [
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(
            csp.contains(directive),
            "{path}: CSP {csp:?} lacks {directive}"
        );
    }
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(page.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert!(page.header(header::CONTENT_TYPE).starts_with("text/html"));
    // No inline scripts, styles or event handlers anywhere.
    assert!(
        !page.html.contains("<script>")
            && !page.html.contains("style=")
            && !page.html.contains(" onclick")
    );
}

#[tokio::test]
async fn every_page_type_renders_in_every_interface_language() {
    let backend = MemoryBackend::new();
    let id = publish(&backend, case_study("chatbot-urp")).await;
    for (lang, marker) in [
        ("en", "Search records"),
        ("it", "Cerca nelle schede"),
        ("es", "Buscar en las fichas"),
        ("ca", "Cerca a les fitxes"),
        ("fr", "Rechercher dans les fiches"),
        ("de", "Einträge durchsuchen"),
        ("nl", "Fiches doorzoeken"),
        ("fi", "Hae julkaisuista"),
    ] {
        let mut browser = Browser::new(&backend);
        browser.language = lang;
        for path in every_page(&id) {
            let page = browser.get(&path).await;
            assert_well_formed_page(&page, &path, lang);
        }
        assert!(browser.get("/").await.html.contains(marker));
        browser.sign_in().await;
        for path in signed_in_pages(&id) {
            let page = browser.get(&path).await;
            assert_well_formed_page(&page, &path, lang);
        }
    }
}

#[tokio::test]
async fn language_follows_the_switch_then_the_cookie_then_accept_language() {
    let backend = MemoryBackend::new();
    let mut browser = Browser::new(&backend);
    browser.language = "it-IT,it;q=0.9,en;q=0.5";
    assert!(browser.get("/").await.html.contains("<html lang=\"it\""));
    let switched = browser.get("/search?lang=en").await;
    assert!(switched.html.contains("<html lang=\"en\""));
    let cookie = switched.header(header::SET_COOKIE);
    assert!(
        cookie.contains("mosaico_lang=en") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    // The cookie now wins over Accept-Language.
    assert!(
        browser
            .get("/members")
            .await
            .html
            .contains("<html lang=\"en\"")
    );
    // The switch links to the same page in each language.
    let page = browser.get("/search?q=data").await;
    assert!(
        page.html.contains("href=\"/search?q=data&amp;lang=it\""),
        "{}",
        page.html
    );
}

#[tokio::test]
async fn dates_and_numbers_are_formatted_per_language() {
    let backend = MemoryBackend::new();
    let id = publish(&backend, case_study("dates")).await;
    let mut browser = Browser::new(&backend);
    browser.language = "it";
    let page = browser.get(&format!("/records/{id}")).await;
    assert!(page.html.contains("15 giugno 2025"), "{}", page.html);
    browser.language = "en";
    let page = browser.get(&format!("/records/{id}")).await;
    assert!(page.html.contains("15 June 2025"));
}

#[tokio::test]
async fn the_record_page_shows_every_part_and_notes_another_language() {
    let backend = MemoryBackend::new();
    let mut only_english = case_study("english-only");
    only_english["title"] = json!({"en": "Open data portal"});
    only_english["summary"] = json!({"en": "A portal."});
    let id = publish(&backend, only_english).await;
    let related = publish(&backend, case_study("related-one")).await;
    let mut browser = Browser::new(&backend);
    browser.language = "it";
    let page = browser.get(&format!("/records/{id}")).await;
    let html = &page.html;
    assert!(
        html.contains("<h1 lang=\"en\">Open data portal</h1>"),
        "{html}"
    );
    assert!(html.contains("non è disponibile nella tua lingua"));
    assert!(html.contains("English"));
    // Provenance: organisation, region, fingerprint, signed at, version n of m, both checks.
    assert!(html.contains("Regione Emilia-Romagna"));
    assert!(html.contains("Emilia-Romagna, regione membro"));
    assert!(html.contains(&backend.public_key().fingerprint()));
    assert!(html.contains("versione 1 di 1"));
    assert!(html.contains("data-canonical=\""));
    assert!(html.contains(&format!("data-id=\"{id}\"")));
    assert!(html.contains(&format!("href=\"/api/v1/records/{id}\"")));
    // Contacts, links and the case-study taxonomy.
    assert!(html.contains("mailto:maria@example.org"));
    assert!(html.contains("href=\"https://example.org/chatbot\""));
    assert!(html.contains("Pubblica amministrazione verso cittadini (G2C)"));
    // Related records share a theme.
    assert!(html.contains(&format!("/records/{related}")));
    // The record's own language switch.
    let bilingual = browser.get(&format!("/records/{related}?rlang=en")).await;
    assert!(
        bilingual
            .html
            .contains("<h1 lang=\"en\">Chatbot for the public relations office</h1>")
    );
    let italian = browser.get(&format!("/records/{related}")).await;
    assert!(
        italian.html.contains("<h1>Chatbot per l&#39;URP</h1>"),
        "{}",
        italian.html
    );
}

#[tokio::test]
async fn search_shows_facets_active_filters_marks_and_export_links() {
    let backend = MemoryBackend::new();
    publish(&backend, case_study("chatbot-one")).await;
    let mut other = case_study("iot-sensors");
    other["title"] = json!({"en": "Air quality sensors"});
    other["summary"] = json!({"en": "Sensors that measure air quality."});
    other["themes"] = json!(["iot"]);
    publish(&backend, other).await;
    let mut browser = Browser::new(&backend);
    let page = browser.get("/search?q=assistant&theme=citizens").await;
    let html = &page.html;
    assert!(html.contains("1 records found"), "{html}");
    assert!(html.contains("<mark>assistant</mark>"), "{html}");
    assert!(html.contains("Active filters"));
    assert!(
        html.contains("aria-label=\"Remove filter Themes: Citizens\" href=\"/search?q=assistant\"")
            || html.contains(
                "href=\"/search?q=assistant\" aria-label=\"Remove filter Themes: Citizens\""
            ),
        "{html}"
    );
    assert!(html.contains("href=\"/feeds/atom.xml?q=assistant&amp;theme=citizens\""));
    assert!(html.contains("href=\"/export/records.csv?q=assistant&amp;theme=citizens\""));
    // Facet counts over the whole result, with links that add a filter.
    let all = browser.get("/search").await;
    assert!(all.html.contains("href=\"/search?theme=iot\">Internet of things</a> <span class=\"count\">1 records</span>"), "{}", all.html);
    // A bad parameter is explained, not a crash.
    let bad = browser.get("/search?status=paused").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.html.contains("role=\"alert\""));
}

#[tokio::test]
async fn search_pages_forward_with_a_cursor() {
    let backend = MemoryBackend::new();
    for i in 0..25 {
        publish(&backend, case_study(&format!("case-{i:02}"))).await;
    }
    let mut browser = Browser::new(&backend);
    let first = browser.get("/search").await;
    assert!(first.html.contains("25 records found"));
    let marker = "href=\"/search?cursor=";
    let start = first.html.find(marker).expect("a next page link") + "href=\"".len();
    let next = first.html[start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let second = browser.get(&next).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.html);
    assert_eq!(second.html.matches("class=\"card\"").count(), 5);
    assert!(second.html.contains("First page"));
}

#[tokio::test]
async fn hostile_record_content_is_never_markup() {
    let backend = MemoryBackend::new();
    let payloads = [
        "<script>alert('x')</script>",
        "\"><img src=x onerror=alert(1)>",
        "<svg onload=alert(1)>",
        "javascript:alert(1)",
        "</textarea><b>bold</b>",
        "<mark>fake</mark><iframe src=//evil>",
    ];
    let text = payloads.join(" ");
    let per_lang = json!({"en": text, "it": text});
    let draft = json!({
        "kind": "solution",
        "slug": "hostile",
        "title": {"en": "Hostile <script>alert(1)</script>", "it": "Ostile <img src=x onerror=alert(1)>"},
        "summary": per_lang,
        "description": per_lang,
        "organisation": payloads[1],
        "country": "IT",
        "technologies": [payloads[2]],
        "tags": [payloads[4]],
        "links": [{"url": "https://example.org/\"><script>alert(1)</script>", "title": payloads[0]}],
        "contacts": [{"name": payloads[0], "role": payloads[1], "organisation": payloads[2], "email": "a@example.org"}],
        "solution": {"platforms": [payloads[3]], "categories": [payloads[5]], "used_by": [payloads[0]]},
    });
    let id = publish(&backend, draft.clone()).await;
    let mut v2 = draft;
    v2["version"] = json!(2);
    v2["summary"] = json!({"en": format!("{text} changed")});
    let id2 = publish(&backend, v2).await;
    let mut browser = Browser::new(&backend);
    let mut pages: Vec<String> = every_page(&id2);
    pages.push(format!("/records/{id}"));
    pages.push("/search?q=hostile".into());
    pages.push("/search?q=script".into());
    pages.push(format!("/search?technology={}", encode(payloads[2])));
    browser.sign_in().await;
    pages.extend(signed_in_pages(&id2));
    for lang in ["en", "it", "es", "ca", "fr", "de", "nl", "fi"] {
        browser.language = lang;
        for path in &pages {
            let page = browser.get(path).await;
            let html = &page.html;
            for forbidden in [
                "<script>alert",
                "<img src=x",
                "<svg",
                "<iframe",
                "<b>bold",
                "</textarea><b>",
                "<mark>fake",
            ] {
                assert!(
                    !html.contains(forbidden),
                    "{path} renders {forbidden:?} as markup"
                );
            }
            assert!(
                !html.contains("href=\"javascript:"),
                "{path} links to javascript:"
            );
        }
    }
    let record = browser.get(&format!("/records/{id2}")).await;
    assert!(
        record
            .html
            .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;")
    );
}

#[tokio::test]
async fn sign_in_sets_a_strict_http_only_session_and_sign_out_ends_it() {
    let backend = MemoryBackend::new();
    let mut browser = Browser::new(&backend);
    assert_eq!(browser.get("/publish").await.location(), "/signin");
    let form = browser.get("/signin").await;
    let csrf = form.hidden("csrf");
    // A wrong token: the error is tied to the field.
    let wrong = browser
        .post("/signin", &[("csrf", &csrf), ("token", "nope")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(
        wrong
            .html
            .contains("aria-describedby=\"token-hint token-error\""),
        "{}",
        wrong.html
    );
    assert!(wrong.html.contains("id=\"token-error\""));
    assert!(wrong.html.contains("aria-invalid=\"true\""));
    let ok = browser
        .post("/signin", &[("csrf", &csrf), ("token", PUBLISHER_TOKEN)])
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let cookie = ok.header(header::SET_COOKIE);
    assert!(cookie.starts_with("mosaico_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && !cookie.contains("Secure")
    );
    assert_eq!(browser.get("/publish").await.status, StatusCode::OK);
    // Sign out needs the session's CSRF token.
    let csrf = browser.csrf().await;
    let refused = browser.post("/signout", &[("csrf", "forged")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let out = browser.post("/signout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(browser.get("/publish").await.location(), "/signin");
}

#[tokio::test]
async fn cookies_are_secure_behind_https() {
    let backend = MemoryBackend::new();
    let mut browser = Browser::new(&backend);
    let request = Request::get("/signin")
        .header("x-forwarded-proto", "https")
        .body(Body::empty())
        .unwrap();
    let page = browser.send(request).await;
    assert!(page.header(header::SET_COOKIE).ends_with("; Secure"));
}

#[tokio::test]
async fn forms_without_the_right_csrf_token_are_refused_and_change_nothing() {
    let backend = MemoryBackend::new();
    let id = publish(&backend, case_study("keep-me")).await;
    let mut browser = Browser::new(&backend);
    // Sign-in without the double-submit cookie's value.
    browser.get("/signin").await;
    let refused = browser
        .post("/signin", &[("csrf", "0000"), ("token", PUBLISHER_TOKEN)])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(
        !refused
            .header(header::SET_COOKIE)
            .contains("mosaico_session")
    );
    browser.sign_in().await;
    let before = backend.snapshot();
    let form = [
        ("csrf", "forged"),
        ("kind", "case_study"),
        ("slug", "new-one"),
        ("lang-0", "en"),
        ("title-0", "T"),
        ("summary-0", "S"),
        ("organisation", "O"),
        ("country", "IT"),
        ("action", "publish"),
    ];
    assert_eq!(
        browser.post("/publish", &form).await.status,
        StatusCode::FORBIDDEN
    );
    let retract = browser
        .post(
            &format!("/records/{id}/retract"),
            &[("csrf", "forged"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(retract.status, StatusCode::FORBIDDEN);
    assert_eq!(backend.snapshot(), before);
}

#[tokio::test]
async fn validation_errors_are_the_apis_and_tied_to_their_fields() {
    let backend = MemoryBackend::new();
    let mut browser = Browser::new(&backend);
    browser.sign_in().await;
    let csrf = browser.csrf().await;
    let before = backend.snapshot();
    let long_summary = "x".repeat(600);
    let page = browser
        .post(
            "/publish",
            &[
                ("csrf", &csrf),
                ("kind", "case_study"),
                ("slug", "bad-one"),
                ("lang-0", "en"),
                ("title-0", ""),
                ("summary-0", &long_summary),
                ("organisation", "Org"),
                ("country", "XX"),
                ("start_year", "soon"),
                ("links", "ftp://example.org"),
                ("action", "publish"),
            ],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.html
    );
    let html = &page.html;
    assert!(html.contains("class=\"error-summary\" role=\"alert\""));
    for control in ["title-0", "summary-0", "country", "start_year", "links"] {
        assert!(
            html.contains(&format!("id=\"{control}-error\"")),
            "no error for {control}: {html}"
        );
        let input = html
            .find(&format!("id=\"{control}\""))
            .unwrap_or_else(|| panic!("no control {control}"));
        let tag = &html[input..input + html[input..].find('>').unwrap()];
        assert!(
            tag.contains(&format!("{control}-error")),
            "{control} is not described by its error: {tag}"
        );
        assert!(tag.contains("aria-invalid=\"true\""));
        assert!(
            html.contains(&format!("href=\"#{control}\"")),
            "summary does not link to {control}"
        );
    }
    // The API's own messages, as the protocol words them.
    assert!(html.contains("title: is required, in at least one language"));
    assert!(html.contains("600 characters, at most 500"), "{html}");
    // What the user typed is kept.
    assert!(html.contains(&long_summary));
    assert_eq!(backend.snapshot(), before);
}

#[tokio::test]
async fn languages_are_added_and_removed_without_javascript() {
    let backend = MemoryBackend::new();
    let mut browser = Browser::new(&backend);
    browser.sign_in().await;
    let csrf = browser.csrf().await;
    let added = browser
        .post(
            "/publish",
            &[
                ("csrf", &csrf),
                ("kind", "best_practice"),
                ("lang-0", "it"),
                ("title-0", "Titolo"),
                ("action", "add-language"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::OK);
    assert!(added.html.contains("id=\"lang-1\""), "{}", added.html);
    assert!(added.html.contains("value=\"Titolo\""));
    assert!(added.html.contains("value=\"remove-language-1\""));
    let removed = browser
        .post(
            "/publish",
            &[
                ("csrf", &csrf),
                ("kind", "best_practice"),
                ("lang-0", "it"),
                ("title-0", "Titolo"),
                ("lang-1", "en"),
                ("title-1", "Title"),
                ("action", "remove-language-0"),
            ],
        )
        .await;
    assert!(!removed.html.contains("id=\"lang-1\""));
    assert!(removed.html.contains("value=\"Title\"") && !removed.html.contains("value=\"Titolo\""));
}

#[tokio::test]
async fn preview_then_publish_then_a_new_version() {
    let backend = MemoryBackend::new();
    let mut browser = Browser::new(&backend);
    browser.sign_in().await;
    let csrf = browser.csrf().await;
    let fields = vec![
        ("csrf", csrf.as_str()),
        ("kind", "solution"),
        ("slug", "open-chat"),
        ("lang-0", "en"),
        ("title-0", "Open chat"),
        ("summary-0", "A chat."),
        ("lang-1", "it"),
        ("title-1", "Chat aperta"),
        ("summary-1", "Una chat."),
        ("organisation", "Comune di Bologna"),
        ("country", "it"),
        ("themes", "citizens"),
        ("themes", "data"),
        ("technologies", "chatbot, nlp"),
        ("contacts", "Anna Bianchi | anna@example.org | lead"),
        ("url", "https://example.org/repo"),
        ("development_status", "stable"),
    ];
    let before = backend.snapshot();
    let mut preview = fields.clone();
    preview.push(("action", "preview"));
    let page = browser.post("/publish", &preview).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("passes every check"));
    assert_eq!(backend.snapshot(), before, "a preview publishes nothing");
    let mut publish = fields.clone();
    publish.push(("action", "publish"));
    let done = browser.post("/publish", &publish).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let location = done.location();
    assert!(location.starts_with("/records/") && location.ends_with("?published=1"));
    let record = browser.get(&location).await;
    assert!(record.html.contains("Open chat") && record.html.contains("role=\"status\""));
    assert!(record.html.contains("anna@example.org"));
    // A new version through the edit form, which is filled in from the record.
    let id = location
        .trim_start_matches("/records/")
        .trim_end_matches("?published=1")
        .to_owned();
    let edit = browser.get(&format!("/records/{id}/edit")).await;
    assert_eq!(edit.hidden("version"), "2");
    assert!(edit.html.contains("value=\"Chat aperta\""));
    let mut v2 = fields.clone();
    v2.retain(|(name, _)| *name != "title-0");
    v2.extend([
        ("title-0", "Open chat 2"),
        ("version", "2"),
        ("action", "publish"),
    ]);
    let done = browser.post("/publish", &v2).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let history = browser.get(&format!("/records/{id}/history")).await;
    assert!(history.html.contains("title.en"), "{}", history.html);
    assert!(
        history
            .html
            .contains("<td>Open chat</td><td>Open chat 2</td>")
    );
}

#[tokio::test]
async fn retraction_needs_a_confirmation_step() {
    let backend = MemoryBackend::new();
    let id = publish(&backend, case_study("to-retract")).await;
    let mut browser = Browser::new(&backend);
    browser.sign_in().await;
    let confirm = browser.get(&format!("/records/{id}/retract")).await;
    assert!(confirm.html.contains("Do you want to retract"));
    let csrf = confirm.hidden("csrf");
    let before = backend.snapshot();
    // Without the confirmation field, the question is asked again and nothing changes.
    let again = browser
        .post(&format!("/records/{id}/retract"), &[("csrf", &csrf)])
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(again.html.contains("Do you want to retract"));
    assert_eq!(backend.snapshot(), before);
    let done = browser
        .post(
            &format!("/records/{id}/retract"),
            &[("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let retraction = browser.get(&done.location()).await;
    assert!(
        retraction.html.contains("Retracted."),
        "{}",
        retraction.html
    );
    assert!(!browser.get("/search").await.html.contains("to-retract"));
}

#[tokio::test]
async fn another_regions_record_cannot_be_edited_or_retracted_here() {
    let backend = MemoryBackend::new();
    let unsigned = json!({
        "format": 1, "kind": "case_study", "author": flanders().public_key().to_hex(), "slug": "vlaams",
        "version": 1, "created_at": backend.now(), "title": {"nl": "Vlaamse chatbot"},
        "summary": {"nl": "Een chatbot."}, "organisation": "Vlaanderen", "country": "BE",
    });
    let record = mosaico_protocol::Record::sign(unsigned, &flanders()).unwrap();
    let id = backend.receive(record.into_unverified()).unwrap().id;
    let mut browser = Browser::new(&backend);
    browser.sign_in().await;
    let page = browser.get(&format!("/records/{id}")).await;
    assert!(page.html.contains("<h1 lang=\"nl\">Vlaamse chatbot</h1>"));
    // The notice names the record's own language; the language switch lists Nederlands on every
    // page, so the name alone would prove nothing.
    assert!(page.html.contains("it is shown in Nederlands."));
    assert!(!page.html.contains("/retract\""));
    assert_eq!(
        browser.get(&format!("/records/{id}/edit")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        browser.get(&format!("/records/{id}/retract")).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn unknown_records_get_an_html_404_and_static_assets_are_served() {
    let backend = MemoryBackend::new();
    let mut browser = Browser::new(&backend);
    let missing = browser.get(&format!("/records/{}", "0".repeat(64))).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.html.contains("Record not found"));
    assert_eq!(
        browser.get("/records/not-an-id").await.status,
        StatusCode::NOT_FOUND
    );
    let css = browser.get("/static/mosaico.css").await;
    assert!(css.header(header::CONTENT_TYPE).starts_with("text/css"));
    let js = browser.get("/static/mosaico.js").await;
    assert!(
        js.header(header::CONTENT_TYPE)
            .starts_with("text/javascript")
    );
    assert!(js.html.contains("crypto.subtle.verify"));
}

#[tokio::test]
async fn pages_stay_well_under_the_weight_budget() {
    let backend = MemoryBackend::new();
    for i in 0..30 {
        publish(&backend, case_study(&format!("weight-{i}"))).await;
    }
    let id = publish(&backend, case_study("weight-record")).await;
    let mut browser = Browser::new(&backend);
    let assets = browser.get("/static/mosaico.css").await.html.len()
        + browser.get("/static/mosaico.js").await.html.len();
    for path in every_page(&id) {
        let page = browser.get(&path).await;
        let total = page.html.len() + assets;
        assert!(total < 150 * 1024, "{path} weighs {total} bytes");
    }
}
