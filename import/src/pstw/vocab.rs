//! The vocabularies PSTW cells are written in, folded onto what a record says: country names to
//! ISO 3166-1 codes (or `EU`), COFOG names to codes, the release's process and application
//! types in their canonical spelling, technologies as protocol terms.
//!
//! Every table folds spelling and case variants onto one term, so "Artificial intelligence" and
//! "Artificial Intelligence " are one technology, "Denmark " is DK and "European Union (EU)" is
//! EU. A value no table knows is the caller's to keep as text or leave out; it never rejects a
//! row by itself.

use mosaico_protocol::iso3166;

use super::columns::fold;

/// The record country a PSTW country cell names (one name: see [`countries_in`] for a cell
/// listing several). Names in English as PSTW writes them and in the countries' own languages,
/// two-letter codes written directly, and every spelling of the European Union (`EU`).
pub(super) fn country_code(name: &str) -> Option<String> {
    let folded = fold(name);
    let folded = folded.trim_end_matches(['.', '*']).trim();
    if let Some(code) = country_by_name(folded) {
        return Some(code.to_owned());
    }
    // "European Union (EU)", "Netherlands (the)", "Moldova (Republic of)": the name outside the
    // brackets, or the one inside.
    if let Some((outside, inside)) = folded.strip_suffix(')').and_then(|f| f.split_once('(')) {
        return country_code(outside).or_else(|| country_code(inside));
    }
    if let Some(rest) = folded.strip_prefix("the ") {
        return country_by_name(rest).map(str::to_owned);
    }
    code_written_directly(folded)
}

/// A two-letter code in the cell: an assigned ISO 3166-1 code, `EU`, or one of the two codes
/// Eurostat writes differently (`EL` for Greece, `UK` for the United Kingdom).
fn code_written_directly(folded: &str) -> Option<String> {
    let upper = folded.to_ascii_uppercase();
    match upper.as_str() {
        "EL" => return Some("GR".to_owned()),
        "UK" => return Some("GB".to_owned()),
        _ => {}
    }
    iso3166::is_record_country(&upper).then_some(upper)
}

/// The country a NUTS code lies in, for a row whose country cell names none the tables know:
/// the two letters NUTS starts with, Eurostat's `EL` and `UK` read as GR and GB.
pub(super) fn country_of_nuts(nuts: &str) -> Option<String> {
    let prefix = nuts.trim().get(..2)?;
    code_written_directly(prefix)
}

/// The countries of a cell that may name several ("Belgium, Netherlands", "Spain / Portugal",
/// "Germany and Austria"), in the cell's order, each once; and the parts no table knows.
pub(super) fn countries_in(cell: &str) -> (Vec<String>, Vec<String>) {
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    if fold(cell).is_empty() {
        return (known, unknown);
    }
    if let Some(code) = country_code(cell) {
        return (vec![code], unknown);
    }
    for part in cell.split([',', ';', '/', '|', '\n', '&', '+']) {
        if fold(part).is_empty() {
            continue;
        }
        let codes: Vec<Option<String>> = match country_code(part) {
            Some(code) => vec![Some(code)],
            // "Germany and Austria"; "Bosnia and Herzegovina" was matched whole above.
            None => part.split(" and ").map(country_code).collect(),
        };
        if codes.iter().all(Option::is_some) {
            for code in codes.into_iter().flatten() {
                if !known.contains(&code) {
                    known.push(code);
                }
            }
        } else {
            unknown.push(part.trim().to_owned());
        }
    }
    (known, unknown)
}

/// Country names, folded, to their record country.
fn country_by_name(folded: &str) -> Option<&'static str> {
    Some(match folded {
        "european union"
        | "eu"
        | "eu27"
        | "eu-27"
        | "eu 27"
        | "eu28"
        | "eu-28"
        | "eu member states"
        | "all eu member states"
        | "eu-wide"
        | "eu wide"
        | "europe (eu)"
        | "union européenne"
        | "europäische union" => iso3166::EUROPEAN_UNION,
        "albania" => "AL",
        "andorra" => "AD",
        "armenia" => "AM",
        "austria" | "österreich" => "AT",
        "azerbaijan" => "AZ",
        "belarus" => "BY",
        "belgium" | "belgique" | "belgië" => "BE",
        "bosnia and herzegovina" | "bosnia & herzegovina" | "bosnia-herzegovina" => "BA",
        "bulgaria" => "BG",
        "croatia" | "hrvatska" => "HR",
        "cyprus" => "CY",
        "czechia" | "czech republic" | "the czech republic" => "CZ",
        "denmark" | "danmark" => "DK",
        "estonia" | "eesti" => "EE",
        "faroe islands" => "FO",
        "finland" | "suomi" => "FI",
        "france" => "FR",
        "georgia" => "GE",
        "germany" | "deutschland" => "DE",
        "gibraltar" => "GI",
        "greece" | "hellas" => "GR",
        "greenland" => "GL",
        "hungary" | "magyarország" => "HU",
        "iceland" => "IS",
        "ireland" | "republic of ireland" => "IE",
        "italy" | "italia" => "IT",
        "kosovo" => return None,
        "latvia" => "LV",
        "liechtenstein" => "LI",
        "lithuania" => "LT",
        "luxembourg" => "LU",
        "malta" => "MT",
        "moldova" | "republic of moldova" => "MD",
        "monaco" => "MC",
        "montenegro" => "ME",
        "netherlands" | "the netherlands" | "holland" | "nederland" => "NL",
        "north macedonia" | "macedonia" | "republic of north macedonia" => "MK",
        "norway" | "norge" => "NO",
        "poland" | "polska" => "PL",
        "portugal" => "PT",
        "romania" => "RO",
        "russia" | "russian federation" => "RU",
        "san marino" => "SM",
        "serbia" => "RS",
        "slovakia" | "slovak republic" => "SK",
        "slovenia" => "SI",
        "spain" | "españa" => "ES",
        "sweden" | "sverige" => "SE",
        "switzerland" | "schweiz" | "suisse" => "CH",
        "turkey" | "türkiye" | "turkiye" => "TR",
        "ukraine" => "UA",
        "united kingdom" | "uk" | "great britain" | "england" | "scotland" | "wales"
        | "northern ireland" => "GB",
        "vatican city" | "holy see" | "vatican" => "VA",
        "united states" | "united states of america" | "usa" | "us" => "US",
        "canada" => "CA",
        "australia" => "AU",
        "new zealand" => "NZ",
        "japan" => "JP",
        "south korea" | "korea" | "republic of korea" => "KR",
        "singapore" => "SG",
        "israel" => "IL",
        "india" => "IN",
        "china" => "CN",
        "brazil" => "BR",
        _ => return None,
    })
}

/// COFOG level I names to division codes.
pub(super) const COFOG_I: &[(&str, &str)] = &[
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
pub(super) const COFOG_II: &[(&str, &str)] = &[
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
pub(super) fn cofog_code(name: &str, table: &[(&str, &'static str)]) -> Option<&'static str> {
    let folded = fold(name);
    let folded = folded.trim_end_matches('.').trim_end_matches("s");
    table.iter().find_map(|(label, code)| {
        let label = label.trim_end_matches('s');
        (label == folded).then_some(*code)
    })
}

/// The application types of the release, in their canonical spelling; other spellings (case,
/// trailing spaces) fold to these.
pub(super) const APPLICATION_TYPES: &[&str] = &[
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

/// The process types of the release, in their canonical spelling.
pub(super) const PROCESS_TYPES: &[&str] = &[
    "Public services and engagement",
    "Internal management",
    "Analysis, monitoring and regulatory research",
    "Enforcement",
    "Adjudication",
];

/// Folds a value onto the canonical spelling in `terms`, or `None` when it matches none.
pub(super) fn canonical_term(value: &str, terms: &[&'static str]) -> Option<&'static str> {
    let folded = fold(value);
    terms.iter().find(|t| fold(t) == folded).copied()
}

/// A free term as the protocol's technologies are written: lowercase words joined by `-`
/// (`Artificial Intelligence` and `Artificial intelligence` both give `artificial-intelligence`).
pub(super) fn technology_term(value: &str) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(country_code("Denmark ").as_deref(), Some("DK"));
        assert_eq!(country_code("United Kingdom").as_deref(), Some("GB"));
    }

    #[test]
    fn the_european_union_is_eu_and_unknown_names_are_none() {
        for spelling in [
            "European Union",
            "European Union (EU)",
            "EU",
            "eu",
            "EU-27",
            "The European Union",
        ] {
            assert_eq!(country_code(spelling).as_deref(), Some("EU"), "{spelling}");
        }
        assert_eq!(country_code("Netherlands (the)").as_deref(), Some("NL"));
        assert_eq!(country_code("Kosovo"), None, "XK is not an ISO 3166-1 code");
        assert_eq!(country_code("Atlantis"), None);
        assert_eq!(country_code("XX"), None);
        assert_eq!(country_of_nuts("EL30").as_deref(), Some("GR"));
        assert_eq!(country_of_nuts("UKI").as_deref(), Some("GB"));
    }

    #[test]
    fn a_cell_may_list_several_countries() {
        let (known, unknown) = countries_in("Bosnia and Herzegovina, Serbia / Atlantis");
        assert_eq!(known, ["BA", "RS"]);
        assert_eq!(unknown, ["Atlantis"]);
        let (known, _) = countries_in("Germany and Austria");
        assert_eq!(known, ["DE", "AT"]);
    }
}
