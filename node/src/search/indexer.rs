//! The task that keeps the search index in step with the store while the node runs.
//!
//! It follows the node's event broadcast: each new head replaces its logical record's document
//! (a retraction only removes it). Commits are batched: the first change starts a short timer and
//! everything that arrives before it fires goes into one commit, so a burst of catch-up records
//! costs one commit, and a single publish is searchable within [`COMMIT_DELAY`]. Commits run on a
//! blocking thread, since they write files.
//!
//! The broadcast is bounded. An indexer that falls behind loses events; it then resynchronises
//! from the store, which is the source of truth, instead of guessing what it missed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{SearchError, SearchIndex, SearchWriter, fill_from_store};
use crate::node::NodeEvent;
use crate::store::RecordStore;

/// How long changes wait for company before a commit.
pub const COMMIT_DELAY: Duration = Duration::from_millis(250);

/// Starts the indexer. `records` is the store's record count the index reflects now; it grows
/// with every stored record so the marker stays exact. The task ends when `stop` turns true
/// (which the node sends once no write is in flight), after indexing what is queued and a last
/// commit.
pub fn spawn<S: RecordStore>(
    index: Arc<SearchIndex>,
    store: Arc<S>,
    mut events: broadcast::Receiver<NodeEvent>,
    records: u64,
    mut stop: watch::Receiver<bool>,
) -> Result<JoinHandle<()>, SearchError> {
    let writer = Arc::new(Mutex::new(index.live_writer()?));
    Ok(tokio::spawn(async move {
        let mut records = records;
        let mut deadline: Option<Instant> = None;
        loop {
            let timer = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                event = events.recv() => match event {
                    Ok(NodeEvent::Stored { record, head }) => {
                        records += 1;
                        if head {
                            let result = lock(&writer).apply_head(&record);
                            if let Err(error) = result {
                                tracing::error!(record_id = %record.id(), %error, "cannot index record");
                            }
                        }
                        deadline.get_or_insert_with(|| Instant::now() + COMMIT_DELAY);
                    }
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "search indexer fell behind; resynchronising from the store");
                        match resync(&writer, &store).await {
                            Ok(count) => records = count,
                            Err(error) => tracing::error!(%error, "search resynchronisation failed"),
                        }
                        deadline.get_or_insert_with(Instant::now);
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
                _ = timer => {
                    deadline = None;
                    commit(&index, &writer, records).await;
                }
                // The guard `wait_for` returns is not `Send`: drop it inside the branch future.
                _ = async { let _ = stop.wait_for(|s| *s).await; } => break,
            }
        }
        // Stopping comes after the last write: whatever is still queued goes into the last commit.
        while let Ok(event) = events.try_recv() {
            let NodeEvent::Stored { record, head } = event;
            records += 1;
            if head && let Err(error) = lock(&writer).apply_head(&record) {
                tracing::error!(record_id = %record.id(), %error, "cannot index record");
            }
        }
        commit(&index, &writer, records).await;
    }))
}

fn lock(writer: &Mutex<SearchWriter>) -> std::sync::MutexGuard<'_, SearchWriter> {
    // A panic while holding the writer leaves it usable: tantivy's writer state is its own.
    writer
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn commit(index: &Arc<SearchIndex>, writer: &Arc<Mutex<SearchWriter>>, records: u64) {
    let (index, writer) = (Arc::clone(index), Arc::clone(writer));
    let result = tokio::task::spawn_blocking(move || {
        lock(&writer).commit()?;
        index.write_marker(records)
    })
    .await;
    match result {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::error!(%error, "search index commit failed"),
        Err(error) => tracing::error!(%error, "search index commit task failed"),
    }
}

async fn resync<S: RecordStore>(
    writer: &Arc<Mutex<SearchWriter>>,
    store: &Arc<S>,
) -> Result<u64, SearchError> {
    let (writer, store) = (Arc::clone(writer), Arc::clone(store));
    tokio::task::spawn_blocking(move || {
        let mut writer = lock(&writer);
        writer.clear()?;
        fill_from_store(&mut writer, &*store, &mut |_, _| {})
    })
    .await
    .map_err(|e| SearchError::Io {
        path: "(resync task)".into(),
        source: std::io::Error::other(e.to_string()),
    })?
}
