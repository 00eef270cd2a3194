//! The point-in-time recovery change log: for every write to a table with
//! point-in-time recovery, the writer records the item's new image (or a
//! delete marker with its key) in the same transaction as the write, under
//! the table's id and a stamp that orders the writes.
//!
//! A stamp is the commit time in microseconds since the epoch, made
//! strictly increasing: the writer is one thread, so the stamps of its
//! writes are in the order it applied them.

use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};

use halyard_storage::{Direction, KeyRange, ReadView, Visit, WriteTransaction};

use crate::error::{Error, Result};
use crate::item_seal::{ItemSeal, SealForm};
use crate::model::item_codec::{decode_item, encode_item};
use crate::model::{Item, TableDefinition};

/// Keyspace of change records: table id, a zero byte, the stamp (8 bytes,
/// big-endian) → a tag byte (1: the new image, 0: deleted, with the key)
/// and the encoded item.
pub(crate) const KEYSPACE: &str = "pitr_log";

static LAST_STAMP: AtomicU64 = AtomicU64::new(0);

/// The next stamp: now, or just after the last one if the clock has not
/// moved on (or went back).
fn next_stamp() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_micros() as u64;
    let mut last = LAST_STAMP.load(Ordering::Relaxed);
    loop {
        let stamp = now.max(last + 1);
        match LAST_STAMP.compare_exchange(last, stamp, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return stamp,
            Err(current) => last = current,
        }
    }
}

/// The stamp bound that includes every write at or before `time` (seconds,
/// millisecond precision as DynamoDB's times have): the stamps below it.
pub(crate) fn stamp_after(time: f64) -> u64 {
    stamp_at(time) + 1000
}

/// The first stamp of the millisecond of `time` (seconds; a time given
/// with finer precision belongs to its millisecond).
pub(crate) fn stamp_at(time: f64) -> u64 {
    // The epsilon keeps 0.123 (stored as 0.12299999...) in millisecond 123.
    (time * 1000.0 + 1e-6).floor() as u64 * 1000
}

fn prefix(table_id: &str) -> Vec<u8> {
    let mut key = table_id.as_bytes().to_vec();
    key.push(0);
    key
}

fn key(table_id: &str, stamp: u64) -> Vec<u8> {
    let mut key = prefix(table_id);
    key.extend_from_slice(&stamp.to_be_bytes());
    key
}

/// The table id and stamp of a change record's key.
fn parse_key(key: &[u8]) -> Result<(&str, u64)> {
    let corrupt = || Error::Internal("corrupt change log key".into());
    let split = key.len().checked_sub(9).ok_or_else(corrupt)?;
    let id = std::str::from_utf8(&key[..split]).map_err(|_| corrupt())?;
    let stamp = u64::from_be_bytes(key[split + 1..].try_into().map_err(|_| corrupt())?);
    Ok((id, stamp))
}

/// Records a write of the table (`new` is `None` for a delete of `old`).
pub(crate) fn append(
    tx: &mut dyn WriteTransaction,
    seal: &ItemSeal,
    definition: &TableDefinition,
    old: Option<&Item>,
    new: Option<&Item>,
) -> Result<()> {
    let value = match (new, old) {
        (Some(item), _) => [&[1u8][..], &encode_item(item)].concat(),
        (None, Some(old)) => [&[0u8][..], &encode_item(&definition.primary_key.key_of(old))].concat(),
        (None, None) => return Ok(()),
    };
    let key = key(&definition.id, next_stamp());
    tx.put(KEYSPACE, &key, &seal.seal(SealForm::ChangeRecord, &key, value)?)?;
    Ok(())
}

/// A change as a restore replays it.
pub(crate) enum Change {
    Put(Item),
    /// The key of a deleted item.
    Delete(Item),
}

/// Up to `limit` changes of table `table_id` with stamps after `after` and
/// below `until`, in order, each with its stamp.
pub(crate) fn read(
    view: &dyn ReadView,
    seal: &ItemSeal,
    table_id: &str,
    after: Option<u64>,
    until: u64,
    limit: usize,
) -> Result<Vec<(u64, Change)>> {
    let start = key(table_id, after.map_or(0, |after| after.saturating_add(1)));
    let end = key(table_id, until);
    let range = KeyRange {
        start: Bound::Included(&start),
        end: Bound::Excluded(&end),
    };
    let mut changes = Vec::new();
    let mut failure = None;
    view.scan(KEYSPACE, range, Direction::Forward, &mut |key, value| {
        let change = parse_key(key).and_then(|(_, stamp)| {
            let value = seal.open(SealForm::ChangeRecord, key, value)?;
            let item = value.get(1..).map(decode_item).transpose()?;
            match (value.first(), item) {
                (Some(1), Some(item)) => Ok((stamp, Change::Put(item))),
                (Some(0), Some(key)) => Ok((stamp, Change::Delete(key))),
                _ => Err(Error::Internal("corrupt change log record".into())),
            }
        });
        match change {
            Ok(change) => changes.push(change),
            Err(error) => failure = Some(error),
        }
        if failure.is_some() || changes.len() == limit {
            Visit::Stop
        } else {
            Visit::Continue
        }
    })?;
    failure.map_or(Ok(changes), Err)
}

/// The last stamp of table `table_id` that `view` sees.
pub(crate) fn last_stamp(view: &dyn ReadView, table_id: &str) -> Result<Option<u64>> {
    let start = prefix(table_id);
    let end = key(table_id, u64::MAX);
    let range = KeyRange {
        start: Bound::Included(&start),
        end: Bound::Included(&end),
    };
    let mut last = None;
    view.scan(KEYSPACE, range, Direction::Backward, &mut |key, _| {
        last = Some(key.to_vec());
        Visit::Stop
    })?;
    last.map(|key| parse_key(&key).map(|(_, stamp)| stamp)).transpose()
}

/// What a trim keeps of one table's log: the records after a stamp.
/// `None` drops the whole log (the table is gone or has no point-in-time
/// recovery now).
pub(crate) type KeepAfter = Option<u64>;

/// Deletes up to `limit` change records that `keep` (asked per table id)
/// no longer needs; returns how many it deleted.
pub(crate) fn trim(tx: &mut dyn WriteTransaction, keep: &dyn Fn(&str) -> KeepAfter, limit: usize) -> Result<usize> {
    let mut removed = 0;
    let mut start: Vec<u8> = Vec::new();
    // Each pass either deletes records or moves on to the next table.
    while removed < limit {
        let mut doomed = Vec::new();
        let mut next_table = None;
        let range = KeyRange {
            start: Bound::Included(&start),
            end: Bound::Unbounded,
        };
        let mut failure = None;
        tx.scan(KEYSPACE, range, Direction::Forward, &mut |key, _| {
            let (id, stamp) = match parse_key(key) {
                Ok(parsed) => parsed,
                Err(error) => {
                    failure = Some(error);
                    return Visit::Stop;
                }
            };
            match keep(id) {
                Some(after) if stamp > after => {
                    // Everything later of this table is kept: skip to the next.
                    let mut next = id.as_bytes().to_vec();
                    next.push(1);
                    next_table = Some(next);
                    Visit::Stop
                }
                _ => {
                    doomed.push(key.to_vec());
                    if removed + doomed.len() == limit {
                        Visit::Stop
                    } else {
                        Visit::Continue
                    }
                }
            }
        })?;
        if let Some(error) = failure {
            return Err(error);
        }
        for key in &doomed {
            tx.delete(KEYSPACE, key)?;
        }
        removed += doomed.len();
        match next_table {
            Some(next) => start = next,
            None => break,
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use halyard_storage::sqlite::{SqliteOptions, SqliteStorage};
    use halyard_storage::Storage;

    use super::*;
    use crate::model::AttributeValue;

    fn item(key: &str, value: &str) -> Item {
        [
            ("pk".to_string(), AttributeValue::S(key.into())),
            ("v".to_string(), AttributeValue::S(value.into())),
        ]
        .into_iter()
        .collect()
    }

    /// A table keyed by `pk` (S).
    fn definition(id: &str) -> TableDefinition {
        serde_json::from_value(serde_json::json!({
            "name": "t", "id": id, "arn": "arn:aws:dynamodb:us-east-1:000000000000:table/t", "created": 0.0,
            "key_schema": [], "attribute_definitions": [],
            "primary_key": {"partition": {"name": "pk", "scalar_type": "S"}, "sort": null},
            "billing_mode": "PayPerRequest", "throughput": {"read_capacity_units": 0, "write_capacity_units": 0,
                "last_increase": null, "last_decrease": null, "number_of_decreases_today": 0},
            "last_update_to_pay_per_request": null, "tags": [], "deletion_protection": false, "keyspace": "t_x"
        }))
        .unwrap()
    }

    #[test]
    fn stamps_increase_and_times_map_to_their_millisecond() {
        let stamps: Vec<u64> = (0..1000).map(|_| next_stamp()).collect();
        assert!(stamps.windows(2).all(|pair| pair[0] < pair[1]));
        assert_eq!(stamp_at(1.123), 1_123_000);
        assert_eq!(stamp_after(1.123), 1_124_000);
        assert_eq!(stamp_at(1.1239), 1_123_000);
    }

    #[test]
    fn changes_read_back_in_order_and_trim_is_bounded_per_table() {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(dir.path(), SqliteOptions::default()).unwrap();
        let (a, b) = (definition("aaaa"), definition("bbbb"));
        let mut tx = storage.begin_write().unwrap();
        tx.create_keyspace(KEYSPACE).unwrap();
        for i in 0..10 {
            let new = item(&format!("k{i}"), "x");
            append(&mut *tx, &ItemSeal::PLAIN, &a, None, Some(&new)).unwrap();
            append(&mut *tx, &ItemSeal::PLAIN, &b, None, Some(&new)).unwrap();
        }
        let old = item("k0", "x");
        append(&mut *tx, &ItemSeal::PLAIN, &a, Some(&old), None).unwrap();
        tx.commit().unwrap();

        let view = storage.snapshot().unwrap();
        let changes = read(&*view, &ItemSeal::PLAIN, "aaaa", None, u64::MAX, 100).unwrap();
        assert_eq!(changes.len(), 11);
        assert!(changes.windows(2).all(|pair| pair[0].0 < pair[1].0));
        assert!(matches!(&changes[10].1, Change::Delete(key) if key.len() == 1));
        let fifth = changes[4].0;
        let after = read(&*view, &ItemSeal::PLAIN, "aaaa", Some(fifth), u64::MAX, 3).unwrap();
        assert_eq!(after.len(), 3);
        assert_eq!(after[0].0, changes[5].0);
        assert_eq!(last_stamp(&*view, "aaaa").unwrap(), Some(changes[10].0));
        drop(view);

        // Table a keeps what follows its fifth change; table b is gone.
        let keep = |id: &str| (id == "aaaa").then_some(fifth);
        let mut tx = storage.begin_write().unwrap();
        assert_eq!(trim(&mut *tx, &keep, 4).unwrap(), 4);
        assert_eq!(trim(&mut *tx, &keep, 100).unwrap(), 11);
        assert_eq!(trim(&mut *tx, &keep, 100).unwrap(), 0);
        tx.commit().unwrap();
        let view = storage.snapshot().unwrap();
        assert_eq!(
            read(&*view, &ItemSeal::PLAIN, "aaaa", None, u64::MAX, 100)
                .unwrap()
                .len(),
            6
        );
        assert_eq!(
            read(&*view, &ItemSeal::PLAIN, "bbbb", None, u64::MAX, 100)
                .unwrap()
                .len(),
            0
        );
    }
}
