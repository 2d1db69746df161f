//! The same behaviour checks against both store implementations.

use mosaico_protocol::draft::Draft;
use mosaico_protocol::head::{self, HeadChange};
use mosaico_protocol::{Record, SecretKey, Verified};
use serde_json::json;

use super::*;

fn emilia() -> SecretKey {
    SecretKey::from_bytes([1; 32])
}

fn case_study(secret: &SecretKey, slug: &str, version: u64, retracted: bool) -> Record<Verified> {
    let draft = if retracted {
        Draft::retraction(Kind::CaseStudy, slug)
    } else {
        Draft::from_value(json!({
            "kind": "case_study", "slug": slug,
            "title": {"it": format!("Caso {version}")}, "summary": {"it": "Riassunto"},
            "organisation": "Regione Emilia-Romagna", "country": "IT"
        }))
        .expect("valid draft")
    };
    let unsigned = draft
        .into_unsigned(secret.public_key(), version, 1_700_000_000_000 + version)
        .expect("no version conflict");
    Record::sign(unsigned, secret).expect("valid record")
}

fn behaves(store: &dyn RecordStore) {
    let v1 = case_study(&emilia(), "chatbot", 1, false);
    let v2 = case_study(&emilia(), "chatbot", 2, false);
    let v3 = case_study(&emilia(), "chatbot", 3, true);
    let other = case_study(&emilia(), "chatbot-2", 1, false);
    let key = v1.logical_key();

    assert_eq!(store.insert(&v2).expect("insert").change, HeadChange::First);
    assert_eq!(store.insert(&v1).expect("insert").change, HeadChange::Older);
    assert_eq!(store.head(&key).expect("head").map(|h| h.id), Some(v2.id()));
    let again = store.insert(&v2).expect("insert");
    assert!(!again.new);
    assert!(matches!(
        store.insert(&v3).expect("insert").change,
        HeadChange::Replaces { .. }
    ));
    store.insert(&other).expect("insert");
    let head = store.head(&key).expect("head").expect("has head");
    assert!(head.retracted && head.version == 3);
    // The retraction sticks: re-sending an older version changes nothing.
    assert!(!store.insert(&v1).expect("insert").new);
    assert_eq!(store.head(&key).expect("head"), Some(head));

    let versions: Vec<u64> = store
        .versions(&key)
        .expect("versions")
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(
        versions,
        vec![1, 2, 3],
        "history of exactly this slug, oldest first"
    );
    assert_eq!(store.len().expect("len"), 4);
    assert_eq!(store.heads().expect("heads").len(), 2);
    assert!(
        store.trust_record_ids().expect("trust ids").is_empty(),
        "content records are not trust records"
    );
    let items = store.reconciliation_items().expect("items");
    assert_eq!(items.len(), 4);
    assert!(items.windows(2).all(|w| w[0] <= w[1]));
    let back = store.record(&v2.id()).expect("read").expect("present");
    assert_eq!(back.id(), v2.id());
    assert_eq!(back.to_wire(), v2.to_wire());

    store.put_token(&[9; 32], Role::Publisher).expect("token");
    assert_eq!(
        store.token_role(&[9; 32]).expect("role"),
        Some(Role::Publisher)
    );
    assert!(store.remove_token(&[9; 32]).expect("revoke"));
    assert_eq!(store.token_role(&[9; 32]).expect("role"), None);
}

/// Trust records (here an endorsement and a membership) are found again by
/// `trust_record_ids`; content records are not.
fn lists_trust_records(store: &dyn RecordStore) {
    let emilia_key = emilia().public_key();
    let partner = SecretKey::from_bytes([2; 32]).public_key();
    let endorsement = json!({
        "format": 1, "kind": "endorsement", "author": emilia_key.to_hex(),
        "slug": partner.to_hex(), "version": 1, "created_at": 1_700_000_000_001_u64,
        "title": {"en": "Fondazione Bruno Kessler"},
        "endorsement": {"partner": partner.to_hex(), "name": "Fondazione Bruno Kessler",
            "kinds": ["case_study"], "expires_at": 1_800_000_000_000_u64}
    });
    let endorsement = Record::sign(endorsement, &emilia()).expect("valid trust record");
    let mut expected = Vec::new();
    for record in [membership(&emilia()), endorsement] {
        store.insert(&record).expect("insert");
        expected.push(record.id());
    }
    store
        .insert(&case_study(&emilia(), "not-trust", 1, false))
        .expect("insert");
    let mut listed = store.trust_record_ids().expect("trust ids");
    listed.sort();
    expected.sort();
    assert_eq!(listed, expected);
}

#[test]
fn memory_store_behaves() {
    behaves(&MemoryStore::new());
    lists_trust_records(&MemoryStore::new());
}

/// Two different records of the same version (the author equivocated), then a retraction of
/// that version too: the head is always the one the head rule picks among the versions stored,
/// whatever order they came in. Returns the head.
fn decides_equivocation_by_the_head_rule(store: &dyn RecordStore) -> VersionInfo {
    let variant = |title: &str, retracted: bool| {
        let draft = if retracted {
            Draft::retraction(Kind::CaseStudy, "twin")
        } else {
            Draft::from_value(json!({
                "kind": "case_study", "slug": "twin", "title": {"it": title},
                "summary": {"it": "Riassunto"}, "organisation": "Regione Emilia-Romagna",
                "country": "IT"
            }))
            .expect("valid draft")
        };
        let unsigned = draft
            .into_unsigned(emilia().public_key(), 1, 1_700_000_000_000)
            .expect("no version conflict");
        Record::sign(unsigned, &emilia()).expect("valid record")
    };
    let (a, b) = (variant("Primo", false), variant("Secondo", false));
    let (winner, loser) = if a.id() < b.id() { (a, b) } else { (b, a) };
    let key = winner.logical_key();
    // Stored in the order that makes the later one lose, so the stored head must be read back.
    store.insert(&winner).expect("insert");
    store
        .insert(&case_study(&emilia(), "twin-2", 1, false))
        .expect("insert");
    assert_eq!(
        store.insert(&loser).expect("insert").change,
        HeadChange::Equivocation {
            winner: version_info(&winner),
            loser: version_info(&loser)
        }
    );
    assert_eq!(store.head(&key).expect("head"), Some(version_info(&winner)));
    let retraction = variant("", true);
    assert!(matches!(
        store.insert(&retraction).expect("insert").change,
        HeadChange::Equivocation { winner, .. } if winner.id == retraction.id()
    ));
    let head = store.head(&key).expect("head").expect("a head");
    assert_eq!(head.id, retraction.id(), "a retraction of the version wins");
    assert!(!store.insert(&winner).expect("insert").new);
    assert_eq!(store.head(&key).expect("head"), Some(head));
    assert_eq!(store.versions(&key).expect("versions").len(), 3);
    let heads = store.heads().expect("heads");
    assert_eq!(heads.len(), 2, "twin and twin-2");
    assert!(heads.contains(&(key, head)));
    head
}

#[test]
fn both_stores_decide_equivocation_by_the_head_rule() {
    decides_equivocation_by_the_head_rule(&MemoryStore::new());
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store");
    let head = decides_equivocation_by_the_head_rule(&SledStore::open(&path).expect("open"));
    let store = reopen(&path).expect("reopen");
    let key = store
        .record(&head.id)
        .expect("read")
        .expect("present")
        .logical_key();
    assert_eq!(
        store.head(&key).expect("head"),
        Some(head),
        "after reopening"
    );
    assert!(store.heads().expect("heads").contains(&(key, head)));
}

#[test]
fn sled_store_lists_trust_records() {
    let dir = tempfile::tempdir().expect("temp dir");
    lists_trust_records(&SledStore::open(&dir.path().join("store")).expect("open"));
}

#[test]
fn sled_store_behaves_and_survives_reopen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store");
    {
        let store = SledStore::open(&path).expect("open");
        behaves(&store);
    }
    let store = reopen(&path).expect("reopen");
    assert_eq!(store.len().expect("len"), 4);
    assert_eq!(store.heads().expect("heads").len(), 2);
    // A reopened store decides against the heads it holds: a new version of a stored record
    // replaces its head rather than starting a new logical record.
    let stored = case_study(&emilia(), "chatbot-2", 1, false);
    let newer = case_study(&emilia(), "chatbot-2", 2, false);
    assert_eq!(
        store.insert(&newer).expect("insert").change,
        HeadChange::Replaces {
            previous: version_info(&stored)
        }
    );
}

/// Opens a store that a handle of this process just dropped. sled's background flusher may hold
/// the directory's lock for a moment after the last handle goes, so wait, with a bound, for the
/// lock to be released (a restarted process never sees this: exit releases the lock).
fn reopen(path: &std::path::Path) -> Result<SledStore, StoreError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match SledStore::open(path) {
            Err(StoreError::Locked(_)) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// A signed membership record of a one-member federation: a trust record.
fn membership(secret: &SecretKey) -> Record<Verified> {
    let key = secret.public_key();
    let unsigned = json!({
        "format": 1, "kind": "membership", "author": key.to_hex(),
        "slug": "federation", "version": 1, "created_at": 1_700_000_000_000_u64,
        "title": {"en": "Test federation"},
        "membership": {"name": "Test", "threshold": 1, "members": [
            {"name": "Emilia-Romagna", "key": key.to_hex(), "country": "IT"}
        ]}
    });
    Record::sign(unsigned, secret).expect("valid trust record")
}

/// Opens the sled database under `path` without the store's checks, waiting with a bound for
/// the lock as [`reopen`] does.
fn open_raw(path: &std::path::Path) -> sled::Db {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match sled::Config::new().path(path).open() {
            Err(sled::Error::Io(e))
                if std::time::Instant::now() < deadline
                    && (e.kind() == std::io::ErrorKind::WouldBlock
                        || e.to_string().contains("lock")) =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other.expect("raw sled"),
        }
    }
}

/// Writes `records` as schema 1 did: one tree per concern, the heads decided by the head rule,
/// plus the author index and content entries in the kind index that stores written before
/// 0.1's ingest work also held. The schema version is left as it is.
fn write_schema_1_trees(db: &sled::Db, records: &[Record<Verified>]) {
    let tree = |name: &str| db.open_tree(name).expect("tree");
    let (wires, heads, versions, by_time, by_kind, by_author) = (
        tree("records"),
        tree("heads"),
        tree("versions"),
        tree("by_time"),
        tree("by_kind"),
        tree("by_author"),
    );
    for record in records {
        let (id, header) = (record.id(), record.header());
        let logical = encode_logical_key(&record.logical_key());
        let incoming = version_info(record);
        let current = heads
            .get(&logical)
            .expect("read head")
            .map(|bytes| decode_version(&bytes).expect("head entry"));
        if head::decide(current.as_ref(), &incoming).is_new_head(&incoming) {
            heads
                .insert(&logical, &encode_version(&incoming)[..])
                .expect("head");
        }
        wires.insert(id.as_bytes(), record.wire()).expect("record");
        let mut history_key = logical.clone();
        history_key.extend_from_slice(&header.version.to_be_bytes());
        history_key.extend_from_slice(id.as_bytes());
        versions
            .insert(history_key, &encode_version(&incoming)[..])
            .expect("version");
        let by_time_key = time_key(header.created_at, &id);
        by_time.insert(by_time_key, &[]).expect("time");
        let mut kind_key = header.kind.as_str().as_bytes().to_vec();
        kind_key.push(0);
        kind_key.extend_from_slice(&by_time_key);
        by_kind.insert(kind_key, &[]).expect("kind");
        let mut author_key = header.author.as_bytes().to_vec();
        author_key.extend_from_slice(&by_time_key);
        by_author.insert(author_key, &[]).expect("author");
    }
}

/// A store as schema 1 left it, holding `records`.
fn lay_out_schema_1(path: &std::path::Path, records: &[Record<Verified>]) {
    let db = open_raw(path);
    write_schema_1_trees(&db, records);
    db.open_tree("meta")
        .and_then(|meta| meta.insert("schema_version", &1u32.to_be_bytes()))
        .expect("schema version");
    db.flush().expect("flush");
}

/// Where a move from schema 1 stopped before the store was opened again.
#[derive(Debug, Clone, Copy)]
enum StoppedAt {
    /// Not started: a store as the previous version left it.
    NotStarted,
    /// Some entries already moved into the current layout.
    PartWay,
    /// Everything moved and the new version written, the old trees not yet given back.
    BeforeDroppingOldTrees,
}

/// The records the migration tests move: two versions of one logical record, one whose slug
/// starts like its slug, and a trust record.
struct MigrationRecords {
    v1: Record<Verified>,
    v2: Record<Verified>,
    trust: Record<Verified>,
    all: [Record<Verified>; 4],
}

fn migration_records() -> MigrationRecords {
    let v1 = case_study(&emilia(), "chatbot", 1, false);
    let v2 = case_study(&emilia(), "chatbot", 2, false);
    let longer_slug = case_study(&emilia(), "chatbot-2", 1, false);
    let trust = membership(&emilia());
    MigrationRecords {
        all: [v2.clone(), v1.clone(), longer_slug, trust.clone()],
        v1,
        v2,
        trust,
    }
}

/// Checks that a moved `store` is at the current schema, has nothing left in schema 2's
/// sections, and answers every question about `records` as a store written by this version
/// would, including the next write's decision.
fn assert_moved(store: &SledStore, records: &MigrationRecords, context: &str) {
    let MigrationRecords { v1, v2, trust, all } = records;
    assert_eq!(
        store.meta("schema_version").expect("meta"),
        Some(SCHEMA_VERSION.to_be_bytes().to_vec()),
        "{context}"
    );
    for old in [
        sled_store::schema_2_section::HEAD,
        sled_store::schema_2_section::VERSION,
        sled_store::schema_2_section::TIME,
    ] {
        let left = store
            .raw_db()
            .open_tree(sled_store::RECORDS_AND_INDEXES)
            .expect("tree")
            .scan_prefix([old])
            .count();
        assert_eq!(left, 0, "{context}: schema 2's section {}", old as char);
    }
    assert_eq!(store.len().expect("len"), 4, "{context}");
    for record in all {
        assert_eq!(
            store.wire(&record.id()).expect("wire").as_deref(),
            Some(record.wire()),
            "{context}"
        );
    }
    assert_eq!(
        store.head(&v1.logical_key()).expect("head").map(|h| h.id),
        Some(v2.id()),
        "{context}"
    );
    let history: Vec<u64> = store
        .versions(&v1.logical_key())
        .expect("versions")
        .iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(history, vec![1, 2], "{context}: only this slug's versions");
    assert_eq!(store.heads().expect("heads").len(), 3, "{context}");
    assert_eq!(
        store.trust_record_ids().expect("trust ids"),
        vec![trust.id()],
        "{context}"
    );
    let mut expected_items: Vec<(Millis, RecordId)> = all
        .iter()
        .map(|r| (r.header().created_at, r.id()))
        .collect();
    expected_items.sort();
    assert_eq!(
        *store.reconciliation_items().expect("items"),
        expected_items,
        "{context}"
    );
    assert!(!store.insert(v1).expect("insert").new, "{context}");
}

#[test]
fn a_schema_1_store_is_moved_to_the_current_layout_whenever_the_move_stopped() {
    let moved = migration_records();
    let (v1, records) = (&moved.v1, moved.all.as_slice());
    for stopped in [
        StoppedAt::NotStarted,
        StoppedAt::PartWay,
        StoppedAt::BeforeDroppingOldTrees,
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("store");
        match stopped {
            StoppedAt::NotStarted => lay_out_schema_1(&path, records),
            StoppedAt::PartWay => {
                lay_out_schema_1(&path, records);
                let db = open_raw(&path);
                let mut key = vec![sled_store::section::RECORD];
                key.extend_from_slice(v1.id().as_bytes());
                db.open_tree(sled_store::RECORDS_AND_INDEXES)
                    .and_then(|moved| moved.insert(key, v1.wire()))
                    .expect("one record moved");
                db.flush().expect("flush");
            }
            StoppedAt::BeforeDroppingOldTrees => {
                SledStore::open(&path)
                    .and_then(|store| store.insert_batch(records))
                    .expect("current layout");
                let db = open_raw(&path);
                write_schema_1_trees(&db, records);
                db.flush().expect("flush");
            }
        }
        let store = reopen(&path).expect("open a schema 1 store");
        let context = format!("stopped: {stopped:?}");
        assert_moved(&store, &moved, &context);
        let names = store.raw_db().tree_names();
        for (old, _) in sled_store::SCHEMA_1_TREES {
            assert!(
                !names.iter().any(|n| n.as_ref() == old.as_bytes()),
                "{context}: tree {old} given back"
            );
        }
        let kind_entries = store
            .raw_db()
            .open_tree(sled_store::RECORDS_AND_INDEXES)
            .expect("tree")
            .scan_prefix([sled_store::section::TRUST])
            .count();
        assert_eq!(
            kind_entries, 1,
            "{context}: the old content entries of the kind index are not carried over"
        );
        // The moved heads are the ones later writes decide against.
        let v3 = case_study(&emilia(), "chatbot", 3, false);
        assert!(matches!(
            store.insert(&v3).expect("insert").change,
            HeadChange::Replaces { .. }
        ));
        drop(store);
        let store = reopen(&path).expect("reopen");
        assert_eq!(store.len().expect("len"), 5, "{context}");
        assert_eq!(
            store.head(&v1.logical_key()).expect("head").map(|h| h.id),
            Some(v3.id()),
            "{context}"
        );
    }
}

/// The key of `record`'s entry in schema 2's version section.
fn schema_2_version_key(record: &Record<Verified>) -> Vec<u8> {
    let mut key = vec![sled_store::schema_2_section::VERSION];
    key.extend_from_slice(&encode_logical_key(&record.logical_key()));
    key.extend_from_slice(&record.header().version.to_be_bytes());
    key.extend_from_slice(record.id().as_bytes());
    key
}

/// The key of `record`'s entry in schema 2's time section.
fn schema_2_time_key(record: &Record<Verified>) -> Vec<u8> {
    let mut key = vec![sled_store::schema_2_section::TIME];
    key.extend_from_slice(&time_key(record.header().created_at, &record.id()));
    key
}

/// The key of `record`'s history entry.
fn history_key(record: &Record<Verified>) -> Vec<u8> {
    sled_store::history_key(
        &encode_logical_key(&record.logical_key()),
        record.header().version,
        &record.id(),
    )
}

/// Rewrites `record`'s index entries in the one tree as schema 2 kept them (`true`) or as the
/// current schema does (`false`). Head entries are the caller's.
fn write_record_entries(tree: &sled::Tree, record: &Record<Verified>, schema_2: bool) {
    let version = version_info(record);
    let mut batch = sled::Batch::default();
    if schema_2 {
        batch.remove(history_key(record));
        batch.insert(schema_2_version_key(record), &encode_version(&version)[..]);
        batch.insert(schema_2_time_key(record), &[][..]);
    } else {
        let history = sled_store::encode_history(&version, record.header().created_at);
        batch.insert(history_key(record), &history[..]);
        batch.remove(schema_2_version_key(record));
        batch.remove(schema_2_time_key(record));
    }
    tree.apply_batch(batch).expect("entries rewritten");
}

/// A store as schema 2 left it, holding `records`: records and trust entries as now, version
/// entries without the creation time, a time section, and a head entry per logical record.
fn lay_out_schema_2(path: &std::path::Path, records: &[Record<Verified>]) {
    let heads = SledStore::open(path)
        .and_then(|store| {
            store.insert_batch(records)?;
            store.heads()
        })
        .expect("current layout");
    let db = open_raw(path);
    let tree = db.open_tree(sled_store::RECORDS_AND_INDEXES).expect("tree");
    for record in records {
        write_record_entries(&tree, record, true);
    }
    for (logical, head) in heads {
        let mut key = vec![sled_store::schema_2_section::HEAD];
        key.extend_from_slice(&encode_logical_key(&logical));
        tree.insert(key, &encode_version(&head)[..]).expect("head");
    }
    db.open_tree("meta")
        .and_then(|meta| meta.insert("schema_version", &2u32.to_be_bytes()))
        .expect("schema version");
    db.flush().expect("flush");
}

#[test]
fn a_schema_2_store_is_moved_to_the_current_layout_whenever_the_move_stopped() {
    let moved = migration_records();
    for part_way in [false, true] {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("store");
        lay_out_schema_2(&path, &moved.all);
        if part_way {
            // One batch of the move applied, the new version not yet written.
            let db = open_raw(&path);
            let tree = db.open_tree(sled_store::RECORDS_AND_INDEXES).expect("tree");
            write_record_entries(&tree, &moved.v1, false);
            db.flush().expect("flush");
        }
        let context = format!("part way: {part_way}");
        assert_moved(
            &reopen(&path).expect("open a schema 2 store"),
            &moved,
            &context,
        );
        assert_moved(
            &reopen(&path).expect("reopen"),
            &moved,
            &format!("{context}, opened again"),
        );
    }
}

#[test]
fn a_schema_2_store_missing_an_entry_is_refused_naming_the_record() {
    let kept = case_study(&emilia(), "chatbot", 1, false);
    let damaged = case_study(&emilia(), "chatbot-2", 1, false);
    for (removed, what) in [
        (schema_2_time_key(&damaged), "without its time entry"),
        (schema_2_version_key(&damaged), "without its version entry"),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("store");
        lay_out_schema_2(&path, &[kept.clone(), damaged.clone()]);
        let db = open_raw(&path);
        let existed = db
            .open_tree(sled_store::RECORDS_AND_INDEXES)
            .and_then(|tree| tree.remove(removed))
            .expect("entry removed");
        assert!(existed.is_some(), "{what}: the entry was there");
        db.flush().expect("flush");
        drop(db);
        // Every attempt says the same: the move never goes past the damage.
        for attempt in 0..2 {
            match reopen(&path) {
                Err(StoreError::Corrupt(message)) => assert!(
                    message.contains(&damaged.id().to_string()) && message.contains(what),
                    "{what}, attempt {attempt}: {message}"
                ),
                other => {
                    panic!("{what}, attempt {attempt}: expected a corrupt store, got {other:?}")
                }
            }
        }
    }
}

/// One batch holding several versions of a record, a record twice and a retraction: each is
/// decided after the ones before it in the batch, as if they came one by one.
fn decides_a_batch_in_order(store: &dyn RecordStore) {
    let v1 = case_study(&emilia(), "chatbot", 1, false);
    let v2 = case_study(&emilia(), "chatbot", 2, false);
    let retraction = case_study(&emilia(), "chatbot", 3, true);
    let other = case_study(&emilia(), "chatbot-2", 1, false);
    let outcomes = store
        .insert_batch(&[
            v2.clone(),
            v1.clone(),
            v2.clone(),
            retraction.clone(),
            other.clone(),
            v1.clone(),
        ])
        .expect("batch");
    let changes: Vec<(bool, HeadChange)> = outcomes.iter().map(|o| (o.new, o.change)).collect();
    assert_eq!(
        changes,
        vec![
            (true, HeadChange::First),
            (true, HeadChange::Older),
            (false, HeadChange::Duplicate),
            (
                true,
                HeadChange::Replaces {
                    previous: version_info(&v2)
                }
            ),
            (true, HeadChange::First),
            (false, HeadChange::Duplicate),
        ]
    );
    assert_eq!(
        store.head(&v1.logical_key()).expect("head"),
        Some(version_info(&retraction))
    );
    assert_eq!(store.len().expect("len"), 4);
    assert_eq!(store.reconciliation_items().expect("items").len(), 4);
    // A batch of records all stored already writes nothing and changes nothing.
    let again = store.insert_batch(&[v1, v2]).expect("batch");
    assert!(
        again
            .iter()
            .all(|o| !o.new && o.change == HeadChange::Duplicate)
    );
    assert_eq!(store.len().expect("len"), 4);
}

#[test]
fn both_stores_decide_a_batch_in_order() {
    decides_a_batch_in_order(&MemoryStore::new());
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store");
    decides_a_batch_in_order(&SledStore::open(&path).expect("open"));
    let store = reopen(&path).expect("reopen");
    assert_eq!(store.len().expect("len"), 4);
    assert_eq!(store.heads().expect("heads").len(), 2);
}

#[test]
fn sled_store_refuses_a_newer_schema() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store");
    {
        let store = SledStore::open(&path).expect("open");
        store
            .set_meta("schema_version", &(SCHEMA_VERSION + 1).to_be_bytes())
            .expect("meta");
    }
    let err = reopen(&path).expect_err("newer schema");
    assert!(err.to_string().contains("upgrade mosaico"), "{err}");
}

#[test]
fn sled_store_refuses_a_damaged_history_entry_at_open() {
    let record = case_study(&emilia(), "chatbot", 1, false);
    for (what, key, value) in [
        // A value of schema 2's length, without the creation time.
        ("history entry", history_key(&record), vec![0u8; 41]),
        // A key too short to hold a logical key, a version and an id.
        (
            "history key",
            vec![sled_store::section::HISTORY, 0],
            vec![0u8; 49],
        ),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("store");
        SledStore::open(&path)
            .and_then(|store| store.insert(&record))
            .expect("insert");
        {
            let db = open_raw(&path);
            db.open_tree(sled_store::RECORDS_AND_INDEXES)
                .and_then(|tree| tree.insert(key, value))
                .expect("damage");
            db.flush().expect("flush");
        }
        match reopen(&path) {
            Err(StoreError::Corrupt(message)) => assert_eq!(message, what),
            other => panic!("{what}: expected a corrupt store, got {other:?}"),
        }
    }
}

#[test]
fn sled_store_refuses_a_schema_version_it_cannot_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store");
    let record = case_study(&emilia(), "chatbot", 1, false);
    {
        let store = SledStore::open(&path).expect("open");
        store.insert(&record).expect("insert");
        store.set_meta("schema_version", &[0, 3]).expect("meta");
    }
    match reopen(&path) {
        Err(StoreError::Corrupt(what)) => assert!(what.contains("schema version"), "{what}"),
        other => panic!("expected a corrupt store, got {other:?}"),
    }
    // Refused without a change: once the version is mended, the record is there.
    {
        let db = open_raw(&path);
        db.open_tree("meta")
            .and_then(|meta| meta.insert("schema_version", &SCHEMA_VERSION.to_be_bytes()))
            .expect("version mended");
        db.flush().expect("flush");
    }
    let store = reopen(&path).expect("open");
    assert_eq!(
        store.wire(&record.id()).expect("wire").as_deref(),
        Some(record.wire())
    );
}

#[test]
fn sled_store_keeps_its_count_and_reconciliation_items_in_step_with_concurrent_writes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store");
    let records: Vec<Record<Verified>> = (0..120)
        .map(|i| case_study(&emilia(), &format!("case-{i}"), 1 + i % 3, false))
        .collect();
    {
        let store = SledStore::open(&path).expect("open");
        // Built before the writes, so every later write must merge into it.
        assert!(store.reconciliation_items().expect("items").is_empty());
        std::thread::scope(|scope| {
            for writer in 0..4 {
                let (store, records) = (&store, &records);
                scope.spawn(move || {
                    // Overlapping slices: some records reach the store twice, from two threads.
                    for chunk in records[writer * 20..writer * 20 + 40].chunks(7) {
                        store.insert_batch(chunk).expect("insert");
                        let items = store.reconciliation_items().expect("items");
                        assert!(items.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats");
                    }
                });
            }
        });
        let distinct = 100;
        assert_eq!(store.len().expect("len"), distinct);
        let cached = store.reconciliation_items().expect("items");
        assert_eq!(*cached, store.read_reconciliation_items().expect("tree"));
        assert_eq!(cached.len() as u64, distinct);
    }
    let store = reopen(&path).expect("reopen");
    assert_eq!(store.len().expect("len"), 100);
    assert_eq!(store.reconciliation_items().expect("items").len(), 100);
}

/// The byte each token role is stored as is part of the on-disk format: stores written by
/// earlier versions must keep their tokens' roles.
#[test]
fn token_roles_keep_their_stored_bytes() {
    assert_eq!(role_to_byte(Role::Publisher), 1);
    assert_eq!(role_to_byte(Role::Admin), 2);
    for role in Role::ALL {
        assert_eq!(role_from_byte(role_to_byte(role)), Some(role));
    }
    assert_eq!(role_from_byte(0), None);
    assert_eq!(role_from_byte(3), None);
}
