//! The node's network layer: one task owns the libp2p [`Swarm`](libp2p::Swarm), and the rest of
//! the node talks to it through a cloneable [`NetworkHandle`] and receives [`NetworkEvent`]s on
//! a bounded channel.
//!
//! This module knows nothing about records: everything that crosses its boundary is bytes,
//! peer ids and addresses, so the node decides what is valid and the network only moves it.
//!
//! # Protocols
//!
//! * TCP with Noise and Yamux; identify, ping.
//! * Gossipsub on the topic `mosaico/<federation_id>/records/1`, with strict validation: every
//!   received message is held until the node reports a [`GossipValidation`] for it, and only accepted
//!   messages are forwarded.
//! * Kademlia in server mode under `/mosaico/<federation_id>/kad/1.0.0`, so discovery never
//!   mixes with the public IPFS DHT or with another federation.
//! * Request-response under `/mosaico/<federation_id>/sync/2` for catch-up: one opaque request,
//!   one opaque response, each with a hard size limit (see [`codec`]).
//!
//! Identify announces the protocol version `/mosaico/<federation_id>/1`. A peer that announces
//! anything else belongs to another federation (or is not a Mosaico node) and is disconnected;
//! only peers that pass this check are reported with [`NetworkEvent::PeerConnected`].
//!
//! # Gossip framing
//!
//! Gossipsub computes a message id from the message alone, but the id we want is the record
//! id, which only the protocol layer can compute. So the publisher supplies it, and every
//! gossip payload is framed as
//!
//! ```text
//! record_id (32 bytes) || record bytes
//! ```
//!
//! The gossipsub message-id function returns the first 32 bytes, so duplicate suppression,
//! IHAVE/IWANT and validation all work on record ids. [`NetworkHandle::publish`] adds the frame
//! and [`NetworkEvent::GossipReceived`] removes it. A payload shorter than 32 bytes is rejected
//! here without bothering the node. **The node must recompute the record id from the record
//! bytes and reject the message if it differs from the claimed `record_id`**; otherwise a peer
//! could suppress a record by publishing garbage under its id.
//!
//! # What the node must do
//!
//! * Answer every [`NetworkEvent::GossipReceived`] with exactly one
//!   [`NetworkHandle::report_validation`]. Unanswered messages are never forwarded and are
//!   dropped from the cache after a few seconds.
//! * Answer or drop the `reply` of every [`NetworkEvent::SyncRequest`]; an unanswered request
//!   times out after `sync_request_timeout`. Responses must be non-empty.
//! * Keep reading the event channel. If it falls behind, the network queues a bounded number
//!   of events and then drops new gossip (reported as Ignore, so catch-up fetches it later) and
//!   new sync requests.

mod addresses;
mod behaviour;
mod catch_up_requests;
pub mod codec;
mod commands;
mod configured_peers;
mod discovery;
mod gossip;
mod limits;
mod reconnect;
mod swarm_task;
#[cfg(test)]
mod tests;

use std::{
    fmt,
    time::{Duration, SystemTime},
};

use libp2p::{Multiaddr, PeerId, identity::Keypair};
use prometheus_client::registry::Registry;
use tokio::{
    sync::{mpsc, oneshot},
    task::JoinHandle,
};

use self::{commands::Command, swarm_task::SwarmTask};

/// Length of the record id that prefixes every gossip payload.
pub const RECORD_ID_LEN: usize = 32;

/// Bytes reserved for the gossipsub envelope (signature, public key, sequence number, topic and
/// protobuf framing) on top of the framed payload. The receiver's limit applies to the whole
/// envelope, so a payload that only fits without it would be published but then dropped by
/// every receiver.
pub const GOSSIP_ENVELOPE_SLACK: usize = 1024;

/// Capacity of the command channel from handles to the network task.
pub const COMMAND_CHANNEL_CAPACITY: usize = 256;

/// Capacity of the event channel from the network task to the node.
pub const EVENT_CHANNEL_CAPACITY: usize = 1024;

/// Events the network task holds back while the event channel is full, before it starts
/// dropping gossip and sync requests.
pub const EVENT_BACKLOG_CAPACITY: usize = 1024;

/// Inbound sync requests waiting for the node's answer, across all peers, before new ones are
/// refused.
pub const MAX_PENDING_INBOUND_SYNC: usize = 256;

/// Everything the network layer needs to start. Build it with [`NetworkConfig::new`], which
/// fills in the documented defaults, then override fields as needed.
#[derive(Clone)]
pub struct NetworkConfig {
    /// The node's libp2p identity; its public key gives the node's [`PeerId`].
    pub keypair: Keypair,
    /// The federation id in hex. It is part of the gossip topic and of every protocol name, so
    /// two federations never exchange anything.
    pub federation_id: String,
    /// Addresses to listen on, e.g. `/ip4/0.0.0.0/tcp/4001`.
    pub listen: Vec<Multiaddr>,
    /// Configured peers. The node dials them, keeps reconnecting with exponential backoff, and
    /// makes them gossipsub explicit peers once their [`PeerId`] is known (from a `/p2p/`
    /// suffix, or from the first successful connection). An entry whose `/p2p/` id is our own
    /// is skipped, so every node can share one peer list.
    pub peers: Vec<Multiaddr>,
    /// Maximum established connections in total. Default 128.
    pub max_connections: u32,
    /// Maximum established connections to one peer. Default 2 (two nodes dialling each other at
    /// the same moment is normal).
    pub max_connections_per_peer: u32,
    /// Maximum size of one gossipsub message on the wire, envelope included.
    /// Default 80 KiB: a 64 KiB record plus the 32-byte frame and the envelope.
    pub gossip_max_message_bytes: usize,
    /// Maximum size of a sync request, read or written. Default: the largest request the sync
    /// format allows (a 256 KiB reconciliation frame and its header).
    pub sync_max_request_bytes: usize,
    /// Maximum size of a sync response, read or written. Default 8 MiB (a batch of records).
    pub sync_max_response_bytes: usize,
    /// How long an outbound sync request may take, and how long the node has to answer an
    /// inbound one. Default 30 s.
    pub sync_request_timeout: Duration,
    /// How often a [`NetworkEvent::ResyncDue`] is emitted for one connected member chosen at
    /// random. Default 60 s.
    pub resync_interval: Duration,
    /// Inbound sync requests a peer may send in a burst. Default 64.
    pub sync_request_burst: u32,
    /// Inbound sync requests per second a peer may sustain after its burst. Default 16.
    pub sync_requests_per_second: f64,
    /// Whether to run Kademlia and dial the members it discovers. Default true.
    pub kademlia: bool,
    /// Stop dialling discovered (non-configured) peers once this many peers are connected.
    /// Default 24: comfortably above the gossip mesh's upper bound of 12.
    pub discovery_target_peers: usize,
    /// First wait before redialling a configured peer. Default 1 s.
    pub reconnect_initial_delay: Duration,
    /// Longest wait between redials of a configured peer. Default 30 s.
    pub reconnect_max_delay: Duration,
    /// How long [`NetworkHandle::penalize`] blocks a peer. Default 10 minutes.
    pub penalty_duration: Duration,
    /// How long a connection with no open streams stays up. Default 60 s. Gossipsub keeps its
    /// streams open, so connections between members do not idle out.
    pub idle_connection_timeout: Duration,
}

impl NetworkConfig {
    /// Creates a configuration with the documented defaults, no listen addresses and no peers.
    pub fn new(keypair: Keypair, federation_id: impl Into<String>) -> Self {
        Self {
            keypair,
            federation_id: federation_id.into(),
            listen: Vec::new(),
            peers: Vec::new(),
            max_connections: 128,
            max_connections_per_peer: 2,
            gossip_max_message_bytes: 80 * 1024,
            sync_max_request_bytes: mosaico_protocol::sync::MAX_REQUEST_BYTES,
            sync_max_response_bytes: 8 * 1024 * 1024,
            sync_request_timeout: Duration::from_secs(30),
            resync_interval: Duration::from_secs(60),
            sync_request_burst: 64,
            sync_requests_per_second: 16.0,
            kademlia: true,
            discovery_target_peers: 24,
            reconnect_initial_delay: Duration::from_secs(1),
            reconnect_max_delay: Duration::from_secs(30),
            penalty_duration: Duration::from_secs(600),
            idle_connection_timeout: Duration::from_secs(60),
        }
    }

    /// The largest record [`NetworkHandle::publish`] accepts with this configuration.
    pub fn max_record_bytes(&self) -> usize {
        self.gossip_max_message_bytes
            .saturating_sub(RECORD_ID_LEN + GOSSIP_ENVELOPE_SLACK)
    }
}

impl fmt::Debug for NetworkConfig {
    // Written by hand so the keypair never ends up in a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetworkConfig")
            .field("peer_id", &self.keypair.public().to_peer_id())
            .field("federation_id", &self.federation_id)
            .field("listen", &self.listen)
            .field("peers", &self.peers)
            .field("max_connections", &self.max_connections)
            .field("max_connections_per_peer", &self.max_connections_per_peer)
            .field("gossip_max_message_bytes", &self.gossip_max_message_bytes)
            .field("sync_max_request_bytes", &self.sync_max_request_bytes)
            .field("sync_max_response_bytes", &self.sync_max_response_bytes)
            .field("sync_request_timeout", &self.sync_request_timeout)
            .field("resync_interval", &self.resync_interval)
            .field("sync_request_burst", &self.sync_request_burst)
            .field("sync_requests_per_second", &self.sync_requests_per_second)
            .field("kademlia", &self.kademlia)
            .field("discovery_target_peers", &self.discovery_target_peers)
            .field("reconnect_initial_delay", &self.reconnect_initial_delay)
            .field("reconnect_max_delay", &self.reconnect_max_delay)
            .field("penalty_duration", &self.penalty_duration)
            .field("idle_connection_timeout", &self.idle_connection_timeout)
            .finish()
    }
}

/// What the network tells the node, in order, over a bounded channel.
#[derive(Debug)]
pub enum NetworkEvent {
    /// A gossip message arrived and waits for validation. The node must answer with
    /// [`NetworkHandle::report_validation`] for the same `record_id` and `propagation_source`.
    GossipReceived {
        /// The record id the sender claims (the first 32 bytes of the payload). The node must
        /// check it against the id it computes from `record`.
        record_id: [u8; RECORD_ID_LEN],
        /// The peer that forwarded the message to us (not necessarily its author).
        propagation_source: PeerId,
        /// The record bytes, without the id frame.
        record: Vec<u8>,
    },
    /// A member of our federation connected (identify confirmed the federation).
    PeerConnected {
        /// The member.
        peer: PeerId,
        /// The remote address of the first connection.
        addr: Multiaddr,
    },
    /// The last connection to a member closed.
    PeerDisconnected {
        /// The member.
        peer: PeerId,
    },
    /// A peer sent a sync request. Send the response bytes on `reply`; dropping `reply`
    /// refuses the request.
    SyncRequest {
        /// The requesting peer.
        peer: PeerId,
        /// The request bytes, at most `sync_max_request_bytes` long.
        request: Vec<u8>,
        /// Where the response goes. It must be non-empty and at most
        /// `sync_max_response_bytes` long, and sent within `sync_request_timeout`.
        reply: oneshot::Sender<Vec<u8>>,
    },
    /// Time for a periodic catch-up with this connected member.
    ResyncDue {
        /// The member to reconcile with.
        peer: PeerId,
    },
    /// The node now listens on this address.
    ListenAddr(Multiaddr),
}

/// The node's judgement on a received gossip message, as gossipsub needs it: whether to
/// forward the message and whether to blame its sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GossipValidation {
    /// Valid and new: store it and forward it to the mesh.
    Accept,
    /// Malformed or invalid: do not forward, and lower the sender's gossip score.
    Reject,
    /// Valid but not worth forwarding (for example we hold this version or a newer one).
    Ignore,
}

/// What happened to a published record. None of these is a failure: the record is already
/// stored locally and catch-up delivers it to peers that did not get it by gossip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishOutcome {
    /// Sent to at least one peer.
    Published,
    /// No connected peer is subscribed to the topic yet (for example a lone node).
    NoPeers,
    /// A message with this record id was published or received in the last few minutes.
    Duplicate,
}

/// What the network knows about one peer, for the operator's peer list.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerInfo {
    /// The peer.
    pub peer_id: PeerId,
    /// Remote addresses of the current connections, or the configured address if none.
    pub addresses: Vec<Multiaddr>,
    /// When the first current connection was established; `None` if not connected.
    pub connected_since: Option<SystemTime>,
    /// Whether the peer is in our configured peer list.
    pub configured: bool,
    /// Whether identify confirmed the peer belongs to our federation.
    pub member: bool,
    /// The peer's agent version from identify, e.g. `mosaico/0.1.0`.
    pub agent_version: Option<String>,
    /// Whether the peer is subscribed to our records topic.
    pub gossip_subscribed: bool,
    /// Whether the peer is in our gossip mesh for the records topic.
    pub gossip_mesh: bool,
    /// Whether the peer is a gossipsub explicit peer (always forwarded to, never in the mesh).
    pub gossip_explicit: bool,
    /// The peer's gossipsub score, if scoring knows the peer.
    pub gossip_score: Option<f64>,
}

/// Errors of the network layer, in words an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// The federation id is not usable in topic and protocol names.
    #[error(
        "federation id {0:?} is invalid: it must be 1 to 64 hexadecimal characters; check the federation settings"
    )]
    InvalidFederationId(String),
    /// Listening on a configured address failed.
    #[error(
        "cannot listen on {addr}: {reason}; check the listen address and that the port is free"
    )]
    Listen {
        /// The address.
        addr: Multiaddr,
        /// Why it failed.
        reason: String,
    },
    /// The libp2p stack could not be built from this configuration.
    #[error("cannot set up the network: {0}")]
    Setup(String),
    /// The network task is not running any more.
    #[error("the network task has stopped; the node must be restarted")]
    Stopped,
    /// The record does not fit in one gossip message.
    #[error(
        "record of {size} bytes is too large to gossip (limit {limit} bytes); raise gossip_max_message_bytes on every node or publish a smaller record"
    )]
    GossipMessageTooLarge {
        /// Size of the record.
        size: usize,
        /// Largest record that fits.
        limit: usize,
    },
    /// Every peer's outbound queue is full, so the message was not sent.
    #[error(
        "gossip publish dropped: the send queues of all {peers} peers are full; the record stays stored and catch-up will deliver it"
    )]
    PublishQueuesFull {
        /// How many peers were tried.
        peers: usize,
    },
    /// Gossipsub refused the message for another reason.
    #[error("gossip publish failed: {0}")]
    Publish(String),
    /// The dial could not even be started.
    #[error("cannot dial {addr}: {reason}")]
    Dial {
        /// The address.
        addr: Multiaddr,
        /// Why it failed.
        reason: String,
    },
    /// An outbound sync request exceeds our own request limit.
    #[error(
        "sync request of {size} bytes exceeds the limit of {limit} bytes; send smaller batches"
    )]
    SyncRequestTooLarge {
        /// Size of the request.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The peer answered with more bytes than we accept.
    #[error(
        "peer {peer} sent a sync response larger than {limit} bytes; ask for smaller batches or raise sync_max_response_bytes"
    )]
    SyncResponseTooLarge {
        /// The peer.
        peer: PeerId,
        /// Our response limit.
        limit: usize,
    },
    /// The peer did not answer in time.
    #[error("peer {peer} did not answer the sync request within {after:?}")]
    SyncTimeout {
        /// The peer.
        peer: PeerId,
        /// The timeout that expired.
        after: Duration,
    },
    /// The peer closed the request without answering (it may be rate-limiting us or busy).
    #[error("peer {peer} refused the sync request without answering; retry later")]
    SyncRefused {
        /// The peer.
        peer: PeerId,
    },
    /// We could not connect to the peer to send the request.
    #[error("cannot reach peer {peer} for sync: dialling failed")]
    SyncPeerUnreachable {
        /// The peer.
        peer: PeerId,
    },
    /// The connection closed before the answer arrived.
    #[error("the connection to peer {peer} closed before its sync response arrived")]
    SyncConnectionClosed {
        /// The peer.
        peer: PeerId,
    },
    /// The peer does not speak this federation's sync protocol.
    #[error("peer {peer} does not speak this federation's sync protocol")]
    SyncUnsupported {
        /// The peer.
        peer: PeerId,
    },
    /// The peer is blocked after a penalty.
    #[error("peer {peer} is temporarily blocked after sending invalid data")]
    PeerBlocked {
        /// The peer.
        peer: PeerId,
    },
    /// Another I/O failure during a sync exchange.
    #[error("sync exchange with peer {peer} failed: {reason}")]
    SyncIo {
        /// The peer.
        peer: PeerId,
        /// The underlying error.
        reason: String,
    },
}

/// A cloneable handle to the network task. Every method sends a command on a bounded channel;
/// the ones that return data wait for the task's answer.
#[derive(Debug, Clone)]
pub struct NetworkHandle {
    commands: mpsc::Sender<Command>,
    local_peer_id: PeerId,
}

impl NetworkHandle {
    async fn send(&self, command: Command) -> Result<(), NetworkError> {
        self.commands
            .send(command)
            .await
            .map_err(|_| NetworkError::Stopped)
    }

    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, NetworkError> {
        let (reply, answer) = oneshot::channel();
        self.send(make(reply)).await?;
        answer.await.map_err(|_| NetworkError::Stopped)
    }

    /// This node's peer id.
    pub fn local_peer_id(&self) -> PeerId {
        self.local_peer_id
    }

    /// Gossips a record under its id. The record must already be stored: a
    /// [`PublishOutcome::NoPeers`] or [`PublishOutcome::Duplicate`] is normal, and so is an
    /// [`NetworkError::PublishQueuesFull`] under load, since catch-up delivers the record later.
    pub async fn publish(
        &self,
        record_id: [u8; RECORD_ID_LEN],
        record: Vec<u8>,
    ) -> Result<PublishOutcome, NetworkError> {
        self.ask(|reply| Command::Publish {
            record_id,
            record,
            reply,
        })
        .await?
    }

    /// Reports the node's verdict on a message from [`NetworkEvent::GossipReceived`]. Call it
    /// exactly once per received message.
    pub async fn report_validation(
        &self,
        record_id: [u8; RECORD_ID_LEN],
        propagation_source: PeerId,
        verdict: GossipValidation,
    ) -> Result<(), NetworkError> {
        self.send(Command::ReportValidation {
            record_id,
            propagation_source,
            verdict,
        })
        .await
    }

    /// Sends a sync request to `peer` and waits for its response, at most
    /// `sync_request_timeout`. Dials the peer if needed and its address is known.
    pub async fn sync_request(
        &self,
        peer: PeerId,
        request: Vec<u8>,
    ) -> Result<Vec<u8>, NetworkError> {
        self.ask(|reply| Command::SyncRequest {
            peer,
            request,
            reply,
        })
        .await?
    }

    /// Lists connected peers and configured peers (connected or not).
    pub async fn peers(&self) -> Result<Vec<PeerInfo>, NetworkError> {
        self.ask(|reply| Command::Peers { reply }).await
    }

    /// Dials an address once. Returns when the dial has started, not when it succeeded.
    pub async fn dial(&self, addr: Multiaddr) -> Result<(), NetworkError> {
        self.ask(|reply| Command::Dial { addr, reply }).await?
    }

    /// Adds a configured peer at run time: it is dialled, kept connected with backoff, and
    /// becomes a gossipsub explicit peer, exactly like an entry of [`NetworkConfig::peers`].
    pub async fn add_configured_peer(&self, addr: Multiaddr) -> Result<(), NetworkError> {
        self.ask(|reply| Command::AddConfiguredPeer { addr, reply })
            .await?
    }

    /// The addresses the node currently listens on.
    pub async fn listen_addrs(&self) -> Result<Vec<Multiaddr>, NetworkError> {
        self.ask(|reply| Command::ListenAddrs { reply }).await
    }

    /// Disconnects `peer` and refuses its connections for `penalty_duration`, for example
    /// after it sent sync data that failed verification. Gossip misbehaviour is already
    /// punished by [`GossipValidation::Reject`] through peer scoring.
    pub async fn penalize(&self, peer: PeerId, reason: &str) -> Result<(), NetworkError> {
        self.send(Command::Penalize {
            peer,
            reason: reason.to_owned(),
        })
        .await
    }

    /// Stops the network task: listeners and connections are closed and pending sync requests
    /// fail with [`NetworkError::Stopped`]. Returns once the task has stopped; calling it on a
    /// stopped network does nothing.
    pub async fn shutdown(&self) {
        // An error only means the task has already stopped, which is what we want.
        let _ = self.ask(|reply| Command::Shutdown { reply }).await;
    }
}

/// Starts the network task. Must be called from within a Tokio runtime.
///
/// Registers libp2p metrics (swarm, gossipsub, identify, Kademlia, ping and bandwidth) under the
/// `libp2p` prefix of `registry`, and `network_connected_peers` plus a few counters at its top
/// level. The registry type is prometheus-client 0.25's, the version libp2p-metrics uses.
///
/// Returns the handle, the event receiver (read it continuously) and the task's join handle.
pub fn spawn(
    config: NetworkConfig,
    registry: &mut Registry,
) -> Result<(NetworkHandle, mpsc::Receiver<NetworkEvent>, JoinHandle<()>), NetworkError> {
    let local_peer_id = config.keypair.public().to_peer_id();
    let (command_tx, command_rx) = mpsc::channel(COMMAND_CHANNEL_CAPACITY);
    let (event_tx, event_rx) = mpsc::channel(EVENT_CHANNEL_CAPACITY);
    let swarm_task = SwarmTask::new(config, registry, command_rx, event_tx)?;
    let task = tokio::spawn(swarm_task.run());
    let handle = NetworkHandle {
        commands: command_tx,
        local_peer_id,
    };
    Ok((handle, event_rx, task))
}
