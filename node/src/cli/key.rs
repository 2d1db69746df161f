//! `mosaico key show`: the region's publishing key, its fingerprint and the node's peer id,
//! read from the data directory (no running node needed), for sharing with the federation.

use clap::Subcommand;
use mosaico_node::datadir::DataDir;
use serde_json::json;

use super::ClientArgs;

/// `mosaico key …`.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Print the publishing key, its fingerprint and the node's peer id.
    Show(ClientArgs),
}

/// Runs one key subcommand.
pub fn run(command: KeyCommand) -> anyhow::Result<()> {
    match command {
        KeyCommand::Show(args) => show(&args),
    }
}

fn show(args: &ClientArgs) -> anyhow::Result<()> {
    let data = DataDir::new(&args.data);
    let secret = data.publisher_key()?;
    let peer_id = data.node_key()?.public().to_peer_id();
    let public = secret.public_key();
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &json!({"public_key": public, "fingerprint": public.fingerprint(), "peer_id": peer_id.to_string()})
            )?
        );
    } else {
        println!("public key: {public}");
        println!("fingerprint: {}", public.fingerprint());
        println!("peer id: {peer_id}");
    }
    Ok(())
}
