//! An in-memory [`RecordStore`] for tests: the same rules, no disk.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use mosaico_protocol::head::{self, VersionInfo};
use mosaico_protocol::{Kind, LogicalKey, Millis, PublicKey, Record, RecordId, Verified};
use mosaico_web::Role;

use super::{Inserted, ReconciliationItems, RecordStore, StoreError, version_info};

/// Records and indexes in memory, behind one mutex (tests need correctness, not concurrency).
#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    records: BTreeMap<RecordId, (Vec<u8>, Kind, PublicKey, Millis)>,
    heads: BTreeMap<LogicalKey, VersionInfo>,
    versions: BTreeMap<LogicalKey, Vec<VersionInfo>>,
    by_time: BTreeSet<(Millis, RecordId)>,
    meta: BTreeMap<String, Vec<u8>>,
    tokens: BTreeMap<[u8; 32], Role>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves the maps consistent (every write is a few
        // infallible inserts), so a poisoned lock is still safe to use.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn ids_where(&self, keep: impl Fn(&Kind, &PublicKey) -> bool) -> Vec<RecordId> {
        let state = self.lock();
        let mut ids: Vec<(Millis, RecordId)> = state
            .records
            .iter()
            .filter(|(_, (_, kind, author, _))| keep(kind, author))
            .map(|(id, (_, _, _, time))| (*time, *id))
            .collect();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        ids.into_iter().map(|(_, id)| id).collect()
    }
}

impl RecordStore for MemoryStore {
    fn insert(&self, record: &Record<Verified>) -> Result<Inserted, StoreError> {
        let mut state = self.lock();
        let id = record.id();
        if state.records.contains_key(&id) {
            return Ok(Inserted {
                new: false,
                change: head::HeadChange::Duplicate,
            });
        }
        let header = record.header();
        let key = record.logical_key();
        let incoming = version_info(record);
        let change = head::decide(state.heads.get(&key), &incoming);
        state.records.insert(
            id,
            (
                record.to_wire(),
                header.kind.clone(),
                header.author,
                header.created_at,
            ),
        );
        let history = state.versions.entry(key.clone()).or_default();
        history.push(incoming);
        history.sort_by_key(|v| (v.version, v.id));
        state.by_time.insert((header.created_at, id));
        if change.is_new_head(&incoming) {
            state.heads.insert(key, incoming);
        }
        Ok(Inserted { new: true, change })
    }

    fn insert_batch(&self, records: &[Record<Verified>]) -> Result<Vec<Inserted>, StoreError> {
        records.iter().map(|r| self.insert(r)).collect()
    }

    fn wire(&self, id: &RecordId) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock().records.get(id).map(|(wire, ..)| wire.clone()))
    }

    fn contains(&self, id: &RecordId) -> Result<bool, StoreError> {
        Ok(self.lock().records.contains_key(id))
    }

    fn head(&self, key: &LogicalKey) -> Result<Option<VersionInfo>, StoreError> {
        Ok(self.lock().heads.get(key).copied())
    }

    fn versions(&self, key: &LogicalKey) -> Result<Vec<VersionInfo>, StoreError> {
        Ok(self.lock().versions.get(key).cloned().unwrap_or_default())
    }

    fn heads(&self) -> Result<Vec<(LogicalKey, VersionInfo)>, StoreError> {
        Ok(self
            .lock()
            .heads
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect())
    }

    fn trust_record_ids(&self) -> Result<Vec<RecordId>, StoreError> {
        Ok(self.ids_where(|kind, _| !kind.is_content()))
    }

    fn reconciliation_items(&self) -> Result<ReconciliationItems, StoreError> {
        Ok(Arc::new(self.lock().by_time.iter().copied().collect()))
    }

    fn len(&self) -> Result<u64, StoreError> {
        Ok(self.lock().records.len() as u64)
    }

    fn size_on_disk(&self) -> u64 {
        0
    }

    fn meta(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock().meta.get(name).cloned())
    }

    fn set_meta(&self, name: &str, value: &[u8]) -> Result<(), StoreError> {
        self.lock().meta.insert(name.to_owned(), value.to_vec());
        Ok(())
    }

    fn put_token(&self, token_hash: &[u8; 32], role: Role) -> Result<(), StoreError> {
        self.lock().tokens.insert(*token_hash, role);
        Ok(())
    }

    fn token_role(&self, token_hash: &[u8; 32]) -> Result<Option<Role>, StoreError> {
        Ok(self.lock().tokens.get(token_hash).copied())
    }

    fn remove_token(&self, token_hash: &[u8; 32]) -> Result<bool, StoreError> {
        Ok(self.lock().tokens.remove(token_hash).is_some())
    }
}
