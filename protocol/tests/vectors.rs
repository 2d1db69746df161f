//! Checks every test vector in `docs/protocol/vectors.json` against the code, so the spec's vectors
//! and the implementation cannot drift apart. Regenerate the file with
//! `cargo run -p mosaico-protocol --example vectors > docs/protocol/vectors.json`.

use std::collections::{BTreeMap, BTreeSet};

use mosaico_protocol::canonical;
use mosaico_protocol::keys::{PublicKey, RecordId, SIGNATURE_DOMAIN, SecretKey, SignatureBytes};
use mosaico_protocol::record::{Record, Unverified, Verified};
use mosaico_protocol::trust::{Federation, TrustError};
use mosaico_protocol::validate::FieldError;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn vectors() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/protocol/vectors.json");
    let text = std::fs::read_to_string(path).expect("docs/protocol/vectors.json is readable");
    serde_json::from_str(&text).expect("vectors.json is an array of objects")
}

fn string<'a>(vector: &'a Value, field: &str) -> &'a str {
    vector[field]
        .as_str()
        .unwrap_or_else(|| panic!("{}: {field} is a string", vector["description"]))
}

fn wire(vector: &Value) -> Vec<u8> {
    match vector.get("wire_hex") {
        Some(hex_text) => {
            hex::decode(hex_text.as_str().expect("wire_hex is a string")).expect("wire_hex is hex")
        }
        None => string(vector, "wire").as_bytes().to_vec(),
    }
}

fn now(vector: &Value) -> u64 {
    vector["now"].as_u64().expect("now is a whole number")
}

fn decode_and_verify(vector: &Value) -> Result<Record<Verified>, mosaico_protocol::RecordError> {
    Record::<Unverified>::decode(&wire(vector)).and_then(|r| r.verify(now(vector)))
}

#[test]
fn there_are_enough_vectors_and_they_cover_the_spec() {
    let vectors = vectors();
    assert!(vectors.len() >= 20, "{} vectors", vectors.len());
    let kinds: BTreeSet<&str> = vectors
        .iter()
        .filter_map(|v| v["record"]["kind"].as_str())
        .collect();
    for kind in [
        "solution",
        "case_study",
        "best_practice",
        "membership",
        "endorsement",
    ] {
        assert!(kinds.contains(kind), "no vector of kind {kind}");
    }
    let errors: BTreeSet<&str> = vectors.iter().filter_map(|v| v["error"].as_str()).collect();
    for code in [
        "bad_signature",
        "wrong_signers",
        "future_timestamp",
        "too_large",
        "duplicate_key",
        "unsafe_number",
        "invalid_field",
        "malformed_json",
        "too_deep",
        "malformed_envelope",
    ] {
        assert!(errors.contains(code), "no vector with error {code}");
    }
    let languages: BTreeSet<&str> = vectors
        .iter()
        .filter_map(|v| v["record"]["title"].as_object())
        .flat_map(|title| title.keys().map(String::as_str))
        .collect();
    for language in ["it", "ca", "de", "fi", "sv"] {
        assert!(languages.contains(language), "no title in {language}");
    }
    assert!(
        vectors
            .iter()
            .any(|v| v["record"]["retracted"] == Value::Bool(true))
    );
    assert!(
        vectors
            .iter()
            .any(|v| v["trust_error"] == "below_threshold")
    );
    let descriptions: BTreeSet<&str> = vectors.iter().map(|v| string(v, "description")).collect();
    assert_eq!(descriptions.len(), vectors.len(), "descriptions are unique");
}

#[test]
fn canonical_text_id_message_and_signature_match_the_code() {
    for vector in vectors() {
        let description = string(&vector, "description");
        let canonical_bytes = canonical::canonical_bytes(&vector["record"]);
        assert_eq!(
            String::from_utf8(canonical_bytes.clone()).expect("UTF-8"),
            string(&vector, "canonical"),
            "{description}: canonical text"
        );
        // Canonical text is a fixed point: parsing and re-encoding it gives the same bytes.
        let reparsed = canonical::parse_strict(&canonical_bytes).expect("canonical text parses");
        assert_eq!(
            canonical::canonical_bytes(&reparsed),
            canonical_bytes,
            "{description}"
        );

        let id = RecordId::of_canonical(&canonical_bytes);
        assert_eq!(id.to_hex(), string(&vector, "id"), "{description}: id");
        assert_eq!(
            hex::encode(Sha256::digest(string(&vector, "canonical").as_bytes())),
            string(&vector, "id"),
            "{description}: id is SHA-256 of the canonical text"
        );

        let mut message = SIGNATURE_DOMAIN.to_vec();
        message.extend_from_slice(id.as_bytes());
        assert_eq!(message, id.signed_message());
        assert_eq!(
            hex::encode(&message),
            string(&vector, "signed_message"),
            "{description}"
        );
        assert!(string(&vector, "signed_message").starts_with(&hex::encode("mosaico-record-v1:")));

        let secret = SecretKey::from_hex(string(&vector, "secret_key")).expect("secret key");
        let public: PublicKey = string(&vector, "public_key").parse().expect("public key");
        assert_eq!(secret.public_key(), public, "{description}: public key");
        let signature: SignatureBytes = string(&vector, "signature").parse().expect("signature");
        assert_eq!(
            secret.sign_id(&id),
            signature,
            "{description}: Ed25519 is deterministic"
        );
        assert!(public.verify_strict(&message, &signature), "{description}");

        for cosigner in vector["cosigners"].as_array().into_iter().flatten() {
            let secret = SecretKey::from_hex(string(cosigner, "secret_key")).expect("secret key");
            assert_eq!(secret.public_key().to_hex(), string(cosigner, "public_key"));
            assert_eq!(
                secret.sign_id(&id).to_hex(),
                string(cosigner, "signature"),
                "{description}"
            );
        }
    }
}

#[test]
fn decode_and_verify_give_the_stated_outcome() {
    for vector in vectors() {
        let description = string(&vector, "description");
        let valid = vector["valid"].as_bool().expect("valid is a bool");
        match decode_and_verify(&vector) {
            Ok(record) => {
                assert!(valid, "{description}: the code accepts it");
                assert_eq!(record.id().to_hex(), string(&vector, "id"), "{description}");
                assert_eq!(record.canonical(), string(&vector, "canonical").as_bytes());
                assert_eq!(record.unsigned(), &vector["record"], "{description}");
                // The wire form the node forwards keeps every field, including unknown ones.
                let again = Record::decode(&record.to_wire()).expect("own wire decodes");
                assert_eq!(again.id(), record.id(), "{description}");
                assert!(vector.get("error").is_none(), "{description}");
            }
            Err(error) => {
                assert!(!valid, "{description}: the code refuses it with {error}");
                assert_eq!(
                    error.code(),
                    string(&vector, "error"),
                    "{description}: {error}"
                );
                let expected: Vec<FieldError> = match vector.get("field_errors") {
                    Some(errors) => serde_json::from_value(errors.clone()).expect("field errors"),
                    None => Vec::new(),
                };
                assert_eq!(error.field_errors(), expected.as_slice(), "{description}");
            }
        }
    }
}

#[test]
fn newer_formats_verify_without_their_body_being_read() {
    let vectors = vectors();
    let newer = vectors
        .iter()
        .find(|v| v["record"]["format"].as_u64() > Some(1))
        .expect("a vector of a newer format");
    let record = decode_and_verify(newer).expect("a newer format verifies");
    assert!(!record.is_understood());
    assert!(
        record.body().title.is_empty(),
        "the body of a newer format is not interpreted"
    );
    assert!(
        record.unsigned().get("evidence").is_some(),
        "unknown fields are kept"
    );
}

#[test]
fn trust_vectors_give_the_stated_outcome() {
    let vectors = vectors();
    let by_id: BTreeMap<&str, &Value> = vectors.iter().map(|v| (string(v, "id"), v)).collect();
    let mut checked = 0;
    for vector in vectors.iter().filter(|v| v.get("trust_context").is_some()) {
        let description = string(vector, "description");
        let record = decode_and_verify(vector).expect("trust vectors verify");
        let context: Vec<Record<Verified>> = vector["trust_context"]
            .as_array()
            .expect("trust_context is an array")
            .iter()
            .map(|id| {
                let earlier = by_id[id.as_str().expect("an id")];
                decode_and_verify(earlier).expect("context records verify")
            })
            .collect();
        let mut federation = match context.first() {
            Some(genesis) => {
                Federation::from_genesis(genesis).expect("the first context record is a genesis")
            }
            None => Federation::from_genesis(&record).expect("a genesis vector"),
        };
        for earlier in context.iter().skip(1) {
            federation.apply(earlier).expect("context records apply");
        }
        let outcome = federation.admit(&record);
        assert_eq!(
            outcome.as_ref().err().map(TrustError::code),
            vector["trust_error"].as_str(),
            "{description}: {outcome:?}"
        );
        checked += 1;
    }
    assert!(checked >= 5, "{checked} trust vectors");
}

#[test]
fn the_genesis_vector_defines_the_federation_id() {
    let vectors = vectors();
    let genesis = vectors
        .iter()
        .find(|v| v["record"]["kind"] == "membership" && v["record"]["version"] == 1)
        .expect("a genesis vector");
    let record = decode_and_verify(genesis).expect("genesis verifies");
    let federation = Federation::from_genesis(&record).expect("genesis");
    assert_eq!(federation.id().to_hex(), string(genesis, "id"));
    for update in vectors
        .iter()
        .filter(|v| v["record"]["kind"] == "membership" && v["record"]["version"] == 2)
    {
        assert_eq!(update["record"]["membership"]["previous"], genesis["id"]);
        assert_eq!(update["trust_context"][0], genesis["id"]);
    }
}
