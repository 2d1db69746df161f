//! Catch-up: range-based set reconciliation of record ids with one peer, then fetching what is
//! missing in bounded batches.
//!
//! Gossip only reaches nodes that are online; this is what makes the network whole again after a
//! node was away. A round runs when a member connects and periodically after that. The node that
//! starts the round learns which ids it lacks and fetches them; the peer learns the reverse when
//! it runs its own round. Every fetched record goes through the same ingest path as gossip, so a
//! peer cannot slip in through sync what gossip would refuse; a peer that answers with garbage,
//! unrequested or forged records is penalised and the round ends, and rounds with other peers go
//! on.

use std::collections::{BTreeSet, HashSet};
use std::sync::Mutex;

use libp2p::PeerId;
use mosaico_protocol::sync::{
    MAX_FETCH_IDS, MAX_FRAME_BYTES, MAX_RECORDS_RESPONSE_BYTES, SyncRequest, SyncResponse,
};
use mosaico_protocol::{Millis, RecordId};
use negentropy::{Id, Negentropy, NegentropyStorageVector};
use tokio::sync::Semaphore;

use crate::ingest::{Origin, Outcome, Verdict};
use crate::node::Node;
use crate::store::{RecordStore, StoreError};

/// Rounds running at once across all peers: catch-up must not starve gossip and HTTP.
const MAX_CONCURRENT_ROUNDS: usize = 4;
/// Reconciliation messages per round before the round is abandoned as endless.
const MAX_RECONCILE_MESSAGES: usize = 64;
/// Ids fetched per request.
const FETCH_BATCH: usize = MAX_FETCH_IDS;
/// Passes over records deferred for a missing predecessor (membership versions in order).
const MAX_DEFERRED_PASSES: usize = 8;

/// Why a round with a peer failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The network failed (timeout, disconnect, refusal).
    #[error(transparent)]
    Network(#[from] crate::network::NetworkError),
    /// The peer broke the protocol; it is penalised.
    #[error("peer broke the sync protocol: {0}")]
    Misbehaved(String),
    /// Our store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The reconciliation library refused a frame.
    #[error("reconciliation failed: {0}")]
    Reconcile(String),
}

/// What one round achieved.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RoundReport {
    /// Ids we lacked.
    pub missing: usize,
    /// Records stored.
    pub stored: usize,
    /// Reconciliation messages exchanged.
    pub round_trips: usize,
    /// Bytes received.
    pub bytes_in: usize,
    /// Bytes sent.
    pub bytes_out: usize,
}

fn storage_of(items: &[(Millis, RecordId)]) -> Result<NegentropyStorageVector, SyncError> {
    let mut storage = NegentropyStorageVector::with_capacity(items.len());
    for (time, id) in items {
        storage
            .insert(*time, Id::from_byte_array(*id.as_bytes()))
            .map_err(|e| SyncError::Reconcile(e.to_string()))?;
    }
    storage
        .seal()
        .map_err(|e| SyncError::Reconcile(e.to_string()))?;
    Ok(storage)
}

/// Answers a peer's sync request from the store. Never fails: a bad request gets a refusal.
pub fn answer<S: RecordStore>(node: &Node<S>, request: &[u8]) -> Vec<u8> {
    let response = match SyncRequest::decode(request) {
        Err(e) => SyncResponse::Refused {
            reason: e.to_string(),
        },
        Ok(SyncRequest::Reconcile { frame }) => match reconcile_as_responder(node, &frame) {
            Ok(frame) => SyncResponse::Reconcile { frame },
            Err(e) => SyncResponse::Refused {
                reason: e.to_string(),
            },
        },
        Ok(SyncRequest::Fetch { ids }) => {
            let mut records = Vec::new();
            let mut total = 0;
            for id in ids {
                match node.store().wire(&id) {
                    Ok(Some(wire)) => {
                        // Cut the batch where it would exceed the response limit; the requester
                        // asks again for the rest.
                        if total + wire.len() > MAX_RECORDS_RESPONSE_BYTES {
                            break;
                        }
                        total += wire.len();
                        records.push(wire);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "store failed while answering a fetch");
                        break;
                    }
                }
            }
            SyncResponse::Records { records }
        }
    };
    response.encode()
}

fn reconcile_as_responder<S: RecordStore>(
    node: &Node<S>,
    frame: &[u8],
) -> Result<Vec<u8>, SyncError> {
    let storage = storage_of(&node.store().reconciliation_items()?)?;
    let mut negentropy = Negentropy::owned(storage, MAX_FRAME_BYTES as u64)
        .map_err(|e| SyncError::Reconcile(e.to_string()))?;
    negentropy
        .reconcile(frame)
        .map_err(|e| SyncError::Reconcile(e.to_string()))
}

/// Which rounds run: at most one per peer, and at most [`MAX_CONCURRENT_ROUNDS`] in all.
#[derive(Debug)]
pub struct RoundSlots {
    permits: Semaphore,
    running: Mutex<HashSet<PeerId>>,
}

impl Default for RoundSlots {
    fn default() -> Self {
        RoundSlots {
            permits: Semaphore::new(MAX_CONCURRENT_ROUNDS),
            running: Mutex::new(HashSet::new()),
        }
    }
}

impl RoundSlots {
    fn claim(&self, peer: PeerId) -> bool {
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(peer)
    }
    fn release(&self, peer: &PeerId) {
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(peer);
    }
}

/// Starts a round with `peer` in the background, unless one is already running with it.
pub fn spawn_round<S: RecordStore>(node: Node<S>, peer: PeerId) {
    if !node.round_slots().claim(peer) {
        return;
    }
    tokio::spawn(async move {
        let result = match node.round_slots().permits.acquire().await {
            Ok(_permit) => round(&node, peer).await,
            Err(_) => Ok(RoundReport::default()),
        };
        node.round_slots().release(&peer);
        match result {
            Ok(report) => {
                node.metrics().record_sync(&report);
                if report.missing > 0 {
                    tracing::info!(%peer, missing = report.missing, stored = report.stored, round_trips = report.round_trips, bytes_in = report.bytes_in, "caught up with peer");
                }
            }
            Err(SyncError::Misbehaved(why)) => {
                tracing::warn!(%peer, reason = %why, "peer misbehaved during sync; penalising it");
                node.metrics().record_sync_failure("misbehaved");
                let _ = node.network().penalize(peer, &why).await;
            }
            Err(error) => {
                node.metrics().record_sync_failure("failed");
                tracing::info!(%peer, %error, "sync round with peer did not complete");
            }
        }
    });
}

/// One reconciliation round with `peer`, then the fetches.
pub async fn round<S: RecordStore>(node: &Node<S>, peer: PeerId) -> Result<RoundReport, SyncError> {
    let mut report = RoundReport::default();
    let storage = storage_of(&node.store().reconciliation_items()?)?;
    let mut negentropy = Negentropy::owned(storage, MAX_FRAME_BYTES as u64)
        .map_err(|e| SyncError::Reconcile(e.to_string()))?;
    let mut frame = negentropy
        .initiate()
        .map_err(|e| SyncError::Reconcile(e.to_string()))?;
    let mut need: BTreeSet<RecordId> = BTreeSet::new();
    loop {
        if report.round_trips >= MAX_RECONCILE_MESSAGES {
            return Err(SyncError::Misbehaved(format!(
                "reconciliation did not finish in {MAX_RECONCILE_MESSAGES} messages"
            )));
        }
        let request = SyncRequest::Reconcile { frame }.encode();
        report.bytes_out += request.len();
        let response = node.network().sync_request(peer, request).await?;
        report.bytes_in += response.len();
        report.round_trips += 1;
        let their_frame = match SyncResponse::decode(&response) {
            Ok(SyncResponse::Reconcile { frame }) => frame,
            Ok(SyncResponse::Refused { reason }) => {
                return Err(SyncError::Reconcile(format!("peer refused: {reason}")));
            }
            Ok(other) => {
                return Err(SyncError::Misbehaved(
                    format!("answered reconcile with {other:?}")
                        .chars()
                        .take(120)
                        .collect(),
                ));
            }
            Err(e) => return Err(SyncError::Misbehaved(e.to_string())),
        };
        let mut have_ids = Vec::new();
        let mut need_ids = Vec::new();
        let next = negentropy
            .reconcile_with_ids(&their_frame, &mut have_ids, &mut need_ids)
            .map_err(|e| SyncError::Misbehaved(format!("bad reconciliation frame: {e}")))?;
        need.extend(need_ids.into_iter().map(|id| RecordId(id.to_bytes())));
        match next {
            Some(next) => frame = next,
            None => break,
        }
    }
    report.missing = need.len();
    let mut pending: Vec<RecordId> = need.into_iter().collect();
    let mut deferred: Vec<(RecordId, Vec<u8>)> = Vec::new();
    while !pending.is_empty() {
        let batch = &pending[..pending.len().min(FETCH_BATCH)];
        let request = SyncRequest::Fetch {
            ids: batch.to_vec(),
        }
        .encode();
        report.bytes_out += request.len();
        let response = node.network().sync_request(peer, request).await?;
        report.bytes_in += response.len();
        let records = match SyncResponse::decode(&response) {
            Ok(SyncResponse::Records { records }) => records,
            Ok(SyncResponse::Refused { reason }) => {
                return Err(SyncError::Reconcile(format!(
                    "peer refused fetch: {reason}"
                )));
            }
            Ok(_) => {
                return Err(SyncError::Misbehaved(
                    "answered fetch with a reconcile frame".into(),
                ));
            }
            Err(e) => return Err(SyncError::Misbehaved(e.to_string())),
        };
        if records.is_empty() {
            // The peer no longer has what it announced (or will not send it): stop here rather
            // than ask forever; the next round starts afresh.
            break;
        }
        let asked: HashSet<RecordId> = batch.iter().copied().collect();
        let mut served = HashSet::new();
        for wire in records {
            let outcome = node.receive(wire.clone(), None, Origin::Sync).await;
            let id = match &outcome {
                Outcome::Stored { record, .. } => record.id(),
                Outcome::NotNew { id } | Outcome::Deferred { id, .. } => *id,
                Outcome::Refused(e) if outcome.verdict() == Verdict::Reject => {
                    return Err(SyncError::Misbehaved(format!(
                        "sent a record that fails checks: {e}"
                    )));
                }
                Outcome::Refused(e) => return Err(SyncError::Reconcile(e.to_string())),
            };
            if !asked.contains(&id) || !served.insert(id) {
                return Err(SyncError::Misbehaved(format!(
                    "sent record {id}, which was not asked for"
                )));
            }
            match outcome {
                Outcome::Stored { .. } => report.stored += 1,
                Outcome::Deferred { .. } => deferred.push((id, wire)),
                _ => {}
            }
        }
        pending.retain(|id| !served.contains(id));
    }
    // Membership versions can arrive out of order within a round; retry the deferred ones now that
    // their predecessors may be stored.
    for _ in 0..MAX_DEFERRED_PASSES {
        if deferred.is_empty() {
            break;
        }
        let before = deferred.len();
        let mut still = Vec::new();
        for (id, wire) in deferred {
            match node.receive(wire.clone(), Some(id), Origin::Sync).await {
                Outcome::Stored { .. } => report.stored += 1,
                Outcome::Deferred { .. } => still.push((id, wire)),
                _ => {}
            }
        }
        deferred = still;
        if deferred.len() == before {
            break;
        }
    }
    Ok(report)
}
