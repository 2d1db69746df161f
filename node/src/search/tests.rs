//! Search over a memory store and an in-memory index: languages, typos, ranking, snippets, every
//! filter, exact facets, cursors over a changing set, retractions, and rebuilds on disk.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use mosaico_protocol::draft::Draft;
use mosaico_protocol::{Kind, Record, SecretKey, Verified};
use mosaico_web::query::parse_record_query;
use serde_json::{Value, json};

use super::*;
use crate::store::MemoryStore;

fn builtin() -> Arc<ConceptScheme> {
    Arc::new(ConceptScheme::builtin())
}

fn emilia() -> SecretKey {
    SecretKey::from_bytes([1; 32])
}
fn catalonia() -> SecretKey {
    SecretKey::from_bytes([2; 32])
}

const T0: u64 = 1_700_000_000_000;

fn record(secret: &SecretKey, mut content: Value, version: u64, at: u64) -> Record<Verified> {
    // Required fields the tests do not care about, in words no test searches for.
    let object = content.as_object_mut().expect("an object");
    object
        .entry("organisation")
        .or_insert(json!("Ente pubblico"));
    object.entry("country").or_insert(json!("IT"));
    object
        .entry("summary")
        .or_insert(json!({"la": "Lorem ipsum"}));
    let unsigned = Draft::from_value(content)
        .expect("valid draft")
        .into_unsigned(secret.public_key(), version, at)
        .expect("no conflict");
    Record::sign(unsigned, secret).expect("valid record")
}

fn retraction(secret: &SecretKey, slug: &str, version: u64, at: u64) -> Record<Verified> {
    let unsigned = Draft::retraction(Kind::CaseStudy, slug)
        .into_unsigned(secret.public_key(), version, at)
        .expect("no conflict");
    Record::sign(unsigned, secret).expect("valid record")
}

/// A store and its index, kept in step the way the indexer does it.
struct Fixture {
    store: MemoryStore,
    index: SearchIndex,
    writer: SearchWriter,
}

impl Fixture {
    fn new() -> Self {
        let index = SearchIndex::in_memory().expect("index");
        let writer = index.live_writer().expect("writer");
        Fixture {
            store: MemoryStore::default(),
            index,
            writer,
        }
    }

    fn put(&mut self, record: &Record<Verified>) {
        let inserted = self.store.insert(record).expect("insert");
        if inserted
            .change
            .is_new_head(&crate::store::version_info(record))
        {
            self.writer.apply_head(record).expect("index");
        }
        self.writer.commit().expect("commit");
    }

    fn search(&self, pairs: &[(&str, &str)]) -> SearchResult {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let query = parse_record_query(&pairs, None).expect("valid query");
        self.index.search(&query).expect("search")
    }

    fn ids(&self, pairs: &[(&str, &str)]) -> Vec<RecordId> {
        self.search(pairs).hits.iter().map(|h| h.id).collect()
    }
}

fn routing_it() -> Value {
    json!({
        "kind": "case_study", "slug": "smistamento",
        "title": {"it": "Smistamento delle richieste dei cittadini"},
        "summary": {"it": "Un assistente che instrada le richieste dei cittadini all'ufficio giusto."},
        "country": "IT", "nuts": "ITH5", "themes": ["citizens"], "technologies": ["Chatbot"],
        "status": "pilot", "tags": ["ai"]
    })
}

fn requests_es() -> Value {
    json!({
        "kind": "solution", "slug": "solicitudes",
        "title": {"es": "Gestión de solicitudes de los ciudadanos"},
        "summary": {"es": "Plataforma para tramitar las solicitudes ciudadanas."},
        "country": "ES", "nuts": "ES51", "themes": ["digital-integrations"], "status": "implemented"
    })
}

fn requests_en() -> Value {
    json!({
        "kind": "best_practice", "slug": "requests",
        "title": {"en": "Answering requests from businesses"},
        "description": {"en": "How the region answers every request within five days."},
        "country": "IT", "nuts": "ITH3", "themes": ["businesses"], "status": "scaled"
    })
}

fn seeded() -> (Fixture, Vec<Record<Verified>>) {
    let mut fixture = Fixture::new();
    let records = vec![
        record(&emilia(), routing_it(), 1, T0 + 1),
        record(&catalonia(), requests_es(), 1, T0 + 2),
        record(&emilia(), requests_en(), 1, T0 + 3),
    ];
    for r in &records {
        fixture.put(r);
    }
    (fixture, records)
}

#[test]
fn italian_inflections_match() {
    let (fixture, records) = seeded();
    // The Italian record matches every word; the Spanish one only through the concept that
    // "cittadino" and "ciudadanas" are labels of, so it comes second.
    assert_eq!(
        fixture.ids(&[("q", "richiesta del cittadino")]),
        [records[0].id(), records[1].id()]
    );
}

#[test]
fn spanish_inflections_match() {
    let (fixture, records) = seeded();
    assert_eq!(
        fixture.ids(&[("q", "solicitud ciudadano")]),
        [records[1].id(), records[0].id()]
    );
}

#[test]
fn english_inflections_match() {
    let (fixture, records) = seeded();
    assert_eq!(fixture.ids(&[("q", "request business")]), [records[2].id()]);
}

#[test]
fn one_typo_is_tolerated_in_long_words_only() {
    let (fixture, records) = seeded();
    assert_eq!(fixture.ids(&[("q", "smistamneto")]), [records[0].id()]);
    assert_eq!(
        fixture.ids(&[("q", "cittadini uffico")]).first(),
        Some(&records[0].id())
    );
    // Two typos are too many.
    assert!(fixture.ids(&[("q", "smsitamneto")]).is_empty());
}

#[test]
fn title_matches_rank_above_description_matches() {
    let mut fixture = Fixture::new();
    let in_description = record(
        &emilia(),
        json!({"kind": "case_study", "slug": "a", "title": {"en": "Open data portal"},
               "description": {"en": "It also publishes the chatbot's answers."}}),
        1,
        T0 + 10,
    );
    let in_title = record(
        &emilia(),
        json!({"kind": "case_study", "slug": "b", "title": {"en": "Municipal chatbot"},
               "description": {"en": "Answers questions about taxes."}}),
        1,
        T0,
    );
    fixture.put(&in_description);
    fixture.put(&in_title);
    assert_eq!(
        fixture.ids(&[("q", "chatbot")]),
        [in_title.id(), in_description.id()]
    );
}

#[test]
fn snippets_mark_the_matched_words_and_escape_the_rest() {
    let mut fixture = Fixture::new();
    let r = record(
        &emilia(),
        json!({"kind": "case_study", "slug": "s", "title": {"it": "Assistente"},
               "summary": {"it": "Smista <b>tutte</b> le richieste dei cittadini."}}),
        1,
        T0,
    );
    fixture.put(&r);
    let snippet = fixture
        .index
        .snippet(&r, "richiesta cittadino", Some("it"))
        .expect("a snippet");
    assert!(snippet.contains("<mark>richieste</mark>"), "{snippet}");
    assert!(snippet.contains("<mark>cittadini</mark>"), "{snippet}");
    assert!(snippet.contains("&lt;b&gt;tutte"), "{snippet}");
    assert_eq!(fixture.index.snippet(&r, "assistente", Some("it")), None);
}

#[test]
fn unstemmed_languages_are_found_folded() {
    let mut fixture = Fixture::new();
    let r = record(
        &catalonia(),
        json!({"kind": "case_study", "slug": "ca", "title": {"ca": "Atenció ciutadana"}}),
        1,
        T0,
    );
    fixture.put(&r);
    assert_eq!(fixture.ids(&[("q", "atencio")]), [r.id()]);
    assert_eq!(fixture.ids(&[("q", "ATENCIÓ")]), [r.id()]);
}

#[test]
fn every_filter_narrows_the_result() {
    let (fixture, records) = seeded();
    let [it, es, en] = [records[0].id(), records[1].id(), records[2].id()];
    let author = emilia().public_key().to_hex();
    for (pairs, expected) in [
        (vec![("kind", "solution")], vec![es]),
        (vec![("theme", "citizens")], vec![it]),
        (vec![("technology", "chatbot")], vec![it]),
        (vec![("country", "IT")], vec![en, it]),
        (vec![("nuts", "ITH")], vec![en, it]),
        (vec![("nuts", "ITH5")], vec![it]),
        (vec![("nuts", "ES")], vec![es]),
        (vec![("status", "scaled")], vec![en]),
        (vec![("author", author.as_str())], vec![en, it]),
        (vec![("lang", "es")], vec![es]),
        (vec![("lang", "en-GB")], vec![en]),
        (vec![("updated_since", "1700000000002")], vec![en, es]),
        (vec![("country", "IT"), ("status", "pilot")], vec![it]),
        (vec![("kind", "membership")], vec![]),
    ] {
        assert_eq!(fixture.ids(&pairs), expected, "{pairs:?}");
    }
    // Without a kind, only content kinds are listed.
    let all = fixture.search(&[]);
    assert_eq!(all.total, 3);
}

#[test]
fn trust_records_are_listed_when_asked_for_by_kind() {
    let mut fixture = Fixture::new();
    let membership = crate::search::tests::genesis_like();
    fixture.put(&membership);
    assert_eq!(fixture.search(&[]).total, 0);
    assert_eq!(fixture.ids(&[("kind", "membership")]), [membership.id()]);
}

fn genesis_like() -> Record<Verified> {
    let unsigned = json!({
        "format": 1, "kind": "membership", "author": emilia().public_key().to_hex(),
        "slug": "federation", "version": 1, "created_at": T0,
        "title": {"en": "Test federation"},
        "membership": {"name": "Test", "threshold": 1, "members": [
            {"name": "Emilia-Romagna", "key": emilia().public_key().to_hex(), "country": "IT"}
        ]}
    });
    Record::sign(unsigned, &emilia()).expect("valid membership")
}

fn many(fixture: &mut Fixture, count: u64) -> Vec<Record<Verified>> {
    let themes = ["data", "iot", "citizens"];
    let statuses = ["pilot", "implemented"];
    let records: Vec<_> = (0..count)
        .map(|i| {
            record(
                &emilia(),
                json!({"kind": "case_study", "slug": format!("r{i}"),
                       "title": {"en": format!("Portal number {i}")},
                       "themes": [themes[i as usize % 3]], "status": statuses[i as usize % 2],
                       "country": if i % 4 == 0 { "ES" } else { "IT" }}),
                1,
                T0 + i,
            )
        })
        .collect();
    for r in &records {
        fixture.put(r);
    }
    records
}

#[test]
fn facets_count_the_whole_result_not_the_page() {
    let mut fixture = Fixture::new();
    many(&mut fixture, 25);
    let page = fixture.search(&[("limit", "10"), ("q", "portal")]);
    assert_eq!(page.hits.len(), 10);
    assert_eq!(page.total, 25);
    assert!(page.has_more);
    let facets = &page.facets;
    assert_eq!(facets.kind["case_study"], 25);
    assert_eq!(
        (
            facets.theme["data"],
            facets.theme["iot"],
            facets.theme["citizens"]
        ),
        (9, 8, 8)
    );
    assert_eq!(
        (facets.status["pilot"], facets.status["implemented"]),
        (13, 12)
    );
    assert_eq!((facets.country["ES"], facets.country["IT"]), (7, 18));
    let filtered = fixture.search(&[("limit", "5"), ("country", "ES")]);
    assert_eq!(filtered.total, 7);
    assert_eq!(filtered.facets.country.len(), 1);
}

/// Walks every page of `pairs`, calling `between` after each page.
fn walk(
    fixture: &mut Fixture,
    pairs: &[(&str, &str)],
    mut between: impl FnMut(&mut Fixture, usize),
) -> Vec<RecordId> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for page_number in 0..100 {
        let mut all: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let query_without_cursor = parse_record_query(&all, None).expect("query");
        if let Some(c) = &cursor {
            all.push(("cursor".into(), c.clone()));
        }
        let query = parse_record_query(&all, None).expect("query");
        let page = fixture.index.search(&query).expect("search");
        seen.extend(page.hits.iter().map(|h| h.id));
        match (page.has_more, page.hits.last()) {
            (true, Some(last)) => {
                cursor = Some(mosaico_web::query::encode_cursor(
                    &mosaico_web::Cursor {
                        sort_key: last.sort_key.clone(),
                        id: last.id,
                    },
                    &query_without_cursor,
                ));
            }
            _ => return seen,
        }
        between(fixture, page_number);
    }
    panic!("more than 100 pages");
}

#[test]
fn cursors_walk_every_record_once_in_each_order() {
    let mut fixture = Fixture::new();
    let records = many(&mut fixture, 23);
    let mut expected: Vec<RecordId> = records.iter().map(|r| r.id()).collect();
    expected.sort();
    for pairs in [
        vec![("limit", "4")],
        vec![("limit", "4"), ("sort", "title")],
        vec![("limit", "4"), ("q", "portal number")],
    ] {
        let mut seen = walk(&mut fixture, &pairs, |_, _| {});
        seen.sort();
        assert_eq!(seen, expected, "{pairs:?}");
    }
    // Newest first, then by title A to Z ("Portal number 0" < "Portal number 1" < "...10").
    let newest = walk(&mut fixture, &[("limit", "5")], |_, _| {});
    assert_eq!(newest[0], records[22].id());
    let titles = walk(
        &mut fixture,
        &[("limit", "5"), ("sort", "title")],
        |_, _| {},
    );
    assert_eq!(
        &titles[..3],
        &[records[0].id(), records[1].id(), records[10].id()]
    );
}

#[test]
fn cursor_walk_survives_changes_between_pages() {
    let mut fixture = Fixture::new();
    let records = many(&mut fixture, 12);
    // Between pages: a newer record arrives (it sorts before the cursor, so this walk does not
    // see it), and an unseen record is replaced by a new version (newer, so also before it).
    let newcomer = record(
        &catalonia(),
        json!({"kind": "case_study", "slug": "new", "title": {"en": "Newcomer"}}),
        1,
        T0 + 1000,
    );
    let replaced = record(
        &emilia(),
        json!({"kind": "case_study", "slug": "r2", "title": {"en": "Portal number 2, v2"}}),
        2,
        T0 + 2000,
    );
    let seen = walk(&mut fixture, &[("limit", "3")], |fixture, page| {
        if page == 0 {
            fixture.put(&newcomer);
            fixture.put(&replaced);
        }
    });
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no record is listed twice");
    // Every record that stayed unchanged during the walk is listed.
    for r in records.iter().filter(|r| r.header().slug != "r2") {
        assert!(seen.contains(&r.id()), "{} missing", r.header().slug);
    }
    assert!(
        !seen.contains(&records[2].id()),
        "the replaced version is gone"
    );
}

#[test]
fn a_retracted_record_leaves_search_but_keeps_its_history() {
    let (mut fixture, records) = seeded();
    let retracted = retraction(&emilia(), "smistamento", 2, T0 + 100);
    fixture.put(&retracted);
    assert!(fixture.ids(&[("q", "smistamento")]).is_empty());
    assert_eq!(fixture.search(&[]).total, 2);
    let versions = fixture
        .store
        .versions(&records[0].logical_key())
        .expect("versions");
    assert_eq!(versions.len(), 2);
    assert!(
        fixture
            .store
            .record(&records[0].id())
            .expect("read")
            .is_some()
    );
}

#[test]
fn a_forged_cursor_for_another_order_is_refused() {
    let (fixture, _) = seeded();
    let query = RecordQuery {
        cursor: Some(mosaico_web::Cursor {
            sort_key: "not a number".into(),
            id: RecordId([0; 32]),
        }),
        ..parse_record_query(&[], None).expect("query")
    };
    assert!(matches!(
        fixture.index.search(&query),
        Err(SearchError::BadCursor(_))
    ));
}

#[test]
fn an_index_out_of_step_with_the_store_is_rebuilt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("search");
    let store = MemoryStore::default();
    for r in [
        record(&emilia(), routing_it(), 1, T0),
        record(&catalonia(), requests_es(), 1, T0),
    ] {
        store.insert(&r).expect("insert");
    }
    let index = ensure_fresh(&path, &store, builtin()).expect("built");
    assert_eq!(index.num_docs(), 2);
    assert_eq!(index.marker().map(|m| m.records), Some(2));
    drop(index);
    // Fresh: opened as is.
    assert_eq!(
        staleness(&SearchIndex::open(&path).expect("open"), &store).expect("check"),
        None
    );
    store
        .insert(&record(&emilia(), requests_en(), 1, T0))
        .expect("insert");
    let index = SearchIndex::open(&path).expect("open");
    assert!(staleness(&index, &store).expect("check").is_some());
    drop(index);
    let index = ensure_fresh(&path, &store, builtin()).expect("rebuilt");
    assert_eq!(index.num_docs(), 3);
}

/// Waits, with a bound, until the index holds `docs` documents.
async fn wait_for_docs(index: &SearchIndex, docs: u64) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while index.num_docs() != docs {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the index holds {} documents, expected {docs}",
            index.num_docs()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_indexer_follows_events_defers_during_bulk_catch_up_and_rebuilds_after_falling_behind()
{
    let dir = tempfile::tempdir().expect("temp dir");
    let index = std::sync::Arc::new(SearchIndex::open(dir.path()).expect("index"));
    let store = std::sync::Arc::new(MemoryStore::default());
    // Small, so that a burst overflows it the way a large catch-up overflows the node's.
    let (events, receiver) = tokio::sync::broadcast::channel(16);
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let (bulk, bulk_rounds) = tokio::sync::watch::channel(0usize);
    let indexer = indexer::spawn(
        std::sync::Arc::clone(&index),
        std::sync::Arc::clone(&store),
        receiver,
        0,
        bulk_rounds,
        stopping,
    )
    .expect("indexer");
    let stored = |record: Record<Verified>| {
        let inserted = store.insert(&record).expect("insert");
        let head = inserted
            .change
            .is_new_head(&crate::store::version_info(&record));
        events
            .send(crate::node::NodeEvent::Stored { record, head })
            .expect("the indexer listens");
    };
    let record_n = |i: u64| {
        record(
            &emilia(),
            json!({"kind": "case_study", "slug": format!("r{i}"), "title": {"en": format!("Portal {i}")}}),
            1,
            T0 + i,
        )
    };

    // Following: a few records, indexed one batch at a time.
    for i in 0..5 {
        stored(record_n(i));
    }
    wait_for_docs(&index, 5).await;

    // A bulk catch-up: records are noted, not indexed, until it ends. Within the channel's
    // capacity, with pauses, so nothing is lost and only the deferral keeps them out.
    bulk.send(1).expect("bulk");
    tokio::task::yield_now().await;
    for i in 5..15 {
        stored(record_n(i));
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(indexer::COMMIT_DELAY * 4).await;
    assert_eq!(index.num_docs(), 5, "indexed during a bulk catch-up");
    bulk.send(0).expect("bulk over");
    wait_for_docs(&index, 15).await;

    // A burst far beyond the channel, with no pause for the indexer to run in between (this
    // test's runtime has one thread): events are lost, and the rebuild must still find every
    // record, including a retraction in the middle of the burst.
    for i in 15..300 {
        stored(record_n(i));
        if i == 150 {
            stored(retraction(&emilia(), "r3", 2, T0 + 1_000));
        }
    }
    wait_for_docs(&index, 299).await;
    assert!(
        index
            .search(&parse_record_query(&[("q".into(), "Portal 3".into())], None).expect("query"))
            .expect("search")
            .hits
            .iter()
            .all(|hit| hit.id != record_n(3).id()),
        "the retracted record left search"
    );

    // Back to following after the rebuild: the next record is indexed on its own.
    stored(record_n(300));
    wait_for_docs(&index, 300).await;
    stop.send(true).expect("stop");
    indexer.await.expect("the indexer ends");
    assert_eq!(
        index.marker().map(|m| m.records),
        Some(store.len().expect("len")),
        "the marker counts every stored record"
    );
}

/// The demo's nine records, indexed as the demo publishes them.
fn demo_federation() -> (Fixture, Vec<Record<Verified>>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/demo");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("examples/demo")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    let mut fixture = Fixture::new();
    let mut records = Vec::new();
    for (n, path) in paths.iter().enumerate() {
        let text = std::fs::read_to_string(path).expect("sample");
        let value: Value = serde_yaml::from_str(&text).expect("sample is YAML");
        let record = record(&emilia(), value, 1, T0 + n as u64);
        fixture.put(&record);
        records.push(record);
    }
    assert!(records.len() >= 9, "the demo has nine samples");
    (fixture, records)
}

fn slug_of(record: &Record<Verified>) -> String {
    record.logical_key().slug.to_string()
}

fn top_slugs(
    fixture: &Fixture,
    records: &[Record<Verified>],
    pairs: &[(&str, &str)],
) -> Vec<String> {
    fixture
        .ids(pairs)
        .iter()
        .map(|id| {
            slug_of(
                records
                    .iter()
                    .find(|r| r.id() == *id)
                    .expect("a demo record"),
            )
        })
        .collect()
}

#[test]
fn the_demo_is_found_from_languages_it_is_not_written_in() {
    let (fixture, records) = demo_federation();
    // Catalunya's translator is in Catalan, Spanish and English; Vlaanderen's lights in Dutch
    // and English. None of them has an Italian or Finnish word.
    for (q, wanted) in [
        ("traduzione", "demo-traductor-neuronal"),
        ("traduzione automatica", "demo-traductor-neuronal"),
        ("semafori", "demo-slimme-verkeerslichten"),
        ("liikennevalot", "demo-slimme-verkeerslichten"),
        ("anonimizzazione sentenze", "demo-anonimiseren-documenten"),
    ] {
        let found = top_slugs(&fixture, &records, &[("q", q)]);
        assert_eq!(
            found.first().map(String::as_str),
            Some(wanted),
            "{q}: {found:?}"
        );
    }
}

#[test]
fn the_answer_says_how_the_query_was_read_and_why_each_result_matched() {
    let (fixture, records) = demo_federation();
    let result = fixture.search(&[("q", "traduzione automatica")]);
    assert_eq!(result.reading.language.as_deref(), Some("it"));
    assert!(result.reading.expanded);
    let concept = result.reading.concepts.first().expect("a concept");
    assert_eq!(concept.id, "mc:machine-translation");
    assert_eq!(concept.matched, "traduzione automatica");
    let translator = records
        .iter()
        .find(|r| slug_of(r) == "demo-traductor-neuronal")
        .expect("translator");
    let (snippet, why) = fixture.index.annotate(
        translator,
        "traduzione automatica",
        std::slice::from_ref(&concept.id),
        Some("ca"),
    );
    assert_eq!(why.concepts, std::slice::from_ref(&concept.id));
    // "automatica" is also a Catalan word once folded; no English text has either word.
    assert_eq!(why.text, ["ca"], "{why:?}");
    let snippet = snippet.expect("the concept's words are marked");
    assert!(
        snippet.contains("<mark>traducció</mark> <mark>automàtica</mark>"),
        "{snippet}"
    );
    // A word the record has is reported as a text match in its language.
    let (_, why) = fixture
        .index
        .annotate(translator, "translator", &[], Some("en"));
    assert_eq!(why.text, ["en"]);
}

#[test]
fn an_unknown_query_language_falls_back_to_plain_text_and_says_so() {
    let (fixture, records) = demo_federation();
    let result = fixture.search(&[("q", "semafori"), ("q_lang", "ja")]);
    assert!(!result.reading.expanded);
    assert!(result.reading.concepts.is_empty());
    let notice = result.reading.notice.expect("a notice");
    assert!(
        notice.contains("plain text search") && notice.contains("ja"),
        "{notice}"
    );
    // Plain text search: no record has the Italian word.
    assert!(result.hits.is_empty());
    // An explicit known language is used as given.
    let result = fixture.search(&[("q", "chatbot"), ("q_lang", "fi")]);
    assert_eq!(result.reading.language.as_deref(), Some("fi"));
    assert_eq!(
        result.reading.language_source,
        Some(mosaico_web::views::QueryLanguageSource::Explicit)
    );
    let _ = records;
}

#[test]
fn the_concept_filter_and_facet_follow_the_derived_concepts() {
    let (fixture, records) = demo_federation();
    let all = fixture.search(&[]);
    let translation = "mc:machine-translation";
    assert_eq!(
        all.facets.concept.get(translation),
        Some(&1),
        "{:?}",
        all.facets.concept
    );
    let found = top_slugs(&fixture, &records, &[("concept", translation)]);
    assert_eq!(found, ["demo-traductor-neuronal"]);
    // A well-formed id no record carries filters everything out rather than failing.
    assert!(fixture.ids(&[("concept", "mc:no-such-concept")]).is_empty());
}

#[test]
fn a_changed_scheme_makes_the_index_stale_so_concepts_are_derived_again() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("search");
    let store = MemoryStore::default();
    store
        .insert(&record(&emilia(), routing_it(), 1, T0))
        .expect("insert");
    let index = ensure_fresh(&path, &store, builtin()).expect("built");
    drop(index);
    let extra = r#"{"@id": "urn:mosaico:concepts:extra", "concepts": [{"@id": "mc:smistamento-test",
        "prefLabel": {"it": "ufficio giusto", "en": "routing test", "es": "enrutamiento prueba", "ca": "encaminament prova",
        "fr": "routage test", "de": "Weiterleitung Test", "nl": "routering test", "fi": "reititys testi",
        "sv": "routning test", "pt": "encaminhamento teste", "cs": "směrování test", "pl": "trasowanie test"}}]}"#;
    let scheme = Arc::new(
        ConceptScheme::builtin()
            .merge(ConceptScheme::parse("extra.jsonld", extra).expect("valid"))
            .expect("merges"),
    );
    let stale = staleness(
        &SearchIndex::open_with(&path, Arc::clone(&scheme)).expect("open"),
        &store,
    )
    .expect("check");
    assert!(stale.expect("stale").contains("concept scheme"));
    let index = ensure_fresh(&path, &store, scheme).expect("rebuilt");
    let query = parse_record_query(&[("concept".into(), "mc:smistamento-test".into())], None)
        .expect("query");
    assert_eq!(index.search(&query).expect("search").total, 1);
}

#[test]
fn a_malformed_scheme_file_in_the_data_directory_is_refused_with_file_and_line() {
    let dir = tempfile::tempdir().expect("dir");
    assert_eq!(
        load_scheme(dir.path()).expect("no files").len(),
        ConceptScheme::builtin().len()
    );
    std::fs::create_dir_all(concepts_dir(dir.path())).expect("mkdir");
    let file = concepts_dir(dir.path()).join("ours.jsonld");
    std::fs::write(
        &file,
        "{\n  \"concepts\": [\n    {\"@id\": \"mc:x\",, }\n  ]\n}\n",
    )
    .expect("write");
    let error = load_scheme(dir.path()).expect_err("malformed").to_string();
    assert!(error.contains(&format!("{}:3", file.display())), "{error}");
    assert!(error.contains("malformed JSON"), "{error}");
}
