//! Arbitrary bytes through `Record::decode` and `verify`, as gossip and catch-up hand them to a
//! node: never a panic, and whatever decodes re-encodes to a wire form that decodes to the same
//! record.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mosaico_fuzz::{NOW, assert_wire_round_trips};
use mosaico_protocol::record::Record;

fuzz_target!(|data: &[u8]| {
    let Ok(record) = Record::decode(data) else {
        return;
    };
    assert_wire_round_trips(&record);
    let _ = record.verify(NOW);
});
