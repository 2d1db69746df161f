//! The end-to-end harness: start real `mosaico` processes on loopback, talk to them over HTTP and
//! the command line, and wait on conditions with a bound (never a bare sleep).
//!
//! The binary is the one cargo built next to the test executable (`scripts/test` builds it
//! first). Every node gets a temporary data directory, free loopback ports and a log file; a node
//! that fails a test prints its log tail so the failure can be understood.

use std::collections::BTreeSet;
use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long a condition may take before a test fails. Generous: CI machines are shared.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// The `mosaico` binary built next to this test executable.
pub fn mosaico_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> → target/<profile>/mosaico
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target directory");
    let bin = profile_dir.join("mosaico");
    assert!(
        bin.exists(),
        "{} is missing: build it first with `cargo build -p mosaico-node --bin mosaico` (scripts/test does)",
        bin.display()
    );
    bin
}

/// Runs `mosaico ARGS…` to completion.
pub fn mosaico(args: &[&str]) -> Output {
    Command::new(mosaico_bin())
        .args(args)
        .env_remove("MOSAICO_DATA")
        .output()
        .expect("run mosaico")
}

/// Runs `mosaico ARGS…` and asserts it succeeded, returning its standard output.
pub fn mosaico_ok(args: &[&str]) -> String {
    let output = mosaico(args);
    assert!(
        output.status.success(),
        "mosaico {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A free TCP port on loopback, for a node to bind later.
///
/// It is taken from below the kernel's range of ports for outgoing connections: a port the
/// kernel hands out for `:0` is in that range, where the nodes' own dialling could take it
/// between this check and the node's bind (a CI run once failed so). Below the range only
/// explicit binds take ports, and this process never hands out one port twice.
pub fn free_port() -> u16 {
    static HANDED_OUT: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    let dialling_from = dialling_ports_start();
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    if dialling_from > LOWEST {
        let span = u32::from(dialling_from - LOWEST);
        // Test binaries run one after another and each starts its own count: a start that
        // differs per process keeps them from retrying the same few ports.
        let start = std::process::id()
            ^ std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |t| t.subsec_nanos());
        for step in 0..span {
            let port = LOWEST + ((start.wrapping_add(step)) % span) as u16;
            if !handed_out.contains(&port) && TcpListener::bind(("127.0.0.1", port)).is_ok() {
                handed_out.insert(port);
                return port;
            }
        }
    }
    // No room below the range (an unusual kernel setting): any free port will do.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port");
    handed_out.insert(port);
    port
}

/// The lowest port [`free_port`] hands out.
const LOWEST: u16 = 10_000;

/// The first port of the kernel's range for outgoing connections.
fn dialling_ports_start() -> u16 {
    // A guessed default could hand out ports inside the real range, which is what this function
    // exists to avoid: an unreadable setting fails the test instead.
    let path = "/proc/sys/net/ipv4/ip_local_port_range";
    let range = fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    range
        .split_whitespace()
        .next()
        .and_then(|first| first.parse::<u16>().ok())
        .unwrap_or_else(|| panic!("{path} holds {range:?}, not a port range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_are_below_the_dialling_range_never_repeated_and_bindable() {
        let dialling_from = dialling_ports_start();
        assert!(
            dialling_from > LOWEST,
            "this kernel leaves no room below its range"
        );
        let ports: Vec<u16> = (0..1_000).map(|_| free_port()).collect();
        let distinct: BTreeSet<u16> = ports.iter().copied().collect();
        assert_eq!(distinct.len(), ports.len(), "a port was handed out twice");
        for port in ports {
            assert!(
                (LOWEST..dialling_from).contains(&port),
                "{port} is outside {LOWEST}..{dialling_from}"
            );
            assert!(
                TcpListener::bind(("127.0.0.1", port)).is_ok(),
                "{port} was handed out but cannot be bound"
            );
        }
    }
}

/// Polls `check` until it returns `Some`, or fails the test after `within` naming `what`.
pub fn wait_for<T>(what: &str, within: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    let mut pause = Duration::from_millis(10);
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {within:?} waiting for {what}"
        );
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(250));
    }
}

/// One region's node: its data directory, ports and process.
#[derive(Debug)]
pub struct Region {
    /// The region's name.
    pub name: String,
    /// Its data directory.
    pub data: PathBuf,
    /// Its libp2p port on 127.0.0.1.
    pub p2p_port: u16,
    /// Its HTTP port on 127.0.0.1.
    pub http_port: u16,
    /// Peers it is configured with.
    pub peers: Vec<String>,
    /// Whether the node logs JSON lines (benchmarks parse them) rather than human text.
    pub json_logs: bool,
    /// The network namespace the node runs in (None: the test's own, on loopback).
    pub netns: Option<String>,
    /// The address its libp2p listener binds.
    pub listen_ip: String,
    child: Option<Child>,
    log: PathBuf,
    http: reqwest::blocking::Client,
}

impl Region {
    /// `mosaico init` a new region under `root`.
    pub fn init(root: &Path, name: &str, country: &str, nuts: &str) -> Self {
        let data = root.join(name.to_lowercase().replace(' ', "-"));
        mosaico_ok(&[
            "init",
            "--data",
            data.to_str().expect("utf-8 path"),
            "--name",
            name,
            "--country",
            country,
            "--nuts",
            nuts,
        ]);
        Region {
            name: name.to_owned(),
            log: root.join(format!("{}.log", name.to_lowercase().replace(' ', "-"))),
            data,
            p2p_port: free_port(),
            http_port: free_port(),
            peers: Vec::new(),
            json_logs: false,
            netns: None,
            listen_ip: "127.0.0.1".to_owned(),
            child: None,
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("http client"),
        }
    }

    /// The data directory as a string argument.
    pub fn data_arg(&self) -> &str {
        self.data.to_str().expect("utf-8 path")
    }

    /// Its libp2p address.
    pub fn multiaddr(&self) -> String {
        format!("/ip4/{}/tcp/{}", self.listen_ip, self.p2p_port)
    }

    /// Its HTTP base URL.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.http_port)
    }

    /// The region's publishing key (hex), from `mosaico key show --json`.
    pub fn public_key(&self) -> String {
        let out = mosaico_ok(&["key", "show", "--data", self.data_arg(), "--json"]);
        let value: Value = serde_json::from_str(&out).expect("key show --json");
        value["public_key"].as_str().expect("public_key").to_owned()
    }

    /// The local publish token.
    pub fn token(&self) -> String {
        fs::read_to_string(self.data.join("publisher.token"))
            .expect("token")
            .trim()
            .to_owned()
    }

    /// Starts `mosaico run` and waits until `/readyz` answers 200.
    pub fn start(&mut self, federation: &Path) {
        assert!(self.child.is_none(), "{} is already running", self.name);
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log file");
        let mut command = self.command();
        command
            .args(["run", "--data", self.data_arg()])
            .args(["--federation", federation.to_str().expect("utf-8 path")])
            .args(["--listen", &self.multiaddr()])
            .args(["--http", &format!("127.0.0.1:{}", self.http_port)])
            .args(["--sync-interval", "2"])
            .env("MOSAICO_LOG", "info")
            .args([
                "--log-format",
                if self.json_logs { "json" } else { "human" },
            ])
            .env_remove("MOSAICO_DATA")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log);
        for peer in &self.peers {
            command.args(["--peer", peer]);
        }
        self.child = Some(command.spawn().expect("start mosaico run"));
        let name = self.name.clone();
        wait_for(&format!("{name} to be ready"), PATIENCE, || {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!(
                    "{name} exited with {status} during start:\n{}",
                    self.log_tail()
                );
            }
            // Before the node listens, a refused connection only means "not yet".
            matches!(self.try_get("/readyz"), Ok((200, _))).then_some(())
        });
    }

    /// A command running `mosaico` where the node runs (inside its namespace, if any).
    fn command(&self) -> Command {
        match &self.netns {
            None => Command::new(mosaico_bin()),
            Some(ns) => {
                let mut command = Command::new("ip");
                command.args(["netns", "exec", ns]).arg(mosaico_bin());
                command
            }
        }
    }

    /// Runs `mosaico ARGS…` beside the node (the CLI reaches the node's loopback HTTP address, so
    /// it must run in the same namespace) and asserts success.
    pub fn cli(&self, args: &[&str]) -> String {
        let output = self
            .command()
            .args(args)
            .env_remove("MOSAICO_DATA")
            .output()
            .expect("run mosaico");
        assert!(
            output.status.success(),
            "mosaico {args:?} failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Stops the node with SIGTERM and waits for it to exit cleanly.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = child.id().to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            let status = wait_for(&format!("{} to stop", self.name), PATIENCE, || {
                child.try_wait().ok().flatten()
            });
            assert!(
                status.success(),
                "{} exited with {status} on SIGTERM:\n{}",
                self.name,
                self.log_tail()
            );
        }
    }

    /// Kills the node with SIGKILL: no chance to flush or clean up.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-KILL", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }

    /// Processor time the running node has used so far, user and system, in seconds (read
    /// from /proc; None when it is not running).
    pub fn cpu_seconds(&self) -> Option<f64> {
        let pid = self.child.as_ref()?.id();
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // The command name, in parentheses, may hold spaces: fields are counted after it.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        // utime and stime are fields 14 and 15 of the whole line, in USER_HZ ticks, which the
        // kernel fixes at 100 per second for this interface.
        let ticks: u64 =
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        Some(ticks as f64 / 100.0)
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// The node's whole log.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The last lines of the node's log.
    pub fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// GET a JSON document; returns the status and the body (`Null` when it is not JSON).
    ///
    /// A node that does not answer at all fails the test: every caller expects a running node,
    /// and reading a refused connection as some status would let a check of absence pass
    /// against a node that is down.
    pub fn get(&self, path: &str) -> (u16, Value) {
        self.try_get(path).unwrap_or_else(|error| {
            panic!(
                "{} did not answer GET {path}: {error}\n{}",
                self.name,
                self.log_tail()
            )
        })
    }

    /// GET a JSON document, or why the node did not answer (refused, timed out), for the few
    /// callers to whom a silent node is an expected state, such as a node still starting.
    pub fn try_get(&self, path: &str) -> Result<(u16, Value), String> {
        let (status, body) = self.try_get_text(path)?;
        Ok((status, serde_json::from_str(&body).unwrap_or(Value::Null)))
    }

    /// GET any document as text, or why the node did not answer.
    fn try_get_text(&self, path: &str) -> Result<(u16, String), String> {
        if let Some(ns) = &self.netns {
            // The node's HTTP address is loopback inside its namespace: ask from there.
            let output = Command::new("ip")
                .args(["netns", "exec", ns, "curl", "-sS", "-m", "10"])
                .args(["-w", "\n%{http_code}", &self.url(path)])
                .output()
                .map_err(|e| format!("cannot run curl in {ns}: {e}"))?;
            // curl exits non-zero when no HTTP answer came (refused, timed out); an answer
            // with any status is exit 0.
            if !output.status.success() {
                return Err(format!(
                    "curl in {ns} exited with {}: {}",
                    output.status,
                    String::from_utf8_lossy(&output.stderr).trim()
                ));
            }
            let text = String::from_utf8_lossy(&output.stdout).into_owned();
            let (body, code) = text
                .rsplit_once('\n')
                .ok_or_else(|| format!("curl printed no status line: {text:?}"))?;
            let status = code
                .trim()
                .parse()
                .map_err(|_| format!("curl printed {code:?} for the status"))?;
            return Ok((status, body.to_owned()));
        }
        let response = self
            .http
            .get(self.url(path))
            .send()
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = response
            .text()
            .map_err(|e| format!("the body of a {status} answer broke off: {e}"))?;
        Ok((status, body))
    }

    /// POST a body with the region's publish token; returns the status and the body.
    pub fn post(
        &self,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::blocking::Body>,
    ) -> (u16, Value) {
        let response = self
            .http
            .post(self.url(path))
            .bearer_auth(self.token())
            .header("content-type", content_type)
            .body(body)
            .send()
            .expect("POST reaches the node");
        let status = response.status().as_u16();
        (status, response.json().unwrap_or(Value::Null))
    }

    /// Whether the node serves the record with this id: `true` on 200, `false` only when the
    /// node's record route itself answered 404 (a problem document saying it holds no such
    /// record). Any other answer, or none, fails the test, so that a check of absence cannot
    /// pass against a node that is down, starting, failing, or routing the path elsewhere.
    pub fn has_record(&self, id: &str) -> bool {
        let path = format!("/api/v1/records/{id}");
        match self.get(&path) {
            (200, body) => {
                assert!(
                    body["record"].is_object(),
                    "{}: GET {path} answered 200 without a record: {body}",
                    self.name
                );
                true
            }
            (404, body) => {
                // The router's fallback also answers 404 ("there is nothing at …"); only the
                // record handler's own answer means the record is absent.
                let detail = body["detail"].as_str().unwrap_or_default();
                assert!(
                    body["type"] == "urn:mosaico:problem:not-found"
                        && detail.contains("holds no record"),
                    "{}: GET {path} answered a 404 that is not the record route's: {body}",
                    self.name
                );
                false
            }
            (status, body) => panic!(
                "{}: GET {path} answered {status}, neither the record nor its absence: {body}",
                self.name
            ),
        }
    }

    /// Ids of the records a text query finds. Only a 200 answer with a list of items counts;
    /// anything else fails the test, so that an empty result proves the node found nothing.
    pub fn search(&self, query: &str) -> Vec<String> {
        let path = format!("/api/v1/records?q={query}&limit=100");
        let (status, body) = self.get(&path);
        assert_eq!(status, 200, "{}: GET {path} answered {body}", self.name);
        let items = body["items"].as_array().unwrap_or_else(|| {
            panic!(
                "{}: GET {path} answered 200 without items: {body}",
                self.name
            )
        });
        items
            .iter()
            .map(|item| {
                item["id"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{}: a search item has no id: {item}", self.name))
                    .to_owned()
            })
            .collect()
    }

    /// The node's record count from `/api/v1/status`; fails the test if it does not answer.
    pub fn record_count(&self) -> u64 {
        let (status, body) = self.get("/api/v1/status");
        assert_eq!(status, 200, "{}: /api/v1/status answered {body}", self.name);
        body["record_count"]
            .as_u64()
            .unwrap_or_else(|| panic!("{}: no record_count in {body}", self.name))
    }

    /// The node's metrics, read once; fails the test unless the node answers a whole
    /// exposition.
    pub fn metrics(&self) -> Metrics {
        let (status, text) = self.try_get_text("/metrics").unwrap_or_else(|error| {
            panic!(
                "{} did not answer GET /metrics: {error}\n{}",
                self.name,
                self.log_tail()
            )
        });
        assert_eq!(status, 200, "{}: /metrics answered {text}", self.name);
        // The OpenMetrics text ends with this line: without it the exposition was cut short.
        assert!(
            text.trim_end().ends_with("# EOF"),
            "{}: /metrics is not a whole exposition:\n{text}",
            self.name
        );
        Metrics { text }
    }
}

/// One reading of a node's Prometheus metrics.
#[derive(Debug, Clone)]
pub struct Metrics {
    text: String,
}

impl Metrics {
    /// The sum of every sample of a counter that `selector` picks: a name
    /// (`mosaico_sync_rounds_total`), a name with its whole label set (ending in `}`: one
    /// series), or a name with the start of its labels (`…_total{origin="local"`).
    ///
    /// The node only prints a labelled series once it has counted something, so a series that
    /// is absent reads 0 — but only when the node declares the counter at all: a renamed or
    /// removed metric fails the test instead of reading as zero. A value that is not a whole
    /// number fails it too.
    pub fn counter(&self, selector: &str) -> u64 {
        let name = selector.split('{').next().unwrap_or(selector);
        let family = name.strip_suffix("_total").unwrap_or(name);
        assert!(
            self.text
                .lines()
                .any(|line| line == format!("# TYPE {family} counter")),
            "the node declares no counter {family}:\n{}",
            self.text
        );
        self.text
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| line.rsplit_once(' '))
            .filter(|(series, _)| {
                series.split('{').next() == Some(name) && series.starts_with(selector)
            })
            .map(|(series, value)| {
                let number: f64 = value
                    .trim()
                    .parse()
                    .unwrap_or_else(|_| panic!("{series} has the value {value:?}"));
                assert!(
                    number >= 0.0 && number.fract() == 0.0,
                    "{series} has the value {value}, not a count"
                );
                number as u64
            })
            .sum()
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A federation of regions under one temporary directory.
#[derive(Debug)]
pub struct Federation {
    /// The temporary root (kept alive while the federation is).
    pub root: tempfile::TempDir,
    /// The regions.
    pub regions: Vec<Region>,
    /// The genesis membership file.
    pub genesis: PathBuf,
}

/// Regions used in tests: name, country, NUTS.
pub const REGIONS: &[(&str, &str, &str)] = &[
    ("Emilia-Romagna", "IT", "ITH5"),
    ("Catalunya", "ES", "ES51"),
    ("Vlaanderen", "BE", "BE2"),
    ("Helsinki-Uusimaa", "FI", "FI1B"),
    ("Wielkopolska", "PL", "PL41"),
    ("Bayern", "DE", "DE2"),
    ("Noord-Holland", "NL", "NL32"),
    ("Stockholm", "SE", "SE11"),
    ("Attiki", "GR", "EL30"),
    ("Lombardia", "IT", "ITC4"),
];

impl Federation {
    /// Creates `members` regions and a genesis naming them all; `extra` more regions are
    /// initialised but not members.
    pub fn new(members: usize, extra: usize) -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        let regions: Vec<Region> = REGIONS[..members + extra]
            .iter()
            .map(|(name, country, nuts)| Region::init(root.path(), name, country, nuts))
            .collect();
        let genesis = root.path().join("federation.json");
        let mut args = vec!["federation", "create", "--name", "dt4regions"];
        for region in &regions[..members] {
            args.extend(["--member", region.data_arg()]);
        }
        args.extend(["--out", genesis.to_str().expect("utf-8 path")]);
        mosaico_ok(&args);
        Federation {
            root,
            regions,
            genesis,
        }
    }

    /// Starts region `i`.
    pub fn start(&mut self, i: usize) {
        let genesis = self.genesis.clone();
        self.regions[i].start(&genesis);
    }

    /// Writes a draft file under the federation's root and returns its path.
    pub fn draft_file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.root.path().join(name);
        fs::write(&path, text).expect("write draft");
        path
    }
}

/// A minimal valid case-study draft in YAML.
pub fn case_study_yaml(slug: &str, title: &str) -> String {
    format!(
        "kind: case_study\nslug: {slug}\ntitle:\n  it: \"{title}\"\n  en: \"{title}\"\nsummary:\n  it: Un caso di prova.\n  en: A test case.\norganisation: Regione di prova\ncountry: IT\nthemes: [citizens]\n"
    )
}

/// Publishes a draft file with the CLI; returns the record id it printed.
pub fn publish_file(region: &Region, file: &Path) -> String {
    let out = mosaico_ok(&[
        "publish",
        "--data",
        region.data_arg(),
        file.to_str().expect("utf-8 path"),
    ]);
    out.split_whitespace()
        .nth(1)
        .filter(|id| id.len() == 64)
        .unwrap_or_else(|| panic!("publish printed no id: {out}"))
        .to_owned()
}

/// A network namespace the test created, deleted when dropped (also when the test panics).
/// Tests that cut links between nodes run them in namespaces joined by veth pairs, so no traffic
/// leaves the machine.
///
/// A value exists only for a namespace this process created, so dropping it never deletes a
/// namespace someone else made under the same name.
#[derive(Debug)]
pub struct Netns {
    /// Its name.
    pub name: String,
}

fn ip(args: &[&str]) {
    let status = Command::new("ip")
        .args(args)
        .status()
        .expect("run ip (iproute2)");
    assert!(
        status.success(),
        "ip {args:?} failed (these tests need root and iproute2)"
    );
}

/// 32 random bits, from the standard library's per-process random hash keys (the tests need
/// a name no other run picks, not a cryptographic secret).
fn random_suffix() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |t| t.as_nanos()),
    );
    hasher.finish() as u32
}

impl Netns {
    /// Creates a namespace with its loopback up, named `mosaico-<pid>-<random>-<label>` so that
    /// parallel runs, and earlier runs that were killed, never share a name. A name that is
    /// taken all the same fails the test; the namespace holding it is left alone.
    pub fn create_unique(label: &str) -> Self {
        let name = format!(
            "mosaico-{}-{:08x}-{label}",
            std::process::id(),
            random_suffix()
        );
        // `ip netns` keeps each namespace as a file named after it; stay far below NAME_MAX.
        assert!(name.len() <= 64, "namespace name {name} is too long");
        // `ip netns add` creates that file exclusively, so it refuses a name that exists.
        let output = Command::new("ip")
            .args(["netns", "add", &name])
            .output()
            .expect("run ip (iproute2)");
        assert!(
            output.status.success(),
            "ip netns add {name} failed (a namespace of that name exists, or this test lacks \
             root or iproute2): {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
        // From here on the guard owns the namespace: a failure below still deletes it.
        let netns = Netns { name };
        ip(&["-n", &netns.name, "link", "set", "lo", "up"]);
        netns
    }

    /// Joins two namespaces with a veth pair: `a_dev` with `a_addr` (CIDR) in `a`, `b_dev` with
    /// `b_addr` in `b`.
    pub fn link(a: &Netns, a_dev: &str, a_addr: &str, b: &Netns, b_dev: &str, b_addr: &str) {
        ip(&[
            "link", "add", a_dev, "netns", &a.name, "type", "veth", "peer", "name", b_dev, "netns",
            &b.name,
        ]);
        ip(&["-n", &a.name, "addr", "add", a_addr, "dev", a_dev]);
        ip(&["-n", &b.name, "addr", "add", b_addr, "dev", b_dev]);
        ip(&["-n", &a.name, "link", "set", a_dev, "up"]);
        ip(&["-n", &b.name, "link", "set", b_dev, "up"]);
    }

    /// Takes an interface of this namespace down or up.
    pub fn set_link(&self, dev: &str, up: bool) {
        ip(&[
            "-n",
            &self.name,
            "link",
            "set",
            dev,
            if up { "up" } else { "down" },
        ]);
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Nothing more can be done about a failed delete while dropping (perhaps unwinding
        // from a panic already); say so, so that a leaked namespace can be found.
        let deleted = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status()
            .is_ok_and(|status| status.success());
        if !deleted {
            eprintln!("could not delete network namespace {}", self.name);
        }
    }
}

/// The Public Sector Tech Watch cases (`../shared/data/pstw/`, read in place), each made a draft
/// by the node's own importer: real case studies for benchmarks, about 1,800 of them.
pub fn pstw_drafts() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/pstw/PSTW_Dataset_Jun2025.csv");
    let bytes = fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (benchmarks read the shared data folder next to the project)",
            path.display()
        )
    });
    let parsed = mosaico_import::pstw::parse(&bytes).expect("the PSTW export parses");
    parsed
        .rows
        .into_iter()
        .filter_map(|row| match row {
            mosaico_import::pstw::Row::Draft { draft, .. } => Some(draft),
            mosaico_import::pstw::Row::Rejected { .. } => None,
        })
        .collect()
}

/// Bare Ed25519 verification, the reference ingest is measured against: `verify_strict` of
/// ed25519-dalek itself over each record's signed message, keys decompressed beforehand, on
/// the calling thread. Returns microseconds per signature. Panics if a signature fails, so the
/// reference cannot be flattered by a short cut.
pub fn bare_verify_micros(records: &[mosaico_protocol::Record<mosaico_protocol::Verified>]) -> f64 {
    let prepared: Vec<_> = records
        .iter()
        .map(|record| {
            let signature = &record.signatures()[0];
            let key = ed25519_dalek::VerifyingKey::from_bytes(signature.key.as_bytes())
                .expect("a valid key");
            let signature = ed25519_dalek::Signature::from_bytes(&signature.signature.0);
            (key, record.id().signed_message(), signature)
        })
        .collect();
    let started = Instant::now();
    for (key, message, signature) in &prepared {
        assert!(key.verify_strict(message, signature).is_ok());
    }
    started.elapsed().as_secs_f64() * 1e6 / prepared.len() as f64
}
