//! `mosaico run`: start every part of the node, serve until told to stop, stop cleanly.
//!
//! Start-up order matters: the store opens first (a locked or newer store stops the node before
//! it touches the network), the federation file is checked against the store, then the network
//! and HTTP come up and the node reports ready. Shutdown runs the other way: stop accepting HTTP
//! requests and gossip, let in-flight writes finish, stop the network, flush the store.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use libp2p::Multiaddr;
use mosaico_protocol::RecordId;
use mosaico_protocol::admission::GossipVerdict;
use mosaico_protocol::replication::ReplicationConfig;
use tokio::sync::{Semaphore, mpsc, watch};

use crate::backend::NodeBackend;
use crate::catch_up::{self, BulkCatchUps, CatchUp, CatchUpEvent, CatchUpStatus};
use crate::clock::now_millis;
use crate::datadir::DataDir;
use crate::federation_file;
use crate::ingest::{Ingest, Origin};
use crate::metrics::MetricsBuilder;
use crate::network::{self, GossipValidation, NetworkConfig, NetworkEvent, NetworkHandle};
use crate::node::{Node, RecordIntake};
use crate::store::{RecordStore, SledStore};

/// Gossip messages validated at once; beyond this the network's event channel fills and gossip
/// backs off, instead of the node queueing without bound.
const MAX_INFLIGHT_VALIDATIONS: usize = 64;

/// Everything `run` needs, after command line, environment and file are merged.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The data directory.
    pub data: DataDir,
    /// The genesis membership file.
    pub federation: PathBuf,
    /// libp2p listen addresses.
    pub listen: Vec<Multiaddr>,
    /// HTTP listen address.
    pub http: SocketAddr,
    /// Peers to keep connected.
    pub peers: Vec<Multiaddr>,
    /// Period of catch-up rounds.
    pub sync_interval: Duration,
    /// Most simultaneous connections.
    pub max_connections: u32,
    /// Origins allowed to read the API from a browser.
    pub cors_origins: Vec<String>,
}

/// Runs the node until `stop` resolves.
pub async fn run(options: RunOptions, stop: impl Future<Output = ()>) -> anyhow::Result<()> {
    let data = &options.data;
    let config = data.config()?;
    let genesis = federation_file::read(&options.federation, now_millis())?;
    let store = Arc::new(
        SledStore::open(&data.store_path())
            .with_context(|| format!("cannot open the store in {}", data.root().display()))?,
    );
    bind_federation(&store, &genesis)?;
    let ingest = Ingest::new(Arc::clone(&store), &genesis)
        .context("cannot rebuild the federation's trust state from the store")?;

    let mut metrics = MetricsBuilder::new();
    let mut network_config = NetworkConfig::new(data.node_key()?, genesis.id().to_hex());
    network_config.listen = options.listen.clone();
    network_config.peers = options.peers.clone();
    network_config.max_connections = options.max_connections;
    network_config.resync_interval = options.sync_interval;
    let (network, events, network_task) =
        network::spawn(network_config, metrics.registry()).context("cannot start the network")?;

    let intake = RecordIntake::new(ingest, metrics.freeze());
    let node = Node::new(
        config.name.clone(),
        data.publisher_key()?,
        intake.clone(),
        network.clone(),
    );
    let catch_up_status = CatchUpStatus::default();
    let bulk_catch_ups = BulkCatchUps::default();
    // Subscribed before the index is checked against the store, so no record stored from here
    // on escapes the index.
    let search_events = node.subscribe();
    // Loaded before anything listens, so a malformed scheme file stops the start with its path,
    // line and reason.
    let scheme = crate::search::load_scheme(data.root())?;
    let search = {
        let (dir, store) = (crate::search::index_dir(data.root()), Arc::clone(&store));
        tokio::task::spawn_blocking(move || crate::search::ensure_fresh(&dir, &*store, scheme))
            .await
            .context("the search index task failed")??
    };
    let search = Arc::new(search);
    let (stop_indexing, indexing_stop) = watch::channel(false);
    let indexer = crate::search::indexer::spawn(
        Arc::clone(&search),
        Arc::clone(&store),
        search_events,
        store.len()?,
        bulk_catch_ups.watch(),
        indexing_stop,
    )?;
    let listener = tokio::net::TcpListener::bind(options.http)
        .await
        .with_context(|| format!("cannot listen for HTTP on {}: is another program using that port? Choose another with --http", options.http))?;
    let http_addr = listener.local_addr()?;
    std::fs::write(data.addr_path(), format!("{http_addr}\n"))
        .with_context(|| format!("cannot write {}", data.addr_path().display()))?;

    let (stopping, stop_signal) = watch::channel(false);
    let router = mosaico_web::router_with(
        NodeBackend::new(node.clone(), Arc::clone(&search), catch_up_status.clone()),
        mosaico_web::RouterOptions {
            cors_origins: cors_origins(&options.cors_origins)?,
            write_rate: write_rate(&data.config()?),
        },
    );
    let mut http_stop = stop_signal.clone();
    let http = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = http_stop.wait_for(|s| *s).await;
            })
            .await
    });
    let replication_config = ReplicationConfig {
        resync_interval_ms: options.sync_interval.as_millis() as u64,
        ..ReplicationConfig::default()
    };
    let catch_up = CatchUp {
        intake: intake.clone(),
        network: network.clone(),
        metrics: intake.metrics().clone(),
        status: catch_up_status,
        bulk: bulk_catch_ups,
    };
    let (catch_up_events, catch_up_task) =
        catch_up::spawn(catch_up, replication_config, stop_signal.clone());
    let validations = Arc::new(Semaphore::new(MAX_INFLIGHT_VALIDATIONS));
    let events_task = tokio::spawn(dispatch_network_events(
        intake,
        network.clone(),
        events,
        catch_up_events,
        Arc::clone(&validations),
        stop_signal,
    ));

    node.set_ready(true);
    tracing::info!(
        name = %config.name,
        http = %http_addr,
        peer_id = %network.local_peer_id(),
        public_key = %node.public_key(),
        federation = %genesis.id(),
        records = store.len().unwrap_or(0),
        "node ready"
    );

    stop.await;
    tracing::info!("shutting down: no new requests, finishing writes in flight");
    node.set_ready(false);
    let _ = stopping.send(true);
    match http.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "HTTP server stopped with an error"),
        Err(e) => tracing::warn!(error = %e, "HTTP server task failed"),
    }
    let _ = events_task.await;
    let _ = catch_up_task.await;
    // Every validation holds a permit until its write is done: taking them all means none is left.
    let _drained = validations
        .acquire_many(MAX_INFLIGHT_VALIDATIONS as u32)
        .await;
    // No write is in flight any more: the indexer takes what is left and commits.
    let _ = stop_indexing.send(true);
    let _ = indexer.await;
    network.shutdown().await;
    let _ = network_task.await;
    store.set_meta("clean_shutdown", &now_millis().to_be_bytes())?;
    let _ = std::fs::remove_file(data.addr_path());
    tracing::info!("stopped");
    Ok(())
}

/// The configured CORS origins as header values; refuses what is not `scheme://host[:port]`.
fn cors_origins(origins: &[String]) -> anyhow::Result<Vec<axum::http::HeaderValue>> {
    origins
        .iter()
        .map(|origin| {
            let valid = (origin.starts_with("https://") || origin.starts_with("http://"))
                && !origin.trim_end_matches('/').contains(['?', '#', ' '])
                && origin.split("://").nth(1).is_some_and(|rest| !rest.is_empty() && !rest.contains('/'));
            if !valid {
                bail!("cors origin \"{origin}\" is not an origin like https://portal.example.org (scheme and host, no path)");
            }
            Ok(axum::http::HeaderValue::from_str(origin)?)
        })
        .collect()
}

/// A data directory belongs to one federation for life: refuse to mix two federations' records.
fn bind_federation(
    store: &SledStore,
    genesis: &mosaico_protocol::Record<mosaico_protocol::Verified>,
) -> anyhow::Result<()> {
    match store.meta("federation_id")? {
        Some(bound) if bound.as_slice() != genesis.id().as_bytes() => {
            let bound = <[u8; 32]>::try_from(bound.as_slice())
                .map(RecordId)
                .map(|id| id.to_hex())
                .unwrap_or_else(|_| "(damaged)".into());
            bail!(
                "this data directory belongs to federation {bound}, but the federation file is {}: use the federation file this node was started with, or a new data directory",
                genesis.id()
            );
        }
        Some(_) => {}
        None => {
            store.insert(genesis)?;
            store.set_meta("federation_id", genesis.id().as_bytes())?;
        }
    }
    Ok(())
}

/// Hands each network event to its owner: gossip to the intake (and the verdict back to the
/// network), catch-up requests to the store, connection news to the catch-up task.
async fn dispatch_network_events<S: RecordStore>(
    intake: RecordIntake<S>,
    network: NetworkHandle,
    mut events: mpsc::Receiver<NetworkEvent>,
    catch_up: mpsc::Sender<CatchUpEvent>,
    validations: Arc<Semaphore>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            _ = stop.wait_for(|s| *s) => None,
        };
        let Some(event) = event else { break };
        match event {
            NetworkEvent::GossipReceived {
                record_id,
                propagation_source,
                record,
            } => {
                let Ok(permit) = Arc::clone(&validations).acquire_owned().await else {
                    break;
                };
                let (intake, network) = (intake.clone(), network.clone());
                tokio::spawn(async move {
                    let outcome = intake
                        .receive(record, Some(RecordId(record_id)), Origin::Gossip)
                        .await;
                    let validation = match outcome.gossip_verdict() {
                        GossipVerdict::Accept => GossipValidation::Accept,
                        GossipVerdict::Ignore => GossipValidation::Ignore,
                        GossipVerdict::Reject => GossipValidation::Reject,
                    };
                    if validation == GossipValidation::Reject {
                        tracing::warn!(peer = %propagation_source, reason = outcome.label(), "rejected gossip from peer");
                    }
                    let _ = network
                        .report_validation(record_id, propagation_source, validation)
                        .await;
                    drop(permit);
                });
            }
            NetworkEvent::SyncRequest {
                peer,
                request,
                reply,
            } => {
                let store = Arc::clone(intake.store());
                tokio::spawn(async move {
                    let response = catch_up::answer(&*store, &request);
                    if reply.send(response).is_err() {
                        tracing::debug!(%peer, "sync requester went away before the answer");
                    }
                });
            }
            NetworkEvent::PeerConnected { peer, addr } => {
                tracing::info!(%peer, %addr, "peer connected");
                let _ = catch_up.send(CatchUpEvent::Connected(peer)).await;
            }
            NetworkEvent::ResyncDue { peer } => {
                let _ = catch_up.send(CatchUpEvent::RoundWanted(peer)).await;
            }
            NetworkEvent::PeerDisconnected { peer } => {
                tracing::info!(%peer, "peer disconnected");
                let _ = catch_up.send(CatchUpEvent::Disconnected(peer)).await;
            }
            NetworkEvent::ListenAddr(addr) => {
                tracing::info!(%addr, "listening for peers");
            }
        }
    }
}

/// The per-token write allowance: the defaults unless mosaico.toml raises them (bulk imports).
fn write_rate(config: &crate::datadir::FileConfig) -> mosaico_web::WriteRate {
    let default = mosaico_web::WriteRate::default();
    mosaico_web::WriteRate {
        burst: config.write_burst.unwrap_or(default.burst),
        per_second: config
            .write_rate_per_minute
            .map(|per_minute| f64::from(per_minute) / 60.0)
            .unwrap_or(default.per_second),
    }
}
