//! `mosaico token create|revoke|list`: the operator's API tokens, written straight into the
//! store of a stopped node by the library's `tokens` module; this file parses and prints.

use std::path::PathBuf;

use clap::builder::PossibleValue;
use clap::{Args, Subcommand, ValueEnum};
use mosaico_node::datadir::DataDir;
use mosaico_node::tokens;
use mosaico_web::Role;
use rand::RngCore as _;

/// `mosaico token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token and print it once (the node keeps only its hash). The node must be stopped.
    Create {
        #[command(flatten)]
        data: DataArg,
        /// What the token may do.
        #[arg(long, value_enum)]
        role: RoleValue,
        /// A note saying who or what uses it.
        #[arg(long)]
        label: Option<String>,
    },
    /// Revoke a token, given whole or by the first characters of its id. The node must be stopped.
    Revoke {
        #[command(flatten)]
        data: DataArg,
        /// The token, or at least six characters of the id `token list` shows.
        token: String,
    },
    /// List the tokens created with `token create` (ids, roles, labels; never the tokens).
    List {
        #[command(flatten)]
        data: DataArg,
    },
}

/// The data directory argument every token subcommand takes.
#[derive(Debug, Args)]
pub struct DataArg {
    /// The node's data directory.
    #[arg(long, env = "MOSAICO_DATA")]
    data: PathBuf,
}

/// The value of `--role`: a [`Role`] as clap parses it.
///
/// clap's `ValueEnum` cannot be implemented for the web crate's type from here, so this wrapper
/// carries it; its names are the role's own [`Role::as_str`], so the accepted values cannot
/// drift from what the token registry stores.
#[derive(Debug, Clone, Copy)]
pub struct RoleValue(Role);

impl ValueEnum for RoleValue {
    fn value_variants<'a>() -> &'a [Self] {
        &[RoleValue(Role::Publisher), RoleValue(Role::Admin)]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let help = match self.0 {
            Role::Publisher => "May publish and retract content records",
            Role::Admin => "May also publish trust records (membership, endorsements)",
        };
        Some(PossibleValue::new(self.0.as_str()).help(help))
    }
}

/// Runs one token subcommand.
pub fn run(command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create { data, role, label } => {
            let store = tokens::open_store(&DataDir::new(data.data))?;
            let mut random = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut random);
            let token = tokens::create(&store, role.0, label, random)?;
            println!("{token}");
            eprintln!(
                "This is the only time the token is shown: store it now. Send it as `Authorization: Bearer TOKEN`."
            );
        }
        TokenCommand::Revoke { data, token } => {
            let store = tokens::open_store(&DataDir::new(data.data))?;
            let entry = tokens::revoke(&store, &token)?;
            println!("revoked {}", entry.id);
        }
        TokenCommand::List { data } => {
            let store = tokens::open_store(&DataDir::new(data.data))?;
            let entries = tokens::list(&store)?;
            if entries.is_empty() {
                println!("no tokens created with `mosaico token create`");
            }
            for entry in entries {
                println!(
                    "{}  {:<9}  created {}  {}",
                    entry.id,
                    entry.role.as_str(),
                    entry.created_at,
                    entry.label.unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_is_accepted_by_its_own_name_and_nothing_else() {
        let names: Vec<String> = RoleValue::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value())
            .map(|p| p.get_name().to_owned())
            .collect();
        assert_eq!(names, ["publisher", "admin"]);
        for role in Role::ALL {
            let parsed = RoleValue::from_str(role.as_str(), false).expect("parses");
            assert_eq!(parsed.0, role);
        }
        assert!(RoleValue::from_str("owner", false).is_err());
    }
}
