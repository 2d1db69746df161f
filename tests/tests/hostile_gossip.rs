//! Records that must never be stored, sent into the network by a test peer that speaks the real
//! gossip protocol (the node's own network layer, driven directly).

use std::time::Duration;

use mosaico_e2e::{
    Federation, PATIENCE, Region, case_study_yaml, mosaico_ok, publish_file, wait_for,
};
use mosaico_node::network::{self, NetworkConfig, NetworkHandle, PublishOutcome};
use mosaico_protocol::canonical::canonical_bytes;
use mosaico_protocol::draft::Draft;
use mosaico_protocol::{Record, RecordId, SecretKey};
use serde_json::{Value, json};

fn draft(slug: &str, title: &str) -> Draft {
    Draft::from_value(json!({
        "kind": "case_study", "slug": slug, "title": {"it": title}, "summary": {"it": "Sintesi"},
        "organisation": "Regione Emilia-Romagna", "country": "IT"
    }))
    .expect("valid draft")
}

fn now() -> u64 {
    mosaico_node::clock::now_millis()
}

fn metric(region: &Region, outcome: &str) -> u64 {
    region.metrics().counter(&format!(
        "mosaico_records_ingested_total{{origin=\"gossip\",outcome=\"{outcome}\"}}"
    ))
}

/// Starts a fresh test peer dialling `node`, and gossips one message from it once the node is
/// subscribed. The peer is returned alive: shutting it down right after a publish could close
/// the connection before the message is written.
async fn gossip_from_fresh_peer(
    federation_id: &str,
    node: &str,
    id: [u8; 32],
    bytes: Vec<u8>,
) -> NetworkHandle {
    let mut config = NetworkConfig::new(
        libp2p::identity::Keypair::generate_ed25519(),
        federation_id.to_owned(),
    );
    config.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().expect("addr")];
    config.peers = vec![node.parse().expect("addr")];
    config.kademlia = false;
    let mut registry = prometheus_client::registry::Registry::default();
    let (handle, mut events, _task) =
        network::spawn(config, &mut registry).expect("test peer starts");
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    // Publishing before the node is subscribed gives NoPeers; retry until it goes out.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        match handle.publish(id, bytes.clone()).await {
            Ok(PublishOutcome::Published) => break,
            _ if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            other => panic!("test peer could not gossip: {other:?}"),
        }
    }
    handle
}

#[test]
fn forged_tampered_oversized_and_stale_records_are_never_stored_or_forwarded() {
    let mut federation = Federation::new(2, 0);
    federation.start(0);
    let first = federation.regions[0].multiaddr();
    federation.regions[1].peers.push(first.clone());
    federation.start(1);

    // Two versions of a real record, published normally.
    let v1 = publish_file(
        &federation.regions[0],
        &federation.draft_file("v1.yaml", &case_study_yaml("stale", "Versione uno")),
    );
    let v2 = publish_file(
        &federation.regions[0],
        &federation.draft_file("v2.yaml", &case_study_yaml("stale", "Versione due")),
    );
    for region in &federation.regions {
        wait_for("both versions everywhere", PATIENCE, || {
            (region.has_record(&v1) && region.has_record(&v2)).then_some(())
        });
    }

    let author = SecretKey::from_hex(
        &std::fs::read_to_string(federation.regions[0].data.join("publisher.key")).expect("key"),
    )
    .expect("publisher key");
    let outsider = SecretKey::from_bytes([42; 32]);
    let forged = Record::sign(
        draft("outsider", "Non membro")
            .into_unsigned(outsider.public_key(), 1, now())
            .expect("unsigned"),
        &outsider,
    )
    .expect("signed");
    let genuine = Record::sign(
        draft("tamper", "Originale")
            .into_unsigned(author.public_key(), 1, now())
            .expect("unsigned"),
        &author,
    )
    .expect("signed");
    let mut tampered: Value = serde_json::from_slice(&genuine.to_wire()).expect("json");
    tampered["record"]["title"]["it"] = json!("Manomesso");
    // The attacker announces the id of the altered record, so only the signature can catch it.
    let tampered_id = RecordId::of_canonical(&canonical_bytes(&tampered["record"]));
    let tampered = serde_json::to_vec(&tampered).expect("json");
    let oversized_draft = Draft::from_value(json!({
        "kind": "case_study", "slug": "huge", "title": {"it": "Enorme"}, "summary": {"it": "S"},
        "organisation": "O", "country": "IT",
        "description": {"it": "x".repeat(19_000), "en": "y".repeat(19_000), "fr": "z".repeat(19_000)}
    }))
    .expect("draft");
    let mut oversized: Value = oversized_draft
        .into_unsigned(author.public_key(), 1, now())
        .expect("unsigned");
    // Each field within its limit, the whole over 64 KiB in canonical form.
    oversized["x_padding"] = json!("p".repeat(9_000));
    let oversized =
        serde_json::to_vec(&json!({"record": oversized, "signatures": []})).expect("json");
    // An older version of an existing record, properly signed by its author, arriving after v2.
    let stale = Record::sign(
        draft("stale", "Versione uno bis")
            .into_unsigned(author.public_key(), 1, now())
            .expect("unsigned"),
        &author,
    )
    .expect("signed");

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
    let (ids, mut test_peers): (Vec<String>, Vec<_>) = runtime.block_on(async {
        let messages: Vec<(String, [u8; 32], Vec<u8>)> = vec![
            (
                forged.id().to_hex(),
                *forged.id().as_bytes(),
                forged.to_wire(),
            ),
            (tampered_id.to_hex(), *tampered_id.as_bytes(), tampered),
            ("0".repeat(64), [0; 32], oversized),
            (stale.id().to_hex(), *stale.id().as_bytes(), stale.to_wire()),
        ];
        let mut peers = Vec::new();
        // One fresh test peer per message: a peer that sends one invalid record is already
        // scored below the gossip threshold, and would not be heard for the next.
        for (_, id, bytes) in &messages {
            peers.push(gossip_from_fresh_peer(&federation_id, &first, *id, bytes.clone()).await);
        }
        (messages.into_iter().map(|(id, ..)| id).collect(), peers)
    });

    let target = &federation.regions[0];
    wait_for("the node to judge all four messages", PATIENCE, || {
        let judged = metric(target, "not_authorised")
            + metric(target, "bad_signature")
            + metric(target, "too_large")
            + metric(target, "not_new");
        (judged >= 4).then_some(())
    });
    assert_eq!(metric(target, "not_authorised"), 1, "outsider");
    assert_eq!(metric(target, "bad_signature"), 1, "tampered");
    assert!(metric(target, "too_large") >= 1, "oversized");

    // The evidence that nothing bad was forwarded: a good record gossiped the same way after
    // them, which the first node judged after them and forwards on the same connection, reaches
    // the second node. Whatever the first node had forwarded before it would be there by now.
    let later = Record::sign(
        draft("later", "Arrivato dopo")
            .into_unsigned(author.public_key(), 1, now())
            .expect("unsigned"),
        &author,
    )
    .expect("signed");
    let later_id = later.id().to_hex();
    let second = &federation.regions[1];
    let gossiped_before = metric(second, "stored");
    test_peers.push(runtime.block_on(gossip_from_fresh_peer(
        &federation_id,
        &first,
        *later.id().as_bytes(),
        later.to_wire(),
    )));
    wait_for(
        "the first node to hold the good record sent last",
        PATIENCE,
        || federation.regions[0].has_record(&later_id).then_some(()),
    );
    // By gossip, not by a catch-up round: only forwarding shows what the first node forwards.
    wait_for(
        "the second node to store the good record from gossip",
        PATIENCE,
        || {
            (second.has_record(&later_id) && metric(second, "stored") > gossiped_before)
                .then_some(())
        },
    );
    for region in &federation.regions {
        for id in &ids {
            assert!(!region.has_record(id), "{} stored {id}", region.name);
        }
        assert!(region.search("Manomesso").is_empty());
        let head_path = format!("/api/v1/records/{}/case_study/stale", author.public_key());
        let (status, head) = region.get(&head_path);
        assert_eq!(
            status, 200,
            "{}: GET {head_path} answered {head}",
            region.name
        );
        assert_eq!(
            head["id"],
            v2.as_str(),
            "{}: the head stays version 2",
            region.name
        );
    }
    // The second node never saw them: the first did not forward what it refused.
    for outcome in ["bad_signature", "not_authorised", "too_large"] {
        assert_eq!(metric(second, outcome), 0, "{outcome} on the second node");
    }
    runtime.block_on(async {
        for peer in test_peers {
            peer.shutdown().await;
        }
    });
}
