//! The staff web UI in a real browser: Debian's Chromium, headless, driven over WebDriver
//! (chromedriver) with plain HTTP calls, against real `mosaico` nodes.
//!
//! 1. search, click a facet, open a record (whose signature the browser checks), switch its
//!    language;
//! 2. sign in, publish through the form, and see the record on a second node's pages;
//! 3. fill and submit the publish form with the keyboard alone;
//! 4. an axe-core scan of every page type in both languages: zero violations; every page is
//!    also checked for horizontal scrolling at 320 px and for its total weight;
//! 5. a screenshot of every page type (into `target/screenshots`, or into `docs/screenshots`
//!    with `MOSAICO_UPDATE_SCREENSHOTS=1`).
//!
//! The test fails, never skips, when Chromium, chromedriver or axe-core is missing:
//! `scripts/test` installs them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use mosaico_e2e::{Federation, PATIENCE, case_study_yaml, free_port, publish_file, wait_for};
use serde_json::{Value, json};

/// Every language the interface speaks: axe checks each page in each of them.
const INTERFACE_LANGUAGES: [&str; 8] = ["en", "it", "es", "ca", "fr", "de", "nl", "fi"];
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// A Chromium session driven through chromedriver.
struct Browser {
    http: reqwest::blocking::Client,
    base: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    fn start() -> Self {
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let chromedriver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        assert!(
            Path::new(&chromium).exists(),
            "{chromium} is missing: install Debian's chromium (scripts/test does)"
        );
        assert!(
            Path::new(&chromedriver).exists(),
            "{chromedriver} is missing: install chromium-driver (scripts/test does)"
        );
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .expect("client");
        let base = format!("http://127.0.0.1:{port}");
        wait_for("chromedriver to listen", PATIENCE, || {
            http.get(format!("{base}/status"))
                .send()
                .ok()
                .filter(|r| r.status().is_success())
                .map(|_| ())
        });
        let profile = tempfile::tempdir().expect("profile dir");
        let args = vec![
            "--headless".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--hide-scrollbars".into(),
            format!("--user-data-dir={}", profile.path().display()),
            "--window-size=1280,1000".into(),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args, "prefs": {"intl.accept_languages": "en"}},
        }}});
        let answer: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .expect("new session")
            .json()
            .expect("json");
        let session = answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {answer}"))
            .to_owned();
        let mut browser = Browser {
            http,
            base: format!("{base}/session/{session}"),
            driver,
            _profile: profile,
        };
        browser.call(
            "POST",
            "/timeouts",
            json!({"script": 60_000, "pageLoad": 60_000, "implicit": 0}),
        );
        browser.base = browser.base.clone();
        browser
    }

    fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.base);
        let request = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body),
        };
        let answer: Value = request
            .send()
            .expect("webdriver call")
            .json()
            .expect("webdriver json");
        if answer["value"].get("error").is_some() {
            panic!("webdriver {method} {path} failed: {}", answer["value"]);
        }
        answer["value"].clone()
    }

    fn goto(&self, url: &str) {
        self.call("POST", "/url", json!({"url": url}));
    }

    fn url(&self) -> String {
        let url = self.call("GET", "/url", Value::Null);
        url.as_str()
            .unwrap_or_else(|| panic!("webdriver gave {url} for the current URL"))
            .to_owned()
    }

    fn find(&self, css: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let url = format!("{}/element", self.base);
            let answer: Option<Value> = self
                .http
                .post(url)
                .json(&json!({"using": "css selector", "value": css}))
                .send()
                .ok()
                .and_then(|r| r.json().ok());
            if let Some(element) = answer.as_ref().and_then(|a| a["value"][ELEMENT].as_str()) {
                return element.to_owned();
            }
            if std::time::Instant::now() > deadline {
                let html = self.run("return document.documentElement.outerHTML;");
                panic!(
                    "no element {css} on {}:\n{}",
                    self.url(),
                    html.as_str().unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn click(&self, css: &str) {
        let element = self.find(css);
        self.call("POST", &format!("/element/{element}/click"), json!({}));
    }

    fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css);
        self.call("POST", &format!("/element/{element}/clear"), json!({}));
        self.call(
            "POST",
            &format!("/element/{element}/value"),
            json!({"text": text}),
        );
    }

    fn run(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
    }

    fn run_async(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/async",
            json!({"script": script, "args": []}),
        )
    }

    /// Presses keys, one after another, as a person at the keyboard would.
    fn press(&self, keys: &str) {
        let mut actions = Vec::new();
        for key in keys.chars() {
            actions.push(json!({"type": "keyDown", "value": key.to_string()}));
            actions.push(json!({"type": "keyUp", "value": key.to_string()}));
        }
        self.call(
            "POST",
            "/actions",
            json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]}),
        );
    }

    fn active_id(&self) -> String {
        let id = self.run("return document.activeElement ? document.activeElement.id : ''");
        id.as_str()
            .unwrap_or_else(|| panic!("the focused element's id is {id}"))
            .to_owned()
    }

    /// Presses Tab until the control `id` has the focus; fails if it is never reached.
    fn tab_to(&self, id: &str) {
        for _ in 0..250 {
            if self.active_id() == id {
                return;
            }
            self.press(TAB);
        }
        panic!("the keyboard never reaches #{id}");
    }

    /// Waits until the current URL contains `part` (a query parameter, a path segment).
    fn wait_url(&self, part: &str) -> String {
        wait_for(
            &format!("the browser to reach a URL with {part}"),
            PATIENCE,
            || {
                let url = self.url();
                url.contains(part).then_some(url)
            },
        )
    }

    /// Waits until the current URL is exactly `url`: a part such as "/" would be in every URL,
    /// including the one the browser is still on.
    fn wait_exact_url(&self, url: &str) {
        wait_for(&format!("the browser to reach {url}"), PATIENCE, || {
            (self.url() == url).then_some(())
        });
    }

    fn resize(&self, width: u32, height: u32) {
        self.call(
            "POST",
            "/window/rect",
            json!({"width": width, "height": height}),
        );
    }

    fn screenshot(&self, name: &str) {
        let png = self.call("GET", "/screenshot", Value::Null);
        use base64_decode::decode;
        let bytes = decode(png.as_str().expect("base64 png"));
        assert!(bytes.starts_with(b"\x89PNG"), "{name} is not a PNG");
        let dir = if std::env::var("MOSAICO_UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
            workspace_root().join("docs/screenshots")
        } else {
            workspace_root().join("target/screenshots")
        };
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), bytes).expect("write screenshot");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.http.delete(self.base.clone()).send();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// A small standard base64 decoder, so the test needs no extra crate for screenshots.
mod base64_decode {
    pub fn decode(text: &str) -> Vec<u8> {
        let value = |c: u8| -> u32 {
            match c {
                b'A'..=b'Z' => u32::from(c - b'A'),
                b'a'..=b'z' => u32::from(c - b'a') + 26,
                b'0'..=b'9' => u32::from(c - b'0') + 52,
                b'+' => 62,
                b'/' => 63,
                _ => 0,
            }
        };
        let clean: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
        let mut out = Vec::with_capacity(clean.len() * 3 / 4);
        for chunk in clean.chunks(4) {
            let pads = chunk.iter().filter(|&&c| c == b'=').count();
            let n =
                chunk.iter().fold(0u32, |acc, &c| (acc << 6) | value(c)) << (6 * (4 - chunk.len()));
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            out.extend_from_slice(&bytes[..3 - pads]);
        }
        out
    }
}

/// Runs axe-core on the current page; returns the violations, one line each.
fn axe_violations(browser: &Browser, axe_source: &str) -> Vec<String> {
    browser.run(axe_source);
    let result = browser.run_async(
        "var done = arguments[arguments.length - 1];\
         axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})\
           .then(function (r) { if (!r.passes.length) { done(['axe checked nothing']); return; } done(r.violations.map(function (v) { return v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(function (n) { return n.target.join(' '); }).join(', '); })); })\
           .catch(function (e) { done(['axe failed: ' + e]); });",
    );
    result
        .as_array()
        .expect("violations")
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The bytes the current page and its resources took. A page without a navigation entry, or a
/// figure that is not a positive whole number, fails the test: read as 0 it would meet any
/// budget.
fn page_weight(browser: &Browser) -> u64 {
    let weight = browser.run(
        "var n = performance.getEntriesByType('navigation')[0];\
         if (!n) { return 'no navigation entry'; }\
         var total = n.transferSize || n.encodedBodySize;\
         performance.getEntriesByType('resource').forEach(function (r) { total += (r.transferSize || r.encodedBodySize); });\
         return total;",
    );
    weight
        .as_u64()
        .filter(|bytes| *bytes > 0)
        .unwrap_or_else(|| panic!("the page weight is {weight}, not a number of bytes"))
}

fn sign_in(browser: &Browser, node: &mosaico_e2e::Region) {
    browser.goto(&node.url("/signin"));
    browser.type_into("#token", &node.token());
    browser.click("form[action='/signin'] button[type=submit]");
    browser.wait_exact_url(&node.url("/publish"));
}

#[test]
fn staff_use_the_web_ui_in_a_real_browser() {
    let axe_path = workspace_root().join("tests/browser/node_modules/axe-core/axe.min.js");
    let axe_source = std::fs::read_to_string(&axe_path).unwrap_or_else(|e| {
        panic!(
            "{} is missing ({e}): run `npm ci` in tests/browser (scripts/test does)",
            axe_path.display()
        )
    });

    let mut federation = Federation::new(2, 0);
    let first = federation.regions[0].multiaddr();
    federation.regions[1].peers.push(first);
    federation.start(0);
    federation.start(1);
    let seed = [
        (
            "chatbot-urp",
            "Chatbot per l'ufficio relazioni con il pubblico",
        ),
        ("sportello-digitale", "Sportello digitale per le imprese"),
        ("sensori-aria", "Sensori per la qualità dell'aria"),
    ];
    let mut ids = Vec::new();
    for (slug, title) in seed {
        let file = federation.draft_file(&format!("{slug}.yaml"), &case_study_yaml(slug, title));
        ids.push(publish_file(&federation.regions[0], &file));
    }
    let (a, b) = (&federation.regions[0], &federation.regions[1]);
    // The search index is derived from the store and may trail a publish by a moment.
    wait_for(
        "the first node's search to list the seeded records",
        PATIENCE,
        || {
            let (_, list) = a.get("/api/v1/records?theme=citizens");
            (list["total"].as_u64() == Some(seed.len() as u64)).then_some(())
        },
    );
    let browser = Browser::start();

    // 1. Search, click a facet, open a record, switch its language.
    browser.goto(&a.url("/search?lang=en"));
    browser.click(".facets a[href*='theme=citizens']");
    browser.wait_url("theme=citizens");
    browser.find(".active-filters");
    browser.click(".results .card h3 a");
    browser.wait_url("/records/");
    let check = wait_for("the browser's own signature check", PATIENCE, || {
        let result = browser.run("var e = document.getElementById('browser-check'); return e && e.getAttribute('data-result');");
        result.as_str().map(str::to_owned)
    });
    assert_eq!(
        check, "ok",
        "Chromium's WebCrypto should verify the Ed25519 signature"
    );
    browser.click(".record-langs a[hreflang='it']");
    browser.wait_url("rlang=it");
    let h1_lang = browser.run("return document.querySelector('h1').getAttribute('lang');");
    assert_eq!(
        h1_lang,
        json!("it"),
        "the Italian text carries its lang attribute on an English page"
    );

    // 2. Sign in, publish through the form, see it on the second node.
    sign_in(&browser, a);
    browser.goto(&a.url("/publish?kind=case_study"));
    browser.type_into("#slug", "bike-sharing");
    browser.type_into("#title-0", "Bike sharing for commuters");
    browser.type_into(
        "#summary-0",
        "Shared bicycles at every station of the regional railway.",
    );
    browser.type_into("#organisation", "Regione Emilia-Romagna");
    browser.type_into("#country", "IT");
    browser.click("label[for='themes-9']");
    browser.click("#publish-button");
    let published = browser.wait_url("published=1");
    let id = published
        .split("/records/")
        .nth(1)
        .and_then(|rest| rest.split('?').next())
        .expect("id in URL")
        .to_owned();
    wait_for("the second node to hold the record", PATIENCE, || {
        b.has_record(&id).then_some(())
    });
    browser.goto(&b.url(&format!("/records/{id}?lang=en")));
    let title = browser.run("return document.querySelector('h1').textContent;");
    assert_eq!(title, json!("Bike sharing for commuters"));
    wait_for("the second node's search page to list it", PATIENCE, || {
        browser.goto(&b.url("/search?q=bicycles"));
        let html = browser.run("return document.body.innerHTML;");
        html.as_str()
            .is_some_and(|h| h.contains(&format!("/records/{id}")))
            .then_some(())
    });

    // 3. The publish form with the keyboard alone.
    browser.goto(&a.url("/publish?kind=best_practice"));
    for (control, text) in [
        ("slug", "open-meetings"),
        ("title-0", "Open council meetings"),
        (
            "summary-0",
            "Streaming and captioning every council meeting.",
        ),
        ("organisation", "Comune di Modena"),
        ("country", "IT"),
    ] {
        browser.tab_to(control);
        browser.press(text);
    }
    // Enter in a text field previews; then Tab to "Publish" and press Enter.
    browser.press(ENTER);
    wait_for("the preview", PATIENCE, || {
        browser
            .run("return !!document.querySelector('.preview');")
            .as_bool()
            .filter(|v| *v)
    });
    browser.tab_to("publish-button");
    browser.press(ENTER);
    browser.wait_url("published=1");

    // 4 and 5. Every page type in both languages: axe-core, 320 px reflow, weight, screenshots.
    let record = format!("/records/{}", ids[0]);
    let pages: Vec<(&str, String)> = vec![
        ("home", "/".into()),
        ("search", "/search?theme=citizens".into()),
        ("record", record.clone()),
        ("history", format!("{record}/history")),
        ("members", "/members".into()),
        ("concepts", "/concepts?q=tradu".into()),
        ("concept", "/concepts/machine-translation".into()),
        ("publish", "/publish".into()),
        ("publish-form", "/publish?kind=case_study".into()),
        ("edit", format!("{record}/edit")),
        ("retract", format!("{record}/retract")),
    ];
    let mut report = Vec::new();
    for lang in INTERFACE_LANGUAGES {
        for (name, path) in &pages {
            let separator = if path.contains('?') { '&' } else { '?' };
            browser.goto(&a.url(&format!("{path}{separator}lang={lang}")));
            let violations = axe_violations(&browser, &axe_source);
            assert!(
                violations.is_empty(),
                "axe finds violations on {name} ({lang}):\n{}",
                violations.join("\n")
            );
            let weight = page_weight(&browser);
            assert!(weight < 150 * 1024, "{name} ({lang}) weighs {weight} bytes");
            report.push(format!("{name} ({lang}): 0 violations, {weight} bytes"));
            if lang == "en" {
                browser.screenshot(name);
            }
        }
        // The form with its errors shown, and the sign-in page after signing out.
        browser.goto(&a.url(&format!("/publish?kind=case_study&lang={lang}")));
        browser.click("#publish-button");
        browser.find(".error-summary");
        let violations = axe_violations(&browser, &axe_source);
        assert!(
            violations.is_empty(),
            "axe finds violations on the form with errors ({lang}):\n{}",
            violations.join("\n")
        );
        if lang == "en" {
            browser.screenshot("publish-errors");
        }
    }
    browser.click("form[action='/signout'] button");
    browser.wait_exact_url(&a.url("/"));
    let signed_in = browser.run("return !!document.querySelector(\"form[action='/signout']\");");
    assert_eq!(
        signed_in,
        json!(false),
        "the home page still offers to sign out"
    );
    for lang in INTERFACE_LANGUAGES {
        browser.goto(&a.url(&format!("/signin?lang={lang}")));
        let violations = axe_violations(&browser, &axe_source);
        assert!(
            violations.is_empty(),
            "axe finds violations on sign-in ({lang}):\n{}",
            violations.join("\n")
        );
    }
    browser.screenshot("signin");

    // 320 px: nothing scrolls sideways.
    browser.resize(320, 800);
    for (name, path) in &pages[..5] {
        browser.goto(&a.url(path));
        let overflow = browser.run(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
        );
        let overflow = overflow
            .as_i64()
            .unwrap_or_else(|| panic!("{name}: the overflow is {overflow}, not a number"));
        assert!(
            overflow <= 0,
            "{name} scrolls sideways at 320 px by {overflow} px"
        );
    }
    browser.goto(&a.url("/search?theme=citizens"));
    browser.screenshot("search-320px");
    eprintln!("browser checks:\n{}", report.join("\n"));
}
