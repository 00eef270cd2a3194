//! Halyard's metrics, at the bottom of the crate stack so that storage,
//! engine and server can all record.
//!
//! Every series is pre-registered: process-wide ones when [`Metrics`] is
//! made, a table's when the table is first seen (held in an `Arc` in a
//! copy-on-write map, looked up by `&str`). Recording is a relaxed atomic
//! add — no lock, no allocation. [`Metrics::render`] writes the Prometheus
//! text format (0.0.4) at scrape time.
//!
//! The exposition is written by hand: the Rust Prometheus clients keep
//! labelled families in maps behind a lock and build a label set per
//! lookup, which the request path must not pay.

pub mod exposition;
pub mod primitives;
pub mod process;
mod render;
pub mod series;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use arc_swap::ArcSwap;

pub use exposition::CONTENT_TYPE;
pub use primitives::{Counter, FloatCounter, Gauge, Histogram};
pub use render::{EngineGauges, IndexGauges, TableGauges};
pub use series::{IndexSeries, Operation, OperationSeries, Outcome, TableSeries};

use primitives::{BATCH_SIZES, LATENCY_SECONDS, SHORT_WAIT_SECONDS};

/// The write path's series (crates/engine/src/writer).
#[derive(Debug)]
pub struct WriterSeries {
    /// Commands per committed batch.
    pub batch_size: Histogram,
    /// Time to commit a batch (with durability full, the fsync).
    pub commit_seconds: Histogram,
    /// Commands submitted and not yet taken by the writer.
    pub queue_depth: Gauge,
}

/// What reports the audit trail's backlog (records not yet in a log file).
pub type BacklogSource = Box<dyn Fn() -> u64 + Send + Sync>;

/// Every series of one server.
pub struct Metrics {
    enabled: bool,
    /// Requests that name no existing table (ListTables, Streams calls,
    /// refused requests).
    account: TableSeries,
    tables: ArcSwap<HashMap<Box<str>, Arc<TableSeries>>>,
    pub writer: WriterSeries,
    /// Waiting for a storage snapshot to read from.
    pub snapshot_wait: Histogram,
    audit_backlog: OnceLock<BacklogSource>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new(true)
    }
}

impl Metrics {
    /// `enabled: false` records nothing (for measuring what recording
    /// costs); series still exist, so callers need no second path.
    pub fn new(enabled: bool) -> Metrics {
        Metrics {
            enabled,
            account: TableSeries::default(),
            tables: ArcSwap::from_pointee(HashMap::new()),
            writer: WriterSeries {
                batch_size: Histogram::new(&BATCH_SIZES),
                commit_seconds: Histogram::new(&LATENCY_SECONDS),
                queue_depth: Gauge::default(),
            },
            snapshot_wait: Histogram::new(&SHORT_WAIT_SECONDS),
            audit_backlog: OnceLock::new(),
        }
    }

    /// Whether anything is recorded. Recording sites check it first.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The series of requests that name no table.
    pub fn account(&self) -> &TableSeries {
        &self.account
    }

    /// A known table's series, without allocating.
    pub fn table(&self, name: &str) -> Option<Arc<TableSeries>> {
        self.tables.load().get(name).cloned()
    }

    /// The series of `name`, created if this is its first sight. Only for
    /// tables that exist: the caller has checked, so that a client naming
    /// tables cannot create series.
    pub fn table_or_register(&self, name: &str) -> Arc<TableSeries> {
        if let Some(found) = self.table(name) {
            return found;
        }
        let mut registered = None;
        self.tables.rcu(|tables| {
            let mut tables = HashMap::clone(tables);
            let series = tables.entry(name.into()).or_default().clone();
            registered = Some(series);
            tables
        });
        registered.expect("rcu ran at least once")
    }

    /// Drops the series of tables that no longer exist.
    pub fn retain_tables(&self, exists: impl Fn(&str) -> bool) {
        if self.tables.load().keys().all(|name| exists(name)) {
            return;
        }
        self.tables.rcu(|tables| {
            let mut tables = HashMap::clone(tables);
            tables.retain(|name, _| exists(name));
            tables
        });
    }

    /// Sets where the audit backlog gauge is read from (once).
    pub fn set_audit_backlog(&self, source: BacklogSource) {
        let _ = self.audit_backlog.set(source);
    }

    fn audit_backlog(&self) -> Option<u64> {
        self.audit_backlog.get().map(|source| source())
    }

    fn tables_by_name(&self) -> Vec<(Box<str>, Arc<TableSeries>)> {
        let mut tables: Vec<_> = self
            .tables
            .load()
            .iter()
            .map(|(name, series)| (name.clone(), series.clone()))
            .collect();
        tables.sort_by(|a, b| a.0.cmp(&b.0));
        tables
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_is_registered_once_and_can_be_dropped() {
        let metrics = Metrics::new(true);
        assert!(metrics.table("t1").is_none());
        let first = metrics.table_or_register("t1");
        let second = metrics.table_or_register("t1");
        assert!(Arc::ptr_eq(&first, &second));
        metrics.table_or_register("t2");
        metrics.retain_tables(|name| name != "t1");
        assert!(metrics.table("t1").is_none());
        assert!(metrics.table("t2").is_some());
    }
}
