//! The same behaviour checks against both store implementations.

use mosaico_protocol::draft::Draft;
use mosaico_protocol::head::HeadChange;
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

    store
        .put_token(&[9; 32], TokenRole::Publisher)
        .expect("token");
    assert_eq!(
        store.token_role(&[9; 32]).expect("role"),
        Some(TokenRole::Publisher)
    );
    assert!(store.remove_token(&[9; 32]).expect("revoke"));
    assert_eq!(store.token_role(&[9; 32]).expect("role"), None);
}

/// Trust records (here an endorsement and a membership) are found again by
/// `trust_record_ids`; content records are not.
fn lists_trust_records(store: &dyn RecordStore) {
    let emilia_key = emilia().public_key();
    let partner = SecretKey::from_bytes([2; 32]).public_key();
    let membership = json!({
        "format": 1, "kind": "membership", "author": emilia_key.to_hex(),
        "slug": "federation", "version": 1, "created_at": 1_700_000_000_000_u64,
        "title": {"en": "Test federation"},
        "membership": {"name": "Test", "threshold": 1, "members": [
            {"name": "Emilia-Romagna", "key": emilia_key.to_hex(), "country": "IT"}
        ]}
    });
    let endorsement = json!({
        "format": 1, "kind": "endorsement", "author": emilia_key.to_hex(),
        "slug": partner.to_hex(), "version": 1, "created_at": 1_700_000_000_001_u64,
        "title": {"en": "Fondazione Bruno Kessler"},
        "endorsement": {"partner": partner.to_hex(), "name": "Fondazione Bruno Kessler",
            "kinds": ["case_study"], "expires_at": 1_800_000_000_000_u64}
    });
    let mut expected = Vec::new();
    for unsigned in [membership, endorsement] {
        let record = Record::sign(unsigned, &emilia()).expect("valid trust record");
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

#[test]
fn a_store_written_before_the_index_diet_opens_without_its_author_index() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("store");
    let record = case_study(&emilia(), "chatbot", 1, false);
    {
        let store = SledStore::open(&path).expect("open");
        store.insert(&record).expect("insert");
        // What earlier versions also wrote for every record.
        let db = store.raw_db();
        let mut old_key = emilia().public_key().as_bytes().to_vec();
        old_key.extend_from_slice(&time_key(record.header().created_at, &record.id()));
        db.open_tree("by_author")
            .and_then(|t| t.insert(old_key, &[]))
            .expect("old author index");
        let mut kind_key = b"case_study\0".to_vec();
        kind_key.extend_from_slice(&time_key(record.header().created_at, &record.id()));
        db.open_tree("by_kind")
            .and_then(|t| t.insert(kind_key, &[]))
            .expect("old kind entry");
        db.flush().expect("flush");
    }
    let store = reopen(&path).expect("reopen");
    let trees: Vec<sled::IVec> = store.raw_db().tree_names();
    assert!(
        !trees.iter().any(|name| name.as_ref() == b"by_author"),
        "the author index is given back"
    );
    assert!(
        store.trust_record_ids().expect("trust ids").is_empty(),
        "an old content entry in the kind index is not a trust record"
    );
    assert_eq!(
        store.record(&record.id()).expect("read").map(|r| r.id()),
        Some(record.id())
    );
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
