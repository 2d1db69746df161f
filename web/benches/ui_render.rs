//! Server-side render time of every UI page type at 100,000 records (not a test: run with
//! `cargo bench -p mosaico-web --bench ui_render`; figures go to docs/benchmarks.md).
//!
//! The backend holds 100,000 really signed records and answers lists from indexes built at
//! start (first page and facet counts per theme), as the node's search index does, so what is
//! timed is the UI layer itself: routing, session and language, the backend calls, rendering
//! and escaping. The node's own search latency has its own benchmark.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::future::{Future, ready};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::{Request, header};
use mosaico_protocol::draft::Draft;
use mosaico_protocol::trust::Authority;
use mosaico_protocol::{LogicalKey, Record, RecordId, Unverified, Verified};
use mosaico_web::testing::{self, MemoryBackend};
use mosaico_web::{
    Backend, BackendError, Facets, LiveEvent, MembersView, PeerView, PublishError, Published,
    RecordPage, RecordQuery, RecordSummary, Role, StatusView, router,
};
use serde_json::json;
use tower::ServiceExt as _;

const RECORDS: usize = 100_000;
const THEMES: [&str; 10] = [
    "iot",
    "data",
    "digital-gender-gap",
    "digital-administrators",
    "digital-integrations",
    "businesses",
    "digital-facilitation",
    "documents",
    "cybersecurity-cloud",
    "citizens",
];
const COUNTRIES: [&str; 12] = [
    "IT", "ES", "BE", "FI", "PL", "DE", "NL", "SE", "GR", "FR", "PT", "AT",
];

#[derive(Debug, Clone)]
struct Indexed {
    trust: MemoryBackend,
    records: Arc<HashMap<RecordId, Record<Verified>>>,
    versions: Arc<HashMap<LogicalKey, Vec<Record<Verified>>>>,
    /// Summaries newest first, all and per theme, with their facets.
    all: Arc<(Vec<RecordSummary>, Facets)>,
    by_theme: Arc<HashMap<String, (Vec<RecordSummary>, Facets)>>,
}

impl Backend for Indexed {
    fn list_records(&self, query: &RecordQuery) -> Result<RecordPage, BackendError> {
        let (items, facets) = match &query.theme {
            Some(theme) => self.by_theme.get(theme.as_str()).expect("indexed theme"),
            None => &*self.all,
        };
        Ok(RecordPage {
            items: items.iter().take(query.limit).cloned().collect(),
            total: items.len() as u64,
            next_cursor: items.get(query.limit).map(|item| mosaico_web::Cursor {
                sort_key: item.created_at.to_string(),
                id: item.id,
            }),
            facets: facets.clone(),
            reading: Default::default(),
        })
    }
    fn record(&self, id: &RecordId) -> Result<Option<Record<Verified>>, BackendError> {
        Ok(self.records.get(id).cloned())
    }
    fn head(&self, key: &LogicalKey) -> Result<Option<Record<Verified>>, BackendError> {
        Ok(self.versions.get(key).and_then(|v| v.first().cloned()))
    }
    fn versions(&self, key: &LogicalKey) -> Result<Vec<Record<Verified>>, BackendError> {
        Ok(self.versions.get(key).cloned().unwrap_or_default())
    }
    fn authority(&self, record: &Record<Verified>) -> Option<Authority> {
        self.trust.authority(record)
    }
    fn members(&self) -> MembersView {
        self.trust.members()
    }
    fn concepts(&self) -> std::sync::Arc<mosaico_protocol::concepts::ConceptScheme> {
        self.trust.concepts()
    }
    fn status(&self) -> StatusView {
        self.trust.status()
    }
    fn peers(&self) -> impl Future<Output = Result<Vec<PeerView>, BackendError>> + Send {
        self.trust.peers()
    }
    fn metrics(&self) -> String {
        String::new()
    }
    fn ready(&self) -> bool {
        true
    }
    fn authorize(&self, token: &str) -> Option<Role> {
        self.trust.authorize(token)
    }
    fn live_events(&self) -> impl futures::Stream<Item = LiveEvent> + Send + 'static + use<> {
        self.trust.live_events()
    }
    fn publish(&self, _: Draft) -> impl Future<Output = Result<Published, PublishError>> + Send {
        ready(Err(PublishError::Unavailable("read-only benchmark".into())))
    }
    fn publish_signed(
        &self,
        _: Record<Unverified>,
    ) -> impl Future<Output = Result<Published, PublishError>> + Send {
        ready(Err(PublishError::Unavailable("read-only benchmark".into())))
    }
    fn retract(
        &self,
        _: LogicalKey,
    ) -> impl Future<Output = Result<Published, PublishError>> + Send {
        ready(Err(PublishError::Unavailable("read-only benchmark".into())))
    }
}

fn build() -> (Indexed, RecordId) {
    let secret = testing::emilia();
    let author = secret.public_key().to_hex();
    let mut records = HashMap::new();
    let mut versions: HashMap<LogicalKey, Vec<Record<Verified>>> = HashMap::new();
    let mut summaries = Vec::with_capacity(RECORDS);
    let text = "A regional service that answers citizens' questions about permits, with a trained assistant. ".repeat(3);
    for i in 0..RECORDS {
        // Every 1000th logical record has three versions, for the history page.
        let slug = if i % 1000 < 3 {
            format!("case-{}", i / 1000)
        } else {
            format!("case-{i}")
        };
        let version = if i % 1000 < 3 {
            (i % 1000 + 1) as u64
        } else {
            1
        };
        let unsigned = json!({
            "format": 1, "kind": "case_study", "author": author, "slug": slug, "version": version,
            "created_at": testing::START + i as u64,
            "title": {"it": format!("Assistente digitale n. {i}"), "en": format!("Digital assistant no. {i}")},
            "summary": {"it": text, "en": text},
            "description": {"en": format!("{text}\n\n{text}")},
            "organisation": format!("Comune {}", i % 300), "country": COUNTRIES[i % COUNTRIES.len()],
            "themes": [THEMES[i % 10], THEMES[(i + 1 + (i / 10) % 9) % 10]], "technologies": [format!("tech-{}", i % 150)],
            "status": "implemented",
            "contacts": [{"name": "Ufficio", "email": "urp@example.org"}],
        });
        let record = Record::sign(unsigned, &secret).expect("valid record");
        summaries.push(RecordSummary::from_record(&record, &["en".to_owned()]));
        versions
            .entry(record.logical_key())
            .or_default()
            .push(record.clone());
        records.insert(record.id(), record);
    }
    for list in versions.values_mut() {
        list.sort_by_key(|r| std::cmp::Reverse(r.header().version));
    }
    summaries.sort_by_key(|s| std::cmp::Reverse(s.created_at));
    let heads: Vec<RecordSummary> = summaries
        .iter()
        .filter(|s| versions[&s.key][0].id() == s.id)
        .cloned()
        .collect();
    let facets_of = |items: &[RecordSummary]| {
        let mut facets = Facets::default();
        items.iter().for_each(|item| facets.add(item));
        facets
    };
    let by_theme = THEMES
        .iter()
        .map(|theme| {
            let items: Vec<RecordSummary> = heads
                .iter()
                .filter(|s| s.themes.iter().any(|t| t == theme))
                .cloned()
                .collect();
            let facets = facets_of(&items);
            ((*theme).to_owned(), (items, facets))
        })
        .collect();
    let all_facets = facets_of(&heads);
    let history_key = versions
        .keys()
        .find(|k| k.slug == "case-50")
        .expect("case-50")
        .clone();
    let history_id = versions[&history_key][0].id();
    (
        Indexed {
            trust: MemoryBackend::new(),
            records: Arc::new(records),
            versions: Arc::new(versions),
            all: Arc::new((heads, all_facets)),
            by_theme: Arc::new(by_theme),
        },
        history_id,
    )
}

fn main() {
    let started = Instant::now();
    let (backend, id) = build();
    eprintln!(
        "built {RECORDS} signed records in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let app = router(backend);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let pages = [
        ("home", "/".to_owned()),
        ("search", "/search".to_owned()),
        (
            "search, theme facet",
            "/search?theme=data&sort=newest".to_owned(),
        ),
        ("record", format!("/records/{id}")),
        ("history (3 versions)", format!("/records/{id}/history")),
        ("members", "/members".to_owned()),
        ("sign-in", "/signin".to_owned()),
    ];
    println!("| page | p50 | p99 | max | bytes |");
    println!("|---|---|---|---|---|");
    for (name, path) in &pages {
        let mut times = Vec::with_capacity(2000);
        let mut bytes = 0;
        for i in 0..2100 {
            let request = Request::get(path.as_str())
                .header(
                    header::ACCEPT_LANGUAGE,
                    if i % 2 == 0 { "it" } else { "en" },
                )
                .body(Body::empty())
                .unwrap();
            let app = app.clone();
            let start = Instant::now();
            let body = runtime.block_on(async move {
                let response = app.oneshot(request).await.expect("infallible");
                assert!(
                    response.status().is_success(),
                    "{path}: {}",
                    response.status()
                );
                axum::body::to_bytes(response.into_body(), usize::MAX)
                    .await
                    .expect("body")
            });
            let elapsed = start.elapsed();
            // The first 100 warm caches and allocators.
            if i >= 100 {
                times.push(elapsed.as_secs_f64() * 1000.0);
            }
            bytes = body.len();
        }
        times.sort_by(|a, b| a.total_cmp(b));
        let at = |q: f64| times[((times.len() as f64 - 1.0) * q) as usize];
        println!(
            "| {name} | {:.2} ms | {:.2} ms | {:.2} ms | {bytes} |",
            at(0.5),
            at(0.99),
            at(1.0)
        );
    }
}
