//! What the fuzz targets share: the fixed clock and key they check with, and the checks that more
//! than one target makes on a decoded value.
//!
//! A publish body reaches the same checks whether it came as JSON or as YAML, because the web
//! layer turns both into one JSON value before it looks at it. Keeping those checks here, once,
//! means the two body targets cannot drift apart, and a target added later (an importer's file
//! format) can reuse them by calling one function.

use mosaico_protocol::draft::Draft;
use mosaico_protocol::validate::Limits;
use mosaico_protocol::{Millis, Record, RecordId, SecretKey, Unverified};
use serde_json::Value;

/// The verifier's clock in every target: 2026-11-23T09:20:00Z, the time the protocol's test
/// vectors are made at, so that the valid seed records verify instead of being "from the future".
pub const NOW: Millis = 1_795_425_600_000;

/// The key a target signs accepted drafts with, as a node signs a publisher's draft. It is fixed
/// so that a crash found once reproduces from the same input.
pub fn node_key() -> SecretKey {
    SecretKey::from_bytes([7; 32])
}

/// Checks the canonical wire form of a decoded record: it must decode again, to the same id.
///
/// Canonical numbers can be longer than the spelling they were read from (`1e15` becomes sixteen
/// digits), so a wire form over the size limit may rightly be refused; any other refusal means
/// the encoder writes what the decoder will not read, and every peer would drop the record.
pub fn assert_wire_round_trips<S>(record: &Record<S>) {
    let wire = record.to_wire();
    if wire.len() > Limits::MAX_WIRE_BYTES {
        return;
    }
    match Record::<Unverified>::decode(&wire) {
        Ok(again) => assert_eq!(again.id(), record.id(), "re-encoding changed the id"),
        Err(error) => panic!("the canonical wire of a record fails to decode: {error}"),
    }
}

/// Takes a publish body already read into JSON the way `web/src/body.rs` does: an object with
/// exactly `record` and `signatures` is a signed envelope for [`Record::decode`], anything else a
/// draft for [`Draft::from_value`].
///
/// Beyond not panicking, a draft the node accepts must become a record the node itself, and every
/// peer, accepts: signing it must give a record that decodes from its wire form to the same id and
/// verifies. A node that signed what it then refused to decode would publish records no one could
/// replicate.
pub fn check_publish_value(value: Value) {
    if is_envelope(&value) {
        // The web layer re-serializes the value and hands it to the one record decoder.
        let Ok(wire) = serde_json::to_vec(&value) else {
            return;
        };
        if let Ok(record) = Record::<Unverified>::decode(&wire) {
            assert_wire_round_trips(&record);
            let _ = record.verify(NOW);
        }
        return;
    }
    let Ok(draft) = Draft::from_value(value.clone()) else {
        return;
    };
    assert_eq!(
        Some(draft.slug()),
        value.get("slug").and_then(Value::as_str),
        "the draft's slug is not the one its body gives"
    );
    assert_eq!(
        Some(draft.kind().as_str()),
        value.get("kind").and_then(Value::as_str),
        "the draft's kind is not the one its body gives"
    );
    let key = node_key();
    let Ok(unsigned) = draft.into_unsigned(key.public_key(), 1, NOW) else {
        return;
    };
    // Signing refuses drafts whose fields break the rules; that is the answer the publisher sees.
    let Ok(record) = Record::sign(unsigned, &key) else {
        return;
    };
    assert_wire_round_trips(&record);
    if let Err(error) = record.into_unverified().verify(NOW) {
        panic!("a record this node signed does not verify: {error}");
    }
}

/// The web layer's rule for telling a signed envelope from a draft.
fn is_envelope(value: &Value) -> bool {
    matches!(value, Value::Object(map)
        if map.len() == 2 && map.contains_key("record") && map.contains_key("signatures"))
}

/// The (creation time, id) pairs the sync target's side holds: a few, so that a peer's
/// reconciliation frame has ranges to compare against. The seed generator answers a session
/// over these same pairs, so that its response seeds move that session on.
pub fn sync_items() -> Vec<(Millis, RecordId)> {
    (0u8..8)
        .map(|n| {
            (
                NOW + u64::from(n) * 60_000,
                RecordId([n.wrapping_mul(37); 32]),
            )
        })
        .collect()
}
