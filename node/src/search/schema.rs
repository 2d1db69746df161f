//! The index's schema and the one function that turns a record into a document.
//!
//! Only what search needs is indexed, and only the record id is stored: pages are built from the
//! store, which stays the source of truth, so the index never serves stale text.

use mosaico_protocol::{Record, RecordId, Verified};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{Index, TantivyDocument};

use super::analysis::Analysis;
use super::concepts::ConceptMatcher;

/// Bumped whenever the schema or the analysis changes, so that an index written by another
/// version is rebuilt at start instead of answering wrongly.
pub const INDEX_SCHEMA_VERSION: u32 = 2;

/// The fields, resolved once.
#[derive(Debug, Clone)]
pub struct Fields {
    /// Hex record id, stored: how a hit finds its record in the store.
    pub id: Field,
    /// First eight bytes of the id: the tie-breaker of every sort order.
    pub id_prefix: Field,
    /// The logical key, hex of its encoding: what a new head replaces.
    pub key: Field,
    /// Creation time of the version, for `newest` and `updated_since`.
    pub created_at: Field,
    /// 1 for content kinds, 0 for trust records (listed only when asked for by kind).
    pub content: Field,
    /// Facets and filters (raw terms).
    pub kind: Field,
    pub theme: Field,
    pub technology: Field,
    pub technology_folded: Field,
    pub country: Field,
    pub status: Field,
    pub author: Field,
    /// Every prefix of the NUTS code from two characters: `ITH5` is indexed as IT, ITH, ITH5.
    pub nuts_prefix: Field,
    /// Primary subtags of the languages the record has a title or summary in.
    pub lang: Field,
    /// The title used for `sort=title`, lower-cased.
    pub title_sort: Field,
    /// Per analysis: (title field, body field).
    pub text: Vec<(Analysis, Field, Field)>,
    /// Every concept the record carries, once: the concept filter and facet.
    pub concept: Field,
    /// Concept ids once per occurrence in the titles, and in the rest of the text (with the
    /// signed ones): ranked like words, so a record about a concept outranks one that names it
    /// in passing.
    pub concept_title: Field,
    pub concept_body: Field,
}

impl Fields {
    /// The text fields of `analysis`.
    pub fn text_fields(&self, analysis: Analysis) -> (Field, Field) {
        self.text
            .iter()
            .find(|(a, _, _)| *a == analysis)
            .map(|(_, title, body)| (*title, *body))
            // `text` holds every analysis: `Fields::new` builds it from `Analysis::all`.
            .unwrap_or_else(|| (self.text[0].1, self.text[0].2))
    }
}

/// The schema and its fields.
pub fn build_schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let raw_fast = STRING | FAST;
    let mut text = Vec::new();
    let concept_occurrences = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("raw")
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    for analysis in Analysis::all() {
        // Frequencies without positions: there are no phrase queries, and positions would
        // double the postings.
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(&analysis.tokenizer_name())
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let title = builder.add_text_field(&format!("title_{}", analysis.code()), options.clone());
        let body = builder.add_text_field(&format!("body_{}", analysis.code()), options);
        text.push((analysis, title, body));
    }
    let fields = Fields {
        id: builder.add_text_field("id", STRING | STORED),
        id_prefix: builder.add_u64_field("id_prefix", FAST),
        key: builder.add_text_field("key", STRING),
        created_at: builder.add_u64_field("created_at", INDEXED | FAST),
        content: builder.add_u64_field("content", INDEXED),
        kind: builder.add_text_field("kind", raw_fast.clone()),
        theme: builder.add_text_field("theme", raw_fast.clone()),
        technology: builder.add_text_field("technology", raw_fast.clone()),
        technology_folded: builder.add_text_field("technology_folded", STRING),
        country: builder.add_text_field("country", raw_fast.clone()),
        status: builder.add_text_field("status", raw_fast.clone()),
        author: builder.add_text_field("author", STRING),
        nuts_prefix: builder.add_text_field("nuts_prefix", STRING),
        lang: builder.add_text_field("lang", STRING),
        title_sort: builder.add_text_field("title_sort", raw_fast.clone()),
        text,
        concept: builder.add_text_field("concept", raw_fast),
        concept_title: builder.add_text_field("concept_title", concept_occurrences.clone()),
        concept_body: builder.add_text_field("concept_body", concept_occurrences),
    };
    (builder.build(), fields)
}

/// Registers the analysers under the names the schema refers to. Tantivy does not persist them,
/// so every opened index needs this.
pub fn register_analyzers(index: &Index) {
    for analysis in Analysis::all() {
        index
            .tokenizers()
            .register(&analysis.tokenizer_name(), analysis.analyzer());
    }
}

/// The first eight bytes of an id, big-endian.
pub fn id_prefix(id: &RecordId) -> u64 {
    let mut prefix = [0u8; 8];
    prefix.copy_from_slice(&id.as_bytes()[..8]);
    u64::from_be_bytes(prefix)
}

/// The term that identifies a logical record's document.
pub fn key_text(record: &Record<Verified>) -> String {
    hex::encode(crate::store::encode_logical_key(&record.logical_key()))
}

/// The title `sort=title` orders by: English when there is one, else the first language, folded
/// to lower case. One fixed choice keeps the order (and so the cursors) the same for every reader.
pub fn title_sort_text(record: &Record<Verified>) -> String {
    mosaico_web::views::pick_language(&record.body().title, &[])
        .map(|(_, title)| title.trim().to_lowercase())
        .unwrap_or_default()
}

/// The document of a head, with the concepts `matcher` finds in it. Retractions are never
/// indexed: the caller removes their key instead.
pub fn document(
    fields: &Fields,
    matcher: &mut ConceptMatcher,
    record: &Record<Verified>,
) -> TantivyDocument {
    let header = record.header();
    let body = record.body();
    let mut doc = TantivyDocument::default();
    let id = record.id();
    doc.add_text(fields.id, id.to_hex());
    doc.add_u64(fields.id_prefix, id_prefix(&id));
    doc.add_text(fields.key, key_text(record));
    doc.add_u64(fields.created_at, header.created_at);
    doc.add_u64(fields.content, u64::from(header.kind.is_content()));
    doc.add_text(fields.kind, header.kind.as_str());
    doc.add_text(fields.author, header.author.to_hex());
    for theme in &body.themes {
        doc.add_text(fields.theme, theme.as_str());
    }
    for technology in &body.technologies {
        doc.add_text(fields.technology, technology);
        doc.add_text(fields.technology_folded, technology.to_lowercase());
    }
    if let Some(country) = &body.country {
        doc.add_text(fields.country, country);
    }
    if let Some(status) = &body.status {
        doc.add_text(fields.status, status.as_str());
    }
    if let Some(nuts) = &body.nuts {
        for end in 2..=nuts.len() {
            if let Some(prefix) = nuts.get(..end) {
                doc.add_text(fields.nuts_prefix, prefix);
            }
        }
    }
    let mut langs: Vec<String> = body
        .title
        .keys()
        .chain(body.summary.keys())
        .map(|tag| primary_subtag(tag))
        .collect();
    langs.sort();
    langs.dedup();
    for lang in langs {
        doc.add_text(fields.lang, lang);
    }
    doc.add_text(fields.title_sort, title_sort_text(record));
    let concepts = matcher.record_concepts(record);
    for id in concepts.distinct() {
        doc.add_text(fields.concept, id);
    }
    for id in &concepts.in_title {
        doc.add_text(fields.concept_title, id);
    }
    for id in &concepts.in_body {
        doc.add_text(fields.concept_body, id);
    }

    // Every text also goes to the plain fields, unstemmed: typo tolerance compares the words as
    // written there, since a typo can change what a stemmer cuts off ("smistamneto" stems to
    // "smistamnet", "smistamento" to "smist").
    let (plain_title, plain_body) = fields.text_fields(Analysis::Plain);
    for (tag, title) in &body.title {
        let analysis = Analysis::for_tag(tag);
        if analysis != Analysis::Plain {
            doc.add_text(fields.text_fields(analysis).0, title);
        }
        doc.add_text(plain_title, title);
    }
    for (tag, text) in body.summary.iter().chain(&body.description) {
        let analysis = Analysis::for_tag(tag);
        if analysis != Analysis::Plain {
            doc.add_text(fields.text_fields(analysis).1, text);
        }
        doc.add_text(plain_body, text);
    }
    // Language-neutral words (tags, technologies, the organisation) are searchable as written.
    for word in body
        .tags
        .iter()
        .chain(&body.technologies)
        .chain(body.organisation.iter())
    {
        doc.add_text(plain_body, word);
    }
    doc
}

/// The primary subtag of a BCP 47 tag, lower-cased (`pt-BR` → `pt`).
pub fn primary_subtag(tag: &str) -> String {
    tag.split('-').next().unwrap_or(tag).to_ascii_lowercase()
}
