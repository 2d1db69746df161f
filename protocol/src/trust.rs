//! The federation's trust rules: who may publish what.
//!
//! A federation starts from a genesis membership document, agreed out of band; its record id is
//! the federation id, so a node that holds the genesis file knows exactly which federation it is
//! in. Every later membership version must name the version it replaces and carry signatures from
//! at least the threshold of that version's members. Members may endorse partner keys for a set of
//! content kinds until an expiry; retracting the endorsement revokes it.
//!
//! [`Federation`] is a pure value: it is folded from verified records and answers
//! [`Federation::may_publish`] without I/O or a clock.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::fields::{Member, Millis};
use crate::head::{self, VersionInfo};
use crate::keys::{FederationId, PublicKey, RecordId};
use crate::record::{Record, Verified};
use crate::vocab::Kind;

/// Why a key may not publish a record, or a trust record was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrustError {
    /// The genesis document is not a membership record at version 1.
    #[error("the genesis document must be a membership record at version 1")]
    NotGenesis,
    /// The key is neither a member nor an endorsed partner.
    #[error("{key} is not a member of the federation and has no endorsement from one")]
    Unknown {
        /// The key.
        key: PublicKey,
    },
    /// The key is a partner, but no endorsement covers this kind at this time.
    #[error(
        "{key} is an endorsed partner, but no current endorsement lets it publish {kind} records at that time"
    )]
    NotEndorsedFor {
        /// The key.
        key: PublicKey,
        /// The kind it tried to publish.
        kind: Kind,
    },
    /// Only members may publish trust records.
    #[error("only members may publish {kind} records; {key} is not a member")]
    MembersOnly {
        /// The key.
        key: PublicKey,
        /// The kind.
        kind: Kind,
    },
    /// A membership update that does not follow the current version.
    #[error("membership version {version} does not follow the current version {current}{}", if *.previous_mismatch { " (it names another previous version)" } else { "" })]
    MembershipOutOfOrder {
        /// The update's version.
        version: u64,
        /// The current version.
        current: u64,
        /// Whether the version number fits but the `previous` id does not.
        previous_mismatch: bool,
    },
    /// A membership update without enough member signatures.
    #[error(
        "membership version {version} is signed by {signed} current member(s), the threshold is {threshold}"
    )]
    BelowThreshold {
        /// The update's version.
        version: u64,
        /// Distinct current members who signed.
        signed: usize,
        /// Required.
        threshold: u32,
    },
    /// A membership record for another federation.
    #[error("the membership record names federation \"{found}\", this is \"{expected}\"")]
    OtherFederation {
        /// This federation's name.
        expected: String,
        /// The name in the record.
        found: String,
    },
}

impl TrustError {
    /// The stable code of the error, as the specification names it (docs/protocol.md,
    /// section 13), for test vectors, logs and other implementations.
    pub fn code(&self) -> &'static str {
        match self {
            TrustError::NotGenesis => "not_genesis",
            TrustError::Unknown { .. } => "unknown_key",
            TrustError::NotEndorsedFor { .. } => "not_endorsed_for",
            TrustError::MembersOnly { .. } => "members_only",
            TrustError::MembershipOutOfOrder { .. } => "membership_out_of_order",
            TrustError::BelowThreshold { .. } => "below_threshold",
            TrustError::OtherFederation { .. } => "other_federation",
        }
    }

    /// Whether the sender of such a record should be penalised. A membership update that merely
    /// arrived before the one it follows is not an offence: it is ignored, and catch-up will
    /// deliver it again once the gap is filled.
    pub fn is_offence(&self) -> bool {
        !matches!(
            self,
            TrustError::MembershipOutOfOrder { version, current, .. } if version > current
        )
    }
}

/// By what right a key publishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "as", rename_all = "snake_case")]
pub enum Authority {
    /// A current member.
    Member {
        /// The member's name.
        name: String,
    },
    /// A partner endorsed by a member.
    Partner {
        /// The partner's name as the endorsement gives it.
        name: String,
        /// The member who endorsed it.
        endorsed_by: PublicKey,
        /// The endorsement record.
        endorsement: RecordId,
    },
    /// Anyone may hold the genesis document; its hash is its authority.
    Genesis,
}

/// One endorsement head, as the federation tracks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endorsement {
    /// The endorsing member.
    pub by: PublicKey,
    /// The partner.
    pub partner: PublicKey,
    /// The partner's name.
    pub name: String,
    /// The kinds it may publish.
    pub kinds: Vec<Kind>,
    /// Validity starts when the endorsement was created.
    pub from: Millis,
    /// And ends here.
    pub until: Millis,
    /// The endorsement head's version info (retracted means revoked).
    pub head: VersionInfo,
}

/// A federation's current trust state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Federation {
    id: FederationId,
    name: String,
    version: u64,
    current: RecordId,
    threshold: u32,
    members: Vec<Member>,
    endorsements: BTreeMap<(PublicKey, PublicKey), Endorsement>,
}

impl Federation {
    /// Starts a federation from its genesis membership document.
    pub fn from_genesis(genesis: &Record<Verified>) -> Result<Self, TrustError> {
        let header = genesis.header();
        let Some(membership) = &genesis.body().membership else {
            return Err(TrustError::NotGenesis);
        };
        if header.kind != Kind::Membership || header.version != 1 {
            return Err(TrustError::NotGenesis);
        }
        Ok(Federation {
            id: genesis.id(),
            name: membership.name.clone(),
            version: 1,
            current: genesis.id(),
            threshold: membership.threshold,
            members: membership.members.clone(),
            endorsements: BTreeMap::new(),
        })
    }

    /// The federation id (the genesis record's id).
    pub fn id(&self) -> FederationId {
        self.id
    }
    /// The federation's name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The current membership version.
    pub fn version(&self) -> u64 {
        self.version
    }
    /// The current membership record's id.
    pub fn current_membership(&self) -> RecordId {
        self.current
    }
    /// Signatures needed for the next membership version.
    pub fn threshold(&self) -> u32 {
        self.threshold
    }
    /// The current members.
    pub fn members(&self) -> &[Member] {
        &self.members
    }
    /// The member with this key, if any.
    pub fn member(&self, key: &PublicKey) -> Option<&Member> {
        self.members.iter().find(|m| m.key == *key)
    }
    /// Endorsement heads, by (member, partner).
    pub fn endorsements(&self) -> impl Iterator<Item = &Endorsement> {
        self.endorsements.values()
    }

    /// Checks whether `record` may enter the store under the trust rules, without changing the
    /// state. Content records need [`Federation::may_publish`]; endorsements need a member author;
    /// membership updates need to follow the current version with enough member signatures, and
    /// the genesis document itself is accepted as is (it is what defines this federation).
    pub fn admit(&self, record: &Record<Verified>) -> Result<Authority, TrustError> {
        let header = record.header();
        match header.kind {
            Kind::Membership => {
                if record.id() == self.id {
                    return Ok(Authority::Genesis);
                }
                self.check_membership_update(record)?;
                self.member_authority(&header.author, &header.kind)
            }
            Kind::Endorsement => self.member_authority(&header.author, &header.kind),
            _ => self.may_publish(&header.author, &header.kind, header.created_at),
        }
    }

    fn member_authority(&self, key: &PublicKey, kind: &Kind) -> Result<Authority, TrustError> {
        self.member(key)
            .map(|m| Authority::Member {
                name: m.name.clone(),
            })
            .ok_or_else(|| TrustError::MembersOnly {
                key: *key,
                kind: kind.clone(),
            })
    }

    /// Whether this federation knows `author` well enough for a `kind` record by it to be worth
    /// a signature check: a member, or for a content kind a key with an endorsement head (valid
    /// or not; the full question is [`Federation::admit`], asked after the signature).
    ///
    /// Admission asks this before the signature so that records by strangers cost a lookup, not
    /// a signature check. The error is the one [`Federation::admit`] would give for the same
    /// record, so asking it first changes only the cost, never the answer. Membership records are
    /// always let through: an update may be authored by a key that only becomes a member in a
    /// version this node does not hold yet, which is not an offence (section 13.2).
    pub fn check_author_known(&self, author: &PublicKey, kind: &Kind) -> Result<(), TrustError> {
        if *kind == Kind::Membership || self.member(author).is_some() {
            return Ok(());
        }
        if !kind.is_content() {
            return Err(TrustError::MembersOnly {
                key: *author,
                kind: kind.clone(),
            });
        }
        if self.endorsements.values().any(|e| e.partner == *author) {
            Ok(())
        } else {
            Err(TrustError::Unknown { key: *author })
        }
    }

    /// May `key` publish a `kind` record created at `at`, and if not, why.
    pub fn may_publish(
        &self,
        key: &PublicKey,
        kind: &Kind,
        at: Millis,
    ) -> Result<Authority, TrustError> {
        if let Some(member) = self.member(key) {
            return Ok(Authority::Member {
                name: member.name.clone(),
            });
        }
        if !kind.is_content() {
            return Err(TrustError::MembersOnly {
                key: *key,
                kind: kind.clone(),
            });
        }
        let mut partner = false;
        for endorsement in self.endorsements.values().filter(|e| e.partner == *key) {
            partner = true;
            let valid = !endorsement.head.retracted
                && self.member(&endorsement.by).is_some()
                && endorsement.kinds.contains(kind)
                && (endorsement.from..=endorsement.until).contains(&at);
            if valid {
                return Ok(Authority::Partner {
                    name: endorsement.name.clone(),
                    endorsed_by: endorsement.by,
                    endorsement: endorsement.head.id,
                });
            }
        }
        if partner {
            Err(TrustError::NotEndorsedFor {
                key: *key,
                kind: kind.clone(),
            })
        } else {
            Err(TrustError::Unknown { key: *key })
        }
    }

    /// Checks that `record` is the next membership version, signed by enough current members.
    pub fn check_membership_update(&self, record: &Record<Verified>) -> Result<(), TrustError> {
        let header = record.header();
        let Some(update) = &record.body().membership else {
            return Err(TrustError::NotGenesis);
        };
        let previous_mismatch = update.previous.as_deref() != Some(self.current.to_hex().as_str());
        if header.version != self.version + 1 || previous_mismatch {
            return Err(TrustError::MembershipOutOfOrder {
                version: header.version,
                current: self.version,
                previous_mismatch: header.version == self.version + 1 && previous_mismatch,
            });
        }
        if update.name != self.name {
            return Err(TrustError::OtherFederation {
                expected: self.name.clone(),
                found: update.name.clone(),
            });
        }
        // Signatures were verified cryptographically when the record was verified; here we only
        // count how many distinct current members are among the signers.
        let signers: BTreeSet<PublicKey> = record.signatures().iter().map(|s| s.key).collect();
        let signed = self
            .members
            .iter()
            .filter(|m| signers.contains(&m.key))
            .count();
        if signed < self.threshold as usize {
            return Err(TrustError::BelowThreshold {
                version: header.version,
                signed,
                threshold: self.threshold,
            });
        }
        if self.member(&header.author).is_none() {
            return Err(TrustError::MembersOnly {
                key: header.author,
                kind: Kind::Membership,
            });
        }
        Ok(())
    }

    /// Applies an admitted trust record (membership update or endorsement); other kinds and the
    /// genesis are no-ops. Returns whether the state changed.
    pub fn apply(&mut self, record: &Record<Verified>) -> Result<bool, TrustError> {
        let header = record.header();
        match header.kind {
            Kind::Membership if record.id() != self.id => {
                self.check_membership_update(record)?;
                let Some(update) = &record.body().membership else {
                    return Err(TrustError::NotGenesis);
                };
                self.version = header.version;
                self.current = record.id();
                self.threshold = update.threshold;
                self.members = update.members.clone();
                Ok(true)
            }
            Kind::Endorsement => {
                self.member_authority(&header.author, &header.kind)?;
                let incoming = VersionInfo {
                    id: record.id(),
                    version: header.version,
                    retracted: header.retracted,
                };
                let partner: PublicKey = match &record.body().endorsement {
                    Some(e) => e.partner,
                    // A retraction carries no body; the slug is the partner key in hex.
                    None => match header.slug.parse() {
                        Ok(key) => key,
                        Err(_) => return Ok(false),
                    },
                };
                let slot = (header.author, partner);
                let current = self.endorsements.get(&slot).map(|e| e.head);
                if !head::decide(current.as_ref(), &incoming).is_new_head(&incoming) {
                    return Ok(false);
                }
                let previous = self.endorsements.get(&slot);
                let endorsement = match (&record.body().endorsement, previous) {
                    (Some(e), _) => Endorsement {
                        by: header.author,
                        partner,
                        name: e.name.clone(),
                        kinds: e.kinds.clone(),
                        from: header.created_at,
                        until: e.expires_at,
                        head: incoming,
                    },
                    (None, Some(previous)) => Endorsement {
                        head: incoming,
                        ..previous.clone()
                    },
                    (None, None) => Endorsement {
                        by: header.author,
                        partner,
                        name: String::new(),
                        kinds: Vec::new(),
                        from: header.created_at,
                        until: header.created_at,
                        head: incoming,
                    },
                };
                self.endorsements.insert(slot, endorsement);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
