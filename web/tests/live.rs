//! Router tests of live events (`GET /api/v1/events`), write rate limits and CORS, through
//! `oneshot` against the in-memory backend.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use futures::StreamExt as _;
use mosaico_web::testing::{EVENT_CAPACITY, MemoryBackend, PUBLISHER_TOKEN};
use mosaico_web::{RouterOptions, WriteRate, router, router_with};
use serde_json::{Value, json};
use tower::ServiceExt as _;

fn case_study(slug: &str, kind: &str) -> Value {
    json!({
        "kind": kind, "slug": slug,
        "title": {"it": "Chatbot per l'URP"}, "summary": {"it": "Smistamento delle richieste."},
        "organisation": "Regione Emilia-Romagna", "country": "IT", "nuts": "ITH5",
        "themes": ["citizens"], "status": "pilot",
    })
}

fn publish_request(draft: &Value) -> Request<Body> {
    Request::post("/api/v1/records")
        .header(header::AUTHORIZATION, format!("Bearer {PUBLISHER_TOKEN}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(draft.to_string()))
        .unwrap()
}

async fn publish(app: &Router, draft: &Value) -> Response<Body> {
    app.clone().oneshot(publish_request(draft)).await.unwrap()
}

async fn open_stream(app: &Router, uri: &str) -> Response<Body> {
    let response = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/event-stream"
    );
    response
}

/// Reads the stream until `needle` appears and returns what was read; fails the test if the
/// stream ends or breaks first, or if `needle` has not come within a bound that a loaded machine
/// meets. Waiting for a later event is how a test shows that an earlier one was not sent: the
/// stream delivers events in order.
async fn read_until(body: Body, needle: &str) -> String {
    let mut stream = body.into_data_stream();
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !text.contains(needle) {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(Ok(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
            Ok(Some(Err(error))) => panic!("the stream broke before {needle:?}: {error}\n{text}"),
            Ok(None) => panic!("the stream ended before {needle:?}:\n{text}"),
            Err(_) => panic!("no {needle:?} on the stream within 30 s:\n{text}"),
        }
    }
    text
}

/// Publishes and asserts the node stored it: an event that is absent because its publish failed
/// would prove nothing about filtering.
async fn publish_stored(app: &Router, draft: &Value) {
    let response = publish(app, draft).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{draft}");
}

#[tokio::test]
async fn events_deliver_published_and_retracted_records() {
    let backend = MemoryBackend::new();
    let app = router(backend.clone());
    let stream = open_stream(&app, "/api/v1/events?lang=it").await;
    assert_eq!(
        publish(&app, &case_study("urp", "case_study"))
            .await
            .status(),
        StatusCode::CREATED
    );
    let retract = Request::post(format!(
        "/api/v1/records/{}/case_study/urp/retract",
        backend.public_key().to_hex()
    ))
    .header(header::AUTHORIZATION, format!("Bearer {PUBLISHER_TOKEN}"))
    .body(Body::empty())
    .unwrap();
    assert_eq!(
        app.clone().oneshot(retract).await.unwrap().status(),
        StatusCode::CREATED
    );
    let text = read_until(stream.into_body(), "event: retracted").await;
    assert!(text.contains("event: record\n"), "{text}");
    assert!(text.contains("Chatbot per l'URP"), "{text}");
    assert!(text.contains("event: retracted\n"), "{text}");
}

#[tokio::test]
async fn events_are_filtered_like_records() {
    let app = router(MemoryBackend::new());
    let stream = open_stream(&app, "/api/v1/events?kind=solution&nuts=ITH").await;
    publish_stored(&app, &case_study("not-a-solution", "case_study")).await;
    let mut elsewhere = case_study("elsewhere", "solution");
    elsewhere["nuts"] = json!("ITC4");
    publish_stored(&app, &elsewhere).await;
    // Published last: once it is on the stream, the two before it would have been too.
    publish_stored(&app, &case_study("wanted", "solution")).await;
    let text = read_until(stream.into_body(), "wanted").await;
    assert!(text.contains("\"slug\":\"wanted\""), "{text}");
    assert!(
        !text.contains("not-a-solution") && !text.contains("elsewhere"),
        "{text}"
    );
}

#[tokio::test]
async fn a_lagging_client_is_told_to_reload() {
    let app = router(MemoryBackend::new());
    let stream = open_stream(&app, "/api/v1/events").await;
    for i in 0..EVENT_CAPACITY + 4 {
        publish_stored(&app, &case_study(&format!("r{i}"), "case_study")).await;
    }
    let text = read_until(stream.into_body(), "event: reload").await;
    assert!(text.contains("event: reload\n"), "{text}");
    assert!(text.contains("\"missed\":"), "{text}");
}

#[tokio::test]
async fn events_refuse_parameters_that_make_no_sense_for_a_stream() {
    let app = router(MemoryBackend::new());
    for (uri, parameter) in [
        ("/api/v1/events?q=chatbot", "q"),
        ("/api/v1/events?limit=5", "limit"),
        ("/api/v1/events?country=it", "country"),
        ("/api/v1/events?colour=red", "colour"),
    ] {
        let response = app
            .clone()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let problem: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(problem["parameter"], parameter, "{uri}");
    }
}

#[tokio::test]
async fn writes_beyond_the_allowance_get_429_with_retry_after() {
    let backend = MemoryBackend::new();
    let app = router_with(
        backend.clone(),
        RouterOptions {
            write_rate: WriteRate {
                burst: 2,
                per_second: 0.1,
            },
            ..RouterOptions::default()
        },
    );
    for slug in ["a", "b"] {
        assert_eq!(
            publish(&app, &case_study(slug, "case_study"))
                .await
                .status(),
            StatusCode::CREATED
        );
    }
    let before = backend.snapshot();
    let refused = publish(&app, &case_study("c", "case_study")).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        refused.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    let wait: u64 = refused.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=10).contains(&wait), "{wait}");
    let body = axum::body::to_bytes(refused.into_body(), usize::MAX)
        .await
        .unwrap();
    let problem: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(problem["type"], "urn:mosaico:problem:too-many-requests");
    assert_eq!(
        backend.snapshot(),
        before,
        "a refused write changes nothing"
    );
    // An unknown token is refused before it can use anyone's allowance.
    let unknown = Request::post("/api/v1/records")
        .header(header::AUTHORIZATION, "Bearer nobody")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(
        app.clone().oneshot(unknown).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn cross_origin_reads_only_when_configured() {
    let portal = "https://portal.example.org";
    let get_from = |origin: &str| {
        Request::get("/api/v1/members")
            .header(header::ORIGIN, origin)
            .body(Body::empty())
            .unwrap()
    };
    let closed = router(MemoryBackend::new());
    let response = closed.oneshot(get_from(portal)).await.unwrap();
    assert!(
        !response
            .headers()
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
    );

    let open = router_with(
        MemoryBackend::new(),
        RouterOptions {
            cors_origins: vec![portal.parse().unwrap()],
            ..RouterOptions::default()
        },
    );
    let response = open.clone().oneshot(get_from(portal)).await.unwrap();
    assert_eq!(
        response.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        portal
    );
    let response = open
        .clone()
        .oneshot(get_from("https://evil.example"))
        .await
        .unwrap();
    assert!(
        !response
            .headers()
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
    );
    // A preflight for a write is not granted POST.
    let preflight = Request::builder()
        .method("OPTIONS")
        .uri("/api/v1/records")
        .header(header::ORIGIN, portal)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .body(Body::empty())
        .unwrap();
    let response = open.oneshot(preflight).await.unwrap();
    // The preflight is answered, with the methods that are granted: a missing header would
    // also leave POST out, and prove nothing.
    assert_eq!(response.status(), StatusCode::OK);
    let methods = response.headers()[header::ACCESS_CONTROL_ALLOW_METHODS]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(methods.contains("GET"), "{methods}");
    assert!(!methods.contains("POST"), "{methods}");
}

#[tokio::test]
async fn the_openapi_document_describes_events_and_rate_limits() {
    let app = router(MemoryBackend::new());
    let response = app
        .oneshot(
            Request::get("/api/v1/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let doc: Value = serde_json::from_slice(&body).unwrap();
    let events = &doc["paths"]["/api/v1/events"]["get"];
    assert!(events["responses"]["200"]["content"]["text/event-stream"].is_object());
    let names: Vec<&str> = events["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"kind") && names.contains(&"nuts") && !names.contains(&"q"));
    assert!(doc["paths"]["/api/v1/records"]["post"]["responses"]["429"].is_object());
    assert!(doc["components"]["schemas"]["RecordSummary"]["properties"]["snippet"].is_object());
}
