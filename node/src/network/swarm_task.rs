//! The task that owns the Swarm. It builds the libp2p stack, runs the `select!` loop over swarm
//! events, commands, timers and the event backlog, keeps the books of connected peers, and
//! queues [`NetworkEvent`]s for the node without ever blocking on it.
//!
//! Each job it dispatches to lives in a file of its own, as an `impl SwarmTask` block:
//! `commands` (requests from handles), `gossip` (publishing and validation), `catch_up_requests`
//! (request-response for catch-up), `discovery` (identify and Kademlia) and `configured_peers`
//! (carrying out what the pure [`ReconnectPolicy`] decides).

use std::{
    collections::{HashMap, VecDeque},
    time::{Duration, Instant, SystemTime},
};

use futures::{StreamExt, future::BoxFuture, stream::FuturesUnordered};
use libp2p::metrics::{Metrics, Recorder};
use libp2p::{
    Multiaddr, PeerId, Swarm, SwarmBuilder,
    gossipsub::{MessageAcceptance, MessageId},
    noise,
    request_response::OutboundRequestId,
    swarm::{ConnectionId, SwarmEvent},
    tcp, yamux,
};
use prometheus_client::{
    metrics::{counter::Counter, gauge::Gauge},
    registry::Registry,
};
use rand::seq::IteratorRandom;
use tokio::{sync::mpsc, time::MissedTickBehavior};
use tracing::{debug, info, warn};

use super::{
    EVENT_BACKLOG_CAPACITY, NetworkConfig, NetworkError, NetworkEvent,
    addresses::peer_id_of,
    behaviour::{Behaviour, BehaviourEvent, FederationNames},
    catch_up_requests::{InboundReply, PendingSync},
    commands::Command,
    limits::TokenBucket,
    reconnect::ReconnectPolicy,
};

/// How often the loop redials configured peers, lifts expired blocks and refreshes gauges.
const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(1);

/// How often the loop tops up connections to discovered members from the Kademlia table.
const DISCOVERY_INTERVAL: Duration = Duration::from_secs(30);

/// A peer with at least one established connection.
#[derive(Debug)]
pub(super) struct ConnectedPeer {
    pub(super) since: SystemTime,
    pub(super) addresses: HashMap<ConnectionId, Multiaddr>,
    /// Set once identify confirms the peer belongs to our federation.
    pub(super) member: bool,
    pub(super) agent_version: Option<String>,
}

/// Counters and gauges owned by the network layer itself, next to libp2p's own metrics.
#[derive(Debug, Default)]
pub(super) struct LocalMetrics {
    pub(super) connected_peers: Gauge,
    pub(super) events_dropped: Counter,
    pub(super) sync_requests_rate_limited: Counter,
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

/// The one owner of the Swarm and of everything that must change in step with it. The fields
/// are shared with the sibling files that hold the task's other jobs.
pub(crate) struct SwarmTask {
    pub(super) swarm: Swarm<Behaviour>,
    pub(super) names: FederationNames,
    pub(super) config: NetworkConfig,
    commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<NetworkEvent>,
    /// Events waiting for room in `events`; bounded by [`EVENT_BACKLOG_CAPACITY`].
    backlog: VecDeque<NetworkEvent>,
    events_closed: bool,
    pub(super) connected: HashMap<PeerId, ConnectedPeer>,
    /// When to redial which configured peer; the task only asks it.
    pub(super) configured: ReconnectPolicy,
    pub(super) pending_sync: HashMap<OutboundRequestId, PendingSync>,
    pub(super) inbound_replies: FuturesUnordered<BoxFuture<'static, InboundReply>>,
    pub(super) sync_buckets: HashMap<PeerId, TokenBucket>,
    pub(super) blocked_until: HashMap<PeerId, Instant>,
    pub(super) libp2p_metrics: Metrics,
    pub(super) metrics: LocalMetrics,
}

impl std::fmt::Debug for SwarmTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SwarmTask")
            .field("local_peer_id", self.swarm.local_peer_id())
            .field("connected", &self.connected.len())
            .field("configured", &self.configured.len())
            .finish_non_exhaustive()
    }
}

impl SwarmTask {
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

        let mut task = Self {
            swarm,
            names,
            commands,
            events,
            backlog: VecDeque::new(),
            events_closed: false,
            connected: HashMap::new(),
            configured: ReconnectPolicy::new(
                config.reconnect_initial_delay,
                config.reconnect_max_delay,
            ),
            pending_sync: HashMap::new(),
            inbound_replies: FuturesUnordered::new(),
            sync_buckets: HashMap::new(),
            blocked_until: HashMap::new(),
            libp2p_metrics,
            metrics,
            config,
        };

        for addr in task.config.listen.clone() {
            task.swarm
                .listen_on(addr.clone())
                .map_err(|e| NetworkError::Listen {
                    addr,
                    reason: e.to_string(),
                })?;
        }
        let now = Instant::now();
        for addr in task.config.peers.clone() {
            if peer_id_of(&addr) == Some(local_peer_id) {
                debug!(%addr, "skipping configured peer that is this node");
                continue;
            }
            task.add_configured_peer(addr, now);
        }
        Ok(task)
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
    pub(super) fn emit(&mut self, event: NetworkEvent) -> Option<NetworkEvent> {
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
    pub(super) fn emit_or_log(&mut self, event: NetworkEvent) {
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
    pub(super) fn discard_event(&mut self, event: NetworkEvent) {
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
                        since: crate::clock::now(),
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
                if let Some((addr, retry_in)) =
                    self.configured.dial_failed(connection_id, Instant::now())
                {
                    warn!(%addr, %error, ?retry_in, "cannot connect to configured peer");
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

    fn on_peer_gone(&mut self, peer: PeerId) {
        let was_member = self.connected.remove(&peer).is_some_and(|c| c.member);
        self.sync_buckets.remove(&peer);
        if was_member {
            self.emit_or_log(NetworkEvent::PeerDisconnected { peer });
        }
        self.configured.disconnected(peer, Instant::now());
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
                self.on_kademlia_event(event);
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
}
