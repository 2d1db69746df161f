//! The official publiccode.yml parser's own test suite, walked file by file: our validator must
//! reach the parser's verdict on every file (`../shared/data/publiccode/parser-testdata-v0`, with
//! the expected results in `expected_v0.json`, extracted from the parser's `v0_test.go`).
//!
//! - every file under `valid/` and `valid_with_warnings/` is accepted;
//! - every file under `invalid/` is rejected, with an error on each key the parser names;
//! - every warning the parser gives is given too.
//!
//! Every file must have an expectation: the parser's table for its folder names it, or the folder
//! is one whose files the parser's test accepts with nothing to report (`valid/`, which its
//! `v0_test.go` checks for no errors and no warnings, so it has no table). A file with neither,
//! or a table naming a file that is not there, fails the test: a case nobody checks is not
//! counted as passed.
//!
//! Expectations that need the network (URL reachability, oEmbed, remote files) or the Italian
//! iPA registry cannot be reached offline: they are listed and skipped explicitly. An invalid
//! file whose only errors are of that kind is listed by name and not counted as checked; the
//! thresholds count only files actually checked. The data folder is shared with the project,
//! never copied into it; where it is absent this test fails and says so.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use mosaico_import::publiccode::{Assets, validate_bytes};
use serde_json::Value;

fn data_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/publiccode");
    assert!(
        dir.join("expected_v0.json").exists(),
        "{} is missing: the publiccode.yml suite lives in the shared data folder next to the project (see shared/data/README.md); this test needs it and does not skip",
        dir.display()
    );
    dir
}

/// Whether an expectation needs something this validator does not have offline.
fn needs_network_or_registry(message: &str) -> Option<&'static str> {
    if message.contains("not reachable")
        || message.contains("HTTP GET failed")
        || message.contains("oEmbed")
        || message.contains("is not a valid code repository")
    {
        Some("network")
    } else if message.contains("valid Italian Public Administration Code (iPA) with format") {
        Some("iPA registry")
    } else {
        None
    }
}

/// Invalid files the suite must check at the least: all 132 but the [`UNREACHABLE_OFFLINE`] ones.
const MIN_INVALID_CHECKED: usize = 128;

/// The invalid files that cannot be checked offline, by name, each with why: every error the
/// parser gives them needs the network or the iPA registry. Any other invalid file in that state
/// fails the test, so a case cannot quietly drop out of what is checked.
const UNREACHABLE_OFFLINE: &[(&str, &str)] = &[
    (
        "invalid/description_en_videos_invalid_oembed.yml",
        "the video URL is well-formed; only an oEmbed request finds it has no embed",
    ),
    (
        "invalid/fundedBy_uri_wrong_italian_pa2.yml",
        "the iPA code is well-formed; only the iPA registry knows it does not exist",
    ),
    (
        "invalid/logo_missing_url.yml",
        "the logo is a well-formed URL; only fetching it finds it missing",
    ),
    (
        "invalid/organisation_uri_wrong_italian_pa2.yml",
        "the iPA code is well-formed; only the iPA registry knows it does not exist",
    ),
];

/// The folders whose files the parser's test accepts with no error and no warning: they have no
/// table of expectations, and that is their expectation.
const ACCEPTED_AS_THEY_ARE: &[&str] = &["valid/", "valid/no-network/"];

#[derive(Default)]
struct Tally {
    accepted: usize,
    valid_files: usize,
    rejected: usize,
    invalid_files: usize,
    /// Invalid files not checked because every error they should have needs the network.
    unreachable_files: Vec<String>,
    warnings_matched: usize,
    warnings_expected: usize,
    skipped: Vec<String>,
    failures: Vec<String>,
}

#[test]
fn official_parser_suite_v0() {
    let root = data_dir();
    let expected: Value = serde_json::from_slice(
        &std::fs::read(root.join("expected_v0.json")).expect("read expected_v0.json"),
    )
    .expect("expected_v0.json is JSON");
    let suite = root.join("parser-testdata-v0");
    let mut tally = Tally::default();
    for folder in [
        "valid/",
        "valid/no-network/",
        "valid_with_warnings/",
        "valid_with_warnings/no-network/",
        "invalid/",
        "invalid/no-network/",
    ] {
        let dir = suite.join(folder);
        let table = expected
            .get(format!("testdata/v0/{folder}"))
            .and_then(|t| t.get("expected"))
            .and_then(Value::as_object);
        assert!(
            table.is_some() || ACCEPTED_AS_THEY_ARE.contains(&folder),
            "expected_v0.json has no table for {folder}, and its files are not expected to be accepted as they are"
        );
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("read suite folder")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
            .collect();
        files.sort();
        let names: BTreeSet<String> = files
            .iter()
            .filter_map(|f| f.file_name()?.to_str().map(str::to_owned))
            .collect();
        for listed in table.into_iter().flat_map(|t| t.keys()) {
            if !names.contains(listed) {
                tally.failures.push(format!(
                    "{folder}{listed}: expected_v0.json names it, but the file is not in the suite"
                ));
            }
        }
        for file in files {
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .expect("utf-8 name")
                .to_owned();
            let bytes = std::fs::read(&file).expect("read case");
            let report = validate_bytes(&bytes, &Assets::Local(dir.clone()));
            let our_errors: BTreeSet<&str> = report.errors.iter().map(|e| e.key.as_str()).collect();
            let our_warnings: BTreeSet<&str> =
                report.warnings.iter().map(|e| e.key.as_str()).collect();
            let expectations: Vec<Value> = match table {
                None => Vec::new(),
                Some(table) => match table.get(&name).and_then(Value::as_array) {
                    Some(listed) => listed.clone(),
                    None => {
                        tally.failures.push(format!(
                            "{folder}{name}: no expectation in expected_v0.json, so nothing can say whether our verdict is right"
                        ));
                        continue;
                    }
                },
            };
            let mut offline_errors = Vec::new();
            for e in &expectations {
                let key = e["key"].as_str().unwrap_or_default().to_owned();
                let message = e["message"].as_str().unwrap_or_default();
                match (e["level"].as_str(), needs_network_or_registry(message)) {
                    (_, Some(why)) => tally
                        .skipped
                        .push(format!("{folder}{name}: {key}: {message} [{why}]")),
                    (Some("warning"), None) => {
                        tally.warnings_expected += 1;
                        if our_warnings.contains(key.as_str()) {
                            tally.warnings_matched += 1;
                        } else {
                            tally.failures.push(format!(
                                "{folder}{name}: no warning on \"{key}\" ({message}); ours: {:?}",
                                report.warnings
                            ));
                        }
                    }
                    _ => offline_errors.push(key),
                }
            }
            if folder.starts_with("invalid") {
                if offline_errors.is_empty() {
                    tally.unreachable_files.push(format!("{folder}{name}"));
                    continue;
                }
                tally.invalid_files += 1;
                let missing: Vec<&String> = offline_errors
                    .iter()
                    .filter(|k| !our_errors.contains(k.as_str()))
                    .collect();
                if report.errors.is_empty() || !missing.is_empty() {
                    tally.failures.push(format!(
                        "{folder}{name}: expected errors on {offline_errors:?}, missing {missing:?}; ours: {:?}",
                        report.errors.iter().map(ToString::to_string).collect::<Vec<_>>()
                    ));
                } else {
                    tally.rejected += 1;
                }
            } else {
                tally.valid_files += 1;
                if table.is_none() && !report.warnings.is_empty() {
                    tally.failures.push(format!(
                        "{folder}{name}: the parser gives no warning; ours: {:?}",
                        report.warnings
                    ));
                } else if report.is_valid() {
                    tally.accepted += 1;
                } else {
                    tally.failures.push(format!(
                        "{folder}{name}: should be accepted; ours: {:?}",
                        report
                            .errors
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                    ));
                }
            }
        }
    }
    println!("publiccode.yml parser suite v0:");
    println!(
        "  accepted {}/{} valid files (valid/ and valid_with_warnings/)",
        tally.accepted, tally.valid_files
    );
    println!(
        "  rejected {}/{} invalid files checked, with an error on every key the parser names",
        tally.rejected, tally.invalid_files,
    );
    println!(
        "  not checked: {} invalid files whose every error needs the network or the iPA registry:",
        tally.unreachable_files.len()
    );
    for (file, why) in UNREACHABLE_OFFLINE {
        println!("    {file}: {why}");
    }
    println!(
        "  warnings {}/{} given on the parser's keys",
        tally.warnings_matched, tally.warnings_expected
    );
    println!(
        "  skipped {} expectations that need the network or the iPA registry:",
        tally.skipped.len()
    );
    for skipped in &tally.skipped {
        println!("    {skipped}");
    }
    assert!(
        tally.failures.is_empty(),
        "{} disagreements with the official parser:\n{}",
        tally.failures.len(),
        tally.failures.join("\n")
    );
    // Only files actually checked count: the 41 valid ones and, of the 132 invalid ones, those with
    // an error reachable offline.
    assert!(
        tally.valid_files >= 41 && tally.invalid_files >= MIN_INVALID_CHECKED,
        "the suite looks incomplete: {} valid and {} invalid files checked",
        tally.valid_files,
        tally.invalid_files
    );
    let named: Vec<&str> = UNREACHABLE_OFFLINE.iter().map(|(file, _)| *file).collect();
    assert_eq!(
        tally.unreachable_files, named,
        "the invalid files not checked offline must be exactly the named exceptions"
    );
}
