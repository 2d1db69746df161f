//! One test per validation rule and per trust rule, asserting the text a person will read, plus
//! drafts, retractions and bad input. Regions are named fake peers; times are fixed.

use mosaico_protocol::canonical::{self, JsonError, MAX_DEPTH};
use mosaico_protocol::draft::{Draft, DraftError};
use mosaico_protocol::keys::{RecordId, SecretKey};
use mosaico_protocol::record::{Record, RecordError, Unverified, Verified};
use mosaico_protocol::trust::{Authority, Federation, TrustError};
use mosaico_protocol::validate::Limits;
use mosaico_protocol::vocab::Kind;
use serde_json::{Value, json};

const T0: u64 = 1_795_425_600_000;
const MINUTE: u64 = 60_000;
const DAY: u64 = 86_400_000;

fn emilia() -> SecretKey {
    SecretKey::from_bytes([1; 32])
}
fn catalonia() -> SecretKey {
    SecretKey::from_bytes([2; 32])
}
fn bavaria() -> SecretKey {
    SecretKey::from_bytes([3; 32])
}
fn flanders() -> SecretKey {
    SecretKey::from_bytes([4; 32])
}
fn partner() -> SecretKey {
    SecretKey::from_bytes([9; 32])
}
fn stranger() -> SecretKey {
    SecretKey::from_bytes([7; 32])
}

fn hex(key: &SecretKey) -> String {
    key.public_key().to_hex()
}

/// The wire envelope of `record` signed by `signers`, bypassing every check a signer would make,
/// so the tests can hand the decoder anything.
fn wire(record: &Value, signers: &[&SecretKey]) -> Vec<u8> {
    let id = RecordId::of_canonical(&canonical::canonical_bytes(record));
    let signatures: Vec<Value> = signers
        .iter()
        .map(|s| json!({"key": s.public_key(), "signature": s.sign_id(&id)}))
        .collect();
    canonical::canonical_bytes(&json!({"record": record, "signatures": signatures}))
}

fn decode_verify(
    record: &Value,
    signers: &[&SecretKey],
    now: u64,
) -> Result<Record<Verified>, RecordError> {
    Record::<Unverified>::decode(&wire(record, signers))?.verify(now)
}

/// The field errors of `record`, as people read them.
fn errors(record: &Value) -> Vec<String> {
    match Record::decode(&wire(record, &[&emilia()])) {
        Err(RecordError::Invalid(errors)) => errors.iter().map(ToString::to_string).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

#[track_caller]
fn assert_error(record: &Value, expected: &str) {
    let errors = errors(record);
    assert!(
        errors.iter().any(|e| e == expected),
        "wanted {expected:?} among {errors:#?}"
    );
}

#[track_caller]
fn assert_valid(record: &Value) {
    let author = &emilia();
    if let Err(error) = decode_verify(record, &[author], T0 + MINUTE) {
        panic!("expected a valid record, got {error}");
    }
}

fn best_practice() -> Value {
    json!({
        "format": 1,
        "kind": "best_practice",
        "author": hex(&emilia()),
        "slug": "punti-digitale-facile",
        "version": 1,
        "created_at": T0,
        "title": {"it": "Punti Digitale Facile", "en": "Easy Digital points"},
        "summary": {"it": "Sportelli di facilitazione digitale nelle biblioteche comunali.", "en": "Digital help desks in municipal libraries."},
        "organisation": "Regione Emilia-Romagna",
        "country": "IT",
        "nuts": "ITH5",
        "themes": ["digital-facilitation", "citizens"],
        "status": "scaled"
    })
}

fn solution() -> Value {
    let mut record = best_practice();
    record["kind"] = json!("solution");
    record["slug"] = json!("firma-remota");
    record["solution"] = json!({
        "url": "https://git.example.org/er/firma",
        "landing_url": "https://firma.example.org",
        "development_status": "stable",
        "software_type": "standalone/web",
        "platforms": ["web"],
        "maintenance": "contract"
    });
    record
}

fn case_study() -> Value {
    let mut record = best_practice();
    record["kind"] = json!("case_study");
    record["slug"] = json!("chatbot-urp");
    record["case_study"] = json!({
        "cofog": ["01.3"],
        "interaction": ["G2C"],
        "benefits": ["efficiency"],
        "start_year": 2022,
        "end_year": 2024
    });
    record
}

// ---------------------------------------------------------------------------------------------
// Validation rules
// ---------------------------------------------------------------------------------------------

#[test]
fn the_example_records_are_valid() {
    assert_valid(&best_practice());
    assert_valid(&solution());
    assert_valid(&case_study());
}

#[test]
fn summary_longer_than_500_characters() {
    let mut record = best_practice();
    record["summary"]["it"] = json!("è".repeat(812));
    assert_eq!(errors(&record), ["summary.it: 812 characters, at most 500"]);
    record["summary"]["it"] = json!("è".repeat(500));
    assert_valid(&record);
}

#[test]
fn title_longer_than_200_characters() {
    let mut record = best_practice();
    record["title"]["en"] = json!("a".repeat(201));
    assert_eq!(errors(&record), ["title.en: 201 characters, at most 200"]);
}

#[test]
fn description_longer_than_20000_characters() {
    let mut record = best_practice();
    record["description"] = json!({"fi": "ä".repeat(20_001)});
    assert_eq!(
        errors(&record),
        ["description.fi: 20001 characters, at most 20000"]
    );
}

#[test]
fn more_than_32_languages() {
    let mut record = best_practice();
    let languages: serde_json::Map<String, Value> = (0..33)
        .map(|i| {
            (
                format!("x{}{}", (b'a' + i / 26) as char, (b'a' + i % 26) as char),
                json!("t"),
            )
        })
        .collect();
    record["title"] = Value::Object(languages);
    assert_eq!(errors(&record), ["title: 33 languages, at most 32"]);
}

#[test]
fn language_tags_must_be_bcp47_in_canonical_case() {
    let mut record = best_practice();
    record["title"] = json!({"it_IT": "Titolo"});
    assert_error(
        &record,
        "title.it_IT: \"it_IT\" is not a BCP 47 language tag in canonical case (e.g. it, en, ca, pt-BR, sr-Latn)",
    );
    record["title"] = json!({"EN": "Title", "pt-br": "Título"});
    assert_eq!(errors(&record).len(), 2);
    record["title"] = json!({"pt-BR": "Título", "sr-Latn": "Naslov", "ca": "Títol"});
    assert_valid(&record);
}

#[test]
fn text_may_not_be_empty_or_blank() {
    let mut record = best_practice();
    record["title"]["it"] = json!("   ");
    assert_eq!(errors(&record), ["title.it: is empty"]);
}

#[test]
fn control_characters_only_newline_and_tab_in_long_text() {
    let mut record = best_practice();
    record["title"]["it"] = json!("Riga uno\nriga due");
    assert_eq!(
        errors(&record),
        ["title.it: contains the control character U+000A"]
    );
    let mut record = best_practice();
    record["description"] = json!({"it": "Paragrafo uno.\n\n\tParagrafo due."});
    assert_valid(&record);
    record["description"] = json!({"it": "campanello \u{7}"});
    assert_eq!(
        errors(&record),
        ["description.it: contains the control character U+0007"]
    );
}

#[test]
fn short_text_longer_than_200_characters() {
    let mut record = best_practice();
    record["organisation"] = json!("o".repeat(201));
    assert_eq!(
        errors(&record),
        ["organisation: 201 characters, at most 200"]
    );
}

#[test]
fn lists_hold_at_most_32_items_without_repeats() {
    let mut record = best_practice();
    record["tags"] = json!((0..33).map(|i| format!("tag-{i}")).collect::<Vec<_>>());
    assert_eq!(errors(&record), ["tags: 33 items, at most 32"]);
    record["tags"] = json!(["dati", "dati"]);
    assert_eq!(errors(&record), ["tags: \"dati\" appears twice"]);
    record["tags"] = json!([]);
    record["themes"] = json!(["data", "data"]);
    assert_eq!(errors(&record), ["themes: \"data\" appears twice"]);
}

#[test]
fn vocabulary_terms_and_extension_terms() {
    let mut record = best_practice();
    record["themes"] = json!(["x-mobility", "iot"]);
    assert_valid(&record);
    record["themes"] = json!(["iot", "mobility"]);
    let errors = errors(&record);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("themes[1]: \"mobility\" is not a known Theme"),
        "{errors:?}"
    );
    assert!(
        errors[0].ends_with("extension terms are written x-name"),
        "{errors:?}"
    );
    let mut record = best_practice();
    record["status"] = json!("x-paused");
    assert_eq!(
        self::errors(&record),
        [
            "status: \"x-paused\" is not a known Status (planned, pilot, implemented, scaled, discontinued)"
        ]
    );
}

#[test]
fn urls_are_http_or_https_with_a_host() {
    let mut record = best_practice();
    record["links"] = json!([{"url": "ftp://files.example.org/a.pdf"}, {"url": "https://"}, {"url": "https://ok.example.org/x"}]);
    assert_eq!(
        errors(&record),
        [
            "links[0].url: \"ftp://files.example.org/a.pdf\" is not an http(s) URL",
            "links[1].url: \"https://\" is not an http(s) URL with a host",
        ]
    );
    let long = format!("https://example.org/{}", "a".repeat(2048));
    record["links"] = json!([{"url": long}]);
    assert_eq!(
        errors(&record),
        [format!(
            "links[0].url: {} characters, at most 2048",
            long.len()
        )]
    );
}

#[test]
fn contacts_need_a_name_and_a_plausible_email() {
    let mut record = best_practice();
    record["contacts"] = json!([{"name": "URP", "email": "urp-at-regione"}]);
    assert_eq!(
        errors(&record),
        ["contacts[0].email: \"urp-at-regione\" is not an e-mail address"]
    );
    record["contacts"] = json!([{"email": "urp@regione.example"}]);
    assert_eq!(errors(&record), ["contacts[0]: missing field `name`"]);
}

#[test]
fn country_is_an_assigned_iso_3166_code() {
    let mut record = best_practice();
    record["country"] = json!("XX");
    record.as_object_mut().expect("object").remove("nuts");
    assert_eq!(
        errors(&record),
        ["country: \"XX\" is not an ISO 3166-1 alpha-2 country code (e.g. IT, ES, BE)"]
    );
    record["country"] = json!("it");
    assert_eq!(errors(&record).len(), 1);
}

#[test]
fn nuts_code_format_and_country() {
    let mut record = best_practice();
    record["nuts"] = json!("ith5");
    assert_eq!(
        errors(&record),
        [
            "nuts: \"ith5\" is not a NUTS code (two letters, then up to three letters or digits, e.g. ITH5)"
        ]
    );
    record["nuts"] = json!("ES51");
    assert_eq!(
        errors(&record),
        ["nuts: \"ES51\" is not in country IT (NUTS codes there start with IT)"]
    );
    record["country"] = json!("GR");
    record["nuts"] = json!("EL30");
    assert_valid(&record);
}

#[test]
fn licence_is_an_spdx_expression() {
    let mut record = best_practice();
    record["licence"] = json!("EUPL-1.2 OR (MIT AND Apache-2.0)");
    assert_valid(&record);
    record["licence"] = json!("free for everyone!");
    assert_eq!(
        errors(&record),
        [
            "licence: \"free for everyone!\" is not an SPDX licence expression (e.g. EUPL-1.2, CC-BY-4.0)"
        ]
    );
}

#[test]
fn content_kinds_require_title_summary_organisation_country() {
    let mut record = best_practice();
    for field in ["title", "summary", "organisation", "country", "nuts"] {
        record.as_object_mut().expect("object").remove(field);
    }
    assert_eq!(
        errors(&record),
        [
            "title: is required, in at least one language",
            "summary: is required, in at least one language",
            "organisation: is required",
            "country: is required",
        ]
    );
}

#[test]
fn header_fields_are_required() {
    let record = json!({"title": {"it": "Senza intestazione"}});
    assert_eq!(
        errors(&record),
        [
            "format: is required",
            "kind: is required",
            "author: is required",
            "slug: is required",
            "version: is required",
            "created_at: is required",
        ]
    );
}

#[test]
fn slug_format_and_length() {
    let mut record = best_practice();
    record["slug"] = json!("");
    assert_eq!(errors(&record), ["slug: 0 characters, 1 to 128"]);
    record["slug"] = json!("a".repeat(129));
    assert_eq!(errors(&record), ["slug: 129 characters, 1 to 128"]);
    record["slug"] = json!("Punti Digitale");
    assert_eq!(
        errors(&record),
        ["slug: lowercase letters, digits, '-', '_' and '.', starting with a letter or digit"]
    );
    record["slug"] = json!("-lead");
    assert_eq!(errors(&record).len(), 1);
    record["slug"] = json!("punti_digitale.v2-bis");
    assert_valid(&record);
}

#[test]
fn format_and_version_start_at_one() {
    let mut record = best_practice();
    record["format"] = json!(0);
    record["version"] = json!(0);
    assert_eq!(
        errors(&record),
        [
            "format: must be 1 or more (this node writes 1)",
            "version: must be 1 or more"
        ]
    );
}

#[test]
fn kind_is_a_closed_vocabulary() {
    let mut record = best_practice();
    record["kind"] = json!("x-event");
    let errors = errors(&record);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("kind: \"x-event\" is not a known Kind"),
        "{errors:?}"
    );
}

#[test]
fn kind_blocks_only_on_their_kind() {
    let mut record = best_practice();
    record["case_study"] = json!({"start_year": 2020});
    record["solution"] = json!({});
    assert_eq!(
        errors(&record),
        [
            "case_study: only a case_study record has \"case_study\"",
            "solution: only a solution record has \"solution\"",
        ]
    );
}

#[test]
fn case_study_taxonomy_rules() {
    let mut record = case_study();
    record["case_study"] = json!({
        "cofog": ["01.3", "7.123", "A1"],
        "interaction": ["G2C", "G2C"],
        "benefits": ["efficiency", "efficiency"],
        "start_year": 2024,
        "end_year": 2020,
        "source": {"name": "PSTW", "url": "mailto:x@example.org"}
    });
    assert_eq!(
        errors(&record),
        [
            "case_study.cofog: \"7.123\" is not a COFOG code such as 07 or 07.3",
            "case_study.cofog: \"A1\" is not a COFOG code such as 07 or 07.3",
            "case_study.interaction: \"G2C\" appears twice",
            "case_study.benefits: \"efficiency\" appears twice",
            "case_study.end_year: 2020 is before the start year 2024",
            "case_study.source.url: \"mailto:x@example.org\" is not an http(s) URL",
        ]
    );
    record["case_study"] = json!({"start_year": 1900, "interaction": ["C2C"]});
    let errors = errors(&record);
    assert!(errors.iter().any(|e| e.starts_with("case_study.interaction[0]: \"C2C\" is not a known Interaction")), "{errors:?}");
    record["case_study"] = json!({"start_year": 1900});
    assert_eq!(
        self::errors(&record),
        ["case_study.start_year: 1900 is not a year between 1950 and 2200"]
    );
}

#[test]
fn solution_publiccode_rules() {
    let mut record = solution();
    record["solution"]["url"] = json!("git@example.org:er/firma.git");
    record["solution"]["landing_url"] = json!("firma.example.org");
    record["solution"]["platforms"] = json!(["web", "web"]);
    assert_eq!(
        errors(&record),
        [
            "solution.url: \"git@example.org:er/firma.git\" is not an http(s) URL",
            "solution.landing_url: \"firma.example.org\" is not an http(s) URL",
            "solution.platforms: \"web\" appears twice",
        ]
    );
    record["solution"] = json!({"software_type": "standalone"});
    assert!(
        errors(&record)[0]
            .starts_with("solution.software_type: \"standalone\" is not a known SoftwareType")
    );
}

#[test]
fn all_errors_of_a_record_are_reported_at_once() {
    let mut record = best_practice();
    record["slug"] = json!("Not A Slug");
    record["summary"]["it"] = json!("x".repeat(812));
    record["country"] = json!("XX");
    record["themes"] = json!(["mobility"]);
    record["links"] = json!([{"url": "ftp://x.example.org"}]);
    record["licence"] = json!("whatever you like");
    record["status"] = json!(3);
    let errors = errors(&record);
    assert_eq!(errors.len(), 8, "{errors:#?}");
    for field in [
        "slug:",
        "summary.it:",
        "country:",
        "nuts:",
        "themes[0]:",
        "links[0].url:",
        "licence:",
        "status:",
    ] {
        assert!(
            errors.iter().any(|e| e.starts_with(field)),
            "no {field} in {errors:#?}"
        );
    }
    // The error's own text lists them all, separated by "; ".
    let error = Record::decode(&wire(&record, &[&emilia()])).expect_err("invalid");
    assert_eq!(error.code(), "invalid_field");
    assert_eq!(error.field_errors().len(), 8);
    assert_eq!(error.to_string(), errors.join("; "));
}

#[test]
fn a_broken_header_reports_every_unreadable_field() {
    // The rules depend on the header (kind, format), so when it cannot be read only the
    // type errors are reported, but all of them.
    let mut record = best_practice();
    record["version"] = json!("2");
    record["author"] = json!("emilia");
    record["themes"] = json!(["mobility"]);
    record["summary"]["it"] = json!("x".repeat(812));
    let errors = errors(&record);
    assert_eq!(errors.len(), 3, "{errors:#?}");
    for field in ["author:", "version:", "themes[0]:"] {
        assert!(
            errors.iter().any(|e| e.starts_with(field)),
            "no {field} in {errors:#?}"
        );
    }
}

#[test]
fn wrong_types_name_the_field() {
    let mut record = best_practice();
    record["version"] = json!("1");
    assert_eq!(
        errors(&record),
        ["version: invalid type: string \"1\", expected u64"]
    );
    let mut record = case_study();
    record["case_study"]["start_year"] = json!("2022");
    let errors = errors(&record);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("case_study.start_year: invalid type: string \"2022\""),
        "{errors:?}"
    );
    let mut record = best_practice();
    record["title"] = json!(["Punti Digitale Facile"]);
    assert!(self::errors(&record)[0].starts_with("title: invalid type: sequence"));
}

#[test]
fn canonical_size_is_at_most_64_kib() {
    let mut record = best_practice();
    record["description"] = json!({
        "it": "a".repeat(18_000), "en": "b".repeat(18_000), "de": "c".repeat(18_000), "fr": "d".repeat(18_000)
    });
    let error = Record::decode(&wire(&record, &[&emilia()])).expect_err("too large");
    assert_eq!(error.code(), "too_large");
    assert!(
        error
            .to_string()
            .ends_with("bytes in canonical form, at most 65536"),
        "{error}"
    );
    let error = Record::sign(record, &emilia()).expect_err("a node does not sign it either");
    assert_eq!(error.code(), "too_large");
}

#[test]
fn wire_size_is_at_most_96_kib() {
    let padding = " ".repeat(Limits::MAX_WIRE_BYTES);
    let mut bytes = wire(&best_practice(), &[&emilia()]);
    bytes.extend_from_slice(padding.as_bytes());
    let error = Record::decode(&bytes).expect_err("too large");
    assert_eq!(
        error.to_string(),
        format!(
            "the record is {} bytes on the wire, at most 98304",
            bytes.len()
        )
    );
}

#[test]
fn created_at_at_most_ten_minutes_ahead() {
    let record = best_practice();
    assert!(decode_verify(&record, &[&emilia()], T0 - 10 * MINUTE).is_ok());
    let error = decode_verify(&record, &[&emilia()], T0 - 10 * MINUTE - 1).expect_err("future");
    assert_eq!(
        error.to_string(),
        "created_at is 600001 ms in the future, at most 600000 ms is tolerated (check the clock)"
    );
    // Old records are fine: history syncs forever.
    assert!(decode_verify(&record, &[&emilia()], T0 + 3650 * DAY).is_ok());
}

#[test]
fn content_records_carry_exactly_the_authors_signature() {
    let record = best_practice();
    let error = decode_verify(&record, &[], T0).expect_err("unsigned");
    assert_eq!(error.code(), "wrong_signers");
    assert!(
        error
            .to_string()
            .starts_with("signatures: no signature by the author")
    );
    let error = decode_verify(&record, &[&emilia(), &catalonia()], T0).expect_err("two signatures");
    assert_eq!(
        error.to_string(),
        "signatures: a best_practice record carries exactly one signature, the author's; found 2"
    );
    let error = decode_verify(&record, &[&catalonia()], T0).expect_err("not the author");
    assert_eq!(error.code(), "wrong_signers");
}

#[test]
fn a_signature_over_other_bytes_is_refused() {
    let record = best_practice();
    let mut envelope: Value = serde_json::from_slice(&wire(&record, &[&emilia()])).expect("json");
    envelope["record"]["version"] = json!(2);
    let error = Record::decode(&canonical::canonical_bytes(&envelope))
        .expect("well-formed")
        .verify(T0)
        .expect_err("tampered");
    assert_eq!(
        error,
        RecordError::BadSignature {
            key: emilia().public_key()
        }
    );
    assert!(error.to_string().contains("does not match the record"));
}

#[test]
fn at_most_300_signatures() {
    let record = best_practice();
    let signature = json!({"key": emilia().public_key(), "signature": "00".repeat(64)});
    let signatures = vec![signature; Limits::MAX_SIGNATURES + 1];
    let bytes = canonical::canonical_bytes(&json!({"record": record, "signatures": signatures}));
    let error = Record::decode(&bytes).expect_err("too many");
    assert_eq!(error.to_string(), "envelope: 301 signatures, at most 300");
}

#[test]
fn retractions_need_no_body() {
    let retraction = json!({
        "format": 1, "kind": "case_study", "author": hex(&emilia()), "slug": "chatbot-urp",
        "version": 3, "created_at": T0, "retracted": true
    });
    let record = decode_verify(&retraction, &[&emilia()], T0).expect("a bare retraction is valid");
    assert!(record.header().retracted);
    // A retraction still obeys the header rules.
    let mut bad = retraction.clone();
    bad["slug"] = json!("Chatbot URP");
    assert_eq!(errors(&bad).len(), 1);
}

#[test]
fn membership_cannot_be_retracted_and_its_slug_is_federation() {
    let mut record = genesis_value(&[("Emilia-Romagna", &emilia())], 1);
    record["retracted"] = json!(true);
    record["slug"] = json!("members");
    assert_eq!(
        errors(&record),
        [
            "slug: a membership record's slug is \"federation\"",
            "retracted: a federation's membership cannot be retracted",
        ]
    );
}

#[test]
fn membership_document_rules() {
    let mut record = genesis_value(
        &[("Emilia-Romagna", &emilia()), ("Emilia bis", &emilia())],
        3,
    );
    record["membership"]["previous"] = json!(RecordId([0; 32]).to_hex());
    assert_eq!(
        errors(&record),
        [
            "membership.threshold: 3 is not between 1 and the number of members (2)",
            "membership.members[1].key: appears twice",
            "membership.previous: the genesis version (1) has no previous version",
        ]
    );
    let mut record = genesis_value(&[], 0);
    record["version"] = json!(2);
    assert_eq!(
        errors(&record),
        [
            "membership.members: 0 members, 1 to 300",
            "membership.threshold: 0 is not between 1 and the number of members (0)",
            "membership.previous: is required from version 2 on",
        ]
    );
    let mut record = genesis_value(&[("Emilia-Romagna", &emilia())], 1);
    record["version"] = json!(2);
    record["membership"]["previous"] = json!("ABC");
    assert_eq!(
        errors(&record),
        ["membership.previous: must be a record id (64 lowercase hex digits)"]
    );
    record.as_object_mut().expect("object").remove("membership");
    assert_eq!(
        errors(&record),
        ["membership: is required in a membership record"]
    );
}

#[test]
fn endorsement_rules() {
    let mut record = endorsement_value(&emilia(), &partner(), &["solution"], T0, T0 + DAY, 1);
    assert_valid(&record);
    record["slug"] = json!("fbk");
    record["endorsement"]["kinds"] = json!(["membership"]);
    record["endorsement"]["expires_at"] = json!(T0);
    assert_eq!(
        errors(&record),
        [
            "slug: an endorsement's slug is the partner's key in hex",
            "endorsement.kinds: a partner may not publish membership records",
            "endorsement.expires_at: must be after created_at",
        ]
    );
    let mut record = endorsement_value(&emilia(), &emilia(), &[], T0, T0 + DAY, 1);
    record["endorsement"]["kinds"] = json!([]);
    assert_eq!(
        errors(&record),
        [
            "endorsement.partner: a key cannot endorse itself",
            "endorsement.kinds: name at least one kind the partner may publish",
        ]
    );
}

#[test]
fn newer_formats_are_not_validated_beyond_the_header() {
    let record = json!({
        "format": 7, "kind": "solution", "author": hex(&emilia()), "slug": "dal-futuro",
        "version": 1, "created_at": T0, "title": "no longer a map", "gadget": {"x": [1, 2]}
    });
    let verified = decode_verify(&record, &[&emilia()], T0).expect("verifies");
    assert!(!verified.is_understood());
    assert_eq!(verified.unsigned(), &record, "kept unaltered");
    let again = Record::decode(&verified.to_wire()).expect("forwarded bytes decode");
    assert_eq!(again.id(), verified.id());
}

#[test]
fn unknown_fields_in_the_current_format_are_kept() {
    let mut record = best_practice();
    record["x_internal_code"] = json!({"ref": "ER-2024-17"});
    record["links"] = json!([{"url": "https://example.org", "lang": "it"}]);
    let verified = decode_verify(&record, &[&emilia()], T0).expect("verifies");
    assert_eq!(verified.unsigned(), &record);
}

// ---------------------------------------------------------------------------------------------
// Drafts
// ---------------------------------------------------------------------------------------------

fn draft_value() -> Value {
    let mut record = best_practice();
    for field in ["format", "author", "created_at", "version"] {
        record.as_object_mut().expect("object").remove(field);
    }
    record
}

#[test]
fn a_draft_becomes_a_signed_valid_record() {
    let draft = Draft::from_value(draft_value()).expect("draft");
    assert_eq!(draft.kind(), &Kind::BestPractice);
    assert_eq!(draft.slug(), "punti-digitale-facile");
    let unsigned = draft
        .into_unsigned(emilia().public_key(), 4, T0)
        .expect("unsigned");
    let record = Record::sign(unsigned, &emilia()).expect("signed");
    assert_eq!(record.header().version, 4);
    assert_eq!(record.header().author, emilia().public_key());
    let decoded = Record::decode(&record.to_wire())
        .expect("decodes")
        .verify(T0)
        .expect("verifies");
    assert_eq!(decoded.id(), record.id());
}

#[test]
fn draft_version_conflict() {
    let mut value = draft_value();
    value["version"] = json!(2);
    let draft = Draft::from_value(value).expect("draft");
    let error = draft
        .clone()
        .into_unsigned(emilia().public_key(), 3, T0)
        .expect_err("conflict");
    assert_eq!(error, DraftError::VersionConflict { given: 2, next: 3 });
    assert!(
        error
            .to_string()
            .starts_with("version: this would be version 3, but the draft says 2")
    );
    assert!(draft.into_unsigned(emilia().public_key(), 2, T0).is_ok());
}

#[test]
fn draft_fields_set_by_the_node_are_refused() {
    let mut value = draft_value();
    value["author"] = json!(hex(&emilia()));
    value["created_at"] = json!(T0);
    value["format"] = json!(1);
    let error = Draft::from_value(value).expect_err("refused");
    assert_eq!(
        error.to_string(),
        "author: is set by the node when it signs; leave it out; \
         created_at: is set by the node when it signs; leave it out; \
         format: is set by the node when it signs; leave it out"
    );
}

#[test]
fn draft_needs_kind_and_slug() {
    let error = Draft::from_value(json!({"title": {"it": "x"}})).expect_err("refused");
    assert_eq!(error.to_string(), "kind: is required; slug: is required");
    let error = Draft::from_value(json!({"kind": "event", "slug": 3})).expect_err("refused");
    assert!(
        error
            .to_string()
            .starts_with("kind: \"event\" is not a known Kind")
    );
    assert!(error.to_string().ends_with("slug: must be a string"));
    let error = Draft::from_value(json!(["not", "a", "map"])).expect_err("refused");
    assert!(
        error
            .to_string()
            .contains("a record is a mapping of fields")
    );
}

#[test]
fn draft_retraction_signs_and_verifies() {
    let unsigned = Draft::retraction(Kind::CaseStudy, "chatbot-urp")
        .into_unsigned(emilia().public_key(), 5, T0)
        .expect("unsigned");
    let record = Record::sign(unsigned, &emilia()).expect("signed");
    assert!(record.header().retracted);
    assert_eq!(
        record.logical_key().to_string(),
        format!("{}/case_study/chatbot-urp", hex(&emilia()))
    );
}

// ---------------------------------------------------------------------------------------------
// Trust rules
// ---------------------------------------------------------------------------------------------

fn genesis_value(members: &[(&str, &SecretKey)], threshold: u32) -> Value {
    let members: Vec<Value> = members
        .iter()
        .map(|(name, key)| json!({"name": name, "key": key.public_key()}))
        .collect();
    json!({
        "format": 1, "kind": "membership", "author": hex(&emilia()), "slug": "federation",
        "version": 1, "created_at": T0 - 30 * DAY,
        "membership": {"name": "dt4regions", "threshold": threshold, "members": members}
    })
}

fn endorsement_value(
    by: &SecretKey,
    partner: &SecretKey,
    kinds: &[&str],
    created_at: u64,
    expires_at: u64,
    version: u64,
) -> Value {
    json!({
        "format": 1, "kind": "endorsement", "author": hex(by), "slug": hex(partner),
        "version": version, "created_at": created_at,
        "endorsement": {"partner": partner.public_key(), "name": "Fondazione Bruno Kessler", "kinds": kinds, "expires_at": expires_at}
    })
}

fn signed(value: Value, signers: &[&SecretKey]) -> Record<Verified> {
    let record = Record::sign_with(value, signers).expect("valid record");
    // Go through the wire, exactly as a record from the network would.
    Record::decode(&record.to_wire())
        .expect("decodes")
        .verify(T0 + 40 * DAY)
        .expect("verifies")
}

/// Emilia-Romagna, Catalonia and Bavaria, threshold 2.
fn federation() -> (Federation, Record<Verified>) {
    let genesis = signed(
        genesis_value(
            &[
                ("Emilia-Romagna", &emilia()),
                ("Catalunya", &catalonia()),
                ("Bayern", &bavaria()),
            ],
            2,
        ),
        &[],
    );
    (
        Federation::from_genesis(&genesis).expect("genesis"),
        genesis,
    )
}

fn update(
    federation: &Federation,
    version: u64,
    members: &[(&str, &SecretKey)],
    signers: &[&SecretKey],
) -> Record<Verified> {
    let mut value = genesis_value(members, 2);
    value["version"] = json!(version);
    value["created_at"] = json!(T0 - DAY + version);
    value["author"] = json!(hex(signers[0]));
    value["membership"]["previous"] = json!(federation.current_membership().to_hex());
    signed(value, signers)
}

fn content_by(author: &SecretKey, kind: &str, created_at: u64) -> Record<Verified> {
    let mut value = if kind == "case_study" {
        case_study()
    } else {
        best_practice()
    };
    value["author"] = json!(hex(author));
    value["created_at"] = json!(created_at);
    signed(value, &[author])
}

#[test]
fn genesis_needs_no_signature_and_its_id_is_the_federation_id() {
    let (federation, genesis) = federation();
    assert!(genesis.signatures().is_empty());
    assert_eq!(federation.id(), genesis.id());
    assert_eq!(federation.version(), 1);
    assert_eq!(federation.threshold(), 2);
    assert_eq!(federation.admit(&genesis), Ok(Authority::Genesis));
}

#[test]
fn genesis_must_be_membership_version_one() {
    let not_genesis = content_by(&emilia(), "best_practice", T0);
    assert_eq!(
        Federation::from_genesis(&not_genesis),
        Err(TrustError::NotGenesis)
    );
    let (federation, _) = federation();
    let v2 = update(
        &federation,
        2,
        &[("Emilia-Romagna", &emilia()), ("Catalunya", &catalonia())],
        &[&emilia(), &catalonia()],
    );
    assert_eq!(Federation::from_genesis(&v2), Err(TrustError::NotGenesis));
    assert_eq!(
        TrustError::NotGenesis.to_string(),
        "the genesis document must be a membership record at version 1"
    );
}

#[test]
fn members_may_publish_strangers_may_not() {
    let (federation, _) = federation();
    let record = content_by(&emilia(), "best_practice", T0);
    assert_eq!(
        federation.admit(&record),
        Ok(Authority::Member {
            name: "Emilia-Romagna".into()
        })
    );
    let record = content_by(&stranger(), "best_practice", T0);
    let error = federation.admit(&record).expect_err("stranger");
    assert_eq!(
        error,
        TrustError::Unknown {
            key: stranger().public_key()
        }
    );
    assert_eq!(
        error.to_string(),
        format!(
            "{} is not a member of the federation and has no endorsement from one",
            hex(&stranger())
        )
    );
    assert!(error.is_offence());
}

fn endorsed() -> (Federation, Record<Verified>) {
    let (mut federation, _) = federation();
    let endorsement = signed(
        endorsement_value(
            &emilia(),
            &partner(),
            &["case_study"],
            T0 - DAY,
            T0 + DAY,
            1,
        ),
        &[&emilia()],
    );
    assert!(matches!(
        federation.admit(&endorsement),
        Ok(Authority::Member { .. })
    ));
    assert_eq!(federation.apply(&endorsement), Ok(true));
    (federation, endorsement)
}

#[test]
fn partner_may_publish_in_scope_and_time() {
    let (federation, endorsement) = endorsed();
    let record = content_by(&partner(), "case_study", T0);
    assert_eq!(
        federation.admit(&record),
        Ok(Authority::Partner {
            name: "Fondazione Bruno Kessler".into(),
            endorsed_by: emilia().public_key(),
            endorsement: endorsement.id(),
        })
    );
    // Both ends of the validity window are included.
    assert!(
        federation
            .may_publish(&partner().public_key(), &Kind::CaseStudy, T0 - DAY)
            .is_ok()
    );
    assert!(
        federation
            .may_publish(&partner().public_key(), &Kind::CaseStudy, T0 + DAY)
            .is_ok()
    );
}

#[test]
fn partner_may_not_publish_outside_scope() {
    let (federation, _) = endorsed();
    let record = content_by(&partner(), "best_practice", T0);
    let error = federation.admit(&record).expect_err("out of scope");
    assert_eq!(
        error,
        TrustError::NotEndorsedFor {
            key: partner().public_key(),
            kind: Kind::BestPractice
        }
    );
    assert_eq!(
        error.to_string(),
        format!(
            "{} is an endorsed partner, but no current endorsement lets it publish best_practice records at that time",
            hex(&partner())
        )
    );
}

#[test]
fn partner_may_not_publish_before_or_after_the_endorsement() {
    let (federation, _) = endorsed();
    for at in [T0 - DAY - 1, T0 + DAY + 1] {
        let record = content_by(&partner(), "case_study", at);
        assert!(
            matches!(
                federation.admit(&record),
                Err(TrustError::NotEndorsedFor { .. })
            ),
            "at {at}"
        );
    }
}

#[test]
fn partner_may_not_publish_trust_records() {
    let (federation, _) = endorsed();
    let endorsement = signed(
        endorsement_value(&partner(), &stranger(), &["case_study"], T0, T0 + DAY, 1),
        &[&partner()],
    );
    let error = federation.admit(&endorsement).expect_err("members only");
    assert_eq!(
        error,
        TrustError::MembersOnly {
            key: partner().public_key(),
            kind: Kind::Endorsement
        }
    );
    assert_eq!(
        error.to_string(),
        format!(
            "only members may publish endorsement records; {} is not a member",
            hex(&partner())
        )
    );
    assert!(matches!(
        federation.may_publish(&partner().public_key(), &Kind::Membership, T0),
        Err(TrustError::MembersOnly { .. })
    ));
}

#[test]
fn partner_may_not_publish_after_the_endorsement_is_retracted() {
    let (mut federation, _) = endorsed();
    let retraction = json!({
        "format": 1, "kind": "endorsement", "author": hex(&emilia()), "slug": hex(&partner()),
        "version": 2, "created_at": T0, "retracted": true
    });
    assert_eq!(
        federation.apply(&signed(retraction, &[&emilia()])),
        Ok(true)
    );
    let record = content_by(&partner(), "case_study", T0 - DAY / 2);
    assert!(matches!(
        federation.admit(&record),
        Err(TrustError::NotEndorsedFor { .. })
    ));
    // The old endorsement arriving again does not revive it: an older version never wins.
    let old = signed(
        endorsement_value(
            &emilia(),
            &partner(),
            &["case_study"],
            T0 - DAY,
            T0 + DAY,
            1,
        ),
        &[&emilia()],
    );
    assert_eq!(federation.apply(&old), Ok(false));
    assert!(matches!(
        federation.admit(&record),
        Err(TrustError::NotEndorsedFor { .. })
    ));
}

#[test]
fn partner_may_not_publish_when_its_endorser_left_the_federation() {
    let (mut federation, _) = endorsed();
    let without_emilia = update(
        &federation,
        2,
        &[("Catalunya", &catalonia()), ("Bayern", &bavaria())],
        &[&catalonia(), &bavaria()],
    );
    assert_eq!(federation.apply(&without_emilia), Ok(true));
    let record = content_by(&partner(), "case_study", T0);
    assert!(matches!(
        federation.admit(&record),
        Err(TrustError::NotEndorsedFor { .. })
    ));
    let record = content_by(&emilia(), "case_study", T0);
    assert!(matches!(
        federation.admit(&record),
        Err(TrustError::Unknown { .. })
    ));
}

#[test]
fn membership_update_with_threshold_is_accepted_and_applied() {
    let (mut federation, _) = federation();
    let members = [
        ("Emilia-Romagna", &emilia()),
        ("Catalunya", &catalonia()),
        ("Bayern", &bavaria()),
        ("Vlaanderen", &flanders()),
    ];
    let v2 = update(&federation, 2, &members, &[&emilia(), &bavaria()]);
    assert_eq!(
        federation.admit(&v2),
        Ok(Authority::Member {
            name: "Emilia-Romagna".into()
        })
    );
    assert_eq!(federation.apply(&v2), Ok(true));
    assert_eq!(federation.version(), 2);
    assert_eq!(federation.current_membership(), v2.id());
    assert_ne!(
        federation.id(),
        v2.id(),
        "the federation id stays the genesis id"
    );
    assert!(federation.member(&flanders().public_key()).is_some());
    assert!(
        federation
            .admit(&content_by(&flanders(), "best_practice", T0))
            .is_ok()
    );
}

#[test]
fn membership_update_below_threshold_is_refused() {
    let (mut federation, _) = federation();
    let members = [("Emilia-Romagna", &emilia()), ("Vlaanderen", &flanders())];
    // Flanders co-signs, but it is not a current member, so only one signature counts.
    let v2 = update(&federation, 2, &members, &[&emilia(), &flanders()]);
    let error = federation.admit(&v2).expect_err("below threshold");
    assert_eq!(
        error,
        TrustError::BelowThreshold {
            version: 2,
            signed: 1,
            threshold: 2
        }
    );
    assert_eq!(
        error.to_string(),
        "membership version 2 is signed by 1 current member(s), the threshold is 2"
    );
    assert!(error.is_offence());
    assert_eq!(federation.apply(&v2), Err(error));
    assert_eq!(federation.version(), 1, "a refused update changes nothing");
}

#[test]
fn membership_update_out_of_order_is_ignored_not_punished() {
    let (federation, _) = federation();
    let members = [("Emilia-Romagna", &emilia()), ("Catalunya", &catalonia())];
    let v3 = update(&federation, 3, &members, &[&emilia(), &catalonia()]);
    let error = federation.admit(&v3).expect_err("out of order");
    assert_eq!(
        error,
        TrustError::MembershipOutOfOrder {
            version: 3,
            current: 1,
            previous_mismatch: false
        }
    );
    assert_eq!(
        error.to_string(),
        "membership version 3 does not follow the current version 1"
    );
    assert!(!error.is_offence());
}

#[test]
fn membership_update_with_wrong_previous_is_refused() {
    let (federation, _) = federation();
    let members = [("Emilia-Romagna", &emilia()), ("Catalunya", &catalonia())];
    let mut value = genesis_value(&members, 2);
    value["version"] = json!(2);
    value["membership"]["previous"] = json!(RecordId([0xab; 32]).to_hex());
    let v2 = signed(value, &[&emilia(), &catalonia()]);
    let error = federation.admit(&v2).expect_err("wrong previous");
    assert_eq!(
        error,
        TrustError::MembershipOutOfOrder {
            version: 2,
            current: 1,
            previous_mismatch: true
        }
    );
    assert_eq!(
        error.to_string(),
        "membership version 2 does not follow the current version 1 (it names another previous version)"
    );
    // It may follow a competing version this node does not hold, so the sender is not punished.
    assert!(!error.is_offence());
}

#[test]
fn membership_update_for_another_federation_is_refused() {
    let (federation, _) = federation();
    let members = [("Emilia-Romagna", &emilia()), ("Catalunya", &catalonia())];
    let mut value = genesis_value(&members, 2);
    value["version"] = json!(2);
    value["membership"]["name"] = json!("other");
    value["membership"]["previous"] = json!(federation.current_membership().to_hex());
    let error = federation
        .admit(&signed(value, &[&emilia(), &catalonia()]))
        .expect_err("other federation");
    assert_eq!(
        error.to_string(),
        "the membership record names federation \"other\", this is \"dt4regions\""
    );
}

#[test]
fn membership_update_authored_by_a_non_member_is_refused() {
    let (federation, _) = federation();
    let members = [("Emilia-Romagna", &emilia()), ("Vlaanderen", &flanders())];
    let v2 = update(
        &federation,
        2,
        &members,
        &[&flanders(), &emilia(), &catalonia()],
    );
    assert!(matches!(
        federation.admit(&v2),
        Err(TrustError::MembersOnly { .. })
    ));
}

#[test]
fn membership_records_refuse_duplicate_signers() {
    let (federation, _) = federation();
    let mut value = genesis_value(&[("Emilia-Romagna", &emilia())], 1);
    value["version"] = json!(2);
    value["membership"]["previous"] = json!(federation.current_membership().to_hex());
    let error = decode_verify(&value, &[&emilia(), &emilia()], T0).expect_err("twice");
    assert_eq!(
        error.to_string(),
        format!("signatures: {} signed twice", hex(&emilia()))
    );
}

#[test]
fn cosigning_gathers_the_threshold() {
    let (federation, _) = federation();
    let members = [("Emilia-Romagna", &emilia()), ("Catalunya", &catalonia())];
    let mut value = genesis_value(&members, 2);
    value["version"] = json!(2);
    value["membership"]["previous"] = json!(federation.current_membership().to_hex());
    let alone = Record::sign(value, &emilia()).expect("signed");
    assert!(matches!(
        federation.admit(&alone),
        Err(TrustError::BelowThreshold { signed: 1, .. })
    ));
    let both = alone.cosign(&catalonia()).cosign(&catalonia());
    assert_eq!(
        both.signatures().len(),
        2,
        "cosigning twice adds one signature"
    );
    let both = Record::decode(&both.to_wire())
        .expect("decodes")
        .verify(T0)
        .expect("verifies");
    assert!(federation.admit(&both).is_ok());
}

// ---------------------------------------------------------------------------------------------
// Bad input: typed errors, never a panic.
// ---------------------------------------------------------------------------------------------

#[test]
fn malformed_json_is_a_typed_error() {
    for input in [
        &b""[..],
        b"{",
        b"{\"record\":}",
        b"nul",
        b"{} {}",
        b"\xef\xbb\xbf{}",
        b"[1,]",
    ] {
        let error = Record::decode(input).expect_err("malformed");
        assert_eq!(error.code(), "malformed_json", "{input:?}: {error}");
    }
}

#[test]
fn invalid_utf8_is_a_typed_error() {
    let mut bytes = wire(&best_practice(), &[&emilia()]);
    let at = bytes
        .iter()
        .position(|&b| b == b'P')
        .expect("a P in the title");
    bytes[at] = 0xff;
    assert!(matches!(
        Record::decode(&bytes),
        Err(RecordError::Json(JsonError::Syntax(_)))
    ));
    // An escaped lone surrogate is not a Unicode string either.
    let error =
        Record::decode(br#"{"record":{"x":"\ud800"},"signatures":[]}"#).expect_err("surrogate");
    assert_eq!(error.code(), "malformed_json");
}

#[test]
fn envelope_shape_is_checked() {
    let cases: [(&[u8], &str); 6] = [
        (b"[]", "envelope: expected a JSON object"),
        (br#"{"signatures":[]}"#, "envelope: missing \"record\""),
        (br#"{"record":{}}"#, "envelope: missing \"signatures\""),
        (
            br#"{"record":[],"signatures":[]}"#,
            "envelope: \"record\" must be a JSON object",
        ),
        (
            br#"{"record":{},"signatures":[],"extra":1}"#,
            "envelope: unknown member \"extra\" (only \"record\" and \"signatures\")",
        ),
        (
            br#"{"record":{},"signatures":{}}"#,
            "envelope: signatures: invalid type: map, expected a sequence",
        ),
    ];
    for (input, expected) in cases {
        let error = Record::decode(input).expect_err("bad envelope");
        assert_eq!(error.code(), "malformed_envelope");
        assert_eq!(error.to_string(), expected);
    }
    let upper = format!(
        r#"{{"record":{{}},"signatures":[{{"key":"{}","signature":"{}"}}]}}"#,
        "AB".repeat(32),
        "00".repeat(64)
    );
    let error = Record::decode(upper.as_bytes()).expect_err("uppercase hex");
    assert_eq!(error.code(), "malformed_envelope");
    assert!(
        error
            .to_string()
            .contains("is not a public key (64 lowercase hex digits)"),
        "{error}"
    );
}

#[test]
fn duplicate_keys_are_refused_even_when_escaped() {
    let text = String::from_utf8(wire(&best_practice(), &[&emilia()])).expect("utf-8");
    let doubled = text.replacen("\"slug\":", "\"slug\":\"x\",\"sl\\u0075g\":", 1);
    let error = Record::decode(doubled.as_bytes()).expect_err("duplicate");
    assert_eq!(
        error,
        RecordError::Json(JsonError::DuplicateKey("slug".into()))
    );
    assert_eq!(error.to_string(), "duplicate key \"slug\" in one object");
}

#[test]
fn huge_numbers_are_refused_in_every_notation() {
    for number in [
        "9007199254740992",
        "-9007199254740992",
        "1e16",
        "9.1e15",
        "1e400",
        "-1e400",
        "123456789012345678901234567890",
    ] {
        let mut record = best_practice();
        record["x_n"] = json!(1);
        let text = String::from_utf8(wire(&record, &[&emilia()])).expect("utf-8");
        let text = text.replacen("\"x_n\":1", &format!("\"x_n\":{number}"), 1);
        let error = Record::decode(text.as_bytes()).expect_err("unsafe");
        assert_eq!(error.code(), "unsafe_number", "{number}: {error}");
    }
    for number in [
        "9007199254740991",
        "-9007199254740991",
        "9.007199254740991e15",
        "1e-300",
    ] {
        assert!(
            canonical::parse_strict(number.as_bytes()).is_ok(),
            "{number}"
        );
    }
}

#[test]
fn deep_nesting_is_refused() {
    let mut deep = json!(1);
    for _ in 0..MAX_DEPTH - 2 {
        deep = json!([deep]);
    }
    let mut record = best_practice();
    record["x_tree"] = deep.clone();
    assert!(
        Record::decode(&wire(&record, &[&emilia()])).is_ok(),
        "16 levels with the envelope"
    );
    record["x_tree"] = json!([deep]);
    let error = Record::decode(&wire(&record, &[&emilia()])).expect_err("17 levels");
    assert_eq!(error, RecordError::Json(JsonError::TooDeep));
    assert_eq!(
        error.to_string(),
        "values are nested more than 16 levels deep"
    );
    let hostile = "[".repeat(1_000_000);
    assert_eq!(
        Record::decode(hostile.as_bytes())
            .map(|_| ())
            .map_err(|e| e.code()),
        Err("too_large")
    );
    let hostile = "[".repeat(90_000);
    assert_eq!(
        Record::decode(hostile.as_bytes())
            .map(|_| ())
            .map_err(|e| e.code()),
        Err("too_deep")
    );
}

/// Regression: `Record::sign` used to accept a record one level deeper than any node can decode
/// (its depth check did not count the envelope), so a node could publish a record nobody accepts.
#[test]
fn signing_refuses_a_record_too_deep_to_decode() {
    let mut deep = json!(1);
    for _ in 0..MAX_DEPTH - 1 {
        deep = json!([deep]);
    }
    let mut record = best_practice();
    record["x_tree"] = deep;
    let error = Record::sign(record, &emilia()).expect_err("too deep once in its envelope");
    assert_eq!(error.code(), "too_deep");
}

/// Regression: a number beyond a double (`1e400`) was reported as malformed JSON rather than as
/// an unsafe number, unlike every other out-of-range number.
#[test]
fn number_beyond_a_double_is_an_unsafe_number() {
    assert!(matches!(
        canonical::parse_strict(b"[1e400]"),
        Err(JsonError::UnsafeNumber(_))
    ));
}

/// Regression: serde_json's default float parsing may land one unit off the correctly rounded
/// double, so a signer's number and a verifier's reading of its canonical text differed, and the
/// signature failed (the `float_roundtrip` feature fixes it).
#[test]
fn a_float_reads_back_as_the_same_double() {
    let text = b"-1.314125799243718e-8";
    let value = canonical::parse_strict(text).expect("a number");
    assert_eq!(canonical::canonical_bytes(&value), text);
    let mut record = best_practice();
    record["x_ratio"] = value;
    let signed = Record::sign(record, &emilia()).expect("signed");
    assert!(
        Record::decode(&signed.to_wire())
            .expect("decodes")
            .verify(T0)
            .is_ok()
    );
}

/// Regression: `"version": 1.0` was refused as "expected u64" although it is the number 1, which a
/// JavaScript implementation reads as an integer and which canonicalizes to `1`, so two
/// implementations disagreed about one record.
#[test]
fn integer_fields_accept_any_spelling_of_a_whole_number() {
    let text = String::from_utf8(wire(&best_practice(), &[&emilia()])).expect("utf-8");
    for spelling in ["1.0", "1e0", "0.1e1", "10E-1"] {
        let respelled = text.replacen("\"version\":1", &format!("\"version\":{spelling}"), 1);
        let record = Record::decode(respelled.as_bytes()).expect("valid");
        assert_eq!(record.header().version, 1);
        assert!(
            record.verify(T0).is_ok(),
            "{spelling}: same canonical bytes, same signature"
        );
    }
    let fraction = text.replacen("\"version\":1", "\"version\":1.5", 1);
    assert_eq!(
        Record::decode(fraction.as_bytes())
            .expect_err("fraction")
            .code(),
        "invalid_field"
    );
}

/// Regression: the path of a wrongly typed list item read `themes.[1]` instead of `themes[1]`.
#[test]
fn list_item_paths_have_no_dot_before_the_index() {
    let mut record = best_practice();
    record["themes"] = json!(["iot", 5]);
    let errors = errors(&record);
    assert!(
        errors[0].starts_with("themes[1]: invalid type: integer `5`"),
        "{errors:?}"
    );
}

#[test]
fn every_prefix_of_a_valid_record_is_a_typed_error() {
    let bytes = wire(&case_study(), &[&emilia()]);
    for end in 0..bytes.len() {
        let error = Record::decode(&bytes[..end]).expect_err("truncated");
        assert!(
            ["malformed_json", "malformed_envelope"].contains(&error.code()),
            "{end}: {error}"
        );
    }
    assert!(Record::decode(&bytes).is_ok());
}
