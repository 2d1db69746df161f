//! Bad input at every door gets a clear error, changes nothing, and the node keeps running.

use mosaico_e2e::{Federation, case_study_yaml, mosaico, publish_file};

fn record_count(federation: &Federation) -> u64 {
    let (status, body) = federation.regions[0].get("/api/v1/status");
    assert_eq!(status, 200);
    body["record_count"].as_u64().expect("records")
}

#[test]
fn every_door_refuses_bad_input_without_storing_anything() {
    let mut federation = Federation::new(1, 0);
    federation.start(0);
    let data = federation.regions[0].data_arg().to_owned();
    let before = record_count(&federation);

    // CLI: an invalid record lists every problem, by field.
    let invalid = federation.draft_file(
        "invalid.yaml",
        "kind: case_study\nslug: Bad Slug\ntitle:\n  IT: Titolo\nsummary:\n  it: \"\"\ncountry: XX\nlinks:\n  - url: ftp://example.org\n",
    );
    let out = mosaico(&["publish", "--data", &data, invalid.to_str().expect("path")]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "slug:",
        "title.IT:",
        "summary.it:",
        "organisation: is required",
        "country:",
        "links[0].url:",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
    // CLI: not YAML at all, a missing file, a file that is too large.
    let garbage = federation.draft_file("garbage.yaml", "kind: [unclosed\n  : :");
    let out = mosaico(&["publish", "--data", &data, garbage.to_str().expect("path")]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not valid YAML"));
    let out = mosaico(&["publish", "--data", &data, "/nonexistent/record.yaml"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/record.yaml"));
    let huge = federation.draft_file("huge.yaml", &"# padding\n".repeat(200_000));
    let out = mosaico(&["publish", "--data", &data, huge.to_str().expect("path")]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("a record file is at most"));
    // CLI: a data directory that is not one.
    let out = mosaico(&["status", "--data", "/nonexistent/dir"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("mosaico init --data"));

    // HTTP: malformed JSON, a YAML bomb, an invalid record, no token, a wrong token.
    let region = &federation.regions[0];
    let (status, body) = region.post("/api/v1/records", "application/json", "{\"kind\": ");
    assert_eq!(status, 400, "{body}");
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
    let (status, _) = region.post("/api/v1/records", "application/yaml", bomb);
    assert!((400..500).contains(&status), "YAML bomb answered {status}");
    let (status, body) = region.post(
        "/api/v1/records",
        "application/json",
        r#"{"kind":"case_study","slug":"x","title":{"it":"T"},"summary":{"it":"S"},"organisation":"O","country":"IT","nuts":"ES51"}"#,
    );
    assert_eq!(status, 422, "{body}");
    assert!(body["errors"].to_string().contains("nuts"), "{body}");
    let client = reqwest::blocking::Client::new();
    let response = client
        .post(region.url("/api/v1/records"))
        .body("{}")
        .send()
        .expect("reaches node");
    assert_eq!(response.status().as_u16(), 401);
    let response = client
        .post(region.url("/api/v1/records"))
        .bearer_auth("not-a-token")
        .header("content-type", "application/json")
        .body(case_study_yaml("x", "y"))
        .send()
        .expect("reaches node");
    assert_eq!(response.status().as_u16(), 401);

    // Nothing was stored, and the node still works.
    assert_eq!(record_count(&federation), before);
    let good = federation.draft_file("good.yaml", &case_study_yaml("good", "Buono"));
    let id = publish_file(&federation.regions[0], &good);
    assert!(federation.regions[0].has_record(&id));
    assert_eq!(record_count(&federation), before + 1);
}

#[test]
fn publishing_without_a_running_node_says_how_to_start_one() {
    let federation = Federation::new(1, 0);
    let good = federation.draft_file("good.yaml", &case_study_yaml("good", "Buono"));
    let out = mosaico(&[
        "publish",
        "--data",
        federation.regions[0].data_arg(),
        good.to_str().expect("path"),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no node is running") && stderr.contains("mosaico run"),
        "{stderr}"
    );
}

#[test]
fn a_malformed_concept_scheme_file_stops_the_node_at_start_with_file_line_and_reason() {
    let federation = Federation::new(1, 0);
    let region = &federation.regions[0];
    let concepts = std::path::Path::new(region.data_arg()).join("concepts");
    std::fs::create_dir_all(&concepts).expect("concepts dir");
    let file = concepts.join("regional.jsonld");
    // Line 4 has a concept with no preferred labels beyond Italian.
    std::fs::write(
        &file,
        "{\n  \"@id\": \"urn:mosaico:concepts:regional\",\n  \"concepts\": [\n    {\"@id\": \"mc:rete-ciclabile\", \"prefLabel\": {\"it\": \"rete ciclabile\"}}\n  ]\n}\n",
    )
    .expect("write scheme");
    let out = mosaico(&[
        "run",
        "--data",
        region.data_arg(),
        "--federation",
        federation.genesis.to_str().expect("path"),
        "--listen",
        &region.multiaddr(),
        "--http",
        "127.0.0.1:0",
    ]);
    assert!(
        !out.status.success(),
        "the node started on a malformed scheme"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:4", file.display()))
            && stderr.contains("mc:rete-ciclabile")
            && stderr.contains("no preferred label"),
        "{stderr}"
    );
}
