//! A short in-memory history of each table's series, for the console's
//! graphs: every [`History::sample`] (one each [`SAMPLE_INTERVAL`]) keeps
//! what changed since the one before, in a ring of [`SAMPLES`] per table
//! (an hour). Memory is bounded: a sample is a few numbers plus one count
//! per operation that had requests, and a table's ring goes when its series
//! does.
//!
//! Deltas rather than totals: a table's counters start at zero when its
//! series is registered, so a table seen for the first time contributes
//! everything it counted, and the sum of a ring is exactly what happened in
//! the span it covers.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::series::{OperationSeries, TableSeries, OPERATIONS};
use crate::Metrics;

/// How often the server samples.
pub const SAMPLE_INTERVAL: Duration = Duration::from_secs(10);
/// Samples kept per table: an hour at [`SAMPLE_INTERVAL`].
pub const SAMPLES: usize = 360;

/// One table's series summed over its operations, as read at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
struct Totals {
    /// Requests by operation, in [`OPERATIONS`] order.
    requests: Vec<u64>,
    errors: u64,
    throttles: u64,
    read_units: f64,
    write_units: f64,
    latency_seconds: f64,
    latency_count: u64,
}

impl Totals {
    fn read(table: &TableSeries) -> Totals {
        let operations: Vec<&OperationSeries> = table.operations().map(|(_, series)| series).collect();
        let sum = |count: fn(&OperationSeries) -> u64| operations.iter().map(|s| count(s)).sum::<u64>();
        let capacity = &table.capacity;
        let indexes = table.indexes();
        Totals {
            requests: operations.iter().map(|s| s.requests.get()).collect(),
            errors: sum(|s| {
                s.user_errors.get()
                    + s.system_errors.get()
                    + s.conditional_check_failed.get()
                    + s.transaction_conflicts.get()
            }),
            throttles: sum(|s| s.throttled.get()),
            // A Query or Scan on an index consumes the index's capacity.
            read_units: capacity.consumed_read.get()
                + indexes.iter().map(|i| i.capacity.consumed_read.get()).sum::<f64>(),
            write_units: capacity.consumed_write.get()
                + indexes.iter().map(|i| i.capacity.consumed_write.get()).sum::<f64>(),
            latency_seconds: operations.iter().map(|s| s.successful_latency.snapshot().sum).sum(),
            latency_count: operations.iter().map(|s| s.successful_latency.count()).sum(),
        }
    }

    /// What changed from `before` to `self`, stamped `at`.
    fn since(&self, before: &Totals, at: u64) -> Sample {
        let before_requests = |index: usize| before.requests.get(index).copied().unwrap_or(0);
        Sample {
            at,
            requests: self
                .requests
                .iter()
                .enumerate()
                .filter_map(|(index, now)| {
                    let delta = now.saturating_sub(before_requests(index));
                    (delta > 0).then_some((index as u8, delta))
                })
                .collect(),
            errors: self.errors.saturating_sub(before.errors),
            throttles: self.throttles.saturating_sub(before.throttles),
            read_units: (self.read_units - before.read_units).max(0.0),
            write_units: (self.write_units - before.write_units).max(0.0),
            latency_seconds: (self.latency_seconds - before.latency_seconds).max(0.0),
            latency_count: self.latency_count.saturating_sub(before.latency_count),
        }
    }
}

/// What one table did in the interval ending at `at`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Seconds since the Unix epoch.
    pub at: u64,
    /// Requests by operation (an index in [`OPERATIONS`]), only those with
    /// requests.
    requests: Box<[(u8, u64)]>,
    pub errors: u64,
    pub throttles: u64,
    pub read_units: f64,
    pub write_units: f64,
    /// Summed latency of the successful requests, and their number.
    pub latency_seconds: f64,
    pub latency_count: u64,
}

impl Sample {
    /// Requests by operation name.
    pub fn requests(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        self.requests
            .iter()
            .map(|(index, count)| (OPERATIONS[usize::from(*index)], *count))
    }

    pub fn total_requests(&self) -> u64 {
        self.requests.iter().map(|(_, count)| count).sum()
    }
}

struct TableHistory {
    /// The series sampled: a table deleted and created again gets new ones.
    series: Arc<TableSeries>,
    last: Totals,
    samples: VecDeque<Sample>,
}

/// Every table's recent samples.
#[derive(Default)]
pub struct History {
    tables: Mutex<HashMap<Box<str>, TableHistory>>,
}

impl History {
    /// Takes one sample of every table, stamped `at`; forgets tables whose
    /// series are gone.
    pub fn sample(&self, metrics: &Metrics, at: u64) {
        let current = metrics.tables.load_full();
        let mut tables = self.tables.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        tables.retain(|name, _| current.contains_key(name));
        for (name, series) in current.iter() {
            let totals = Totals::read(series);
            let history = tables.entry(name.clone()).or_insert_with(|| TableHistory {
                series: series.clone(),
                last: Totals::default(),
                samples: VecDeque::with_capacity(SAMPLES),
            });
            if !Arc::ptr_eq(&history.series, series) {
                history.series = series.clone();
                history.last = Totals::default();
                history.samples.clear();
            }
            if history.samples.len() == SAMPLES {
                history.samples.pop_front();
            }
            history.samples.push_back(totals.since(&history.last, at));
            history.last = totals;
        }
    }

    /// The table's samples, oldest first, then what it has done since the
    /// last sample (stamped `now`); `None` for a table without series.
    pub fn of(&self, metrics: &Metrics, table: &str, now: u64) -> Option<Vec<Sample>> {
        let series = metrics.table(table)?;
        let live = Totals::read(&series);
        let tables = self.tables.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut samples = Vec::with_capacity(SAMPLES + 1);
        match tables
            .get(table)
            .filter(|history| Arc::ptr_eq(&history.series, &series))
        {
            Some(history) => {
                samples.extend(history.samples.iter().cloned());
                samples.push(live.since(&history.last, now));
            }
            None => samples.push(live.since(&Totals::default(), now)),
        }
        Some(samples)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::series::{Operation, Outcome};

    fn put(metrics: &Metrics, table: &str, count: usize) {
        let series = metrics.table_or_register(table);
        for _ in 0..count {
            series
                .operation(Operation::named("PutItem"))
                .record(Outcome::Success, Duration::from_millis(2));
            series.capacity.consumed(true, 1.0);
        }
    }

    #[test]
    fn samples_hold_what_changed_and_the_last_one_is_live() {
        let metrics = Metrics::new(true);
        let history = History::default();
        put(&metrics, "t1", 3);
        history.sample(&metrics, 10);
        put(&metrics, "t1", 2);
        metrics
            .table_or_register("t1")
            .operation(Operation::named("GetItem"))
            .record(Outcome::UserError, Duration::ZERO);
        history.sample(&metrics, 20);
        put(&metrics, "t1", 1);
        let samples = history.of(&metrics, "t1", 25).unwrap();
        let totals: Vec<u64> = samples.iter().map(Sample::total_requests).collect();
        assert_eq!(totals, [3, 3, 1]);
        assert_eq!(
            samples[1].requests().collect::<Vec<_>>(),
            [("GetItem", 1), ("PutItem", 2)]
        );
        assert_eq!(samples[1].errors, 1);
        assert_eq!(samples[0].write_units, 3.0);
        assert_eq!(samples[0].latency_count, 3);
        assert_eq!(samples.iter().map(|s| s.at).collect::<Vec<_>>(), [10, 20, 25]);
    }

    #[test]
    fn the_ring_is_bounded_and_follows_the_tables() {
        let metrics = Metrics::new(true);
        let history = History::default();
        put(&metrics, "t1", 1);
        for at in 0..(SAMPLES as u64 + 50) {
            history.sample(&metrics, at);
        }
        assert_eq!(history.of(&metrics, "t1", 0).unwrap().len(), SAMPLES + 1);
        metrics.retain_tables(|_| false);
        history.sample(&metrics, 1000);
        assert!(history.tables.lock().unwrap().is_empty());
        assert!(history.of(&metrics, "t1", 0).is_none());
        // Created again: its new series start from nothing.
        put(&metrics, "t1", 4);
        assert_eq!(history.of(&metrics, "t1", 0).unwrap()[0].total_requests(), 4);
    }
}
