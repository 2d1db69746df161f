//! Reading untrusted YAML into JSON within a budget.
//!
//! serde_yaml expands aliases while it deserializes, so a few hundred bytes of nested aliases
//! ("billion laughs") would grow into gigabytes before any check could run on a
//! `serde_yaml::Value`. This visitor builds the JSON value itself and counts every node and every
//! level on the way, stopping at the first one over budget. The web crate has the same guard for
//! publish bodies; importers read whole files (a publiccode.yml lists a hundred categories), so
//! their budget is their own.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Values (scalars, sequences, mappings) one document may expand to: a rich publiccode.yml has
/// a few hundred, an alias bomb billions.
pub const MAX_YAML_NODES: usize = 100_000;
/// Nesting depth: publiccode.yml needs five levels; more is a bomb or a mistake.
pub const MAX_YAML_DEPTH: usize = 32;

/// Why a YAML document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct YamlError(pub String);

/// Reads one YAML document into JSON, refusing non-string keys, duplicate keys, tags JSON cannot
/// say, non-finite numbers, nesting deeper than [`MAX_YAML_DEPTH`] and more than
/// [`MAX_YAML_NODES`] values after alias expansion.
pub fn yaml_to_json(bytes: &[u8]) -> Result<Value, YamlError> {
    let budget = Budget {
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
                "the document expands to more than {MAX_YAML_NODES} values (nested aliases?)"
            )));
        }
        self.budget.nodes.set(nodes);
        Ok(())
    }

    fn child<E: de::Error>(&self) -> Result<Self, E> {
        if self.depth >= MAX_YAML_DEPTH {
            return Err(E::custom(format!(
                "values are nested more than {MAX_YAML_DEPTH} levels deep"
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
            let key = match key {
                Value::String(key) => key,
                // YAML keys such as `0.2:` or `true:` read as numbers or booleans; the text is
                // what the author meant.
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
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
        let err = yaml_to_json(bomb.as_bytes()).expect_err("bomb");
        assert!(err.0.contains("more than"), "{err}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        let err = yaml_to_json(deep.as_bytes()).expect_err("deep");
        assert!(err.0.contains("nested"), "{err}");
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let err = yaml_to_json(b"a: 1\na: 2\n").expect_err("duplicate");
        assert!(err.0.contains("already defined"), "{err}");
    }
}
