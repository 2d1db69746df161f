//! The real Public Sector Tech Watch release (`../shared/data/pstw/PSTW_Dataset_Jun2025.csv`,
//! read in place): every case becomes a draft the protocol accepts, the EU-wide ones included,
//! with none rejected.
//!
//! The number of cases is counted from the file with the CSV reader alone (non-blank records
//! after the header), apart from the importer, so the test cannot pass by dropping rows.

use std::path::{Path, PathBuf};

use mosaico_import::check_draft;
use mosaico_import::pstw::{Row, parse};

fn release() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/pstw/PSTW_Dataset_Jun2025.csv");
    assert!(
        path.exists(),
        "{} is missing: this test reads the shared data folder next to the project (see shared/data/README.md) and does not skip without it",
        path.display()
    );
    path
}

/// Cases in the file, and those whose coverage is the European Union, counted without the
/// importer.
fn cases_in(bytes: &[u8]) -> (usize, usize) {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let coverage = reader
        .headers()
        .expect("a header")
        .iter()
        .position(|h| h == "Geographical coverage (country)")
        .expect("the coverage column");
    let mut cases = 0;
    let mut eu_wide = 0;
    for record in reader.records() {
        let record = record.expect("the release is well-formed CSV");
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        cases += 1;
        if record.get(coverage).map(str::trim) == Some("European Union") {
            eu_wide += 1;
        }
    }
    (cases, eu_wide)
}

#[test]
fn every_case_of_the_june_2025_release_imports() {
    let bytes = std::fs::read(release()).expect("read the release");
    let (cases, eu_cases) = cases_in(&bytes);
    assert!(
        cases > 1_000 && eu_cases > 0,
        "{cases} cases: not the release"
    );
    let parsed = parse(&bytes).expect("the release parses");
    let mut rejected = Vec::new();
    let mut eu_wide = 0;
    for row in &parsed.rows {
        match row {
            Row::Rejected { id, reasons } => rejected.push(format!("{id}: {reasons:?}")),
            Row::Draft {
                id, draft, country, ..
            } => {
                if let Err(reasons) = check_draft(draft, 1_750_000_000_000) {
                    rejected.push(format!("{id}: {reasons:?}"));
                }
                if country == "EU" {
                    eu_wide += 1;
                }
            }
        }
    }
    assert_eq!(rejected, Vec::<String>::new(), "no case is rejected");
    assert_eq!(
        parsed.rows.len() + parsed.repeated_rows,
        cases,
        "one row per case in the file"
    );
    assert_eq!(parsed.repeated_rows, 0);
    assert_eq!(
        eu_wide, eu_cases,
        "the cases whose coverage is the European Union are EU-wide records"
    );
}
