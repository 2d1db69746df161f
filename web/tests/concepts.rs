//! Router tests of the concept pages and the concept API: names in the reader's language,
//! narrower concepts computed from broader links, suggestions without JavaScript, the 404 of an
//! unknown concept and the 400 of a malformed one, the search box's datalist, and the record
//! page's line naming the languages a record is written in.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use mosaico_protocol::draft::Draft;
use mosaico_web::router;
use mosaico_web::testing::MemoryBackend;
use mosaico_web::views::{MatchedConcept, MembersView, PeerView, QueryReading, StatusView};
use mosaico_web::{
    Backend, BackendError, LiveEvent, PublishError, Published, RecordPage, RecordQuery, Role,
};
use serde_json::{Value, json};
use tower::ServiceExt as _;

struct Answer {
    status: StatusCode,
    content_type: String,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }
}

async fn get(backend: &MemoryBackend, uri: &str) -> Answer {
    let response = router(backend.clone())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .expect("infallible");
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Answer {
        status,
        content_type,
        text: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

#[tokio::test]
async fn a_concept_page_names_it_in_the_ui_language_and_in_every_language_with_its_lang() {
    let backend = MemoryBackend::new();
    let page = get(&backend, "/concepts/machine-translation?lang=it").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(page.text.contains("<html lang=\"it\""));
    assert!(
        page.text.contains("<h1>traduzione automatica</h1>"),
        "{}",
        page.text
    );
    // Every language of the scheme, each name marked with its own language.
    for (lang, label) in [
        ("en", "machine translation"),
        ("ca", "traducció automàtica"),
        ("fi", "konekäännös"),
        ("pl", "tłumaczenie maszynowe"),
    ] {
        assert!(
            page.text
                .contains(&format!("<span lang=\"{lang}\">{label}</span>")),
            "{lang} label missing"
        );
    }
    // Alternative names too, and language names in Italian.
    assert!(
        page.text
            .contains("<span lang=\"en\">neural machine translation</span>")
    );
    assert!(page.text.contains(">catalano</th>"));
    assert!(page.text.contains("Software that translates text"));
    // Broader and related come from the file; narrower is computed from broader links.
    assert!(
        page.text
            .contains("href=\"/concepts/natural-language-processing\"")
    );
    assert!(page.text.contains("href=\"/concepts/speech-recognition\""));
    assert!(
        page.text
            .contains("<a href=\"/concepts/speech-translation\">traduzione vocale</a>"),
        "narrower concept missing"
    );
    assert!(!page.text.contains("⟦"));
}

#[tokio::test]
async fn a_concept_page_links_to_eurovoc_and_lists_the_records_the_backend_finds() {
    let backend = MemoryBackend::new();
    backend
        .publish(
            Draft::from_value(json!({
                "kind": "solution",
                "slug": "kaantaja",
                "title": {"fi": "Konekäännöspalvelu"},
                "summary": {"fi": "Palvelu kääntää asiakirjat."},
                "organisation": "Helsinki",
                "country": "FI",
                "themes": ["citizens"],
                "status": "implemented",
                "licence": "EUPL-1.2",
            }))
            .unwrap(),
        )
        .await
        .unwrap();
    let page = get(&backend, "/concepts/artificial-intelligence?lang=en").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.text.contains("href=\"http://eurovoc.europa.eu/3030\""),
        "{}",
        page.text
    );
    // The record's title keeps its own language on an English page.
    assert!(
        page.text.contains("lang=\"fi\">Konekäännöspalvelu</a>"),
        "{}",
        page.text
    );
    assert!(
        page.text
            .contains("href=\"/search?concept=mc%3Aartificial-intelligence\"")
    );
}

#[tokio::test]
async fn unknown_concepts_are_404_and_malformed_ids_400() {
    let backend = MemoryBackend::new();
    let unknown = get(&backend, "/concepts/no-such-concept-here?lang=en").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(
        unknown
            .text
            .contains("does not know mc:no-such-concept-here"),
        "{}",
        unknown.text
    );
    let malformed = get(&backend, "/concepts/Not_A--Slug?lang=en").await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert!(malformed.text.contains("is not a concept id"));
    assert!(malformed.content_type.starts_with("text/html"));
    let long = get(&backend, &format!("/concepts/{}?lang=en", "a".repeat(5000))).await;
    assert_eq!(long.status, StatusCode::BAD_REQUEST);
    // The message quotes the slug cut at 100 characters, not whole.
    assert!(long.text.contains(&format!("“{}” is not", "a".repeat(100))));
}

#[tokio::test]
async fn the_concept_index_suggests_by_any_name_without_javascript() {
    let backend = MemoryBackend::new();
    // No text: every concept, as links, with a plain GET form.
    let all = get(&backend, "/concepts?lang=it").await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(
        all.text
            .contains("<form role=\"search\" method=\"get\" action=\"/concepts\"")
    );
    assert!(
        all.text
            .contains("<a href=\"/concepts/machine-translation\">traduzione automatica</a>")
    );
    // A name in the UI language.
    let italian = get(&backend, "/concepts?lang=it&q=traduz").await;
    assert!(
        italian
            .text
            .contains("<a href=\"/concepts/machine-translation\">traduzione automatica</a>")
    );
    // A name in another language finds the concept, named in the UI language, and says how.
    let finnish = get(&backend, "/concepts?lang=en&q=konek%C3%A4%C3%A4nn%C3%B6s").await;
    assert!(
        finnish
            .text
            .contains("<a href=\"/concepts/machine-translation\">machine translation</a> — via <span lang=\"fi\">konekäännös</span> (Finnish)"),
        "{}",
        finnish.text
    );
    let nothing = get(&backend, "/concepts?lang=en&q=zzzqqq").await;
    assert!(nothing.text.contains("No concept has a name containing"));
}

#[tokio::test]
async fn the_search_box_suggests_concept_names_in_the_ui_language() {
    let backend = MemoryBackend::new();
    let page = get(&backend, "/search?lang=ca").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("list=\"concept-names\""));
    assert_eq!(page.text.matches("<datalist").count(), 1);
    assert!(
        page.text
            .contains("<option value=\"traducció automàtica\"></option>")
    );
    let options = page.text.matches("<option value=").count();
    assert!(options > 100 && options <= 500 + 3, "{options} options");
}

#[tokio::test]
async fn the_record_page_says_in_the_readers_language_which_languages_it_is_written_in() {
    let backend = MemoryBackend::new();
    let id = backend
        .publish(
            Draft::from_value(json!({
                "kind": "solution",
                "slug": "bilingual",
                "title": {"en": "Translator", "ca": "Traductor"},
                "summary": {"en": "It translates.", "ca": "Tradueix."},
                "organisation": "Generalitat",
                "country": "ES",
                "themes": ["citizens"],
                "status": "implemented",
                "licence": "EUPL-1.2",
            }))
            .unwrap(),
        )
        .await
        .unwrap()
        .id;
    let page = get(&backend, &format!("/records/{id}?lang=it")).await;
    assert!(
        page.text
            .contains("<p class=\"written-in\">Scritto in: catalano, inglese</p>"),
        "{}",
        page.text
    );
    let page = get(&backend, &format!("/records/{id}?lang=de")).await;
    assert!(page.text.contains("Geschrieben in: Katalanisch, Englisch"));
}

#[tokio::test]
async fn the_api_suggests_concepts_in_any_language_bounded() {
    let backend = MemoryBackend::new();
    let answer = get(&backend, "/api/v1/concepts?q=traduc&lang=it").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let items = answer.json()["items"].as_array().unwrap().clone();
    assert!(!items.is_empty() && items.len() <= 20, "{}", items.len());
    let mt = items
        .iter()
        .find(|i| i["id"] == "mc:machine-translation")
        .expect("machine translation suggested");
    // "traduc" is in no Italian name (traduzione), so it matched in another language, while the
    // label is still Italian.
    assert_eq!(mt["label"], "traduzione automatica");
    assert_ne!(mt["language"], "it");
    assert!(
        mt["matched"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("traduc")
    );
    // Names in the reader's language rank first.
    let answer = get(&backend, "/api/v1/concepts?q=tradu&lang=it").await;
    let first = &answer.json()["items"][0];
    assert_eq!(first["language"], "it", "{first}");
    // Many matches are cut at 20.
    let answer = get(&backend, "/api/v1/concepts?q=a").await;
    assert_eq!(answer.json()["items"].as_array().unwrap().len(), 20);
}

#[tokio::test]
async fn the_api_refuses_bad_concept_searches_with_a_problem() {
    let backend = MemoryBackend::new();
    let long = "a".repeat(101);
    for uri in [
        "/api/v1/concepts".to_owned(),
        "/api/v1/concepts?q=".to_owned(),
        "/api/v1/concepts?q=%20%20".to_owned(),
        format!("/api/v1/concepts?q={long}"),
        "/api/v1/concepts?q=x&colour=red".to_owned(),
        "/api/v1/concepts?q=x&q=y".to_owned(),
        "/api/v1/concepts?q=x&lang=%C3%A7%C3%A7".to_owned(),
        "/api/v1/concepts/Not_A_Slug".to_owned(),
        "/api/v1/concepts/a--b".to_owned(),
        format!("/api/v1/concepts/{}", "a".repeat(101)),
    ] {
        let answer = get(&backend, &uri).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{uri}: {}",
            answer.text
        );
        assert_eq!(answer.content_type, "application/problem+json", "{uri}");
    }
    let unknown = get(&backend, "/api/v1/concepts/no-such-concept-here").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.content_type, "application/problem+json");
}

#[tokio::test]
async fn the_api_serves_a_concept_with_narrower_computed() {
    let backend = MemoryBackend::new();
    let answer = get(&backend, "/api/v1/concepts/machine-translation").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let concept = answer.json();
    assert_eq!(concept["id"], "mc:machine-translation");
    assert_eq!(concept["pref_labels"]["ca"], "traducció automàtica");
    assert!(
        concept["alt_labels"]["en"]
            .as_array()
            .unwrap()
            .contains(&json!("MT"))
    );
    assert_eq!(
        concept["broader"],
        json!(["mc:natural-language-processing"])
    );
    assert!(
        concept["narrower"]
            .as_array()
            .unwrap()
            .contains(&json!("mc:speech-translation"))
    );
    assert!(
        concept["related"]
            .as_array()
            .unwrap()
            .contains(&json!("mc:multilingualism"))
    );
    assert!(concept["exact_match"].is_array() && concept["close_match"].is_array());
    // The scheme the page shows is the backend's.
    assert!(backend.concepts().get("mc:machine-translation").is_some());
}

#[tokio::test]
async fn the_openapi_document_describes_the_concept_endpoints_and_the_search_parameters() {
    let backend = MemoryBackend::new();
    let doc = get(&backend, "/api/v1/openapi.json").await.json();
    let paths = &doc["paths"];
    for path in ["/api/v1/concepts", "/api/v1/concepts/{slug}"] {
        let responses = &paths[path]["get"]["responses"];
        for status in ["200", "400"] {
            assert!(responses.get(status).is_some(), "{path} lacks {status}");
        }
    }
    assert!(
        paths["/api/v1/concepts/{slug}"]["get"]["responses"]
            .get("404")
            .is_some()
    );
    let names: Vec<&str> = paths["/api/v1/records"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"q_lang") && names.contains(&"concept"),
        "{names:?}"
    );
    let schemas = &doc["components"]["schemas"];
    for schema in [
        "ConceptSuggestions",
        "ConceptView",
        "QueryReading",
        "MatchWhy",
    ] {
        assert!(schemas.get(schema).is_some(), "{schema} missing");
    }
    assert!(schemas["RecordList"]["properties"].get("query").is_some());
    assert!(schemas["RecordSummary"]["properties"].get("why").is_some());
}

#[tokio::test]
async fn concept_pages_render_in_every_interface_language() {
    let backend = MemoryBackend::new();
    for lang in ["ca", "de", "en", "es", "fr", "it", "nl", "fi"] {
        for path in [
            "/concepts",
            "/concepts?q=data",
            "/concepts/machine-translation",
            "/concepts/artificial-intelligence",
            "/concepts/no-such-concept",
            "/search?concept=mc:machine-translation",
        ] {
            let separator = if path.contains('?') { '&' } else { '?' };
            let page = get(&backend, &format!("{path}{separator}lang={lang}")).await;
            assert!(
                page.status == StatusCode::OK || page.status == StatusCode::NOT_FOUND,
                "{path} in {lang}: {}",
                page.status
            );
            assert!(page.text.contains(&format!("<html lang=\"{lang}\"")));
            assert!(
                !page.text.contains("⟦"),
                "{path} in {lang} misses a message"
            );
            assert_eq!(page.text.matches("<h1").count(), 1, "{path} in {lang}");
            assert!(
                page.text.len() < 120 * 1024,
                "{path} weighs {}",
                page.text.len()
            );
        }
    }
}

#[tokio::test]
async fn the_active_concept_filter_is_shown_by_name_and_removable() {
    let backend = MemoryBackend::new();
    let page = get(
        &backend,
        "/search?lang=it&q=x&concept=mc:machine-translation",
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert!(
        page.text.contains("<li>Concetto: traduzione automatica "),
        "{}",
        page.text
    );
    assert!(
        page.text.contains(
            "href=\"/search?q=x\" aria-label=\"Rimuovi il filtro Concetto: traduzione automatica\""
        ),
        "{}",
        page.text
    );
    let malformed = get(&backend, "/search?lang=en&concept=Machine").await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
}

/// A backend that answers like the node does for a cross-language search: the memory backend's
/// records, plus a reading that matched `mc:machine-translation` and a concept facet. It keeps
/// every query it is asked, so tests can see what the pages asked for.
#[derive(Clone)]
struct CrossLanguage {
    inner: MemoryBackend,
    asked: Arc<Mutex<Vec<RecordQuery>>>,
}

impl CrossLanguage {
    fn new() -> Self {
        CrossLanguage {
            inner: MemoryBackend::new(),
            asked: Arc::default(),
        }
    }
    fn asked(&self) -> Vec<RecordQuery> {
        self.asked.lock().unwrap().clone()
    }
}

impl Backend for CrossLanguage {
    fn list_records(&self, query: &RecordQuery) -> Result<RecordPage, BackendError> {
        self.asked.lock().unwrap().push(query.clone());
        let mut page = self.inner.list_records(&RecordQuery {
            q: None,
            sort: mosaico_web::Sort::Newest,
            ..query.clone()
        })?;
        page.facets
            .concept
            .insert("mc:machine-translation".to_owned(), 1200);
        page.facets.concept.insert("mc:x-newer".to_owned(), 3);
        if query.q.is_some() {
            page.reading = QueryReading {
                language: Some("it".to_owned()),
                language_source: None,
                concepts: vec![MatchedConcept {
                    id: "mc:machine-translation".to_owned(),
                    matched: "traduzione automatica".to_owned(),
                    label: "traduzione automatica".to_owned(),
                }],
                expanded: true,
                notice: None,
            };
        }
        Ok(page)
    }
    fn record(
        &self,
        id: &mosaico_protocol::RecordId,
    ) -> Result<Option<mosaico_protocol::Record<mosaico_protocol::Verified>>, BackendError> {
        self.inner.record(id)
    }
    fn head(
        &self,
        key: &mosaico_protocol::LogicalKey,
    ) -> Result<Option<mosaico_protocol::Record<mosaico_protocol::Verified>>, BackendError> {
        self.inner.head(key)
    }
    fn versions(
        &self,
        key: &mosaico_protocol::LogicalKey,
    ) -> Result<Vec<mosaico_protocol::Record<mosaico_protocol::Verified>>, BackendError> {
        self.inner.versions(key)
    }
    fn authority(
        &self,
        record: &mosaico_protocol::Record<mosaico_protocol::Verified>,
    ) -> Option<mosaico_protocol::trust::Authority> {
        self.inner.authority(record)
    }
    fn members(&self) -> MembersView {
        self.inner.members()
    }
    fn status(&self) -> StatusView {
        self.inner.status()
    }
    fn concepts(&self) -> Arc<mosaico_protocol::concepts::ConceptScheme> {
        self.inner.concepts()
    }
    fn peers(&self) -> impl Future<Output = Result<Vec<PeerView>, BackendError>> + Send {
        self.inner.peers()
    }
    fn metrics(&self) -> String {
        self.inner.metrics()
    }
    fn ready(&self) -> bool {
        self.inner.ready()
    }
    fn authorize(&self, bearer_token: &str) -> Option<Role> {
        self.inner.authorize(bearer_token)
    }
    fn live_events(&self) -> impl futures::Stream<Item = LiveEvent> + Send + 'static + use<> {
        self.inner.live_events()
    }
    fn publish(
        &self,
        draft: Draft,
    ) -> impl Future<Output = Result<Published, PublishError>> + Send {
        self.inner.publish(draft)
    }
    fn publish_signed(
        &self,
        record: mosaico_protocol::Record<mosaico_protocol::Unverified>,
    ) -> impl Future<Output = Result<Published, PublishError>> + Send {
        self.inner.publish_signed(record)
    }
    fn retract(
        &self,
        key: mosaico_protocol::LogicalKey,
    ) -> impl Future<Output = Result<Published, PublishError>> + Send {
        self.inner.retract(key)
    }
}

async fn get_from(backend: &CrossLanguage, uri: &str) -> String {
    let response = router(backend.clone())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .expect("infallible");
    assert_eq!(response.status(), StatusCode::OK, "{uri}");
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn a_cross_language_search_page_shows_the_concept_facet_and_the_also_found_line() {
    let backend = CrossLanguage::new();
    for (slug, title, summary) in [
        (
            "en-mt",
            json!({"en": "Machine translation for forms"}),
            json!({"en": "Forms."}),
        ),
        (
            "ca-mt",
            json!({"ca": "Traducció de formularis"}),
            json!({"ca": "Formularis."}),
        ),
    ] {
        backend
            .publish(
                Draft::from_value(json!({
                    "kind": "solution",
                    "slug": slug,
                    "title": title,
                    "summary": summary,
                    "organisation": "Region",
                    "country": "ES",
                    "themes": ["citizens"],
                    "status": "implemented",
                    "licence": "EUPL-1.2",
                }))
                .unwrap(),
            )
            .await
            .unwrap();
    }
    let html = get_from(&backend, "/search?lang=it&q=traduzione%20automatica").await;
    // The UI's language went with the query.
    let asked = backend.asked();
    assert_eq!(asked.last().unwrap().ui_lang.as_deref(), Some("it"));
    // The facet, named in Italian, with the count in Italian digits, narrowing the search.
    assert!(
        html.contains("<a href=\"/search?q=traduzione%20automatica&amp;concept=mc%3Amachine-translation\">traduzione automatica</a> <span class=\"count\">1.200"),
        "{html}"
    );
    assert!(html.contains(">mc:x-newer</a>"));
    // The line under the results: Italian name linked, then the page's other languages.
    assert!(
        html.contains("<p class=\"also-found\">Trovato anche attraverso il concetto <em><a href=\"/concepts/machine-translation\">traduzione automatica</a></em> · <span lang=\"ca\">traducció automàtica</span> · <span lang=\"en\">machine translation</span></p>"),
        "{html}"
    );
}

#[tokio::test]
async fn a_concept_page_asks_for_the_records_carrying_that_concept() {
    let backend = CrossLanguage::new();
    get_from(&backend, "/concepts/machine-translation?lang=fi").await;
    let asked = backend.asked();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].concept.as_deref(), Some("mc:machine-translation"));
    assert_eq!(asked[0].q, None);
}
