//! Reading the parts of a peer address that the network layer cares about.
//!
//! A configured address may name its peer (`.../p2p/<id>`) or not; Kademlia wants addresses
//! without that suffix. Both helpers are pure, so every part of the network layer shares them.

use libp2p::{Multiaddr, PeerId, multiaddr::Protocol};

/// The peer id at the end of an address (`.../p2p/<id>`), if any.
pub(crate) fn peer_id_of(addr: &Multiaddr) -> Option<PeerId> {
    addr.iter().find_map(|protocol| match protocol {
        Protocol::P2p(peer) => Some(peer),
        _ => None,
    })
}

/// The address without its `/p2p/<id>` part, as Kademlia stores it.
pub(crate) fn without_p2p(addr: &Multiaddr) -> Multiaddr {
    addr.iter()
        .filter(|protocol| !matches!(protocol, Protocol::P2p(_)))
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
