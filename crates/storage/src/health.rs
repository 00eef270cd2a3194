//! Whether the store accepts writes, and why not: the one record that the
//! health endpoint and the metrics read.
//!
//! Storage faults come in two kinds. Running out of space is transient: the
//! write that met it was not applied, nothing else is at risk, and the next
//! write that finds room succeeds (and clears the state). A failed write-back
//! or fsync is not: the kernel may have dropped the dirty pages it could not
//! write and report success on the next fsync (PostgreSQL's "fsyncgate"), so
//! nothing written since the last good sync can be trusted. The store then
//! stops writing, for good, until a restart recovers from what is on disk.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::StorageError;

/// What the store does with writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteState {
    Accepting,
    /// The last write failed for lack of space; writes are tried and
    /// succeed again once space is freed.
    OutOfSpace,
    /// A write-back or sync failed: writes are refused until a restart.
    Stopped,
    /// A database server (PostgreSQL) that accepts writes cannot be
    /// reached: requests fail with a retryable error until it can again.
    Unreachable,
}

impl WriteState {
    /// The state's name in the health report.
    pub fn name(self) -> &'static str {
        match self {
            WriteState::Accepting => "healthy",
            WriteState::OutOfSpace => "out_of_space",
            WriteState::Stopped => "writes_stopped",
            WriteState::Unreachable => "database_unreachable",
        }
    }
}

/// A copy of the health record at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthReport {
    pub state: WriteState,
    /// Why writes fail (the storage error), when they do.
    pub reason: Option<String>,
    /// When the state began, in seconds since the epoch (not for Accepting).
    pub since: Option<u64>,
    /// Writes failed for lack of space since the server started.
    pub out_of_space_failures: u64,
    /// The background-task leases this node holds on a database several
    /// nodes share (PostgreSQL); `None` for a store of this process's own.
    pub leases: Option<Vec<String>>,
}

impl HealthReport {
    pub fn writes_accepted(&self) -> bool {
        self.state == WriteState::Accepting
    }
}

const ACCEPTING: u8 = 0;
const OUT_OF_SPACE: u8 = 1;
const STOPPED: u8 = 2;
const UNREACHABLE: u8 = 3;

/// The store's write health, shared by the writer, the checkpointer and
/// whoever reports it. Reads of the state are one atomic load (every
/// commit checks it).
#[derive(Debug, Default)]
pub struct StorageHealth {
    state: AtomicU8,
    out_of_space_failures: AtomicU64,
    /// Reason and start time of the current state.
    detail: Mutex<Option<(String, u64)>>,
    leases: Mutex<Option<Vec<String>>>,
}

impl StorageHealth {
    pub fn state(&self) -> WriteState {
        match self.state.load(Ordering::Acquire) {
            ACCEPTING => WriteState::Accepting,
            OUT_OF_SPACE => WriteState::OutOfSpace,
            UNREACHABLE => WriteState::Unreachable,
            _ => WriteState::Stopped,
        }
    }

    pub fn report(&self) -> HealthReport {
        let detail = self.detail.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let state = self.state();
        let (reason, since) = match (state, detail) {
            (WriteState::Accepting, _) | (_, None) => (None, None),
            (_, Some((reason, since))) => (Some(reason), Some(since)),
        };
        HealthReport {
            state,
            reason,
            since,
            out_of_space_failures: self.out_of_space_failures.load(Ordering::Relaxed),
            leases: self.leases.lock().unwrap_or_else(|p| p.into_inner()).clone(),
        }
    }

    /// Records the task leases this node holds, as the health report shows them.
    pub(crate) fn set_leases(&self, leases: Vec<String>) {
        *self.leases.lock().unwrap_or_else(|p| p.into_inner()) = Some(leases);
    }

    /// Refuses a write once writes are stopped.
    pub(crate) fn check_writable(&self) -> Result<(), StorageError> {
        match self.state() {
            WriteState::Stopped => Err(StorageError::WritesStopped(self.report().reason.unwrap_or_default())),
            _ => Ok(()),
        }
    }

    /// A write failed for lack of space.
    pub(crate) fn out_of_space(&self, reason: &str) {
        self.out_of_space_failures.fetch_add(1, Ordering::Relaxed);
        if self.transition(ACCEPTING, OUT_OF_SPACE, reason) {
            tracing::warn!(%reason, "storage is out of space: writes fail until space is freed");
        }
    }

    /// A commit succeeded: space, if it was short, is back, and the
    /// database, if it was unreachable, is reachable.
    pub(crate) fn write_succeeded(&self) {
        if self.state.load(Ordering::Acquire) == OUT_OF_SPACE
            && self
                .state
                .compare_exchange(OUT_OF_SPACE, ACCEPTING, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            tracing::info!("storage has space again: writes succeed");
        }
        self.reachable();
    }

    /// No writable database server answers (a lost connection, a primary
    /// that became a standby).
    pub(crate) fn unreachable(&self, reason: &str) {
        let changed =
            self.transition(ACCEPTING, UNREACHABLE, reason) || self.transition(OUT_OF_SPACE, UNREACHABLE, reason);
        if changed {
            tracing::warn!(%reason, "no writable database server is reachable: requests fail until one is");
        }
    }

    /// A writable database server answered again.
    pub(crate) fn reachable(&self) {
        if self.state.load(Ordering::Acquire) == UNREACHABLE
            && self
                .state
                .compare_exchange(UNREACHABLE, ACCEPTING, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            tracing::info!("a writable database server is reachable again");
        }
    }

    /// A write-back or sync failed: stops writes for good. Returns whether
    /// this call stopped them (the first failure is the one to report).
    pub(crate) fn stop(&self, reason: &str) -> bool {
        let mut detail = self.detail.lock().unwrap_or_else(|p| p.into_inner());
        if self.state.swap(STOPPED, Ordering::AcqRel) == STOPPED {
            return false;
        }
        *detail = Some((reason.to_string(), now_seconds()));
        tracing::error!(
            %reason,
            "storage failure: writes are stopped; restart the server to recover from the write-ahead log"
        );
        true
    }

    /// Moves from `from` to `to` with `reason`; false if the state was not `from`.
    fn transition(&self, from: u8, to: u8, reason: &str) -> bool {
        let mut detail = self.detail.lock().unwrap_or_else(|p| p.into_inner());
        if self
            .state
            .compare_exchange(from, to, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return false;
        }
        *detail = Some((reason.to_string(), now_seconds()));
        true
    }
}

fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_space_clears_on_success_but_stopped_stays() {
        let health = StorageHealth::default();
        assert!(health.report().writes_accepted());
        health.out_of_space("database or disk is full");
        health.out_of_space("database or disk is full");
        let report = health.report();
        assert_eq!(report.state, WriteState::OutOfSpace);
        assert_eq!(report.reason.as_deref(), Some("database or disk is full"));
        assert_eq!(report.out_of_space_failures, 2);
        health.write_succeeded();
        assert_eq!(health.report().state, WriteState::Accepting);
        assert_eq!(health.report().reason, None);

        assert!(health.stop("fsync failed"));
        assert!(!health.stop("a later failure"));
        health.write_succeeded();
        health.out_of_space("database or disk is full");
        assert!(
            matches!(health.check_writable(), Err(StorageError::WritesStopped(reason)) if reason == "fsync failed")
        );
    }

    #[test]
    fn an_unreachable_database_is_reported_until_it_answers_again() {
        let health = StorageHealth::default();
        health.unreachable("connection refused");
        let report = health.report();
        assert_eq!(report.state, WriteState::Unreachable);
        assert_eq!(report.state.name(), "database_unreachable");
        assert_eq!(report.reason.as_deref(), Some("connection refused"));
        assert!(!report.writes_accepted());
        health.reachable();
        assert!(health.report().writes_accepted());
        health.unreachable("connection refused");
        health.write_succeeded();
        assert!(health.report().writes_accepted());
        health.stop("fsync failed");
        health.unreachable("connection refused");
        assert_eq!(health.state(), WriteState::Stopped, "a stop is not undone");
    }
}
