//! The node's side of the HTTP contract: `mosaico_web::Backend` over the store, the trust state
//! and the network handle.
//!
//! Listing scans the heads in the store and filters them in memory. That is exact (facets are
//! counted over the whole result) and fast enough for thousands of records; a derived full-text
//! index takes over for the federation-sized catalogue (see docs/architecture.md).

use std::cmp::Ordering;

use mosaico_protocol::trust::Authority;
use mosaico_protocol::{LogicalKey, Record, RecordId, Unverified, Verified};
use mosaico_web::backend::{BackendError, PublishError, Published, Role};
use mosaico_web::views::{
    MembersView, PeerSyncView, PeerView, RecordPage, RecordSummary, StatusView,
};
use mosaico_web::{Backend, Cursor, Facets, RecordQuery, Sort};

use crate::datadir::token_hash;
use crate::ingest::IngestError;
use crate::node::{Node, PublishFailure};
use crate::store::{RecordStore, StoreError, TokenRole};

/// The HTTP backend of a running node.
#[derive(Debug)]
pub struct NodeBackend<S: RecordStore> {
    node: Node<S>,
}

impl<S: RecordStore> Clone for NodeBackend<S> {
    fn clone(&self) -> Self {
        NodeBackend {
            node: self.node.clone(),
        }
    }
}

impl<S: RecordStore> NodeBackend<S> {
    /// The backend of `node`.
    pub fn new(node: Node<S>) -> Self {
        NodeBackend { node }
    }

    fn load(&self, id: &RecordId) -> Result<Option<Record<Verified>>, BackendError> {
        self.node.store().record(id).map_err(internal)
    }
}

fn internal(error: StoreError) -> BackendError {
    BackendError::Internal(error.to_string())
}

fn publish_error(failure: PublishFailure) -> PublishError {
    match failure {
        PublishFailure::Draft(e) => PublishError::Draft(e),
        PublishFailure::Refused(IngestError::Record(e)) => PublishError::Invalid(e),
        PublishFailure::Refused(IngestError::Trust(e)) => PublishError::NotAllowed(e.to_string()),
        PublishFailure::Refused(IngestError::Store(e)) | PublishFailure::Store(e) => {
            PublishError::Unavailable(format!("the record could not be stored: {e}"))
        }
        PublishFailure::Refused(e @ IngestError::IdMismatch { .. }) => {
            PublishError::Internal(e.to_string())
        }
        PublishFailure::NothingToRetract(_) => PublishError::NotFound,
        e @ (PublishFailure::AlreadyStored(_) | PublishFailure::Stale { .. }) => {
            PublishError::NotAllowed(e.to_string())
        }
        PublishFailure::ShuttingDown => {
            PublishError::Unavailable("the node is shutting down".into())
        }
    }
}

/// Whether `record` matches every filter of `query` except the text.
fn matches_filters(record: &Record<Verified>, query: &RecordQuery) -> bool {
    let header = record.header();
    let body = record.body();
    query.kind.as_ref().is_none_or(|k| *k == header.kind)
        && query.theme.as_ref().is_none_or(|t| body.themes.contains(t))
        && query
            .technology
            .as_ref()
            .is_none_or(|t| body.technologies.iter().any(|x| x.eq_ignore_ascii_case(t)))
        && query
            .country
            .as_ref()
            .is_none_or(|c| body.country.as_deref() == Some(c.as_str()))
        && query.nuts.as_ref().is_none_or(|n| {
            body.nuts
                .as_deref()
                .is_some_and(|x| x.starts_with(n.as_str()))
        })
        && query
            .status
            .as_ref()
            .is_none_or(|s| body.status.as_ref() == Some(s))
        && query.author.as_ref().is_none_or(|a| *a == header.author)
        && query.updated_since.is_none_or(|t| header.created_at >= t)
        && query.lang.as_ref().is_none_or(|l| {
            body.title
                .keys()
                .chain(body.summary.keys())
                .any(|k| k.split('-').next() == l.split('-').next())
        })
}

/// How well `record` matches the words of `q` (0: not at all). Every word must occur somewhere;
/// title matches weigh more than other text. Case-insensitive substring matching.
fn text_score(record: &Record<Verified>, q: &str) -> u32 {
    let body = record.body();
    let lower = |s: &str| s.to_lowercase();
    let titles: Vec<String> = body.title.values().map(|s| lower(s)).collect();
    let mut rest: Vec<String> = body
        .summary
        .values()
        .chain(body.description.values())
        .map(|s| lower(s))
        .collect();
    rest.extend(body.tags.iter().chain(&body.technologies).map(|s| lower(s)));
    rest.extend(body.organisation.iter().map(|s| lower(s)));
    let mut score = 0;
    for word in q.split_whitespace().map(lower) {
        let in_title = titles.iter().any(|t| t.contains(&word));
        let elsewhere = rest.iter().any(|t| t.contains(&word));
        if !in_title && !elsewhere {
            return 0;
        }
        score += if in_title { 3 } else { 1 };
    }
    score.max(1)
}

/// The sort key written into cursors: fixed width so string order is the sort order.
fn sort_key(sort: Sort, summary: &RecordSummary, score: u32) -> String {
    match sort {
        Sort::Relevance => format!(
            "{:010}:{:020}",
            u32::MAX - score,
            u64::MAX - summary.created_at
        ),
        Sort::Newest => format!("{:020}", u64::MAX - summary.created_at),
        Sort::Title => summary.title.clone().unwrap_or_default().to_lowercase(),
    }
}

impl<S: RecordStore> Backend for NodeBackend<S> {
    fn list_records(&self, query: &RecordQuery) -> Result<RecordPage, BackendError> {
        let languages = query.language_preferences();
        let mut matched: Vec<(String, RecordSummary)> = Vec::new();
        let mut facets = Facets::default();
        for (key, head) in self.node.store().heads().map_err(internal)? {
            if head.retracted || !key.kind.is_content() {
                continue;
            }
            let Some(record) = self.load(&head.id)? else {
                continue;
            };
            if !matches_filters(&record, query) {
                continue;
            }
            let score = match &query.q {
                Some(q) => match text_score(&record, q) {
                    0 => continue,
                    score => score,
                },
                None => 0,
            };
            let summary = RecordSummary::from_record(&record, &languages);
            facets.add(&summary);
            matched.push((sort_key(query.sort, &summary, score), summary));
        }
        matched.sort_by(|(a, x), (b, y)| a.cmp(b).then(x.id.cmp(&y.id)));
        let total = matched.len() as u64;
        let start = match &query.cursor {
            None => 0,
            Some(cursor) => matched
                .iter()
                .position(|(key, s)| {
                    (key.as_str(), &s.id).cmp(&(cursor.sort_key.as_str(), &cursor.id))
                        == Ordering::Greater
                })
                .unwrap_or(matched.len()),
        };
        let page: Vec<(String, RecordSummary)> =
            matched.into_iter().skip(start).take(query.limit).collect();
        let has_more = (start + page.len()) < total as usize;
        let next_cursor = match (has_more, page.last()) {
            (true, Some((key, summary))) => Some(Cursor {
                sort_key: key.clone(),
                id: summary.id,
            }),
            _ => None,
        };
        Ok(RecordPage {
            items: page.into_iter().map(|(_, s)| s).collect(),
            total,
            next_cursor,
            facets,
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
                .node
                .sync_status()
                .into_iter()
                .map(|s| PeerSyncView {
                    peer_id: s.peer.to_string(),
                    last_sync_at: s.last_completed_at,
                    last_fetched: s.last_completed_at.map(|_| s.last_stored),
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
            Ok(Some(TokenRole::Publisher)) => Some(Role::Publisher),
            Ok(Some(TokenRole::Admin)) => Some(Role::Admin),
            Ok(None) => None,
            Err(error) => {
                tracing::error!(%error, "token lookup failed");
                None
            }
        }
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
