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
    let start = mosaico_node::clock::now_millis() - 365 * 24 * 3600 * 1000;
    let mut first_id = None;
    // Every fifth id, for the run that reads records all over the store.
    let mut spread_ids = Vec::with_capacity(RECORDS / 5);
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
            if i % 5 == 0 {
                spread_ids.push(record.id().to_string());
            }
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
    println!("ready, before the load: {}", status_line(&pid, "VmRSS"));
    let url = region.url(&format!("/api/v1/records/{}", first_id.expect("a record")));
    println!("one record, over and over (served from the store's cache):");
    run_wrk(&url, None);
    // wrk picks a random one of 20,000 ids for each request, so most reads miss sled's own
    // cache and come from the operating system's file cache.
    let script = federation.regions[0].data.join("spread.lua");
    std::fs::write(
        &script,
        format!(
            "local ids = {{{}}}\nrequest = function()\n  return wrk.format(\"GET\", \"/api/v1/records/\" .. ids[math.random(#ids)])\nend\n",
            spread_ids
                .iter()
                .map(|id| format!("\"{id}\""))
                .collect::<Vec<_>>()
                .join(",")
        ),
    )
    .expect("wrk script");
    println!("20,000 records at random:");
    run_wrk(&region.url("/"), Some(&script));
    // The allocator hands freed memory back to the system with a delay; sample the settled
    // figure too, as an operator watching the node a little later would see it.
    let loaded = Instant::now();
    for after in [1, 5, 10] {
        std::thread::sleep(Duration::from_secs(after).saturating_sub(loaded.elapsed()));
        println!(
            "{after:>2} s after the load: {}",
            status_line(&pid, "VmRSS")
        );
    }
    println!(
        "node with {RECORDS} records: start-up to ready {:.1} s (includes building the search index); peak {}",
        startup.as_secs_f64(),
        status_line(&pid, "VmHWM")
    );
    // Which part of the resident set is the node's own heap (anonymous) and which is file pages
    // mapped in (the search index's segments, which the kernel can drop and re-read at will).
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    for line in rollup
        .lines()
        .filter(|l| l.starts_with("Rss") || l.starts_with("Anonymous") || l.starts_with("Pss_File"))
    {
        println!("  {line}");
    }
    if std::env::var_os("MOSAICO_BENCH_HOLD").is_some() {
        println!("holding node {pid} for inspection; press Enter to stop");
        let _ = std::io::stdin().read_line(&mut String::new());
    }
}

/// One line of `/proc/{pid}/status`, such as `VmRSS:  123456 kB`.
fn status_line(pid: &str, field: &str) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .map_or_else(
            || format!("{field}: ?"),
            |l| l.split_whitespace().collect::<Vec<_>>().join(" "),
        )
}

/// Runs wrk for 10 s with 2 threads and 64 connections and prints its report.
fn run_wrk(url: &str, script: Option<&std::path::Path>) {
    let mut command = Command::new("wrk");
    command.args(["-t2", "-c64", "-d10s", "--latency"]);
    if let Some(script) = script {
        command.arg("-s").arg(script);
    }
    let output = command.arg(url).output().expect("wrk");
    assert!(
        output.status.success(),
        "wrk failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{}", String::from_utf8_lossy(&output.stdout));
}
