//! Keeping configured peers connected: the swarm task carries out what the pure
//! [`ReconnectPolicy`](super::reconnect::ReconnectPolicy) decides, and tells it what happened.
//!
//! A configured peer whose id is known becomes a gossipsub explicit peer (always forwarded to),
//! is exempt from connection limits and is known to Kademlia.

use std::time::Instant;

use libp2p::{
    Multiaddr, PeerId,
    swarm::{
        ConnectionId,
        dial_opts::{DialOpts, PeerCondition},
    },
};
use tracing::{debug, info, warn};

use super::{addresses::without_p2p, swarm_task::SwarmTask};

impl SwarmTask {
    /// Adds a configured peer and dials it at once unless it is connected already. An address
    /// configured before is left as it is.
    pub(super) fn add_configured_peer(&mut self, addr: Multiaddr, now: Instant) {
        let peer_id = super::addresses::peer_id_of(&addr);
        let connected = peer_id.is_some_and(|p| self.connected.contains_key(&p));
        if !self.configured.add(addr.clone(), connected, now) {
            return;
        }
        if let Some(peer) = peer_id {
            self.on_configured_peer_identified(peer, &addr);
        }
        info!(%addr, connected, "configured peer added");
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

    /// Dials every configured peer the policy says is due. A blocked peer is not dialled: the
    /// policy postpones it by its next backoff delay instead.
    pub(super) fn dial_due_configured_peers(&mut self, now: Instant) {
        for due in self.configured.due(now) {
            if due
                .peer_id
                .is_some_and(|p| self.blocked_until.contains_key(&p))
            {
                self.configured.postpone(due.slot, now);
                continue;
            }
            let opts = match due.peer_id {
                Some(peer) => DialOpts::peer_id(peer)
                    .addresses(vec![due.addr.clone()])
                    .condition(PeerCondition::DisconnectedAndNotDialing)
                    .build(),
                None => DialOpts::unknown_peer_id()
                    .address(due.addr.clone())
                    .build(),
            };
            let connection_id = opts.connection_id();
            match self.swarm.dial(opts) {
                Ok(()) => {
                    debug!(addr = %due.addr, "dialling configured peer");
                    self.configured.dial_started(due.slot, connection_id);
                }
                Err(error) => {
                    let delay = self.configured.postpone(due.slot, now);
                    warn!(addr = %due.addr, %error, retry_in = ?delay, "cannot dial configured peer");
                }
            }
        }
    }

    /// Tells the policy about a new connection; if it named a configured address's peer for
    /// the first time, that peer is now treated as configured.
    pub(super) fn on_configured_connection(&mut self, peer: PeerId, connection_id: ConnectionId) {
        if let Some(addr) = self.configured.connected(peer, connection_id) {
            info!(peer = %peer, %addr, "configured peer identified");
            self.on_configured_peer_identified(peer, &addr);
        }
    }
}
