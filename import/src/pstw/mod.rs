//! Public Sector Tech Watch: the European Commission's (JRC) CSV of public-sector AI and
//! emerging-technology cases, mapped to `case_study` drafts.
//!
//! The data is CC-BY-4.0 (European Commission, Joint Research Centre); every record keeps its
//! source (name, PSTW id, URL, date updated) so the attribution travels with it.
//!
//! Real releases are dirty, and each kind of dirt has a rule rather than a special case in the
//! caller, in the file that owns it:
//! - this file reads the CSV: a byte-order mark, `,` or `;` or tab as the separator, quoted
//!   multi-line cells, ragged rows, empty and repeated rows;
//! - `columns`: headers matched by folded name (`' Status'`, `NUTS 2024`), so columns added,
//!   removed or reordered in a later release are found by name and reported as warnings;
//! - `vocab`: spelling and case variants folded to one term (`Artificial intelligence` /
//!   `Artificial Intelligence`), country names to ISO codes, the European Union to `EU`;
//! - `dates`: m/d/yyyy or d/m/yyyy, the file's convention inferred from the rows where the day is
//!   over 12;
//! - `map`: one row to a draft: `x` flags become benefits, a value that maps to no term is kept
//!   as a tag with its original text, NUTS codes are checked against the country and left out
//!   with a warning when they do not fit.

mod columns;
mod dates;
mod map;
mod vocab;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::text::truncate;
use columns::{Col, EXPECTED, KNOWN_UNUSED, column, fold};
use dates::infer_date_order;
use map::map_row;

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
    /// Rows skipped because an earlier row of the file is the same case, word for word.
    pub repeated_rows: usize,
}

/// The separators a release may use: the comma of the published files, and the semicolon and
/// tab a spreadsheet in a European locale writes when it saves the file again.
const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

/// A header read with one separator: the columns found by position, and the names not known.
struct Header {
    delimiter: u8,
    names: csv::StringRecord,
    columns: BTreeMap<usize, Col>,
    unknown: Vec<String>,
}

impl Header {
    fn read(text: &str, delimiter: u8) -> Result<Header, PstwFileError> {
        let mut reader = reader(text, delimiter);
        let names = reader
            .headers()
            .map_err(|e| PstwFileError::Csv(e.to_string()))?
            .clone();
        let mut columns = BTreeMap::new();
        let mut unknown = Vec::new();
        for (i, header) in names.iter().enumerate() {
            let folded = fold(header);
            match column(&folded) {
                // A column named twice: the first one counts, as a reader of the sheet sees it.
                Some(col) if columns.values().any(|c| *c == col) => {
                    unknown.push(format!("{} (a second time)", header.trim()))
                }
                Some(col) => {
                    columns.insert(i, col);
                }
                None if KNOWN_UNUSED.contains(&folded.as_str()) || folded.is_empty() => {}
                None => unknown.push(header.trim().to_owned()),
            }
        }
        Ok(Header {
            delimiter,
            names,
            columns,
            unknown,
        })
    }

    fn is_pstw(&self) -> bool {
        let present: BTreeSet<Col> = self.columns.values().copied().collect();
        present.contains(&Col::Id) && present.contains(&Col::Name)
    }
}

fn reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes())
}

/// Reads a whole PSTW CSV. File-level problems are errors; row-level ones reject only the row.
pub fn parse(bytes: &[u8]) -> Result<Parsed, PstwFileError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(PstwFileError::TooLarge(bytes.len()));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| PstwFileError::NotUtf8(e.valid_up_to()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut first_error = None;
    let mut header = None;
    for delimiter in DELIMITERS {
        match Header::read(text, delimiter) {
            Ok(read) if read.is_pstw() => {
                header = Some(read);
                break;
            }
            Ok(read) => {
                first_error.get_or_insert_with(|| {
                    let found: Vec<String> = read
                        .names
                        .iter()
                        .take(6)
                        .map(|h| format!("\"{}\"", truncate(h.trim(), 40)))
                        .collect();
                    PstwFileError::NotPstw(found.join(", "))
                });
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    let Some(header) = header else {
        return Err(first_error.unwrap_or_else(|| PstwFileError::NotPstw(String::new())));
    };
    let present: BTreeSet<Col> = header.columns.values().copied().collect();
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
    if !header.unknown.is_empty() {
        warnings.push(format!(
            "columns this importer does not know, ignored: {}",
            header.unknown.join(", ")
        ));
    }

    let mut records = Vec::new();
    for result in reader(text, header.delimiter).records() {
        let record = result.map_err(|e| PstwFileError::Csv(e.to_string()))?;
        records.push(record);
    }
    let date_order = infer_date_order(&records, &header.columns);
    let mut rows = Vec::new();
    let mut empty_rows = 0;
    let mut repeated_rows = 0;
    let mut seen: BTreeMap<String, Value> = BTreeMap::new();
    for (n, record) in records.iter().enumerate() {
        if record.iter().all(|f| f.trim_matches(is_blank).is_empty()) {
            empty_rows += 1;
            continue;
        }
        let mut fields: BTreeMap<Col, Vec<&str>> = BTreeMap::new();
        for (i, value) in record.iter().enumerate() {
            if let Some(col) = header.columns.get(&i) {
                fields.entry(*col).or_default().push(value);
            }
        }
        // Line numbers count the header as line 1, as a spreadsheet shows them.
        let row = map_row(&fields, date_order, n + 2);
        if let Row::Draft { id, draft, .. } = &row {
            match seen.get(id) {
                Some(earlier) if earlier == draft => {
                    repeated_rows += 1;
                    continue;
                }
                Some(_) => {
                    rows.push(Row::Rejected {
                        id: id.clone(),
                        reasons: vec![format!(
                            "PSTW ID: {id} appears twice in the file with different content; the first row was kept"
                        )],
                    });
                    continue;
                }
                None => {
                    seen.insert(id.clone(), draft.clone());
                }
            }
        }
        rows.push(row);
    }
    Ok(Parsed {
        rows,
        warnings,
        empty_rows,
        repeated_rows,
    })
}

/// Blank as a spreadsheet shows it: white space, the non-breaking space included.
fn is_blank(c: char) -> bool {
    c.is_whitespace() || c == '\u{a0}'
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "PSTW ID,Name,Geographical coverage (country),NUTS 2021,Responsible organisation,Interaction,Status";

    fn drafts(csv: &str) -> Vec<(String, Value, Vec<String>)> {
        parse(csv.as_bytes())
            .expect("parses")
            .rows
            .into_iter()
            .map(|row| match row {
                Row::Draft {
                    country,
                    draft,
                    warnings,
                    ..
                } => (country, draft, warnings),
                Row::Rejected { id, reasons } => panic!("{id} rejected: {reasons:?}"),
            })
            .collect()
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

    #[test]
    fn a_european_union_row_maps_to_eu_in_every_spelling() {
        for spelling in [
            "European Union",
            "European Union (EU)",
            "EU",
            " european  union ",
        ] {
            let rows = drafts(&format!(
                "{HEADER}\nPSTW-2276,Visa chatbot,{spelling},EU,eu-LISA,G2C,Pilot\n"
            ));
            let (country, draft, warnings) = &rows[0];
            assert_eq!(country, "EU", "{spelling}");
            assert_eq!(draft["country"], "EU", "{spelling}");
            assert!(
                draft.get("nuts").is_none(),
                "an EU-wide record names no region"
            );
            assert!(warnings.is_empty(), "{spelling}: {warnings:?}");
            assert_eq!(crate::check_draft(draft, 1_700_000_000_000), Ok(()));
        }
        let rows = drafts(&format!(
            "{HEADER}\nPSTW-1,Visa chatbot,European Union,BE21,eu-LISA,G2C,Pilot\n"
        ));
        assert!(rows[0].1.get("nuts").is_none());
        assert!(
            rows[0].2.iter().any(|w| w.contains("EU-wide")),
            "{:?}",
            rows[0].2
        );
    }

    #[test]
    fn several_countries_in_one_cell_give_one_country_and_tags() {
        let rows = drafts(&format!(
            "{HEADER}\nPSTW-1,Cross-border,\"Belgium, Netherlands and Germany\",BE2,Benelux,G2G,Pilot\nPSTW-2,With the Union,\"Spain; European Union\",,Agency,G2G,Pilot\n"
        ));
        let (country, draft, warnings) = &rows[0];
        assert_eq!(country, "BE");
        assert_eq!(draft["nuts"], "BE2");
        assert_eq!(
            draft["tags"],
            serde_json::json!(["country: NL", "country: DE"])
        );
        assert!(warnings.iter().any(|w| w.contains("several countries")));
        assert_eq!(rows[1].0, "EU", "the Union covers the rest");
        assert_eq!(crate::check_draft(draft, 1_700_000_000_000), Ok(()));
    }

    #[test]
    fn an_unknown_country_falls_back_on_the_nuts_code_or_rejects_with_the_reason() {
        let rows = drafts(&format!(
            "{HEADER}\nPSTW-1,Athens,Hellenic Republic,EL30,Dimos,G2C,Pilot\n"
        ));
        assert_eq!(rows[0].0, "GR");
        assert_eq!(rows[0].1["nuts"], "EL30");
        let parsed =
            parse(format!("{HEADER}\nPSTW-2,Nowhere,Atlantis,,Someone,G2C,Pilot\n").as_bytes())
                .expect("parses");
        let Row::Rejected { reasons, .. } = &parsed.rows[0] else {
            panic!("{:?}", parsed.rows[0]);
        };
        assert!(reasons[0].contains("Atlantis"), "{reasons:?}");
    }

    #[test]
    fn a_later_release_with_other_separators_cases_and_values_still_imports() {
        let csv = "pstw id;NAME;Geographical Coverage (Country);Responsible Organization;Interaction;status;Brand new column;;\n\
                   PSTW-9;Chatbot;Denmark ;Kommune;G2C, G2B;Under evaluation;whatever;;\n\
                   PSTW-9;Chatbot;Denmark ;Kommune;G2C, G2B;Under evaluation;whatever;;\n";
        let parsed = parse(csv.as_bytes()).expect("parses");
        assert_eq!(parsed.repeated_rows, 1, "the same row twice is one case");
        assert_eq!(parsed.rows.len(), 1);
        assert!(
            parsed
                .warnings
                .iter()
                .any(|w| w.contains("Brand new column")),
            "{:?}",
            parsed.warnings
        );
        let Row::Draft { draft, country, .. } = &parsed.rows[0] else {
            panic!("{:?}", parsed.rows[0]);
        };
        assert_eq!(country, "DK");
        assert_eq!(
            draft["case_study"]["interaction"],
            serde_json::json!(["G2C", "G2B"])
        );
        assert!(
            draft["tags"]
                .as_array()
                .is_some_and(|t| t.contains(&"status: Under evaluation".into())),
            "an unknown status is kept as text: {draft}"
        );
        assert_eq!(crate::check_draft(draft, 1_700_000_000_000), Ok(()));
    }

    #[test]
    fn the_same_id_with_other_content_is_refused() {
        let parsed = parse(
            format!(
                "{HEADER}\nPSTW-1,One,Italy,,Comune,G2C,Pilot\nPSTW-1,Two,Italy,,Comune,G2C,Pilot\n"
            )
            .as_bytes(),
        )
        .expect("parses");
        assert_eq!(parsed.repeated_rows, 0);
        assert!(
            matches!(&parsed.rows[1], Row::Rejected { reasons, .. } if reasons[0].contains("twice"))
        );
    }
}
