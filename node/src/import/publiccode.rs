//! publiccode.yml: a validator that reaches the official parser's verdicts, and the mapping of a
//! valid file to a `solution` draft.
//!
//! The rules follow the publiccode.yml standard (v0, read as 0.7) as the official Go parser
//! (italia/publiccode-parser-go) applies them, checked against that parser's own test suite
//! (`node/tests/publiccode_suite.rs`). Error keys are the parser's: `description.en.features`,
//! `maintenance.contacts[0].email`, `dependsOn.open[0]`. Two families of checks need something
//! this validator does not have, and are reported as skipped rather than guessed:
//! - the network: URL reachability, oEmbed video links, code-hosting detection, remote logos;
//! - the Italian iPA registry (the list of public-administration codes, ~20k entries): only the
//!   code's syntax is checked.
//!
//! The official parser decodes YAML into Go structs: a value of the wrong type leaves its field
//! empty and, inside a section, makes the whole section read as empty, which is why one wrong
//! type can also bring "is a required field" errors for its neighbours. [`validate`] reproduces
//! that by dropping the section and validating again.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use mosaico_protocol::validate::is_spdx_expression;
use mosaico_protocol::vocab::{DevelopmentStatus, MaintenanceType, SoftwareType};
use serde_json::{Map, Value, json};
use unicode_segmentation::UnicodeSegmentation;

use super::yaml::yaml_to_json;

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
    fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
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

/// The verdict on one file.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    /// Errors: any one rejects the file.
    pub errors: Vec<Issue>,
    /// Warnings (deprecated keys, old versions): the file is still accepted.
    pub warnings: Vec<Issue>,
    /// Checks that need the network or a registry and were not made.
    pub skipped: Vec<Issue>,
    /// The document, when it could be read as YAML.
    pub document: Option<Value>,
}

impl Verdict {
    /// Whether the file is accepted.
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty() && self.document.is_some()
    }
}

const SUPPORTED_VERSIONS: &[&str] = &[
    "0", "0.2", "0.2.0", "0.2.1", "0.2.2", "0.3", "0.3.0", "0.4", "0.4.0", "0.5", "0.5.0", "0.6",
    "0.6.0", "0.7", "0.7.0",
];

const CATEGORIES: &[&str] = &[
    "accounting",
    "agile-project-management",
    "applicant-tracking",
    "application-development",
    "appointment-scheduling",
    "backup",
    "billing-and-invoicing",
    "blog",
    "budgeting",
    "business-intelligence",
    "business-process-management",
    "cad",
    "call-center-management",
    "cloud-management",
    "collaboration",
    "communications",
    "compliance-management",
    "contact-management",
    "content-management",
    "crm",
    "customer-service-and-support",
    "data-analytics",
    "data-collection",
    "data-visualization",
    "design",
    "design-system",
    "digital-asset-management",
    "digital-citizenship",
    "document-management",
    "donor-management",
    "e-commerce",
    "e-signature",
    "educational-content",
    "email-management",
    "email-marketing",
    "employee-management",
    "enterprise-project-management",
    "enterprise-social-networking",
    "erp",
    "event-management",
    "facility-management",
    "feedback-and-reviews-management",
    "financial-reporting",
    "fleet-management",
    "fundraising",
    "gamification",
    "geographic-information-systems",
    "grant-management",
    "graphic-design",
    "help-desk",
    "hr",
    "ide",
    "identity-management",
    "instant-messaging",
    "integrated-library-system",
    "inventory-management",
    "it-asset-management",
    "it-development",
    "it-management",
    "it-security",
    "it-service-management",
    "knowledge-management",
    "learning-management-system",
    "marketing",
    "mind-mapping",
    "mobile-marketing",
    "mobile-payment",
    "network-management",
    "office",
    "online-booking",
    "online-community",
    "payment-gateway",
    "payroll",
    "predictive-analysis",
    "procurement",
    "productivity-suite",
    "project-collaboration",
    "project-management",
    "property-management",
    "real-estate-management",
    "regulations-and-directives",
    "remote-support",
    "resource-management",
    "sales-management",
    "seo",
    "service-desk",
    "social-media-management",
    "survey",
    "talent-management",
    "task-management",
    "taxes-management",
    "test-management",
    "time-management",
    "time-tracking",
    "translation",
    "video-conferencing",
    "video-editing",
    "visitor-management",
    "voip",
    "warehouse-management",
    "web-collaboration",
    "web-conferencing",
    "whistleblowing",
    "website-builder",
    "workflow-management",
    "other",
];

const SCOPES: &[&str] = &[
    "agriculture",
    "culture",
    "defence",
    "education",
    "emergency-services",
    "employment",
    "energy",
    "environment",
    "finance-and-economic-development",
    "foreign-affairs",
    "government",
    "healthcare",
    "infrastructures",
    "justice",
    "local-authorities",
    "manufacturing",
    "research",
    "science-and-technology",
    "security",
    "society",
    "sport",
    "tourism",
    "transportation",
    "welfare",
];

/// The `alias:` names of `supports[].id` the standard defines.
const SUPPORT_ALIASES: &[&str] = &[
    "gdpr", "eidas", "nis2", "cra", "spid", "cie", "anpr", "pagopa", "io",
];

/// ISO 639-1 two-letter language codes, which BCP 47 uses as primary subtags.
const ISO_639_1: &[&str] = &[
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bh",
    "bi", "bm", "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da",
    "de", "dv", "dz", "ee", "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr",
    "fy", "ga", "gd", "gl", "gn", "gu", "gv", "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz",
    "ia", "id", "ie", "ig", "ii", "ik", "io", "is", "it", "iu", "ja", "jv", "ka", "kg", "ki", "kj",
    "kk", "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw", "ky", "la", "lb", "lg", "li", "ln",
    "lo", "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms", "mt", "my", "na", "nb",
    "nd", "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os", "pa", "pi",
    "pl", "ps", "pt", "qu", "rm", "rn", "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk",
    "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv", "sw", "ta", "te", "tg", "th", "ti",
    "tk", "tl", "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur", "uz", "ve", "vi", "vo",
    "wa", "wo", "xh", "yi", "yo", "za", "zh", "zu",
];

/// Three-letter primary subtags accepted: regional and minority languages of Europe that have no
/// two-letter code. The full ISO 639-3 registry (8,000 codes) is not embedded, so a rarer valid
/// code is refused here; the error names the tag, so the author can see why.
const ISO_639_3_EUROPE: &[&str] = &[
    "ast", "bar", "csb", "dsb", "egl", "ext", "fil", "frr", "fur", "gsw", "hsb", "lij", "lld",
    "lmo", "ltg", "mwl", "nap", "nds", "pms", "rgn", "rup", "scn", "sco", "sgs", "sma", "smj",
    "smn", "sms", "srd", "szl", "vec", "vls", "vro", "wae", "yue", "cmn",
];

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
pub fn validate_bytes(bytes: &[u8], assets: &Assets) -> Verdict {
    validate_bytes_with(bytes, assets, false)
}

/// Like [`validate_bytes`]; with `lenient`, the rules in `LENIENT_MESSAGES` and YAML 1.1
/// booleans give warnings instead of errors.
pub fn validate_bytes_with(bytes: &[u8], assets: &Assets, lenient: bool) -> Verdict {
    let mut verdict = Verdict::default();
    if bytes.len() > MAX_FILE_BYTES {
        verdict.errors.push(Issue::new(
            "",
            format!(
                "the file is {} bytes; a publiccode.yml is at most {MAX_FILE_BYTES}",
                bytes.len()
            ),
        ));
        return verdict;
    }
    if std::str::from_utf8(bytes).is_err() {
        verdict
            .errors
            .push(Issue::new("", "Invalid UTF-8: the file must be UTF-8 text"));
        return verdict;
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
            verdict
                .errors
                .push(Issue::new("", format!("not valid YAML: {e}")));
            return verdict;
        }
    };
    let Value::Object(root) = &document else {
        verdict.errors.push(Issue::new(
            "",
            "a publiccode.yml is a mapping of keys (publiccodeYmlVersion, name, url…)",
        ));
        return verdict;
    };
    let checked = validate(root, assets);
    verdict.errors = checked.errors;
    verdict.warnings = checked.warnings;
    verdict.warnings.extend(lenient_warnings);
    if lenient {
        let (relaxed, errors): (Vec<Issue>, Vec<Issue>) = verdict
            .errors
            .into_iter()
            .partition(|e| LENIENT_MESSAGES.iter().any(|m| e.message.starts_with(m)));
        verdict.errors = errors;
        verdict.warnings.extend(relaxed.into_iter().map(|mut w| {
            w.message.push_str(" (accepted by --lenient)");
            w
        }));
    }
    verdict.skipped = checked.skipped;
    verdict.document = Some(document);
    verdict
}

/// Validates a decoded document.
pub fn validate(root: &Map<String, Value>, assets: &Assets) -> Verdict {
    let mut first = Checker::new(assets);
    first.root(root);
    // Sections holding a value of the wrong type read as empty to the official parser.
    let poisoned: BTreeSet<String> = first
        .wrong_types
        .iter()
        .filter_map(|key| {
            let top = key.split(['.', '[']).next().unwrap_or_default();
            (top.len() < key.len()).then(|| top.to_owned())
        })
        .collect();
    if poisoned.is_empty() {
        return first.finish();
    }
    let mut reduced = root.clone();
    for section in &poisoned {
        reduced.remove(section);
    }
    let mut second = Checker::new(assets);
    second.root(&reduced);
    for section in &poisoned {
        // The parser still saw the key, so it is not "unknown"; its emptiness is what it reports.
        if section == "description" {
            second.error("description", "description must contain more than 0 items");
        }
    }
    let mut wrong: Vec<Issue> = first
        .errors
        .into_iter()
        .filter(|e| e.message == WRONG_TYPE)
        .collect();
    wrong.retain(|w| !second.errors.contains(w));
    second.errors.splice(0..0, wrong);
    second.finish()
}

const WRONG_TYPE: &str = "wrong type for this field";

struct Checker<'a> {
    assets: &'a Assets,
    errors: Vec<Issue>,
    warnings: Vec<Issue>,
    skipped: Vec<Issue>,
    wrong_types: Vec<String>,
}

/// What a field is expected to hold.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// A scalar read as text (YAML numbers and booleans become their text, as in Go's decoder).
    Text,
    Bool,
    List,
    Map,
}

impl<'a> Checker<'a> {
    fn new(assets: &'a Assets) -> Self {
        Checker {
            assets,
            errors: Vec::new(),
            warnings: Vec::new(),
            skipped: Vec::new(),
            wrong_types: Vec::new(),
        }
    }

    fn finish(self) -> Verdict {
        Verdict {
            errors: self.errors,
            warnings: self.warnings,
            skipped: self.skipped,
            document: None,
        }
    }

    fn error(&mut self, key: impl Into<String>, message: impl Into<String>) {
        let issue = Issue::new(key, message);
        if !self.errors.contains(&issue) {
            self.errors.push(issue);
        }
    }

    fn warn(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(Issue::new(key, message));
    }

    fn skip(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.skipped.push(Issue::new(key, message));
    }

    /// The key the official parser names for a wrong-typed value: the line the value starts on,
    /// which for a block mapping or sequence is its first entry, and for the first key of a
    /// sequence item (`- name: []`) is the item.
    fn wrong_type(&mut self, path: &str, value: &Value, first_in_item: bool) {
        let key = match value {
            Value::Object(map) if !map.is_empty() => {
                format!(
                    "{path}.{}",
                    map.keys().next().map(String::as_str).unwrap_or("")
                )
            }
            Value::Array(items) if !items.is_empty() => format!("{path}[0]"),
            _ if first_in_item => path
                .rsplit_once('.')
                .map(|(item, _)| item.to_owned())
                .unwrap_or_else(|| path.to_owned()),
            _ => path.to_owned(),
        };
        self.wrong_types.push(key.clone());
        self.error(key, WRONG_TYPE);
    }

    /// A field of `shape`, or `None` when absent, null, or of the wrong type (reported).
    fn get<'v>(
        &mut self,
        object: &'v Map<String, Value>,
        name: &str,
        path: &str,
        shape: Shape,
    ) -> Option<&'v Value> {
        let value = object.get(name)?;
        let ok = match (shape, value) {
            (_, Value::Null) => return None,
            (Shape::Text, Value::String(_) | Value::Number(_) | Value::Bool(_)) => true,
            (Shape::Bool, Value::Bool(_)) => true,
            (Shape::List, Value::Array(_)) => true,
            (Shape::Map, Value::Object(_)) => true,
            _ => false,
        };
        if ok {
            Some(value)
        } else {
            let first_in_item =
                path.ends_with(']') && object.keys().next().map(String::as_str) == Some(name);
            self.wrong_type(&join(path, name), value, first_in_item);
            None
        }
    }

    fn text(&mut self, object: &Map<String, Value>, name: &str, path: &str) -> Option<String> {
        self.get(object, name, path, Shape::Text).map(scalar_text)
    }

    fn unknown_fields(&mut self, object: &Map<String, Value>, path: &str, known: &[&str]) {
        for key in object.keys() {
            if !known.contains(&key.as_str()) {
                self.error(join(path, key), format!("unknown field \"{key}\""));
            }
        }
    }

    fn root(&mut self, root: &Map<String, Value>) {
        self.unknown_fields(
            root,
            "",
            &[
                "publiccodeYmlVersion",
                "name",
                "applicationSuite",
                "url",
                "landingURL",
                "isBasedOn",
                "softwareVersion",
                "releaseDate",
                "logo",
                "monochromeLogo",
                "organisation",
                "inputTypes",
                "outputTypes",
                "platforms",
                "categories",
                "usedBy",
                "fundedBy",
                "roadmap",
                "developmentStatus",
                "softwareType",
                "supports",
                "intendedAudience",
                "description",
                "legal",
                "maintenance",
                "localisation",
                "dependsOn",
                "IT",
                "it",
            ],
        );
        self.version(root);
        match self.text(root, "name", "") {
            Some(name) if !name.is_empty() => {}
            _ => self.error("name", "name is a required field"),
        }
        self.text(root, "applicationSuite", "");
        match self.text(root, "url", "") {
            None => self.error("url", "url is a required field"),
            Some(url) if url.is_empty() => self.error("url", "url is a required field"),
            Some(url) => {
                if is_url(&url) {
                    self.skip(
                        "url",
                        "reachability and code-hosting checks need the network",
                    );
                } else {
                    self.error("url", "url must be a valid URL");
                }
            }
        }
        self.http_url(root, "landingURL", "");
        self.http_url(root, "roadmap", "");
        self.is_based_on(root);
        self.text(root, "softwareVersion", "");
        if let Some(date) = self.text(root, "releaseDate", "")
            && !is_date(&date)
        {
            self.error(
                "releaseDate",
                "releaseDate must be a date with format 'YYYY-MM-DD'",
            );
        }
        self.asset_logo(root, "logo");
        if let Some(logo) = self.text(root, "monochromeLogo", "")
            && !logo.is_empty()
        {
            self.warn(
                "monochromeLogo",
                "This key is DEPRECATED and will be removed in the future. Use 'logo' instead",
            );
            self.asset_logo(root, "monochromeLogo");
        }
        if let Some(Value::Object(org)) = self.get(root, "organisation", "", Shape::Map) {
            self.unknown_fields(org, "organisation", &["name", "uri"]);
            self.text(org, "name", "organisation");
            self.organisation_uri(org, "organisation");
        }
        if let Some(Value::Array(funders)) = self.get(root, "fundedBy", "", Shape::List) {
            for (i, funder) in funders.iter().enumerate() {
                let path = format!("fundedBy[{i}]");
                match funder {
                    Value::Object(funder) => {
                        self.unknown_fields(funder, &path, &["name", "uri"]);
                        self.text(funder, "name", &path);
                        self.organisation_uri(funder, &path);
                    }
                    other => self.wrong_type(&path, other, false),
                }
            }
        }
        for key in ["inputTypes", "outputTypes"] {
            if let Some(Value::Array(types)) = self.get(root, key, "", Shape::List) {
                self.warn(
                    key,
                    "This key is DEPRECATED and will be removed in the future. It's safe to drop it",
                );
                for (i, t) in types.iter().enumerate() {
                    if !is_mime_type(&scalar_text(t)) {
                        self.error(
                            format!("{key}[{i}]"),
                            format!("{key}[{i}] is not a valid MIME type"),
                        );
                    }
                }
            }
        }
        match self.get(root, "platforms", "", Shape::List) {
            Some(Value::Array(list)) if !list.is_empty() => {
                self.text_list(list, "platforms");
            }
            _ => self.error("platforms", "platforms must contain more than 0 items"),
        }
        if let Some(Value::Array(categories)) = self.get(root, "categories", "", Shape::List) {
            for (i, c) in categories.iter().enumerate() {
                if !CATEGORIES.contains(&scalar_text(c).as_str()) {
                    self.error(
                        format!("categories[{i}]"),
                        format!("categories[{i}] must be a valid category (see https://github.com/publiccodeyml/publiccode.yml/blob/main/docs/standard/categories-list.rst)"),
                    );
                }
            }
        }
        if let Some(Value::Array(list)) = self.get(root, "usedBy", "", Shape::List) {
            self.text_list(list, "usedBy");
        }
        self.one_of(
            root,
            "developmentStatus",
            &["concept", "development", "beta", "stable", "obsolete"],
            "\"concept\", \"development\", \"beta\", \"stable\" or \"obsolete\"",
        );
        self.one_of(
            root,
            "softwareType",
            &[
                "standalone/mobile",
                "standalone/iot",
                "standalone/desktop",
                "standalone/web",
                "standalone/backend",
                "standalone/other",
                "addon",
                "library",
                "configurationFiles",
            ],
            "\"standalone/mobile\", \"standalone/iot\", \"standalone/desktop\", \"standalone/web\", \"standalone/backend\", \"standalone/other\", \"addon\", \"library\" or \"configurationFiles\"",
        );
        self.supports(root);
        self.intended_audience(root);
        self.description(root);
        self.legal(root);
        self.maintenance(root);
        self.localisation(root);
        self.depends_on(root);
        self.italy(root);
    }

    fn version(&mut self, root: &Map<String, Value>) {
        match self.text(root, "publiccodeYmlVersion", "") {
            None => self.error(
                "publiccodeYmlVersion",
                "publiccodeYmlVersion is a required field",
            ),
            Some(v) if v.is_empty() => self.error(
                "publiccodeYmlVersion",
                "publiccodeYmlVersion is a required field",
            ),
            Some(v) if !SUPPORTED_VERSIONS.contains(&v.as_str()) => self.error(
                "publiccodeYmlVersion",
                format!(
                    "unsupported version: '{v}'. Supported versions: {}",
                    SUPPORTED_VERSIONS.join(", ")
                ),
            ),
            Some(v) if v != "0" => self.warn(
                "publiccodeYmlVersion",
                format!("v{v} is not the latest version, use '0'. Parsing this file as v0.7."),
            ),
            Some(_) => {}
        }
    }

    fn text_list(&mut self, list: &[Value], path: &str) {
        for (i, item) in list.iter().enumerate() {
            if !matches!(item, Value::String(_) | Value::Number(_) | Value::Bool(_)) {
                self.wrong_type(&format!("{path}[{i}]"), item, false);
            }
        }
    }

    fn one_of(&mut self, object: &Map<String, Value>, name: &str, allowed: &[&str], said: &str) {
        match self.text(object, name, "") {
            None => self.error(name, format!("{name} is a required field")),
            Some(v) if v.is_empty() => self.error(name, format!("{name} is a required field")),
            Some(v) if !allowed.contains(&v.as_str()) => {
                self.error(name, format!("{name} must be one of the following: {said}"))
            }
            Some(_) => {}
        }
    }

    fn http_url(&mut self, object: &Map<String, Value>, name: &str, path: &str) {
        if let Some(url) = self.text(object, name, path) {
            let key = join(path, name);
            if is_http_url(&url) {
                self.skip(key, "reachability needs the network");
            } else {
                self.error(key, format!("{name} must be an HTTP URL"));
            }
        }
    }

    fn is_based_on(&mut self, root: &Map<String, Value>) {
        let Some(value) = root.get("isBasedOn") else {
            return;
        };
        let urls: Vec<&Value> = match value {
            Value::Null => return,
            Value::String(_) => vec![value],
            Value::Array(items) => items.iter().collect(),
            other => {
                self.wrong_type("isBasedOn", other, false);
                return;
            }
        };
        for (i, url) in urls.iter().enumerate() {
            if !is_url(&scalar_text(url)) {
                self.error(
                    format!("isBasedOn[{i}]"),
                    format!("isBasedOn[{i}] must be a valid URL"),
                );
            }
        }
    }

    fn organisation_uri(&mut self, object: &Map<String, Value>, path: &str) {
        let key = format!("{path}.uri");
        match self.text(object, "uri", path) {
            None => self.error(key, "uri is a required field"),
            Some(uri) if uri.is_empty() => self.error(key, "uri is a required field"),
            Some(uri) => {
                if let Some(code) = uri.strip_prefix("urn:x-italian-pa:") {
                    if is_ipa_code_syntax(code) {
                        self.skip(key, "whether the iPA code exists needs the iPA registry");
                    } else {
                        self.error(key, "uri must be a valid Italian Public Administration Code (iPA) with format 'urn:x-italian-pa:[codiceIPA]'");
                    }
                } else if !is_uri(&uri) {
                    self.error(key, "uri is not a valid URI");
                }
            }
        }
    }

    /// Checks a relative path or URL that must name an existing file: the checks common to
    /// logos, screenshots and the authors file. Returns the local file when it exists.
    fn asset(&mut self, raw: &str, key: &str) -> Option<PathBuf> {
        if raw.starts_with('/') {
            self.error(
                key,
                "is an absolute path. Only relative paths or HTTP(s) URLs allowed",
            );
            return None;
        }
        if raw.starts_with("file:") {
            self.error(
                key,
                "is a file:// URL. Only relative paths or HTTP(s) URLs allowed",
            );
            return None;
        }
        if is_http_url(raw) {
            self.skip(key, "a remote file needs the network");
            return None;
        }
        match self.assets {
            Assets::Remote => {
                self.skip(
                    key,
                    "a relative path resolves in the repository at url, which needs the network",
                );
                None
            }
            Assets::Local(dir) => Some(dir.join(raw)),
        }
    }

    fn asset_logo(&mut self, root: &Map<String, Value>, name: &str) {
        let Some(raw) = self.text(root, name, "") else {
            return;
        };
        if raw.is_empty() {
            return;
        }
        let Some(file) = self.asset(&raw, name) else {
            return;
        };
        let extension = file
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        if !matches!(extension.as_deref(), Some("png" | "svg")) {
            self.error(
                name,
                format!("invalid file extension for: {}", file.display()),
            );
            return;
        }
        match std::fs::read(&file) {
            Err(_) => self.error(name, format!("no such file: {}", file.display())),
            Ok(bytes) if extension.as_deref() == Some("png") && !is_png(&bytes) => {
                self.error(name, "image: unknown format")
            }
            Ok(_) => {}
        }
    }

    fn supports(&mut self, root: &Map<String, Value>) {
        let Some(Value::Array(items)) = self.get(root, "supports", "", Shape::List) else {
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let path = format!("supports[{i}]");
            let Value::Object(item) = item else {
                self.wrong_type(&path, item, false);
                continue;
            };
            self.unknown_fields(item, &path, &["id"]);
            let key = format!("{path}.id");
            match self.text(item, "id", &path) {
                None => self.error(key, "id is a required field"),
                Some(id) => {
                    if let Some(alias) = id.strip_prefix("alias:") {
                        if !SUPPORT_ALIASES.contains(&alias) {
                            self.error(key, "id contains an unknown alias (see https://github.com/publiccodeyml/publiccode.yml/blob/main/docs/standard/aliases-list.rst)");
                        }
                    } else if !is_uri(&id) {
                        self.error(key, "id must be an alias or a valid URI");
                    }
                }
            }
        }
    }

    fn intended_audience(&mut self, root: &Map<String, Value>) {
        let Some(Value::Object(audience)) = self.get(root, "intendedAudience", "", Shape::Map)
        else {
            return;
        };
        let path = "intendedAudience";
        self.unknown_fields(
            audience,
            path,
            &["scope", "countries", "unsupportedCountries"],
        );
        if let Some(Value::Array(scopes)) = self.get(audience, "scope", path, Shape::List) {
            for (i, s) in scopes.iter().enumerate() {
                if !SCOPES.contains(&scalar_text(s).as_str()) {
                    self.error(
                        format!("{path}.scope[{i}]"),
                        format!("scope[{i}] must be a valid scope (see https://github.com/publiccodeyml/publiccode.yml/blob/main/docs/standard/scope-list.rst)"),
                    );
                }
            }
        }
        for name in ["countries", "unsupportedCountries"] {
            if let Some(Value::Array(codes)) = self.get(audience, name, path, Shape::List) {
                for (i, code) in codes.iter().enumerate() {
                    let code = scalar_text(code);
                    let upper = code.to_ascii_uppercase();
                    let cased = code == upper || code == code.to_ascii_lowercase();
                    if !cased || !mosaico_protocol::iso3166::is_country_code(&upper) {
                        self.error(
                            format!("{path}.{name}[{i}]"),
                            format!("{name}[{i}] must be a valid ISO 3166-1 alpha-2 two-letter country code"),
                        );
                    } else if code != upper {
                        self.warn(
                            format!("{path}.{name}[{i}]"),
                            format!("Lowercase country codes are DEPRECATED. Use uppercase instead ('{upper}')"),
                        );
                    }
                }
            }
        }
    }

    fn description(&mut self, root: &Map<String, Value>) {
        let descriptions = match self.get(root, "description", "", Shape::Map) {
            Some(Value::Object(map)) if !map.is_empty() => map,
            _ => {
                self.error("description", "description must contain more than 0 items");
                return;
            }
        };
        for (lang, desc) in descriptions {
            if !is_bcp47(lang) {
                self.error("description", "description must be a valid BCP 47 language");
                continue;
            }
            // The parser names a language with a region in brackets: `description[en-US]`.
            let path = if lang.bytes().all(|b| b.is_ascii_alphanumeric()) {
                format!("description.{lang}")
            } else {
                format!("description[{lang}]")
            };
            let Value::Object(desc) = desc else {
                self.wrong_type(&path, desc, false);
                continue;
            };
            self.unknown_fields(
                desc,
                &path,
                &[
                    "localisedName",
                    "genericName",
                    "shortDescription",
                    "longDescription",
                    "documentation",
                    "apiDocumentation",
                    "features",
                    "screenshots",
                    "videos",
                    "awards",
                ],
            );
            self.text(desc, "localisedName", &path);
            if let Some(generic) = self.text(desc, "genericName", &path)
                && !generic.is_empty()
            {
                if graphemes(&generic) > 35 {
                    self.error(
                        format!("{path}.genericName"),
                        "genericName must be a maximum of 35 characters in length",
                    );
                }
                self.warn(
                    format!("description.{lang}.genericName"),
                    "This key is DEPRECATED and will be removed in the future. It's safe to drop it",
                );
            }
            match self.text(desc, "shortDescription", &path) {
                Some(short) if !short.is_empty() => {
                    if graphemes(&short) > 150 {
                        self.error(
                            format!("{path}.shortDescription"),
                            "shortDescription must be a maximum of 150 characters in length",
                        );
                    }
                }
                _ => self.error(
                    format!("{path}.shortDescription"),
                    "shortDescription is a required field",
                ),
            }
            match self.text(desc, "longDescription", &path) {
                Some(long) if !long.is_empty() => {
                    let n = graphemes(&long);
                    if n < 150 {
                        self.error(
                            format!("{path}.longDescription"),
                            "longDescription must be at least 150 characters in length",
                        );
                    } else if n > 10_000 {
                        self.error(
                            format!("{path}.longDescription"),
                            "longDescription must be a maximum of 10000 characters in length",
                        );
                    }
                }
                _ => self.error(
                    format!("{path}.longDescription"),
                    "longDescription is a required field",
                ),
            }
            self.http_url(desc, "documentation", &path);
            self.http_url(desc, "apiDocumentation", &path);
            match self.get(desc, "features", &path, Shape::List) {
                Some(Value::Array(features)) if !features.is_empty() => {
                    self.text_list(features, &format!("{path}.features"));
                }
                _ => self.error(
                    format!("{path}.features"),
                    "features must contain more than 0 items",
                ),
            }
            if let Some(Value::Array(shots)) = self.get(desc, "screenshots", &path, Shape::List) {
                for (i, shot) in shots.iter().enumerate() {
                    let key = format!("{path}.screenshots[{i}]");
                    let raw = scalar_text(shot);
                    if let Some(file) = self.asset(&raw, &key) {
                        match std::fs::read(&file) {
                            Err(_) => self.error(
                                key,
                                format!(
                                    "'{raw}' is not an image: no such file: {}",
                                    file.display()
                                ),
                            ),
                            Ok(bytes) if !is_image(&file, &bytes) => {
                                self.error(key, format!("'{raw}' is not an image: unknown format"))
                            }
                            Ok(_) => {}
                        }
                    }
                }
            }
            if let Some(Value::Array(videos)) = self.get(desc, "videos", &path, Shape::List) {
                for (i, video) in videos.iter().enumerate() {
                    let key = format!("{path}.videos[{i}]");
                    if is_http_url(&scalar_text(video)) {
                        self.skip(key, "oEmbed support needs the network");
                    } else {
                        self.error(key, format!("videos[{i}] must be an HTTP URL"));
                    }
                }
            }
            if let Some(Value::Array(awards)) = self.get(desc, "awards", &path, Shape::List) {
                self.text_list(awards, &format!("{path}.awards"));
            }
        }
    }

    fn legal(&mut self, root: &Map<String, Value>) {
        let empty = Map::new();
        let legal = match self.get(root, "legal", "", Shape::Map) {
            Some(Value::Object(legal)) => legal,
            _ => &empty,
        };
        self.unknown_fields(
            legal,
            "legal",
            &["license", "mainCopyrightOwner", "repoOwner", "authorsFile"],
        );
        match self.text(legal, "license", "legal") {
            Some(licence) if !licence.is_empty() => {
                if !is_spdx_expression(&licence) {
                    self.error(
                        "legal.license",
                        "license must be a valid license (see https://spdx.org/licenses)",
                    );
                }
            }
            _ => self.error("legal.license", "license is a required field"),
        }
        self.text(legal, "mainCopyrightOwner", "legal");
        if self.text(legal, "repoOwner", "legal").is_some() {
            self.warn(
                "legal.repoOwner",
                "This key is DEPRECATED and will be removed in the future. Use 'organisation.name' instead",
            );
        }
        if let Some(authors) = self.text(legal, "authorsFile", "legal") {
            self.warn(
                "legal.authorsFile",
                "This key is DEPRECATED and will be removed in the future. It's safe to drop it",
            );
            if let Some(file) = self.asset(&authors, "legal.authorsFile")
                && !file.exists()
            {
                self.error(
                    "legal.authorsFile",
                    format!(
                        "'{}' does not exist: no such file: {}",
                        file.display(),
                        file.display()
                    ),
                );
            }
        }
    }

    fn maintenance(&mut self, root: &Map<String, Value>) {
        let empty = Map::new();
        let maintenance = match self.get(root, "maintenance", "", Shape::Map) {
            Some(Value::Object(m)) => m,
            _ => &empty,
        };
        let path = "maintenance";
        self.unknown_fields(maintenance, path, &["type", "contractors", "contacts"]);
        let kind = self.text(maintenance, "type", path).unwrap_or_default();
        match kind.as_str() {
            "" => self.error("maintenance.type", "type is a required field"),
            "internal" | "contract" | "community" | "none" => {}
            _ => self.error(
                "maintenance.type",
                "type must be one of the following: \"internal\", \"contract\", \"community\" or \"none\"",
            ),
        }
        let contractors = self.get(maintenance, "contractors", path, Shape::List);
        match (contractors, kind.as_str()) {
            (None, "contract") => self.error(
                "maintenance.contractors",
                "contractors is a required field when \"type\" is \"contract\"",
            ),
            (Some(_), other) if other != "contract" && !other.is_empty() => self.error(
                "maintenance.contractors",
                "contractors must not be present unless \"type\" is \"contract\"",
            ),
            (Some(Value::Array(list)), _) => {
                for (i, c) in list.iter().enumerate() {
                    let p = format!("maintenance.contractors[{i}]");
                    let Value::Object(c) = c else {
                        self.wrong_type(&p, c, false);
                        continue;
                    };
                    self.unknown_fields(c, &p, &["name", "email", "website", "until"]);
                    self.required_text(c, "name", &p);
                    self.email(c, &p);
                    self.http_url(c, "website", &p);
                    match self.text(c, "until", &p) {
                        Some(until) if !until.is_empty() => {
                            if !is_date(&until) {
                                self.error(
                                    format!("{p}.until"),
                                    "until must be a date with format 'YYYY-MM-DD'",
                                );
                            }
                        }
                        _ => self.error(format!("{p}.until"), "until is a required field"),
                    }
                }
            }
            _ => {}
        }
        match self.get(maintenance, "contacts", path, Shape::List) {
            None if kind == "community" || kind == "internal" => self.error(
                "maintenance.contacts",
                format!("contacts is a required field when \"type\" is \"{kind}\""),
            ),
            Some(Value::Array(list)) => {
                for (i, c) in list.iter().enumerate() {
                    let p = format!("maintenance.contacts[{i}]");
                    let Value::Object(c) = c else {
                        self.wrong_type(&p, c, false);
                        continue;
                    };
                    self.unknown_fields(c, &p, &["name", "email", "affiliation", "phone"]);
                    self.required_text(c, "name", &p);
                    self.email(c, &p);
                    self.text(c, "affiliation", &p);
                    self.text(c, "phone", &p);
                }
            }
            _ => {}
        }
    }

    fn required_text(&mut self, object: &Map<String, Value>, name: &str, path: &str) {
        match self.text(object, name, path) {
            Some(v) if !v.is_empty() => {}
            _ => self.error(join(path, name), format!("{name} is a required field")),
        }
    }

    fn email(&mut self, object: &Map<String, Value>, path: &str) {
        if let Some(email) = self.text(object, "email", path)
            && !email.is_empty()
            && !is_email(&email)
        {
            self.error(
                format!("{path}.email"),
                "email must be a valid email address",
            );
        }
    }

    fn localisation(&mut self, root: &Map<String, Value>) {
        let empty = Map::new();
        let localisation = match self.get(root, "localisation", "", Shape::Map) {
            Some(Value::Object(l)) => l,
            _ => &empty,
        };
        let path = "localisation";
        self.unknown_fields(
            localisation,
            path,
            &["localisationReady", "availableLanguages"],
        );
        if self
            .get(localisation, "localisationReady", path, Shape::Bool)
            .is_none()
        {
            self.error(
                "localisation.localisationReady",
                "localisationReady is a required field",
            );
        }
        match self.get(localisation, "availableLanguages", path, Shape::List) {
            None => self.error(
                "localisation.availableLanguages",
                "availableLanguages is a required field",
            ),
            Some(Value::Array(langs)) if langs.is_empty() => self.error(
                "localisation.availableLanguages",
                "availableLanguages must contain more than 0 items",
            ),
            Some(Value::Array(langs)) => {
                for (i, lang) in langs.iter().enumerate() {
                    if !is_bcp47(&scalar_text(lang)) {
                        self.error(
                            format!("localisation.availableLanguages[{i}]"),
                            format!("availableLanguages[{i}] must be a valid BCP 47 language"),
                        );
                    }
                }
            }
            Some(_) => {}
        }
    }

    fn depends_on(&mut self, root: &Map<String, Value>) {
        let Some(Value::Object(depends)) = self.get(root, "dependsOn", "", Shape::Map) else {
            return;
        };
        self.unknown_fields(depends, "dependsOn", &["open", "proprietary", "hardware"]);
        for group in ["open", "proprietary", "hardware"] {
            let Some(Value::Array(items)) = self.get(depends, group, "dependsOn", Shape::List)
            else {
                continue;
            };
            for (i, item) in items.iter().enumerate() {
                let p = format!("dependsOn.{group}[{i}]");
                let Value::Object(item) = item else {
                    self.wrong_type(&p, item, false);
                    continue;
                };
                self.unknown_fields(
                    item,
                    &p,
                    &["name", "versionMin", "versionMax", "optional", "version"],
                );
                self.required_text(item, "name", &p);
                for name in ["versionMin", "versionMax", "version"] {
                    self.text(item, name, &p);
                }
                self.get(item, "optional", &p, Shape::Bool);
            }
        }
    }

    fn italy(&mut self, root: &Map<String, Value>) {
        let upper = self.get(root, "IT", "", Shape::Map).cloned();
        let lower = self.get(root, "it", "", Shape::Map).cloned();
        if lower.is_some() {
            self.warn(
                "it",
                "Lowercase country codes are DEPRECATED and will be removed in the future. Use 'IT' instead",
            );
        }
        if upper.is_some() && lower.is_some() {
            self.error("it", "'IT' key already present. Remove this key");
        }
        let (section, name) = match (upper, lower) {
            (Some(Value::Object(s)), _) => (s, "IT"),
            (None, Some(Value::Object(s))) => (s, "it"),
            _ => return,
        };
        self.unknown_fields(
            &section,
            name,
            &[
                "countryExtensionVersion",
                "conforme",
                "riuso",
                "piattaforme",
            ],
        );
        if let Some(v) = self.text(&section, "countryExtensionVersion", name)
            && v != "0.2"
            && v != "1.0"
        {
            self.error(
                "IT.countryExtensionVersion",
                "countryExtensionVersion must be one of the following: \"0.2\" or \"1.0\"",
            );
        }
        if let Some(Value::Object(conforme)) = self.get(&section, "conforme", name, Shape::Map) {
            let p = format!("{name}.conforme");
            self.unknown_fields(
                conforme,
                &p,
                &[
                    "lineeGuidaDesign",
                    "modelloInteroperabilita",
                    "misureMinimeSicurezza",
                    "gdpr",
                ],
            );
            for key in conforme.keys() {
                self.get(conforme, key, &p, Shape::Bool);
            }
            self.warn(
                "IT.conforme",
                "This key is DEPRECATED and will be removed in the future. It's safe to drop it",
            );
        }
        if let Some(Value::Object(riuso)) = self.get(&section, "riuso", name, Shape::Map) {
            let p = format!("{name}.riuso");
            self.unknown_fields(riuso, &p, &["codiceIPA"]);
            if let Some(code) = self.text(riuso, "codiceIPA", &p)
                && !code.is_empty()
            {
                if is_ipa_code_syntax(&code) {
                    self.skip(
                        "IT.riuso.codiceIPA",
                        "whether the iPA code exists needs the iPA registry",
                    );
                    self.warn(
                        "IT.riuso.codiceIPA",
                        format!("This key is DEPRECATED and will be removed in the future. Use 'organisation.uri' and set it to 'urn:x-italian-pa:{code}' instead"),
                    );
                } else {
                    self.error(
                        "IT.riuso.codiceIPA",
                        "codiceIPA must be a valid Italian Public Administration Code (iPA) (see https://github.com/publiccodeyml/italian-organizations-ipa-vocabulary)",
                    );
                }
            }
        }
        if let Some(Value::Object(p)) = self.get(&section, "piattaforme", name, Shape::Map) {
            let path = format!("{name}.piattaforme");
            self.unknown_fields(p, &path, &["spid", "pagopa", "cie", "anpr", "io"]);
            for key in p.keys() {
                self.get(p, key, &path, Shape::Bool);
            }
        }
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// A scalar's text as Go's YAML decoder gives it to a string field.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

fn graphemes(text: &str) -> usize {
    text.graphemes(true).count()
}

/// An absolute URL: a scheme, `://`, and a host.
fn is_url(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once("://") else {
        return false;
    };
    is_scheme(scheme)
        && !rest.is_empty()
        && !rest.starts_with('/')
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn is_scheme(scheme: &str) -> bool {
    scheme
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic())
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

fn is_http_url(text: &str) -> bool {
    (text.starts_with("http://") || text.starts_with("https://")) && is_url(text)
}

/// A URI: a scheme, a colon and something after it (`urn:foo:bar`, `https://…`).
fn is_uri(text: &str) -> bool {
    text.split_once(':').is_some_and(|(scheme, rest)| {
        is_scheme(scheme)
            && !rest.is_empty()
            && !text.chars().any(|c| c.is_whitespace() || c.is_control())
    })
}

/// The shape of an iPA code: lowercase letters, digits and underscores (`pcm`, `c_h501`).
fn is_ipa_code_syntax(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<u32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

fn is_mime_type(text: &str) -> bool {
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    let essence = text.split(';').next().unwrap_or_default().trim();
    essence
        .split_once('/')
        .is_some_and(|(t, s)| token(t) && token(s))
}

fn is_email(text: &str) -> bool {
    text.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && !text.chars().any(|c| c.is_whitespace() || c.is_control())
    })
}

fn is_png(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG\r\n\x1a\n")
}

fn is_image(file: &Path, bytes: &[u8]) -> bool {
    let extension = file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("png") => is_png(bytes),
        Some("jpg" | "jpeg") => bytes.starts_with(&[0xff, 0xd8, 0xff]),
        Some("gif") => bytes.starts_with(b"GIF8"),
        Some("svg") => std::str::from_utf8(bytes).is_ok_and(|t| t.contains("<svg")),
        Some("webp") => bytes.len() > 12 && &bytes[8..12] == b"WEBP",
        _ => false,
    }
}

/// A BCP 47 tag whose primary language is a known ISO 639 code, in any letter case (the
/// official parser accepts `en-us`; the protocol keys maps by the canonical form, see
/// [`canonical_language`]).
pub fn is_bcp47(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let language = parts.next().unwrap_or_default().to_ascii_lowercase();
    let known = match language.len() {
        2 => ISO_639_1.contains(&language.as_str()),
        3 => ISO_639_3_EUROPE.contains(&language.as_str()),
        _ => false,
    };
    if !known {
        return false;
    }
    let mut stage = 0;
    for part in parts {
        let bytes = part.as_bytes();
        let alpha = bytes.iter().all(u8::is_ascii_alphabetic);
        let alnum = bytes.iter().all(u8::is_ascii_alphanumeric);
        let is_script = part.len() == 4 && alpha;
        let is_region =
            (part.len() == 2 && alpha) || (part.len() == 3 && bytes.iter().all(u8::is_ascii_digit));
        let is_variant = alnum
            && ((5..=8).contains(&part.len()) || (part.len() == 4 && bytes[0].is_ascii_digit()));
        if stage == 0 && is_script {
            stage = 1;
        } else if (stage <= 1 && is_region) || is_variant {
            stage = 2;
        } else {
            return false;
        }
    }
    true
}

/// A BCP 47 tag in the canonical case the protocol keys language maps by: `en-GB`, `sr-Latn`.
pub fn canonical_language(tag: &str) -> String {
    tag.split('-')
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part.to_ascii_lowercase()
            } else if part.len() == 2 {
                part.to_ascii_uppercase()
            } else if part.len() == 4 && part.bytes().all(|b| b.is_ascii_alphabetic()) {
                let mut s = part.to_ascii_lowercase();
                s[..1].make_ascii_uppercase();
                s
            } else {
                part.to_ascii_lowercase()
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Where the node's own context fills what a publiccode.yml may leave out.
#[derive(Debug, Clone, Default)]
pub struct Defaults {
    /// The region's name, when the file names no organisation.
    pub organisation: Option<String>,
    /// The region's country, when the file says none.
    pub country: Option<String>,
}

/// Why a valid publiccode.yml cannot become a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    /// The `url` gives no usable slug.
    #[error("url: \"{0}\" gives no slug (it needs letters or digits)")]
    NoSlug(String),
    /// Nothing says which country the solution comes from.
    #[error(
        "country: the file has no IT section nor a single intendedAudience country, and the node's configuration has no country (set country in mosaico.toml)"
    )]
    NoCountry,
    /// Nothing names the organisation.
    #[error("organisation: the file names none and the node has no name")]
    NoOrganisation,
}

/// The slug of a solution: its repository URL without scheme and `.git`, lowercased, with every
/// other character turned into `-`, so re-importing the same repository finds the same record.
pub fn slug_from_url(url: &str) -> Option<String> {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let rest = rest.trim_end_matches('/');
    let rest = rest.strip_suffix(".git").unwrap_or(rest);
    let mut slug = String::new();
    for c in rest.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '_' {
            c
        } else {
            '-'
        };
        if c == '-' && slug.ends_with('-') {
            continue;
        }
        slug.push(c);
    }
    let slug = slug.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if slug.is_empty() {
        return None;
    }
    if slug.len() <= mosaico_protocol::Limits::MAX_SLUG {
        return Some(slug.to_owned());
    }
    // Too long: keep a readable head and make it unique with a hash of the whole URL.
    use sha2::Digest as _;
    let hash = hex::encode(&sha2::Sha256::digest(url.as_bytes())[..6]);
    Some(format!(
        "{}-{hash}",
        &slug[..mosaico_protocol::Limits::MAX_SLUG - 13]
    ))
}

/// How a publiccode.yml category maps onto the record: a thematic community, a technology, both,
/// or neither (then it is kept as a tag).
fn category_mapping(category: &str) -> (Option<&'static str>, Option<&'static str>) {
    match category {
        "document-management" | "digital-asset-management" | "content-management" => {
            (Some("documents"), None)
        }
        "e-signature" => (Some("documents"), Some("e-signature")),
        "data-analytics" => (Some("data"), Some("data-analytics")),
        "data-collection" => (Some("data"), None),
        "data-visualization" => (Some("data"), Some("data-visualisation")),
        "business-intelligence" => (Some("data"), Some("business-intelligence")),
        "predictive-analysis" => (Some("data"), Some("predictive-analytics")),
        "geographic-information-systems" => (Some("data"), Some("gis")),
        "it-security" => (Some("cybersecurity-cloud"), None),
        "identity-management" => (Some("cybersecurity-cloud"), Some("digital-identity")),
        "cloud-management" | "backup" => (Some("cybersecurity-cloud"), Some("cloud")),
        "digital-citizenship" | "feedback-and-reviews-management" | "survey" => {
            (Some("citizens"), None)
        }
        "whistleblowing" => (Some("citizens"), None),
        "e-commerce" | "billing-and-invoicing" | "crm" | "sales-management" | "marketing" => {
            (Some("businesses"), None)
        }
        "payment-gateway" | "mobile-payment" => (Some("businesses"), Some("digital-payments")),
        "educational-content" | "learning-management-system" => {
            (Some("digital-facilitation"), None)
        }
        "hr" | "employee-management" | "payroll" | "talent-management" => {
            (Some("digital-administrators"), None)
        }
        "application-development"
        | "it-development"
        | "workflow-management"
        | "business-process-management" => (Some("digital-integrations"), None),
        "video-conferencing" | "web-conferencing" => (None, Some("video-conferencing")),
        "voip" => (None, Some("voip")),
        "instant-messaging" => (None, Some("instant-messaging")),
        _ => (None, None),
    }
}

/// Limits the protocol puts on list fields: the rest is left out (and said in the report).
const MAX_ITEMS: usize = mosaico_protocol::Limits::MAX_LIST_ITEMS;

fn push_unique(list: &mut Vec<String>, item: &str) {
    let item = truncate(item.trim(), mosaico_protocol::Limits::MAX_SHORT_TEXT);
    if !item.is_empty() && !list.contains(&item) && list.len() < MAX_ITEMS {
        list.push(item);
    }
}

/// Cuts `text` to `max` characters, ending with an ellipsis when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut = cut.trim_end().to_owned();
    cut.push('…');
    cut
}

/// Maps a valid publiccode.yml to a `solution` draft (as JSON, the form the node takes).
pub fn to_draft(document: &Value, defaults: &Defaults) -> Result<Value, MappingError> {
    let text = |v: Option<&Value>| v.map(scalar_text).filter(|s| !s.trim().is_empty());
    let url = text(document.get("url")).unwrap_or_default();
    let slug = slug_from_url(&url).ok_or_else(|| MappingError::NoSlug(url.clone()))?;
    let name = text(document.get("name")).unwrap_or_else(|| slug.clone());
    let mut title = Map::new();
    let mut summary = Map::new();
    let mut description = Map::new();
    let mut links: Vec<Value> = Vec::new();
    let mut link = |url: &str, label: &str| {
        if is_http_url(url) && links.len() < MAX_ITEMS && !links.iter().any(|l| l["url"] == url) {
            links.push(json!({"url": url, "title": label}));
        }
    };
    if let Some(landing) = text(document.get("landingURL")) {
        link(&landing, "Landing page");
    }
    link(&url, "Source code");
    if let Some(Value::Object(descriptions)) = document.get("description") {
        for (lang, desc) in descriptions {
            let lang = canonical_language(lang);
            let localised = text(desc.get("localisedName")).unwrap_or_else(|| name.clone());
            title.insert(
                lang.clone(),
                Value::String(truncate(&one_line(&localised), 200)),
            );
            if let Some(short) = text(desc.get("shortDescription")) {
                summary.insert(
                    lang.clone(),
                    Value::String(truncate(&clean_text(&short), 500)),
                );
            }
            if let Some(long) = text(desc.get("longDescription")) {
                description.insert(
                    lang.clone(),
                    Value::String(truncate(&clean_text(&long), 20_000)),
                );
            }
            if let Some(doc) = text(desc.get("documentation")) {
                link(&doc, &format!("Documentation ({lang})"));
            }
            if let Some(doc) = text(desc.get("apiDocumentation")) {
                link(&doc, &format!("API documentation ({lang})"));
            }
        }
    }
    if let Some(roadmap) = text(document.get("roadmap")) {
        link(&roadmap, "Roadmap");
    }
    let italy = document.get("IT").or_else(|| document.get("it"));
    let organisation = document
        .pointer("/organisation/name")
        .and_then(|v| text(Some(v)))
        .or_else(|| text(document.pointer("/legal/mainCopyrightOwner")))
        .or_else(|| text(document.pointer("/legal/repoOwner")))
        .or_else(|| defaults.organisation.clone())
        .ok_or(MappingError::NoOrganisation)?;
    let audience: Vec<String> = document
        .pointer("/intendedAudience/countries")
        .and_then(Value::as_array)
        .map(|c| {
            c.iter()
                .map(|c| scalar_text(c).to_ascii_uppercase())
                .collect()
        })
        .unwrap_or_default();
    let country = if italy.is_some() {
        Some("IT".to_owned())
    } else if audience.len() == 1 {
        audience.first().cloned()
    } else {
        defaults.country.clone()
    }
    .ok_or(MappingError::NoCountry)?;

    let categories: Vec<String> = document
        .get("categories")
        .and_then(Value::as_array)
        .map(|c| c.iter().map(scalar_text).collect())
        .unwrap_or_default();
    let mut themes = Vec::new();
    let mut technologies = Vec::new();
    let mut tags = Vec::new();
    for category in &categories {
        match category_mapping(category) {
            (None, None) => push_unique(&mut tags, category),
            (theme, technology) => {
                if let Some(theme) = theme {
                    push_unique(&mut themes, theme);
                }
                if let Some(technology) = technology {
                    push_unique(&mut technologies, technology);
                }
            }
        }
    }
    let mut solution_categories = Vec::new();
    for category in &categories {
        push_unique(&mut solution_categories, category);
    }
    let mut platforms = Vec::new();
    for p in document
        .get("platforms")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        push_unique(&mut platforms, &scalar_text(p));
    }
    let mut used_by = Vec::new();
    for u in document
        .get("usedBy")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        push_unique(&mut used_by, &one_line(&scalar_text(u)));
    }
    let development =
        text(document.get("developmentStatus")).and_then(|s| DevelopmentStatus::parse(&s).ok());
    let software_type =
        text(document.get("softwareType")).and_then(|s| SoftwareType::parse(&s).ok());
    let maintenance =
        text(document.pointer("/maintenance/type")).and_then(|s| MaintenanceType::parse(&s).ok());
    let mut contacts = Vec::new();
    for c in document
        .pointer("/maintenance/contacts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .take(MAX_ITEMS)
    {
        let Some(name) = text(c.get("name")) else {
            continue;
        };
        let mut contact = Map::new();
        contact.insert(
            "name".into(),
            Value::String(truncate(&one_line(&name), 200)),
        );
        if let Some(email) = text(c.get("email")).filter(|e| is_email(e)) {
            contact.insert("email".into(), Value::String(email));
        }
        if let Some(affiliation) = text(c.get("affiliation")) {
            contact.insert(
                "organisation".into(),
                Value::String(truncate(&one_line(&affiliation), 200)),
            );
        }
        contact.insert("role".into(), Value::String("maintainer".into()));
        contacts.push(Value::Object(contact));
    }

    let mut draft = Map::new();
    draft.insert("kind".into(), Value::String("solution".into()));
    draft.insert("slug".into(), Value::String(slug));
    if title.is_empty() {
        title.insert("en".into(), Value::String(truncate(&one_line(&name), 200)));
    }
    draft.insert("title".into(), Value::Object(title));
    draft.insert("summary".into(), Value::Object(summary));
    if !description.is_empty() {
        draft.insert("description".into(), Value::Object(description));
    }
    draft.insert(
        "organisation".into(),
        Value::String(truncate(&one_line(&organisation), 200)),
    );
    draft.insert("country".into(), Value::String(country));
    let put_list = |draft: &mut Map<String, Value>, key: &str, list: Vec<String>| {
        if !list.is_empty() {
            draft.insert(key.into(), json!(list));
        }
    };
    put_list(&mut draft, "themes", themes);
    put_list(&mut draft, "technologies", technologies);
    if let Some(status) = development.as_ref().and_then(DevelopmentStatus::status) {
        draft.insert("status".into(), Value::String(status.as_str().into()));
    }
    if !links.is_empty() {
        draft.insert("links".into(), Value::Array(links));
    }
    if !contacts.is_empty() {
        draft.insert("contacts".into(), Value::Array(contacts));
    }
    if let Some(licence) = text(document.pointer("/legal/license")) {
        draft.insert("licence".into(), Value::String(licence));
    }
    put_list(&mut draft, "tags", tags);
    let mut solution = Map::new();
    if is_http_url(&url) {
        solution.insert("url".into(), Value::String(url));
    }
    if let Some(landing) = text(document.get("landingURL")).filter(|u| is_http_url(u)) {
        solution.insert("landing_url".into(), Value::String(landing));
    }
    if let Some(d) = development {
        solution.insert(
            "development_status".into(),
            Value::String(d.as_str().into()),
        );
    }
    if let Some(t) = software_type {
        solution.insert("software_type".into(), Value::String(t.as_str().into()));
    }
    put_list(&mut solution, "platforms", platforms);
    put_list(&mut solution, "categories", solution_categories);
    if let Some(m) = maintenance {
        solution.insert("maintenance".into(), Value::String(m.as_str().into()));
    }
    put_list(&mut solution, "used_by", used_by);
    draft.insert("solution".into(), Value::Object(solution));
    Ok(Value::Object(draft))
}

/// Text on one line: control characters (newlines included) become spaces.
pub fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_control())
        .filter(|s| !s.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Multi-line text the protocol accepts: `\r\n` and `\r` become `\n`, other control characters
/// but tabs become spaces, and surrounding blank space goes.
pub fn clean_text(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_come_from_the_repository_url() {
        assert_eq!(
            slug_from_url("https://github.com/RegioneER/parer-sacer.git").as_deref(),
            Some("github.com-regioneer-parer-sacer")
        );
        assert_eq!(
            slug_from_url("https://github.com/Amsterdam/signals-frontend/").as_deref(),
            Some("github.com-amsterdam-signals-frontend")
        );
        let long = format!("https://example.org/{}", "a".repeat(300));
        let slug = slug_from_url(&long).expect("slug");
        assert!(slug.len() <= 128, "{slug}");
        assert_eq!(slug_from_url("https://"), None);
    }

    #[test]
    fn languages_are_canonicalised() {
        assert_eq!(canonical_language("en-gb"), "en-GB");
        assert_eq!(canonical_language("sr-latn-rs"), "sr-Latn-RS");
        assert!(is_bcp47("sl-IT-nedis"));
        assert!(!is_bcp47("en_GB"));
        assert!(!is_bcp47("xxx"));
        assert!(!is_bcp47("no such language"));
    }

    #[test]
    fn dates_are_calendar_dates() {
        assert!(is_date("2024-02-29"));
        assert!(!is_date("2023-02-29"));
        assert!(!is_date("2017-04-15T10:00:00Z"));
        assert!(!is_date(""));
    }
}
