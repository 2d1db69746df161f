//! Reading untrusted YAML into JSON within a budget.
//!
//! Publishers write drafts in YAML, importers read publiccode.yml files, and both come from
//! outside. serde_yaml expands aliases while it deserializes, so a few hundred bytes of nested
//! aliases ("billion laughs") would grow into gigabytes before any check could run on a
//! `serde_yaml::Value`. This visitor builds the JSON value itself and counts every node and every
//! level on the way, stopping at the first one over the budget its caller sets.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// How much a document may expand to, and what its mapping keys may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YamlBudget {
    /// Values (scalars, sequences, mappings) after alias expansion: a rich document has a few
    /// hundred, an alias bomb billions.
    pub max_nodes: usize,
    /// Nesting depth.
    pub max_depth: usize,
    /// Whether keys that YAML reads as numbers or booleans (`0.2:`, `true:`) are kept as their
    /// text (files written by people for other tools) or refused (records, whose keys are
    /// always text).
    pub scalar_keys_as_text: bool,
}

impl YamlBudget {
    /// The budget for a record draft: far more values than any record has (lists are capped at
    /// 32 items), far fewer than an alias bomb; the protocol's nesting limit; text keys only.
    pub const RECORD: YamlBudget = YamlBudget {
        max_nodes: 50_000,
        max_depth: crate::canonical::MAX_DEPTH,
        scalar_keys_as_text: false,
    };
}

/// Why a YAML document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct YamlError(pub String);

/// Reads one YAML document into JSON, refusing duplicate keys, tags JSON cannot say, non-finite
/// numbers, and anything over `budget`.
pub fn yaml_to_json(bytes: &[u8], budget: YamlBudget) -> Result<Value, YamlError> {
    let budget = Budget {
        limits: budget,
        nodes: Cell::new(0),
    };
    let deserializer = serde_yaml::Deserializer::from_slice(bytes);
    JsonSeed {
        budget: &budget,
        depth: 0,
    }
    .deserialize(deserializer)
    .map_err(|e| YamlError(e.to_string()))
}

struct Budget {
    limits: YamlBudget,
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
        let max = self.budget.limits.max_nodes;
        if nodes > max {
            return Err(E::custom(format!(
                "the document expands to more than {max} values (are aliases nested?)"
            )));
        }
        self.budget.nodes.set(nodes);
        Ok(())
    }

    fn child<E: de::Error>(&self) -> Result<Self, E> {
        let max = self.budget.limits.max_depth;
        if self.depth >= max {
            return Err(E::custom(format!(
                "values are nested more than {max} levels deep"
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
        // The strict JSON reader makes a whole number an integer whatever its spelling (`2.0` is
        // 2), so that `version: 2.0` means the same in a YAML draft as in its JSON twin. The
        // cast is exact within the safe range; beyond it the value stays a float and the
        // canonical encoder refuses it, as it refuses the same number in JSON.
        if v.fract() == 0.0 && v.abs() <= crate::canonical::MAX_SAFE_INTEGER as f64 {
            return Ok(Value::Number((v as i64).into()));
        }
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
            let key = match key {
                Value::String(key) => key,
                // YAML keys such as `0.2:` or `true:` read as numbers or booleans; the text is
                // what the author meant.
                Value::Number(n) if self.budget.limits.scalar_keys_as_text => n.to_string(),
                Value::Bool(b) if self.budget.limits.scalar_keys_as_text => b.to_string(),
                other => {
                    return Err(de::Error::custom(format!(
                        "mapping keys must be text, found {other}"
                    )));
                }
            };
            if object.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "mapping key \"{key}\" already defined"
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

    const FILES: YamlBudget = YamlBudget {
        max_nodes: 100_000,
        max_depth: 32,
        scalar_keys_as_text: true,
    };

    #[test]
    fn alias_bombs_are_refused_before_they_grow() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (name, previous) in ["b", "c", "d", "e", "f", "g", "h", "i"]
            .iter()
            .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
        {
            let refs = vec![format!("*{previous}"); 10].join(", ");
            bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
        }
        let err = yaml_to_json(bomb.as_bytes(), FILES).expect_err("bomb");
        assert!(err.0.contains("more than"), "{err}");
    }

    #[test]
    fn a_whole_float_is_read_as_the_integer_json_would_make_it() {
        let value = yaml_to_json(b"version: 2.0\nzero: 0.\nhalf: 0.5\n", FILES).expect("yaml");
        let json = crate::canonical::parse_strict(br#"{"version": 2.0, "zero": 0.0, "half": 0.5}"#)
            .expect("json");
        assert_eq!(value, json);
        assert_eq!(value["version"].as_u64(), Some(2));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        let err = yaml_to_json(deep.as_bytes(), FILES).expect_err("deep");
        assert!(err.0.contains("nested"), "{err}");
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let err = yaml_to_json(b"a: 1\na: 2\n", FILES).expect_err("duplicate");
        assert!(err.0.contains("already defined"), "{err}");
    }

    #[test]
    fn scalar_keys_are_text_only_where_the_budget_says() {
        let value = yaml_to_json(b"0.2: x\ntrue: y\n", FILES).expect("file keys");
        assert_eq!(value, serde_json::json!({"0.2": "x", "true": "y"}));
        let err = yaml_to_json(b"0.2: x\n", YamlBudget::RECORD).expect_err("record keys");
        assert!(err.0.contains("mapping keys must be text"), "{err}");
        let err = yaml_to_json(&b"[".repeat(20), YamlBudget::RECORD).expect_err("deep record");
        assert!(err.0.contains("nested more than 16"), "{err}");
    }
}
