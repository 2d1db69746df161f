//! The node's application logic: publishing, receiving and reading records.
//!
//! [`Node`] is a cheap cloneable handle shared by the HTTP backend and the network event loop.
//! Reads go straight to the store; writes go through [`Ingest`], the one door into the store, and
//! then to the network handle for gossip.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use mosaico_protocol::draft::{Draft, DraftError};
use mosaico_protocol::trust::{Authority, Federation};
use mosaico_protocol::{
    Kind, LogicalKey, Millis, Record, RecordId, SecretKey, Unverified, Verified,
};
use tokio::sync::broadcast;

use crate::ingest::{Ingest, IngestError, IngestOutcome, Origin};
use crate::metrics::NodeMetrics;
use crate::network::{NetworkHandle, PublishOutcome};
use crate::store::{RecordStore, StoreError};

/// The wall clock in milliseconds. The only place the node reads the time for records.
pub fn now_millis() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

/// Something that happened to the node's records, for live views.
#[derive(Debug, Clone)]
pub enum NodeEvent {
    /// A record was stored (published here or received).
    Stored {
        /// The record.
        record: Record<Verified>,
        /// Whether it became its logical record's head.
        head: bool,
    },
}

/// Why a publish failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishFailure {
    /// The draft is not usable.
    #[error(transparent)]
    Draft(#[from] DraftError),
    /// The record breaks a rule, its signature fails or its key may not publish it.
    #[error(transparent)]
    Refused(IngestError),
    /// There is nothing to retract.
    #[error("there is no record {0} to retract")]
    NothingToRetract(LogicalKey),
    /// The record was already stored (the same bytes were published before).
    #[error("this exact record is already stored")]
    AlreadyStored(RecordId),
    /// An older version than the head.
    #[error("version {given} is older than the current version {head}")]
    Stale {
        /// The record's version.
        given: u64,
        /// The head's version.
        head: u64,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The blocking task running the write was lost (the node is shutting down).
    #[error("the node is shutting down")]
    ShuttingDown,
}

/// A successful publish.
#[derive(Debug, Clone)]
pub struct Published {
    /// The stored record.
    pub record: Record<Verified>,
    /// By what right its author published it.
    pub authority: Authority,
    /// What gossip did with it (`None` if gossip failed; catch-up will deliver it).
    pub gossip: Option<PublishOutcome>,
}

/// The node: identity, store, trust state and network.
#[derive(Debug)]
pub struct Node<S: RecordStore> {
    inner: Arc<Inner<S>>,
}

impl<S: RecordStore> Clone for Node<S> {
    fn clone(&self) -> Self {
        Node {
            inner: Arc::clone(&self.inner),
        }
    }
}

#[derive(Debug)]
struct Inner<S: RecordStore> {
    name: String,
    secret: SecretKey,
    ingest: Ingest<S>,
    network: NetworkHandle,
    metrics: NodeMetrics,
    events: broadcast::Sender<NodeEvent>,
    started: Instant,
    ready: AtomicBool,
    /// Local publishes are serialised so two concurrent edits cannot both take version n+1.
    publishing: tokio::sync::Mutex<()>,
    sync_status: std::sync::Mutex<crate::sync::SyncStatus>,
    /// How many catch-up rounds are fetching a large number of records right now.
    bulk_catch_ups: tokio::sync::watch::Sender<usize>,
}

/// Held by a catch-up round while it fetches many records; see [`Node::bulk_catch_up`].
#[derive(Debug)]
pub struct BulkCatchUp {
    rounds: tokio::sync::watch::Sender<usize>,
}

impl Drop for BulkCatchUp {
    fn drop(&mut self) {
        self.rounds.send_modify(|n| *n = n.saturating_sub(1));
    }
}

impl<S: RecordStore> Node<S> {
    /// Assembles a node from its parts.
    pub fn new(
        name: String,
        secret: SecretKey,
        ingest: Ingest<S>,
        network: NetworkHandle,
        metrics: NodeMetrics,
    ) -> Self {
        let (events, _) = broadcast::channel(1024);
        Node {
            inner: Arc::new(Inner {
                name,
                secret,
                ingest,
                network,
                metrics,
                events,
                started: Instant::now(),
                ready: AtomicBool::new(false),
                publishing: tokio::sync::Mutex::new(()),
                sync_status: std::sync::Mutex::new(Vec::new()),
                bulk_catch_ups: tokio::sync::watch::Sender::new(0),
            }),
        }
    }

    /// The region's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }
    /// The region's publishing key.
    pub fn public_key(&self) -> mosaico_protocol::PublicKey {
        self.inner.secret.public_key()
    }
    /// The store.
    pub fn store(&self) -> &Arc<S> {
        self.inner.ingest.store()
    }
    /// The network handle.
    pub fn network(&self) -> &NetworkHandle {
        &self.inner.network
    }
    /// The metrics.
    pub fn metrics(&self) -> &NodeMetrics {
        &self.inner.metrics
    }
    /// A snapshot of the federation's trust state.
    pub fn federation(&self) -> Federation {
        self.inner.ingest.federation()
    }
    /// How long the node has run.
    pub fn uptime(&self) -> std::time::Duration {
        self.inner.started.elapsed()
    }
    /// Announces a large catch-up until the returned guard is dropped. Work derived from the
    /// store (the search index) may then wait and catch up in bulk afterwards, leaving the cores
    /// to verification and storage.
    pub fn bulk_catch_up(&self) -> BulkCatchUp {
        self.inner.bulk_catch_ups.send_modify(|n| *n += 1);
        BulkCatchUp {
            rounds: self.inner.bulk_catch_ups.clone(),
        }
    }
    /// Follows the number of large catch-ups under way.
    pub fn watch_bulk_catch_ups(&self) -> tokio::sync::watch::Receiver<usize> {
        self.inner.bulk_catch_ups.subscribe()
    }
    /// Whether the node serves traffic (store open, network up).
    pub fn is_ready(&self) -> bool {
        self.inner.ready.load(Ordering::Relaxed)
    }
    /// Marks the node ready or not.
    pub fn set_ready(&self, ready: bool) {
        self.inner.ready.store(ready, Ordering::Relaxed);
    }
    /// Per-peer catch-up state, as last published by the replication task.
    pub fn sync_status(&self) -> crate::sync::SyncStatus {
        self.inner
            .sync_status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
    /// Replaces the per-peer catch-up state.
    pub fn set_sync_status(&self, status: crate::sync::SyncStatus) {
        *self
            .inner
            .sync_status
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = status;
    }
    /// Live record events.
    pub fn subscribe(&self) -> broadcast::Receiver<NodeEvent> {
        self.inner.events.subscribe()
    }

    /// Runs wire bytes from the network through ingest on a blocking thread (the store flushes to
    /// disk), records the outcome in metrics and announces stored records.
    pub async fn receive(
        &self,
        bytes: Vec<u8>,
        claimed: Option<RecordId>,
        origin: Origin,
    ) -> IngestOutcome {
        let node = self.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            node.inner
                .ingest
                .ingest_wire(&bytes, claimed, origin, now_millis())
        })
        .await
        .unwrap_or_else(|_| {
            IngestOutcome::Refused(IngestError::Store(StoreError::Engine(
                "ingest task failed".into(),
            )))
        });
        self.after_ingest(&outcome, origin);
        outcome
    }

    /// Runs a batch of records from catch-up through ingest (one durable flush for the batch).
    /// Shared rather than owned: the caller keeps the bytes of records to try again later (a
    /// membership update waiting for its predecessor) without copying a whole batch.
    pub async fn receive_batch(
        &self,
        wires: Arc<Vec<Vec<u8>>>,
        origin: Origin,
    ) -> Vec<IngestOutcome> {
        let node = self.clone();
        let count = wires.len();
        let outcomes = tokio::task::spawn_blocking(move || {
            node.inner.ingest.ingest_batch(&wires, origin, now_millis())
        })
        .await
        .unwrap_or_else(|_| {
            (0..count)
                .map(|_| {
                    IngestOutcome::Refused(IngestError::Store(StoreError::Engine(
                        "ingest task failed".into(),
                    )))
                })
                .collect()
        });
        for outcome in &outcomes {
            self.after_ingest(outcome, origin);
        }
        outcomes
    }

    fn after_ingest(&self, outcome: &IngestOutcome, origin: Origin) {
        self.inner.metrics.record_outcome(origin, outcome.label());
        match outcome {
            IngestOutcome::Stored {
                record, inserted, ..
            } => {
                // Catch-up stores thousands at a time and logs one summary per round instead.
                if origin == Origin::Sync {
                    tracing::debug!(record_id = %record.id(), key = %record.logical_key(), version = record.header().version, ?origin, "record stored");
                } else {
                    tracing::info!(record_id = %record.id(), key = %record.logical_key(), version = record.header().version, ?origin, "record stored");
                }
                let head = inserted
                    .change
                    .is_new_head(&crate::store::version_info(record));
                // No subscriber is fine: live views are optional.
                let _ = self.inner.events.send(NodeEvent::Stored {
                    record: record.clone(),
                    head,
                });
            }
            IngestOutcome::Refused(error) => {
                tracing::warn!(reason = error.reason(), %error, ?origin, "record refused");
            }
            IngestOutcome::Deferred { id, reason } => {
                tracing::info!(record_id = %id, %reason, ?origin, "record deferred");
            }
            IngestOutcome::NotNew { .. } => {}
        }
    }

    /// Signs a draft as the next version of its logical record, stores it durably and gossips it.
    pub async fn publish_draft(&self, draft: Draft) -> Result<Published, PublishFailure> {
        let _turn = self.inner.publishing.lock().await;
        let key = LogicalKey {
            author: self.public_key(),
            kind: draft.kind().clone(),
            slug: draft.slug().to_owned(),
        };
        let head = self.store().head(&key)?;
        let next = head.map_or(1, |h| h.version + 1);
        if draft.content().get("retracted") == Some(&serde_json::Value::Bool(true))
            && head.is_none()
        {
            return Err(PublishFailure::NothingToRetract(key));
        }
        let unsigned = draft.into_unsigned(self.public_key(), next, now_millis())?;
        let record = Record::sign(unsigned, &self.inner.secret)
            .map_err(|e| PublishFailure::Refused(IngestError::Record(e)))?;
        self.store_and_gossip(record).await
    }

    /// Publishes the retraction of one of this region's records.
    pub async fn retract(&self, kind: Kind, slug: &str) -> Result<Published, PublishFailure> {
        self.publish_draft(Draft::retraction(kind, slug)).await
    }

    /// Accepts a record signed elsewhere (the CLI signs locally, membership updates carry several
    /// signatures): verify, then the same path as any other record.
    pub async fn publish_signed(
        &self,
        record: Record<Unverified>,
    ) -> Result<Published, PublishFailure> {
        let record = record
            .verify(now_millis())
            .map_err(|e| PublishFailure::Refused(IngestError::Record(e)))?;
        let _turn = self.inner.publishing.lock().await;
        if let Some(head) = self.store().head(&record.logical_key())?
            && head.version > record.header().version
        {
            return Err(PublishFailure::Stale {
                given: record.header().version,
                head: head.version,
            });
        }
        self.store_and_gossip(record).await
    }

    async fn store_and_gossip(
        &self,
        record: Record<Verified>,
    ) -> Result<Published, PublishFailure> {
        let node = self.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            node.inner.ingest.ingest_verified(record, Origin::Local)
        })
        .await
        .map_err(|_| PublishFailure::ShuttingDown)?;
        self.after_ingest(&outcome, Origin::Local);
        let (record, authority) = match outcome {
            IngestOutcome::Stored {
                record, authority, ..
            } => (record, authority),
            IngestOutcome::NotNew { id } => return Err(PublishFailure::AlreadyStored(id)),
            IngestOutcome::Deferred { reason, .. } => {
                return Err(PublishFailure::Refused(reason.into()));
            }
            IngestOutcome::Refused(IngestError::Store(e)) => return Err(PublishFailure::Store(e)),
            IngestOutcome::Refused(e) => return Err(PublishFailure::Refused(e)),
        };
        let gossip = match self
            .inner
            .network
            .publish(*record.id().as_bytes(), record.to_wire())
            .await
        {
            Ok(outcome) => Some(outcome),
            Err(error) => {
                tracing::warn!(record_id = %record.id(), %error, "gossip failed; catch-up will deliver the record");
                None
            }
        };
        Ok(Published {
            record,
            authority,
            gossip,
        })
    }
}
