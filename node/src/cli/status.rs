//! `mosaico status`: the running node's state, as lines for people or JSON for scripts.

use mosaico_node::client::NodeApiClient;
use mosaico_node::clock::now_millis;
use mosaico_node::datadir::DataDir;
use serde_json::Value;

use super::{ClientArgs, problem};

/// Asks the node for `/api/v1/status` and prints it, with one line per catch-up peer.
pub fn run(args: &ClientArgs) -> anyhow::Result<()> {
    let node = NodeApiClient::connect(&DataDir::new(&args.data))?;
    let (code, body) = node.get("/api/v1/status")?.into_parts();
    if code != 200 {
        return Err(problem(code, &body));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&body)?);
        return Ok(());
    }
    let field = |name: &str| {
        body.get(name)
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_string())
            })
            .unwrap_or_default()
    };
    println!("node: {}", field("node_name"));
    println!("ready: {}", field("ready"));
    println!("peer id: {}", field("peer_id"));
    println!("federation: {}", field("federation_id"));
    println!("records: {}", field("record_count"));
    println!("uptime: {} s", field("uptime_secs"));
    let peers = body
        .get("sync")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if peers.is_empty() {
        println!("catch-up: no peer yet");
    }
    for peer in peers {
        let number = |name: &str| peer.get(name).and_then(Value::as_u64);
        let last = match number("last_sync_at") {
            Some(at) => format!("{} s ago", now_millis().saturating_sub(at) / 1000),
            None => "never".to_owned(),
        };
        println!(
            "catch-up with {}: last {last}, {} records in ({} in all), {} behind then{}",
            peer.get("peer_id").and_then(Value::as_str).unwrap_or("?"),
            number("last_fetched").unwrap_or(0),
            number("total_fetched").unwrap_or(0),
            number("behind_by").unwrap_or(0),
            match number("failures") {
                Some(0) | None => String::new(),
                Some(n) => format!(", {n} failed rounds in a row"),
            },
        );
    }
    Ok(())
}
