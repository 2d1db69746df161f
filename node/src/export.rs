//! `mosaico export`: the federation's records in the formats portals harvest, fetched from the
//! running node (which renders them from the same code path as its `/export` routes).

use std::path::PathBuf;

use crate::client::{ClientError, LocalNode};
use crate::datadir::DataDir;

/// `mosaico export …`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[command(subcommand)]
    command: ExportCommand,
}

#[derive(Debug, clap::Subcommand)]
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

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The node cannot be asked.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// An argument is wrong.
    #[error("{0}")]
    Argument(String),
    /// The node refused.
    #[error("the node refused the export ({status}): {body}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// Its answer.
        body: String,
    },
    /// The output file cannot be written.
    #[error("cannot write {path}: {cause}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        cause: String,
    },
}

/// Runs `mosaico export …`.
pub fn run(args: ExportArgs) -> Result<(), ExportError> {
    match args.command {
        ExportCommand::Dcat {
            data,
            format,
            query,
            out,
        } => {
            let extension = match format.as_str() {
                "ttl" | "turtle" => "ttl",
                "jsonld" | "json-ld" => "jsonld",
                other => {
                    return Err(ExportError::Argument(format!(
                        "--format {other} is not known: use ttl or jsonld"
                    )));
                }
            };
            let node = LocalNode::connect(&DataDir::new(data))?;
            let mut path = format!("/export/catalog.{extension}");
            if let Some(query) = query.filter(|q| !q.is_empty()) {
                path.push('?');
                path.push_str(query.trim_start_matches('?'));
            }
            let (status, text) = node.get_text(&path)?;
            if status != 200 {
                return Err(ExportError::Refused { status, body: text });
            }
            match out {
                Some(out) => std::fs::write(&out, text).map_err(|e| ExportError::Write {
                    path: out.display().to_string(),
                    cause: e.to_string(),
                })?,
                None => print!("{text}"),
            }
            Ok(())
        }
    }
}
