//! `mosaico publish`: sign a record file locally and hand it to the running node.
//!
//! A draft is signed here, with the region's key from the data directory, as the next version
//! after the node's head; a file that is already a signed envelope (a co-signed membership
//! update) is sent as it is. Either way the node checks and stores it, and answers only once the
//! record is durable.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;
use mosaico_node::client::NodeApiClient;
use mosaico_node::clock::now_millis;
use mosaico_node::datadir::DataDir;
use mosaico_protocol::draft::Draft;
use mosaico_protocol::{Record, Unverified};
use serde_json::Value;

use super::problem;

/// Largest record file the CLI reads: a record is at most 64 KiB canonical, YAML a bit more.
const MAX_RECORD_FILE_BYTES: u64 = 1024 * 1024;

/// The arguments of `mosaico publish`.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The node's data directory.
    #[arg(long, env = "MOSAICO_DATA")]
    data: PathBuf,
    /// The record file.
    file: PathBuf,
}

/// Reads, signs (when a draft) and publishes the record file, printing its id and version.
pub fn run(args: PublishArgs) -> anyhow::Result<()> {
    let data = DataDir::new(args.data);
    let file = args.file.as_path();
    let value = read_record_file(file)?;
    let is_envelope = value.get("record").is_some() && value.get("signatures").is_some();
    let body = if is_envelope {
        let wire = serde_json::to_vec(&value)?;
        Record::<Unverified>::decode(&wire)
            .with_context(|| format!("{} is not a valid signed record", file.display()))?;
        value
    } else {
        let draft = Draft::from_value(value).map_err(|e| {
            anyhow::anyhow!(
                "{} is not a valid record:\n  {}",
                file.display(),
                e.to_string().replace("; ", "\n  ")
            )
        })?;
        sign_draft(&data, draft)?
    };
    let node = NodeApiClient::connect(&data)?;
    let (status, answer) = node.post("/api/v1/records", &body)?.into_parts();
    if status != 201 {
        return Err(
            problem(status, &answer).context(format!("{} was not published", file.display()))
        );
    }
    let id = answer.get("id").and_then(Value::as_str).unwrap_or("?");
    let version = answer.get("version").and_then(Value::as_u64).unwrap_or(0);
    println!("published {id} (version {version}), stored durably");
    Ok(())
}

/// Reads a record file as JSON or YAML (by extension, or by trying JSON first).
fn read_record_file(path: &Path) -> anyhow::Result<Value> {
    let metadata =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if metadata.len() > MAX_RECORD_FILE_BYTES {
        bail!(
            "{} is {} bytes; a record file is at most {} bytes",
            path.display(),
            metadata.len(),
            MAX_RECORD_FILE_BYTES
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let text = std::str::from_utf8(&bytes)
        .with_context(|| format!("{} is not UTF-8 text", path.display()))?;
    let is_json = path.extension().is_some_and(|e| e == "json");
    if is_json {
        return mosaico_protocol::canonical::parse_strict(text.as_bytes())
            .with_context(|| format!("{} is not valid JSON", path.display()));
    }
    let value: Value = serde_yaml::from_str(text)
        .with_context(|| format!("{} is not valid YAML", path.display()))?;
    mosaico_protocol::canonical::check_strict(&value)
        .with_context(|| format!("{}", path.display()))?;
    Ok(value)
}

/// Signs a draft locally with the region's key as the next version after the node's head.
fn sign_draft(data: &DataDir, draft: Draft) -> anyhow::Result<Value> {
    let secret = data.publisher_key()?;
    // Check the record before asking the node anything, so every problem is listed at once even
    // when the slug is not usable in a URL.
    let trial = draft
        .clone()
        .into_unsigned(secret.public_key(), 1, now_millis());
    if let Ok(unsigned) = trial {
        Record::sign(unsigned, &secret).map_err(|e| {
            anyhow::anyhow!(
                "the record is not valid:\n  {}",
                e.to_string().replace("; ", "\n  ")
            )
        })?;
    }
    let node = NodeApiClient::connect(data)?;
    let path = format!(
        "/api/v1/records/{}/{}/{}",
        secret.public_key(),
        draft.kind(),
        draft.slug()
    );
    let (status, head) = node.get(&path)?.into_parts();
    let next = match status {
        200 => {
            head.pointer("/record/version")
                .and_then(Value::as_u64)
                .context("the node's answer has no version")?
                + 1
        }
        404 => 1,
        other => return Err(problem(other, &head)),
    };
    let unsigned = draft.into_unsigned(secret.public_key(), next, now_millis())?;
    let record = Record::sign(unsigned, &secret).map_err(|e| {
        anyhow::anyhow!(
            "the record is not valid:\n  {}",
            e.to_string().replace("; ", "\n  ")
        )
    })?;
    Ok(serde_json::from_slice(&record.to_wire())?)
}
