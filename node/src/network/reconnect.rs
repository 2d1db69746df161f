//! The reconnect policy for configured peers: a small pure state machine.
//!
//! Configured peers are the ones an operator named; the node keeps them connected for life,
//! redialling with exponential backoff after every failure or disconnection. The policy only
//! keeps the books: it hears what happened (a peer was configured, a dial started or failed, a
//! connection was established or lost, a connection proved healthy) and answers which peers are
//! due a dial at a given instant. It never touches the swarm and never reads the clock, so its
//! tests below run without sleeping and without a network; the swarm task asks it and carries
//! out the dials.
//!
//! There is no jitter: every configured peer is a distinct node, so their redials do not
//! synchronise the way many clients of one server would.

use std::time::{Duration, Instant};

use libp2p::{Multiaddr, PeerId, swarm::ConnectionId};

use super::addresses::peer_id_of;

/// Exponential backoff for reconnecting to a configured peer: the first retry waits
/// `initial`, each further failure doubles the wait, up to `max`.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    initial: Duration,
    max: Duration,
    current: Duration,
}

impl Backoff {
    /// Creates a backoff that starts at `initial` and never exceeds `max`.
    pub(crate) fn new(initial: Duration, max: Duration) -> Self {
        Self {
            initial,
            max: max.max(initial),
            current: initial,
        }
    }

    /// Returns how long to wait before the next attempt, and doubles the wait for the one
    /// after.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let delay = self.current;
        self.current = self.current.saturating_mul(2).min(self.max);
        delay
    }

    /// Starts again from the initial wait, after a connection has proven healthy.
    pub(crate) fn reset(&mut self) {
        self.current = self.initial;
    }
}

/// Where one configured peer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    /// At least one connection is established.
    Connected,
    /// A dial is in flight under this connection id.
    Dialing(ConnectionId),
    /// Neither connected nor dialling: dial again once `until` has passed.
    Waiting { until: Instant },
}

/// One configured peer and its reconnect state.
#[derive(Debug)]
struct ConfiguredPeer {
    addr: Multiaddr,
    /// Known from the `/p2p/` suffix or from the first connection.
    peer_id: Option<PeerId>,
    link: Link,
    backoff: Backoff,
}

/// A dial the policy wants now. `slot` names the configured entry in the answers that follow
/// ([`ReconnectPolicy::dial_started`], [`ReconnectPolicy::postpone`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DueDial {
    /// The configured entry.
    pub slot: usize,
    /// The configured address.
    pub addr: Multiaddr,
    /// The peer id, if known; the dial then checks it and skips a peer already connected.
    pub peer_id: Option<PeerId>,
}

/// The books of every configured peer. See the module documentation.
#[derive(Debug)]
pub(crate) struct ReconnectPolicy {
    initial_delay: Duration,
    max_delay: Duration,
    peers: Vec<ConfiguredPeer>,
}

impl ReconnectPolicy {
    /// A policy without peers whose backoff starts at `initial_delay` and is capped at
    /// `max_delay`.
    pub(crate) fn new(initial_delay: Duration, max_delay: Duration) -> Self {
        Self {
            initial_delay,
            max_delay,
            peers: Vec::new(),
        }
    }

    /// How many addresses are configured.
    pub(crate) fn len(&self) -> usize {
        self.peers.len()
    }

    /// Adds a configured address. Unless `already_connected` (its `/p2p/` peer is connected
    /// already), it is due a dial at once. Returns false, and changes nothing, if the address
    /// was configured before.
    pub(crate) fn add(&mut self, addr: Multiaddr, already_connected: bool, now: Instant) -> bool {
        if self.peers.iter().any(|c| c.addr == addr) {
            return false;
        }
        let link = if already_connected {
            Link::Connected
        } else {
            Link::Waiting { until: now }
        };
        self.peers.push(ConfiguredPeer {
            peer_id: peer_id_of(&addr),
            addr,
            link,
            backoff: Backoff::new(self.initial_delay, self.max_delay),
        });
        true
    }

    /// Forgets a configured address: it is never dialled again. Returns whether it was there.
    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "no command removes a configured peer yet; the policy is ready for one"
        )
    )]
    pub(crate) fn remove(&mut self, addr: &Multiaddr) -> bool {
        let before = self.peers.len();
        self.peers.retain(|c| &c.addr != addr);
        self.peers.len() != before
    }

    /// The configured entries due a dial at `now`, in configuration order. Each must be
    /// answered with [`dial_started`](Self::dial_started) or [`postpone`](Self::postpone).
    pub(crate) fn due(&self, now: Instant) -> Vec<DueDial> {
        self.peers
            .iter()
            .enumerate()
            .filter(|(_, c)| matches!(c.link, Link::Waiting { until } if until <= now))
            .map(|(slot, c)| DueDial {
                slot,
                addr: c.addr.clone(),
                peer_id: c.peer_id,
            })
            .collect()
    }

    /// The dial of `slot` is under way as `connection`.
    pub(crate) fn dial_started(&mut self, slot: usize, connection: ConnectionId) {
        if let Some(entry) = self.peers.get_mut(slot) {
            entry.link = Link::Dialing(connection);
        }
    }

    /// The dial of `slot` could not start (the peer is blocked, or the swarm refused it): try
    /// again after the next backoff delay, which is returned for the log.
    pub(crate) fn postpone(&mut self, slot: usize, now: Instant) -> Duration {
        match self.peers.get_mut(slot) {
            Some(entry) => entry.wait(now),
            None => Duration::ZERO,
        }
    }

    /// The dial `connection` failed. If it was a configured peer's, that peer waits for its
    /// next backoff delay; returns its address and the delay, for the log.
    pub(crate) fn dial_failed(
        &mut self,
        connection: ConnectionId,
        now: Instant,
    ) -> Option<(Multiaddr, Duration)> {
        let entry = self
            .peers
            .iter_mut()
            .find(|c| c.link == Link::Dialing(connection))?;
        let delay = entry.wait(now);
        Some((entry.addr.clone(), delay))
    }

    /// A connection to `peer` was established as `connection`. If that connection was the dial
    /// of a configured address whose peer id was unknown, the address now has one, which is
    /// returned so the caller can treat the peer as configured. Every entry of `peer` counts as
    /// connected from now on.
    pub(crate) fn connected(
        &mut self,
        peer: PeerId,
        connection: ConnectionId,
    ) -> Option<Multiaddr> {
        let mut identified = None;
        if let Some(entry) = self
            .peers
            .iter_mut()
            .find(|c| c.link == Link::Dialing(connection))
            && entry.peer_id.is_none()
        {
            entry.peer_id = Some(peer);
            identified = Some(entry.addr.clone());
        }
        for entry in &mut self.peers {
            if entry.peer_id == Some(peer) {
                entry.link = Link::Connected;
            }
        }
        identified
    }

    /// The last connection to `peer` closed: each of its entries waits for its next backoff
    /// delay before being dialled again.
    pub(crate) fn disconnected(&mut self, peer: PeerId, now: Instant) {
        for entry in &mut self.peers {
            if entry.peer_id == Some(peer) {
                entry.wait(now);
            }
        }
    }

    /// A connection to `peer` proved healthy (the peer identified itself as a member): its next
    /// backoff starts from the initial delay again.
    pub(crate) fn proven_healthy(&mut self, peer: PeerId) {
        for entry in &mut self.peers {
            if entry.peer_id == Some(peer) {
                entry.backoff.reset();
            }
        }
    }

    /// The configured peers whose id is known, with their configured address.
    pub(crate) fn identified(&self) -> impl Iterator<Item = (PeerId, &Multiaddr)> {
        self.peers
            .iter()
            .filter_map(|c| c.peer_id.map(|id| (id, &c.addr)))
    }
}

impl ConfiguredPeer {
    /// Waits for the next backoff delay before the next dial; returns the delay.
    fn wait(&mut self, now: Instant) -> Duration {
        let delay = self.backoff.next_delay();
        self.link = Link::Waiting { until: now + delay };
        delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    fn policy() -> ReconnectPolicy {
        ReconnectPolicy::new(SECOND, 30 * SECOND)
    }

    fn address_of(peer: PeerId, port: u16) -> Multiaddr {
        format!("/ip4/127.0.0.1/tcp/{port}/p2p/{peer}")
            .parse()
            .expect("valid multiaddr")
    }

    fn connection(n: usize) -> ConnectionId {
        ConnectionId::new_unchecked(n)
    }

    /// The addresses due a dial at `now`.
    fn due_addrs(policy: &ReconnectPolicy, now: Instant) -> Vec<Multiaddr> {
        policy.due(now).into_iter().map(|d| d.addr).collect()
    }

    /// Dials every due peer, lets each dial fail, and returns the delays the policy chose.
    fn fail_every_due_dial(
        policy: &mut ReconnectPolicy,
        now: Instant,
        next_connection: &mut usize,
    ) -> Vec<Duration> {
        let mut delays = Vec::new();
        for dial in policy.due(now) {
            *next_connection += 1;
            policy.dial_started(dial.slot, connection(*next_connection));
            let (addr, delay) = policy
                .dial_failed(connection(*next_connection), now)
                .expect("the dial belongs to a configured peer");
            assert_eq!(addr, dial.addr);
            delays.push(delay);
        }
        delays
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum_and_resets() {
        let mut backoff = Backoff::new(SECOND, 30 * SECOND);
        let delays: Vec<u64> = (0..7).map(|_| backoff.next_delay().as_secs()).collect();
        assert_eq!(delays, vec![1, 2, 4, 8, 16, 30, 30]);
        backoff.reset();
        assert_eq!(backoff.next_delay(), SECOND);
    }

    #[test]
    fn a_new_peer_is_due_at_once_and_not_while_its_dial_is_in_flight() {
        let start = Instant::now();
        let mut policy = policy();
        let emilia = address_of(PeerId::random(), 4001);
        assert!(policy.add(emilia.clone(), false, start));
        assert!(!policy.add(emilia.clone(), false, start), "added twice");
        assert_eq!(policy.len(), 1);
        let due = policy.due(start);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].addr, emilia);
        assert_eq!(due[0].peer_id, peer_id_of(&emilia));
        policy.dial_started(due[0].slot, connection(1));
        assert!(policy.due(start + 3600 * SECOND).is_empty());
    }

    #[test]
    fn a_peer_already_connected_is_not_dialled() {
        let start = Instant::now();
        let mut policy = policy();
        policy.add(address_of(PeerId::random(), 4001), true, start);
        assert!(policy.due(start + 3600 * SECOND).is_empty());
    }

    #[test]
    fn failed_dials_back_off_exponentially_up_to_the_cap() {
        let mut now = Instant::now();
        let mut policy = policy();
        let flanders = address_of(PeerId::random(), 4002);
        policy.add(flanders.clone(), false, now);
        let mut next_connection = 0;
        let mut delays = Vec::new();
        for _ in 0..7 {
            let chosen = fail_every_due_dial(&mut policy, now, &mut next_connection);
            assert_eq!(chosen.len(), 1);
            let delay = chosen[0];
            assert!(
                due_addrs(&policy, now + delay - Duration::from_millis(1)).is_empty(),
                "due before its delay has passed"
            );
            now += delay;
            assert_eq!(due_addrs(&policy, now), vec![flanders.clone()]);
            delays.push(delay.as_secs());
        }
        assert_eq!(delays, vec![1, 2, 4, 8, 16, 30, 30]);
    }

    #[test]
    fn a_healthy_connection_resets_the_backoff() {
        let mut now = Instant::now();
        let mut policy = policy();
        let peer = PeerId::random();
        policy.add(address_of(peer, 4003), false, now);
        let mut next_connection = 0;
        for _ in 0..4 {
            let delay = fail_every_due_dial(&mut policy, now, &mut next_connection)[0];
            now += delay;
        }
        let dial = policy.due(now).remove(0);
        policy.dial_started(dial.slot, connection(100));
        assert_eq!(policy.connected(peer, connection(100)), None);
        assert!(policy.due(now + 3600 * SECOND).is_empty(), "connected");

        // Lost without proving healthy: the backoff goes on where it was (16 s after 1, 2, 4, 8).
        policy.disconnected(peer, now);
        assert!(due_addrs(&policy, now + 15 * SECOND).is_empty());
        assert_eq!(due_addrs(&policy, now + 16 * SECOND).len(), 1);

        now += 16 * SECOND;
        let dial = policy.due(now).remove(0);
        policy.dial_started(dial.slot, connection(101));
        policy.connected(peer, connection(101));
        policy.proven_healthy(peer);
        policy.disconnected(peer, now);
        assert!(due_addrs(&policy, now + SECOND - Duration::from_millis(1)).is_empty());
        assert_eq!(due_addrs(&policy, now + SECOND).len(), 1, "back to 1 s");
    }

    #[test]
    fn a_postponed_dial_waits_for_the_next_delay() {
        let now = Instant::now();
        let mut policy = policy();
        policy.add(address_of(PeerId::random(), 4004), false, now);
        let dial = policy.due(now).remove(0);
        assert_eq!(policy.postpone(dial.slot, now), SECOND);
        assert!(due_addrs(&policy, now).is_empty());
        assert_eq!(due_addrs(&policy, now + SECOND).len(), 1);
        assert_eq!(policy.postpone(dial.slot, now + SECOND), 2 * SECOND);
    }

    #[test]
    fn the_first_connection_names_a_peer_configured_without_an_id() {
        let now = Instant::now();
        let mut policy = policy();
        let bare: Multiaddr = "/ip4/10.0.0.7/tcp/4001".parse().expect("valid multiaddr");
        policy.add(bare.clone(), false, now);
        assert_eq!(policy.identified().count(), 0);
        let dial = policy.due(now).remove(0);
        assert_eq!(dial.peer_id, None);
        policy.dial_started(dial.slot, connection(7));
        let catalonia = PeerId::random();
        assert_eq!(
            policy.connected(catalonia, connection(7)),
            Some(bare.clone())
        );
        let identified: Vec<_> = policy.identified().collect();
        assert_eq!(identified, vec![(catalonia, &bare)]);
        // Once named, losing the peer schedules a redial of that address.
        policy.disconnected(catalonia, now);
        assert_eq!(due_addrs(&policy, now + SECOND), vec![bare]);
    }

    #[test]
    fn a_connection_from_someone_else_changes_nothing() {
        let now = Instant::now();
        let mut policy = policy();
        let emilia = PeerId::random();
        policy.add(address_of(emilia, 4001), false, now);
        let dial = policy.due(now).remove(0);
        policy.dial_started(dial.slot, connection(1));
        assert_eq!(policy.connected(PeerId::random(), connection(2)), None);
        assert_eq!(policy.dial_failed(connection(2), now), None);
        policy.disconnected(PeerId::random(), now);
        assert!(policy.due(now + 3600 * SECOND).is_empty(), "still dialling");
        assert!(policy.dial_failed(connection(1), now).is_some());
    }

    #[test]
    fn peers_back_off_independently() {
        let mut now = Instant::now();
        let mut policy = policy();
        let (emilia, flanders) = (PeerId::random(), PeerId::random());
        let emilia_addr = address_of(emilia, 4001);
        let flanders_addr = address_of(flanders, 4002);
        policy.add(emilia_addr.clone(), false, now);
        policy.add(flanders_addr.clone(), false, now);

        // Emilia connects at once; Flanders fails three times (then waits 1, 2 and 4 s).
        let dials = policy.due(now);
        assert_eq!(dials.len(), 2);
        policy.dial_started(dials[0].slot, connection(1));
        policy.connected(emilia, connection(1));
        policy.dial_started(dials[1].slot, connection(2));
        assert_eq!(
            policy.dial_failed(connection(2), now).map(|f| f.1),
            Some(SECOND)
        );
        let mut next_connection = 2;
        now += SECOND;
        assert_eq!(
            fail_every_due_dial(&mut policy, now, &mut next_connection),
            vec![2 * SECOND]
        );
        now += 2 * SECOND;
        assert_eq!(
            fail_every_due_dial(&mut policy, now, &mut next_connection),
            vec![4 * SECOND]
        );

        // Emilia's first disconnection waits the initial delay, untouched by Flanders' failures.
        policy.disconnected(emilia, now);
        assert_eq!(due_addrs(&policy, now + SECOND), vec![emilia_addr.clone()]);
        assert_eq!(
            due_addrs(&policy, now + 4 * SECOND),
            vec![emilia_addr, flanders_addr]
        );
    }

    #[test]
    fn a_removed_peer_is_never_dialled_again() {
        let now = Instant::now();
        let mut policy = policy();
        let (emilia, flanders) = (PeerId::random(), PeerId::random());
        let emilia_addr = address_of(emilia, 4001);
        let flanders_addr = address_of(flanders, 4002);
        policy.add(emilia_addr.clone(), false, now);
        policy.add(flanders_addr.clone(), false, now);
        assert!(policy.remove(&emilia_addr));
        assert!(!policy.remove(&emilia_addr), "removed twice");
        assert_eq!(due_addrs(&policy, now), vec![flanders_addr.clone()]);
        policy.disconnected(emilia, now);
        assert_eq!(due_addrs(&policy, now + 3600 * SECOND), vec![flanders_addr]);
        assert!(policy.identified().all(|(id, _)| id != emilia));
    }
}
