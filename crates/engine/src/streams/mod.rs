//! DynamoDB Streams: an ordered log of every change to a table's items.
//!
//! Each stream's records live in a keyspace of their own, keyed by their
//! sequence number (big-endian, so key order is log order); the writer
//! appends a table's records in the same storage transaction as the writes
//! they record (see [`log`]). Sequence numbers come from one counter for
//! all streams, so they grow along commit order. A stream is divided into
//! shards by sequence number ranges: the open shard takes new records, and
//! after an interval it is closed and a child opened, as DynamoDB's are.
//! Stream and shard metadata (small, changed only by the writer) is kept in
//! the `streams` system keyspace and, as published after each commit, in
//! [`Streams`] for the readers.

pub mod iterator;
pub mod log;
pub mod record;
mod trimmer;

use std::collections::BTreeMap;
use std::sync::RwLock;

use halyard_storage::{Direction, KeyRange, ReadView, Storage, Visit};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{KeySchemaElement, StreamViewType};

/// Keyspace of stream metadata, keyed by stream ARN.
pub(crate) const STREAMS_KEYSPACE: &str = "streams";

/// How a stream's life is reported (DescribeStream's StreamStatus).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamStatus {
    Enabled,
    Disabled,
}

impl StreamStatus {
    pub fn name(self) -> &'static str {
        match self {
            StreamStatus::Enabled => "ENABLED",
            StreamStatus::Disabled => "DISABLED",
        }
    }
}

/// Everything stored about one stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamMeta {
    pub arn: String,
    pub label: String,
    pub table_name: String,
    pub table_id: String,
    pub key_schema: Vec<KeySchemaElement>,
    pub view_type: StreamViewType,
    /// The keyspace of its records.
    pub keyspace: String,
    pub created: f64,
    /// When it was disabled (or its table deleted): it takes no more
    /// records, and goes once its last records have aged out.
    pub disabled: Option<f64>,
    /// Live shards, oldest first; the last is open while the stream is.
    pub shards: Vec<ShardMeta>,
    /// Records up to this sequence number have been trimmed (aged out).
    pub trimmed_through: u64,
    /// The table's data key, when it seals its items (the records are
    /// sealed with it): records stay readable after the table is deleted.
    #[serde(default)]
    pub sealed_by: Option<crate::item_seal::SealSource>,
    /// The highest sequence number recorded. Not stored: worked out from
    /// the records at start-up, so that appending writes no metadata.
    #[serde(skip)]
    pub last_sequence: u64,
}

impl StreamMeta {
    pub fn status(&self) -> StreamStatus {
        if self.disabled.is_some() {
            StreamStatus::Disabled
        } else {
            StreamStatus::Enabled
        }
    }

    pub fn shard(&self, id: &str) -> Option<&ShardMeta> {
        self.shards.iter().find(|shard| shard.id == id)
    }
}

/// A shard: the records with sequence numbers from `start` to `end`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardMeta {
    pub id: String,
    pub parent: Option<String>,
    pub start: u64,
    /// Set once the shard is closed.
    pub end: Option<u64>,
    /// When it was opened, in seconds since the epoch.
    pub opened: f64,
}

/// The streams as last committed, for readers.
#[derive(Debug, Default)]
pub(crate) struct Streams {
    state: RwLock<StreamsState>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct StreamsState {
    pub streams: BTreeMap<String, StreamMeta>,
    /// The next sequence number to give out.
    pub next_sequence: u64,
    /// Every record up to this sequence number that will ever exist is
    /// committed: a LATEST iterator starts after it.
    pub committed_sequence: u64,
}

impl Streams {
    /// Loads the streams' metadata and finds where each log ends.
    pub fn load(storage: &dyn Storage) -> Result<Streams> {
        let mut tx = storage.begin_write()?;
        tx.create_keyspace(STREAMS_KEYSPACE)?;
        tx.commit()?;
        let snapshot = storage.snapshot()?;
        Ok(Streams {
            state: RwLock::new(read_state(&*snapshot)?),
        })
    }

    /// Takes the metadata as `view` holds it (another node changed it),
    /// keeping this node's sequence numbers from going back.
    pub fn reload(&self, view: &dyn ReadView) -> Result<()> {
        let fresh = read_state(view)?;
        let mut state = self.write();
        let next_sequence = state.next_sequence.max(fresh.next_sequence);
        let committed_sequence = state.committed_sequence.max(fresh.committed_sequence);
        *state = StreamsState {
            next_sequence,
            committed_sequence,
            ..fresh
        };
        Ok(())
    }

    pub fn read(&self) -> std::sync::RwLockReadGuard<'_, StreamsState> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, StreamsState> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    pub fn stream(&self, arn: &str) -> Option<StreamMeta> {
        self.read().streams.get(arn).cloned()
    }
}

/// The streams' metadata as `snapshot` holds it, with where each log ends.
fn read_state(snapshot: &dyn ReadView) -> Result<StreamsState> {
    let mut metas = Vec::new();
    snapshot.scan(STREAMS_KEYSPACE, KeyRange::ALL, Direction::Forward, &mut |_, value| {
        metas.push(serde_json::from_slice::<StreamMeta>(value));
        Visit::Continue
    })?;
    let mut state = StreamsState::default();
    let mut highest = 0u64;
    for meta in metas {
        let mut meta = meta.map_err(|e| Error::Internal(format!("corrupt stream metadata: {e}")))?;
        meta.last_sequence = last_sequence(snapshot, &meta.keyspace)?.unwrap_or(0);
        highest = highest.max(meta.last_sequence).max(meta.trimmed_through).max(
            meta.shards
                .iter()
                .map(|s| s.start.max(s.end.unwrap_or(0)))
                .max()
                .unwrap_or(0),
        );
        state.streams.insert(meta.arn.clone(), meta);
    }
    state.next_sequence = highest + 1;
    state.committed_sequence = highest;
    Ok(state)
}

fn last_sequence(view: &dyn ReadView, keyspace: &str) -> Result<Option<u64>> {
    let mut last = None;
    view.scan(keyspace, KeyRange::ALL, Direction::Backward, &mut |key, _| {
        last = decode_sequence_key(key);
        Visit::Stop
    })?;
    Ok(last)
}

/// How `stream`'s records are stored: read with its table's data key as
/// the live table wraps it, or as the stream kept it once the table is gone.
pub(crate) fn stream_seal(
    catalog: &crate::catalog::Catalog,
    stream: &StreamMeta,
) -> Result<crate::item_seal::ItemSeal> {
    match catalog
        .get(&stream.table_name)
        .filter(|t| t.definition.id == stream.table_id)
    {
        Some(table) => catalog.seals.of(&table.definition),
        None => catalog.seals.of_source(stream.sealed_by.as_ref()),
    }
}

/// Visits the records of `shard` in `keyspace` from sequence number `from`
/// on, in order: a range read, so it costs what it visits.
pub(crate) fn scan_shard(
    view: &dyn ReadView,
    keyspace: &str,
    shard: &ShardMeta,
    from: u64,
    visit: &mut dyn FnMut(&[u8], &[u8]) -> Visit,
) -> Result<()> {
    let start = sequence_key(from);
    let end = shard.end.map(sequence_key);
    let range = KeyRange {
        start: std::ops::Bound::Included(&start),
        end: end.as_ref().map_or(std::ops::Bound::Unbounded, |end| {
            std::ops::Bound::Included(end.as_slice())
        }),
    };
    view.scan(keyspace, range, Direction::Forward, visit)?;
    Ok(())
}

pub(crate) fn sequence_key(sequence: u64) -> [u8; 8] {
    sequence.to_be_bytes()
}

pub(crate) fn decode_sequence_key(key: &[u8]) -> Option<u64> {
    key.try_into().ok().map(u64::from_be_bytes)
}

/// Sequence numbers on the wire: 21 digits, as DynamoDB's are at least.
pub fn format_sequence(sequence: u64) -> String {
    format!("{sequence:021}")
}

/// A wire sequence number; `None` if it is not one Halyard could have made.
pub fn parse_sequence(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.trim_start_matches('0').parse::<u64>().ok().or_else(|| {
        // All zeros.
        text.bytes().all(|b| b == b'0').then_some(0)
    })
}

/// A stream label: the time it was enabled, as DynamoDB writes it
/// (`2026-12-01T12:20:41.298`).
pub(crate) fn label_at(seconds: f64) -> String {
    let millis = (seconds * 1000.0).round() as i64;
    let (days, millis_of_day) = (millis.div_euclid(86_400_000), millis.rem_euclid(86_400_000));
    let (year, month, day) = civil_from_days(days);
    let (hour, minute) = (millis_of_day / 3_600_000, millis_of_day / 60_000 % 60);
    let (second, milli) = (millis_of_day / 1000 % 60, millis_of_day % 1000);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{milli:03}")
}

/// Year, month and day of a day count since 1970-01-01 (Howard Hinnant's
/// algorithm for the proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A shard id as DynamoDB shapes them: `shardId-` 20 digits of the epoch
/// milliseconds it opened at, `-`, 8 hex digits.
pub(crate) fn new_shard_id(opened: f64) -> String {
    let random = uuid::Uuid::new_v4().as_u128() as u32;
    format!("shardId-{:020}-{random:08x}", (opened * 1000.0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_utc_timestamps_with_milliseconds() {
        assert_eq!(label_at(0.0), "1970-01-01T00:00:00.000");
        assert_eq!(label_at(1_796_127_641.298), "2026-12-01T12:20:41.298");
        assert_eq!(label_at(951_782_400.5), "2000-02-29T00:00:00.500");
    }

    #[test]
    fn sequence_numbers_round_trip_and_sort_as_text() {
        assert_eq!(format_sequence(1), "000000000000000000001");
        assert_eq!(parse_sequence("000000000000000000001"), Some(1));
        assert_eq!(parse_sequence("000000000000000000000"), Some(0));
        assert_eq!(parse_sequence(&format_sequence(u64::MAX)), Some(u64::MAX));
        assert_eq!(parse_sequence("00000000000000000000x"), None);
        assert_eq!(parse_sequence("99999999999999999999999"), None);
        assert!(format_sequence(9) < format_sequence(10));
    }

    #[test]
    fn shard_ids_have_dynamodb_shape() {
        let id = new_shard_id(1_796_127_641.306);
        assert!(id.starts_with("shardId-00000001796127641306-"), "{id}");
        assert_eq!(id.len(), "shardId-00000001796127641306-23d0b444".len());
    }
}
