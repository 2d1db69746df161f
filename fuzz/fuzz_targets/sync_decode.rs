//! Arbitrary bytes through the sync message decoders: never a panic, never an allocation beyond
//! the limits, and whatever decodes encodes back to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mosaico_protocol::sync::{SyncRequest, SyncResponse};

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = SyncRequest::decode(data) {
        assert_eq!(
            request.encode(),
            data,
            "a request re-encodes to other bytes"
        );
    }
    if let Ok(response) = SyncResponse::decode(data) {
        assert_eq!(
            response.encode(),
            data,
            "a response re-encodes to other bytes"
        );
    }
});
