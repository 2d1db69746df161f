//! Reading a publish request's body: JSON or YAML, a draft or a signed envelope.
//!
//! YAML is read straight into a JSON value through a budgeted visitor instead of through
//! `serde_yaml::Value`: aliases are expanded while deserializing, so a few hundred bytes of
//! nested aliases ("billion laughs") would otherwise grow into gigabytes before any check ran.
//! The visitor counts every node and every level as it goes and stops at the first one over
//! budget.

use mosaico_protocol::canonical;
use mosaico_protocol::draft::Draft;
use mosaico_protocol::yaml::YamlBudget;
use mosaico_protocol::{Record, Unverified};
use serde_json::Value;

use crate::error::ApiError;

/// The largest publish body: a 64 KiB canonical record can take a few times that as YAML.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

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
    mosaico_protocol::yaml::yaml_to_json(bytes, YamlBudget::RECORD).map_err(|e| {
        ApiError::MalformedBody {
            detail: format!("not valid YAML for a record: {e}"),
        }
    })
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
            ("a: 1\na: 2\n", "already defined"),
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
            "[".repeat(canonical::MAX_DEPTH + 2),
            "]".repeat(canonical::MAX_DEPTH + 2)
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
