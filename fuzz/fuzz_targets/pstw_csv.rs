//! Arbitrary bytes as a Public Sector Tech Watch CSV export, read the way `mosaico import` reads
//! one (`pstw::parse`): header detection over the separators a release may use, then every row
//! mapped to a draft or rejected with reasons.
//!
//! Besides never panicking, every rejected row must say why, and every draft goes through the
//! same checks as a publish body (`check_publish_value`), because the importer hands drafts to
//! the node's publish path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mosaico_fuzz::check_publish_value;
use mosaico_import::pstw::{self, Row};

fuzz_target!(|data: &[u8]| {
    let Ok(parsed) = pstw::parse(data) else {
        return;
    };
    for row in parsed.rows {
        match row {
            Row::Draft { draft, .. } => check_publish_value(draft),
            Row::Rejected { id, reasons } => {
                assert!(!reasons.is_empty(), "row {id} is rejected without a reason")
            }
        }
    }
});
