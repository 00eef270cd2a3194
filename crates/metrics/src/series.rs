//! The per-table series (CloudWatch's TableName and Operation dimensions)
//! and per global secondary index series (GlobalSecondaryIndexName).

use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::primitives::{Counter, FloatCounter, Histogram, LATENCY_SECONDS};

/// Every operation with series of its own; anything else counts as
/// `Other`. A fixed list, so that a client cannot create series.
pub const OPERATIONS: &[&str] = &[
    "BatchGetItem",
    "BatchWriteItem",
    "CreateTable",
    "DeleteItem",
    "DeleteResourcePolicy",
    "DeleteTable",
    "DescribeContinuousBackups",
    "DescribeEndpoints",
    "DescribeLimits",
    "DescribeStream",
    "DescribeTable",
    "DescribeTimeToLive",
    "ExecuteStatement",
    "BatchExecuteStatement",
    "ExecuteTransaction",
    "GetItem",
    "GetRecords",
    "GetResourcePolicy",
    "GetShardIterator",
    "ListStreams",
    "ListTables",
    "ListTagsOfResource",
    "PutItem",
    "PutResourcePolicy",
    "Query",
    "Scan",
    "TagResource",
    "TransactGetItems",
    "TransactWriteItems",
    "UntagResource",
    "UpdateItem",
    "UpdateTable",
    "UpdateTimeToLive",
    "Other",
];

/// An operation's place in [`OPERATIONS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation(usize);

impl Operation {
    /// The operation named `name` (an `X-Amz-Target` suffix), or `Other`.
    pub fn named(name: &str) -> Operation {
        Operation(
            OPERATIONS
                .iter()
                .position(|known| *known == name)
                .unwrap_or(OPERATIONS.len() - 1),
        )
    }

    pub fn name(self) -> &'static str {
        OPERATIONS[self.0]
    }
}

/// How a request ended, as CloudWatch sorts them: each failure counts in
/// exactly one of the error metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// A 4xx not counted below (CloudWatch's UserErrors).
    UserError,
    /// A 5xx (SystemErrors).
    SystemError,
    ConditionalCheckFailed,
    TransactionConflict,
    /// ProvisionedThroughputExceeded, RequestLimitExceeded, Throttling.
    Throttled,
}

/// One operation's series on one table (or on no table).
#[derive(Debug)]
pub struct OperationSeries {
    pub requests: Counter,
    pub successful_latency: Histogram,
    pub user_errors: Counter,
    pub system_errors: Counter,
    pub conditional_check_failed: Counter,
    pub transaction_conflicts: Counter,
    pub throttled: Counter,
    pub returned_items: Counter,
}

impl OperationSeries {
    fn new() -> OperationSeries {
        OperationSeries {
            requests: Counter::default(),
            successful_latency: Histogram::new(&LATENCY_SECONDS),
            user_errors: Counter::default(),
            system_errors: Counter::default(),
            conditional_check_failed: Counter::default(),
            transaction_conflicts: Counter::default(),
            throttled: Counter::default(),
            returned_items: Counter::default(),
        }
    }

    pub fn record(&self, outcome: Outcome, latency: std::time::Duration) {
        self.requests.inc();
        match outcome {
            Outcome::Success => self.successful_latency.observe_duration(latency),
            Outcome::UserError => self.user_errors.inc(),
            Outcome::SystemError => self.system_errors.inc(),
            Outcome::ConditionalCheckFailed => self.conditional_check_failed.inc(),
            Outcome::TransactionConflict => self.transaction_conflicts.inc(),
            Outcome::Throttled => self.throttled.inc(),
        }
    }
}

/// Capacity consumed by, and throttle events of, a table or an index.
#[derive(Debug, Default)]
pub struct CapacitySeries {
    pub consumed_read: FloatCounter,
    pub consumed_write: FloatCounter,
    pub read_throttle_events: Counter,
    pub write_throttle_events: Counter,
}

impl CapacitySeries {
    pub fn consumed(&self, write: bool, units: f64) {
        if write {
            self.consumed_write.add(units);
        } else {
            self.consumed_read.add(units);
        }
    }

    pub fn throttled(&self, write: bool) {
        if write {
            self.write_throttle_events.inc();
        } else {
            self.read_throttle_events.inc();
        }
    }
}

/// A global secondary index's series.
#[derive(Debug)]
pub struct IndexSeries {
    pub name: Box<str>,
    pub capacity: CapacitySeries,
}

/// Everything recorded about one table. Created once, when the table is
/// first seen; the request path only looks it up.
#[derive(Debug)]
pub struct TableSeries {
    operations: Box<[OperationSeries]>,
    pub capacity: CapacitySeries,
    /// Copied on write: a new index is rare, a lookup is every request.
    indexes: ArcSwap<Vec<Arc<IndexSeries>>>,
}

impl Default for TableSeries {
    fn default() -> Self {
        TableSeries {
            operations: OPERATIONS.iter().map(|_| OperationSeries::new()).collect(),
            capacity: CapacitySeries::default(),
            indexes: ArcSwap::from_pointee(Vec::new()),
        }
    }
}

impl TableSeries {
    pub fn operation(&self, operation: Operation) -> &OperationSeries {
        &self.operations[operation.0]
    }

    /// Each operation with its series, in [`OPERATIONS`] order.
    pub fn operations(&self) -> impl Iterator<Item = (&'static str, &OperationSeries)> {
        OPERATIONS.iter().copied().zip(self.operations.iter())
    }

    /// The series of the global index `name` (one of the table's own, so
    /// their number is bounded by the definition), created when first seen.
    pub fn index(&self, name: &str) -> Arc<IndexSeries> {
        if let Some(found) = self.indexes.load().iter().find(|index| &*index.name == name) {
            return found.clone();
        }
        let mut created = None;
        self.indexes.rcu(|indexes| {
            let mut indexes = Vec::clone(indexes);
            match indexes.iter().find(|index| &*index.name == name) {
                Some(found) => created = Some(found.clone()),
                None => {
                    let index = Arc::new(IndexSeries {
                        name: name.into(),
                        capacity: CapacitySeries::default(),
                    });
                    created = Some(index.clone());
                    indexes.push(index);
                }
            }
            indexes
        });
        created.expect("rcu ran at least once")
    }

    pub fn indexes(&self) -> Arc<Vec<Arc<IndexSeries>>> {
        self.indexes.load_full()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_operations_share_one_series() {
        assert_eq!(Operation::named("GetItem").name(), "GetItem");
        assert_eq!(Operation::named("NoSuchThing").name(), "Other");
        assert_eq!(Operation::named("NoSuchThing"), Operation::named("Another"));
    }

    #[test]
    fn an_index_series_is_created_once() {
        let table = TableSeries::default();
        table.index("byColour").capacity.consumed(false, 0.5);
        table.index("byColour").capacity.consumed(false, 1.0);
        table.index("bySize").capacity.throttled(true);
        let indexes = table.indexes();
        assert_eq!(indexes.len(), 2);
        assert_eq!(indexes[0].capacity.consumed_read.get(), 1.5);
        assert_eq!(indexes[1].capacity.write_throttle_events.get(), 1);
    }

    #[test]
    fn each_outcome_counts_in_one_metric() {
        let series = OperationSeries::new();
        let latency = std::time::Duration::from_millis(1);
        for outcome in [
            Outcome::Success,
            Outcome::Success,
            Outcome::UserError,
            Outcome::SystemError,
            Outcome::ConditionalCheckFailed,
            Outcome::TransactionConflict,
            Outcome::Throttled,
        ] {
            series.record(outcome, latency);
        }
        assert_eq!(series.requests.get(), 7);
        assert_eq!(series.successful_latency.count(), 2);
        for counter in [
            &series.user_errors,
            &series.system_errors,
            &series.conditional_check_failed,
            &series.transaction_conflicts,
            &series.throttled,
        ] {
            assert_eq!(counter.get(), 1);
        }
    }
}
