//! Mosaico's protocol: the pure core every node stands on.
//!
//! It holds the record model, the canonical encoding, ids and signatures, the validation rules,
//! the head rule for versions and retractions, the federation's trust rules, the admission rules
//! that say what a received record means, and the sync wire messages. It does no I/O and reads
//! no clock: time is always passed in, so every function here gives the same answer on every node
//! for the same input. `docs/protocol.md` is the spec this
//! crate implements, and `docs/protocol/vectors.json` the test vectors that keep the two in step.

pub mod admission;
pub mod canonical;
pub mod concepts;
pub mod draft;
pub mod fields;
pub mod head;
pub mod iso3166;
pub mod keys;
pub mod record;
pub mod replication;
pub mod sync;
pub mod trust;
pub mod validate;
pub mod vocab;
pub mod yaml;

pub use fields::{Body, CURRENT_FORMAT, Header, LangMap, Millis};
pub use keys::{FederationId, PublicKey, RecordId, SecretKey, SignatureBytes};
pub use record::{LogicalKey, Record, RecordError, Unverified, Verified};
pub use validate::{FieldError, Limits};
pub use vocab::Kind;
