//! The scrape: every family, in the text format. Names follow Prometheus's
//! conventions and mirror DynamoDB's CloudWatch metrics (docs/metrics.md).

use std::sync::Arc;

use crate::exposition::{Exposition, Kind};
use crate::series::{OperationSeries, TableSeries};
use crate::{process, Metrics};

/// What the engine reports at scrape time (from its table stats, expiry
/// indexes and stream logs), not counted on the request path.
#[derive(Debug, Default)]
pub struct EngineGauges {
    pub tables: Vec<TableGauges>,
}

#[derive(Debug, Default)]
pub struct TableGauges {
    pub name: String,
    pub items: u64,
    pub size_bytes: u64,
    pub indexes: Vec<IndexGauges>,
    /// Items past their Time to Live not yet deleted (`None`: TTL off).
    pub ttl_backlog: Option<u64>,
    /// Age of the oldest stream record not yet trimmed (`None`: no stream
    /// records).
    pub stream_oldest_record_age_seconds: Option<f64>,
}

#[derive(Debug, Default)]
pub struct IndexGauges {
    pub name: String,
    pub items: u64,
    pub size_bytes: u64,
}

/// The operations CloudWatch reports ReturnedItemCount for.
const RETURNING_ITEMS: &[&str] = &["Query", "Scan", "ExecuteStatement"];

type OperationCounter = fn(&OperationSeries) -> u64;

const OPERATION_COUNTERS: &[(&str, &str, OperationCounter)] = &[
    (
        "halyard_requests_total",
        "Requests, by table and operation (requests naming no table have no table label).",
        |s| s.requests.get(),
    ),
    (
        "halyard_user_errors_total",
        "Requests refused with a 4xx other than those below (CloudWatch UserErrors).",
        |s| s.user_errors.get(),
    ),
    (
        "halyard_system_errors_total",
        "Requests that failed with a 5xx (CloudWatch SystemErrors).",
        |s| s.system_errors.get(),
    ),
    (
        "halyard_conditional_check_failed_requests_total",
        "Writes refused by their condition (CloudWatch ConditionalCheckFailedRequests).",
        |s| s.conditional_check_failed.get(),
    ),
    (
        "halyard_transaction_conflicts_total",
        "Requests refused for a conflict with a concurrent transaction (CloudWatch TransactionConflict).",
        |s| s.transaction_conflicts.get(),
    ),
    (
        "halyard_throttled_requests_total",
        "Requests refused for exceeding throughput limits (CloudWatch ThrottledRequests).",
        |s| s.throttled.get(),
    ),
];

impl Metrics {
    /// The whole exposition page.
    pub fn render(&self, gauges: &EngineGauges) -> String {
        let tables = self.tables_by_name();
        let mut page = Exposition::new();
        self.render_operations(&mut page, &tables);
        render_capacity(&mut page, &tables);
        render_table_gauges(&mut page, gauges);
        self.render_server(&mut page);
        page.finish()
    }

    fn render_operations(&self, page: &mut Exposition, tables: &[(Box<str>, Arc<TableSeries>)]) {
        let all = || {
            std::iter::once((None, &self.account))
                .chain(tables.iter().map(|(name, series)| (Some(&**name), &**series)))
                .flat_map(|(table, series)| {
                    series
                        .operations()
                        .filter(|(_, operation)| operation.requests.get() > 0)
                        .map(move |(name, operation)| (table, name, operation))
                })
        };
        for (family, help, counter) in OPERATION_COUNTERS {
            page.family(family, Kind::Counter, help);
            for (table, operation, series) in all() {
                page.sample(family, &labels(table, operation), counter(series) as f64);
            }
        }
        let family = "halyard_successful_request_latency_seconds";
        page.family(
            family,
            Kind::Histogram,
            "Time to serve successful requests, after authentication (CloudWatch SuccessfulRequestLatency).",
        );
        for (table, operation, series) in all() {
            page.histogram(family, &labels(table, operation), &series.successful_latency.snapshot());
        }
        let family = "halyard_returned_items_total";
        page.family(
            family,
            Kind::Counter,
            "Items returned by Query and Scan (CloudWatch ReturnedItemCount).",
        );
        for (table, operation, series) in all().filter(|(_, operation, _)| RETURNING_ITEMS.contains(operation)) {
            page.sample(family, &labels(table, operation), series.returned_items.get() as f64);
        }
    }

    fn render_server(&self, page: &mut Exposition) {
        let writer = &self.writer;
        page.family(
            "halyard_writer_batch_size",
            Kind::Histogram,
            "Commands committed per write batch (group commit).",
        );
        page.histogram("halyard_writer_batch_size", &[], &writer.batch_size.snapshot());
        page.family(
            "halyard_writer_commit_duration_seconds",
            Kind::Histogram,
            "Time to commit a write batch; with durability full this includes the fsync.",
        );
        page.histogram(
            "halyard_writer_commit_duration_seconds",
            &[],
            &writer.commit_seconds.snapshot(),
        );
        gauge(
            page,
            "halyard_writer_queue_depth",
            "Write commands waiting for the writer.",
            writer.queue_depth.get() as f64,
        );
        page.family(
            "halyard_read_snapshot_wait_seconds",
            Kind::Histogram,
            "Time a read waits for its storage snapshot.",
        );
        page.histogram(
            "halyard_read_snapshot_wait_seconds",
            &[],
            &self.snapshot_wait.snapshot(),
        );
        gauge(
            page,
            "halyard_open_connections",
            "Client connections open now, on every listener.",
            process::OPEN_CONNECTIONS.get() as f64,
        );
        if let Some(backlog) = self.audit_backlog() {
            gauge(
                page,
                "halyard_audit_backlog_records",
                "Audit records committed but not yet moved to a log file.",
                backlog as f64,
            );
        }
        if let Some(bytes) = process::resident_memory_bytes() {
            gauge(
                page,
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
                bytes as f64,
            );
        }
        if let Some(fds) = process::open_fds() {
            gauge(page, "process_open_fds", "Number of open file descriptors.", fds as f64);
        }
        if let Some(max) = process::max_fds() {
            gauge(
                page,
                "process_max_fds",
                "Maximum number of open file descriptors.",
                max as f64,
            );
        }
        page.family(
            "halyard_build_info",
            Kind::Gauge,
            "Always 1; the labels name the build.",
        );
        page.sample("halyard_build_info", &[("version", env!("CARGO_PKG_VERSION"))], 1.0);
    }
}

fn labels<'a>(table: Option<&'a str>, operation: &'a str) -> Vec<(&'a str, &'a str)> {
    match table {
        Some(table) => vec![("table", table), ("operation", operation)],
        None => vec![("operation", operation)],
    }
}

fn gauge(page: &mut Exposition, name: &str, help: &str, value: f64) {
    page.family(name, Kind::Gauge, help);
    page.sample(name, &[], value);
}

type CapacityValue = fn(&crate::series::CapacitySeries) -> f64;

const CAPACITY_FAMILIES: &[(&str, &str, CapacityValue)] = &[
    (
        "halyard_consumed_read_capacity_units_total",
        "Read capacity units consumed, by table and global secondary index (CloudWatch ConsumedReadCapacityUnits).",
        |c| c.consumed_read.get(),
    ),
    (
        "halyard_consumed_write_capacity_units_total",
        "Write capacity units consumed, by table and global secondary index (CloudWatch ConsumedWriteCapacityUnits).",
        |c| c.consumed_write.get(),
    ),
    (
        "halyard_read_throttle_events_total",
        "Reads refused for exceeding a table's or index's read throughput (CloudWatch ReadThrottleEvents).",
        |c| c.read_throttle_events.get() as f64,
    ),
    (
        "halyard_write_throttle_events_total",
        "Writes refused for exceeding a table's or index's write throughput (CloudWatch WriteThrottleEvents).",
        |c| c.write_throttle_events.get() as f64,
    ),
];

fn render_capacity(page: &mut Exposition, tables: &[(Box<str>, Arc<TableSeries>)]) {
    for (family, help, value) in CAPACITY_FAMILIES {
        page.family(family, Kind::Counter, help);
        for (name, series) in tables {
            page.sample(family, &[("table", name)], value(&series.capacity));
            for index in series.indexes().iter() {
                page.sample(
                    family,
                    &[("table", name), ("index", &index.name)],
                    value(&index.capacity),
                );
            }
        }
    }
}

fn render_table_gauges(page: &mut Exposition, gauges: &EngineGauges) {
    let tables = &gauges.tables;
    page.family(
        "halyard_table_items",
        Kind::Gauge,
        "Items in the table (DescribeTable ItemCount).",
    );
    for table in tables {
        page.sample("halyard_table_items", &[("table", &table.name)], table.items as f64);
    }
    page.family(
        "halyard_table_size_bytes",
        Kind::Gauge,
        "Size of the table's items (DescribeTable TableSizeBytes).",
    );
    for table in tables {
        page.sample(
            "halyard_table_size_bytes",
            &[("table", &table.name)],
            table.size_bytes as f64,
        );
    }
    page.family("halyard_index_items", Kind::Gauge, "Items in a secondary index.");
    for table in tables {
        for index in &table.indexes {
            let labels = [("table", table.name.as_str()), ("index", index.name.as_str())];
            page.sample("halyard_index_items", &labels, index.items as f64);
        }
    }
    page.family(
        "halyard_index_size_bytes",
        Kind::Gauge,
        "Size of a secondary index's items.",
    );
    for table in tables {
        for index in &table.indexes {
            let labels = [("table", table.name.as_str()), ("index", index.name.as_str())];
            page.sample("halyard_index_size_bytes", &labels, index.size_bytes as f64);
        }
    }
    page.family(
        "halyard_ttl_backlog_items",
        Kind::Gauge,
        "Items past their Time to Live not yet deleted (counted up to 100000).",
    );
    for table in tables {
        if let Some(backlog) = table.ttl_backlog {
            page.sample("halyard_ttl_backlog_items", &[("table", &table.name)], backlog as f64);
        }
    }
    page.family(
        "halyard_stream_oldest_record_age_seconds",
        Kind::Gauge,
        "Age of the oldest stream record not yet trimmed (retention plus the trimmer's lag).",
    );
    for table in tables {
        if let Some(age) = table.stream_oldest_record_age_seconds {
            page.sample(
                "halyard_stream_oldest_record_age_seconds",
                &[("table", &table.name)],
                age,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::series::{Operation, Outcome};
    use std::time::Duration;

    #[test]
    fn a_scrape_shows_what_was_recorded() {
        let metrics = Metrics::new(true);
        let table = metrics.table_or_register("t1");
        let get = table.operation(Operation::named("GetItem"));
        get.record(Outcome::Success, Duration::from_millis(2));
        get.record(Outcome::UserError, Duration::from_millis(2));
        table.capacity.consumed(false, 0.5);
        table.index("g1").capacity.consumed(true, 2.0);
        metrics
            .account()
            .operation(Operation::named("ListTables"))
            .record(Outcome::Success, Duration::ZERO);
        let gauges = EngineGauges {
            tables: vec![TableGauges {
                name: "t1".into(),
                items: 7,
                size_bytes: 300,
                ttl_backlog: Some(2),
                ..Default::default()
            }],
        };
        let text = metrics.render(&gauges);
        for line in [
            "halyard_requests_total{table=\"t1\",operation=\"GetItem\"} 2",
            "halyard_user_errors_total{table=\"t1\",operation=\"GetItem\"} 1",
            "halyard_requests_total{operation=\"ListTables\"} 1",
            "halyard_successful_request_latency_seconds_count{table=\"t1\",operation=\"GetItem\"} 1",
            "halyard_consumed_read_capacity_units_total{table=\"t1\"} 0.5",
            "halyard_consumed_write_capacity_units_total{table=\"t1\",index=\"g1\"} 2",
            "halyard_table_items{table=\"t1\"} 7",
            "halyard_ttl_backlog_items{table=\"t1\"} 2",
            "halyard_build_info{version=\"0.1.0\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
        // Operations never called have no series.
        assert!(!text.contains("operation=\"PutItem\""));
    }
}
