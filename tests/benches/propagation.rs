//! Propagation benchmark: ten real nodes on loopback, 1,000 records published on one; how long
//! until each record is stored on all ten (p50, p99).
//!
//! Times come from the nodes' own JSON logs ("record stored" lines carry a timestamp with
//! microseconds), all on one machine clock: propagation of a record = latest store time on any
//! node minus its store time on the publishing node. Run with
//! `cargo bench -p mosaico-e2e --bench propagation`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use mosaico_e2e::{Federation, wait_for};
use serde_json::{Value, json};

const NODES: usize = 10;
const RECORDS: usize = 1000;
/// Publishing pace: a busy federation, not a bulk import.
const PER_SECOND: u64 = 50;

fn main() {
    let mut federation = Federation::new(NODES, 0);
    // A sparse mesh: each node is configured with at most two earlier nodes, so most records
    // cross more than one hop.
    for i in 0..NODES {
        federation.regions[i].json_logs = true;
        if i > 0 {
            let a = federation.regions[(i - 1) / 2].multiaddr();
            federation.regions[i].peers.push(a);
            if i > 2 {
                let b = federation.regions[i - 1].multiaddr();
                federation.regions[i].peers.push(b);
            }
        }
        federation.start(i);
    }
    // Let meshes form: every node sees at least one peer in its peer list.
    for region in &federation.regions {
        wait_for("peers connected", Duration::from_secs(60), || {
            let (_, peers) = region.get("/api/v1/peers");
            (peers
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p["connected"] == json!(true))))
            .then_some(())
        });
    }
    std::thread::sleep(Duration::from_secs(3)); // mesh grafting happens on heartbeats
    let publisher = &federation.regions[0];
    let client = reqwest::blocking::Client::new();
    let started = Instant::now();
    let mut ids = Vec::with_capacity(RECORDS);
    for i in 0..RECORDS {
        let due = started + Duration::from_micros(i as u64 * 1_000_000 / PER_SECOND);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let draft = json!({"kind": "case_study", "slug": format!("propagation-{i}"),
            "title": {"en": format!("Propagation {i}")}, "summary": {"en": "Benchmark."},
            "organisation": "Emilia-Romagna", "country": "IT"});
        let response = client
            .post(publisher.url("/api/v1/records"))
            .bearer_auth(publisher.token())
            .json(&draft)
            .send()
            .expect("publish");
        let body: Value = response.json().expect("json");
        ids.push(body["id"].as_str().expect("id").to_owned());
    }
    for region in &federation.regions {
        wait_for("every record everywhere", Duration::from_secs(300), || {
            (region.get("/api/v1/status").1["record_count"].as_u64() >= Some(RECORDS as u64 + 1))
                .then_some(())
        });
    }
    // record id → store time (µs since epoch) per node
    let mut stored: Vec<HashMap<String, i64>> = Vec::new();
    for region in &federation.regions {
        let mut times = HashMap::new();
        for line in region.log().lines() {
            let Ok(event) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            if event["fields"]["message"] != "record stored" {
                continue;
            }
            let (Some(id), Some(ts)) = (
                event["fields"]["record_id"].as_str(),
                event["timestamp"].as_str(),
            ) else {
                continue;
            };
            times.insert(id.to_owned(), micros(ts));
        }
        stored.push(times);
    }
    let mut latencies: Vec<i64> = ids
        .iter()
        .map(|id| {
            let origin = stored[0][id];
            stored
                .iter()
                .map(|times| times[id] - origin)
                .max()
                .unwrap_or(0)
        })
        .collect();
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies[((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1)] as f64 / 1000.0
    };
    println!(
        "propagation to all {NODES} nodes over {RECORDS} records published at {PER_SECOND}/s:"
    );
    println!(
        "  p50 {:.1} ms   p90 {:.1} ms   p99 {:.1} ms   max {:.1} ms",
        pct(0.5),
        pct(0.9),
        pct(0.99),
        pct(1.0)
    );
}

/// Microseconds since the epoch of an RFC 3339 UTC timestamp such as 2026-11-23T04:10:11.123456Z.
fn micros(ts: &str) -> i64 {
    let (date, time) = ts.trim_end_matches('Z').split_once('T').expect("timestamp");
    let d: Vec<i64> = date.split('-').map(|p| p.parse().expect("date")).collect();
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let t: Vec<i64> = hms.split(':').map(|p| p.parse().expect("time")).collect();
    let frac_us: i64 = format!("{frac:0<6}")[..6].parse().expect("fraction");
    // Days since epoch (civil from days, Howard Hinnant's algorithm, written out here).
    let (y, m, day) = (d[0] - i64::from(d[1] <= 2), d[1], d[2]);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    ((days * 86_400 + t[0] * 3600 + t[1] * 60 + t[2]) * 1_000_000) + frac_us
}
