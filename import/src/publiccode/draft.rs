//! The mapping of a valid publiccode.yml onto a `solution` draft.
//!
//! The slug comes from the repository URL, so re-importing the same repository finds the same
//! record; categories become thematic communities and technologies where our vocabulary has
//! them, and tags otherwise; texts are cleaned and cut to the protocol's limits. What the file
//! leaves out (the organisation, the country) comes from the node's own context ([`Defaults`]).

use mosaico_protocol::validate::{check_http_url, is_email_address};
use mosaico_protocol::vocab::{DevelopmentStatus, MaintenanceType, SoftwareType};
use serde_json::{Map, Value, json};

use super::syntax::{canonical_language, scalar_text};
use crate::text::{clean_text, one_line, truncate};

/// Where the node's own context fills what a publiccode.yml may leave out.
#[derive(Debug, Clone, Default)]
pub struct Defaults {
    /// The region's name, when the file names no organisation.
    pub organisation: Option<String>,
    /// The region's country, when the file says none.
    pub country: Option<String>,
}

/// Why a valid publiccode.yml cannot become a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    /// The `url` gives no usable slug.
    #[error("url: \"{0}\" gives no slug (it needs letters or digits)")]
    NoSlug(String),
    /// Nothing says which country the solution comes from.
    #[error(
        "country: the file has no IT section nor a single intendedAudience country, and the node's configuration has no country (set country in mosaico.toml)"
    )]
    NoCountry,
    /// Nothing names the organisation.
    #[error("organisation: the file names none and the node has no name")]
    NoOrganisation,
}

/// The slug of a solution: its repository URL without scheme and `.git`, lowercased, with every
/// other character turned into `-`, so re-importing the same repository finds the same record.
pub fn slug_from_url(url: &str) -> Option<String> {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let rest = rest.trim_end_matches('/');
    let rest = rest.strip_suffix(".git").unwrap_or(rest);
    let mut slug = String::new();
    for c in rest.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_' {
            c
        } else {
            '-'
        };
        if c == '-' && slug.ends_with('-') {
            continue;
        }
        slug.push(c);
    }
    let slug = slug.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if slug.is_empty() {
        return None;
    }
    if slug.len() <= mosaico_protocol::Limits::MAX_SLUG {
        return Some(slug.to_owned());
    }
    // Too long: keep a readable head and make it unique with a hash of the whole URL.
    use sha2::Digest as _;
    let hash = hex::encode(&sha2::Sha256::digest(url.as_bytes())[..6]);
    Some(format!(
        "{}-{hash}",
        &slug[..mosaico_protocol::Limits::MAX_SLUG - 13]
    ))
}

/// How a publiccode.yml category maps onto the record: a thematic community, a technology, both,
/// or neither (then it is kept as a tag).
fn category_mapping(category: &str) -> (Option<&'static str>, Option<&'static str>) {
    match category {
        "document-management" | "digital-asset-management" | "content-management" => {
            (Some("documents"), None)
        }
        "e-signature" => (Some("documents"), Some("e-signature")),
        "data-analytics" => (Some("data"), Some("data-analytics")),
        "data-collection" => (Some("data"), None),
        "data-visualization" => (Some("data"), Some("data-visualisation")),
        "business-intelligence" => (Some("data"), Some("business-intelligence")),
        "predictive-analysis" => (Some("data"), Some("predictive-analytics")),
        "geographic-information-systems" => (Some("data"), Some("gis")),
        "it-security" => (Some("cybersecurity-cloud"), None),
        "identity-management" => (Some("cybersecurity-cloud"), Some("digital-identity")),
        "cloud-management" | "backup" => (Some("cybersecurity-cloud"), Some("cloud")),
        "digital-citizenship" | "feedback-and-reviews-management" | "survey" => {
            (Some("citizens"), None)
        }
        "whistleblowing" => (Some("citizens"), None),
        "e-commerce" | "billing-and-invoicing" | "crm" | "sales-management" | "marketing" => {
            (Some("businesses"), None)
        }
        "payment-gateway" | "mobile-payment" => (Some("businesses"), Some("digital-payments")),
        "educational-content" | "learning-management-system" => {
            (Some("digital-facilitation"), None)
        }
        "hr" | "employee-management" | "payroll" | "talent-management" => {
            (Some("digital-administrators"), None)
        }
        "application-development"
        | "it-development"
        | "workflow-management"
        | "business-process-management" => (Some("digital-integrations"), None),
        "video-conferencing" | "web-conferencing" => (None, Some("video-conferencing")),
        "voip" => (None, Some("voip")),
        "instant-messaging" => (None, Some("instant-messaging")),
        _ => (None, None),
    }
}

/// Limits the protocol puts on list fields: the rest is left out (and said in the report).
const MAX_ITEMS: usize = mosaico_protocol::Limits::MAX_LIST_ITEMS;

/// Adds a trimmed, cut item to a list field unless it is empty, already there, or the list is full.
fn push_unique(list: &mut Vec<String>, item: &str) {
    let item = truncate(item.trim(), mosaico_protocol::Limits::MAX_SHORT_TEXT);
    if !item.is_empty() && !list.contains(&item) && list.len() < MAX_ITEMS {
        list.push(item);
    }
}

/// Maps a valid publiccode.yml to a `solution` draft (as JSON, the form the node takes).
pub fn to_draft(document: &Value, defaults: &Defaults) -> Result<Value, MappingError> {
    let text = |v: Option<&Value>| v.map(scalar_text).filter(|s| !s.trim().is_empty());
    let url = text(document.get("url")).unwrap_or_default();
    let slug = slug_from_url(&url).ok_or_else(|| MappingError::NoSlug(url.clone()))?;
    let name = text(document.get("name")).unwrap_or_else(|| slug.clone());
    let mut title = Map::new();
    let mut summary = Map::new();
    let mut description = Map::new();
    let mut links: Vec<Value> = Vec::new();
    let mut link = |url: &str, label: &str| {
        if check_http_url(url).is_ok()
            && links.len() < MAX_ITEMS
            && !links.iter().any(|l| l["url"] == url)
        {
            links.push(json!({"url": url, "title": label}));
        }
    };
    if let Some(landing) = text(document.get("landingURL")) {
        link(&landing, "Landing page");
    }
    link(&url, "Source code");
    if let Some(Value::Object(descriptions)) = document.get("description") {
        for (lang, desc) in descriptions {
            let lang = canonical_language(lang);
            let localised = text(desc.get("localisedName")).unwrap_or_else(|| name.clone());
            title.insert(
                lang.clone(),
                Value::String(truncate(&one_line(&localised), 200)),
            );
            if let Some(short) = text(desc.get("shortDescription")) {
                summary.insert(
                    lang.clone(),
                    Value::String(truncate(&clean_text(&short), 500)),
                );
            }
            if let Some(long) = text(desc.get("longDescription")) {
                description.insert(
                    lang.clone(),
                    Value::String(truncate(&clean_text(&long), 20_000)),
                );
            }
            if let Some(doc) = text(desc.get("documentation")) {
                link(&doc, &format!("Documentation ({lang})"));
            }
            if let Some(doc) = text(desc.get("apiDocumentation")) {
                link(&doc, &format!("API documentation ({lang})"));
            }
        }
    }
    if let Some(roadmap) = text(document.get("roadmap")) {
        link(&roadmap, "Roadmap");
    }
    let italy = document.get("IT").or_else(|| document.get("it"));
    let organisation = document
        .pointer("/organisation/name")
        .and_then(|v| text(Some(v)))
        .or_else(|| text(document.pointer("/legal/mainCopyrightOwner")))
        .or_else(|| text(document.pointer("/legal/repoOwner")))
        .or_else(|| defaults.organisation.clone())
        .ok_or(MappingError::NoOrganisation)?;
    let audience: Vec<String> = document
        .pointer("/intendedAudience/countries")
        .and_then(Value::as_array)
        .map(|c| {
            c.iter()
                .map(|c| scalar_text(c).to_ascii_uppercase())
                .collect()
        })
        .unwrap_or_default();
    let country = if italy.is_some() {
        Some("IT".to_owned())
    } else if audience.len() == 1 {
        audience.first().cloned()
    } else {
        defaults.country.clone()
    }
    .ok_or(MappingError::NoCountry)?;

    let categories: Vec<String> = document
        .get("categories")
        .and_then(Value::as_array)
        .map(|c| c.iter().map(scalar_text).collect())
        .unwrap_or_default();
    let mut themes = Vec::new();
    let mut technologies = Vec::new();
    let mut tags = Vec::new();
    for category in &categories {
        match category_mapping(category) {
            (None, None) => push_unique(&mut tags, category),
            (theme, technology) => {
                if let Some(theme) = theme {
                    push_unique(&mut themes, theme);
                }
                if let Some(technology) = technology {
                    push_unique(&mut technologies, technology);
                }
            }
        }
    }
    let mut solution_categories = Vec::new();
    for category in &categories {
        push_unique(&mut solution_categories, category);
    }
    let mut platforms = Vec::new();
    for p in document
        .get("platforms")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        push_unique(&mut platforms, &scalar_text(p));
    }
    let mut used_by = Vec::new();
    for u in document
        .get("usedBy")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        push_unique(&mut used_by, &one_line(&scalar_text(u)));
    }
    let development =
        text(document.get("developmentStatus")).and_then(|s| DevelopmentStatus::parse(&s).ok());
    let software_type =
        text(document.get("softwareType")).and_then(|s| SoftwareType::parse(&s).ok());
    let maintenance =
        text(document.pointer("/maintenance/type")).and_then(|s| MaintenanceType::parse(&s).ok());
    let mut contacts = Vec::new();
    for c in document
        .pointer("/maintenance/contacts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .take(MAX_ITEMS)
    {
        let Some(name) = text(c.get("name")) else {
            continue;
        };
        let mut contact = Map::new();
        contact.insert(
            "name".into(),
            Value::String(truncate(&one_line(&name), 200)),
        );
        if let Some(email) = text(c.get("email")).filter(|e| is_email_address(e)) {
            contact.insert("email".into(), Value::String(email));
        }
        if let Some(affiliation) = text(c.get("affiliation")) {
            contact.insert(
                "organisation".into(),
                Value::String(truncate(&one_line(&affiliation), 200)),
            );
        }
        contact.insert("role".into(), Value::String("maintainer".into()));
        contacts.push(Value::Object(contact));
    }

    let mut draft = Map::new();
    draft.insert("kind".into(), Value::String("solution".into()));
    draft.insert("slug".into(), Value::String(slug));
    if title.is_empty() {
        title.insert("en".into(), Value::String(truncate(&one_line(&name), 200)));
    }
    draft.insert("title".into(), Value::Object(title));
    draft.insert("summary".into(), Value::Object(summary));
    if !description.is_empty() {
        draft.insert("description".into(), Value::Object(description));
    }
    draft.insert(
        "organisation".into(),
        Value::String(truncate(&one_line(&organisation), 200)),
    );
    draft.insert("country".into(), Value::String(country));
    let put_list = |draft: &mut Map<String, Value>, key: &str, list: Vec<String>| {
        if !list.is_empty() {
            draft.insert(key.into(), json!(list));
        }
    };
    put_list(&mut draft, "themes", themes);
    put_list(&mut draft, "technologies", technologies);
    if let Some(status) = development.as_ref().and_then(DevelopmentStatus::status) {
        draft.insert("status".into(), Value::String(status.as_str().into()));
    }
    if !links.is_empty() {
        draft.insert("links".into(), Value::Array(links));
    }
    if !contacts.is_empty() {
        draft.insert("contacts".into(), Value::Array(contacts));
    }
    if let Some(licence) = text(document.pointer("/legal/license")) {
        draft.insert("licence".into(), Value::String(licence));
    }
    put_list(&mut draft, "tags", tags);
    let mut solution = Map::new();
    if check_http_url(&url).is_ok() {
        solution.insert("url".into(), Value::String(url));
    }
    if let Some(landing) = text(document.get("landingURL")).filter(|u| check_http_url(u).is_ok()) {
        solution.insert("landing_url".into(), Value::String(landing));
    }
    if let Some(d) = development {
        solution.insert(
            "development_status".into(),
            Value::String(d.as_str().into()),
        );
    }
    if let Some(t) = software_type {
        solution.insert("software_type".into(), Value::String(t.as_str().into()));
    }
    put_list(&mut solution, "platforms", platforms);
    put_list(&mut solution, "categories", solution_categories);
    if let Some(m) = maintenance {
        solution.insert("maintenance".into(), Value::String(m.as_str().into()));
    }
    put_list(&mut solution, "used_by", used_by);
    draft.insert("solution".into(), Value::Object(solution));
    Ok(Value::Object(draft))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_come_from_the_repository_url() {
        assert_eq!(
            slug_from_url("https://github.com/RegioneER/parer-sacer.git").as_deref(),
            Some("github.com-regioneer-parer-sacer")
        );
        assert_eq!(
            slug_from_url("https://github.com/Amsterdam/signals-frontend/").as_deref(),
            Some("github.com-amsterdam-signals-frontend")
        );
        let long = format!("https://example.org/{}", "a".repeat(300));
        let slug = slug_from_url(&long).expect("slug");
        assert!(slug.len() <= 128, "{slug}");
        assert_eq!(slug_from_url("https://"), None);
    }
}
