//! The checker: walks a decoded publiccode.yml and names each broken rule by the key the
//! official parser gives it.
//!
//! The official parser decodes YAML into Go structs: a value of the wrong type leaves its field
//! empty and, inside a section, makes the whole section read as empty, which is why one wrong
//! type can also bring "is a required field" errors for its neighbours. [`validate`] reproduces
//! that by dropping the section and checking again.

use std::collections::BTreeSet;
use std::path::PathBuf;

use mosaico_protocol::validate::{check_http_url, is_email_address, is_spdx_expression};
use serde_json::{Map, Value};

use super::syntax::{
    graphemes, is_bcp47, is_date, is_image, is_ipa_code_syntax, is_mime_type, is_png, is_uri,
    is_url, scalar_text,
};
use super::vocab::{CATEGORIES, SCOPES, SUPPORT_ALIASES, SUPPORTED_VERSIONS};
use super::{Assets, CheckReport, Issue};

/// Validates a decoded document.
pub fn validate(root: &Map<String, Value>, assets: &Assets) -> CheckReport {
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

    fn finish(self) -> CheckReport {
        CheckReport {
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
            if check_http_url(&url).is_ok() {
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
        if check_http_url(raw).is_ok() {
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
                    if check_http_url(&scalar_text(video)).is_ok() {
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
            && !is_email_address(&email)
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
