//! Arbitrary bytes as a YAML publish body, read the way the web layer reads one
//! (`yaml::yaml_to_json` within the record budget, then a draft or a signed envelope).
//!
//! The YAML reader builds the JSON value itself, under a budget of nodes and depth, so beyond not
//! panicking (and not running out of memory on alias bombs) it must agree with the JSON reader: a
//! value it gives that passes the strict rules must read back identically from its JSON text. A
//! YAML envelope takes exactly that path to `Record::decode`.
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
            Ok(again) => assert_eq!(again, value, "YAML and its JSON text read differently"),
            Err(error) => panic!("strict YAML gives JSON text the strict reader refuses: {error}"),
        }
    }
    check_publish_value(value);
});
