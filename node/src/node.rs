//! The node's application logic: publishing, receiving and reading records.
//!
//! [`RecordIntake`] is the receiving door: every record that arrives (by gossip, by catch-up, or
//! published here) goes through [`Ingest`], the one door into the store, and is then counted in
//! the metrics and announced to live views. [`Node`] is the region's own voice on top of it: it
//! signs and publishes the region's records and gossips them. Both are cheap cloneable handles.
//!
//! Catch-up (`crate::catch_up`) uses the intake, not the node: it receives records but never
//! publishes them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use mosaico_protocol::draft::{Draft, DraftError};
use mosaico_protocol::trust::{Authority, Federation};
use mosaico_protocol::{Kind, LogicalKey, Record, RecordId, SecretKey, Unverified, Verified};
use tokio::sync::broadcast;

use crate::clock::now_millis;
use crate::ingest::{Ingest, IngestError, IngestOutcome, Origin};
use crate::metrics::NodeMetrics;
use crate::network::{NetworkHandle, PublishOutcome};
use crate::store::{RecordStore, StoreError};

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

/// Why publishing one of this region's records failed. (The HTTP layer's `PublishError` is
/// what a client sees; `crate::backend` maps this onto it.)
#[derive(Debug, thiserror::Error)]
pub enum LocalPublishError {
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

/// What a successful publish of one of this region's records did. It is more than the HTTP
/// layer's `Published` summary, which `crate::backend` makes from it: it also keeps what only the
/// node knows, by what right the record was admitted and what gossip did with it.
#[derive(Debug, Clone)]
pub struct PublishReceipt {
    /// The stored record.
    pub record: Record<Verified>,
    /// By what right its author published it.
    pub authority: Authority,
    /// What gossip did with it (`None` if gossip failed; catch-up will deliver it).
    pub gossip: Option<PublishOutcome>,
}

/// The receiving door: runs records through ingest on a blocking thread, counts the outcome in
/// the metrics, logs it and announces stored records to live views. Gossip, catch-up and local
/// publishing all come in here, so what one path refuses no other path lets in.
#[derive(Debug)]
pub struct RecordIntake<S: RecordStore> {
    inner: Arc<IntakeInner<S>>,
}

impl<S: RecordStore> Clone for RecordIntake<S> {
    fn clone(&self) -> Self {
        RecordIntake {
            inner: Arc::clone(&self.inner),
        }
    }
}

#[derive(Debug)]
struct IntakeInner<S: RecordStore> {
    ingest: Ingest<S>,
    metrics: NodeMetrics,
    events: broadcast::Sender<NodeEvent>,
}

impl<S: RecordStore> RecordIntake<S> {
    /// The door in front of `ingest`, counting into `metrics`.
    pub fn new(ingest: Ingest<S>, metrics: NodeMetrics) -> Self {
        let (events, _) = broadcast::channel(1024);
        RecordIntake {
            inner: Arc::new(IntakeInner {
                ingest,
                metrics,
                events,
            }),
        }
    }

    /// The store behind the door, for reads.
    pub fn store(&self) -> &Arc<S> {
        self.inner.ingest.store()
    }
    /// The metrics the outcomes are counted in.
    pub fn metrics(&self) -> &NodeMetrics {
        &self.inner.metrics
    }
    /// A snapshot of the federation's trust state.
    pub fn federation(&self) -> Federation {
        self.inner.ingest.federation()
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
        let intake = self.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            intake
                .inner
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
        let intake = self.clone();
        let count = wires.len();
        let outcomes = tokio::task::spawn_blocking(move || {
            intake
                .inner
                .ingest
                .ingest_batch(&wires, origin, now_millis())
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

    /// Stores a record this node verified itself (a local publish), on a blocking thread.
    /// `Err` means the blocking task was lost, which only happens while the runtime shuts down.
    async fn receive_verified(
        &self,
        record: Record<Verified>,
    ) -> Result<IngestOutcome, ShuttingDown> {
        let intake = self.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            intake.inner.ingest.ingest_verified(record, Origin::Local)
        })
        .await
        .map_err(|_| ShuttingDown)?;
        self.after_ingest(&outcome, Origin::Local);
        Ok(outcome)
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
}

/// The blocking task running a write was lost: the runtime is shutting down.
#[derive(Debug)]
struct ShuttingDown;

/// The node: the region's identity and its publishing, over the receiving door and the network.
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
    intake: RecordIntake<S>,
    network: NetworkHandle,
    started: Instant,
    ready: AtomicBool,
    /// Local publishes are serialised so two concurrent edits cannot both take version n+1.
    publishing: tokio::sync::Mutex<()>,
}

impl<S: RecordStore> Node<S> {
    /// Assembles a node from its parts.
    pub fn new(
        name: String,
        secret: SecretKey,
        intake: RecordIntake<S>,
        network: NetworkHandle,
    ) -> Self {
        Node {
            inner: Arc::new(Inner {
                name,
                secret,
                intake,
                network,
                started: Instant::now(),
                ready: AtomicBool::new(false),
                publishing: tokio::sync::Mutex::new(()),
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
        self.inner.intake.store()
    }
    /// The network handle.
    pub fn network(&self) -> &NetworkHandle {
        &self.inner.network
    }
    /// The metrics.
    pub fn metrics(&self) -> &NodeMetrics {
        self.inner.intake.metrics()
    }
    /// A snapshot of the federation's trust state.
    pub fn federation(&self) -> Federation {
        self.inner.intake.federation()
    }
    /// How long the node has run.
    pub fn uptime(&self) -> std::time::Duration {
        self.inner.started.elapsed()
    }
    /// Whether the node serves traffic (store open, network up).
    pub fn is_ready(&self) -> bool {
        self.inner.ready.load(Ordering::Relaxed)
    }
    /// Marks the node ready or not.
    pub fn set_ready(&self, ready: bool) {
        self.inner.ready.store(ready, Ordering::Relaxed);
    }
    /// Live record events.
    pub fn subscribe(&self) -> broadcast::Receiver<NodeEvent> {
        self.inner.intake.subscribe()
    }

    /// Signs a draft as the next version of its logical record, stores it durably and gossips it.
    pub async fn publish_draft(&self, draft: Draft) -> Result<PublishReceipt, LocalPublishError> {
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
            return Err(LocalPublishError::NothingToRetract(key));
        }
        let unsigned = draft.into_unsigned(self.public_key(), next, now_millis())?;
        let record = Record::sign(unsigned, &self.inner.secret)
            .map_err(|e| LocalPublishError::Refused(IngestError::Record(e)))?;
        self.store_and_gossip(record).await
    }

    /// Publishes the retraction of one of this region's records.
    pub async fn retract(
        &self,
        kind: Kind,
        slug: &str,
    ) -> Result<PublishReceipt, LocalPublishError> {
        self.publish_draft(Draft::retraction(kind, slug)).await
    }

    /// Accepts a record signed elsewhere (the CLI signs locally, membership updates carry several
    /// signatures): verify, then the same path as any other record.
    pub async fn publish_signed(
        &self,
        record: Record<Unverified>,
    ) -> Result<PublishReceipt, LocalPublishError> {
        let record = record
            .verify(now_millis())
            .map_err(|e| LocalPublishError::Refused(IngestError::Record(e)))?;
        let _turn = self.inner.publishing.lock().await;
        if let Some(head) = self.store().head(&record.logical_key())?
            && head.version > record.header().version
        {
            return Err(LocalPublishError::Stale {
                given: record.header().version,
                head: head.version,
            });
        }
        self.store_and_gossip(record).await
    }

    async fn store_and_gossip(
        &self,
        record: Record<Verified>,
    ) -> Result<PublishReceipt, LocalPublishError> {
        let outcome = self
            .inner
            .intake
            .receive_verified(record)
            .await
            .map_err(|ShuttingDown| LocalPublishError::ShuttingDown)?;
        let (record, authority) = match outcome {
            IngestOutcome::Stored {
                record, authority, ..
            } => (record, authority),
            IngestOutcome::NotNew { id } => return Err(LocalPublishError::AlreadyStored(id)),
            IngestOutcome::Deferred { reason, .. } => {
                return Err(LocalPublishError::Refused(reason.into()));
            }
            IngestOutcome::Refused(IngestError::Store(e)) => {
                return Err(LocalPublishError::Store(e));
            }
            IngestOutcome::Refused(e) => return Err(LocalPublishError::Refused(e)),
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
        Ok(PublishReceipt {
            record,
            authority,
            gossip,
        })
    }
}
