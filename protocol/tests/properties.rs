//! Property tests for the encoding, the signatures, the head rule and the sync messages.

use mosaico_protocol::canonical::{self, MAX_SAFE_INTEGER};
use mosaico_protocol::head::{self, VersionInfo};
use mosaico_protocol::keys::{RecordId, SecretKey};
use mosaico_protocol::record::Record;
use mosaico_protocol::sync::{MAX_FETCH_IDS, SyncRequest, SyncResponse};
use proptest::prelude::*;
use serde_json::{Map, Number, Value, json};

const T0: u64 = 1_795_425_600_000;

/// Any JSON value the strict rules admit: safe numbers, any Unicode text, bounded depth.
fn json_value() -> impl Strategy<Value = Value> {
    let safe = MAX_SAFE_INTEGER as i64;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-safe..=safe).prop_map(|n| Value::Number(n.into())),
        (-1e15f64..1e15f64)
            .prop_map(|f| Value::Number(Number::from_f64(f).unwrap_or_else(|| 0.into()))),
        any::<f64>()
            .prop_filter("finite and safe", |f| f.is_finite()
                && f.abs() <= MAX_SAFE_INTEGER as f64)
            .prop_map(|f| Value::Number(Number::from_f64(f).unwrap_or_else(|| 0.into()))),
        ".*".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A small deterministic generator, so one proptest seed drives every layout choice.
struct Layout(u64);

impl Layout {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn space(&mut self, out: &mut String) {
        for _ in 0..self.next() % 3 {
            out.push([' ', '\n', '\t', '\r'][(self.next() % 4) as usize]);
        }
    }

    /// Writes `value` as valid JSON with members in a shuffled order, random whitespace and
    /// random (but equivalent) string escapes.
    fn write(&mut self, value: &Value, out: &mut String) {
        self.space(out);
        match value {
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.write(item, out);
                }
                self.space(out);
                out.push(']');
            }
            Value::Object(map) => {
                let mut members: Vec<(&String, &Value)> = map.iter().collect();
                for i in (1..members.len()).rev() {
                    let j = (self.next() % (i as u64 + 1)) as usize;
                    members.swap(i, j);
                }
                out.push('{');
                for (i, (key, item)) in members.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.space(out);
                    self.string(key, out);
                    self.space(out);
                    out.push(':');
                    self.write(item, out);
                }
                self.space(out);
                out.push('}');
            }
            Value::String(text) => self.string(text, out),
            Value::Number(n) => match n.as_f64() {
                // Write some floats in exponent notation: the value, not the text, is what counts.
                Some(f) if n.is_f64() && self.next().is_multiple_of(2) => {
                    out.push_str(&format!("{f:e}"))
                }
                _ => out.push_str(&n.to_string()),
            },
            other => out.push_str(&other.to_string()),
        }
        self.space(out);
    }

    fn string(&mut self, text: &str, out: &mut String) {
        out.push('"');
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '/' if self.next().is_multiple_of(2) => out.push_str("\\/"),
                c if (c as u32) < 0x20 || self.next().is_multiple_of(4) => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{unit:04X}"));
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
    }
}

fn record(slug: &str, title: &str, version: u64, created_at: u64, extra: Value) -> Value {
    json!({
        "format": 1,
        "kind": "case_study",
        "author": SecretKey::from_bytes([5; 32]).public_key(),
        "slug": slug,
        "version": version,
        "created_at": created_at,
        "title": {"it": title},
        "summary": {"it": "Un assistente virtuale risponde alle domande dei cittadini."},
        "organisation": "Regione Emilia-Romagna",
        "country": "IT",
        "x_extra": extra,
    })
}

fn title() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9àèéìòùçäöüßåñ ,.'-]{0,100}".prop_filter("not blank", |t| !t.trim().is_empty())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn canonical_form_ignores_member_order_whitespace_and_escapes(value in json_value(), seed in any::<u64>()) {
        let expected = canonical::canonical_bytes(&value);
        let mut text = String::new();
        Layout(seed).write(&value, &mut text);
        let parsed = canonical::parse_strict(text.as_bytes());
        prop_assert!(parsed.is_ok(), "{text}: {parsed:?}");
        let parsed = parsed.unwrap_or_default();
        prop_assert_eq!(canonical::canonical_bytes(&parsed), expected.clone());
        // And the canonical text is a fixed point.
        let again = canonical::parse_strict(&expected).unwrap_or_default();
        prop_assert_eq!(canonical::canonical_bytes(&again), expected);
    }

    #[test]
    fn sign_then_verify_holds(
        secret in any::<[u8; 32]>(),
        slug in "[a-z0-9][a-z0-9._-]{0,40}",
        title in title(),
        version in 1u64..1_000_000,
        created_at in 0u64..4_000_000_000_000,
        extra in json_value(),
    ) {
        let secret = SecretKey::from_bytes(secret);
        let mut value = record(&slug, &title, version, created_at, extra);
        value["author"] = json!(secret.public_key());
        let signed = Record::sign(value, &secret);
        prop_assert!(signed.is_ok(), "{signed:?}");
        let Ok(signed) = signed else { return Ok(()) };
        let verified = Record::decode(&signed.to_wire()).and_then(|r| r.verify(created_at));
        prop_assert!(verified.is_ok(), "{verified:?}");
        let Ok(verified) = verified else { return Ok(()) };
        prop_assert_eq!(verified.id(), signed.id());
        prop_assert_eq!(verified.id(), RecordId::of_canonical(verified.canonical()));
    }

    #[test]
    fn the_wire_form_is_the_canonical_envelope_however_it_arrived(
        secrets in prop::collection::vec(any::<[u8; 32]>(), 1..4),
        title in title(),
        extra in json_value(),
    ) {
        // Membership records carry several signatures; the envelope must stay canonical.
        let secrets: Vec<SecretKey> = secrets.into_iter().map(SecretKey::from_bytes).collect();
        let mut value = record("chatbot-urp", &title, 1, T0, extra);
        value["author"] = json!(secrets[0].public_key());
        let signed = Record::sign(value, &secrets[0]);
        prop_assert!(signed.is_ok(), "{signed:?}");
        let Ok(mut signed) = signed else { return Ok(()) };
        for secret in &secrets[1..] {
            signed = signed.cosign(secret);
        }
        let envelope = json!({"record": signed.unsigned(), "signatures": signed.signatures()});
        let canonical_envelope = canonical::canonical_bytes(&envelope);
        prop_assert_eq!(signed.wire(), canonical_envelope.as_slice());
        // Received indented, it is stored and forwarded in canonical form.
        let indented = serde_json::to_vec_pretty(&envelope).expect("serializes");
        let decoded = Record::decode(&indented);
        prop_assert!(decoded.is_ok(), "{decoded:?}");
        let Ok(decoded) = decoded else { return Ok(()) };
        prop_assert_eq!(decoded.wire(), signed.wire());
        let canonical_unsigned = canonical::canonical_bytes(signed.unsigned());
        prop_assert_eq!(decoded.canonical(), canonical_unsigned.as_slice());
    }

    #[test]
    fn changing_any_one_byte_is_detected(
        title in title(),
        position in any::<prop::sample::Index>(),
        mask in 1u8..=255,
    ) {
        let secret = SecretKey::from_bytes([5; 32]);
        let signed = Record::sign(record("chatbot-urp", &title, 1, T0, json!(1.5)), &secret);
        prop_assert!(signed.is_ok());
        let Ok(signed) = signed else { return Ok(()) };
        let mut wire = signed.to_wire();
        let at = position.index(wire.len());
        wire[at] ^= mask;
        let outcome = Record::decode(&wire).and_then(|r| r.verify(T0));
        prop_assert!(outcome.is_err(), "byte {} changed and still {:?}", at, outcome.map(|r| r.id()));
    }

    #[test]
    fn head_does_not_depend_on_arrival_order(
        versions in prop::collection::vec((1u64..6, any::<bool>()), 1..12)
            .prop_map(|vs| {
                vs.into_iter()
                    .enumerate()
                    .map(|(i, (version, retracted))| VersionInfo {
                        // Distinct ids whose order is unrelated to the arrival order.
                        id: RecordId([(i as u8).wrapping_mul(97); 32]),
                        version,
                        retracted,
                    })
                    .collect::<Vec<_>>()
            })
            .prop_flat_map(|vs| (Just(vs.clone()), Just(vs).prop_shuffle())),
    ) {
        let (set, arrival) = versions;
        let expected = head::head_of(&set);
        let mut current: Option<VersionInfo> = None;
        for incoming in &arrival {
            let change = head::decide(current.as_ref(), incoming);
            if change.is_new_head(incoming) {
                current = Some(*incoming);
            }
        }
        prop_assert_eq!(current, expected);
        // Receiving everything again changes nothing.
        for incoming in &arrival {
            let head = current.as_ref();
            prop_assert!(!head::decide(head, incoming).is_new_head(incoming) || head.map(|h| h.id) == Some(incoming.id));
        }
    }

    #[test]
    fn sync_requests_round_trip(
        frame in prop::collection::vec(any::<u8>(), 0..2048),
        ids in prop::collection::vec(any::<[u8; 32]>(), 0..MAX_FETCH_IDS),
    ) {
        let requests = [
            SyncRequest::Reconcile { frame },
            SyncRequest::Fetch { ids: ids.into_iter().map(RecordId).collect() },
        ];
        for request in requests {
            prop_assert_eq!(SyncRequest::decode(&request.encode()), Ok(request));
        }
    }

    #[test]
    fn sync_responses_round_trip(
        frame in prop::collection::vec(any::<u8>(), 0..2048),
        records in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..512), 0..32),
        reason in ".{0,200}",
    ) {
        let responses = [
            SyncResponse::Reconcile { frame },
            SyncResponse::Records { records },
            SyncResponse::Refused { reason },
        ];
        for response in responses {
            prop_assert_eq!(SyncResponse::decode(&response.encode()), Ok(response));
        }
    }

    #[test]
    fn sync_decode_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        let _ = SyncRequest::decode(&bytes);
        let _ = SyncResponse::decode(&bytes);
        // With a valid header, the body is where a hostile length would hide.
        for tag in [0x01u8, 0x02, 0x81, 0x82, 0x83] {
            let mut message = vec![1, tag];
            message.extend_from_slice(&bytes);
            let _ = SyncRequest::decode(&message);
            let _ = SyncResponse::decode(&message);
        }
    }

    #[test]
    fn record_decode_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        if let Ok(record) = Record::decode(&bytes) {
            let _ = record.verify(T0);
        }
    }

    #[test]
    fn record_decode_never_panics_on_json_like_text(text in "[\\[\\]{}\",:0-9a-z.eE+\\\\ -]{0,400}") {
        let _ = Record::decode(text.as_bytes()).map(|r| r.verify(T0));
        let wrapped = format!(r#"{{"record":{text},"signatures":[]}}"#);
        let _ = Record::decode(wrapped.as_bytes()).map(|r| r.verify(T0));
    }

    #[test]
    fn record_decode_never_panics_on_any_json_record(value in json_value()) {
        let wire = canonical::canonical_bytes(&json!({"record": value, "signatures": []}));
        let _ = Record::decode(&wire).map(|r| r.verify(T0));
    }
}
