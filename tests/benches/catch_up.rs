//! Catch-up benchmark, with real nodes over libp2p on loopback.
//!
//! 1. Bytes: one node holds 100,000 records, another the same less 1,000. The second catches up;
//!    we report the sync bytes it received and sent divided by the canonical bytes of the 1,000
//!    missing records, the reconciliation messages and fetches, and the wall time of the round.
//! 2. Ingest: a third, empty node catches up all 100,000 records; records verified and durably
//!    stored per second, beside bare Ed25519 verification in this process on the same machine
//!    (measured before and after, nodes idle), and each node's processor time per record.
//!
//! The stores are filled directly (records signed by the region's real key, written with the
//! node's own store code) so the benchmark measures catch-up, not 100,000 HTTP publishes.
//!
//! The records are real case studies: the Public Sector Tech Watch export in
//! `../shared/data/pstw/` (about 1,800 cases), each made a draft by the node's own importer and
//! repeated under new slugs up to 100,000. Record batches travel compressed, so made-up text
//! that repeats itself would flatter the byte ratio: the 1,000 missing records, spread at random
//! over the whole set, each carry a different case.
//! Run with `cargo bench -p mosaico-e2e --bench catch_up`.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use mosaico_e2e::{Federation, wait_for};
use mosaico_node::store::{RecordStore, SledStore};
use mosaico_protocol::draft::Draft;
use mosaico_protocol::{Record, SecretKey, Verified};
use serde_json::{Value, json};

const RECORDS: usize = 100_000;
const MISSING: usize = 1_000;

/// 100,000 records of real cases; those in `distinct` get a case no other of them has.
fn records(
    secret: &SecretKey,
    cases: &[Value],
    distinct: &HashSet<usize>,
) -> Vec<Record<Verified>> {
    let start = mosaico_node::clock::now_millis() - 365 * 24 * 3600 * 1000;
    let mut next_distinct = 0;
    (0..RECORDS)
        .map(|i| {
            let case = if distinct.contains(&i) {
                next_distinct += 1;
                next_distinct - 1
            } else {
                i % cases.len()
            };
            let mut draft = cases[case].clone();
            draft["slug"] = json!(format!("case-{i}"));
            let draft = Draft::from_value(draft).expect("draft");
            let unsigned = draft
                .into_unsigned(secret.public_key(), 1, start + i as u64 * 300)
                .expect("unsigned");
            Record::sign(unsigned, secret).expect("signed")
        })
        .collect()
}

fn fill(path: &std::path::Path, records: &[Record<Verified>]) {
    let store = SledStore::open(path).expect("store");
    for chunk in records.chunks(1000) {
        store.insert_batch(chunk).expect("insert");
    }
}

fn metric(url: &str, name: &str) -> f64 {
    let text = reqwest::blocking::get(url)
        .and_then(|r| r.text())
        .unwrap_or_default();
    text.lines()
        .filter(|l| l.starts_with(name))
        .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
        .sum()
}

/// The "caught up with peer" log lines of a node (one per round that found records missing;
/// rounds with several peers at once split the work), and the seconds from the first "peer
/// connected" line to the last of them. `None` until `rounds` such lines are there.
fn rounds_from_log(log: &str, rounds: usize) -> Option<(Vec<Value>, f64)> {
    let mut connected = None;
    let mut caught_up = Vec::new();
    let mut last = 0.0;
    for line in log.lines() {
        let Ok(event) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let message = event["fields"]["message"].as_str().unwrap_or("");
        if message == "peer connected" && connected.is_none() {
            connected = event["timestamp"].as_str().map(seconds);
        }
        if message == "caught up with peer" {
            last = event["timestamp"].as_str().map(seconds).unwrap_or(0.0);
            caught_up.push(event["fields"].clone());
        }
    }
    (caught_up.len() >= rounds).then(|| (caught_up, last - connected.unwrap_or(last)))
}

/// The sum of one field over the rounds' log lines.
fn total(rounds: &[Value], field: &str) -> u64 {
    rounds.iter().filter_map(|r| r[field].as_u64()).sum()
}

/// Seconds within the day of an RFC 3339 UTC timestamp (the benchmark never spans midnight
/// by more than its own length, and both times come from one run).
fn seconds(ts: &str) -> f64 {
    let time = ts
        .split_once('T')
        .map(|(_, t)| t.trim_end_matches('Z'))
        .unwrap_or("0:0:0");
    let parts: Vec<f64> = time.split(':').map(|p| p.parse().unwrap_or(0.0)).collect();
    parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]
}

fn main() {
    let mut federation = Federation::new(3, 0);
    let secret = SecretKey::from_hex(
        &std::fs::read_to_string(federation.regions[0].data.join("publisher.key")).expect("key"),
    )
    .expect("key");
    let started = Instant::now();
    let cases = mosaico_e2e::pstw_drafts();
    assert!(cases.len() > MISSING, "only {} cases", cases.len());
    // The missing records are spread over the whole set (reconciliation works on time ranges,
    // so clustered gaps would be cheaper to find), and each carries a different real case.
    let mut rng_state = 0x5eed_u64;
    let mut missing = HashSet::new();
    while missing.len() < MISSING {
        rng_state = rng_state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        missing.insert((rng_state >> 33) as usize % RECORDS);
    }
    let all = records(&secret, &cases, &missing);
    println!(
        "signed {RECORDS} records in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let missing_canonical: usize = missing.iter().map(|i| all[*i].canonical().len()).sum();
    let missing_wire: usize = missing.iter().map(|i| all[*i].to_wire().len()).sum();
    let partial: Vec<Record<Verified>> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| !missing.contains(i))
        .map(|(_, r)| r.clone())
        .collect();
    fill(&federation.regions[0].data.join("store"), &all);
    fill(&federation.regions[1].data.join("store"), &partial);
    drop(partial);

    // 1. Bytes for 1,000 missing out of 100,000.
    for region in &mut federation.regions {
        region.json_logs = true;
    }
    federation.start(0);
    let first = federation.regions[0].multiaddr();
    federation.regions[1].peers.push(first.clone());
    federation.start(1);
    let lagging = &federation.regions[1];
    wait_for(
        "the lagging node to catch up",
        Duration::from_secs(600),
        || {
            (lagging.get("/api/v1/status").1["record_count"].as_u64() == Some(RECORDS as u64 + 1))
                .then_some(())
        },
    );
    // The lagging node knows only the first; one round.
    let (rounds, wall) = wait_for("the round's log line", Duration::from_secs(60), || {
        rounds_from_log(&lagging.log(), 1)
    });
    let received = metric(
        &lagging.url("/metrics"),
        "mosaico_sync_bytes_received_total",
    );
    let sent = metric(&lagging.url("/metrics"), "mosaico_sync_bytes_sent_total");
    println!("catch-up of {MISSING} missing records out of {RECORDS}:");
    println!(
        "  canonical bytes of the missing records: {missing_canonical} (wire form {missing_wire})"
    );
    println!("  sync bytes received {received:.0}, sent {sent:.0}");
    println!(
        "  ratio (received + sent) / canonical missing: {:.3}",
        (received + sent) / missing_canonical as f64
    );
    println!(
        "  ratio received / canonical missing: {:.3}",
        received / missing_canonical as f64
    );
    println!(
        "  reconciliation messages: {}, fetches: {}",
        total(&rounds, "reconcile_messages"),
        total(&rounds, "fetches")
    );
    println!("  wall time from connection to caught up: {wall:.2} s");

    // Bare verification while the two nodes are idle, once before the catch-up and once after
    // it (when the new node's search has caught up too, so every node is idle again). The
    // reference is their mean: the speed of a shared machine drifts from minute to minute, and
    // two measurements either side of the catch-up follow the drift better than one.
    let bare_before = 1e6 / mosaico_e2e::bare_verify_micros(&all[..10_000]);
    // 2. Ingest rate: an empty member fetches everything.
    federation.regions[2].peers.push(first);
    federation.start(2);
    let cpu = |federation: &Federation| -> Vec<f64> {
        federation
            .regions
            .iter()
            .map(|r| r.cpu_seconds().expect("a running node's processor time"))
            .collect()
    };
    let cpu_before = cpu(&federation);
    let empty = &federation.regions[2];
    wait_for(
        "the empty node to catch up",
        Duration::from_secs(1800),
        || {
            (empty.get("/api/v1/status").1["record_count"].as_u64() == Some(RECORDS as u64 + 1))
                .then_some(())
        },
    );
    let cpu_after = cpu(&federation);
    // The empty node learns of the second node from the first and may catch up from both at
    // once, the rounds splitting the work: wait until the rounds' log lines account for every
    // record.
    let (rounds, wall) = wait_for("the rounds' log lines", Duration::from_secs(60), || {
        rounds_from_log(&empty.log(), 1)
            .filter(|(rounds, _)| total(rounds, "stored") >= RECORDS as u64)
    });
    println!(
        "  rounds: {}, records stored by each: {:?}, left by each to the other: {:?}",
        rounds.len(),
        rounds
            .iter()
            .map(|r| r["stored"].as_u64().unwrap_or(0))
            .collect::<Vec<_>>(),
        rounds
            .iter()
            .map(|r| r["left_to_other_rounds"].as_u64().unwrap_or(0))
            .collect::<Vec<_>>()
    );
    // Search is derived from the store and catches up in bulk after a large catch-up.
    let caught_up = Instant::now();
    wait_for(
        "search to show every record",
        Duration::from_secs(600),
        || {
            let total = empty.get("/api/v1/records?kind=case_study&limit=1").1["total"].as_u64();
            (total == Some(RECORDS as u64)).then_some(())
        },
    );
    println!(
        "search showed all {RECORDS} records {:.1} s after the benchmark saw the store complete",
        caught_up.elapsed().as_secs_f64()
    );
    let bare_after = 1e6 / mosaico_e2e::bare_verify_micros(&all[..10_000]);
    let bare_rate = (bare_before + bare_after) / 2.0;
    let ingest_rate = RECORDS as f64 / wall;
    println!(
        "full catch-up of {RECORDS} records by an empty node: {wall:.1} s, {ingest_rate:.0} records/s verified and durably stored"
    );
    println!(
        "bare Ed25519 verify_strict in this process, keys decompressed: {bare_before:.0} /s before, {bare_after:.0} /s after, mean {bare_rate:.0} /s; ratio {:.0}%",
        100.0 * ingest_rate / bare_rate
    );
    // Processor time per record, less noisy than wall time on a shared machine: from the empty
    // node's start until the benchmark saw its store complete (its start-up and the status
    // polls are included, which makes the figure a little high).
    let per_record = |i: usize| 1e6 * (cpu_after[i] - cpu_before[i]) / RECORDS as f64;
    println!(
        "processor time per record: catching-up node {:.1} µs ({:.2} × bare verification, {:.1} µs), serving nodes {:.1} µs together",
        per_record(2),
        per_record(2) * bare_rate / 1e6,
        1e6 / bare_rate,
        per_record(0) + per_record(1)
    );
}
