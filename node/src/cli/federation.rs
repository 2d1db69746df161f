//! `mosaico federation create|show|update|sign`: the membership files a federation is made of.
//!
//! These commands work on files and data directories only, never on a running node: drawing up
//! and co-signing a membership change happens between operators, before one of them publishes
//! the result with `mosaico publish`.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Subcommand;
use mosaico_node::clock::now_millis;
use mosaico_node::datadir::DataDir;
use mosaico_node::federation_file;
use serde_json::json;

/// `mosaico federation …`.
#[derive(Debug, Subcommand)]
pub enum FederationCommand {
    /// Write a genesis membership document; its hash is the federation id.
    Create {
        /// The federation's name, e.g. dt4regions.
        #[arg(long)]
        name: String,
        /// A member: its data directory, or NAME=PUBLIC_KEY. Repeat for each member.
        #[arg(long = "member", required = true)]
        members: Vec<String>,
        /// Member signatures needed to change the membership later (default: a majority).
        #[arg(long)]
        threshold: Option<u32>,
        /// Where to write the document.
        #[arg(long)]
        out: PathBuf,
    },
    /// Print a membership file and its federation id.
    Show {
        /// The membership file.
        file: PathBuf,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Draw up the next membership version, signed by this region; other members add their signatures with `federation sign`.
    Update {
        /// This region's data directory (its key signs the update).
        #[arg(long, env = "MOSAICO_DATA")]
        data: PathBuf,
        /// The current membership file (the genesis, or the latest update).
        #[arg(long)]
        current: PathBuf,
        /// A member to add: data directory or NAME=PUBLIC_KEY. Repeatable.
        #[arg(long = "add")]
        add: Vec<String>,
        /// A member to remove, by public key. Repeatable.
        #[arg(long = "remove")]
        remove: Vec<String>,
        /// The new threshold (default: unchanged, capped at the new member count).
        #[arg(long)]
        threshold: Option<u32>,
        /// Where to write the update.
        #[arg(long)]
        out: PathBuf,
    },
    /// Add this region's signature to a membership update file, in place.
    Sign {
        /// This region's data directory.
        #[arg(long, env = "MOSAICO_DATA")]
        data: PathBuf,
        /// The update file.
        file: PathBuf,
    },
}

/// Runs one federation subcommand.
pub fn run(command: FederationCommand) -> anyhow::Result<()> {
    match command {
        FederationCommand::Create {
            name,
            members,
            threshold,
            out,
        } => create(&name, &members, threshold, &out),
        FederationCommand::Show { file, json } => show(&file, json),
        FederationCommand::Update {
            data,
            current,
            add,
            remove,
            threshold,
            out,
        } => update(
            &DataDir::new(data),
            &current,
            &add,
            &remove,
            threshold,
            &out,
        ),
        FederationCommand::Sign { data, file } => sign(&DataDir::new(data), &file),
    }
}

fn create(
    name: &str,
    members: &[String],
    threshold: Option<u32>,
    out: &Path,
) -> anyhow::Result<()> {
    // Sign the genesis with the first member given as a local data directory, so people can see
    // who drew it up; the genesis needs no signature to be valid.
    let signer = members
        .iter()
        .find_map(|m| DataDir::new(m).publisher_key().ok());
    let members = members
        .iter()
        .map(|m| federation_file::parse_member(m))
        .collect::<Result<Vec<_>, _>>()?;
    let threshold = threshold.unwrap_or(members.len() as u32 / 2 + 1);
    let genesis =
        federation_file::genesis(name, members, threshold, now_millis(), signer.as_ref())?;
    federation_file::write(out, &genesis)?;
    println!("wrote {}", out.display());
    println!("federation id: {}", genesis.id());
    Ok(())
}

fn show(file: &Path, json: bool) -> anyhow::Result<()> {
    let record = federation_file::read(file, now_millis())?;
    let membership = record
        .body()
        .membership
        .clone()
        .context("not a membership record")?;
    if json {
        let view = json!({
            "federation_id": if record.header().version == 1 { Some(record.id().to_hex()) } else { None },
            "record_id": record.id(),
            "name": membership.name,
            "version": record.header().version,
            "threshold": membership.threshold,
            "previous": membership.previous,
            "members": membership.members,
            "signatures": record.signatures(),
        });
        println!("{}", serde_json::to_string_pretty(&view)?);
        return Ok(());
    }
    if record.header().version == 1 {
        println!("federation id: {}", record.id());
    } else {
        println!(
            "membership record: {} (version {})",
            record.id(),
            record.header().version
        );
    }
    println!("name: {}", membership.name);
    println!(
        "threshold: {} of {}",
        membership.threshold,
        membership.members.len()
    );
    for member in &membership.members {
        let place = [member.country.as_deref(), member.nuts.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        println!("  {}  {}  {}", member.key.fingerprint(), member.name, place);
    }
    println!("signatures: {}", record.signatures().len());
    Ok(())
}

fn update(
    data: &DataDir,
    current: &Path,
    add: &[String],
    remove: &[String],
    threshold: Option<u32>,
    out: &Path,
) -> anyhow::Result<()> {
    let current = federation_file::read(current, now_millis())?;
    let fields = current
        .body()
        .membership
        .clone()
        .context("not a membership record")?;
    let mut members = fields.members;
    for given in remove {
        let key: mosaico_protocol::PublicKey =
            given.parse().with_context(|| format!("--remove {given}"))?;
        let before = members.len();
        members.retain(|m| m.key != key);
        if members.len() == before {
            bail!("--remove {given}: no such member");
        }
    }
    for given in add {
        let member = federation_file::parse_member(given)?;
        if members.iter().any(|m| m.key == member.key) {
            bail!("--add {given}: already a member");
        }
        members.push(member);
    }
    let threshold = threshold
        .unwrap_or(fields.threshold)
        .min(members.len() as u32);
    let secret = data.publisher_key()?;
    let update = federation_file::update(&current, members, threshold, now_millis(), &secret)?;
    federation_file::write(out, &update)?;
    println!(
        "wrote {} (membership version {})",
        out.display(),
        update.header().version
    );
    println!(
        "it needs {} member signatures: each signs with `mosaico federation sign --data DIR {}`, then one publishes it with `mosaico publish`",
        fields.threshold,
        out.display()
    );
    Ok(())
}

fn sign(data: &DataDir, file: &Path) -> anyhow::Result<()> {
    let record = federation_file::read(file, now_millis())?;
    let secret = data.publisher_key()?;
    let signed = record.cosign(&secret);
    federation_file::write(file, &signed)?;
    println!(
        "{} now carries {} signatures",
        file.display(),
        signed.signatures().len()
    );
    Ok(())
}
