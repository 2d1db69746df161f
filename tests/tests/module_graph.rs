//! The guard that keeps the workspace's rooms without circles.
//!
//! Each library crate is read as source text: every `.rs` file reachable from `lib.rs` (or
//! `main.rs`) through `mod` declarations is a module, and every `crate::x`, `super::x` or
//! `use crate::{x, y}` path is an edge from the file's top-level module to the top-level module
//! it names. A module using its own children is fine, and the crate root (`lib.rs`, `main.rs`)
//! is not a module: what it re-exports is reached through it, not counted. The test fails, naming
//! the ring and the lines that close it, as soon as two top-level modules depend on each other
//! directly or through others.
//!
//! A second check keeps one crate from swallowing the workspace: none may hold more than 40% of
//! the workspace's Rust source lines.
//!
//! The reading is textual on purpose: it needs no compiler internals, runs in milliseconds and
//! sees exactly what a reader of the code sees. Comments and string literals are blanked out
//! first, so a path mentioned in a doc comment or a message is not a dependency.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The largest share of the workspace's Rust source lines one crate may hold.
const LARGEST_CRATE_SHARE: f64 = 0.40;

/// The library crates whose module graph must stay acyclic, by directory.
const CHECKED_CRATES: [&str; 4] = ["protocol", "node", "web", "import"];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives inside the workspace")
        .to_path_buf()
}

// ---- reading source text ---------------------------------------------------------------------

/// The source with comments, string literals and character literals replaced by spaces, keeping
/// every newline so that byte offsets still map to the same lines.
fn blank_comments_and_literals(source: &str) -> String {
    let bytes = source.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let blank = |b: u8| if b == b'\n' { b'\n' } else { b' ' };
    while i < bytes.len() {
        let rest = &bytes[i..];
        if rest.starts_with(b"//") {
            while i < bytes.len() && bytes[i] != b'\n' {
                out.push(b' ');
                i += 1;
            }
        } else if rest.starts_with(b"/*") {
            let mut depth = 0;
            while i < bytes.len() {
                if bytes[i..].starts_with(b"/*") {
                    depth += 1;
                    out.extend_from_slice(b"  ");
                    i += 2;
                } else if bytes[i..].starts_with(b"*/") {
                    depth -= 1;
                    out.extend_from_slice(b"  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(bytes[i]));
                    i += 1;
                }
            }
        } else if let Some(hashes) = raw_string_start(rest) {
            // r"..." or r#"..."#: ends at a quote followed by the same number of hashes.
            let open = 2 + hashes + usize::from(rest[0] == b'b');
            out.extend(std::iter::repeat_n(b' ', open));
            i += open;
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            while i < bytes.len() && !bytes[i..].starts_with(&close) {
                out.push(blank(bytes[i]));
                i += 1;
            }
            let end = close.len().min(bytes.len() - i);
            out.extend(std::iter::repeat_n(b' ', end));
            i += end;
        } else if bytes[i] == b'"' {
            out.push(b' ');
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                let step = if bytes[i] == b'\\' { 2 } else { 1 };
                for &b in &bytes[i..(i + step).min(bytes.len())] {
                    out.push(blank(b));
                }
                i += step;
            }
            if i < bytes.len() {
                out.push(b' ');
                i += 1;
            }
        } else if bytes[i] == b'\'' {
            // A character literal ('x', '\n', '{'), or else a lifetime, which stays.
            match char_literal_len(rest) {
                Some(len) => {
                    out.extend(std::iter::repeat_n(b' ', len));
                    i += len;
                }
                None => {
                    out.push(b'\'');
                    i += 1;
                }
            }
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The number of `#`s of a raw string literal starting here, if one does.
fn raw_string_start(rest: &[u8]) -> Option<usize> {
    let rest = rest.strip_prefix(b"b").unwrap_or(rest);
    let rest = rest.strip_prefix(b"r")?;
    let hashes = rest.iter().take_while(|&&b| b == b'#').count();
    (rest.get(hashes) == Some(&b'"')).then_some(hashes)
}

/// The length of a character literal starting at this quote, or `None` for a lifetime.
fn char_literal_len(rest: &[u8]) -> Option<usize> {
    if rest.get(1) == Some(&b'\\') {
        let close = rest[2..].iter().position(|&b| b == b'\'')?;
        return Some(close + 3);
    }
    // One character, possibly several UTF-8 bytes, then a closing quote.
    let text = std::str::from_utf8(&rest[1..rest.len().min(6)])
        .unwrap_or_else(|e| std::str::from_utf8(&rest[1..1 + e.valid_up_to()]).unwrap_or_default());
    let mut chars = text.chars();
    let c = chars.next()?;
    (chars.next() == Some('\'')).then(|| 2 + c.len_utf8())
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The identifier starting at `at` (after skipping spaces), and where it ends.
fn ident_at(text: &[u8], mut at: usize) -> Option<(&str, usize)> {
    while at < text.len() && text[at].is_ascii_whitespace() {
        at += 1;
    }
    let start = at;
    while at < text.len() && is_ident_byte(text[at]) {
        at += 1;
    }
    (at > start).then(|| {
        (
            std::str::from_utf8(&text[start..at]).unwrap_or_default(),
            at,
        )
    })
}

/// Whether the word at `at` stands alone (not the tail of a longer identifier, not `$crate`).
fn word_starts_at(text: &[u8], at: usize) -> bool {
    at == 0 || !(is_ident_byte(text[at - 1]) || text[at - 1] == b'$')
}

// ---- modules and their paths -----------------------------------------------------------------

/// One source file of a crate and the module path it holds (`[]` for the root).
#[derive(Debug)]
struct SourceFile {
    path: PathBuf,
    module: Vec<String>,
    /// Comments and literals blanked out.
    code: String,
}

/// The `mod name;` declarations of a file (not inline `mod name { ... }` blocks).
fn declared_modules(code: &str) -> Vec<String> {
    let text = code.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(offset) = code[at..].find("mod") {
        let start = at + offset;
        at = start + 3;
        if !word_starts_at(text, start) || text.get(at).is_some_and(|&b| is_ident_byte(b)) {
            continue;
        }
        if let Some((name, end)) = ident_at(text, at) {
            let next = code[end..].trim_start().chars().next();
            if next == Some(';') {
                found.push(name.to_owned());
            }
        }
    }
    found
}

/// Every file reachable from `root` (a crate root) through `mod` declarations.
fn crate_files(root: &Path) -> Vec<SourceFile> {
    let mut files = Vec::new();
    let mut pending = vec![(root.to_path_buf(), Vec::<String>::new())];
    while let Some((path, module)) = pending.pop() {
        let source = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let code = blank_comments_and_literals(&source);
        // Children of `lib.rs`, `main.rs` and `mod.rs` sit beside them; children of `x.rs` sit
        // in `x/`.
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let dir = path.parent().unwrap_or(Path::new("."));
        let child_dir = if module.is_empty() || stem == "mod" {
            dir.to_path_buf()
        } else {
            dir.join(stem)
        };
        for child in declared_modules(&code) {
            let flat = child_dir.join(format!("{child}.rs"));
            let nested = child_dir.join(&child).join("mod.rs");
            let file = if flat.exists() { flat } else { nested };
            assert!(
                file.exists(),
                "{} declares `mod {child};` but neither {child}.rs nor {child}/mod.rs exists",
                path.display()
            );
            let mut child_module = module.clone();
            child_module.push(child);
            pending.push((file, child_module));
        }
        files.push(SourceFile { path, module, code });
    }
    files
}

/// A dependency of one top-level module on another, with where it was seen.
#[derive(Debug, Clone)]
struct Edge {
    from: String,
    to: String,
    file: PathBuf,
    line: usize,
}

/// The inline modules (`mod tests { ... }`) open at each byte of `code`: for every byte, how
/// many names to add to the file's module path, found by matching braces.
fn inline_module_at(code: &str) -> Vec<Vec<String>> {
    let text = code.as_bytes();
    let mut open: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut pending_name: Option<String> = None;
    let mut at_byte = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i..].starts_with(b"mod")
            && word_starts_at(text, i)
            && text.get(i + 3).is_some_and(|b| b.is_ascii_whitespace())
            && let Some((name, end)) = ident_at(text, i + 3)
            && code[end..].trim_start().starts_with('{')
        {
            pending_name = Some(name.to_owned());
        }
        match text[i] {
            b'{' => {
                depth += 1;
                if let Some(name) = pending_name.take() {
                    open.push((name, depth));
                }
            }
            b'}' => {
                if open.last().is_some_and(|(_, d)| *d == depth) {
                    open.pop();
                }
                depth = depth.saturating_sub(1);
            }
            b';' => pending_name = None,
            _ => {}
        }
        at_byte.push(open.iter().map(|(name, _)| name.clone()).collect());
        i += 1;
    }
    at_byte
}

/// The first identifiers named by a path tail: `x` for `x::y`, and `a`, `b` for `{a::y, b}`.
fn first_segments(text: &[u8], at: usize) -> Vec<String> {
    let mut at = at;
    while at < text.len() && text[at].is_ascii_whitespace() {
        at += 1;
    }
    if text.get(at) != Some(&b'{') {
        return ident_at(text, at)
            .map(|(name, _)| vec![name.to_owned()])
            .unwrap_or_default();
    }
    let mut names = Vec::new();
    let mut depth = 0;
    let mut expect_item = true;
    let mut i = at;
    while i < text.len() {
        match text[i] {
            b'{' => {
                depth += 1;
                expect_item = depth == 1;
            }
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            b',' if depth == 1 => expect_item = true,
            b if expect_item && depth == 1 && is_ident_byte(b) => {
                if let Some((name, end)) = ident_at(text, i) {
                    names.push(name.to_owned());
                    i = end;
                    expect_item = false;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    names
}

/// The dependencies between top-level modules that one file's paths show.
fn edges_of(file: &SourceFile, top_level: &BTreeSet<String>) -> Vec<Edge> {
    let code = &file.code;
    let text = code.as_bytes();
    let inline = inline_module_at(code);
    let mut edges = Vec::new();
    for keyword in ["crate", "super"] {
        let mut at = 0;
        while let Some(offset) = code[at..].find(keyword) {
            let start = at + offset;
            at = start + keyword.len();
            if !word_starts_at(text, start) || !code[at..].starts_with("::") {
                continue;
            }
            // Where the path is anchored, as a module path from the crate root.
            let mut base: Vec<String> = if keyword == "crate" {
                Vec::new()
            } else {
                let mut here = file.module.clone();
                here.extend(inline[start].iter().cloned());
                here.pop();
                here
            };
            let mut tail = at + 2;
            // Further `super::` segments climb on.
            while keyword == "super" && code[tail..].trim_start().starts_with("super::") {
                tail += code[tail..].find("super::").unwrap_or(0) + "super::".len();
                base.pop();
            }
            let targets: Vec<String> = match base.first() {
                Some(top) => vec![top.clone()],
                None => first_segments(text, tail),
            };
            let from = file
                .module
                .first()
                .cloned()
                .or_else(|| inline[start].first().cloned());
            let Some(from) = from else { continue };
            let line = code[..start].matches('\n').count() + 1;
            for to in targets {
                if to != from && top_level.contains(&to) {
                    edges.push(Edge {
                        from: from.clone(),
                        to,
                        file: file.path.clone(),
                        line,
                    });
                }
            }
        }
    }
    edges
}

/// The module graph of the crate rooted at `root`: every edge between top-level modules.
fn module_edges(root: &Path) -> Vec<Edge> {
    let files = crate_files(root);
    let top_level: BTreeSet<String> = files
        .iter()
        .filter(|f| f.module.len() == 1)
        .map(|f| f.module[0].clone())
        .collect();
    files
        .iter()
        .flat_map(|file| edges_of(file, &top_level))
        .collect()
}

/// Every ring of modules in the graph, one per strongly connected group, each written as
/// `a -> b -> a` with the file and line of every step.
fn cycles(edges: &[Edge]) -> Vec<String> {
    let mut graph: BTreeMap<&str, BTreeMap<&str, &Edge>> = BTreeMap::new();
    for edge in edges {
        graph
            .entry(edge.from.as_str())
            .or_default()
            .entry(edge.to.as_str())
            .or_insert(edge);
    }
    let reaches = |from: &str, to: &str| -> Option<Vec<&Edge>> {
        // Breadth-first, so the ring reported is a shortest one.
        let mut came_by: BTreeMap<&str, &Edge> = BTreeMap::new();
        let mut frontier = vec![from];
        while !frontier.is_empty() {
            let mut next = Vec::new();
            for node in frontier {
                for (&target, &edge) in graph.get(node).into_iter().flatten() {
                    if target == to {
                        let mut path = vec![edge];
                        let mut at = node;
                        while at != from {
                            let step = came_by[at];
                            path.push(step);
                            at = step.from.as_str();
                        }
                        path.reverse();
                        return Some(path);
                    }
                    if target != from && !came_by.contains_key(target) {
                        came_by.insert(target, edge);
                        next.push(target);
                    }
                }
            }
            frontier = next;
        }
        None
    };
    let mut reported: BTreeSet<BTreeSet<&str>> = BTreeSet::new();
    let mut rings = Vec::new();
    for &module in graph.keys() {
        let Some(ring) = reaches(module, module) else {
            continue;
        };
        let members: BTreeSet<&str> = ring.iter().map(|e| e.from.as_str()).collect();
        if reported.iter().any(|seen| seen.is_superset(&members)) {
            continue;
        }
        reported.insert(members);
        let mut text = ring
            .iter()
            .map(|e| e.from.as_str())
            .chain(std::iter::once(module))
            .collect::<Vec<_>>()
            .join(" -> ");
        for edge in ring {
            let _ = write!(
                text,
                "\n    {} uses {} at {}:{}",
                edge.from,
                edge.to,
                edge.file.display(),
                edge.line
            );
        }
        rings.push(text);
    }
    rings
}

/// The crate roots of a crate directory that exist: its library and its binary.
fn crate_roots(crate_dir: &Path) -> Vec<PathBuf> {
    ["src/lib.rs", "src/main.rs"]
        .iter()
        .map(|root| crate_dir.join(root))
        .filter(|root| root.exists())
        .collect()
}

/// Fails, naming every ring, if the modules of the crate in `dir` depend on each other in a
/// circle.
fn assert_no_cycles(dir: &str) {
    let crate_dir = workspace_root().join(dir);
    assert!(
        !crate_roots(&crate_dir).is_empty(),
        "{} has no src/lib.rs or src/main.rs to read",
        crate_dir.display()
    );
    let mut report = String::new();
    for root in crate_roots(&crate_dir) {
        for ring in cycles(&module_edges(&root)) {
            let _ = writeln!(report, "{}: {ring}", root.display());
        }
    }
    assert!(
        report.is_empty(),
        "modules of `{dir}` import each other in a circle; give each concern one owner so \
         dependencies point one way:\n{report}"
    );
}

#[test]
fn protocol_modules_do_not_import_each_other_in_a_circle() {
    assert_no_cycles(CHECKED_CRATES[0]);
}

#[test]
fn node_modules_do_not_import_each_other_in_a_circle() {
    assert_no_cycles(CHECKED_CRATES[1]);
}

#[test]
fn web_modules_do_not_import_each_other_in_a_circle() {
    assert_no_cycles(CHECKED_CRATES[2]);
}

#[test]
fn import_modules_do_not_import_each_other_in_a_circle() {
    assert_no_cycles(CHECKED_CRATES[3]);
}

// ---- crate sizes -----------------------------------------------------------------------------

/// The workspace members, read from the root manifest's `members = [...]`.
fn workspace_members() -> Vec<String> {
    let manifest = std::fs::read_to_string(workspace_root().join("Cargo.toml"))
        .expect("the workspace manifest is readable");
    let start = manifest
        .find("members")
        .and_then(|at| manifest[at..].find('[').map(|open| at + open + 1))
        .expect("the workspace manifest lists its members");
    let end = start
        + manifest[start..]
            .find(']')
            .expect("the member list is closed");
    manifest[start..end]
        .split(',')
        .map(|member| member.trim().trim_matches('"').to_owned())
        .filter(|member| !member.is_empty())
        .collect()
}

/// Lines of every `.rs` file under `dir`, build output excluded.
fn rust_lines(dir: &Path) -> usize {
    let mut lines = 0;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|name| name != "target") {
                    pending.push(path);
                }
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                lines += std::fs::read_to_string(&path)
                    .map(|text| text.lines().count())
                    .unwrap_or(0);
            }
        }
    }
    lines
}

#[test]
fn no_crate_holds_more_than_forty_percent_of_the_workspace() {
    let root = workspace_root();
    let mut crates: Vec<(String, usize)> = workspace_members()
        .into_iter()
        .chain(std::iter::once("fuzz".to_owned()))
        .map(|member| {
            let lines = rust_lines(&root.join(&member));
            (member, lines)
        })
        .collect();
    crates.sort_by_key(|(_, lines)| std::cmp::Reverse(*lines));
    let total: usize = crates.iter().map(|(_, lines)| lines).sum();
    assert!(total > 0, "no Rust source found under {}", root.display());
    let shares: Vec<String> = crates
        .iter()
        .map(|(name, lines)| {
            format!(
                "{name}: {lines} lines ({:.1}%)",
                100.0 * *lines as f64 / total as f64
            )
        })
        .collect();
    let too_large: Vec<&(String, usize)> = crates
        .iter()
        .filter(|(_, lines)| *lines as f64 > LARGEST_CRATE_SHARE * total as f64)
        .collect();
    assert!(
        too_large.is_empty(),
        "{} holds more than {:.0}% of the workspace's {total} lines of Rust; move a concern \
         into a crate of its own:\n  {}",
        too_large
            .iter()
            .map(|(name, _)| name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        LARGEST_CRATE_SHARE * 100.0,
        shares.join("\n  ")
    );
}

// ---- the guard's own tests -------------------------------------------------------------------

/// A throwaway crate made of `(path, source)` files; returns the cycles the guard reports.
fn cycles_in(files: &[(&str, &str)]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (path, source) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("a file has a parent directory"))
            .expect("the directory can be made");
        std::fs::write(&path, source).expect("the file can be written");
    }
    cycles(&module_edges(&dir.path().join("src/lib.rs")))
}

#[test]
fn the_guard_reports_two_modules_that_import_each_other() {
    let rings = cycles_in(&[
        ("src/lib.rs", "pub mod node;\npub mod sync;\n"),
        (
            "src/node.rs",
            "use crate::sync::Status;\npub struct Node;\n",
        ),
        (
            "src/sync.rs",
            "pub struct Status;\nfn f(_: crate::node::Node) {}\n",
        ),
    ]);
    assert_eq!(rings.len(), 1, "{rings:?}");
    assert!(rings[0].starts_with("node -> sync -> node"), "{}", rings[0]);
    assert!(
        rings[0].contains("node.rs:1") && rings[0].contains("sync.rs:2"),
        "{}",
        rings[0]
    );
}

#[test]
fn the_guard_reports_a_ring_of_three_through_grouped_and_super_paths() {
    let rings = cycles_in(&[
        ("src/lib.rs", "mod api;\nmod openapi;\nmod sse;\n"),
        ("src/api.rs", "use crate::{openapi::Doc, Thing};\n"),
        ("src/openapi.rs", "use super::sse;\n"),
        ("src/sse/mod.rs", "mod stream;\n"),
        ("src/sse/stream.rs", "use super::super::api::Router;\n"),
    ]);
    assert_eq!(rings.len(), 1, "{rings:?}");
    assert!(
        rings[0].starts_with("api -> openapi -> sse -> api"),
        "{}",
        rings[0]
    );
}

#[test]
fn the_guard_accepts_children_comments_strings_and_inline_tests() {
    let rings = cycles_in(&[
        (
            "src/lib.rs",
            "pub mod network;\npub mod node;\npub use network::Handle;\n",
        ),
        (
            "src/network/mod.rs",
            "mod task;\npub struct Handle;\n\
             // crate::node is mentioned here, and in a string below.\n\
             const S: &str = \"crate::node::Node\";\n\
             #[cfg(test)]\nmod tests {\n    use super::*;\n    use super::super::Handle;\n}\n",
        ),
        (
            "src/network/task.rs",
            "use super::Handle;\nuse crate::network::Handle as H;\n",
        ),
        (
            "src/node.rs",
            "use crate::network::Handle;\nuse crate::Handle as Again;\n\
             mod tests { use super::*; }\n",
        ),
    ]);
    assert!(rings.is_empty(), "{rings:?}");
}

// ---- what the pure crates and the library may depend on ---------------------------------------

/// Crates that make a crate an I/O shell. The importer is pure so that the fuzzers and any other
/// tool can reach it without a runtime, a network stack, a database or a web framework.
const SHELL_CRATES: [&str; 7] = [
    "tokio", "libp2p", "sled", "axum", "tantivy", "clap", "anyhow",
];

/// The names of every crate `package` builds with (normal dependencies, transitively), as cargo
/// resolves them from the lock file.
fn normal_dependencies(package: &str) -> BTreeSet<String> {
    let output = std::process::Command::new(env!("CARGO"))
        .args([
            "tree",
            "--locked",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
            "-p",
        ])
        .arg(package)
        .current_dir(workspace_root())
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree -p {package} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let names: BTreeSet<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    assert!(
        names.contains(package),
        "cargo tree did not list {package} itself"
    );
    names
}

#[test]
fn the_importer_builds_without_any_io_framework() {
    let dependencies = normal_dependencies("mosaico-import");
    assert!(dependencies.contains("mosaico-protocol"));
    let shell: Vec<&&str> = SHELL_CRATES
        .iter()
        .filter(|name| dependencies.contains(**name))
        .collect();
    assert!(
        shell.is_empty(),
        "mosaico-import depends on {shell:?}; it must stay pure (protocol and data crates only)"
    );
}

#[test]
fn the_node_does_depend_on_the_shell_crates_the_importer_check_looks_for() {
    // The check above would pass for a misspelt name; the node really uses each of them.
    let dependencies = normal_dependencies("mosaico-node");
    for name in SHELL_CRATES {
        assert!(
            dependencies.contains(name),
            "mosaico-node does not list {name}"
        );
    }
}

#[test]
fn no_library_module_imports_clap() {
    // The command line belongs to the binary: `node/src/main.rs` and `node/src/cli/`.
    let mut found = Vec::new();
    for dir in CHECKED_CRATES {
        let root = workspace_root().join(dir).join("src/lib.rs");
        for file in crate_files(&root) {
            for (n, line) in file.code.lines().enumerate() {
                let bytes = line.as_bytes();
                let named = line.match_indices("clap").any(|(at, _)| {
                    word_starts_at(bytes, at)
                        && !bytes.get(at + 4).is_some_and(|b| is_ident_byte(*b))
                });
                if named {
                    found.push(format!("{}:{}", file.path.display(), n + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "library modules name clap (move the arguments to node/src/cli/): {found:?}"
    );
    // The binary's command line does use it, so the scan is looking at the right word.
    let cli = std::fs::read_to_string(workspace_root().join("node/src/cli/mod.rs"))
        .expect("node/src/cli/mod.rs");
    assert!(
        cli.contains("clap::"),
        "the command line no longer names clap"
    );
}
