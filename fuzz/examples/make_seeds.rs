//! Writes the seed corpus in `fuzz/seeds/`, one directory per target, from the protocol's test
//! vectors (`docs/protocol/vectors.json`) and the example drafts (`examples/*.yaml`):
//!
//! ```text
//! cd fuzz && cargo run --example make_seeds
//! ```
//!
//! Every seed is made by the protocol's own encoders, so the valid ones are what a real node
//! sends and the invalid ones differ from a valid one in one named way. The output depends only
//! on those inputs, so running this again rewrites the same files. It clears and rewrites only
//! the directories of the targets it knows; seeds of other targets (written by hand) stay.

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};

use mosaico_fuzz::{NOW, node_key, sync_items};
use mosaico_protocol::draft::Draft;
use mosaico_protocol::replication::{ReplicationConfig, Session, Step, respond_to_reconcile};
use mosaico_protocol::sync::{SyncRequest, SyncResponse};
use mosaico_protocol::trust::Federation;
use mosaico_protocol::yaml::{YamlBudget, yaml_to_json};
use mosaico_protocol::{Kind, Record, RecordId, Unverified};
use serde_json::{Value, json};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// Test vectors larger than this (the oversized-record vector) are left out: a seed should be
/// small, and libFuzzer's default input length limit would cut it anyway.
const MAX_SEED_BYTES: usize = 16 * 1024;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// One target's seed directory, emptied and ready to be written.
struct SeedDir {
    path: PathBuf,
}

impl SeedDir {
    fn fresh(target: &str) -> Result<Self> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("seeds")
            .join(target);
        if path.exists() {
            fs::remove_dir_all(&path)?;
        }
        fs::create_dir_all(&path)?;
        Ok(SeedDir { path })
    }

    fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> Result<()> {
        fs::write(self.path.join(name), bytes)?;
        Ok(())
    }
}

/// A file name from a vector's description: its first words, lowercase, joined by hyphens.
fn name_of(description: &str) -> String {
    let words: Vec<String> = description
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(6)
        .map(str::to_ascii_lowercase)
        .collect();
    words.join("-")
}

struct Vector {
    name: String,
    wire: Vec<u8>,
    valid: bool,
}

fn vectors() -> Result<Vec<Vector>> {
    let text = fs::read_to_string(repository().join("docs/protocol/vectors.json"))?;
    let all: Vec<Value> = serde_json::from_str(&text)?;
    let mut vectors = Vec::new();
    for vector in &all {
        let wire = match (vector.get("wire_hex"), vector.get("wire")) {
            (Some(Value::String(hex)), _) => hex_decode(hex)?,
            (_, Some(Value::String(text))) => text.as_bytes().to_vec(),
            _ => return Err("a vector without wire or wire_hex".into()),
        };
        if wire.len() > MAX_SEED_BYTES {
            continue;
        }
        vectors.push(Vector {
            name: name_of(vector["description"].as_str().unwrap_or("vector")),
            wire,
            valid: vector["valid"].as_bool() == Some(true),
        });
    }
    Ok(vectors)
}

fn hex_decode(hex: &str) -> Result<Vec<u8>> {
    (0..hex.len())
        .step_by(2)
        .map(|i| Ok(u8::from_str_radix(hex.get(i..i + 2).ok_or("odd hex")?, 16)?))
        .collect()
}

fn decoded(vector: &Vector) -> Result<Record<Unverified>> {
    Ok(Record::<Unverified>::decode(&vector.wire)?)
}

/// The example drafts, in a fixed order.
fn example_drafts() -> Result<Vec<(String, Vec<u8>)>> {
    let mut drafts = Vec::new();
    for entry in fs::read_dir(repository().join("examples"))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("draft");
            drafts.push((stem.to_owned(), fs::read(&path)?));
        }
    }
    drafts.sort();
    Ok(drafts)
}

fn record_seeds(vectors: &[Vector]) -> Result<()> {
    let dir = SeedDir::fresh("record_decode")?;
    for vector in vectors {
        let verdict = if vector.valid { "valid" } else { "invalid" };
        dir.write(&format!("{verdict}-{}.json", vector.name), &vector.wire)?;
    }
    Ok(())
}

fn membership_seeds(vectors: &[Vector]) -> Result<()> {
    let dir = SeedDir::fresh("membership_file")?;
    let mut memberships = Vec::new();
    let mut other = None;
    for vector in vectors.iter().filter(|v| v.valid) {
        let record = decoded(vector)?;
        let envelope: Value = serde_json::from_slice(&record.to_wire())?;
        if record.header().kind == Kind::Membership {
            memberships.push((vector, envelope));
        } else if other.is_none() {
            other = Some(envelope);
        }
    }
    let Some((genesis_vector, genesis)) = memberships.first() else {
        return Err("no membership vector".into());
    };
    // The first membership vector is the genesis; it must start a federation, or the target's
    // federation checks would start from nothing.
    Federation::from_genesis(&decoded(genesis_vector)?.verify(NOW)?)?;
    // Indented, as `mosaico federation` writes membership files for people.
    let pretty =
        |envelope: &Value| -> Result<String> { Ok(serde_json::to_string_pretty(envelope)? + "\n") };
    for (vector, envelope) in &memberships {
        dir.write(&format!("valid-{}.json", vector.name), pretty(envelope)?)?;
    }
    let genesis_text = pretty(genesis)?;
    dir.write(
        "invalid-cut-short.json",
        &genesis_text[..genesis_text.len() / 2],
    )?;
    let mut text_threshold = genesis.clone();
    text_threshold["record"]["membership"]["threshold"] = json!("two");
    dir.write("invalid-threshold-is-text.json", pretty(&text_threshold)?)?;
    if let Some(other) = other {
        dir.write("invalid-not-a-membership.json", pretty(&other)?)?;
    }
    Ok(())
}

fn sync_seeds(vectors: &[Vector]) -> Result<()> {
    let dir = SeedDir::fresh("sync_decode")?;
    let records: Vec<Record<Unverified>> = vectors
        .iter()
        .filter(|v| v.valid)
        .map(decoded)
        .collect::<Result<_>>()?;
    let ids: Vec<RecordId> = records.iter().map(Record::id).collect();

    // The catching-up side opens with a frame over the ids the fuzz target's session holds, and
    // a peer holding the vectors' records answers it: the answer moves that session on.
    let (_session, first) = Session::start(ReplicationConfig::default(), &sync_items());
    let Step::Send(request @ SyncRequest::Reconcile { .. }) = first else {
        return Err("a session does not open with a reconciliation frame".into());
    };
    let SyncRequest::Reconcile { frame } = &request else {
        unreachable!("matched just above");
    };
    let peer_items: Vec<(u64, RecordId)> = records
        .iter()
        .map(|r| (r.header().created_at, r.id()))
        .collect();
    let answer = respond_to_reconcile(&peer_items, frame)?;
    let response = SyncResponse::Reconcile {
        frame: answer.clone(),
    };
    let (mut session, _) = Session::start(ReplicationConfig::default(), &sync_items());
    match session.on_response(&response.encode()) {
        Step::Send(SyncRequest::Fetch { .. }) | Step::Send(SyncRequest::Reconcile { .. }) => {}
        other => {
            return Err(format!(
                "the reconcile response seed does not move the session on: {other:?}"
            )
            .into());
        }
    }
    dir.write("valid-request-reconcile.bin", request.encode())?;
    dir.write(
        "valid-response-reconcile.bin",
        SyncResponse::Reconcile { frame: answer }.encode(),
    )?;
    dir.write(
        "valid-request-fetch.bin",
        SyncRequest::Fetch {
            ids: ids[..3].to_vec(),
        }
        .encode(),
    )?;
    dir.write(
        "valid-response-records.bin",
        SyncResponse::Records {
            records: records.iter().take(3).map(|r| r.wire().to_vec()).collect(),
        }
        .encode(),
    )?;
    dir.write(
        "valid-response-refused.bin",
        SyncResponse::Refused {
            reason: "too many requests; try again in a minute".into(),
        }
        .encode(),
    )?;

    let mut format_one = request.encode();
    format_one[0] = 1;
    dir.write("invalid-format-1.bin", format_one)?;
    let mut unknown_tag = request.encode();
    unknown_tag[1] = 0x7f;
    dir.write("invalid-unknown-tag.bin", unknown_tag)?;
    let fetch = SyncRequest::Fetch {
        ids: ids[..2].to_vec(),
    }
    .encode();
    dir.write("invalid-fetch-cut-short.bin", &fetch[..fetch.len() - 5])?;
    let mut trailing = SyncResponse::Refused {
        reason: "busy".into(),
    }
    .encode();
    trailing.push(0);
    dir.write("invalid-trailing-byte.bin", trailing)?;
    // A records response announcing a batch just over the limit.
    let mut oversized = vec![2, 0x82];
    oversized.extend_from_slice(
        &(mosaico_protocol::sync::MAX_RECORDS_BATCH_BYTES as u32 + 1).to_be_bytes(),
    );
    oversized.extend_from_slice(&0u32.to_be_bytes());
    dir.write("invalid-batch-over-the-limit.bin", oversized)?;
    Ok(())
}

fn draft_json_seeds(vectors: &[Vector], drafts: &[(String, Vec<u8>)]) -> Result<()> {
    let dir = SeedDir::fresh("draft_json")?;
    let mut first_draft = None;
    for (name, yaml) in drafts {
        let value = yaml_to_json(yaml, YamlBudget::RECORD)?;
        ensure_signs(name, &value)?;
        dir.write(
            &format!("valid-{name}.json"),
            serde_json::to_vec_pretty(&value)?,
        )?;
        first_draft.get_or_insert(value);
    }
    let envelope = vectors.iter().find(|v| v.valid).ok_or("no valid vector")?;
    dir.write("valid-signed-envelope.json", &envelope.wire)?;
    let Some(Value::Object(draft)) = first_draft else {
        return Err("no example draft".into());
    };
    let mut with_author = draft.clone();
    with_author.insert("author".into(), json!("00".repeat(32)));
    dir.write(
        "invalid-sets-the-author.json",
        serde_json::to_vec(&with_author)?,
    )?;
    let mut without_kind = draft.clone();
    without_kind.remove("kind");
    dir.write(
        "invalid-without-kind.json",
        serde_json::to_vec(&without_kind)?,
    )?;
    dir.write("invalid-not-an-object.json", b"[\"kind\", \"case_study\"]")?;
    dir.write(
        "invalid-duplicate-slug.json",
        b"{\"kind\":\"solution\",\"slug\":\"a\",\"slug\":\"b\",\"title\":{\"en\":\"Twice\"}}",
    )?;
    dir.write(
        "invalid-unsafe-number.json",
        b"{\"kind\":\"solution\",\"slug\":\"big\",\"x-size\":9007199254740993}",
    )?;
    Ok(())
}

/// A valid draft seed must get through to signing, or the targets' deepest checks (the signed
/// record decodes and verifies) would start from nothing.
fn ensure_signs(name: &str, value: &Value) -> Result<()> {
    let key = node_key();
    let unsigned = Draft::from_value(value.clone())?.into_unsigned(key.public_key(), 1, NOW)?;
    Record::sign(unsigned, &key).map_err(|e| format!("example {name} does not sign: {e}"))?;
    Ok(())
}

fn draft_yaml_seeds(vectors: &[Vector], drafts: &[(String, Vec<u8>)]) -> Result<()> {
    let dir = SeedDir::fresh("draft_yaml")?;
    for (name, yaml) in drafts {
        dir.write(&format!("valid-{name}.yaml"), yaml)?;
    }
    // JSON is YAML: a signed envelope may come as either.
    let envelope = vectors.iter().find(|v| v.valid).ok_or("no valid vector")?;
    dir.write("valid-signed-envelope.yaml", &envelope.wire)?;
    // Found by this target: YAML keeps a whole number written as a float (`2.0`) a float, where
    // the JSON reader makes it the integer 2.
    let (name, yaml) = drafts.first().ok_or("no example draft")?;
    let mut whole_float = yaml.clone();
    whole_float.extend_from_slice(b"x-share: 0.\nx-count: 2.0\n");
    ensure_signs(name, &yaml_to_json(&whole_float, YamlBudget::RECORD)?)?;
    dir.write("valid-whole-float.yaml", whole_float)?;
    dir.write(
        "invalid-alias-bomb.yaml",
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n\
         b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
         c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n\
         d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
         e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
    )?;
    dir.write(
        "invalid-duplicate-key.yaml",
        "kind: solution\nslug: a\nslug: b\n",
    )?;
    dir.write(
        "invalid-number-key.yaml",
        "kind: solution\nslug: a\n1: one\n",
    )?;
    dir.write(
        "invalid-binary-tag.yaml",
        "kind: solution\nslug: a\nlogo: !!binary aGVsbG8=\n",
    )?;
    dir.write(
        "invalid-too-deep.yaml",
        format!(
            "kind: solution\nslug: a\nx-deep: {}{}\n",
            "[".repeat(20),
            "]".repeat(20)
        ),
    )?;
    Ok(())
}

fn main() -> Result<()> {
    let vectors = vectors()?;
    let drafts = example_drafts()?;
    record_seeds(&vectors)?;
    membership_seeds(&vectors)?;
    sync_seeds(&vectors)?;
    draft_json_seeds(&vectors, &drafts)?;
    draft_yaml_seeds(&vectors, &drafts)?;
    Ok(())
}
