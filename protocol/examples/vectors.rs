//! Generates the protocol's test vectors, `docs/protocol/vectors.json`:
//!
//! ```text
//! cargo run -p mosaico-protocol --example vectors > docs/protocol/vectors.json
//! ```
//!
//! Everything is deterministic: the secret keys are derived from fixed names, the times are fixed
//! and Ed25519 signatures are deterministic, so running this twice gives the same file. Each vector
//! declares the outcome it expects, and the generator refuses to write a vector the code disagrees
//! with; `protocol/tests/vectors.rs` then checks the written file against the code on every test
//! run, so the spec's vectors and the implementation cannot drift apart.

use std::error::Error;
use std::io::Write;

use mosaico_protocol::canonical;
use mosaico_protocol::keys::{PublicKey, RecordId, SecretKey};
use mosaico_protocol::record::{Record, RecordError};
use mosaico_protocol::trust::{Federation, TrustError};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// 2026-11-23T09:20:00Z, the creation time most vectors use.
const T0: u64 = 1_795_425_600_000;
const MINUTE: u64 = 60_000;
const DAY: u64 = 86_400_000;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// A test key derived from a name, so the vectors never depend on a random number generator.
fn key(name: &str) -> SecretKey {
    let digest = Sha256::digest(format!("mosaico test vector key: {name}").as_bytes());
    SecretKey::from_bytes(digest.into())
}

struct Keys {
    emilia: SecretKey,
    catalonia: SecretKey,
    bavaria: SecretKey,
    uusimaa: SecretKey,
    partner: SecretKey,
    mallory: SecretKey,
}

/// Makes wire text (or bytes) from the record and its signatures array.
type MakeWire<T> = Box<dyn Fn(&Value, &Value) -> Result<T>>;

/// How the wire text of a vector is made from the signed envelope.
enum Wire {
    /// The canonical envelope, as `Record::to_wire` writes it.
    Canonical,
    /// Any text, made from the record and the signatures array.
    Text(MakeWire<String>),
    /// Bytes that are not UTF-8, so they go into `wire_hex`.
    Bytes(MakeWire<Vec<u8>>),
}

enum Expect {
    Valid,
    Error(&'static str),
}

struct Spec {
    description: String,
    signer: SecretKey,
    cosigners: Vec<SecretKey>,
    record: Value,
    wire: Wire,
    now: u64,
    expect: Expect,
    /// Indices of earlier vectors (the genesis first) that make the federation this vector's
    /// trust check runs against, and the expected trust outcome (`None`: admitted).
    trust: Option<(Vec<usize>, Option<&'static str>)>,
}

impl Spec {
    fn valid(description: &str, signer: &SecretKey, record: Value) -> Self {
        Spec {
            description: description.to_owned(),
            signer: signer.clone(),
            cosigners: Vec::new(),
            record,
            wire: Wire::Canonical,
            now: T0 + MINUTE,
            expect: Expect::Valid,
            trust: None,
        }
    }

    fn invalid(description: &str, signer: &SecretKey, record: Value, error: &'static str) -> Self {
        Spec {
            expect: Expect::Error(error),
            ..Spec::valid(description, signer, record)
        }
    }

    fn wire(mut self, wire: Wire) -> Self {
        self.wire = wire;
        self
    }

    fn now(mut self, now: u64) -> Self {
        self.now = now;
        self
    }

    fn cosigned_by(mut self, cosigners: &[&SecretKey]) -> Self {
        self.cosigners = cosigners.iter().map(|k| (*k).clone()).collect();
        self
    }

    fn trust(mut self, context: &[usize], error: Option<&'static str>) -> Self {
        self.trust = Some((context.to_vec(), error));
        self
    }
}

fn hex_of(key: &SecretKey) -> String {
    key.public_key().to_hex()
}

/// Sets `field` of a JSON object (the records below are all objects).
fn with(mut record: Value, field: &str, value: Value) -> Value {
    if let Value::Object(map) = &mut record {
        map.insert(field.to_owned(), value);
    }
    record
}

fn without(mut record: Value, field: &str) -> Value {
    if let Value::Object(map) = &mut record {
        map.remove(field);
    }
    record
}

fn text(bytes: Vec<u8>) -> Result<String> {
    Ok(String::from_utf8(bytes)?)
}

/// Repeats `sentence` until the text has exactly `chars` characters.
fn filler(sentence: &str, chars: usize) -> String {
    sentence.chars().cycle().take(chars).collect()
}

fn envelope_text(record: &Value, signatures: &Value) -> Result<String> {
    text(canonical::canonical_bytes(&json!({
        "record": record,
        "signatures": signatures,
    })))
}

fn solution_it(k: &Keys) -> Value {
    json!({
        "format": 1,
        "kind": "solution",
        "author": hex_of(&k.emilia),
        "slug": "cruscotto-qualita-dati",
        "version": 1,
        "created_at": T0,
        "title": {
            "it": "Cruscotto per la qualità dei dati aperti",
            "en": "Open data quality dashboard"
        },
        "summary": {
            "it": "Controlla ogni notte i dataset pubblicati dagli enti della regione e segnala ai redattori campi vuoti, date scadute e licenze mancanti.",
            "en": "Checks the datasets published by the region's bodies every night and tells editors about empty fields, stale dates and missing licences."
        },
        "organisation": "Regione Emilia-Romagna",
        "country": "IT",
        "nuts": "ITH5",
        "themes": ["data", "digital-integrations"],
        "technologies": ["python", "machine-learning", "dcat-ap"],
        "status": "implemented",
        "links": [
            {"url": "https://dati.emilia-romagna.it/", "title": "Portale open data"}
        ],
        "contacts": [
            {"name": "Ufficio open data", "email": "opendata@regione.emilia-romagna.example", "role": "manutenzione"}
        ],
        "licence": "EUPL-1.2",
        "tags": ["open-data", "qualità"],
        "solution": {
            "url": "https://git.example.org/regione-er/cruscotto-qualita",
            "landing_url": "https://dati.emilia-romagna.it/cruscotto",
            "development_status": "stable",
            "software_type": "standalone/web",
            "platforms": ["web"],
            "categories": ["data-analytics", "data-collection"],
            "maintenance": "internal",
            "used_by": ["Comune di Bologna", "Comune di Parma"]
        }
    })
}

fn case_study_ca(k: &Keys) -> Value {
    json!({
        "format": 1,
        "kind": "case_study",
        "author": hex_of(&k.catalonia),
        "slug": "assistent-tramits-cat",
        "version": 1,
        "created_at": T0 - 2 * DAY,
        "title": {
            "ca": "Assistent virtual per a la tramitació d'ajuts a la ciutadania",
            "es": "Asistente virtual para la tramitación de ayudas a la ciudadanía"
        },
        "summary": {
            "ca": "Un assistent conversacional respon dubtes sobre l'estat dels expedients i guia la sol·licitud pas a pas, en català i en castellà.",
            "es": "Un asistente conversacional responde dudas sobre el estado de los expedientes y guía la solicitud paso a paso, en catalán y en castellano."
        },
        "description": {
            "ca": "El servei es va posar en marxa el 2023 al Departament de Drets Socials.\n\nAvui atén més de tres mil consultes al mes i deriva a una persona quan no entén la pregunta."
        },
        "organisation": "Generalitat de Catalunya",
        "country": "ES",
        "nuts": "ES51",
        "themes": ["citizens", "digital-facilitation"],
        "technologies": ["chatbot", "nlp"],
        "status": "scaled",
        "licence": "CC-BY-4.0",
        "case_study": {
            "cofog": ["10.9"],
            "process_types": ["Service delivery"],
            "application_types": ["Chatbot"],
            "interaction": ["G2C"],
            "benefits": ["efficiency", "inclusion"],
            "start_year": 2023,
            "source": {"name": "PSTW", "id": "CS-2023-0417", "url": "https://example.org/pstw/cases/0417", "updated": "2025-06-30"}
        }
    })
}

fn best_practice_de(k: &Keys) -> Value {
    json!({
        "format": 1,
        "kind": "best_practice",
        "author": hex_of(&k.bavaria),
        "slug": "gemeinsame-datenstrategie",
        "version": 1,
        "created_at": T0 - 3 * DAY,
        "title": {"de": "Gemeinsame Datenstrategie für Landkreise und Gemeinden"},
        "summary": {
            "de": "Größere Landkreise übernehmen die Datenpflege für kleine Gemeinden; Schulungen für Führungskräfte schließen die Lücke zwischen Fachämtern und IT."
        },
        "organisation": "Bayerisches Staatsministerium für Digitales",
        "country": "DE",
        "nuts": "DE2",
        "themes": ["data", "digital-administrators"],
        "status": "implemented",
        "tags": ["datenstrategie", "öffentliche-verwaltung"]
    })
}

fn case_study_fi_sv(k: &Keys) -> Value {
    json!({
        "format": 1,
        "kind": "case_study",
        "author": hex_of(&k.uusimaa),
        "slug": "kaupunkipyorat-ennuste",
        "version": 1,
        "created_at": T0 - DAY,
        "title": {
            "fi": "Kaupunkipyörien kysynnän ennustaminen säätietojen avulla",
            "sv": "Prognos för efterfrågan på stadscyklar med hjälp av väderdata"
        },
        "summary": {
            "fi": "Koneoppimismalli ennustaa asemakohtaisen kysynnän seuraavalle päivälle, jotta pyörät siirretään yöllä oikeisiin paikkoihin.",
            "sv": "En maskininlärningsmodell förutspår efterfrågan per station för nästa dag, så att cyklarna flyttas till rätt ställen under natten."
        },
        "organisation": "Helsingin seudun liikenne",
        "country": "FI",
        "nuts": "FI1B",
        "themes": ["iot", "x-mobility"],
        "technologies": ["machine-learning", "forecasting"],
        "status": "pilot",
        "case_study": {
            "cofog": ["04.5"],
            "application_types": ["Predictive analytics"],
            "interaction": ["G2C", "G2G"],
            "benefits": ["efficiency", "sustainability"],
            "start_year": 2025,
            "end_year": 2026
        }
    })
}

fn member(name: &str, key: &SecretKey, country: &str, nuts: &str) -> Value {
    json!({"name": name, "key": hex_of(key), "country": country, "nuts": nuts})
}

fn genesis(k: &Keys) -> Value {
    json!({
        "format": 1,
        "kind": "membership",
        "author": hex_of(&k.emilia),
        "slug": "federation",
        "version": 1,
        "created_at": T0 - 30 * DAY,
        "membership": {
            "name": "dt4regions-pilot",
            "threshold": 2,
            "members": [
                member("Regione Emilia-Romagna", &k.emilia, "IT", "ITH5"),
                member("Generalitat de Catalunya", &k.catalonia, "ES", "ES51"),
                member("Freistaat Bayern", &k.bavaria, "DE", "DE2"),
                member("Helsinki-Uusimaa", &k.uusimaa, "FI", "FI1B")
            ]
        }
    })
}

fn membership_update(k: &Keys, previous: &RecordId, created_at: u64) -> Value {
    json!({
        "format": 1,
        "kind": "membership",
        "author": hex_of(&k.emilia),
        "slug": "federation",
        "version": 2,
        "created_at": created_at,
        "membership": {
            "name": "dt4regions-pilot",
            "threshold": 2,
            "previous": previous.to_hex(),
            "members": [
                member("Regione Emilia-Romagna", &k.emilia, "IT", "ITH5"),
                member("Generalitat de Catalunya", &k.catalonia, "ES", "ES51"),
                member("Helsinki-Uusimaa", &k.uusimaa, "FI", "FI1B")
            ]
        }
    })
}

fn endorsement(k: &Keys) -> Value {
    json!({
        "format": 1,
        "kind": "endorsement",
        "author": hex_of(&k.emilia),
        "slug": hex_of(&k.partner),
        "version": 1,
        "created_at": T0 - 10 * DAY,
        "endorsement": {
            "partner": hex_of(&k.partner),
            "name": "Fondazione Bruno Kessler",
            "kinds": ["solution", "case_study"],
            "expires_at": T0 + 20 * DAY
        }
    })
}

fn partner_case_study(k: &Keys, kind: &str, slug: &str, created_at: u64) -> Value {
    let mut record = json!({
        "format": 1,
        "kind": kind,
        "author": hex_of(&k.partner),
        "slug": slug,
        "version": 1,
        "created_at": created_at,
        "title": {"it": "Trascrizione automatica delle sedute dei consigli comunali", "en": "Automatic transcription of council meetings"},
        "summary": {"it": "Un modello di riconoscimento vocale addestrato su registrazioni pubbliche produce i verbali in bozza entro un'ora dalla seduta."},
        "organisation": "Fondazione Bruno Kessler",
        "country": "IT",
        "nuts": "ITH2",
        "themes": ["documents"],
        "technologies": ["speech-recognition"],
        "status": "pilot"
    });
    if kind == "case_study" {
        record = with(
            record,
            "case_study",
            json!({"interaction": ["G2G"], "start_year": 2024}),
        );
    }
    record
}

fn build(k: &Keys) -> Result<Vec<Spec>> {
    let mut specs = Vec::new();
    let push = |specs: &mut Vec<Spec>, spec: Spec| -> usize {
        specs.push(spec);
        specs.len() - 1
    };

    // Valid records of every kind, in several languages.
    push(
        &mut specs,
        Spec::valid(
            "solution in Italian and English (à in the title)",
            &k.emilia,
            solution_it(k),
        ),
    );
    push(
        &mut specs,
        Spec::valid(
            "case study in Catalan and Spanish (l·l, ç, à, í)",
            &k.catalonia,
            case_study_ca(k),
        ),
    );
    push(
        &mut specs,
        Spec::valid(
            "best practice in German (ä, ö, ü, ß)",
            &k.bavaria,
            best_practice_de(k),
        ),
    );
    push(
        &mut specs,
        Spec::valid(
            "case study in Finnish and Swedish (ä, ö, å) with an x- extension theme",
            &k.uusimaa,
            case_study_fi_sv(k),
        ),
    );

    let genesis_record = genesis(k);
    let genesis_id = RecordId::of_canonical(&canonical::canonical_bytes(&genesis_record));
    let genesis_index = push(
        &mut specs,
        Spec::valid(
            "membership genesis (version 1): its id is the federation id; signatures are optional",
            &k.emilia,
            genesis_record,
        )
        .now(T0 - 30 * DAY + MINUTE)
        .trust(&[], None),
    );
    push(
        &mut specs,
        Spec::valid(
            "membership update (version 2) signed by two of four members, threshold 2: admitted",
            &k.emilia,
            membership_update(k, &genesis_id, T0 - DAY),
        )
        .cosigned_by(&[&k.catalonia])
        .trust(&[genesis_index], None),
    );
    push(
        &mut specs,
        Spec::valid(
            "membership update signed by one member, threshold 2: the signature verifies but the trust rule refuses it",
            &k.emilia,
            membership_update(k, &genesis_id, T0 - DAY + MINUTE),
        )
        .trust(&[genesis_index], Some("below_threshold")),
    );
    let endorsement_index = push(
        &mut specs,
        Spec::valid(
            "endorsement of a partner for solutions and case studies, expiring in 20 days",
            &k.emilia,
            endorsement(k),
        )
        .trust(&[genesis_index], None),
    );
    push(
        &mut specs,
        Spec::valid(
            "case study by an endorsed partner, within scope and validity: admitted",
            &k.partner,
            partner_case_study(k, "case_study", "trascrizione-consigli", T0),
        )
        .trust(&[genesis_index, endorsement_index], None),
    );
    push(
        &mut specs,
        Spec::valid(
            "best practice by an endorsed partner, outside the endorsement's kinds: refused by trust",
            &k.partner,
            partner_case_study(k, "best_practice", "verbali-automatici", T0),
        )
        .trust(&[genesis_index, endorsement_index], Some("not_endorsed_for")),
    );
    push(
        &mut specs,
        Spec::valid(
            "case study by a partner created after its endorsement expired: refused by trust",
            &k.partner,
            partner_case_study(k, "case_study", "trascrizione-consigli-2", T0 + 21 * DAY),
        )
        .now(T0 + 21 * DAY + MINUTE)
        .trust(
            &[genesis_index, endorsement_index],
            Some("not_endorsed_for"),
        ),
    );
    push(
        &mut specs,
        Spec::valid(
            "a key that is neither member nor partner: the record verifies, trust refuses it",
            &k.mallory,
            with(
                without(
                    partner_case_study(k, "solution", "strumento-gratuito", T0),
                    "nuts",
                ),
                "author",
                json!(hex_of(&k.mallory)),
            ),
        )
        .trust(&[genesis_index, endorsement_index], Some("unknown_key")),
    );

    // Canonicalization: numbers, escapes, key order and whitespace.
    let jcs_record_text = format!(
        r#"{{
  "x_metrics": {{"ratio": 1.50, "big": 1e2, "neg_zero": -0, "neg_zero_float": -0.0,
                 "small": 0.000001, "tiny": 1E-7, "whole_float": 4.0, "large": 4.5e15,
                 "precise": 123.456000, "hard_to_round": -1.314125799243718e-8}},
  "x_keys": {{"\ue000": "private use", "\ud83d\ude00": "emoji", "z": "ascii", "\u00e9": "latin"}},
  "x_note": "tab\there, unit separator \u001f, \"quotes\", back\\slash, \u00e8 and \/",
  "title": {{"it": "Riuso del cruscotto nella Citt\u00e0 metropolitana", "en": "Reusing the dashboard in the metropolitan city"}},
  "summary": {{"it": "Il cruscotto regionale \u00e8 stato adattato ai dataset comunali in due settimane."}},
  "links": [ {{ "url": "https:\/\/dati.comune.bologna.it\/" }} ],
  "organisation": "Citt\u00e0 metropolitana di Bologna",
  "country": "IT", "nuts": "ITH55",
  "format": 1, "kind": "best_practice", "author": "{author}",
  "slug": "riuso-cruscotto", "version": 1, "created_at": {created_at}
}}"#,
        author = hex_of(&k.emilia),
        created_at = T0,
    );
    let jcs_record = canonical::parse_strict(jcs_record_text.as_bytes())?;
    push(
        &mut specs,
        Spec::valid(
            "JCS: numbers (1.50, 1e2, -0, 1E-7, 4.0), string escapes (\\u00e8, \\/, \\u001f), UTF-16 key order and whitespace, in extension fields a node keeps but does not interpret",
            &k.emilia,
            jcs_record,
        )
        .wire(Wire::Text(Box::new(move |_, signatures| {
            Ok(format!(
                "{{\n \"signatures\" : {} ,\n \"record\" : {}\n}}\n",
                text(canonical::canonical_bytes(signatures))?,
                jcs_record_text
            ))
        }))),
    );

    push(
        &mut specs,
        Spec::valid(
            "a record of a newer format (2) with an unknown field and a body this node cannot read: it verifies and is kept unaltered",
            &k.catalonia,
            json!({
                "format": 2,
                "kind": "case_study",
                "author": hex_of(&k.catalonia),
                "slug": "format-futur",
                "version": 1,
                "created_at": T0,
                "title": {"ca": {"text": "Un títol amb una forma nova", "reviewed": true}},
                "evidence": [{"kind": "audit", "score": 0.8}]
            }),
        ),
    );

    push(
        &mut specs,
        Spec::valid(
            "retraction (version 2) of the Italian solution: no body needed",
            &k.emilia,
            json!({
                "format": 1,
                "kind": "solution",
                "author": hex_of(&k.emilia),
                "slug": "cruscotto-qualita-dati",
                "version": 2,
                "created_at": T0 + MINUTE,
                "retracted": true
            }),
        )
        .now(T0 + 2 * MINUTE),
    );

    push(
        &mut specs,
        Spec::valid(
            "created exactly 10 minutes ahead of the verifier's clock: still accepted",
            &k.bavaria,
            with(best_practice_de(k), "created_at", json!(T0 + 10 * MINUTE)),
        )
        .now(T0),
    );

    // Invalid records.
    push(
        &mut specs,
        Spec::invalid(
            "tampered: the summary was changed after signing",
            &k.emilia,
            solution_it(k),
            "bad_signature",
        )
        .wire(Wire::Text(Box::new(|record, signatures| {
            let mut record = record.clone();
            record["summary"]["en"] =
                json!("Checks the datasets every night and deletes the stale ones.");
            envelope_text(&record, signatures)
        }))),
    );
    let emilia_hex = hex_of(&k.emilia);
    push(
        &mut specs,
        Spec::invalid(
            "signature by another key: made with the secret_key below but presented as the author's",
            &k.mallory,
            solution_it(k),
            "bad_signature",
        )
        .wire(Wire::Text(Box::new(move |record, signatures| {
            let mut signatures = signatures.clone();
            signatures[0]["key"] = json!(emilia_hex);
            envelope_text(record, &signatures)
        }))),
    );
    push(
        &mut specs,
        Spec::invalid(
            "signed correctly, but by a key that is not the author",
            &k.mallory,
            best_practice_de(k),
            "wrong_signers",
        ),
    );
    push(
        &mut specs,
        Spec::invalid(
            "created 10 minutes and 1 ms ahead of the verifier's clock",
            &k.bavaria,
            with(
                best_practice_de(k),
                "created_at",
                json!(T0 + 10 * MINUTE + 1),
            ),
            "future_timestamp",
        )
        .now(T0),
    );
    let essay = "Il progetto è nato da un'esigenza concreta degli uffici regionali e si è esteso ai comuni. ";
    push(
        &mut specs,
        Spec::invalid(
            "oversized: four 17,000-character descriptions make the canonical record larger than 65,536 bytes",
            &k.emilia,
            with(
                solution_it(k),
                "description",
                json!({
                    "it": filler(essay, 17_000),
                    "en": filler("The project grew out of a concrete need of the regional offices. ", 17_000),
                    "de": filler("Das Projekt entstand aus einem konkreten Bedarf der Ämter. ", 17_000),
                    "ca": filler("El projecte va néixer d'una necessitat concreta de les oficines. ", 17_000),
                }),
            ),
            "too_large",
        ),
    );
    push(
        &mut specs,
        Spec::invalid(
            "duplicate key: the wire repeats \"slug\" inside the record",
            &k.emilia,
            solution_it(k),
            "duplicate_key",
        )
        .wire(Wire::Text(Box::new(|record, signatures| {
            let text = envelope_text(record, signatures)?;
            Ok(text.replacen("\"slug\":", "\"slug\":\"altro\",\"slug\":", 1))
        }))),
    );
    push(
        &mut specs,
        Spec::invalid(
            "unsafe number: an integer of 2^53 + 1 in an extension field",
            &k.emilia,
            with(solution_it(k), "x_count", json!(1)),
            "unsafe_number",
        )
        .wire(Wire::Text(Box::new(|record, signatures| {
            let text = envelope_text(record, signatures)?;
            Ok(text.replacen("\"x_count\":1", "\"x_count\":9007199254740993", 1))
        }))),
    );
    push(
        &mut specs,
        Spec::invalid(
            "unsafe number in exponent notation: 1e16 is outside ±(2^53 - 1) too",
            &k.emilia,
            with(solution_it(k), "x_count", json!(1)),
            "unsafe_number",
        )
        .wire(Wire::Text(Box::new(|record, signatures| {
            let text = envelope_text(record, signatures)?;
            Ok(text.replacen("\"x_count\":1", "\"x_count\":1e16", 1))
        }))),
    );
    push(
        &mut specs,
        Spec::invalid(
            "bad language tag: \"it_IT\" is not BCP 47 (and \"EN\" is not in canonical case)",
            &k.emilia,
            with(
                solution_it(k),
                "title",
                json!({"it_IT": "Cruscotto per la qualità dei dati aperti", "EN": "Open data quality dashboard"}),
            ),
            "invalid_field",
        ),
    );
    let long_summary = filler(
        "Un servizio più semplice per chi non usa il digitale ogni giorno. ",
        812,
    );
    push(
        &mut specs,
        Spec::invalid(
            "several field errors reported at once",
            &k.emilia,
            json!({
                "format": 1,
                "kind": "best_practice",
                "author": hex_of(&k.emilia),
                "slug": "Facilitazione Digitale",
                "version": 1,
                "created_at": T0,
                "title": {"it": "Punti di facilitazione digitale"},
                "summary": {"it": long_summary},
                "country": "IT",
                "nuts": "ES51",
                "themes": ["citizens", "mobility"],
                "links": [{"url": "ftp://files.example.org/guida.pdf"}],
                "contacts": [{"name": "Sportello", "email": "sportello-at-comune"}]
            }),
            "invalid_field",
        ),
    );
    push(
        &mut specs,
        Spec::invalid(
            "wrong type: version is a string",
            &k.bavaria,
            with(best_practice_de(k), "version", json!("1")),
            "invalid_field",
        ),
    );
    push(
        &mut specs,
        Spec::invalid(
            "malformed JSON: the envelope is cut short",
            &k.bavaria,
            best_practice_de(k),
            "malformed_json",
        )
        .wire(Wire::Text(Box::new(|record, signatures| {
            let text = envelope_text(record, signatures)?;
            Ok(text.chars().take(200).collect())
        }))),
    );
    push(
        &mut specs,
        Spec::invalid(
            "invalid UTF-8 in the title (wire_hex holds the bytes)",
            &k.emilia,
            solution_it(k),
            "malformed_json",
        )
        .wire(Wire::Bytes(Box::new(|record, signatures| {
            let mut bytes = envelope_text(record, signatures)?.into_bytes();
            // "à" is C3 A0 in UTF-8; a lone continuation byte in its place is not UTF-8.
            let at = bytes
                .windows(2)
                .position(|w| w == [0xc3, 0xa0])
                .ok_or("the record has no à")?;
            bytes[at] = 0xa0;
            Ok(bytes)
        }))),
    );
    let mut deep = json!("leaf");
    for _ in 0..15 {
        deep = json!([deep]);
    }
    push(
        &mut specs,
        Spec::invalid(
            "too deep: 15 nested arrays inside the record make 17 levels with the envelope and the record",
            &k.bavaria,
            with(best_practice_de(k), "x_tree", deep),
            "too_deep",
        ),
    );
    push(
        &mut specs,
        Spec::invalid(
            "malformed envelope: a member other than \"record\" and \"signatures\"",
            &k.bavaria,
            best_practice_de(k),
            "malformed_envelope",
        )
        .wire(Wire::Text(Box::new(|record, signatures| {
            let mut envelope = Map::new();
            envelope.insert("record".into(), record.clone());
            envelope.insert("signatures".into(), signatures.clone());
            envelope.insert("comment".into(), json!("unsigned note"));
            text(canonical::canonical_bytes(&Value::Object(envelope)))
        }))),
    );
    Ok(specs)
}

/// The wire bytes of a finished vector.
fn wire_bytes(vector: &Value) -> Result<Vec<u8>> {
    match (vector.get("wire"), vector.get("wire_hex")) {
        (Some(Value::String(wire)), _) => Ok(wire.clone().into_bytes()),
        (_, Some(Value::String(hex_text))) => Ok(hex::decode(hex_text)?),
        _ => Err("vector without wire".into()),
    }
}

fn render(spec: &Spec, index: usize, done: &[Value]) -> Result<Value> {
    let canonical_text = canonical::canonical_bytes(&spec.record);
    let id = RecordId::of_canonical(&canonical_text);
    let signature = spec.signer.sign_id(&id);
    let mut signatures = vec![json!({"key": spec.signer.public_key(), "signature": signature})];
    let mut cosigners = Vec::new();
    for cosigner in &spec.cosigners {
        let cosignature = cosigner.sign_id(&id);
        signatures.push(json!({"key": cosigner.public_key(), "signature": cosignature}));
        cosigners.push(json!({
            "secret_key": cosigner.to_hex(),
            "public_key": cosigner.public_key(),
            "signature": cosignature,
        }));
    }
    let signatures = Value::Array(signatures);

    let mut vector = Map::new();
    vector.insert("description".into(), json!(spec.description));
    vector.insert("secret_key".into(), json!(spec.signer.to_hex()));
    vector.insert("public_key".into(), json!(spec.signer.public_key()));
    vector.insert("record".into(), spec.record.clone());
    vector.insert("canonical".into(), json!(text(canonical_text)?));
    vector.insert("id".into(), json!(id));
    vector.insert(
        "signed_message".into(),
        json!(hex::encode(id.signed_message())),
    );
    vector.insert("signature".into(), json!(signature));
    if !cosigners.is_empty() {
        vector.insert("cosigners".into(), Value::Array(cosigners));
    }
    match &spec.wire {
        Wire::Canonical => {
            vector.insert(
                "wire".into(),
                json!(envelope_text(&spec.record, &signatures)?),
            );
        }
        Wire::Text(make) => {
            vector.insert("wire".into(), json!(make(&spec.record, &signatures)?));
        }
        Wire::Bytes(make) => {
            vector.insert(
                "wire_hex".into(),
                json!(hex::encode(make(&spec.record, &signatures)?)),
            );
        }
    }
    vector.insert("now".into(), json!(spec.now));

    let wire = wire_bytes(&Value::Object(vector.clone()))?;
    let outcome = Record::decode(&wire).and_then(|r| r.verify(spec.now));
    let problem = |what: String| format!("vector {index} ({}): {what}", spec.description);
    match (&spec.expect, &outcome) {
        (Expect::Valid, Ok(record)) => {
            if record.id() != id {
                return Err(problem("the decoded record has another id".into()).into());
            }
            vector.insert("valid".into(), json!(true));
        }
        (Expect::Error(code), Err(error)) if error.code() == *code => {
            vector.insert("valid".into(), json!(false));
            vector.insert("error".into(), json!(code));
            if let RecordError::Invalid(errors) = error {
                vector.insert("field_errors".into(), serde_json::to_value(errors)?);
            }
        }
        (_, outcome) => {
            let got = outcome.as_ref().map(|_| "valid").map_err(|e| e.to_string());
            return Err(problem(format!("the code says {got:?}")).into());
        }
    }

    if let (Some((context, expected)), Ok(record)) = (&spec.trust, &outcome) {
        let context_records = context
            .iter()
            .map(|&i| {
                let earlier = done
                    .get(i)
                    .ok_or("trust context refers to a later vector")?;
                let bytes = wire_bytes(earlier)?;
                let now = earlier["now"].as_u64().ok_or("now")?;
                Ok(Record::decode(&bytes)?.verify(now)?)
            })
            .collect::<Result<Vec<_>>>()?;
        let mut federation = match context_records.first() {
            Some(genesis) => Federation::from_genesis(genesis)?,
            None => Federation::from_genesis(record)?,
        };
        for earlier in context_records.iter().skip(1) {
            federation.apply(earlier)?;
        }
        let admitted = federation.admit(record);
        let got = admitted.as_ref().err().map(TrustError::code);
        if got != *expected {
            return Err(problem(format!("trust says {admitted:?}")).into());
        }
        let ids: Vec<Value> = context.iter().map(|&i| done[i]["id"].clone()).collect();
        vector.insert("trust_context".into(), Value::Array(ids));
        vector.insert("trust_error".into(), json!(expected));
    }
    Ok(Value::Object(vector))
}

fn main() -> Result<()> {
    let keys = Keys {
        emilia: key("emilia-romagna"),
        catalonia: key("catalunya"),
        bavaria: key("bayern"),
        uusimaa: key("helsinki-uusimaa"),
        partner: key("fondazione-bruno-kessler"),
        mallory: key("mallory"),
    };
    let specs = build(&keys)?;
    let mut vectors = Vec::new();
    for (index, spec) in specs.iter().enumerate() {
        let vector = render(spec, index, &vectors)?;
        vectors.push(vector);
    }
    // Keep the key type in the signature of this file's API honest: every public key parses back.
    for vector in &vectors {
        let _: PublicKey = vector["public_key"].as_str().ok_or("public_key")?.parse()?;
    }
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &vectors)?;
    writeln!(out)?;
    Ok(())
}
