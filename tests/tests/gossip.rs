//! Live gossip between real nodes.

use mosaico_e2e::{Federation, PATIENCE, case_study_yaml, mosaico_ok, publish_file, wait_for};

/// Five regions in a line, each configured with only its left neighbour: a record published on
/// the first is stored and served by all five, and found by a text search on the last.
#[test]
fn a_record_crosses_a_line_of_five_nodes() {
    let mut federation = Federation::new(5, 0);
    for i in 0..5 {
        if i > 0 {
            let left = federation.regions[i - 1].multiaddr();
            federation.regions[i].peers.push(left);
        }
        federation.start(i);
    }
    let draft = federation.draft_file(
        "chatbot.yaml",
        &case_study_yaml(
            "chatbot-urp",
            "Chatbot per l'ufficio relazioni con il pubblico",
        ),
    );
    let id = publish_file(&federation.regions[0], &draft);
    for region in &federation.regions {
        wait_for(&format!("{} to serve {id}", region.name), PATIENCE, || {
            region.has_record(&id).then_some(())
        });
    }
    let last = &federation.regions[4];
    let found = wait_for(
        "the last region's search to find the record",
        PATIENCE,
        || {
            let ids = last.search("chatbot");
            ids.contains(&id).then_some(ids)
        },
    );
    assert_eq!(found, vec![id.clone()]);
    // The served record carries the signature, and it is the first region's key that signed it.
    let (status, body) = last.get(&format!("/api/v1/records/{id}"));
    assert_eq!(status, 200);
    assert_eq!(body["record"]["author"], federation.regions[0].public_key());
    assert_eq!(
        body["signatures"][0]["key"],
        federation.regions[0].public_key()
    );

    // A new version replaces the head everywhere; the old version stays in the history.
    let v2 = federation.draft_file(
        "chatbot-v2.yaml",
        &case_study_yaml("chatbot-urp", "Chatbot URP, seconda versione"),
    );
    let id2 = publish_file(&federation.regions[0], &v2);
    let head_path = format!(
        "/api/v1/records/{}/case_study/chatbot-urp",
        federation.regions[0].public_key()
    );
    for region in &federation.regions {
        wait_for(
            &format!("{} to show version 2 as head", region.name),
            PATIENCE,
            || {
                let (status, body) = region.get(&head_path);
                (status == 200 && body["id"] == id2.as_str()).then_some(())
            },
        );
        assert!(
            region.has_record(&id),
            "{} keeps version 1 for history",
            region.name
        );
    }
    let status = mosaico_ok(&[
        "status",
        "--data",
        federation.regions[4].data_arg(),
        "--json",
    ]);
    assert!(status.contains("\"record_count\""), "{status}");
}
