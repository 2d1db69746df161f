//! `mosaico import`: bringing what a region already has into the federation.
//!
//! Two sources speak the field's standards: publiccode.yml files (software, as `solution`
//! records) and Public Sector Tech Watch CSV releases (cases, as `case_study` records). Both go
//! the same way:
//! 1. read and check every input completely, with no node involved, so a file that is broken as
//!    a whole (not YAML, not CSV, a bomb, the wrong encoding) changes nothing;
//! 2. turn each good item into a draft and check it against the protocol's rules locally, so a
//!    bad item is reported with every reason and never reaches the node;
//! 3. compare each draft with the record's current head on the node: equal content is
//!    "unchanged" (re-importing changes nothing), other content is published as the next version
//!    of the same logical record (the slug is stable: the repository URL, the PSTW id);
//! 4. with `--sync`, retract the records a previous import from the same source made that the
//!    source no longer has, so a deletion at the source reaches every node.
//!
//! Publishing goes through the running node's HTTP API (the node owns the store and the swarm),
//! several requests in flight at once, since each one waits for a durable write.
//!
//! This module is the I/O shell only: reading files, walking directories, asking the node and
//! reporting. Checking and mapping (steps 1 and 2) are pure and live in the `mosaico_import`
//! crate, where the fuzzers reach them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use mosaico_import::{pstw, publiccode};
use mosaico_protocol::PublicKey;
use serde_json::{Map, Value, json};

use crate::client::{ClientError, NodeApiClient};
use crate::datadir::{DataDir, DataDirError};

/// Publishes in flight at once: enough to overlap the node's durable writes, few enough not to
/// crowd a two-core machine.
const IN_FLIGHT: usize = 6;
/// Attempts per draft: conflicts and rate-limit waits included. At the default allowance (one
/// write a second) six workers each wait about six seconds a turn; this bounds a stuck import.
const MAX_ATTEMPTS: usize = 600;

/// What `mosaico import publiccode` asks for, as plain values the command line fills in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PubliccodeOptions {
    /// The node's data directory.
    pub data: PathBuf,
    /// publiccode.yml files, or directories to search for *.yml and *.yaml files.
    pub paths: Vec<PathBuf>,
    /// Validate only; publish nothing (needs no running node).
    pub check: bool,
    /// Check logos and screenshots named by relative path next to each file; otherwise those
    /// checks need the network and are skipped.
    pub local_assets: bool,
    /// Accept YAML 1.1 booleans and a maintenance type inconsistent with its contacts or
    /// contractors, with a warning, instead of the official parser's verdict.
    pub lenient: bool,
}

/// What `mosaico import pstw` asks for, as plain values the command line fills in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PstwOptions {
    /// The node's data directory.
    pub data: PathBuf,
    /// The PSTW CSV release.
    pub file: PathBuf,
    /// Import only rows of these countries (ISO 3166-1 alpha-2); all when empty.
    pub only_country: Vec<String>,
    /// Retract this node's PSTW records whose rows are no longer in the file.
    pub sync: bool,
}

/// Why an import failed as a whole, or that some of it was rejected.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The data directory is unusable.
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    /// The node cannot be asked.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// A file cannot be read at all.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// An argument is wrong.
    #[error("{0}")]
    Argument(String),
    /// The import ran, and some inputs were rejected (each one is listed above).
    #[error("{0} rejected (see above)")]
    Rejected(String),
}

/// What happened to one imported file or row when it met the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    /// Version 1 was published.
    Published,
    /// A new version of an existing record was published.
    NewVersion(u64),
    /// The head already has this content.
    Unchanged,
    /// Refused, with every reason.
    Rejected(Vec<String>),
}

/// Totals of an import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    /// New records.
    pub created: usize,
    /// New versions.
    pub updated: usize,
    /// Unchanged.
    pub unchanged: usize,
    /// Retracted by `--sync`.
    pub retracted: usize,
    /// Rejected.
    pub rejected: usize,
}

impl Totals {
    fn count(&mut self, outcome: &FileOutcome) {
        match outcome {
            FileOutcome::Published => self.created += 1,
            FileOutcome::NewVersion(_) => self.updated += 1,
            FileOutcome::Unchanged => self.unchanged += 1,
            FileOutcome::Rejected(_) => self.rejected += 1,
        }
    }
}

/// Checks a draft against the protocol's rules without the node, as if signed now (the clock is
/// the shell's to read): see [`mosaico_import::check_draft`].
fn check_draft_now(draft: &Value) -> Result<(), Vec<String>> {
    mosaico_import::check_draft(draft, crate::clock::now_millis())
}

/// The content of a head record: everything but the fields the node sets when it signs.
fn content_of(record: &Value) -> Map<String, Value> {
    let mut fields = record.as_object().cloned().unwrap_or_default();
    for header in ["format", "author", "version", "created_at", "retracted"] {
        fields.remove(header);
    }
    fields
}

/// Compares `draft` with the node's head of the same logical record and publishes it when it
/// differs.
pub fn sync_draft(node: &NodeApiClient, author: &PublicKey, draft: &Value) -> FileOutcome {
    let (Some(kind), Some(slug)) = (
        draft.get("kind").and_then(Value::as_str),
        draft.get("slug").and_then(Value::as_str),
    ) else {
        return FileOutcome::Rejected(vec!["the draft has no kind or slug".into()]);
    };
    // A conflict means someone published in between: look at the new head and try again. A 429
    // means the token's write allowance is spent; waiting as told, an import finishes at the
    // node's pace rather than failing.
    for _attempt in 0..MAX_ATTEMPTS {
        let head = match node.get(&format!("/api/v1/records/{author}/{kind}/{slug}")) {
            Ok(head) => head,
            Err(e) => return FileOutcome::Rejected(vec![e.to_string()]),
        };
        if head.status == 200 {
            let record = head.body.get("record").cloned().unwrap_or(Value::Null);
            let retracted = record
                .get("retracted")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if !retracted && draft.as_object() == Some(&content_of(&record)) {
                return FileOutcome::Unchanged;
            }
        } else if head.status != 404 {
            return FileOutcome::Rejected(head.problems());
        }
        match node.post("/api/v1/records", draft) {
            Ok(answer) if answer.status == 201 => {
                let version = answer.body.get("version").and_then(Value::as_u64);
                return match version {
                    Some(1) => FileOutcome::Published,
                    Some(v) => FileOutcome::NewVersion(v),
                    None => FileOutcome::Published,
                };
            }
            Ok(answer) if answer.status == 409 => continue,
            Ok(answer) if answer.status == 429 => {
                // The token's write allowance is spent: wait as told and try again (the
                // operator can raise it with write_burst / write_rate_per_minute).
                std::thread::sleep(std::time::Duration::from_secs(
                    answer.retry_after.unwrap_or(1).clamp(1, 60),
                ));
                continue;
            }
            Ok(answer) => return FileOutcome::Rejected(answer.problems()),
            Err(e) => return FileOutcome::Rejected(vec![e.to_string()]),
        }
    }
    FileOutcome::Rejected(vec![
        "version: someone else keeps publishing this record; try again".into(),
    ])
}

/// Syncs drafts with a few in flight, advancing `progress` as each finishes.
fn sync_all(
    node: &NodeApiClient,
    author: &PublicKey,
    drafts: &[Value],
    progress: &indicatif::ProgressBar,
) -> Vec<FileOutcome> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<FileOutcome>>> = Mutex::new(vec![None; drafts.len()]);
    std::thread::scope(|scope| {
        for _ in 0..IN_FLIGHT.min(drafts.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(draft) = drafts.get(i) else {
                        break;
                    };
                    let outcome = sync_draft(node, author, draft);
                    if let Ok(mut results) = results.lock() {
                        results[i] = Some(outcome);
                    }
                    progress.inc(1);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|o| o.unwrap_or_else(|| FileOutcome::Rejected(vec!["not attempted".into()])))
        .collect()
}

fn progress_bar(len: usize, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
        "{{bar:40}} {{pos}}/{{len}} {what} ({{per_sec}}, {{eta}} left)"
    )) {
        bar.set_style(style);
    }
    bar
}

/// The files a list of paths names: files as given, directories searched for YAML files.
fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ImportError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut stack = vec![path.clone()];
            while let Some(dir) = stack.pop() {
                let entries = std::fs::read_dir(&dir).map_err(|e| ImportError::File {
                    path: dir.display().to_string(),
                    message: e.to_string(),
                })?;
                let mut found: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
                found.sort();
                for entry in found {
                    if entry.is_dir() {
                        stack.push(entry);
                    } else if entry.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                        files.push(entry);
                    }
                }
            }
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// Reads at most `max` bytes of a file, refusing larger ones before reading them.
fn read_capped(path: &Path, max: usize) -> Result<Vec<u8>, String> {
    let metadata = std::fs::metadata(path).map_err(|e| format!("cannot read it: {e}"))?;
    if metadata.len() > max as u64 {
        return Err(format!(
            "the file is {} bytes; at most {max} are read",
            metadata.len()
        ));
    }
    std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))
}

/// One publiccode.yml checked and mapped: the draft, or every reason it cannot be one.
struct CheckedFile {
    path: PathBuf,
    result: Result<Value, Vec<String>>,
    warnings: Vec<String>,
    skipped: usize,
}

fn check_publiccode_file(
    path: &Path,
    local_assets: bool,
    lenient: bool,
    defaults: &publiccode::Defaults,
) -> CheckedFile {
    let mut checked = CheckedFile {
        path: path.to_owned(),
        result: Err(Vec::new()),
        warnings: Vec::new(),
        skipped: 0,
    };
    let bytes = match read_capped(path, publiccode::MAX_FILE_BYTES) {
        Ok(bytes) => bytes,
        Err(e) => {
            checked.result = Err(vec![e]);
            return checked;
        }
    };
    let assets = if local_assets {
        publiccode::Assets::Local(path.parent().map(Path::to_owned).unwrap_or_default())
    } else {
        publiccode::Assets::Remote
    };
    let report = publiccode::validate_bytes_with(&bytes, &assets, lenient);
    checked.warnings = report.warnings.iter().map(ToString::to_string).collect();
    checked.skipped = report.skipped.len();
    if !report.errors.is_empty() {
        checked.result = Err(report.errors.iter().map(ToString::to_string).collect());
        return checked;
    }
    let Some(document) = report.document else {
        checked.result = Err(vec!["the file could not be read".into()]);
        return checked;
    };
    checked.result = publiccode::to_draft(&document, defaults)
        .map_err(|e| vec![e.to_string()])
        .and_then(|draft| check_draft_now(&draft).map(|()| draft));
    checked
}

/// Checks publiccode.yml files and, unless only checking, publishes each valid one as a
/// solution through the running node, printing one line per file and the totals.
pub fn import_publiccode(args: PubliccodeOptions) -> Result<(), ImportError> {
    let data = DataDir::new(&args.data);
    let config = data.config()?;
    let defaults = publiccode::Defaults {
        organisation: Some(config.name.clone()),
        country: config.country.clone(),
    };
    let files = collect_files(&args.paths)?;
    if files.is_empty() {
        return Err(ImportError::Argument(
            "no publiccode.yml files found under the paths given".into(),
        ));
    }
    let checked: Vec<CheckedFile> = files
        .iter()
        .map(|f| check_publiccode_file(f, args.local_assets, args.lenient, &defaults))
        .collect();
    let connection = if args.check {
        None
    } else {
        Some((
            NodeApiClient::connect(&data)?,
            data.publisher_key()?.public_key(),
        ))
    };
    let mut totals = Totals::default();
    let mut skipped = 0;
    let mut slugs = BTreeSet::new();
    for file in checked {
        skipped += file.skipped;
        let shown = file.path.display();
        let outcome = match (&file.result, &connection) {
            (Err(reasons), _) => FileOutcome::Rejected(reasons.clone()),
            (Ok(draft), _)
                if !slugs.insert(draft["slug"].as_str().unwrap_or_default().to_owned()) =>
            {
                FileOutcome::Rejected(vec![format!(
                    "url: another file in this batch has the same url ({})",
                    draft["slug"]
                )])
            }
            (Ok(_), None) => {
                println!("valid {shown}");
                print_warnings(&file.warnings);
                continue;
            }
            (Ok(draft), Some((node, author))) => sync_draft(node, author, draft),
        };
        let slug = file
            .result
            .as_ref()
            .ok()
            .and_then(|d| d["slug"].as_str())
            .unwrap_or("");
        match &outcome {
            FileOutcome::Published => println!("published {shown} (solution/{slug}, version 1)"),
            FileOutcome::NewVersion(v) => {
                println!("new version {shown} (solution/{slug}, version {v})")
            }
            FileOutcome::Unchanged => println!("unchanged {shown} (solution/{slug})"),
            FileOutcome::Rejected(reasons) => {
                println!("rejected {shown}");
                for reason in reasons {
                    println!("  {reason}");
                }
            }
        }
        print_warnings(&file.warnings);
        totals.count(&outcome);
    }
    if args.check {
        println!(
            "{} files: {} valid, {} rejected",
            files.len(),
            files.len() - totals.rejected,
            totals.rejected
        );
    } else {
        println!(
            "{} files: {} published, {} new versions, {} unchanged, {} rejected",
            files.len(),
            totals.created,
            totals.updated,
            totals.unchanged,
            totals.rejected
        );
    }
    if skipped > 0 {
        println!(
            "{skipped} checks need the network or the iPA registry (URL reachability, remote logos and screenshots, oEmbed videos, iPA codes) and were skipped"
        );
    }
    if totals.rejected > 0 {
        return Err(ImportError::Rejected(format!(
            "{} of {} files",
            totals.rejected,
            files.len()
        )));
    }
    Ok(())
}

fn print_warnings(warnings: &[String]) {
    for warning in warnings {
        println!("  warning: {warning}");
    }
}

/// Publishes each good row of a PSTW CSV release as a case study through the running node,
/// printing the rejected rows and the totals.
pub fn import_pstw(args: PstwOptions) -> Result<(), ImportError> {
    let data = DataDir::new(&args.data);
    for country in &args.only_country {
        if !mosaico_protocol::iso3166::is_record_country(country) {
            return Err(ImportError::Argument(format!(
                "--only-country {country} is not an ISO 3166-1 alpha-2 code in capitals, such as IT or ES, nor EU (cases of the whole European Union)"
            )));
        }
    }
    let shown = args.file.display().to_string();
    let file_error = |message: String| ImportError::File {
        path: shown.clone(),
        message,
    };
    let bytes = read_capped(&args.file, pstw::MAX_FILE_BYTES).map_err(file_error)?;
    let parsed = pstw::parse(&bytes).map_err(|e| file_error(e.to_string()))?;
    // Connect only once the file is known to be good: a broken file changes nothing.
    let node = NodeApiClient::connect(&data)?;
    let author = data.publisher_key()?.public_key();
    for warning in &parsed.warnings {
        println!("warning: {shown}: {warning}");
    }
    let mut totals = Totals::default();
    let mut in_file = BTreeSet::new();
    let mut drafts = Vec::new();
    let mut ids = Vec::new();
    let mut row_warnings = 0;
    let mut filtered_out = 0;
    for row in &parsed.rows {
        match row {
            pstw::Row::Rejected { id, reasons } => {
                if let Some(slug) = id.strip_prefix("PSTW-") {
                    in_file.insert(format!("pstw-{}", slug.to_ascii_lowercase()));
                }
                println!("rejected {id}");
                for reason in reasons {
                    println!("  {reason}");
                }
                totals.rejected += 1;
            }
            pstw::Row::Draft {
                id,
                country,
                draft,
                warnings,
            } => {
                in_file.insert(draft["slug"].as_str().unwrap_or_default().to_owned());
                if !args.only_country.is_empty() && !args.only_country.contains(country) {
                    filtered_out += 1;
                    continue;
                }
                if let Err(reasons) = check_draft_now(draft) {
                    println!("rejected {id}");
                    for reason in reasons {
                        println!("  {reason}");
                    }
                    totals.rejected += 1;
                    continue;
                }
                row_warnings += warnings.len();
                for warning in warnings {
                    println!("  warning: {id}: {warning}");
                }
                drafts.push(draft.clone());
                ids.push(id.clone());
            }
        }
    }
    let bar = progress_bar(drafts.len(), "rows");
    let outcomes = sync_all(&node, &author, &drafts, &bar);
    bar.finish_and_clear();
    for (id, outcome) in ids.iter().zip(&outcomes) {
        if let FileOutcome::Rejected(reasons) = outcome {
            println!("rejected {id}");
            for reason in reasons {
                println!("  {reason}");
            }
        }
        totals.count(outcome);
    }
    if args.sync {
        totals.retracted = retract_vanished(&node, &author, &in_file)?;
    }
    println!(
        "{shown}: {} rows: {} created, {} updated, {} unchanged, {} retracted, {} rejected{}{}{}{}",
        parsed.rows.len(),
        totals.created,
        totals.updated,
        totals.unchanged,
        totals.retracted,
        totals.rejected,
        if filtered_out > 0 {
            format!(", {filtered_out} of other countries skipped")
        } else {
            String::new()
        },
        if parsed.empty_rows > 0 {
            format!(", {} empty rows skipped", parsed.empty_rows)
        } else {
            String::new()
        },
        if parsed.repeated_rows > 0 {
            format!(", {} repeated rows skipped", parsed.repeated_rows)
        } else {
            String::new()
        },
        if row_warnings > 0 {
            format!(", {row_warnings} values left out (warnings above)")
        } else {
            String::new()
        },
    );
    println!(
        "data: Public Sector Tech Watch, European Commission, Joint Research Centre (CC-BY-4.0); each record links its source"
    );
    if totals.rejected > 0 {
        return Err(ImportError::Rejected(format!("{} rows", totals.rejected)));
    }
    Ok(())
}

/// Retracts this node's PSTW case studies whose slugs are not in `in_file`. Earlier imports are
/// found by listing the node's own case studies and keeping those whose source is PSTW.
fn retract_vanished(
    node: &NodeApiClient,
    author: &PublicKey,
    in_file: &BTreeSet<String>,
) -> Result<usize, ImportError> {
    let mut candidates = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/records?kind=case_study&author={author}&limit=100");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let page = node.get(&path)?;
        if page.status != 200 {
            return Err(ImportError::Argument(format!(
                "listing this node's case studies failed: {}",
                page.problems().join("; ")
            )));
        }
        for item in page.body["items"].as_array().into_iter().flatten() {
            if let Some(slug) = item.pointer("/key/slug").and_then(Value::as_str)
                && slug.starts_with("pstw-")
                && !in_file.contains(slug)
            {
                candidates.push(slug.to_owned());
            }
        }
        match page.body.get("next_cursor").and_then(Value::as_str) {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let mut retracted = 0;
    for slug in candidates {
        let head = node.get(&format!("/api/v1/records/{author}/case_study/{slug}"))?;
        let source = head.body.pointer("/record/case_study/source/name");
        if head.status != 200 || source != Some(&json!(pstw::SOURCE_NAME)) {
            continue;
        }
        let answer = node.post(
            &format!("/api/v1/records/{author}/case_study/{slug}/retract"),
            &json!({}),
        )?;
        if answer.status == 201 {
            println!("retracted case_study/{slug} (no longer in the source)");
            retracted += 1;
        } else {
            println!(
                "could not retract case_study/{slug}: {}",
                answer.problems().join("; ")
            );
        }
    }
    Ok(retracted)
}
