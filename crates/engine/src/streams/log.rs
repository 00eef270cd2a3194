//! The writer's side of the streams: appending records, opening, closing
//! and rolling shards, and trimming what has aged out, all inside the
//! writer's storage transaction. The writer works on a copy of the
//! streams' state and publishes it once the batch has committed (or
//! takes the published state back if the batch rolled back).

use std::collections::BTreeSet;
use std::sync::Arc;

use halyard_storage::{Direction, KeyRange, ReadView, Visit, WriteTransaction};

use super::record::{self, StreamRecord};
use super::{new_shard_id, sequence_key, ShardMeta, StreamMeta, Streams, StreamsState, STREAMS_KEYSPACE};
use crate::error::{Error, Result};
use crate::item_seal::{ItemSeal, SealForm, SealSource};
use crate::model::{Item, TableDefinition};

/// How streams age and roll over.
#[derive(Debug, Clone, Copy)]
pub struct StreamSettings {
    /// Seconds a record is kept (DynamoDB: 24 hours).
    pub retention: f64,
    /// Seconds after which the open shard is closed and a child opened
    /// (DynamoDB's roll over about every four hours).
    pub shard_interval: f64,
}

impl Default for StreamSettings {
    fn default() -> Self {
        StreamSettings {
            retention: 24.0 * 3600.0,
            shard_interval: 4.0 * 3600.0,
        }
    }
}

/// Records removed by one trim command at most: trimming is incremental,
/// so that it never holds the writer for long.
pub(crate) const TRIM_LIMIT: usize = 1000;

pub(crate) struct StreamLog {
    published: Arc<Streams>,
    working: StreamsState,
    /// Streams whose state changed in the current batch.
    dirty: BTreeSet<String>,
    settings: StreamSettings,
    /// Whether other nodes append to the same streams: each stream's last
    /// sequence number is then read in the batch's transaction before its
    /// first record.
    shared: bool,
    /// Streams whose end this batch has read (`shared`).
    read_ends: BTreeSet<String>,
}

impl StreamLog {
    pub fn new(published: Arc<Streams>, settings: StreamSettings, shared: bool) -> StreamLog {
        let working = published.read().clone();
        StreamLog {
            published,
            working,
            dirty: BTreeSet::new(),
            settings,
            shared,
            read_ends: BTreeSet::new(),
        }
    }

    /// Takes the published state again (another node's changes were
    /// loaded into it), keeping the sequence numbers from going back.
    pub fn reload(&mut self) {
        let next_sequence = self.working.next_sequence;
        self.working = self.published.read().clone();
        self.working.next_sequence = self.working.next_sequence.max(next_sequence);
    }

    /// With other nodes appending to the stream `arn` too: its records
    /// continue after the last one the transaction sees, so that sequence
    /// numbers grow along commit order across nodes (two nodes' batches
    /// that append to one stream both read its end: the database lets one
    /// of them commit, and the other is applied again after it).
    fn read_end(&mut self, tx: &dyn ReadView, arn: &str) -> Result<()> {
        if !self.shared || self.read_ends.contains(arn) {
            return Ok(());
        }
        let Some(meta) = self.working.streams.get_mut(arn) else {
            return Ok(());
        };
        let mut last = None;
        tx.scan(&meta.keyspace, KeyRange::ALL, Direction::Backward, &mut |key, _| {
            last = super::decode_sequence_key(key);
            Visit::Stop
        })?;
        let last = last.unwrap_or(0).max(meta.trimmed_through);
        meta.last_sequence = meta.last_sequence.max(last);
        self.working.next_sequence = self.working.next_sequence.max(last + 1);
        self.read_ends.insert(arn.to_string());
        Ok(())
    }

    /// Appends the record of a change to an item of `table`, if the table
    /// has an enabled stream and the item did change.
    #[allow(clippy::too_many_arguments)]
    pub fn append(
        &mut self,
        tx: &mut dyn WriteTransaction,
        seal: &ItemSeal,
        table: &TableDefinition,
        old: Option<&Item>,
        new: Option<&Item>,
        by_service: bool,
        now: f64,
    ) -> Result<()> {
        let Some(stream) = table.enabled_stream() else {
            return Ok(());
        };
        if old == new {
            // Nothing changed (a put of the same item, a delete of nothing).
            return Ok(());
        }
        self.read_end(&*tx, &stream.arn)?;
        let sequence = self.working.next_sequence;
        let meta = self
            .working
            .streams
            .get_mut(&stream.arn)
            .ok_or_else(|| Error::Internal(format!("stream {} has no metadata", stream.arn)))?;
        let open = meta
            .shards
            .last()
            .ok_or_else(|| Error::Internal(format!("stream {} has no open shard", stream.arn)))?;
        if now - open.opened >= self.settings.shard_interval && meta.last_sequence >= open.start {
            roll_over(meta, sequence, now);
            store_meta(tx, meta)?;
        }
        let item = new.or(old).expect("a change has an item");
        let keys = table.primary_key.key_of(item);
        let record = StreamRecord::of_change(
            sequence,
            meta.view_type,
            keys,
            old,
            new,
            now.max(0.0) as u64,
            by_service,
        );
        let key = sequence_key(sequence);
        let mut stored = record::encode(&record);
        if seal.is_sealed() {
            // The header stays readable (the trimmer reads its time).
            let items = stored.split_off(record::HEADER_LEN);
            stored.extend_from_slice(&seal.seal(SealForm::StreamRecord, &key, items)?);
        }
        tx.put(&meta.keyspace, &key, &stored)?;
        meta.last_sequence = sequence;
        self.working.next_sequence += 1;
        self.dirty.insert(stream.arn.clone());
        Ok(())
    }

    /// Follows a table's change of definition (`None`: the table does not
    /// exist before, or after): creates the stream it enables, disables
    /// the one it stops.
    pub fn table_changed(
        &mut self,
        tx: &mut dyn WriteTransaction,
        before: Option<&TableDefinition>,
        after: Option<&TableDefinition>,
        now: f64,
    ) -> Result<()> {
        let old = before.and_then(TableDefinition::enabled_stream);
        let new = after.and_then(TableDefinition::enabled_stream);
        if old.map(|s| &s.arn) == new.map(|s| &s.arn) {
            return Ok(());
        }
        if let Some(old) = old {
            if let Some(meta) = self.working.streams.get_mut(&old.arn) {
                meta.disabled = Some(now);
                if let Some(open) = meta.shards.last_mut().filter(|shard| shard.end.is_none()) {
                    open.end = Some(meta.last_sequence.max(open.start));
                }
                store_meta(tx, meta)?;
                self.dirty.insert(old.arn.clone());
            }
        }
        if let (Some(new), Some(table)) = (new, after) {
            let meta = StreamMeta {
                arn: new.arn.clone(),
                label: new.label.clone(),
                table_name: table.name.clone(),
                table_id: table.id.clone(),
                key_schema: table.key_schema.clone(),
                view_type: new.view_type,
                keyspace: format!("s_{}", uuid::Uuid::new_v4().simple()),
                created: now,
                disabled: None,
                shards: vec![ShardMeta {
                    id: new_shard_id(now),
                    parent: None,
                    start: self.working.next_sequence,
                    end: None,
                    opened: now,
                }],
                trimmed_through: 0,
                sealed_by: SealSource::of(table),
                last_sequence: 0,
            };
            tx.create_keyspace(&meta.keyspace)?;
            store_meta(tx, &meta)?;
            self.working.streams.insert(meta.arn.clone(), meta);
            self.dirty.insert(new.arn.clone());
        }
        Ok(())
    }

    /// Removes records older than the retention period (at most
    /// [`TRIM_LIMIT`]), the shards left empty, and disabled streams whose
    /// records have all aged out. Returns how many records it removed.
    pub fn trim(&mut self, tx: &mut dyn WriteTransaction, now: f64) -> Result<usize> {
        let cutoff = now - self.settings.retention;
        let mut removed = 0;
        let arns: Vec<String> = self.working.streams.keys().cloned().collect();
        for arn in arns {
            let meta = self.working.streams.get_mut(&arn).expect("listed above");
            if meta.disabled.is_some_and(|disabled| disabled <= cutoff) {
                tx.drop_keyspace(&meta.keyspace)?;
                tx.delete(STREAMS_KEYSPACE, arn.as_bytes())?;
                self.working.streams.remove(&arn);
                self.dirty.insert(arn);
                continue;
            }
            if removed >= TRIM_LIMIT {
                continue;
            }
            let mut aged = Vec::new();
            let start = sequence_key(meta.trimmed_through.saturating_add(1));
            let range = KeyRange {
                start: std::ops::Bound::Included(&start),
                end: std::ops::Bound::Unbounded,
            };
            tx.scan(&meta.keyspace, range, Direction::Forward, &mut |key, value| {
                let old_enough = record::created_of(value).is_some_and(|created| (created as f64) < cutoff);
                if !old_enough || removed + aged.len() >= TRIM_LIMIT {
                    return Visit::Stop;
                }
                aged.push(key.to_vec());
                Visit::Continue
            })?;
            let Some(last) = aged.last().and_then(|key| super::decode_sequence_key(key)) else {
                continue;
            };
            for key in &aged {
                tx.delete(&meta.keyspace, key)?;
            }
            removed += aged.len();
            meta.trimmed_through = last;
            meta.shards
                .retain(|shard| shard.end.is_none_or(|end| end > meta.trimmed_through));
            store_meta(tx, meta)?;
            self.dirty.insert(arn);
        }
        Ok(removed)
    }

    /// The batch committed: readers may see what it did.
    pub fn publish(&mut self) {
        self.read_ends.clear();
        let mut published = self.published.write();
        for arn in std::mem::take(&mut self.dirty) {
            match self.working.streams.get(&arn) {
                Some(meta) => published.streams.insert(arn, meta.clone()),
                None => published.streams.remove(&arn),
            };
        }
        published.next_sequence = self.working.next_sequence;
        published.committed_sequence = self.working.next_sequence - 1;
    }

    /// The batch rolled back: forget what it did. Sequence numbers it took
    /// are not given out again (gaps are allowed; reuse is not).
    pub fn roll_back(&mut self) {
        self.read_ends.clear();
        if self.dirty.is_empty() {
            return;
        }
        self.dirty.clear();
        let next_sequence = self.working.next_sequence;
        self.working = self.published.read().clone();
        self.working.next_sequence = next_sequence;
    }
}

/// Closes the open shard after its last record and opens a child that
/// starts at `sequence`.
fn roll_over(meta: &mut StreamMeta, sequence: u64, now: f64) {
    let last = meta.last_sequence;
    let open = meta.shards.last_mut().expect("checked by the caller");
    open.end = Some(last);
    let parent = open.id.clone();
    meta.shards.push(ShardMeta {
        id: new_shard_id(now),
        parent: Some(parent),
        start: sequence,
        end: None,
        opened: now,
    });
}

fn store_meta(tx: &mut dyn WriteTransaction, meta: &StreamMeta) -> Result<()> {
    let bytes = serde_json::to_vec(meta).expect("stream metadata serialises");
    tx.put(STREAMS_KEYSPACE, meta.arn.as_bytes(), &bytes)?;
    Ok(())
}
