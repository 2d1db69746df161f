//! The head rule: which version of a logical record is current.
//!
//! The head must be a function of the *set* of versions a node holds, never of the order they
//! arrived in, or two nodes holding the same records would show different things. So versions are
//! totally ordered: a higher `version` wins; at the same version (an equivocation: the author
//! signed two different records with one number) a retraction wins over a non-retraction, and
//! otherwise the smaller id wins. Because an older version always loses, a retraction can never be
//! undone by a stale copy arriving late; only the author can publish a newer version.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::keys::RecordId;

/// What the head rule needs to know about one version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VersionInfo {
    /// The version's record id.
    pub id: RecordId,
    /// Its version number.
    pub version: u64,
    /// Whether it is a retraction.
    pub retracted: bool,
}

impl VersionInfo {
    /// Orders versions so that the head is the greatest.
    pub fn precedence(&self, other: &Self) -> Ordering {
        self.version
            .cmp(&other.version)
            .then(self.retracted.cmp(&other.retracted))
            // The smaller id wins, so it must compare as greater.
            .then(other.id.cmp(&self.id))
    }
}

/// What a newly arrived version does to the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadChange {
    /// There was no head; this version is it.
    First,
    /// This version replaces the previous head.
    Replaces {
        /// The head it replaces.
        previous: VersionInfo,
    },
    /// This version is the head already (the same record again).
    Duplicate,
    /// An older version: kept for history, the head is unchanged.
    Older,
    /// Same version number as the head but another record: the author equivocated. `winner` is
    /// the head after the rule above; both are kept and the conflict is reported.
    Equivocation {
        /// The head after applying the rule.
        winner: VersionInfo,
        /// The version that lost.
        loser: VersionInfo,
    },
}

impl HeadChange {
    /// Whether the incoming version is now the head.
    pub fn is_new_head(&self, incoming: &VersionInfo) -> bool {
        match self {
            HeadChange::First | HeadChange::Replaces { .. } => true,
            HeadChange::Equivocation { winner, .. } => winner.id == incoming.id,
            HeadChange::Duplicate | HeadChange::Older => false,
        }
    }
}

/// Decides what `incoming` does to the logical record whose head is `current`.
pub fn decide(current: Option<&VersionInfo>, incoming: &VersionInfo) -> HeadChange {
    let Some(current) = current else {
        return HeadChange::First;
    };
    if current.id == incoming.id {
        return HeadChange::Duplicate;
    }
    if incoming.version == current.version {
        let (winner, loser) = if incoming.precedence(current) == Ordering::Greater {
            (*incoming, *current)
        } else {
            (*current, *incoming)
        };
        return HeadChange::Equivocation { winner, loser };
    }
    if incoming.version > current.version {
        HeadChange::Replaces { previous: *current }
    } else {
        HeadChange::Older
    }
}

/// The head of a set of versions.
pub fn head_of<'a>(versions: impl IntoIterator<Item = &'a VersionInfo>) -> Option<VersionInfo> {
    versions.into_iter().copied().max_by(|a, b| a.precedence(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(version: u64, retracted: bool, id: u8) -> VersionInfo {
        VersionInfo {
            id: RecordId([id; 32]),
            version,
            retracted,
        }
    }

    #[test]
    fn newer_version_replaces_older_never() {
        assert_eq!(decide(None, &v(1, false, 1)), HeadChange::First);
        assert_eq!(
            decide(Some(&v(1, false, 1)), &v(2, false, 2)),
            HeadChange::Replaces {
                previous: v(1, false, 1)
            }
        );
        assert_eq!(
            decide(Some(&v(2, false, 2)), &v(1, false, 1)),
            HeadChange::Older
        );
        assert_eq!(
            decide(Some(&v(2, false, 2)), &v(2, false, 2)),
            HeadChange::Duplicate
        );
    }

    #[test]
    fn retraction_sticks_against_older_versions() {
        let retraction = v(3, true, 9);
        for older in [v(1, false, 1), v(2, false, 2)] {
            assert_eq!(decide(Some(&retraction), &older), HeadChange::Older);
        }
    }

    #[test]
    fn equivocation_prefers_retraction_then_smaller_id() {
        let change = decide(Some(&v(2, false, 1)), &v(2, true, 5));
        assert_eq!(
            change,
            HeadChange::Equivocation {
                winner: v(2, true, 5),
                loser: v(2, false, 1)
            }
        );
        let change = decide(Some(&v(2, false, 7)), &v(2, false, 3));
        assert_eq!(
            change,
            HeadChange::Equivocation {
                winner: v(2, false, 3),
                loser: v(2, false, 7)
            }
        );
        assert!(change.is_new_head(&v(2, false, 3)));
    }
}
