//! `mosaico demo`: a three-region federation on this machine, for a first look.
//!
//! The demo starts three real `mosaico run` processes (the same binary, as child processes)
//! rather than three nodes inside one process, so that what an evaluator sees is exactly what an
//! operator runs: one data directory, one key pair and one port pair per region, peering over
//! libp2p on loopback. It then publishes the sample records in `examples/demo/` (compiled into
//! the binary, so the demo works from any directory) through each region's HTTP API, prints the
//! web addresses and waits for Ctrl-C or SIGTERM, after which it stops the children with SIGTERM
//! and waits for each one, so nothing is left running.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use mosaico_node::datadir::DataDir;
use serde_json::Value;

/// How long one node may take to answer `/readyz` after it is started.
const READY_WITHIN: Duration = Duration::from_secs(90);
/// How long one node may take to exit after SIGTERM before it is killed.
const STOP_WITHIN: Duration = Duration::from_secs(30);
/// Written into the demo folder once the samples are published, so a reused folder is not
/// published into twice (that would make second versions of every sample).
const SAMPLES_MARKER: &str = "samples-published";
/// The genesis membership file inside the demo folder.
const GENESIS: &str = "federation.json";

/// Options of `mosaico demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder for the three data directories; reused when it already holds the demo, and kept at
    /// exit. Default: a temporary folder, removed at exit.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// First of six consecutive loopback ports: region N (0, 1, 2) listens for libp2p on
    /// BASE+2N and serves HTTP on BASE+2N+1.
    #[arg(long, default_value_t = 7100)]
    base_port: u16,
}

/// One demo region and the sample records it publishes.
struct DemoRegion {
    name: &'static str,
    country: &'static str,
    nuts: &'static str,
    folder: &'static str,
    samples: &'static [(&'static str, &'static str)],
}

const REGIONS: [DemoRegion; 3] = [
    DemoRegion {
        name: "Emilia-Romagna",
        country: "IT",
        nuts: "ITH5",
        folder: "emilia-romagna",
        samples: &[
            (
                "er-chatbot-urp.yaml",
                include_str!("../../../examples/demo/er-chatbot-urp.yaml"),
            ),
            (
                "er-cruscotto-qualita-dati.yaml",
                include_str!("../../../examples/demo/er-cruscotto-qualita-dati.yaml"),
            ),
            (
                "er-linee-guida-ia-appalti.yaml",
                include_str!("../../../examples/demo/er-linee-guida-ia-appalti.yaml"),
            ),
        ],
    },
    DemoRegion {
        name: "Catalunya",
        country: "ES",
        nuts: "ES51",
        folder: "catalunya",
        samples: &[
            (
                "ct-traductor-neuronal.yaml",
                include_str!("../../../examples/demo/ct-traductor-neuronal.yaml"),
            ),
            (
                "ct-prediccio-demanda-urgencies.yaml",
                include_str!("../../../examples/demo/ct-prediccio-demanda-urgencies.yaml"),
            ),
            (
                "ct-registre-algorismes.yaml",
                include_str!("../../../examples/demo/ct-registre-algorismes.yaml"),
            ),
        ],
    },
    DemoRegion {
        name: "Vlaanderen",
        country: "BE",
        nuts: "BE2",
        folder: "vlaanderen",
        samples: &[
            (
                "vl-anonimiseren-vonnissen.yaml",
                include_str!("../../../examples/demo/vl-anonimiseren-vonnissen.yaml"),
            ),
            (
                "vl-slimme-verkeerslichten.yaml",
                include_str!("../../../examples/demo/vl-slimme-verkeerslichten.yaml"),
            ),
            (
                "vl-datakluizen-burgers.yaml",
                include_str!("../../../examples/demo/vl-datakluizen-burgers.yaml"),
            ),
        ],
    },
];

/// A started region: its ports, data directory and process.
struct Running {
    region: &'static DemoRegion,
    data: PathBuf,
    http_port: u16,
    log: PathBuf,
    child: Option<Child>,
}

/// The demo folder; a temporary one is removed when this is dropped.
struct DemoFolder {
    path: PathBuf,
    temporary: bool,
}

impl Drop for DemoFolder {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Runs the demo until Ctrl-C or SIGTERM.
pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let stop = watch_for_stop_signals()?;
    let exe = std::env::current_exe()
        .context("cannot find the mosaico binary to start the three nodes with")?;
    let ports = ports(args.base_port)?;
    let folder = match args.dir {
        Some(path) => DemoFolder {
            path,
            temporary: false,
        },
        None => DemoFolder {
            path: std::env::temp_dir().join(format!("mosaico-demo-{}", std::process::id())),
            temporary: true,
        },
    };
    std::fs::create_dir_all(&folder.path)
        .with_context(|| format!("cannot create the demo folder {}", folder.path.display()))?;

    let samples: usize = REGIONS.iter().map(|r| r.samples.len()).sum();
    let progress = ProgressBar::new((REGIONS.len() * 2 + 1 + samples) as u64);
    progress.set_style(
        // The template is a constant checked by a unit test below.
        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    progress.enable_steady_tick(Duration::from_millis(120));

    for region in &REGIONS {
        progress.set_message(format!("preparing {}", region.name));
        prepare_region(&exe, &folder.path, region)?;
        progress.inc(1);
    }
    let genesis = folder.path.join(GENESIS);
    if !genesis.exists() {
        progress.set_message("writing the genesis membership document");
        let mut command = Command::new(&exe);
        command.args(["federation", "create", "--name", "mosaico-demo"]);
        for region in &REGIONS {
            command.arg("--member").arg(folder.path.join(region.folder));
        }
        command.arg("--out").arg(&genesis);
        run_quietly(command, "mosaico federation create")?;
    }
    progress.inc(1);

    let mut running: Vec<Running> = REGIONS
        .iter()
        .enumerate()
        .map(|(i, region)| Running {
            region,
            data: folder.path.join(region.folder),
            http_port: ports[i].1,
            log: folder.path.join(format!("{}.log", region.folder)),
            child: None,
        })
        .collect();
    let outcome = start_and_serve(
        &exe,
        &folder,
        &genesis,
        &ports,
        &mut running,
        &progress,
        &stop,
    );
    progress.finish_and_clear();
    let stopped = stop_all(&mut running);
    outcome?;
    stopped?;
    if folder.temporary {
        println!("stopped; removed {}", folder.path.display());
    } else {
        println!(
            "stopped; the data stays in {} (run the same command to start it again)",
            folder.path.display()
        );
    }
    Ok(())
}

/// Starts the nodes, publishes the samples and waits for a stop signal or a node's failure.
fn start_and_serve(
    exe: &Path,
    folder: &DemoFolder,
    genesis: &Path,
    ports: &[(u16, u16); 3],
    running: &mut [Running],
    progress: &ProgressBar,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    for (i, node) in running.iter_mut().enumerate() {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&node.log)
            .with_context(|| format!("cannot open {}", node.log.display()))?;
        let mut command = Command::new(exe);
        command
            .arg("run")
            .arg("--data")
            .arg(&node.data)
            .arg("--federation")
            .arg(genesis)
            .args(["--listen", &format!("/ip4/127.0.0.1/tcp/{}", ports[i].0)])
            .args(["--http", &format!("127.0.0.1:{}", ports[i].1)])
            .args(["--sync-interval", "5"]);
        for (j, (p2p, _)) in ports.iter().enumerate() {
            if j != i {
                command.args(["--peer", &format!("/ip4/127.0.0.1/tcp/{p2p}")]);
            }
        }
        for variable in [
            "MOSAICO_DATA",
            "MOSAICO_FEDERATION",
            "MOSAICO_LISTEN",
            "MOSAICO_HTTP",
            "MOSAICO_PEER",
        ] {
            command.env_remove(variable);
        }
        command
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        node.child = Some(
            command
                .spawn()
                .with_context(|| format!("cannot start the {} node", node.region.name))?,
        );
    }

    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    for node in running.iter_mut() {
        progress.set_message(format!("waiting for {} to be ready", node.region.name));
        wait_ready(&http, node, stop)?;
        progress.inc(1);
    }

    let marker = folder.path.join(SAMPLES_MARKER);
    if marker.exists() {
        progress.inc(running.iter().map(|n| n.region.samples.len() as u64).sum());
    } else {
        for node in running.iter() {
            let token = DataDir::new(&node.data).token()?;
            for (file, text) in node.region.samples {
                if stop.load(Ordering::SeqCst) {
                    return Ok(());
                }
                progress.set_message(format!("{} publishes {file}", node.region.name));
                publish_sample(&http, node.http_port, &token, file, text)?;
                progress.inc(1);
            }
        }
        std::fs::write(&marker, "the demo's sample records are published\n")
            .with_context(|| format!("cannot write {}", marker.display()))?;
    }
    progress.finish_and_clear();

    println!("Mosaico demo: three regions of one federation are running on this machine.");
    println!();
    for node in running.iter() {
        println!(
            "  {:<16} http://127.0.0.1:{}/",
            node.region.name, node.http_port
        );
    }
    println!();
    println!(
        "To publish, sign in on a region's page with its token (in {}/<region>/publisher.token),",
        folder.path.display()
    );
    println!("or from a terminal:");
    println!(
        "  mosaico publish --data {} examples/case-study.yaml",
        running[0].data.display()
    );
    println!("A record published in one region appears in the other two within seconds.");
    println!(
        "Logs: {}/*.log. Press Ctrl-C to stop the three nodes.",
        folder.path.display()
    );

    while !stop.load(Ordering::SeqCst) {
        for node in running.iter_mut() {
            if let Some(child) = node.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                node.child = None;
                bail!(
                    "the {} node stopped by itself ({status}); its log is {}",
                    node.region.name,
                    node.log.display()
                );
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}

/// Picks the six ports and checks that none is taken, naming the one that is.
fn ports(base: u16) -> anyhow::Result<[(u16, u16); 3]> {
    if base == 0 || base > u16::MAX - 5 {
        bail!("--base-port {base} leaves no room for six ports: pick one between 1024 and 65000");
    }
    let ports = [(base, base + 1), (base + 2, base + 3), (base + 4, base + 5)];
    for port in ports.iter().flat_map(|(a, b)| [*a, *b]) {
        if TcpListener::bind(("127.0.0.1", port)).is_err() {
            bail!(
                "port {port} on 127.0.0.1 is taken (is another demo running?): pass --base-port N to use N..N+5 instead"
            );
        }
    }
    Ok(ports)
}

/// Initialises a region's data directory unless the folder already holds it.
fn prepare_region(exe: &Path, folder: &Path, region: &DemoRegion) -> anyhow::Result<()> {
    let data = folder.join(region.folder);
    if DataDir::new(&data).config_path().exists() {
        return Ok(());
    }
    let mut command = Command::new(exe);
    command
        .arg("init")
        .arg("--data")
        .arg(&data)
        .args(["--name", region.name])
        .args(["--country", region.country])
        .args(["--nuts", region.nuts])
        .env_remove("MOSAICO_DATA");
    run_quietly(command, "mosaico init")
}

/// Runs a short command, showing its output only when it fails.
fn run_quietly(mut command: Command, what: &str) -> anyhow::Result<()> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {what}"))?;
    if !output.status.success() {
        bail!(
            "{what} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// Polls `/readyz` until it answers 200, the node exits, a stop signal comes, or time runs out.
fn wait_ready(
    http: &reqwest::blocking::Client,
    node: &mut Running,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + READY_WITHIN;
    let url = format!("http://127.0.0.1:{}/readyz", node.http_port);
    loop {
        if stop.load(Ordering::SeqCst) {
            bail!("stopped before {} was ready", node.region.name);
        }
        if let Some(child) = node.child.as_mut()
            && let Ok(Some(status)) = child.try_wait()
        {
            node.child = None;
            bail!(
                "the {} node exited during start ({status}):\n{}",
                node.region.name,
                log_tail(&node.log)
            );
        }
        if http
            .get(&url)
            .send()
            .is_ok_and(|r| r.status().as_u16() == 200)
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "{} was not ready after {} s; its log is {}",
                node.region.name,
                READY_WITHIN.as_secs(),
                node.log.display()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Publishes one sample draft (YAML, sent as JSON) with the region's publisher token.
fn publish_sample(
    http: &reqwest::blocking::Client,
    port: u16,
    token: &str,
    file: &str,
    text: &str,
) -> anyhow::Result<()> {
    let draft: Value = serde_yaml::from_str(text)
        .with_context(|| format!("the demo sample {file} is not valid YAML"))?;
    let response = http
        .post(format!("http://127.0.0.1:{port}/api/v1/records"))
        .bearer_auth(token)
        .json(&draft)
        .send()
        .with_context(|| {
            format!("cannot publish {file}: the node on port {port} does not answer")
        })?;
    let status = response.status().as_u16();
    if status != 201 {
        let body = response.text().unwrap_or_default();
        bail!("the node refused the demo sample {file} ({status}): {body}");
    }
    Ok(())
}

/// Sends SIGTERM to every running node, then waits for each; kills one that does not stop.
fn stop_all(running: &mut [Running]) -> anyhow::Result<()> {
    for node in running.iter_mut() {
        if let Some(child) = node.child.as_mut() {
            terminate(child);
        }
    }
    let mut failures = Vec::new();
    for node in running.iter_mut() {
        let Some(mut child) = node.child.take() else {
            continue;
        };
        let deadline = Instant::now() + STOP_WITHIN;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
            }
        };
        match status {
            Some(status) if status.success() => {}
            Some(status) => failures.push(format!(
                "{} exited with {status} (log: {})",
                node.region.name,
                node.log.display()
            )),
            None => failures.push(format!(
                "{} did not stop within {} s and was killed",
                node.region.name,
                STOP_WITHIN.as_secs()
            )),
        }
    }
    if !failures.is_empty() {
        bail!("not every node stopped cleanly: {}", failures.join("; "));
    }
    Ok(())
}

/// Asks a child to stop the way an operator would, with SIGTERM, so it flushes its store.
fn terminate(child: &mut Child) {
    // std has no portable way to send SIGTERM; the `kill` utility is on every Unix the node runs
    // on. Without it, fall back to SIGKILL: the store is crash-safe, only slower to reopen.
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !sent {
        let _ = child.kill();
    }
}

/// Installs handlers for SIGINT and SIGTERM and returns the flag they raise.
///
/// A small thread with its own runtime waits for the signals, so the rest of the demo can stay
/// plain blocking code; the handlers are installed before this returns, so a Ctrl-C during start
/// is never lost (and never kills the demo before it stops its children).
fn watch_for_stop_signals() -> anyhow::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    let raised = Arc::clone(&stop);
    let (installed_tx, installed_rx) = std::sync::mpsc::sync_channel::<Result<(), String>>(1);
    std::thread::spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(error) => {
                let _ = installed_tx.send(Err(error.to_string()));
                return;
            }
        };
        runtime.block_on(async move {
            use tokio::signal::unix::{SignalKind, signal};
            let (mut interrupt, mut terminate) = match (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            ) {
                (Ok(i), Ok(t)) => (i, t),
                (Err(e), _) | (_, Err(e)) => {
                    let _ = installed_tx.send(Err(e.to_string()));
                    return;
                }
            };
            let _ = installed_tx.send(Ok(()));
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
            raised.store(true, Ordering::SeqCst);
        });
    });
    match installed_rx.recv() {
        Ok(Ok(())) => Ok(stop),
        Ok(Err(error)) => bail!("cannot install the Ctrl-C handler: {error}"),
        Err(_) => bail!("cannot install the Ctrl-C handler"),
    }
}

/// The last lines of a node's log, for an error message.
fn log_tail(path: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut file) = std::fs::File::open(path) {
        let _ = file.read_to_string(&mut text);
    }
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_template_is_valid() {
        assert!(ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg}").is_ok());
    }

    #[test]
    fn every_sample_is_a_valid_draft_of_its_region() {
        for region in &REGIONS {
            assert!(region.samples.len() >= 3, "{} has few samples", region.name);
            for (file, text) in region.samples {
                let value: Value = serde_yaml::from_str(text).expect("sample is YAML");
                mosaico_protocol::canonical::check_strict(&value).expect("strict JSON values");
                assert_eq!(value["country"], region.country, "{file}");
                let draft = mosaico_protocol::draft::Draft::from_value(value)
                    .unwrap_or_else(|e| panic!("{file} is not a valid draft: {e}"));
                let key = mosaico_protocol::SecretKey::from_bytes([7u8; 32]);
                let unsigned = draft
                    .into_unsigned(key.public_key(), 1, 1_700_000_000_000)
                    .unwrap_or_else(|e| panic!("{file}: {e}"));
                mosaico_protocol::Record::sign(unsigned, &key)
                    .unwrap_or_else(|e| panic!("{file} does not validate: {e}"));
            }
        }
    }

    #[test]
    fn a_base_port_without_room_is_refused() {
        assert!(ports(65533).is_err());
        assert!(ports(0).is_err());
    }
}
