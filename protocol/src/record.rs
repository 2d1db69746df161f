//! Signed records: decoding, ids, signing and verification.
//!
//! The type says what has been checked. [`Record::decode`] yields a `Record<Unverified>`: it is
//! well-formed, within the size limit and passes every field rule, but nobody has checked who
//! signed it. Only [`Record::verify`] yields a `Record<Verified>`, and only verified records are
//! accepted by storage and the network.

use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::canonical::{self, JsonError};
use crate::fields::{Body, CURRENT_FORMAT, Header, Millis};
use crate::keys::{PublicKey, RecordId, SecretKey, SignatureBytes};
use crate::validate::{self, FieldError, Limits};
use crate::vocab::Kind;

/// Marker: the record's signatures have not been checked.
#[derive(Debug, Clone, Copy)]
pub enum Unverified {}
/// Marker: the record's signatures and time have been checked.
#[derive(Debug, Clone, Copy)]
pub enum Verified {}

/// One signature in a record's envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// Who signed.
    pub key: PublicKey,
    /// Ed25519 signature over [`RecordId::signed_message`].
    pub signature: SignatureBytes,
}

/// Why a record was refused. Each variant has a stable [`RecordError::code`], used in the test
/// vectors and in the API's problem documents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The wire bytes are larger than any record can be.
    #[error("the record is {bytes} bytes on the wire, at most {limit}")]
    WireTooLarge {
        /// Wire size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// Not strict JSON.
    #[error("{0}")]
    Json(#[from] JsonError),
    /// The envelope is not `{"record": {...}, "signatures": [...]}`.
    #[error("envelope: {0}")]
    Envelope(String),
    /// The canonical unsigned record exceeds the size limit.
    #[error("the record is {bytes} bytes in canonical form, at most {limit}")]
    TooLarge {
        /// Canonical size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// One or more fields break the rules; every problem is listed.
    #[error("{}", FieldError::join(.0))]
    Invalid(Vec<FieldError>),
    /// A signature does not verify.
    #[error(
        "the signature by {key} does not match the record (tampered with, or signed by another key)"
    )]
    BadSignature {
        /// The key the signature claims.
        key: PublicKey,
    },
    /// The author's signature is missing or the signatures are not as the kind requires.
    #[error("signatures: {0}")]
    Signatures(String),
    /// Created too far in the future.
    #[error(
        "created_at is {ahead_ms} ms in the future, at most {limit_ms} ms is tolerated (check the clock)"
    )]
    FromTheFuture {
        /// How far ahead of the verifier's clock.
        ahead_ms: u64,
        /// The tolerance.
        limit_ms: u64,
    },
}

impl RecordError {
    /// A stable machine-readable code for this kind of error.
    pub fn code(&self) -> &'static str {
        match self {
            RecordError::WireTooLarge { .. } | RecordError::TooLarge { .. } => "too_large",
            RecordError::Json(JsonError::DuplicateKey(_)) => "duplicate_key",
            RecordError::Json(JsonError::UnsafeNumber(_)) => "unsafe_number",
            RecordError::Json(JsonError::TooDeep) => "too_deep",
            RecordError::Json(JsonError::Syntax(_)) => "malformed_json",
            RecordError::Envelope(_) => "malformed_envelope",
            RecordError::Invalid(_) => "invalid_field",
            RecordError::BadSignature { .. } => "bad_signature",
            RecordError::Signatures(_) => "wrong_signers",
            RecordError::FromTheFuture { .. } => "future_timestamp",
        }
    }

    /// The field errors, when the record was refused for its fields.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            RecordError::Invalid(errors) => errors,
            _ => &[],
        }
    }
}

/// A signed record whose verification state is `S`.
#[derive(Debug)]
pub struct Record<S> {
    inner: Arc<Inner>,
    _state: PhantomData<S>,
}

impl<S> Clone for Record<S> {
    fn clone(&self) -> Self {
        Record {
            inner: Arc::clone(&self.inner),
            _state: PhantomData,
        }
    }
}

#[derive(Debug)]
struct Inner {
    id: RecordId,
    unsigned: Value,
    /// The wire form, built once: a record is stored and forwarded far more often than built.
    wire: Vec<u8>,
    /// Where the canonical unsigned record sits inside `wire`.
    canonical: std::ops::Range<usize>,
    header: Header,
    body: Body,
    signatures: Vec<Signature>,
}

impl<S> Record<S> {
    /// The record id: SHA-256 of the canonical unsigned record.
    pub fn id(&self) -> RecordId {
        self.inner.id
    }
    /// The fields common to every format.
    pub fn header(&self) -> &Header {
        &self.inner.header
    }
    /// The content fields. Empty for records of a newer format than this node understands.
    pub fn body(&self) -> &Body {
        &self.inner.body
    }
    /// The unsigned record as JSON, including fields this node does not know.
    pub fn unsigned(&self) -> &Value {
        &self.inner.unsigned
    }
    /// The canonical bytes of the unsigned record (what the id hashes).
    pub fn canonical(&self) -> &[u8] {
        &self.inner.wire[self.inner.canonical.clone()]
    }
    /// The envelope's signatures.
    pub fn signatures(&self) -> &[Signature] {
        &self.inner.signatures
    }
    /// The logical record this is a version of.
    pub fn logical_key(&self) -> LogicalKey {
        let h = self.header();
        LogicalKey {
            author: h.author,
            kind: h.kind.clone(),
            slug: h.slug.clone(),
        }
    }
    /// Whether this node's format fully covers the record.
    pub fn is_understood(&self) -> bool {
        self.header().format <= CURRENT_FORMAT
    }
    /// The wire form: canonical JSON of `{"record": …, "signatures": […]}`. Canonical, so the
    /// same record always has the same wire bytes whoever encodes it.
    pub fn to_wire(&self) -> Vec<u8> {
        self.inner.wire.clone()
    }

    /// The wire form, borrowed.
    pub fn wire(&self) -> &[u8] {
        &self.inner.wire
    }
}

/// The identity of a logical record across its versions: (author, kind, slug).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LogicalKey {
    /// The publishing key.
    pub author: PublicKey,
    /// The kind.
    pub kind: Kind,
    /// The author's slug.
    pub slug: String,
}

impl std::fmt::Display for LogicalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.author, self.kind, self.slug)
    }
}

impl Record<Unverified> {
    /// Decodes wire bytes: strict JSON, envelope shape, size, field types and every field rule
    /// (all problems are reported together). Signatures are not checked yet.
    pub fn decode(bytes: &[u8]) -> Result<Self, RecordError> {
        if bytes.len() > Limits::MAX_WIRE_BYTES {
            return Err(RecordError::WireTooLarge {
                bytes: bytes.len(),
                limit: Limits::MAX_WIRE_BYTES,
            });
        }
        let envelope = canonical::parse_strict(bytes)?;
        let Value::Object(mut envelope) = envelope else {
            return Err(RecordError::Envelope("expected a JSON object".into()));
        };
        if let Some(unknown) = envelope
            .keys()
            .find(|k| *k != "record" && *k != "signatures")
        {
            return Err(RecordError::Envelope(format!(
                "unknown member \"{unknown}\" (only \"record\" and \"signatures\")"
            )));
        }
        let unsigned = envelope
            .remove("record")
            .ok_or_else(|| RecordError::Envelope("missing \"record\"".into()))?;
        let signatures = envelope
            .remove("signatures")
            .ok_or_else(|| RecordError::Envelope("missing \"signatures\"".into()))?;
        let signatures: Vec<Signature> = serde_json::from_value(signatures)
            .map_err(|e| RecordError::Envelope(format!("signatures: {e}")))?;
        if signatures.len() > Limits::MAX_SIGNATURES {
            return Err(RecordError::Envelope(format!(
                "{} signatures, at most {}",
                signatures.len(),
                Limits::MAX_SIGNATURES
            )));
        }
        Self::from_unsigned(unsigned, signatures)
    }

    fn from_unsigned(unsigned: Value, signatures: Vec<Signature>) -> Result<Self, RecordError> {
        let (canonical, header, body) = check_unsigned(&unsigned)?;
        let (wire, range) = envelope(&canonical, &signatures);
        Ok(Record {
            inner: Arc::new(Inner {
                id: RecordId::of_canonical(&canonical),
                unsigned,
                wire,
                canonical: range,
                header,
                body,
                signatures,
            }),
            _state: PhantomData,
        })
    }

    /// Checks the signatures and the creation time against `now`.
    ///
    /// Content, endorsement and retraction records need exactly one signature, the author's.
    /// Membership records carry the author's signature plus co-signatures; every one must verify
    /// here, and whether there are enough of the right keys is the trust layer's question.
    pub fn verify(self, now: Millis) -> Result<Record<Verified>, RecordError> {
        let header = self.header();
        let ahead_ms = header.created_at.saturating_sub(now);
        if ahead_ms > Limits::MAX_CLOCK_SKEW_MS {
            return Err(RecordError::FromTheFuture {
                ahead_ms,
                limit_ms: Limits::MAX_CLOCK_SKEW_MS,
            });
        }
        let signatures = self.signatures();
        let is_genesis = header.kind == Kind::Membership && header.version == 1;
        if !is_genesis && !signatures.iter().any(|s| s.key == header.author) {
            return Err(RecordError::Signatures(format!(
                "no signature by the author {}",
                header.author
            )));
        }
        if header.kind != Kind::Membership && signatures.len() != 1 {
            return Err(RecordError::Signatures(format!(
                "a {} record carries exactly one signature, the author's; found {}",
                header.kind,
                signatures.len()
            )));
        }
        let mut seen = std::collections::BTreeSet::new();
        let message = self.id().signed_message();
        for signature in signatures {
            if !seen.insert(signature.key) {
                return Err(RecordError::Signatures(format!(
                    "{} signed twice",
                    signature.key
                )));
            }
            if !signature.key.verify_strict(&message, &signature.signature) {
                return Err(RecordError::BadSignature { key: signature.key });
            }
        }
        Ok(Record {
            inner: self.inner,
            _state: PhantomData,
        })
    }
}

impl Record<Verified> {
    /// Builds and signs a record from its unsigned JSON. The JSON must already carry every header
    /// field (see [`Draft`](crate::draft::Draft) for filling them in).
    pub fn sign(unsigned: Value, secret: &SecretKey) -> Result<Self, RecordError> {
        Self::sign_with(unsigned, &[secret])
    }

    /// Builds a record signed by several keys (membership updates and their co-signers).
    pub fn sign_with(unsigned: Value, secrets: &[&SecretKey]) -> Result<Self, RecordError> {
        // Depth 1: the record is checked as it will sit in its envelope, so a node never signs a
        // record that it (or any other node) would refuse to decode.
        canonical::check_strict_at(&unsigned, 1)?;
        let (canonical, header, body) = check_unsigned(&unsigned)?;
        let id = RecordId::of_canonical(&canonical);
        let signatures: Vec<Signature> = secrets
            .iter()
            .map(|secret| Signature {
                key: secret.public_key(),
                signature: secret.sign_id(&id),
            })
            .collect();
        let (wire, range) = envelope(&canonical, &signatures);
        Ok(Record {
            inner: Arc::new(Inner {
                id,
                unsigned,
                wire,
                canonical: range,
                header,
                body,
                signatures,
            }),
            _state: PhantomData,
        })
    }

    /// Adds co-signatures to a verified record (a membership update gathering its threshold).
    pub fn cosign(&self, secret: &SecretKey) -> Self {
        let mut signatures = self.inner.signatures.clone();
        if !signatures.iter().any(|s| s.key == secret.public_key()) {
            signatures.push(Signature {
                key: secret.public_key(),
                signature: secret.sign_id(&self.id()),
            });
        }
        let (wire, range) = envelope(self.canonical(), &signatures);
        Record {
            inner: Arc::new(Inner {
                id: self.inner.id,
                unsigned: self.inner.unsigned.clone(),
                wire,
                canonical: range,
                header: self.inner.header.clone(),
                body: self.inner.body.clone(),
                signatures,
            }),
            _state: PhantomData,
        }
    }

    /// Re-reads a record from this node's own store, which only ever holds verified records.
    /// Skips the signature check (it was made before the record was stored) but still decodes
    /// strictly, so a corrupted store is an error rather than a wrong record.
    pub fn from_trusted_store(bytes: &[u8]) -> Result<Self, RecordError> {
        let record = Record::<Unverified>::decode(bytes)?;
        Ok(Record {
            inner: record.inner,
            _state: PhantomData,
        })
    }

    /// Forgets that the record was verified (for tests that must send it back through checks).
    pub fn into_unverified(self) -> Record<Unverified> {
        Record {
            inner: self.inner,
            _state: PhantomData,
        }
    }
}

/// The wire form of a record with these canonical unsigned bytes and signatures, and where the
/// unsigned record sits in it. Canonical JSON sorts members by name and the unsigned record is
/// itself canonical, so this equals the canonical form of the whole envelope: `"record"` sorts
/// before `"signatures"`.
fn envelope(canonical: &[u8], signatures: &[Signature]) -> (Vec<u8>, std::ops::Range<usize>) {
    const HEAD: &[u8] = b"{\"record\":";
    const MIDDLE: &[u8] = b",\"signatures\":";
    // Serializing our own plain structs to a Value cannot fail.
    let signatures =
        canonical::canonical_bytes(&serde_json::to_value(signatures).unwrap_or_default());
    let mut wire =
        Vec::with_capacity(HEAD.len() + canonical.len() + MIDDLE.len() + signatures.len() + 1);
    wire.extend_from_slice(HEAD);
    wire.extend_from_slice(canonical);
    let range = HEAD.len()..wire.len();
    wire.extend_from_slice(MIDDLE);
    wire.extend_from_slice(&signatures);
    wire.push(b'}');
    (wire, range)
}

/// Canonicalizes, size-checks, and reads the typed header and body of an unsigned record,
/// collecting every field problem.
fn check_unsigned(unsigned: &Value) -> Result<(Vec<u8>, Header, Body), RecordError> {
    let Value::Object(fields) = unsigned else {
        return Err(RecordError::Envelope(
            "\"record\" must be a JSON object".into(),
        ));
    };
    let canonical = canonical::canonical_bytes(unsigned);
    if canonical.len() > Limits::MAX_CANONICAL_BYTES {
        return Err(RecordError::TooLarge {
            bytes: canonical.len(),
            limit: Limits::MAX_CANONICAL_BYTES,
        });
    }
    let mut errors = Vec::new();
    let header = read_header(fields, &mut errors);
    let understood = header.as_ref().is_none_or(|h| h.format <= CURRENT_FORMAT);
    let body = if understood {
        read_body(fields, &mut errors)
    } else {
        // A newer format may have changed what the content fields mean; the header is frozen
        // across formats, so the record can still be verified, stored and forwarded unaltered.
        Body::default()
    };
    if let Some(header) = &header {
        errors.extend(validate::validate(header, &body, understood));
    }
    match header {
        Some(header) if errors.is_empty() => Ok((canonical, header, body)),
        _ => Err(RecordError::Invalid(errors)),
    }
}

fn read_field<T: DeserializeOwned>(
    fields: &Map<String, Value>,
    name: &str,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    let value = fields.get(name)?;
    // The plain read is the fast path; only a failure is read again, with path tracking, to name
    // the exact place (`links[2].url`) in the error.
    if let Ok(v) = T::deserialize(value) {
        return Some(v);
    }
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(v) => Some(v),
        Err(e) => {
            let path = e.path().to_string();
            // serde_path_to_error writes a list index as `[2]`, which joins without a dot.
            let field = if path == "." {
                name.to_string()
            } else if path.starts_with('[') {
                format!("{name}{path}")
            } else {
                format!("{name}.{path}")
            };
            errors.push(FieldError::new(
                field,
                "wrong_type",
                e.into_inner().to_string(),
            ));
            None
        }
    }
}

fn required<T: DeserializeOwned>(
    fields: &Map<String, Value>,
    name: &str,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    if !fields.contains_key(name) {
        errors.push(FieldError::new(name, "required", "is required"));
        return None;
    }
    read_field(fields, name, errors)
}

fn read_header(fields: &Map<String, Value>, errors: &mut Vec<FieldError>) -> Option<Header> {
    let format = required(fields, "format", errors);
    let kind = required(fields, "kind", errors);
    let author = required(fields, "author", errors);
    let slug = required(fields, "slug", errors);
    let version = required(fields, "version", errors);
    let created_at = required(fields, "created_at", errors);
    let retracted = read_field(fields, "retracted", errors).unwrap_or(false);
    Some(Header {
        format: format?,
        kind: kind?,
        author: author?,
        slug: slug?,
        version: version?,
        created_at: created_at?,
        retracted,
    })
}

fn read_body(fields: &Map<String, Value>, errors: &mut Vec<FieldError>) -> Body {
    macro_rules! body {
        ($($name:ident),+ $(,)?) => {
            Body { $( $name: read_field(fields, stringify!($name), errors).unwrap_or_default(), )+ }
        };
    }
    body!(
        title,
        summary,
        description,
        organisation,
        country,
        nuts,
        themes,
        technologies,
        status,
        links,
        contacts,
        licence,
        tags,
        case_study,
        solution,
        membership,
        endorsement,
    )
}
