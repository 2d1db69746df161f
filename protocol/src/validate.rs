//! Field rules, with errors that name the field and the limit.
//!
//! Every rule here is a pure function of the record, so every node reaches the same verdict on the
//! same bytes. The one rule that depends on the verifier's clock (creation time in the future) is
//! checked in [`Record::verify`](crate::Record::verify), which is given the time.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::fields::{Body, CURRENT_FORMAT, Header, LangMap};
use crate::vocab::Kind;

/// The protocol's limits. They are part of the spec: a node must refuse what exceeds them.
#[derive(Debug)]
pub struct Limits;

impl Limits {
    /// Canonical size of the unsigned record: one record fits in one gossip message.
    pub const MAX_CANONICAL_BYTES: usize = 64 * 1024;
    /// Size of the wire envelope: the record plus its signatures and any whitespace.
    pub const MAX_WIRE_BYTES: usize = 96 * 1024;
    /// How far in the future a creation time may be (clock skew between regions).
    pub const MAX_CLOCK_SKEW_MS: u64 = 10 * 60 * 1000;
    /// Signatures in one envelope (a membership update signed by many members).
    pub const MAX_SIGNATURES: usize = 300;
    /// Members of a federation.
    pub const MAX_MEMBERS: usize = 300;
    /// Languages per multilingual field.
    pub const MAX_LANGUAGES: usize = 32;
    /// Characters of a title, per language.
    pub const MAX_TITLE: usize = 200;
    /// Characters of a summary, per language.
    pub const MAX_SUMMARY: usize = 500;
    /// Characters of a description, per language.
    pub const MAX_DESCRIPTION: usize = 20_000;
    /// Characters of a short free-text value (organisation, name, tag, technology…).
    pub const MAX_SHORT_TEXT: usize = 200;
    /// Characters of a URL.
    pub const MAX_URL: usize = 2048;
    /// Items of a list field (themes, technologies, tags, links, contacts…).
    pub const MAX_LIST_ITEMS: usize = 32;
    /// Characters of a slug.
    pub const MAX_SLUG: usize = 128;
}

/// One broken rule: the field (as a path like `summary.it` or `links[2].url`), a stable code, and
/// a message for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Where: `summary.it`, `links[2].url`.
    pub field: String,
    /// A stable machine-readable code: `required`, `too_long`, `too_many`, `wrong_type`,
    /// `bad_format`, `bad_language`, `control_character`, `not_allowed`, `inconsistent`.
    pub code: String,
    /// What is wrong, in words: `812 characters, at most 500`.
    pub message: String,
}

impl FieldError {
    /// A new field error.
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            code: code.to_string(),
            message: message.into(),
        }
    }

    /// All errors on one line each.
    pub fn join(errors: &[FieldError]) -> String {
        errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Checks every field rule and returns all problems found.
pub fn validate(header: &Header, body: &Body, understood: bool) -> Vec<FieldError> {
    let mut v = Validator::default();
    v.header(header);
    if understood && !header.retracted {
        v.body(header, body);
    }
    v.errors
}

#[derive(Default)]
struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    fn push(&mut self, field: impl Into<String>, code: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, code, message));
    }

    fn header(&mut self, h: &Header) {
        if h.format == 0 {
            self.push(
                "format",
                "bad_format",
                format!("must be 1 or more (this node writes {CURRENT_FORMAT})"),
            );
        }
        if h.version == 0 {
            self.push("version", "bad_format", "must be 1 or more");
        }
        self.slug(&h.slug);
        match h.kind {
            Kind::Membership if h.slug != "federation" => {
                self.push(
                    "slug",
                    "inconsistent",
                    "a membership record's slug is \"federation\"",
                );
            }
            _ => {}
        }
        if h.kind == Kind::Membership && h.retracted {
            self.push(
                "retracted",
                "not_allowed",
                "a federation's membership cannot be retracted",
            );
        }
    }

    fn slug(&mut self, slug: &str) {
        let length = slug.chars().count();
        if length == 0 || length > Limits::MAX_SLUG {
            self.push(
                "slug",
                "bad_format",
                format!("{length} characters, 1 to {}", Limits::MAX_SLUG),
            );
        }
        let valid = slug.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        }) && slug
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if length > 0 && !valid {
            self.push(
                "slug",
                "bad_format",
                "lowercase letters, digits, '-', '_' and '.', starting with a letter or digit",
            );
        }
    }

    fn body(&mut self, h: &Header, b: &Body) {
        self.lang_map("title", &b.title, Limits::MAX_TITLE, false);
        self.lang_map("summary", &b.summary, Limits::MAX_SUMMARY, true);
        self.lang_map("description", &b.description, Limits::MAX_DESCRIPTION, true);
        self.optional_short("organisation", b.organisation.as_deref());
        if let Some(country) = &b.country {
            self.country("country", country);
        }
        if let Some(nuts) = &b.nuts {
            self.nuts("nuts", nuts, b.country.as_deref());
        }
        self.list_len("themes", b.themes.len());
        self.unique("themes", b.themes.iter().map(|t| t.as_str()));
        self.terms("technologies", &b.technologies);
        self.terms("tags", &b.tags);
        self.list_len("links", b.links.len());
        for (i, link) in b.links.iter().enumerate() {
            self.url(&format!("links[{i}].url"), &link.url);
            self.optional_short(&format!("links[{i}].title"), link.title.as_deref());
        }
        self.list_len("contacts", b.contacts.len());
        for (i, contact) in b.contacts.iter().enumerate() {
            self.short(&format!("contacts[{i}].name"), &contact.name);
            self.optional_short(&format!("contacts[{i}].role"), contact.role.as_deref());
            self.optional_short(
                &format!("contacts[{i}].organisation"),
                contact.organisation.as_deref(),
            );
            if let Some(email) = &contact.email {
                self.email(&format!("contacts[{i}].email"), email);
            }
        }
        if let Some(licence) = &b.licence {
            self.licence(licence);
        }
        self.kind_rules(h, b);
    }

    fn kind_rules(&mut self, h: &Header, b: &Body) {
        let kind_blocks = [
            ("case_study", b.case_study.is_some(), Kind::CaseStudy),
            ("solution", b.solution.is_some(), Kind::Solution),
            ("membership", b.membership.is_some(), Kind::Membership),
            ("endorsement", b.endorsement.is_some(), Kind::Endorsement),
        ];
        for (field, present, kind) in kind_blocks {
            if present && h.kind != kind {
                self.push(
                    field,
                    "not_allowed",
                    format!("only a {kind} record has \"{field}\""),
                );
            }
        }
        if h.kind.is_content() {
            if b.title.is_empty() {
                self.push("title", "required", "is required, in at least one language");
            }
            if b.summary.is_empty() {
                self.push(
                    "summary",
                    "required",
                    "is required, in at least one language",
                );
            }
            if b.organisation.is_none() {
                self.push("organisation", "required", "is required");
            }
            if b.country.is_none() {
                self.push("country", "required", "is required");
            }
        }
        match h.kind {
            Kind::CaseStudy => {
                if let Some(cs) = &b.case_study {
                    self.case_study(cs, h);
                }
            }
            Kind::Solution => {
                if let Some(s) = &b.solution {
                    self.solution(s);
                }
            }
            Kind::Membership => self.membership(h, b),
            Kind::Endorsement => self.endorsement(h, b),
            _ => {}
        }
    }

    fn case_study(&mut self, cs: &crate::fields::CaseStudyFields, _h: &Header) {
        for code in &cs.cofog {
            let valid = code.len() <= 5
                && code
                    .split('.')
                    .all(|part| part.len() == 2 || part.len() == 1)
                && code.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && code.bytes().next().is_some_and(|b| b.is_ascii_digit());
            if !valid {
                self.push(
                    "case_study.cofog",
                    "bad_format",
                    format!("\"{code}\" is not a COFOG code such as 07 or 07.3"),
                );
            }
        }
        self.list_len("case_study.cofog", cs.cofog.len());
        self.terms("case_study.process_types", &cs.process_types);
        self.terms("case_study.application_types", &cs.application_types);
        self.unique(
            "case_study.interaction",
            cs.interaction.iter().map(|i| i.as_str()),
        );
        self.list_len("case_study.benefits", cs.benefits.len());
        self.unique(
            "case_study.benefits",
            cs.benefits.iter().map(|i| i.as_str()),
        );
        for (field, year) in [
            ("case_study.start_year", cs.start_year),
            ("case_study.end_year", cs.end_year),
        ] {
            if let Some(year) = year
                && !(1950..=2200).contains(&year)
            {
                self.push(
                    field,
                    "bad_format",
                    format!("{year} is not a year between 1950 and 2200"),
                );
            }
        }
        if let (Some(start), Some(end)) = (cs.start_year, cs.end_year)
            && end < start
        {
            self.push(
                "case_study.end_year",
                "inconsistent",
                format!("{end} is before the start year {start}"),
            );
        }
        if let Some(source) = &cs.source {
            self.short("case_study.source.name", &source.name);
            self.optional_short("case_study.source.id", source.id.as_deref());
            self.optional_short("case_study.source.updated", source.updated.as_deref());
            if let Some(url) = &source.url {
                self.url("case_study.source.url", url);
            }
        }
    }

    fn solution(&mut self, s: &crate::fields::SolutionFields) {
        if let Some(url) = &s.url {
            self.url("solution.url", url);
        }
        if let Some(url) = &s.landing_url {
            self.url("solution.landing_url", url);
        }
        self.terms("solution.platforms", &s.platforms);
        self.terms("solution.categories", &s.categories);
        self.terms("solution.used_by", &s.used_by);
    }

    fn membership(&mut self, h: &Header, b: &Body) {
        let Some(m) = &b.membership else {
            self.push(
                "membership",
                "required",
                "is required in a membership record",
            );
            return;
        };
        self.short("membership.name", &m.name);
        if m.members.is_empty() || m.members.len() > Limits::MAX_MEMBERS {
            self.push(
                "membership.members",
                "too_many",
                format!("{} members, 1 to {}", m.members.len(), Limits::MAX_MEMBERS),
            );
        }
        if m.threshold == 0 || m.threshold as usize > m.members.len() {
            self.push(
                "membership.threshold",
                "inconsistent",
                format!(
                    "{} is not between 1 and the number of members ({})",
                    m.threshold,
                    m.members.len()
                ),
            );
        }
        let mut keys = BTreeSet::new();
        for (i, member) in m.members.iter().enumerate() {
            self.short(&format!("membership.members[{i}].name"), &member.name);
            if !keys.insert(member.key) {
                self.push(
                    format!("membership.members[{i}].key"),
                    "inconsistent",
                    "appears twice",
                );
            }
            if let Some(country) = &member.country {
                self.country(&format!("membership.members[{i}].country"), country);
            }
            if let Some(nuts) = &member.nuts {
                self.nuts(
                    &format!("membership.members[{i}].nuts"),
                    nuts,
                    member.country.as_deref(),
                );
            }
        }
        match (h.version, &m.previous) {
            (1, Some(_)) => self.push(
                "membership.previous",
                "not_allowed",
                "the genesis version (1) has no previous version",
            ),
            (v, None) if v > 1 => self.push(
                "membership.previous",
                "required",
                "is required from version 2 on",
            ),
            (_, Some(previous)) if previous.parse::<crate::RecordId>().is_err() => self.push(
                "membership.previous",
                "bad_format",
                "must be a record id (64 lowercase hex digits)",
            ),
            _ => {}
        }
    }

    fn endorsement(&mut self, h: &Header, b: &Body) {
        let Some(e) = &b.endorsement else {
            self.push(
                "endorsement",
                "required",
                "is required in an endorsement record",
            );
            return;
        };
        self.short("endorsement.name", &e.name);
        if h.slug != e.partner.to_hex() {
            self.push(
                "slug",
                "inconsistent",
                "an endorsement's slug is the partner's key in hex",
            );
        }
        if e.partner == h.author {
            self.push(
                "endorsement.partner",
                "inconsistent",
                "a key cannot endorse itself",
            );
        }
        if e.kinds.is_empty() {
            self.push(
                "endorsement.kinds",
                "required",
                "name at least one kind the partner may publish",
            );
        }
        for kind in &e.kinds {
            if !kind.is_content() {
                self.push(
                    "endorsement.kinds",
                    "not_allowed",
                    format!("a partner may not publish {kind} records"),
                );
            }
        }
        if e.expires_at <= h.created_at {
            self.push(
                "endorsement.expires_at",
                "inconsistent",
                "must be after created_at",
            );
        }
    }

    fn lang_map(&mut self, field: &str, map: &LangMap, max_chars: usize, multiline: bool) {
        if map.len() > Limits::MAX_LANGUAGES {
            self.push(
                field,
                "too_many",
                format!("{} languages, at most {}", map.len(), Limits::MAX_LANGUAGES),
            );
        }
        for (lang, text) in map {
            let path = format!("{field}.{lang}");
            if let Err(why) = check_language_tag(lang) {
                self.push(path.clone(), "bad_language", why);
            }
            self.text(&path, text, max_chars, multiline);
        }
    }

    fn text(&mut self, field: &str, text: &str, max_chars: usize, multiline: bool) {
        let length = text.chars().count();
        if length > max_chars {
            self.push(
                field,
                "too_long",
                format!("{length} characters, at most {max_chars}"),
            );
        }
        if text.trim().is_empty() {
            self.push(field, "required", "is empty");
        }
        if let Some(c) = text
            .chars()
            .find(|&c| c.is_control() && !(multiline && (c == '\n' || c == '\t')))
        {
            self.push(
                field,
                "control_character",
                format!("contains the control character U+{:04X}", c as u32),
            );
        }
    }

    fn short(&mut self, field: &str, text: &str) {
        self.text(field, text, Limits::MAX_SHORT_TEXT, false);
    }

    fn optional_short(&mut self, field: &str, text: Option<&str>) {
        if let Some(text) = text {
            self.short(field, text);
        }
    }

    fn list_len(&mut self, field: &str, len: usize) {
        if len > Limits::MAX_LIST_ITEMS {
            self.push(
                field,
                "too_many",
                format!("{len} items, at most {}", Limits::MAX_LIST_ITEMS),
            );
        }
    }

    fn unique<'a>(&mut self, field: &str, items: impl Iterator<Item = &'a str>) {
        let mut seen = BTreeSet::new();
        for item in items {
            if !seen.insert(item) {
                self.push(field, "inconsistent", format!("\"{item}\" appears twice"));
            }
        }
    }

    fn terms(&mut self, field: &str, items: &[String]) {
        self.list_len(field, items.len());
        for (i, item) in items.iter().enumerate() {
            self.short(&format!("{field}[{i}]"), item);
        }
        self.unique(field, items.iter().map(String::as_str));
    }

    fn url(&mut self, field: &str, url: &str) {
        let length = url.chars().count();
        if length > Limits::MAX_URL {
            self.push(
                field,
                "too_long",
                format!("{length} characters, at most {}", Limits::MAX_URL),
            );
        }
        if let Err(why) = check_http_url(url) {
            self.push(field, "bad_format", why);
        }
    }

    fn email(&mut self, field: &str, email: &str) {
        if !is_email_address(email) {
            self.push(
                field,
                "bad_format",
                format!("\"{email}\" is not an e-mail address"),
            );
        }
    }

    fn country(&mut self, field: &str, country: &str) {
        if !crate::iso3166::is_record_country(country) {
            self.push(
                field,
                "bad_format",
                format!(
                    "\"{country}\" is not an ISO 3166-1 alpha-2 country code (e.g. IT, ES, BE)"
                ),
            );
        }
    }

    fn nuts(&mut self, field: &str, nuts: &str, country: Option<&str>) {
        let valid = (2..=5).contains(&nuts.len())
            && nuts.bytes().take(2).all(|b| b.is_ascii_uppercase())
            && nuts
                .bytes()
                .skip(2)
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if !valid {
            self.push(field, "bad_format", format!("\"{nuts}\" is not a NUTS code (two letters, then up to three letters or digits, e.g. ITH5)"));
            return;
        }
        if country == Some(crate::iso3166::EUROPEAN_UNION) {
            self.push(
                field,
                "inconsistent",
                format!("\"{nuts}\" names a region, and an EU-wide record (country EU) names none"),
            );
            return;
        }
        if let Some(country) = country {
            let expected = crate::iso3166::nuts_prefix(country);
            if !nuts.starts_with(expected) {
                self.push(field, "inconsistent", format!("\"{nuts}\" is not in country {country} (NUTS codes there start with {expected})"));
            }
        }
    }

    fn licence(&mut self, licence: &str) {
        let valid = licence.len() <= Limits::MAX_SHORT_TEXT && is_spdx_expression(licence);
        if !valid {
            self.push(
                "licence",
                "bad_format",
                format!(
                    "\"{licence}\" is not an SPDX licence expression (e.g. EUPL-1.2, CC-BY-4.0)"
                ),
            );
        }
    }
}

/// Whether `licence` has the shape of an SPDX licence expression: licence ids (letters, digits,
/// `.`, `-`, `+`, `:`) joined by the operators `AND`, `OR` and `WITH`, single spaces between
/// tokens, with balanced parentheses. Whether an id is on the SPDX list is not checked, so new
/// licences and `LicenseRef-…` ids need no protocol change.
pub fn is_spdx_expression(licence: &str) -> bool {
    let mut depth = 0usize;
    let mut expect_id = true;
    for raw in licence.split(' ') {
        let mut token = raw;
        while let Some(rest) = token.strip_prefix('(') {
            if !expect_id {
                return false;
            }
            depth += 1;
            token = rest;
        }
        let mut closing = 0usize;
        while let Some(rest) = token.strip_suffix(')') {
            closing += 1;
            token = rest;
        }
        let is_operator = matches!(token, "AND" | "OR" | "WITH");
        let well_formed = if expect_id {
            !token.is_empty()
                && !is_operator
                && token
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+' | b':'))
        } else {
            is_operator && closing == 0
        };
        if !well_formed || closing > depth {
            return false;
        }
        depth -= closing;
        expect_id = !expect_id;
    }
    depth == 0 && !expect_id
}

/// Checks that `tag` is a well-formed BCP 47 language tag in its canonical case: a 2–3 letter
/// language (lowercase), then optional script (Titlecase, 4 letters), region (2 uppercase letters
/// or 3 digits) and variants (5–8 alphanumerics, or a digit and 3 alphanumerics, lowercase).
/// Canonical case is required because tags are map keys: `it` and `IT` must not both appear.
pub fn check_language_tag(tag: &str) -> Result<(), String> {
    let mut parts = tag.split('-');
    let bad = || {
        format!(
            "\"{tag}\" is not a BCP 47 language tag in canonical case (e.g. it, en, ca, pt-BR, sr-Latn)"
        )
    };
    let language = parts.next().unwrap_or_default();
    if !(2..=3).contains(&language.len()) || !language.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err(bad());
    }
    let mut stage = 0; // 0: script allowed, 1: region allowed, 2: variants only
    for part in parts {
        let bytes = part.as_bytes();
        let is_script = part.len() == 4
            && bytes[0].is_ascii_uppercase()
            && bytes[1..].iter().all(|b| b.is_ascii_lowercase());
        let is_region = (part.len() == 2 && bytes.iter().all(|b| b.is_ascii_uppercase()))
            || (part.len() == 3 && bytes.iter().all(|b| b.is_ascii_digit()));
        let is_variant = ((5..=8).contains(&part.len())
            || (part.len() == 4 && bytes[0].is_ascii_digit()))
            && bytes
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if stage == 0 && is_script {
            stage = 1;
        } else if (stage <= 1 && is_region) || is_variant {
            stage = 2;
        } else {
            return Err(bad());
        }
    }
    Ok(())
}

/// Whether `email` has the shape of an e-mail address: a local part, `@`, and a domain with a dot
/// inside it, no blank or control characters, at most 254 bytes (RFC 5321's limit on a path).
/// Deliverability is not checked: that needs the network.
pub fn is_email_address(email: &str) -> bool {
    email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
                && !domain.contains('@')
        })
}

/// Checks that `url` is an absolute http or https URL with a host and no whitespace.
pub fn check_http_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| format!("\"{url}\" is not an http(s) URL"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit('@').next().unwrap_or_default();
    let host_name = host.split(':').next().unwrap_or_default();
    if host_name.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("\"{url}\" is not an http(s) URL with a host"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags() {
        for good in [
            "it",
            "en",
            "ca",
            "fi",
            "sv",
            "pt-BR",
            "sr-Latn",
            "sr-Latn-RS",
            "es-419",
            "de-CH-1901",
        ] {
            assert_eq!(check_language_tag(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "IT",
            "e",
            "english",
            "en-gb",
            "en_GB",
            "it-",
            "en-Latn-Latn",
            "x",
        ] {
            assert!(check_language_tag(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn spdx_expressions() {
        for good in [
            "EUPL-1.2",
            "MIT OR Apache-2.0",
            "(MIT AND BSD-3-Clause) OR GPL-2.0+",
            "GPL-2.0-only WITH Classpath-exception-2.0",
            "LicenseRef-regione:1",
        ] {
            assert!(is_spdx_expression(good), "{good}");
        }
        for bad in [
            "",
            "whatever you like",
            "MIT OR",
            "AND MIT",
            "(MIT",
            "MIT)",
            "MIT  OR Apache-2.0",
            "free!",
            "MIT (OR) GPL-2.0",
        ] {
            assert!(!is_spdx_expression(bad), "{bad}");
        }
    }

    fn content(country: &str, nuts: Option<&str>) -> Vec<FieldError> {
        let author = crate::SecretKey::from_bytes([3; 32]).public_key();
        let header = Header {
            format: CURRENT_FORMAT,
            kind: Kind::CaseStudy,
            author,
            slug: "eu-wide".into(),
            version: 1,
            created_at: 1_700_000_000_000,
            retracted: false,
        };
        let body = Body {
            title: [("en".to_owned(), "A case".to_owned())].into(),
            summary: [("en".to_owned(), "What it does.".to_owned())].into(),
            organisation: Some("eu-LISA".into()),
            country: Some(country.into()),
            nuts: nuts.map(str::to_owned),
            ..Body::default()
        };
        validate(&header, &body, true)
    }

    #[test]
    fn eu_is_a_country_value_for_the_whole_union_and_names_no_region() {
        assert_eq!(content("EU", None), []);
        assert_eq!(content("IT", Some("ITH5")), []);
        for refused in ["XX", "eu", "EUR", "UK"] {
            let errors = content(refused, None);
            assert!(
                errors.len() == 1 && errors[0].field == "country",
                "{refused}: {errors:?}"
            );
        }
        let errors = content("EU", Some("BE21"));
        assert!(
            errors.len() == 1 && errors[0].field == "nuts" && errors[0].code == "inconsistent",
            "{errors:?}"
        );
    }

    #[test]
    fn email_addresses() {
        assert!(is_email_address("ufficio@regione.emilia-romagna.it"));
        for bad in [
            "",
            "no-at-sign.example.org",
            "@example.org",
            "a@localhost",
            "a@.example.org",
            "a@example.org.",
            "a b@example.org",
            "a@b@example.org",
        ] {
            assert!(!is_email_address(bad), "{bad}");
        }
        let long = format!("{}@example.org", "a".repeat(250));
        assert!(!is_email_address(&long), "longer than 254 bytes");
    }

    #[test]
    fn urls() {
        assert!(check_http_url("https://www.regione.emilia-romagna.it/x?y#z").is_ok());
        assert!(check_http_url("http://localhost:8080").is_ok());
        for bad in [
            "ftp://x.org",
            "javascript:alert(1)",
            "https://",
            "https:// x.org",
            "//x.org",
        ] {
            assert!(check_http_url(bad).is_err(), "{bad}");
        }
    }
}
