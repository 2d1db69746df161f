//! Mosaico's multilingual concept scheme: SKOS concepts written as JSON-LD.
//!
//! The scheme bridges languages: every concept carries a preferred label in each of the twelve
//! [`LANGUAGES`] and alternative labels (synonyms, abbreviations, inflections), so that a query in
//! one language can reach records written in another. The scheme is the union of the files in
//! `protocol/concepts/` (see its `README.md`); [`ConceptScheme::builtin`] is that union as
//! compiled into the crate.
//!
//! This module is pure: it parses and checks scheme text, and answers lookups by id and by
//! label. Every error names the file, the line and the reason.

// Scheme errors are rare (a broken file at build or load time) and carry the file, the line and
// the offending values by design; boxing them would only make them harder to match on.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value};

use crate::vocab::Theme;

/// The languages every concept must have a preferred label in.
pub const LANGUAGES: [&str; 12] = [
    "it", "en", "es", "ca", "fr", "de", "nl", "fi", "sv", "pt", "cs", "pl",
];

/// The scheme files compiled into the crate: adding a file to the scheme is one line here.
const BUILTIN_FILES: &[(&str, &str)] = &[
    (
        "techniques.jsonld",
        include_str!("../concepts/techniques.jsonld"),
    ),
    ("domains.jsonld", include_str!("../concepts/domains.jsonld")),
];

/// The compact prefix of concept ids, and the full IRI prefix it stands for.
const ID_PREFIX: &str = "mc:";
const ID_IRI_PREFIX: &str = "urn:mosaico:concept:";
const EUROVOC_PREFIX: &str = "http://eurovoc.europa.eu/";

/// Why a scheme file (or the union of several) was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemeError {
    /// The text is not JSON.
    #[error("{file}:{line}: malformed JSON: {reason}")]
    Syntax {
        file: String,
        line: usize,
        reason: String,
    },
    /// The JSON is not shaped like a scheme file (a field of the wrong type, no concept list…).
    #[error("{file}:{line}: {reason}")]
    Shape {
        file: String,
        line: usize,
        reason: String,
    },
    /// A concept id is not `mc:` followed by lowercase ASCII letters, digits and hyphens.
    #[error("{file}:{line}: malformed concept id {id:?}")]
    MalformedId {
        file: String,
        line: usize,
        id: String,
    },
    /// Two concepts have the same id.
    #[error(
        "{file}:{line}: duplicate concept id {id} (first defined at {first_file}:{first_line})"
    )]
    DuplicateId {
        file: String,
        line: usize,
        id: String,
        first_file: String,
        first_line: usize,
    },
    /// A concept lacks a preferred label in one of the required languages.
    #[error("{file}:{line}: concept {id} has no preferred label in {lang:?}")]
    MissingPrefLabel {
        file: String,
        line: usize,
        id: String,
        lang: String,
    },
    /// A label is empty, or carries leading, trailing or doubled whitespace.
    #[error("{file}:{line}: concept {id} has a malformed {lang:?} label {label:?}")]
    MalformedLabel {
        file: String,
        line: usize,
        id: String,
        lang: String,
        label: String,
    },
    /// `broader` or `related` names a concept that is not in the scheme.
    #[error("{file}:{line}: concept {id} refers to unknown concept {target}")]
    UnknownReference {
        file: String,
        line: usize,
        id: String,
        target: String,
    },
    /// Following `broader` from a concept leads back to it.
    #[error("{file}:{line}: concept {id} is in a broader cycle: {}", cycle.join(" -> "))]
    BroaderCycle {
        file: String,
        line: usize,
        id: String,
        cycle: Vec<String>,
    },
    /// The same label (case-folded, whitespace-normalised) is on two concepts in one language.
    #[error(
        "{file}:{line}: concept {id} uses the {lang:?} label {label:?}, already used by {other}"
    )]
    DuplicateLabel {
        file: String,
        line: usize,
        id: String,
        lang: String,
        label: String,
        other: String,
    },
    /// A theme that is not one of the record vocabulary's themes.
    #[error("{file}:{line}: concept {id} has unknown theme {theme:?}")]
    UnknownTheme {
        file: String,
        line: usize,
        id: String,
        theme: String,
    },
    /// An `exactMatch`/`closeMatch` link that is not `http://eurovoc.europa.eu/<digits>`.
    #[error("{file}:{line}: concept {id} has a malformed EuroVoc link {uri:?}")]
    BadEuroVocLink {
        file: String,
        line: usize,
        id: String,
        uri: String,
    },
}

/// One concept of the scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Concept {
    /// The compact id, `mc:<slug>`.
    pub id: String,
    /// The file the concept was read from, and the line of its `@id`.
    pub file: String,
    pub line: usize,
    /// One preferred label per language.
    pub pref_labels: BTreeMap<String, String>,
    /// Alternative labels per language.
    pub alt_labels: BTreeMap<String, Vec<String>>,
    /// Definitions per language (optional).
    pub definitions: BTreeMap<String, String>,
    /// Ids of broader concepts.
    pub broader: Vec<String>,
    /// Ids of related concepts.
    pub related: Vec<String>,
    /// EuroVoc concept URIs.
    pub exact_match: Vec<String>,
    pub close_match: Vec<String>,
    /// The record vocabularies this concept maps to.
    pub themes: Vec<String>,
    pub technologies: Vec<String>,
    pub application_types: Vec<String>,
}

impl Concept {
    /// Every label of the concept in `lang`: the preferred one first, then the alternatives.
    pub fn labels(&self, lang: &str) -> impl Iterator<Item = &str> {
        self.pref_labels
            .get(lang)
            .map(String::as_str)
            .into_iter()
            .chain(
                self.alt_labels
                    .get(lang)
                    .into_iter()
                    .flatten()
                    .map(String::as_str),
            )
    }
}

/// A label of the scheme, as the matcher sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label<'a> {
    /// The label as written.
    pub text: &'a str,
    /// The id of the concept it belongs to.
    pub concept: &'a str,
    /// Whether it is the concept's preferred label.
    pub preferred: bool,
}

/// A set of concepts: one scheme file, or the union of several.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConceptScheme {
    concepts: Vec<Concept>,
    by_id: HashMap<String, usize>,
    /// Per language, the normalised label and the index of the concept using it.
    by_label: HashMap<String, HashMap<String, usize>>,
}

/// Case-folds a label and collapses its whitespace, as labels are compared.
pub fn normalise_label(label: &str) -> String {
    label
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The 1-based line of byte offset `at` in `text`.
fn line_of(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].matches('\n').count() + 1
}

/// The line of the `"@id": "<id>"` that defines concept `raw_id` in `text` (1 when not found).
fn id_line(text: &str, raw_id: &str) -> usize {
    let quoted = format!("\"{raw_id}\"");
    let mut from = 0;
    while let Some(pos) = text[from..].find(&quoted) {
        let at = from + pos;
        let before = text[..at].trim_end();
        if let Some(before) = before.strip_suffix(':')
            && before.trim_end().ends_with("\"@id\"")
        {
            return line_of(text, at);
        }
        from = at + quoted.len();
    }
    1
}

/// The compact id (`mc:<slug>`) of `raw`, when it is a well-formed concept id, compact or as
/// the full IRI `urn:mosaico:concept:<slug>`. Whether the scheme knows it is another question.
pub fn compact_concept_id(raw: &str) -> Option<String> {
    compact_id(raw)
}

/// The compact id of `raw`, when it is a well-formed concept id (compact or full IRI).
fn compact_id(raw: &str) -> Option<String> {
    let slug = raw
        .strip_prefix(ID_PREFIX)
        .or_else(|| raw.strip_prefix(ID_IRI_PREFIX))?;
    let well_formed = !slug.is_empty()
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    well_formed.then(|| format!("{ID_PREFIX}{slug}"))
}

fn is_eurovoc(uri: &str) -> bool {
    uri.strip_prefix(EUROVOC_PREFIX)
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn label_ok(label: &str) -> bool {
    !label.is_empty() && label.split_whitespace().collect::<Vec<_>>().join(" ") == label
}

/// Reads one concept object; `text` is the whole file, for line numbers.
struct Reader<'a> {
    file: &'a str,
    line: usize,
    id: String,
}

impl Reader<'_> {
    fn shape(&self, reason: String) -> SchemeError {
        SchemeError::Shape {
            file: self.file.to_owned(),
            line: self.line,
            reason: format!("concept {}: {reason}", self.id),
        }
    }

    fn strings(&self, obj: &Map<String, Value>, key: &str) -> Result<Vec<String>, SchemeError> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(vec![s.clone()]),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| self.shape(format!("{key} must hold strings")))
                })
                .collect(),
            Some(_) => Err(self.shape(format!("{key} must be a list of strings"))),
        }
    }

    fn lang_map(
        &self,
        obj: &Map<String, Value>,
        key: &str,
    ) -> Result<Vec<(String, Vec<String>)>, SchemeError> {
        match obj.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Object(map)) => map
                .iter()
                .map(|(lang, v)| match v {
                    Value::String(s) => Ok((lang.clone(), vec![s.clone()])),
                    Value::Array(items) => items
                        .iter()
                        .map(|v| {
                            v.as_str().map(str::to_owned).ok_or_else(|| {
                                self.shape(format!("{key}.{lang} must hold strings"))
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()
                        .map(|labels| (lang.clone(), labels)),
                    _ => Err(self.shape(format!("{key}.{lang} must be a string or a list"))),
                })
                .collect(),
            Some(_) => Err(self.shape(format!("{key} must be an object keyed by language"))),
        }
    }

    fn label_check(&self, lang: &str, label: &str) -> Result<(), SchemeError> {
        if label_ok(label) {
            Ok(())
        } else {
            Err(SchemeError::MalformedLabel {
                file: self.file.to_owned(),
                line: self.line,
                id: self.id.clone(),
                lang: lang.to_owned(),
                label: label.to_owned(),
            })
        }
    }
}

impl ConceptScheme {
    /// Parses and checks one scheme file: its JSON, the shape of every concept, ids, the twelve
    /// preferred labels, labels unique per language, themes and EuroVoc links. References
    /// between concepts are checked on the union ([`ConceptScheme::from_files`]), since a file
    /// may point at concepts of another.
    pub fn parse(file_name: &str, text: &str) -> Result<ConceptScheme, SchemeError> {
        let root: Value = serde_json::from_str(text).map_err(|e| SchemeError::Syntax {
            file: file_name.to_owned(),
            line: e.line(),
            reason: e.to_string(),
        })?;
        let top_shape = |reason: &str| SchemeError::Shape {
            file: file_name.to_owned(),
            line: 1,
            reason: reason.to_owned(),
        };
        let concepts = root
            .as_object()
            .ok_or_else(|| top_shape("the file must hold a JSON object"))?
            .get("concepts")
            .and_then(Value::as_array)
            .ok_or_else(|| top_shape("the file must have a \"concepts\" list"))?;
        let mut scheme = ConceptScheme::default();
        for (n, value) in concepts.iter().enumerate() {
            let obj = value
                .as_object()
                .ok_or_else(|| top_shape(&format!("concept number {} is not an object", n + 1)))?;
            let raw_id = obj.get("@id").and_then(Value::as_str).ok_or_else(|| {
                top_shape(&format!("concept number {} has no string \"@id\"", n + 1))
            })?;
            let line = id_line(text, raw_id);
            let id = compact_id(raw_id).ok_or_else(|| SchemeError::MalformedId {
                file: file_name.to_owned(),
                line,
                id: raw_id.to_owned(),
            })?;
            let r = Reader {
                file: file_name,
                line,
                id: id.clone(),
            };
            let mut pref_labels = BTreeMap::new();
            for (lang, labels) in r.lang_map(obj, "prefLabel")? {
                let [label] = labels.as_slice() else {
                    return Err(r.shape(format!("prefLabel.{lang} must be one label")));
                };
                r.label_check(&lang, label)?;
                pref_labels.insert(lang, label.clone());
            }
            if let Some(lang) = LANGUAGES.iter().find(|l| !pref_labels.contains_key(**l)) {
                return Err(SchemeError::MissingPrefLabel {
                    file: file_name.to_owned(),
                    line,
                    id,
                    lang: (*lang).to_owned(),
                });
            }
            let mut alt_labels = BTreeMap::new();
            for (lang, labels) in r.lang_map(obj, "altLabel")? {
                for label in &labels {
                    r.label_check(&lang, label)?;
                }
                alt_labels.insert(lang, labels);
            }
            let mut definitions = BTreeMap::new();
            for (lang, texts) in r.lang_map(obj, "definition")? {
                let [text] = texts.as_slice() else {
                    return Err(r.shape(format!("definition.{lang} must be one text")));
                };
                definitions.insert(lang, text.clone());
            }
            let refs = |key: &str| -> Result<Vec<String>, SchemeError> {
                r.strings(obj, key)?
                    .into_iter()
                    .map(|raw| {
                        compact_id(&raw).ok_or_else(|| SchemeError::MalformedId {
                            file: file_name.to_owned(),
                            line,
                            id: raw,
                        })
                    })
                    .collect()
            };
            let broader = refs("broader")?;
            let related = refs("related")?;
            let exact_match = r.strings(obj, "exactMatch")?;
            let close_match = r.strings(obj, "closeMatch")?;
            if let Some(uri) = exact_match
                .iter()
                .chain(&close_match)
                .find(|u| !is_eurovoc(u))
            {
                return Err(SchemeError::BadEuroVocLink {
                    file: file_name.to_owned(),
                    line,
                    id,
                    uri: uri.clone(),
                });
            }
            let themes = r.strings(obj, "themes")?;
            if let Some(theme) = themes
                .iter()
                .find(|t| !Theme::KNOWN.iter().any(|k| k.as_str() == t.as_str()))
            {
                return Err(SchemeError::UnknownTheme {
                    file: file_name.to_owned(),
                    line,
                    id,
                    theme: theme.clone(),
                });
            }
            let concept = Concept {
                id,
                file: file_name.to_owned(),
                line,
                pref_labels,
                alt_labels,
                definitions,
                broader,
                related,
                exact_match,
                close_match,
                themes,
                technologies: r.strings(obj, "technologies")?,
                application_types: r.strings(obj, "applicationTypes")?,
            };
            scheme.insert(concept)?;
        }
        Ok(scheme)
    }

    /// Adds a concept, rejecting a duplicate id or a label already used in its language.
    fn insert(&mut self, concept: Concept) -> Result<(), SchemeError> {
        if let Some(&first) = self.by_id.get(&concept.id) {
            let first = &self.concepts[first];
            return Err(SchemeError::DuplicateId {
                file: concept.file.clone(),
                line: concept.line,
                id: concept.id.clone(),
                first_file: first.file.clone(),
                first_line: first.line,
            });
        }
        let index = self.concepts.len();
        let mut added: Vec<(String, String)> = Vec::new();
        let langs: BTreeSet<&String> = concept
            .pref_labels
            .keys()
            .chain(concept.alt_labels.keys())
            .collect();
        for lang in langs {
            let mut own = BTreeSet::new();
            for label in concept.labels(lang) {
                let key = normalise_label(label);
                let other = self
                    .by_label
                    .get(lang.as_str())
                    .and_then(|m| m.get(&key))
                    .map(|&i| self.concepts[i].id.clone())
                    .or_else(|| own.contains(&key).then(|| concept.id.clone()));
                if let Some(other) = other {
                    return Err(SchemeError::DuplicateLabel {
                        file: concept.file.clone(),
                        line: concept.line,
                        id: concept.id.clone(),
                        lang: lang.clone(),
                        label: label.to_owned(),
                        other,
                    });
                }
                own.insert(key.clone());
                added.push((lang.clone(), key));
            }
        }
        for (lang, key) in added {
            self.by_label.entry(lang).or_default().insert(key, index);
        }
        self.by_id.insert(concept.id.clone(), index);
        self.concepts.push(concept);
        Ok(())
    }

    /// The union of two schemes: ids and labels must stay unique. References are not checked
    /// here (see [`ConceptScheme::check_references`]), so that files can be merged in any order.
    pub fn merge(mut self, other: ConceptScheme) -> Result<ConceptScheme, SchemeError> {
        for concept in other.concepts {
            self.insert(concept)?;
        }
        Ok(self)
    }

    /// Checks that every `broader` and `related` names a concept of the scheme, and that
    /// `broader` has no cycle.
    pub fn check_references(&self) -> Result<(), SchemeError> {
        for c in &self.concepts {
            if let Some(target) = c
                .broader
                .iter()
                .chain(&c.related)
                .find(|t| !self.by_id.contains_key(*t))
            {
                return Err(SchemeError::UnknownReference {
                    file: c.file.clone(),
                    line: c.line,
                    id: c.id.clone(),
                    target: target.clone(),
                });
            }
        }
        // Depth-first search over `broader`: 0 unvisited, 1 on the current path, 2 done.
        let mut state = vec![0u8; self.concepts.len()];
        for start in 0..self.concepts.len() {
            if state[start] != 0 {
                continue;
            }
            let mut path: Vec<(usize, usize)> = vec![(start, 0)];
            state[start] = 1;
            while let Some(&mut (node, ref mut next)) = path.last_mut() {
                let broader = &self.concepts[node].broader;
                if *next < broader.len() {
                    let target = self.by_id[&broader[*next]];
                    *next += 1;
                    match state[target] {
                        0 => {
                            state[target] = 1;
                            path.push((target, 0));
                        }
                        1 => {
                            let from = path.iter().position(|&(n, _)| n == target).unwrap_or(0);
                            let mut cycle: Vec<String> = path[from..]
                                .iter()
                                .map(|&(n, _)| self.concepts[n].id.clone())
                                .collect();
                            cycle.push(self.concepts[target].id.clone());
                            let c = &self.concepts[target];
                            return Err(SchemeError::BroaderCycle {
                                file: c.file.clone(),
                                line: c.line,
                                id: c.id.clone(),
                                cycle,
                            });
                        }
                        _ => {}
                    }
                } else {
                    state[node] = 2;
                    path.pop();
                }
            }
        }
        Ok(())
    }

    /// Parses every `(file name, text)`, merges them and checks references: the whole scheme.
    pub fn from_files(files: &[(&str, &str)]) -> Result<ConceptScheme, SchemeError> {
        let mut scheme = ConceptScheme::default();
        for (name, text) in files {
            scheme = scheme.merge(ConceptScheme::parse(name, text)?)?;
        }
        scheme.check_references()?;
        Ok(scheme)
    }

    /// The scheme compiled into the crate (`protocol/concepts/*.jsonld`).
    ///
    /// # Panics
    /// When the embedded files are invalid, which the crate's tests rule out.
    pub fn builtin() -> ConceptScheme {
        match ConceptScheme::from_files(BUILTIN_FILES) {
            Ok(scheme) => scheme,
            Err(e) => panic!("the built-in concept scheme is invalid: {e}"),
        }
    }

    /// All concepts, in file order.
    pub fn concepts(&self) -> &[Concept] {
        &self.concepts
    }

    /// The number of concepts.
    pub fn len(&self) -> usize {
        self.concepts.len()
    }

    /// Whether the scheme has no concept.
    pub fn is_empty(&self) -> bool {
        self.concepts.is_empty()
    }

    /// The concept with id `id` (`mc:<slug>` or the full `urn:mosaico:concept:<slug>`).
    pub fn get(&self, id: &str) -> Option<&Concept> {
        let id = compact_id(id)?;
        self.by_id.get(&id).map(|&i| &self.concepts[i])
    }

    /// The concept that has `label` (compared case-folded and whitespace-normalised) in `lang`.
    pub fn by_label(&self, lang: &str, label: &str) -> Option<&Concept> {
        let i = self.by_label.get(lang)?.get(&normalise_label(label))?;
        Some(&self.concepts[*i])
    }

    /// Every label in `lang`, preferred and alternative, with its concept: the matcher's input.
    pub fn labels(&self, lang: &str) -> Vec<Label<'_>> {
        let mut out = Vec::new();
        for c in &self.concepts {
            for (n, text) in c.labels(lang).enumerate() {
                out.push(Label {
                    text,
                    concept: &c.id,
                    preferred: n == 0 && c.pref_labels.contains_key(lang),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small concept with all twelve preferred labels `<word> <lang>`.
    fn concept(id: &str, word: &str, extra: &str) -> String {
        let labels: Vec<String> = LANGUAGES
            .iter()
            .map(|l| format!("\"{l}\": \"{word} {l}\""))
            .collect();
        format!(
            "{{\n\"@id\": \"{id}\",\n\"@type\": \"skos:Concept\",\n\"prefLabel\": {{{}}}{extra}\n}}",
            labels.join(", ")
        )
    }

    fn file(concepts: &[String]) -> String {
        format!(
            "{{\n\"@id\": \"urn:mosaico:concepts:test\",\n\"concepts\": [\n{}\n]\n}}\n",
            concepts.join(",\n")
        )
    }

    fn parse(text: &str) -> Result<ConceptScheme, SchemeError> {
        ConceptScheme::from_files(&[("t.jsonld", text)])
    }

    #[test]
    fn a_small_scheme_loads() {
        let text = file(&[
            concept(
                "mc:a",
                "alpha",
                ",\n\"altLabel\": {\"it\": [\"alfa\", \"prima\"]}",
            ),
            concept(
                "mc:b",
                "beta",
                ",\n\"broader\": [\"mc:a\"], \"related\": [\"urn:mosaico:concept:a\"], \
                 \"exactMatch\": [\"http://eurovoc.europa.eu/3030\"], \"themes\": [\"data\"]",
            ),
        ]);
        let scheme = parse(&text).expect("valid");
        assert_eq!(scheme.len(), 2);
        let b = scheme.get("mc:b").expect("b");
        assert_eq!(b.line, 11);
        assert_eq!(b.broader, vec!["mc:a".to_owned()]);
        assert_eq!(b.related, vec!["mc:a".to_owned()]);
        assert_eq!(
            scheme.by_label("it", "  ALFA ").map(|c| c.id.as_str()),
            Some("mc:a")
        );
        assert_eq!(
            scheme.by_label("it", "beta it").map(|c| c.id.as_str()),
            Some("mc:b")
        );
        assert!(scheme.by_label("en", "alfa").is_none());
        let it = scheme.labels("it");
        assert_eq!(it.len(), 4);
        assert!(it[0].preferred && !it[1].preferred);
    }

    #[test]
    fn malformed_json_names_the_line() {
        let err = parse("{\n\"concepts\": [\n{,}\n]}").expect_err("bad");
        assert!(matches!(err, SchemeError::Syntax { line: 3, .. }), "{err}");
        assert!(err.to_string().starts_with("t.jsonld:3: malformed JSON"));
    }

    #[test]
    fn a_file_without_concepts_is_rejected() {
        let err = parse("{\"@id\": \"x\"}").expect_err("bad");
        assert!(matches!(err, SchemeError::Shape { .. }), "{err}");
    }

    #[test]
    fn a_missing_pref_label_is_rejected() {
        let mut c = concept("mc:a", "alpha", "");
        c = c.replace(", \"pl\": \"alpha pl\"", "");
        let text = file(&[concept("mc:z", "zeta", ""), c]);
        let err = parse(&text).expect_err("bad");
        assert_eq!(
            err,
            SchemeError::MissingPrefLabel {
                file: "t.jsonld".into(),
                line: 10,
                id: "mc:a".into(),
                lang: "pl".into()
            }
        );
    }

    #[test]
    fn two_pref_labels_in_one_language_are_rejected() {
        let c =
            concept("mc:a", "alpha", "").replace("\"pl\": \"alpha pl\"", "\"pl\": [\"a\", \"b\"]");
        let err = parse(&file(&[c])).expect_err("bad");
        assert!(matches!(err, SchemeError::Shape { line: 5, .. }), "{err}");
    }

    #[test]
    fn malformed_ids_are_rejected() {
        for id in [
            "mc:Upper", "mc:", "mc:a_b", "mc:-a", "x:a", "mc:a--b", "mc:è",
        ] {
            let err = parse(&file(&[concept(id, "alpha", "")])).expect_err(id);
            assert!(
                matches!(err, SchemeError::MalformedId { line: 5, .. }),
                "{id}: {err}"
            );
        }
    }

    #[test]
    fn malformed_labels_are_rejected() {
        for label in ["", " lead", "trail ", "two  spaces"] {
            let extra = format!(",\n\"altLabel\": {{\"en\": [\"{label}\"]}}");
            let err = parse(&file(&[concept("mc:a", "alpha", &extra)])).expect_err(label);
            assert!(
                matches!(err, SchemeError::MalformedLabel { .. }),
                "{label:?}: {err}"
            );
        }
    }

    #[test]
    fn a_duplicate_id_is_rejected() {
        let text = file(&[concept("mc:a", "alpha", ""), concept("mc:a", "beta", "")]);
        let err = parse(&text).expect_err("bad");
        assert!(matches!(err, SchemeError::DuplicateId { .. }), "{err}");
        // Across files, too.
        let one = file(&[concept("mc:a", "alpha", "")]);
        let two = file(&[concept("urn:mosaico:concept:a", "beta", "")]);
        let err = ConceptScheme::from_files(&[("one", &one), ("two", &two)]).expect_err("bad");
        assert!(
            matches!(&err, SchemeError::DuplicateId { file, first_file, .. } if file == "two" && first_file == "one"),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_reference_is_rejected() {
        for key in ["broader", "related"] {
            let extra = format!(",\n\"{key}\": [\"mc:nowhere\"]");
            let text = file(&[concept("mc:a", "alpha", &extra)]);
            let err = parse(&text).expect_err(key);
            assert!(
                matches!(&err, SchemeError::UnknownReference { target, line: 5, .. } if target == "mc:nowhere"),
                "{err}"
            );
        }
        // A single file may point at another's concepts: only the union is checked.
        let text = file(&[concept("mc:a", "alpha", ",\n\"broader\": [\"mc:nowhere\"]")]);
        assert!(ConceptScheme::parse("t.jsonld", &text).is_ok());
    }

    #[test]
    fn a_broader_cycle_is_rejected() {
        let text = file(&[
            concept("mc:a", "alpha", ",\n\"broader\": [\"mc:c\"]"),
            concept("mc:b", "beta", ",\n\"broader\": [\"mc:a\"]"),
            concept("mc:c", "gamma", ",\n\"broader\": [\"mc:b\"]"),
        ]);
        let err = parse(&text).expect_err("bad");
        assert!(
            matches!(&err, SchemeError::BroaderCycle { cycle, .. } if cycle.len() == 4),
            "{err}"
        );
        let own = file(&[concept("mc:a", "alpha", ",\n\"broader\": [\"mc:a\"]")]);
        assert!(matches!(parse(&own), Err(SchemeError::BroaderCycle { .. })));
        // A diamond is not a cycle.
        let diamond = file(&[
            concept("mc:a", "alpha", ""),
            concept("mc:b", "beta", ",\n\"broader\": [\"mc:a\"]"),
            concept("mc:c", "gamma", ",\n\"broader\": [\"mc:a\"]"),
            concept("mc:d", "delta", ",\n\"broader\": [\"mc:b\", \"mc:c\"]"),
        ]);
        assert!(parse(&diamond).is_ok());
    }

    #[test]
    fn a_duplicate_label_is_rejected() {
        // Case does not make a label different.
        let text = file(&[
            concept(
                "mc:a",
                "alpha",
                ",\n\"altLabel\": {\"fi\": [\"SAMA Sana\"]}",
            ),
            concept("mc:b", "beta", ",\n\"altLabel\": {\"fi\": [\"sama sana\"]}"),
        ]);
        let err = parse(&text).expect_err("bad");
        assert!(
            matches!(&err, SchemeError::DuplicateLabel { lang, other, id, line: 11, .. }
                if lang == "fi" && other == "mc:a" && id == "mc:b"),
            "{err}"
        );
        // Within one concept, too.
        let own = file(&[concept(
            "mc:a",
            "alpha",
            ",\n\"altLabel\": {\"en\": [\"Alpha EN\"]}",
        )]);
        assert!(matches!(
            parse(&own),
            Err(SchemeError::DuplicateLabel { .. })
        ));
        // The same word in two languages is fine.
        let two = file(&[
            concept("mc:a", "alpha", ",\n\"altLabel\": {\"it\": [\"dati\"]}"),
            concept("mc:b", "beta", ",\n\"altLabel\": {\"en\": [\"dati\"]}"),
        ]);
        assert!(parse(&two).is_ok());
    }

    #[test]
    fn an_unknown_theme_is_rejected() {
        for theme in ["mobility", "x-mobility", "Data"] {
            let extra = format!(",\n\"themes\": [\"{theme}\"]");
            let err = parse(&file(&[concept("mc:a", "alpha", &extra)])).expect_err(theme);
            assert!(
                matches!(err, SchemeError::UnknownTheme { .. }),
                "{theme}: {err}"
            );
        }
    }

    #[test]
    fn a_malformed_eurovoc_link_is_rejected() {
        for uri in [
            "https://eurovoc.europa.eu/3030",
            "http://eurovoc.europa.eu/",
            "http://eurovoc.europa.eu/c_3030",
            "http://example.org/3030",
        ] {
            for key in ["exactMatch", "closeMatch"] {
                let extra = format!(",\n\"{key}\": [\"{uri}\"]");
                let err = parse(&file(&[concept("mc:a", "alpha", &extra)])).expect_err(uri);
                assert!(
                    matches!(err, SchemeError::BadEuroVocLink { .. }),
                    "{uri}: {err}"
                );
            }
        }
    }

    #[test]
    fn the_builtin_scheme_loads() {
        let scheme = ConceptScheme::builtin();
        // Techniques and data (about 200), application areas and practice (about 200).
        assert!(scheme.len() >= 400, "only {} concepts", scheme.len());
        for c in scheme.concepts() {
            for lang in LANGUAGES {
                assert!(c.pref_labels.contains_key(lang), "{} {lang}", c.id);
            }
        }
        for anchor in [
            "artificial-intelligence",
            "machine-learning",
            "deep-learning",
            "natural-language-processing",
            "machine-translation",
            "speech-recognition",
            "speech-synthesis",
            "chatbot",
            "computer-vision",
            "image-recognition",
            "optical-character-recognition",
            "predictive-analytics",
            "anomaly-detection",
            "recommender-system",
            "generative-ai",
            "large-language-model",
            "robotic-process-automation",
            "internet-of-things",
            "sensor",
            "big-data",
            "data-analytics",
            "geographic-information-system",
            "digital-twin",
            "blockchain",
            "cloud-computing",
            "satellite-imagery",
            "drone",
            "biometrics",
            "pseudonymisation",
            "text-mining",
            "search-engine",
            "simulation",
            "optimisation",
            "decision-support-system",
            "dashboard",
        ] {
            assert!(
                scheme.get(&format!("mc:{anchor}")).is_some(),
                "anchor {anchor}"
            );
        }
        let mt = |label: &str| scheme.by_label("it", label).map(|c| c.id.as_str());
        assert_eq!(mt("traduzione"), Some("mc:machine-translation"));
        assert_eq!(mt("traduzione automatica"), Some("mc:machine-translation"));
        let mt = scheme.get("mc:machine-translation").expect("anchor");
        assert_eq!(mt.pref_labels["it"], "traduzione automatica");
        assert_eq!(
            scheme
                .by_label("it", "anonimizzazione")
                .map(|c| c.id.as_str()),
            Some("mc:pseudonymisation")
        );
        // The demo's cross-language checks start from these labels.
        for (lang, label, id) in [
            ("it", "semafori", "mc:smart-traffic-lights"),
            ("fi", "liikennevalot", "mc:smart-traffic-lights"),
            ("nl", "verkeerslichten", "mc:smart-traffic-lights"),
            ("it", "sentenze", "mc:court-rulings"),
        ] {
            assert_eq!(
                scheme.by_label(lang, label).map(|c| c.id.as_str()),
                Some(id),
                "{lang} {label}"
            );
        }
    }
}
