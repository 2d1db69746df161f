//! The field's standards, end to end on a real node: publiccode.yml and Public Sector Tech Watch
//! in through `mosaico import`, DCAT-AP 3.0.1, Atom and CSV out, and the exported catalogue
//! checked with pyshacl against the official DCAT-AP 3.0.1 shapes.
//!
//! The data (`../shared/data`) is read where it is and never copied into the project; without it
//! these tests fail with a message saying so. pyshacl comes from the virtual environment
//! `scripts/test` sets up (`.venv`), or from `MOSAICO_PYSHACL`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use mosaico_e2e::{Federation, mosaico};

fn shared_data() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
    assert!(
        dir.join("pstw/PSTW_Dataset_Jun2025.csv").exists(),
        "{} is missing: these tests read the shared data folder next to the project (see shared/data/README.md) and do not skip without it",
        dir.display()
    );
    dir
}

fn pyshacl() -> PathBuf {
    let path = std::env::var_os("MOSAICO_PYSHACL")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/pyshacl"));
    assert!(
        path.exists(),
        "pyshacl not found at {}: run scripts/test (it creates .venv and installs the pinned pyshacl) or set MOSAICO_PYSHACL",
        path.display()
    );
    path
}

fn run(args: &[&str]) -> (bool, String) {
    let output = mosaico(args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

fn record_count(fed: &Federation) -> u64 {
    fed.regions[0].get("/api/v1/status").1["record_count"]
        .as_u64()
        .expect("record_count")
}

fn line_count(text: &str, start: &str) -> usize {
    text.lines().filter(|l| l.starts_with(start)).count()
}

#[test]
fn publiccode_and_pstw_in_dcat_atom_and_csv_out() {
    let data = shared_data();
    let shacl = pyshacl();
    let mut fed = Federation::new(1, 0);
    // A node that runs bulk imports raises its token's write allowance (the default, 30 at once
    // then one a second, is for people and scripts, and would make this import take half an hour).
    let config = fed.regions[0].data.join("mosaico.toml");
    let mut text = std::fs::read_to_string(&config).expect("mosaico.toml");
    text.push_str("\nwrite_burst = 5000\nwrite_rate_per_minute = 60000\n");
    std::fs::write(&config, text).expect("write mosaico.toml");
    fed.start(0);
    let region = fed.regions[0].data_arg().to_owned();
    let samples = data.join("publiccode/samples");
    let samples = samples.to_str().expect("utf-8 path");

    // Three of the ten real files break a rule of the official parser (a YAML 1.1 `yes`, a
    // maintenance type inconsistent with its contacts or contractors): strictly, they are
    // rejected with the parser's keys and nothing of them is published.
    let (ok, out) = run(&["import", "publiccode", "--data", &region, samples]);
    assert!(!ok, "{out}");
    assert_eq!(line_count(&out, "published "), 7, "{out}");
    for key in [
        "maintenance.contacts:",
        "maintenance.contractors:",
        "localisation.localisationReady:",
    ] {
        assert!(out.contains(key), "{key} in {out}");
    }
    // With --lenient those rules warn instead, and all ten import; again, nothing changes.
    let (ok, out) = run(&[
        "import",
        "publiccode",
        "--lenient",
        "--data",
        &region,
        samples,
    ]);
    assert!(ok, "{out}");
    assert_eq!(line_count(&out, "published "), 3, "{out}");
    assert_eq!(line_count(&out, "unchanged "), 7, "{out}");
    let (ok, out) = run(&[
        "import",
        "publiccode",
        "--lenient",
        "--data",
        &region,
        samples,
    ]);
    assert!(ok, "{out}");
    assert_eq!(line_count(&out, "unchanged "), 10, "{out}");

    // Multilingual descriptions stay per language; statuses and categories are mapped.
    let key = fed.regions[0].public_key();
    let (status, amsterdam) = fed.regions[0].get(&format!(
        "/api/v1/records/{key}/solution/github.com-amsterdam-signals-frontend"
    ));
    assert_eq!(status, 200, "{amsterdam}");
    let record = &amsterdam["record"];
    assert!(record["description"]["en"].is_string() && record["description"]["nl"].is_string());
    assert_eq!(record["status"], "implemented");
    assert_eq!(record["solution"]["development_status"], "stable");
    assert!(
        record["themes"]
            .as_array()
            .is_some_and(|t| t.contains(&"digital-integrations".into()))
    );
    let (_, htr) = fed.regions[0].get(&format!(
        "/api/v1/records/{key}/solution/github.com-ai-riksarkivet-htrflow"
    ));
    assert_eq!(htr["record"]["status"], "pilot");

    // A changed file publishes a new version of the same record.
    let original = std::fs::read_to_string(
        data.join("publiccode/samples/AI-Riksarkivet+htrflow.publiccode.yml"),
    )
    .expect("sample");
    let changed = fed.draft_file(
        "htrflow-publiccode.yml",
        &original.replacen("developmentStatus: beta", "developmentStatus: stable", 1),
    );
    let (ok, out) = run(&[
        "import",
        "publiccode",
        "--lenient",
        "--data",
        &region,
        changed.to_str().expect("utf-8"),
    ]);
    assert!(
        ok && out.contains("new version") && out.contains("version 2"),
        "{out}"
    );

    // The whole PSTW release: timed (the benchmark's figure is in docs/benchmarks.md). Every
    // case imports, the EU-wide ones too; the cases are counted from the file by this test's own
    // CSV splitter, apart from the importer.
    let csv = data.join("pstw/PSTW_Dataset_Jun2025.csv");
    let csv = csv.to_str().expect("utf-8 path");
    let text = std::fs::read_to_string(csv).expect("csv");
    let file_rows = csv_rows(&text);
    let coverage = file_rows[0]
        .iter()
        .position(|h| h == "Geographical coverage (country)")
        .expect("the coverage column");
    let cases: Vec<&Vec<String>> = file_rows[1..]
        .iter()
        .filter(|row| row.iter().any(|f| !f.trim().is_empty()))
        .collect();
    let eu_case = cases
        .iter()
        .find(|row| row.get(coverage).map(|c| c.trim()) == Some("European Union"))
        .map(|row| row[0].to_ascii_lowercase())
        .expect("the release has cases of the whole European Union");
    let cases = cases.len();
    let started = Instant::now();
    let (_, out) = run(&["import", "pstw", "--data", &region, csv]);
    let elapsed = started.elapsed();
    let summary = out
        .lines()
        .rev()
        .find(|l| l.contains(" rows: "))
        .unwrap_or_default()
        .to_owned();
    println!("PSTW import: {summary} in {:.2} s", elapsed.as_secs_f64());
    assert!(
        summary.contains(&format!(
            "{cases} rows: {cases} created, 0 updated, 0 unchanged, 0 retracted, 0 rejected"
        )),
        "{out}"
    );
    let (status, eu_wide) =
        fed.regions[0].get(&format!("/api/v1/records/{key}/case_study/{eu_case}"));
    assert_eq!(status, 200, "{eu_wide}");
    assert_eq!(eu_wide["record"]["country"], "EU", "{eu_wide}");
    let (_, again) = run(&["import", "pstw", "--data", &region, csv]);
    assert!(
        again.contains(&format!("0 created, 0 updated, {cases} unchanged")),
        "{again}"
    );

    // A later release: a row changed, a row gone, columns reordered; --sync retracts the gone row.
    let mut lines: Vec<String> = Vec::new();
    let mut reader = csv_rows(&text);
    let header = reader.remove(0);
    // Move "Name" to the end of every row: columns reordered.
    let reorder = |row: &[String]| {
        let mut row = row.to_vec();
        let name = row.remove(1);
        row.push(name);
        row
    };
    lines.push(join_csv(&reorder(&header)));
    for row in reader {
        if row[0] == "PSTW-2" {
            continue;
        }
        let mut row = row.clone();
        if row[0] == "PSTW-1" {
            row[3] = format!("{} Updated in a later release.", row[3]);
        }
        lines.push(join_csv(&reorder(&row)));
    }
    let later = fed.draft_file("pstw-later.csv", &lines.join("\n"));
    let (_, out) = run(&[
        "import",
        "pstw",
        "--sync",
        "--data",
        &region,
        later.to_str().expect("utf-8"),
    ]);
    assert!(
        out.contains(&format!(
            "0 created, 1 updated, {} unchanged, 1 retracted",
            cases - 2
        )),
        "{out}"
    );
    let (_, gone) = fed.regions[0].get(&format!("/api/v1/records/{key}/case_study/pstw-2"));
    assert_eq!(gone["record"]["retracted"], true, "{gone}");

    // DCAT-AP 3.0.1 out, checked with the official shapes.
    let (status, jsonld) = get_text(&fed, "/export/catalog.jsonld");
    assert_eq!(status, 200);
    let export = fed.root.path().join("catalog.jsonld");
    std::fs::write(&export, &jsonld).expect("write export");
    let shapes = data.join("dcat-ap-3.0.1/shapes-and-range.ttl");
    let check = Command::new(&shacl)
        .args([
            "-s",
            shapes.to_str().expect("utf-8"),
            "-df",
            "json-ld",
            "-f",
            "human",
        ])
        .arg(&export)
        .output()
        .expect("run pyshacl");
    let report = String::from_utf8_lossy(&check.stdout);
    let head: String = report.chars().take(4000).collect();
    assert!(check.status.success(), "DCAT-AP violations:\n{head}");
    assert!(report.contains("Conforms: True"), "{head}");
    let recommended = data.join("dcat-ap-3.0.1/shapes_recommended.ttl");
    let warnings = Command::new(&shacl)
        .args([
            "-s",
            recommended.to_str().expect("utf-8"),
            "-df",
            "json-ld",
            "-f",
            "human",
        ])
        .arg(&export)
        .output()
        .expect("run pyshacl");
    let warnings = String::from_utf8_lossy(&warnings.stdout);
    println!(
        "DCAT-AP 3.0.1: 0 violations; recommended shapes: {}",
        warnings
            .lines()
            .find(|l| l.starts_with("Results ("))
            .unwrap_or("no results")
    );
    // The recommended shapes' warnings, grouped by property, for docs/standards.md.
    let mut by_path: std::collections::BTreeMap<String, usize> = Default::default();
    let mut focus_class = String::new();
    for line in warnings.lines().map(str::trim) {
        if let Some(shape) = line.strip_prefix("Source Shape: ") {
            focus_class = shape.to_owned();
        }
        if let Some(path) = line.strip_prefix("Result Path: ") {
            *by_path
                .entry(format!("{path} ({focus_class})"))
                .or_default() += 1;
        }
    }
    for (path, count) in by_path {
        println!("  {count:>6}  {path}");
    }
    let (status, turtle) = get_text(&fed, "/export/catalog.ttl?kind=solution");
    assert_eq!(status, 200);
    assert_eq!(
        turtle.matches(" a dcat:Dataset").count(),
        10,
        "only the solutions"
    );
    assert!(
        jsonld.contains("\"@language\":\"nl\""),
        "every language is exported"
    );

    // The same filters give Atom and CSV.
    let (status, atom) = get_text(&fed, "/feeds/atom.xml?kind=solution&status=planned");
    assert_eq!(status, 200);
    assert_eq!(
        atom.matches("<entry>").count(),
        2,
        "concept and development: {atom}"
    );
    let (status, table) = get_text(&fed, "/export/records.csv?kind=case_study&country=IT");
    assert_eq!(status, 200);
    let total = fed.regions[0]
        .get("/api/v1/records?kind=case_study&country=IT")
        .1["total"]
        .as_u64()
        .expect("total");
    assert_eq!(
        table.lines().count() as u64,
        total + 1,
        "a header and one line per record"
    );
    let (status, _) = get_text(&fed, "/export/catalog.ttl?contry=IT");
    assert_eq!(status, 400, "a misspelt filter is refused, not ignored");

    // The CLI export fetches the same catalogue.
    let (ok, out) = run(&[
        "export",
        "dcat",
        "--format",
        "ttl",
        "--data",
        &region,
        "--query",
        "kind=solution",
    ]);
    assert!(
        ok && out.matches(" a dcat:Dataset").count() == 10,
        "{}",
        &out[..out.len().min(500)]
    );
}

#[test]
fn bad_input_is_refused_file_by_file_and_changes_nothing() {
    let data = shared_data();
    let mut fed = Federation::new(1, 0);
    fed.start(0);
    let region = fed.regions[0].data_arg().to_owned();
    let dir = fed.root.path().join("batch");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::copy(
        data.join("publiccode/samples/RegioneER+criter.publiccode.yml"),
        dir.join("a-good.yml"),
    )
    .expect("copy sample");
    std::fs::write(dir.join("b-not-yaml.yml"), "name: [unclosed\n  : : :\n").expect("write");
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (name, previous) in ["b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
    {
        bomb.push_str(&format!(
            "{name}: &{name} [{}]\n",
            vec![format!("*{previous}"); 10].join(", ")
        ));
    }
    std::fs::write(dir.join("c-bomb.yml"), bomb).expect("write");
    std::fs::write(
        dir.join("d-deep.yml"),
        format!("{}1{}", "[".repeat(200), "]".repeat(200)),
    )
    .expect("write");
    std::fs::write(dir.join("e-huge.yml"), "x".repeat(2 * 1024 * 1024)).expect("write");
    std::fs::write(dir.join("f-latin1.yml"), b"name: Caf\xe9\n").expect("write");
    let before = record_count(&fed);
    let (ok, out) = run(&[
        "import",
        "publiccode",
        "--data",
        &region,
        dir.to_str().expect("utf-8"),
    ]);
    assert!(!ok, "a rejected file makes the exit code non-zero:\n{out}");
    assert_eq!(
        line_count(&out, "published "),
        1,
        "the rest of the batch goes on:\n{out}"
    );
    assert_eq!(line_count(&out, "rejected "), 5, "{out}");
    assert!(
        out.contains("more than")
            && out.contains("nested")
            && out.contains("bytes")
            && out.contains("UTF-8"),
        "{out}"
    );
    assert_eq!(
        record_count(&fed),
        before + 1,
        "only the good file was published"
    );

    let before = record_count(&fed);
    let latin1 = fed.root.path().join("latin1.csv");
    std::fs::write(&latin1, b"PSTW ID,Name,Geographical coverage (country),Responsible organisation\nPSTW-1,Caf\xe9,France,Ville\n").expect("write");
    let (ok, out) = run(&[
        "import",
        "pstw",
        "--data",
        &region,
        latin1.to_str().expect("utf-8"),
    ]);
    assert!(
        !ok && out.contains("latin1.csv") && out.contains("not UTF-8"),
        "{out}"
    );
    let foreign = fed.draft_file("people.csv", "first,last\nAda,Lovelace\n");
    let (ok, out) = run(&[
        "import",
        "pstw",
        "--data",
        &region,
        foreign.to_str().expect("utf-8"),
    ]);
    assert!(
        !ok && out.contains("people.csv") && out.contains("no Public Sector Tech Watch columns"),
        "{out}"
    );
    let yaml = fed.draft_file("not.csv", "a: \"unterminated\n\"b,\"c\n");
    let (ok, out) = run(&[
        "import",
        "pstw",
        "--data",
        &region,
        yaml.to_str().expect("utf-8"),
    ]);
    assert!(!ok && out.contains("not.csv"), "{out}");
    assert_eq!(record_count(&fed), before, "nothing half-published");
}

fn get_text(fed: &Federation, path: &str) -> (u16, String) {
    let response = reqwest::blocking::Client::new()
        .get(fed.regions[0].url(path))
        .send()
        .expect("GET reaches the node");
    let status = response.status().as_u16();
    (status, response.text().expect("body"))
}

/// Splits a CSV into rows of fields (RFC 4180 quoting), for rewriting a release in a test.
fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\r') => {}
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

fn join_csv(row: &[String]) -> String {
    row.iter()
        .map(|f| format!("\"{}\"", f.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(",")
}
