//! A token bucket: capacity units accrue at the provisioned rate, up to a
//! number of seconds' worth (DynamoDB's burst capacity), and requests spend
//! them.

use std::time::Duration;

/// Seconds of unused provisioned capacity DynamoDB retains for bursts.
pub(crate) const PROVISIONED_BURST_SECONDS: f64 = 300.0;

/// A resource's limit: units per second, and how many seconds of unused
/// units it keeps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rate {
    pub units_per_second: f64,
    pub burst_seconds: f64,
}

impl Rate {
    fn capacity(self) -> f64 {
        self.units_per_second * self.burst_seconds
    }
}

#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    rate: Rate,
    /// Units available; negative while a request that cost more than its
    /// estimate is being paid off.
    tokens: f64,
    /// When `tokens` was last brought up to date (on the throttle's clock).
    updated: Duration,
}

impl TokenBucket {
    /// A bucket that starts full, as if the resource had been idle for its
    /// whole burst window.
    pub fn new(rate: Rate, now: Duration) -> TokenBucket {
        TokenBucket {
            rate,
            tokens: rate.capacity(),
            updated: now,
        }
    }

    fn refill(&mut self, now: Duration) {
        let elapsed = now.saturating_sub(self.updated).as_secs_f64();
        self.updated = self.updated.max(now);
        self.tokens = (self.tokens + elapsed * self.rate.units_per_second).min(self.rate.capacity());
    }

    /// Follows a throughput change at once: a higher rate makes its whole
    /// capacity available immediately, a lower one keeps at most its own.
    pub fn set_rate(&mut self, rate: Rate, now: Duration) {
        if rate == self.rate {
            return;
        }
        self.refill(now);
        if rate.units_per_second > self.rate.units_per_second {
            self.tokens = rate.capacity();
        } else {
            self.tokens = self.tokens.min(rate.capacity());
        }
        self.rate = rate;
    }

    /// Whether a request estimated to cost `estimate` units may run now.
    /// A request bigger than the bucket can hold may run when it is full.
    pub fn can_take(&mut self, estimate: f64, now: Duration) -> bool {
        self.refill(now);
        self.tokens >= estimate.min(self.rate.capacity())
    }

    /// Spends `units` (negative to give back), possibly going into debt.
    pub fn spend(&mut self, units: f64) {
        self.tokens = (self.tokens - units).min(self.rate.capacity());
    }

    #[cfg(test)]
    pub fn tokens(&mut self, now: Duration) -> f64 {
        self.refill(now);
        self.tokens
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    fn provisioned(units: f64) -> Rate {
        Rate {
            units_per_second: units,
            burst_seconds: PROVISIONED_BURST_SECONDS,
        }
    }

    #[test]
    fn starts_with_the_whole_burst_window() {
        let mut bucket = TokenBucket::new(provisioned(2.0), secs(0.0));
        assert_eq!(bucket.tokens(secs(0.0)), 600.0);
        assert!(bucket.can_take(600.0, secs(0.0)));
    }

    #[test]
    fn spending_the_burst_throttles_until_units_accrue() {
        let mut bucket = TokenBucket::new(provisioned(1.0), secs(0.0));
        bucket.spend(300.0);
        assert!(!bucket.can_take(1.0, secs(0.0)));
        assert!(!bucket.can_take(1.0, secs(0.5)));
        assert!(bucket.can_take(1.0, secs(1.0)));
        assert!(!bucket.can_take(5.0, secs(4.0)));
        assert!(bucket.can_take(5.0, secs(5.0)));
    }

    #[test]
    fn unused_capacity_is_kept_for_at_most_300_seconds() {
        let mut bucket = TokenBucket::new(provisioned(1.0), secs(0.0));
        bucket.spend(300.0);
        assert_eq!(bucket.tokens(secs(120.0)), 120.0);
        assert_eq!(bucket.tokens(secs(10_000.0)), 300.0);
    }

    #[test]
    fn a_request_larger_than_the_bucket_runs_when_it_is_full_and_leaves_a_debt() {
        let mut bucket = TokenBucket::new(
            Rate {
                units_per_second: 5.0,
                burst_seconds: 1.0,
            },
            secs(0.0),
        );
        assert!(bucket.can_take(390.0, secs(0.0)));
        bucket.spend(390.0);
        assert_eq!(bucket.tokens(secs(0.0)), -385.0);
        assert!(!bucket.can_take(1.0, secs(77.0)));
        assert!(bucket.can_take(1.0, secs(77.5)));
    }

    #[test]
    fn raising_the_rate_makes_the_new_capacity_available_at_once() {
        let mut bucket = TokenBucket::new(provisioned(1.0), secs(0.0));
        bucket.spend(400.0);
        assert!(!bucket.can_take(1.0, secs(1.0)));
        bucket.set_rate(provisioned(10.0), secs(1.0));
        assert!(bucket.can_take(3000.0, secs(1.0)));
    }

    #[test]
    fn lowering_the_rate_keeps_at_most_the_new_capacity() {
        let mut bucket = TokenBucket::new(provisioned(10.0), secs(0.0));
        bucket.set_rate(provisioned(1.0), secs(0.0));
        assert_eq!(bucket.tokens(secs(0.0)), 300.0);
        bucket.spend(100.0);
        bucket.set_rate(provisioned(0.5), secs(0.0));
        assert_eq!(bucket.tokens(secs(0.0)), 150.0);
    }

    #[test]
    fn giving_back_never_overfills() {
        let mut bucket = TokenBucket::new(provisioned(1.0), secs(0.0));
        bucket.spend(-50.0);
        assert_eq!(bucket.tokens(secs(0.0)), 300.0);
    }

    #[test]
    fn a_clock_going_backwards_adds_nothing() {
        let mut bucket = TokenBucket::new(provisioned(1.0), secs(10.0));
        bucket.spend(300.0);
        assert_eq!(bucket.tokens(secs(5.0)), 0.0);
        assert_eq!(bucket.tokens(secs(11.0)), 1.0);
    }
}
