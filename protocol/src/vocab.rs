//! Controlled vocabularies, each with stable string forms.
//!
//! The string form of a term is part of the signed record and so can never change. Vocabularies
//! that the design calls extendable (themes, technologies, benefits…) accept, besides their known
//! terms, any extension term written `x-` followed by lowercase letters, digits and hyphens
//! (`x-mobility`), so a community can start using a new term before the protocol names it; a later
//! protocol version may adopt it under a plain name. Closed vocabularies (kinds, statuses,
//! interactions) accept only their known terms.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Whether `term` is a well-formed extension term: `x-` then 1 to 62 of `[a-z0-9-]`.
pub fn is_extension_term(term: &str) -> bool {
    term.strip_prefix("x-").is_some_and(|rest| {
        !rest.is_empty()
            && rest.len() <= 62
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    })
}

macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident, extendable = $extendable:tt, {
            $( $(#[$vmeta:meta])* $variant:ident => $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// An extension term (`x-…`), see the module documentation.
            Extension(String),
        }

        impl $name {
            /// Every known term, in the order the spec lists them.
            pub const KNOWN: &'static [$name] = &[ $( $name::$variant ),+ ];

            /// The stable string form of this term.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $text, )+
                    $name::Extension(term) => term,
                }
            }

            /// Reads a term from its string form.
            pub fn parse(text: &str) -> Result<Self, UnknownTerm> {
                match text {
                    $( $text => Ok($name::$variant), )+
                    other if $extendable && is_extension_term(other) => {
                        Ok($name::Extension(other.to_owned()))
                    }
                    other => Err(UnknownTerm {
                        vocabulary: stringify!($name),
                        term: other.to_owned(),
                        known: &[ $( $text ),+ ],
                        extendable: $extendable,
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                $name::parse(&text).map_err(serde::de::Error::custom)
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownTerm;
            fn from_str(s: &str) -> Result<Self, UnknownTerm> {
                $name::parse(s)
            }
        }
    };
}

/// A term that is not in its vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{term}\" is not a known {vocabulary} ({}){}", known.join(", "), if *extendable { "; extension terms are written x-name" } else { "" })]
pub struct UnknownTerm {
    /// The vocabulary's name.
    pub vocabulary: &'static str,
    /// The term that was given.
    pub term: String,
    /// The terms the vocabulary knows.
    pub known: &'static [&'static str],
    /// Whether `x-` extension terms are accepted.
    pub extendable: bool,
}

vocabulary! {
    /// What a record is about. Three content kinds and two trust kinds.
    Kind, extendable = false, {
        /// A reusable piece of software or service (publiccode.yml's world).
        Solution => "solution",
        /// An account of one administration's project (Public Sector Tech Watch's world).
        CaseStudy => "case_study",
        /// A practice worth repeating, not tied to one piece of software.
        BestPractice => "best_practice",
        /// The federation's member list; its first version is the genesis document.
        Membership => "membership",
        /// A member's endorsement of a partner key, with a scope and an expiry.
        Endorsement => "endorsement",
    }
}

impl Kind {
    /// Whether this kind carries staff-facing content (as opposed to trust information).
    pub fn is_content(&self) -> bool {
        matches!(self, Kind::Solution | Kind::CaseStudy | Kind::BestPractice)
    }

    /// The content kinds, which a partner may be endorsed to publish.
    pub const CONTENT: &'static [Kind] = &[Kind::Solution, Kind::CaseStudy, Kind::BestPractice];

    /// The trust kinds: every kind that is not content.
    pub const TRUST: &'static [Kind] = &[Kind::Membership, Kind::Endorsement];
}

vocabulary! {
    /// The ten thematic communities (Comunità Tematiche) of Emilia-Romagna's digital agenda.
    Theme, extendable = true, {
        Iot => "iot",
        Data => "data",
        DigitalGenderGap => "digital-gender-gap",
        DigitalAdministrators => "digital-administrators",
        DigitalIntegrations => "digital-integrations",
        Businesses => "businesses",
        DigitalFacilitation => "digital-facilitation",
        Documents => "documents",
        CybersecurityCloud => "cybersecurity-cloud",
        Citizens => "citizens",
    }
}

vocabulary! {
    /// How far along a solution or project is.
    Status, extendable = false, {
        Planned => "planned",
        Pilot => "pilot",
        Implemented => "implemented",
        Scaled => "scaled",
        Discontinued => "discontinued",
    }
}

vocabulary! {
    /// Who interacts with whom (Public Sector Tech Watch).
    Interaction, extendable = false, {
        /// Government to government.
        G2G => "G2G",
        /// Government to citizens.
        G2C => "G2C",
        /// Government to businesses.
        G2B => "G2B",
    }
}

vocabulary! {
    /// Benefits a case reports (Public Sector Tech Watch's benefit columns).
    Benefit, extendable = true, {
        Efficiency => "efficiency",
        Effectiveness => "effectiveness",
        Quality => "quality",
        Openness => "openness",
        Transparency => "transparency",
        Participation => "participation",
        Trust => "trust",
        Inclusion => "inclusion",
        Accountability => "accountability",
        Responsiveness => "responsiveness",
        Sustainability => "sustainability",
        CostReduction => "cost-reduction",
    }
}

vocabulary! {
    /// publiccode.yml's `developmentStatus`.
    DevelopmentStatus, extendable = false, {
        Concept => "concept",
        Development => "development",
        Beta => "beta",
        Stable => "stable",
        Obsolete => "obsolete",
    }
}

impl DevelopmentStatus {
    /// The record status a development status maps to (the line Joinup draws for ADMS).
    pub fn status(&self) -> Option<Status> {
        match self {
            DevelopmentStatus::Concept | DevelopmentStatus::Development => Some(Status::Planned),
            DevelopmentStatus::Beta => Some(Status::Pilot),
            DevelopmentStatus::Stable => Some(Status::Implemented),
            DevelopmentStatus::Obsolete => Some(Status::Discontinued),
            DevelopmentStatus::Extension(_) => None,
        }
    }
}

vocabulary! {
    /// publiccode.yml's `softwareType`.
    SoftwareType, extendable = false, {
        Standalone => "standalone/other",
        StandaloneMobile => "standalone/mobile",
        StandaloneIot => "standalone/iot",
        StandaloneDesktop => "standalone/desktop",
        StandaloneWeb => "standalone/web",
        StandaloneBackend => "standalone/backend",
        Addon => "addon",
        Library => "library",
        Configurationfiles => "configurationFiles",
    }
}

vocabulary! {
    /// publiccode.yml's `maintenance.type`.
    MaintenanceType, extendable = false, {
        Internal => "internal",
        Contract => "contract",
        Community => "community",
        None => "none",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_term_round_trips() {
        for kind in Kind::KNOWN {
            assert_eq!(Kind::parse(kind.as_str()).as_ref(), Ok(kind));
        }
        for theme in Theme::KNOWN {
            assert_eq!(Theme::parse(theme.as_str()).as_ref(), Ok(theme));
        }
    }

    #[test]
    fn extension_terms_only_where_extendable() {
        assert_eq!(
            Theme::parse("x-mobility"),
            Ok(Theme::Extension("x-mobility".into()))
        );
        let err = Status::parse("x-paused").expect_err("closed vocabulary");
        assert_eq!(
            err.to_string(),
            "\"x-paused\" is not a known Status (planned, pilot, implemented, scaled, discontinued)"
        );
        let err = Theme::parse("Mobility").expect_err("not an extension term");
        assert!(
            err.to_string()
                .ends_with("extension terms are written x-name")
        );
        assert!(Theme::parse("x-").is_err());
        assert!(Theme::parse("x-Upper").is_err());
    }
}
