//! The one path by which a record enters the store.
//!
//! Gossip, catch-up and local publishing all hand records here, so a peer cannot slip in through
//! one door what another would refuse. The checks run in the order the design fixes: decode and
//! size, signature and time, membership or endorsement, freshness, durable store. Each step's
//! failure maps to a gossip verdict: malformed or forged input is `Reject` (the sender is
//! penalised), input that is merely not new is `Ignore`.

use std::sync::{Arc, RwLock};

use mosaico_protocol::head::HeadChange;
use mosaico_protocol::trust::{Authority, Federation, TrustError};
use mosaico_protocol::{Kind, Millis, Record, RecordError, RecordId, Unverified, Verified};

use crate::store::{Inserted, RecordStore, StoreError};

/// Which door a record came through; freshness differs between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Live gossip: only news is stored and forwarded.
    Gossip,
    /// Catch-up: older versions are kept as history too, so that every node ends with the same
    /// set of records (otherwise reconciliation would find the same difference forever).
    Sync,
    /// Published by this node.
    Local,
}

/// The gossip verdict for an outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Valid and new: store done, forward it.
    Accept,
    /// Valid but not news, or not yet applicable: do not forward, do not penalise.
    Ignore,
    /// Invalid: do not forward, penalise the sender.
    Reject,
}

/// Why a record was refused.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Malformed, too large, forged or from the future.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// Its key may not publish it.
    #[error(transparent)]
    Trust(#[from] TrustError),
    /// The gossip frame's id does not match the record inside.
    #[error("the message claims record id {claimed} but carries record {actual}")]
    IdMismatch {
        /// The id in the frame.
        claimed: RecordId,
        /// The id of the record in the frame.
        actual: RecordId,
    },
    /// The store failed; the record was not stored.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IngestError {
    /// A short stable reason, for metrics labels and logs.
    pub fn reason(&self) -> &'static str {
        match self {
            IngestError::Record(e) => e.code(),
            // Metric labels: the two membership failures by name, every other trust refusal
            // (the log line says which, in words) as one label operators alert on.
            IngestError::Trust(
                e @ (TrustError::BelowThreshold { .. } | TrustError::MembershipOutOfOrder { .. }),
            ) => e.code(),
            IngestError::Trust(_) => "not_authorised",
            IngestError::IdMismatch { .. } => "id_mismatch",
            IngestError::Store(_) => "store_failed",
        }
    }
}

/// What happened to one record.
#[derive(Debug)]
pub enum Outcome {
    /// Stored durably.
    Stored {
        /// The record.
        record: Record<Verified>,
        /// What it did to the head.
        inserted: Inserted,
        /// By what right its author published it.
        authority: Authority,
    },
    /// Already held, or older than what is held (gossip only).
    NotNew {
        /// The record's id.
        id: RecordId,
    },
    /// Valid, but cannot be applied yet (a membership update whose predecessor is missing).
    Deferred {
        /// The record's id.
        id: RecordId,
        /// Why.
        reason: TrustError,
    },
    /// Refused.
    Refused(IngestError),
}

impl Outcome {
    /// The gossip verdict.
    pub fn verdict(&self) -> Verdict {
        match self {
            Outcome::Stored { .. } => Verdict::Accept,
            Outcome::NotNew { .. } | Outcome::Deferred { .. } => Verdict::Ignore,
            // A store failure is ours, not the sender's fault.
            Outcome::Refused(IngestError::Store(_)) => Verdict::Ignore,
            Outcome::Refused(_) => Verdict::Reject,
        }
    }

    /// A stable label for metrics: `stored`, `not_new`, `deferred`, or the refusal reason.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Stored { .. } => "stored",
            Outcome::NotNew { .. } => "not_new",
            Outcome::Deferred { .. } => "deferred",
            Outcome::Refused(e) => e.reason(),
        }
    }
}

/// The ingest pipeline: the store plus the federation's trust state derived from it.
#[derive(Debug)]
pub struct Ingest<S: RecordStore> {
    store: Arc<S>,
    federation: RwLock<Federation>,
}

impl<S: RecordStore> Ingest<S> {
    /// Builds the pipeline and replays the trust records already in the store (membership
    /// updates in version order, then endorsements), so the trust state matches the store.
    pub fn new(store: Arc<S>, genesis: &Record<Verified>) -> Result<Self, IngestError> {
        let mut federation = Federation::from_genesis(genesis)?;
        let mut updates = Vec::new();
        for id in store.ids_by_kind(&Kind::Membership)? {
            if let Some(record) = store.record(&id)? {
                updates.push(record);
            }
        }
        updates.sort_by_key(|r| r.header().version);
        for update in &updates {
            // Updates that do not chain (a competing branch) are kept but not applied.
            let _ = federation.apply(update);
        }
        let mut endorsements = Vec::new();
        for id in store.ids_by_kind(&Kind::Endorsement)? {
            if let Some(record) = store.record(&id)? {
                endorsements.push(record);
            }
        }
        endorsements.sort_by_key(|r| r.header().version);
        for endorsement in &endorsements {
            let _ = federation.apply(endorsement);
        }
        Ok(Ingest {
            store,
            federation: RwLock::new(federation),
        })
    }

    /// The store.
    pub fn store(&self) -> &Arc<S> {
        &self.store
    }

    /// A snapshot of the federation's trust state.
    pub fn federation(&self) -> Federation {
        self.federation
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Runs a batch of records (a catch-up fetch) through every check, with the same outcome per
    /// record as [`Ingest::ingest_wire`] one by one, but faster: signatures are checked on all
    /// cores, and content records are stored with one durable flush per batch instead of one per
    /// record. Trust records (membership, endorsements) are stored one at a time, in order, since
    /// they change what the records after them are allowed to be.
    pub fn ingest_batch(&self, wires: &[Vec<u8>], origin: Origin, now: Millis) -> Vec<Outcome> {
        let verified = verify_in_parallel(wires, now, |id| self.store.contains(id));
        let mut outcomes: Vec<Option<Outcome>> = (0..wires.len()).map(|_| None).collect();
        let mut pending: Vec<(usize, Record<Verified>, Authority)> = Vec::new();
        for (index, checked) in verified.into_iter().enumerate() {
            let record = match checked {
                Ok(record) => record,
                Err(outcome) => {
                    outcomes[index] = Some(*outcome);
                    continue;
                }
            };
            if matches!(record.header().kind, Kind::Membership | Kind::Endorsement) {
                self.flush_pending(&mut pending, &mut outcomes);
                outcomes[index] = Some(self.ingest_verified(record, origin));
                continue;
            }
            let admitted = {
                let federation = self.federation.read().unwrap_or_else(|e| e.into_inner());
                federation.admit(&record)
            };
            match admitted {
                Ok(authority) => pending.push((index, record, authority)),
                Err(e) if !e.is_offence() => {
                    outcomes[index] = Some(Outcome::Deferred {
                        id: record.id(),
                        reason: e,
                    });
                }
                Err(e) => outcomes[index] = Some(Outcome::Refused(e.into())),
            }
        }
        self.flush_pending(&mut pending, &mut outcomes);
        outcomes
            .into_iter()
            .map(|o| {
                o.unwrap_or_else(|| {
                    Outcome::Refused(IngestError::Store(StoreError::Engine(
                        "record skipped".into(),
                    )))
                })
            })
            .collect()
    }

    fn flush_pending(
        &self,
        pending: &mut Vec<(usize, Record<Verified>, Authority)>,
        outcomes: &mut [Option<Outcome>],
    ) {
        if pending.is_empty() {
            return;
        }
        let records: Vec<Record<Verified>> = pending.iter().map(|(_, r, _)| r.clone()).collect();
        match self.store.insert_batch(&records) {
            Ok(inserted) => {
                for ((index, record, authority), inserted) in pending.drain(..).zip(inserted) {
                    outcomes[index] = Some(if inserted.new {
                        Outcome::Stored {
                            record,
                            inserted,
                            authority,
                        }
                    } else {
                        Outcome::NotNew { id: record.id() }
                    });
                }
            }
            Err(e) => {
                let message = e.to_string();
                for (index, ..) in pending.drain(..) {
                    outcomes[index] = Some(Outcome::Refused(IngestError::Store(
                        StoreError::Engine(message.clone()),
                    )));
                }
            }
        }
    }

    /// Runs wire bytes through every check. `claimed` is the id a gossip frame announced.
    pub fn ingest_wire(
        &self,
        bytes: &[u8],
        claimed: Option<RecordId>,
        origin: Origin,
        now: Millis,
    ) -> Outcome {
        let record = match Record::<Unverified>::decode(bytes) {
            Ok(record) => record,
            Err(e) => return Outcome::Refused(e.into()),
        };
        if let Some(claimed) = claimed
            && claimed != record.id()
        {
            return Outcome::Refused(IngestError::IdMismatch {
                claimed,
                actual: record.id(),
            });
        }
        // A record we already hold needs no signature check: skip the expensive step.
        match self.store.contains(&record.id()) {
            Ok(true) => return Outcome::NotNew { id: record.id() },
            Ok(false) => {}
            Err(e) => return Outcome::Refused(e.into()),
        }
        match record.verify(now) {
            Ok(record) => self.ingest_verified(record, origin),
            Err(e) => Outcome::Refused(e.into()),
        }
    }

    /// Runs a verified record through trust, freshness and storage.
    pub fn ingest_verified(&self, record: Record<Verified>, origin: Origin) -> Outcome {
        let id = record.id();
        let authority = {
            let federation = self.federation.read().unwrap_or_else(|e| e.into_inner());
            match federation.admit(&record) {
                Ok(authority) => authority,
                Err(e) if !e.is_offence() => return Outcome::Deferred { id, reason: e },
                Err(e) => return Outcome::Refused(e.into()),
            }
        };
        if origin == Origin::Gossip {
            match self.store.head(&record.logical_key()) {
                Ok(Some(head)) if head.version > record.header().version => {
                    return Outcome::NotNew { id };
                }
                Ok(_) => {}
                Err(e) => return Outcome::Refused(e.into()),
            }
        }
        let inserted = match self.store.insert(&record) {
            Ok(inserted) => inserted,
            Err(e) => return Outcome::Refused(e.into()),
        };
        if !inserted.new {
            return Outcome::NotNew { id };
        }
        if matches!(record.header().kind, Kind::Membership | Kind::Endorsement)
            && inserted.change != HeadChange::Older
        {
            let mut federation = self.federation.write().unwrap_or_else(|e| e.into_inner());
            // Admission was checked above under the read lock; a concurrent update may have
            // moved the federation on, in which case this one simply no longer applies.
            let _ = federation.apply(&record);
        }
        Outcome::Stored {
            record,
            inserted,
            authority,
        }
    }
}

/// Decodes and verifies every record, splitting the work across the machine's cores. A record
/// already held (`known`) skips the signature check.
fn verify_in_parallel(
    wires: &[Vec<u8>],
    now: Millis,
    known: impl Fn(&RecordId) -> Result<bool, StoreError> + Sync,
) -> Vec<Result<Record<Verified>, Box<Outcome>>> {
    let check = |wire: &Vec<u8>| -> Result<Record<Verified>, Box<Outcome>> {
        let record =
            Record::<Unverified>::decode(wire).map_err(|e| Box::new(Outcome::Refused(e.into())))?;
        match known(&record.id()) {
            Ok(true) => return Err(Box::new(Outcome::NotNew { id: record.id() })),
            Ok(false) => {}
            Err(e) => return Err(Box::new(Outcome::Refused(e.into()))),
        }
        record
            .verify(now)
            .map_err(|e| Box::new(Outcome::Refused(e.into())))
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads < 2 || wires.len() < 16 {
        return wires.iter().map(check).collect();
    }
    let chunk = wires.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = wires
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(check).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                // A panic in a verification thread is a bug in decode or verify; surface it.
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}
