//! `mosaico reindex`: rebuild the search index of a stopped node from its store.

use std::path::PathBuf;

use clap::Args;
use mosaico_node::datadir::DataDir;

/// The arguments of `mosaico reindex`.
#[derive(Debug, Args)]
pub struct ReindexArgs {
    /// The node's data directory.
    #[arg(long, env = "MOSAICO_DATA")]
    data: PathBuf,
}

/// Rebuilds the index of the data directory's store.
pub fn run(args: ReindexArgs) -> anyhow::Result<()> {
    Ok(mosaico_node::search::command::reindex(&DataDir::new(
        args.data,
    ))?)
}
