//! The typed view of an unsigned record's fields.
//!
//! A record travels as JSON and is identified by the hash of its canonical bytes, so this typed
//! view is only ever *read from* the JSON value; it is never serialized back to produce the signed
//! bytes. That is what lets a record written by a newer node, with fields this node does not know,
//! pass through unchanged.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::keys::PublicKey;
use crate::vocab::{
    Benefit, DevelopmentStatus, Interaction, Kind, MaintenanceType, SoftwareType, Status, Theme,
};

/// The record format this implementation writes and fully understands.
pub const CURRENT_FORMAT: u32 = 1;

/// Text in several languages, keyed by BCP 47 language tag (`it`, `en`, `ca`, `pt-BR`).
pub type LangMap = BTreeMap<String, String>;

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = u64;

/// The fields every record has, in every format version. The spec freezes these, so a node can
/// route, order and trust-check records of formats newer than its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// The record format version; see [`CURRENT_FORMAT`].
    pub format: u32,
    /// What the record is.
    pub kind: Kind,
    /// The publishing key, which must sign the record.
    pub author: PublicKey,
    /// The author's name for this logical record, stable across versions.
    pub slug: String,
    /// Strictly increasing from 1 across the versions of one logical record.
    pub version: u64,
    /// When this version was created.
    pub created_at: Millis,
    /// Whether this version retracts the logical record.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retracted: bool,
}

/// The content fields, shared by all kinds; each is optional at this level and required per kind
/// by validation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Body {
    /// The title, per language.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub title: LangMap,
    /// A short summary (a few sentences), per language.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub summary: LangMap,
    /// The full description, per language. Plain text with paragraphs separated by blank lines.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub description: LangMap,
    /// The organisation behind the record (a region, a municipality, an agency).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// NUTS 2021 code (country prefix as NUTS writes it, e.g. `EL` for Greece).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nuts: Option<String>,
    /// Thematic communities the record belongs to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub themes: Vec<Theme>,
    /// Technologies used (free terms, e.g. `machine-learning`, `chatbot`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub technologies: Vec<String>,
    /// How far along it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Links to further material.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// People to contact.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<Contact>,
    /// SPDX licence expression for the material described.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub licence: Option<String>,
    /// Free keywords.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Case-study taxonomy (Public Sector Tech Watch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_study: Option<CaseStudyFields>,
    /// Solution fields (publiccode.yml core).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solution: Option<SolutionFields>,
    /// Membership document (kind `membership`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub membership: Option<MembershipFields>,
    /// Endorsement of a partner (kind `endorsement`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endorsement: Option<EndorsementFields>,
}

/// A link with an optional label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// An http or https URL.
    pub url: String,
    /// What the link leads to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// Someone to contact about the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    /// The person's or office's name.
    pub name: String,
    /// An e-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Their role, e.g. "project lead".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Their organisation, when not the record's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
}

/// Public Sector Tech Watch taxonomy for case studies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CaseStudyFields {
    /// COFOG functions of government, as codes such as `01.3` or `07`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cofog: Vec<String>,
    /// Process types (e.g. "Service delivery", "Internal management").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub process_types: Vec<String>,
    /// Application types (e.g. "Chatbot", "Predictive analytics").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub application_types: Vec<String>,
    /// Who interacts with whom.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub interaction: Vec<Interaction>,
    /// Benefits reported.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub benefits: Vec<Benefit>,
    /// Year the project started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_year: Option<u16>,
    /// Year the project ended, if it has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_year: Option<u16>,
    /// Where the case comes from, when imported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
}

/// The origin of an imported record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The source's name, e.g. `PSTW`.
    pub name: String,
    /// The record's id at the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The record's page at the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// When the source last updated it, as an ISO 8601 date (`2025-06-30`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
}

/// The core of publiccode.yml, for solutions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SolutionFields {
    /// The source repository URL (publiccode.yml `url`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The landing page (publiccode.yml `landingURL`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub landing_url: Option<String>,
    /// publiccode.yml `developmentStatus`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub development_status: Option<DevelopmentStatus>,
    /// publiccode.yml `softwareType`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub software_type: Option<SoftwareType>,
    /// publiccode.yml `platforms` (web, linux, windows, mac, ios, android…).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
    /// publiccode.yml `categories`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// publiccode.yml `maintenance.type`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maintenance: Option<MaintenanceType>,
    /// publiccode.yml `usedBy`: administrations that use it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub used_by: Vec<String>,
}

/// A federation's member list. Version 1 is the genesis document, whose id is the federation id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipFields {
    /// The federation's name, e.g. `dt4regions`.
    pub name: String,
    /// How many current members must sign the next version.
    pub threshold: u32,
    /// The id (hex) of the version this one replaces; absent in the genesis document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// The members after this version.
    pub members: Vec<Member>,
}

/// One member region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The region's name, e.g. "Emilia-Romagna".
    pub name: String,
    /// The region's publishing key.
    pub key: PublicKey,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// NUTS 2021 code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nuts: Option<String>,
}

/// A member's endorsement of a partner key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndorsementFields {
    /// The partner's publishing key; the record's slug is this key in hex.
    pub partner: PublicKey,
    /// The partner's name, e.g. "Fondazione Bruno Kessler".
    pub name: String,
    /// The content kinds the partner may publish.
    pub kinds: Vec<Kind>,
    /// When the endorsement ends.
    pub expires_at: Millis,
}
