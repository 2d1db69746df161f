//! Requests from [`NetworkHandle`](super::NetworkHandle)s: the [`Command`] enum and how the
//! swarm task carries out the ones that are not the job of another file (peer lists, dials,
//! penalties).

use std::{
    collections::{HashMap, HashSet},
    time::Instant,
};

use libp2p::{
    Multiaddr, PeerId,
    swarm::dial_opts::{DialOpts, PeerCondition},
};
use tokio::sync::oneshot;
use tracing::warn;

use super::{
    GossipValidation, NetworkError, PeerInfo, PublishOutcome, RECORD_ID_LEN, addresses::peer_id_of,
    swarm_task::SwarmTask,
};

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
        verdict: GossipValidation,
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

impl SwarmTask {
    /// Carries out one request from a handle. `Shutdown` is handled by the loop itself, which
    /// must stop.
    pub(super) fn on_command(&mut self, command: Command) {
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
            } => self.report_validation(record_id, propagation_source, verdict),
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
                // Handled in `SwarmTask::run`, which must leave the loop.
            }
        }
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
        let configured: HashMap<PeerId, &Multiaddr> = self.configured.identified().collect();

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
}
