//! publiccode.yml: a validator that reaches the official parser's verdicts, and the mapping of a
//! valid file to a `solution` draft.
//!
//! The rules follow the publiccode.yml standard (v0, read as 0.7) as the official Go parser
//! (italia/publiccode-parser-go) applies them, checked against that parser's own test suite
//! (`import/tests/publiccode_suite.rs`). Error keys are the parser's: `description.en.features`,
//! `maintenance.contacts[0].email`, `dependsOn.open[0]`. Two families of checks need something
//! this validator does not have, and are reported as skipped rather than guessed:
//! - the network: URL reachability, oEmbed video links, code-hosting detection, remote logos;
//! - the Italian iPA registry (the list of public-administration codes, ~20k entries): only the
//!   code's syntax is checked.
//!
//! The work is split by job, one file each:
//! - this file: reading one file's bytes into a [`CheckReport`], and what `--lenient` relaxes;
//! - [`vocab`](self::vocab): the standard's closed lists (versions, categories, scopes, languages);
//! - `check`: the checker that walks a document and names each broken rule by the parser's key;
//! - `syntax`: the predicates on single values (URLs, URIs, dates, MIME types, images, BCP 47);
//! - `draft`: the mapping of a valid document onto a `solution` draft.
//!
//! With [`Assets::Remote`] nothing here touches the file system. With [`Assets::Local`] the
//! checker reads the logos, screenshots and authors file a document names, since the parser's
//! verdict depends on their bytes; that is the only I/O in this crate.

mod check;
mod draft;
mod syntax;
pub mod vocab;

use std::path::PathBuf;

use serde_json::Value;

pub use check::validate;
pub use draft::{Defaults, MappingError, slug_from_url, to_draft};
pub use syntax::{canonical_language, is_bcp47};

use crate::yaml::yaml_to_json;

/// The largest publiccode.yml read: real ones are a few KiB, the richest test case 12 KiB.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// One finding: the key as the official parser names it, and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// `description.en.features`, `legal.license`, `` (the whole file).
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl Issue {
    pub(crate) fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Issue {
            key: key.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.key.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.key, self.message)
        }
    }
}

/// Where relative asset paths (logo, screenshots, authorsFile) are looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assets {
    /// In this directory (the publiccode.yml's own, inside a checkout of its repository).
    Local(PathBuf),
    /// In the repository at `url`, which needs the network: the checks are skipped and counted.
    Remote,
}

/// What checking one file found: every error, warning and skipped check, and the document
/// itself when it could be read.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    /// Errors: any one rejects the file.
    pub errors: Vec<Issue>,
    /// Warnings (deprecated keys, old versions): the file is still accepted.
    pub warnings: Vec<Issue>,
    /// Checks that need the network or a registry and were not made.
    pub skipped: Vec<Issue>,
    /// The document, when it could be read as YAML.
    pub document: Option<Value>,
}

impl CheckReport {
    /// Whether the file is accepted.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty() && self.document.is_some()
    }
}

/// Rules that real files break for reasons that do not affect what a record says, which
/// `--lenient` turns into warnings: YAML 1.1 booleans (`yes`, `no`, `on`, `off`), which the
/// YAML 1.2 parsers read as text, and the consistency of `maintenance.type` with its
/// contacts and contractors. Three of the ten real sample files break one of these and nothing
/// else; the strict verdict stays the official parser's.
const LENIENT_MESSAGES: &[&str] = &[
    "contacts is a required field when",
    "contractors must not be present unless",
    "contractors is a required field when",
];

/// Boolean fields where `--lenient` reads YAML 1.1 words as booleans.
const BOOLEAN_PATHS: &[&[&str]] = &[&["localisation", "localisationReady"]];

/// Reads YAML 1.1 boolean words at the known boolean paths as booleans, with a warning each.
fn read_yaml11_booleans(document: &mut Value, warnings: &mut Vec<Issue>) {
    for path in BOOLEAN_PATHS {
        let pointer = format!("/{}", path.join("/"));
        let Some(value) = document.pointer_mut(&pointer) else {
            continue;
        };
        let word = value.as_str().map(str::to_ascii_lowercase);
        let boolean = match word.as_deref() {
            Some("yes" | "on" | "y") => true,
            Some("no" | "off" | "n") => false,
            _ => continue,
        };
        warnings.push(Issue::new(
            path.join("."),
            format!(
                "{value} is a YAML 1.1 boolean, read as {boolean} (--lenient); write {boolean}"
            ),
        ));
        *value = Value::Bool(boolean);
    }
}

/// Reads and validates one file. `assets` says where relative paths are found.
pub fn validate_bytes(bytes: &[u8], assets: &Assets) -> CheckReport {
    validate_bytes_with(bytes, assets, false)
}

/// Like [`validate_bytes`]; with `lenient`, the rules in `LENIENT_MESSAGES` and YAML 1.1
/// booleans give warnings instead of errors.
pub fn validate_bytes_with(bytes: &[u8], assets: &Assets, lenient: bool) -> CheckReport {
    let mut report = CheckReport::default();
    if bytes.len() > MAX_FILE_BYTES {
        report.errors.push(Issue::new(
            "",
            format!(
                "the file is {} bytes; a publiccode.yml is at most {MAX_FILE_BYTES}",
                bytes.len()
            ),
        ));
        return report;
    }
    if std::str::from_utf8(bytes).is_err() {
        report
            .errors
            .push(Issue::new("", "Invalid UTF-8: the file must be UTF-8 text"));
        return report;
    }
    let mut lenient_warnings = Vec::new();
    let document = match yaml_to_json(bytes) {
        Ok(mut document) => {
            if lenient {
                read_yaml11_booleans(&mut document, &mut lenient_warnings);
            }
            document
        }
        Err(e) => {
            report
                .errors
                .push(Issue::new("", format!("not valid YAML: {e}")));
            return report;
        }
    };
    let Value::Object(root) = &document else {
        report.errors.push(Issue::new(
            "",
            "a publiccode.yml is a mapping of keys (publiccodeYmlVersion, name, url…)",
        ));
        return report;
    };
    let checked = validate(root, assets);
    report.errors = checked.errors;
    report.warnings = checked.warnings;
    report.warnings.extend(lenient_warnings);
    if lenient {
        let (relaxed, errors): (Vec<Issue>, Vec<Issue>) = report
            .errors
            .into_iter()
            .partition(|e| LENIENT_MESSAGES.iter().any(|m| e.message.starts_with(m)));
        report.errors = errors;
        report.warnings.extend(relaxed.into_iter().map(|mut w| {
            w.message.push_str(" (accepted by --lenient)");
            w
        }));
    }
    report.skipped = checked.skipped;
    report.document = Some(document);
    report
}
