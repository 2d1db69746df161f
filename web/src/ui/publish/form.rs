//! The publish form's model: the text a user typed, read from the posted pairs or filled in
//! from a record, and turned into a draft the protocol's own rules check.
//!
//! The model keeps every field as typed, so a refused form comes back exactly as it was sent;
//! only [`RecordForm::check`] interprets the text, and the errors it gives are the API's, with
//! the field paths [`RecordForm::control_for`] maps back to form controls.

use std::collections::BTreeMap;

use mosaico_protocol::draft::{Draft, DraftError};
use mosaico_protocol::validate::validate;
use mosaico_protocol::vocab::Kind;
use mosaico_protocol::{Body, FieldError, Header, Limits, PublicKey};
use serde_json::{Map, Value, json};

/// One language's texts.
#[derive(Debug, Clone, Default)]
pub(super) struct LangRow {
    pub lang: String,
    pub title: String,
    pub summary: String,
    pub description: String,
}

/// Everything the form holds, as the text the user typed.
#[derive(Debug, Clone, Default)]
pub(super) struct RecordForm {
    pub kind: String,
    pub slug: String,
    /// The version an edit will create; empty for a new record.
    pub version: String,
    pub rows: Vec<LangRow>,
    pub organisation: String,
    pub country: String,
    pub nuts: String,
    pub themes: Vec<String>,
    pub technologies: String,
    pub status: String,
    pub licence: String,
    pub tags: String,
    pub links: String,
    pub contacts: String,
    pub cofog: String,
    pub process_types: String,
    pub application_types: String,
    pub interaction: Vec<String>,
    pub benefits: Vec<String>,
    pub start_year: String,
    pub end_year: String,
    pub url: String,
    pub landing_url: String,
    pub development_status: String,
    pub software_type: String,
    pub platforms: String,
    pub categories: String,
    pub maintenance: String,
    pub used_by: String,
}

/// The items of a comma- or line-separated list, trimmed, without empty ones.
fn split_list(text: &str) -> Vec<String> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The trimmed text, or `None` when nothing is left.
fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

impl RecordForm {
    /// An empty form for a new record of `kind`, with one row in the interface language.
    pub fn new(kind: &Kind, lang: &str) -> Self {
        RecordForm {
            kind: kind.as_str().to_owned(),
            rows: vec![LangRow {
                lang: lang.to_owned(),
                ..LangRow::default()
            }],
            ..RecordForm::default()
        }
    }

    /// The form as posted. Unknown fields are ignored, and language rows beyond the protocol's
    /// limit are dropped, so a forged post cannot make the page grow without bound.
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut form = RecordForm::default();
        let mut rows: BTreeMap<usize, LangRow> = BTreeMap::new();
        for (name, value) in pairs {
            if let Some((field, index)) = name.rsplit_once('-')
                && let Ok(index) = index.parse::<usize>()
                && index < Limits::MAX_LANGUAGES
                && matches!(field, "lang" | "title" | "summary" | "description")
            {
                let row = rows.entry(index).or_default();
                let slot = match field {
                    "lang" => &mut row.lang,
                    "title" => &mut row.title,
                    "summary" => &mut row.summary,
                    _ => &mut row.description,
                };
                *slot = value.clone();
                continue;
            }
            let slot = match name.as_str() {
                "kind" => &mut form.kind,
                "slug" => &mut form.slug,
                "version" => &mut form.version,
                "organisation" => &mut form.organisation,
                "country" => &mut form.country,
                "nuts" => &mut form.nuts,
                "technologies" => &mut form.technologies,
                "status" => &mut form.status,
                "licence" => &mut form.licence,
                "tags" => &mut form.tags,
                "links" => &mut form.links,
                "contacts" => &mut form.contacts,
                "cofog" => &mut form.cofog,
                "process_types" => &mut form.process_types,
                "application_types" => &mut form.application_types,
                "start_year" => &mut form.start_year,
                "end_year" => &mut form.end_year,
                "url" => &mut form.url,
                "landing_url" => &mut form.landing_url,
                "development_status" => &mut form.development_status,
                "software_type" => &mut form.software_type,
                "platforms" => &mut form.platforms,
                "categories" => &mut form.categories,
                "maintenance" => &mut form.maintenance,
                "used_by" => &mut form.used_by,
                "themes" => {
                    form.themes.push(value.clone());
                    continue;
                }
                "interaction" => {
                    form.interaction.push(value.clone());
                    continue;
                }
                "benefits" => {
                    form.benefits.push(value.clone());
                    continue;
                }
                _ => continue,
            };
            *slot = value.clone();
        }
        form.rows = rows.into_values().collect();
        if form.rows.is_empty() {
            form.rows.push(LangRow::default());
        }
        form
    }

    /// The form for a new version of a record: every field as the record has it, and the
    /// version number the new one will take.
    pub fn from_record(header: &Header, body: &Body, next_version: u64) -> Self {
        let mut langs: Vec<&String> = body
            .title
            .keys()
            .chain(body.summary.keys())
            .chain(body.description.keys())
            .collect();
        langs.sort();
        langs.dedup();
        let text = |map: &mosaico_protocol::LangMap, lang: &str| {
            map.get(lang).cloned().unwrap_or_default()
        };
        let cs = body.case_study.clone().unwrap_or_default();
        let s = body.solution.clone().unwrap_or_default();
        let opt = |v: Option<&str>| v.unwrap_or_default().to_owned();
        RecordForm {
            kind: header.kind.as_str().to_owned(),
            slug: header.slug.clone(),
            version: next_version.to_string(),
            rows: langs
                .into_iter()
                .map(|lang| LangRow {
                    lang: lang.clone(),
                    title: text(&body.title, lang),
                    summary: text(&body.summary, lang),
                    description: text(&body.description, lang),
                })
                .collect(),
            organisation: opt(body.organisation.as_deref()),
            country: opt(body.country.as_deref()),
            nuts: opt(body.nuts.as_deref()),
            themes: body.themes.iter().map(|t| t.as_str().to_owned()).collect(),
            technologies: body.technologies.join(", "),
            status: body
                .status
                .as_ref()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            licence: opt(body.licence.as_deref()),
            tags: body.tags.join(", "),
            links: body
                .links
                .iter()
                .map(|l| match &l.title {
                    Some(title) => format!("{} {title}", l.url),
                    None => l.url.clone(),
                })
                .collect::<Vec<_>>()
                .join("\n"),
            contacts: body
                .contacts
                .iter()
                .map(|c| {
                    format!(
                        "{} | {} | {} | {}",
                        c.name,
                        opt(c.email.as_deref()),
                        opt(c.role.as_deref()),
                        opt(c.organisation.as_deref())
                    )
                    .trim_end_matches([' ', '|'])
                    .to_owned()
                })
                .collect::<Vec<_>>()
                .join("\n"),
            cofog: cs.cofog.join(", "),
            process_types: cs.process_types.join(", "),
            application_types: cs.application_types.join(", "),
            interaction: cs
                .interaction
                .iter()
                .map(|i| i.as_str().to_owned())
                .collect(),
            benefits: cs.benefits.iter().map(|b| b.as_str().to_owned()).collect(),
            start_year: cs.start_year.map(|y| y.to_string()).unwrap_or_default(),
            end_year: cs.end_year.map(|y| y.to_string()).unwrap_or_default(),
            url: opt(s.url.as_deref()),
            landing_url: opt(s.landing_url.as_deref()),
            development_status: s
                .development_status
                .map(|v| v.as_str().to_owned())
                .unwrap_or_default(),
            software_type: s
                .software_type
                .map(|v| v.as_str().to_owned())
                .unwrap_or_default(),
            platforms: s.platforms.join(", "),
            categories: s.categories.join(", "),
            maintenance: s
                .maintenance
                .map(|v| v.as_str().to_owned())
                .unwrap_or_default(),
            used_by: s.used_by.join(", "),
        }
    }

    /// The draft's JSON, plus the errors found while reading the text (a year that is no number).
    fn to_value(&self) -> (Value, Vec<FieldError>) {
        let mut errors = Vec::new();
        let mut record = Map::new();
        record.insert("kind".into(), json!(self.kind));
        record.insert("slug".into(), json!(self.slug.trim()));
        if let Ok(version) = self.version.trim().parse::<u64>() {
            record.insert("version".into(), json!(version));
        }
        for (name, pick) in [
            (
                "title",
                (|r: &LangRow| r.title.clone()) as fn(&LangRow) -> String,
            ),
            ("summary", |r: &LangRow| r.summary.clone()),
            ("description", |r: &LangRow| r.description.clone()),
        ] {
            let mut map = Map::new();
            for row in &self.rows {
                let text = pick(row).replace("\r\n", "\n");
                if !row.lang.trim().is_empty() && !text.trim().is_empty() {
                    map.insert(row.lang.trim().to_owned(), json!(text.trim()));
                }
            }
            if !map.is_empty() {
                record.insert(name.into(), Value::Object(map));
            }
        }
        let mut put = |name: &str, value: Option<String>| {
            if let Some(value) = value {
                record.insert(name.into(), json!(value));
            }
        };
        put("organisation", non_empty(&self.organisation));
        put(
            "country",
            non_empty(&self.country).map(|c| c.to_ascii_uppercase()),
        );
        put(
            "nuts",
            non_empty(&self.nuts).map(|c| c.to_ascii_uppercase()),
        );
        put("status", non_empty(&self.status));
        put("licence", non_empty(&self.licence));
        let mut put_list = |name: &str, items: Vec<String>| {
            if !items.is_empty() {
                record.insert(name.into(), json!(items));
            }
        };
        put_list("themes", self.themes.clone());
        put_list("technologies", split_list(&self.technologies));
        put_list("tags", split_list(&self.tags));
        let links: Vec<Value> = self
            .links
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|line| match line.split_once(char::is_whitespace) {
                Some((url, title)) => json!({"url": url, "title": title.trim()}),
                None => json!({"url": line}),
            })
            .collect();
        if !links.is_empty() {
            record.insert("links".into(), Value::Array(links));
        }
        let contacts: Vec<Value> = self
            .contacts
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|line| {
                let parts: Vec<&str> = line.split('|').map(str::trim).collect();
                let mut contact = Map::new();
                contact.insert("name".into(), json!(parts[0]));
                for (i, name) in [(1, "email"), (2, "role"), (3, "organisation")] {
                    if let Some(value) = parts.get(i).filter(|v| !v.is_empty()) {
                        contact.insert(name.into(), json!(value));
                    }
                }
                Value::Object(contact)
            })
            .collect();
        if !contacts.is_empty() {
            record.insert("contacts".into(), Value::Array(contacts));
        }
        let mut year = |field: &str, text: &str| -> Option<Value> {
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            match text.parse::<u16>() {
                Ok(year) => Some(json!(year)),
                Err(_) => {
                    errors.push(FieldError::new(
                        format!("case_study.{field}"),
                        "wrong_type",
                        "must be a year, such as 2024",
                    ));
                    None
                }
            }
        };
        if self.kind == Kind::CaseStudy.as_str() {
            let mut cs = Map::new();
            for (name, items) in [
                ("cofog", split_list(&self.cofog)),
                ("process_types", split_list(&self.process_types)),
                ("application_types", split_list(&self.application_types)),
                ("interaction", self.interaction.clone()),
                ("benefits", self.benefits.clone()),
            ] {
                if !items.is_empty() {
                    cs.insert(name.into(), json!(items));
                }
            }
            if let Some(y) = year("start_year", &self.start_year) {
                cs.insert("start_year".into(), y);
            }
            if let Some(y) = year("end_year", &self.end_year) {
                cs.insert("end_year".into(), y);
            }
            if !cs.is_empty() {
                record.insert("case_study".into(), Value::Object(cs));
            }
        }
        if self.kind == Kind::Solution.as_str() {
            let mut s = Map::new();
            for (name, value) in [
                ("url", &self.url),
                ("landing_url", &self.landing_url),
                ("development_status", &self.development_status),
                ("software_type", &self.software_type),
                ("maintenance", &self.maintenance),
            ] {
                if let Some(value) = non_empty(value) {
                    s.insert(name.into(), json!(value));
                }
            }
            for (name, items) in [
                ("platforms", split_list(&self.platforms)),
                ("categories", split_list(&self.categories)),
                ("used_by", split_list(&self.used_by)),
            ] {
                if !items.is_empty() {
                    s.insert(name.into(), json!(items));
                }
            }
            if !s.is_empty() {
                record.insert("solution".into(), Value::Object(s));
            }
        }
        (Value::Object(record), errors)
    }

    /// The id of the form control an error's field path belongs to.
    pub fn control_for(&self, field: &str) -> Option<String> {
        let (head, rest) = match field.find(['.', '[']) {
            Some(at) => (&field[..at], &field[at..]),
            None => (field, ""),
        };
        match head {
            "title" | "summary" | "description" => {
                let lang = rest.strip_prefix('.').unwrap_or_default();
                let row = self
                    .rows
                    .iter()
                    .position(|r| r.lang.trim() == lang)
                    .unwrap_or(0);
                if rest.is_empty() || self.rows.iter().any(|r| r.lang.trim() == lang) {
                    Some(format!("{head}-{row}"))
                } else {
                    Some(format!("lang-{row}"))
                }
            }
            "kind" | "slug" | "organisation" | "country" | "nuts" | "themes" | "technologies"
            | "status" | "licence" | "tags" | "links" | "contacts" => Some(head.to_owned()),
            "case_study" | "solution" => {
                let name = rest
                    .trim_start_matches('.')
                    .split(['.', '['])
                    .next()
                    .unwrap_or_default();
                (!name.is_empty()).then(|| name.to_owned())
            }
            _ => None,
        }
    }

    /// Checks the form as the node would, without signing: the draft's rules, then every field
    /// rule, for a draft by `author` created at `now` (milliseconds since 1970). Gives the draft
    /// to publish and its body (for the preview), or every error found.
    pub fn check(&self, author: PublicKey, now: u64) -> Result<(Draft, Body), Vec<FieldError>> {
        let (value, mut errors) = self.to_value();
        let draft = match Draft::from_value(value) {
            Ok(draft) => draft,
            Err(DraftError::Invalid(list)) => {
                errors.extend(list);
                return Err(errors);
            }
            Err(other) => {
                errors.push(FieldError::new("(record)", "bad_format", other.to_string()));
                return Err(errors);
            }
        };
        let version = self.version.trim().parse::<u64>().unwrap_or(1);
        let unsigned = match draft.clone().into_unsigned(author, version, now) {
            Ok(unsigned) => unsigned,
            Err(e) => {
                errors.push(FieldError::new("version", "inconsistent", e.to_string()));
                return Err(errors);
            }
        };
        let parsed = serde_json::from_value::<Header>(unsigned.clone())
            .and_then(|header| Ok((header, serde_json::from_value::<Body>(unsigned)?)));
        match parsed {
            Ok((header, body)) => {
                errors.extend(validate(&header, &body, true));
                if errors.is_empty() {
                    Ok((draft, body))
                } else {
                    Err(errors)
                }
            }
            Err(e) => {
                errors.push(FieldError::new("(record)", "bad_format", e.to_string()));
                Err(errors)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn posted_rows_beyond_the_language_limit_and_unknown_fields_are_dropped() {
        let beyond = format!("title-{}", Limits::MAX_LANGUAGES);
        let form = RecordForm::from_pairs(&pairs(&[
            ("kind", "case_study"),
            ("title-1", "B"),
            ("title-0", "A"),
            (&beyond, "too many"),
            ("themes", "iot"),
            ("themes", "data"),
            ("no-such-field", "x"),
        ]));
        let titles: Vec<&str> = form.rows.iter().map(|r| r.title.as_str()).collect();
        assert_eq!(titles, ["A", "B"]);
        assert_eq!(form.themes, ["iot", "data"]);
    }

    #[test]
    fn a_year_that_is_no_number_is_a_field_error_tied_to_its_control() {
        let form =
            RecordForm::from_pairs(&pairs(&[("kind", "case_study"), ("start_year", "soon")]));
        let (_, errors) = form.to_value();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "case_study.start_year");
        assert_eq!(
            form.control_for(&errors[0].field).as_deref(),
            Some("start_year")
        );
    }
}
