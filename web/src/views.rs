//! The JSON documents the API answers with, and the pure functions that build them.
//!
//! The types carry protocol values (keys, ids, kinds) so the node cannot put a malformed id into
//! a response; their OpenAPI schemas describe the strings those values serialize to.

use std::collections::BTreeMap;

use mosaico_protocol::concepts::{Concept, ConceptScheme, normalise_label};
use mosaico_protocol::fields::Member;
use mosaico_protocol::trust::{Authority, Federation};
use mosaico_protocol::{
    FederationId, Kind, LangMap, LogicalKey, Millis, PublicKey, Record, RecordId, Verified,
};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::query::Cursor;

/// The schema of a logical key: who published which kind under which slug.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = LogicalKey)]
pub struct LogicalKeySchema {
    /// The publishing key, 64 lowercase hex digits.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub author: String,
    /// The record kind.
    #[schema(example = "case_study")]
    pub kind: String,
    /// The author's slug for the record.
    pub slug: String,
}

/// One signature of a record's envelope.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SignatureView {
    /// The signing key, 64 lowercase hex digits.
    #[schema(value_type = String, pattern = "^[0-9a-f]{64}$")]
    pub key: PublicKey,
    /// Ed25519 signature over `"mosaico-record-v1:" ‖ id`, 128 lowercase hex digits.
    #[schema(pattern = "^[0-9a-f]{128}$")]
    pub signature: String,
}

/// By what right the author published, under the federation's current trust state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(tag = "as", rename_all = "snake_case")]
pub enum AuthorityView {
    /// A current member region.
    Member {
        /// The member's name.
        name: String,
    },
    /// A partner endorsed by a member.
    Partner {
        /// The partner's name.
        name: String,
        /// The endorsing member's key.
        #[schema(value_type = String)]
        endorsed_by: PublicKey,
        /// The endorsement record's id.
        #[schema(value_type = String)]
        endorsement: RecordId,
    },
    /// The federation's genesis document.
    Genesis,
}

impl From<Authority> for AuthorityView {
    fn from(authority: Authority) -> Self {
        match authority {
            Authority::Member { name } => AuthorityView::Member { name },
            Authority::Partner {
                name,
                endorsed_by,
                endorsement,
            } => AuthorityView::Partner {
                name,
                endorsed_by,
                endorsement,
            },
            Authority::Genesis => AuthorityView::Genesis,
        }
    }
}

/// One signed version, with everything a client needs to check it itself.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordView {
    /// SHA-256 of the canonical (RFC 8785) unsigned record, 64 lowercase hex digits.
    #[schema(value_type = String, pattern = "^[0-9a-f]{64}$")]
    pub id: RecordId,
    /// The unsigned record exactly as signed, including fields this node does not know.
    #[schema(value_type = Object)]
    pub record: Value,
    /// The envelope's signatures.
    pub signatures: Vec<SignatureView>,
    /// Always true: only verified records are stored or served.
    pub verified: bool,
    /// Who vouches for the author now; absent when the federation no longer recognises it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authority: Option<AuthorityView>,
}

impl RecordView {
    /// The view of a verified record.
    pub fn new(record: &Record<Verified>, authority: Option<Authority>) -> Self {
        RecordView {
            id: record.id(),
            record: record.unsigned().clone(),
            signatures: record
                .signatures()
                .iter()
                .map(|s| SignatureView {
                    key: s.key,
                    signature: s.signature.to_hex(),
                })
                .collect(),
            verified: true,
            authority: authority.map(AuthorityView::from),
        }
    }
}

/// The history of a logical record.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionsView {
    /// The logical record.
    #[schema(value_type = LogicalKeySchema)]
    pub key: LogicalKey,
    /// The head's id.
    #[schema(value_type = String)]
    pub head: RecordId,
    /// Every version held, newest first.
    pub versions: Vec<RecordView>,
}

/// A record in a list of results, in the best language for the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RecordSummary {
    /// The version's id.
    #[schema(value_type = String, pattern = "^[0-9a-f]{64}$")]
    pub id: RecordId,
    /// The logical record.
    #[schema(value_type = LogicalKeySchema)]
    pub key: LogicalKey,
    /// The kind.
    #[schema(value_type = String)]
    pub kind: Kind,
    /// The version number.
    pub version: u64,
    /// The title in the language used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The summary, in the language used when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The language the title is shown in (BCP 47).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// The publishing organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    /// ISO 3166-1 alpha-2 country.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// NUTS 2021 region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nuts: Option<String>,
    /// Thematic communities.
    pub themes: Vec<String>,
    /// Technologies.
    pub technologies: Vec<String>,
    /// How far along it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// When this version was created, in milliseconds since the epoch.
    #[schema(value_type = u64)]
    pub created_at: Millis,
    /// Whether this version is a retraction.
    pub retracted: bool,
    /// For a text search: a passage of the summary or description with the matched words in
    /// `<mark>`; everything else HTML-escaped, so it can be inserted into a page as is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    /// For a text search: why this record matched (the text in which languages, which of the
    /// query's concepts it carries).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<MatchWhy>,
}

/// Why one result matched a text query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct MatchWhy {
    /// The languages (primary subtags) of the record's text in which the query's words were
    /// found, each stemmed its own way.
    pub text: Vec<String>,
    /// The ids of the query's concepts that the record carries, signed by its author or derived
    /// from its text.
    pub concepts: Vec<String>,
}

/// Where the language a query was read in came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum QueryLanguageSource {
    /// The client named it (`q_lang`).
    Explicit,
    /// Read from the query's own words.
    Detected,
    /// The language of the UI the query was typed into.
    Interface,
    /// The client's `Accept-Language`.
    AcceptLanguage,
}

/// A concept the query's words matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MatchedConcept {
    /// The concept's id (`mc:<slug>`).
    pub id: String,
    /// The query's words that matched one of its labels, as typed.
    pub matched: String,
    /// The concept's preferred label in the query's language.
    pub label: String,
}

/// How a text query was read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct QueryReading {
    /// The language the query was read in (primary subtag), when one was settled on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Where that language came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language_source: Option<QueryLanguageSource>,
    /// The concepts the query matched, in the order of the query's words. Records carrying
    /// them are found whatever language they are written in.
    pub concepts: Vec<MatchedConcept>,
    /// Whether the search went across languages through concepts; false means plain text search.
    pub expanded: bool,
    /// Why the search is plain text search, or anything else the client should be told.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
}

impl RecordSummary {
    /// Summarises `record` for a reader who prefers `languages` (best first).
    pub fn from_record(record: &Record<Verified>, languages: &[String]) -> Self {
        let header = record.header();
        let body = record.body();
        let title = pick_language(&body.title, languages);
        let lang = title.map(|(lang, _)| lang.to_owned());
        // Keep the summary in the title's language when it has one, so the two read together.
        let summary = match &lang {
            Some(lang) => body.summary.get(lang).map(|s| (lang.as_str(), s.as_str())),
            None => None,
        }
        .or_else(|| pick_language(&body.summary, languages));
        RecordSummary {
            id: record.id(),
            key: record.logical_key(),
            kind: header.kind.clone(),
            version: header.version,
            title: title.map(|(_, text)| text.to_owned()),
            summary: summary.map(|(_, text)| text.to_owned()),
            lang,
            organisation: body.organisation.clone(),
            country: body.country.clone(),
            nuts: body.nuts.clone(),
            themes: body.themes.iter().map(|t| t.as_str().to_owned()).collect(),
            technologies: body.technologies.clone(),
            status: body.status.as_ref().map(|s| s.as_str().to_owned()),
            created_at: header.created_at,
            retracted: header.retracted,
            snippet: None,
            why: None,
        }
    }
}

/// The best text of a multilingual map for a reader who prefers `languages`, with its language:
/// an exact tag, then the same primary language (`it-IT` reads `it`, `pt` reads `pt-BR`), then
/// English as the federation's common language, then whatever there is.
pub fn pick_language<'a>(texts: &'a LangMap, languages: &[String]) -> Option<(&'a str, &'a str)> {
    let primary = |tag: &str| tag.split('-').next().unwrap_or(tag).to_ascii_lowercase();
    let entry = |(lang, text): (&'a String, &'a String)| (lang.as_str(), text.as_str());
    for wanted in languages {
        if let Some(found) = texts
            .iter()
            .find(|(lang, _)| lang.eq_ignore_ascii_case(wanted))
        {
            return Some(entry(found));
        }
        if let Some(found) = texts
            .iter()
            .find(|(lang, _)| primary(lang) == primary(wanted))
        {
            return Some(entry(found));
        }
    }
    texts
        .iter()
        .find(|(lang, _)| primary(lang) == "en")
        .or_else(|| texts.iter().next())
        .map(entry)
}

/// Counts per term for each facet, over the whole result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Facets {
    /// Records per kind.
    pub kind: BTreeMap<String, u64>,
    /// Records per theme.
    pub theme: BTreeMap<String, u64>,
    /// Records per technology.
    pub technology: BTreeMap<String, u64>,
    /// Records per country.
    pub country: BTreeMap<String, u64>,
    /// Records per status.
    pub status: BTreeMap<String, u64>,
    /// Records per concept id (signed by the author or derived from the text).
    pub concept: BTreeMap<String, u64>,
}

impl Facets {
    /// Counts one result.
    pub fn add(&mut self, item: &RecordSummary) {
        let bump = |facet: &mut BTreeMap<String, u64>, term: &str| {
            *facet.entry(term.to_owned()).or_default() += 1;
        };
        bump(&mut self.kind, item.kind.as_str());
        for theme in &item.themes {
            bump(&mut self.theme, theme);
        }
        for technology in &item.technologies {
            bump(&mut self.technology, technology);
        }
        if let Some(country) = &item.country {
            bump(&mut self.country, country);
        }
        if let Some(status) = &item.status {
            bump(&mut self.status, status);
        }
    }
}

/// One page of search results, as the backend gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordPage {
    /// The page's items, in order.
    pub items: Vec<RecordSummary>,
    /// How many records match in all.
    pub total: u64,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<Cursor>,
    /// Facet counts over the whole result.
    pub facets: Facets,
    /// How the text query was read (empty without one).
    pub reading: QueryReading,
}

/// One page of search results, as the client sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordList {
    /// The page's items, in order.
    pub items: Vec<RecordSummary>,
    /// How many records match in all.
    pub total: u64,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Facet counts over the whole result, not only this page.
    pub facets: Facets,
    /// For a text search: the language the query was read in, the concepts it matched, and
    /// whether it went across languages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<QueryReading>,
}

/// The answer to a publish or retraction.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublishedView {
    /// The new version's id.
    #[schema(value_type = String, pattern = "^[0-9a-f]{64}$")]
    pub id: RecordId,
    /// The logical record.
    #[schema(value_type = LogicalKeySchema)]
    pub key: LogicalKey,
    /// The new version number.
    pub version: u64,
    /// Where the new version is served.
    pub location: String,
}

/// The federation's identity.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FederationView {
    /// Its name.
    pub name: String,
    /// Its id: the genesis document's record id.
    #[schema(value_type = String)]
    pub id: FederationId,
    /// The current membership version.
    pub version: u64,
    /// The current membership record.
    #[schema(value_type = String)]
    pub current_membership: RecordId,
    /// Member signatures needed for the next membership version.
    pub threshold: u32,
}

/// A member region.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberView {
    /// The region's name.
    pub name: String,
    /// Its publishing key.
    #[schema(value_type = String)]
    pub key: PublicKey,
    /// Its key's short fingerprint, for comparing by eye or over the phone.
    pub fingerprint: String,
    /// ISO 3166-1 alpha-2 country.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// NUTS 2021 region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nuts: Option<String>,
}

impl From<&Member> for MemberView {
    fn from(member: &Member) -> Self {
        MemberView {
            name: member.name.clone(),
            key: member.key,
            fingerprint: member.key.fingerprint(),
            country: member.country.clone(),
            nuts: member.nuts.clone(),
        }
    }
}

/// A member's endorsement of a partner key.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EndorsementView {
    /// The endorsing member.
    #[schema(value_type = String)]
    pub by: PublicKey,
    /// The partner's key.
    #[schema(value_type = String)]
    pub partner: PublicKey,
    /// The partner's name.
    pub name: String,
    /// The kinds the partner may publish.
    pub kinds: Vec<String>,
    /// Valid from (milliseconds since the epoch).
    #[schema(value_type = u64)]
    pub from: Millis,
    /// Valid until (milliseconds since the epoch).
    #[schema(value_type = u64)]
    pub until: Millis,
    /// Whether the member retracted it.
    pub revoked: bool,
}

/// The federation's membership and endorsements.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MembersView {
    /// The federation.
    pub federation: FederationView,
    /// The current members.
    pub members: Vec<MemberView>,
    /// Endorsements, current and revoked.
    pub endorsements: Vec<EndorsementView>,
}

impl MembersView {
    /// The view of a federation's trust state.
    pub fn from_federation(federation: &Federation) -> Self {
        MembersView {
            federation: FederationView {
                name: federation.name().to_owned(),
                id: federation.id(),
                version: federation.version(),
                current_membership: federation.current_membership(),
                threshold: federation.threshold(),
            },
            members: federation.members().iter().map(MemberView::from).collect(),
            endorsements: federation
                .endorsements()
                .map(|e| EndorsementView {
                    by: e.by,
                    partner: e.partner,
                    name: e.name.clone(),
                    kinds: e.kinds.iter().map(|k| k.as_str().to_owned()).collect(),
                    from: e.from,
                    until: e.until,
                    revoked: e.head.retracted,
                })
                .collect(),
        }
    }
}

/// How catch-up with one peer stands.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct PeerSyncView {
    /// The peer's libp2p id.
    pub peer_id: String,
    /// When the last reconciliation with it finished (milliseconds since the epoch).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<u64>)]
    pub last_sync_at: Option<Millis>,
    /// Records fetched from it in the last reconciliation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_fetched: Option<u64>,
    /// Records fetched from it through catch-up since the node started.
    pub total_fetched: u64,
    /// How far behind this node was believed to be at the last reconciliation: the records the
    /// peer had and this node lacked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub behind_by: Option<u64>,
    /// Whether the peer is connected now.
    pub connected: bool,
    /// Failed rounds in a row (the node retries with backoff).
    pub failures: u32,
}

/// The node's own state.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusView {
    /// The region's name.
    pub node_name: String,
    /// The node's libp2p peer id.
    pub peer_id: String,
    /// The region's publishing key.
    #[schema(value_type = String)]
    pub public_key: PublicKey,
    /// The federation the node belongs to.
    #[schema(value_type = String)]
    pub federation_id: FederationId,
    /// Records stored (every version, retractions included).
    pub record_count: u64,
    /// Bytes the store takes on disk.
    pub store_bytes: u64,
    /// Seconds since the node started.
    pub uptime_secs: u64,
    /// Whether the node is ready to serve.
    pub ready: bool,
    /// Synchronisation per peer.
    pub sync: Vec<PeerSyncView>,
}

/// A peer the node knows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PeerView {
    /// The peer's libp2p id.
    pub peer_id: String,
    /// The region's name, when the peer announced it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The addresses it is known at (multiaddrs).
    pub addresses: Vec<String>,
    /// Whether a connection is open now.
    pub connected: bool,
    /// The last measured round trip, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtt_ms: Option<u64>,
}

/// The longest text `GET /api/v1/concepts` and the concept index search for, in characters: a
/// label is a few words, and a bound keeps the scan over every label cheap.
pub const MAX_CONCEPT_QUERY_CHARS: usize = 100;
/// The longest concept slug the API and the UI look up: the scheme's are a few words, and a
/// bound keeps a hostile path out of error messages.
pub const MAX_CONCEPT_SLUG_CHARS: usize = 100;
/// The most suggestions one answer carries: enough to pick from, small enough to show whole.
pub const MAX_CONCEPT_SUGGESTIONS: usize = 20;

/// A concept whose label contains the text a reader typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ConceptSuggestion {
    /// The concept's id (`mc:<slug>`).
    pub id: String,
    /// The concept's preferred label in the requested language (English, then any, when the
    /// scheme has none in it).
    pub label: String,
    /// The label that contains the typed text, as the scheme writes it.
    pub matched: String,
    /// The language of the matched label (a primary subtag, e.g. `ca`).
    pub language: String,
}

/// The answer of `GET /api/v1/concepts`: the concepts whose labels contain the typed text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ConceptSuggestions {
    /// At most 20 suggestions, labels in the requested language first.
    pub items: Vec<ConceptSuggestion>,
}

/// One concept of the node's scheme, with the narrower links the scheme only implies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ConceptView {
    /// The compact id, `mc:<slug>`.
    pub id: String,
    /// The preferred label per language.
    pub pref_labels: BTreeMap<String, String>,
    /// The alternative labels (synonyms, abbreviations, inflections) per language.
    pub alt_labels: BTreeMap<String, Vec<String>>,
    /// The definition per language, where the scheme has one.
    pub definitions: BTreeMap<String, String>,
    /// The ids of broader concepts.
    pub broader: Vec<String>,
    /// The ids of the concepts that name this one as broader.
    pub narrower: Vec<String>,
    /// The ids of related concepts.
    pub related: Vec<String>,
    /// EuroVoc concepts that mean the same.
    pub exact_match: Vec<String>,
    /// EuroVoc concepts that mean nearly the same.
    pub close_match: Vec<String>,
}

impl ConceptView {
    /// The view of `concept`, with its narrower concepts computed from `scheme`'s broader links
    /// (the scheme files state only one direction, so the two can never disagree).
    pub fn new(scheme: &ConceptScheme, concept: &Concept) -> Self {
        ConceptView {
            id: concept.id.clone(),
            pref_labels: concept.pref_labels.clone(),
            alt_labels: concept.alt_labels.clone(),
            definitions: concept.definitions.clone(),
            broader: concept.broader.clone(),
            narrower: narrower_concepts(scheme, &concept.id),
            related: concept.related.clone(),
            exact_match: concept.exact_match.clone(),
            close_match: concept.close_match.clone(),
        }
    }
}

/// The ids of the concepts of `scheme` that name `id` as broader, in scheme order.
pub fn narrower_concepts(scheme: &ConceptScheme, id: &str) -> Vec<String> {
    scheme
        .concepts()
        .iter()
        .filter(|c| c.broader.iter().any(|b| b == id))
        .map(|c| c.id.clone())
        .collect()
}

/// A concept's preferred label in `lang` (a primary subtag), else in English, else in the first
/// language it has: every concept of a checked scheme has all twelve, but an operator's file
/// may be read with another language list one day.
pub fn concept_label<'a>(concept: &'a Concept, lang: &str) -> &'a str {
    concept
        .pref_labels
        .get(lang)
        .or_else(|| concept.pref_labels.get("en"))
        .or_else(|| concept.pref_labels.values().next())
        .map_or(concept.id.as_str(), String::as_str)
}

/// How well a label fits a typed text, best first: (in another language than the reader's, not
/// at the label's start, the label's length in characters, the concept's place in the scheme).
type SuggestionRank = (bool, bool, usize, usize);

/// The concepts of `scheme` with a label containing `text` (case-folded, whitespace-normalised),
/// at most `limit`, one entry per concept: labels in `lang` first, then any language; within
/// each, labels that start with the text before those that contain it, then shorter labels
/// first (the closer fit), then scheme order. An empty text suggests nothing.
pub fn suggest_concepts(
    scheme: &ConceptScheme,
    text: &str,
    lang: &str,
    limit: usize,
) -> Vec<ConceptSuggestion> {
    let needle = normalise_label(text);
    if needle.is_empty() {
        return Vec::new();
    }
    // Per concept id: its best rank so far, the label that earned it and that label's language.
    let mut best: BTreeMap<&str, (SuggestionRank, &str, &str)> = BTreeMap::new();
    for (position, concept) in scheme.concepts().iter().enumerate() {
        let languages: std::collections::BTreeSet<&String> = concept
            .pref_labels
            .keys()
            .chain(concept.alt_labels.keys())
            .collect();
        for language in languages {
            for label in concept.labels(language) {
                let folded = normalise_label(label);
                let Some(at) = folded.find(&needle) else {
                    continue;
                };
                let rank = (language != lang, at != 0, folded.chars().count(), position);
                let entry = best
                    .entry(concept.id.as_str())
                    .or_insert((rank, label, language));
                if rank < entry.0 {
                    *entry = (rank, label, language);
                }
            }
        }
    }
    let mut ranked: Vec<_> = best.into_iter().collect();
    ranked.sort_by_key(|(_, (rank, _, _))| *rank);
    ranked
        .into_iter()
        .take(limit)
        .filter_map(|(id, (_, matched, language))| {
            let concept = scheme.get(id)?;
            Some(ConceptSuggestion {
                id: id.to_owned(),
                label: concept_label(concept, lang).to_owned(),
                matched: matched.to_owned(),
                language: language.to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(entries: &[(&str, &str)]) -> LangMap {
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn langs(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn language_choice_prefers_exact_then_primary_then_english() {
        let map = texts(&[
            ("ca", "Sol·licituds"),
            ("en", "Requests"),
            ("it", "Richieste"),
            ("pt-BR", "Pedidos"),
        ]);
        assert_eq!(
            pick_language(&map, &langs(&["it"])),
            Some(("it", "Richieste"))
        );
        assert_eq!(
            pick_language(&map, &langs(&["it-IT"])),
            Some(("it", "Richieste"))
        );
        assert_eq!(
            pick_language(&map, &langs(&["pt"])),
            Some(("pt-BR", "Pedidos"))
        );
        assert_eq!(
            pick_language(&map, &langs(&["fi", "CA"])),
            Some(("ca", "Sol·licituds"))
        );
        assert_eq!(
            pick_language(&map, &langs(&["fi"])),
            Some(("en", "Requests"))
        );
        assert_eq!(
            pick_language(&texts(&[("nl", "Verzoeken")]), &[]),
            Some(("nl", "Verzoeken"))
        );
        assert_eq!(pick_language(&LangMap::new(), &langs(&["it"])), None);
    }

    #[test]
    fn suggestions_are_one_per_concept_reader_language_first_and_bounded() {
        let scheme = ConceptScheme::builtin();
        assert!(suggest_concepts(&scheme, "   ", "it", 20).is_empty());
        let found = suggest_concepts(&scheme, "TRADUZIONE", "it", 20);
        let ids: Vec<&str> = found.iter().map(|s| s.id.as_str()).collect();
        let unique: std::collections::BTreeSet<&str> = ids.iter().copied().collect();
        assert_eq!(ids.len(), unique.len(), "{ids:?}");
        assert_eq!(found[0].id, "mc:machine-translation");
        assert_eq!(found[0].matched, "traduzione");
        assert_eq!(found[0].language, "it");
        // A Finnish name typed on an Italian page: found, named in Italian.
        let finnish = suggest_concepts(&scheme, "konekäännös", "it", 20);
        assert_eq!(finnish[0].label, "traduzione automatica");
        assert_eq!(finnish[0].language, "fi");
        assert_eq!(suggest_concepts(&scheme, "e", "en", 7).len(), 7);
        // Narrower concepts come from the other concepts' broader links.
        assert!(
            narrower_concepts(&scheme, "mc:machine-translation")
                .contains(&"mc:speech-translation".to_owned())
        );
    }
}
