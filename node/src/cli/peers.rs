//! `mosaico peers`: the running node's peers, as lines for people or JSON for scripts.

use mosaico_node::client::NodeApiClient;
use mosaico_node::datadir::DataDir;
use serde_json::Value;

use super::{ClientArgs, problem};

/// Asks the node for `/api/v1/peers` and prints one line per peer, or a hint when there is none.
pub fn run(args: &ClientArgs) -> anyhow::Result<()> {
    let node = NodeApiClient::connect(&DataDir::new(&args.data))?;
    let (code, body) = node.get("/api/v1/peers")?.into_parts();
    if code != 200 {
        return Err(problem(code, &body));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&body)?);
        return Ok(());
    }
    let list = body
        .get("peers")
        .or(Some(&body))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if list.is_empty() {
        println!(
            "no peers: check that the listen port is reachable from the other regions, or add --peer"
        );
    }
    for peer in list {
        println!(
            "{}  connected: {}  {}",
            peer.get("peer_id").and_then(Value::as_str).unwrap_or("?"),
            peer.get("connected")
                .map(Value::to_string)
                .unwrap_or_default(),
            peer.get("addresses")
                .map(Value::to_string)
                .unwrap_or_default()
        );
    }
    Ok(())
}
