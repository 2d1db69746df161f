//! A partition that heals: two groups of regions in separate network namespaces, joined by one
//! veth link that the test takes down and brings back up.

use mosaico_e2e::{Federation, Netns, PATIENCE, Region, case_study_yaml, wait_for};

fn publish(region: &Region, federation: &Federation, slug: &str, title: &str) -> String {
    let file = federation.draft_file(
        &format!("{slug}-{}.yaml", region.p2p_port),
        &case_study_yaml(slug, title),
    );
    let out = region.cli(&[
        "publish",
        "--data",
        region.data_arg(),
        file.to_str().expect("path"),
    ]);
    out.split_whitespace().nth(1).expect("id").to_owned()
}

/// The head id of each of these logical records (author key, slug) as the node's store says.
fn heads(region: &Region, keys: &[(String, &str)]) -> Vec<String> {
    keys.iter()
        .map(|(author, slug)| {
            let path = format!("/api/v1/records/{author}/case_study/{slug}");
            let (status, head) = region.get(&path);
            assert_eq!(status, 200, "{}: GET {path} answered {head}", region.name);
            head["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{}: the head has no id: {head}", region.name))
                .to_owned()
        })
        .collect()
}

#[test]
fn both_sides_of_a_healed_partition_end_with_the_union_and_the_same_heads() {
    // Each run has namespaces of its own, and the veth pair and its subnet live only inside
    // them, so parallel runs cannot meet.
    let left = Netns::create_unique("left");
    let right = Netns::create_unique("right");
    let (left_ip, right_ip) = ("10.231.0.1".to_owned(), "10.231.0.2".to_owned());
    Netns::link(
        &left,
        "mosaico-l",
        &format!("{left_ip}/24"),
        &right,
        "mosaico-r",
        &format!("{right_ip}/24"),
    );

    let mut federation = Federation::new(4, 0);
    for (i, region) in federation.regions.iter_mut().enumerate() {
        let (ns, ip) = if i < 2 {
            (&left, &left_ip)
        } else {
            (&right, &right_ip)
        };
        region.netns = Some(ns.name.clone());
        region.listen_ip = ip.clone();
    }
    let (a, c) = (
        federation.regions[0].multiaddr(),
        federation.regions[2].multiaddr(),
    );
    federation.regions[1].peers.push(a.clone());
    federation.regions[2].peers.push(a);
    federation.regions[3].peers.push(c);
    for i in 0..4 {
        federation.start(i);
    }
    let shared = publish(
        &federation.regions[0],
        &federation,
        "shared",
        "Prima del taglio",
    );
    for region in &federation.regions {
        wait_for(
            &format!("{} to hold the shared record", region.name),
            PATIENCE,
            || region.has_record(&shared).then_some(()),
        );
    }

    // Cut the link; each side publishes, and the left side also updates the shared record.
    left.set_link("mosaico-l", false);
    right.set_link("mosaico-r", false);
    let left_new = publish(
        &federation.regions[1],
        &federation,
        "left",
        "Solo a sinistra",
    );
    let shared_v2 = publish(
        &federation.regions[0],
        &federation,
        "shared",
        "Dopo il taglio",
    );
    let right_new = publish(
        &federation.regions[3],
        &federation,
        "right",
        "Solo a destra",
    );
    // Each side spreading its own records is the evidence that gossip ran while the link was
    // down; what did not cross it is then absent for the cut, not for want of time.
    wait_for("each side to spread its own records", PATIENCE, || {
        (federation.regions[0].has_record(&left_new)
            && federation.regions[1].has_record(&shared_v2)
            && federation.regions[2].has_record(&right_new))
        .then_some(())
    });
    for region in &federation.regions[2..] {
        for (id, what) in [(&left_new, "left"), (&shared_v2, "shared v2")] {
            assert!(
                !region.has_record(id),
                "the cut holds: {} holds the {what} record",
                region.name
            );
        }
    }
    for region in &federation.regions[..2] {
        assert!(
            !region.has_record(&right_new),
            "the cut holds: {} holds the right record",
            region.name
        );
    }

    // Heal: every node ends with the union, and every head is the same everywhere.
    left.set_link("mosaico-l", true);
    right.set_link("mosaico-r", true);
    for region in &federation.regions {
        wait_for(
            &format!("{} to hold the union", region.name),
            PATIENCE * 3,
            || {
                [&left_new, &right_new, &shared_v2]
                    .iter()
                    .all(|id| region.has_record(id))
                    .then_some(())
            },
        );
    }
    let keys = [
        (federation.regions[0].public_key(), "shared"),
        (federation.regions[1].public_key(), "left"),
        (federation.regions[3].public_key(), "right"),
    ];
    let reference = heads(&federation.regions[0], &keys);
    assert_eq!(
        reference,
        vec![shared_v2.clone(), left_new.clone(), right_new.clone()],
        "the newer version is the head"
    );
    for region in &federation.regions[1..] {
        assert_eq!(
            heads(region, &keys),
            reference,
            "{} shows other heads",
            region.name
        );
    }
}
