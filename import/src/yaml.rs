//! Reading untrusted YAML files: the protocol's budgeted reader with a budget for whole files.

use mosaico_protocol::yaml::{self, YamlBudget, YamlError};
use serde_json::Value;

/// A publiccode.yml lists a hundred categories and nests five levels; a file that expands past
/// this is a bomb or a mistake. Keys YAML reads as numbers (`0.2:`) keep their text.
const FILE_BUDGET: YamlBudget = YamlBudget {
    max_nodes: 100_000,
    max_depth: 32,
    scalar_keys_as_text: true,
};

/// Reads one YAML file into JSON within [`FILE_BUDGET`].
pub fn yaml_to_json(bytes: &[u8]) -> Result<Value, YamlError> {
    yaml::yaml_to_json(bytes, FILE_BUDGET)
}
