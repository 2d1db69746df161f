//! Arbitrary bytes as a publiccode.yml file, read the way `mosaico import` reads one: the checker
//! (`publiccode::validate_bytes`, with assets treated as remote so that no file is read), then,
//! for a file it accepts, the mapping to a draft (`publiccode::to_draft`).
//!
//! Besides never panicking, what the checker accepts must be consistent: an accepted file carries
//! its document, and a rejected one says why. A draft the mapping makes goes through the same
//! checks as a publish body (`check_publish_value`), because the importer hands it to the node's
//! publish path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mosaico_fuzz::check_publish_value;
use mosaico_import::publiccode::{self, Assets, Defaults};

fuzz_target!(|data: &[u8]| {
    let report = publiccode::validate_bytes(data, &Assets::Remote);
    if !report.is_valid() {
        assert!(
            !report.errors.is_empty() || report.document.is_none(),
            "a refused file names no error"
        );
        return;
    }
    let Some(document) = report.document.as_ref() else {
        panic!("an accepted file has no document");
    };
    let defaults = Defaults {
        organisation: Some("Regione Emilia-Romagna".to_owned()),
        country: Some("IT".to_owned()),
    };
    if let Ok(draft) = publiccode::to_draft(document, &defaults) {
        check_publish_value(draft);
    }
});
