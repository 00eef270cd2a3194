//! Provisioned capacity, enforced as DynamoDB does: each table and global
//! index with provisioned throughput (or an on-demand maximum) has a token
//! bucket per direction, and a request that finds one spent is refused with
//! ProvisionedThroughputExceededException before it reaches the writer.
//!
//! A request is admitted on an estimate of its cost (the least it can cost:
//! what is known before it runs), and charged what it really consumed once
//! it has run, so a bucket may go into debt that later requests wait out.
//! Bucket state lives in memory only; a restart starts every bucket full.

mod bucket;
mod demands;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) use demands::{read_demand, write_consumed, write_estimate};

use bucket::{Rate, TokenBucket, PROVISIONED_BURST_SECONDS};

use halyard_metrics::Metrics;

use crate::error::{Error, ThrottlingReason};
use crate::model::{BillingMode, IndexKind, TableDefinition};

/// On-demand maximums are per second, with no burst retained.
const ON_DEMAND_BURST_SECONDS: f64 = 1.0;

/// Reads or writes: each has its own bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Access {
    Read,
    Write,
}

/// The time the throttle sees; injected so that tests need not sleep.
pub(crate) trait Clock: Send + Sync {
    fn now(&self) -> Duration;
}

/// Time since the server started, from the monotonic clock.
struct MonotonicClock(Instant);

impl Clock for MonotonicClock {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }
}

/// One bucket: a table's (index `None`) or a global index's, reads or writes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Resource {
    table_id: String,
    index: Option<String>,
    access: Access,
}

/// What a request is expected to cost one resource.
#[derive(Debug, Clone)]
pub(crate) struct Demand {
    pub index: Option<String>,
    pub access: Access,
    pub estimate: f64,
}

impl Demand {
    pub fn table(access: Access, estimate: f64) -> Demand {
        Demand {
            index: None,
            access,
            estimate,
        }
    }

    pub fn index(name: &str, access: Access, estimate: f64) -> Demand {
        Demand {
            index: Some(name.to_string()),
            access,
            estimate,
        }
    }
}

/// What an admitted request has been charged so far. Dropping it leaves the
/// estimate charged (a request that failed its condition still consumed).
#[derive(Debug, Default)]
#[must_use]
pub(crate) struct Admission {
    charged: Vec<(Resource, f64)>,
}

impl Admission {
    pub fn absorb(&mut self, other: Admission) {
        self.charged.extend(other.charged);
    }
}

/// Whether a limit comes from provisioned throughput or an on-demand maximum
/// (they are reported with different reasons).
#[derive(Debug, Clone, Copy, PartialEq)]
enum LimitKind {
    Provisioned,
    OnDemandMaximum,
}

fn limit(definition: &TableDefinition, index: Option<&str>, access: Access) -> Option<(Rate, LimitKind)> {
    let write = access == Access::Write;
    let global = index
        .and_then(|name| definition.index(name))
        .filter(|i| i.kind == IndexKind::Global);
    let (units, kind) = match definition.billing_mode {
        BillingMode::Provisioned => {
            let throughput = match global {
                Some(index) => index.throughput.clone().unwrap_or_default(),
                None => definition.throughput.clone(),
            };
            let units = if write {
                throughput.write_capacity_units
            } else {
                throughput.read_capacity_units
            };
            (units, LimitKind::Provisioned)
        }
        BillingMode::PayPerRequest => {
            let maximums = global.map_or(&definition.on_demand_throughput, |i| &i.on_demand_throughput);
            (maximums.maximum(write)?, LimitKind::OnDemandMaximum)
        }
    };
    let burst_seconds = match kind {
        LimitKind::Provisioned => PROVISIONED_BURST_SECONDS,
        LimitKind::OnDemandMaximum => ON_DEMAND_BURST_SECONDS,
    };
    (units > 0).then_some((
        Rate {
            units_per_second: units as f64,
            burst_seconds,
        },
        kind,
    ))
}

fn reason(definition: &TableDefinition, index: Option<&str>, access: Access, kind: LimitKind) -> ThrottlingReason {
    let resource_type = if index.is_some() { "Index" } else { "Table" };
    let operation = match access {
        Access::Read => "Read",
        Access::Write => "Write",
    };
    let limit = match kind {
        LimitKind::Provisioned => "ProvisionedThroughputExceeded",
        LimitKind::OnDemandMaximum => "MaxOnDemandThroughputExceeded",
    };
    let resource = match index.and_then(|name| definition.index(name)) {
        Some(index) => index.arn.clone(),
        None => definition.arn.clone(),
    };
    ThrottlingReason {
        reason: format!("{resource_type}{operation}{limit}"),
        resource,
    }
}

/// DynamoDB's messages: a table's, or its global indexes'.
fn message(reasons: &[ThrottlingReason]) -> String {
    if reasons.iter().any(ThrottlingReason::is_on_demand_maximum) {
        "Throughput exceeds the maximum OnDemandThroughput configured on table or index".to_string()
    } else if reasons.iter().all(|r| r.reason.starts_with("Index")) {
        "The level of configured provisioned throughput for one or more global secondary indexes of the table was exceeded. Consider increasing your provisioning level for the under-provisioned global secondary indexes with the UpdateTable API".to_string()
    } else {
        "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.".to_string()
    }
}

pub(crate) struct Throttle {
    enabled: bool,
    clock: Arc<dyn Clock>,
    buckets: Mutex<HashMap<Resource, TokenBucket>>,
    /// Where consumed capacity and throttle events are counted: here, where
    /// both are known per table and global index.
    metrics: Arc<Metrics>,
}

impl Throttle {
    pub fn new(enabled: bool, metrics: Arc<Metrics>) -> Throttle {
        Throttle {
            metrics,
            ..Throttle::with_clock(enabled, Arc::new(MonotonicClock(Instant::now())))
        }
    }

    pub(crate) fn with_clock(enabled: bool, clock: Arc<dyn Clock>) -> Throttle {
        Throttle {
            enabled,
            clock,
            buckets: Mutex::new(HashMap::new()),
            metrics: Arc::new(Metrics::new(false)),
        }
    }

    /// Counts a throttle event (a request refused) on the resource.
    fn record_throttled(&self, table: &str, demand: &Demand) {
        if !self.metrics.enabled() {
            return;
        }
        let series = self.metrics.table_or_register(table);
        let write = demand.access == Access::Write;
        match &demand.index {
            None => series.capacity.throttled(write),
            Some(index) => series.index(index).capacity.throttled(write),
        }
    }

    /// Counts what a request consumed, per table and global index, as
    /// ReturnConsumedCapacity reports it.
    fn record_consumed(&self, table: &str, consumed: &[Demand]) {
        if !self.metrics.enabled() {
            return;
        }
        let series = self.metrics.table_or_register(table);
        for demand in consumed {
            let write = demand.access == Access::Write;
            match &demand.index {
                None => series.capacity.consumed(write, demand.estimate),
                Some(index) => series.index(index).capacity.consumed(write, demand.estimate),
            }
        }
    }

    /// Charges each demand's estimate to its resource, or none of them if
    /// any resource is spent: then the error names every spent one.
    pub fn admit(&self, definition: &TableDefinition, demands: &[Demand]) -> Result<Admission, Error> {
        let mut admission = Admission::default();
        if !self.enabled {
            return Ok(admission);
        }
        let limited: Vec<(&Demand, Rate, LimitKind)> = demands
            .iter()
            .filter_map(|d| limit(definition, d.index.as_deref(), d.access).map(|(rate, kind)| (d, rate, kind)))
            .collect();
        if limited.is_empty() {
            return Ok(admission);
        }
        let now = self.clock.now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let mut reasons = Vec::new();
        for (demand, rate, kind) in &limited {
            let resource = Resource {
                table_id: definition.id.clone(),
                index: demand.index.clone(),
                access: demand.access,
            };
            let bucket = buckets
                .entry(resource.clone())
                .or_insert_with(|| TokenBucket::new(*rate, now));
            bucket.set_rate(*rate, now);
            if bucket.can_take(demand.estimate, now) {
                admission.charged.push((resource, demand.estimate));
            } else {
                self.record_throttled(&definition.name, demand);
                let reason = reason(definition, demand.index.as_deref(), demand.access, *kind);
                if !reasons.contains(&reason) {
                    reasons.push(reason);
                }
            }
        }
        if !reasons.is_empty() {
            return Err(Error::Throttled {
                message: message(&reasons),
                reasons,
            });
        }
        for (resource, estimate) in &admission.charged {
            if let Some(bucket) = buckets.get_mut(resource) {
                bucket.spend(*estimate);
            }
        }
        Ok(admission)
    }

    /// Charges what a request really consumed: `actual` units per demand
    /// (index, access), less what admitting it charged already.
    pub fn settle(&self, table: &str, admission: Admission, actual: &[Demand]) {
        self.record_consumed(table, actual);
        if admission.charged.is_empty() {
            return;
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let table_id = admission.charged[0].0.table_id.clone();
        for consumed in actual {
            let resource = Resource {
                table_id: table_id.clone(),
                index: consumed.index.clone(),
                access: consumed.access,
            };
            let estimated: f64 = admission
                .charged
                .iter()
                .filter(|(charged, _)| *charged == resource)
                .map(|(_, units)| units)
                .sum();
            if let Some(bucket) = buckets.get_mut(&resource) {
                bucket.spend(consumed.estimate - estimated);
            }
        }
    }

    /// Gives back what an admitted request was charged: it did not run.
    /// Admits every action of a transaction (each a table and its
    /// demands), or none: a throttled action cancels the transaction with
    /// a ThrottlingError reason for it, as in DynamoDB.
    pub fn admit_transaction<'t>(
        &self,
        actions: impl IntoIterator<Item = (&'t TableDefinition, Vec<Demand>)>,
    ) -> Result<Vec<Admission>, Error> {
        let mut admissions = Vec::new();
        let mut reasons = Vec::new();
        let mut throttled = false;
        for (definition, demands) in actions {
            match self.admit(definition, &demands) {
                Ok(admission) => {
                    admissions.push(admission);
                    reasons.push(crate::error::CancellationReason::none());
                }
                Err(error) => {
                    throttled = true;
                    reasons.push(crate::error::CancellationReason::from_error(error));
                }
            }
        }
        if throttled {
            for admission in admissions {
                self.refund(admission);
            }
            return Err(Error::TransactionCanceled { reasons });
        }
        Ok(admissions)
    }

    pub fn refund(&self, admission: Admission) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        for (resource, units) in admission.charged {
            if let Some(bucket) = buckets.get_mut(&resource) {
                bucket.spend(-units);
            }
        }
    }

    /// Drops the buckets an UpdateTable made stale: all of a table's when
    /// its billing mode changed (its limits start over), a deleted index's.
    pub fn forget_stale(&self, before: &TableDefinition, after: &TableDefinition) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let billing_changed = before.billing_mode != after.billing_mode;
        buckets.retain(|resource, _| {
            resource.table_id != after.id
                || (!billing_changed && resource.index.as_deref().is_none_or(|name| after.index(name).is_some()))
        });
    }

    /// Drops a deleted table's buckets.
    pub fn forget(&self, table_id: &str) {
        self.buckets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|resource, _| resource.table_id != table_id);
    }
}

#[cfg(test)]
mod tests;
