//! Admission: what a record received from outside means for the node that receives it.
//!
//! Every record that reaches a node by gossip or catch-up, or signed elsewhere and handed to its
//! API, goes through these rules; so does every record the simulator delivers. Holding them once,
//! here, is what keeps the node and the simulator from drifting apart while both stay green: the
//! simulator runs the node's rules, not a copy of them.
//!
//! The rules are pure. The time is passed in, the trust state is a [`Federation`] value, and the
//! two facts about the receiver's store they need (is this record held? which version heads its
//! logical record?) are asked through [`Holdings`], which the node's store and the simulator's
//! maps both answer. The caller carries out the answer: it stores what is admitted, applies trust
//! records to its federation and tells gossip the [`GossipVerdict`].
//!
//! The order is the protocol's (docs/protocol.md, section 15), cheap checks first so that junk
//! costs little:
//!
//! 1. decode, including the size limits (any failure is the sender's offence);
//! 2. the id a gossip frame announced must be the record's;
//! 3. a record already held is not news, whatever else is true of it;
//! 4. the author must be known (a member, or an endorsed partner for content), before any
//!    signature is checked;
//! 5. signatures and time; a record created further ahead of the receiver's clock than the
//!    allowed skew is deferred, not refused, because the fault may be the receiver's clock;
//! 6. the trust rules in full (membership or endorsement scope); a membership update whose
//!    predecessor is missing is deferred;
//! 7. for gossip only, freshness: a version older than the head is not news (catch-up keeps it,
//!    for history).

use crate::fields::Millis;
use crate::keys::RecordId;
use crate::record::{LogicalKey, Record, RecordError, Unverified, Verified};
use crate::trust::{Authority, Federation, TrustError};

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

/// What gossip should do with a message, given what its record meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GossipVerdict {
    /// Valid and new: stored, forward it.
    Accept,
    /// Valid but not news, or not yet applicable: do not forward, do not penalise.
    Ignore,
    /// Invalid: do not forward, penalise the sender.
    Reject,
}

/// Why a record was refused. Every refusal is the sender's offence: a conforming peer checks
/// the same rules before it forwards a record, so it would never have sent this one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Malformed, too large or forged.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// Its author may not publish it.
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
}

/// Why a valid record cannot be applied yet. None of these is the sender's fault, so the record
/// is dropped without penalty; catch-up brings it again later, when it may apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Deferral {
    /// A trust error that is not an offence: a membership update whose predecessor this node
    /// does not hold yet.
    #[error(transparent)]
    AwaitingTrust(TrustError),
    /// Created further ahead of this node's clock than the allowed skew. The sender's clock may be
    /// wrong, but so may ours; the record is admitted once our clock has caught up.
    #[error(
        "created_at is {ahead_ms} ms ahead of this node's clock, more than the {limit_ms} ms tolerated; it will be admitted once the clock has caught up"
    )]
    FromTheFuture {
        /// How far ahead of this node's clock.
        ahead_ms: u64,
        /// The tolerance.
        limit_ms: u64,
    },
}

impl Deferral {
    /// The error a caller reports when a deferral must be a refusal after all: a record this
    /// node publishes itself cannot wait for a gap to be filled.
    pub fn into_refusal(self) -> Refusal {
        match self {
            Deferral::AwaitingTrust(e) => Refusal::Trust(e),
            Deferral::FromTheFuture { ahead_ms, limit_ms } => {
                Refusal::Record(RecordError::FromTheFuture { ahead_ms, limit_ms })
            }
        }
    }
}

/// What a received record means.
#[derive(Debug, Clone)]
pub enum Admission {
    /// Valid and allowed: store it. Whether it was new is the store's write to say (a record
    /// checked ahead in a batch was not looked up first).
    Admit {
        /// The record.
        record: Record<Verified>,
        /// By what right its author published it.
        authority: Authority,
    },
    /// Already held, or (gossip only) older than the version that heads its logical record.
    NotNews {
        /// The record's id.
        id: RecordId,
    },
    /// Valid, but not applicable yet; not the sender's fault.
    Defer {
        /// The record's id.
        id: RecordId,
        /// Why.
        reason: Deferral,
    },
    /// Refused: the sender's offence.
    Refuse(Refusal),
}

impl Admission {
    /// What gossip should do with the message that carried the record.
    pub fn gossip_verdict(&self) -> GossipVerdict {
        match self {
            Admission::Admit { .. } => GossipVerdict::Accept,
            Admission::NotNews { .. } | Admission::Defer { .. } => GossipVerdict::Ignore,
            Admission::Refuse(_) => GossipVerdict::Reject,
        }
    }
}

/// The facts about the receiver's store that admission needs. The node answers from its record
/// store, the simulator from its maps; `Error` is what asking can cost (a store failure, which is
/// never the sender's fault and so is never turned into a refusal here).
pub trait Holdings {
    /// Why a question could not be answered.
    type Error;
    /// Whether the record with this id is held.
    fn holds(&self, id: &RecordId) -> Result<bool, Self::Error>;
    /// The version of the record that heads this logical record, if any version is held.
    fn head_version(&self, key: &LogicalKey) -> Result<Option<u64>, Self::Error>;
}

/// A record decoded and verified ahead, with no trust state and no store, so that a batch can be
/// checked on every core before [`Admitter::admit_verification`] decides, in order, what each
/// record means.
#[derive(Debug, Clone)]
pub struct Verification {
    decoded: Result<Ahead, RecordError>,
}

#[derive(Debug, Clone)]
struct Ahead {
    record: Record<Unverified>,
    verified: Result<Record<Verified>, RecordError>,
}

impl Verification {
    /// Decodes `wire` and checks its signatures and time against `now`. This is the expensive,
    /// stateless part of admission; it decides nothing yet.
    pub fn of_wire(wire: &[u8], now: Millis) -> Self {
        let decoded = Record::<Unverified>::decode(wire).map(|record| Ahead {
            // A record shares its decoded form; the clone is a reference count.
            verified: record.clone().verify(now),
            record,
        });
        Verification { decoded }
    }
}

/// The admission rules against one trust state and one store, for records through one door.
#[derive(Debug)]
pub struct Admitter<'a, H> {
    federation: &'a Federation,
    holdings: &'a H,
    origin: Origin,
}

impl<'a, H: Holdings> Admitter<'a, H> {
    /// Admission against `federation` and `holdings` for records that came through `origin`.
    pub fn new(federation: &'a Federation, holdings: &'a H, origin: Origin) -> Self {
        Admitter {
            federation,
            holdings,
            origin,
        }
    }

    /// Runs wire bytes through every rule, in the protocol's order. `claimed` is the id a gossip
    /// frame announced; `now` is the receiver's clock.
    pub fn admit_wire(
        &self,
        wire: &[u8],
        claimed: Option<RecordId>,
        now: Millis,
    ) -> Result<Admission, H::Error> {
        let record = match Record::<Unverified>::decode(wire) {
            Ok(record) => record,
            Err(e) => return Ok(Admission::Refuse(e.into())),
        };
        if let Some(claimed) = claimed
            && claimed != record.id()
        {
            return Ok(Admission::Refuse(Refusal::IdMismatch {
                claimed,
                actual: record.id(),
            }));
        }
        // Held first: a duplicate then costs one lookup and no signature check.
        if self.holdings.holds(&record.id())? {
            return Ok(Admission::NotNews { id: record.id() });
        }
        if let Err(e) = self.author_known(&record) {
            return Ok(Admission::Refuse(e));
        }
        let id = record.id();
        match record.verify(now) {
            Ok(record) => self.admit_verified(record),
            Err(e) => Ok(refused_or_deferred(id, e)),
        }
    }

    /// Decides what a record checked ahead means, with the same answer as
    /// [`Admitter::admit_wire`] would give for its bytes (with no frame id) now: verification
    /// ran without trust state, so whether the author is known is asked here, before its result
    /// is looked at. Whether the record is held is asked only when the answer would otherwise be
    /// a refusal or a deferral; an admitted record that is held is found by the store's write,
    /// so a batch of new records costs no lookups.
    pub fn admit_verification(&self, verification: Verification) -> Result<Admission, H::Error> {
        let Ahead { record, verified } = match verification.decoded {
            Ok(ahead) => ahead,
            Err(e) => return Ok(Admission::Refuse(e.into())),
        };
        let id = record.id();
        let admission = match self.author_known(&record) {
            Err(e) => Admission::Refuse(e),
            Ok(()) => match verified {
                Ok(record) => self.admit_verified(record)?,
                Err(e) => refused_or_deferred(id, e),
            },
        };
        match admission {
            Admission::Refuse(_) | Admission::Defer { .. } if self.holdings.holds(&id)? => {
                Ok(Admission::NotNews { id })
            }
            admission => Ok(admission),
        }
    }

    /// The rules after verification: the trust rules in full, then freshness (gossip only). A
    /// record signed elsewhere and handed to this node's API starts here.
    pub fn admit_verified(&self, record: Record<Verified>) -> Result<Admission, H::Error> {
        let id = record.id();
        let authority = match self.federation.admit(&record) {
            Ok(authority) => authority,
            Err(e) if !e.is_offence() => {
                return Ok(Admission::Defer {
                    id,
                    reason: Deferral::AwaitingTrust(e),
                });
            }
            Err(e) => return Ok(Admission::Refuse(e.into())),
        };
        if self.origin == Origin::Gossip
            && self
                .holdings
                .head_version(&record.logical_key())?
                .is_some_and(|head| head > record.header().version)
        {
            return Ok(Admission::NotNews { id });
        }
        Ok(Admission::Admit { record, authority })
    }

    fn author_known(&self, record: &Record<Unverified>) -> Result<(), Refusal> {
        let header = record.header();
        self.federation
            .check_author_known(&header.author, &header.kind)
            .map_err(Refusal::Trust)
    }
}

/// A verification failure as admission sees it: only a creation time too far ahead is deferred.
/// [`Record::verify`] checks the time before the signatures (docs/protocol.md, section 6), so a
/// deferred record may also be forged; it is not stored, costs no signature check, and is
/// checked in full when it comes again.
fn refused_or_deferred(id: RecordId, error: RecordError) -> Admission {
    match error {
        RecordError::FromTheFuture { ahead_ms, limit_ms } => Admission::Defer {
            id,
            reason: Deferral::FromTheFuture { ahead_ms, limit_ms },
        },
        e => Admission::Refuse(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use serde_json::{Value, json};

    use super::*;
    use crate::canonical::canonical_bytes;
    use crate::keys::SecretKey;
    use crate::validate::Limits;

    const NOW: Millis = 1_795_425_600_000;
    const DAY: Millis = 86_400_000;

    fn emilia() -> SecretKey {
        SecretKey::from_bytes([1; 32])
    }
    fn catalonia() -> SecretKey {
        SecretKey::from_bytes([2; 32])
    }
    fn flanders() -> SecretKey {
        SecretKey::from_bytes([3; 32])
    }
    /// Not a member; endorsed by Emilia for case studies in some tests.
    fn kessler() -> SecretKey {
        SecretKey::from_bytes([9; 32])
    }

    /// What the fake store holds, and whether asking it fails.
    #[derive(Default)]
    struct Held {
        ids: BTreeSet<RecordId>,
        heads: BTreeMap<LogicalKey, u64>,
        broken: bool,
    }

    impl Holdings for Held {
        type Error = &'static str;
        fn holds(&self, id: &RecordId) -> Result<bool, Self::Error> {
            if self.broken {
                return Err("the disk is gone");
            }
            Ok(self.ids.contains(id))
        }
        fn head_version(&self, key: &LogicalKey) -> Result<Option<u64>, Self::Error> {
            if self.broken {
                return Err("the disk is gone");
            }
            Ok(self.heads.get(key).copied())
        }
    }

    fn genesis_value(version: u64, previous: Option<RecordId>) -> Value {
        let members: Vec<Value> = [("Emilia-Romagna", emilia()), ("Catalunya", catalonia())]
            .iter()
            .map(|(name, key)| json!({"name": name, "key": key.public_key()}))
            .collect();
        let mut value = json!({
            "format": 1, "kind": "membership", "author": emilia().public_key().to_hex(),
            "slug": "federation", "version": version, "created_at": NOW - 30 * DAY + version,
            "membership": {"name": "regions", "threshold": 2, "members": members}
        });
        if let Some(previous) = previous {
            value["membership"]["previous"] = json!(previous.to_hex());
        }
        value
    }

    fn federation() -> Federation {
        let genesis = Record::sign_with(genesis_value(1, None), &[]).expect("genesis");
        Federation::from_genesis(&genesis).expect("federation")
    }

    fn case_study(author: &SecretKey, slug: &str, version: u64, created_at: Millis) -> Value {
        json!({
            "format": 1, "kind": "case_study", "author": author.public_key().to_hex(),
            "slug": slug, "version": version, "created_at": created_at,
            "title": {"it": "Sportello digitale"}, "summary": {"it": "Un riassunto"},
            "organisation": "Regione", "country": "IT"
        })
    }

    /// The wire form of `value` signed by `signers`, with no check, so tests can build anything.
    fn wire(value: &Value, signers: &[&SecretKey]) -> Vec<u8> {
        let id = RecordId::of_canonical(&canonical_bytes(value));
        let signatures: Vec<Value> = signers
            .iter()
            .map(|s| json!({"key": s.public_key(), "signature": s.sign_id(&id)}))
            .collect();
        canonical_bytes(&json!({"record": value, "signatures": signatures}))
    }

    /// The wire form of `value` claiming `author`'s signature, made by `forger`.
    fn forged(value: &Value, author: &SecretKey, forger: &SecretKey) -> Vec<u8> {
        let id = RecordId::of_canonical(&canonical_bytes(value));
        canonical_bytes(&json!({
            "record": value,
            "signatures": [{"key": author.public_key(), "signature": forger.sign_id(&id)}]
        }))
    }

    fn id_of(wire: &[u8]) -> RecordId {
        Record::<Unverified>::decode(wire).expect("decodes").id()
    }

    fn gossip(federation: &Federation, held: &Held, wire: &[u8]) -> Admission {
        Admitter::new(federation, held, Origin::Gossip)
            .admit_wire(wire, None, NOW)
            .expect("the fake store answers")
    }

    #[test]
    fn a_member_s_new_record_is_admitted_as_the_member_s_and_accepted() {
        let bytes = wire(&case_study(&emilia(), "sportello", 1, NOW), &[&emilia()]);
        let admission = gossip(&federation(), &Held::default(), &bytes);
        match &admission {
            Admission::Admit { record, authority } => {
                assert_eq!(record.id(), id_of(&bytes));
                assert_eq!(
                    *authority,
                    Authority::Member {
                        name: "Emilia-Romagna".into()
                    }
                );
            }
            other => panic!("expected admission, got {other:?}"),
        }
        assert_eq!(admission.gossip_verdict(), GossipVerdict::Accept);
    }

    #[test]
    fn bytes_that_do_not_decode_are_refused_as_an_offence() {
        let admission = gossip(&federation(), &Held::default(), b"{\"record\": 1");
        assert!(
            matches!(admission, Admission::Refuse(Refusal::Record(ref e)) if e.code() == "malformed_json"),
            "{admission:?}"
        );
        assert_eq!(admission.gossip_verdict(), GossipVerdict::Reject);
    }

    #[test]
    fn a_record_over_the_wire_size_limit_is_refused_before_it_is_parsed() {
        let mut bytes = wire(&case_study(&emilia(), "sportello", 1, NOW), &[&emilia()]);
        bytes.resize(Limits::MAX_WIRE_BYTES + 1, b' ');
        let admission = gossip(&federation(), &Held::default(), &bytes);
        assert!(
            matches!(
                admission,
                Admission::Refuse(Refusal::Record(RecordError::WireTooLarge { .. }))
            ),
            "{admission:?}"
        );
    }

    #[test]
    fn a_frame_that_names_another_record_is_refused() {
        let bytes = wire(&case_study(&emilia(), "sportello", 1, NOW), &[&emilia()]);
        let claimed = RecordId([0xab; 32]);
        let admission = Admitter::new(&federation(), &Held::default(), Origin::Gossip)
            .admit_wire(&bytes, Some(claimed), NOW)
            .expect("answers");
        match admission {
            Admission::Refuse(Refusal::IdMismatch { claimed: c, actual }) => {
                assert_eq!(c, claimed);
                assert_eq!(actual, id_of(&bytes));
            }
            other => panic!("expected an id mismatch, got {other:?}"),
        }
    }

    #[test]
    fn a_held_record_is_not_news_even_with_a_broken_signature() {
        let value = case_study(&emilia(), "sportello", 1, NOW);
        // Same record (same id), signatures not its author's: held wins, no signature is checked.
        let bytes = forged(&value, &emilia(), &flanders());
        let held = Held {
            ids: [id_of(&bytes)].into(),
            ..Held::default()
        };
        let admission = gossip(&federation(), &held, &bytes);
        assert!(
            matches!(admission, Admission::NotNews { id } if id == id_of(&bytes)),
            "{admission:?}"
        );
        assert_eq!(admission.gossip_verdict(), GossipVerdict::Ignore);
    }

    #[test]
    fn a_stranger_is_refused_before_its_signature_is_checked() {
        // Flanders is no member; its forged signature would be `bad_signature` if it were checked.
        let bytes = forged(
            &case_study(&flanders(), "fiets", 1, NOW),
            &flanders(),
            &catalonia(),
        );
        let admission = gossip(&federation(), &Held::default(), &bytes);
        assert_eq!(
            admission_refusal(&admission),
            Some(&Refusal::Trust(TrustError::Unknown {
                key: flanders().public_key()
            }))
        );
        assert_eq!(admission.gossip_verdict(), GossipVerdict::Reject);
    }

    #[test]
    fn an_endorsement_by_a_non_member_is_refused_before_its_signature_is_checked() {
        let value = json!({
            "format": 1, "kind": "endorsement", "author": flanders().public_key().to_hex(),
            "slug": kessler().public_key().to_hex(), "version": 1, "created_at": NOW,
            "endorsement": {"partner": kessler().public_key(), "name": "Kessler",
                            "kinds": ["case_study"], "expires_at": NOW + DAY}
        });
        let bytes = forged(&value, &flanders(), &catalonia());
        let admission = gossip(&federation(), &Held::default(), &bytes);
        assert!(
            matches!(
                admission_refusal(&admission),
                Some(Refusal::Trust(TrustError::MembersOnly { .. }))
            ),
            "{admission:?}"
        );
    }

    #[test]
    fn a_member_s_forged_record_is_refused_for_its_signature() {
        let bytes = forged(
            &case_study(&emilia(), "sportello", 1, NOW),
            &emilia(),
            &catalonia(),
        );
        let admission = gossip(&federation(), &Held::default(), &bytes);
        assert!(
            matches!(
                admission_refusal(&admission),
                Some(Refusal::Record(RecordError::BadSignature { .. }))
            ),
            "{admission:?}"
        );
        assert_eq!(admission.gossip_verdict(), GossipVerdict::Reject);
    }

    #[test]
    fn a_record_from_beyond_the_allowed_skew_is_deferred_and_admitted_once_the_clock_catches_up() {
        let created_at = NOW + Limits::MAX_CLOCK_SKEW_MS + 1;
        let bytes = wire(
            &case_study(&catalonia(), "bus", 1, created_at),
            &[&catalonia()],
        );
        let federation = federation();
        let held = Held::default();
        let admission = gossip(&federation, &held, &bytes);
        assert!(
            matches!(
                admission,
                Admission::Defer {
                    reason: Deferral::FromTheFuture { ahead_ms, limit_ms },
                    ..
                } if ahead_ms == Limits::MAX_CLOCK_SKEW_MS + 1 && limit_ms == Limits::MAX_CLOCK_SKEW_MS
            ),
            "{admission:?}"
        );
        assert_eq!(
            admission.gossip_verdict(),
            GossipVerdict::Ignore,
            "not the sender's offence"
        );
        let later = Admitter::new(&federation, &held, Origin::Sync)
            .admit_wire(&bytes, None, NOW + 1)
            .expect("answers");
        assert!(matches!(later, Admission::Admit { .. }), "{later:?}");
    }

    #[test]
    fn a_record_exactly_at_the_allowed_skew_is_admitted() {
        let created_at = NOW + Limits::MAX_CLOCK_SKEW_MS;
        let bytes = wire(
            &case_study(&catalonia(), "bus", 1, created_at),
            &[&catalonia()],
        );
        let admission = gossip(&federation(), &Held::default(), &bytes);
        assert!(
            matches!(admission, Admission::Admit { .. }),
            "{admission:?}"
        );
    }

    #[test]
    fn a_membership_update_whose_predecessor_is_missing_is_deferred() {
        let federation = federation();
        // Version 3 names a version 2 this node never saw.
        let value = genesis_value(3, Some(RecordId([0x22; 32])));
        let bytes = wire(&value, &[&emilia(), &catalonia()]);
        let admission = gossip(&federation, &Held::default(), &bytes);
        assert!(
            matches!(
                admission,
                Admission::Defer {
                    reason: Deferral::AwaitingTrust(TrustError::MembershipOutOfOrder {
                        version: 3,
                        current: 1,
                        ..
                    }),
                    ..
                }
            ),
            "{admission:?}"
        );
        assert_eq!(admission.gossip_verdict(), GossipVerdict::Ignore);
    }

    #[test]
    fn a_membership_update_below_the_threshold_is_an_offence() {
        let federation = federation();
        let value = genesis_value(2, Some(federation.current_membership()));
        let bytes = wire(&value, &[&emilia()]);
        let admission = gossip(&federation, &Held::default(), &bytes);
        assert!(
            matches!(
                admission_refusal(&admission),
                Some(Refusal::Trust(TrustError::BelowThreshold { signed: 1, .. }))
            ),
            "{admission:?}"
        );
    }

    #[test]
    fn a_partner_is_known_but_refused_outside_its_endorsed_kinds() {
        let mut federation = federation();
        let endorsement = Record::sign_with(
            json!({
                "format": 1, "kind": "endorsement", "author": emilia().public_key().to_hex(),
                "slug": kessler().public_key().to_hex(), "version": 1, "created_at": NOW - DAY,
                "endorsement": {"partner": kessler().public_key(), "name": "Fondazione Bruno Kessler",
                                "kinds": ["best_practice"], "expires_at": NOW + DAY}
            }),
            &[&emilia()],
        )
        .expect("endorsement");
        assert_eq!(federation.apply(&endorsement), Ok(true));
        let bytes = wire(&case_study(&kessler(), "trento", 1, NOW), &[&kessler()]);
        let admission = gossip(&federation, &Held::default(), &bytes);
        assert!(
            matches!(
                admission_refusal(&admission),
                Some(Refusal::Trust(TrustError::NotEndorsedFor { .. }))
            ),
            "{admission:?}"
        );
    }

    #[test]
    fn an_older_version_is_not_news_by_gossip_but_kept_by_catch_up() {
        let value = case_study(&emilia(), "sportello", 2, NOW);
        let bytes = wire(&value, &[&emilia()]);
        let key = Record::<Unverified>::decode(&bytes)
            .expect("decodes")
            .logical_key();
        let held = Held {
            heads: [(key, 3)].into(),
            ..Held::default()
        };
        let federation = federation();
        let by_gossip = gossip(&federation, &held, &bytes);
        assert!(
            matches!(by_gossip, Admission::NotNews { .. }),
            "{by_gossip:?}"
        );
        let by_sync = Admitter::new(&federation, &held, Origin::Sync)
            .admit_wire(&bytes, None, NOW)
            .expect("answers");
        assert!(matches!(by_sync, Admission::Admit { .. }), "{by_sync:?}");
        // The same version as the head is news to gossip (it may be a competing record).
        let level = Held {
            heads: [(held.heads.keys().next().expect("key").clone(), 2)].into(),
            ..Held::default()
        };
        assert!(matches!(
            gossip(&federation, &level, &bytes),
            Admission::Admit { .. }
        ));
    }

    #[test]
    fn a_store_that_cannot_answer_is_reported_not_blamed_on_the_sender() {
        let bytes = wire(&case_study(&emilia(), "sportello", 1, NOW), &[&emilia()]);
        let broken = Held {
            broken: true,
            ..Held::default()
        };
        let result =
            Admitter::new(&federation(), &broken, Origin::Gossip).admit_wire(&bytes, None, NOW);
        assert_eq!(result.err(), Some("the disk is gone"));
    }

    #[test]
    fn checking_ahead_gives_the_answer_one_record_at_a_time_gives() {
        let federation = federation();
        let sportello = case_study(&emilia(), "sportello", 1, NOW);
        // A held record, under signatures not its author's (a valid held record would be admitted
        // ahead and found held by the store's write; that case is the store's, not this test's).
        let archivio = case_study(&emilia(), "archivio", 1, NOW);
        let held_forgery = forged(&archivio, &emilia(), &flanders());
        let wires = vec![
            wire(&sportello, &[&emilia()]),
            b"not json".to_vec(),
            forged(
                &case_study(&flanders(), "fiets", 1, NOW),
                &flanders(),
                &catalonia(),
            ),
            forged(
                &case_study(&emilia(), "other", 1, NOW),
                &emilia(),
                &catalonia(),
            ),
            wire(
                &case_study(&catalonia(), "bus", 1, NOW + Limits::MAX_CLOCK_SKEW_MS + 1),
                &[&catalonia()],
            ),
            wire(
                &genesis_value(3, Some(RecordId([0x22; 32]))),
                &[&emilia(), &catalonia()],
            ),
            held_forgery.clone(),
            wire(&case_study(&kessler(), "trento", 1, NOW), &[&kessler()]),
        ];
        let held = Held {
            ids: [id_of(&held_forgery)].into(),
            ..Held::default()
        };
        let admitter = Admitter::new(&federation, &held, Origin::Sync);
        let describe = |a: Admission| match a {
            Admission::Admit { record, .. } => format!("admit {}", record.id()),
            Admission::NotNews { id } => format!("not news {id}"),
            Admission::Defer { id, reason } => format!("defer {id}: {reason}"),
            Admission::Refuse(refusal) => format!("refuse: {refusal}"),
        };
        let mut kinds = BTreeSet::new();
        for bytes in &wires {
            let alone = describe(admitter.admit_wire(bytes, None, NOW).expect("answers"));
            let ahead = describe(
                admitter
                    .admit_verification(Verification::of_wire(bytes, NOW))
                    .expect("answers"),
            );
            assert_eq!(ahead, alone);
            kinds.insert(alone.split(' ').next().map(str::to_owned));
        }
        assert_eq!(
            kinds.len(),
            4,
            "every kind of answer was exercised: {kinds:?}"
        );
    }

    #[test]
    fn a_record_published_here_is_refused_rather_than_deferred() {
        let refusal = Deferral::FromTheFuture {
            ahead_ms: 700_000,
            limit_ms: Limits::MAX_CLOCK_SKEW_MS,
        }
        .into_refusal();
        assert_eq!(
            refusal,
            Refusal::Record(RecordError::FromTheFuture {
                ahead_ms: 700_000,
                limit_ms: Limits::MAX_CLOCK_SKEW_MS
            })
        );
        let gap = TrustError::MembershipOutOfOrder {
            version: 3,
            current: 1,
            previous_mismatch: false,
        };
        assert_eq!(
            Deferral::AwaitingTrust(gap.clone()).into_refusal(),
            Refusal::Trust(gap)
        );
    }

    fn admission_refusal(admission: &Admission) -> Option<&Refusal> {
        match admission {
            Admission::Refuse(refusal) => Some(refusal),
            _ => None,
        }
    }
}
