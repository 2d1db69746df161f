//! The full-text search index: a tantivy index derived from the store.
//!
//! The store stays the source of truth. The index holds one document per live head (retracted
//! heads and older versions are not searchable; history is served from the store), analysed per
//! language (see [`analysis`]). It lives in `DATA/search/` next to a marker file recording the
//! schema version and how many records the index reflects; at start an index that is missing,
//! of another schema version or out of step with the store is rebuilt (see [`ensure_fresh`]),
//! and `mosaico reindex` rebuilds it on demand. While the node runs, [`indexer`] follows the
//! node's events and commits in small batches, so a record is searchable within a second.
//!
//! Reads go straight from HTTP to [`SearchIndex::search`], which answers ids in order with exact
//! facet counts; the backend then loads the page's records from the store.

pub mod analysis;
mod collect;
pub mod command;
pub mod concepts;
pub mod indexer;
mod schema;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};

use mosaico_protocol::{Record, RecordId, Verified};
use mosaico_web::{Facets, RecordQuery, Sort};
use serde::{Deserialize, Serialize};
use tantivy::directory::MmapDirectory;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, FuzzyTermQuery,
    Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, Value as _};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::store::{RecordStore, StoreError};
use analysis::{Analysis, terms, terms_at, within_one_edit};
use collect::{Order, PageCollector, SortKey};
use concepts::{ConceptMatcher, LanguageBasis, QueryConcepts};
use mosaico_protocol::concepts::{ConceptScheme, SchemeError};
use mosaico_web::views::{MatchWhy, MatchedConcept, QueryLanguageSource, QueryReading};
pub use schema::INDEX_SCHEMA_VERSION;
use schema::{Fields, build_schema, document, key_text, primary_subtag, register_analyzers};
use std::sync::Arc;

/// Title matches weigh this much more than matches in the summary and description.
const TITLE_BOOST: f32 = 3.0;
/// A match within one typo weighs this fraction of an exact one, so exact matches rank first.
const FUZZY_WEIGHT: f32 = 0.4;
/// Words this long or longer tolerate one typo; shorter ones would match too much.
const FUZZY_MIN_CHARS: usize = 5;
/// What a record scores for each unit of the query it matches (a concept the query matched, or a
/// word outside them), before the weights below: records matching more of what the user asked
/// for come first, and the weighted scores order records matching as many.
const UNIT_SCORE: f32 = 100.0;
/// A concept the query matched weighs this much, per title or body occurrence in the record, as
/// a query word does.
const CONCEPT_WEIGHT: f32 = 1.0;
/// When the query matched concepts, a word outside them weighs this much: it still ranks
/// records that have it first, but a record is found through the concepts even without it
/// (its text may be in another language).
const RESIDUAL_WEIGHT: f32 = 0.3;
/// A word inside a concept's match weighs this much as text: the concept already counts it.
const COVERED_WORD_WEIGHT: f32 = 0.02;
/// Text matches in the query's own language weigh this much more than in others.
const QUERY_LANGUAGE_BOOST: f32 = 1.2;
/// Query words considered; the web layer already caps the query at 200 characters.
const MAX_QUERY_WORDS: usize = 16;
/// Characters of a snippet.
const SNIPPET_CHARS: usize = 200;
/// Indexing memory of the writer that follows live events (tantivy's minimum per thread).
const LIVE_WRITER_BYTES: usize = 15_000_000;
/// Indexing memory of a full rebuild, split over two threads (the development machine's cores).
/// Twice this was no faster on 100,000 records and only raised the node's peak memory.
const REBUILD_WRITER_BYTES: usize = 50_000_000;
/// The marker file, next to tantivy's own files.
const MARKER_FILE: &str = "mosaico-search.json";

/// Where the index of the data directory at `root` lives.
pub fn index_dir(root: &Path) -> PathBuf {
    root.join("search")
}

/// What can go wrong with the search index.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// Tantivy failed (I/O, a damaged index).
    #[error("the search index failed: {0}; rebuild it with `mosaico reindex`")]
    Index(#[from] tantivy::TantivyError),
    /// The index directory cannot be created, opened or cleared.
    #[error("the search index directory {path} cannot be used: {source}")]
    Io {
        /// The directory or file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A concept scheme file of the data directory cannot be read or is malformed.
    #[error("the concept scheme cannot be loaded: {0}")]
    Scheme(String),
    /// The store failed while the index was being built.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The client's cursor does not fit this order.
    #[error("{0}")]
    BadCursor(String),
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> SearchError + '_ {
    move |source| SearchError::Io {
        path: path.to_owned(),
        source,
    }
}

/// What the marker file records: the index reflects `records` stored records (all versions) under
/// schema `schema_version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    /// [`INDEX_SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// `RecordStore::len` when the index last matched the store.
    pub records: u64,
    /// The fingerprint of the concept scheme the derived concepts come from (0 when the index
    /// was written before concepts were derived).
    #[serde(default)]
    pub scheme: u64,
}

/// One hit of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The head's id.
    pub id: RecordId,
    /// Its position, for the next page's cursor.
    pub sort_key: String,
}

/// The index's answer to a query: ids in order, the total and the facets over the whole result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchResult {
    /// The page's hits, in order.
    pub hits: Vec<Hit>,
    /// How many heads match.
    pub total: u64,
    /// Whether more hits follow the page.
    pub has_more: bool,
    /// Facet counts over every match.
    pub facets: Facets,
    /// How the text query was read.
    pub reading: mosaico_web::views::QueryReading,
}

/// The search index: tantivy's index, a reader, and the analysers.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    analyzers: Vec<(Analysis, TextAnalyzer)>,
    /// The concept scheme queries and records are matched against, analysed.
    matcher: ConceptMatcher,
    /// The directory, or `None` in memory.
    dir: Option<PathBuf>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("dir", &self.dir)
            .field("docs", &self.reader.searcher().num_docs())
            .finish()
    }
}

impl SearchIndex {
    /// An empty index in memory with the built-in concept scheme, for tests.
    pub fn in_memory() -> Result<SearchIndex, SearchError> {
        Self::in_memory_with(Arc::new(ConceptScheme::builtin()))
    }

    /// An empty index in memory matching `scheme`.
    pub fn in_memory_with(scheme: Arc<ConceptScheme>) -> Result<SearchIndex, SearchError> {
        let (schema, _) = build_schema();
        Self::from_index(Index::create_in_ram(schema), None, scheme)
    }

    /// Opens the index in `dir` with the built-in concept scheme, creating an empty one if there
    /// is none.
    pub fn open(dir: &Path) -> Result<SearchIndex, SearchError> {
        Self::open_with(dir, Arc::new(ConceptScheme::builtin()))
    }

    /// Opens the index in `dir`, matching `scheme`, creating an empty one if there is none.
    pub fn open_with(dir: &Path, scheme: Arc<ConceptScheme>) -> Result<SearchIndex, SearchError> {
        std::fs::create_dir_all(dir).map_err(io_error(dir))?;
        let (schema, _) = build_schema();
        let directory = MmapDirectory::open(dir).map_err(|e| SearchError::Io {
            path: dir.to_owned(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let index = Index::open_or_create(directory, schema)?;
        Self::from_index(index, Some(dir.to_owned()), scheme)
    }

    fn from_index(
        index: Index,
        dir: Option<PathBuf>,
        scheme: Arc<ConceptScheme>,
    ) -> Result<SearchIndex, SearchError> {
        register_analyzers(&index);
        let (_, fields) = build_schema();
        // Reloaded by the writer after each commit, not on a timer: a commit is the only change.
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let analyzers = Analysis::all().map(|a| (a, a.analyzer())).collect();
        Ok(SearchIndex {
            index,
            reader,
            fields,
            analyzers,
            matcher: ConceptMatcher::new(scheme),
            dir,
        })
    }

    /// The marker, when the index is on disk and has one.
    pub fn marker(&self) -> Option<Marker> {
        let path = self.dir.as_ref()?.join(MARKER_FILE);
        let bytes = std::fs::read(path).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Records that the index reflects `records` stored records. Written after the commit, so a
    /// crash in between leaves an older count and the next start rebuilds.
    pub fn write_marker(&self, records: u64) -> Result<(), SearchError> {
        let Some(dir) = &self.dir else { return Ok(()) };
        let marker = Marker {
            schema_version: INDEX_SCHEMA_VERSION,
            records,
            scheme: self.matcher.fingerprint(),
        };
        let path = dir.join(MARKER_FILE);
        let temporary = dir.join(format!("{MARKER_FILE}.tmp"));
        // A struct of two numbers always serializes.
        let bytes = serde_json::to_vec(&marker).unwrap_or_default();
        std::fs::write(&temporary, bytes).map_err(io_error(&temporary))?;
        std::fs::rename(&temporary, &path).map_err(io_error(&path))
    }

    /// The concept scheme queries and records are matched against.
    pub fn scheme(&self) -> Arc<ConceptScheme> {
        Arc::clone(self.matcher.scheme())
    }

    /// Number of searchable heads.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// A writer that follows live events (one thread, small memory).
    pub fn live_writer(&self) -> Result<SearchWriter, SearchError> {
        self.writer(1, LIVE_WRITER_BYTES)
    }

    /// A writer for indexing many records at once (two threads, more memory). Only one writer
    /// can exist at a time: drop the live writer first.
    pub fn bulk_writer(&self) -> Result<SearchWriter, SearchError> {
        self.writer(2, REBUILD_WRITER_BYTES)
    }

    fn writer(&self, threads: usize, bytes: usize) -> Result<SearchWriter, SearchError> {
        Ok(SearchWriter {
            writer: self.index.writer_with_num_threads(threads, bytes)?,
            fields: self.fields.clone(),
            matcher: self.matcher.clone(),
            reader: self.reader.clone(),
        })
    }

    /// Searches: ids of one page in order, the total and exact facet counts.
    pub fn search(&self, query: &RecordQuery) -> Result<SearchResult, SearchError> {
        let searcher = self.reader.searcher();
        let order = match query.sort {
            Sort::Relevance => Order::Relevance,
            Sort::Newest => Order::Newest,
            Sort::Title => Order::Title,
        };
        let after = match &query.cursor {
            None => None,
            Some(cursor) => {
                let key = match order {
                    Order::Title => SortKey::Text(cursor.sort_key.clone()),
                    Order::Relevance | Order::Newest => {
                        SortKey::Number(cursor.sort_key.parse().map_err(|_| {
                            SearchError::BadCursor(
                                "the cursor does not belong to this order; start again from the first page"
                                    .into(),
                            )
                        })?)
                    }
                };
                Some((key, schema::id_prefix(&cursor.id)))
            }
        };
        let collector = PageCollector {
            order,
            after,
            want: query.limit + 1,
        };
        let read = query.q.as_deref().map(|q| self.read_query(q, query));
        let built = self.build_query(&searcher, query, read.as_ref());
        let mut fruit = searcher.search(&*built, &collector)?;
        let has_more = fruit.candidates.len() > query.limit;
        fruit.candidates.truncate(query.limit);
        let mut hits = Vec::with_capacity(fruit.candidates.len());
        for candidate in fruit.candidates {
            let doc: TantivyDocument = searcher.doc(candidate.doc)?;
            let id = doc
                .get_first(self.fields.id)
                .and_then(|v| v.as_str())
                .and_then(|hex| hex.parse::<RecordId>().ok());
            match id {
                Some(id) => hits.push(Hit {
                    id,
                    sort_key: candidate.key.to_cursor_text(),
                }),
                None => tracing::warn!("a search document has no valid id; run `mosaico reindex`"),
            }
        }
        Ok(SearchResult {
            hits,
            total: fruit.total,
            has_more,
            facets: fruit.facets,
            reading: read.map(|r| self.reading(&r)).unwrap_or_default(),
        })
    }

    /// Reads the text query: its language and the concepts it matched.
    pub fn read_query(&self, q: &str, query: &RecordQuery) -> QueryConcepts {
        self.matcher.clone().read_query(
            q,
            query.query_lang.as_deref(),
            query.ui_lang.as_deref(),
            &query.accept_languages,
        )
    }

    /// How the query was read, as the API tells it.
    fn reading(&self, read: &QueryConcepts) -> QueryReading {
        let lang = read.language.map(|(l, _)| l);
        let scheme = self.matcher.scheme();
        QueryReading {
            language: lang.map(str::to_owned),
            language_source: read.language.map(|(_, basis)| match basis {
                LanguageBasis::Explicit => QueryLanguageSource::Explicit,
                LanguageBasis::Detected => QueryLanguageSource::Detected,
                LanguageBasis::Interface => QueryLanguageSource::Interface,
                LanguageBasis::AcceptLanguage => QueryLanguageSource::AcceptLanguage,
            }),
            concepts: read
                .concepts
                .iter()
                .map(|(index, matched)| {
                    let concept = &scheme.concepts()[*index];
                    MatchedConcept {
                        id: concept.id.clone(),
                        matched: matched.clone(),
                        label: lang
                            .and_then(|l| concept.pref_labels.get(l))
                            .or_else(|| concept.pref_labels.get("en"))
                            .cloned()
                            .unwrap_or_else(|| concept.id.clone()),
                    }
                })
                .collect(),
            expanded: !read.concepts.is_empty(),
            notice: read.notice.clone(),
        }
    }

    fn build_query(
        &self,
        searcher: &tantivy::Searcher,
        query: &RecordQuery,
        read: Option<&QueryConcepts>,
    ) -> Box<dyn Query> {
        let f = &self.fields;
        let raw = |field: Field, text: &str| -> Box<dyn Query> {
            Box::new(ConstScoreQuery::new(
                Box::new(TermQuery::new(
                    Term::from_field_text(field, text),
                    IndexRecordOption::Basic,
                )),
                0.0,
            ))
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        match &query.kind {
            Some(kind) => clauses.push((Occur::Must, raw(f.kind, kind.as_str()))),
            None => clauses.push((
                Occur::Must,
                Box::new(ConstScoreQuery::new(
                    Box::new(TermQuery::new(
                        Term::from_field_u64(f.content, 1),
                        IndexRecordOption::Basic,
                    )),
                    0.0,
                )),
            )),
        }
        if let Some(theme) = &query.theme {
            clauses.push((Occur::Must, raw(f.theme, theme.as_str())));
        }
        if let Some(technology) = &query.technology {
            clauses.push((
                Occur::Must,
                raw(f.technology_folded, &technology.to_lowercase()),
            ));
        }
        if let Some(country) = &query.country {
            clauses.push((Occur::Must, raw(f.country, country)));
        }
        if let Some(nuts) = &query.nuts {
            clauses.push((Occur::Must, raw(f.nuts_prefix, nuts)));
        }
        if let Some(status) = &query.status {
            clauses.push((Occur::Must, raw(f.status, status.as_str())));
        }
        if let Some(author) = &query.author {
            clauses.push((Occur::Must, raw(f.author, &author.to_hex())));
        }
        if let Some(lang) = &query.lang {
            clauses.push((Occur::Must, raw(f.lang, &primary_subtag(lang))));
        }
        if let Some(concept) = &query.concept {
            clauses.push((Occur::Must, raw(f.concept, concept)));
        }
        if let Some(since) = query.updated_since {
            clauses.push((
                Occur::Must,
                Box::new(ConstScoreQuery::new(
                    Box::new(RangeQuery::new(
                        Bound::Included(Term::from_field_u64(f.created_at, since)),
                        Bound::Unbounded,
                    )),
                    0.0,
                )),
            ));
        }
        if let Some(q) = &query.q {
            let text = match read {
                Some(read) if !read.concepts.is_empty() => self.concept_query(searcher, q, read),
                _ => self.text_query(searcher, q, read.and_then(|r| r.language).map(|(l, _)| l)),
            };
            match text {
                Some(text) => clauses.push((Occur::Must, text)),
                // Nothing searchable in the query (punctuation only): nothing matches.
                None => return Box::new(tantivy::query::EmptyQuery),
            }
        }
        if clauses.is_empty() {
            return Box::new(AllQuery);
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// The words of `q`, lower-cased but with their accents (the stemmers need them).
    fn query_words(&self, q: &str) -> Vec<String> {
        q.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .take(MAX_QUERY_WORDS)
            .collect()
    }

    fn analyzer(&self, analysis: Analysis) -> TextAnalyzer {
        self.analyzers
            .iter()
            .find(|(a, _)| *a == analysis)
            .map(|(_, analyzer)| analyzer.clone())
            .unwrap_or_else(|| analysis.analyzer())
    }

    /// Every word must match in some language's title or body, exactly (after stemming) or within
    /// one typo; a word that is a stop word in some language is optional, since the text in that
    /// language does not index it ("del", "the", "de").
    fn text_query(
        &self,
        searcher: &tantivy::Searcher,
        q: &str,
        query_lang: Option<&str>,
    ) -> Option<Box<dyn Query>> {
        let live = self.live_text_fields(searcher);
        let query_analysis = query_lang.map(Analysis::for_tag);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for word in self.query_words(q) {
            let (alternatives, stop_word) = self.word_alternatives(&live, &word, query_analysis);
            if alternatives.is_empty() {
                if stop_word {
                    continue;
                }
                // A word no field can match: the whole query matches nothing.
                return Some(Box::new(tantivy::query::EmptyQuery));
            }
            let occur = if stop_word {
                Occur::Should
            } else {
                Occur::Must
            };
            clauses.push((
                occur,
                Box::new(DisjunctionMaxQuery::with_tie_breaker(alternatives, 0.1)),
            ));
        }
        if clauses.is_empty() {
            return None;
        }
        Some(Box::new(BooleanQuery::new(clauses)))
    }

    /// A query that matched concepts: records carrying any of them, or having any of the words in
    /// any language, in one ranking. The concepts weigh most, and the same whatever language the
    /// query is in, so a translation ranks records as the original does; words outside the
    /// concepts rank the records that have them first.
    fn concept_query(
        &self,
        searcher: &tantivy::Searcher,
        q: &str,
        read: &QueryConcepts,
    ) -> Option<Box<dyn Query>> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (index, _) in &read.concepts {
            let id = self.matcher.id(*index);
            let occurrences: Vec<(Occur, Box<dyn Query>)> =
                [(f.concept_title, TITLE_BOOST), (f.concept_body, 1.0)]
                    .into_iter()
                    .map(|(field, boost)| -> (Occur, Box<dyn Query>) {
                        (
                            Occur::Should,
                            Box::new(BoostQuery::new(
                                Box::new(TermQuery::new(
                                    Term::from_field_text(field, id),
                                    IndexRecordOption::WithFreqs,
                                )),
                                boost,
                            )),
                        )
                    })
                    .collect();
            clauses.push((
                Occur::Should,
                unit(Box::new(BooleanQuery::new(occurrences)), CONCEPT_WEIGHT),
            ));
        }
        let covered: Vec<String> = read
            .concepts
            .iter()
            .flat_map(|(_, matched)| self.query_words(matched))
            .collect();
        let live = self.live_text_fields(searcher);
        let query_analysis = read.language.map(|(l, _)| Analysis::for_tag(l));
        for word in self.query_words(q) {
            let (alternatives, stop_word) = self.word_alternatives(&live, &word, query_analysis);
            if alternatives.is_empty() || stop_word {
                continue;
            }
            let words = Box::new(DisjunctionMaxQuery::with_tie_breaker(alternatives, 0.1));
            let clause: Box<dyn Query> = if covered.contains(&word) {
                // Inside a concept: the concept is the unit; the word only breaks near-ties.
                Box::new(BoostQuery::new(words, COVERED_WORD_WEIGHT))
            } else {
                unit(words, RESIDUAL_WEIGHT)
            };
            clauses.push((Occur::Should, clause));
        }
        Some(Box::new(BooleanQuery::new(clauses)))
    }

    /// The text fields that hold any term: querying empty ones only costs time.
    fn live_text_fields(&self, searcher: &tantivy::Searcher) -> Vec<(Analysis, Field, Field)> {
        let nonempty = |field: Field| {
            searcher.segment_readers().iter().any(|segment| {
                segment
                    .inverted_index(field)
                    .map(|index| index.terms().num_terms() > 0)
                    .unwrap_or(false)
            })
        };
        let live: Vec<(Analysis, Field, Field)> = self
            .fields
            .text
            .iter()
            .filter(|(_, title, body)| nonempty(*title) || nonempty(*body))
            .copied()
            .collect();
        live
    }

    /// Every way `word` can match: its stem in each live language's title and body (the query's
    /// own language a little higher), and within one typo on the plain fields. Also whether it
    /// is a stop word in some language, so optional.
    fn word_alternatives(
        &self,
        live: &[(Analysis, Field, Field)],
        word: &str,
        query_analysis: Option<Analysis>,
    ) -> (Vec<Box<dyn Query>>, bool) {
        let fuzzy = word.chars().count() >= FUZZY_MIN_CHARS;
        let mut stop_word = false;
        for (analysis, _) in &self.analyzers {
            if terms(&mut self.analyzer(*analysis), word).is_empty() {
                stop_word = true;
            }
        }
        let mut alternatives: Vec<Box<dyn Query>> = Vec::new();
        for (analysis, title, body) in live {
            let language_boost = if Some(*analysis) == query_analysis {
                QUERY_LANGUAGE_BOOST
            } else {
                1.0
            };
            for stem in terms(&mut self.analyzer(*analysis), word) {
                for (field, boost) in [(*title, TITLE_BOOST), (*body, 1.0)] {
                    let term = Term::from_field_text(field, &stem);
                    alternatives.push(Box::new(BoostQuery::new(
                        Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                        boost * language_boost,
                    )));
                    // Typos are matched on the plain fields, which hold every text as
                    // written: a stem of a misspelt word can be far from the right stem.
                    if fuzzy && *analysis == Analysis::Plain {
                        alternatives.push(Box::new(BoostQuery::new(
                            Box::new(FuzzyTermQuery::new(term, 1, true)),
                            boost * FUZZY_WEIGHT,
                        )));
                    }
                }
            }
        }
        (alternatives, stop_word)
    }

    /// Why `record` matched the text query `q` whose concepts were `concepts` (ids), and a
    /// snippet of its summary and description with what matched marked: the query's words
    /// (stemmed in the text's language, or within one typo) and the words through which the
    /// record carries one of the concepts. HTML-escaped but for the `<mark>`s; the language
    /// shown (`lang`) is tried first. The snippet is `None` when no summary or description
    /// matches (the title alone may have).
    pub fn annotate(
        &self,
        record: &Record<Verified>,
        q: &str,
        concepts: &[String],
        lang: Option<&str>,
    ) -> (Option<String>, MatchWhy) {
        let body = record.body();
        let mut matcher = self.matcher.clone();
        let words = self.query_words(q);
        let mut plain = self.analyzer(Analysis::Plain);
        // Typos are judged on the words as written, as the fuzzy queries do.
        let typo_words: Vec<String> = words
            .iter()
            .filter(|w| w.chars().count() >= FUZZY_MIN_CHARS)
            .flat_map(|w| terms(&mut plain, w))
            .collect();
        // The terms of `text` in `tag` that the query reaches, and the concepts it carries.
        let mut reached = |tag: &str, text: &str| -> (BTreeMap<String, f32>, bool, Vec<String>) {
            let mut analyzer = self.analyzer(Analysis::for_tag(tag));
            let query_stems: Vec<String> =
                words.iter().flat_map(|w| terms(&mut analyzer, w)).collect();
            let written: BTreeMap<usize, String> = terms_at(&mut plain, text).into_iter().collect();
            let mut carried = Vec::new();
            let mut spans = Vec::new();
            for found in matcher.find(tag, text) {
                let id = matcher.id(found.concept);
                if concepts.iter().any(|c| c == id) {
                    carried.push(id.to_owned());
                    spans.push(found.start..found.end);
                }
            }
            let mut wanted: BTreeMap<String, f32> = BTreeMap::new();
            let mut words_hit = false;
            for (offset, stem) in terms_at(&mut analyzer, text) {
                let typo = written
                    .get(&offset)
                    .is_some_and(|word| typo_words.iter().any(|typo| within_one_edit(typo, word)));
                let word = typo || query_stems.contains(&stem);
                words_hit |= word;
                if word || spans.iter().any(|span| span.contains(&offset)) {
                    wanted.insert(stem, 1.0);
                }
            }
            (wanted, words_hit, carried)
        };
        let mut why = MatchWhy::default();
        let note = |why: &mut MatchWhy, tag: &str, words: bool, carried: Vec<String>| {
            let primary = primary_subtag(tag);
            if words && !why.text.contains(&primary) {
                why.text.push(primary);
            }
            for id in carried {
                if !why.concepts.contains(&id) {
                    why.concepts.push(id);
                }
            }
        };
        for (tag, title) in &body.title {
            let (_, words_hit, carried) = reached(tag, title);
            note(&mut why, tag, words_hit, carried);
        }
        let mut texts: BTreeMap<&str, String> = BTreeMap::new();
        for (tag, text) in body.summary.iter().chain(&body.description) {
            let entry = texts.entry(tag.as_str()).or_default();
            if !entry.is_empty() {
                entry.push_str(" — ");
            }
            entry.push_str(text);
        }
        let mut order: Vec<&str> = lang.into_iter().filter(|l| texts.contains_key(l)).collect();
        order.extend(texts.keys().filter(|t| Some(**t) != lang));
        let mut snippet = None;
        for tag in order {
            let text = &texts[tag];
            let (wanted, words_hit, carried) = reached(tag, text);
            note(&mut why, tag, words_hit, carried);
            if wanted.is_empty() || snippet.is_some() {
                continue;
            }
            let analyzer = self.analyzer(Analysis::for_tag(tag));
            // The generator is only asked for text, so the field is never read.
            let generator = SnippetGenerator::new(wanted, analyzer, self.fields.id, SNIPPET_CHARS);
            let mut passage = generator.snippet(text);
            if passage.is_empty() {
                continue;
            }
            passage.set_snippet_prefix_postfix("<mark>", "</mark>");
            snippet = Some(passage.to_html());
        }
        // Concepts its author signed, and those mapped from its technologies, count too.
        for id in matcher.stated_concepts(record) {
            if concepts.contains(&id) && !why.concepts.contains(&id) {
                why.concepts.push(id);
            }
        }
        (snippet, why)
    }

    /// The snippet alone (see [`SearchIndex::annotate`]), for a query without concepts.
    pub fn snippet(
        &self,
        record: &Record<Verified>,
        q: &str,
        lang: Option<&str>,
    ) -> Option<String> {
        self.annotate(record, q, &[], lang).0
    }
}

/// The writer: adds, replaces and removes heads, then commits.
pub struct SearchWriter {
    writer: IndexWriter,
    fields: Fields,
    /// Derives each document's concepts.
    matcher: ConceptMatcher,
    reader: IndexReader,
}

impl std::fmt::Debug for SearchWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchWriter").finish_non_exhaustive()
    }
}

impl SearchWriter {
    /// Applies a new head: its logical record's previous document goes, and the new one comes
    /// unless it is a retraction. Deletes apply to documents added before them, so the order
    /// within one commit is right.
    pub fn apply_head(&mut self, record: &Record<Verified>) -> Result<(), SearchError> {
        self.writer
            .delete_term(Term::from_field_text(self.fields.key, &key_text(record)));
        if !record.header().retracted {
            let doc = document(&self.fields, &mut self.matcher, record);
            self.writer.add_document(doc)?;
        }
        Ok(())
    }

    /// Adds a head known to have no document yet (a rebuild).
    fn add_new(&mut self, record: &Record<Verified>) -> Result<(), SearchError> {
        if !record.header().retracted {
            let doc = document(&self.fields, &mut self.matcher, record);
            self.writer.add_document(doc)?;
        }
        Ok(())
    }

    /// Removes every document (before a resynchronisation from the store).
    pub fn clear(&mut self) -> Result<(), SearchError> {
        self.writer.delete_all_documents()?;
        Ok(())
    }

    /// Commits, waits for the background merges and closes the writer, so that a bulk
    /// writer's memory is gone before the live writer (or the serving node) takes over.
    pub fn finish(mut self) -> Result<(), SearchError> {
        self.commit()?;
        self.writer.wait_merging_threads()?;
        Ok(())
    }

    /// Makes the changes durable and visible to searches.
    pub fn commit(&mut self) -> Result<(), SearchError> {
        self.writer.commit()?;
        self.reader.reload()?;
        Ok(())
    }
}

/// Adds every live head of `store` to `writer`, calling `progress(done, total)` as it goes.
/// Returns the store's record count read before the walk.
pub fn fill_from_store<S: RecordStore + ?Sized>(
    writer: &mut SearchWriter,
    store: &S,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<u64, SearchError> {
    let records = store.len()?;
    let heads = store.heads()?;
    let total = heads.len() as u64;
    for (done, (_, head)) in heads.iter().enumerate() {
        if !head.retracted
            && let Some(record) = store.record(&head.id)?
        {
            writer.add_new(&record)?;
        }
        if done % 512 == 0 {
            progress(done as u64, total);
        }
    }
    progress(total, total);
    Ok(records)
}

/// Rebuilds the index in `dir` from `store`: clears the directory, indexes every live head with
/// the bulk writer, commits and writes the marker.
pub fn rebuild<S: RecordStore + ?Sized>(
    dir: &Path,
    store: &S,
    scheme: Arc<ConceptScheme>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<SearchIndex, SearchError> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(io_error(dir))?;
    }
    let index = SearchIndex::open_with(dir, scheme)?;
    refill(&index, store, progress)?;
    Ok(index)
}

/// Replaces every document of `index` with the live heads of `store`, with the bulk writer, and
/// writes the marker. No other writer may be open on the index.
pub fn refill<S: RecordStore + ?Sized>(
    index: &SearchIndex,
    store: &S,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<u64, SearchError> {
    let mut writer = index.bulk_writer()?;
    writer.clear()?;
    let records = fill_from_store(&mut writer, store, progress)?;
    writer.finish()?;
    index.write_marker(records)?;
    Ok(records)
}

/// Why the index in a directory must be rebuilt, if it must.
pub fn staleness<S: RecordStore + ?Sized>(
    index: &SearchIndex,
    store: &S,
) -> Result<Option<String>, SearchError> {
    Ok(match index.marker() {
        None => Some("there is no index yet".into()),
        Some(marker) if marker.schema_version != INDEX_SCHEMA_VERSION => Some(format!(
            "the index has schema version {}, this mosaico writes {INDEX_SCHEMA_VERSION}",
            marker.schema_version
        )),
        Some(marker) if marker.scheme != index.matcher.fingerprint() => Some(
            "the concept scheme changed since the index was written, so its concepts are derived again"
                .into(),
        ),
        Some(marker) => {
            let records = store.len()?;
            (marker.records != records).then(|| {
                format!(
                    "the index reflects {} records, the store holds {records}",
                    marker.records
                )
            })
        }
    })
}

/// Opens the index in `dir`, rebuilding it first when it is missing or out of step with `store`.
pub fn ensure_fresh<S: RecordStore + ?Sized>(
    dir: &Path,
    store: &S,
    scheme: Arc<ConceptScheme>,
) -> Result<SearchIndex, SearchError> {
    let reason = match SearchIndex::open_with(dir, Arc::clone(&scheme)) {
        Ok(index) => match staleness(&index, store)? {
            None => return Ok(index),
            Some(reason) => reason,
        },
        Err(error) => format!("the index cannot be opened ({error})"),
    };
    tracing::info!(%reason, dir = %dir.display(), "rebuilding the search index");
    let started = std::time::Instant::now();
    let index = rebuild(dir, store, scheme, &mut |_, _| {})?;
    tracing::info!(
        docs = index.num_docs(),
        millis = started.elapsed().as_millis() as u64,
        "search index rebuilt"
    );
    Ok(index)
}

/// Where the operator's own concept scheme files live in the data directory at `root`.
pub fn concepts_dir(root: &Path) -> PathBuf {
    root.join("concepts")
}

/// The concept scheme of the data directory at `root`: the built-in scheme plus every
/// `*.jsonld` file in `DATA/concepts/`, in name order. A malformed file is refused with its path,
/// line and reason, so the node does not start on a scheme it cannot read.
pub fn load_scheme(root: &Path) -> Result<Arc<ConceptScheme>, SearchError> {
    let dir = concepts_dir(root);
    let mut paths: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "jsonld"))
            .collect(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(source) => return Err(SearchError::Io { path: dir, source }),
    };
    paths.sort();
    let mut scheme = ConceptScheme::builtin();
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(io_error(&path))?;
        let name = path.display().to_string();
        let file = ConceptScheme::parse(&name, &text).map_err(scheme_error)?;
        scheme = scheme.merge(file).map_err(scheme_error)?;
    }
    scheme.check_references().map_err(scheme_error)?;
    Ok(Arc::new(scheme))
}

fn scheme_error(error: SchemeError) -> SearchError {
    SearchError::Scheme(error.to_string())
}

/// One unit of a query: `UNIT_SCORE` when it matches, plus its own score times `weight`.
fn unit(query: Box<dyn Query>, weight: f32) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(vec![
        (
            Occur::Should,
            Box::new(ConstScoreQuery::new(query.box_clone(), UNIT_SCORE)),
        ),
        (Occur::Should, Box::new(BoostQuery::new(query, weight))),
    ]))
}
