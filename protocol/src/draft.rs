//! Drafts: what a publisher writes before the node signs it.
//!
//! A publisher writes the content (kind, slug, title…) and the node fills in what only it can
//! know: the format, its own key as author, the next version number and the creation time. A
//! draft may name the version it expects to create; the node then refuses it if another version
//! was published in between, so two people editing the same record cannot silently overwrite
//! each other.

use serde_json::{Map, Value};

use crate::canonical::{self, JsonError};
use crate::fields::{CURRENT_FORMAT, Millis};
use crate::keys::PublicKey;
use crate::validate::FieldError;
use crate::vocab::Kind;

/// Why a draft cannot become a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DraftError {
    /// Not strict JSON (after conversion from YAML, if it was YAML).
    #[error("{0}")]
    Json(#[from] JsonError),
    /// Not an object, or a header field is missing or set by the publisher.
    #[error("{}", FieldError::join(.0))]
    Invalid(Vec<FieldError>),
    /// The draft names a version other than the next one.
    #[error(
        "version: this would be version {next}, but the draft says {given} (someone published in between; reload and edit the newest version)"
    )]
    VersionConflict {
        /// The version the draft asked for.
        given: u64,
        /// The next version.
        next: u64,
    },
}

/// An unsigned record without its header fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    fields: Map<String, Value>,
    kind: Kind,
    slug: String,
    expected_version: Option<u64>,
}

impl Draft {
    /// Reads a draft from a JSON value (a YAML document converted to JSON is fine).
    pub fn from_value(value: Value) -> Result<Self, DraftError> {
        canonical::check_strict(&value)?;
        let Value::Object(mut fields) = value else {
            return Err(DraftError::Invalid(vec![FieldError::new(
                "(record)",
                "wrong_type",
                "a record is a mapping of fields (a JSON object)",
            )]));
        };
        let mut errors = Vec::new();
        for set_by_node in ["author", "created_at", "format"] {
            if fields.remove(set_by_node).is_some() {
                errors.push(FieldError::new(
                    set_by_node,
                    "not_allowed",
                    "is set by the node when it signs; leave it out",
                ));
            }
        }
        let kind = match fields.get("kind") {
            None => {
                errors.push(FieldError::new("kind", "required", "is required"));
                None
            }
            Some(value) => match value.as_str().map(Kind::parse) {
                Some(Ok(kind)) => Some(kind),
                Some(Err(e)) => {
                    errors.push(FieldError::new("kind", "bad_format", e.to_string()));
                    None
                }
                None => {
                    errors.push(FieldError::new("kind", "wrong_type", "must be a string"));
                    None
                }
            },
        };
        let slug = match fields.get("slug").map(Value::as_str) {
            Some(Some(slug)) => Some(slug.to_owned()),
            Some(None) => {
                errors.push(FieldError::new("slug", "wrong_type", "must be a string"));
                None
            }
            None => {
                errors.push(FieldError::new("slug", "required", "is required"));
                None
            }
        };
        let expected_version = match fields.remove("version") {
            None => None,
            Some(v) => match v.as_u64() {
                Some(v) => Some(v),
                None => {
                    errors.push(FieldError::new(
                        "version",
                        "wrong_type",
                        "must be a whole number",
                    ));
                    None
                }
            },
        };
        match (kind, slug) {
            (Some(kind), Some(slug)) if errors.is_empty() => Ok(Draft {
                fields,
                kind,
                slug,
                expected_version,
            }),
            _ => Err(DraftError::Invalid(errors)),
        }
    }

    /// A retraction of the logical record (kind, slug).
    pub fn retraction(kind: Kind, slug: &str) -> Self {
        let mut fields = Map::new();
        fields.insert("kind".into(), Value::String(kind.as_str().into()));
        fields.insert("slug".into(), Value::String(slug.into()));
        fields.insert("retracted".into(), Value::Bool(true));
        Draft {
            fields,
            kind,
            slug: slug.to_owned(),
            expected_version: None,
        }
    }

    /// The kind the draft is for.
    pub fn kind(&self) -> &Kind {
        &self.kind
    }

    /// The slug the draft is for.
    pub fn slug(&self) -> &str {
        &self.slug
    }

    /// The content fields, without the header (used to tell whether a re-import changed anything).
    pub fn content(&self) -> &Map<String, Value> {
        &self.fields
    }

    /// The unsigned record: this draft as version `next_version` by `author` at `created_at`.
    pub fn into_unsigned(
        self,
        author: PublicKey,
        next_version: u64,
        created_at: Millis,
    ) -> Result<Value, DraftError> {
        if let Some(given) = self.expected_version
            && given != next_version
        {
            return Err(DraftError::VersionConflict {
                given,
                next: next_version,
            });
        }
        let mut fields = self.fields;
        fields.insert("format".into(), CURRENT_FORMAT.into());
        fields.insert("author".into(), author.to_hex().into());
        fields.insert("version".into(), next_version.into());
        fields.insert("created_at".into(), created_at.into());
        Ok(Value::Object(fields))
    }
}
