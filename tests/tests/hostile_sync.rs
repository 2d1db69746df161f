//! Peers that answer catch-up with garbage, forged records or oversized responses are dropped,
//! and the honest peer still brings the node up to date.

use mosaico_e2e::{Federation, PATIENCE, mosaico_ok, wait_for};
use mosaico_node::network::{self, NetworkConfig, NetworkEvent};
use mosaico_protocol::draft::Draft;
use mosaico_protocol::replication::respond_to_reconcile;
use mosaico_protocol::sync::{SyncRequest, SyncResponse};
use mosaico_protocol::{Record, RecordId, SecretKey};
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug)]
enum Hostility {
    Garbage,
    Forged,
    Oversized,
}

/// What a hostile peer answers to a sync request.
fn answer(
    hostility: Hostility,
    request: &[u8],
    forged: &[Vec<u8>],
    forged_items: &[(u64, RecordId)],
) -> Vec<u8> {
    match (hostility, SyncRequest::decode(request)) {
        (Hostility::Garbage, _) => b"\xde\xad\xbe\xef not a sync message".to_vec(),
        (Hostility::Oversized, _) => vec![7; 9 * 1024 * 1024],
        (Hostility::Forged, Ok(SyncRequest::Reconcile { frame })) => {
            // Announce records the node lacks, so that it asks for them.
            let frame = respond_to_reconcile(forged_items, &frame).expect("reconcile");
            SyncResponse::Reconcile { frame }.encode()
        }
        (Hostility::Forged, _) => SyncResponse::Records {
            records: forged.to_vec(),
        }
        .encode(),
    }
}

fn metric(url: &str, needle: &str) -> u64 {
    let text = reqwest::blocking::get(url)
        .and_then(|r| r.text())
        .unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(needle))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn hostile_sync_peers_are_dropped_and_honest_peers_still_bring_the_node_up_to_date() {
    let mut federation = Federation::new(2, 0);
    federation.start(0);
    let client = reqwest::blocking::Client::new();
    let ids: Vec<String> = (0..50)
        .map(|i| {
            let draft = json!({"kind": "solution", "slug": format!("honest-{i}"), "title": {"en": format!("Honest {i}")},
                "summary": {"en": "S"}, "organisation": "Emilia-Romagna", "country": "IT"});
            let response = client
                .post(federation.regions[0].url("/api/v1/records"))
                .bearer_auth(federation.regions[0].token())
                .json(&draft)
                .send()
                .expect("node answers");
            response.json::<Value>().expect("json")["id"].as_str().expect("id").to_owned()
        })
        .collect();

    // Records signed by a key outside the federation, which a hostile peer offers through sync.
    let outsider = SecretKey::from_bytes([66; 32]);
    let forged: Vec<Vec<u8>> = (0..5)
        .map(|i| {
            let draft = Draft::from_value(json!({"kind": "solution", "slug": format!("forged-{i}"),
                "title": {"en": "Forged"}, "summary": {"en": "S"}, "organisation": "O", "country": "IT"}))
            .expect("draft");
            let unsigned = draft.into_unsigned(outsider.public_key(), 1, mosaico_node::node::now_millis()).expect("unsigned");
            Record::sign(unsigned, &outsider).expect("signed").to_wire()
        })
        .collect();
    let forged_items: Vec<(u64, RecordId)> = forged
        .iter()
        .map(|wire| {
            let record = mosaico_protocol::Record::<mosaico_protocol::Unverified>::decode(wire)
                .expect("decode");
            (record.header().created_at, record.id())
        })
        .collect();

    let show = mosaico_ok(&[
        "federation",
        "show",
        "--json",
        federation.genesis.to_str().expect("path"),
    ]);
    let federation_id = serde_json::from_str::<Value>(&show).expect("json")["federation_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut hostile_addrs = Vec::new();
    let mut handles = Vec::new();
    for hostility in [Hostility::Garbage, Hostility::Forged, Hostility::Oversized] {
        let (forged, forged_items, federation_id) =
            (forged.clone(), forged_items.clone(), federation_id.clone());
        let (handle, addr) = runtime.block_on(async move {
            let mut config =
                NetworkConfig::new(libp2p::identity::Keypair::generate_ed25519(), federation_id);
            config.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().expect("addr")];
            config.kademlia = false;
            config.sync_max_response_bytes = 16 * 1024 * 1024;
            let mut registry = prometheus_client::registry::Registry::default();
            let (handle, mut events, _task) =
                network::spawn(config, &mut registry).expect("hostile peer starts");
            let addr = loop {
                match events.recv().await {
                    Some(NetworkEvent::ListenAddr(addr)) => break addr,
                    Some(_) => {}
                    None => panic!("hostile peer stopped"),
                }
            };
            tokio::spawn(async move {
                while let Some(event) = events.recv().await {
                    if let NetworkEvent::SyncRequest { request, reply, .. } = event {
                        let _ = reply.send(answer(hostility, &request, &forged, &forged_items));
                    }
                }
            });
            let addr = format!("{addr}/p2p/{}", handle.local_peer_id());
            (handle, addr)
        });
        hostile_addrs.push(addr);
        handles.push(handle);
    }

    let honest = federation.regions[0].multiaddr();
    federation.regions[1].peers = hostile_addrs;
    federation.regions[1].peers.push(honest);
    federation.start(1);
    let node = &federation.regions[1];
    wait_for("the node to hold every honest record", PATIENCE, || {
        ids.iter().all(|id| node.has_record(id)).then_some(())
    });
    let misbehaved = "mosaico_sync_rounds_total{result=\"misbehaved\"} ";
    wait_for(
        "all three hostile peers judged misbehaving",
        PATIENCE,
        || (metric(&node.url("/metrics"), misbehaved) >= 3).then_some(()),
    );
    for wire in &forged {
        let id = mosaico_protocol::Record::<mosaico_protocol::Unverified>::decode(wire)
            .expect("decode")
            .id();
        assert!(!node.has_record(&id.to_hex()), "a forged record was stored");
    }
    // Dropped: the hostile peers are no longer connected.
    wait_for("the hostile peers to be disconnected", PATIENCE, || {
        let (_, peers) = node.get("/api/v1/peers");
        let connected: Vec<String> = peers
            .as_array()
            .map(|list| {
                list.iter()
                    .filter(|p| p["connected"] == json!(true))
                    .filter_map(|p| p["peer_id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        handles
            .iter()
            .all(|h| !connected.contains(&h.local_peer_id().to_string()))
            .then_some(())
    });
    runtime.block_on(async {
        for handle in handles {
            handle.shutdown().await;
        }
    });
}
