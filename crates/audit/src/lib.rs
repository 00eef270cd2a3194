//! Halyard's audit trail: a CloudTrail record of every API call.
//!
//! The server describes each call as an [`Event`] at the end of its
//! pipeline. A successful mutation's record is attached to the mutation
//! ([`Audit::attach`], run through `halyard_engine::with_audit`) and
//! committed by the writer in the mutation's own transaction; every other
//! record (reads, failures, denials) is buffered ([`Audit::record`]) and
//! flushed through the writer at a short interval. Committed records wait
//! in `sys_audit` in commit order until the mover ([`mover`]) writes them
//! into rotating gzip log files with a signed, chained digest each
//! ([`digest`]) and indexes them for LookupEvents ([`api`], [`index`]).

pub mod api;
pub mod digest;
pub mod error;
pub mod files;
pub mod identity;
pub mod index;
mod mover;
pub mod parameters;
pub mod query;
pub mod record;
pub mod selectors;
pub mod store;

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use halyard_storage::{Storage, StorageError, SystemWriter, Visit};
pub mod service_event;
pub use identity::Identity;
pub use record::{Event, EventSource, Resource};
pub use selectors::{DataEvent, Selectors};
use store::{Counters, FlushCommand, RecordAttachment, Writes};

/// Buffered records are flushed once they reach this size, without
/// waiting for the interval.
const FLUSH_AT: usize = 1 << 20;
/// Most bytes of records buffered: past it (the writer failing for long)
/// records are dropped, counted and logged, rather than memory exhausted.
const MAX_BUFFER: usize = 64 << 20;

#[derive(Debug, Clone)]
pub struct AuditConfig {
    /// Where log and digest files go (`<data-dir>/audit` by default).
    pub dir: PathBuf,
    pub account_id: String,
    pub region: String,
    /// Whether data events are recorded at all (`--audit-data-events`).
    pub data_events: bool,
    /// Longest a buffered record waits before it is committed.
    pub flush_interval: Duration,
    /// A log file is closed once its records reach this many bytes...
    pub file_max_bytes: usize,
    /// ...or its oldest record this age.
    pub file_max_age: Duration,
    /// How long records stay in the lookup index.
    pub retention: Duration,
    /// The keyring's service keys, with encryption at rest on: log and
    /// digest files are sealed with them.
    pub sealing: Option<halyard_kms::sealed_file::FileKeys>,
}

/// The audit trail of one server.
pub struct Audit {
    storage: Arc<dyn Storage>,
    writer: Arc<dyn SystemWriter>,
    config: AuditConfig,
    counters: Arc<Counters>,
    buffer: Mutex<Buffer>,
    wake_flusher: tokio::sync::Notify,
    selectors: RwLock<Arc<Selectors>>,
    key: digest::SigningKey,
}

#[derive(Default)]
struct Buffer {
    lines: Vec<u8>,
    count: u64,
}

impl Audit {
    /// Opens the trail: creates its keyspaces and signing key on first
    /// start, and loads its selectors and counters.
    pub async fn open(
        storage: Arc<dyn Storage>,
        writer: Arc<dyn SystemWriter>,
        config: AuditConfig,
    ) -> Result<Arc<Audit>, StorageError> {
        writer
            .submit(Arc::new(Writes {
                create_keyspaces: true,
                ..Writes::default()
            }))
            .await?;
        let snapshot = storage.snapshot()?;
        let state = store::read_state(&*snapshot)?;
        let pkcs8 = match snapshot.get(store::KEYSPACE, store::SIGNING_KEY)? {
            Some(pkcs8) => pkcs8,
            None => {
                let pkcs8 = digest::SigningKey::generate();
                let mut writes = Writes::default();
                writes.put(store::KEYSPACE, store::SIGNING_KEY.to_vec(), pkcs8.clone());
                writer.submit(Arc::new(writes)).await?;
                pkcs8
            }
        };
        let key = digest::SigningKey::from_pkcs8(&pkcs8)
            .ok_or_else(|| StorageError::Corrupt("the audit trail's signing key does not parse".into()))?;
        let selectors = match snapshot.get(store::KEYSPACE, store::SELECTORS_KEY)? {
            Some(bytes) => serde_json::from_slice(&bytes)
                .ok()
                .and_then(|advanced| Selectors::parse(&advanced).ok())
                .ok_or_else(|| StorageError::Corrupt("the audit trail's event selectors do not parse".into()))?,
            None => Selectors::default(),
        };
        let counters = Arc::new(Counters::default());
        let mut last = state.moved_through.max(state.indexed_through);
        let mut backlog = 0;
        store::scan_queue(&*snapshot, state.moved_through + 1, &mut |sequence, entry| {
            last = last.max(sequence);
            backlog += entry.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count() as u64;
            Visit::Continue
        })?;
        counters.next_sequence.store(last + 1, Ordering::Relaxed);
        counters.backlog.store(backlog, Ordering::Relaxed);
        drop(snapshot);
        Ok(Arc::new(Audit {
            storage,
            writer,
            config,
            counters,
            buffer: Mutex::default(),
            wake_flusher: tokio::sync::Notify::new(),
            selectors: RwLock::new(Arc::new(selectors)),
            key,
        }))
    }

    /// Starts the flusher and the mover on the current runtime.
    pub fn start(self: &Arc<Self>) {
        let audit = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(audit.config.flush_interval) => {}
                    _ = audit.wake_flusher.notified() => {}
                }
                if let Err(error) = audit.flush().await {
                    tracing::warn!("cannot commit buffered audit records (kept for the next try): {error}");
                }
            }
        });
        tokio::spawn(mover::run(self.clone()));
    }

    pub fn config(&self) -> &AuditConfig {
        &self.config
    }

    /// Whether a data event is recorded: data events are on server-wide
    /// and the trail's selectors pick one of its tables.
    pub fn records_data_event(&self, event: &DataEvent<'_>) -> bool {
        self.config.data_events && self.selectors().records(event)
    }

    pub fn selectors(&self) -> Arc<Selectors> {
        self.selectors.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The record of a mutation about to run, to be attached to its write
    /// (`halyard_engine::with_audit`). If the write does not commit, the
    /// caller records the outcome with [`Audit::record`].
    pub fn attach(&self, event: &Event) -> Arc<RecordAttachment> {
        Arc::new(RecordAttachment::new(event.to_json(), self.counters.clone()))
    }

    /// Buffers a record, to be committed within the flush interval.
    pub fn record(&self, event: &Event) {
        let line = event.to_json();
        let mut buffer = self.buffer.lock().unwrap_or_else(|p| p.into_inner());
        if buffer.lines.len() + line.len() >= MAX_BUFFER {
            drop(buffer);
            if self
                .counters
                .dropped
                .fetch_add(1, Ordering::Relaxed)
                .is_multiple_of(10_000)
            {
                tracing::error!(
                    "the audit buffer is full (records cannot be committed): audit records are being dropped"
                );
            }
            return;
        }
        buffer.lines.extend_from_slice(&line);
        buffer.lines.push(b'\n');
        buffer.count += 1;
        if buffer.lines.len() >= FLUSH_AT {
            self.wake_flusher.notify_one();
        }
    }

    /// Commits the buffered records now (also at shutdown).
    pub async fn flush(&self) -> Result<(), StorageError> {
        let taken = std::mem::take(&mut *self.buffer.lock().unwrap_or_else(|p| p.into_inner()));
        if taken.count == 0 {
            return Ok(());
        }
        let command = Arc::new(FlushCommand {
            lines: taken.lines,
            count: taken.count,
            counters: self.counters.clone(),
        });
        let result = self.writer.submit(command.clone()).await;
        if result.is_err() {
            // Put them back in front of what came since, for the next try.
            let mut buffer = self.buffer.lock().unwrap_or_else(|p| p.into_inner());
            if buffer.lines.len() + command.lines.len() < MAX_BUFFER {
                let newer = std::mem::take(&mut buffer.lines);
                buffer.lines = command.lines.clone();
                buffer.lines.extend_from_slice(&newer);
                buffer.count += command.count;
            } else {
                self.counters.dropped.fetch_add(command.count, Ordering::Relaxed);
            }
        }
        result
    }

    /// Records committed but not yet in a log file (buffered ones not
    /// counted): cheap, for metrics.
    pub fn backlog(&self) -> u64 {
        self.counters.backlog.load(Ordering::Relaxed)
    }

    /// Records dropped because the buffer was full.
    pub fn dropped(&self) -> u64 {
        self.counters.dropped.load(Ordering::Relaxed)
    }

    /// The trail's ARN.
    pub fn trail_arn(&self) -> String {
        format!(
            "arn:aws:cloudtrail:{}:{}:trail/{}",
            self.config.region,
            self.config.account_id,
            selectors::TRAIL_NAME
        )
    }
}
