//! The task that owns the Swarm: it turns commands from handles into libp2p calls and libp2p
//! events into [`NetworkEvent`]s, and it keeps configured peers connected.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    time::{Duration, Instant, SystemTime},
};

use futures::{FutureExt, StreamExt, future::BoxFuture, stream::FuturesUnordered};
use libp2p::metrics::{Metrics, Recorder};
use libp2p::{
    Multiaddr, PeerId, Swarm, SwarmBuilder,
    gossipsub::{self, MessageAcceptance, MessageId, PublishError},
    identify, kad, noise,
    request_response::{self, OutboundFailure, OutboundRequestId, ResponseChannel},
    swarm::{
        ConnectionId, SwarmEvent,
        dial_opts::{DialOpts, PeerCondition},
    },
    tcp, yamux,
};
use prometheus_client::{
    metrics::{counter::Counter, gauge::Gauge},
    registry::Registry,
};
use rand::seq::IteratorRandom;
use tokio::{
    sync::{mpsc, oneshot},
    time::MissedTickBehavior,
};
use tracing::{debug, info, warn};

use super::{
    EVENT_BACKLOG_CAPACITY, MAX_PENDING_INBOUND_SYNC, NetworkConfig, NetworkError, NetworkEvent,
    PeerInfo, PublishOutcome, RECORD_ID_LEN, Verdict,
    behaviour::{Behaviour, BehaviourEvent, FederationNames},
    codec::{FrameKind, FrameTooLarge},
    limits::{Backoff, TokenBucket},
};

/// How often the loop redials configured peers, lifts expired blocks and refreshes gauges.
const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(1);

/// How often the loop tops up connections to discovered members from the Kademlia table.
const DISCOVERY_INTERVAL: Duration = Duration::from_secs(30);

/// Discovered peers dialled per discovery round, so a large routing table does not turn into
/// a burst of dials.
const DISCOVERY_DIALS_PER_ROUND: usize = 4;

/// A request from a [`NetworkHandle`](super::NetworkHandle) to the network task.
#[derive(Debug)]
pub(crate) enum Command {
    Publish {
        record_id: [u8; RECORD_ID_LEN],
        record: Vec<u8>,
        reply: oneshot::Sender<Result<PublishOutcome, NetworkError>>,
    },
    ReportValidation {
        record_id: [u8; RECORD_ID_LEN],
        propagation_source: PeerId,
        verdict: Verdict,
    },
    SyncRequest {
        peer: PeerId,
        request: Vec<u8>,
        reply: oneshot::Sender<Result<Vec<u8>, NetworkError>>,
    },
    Peers {
        reply: oneshot::Sender<Vec<PeerInfo>>,
    },
    Dial {
        addr: Multiaddr,
        reply: oneshot::Sender<Result<(), NetworkError>>,
    },
    AddConfiguredPeer {
        addr: Multiaddr,
        reply: oneshot::Sender<Result<(), NetworkError>>,
    },
    ListenAddrs {
        reply: oneshot::Sender<Vec<Multiaddr>>,
    },
    Penalize {
        peer: PeerId,
        reason: String,
    },
    Shutdown {
        reply: oneshot::Sender<()>,
    },
}

/// A peer from the configuration, with its reconnect state.
#[derive(Debug)]
struct ConfiguredPeer {
    addr: Multiaddr,
    /// Known from the `/p2p/` suffix or from the first connection.
    peer_id: Option<PeerId>,
    connected: bool,
    /// The dial in flight, if any.
    dialing: Option<ConnectionId>,
    /// When to dial next; `None` while connected or dialling.
    next_attempt: Option<Instant>,
    backoff: Backoff,
}

/// A peer with at least one established connection.
#[derive(Debug)]
struct ConnectedPeer {
    since: SystemTime,
    addresses: HashMap<ConnectionId, Multiaddr>,
    /// Set once identify confirms the peer belongs to our federation.
    member: bool,
    agent_version: Option<String>,
}

/// An outbound sync request waiting for its response.
#[derive(Debug)]
struct PendingSync {
    peer: PeerId,
    reply: oneshot::Sender<Result<Vec<u8>, NetworkError>>,
}

/// The node's answer to an inbound sync request, once it arrives (or `None` if the node
/// dropped the reply or took too long).
type InboundReply = (PeerId, ResponseChannel<Vec<u8>>, Option<Vec<u8>>);

/// Counters and gauges owned by the network layer itself, next to libp2p's own metrics.
#[derive(Debug, Default)]
struct LocalMetrics {
    connected_peers: Gauge,
    events_dropped: Counter,
    sync_requests_rate_limited: Counter,
}

impl LocalMetrics {
    fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        registry.register(
            "network_connected_peers",
            "Peers with at least one established connection",
            metrics.connected_peers.clone(),
        );
        registry.register(
            "network_events_dropped",
            "Gossip messages and sync requests dropped because the node fell behind",
            metrics.events_dropped.clone(),
        );
        registry.register(
            "network_sync_requests_rate_limited",
            "Inbound sync requests refused because the peer exceeded its rate",
            metrics.sync_requests_rate_limited.clone(),
        );
        metrics
    }
}

pub(crate) struct EventLoop {
    swarm: Swarm<Behaviour>,
    names: FederationNames,
    config: NetworkConfig,
    commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<NetworkEvent>,
    /// Events waiting for room in `events`; bounded by [`EVENT_BACKLOG_CAPACITY`].
    backlog: VecDeque<NetworkEvent>,
    events_closed: bool,
    connected: HashMap<PeerId, ConnectedPeer>,
    configured: Vec<ConfiguredPeer>,
    pending_sync: HashMap<OutboundRequestId, PendingSync>,
    inbound_replies: FuturesUnordered<BoxFuture<'static, InboundReply>>,
    sync_buckets: HashMap<PeerId, TokenBucket>,
    blocked_until: HashMap<PeerId, Instant>,
    libp2p_metrics: Metrics,
    metrics: LocalMetrics,
}

impl std::fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventLoop")
            .field("local_peer_id", self.swarm.local_peer_id())
            .field("connected", &self.connected.len())
            .field("configured", &self.configured.len())
            .finish_non_exhaustive()
    }
}

impl EventLoop {
    pub(crate) fn new(
        config: NetworkConfig,
        registry: &mut Registry,
        commands: mpsc::Receiver<Command>,
        events: mpsc::Sender<NetworkEvent>,
    ) -> Result<Self, NetworkError> {
        let names = FederationNames::new(&config.federation_id)?;
        let local_peer_id = config.keypair.public().to_peer_id();

        let mut behaviour_error = None;
        let swarm = SwarmBuilder::with_existing_identity(config.keypair.clone())
            .with_tokio()
            .with_tcp(
                tcp::Config::default().nodelay(true),
                noise::Config::new,
                yamux::Config::default,
            )
            .map_err(|e| NetworkError::Setup(format!("noise: {e}")))?
            // Peers may be named by DNS (`/dns4/mosaico.example.org/tcp/7001`), as in
            // docker/compose.yml; the system resolver configuration is read once, here.
            .with_dns()
            .map_err(|e| {
                NetworkError::Setup(format!(
                    "cannot read the system's DNS configuration (/etc/resolv.conf): {e}"
                ))
            })?
            .with_bandwidth_metrics(registry)
            .with_behaviour(|key| {
                Behaviour::new(key, &config, &names, registry).map_err(|e| {
                    let message = e.to_string();
                    behaviour_error = Some(e);
                    message.into()
                })
            })
            .map_err(|e| {
                behaviour_error
                    .take()
                    .unwrap_or_else(|| NetworkError::Setup(e.to_string()))
            })?
            .with_swarm_config(|c| c.with_idle_connection_timeout(config.idle_connection_timeout))
            .build();
        let libp2p_metrics = Metrics::new(registry);
        let metrics = LocalMetrics::register(registry);

        let mut event_loop = Self {
            swarm,
            names,
            commands,
            events,
            backlog: VecDeque::new(),
            events_closed: false,
            connected: HashMap::new(),
            configured: Vec::new(),
            pending_sync: HashMap::new(),
            inbound_replies: FuturesUnordered::new(),
            sync_buckets: HashMap::new(),
            blocked_until: HashMap::new(),
            libp2p_metrics,
            metrics,
            config,
        };

        for addr in event_loop.config.listen.clone() {
            event_loop
                .swarm
                .listen_on(addr.clone())
                .map_err(|e| NetworkError::Listen {
                    addr,
                    reason: e.to_string(),
                })?;
        }
        let now = Instant::now();
        for addr in event_loop.config.peers.clone() {
            if peer_id_of(&addr) == Some(local_peer_id) {
                debug!(%addr, "skipping configured peer that is this node");
                continue;
            }
            event_loop.add_configured_peer(addr, now);
        }
        Ok(event_loop)
    }

    /// Runs until a shutdown command arrives or every handle is dropped.
    pub(crate) async fn run(mut self) {
        let mut maintenance = tokio::time::interval(MAINTENANCE_INTERVAL);
        maintenance.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut discovery = tokio::time::interval(DISCOVERY_INTERVAL);
        discovery.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut resync = tokio::time::interval(self.config.resync_interval);
        resync.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // The first tick of a Tokio interval fires at once; new connections already trigger a
        // catch-up, so skip it.
        resync.reset();
        // A second sender for the backlog branch: a permit borrowed from `self.events` would
        // keep `self` borrowed inside the `select!` handlers.
        let events = self.events.clone();

        info!(peer = %self.swarm.local_peer_id(), "network started");
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                command = self.commands.recv() => match command {
                    Some(Command::Shutdown { reply }) => {
                        self.stop();
                        let _ = reply.send(());
                        break;
                    }
                    Some(command) => self.on_command(command),
                    None => {
                        info!("every network handle was dropped; stopping");
                        self.stop();
                        break;
                    }
                },
                Some(reply) = self.inbound_replies.next(), if !self.inbound_replies.is_empty() => {
                    self.on_inbound_reply(reply);
                }
                permit = events.reserve(), if !self.backlog.is_empty() => match permit {
                    Ok(permit) => {
                        if let Some(event) = self.backlog.pop_front() {
                            permit.send(event);
                        }
                    }
                    Err(_) => self.on_events_closed(),
                },
                _ = maintenance.tick() => self.on_maintenance(Instant::now()),
                _ = discovery.tick() => self.discover_more_peers(),
                _ = resync.tick() => self.on_resync(),
            }
        }
        info!(peer = %self.swarm.local_peer_id(), "network stopped");
    }

    fn stop(&mut self) {
        let listeners: Vec<_> = self.swarm.listeners().cloned().collect();
        debug!(?listeners, "closing listeners and connections");
        let peers: Vec<PeerId> = self.swarm.connected_peers().copied().collect();
        for peer in peers {
            let _ = self.swarm.disconnect_peer_id(peer);
        }
        // Dropping the pending replies makes every waiting handle call return `Stopped`.
        self.pending_sync.clear();
    }

    // ---- events to the node -------------------------------------------------------------

    /// Queues an event for the node. Returns the event back, undelivered, if the node stopped
    /// reading or the backlog is full.
    fn emit(&mut self, event: NetworkEvent) -> Option<NetworkEvent> {
        if self.events_closed {
            return Some(event);
        }
        if !self.backlog.is_empty() {
            if self.backlog.len() >= EVENT_BACKLOG_CAPACITY {
                return Some(event);
            }
            self.backlog.push_back(event);
            return None;
        }
        match self.events.try_send(event) {
            Ok(()) => None,
            Err(mpsc::error::TrySendError::Full(event)) => {
                self.backlog.push_back(event);
                None
            }
            Err(mpsc::error::TrySendError::Closed(event)) => {
                self.on_events_closed();
                Some(event)
            }
        }
    }

    /// Queues an event whose loss only costs some latency (connections, addresses), logging
    /// if it had to be dropped.
    fn emit_or_log(&mut self, event: NetworkEvent) {
        if let Some(event) = self.emit(event)
            && !self.events_closed
        {
            warn!(?event, "node is not reading network events; dropping one");
            self.metrics.events_dropped.inc();
        }
    }

    fn on_events_closed(&mut self) {
        if !self.events_closed {
            warn!("the node dropped the network event receiver; events are discarded from now on");
        }
        self.events_closed = true;
        for event in std::mem::take(&mut self.backlog) {
            self.discard_event(event);
        }
    }

    /// Cleans up after an event the node will never see.
    fn discard_event(&mut self, event: NetworkEvent) {
        if let NetworkEvent::GossipReceived {
            record_id,
            propagation_source,
            ..
        } = event
        {
            // Ignore frees the message from the cache without blaming the sender.
            self.swarm
                .behaviour_mut()
                .gossipsub
                .report_message_validation_result(
                    &MessageId::from(record_id.to_vec()),
                    &propagation_source,
                    MessageAcceptance::Ignore,
                );
        }
        // A dropped SyncRequest drops its reply sender, which refuses the request.
    }

    // ---- commands -----------------------------------------------------------------------

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Publish {
                record_id,
                record,
                reply,
            } => {
                let _ = reply.send(self.publish(record_id, record));
            }
            Command::ReportValidation {
                record_id,
                propagation_source,
                verdict,
            } => {
                let acceptance = match verdict {
                    Verdict::Accept => MessageAcceptance::Accept,
                    Verdict::Reject => MessageAcceptance::Reject,
                    Verdict::Ignore => MessageAcceptance::Ignore,
                };
                let known = self
                    .swarm
                    .behaviour_mut()
                    .gossipsub
                    .report_message_validation_result(
                        &MessageId::from(record_id.to_vec()),
                        &propagation_source,
                        acceptance,
                    );
                if !known {
                    debug!(
                        record_id = %hex::encode(record_id),
                        peer = %propagation_source,
                        ?verdict,
                        "validation reported after the message left the gossip cache"
                    );
                }
            }
            Command::SyncRequest {
                peer,
                request,
                reply,
            } => self.send_sync_request(peer, request, reply),
            Command::Peers { reply } => {
                let _ = reply.send(self.peer_infos());
            }
            Command::Dial { addr, reply } => {
                let result = self.dial_once(addr);
                let _ = reply.send(result);
            }
            Command::AddConfiguredPeer { addr, reply } => {
                let result = if peer_id_of(&addr) == Some(*self.swarm.local_peer_id()) {
                    Err(NetworkError::Dial {
                        addr,
                        reason: "the address belongs to this node".to_owned(),
                    })
                } else {
                    self.add_configured_peer(addr, Instant::now());
                    Ok(())
                };
                let _ = reply.send(result);
            }
            Command::ListenAddrs { reply } => {
                let _ = reply.send(self.swarm.listeners().cloned().collect());
            }
            Command::Penalize { peer, reason } => self.penalize(peer, &reason),
            Command::Shutdown { .. } => {
                // Handled in `run`, which must leave the loop.
            }
        }
    }

    fn publish(
        &mut self,
        record_id: [u8; RECORD_ID_LEN],
        record: Vec<u8>,
    ) -> Result<PublishOutcome, NetworkError> {
        let limit = self.config.max_record_bytes();
        if record.len() > limit {
            return Err(NetworkError::GossipMessageTooLarge {
                size: record.len(),
                limit,
            });
        }
        let mut frame = Vec::with_capacity(RECORD_ID_LEN + record.len());
        frame.extend_from_slice(&record_id);
        frame.extend_from_slice(&record);
        let record_hex = hex::encode(record_id);
        match self
            .swarm
            .behaviour_mut()
            .gossipsub
            .publish(self.names.topic.clone(), frame)
        {
            Ok(_) => {
                debug!(record_id = %record_hex, "record published");
                Ok(PublishOutcome::Published)
            }
            Err(PublishError::NoPeersSubscribedToTopic) => {
                info!(record_id = %record_hex, "no peers to gossip to; the record will spread by catch-up");
                Ok(PublishOutcome::NoPeers)
            }
            Err(PublishError::Duplicate) => Ok(PublishOutcome::Duplicate),
            Err(PublishError::MessageTooLarge) => Err(NetworkError::GossipMessageTooLarge {
                size: record.len(),
                limit,
            }),
            Err(PublishError::AllQueuesFull(peers)) => {
                warn!(record_id = %record_hex, peers, "gossip queues full; publish dropped");
                Err(NetworkError::PublishQueuesFull { peers })
            }
            Err(other) => Err(NetworkError::Publish(other.to_string())),
        }
    }

    fn send_sync_request(
        &mut self,
        peer: PeerId,
        request: Vec<u8>,
        reply: oneshot::Sender<Result<Vec<u8>, NetworkError>>,
    ) {
        if request.len() > self.config.sync_max_request_bytes {
            let _ = reply.send(Err(NetworkError::SyncRequestTooLarge {
                size: request.len(),
                limit: self.config.sync_max_request_bytes,
            }));
            return;
        }
        if self.blocked_until.contains_key(&peer) {
            let _ = reply.send(Err(NetworkError::PeerBlocked { peer }));
            return;
        }
        let request_id = self.swarm.behaviour_mut().sync.send_request(&peer, request);
        self.pending_sync
            .insert(request_id, PendingSync { peer, reply });
    }

    fn dial_once(&mut self, addr: Multiaddr) -> Result<(), NetworkError> {
        let opts = match peer_id_of(&addr) {
            Some(peer) if peer == *self.swarm.local_peer_id() => {
                return Err(NetworkError::Dial {
                    addr,
                    reason: "the address belongs to this node".to_owned(),
                });
            }
            Some(peer) => DialOpts::peer_id(peer)
                .addresses(vec![addr.clone()])
                .condition(PeerCondition::DisconnectedAndNotDialing)
                .build(),
            None => DialOpts::unknown_peer_id().address(addr.clone()).build(),
        };
        self.swarm.dial(opts).map_err(|e| NetworkError::Dial {
            addr,
            reason: e.to_string(),
        })
    }

    fn peer_infos(&mut self) -> Vec<PeerInfo> {
        let topic = self.names.topic.hash();
        let gossipsub = &self.swarm.behaviour().gossipsub;
        let mesh: HashSet<PeerId> = gossipsub.mesh_peers(&topic).copied().collect();
        let subscribed: HashSet<PeerId> = gossipsub
            .all_peers()
            .filter(|(_, topics)| topics.contains(&&topic))
            .map(|(peer, _)| *peer)
            .collect();
        let configured: HashMap<PeerId, &Multiaddr> = self
            .configured
            .iter()
            .filter_map(|c| c.peer_id.map(|id| (id, &c.addr)))
            .collect();

        let mut ids: Vec<PeerId> = self.connected.keys().copied().collect();
        ids.extend(
            configured
                .keys()
                .filter(|id| !self.connected.contains_key(id)),
        );
        ids.sort();
        ids.into_iter()
            .map(|peer_id| {
                let connection = self.connected.get(&peer_id);
                let addresses = match connection {
                    Some(c) => c.addresses.values().cloned().collect(),
                    None => configured
                        .get(&peer_id)
                        .map(|a| vec![(*a).clone()])
                        .unwrap_or_default(),
                };
                PeerInfo {
                    peer_id,
                    addresses,
                    connected_since: connection.map(|c| c.since),
                    configured: configured.contains_key(&peer_id),
                    member: connection.is_some_and(|c| c.member),
                    agent_version: connection.and_then(|c| c.agent_version.clone()),
                    gossip_subscribed: subscribed.contains(&peer_id),
                    gossip_mesh: mesh.contains(&peer_id),
                    gossip_explicit: configured.contains_key(&peer_id),
                    gossip_score: gossipsub.peer_score(&peer_id),
                }
            })
            .collect()
    }

    fn penalize(&mut self, peer: PeerId, reason: &str) {
        warn!(%peer, reason, duration = ?self.config.penalty_duration, "penalizing peer: disconnecting and blocking");
        self.blocked_until
            .insert(peer, Instant::now() + self.config.penalty_duration);
        // Blocking also closes every existing connection to the peer.
        self.swarm.behaviour_mut().blocked.block_peer(peer);
    }

    // ---- configured peers ---------------------------------------------------------------

    fn add_configured_peer(&mut self, addr: Multiaddr, now: Instant) {
        let peer_id = peer_id_of(&addr);
        if self.configured.iter().any(|c| c.addr == addr) {
            return;
        }
        if let Some(peer) = peer_id {
            self.on_configured_peer_identified(peer, &addr);
        }
        let connected = peer_id.is_some_and(|p| self.connected.contains_key(&p));
        info!(%addr, connected, "configured peer added");
        self.configured.push(ConfiguredPeer {
            addr,
            peer_id,
            connected,
            dialing: None,
            next_attempt: (!connected).then_some(now),
            backoff: Backoff::new(
                self.config.reconnect_initial_delay,
                self.config.reconnect_max_delay,
            ),
        });
        self.dial_due_configured_peers(now);
    }

    /// Makes a configured peer an explicit gossip peer, exempt from connection limits, and
    /// known to Kademlia.
    fn on_configured_peer_identified(&mut self, peer: PeerId, addr: &Multiaddr) {
        let behaviour = self.swarm.behaviour_mut();
        behaviour.gossipsub.add_explicit_peer(&peer);
        behaviour.limits.bypass_peer_id(&peer);
        if let Some(kad) = behaviour.kademlia.as_mut() {
            kad.add_address(&peer, without_p2p(addr));
        }
    }

    fn dial_due_configured_peers(&mut self, now: Instant) {
        for index in 0..self.configured.len() {
            let due = {
                let c = &self.configured[index];
                !c.connected && c.dialing.is_none() && c.next_attempt.is_some_and(|t| t <= now)
            };
            if due {
                self.dial_configured(index, now);
            }
        }
    }

    fn dial_configured(&mut self, index: usize, now: Instant) {
        let entry = &self.configured[index];
        if entry
            .peer_id
            .is_some_and(|p| self.blocked_until.contains_key(&p))
        {
            let delay = self.configured[index].backoff.next_delay();
            self.configured[index].next_attempt = Some(now + delay);
            return;
        }
        let opts = match entry.peer_id {
            Some(peer) => DialOpts::peer_id(peer)
                .addresses(vec![entry.addr.clone()])
                .condition(PeerCondition::DisconnectedAndNotDialing)
                .build(),
            None => DialOpts::unknown_peer_id()
                .address(entry.addr.clone())
                .build(),
        };
        let connection_id = opts.connection_id();
        let addr = entry.addr.clone();
        match self.swarm.dial(opts) {
            Ok(()) => {
                debug!(%addr, "dialling configured peer");
                let entry = &mut self.configured[index];
                entry.dialing = Some(connection_id);
                entry.next_attempt = None;
            }
            Err(error) => {
                let entry = &mut self.configured[index];
                let delay = entry.backoff.next_delay();
                entry.next_attempt = Some(now + delay);
                warn!(%addr, %error, retry_in = ?delay, "cannot dial configured peer");
            }
        }
    }

    fn schedule_reconnect(&mut self, index: usize, now: Instant) {
        let entry = &mut self.configured[index];
        entry.connected = false;
        entry.dialing = None;
        let delay = entry.backoff.next_delay();
        entry.next_attempt = Some(now + delay);
        debug!(addr = %entry.addr, retry_in = ?delay, "configured peer will be redialled");
    }

    // ---- periodic work ------------------------------------------------------------------

    fn on_maintenance(&mut self, now: Instant) {
        let expired: Vec<PeerId> = self
            .blocked_until
            .iter()
            .filter(|(_, until)| **until <= now)
            .map(|(peer, _)| *peer)
            .collect();
        for peer in expired {
            self.blocked_until.remove(&peer);
            self.swarm.behaviour_mut().blocked.unblock_peer(peer);
            info!(%peer, "penalty expired; peer unblocked");
        }
        self.dial_due_configured_peers(now);
        self.metrics
            .connected_peers
            .set(i64::try_from(self.connected.len()).unwrap_or(i64::MAX));
    }

    /// Dials a few members from the Kademlia table while we have fewer connections than the
    /// discovery target.
    fn discover_more_peers(&mut self) {
        let wanted = self
            .config
            .discovery_target_peers
            .saturating_sub(self.connected.len())
            .min(DISCOVERY_DIALS_PER_ROUND);
        if wanted == 0 {
            return;
        }
        let connected = &self.connected;
        let blocked = &self.blocked_until;
        let Some(kad) = self.swarm.behaviour_mut().kademlia.as_mut() else {
            return;
        };
        let mut candidates = Vec::new();
        for bucket in kad.kbuckets() {
            for entry in bucket.iter() {
                let peer = *entry.node.key.preimage();
                if !connected.contains_key(&peer) && !blocked.contains_key(&peer) {
                    candidates.push((peer, entry.node.value.iter().cloned().collect::<Vec<_>>()));
                }
            }
        }
        let chosen = candidates
            .into_iter()
            .choose_multiple(&mut rand::thread_rng(), wanted);
        for (peer, addresses) in chosen {
            self.dial_discovered(peer, addresses);
        }
    }

    fn dial_discovered(&mut self, peer: PeerId, addresses: Vec<Multiaddr>) {
        if self.connected.len() >= self.config.discovery_target_peers
            || self.connected.contains_key(&peer)
            || self.blocked_until.contains_key(&peer)
            || peer == *self.swarm.local_peer_id()
        {
            return;
        }
        let opts = DialOpts::peer_id(peer)
            .addresses(addresses)
            .condition(PeerCondition::DisconnectedAndNotDialing)
            .build();
        if let Err(error) = self.swarm.dial(opts) {
            debug!(%peer, %error, "cannot dial discovered peer");
        }
    }

    fn on_resync(&mut self) {
        let members = self
            .connected
            .iter()
            .filter(|(_, c)| c.member)
            .map(|(peer, _)| *peer);
        if let Some(peer) = members.choose(&mut rand::thread_rng()) {
            self.emit_or_log(NetworkEvent::ResyncDue { peer });
        }
    }

    // ---- swarm events -------------------------------------------------------------------

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        self.libp2p_metrics.record(&event);
        match event {
            SwarmEvent::Behaviour(event) => self.on_behaviour_event(event),
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                endpoint,
                ..
            } => {
                let addr = endpoint.get_remote_address().clone();
                debug!(peer = %peer_id, %addr, "connection established");
                self.connected
                    .entry(peer_id)
                    .or_insert_with(|| ConnectedPeer {
                        since: SystemTime::now(),
                        addresses: HashMap::new(),
                        member: false,
                        agent_version: None,
                    })
                    .addresses
                    .insert(connection_id, addr);
                self.on_configured_connection(peer_id, connection_id);
                self.metrics
                    .connected_peers
                    .set(i64::try_from(self.connected.len()).unwrap_or(i64::MAX));
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                connection_id,
                num_established,
                cause,
                ..
            } => {
                debug!(peer = %peer_id, ?cause, "connection closed");
                if let Some(peer) = self.connected.get_mut(&peer_id) {
                    peer.addresses.remove(&connection_id);
                }
                if num_established == 0 {
                    self.on_peer_gone(peer_id);
                }
            }
            SwarmEvent::OutgoingConnectionError {
                connection_id,
                peer_id,
                error,
            } => {
                let now = Instant::now();
                if let Some(index) = self
                    .configured
                    .iter()
                    .position(|c| c.dialing == Some(connection_id))
                {
                    let addr = self.configured[index].addr.clone();
                    warn!(%addr, %error, "cannot connect to configured peer");
                    self.schedule_reconnect(index, now);
                } else {
                    debug!(peer = ?peer_id, %error, "outgoing connection failed");
                }
            }
            SwarmEvent::IncomingConnectionError {
                send_back_addr,
                error,
                ..
            } => {
                debug!(addr = %send_back_addr, %error, "incoming connection failed");
            }
            SwarmEvent::NewListenAddr { address, .. } => {
                info!(addr = %address, "listening");
                self.emit_or_log(NetworkEvent::ListenAddr(address));
            }
            SwarmEvent::ExpiredListenAddr { address, .. } => {
                info!(addr = %address, "no longer listening");
            }
            SwarmEvent::ListenerError { error, .. } => {
                warn!(%error, "listener error");
            }
            _ => {}
        }
    }

    fn on_configured_connection(&mut self, peer: PeerId, connection_id: ConnectionId) {
        let by_dial = self
            .configured
            .iter()
            .position(|c| c.dialing == Some(connection_id));
        if let Some(index) = by_dial
            && self.configured[index].peer_id.is_none()
        {
            let addr = self.configured[index].addr.clone();
            info!(peer = %peer, %addr, "configured peer identified");
            self.configured[index].peer_id = Some(peer);
            self.on_configured_peer_identified(peer, &addr);
        }
        for entry in &mut self.configured {
            if entry.peer_id == Some(peer) {
                entry.connected = true;
                entry.dialing = None;
                entry.next_attempt = None;
            }
        }
    }

    fn on_peer_gone(&mut self, peer: PeerId) {
        let was_member = self.connected.remove(&peer).is_some_and(|c| c.member);
        self.sync_buckets.remove(&peer);
        if was_member {
            self.emit_or_log(NetworkEvent::PeerDisconnected { peer });
        }
        let now = Instant::now();
        for index in 0..self.configured.len() {
            if self.configured[index].peer_id == Some(peer) {
                self.schedule_reconnect(index, now);
            }
        }
        self.metrics
            .connected_peers
            .set(i64::try_from(self.connected.len()).unwrap_or(i64::MAX));
    }

    fn on_behaviour_event(&mut self, event: BehaviourEvent) {
        match event {
            BehaviourEvent::Gossipsub(event) => {
                self.libp2p_metrics.record(&event);
                self.on_gossip_event(event);
            }
            BehaviourEvent::Identify(event) => {
                self.libp2p_metrics.record(&event);
                self.on_identify_event(event);
            }
            BehaviourEvent::Kademlia(event) => {
                self.libp2p_metrics.record(&event);
                if let kad::Event::RoutingUpdated {
                    peer,
                    is_new_peer: true,
                    addresses,
                    ..
                } = event
                {
                    debug!(%peer, "kademlia learned a new member");
                    self.dial_discovered(peer, addresses.into_vec());
                }
            }
            BehaviourEvent::Ping(event) => {
                self.libp2p_metrics.record(&event);
                if let Err(error) = &event.result {
                    debug!(peer = %event.peer, %error, "ping failed");
                }
            }
            BehaviourEvent::Sync(event) => self.on_sync_event(event),
            BehaviourEvent::Limits(never) | BehaviourEvent::Blocked(never) => match never {},
        }
    }

    fn on_gossip_event(&mut self, event: gossipsub::Event) {
        match event {
            gossipsub::Event::Message {
                propagation_source,
                message_id,
                message,
            } => {
                let Ok(record_id) = <[u8; RECORD_ID_LEN]>::try_from(message_id.0.as_slice()) else {
                    warn!(peer = %propagation_source, len = message.data.len(), "gossip payload too short to carry a record id; rejecting");
                    self.swarm
                        .behaviour_mut()
                        .gossipsub
                        .report_message_validation_result(
                            &message_id,
                            &propagation_source,
                            MessageAcceptance::Reject,
                        );
                    return;
                };
                let mut record = message.data;
                record.drain(..RECORD_ID_LEN);
                let event = NetworkEvent::GossipReceived {
                    record_id,
                    propagation_source,
                    record,
                };
                if let Some(event) = self.emit(event) {
                    warn!(record_id = %hex::encode(record_id), peer = %propagation_source, "node is not keeping up; ignoring gossip message (catch-up will fetch it)");
                    self.metrics.events_dropped.inc();
                    self.discard_event(event);
                }
            }
            gossipsub::Event::Subscribed { peer_id, topic } => {
                debug!(peer = %peer_id, %topic, "peer subscribed");
            }
            gossipsub::Event::Unsubscribed { peer_id, topic } => {
                debug!(peer = %peer_id, %topic, "peer unsubscribed");
            }
            gossipsub::Event::GossipsubNotSupported { peer_id } => {
                debug!(peer = %peer_id, "peer does not support gossipsub");
            }
            gossipsub::Event::SlowPeer {
                peer_id,
                failed_messages,
            } => {
                warn!(peer = %peer_id, ?failed_messages, "peer is too slow to receive gossip");
            }
        }
    }

    fn on_identify_event(&mut self, event: identify::Event) {
        let identify::Event::Received { peer_id, info, .. } = event else {
            return;
        };
        if info.protocol_version != self.names.identify_version {
            warn!(
                peer = %peer_id,
                protocol_version = %info.protocol_version,
                expected = %self.names.identify_version,
                "peer is not a member of this federation; disconnecting"
            );
            let _ = self.swarm.disconnect_peer_id(peer_id);
            return;
        }
        if info.protocols.contains(&self.names.kad_protocol)
            && let Some(kad) = self.swarm.behaviour_mut().kademlia.as_mut()
        {
            for addr in &info.listen_addrs {
                kad.add_address(&peer_id, addr.clone());
            }
        }
        // A configured peer proved healthy: start its next backoff from the beginning.
        for entry in &mut self.configured {
            if entry.peer_id == Some(peer_id) {
                entry.backoff.reset();
            }
        }
        let Some(peer) = self.connected.get_mut(&peer_id) else {
            return;
        };
        peer.agent_version = Some(info.agent_version);
        if !peer.member {
            peer.member = true;
            let addr = peer
                .addresses
                .values()
                .next()
                .cloned()
                .unwrap_or_else(Multiaddr::empty);
            info!(peer = %peer_id, %addr, "member connected");
            self.emit_or_log(NetworkEvent::PeerConnected {
                peer: peer_id,
                addr,
            });
        }
    }

    fn on_sync_event(&mut self, event: request_response::Event<Vec<u8>, Vec<u8>>) {
        match event {
            request_response::Event::Message {
                peer,
                message:
                    request_response::Message::Request {
                        request, channel, ..
                    },
                ..
            } => self.on_inbound_sync_request(peer, request, channel),
            request_response::Event::Message {
                message:
                    request_response::Message::Response {
                        request_id,
                        response,
                    },
                ..
            } => {
                if let Some(pending) = self.pending_sync.remove(&request_id) {
                    let result = if response.is_empty() {
                        Err(NetworkError::SyncRefused { peer: pending.peer })
                    } else {
                        Ok(response)
                    };
                    let _ = pending.reply.send(result);
                }
            }
            request_response::Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                debug!(%peer, %error, "sync request failed");
                if let Some(pending) = self.pending_sync.remove(&request_id) {
                    let _ = pending.reply.send(Err(self.outbound_error(peer, error)));
                }
            }
            request_response::Event::InboundFailure { peer, error, .. } => {
                debug!(%peer, %error, "inbound sync request failed");
            }
            request_response::Event::ResponseSent { .. } => {}
        }
    }

    fn outbound_error(&self, peer: PeerId, error: OutboundFailure) -> NetworkError {
        match error {
            OutboundFailure::DialFailure => NetworkError::SyncPeerUnreachable { peer },
            OutboundFailure::Timeout => NetworkError::SyncTimeout {
                peer,
                after: self.config.sync_request_timeout,
            },
            OutboundFailure::ConnectionClosed => NetworkError::SyncConnectionClosed { peer },
            OutboundFailure::UnsupportedProtocols => NetworkError::SyncUnsupported { peer },
            OutboundFailure::Io(error) => match FrameTooLarge::find(&error) {
                Some(FrameTooLarge {
                    kind: FrameKind::Response,
                    limit,
                }) => NetworkError::SyncResponseTooLarge { peer, limit },
                Some(FrameTooLarge {
                    kind: FrameKind::Request,
                    limit,
                }) => NetworkError::SyncRequestTooLarge {
                    size: limit + 1,
                    limit,
                },
                None => NetworkError::SyncIo {
                    peer,
                    reason: error.to_string(),
                },
            },
        }
    }

    fn on_inbound_sync_request(
        &mut self,
        peer: PeerId,
        request: Vec<u8>,
        channel: ResponseChannel<Vec<u8>>,
    ) {
        let now = Instant::now();
        let (burst, rate) = (
            self.config.sync_request_burst,
            self.config.sync_requests_per_second,
        );
        let allowed = self
            .sync_buckets
            .entry(peer)
            .or_insert_with(|| TokenBucket::new(burst, rate, now))
            .try_take(now);
        if !allowed {
            warn!(%peer, "peer exceeds its sync request rate; refusing request");
            self.metrics.sync_requests_rate_limited.inc();
            return; // Dropping the channel refuses the request.
        }
        if self.inbound_replies.len() >= MAX_PENDING_INBOUND_SYNC {
            warn!(%peer, "too many sync requests waiting for the node; refusing request");
            self.metrics.events_dropped.inc();
            return;
        }
        let (reply, answer) = oneshot::channel();
        let timeout = self.config.sync_request_timeout;
        self.inbound_replies.push(
            async move {
                let response = tokio::time::timeout(timeout, answer)
                    .await
                    .ok()
                    .and_then(Result::ok);
                (peer, channel, response)
            }
            .boxed(),
        );
        let event = NetworkEvent::SyncRequest {
            peer,
            request,
            reply,
        };
        if self.emit(event).is_some() {
            warn!(%peer, "node is not keeping up; refusing sync request");
            self.metrics.events_dropped.inc();
        }
    }

    fn on_inbound_reply(&mut self, (peer, channel, response): InboundReply) {
        let Some(response) = response else {
            debug!(%peer, "node did not answer the sync request; refusing it");
            return;
        };
        if response.is_empty() || response.len() > self.config.sync_max_response_bytes {
            warn!(
                %peer,
                len = response.len(),
                limit = self.config.sync_max_response_bytes,
                "sync response is empty or over the limit; refusing the request instead"
            );
            return;
        }
        if self
            .swarm
            .behaviour_mut()
            .sync
            .send_response(channel, response)
            .is_err()
        {
            debug!(%peer, "sync requester went away before the response was sent");
        }
    }
}

/// The peer id at the end of an address (`.../p2p/<id>`), if any.
fn peer_id_of(addr: &Multiaddr) -> Option<PeerId> {
    addr.iter().find_map(|protocol| match protocol {
        libp2p::multiaddr::Protocol::P2p(peer) => Some(peer),
        _ => None,
    })
}

/// The address without its `/p2p/<id>` part, as Kademlia stores it.
fn without_p2p(addr: &Multiaddr) -> Multiaddr {
    addr.iter()
        .filter(|protocol| !matches!(protocol, libp2p::multiaddr::Protocol::P2p(_)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_peer_id_suffix_of_an_address() {
        let peer = PeerId::random();
        let addr: Multiaddr = format!("/ip4/10.0.0.1/tcp/4001/p2p/{peer}")
            .parse()
            .expect("valid multiaddr");
        assert_eq!(peer_id_of(&addr), Some(peer));
        assert_eq!(
            without_p2p(&addr).to_string(),
            "/ip4/10.0.0.1/tcp/4001".to_owned()
        );
        let bare: Multiaddr = "/ip4/10.0.0.1/tcp/4001".parse().expect("valid multiaddr");
        assert_eq!(peer_id_of(&bare), None);
    }
}
