//! Arbitrary bytes as a peer's sync message, on both sides of catch-up: never a panic, never an
//! allocation beyond the limits, and whatever decodes encodes back.
//!
//! The serving side decodes a request and answers a reconciliation frame from its own ids; the
//! catching-up side feeds a response to its session, whose negentropy state reads the frame.
//! Both frame readers see the peer's bytes, so both run here. Requests and the uncompressed
//! responses re-encode to the very bytes they came from; a record batch is one zstd frame that
//! another encoder may have packed differently, so it must only decode again to the same records.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mosaico_fuzz::sync_items;
use mosaico_protocol::replication::{ReplicationConfig, Session, respond_to_reconcile};
use mosaico_protocol::sync::{SyncRequest, SyncResponse};

fuzz_target!(|data: &[u8]| {
    let items = sync_items();
    if let Ok(request) = SyncRequest::decode(data) {
        assert_eq!(
            request.encode(),
            data,
            "a request re-encodes to other bytes"
        );
        if let SyncRequest::Reconcile { frame } = &request {
            let _ = respond_to_reconcile(&items, frame);
        }
    }
    if let Ok(response) = SyncResponse::decode(data) {
        let encoded = response.encode();
        match &response {
            SyncResponse::Records { .. } => assert_eq!(
                SyncResponse::decode(&encoded).as_ref(),
                Ok(&response),
                "a record batch does not decode to the same records after re-encoding"
            ),
            _ => assert_eq!(encoded, data, "a response re-encodes to other bytes"),
        }
    }
    let (mut session, _first_request) = Session::start(ReplicationConfig::default(), &items);
    let _ = session.on_response(data);
});
