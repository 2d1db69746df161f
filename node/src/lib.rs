//! The mosaico node: the I/O shell around the protocol's pure core.
//!
//! It owns the store (sled), the network (libp2p), the HTTP server (the `mosaico-web` router over
//! [`backend::NodeBackend`]) and what the commands do; the command line itself belongs to
//! the `mosaico` binary, which calls this library with plain arguments. See
//! `docs/architecture.md` for how a record travels from a publish form in one region to a search
//! result in another.

pub mod backend;
pub mod catch_up;
pub mod client;
pub mod clock;
pub mod datadir;
pub mod export;
pub mod federation_file;
pub mod import;
pub mod ingest;
pub mod metrics;
pub mod network;
pub mod node;
pub mod outgoing_ports;
pub mod run;
pub mod search;
pub mod store;
pub mod tokens;
