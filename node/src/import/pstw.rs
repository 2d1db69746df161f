//! Public Sector Tech Watch: the European Commission's (JRC) CSV of public-sector AI and
//! emerging-technology cases, mapped to `case_study` drafts.
//!
//! The data is CC-BY-4.0 (European Commission, Joint Research Centre); every record keeps its
//! source (name, PSTW id, URL, date updated) so the attribution travels with it.
//!
//! Real releases are dirty, and each kind of dirt has a rule here rather than a special case in
//! the caller: a byte-order mark and headers with stray spaces (`' Status'`) are matched by
//! folded name; columns added, removed or reordered in a later release are found by name and
//! reported as warnings; spelling and case variants (`Artificial intelligence` / `Artificial
//! Intelligence`) fold to one term, and a value that maps to no term is kept as a tag with its
//! original text; dates come as m/d/yyyy or d/m/yyyy (the file's convention is inferred from the
//! rows where the day is over 12); `x` flags become benefits; country names become ISO codes;
//! NUTS codes are checked against the country and dropped with a warning when they do not fit.

use std::collections::{BTreeMap, BTreeSet};

use mosaico_protocol::iso3166;
use serde_json::{Map, Value, json};

use super::publiccode::{clean_text, one_line, truncate};

/// The largest CSV read: the June 2025 release is 3.7 MB.
pub const MAX_FILE_BYTES: usize = 64 * 1024 * 1024;
/// The source name every PSTW record carries, by which `--sync` finds earlier imports.
pub const SOURCE_NAME: &str = "PSTW";
/// Where the data set is published (the attribution link when a case has no page of its own).
pub const COLLECTION_URL: &str =
    "https://interoperable-europe.ec.europa.eu/collection/public-sector-tech-watch";

/// Why a whole file cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PstwFileError {
    /// Larger than [`MAX_FILE_BYTES`].
    #[error("the file is {0} bytes; a PSTW CSV is at most {MAX_FILE_BYTES}")]
    TooLarge(usize),
    /// Not UTF-8 (PSTW releases are UTF-8; Excel exports as Latin-1 or UTF-16 need converting).
    #[error(
        "the file is not UTF-8 text (byte {0} is invalid): PSTW releases are UTF-8; convert it, e.g. `iconv -f latin1 -t utf-8`"
    )]
    NotUtf8(usize),
    /// The CSV structure is broken (unterminated quote…).
    #[error("not a readable CSV: {0}")]
    Csv(String),
    /// No header names a PSTW column.
    #[error(
        "no Public Sector Tech Watch columns: the header must name at least \"PSTW ID\" and \"Name\" (found: {0})"
    )]
    NotPstw(String),
}

/// One row's outcome before publishing.
#[derive(Debug, Clone)]
pub enum Row {
    /// A draft (JSON), with what was dropped or guessed on the way.
    Draft {
        /// The PSTW id, e.g. `PSTW-123`.
        id: String,
        /// The country (for `--only-country`).
        country: String,
        /// The draft.
        draft: Value,
        /// Values dropped (a NUTS code outside the country, a bad year…).
        warnings: Vec<String>,
    },
    /// A row that cannot become a record.
    Rejected {
        /// The PSTW id, or `line N` when it has none.
        id: String,
        /// Every reason, as `key: message`.
        reasons: Vec<String>,
    },
}

/// A parsed file: the rows and the file-level warnings (columns missing or unknown).
#[derive(Debug, Clone)]
pub struct Parsed {
    /// One per non-empty data row.
    pub rows: Vec<Row>,
    /// Warnings about the header.
    pub warnings: Vec<String>,
    /// Empty rows skipped.
    pub empty_rows: usize,
}

/// The columns this importer reads, by their canonical names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Col {
    Id,
    Name,
    Website,
    Description,
    Extent,
    Country,
    Nuts,
    Organisation,
    OrganisationCategory,
    Cofog1,
    Cofog2,
    Status,
    StartYear,
    EndYear,
    ProcessType,
    ApplicationType,
    PrimaryTechnology,
    SecondaryTechnology,
    Interaction,
    Source,
    AiClass,
    AiSub(u8),
    AiKeywords,
    StoriesLink,
    DateUpdated,
    Benefit(&'static str),
}

/// The benefit columns (`x` flags) and the benefit term each one means. Several columns can mean
/// the same term; the record lists it once.
const BENEFIT_COLUMNS: &[(&str, &str)] = &[
    ("improved public service", "quality"),
    ("personalized services", "x-personalisation"),
    ("public (citizen)-centered services", "x-citizen-centred"),
    ("increase quality of psi and services", "quality"),
    (
        "more responsive, efficient, and cost-effective public services",
        "responsiveness",
    ),
    ("new services or channels", "x-new-channels"),
    ("improved administrative efficiency", "efficiency"),
    ("cost-reduction", "cost-reduction"),
    ("responsiveness of government operation", "responsiveness"),
    (
        "improved management of public resources",
        "x-resource-management",
    ),
    (
        "increased quality of processes and systems",
        "effectiveness",
    ),
    (
        "better collaboration and better communication",
        "x-collaboration",
    ),
    (
        "reduced or eliminated the risk of corruption and abuse of the law by public servants",
        "accountability",
    ),
    ("enabled greater fairness, honesty, equality", "inclusion"),
    ("open government capabilities", "openness"),
    (
        "increased transparency of public sector operations",
        "transparency",
    ),
    (
        "increased public participation in government actions and policy making",
        "participation",
    ),
    (
        "improved public control and influence on government actions and policies",
        "trust",
    ),
];

/// Columns of the release this importer was written against that it reads no value from; their
/// presence is expected, so they cause no "unknown column" warning.
const KNOWN_UNUSED: &[&str] = &[
    "cross border",
    "cross sector",
    "collaboration type",
    "procurement (eu model contractual ai)",
    "funding source",
    "govtech",
    "company name or govtech id",
    "govtech initiative + id",
    "open components in input",
    "open components in output",
];

/// A header folded for matching: trimmed (non-breaking spaces too), lowercased, inner runs of
/// space collapsed.
fn fold(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '\u{a0}')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn column(folded: &str) -> Option<Col> {
    Some(match folded {
        "pstw id" => Col::Id,
        "name" => Col::Name,
        "website" => Col::Website,
        "description" => Col::Description,
        "geographical extent" => Col::Extent,
        "geographical coverage (country)" => Col::Country,
        "nuts 2021" | "nuts" => Col::Nuts,
        "responsible organisation" | "responsible organization" => Col::Organisation,
        "responsible organisation category" => Col::OrganisationCategory,
        "functions of government (cofog level i)" => Col::Cofog1,
        "functions of government (cofog level ii)" => Col::Cofog2,
        "status" => Col::Status,
        "start year" => Col::StartYear,
        "end year" => Col::EndYear,
        "process type" => Col::ProcessType,
        "application type" => Col::ApplicationType,
        "primary technology" => Col::PrimaryTechnology,
        "secondary technology" => Col::SecondaryTechnology,
        "interaction" => Col::Interaction,
        "source" => Col::Source,
        "ai classification (i)" => Col::AiClass,
        "ai classification subdomain (ii) (main)" => Col::AiSub(0),
        "ai classification subdomain (ii) (other i)" => Col::AiSub(1),
        "ai classification subdomain (ii) (other ii)" => Col::AiSub(2),
        "ai classification subdomain (ii) (other iii)" => Col::AiSub(3),
        "ai keywords" => Col::AiKeywords,
        "stories link" => Col::StoriesLink,
        "date updated" => Col::DateUpdated,
        other => {
            let (_, term) = BENEFIT_COLUMNS.iter().find(|(name, _)| *name == other)?;
            Col::Benefit(term)
        }
    })
}

/// The columns a complete release has (for the "missing columns" warning).
const EXPECTED: &[(&str, Col)] = &[
    ("PSTW ID", Col::Id),
    ("Name", Col::Name),
    ("Website", Col::Website),
    ("Description", Col::Description),
    ("Geographical coverage (country)", Col::Country),
    ("NUTS 2021", Col::Nuts),
    ("Responsible organisation", Col::Organisation),
    ("Functions of Government (COFOG level I)", Col::Cofog1),
    ("Functions of Government (COFOG level II)", Col::Cofog2),
    ("Status", Col::Status),
    ("Start Year", Col::StartYear),
    ("End Year", Col::EndYear),
    ("Process type", Col::ProcessType),
    ("Application type", Col::ApplicationType),
    ("Primary Technology", Col::PrimaryTechnology),
    ("Interaction", Col::Interaction),
    ("Date updated", Col::DateUpdated),
];

/// Reads a whole PSTW CSV. File-level problems are errors; row-level ones reject only the row.
pub fn parse(bytes: &[u8]) -> Result<Parsed, PstwFileError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(PstwFileError::TooLarge(bytes.len()));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| PstwFileError::NotUtf8(e.valid_up_to()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| PstwFileError::Csv(e.to_string()))?
        .clone();
    let mut columns: BTreeMap<usize, Col> = BTreeMap::new();
    let mut unknown = Vec::new();
    for (i, header) in headers.iter().enumerate() {
        let folded = fold(header);
        match column(&folded) {
            Some(col) => {
                columns.insert(i, col);
            }
            None if KNOWN_UNUSED.contains(&folded.as_str()) || folded.is_empty() => {}
            None => unknown.push(header.trim().to_owned()),
        }
    }
    let present: BTreeSet<Col> = columns.values().copied().collect();
    if !present.contains(&Col::Id) || !present.contains(&Col::Name) {
        let found: Vec<String> = headers
            .iter()
            .take(6)
            .map(|h| format!("\"{}\"", truncate(h.trim(), 40)))
            .collect();
        return Err(PstwFileError::NotPstw(found.join(", ")));
    }
    let mut warnings = Vec::new();
    let missing: Vec<&str> = EXPECTED
        .iter()
        .filter(|(_, col)| !present.contains(col))
        .map(|(name, _)| *name)
        .collect();
    if !missing.is_empty() {
        warnings.push(format!(
            "columns missing from this release, left empty: {}",
            missing.join(", ")
        ));
    }
    if !unknown.is_empty() {
        warnings.push(format!(
            "columns this importer does not know, ignored: {}",
            unknown.join(", ")
        ));
    }

    let mut records = Vec::new();
    for result in reader.records() {
        let record = result.map_err(|e| PstwFileError::Csv(e.to_string()))?;
        records.push(record);
    }
    let date_order = infer_date_order(&records, &columns);
    let mut rows = Vec::new();
    let mut empty_rows = 0;
    let mut seen = BTreeSet::new();
    for (n, record) in records.iter().enumerate() {
        if record.iter().all(|f| f.trim_matches(is_blank).is_empty()) {
            empty_rows += 1;
            continue;
        }
        let mut fields: BTreeMap<Col, Vec<&str>> = BTreeMap::new();
        for (i, value) in record.iter().enumerate() {
            if let Some(col) = columns.get(&i) {
                fields.entry(*col).or_default().push(value);
            }
        }
        // Line numbers count the header as line 1, as a spreadsheet shows them.
        let row = map_row(&fields, date_order, n + 2);
        if let Row::Draft { id, .. } = &row
            && !seen.insert(id.clone())
        {
            rows.push(Row::Rejected {
                id: id.clone(),
                reasons: vec![format!(
                    "PSTW ID: {id} appears twice in the file; the first row was kept"
                )],
            });
            continue;
        }
        rows.push(row);
    }
    Ok(Parsed {
        rows,
        warnings,
        empty_rows,
    })
}

fn is_blank(c: char) -> bool {
    c.is_whitespace() || c == '\u{a0}'
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateOrder {
    MonthFirst,
    DayFirst,
}

/// m/d/yyyy unless some row has a first number over 12 and none a second one over 12.
fn infer_date_order(records: &[csv::StringRecord], columns: &BTreeMap<usize, Col>) -> DateOrder {
    let Some(index) = columns
        .iter()
        .find(|(_, c)| **c == Col::DateUpdated)
        .map(|(i, _)| *i)
    else {
        return DateOrder::MonthFirst;
    };
    let (mut first_big, mut second_big) = (false, false);
    for record in records {
        let parts: Vec<u32> = record
            .get(index)
            .unwrap_or_default()
            .trim()
            .split('/')
            .filter_map(|p| p.parse().ok())
            .collect();
        if let [a, b, _] = parts.as_slice() {
            first_big |= *a > 12;
            second_big |= *b > 12;
        }
    }
    if first_big && !second_big {
        DateOrder::DayFirst
    } else {
        DateOrder::MonthFirst
    }
}

/// `m/d/yyyy` or `d/m/yyyy` (or already ISO) as an ISO 8601 date.
fn iso_date(text: &str, order: DateOrder) -> Option<String> {
    let text = text.trim();
    if text.len() == 10 && text.as_bytes()[4] == b'-' {
        return Some(text.to_owned());
    }
    let parts: Vec<u32> = text
        .split(['/', '.', '-'])
        .map(|p| p.trim().parse().ok())
        .collect::<Option<_>>()?;
    let [a, b, year] = parts.as_slice() else {
        return None;
    };
    let (month, day) = match order {
        DateOrder::MonthFirst if *a > 12 => (*b, *a),
        DateOrder::MonthFirst => (*a, *b),
        DateOrder::DayFirst if *b > 12 => (*a, *b),
        DateOrder::DayFirst => (*b, *a),
    };
    ((1..=12).contains(&month) && (1..=31).contains(&day) && (1950..=2200).contains(year))
        .then(|| format!("{year:04}-{month:02}-{day:02}"))
}

/// Country names as PSTW writes them, to ISO 3166-1 alpha-2.
fn country_code(name: &str) -> Option<&'static str> {
    let folded = fold(name);
    Some(match folded.as_str() {
        "albania" => "AL",
        "andorra" => "AD",
        "austria" => "AT",
        "belgium" => "BE",
        "bosnia and herzegovina" => "BA",
        "bulgaria" => "BG",
        "croatia" => "HR",
        "cyprus" => "CY",
        "czechia" | "czech republic" => "CZ",
        "denmark" => "DK",
        "estonia" => "EE",
        "finland" => "FI",
        "france" => "FR",
        "georgia" => "GE",
        "germany" => "DE",
        "greece" => "GR",
        "hungary" => "HU",
        "iceland" => "IS",
        "ireland" => "IE",
        "italy" => "IT",
        "kosovo" => return None,
        "latvia" => "LV",
        "liechtenstein" => "LI",
        "lithuania" => "LT",
        "luxembourg" => "LU",
        "malta" => "MT",
        "moldova" | "republic of moldova" => "MD",
        "montenegro" => "ME",
        "netherlands" | "the netherlands" => "NL",
        "north macedonia" => "MK",
        "norway" => "NO",
        "poland" => "PL",
        "portugal" => "PT",
        "romania" => "RO",
        "san marino" => "SM",
        "serbia" => "RS",
        "slovakia" => "SK",
        "slovenia" => "SI",
        "spain" => "ES",
        "sweden" => "SE",
        "switzerland" => "CH",
        "turkey" | "türkiye" | "turkiye" => "TR",
        "ukraine" => "UA",
        "united kingdom" | "uk" => "GB",
        "vatican city" | "holy see" => "VA",
        _ => {
            let upper = name.trim().to_ascii_uppercase();
            return ISO_CODES_BY_TEXT
                .iter()
                .find(|c| **c == upper)
                .copied()
                .filter(|c| iso3166::is_country_code(c));
        }
    })
}

/// Two-letter codes written in the country column directly are accepted as they are.
const ISO_CODES_BY_TEXT: &[&str] = &[
    "AL", "AD", "AT", "BE", "BA", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "GE", "DE", "GR",
    "HU", "IS", "IE", "IT", "LV", "LI", "LT", "LU", "MT", "MD", "ME", "NL", "MK", "NO", "PL", "PT",
    "RO", "SM", "RS", "SK", "SI", "ES", "SE", "CH", "TR", "UA", "GB", "VA",
];

/// COFOG level I names to division codes.
const COFOG_I: &[(&str, &str)] = &[
    ("general public services", "01"),
    ("defence", "02"),
    ("public order and safety", "03"),
    ("economic affairs", "04"),
    ("environmental protection", "05"),
    ("housing and community amenities", "06"),
    ("health", "07"),
    ("recreation, culture and religion", "08"),
    ("education", "09"),
    ("social protection", "10"),
];

/// COFOG level II names (as the UN classification writes them) to group codes.
const COFOG_II: &[(&str, &str)] = &[
    (
        "executive and legislative organs, financial and fiscal affairs, external affairs",
        "01.1",
    ),
    ("foreign economic aid", "01.2"),
    ("general services", "01.3"),
    ("basic research", "01.4"),
    ("r&d general public services", "01.5"),
    ("general public services n.e.c", "01.6"),
    ("public debt transactions", "01.7"),
    (
        "transfers of a general character between different levels of government",
        "01.8",
    ),
    ("military defence", "02.1"),
    ("civil defence", "02.2"),
    ("foreign military aid", "02.3"),
    ("r&d defence", "02.4"),
    ("defence n.e.c", "02.5"),
    ("police services", "03.1"),
    ("fire-protection services", "03.2"),
    ("law courts", "03.3"),
    ("prisons", "03.4"),
    ("r&d public order and safety", "03.5"),
    ("public order and safety n.e.c", "03.6"),
    ("general economic, commercial and labour affair", "04.1"),
    ("agriculture, forestry, fishing and hunting", "04.2"),
    ("fuel and energy", "04.3"),
    ("mining, manufacturing and construction", "04.4"),
    ("transport", "04.5"),
    ("communication", "04.6"),
    ("other industries", "04.7"),
    ("r&d economic affairs", "04.8"),
    ("economic affairs n.e.c", "04.9"),
    ("waste management", "05.1"),
    ("waste water management", "05.2"),
    ("pollution abatement", "05.3"),
    ("protection of biodiversity and landscape", "05.4"),
    ("r&d environmental protection", "05.5"),
    ("environmental protection n.e.c", "05.6"),
    ("housing development", "06.1"),
    ("community development", "06.2"),
    ("water supply", "06.3"),
    ("street lighting", "06.4"),
    ("r&d housing and community amenities", "06.5"),
    ("housing and community amenities n.e.c", "06.6"),
    ("medical products, appliances and equipment", "07.1"),
    ("outpatient services", "07.2"),
    ("hospital services", "07.3"),
    ("public health services", "07.4"),
    ("r&d health", "07.5"),
    ("health n.e.c", "07.6"),
    ("recreational and sporting services", "08.1"),
    ("cultural services", "08.2"),
    ("broadcasting and publishing services", "08.3"),
    ("religious and other community services", "08.4"),
    ("r&d recreation, culture and religion", "08.5"),
    ("recreation, culture and religion n.e.c", "08.6"),
    ("pre-primary and primary education", "09.1"),
    ("secondary education", "09.2"),
    ("post-secondary non-tertiary education", "09.3"),
    ("tertiary education", "09.4"),
    ("education not definable by level", "09.5"),
    ("subsidiary services to education", "09.6"),
    ("r&d education", "09.7"),
    ("education n.e.c", "09.8"),
    ("sickness and disability", "10.1"),
    ("old age", "10.2"),
    ("survivors", "10.3"),
    ("family and children", "10.4"),
    ("unemployment", "10.5"),
    ("housing", "10.6"),
    ("social exclusion n.e.c", "10.7"),
    ("r&d social protection", "10.8"),
    ("social protection n.e.c", "10.9"),
];

/// A COFOG name folded: lowercased, trailing full stops gone, "affairs" and "affair" alike.
fn cofog_code(name: &str, table: &[(&str, &'static str)]) -> Option<&'static str> {
    let folded = fold(name);
    let folded = folded.trim_end_matches('.').trim_end_matches("s");
    table.iter().find_map(|(label, code)| {
        let label = label.trim_end_matches('s');
        (label == folded).then_some(*code)
    })
}

/// The application types of the release, in their canonical spelling; other spellings (case,
/// trailing spaces) fold to these.
const APPLICATION_TYPES: &[&str] = &[
    "Authentication of self-sovereign Digital ID services",
    "Certification and validation processes",
    "Data Sharing Management",
    "Engagement management",
    "Financial management and support",
    "Governance and voting",
    "Improving Cybersecurity",
    "Information analysis processes",
    "Innovating Public Policy",
    "Internal management processes",
    "Internal primary processes",
    "Internal support processes",
    "Management of auditing and logging",
    "Managing Copyright and IPR",
    "Monitoring policy implementation",
    "Payments and international transactions",
    "Prediction and planning",
    "Predictive enforcement processes",
    "Procurement management",
    "Registration and data notarisation processes",
    "Service integration (various)",
    "Service personalisation (various)",
    "Smart Recognition processes",
    "Supporting disintermediation",
    "Supporting inspection processes",
    "Taking decisions on benefits",
    "Tracking of goods and assets along the supply chain",
];

const PROCESS_TYPES: &[&str] = &[
    "Public services and engagement",
    "Internal management",
    "Analysis, monitoring and regulatory research",
    "Enforcement",
    "Adjudication",
];

/// Folds a value onto the canonical spelling in `terms`, or `None` when it matches none.
fn canonical_term(value: &str, terms: &[&'static str]) -> Option<&'static str> {
    let folded = fold(value);
    terms.iter().find(|t| fold(t) == folded).copied()
}

/// A free term as the protocol's technologies are written: lowercase words joined by `-`
/// (`Artificial Intelligence` and `Artificial intelligence` both give `artificial-intelligence`).
fn technology_term(value: &str) -> Option<String> {
    let mut term = String::new();
    for c in value.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            term.push(c);
        } else if !term.ends_with('-') && !term.is_empty() {
            term.push('-');
        }
    }
    let term = term.trim_matches('-').to_owned();
    match term.as_str() {
        "" | "other" => None,
        "ar-vr" => Some("ar-vr".into()),
        _ => Some(term),
    }
}

fn first<'a>(fields: &BTreeMap<Col, Vec<&'a str>>, col: Col) -> &'a str {
    fields
        .get(&col)
        .and_then(|v| v.first())
        .map(|s| s.trim_matches(is_blank))
        .unwrap_or("")
}

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

fn map_row(fields: &BTreeMap<Col, Vec<&str>>, order: DateOrder, line: usize) -> Row {
    let raw_id = first(fields, Col::Id);
    let mut reasons = Vec::new();
    let mut warnings = Vec::new();
    let number = raw_id
        .to_ascii_uppercase()
        .strip_prefix("PSTW-")
        .map(str::trim)
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
    let country_name = first(fields, Col::Country);
    let country = match country_code(country_name) {
        Some(code) => code.to_owned(),
        None => {
            reasons.push(format!(
                "Geographical coverage (country): \"{}\" is not a country Mosaico records can name (an ISO 3166-1 country is required)",
                truncate(country_name, 60)
            ));
            String::new()
        }
    };
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

    let nuts = first(fields, Col::Nuts).to_ascii_uppercase();
    if !nuts.is_empty() {
        let prefix = iso3166::nuts_prefix(&country);
        let well_formed = (2..=5).contains(&nuts.len())
            && nuts.bytes().take(2).all(|b| b.is_ascii_uppercase())
            && nuts.bytes().all(|b| b.is_ascii_alphanumeric());
        if !well_formed {
            warnings.push(format!(
                "NUTS 2021: \"{nuts}\" is not a NUTS code, left out"
            ));
        } else if !nuts.starts_with(prefix) {
            warnings.push(format!(
                "NUTS 2021: \"{nuts}\" is not in {country} (NUTS codes there start with {prefix}), left out"
            ));
        } else if nuts.len() > 2 {
            // A two-letter code is the country itself, which the record already says.
            draft.insert("nuts".into(), json!(nuts));
        }
    }

    let mut tags = Vec::new();
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
    let interaction = first(fields, Col::Interaction).to_ascii_uppercase();
    match interaction.as_str() {
        "G2G" | "G2C" | "G2B" => {
            if interaction == "G2C" {
                push_unique(&mut themes, "citizens".into());
            }
            if interaction == "G2B" {
                push_unique(&mut themes, "businesses".into());
            }
            case.insert("interaction".into(), json!([interaction]));
        }
        "" => {}
        other => push_unique(&mut tags, format!("interaction: {}", truncate(other, 180))),
    }
    let mut benefits = Vec::new();
    for (col, values) in fields {
        if let Col::Benefit(term) = col
            && values
                .iter()
                .any(|v| v.trim_matches(is_blank).eq_ignore_ascii_case("x"))
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
        match text.parse::<u16>() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_the_files_convention() {
        assert_eq!(
            iso_date("3/18/2025", DateOrder::MonthFirst).as_deref(),
            Some("2025-03-18")
        );
        assert_eq!(
            iso_date("18/3/2025", DateOrder::MonthFirst).as_deref(),
            Some("2025-03-18")
        );
        assert_eq!(
            iso_date("4/3/2025", DateOrder::DayFirst).as_deref(),
            Some("2025-03-04")
        );
        assert_eq!(iso_date("yesterday", DateOrder::MonthFirst), None);
    }

    #[test]
    fn variants_fold_to_one_term() {
        assert_eq!(
            technology_term("Artificial intelligence"),
            technology_term("Artificial Intelligence ")
        );
        assert_eq!(
            canonical_term("internal primary processes", APPLICATION_TYPES),
            Some("Internal primary processes")
        );
        assert_eq!(
            cofog_code("General economic, commercial and labour affair", COFOG_II),
            Some("04.1")
        );
        assert_eq!(cofog_code("Secondary Education.", COFOG_II), Some("09.2"));
        assert_eq!(country_code("Denmark "), Some("DK"));
        assert_eq!(country_code("United Kingdom"), Some("GB"));
        assert_eq!(country_code("European Union"), None);
    }

    #[test]
    fn a_csv_without_pstw_columns_is_refused() {
        let err = parse(b"a,b,c\n1,2,3\n").expect_err("not pstw");
        assert!(matches!(err, PstwFileError::NotPstw(_)), "{err}");
    }

    #[test]
    fn latin1_is_refused_with_a_hint() {
        let err = parse(b"PSTW ID,Name\nPSTW-1,Caf\xe9\n").expect_err("latin-1");
        assert!(err.to_string().contains("not UTF-8"), "{err}");
    }

    #[test]
    fn headers_with_stray_spaces_and_reordering_are_found() {
        let csv = "\u{feff}Name, Status ,PSTW ID,Geographical coverage (country),Responsible organisation,Extra\nBot,Pilot,PSTW-7,Italy,Comune,?\n,,,,,\n";
        let parsed = parse(csv.as_bytes()).expect("parses");
        assert_eq!(parsed.empty_rows, 1);
        assert!(parsed.warnings.iter().any(|w| w.contains("Extra")));
        let Row::Draft { draft, .. } = &parsed.rows[0] else {
            panic!("{:?}", parsed.rows[0]);
        };
        assert_eq!(draft["slug"], "pstw-7");
        assert_eq!(draft["status"], "pilot");
        assert_eq!(draft["country"], "IT");
    }
}
