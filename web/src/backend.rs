//! The contract between the HTTP layer and the node.
//!
//! The web crate owns HTTP: parsing, status codes, headers and documents. The node owns
//! everything with state: the store, the search index, the network and the region's key. The
//! [`Backend`] trait is the seam between the two, so the router can be tested with an in-memory
//! backend and the node can change its storage without touching HTTP.
//!
//! Reads are synchronous because the design has HTTP reads go straight to sled and the search
//! index, which answer in microseconds to milliseconds; the router moves the one potentially slow
//! read (search) off the async workers. Writes and peer queries are asynchronous because they go
//! through the task that owns the swarm.

use std::future::Future;

use futures::Stream;

use mosaico_protocol::draft::{Draft, DraftError};
use mosaico_protocol::trust::Authority;
use mosaico_protocol::{Kind, LogicalKey, Record, RecordError, RecordId, Unverified, Verified};

use crate::query::RecordQuery;
use crate::views::{MembersView, PeerView, RecordPage, StatusView};

/// What a bearer token allows.
///
/// This is the one name for the concept across the crates: the node's store keeps it (as one
/// byte per token), its token registry lists it (by [`Role::as_str`], which is also how serde
/// spells it) and the command line parses `--role` into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// May publish and retract content records (solutions, case studies, best practices).
    Publisher,
    /// May also publish trust records (endorsements, membership updates), which change who may
    /// publish in the whole federation and so need the operator's own token.
    Admin,
}

impl Role {
    /// Every role, from the least to the most allowed.
    pub const ALL: [Role; 2] = [Role::Publisher, Role::Admin];

    /// The role's name in lower case, as operators type it and as the token registry stores it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Publisher => "publisher",
            Role::Admin => "admin",
        }
    }

    /// Whether this role may publish or retract a record of `kind`.
    pub fn may_publish(&self, kind: &Kind) -> bool {
        match self {
            Role::Admin => true,
            Role::Publisher => kind.is_content(),
        }
    }
}

/// A read that failed for reasons of the node, not of the request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// The node cannot answer right now (starting, index rebuilding, shutting down).
    #[error("the node is not ready: {0}")]
    Unavailable(String),
    /// The backend cannot use the pagination cursor it was given (e.g. it points at a sort
    /// position that no longer makes sense). The router answers 400, as for a forged cursor.
    #[error("the cursor cannot be used: {0}")]
    BadCursor(String),
    /// Anything else. The text is logged, never shown to the client.
    #[error("{0}")]
    Internal(String),
}

/// Why a publish or retraction was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    /// The record breaks the protocol's rules (fields, size, signatures, clock).
    #[error("{0}")]
    Invalid(RecordError),
    /// The draft cannot become a record (missing header fields, version conflict).
    #[error("{0}")]
    Draft(DraftError),
    /// The federation's trust rules refuse it (unknown key, partner without endorsement, a
    /// retraction of another region's record…). The text is shown to the client.
    #[error("{0}")]
    NotAllowed(String),
    /// There is no such logical record (retracting something that was never published).
    #[error("no such record")]
    NotFound,
    /// The node cannot take writes right now (store closed, shutting down). Shown to the client.
    #[error("{0}")]
    Unavailable(String),
    /// Anything else. The text is logged, never shown to the client.
    #[error("{0}")]
    Internal(String),
}

/// The result of a durable publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The new version's id.
    pub id: RecordId,
    /// The logical record it is a version of.
    pub key: LogicalKey,
    /// Its version number.
    pub version: u64,
}

impl Published {
    /// What a newly stored record publishes.
    pub fn of(record: &Record<Verified>) -> Self {
        Published {
            id: record.id(),
            key: record.logical_key(),
            version: record.header().version,
        }
    }
}

/// A change to the node's records, for live views (`GET /api/v1/events`).
#[derive(Debug, Clone)]
pub enum LiveEvent {
    /// A record version was stored; `head` tells whether it became its logical record's head.
    Stored {
        /// The record.
        record: Record<Verified>,
        /// Whether it is now the head (false for an older version arriving late).
        head: bool,
    },
    /// This subscriber read too slowly and `missed` events were dropped for it.
    Lagged {
        /// How many.
        missed: u64,
    },
}

/// Everything the router needs from a node. The node implements it over its store, search index
/// and swarm handle; `testing::MemoryBackend` implements it in memory.
pub trait Backend: Clone + Send + Sync + 'static {
    /// One page of the records matching `query`, with the total and the facet counts computed
    /// over the whole result (not the page). Retracted heads are not listed.
    fn list_records(&self, query: &RecordQuery) -> Result<RecordPage, BackendError>;

    /// One version by id, whatever its head status.
    fn record(&self, id: &RecordId) -> Result<Option<Record<Verified>>, BackendError>;

    /// The head of a logical record (which may be its retraction).
    fn head(&self, key: &LogicalKey) -> Result<Option<Record<Verified>>, BackendError>;

    /// Every version held of a logical record, newest first. Empty when none is held.
    fn versions(&self, key: &LogicalKey) -> Result<Vec<Record<Verified>>, BackendError>;

    /// By what right the record's author published it under the current trust state, when the
    /// federation still recognises it (shown next to the record, so staff see who vouches).
    fn authority(&self, record: &Record<Verified>) -> Option<Authority>;

    /// The federation's current membership and endorsements.
    fn members(&self) -> MembersView;

    /// The node's own state.
    fn status(&self) -> StatusView;

    /// The concept scheme the node matches queries and records against: the built-in one plus
    /// any files the operator added.
    fn concepts(&self) -> std::sync::Arc<mosaico_protocol::concepts::ConceptScheme>;

    /// The peers the node knows, asked of the task that owns the swarm.
    fn peers(&self) -> impl Future<Output = Result<Vec<PeerView>, BackendError>> + Send;

    /// The node's metrics in Prometheus text exposition format 0.0.4.
    fn metrics(&self) -> String;

    /// Whether the node is ready to serve (store open, index built, federation loaded).
    fn ready(&self) -> bool;

    /// The role of a bearer token, or `None` for an unknown or revoked token.
    fn authorize(&self, bearer_token: &str) -> Option<Role>;

    /// Live record events from now on. The stream is fed by a bounded channel: a subscriber that
    /// falls behind gets [`LiveEvent::Lagged`] instead of making the node buffer without bound.
    fn live_events(&self) -> impl Stream<Item = LiveEvent> + Send + 'static + use<Self>;

    /// Signs `draft` with the region's key as the next version, stores it durably and gossips it.
    fn publish(&self, draft: Draft)
    -> impl Future<Output = Result<Published, PublishError>> + Send;

    /// Verifies a record signed elsewhere (the CLI signs locally), checks it against the trust
    /// rules, stores it durably and gossips it.
    fn publish_signed(
        &self,
        record: Record<Unverified>,
    ) -> impl Future<Output = Result<Published, PublishError>> + Send;

    /// Publishes the signed retraction of one of the region's own logical records.
    fn retract(
        &self,
        key: LogicalKey,
    ) -> impl Future<Output = Result<Published, PublishError>> + Send;
}
