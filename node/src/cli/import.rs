//! `mosaico import publiccode|pstw`: bring what a region already has into the federation,
//! through the running node. The clap arguments live here; the import itself is the library's
//! (`mosaico_node::import`), which takes them as plain options.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use mosaico_node::import::{PstwOptions, PubliccodeOptions, import_pstw, import_publiccode};

/// `mosaico import …`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    command: ImportCommand,
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// Validate publiccode.yml files (or directories of them) and publish each valid one as a solution.
    Publiccode(PubliccodeArgs),
    /// Publish each row of a Public Sector Tech Watch CSV as a case study.
    Pstw(PstwArgs),
}

#[derive(Debug, Args)]
struct PubliccodeArgs {
    /// The node's data directory.
    #[arg(long, env = "MOSAICO_DATA")]
    data: PathBuf,
    /// publiccode.yml files, or directories to search for *.yml and *.yaml files.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Validate only; publish nothing (needs no running node).
    #[arg(long)]
    check: bool,
    /// Check logos and screenshots named by relative path next to each file (when it sits in a
    /// checkout of its repository); otherwise those checks need the network and are skipped.
    #[arg(long)]
    local_assets: bool,
    /// Accept YAML 1.1 booleans (yes/no) and a maintenance type inconsistent with its contacts or
    /// contractors, with a warning: real files often have these, and they change nothing in the
    /// record. Without it the verdict is the official parser's.
    #[arg(long)]
    lenient: bool,
}

#[derive(Debug, Args)]
struct PstwArgs {
    /// The node's data directory.
    #[arg(long, env = "MOSAICO_DATA")]
    data: PathBuf,
    /// The PSTW CSV release.
    file: PathBuf,
    /// Import only rows of this country (ISO 3166-1 alpha-2); repeatable.
    #[arg(long = "only-country")]
    only_country: Vec<String>,
    /// Retract this node's PSTW records whose rows are no longer in the file.
    #[arg(long)]
    sync: bool,
}

/// Runs one import subcommand.
pub fn run(args: ImportArgs) -> anyhow::Result<()> {
    match args.command {
        ImportCommand::Publiccode(args) => Ok(import_publiccode(PubliccodeOptions {
            data: args.data,
            paths: args.paths,
            check: args.check,
            local_assets: args.local_assets,
            lenient: args.lenient,
        })?),
        ImportCommand::Pstw(args) => Ok(import_pstw(PstwOptions {
            data: args.data,
            file: args.file,
            only_country: args.only_country,
            sync: args.sync,
        })?),
    }
}
