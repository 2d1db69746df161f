//! `mosaico init`: a new data directory for one region.
//!
//! The randomness for the keys and the local token comes from the operating system here, at the
//! edge, so the library's `DataDir::init` stays deterministic and testable with fixed bytes.

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use mosaico_node::datadir::{DataDir, FileConfig};

/// The arguments of `mosaico init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The data directory to create.
    #[arg(long, env = "MOSAICO_DATA")]
    data: PathBuf,
    /// The region's name, e.g. "Emilia-Romagna".
    #[arg(long)]
    name: String,
    /// ISO 3166-1 alpha-2 country code, e.g. IT.
    #[arg(long)]
    country: Option<String>,
    /// NUTS 2021 region code, e.g. ITH5.
    #[arg(long)]
    nuts: Option<String>,
}

/// Checks the region's name and country, creates the data directory and prints what was made.
pub fn run(args: InitArgs) -> anyhow::Result<()> {
    let InitArgs {
        data,
        name,
        country,
        nuts,
    } = args;
    if let Some(country) = &country
        && !mosaico_protocol::iso3166::is_country_code(country)
    {
        bail!("--country {country} is not an ISO 3166-1 alpha-2 code (e.g. IT, ES, BE, FI)");
    }
    if name.trim().is_empty() {
        bail!("--name must not be empty");
    }
    let mut random = [0u8; 96];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut random);
    let config = FileConfig {
        name,
        country,
        nuts,
        ..FileConfig::default()
    };
    let made = DataDir::new(&data).init(&config, random)?;
    println!("created {}", data.display());
    println!("public key: {}", made.public_key);
    println!("fingerprint: {}", made.public_key.fingerprint());
    println!("peer id: {}", made.peer_id);
    println!(
        "next: share the public key with the federation, or create one with `mosaico federation create`"
    );
    Ok(())
}
