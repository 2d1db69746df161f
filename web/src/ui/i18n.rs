//! The interface's languages and their message catalogues.
//!
//! Catalogues are plain `key = value` files (`i18n/en.txt`, `i18n/it.txt`), embedded at compile
//! time and parsed once. Values may hold `{name}` placeholders. A key missing from a catalogue
//! renders as `⟦key⟧`, which the tests look for on every page, and a test checks that both
//! catalogues have exactly the same keys, so neither language can fall behind silently.

use std::collections::HashMap;
use std::sync::LazyLock;

/// A language the interface is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English, the federation's common language and the fallback.
    En,
    /// Italian.
    It,
}

impl Lang {
    /// Every interface language, in the order the switch lists them.
    pub const ALL: [Lang; 2] = [Lang::It, Lang::En];

    /// The BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::It => "it",
        }
    }

    /// The language named by a tag's primary subtag, if the interface speaks it.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split('-').next().unwrap_or(tag);
        if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else if primary.eq_ignore_ascii_case("it") {
            Some(Lang::It)
        } else {
            None
        }
    }

    /// The language's own name, for the switch.
    pub fn endonym(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::It => "Italiano",
        }
    }
}

type Catalogue = HashMap<&'static str, &'static str>;

fn parse(text: &'static str) -> Catalogue {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim(), value.trim()))
        .collect()
}

static EN: LazyLock<Catalogue> = LazyLock::new(|| parse(include_str!("i18n/en.txt")));
static IT: LazyLock<Catalogue> = LazyLock::new(|| parse(include_str!("i18n/it.txt")));

/// The translator for one request.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    /// The page's language.
    pub lang: Lang,
    catalogue: &'static LazyLock<Catalogue>,
}

impl Tr {
    /// The translator for `lang`.
    pub fn new(lang: Lang) -> Self {
        let catalogue = match lang {
            Lang::En => &EN,
            Lang::It => &IT,
        };
        Tr { lang, catalogue }
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn both_catalogues_have_the_same_keys() {
        let en: BTreeSet<_> = EN.keys().collect();
        let it: BTreeSet<_> = IT.keys().collect();
        let only_en: Vec<_> = en.difference(&it).collect();
        let only_it: Vec<_> = it.difference(&en).collect();
        assert!(
            only_en.is_empty() && only_it.is_empty(),
            "only in en: {only_en:?}; only in it: {only_it:?}"
        );
    }

    #[test]
    fn every_key_used_in_the_code_exists() {
        let sources = [
            include_str!("mod.rs"),
            include_str!("layout.rs"),
            include_str!("browse.rs"),
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
        for tr in [Tr::new(Lang::En), Tr::new(Lang::It)] {
            for kind in Kind::KNOWN {
                assert!(
                    tr.catalogue
                        .contains_key(format!("kind.{}", kind.as_str()).as_str())
                );
            }
            for theme in Theme::KNOWN {
                assert!(
                    tr.catalogue
                        .contains_key(format!("theme.{}", theme.as_str()).as_str())
                );
            }
            for status in Status::KNOWN {
                assert!(
                    tr.catalogue
                        .contains_key(format!("status.{}", status.as_str()).as_str())
                );
            }
            for benefit in Benefit::KNOWN {
                assert!(
                    tr.catalogue
                        .contains_key(format!("benefit.{}", benefit.as_str()).as_str())
                );
            }
        }
    }
}
