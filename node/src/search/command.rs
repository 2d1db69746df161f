//! `mosaico reindex`: rebuild the search index of a stopped node from its store.
//!
//! The command line (in the binary) parses the data directory and calls [`reindex`]; this module
//! opens the store, which is why the node must be stopped, and shows progress on standard error.

use indicatif::{ProgressBar, ProgressStyle};

use super::{SearchError, index_dir, rebuild};
use crate::datadir::DataDir;
use crate::store::{SledStore, StoreError};

/// What can stop a reindex.
#[derive(Debug, thiserror::Error)]
pub enum ReindexError {
    /// The node is running.
    #[error(
        "the node is running on {0}: stop it first (it holds the store locked, and it rebuilds a stale index itself at start)"
    )]
    NodeRunning(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The index could not be built.
    #[error(transparent)]
    Search(#[from] SearchError),
}

/// Rebuilds the index of `data` with a progress bar on standard error.
pub fn reindex(data: &DataDir) -> Result<(), ReindexError> {
    let store = SledStore::open(&data.store_path()).map_err(|e| match e {
        StoreError::Locked(_) => ReindexError::NodeRunning(data.root().display().to_string()),
        other => ReindexError::Store(other),
    })?;
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} records ({per_sec})",
        )
        // The template is a constant checked by the test below.
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let started = std::time::Instant::now();
    let scheme = super::load_scheme(data.root())?;
    let index = rebuild(
        &index_dir(data.root()),
        &store,
        scheme,
        &mut |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        },
    )?;
    bar.finish();
    eprintln!(
        "indexed {} searchable records in {:.1} s",
        index.num_docs(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_progress_template_is_valid() {
        assert!(
            indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{bar:40}] {pos}/{len} records ({per_sec})"
            )
            .is_ok()
        );
    }
}
