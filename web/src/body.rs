//! Reading a publish request's body: JSON or YAML, a draft or a signed envelope.
//!
//! YAML is read straight into a JSON value through a budgeted visitor instead of through
//! `serde_yaml::Value`: aliases are expanded while deserializing, so a few hundred bytes of
//! nested aliases ("billion laughs") would otherwise grow into gigabytes before any check ran.
//! The visitor counts every node and every level as it goes and stops at the first one over
//! budget.

use std::cell::Cell;
use std::fmt;

use mosaico_protocol::canonical::{self, MAX_DEPTH};
use mosaico_protocol::draft::Draft;
use mosaico_protocol::{Record, Unverified};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::error::ApiError;

/// The largest publish body: a 64 KiB canonical record can take a few times that as YAML.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Values (scalars, sequences and mappings) a YAML body may expand to. Far more than any record
/// has (lists are capped at 32 items), far less than an alias bomb.
const MAX_YAML_NODES: usize = 50_000;

/// The body formats a publish accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// `application/json`.
    Json,
    /// `application/yaml`, `application/x-yaml` or `text/yaml`.
    Yaml,
}

/// What a publish request carries.
#[derive(Debug)]
pub enum PublishBody {
    /// An unsigned record for the node to sign.
    Draft(Draft),
    /// A record signed elsewhere, still to be verified.
    Signed(Record<Unverified>),
}

/// The body format named by a `Content-Type` header, ignoring parameters such as `charset`.
pub fn body_format(content_type: Option<&str>) -> Result<BodyFormat, ApiError> {
    let Some(content_type) = content_type else {
        return Err(ApiError::UnsupportedMediaType(
            "the request has no Content-Type; send application/json or application/yaml".into(),
        ));
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => Ok(BodyFormat::Json),
        "application/yaml" | "application/x-yaml" | "text/yaml" => Ok(BodyFormat::Yaml),
        _ => Err(ApiError::UnsupportedMediaType(format!(
            "\"{}\" is not accepted; send application/json or application/yaml",
            essence.chars().take(80).collect::<String>()
        ))),
    }
}

/// Parses a publish body into a draft or a signed envelope.
pub fn parse_publish_body(format: BodyFormat, bytes: &[u8]) -> Result<PublishBody, ApiError> {
    let value = match format {
        BodyFormat::Json => canonical::parse_strict(bytes)?,
        BodyFormat::Yaml => yaml_to_json(bytes)?,
    };
    if is_envelope(&value) {
        // Record::decode owns the envelope rules (strict JSON, sizes, signature list); feeding it
        // the re-serialized value keeps one decoder for every door, HTTP included.
        let wire = serde_json::to_vec(&value).map_err(|e| ApiError::MalformedBody {
            detail: e.to_string(),
        })?;
        return Ok(PublishBody::Signed(Record::<Unverified>::decode(&wire)?));
    }
    Ok(PublishBody::Draft(Draft::from_value(value)?))
}

/// A signed envelope is an object with exactly `record` and `signatures`; anything else is a draft.
fn is_envelope(value: &Value) -> bool {
    matches!(value, Value::Object(map)
        if map.len() == 2 && map.contains_key("record") && map.contains_key("signatures"))
}

/// Reads one YAML document into JSON, refusing what JSON cannot say (non-string keys, tags,
/// non-finite numbers), duplicate keys, nesting deeper than the protocol allows and alias bombs.
pub fn yaml_to_json(bytes: &[u8]) -> Result<Value, ApiError> {
    let budget = Budget {
        nodes: Cell::new(0),
    };
    let deserializer = serde_yaml::Deserializer::from_slice(bytes);
    JsonSeed {
        budget: &budget,
        depth: 0,
    }
    .deserialize(deserializer)
    .map_err(|e| ApiError::MalformedBody {
        detail: format!("not valid YAML for a record: {e}"),
    })
}

struct Budget {
    nodes: Cell<usize>,
}

#[derive(Clone, Copy)]
struct JsonSeed<'b> {
    budget: &'b Budget,
    depth: usize,
}

impl JsonSeed<'_> {
    fn spend<E: de::Error>(&self) -> Result<(), E> {
        let nodes = self.budget.nodes.get() + 1;
        if nodes > MAX_YAML_NODES {
            return Err(E::custom(format!(
                "the document expands to more than {MAX_YAML_NODES} values (are aliases nested?)"
            )));
        }
        self.budget.nodes.set(nodes);
        Ok(())
    }

    fn child<E: de::Error>(&self) -> Result<Self, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom(format!(
                "values are nested more than {MAX_DEPTH} levels deep"
            )));
        }
        Ok(JsonSeed {
            budget: self.budget,
            depth: self.depth + 1,
        })
    }
}

impl<'de> DeserializeSeed<'de> for JsonSeed<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for JsonSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value that JSON can represent")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        self.spend()?;
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom(format!("{v} is not a number JSON can hold")))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.spend()?;
        let child = self.child()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(child)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.spend()?;
        let child = self.child()?;
        let mut object = Map::new();
        while let Some(key) = map.next_key_seed(child)? {
            let Value::String(key) = key else {
                return Err(de::Error::custom(format!(
                    "mapping keys must be text, found {key}"
                )));
            };
            if object.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "duplicate key \"{key}\" in one mapping"
                )));
            }
            let value = map.next_value_seed(child)?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_are_read_by_their_essence() {
        assert_eq!(
            body_format(Some("application/json; charset=utf-8")).ok(),
            Some(BodyFormat::Json)
        );
        assert_eq!(
            body_format(Some("Application/YAML")).ok(),
            Some(BodyFormat::Yaml)
        );
        assert_eq!(body_format(Some("text/yaml")).ok(), Some(BodyFormat::Yaml));
        for refused in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
        ] {
            let err = body_format(refused).expect_err("refused");
            assert_eq!(err.status().as_u16(), 415);
        }
    }

    #[test]
    fn yaml_becomes_the_same_json() {
        let value = yaml_to_json(
            b"kind: case_study\nslug: chatbot\ntitle:\n  it: Ciao\nyear: 2024\nok: true\n",
        )
        .expect("valid yaml");
        assert_eq!(
            value,
            serde_json::json!({"kind": "case_study", "slug": "chatbot", "title": {"it": "Ciao"}, "year": 2024, "ok": true})
        );
    }

    #[test]
    fn yaml_alias_bombs_are_refused_before_they_grow() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (name, previous) in ["b", "c", "d", "e", "f", "g", "h"]
            .iter()
            .zip(["a", "b", "c", "d", "e", "f", "g"])
        {
            let refs = vec![format!("*{previous}"); 10].join(", ");
            bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
        }
        let err = yaml_to_json(bomb.as_bytes()).expect_err("bomb");
        assert!(err.to_string().contains("more than"), "{err}");
    }

    #[test]
    fn yaml_that_json_cannot_say_is_refused() {
        for (yaml, why) in [
            ("1: one\n", "keys must be text"),
            ("a: 1\na: 2\n", "duplicate key"),
            ("a: .nan\n", "not a number"),
            ("a: !tag x\n", ""),
            ("a: 1\n---\nb: 2\n", ""),
            ("a: [\n", ""),
        ] {
            let err = yaml_to_json(yaml.as_bytes()).expect_err(yaml);
            assert!(err.to_string().contains(why), "{yaml:?}: {err}");
        }
        let deep = format!(
            "{}1{}",
            "[".repeat(MAX_DEPTH + 2),
            "]".repeat(MAX_DEPTH + 2)
        );
        let err = yaml_to_json(deep.as_bytes()).expect_err("deep");
        assert!(err.to_string().contains("nested"), "{err}");
    }

    #[test]
    fn an_object_with_record_and_signatures_is_an_envelope() {
        assert!(is_envelope(
            &serde_json::json!({"record": {}, "signatures": []})
        ));
        assert!(!is_envelope(
            &serde_json::json!({"record": {}, "signatures": [], "kind": "x"})
        ));
        assert!(!is_envelope(
            &serde_json::json!({"kind": "solution", "slug": "x"})
        ));
    }
}
