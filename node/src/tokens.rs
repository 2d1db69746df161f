//! `mosaico token create|revoke|list`: the operator's API tokens.
//!
//! A token is shown once, when it is created; the store keeps only its SHA-256 (what
//! `Backend::authorize` looks up) plus, for listing and revoking by prefix, a small registry in
//! the store's metadata: the first characters of the token, its role, label and creation time.
//! The commands write the store directly, so they need the node stopped: sled allows one process
//! per store, and a running node holds it. (Going through an admin HTTP endpoint instead would
//! need a token to create tokens; the operator's shell access is the root of trust here.)
//!
//! The command line (in the binary) parses the arguments and prints; this module opens the
//! store and keeps the registry, so it is testable on an in-memory store.

use mosaico_web::Role;
use serde::{Deserialize, Serialize};

use crate::clock::now_millis;
use crate::datadir::{DataDir, token_hash};
use crate::store::{RecordStore, SledStore, StoreError};

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

/// One registry entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenEntry {
    /// The first characters of the token after `mos_`.
    pub id: String,
    /// SHA-256 of the token, hex.
    pub hash: String,
    /// Its role, stored by name (`publisher`, `admin`).
    pub role: Role,
    /// The operator's note.
    #[serde(default)]
    pub label: Option<String>,
    /// When it was created (milliseconds since the epoch).
    pub created_at: u64,
}

/// Opens the store of a stopped node, saying so when the node is running and holds it.
pub fn open_store(data: &DataDir) -> Result<SledStore, TokenError> {
    // Checks that this is a data directory first, for the clearer error.
    if let Err(e) = data.config() {
        return Err(TokenError::Corrupt(e.to_string()));
    }
    SledStore::open(&data.store_path()).map_err(|e| match e {
        StoreError::Locked(_) => TokenError::NodeRunning(data.root().display().to_string()),
        other => TokenError::Store(other),
    })
}

/// The registry: every token created with `token create` and not revoked, oldest first.
pub fn list(store: &impl RecordStore) -> Result<Vec<TokenEntry>, TokenError> {
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
    role: Role,
    label: Option<String>,
    random: [u8; 32],
) -> Result<String, TokenError> {
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(random));
    let hash = token_hash(&token);
    store.put_token(&hash, role)?;
    let mut entries = list(store)?;
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
    let mut entries = list(store)?;
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
            role: Role::Publisher,
            label: None,
            created_at: 0,
        });
    }
    if given.strip_prefix(TOKEN_PREFIX).unwrap_or(given).len() < MIN_REVOKE_PREFIX {
        return Err(TokenError::PrefixTooShort);
    }
    Err(TokenError::NotFound(given.to_owned()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::store::MemoryStore;

    #[test]
    fn a_token_works_until_revoked_by_prefix() {
        let store = MemoryStore::default();
        let token = create(&store, Role::Admin, Some("ops".into()), [7; 32]).expect("create");
        assert!(token.starts_with("mos_0707"));
        assert_eq!(
            store.token_role(&token_hash(&token)).expect("read"),
            Some(Role::Admin)
        );
        let listed = list(&store).expect("list");
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
        assert!(list(&store).expect("list").is_empty());
    }

    #[test]
    fn a_whole_token_is_revoked_and_ambiguous_prefixes_refused() {
        let store = MemoryStore::default();
        let a = create(&store, Role::Publisher, None, [0xab; 32]).expect("create");
        let mut other = [0xab; 32];
        other[31] = 0;
        create(&store, Role::Publisher, None, other).expect("create");
        assert!(matches!(
            revoke(&store, "mos_abababab"),
            Err(TokenError::Ambiguous(_, 2))
        ));
        revoke(&store, &a).expect("revoke whole");
        assert_eq!(store.token_role(&token_hash(&a)).expect("read"), None);
        assert_eq!(list(&store).expect("list").len(), 1);
    }

    #[test]
    fn the_registry_keeps_roles_by_their_lowercase_names() {
        let store = MemoryStore::default();
        create(&store, Role::Admin, None, [1; 32]).expect("create");
        create(&store, Role::Publisher, None, [2; 32]).expect("create");
        let stored = store.meta(REGISTRY).expect("read").expect("registry");
        let text = String::from_utf8(stored).expect("JSON text");
        assert!(text.contains(r#""role":"admin""#), "{text}");
        assert!(text.contains(r#""role":"publisher""#), "{text}");
        // An entry as earlier versions wrote it still reads.
        let earlier =
            r#"[{"id":"abcdef12","hash":"00","role":"publisher","label":null,"created_at":5}]"#;
        store.set_meta(REGISTRY, earlier.as_bytes()).expect("write");
        let listed = list(&store).expect("list");
        assert_eq!(listed[0].role, Role::Publisher);
    }
}
