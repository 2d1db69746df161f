//! The record store: the node's source of truth.
//!
//! Everything the node knows lives here: records by id, the head of every logical record, the
//! version history, the reconciliation index (creation time, id), an index of trust records by
//! kind, node metadata and hashed API tokens. The search index and the federation's trust state are derived from it and
//! can be rebuilt at any time.
//!
//! Storage sits behind [`RecordStore`] so tests can run on memory and so sled (0.34, still beta)
//! could be replaced without touching the rest of the node. Both implementations apply the same
//! pure head rule from the protocol crate; the store only decides atomically.

mod memory;
mod sled_store;

use std::sync::Arc;

use mosaico_protocol::head::{HeadChange, VersionInfo};
use mosaico_protocol::{Kind, LogicalKey, Millis, PublicKey, Record, RecordId, Verified};
use mosaico_web::Role;

pub use memory::MemoryStore;

/// Every (creation time, id) pair of a store, ascending, shared rather than copied.
pub type ReconciliationItems = Arc<Vec<(Millis, RecordId)>>;
pub use sled_store::SledStore;

/// The on-disk layout version this node writes. A store of a newer version is refused rather than
/// misread; an older one is migrated at open.
pub const SCHEMA_VERSION: u32 = 3;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The storage engine failed (disk full, I/O error, corruption).
    #[error("the record store failed: {0}")]
    Engine(String),
    /// The store was written by a newer version of mosaico.
    #[error(
        "the store at {path} has schema version {found}, this mosaico understands up to {supported}: upgrade mosaico, or restore a backup made by this version"
    )]
    NewerSchema {
        /// Where the store is.
        path: String,
        /// Its schema version.
        found: u32,
        /// Ours.
        supported: u32,
    },
    /// A stored value does not decode: the store is damaged.
    #[error(
        "the store holds a damaged entry ({0}); restore from a backup or rebuild the data directory by catching up from peers"
    )]
    Corrupt(String),
    /// The store is locked by another process.
    #[error(
        "the store at {0} is in use by another process (is a mosaico node already running on this data directory?)"
    )]
    Locked(String),
}

/// The outcome of storing one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inserted {
    /// Whether the record was new to the store (false: it was already there, nothing written).
    pub new: bool,
    /// What it did to its logical record's head.
    pub change: HeadChange,
}

/// The byte a token's [`Role`] is stored as. The store keeps the web crate's `Role` (the one
/// name for what a token allows) and converts only here, so the bytes on disk stay fixed even if
/// the enum is reordered.
fn role_to_byte(role: Role) -> u8 {
    match role {
        Role::Publisher => 1,
        Role::Admin => 2,
    }
}

/// The [`Role`] a stored byte stands for; `None` for a byte no version ever wrote.
fn role_from_byte(byte: u8) -> Option<Role> {
    match byte {
        1 => Some(Role::Publisher),
        2 => Some(Role::Admin),
        _ => None,
    }
}

/// The store's interface. Every write is durable when the call returns.
pub trait RecordStore: Send + Sync + 'static {
    /// Stores a verified record and updates its head, atomically and durably.
    fn insert(&self, record: &Record<Verified>) -> Result<Inserted, StoreError>;
    /// Stores several records with one durable flush (group commit); same per-record outcome as
    /// [`RecordStore::insert`].
    fn insert_batch(&self, records: &[Record<Verified>]) -> Result<Vec<Inserted>, StoreError>;
    /// The wire bytes of a record.
    fn wire(&self, id: &RecordId) -> Result<Option<Vec<u8>>, StoreError>;
    /// Whether the record is stored.
    fn contains(&self, id: &RecordId) -> Result<bool, StoreError>;
    /// The head of a logical record.
    fn head(&self, key: &LogicalKey) -> Result<Option<VersionInfo>, StoreError>;
    /// Every stored version of a logical record, oldest first.
    fn versions(&self, key: &LogicalKey) -> Result<Vec<VersionInfo>, StoreError>;
    /// Every head, in logical-key order.
    fn heads(&self) -> Result<Vec<(LogicalKey, VersionInfo)>, StoreError>;
    /// Ids of every stored version of a trust record (membership updates and endorsements),
    /// which the node replays at start to rebuild the federation's trust state. Content records
    /// are not indexed by kind here: listing them is the search index's work, and each index
    /// entry is a write on the path every record takes in.
    fn trust_record_ids(&self) -> Result<Vec<RecordId>, StoreError>;
    /// Every (creation time, id) pair, ascending: what reconciliation compares between nodes.
    /// Shared, since a node reads it for every round and every message it answers.
    fn reconciliation_items(&self) -> Result<ReconciliationItems, StoreError>;
    /// Number of stored records (all versions).
    fn len(&self) -> Result<u64, StoreError>;
    /// Whether the store holds no record.
    fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len()? == 0)
    }
    /// Bytes on disk (0 for memory).
    fn size_on_disk(&self) -> u64;
    /// Reads a metadata value.
    fn meta(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Writes a metadata value durably.
    fn set_meta(&self, name: &str, value: &[u8]) -> Result<(), StoreError>;
    /// Stores a token's hash with its role.
    fn put_token(&self, token_hash: &[u8; 32], role: Role) -> Result<(), StoreError>;
    /// The role of the token with this hash.
    fn token_role(&self, token_hash: &[u8; 32]) -> Result<Option<Role>, StoreError>;
    /// Removes a token; returns whether it existed.
    fn remove_token(&self, token_hash: &[u8; 32]) -> Result<bool, StoreError>;

    /// A stored record, decoded. The store only ever holds verified records.
    fn record(&self, id: &RecordId) -> Result<Option<Record<Verified>>, StoreError> {
        match self.wire(id)? {
            None => Ok(None),
            Some(bytes) => Record::<Verified>::from_trusted_store(&bytes)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(format!("record {id}: {e}"))),
        }
    }
}

/// Bytes of a logical key: author (32 bytes), kind, a zero byte, slug. Kinds and slugs contain no
/// zero byte, so the encoding is unambiguous and keys of one author sort together.
pub(crate) fn encode_logical_key(key: &LogicalKey) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + 16 + key.slug.len());
    out.extend_from_slice(key.author.as_bytes());
    out.extend_from_slice(key.kind.as_str().as_bytes());
    out.push(0);
    out.extend_from_slice(key.slug.as_bytes());
    out
}

pub(crate) fn decode_logical_key(bytes: &[u8]) -> Result<LogicalKey, StoreError> {
    let corrupt = || StoreError::Corrupt("logical key".into());
    if bytes.len() < 33 {
        return Err(corrupt());
    }
    let mut author = [0u8; 32];
    author.copy_from_slice(&bytes[..32]);
    let rest = &bytes[32..];
    let zero = rest.iter().position(|b| *b == 0).ok_or_else(corrupt)?;
    let kind = std::str::from_utf8(&rest[..zero]).map_err(|_| corrupt())?;
    let slug = std::str::from_utf8(&rest[zero + 1..]).map_err(|_| corrupt())?;
    Ok(LogicalKey {
        author: PublicKey(author),
        kind: Kind::parse(kind).map_err(|_| corrupt())?,
        slug: slug.to_owned(),
    })
}

/// Bytes of a version entry: id, version (big-endian), retracted flag.
pub(crate) fn encode_version(v: &VersionInfo) -> [u8; 41] {
    let mut out = [0u8; 41];
    out[..32].copy_from_slice(v.id.as_bytes());
    out[32..40].copy_from_slice(&v.version.to_be_bytes());
    out[40] = u8::from(v.retracted);
    out
}

pub(crate) fn decode_version(bytes: &[u8]) -> Result<VersionInfo, StoreError> {
    if bytes.len() != 41 {
        return Err(StoreError::Corrupt("version entry".into()));
    }
    let mut id = [0u8; 32];
    id.copy_from_slice(&bytes[..32]);
    let mut version = [0u8; 8];
    version.copy_from_slice(&bytes[32..40]);
    Ok(VersionInfo {
        id: RecordId(id),
        version: u64::from_be_bytes(version),
        retracted: bytes[40] == 1,
    })
}

pub(crate) fn version_info(record: &Record<Verified>) -> VersionInfo {
    VersionInfo {
        id: record.id(),
        version: record.header().version,
        retracted: record.header().retracted,
    }
}

/// A time-ordered index key: creation time (big-endian) then id.
pub(crate) fn time_key(created_at: Millis, id: &RecordId) -> [u8; 40] {
    let mut out = [0u8; 40];
    out[..8].copy_from_slice(&created_at.to_be_bytes());
    out[8..].copy_from_slice(id.as_bytes());
    out
}

pub(crate) fn decode_time_key(bytes: &[u8]) -> Result<(Millis, RecordId), StoreError> {
    if bytes.len() != 40 {
        return Err(StoreError::Corrupt("time index entry".into()));
    }
    let mut time = [0u8; 8];
    time.copy_from_slice(&bytes[..8]);
    let mut id = [0u8; 32];
    id.copy_from_slice(&bytes[8..]);
    Ok((u64::from_be_bytes(time), RecordId(id)))
}

#[cfg(test)]
mod tests;
