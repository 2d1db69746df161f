//! The live API against its own OpenAPI document, with schemathesis (from PyPI; `scripts/test`
//! installs it and sets `MOSAICO_SCHEMATHESIS`): property-based requests to every operation, and
//! no answer may be a server error or differ from what the document promises (status codes,
//! content types, headers, bodies).

use std::process::Command;

use mosaico_e2e::{Federation, publish_file};

#[test]
fn the_live_api_keeps_every_promise_of_its_openapi_document() {
    let schemathesis = std::env::var("MOSAICO_SCHEMATHESIS").expect(
        "MOSAICO_SCHEMATHESIS is not set: run ./scripts/test, which installs schemathesis into .venv and sets it",
    );
    let mut federation = Federation::new(1, 0);
    federation.start(0);
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    for file in ["case-study.yaml", "solution.yaml", "best-practice.yaml"] {
        publish_file(&federation.regions[0], &examples.join(file));
    }
    let region = &federation.regions[0];
    let output = Command::new(&schemathesis)
        .args(["run", &region.url("/api/v1/openapi.json")])
        // Server errors and every kind of conformance; not "schema-valid data must be accepted",
        // because the document describes shapes while the node also enforces the protocol's
        // vocabularies and rules (a `kind` of "ç" is a string, and rightly a 400).
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance",
        ])
        .args(["--max-examples", "20", "--seed", "1", "--request-timeout", "10"])
        // The event stream never ends by design; it has its own tests.
        .args(["--exclude-path", "/api/v1/events"])
        .args(["-H", &format!("Authorization: Bearer {}", region.token())])
        .output()
        .expect("run schemathesis");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{report}"
    );
    assert!(
        report.contains("passed"),
        "schemathesis ran no test case:\n{report}"
    );
}
