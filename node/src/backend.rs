//! The node's side of the HTTP contract: `mosaico_web::Backend` over the store, the search index,
//! the trust state and the network handle.
//!
//! Listing asks the search index (see `crate::search`) for one page of ids, the total and exact
//! facet counts, then reads the page's records from the store, which stays the source of truth.

use std::sync::Arc;

use mosaico_protocol::trust::Authority;
use mosaico_protocol::{LogicalKey, Record, RecordId, Unverified, Verified};
use mosaico_web::backend::{BackendError, PublishError, Published, Role};
use mosaico_web::views::{
    MembersView, PeerSyncView, PeerView, RecordPage, RecordSummary, StatusView,
};
use mosaico_web::{Backend, Cursor, LiveEvent, RecordQuery};
use tokio::sync::broadcast::error::RecvError;

use crate::catch_up::CatchUpStatus;
use crate::datadir::token_hash;
use crate::ingest::IngestError;
use crate::node::{LocalPublishError, Node, NodeEvent};
use crate::search::{SearchError, SearchIndex};
use crate::store::{RecordStore, StoreError};

/// The HTTP backend of a running node.
#[derive(Debug)]
pub struct NodeBackend<S: RecordStore> {
    node: Node<S>,
    search: Arc<SearchIndex>,
    catch_up: CatchUpStatus,
}

impl<S: RecordStore> Clone for NodeBackend<S> {
    fn clone(&self) -> Self {
        NodeBackend {
            node: self.node.clone(),
            search: Arc::clone(&self.search),
            catch_up: self.catch_up.clone(),
        }
    }
}

impl<S: RecordStore> NodeBackend<S> {
    /// The backend of `node`, searching `search` (kept in step by `search::indexer`) and
    /// showing the per-peer state the catch-up task publishes in `catch_up`.
    pub fn new(node: Node<S>, search: Arc<SearchIndex>, catch_up: CatchUpStatus) -> Self {
        NodeBackend {
            node,
            search,
            catch_up,
        }
    }

    fn load(&self, id: &RecordId) -> Result<Option<Record<Verified>>, BackendError> {
        self.node.store().record(id).map_err(internal)
    }
}

fn internal(error: StoreError) -> BackendError {
    BackendError::Internal(error.to_string())
}

fn publish_error(failure: LocalPublishError) -> PublishError {
    match failure {
        LocalPublishError::Draft(e) => PublishError::Draft(e),
        LocalPublishError::Refused(IngestError::Record(e)) => PublishError::Invalid(e),
        LocalPublishError::Refused(IngestError::Trust(e)) => {
            PublishError::NotAllowed(e.to_string())
        }
        LocalPublishError::Refused(IngestError::Store(e)) | LocalPublishError::Store(e) => {
            PublishError::Unavailable(format!("the record could not be stored: {e}"))
        }
        LocalPublishError::Refused(e @ IngestError::IdMismatch { .. }) => {
            PublishError::Internal(e.to_string())
        }
        LocalPublishError::NothingToRetract(_) => PublishError::NotFound,
        e @ (LocalPublishError::AlreadyStored(_) | LocalPublishError::Stale { .. }) => {
            PublishError::NotAllowed(e.to_string())
        }
        LocalPublishError::ShuttingDown => {
            PublishError::Unavailable("the node is shutting down".into())
        }
    }
}

fn search_error(error: SearchError) -> BackendError {
    match error {
        SearchError::BadCursor(why) => BackendError::BadCursor(why),
        other => BackendError::Internal(other.to_string()),
    }
}

impl<S: RecordStore> Backend for NodeBackend<S> {
    fn list_records(&self, query: &RecordQuery) -> Result<RecordPage, BackendError> {
        let languages = query.language_preferences();
        let result = self.search.search(query).map_err(search_error)?;
        let concept_ids: Vec<String> = result
            .reading
            .concepts
            .iter()
            .map(|c| c.id.clone())
            .collect();
        let mut items = Vec::with_capacity(result.hits.len());
        for hit in &result.hits {
            // The index may briefly lag the store, never lead it: a missing record is skipped.
            let Some(record) = self.load(&hit.id)? else {
                continue;
            };
            let mut summary = RecordSummary::from_record(&record, &languages);
            if let Some(q) = &query.q {
                let (snippet, why) =
                    self.search
                        .annotate(&record, q, &concept_ids, summary.lang.as_deref());
                summary.snippet = snippet;
                summary.why = Some(why);
            }
            items.push(summary);
        }
        let next_cursor = match (result.has_more, result.hits.last()) {
            (true, Some(last)) => Some(Cursor {
                sort_key: last.sort_key.clone(),
                id: last.id,
            }),
            _ => None,
        };
        Ok(RecordPage {
            items,
            total: result.total,
            next_cursor,
            facets: result.facets,
            reading: result.reading,
        })
    }

    fn record(&self, id: &RecordId) -> Result<Option<Record<Verified>>, BackendError> {
        self.load(id)
    }

    fn head(&self, key: &LogicalKey) -> Result<Option<Record<Verified>>, BackendError> {
        match self.node.store().head(key).map_err(internal)? {
            Some(head) => self.load(&head.id),
            None => Ok(None),
        }
    }

    fn versions(&self, key: &LogicalKey) -> Result<Vec<Record<Verified>>, BackendError> {
        let mut records = Vec::new();
        for version in self
            .node
            .store()
            .versions(key)
            .map_err(internal)?
            .iter()
            .rev()
        {
            if let Some(record) = self.load(&version.id)? {
                records.push(record);
            }
        }
        Ok(records)
    }

    fn authority(&self, record: &Record<Verified>) -> Option<Authority> {
        self.node.federation().admit(record).ok().or_else(|| {
            // A membership update is no longer admissible once applied; its author was a member.
            let federation = self.node.federation();
            federation
                .member(&record.header().author)
                .map(|m| Authority::Member {
                    name: m.name.clone(),
                })
        })
    }

    fn members(&self) -> MembersView {
        MembersView::from_federation(&self.node.federation())
    }

    fn concepts(&self) -> Arc<mosaico_protocol::concepts::ConceptScheme> {
        self.search.scheme()
    }

    fn status(&self) -> StatusView {
        let store = self.node.store();
        StatusView {
            node_name: self.node.name().to_owned(),
            peer_id: self.node.network().local_peer_id().to_string(),
            public_key: self.node.public_key(),
            federation_id: self.node.federation().id(),
            record_count: store.len().unwrap_or(0),
            store_bytes: store.size_on_disk(),
            uptime_secs: self.node.uptime().as_secs(),
            ready: self.node.is_ready(),
            sync: self
                .catch_up
                .snapshot()
                .into_iter()
                .map(|s| PeerSyncView {
                    peer_id: s.peer.to_string(),
                    last_sync_at: s.last_completed_at,
                    last_fetched: s.last_completed_at.map(|_| s.last_stored),
                    total_fetched: s.total_stored,
                    behind_by: s.last_completed_at.map(|_| s.last_missing),
                    connected: s.connected,
                    failures: s.failures,
                })
                .collect(),
        }
    }

    async fn peers(&self) -> Result<Vec<PeerView>, BackendError> {
        let peers = self
            .node
            .network()
            .peers()
            .await
            .map_err(|e| BackendError::Unavailable(e.to_string()))?;
        Ok(peers
            .into_iter()
            .map(|p| PeerView {
                peer_id: p.peer_id.to_string(),
                name: p.agent_version.clone(),
                addresses: p.addresses.iter().map(ToString::to_string).collect(),
                connected: p.connected_since.is_some(),
                rtt_ms: None,
            })
            .collect())
    }

    fn metrics(&self) -> String {
        let store = self.node.store();
        self.node
            .metrics()
            .render(store.len().unwrap_or(0), store.size_on_disk())
    }

    fn ready(&self) -> bool {
        self.node.is_ready()
    }

    fn authorize(&self, bearer_token: &str) -> Option<Role> {
        match self.node.store().token_role(&token_hash(bearer_token)) {
            Ok(role) => role,
            Err(error) => {
                tracing::error!(%error, "token lookup failed");
                None
            }
        }
    }

    fn live_events(&self) -> impl futures::Stream<Item = LiveEvent> + Send + 'static + use<S> {
        futures::stream::unfold(self.node.subscribe(), |mut receiver| async move {
            match receiver.recv().await {
                Ok(NodeEvent::Stored { record, head }) => {
                    Some((LiveEvent::Stored { record, head }, receiver))
                }
                Err(RecvError::Lagged(missed)) => Some((LiveEvent::Lagged { missed }, receiver)),
                Err(RecvError::Closed) => None,
            }
        })
    }

    async fn publish(
        &self,
        draft: mosaico_protocol::draft::Draft,
    ) -> Result<Published, PublishError> {
        self.node
            .publish_draft(draft)
            .await
            .map(|p| Published::of(&p.record))
            .map_err(publish_error)
    }

    async fn publish_signed(&self, record: Record<Unverified>) -> Result<Published, PublishError> {
        self.node
            .publish_signed(record)
            .await
            .map(|p| Published::of(&p.record))
            .map_err(publish_error)
    }

    async fn retract(&self, key: LogicalKey) -> Result<Published, PublishError> {
        if key.author != self.node.public_key() {
            return Err(PublishError::NotAllowed(format!(
                "{key} belongs to another publisher; a node retracts only its own region's records"
            )));
        }
        self.node
            .retract(key.kind.clone(), &key.slug)
            .await
            .map(|p| Published::of(&p.record))
            .map_err(publish_error)
    }
}
