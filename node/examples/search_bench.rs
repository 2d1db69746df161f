//! Search benchmark (not a test): 100,000 generated records in a sled store, the index built from
//! it, then search latency for one- and two-word queries with facets, and resident memory.
//!
//! `cargo run --release -p mosaico-node --example search_bench [-- RECORDS]`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use mosaico_node::search::{index_dir, rebuild};
use mosaico_node::store::{RecordStore, SledStore};
use mosaico_protocol::draft::Draft;
use mosaico_protocol::{Record, SecretKey};
use mosaico_web::query::parse_record_query;
use serde_json::json;

const WORDS: &[(&str, &[&str])] = &[
    (
        "it",
        &[
            "richieste",
            "cittadini",
            "servizi",
            "comune",
            "sanità",
            "mobilità",
            "dati",
            "piattaforma",
            "scuole",
            "turismo",
            "rifiuti",
            "sportello",
            "digitale",
            "territorio",
            "imprese",
        ],
    ),
    (
        "en",
        &[
            "requests",
            "citizens",
            "services",
            "municipality",
            "health",
            "mobility",
            "data",
            "platform",
            "schools",
            "tourism",
            "waste",
            "office",
            "digital",
            "region",
            "businesses",
        ],
    ),
    (
        "es",
        &[
            "solicitudes",
            "ciudadanos",
            "servicios",
            "ayuntamiento",
            "salud",
            "movilidad",
            "datos",
            "plataforma",
            "escuelas",
            "turismo",
            "residuos",
            "oficina",
            "digital",
            "región",
            "empresas",
        ],
    ),
    (
        "fr",
        &[
            "demandes",
            "citoyens",
            "services",
            "commune",
            "santé",
            "mobilité",
            "données",
            "plateforme",
            "écoles",
            "tourisme",
            "déchets",
            "guichet",
            "numérique",
            "région",
            "entreprises",
        ],
    ),
    (
        "de",
        &[
            "anfragen",
            "bürger",
            "dienste",
            "gemeinde",
            "gesundheit",
            "mobilität",
            "daten",
            "plattform",
            "schulen",
            "tourismus",
            "abfall",
            "amt",
            "digital",
            "region",
            "unternehmen",
        ],
    ),
    (
        "nl",
        &[
            "aanvragen",
            "burgers",
            "diensten",
            "gemeente",
            "gezondheid",
            "mobiliteit",
            "gegevens",
            "platform",
            "scholen",
            "toerisme",
            "afval",
            "loket",
            "digitaal",
            "regio",
            "bedrijven",
        ],
    ),
    (
        "ca",
        &[
            "sol·licituds",
            "ciutadans",
            "serveis",
            "ajuntament",
            "salut",
            "mobilitat",
            "dades",
            "plataforma",
            "escoles",
            "turisme",
            "residus",
            "oficina",
            "digital",
            "regió",
            "empreses",
        ],
    ),
    (
        "fi",
        &[
            "pyynnöt",
            "kansalaiset",
            "palvelut",
            "kunta",
            "terveys",
            "liikkuvuus",
            "tiedot",
            "alusta",
            "koulut",
            "matkailu",
            "jätteet",
            "toimisto",
            "digitaalinen",
            "alue",
            "yritykset",
        ],
    ),
];
const THEMES: &[&str] = &[
    "iot",
    "data",
    "citizens",
    "documents",
    "businesses",
    "cybersecurity-cloud",
];
const COUNTRIES: &[(&str, &str)] = &[
    ("IT", "ITH5"),
    ("IT", "ITH3"),
    ("ES", "ES51"),
    ("FR", "FRK2"),
    ("DE", "DE21"),
    ("BE", "BE21"),
    ("FI", "FI1B"),
    ("NL", "NL32"),
];
const TECH: &[&str] = &[
    "chatbot",
    "machine learning",
    "open data",
    "digital twin",
    "computer vision",
    "blockchain",
];

/// A deterministic pseudo-random stream (xorshift), so every run indexes the same text.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 as usize
    }
    fn words(&mut self, list: &[&str], n: usize) -> String {
        (0..n)
            .map(|_| list[self.next() % list.len()])
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SledStore::open(&dir.path().join("store")).expect("store");
    let secret = SecretKey::from_bytes([9; 32]);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let started = Instant::now();
    let mut batch = Vec::with_capacity(1000);
    for i in 0..count {
        let (lang, words) = WORDS[i % WORDS.len()];
        let (country, nuts) = COUNTRIES[rng.next() % COUNTRIES.len()];
        let kind = ["case_study", "solution", "best_practice"][i % 3];
        let status = ["pilot", "implemented", "scaled"][rng.next() % 3];
        let content = json!({
            "kind": kind,
            "slug": format!("record-{i}"),
            "title": {lang: rng.words(words, 6)},
            "summary": {lang: rng.words(words, 30)},
            "description": {lang: rng.words(words, 150)},
            "organisation": "Ente pubblico", "country": country, "nuts": nuts,
            "themes": [THEMES[rng.next() % THEMES.len()]],
            "technologies": [TECH[rng.next() % TECH.len()]],
            "status": status,
        });
        let unsigned = Draft::from_value(content)
            .expect("draft")
            .into_unsigned(secret.public_key(), 1, 1_700_000_000_000 + i as u64)
            .expect("unsigned");
        batch.push(Record::sign(unsigned, &secret).expect("record"));
        if batch.len() == 1000 {
            store.insert_batch(&batch).expect("insert");
            batch.clear();
        }
    }
    store.insert_batch(&batch).expect("insert");
    println!(
        "generated and stored {count} records in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let index = rebuild(
        &index_dir(dir.path()),
        &store,
        std::sync::Arc::new(mosaico_protocol::concepts::ConceptScheme::builtin()),
        &mut |_, _| {},
    )
    .expect("index");
    println!(
        "index build: {:.1} s for {} documents",
        started.elapsed().as_secs_f64(),
        index.num_docs()
    );

    for (label, queries) in [
        (
            "one word",
            vec![
                "cittadini",
                "citizens",
                "solicitud",
                "données",
                "gemeente",
                "platform",
                "mobilità",
                "turismo",
            ],
        ),
        (
            "two words",
            vec![
                "richiesta cittadino",
                "citizen request",
                "solicitud ciudadano",
                "plateforme données",
                "daten plattform",
                "digitale sanità",
                "afval loket",
                "serveis digital",
            ],
        ),
    ] {
        let mut times = Vec::new();
        let mut total = 0;
        for round in 0..125 {
            for q in &queries {
                let pairs = vec![("q".to_string(), q.to_string())];
                let pairs = if round % 2 == 0 {
                    pairs
                } else {
                    [pairs, vec![("country".into(), "IT".into())]].concat()
                };
                let query = parse_record_query(&pairs, None).expect("query");
                let t = Instant::now();
                let result = index.search(&query).expect("search");
                times.push(t.elapsed());
                total += result.total;
            }
        }
        times.sort();
        println!(
            "{label}: {} queries, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (mean hits {})",
            times.len(),
            percentile(&times, 0.50).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3,
            times.last().unwrap().as_secs_f64() * 1e3,
            total / times.len() as u64
        );
    }
    println!(
        "resident memory after build and queries: {:.0} MiB (store + index + this process)",
        rss_mib()
    );
}
