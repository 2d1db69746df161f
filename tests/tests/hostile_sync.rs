//! Peers that answer catch-up with garbage, forged records or oversized responses are dropped,
//! and the honest peer still brings the node up to date.

use std::sync::{Arc, Mutex};

use libp2p::PeerId;
use mosaico_e2e::{Federation, PATIENCE, Region, mosaico_ok, wait_for};
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

/// What a hostile peer saw of the node, from its own network events: the proof that it was
/// connected and asked, so that a peer that never took part cannot pass for a dropped one.
#[derive(Debug, Default)]
struct Seen {
    /// Members that connected to it (identify confirmed the federation).
    connected: Vec<PeerId>,
    /// Who sent it sync requests, one entry per request.
    asked_by: Vec<PeerId>,
}

/// One hostile peer and what it saw.
struct HostilePeer {
    hostility: Hostility,
    handle: network::NetworkHandle,
    seen: Arc<Mutex<Seen>>,
}

/// The node's catch-up state for `peer` from `/api/v1/status`, if it has one.
fn sync_state(node: &Region, peer: &str) -> Option<Value> {
    let (status, body) = node.get("/api/v1/status");
    assert_eq!(status, 200, "{}: /api/v1/status answered {body}", node.name);
    body["sync"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: status has no sync list: {body}", node.name))
        .iter()
        .find(|entry| entry["peer_id"] == peer)
        .cloned()
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
            let unsigned = draft.into_unsigned(outsider.public_key(), 1, mosaico_node::clock::now_millis()).expect("unsigned");
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
    let mut hostile = Vec::new();
    for hostility in [Hostility::Garbage, Hostility::Forged, Hostility::Oversized] {
        let (forged, forged_items, federation_id) =
            (forged.clone(), forged_items.clone(), federation_id.clone());
        let seen = Arc::new(Mutex::new(Seen::default()));
        let witness = Arc::clone(&seen);
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
                    match event {
                        NetworkEvent::PeerConnected { peer, .. } => {
                            witness.lock().expect("lock").connected.push(peer);
                        }
                        NetworkEvent::SyncRequest {
                            peer,
                            request,
                            reply,
                        } => {
                            witness.lock().expect("lock").asked_by.push(peer);
                            // The node may have given up on the request already; nothing to do.
                            let _ = reply.send(answer(hostility, &request, &forged, &forged_items));
                        }
                        _ => {}
                    }
                }
            });
            let addr = format!("{addr}/p2p/{}", handle.local_peer_id());
            (handle, addr)
        });
        hostile_addrs.push(addr);
        hostile.push(HostilePeer {
            hostility,
            handle,
            seen,
        });
    }

    let honest = federation.regions[0].multiaddr();
    federation.regions[1].peers = hostile_addrs;
    federation.regions[1].peers.push(honest);
    federation.start(1);
    let node = &federation.regions[1];
    wait_for("the node to hold every honest record", PATIENCE, || {
        ids.iter().all(|id| node.has_record(id)).then_some(())
    });
    let (status, own) = node.get("/api/v1/status");
    assert_eq!(status, 200, "{own}");
    let node_id: PeerId = own["peer_id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("status has no peer id: {own}"));

    // Each hostile peer on its own: it was connected to the node and asked by it, the node
    // judged that peer (by its id) misbehaving, and the node's catch-up state for it shows a
    // round that failed and brought nothing. A total over all peers could be met by one peer
    // judged three times while another never connected.
    for peer in &hostile {
        let peer_id = peer.handle.local_peer_id().to_string();
        let what = format!("{:?} peer {peer_id}", peer.hostility);
        wait_for(
            &format!("the {what} to be connected to and asked by the node"),
            PATIENCE,
            || {
                let seen = peer.seen.lock().expect("lock");
                (seen.connected.contains(&node_id) && seen.asked_by.contains(&node_id))
                    .then_some(())
            },
        );
        wait_for(
            &format!("the node to judge the {what} misbehaving"),
            PATIENCE,
            || {
                node.log()
                    .lines()
                    .any(|line| line.contains("penalising it") && line.contains(&peer_id))
                    .then_some(())
            },
        );
        let state = wait_for(
            &format!("the node's catch-up state to count the {what}'s failed round"),
            PATIENCE,
            || sync_state(node, &peer_id).filter(|s| s["failures"].as_u64() >= Some(1)),
        );
        assert_eq!(
            state["total_fetched"].as_u64(),
            Some(0),
            "nothing came from the {what}: {state}"
        );
        assert!(
            state.get("last_sync_at").is_none(),
            "no round with the {what} completed: {state}"
        );
    }
    // And the rounds were counted as misbehaviour, not as ordinary failures.
    assert!(
        node.metrics()
            .counter("mosaico_sync_rounds_total{result=\"misbehaved\"}")
            >= 3,
        "three misbehaved rounds"
    );
    for wire in &forged {
        let id = mosaico_protocol::Record::<mosaico_protocol::Unverified>::decode(wire)
            .expect("decode")
            .id();
        assert!(!node.has_record(&id.to_hex()), "a forged record was stored");
    }
    // Dropped: the hostile peers are no longer connected, the honest one is.
    let honest_id = federation.regions[0].get("/api/v1/status").1["peer_id"]
        .as_str()
        .expect("the honest node's peer id")
        .to_owned();
    wait_for("the hostile peers to be disconnected", PATIENCE, || {
        let (status, peers) = node.get("/api/v1/peers");
        assert_eq!(status, 200, "/api/v1/peers answered {peers}");
        let list = peers
            .as_array()
            .unwrap_or_else(|| panic!("/api/v1/peers is not a list: {peers}"));
        let connected: Vec<&str> = list
            .iter()
            .filter(|p| p["connected"] == json!(true))
            .map(|p| {
                p["peer_id"]
                    .as_str()
                    .unwrap_or_else(|| panic!("a peer without an id: {p}"))
            })
            .collect();
        // The honest peer stays: a list emptied by some other failure would prove nothing.
        (connected == [honest_id.as_str()]).then_some(())
    });
    runtime.block_on(async {
        for peer in hostile {
            peer.handle.shutdown().await;
        }
    });
}
