//! The mapping of one PSTW row onto a `case_study` draft.
//!
//! What a record needs and the row lacks (an id, a name, an organisation, any country) rejects
//! the row with every reason; what a record can do without degrades instead: an unknown taxonomy
//! value becomes a tag with its original text, a NUTS code outside the country or a bad year is
//! left out with a warning, further countries become tags. So a later release with new values
//! still imports, and says what it left out.

use std::collections::BTreeMap;

use mosaico_protocol::iso3166;
use serde_json::{Map, Value, json};

use super::columns::{Col, fold};
use super::dates::{DateOrder, iso_date};
use super::vocab::{
    APPLICATION_TYPES, COFOG_I, COFOG_II, PROCESS_TYPES, canonical_term, cofog_code, countries_in,
    country_of_nuts, technology_term,
};
use super::{COLLECTION_URL, Row, SOURCE_NAME, is_blank};
use crate::text::{clean_text, one_line, truncate};

/// The first cell of `col` in the row, trimmed; empty when the release has no such column.
fn first<'a>(fields: &BTreeMap<Col, Vec<&'a str>>, col: Col) -> &'a str {
    fields
        .get(&col)
        .and_then(|v| v.first())
        .map(|s| s.trim_matches(is_blank))
        .unwrap_or("")
}

/// Adds an item to a list field unless it is empty, already there, or the list is full.
fn push_unique(list: &mut Vec<String>, item: String) {
    if !item.is_empty()
        && !list.contains(&item)
        && list.len() < mosaico_protocol::Limits::MAX_LIST_ITEMS
    {
        list.push(item);
    }
}

/// The http(s) URLs in a cell, which may hold several (`(https://a) https://b`).
fn urls_in(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ',' | ';' | '"'))
        .filter(|t| t.starts_with("http://") || t.starts_with("https://"))
        .filter(|t| mosaico_protocol::validate::check_http_url(t).is_ok())
        .filter(|t| t.len() <= mosaico_protocol::Limits::MAX_URL)
        .map(str::to_owned)
        .collect()
}

/// A summary of at most 500 characters from the description: whole sentences when they fit.
fn summary_of(description: &str, name: &str) -> String {
    let text = one_line(description);
    if text.is_empty() {
        return truncate(&one_line(name), 500);
    }
    if text.chars().count() <= 500 {
        return text;
    }
    let mut summary = String::new();
    for sentence in text.split_inclusive(". ") {
        if summary.chars().count() + sentence.chars().count() > 500 {
            break;
        }
        summary.push_str(sentence);
    }
    if summary.trim().is_empty() {
        truncate(&text, 500)
    } else {
        summary.trim().to_owned()
    }
}

/// Maps one row (its cells by column) to a draft, or rejects it with every reason. `line` is the
/// row's line as a spreadsheet shows it, for rows without an id.
pub(super) fn map_row(fields: &BTreeMap<Col, Vec<&str>>, order: DateOrder, line: usize) -> Row {
    let raw_id = first(fields, Col::Id);
    let mut reasons = Vec::new();
    let mut warnings = Vec::new();
    // `PSTW-123` as the releases write it; `PSTW 123`, `pstw_123` as a hand edit might.
    let number = raw_id
        .to_ascii_uppercase()
        .strip_prefix("PSTW")
        .map(|n| n.trim_start_matches(['-', '_', ' ']).trim())
        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(str::to_ascii_lowercase);
    let Some(number) = number else {
        return Row::Rejected {
            id: if raw_id.is_empty() {
                format!("line {line}")
            } else {
                raw_id.to_owned()
            },
            reasons: vec![format!(
                "PSTW ID: \"{}\" is not a PSTW id such as PSTW-123",
                truncate(raw_id, 40)
            )],
        };
    };
    let id = format!("PSTW-{}", number.to_ascii_uppercase());
    let slug = format!("pstw-{number}");
    let name = one_line(first(fields, Col::Name));
    if name.is_empty() {
        reasons.push("Name: is empty".to_owned());
    }
    let description = clean_text(first(fields, Col::Description));
    let nuts_cell = first(fields, Col::Nuts);
    let (country, extra_countries) = record_country(first(fields, Col::Country), nuts_cell)
        .map_or_else(
            |reason| {
                reasons.push(reason);
                (String::new(), Vec::new())
            },
            |found| {
                warnings.extend(found.warnings);
                (found.country, found.others)
            },
        );
    let organisation = one_line(first(fields, Col::Organisation));
    if organisation.is_empty() {
        reasons.push("Responsible organisation: is empty".to_owned());
    }
    if !reasons.is_empty() {
        return Row::Rejected { id, reasons };
    }

    let mut draft = Map::new();
    draft.insert("kind".into(), json!("case_study"));
    draft.insert("slug".into(), json!(slug));
    draft.insert("title".into(), json!({"en": truncate(&name, 200)}));
    draft.insert(
        "summary".into(),
        json!({"en": summary_of(&description, &name)}),
    );
    if !description.is_empty() {
        draft.insert(
            "description".into(),
            json!({"en": truncate(&description, 20_000)}),
        );
    }
    draft.insert("organisation".into(), json!(truncate(&organisation, 200)));
    draft.insert("country".into(), json!(country));

    if let Some(nuts) = region_code(nuts_cell, &country, &mut warnings) {
        draft.insert("nuts".into(), json!(nuts));
    }

    let mut tags = Vec::new();
    for other in extra_countries {
        push_unique(&mut tags, format!("country: {other}"));
    }
    let mut themes = Vec::new();
    let mut technologies = Vec::new();
    for col in [Col::PrimaryTechnology, Col::SecondaryTechnology] {
        if let Some(term) = technology_term(first(fields, col)) {
            push_unique(&mut technologies, term);
        }
    }
    for i in 0..4 {
        if let Some(term) = technology_term(first(fields, Col::AiSub(i))) {
            push_unique(&mut technologies, term);
        }
    }
    for keyword in first(fields, Col::AiKeywords).split([',', ';']) {
        let keyword = one_line(keyword).to_lowercase();
        if keyword.chars().count() <= 200 {
            push_unique(&mut tags, keyword);
        }
    }
    let ai_class = one_line(first(fields, Col::AiClass));
    if !ai_class.is_empty() {
        push_unique(&mut tags, format!("ai: {}", ai_class.to_lowercase()));
    }

    let status = first(fields, Col::Status);
    match fold(status).as_str() {
        "" => {}
        "implemented" => {
            draft.insert("status".into(), json!("implemented"));
        }
        "pilot" => {
            draft.insert("status".into(), json!("pilot"));
        }
        "planned" | "in development" => {
            draft.insert("status".into(), json!("planned"));
        }
        "not in use" => {
            draft.insert("status".into(), json!("discontinued"));
        }
        _ => push_unique(&mut tags, format!("status: {}", truncate(status, 190))),
    }

    let mut case = Map::new();
    let mut cofog = Vec::new();
    let cofog_two = first(fields, Col::Cofog2);
    let cofog_one = first(fields, Col::Cofog1);
    match cofog_code(cofog_two, COFOG_II) {
        Some(code) => push_unique(&mut cofog, code.to_owned()),
        None => {
            if !cofog_two.is_empty() {
                push_unique(&mut tags, format!("cofog: {}", truncate(cofog_two, 190)));
            }
            match cofog_code(cofog_one, COFOG_I) {
                Some(code) => push_unique(&mut cofog, code.to_owned()),
                None if !cofog_one.is_empty() => {
                    push_unique(&mut tags, format!("cofog: {}", truncate(cofog_one, 190)))
                }
                None => {}
            }
        }
    }
    if !cofog.is_empty() {
        case.insert("cofog".into(), json!(cofog));
    }
    let process = first(fields, Col::ProcessType);
    if !process.is_empty() {
        let term = canonical_term(process, PROCESS_TYPES)
            .map(str::to_owned)
            .unwrap_or_else(|| one_line(process));
        if term == "Public services and engagement" {
            push_unique(&mut themes, "citizens".into());
        }
        case.insert("process_types".into(), json!([truncate(&term, 200)]));
    }
    let application = first(fields, Col::ApplicationType);
    if !application.is_empty() {
        let term = canonical_term(application, APPLICATION_TYPES)
            .map(str::to_owned)
            .unwrap_or_else(|| one_line(application));
        match term.as_str() {
            "Data Sharing Management" | "Information analysis processes" => {
                push_unique(&mut themes, "data".into())
            }
            "Improving Cybersecurity" => push_unique(&mut themes, "cybersecurity-cloud".into()),
            "Authentication of self-sovereign Digital ID services"
            | "Service integration (various)" => {
                push_unique(&mut themes, "digital-integrations".into())
            }
            "Registration and data notarisation processes" => {
                push_unique(&mut themes, "documents".into())
            }
            _ => {}
        }
        case.insert("application_types".into(), json!([truncate(&term, 200)]));
    }
    let mut interactions = Vec::new();
    for part in first(fields, Col::Interaction).split([',', ';', '/', '|', '&', '+', ' ']) {
        let part = part.trim_matches(is_blank).to_ascii_uppercase();
        match part.as_str() {
            "" => {}
            "G2G" | "G2C" | "G2B" => {
                if part == "G2C" {
                    push_unique(&mut themes, "citizens".into());
                }
                if part == "G2B" {
                    push_unique(&mut themes, "businesses".into());
                }
                push_unique(&mut interactions, part);
            }
            other => push_unique(&mut tags, format!("interaction: {}", truncate(other, 180))),
        }
    }
    if !interactions.is_empty() {
        case.insert("interaction".into(), json!(interactions));
    }
    let mut benefits = Vec::new();
    for (col, values) in fields {
        if let Col::Benefit(term) = col
            && values.iter().any(|v| is_flag_set(v))
        {
            push_unique(&mut benefits, (*term).to_owned());
        }
    }
    if !benefits.is_empty() {
        case.insert("benefits".into(), json!(benefits));
    }
    let year = |col: Col, warnings: &mut Vec<String>| -> Option<u16> {
        let text = first(fields, col);
        if text.is_empty() {
            return None;
        }
        // Spreadsheet exports write a year as a number: `2020.0`.
        let whole = text.strip_suffix(".0").unwrap_or(text);
        match whole.parse::<u16>() {
            Ok(y) if (1950..=2200).contains(&y) => Some(y),
            _ => {
                warnings.push(format!(
                    "{col:?}: \"{}\" is not a year, left out",
                    truncate(text, 20)
                ));
                None
            }
        }
    };
    let start = year(Col::StartYear, &mut warnings);
    let mut end = year(Col::EndYear, &mut warnings);
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        warnings.push(format!(
            "End Year: {e} is before the start year {s}, left out"
        ));
        end = None;
    }
    if let Some(s) = start {
        case.insert("start_year".into(), json!(s));
    }
    if let Some(e) = end {
        case.insert("end_year".into(), json!(e));
    }
    let stories = urls_in(first(fields, Col::StoriesLink));
    let mut source = Map::new();
    source.insert("name".into(), json!(SOURCE_NAME));
    source.insert("id".into(), json!(id));
    source.insert(
        "url".into(),
        json!(
            stories
                .first()
                .cloned()
                .unwrap_or_else(|| COLLECTION_URL.to_owned())
        ),
    );
    let updated = first(fields, Col::DateUpdated);
    if !updated.is_empty() {
        match iso_date(updated, order) {
            Some(date) => {
                source.insert("updated".into(), json!(date));
            }
            None => warnings.push(format!(
                "Date updated: \"{}\" is not a date, left out",
                truncate(updated, 20)
            )),
        }
    }
    case.insert("source".into(), Value::Object(source));

    let mut links = Vec::new();
    let mut add_link = |url: String, title: &str| {
        if links.len() < mosaico_protocol::Limits::MAX_LIST_ITEMS
            && !links.iter().any(|l: &Value| l["url"] == url.as_str())
        {
            links.push(json!({"url": url, "title": title}));
        }
    };
    for url in urls_in(first(fields, Col::Website)) {
        add_link(url, "Website");
    }
    for url in stories {
        add_link(url, "Public Sector Tech Watch story");
    }
    for url in urls_in(first(fields, Col::Source)).into_iter().take(8) {
        add_link(url, "Source");
    }
    if !themes.is_empty() {
        draft.insert("themes".into(), json!(themes));
    }
    if !technologies.is_empty() {
        draft.insert("technologies".into(), json!(technologies));
    }
    if !links.is_empty() {
        draft.insert("links".into(), json!(links));
    }
    if !tags.is_empty() {
        draft.insert("tags".into(), json!(tags));
    }
    draft.insert("case_study".into(), Value::Object(case));
    Row::Draft {
        id,
        country,
        draft: Value::Object(draft),
        warnings,
    }
}

/// The record country a row names, with what was guessed or left out on the way.
struct FoundCountry {
    /// The record's `country`: an ISO 3166-1 code, or `EU` for the whole Union.
    country: String,
    /// Further countries the cell lists, kept as tags (a record names one country).
    others: Vec<String>,
    /// What was guessed or left out.
    warnings: Vec<String>,
}

/// The record country of a row: the country cell's, which may name several countries (the
/// Union, when it is among them, else the first listed); when the cell names none the tables
/// know, the country the NUTS code lies in. A row with neither has no country, which a record
/// needs: the error says so.
fn record_country(cell: &str, nuts_cell: &str) -> Result<FoundCountry, String> {
    const COLUMN: &str = "Geographical coverage (country)";
    let (mut countries, unknown) = countries_in(cell);
    let mut warnings: Vec<String> = unknown
        .iter()
        .map(|part| {
            format!(
                "{COLUMN}: \"{}\" is not a country Mosaico records can name, left out",
                truncate(part, 60)
            )
        })
        .collect();
    if countries.is_empty() {
        let from_nuts = nuts_cell
            .split(NUTS_SEPARATORS)
            .find_map(|code| country_of_nuts(code.trim_matches(is_blank)));
        match from_nuts {
            Some(code) => {
                warnings.push(format!(
                    "{COLUMN}: empty or unknown, {code} taken from the NUTS code"
                ));
                countries.push(code);
            }
            None => {
                return Err(format!(
                    "{COLUMN}: \"{}\" is not a country Mosaico records can name (an ISO 3166-1 country, or the European Union, is required)",
                    truncate(cell, 60)
                ));
            }
        }
    }
    let lead = countries
        .iter()
        .position(|c| c == iso3166::EUROPEAN_UNION)
        .unwrap_or(0);
    let country = countries.remove(lead);
    if !countries.is_empty() {
        warnings.push(format!(
            "{COLUMN}: several countries; the record names {country}, the others ({}) are kept as tags",
            countries.join(", ")
        ));
    }
    Ok(FoundCountry {
        country,
        others: countries,
        warnings,
    })
}

/// What separates several codes in one NUTS cell.
const NUTS_SEPARATORS: [char; 5] = [',', ';', '/', '|', ' '];

/// The NUTS region a row names inside its country, if any. A code the country itself is (`IT`
/// for Italy, `EU` for an EU-wide case) adds nothing; a code that is malformed, outside the
/// country, or one of several after the first is left out with a warning. An EU-wide record
/// names no region.
fn region_code(cell: &str, country: &str, warnings: &mut Vec<String>) -> Option<String> {
    let prefix = iso3166::nuts_prefix(country);
    let mut region = None;
    for code in cell.split(NUTS_SEPARATORS) {
        let nuts = code.trim_matches(is_blank).to_ascii_uppercase();
        if nuts.is_empty() || nuts == prefix {
            continue;
        }
        let well_formed = (2..=5).contains(&nuts.len())
            && nuts.bytes().take(2).all(|b| b.is_ascii_uppercase())
            && nuts.bytes().all(|b| b.is_ascii_alphanumeric());
        if !well_formed {
            warnings.push(format!(
                "NUTS 2021: \"{}\" is not a NUTS code, left out",
                truncate(&nuts, 20)
            ));
        } else if country == iso3166::EUROPEAN_UNION {
            warnings.push(format!(
                "NUTS 2021: \"{nuts}\" names a region, and an EU-wide record names none, left out"
            ));
        } else if !nuts.starts_with(prefix) {
            warnings.push(format!(
                "NUTS 2021: \"{nuts}\" is not in {country} (NUTS codes there start with {prefix}), left out"
            ));
        } else if region.is_some() {
            warnings.push(format!(
                "NUTS 2021: \"{nuts}\" is a further region; a record names one, left out"
            ));
        } else {
            region = Some(nuts);
        }
    }
    region
}

/// Whether a benefit cell flags the benefit: `x` as the releases write it, or the other marks a
/// spreadsheet may hold (`yes`, `1`, a tick).
fn is_flag_set(cell: &str) -> bool {
    matches!(
        cell.trim_matches(is_blank).to_lowercase().as_str(),
        "x" | "yes" | "y" | "1" | "true" | "✓" | "✔"
    )
}
