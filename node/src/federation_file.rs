//! Membership files: the genesis document and later membership versions, as operators exchange
//! them out of band.
//!
//! A membership file is a signed record's envelope written as indented JSON for people to read.
//! Indentation does not matter: the id is computed over the canonical form, so the federation id
//! of a genesis file survives being re-indented, mailed or checked into a repository.

use std::fs;
use std::path::Path;

use mosaico_protocol::fields::{Member, MembershipFields};
use mosaico_protocol::{Kind, Millis, PublicKey, Record, SecretKey, Unverified, Verified};
use serde_json::{Value, json};

use crate::datadir::DataDir;

/// What can go wrong with a membership file.
#[derive(Debug, thiserror::Error)]
pub enum MembershipFileError {
    /// Unreadable or unwritable.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not a valid signed record.
    #[error("{path} is not a valid membership file: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// A member given on the command line could not be read.
    #[error("member \"{given}\": {message}")]
    Member {
        /// What was given.
        given: String,
        /// Why it is not usable.
        message: String,
    },
}

/// Reads a member given as a data directory or as `NAME=PUBLIC_KEY`.
pub fn parse_member(given: &str) -> Result<Member, MembershipFileError> {
    let error = |message: String| MembershipFileError::Member {
        given: given.to_owned(),
        message,
    };
    if let Some((name, key)) = given.split_once('=')
        && !Path::new(given).exists()
    {
        let key: PublicKey = key.trim().parse().map_err(|e| error(format!("{e}")))?;
        return Ok(Member {
            name: name.trim().to_owned(),
            key,
            country: None,
            nuts: None,
        });
    }
    let data = DataDir::new(given);
    let config = data.config().map_err(|e| {
        error(format!(
            "not a data directory ({e}); give a data directory or NAME=PUBLIC_KEY"
        ))
    })?;
    let key = data.publisher_key().map_err(|e| error(e.to_string()))?;
    Ok(Member {
        name: config.name,
        key: key.public_key(),
        country: config.country,
        nuts: config.nuts,
    })
}

/// Builds a genesis membership record. It needs no signature: its hash is its authority. It is
/// nevertheless signed by `signer` when one is given, so people can see who drew it up.
pub fn genesis(
    name: &str,
    members: Vec<Member>,
    threshold: u32,
    created_at: Millis,
    signer: Option<&SecretKey>,
) -> Result<Record<Verified>, MembershipFileError> {
    let invalid = |message: String| MembershipFileError::Invalid {
        path: "(new genesis)".into(),
        message,
    };
    let author = signer
        .map(SecretKey::public_key)
        .or_else(|| members.first().map(|m| m.key))
        .ok_or_else(|| invalid("a federation needs at least one member".into()))?;
    let unsigned = membership_record(name, members, threshold, None, author, 1, created_at)?;
    let signers: Vec<&SecretKey> = signer.into_iter().collect();
    Record::sign_with(unsigned, &signers).map_err(|e| invalid(e.to_string()))
}

/// Builds the next membership version after `current`, signed by its author.
pub fn update(
    current: &Record<Verified>,
    members: Vec<Member>,
    threshold: u32,
    created_at: Millis,
    author: &SecretKey,
) -> Result<Record<Verified>, MembershipFileError> {
    let fields =
        current
            .body()
            .membership
            .as_ref()
            .ok_or_else(|| MembershipFileError::Invalid {
                path: "(current membership)".into(),
                message: "not a membership record".into(),
            })?;
    let unsigned = membership_record(
        &fields.name,
        members,
        threshold,
        Some(current.id().to_hex()),
        author.public_key(),
        current.header().version + 1,
        created_at,
    )?;
    Record::sign(unsigned, author).map_err(|e| MembershipFileError::Invalid {
        path: "(membership update)".into(),
        message: e.to_string(),
    })
}

fn membership_record(
    name: &str,
    members: Vec<Member>,
    threshold: u32,
    previous: Option<String>,
    author: PublicKey,
    version: u64,
    created_at: Millis,
) -> Result<Value, MembershipFileError> {
    let membership = MembershipFields {
        name: name.to_owned(),
        threshold,
        previous,
        members,
    };
    let membership =
        serde_json::to_value(&membership).map_err(|e| MembershipFileError::Invalid {
            path: "(membership)".into(),
            message: e.to_string(),
        })?;
    Ok(json!({
        "format": mosaico_protocol::CURRENT_FORMAT,
        "kind": Kind::Membership.as_str(),
        "author": author.to_hex(),
        "slug": "federation",
        "version": version,
        "created_at": created_at,
        "membership": membership,
    }))
}

/// Writes a membership record as indented JSON.
pub fn write(path: &Path, record: &Record<Verified>) -> Result<(), MembershipFileError> {
    let envelope: Value =
        serde_json::from_slice(&record.to_wire()).map_err(|e| MembershipFileError::Invalid {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
    let text = serde_json::to_string_pretty(&envelope).unwrap_or_default() + "\n";
    fs::write(path, text).map_err(|source| MembershipFileError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// Reads and verifies a membership file.
pub fn read(path: &Path, now: Millis) -> Result<Record<Verified>, MembershipFileError> {
    let invalid = |message: String| MembershipFileError::Invalid {
        path: path.display().to_string(),
        message,
    };
    let bytes = fs::read(path).map_err(|source| MembershipFileError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let record = Record::<Unverified>::decode(&bytes)
        .and_then(|r| r.verify(now))
        .map_err(|e| invalid(e.to_string()))?;
    if record.header().kind != Kind::Membership {
        return Err(invalid(format!(
            "it holds a {} record, not a membership record",
            record.header().kind
        )));
    }
    Ok(record)
}
