//! The official publiccode.yml parser's own test suite, walked file by file: our validator must
//! reach the parser's verdict on every file (`../shared/data/publiccode/parser-testdata-v0`, with
//! the expected results in `expected_v0.json`, extracted from the parser's `v0_test.go`).
//!
//! - every file under `valid/` and `valid_with_warnings/` is accepted;
//! - every file under `invalid/` is rejected, with an error on each key the parser names;
//! - every warning the parser gives is given too.
//!
//! Expectations that need the network (URL reachability, oEmbed, remote files) or the Italian
//! iPA registry cannot be reached offline: they are listed and skipped explicitly, and counted.
//! The data folder is shared with the project, never copied into it; where it is absent this
//! test fails and says so.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use mosaico_node::import::publiccode::{Assets, validate_bytes};
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

#[derive(Default)]
struct Tally {
    accepted: usize,
    valid_files: usize,
    rejected: usize,
    invalid_files: usize,
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
            .and_then(|t| t.get("expected"));
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("read suite folder")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
            .collect();
        files.sort();
        for file in files {
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .expect("utf-8 name")
                .to_owned();
            let bytes = std::fs::read(&file).expect("read case");
            let verdict = validate_bytes(&bytes, &Assets::Local(dir.clone()));
            let our_errors: BTreeSet<&str> =
                verdict.errors.iter().map(|e| e.key.as_str()).collect();
            let our_warnings: BTreeSet<&str> =
                verdict.warnings.iter().map(|e| e.key.as_str()).collect();
            let expectations: Vec<Value> = table
                .and_then(|t| t.get(&name))
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
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
                                verdict.warnings
                            ));
                        }
                    }
                    _ => offline_errors.push(key),
                }
            }
            if folder.starts_with("invalid") {
                tally.invalid_files += 1;
                if offline_errors.is_empty() {
                    tally.skipped.push(format!(
                        "{folder}{name}: the whole file (its only errors need the network or the iPA registry)"
                    ));
                    continue;
                }
                let missing: Vec<&String> = offline_errors
                    .iter()
                    .filter(|k| !our_errors.contains(k.as_str()))
                    .collect();
                if verdict.errors.is_empty() || !missing.is_empty() {
                    tally.failures.push(format!(
                        "{folder}{name}: expected errors on {offline_errors:?}, missing {missing:?}; ours: {:?}",
                        verdict.errors.iter().map(ToString::to_string).collect::<Vec<_>>()
                    ));
                } else {
                    tally.rejected += 1;
                }
            } else {
                tally.valid_files += 1;
                if verdict.is_valid() {
                    tally.accepted += 1;
                } else {
                    tally.failures.push(format!(
                        "{folder}{name}: should be accepted; ours: {:?}",
                        verdict
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
        "  rejected {}/{} invalid files with an error on every key the parser names ({} skipped as a whole)",
        tally.rejected,
        tally.invalid_files,
        tally
            .skipped
            .iter()
            .filter(|s| s.contains("the whole file"))
            .count()
    );
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
    assert!(
        tally.valid_files >= 40 && tally.invalid_files >= 130,
        "the suite looks incomplete"
    );
}
