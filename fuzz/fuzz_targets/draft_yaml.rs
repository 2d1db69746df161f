//! Arbitrary bytes as a YAML publish body, read the way the web layer reads one
//! (`yaml::yaml_to_json` within the record budget, then a draft or a signed envelope).
//!
//! The YAML reader builds the JSON value itself, under a budget of nodes and depth, so beyond not
//! panicking (and not running out of memory on alias bombs) it must agree with the JSON reader on
//! what the value is: a value it gives that passes the strict rules must be accepted by the strict
//! reader from its JSON text and have the same canonical bytes, which ids and signatures are made
//! over. A YAML envelope takes exactly that path to `Record::decode`.
//!
//! The canonical bytes are compared rather than the values, because the two readers still differ
//! in one spelling this target found: YAML `0.` or `2.0` stays a float, where the JSON reader
//! makes every whole number an integer (see `canonical.rs`, `visit_f64`). Both canonicalize to `0`
//! or `2`, so ids agree; but an integer field (`version: 2.0`) is read by JSON and refused in YAML.
//! Once `yaml.rs` reads whole floats as integers too, this can compare the values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mosaico_fuzz::check_publish_value;
use mosaico_protocol::canonical;
use mosaico_protocol::yaml::{YamlBudget, yaml_to_json};

fuzz_target!(|data: &[u8]| {
    let Ok(value) = yaml_to_json(data, YamlBudget::RECORD) else {
        return;
    };
    if canonical::check_strict(&value).is_ok() {
        let json = serde_json::to_vec(&value).expect("a JSON value always serializes");
        match canonical::parse_strict(&json) {
            Ok(again) => assert_eq!(
                canonical::canonical_bytes(&again),
                canonical::canonical_bytes(&value),
                "YAML and its JSON text have different canonical bytes"
            ),
            Err(error) => panic!("strict YAML gives JSON text the strict reader refuses: {error}"),
        }
    }
    check_publish_value(value);
});
