//! The recording primitives: each is a few atomics, updated with relaxed
//! ordering (a scrape needs no ordering between series), never a lock and
//! never an allocation.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

/// A monotonically increasing count.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.add(1);
    }

    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A monotonically increasing sum of fractional amounts (capacity units
/// come in halves): an f64 kept in an `AtomicU64`, added with a
/// compare-and-swap loop.
#[derive(Debug, Default)]
pub struct FloatCounter(AtomicU64);

impl FloatCounter {
    pub fn add(&self, amount: f64) {
        if amount <= 0.0 || !amount.is_finite() {
            return;
        }
        let _ = self.0.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
            Some((f64::from_bits(bits) + amount).to_bits())
        });
    }

    pub fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }
}

/// A value that goes up and down.
#[derive(Debug, Default)]
pub struct Gauge(AtomicI64);

impl Gauge {
    /// For statics.
    pub const fn new_const() -> Gauge {
        Gauge(AtomicI64::new(0))
    }

    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub fn dec(&self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn set(&self, value: i64) {
        self.0.store(value, Ordering::Relaxed);
    }

    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// What a histogram measures, and the upper bounds of its buckets in the
/// unit it is recorded in (nanoseconds, or a plain count).
#[derive(Debug)]
pub struct Buckets {
    /// Ascending; a last `+Inf` bucket is implied.
    pub bounds: &'static [u64],
    /// Recorded units per exposed unit: 1e9 for seconds recorded in
    /// nanoseconds, 1 for counts.
    pub scale: f64,
}

/// Request and commit latencies, from 100 µs to 10 s.
pub const LATENCY_SECONDS: Buckets = Buckets {
    bounds: &[
        100_000,
        250_000,
        500_000,
        1_000_000,
        2_500_000,
        5_000_000,
        10_000_000,
        25_000_000,
        50_000_000,
        100_000_000,
        250_000_000,
        500_000_000,
        1_000_000_000,
        2_500_000_000,
        5_000_000_000,
        10_000_000_000,
    ],
    scale: 1e9,
};

/// Waits that are usually microseconds (taking a storage snapshot).
pub const SHORT_WAIT_SECONDS: Buckets = Buckets {
    bounds: &[
        1_000,
        5_000,
        10_000,
        50_000,
        100_000,
        500_000,
        1_000_000,
        5_000_000,
        10_000_000,
        50_000_000,
        100_000_000,
        1_000_000_000,
    ],
    scale: 1e9,
};

/// Commands per write batch (the writer takes at most 512).
pub const BATCH_SIZES: Buckets = Buckets {
    bounds: &[1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    scale: 1.0,
};

/// A histogram with fixed buckets: one atomic per bucket (not cumulative:
/// cumulated when exposed), a sum and a count.
#[derive(Debug)]
pub struct Histogram {
    buckets: &'static Buckets,
    /// One per bound, then the `+Inf` bucket.
    counts: Box<[AtomicU64]>,
    sum: AtomicU64,
}

impl Histogram {
    pub fn new(buckets: &'static Buckets) -> Histogram {
        Histogram {
            buckets,
            counts: (0..=buckets.bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0),
        }
    }

    /// Records a value in the histogram's recorded unit.
    pub fn observe(&self, value: u64) {
        let bucket = self.buckets.bounds.partition_point(|bound| *bound < value);
        self.counts[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add(value, Ordering::Relaxed);
    }

    /// Records a duration (for histograms in seconds).
    pub fn observe_duration(&self, duration: Duration) {
        self.observe(u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX));
    }

    /// The cumulative count up to each bound (the last is `+Inf`, equal to
    /// the total count), and the sum in the exposed unit.
    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut cumulative = 0;
        let counts = self
            .counts
            .iter()
            .map(|count| {
                cumulative += count.load(Ordering::Relaxed);
                cumulative
            })
            .collect();
        HistogramSnapshot {
            bounds: self.buckets.bounds,
            scale: self.buckets.scale,
            cumulative: counts,
            sum: self.sum.load(Ordering::Relaxed) as f64 / self.buckets.scale,
        }
    }

    pub fn count(&self) -> u64 {
        self.counts.iter().map(|count| count.load(Ordering::Relaxed)).sum()
    }
}

/// A histogram as read at one scrape.
pub struct HistogramSnapshot {
    pub bounds: &'static [u64],
    pub scale: f64,
    pub cumulative: Vec<u64>,
    pub sum: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_fall_in_the_first_bucket_whose_bound_is_not_below_them() {
        let histogram = Histogram::new(&BATCH_SIZES);
        for value in [1, 2, 3, 512, 513, 0] {
            histogram.observe(value);
        }
        let snapshot = histogram.snapshot();
        // le=1: 0 and 1; le=2: +2; le=4: +3; ...; le=512: +512; +Inf: +513.
        assert_eq!(snapshot.cumulative[0], 2);
        assert_eq!(snapshot.cumulative[1], 3);
        assert_eq!(snapshot.cumulative[2], 4);
        assert_eq!(snapshot.cumulative[BATCH_SIZES.bounds.len() - 1], 5);
        assert_eq!(*snapshot.cumulative.last().unwrap(), 6);
        assert_eq!(snapshot.sum, (1 + 2 + 3 + 512 + 513) as f64);
        assert_eq!(histogram.count(), 6);
    }

    #[test]
    fn durations_are_exposed_in_seconds() {
        let histogram = Histogram::new(&LATENCY_SECONDS);
        histogram.observe_duration(Duration::from_micros(300));
        histogram.observe_duration(Duration::from_secs(20));
        let snapshot = histogram.snapshot();
        // 300 µs is above 250 µs and within 500 µs.
        assert_eq!(snapshot.cumulative[1], 0);
        assert_eq!(snapshot.cumulative[2], 1);
        assert_eq!(snapshot.cumulative[LATENCY_SECONDS.bounds.len() - 1], 1);
        assert_eq!(*snapshot.cumulative.last().unwrap(), 2);
        assert!((snapshot.sum - 20.0003).abs() < 1e-9);
    }

    #[test]
    fn float_counters_add_halves_exactly_and_ignore_nonsense() {
        let counter = FloatCounter::default();
        counter.add(0.5);
        counter.add(0.5);
        counter.add(2.0);
        counter.add(-1.0);
        counter.add(f64::NAN);
        assert_eq!(counter.get(), 3.0);
    }
}
