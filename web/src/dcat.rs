//! Records as a DCAT-AP 3.0.1 catalogue, in Turtle and JSON-LD: a pure function of the records.
//!
//! Each record becomes a `dcat:Dataset`, as Joinup maps solutions, with:
//! - `dct:title` and `dct:description` in every language the record has, language-tagged (the
//!   loss of languages on export is the complaint of ckanext-dcat #55, so none is dropped);
//! - `dct:publisher`: a `foaf:Agent` named after the record's organisation;
//! - `dcat:theme`: the EU data themes our themes map to (Government and public sector when none
//!   does), while our own themes, technologies and tags go to `dcat:keyword`;
//! - `dct:spatial`: the country from the Publications Office authority table and the NUTS region
//!   from `data.europa.eu/nuts`;
//! - `dct:identifier` (the record id) and a `dcat:Distribution` whose download URL is the signed
//!   record itself, so the signature can be checked from the catalogue.
//!
//! Every resource used as an object is typed with the class DCAT-AP's range shapes expect (a
//! theme is a `skos:Concept` with a label, a place a `dct:Location`…), which is what makes the
//! output conform to `shapes-and-range.ttl`. One graph of triples is built once and written in
//! both syntaxes, so the two never disagree. JSON-LD is written in expanded form (full IRIs, no
//! context to fetch), which every JSON-LD processor reads offline.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use mosaico_protocol::{Record, Verified};
use serde_json::{Map, Value, json};

const DCAT: &str = "http://www.w3.org/ns/dcat#";
const DCT: &str = "http://purl.org/dc/terms/";
const FOAF: &str = "http://xmlns.com/foaf/0.1/";
const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";
const VCARD: &str = "http://www.w3.org/2006/vcard/ns#";
const XSD: &str = "http://www.w3.org/2001/XMLSchema#";
const ADMS: &str = "http://www.w3.org/ns/adms#";
const DATA_THEME: &str = "http://publications.europa.eu/resource/authority/data-theme/";
const COUNTRY: &str = "http://publications.europa.eu/resource/authority/country/";
const NUTS: &str = "http://data.europa.eu/nuts/code/";

const PREFIXES: &[(&str, &str)] = &[
    ("dcat", DCAT),
    ("dct", DCT),
    ("foaf", FOAF),
    ("skos", SKOS),
    ("vcard", VCARD),
    ("xsd", XSD),
    ("adms", ADMS),
];

/// An RDF term in object position.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Term {
    /// An IRI.
    Iri(String),
    /// A blank node label (without `_:`).
    Blank(String),
    /// A plain string.
    Text(String),
    /// A language-tagged string.
    Lang(String, String),
    /// A typed literal (value, datatype IRI).
    Typed(String, String),
}

/// A subject: an IRI or a blank node.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    /// An IRI.
    Iri(String),
    /// A blank node label.
    Blank(String),
}

/// A graph kept in insertion order, without duplicate triples.
#[derive(Debug, Default)]
pub struct Graph {
    triples: Vec<(Subject, String, Term)>,
    seen: BTreeSet<(Subject, String, Term)>,
}

impl Graph {
    fn add(&mut self, s: &Subject, p: &str, o: Term) {
        let triple = (s.clone(), p.to_owned(), o);
        if self.seen.insert(triple.clone()) {
            self.triples.push(triple);
        }
    }

    fn typed(&mut self, s: &Subject, class: &str) {
        self.add(s, RDF_TYPE, Term::Iri(class.to_owned()));
    }

    /// The number of triples.
    pub fn len(&self) -> usize {
        self.triples.len()
    }

    /// Whether the graph is empty.
    pub fn is_empty(&self) -> bool {
        self.triples.is_empty()
    }

    /// The graph in Turtle.
    pub fn to_turtle(&self) -> String {
        let mut out = String::new();
        for (prefix, iri) in PREFIXES {
            let _ = writeln!(out, "@prefix {prefix}: <{iri}> .");
        }
        let mut current: Option<&Subject> = None;
        for (s, p, o) in &self.triples {
            if current == Some(s) {
                out.push_str(" ;\n    ");
            } else {
                if current.is_some() {
                    out.push_str(" .\n");
                }
                out.push('\n');
                out.push_str(&subject_turtle(s));
                out.push_str("\n    ");
                current = Some(s);
            }
            if p == RDF_TYPE {
                out.push('a');
            } else {
                out.push_str(&iri_turtle(p));
            }
            out.push(' ');
            out.push_str(&term_turtle(o));
        }
        if current.is_some() {
            out.push_str(" .\n");
        }
        out
    }

    /// The graph in expanded JSON-LD: an array of node objects.
    pub fn to_json_ld(&self) -> Value {
        let mut nodes: Vec<Map<String, Value>> = Vec::new();
        let mut index: BTreeMap<&Subject, usize> = BTreeMap::new();
        for (s, p, o) in &self.triples {
            let i = *index.entry(s).or_insert_with(|| {
                let mut node = Map::new();
                node.insert("@id".into(), json!(subject_id(s)));
                nodes.push(node);
                nodes.len() - 1
            });
            let node = &mut nodes[i];
            if p == RDF_TYPE {
                if let Term::Iri(class) = o {
                    push(node, "@type", json!(class));
                }
                continue;
            }
            let value = match o {
                Term::Iri(iri) => json!({"@id": iri}),
                Term::Blank(label) => json!({"@id": format!("_:{label}")}),
                Term::Text(text) => json!({"@value": text}),
                Term::Lang(text, lang) => json!({"@value": text, "@language": lang}),
                Term::Typed(text, datatype) => json!({"@value": text, "@type": datatype}),
            };
            push(node, p, value);
        }
        Value::Array(nodes.into_iter().map(Value::Object).collect())
    }
}

/// Appends a value to a node property, JSON-LD expanded form keeping every value in an array.
fn push(node: &mut Map<String, Value>, key: &str, value: Value) {
    match node.get_mut(key) {
        Some(Value::Array(values)) => values.push(value),
        _ => {
            node.insert(key.to_owned(), Value::Array(vec![value]));
        }
    }
}

fn subject_id(s: &Subject) -> String {
    match s {
        Subject::Iri(iri) => iri.clone(),
        Subject::Blank(label) => format!("_:{label}"),
    }
}

fn subject_turtle(s: &Subject) -> String {
    match s {
        Subject::Iri(iri) => iri_turtle(iri),
        Subject::Blank(label) => format!("_:{label}"),
    }
}

/// An IRI in Turtle: a prefixed name where one fits, else `<…>` with the characters Turtle
/// forbids there percent-encoded.
fn iri_turtle(iri: &str) -> String {
    for (prefix, base) in PREFIXES {
        if let Some(local) = iri.strip_prefix(base)
            && !local.is_empty()
            && local.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return format!("{prefix}:{local}");
        }
    }
    let mut out = String::from("<");
    for c in iri.chars() {
        if c.is_control() || c == ' ' || "<>\"{}|^`\\".contains(c) {
            let mut buf = [0u8; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "%{byte:02X}");
            }
        } else {
            out.push(c);
        }
    }
    out.push('>');
    out
}

fn string_turtle(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn term_turtle(term: &Term) -> String {
    match term {
        Term::Iri(iri) => iri_turtle(iri),
        Term::Blank(label) => format!("_:{label}"),
        Term::Text(text) => string_turtle(text),
        Term::Lang(text, lang) => format!("{}@{lang}", string_turtle(text)),
        Term::Typed(text, datatype) => format!("{}^^{}", string_turtle(text), iri_turtle(datatype)),
    }
}

/// What the catalogue says about itself.
#[derive(Debug, Clone)]
pub struct CatalogInfo {
    /// The node's base URL, e.g. `http://127.0.0.1:8080` (no trailing slash).
    pub base: String,
    /// The region's name, the catalogue's publisher.
    pub node_name: String,
}

/// One record with the creation time of its first version (`dct:issued`).
#[derive(Debug)]
pub struct CatalogEntry<'a> {
    /// The head.
    pub record: &'a Record<Verified>,
    /// When version 1 was created, when known.
    pub issued: Option<u64>,
}

/// Builds the catalogue graph.
pub fn catalog(info: &CatalogInfo, entries: &[CatalogEntry<'_>]) -> Graph {
    let mut g = Graph::default();
    let catalog = Subject::Iri(format!("{}/export/catalog", info.base));
    g.typed(&catalog, &format!("{DCAT}Catalog"));
    g.add(
        &catalog,
        &format!("{DCT}title"),
        Term::Lang(
            format!("Mosaico catalogue of {}", info.node_name),
            "en".into(),
        ),
    );
    g.add(
        &catalog,
        &format!("{DCT}description"),
        Term::Lang(
            format!(
                "Solutions, case studies and best practices of public administrations, shared and signed across a Mosaico federation, as held by the node of {}.",
                info.node_name
            ),
            "en".into(),
        ),
    );
    let catalog_publisher = Subject::Blank("publisher-catalog".into());
    g.add(
        &catalog,
        &format!("{DCT}publisher"),
        Term::Blank("publisher-catalog".into()),
    );
    let homepage = format!("{}/", info.base);
    g.add(
        &catalog,
        &format!("{FOAF}homepage"),
        Term::Iri(homepage.clone()),
    );
    for entry in entries {
        g.add(
            &catalog,
            &format!("{DCAT}dataset"),
            Term::Iri(dataset_iri(info, entry.record)),
        );
    }
    g.typed(&catalog_publisher, &format!("{FOAF}Agent"));
    g.add(
        &catalog_publisher,
        &format!("{FOAF}name"),
        Term::Text(info.node_name.clone()),
    );
    g.typed(&Subject::Iri(homepage), &format!("{FOAF}Document"));
    let mut concepts = BTreeSet::new();
    let mut locations = BTreeSet::new();
    for (n, entry) in entries.iter().enumerate() {
        dataset(&mut g, info, entry, n, &mut concepts, &mut locations);
    }
    for (code, label) in concepts {
        let concept = Subject::Iri(format!("{DATA_THEME}{code}"));
        g.typed(&concept, &format!("{SKOS}Concept"));
        g.add(
            &concept,
            &format!("{SKOS}prefLabel"),
            Term::Lang(label.into(), "en".into()),
        );
    }
    for location in locations {
        g.typed(&Subject::Iri(location), &format!("{DCT}Location"));
    }
    g
}

fn dataset_iri(info: &CatalogInfo, record: &Record<Verified>) -> String {
    let key = record.logical_key();
    format!(
        "{}/api/v1/records/{}/{}/{}",
        info.base, key.author, key.kind, key.slug
    )
}

/// The EU data theme (code, English label) one of our themes corresponds to.
fn data_theme(theme: &str) -> Option<(&'static str, &'static str)> {
    Some(match theme {
        "iot" | "data" | "digital-integrations" | "cybersecurity-cloud" => {
            ("TECH", "Science and technology")
        }
        "digital-gender-gap" | "digital-facilitation" | "citizens" => {
            ("SOCI", "Population and society")
        }
        "digital-administrators" | "documents" => ("GOVE", "Government and public sector"),
        "businesses" => ("ECON", "Economy and finance"),
        _ => return None,
    })
}

fn dataset(
    g: &mut Graph,
    info: &CatalogInfo,
    entry: &CatalogEntry<'_>,
    n: usize,
    concepts: &mut BTreeSet<(&'static str, &'static str)>,
    locations: &mut BTreeSet<String>,
) {
    let record = entry.record;
    let header = record.header();
    let body = record.body();
    let ds = Subject::Iri(dataset_iri(info, record));
    g.typed(&ds, &format!("{DCAT}Dataset"));
    for (lang, title) in &body.title {
        g.add(
            &ds,
            &format!("{DCT}title"),
            Term::Lang(title.clone(), lang.clone()),
        );
    }
    // The description is the full text where there is one and the summary otherwise, in each
    // language the record has either in.
    let mut described = BTreeSet::new();
    for (lang, text) in body.description.iter().chain(body.summary.iter()) {
        if described.insert(lang.clone()) {
            g.add(
                &ds,
                &format!("{DCT}description"),
                Term::Lang(text.clone(), lang.clone()),
            );
        }
    }
    if described.is_empty() {
        for (lang, title) in &body.title {
            g.add(
                &ds,
                &format!("{DCT}description"),
                Term::Lang(title.clone(), lang.clone()),
            );
        }
    }
    g.add(
        &ds,
        &format!("{DCT}identifier"),
        Term::Text(record.id().to_hex()),
    );
    let publisher = format!("publisher-{n}");
    g.add(
        &ds,
        &format!("{DCT}publisher"),
        Term::Blank(publisher.clone()),
    );
    let mut themes = BTreeSet::new();
    for theme in &body.themes {
        if let Some(concept) = data_theme(theme.as_str()) {
            themes.insert(concept);
        }
    }
    if themes.is_empty() {
        themes.insert(("GOVE", "Government and public sector"));
    }
    for concept in themes {
        g.add(
            &ds,
            &format!("{DCAT}theme"),
            Term::Iri(format!("{DATA_THEME}{}", concept.0)),
        );
        concepts.insert(concept);
    }
    let mut keywords: Vec<String> = vec![header.kind.as_str().replace('_', " ")];
    keywords.extend(body.themes.iter().map(|t| t.as_str().to_owned()));
    keywords.extend(body.technologies.iter().cloned());
    keywords.extend(body.tags.iter().cloned());
    for keyword in keywords {
        g.add(&ds, &format!("{DCAT}keyword"), Term::Text(keyword));
    }
    let landing = body
        .solution
        .as_ref()
        .and_then(|s| s.landing_url.clone().or_else(|| s.url.clone()))
        .or_else(|| body.links.first().map(|l| l.url.clone()));
    if let Some(landing) = &landing {
        g.add(
            &ds,
            &format!("{DCAT}landingPage"),
            Term::Iri(landing.clone()),
        );
    }
    let modified = rfc3339(header.created_at);
    g.add(
        &ds,
        &format!("{DCT}issued"),
        Term::Typed(
            rfc3339(entry.issued.unwrap_or(header.created_at)),
            format!("{XSD}dateTime"),
        ),
    );
    g.add(
        &ds,
        &format!("{DCT}modified"),
        Term::Typed(modified, format!("{XSD}dateTime")),
    );
    g.add(
        &ds,
        &format!("{ADMS}versionNotes"),
        Term::Lang(
            format!("Version {} of this record.", header.version),
            "en".into(),
        ),
    );
    g.add(
        &ds,
        &format!("{DCAT}version"),
        Term::Text(header.version.to_string()),
    );
    if let Some(country) = body.country.as_deref().and_then(alpha3) {
        let iri = format!("{COUNTRY}{country}");
        g.add(&ds, &format!("{DCT}spatial"), Term::Iri(iri.clone()));
        locations.insert(iri);
    }
    if let Some(nuts) = &body.nuts {
        let iri = format!("{NUTS}{nuts}");
        g.add(&ds, &format!("{DCT}spatial"), Term::Iri(iri.clone()));
        locations.insert(iri);
    }
    let contacts: Vec<_> = body.contacts.iter().enumerate().collect();
    for (i, _) in &contacts {
        g.add(
            &ds,
            &format!("{DCAT}contactPoint"),
            Term::Blank(format!("contact-{n}-{i}")),
        );
    }
    let distribution = format!("signed-{n}");
    g.add(
        &ds,
        &format!("{DCAT}distribution"),
        Term::Blank(distribution.clone()),
    );

    // The nodes the dataset points at, each typed for the range shapes.
    let publisher = Subject::Blank(publisher);
    g.typed(&publisher, &format!("{FOAF}Agent"));
    g.add(
        &publisher,
        &format!("{FOAF}name"),
        Term::Text(
            body.organisation
                .clone()
                .unwrap_or_else(|| header.author.fingerprint()),
        ),
    );
    if let Some(landing) = landing {
        g.typed(&Subject::Iri(landing), &format!("{FOAF}Document"));
    }
    for (i, contact) in contacts {
        let node = Subject::Blank(format!("contact-{n}-{i}"));
        g.typed(&node, &format!("{VCARD}Kind"));
        g.add(
            &node,
            &format!("{VCARD}fn"),
            Term::Text(contact.name.clone()),
        );
        if let Some(email) = &contact.email {
            g.add(
                &node,
                &format!("{VCARD}hasEmail"),
                Term::Iri(format!("mailto:{email}")),
            );
        }
    }
    let dist = Subject::Blank(distribution);
    let signed = format!("{}/api/v1/records/{}", info.base, record.id());
    g.typed(&dist, &format!("{DCAT}Distribution"));
    g.add(
        &dist,
        &format!("{DCAT}accessURL"),
        Term::Iri(signed.clone()),
    );
    g.add(&dist, &format!("{DCAT}downloadURL"), Term::Iri(signed));
    g.add(
        &dist,
        &format!("{DCT}title"),
        Term::Lang("The signed record".into(), "en".into()),
    );
    g.add(
        &dist,
        &format!("{DCT}description"),
        Term::Lang(
            "The record as signed by its author: JSON whose canonical form (RFC 8785) hashes to the identifier, with its Ed25519 signatures.".into(),
            "en".into(),
        ),
    );
    let media = "https://www.iana.org/assignments/media-types/application/json";
    g.add(&dist, &format!("{DCAT}mediaType"), Term::Iri(media.into()));
    g.typed(&Subject::Iri(media.into()), &format!("{DCT}MediaType"));
}

/// Milliseconds since the epoch as an RFC 3339 UTC timestamp (`2025-06-30T12:00:00Z`).
pub fn rfc3339(millis: u64) -> String {
    let secs = millis / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil algorithm, valid for every date after 1970.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// ISO 3166-1 alpha-2 to the alpha-3 codes the Publications Office country table uses.
pub fn alpha3(alpha2: &str) -> Option<&'static str> {
    Some(match alpha2 {
        "AD" => "AND",
        "AL" => "ALB",
        "AT" => "AUT",
        "BA" => "BIH",
        "BE" => "BEL",
        "BG" => "BGR",
        "BY" => "BLR",
        "CH" => "CHE",
        "CY" => "CYP",
        "CZ" => "CZE",
        "DE" => "DEU",
        "DK" => "DNK",
        "EE" => "EST",
        "ES" => "ESP",
        "FI" => "FIN",
        "FO" => "FRO",
        "FR" => "FRA",
        "GB" => "GBR",
        "GE" => "GEO",
        "GR" => "GRC",
        "HR" => "HRV",
        "HU" => "HUN",
        "IE" => "IRL",
        "IS" => "ISL",
        "IT" => "ITA",
        "LI" => "LIE",
        "LT" => "LTU",
        "LU" => "LUX",
        "LV" => "LVA",
        "MC" => "MCO",
        "MD" => "MDA",
        "ME" => "MNE",
        "MK" => "MKD",
        "MT" => "MLT",
        "NL" => "NLD",
        "NO" => "NOR",
        "PL" => "POL",
        "PT" => "PRT",
        "RO" => "ROU",
        "RS" => "SRB",
        "RU" => "RUS",
        "SE" => "SWE",
        "SI" => "SVN",
        "SK" => "SVK",
        "SM" => "SMR",
        "TR" => "TUR",
        "UA" => "UKR",
        "VA" => "VAT",
        "US" => "USA",
        "CA" => "CAN",
        "AU" => "AUS",
        "JP" => "JPN",
        "CN" => "CHN",
        "IN" => "IND",
        "BR" => "BRA",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_735_689_600_000), "2025-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400_000 + 3_661_000), "2000-02-29T01:01:01Z");
    }

    #[test]
    fn turtle_escapes_what_it_must() {
        assert_eq!(string_turtle("a\"b\\c\nd"), "\"a\\\"b\\\\c\\nd\"");
        assert_eq!(iri_turtle("http://x.org/a b"), "<http://x.org/a%20b>");
        assert_eq!(iri_turtle(&format!("{DCAT}Dataset")), "dcat:Dataset");
    }
}
