//! An in-memory [`Backend`] for router tests: it really signs, verifies, trust-checks and stores
//! records, so the tests exercise the protocol's rules and not a stub's.
//!
//! The node is the region "emilia" in a federation of two members, "emilia" and "flanders";
//! "outsider" is a key that belongs to no one. Time is a counter that starts at [`START`] and
//! moves one millisecond per publish, so tests are deterministic.

use std::collections::{BTreeMap, HashMap};
use std::future::{Future, ready};
use std::sync::{Arc, Mutex, MutexGuard};

use mosaico_protocol::draft::{Draft, DraftError};
use mosaico_protocol::head::{VersionInfo, head_of};
use mosaico_protocol::trust::{Authority, Federation};
use mosaico_protocol::{
    LogicalKey, Millis, PublicKey, Record, RecordId, SecretKey, Unverified, Verified,
};
use serde_json::json;

use crate::backend::{Backend, BackendError, LiveEvent, PublishError, Published, Role};
use crate::query::{Cursor, RecordQuery, Sort};
use crate::views::{
    Facets, MembersView, PeerSyncView, PeerView, RecordPage, RecordSummary, StatusView,
};

/// The clock's starting time: 2025-06-15.
pub const START: Millis = 1_750_000_000_000;
/// A token with the publisher role.
pub const PUBLISHER_TOKEN: &str = "publisher-token-emilia";
/// A token with the admin role.
pub const ADMIN_TOKEN: &str = "admin-token-emilia";

/// The secret key of the region this backend runs for.
pub fn emilia() -> SecretKey {
    SecretKey::from_bytes([1; 32])
}
/// The other member region's secret key.
pub fn flanders() -> SecretKey {
    SecretKey::from_bytes([2; 32])
}
/// A key that is not in the federation.
pub fn outsider() -> SecretKey {
    SecretKey::from_bytes([9; 32])
}

/// The unsigned genesis membership document of the test federation.
pub fn genesis() -> Record<Verified> {
    let unsigned = json!({
        "format": 1,
        "kind": "membership",
        "author": emilia().public_key().to_hex(),
        "slug": "federation",
        "version": 1,
        "created_at": START - 1000,
        "membership": {
            "name": "dt4regions",
            "threshold": 1,
            "members": [
                {"name": "Emilia-Romagna", "key": emilia().public_key().to_hex(), "country": "IT", "nuts": "ITH5"},
                {"name": "Vlaanderen", "key": flanders().public_key().to_hex(), "country": "BE", "nuts": "BE2"},
            ],
        },
    });
    // The document above follows every membership rule; a failure is a bug in this fixture.
    #[allow(clippy::expect_used)]
    Record::sign(unsigned, &emilia()).expect("the test genesis is valid")
}

/// An in-memory node. Clones share one state.
#[derive(Debug, Clone)]
pub struct MemoryBackend {
    state: Arc<Mutex<MemoryState>>,
}

/// What one in-memory node holds; named apart from axum's `State` extractor, which the
/// handlers this backend serves use everywhere.
#[derive(Debug)]
struct MemoryState {
    secret: SecretKey,
    federation: Federation,
    records: BTreeMap<RecordId, Record<Verified>>,
    tokens: HashMap<String, Role>,
    now: Millis,
    ready: bool,
    failure: Option<BackendError>,
    /// Live events; small, so tests can make a subscriber lag.
    events: tokio::sync::broadcast::Sender<LiveEvent>,
}

/// Capacity of the live event channel.
pub const EVENT_CAPACITY: usize = 8;

impl Default for MemoryBackend {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryBackend {
    /// The node of "emilia", holding the genesis document and two tokens.
    pub fn new() -> Self {
        let genesis = genesis();
        // The genesis fixture is a membership record at version 1.
        #[allow(clippy::expect_used)]
        let federation =
            Federation::from_genesis(&genesis).expect("the test genesis starts a federation");
        let mut records = BTreeMap::new();
        records.insert(genesis.id(), genesis);
        let tokens = HashMap::from([
            (PUBLISHER_TOKEN.to_owned(), Role::Publisher),
            (ADMIN_TOKEN.to_owned(), Role::Admin),
        ]);
        MemoryBackend {
            state: Arc::new(Mutex::new(MemoryState {
                secret: emilia(),
                federation,
                records,
                tokens,
                now: START,
                ready: true,
                failure: None,
                events: tokio::sync::broadcast::channel(EVENT_CAPACITY).0,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, MemoryState> {
        // A panic in another test thread must not hide this test's result behind a poison error.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The region's publishing key.
    pub fn public_key(&self) -> PublicKey {
        self.lock().secret.public_key()
    }

    /// The current time of the backend's clock.
    pub fn now(&self) -> Millis {
        self.lock().now
    }

    /// Every record id held, in order: compare before and after a rejected request.
    pub fn snapshot(&self) -> Vec<RecordId> {
        self.lock().records.keys().copied().collect()
    }

    /// Marks the node ready or not.
    pub fn set_ready(&self, ready: bool) {
        self.lock().ready = ready;
    }

    /// Makes every read fail with `failure` (or succeed again with `None`).
    pub fn fail_reads(&self, failure: Option<BackendError>) {
        self.lock().failure = failure;
    }

    /// Stores a record as if it had arrived from a peer, after the same checks.
    pub fn receive(&self, record: Record<Unverified>) -> Result<Published, PublishError> {
        self.lock().accept(record)
    }

    fn read<T>(&self, f: impl FnOnce(&MemoryState) -> T) -> Result<T, BackendError> {
        let state = self.lock();
        match &state.failure {
            Some(failure) => Err(failure.clone()),
            None => Ok(f(&state)),
        }
    }
}

impl MemoryState {
    fn versions(&self, key: &LogicalKey) -> Vec<Record<Verified>> {
        let mut versions: Vec<_> = self
            .records
            .values()
            .filter(|r| r.logical_key() == *key)
            .cloned()
            .collect();
        versions.sort_by(|a, b| info(b).precedence(&info(a)));
        versions
    }

    fn head(&self, key: &LogicalKey) -> Option<Record<Verified>> {
        self.versions(key).into_iter().next()
    }

    fn heads(&self) -> Vec<Record<Verified>> {
        let mut by_key: BTreeMap<LogicalKey, Vec<&Record<Verified>>> = BTreeMap::new();
        for record in self.records.values() {
            by_key.entry(record.logical_key()).or_default().push(record);
        }
        by_key
            .values()
            .filter_map(|versions| {
                let infos: Vec<VersionInfo> = versions.iter().map(|r| info(r)).collect();
                let head = head_of(&infos)?;
                versions
                    .iter()
                    .find(|r| r.id() == head.id)
                    .map(|r| (*r).clone())
            })
            .collect()
    }

    fn publish(&mut self, draft: Draft) -> Result<Published, PublishError> {
        let author = self.secret.public_key();
        let key = LogicalKey {
            author,
            kind: draft.kind().clone(),
            slug: draft.slug().to_owned(),
        };
        let next = self.head(&key).map_or(1, |head| head.header().version + 1);
        self.now += 1;
        let unsigned = draft
            .into_unsigned(author, next, self.now)
            .map_err(PublishError::Draft)?;
        let record = Record::sign(unsigned, &self.secret).map_err(PublishError::Invalid)?;
        self.admit_and_store(record)
    }

    fn accept(&mut self, record: Record<Unverified>) -> Result<Published, PublishError> {
        let record = record.verify(self.now).map_err(PublishError::Invalid)?;
        if self.records.contains_key(&record.id()) {
            return Ok(Published::of(&record));
        }
        if let Some(head) = self.head(&record.logical_key())
            && head.header().version >= record.header().version
        {
            return Err(PublishError::Draft(DraftError::VersionConflict {
                given: record.header().version,
                next: head.header().version + 1,
            }));
        }
        self.admit_and_store(record)
    }

    fn admit_and_store(&mut self, record: Record<Verified>) -> Result<Published, PublishError> {
        self.federation
            .admit(&record)
            .map_err(|e| PublishError::NotAllowed(e.to_string()))?;
        let published = Published::of(&record);
        let key = record.logical_key();
        self.records.insert(record.id(), record.clone());
        let head = self.head(&key).map(|h| h.id()) == Some(published.id);
        // No subscriber is fine.
        let _ = self.events.send(LiveEvent::Stored { record, head });
        Ok(published)
    }

    fn retract(&mut self, key: LogicalKey) -> Result<Published, PublishError> {
        if key.author != self.secret.public_key() {
            return Err(PublishError::NotAllowed(format!(
                "{key} belongs to another region; only its author's node can retract it"
            )));
        }
        if self.head(&key).is_none() {
            return Err(PublishError::NotFound);
        }
        self.publish(Draft::retraction(key.kind, &key.slug))
    }

    fn list(&self, query: &RecordQuery) -> Result<RecordPage, BackendError> {
        let languages = query.language_preferences();
        let needle = query.q.as_ref().map(|q| q.to_lowercase());
        let mut matches: Vec<(String, RecordSummary)> = Vec::new();
        for record in self.heads() {
            let header = record.header();
            let body = record.body();
            let kind_ok = match &query.kind {
                Some(kind) => header.kind == *kind,
                None => header.kind.is_content(),
            };
            let keep = kind_ok
                && !header.retracted
                && query.theme.as_ref().is_none_or(|t| body.themes.contains(t))
                && query
                    .technology
                    .as_ref()
                    .is_none_or(|t| body.technologies.contains(t))
                && query
                    .country
                    .as_ref()
                    .is_none_or(|c| body.country.as_ref() == Some(c))
                && query.nuts.as_ref().is_none_or(|n| {
                    body.nuts
                        .as_ref()
                        .is_some_and(|mine| mine.starts_with(n.as_str()))
                })
                && query
                    .status
                    .as_ref()
                    .is_none_or(|s| body.status.as_ref() == Some(s))
                && query.author.is_none_or(|a| header.author == a)
                && query.updated_since.is_none_or(|t| header.created_at >= t);
            if !keep {
                continue;
            }
            let score = match &needle {
                None => 0,
                Some(needle) => {
                    let hit = |texts: &mosaico_protocol::LangMap| {
                        texts.values().any(|t| t.to_lowercase().contains(needle))
                    };
                    u32::from(hit(&body.title)) * 2
                        + u32::from(hit(&body.summary))
                        + u32::from(hit(&body.description))
                }
            };
            if needle.is_some() && score == 0 {
                continue;
            }
            let summary = RecordSummary::from_record(&record, &languages);
            // Sort keys ascend in result order, so one keyset rule serves every sort.
            let sort_key = match query.sort {
                Sort::Relevance => format!("{:010}", u32::MAX - score),
                Sort::Newest => format!("{:020}", u64::MAX - header.created_at),
                Sort::Title => summary.title.clone().unwrap_or_default().to_lowercase(),
            };
            matches.push((sort_key, summary));
        }
        matches.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
        let mut facets = Facets::default();
        for (_, item) in &matches {
            facets.add(item);
        }
        let total = matches.len() as u64;
        let start = match &query.cursor {
            None => 0,
            Some(cursor) => matches
                .iter()
                .position(|(key, item)| {
                    (key.as_str(), item.id) > (cursor.sort_key.as_str(), cursor.id)
                })
                .unwrap_or(matches.len()),
        };
        let page: Vec<_> = matches
            .into_iter()
            .skip(start)
            .take(query.limit + 1)
            .collect();
        let next_cursor = (page.len() > query.limit).then(|| {
            let (sort_key, item) = &page[query.limit - 1];
            Cursor {
                sort_key: sort_key.clone(),
                id: item.id,
            }
        });
        Ok(RecordPage {
            items: page
                .into_iter()
                .take(query.limit)
                .map(|(_, item)| item)
                .collect(),
            total,
            next_cursor,
            facets,
            reading: Default::default(),
        })
    }
}

fn info(record: &Record<Verified>) -> VersionInfo {
    VersionInfo {
        id: record.id(),
        version: record.header().version,
        retracted: record.header().retracted,
    }
}

impl Backend for MemoryBackend {
    fn list_records(&self, query: &RecordQuery) -> Result<RecordPage, BackendError> {
        self.read(|state| state.list(query))?
    }

    fn record(&self, id: &RecordId) -> Result<Option<Record<Verified>>, BackendError> {
        self.read(|state| state.records.get(id).cloned())
    }

    fn head(&self, key: &LogicalKey) -> Result<Option<Record<Verified>>, BackendError> {
        self.read(|state| state.head(key))
    }

    fn versions(&self, key: &LogicalKey) -> Result<Vec<Record<Verified>>, BackendError> {
        self.read(|state| state.versions(key))
    }

    fn authority(&self, record: &Record<Verified>) -> Option<Authority> {
        self.lock().federation.admit(record).ok()
    }

    fn members(&self) -> MembersView {
        MembersView::from_federation(&self.lock().federation)
    }

    fn concepts(&self) -> std::sync::Arc<mosaico_protocol::concepts::ConceptScheme> {
        static BUILTIN: std::sync::OnceLock<
            std::sync::Arc<mosaico_protocol::concepts::ConceptScheme>,
        > = std::sync::OnceLock::new();
        std::sync::Arc::clone(BUILTIN.get_or_init(|| {
            std::sync::Arc::new(mosaico_protocol::concepts::ConceptScheme::builtin())
        }))
    }

    fn status(&self) -> StatusView {
        let state = self.lock();
        StatusView {
            node_name: "Emilia-Romagna".into(),
            peer_id: "12D3KooWEmilia".into(),
            public_key: state.secret.public_key(),
            federation_id: state.federation.id(),
            record_count: state.records.len() as u64,
            store_bytes: state
                .records
                .values()
                .map(|r| r.to_wire().len() as u64)
                .sum(),
            uptime_secs: 42,
            ready: state.ready,
            sync: vec![PeerSyncView {
                peer_id: "12D3KooWFlanders".into(),
                ..PeerSyncView::default()
            }],
        }
    }

    fn peers(&self) -> impl Future<Output = Result<Vec<PeerView>, BackendError>> + Send {
        ready(self.read(|_| {
            vec![PeerView {
                peer_id: "12D3KooWFlanders".into(),
                name: Some("Vlaanderen".into()),
                addresses: vec!["/ip4/127.0.0.1/tcp/7002".into()],
                connected: true,
                rtt_ms: Some(3),
            }]
        }))
    }

    fn metrics(&self) -> String {
        let count = self.lock().records.len();
        format!(
            "# HELP mosaico_records Records stored.\n# TYPE mosaico_records gauge\nmosaico_records {count}\n"
        )
    }

    fn ready(&self) -> bool {
        self.lock().ready
    }

    fn authorize(&self, bearer_token: &str) -> Option<Role> {
        self.lock().tokens.get(bearer_token).copied()
    }

    fn live_events(&self) -> impl futures::Stream<Item = LiveEvent> + Send + 'static + use<> {
        let receiver = self.lock().events.subscribe();
        futures::stream::unfold(receiver, |mut receiver| async move {
            use tokio::sync::broadcast::error::RecvError;
            match receiver.recv().await {
                Ok(event) => Some((event, receiver)),
                Err(RecvError::Lagged(missed)) => Some((LiveEvent::Lagged { missed }, receiver)),
                Err(RecvError::Closed) => None,
            }
        })
    }

    fn publish(
        &self,
        draft: Draft,
    ) -> impl Future<Output = Result<Published, PublishError>> + Send {
        ready(self.lock().publish(draft))
    }

    fn publish_signed(
        &self,
        record: Record<Unverified>,
    ) -> impl Future<Output = Result<Published, PublishError>> + Send {
        ready(self.lock().accept(record))
    }

    fn retract(
        &self,
        key: LogicalKey,
    ) -> impl Future<Output = Result<Published, PublishError>> + Send {
        ready(self.lock().retract(key))
    }
}
