//! Ingest benchmark, in one process: what each step of the one door into the store costs per
//! record, beside bare Ed25519 verification measured in the same run.
//!
//! No network and no second node share the cores here, so this isolates the node's own work in
//! a catch-up (decode, signature, trust, durable store) from fetching. The records are real case
//! studies from the Public Sector Tech Watch export (`../shared/data/pstw/`, read in place),
//! signed by one member's key. Run with `cargo bench -p mosaico-e2e --bench ingest`.

use std::sync::Arc;
use std::time::Instant;

use mosaico_node::federation_file;
use mosaico_node::ingest::{Ingest, IngestOutcome, Origin};
use mosaico_node::store::{RecordStore, SledStore};
use mosaico_protocol::draft::Draft;
use mosaico_protocol::fields::Member;
use mosaico_protocol::{Record, SecretKey, Unverified, Verified};
use serde_json::json;

// The node's allocator, so that allocation costs what it costs in the node.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const RECORDS: usize = 30_000;
/// What a catch-up fetch carries at most.
const BATCH: usize = 1_024;

fn per_record(what: &str, records: usize, started: Instant, bare_us: f64) -> f64 {
    let us = started.elapsed().as_secs_f64() * 1e6 / records as f64;
    println!(
        "  {what:<58} {us:>7.1} µs/record  {:>6.0} /s  {:>5.2} × bare",
        1e6 / us,
        us / bare_us
    );
    us
}

fn main() {
    let secret = SecretKey::from_bytes(*b"mosaico ingest benchmark key 32b");
    let now = mosaico_node::clock::now_millis();
    let genesis = federation_file::genesis(
        "bench",
        vec![Member {
            name: "Emilia-Romagna".into(),
            key: secret.public_key(),
            country: Some("IT".into()),
            nuts: Some("ITH5".into()),
        }],
        1,
        now - 400 * 24 * 3600 * 1000,
        Some(&secret),
    )
    .expect("genesis");
    let cases = mosaico_e2e::pstw_drafts();
    let start = now - 365 * 24 * 3600 * 1000;
    let records: Vec<Record<Verified>> = (0..RECORDS)
        .map(|i| {
            let mut draft = cases[i % cases.len()].clone();
            draft["slug"] = json!(format!("case-{i}"));
            let unsigned = Draft::from_value(draft)
                .expect("draft")
                .into_unsigned(secret.public_key(), 1, start + i as u64 * 300)
                .expect("unsigned");
            Record::sign(unsigned, &secret).expect("signed")
        })
        .collect();
    let wires: Vec<Vec<u8>> = records.iter().map(Record::to_wire).collect();
    let wire_bytes: usize = wires.iter().map(Vec::len).sum();
    println!(
        "{RECORDS} real case studies, {:.0} bytes each in wire form",
        wire_bytes as f64 / RECORDS as f64
    );

    println!("one core:");
    let bare_us = mosaico_e2e::bare_verify_micros(&records);
    println!(
        "  {:<58} {bare_us:>7.1} µs/record  {:>6.0} /s",
        "bare Ed25519 verify_strict, keys decompressed (reference)",
        1e6 / bare_us
    );

    let started = Instant::now();
    let decoded: Vec<Record<Unverified>> = wires
        .iter()
        .map(|w| Record::<Unverified>::decode(w).expect("decodes"))
        .collect();
    per_record(
        "decode (strict JSON, canonical form, id, every field rule)",
        RECORDS,
        started,
        bare_us,
    );

    let started = Instant::now();
    let verified: Vec<Record<Verified>> = decoded
        .into_iter()
        .map(|r| r.verify(now).expect("verifies"))
        .collect();
    per_record(
        "verify a decoded record (signature, signers, time)",
        RECORDS,
        started,
        bare_us,
    );

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let started = Instant::now();
    std::thread::scope(|scope| {
        for part in wires.chunks(RECORDS.div_ceil(cores)) {
            scope.spawn(move || {
                for wire in part {
                    let record = Record::<Unverified>::decode(wire).expect("decodes");
                    record.verify(now).expect("verifies");
                }
            });
        }
    });
    per_record(
        &format!("decode and verify on {cores} cores, wall time"),
        RECORDS,
        started,
        bare_us,
    );

    for batch in [BATCH, 128] {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SledStore::open(&dir.path().join("store")).expect("store");
        let started = Instant::now();
        for chunk in verified.chunks(batch) {
            store.insert_batch(chunk).expect("insert");
        }
        per_record(
            &format!("store, batches of {batch}, one flush each"),
            RECORDS,
            started,
            bare_us,
        );
    }

    println!("the whole door, as a catch-up uses it (signatures on every core):");
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(SledStore::open(&dir.path().join("store")).expect("store"));
    store.insert(&genesis).expect("genesis");
    let ingest = Ingest::new(Arc::clone(&store), &genesis).expect("ingest");
    let started = Instant::now();
    for chunk in wires.chunks(BATCH) {
        let outcomes = ingest.ingest_batch(chunk, Origin::Sync, now);
        assert!(
            outcomes
                .iter()
                .all(|o| matches!(o, IngestOutcome::Stored { .. })),
            "every record is stored"
        );
    }
    let us = per_record("ingest_batch", RECORDS, started, bare_us);
    assert_eq!(store.len().expect("count"), RECORDS as u64 + 1);
    println!(
        "ingest rate {:.0} records/s = {:.0}% of bare verification on one core",
        1e6 / us,
        100.0 * bare_us / us
    );
}
