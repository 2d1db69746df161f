//! Catch-up, the I/O shell: carries out what the protocol's replication core decides.
//!
//! Gossip only reaches nodes that are online; catch-up is what makes the network whole again
//! after a node was away. One task owns the [`Scheduler`] (when to run a round with which peer);
//! each round drives a [`Session`] (what to ask, what the answers mean) by sending its requests
//! over the network and running fetched records through the same [`RecordIntake`] as gossip, so
//! a peer cannot slip in through catch-up what gossip would refuse.
//!
//! The wire format of the requests and answers is the protocol's (`mosaico_protocol::sync`);
//! this module only moves them. It takes the handles it needs ([`CatchUp`]) rather than the
//! whole node, and it owns the two facts about catch-up that others read: the per-peer
//! [`CatchUpStatus`] (the status endpoint) and the [`BulkCatchUps`] under way (the search
//! indexer).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use libp2p::PeerId;
use mosaico_protocol::admission::GossipVerdict;
use mosaico_protocol::replication::{
    Checked, PeerSyncState, ReplicationConfig, RoundResult, Scheduler, Session, SessionReport,
    SharedClaims, Step, respond_to_reconcile,
};
use mosaico_protocol::sync::{MAX_RECORDS_RESPONSE_BYTES, SyncRequest, SyncResponse};
use tokio::sync::{mpsc, watch};

use crate::clock::now_millis;
use crate::ingest::{IngestOutcome, Origin};
use crate::metrics::NodeMetrics;
use crate::network::{NetworkError, NetworkHandle};
use crate::node::RecordIntake;
use crate::store::RecordStore;

/// How often the scheduler looks for due rounds.
const TICK: Duration = Duration::from_millis(250);
/// Events queued for the catch-up task before senders wait.
const EVENT_CAPACITY: usize = 256;
/// From this many missing records on, a round announces a bulk catch-up (see
/// [`BulkCatchUps`]): a full fetch batch, a couple of megabytes of records.
const BULK_CATCH_UP_RECORDS: u64 = 1024;

/// What the catch-up task hears about.
#[derive(Debug)]
pub enum CatchUpEvent {
    /// A member connected.
    Connected(PeerId),
    /// A member's last connection closed.
    Disconnected(PeerId),
    /// The network suggests a round with this peer now.
    RoundWanted(PeerId),
    /// A round ended.
    Finished(PeerId, RoundResult, SessionReport, usize, usize),
}

/// Per-peer catch-up state, as the status endpoint shows it. The catch-up task replaces it after
/// every turn of its loop; readers take a snapshot.
#[derive(Debug, Clone, Default)]
pub struct CatchUpStatus {
    peers: Arc<Mutex<Vec<PeerSyncState<PeerId>>>>,
}

impl CatchUpStatus {
    /// The state of every peer catch-up knows, as last published.
    pub fn snapshot(&self) -> Vec<PeerSyncState<PeerId>> {
        // A poisoned lock only means a writer panicked mid-assignment of a whole vector; the
        // value is still one complete snapshot.
        self.peers.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn replace(&self, peers: Vec<PeerSyncState<PeerId>>) {
        *self.peers.lock().unwrap_or_else(|e| e.into_inner()) = peers;
    }
}

/// How many catch-up rounds are fetching a large number of records right now. Work derived from
/// the store (the search index) may wait while any is under way and catch up in bulk afterwards,
/// leaving the cores to verification and storage.
#[derive(Debug, Clone)]
pub struct BulkCatchUps {
    rounds: watch::Sender<usize>,
}

impl Default for BulkCatchUps {
    fn default() -> Self {
        BulkCatchUps {
            rounds: watch::Sender::new(0),
        }
    }
}

impl BulkCatchUps {
    /// Announces a large catch-up until the returned guard is dropped.
    pub fn announce(&self) -> BulkCatchUp {
        self.rounds.send_modify(|n| *n += 1);
        BulkCatchUp {
            rounds: self.rounds.clone(),
        }
    }

    /// Follows the number of large catch-ups under way.
    pub fn watch(&self) -> watch::Receiver<usize> {
        self.rounds.subscribe()
    }
}

/// Held by a catch-up round while it fetches many records; see [`BulkCatchUps::announce`].
#[derive(Debug)]
pub struct BulkCatchUp {
    rounds: watch::Sender<usize>,
}

impl Drop for BulkCatchUp {
    fn drop(&mut self) {
        self.rounds.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// The handles catch-up works with: where fetched records go in, whom to ask, where to count,
/// and the two facts it publishes.
#[derive(Debug)]
pub struct CatchUp<S: RecordStore> {
    /// The receiving door fetched records go through (and the store answers come from).
    pub intake: RecordIntake<S>,
    /// Sends requests to peers and penalises peers that misbehave.
    pub network: NetworkHandle,
    /// Where finished rounds are counted.
    pub metrics: NodeMetrics,
    /// Per-peer state, for the status endpoint.
    pub status: CatchUpStatus,
    /// Large rounds under way, for the search indexer.
    pub bulk: BulkCatchUps,
}

impl<S: RecordStore> Clone for CatchUp<S> {
    fn clone(&self) -> Self {
        CatchUp {
            intake: self.intake.clone(),
            network: self.network.clone(),
            metrics: self.metrics.clone(),
            status: self.status.clone(),
            bulk: self.bulk.clone(),
        }
    }
}

/// Starts the catch-up task; returns its event sender and its join handle.
pub fn spawn<S: RecordStore>(
    catch_up: CatchUp<S>,
    config: ReplicationConfig,
    mut stop: watch::Receiver<bool>,
) -> (mpsc::Sender<CatchUpEvent>, tokio::task::JoinHandle<()>) {
    let (events, mut inbox) = mpsc::channel(EVENT_CAPACITY);
    let self_events = events.clone();
    let task = tokio::spawn(async move {
        let mut scheduler = Scheduler::<PeerId>::new(config);
        // Rounds with several peers at once split what is missing instead of each fetching all.
        let claims = SharedClaims::default();
        let mut tick = tokio::time::interval(TICK);
        loop {
            tokio::select! {
                _ = stop.wait_for(|s| *s) => break,
                _ = tick.tick() => {}
                event = inbox.recv() => match event {
                    None => break,
                    Some(CatchUpEvent::Connected(peer)) => scheduler.connected(peer, now_millis()),
                    Some(CatchUpEvent::Disconnected(peer)) => scheduler.disconnected(&peer),
                    Some(CatchUpEvent::RoundWanted(peer)) => scheduler.request_round(&peer, now_millis()),
                    Some(CatchUpEvent::Finished(peer, result, report, bytes_in, bytes_out)) => {
                        catch_up.metrics.record_sync(&result, &report, bytes_in, bytes_out);
                        scheduler.finished(&peer, now_millis(), result);
                    }
                },
            }
            for peer in scheduler.due(now_millis()) {
                let catch_up = catch_up.clone();
                let events = self_events.clone();
                let claims = Arc::clone(&claims);
                tokio::spawn(async move {
                    let (result, report, bytes_in, bytes_out) =
                        round(&catch_up, peer, config, claims).await;
                    let _ = events
                        .send(CatchUpEvent::Finished(
                            peer, result, report, bytes_in, bytes_out,
                        ))
                        .await;
                });
            }
            catch_up
                .status
                .replace(scheduler.peers().cloned().collect());
        }
    });
    (events, task)
}

/// Runs one session with `peer` to its end.
async fn round<S: RecordStore>(
    catch_up: &CatchUp<S>,
    peer: PeerId,
    config: ReplicationConfig,
    claims: SharedClaims,
) -> (RoundResult, SessionReport, usize, usize) {
    let items = match catch_up.intake.store().reconciliation_items() {
        Ok(items) => items,
        Err(error) => {
            tracing::warn!(%error, "cannot read the reconciliation index");
            return (RoundResult::Failed, SessionReport::default(), 0, 0);
        }
    };
    let (session, mut step) = Session::start(config, &items);
    let mut session = session.sharing(claims);
    drop(items);
    let (mut bytes_in, mut bytes_out) = (0, 0);
    let mut bulk = None;
    // The answer to the request sent ahead while a batch was being checked.
    let mut ahead = None;
    loop {
        step = match step {
            Step::Send(request) => {
                if bulk.is_none() && session.report().missing >= BULK_CATCH_UP_RECORDS {
                    bulk = Some(catch_up.bulk.announce());
                }
                let request = request.encode();
                bytes_out += request.len();
                let answer = catch_up.network.sync_request(peer, request).await;
                match on_answer(catch_up, peer, &mut session, answer, &mut bytes_in).await {
                    Ok(step) => step,
                    Err(result) => return (result, session.report(), bytes_in, bytes_out),
                }
            }
            Step::Receive => {
                let Some(answer) = ahead.take() else {
                    tracing::error!(%peer, "catch-up expected an answer that was never asked for");
                    return (RoundResult::Failed, session.report(), bytes_in, bytes_out);
                };
                match on_answer(catch_up, peer, &mut session, answer, &mut bytes_in).await {
                    Ok(step) => step,
                    Err(result) => return (result, session.report(), bytes_in, bytes_out),
                }
            }
            Step::Check(records) => {
                // The next batch travels while this one is verified and stored.
                let request = session.fetch_ahead().map(|r| r.encode());
                bytes_out += request.as_ref().map_or(0, Vec::len);
                let fetch = async {
                    match request {
                        Some(request) => Some(catch_up.network.sync_request(peer, request).await),
                        None => None,
                    }
                };
                let records = Arc::new(records);
                let (outcomes, answer) = tokio::join!(
                    catch_up
                        .intake
                        .receive_batch(Arc::clone(&records), Origin::Sync),
                    fetch
                );
                // The ingest thread has let go of its share by now; copying is only a fallback.
                let records = Arc::try_unwrap(records).unwrap_or_else(|shared| (*shared).clone());
                ahead = answer;
                let results = outcomes
                    .iter()
                    .zip(records)
                    .map(|(outcome, wire)| {
                        let checked = match outcome {
                            IngestOutcome::Stored { record, .. } => Checked::Stored(record.id()),
                            IngestOutcome::NotNew { id } => Checked::Known(*id),
                            IngestOutcome::Deferred { id, .. } => Checked::Deferred(*id),
                            IngestOutcome::Refused(_)
                                if outcome.gossip_verdict() == GossipVerdict::Reject =>
                            {
                                Checked::Invalid
                            }
                            IngestOutcome::Refused(_) => Checked::LocalFailure,
                        };
                        (checked, wire)
                    })
                    .collect();
                session.on_checked(results)
            }
            Step::Done(report) => {
                if report.missing > 0 {
                    tracing::info!(%peer, missing = report.missing, stored = report.stored, left_to_other_rounds = report.left_to_others, reconcile_messages = report.reconcile_messages, fetches = report.fetches, bytes_in, "caught up with peer");
                }
                return (report.completed(), report, bytes_in, bytes_out);
            }
            Step::Misbehaved(reason) => {
                tracing::warn!(%peer, %reason, "peer misbehaved during catch-up; penalising it");
                let _ = catch_up.network.penalize(peer, &reason).await;
                return (
                    RoundResult::Misbehaved,
                    session.report(),
                    bytes_in,
                    bytes_out,
                );
            }
            Step::Failed(reason) => {
                tracing::info!(%peer, %reason, "catch-up round failed");
                return (RoundResult::Failed, session.report(), bytes_in, bytes_out);
            }
        };
    }
}

/// Feeds a peer's answer to the session; `Err` ends the round with that result.
async fn on_answer<S: RecordStore>(
    catch_up: &CatchUp<S>,
    peer: PeerId,
    session: &mut Session,
    answer: Result<Vec<u8>, NetworkError>,
    bytes_in: &mut usize,
) -> Result<Step, RoundResult> {
    match answer {
        Ok(response) => {
            *bytes_in += response.len();
            Ok(session.on_response(&response))
        }
        Err(error @ NetworkError::SyncResponseTooLarge { .. }) => {
            // Oversized answers are the peer's doing, not the network's.
            tracing::warn!(%peer, %error, "peer answered catch-up with too much data; penalising it");
            let _ = catch_up.network.penalize(peer, &error.to_string()).await;
            Err(RoundResult::Misbehaved)
        }
        Err(error) => {
            tracing::info!(%peer, %error, "catch-up round interrupted");
            Err(RoundResult::Failed)
        }
    }
}

/// Answers a peer's catch-up request from the store. Never fails: a bad request gets a refusal.
pub fn answer<S: RecordStore>(store: &S, request: &[u8]) -> Vec<u8> {
    let response = match SyncRequest::decode(request) {
        Err(e) => SyncResponse::Refused {
            reason: e.to_string(),
        },
        Ok(SyncRequest::Reconcile { frame }) => {
            let answer = store
                .reconciliation_items()
                .map_err(|e| e.to_string())
                .and_then(|items| respond_to_reconcile(&items, &frame));
            match answer {
                Ok(frame) => SyncResponse::Reconcile { frame },
                Err(reason) => SyncResponse::Refused { reason },
            }
        }
        Ok(SyncRequest::Fetch { ids }) => {
            let mut records = Vec::new();
            let mut total = 0;
            for id in ids {
                match store.wire(&id) {
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
                    Err(error) => {
                        tracing::warn!(%error, "store failed while answering a fetch");
                        break;
                    }
                }
            }
            SyncResponse::Records { records }
        }
    };
    response.encode()
}
