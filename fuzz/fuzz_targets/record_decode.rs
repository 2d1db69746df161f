//! Arbitrary bytes through `Record::decode` and `verify`: never a panic, and whatever decodes
//! re-encodes to a wire form that decodes to the same record.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mosaico_protocol::record::Record;
use mosaico_protocol::validate::Limits;

fuzz_target!(|data: &[u8]| {
    let Ok(record) = Record::decode(data) else {
        return;
    };
    let wire = record.to_wire();
    // Canonical numbers can be longer than their input spelling (1e15), so only a wire form
    // within the limit must decode again.
    if wire.len() <= Limits::MAX_WIRE_BYTES {
        match Record::decode(&wire) {
            Ok(again) => assert_eq!(again.id(), record.id(), "re-encoding changed the id"),
            Err(error) => panic!("the canonical wire of a decoded record fails to decode: {error}"),
        }
    }
    let _ = record.verify(1_795_425_600_000);
});
