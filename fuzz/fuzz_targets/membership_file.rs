//! Arbitrary bytes as a membership file, read the way `node/src/federation_file.rs` reads one
//! (`Record::decode`, `verify`, a membership kind), then started as a federation the way a node
//! does with its genesis file.
//!
//! A membership file is written indented for people, and its id must survive re-indenting: the
//! file's envelope written pretty (as `federation_file::write` does) must decode to the same id.
//! A genesis that starts a federation must give that federation the genesis id and its member
//! list, and applying the genesis again to its own federation must change nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mosaico_fuzz::NOW;
use mosaico_protocol::trust::Federation;
use mosaico_protocol::{Kind, Record, Unverified};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(record) = Record::<Unverified>::decode(data) else {
        return;
    };
    let envelope: Value =
        serde_json::from_slice(&record.to_wire()).expect("a record's wire form is JSON");
    let pretty = serde_json::to_vec_pretty(&envelope).expect("a JSON value always serializes");
    match Record::<Unverified>::decode(&pretty) {
        Ok(again) => assert_eq!(again.id(), record.id(), "indenting the file changed its id"),
        // Indentation adds bytes; only a file within the wire limit must still be read.
        Err(error) => assert!(
            pretty.len() > mosaico_protocol::Limits::MAX_WIRE_BYTES,
            "an indented membership file fails to decode: {error}"
        ),
    }
    let Ok(record) = record.verify(NOW) else {
        return;
    };
    if record.header().kind != Kind::Membership {
        return;
    }
    let Ok(mut federation) = Federation::from_genesis(&record) else {
        return;
    };
    assert_eq!(
        federation.id(),
        record.id(),
        "the federation id is not the genesis id"
    );
    let members = &record
        .body()
        .membership
        .as_ref()
        .expect("a genesis a federation starts from has membership fields")
        .members;
    assert_eq!(
        federation.members(),
        members.as_slice(),
        "the federation lost members"
    );
    let before = federation.clone();
    assert!(
        !federation.apply(&record).unwrap_or(false),
        "applying the genesis again changed the federation"
    );
    assert_eq!(
        federation, before,
        "applying the genesis again changed the federation"
    );
});
