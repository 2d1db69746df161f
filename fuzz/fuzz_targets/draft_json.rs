//! Arbitrary bytes as a JSON publish body, read the way the web layer reads one
//! (`canonical::parse_strict`, then a draft or a signed envelope).
//!
//! Besides what every publish body is checked for (see `check_publish_value`), strict JSON must
//! have a canonical form that is a fixed point: the canonical bytes of an accepted value parse
//! strictly again and canonicalize to the same bytes. Record ids are hashes of those bytes, so a
//! second pass that changed them would give one record two ids.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mosaico_fuzz::check_publish_value;
use mosaico_protocol::canonical;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = canonical::parse_strict(data) else {
        return;
    };
    let canonical_bytes = canonical::canonical_bytes(&value);
    match canonical::parse_strict(&canonical_bytes) {
        Ok(again) => assert_eq!(
            canonical::canonical_bytes(&again),
            canonical_bytes,
            "canonicalizing twice changed the bytes"
        ),
        Err(error) => panic!("the canonical form of strict JSON is refused: {error}"),
    }
    check_publish_value(value);
});
