//! `mosaico run`: the daemon's settings from flags, environment and `mosaico.toml`, then the
//! library's `run` until SIGINT or SIGTERM.
//!
//! A flag or its environment variable wins over the file, and the file over the built-in
//! defaults; the merged settings reach the library as one plain [`RunOptions`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use libp2p::Multiaddr;
use mosaico_node::datadir::{DataDir, defaults};
use mosaico_node::run::RunOptions;

/// The arguments of `mosaico run`.
#[derive(Debug, Args)]
pub struct RunArgs {
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

/// Merges the settings, starts logging and runs the node on a multi-threaded runtime.
pub fn run(args: RunArgs) -> anyhow::Result<()> {
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
    runtime.block_on(mosaico_node::run::run(options, shutdown_signal()))
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

/// Parses the multiaddrs of one `mosaico.toml` setting, naming the setting in the error.
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

/// Starts the tracing subscriber on standard error; `MOSAICO_LOG` overrides the filter.
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

/// Resolves on the first SIGINT or SIGTERM, the signals an operator or a service manager sends
/// to stop the node cleanly.
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
