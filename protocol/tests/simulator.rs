//! The deterministic simulator: twenty replication cores over a virtual network that loses 10% of
//! messages, reorders them, restarts nodes and splits the federation in two for a while. Every
//! core must converge to the same heads.
//!
//! Everything is driven by one seeded random generator and a virtual clock, so a failure replays
//! exactly: the seed is printed on failure, and `MOSAICO_SIM_SEED=<seed>` runs that seed alone.
//!
//! Each node reads the virtual clock through its own offset, drawn from the seed, so clock skew
//! between regions is simulated too; and each node decides what a received record means with the
//! protocol's admission rules ([`mosaico_protocol::admission`]), the same code the node runs.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::convert::Infallible;
use std::sync::Arc;

use mosaico_protocol::admission::{Admission, Admitter, Deferral, Holdings, Origin};
use mosaico_protocol::draft::Draft;
use mosaico_protocol::fields::{Member, Millis};
use mosaico_protocol::head::{self, VersionInfo};
use mosaico_protocol::replication::{
    Checked, ReplicationConfig, RoundResult, Scheduler, Session, SharedClaims, Step,
    respond_to_reconcile,
};
use mosaico_protocol::sync::{SyncRequest, SyncResponse};
use mosaico_protocol::trust::Federation;
use mosaico_protocol::validate::Limits;
use mosaico_protocol::{LogicalKey, Record, RecordId, SecretKey, Unverified, Verified};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

const NODES: usize = 20;
const LOSS: f64 = 0.10;
const START: Millis = 1_795_000_000_000;

type NodeId = usize;

#[derive(Debug)]
enum Message {
    Gossip(Vec<u8>),
    SyncRequest { session: u64, bytes: Vec<u8> },
    SyncResponse { session: u64, bytes: Vec<u8> },
}

#[derive(Debug)]
struct Envelope {
    from: NodeId,
    to: NodeId,
    message: Message,
}

/// One simulated node: a store, its trust state, a scheduler and its running sessions.
struct SimNode {
    secret: SecretKey,
    online: bool,
    records: BTreeMap<RecordId, Vec<u8>>,
    items: Vec<(Millis, RecordId)>,
    heads: BTreeMap<LogicalKey, VersionInfo>,
    federation: Federation,
    scheduler: Scheduler<NodeId>,
    /// peer → (session number, session, deadline).
    sessions: BTreeMap<NodeId, (u64, Session, Millis)>,
    /// What the node's sessions have taken on, shared between them as in the node.
    claims: SharedClaims,
    /// How far this node's clock is from the virtual time, in milliseconds.
    clock_offset: i64,
    /// Records deferred for being created too far ahead of this node's clock.
    deferred_from_the_future: usize,
    /// Records refused (each one the sender's offence).
    refused: usize,
}

/// The simulated store answers admission's questions from its maps, as the node's store does.
impl Holdings for SimNode {
    type Error = Infallible;
    fn holds(&self, id: &RecordId) -> Result<bool, Infallible> {
        Ok(self.records.contains_key(id))
    }
    fn head_version(&self, key: &LogicalKey) -> Result<Option<u64>, Infallible> {
        Ok(self.heads.get(key).map(|head| head.version))
    }
}

impl SimNode {
    /// The time on this node's clock when the virtual time is `now`.
    fn clock(&self, now: Millis) -> Millis {
        now.saturating_add_signed(self.clock_offset)
    }

    /// Runs a received record through the protocol's admission rules on this node's clock, and
    /// stores it if they admit it.
    fn ingest(&mut self, bytes: &[u8], origin: Origin, now: Millis) -> Checked {
        let Ok(admission) = Admitter::new(&self.federation, &*self, origin).admit_wire(
            bytes,
            None,
            self.clock(now),
        );
        match admission {
            Admission::Admit { record, .. } => {
                let incoming = VersionInfo {
                    id: record.id(),
                    version: record.header().version,
                    retracted: record.header().retracted,
                };
                self.store(&record, incoming);
                Checked::Stored(record.id())
            }
            Admission::NotNews { id } => Checked::Known(id),
            Admission::Defer { id, reason } => {
                if matches!(reason, Deferral::FromTheFuture { .. }) {
                    self.deferred_from_the_future += 1;
                }
                Checked::Deferred(id)
            }
            Admission::Refuse(_) => {
                self.refused += 1;
                Checked::Invalid
            }
        }
    }

    fn store(&mut self, record: &Record<Verified>, incoming: VersionInfo) {
        let key = record.logical_key();
        if head::decide(self.heads.get(&key), &incoming).is_new_head(&incoming) {
            self.heads.insert(key, incoming);
        }
        self.records.insert(record.id(), record.to_wire());
        self.items.push((record.header().created_at, record.id()));
        let _ = self.federation.apply(record);
    }
}

struct Simulation {
    rng: StdRng,
    now: Millis,
    nodes: Vec<SimNode>,
    queue: BinaryHeap<Reverse<(Millis, u64)>>,
    in_flight: BTreeMap<u64, Envelope>,
    sequence: u64,
    /// While set, nodes below this index cannot reach nodes at or above it.
    partition: Option<NodeId>,
    config: ReplicationConfig,
    published: Vec<Record<Verified>>,
}

impl Simulation {
    /// Twenty nodes, node `i` reading the virtual clock `clock_offsets[i]` ms off.
    fn new(seed: u64, clock_offsets: &[i64; NODES]) -> Self {
        let secrets: Vec<SecretKey> = (0..NODES)
            .map(|i| SecretKey::from_bytes([i as u8 + 1; 32]))
            .collect();
        let members: Vec<Member> = secrets
            .iter()
            .enumerate()
            .map(|(i, s)| Member {
                name: format!("region-{i}"),
                key: s.public_key(),
                country: None,
                nuts: None,
            })
            .collect();
        let genesis = Record::sign_with(
            json!({
                "format": 1, "kind": "membership", "author": secrets[0].public_key().to_hex(),
                "slug": "federation", "version": 1, "created_at": START,
                "membership": {"name": "simulated", "threshold": 11, "members": members}
            }),
            &[],
        )
        .expect("genesis");
        let federation = Federation::from_genesis(&genesis).expect("federation");
        let config = ReplicationConfig {
            resync_interval_ms: 3_000,
            retry_initial_ms: 500,
            misbehaviour_cooldown_ms: 5_000,
            // Small batches, so that rounds fetch in several batches and one travels ahead
            // while another is checked, as with a real backlog.
            fetch_batch: 4,
            ..ReplicationConfig::default()
        };
        let nodes = secrets
            .into_iter()
            .zip(clock_offsets)
            .map(|(secret, &clock_offset)| SimNode {
                secret,
                online: true,
                records: BTreeMap::new(),
                items: Vec::new(),
                heads: BTreeMap::new(),
                federation: federation.clone(),
                scheduler: Scheduler::new(config),
                sessions: BTreeMap::new(),
                claims: SharedClaims::default(),
                clock_offset,
                deferred_from_the_future: 0,
                refused: 0,
            })
            .collect();
        let mut simulation = Simulation {
            rng: StdRng::seed_from_u64(seed),
            now: START,
            nodes,
            queue: BinaryHeap::new(),
            in_flight: BTreeMap::new(),
            sequence: 0,
            partition: None,
            config,
            published: Vec::new(),
        };
        for i in 0..NODES {
            simulation.connect_all(i);
        }
        simulation
    }

    fn reachable(&self, a: NodeId, b: NodeId) -> bool {
        a != b
            && self.nodes[a].online
            && self.nodes[b].online
            && self.partition.is_none_or(|cut| (a < cut) == (b < cut))
    }

    fn connect_all(&mut self, node: NodeId) {
        let now = self.now;
        for peer in 0..NODES {
            if self.reachable(node, peer) {
                self.nodes[node].scheduler.connected(peer, now);
                self.nodes[peer].scheduler.connected(node, now);
            }
        }
    }

    /// Sends with loss and a random delay (which reorders messages).
    fn send(&mut self, from: NodeId, to: NodeId, message: Message) {
        if !self.reachable(from, to) || self.rng.gen_bool(LOSS) {
            return;
        }
        let at = self.now + self.rng.gen_range(1..80);
        self.sequence += 1;
        self.queue.push(Reverse((at, self.sequence)));
        self.in_flight
            .insert(self.sequence, Envelope { from, to, message });
    }

    fn publish(&mut self, author: NodeId) {
        let node = &self.nodes[author];
        let mine: Vec<(LogicalKey, VersionInfo)> = node
            .heads
            .iter()
            .filter(|(k, _)| k.author == node.secret.public_key())
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        let roll = self.rng.gen_range(0..10);
        let (draft, version) = if roll < 2 && !mine.is_empty() {
            let (key, head) = mine[self.rng.gen_range(0..mine.len())].clone();
            (Draft::retraction(key.kind, &key.slug), head.version + 1)
        } else if roll < 5 && !mine.is_empty() {
            let (key, head) = mine[self.rng.gen_range(0..mine.len())].clone();
            (content(&key.slug, head.version + 1), head.version + 1)
        } else {
            let slug = format!("case-{author}-{}", self.rng.r#gen::<u32>());
            (content(&slug, 1), 1)
        };
        let unsigned = draft
            .into_unsigned(
                self.nodes[author].secret.public_key(),
                version,
                self.nodes[author].clock(self.now),
            )
            .expect("unsigned");
        let record = Record::sign(unsigned, &self.nodes[author].secret).expect("signed");
        let info = VersionInfo {
            id: record.id(),
            version,
            retracted: record.header().retracted,
        };
        self.nodes[author].store(&record, info);
        let wire = record.to_wire();
        self.published.push(record);
        for peer in 0..NODES {
            self.send(author, peer, Message::Gossip(wire.clone()));
        }
    }

    fn deliver(&mut self, envelope: Envelope) {
        let Envelope { from, to, message } = envelope;
        if !self.reachable(from, to) {
            return;
        }
        let now = self.now;
        match message {
            Message::Gossip(bytes) => {
                if self.nodes[to].ingest(&bytes, Origin::Gossip, now)
                    == Checked::Stored(record_id(&bytes))
                {
                    for peer in 0..NODES {
                        if peer != from {
                            self.send(to, peer, Message::Gossip(bytes.clone()));
                        }
                    }
                }
            }
            Message::SyncRequest { session, bytes } => {
                let node = &self.nodes[to];
                let response = match SyncRequest::decode(&bytes).expect("well-formed request") {
                    SyncRequest::Reconcile { frame } => {
                        match respond_to_reconcile(&node.items, &frame) {
                            Ok(frame) => SyncResponse::Reconcile { frame },
                            Err(reason) => SyncResponse::Refused { reason },
                        }
                    }
                    SyncRequest::Fetch { ids } => SyncResponse::Records {
                        records: ids
                            .iter()
                            .filter_map(|id| node.records.get(id).cloned())
                            .collect(),
                    },
                };
                self.send(
                    to,
                    from,
                    Message::SyncResponse {
                        session,
                        bytes: response.encode(),
                    },
                );
            }
            Message::SyncResponse { session, bytes } => {
                let Some((number, mut running, _)) = self.nodes[to].sessions.remove(&from) else {
                    return;
                };
                if number != session {
                    self.nodes[to]
                        .sessions
                        .insert(from, (number, running, now + 2_000));
                    return;
                }
                let step = running.on_response(&bytes);
                self.drive(to, from, number, running, step);
            }
        }
    }

    fn send_request(&mut self, node: NodeId, peer: NodeId, session: u64, request: &SyncRequest) {
        self.send(
            node,
            peer,
            Message::SyncRequest {
                session,
                bytes: request.encode(),
            },
        );
    }

    /// Carries out session steps until it waits for the network or ends.
    fn drive(
        &mut self,
        node: NodeId,
        peer: NodeId,
        number: u64,
        mut session: Session,
        mut step: Step,
    ) {
        loop {
            step = match step {
                Step::Send(request) => {
                    self.nodes[node]
                        .sessions
                        .insert(peer, (number, session, self.now + 2_000));
                    self.send_request(node, peer, number, &request);
                    return;
                }
                Step::Check(records) => {
                    // As the node does: the next request travels while this batch is checked.
                    if let Some(request) = session.fetch_ahead() {
                        self.send_request(node, peer, number, &request);
                    }
                    let now = self.now;
                    let results = records
                        .into_iter()
                        .map(|bytes| (self.nodes[node].ingest(&bytes, Origin::Sync, now), bytes))
                        .collect();
                    session.on_checked(results)
                }
                Step::Receive => {
                    self.nodes[node]
                        .sessions
                        .insert(peer, (number, session, self.now + 2_000));
                    return;
                }
                Step::Done(report) => {
                    self.nodes[node]
                        .scheduler
                        .finished(&peer, self.now, report.completed());
                    return;
                }
                Step::Misbehaved(reason) => {
                    panic!("honest peer {peer} judged misbehaving by {node}: {reason}")
                }
                Step::Failed(_) => {
                    self.nodes[node]
                        .scheduler
                        .finished(&peer, self.now, RoundResult::Failed);
                    return;
                }
            }
        }
    }

    fn tick(&mut self) {
        let now = self.now;
        for node in 0..NODES {
            if !self.nodes[node].online {
                continue;
            }
            let expired: Vec<NodeId> = self.nodes[node]
                .sessions
                .iter()
                .filter(|(_, (_, _, deadline))| *deadline <= now)
                .map(|(peer, _)| *peer)
                .collect();
            for peer in expired {
                self.nodes[node].sessions.remove(&peer);
                self.nodes[node]
                    .scheduler
                    .finished(&peer, now, RoundResult::Failed);
            }
            for peer in self.nodes[node].scheduler.due(now) {
                if !self.reachable(node, peer) {
                    self.nodes[node].scheduler.disconnected(&peer);
                    self.nodes[node]
                        .scheduler
                        .finished(&peer, now, RoundResult::Failed);
                    continue;
                }
                self.sequence += 1;
                let number = self.sequence;
                let (session, step) = Session::start(self.config, &self.nodes[node].items);
                let session = session.sharing(Arc::clone(&self.nodes[node].claims));
                self.drive(node, peer, number, session, step);
            }
        }
    }

    fn restart(&mut self, node: NodeId) {
        // A restart loses everything in memory (sessions, scheduler) but keeps the store.
        self.nodes[node].online = false;
        self.nodes[node].sessions.clear();
        self.nodes[node].claims = SharedClaims::default();
        self.nodes[node].scheduler = Scheduler::new(self.config);
        for peer in 0..NODES {
            self.nodes[peer].scheduler.disconnected(&node);
        }
    }

    fn run_until(&mut self, end: Millis, mut each_ms: impl FnMut(&mut Self)) {
        while self.now < end {
            self.now += 1;
            while let Some(Reverse((at, seq))) = self.queue.peek().copied() {
                if at > self.now {
                    break;
                }
                self.queue.pop();
                if let Some(envelope) = self.in_flight.remove(&seq) {
                    self.deliver(envelope);
                }
            }
            if self.now.is_multiple_of(100) {
                self.tick();
            }
            each_ms(self);
        }
    }

    fn heads(&self, node: NodeId) -> &BTreeMap<LogicalKey, VersionInfo> {
        &self.nodes[node].heads
    }
}

fn content(slug: &str, version: u64) -> Draft {
    Draft::from_value(json!({
        "kind": "case_study", "slug": slug, "title": {"it": format!("Caso {slug} v{version}")},
        "summary": {"it": "Riassunto"}, "organisation": "Regione", "country": "IT"
    }))
    .expect("draft")
}

fn record_id(bytes: &[u8]) -> RecordId {
    Record::<Unverified>::decode(bytes)
        .map(|r| r.id())
        .unwrap_or(RecordId([0; 32]))
}

/// Clock offsets within the allowed skew: no two nodes are more than the skew apart, so every
/// record is admissible everywhere as soon as it arrives. Drawn from a generator of their own, so
/// that the simulation's other draws stay what they were before clocks were skewed.
fn offsets_within_skew(seed: u64) -> [i64; NODES] {
    let mut rng = StdRng::seed_from_u64(seed ^ 0xc10c_c10c);
    let half = HALF_SKEW_MS;
    std::array::from_fn(|_| rng.gen_range(-half..=half))
}

/// Half the allowed clock skew: two clocks this far either side of the true time are exactly the
/// allowed skew apart.
const HALF_SKEW_MS: i64 = (Limits::MAX_CLOCK_SKEW_MS / 2) as i64;

/// Runs the full scenario with the given clocks and checks that every node converged.
fn simulate(seed: u64, clock_offsets: &[i64; NODES]) -> Simulation {
    let mut sim = Simulation::new(seed, clock_offsets);
    // Phase 1 (20 s): publishing, 10% loss, reordering, restarts.
    sim.run_until(START + 20_000, |sim| {
        if sim.rng.gen_bool(0.01) {
            let author = sim.rng.gen_range(0..NODES);
            if sim.nodes[author].online {
                sim.publish(author);
            }
        }
        if sim.rng.gen_bool(0.0005) {
            let node = sim.rng.gen_range(0..NODES);
            if sim.nodes[node].online {
                sim.restart(node);
            } else {
                sim.nodes[node].online = true;
                sim.connect_all(node);
            }
        }
    });
    // Phase 2 (15 s): a partition; both sides go on publishing.
    sim.partition = Some(NODES / 2);
    for node in 0..NODES {
        for peer in 0..NODES {
            if !sim.reachable(node, peer) {
                sim.nodes[node].scheduler.disconnected(&peer);
            }
        }
    }
    sim.run_until(START + 35_000, |sim| {
        if sim.rng.gen_bool(0.01) {
            let author = sim.rng.gen_range(0..NODES);
            if sim.nodes[author].online {
                sim.publish(author);
            }
        }
    });
    // Phase 3: the cut heals, everyone comes back, nobody publishes; catch-up must converge.
    sim.partition = None;
    for node in 0..NODES {
        sim.nodes[node].online = true;
    }
    for node in 0..NODES {
        sim.connect_all(node);
    }
    sim.run_until(START + 60_000, |_| {});
    assert_converged(&sim, seed);
    sim
}

/// Every node holds every published version and the same heads, which are what the pure head
/// rule says for each key's whole set of versions.
fn assert_converged(sim: &Simulation, seed: u64) {
    assert!(
        sim.published.len() > 100,
        "seed {seed}: too few records published ({})",
        sim.published.len()
    );
    let reference = sim.heads(0).clone();
    assert!(
        reference.values().any(|h| h.retracted),
        "seed {seed}: retractions were exercised"
    );
    assert!(
        reference.values().any(|h| h.version > 1),
        "seed {seed}: new versions were exercised"
    );
    for node in 1..NODES {
        assert_eq!(
            sim.heads(node),
            &reference,
            "seed {seed}: node {node} did not converge (replay with MOSAICO_SIM_SEED={seed})"
        );
    }
    // Every published version is held everywhere, and the head of every key is what the pure
    // head rule says for the whole set of its versions.
    for node in 0..NODES {
        assert_eq!(
            sim.nodes[node].records.len(),
            sim.published.len(),
            "seed {seed}: node {node} misses records"
        );
    }
    let mut versions: BTreeMap<LogicalKey, Vec<VersionInfo>> = BTreeMap::new();
    for record in &sim.published {
        versions
            .entry(record.logical_key())
            .or_default()
            .push(VersionInfo {
                id: record.id(),
                version: record.header().version,
                retracted: record.header().retracted,
            });
    }
    for (key, all) in versions {
        assert_eq!(
            reference.get(&key).copied(),
            head::head_of(&all),
            "seed {seed}: head of {key}"
        );
    }
}

#[test]
fn twenty_cores_converge_despite_loss_reordering_restarts_and_a_partition() {
    let seeds: Vec<u64> = match std::env::var("MOSAICO_SIM_SEED") {
        Ok(seed) => vec![seed.parse().expect("MOSAICO_SIM_SEED is a number")],
        Err(_) => vec![1, 2, 3],
    };
    for seed in seeds {
        let outcome = std::panic::catch_unwind(|| {
            let sim = simulate(seed, &offsets_within_skew(seed));
            for (i, node) in sim.nodes.iter().enumerate() {
                assert_eq!(node.refused, 0, "seed {seed}: node {i} refused records");
                assert_eq!(
                    node.deferred_from_the_future, 0,
                    "seed {seed}: node {i} deferred records although every clock is within the skew"
                );
            }
        });
        if let Err(panic) = outcome {
            eprintln!("simulation failed with seed {seed}; replay with MOSAICO_SIM_SEED={seed}");
            std::panic::resume_unwind(panic);
        }
    }
}

#[test]
fn clocks_at_the_edge_of_the_allowed_skew_still_converge_without_deferring() {
    let seed = 7;
    // Half the nodes as far ahead, half as far behind, as the skew allows: exactly its width apart.
    let offsets: [i64; NODES] = std::array::from_fn(|i| {
        if i % 2 == 0 {
            HALF_SKEW_MS
        } else {
            -HALF_SKEW_MS
        }
    });
    let sim = simulate(seed, &offsets);
    for (i, node) in sim.nodes.iter().enumerate() {
        assert_eq!(node.refused, 0, "node {i} refused records");
        assert_eq!(
            node.deferred_from_the_future, 0,
            "node {i} deferred records"
        );
    }
}

#[test]
fn a_node_whose_clock_is_far_ahead_has_its_records_deferred_not_refused_until_time_catches_up() {
    let seed = 11;
    // Node 0 runs 20 s beyond the allowed skew ahead; the others within a second of true time. A
    // record node 0 creates at true time t is admissible elsewhere from about t + 20 s.
    let beyond = 20_000;
    let mut offsets: [i64; NODES] = {
        let mut rng = StdRng::seed_from_u64(seed);
        std::array::from_fn(|_| rng.gen_range(-1_000..=1_000))
    };
    offsets[0] = Limits::MAX_CLOCK_SKEW_MS as i64 + beyond;
    let mut sim = Simulation::new(seed, &offsets);
    let by_node_0 = |sim: &Simulation| -> Vec<RecordId> {
        let author = sim.nodes[0].secret.public_key();
        sim.published
            .iter()
            .filter(|r| r.header().author == author)
            .map(Record::id)
            .collect()
    };
    // 15 s of publishing with loss and reordering; node 0 publishes at least once, early.
    sim.run_until(START + 15_000, |sim| {
        if sim.now == START + 1_000 {
            sim.publish(0);
        }
        if sim.rng.gen_bool(0.01) {
            let author = sim.rng.gen_range(0..NODES);
            sim.publish(author);
        }
    });
    let early = by_node_0(&sim);
    assert!(!early.is_empty(), "node 0 published");
    for node in 1..NODES {
        let held = &sim.nodes[node].records;
        assert!(
            early.iter().all(|id| !held.contains_key(id)),
            "node {node} admitted a record from beyond the skew"
        );
        assert!(
            held.len() > early.len() + 10,
            "node {node} still receives everyone else's records ({})",
            held.len()
        );
    }
    let deferred: usize = sim.nodes[1..]
        .iter()
        .map(|n| n.deferred_from_the_future)
        .sum();
    assert!(deferred > 0, "the records from the future were deferred");
    // 5 s more of publishing, then quiet: by then every clock has passed node 0's records.
    sim.run_until(START + 20_000, |sim| {
        if sim.rng.gen_bool(0.01) {
            let author = sim.rng.gen_range(0..NODES);
            sim.publish(author);
        }
    });
    sim.run_until(START + 60_000, |_| {});
    for (i, node) in sim.nodes.iter().enumerate() {
        assert_eq!(node.refused, 0, "node {i} counted a deferral as an offence");
    }
    let all = by_node_0(&sim);
    for node in 1..NODES {
        assert!(
            all.iter()
                .all(|id| sim.nodes[node].records.contains_key(id)),
            "node {node} admitted node 0's records once its clock caught up"
        );
    }
    assert_converged(&sim, seed);
}
