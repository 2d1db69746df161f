//! The composed libp2p behaviour and the reasoning behind its settings.

use std::{collections::HashMap, time::Duration};

use libp2p::{
    StreamProtocol, allow_block_list, connection_limits,
    gossipsub::{self, IdentTopic, MessageAuthenticity, MessageId, ValidationMode},
    identify,
    identity::Keypair,
    kad, ping, request_response,
    swarm::{NetworkBehaviour, behaviour::toggle::Toggle},
};
use prometheus_client::registry::Registry;

use super::{NetworkConfig, NetworkError, RECORD_ID_LEN, codec::SyncCodec};

/// The names that tie every protocol to one federation.
#[derive(Debug, Clone)]
pub(crate) struct FederationNames {
    /// The gossip topic for records.
    pub topic: IdentTopic,
    /// The identify protocol version; peers announcing anything else are not members.
    pub identify_version: String,
    /// The private Kademlia protocol.
    pub kad_protocol: StreamProtocol,
    /// The sync request-response protocol.
    pub sync_protocol: StreamProtocol,
}

impl FederationNames {
    /// Derives the names from a federation id, which must be 1 to 64 hex characters. The id is
    /// lower-cased so two spellings of the same id cannot split a federation.
    pub fn new(federation_id: &str) -> Result<Self, NetworkError> {
        let valid = !federation_id.is_empty()
            && federation_id.len() <= 64
            && federation_id.bytes().all(|b| b.is_ascii_hexdigit());
        if !valid {
            return Err(NetworkError::InvalidFederationId(federation_id.to_owned()));
        }
        let id = federation_id.to_ascii_lowercase();
        let protocol = |name: String| {
            StreamProtocol::try_from_owned(name)
                .map_err(|e| NetworkError::Setup(format!("invalid protocol name: {e}")))
        };
        Ok(Self {
            topic: IdentTopic::new(format!("mosaico/{id}/records/1")),
            identify_version: format!("/mosaico/{id}/1"),
            kad_protocol: protocol(format!("/mosaico/{id}/kad/1.0.0"))?,
            sync_protocol: protocol(format!("/mosaico/{id}/sync/2"))?,
        })
    }
}

/// All protocols of a Mosaico node. Connection limits and the block list come first so they
/// can refuse a connection before any other behaviour sees it.
#[derive(NetworkBehaviour)]
pub(crate) struct Behaviour {
    pub limits: connection_limits::Behaviour,
    pub blocked: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    pub identify: identify::Behaviour,
    pub ping: ping::Behaviour,
    pub gossipsub: gossipsub::Behaviour,
    pub kademlia: Toggle<kad::Behaviour<kad::store::MemoryStore>>,
    pub sync: request_response::Behaviour<SyncCodec>,
}

impl Behaviour {
    pub fn new(
        key: &Keypair,
        config: &NetworkConfig,
        names: &FederationNames,
        registry: &mut Registry,
    ) -> Result<Self, NetworkError> {
        let local_peer_id = key.public().to_peer_id();

        // Small federations are set up by hand, so exceeding the limits means something is
        // wrong; half-open connections get a quarter of the budget so a flood of dials cannot
        // starve established members.
        let pending = (config.max_connections / 4).max(8);
        let limits = connection_limits::ConnectionLimits::default()
            .with_max_established(Some(config.max_connections))
            .with_max_established_per_peer(Some(config.max_connections_per_peer))
            .with_max_pending_incoming(Some(pending))
            .with_max_pending_outgoing(Some(pending));

        let identify = identify::Behaviour::new(
            identify::Config::new(names.identify_version.clone(), key.public())
                .with_agent_version(format!("mosaico/{}", env!("CARGO_PKG_VERSION")))
                .with_push_listen_addr_updates(true),
        );

        let mut gossipsub = gossipsub::Behaviour::new(
            MessageAuthenticity::Signed(key.clone()),
            gossipsub_config(config)?,
        )
        .map_err(|e| NetworkError::Setup(format!("gossipsub: {e}")))?
        .with_metrics(
            registry.sub_registry_with_prefix("libp2p_gossipsub"),
            gossipsub::MetricsConfig::default(),
        );
        let (score_params, score_thresholds) = peer_score(&names.topic);
        gossipsub
            .with_peer_score(score_params, score_thresholds)
            .map_err(|e| NetworkError::Setup(format!("gossipsub scoring: {e}")))?;
        gossipsub
            .subscribe(&names.topic)
            .map_err(|e| NetworkError::Setup(format!("gossipsub subscribe: {e}")))?;

        let kademlia = config.kademlia.then(|| {
            let mut kad_config = kad::Config::new(names.kad_protocol.clone());
            // We use Kademlia only to find peers; records live in sled and travel by gossip,
            // so refuse to store anything other nodes put into the DHT.
            kad_config.set_record_filtering(kad::StoreInserts::FilterBoth);
            let mut kad = kad::Behaviour::with_config(
                local_peer_id,
                kad::store::MemoryStore::new(local_peer_id),
                kad_config,
            );
            // Members are servers by nature: they run on reachable hosts, and client mode
            // would wait for a confirmed external address that may never come.
            kad.set_mode(Some(kad::Mode::Server));
            kad
        });

        let sync = request_response::Behaviour::with_codec(
            SyncCodec::new(
                config.sync_max_request_bytes,
                config.sync_max_response_bytes,
            ),
            [(
                names.sync_protocol.clone(),
                request_response::ProtocolSupport::Full,
            )],
            request_response::Config::default()
                .with_request_timeout(config.sync_request_timeout)
                .with_max_concurrent_streams(32),
        );

        Ok(Self {
            limits: connection_limits::Behaviour::new(limits),
            blocked: allow_block_list::Behaviour::default(),
            identify,
            ping: ping::Behaviour::default(),
            gossipsub,
            kademlia: Toggle::from(kademlia),
            sync,
        })
    }
}

/// The gossip message id is the record id: the first 32 bytes of the framed payload. A payload
/// too short to carry an id gets its whole content as id; the event loop rejects it anyway.
fn record_id_message_id(message: &gossipsub::Message) -> MessageId {
    let end = message.data.len().min(RECORD_ID_LEN);
    MessageId::from(message.data[..end].to_vec())
}

/// Gossipsub settings for federations of 3 to 300 nodes. The library defaults target networks
/// of thousands of nodes with constant traffic; ours are small and quiet (a few records per
/// hour), where latency and robustness matter more than bandwidth.
fn gossipsub_config(config: &NetworkConfig) -> Result<gossipsub::Config, NetworkError> {
    gossipsub::ConfigBuilder::default()
        // Strict: every message carries its author's signature, sequence number and peer id,
        // and unsigned messages are dropped.
        .validation_mode(ValidationMode::Strict)
        // Hold each message until the node has checked it; only Accept forwards it.
        .validate_messages()
        .message_id_fn(record_id_message_id)
        .max_transmit_size(config.gossip_max_message_bytes)
        // Degree 6 with bounds 4..12: with 3 to 12 members the mesh is simply "everyone",
        // and with 300 members a message still reaches all in about log_6(300) ≈ 3-4 hops.
        // The low bound of 4 (default 5) avoids constant re-grafting in small federations.
        .mesh_n(6)
        .mesh_n_low(4)
        .mesh_n_high(12)
        // At least 2 mesh links we dialled ourselves, so inbound connections alone (which an
        // attacker controls) cannot fill our mesh.
        .mesh_outbound_min(2)
        // 700 ms heartbeat: meshes repair and IHAVE gossip goes out within a second, and the
        // control traffic is negligible at our scale.
        .heartbeat_interval(Duration::from_millis(700))
        // Keep messages for 10 heartbeats (7 s) so a peer that hears of a record through
        // IHAVE can still IWANT it; advertise the last 4 heartbeats (≈ 3 s) in IHAVE.
        .history_length(10)
        .history_gossip(4)
        // Remember message ids for 2 minutes so echoes of a record are not re-validated.
        .duplicate_cache_time(Duration::from_secs(120))
        // Our own publishes go to every connected subscriber, not only mesh peers: in a small
        // federation that is one hop to everybody, and it is what makes a publish fast.
        .flood_publish(true)
        .build()
        .map_err(|e| NetworkError::Setup(format!("gossipsub configuration: {e}")))
}

/// Peer scoring with one goal: a peer that sends invalid records loses standing quickly.
///
/// * P4 (invalid deliveries) weighs -40 per rejected message, squared: one Reject takes the
///   sender to -40, below the gossip threshold (-10), so we stop exchanging IHAVE/IWANT with
///   it; a second takes it to -160, below the graylist threshold (-80), so all its RPCs are
///   ignored. The counter decays to nothing over about 10 minutes.
/// * P3 (mesh delivery rate) is off: records are rare, so an honest mesh peer delivers nothing
///   for hours and would be penalised for it.
/// * P1 (time in mesh) and P2 (first deliveries) give small positive credit to good peers.
/// * IP colocation is off: several members behind one NAT or on one test host is normal here.
fn peer_score(topic: &IdentTopic) -> (gossipsub::PeerScoreParams, gossipsub::PeerScoreThresholds) {
    let topic_params = gossipsub::TopicScoreParams {
        topic_weight: 1.0,
        time_in_mesh_weight: 0.01,
        time_in_mesh_quantum: Duration::from_secs(1),
        time_in_mesh_cap: 300.0,
        first_message_deliveries_weight: 1.0,
        first_message_deliveries_decay: gossipsub::score_parameter_decay(Duration::from_secs(3600)),
        first_message_deliveries_cap: 50.0,
        mesh_message_deliveries_weight: 0.0,
        mesh_failure_penalty_weight: 0.0,
        invalid_message_deliveries_weight: -40.0,
        invalid_message_deliveries_decay: gossipsub::score_parameter_decay(Duration::from_secs(
            600,
        )),
        ..Default::default()
    };
    let params = gossipsub::PeerScoreParams {
        topics: HashMap::from([(topic.hash(), topic_params)]),
        ip_colocation_factor_weight: 0.0,
        ..Default::default()
    };
    (params, gossipsub::PeerScoreThresholds::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_include_the_federation_id() {
        let names = FederationNames::new("ABCdef01").expect("valid hex id");
        assert_eq!(names.topic.to_string(), "mosaico/abcdef01/records/1");
        assert_eq!(names.kad_protocol.as_ref(), "/mosaico/abcdef01/kad/1.0.0");
        assert_eq!(names.sync_protocol.as_ref(), "/mosaico/abcdef01/sync/2");
        assert_eq!(names.identify_version, "/mosaico/abcdef01/1");
    }

    #[test]
    fn rejects_federation_ids_that_are_not_hex() {
        for bad in ["", "not-hex", "ab/cd", &"a".repeat(65)] {
            assert!(
                matches!(
                    FederationNames::new(bad),
                    Err(NetworkError::InvalidFederationId(_))
                ),
                "{bad:?} must be refused"
            );
        }
    }

    #[test]
    fn message_id_is_the_framed_record_id() {
        let mut data = vec![9u8; RECORD_ID_LEN];
        data.extend_from_slice(b"record bytes");
        let message = gossipsub::Message {
            source: None,
            data,
            sequence_number: None,
            topic: gossipsub::TopicHash::from_raw("t"),
        };
        assert_eq!(record_id_message_id(&message).0, vec![9u8; RECORD_ID_LEN]);
    }

    #[test]
    fn gossip_settings_are_accepted_by_the_library() {
        let config = NetworkConfig::new(Keypair::generate_ed25519(), "ab");
        let built = gossipsub_config(&config).expect("valid gossipsub config");
        assert_eq!(built.mesh_n(), 6);
        assert_eq!(built.max_transmit_size(), 80 * 1024);
        let (params, thresholds) = peer_score(&IdentTopic::new("t"));
        params.validate().expect("valid score params");
        thresholds.validate().expect("valid thresholds");
    }
}
