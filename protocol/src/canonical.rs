//! Strict JSON decoding and RFC 8785 (JCS) canonical encoding.
//!
//! Record ids and signatures are computed over canonical bytes, never over whatever a serializer
//! happens to emit, so that an implementation in any language can recompute them from the spec.
//! Decoding is deliberately stricter than plain JSON: duplicate object keys, numbers outside the
//! range where every JSON implementation agrees on their value, and absurd nesting are refused,
//! because each of them is a way for two implementations to read different records from the same
//! bytes.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// The deepest nesting of arrays and objects a record may contain.
pub const MAX_DEPTH: usize = 16;

/// The largest integer every JSON implementation reads exactly (2^53 - 1, I-JSON, RFC 7493).
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Why bytes could not be read as strict JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    /// Not JSON at all, or not UTF-8; the text says where.
    #[error("not valid JSON: {0}")]
    Syntax(String),
    /// The same key twice in one object: implementations disagree on which one wins.
    #[error("duplicate key \"{0}\" in one object")]
    DuplicateKey(String),
    /// An integer outside ±(2^53 - 1), which many implementations cannot hold exactly.
    #[error(
        "number {0} is outside the range every implementation reads exactly (±9007199254740991)"
    )]
    UnsafeNumber(String),
    /// Arrays and objects nested deeper than [`MAX_DEPTH`].
    #[error("values are nested more than {MAX_DEPTH} levels deep")]
    TooDeep,
}

/// Parses `bytes` as one strict JSON value: UTF-8, no duplicate keys, safe numbers, bounded depth.
pub fn parse_strict(bytes: &[u8]) -> Result<Value, JsonError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = StrictValue::deserialize_depth(&mut de, 0).map_err(classify)?;
    de.end().map_err(|e| JsonError::Syntax(e.to_string()))?;
    Ok(value)
}

/// Checks that a value built in memory (e.g. converted from YAML) obeys the strict rules.
pub fn check_strict(value: &Value) -> Result<(), JsonError> {
    check_strict_at(value, 0)
}

/// Like [`check_strict`], for a value that will sit `depth` containers deep in the document that
/// is finally parsed (a record sits at depth 1, inside its envelope). The depth rule is the one
/// [`parse_strict`] applies: at most [`MAX_DEPTH`] nested arrays and objects in the whole document.
pub fn check_strict_at(value: &Value, depth: usize) -> Result<(), JsonError> {
    fn walk(value: &Value, depth: usize) -> Result<(), JsonError> {
        match value {
            Value::Number(n) => check_number(n),
            Value::Array(_) | Value::Object(_) if depth >= MAX_DEPTH => Err(JsonError::TooDeep),
            Value::Array(items) => items.iter().try_for_each(|v| walk(v, depth + 1)),
            Value::Object(map) => map.values().try_for_each(|v| walk(v, depth + 1)),
            _ => Ok(()),
        }
    }
    walk(value, depth)
}

fn check_number(n: &Number) -> Result<(), JsonError> {
    let unsafe_number = match (n.as_u64(), n.as_i64(), n.as_f64()) {
        (Some(u), _, _) => u > MAX_SAFE_INTEGER,
        (None, Some(i), _) => i.unsigned_abs() > MAX_SAFE_INTEGER,
        (None, None, Some(f)) => !f.is_finite() || f.abs() > MAX_SAFE_INTEGER as f64,
        _ => true,
    };
    if unsafe_number {
        Err(JsonError::UnsafeNumber(n.to_string()))
    } else {
        Ok(())
    }
}

/// serde_json reports our own visitor errors as `custom` errors; turn them back into variants.
fn classify(error: serde_json::Error) -> JsonError {
    let text = error.to_string();
    if let Some(rest) = text.strip_prefix(DUPLICATE_PREFIX) {
        let key = rest.split(SEPARATOR).next().unwrap_or_default();
        return JsonError::DuplicateKey(key.to_string());
    }
    if let Some(rest) = text.strip_prefix(UNSAFE_PREFIX) {
        let number = rest.split(SEPARATOR).next().unwrap_or_default();
        return JsonError::UnsafeNumber(number.to_string());
    }
    // A number too large for a double (`1e400`) is outside the safe range like any other.
    if text.starts_with("number out of range") {
        return JsonError::UnsafeNumber("too large for a double".into());
    }
    if text.starts_with(TOO_DEEP) || text.starts_with("recursion limit exceeded") {
        return JsonError::TooDeep;
    }
    JsonError::Syntax(text)
}

const DUPLICATE_PREFIX: &str = "mosaico-duplicate-key:";
const UNSAFE_PREFIX: &str = "mosaico-unsafe-number:";
const TOO_DEEP: &str = "mosaico-too-deep";
const SEPARATOR: char = '\u{1}';

/// A visitor that builds a `Value` while enforcing the strict rules as it goes, so a hostile input
/// is refused before it is fully materialised.
struct StrictValue {
    depth: usize,
}

impl StrictValue {
    fn deserialize_depth<'de, D: Deserializer<'de>>(
        deserializer: D,
        depth: usize,
    ) -> Result<Value, D::Error> {
        deserializer.deserialize_any(StrictValue { depth })
    }
}

struct Nested(usize);

impl<'de> de::DeserializeSeed<'de> for Nested {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        StrictValue::deserialize_depth(deserializer, self.0)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        if v.unsigned_abs() > MAX_SAFE_INTEGER {
            return Err(E::custom(format!("{UNSAFE_PREFIX}{v}{SEPARATOR}")));
        }
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        if v > MAX_SAFE_INTEGER {
            return Err(E::custom(format!("{UNSAFE_PREFIX}{v}{SEPARATOR}")));
        }
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        // One rule for every notation: a magnitude above 2^53 - 1 is refused, whether written as
        // an integer (which serde_json reports as a float when it exceeds u64) or as `1e21`.
        if v.abs() > MAX_SAFE_INTEGER as f64 || !v.is_finite() {
            return Err(E::custom(format!("{UNSAFE_PREFIX}{v}{SEPARATOR}")));
        }
        // A number is its value, whatever the spelling: `1.0` and `1e0` are the integer 1, as in
        // every JavaScript implementation, so integer fields read them alike everywhere (the
        // canonical text is `1` either way). The cast is exact: |v| <= 2^53 - 1 and v is whole.
        if v.fract() == 0.0 {
            return Ok(Value::Number((v as i64).into()));
        }
        match Number::from_f64(v) {
            Some(n) => Ok(Value::Number(n)),
            _ => Err(E::custom(format!("{UNSAFE_PREFIX}{v}{SEPARATOR}"))),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        if self.depth >= MAX_DEPTH {
            return Err(de::Error::custom(TOO_DEEP));
        }
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Nested(self.depth + 1))? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        if self.depth >= MAX_DEPTH {
            return Err(de::Error::custom(TOO_DEEP));
        }
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            // One lookup both finds a duplicate and reserves the slot.
            match map.entry(key) {
                serde_json::map::Entry::Occupied(entry) => {
                    return Err(de::Error::custom(format!(
                        "{DUPLICATE_PREFIX}{}{SEPARATOR}",
                        entry.key()
                    )));
                }
                serde_json::map::Entry::Vacant(entry) => {
                    entry.insert(access.next_value_seed(Nested(self.depth + 1))?);
                }
            }
        }
        Ok(Value::Object(map))
    }
}

/// Writes `value` in RFC 8785 canonical form: object members sorted by the UTF-16 code units of
/// their names, no insignificant whitespace, minimal string escapes, ECMAScript number formatting.
pub fn canonical_bytes(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    write_value(value, &mut out);
    out
}

fn write_value(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            // UTF-16 order differs from UTF-8 byte order only between characters above U+FFFF
            // (4-byte sequences, lead byte 0xF0 or more) and U+E000..U+FFFF. Without any 4-byte
            // character the byte order is the UTF-16 order, and much cheaper to compute.
            if members
                .iter()
                .any(|(key, _)| key.bytes().any(|b| b >= 0xf0))
            {
                members.sort_unstable_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
            } else {
                members.sort_unstable_by(|(a, _), (b, _)| a.as_bytes().cmp(b.as_bytes()));
            }
            out.push(b'{');
            for (i, (key, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                write_value(item, out);
            }
            out.push(b'}');
        }
    }
}

fn write_number(n: &Number, out: &mut Vec<u8>) {
    if let Some(u) = n.as_u64() {
        write_integer(u, false, out);
    } else if let Some(i) = n.as_i64() {
        write_integer(i.unsigned_abs(), i < 0, out);
    } else {
        // Strict parsing only admits finite numbers, so `as_f64` always has a value here; the
        // ECMAScript formatting rules are exactly what ryu-js implements (and `-0` becomes `0`).
        let f = n.as_f64().unwrap_or(0.0);
        let mut buffer = ryu_js::Buffer::new();
        out.extend_from_slice(buffer.format(f).as_bytes());
    }
}

fn write_integer(mut magnitude: u64, negative: bool, out: &mut Vec<u8>) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (magnitude % 10) as u8;
        magnitude /= 10;
        if magnitude == 0 {
            break;
        }
    }
    if negative {
        out.push(b'-');
    }
    out.extend_from_slice(&digits[start..]);
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let bytes = s.as_bytes();
    // Copy runs of bytes that need no escape in one go; only `"`, `\` and controls are escaped.
    let mut run_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[run_start..i]);
        run_start = i + 1;
        if escape.is_empty() {
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
        } else {
            out.extend_from_slice(escape);
        }
    }
    out.extend_from_slice(&bytes[run_start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(text: &str) -> String {
        let value = parse_strict(text.as_bytes()).expect("valid test JSON");
        String::from_utf8(canonical_bytes(&value)).expect("canonical JSON is UTF-8")
    }

    #[test]
    fn sorts_keys_by_utf16_code_units() {
        // U+E000 sorts before U+1F600 in UTF-8 byte order but after it in UTF-16 order.
        let text = "{\"\u{e000}\":2,\"\u{1f600}\":1,\"b\":3,\"\":0}";
        assert_eq!(
            canon(text),
            "{\"\":0,\"b\":3,\"\u{1f600}\":1,\"\u{e000}\":2}"
        );
    }

    #[test]
    fn numbers_follow_ecmascript_formatting() {
        assert_eq!(
            canon("[1.0,1e2,-0,0.5e-6,4.5e15,123.456,-0.0,1E-7]"),
            "[1,100,0,5e-7,4500000000000000,123.456,0,1e-7]"
        );
    }

    #[test]
    fn strings_use_minimal_escapes() {
        assert_eq!(
            canon(r#""\u0041\u00e8\/\u001f\n\"""#),
            "\"Aè/\\u001f\\n\\\"\""
        );
    }

    #[test]
    fn duplicate_keys_are_refused() {
        assert_eq!(
            parse_strict(br#"{"a":1,"a":2}"#),
            Err(JsonError::DuplicateKey("a".into()))
        );
    }

    #[test]
    fn unsafe_integers_are_refused() {
        assert!(matches!(
            parse_strict(b"9007199254740992"),
            Err(JsonError::UnsafeNumber(_))
        ));
        assert!(matches!(
            parse_strict(b"-9007199254740992"),
            Err(JsonError::UnsafeNumber(_))
        ));
        assert!(matches!(
            parse_strict(b"1e400"),
            Err(JsonError::UnsafeNumber(_))
        ));
        assert!(matches!(
            parse_strict(b"-1e400"),
            Err(JsonError::UnsafeNumber(_))
        ));
        assert!(matches!(
            parse_strict(b"123456789012345678901234567890"),
            Err(JsonError::UnsafeNumber(_))
        ));
        assert!(parse_strict(b"9007199254740991").is_ok());
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(parse_strict(deep.as_bytes()), Err(JsonError::TooDeep));
        let very_deep = "[".repeat(100_000);
        assert_eq!(parse_strict(very_deep.as_bytes()), Err(JsonError::TooDeep));
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse_strict(ok.as_bytes()).is_ok());
    }

    #[test]
    fn invalid_utf8_and_trailing_data_are_refused() {
        assert!(matches!(
            parse_strict(b"\"\xff\""),
            Err(JsonError::Syntax(_))
        ));
        assert!(matches!(parse_strict(b"{} {}"), Err(JsonError::Syntax(_))));
    }
}
