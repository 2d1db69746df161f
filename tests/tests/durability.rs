//! Durability: an acknowledged publish survives `kill -9`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use mosaico_e2e::{Federation, PATIENCE, wait_for};
use serde_json::json;

const BURST: usize = 5000;
const WRITERS: usize = 4;

/// A node is killed with SIGKILL in the middle of a burst of 5,000 publishes from four writers.
/// After restart, every publish that was acknowledged (201) is served, and the store opens
/// cleanly.
#[test]
fn acknowledged_publishes_survive_kill_9() {
    let mut federation = Federation::new(1, 0);
    federation.start(0);
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let base = federation.regions[0].url("/api/v1/records");
    let token = federation.regions[0].token();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let acknowledged = Arc::clone(&acknowledged);
            let stop = Arc::clone(&stop);
            let (base, token) = (base.clone(), token.clone());
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::new();
                for i in (w..BURST).step_by(WRITERS) {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let draft = json!({
                        "kind": "best_practice", "slug": format!("burst-{i}"),
                        "title": {"en": format!("Practice {i}")}, "summary": {"en": "Burst."},
                        "organisation": "Emilia-Romagna", "country": "IT"
                    });
                    let Ok(response) = client.post(&base).bearer_auth(&token).json(&draft).send()
                    else {
                        break; // the node was killed
                    };
                    // Every answer before the kill is an acknowledgement: a refusal would
                    // shrink the set whose survival is checked, and hide a loss.
                    let status = response.status().as_u16();
                    assert_eq!(status, 201, "publish {i} answered {status}");
                    let Ok(body) = response.json::<serde_json::Value>() else {
                        break; // killed between the status and the body
                    };
                    let id = body["id"].as_str().unwrap_or_else(|| {
                        panic!("publish {i} answered 201 without an id: {body}")
                    });
                    acknowledged.lock().expect("lock").push(id.to_owned());
                }
            })
        })
        .collect();
    // Kill once a good part of the burst is acknowledged, while writers are still sending.
    wait_for("1,500 acknowledged publishes", PATIENCE * 5, || {
        (acknowledged.lock().expect("lock").len() >= 1500).then_some(())
    });
    federation.regions[0].kill9();
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.join().expect("writer thread");
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(
        acknowledged.len() >= 1500 && acknowledged.len() < BURST,
        "killed mid-burst: {}",
        acknowledged.len()
    );

    federation.start(0);
    let region = &federation.regions[0];
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !region.has_record(id))
        .collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged records lost, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    let (status, body) = region.get("/api/v1/status");
    assert_eq!(status, 200);
    let stored = body["record_count"].as_u64().expect("record count");
    // The genesis plus every acknowledged record; at most the few in flight at the kill on top.
    assert!(
        stored > acknowledged.len() as u64,
        "{stored} records after restart"
    );
    assert!(
        stored <= acknowledged.len() as u64 + 1 + WRITERS as u64,
        "{stored} records after restart"
    );
}
