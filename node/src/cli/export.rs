//! `mosaico export`: the records in the formats portals harvest, from the running node.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use mosaico_node::datadir::DataDir;
use mosaico_node::export::{DcatOptions, dcat};

/// `mosaico export …`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(subcommand)]
    command: ExportCommand,
}

#[derive(Debug, Subcommand)]
enum ExportCommand {
    /// The records as a DCAT-AP 3.0.1 catalogue (Turtle or JSON-LD).
    Dcat {
        /// The node's data directory.
        #[arg(long, env = "MOSAICO_DATA")]
        data: PathBuf,
        /// ttl or jsonld.
        #[arg(long, default_value = "ttl")]
        format: String,
        /// Search filters, as in the API: e.g. "kind=case_study&country=IT".
        #[arg(long)]
        query: Option<String>,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Runs one export subcommand.
pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    match args.command {
        ExportCommand::Dcat {
            data,
            format,
            query,
            out,
        } => Ok(dcat(
            &DataDir::new(data),
            DcatOptions { format, query, out },
        )?),
    }
}
