//! Text analysis: which analyser reads which language, and the analysers themselves.
//!
//! Every language tantivy can stem gets its own pair of fields (title and body) analysed with
//! lower-casing, that language's stop words (where tantivy has a list), its Snowball stemmer and
//! ASCII folding. Folding comes after stemming because the stemmers expect the accents of their
//! own language (`città`, `Straße`); folding the stems then makes `citta` find `città`. Every other
//! language (Catalan, Czech, Basque, Slovene…) goes to a plain field, lower-cased and folded but
//! not stemmed: a wrong stemmer does more harm than none.

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer, TokenStream,
};

/// Tokens longer than this are dropped: they are hashes, URLs or base64, never words people type.
const MAX_TOKEN_BYTES: usize = 40;

/// A text analysis: one per stemmed language, plus the plain fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Analysis {
    /// Stop words and stemming of one language.
    Stemmed(Language),
    /// Lower-casing and folding only.
    Plain,
}

/// Every language tantivy's stemmers cover, with the BCP 47 primary subtags that map to it.
pub const STEMMED: &[(Language, &str, &[&str])] = &[
    (Language::Arabic, "ar", &["ar"]),
    (Language::Danish, "da", &["da"]),
    (Language::Dutch, "nl", &["nl"]),
    (Language::English, "en", &["en"]),
    (Language::Finnish, "fi", &["fi"]),
    (Language::French, "fr", &["fr"]),
    (Language::German, "de", &["de"]),
    (Language::Greek, "el", &["el"]),
    (Language::Hungarian, "hu", &["hu"]),
    (Language::Italian, "it", &["it"]),
    (Language::Norwegian, "no", &["no", "nb", "nn"]),
    (Language::Portuguese, "pt", &["pt"]),
    (Language::Romanian, "ro", &["ro"]),
    (Language::Russian, "ru", &["ru"]),
    (Language::Spanish, "es", &["es"]),
    (Language::Swedish, "sv", &["sv"]),
    (Language::Tamil, "ta", &["ta"]),
    (Language::Turkish, "tr", &["tr"]),
];

impl Analysis {
    /// Every analysis, stemmed languages first.
    pub fn all() -> impl Iterator<Item = Analysis> {
        STEMMED
            .iter()
            .map(|(language, _, _)| Analysis::Stemmed(*language))
            .chain(std::iter::once(Analysis::Plain))
    }

    /// The analysis for text tagged `tag` (BCP 47): its primary subtag decides.
    pub fn for_tag(tag: &str) -> Analysis {
        let primary = tag.split('-').next().unwrap_or(tag).to_ascii_lowercase();
        STEMMED
            .iter()
            .find(|(_, _, tags)| tags.contains(&primary.as_str()))
            .map_or(Analysis::Plain, |(language, _, _)| {
                Analysis::Stemmed(*language)
            })
    }

    /// A short stable name, used in field and tokenizer names (`it`, `plain`).
    pub fn code(&self) -> &'static str {
        match self {
            Analysis::Plain => "plain",
            Analysis::Stemmed(language) => STEMMED
                .iter()
                .find(|(l, _, _)| l == language)
                .map_or("plain", |(_, code, _)| code),
        }
    }

    /// The name the analyser is registered under in the index.
    pub fn tokenizer_name(&self) -> String {
        format!("mosaico_{}", self.code())
    }

    /// Builds the analyser.
    pub fn analyzer(&self) -> TextAnalyzer {
        let base = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
            .filter(LowerCaser)
            .dynamic();
        match self {
            Analysis::Plain => base.filter_dynamic(AsciiFoldingFilter).build(),
            Analysis::Stemmed(language) => {
                let base = match StopWordFilter::new(*language) {
                    Some(stop_words) => base.filter_dynamic(stop_words),
                    None => base,
                };
                base.filter_dynamic(Stemmer::new(*language))
                    .filter_dynamic(AsciiFoldingFilter)
                    .build()
            }
        }
    }
}

/// The terms `analyzer` makes of `text`.
pub fn terms(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(token) = stream.next() {
        out.push(token.text.clone());
    }
    out
}

/// The terms `analyzer` makes of `text`, with the byte offset each starts at.
pub fn terms_at(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut stream = analyzer.token_stream(text);
    while let Some(token) = stream.next() {
        out.push((token.offset_from, token.text.clone()));
    }
    out
}

/// Whether `a` and `b` are at most one edit apart (insertion, deletion, substitution or the
/// transposition of two neighbours), the same tolerance as the fuzzy queries. Used to mark typo
/// matches in snippets, where the index's automaton is not at hand.
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a == b {
        return true;
    }
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    match long.len() - short.len() {
        0 => {
            let diffs: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
            match diffs.as_slice() {
                [_] => true,
                [i, j] => *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i],
                _ => false,
            }
        }
        1 => {
            let skip = (0..short.len())
                .find(|&i| short[i] != long[i])
                .unwrap_or(short.len());
            short[skip..] == long[skip + 1..]
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyse(tag: &str, text: &str) -> Vec<String> {
        terms(&mut Analysis::for_tag(tag).analyzer(), text)
    }

    #[test]
    fn inflections_meet_on_one_stem() {
        assert_eq!(
            analyse("it", "richiesta del cittadino"),
            analyse("it", "richieste dei cittadini")
        );
        assert_eq!(
            analyse("es", "solicitud ciudadano"),
            analyse("es", "solicitudes de los ciudadanos")
        );
        assert_eq!(analyse("en", "requests"), analyse("en", "request"));
    }

    #[test]
    fn unstemmed_languages_are_folded() {
        assert_eq!(Analysis::for_tag("ca-ES"), Analysis::Plain);
        assert_eq!(
            analyse("ca", "Sol·licituds Ciutadà"),
            ["sol", "licituds", "ciutada"]
        );
        assert_eq!(
            Analysis::for_tag("nb"),
            Analysis::Stemmed(Language::Norwegian)
        );
    }

    #[test]
    fn one_edit_means_one_edit() {
        assert!(within_one_edit("smistament", "smistamnet"));
        assert!(within_one_edit("cittadin", "citadin"));
        assert!(within_one_edit("cittadin", "cittadim"));
        assert!(!within_one_edit("cittadin", "ctadin"));
        assert!(!within_one_edit("abcd", "badc"));
    }
}
