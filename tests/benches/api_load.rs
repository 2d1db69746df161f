//! API load benchmark at 100,000 records: `GET /api/v1/records/{id}` throughput under wrk, and
//! the node's resident memory and start-up time.
//!
//! The store is filled directly with 100,000 signed records (the node's own store code), then a
//! real `mosaico run` (release build) starts on it, building its search index. wrk (Debian's
//! package; `apt-get install wrk`) then requests a fixed record id for 10 s with 2 threads and 64
//! connections, from the same 2-core machine (so client and server share the cores). Resident
//! memory is read from /proc after the load. Run with `cargo bench -p mosaico-e2e --bench api_load`.

use std::process::Command;
use std::time::{Duration, Instant};

use mosaico_e2e::{Federation, wait_for};
use mosaico_node::store::{RecordStore, SledStore};
use mosaico_protocol::draft::Draft;
use mosaico_protocol::{Record, SecretKey};
use serde_json::json;

const RECORDS: usize = 100_000;

fn main() {
    assert!(
        Command::new("wrk").arg("--version").output().is_ok(),
        "wrk is missing: apt-get install wrk"
    );
    let mut federation = Federation::new(1, 0);
    let secret = SecretKey::from_hex(
        &std::fs::read_to_string(federation.regions[0].data.join("publisher.key")).expect("key"),
    )
    .expect("key");
    let languages = ["it", "en", "ca", "nl", "fi", "de", "fr", "es"];
    let start = mosaico_node::node::now_millis() - 365 * 24 * 3600 * 1000;
    let mut first_id = None;
    {
        let store = SledStore::open(&federation.regions[0].data.join("store")).expect("store");
        let mut batch = Vec::with_capacity(1000);
        for i in 0..RECORDS {
            let lang = languages[i % languages.len()];
            let kind = ["solution", "case_study", "best_practice"][i % 3];
            let draft = Draft::from_value(json!({
                "kind": kind, "slug": format!("record-{i}"),
                "title": {lang: format!("Servizio digitale numero {i} per i cittadini"), "en": format!("Digital service number {i} for citizens")},
                "summary": {lang: "Un servizio che aiuta i cittadini a trovare le informazioni giuste.", "en": "A service helping citizens find the right information."},
                "description": {lang: "Descrizione del progetto e dei risultati ottenuti. ".repeat(15)},
                "organisation": "Regione Emilia-Romagna", "country": "IT", "nuts": "ITH5",
                "themes": ["citizens"], "technologies": ["chatbot"], "status": "implemented"
            }))
            .expect("draft");
            let record = Record::sign(
                draft
                    .into_unsigned(secret.public_key(), 1, start + i as u64 * 300)
                    .expect("unsigned"),
                &secret,
            )
            .expect("signed");
            first_id.get_or_insert(record.id());
            batch.push(record);
            if batch.len() == 1000 {
                store.insert_batch(&batch).expect("insert");
                batch.clear();
            }
        }
    }
    // Let sled's flusher release the store before the node opens it.
    std::thread::sleep(Duration::from_secs(2));
    let started = Instant::now();
    federation.start(0);
    let startup = started.elapsed();
    let region = &federation.regions[0];
    wait_for("all records served", Duration::from_secs(120), || {
        (region.get("/api/v1/status").1["record_count"].as_u64() == Some(RECORDS as u64 + 1))
            .then_some(())
    });
    let url = region.url(&format!("/api/v1/records/{}", first_id.expect("a record")));
    let output = Command::new("wrk")
        .args(["-t2", "-c64", "-d10s", "--latency", &url])
        .output()
        .expect("wrk");
    let report = String::from_utf8_lossy(&output.stdout);
    println!("{report}");
    let pid = Command::new("pgrep")
        .args([
            "-f",
            "--",
            &format!("--http 127.0.0.1:{}", region.http_port),
        ])
        .output()
        .expect("pgrep");
    let pid = String::from_utf8_lossy(&pid.stdout)
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_owned();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS"))
        .unwrap_or("VmRSS: ?");
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap_or("VmHWM: ?");
    println!(
        "node with {RECORDS} records: start-up to ready {:.1} s (includes building the search index); {rss}; peak {hwm}",
        startup.as_secs_f64()
    );
}
