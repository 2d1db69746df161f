//! Keys, ids and the exact bytes that are signed.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// The domain-separation prefix of every record signature. Signing `prefix ‖ id` rather than the
/// id alone means a Mosaico signature can never be replayed as a signature over anything else.
pub const SIGNATURE_DOMAIN: &[u8] = b"mosaico-record-v1:";

/// A value that was not 32 (or 64) bytes of lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{text}\" is not {expected}")]
pub struct HexError {
    text: String,
    expected: &'static str,
}

fn decode_hex<const N: usize>(text: &str, expected: &'static str) -> Result<[u8; N], HexError> {
    let error = || HexError {
        text: text.chars().take(80).collect(),
        expected,
    };
    // Uppercase hex would give two spellings of one key, and keys appear in signed bytes.
    if text.len() != N * 2 || text.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(error());
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).map_err(|_| error())?;
    Ok(out)
}

macro_rules! hex_bytes {
    ($(#[$meta:meta])* $name:ident, $len:expr, $expected:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }
            /// Lowercase hex, the only form the protocol writes.
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.to_hex())
            }
        }

        impl FromStr for $name {
            type Err = HexError;
            fn from_str(s: &str) -> Result<Self, HexError> {
                decode_hex::<$len>(s, $expected).map($name)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_hex())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

hex_bytes!(
    /// An Ed25519 public key: a region's or partner's publishing identity.
    PublicKey, 32, "a public key (64 lowercase hex digits)"
);
hex_bytes!(
    /// A record id: SHA-256 of the record's canonical unsigned bytes.
    RecordId, 32, "a record id (64 lowercase hex digits)"
);
hex_bytes!(
    /// An Ed25519 signature.
    SignatureBytes, 64, "a signature (128 lowercase hex digits)"
);

/// The id of a federation: the record id of its genesis membership document.
pub type FederationId = RecordId;

impl RecordId {
    /// The id of the record whose canonical bytes are `canonical`.
    pub fn of_canonical(canonical: &[u8]) -> Self {
        RecordId(Sha256::digest(canonical).into())
    }

    /// The exact bytes a signature covers: [`SIGNATURE_DOMAIN`] followed by the 32 id bytes.
    pub fn signed_message(&self) -> [u8; 50] {
        let mut message = [0u8; 50];
        message[..SIGNATURE_DOMAIN.len()].copy_from_slice(SIGNATURE_DOMAIN);
        message[SIGNATURE_DOMAIN.len()..].copy_from_slice(&self.0);
        message
    }
}

impl PublicKey {
    /// A short fingerprint for people: the first 8 bytes of SHA-256 of the key, in groups.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(self.0);
        digest[..8]
            .chunks(2)
            .map(hex::encode)
            .collect::<Vec<_>>()
            .join(":")
    }

    /// Checks `signature` over `message` with strict Ed25519 rules (no small-order keys, canonical
    /// scalars), so every conforming implementation accepts exactly the same signatures.
    pub fn verify_strict(&self, message: &[u8], signature: &SignatureBytes) -> bool {
        let Some(key) = self.verifying_key() else {
            return false;
        };
        let signature = ed25519_dalek::Signature::from_bytes(&signature.0);
        key.verify_strict(message, &signature).is_ok()
    }

    /// The key as a curve point. Decompressing it costs about a quarter of a signature check,
    /// and a federation has a few dozen keys signing thousands of records each, so each thread
    /// remembers the keys it has decompressed (a pure function's results: nothing to invalidate).
    fn verifying_key(&self) -> Option<VerifyingKey> {
        /// More distinct keys than any federation has; past it the memory starts afresh.
        const REMEMBERED: usize = 1024;
        thread_local! {
            static DECOMPRESSED: std::cell::RefCell<std::collections::HashMap<[u8; 32], VerifyingKey>> =
                std::cell::RefCell::new(std::collections::HashMap::new());
        }
        DECOMPRESSED.with_borrow_mut(|keys| {
            if let Some(key) = keys.get(&self.0) {
                return Some(*key);
            }
            let key = VerifyingKey::from_bytes(&self.0).ok()?;
            if keys.len() >= REMEMBERED {
                keys.clear();
            }
            keys.insert(self.0, key);
            Some(key)
        })
    }
}

/// A publishing secret key. Its `Debug` form hides the secret.
#[derive(Clone)]
pub struct SecretKey(SigningKey);

impl SecretKey {
    /// The key with the given 32 secret bytes (the caller supplies randomness).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        SecretKey(SigningKey::from_bytes(&bytes))
    }

    /// Reads a key from 64 lowercase hex digits.
    pub fn from_hex(text: &str) -> Result<Self, HexError> {
        decode_hex::<32>(text.trim(), "a secret key (64 lowercase hex digits)")
            .map(Self::from_bytes)
    }

    /// The secret as 64 hex digits, for the key file.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.to_bytes())
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key().to_bytes())
    }

    /// Signs a record id (over [`RecordId::signed_message`]).
    pub fn sign_id(&self, id: &RecordId) -> SignatureBytes {
        SignatureBytes(self.0.sign(&id.signed_message()).to_bytes())
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey(public {})", self.public_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lowercase_and_exact_length() {
        let key = SecretKey::from_bytes([7; 32]).public_key();
        assert_eq!(key.to_hex().parse::<PublicKey>(), Ok(key));
        assert!(key.to_hex().to_uppercase().parse::<PublicKey>().is_err());
        assert!("abcd".parse::<PublicKey>().is_err());
        let err = "zz".repeat(32).parse::<RecordId>().expect_err("not hex");
        assert!(err.to_string().contains("is not a record id"));
    }

    #[test]
    fn signature_covers_the_domain_and_the_id() {
        let secret = SecretKey::from_bytes([1; 32]);
        let id = RecordId::of_canonical(b"{}");
        let signature = secret.sign_id(&id);
        assert!(
            secret
                .public_key()
                .verify_strict(&id.signed_message(), &signature)
        );
        assert!(!secret.public_key().verify_strict(&id.0, &signature));
        let other = SecretKey::from_bytes([2; 32]).public_key();
        assert!(!other.verify_strict(&id.signed_message(), &signature));
    }
}
