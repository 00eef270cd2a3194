//! Halyard's audit trail: a CloudTrail record of every API call.
//!
//! The server describes each call as an [`Event`] at the end of its
//! pipeline. A successful mutation's record is attached to the mutation
//! ([`Audit::attach`], run through `halyard_engine::with_audit`) and
//! committed by the writer in the mutation's own transaction; every other
//! record (reads, failures, denials) is buffered ([`Audit::record`]) and
//! made durable at a short interval: management events committed through
//! the writer, data events written into spill files of their own
//! ([`spill`]), so that reads commit nothing into the item database.
//! Committed records wait
//! in `sys_audit` in commit order until the mover ([`mover`]) writes them
//! into rotating gzip log files with a signed, chained digest each
//! ([`digest`]) and indexes them for LookupEvents ([`api`], [`index`]).

pub mod api;
pub mod digest;
mod entry;
pub mod error;
pub mod files;
pub mod identity;
pub mod index;
mod mover;
pub mod parameters;
pub mod query;
pub mod record;
pub mod selectors;
pub mod spill;
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
    /// The spill files written and not yet folded; held while one is
    /// written or folded, so that they stay in order.
    spill: tokio::sync::Mutex<spill::Spill>,
    wake_flusher: tokio::sync::Notify,
    selectors: RwLock<Arc<Selectors>>,
    key: digest::SigningKey,
}

/// Records waiting for the next flush: management events, committed
/// into the queue, and data events, spilled into a file.
#[derive(Default)]
struct Buffer {
    management: Lines,
    data: Lines,
}

#[derive(Default)]
struct Lines {
    lines: Vec<u8>,
    count: u64,
}

impl Lines {
    /// Puts records that could not be flushed back in front of the newer.
    fn restore(&mut self, older: Lines, counters: &Counters, room: usize) {
        if older.lines.len() < room {
            let newer = std::mem::replace(&mut self.lines, older.lines);
            self.lines.extend_from_slice(&newer);
            self.count += older.count;
        } else {
            counters.dropped.fetch_add(older.count, Ordering::Relaxed);
        }
    }
}

impl Buffer {
    fn bytes(&self) -> usize {
        self.management.lines.len() + self.data.lines.len()
    }
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
        let counters = Arc::new(Counters {
            shared: storage.node_id().is_some(),
            ..Counters::default()
        });
        let mut last = state.moved_through.max(state.indexed_through);
        let mut backlog = 0;
        store::scan_queue(&*snapshot, state.moved_through + 1, &mut |sequence, entry| {
            last = last.max(sequence);
            backlog += entry.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count() as u64;
            Visit::Continue
        })?;
        drop(snapshot);
        let spilled = {
            let (dir, sealing, through) = (config.dir.clone(), config.sealing.clone(), state.spilled_through);
            tokio::task::spawn_blocking(move || spill::recover(&dir, sealing.as_ref(), through))
                .await
                .map_err(|e| StorageError::Io(std::io::Error::other(e)))?
                .map_err(|e| StorageError::Io(std::io::Error::new(e.kind(), format!("audit spill files: {e}"))))?
        };
        backlog += spilled.summary().records;
        counters.next_sequence.store(last + 1, Ordering::Relaxed);
        counters.backlog.store(backlog, Ordering::Relaxed);
        Ok(Arc::new(Audit {
            storage,
            writer,
            config,
            counters,
            buffer: Mutex::default(),
            spill: tokio::sync::Mutex::new(spilled),
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
        if buffer.bytes() + line.len() >= MAX_BUFFER {
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
        let lines = if event.management {
            &mut buffer.management
        } else {
            &mut buffer.data
        };
        lines.lines.extend_from_slice(&line);
        lines.lines.push(b'\n');
        lines.count += 1;
        if buffer.bytes() >= FLUSH_AT {
            self.wake_flusher.notify_one();
        }
    }

    /// Makes the buffered records durable now (also at shutdown): commits
    /// the management events, spills the data events.
    pub async fn flush(&self) -> Result<(), StorageError> {
        let taken = std::mem::take(&mut *self.buffer.lock().unwrap_or_else(|p| p.into_inner()));
        let committed = self.commit_buffered(taken.management).await;
        let spilled = self.spill_buffered(taken.data).await;
        committed.and(spilled)
    }

    async fn commit_buffered(&self, taken: Lines) -> Result<(), StorageError> {
        if taken.count == 0 {
            return Ok(());
        }
        let command = Arc::new(FlushCommand {
            entry: entry::encode(&taken.lines),
            count: taken.count,
            state: None,
            counters: self.counters.clone(),
        });
        let result = self.writer.submit(command).await;
        if result.is_err() {
            // Put them back in front of what came since, for the next try.
            let mut buffer = self.buffer.lock().unwrap_or_else(|p| p.into_inner());
            let room = MAX_BUFFER.saturating_sub(buffer.bytes());
            buffer.management.restore(taken, &self.counters, room);
        }
        result
    }

    async fn spill_buffered(&self, taken: Lines) -> Result<(), StorageError> {
        if taken.count == 0 {
            return Ok(());
        }
        let mut spill = self.spill.lock().await;
        let number = spill.next;
        let (dir, sealing) = (self.config.dir.clone(), self.config.sealing.clone());
        let written = tokio::task::spawn_blocking(move || {
            let summary = spill::Summary::of(&taken.lines);
            let written = spill::write(&dir, sealing.as_ref(), number, &taken.lines);
            (taken, summary, written)
        })
        .await;
        let (taken, summary, written) = written.map_err(|e| StorageError::Io(std::io::Error::other(e)))?;
        match written {
            Ok(()) => {
                spill.next = number + 1;
                spill.files.push(spill::SpillFile { number, summary });
                self.counters.backlog.fetch_add(taken.count, Ordering::Relaxed);
                Ok(())
            }
            Err(error) => {
                drop(spill);
                let mut buffer = self.buffer.lock().unwrap_or_else(|p| p.into_inner());
                let room = MAX_BUFFER.saturating_sub(buffer.bytes());
                buffer.data.restore(taken, &self.counters, room);
                Err(StorageError::Io(std::io::Error::new(
                    error.kind(),
                    format!("cannot write an audit spill file: {error}"),
                )))
            }
        }
    }

    /// Records committed or spilled but not yet in a log file (buffered
    /// ones not counted): cheap, for metrics.
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
