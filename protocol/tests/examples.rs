//! The example drafts in the repository's `examples/` folder are what new publishers copy, so each
//! must parse, become a record, be signed and pass every rule.

use mosaico_protocol::draft::Draft;
use mosaico_protocol::keys::SecretKey;
use mosaico_protocol::record::Record;
use mosaico_protocol::vocab::Kind;
use serde_json::Value;

const T0: u64 = 1_795_425_600_000;

fn example(name: &str) -> Value {
    let path = format!("{}/../examples/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn publish(name: &str, secret: &SecretKey) -> Record<mosaico_protocol::Verified> {
    let draft = Draft::from_value(example(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let unsigned = draft
        .into_unsigned(secret.public_key(), 1, T0)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let signed = Record::sign(unsigned, secret).unwrap_or_else(|e| panic!("{name}: {e}"));
    // Through the wire, as another node would receive it.
    Record::decode(&signed.to_wire())
        .and_then(|r| r.verify(T0))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_example_draft_signs_and_validates() {
    let emilia = SecretKey::from_bytes([1; 32]);
    let expected = [
        ("solution.yaml", Kind::Solution),
        ("case-study.yaml", Kind::CaseStudy),
        ("best-practice.yaml", Kind::BestPractice),
        ("endorsement.yaml", Kind::Endorsement),
    ];
    for (name, kind) in expected {
        let record = publish(name, &emilia);
        assert_eq!(record.header().kind, kind, "{name}");
        assert_eq!(record.header().version, 1);
        assert!(record.is_understood());
    }
}

#[test]
fn content_examples_are_bilingual_and_one_is_in_catalan() {
    let emilia = SecretKey::from_bytes([1; 32]);
    for name in ["solution.yaml", "case-study.yaml", "best-practice.yaml"] {
        let record = publish(name, &emilia);
        let body = record.body();
        for field in [&body.title, &body.summary, &body.description] {
            assert!(
                field.contains_key("it") && field.contains_key("en"),
                "{name}"
            );
        }
    }
    let solution = publish("solution.yaml", &emilia);
    assert!(solution.body().title.contains_key("ca"));
    assert!(solution.body().summary.contains_key("ca"));
}

#[test]
fn the_case_study_is_the_chatbot_case() {
    let emilia = SecretKey::from_bytes([1; 32]);
    let record = publish("case-study.yaml", &emilia);
    assert_eq!(record.header().slug, "chatbot-urp");
    let text = String::from_utf8_lossy(record.canonical()).to_lowercase();
    assert!(text.contains("chatbot"));
    assert!(record.body().technologies.iter().any(|t| t == "chatbot"));
}

#[test]
fn the_endorsement_example_names_a_real_key() {
    let draft = example("endorsement.yaml");
    let partner = draft["endorsement"]["partner"]
        .as_str()
        .expect("partner key");
    assert_eq!(draft["slug"].as_str(), Some(partner));
    let key: mosaico_protocol::PublicKey = partner.parse().expect("hex key");
    assert!(
        ed25519_dalek::VerifyingKey::from_bytes(key.as_bytes()).is_ok(),
        "a point on the curve"
    );
}
