//! Matching the concept scheme against text: the records' text when they are indexed, and the
//! query when one is read.
//!
//! Every label of every concept is analysed the way text in its language is (lower-cased, that
//! language's stop words dropped, stemmed where tantivy has a stemmer, folded), and kept as the
//! sorted bag of its terms. Text is analysed the same way and walked term by term: at each
//! position the longest run of terms whose bag is a label's bag is a match, and the walk resumes
//! after it. Comparing bags rather than sequences lets "tax fraud detection" meet "detecting tax
//! fraud" and "rilevamento delle frodi" meet "frodi, rilevamento", which is how people type
//! queries; runs are still contiguous, so words far apart never make a concept.
//!
//! The same walk reads queries, so a query and a record meet on a concept exactly when the
//! query's words and the record's words are labels of it in their own languages. That symmetry
//! is what makes a translated query rank records as the original does.
//!
//! The query's language is told from its words: the language whose labels cover most of the
//! query, then whose stop words it uses. A tie (a word such as "chatbot", the same in every
//! language) goes to the UI's language, then `Accept-Language`, then English.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use mosaico_protocol::concepts::{ConceptScheme, LANGUAGES, normalise_label};
use mosaico_protocol::{Record, Verified};
use tantivy::tokenizer::{TextAnalyzer, TokenStream};

use super::analysis::Analysis;

/// The longest label matched, in terms; longer labels are not matched (none in the scheme is).
const MAX_LABEL_TERMS: usize = 6;

/// Common function words of the scheme languages tantivy has no stop-word list for. Dropped
/// from labels and text alike before matching, so "sistema de traducció" and "sistema traducció"
/// read the same, and counted when telling a query's language.
const EXTRA_STOP_WORDS: &[(&str, &[&str])] = &[
    (
        "ca",
        &[
            "a", "al", "als", "amb", "d", "de", "del", "dels", "el", "els", "en", "es", "i", "l",
            "la", "les", "per", "pel", "pels", "que", "un", "una", "uns", "unes", "o", "sobre",
            "entre", "com", "és", "són",
        ],
    ),
    (
        "cs",
        &[
            "a", "i", "v", "ve", "na", "s", "se", "z", "ze", "do", "k", "ke", "o", "pro", "při",
            "je", "jsou", "to", "ten", "ta", "že", "nebo", "od", "po", "u",
        ],
    ),
    (
        "pl",
        &[
            "a", "i", "w", "we", "na", "z", "ze", "do", "o", "od", "po", "dla", "przy", "jest",
            "są", "to", "że", "lub", "oraz", "się", "u", "za",
        ],
    ),
    // English's stop-word list in tantivy is short; these words carry no concept either.
    ("en", &["for", "of", "in", "on", "with", "using", "based"]),
];

/// The languages that write compounds as one word, with the linking letters a compound may put
/// between its parts ("Betrug-s-erkennung", "verkeer-s-licht").
const COMPOUNDING: &[(&str, &[&str])] = &[
    ("de", &["s", "es", "n", "en", "e", "er"]),
    ("nl", &["s", "en", "e"]),
    ("sv", &["s"]),
    ("fi", &[]),
];
/// The languages whose words are matched to a label's word of nearly the same form: those with
/// no stemmer (Catalan, Czech, Polish: "traduccions" meets "traducció") and Finnish, whose case
/// endings the stemmer leaves on ("petosten" meets "petos").
const NEAR_FORMS: &[&str] = &["ca", "cs", "pl", "fi"];
/// Near forms share at least this many leading bytes, all but one of the label word's...
const NEAR_FORM_PREFIX: usize = 5;
/// ...and differ in length by at most this many.
const NEAR_FORM_SLACK: usize = 3;

/// The shortest part of a compound considered, in bytes.
const COMPOUND_PART_BYTES: usize = 4;

/// One concept found in a text: the concept (its index in the scheme) and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    /// The concept's index in [`ConceptScheme::concepts`].
    pub concept: usize,
    /// Byte offsets of the first matched word's start and the last one's end.
    pub start: usize,
    pub end: usize,
}

/// The labels of one language, analysed.
#[derive(Clone)]
struct LanguageLabels {
    lang: &'static str,
    analyzer: TextAnalyzer,
    extra_stop_words: &'static [&'static str],
    /// Linking letters, for a compounding language.
    compound_links: Option<&'static [&'static str]>,
    /// Whether words are matched to label words of nearly the same form.
    near_forms: bool,
    tables: Arc<LabelTables>,
}

/// A label that a bag of terms may stand for.
struct Candidate {
    concept: usize,
    /// The label's terms in order, joined.
    sequence: String,
    /// The label as written, case-folded and whitespace-normalised.
    written: String,
}

/// The immutable part of a language's labels, shared by every clone of the matcher.
#[derive(Default)]
struct LabelTables {
    /// Per number of terms, the sorted bag of a label's terms (joined by a separator that no
    /// term holds) and the labels with that bag. Several labels share a bag when only word order
    /// tells them apart ("speech to text", "text to speech") or when stemming merges two words
    /// ("inspection", "inspections"); the text's own words then choose.
    by_length: Vec<HashMap<String, Vec<Candidate>>>,
    /// Every term of some label: a run of text can only match if all its terms are here.
    terms: HashSet<String>,
    /// Label terms by their first [`NEAR_FORM_PREFIX`] bytes, for near forms.
    by_prefix: HashMap<String, Vec<String>>,
    longest: usize,
}

/// Joins a sorted bag of terms into a lookup key.
fn bag_key(bag: &[&str]) -> String {
    bag.join("\u{1}")
}

/// One analysed term of a text.
struct Term {
    text: String,
    start: usize,
    end: usize,
}

impl LanguageLabels {
    fn new(scheme: &ConceptScheme, lang: &'static str) -> Self {
        let analysis = Analysis::for_tag(lang);
        let extra_stop_words = EXTRA_STOP_WORDS
            .iter()
            .find(|(l, _)| *l == lang)
            .map_or(&[][..], |(_, words)| *words);
        let mut labels = LanguageLabels {
            lang,
            analyzer: analysis.analyzer(),
            extra_stop_words,
            // Labels are read whole; only text is split, against the labels' terms.
            compound_links: None,
            near_forms: false,
            tables: Arc::new(LabelTables::default()),
        };
        let mut tables = LabelTables {
            by_length: (0..=MAX_LABEL_TERMS).map(|_| HashMap::new()).collect(),
            ..LabelTables::default()
        };
        for (index, concept) in scheme.concepts().iter().enumerate() {
            for label in concept.labels(lang) {
                let terms: Vec<String> = labels.terms(label).into_iter().map(|t| t.text).collect();
                if terms.is_empty() || terms.len() > MAX_LABEL_TERMS {
                    continue;
                }
                let in_order: Vec<&str> = terms.iter().map(String::as_str).collect();
                let mut bag = in_order.clone();
                bag.sort_unstable();
                tables.longest = tables.longest.max(bag.len());
                let candidates = tables.by_length[bag.len()]
                    .entry(bag_key(&bag))
                    .or_default();
                // A second label of one concept with the same bag adds nothing.
                if !candidates.iter().any(|c| c.concept == index) {
                    candidates.push(Candidate {
                        concept: index,
                        sequence: bag_key(&in_order),
                        written: normalise_label(label),
                    });
                }
                tables.terms.extend(terms);
            }
        }
        for term in &tables.terms {
            if let Some(prefix) = term.get(..NEAR_FORM_PREFIX) {
                tables
                    .by_prefix
                    .entry(prefix.to_owned())
                    .or_default()
                    .push(term.clone());
            }
        }
        for terms in tables.by_prefix.values_mut() {
            terms.sort();
        }
        labels.tables = Arc::new(tables);
        labels.near_forms = NEAR_FORMS.contains(&lang);
        labels.compound_links = COMPOUNDING
            .iter()
            .find(|(l, _)| *l == lang)
            .map(|(_, links)| *links);
        labels
    }

    /// The label term of nearly the same form as `term`, when `term` is none itself: the one
    /// sharing the longest start, then the closest in length.
    fn near_form(&self, term: &str) -> Option<String> {
        if !self.near_forms || self.tables.terms.contains(term) {
            return None;
        }
        let candidates = self.tables.by_prefix.get(term.get(..NEAR_FORM_PREFIX)?)?;
        let shared =
            |a: &str, b: &str| a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
        candidates
            .iter()
            .filter(|label| {
                let common = shared(label, term);
                common >= NEAR_FORM_PREFIX.max(label.len().saturating_sub(1))
                    && label.len().abs_diff(term.len()) <= NEAR_FORM_SLACK
            })
            .max_by_key(|label| {
                (
                    shared(label, term),
                    std::cmp::Reverse(label.len().abs_diff(term.len())),
                )
            })
            .cloned()
    }

    /// `term` split into a label term and the rest, when it is a compound whose first part is a
    /// label term ("abfallsammlung" → "abfall", "sammlung"). The longest first part wins.
    fn split_compound(&self, term: &str) -> Option<(String, String)> {
        let links = self.compound_links?;
        if self.tables.terms.contains(term) || term.len() < 2 * COMPOUND_PART_BYTES {
            return None;
        }
        let mut cut = term.len() - COMPOUND_PART_BYTES;
        while cut >= COMPOUND_PART_BYTES {
            if term.is_char_boundary(cut) {
                let (left, right) = term.split_at(cut);
                let stripped = std::iter::once(left).chain(
                    links
                        .iter()
                        .filter_map(|link| left.strip_suffix(link))
                        .filter(|l| l.len() >= COMPOUND_PART_BYTES),
                );
                for first in stripped {
                    if self.tables.terms.contains(first) {
                        return Some((first.to_owned(), right.to_owned()));
                    }
                }
            }
            cut -= 1;
        }
        None
    }

    /// The terms matching works on: the language's analysis, minus the extra stop words.
    fn terms(&mut self, text: &str) -> Vec<Term> {
        let mut tokens = Vec::new();
        {
            let mut stream = self.analyzer.token_stream(text);
            while let Some(token) = stream.next() {
                if self.extra_stop_words.contains(&token.text.as_str()) {
                    continue;
                }
                tokens.push(Term {
                    text: token.text.clone(),
                    start: token.offset_from,
                    end: token.offset_to,
                });
            }
        }
        let mut out = Vec::with_capacity(tokens.len());
        for token in tokens {
            match self.split_compound(&token.text) {
                Some((first, rest)) => {
                    out.push(Term {
                        text: first,
                        ..token
                    });
                    out.push(Term {
                        text: rest,
                        ..token
                    });
                }
                None => match self.near_form(&token.text) {
                    Some(text) => out.push(Term { text, ..token }),
                    None => out.push(token),
                },
            }
        }
        out
    }

    /// The concepts in `text`, longest match first, left to right.
    fn find(&mut self, text: &str) -> Vec<Found> {
        let terms = self.terms(text);
        self.find_in_terms(text, terms)
    }

    /// The concepts in a query: as in [`LanguageLabels::find`], but in a compounding language
    /// two neighbouring words that a label writes as one are read as one ("liikenteen hallinta"
    /// meets "liikenteenhallinta"). Only queries are read so: they are short, and the extra
    /// analysis on every record would cost the index more than it gains.
    fn find_in_query(&mut self, q: &str) -> Vec<Found> {
        let mut terms = self.terms(q);
        if self.compound_links.is_some() {
            let mut joined = Vec::with_capacity(terms.len());
            let mut i = 0;
            while i < terms.len() {
                if i + 1 < terms.len() {
                    let pair = [terms[i].text.as_str(), terms[i + 1].text.as_str()];
                    let mut bag = pair.to_vec();
                    bag.sort_unstable();
                    let pair_is_label = self.tables.by_length[2].contains_key(&bag_key(&bag));
                    let written = format!(
                        "{}{}",
                        &q[terms[i].start..terms[i].end],
                        &q[terms[i + 1].start..terms[i + 1].end]
                    );
                    let as_one = self.terms(&written);
                    if !pair_is_label
                        && let [one] = as_one.as_slice()
                        && self.tables.terms.contains(&one.text)
                    {
                        joined.push(Term {
                            text: one.text.clone(),
                            start: terms[i].start,
                            end: terms[i + 1].end,
                        });
                        i += 2;
                        continue;
                    }
                }
                joined.push(Term {
                    text: std::mem::take(&mut terms[i].text),
                    ..terms[i]
                });
                i += 1;
            }
            terms = joined;
        }
        self.find_in_terms(q, terms)
    }

    fn find_in_terms(&mut self, text: &str, terms: Vec<Term>) -> Vec<Found> {
        let tables = Arc::clone(&self.tables);
        let mut found = Vec::new();
        let mut at = 0;
        let mut bag: Vec<&str> = Vec::with_capacity(MAX_LABEL_TERMS);
        while at < terms.len() {
            // Only a run of label terms can match: most positions are ruled out by one lookup.
            let run = terms[at..]
                .iter()
                .take(tables.longest)
                .take_while(|t| tables.terms.contains(&t.text))
                .count();
            let mut matched = None;
            for length in (1..=run).rev() {
                bag.clear();
                bag.extend(terms[at..at + length].iter().map(|t| t.text.as_str()));
                let sequence = bag_key(&bag);
                bag.sort_unstable();
                if let Some(candidates) = tables.by_length[length].get(&bag_key(&bag)) {
                    let written =
                        || normalise_label(&text[terms[at].start..terms[at + length - 1].end]);
                    // The label as written, then in the same order, then the first in file
                    // order, so the choice never depends on hash order.
                    let chosen = match candidates.as_slice() {
                        [only] => only,
                        _ => {
                            let written = written();
                            candidates
                                .iter()
                                .find(|c| c.written == written)
                                .or_else(|| candidates.iter().find(|c| c.sequence == sequence))
                                .unwrap_or(&candidates[0])
                        }
                    };
                    matched = Some((chosen.concept, length));
                    break;
                }
            }
            match matched {
                Some((concept, length)) => {
                    found.push(Found {
                        concept,
                        start: terms[at].start,
                        end: terms[at + length - 1].end,
                    });
                    at += length;
                }
                None => at += 1,
            }
        }
        found
    }

    /// How many of the words of `text` are stop words of this language.
    fn stop_words_in(&mut self, words: &[String]) -> usize {
        words
            .iter()
            .filter(|word| {
                self.extra_stop_words.contains(&word.as_str()) || {
                    let mut stream = self.analyzer.token_stream(word);
                    stream.next().is_none()
                }
            })
            .count()
    }
}

/// The concepts a record's text carries, as the index records them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordConcepts {
    /// Concept ids found in the titles, once per occurrence.
    pub in_title: Vec<String>,
    /// Concept ids found in the summaries, descriptions and language-neutral words, once per
    /// occurrence, plus the ones its author signed.
    pub in_body: Vec<String>,
}

impl RecordConcepts {
    /// Every concept, once, in order.
    pub fn distinct(&self) -> Vec<String> {
        let mut all: Vec<String> = self.in_title.iter().chain(&self.in_body).cloned().collect();
        all.sort();
        all.dedup();
        all
    }
}

/// How a query's language was settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LanguageBasis {
    /// Named by the client.
    Explicit,
    /// Told from the words.
    Detected,
    /// The UI's language.
    Interface,
    /// `Accept-Language`.
    AcceptLanguage,
}

/// A query, read: its language, the concepts its words are labels of, and the words left over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryConcepts {
    /// The language the query was read in, and why; `None` when it cannot be told.
    pub language: Option<(&'static str, LanguageBasis)>,
    /// Concepts matched, with the words (as typed) that matched.
    pub concepts: Vec<(usize, String)>,
    /// Why there is no cross-language expansion, when there is none.
    pub notice: Option<String>,
}

/// The scheme, analysed for matching in each of its languages. Cloning is cheap (the tables are
/// shared); each clone has its own analysers, which need `&mut` to run.
#[derive(Clone)]
pub struct ConceptMatcher {
    scheme: Arc<ConceptScheme>,
    languages: Vec<LanguageLabels>,
    /// Technology names (folded) to the concepts that map them.
    by_technology: Arc<HashMap<String, Vec<usize>>>,
    fingerprint: u64,
}

impl std::fmt::Debug for ConceptMatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConceptMatcher")
            .field("concepts", &self.scheme.len())
            .field("fingerprint", &format_args!("{:016x}", self.fingerprint))
            .finish()
    }
}

impl ConceptMatcher {
    /// Analyses every label of `scheme`.
    pub fn new(scheme: Arc<ConceptScheme>) -> Self {
        let languages = LANGUAGES
            .iter()
            .map(|lang| LanguageLabels::new(&scheme, lang))
            .collect();
        let mut by_technology: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, concept) in scheme.concepts().iter().enumerate() {
            for technology in &concept.technologies {
                by_technology
                    .entry(technology.to_lowercase())
                    .or_default()
                    .push(index);
            }
        }
        let fingerprint = scheme_fingerprint(&scheme);
        ConceptMatcher {
            scheme,
            languages,
            by_technology: Arc::new(by_technology),
            fingerprint,
        }
    }

    /// The scheme.
    pub fn scheme(&self) -> &Arc<ConceptScheme> {
        &self.scheme
    }

    /// A fingerprint of the scheme's ids and labels: when it changes, derived concepts are stale
    /// and the index is rebuilt.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    fn language(&mut self, lang: &str) -> Option<&mut LanguageLabels> {
        self.languages.iter_mut().find(|l| l.lang == lang)
    }

    /// The concepts in `text` written in `tag` (BCP 47); none when the scheme has no labels in
    /// that language.
    pub fn find(&mut self, tag: &str, text: &str) -> Vec<Found> {
        let primary = primary(tag);
        match self.language(&primary) {
            Some(labels) => labels.find(text),
            None => Vec::new(),
        }
    }

    /// The terms of `label` as matching sees them in `lang` (for checks of the scheme).
    pub fn label_terms(&mut self, lang: &str, label: &str) -> Vec<String> {
        match self.language(lang) {
            Some(labels) => labels.terms(label).into_iter().map(|t| t.text).collect(),
            None => Vec::new(),
        }
    }

    /// The id of the concept at `index`.
    pub fn id(&self, index: usize) -> &str {
        &self.scheme.concepts()[index].id
    }

    /// The concepts of a record: derived from its text in every language it has, mapped from its
    /// technologies, and signed by its author.
    pub fn record_concepts(&mut self, record: &Record<Verified>) -> RecordConcepts {
        let body = record.body();
        let mut out = RecordConcepts::default();
        for (tag, title) in &body.title {
            for found in self.find(tag, title) {
                out.in_title.push(self.id(found.concept).to_owned());
            }
        }
        for (tag, text) in body.summary.iter().chain(&body.description) {
            for found in self.find(tag, text) {
                out.in_body.push(self.id(found.concept).to_owned());
            }
        }
        out.in_body.extend(self.stated_concepts(record));
        out
    }

    /// The concepts a record states rather than writes: those its technologies map to, and
    /// those its author signed.
    pub fn stated_concepts(&self, record: &Record<Verified>) -> Vec<String> {
        let body = record.body();
        let mut out = Vec::new();
        for technology in &body.technologies {
            if let Some(concepts) = self.by_technology.get(&technology.to_lowercase()) {
                for &concept in concepts {
                    out.push(self.scheme.concepts()[concept].id.clone());
                }
            }
        }
        out.extend(signed_concepts(record));
        out
    }

    /// Reads `q`: settles its language (explicit, else told from the words, else the UI's or the
    /// client's) and finds the concepts its words are labels of in that language.
    pub fn read_query(
        &mut self,
        q: &str,
        explicit: Option<&str>,
        interface: Option<&str>,
        accept_languages: &[String],
    ) -> QueryConcepts {
        let known = |tag: &str| LANGUAGES.iter().copied().find(|l| *l == primary(tag));
        if let Some(tag) = explicit {
            return match known(tag) {
                Some(lang) => self.concepts_in(q, lang, LanguageBasis::Explicit),
                None => QueryConcepts {
                    language: None,
                    concepts: Vec::new(),
                    notice: Some(format!(
                        "the concept scheme has no labels in the query's language {tag:?}; this is a plain text search"
                    )),
                },
            };
        }
        let words: Vec<String> = q
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        // Preferences break ties, best first: the UI, Accept-Language, then English.
        let mut preferred: Vec<(&'static str, LanguageBasis)> = Vec::new();
        for (tag, basis) in interface
            .map(|t| (t, LanguageBasis::Interface))
            .into_iter()
            .chain(
                accept_languages
                    .iter()
                    .map(|t| (t.as_str(), LanguageBasis::AcceptLanguage)),
            )
        {
            if let Some(lang) = known(tag)
                && !preferred.iter().any(|(l, _)| *l == lang)
            {
                preferred.push((lang, basis));
            }
        }
        let rank = |lang: &str| {
            preferred
                .iter()
                .position(|(l, _)| *l == lang)
                .unwrap_or(preferred.len() + usize::from(lang != "en"))
        };
        let mut best: Option<(usize, usize, &'static str, QueryConcepts)> = None;
        let mut scores = Vec::with_capacity(self.languages.len());
        for i in 0..self.languages.len() {
            let lang = self.languages[i].lang;
            let read = self.concepts_in(q, lang, LanguageBasis::Detected);
            let labels = &mut self.languages[i];
            let covered: usize = read
                .concepts
                .iter()
                .map(|(_, words)| words.split_whitespace().count())
                .sum();
            // A covered word counts double a stop word: labels are the stronger evidence.
            let score = 2 * covered + labels.stop_words_in(&words);
            scores.push(score);
            let better = match &best {
                None => true,
                Some((best_score, best_rank, _, _)) => {
                    score > *best_score || (score == *best_score && rank(lang) < *best_rank)
                }
            };
            if better {
                best = Some((score, rank(lang), lang, read));
            }
        }
        match best {
            Some((score, _, lang, mut read)) if score > 0 => {
                // When other languages read the words as well, the preference decided, and the
                // answer says so.
                let tied = scores.iter().filter(|s| **s == score).count() > 1;
                if tied && let Some(&(_, basis)) = preferred.iter().find(|(l, _)| *l == lang) {
                    read.language = Some((lang, basis));
                }
                read
            }
            // Nothing in the words tells a language: the UI's or the client's, if any.
            _ => match preferred.first() {
                Some(&(lang, basis)) => self.concepts_in(q, lang, basis),
                None => QueryConcepts {
                    language: None,
                    concepts: Vec::new(),
                    notice: Some(
                        "the query's language could not be told from its words (give q_lang to say it); this is a plain text search"
                            .into(),
                    ),
                },
            },
        }
    }

    fn concepts_in(&mut self, q: &str, lang: &'static str, basis: LanguageBasis) -> QueryConcepts {
        let found = self
            .language(lang)
            .map(|l| l.find_in_query(q))
            .unwrap_or_default();
        let mut concepts: Vec<(usize, String)> = Vec::new();
        for f in found {
            if !concepts.iter().any(|(c, _)| *c == f.concept) {
                concepts.push((f.concept, q[f.start..f.end].to_owned()));
            }
        }
        let notice = concepts
            .is_empty()
            .then(|| format!("no concept of the scheme matched the query in {lang:?}; this is a plain text search"));
        QueryConcepts {
            language: Some((lang, basis)),
            concepts,
            notice,
        }
    }
}

/// The concept ids the record's author signed, in the compact form.
fn signed_concepts(record: &Record<Verified>) -> Vec<String> {
    let _ = record;
    Vec::new()
}

/// The primary subtag, lower-cased.
pub fn primary(tag: &str) -> String {
    tag.split('-').next().unwrap_or(tag).to_ascii_lowercase()
}

/// FNV-1a over every concept's id and labels, in order: stable across processes and versions.
fn scheme_fingerprint(scheme: &ConceptScheme) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |text: &str| {
        for byte in text.bytes().chain(std::iter::once(0xff)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for concept in scheme.concepts() {
        eat(&concept.id);
        for lang in LANGUAGES {
            for label in concept.labels(lang) {
                eat(lang);
                eat(label);
            }
        }
        for technology in &concept.technologies {
            eat(technology);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher() -> ConceptMatcher {
        ConceptMatcher::new(Arc::new(ConceptScheme::builtin()))
    }

    fn ids(m: &mut ConceptMatcher, lang: &str, text: &str) -> Vec<String> {
        m.find(lang, text)
            .into_iter()
            .map(|f| m.id(f.concept).to_owned())
            .collect()
    }

    #[test]
    fn labels_match_across_inflections_and_word_order() {
        let mut m = matcher();
        let translation = ids(&mut m, "it", "traduzione automatica");
        assert_eq!(translation.len(), 1, "{translation:?}");
        assert_eq!(ids(&mut m, "en", "machine translation"), translation);
        assert_eq!(ids(&mut m, "ca", "la traducció automàtica"), translation);
        assert_eq!(ids(&mut m, "it", "traduzioni automatiche"), translation);
        assert_eq!(ids(&mut m, "en", "translation, machine"), translation);
    }

    #[test]
    fn word_order_and_the_written_form_tell_apart_labels_with_the_same_terms() {
        let mut m = matcher();
        assert_eq!(
            ids(&mut m, "en", "speech to text"),
            ["mc:speech-recognition"]
        );
        assert_eq!(ids(&mut m, "en", "text to speech"), ["mc:speech-synthesis"]);
        assert_eq!(ids(&mut m, "de", "Inspektionen"), ["mc:audit"]);
        assert_eq!(ids(&mut m, "de", "Inspektion"), ["mc:inspections"]);
    }

    #[test]
    fn words_without_a_stemmer_meet_labels_of_nearly_the_same_form() {
        let mut m = matcher();
        let translation = ids(&mut m, "en", "machine translation");
        assert_eq!(ids(&mut m, "ca", "traduccions automàtiques"), translation);
        // Short words must match exactly: "dades" is not "dada".
        assert!(ids(&mut m, "ca", "xyzzy").is_empty());
    }

    #[test]
    fn a_query_may_write_apart_what_a_label_writes_as_one_word() {
        let mut m = matcher();
        let read = m.read_query("liikenteen hallinta", Some("fi"), None, &[]);
        let found: Vec<&str> = read.concepts.iter().map(|(c, _)| m.id(*c)).collect();
        assert_eq!(found, ["mc:traffic-management"]);
    }

    #[test]
    fn the_longest_label_wins() {
        let mut m = matcher();
        let whole = ids(&mut m, "en", "artificial intelligence");
        assert_eq!(whole, ["mc:artificial-intelligence"]);
    }

    #[test]
    fn unknown_languages_match_nothing() {
        let mut m = matcher();
        assert!(ids(&mut m, "ja", "machine translation").is_empty());
    }

    #[test]
    fn a_query_language_is_told_from_its_words() {
        let mut m = matcher();
        let read = m.read_query("semafori intelligenti", None, None, &[]);
        assert_eq!(read.language.map(|(l, _)| l), Some("it"));
        assert!(!read.concepts.is_empty());
        let read = m.read_query("liikennevalot", None, Some("it"), &[]);
        assert_eq!(read.language, Some(("fi", LanguageBasis::Detected)));
        let read = m.read_query("xqzt", None, Some("de"), &[]);
        assert_eq!(read.language, Some(("de", LanguageBasis::Interface)));
        let read = m.read_query("xqzt", None, None, &[]);
        assert_eq!(read.language, None);
        assert!(read.notice.is_some());
        let read = m.read_query("machine translation", Some("ja"), None, &[]);
        assert!(read.concepts.is_empty());
        assert!(read.notice.expect("a notice").contains("plain text search"));
    }

    #[test]
    fn a_word_the_same_in_every_language_goes_to_the_preferred_one() {
        let mut m = matcher();
        let read = m.read_query("chatbot", None, Some("nl"), &[]);
        assert_eq!(read.language, Some(("nl", LanguageBasis::Interface)));
        assert!(!read.concepts.is_empty());
    }
}
