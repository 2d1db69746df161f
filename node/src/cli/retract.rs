//! `mosaico retract`: ask the running node to sign and publish the retraction of one of the
//! region's records, named by kind and slug.

use std::path::PathBuf;

use clap::Args;
use mosaico_node::client::NodeApiClient;
use mosaico_node::datadir::DataDir;
use mosaico_protocol::Kind;
use serde_json::{Value, json};

use super::problem;

/// The arguments of `mosaico retract`.
#[derive(Debug, Args)]
pub struct RetractArgs {
    /// The node's data directory.
    #[arg(long, env = "MOSAICO_DATA")]
    data: PathBuf,
    /// The record's kind: solution, case_study, best_practice, endorsement.
    #[arg(long)]
    kind: String,
    /// The record's slug.
    #[arg(long)]
    slug: String,
}

/// Checks the kind, posts the retraction and prints the retraction record's id.
pub fn run(args: RetractArgs) -> anyhow::Result<()> {
    let data = DataDir::new(args.data);
    let slug = args.slug.as_str();
    let kind = Kind::parse(&args.kind).map_err(|e| anyhow::anyhow!("--kind: {e}"))?;
    let secret = data.publisher_key()?;
    let node = NodeApiClient::connect(&data)?;
    let (status, answer) = node
        .post(
            &format!(
                "/api/v1/records/{}/{}/{}/retract",
                secret.public_key(),
                kind,
                slug
            ),
            &json!({}),
        )?
        .into_parts();
    if status != 201 {
        return Err(problem(status, &answer).context(format!("{kind}/{slug} was not retracted")));
    }
    println!(
        "retracted {kind}/{slug}: {}",
        answer.get("id").and_then(Value::as_str).unwrap_or("?")
    );
    Ok(())
}
