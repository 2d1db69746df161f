//! The sled implementation of [`RecordStore`].
//!
//! One sled database per data directory. Records and every index on them share one tree, each
//! concern under its own first byte, so that a chunk of records and all their index entries are
//! written with one atomic sled batch; the database is then flushed before the call returns, so
//! an acknowledged record survives `kill -9` and nothing is ever half-stored. Metadata and tokens,
//! written on their own, have trees of their own.
//!
//! Schema 1 kept each concern in its own tree and wrote them in a sled transaction. sled's
//! transactions read every key before writing it (to return the old value, which nothing here
//! used), which made each record cost ten tree descents instead of six; a catching-up node spent
//! about a tenth of its time on them. Schema 2 put every concern in one tree.
//!
//! Schema 3 writes two keys per content record where schema 2 wrote four: the record, and one
//! history entry that carries the record's version entry and creation time. Schema 2's head
//! section (the head rule is applied to a logical record's history entries instead) and time
//! section (the reconciliation items, now read from the history at open and sorted) are gone.
//! Each key a record adds lands on another leaf of the tree, which sled rewrites whole every few
//! writes; a catching-up node spent about 35 µs in sled per record stored instead of 60, and
//! caught up about a fifth faster (docs/benchmarks.md, "Catch-up"). Opening an older store moves
//! its entries over once.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use mosaico_protocol::head::{self, VersionInfo};
use mosaico_protocol::{Kind, LogicalKey, Millis, Record, RecordId, Verified};
use mosaico_web::Role;

use super::{
    Inserted, ReconciliationItems, RecordStore, SCHEMA_VERSION, StoreError, decode_logical_key,
    decode_time_key, decode_version, encode_logical_key, encode_version, role_from_byte,
    role_to_byte, time_key, version_info,
};

/// Bytes of sled's own page cache, as sled counts them (the nodes it keeps in memory take more).
/// Reads beyond it come from the operating system's file cache; at 100,000 records, 64 MiB kept
/// about 20 MB more of the node's memory resident without serving records any faster.
const STORE_CACHE_BYTES: u64 = 32 * 1024 * 1024;

/// The tree of records and their indexes.
pub(super) const RECORDS_AND_INDEXES: &str = "records_and_indexes";

/// The first byte of each kind of entry in [`RECORDS_AND_INDEXES`].
pub(super) mod section {
    /// id → wire bytes.
    pub const RECORD: u8 = b'r';
    /// logical key ‖ 0 ‖ version ‖ id → version entry ‖ created_at: every version of every
    /// logical record, from which its head, its history and the reconciliation items are read.
    pub const HISTORY: u8 = b'l';
    /// kind ‖ 0 ‖ created_at ‖ id → (), for trust records only.
    pub const TRUST: u8 = b'k';
}

/// The sections of schema 2 that schema 3 folded into [`section::HISTORY`].
pub(super) mod schema_2_section {
    /// logical key → head version entry.
    pub const HEAD: u8 = b'h';
    /// logical key ‖ version ‖ id → version entry.
    pub const VERSION: u8 = b'v';
    /// created_at ‖ id → ().
    pub const TIME: u8 = b't';
}

/// The trees of schema 1, each holding what became one section of schema 2, and a tree of an
/// index that stores written before 0.1's ingest work kept and nothing read.
pub(super) const SCHEMA_1_TREES: [(&str, Option<u8>); 6] = [
    ("records", Some(section::RECORD)),
    ("heads", Some(schema_2_section::HEAD)),
    ("versions", Some(schema_2_section::VERSION)),
    ("by_time", Some(schema_2_section::TIME)),
    ("by_kind", Some(section::TRUST)),
    ("by_author", None),
];

/// Entries moved per sled batch when an older store is opened. Tests move a handful of records,
/// so there the batches are small enough that a move is applied in several of them while it
/// walks the old entries.
const MIGRATION_BATCH: usize = if cfg!(test) { 3 } else { 4096 };

/// `section` followed by `key`.
fn sectioned(section: u8, key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + key.len());
    out.push(section);
    out.extend_from_slice(key);
    out
}

/// Records and indexes in a sled database on disk.
#[derive(Debug, Clone)]
pub struct SledStore {
    db: sled::Db,
    /// Records and every index on them, one section per concern (see [`section`]).
    data: sled::Tree,
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
    /// The reconciliation items, built at open (and again on the next read if a panic left them
    /// in doubt), then kept in step by every write. Writers take the lock after their batch is
    /// applied, and a rebuild holds it while it walks the tree, so no committed record can be
    /// left out.
    reconciliation: Mutex<ReconciliationCache>,
    /// Held by the one writer of records at a time. A write reads whether each record is
    /// already stored and what its logical record's head is, then applies a batch decided from
    /// those reads; a second writer in between would make them stale.
    writer: Mutex<HeadFilter>,
}

/// Which logical records may have a head: the hashes of the history prefix of every logical
/// record with a version in the store, and perhaps a few more. A logical record whose hash is
/// absent has no head, so storing its first version, which is nearly every record of a large
/// catch-up, needs no read of the history.
///
/// It must never miss a logical record that is stored (a new version would then be taken for
/// the first without being compared), so it is filled from the tree at open and a hash is added
/// before the batch that writes the version is applied; a failed batch only leaves a hash that
/// costs a read. 10 to 20 bytes per logical record in memory.
#[derive(Debug, Default)]
struct HeadFilter {
    hashes: HashSet<u64>,
}

impl HeadFilter {
    fn hash(history_prefix: &[u8]) -> u64 {
        // Any fixed hash will do: a collision only costs a read.
        let mut hasher = std::hash::DefaultHasher::new();
        history_prefix.hash(&mut hasher);
        hasher.finish()
    }

    fn may_have_head(&self, history_prefix: &[u8]) -> bool {
        self.hashes.contains(&Self::hash(history_prefix))
    }

    fn note(&mut self, history_prefix: &[u8]) {
        self.hashes.insert(Self::hash(history_prefix));
    }
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
    /// Opens (or creates) the store under `path`, checking its schema version and moving a
    /// schema 1 store to the current layout.
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
        let store = SledStore {
            data: tree(RECORDS_AND_INDEXES)?,
            meta: tree("meta")?,
            tokens: tree("tokens")?,
            db,
            derived: Arc::new(Derived {
                count: AtomicU64::new(0),
                reconciliation: Mutex::new(ReconciliationCache::default()),
                writer: Mutex::new(HeadFilter::default()),
            }),
        };
        let found = match store.meta.get("schema_version").map_err(engine)? {
            None => None,
            Some(bytes) => Some(
                <[u8; 4]>::try_from(bytes.as_ref())
                    .map(u32::from_be_bytes)
                    .map_err(|_| StoreError::Corrupt("schema version".into()))?,
            ),
        };
        match found {
            Some(found) if found > SCHEMA_VERSION => {
                return Err(StoreError::NewerSchema {
                    path: path.display().to_string(),
                    found,
                    supported: SCHEMA_VERSION,
                });
            }
            Some(found @ (1 | 2)) => {
                tracing::info!(
                    store = %path.display(),
                    "moving the store from schema {found} to schema {SCHEMA_VERSION}, once, before the node starts"
                );
                if found == 1 {
                    store.migrate_from_schema_1()?;
                }
                store.migrate_from_schema_2()?;
                tracing::info!(store = %path.display(), "the store is at schema {SCHEMA_VERSION}");
            }
            Some(_) => {}
            None => store.set_meta("schema_version", &SCHEMA_VERSION.to_be_bytes())?,
        }
        // A migration that stopped after writing the new version, before giving back the old
        // trees, finishes here.
        store.drop_schema_1_trees()?;
        // Reconciliation reads every (time, id) pair as soon as the node meets a peer, the
        // count is their number, and the head filter needs every logical record: one walk of
        // the history gives all three.
        let items = {
            let mut filter = store.writer();
            store.read_history(|history_prefix| filter.note(history_prefix))?
        };
        store
            .derived
            .count
            .store(items.len() as u64, Ordering::SeqCst);
        store.reconciliation_cache().items = Some(Arc::new(items));
        Ok(store)
    }

    /// Moves every entry of a schema 1 store into its section of schema 2's one tree, then
    /// records version 2 (the old trees are dropped once the move to schema 3 is done too),
    /// flushing between the steps. If the process stops part-way, the store still says schema 1
    /// and the next open moves everything again: writing an entry that is already there changes
    /// nothing.
    fn migrate_from_schema_1(&self) -> Result<(), StoreError> {
        let names = self.db.tree_names();
        let trust_prefixes: Vec<Vec<u8>> = Kind::TRUST.iter().map(kind_prefix).collect();
        for (name, into) in SCHEMA_1_TREES {
            let Some(into) = into else { continue };
            if !names.iter().any(|n| n.as_ref() == name.as_bytes()) {
                continue;
            }
            let old = self.db.open_tree(name).map_err(engine)?;
            let mut writes = MigrationWrites::new(&self.data);
            for entry in old.iter() {
                let (key, value) = entry.map_err(engine)?;
                // Stores written before 0.1's ingest work also indexed content records by
                // kind; nothing reads those entries, so they are not carried over.
                if into == section::TRUST && !trust_prefixes.iter().any(|p| key.starts_with(p)) {
                    continue;
                }
                writes.entry(|batch| batch.insert(sectioned(into, &key), value))?;
            }
            writes.finish()?;
        }
        self.flush()?;
        self.set_meta("schema_version", &2u32.to_be_bytes())
    }

    /// Moves each schema 2 version entry into the history section with its record's creation
    /// time, taken from the time section, deleting both old entries in the same atomic batch;
    /// then deletes the head entries, and records the new version. A move that stopped part-way
    /// goes on at the next open from the entries still in the old sections.
    fn migrate_from_schema_2(&self) -> Result<(), StoreError> {
        let mut created: HashMap<RecordId, Millis> = HashMap::new();
        for key in self.data.scan_prefix([schema_2_section::TIME]).keys() {
            let (created_at, id) = decode_time_key(&key.map_err(engine)?[1..])?;
            created.insert(id, created_at);
        }
        let mut writes = MigrationWrites::new(&self.data);
        for entry in self.data.scan_prefix([schema_2_section::VERSION]) {
            let (key, value) = entry.map_err(engine)?;
            let version = decode_version(&value)?;
            // logical key ‖ version ‖ id, after the section byte.
            let logical_key = key
                .len()
                .checked_sub(8 + 32)
                .filter(|end| *end > 1)
                .map(|end| &key[1..end])
                .ok_or_else(|| StoreError::Corrupt("schema 2 version entry".into()))?;
            let created_at = created.get(&version.id).copied().ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "schema 2 version entry of {} without its time entry",
                    version.id
                ))
            })?;
            let mut time_entry = vec![schema_2_section::TIME];
            time_entry.extend_from_slice(&time_key(created_at, &version.id));
            writes.entry(|batch| {
                batch.insert(
                    history_key(logical_key, version.version, &version.id),
                    &encode_history(&version, created_at)[..],
                );
                batch.remove(&key);
                batch.remove(time_entry);
            })?;
        }
        writes.finish()?;
        // Schema 2 wrote a record's version and time entries in one batch, so none can be left.
        if let Some(key) = self
            .data
            .scan_prefix([schema_2_section::TIME])
            .keys()
            .next()
        {
            let (_, id) = decode_time_key(&key.map_err(engine)?[1..])?;
            return Err(StoreError::Corrupt(format!(
                "schema 2 time entry of {id} without its version entry"
            )));
        }
        // Heads are read from the history now.
        let mut writes = MigrationWrites::new(&self.data);
        for key in self.data.scan_prefix([schema_2_section::HEAD]).keys() {
            let key = key.map_err(engine)?;
            writes.entry(|batch| batch.remove(key))?;
        }
        writes.finish()?;
        self.flush()?;
        self.set_meta("schema_version", &SCHEMA_VERSION.to_be_bytes())
    }

    /// Gives back the space of schema 1's trees, once their entries are in the current layout.
    fn drop_schema_1_trees(&self) -> Result<(), StoreError> {
        let names = self.db.tree_names();
        let mut dropped = false;
        for (name, _) in SCHEMA_1_TREES {
            if names.iter().any(|n| n.as_ref() == name.as_bytes()) {
                dropped |= self.db.drop_tree(name).map_err(engine)?;
            }
        }
        if dropped {
            self.flush()?;
        }
        Ok(())
    }

    /// The sled database itself, for tests that lay out what older versions wrote.
    #[cfg(test)]
    pub(super) fn raw_db(&self) -> &sled::Db {
        &self.db
    }

    /// Becomes the one writer of records, with the head filter.
    fn writer(&self) -> MutexGuard<'_, HeadFilter> {
        // A panic cannot leave the filter unsafe to use: it only ever grows before the write it
        // covers, so after a panic it holds too much, never too little.
        self.derived
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
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

    /// Brings the in-memory state up to date with records a batch just stored.
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

    /// Every (time, id) pair, ascending, from the history entries (one per record).
    pub(super) fn read_reconciliation_items(&self) -> Result<Vec<(Millis, RecordId)>, StoreError> {
        self.read_history(|_| {})
    }

    /// Walks the history: returns every (time, id) pair, ascending, and gives each entry's
    /// history prefix to `each_logical_record`.
    fn read_history(
        &self,
        mut each_logical_record: impl FnMut(&[u8]),
    ) -> Result<Vec<(Millis, RecordId)>, StoreError> {
        let mut items = Vec::new();
        for entry in self.data.scan_prefix([section::HISTORY]) {
            let (key, value) = entry.map_err(engine)?;
            let (version, created_at) = decode_history(&value)?;
            each_logical_record(history_prefix_of(&key)?);
            items.push((created_at, version.id));
        }
        items.sort_unstable();
        Ok(items)
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map(|_| ()).map_err(engine)
    }

    /// Every version of the logical record whose history entries start with `history_prefix`,
    /// oldest first.
    fn versions_under(&self, history_prefix: &[u8]) -> Result<Vec<VersionInfo>, StoreError> {
        self.data
            .scan_prefix(history_prefix)
            .values()
            .map(|value| Ok(decode_history(&value.map_err(engine)?)?.0))
            .collect()
    }

    /// The head of the logical record whose history entries start with `history_prefix`: the
    /// head rule applied to its versions (a logical record has a handful).
    fn stored_head(&self, history_prefix: &[u8]) -> Result<Option<VersionInfo>, StoreError> {
        Ok(head::head_of(&self.versions_under(history_prefix)?))
    }

    /// Writes records and their index entries in one atomic batch, without flushing: all of
    /// them or none. Records are decided in order, so a later version in the batch sees the head
    /// an earlier one set, and a record given twice is stored once.
    fn write(&self, batch: &[Record<Verified>]) -> Result<Vec<Inserted>, StoreError> {
        let prepared: Vec<PreparedWrite<'_>> = batch.iter().map(PreparedWrite::of).collect();
        let mut filter = self.writer();
        let mut ids_in_batch: HashSet<RecordId> = HashSet::with_capacity(prepared.len());
        let mut heads_in_batch: HashMap<&[u8], VersionInfo> = HashMap::new();
        let mut writes = sled::Batch::default();
        let mut outcomes = Vec::with_capacity(prepared.len());
        for p in &prepared {
            if ids_in_batch.contains(&p.id)
                || self.data.contains_key(p.record_key).map_err(engine)?
            {
                outcomes.push(Inserted {
                    new: false,
                    change: head::HeadChange::Duplicate,
                });
                continue;
            }
            let current = match heads_in_batch.get(p.history_prefix.as_slice()) {
                Some(set_earlier) => Some(*set_earlier),
                None if !filter.may_have_head(&p.history_prefix) => None,
                None => self.stored_head(&p.history_prefix)?,
            };
            let change = head::decide(current.as_ref(), &p.incoming);
            writes.insert(&p.record_key[..], p.wire);
            writes.insert(p.history_key.as_slice(), &p.history[..]);
            if let Some(trust_key) = &p.trust_key {
                writes.insert(trust_key.as_slice(), &[][..]);
            }
            filter.note(&p.history_prefix);
            if change.is_new_head(&p.incoming) {
                heads_in_batch.insert(&p.history_prefix, p.incoming);
            }
            ids_in_batch.insert(p.id);
            outcomes.push(Inserted { new: true, change });
        }
        if !ids_in_batch.is_empty() {
            self.data.apply_batch(writes).map_err(engine)?;
        }
        Ok(outcomes)
    }

    /// The ids at the end of the keys of `section`'s entries that start with `prefix`, newest
    /// first.
    fn ids_with_prefix(&self, section: u8, prefix: &[u8]) -> Result<Vec<RecordId>, StoreError> {
        let mut ids = Vec::new();
        for entry in self.data.scan_prefix(sectioned(section, prefix)).rev() {
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
        // Applied, so readers may see these records from now on, durable or not yet.
        self.committed(records, &outcomes);
        if outcomes.iter().any(|o| o.new) {
            self.flush()?;
        }
        Ok(outcomes)
    }

    fn wire(&self, id: &RecordId) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .data
            .get(record_key(id))
            .map_err(engine)?
            .map(|v| v.to_vec()))
    }

    fn contains(&self, id: &RecordId) -> Result<bool, StoreError> {
        self.data.contains_key(record_key(id)).map_err(engine)
    }

    fn head(&self, key: &LogicalKey) -> Result<Option<VersionInfo>, StoreError> {
        self.stored_head(&history_prefix(&encode_logical_key(key)))
    }

    fn versions(&self, key: &LogicalKey) -> Result<Vec<VersionInfo>, StoreError> {
        self.versions_under(&history_prefix(&encode_logical_key(key)))
    }

    fn heads(&self) -> Result<Vec<(LogicalKey, VersionInfo)>, StoreError> {
        // A logical record's entries are next to each other in the history: the head rule
        // picks one from each run.
        let mut heads = Vec::new();
        let mut run: Option<(sled::IVec, Vec<VersionInfo>)> = None;
        let mut close = |run: Option<(sled::IVec, Vec<VersionInfo>)>| -> Result<(), StoreError> {
            if let Some((prefix, versions)) = run
                && let Some(head) = head::head_of(&versions)
            {
                heads.push((logical_key_of(&prefix)?, head));
            }
            Ok(())
        };
        for entry in self.data.scan_prefix([section::HISTORY]) {
            let (key, value) = entry.map_err(engine)?;
            let (version, _) = decode_history(&value)?;
            let prefix_len = history_prefix_of(&key)?.len();
            match &mut run {
                Some((prefix, versions)) if prefix.as_ref() == &key[..prefix_len] => {
                    versions.push(version);
                }
                _ => {
                    close(run.take())?;
                    run = Some((key.subslice(0, prefix_len), vec![version]));
                }
            }
        }
        close(run)?;
        Ok(heads)
    }

    fn trust_record_ids(&self) -> Result<Vec<RecordId>, StoreError> {
        let mut ids = Vec::new();
        for kind in Kind::TRUST {
            ids.extend(self.ids_with_prefix(section::TRUST, &kind_prefix(kind))?);
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

    fn put_token(&self, token_hash: &[u8; 32], role: Role) -> Result<(), StoreError> {
        self.tokens
            .insert(token_hash, &[role_to_byte(role)])
            .map_err(engine)?;
        self.flush()
    }

    fn token_role(&self, token_hash: &[u8; 32]) -> Result<Option<Role>, StoreError> {
        Ok(self
            .tokens
            .get(token_hash)
            .map_err(engine)?
            .and_then(|v| v.first().copied().and_then(role_from_byte)))
    }

    fn remove_token(&self, token_hash: &[u8; 32]) -> Result<bool, StoreError> {
        let existed = self.tokens.remove(token_hash).map_err(engine)?.is_some();
        self.flush()?;
        Ok(existed)
    }
}

/// The start of every kind index entry of `kind` (without the section byte).
fn kind_prefix(kind: &Kind) -> Vec<u8> {
    let mut prefix = kind.as_str().as_bytes().to_vec();
    prefix.push(0);
    prefix
}

/// A migration's writes, applied in atomic batches, each holding the changes that move
/// [`MIGRATION_BATCH`] entries.
struct MigrationWrites<'a> {
    tree: &'a sled::Tree,
    batch: sled::Batch,
    entries: usize,
}

impl<'a> MigrationWrites<'a> {
    fn new(tree: &'a sled::Tree) -> Self {
        MigrationWrites {
            tree,
            batch: sled::Batch::default(),
            entries: 0,
        }
    }

    /// Adds the changes that move one entry, and applies the batch once it is full.
    fn entry(&mut self, changes: impl FnOnce(&mut sled::Batch)) -> Result<(), StoreError> {
        changes(&mut self.batch);
        self.entries += 1;
        if self.entries == MIGRATION_BATCH {
            self.apply()?;
        }
        Ok(())
    }

    fn apply(&mut self) -> Result<(), StoreError> {
        self.entries = 0;
        self.tree
            .apply_batch(std::mem::take(&mut self.batch))
            .map_err(engine)
    }

    /// Applies what is left.
    fn finish(mut self) -> Result<(), StoreError> {
        self.apply()
    }
}

/// The key of a record's wire bytes.
fn record_key(id: &RecordId) -> [u8; 33] {
    let mut key = [0u8; 33];
    key[0] = section::RECORD;
    key[1..].copy_from_slice(id.as_bytes());
    key
}

/// The keys and values of one record's write, computed before the writer lock is taken.
struct PreparedWrite<'a> {
    id: RecordId,
    record_key: [u8; 33],
    /// The start of the history keys of the record's logical record.
    history_prefix: Vec<u8>,
    incoming: VersionInfo,
    wire: &'a [u8],
    history_key: Vec<u8>,
    /// The kind index entry, for trust records only.
    trust_key: Option<Vec<u8>>,
    history: [u8; HISTORY_ENTRY_BYTES],
}

impl<'a> PreparedWrite<'a> {
    fn of(record: &'a Record<Verified>) -> Self {
        let id = record.id();
        let header = record.header();
        let logical_key = encode_logical_key(&record.logical_key());
        let trust_key = (!header.kind.is_content()).then(|| {
            let mut key = sectioned(section::TRUST, &kind_prefix(&header.kind));
            key.extend_from_slice(&time_key(header.created_at, &id));
            key
        });
        let incoming = version_info(record);
        PreparedWrite {
            id,
            record_key: record_key(&id),
            history_prefix: history_prefix(&logical_key),
            incoming,
            wire: record.wire(),
            history_key: history_key(&logical_key, header.version, &id),
            trust_key,
            history: encode_history(&incoming, header.created_at),
        }
    }
}

/// Bytes of a history entry: the version entry, then the creation time.
pub(super) const HISTORY_ENTRY_BYTES: usize = 41 + 8;

/// A history entry: what a head entry holds, and the record's creation time for reconciliation.
pub(super) fn encode_history(
    version: &VersionInfo,
    created_at: Millis,
) -> [u8; HISTORY_ENTRY_BYTES] {
    let mut out = [0u8; HISTORY_ENTRY_BYTES];
    out[..41].copy_from_slice(&encode_version(version));
    out[41..].copy_from_slice(&created_at.to_be_bytes());
    out
}

fn decode_history(bytes: &[u8]) -> Result<(VersionInfo, Millis), StoreError> {
    if bytes.len() != HISTORY_ENTRY_BYTES {
        return Err(StoreError::Corrupt("history entry".into()));
    }
    let mut created_at = [0u8; 8];
    created_at.copy_from_slice(&bytes[41..]);
    Ok((
        decode_version(&bytes[..41])?,
        u64::from_be_bytes(created_at),
    ))
}

/// The start of the history keys of the logical record encoded as `logical_key`. The zero after
/// it keeps one logical record's entries apart from another's whose slug merely starts the same
/// way (`chatbot` and `chatbot-2`): slugs never hold a zero byte.
fn history_prefix(logical_key: &[u8]) -> Vec<u8> {
    let mut prefix = sectioned(section::HISTORY, logical_key);
    prefix.push(0);
    prefix
}

/// The key of one version's history entry.
pub(super) fn history_key(logical_key: &[u8], version: u64, id: &RecordId) -> Vec<u8> {
    let mut key = history_prefix(logical_key);
    key.extend_from_slice(&version.to_be_bytes());
    key.extend_from_slice(id.as_bytes());
    key
}

/// The history prefix that starts `key`, a key of the history section.
fn history_prefix_of(key: &[u8]) -> Result<&[u8], StoreError> {
    // The section byte, a logical key (32 bytes of author, then kind, a zero and the slug),
    // the zero after it, the version and the id.
    const SHORTEST_PREFIX: usize = 1 + 32 + 1 + 1;
    key.len()
        .checked_sub(8 + 32)
        .filter(|len| *len >= SHORTEST_PREFIX)
        .map(|len| &key[..len])
        .ok_or_else(|| StoreError::Corrupt("history key".into()))
}

/// The logical key of a history prefix.
fn logical_key_of(history_prefix: &[u8]) -> Result<LogicalKey, StoreError> {
    decode_logical_key(&history_prefix[1..history_prefix.len() - 1])
}
