//! Record verification against bare Ed25519, in one run on one machine.
//!
//! `full` is what a node does for every record that arrives: decode the strict JSON envelope,
//! canonicalize the record, hash it, check every field rule and verify the signature strictly.
//! `bare` is `verify_strict` of one Ed25519 signature over the same 50-byte message. The target
//! is that `full` reaches at least 70% of `bare`'s rate. Run with
//! `cargo bench -p mosaico-protocol --bench verify`; figures go in docs/benchmarks.md.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mosaico_protocol::canonical;
use mosaico_protocol::keys::{RecordId, SecretKey};
use mosaico_protocol::record::Record;
use serde_json::json;

const T0: u64 = 1_795_425_600_000;

/// A typical case study of about 2 KB on the wire, in two languages.
fn typical_wire(secret: &SecretKey) -> Vec<u8> {
    let record = json!({
        "format": 1,
        "kind": "case_study",
        "author": secret.public_key(),
        "slug": "chatbot-urp",
        "version": 3,
        "created_at": T0,
        "title": {
            "it": "Chatbot dell'URP per le richieste dei cittadini",
            "en": "Citizen-request chatbot for the public relations office"
        },
        "summary": {
            "it": "Un assistente virtuale risponde a tutte le ore alle domande più frequenti rivolte all'URP e, quando non sa rispondere, apre una richiesta per un operatore.",
            "en": "A virtual assistant answers the questions most often put to the public relations office at any hour and opens a request for staff when it cannot."
        },
        "description": {
            "it": "Il progetto è nato nel 2021 per ridurre i tempi di attesa al telefono dell'URP regionale, che riceveva oltre 40.000 richieste all'anno.\n\nIl chatbot è addestrato sulle risposte già pubblicate sul portale e sulle domande reali degli ultimi tre anni, rese anonime. Ogni risposta cita la pagina ufficiale da cui è tratta.",
            "en": "The project started in 2021 to cut telephone waiting times at the regional public relations office, which received over 40,000 requests a year.\n\nThe chatbot is trained on the answers already published on the portal and on three years of real, anonymised questions. Every answer cites the official page it comes from."
        },
        "organisation": "Regione Emilia-Romagna",
        "country": "IT",
        "nuts": "ITH5",
        "themes": ["citizens", "digital-facilitation"],
        "technologies": ["chatbot", "nlp", "machine-learning"],
        "status": "scaled",
        "links": [{"url": "https://www.regione.emilia-romagna.it/urp", "title": "Ufficio Relazioni con il Pubblico"}],
        "contacts": [{"name": "Ufficio Relazioni con il Pubblico", "email": "urp@regione.emilia-romagna.example", "role": "responsabile"}],
        "licence": "CC-BY-4.0",
        "tags": ["urp", "assistente-virtuale", "servizi-al-cittadino"],
        "case_study": {
            "cofog": ["01.3"],
            "process_types": ["Service delivery"],
            "application_types": ["Chatbot"],
            "interaction": ["G2C"],
            "benefits": ["efficiency", "responsiveness", "inclusion"],
            "start_year": 2021
        }
    });
    match Record::sign(record, secret) {
        Ok(record) => record.to_wire(),
        Err(error) => panic!("the benchmark record is valid: {error}"),
    }
}

fn verification(c: &mut Criterion) {
    let secret = SecretKey::from_bytes([42; 32]);
    let wire = typical_wire(&secret);
    let record = match Record::decode(&wire) {
        Ok(record) => record,
        Err(error) => panic!("decodes: {error}"),
    };
    let message = record.id().signed_message();
    let signature = record.signatures()[0].signature;
    let key = secret.public_key();
    assert!(key.verify_strict(&message, &signature));
    eprintln!(
        "typical record: {} bytes on the wire, {} canonical",
        wire.len(),
        record.canonical().len()
    );

    let mut group = c.benchmark_group("record_verification");
    group.throughput(Throughput::Elements(1));
    group.bench_function(
        "full: decode + canonicalize + hash + validate + verify",
        |b| {
            b.iter(|| {
                let verified = Record::decode(black_box(&wire)).and_then(|r| r.verify(T0));
                assert!(verified.is_ok());
                verified
            })
        },
    );
    group.bench_function("bare: ed25519 verify_strict", |b| {
        b.iter(|| {
            assert!(black_box(&key).verify_strict(black_box(&message), black_box(&signature)))
        })
    });
    group.finish();

    // Where the time beyond the signature goes, phase by phase.
    let mut phases = c.benchmark_group("record_verification_phases");
    phases.throughput(Throughput::Elements(1));
    phases.bench_function("parse strict JSON", |b| {
        b.iter(|| canonical::parse_strict(black_box(&wire)))
    });
    let unsigned = record.unsigned().clone();
    phases.bench_function("canonicalize", |b| {
        b.iter(|| canonical::canonical_bytes(black_box(&unsigned)))
    });
    let canonical_text = record.canonical().to_vec();
    phases.bench_function("sha-256", |b| {
        b.iter(|| RecordId::of_canonical(black_box(&canonical_text)))
    });
    phases.bench_function("decode (all but the signature)", |b| {
        b.iter(|| Record::decode(black_box(&wire)))
    });
    phases.finish();
}

criterion_group!(benches, verification);
criterion_main!(benches);
