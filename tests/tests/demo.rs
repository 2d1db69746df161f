//! `mosaico demo`: three regions start, share records, and stop without leaving anything behind.

use std::fs;
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

use mosaico_e2e::{PATIENCE, case_study_yaml, mosaico_bin, wait_for};
use serde_json::Value;

/// Six consecutive free loopback ports, as the demo needs; returns the first.
///
/// They are taken from below the kernel's range for outgoing connections, as `free_port` takes
/// its ports: a port inside that range can be taken by any outgoing connection (the nodes' own
/// dialling included) between this check and the demo's bind.
fn six_free_ports() -> u16 {
    const LOWEST: u16 = 10_000;
    let below = *mosaico_node::outgoing_ports::outgoing_port_range().start();
    assert!(
        below > LOWEST + 6,
        "no room below the kernel's range for outgoing connections"
    );
    let starts = (below - LOWEST - 6) / 10;
    // Spread the starting points by process id so parallel test runs rarely collide.
    let first = (std::process::id() % u32::from(starts)) as u16;
    for step in 0..starts {
        let base = LOWEST + (first + step) % starts * 10;
        let listeners: Vec<_> = (base..base + 6)
            .map(|p| TcpListener::bind(("127.0.0.1", p)))
            .collect();
        if listeners.iter().all(Result::is_ok) {
            return base;
        }
    }
    panic!("no six free consecutive ports below {below}");
}

fn answers(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(500)).is_ok()
}

#[test]
fn the_demo_runs_three_sharing_regions_and_stops_cleanly_on_sigterm() {
    let root = tempfile::tempdir().expect("temp dir");
    let dir = root.path().join("demo");
    let base = six_free_ports();
    let output = root.path().join("demo.out");
    let mut demo = Command::new(mosaico_bin())
        .args(["demo", "--dir", dir.to_str().expect("utf-8 path")])
        .args(["--base-port", &base.to_string()])
        .env_remove("MOSAICO_DATA")
        .stdin(Stdio::null())
        .stdout(fs::File::create(&output).expect("output file"))
        .stderr(Stdio::null())
        .spawn()
        .expect("start mosaico demo");
    let http_ports = [base + 1, base + 3, base + 5];
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("http client");

    // The demo prints the addresses once the samples are published.
    wait_for("the demo to print its addresses", PATIENCE * 2, || {
        if let Ok(Some(status)) = demo.try_wait() {
            panic!(
                "the demo exited with {status}:\n{}",
                fs::read_to_string(&output).unwrap_or_default()
            );
        }
        fs::read_to_string(&output)
            .ok()
            .filter(|text| text.contains("Press Ctrl-C"))
    });
    let printed = fs::read_to_string(&output).expect("demo output");
    for port in http_ports {
        let address = format!("http://127.0.0.1:{port}/");
        assert!(printed.contains(&address), "{address} not in:\n{printed}");
        let status = http.get(&address).send().expect("web page").status();
        assert_eq!(status.as_u16(), 200, "{address}");
    }

    // A record published in Emilia-Romagna is served by Catalunya and Vlaanderen.
    let token = fs::read_to_string(dir.join("emilia-romagna/publisher.token")).expect("token");
    let response = http
        .post(format!("http://127.0.0.1:{}/api/v1/records", http_ports[0]))
        .bearer_auth(token.trim())
        .header("content-type", "application/yaml")
        .body(case_study_yaml("demo-e2e", "Pubblicato durante il test"))
        .send()
        .expect("publish");
    assert_eq!(response.status().as_u16(), 201);
    let published: Value = response.json().expect("published view");
    let id = published["id"].as_str().expect("id").to_owned();
    for port in &http_ports[1..] {
        wait_for(&format!("port {port} to serve {id}"), PATIENCE, || {
            let status = http
                .get(format!("http://127.0.0.1:{port}/api/v1/records/{id}"))
                .send()
                .ok()?
                .status();
            (status.as_u16() == 200).then_some(())
        });
    }
    // The samples of every region reached the others too (nine in all, plus the new one).
    wait_for("Vlaanderen to hold all ten records", PATIENCE, || {
        let body: Value = http
            .get(format!(
                "http://127.0.0.1:{}/api/v1/records?limit=100",
                http_ports[2]
            ))
            .send()
            .ok()?
            .json()
            .ok()?;
        (body["items"].as_array()?.len() >= 10).then_some(())
    });

    let sent = Command::new("kill")
        .args(["-TERM", &demo.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "SIGTERM could not be sent to the demo");
    let status = wait_for("the demo to stop", PATIENCE, || {
        demo.try_wait().ok().flatten()
    });
    assert!(
        status.success(),
        "the demo exited with {status}:\n{}",
        fs::read_to_string(&output).unwrap_or_default()
    );
    for port in [base, base + 1, base + 2, base + 3, base + 4, base + 5] {
        assert!(
            !answers(port),
            "port {port} still answers after the demo stopped"
        );
    }
    // The data directory is kept when --dir is given, and is reused on the next start.
    assert!(dir.join("federation.json").exists());
    assert!(dir.join("samples-published").exists());
}
