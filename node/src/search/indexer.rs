//! The task that keeps the search index in step with the store while the node runs.
//!
//! It follows the node's event broadcast: each new head replaces its logical record's document
//! (a retraction only removes it). Work is batched: the first change starts a short timer, and
//! everything that arrives before it fires is indexed and committed together on a blocking
//! thread, so a single publish is searchable within [`COMMIT_DELAY`] and the async runtime never
//! waits on tantivy.
//!
//! During a large catch-up (a node back after a weekend, a new member fetching the whole
//! federation) indexing record by record would take the cores verification and storage need.
//! While a catch-up round announces itself as bulk ([`crate::catch_up::BulkCatchUps`]), the
//! indexer only notes which heads changed and indexes them together when the round ends (or
//! every [`LONGEST_DEFERRAL`] during a very long one) with the bulk writer, reading the records
//! back from the store. Search shows fetched records a little later; none is left out.
//!
//! The broadcast is bounded. An indexer that falls behind anyway loses events; it then waits
//! for the stream to be quiet for [`QUIET_BEFORE_REFILL`] (at most [`LONGEST_DEFERRAL`]) and
//! rebuilds every document from the store, which is the source of truth.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use mosaico_protocol::{Record, RecordId, Verified};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{SearchError, SearchIndex, SearchWriter, refill};
use crate::node::NodeEvent;
use crate::store::RecordStore;

/// How long changes wait for company before they are indexed and committed.
pub const COMMIT_DELAY: Duration = Duration::from_millis(250);
/// How long the event stream must be quiet, after the indexer fell behind, before it rebuilds
/// the documents from the store.
pub const QUIET_BEFORE_REFILL: Duration = Duration::from_secs(1);
/// The longest the indexer defers that rebuild while records keep coming.
pub const LONGEST_DEFERRAL: Duration = Duration::from_secs(60);

/// The live writer, shared with the blocking threads that use it. `None` only while the bulk
/// writer holds the index's one writer.
type SharedWriter = Arc<Mutex<Option<SearchWriter>>>;

/// Where the indexer stands.
enum State {
    /// Up to date but for `pending`, which is indexed at `due`.
    Following {
        pending: Vec<Record<Verified>>,
        due: Option<Instant>,
    },
    /// A bulk catch-up is under way: `heads` are indexed together when it ends, or at `until`.
    Deferring {
        heads: Vec<RecordId>,
        until: Instant,
    },
    /// Events were lost; every document is rebuilt from the store at `refill_at` (once no bulk
    /// catch-up is under way), and at the latest at `deadline`.
    Behind {
        refill_at: Instant,
        deadline: Instant,
    },
}

impl State {
    fn following() -> Self {
        State::Following {
            pending: Vec::new(),
            due: None,
        }
    }

    /// What to do after indexing caught up, given the bulk catch-ups under way.
    fn after_catching_up(bulk_rounds: usize) -> Self {
        if bulk_rounds > 0 {
            State::Deferring {
                heads: Vec::new(),
                until: Instant::now() + LONGEST_DEFERRAL,
            }
        } else {
            State::following()
        }
    }

    fn wake_at(&self, bulk_rounds: usize) -> Option<Instant> {
        match self {
            State::Following { due, .. } => *due,
            State::Deferring { until, .. } => Some(*until),
            State::Behind { deadline, .. } if bulk_rounds > 0 => Some(*deadline),
            State::Behind {
                refill_at,
                deadline,
            } => Some((*refill_at).min(*deadline)),
        }
    }
}

/// The shared parts the indexer works with.
struct Parts<S> {
    index: Arc<SearchIndex>,
    writer: SharedWriter,
    store: Arc<S>,
}

/// Starts the indexer. `records` is the store's record count the index reflects now; it grows
/// with every stored record so the marker stays exact. `bulk` follows the number of bulk
/// catch-ups under way. The task ends when `stop` turns true (which the node sends once no
/// write is in flight), after indexing what is queued and a last commit.
pub fn spawn<S: RecordStore>(
    index: Arc<SearchIndex>,
    store: Arc<S>,
    mut events: broadcast::Receiver<NodeEvent>,
    records: u64,
    mut bulk: watch::Receiver<usize>,
    mut stop: watch::Receiver<bool>,
) -> Result<JoinHandle<()>, SearchError> {
    let writer: SharedWriter = Arc::new(Mutex::new(Some(index.live_writer()?)));
    let parts = Parts {
        index,
        writer,
        store,
    };
    Ok(tokio::spawn(async move {
        let mut records = records;
        let mut state = State::after_catching_up(*bulk.borrow_and_update());
        let mut bulk_open = true;
        loop {
            let bulk_rounds = *bulk.borrow();
            let wake = state.wake_at(bulk_rounds);
            let timer = async {
                match wake {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            let bulk_changed = async {
                if bulk_open {
                    bulk.changed().await
                } else {
                    std::future::pending().await
                }
            };
            tokio::select! {
                event = events.recv() => match event {
                    Ok(NodeEvent::Stored { record, head }) => {
                        records += 1;
                        match &mut state {
                            State::Following { pending, due } => {
                                if head {
                                    pending.push(record);
                                }
                                due.get_or_insert_with(|| Instant::now() + COMMIT_DELAY);
                            }
                            State::Deferring { heads, .. } => {
                                if head {
                                    heads.push(record.id());
                                }
                            }
                            // The rebuild will read this record from the store.
                            State::Behind { refill_at, .. } => {
                                *refill_at = Instant::now() + QUIET_BEFORE_REFILL;
                            }
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        if !matches!(state, State::Behind { .. }) {
                            tracing::info!(missed, "search fell behind the records arriving; rebuilding it from the store once they slow down");
                        }
                        let now = Instant::now();
                        let deadline = match state {
                            State::Behind { deadline, .. } => deadline,
                            _ => now + LONGEST_DEFERRAL,
                        };
                        state = State::Behind {
                            refill_at: now + QUIET_BEFORE_REFILL,
                            deadline,
                        };
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                changed = bulk_changed => {
                    if changed.is_err() {
                        bulk_open = false;
                    }
                    let bulk_rounds = if bulk_open { *bulk.borrow_and_update() } else { 0 };
                    state = match state {
                        State::Following { pending, .. } if bulk_rounds > 0 => State::Deferring {
                            heads: pending.iter().map(Record::id).collect(),
                            until: Instant::now() + LONGEST_DEFERRAL,
                        },
                        State::Deferring { heads, .. } if bulk_rounds == 0 => {
                            records = index_in_bulk(&parts, heads, records).await;
                            State::after_catching_up(*bulk.borrow())
                        }
                        State::Behind { deadline, .. } if bulk_rounds == 0 => State::Behind {
                            refill_at: Instant::now(),
                            deadline,
                        },
                        unchanged => unchanged,
                    };
                }
                _ = timer => {
                    state = match state {
                        State::Following { pending, .. } => {
                            apply(&parts, pending, records).await;
                            State::following()
                        }
                        State::Deferring { heads, .. } => {
                            records = index_in_bulk(&parts, heads, records).await;
                            State::after_catching_up(*bulk.borrow())
                        }
                        State::Behind { .. } => {
                            records = refill_from_store(&parts, records).await;
                            State::after_catching_up(*bulk.borrow())
                        }
                    };
                }
                // The guard `wait_for` returns is not `Send`: drop it inside the branch future.
                _ = async { let _ = stop.wait_for(|s| *s).await; } => break,
            }
        }
        // Stopping comes after the last write: whatever is still queued goes into the last commit.
        let mut pending = Vec::new();
        match state {
            State::Following {
                pending: queued, ..
            } => pending = queued,
            State::Deferring { heads, .. } => {
                records = index_in_bulk(&parts, heads, records).await;
            }
            State::Behind { .. } => records = refill_from_store(&parts, records).await,
        }
        while let Ok(event) = events.try_recv() {
            let NodeEvent::Stored { record, head } = event;
            records += 1;
            if head {
                pending.push(record);
            }
        }
        apply(&parts, pending, records).await;
    }))
}

fn lock(writer: &Mutex<Option<SearchWriter>>) -> MutexGuard<'_, Option<SearchWriter>> {
    // A panic while holding the writer leaves it usable: tantivy's writer state is its own.
    writer
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Indexes `pending` and commits, on a blocking thread.
async fn apply<S>(parts: &Parts<S>, pending: Vec<Record<Verified>>, records: u64) {
    let (index, writer) = (Arc::clone(&parts.index), Arc::clone(&parts.writer));
    let result = tokio::task::spawn_blocking(move || {
        let mut guard = lock(&writer);
        let writer = guard.as_mut().ok_or_else(|| SearchError::Io {
            path: "(search writer)".into(),
            source: std::io::Error::other("no live writer after a failed bulk pass"),
        })?;
        for record in &pending {
            if let Err(error) = writer.apply_head(record) {
                tracing::error!(record_id = %record.id(), %error, "cannot index record");
            }
        }
        writer.commit()?;
        index.write_marker(records)
    })
    .await;
    match result {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::error!(%error, "search index commit failed"),
        Err(error) => tracing::error!(%error, "search index commit task failed"),
    }
}

/// Runs `work` with the bulk writer in place of the live one, on a blocking thread; returns the
/// record count the index then reflects (`records` unchanged if the work failed).
async fn with_bulk_writer<S: RecordStore>(
    parts: &Parts<S>,
    records: u64,
    what: &'static str,
    work: impl FnOnce(&SearchIndex, &S) -> Result<u64, SearchError> + Send + 'static,
) -> u64 {
    let (index, writer, store) = (
        Arc::clone(&parts.index),
        Arc::clone(&parts.writer),
        Arc::clone(&parts.store),
    );
    let result = tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let mut guard = lock(&writer);
        // The index has one writer at a time: the live one goes while the bulk one works.
        drop(guard.take());
        let result = work(&index, &*store);
        *guard = Some(index.live_writer()?);
        let records = result?;
        tracing::info!(
            searchable = index.num_docs(),
            seconds = started.elapsed().as_secs_f64(),
            "{what}"
        );
        Ok::<_, SearchError>(records)
    })
    .await;
    match result {
        Ok(Ok(records)) => records,
        Ok(Err(error)) => {
            tracing::error!(%error, "search: {what} failed");
            records
        }
        Err(error) => {
            tracing::error!(%error, "search: {what} failed");
            records
        }
    }
}

/// Indexes the heads a bulk catch-up stored, reading them back from the store.
async fn index_in_bulk<S: RecordStore>(
    parts: &Parts<S>,
    heads: Vec<RecordId>,
    records: u64,
) -> u64 {
    if heads.is_empty() {
        return records;
    }
    with_bulk_writer(
        parts,
        records,
        "search caught up after a bulk catch-up",
        move |index, store| {
            let mut writer = index.bulk_writer()?;
            for id in &heads {
                // In arrival order, so a later head of the same logical record replaces an earlier.
                if let Some(record) = store.record(id)? {
                    writer.apply_head(&record)?;
                }
            }
            writer.finish()?;
            index.write_marker(records)?;
            Ok(records)
        },
    )
    .await
}

/// Rebuilds every document from the store.
async fn refill_from_store<S: RecordStore>(parts: &Parts<S>, records: u64) -> u64 {
    with_bulk_writer(
        parts,
        records,
        "search rebuilt from the store",
        |index, store| refill(index, store, &mut |_, _| {}),
    )
    .await
}
