//! The audit trail's keyspaces and the system commands that write them.
//!
//! `sys_audit` holds the queue of committed records not yet in a log file
//! (`q` + sequence number, in commit order; a value is the records of one
//! writer batch, or of one flush of the buffer, one per line, deflated:
//! [`crate::entry`]) and the trail's own state (`m/...`). `sys_audit_index`
//! holds the records kept for lookups.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use halyard_storage::{AttachedRecord, Direction, KeyRange, ReadView, SystemCommand, Visit, WriteTransaction};
use serde::{Deserialize, Serialize};

pub const KEYSPACE: &str = "sys_audit";
pub const INDEX_KEYSPACE: &str = "sys_audit_index";

const QUEUE: u8 = b'q';
pub(crate) const STATE_KEY: &[u8] = b"m/state";
pub(crate) const SIGNING_KEY: &[u8] = b"m/signing_key";
pub(crate) const SELECTORS_KEY: &[u8] = b"m/selectors";

pub(crate) fn queue_key(sequence: u64) -> [u8; 9] {
    let mut key = [QUEUE; 9];
    key[1..].copy_from_slice(&sequence.to_be_bytes());
    key
}

pub(crate) fn queue_sequence(key: &[u8]) -> Option<u64> {
    match key {
        [QUEUE, rest @ ..] => Some(u64::from_be_bytes(rest.try_into().ok()?)),
        _ => None,
    }
}

/// Queued entries with sequence numbers in `from..`, in order, decoded
/// into their lines, until `visit` stops.
pub(crate) fn scan_queue(
    view: &dyn ReadView,
    from: u64,
    visit: &mut dyn FnMut(u64, &[u8]) -> Visit,
) -> halyard_storage::Result<()> {
    let start = queue_key(from);
    let end = [QUEUE + 1];
    view.scan(
        KEYSPACE,
        KeyRange {
            start: std::ops::Bound::Included(&start),
            end: std::ops::Bound::Excluded(&end),
        },
        Direction::Forward,
        &mut |key, value| match queue_sequence(key) {
            Some(sequence) => visit(sequence, &crate::entry::lines(value)),
            None => Visit::Stop,
        },
    )
}

/// What the trail has done with its queue, and the head of its digest chain.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct TrailState {
    /// Every queued entry up to this sequence number is in a log file.
    pub moved_through: u64,
    /// Every queued entry up to this sequence number is in the index.
    pub indexed_through: u64,
    pub chain: Option<ChainHead>,
    /// Every spill file up to this number is in the queue ([`crate::spill`]).
    #[serde(default)]
    pub spilled_through: u64,
}

/// The newest digest: the chain is checked from it backwards.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ChainHead {
    pub sequence: u64,
    /// Relative to the audit directory.
    pub digest_path: String,
    pub digest_hash: String,
    pub digest_signature: String,
}

pub(crate) fn read_state(view: &dyn ReadView) -> halyard_storage::Result<TrailState> {
    match view.get(KEYSPACE, STATE_KEY)? {
        Some(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| halyard_storage::StorageError::Corrupt(format!("audit trail state: {e}"))),
        None => Ok(TrailState::default()),
    }
}

/// Sequence numbers, given out by the writer as it applies records (so in
/// commit order), and the count of queued records not yet in files.
#[derive(Debug, Default)]
pub struct Counters {
    pub(crate) next_sequence: AtomicU64,
    /// Whether other nodes queue entries too (several nodes over one
    /// store): each entry's sequence number then continues after the last
    /// entry its transaction sees, so that two nodes never take the same
    /// one (the database lets one of two such batches commit, and the
    /// other is applied again after it).
    pub(crate) shared: bool,
    /// Records committed to the queue and not yet in a log file.
    pub(crate) backlog: AtomicU64,
    /// Records refused because the buffer was full (the writer failing).
    pub(crate) dropped: AtomicU64,
}

impl Counters {
    /// The sequence number of the next queued entry, written by `tx`.
    fn allocate(&self, tx: &dyn ReadView) -> halyard_storage::Result<u64> {
        if self.shared {
            let (start, end) = (queue_key(0), [QUEUE + 1]);
            let mut last = None;
            tx.scan(
                KEYSPACE,
                KeyRange {
                    start: std::ops::Bound::Included(&start),
                    end: std::ops::Bound::Excluded(&end),
                },
                Direction::Backward,
                &mut |key, _| {
                    last = queue_sequence(key);
                    Visit::Stop
                },
            )?;
            if let Some(last) = last {
                self.next_sequence.fetch_max(last + 1, Ordering::Relaxed);
            }
        }
        Ok(self.next_sequence.fetch_add(1, Ordering::Relaxed))
    }
}

/// A request's record, attached to its mutation
/// (`halyard_engine::with_audit`): written in the mutation's transaction.
#[derive(Debug)]
pub struct RecordAttachment {
    record: Vec<u8>,
    counters: Arc<Counters>,
    committed: AtomicBool,
}

impl RecordAttachment {
    pub(crate) fn new(record: Vec<u8>, counters: Arc<Counters>) -> RecordAttachment {
        RecordAttachment {
            record,
            counters,
            committed: AtomicBool::new(false),
        }
    }
}

impl AttachedRecord for RecordAttachment {
    fn line(&self) -> &[u8] {
        &self.record
    }

    fn is_committed(&self) -> bool {
        self.committed.load(Ordering::Acquire)
    }

    fn store_batch(&self, tx: &mut dyn WriteTransaction, lines: &[u8]) -> halyard_storage::Result<()> {
        let sequence = self.counters.allocate(&*tx)?;
        tx.put(KEYSPACE, &queue_key(sequence), &crate::entry::encode(lines))
    }

    fn committed(&self) {
        if !self.committed.swap(true, Ordering::AcqRel) {
            self.counters.backlog.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Buffered records (management events: reads, failures, denials), or
/// the spilled data events the mover folds in, queued as one entry.
#[derive(Debug)]
pub(crate) struct FlushCommand {
    /// The records, encoded ([`crate::entry::encode`]).
    pub entry: Vec<u8>,
    /// Records the backlog gains (spilled ones were counted when spilled).
    pub count: u64,
    /// The trail's state to commit with the entry (the mover's, saying
    /// which spill files it holds).
    pub state: Option<TrailState>,
    pub counters: Arc<Counters>,
}

impl SystemCommand for FlushCommand {
    fn apply(&self, tx: &mut dyn WriteTransaction) -> halyard_storage::Result<()> {
        let sequence = self.counters.allocate(&*tx)?;
        tx.put(KEYSPACE, &queue_key(sequence), &self.entry)?;
        if let Some(state) = &self.state {
            let state = serde_json::to_vec(state).expect("the state serialises");
            tx.put(KEYSPACE, STATE_KEY, &state)?;
        }
        Ok(())
    }

    fn committed(&self) {
        self.counters.backlog.fetch_add(self.count, Ordering::Relaxed);
    }
}

/// Plain writes of the trail's own (index entries, state, deletions),
/// applied together.
#[derive(Debug, Default)]
pub(crate) struct Writes {
    pub puts: Vec<(&'static str, Vec<u8>, Vec<u8>)>,
    pub deletes: Vec<(&'static str, Vec<u8>)>,
    pub create_keyspaces: bool,
}

impl Writes {
    pub fn put(&mut self, keyspace: &'static str, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.puts.push((keyspace, key.into(), value.into()));
    }

    pub fn delete(&mut self, keyspace: &'static str, key: impl Into<Vec<u8>>) {
        self.deletes.push((keyspace, key.into()));
    }

    pub fn put_state(&mut self, state: &TrailState) {
        let state = serde_json::to_vec(state).expect("the state serialises");
        self.put(KEYSPACE, STATE_KEY.to_vec(), state);
    }
}

impl SystemCommand for Writes {
    fn apply(&self, tx: &mut dyn WriteTransaction) -> halyard_storage::Result<()> {
        if self.create_keyspaces {
            tx.create_keyspace(KEYSPACE)?;
            tx.create_keyspace(INDEX_KEYSPACE)?;
        }
        for (keyspace, key) in &self.deletes {
            tx.delete(keyspace, key)?;
        }
        for (keyspace, key, value) in &self.puts {
            tx.put(keyspace, key, value)?;
        }
        Ok(())
    }

    fn committed(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_keys_sort_by_sequence() {
        assert!(queue_key(1) < queue_key(2));
        assert!(queue_key(255) < queue_key(256));
        assert_eq!(queue_sequence(&queue_key(77)), Some(77));
        assert_eq!(queue_sequence(STATE_KEY), None);
    }
}
