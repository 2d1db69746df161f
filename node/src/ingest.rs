//! The one door by which a record enters the store.
//!
//! Gossip, catch-up and local publishing all hand records here, so a peer cannot slip in through
//! one door what another would refuse. What a record means (admit, not news, defer, refuse) is
//! decided by the protocol's admission rules ([`mosaico_protocol::admission`]), the same code the
//! simulator runs; this module keeps what is the node's own: the batching and the threads that
//! check a catch-up batch ahead, the durable store, and the lock around the federation's trust
//! state that the stored trust records move on.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard};

use mosaico_protocol::admission::{
    Admission, Admitter, Deferral, GossipVerdict, Holdings, Refusal, Verification,
};
use mosaico_protocol::head::HeadChange;
use mosaico_protocol::trust::{Authority, Federation, TrustError};
use mosaico_protocol::{Kind, LogicalKey, Millis, Record, RecordError, RecordId, Verified};

use crate::store::{Inserted, RecordStore, StoreError};

/// Which door a record came through. The admission rules own it (freshness differs between
/// doors); the node's metrics and logs name the door with it too.
pub use mosaico_protocol::admission::Origin;

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

impl From<Refusal> for IngestError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Record(e) => IngestError::Record(e),
            Refusal::Trust(e) => IngestError::Trust(e),
            Refusal::IdMismatch { claimed, actual } => IngestError::IdMismatch { claimed, actual },
        }
    }
}

/// A deferral refused after all: what a local publish reports when its record cannot apply.
impl From<Deferral> for IngestError {
    fn from(deferral: Deferral) -> Self {
        deferral.into_refusal().into()
    }
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

/// What happened to one record at the door.
#[derive(Debug)]
pub enum IngestOutcome {
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
    /// Valid, but cannot be applied yet: a membership update whose predecessor is missing, or a
    /// record created further ahead of this node's clock than the allowed skew.
    Deferred {
        /// The record's id.
        id: RecordId,
        /// Why.
        reason: Deferral,
    },
    /// Refused.
    Refused(IngestError),
}

impl IngestOutcome {
    /// The gossip verdict.
    pub fn gossip_verdict(&self) -> GossipVerdict {
        match self {
            IngestOutcome::Stored { .. } => GossipVerdict::Accept,
            IngestOutcome::NotNew { .. } | IngestOutcome::Deferred { .. } => GossipVerdict::Ignore,
            // A store failure is ours, not the sender's fault.
            IngestOutcome::Refused(IngestError::Store(_)) => GossipVerdict::Ignore,
            IngestOutcome::Refused(_) => GossipVerdict::Reject,
        }
    }

    /// A stable label for metrics: `stored`, `not_new`, `deferred`, or the refusal reason.
    pub fn label(&self) -> &'static str {
        match self {
            IngestOutcome::Stored { .. } => "stored",
            IngestOutcome::NotNew { .. } => "not_new",
            IngestOutcome::Deferred { .. } => "deferred",
            IngestOutcome::Refused(e) => e.reason(),
        }
    }
}

/// The store, as the admission rules ask it.
struct StoreHoldings<'a, S> {
    store: &'a S,
    /// Records of a batch admitted but not written yet: held, as far as the records after them
    /// are concerned.
    pending: &'a [(usize, Record<Verified>, Authority)],
}

impl<S: RecordStore> Holdings for StoreHoldings<'_, S> {
    type Error = StoreError;

    fn holds(&self, id: &RecordId) -> Result<bool, StoreError> {
        if self.pending.iter().any(|(_, record, _)| record.id() == *id) {
            return Ok(true);
        }
        self.store.contains(id)
    }

    fn head_version(&self, key: &LogicalKey) -> Result<Option<u64>, StoreError> {
        Ok(self.store.head(key)?.map(|head| head.version))
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
        let mut endorsements = Vec::new();
        for id in store.trust_record_ids()? {
            match store.record(&id)? {
                Some(record) if record.header().kind == Kind::Membership => updates.push(record),
                Some(record) => endorsements.push(record),
                None => {}
            }
        }
        updates.sort_by_key(|r| r.header().version);
        for update in &updates {
            // Updates that do not chain (a competing branch) are kept but not applied.
            let _ = federation.apply(update);
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
        self.read_federation().clone()
    }

    /// The trust state, for reading. A poisoned lock still holds a consistent state: it is only
    /// written by [`Federation::apply`], which changes it in one assignment per field after every
    /// check has passed.
    fn read_federation(&self) -> RwLockReadGuard<'_, Federation> {
        self.federation.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs a batch of records (a catch-up fetch) through every check, with the same outcome per
    /// record, in the same order, as [`Ingest::ingest_wire`] one by one, but faster: the batch is
    /// cut into chunks, signatures are checked on every core, and while one chunk is stored
    /// (one atomic write and one durable flush) the other cores check the next ones. Trust records
    /// (membership, endorsements) are stored one at a time, in order, since they change what the
    /// records after them are allowed to be.
    pub fn ingest_batch(
        &self,
        wires: &[Vec<u8>],
        origin: Origin,
        now: Millis,
    ) -> Vec<IngestOutcome> {
        let mut outcomes = Vec::with_capacity(wires.len());
        // The checking threads decode and verify only: no trust state, no store. A fetch brings
        // records this node was missing when it asked, so whether one is already held is left
        // to the store's write; sled would make every read wait while a batch commits.
        let check = |wire: &Vec<u8>| Verification::of_wire(wire, now);
        check_ahead(wires, CHUNK_RECORDS, check, |chunk| {
            outcomes.extend(self.admit_and_store(chunk, origin));
        });
        outcomes
    }

    /// Admits and stores checked records in their order, content records of a run together.
    fn admit_and_store(&self, checked: Vec<Verification>, origin: Origin) -> Vec<IngestOutcome> {
        let mut outcomes: Vec<Option<IngestOutcome>> = (0..checked.len()).map(|_| None).collect();
        let mut pending: Vec<(usize, Record<Verified>, Authority)> = Vec::new();
        for (index, verification) in checked.into_iter().enumerate() {
            let admission = {
                let federation = self.read_federation();
                let holdings = StoreHoldings {
                    store: &*self.store,
                    pending: &pending,
                };
                Admitter::new(&federation, &holdings, origin).admit_verification(verification)
            };
            match admission {
                Ok(Admission::Admit { record, authority }) if record.header().kind.is_content() => {
                    pending.push((index, record, authority));
                }
                Ok(Admission::Admit { record, authority }) => {
                    // A trust record changes what the records after it may be: everything before
                    // it is stored first, then it alone.
                    self.store_pending(&mut pending, &mut outcomes);
                    outcomes[index] = Some(self.store_admitted(record, authority));
                }
                admission => outcomes[index] = Some(self.carry_out(admission)),
            }
        }
        self.store_pending(&mut pending, &mut outcomes);
        outcomes
            .into_iter()
            .map(|o| {
                // Every index is filled above; a gap would be a bug, reported as a local failure
                // rather than blamed on the peer.
                o.unwrap_or_else(|| {
                    IngestOutcome::Refused(IngestError::Store(StoreError::Engine(
                        "record skipped".into(),
                    )))
                })
            })
            .collect()
    }

    fn store_pending(
        &self,
        pending: &mut Vec<(usize, Record<Verified>, Authority)>,
        outcomes: &mut [Option<IngestOutcome>],
    ) {
        if pending.is_empty() {
            return;
        }
        let records: Vec<Record<Verified>> = pending.iter().map(|(_, r, _)| r.clone()).collect();
        match self.store.insert_batch(&records) {
            Ok(inserted) => {
                for ((index, record, authority), inserted) in pending.drain(..).zip(inserted) {
                    outcomes[index] = Some(if inserted.new {
                        IngestOutcome::Stored {
                            record,
                            inserted,
                            authority,
                        }
                    } else {
                        IngestOutcome::NotNew { id: record.id() }
                    });
                }
            }
            Err(e) => {
                let message = e.to_string();
                for (index, ..) in pending.drain(..) {
                    outcomes[index] = Some(IngestOutcome::Refused(IngestError::Store(
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
    ) -> IngestOutcome {
        let admission = {
            let federation = self.read_federation();
            let holdings = StoreHoldings {
                store: &*self.store,
                pending: &[],
            };
            Admitter::new(&federation, &holdings, origin).admit_wire(bytes, claimed, now)
        };
        self.carry_out(admission)
    }

    /// Runs a verified record (signed here, or verified by the API) through trust, freshness and
    /// storage.
    pub fn ingest_verified(&self, record: Record<Verified>, origin: Origin) -> IngestOutcome {
        let admission = {
            let federation = self.read_federation();
            let holdings = StoreHoldings {
                store: &*self.store,
                pending: &[],
            };
            Admitter::new(&federation, &holdings, origin).admit_verified(record)
        };
        self.carry_out(admission)
    }

    /// Does what an admission says: store what is admitted, report the rest.
    fn carry_out(&self, admission: Result<Admission, StoreError>) -> IngestOutcome {
        match admission {
            Ok(Admission::Admit { record, authority }) => self.store_admitted(record, authority),
            Ok(Admission::NotNews { id }) => IngestOutcome::NotNew { id },
            Ok(Admission::Defer { id, reason }) => IngestOutcome::Deferred { id, reason },
            Ok(Admission::Refuse(refusal)) => IngestOutcome::Refused(refusal.into()),
            Err(e) => IngestOutcome::Refused(e.into()),
        }
    }

    /// Stores one admitted record and, if it is a trust record that did not land behind a newer
    /// version, applies it to the trust state.
    fn store_admitted(&self, record: Record<Verified>, authority: Authority) -> IngestOutcome {
        let inserted = match self.store.insert(&record) {
            Ok(inserted) => inserted,
            Err(e) => return IngestOutcome::Refused(e.into()),
        };
        if !inserted.new {
            return IngestOutcome::NotNew { id: record.id() };
        }
        if !record.header().kind.is_content() && inserted.change != HeadChange::Older {
            let mut federation = self.federation.write().unwrap_or_else(|e| e.into_inner());
            // Admission was checked under the read lock; a concurrent update may have moved the
            // federation on since, in which case this one simply no longer applies.
            let _ = federation.apply(&record);
        }
        IngestOutcome::Stored {
            record,
            inserted,
            authority,
        }
    }
}

/// Records per chunk of a batch: one atomic write and one durable flush each. Small enough that
/// storing a chunk overlaps with checking the next (a catch-up batch holds up to 1,024), large
/// enough that flushes stay a small part of the cost (docs/benchmarks.md, "Ingest").
const CHUNK_RECORDS: usize = 128;

/// Runs `check` over every item, cut into chunks of `chunk` items, and hands each chunk's results
/// to `consume` in order, on the calling thread. Other threads, one per further core, check
/// chunks ahead while `consume` runs; the calling thread checks too whenever the next chunk is
/// not ready yet, so no core waits while work is left.
fn check_ahead<I: Sync, T: Send>(
    items: &[I],
    chunk: usize,
    check: impl Fn(&I) -> T + Sync,
    mut consume: impl FnMut(Vec<T>),
) {
    let chunks: Vec<&[I]> = items.chunks(chunk.max(1)).collect();
    let helpers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .saturating_sub(1)
        .min(7)
        .min(chunks.len().saturating_sub(1));
    if helpers == 0 {
        for part in chunks {
            consume(part.iter().map(&check).collect());
        }
        return;
    }
    let pipeline = Pipeline {
        next: AtomicUsize::new(0),
        done: Mutex::new((0..chunks.len()).map(|_| None).collect()),
        ready: Condvar::new(),
    };
    // Checks the next unclaimed chunk; false when none is left.
    let work = || -> bool {
        let index = pipeline.next.fetch_add(1, Ordering::Relaxed);
        let Some(part) = chunks.get(index) else {
            return false;
        };
        // A panic in decode or verify is a bug; it is carried to the calling thread, which would
        // otherwise wait for this chunk forever.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            part.iter().map(&check).collect::<Vec<T>>()
        }));
        pipeline.lock()[index] = Some(result);
        pipeline.ready.notify_all();
        true
    };
    std::thread::scope(|scope| {
        for _ in 0..helpers {
            scope.spawn(|| while work() {});
        }
        for index in 0..chunks.len() {
            let result = loop {
                let mut done = pipeline.lock();
                if let Some(result) = done[index].take() {
                    break result;
                }
                if pipeline.next.load(Ordering::Relaxed) < chunks.len() {
                    drop(done);
                    work();
                } else {
                    // Every chunk is claimed; the one needed is being checked by a helper.
                    drop(
                        pipeline
                            .ready
                            .wait_while(done, |done| done[index].is_none())
                            .unwrap_or_else(|e| e.into_inner()),
                    );
                }
            };
            match result {
                Ok(checked) => consume(checked),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
}

/// The shared state of [`check_ahead`]: the next chunk to claim and the results not yet consumed.
struct Pipeline<T> {
    next: AtomicUsize,
    done: Mutex<Vec<Option<std::thread::Result<Vec<T>>>>>,
    ready: Condvar,
}

impl<T> Pipeline<T> {
    fn lock(&self) -> MutexGuard<'_, Vec<Option<std::thread::Result<Vec<T>>>>> {
        self.done.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use mosaico_protocol::SecretKey;
    use mosaico_protocol::draft::Draft;
    use mosaico_protocol::fields::Member;
    use serde_json::json;

    use super::*;
    use crate::store::MemoryStore;

    const NOW: Millis = 1_800_000_000_000;

    fn member() -> SecretKey {
        SecretKey::from_bytes([7; 32])
    }

    fn pipeline() -> Ingest<MemoryStore> {
        let genesis = crate::federation_file::genesis(
            "test",
            vec![Member {
                name: "Emilia-Romagna".into(),
                key: member().public_key(),
                country: Some("IT".into()),
                nuts: None,
            }],
            1,
            NOW - 1_000_000,
            Some(&member()),
        )
        .expect("genesis");
        let store = Arc::new(MemoryStore::new());
        store.insert(&genesis).expect("genesis stored");
        Ingest::new(store, &genesis).expect("pipeline")
    }

    fn case_study(secret: &SecretKey, n: usize) -> Vec<u8> {
        let unsigned = Draft::from_value(json!({
            "kind": "case_study", "slug": format!("case-{n}"),
            "title": {"en": format!("Case {n}")}, "summary": {"en": "A summary"},
            "organisation": "Regione Emilia-Romagna", "country": "IT"
        }))
        .expect("draft")
        .into_unsigned(secret.public_key(), 1, NOW - 500_000 + n as u64)
        .expect("unsigned");
        Record::sign(unsigned, secret).expect("signed").to_wire()
    }

    /// A batch of several chunks mixing every outcome: each record gets the outcome it would get
    /// alone, in its place, whatever chunk it falls in.
    #[test]
    fn a_batch_gives_each_record_the_outcome_it_would_get_alone_in_order() {
        let stranger = SecretKey::from_bytes([9; 32]);
        let mut wires = Vec::new();
        let mut expected = Vec::new();
        for n in 0..CHUNK_RECORDS * 3 + 5 {
            match n % 7 {
                3 => {
                    let mut forged = case_study(&member(), n);
                    let at = forged.len() / 2;
                    forged[at] ^= 0x01;
                    wires.push(forged);
                    expected.push("refused");
                }
                5 => {
                    wires.push(case_study(&stranger, n));
                    expected.push("not_authorised");
                }
                6 => {
                    // The record of two places before, again: stored once, then not new.
                    wires.push(wires[n - 2].clone());
                    expected.push("not_new");
                }
                _ => {
                    wires.push(case_study(&member(), n));
                    expected.push("stored");
                }
            }
        }
        let batch = pipeline();
        let outcomes = batch.ingest_batch(&wires, Origin::Sync, NOW);
        let labels: Vec<&str> = outcomes
            .iter()
            .map(|o| match o.label() {
                "invalid_field" | "bad_signature" | "malformed_json" => "refused",
                other => other,
            })
            .collect();
        assert_eq!(labels, expected);

        let alone = pipeline();
        for (wire, outcome) in wires.iter().zip(&outcomes) {
            let single = alone.ingest_wire(wire, None, Origin::Sync, NOW);
            assert_eq!(single.label(), outcome.label());
        }
        assert_eq!(
            batch.store().reconciliation_items().expect("items"),
            alone.store().reconciliation_items().expect("items"),
            "both paths leave the same records"
        );
    }

    /// Rounds with two peers hand over batches at the same time, and the batches may overlap:
    /// every record is stored exactly once, and the other copy is reported as not new.
    #[test]
    fn batches_from_two_rounds_at_once_store_each_record_once() {
        let wires: Vec<Vec<u8>> = (0..CHUNK_RECORDS * 2)
            .map(|n| case_study(&member(), n))
            .collect();
        let half = wires.len() / 2;
        // The two batches share a quarter of their records.
        let first = &wires[..half + half / 2];
        let second = &wires[half - half / 2..];
        let ingest = pipeline();
        let (a, b) = std::thread::scope(|scope| {
            let a = scope.spawn(|| ingest.ingest_batch(first, Origin::Sync, NOW));
            let b = scope.spawn(|| ingest.ingest_batch(second, Origin::Sync, NOW));
            (
                a.join().expect("first batch"),
                b.join().expect("second batch"),
            )
        });
        let count = |label: &str| a.iter().chain(&b).filter(|o| o.label() == label).count();
        assert_eq!(count("stored"), wires.len());
        assert_eq!(count("not_new"), first.len() + second.len() - wires.len());
        assert_eq!(
            ingest.store().len().expect("len"),
            wires.len() as u64 + 1,
            "every record and the genesis"
        );
    }

    /// A record created beyond the allowed skew ahead of this node's clock is deferred (never an
    /// offence) by gossip and by a batch alike, leaves the store unchanged, and is stored once the
    /// clock has caught up.
    #[test]
    fn a_record_from_beyond_the_skew_is_deferred_by_every_door_then_stored_in_time() {
        let ahead = mosaico_protocol::Limits::MAX_CLOCK_SKEW_MS + 1;
        let unsigned = Draft::from_value(json!({
            "kind": "case_study", "slug": "from-the-future",
            "title": {"en": "Early"}, "summary": {"en": "A summary"},
            "organisation": "Regione Emilia-Romagna", "country": "IT"
        }))
        .expect("draft")
        .into_unsigned(member().public_key(), 1, NOW + ahead)
        .expect("unsigned");
        let wire = Record::sign(unsigned, &member()).expect("signed").to_wire();
        let ingest = pipeline();
        let before = ingest.store().len().expect("len");

        let gossip = ingest.ingest_wire(&wire, None, Origin::Gossip, NOW);
        assert_eq!(gossip.label(), "deferred");
        assert_eq!(gossip.gossip_verdict(), GossipVerdict::Ignore);
        let batch = ingest.ingest_batch(std::slice::from_ref(&wire), Origin::Sync, NOW);
        assert!(
            matches!(
                batch.as_slice(),
                [IngestOutcome::Deferred {
                    reason: Deferral::FromTheFuture { .. },
                    ..
                }]
            ),
            "{batch:?}"
        );
        assert_eq!(ingest.store().len().expect("len"), before, "nothing stored");

        let later = ingest.ingest_batch(&[wire], Origin::Sync, NOW + 1);
        assert_eq!(
            later.iter().map(IngestOutcome::label).collect::<Vec<_>>(),
            ["stored"]
        );
    }

    #[test]
    fn checking_ahead_hands_every_chunk_over_once_in_order() {
        let items: Vec<usize> = (0..1000).collect();
        for chunk in [1, 7, 128, 1000, 5000] {
            let mut seen = Vec::new();
            check_ahead(
                &items,
                chunk,
                |n| n * 2,
                |part| {
                    assert!(part.len() <= chunk);
                    seen.extend(part);
                },
            );
            let expected: Vec<usize> = items.iter().map(|n| n * 2).collect();
            assert_eq!(seen, expected, "chunks of {chunk}");
        }
    }

    #[test]
    fn a_panic_while_checking_ahead_reaches_the_caller() {
        let items: Vec<usize> = (0..64).collect();
        let caught = std::panic::catch_unwind(|| {
            check_ahead(&items, 4, |n| assert!(*n != 45, "a bug in a check"), |_| {});
        });
        assert!(caught.is_err(), "the panic is not swallowed");
    }
}
