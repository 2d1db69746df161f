//! `mosaico token create|revoke|list`: the operator's API tokens.
//!
//! A token is shown once, when it is created; the store keeps only its SHA-256 (what
//! `Backend::authorize` looks up) plus, for listing and revoking by prefix, a small registry in
//! the store's metadata: the first characters of the token, its role, label and creation time.
//! The commands write the store directly, so they need the node stopped: sled allows one process
//! per store, and a running node holds it. (Going through an admin HTTP endpoint instead would
//! need a token to create tokens; the operator's shell access is the root of trust here.)

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};

use crate::datadir::{DataDir, token_hash};
use crate::node::now_millis;
use crate::store::{RecordStore, SledStore, StoreError, TokenRole};

/// The metadata entry holding the registry.
const REGISTRY: &str = "api_tokens";
/// What every token starts with, so a leaked one is recognisable in logs and secret scanners.
const TOKEN_PREFIX: &str = "mos_";
/// Characters of the token (after `mos_`) kept to identify it.
const ID_CHARS: usize = 8;
/// Shortest prefix accepted by `revoke`, so a slip of the finger cannot match many tokens.
const MIN_REVOKE_PREFIX: usize = 6;

/// What can go wrong with tokens.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The node is running: its store is locked.
    #[error(
        "the node is running on {0}: stop it first (token commands write its store, which a running node holds locked)"
    )]
    NodeRunning(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No token matches.
    #[error("no token matches \"{0}\"; `mosaico token list` shows them")]
    NotFound(String),
    /// Several tokens match a prefix.
    #[error("\"{0}\" matches {1} tokens; give more characters")]
    Ambiguous(String, usize),
    /// The prefix is too short.
    #[error("give the whole token or at least {MIN_REVOKE_PREFIX} characters of its id")]
    PrefixTooShort,
    /// The registry does not decode.
    #[error("the token registry in the store is damaged: {0}")]
    Corrupt(String),
}

/// A token's role on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoleArg {
    /// May publish and retract content records.
    Publisher,
    /// May also publish trust records (membership, endorsements).
    Admin,
}

impl From<RoleArg> for TokenRole {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Publisher => TokenRole::Publisher,
            RoleArg::Admin => TokenRole::Admin,
        }
    }
}

/// `mosaico token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token and print it once (the node keeps only its hash). The node must be stopped.
    Create {
        #[command(flatten)]
        data: DataArg,
        /// What the token may do.
        #[arg(long, value_enum)]
        role: RoleArg,
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

/// The data directory argument.
#[derive(Debug, Args)]
pub struct DataArg {
    /// The node's data directory.
    #[arg(long, env = "MOSAICO_DATA")]
    pub data: PathBuf,
}

/// One registry entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenEntry {
    /// The first characters of the token after `mos_`.
    pub id: String,
    /// SHA-256 of the token, hex.
    pub hash: String,
    /// Its role.
    pub role: RoleArg,
    /// The operator's note.
    #[serde(default)]
    pub label: Option<String>,
    /// When it was created (milliseconds since the epoch).
    pub created_at: u64,
}

fn open(data: &DataDir) -> Result<SledStore, TokenError> {
    // Checks that this is a data directory first, for the clearer error.
    if let Err(e) = data.config() {
        return Err(TokenError::Corrupt(e.to_string()));
    }
    SledStore::open(&data.store_path()).map_err(|e| match e {
        StoreError::Locked(_) => TokenError::NodeRunning(data.root().display().to_string()),
        other => TokenError::Store(other),
    })
}

fn registry(store: &impl RecordStore) -> Result<Vec<TokenEntry>, TokenError> {
    match store.meta(REGISTRY)? {
        None => Ok(Vec::new()),
        Some(bytes) => {
            serde_json::from_slice(&bytes).map_err(|e| TokenError::Corrupt(e.to_string()))
        }
    }
}

fn save(store: &impl RecordStore, entries: &[TokenEntry]) -> Result<(), TokenError> {
    // A list of plain structs always serializes.
    let bytes = serde_json::to_vec(entries).unwrap_or_default();
    Ok(store.set_meta(REGISTRY, &bytes)?)
}

/// Creates a token from 256 random bits, stores its hash and registry entry, returns its text.
pub fn create(
    store: &impl RecordStore,
    role: RoleArg,
    label: Option<String>,
    random: [u8; 32],
) -> Result<String, TokenError> {
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(random));
    let hash = token_hash(&token);
    store.put_token(&hash, role.into())?;
    let mut entries = registry(store)?;
    entries.push(TokenEntry {
        id: token[TOKEN_PREFIX.len()..TOKEN_PREFIX.len() + ID_CHARS].to_owned(),
        hash: hex::encode(hash),
        role,
        label,
        created_at: now_millis(),
    });
    save(store, &entries)?;
    Ok(token)
}

/// Revokes the token given whole, or the one registry entry whose id starts with `given`.
pub fn revoke(store: &impl RecordStore, given: &str) -> Result<TokenEntry, TokenError> {
    let given = given.trim();
    let mut entries = registry(store)?;
    let whole = hex::encode(token_hash(given));
    let position = if let Some(p) = entries.iter().position(|e| e.hash == whole) {
        p
    } else {
        let prefix = given.strip_prefix(TOKEN_PREFIX).unwrap_or(given);
        if prefix.len() < MIN_REVOKE_PREFIX {
            // A whole token created before the registry (e.g. by `init`) is still revocable.
            return revoke_unregistered(store, given);
        }
        let matching: Vec<usize> = (0..entries.len())
            .filter(|&i| entries[i].id.starts_with(prefix) || prefix.starts_with(&entries[i].id))
            .collect();
        match matching.as_slice() {
            [] => return revoke_unregistered(store, given),
            [one] => *one,
            many => return Err(TokenError::Ambiguous(given.to_owned(), many.len())),
        }
    };
    let entry = entries.remove(position);
    let mut hash = [0u8; 32];
    hex::decode_to_slice(&entry.hash, &mut hash).map_err(|e| TokenError::Corrupt(e.to_string()))?;
    store.remove_token(&hash)?;
    save(store, &entries)?;
    Ok(entry)
}

fn revoke_unregistered(store: &impl RecordStore, given: &str) -> Result<TokenEntry, TokenError> {
    if store.remove_token(&token_hash(given))? {
        return Ok(TokenEntry {
            id: "(unregistered)".into(),
            hash: hex::encode(token_hash(given)),
            role: RoleArg::Publisher,
            label: None,
            created_at: 0,
        });
    }
    if given.strip_prefix(TOKEN_PREFIX).unwrap_or(given).len() < MIN_REVOKE_PREFIX {
        return Err(TokenError::PrefixTooShort);
    }
    Err(TokenError::NotFound(given.to_owned()))
}

/// Runs a token command.
pub fn run(command: TokenCommand) -> Result<(), TokenError> {
    match command {
        TokenCommand::Create { data, role, label } => {
            let store = open(&DataDir::new(data.data))?;
            let mut random = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut random);
            let token = create(&store, role, label, random)?;
            println!("{token}");
            eprintln!(
                "This is the only time the token is shown: store it now. Send it as `Authorization: Bearer TOKEN`."
            );
        }
        TokenCommand::Revoke { data, token } => {
            let store = open(&DataDir::new(data.data))?;
            let entry = revoke(&store, &token)?;
            println!("revoked {}", entry.id);
        }
        TokenCommand::List { data } => {
            let store = open(&DataDir::new(data.data))?;
            let entries = registry(&store)?;
            if entries.is_empty() {
                println!("no tokens created with `mosaico token create`");
            }
            for entry in entries {
                println!(
                    "{}  {:<9}  created {}  {}",
                    entry.id,
                    format!("{:?}", entry.role).to_lowercase(),
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
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::store::MemoryStore;

    #[test]
    fn a_token_works_until_revoked_by_prefix() {
        let store = MemoryStore::default();
        let token = create(&store, RoleArg::Admin, Some("ops".into()), [7; 32]).expect("create");
        assert!(token.starts_with("mos_0707"));
        assert_eq!(
            store.token_role(&token_hash(&token)).expect("read"),
            Some(TokenRole::Admin)
        );
        let listed = registry(&store).expect("list");
        assert_eq!(listed.len(), 1);
        assert!(
            !listed[0].hash.contains(&token[4..]),
            "the token itself is never stored"
        );
        assert!(matches!(
            revoke(&store, "0707"),
            Err(TokenError::PrefixTooShort)
        ));
        assert!(matches!(
            revoke(&store, "abcdef99"),
            Err(TokenError::NotFound(_))
        ));
        assert_eq!(revoke(&store, "070707").expect("revoke").id, listed[0].id);
        assert_eq!(store.token_role(&token_hash(&token)).expect("read"), None);
        assert!(registry(&store).expect("list").is_empty());
    }

    #[test]
    fn a_whole_token_is_revoked_and_ambiguous_prefixes_refused() {
        let store = MemoryStore::default();
        let a = create(&store, RoleArg::Publisher, None, [0xab; 32]).expect("create");
        let mut other = [0xab; 32];
        other[31] = 0;
        create(&store, RoleArg::Publisher, None, other).expect("create");
        assert!(matches!(
            revoke(&store, "mos_abababab"),
            Err(TokenError::Ambiguous(_, 2))
        ));
        revoke(&store, &a).expect("revoke whole");
        assert_eq!(store.token_role(&token_hash(&a)).expect("read"), None);
        assert_eq!(registry(&store).expect("list").len(), 1);
    }
}
