//! Finding and vetting members: identify tells whether a connected peer belongs to this
//! federation, and the private Kademlia table supplies more members to dial while the node has
//! fewer connections than its discovery target.

use libp2p::{
    Multiaddr, PeerId, identify, kad,
    swarm::dial_opts::{DialOpts, PeerCondition},
};
use rand::seq::IteratorRandom;
use tracing::{debug, info, warn};

use super::{NetworkEvent, swarm_task::SwarmTask};

/// Discovered peers dialled per discovery round, so a large routing table does not turn into
/// a burst of dials.
const DISCOVERY_DIALS_PER_ROUND: usize = 4;

impl SwarmTask {
    /// Checks that a peer speaks for this federation (disconnecting it otherwise), feeds its
    /// addresses to Kademlia and reports it to the node as a member.
    pub(super) fn on_identify_event(&mut self, event: identify::Event) {
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
        self.configured.proven_healthy(peer_id);
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

    /// Dials members Kademlia learns about, up to the discovery target.
    pub(super) fn on_kademlia_event(&mut self, event: kad::Event) {
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

    /// Dials a few members from the Kademlia table while we have fewer connections than the
    /// discovery target.
    pub(super) fn discover_more_peers(&mut self) {
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
}
