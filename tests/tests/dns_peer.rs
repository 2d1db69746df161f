//! Peers named by DNS, as in docker/compose.yml (`--peer /dns4/<service>/tcp/7001`).

use mosaico_e2e::{Federation, PATIENCE, case_study_yaml, mosaico, publish_file, wait_for};

/// A node configured with `/dns4/localhost/…` reaches its peer and receives its records
/// (regression: without libp2p's DNS transport the address was refused as unsupported).
#[test]
fn a_peer_given_as_dns4_is_dialled() {
    let mut federation = Federation::new(2, 0);
    federation.start(0);
    let by_name = format!("/dns4/localhost/tcp/{}", federation.regions[0].p2p_port);
    federation.regions[1].peers.push(by_name);
    federation.start(1);
    let draft = federation.draft_file("dns.yaml", &case_study_yaml("dns-peer", "Nome DNS"));
    let id = publish_file(&federation.regions[0], &draft);
    wait_for(
        "the DNS-configured peer to serve the record",
        PATIENCE,
        || federation.regions[1].has_record(&id).then_some(()),
    );
}

/// A second node on a libp2p port another node holds is refused with the port and the flag
/// to change, instead of silently sharing the port.
#[test]
fn a_taken_listen_port_is_refused_with_the_next_step() {
    let mut federation = Federation::new(2, 0);
    federation.start(0);
    let taken = federation.regions[0].multiaddr();
    let output = mosaico(&[
        "run",
        "--data",
        federation.regions[1].data_arg(),
        "--federation",
        federation.genesis.to_str().expect("utf-8 path"),
        "--listen",
        &taken,
        "--http",
        "127.0.0.1:0",
    ]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("is in use") && stderr.contains("--listen"),
        "{stderr}"
    );
}
