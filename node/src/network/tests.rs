//! End-to-end tests of the network layer: real swarms on 127.0.0.1 with OS-assigned ports.
//!
//! Every wait is a bounded `timeout` around a receive or poll loop; nothing sleeps to guess
//! readiness. That something did *not* happen is shown by positive evidence, not by a quiet
//! window: a later event that would have come after it arrives, and it is still absent.

use std::{future::Future, time::Duration};

use libp2p::{Multiaddr, PeerId, identity::Keypair, multiaddr::Protocol};
use prometheus_client::registry::Registry;
use tokio::{sync::mpsc, task::JoinHandle, time::timeout};

use super::*;

const FEDERATION: &str = "ab12cd34";
const OTHER_FEDERATION: &str = "ffee0011";
/// Generous, because CI machines have two cores and compile in parallel.
const WAIT: Duration = Duration::from_secs(20);

struct TestNode {
    handle: NetworkHandle,
    events: mpsc::Receiver<NetworkEvent>,
    task: JoinHandle<()>,
    /// The listen address with the `/p2p/` suffix, ready to be a configured peer.
    addr: Multiaddr,
    peer: PeerId,
    registry: Registry,
}

fn config(federation: &str) -> NetworkConfig {
    let mut config = NetworkConfig::new(Keypair::generate_ed25519(), federation);
    config.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().expect("valid multiaddr")];
    config.reconnect_initial_delay = Duration::from_millis(200);
    config.reconnect_max_delay = Duration::from_secs(2);
    config
}

async fn start(config: NetworkConfig) -> TestNode {
    let mut registry = Registry::default();
    let (handle, mut events, task) = spawn(config, &mut registry).expect("network starts");
    let peer = handle.local_peer_id();
    let listen = next_event(&mut events, "a listen address", |event| match event {
        NetworkEvent::ListenAddr(addr) => Some(addr),
        _ => None,
    })
    .await;
    TestNode {
        handle,
        events,
        task,
        addr: listen.with(Protocol::P2p(peer)),
        peer,
        registry,
    }
}

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    timeout(WAIT, future)
        .await
        .unwrap_or_else(|_| panic!("timed out after {WAIT:?} waiting for {what}"))
}

/// Reads events until `pick` returns something, discarding the others.
async fn next_event<T>(
    events: &mut mpsc::Receiver<NetworkEvent>,
    what: &str,
    mut pick: impl FnMut(NetworkEvent) -> Option<T>,
) -> T {
    within(what, async {
        loop {
            let event = events.recv().await.expect("network task is running");
            if let Some(found) = pick(event) {
                return found;
            }
        }
    })
    .await
}

/// Polls `handle.peers()` until `condition` holds.
async fn until_peers(handle: &NetworkHandle, what: &str, condition: impl Fn(&[PeerInfo]) -> bool) {
    within(what, async {
        loop {
            let peers = handle.peers().await.expect("network task is running");
            if condition(&peers) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
}

fn subscribed(peers: &[PeerInfo], peer: PeerId) -> bool {
    peers
        .iter()
        .any(|info| info.peer_id == peer && info.gossip_subscribed)
}

/// Waits for the next gossip message and returns its record id and propagation source.
async fn next_gossip(events: &mut mpsc::Receiver<NetworkEvent>) -> ([u8; RECORD_ID_LEN], PeerId) {
    next_event(events, "a gossip message", |e| match e {
        NetworkEvent::GossipReceived {
            record_id,
            propagation_source,
            ..
        } => Some((record_id, propagation_source)),
        _ => None,
    })
    .await
}

fn record_id(n: u8) -> [u8; RECORD_ID_LEN] {
    [n; RECORD_ID_LEN]
}

/// Answers every sync request on `events` with `answer(request)`, until the channel closes.
fn serve_sync(
    mut events: mpsc::Receiver<NetworkEvent>,
    answer: impl Fn(Vec<u8>) -> Option<Vec<u8>> + Send + 'static,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if let NetworkEvent::SyncRequest { request, reply, .. } = event
                && let Some(response) = answer(request)
            {
                let _ = reply.send(response);
            }
        }
    })
}

async fn stop(node: TestNode) {
    node.handle.shutdown().await;
    within("the network task to stop", node.task)
        .await
        .expect("network task does not panic");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gossip_published_on_one_node_reaches_the_others() {
    let mut hub = start(config(FEDERATION)).await;
    let mut spokes = Vec::new();
    for _ in 0..2 {
        let mut spoke_config = config(FEDERATION);
        spoke_config.peers = vec![hub.addr.clone()];
        spokes.push(start(spoke_config).await);
    }
    let spoke_ids: Vec<PeerId> = spokes.iter().map(|s| s.peer).collect();
    until_peers(&hub.handle, "both spokes to subscribe", |peers| {
        spoke_ids.iter().all(|id| subscribed(peers, *id))
    })
    .await;

    let outcome = hub
        .handle
        .publish(record_id(1), b"a case study".to_vec())
        .await
        .expect("publish succeeds");
    assert_eq!(outcome, PublishOutcome::Published);

    for spoke in &mut spokes {
        let (id, source, record) =
            next_event(&mut spoke.events, "the gossip message", |e| match e {
                NetworkEvent::GossipReceived {
                    record_id,
                    propagation_source,
                    record,
                } => Some((record_id, propagation_source, record)),
                _ => None,
            })
            .await;
        assert_eq!(id, record_id(1));
        assert_eq!(source, hub.peer);
        assert_eq!(record, b"a case study".to_vec());
        spoke
            .handle
            .report_validation(id, source, GossipValidation::Accept)
            .await
            .expect("network task is running");
    }

    // The hub's own events must say the spokes connected as members.
    let mut connected = Vec::new();
    while connected.len() < 2 {
        let peer = next_event(&mut hub.events, "member connections", |e| match e {
            NetworkEvent::PeerConnected { peer, .. } => Some(peer),
            _ => None,
        })
        .await;
        connected.push(peer);
    }
    connected.sort();
    let mut expected = spoke_ids.clone();
    expected.sort();
    assert_eq!(connected, expected);

    for spoke in spokes {
        stop(spoke).await;
    }
    stop(hub).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_message_is_not_forwarded_but_accepted_one_is() {
    // A line a - b - c: c can only hear from a through b. Kademlia is off so c cannot
    // discover a and connect to it directly.
    let line_config = || {
        let mut c = config(FEDERATION);
        c.kademlia = false;
        c
    };
    let mut b = start(line_config()).await;
    let mut a_config = line_config();
    a_config.peers = vec![b.addr.clone()];
    let a = start(a_config).await;
    let mut c_config = line_config();
    c_config.peers = vec![b.addr.clone()];
    let mut c = start(c_config).await;
    // Configured peering is symmetric in a real federation; b lists both neighbours.
    b.handle
        .add_configured_peer(a.addr.clone())
        .await
        .expect("valid peer");
    b.handle
        .add_configured_peer(c.addr.clone())
        .await
        .expect("valid peer");
    until_peers(&b.handle, "a and c to subscribe at b", |peers| {
        subscribed(peers, a.peer) && subscribed(peers, c.peer)
    })
    .await;
    until_peers(&a.handle, "b to subscribe at a", |peers| {
        subscribed(peers, b.peer)
    })
    .await;
    until_peers(&c.handle, "b to subscribe at c", |peers| {
        subscribed(peers, b.peer)
    })
    .await;
    let a_peers = a.handle.peers().await.expect("running");
    assert!(
        a_peers.iter().all(|info| info.peer_id != c.peer),
        "a and c must not be connected"
    );

    // First message: b holds it, then rejects it. (Had b forwarded it before validating, it
    // would be the first message c sees below.)
    a.handle
        .publish(record_id(1), b"forged".to_vec())
        .await
        .expect("publish succeeds");
    let (id, source) = next_gossip(&mut b.events).await;
    assert_eq!((id, source), (record_id(1), a.peer));
    b.handle
        .report_validation(id, source, GossipValidation::Reject)
        .await
        .expect("running");

    // Second message: b accepts it, so it reaches c. Gossip keeps order along the line, so
    // if the rejected message had been forwarded it would arrive at c first.
    a.handle
        .publish(record_id(2), b"genuine".to_vec())
        .await
        .expect("publish succeeds");
    let (id, source) = next_gossip(&mut b.events).await;
    assert_eq!((id, source), (record_id(2), a.peer));
    b.handle
        .report_validation(id, source, GossipValidation::Accept)
        .await
        .expect("running");
    let (id, source) = next_gossip(&mut c.events).await;
    assert_eq!(id, record_id(2), "c must never see the rejected message");
    assert_eq!(source, b.peer);
    c.handle
        .report_validation(id, source, GossipValidation::Accept)
        .await
        .expect("running");
    // A third message proves the line still works: it is the next thing c sees, so neither the
    // rejected message nor a second copy of the accepted one came in between.
    a.handle
        .publish(record_id(3), b"also genuine".to_vec())
        .await
        .expect("publish succeeds");
    let (id, source) = next_gossip(&mut b.events).await;
    assert_eq!((id, source), (record_id(3), a.peer));
    b.handle
        .report_validation(id, source, GossipValidation::Accept)
        .await
        .expect("running");
    let (id, _) = next_gossip(&mut c.events).await;
    assert_eq!(id, record_id(3), "c got a message it should not have");

    // Rejecting lowered a's standing at b.
    let b_peers = b.handle.peers().await.expect("running");
    let a_score = b_peers
        .iter()
        .find(|info| info.peer_id == a.peer)
        .and_then(|info| info.gossip_score)
        .expect("b scores a");
    assert!(a_score < 0.0, "a's score at b is {a_score}");

    stop(a).await;
    stop(b).await;
    stop(c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_request_gets_the_peers_response() {
    let server = start(config(FEDERATION)).await;
    let mut client_config = config(FEDERATION);
    client_config.peers = vec![server.addr.clone()];
    let mut client = start(client_config).await;
    next_event(&mut client.events, "the server to connect", |e| match e {
        NetworkEvent::PeerConnected { peer, .. } if peer == server.peer => Some(()),
        _ => None,
    })
    .await;

    let TestNode {
        handle: server_handle,
        events: server_events,
        task: server_task,
        peer: server_peer,
        ..
    } = server;
    let responder = serve_sync(server_events, |request| {
        let mut response = b"echo:".to_vec();
        response.extend(request);
        Some(response)
    });

    let response = within(
        "the sync response",
        client.handle.sync_request(server_peer, b"ranges".to_vec()),
    )
    .await
    .expect("sync succeeds");
    assert_eq!(response, b"echo:ranges".to_vec());

    let limit = mosaico_protocol::sync::MAX_REQUEST_BYTES;
    let oversized = client
        .handle
        .sync_request(server_peer, vec![0u8; limit + 1])
        .await;
    assert!(
        matches!(oversized, Err(NetworkError::SyncRequestTooLarge { limit: refused_at, .. }) if refused_at == limit),
        "got {oversized:?}"
    );

    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &client.registry).expect("metrics encode");
    assert!(text.contains("network_connected_peers 1"), "{text}");
    assert!(
        text.contains("libp2p_swarm_connections_established"),
        "{text}"
    );

    server_handle.shutdown().await;
    within("the server to stop", server_task)
        .await
        .expect("no panic");
    responder.abort();
    stop(client).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_response_over_the_limit_is_a_typed_error() {
    let server = start(config(FEDERATION)).await;
    let mut client_config = config(FEDERATION);
    client_config.peers = vec![server.addr.clone()];
    client_config.sync_max_response_bytes = 1024;
    let mut client = start(client_config).await;
    next_event(&mut client.events, "the server to connect", |e| match e {
        NetworkEvent::PeerConnected { peer, .. } if peer == server.peer => Some(()),
        _ => None,
    })
    .await;
    let server_peer = server.peer;
    let responder = serve_sync(server.events, |request| match request.as_slice() {
        b"big" => Some(vec![1u8; 4096]),
        b"exact" => Some(vec![2u8; 1024]),
        _ => None, // refuse
    });

    let too_big = within(
        "the failed sync",
        client.handle.sync_request(server_peer, b"big".to_vec()),
    )
    .await;
    assert!(
        matches!(
            too_big,
            Err(NetworkError::SyncResponseTooLarge { peer, limit: 1024 }) if peer == server_peer
        ),
        "got {too_big:?}"
    );

    let exact = within(
        "the exact-size sync",
        client.handle.sync_request(server_peer, b"exact".to_vec()),
    )
    .await
    .expect("a response at the limit is fine");
    assert_eq!(exact.len(), 1024);

    let refused = within(
        "the refused sync",
        client.handle.sync_request(server_peer, b"other".to_vec()),
    )
    .await;
    assert!(
        matches!(refused, Err(NetworkError::SyncRefused { peer }) if peer == server_peer),
        "got {refused:?}"
    );

    server.handle.shutdown().await;
    responder.abort();
    stop(client).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_federation_receives_nothing() {
    let hub = start(config(FEDERATION)).await;
    let mut member_config = config(FEDERATION);
    member_config.peers = vec![hub.addr.clone()];
    let mut member = start(member_config).await;
    let mut outsider_config = config(OTHER_FEDERATION);
    outsider_config.peers = vec![hub.addr.clone()];
    let mut outsider = start(outsider_config).await;

    until_peers(&hub.handle, "the member to subscribe", |peers| {
        subscribed(peers, member.peer)
    })
    .await;
    let outcome = hub
        .handle
        .publish(record_id(7), b"members only".to_vec())
        .await
        .expect("publish succeeds");
    assert_eq!(outcome, PublishOutcome::Published);
    next_event(&mut member.events, "the member's copy", |e| match e {
        NetworkEvent::GossipReceived { record_id: id, .. } if id == record_id(7) => Some(()),
        _ => None,
    })
    .await;

    // A later record reaching the member shows gossip has had its chance to leak the first;
    // only then is the outsider's queue checked, without waiting.
    hub.handle
        .publish(record_id(8), b"members only, again".to_vec())
        .await
        .expect("publish succeeds");
    next_event(
        &mut member.events,
        "the member's copy of the later record",
        |e| match e {
            NetworkEvent::GossipReceived { record_id: id, .. } if id == record_id(8) => Some(()),
            _ => None,
        },
    )
    .await;
    while let Ok(event) = outsider.events.try_recv() {
        assert!(
            !matches!(
                event,
                NetworkEvent::GossipReceived { .. } | NetworkEvent::PeerConnected { .. }
            ),
            "the outsider got {event:?}"
        );
    }
    let hub_peers = hub.handle.peers().await.expect("running");
    assert!(
        hub_peers
            .iter()
            .all(|info| info.peer_id != outsider.peer || !info.member),
        "the outsider must not count as a member"
    );
    let rejected = outsider
        .handle
        .sync_request(hub.peer, b"let me in".to_vec())
        .await;
    assert!(rejected.is_err(), "the outsider synced: {rejected:?}");

    stop(outsider).await;
    stop(member).await;
    stop(hub).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lone_node_publish_is_not_an_error() {
    let node = start(config(FEDERATION)).await;
    let outcome = node
        .handle
        .publish(record_id(3), b"first record".to_vec())
        .await
        .expect("publishing alone is fine");
    assert_eq!(outcome, PublishOutcome::NoPeers);

    let too_big = node
        .handle
        .publish(record_id(4), vec![0u8; 80 * 1024])
        .await;
    assert!(
        matches!(too_big, Err(NetworkError::GossipMessageTooLarge { .. })),
        "got {too_big:?}"
    );
    stop(node).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handle_reports_stopped_after_shutdown() {
    let node = start(config(FEDERATION)).await;
    let handle = node.handle.clone();
    stop(node).await;
    assert!(matches!(handle.peers().await, Err(NetworkError::Stopped)));
    // Shutting down twice is harmless.
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn penalized_peer_is_disconnected_and_kept_out() {
    let mut hub = start(config(FEDERATION)).await;
    let mut peer_config = config(FEDERATION);
    peer_config.peers = vec![hub.addr.clone()];
    let peer = start(peer_config).await;
    let bad = peer.peer;
    next_event(&mut hub.events, "the peer to connect", |e| match e {
        NetworkEvent::PeerConnected { peer, .. } if peer == bad => Some(()),
        _ => None,
    })
    .await;
    hub.handle
        .penalize(bad, "sent records with bad signatures")
        .await
        .expect("running");
    next_event(&mut hub.events, "the peer to disconnect", |e| match e {
        NetworkEvent::PeerDisconnected { peer } if peer == bad => Some(()),
        _ => None,
    })
    .await;
    // The peer keeps redialling (it is configured there), but must stay out. It dials once
    // more right now (or has a redial in flight already, which refuses a second one); then a
    // newcomer joins, and once the hub has seen the newcomer connect, the penalized peer's
    // attempt, started well before, has had its answer.
    let _ = peer.handle.dial(hub.addr.clone()).await;
    let mut newcomer_config = config(FEDERATION);
    newcomer_config.peers = vec![hub.addr.clone()];
    let newcomer = start(newcomer_config).await;
    let newcomer_id = newcomer.peer;
    next_event(&mut hub.events, "the newcomer to connect", |e| match e {
        NetworkEvent::PeerConnected { peer, .. } if peer == bad => {
            panic!("the penalized peer reconnected")
        }
        NetworkEvent::PeerConnected { peer, .. } if peer == newcomer_id => Some(()),
        _ => None,
    })
    .await;
    let blocked = hub.handle.sync_request(bad, b"x".to_vec()).await;
    assert!(
        matches!(blocked, Err(NetworkError::PeerBlocked { .. })),
        "got {blocked:?}"
    );
    stop(newcomer).await;
    stop(peer).await;
    stop(hub).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configured_peer_is_reconnected_after_it_restarts() {
    let keypair = Keypair::generate_ed25519();
    let mut server_config = config(FEDERATION);
    server_config.keypair = keypair.clone();
    let server = start(server_config).await;
    let server_addr = server.addr.clone();
    let mut client_config = config(FEDERATION);
    client_config.peers = vec![server_addr.clone()];
    let mut client = start(client_config).await;
    next_event(&mut client.events, "the first connection", |e| match e {
        NetworkEvent::PeerConnected { peer, .. } if peer == server.peer => Some(()),
        _ => None,
    })
    .await;

    let server_peer = server.peer;
    stop(server).await;
    next_event(&mut client.events, "the disconnection", |e| match e {
        NetworkEvent::PeerDisconnected { peer } if peer == server_peer => Some(()),
        _ => None,
    })
    .await;

    // Restart the server with the same identity on the same port.
    let mut restarted_config = config(FEDERATION);
    restarted_config.keypair = keypair;
    restarted_config.listen = vec![
        server_addr
            .iter()
            .filter(|p| !matches!(p, Protocol::P2p(_)))
            .collect(),
    ];
    let restarted = start(restarted_config).await;
    next_event(&mut client.events, "the reconnection", |e| match e {
        NetworkEvent::PeerConnected { peer, .. } if peer == server_peer => Some(()),
        _ => None,
    })
    .await;
    let peers = client.handle.peers().await.expect("running");
    let info = peers
        .iter()
        .find(|info| info.peer_id == server_peer)
        .expect("server listed");
    assert!(info.configured && info.gossip_explicit && info.member);
    stop(restarted).await;
    stop(client).await;
}
