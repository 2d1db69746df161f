//! Router tests: every endpoint and every error path, through `oneshot` against the in-memory
//! backend, which really signs and stores records. Each rejection also checks that the store is
//! unchanged afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use mosaico_protocol::{Record, RecordId};
use mosaico_web::testing::{self, ADMIN_TOKEN, MemoryBackend, PUBLISHER_TOKEN};
use mosaico_web::{BackendError, router};
use serde_json::{Value, json};
use tower::ServiceExt as _;

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    fn header(&self, name: header::HeaderName) -> &str {
        self.headers
            .get(&name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
    }
    /// Asserts a problem+json answer with this status, and returns the document.
    fn problem(&self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(
            self.header(header::CONTENT_TYPE),
            "application/problem+json"
        );
        let problem = self.json();
        assert_eq!(problem["status"], status);
        assert!(
            problem["type"]
                .as_str()
                .unwrap()
                .starts_with("urn:mosaico:problem:")
        );
        assert!(problem["title"].is_string() && problem["detail"].is_string());
        problem
    }
}

async fn send(app: &Router, request: Request<Body>) -> Answer {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    Answer {
        status,
        headers,
        body,
    }
}

async fn get(app: &Router, uri: &str) -> Answer {
    send(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

fn post(
    uri: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: impl Into<Body>,
) -> Request<Body> {
    let mut request = Request::post(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    request.body(body.into()).unwrap()
}

async fn publish_json(app: &Router, token: &str, draft: &Value) -> Answer {
    send(
        app,
        post(
            "/api/v1/records",
            Some(token),
            Some("application/json"),
            draft.to_string(),
        ),
    )
    .await
}

fn case_study(slug: &str) -> Value {
    json!({
        "kind": "case_study",
        "slug": slug,
        "title": {"it": "Chatbot per l'URP", "en": "Chatbot for the public relations office"},
        "summary": {"it": "Smistamento delle richieste dei cittadini.", "en": "Routing citizens' requests."},
        "organisation": "Regione Emilia-Romagna",
        "country": "IT",
        "nuts": "ITH5",
        "themes": ["citizens"],
        "technologies": ["chatbot"],
        "status": "pilot",
    })
}

fn setup() -> (MemoryBackend, Router) {
    let backend = MemoryBackend::new();
    let app = router(backend.clone());
    (backend, app)
}

fn signed_by(
    secret: &mosaico_protocol::SecretKey,
    slug: &str,
    created_at: u64,
) -> Record<mosaico_protocol::Verified> {
    let mut unsigned = case_study(slug);
    let fields = unsigned.as_object_mut().unwrap();
    fields.insert("format".into(), json!(1));
    fields.insert("author".into(), json!(secret.public_key().to_hex()));
    fields.insert("version".into(), json!(1));
    fields.insert("created_at".into(), json!(created_at));
    fields.insert("country".into(), json!("BE"));
    fields.insert("nuts".into(), json!("BE2"));
    Record::sign(unsigned, secret).expect("valid record")
}

#[tokio::test]
async fn publish_a_draft_then_read_it_by_id_and_by_head() {
    let (backend, app) = setup();
    let answer = publish_json(&app, PUBLISHER_TOKEN, &case_study("chatbot-urp")).await;
    assert_eq!(
        answer.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let created = answer.json();
    let id = created["id"].as_str().unwrap().to_owned();
    let author = backend.public_key().to_hex();
    assert_eq!(
        answer.header(header::LOCATION),
        format!("/api/v1/records/{id}")
    );
    assert_eq!(created["location"], format!("/api/v1/records/{id}"));
    assert_eq!(created["version"], 1);
    assert_eq!(
        created["key"],
        json!({"author": author, "kind": "case_study", "slug": "chatbot-urp"})
    );

    let by_id = get(&app, &format!("/api/v1/records/{id}")).await;
    assert_eq!(by_id.status, StatusCode::OK);
    assert_eq!(by_id.header(header::ETAG), format!("\"{id}\""));
    assert_eq!(
        by_id.header(header::CACHE_CONTROL),
        "public, max-age=31536000, immutable"
    );
    let view = by_id.json();
    assert_eq!(view["id"], id.as_str());
    assert_eq!(view["verified"], true);
    assert_eq!(view["record"]["slug"], "chatbot-urp");
    assert_eq!(view["record"]["author"], author.as_str());
    assert_eq!(view["signatures"][0]["key"], author.as_str());
    assert_eq!(
        view["authority"],
        json!({"as": "member", "name": "Emilia-Romagna"})
    );
    // The served record is the signed one: a client can rebuild and verify the envelope.
    let envelope = json!({"record": view["record"], "signatures": view["signatures"]});
    let record = Record::decode(envelope.to_string().as_bytes())
        .unwrap()
        .verify(backend.now())
        .unwrap();
    assert_eq!(record.id().to_hex(), id);

    let head = get(
        &app,
        &format!("/api/v1/records/{author}/case_study/chatbot-urp"),
    )
    .await;
    assert_eq!(head.status, StatusCode::OK);
    assert_eq!(head.json()["id"], id.as_str());
    assert_eq!(head.header(header::CACHE_CONTROL), "public, max-age=10");
}

#[tokio::test]
async fn if_none_match_answers_304_without_a_body() {
    let (backend, app) = setup();
    let id = publish_json(&app, PUBLISHER_TOKEN, &case_study("a"))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let author = backend.public_key().to_hex();
    for uri in [
        format!("/api/v1/records/{id}"),
        format!("/api/v1/records/{author}/case_study/a"),
    ] {
        let request = Request::get(&uri)
            .header(header::IF_NONE_MATCH, format!("\"{id}\""))
            .body(Body::empty())
            .unwrap();
        let answer = send(&app, request).await;
        assert_eq!(answer.status, StatusCode::NOT_MODIFIED, "{uri}");
        assert!(answer.body.is_empty());
        assert_eq!(answer.header(header::ETAG), format!("\"{id}\""));
        let stale = Request::get(&uri)
            .header(header::IF_NONE_MATCH, "\"other\"")
            .body(Body::empty())
            .unwrap();
        assert_eq!(send(&app, stale).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn yaml_drafts_are_accepted_under_each_yaml_media_type() {
    let (_, app) = setup();
    for (i, content_type) in [
        "application/yaml",
        "text/yaml",
        "application/x-yaml; charset=utf-8",
    ]
    .iter()
    .enumerate()
    {
        let yaml = format!(
            "kind: best_practice\nslug: practice-{i}\ntitle:\n  en: Open data first\nsummary:\n  en: Publish before you are asked.\norganisation: Regione Emilia-Romagna\ncountry: IT\nthemes: [data]\n"
        );
        let answer = send(
            &app,
            post(
                "/api/v1/records",
                Some(PUBLISHER_TOKEN),
                Some(content_type),
                yaml,
            ),
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::CREATED,
            "{content_type}: {}",
            String::from_utf8_lossy(&answer.body)
        );
        assert_eq!(answer.json()["key"]["kind"], "best_practice");
    }
}

#[tokio::test]
async fn signed_envelopes_are_verified_and_trust_checked() {
    let (backend, app) = setup();
    let now = backend.now();
    let flanders = signed_by(&testing::flanders(), "smart-lights", now - 5);
    let answer = send(
        &app,
        post(
            "/api/v1/records",
            Some(PUBLISHER_TOKEN),
            Some("application/json"),
            flanders.to_wire(),
        ),
    )
    .await;
    assert_eq!(
        answer.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    assert_eq!(answer.json()["id"], flanders.id().to_hex());
    let view = get(&app, &format!("/api/v1/records/{}", flanders.id()))
        .await
        .json();
    assert_eq!(
        view["authority"],
        json!({"as": "member", "name": "Vlaanderen"})
    );

    // A key outside the federation: refused by the trust rules, nothing stored.
    let before = backend.snapshot();
    let outsider = signed_by(&testing::outsider(), "spam", now - 5);
    let answer = send(
        &app,
        post(
            "/api/v1/records",
            Some(PUBLISHER_TOKEN),
            Some("application/json"),
            outsider.to_wire(),
        ),
    )
    .await;
    let problem = answer.problem(403);
    assert!(
        problem["detail"].as_str().unwrap().contains("not a member"),
        "{problem}"
    );
    assert_eq!(backend.snapshot(), before);

    // A tampered envelope: the signature no longer matches, nothing stored.
    let mut tampered: Value =
        serde_json::from_slice(&signed_by(&testing::flanders(), "other", now - 5).to_wire())
            .unwrap();
    tampered["record"]["organisation"] = json!("Someone else");
    let answer = send(
        &app,
        post(
            "/api/v1/records",
            Some(PUBLISHER_TOKEN),
            Some("application/json"),
            tampered.to_string(),
        ),
    )
    .await;
    assert_eq!(answer.problem(422)["code"], "bad_signature");
    assert_eq!(backend.snapshot(), before);
}

#[tokio::test]
async fn writes_need_a_known_token_and_the_right_role() {
    let (backend, app) = setup();
    let before = backend.snapshot();
    let draft = case_study("x").to_string();
    let answer = send(
        &app,
        post(
            "/api/v1/records",
            None,
            Some("application/json"),
            draft.clone(),
        ),
    )
    .await;
    answer.problem(401);
    assert_eq!(
        answer.header(header::WWW_AUTHENTICATE),
        r#"Bearer realm="mosaico""#
    );
    let answer = send(
        &app,
        post(
            "/api/v1/records",
            Some("guessed"),
            Some("application/json"),
            draft,
        ),
    )
    .await;
    answer.problem(401);
    assert!(
        answer
            .header(header::WWW_AUTHENTICATE)
            .contains("invalid_token")
    );

    let endorsement = json!({
        "kind": "endorsement",
        "slug": testing::outsider().public_key().to_hex(),
        "endorsement": {"partner": testing::outsider().public_key().to_hex(), "name": "Partner", "kinds": ["solution"], "expires_at": testing::START + 1_000_000},
    });
    let problem = publish_json(&app, PUBLISHER_TOKEN, &endorsement)
        .await
        .problem(403);
    assert!(problem["detail"].as_str().unwrap().contains("admin token"));
    let retract = format!(
        "/api/v1/records/{}/case_study/x/retract",
        backend.public_key()
    );
    send(&app, post(&retract, None, None, Body::empty()))
        .await
        .problem(401);
    assert_eq!(backend.snapshot(), before);
}

#[tokio::test]
async fn bodies_other_than_json_or_yaml_are_415() {
    let (backend, app) = setup();
    let before = backend.snapshot();
    let draft = case_study("x").to_string();
    let problem = send(
        &app,
        post(
            "/api/v1/records",
            Some(PUBLISHER_TOKEN),
            Some("text/plain"),
            draft.clone(),
        ),
    )
    .await
    .problem(415);
    assert!(problem["detail"].as_str().unwrap().contains("text/plain"));
    send(
        &app,
        post("/api/v1/records", Some(PUBLISHER_TOKEN), None, draft),
    )
    .await
    .problem(415);
    assert_eq!(backend.snapshot(), before);
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let (backend, app) = setup();
    let before = backend.snapshot();
    let huge = format!(
        "{{\"kind\":\"case_study\",\"slug\":\"x\",\"description\":{{\"en\":\"{}\"}}}}",
        "a".repeat(300 * 1024)
    );
    let answer = send(
        &app,
        post(
            "/api/v1/records",
            Some(ADMIN_TOKEN),
            Some("application/json"),
            huge,
        ),
    )
    .await;
    answer.problem(413);
    assert_eq!(backend.snapshot(), before);
}

#[tokio::test]
async fn an_invalid_draft_lists_every_field_error_and_stores_nothing() {
    let (backend, app) = setup();
    let before = backend.snapshot();
    let draft = json!({"kind": "case_study", "slug": "broken", "country": "XX", "author": "me"});
    let problem = publish_json(&app, PUBLISHER_TOKEN, &draft)
        .await
        .problem(422);
    // `author` is refused first, by the draft reader.
    assert_eq!(problem["errors"][0]["field"], "author");
    let draft = json!({"kind": "case_study", "slug": "broken", "country": "XX", "links": [{"url": "ftp://x"}]});
    let problem = publish_json(&app, PUBLISHER_TOKEN, &draft)
        .await
        .problem(422);
    assert_eq!(problem["code"], "invalid_field");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for expected in [
        "title",
        "summary",
        "organisation",
        "country",
        "links[0].url",
    ] {
        assert!(
            fields.contains(&expected),
            "{expected} missing from {fields:?}"
        );
    }
    for error in problem["errors"].as_array().unwrap() {
        assert!(error["code"].is_string() && error["message"].is_string());
    }
    assert_eq!(backend.snapshot(), before);
}

#[tokio::test]
async fn a_stale_version_is_a_409_conflict() {
    let (backend, app) = setup();
    publish_json(&app, PUBLISHER_TOKEN, &case_study("edited")).await;
    let mut second = case_study("edited");
    second["version"] = json!(2);
    assert_eq!(
        publish_json(&app, PUBLISHER_TOKEN, &second).await.status,
        StatusCode::CREATED
    );
    let before = backend.snapshot();
    // Someone else still editing version 2 tries to save it again.
    let problem = publish_json(&app, PUBLISHER_TOKEN, &second)
        .await
        .problem(409);
    assert!(
        problem["detail"].as_str().unwrap().contains("version 3"),
        "{problem}"
    );
    assert_eq!(backend.snapshot(), before);
}

#[tokio::test]
async fn malformed_bodies_are_400_with_the_parsers_message() {
    let (backend, app) = setup();
    let before = backend.snapshot();
    for (content_type, body, hint) in [
        ("application/json", "{\"kind\": ", "not valid JSON"),
        (
            "application/json",
            "{\"kind\":\"solution\",\"kind\":\"case_study\"}",
            "duplicate key",
        ),
        ("application/yaml", "kind: [unclosed\n", "not valid YAML"),
        (
            "application/yaml",
            "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
            "more than",
        ),
    ] {
        let answer = send(
            &app,
            post(
                "/api/v1/records",
                Some(PUBLISHER_TOKEN),
                Some(content_type),
                body,
            ),
        )
        .await;
        let problem = answer.problem(400);
        assert!(
            problem["detail"].as_str().unwrap().contains(hint),
            "{body}: {problem}"
        );
    }
    assert_eq!(backend.snapshot(), before);
}

async fn publish_corpus(app: &Router) {
    let mut second = case_study("lights");
    second["title"] = json!({"en": "Smart street lights", "it": "Illuminazione intelligente"});
    second["summary"] = json!({"en": "Lights that dim when streets are empty."});
    second["themes"] = json!(["iot"]);
    second["technologies"] = json!(["iot-sensors"]);
    second["status"] = json!("implemented");
    second["nuts"] = json!("ITH3");
    let mut third = case_study("sportello");
    third["kind"] = json!("solution");
    third["title"] = json!({"it": "Sportello digitale"});
    third["summary"] = json!({"it": "Un chatbot per lo sportello."});
    third["nuts"] = json!("ITC4");
    for draft in [case_study("chatbot-urp"), second, third] {
        assert_eq!(
            publish_json(app, PUBLISHER_TOKEN, &draft).await.status,
            StatusCode::CREATED
        );
    }
}

#[tokio::test]
async fn listing_filters_counts_facets_and_picks_the_language() {
    let (backend, app) = setup();
    publish_corpus(&app).await;
    let all = get(&app, "/api/v1/records").await;
    assert_eq!(all.status, StatusCode::OK);
    let all = all.json();
    assert_eq!(all["total"], 3);
    assert_eq!(
        all["facets"]["kind"],
        json!({"case_study": 2, "solution": 1})
    );
    assert_eq!(all["facets"]["theme"], json!({"citizens": 2, "iot": 1}));
    assert_eq!(
        all["facets"]["status"],
        json!({"implemented": 1, "pilot": 2})
    );
    assert!(all.get("next_cursor").is_none());
    // Newest first by default.
    assert_eq!(all["items"][0]["key"]["slug"], "sportello");

    let author = backend.public_key().to_hex();
    for (query, expected) in [
        ("kind=solution", vec!["sportello"]),
        ("theme=iot", vec!["lights"]),
        ("technology=chatbot", vec!["chatbot-urp", "sportello"]),
        ("country=IT&nuts=ITH", vec!["chatbot-urp", "lights"]),
        ("nuts=ITH5", vec!["chatbot-urp"]),
        ("status=implemented", vec!["lights"]),
        ("country=ES", vec![]),
        ("q=chatbot", vec!["chatbot-urp", "sportello"]),
        ("kind=membership", vec!["federation"]),
    ] {
        let uri = format!("/api/v1/records?{query}&author={author}&sort=title");
        let page = get(&app, &uri).await.json();
        let mut slugs: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["key"]["slug"].as_str().unwrap())
            .collect();
        slugs.sort_unstable();
        assert_eq!(slugs, expected, "{query}");
        assert_eq!(page["total"], expected.len(), "{query}");
    }
    let later = get(
        &app,
        &format!("/api/v1/records?updated_since={}", backend.now()),
    )
    .await
    .json();
    assert_eq!(later["total"], 1);

    // Language: lang wins over Accept-Language; English is the fallback.
    let request = Request::get("/api/v1/records?kind=case_study&nuts=ITH5")
        .header(header::ACCEPT_LANGUAGE, "it-IT,it;q=0.9")
        .body(Body::empty())
        .unwrap();
    let item = send(&app, request).await.json()["items"][0].clone();
    assert_eq!(
        (item["lang"].as_str(), item["title"].as_str()),
        (Some("it"), Some("Chatbot per l'URP"))
    );
    let request = Request::get("/api/v1/records?nuts=ITH5&lang=en")
        .header(header::ACCEPT_LANGUAGE, "it")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, request).await.json()["items"][0]["lang"], "en");
    let item = get(&app, "/api/v1/records?nuts=ITH3&lang=fi").await.json()["items"][0].clone();
    assert_eq!(item["lang"], "en");
    assert_eq!(item["summary"], "Lights that dim when streets are empty.");
}

#[tokio::test]
async fn cursors_walk_every_page_once_and_facets_cover_the_whole_result() {
    let (_, app) = setup();
    publish_corpus(&app).await;
    let mut seen = Vec::new();
    let mut uri = "/api/v1/records?limit=1".to_owned();
    let mut case_studies = 2;
    loop {
        let page = get(&app, &uri).await.json();
        assert_eq!(page["total"], case_studies + 1);
        let facets = json!({"case_study": case_studies, "solution": 1});
        assert_eq!(
            page["facets"]["kind"], facets,
            "facets are over the result, not the page"
        );
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        seen.push(items[0]["key"]["slug"].as_str().unwrap().to_owned());
        match page["next_cursor"].as_str() {
            Some(cursor) => uri = format!("/api/v1/records?limit=1&cursor={cursor}"),
            None => break,
        }
        // A record arriving between pages does not shift the walk.
        // (It is newer, so it sorts before the cursor; the totals include it.)
        if seen.len() == 1 {
            publish_json(&app, PUBLISHER_TOKEN, &case_study("late-arrival")).await;
            case_studies += 1;
        }
    }
    assert_eq!(seen, ["sportello", "lights", "chatbot-urp"]);
}

#[tokio::test]
async fn bad_query_parameters_and_cursors_are_400_naming_the_parameter() {
    let (_, app) = setup();
    publish_corpus(&app).await;
    for (query, parameter) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("kind=novel", "kind"),
        ("theme=gardening", "theme"),
        ("country=Italy", "country"),
        ("nuts=ith", "nuts"),
        ("status=paused", "status"),
        ("author=me", "author"),
        ("lang=%20", "lang"),
        ("updated_since=yesterday", "updated_since"),
        ("sort=random", "sort"),
        ("colour=blue", "colour"),
        ("kind=solution&kind=case_study", "kind"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=eyJ2IjoxfQ", "cursor"),
    ] {
        let problem = get(&app, &format!("/api/v1/records?{query}"))
            .await
            .problem(400);
        assert_eq!(problem["parameter"], parameter, "{query}: {problem}");
    }
    // A real cursor reused on another search is stale.
    let page = get(&app, "/api/v1/records?limit=1").await.json();
    let cursor = page["next_cursor"].as_str().unwrap();
    let problem = get(
        &app,
        &format!("/api/v1/records?limit=1&kind=solution&cursor={cursor}"),
    )
    .await
    .problem(400);
    assert_eq!(problem["parameter"], "cursor");
}

#[tokio::test]
async fn retracting_makes_the_retraction_the_head_and_hides_the_record() {
    let (backend, app) = setup();
    publish_corpus(&app).await;
    let author = backend.public_key().to_hex();
    let answer = send(
        &app,
        post(
            &format!("/api/v1/records/{author}/case_study/lights/retract"),
            Some(PUBLISHER_TOKEN),
            None,
            Body::empty(),
        ),
    )
    .await;
    assert_eq!(
        answer.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let retraction = answer.json();
    assert_eq!(retraction["version"], 2);
    assert_eq!(
        answer.header(header::LOCATION),
        format!("/api/v1/records/{}", retraction["id"].as_str().unwrap())
    );

    let head = get(&app, &format!("/api/v1/records/{author}/case_study/lights"))
        .await
        .json();
    assert_eq!(head["id"], retraction["id"]);
    assert_eq!(head["record"]["retracted"], true);
    let history = get(
        &app,
        &format!("/api/v1/records/{author}/case_study/lights/versions"),
    )
    .await;
    assert_eq!(history.status, StatusCode::OK);
    let history = history.json();
    assert_eq!(history["head"], retraction["id"]);
    let versions: Vec<u64> = history["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["record"]["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, [2, 1]);
    let listed = get(&app, "/api/v1/records").await.json();
    assert_eq!(listed["total"], 2);

    let before = backend.snapshot();
    let other = testing::flanders().public_key().to_hex();
    let uri = format!("/api/v1/records/{other}/case_study/lights/retract");
    send(&app, post(&uri, Some(PUBLISHER_TOKEN), None, Body::empty()))
        .await
        .problem(403);
    let uri = format!("/api/v1/records/{author}/case_study/never-published/retract");
    send(&app, post(&uri, Some(PUBLISHER_TOKEN), None, Body::empty()))
        .await
        .problem(404);
    let uri = format!("/api/v1/records/{author}/novel/x/retract");
    assert_eq!(
        send(&app, post(&uri, Some(PUBLISHER_TOKEN), None, Body::empty()))
            .await
            .problem(400)["parameter"],
        "kind"
    );
    let uri = format!("/api/v1/records/{author}/endorsement/x/retract");
    send(&app, post(&uri, Some(PUBLISHER_TOKEN), None, Body::empty()))
        .await
        .problem(403);
    assert_eq!(backend.snapshot(), before);
}

#[tokio::test]
async fn missing_things_are_404_and_bad_ids_400() {
    let (backend, app) = setup();
    let problem = get(&app, "/api/v1/nothing-here").await.problem(404);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("/api/v1/nothing-here")
    );
    // `/` is the web UI's home page; other unrouted paths outside the API are problems too.
    get(&app, "/nothing-here").await.problem(404);
    get(&app, &format!("/api/v1/records/{}", RecordId([0; 32])))
        .await
        .problem(404);
    assert_eq!(
        get(&app, "/api/v1/records/xyz").await.problem(400)["parameter"],
        "id"
    );
    let author = backend.public_key().to_hex();
    get(
        &app,
        &format!("/api/v1/records/{author}/case_study/missing"),
    )
    .await
    .problem(404);
    get(
        &app,
        &format!("/api/v1/records/{author}/case_study/missing/versions"),
    )
    .await
    .problem(404);
    assert_eq!(
        get(&app, "/api/v1/records/me/case_study/x")
            .await
            .problem(400)["parameter"],
        "author"
    );
}

#[tokio::test]
async fn wrong_methods_are_405_with_allow() {
    let (_, app) = setup();
    for (method, uri) in [
        (Method::DELETE, "/api/v1/records"),
        (Method::PUT, "/api/v1/members"),
        (Method::POST, "/healthz"),
    ] {
        let answer = send(
            &app,
            Request::builder()
                .method(method.clone())
                .uri(uri)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        answer.problem(405);
        assert!(answer.headers.contains_key(header::ALLOW), "{method} {uri}");
    }
}

#[tokio::test]
async fn federation_and_operations_endpoints_answer() {
    let (backend, app) = setup();
    let members = get(&app, "/api/v1/members").await;
    assert_eq!(members.status, StatusCode::OK);
    let members = members.json();
    assert_eq!(members["federation"]["name"], "dt4regions");
    assert_eq!(
        members["federation"]["id"],
        testing::genesis().id().to_hex()
    );
    assert_eq!(members["members"].as_array().unwrap().len(), 2);

    let peers = get(&app, "/api/v1/peers").await.json();
    assert_eq!(peers[0]["name"], "Vlaanderen");
    let status = get(&app, "/api/v1/status").await.json();
    assert_eq!(status["public_key"], backend.public_key().to_hex());
    assert_eq!(status["record_count"], 1);
    assert_eq!(status["ready"], true);

    let health = get(&app, "/healthz").await;
    assert_eq!(
        (health.status, &health.body[..]),
        (StatusCode::OK, &b"ok"[..])
    );
    assert_eq!(get(&app, "/readyz").await.status, StatusCode::OK);
    backend.set_ready(false);
    get(&app, "/readyz").await.problem(503);
    assert_eq!(
        get(&app, "/healthz").await.status,
        StatusCode::OK,
        "liveness does not depend on readiness"
    );

    let metrics = get(&app, "/metrics").await;
    assert_eq!(
        metrics.header(header::CONTENT_TYPE),
        "text/plain; version=0.0.4; charset=utf-8"
    );
    assert!(String::from_utf8_lossy(&metrics.body).contains("mosaico_records 1"));
}

#[tokio::test]
async fn backend_failures_are_problems_that_leak_nothing() {
    let (backend, app) = setup();
    backend.fail_reads(Some(BackendError::Internal(
        "sled: page 7 checksum mismatch in /var/lib/mosaico".into(),
    )));
    for uri in [
        "/api/v1/records",
        "/api/v1/peers",
        &format!("/api/v1/records/{}", RecordId([1; 32])),
    ] {
        let answer = get(&app, uri).await;
        let problem = answer.problem(500);
        assert!(
            !String::from_utf8_lossy(&answer.body).contains("sled"),
            "{uri}: {problem}"
        );
    }
    backend.fail_reads(Some(BackendError::Unavailable("index rebuilding".into())));
    let answer = get(&app, "/api/v1/records").await;
    answer.problem(503);
    assert!(answer.headers.contains_key(header::RETRY_AFTER));
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let (_, app) = setup();
    for uri in [
        "/api/v1/records",
        "/api/v1/nothing",
        "/healthz",
        "/api/v1/openapi.json",
    ] {
        let answer = get(&app, uri).await;
        assert_eq!(
            answer.header(header::X_CONTENT_TYPE_OPTIONS),
            "nosniff",
            "{uri}"
        );
        assert_eq!(
            answer.header(header::REFERRER_POLICY),
            "no-referrer",
            "{uri}"
        );
        assert_eq!(
            answer.header(header::CONTENT_SECURITY_POLICY),
            "default-src 'none'; frame-ancestors 'none'",
            "{uri}"
        );
    }
}

#[tokio::test]
async fn openapi_document_describes_every_route() {
    let (_, app) = setup();
    let answer = get(&app, "/api/v1/openapi.json").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header(header::CONTENT_TYPE), "application/json");
    let doc = answer.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/records", "get"),
        ("/api/v1/records", "post"),
        ("/api/v1/records/{id}", "get"),
        ("/api/v1/records/{author}/{kind}/{slug}", "get"),
        ("/api/v1/records/{author}/{kind}/{slug}/versions", "get"),
        ("/api/v1/records/{author}/{kind}/{slug}/retract", "post"),
        ("/api/v1/concepts", "get"),
        ("/api/v1/concepts/{slug}", "get"),
        ("/api/v1/members", "get"),
        ("/api/v1/peers", "get"),
        ("/api/v1/status", "get"),
        ("/api/v1/openapi.json", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing"
        );
        // And the router serves that route: whatever it answers, it is not the unknown-route 404.
        let uri = path
            .replace("{id}", &"0".repeat(64))
            .replace("{author}", "me")
            .replace("{kind}", "k")
            .replace("{slug}", "s");
        let request = Request::builder()
            .method(method.to_uppercase().as_str())
            .uri(&uri)
            .body(Body::empty())
            .unwrap();
        let answer = send(&app, request).await;
        let unknown = answer.status == StatusCode::NOT_FOUND
            && String::from_utf8_lossy(&answer.body).contains("there is nothing at");
        assert!(
            !unknown && answer.status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path} not routed"
        );
    }
    assert_eq!(paths.len(), 15);
    let list = &paths["/api/v1/records"]["get"];
    let params: Vec<&str> = list["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for name in [
        "q",
        "kind",
        "theme",
        "technology",
        "country",
        "nuts",
        "status",
        "author",
        "lang",
        "updated_since",
        "sort",
        "cursor",
        "limit",
    ] {
        assert!(params.contains(&name), "parameter {name} missing");
    }
    let bad_request =
        &list["responses"]["400"]["content"]["application/problem+json"]["schema"]["$ref"];
    assert_eq!(bad_request, "#/components/schemas/Problem");
    let publish = &paths["/api/v1/records"]["post"];
    for status in ["201", "400", "401", "403", "409", "413", "415", "422"] {
        assert!(
            publish["responses"].get(status).is_some(),
            "publish {status} missing"
        );
    }
    for media in ["application/json", "application/yaml", "text/yaml"] {
        assert!(
            publish["requestBody"]["content"].get(media).is_some(),
            "{media} missing"
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let problem = &doc["components"]["schemas"]["Problem"]["properties"];
    for field in ["type", "title", "status", "detail", "errors"] {
        assert!(problem.get(field).is_some(), "Problem.{field} missing");
    }
}
