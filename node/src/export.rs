//! `mosaico export`: the federation's records in the formats portals harvest, fetched from the
//! running node (which renders them from the same code path as its `/export` routes).

use std::path::PathBuf;

use crate::client::{ClientError, NodeApiClient};
use crate::datadir::DataDir;

/// What `mosaico export dcat` asks for, as plain values the command line fills in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DcatOptions {
    /// `ttl` (or `turtle`) or `jsonld` (or `json-ld`).
    pub format: String,
    /// Search filters, as in the API: e.g. `kind=case_study&country=IT`.
    pub query: Option<String>,
    /// Where to write the catalogue; standard output when `None`.
    pub out: Option<PathBuf>,
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

/// Fetches the DCAT-AP catalogue from the running node of `data` and writes it out.
pub fn dcat(data: &DataDir, options: DcatOptions) -> Result<(), ExportError> {
    let DcatOptions { format, query, out } = options;
    let extension = match format.as_str() {
        "ttl" | "turtle" => "ttl",
        "jsonld" | "json-ld" => "jsonld",
        other => {
            return Err(ExportError::Argument(format!(
                "--format {other} is not known: use ttl or jsonld"
            )));
        }
    };
    let node = NodeApiClient::connect(data)?;
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
