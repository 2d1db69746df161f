//! Catch-up and healing between real nodes: a node that was away gets everything it missed,
//! and a retraction, once made, wins everywhere.

use mosaico_e2e::{
    Federation, PATIENCE, Region, case_study_yaml, mosaico_ok, publish_file, wait_for,
};
use serde_json::{Value, json};

/// Publishes `count` drafts through the HTTP API with the region's token; returns their ids.
fn publish_many(region: &Region, prefix: &str, count: usize) -> Vec<String> {
    let client = reqwest::blocking::Client::new();
    (0..count)
        .map(|i| {
            let draft = json!({
                "kind": "best_practice", "slug": format!("{prefix}-{i}"),
                "title": {"en": format!("Practice {prefix} {i}")}, "summary": {"en": "Catch-up."},
                "organisation": region.name, "country": "IT"
            });
            let response = client
                .post(region.url("/api/v1/records"))
                .bearer_auth(region.token())
                .json(&draft)
                .send()
                .expect("node answers");
            assert_eq!(response.status().as_u16(), 201);
            response.json::<Value>().expect("json")["id"]
                .as_str()
                .expect("id")
                .to_owned()
        })
        .collect()
}

fn metric(region: &Region, selector: &str) -> u64 {
    region.metrics().counter(selector)
}

/// Three nodes; one is stopped; 200 records are published on another; the stopped one, once
/// restarted, holds all 200 soon after, and nobody published anything again.
#[test]
fn a_node_that_was_away_gets_everything_it_missed() {
    let mut federation = Federation::new(3, 0);
    federation.start(0);
    let hub = federation.regions[0].multiaddr();
    for i in 1..3 {
        federation.regions[i].peers.push(hub.clone());
        federation.start(i);
    }
    federation.regions[2].stop();
    let ids = publish_many(&federation.regions[0], "away", 200);
    federation.start(2);
    let returning = &federation.regions[2];
    wait_for(
        "the returning node to hold all 200 records",
        PATIENCE,
        || ids.iter().all(|id| returning.has_record(id)).then_some(()),
    );
    assert_eq!(
        metric(
            &federation.regions[0],
            "mosaico_records_ingested_total{origin=\"local\""
        ),
        200,
        "published once"
    );
    assert!(
        metric(returning, "mosaico_sync_records_fetched_total") >= 200,
        "came through catch-up"
    );
    let (code, status) = returning.get("/api/v1/status");
    assert_eq!(code, 200, "{status}");
    assert!(
        status["sync"].as_array().is_some_and(|peers| peers
            .iter()
            .any(|p| p["total_fetched"].as_u64() >= Some(200))),
        "status shows what came in from which peer: {status}"
    );
    let human = mosaico_ok(&["status", "--data", returning.data_arg()]);
    assert!(
        human.contains("catch-up with") && human.contains("in all"),
        "{human}"
    );
}

/// A fourth region admitted after 1,000 records exist gets all 1,000.
#[test]
fn a_late_joiner_gets_the_whole_history() {
    let mut federation = Federation::new(2, 1);
    federation.start(0);
    let hub = federation.regions[0].multiaddr();
    federation.regions[1].peers.push(hub.clone());
    federation.start(1);
    let ids = publish_many(&federation.regions[0], "history", 1000);
    let update = federation.root.path().join("update.json");
    let [er, ct, vl] = [0, 1, 2].map(|i| federation.regions[i].data_arg().to_owned());
    let (genesis, update_arg) = (
        federation.genesis.to_str().expect("path").to_owned(),
        update.to_str().expect("path").to_owned(),
    );
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
    mosaico_ok(&["federation", "sign", "--data", &ct, &update_arg]);
    mosaico_ok(&["publish", "--data", &er, &update_arg]);

    federation.regions[2].peers.push(hub);
    federation.start(2);
    let joiner = &federation.regions[2];
    wait_for(
        "the late joiner to hold all 1,000 records",
        PATIENCE * 2,
        || ids.iter().all(|id| joiner.has_record(id)).then_some(()),
    );
    // It also learnt the membership update, so its own records are accepted everywhere.
    let draft = federation.draft_file("late.yaml", &case_study_yaml("late", "In ritardo"));
    let id = publish_file(joiner, &draft);
    wait_for("the joiner's record on the first region", PATIENCE, || {
        federation.regions[0].has_record(&id).then_some(())
    });
    assert_eq!(joiner.record_count(), federation.regions[0].record_count());
}

/// A record is retracted while a node is down; when it returns the record is retracted there
/// too; re-sending the old version afterwards does not bring it back on any node.
#[test]
fn a_retraction_made_while_a_node_was_down_wins_there_too() {
    let mut federation = Federation::new(3, 0);
    federation.start(0);
    let hub = federation.regions[0].multiaddr();
    for i in 1..3 {
        federation.regions[i].peers.push(hub.clone());
        federation.start(i);
    }
    let draft = federation.draft_file(
        "obsolete.yaml",
        &case_study_yaml("obsolete", "Chatbot obsoleto"),
    );
    let v1 = publish_file(&federation.regions[0], &draft);
    for region in &federation.regions {
        wait_for("v1 everywhere", PATIENCE, || {
            region.has_record(&v1).then_some(())
        });
    }
    let (status, old_wire) = federation.regions[0].get(&format!("/api/v1/records/{v1}"));
    assert_eq!(status, 200, "{old_wire}");
    federation.regions[2].stop();
    mosaico_ok(&[
        "retract",
        "--data",
        federation.regions[0].data_arg(),
        "--kind",
        "case_study",
        "--slug",
        "obsolete",
    ]);
    federation.start(2);
    let author = federation.regions[0].public_key();
    let head_path = format!("/api/v1/records/{author}/case_study/obsolete");
    let retracted_everywhere = |federation: &Federation| {
        federation.regions.iter().all(|r| {
            let (status, head) = r.get(&head_path);
            status == 200 && head["record"]["retracted"] == json!(true)
        })
    };
    wait_for("the retraction on every node", PATIENCE, || {
        retracted_everywhere(&federation).then_some(())
    });

    // Re-send the old version through the API of every node, as a stale client or peer would.
    let envelope = json!({"record": old_wire["record"], "signatures": old_wire["signatures"]});
    for region in &federation.regions {
        let (status, body) =
            region.post("/api/v1/records", "application/json", envelope.to_string());
        // Refused as already held, and not for some other reason (a failing node must not
        // pass for one that knows the record).
        assert_eq!(
            status, 403,
            "{}: the old version was not refused as already stored: {body}",
            region.name
        );
    }
    // And let a few catch-up rounds pass (sync interval is 2 s in tests): still retracted, and
    // not found by search anywhere.
    let rounds_before = metric(&federation.regions[2], "mosaico_sync_rounds_total");
    wait_for("two more catch-up rounds", PATIENCE, || {
        (metric(&federation.regions[2], "mosaico_sync_rounds_total") >= rounds_before + 2)
            .then_some(())
    });
    assert!(retracted_everywhere(&federation));
    for region in &federation.regions {
        assert!(
            region.search("obsoleto").is_empty(),
            "{} still lists the retracted record",
            region.name
        );
    }
}
