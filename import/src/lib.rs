//! Mosaico's importers, as pure functions: bytes in, checked record drafts out.
//!
//! Two sources speak the field's standards: publiccode.yml files (software, mapped to `solution`
//! drafts) and Public Sector Tech Watch CSV releases (cases, mapped to `case_study` drafts). This
//! crate reads and checks them and maps them to drafts; it never touches a file, the clock or the
//! network, so the fuzzers in `fuzz/` reach every decoder here, and the node's `mosaico import`
//! (the I/O shell: reading files, walking directories, publishing) stays small.
//!
//! - [`publiccode`]: the validator that reaches the official parser's verdicts, and the mapping
//!   of a valid file to a draft;
//! - [`pstw`]: the CSV reader that tolerates what real releases do, and the mapping of a row;
//! - [`yaml`]: untrusted YAML read within a budget for whole files;
//! - [`text`]: the text clean-ups both mappings apply before the protocol's limits;
//! - [`check_draft`]: a draft checked against every protocol rule before it is sent anywhere.

pub mod pstw;
pub mod publiccode;
pub mod text;
pub mod yaml;

mod local_check;

pub use local_check::check_draft;
