//! The command line of the `mosaico` binary: parse, dispatch, and turn every error into a
//! sentence and a non-zero exit.
//!
//! Each subcommand has its own file holding its clap arguments and a small function that turns
//! them into plain arguments for the library (`mosaico_node`), which knows nothing of clap. The
//! tree belongs to the binary, not to the library, so the library's users (the end-to-end tests,
//! other tools) get functions that take paths, strings and options structs.

mod demo;
mod export;
mod federation;
mod import;
mod init;
mod key;
mod peers;
mod publish;
mod reindex;
mod retract;
mod run;
mod status;
mod token;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use serde_json::Value;

#[derive(Debug, Parser)]
#[command(
    name = "mosaico",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("MOSAICO_GIT_COMMIT"), ")"),
    about = "A node of a Mosaico federation: regions sharing signed records of AI and data solutions, case studies and best practices.",
    long_about = None,
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a data directory: configuration, the node's network key, the region's publishing key and a local publish token.
    Init(init::InitArgs),
    /// Create or inspect federation membership files.
    #[command(subcommand)]
    Federation(federation::FederationCommand),
    /// Run the node: network, store and HTTP, until SIGINT or SIGTERM.
    Run(run::RunArgs),
    /// Start a three-region demo federation on this machine, with sample records, until Ctrl-C.
    Demo(demo::DemoArgs),
    /// Sign a record (YAML or JSON draft, or a signed membership file) and publish it through the running node.
    Publish(publish::PublishArgs),
    /// Publish the signed retraction of one of the region's records.
    Retract(retract::RetractArgs),
    /// Show the running node's state.
    Status(ClientArgs),
    /// List the running node's peers.
    Peers(ClientArgs),
    /// Show the region's keys.
    #[command(subcommand)]
    Key(key::KeyCommand),
    /// Rebuild the search index from the store (the node must be stopped).
    Reindex(reindex::ReindexArgs),
    /// Create, revoke and list API tokens (the node must be stopped).
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Import publiccode.yml files or a Public Sector Tech Watch CSV through the running node.
    Import(import::ImportArgs),
    /// Export the records as DCAT-AP 3.0.1 from the running node.
    Export(export::ExportArgs),
}

/// The arguments of the commands that ask a running node (or its data directory) and print
/// what they learn, for people or, with `--json`, for scripts.
#[derive(Debug, Args)]
struct ClientArgs {
    /// The node's data directory.
    #[arg(long, env = "MOSAICO_DATA")]
    data: PathBuf,
    /// Print JSON for scripts.
    #[arg(long)]
    json: bool,
}

/// Runs the command line and maps failure to exit code 1 with the error chain as sentences.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  because: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn dispatch(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Init(args) => init::run(args),
        Command::Federation(command) => federation::run(command),
        Command::Run(args) => run::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Publish(args) => publish::run(args),
        Command::Retract(args) => retract::run(args),
        Command::Status(args) => status::run(&args),
        Command::Peers(args) => peers::run(&args),
        Command::Key(command) => key::run(command),
        Command::Reindex(args) => reindex::run(args),
        Command::Token(command) => token::run(command),
        Command::Import(args) => import::run(args),
        Command::Export(args) => export::run(args),
    }
}

/// Turns a node's problem+json answer into an error listing every field problem, so the
/// operator sees all that is wrong with a record at once rather than one reason per attempt.
fn problem(status: u16, body: &Value) -> anyhow::Error {
    let title = body
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or("request failed");
    let detail = body.get("detail").and_then(Value::as_str).unwrap_or("");
    let mut message = format!("the node refused it ({status} {title})");
    if !detail.is_empty() {
        message.push_str(&format!(": {detail}"));
    }
    if let Some(errors) = body.get("errors").and_then(Value::as_array) {
        for error in errors {
            let field = error.get("field").and_then(Value::as_str).unwrap_or("?");
            let text = error.get("message").and_then(Value::as_str).unwrap_or("?");
            message.push_str(&format!("\n  {field}: {text}"));
        }
    }
    anyhow::anyhow!(message)
}
