//! Changing who belongs to the federation.

use mosaico_e2e::{
    Federation, PATIENCE, case_study_yaml, mosaico, mosaico_ok, publish_file, wait_for,
};

/// A membership update signed by the threshold admits a third region, whose records are then
/// accepted everywhere; one signed by fewer members is refused, and before admission the third
/// region's records are refused.
#[test]
fn threshold_signed_update_admits_a_region_and_fewer_signatures_do_not() {
    // Emilia-Romagna and Catalunya are members (threshold 2 of 2); Vlaanderen is not, yet.
    let mut federation = Federation::new(2, 1);
    federation.start(0);
    let hub = federation.regions[0].multiaddr();
    federation.regions[1].peers.push(hub.clone());
    federation.regions[2].peers.push(hub);
    federation.start(1);
    federation.start(2);
    let [er, ct, vl] = [0, 1, 2].map(|i| federation.regions[i].data_arg().to_owned());

    // Not a member: its own node refuses to publish for it.
    let draft = federation.draft_file("vl.yaml", &case_study_yaml("slimme-stad", "Slimme stad"));
    let refused = mosaico(&["publish", "--data", &vl, draft.to_str().expect("path")]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("is not a member of the federation"),
        "{stderr}"
    );

    let genesis = federation.genesis.to_str().expect("path").to_owned();
    let update = federation.root.path().join("update-2.json");
    let update_arg = update.to_str().expect("path").to_owned();
    mosaico_ok(&[
        "federation",
        "update",
        "--data",
        &er,
        "--current",
        &genesis,
        "--add",
        &vl,
        "--out",
        &update_arg,
    ]);

    // Signed by Emilia-Romagna alone: one of two, below the threshold.
    let below = mosaico(&["publish", "--data", &er, &update_arg]);
    assert!(!below.status.success());
    let stderr = String::from_utf8_lossy(&below.stderr);
    assert!(
        stderr.contains("signed by 1 current member(s), the threshold is 2"),
        "{stderr}"
    );
    let (status, members) = federation.regions[0].get("/api/v1/members");
    assert_eq!(status, 200, "{members}");
    assert_eq!(
        members["members"].as_array().map(Vec::len),
        Some(2),
        "membership unchanged: {members}"
    );

    // Catalunya adds its signature: now it passes, and spreads to every node.
    mosaico_ok(&["federation", "sign", "--data", &ct, &update_arg]);
    mosaico_ok(&["publish", "--data", &er, &update_arg]);
    for region in &federation.regions {
        wait_for(
            &format!("{} to see three members", region.name),
            PATIENCE,
            || {
                let (status, members) = region.get("/api/v1/members");
                assert_eq!(
                    status, 200,
                    "{}: /api/v1/members answered {members}",
                    region.name
                );
                (members["members"].as_array().map(Vec::len) == Some(3)).then_some(())
            },
        );
    }
    let id = publish_file(&federation.regions[2], &draft);
    for region in &federation.regions {
        wait_for(
            &format!("{} to serve Vlaanderen's record", region.name),
            PATIENCE,
            || region.has_record(&id).then_some(()),
        );
    }
}
