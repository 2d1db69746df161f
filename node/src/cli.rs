//! The command line: parse, dispatch, and turn every error into a sentence and a non-zero exit.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use libp2p::Multiaddr;
use mosaico_node::client::LocalNode;
use mosaico_node::datadir::{DataDir, FileConfig, defaults};
use mosaico_node::federation_file;
use mosaico_node::node::now_millis;
use mosaico_node::run::{RunOptions, run};
use mosaico_protocol::draft::Draft;
use mosaico_protocol::{Kind, Record, Unverified};
use serde_json::{Value, json};

/// Largest record file the CLI reads: a record is at most 64 KiB canonical, YAML a bit more.
const MAX_RECORD_FILE_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Parser)]
#[command(
    name = "mosaico",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("MOSAICO_GIT_COMMIT"), ")"),
    about = "A node of a Mosaico federation: regions sharing signed records of AI and data solutions, case studies and best practices.",
    long_about = None,
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a data directory: configuration, the node's network key, the region's publishing key and a local publish token.
    Init {
        /// The data directory to create.
        #[arg(long, env = "MOSAICO_DATA")]
        data: PathBuf,
        /// The region's name, e.g. "Emilia-Romagna".
        #[arg(long)]
        name: String,
        /// ISO 3166-1 alpha-2 country code, e.g. IT.
        #[arg(long)]
        country: Option<String>,
        /// NUTS 2021 region code, e.g. ITH5.
        #[arg(long)]
        nuts: Option<String>,
    },
    /// Create or inspect federation membership files.
    #[command(subcommand)]
    Federation(FederationCommand),
    /// Run the node: network, store and HTTP, until SIGINT or SIGTERM.
    Run(RunArgs),
    /// Start a three-region demo federation on this machine, with sample records, until Ctrl-C.
    Demo(crate::demo::DemoArgs),
    /// Sign a record (YAML or JSON draft, or a signed membership file) and publish it through the running node.
    Publish {
        /// The node's data directory.
        #[arg(long, env = "MOSAICO_DATA")]
        data: PathBuf,
        /// The record file.
        file: PathBuf,
    },
    /// Publish the signed retraction of one of the region's records.
    Retract {
        /// The node's data directory.
        #[arg(long, env = "MOSAICO_DATA")]
        data: PathBuf,
        /// The record's kind: solution, case_study, best_practice, endorsement.
        #[arg(long)]
        kind: String,
        /// The record's slug.
        #[arg(long)]
        slug: String,
    },
    /// Show the running node's state.
    Status(ClientArgs),
    /// List the running node's peers.
    Peers(ClientArgs),
    /// Show the region's keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Rebuild the search index from the store (the node must be stopped).
    Reindex(mosaico_node::search::command::ReindexArgs),
    /// Create, revoke and list API tokens (the node must be stopped).
    #[command(subcommand)]
    Token(mosaico_node::tokens::TokenCommand),
    /// Import publiccode.yml files or a Public Sector Tech Watch CSV through the running node.
    Import(mosaico_node::import::ImportArgs),
    /// Export the records as DCAT-AP 3.0.1 from the running node.
    Export(mosaico_node::export::ExportArgs),
}

#[derive(Debug, Subcommand)]
enum FederationCommand {
    /// Write a genesis membership document; its hash is the federation id.
    Create {
        /// The federation's name, e.g. dt4regions.
        #[arg(long)]
        name: String,
        /// A member: its data directory, or NAME=PUBLIC_KEY. Repeat for each member.
        #[arg(long = "member", required = true)]
        members: Vec<String>,
        /// Member signatures needed to change the membership later (default: a majority).
        #[arg(long)]
        threshold: Option<u32>,
        /// Where to write the document.
        #[arg(long)]
        out: PathBuf,
    },
    /// Print a membership file and its federation id.
    Show {
        /// The membership file.
        file: PathBuf,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Draw up the next membership version, signed by this region; other members add their signatures with `federation sign`.
    Update {
        /// This region's data directory (its key signs the update).
        #[arg(long, env = "MOSAICO_DATA")]
        data: PathBuf,
        /// The current membership file (the genesis, or the latest update).
        #[arg(long)]
        current: PathBuf,
        /// A member to add: data directory or NAME=PUBLIC_KEY. Repeatable.
        #[arg(long = "add")]
        add: Vec<String>,
        /// A member to remove, by public key. Repeatable.
        #[arg(long = "remove")]
        remove: Vec<String>,
        /// The new threshold (default: unchanged, capped at the new member count).
        #[arg(long)]
        threshold: Option<u32>,
        /// Where to write the update.
        #[arg(long)]
        out: PathBuf,
    },
    /// Add this region's signature to a membership update file, in place.
    Sign {
        /// This region's data directory.
        #[arg(long, env = "MOSAICO_DATA")]
        data: PathBuf,
        /// The update file.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Print the publishing key, its fingerprint and the node's peer id.
    Show(ClientArgs),
}

#[derive(Debug, Args)]
struct ClientArgs {
    /// The node's data directory.
    #[arg(long, env = "MOSAICO_DATA")]
    data: PathBuf,
    /// Print JSON for scripts.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// The node's data directory.
    #[arg(long, env = "MOSAICO_DATA")]
    data: PathBuf,
    /// The federation's genesis membership file.
    #[arg(long, env = "MOSAICO_FEDERATION")]
    federation: Option<PathBuf>,
    /// libp2p listen address; repeatable.
    #[arg(long, env = "MOSAICO_LISTEN", value_delimiter = ',')]
    listen: Vec<Multiaddr>,
    /// HTTP address for the API and web UI.
    #[arg(long, env = "MOSAICO_HTTP")]
    http: Option<SocketAddr>,
    /// A peer to connect to and keep connected; repeatable.
    #[arg(long = "peer", env = "MOSAICO_PEER", value_delimiter = ',')]
    peers: Vec<Multiaddr>,
    /// Log format: human or json.
    #[arg(long, env = "MOSAICO_LOG_FORMAT")]
    log_format: Option<String>,
    /// Seconds between catch-up rounds with each peer.
    #[arg(long, env = "MOSAICO_SYNC_INTERVAL")]
    sync_interval: Option<u64>,
    /// Most simultaneous libp2p connections.
    #[arg(long, env = "MOSAICO_MAX_CONNECTIONS")]
    max_connections: Option<u32>,
    /// An origin allowed to read the API from a browser, e.g. https://portal.example.org; repeatable.
    #[arg(
        long = "cors-origin",
        env = "MOSAICO_CORS_ORIGIN",
        value_delimiter = ','
    )]
    cors_origins: Vec<String>,
}

/// Runs the command line and maps failure to exit code 1 with the error chain as sentences.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  because: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn dispatch(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Init {
            data,
            name,
            country,
            nuts,
        } => init(&data, name, country, nuts),
        Command::Federation(command) => federation(command),
        Command::Run(args) => run_node(args),
        Command::Demo(args) => crate::demo::run(args),
        Command::Publish { data, file } => publish(&DataDir::new(data), &file),
        Command::Retract { data, kind, slug } => retract(&DataDir::new(data), &kind, &slug),
        Command::Status(args) => status(&args),
        Command::Peers(args) => peers(&args),
        Command::Key(KeyCommand::Show(args)) => key_show(&args),
        Command::Reindex(args) => Ok(mosaico_node::search::command::run(args)?),
        Command::Token(command) => Ok(mosaico_node::tokens::run(command)?),
        Command::Import(args) => Ok(mosaico_node::import::run(args)?),
        Command::Export(args) => Ok(mosaico_node::export::run(args)?),
    }
}

fn init(
    data: &Path,
    name: String,
    country: Option<String>,
    nuts: Option<String>,
) -> anyhow::Result<()> {
    if let Some(country) = &country
        && !mosaico_protocol::iso3166::is_country_code(country)
    {
        bail!("--country {country} is not an ISO 3166-1 alpha-2 code (e.g. IT, ES, BE, FI)");
    }
    if name.trim().is_empty() {
        bail!("--name must not be empty");
    }
    let mut random = [0u8; 96];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut random);
    let config = FileConfig {
        name,
        country,
        nuts,
        ..FileConfig::default()
    };
    let made = DataDir::new(data).init(&config, random)?;
    println!("created {}", data.display());
    println!("public key: {}", made.public_key);
    println!("fingerprint: {}", made.public_key.fingerprint());
    println!("peer id: {}", made.peer_id);
    println!(
        "next: share the public key with the federation, or create one with `mosaico federation create`"
    );
    Ok(())
}

fn federation(command: FederationCommand) -> anyhow::Result<()> {
    match command {
        FederationCommand::Create {
            name,
            members,
            threshold,
            out,
        } => {
            // Sign the genesis with the first member given as a local data directory, so people
            // can see who drew it up; the genesis needs no signature to be valid.
            let signer = members
                .iter()
                .find_map(|m| DataDir::new(m).publisher_key().ok());
            let members = members
                .iter()
                .map(|m| federation_file::parse_member(m))
                .collect::<Result<Vec<_>, _>>()?;
            let threshold = threshold.unwrap_or(members.len() as u32 / 2 + 1);
            let genesis =
                federation_file::genesis(&name, members, threshold, now_millis(), signer.as_ref())?;
            federation_file::write(&out, &genesis)?;
            println!("wrote {}", out.display());
            println!("federation id: {}", genesis.id());
            Ok(())
        }
        FederationCommand::Show { file, json } => {
            let record = federation_file::read(&file, now_millis())?;
            let membership = record
                .body()
                .membership
                .clone()
                .context("not a membership record")?;
            if json {
                let view = json!({
                    "federation_id": if record.header().version == 1 { Some(record.id().to_hex()) } else { None },
                    "record_id": record.id(),
                    "name": membership.name,
                    "version": record.header().version,
                    "threshold": membership.threshold,
                    "previous": membership.previous,
                    "members": membership.members,
                    "signatures": record.signatures(),
                });
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                if record.header().version == 1 {
                    println!("federation id: {}", record.id());
                } else {
                    println!(
                        "membership record: {} (version {})",
                        record.id(),
                        record.header().version
                    );
                }
                println!("name: {}", membership.name);
                println!(
                    "threshold: {} of {}",
                    membership.threshold,
                    membership.members.len()
                );
                for member in &membership.members {
                    let place = [member.country.as_deref(), member.nuts.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" ");
                    println!("  {}  {}  {}", member.key.fingerprint(), member.name, place);
                }
                println!("signatures: {}", record.signatures().len());
            }
            Ok(())
        }
        FederationCommand::Update {
            data,
            current,
            add,
            remove,
            threshold,
            out,
        } => {
            let current = federation_file::read(&current, now_millis())?;
            let fields = current
                .body()
                .membership
                .clone()
                .context("not a membership record")?;
            let mut members = fields.members;
            for given in &remove {
                let key: mosaico_protocol::PublicKey =
                    given.parse().with_context(|| format!("--remove {given}"))?;
                let before = members.len();
                members.retain(|m| m.key != key);
                if members.len() == before {
                    bail!("--remove {given}: no such member");
                }
            }
            for given in &add {
                let member = federation_file::parse_member(given)?;
                if members.iter().any(|m| m.key == member.key) {
                    bail!("--add {given}: already a member");
                }
                members.push(member);
            }
            let threshold = threshold
                .unwrap_or(fields.threshold)
                .min(members.len() as u32);
            let secret = DataDir::new(data).publisher_key()?;
            let update =
                federation_file::update(&current, members, threshold, now_millis(), &secret)?;
            federation_file::write(&out, &update)?;
            println!(
                "wrote {} (membership version {})",
                out.display(),
                update.header().version
            );
            println!(
                "it needs {} member signatures: each signs with `mosaico federation sign --data DIR {}`, then one publishes it with `mosaico publish`",
                fields.threshold,
                out.display()
            );
            Ok(())
        }
        FederationCommand::Sign { data, file } => {
            let record = federation_file::read(&file, now_millis())?;
            let secret = DataDir::new(data).publisher_key()?;
            let signed = record.cosign(&secret);
            federation_file::write(&file, &signed)?;
            println!(
                "{} now carries {} signatures",
                file.display(),
                signed.signatures().len()
            );
            Ok(())
        }
    }
}

fn run_node(args: RunArgs) -> anyhow::Result<()> {
    let data = DataDir::new(&args.data);
    let file = data.config()?;
    let log_format = args
        .log_format
        .or(file.log_format.clone())
        .unwrap_or_else(|| "human".into());
    init_logging(&log_format)?;
    let federation = args
        .federation
        .or(file.federation.clone())
        .context("no federation file: pass --federation FILE, set MOSAICO_FEDERATION, or set federation in mosaico.toml")?;
    let listen = if !args.listen.is_empty() {
        args.listen
    } else if !file.listen.is_empty() {
        parse_all(&file.listen, "listen")?
    } else {
        vec![defaults::LISTEN.parse()?]
    };
    check_listen_ports(&listen)?;
    let peers = if !args.peers.is_empty() {
        args.peers
    } else {
        parse_all(&file.peers, "peers")?
    };
    let http = match (args.http, &file.http) {
        (Some(http), _) => http,
        (None, Some(http)) => http.parse().with_context(|| {
            format!("http = \"{http}\" in mosaico.toml is not an address like 127.0.0.1:8080")
        })?,
        (None, None) => defaults::HTTP.parse()?,
    };
    let options = RunOptions {
        data,
        federation,
        listen,
        http,
        peers,
        sync_interval: Duration::from_secs(
            args.sync_interval
                .or(file.sync_interval_secs)
                .unwrap_or(defaults::SYNC_INTERVAL_SECS)
                .max(1),
        ),
        max_connections: args
            .max_connections
            .or(file.max_connections)
            .unwrap_or(defaults::MAX_CONNECTIONS),
        cors_origins: if args.cors_origins.is_empty() {
            file.cors_origins.clone()
        } else {
            args.cors_origins
        },
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(options, shutdown_signal()))
}

/// Refuses a libp2p listen port that another program holds. libp2p listens with SO_REUSEPORT
/// (so it can dial from its listening port), which lets a second node share a taken port
/// silently and receive half of the other's connections; a plain bind first makes it an error.
fn check_listen_ports(listen: &[Multiaddr]) -> anyhow::Result<()> {
    use libp2p::multiaddr::Protocol;
    for addr in listen {
        let mut parts = addr.iter();
        let ip: std::net::IpAddr = match parts.next() {
            Some(Protocol::Ip4(ip)) => ip.into(),
            Some(Protocol::Ip6(ip)) => ip.into(),
            _ => continue,
        };
        let Some(Protocol::Tcp(port)) = parts.next() else {
            continue;
        };
        if port == 0 {
            continue;
        }
        if let Err(error) = std::net::TcpListener::bind((ip, port))
            && error.kind() == std::io::ErrorKind::AddrInUse
        {
            bail!(
                "cannot listen for peers on {addr}: port {port} is in use (is another mosaico node running?). Choose another with --listen /ip4/0.0.0.0/tcp/PORT"
            );
        }
    }
    Ok(())
}

fn parse_all(values: &[String], name: &str) -> anyhow::Result<Vec<Multiaddr>> {
    values
        .iter()
        .map(|v| {
            v.parse().with_context(|| {
                format!(
                    "{name} = \"{v}\" in mosaico.toml is not a multiaddr like /ip4/1.2.3.4/tcp/7001"
                )
            })
        })
        .collect()
}

fn init_logging(format: &str) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MOSAICO_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,libp2p_gossipsub=error,libp2p_kad=warn")
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        "json" => builder.json().init(),
        "human" => builder.init(),
        other => bail!("log format \"{other}\" is not known: use human or json"),
    }
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {},
            _ = terminate.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

/// Turns a problem+json answer into an error listing every field problem.
fn problem(status: u16, body: &Value) -> anyhow::Error {
    let title = body
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or("request failed");
    let detail = body.get("detail").and_then(Value::as_str).unwrap_or("");
    let mut message = format!("the node refused it ({status} {title})");
    if !detail.is_empty() {
        message.push_str(&format!(": {detail}"));
    }
    if let Some(errors) = body.get("errors").and_then(Value::as_array) {
        for error in errors {
            let field = error.get("field").and_then(Value::as_str).unwrap_or("?");
            let text = error.get("message").and_then(Value::as_str).unwrap_or("?");
            message.push_str(&format!("\n  {field}: {text}"));
        }
    }
    anyhow::anyhow!(message)
}

/// Reads a record file as JSON or YAML (by extension, or by trying JSON first).
fn read_record_file(path: &Path) -> anyhow::Result<Value> {
    let metadata =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if metadata.len() > MAX_RECORD_FILE_BYTES {
        bail!(
            "{} is {} bytes; a record file is at most {} bytes",
            path.display(),
            metadata.len(),
            MAX_RECORD_FILE_BYTES
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let text = std::str::from_utf8(&bytes)
        .with_context(|| format!("{} is not UTF-8 text", path.display()))?;
    let is_json = path.extension().is_some_and(|e| e == "json");
    if is_json {
        return mosaico_protocol::canonical::parse_strict(text.as_bytes())
            .with_context(|| format!("{} is not valid JSON", path.display()));
    }
    let value: Value = serde_yaml::from_str(text)
        .with_context(|| format!("{} is not valid YAML", path.display()))?;
    mosaico_protocol::canonical::check_strict(&value)
        .with_context(|| format!("{}", path.display()))?;
    Ok(value)
}

fn publish(data: &DataDir, file: &Path) -> anyhow::Result<()> {
    let value = read_record_file(file)?;
    let is_envelope = value.get("record").is_some() && value.get("signatures").is_some();
    let body = if is_envelope {
        let wire = serde_json::to_vec(&value)?;
        Record::<Unverified>::decode(&wire)
            .with_context(|| format!("{} is not a valid signed record", file.display()))?;
        value
    } else {
        let draft = Draft::from_value(value).map_err(|e| {
            anyhow::anyhow!(
                "{} is not a valid record:\n  {}",
                file.display(),
                e.to_string().replace("; ", "\n  ")
            )
        })?;
        sign_draft(data, draft)?
    };
    let node = LocalNode::connect(data)?;
    let (status, answer) = node.post("/api/v1/records", &body)?.into_parts();
    if status != 201 {
        return Err(
            problem(status, &answer).context(format!("{} was not published", file.display()))
        );
    }
    let id = answer.get("id").and_then(Value::as_str).unwrap_or("?");
    let version = answer.get("version").and_then(Value::as_u64).unwrap_or(0);
    println!("published {id} (version {version}), stored durably");
    Ok(())
}

/// Signs a draft locally with the region's key as the next version after the node's head.
fn sign_draft(data: &DataDir, draft: Draft) -> anyhow::Result<Value> {
    let secret = data.publisher_key()?;
    // Check the record before asking the node anything, so every problem is listed at once even
    // when the slug is not usable in a URL.
    let trial = draft
        .clone()
        .into_unsigned(secret.public_key(), 1, now_millis());
    if let Ok(unsigned) = trial {
        Record::sign(unsigned, &secret).map_err(|e| {
            anyhow::anyhow!(
                "the record is not valid:\n  {}",
                e.to_string().replace("; ", "\n  ")
            )
        })?;
    }
    let node = LocalNode::connect(data)?;
    let path = format!(
        "/api/v1/records/{}/{}/{}",
        secret.public_key(),
        draft.kind(),
        draft.slug()
    );
    let (status, head) = node.get(&path)?.into_parts();
    let next = match status {
        200 => {
            head.pointer("/record/version")
                .and_then(Value::as_u64)
                .context("the node's answer has no version")?
                + 1
        }
        404 => 1,
        other => return Err(problem(other, &head)),
    };
    let unsigned = draft.into_unsigned(secret.public_key(), next, now_millis())?;
    let record = Record::sign(unsigned, &secret).map_err(|e| {
        anyhow::anyhow!(
            "the record is not valid:\n  {}",
            e.to_string().replace("; ", "\n  ")
        )
    })?;
    Ok(serde_json::from_slice(&record.to_wire())?)
}

fn retract(data: &DataDir, kind: &str, slug: &str) -> anyhow::Result<()> {
    let kind = Kind::parse(kind).map_err(|e| anyhow::anyhow!("--kind: {e}"))?;
    let secret = data.publisher_key()?;
    let node = LocalNode::connect(data)?;
    let (status, answer) = node
        .post(
            &format!(
                "/api/v1/records/{}/{}/{}/retract",
                secret.public_key(),
                kind,
                slug
            ),
            &json!({}),
        )?
        .into_parts();
    if status != 201 {
        return Err(problem(status, &answer).context(format!("{kind}/{slug} was not retracted")));
    }
    println!(
        "retracted {kind}/{slug}: {}",
        answer.get("id").and_then(Value::as_str).unwrap_or("?")
    );
    Ok(())
}

fn status(args: &ClientArgs) -> anyhow::Result<()> {
    let node = LocalNode::connect(&DataDir::new(&args.data))?;
    let (code, body) = node.get("/api/v1/status")?.into_parts();
    if code != 200 {
        return Err(problem(code, &body));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&body)?);
        return Ok(());
    }
    let field = |name: &str| {
        body.get(name)
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_string())
            })
            .unwrap_or_default()
    };
    println!("node: {}", field("node_name"));
    println!("ready: {}", field("ready"));
    println!("peer id: {}", field("peer_id"));
    println!("federation: {}", field("federation_id"));
    println!("records: {}", field("record_count"));
    println!("uptime: {} s", field("uptime_secs"));
    let peers = body
        .get("sync")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if peers.is_empty() {
        println!("catch-up: no peer yet");
    }
    for peer in peers {
        let number = |name: &str| peer.get(name).and_then(Value::as_u64);
        let last = match number("last_sync_at") {
            Some(at) => format!("{} s ago", now_millis().saturating_sub(at) / 1000),
            None => "never".to_owned(),
        };
        println!(
            "catch-up with {}: last {last}, {} records in ({} in all), {} behind then{}",
            peer.get("peer_id").and_then(Value::as_str).unwrap_or("?"),
            number("last_fetched").unwrap_or(0),
            number("total_fetched").unwrap_or(0),
            number("behind_by").unwrap_or(0),
            match number("failures") {
                Some(0) | None => String::new(),
                Some(n) => format!(", {n} failed rounds in a row"),
            },
        );
    }
    Ok(())
}

fn peers(args: &ClientArgs) -> anyhow::Result<()> {
    let node = LocalNode::connect(&DataDir::new(&args.data))?;
    let (code, body) = node.get("/api/v1/peers")?.into_parts();
    if code != 200 {
        return Err(problem(code, &body));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&body)?);
        return Ok(());
    }
    let list = body
        .get("peers")
        .or(Some(&body))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if list.is_empty() {
        println!(
            "no peers: check that the listen port is reachable from the other regions, or add --peer"
        );
    }
    for peer in list {
        println!(
            "{}  connected: {}  {}",
            peer.get("peer_id").and_then(Value::as_str).unwrap_or("?"),
            peer.get("connected")
                .map(Value::to_string)
                .unwrap_or_default(),
            peer.get("addresses")
                .map(Value::to_string)
                .unwrap_or_default()
        );
    }
    Ok(())
}

fn key_show(args: &ClientArgs) -> anyhow::Result<()> {
    let data = DataDir::new(&args.data);
    let secret = data.publisher_key()?;
    let peer_id = data.node_key()?.public().to_peer_id();
    let public = secret.public_key();
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &json!({"public_key": public, "fingerprint": public.fingerprint(), "peer_id": peer_id.to_string()})
            )?
        );
    } else {
        println!("public key: {public}");
        println!("fingerprint: {}", public.fingerprint());
        println!("peer id: {peer_id}");
    }
    Ok(())
}
