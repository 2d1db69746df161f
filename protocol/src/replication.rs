//! The replication core: when to catch up with which peer, and how one catch-up session runs.
//!
//! This is a sans-IO state machine. It never reads the clock, never awaits and never touches a
//! socket or a store: the node's shell feeds it events (a peer connected, time passed, a response
//! arrived, records were checked) and carries out the actions it returns (send this request,
//! check these records, penalise that peer). The same code runs under the deterministic simulator
//! in the tests, where many replicas exchange messages over a lossy virtual network.
//!
//! A [`Scheduler`] decides *when*: a round with each peer on connection and then every
//! `resync_interval`, at most one round per peer and a bounded number at once, with backoff after
//! failures and a cool-down for peers that misbehaved. A [`Session`] decides *what*: it runs
//! range-based set reconciliation (negentropy) of record ids, then fetches the ids found missing in
//! bounded batches, hands each answer to the shell to be checked exactly like gossip, and decides
//! what the answer means for the peer (an unrequested or forged record ends the session and marks
//! the peer as misbehaving). Sessions with several peers at once share [`FetchClaims`], so that
//! a large catch-up is split between them rather than fetched from each in full.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use negentropy::{Id, Negentropy, NegentropyStorageVector};

use crate::fields::Millis;
use crate::keys::RecordId;
use crate::sync::{MAX_FETCH_IDS, MAX_FRAME_BYTES, SyncRequest, SyncResponse};

/// Tunable limits of replication, with the documented defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicationConfig {
    /// Time between rounds with one peer (default 60 s).
    pub resync_interval_ms: u64,
    /// Rounds running at once across all peers (default 4).
    pub max_concurrent_rounds: usize,
    /// Reconciliation messages per round before the peer is judged endless (default 64).
    pub max_reconcile_messages: usize,
    /// Ids per fetch request (default 1,024, the wire limit).
    pub fetch_batch: usize,
    /// First wait after a failed round (default 2 s), doubling up to `resync_interval_ms`.
    pub retry_initial_ms: u64,
    /// How long a misbehaving peer is left alone (default 10 min).
    pub misbehaviour_cooldown_ms: u64,
    /// Passes over records deferred for a missing predecessor (default 8).
    pub max_deferred_passes: usize,
}

impl Default for ReplicationConfig {
    fn default() -> Self {
        ReplicationConfig {
            resync_interval_ms: 60_000,
            max_concurrent_rounds: 4,
            max_reconcile_messages: 64,
            fetch_batch: MAX_FETCH_IDS,
            retry_initial_ms: 2_000,
            misbehaviour_cooldown_ms: 600_000,
            max_deferred_passes: 8,
        }
    }
}

/// How a round ended, as the scheduler needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoundResult {
    /// Completed; this many records were stored.
    Completed {
        /// Records stored.
        stored: u64,
        /// Ids that were missing at the start.
        missing: u64,
        /// Missing ids this round left to rounds with other peers, which had claimed them. If
        /// such a round stalls, its claims come back only when it times out, so the peer is
        /// asked again soon rather than after the full interval.
        left_to_others: u64,
    },
    /// The network failed (timeout, disconnect): retry with backoff.
    Failed,
    /// The peer broke the protocol: leave it alone for a while.
    Misbehaved,
}

/// What the scheduler knows about one peer, for status pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerSyncState<P> {
    /// The peer.
    pub peer: P,
    /// Whether it is connected.
    pub connected: bool,
    /// Whether a round is running.
    pub running: bool,
    /// When the last round completed.
    pub last_completed_at: Option<Millis>,
    /// Records stored in the last completed round.
    pub last_stored: u64,
    /// Records stored from this peer through catch-up, in all.
    pub total_stored: u64,
    /// Ids the last round found missing: how far behind this node was.
    pub last_missing: u64,
    /// Consecutive failed rounds.
    pub failures: u32,
    /// Not before this time.
    pub next_due_at: Millis,
}

/// Decides when to run a round with which peer.
#[derive(Debug, Clone)]
pub struct Scheduler<P: Ord + Clone> {
    config: ReplicationConfig,
    peers: BTreeMap<P, PeerSyncState<P>>,
}

impl<P: Ord + Clone> Scheduler<P> {
    /// A scheduler with `config`.
    pub fn new(config: ReplicationConfig) -> Self {
        Scheduler {
            config,
            peers: BTreeMap::new(),
        }
    }

    /// A peer connected: it is due for a round now (unless it is cooling down).
    pub fn connected(&mut self, peer: P, now: Millis) {
        let state = self
            .peers
            .entry(peer.clone())
            .or_insert_with(|| PeerSyncState {
                peer,
                connected: false,
                running: false,
                last_completed_at: None,
                last_stored: 0,
                total_stored: 0,
                last_missing: 0,
                failures: 0,
                next_due_at: now,
            });
        state.connected = true;
        if state.failures == 0 || state.next_due_at <= now {
            state.next_due_at = state.next_due_at.min(now);
        }
    }

    /// A peer disconnected: no new rounds with it until it is back.
    pub fn disconnected(&mut self, peer: &P) {
        if let Some(state) = self.peers.get_mut(peer) {
            state.connected = false;
        }
    }

    /// Asks for a round with `peer` now (a gossip message hinted that we are behind).
    pub fn request_round(&mut self, peer: &P, now: Millis) {
        if let Some(state) = self.peers.get_mut(peer)
            && state.failures == 0
        {
            state.next_due_at = state.next_due_at.min(now);
        }
    }

    /// The rounds to start at `now`: due, connected, idle peers, oldest due first, within the
    /// concurrency bound. The returned peers are marked running.
    pub fn due(&mut self, now: Millis) -> Vec<P> {
        let running = self.peers.values().filter(|s| s.running).count();
        let free = self.config.max_concurrent_rounds.saturating_sub(running);
        let mut due: Vec<(Millis, P)> = self
            .peers
            .values()
            .filter(|s| s.connected && !s.running && s.next_due_at <= now)
            .map(|s| (s.next_due_at, s.peer.clone()))
            .collect();
        due.sort();
        due.truncate(free);
        for (_, peer) in &due {
            if let Some(state) = self.peers.get_mut(peer) {
                state.running = true;
            }
        }
        due.into_iter().map(|(_, peer)| peer).collect()
    }

    /// A round ended.
    pub fn finished(&mut self, peer: &P, now: Millis, result: RoundResult) {
        let config = self.config;
        let Some(state) = self.peers.get_mut(peer) else {
            return;
        };
        state.running = false;
        match result {
            RoundResult::Completed {
                stored,
                missing,
                left_to_others,
            } => {
                state.failures = 0;
                state.last_completed_at = Some(now);
                state.last_stored = stored;
                state.last_missing = missing;
                state.total_stored += stored;
                let wait = if left_to_others > 0 {
                    config.retry_initial_ms.min(config.resync_interval_ms)
                } else {
                    config.resync_interval_ms
                };
                state.next_due_at = now + wait;
            }
            RoundResult::Failed => {
                state.failures = state.failures.saturating_add(1);
                let backoff = config
                    .retry_initial_ms
                    .saturating_mul(1 << state.failures.min(16).saturating_sub(1))
                    .min(config.resync_interval_ms);
                state.next_due_at = now + backoff;
            }
            RoundResult::Misbehaved => {
                state.failures = state.failures.saturating_add(1);
                state.next_due_at = now + config.misbehaviour_cooldown_ms;
            }
        }
    }

    /// What is known about every peer.
    pub fn peers(&self) -> impl Iterator<Item = &PeerSyncState<P>> {
        self.peers.values()
    }
}

/// How one fetched record fared in the shell's checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// Stored.
    Stored(RecordId),
    /// Already held.
    Known(RecordId),
    /// Valid but waiting for a predecessor (a membership version): keep the bytes, retry later.
    Deferred(RecordId),
    /// Fails the checks a conforming peer would have applied: the peer misbehaved.
    Invalid,
    /// Our own failure (store error): not the peer's fault; the session stops.
    LocalFailure,
}

/// What the shell must do next for a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send this request to the peer and feed the response to [`Session::on_response`].
    Send(SyncRequest),
    /// Check these records (wire bytes) exactly like gossip, then call [`Session::on_checked`]
    /// with one result per record, in order. Meanwhile the shell may ask
    /// [`Session::fetch_ahead`] for the next request, to have it answered while it checks.
    Check(Vec<Vec<u8>>),
    /// Feed the response to the request [`Session::fetch_ahead`] gave to
    /// [`Session::on_response`].
    Receive,
    /// Done.
    Done(SessionReport),
    /// The peer broke the protocol; the reason is for logs. Penalise it.
    Misbehaved(String),
    /// The session cannot go on for a reason that is not the peer's fault.
    Failed(String),
}

/// What a session achieved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionReport {
    /// Ids we lacked.
    pub missing: u64,
    /// Records stored.
    pub stored: u64,
    /// Missing ids left to sessions with other peers, which had taken them on first.
    pub left_to_others: u64,
    /// Reconciliation messages exchanged.
    pub reconcile_messages: u64,
    /// Fetch requests sent.
    pub fetches: u64,
}

impl SessionReport {
    /// How the round that made this report ended, for the scheduler, when it ran to its end.
    pub fn completed(&self) -> RoundResult {
        RoundResult::Completed {
            stored: self.stored,
            missing: self.missing,
            left_to_others: self.left_to_others,
        }
    }
}

#[derive(Debug)]
enum Phase {
    Reconciling,
    /// `asked` is the batch being answered or checked; `ahead`, a batch requested while it
    /// was being checked.
    Fetching {
        asked: Vec<RecordId>,
        ahead: Option<Vec<RecordId>>,
    },
    Retrying,
    Finished,
}

/// Which missing records a node's sessions have taken on.
///
/// A node coming back after a weekend connects to several peers at once, and each session finds
/// the same records missing. Without coordination each would fetch, verify and store all of them:
/// the work and the traffic multiplied by the number of sessions. Each session instead takes the
/// ids it fetches, batch by batch, and skips ids another session has taken or already brought
/// in, so simultaneous sessions split a large catch-up between their peers. Ids a session took
/// but did not bring in are given back when it ends, and the next round fetches them.
#[derive(Debug, Default)]
pub struct FetchClaims {
    /// Ids being fetched, by the tag of the session fetching them.
    taken: HashMap<RecordId, u64>,
    /// Ids fetched and checked while sessions that may still count them missing run; forgotten
    /// when the last session ends, since a new session reconciles against the store afresh.
    settled: HashSet<RecordId>,
    /// Tags of the sessions running.
    sessions: BTreeSet<u64>,
    next_tag: u64,
}

/// One node's [`FetchClaims`], shared by its sessions.
pub type SharedClaims = Arc<Mutex<FetchClaims>>;

impl FetchClaims {
    /// Ids being fetched right now.
    pub fn in_flight(&self) -> usize {
        self.taken.len()
    }

    fn join(&mut self) -> u64 {
        let tag = self.next_tag;
        self.next_tag += 1;
        self.sessions.insert(tag);
        tag
    }

    /// Up to `limit` of `candidates` that no other session has taken or brought in, now taken
    /// by `tag`; and the candidates passed over because another session already brought them
    /// in, which the caller need never consider again.
    fn take<'a>(
        &mut self,
        tag: u64,
        candidates: impl Iterator<Item = &'a RecordId>,
        limit: usize,
    ) -> (Vec<RecordId>, Vec<RecordId>) {
        let mut taken = Vec::new();
        let mut settled_elsewhere = Vec::new();
        for id in candidates {
            if taken.len() >= limit {
                break;
            }
            if self.settled.contains(id) {
                settled_elsewhere.push(*id);
            } else if self.taken.get(id).is_none_or(|t| *t == tag) {
                self.taken.insert(*id, tag);
                taken.push(*id);
            }
        }
        (taken, settled_elsewhere)
    }

    fn settle(&mut self, tag: u64, ids: &BTreeSet<RecordId>) {
        for id in ids {
            if self.taken.get(id) == Some(&tag) {
                self.taken.remove(id);
            }
            self.settled.insert(*id);
        }
    }

    fn leave(&mut self, tag: u64) {
        self.taken.retain(|_, owner| *owner != tag);
        self.sessions.remove(&tag);
        if self.sessions.is_empty() {
            self.settled = HashSet::new();
        }
    }
}

fn lock(claims: &SharedClaims) -> MutexGuard<'_, FetchClaims> {
    // Every update leaves the sets consistent, so a panic elsewhere while holding the lock does
    // not make them unsafe to use.
    claims.lock().unwrap_or_else(|e| e.into_inner())
}

/// One catch-up session with one peer, initiated by this node.
#[derive(Debug)]
pub struct Session {
    config: ReplicationConfig,
    negentropy: Negentropy<'static, NegentropyStorageVector>,
    phase: Phase,
    need: BTreeSet<RecordId>,
    deferred: Vec<(RecordId, Vec<u8>)>,
    deferred_passes: usize,
    report: SessionReport,
    /// The node's claims and this session's tag in them, when shared with other sessions.
    claims: Option<(SharedClaims, u64)>,
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some((claims, tag)) = &self.claims {
            lock(claims).leave(*tag);
        }
    }
}

fn storage(items: &[(Millis, RecordId)]) -> Result<NegentropyStorageVector, String> {
    let mut storage = NegentropyStorageVector::with_capacity(items.len());
    for (time, id) in items {
        storage
            .insert(*time, Id::from_byte_array(*id.as_bytes()))
            .map_err(|e| e.to_string())?;
    }
    storage.seal().map_err(|e| e.to_string())?;
    Ok(storage)
}

/// Answers a peer's reconciliation frame from our set of (creation time, id) pairs.
pub fn respond_to_reconcile(items: &[(Millis, RecordId)], frame: &[u8]) -> Result<Vec<u8>, String> {
    let mut negentropy =
        Negentropy::owned(storage(items)?, MAX_FRAME_BYTES as u64).map_err(|e| e.to_string())?;
    negentropy.reconcile(frame).map_err(|e| e.to_string())
}

impl Session {
    /// Starts a session over our set of (creation time, id) pairs; returns the first step.
    pub fn start(config: ReplicationConfig, items: &[(Millis, RecordId)]) -> (Self, Step) {
        let negentropy = storage(items)
            .and_then(|s| Negentropy::owned(s, MAX_FRAME_BYTES as u64).map_err(|e| e.to_string()));
        let mut negentropy = match negentropy {
            Ok(n) => n,
            Err(e) => {
                return (
                    Self::finished(config),
                    Step::Failed(format!("cannot index our records: {e}")),
                );
            }
        };
        let step = match negentropy.initiate() {
            Ok(frame) => Step::Send(SyncRequest::Reconcile { frame }),
            Err(e) => Step::Failed(e.to_string()),
        };
        let session = Session {
            config,
            negentropy,
            phase: Phase::Reconciling,
            need: BTreeSet::new(),
            deferred: Vec::new(),
            deferred_passes: 0,
            report: SessionReport::default(),
            claims: None,
        };
        (session, step)
    }

    /// Shares the node's `claims` with its other sessions: this session then fetches only ids
    /// none of them has taken on (see [`FetchClaims`]). Its claims are given back when it is
    /// dropped.
    pub fn sharing(mut self, claims: SharedClaims) -> Self {
        let tag = lock(&claims).join();
        self.claims = Some((claims, tag));
        self
    }

    /// The next ids to fetch: missing, not among `exclude`, and not taken by another session.
    ///
    /// Ids another session already brought in leave `need` here, counted as left to others:
    /// otherwise every pick would walk past all of them again, and a session sharing a large
    /// catch-up would spend time quadratic in its size.
    fn pick(&mut self, exclude: &BTreeSet<RecordId>) -> Vec<RecordId> {
        let candidates = self.need.iter().filter(|id| !exclude.contains(id));
        match &self.claims {
            Some((claims, tag)) => {
                let (taken, settled_elsewhere) =
                    lock(claims).take(*tag, candidates, self.config.fetch_batch);
                for id in &settled_elsewhere {
                    self.need.remove(id);
                }
                self.report.left_to_others += settled_elsewhere.len() as u64;
                taken
            }
            None => candidates.take(self.config.fetch_batch).copied().collect(),
        }
    }

    fn finished(config: ReplicationConfig) -> Self {
        // Cannot fail: an empty sealed storage with the default frame limit.
        let negentropy =
            Negentropy::owned(NegentropyStorageVector::new(), 0).unwrap_or_else(|_| {
                unreachable!("a frame limit of 0 means unlimited and is always accepted")
            });
        Session {
            config,
            negentropy,
            phase: Phase::Finished,
            need: BTreeSet::new(),
            deferred: Vec::new(),
            deferred_passes: 0,
            report: SessionReport::default(),
            claims: None,
        }
    }

    /// The report so far.
    pub fn report(&self) -> SessionReport {
        self.report
    }

    /// Feeds the peer's response bytes.
    pub fn on_response(&mut self, bytes: &[u8]) -> Step {
        let response = match SyncResponse::decode(bytes) {
            Ok(response) => response,
            Err(e) => return self.fail_peer(format!("undecodable response: {e}")),
        };
        match (&self.phase, response) {
            (_, SyncResponse::Refused { reason }) => {
                self.phase = Phase::Finished;
                Step::Failed(format!("peer refused: {reason}"))
            }
            (Phase::Reconciling, SyncResponse::Reconcile { frame }) => self.on_frame(&frame),
            (Phase::Fetching { .. }, SyncResponse::Records { records }) => self.on_records(records),
            (_, other) => self.fail_peer(format!("unexpected {} in this phase", describe(&other))),
        }
    }

    fn on_frame(&mut self, frame: &[u8]) -> Step {
        self.report.reconcile_messages += 1;
        if self.report.reconcile_messages as usize > self.config.max_reconcile_messages {
            return self.fail_peer(format!(
                "reconciliation did not finish in {} messages",
                self.config.max_reconcile_messages
            ));
        }
        let mut have = Vec::new();
        let mut need = Vec::new();
        match self
            .negentropy
            .reconcile_with_ids(frame, &mut have, &mut need)
        {
            Err(e) => self.fail_peer(format!("bad reconciliation frame: {e}")),
            Ok(next) => {
                self.need
                    .extend(need.into_iter().map(|id| RecordId(id.to_bytes())));
                match next {
                    Some(frame) => Step::Send(SyncRequest::Reconcile { frame }),
                    None => {
                        self.report.missing = self.need.len() as u64;
                        self.next_fetch()
                    }
                }
            }
        }
    }

    fn next_fetch(&mut self) -> Step {
        let batch = self.pick(&BTreeSet::new());
        if batch.is_empty() {
            // What is still needed was taken on by other sessions and is still on its way.
            self.report.left_to_others += self.need.len() as u64;
            self.need.clear();
            return self.retry_deferred();
        }
        self.report.fetches += 1;
        self.phase = Phase::Fetching {
            asked: batch.clone(),
            ahead: None,
        };
        Step::Send(SyncRequest::Fetch { ids: batch })
    }

    /// While the shell checks a batch ([`Step::Check`]), the next fetch request, so that the
    /// peer's answer travels while this node verifies and stores: a fetch costs the peer a read
    /// and the network a round trip, and a check costs this node its cores and a disk flush.
    /// At most one request is ahead at a time. After [`Session::on_checked`] the session then
    /// says [`Step::Receive`]: the shell feeds it the response to this request.
    pub fn fetch_ahead(&mut self) -> Option<SyncRequest> {
        let Phase::Fetching { asked, ahead: None } = &self.phase else {
            return None;
        };
        let asked: BTreeSet<RecordId> = asked.iter().copied().collect();
        let batch = self.pick(&asked);
        if batch.is_empty() {
            return None;
        }
        self.report.fetches += 1;
        if let Phase::Fetching { ahead, .. } = &mut self.phase {
            *ahead = Some(batch.clone());
        }
        Some(SyncRequest::Fetch { ids: batch })
    }

    fn on_records(&mut self, records: Vec<Vec<u8>>) -> Step {
        if records.is_empty() {
            // The peer no longer holds what it announced (it may have been pruned by a restart
            // from backup): end here; the next round starts afresh.
            self.need.clear();
            return self.retry_deferred();
        }
        Step::Check(records)
    }

    /// Feeds the shell's verdicts on the records of the last [`Step::Check`], with their bytes.
    pub fn on_checked(&mut self, results: Vec<(Checked, Vec<u8>)>) -> Step {
        let retrying = matches!(self.phase, Phase::Retrying);
        let asked: BTreeSet<RecordId> = match &self.phase {
            Phase::Fetching { asked, .. } => asked.iter().copied().collect(),
            Phase::Retrying => self.deferred.iter().map(|(id, _)| *id).collect(),
            _ => return self.fail_peer("records checked outside a fetch".into()),
        };
        if retrying {
            self.deferred.clear();
        }
        let mut served = BTreeSet::new();
        // A deferred record is not brought in: other sessions, and later rounds, must still be
        // free to fetch it (it may be admitted by then), so it is not settled.
        let mut settled = BTreeSet::new();
        for (checked, bytes) in results {
            let id = match checked {
                Checked::Invalid => {
                    return self.fail_peer("sent a record that fails the checks".into());
                }
                Checked::LocalFailure => {
                    self.phase = Phase::Finished;
                    return Step::Failed("our store failed while checking records".into());
                }
                Checked::Stored(id) | Checked::Known(id) | Checked::Deferred(id) => id,
            };
            if !asked.contains(&id) || !served.insert(id) {
                return self.fail_peer(format!("sent record {id}, which was not asked for"));
            }
            match checked {
                Checked::Stored(_) => self.report.stored += 1,
                Checked::Deferred(_) => self.deferred.push((id, bytes)),
                _ => {}
            }
            if !matches!(checked, Checked::Deferred(_)) {
                settled.insert(id);
            }
            self.need.remove(&id);
        }
        if let Some((claims, tag)) = &self.claims {
            lock(claims).settle(*tag, &settled);
        }
        if retrying {
            return self.retry_deferred();
        }
        if let Phase::Fetching { ahead, .. } = &mut self.phase
            && let Some(batch) = ahead.take()
        {
            self.phase = Phase::Fetching {
                asked: batch,
                ahead: None,
            };
            return Step::Receive;
        }
        self.next_fetch()
    }

    fn retry_deferred(&mut self) -> Step {
        if self.deferred.is_empty() || self.deferred_passes >= self.config.max_deferred_passes {
            self.phase = Phase::Finished;
            return Step::Done(self.report);
        }
        self.deferred_passes += 1;
        self.phase = Phase::Retrying;
        Step::Check(
            self.deferred
                .iter()
                .map(|(_, bytes)| bytes.clone())
                .collect(),
        )
    }

    fn fail_peer(&mut self, reason: String) -> Step {
        self.phase = Phase::Finished;
        Step::Misbehaved(reason)
    }
}

fn describe(response: &SyncResponse) -> &'static str {
    match response {
        SyncResponse::Reconcile { .. } => "reconciliation frame",
        SyncResponse::Records { .. } => "records",
        SyncResponse::Refused { .. } => "refusal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> RecordId {
        RecordId([n; 32])
    }

    #[test]
    fn scheduler_runs_one_round_per_peer_within_the_bound_and_backs_off() {
        let config = ReplicationConfig {
            max_concurrent_rounds: 2,
            ..ReplicationConfig::default()
        };
        let mut scheduler = Scheduler::new(config);
        for peer in ["emilia", "flanders", "catalonia"] {
            scheduler.connected(peer, 0);
        }
        // Due peers are taken oldest first, then by name.
        assert_eq!(
            scheduler.due(0),
            vec!["catalonia", "emilia"],
            "bounded to two"
        );
        assert!(scheduler.due(0).is_empty(), "no third round while two run");
        scheduler.finished(
            &"catalonia",
            10,
            RoundResult::Completed {
                stored: 3,
                missing: 3,
                left_to_others: 0,
            },
        );
        assert_eq!(scheduler.due(10), vec!["flanders"]);
        scheduler.finished(&"emilia", 20, RoundResult::Failed);
        assert!(
            scheduler.due(20 + 1_999).is_empty(),
            "backoff of 2 s after a failure"
        );
        assert_eq!(scheduler.due(20 + 2_000), vec!["emilia"]);
        scheduler.finished(&"flanders", 30, RoundResult::Misbehaved);
        scheduler.finished(
            &"emilia",
            30,
            RoundResult::Completed {
                stored: 0,
                missing: 0,
                left_to_others: 0,
            },
        );
        scheduler.disconnected(&"catalonia");
        assert_eq!(
            scheduler.due(30 + 60_000),
            vec!["emilia"],
            "misbehaving and gone peers wait"
        );
        let catalonia = peer_state(&scheduler, "catalonia");
        assert_eq!(
            (
                catalonia.last_stored,
                catalonia.total_stored,
                catalonia.last_missing
            ),
            (3, 3, 3)
        );
    }

    fn peer_state<'a>(
        scheduler: &'a Scheduler<&'static str>,
        peer: &str,
    ) -> &'a PeerSyncState<&'static str> {
        scheduler
            .peers()
            .find(|s| s.peer == peer)
            .expect("a known peer")
    }

    /// A round that left missing records to another peer's round (which had claimed them) comes
    /// back soon: if that other round stalls, its claims are freed only at its timeout, and the
    /// records must not wait a whole interval more.
    #[test]
    fn a_round_that_left_records_to_others_is_due_again_soon() {
        let mut scheduler = Scheduler::new(ReplicationConfig::default());
        scheduler.connected("emilia", 0);
        scheduler.connected("flanders", 0);
        assert_eq!(scheduler.due(0), vec!["emilia", "flanders"]);
        let completed = |left_to_others| RoundResult::Completed {
            stored: 40,
            missing: 100,
            left_to_others,
        };
        scheduler.finished(&"emilia", 100, completed(60));
        scheduler.finished(&"flanders", 100, completed(0));
        assert!(scheduler.due(100 + 1_999).is_empty());
        assert_eq!(
            scheduler.due(100 + 2_000),
            vec!["emilia"],
            "only the round that left records to others is due after 2 s"
        );
        assert_eq!(
            peer_state(&scheduler, "emilia").failures,
            0,
            "leaving records to others is no failure"
        );
        assert_eq!(scheduler.due(100 + 60_000), vec!["flanders"]);
    }

    /// Runs a session against a responder holding `theirs`, checking every record as stored.
    fn run(
        ours: &[(Millis, RecordId)],
        theirs: &[(Millis, RecordId)],
    ) -> (SessionReport, Vec<RecordId>) {
        let (mut session, mut step) = Session::start(ReplicationConfig::default(), ours);
        let mut fetched = Vec::new();
        while !matches!(step, Step::Done(_)) {
            fetched.extend(advance(&mut session, &mut step, theirs));
        }
        (session.report(), fetched)
    }

    /// The default configuration with fetches of `ids` ids, so that a few records make batches.
    fn fetching(ids: usize) -> ReplicationConfig {
        ReplicationConfig {
            fetch_batch: ids,
            ..ReplicationConfig::default()
        }
    }

    #[test]
    fn session_fetches_exactly_what_is_missing() {
        let theirs: Vec<(Millis, RecordId)> = (1..=200).map(|n| (n as u64, id(n))).collect();
        let ours: Vec<(Millis, RecordId)> =
            theirs.iter().copied().filter(|(t, _)| t % 3 != 0).collect();
        let (report, mut fetched) = run(&ours, &theirs);
        fetched.sort();
        let expected: Vec<RecordId> = theirs
            .iter()
            .filter(|(t, _)| t % 3 == 0)
            .map(|(_, id)| *id)
            .collect();
        assert_eq!(fetched, expected);
        assert_eq!(report.missing, expected.len() as u64);
        assert_eq!(report.stored, expected.len() as u64);
        let (report, fetched) = run(&theirs, &theirs);
        assert_eq!(
            (report.missing, fetched.len()),
            (0, 0),
            "nothing to do when in step"
        );
    }

    #[test]
    fn unrequested_or_invalid_records_mean_misbehaviour() {
        let theirs = vec![(1, id(1)), (2, id(2))];
        let (mut session, step) = Session::start(ReplicationConfig::default(), &[]);
        let Step::Send(SyncRequest::Reconcile { frame }) = step else {
            panic!("reconcile first")
        };
        let answer = respond_to_reconcile(&theirs, &frame).expect("responder");
        let step = session.on_response(&SyncResponse::Reconcile { frame: answer }.encode());
        assert!(matches!(step, Step::Send(SyncRequest::Fetch { .. })));
        let step = session.on_response(
            &SyncResponse::Records {
                records: vec![vec![9; 32]],
            }
            .encode(),
        );
        let Step::Check(records) = step else {
            panic!("check")
        };
        let step = session.on_checked(vec![(Checked::Stored(id(9)), records[0].clone())]);
        assert!(matches!(step, Step::Misbehaved(reason) if reason.contains("not asked for")));

        let (mut session, _) = Session::start(ReplicationConfig::default(), &[]);
        assert!(matches!(
            session.on_response(b"garbage"),
            Step::Misbehaved(_)
        ));
        let (mut session, _) = Session::start(ReplicationConfig::default(), &[]);
        let step = session.on_response(&SyncResponse::Records { records: vec![] }.encode());
        assert!(matches!(step, Step::Misbehaved(reason) if reason.contains("unexpected records")));
    }

    /// Records the responder serves for `ids`: each record's bytes are its id.
    fn served(ids: &[RecordId]) -> Vec<u8> {
        let records = ids.iter().map(|id| id.as_bytes().to_vec()).collect();
        SyncResponse::Records { records }.encode()
    }

    fn stored(records: Vec<Vec<u8>>) -> Vec<(Checked, Vec<u8>)> {
        records
            .into_iter()
            .map(|bytes| {
                let mut id = [0u8; 32];
                id.copy_from_slice(&bytes);
                (Checked::Stored(RecordId(id)), bytes)
            })
            .collect()
    }

    #[test]
    fn a_fetch_travels_ahead_while_a_batch_is_checked() {
        let config = fetching(10);
        let theirs: Vec<(Millis, RecordId)> = (1..=35).map(|n| (n as u64, id(n))).collect();
        let (mut session, mut step) = Session::start(config, &[]);
        let mut ahead_response = None;
        let mut fetched = Vec::new();
        let mut requests = 0;
        let report = loop {
            step = match step {
                Step::Send(SyncRequest::Reconcile { frame }) => {
                    let answer = respond_to_reconcile(&theirs, &frame).expect("responder");
                    session.on_response(&SyncResponse::Reconcile { frame: answer }.encode())
                }
                Step::Send(SyncRequest::Fetch { ids }) => {
                    requests += 1;
                    session.on_response(&served(&ids))
                }
                Step::Check(records) => {
                    assert!(ahead_response.is_none(), "one request ahead at most");
                    if let Some(SyncRequest::Fetch { ids }) = session.fetch_ahead() {
                        requests += 1;
                        assert!(
                            ids.iter()
                                .all(|id| !records.contains(&id.as_bytes().to_vec())),
                            "the batch ahead does not repeat the batch being checked"
                        );
                        ahead_response = Some(served(&ids));
                    }
                    assert_eq!(session.fetch_ahead(), None, "only one ahead");
                    fetched.extend(records.iter().cloned());
                    session.on_checked(stored(records))
                }
                Step::Receive => {
                    let response = ahead_response.take().expect("a request was sent ahead");
                    session.on_response(&response)
                }
                Step::Done(report) => break report,
                other => panic!("unexpected step {other:?}"),
            }
        };
        assert_eq!((report.missing, report.stored), (35, 35));
        assert_eq!(report.fetches, 4, "35 records in batches of 10");
        assert_eq!(requests, 4);
        fetched.sort();
        fetched.dedup();
        assert_eq!(fetched.len(), 35, "every record once");
    }

    #[test]
    fn records_not_asked_for_in_the_batch_ahead_are_misbehaviour() {
        let config = fetching(2);
        let theirs: Vec<(Millis, RecordId)> = (1..=6).map(|n| (n as u64, id(n))).collect();
        let (mut session, mut step) = Session::start(config, &[]);
        while let Step::Send(SyncRequest::Reconcile { frame }) = step {
            let answer = respond_to_reconcile(&theirs, &frame).expect("responder");
            step = session.on_response(&SyncResponse::Reconcile { frame: answer }.encode());
        }
        let Step::Send(SyncRequest::Fetch { ids }) = step else {
            panic!("expected a fetch, got {step:?}");
        };
        let Step::Check(records) = session.on_response(&served(&ids)) else {
            panic!("expected records to check");
        };
        assert!(session.fetch_ahead().is_some());
        assert_eq!(session.on_checked(stored(records)), Step::Receive);
        // The peer answers the request ahead with records of the batch already stored.
        let Step::Check(records) = session.on_response(&served(&ids)) else {
            panic!("expected records to check");
        };
        assert!(matches!(
            session.on_checked(stored(records)),
            Step::Misbehaved(reason) if reason.contains("not asked for")
        ));
    }

    /// Advances a session by one step against a responder holding `theirs`, checking every
    /// record as stored; returns the ids it asked for in this step.
    fn advance(
        session: &mut Session,
        step: &mut Step,
        theirs: &[(Millis, RecordId)],
    ) -> Vec<RecordId> {
        let mut asked = Vec::new();
        *step = match std::mem::replace(step, Step::Failed(String::new())) {
            Step::Send(SyncRequest::Reconcile { frame }) => {
                let answer = respond_to_reconcile(theirs, &frame).expect("responder");
                session.on_response(&SyncResponse::Reconcile { frame: answer }.encode())
            }
            Step::Send(SyncRequest::Fetch { ids }) => {
                asked = ids.clone();
                session.on_response(&served(&ids))
            }
            Step::Check(records) => session.on_checked(stored(records)),
            done @ Step::Done(_) => done,
            other => panic!("unexpected step {other:?}"),
        };
        asked
    }

    #[test]
    fn sessions_sharing_claims_split_a_catch_up_and_fetch_no_record_twice() {
        let config = fetching(10);
        let theirs: Vec<(Millis, RecordId)> = (1..=95).map(|n| (n as u64, id(n))).collect();
        let claims = SharedClaims::default();
        let mut sessions: Vec<(Session, Step, Vec<RecordId>)> = (0..2)
            .map(|_| {
                let (session, step) = Session::start(config, &[]);
                (session.sharing(Arc::clone(&claims)), step, Vec::new())
            })
            .collect();
        while !sessions
            .iter()
            .all(|(_, step, _)| matches!(step, Step::Done(_)))
        {
            for (session, step, fetched) in &mut sessions {
                fetched.extend(advance(session, step, &theirs));
            }
        }
        let (first, second) = (&sessions[0].2, &sessions[1].2);
        assert!(
            !first.is_empty() && !second.is_empty(),
            "both peers serve a share"
        );
        assert!(
            first.iter().all(|id| !second.contains(id)),
            "no record fetched twice"
        );
        let mut all: Vec<RecordId> = first.iter().chain(second).copied().collect();
        all.sort();
        assert_eq!(all, theirs.iter().map(|(_, id)| *id).collect::<Vec<_>>());
        let reports: Vec<SessionReport> = sessions.iter().map(|(s, ..)| s.report()).collect();
        assert_eq!(reports[0].stored + reports[1].stored, 95);
        assert_eq!(
            reports[0].left_to_others + reports[1].left_to_others,
            reports.iter().map(|r| r.missing).sum::<u64>() - 95,
            "what one left, the other stored"
        );
        drop(sessions);
        assert_eq!(lock(&claims).in_flight(), 0);
        assert!(
            lock(&claims).settled.is_empty(),
            "forgotten with the last session"
        );
    }

    /// A session sharing a large catch-up drops what another session already brought in at its
    /// next pick, instead of walking past it on every pick after (quadratic in the catch-up).
    #[test]
    fn ids_another_session_brought_in_leave_the_need_list_at_the_next_pick() {
        let config = fetching(10);
        let theirs: Vec<(Millis, RecordId)> = (1..=30).map(|n| (n as u64, id(n))).collect();
        let claims = SharedClaims::default();
        let start = || {
            let (session, step) = Session::start(config, &[]);
            (session.sharing(Arc::clone(&claims)), step)
        };
        let (mut first, mut first_step) = start();
        let (mut second, mut second_step) = start();
        // The first session fetches and stores a batch, then asks for its second batch.
        let mut batches: Vec<Vec<RecordId>> = Vec::new();
        while batches.len() < 2 {
            let asked = advance(&mut first, &mut first_step, &theirs);
            if !asked.is_empty() {
                batches.push(asked);
            }
        }
        let (brought_in, in_flight) = (&batches[0], &batches[1]);
        // The second session reconciles only now, and picks its first batch.
        let mut picked = Vec::new();
        while picked.is_empty() {
            advance(&mut second, &mut second_step, &theirs);
            if let Step::Send(SyncRequest::Fetch { ids }) = &second_step {
                picked = ids.clone();
            }
        }
        assert_eq!(picked.len(), 10);
        assert!(
            picked
                .iter()
                .all(|id| !brought_in.contains(id) && !in_flight.contains(id))
        );
        assert!(
            brought_in.iter().all(|id| !second.need.contains(id)),
            "records the first session stored are no longer needed by the second"
        );
        assert!(
            in_flight.iter().all(|id| second.need.contains(id)),
            "records still on their way stay needed, in case the first session fails"
        );
        assert_eq!(second.report().left_to_others, 10);
    }

    #[test]
    fn ids_taken_by_a_session_that_ends_are_fetched_by_the_next() {
        let config = fetching(10);
        let theirs: Vec<(Millis, RecordId)> = (1..=25).map(|n| (n as u64, id(n))).collect();
        let claims = SharedClaims::default();
        let (session, mut step) = Session::start(config, &[]);
        let mut interrupted = session.sharing(Arc::clone(&claims));
        while !matches!(step, Step::Send(SyncRequest::Fetch { .. })) {
            advance(&mut interrupted, &mut step, &theirs);
        }
        assert_eq!(lock(&claims).in_flight(), 10, "its first batch is taken");
        // The connection drops before the answer comes.
        drop(interrupted);
        assert_eq!(lock(&claims).in_flight(), 0);
        let (session, mut step) = Session::start(config, &[]);
        let mut next = session.sharing(Arc::clone(&claims));
        let mut fetched = Vec::new();
        while !matches!(step, Step::Done(_)) {
            fetched.extend(advance(&mut next, &mut step, &theirs));
        }
        assert_eq!(fetched.len(), 25);
        assert_eq!(next.report().left_to_others, 0);
    }
}
