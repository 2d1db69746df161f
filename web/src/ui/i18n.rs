//! The interface's languages and their message catalogues.
//!
//! Catalogues are plain `key = value` files (`i18n/en.txt`, `i18n/it.txt`, …), embedded at
//! compile time and parsed once. Values may hold `{name}` placeholders. A key missing from a
//! catalogue renders as `⟦key⟧`, which the tests look for on every page, and the tests check that
//! every catalogue has exactly the keys of `en.txt`, in the same order and with the same
//! placeholders, so no language can fall behind silently.
//!
//! Besides the messages, the catalogues name the countries records come from (`country.BE`), so
//! a page reads "Belgio" or "België" rather than `BE`, and the language decides how a date is
//! laid out (`date.format`) and which thousands separator a number gets ([`Tr::number`]).

use std::collections::HashMap;
use std::sync::LazyLock;

/// A language the interface is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English, the federation's common language and the fallback.
    En,
    /// Italian.
    It,
    /// Spanish.
    Es,
    /// Catalan.
    Ca,
    /// French.
    Fr,
    /// German.
    De,
    /// Dutch.
    Nl,
    /// Finnish.
    Fi,
}

impl Lang {
    /// Every interface language, in the order the switch lists them: alphabetical by endonym,
    /// so that no language is put first and a reader finds their own where they expect it.
    pub const ALL: [Lang; 8] = [
        Lang::Ca,
        Lang::De,
        Lang::En,
        Lang::Es,
        Lang::Fr,
        Lang::It,
        Lang::Nl,
        Lang::Fi,
    ];

    /// The BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::It => "it",
            Lang::Es => "es",
            Lang::Ca => "ca",
            Lang::Fr => "fr",
            Lang::De => "de",
            Lang::Nl => "nl",
            Lang::Fi => "fi",
        }
    }

    /// The language named by a tag's primary subtag, if the interface speaks it.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split('-').next().unwrap_or(tag);
        Lang::ALL
            .into_iter()
            .find(|lang| primary.eq_ignore_ascii_case(lang.tag()))
    }

    /// The language's own name, for the switch.
    pub fn endonym(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::It => "Italiano",
            Lang::Es => "Español",
            Lang::Ca => "Català",
            Lang::Fr => "Français",
            Lang::De => "Deutsch",
            Lang::Nl => "Nederlands",
            Lang::Fi => "Suomi",
        }
    }

    /// The thousands separator: the narrow no-break space (U+202F) where a space is the custom,
    /// so that a number never breaks across lines.
    fn thousands_separator(self) -> char {
        match self {
            Lang::En => ',',
            Lang::It | Lang::Es | Lang::Ca | Lang::De | Lang::Nl => '.',
            Lang::Fr | Lang::Fi => '\u{202F}',
        }
    }

    /// The catalogue's text, embedded in the binary.
    fn source(self) -> &'static str {
        match self {
            Lang::En => include_str!("i18n/en.txt"),
            Lang::It => include_str!("i18n/it.txt"),
            Lang::Es => include_str!("i18n/es.txt"),
            Lang::Ca => include_str!("i18n/ca.txt"),
            Lang::Fr => include_str!("i18n/fr.txt"),
            Lang::De => include_str!("i18n/de.txt"),
            Lang::Nl => include_str!("i18n/nl.txt"),
            Lang::Fi => include_str!("i18n/fi.txt"),
        }
    }
}

type Catalogue = HashMap<&'static str, &'static str>;

/// A catalogue's `(key, value)` lines, in file order; blank lines and `#` comments are skipped.
fn entries(text: &'static str) -> Vec<(&'static str, &'static str)> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim(), value.trim()))
        .collect()
}

static CATALOGUES: LazyLock<HashMap<Lang, Catalogue>> = LazyLock::new(|| {
    Lang::ALL
        .into_iter()
        .map(|lang| (lang, entries(lang.source()).into_iter().collect()))
        .collect()
});

/// The translator for one request.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    /// The page's language.
    pub lang: Lang,
    catalogue: &'static Catalogue,
}

impl Tr {
    /// The translator for `lang`.
    pub fn new(lang: Lang) -> Self {
        // Every language in `Lang::ALL` has a catalogue, and `ALL` lists every variant (a test
        // checks both), so the index cannot fail.
        Tr {
            lang,
            catalogue: &CATALOGUES[&lang],
        }
    }

    /// The message `key`.
    pub fn t(&self, key: &str) -> &'static str {
        match self.catalogue.get(key) {
            Some(text) => text,
            None => {
                tracing::warn!(key, lang = self.lang.tag(), "missing interface message");
                "⟦missing message⟧"
            }
        }
    }

    /// The message `key` with `{name}` placeholders filled in.
    pub fn tf(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.t(key).to_owned();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// The label of a vocabulary term (`theme`, `iot`), or the term itself for extension terms
    /// and terms newer than this node.
    pub fn term(&self, vocabulary: &str, term: &str) -> String {
        match self.catalogue.get(format!("{vocabulary}.{term}").as_str()) {
            Some(text) => (*text).to_owned(),
            None => term.to_owned(),
        }
    }

    /// The name of a country in this language, from its two-letter code (`BE` → "Belgio"; `EU`
    /// is the European Union), or the code itself for a country the catalogues do not name.
    pub fn country<'a>(&self, code: &'a str) -> &'a str {
        let key = format!("country.{}", code.to_ascii_uppercase());
        match self.catalogue.get(key.as_str()) {
            Some(name) => name,
            None => code,
        }
    }

    /// A whole number with this language's thousands separator: 1,234 in English, 1.234 in
    /// Italian, 1 234 (narrow no-break space) in French.
    pub fn number(&self, n: u64) -> String {
        let separator = self.lang.thousands_separator();
        let digits = n.to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(separator);
            }
            out.push(digit);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The English catalogue, the reference the others are checked against.
    static EN: LazyLock<&'static Catalogue> = LazyLock::new(|| &CATALOGUES[&Lang::En]);

    /// The countries records name: the EU and EEA members (Greece both as ISO `GR` and as the
    /// EU's `EL`), the neighbours in the federation's programmes, and the Union itself.
    const COUNTRIES: [&str; 35] = [
        "AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "EU", "FI", "FR", "GB",
        "GR", "HR", "HU", "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT",
        "RO", "SE", "SI", "SK", "UA",
    ];

    /// The `{name}` placeholders of a message.
    fn placeholders(text: &str) -> BTreeSet<&str> {
        text.split('{')
            .skip(1)
            .filter_map(|piece| piece.split_once('}').map(|(name, _)| name))
            .collect()
    }

    #[test]
    fn every_variant_is_in_all_and_round_trips_its_tag() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_tag(lang.tag()), Some(lang));
            assert_eq!(
                Lang::from_tag(&format!("{}-XX", lang.tag().to_uppercase())),
                Some(lang)
            );
        }
        let tags: BTreeSet<_> = Lang::ALL.iter().map(|lang| lang.tag()).collect();
        assert_eq!(tags.len(), Lang::ALL.len(), "a language is listed twice");
        // Every variant, as a match so that a new one does not compile until it is numbered here,
        // and then this fails until it joins `ALL` (which `Tr::new` relies on).
        let number = |lang: Lang| match lang {
            Lang::En => 0,
            Lang::It => 1,
            Lang::Es => 2,
            Lang::Ca => 3,
            Lang::Fr => 4,
            Lang::De => 5,
            Lang::Nl => 6,
            Lang::Fi => 7,
        };
        let mut listed = [false; 8];
        for lang in Lang::ALL {
            listed[number(lang)] = true;
        }
        assert!(listed.iter().all(|&in_all| in_all), "{listed:?}");
        assert_eq!(Lang::from_tag("pt-BR"), None);
        assert_eq!(Lang::from_tag(""), None);
    }

    #[test]
    fn accept_language_picks_the_best_interface_language_by_weight() {
        // The composition the request context uses: tags by weight, then the first one spoken.
        let best = |header: &str| {
            crate::query::parse_accept_language(header)
                .iter()
                .find_map(|tag| Lang::from_tag(tag))
        };
        assert_eq!(best("de-CH;q=0.5, nl-BE;q=0.9, en;q=0.1"), Some(Lang::Nl));
        assert_eq!(best("sv-FI, fi;q=0.8, en;q=0.5"), Some(Lang::Fi));
        assert_eq!(best("ca-ES,es;q=0.9"), Some(Lang::Ca));
        assert_eq!(best("fr;q=0, de;q=0.2"), Some(Lang::De));
        assert_eq!(best("pt-BR, sv"), None);
    }

    #[test]
    fn every_catalogue_has_exactly_the_keys_of_english_in_its_order() {
        let en = entries(Lang::En.source());
        let en_keys: Vec<_> = en.iter().map(|(key, _)| *key).collect();
        let en_set: BTreeSet<_> = en_keys.iter().copied().collect();
        assert_eq!(en_set.len(), en_keys.len(), "en.txt repeats a key");
        let mut problems = Vec::new();
        for lang in Lang::ALL {
            let catalogue = entries(lang.source());
            let keys: Vec<_> = catalogue.iter().map(|(key, _)| *key).collect();
            let set: BTreeSet<_> = keys.iter().copied().collect();
            let tag = lang.tag();
            if set.len() != keys.len() {
                problems.push(format!("{tag}.txt repeats a key"));
            }
            for key in en_set.difference(&set) {
                problems.push(format!("{tag}.txt misses {key}"));
            }
            for key in set.difference(&en_set) {
                problems.push(format!("{tag}.txt has {key}, which en.txt does not"));
            }
            if problems.is_empty() && keys != en_keys {
                let first = keys.iter().zip(&en_keys).find(|(a, b)| a != b);
                problems.push(format!(
                    "{tag}.txt orders its keys unlike en.txt: {first:?}"
                ));
            }
            for (key, value) in &catalogue {
                if value.is_empty() {
                    problems.push(format!("{tag}.txt leaves {key} empty"));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn every_message_has_the_placeholders_of_english() {
        let en = &CATALOGUES[&Lang::En];
        let mut problems = Vec::new();
        for lang in Lang::ALL {
            for (key, value) in &CATALOGUES[&lang] {
                let Some(english) = en.get(key) else { continue };
                let (want, got) = (placeholders(english), placeholders(value));
                if want != got {
                    problems.push(format!(
                        "{}.txt: {key} has {got:?}, en.txt has {want:?}",
                        lang.tag()
                    ));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn every_key_used_in_the_code_exists() {
        let sources = [
            include_str!("mod.rs"),
            include_str!("layout.rs"),
            include_str!("browse.rs"),
            include_str!("concepts.rs"),
            include_str!("record.rs"),
            include_str!("members.rs"),
            include_str!("context.rs"),
            include_str!("posted.rs"),
            include_str!("signin.rs"),
            include_str!("publish/controls.rs"),
            include_str!("publish/form.rs"),
            include_str!("publish/handlers.rs"),
            include_str!("publish/render.rs"),
            include_str!("publish/retract.rs"),
        ];
        let mut missing = Vec::new();
        for source in sources {
            for call in [".t(\"", ".tf(\""] {
                for piece in source.split(call).skip(1) {
                    let key = piece.split('"').next().unwrap_or_default();
                    if !EN.contains_key(key) {
                        missing.push(key.to_owned());
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys missing from the catalogues: {missing:?}"
        );
    }

    #[test]
    fn vocabularies_are_translated() {
        use mosaico_protocol::vocab::{Benefit, Kind, Status, Theme};
        let mut missing = Vec::new();
        for lang in Lang::ALL {
            let catalogue = &CATALOGUES[&lang];
            let keys = Kind::KNOWN
                .iter()
                .map(|kind| format!("kind.{}", kind.as_str()))
                .chain(Theme::KNOWN.iter().map(|t| format!("theme.{}", t.as_str())))
                .chain(
                    Status::KNOWN
                        .iter()
                        .map(|s| format!("status.{}", s.as_str())),
                )
                .chain(
                    Benefit::KNOWN
                        .iter()
                        .map(|b| format!("benefit.{}", b.as_str())),
                );
            for key in keys {
                if !catalogue.contains_key(key.as_str()) {
                    missing.push(format!("{}.txt misses {key}", lang.tag()));
                }
            }
        }
        assert!(missing.is_empty(), "{}", missing.join("\n"));
    }

    #[test]
    fn every_country_is_named_in_every_language() {
        for lang in Lang::ALL {
            let tr = Tr::new(lang);
            for code in COUNTRIES {
                let name = tr.country(code);
                assert_ne!(name, code, "{}.txt does not name {code}", lang.tag());
                assert_eq!(tr.country(&code.to_ascii_lowercase()), name);
            }
        }
        let it = Tr::new(Lang::It);
        assert_eq!(it.country("BE"), "Belgio");
        assert_eq!(it.country("EU"), "Unione europea");
        // A code no catalogue names is shown as it is.
        assert_eq!(it.country("ZZ"), "ZZ");
        assert_eq!(Tr::new(Lang::En).country("GB"), "United Kingdom");
        assert_eq!(Tr::new(Lang::Es).country("BE"), "Bélgica");
        assert_eq!(Tr::new(Lang::De).country("be"), "Belgien");
        assert_eq!(Tr::new(Lang::Fr).country("EU"), "Union européenne");
        assert_eq!(Tr::new(Lang::Nl).country("BE"), "België");
        assert_eq!(Tr::new(Lang::Fi).country("FI"), "Suomi");
        // The country facets and filter labels read their terms from the same keys.
        assert_eq!(Tr::new(Lang::Ca).term("country", "BE"), "Bèlgica");
    }

    #[test]
    fn numbers_take_the_language_s_thousands_separator() {
        let expected = [
            (Lang::En, "1,234,567"),
            (Lang::It, "1.234.567"),
            (Lang::Es, "1.234.567"),
            (Lang::Ca, "1.234.567"),
            (Lang::De, "1.234.567"),
            (Lang::Fr, "1\u{202F}234\u{202F}567"),
            (Lang::Nl, "1.234.567"),
            (Lang::Fi, "1\u{202F}234\u{202F}567"),
        ];
        for (lang, text) in expected {
            let tr = Tr::new(lang);
            assert_eq!(tr.number(1_234_567), text, "{}", lang.tag());
            assert_eq!(tr.number(999), "999");
            assert_eq!(tr.number(0), "0");
        }
        assert_eq!(Tr::new(Lang::En).number(1_000), "1,000");
        assert_eq!(
            Tr::new(Lang::It).number(u64::MAX),
            "18.446.744.073.709.551.615"
        );
    }
}
