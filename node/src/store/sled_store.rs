//! The sled implementation of [`RecordStore`].
//!
//! One sled database per data directory, with one tree per concern. A record and all its index
//! entries are written in one multi-tree transaction, then the database is flushed before the
//! call returns, so an acknowledged record survives `kill -9` and nothing is ever half-stored.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use mosaico_protocol::head::{self, VersionInfo};
use mosaico_protocol::{Kind, LogicalKey, Millis, Record, RecordId, Verified};
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};

use super::{
    Inserted, ReconciliationItems, RecordStore, SCHEMA_VERSION, StoreError, TokenRole,
    decode_logical_key, decode_time_key, decode_version, encode_logical_key, encode_version,
    time_key, version_info,
};

/// Bytes of sled's own page cache, as sled counts them (the nodes it keeps in memory take more).
/// Reads beyond it come from the operating system's file cache; at 100,000 records, 64 MiB kept
/// about 20 MB more of the node's memory resident without serving records any faster.
const STORE_CACHE_BYTES: u64 = 32 * 1024 * 1024;

/// Records and indexes in a sled database on disk.
#[derive(Debug, Clone)]
pub struct SledStore {
    db: sled::Db,
    /// id → wire bytes.
    records: sled::Tree,
    /// logical key → head version entry.
    heads: sled::Tree,
    /// logical key ‖ version ‖ id → version entry (history).
    versions: sled::Tree,
    /// created_at ‖ id → () (the reconciliation index).
    by_time: sled::Tree,
    /// kind ‖ 0 ‖ created_at ‖ id → (), for trust records only. Stores written before 0.1's
    /// ingest work also hold entries of content kinds here; nothing reads them.
    by_kind: sled::Tree,
    /// name → value.
    meta: sled::Tree,
    /// SHA-256(token) → role byte.
    tokens: sled::Tree,
    /// What would otherwise cost a walk over a whole tree on every call.
    derived: Arc<Derived>,
}

/// State derived from the trees and kept in memory. sled counts a tree by walking it, and
/// reconciliation reads every (time, id) pair on each round and each message it answers; at
/// 100,000 records those walks took a fifth of a catching-up node's time (polled status, and
/// peers reconciling with it).
#[derive(Debug)]
struct Derived {
    /// Records stored: counted once at open, then grown by each committed write.
    count: AtomicU64,
    /// The reconciliation items, built on first use and then kept in step by every write.
    /// Writers take the lock after their transaction commits, and the first build holds it
    /// while it walks the tree, so no committed record can be left out.
    reconciliation: Mutex<ReconciliationCache>,
}

/// The reconciliation items as last read, and the items committed since.
///
/// A large catch-up commits a chunk of records every few milliseconds, while the items are read
/// only when a round starts or a peer reconciles with this node. Merging on read, rather than
/// re-sorting every item on every commit (a few percent of a catching-up node's time at 100,000
/// records), keeps the cost of a commit independent of the store's size.
#[derive(Debug, Default)]
struct ReconciliationCache {
    /// `None` until first read.
    items: Option<ReconciliationItems>,
    /// Committed since `items` was last brought up to date; unordered, may repeat items.
    unmerged: Vec<(Millis, RecordId)>,
}

impl ReconciliationCache {
    /// The items, with everything committed so far merged in.
    fn current(&mut self) -> Option<ReconciliationItems> {
        let items = self.items.as_mut()?;
        if !self.unmerged.is_empty() {
            let mut merged = Vec::with_capacity(items.len() + self.unmerged.len());
            merged.extend_from_slice(items);
            merged.append(&mut self.unmerged);
            // The stable sort finds the sorted run already held, sorts the few items after it
            // and merges the two in linear time; a record the first read of the tree saw may
            // also be reported by the write that stored it, hence the dedup.
            merged.sort();
            merged.dedup();
            *items = Arc::new(merged);
        }
        Some(Arc::clone(items))
    }
}

fn engine(e: sled::Error) -> StoreError {
    StoreError::Engine(e.to_string())
}

impl SledStore {
    /// Opens (or creates) the store under `path`, checking its schema version.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = sled::Config::new()
            .path(path)
            // Durability comes from the explicit flush after each write, not from a timer.
            .flush_every_ms(None)
            // sled's default page cache is 1 GiB, which a regional server should not have to
            // give; reads beyond this come from the operating system's file cache.
            .cache_capacity(STORE_CACHE_BYTES)
            .open()
            .map_err(|e| match e {
                sled::Error::Io(io) if io.kind() == std::io::ErrorKind::WouldBlock => {
                    StoreError::Locked(path.display().to_string())
                }
                sled::Error::Io(io) if io.to_string().contains("lock") => {
                    StoreError::Locked(path.display().to_string())
                }
                other => engine(other),
            })?;
        let tree = |name: &str| db.open_tree(name).map_err(engine);
        // Stores written before 0.1's ingest work kept an index by author that nothing read;
        // its space is given back.
        db.drop_tree("by_author").map_err(engine)?;
        let store = SledStore {
            records: tree("records")?,
            heads: tree("heads")?,
            versions: tree("versions")?,
            by_time: tree("by_time")?,
            by_kind: tree("by_kind")?,
            meta: tree("meta")?,
            tokens: tree("tokens")?,
            db,
            derived: Arc::new(Derived {
                count: AtomicU64::new(0),
                reconciliation: Mutex::new(ReconciliationCache::default()),
            }),
        };
        store
            .derived
            .count
            .store(store.records.len() as u64, Ordering::SeqCst);
        match store.meta.get("schema_version").map_err(engine)? {
            None => {
                store
                    .meta
                    .insert("schema_version", &SCHEMA_VERSION.to_be_bytes())
                    .map_err(engine)?;
                store.flush()?;
            }
            Some(bytes) => {
                let found = <[u8; 4]>::try_from(bytes.as_ref())
                    .map(u32::from_be_bytes)
                    .map_err(|_| StoreError::Corrupt("schema version".into()))?;
                if found > SCHEMA_VERSION {
                    return Err(StoreError::NewerSchema {
                        path: path.display().to_string(),
                        found,
                        supported: SCHEMA_VERSION,
                    });
                }
            }
        }
        Ok(store)
    }

    /// The sled database itself, for tests that lay out what older versions wrote.
    #[cfg(test)]
    pub(super) fn raw_db(&self) -> &sled::Db {
        &self.db
    }

    fn reconciliation_cache(&self) -> MutexGuard<'_, ReconciliationCache> {
        // The cache is rebuilt from the tree if a panic left it in doubt.
        self.derived
            .reconciliation
            .lock()
            .unwrap_or_else(|poisoned| {
                let mut guard = poisoned.into_inner();
                *guard = ReconciliationCache::default();
                guard
            })
    }

    /// Brings the in-memory state up to date with records a transaction just committed.
    fn committed(&self, batch: &[Record<Verified>], outcomes: &[Inserted]) {
        let added: Vec<(Millis, RecordId)> = batch
            .iter()
            .zip(outcomes)
            .filter(|(_, inserted)| inserted.new)
            .map(|(record, _)| (record.header().created_at, record.id()))
            .collect();
        if added.is_empty() {
            return;
        }
        self.derived
            .count
            .fetch_add(added.len() as u64, Ordering::SeqCst);
        let mut cache = self.reconciliation_cache();
        // Before the first read there is nothing to keep in step: that read walks the tree.
        if cache.items.is_some() {
            cache.unmerged.extend(added);
        }
    }

    pub(super) fn read_reconciliation_items(&self) -> Result<Vec<(Millis, RecordId)>, StoreError> {
        self.by_time
            .iter()
            .map(|entry| decode_time_key(&entry.map_err(engine)?.0))
            .collect()
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map(|_| ()).map_err(engine)
    }

    /// Writes records and their index entries in one transaction, without flushing: all of
    /// them or none. Records are applied in order, so a later version in the batch sees the head
    /// an earlier one set.
    fn write(&self, batch: &[Record<Verified>]) -> Result<Vec<Inserted>, StoreError> {
        let prepared: Vec<PreparedWrite<'_>> = batch.iter().map(PreparedWrite::of).collect();
        let result = (
            &self.records,
            &self.heads,
            &self.versions,
            &self.by_time,
            &self.by_kind,
        )
            .transaction(|(records, heads, versions, by_time, by_kind)| {
                let mut outcomes = Vec::with_capacity(prepared.len());
                for p in &prepared {
                    if records.get(p.id.as_bytes())?.is_some() {
                        outcomes.push(Inserted {
                            new: false,
                            change: head::HeadChange::Duplicate,
                        });
                        continue;
                    }
                    let current = match heads.get(&p.key)? {
                        Some(bytes) => Some(
                            decode_version(&bytes).map_err(ConflictableTransactionError::Abort)?,
                        ),
                        None => None,
                    };
                    let change = head::decide(current.as_ref(), &p.incoming);
                    let version = encode_version(&p.incoming);
                    records.insert(p.id.as_bytes(), p.wire)?;
                    versions.insert(p.history_key.as_slice(), version.as_slice())?;
                    by_time.insert(p.by_time_key.as_slice(), &[])?;
                    if let Some(trust_key) = &p.trust_key {
                        by_kind.insert(trust_key.as_slice(), &[])?;
                    }
                    if change.is_new_head(&p.incoming) {
                        heads.insert(p.key.as_slice(), version.as_slice())?;
                    }
                    outcomes.push(Inserted { new: true, change });
                }
                Ok(outcomes)
            });
        result.map_err(|e| match e {
            TransactionError::Abort(e) => e,
            TransactionError::Storage(e) => engine(e),
        })
    }

    fn ids_with_prefix(
        &self,
        tree: &sled::Tree,
        prefix: &[u8],
    ) -> Result<Vec<RecordId>, StoreError> {
        let mut ids = Vec::new();
        for entry in tree.scan_prefix(prefix).rev() {
            let (key, _) = entry.map_err(engine)?;
            let tail = key
                .get(key.len().saturating_sub(32)..)
                .filter(|t| t.len() == 32)
                .ok_or_else(|| StoreError::Corrupt("index entry".into()))?;
            let mut id = [0u8; 32];
            id.copy_from_slice(tail);
            ids.push(RecordId(id));
        }
        Ok(ids)
    }
}

impl RecordStore for SledStore {
    fn insert(&self, record: &Record<Verified>) -> Result<Inserted, StoreError> {
        let outcomes = self.insert_batch(std::slice::from_ref(record))?;
        outcomes
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::Engine("a write of one record reported nothing".into()))
    }

    fn insert_batch(&self, records: &[Record<Verified>]) -> Result<Vec<Inserted>, StoreError> {
        let outcomes = self.write(records)?;
        // Committed, so readers may see these records from now on, durable or not yet.
        self.committed(records, &outcomes);
        if outcomes.iter().any(|o| o.new) {
            self.flush()?;
        }
        Ok(outcomes)
    }

    fn wire(&self, id: &RecordId) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .records
            .get(id.as_bytes())
            .map_err(engine)?
            .map(|v| v.to_vec()))
    }

    fn contains(&self, id: &RecordId) -> Result<bool, StoreError> {
        self.records.contains_key(id.as_bytes()).map_err(engine)
    }

    fn head(&self, key: &LogicalKey) -> Result<Option<VersionInfo>, StoreError> {
        match self.heads.get(encode_logical_key(key)).map_err(engine)? {
            None => Ok(None),
            Some(bytes) => decode_version(&bytes).map(Some),
        }
    }

    fn versions(&self, key: &LogicalKey) -> Result<Vec<VersionInfo>, StoreError> {
        let prefix = encode_logical_key(key);
        let mut out = Vec::new();
        for entry in self.versions.scan_prefix(&prefix) {
            let (k, v) = entry.map_err(engine)?;
            // The prefix of `a/kind/slug` also matches `a/kind/slug-2`; only exact keys count.
            if k.len() == prefix.len() + 8 + 32 {
                out.push(decode_version(&v)?);
            }
        }
        Ok(out)
    }

    fn heads(&self) -> Result<Vec<(LogicalKey, VersionInfo)>, StoreError> {
        self.heads
            .iter()
            .map(|entry| {
                let (k, v) = entry.map_err(engine)?;
                Ok((decode_logical_key(&k)?, decode_version(&v)?))
            })
            .collect()
    }

    fn trust_record_ids(&self) -> Result<Vec<RecordId>, StoreError> {
        let mut ids = Vec::new();
        for kind in Kind::TRUST {
            ids.extend(self.ids_with_prefix(&self.by_kind, &kind_prefix(kind))?);
        }
        Ok(ids)
    }

    fn reconciliation_items(&self) -> Result<ReconciliationItems, StoreError> {
        let mut cache = self.reconciliation_cache();
        if let Some(items) = cache.current() {
            return Ok(items);
        }
        let items = Arc::new(self.read_reconciliation_items()?);
        cache.items = Some(Arc::clone(&items));
        cache.unmerged.clear();
        Ok(items)
    }

    fn len(&self) -> Result<u64, StoreError> {
        Ok(self.derived.count.load(Ordering::SeqCst))
    }

    fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }

    fn meta(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.meta.get(name).map_err(engine)?.map(|v| v.to_vec()))
    }

    fn set_meta(&self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        self.meta.insert(name, value).map_err(engine)?;
        self.flush()
    }

    fn put_token(&self, token_hash: &[u8; 32], role: TokenRole) -> Result<(), StoreError> {
        self.tokens
            .insert(token_hash, &[role.as_byte()])
            .map_err(engine)?;
        self.flush()
    }

    fn token_role(&self, token_hash: &[u8; 32]) -> Result<Option<TokenRole>, StoreError> {
        Ok(self
            .tokens
            .get(token_hash)
            .map_err(engine)?
            .and_then(|v| v.first().copied().and_then(TokenRole::from_byte)))
    }

    fn remove_token(&self, token_hash: &[u8; 32]) -> Result<bool, StoreError> {
        let existed = self.tokens.remove(token_hash).map_err(engine)?.is_some();
        self.flush()?;
        Ok(existed)
    }
}

/// The start of every kind index entry of `kind`.
fn kind_prefix(kind: &Kind) -> Vec<u8> {
    let mut prefix = kind.as_str().as_bytes().to_vec();
    prefix.push(0);
    prefix
}

/// The keys and values of one record's write, computed outside the transaction (which sled may
/// retry on conflict).
struct PreparedWrite<'a> {
    id: RecordId,
    key: Vec<u8>,
    incoming: mosaico_protocol::head::VersionInfo,
    wire: &'a [u8],
    history_key: Vec<u8>,
    /// The kind index entry, for trust records only.
    trust_key: Option<Vec<u8>>,
    by_time_key: [u8; 40],
}

impl<'a> PreparedWrite<'a> {
    fn of(record: &'a Record<Verified>) -> Self {
        let id = record.id();
        let header = record.header();
        let key = encode_logical_key(&record.logical_key());
        let mut history_key = key.clone();
        history_key.extend_from_slice(&header.version.to_be_bytes());
        history_key.extend_from_slice(id.as_bytes());
        let trust_key = (!header.kind.is_content()).then(|| {
            let mut key = kind_prefix(&header.kind);
            key.extend_from_slice(&time_key(header.created_at, &id));
            key
        });
        PreparedWrite {
            id,
            key,
            incoming: version_info(record),
            wire: record.wire(),
            history_key,
            trust_key,
            by_time_key: time_key(header.created_at, &id),
        }
    }
}
