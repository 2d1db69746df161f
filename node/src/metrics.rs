//! Prometheus metrics: libp2p's own (registered by the network layer) and the node's.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::ingest::Origin;

/// Labels of the ingest counter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct IngestLabels {
    /// `gossip`, `sync` or `local`.
    pub origin: &'static str,
    /// `stored`, `not_new`, `deferred`, or the refusal reason (`bad_signature`, `not_authorised`…).
    pub outcome: &'static str,
}

/// The node's metrics and the registry they are exposed from.
#[derive(Debug, Clone)]
pub struct NodeMetrics {
    registry: Arc<Registry>,
    ingested: Family<IngestLabels, Counter>,
    store_records: Gauge,
    store_bytes: Gauge,
    sync: SyncCounters,
}

/// Counters of catch-up rounds.
#[derive(Debug, Clone, Default)]
struct SyncCounters {
    rounds: Family<RoundLabels, Counter>,
    bytes_in: Counter,
    bytes_out: Counter,
    records: Counter,
}

/// Labels of the sync round counter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct RoundLabels {
    /// `completed`, `failed` or `misbehaved`.
    pub result: &'static str,
}

/// Builds the node's metrics in `registry`; the network layer registers its own there too before
/// [`NodeMetrics::freeze`] makes the registry read-only.
#[derive(Debug)]
pub struct MetricsBuilder {
    registry: Registry,
    ingested: Family<IngestLabels, Counter>,
    store_records: Gauge,
    store_bytes: Gauge,
    sync: SyncCounters,
}

impl MetricsBuilder {
    /// Registers the node's metrics under the `mosaico` prefix.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("mosaico");
        let ingested = Family::<IngestLabels, Counter>::default();
        registry.register(
            "records_ingested",
            "Records that reached the node, by door and outcome (stored, or why not)",
            ingested.clone(),
        );
        let store_records = Gauge::default();
        registry.register(
            "store_records",
            "Records in the store, all versions",
            store_records.clone(),
        );
        let store_bytes = Gauge::default();
        registry.register(
            "store_bytes",
            "Bytes the store takes on disk",
            store_bytes.clone(),
        );
        let sync = SyncCounters::default();
        registry.register(
            "sync_rounds",
            "Catch-up rounds, by result",
            sync.rounds.clone(),
        );
        registry.register(
            "sync_bytes_received",
            "Bytes received in catch-up rounds",
            sync.bytes_in.clone(),
        );
        registry.register(
            "sync_bytes_sent",
            "Bytes sent in catch-up rounds",
            sync.bytes_out.clone(),
        );
        registry.register(
            "sync_records_fetched",
            "Records stored through catch-up",
            sync.records.clone(),
        );
        MetricsBuilder {
            registry,
            ingested,
            store_records,
            store_bytes,
            sync,
        }
    }

    /// The registry, for the network layer to add libp2p's metrics.
    pub fn registry(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// Finishes registration.
    pub fn freeze(self) -> NodeMetrics {
        NodeMetrics {
            registry: Arc::new(self.registry),
            ingested: self.ingested,
            store_records: self.store_records,
            store_bytes: self.store_bytes,
            sync: self.sync,
        }
    }
}

impl Default for MetricsBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl NodeMetrics {
    /// Counts one ingest outcome.
    pub fn record_outcome(&self, origin: Origin, outcome: &'static str) {
        let origin = match origin {
            Origin::Gossip => "gossip",
            Origin::Sync => "sync",
            Origin::Local => "local",
        };
        self.ingested
            .get_or_create(&IngestLabels { origin, outcome })
            .inc();
    }

    /// Counts a catch-up round.
    pub fn record_sync(
        &self,
        result: &mosaico_protocol::replication::RoundResult,
        report: &mosaico_protocol::replication::SessionReport,
        bytes_in: usize,
        bytes_out: usize,
    ) {
        use mosaico_protocol::replication::RoundResult;
        let result = match result {
            RoundResult::Completed { .. } => "completed",
            RoundResult::Failed => "failed",
            RoundResult::Misbehaved => "misbehaved",
        };
        self.sync
            .rounds
            .get_or_create(&RoundLabels { result })
            .inc();
        self.sync.bytes_in.inc_by(bytes_in as u64);
        self.sync.bytes_out.inc_by(bytes_out as u64);
        self.sync.records.inc_by(report.stored);
    }

    /// How many records reached this node with this origin and outcome.
    pub fn ingested(&self, origin: &'static str, outcome: &'static str) -> u64 {
        self.ingested
            .get_or_create(&IngestLabels { origin, outcome })
            .get()
    }

    /// Renders the Prometheus text exposition, after refreshing the store gauges.
    pub fn render(&self, store_records: u64, store_bytes: u64) -> String {
        self.store_records
            .set(i64::try_from(store_records).unwrap_or(i64::MAX));
        self.store_bytes
            .set(i64::try_from(store_bytes).unwrap_or(i64::MAX));
        let mut out = String::new();
        // Encoding into a String only fails if a metric's own encoder fails, which the
        // prometheus-client types never do.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
