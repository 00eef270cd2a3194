//! Time to Live: the expiry index and what the writer does with it.
//!
//! While TTL is enabled on a table, its expiry index (a keyspace of its
//! own) holds one entry per item whose TTL attribute is a Number of epoch
//! seconds: the key is the expiry second (8 bytes, big-endian, so entries
//! sort by expiry) followed by the item's storage key, and the value is
//! empty. The writer keeps it in step with every item write, in the same
//! storage transaction. Finding the expired items is a range read of the
//! index up to now: it costs what expires, not what the table holds.
//!
//! Expired items are deleted by [`expirer`] through the writer, a small
//! batch per command, as deletes marked [`WriteOrigin::TimeToLive`].

pub(crate) mod expirer;

use std::ops::Bound;

use halyard_storage::{Direction, KeyRange, ReadView, Visit, WriteTransaction};

use crate::error::{Error, Result};
use crate::item_seal::{ItemSeal, SealForm};
use crate::keys;
use crate::model::{AttributeValue, Item, TableDefinition, TimeToLive};
use crate::writer::{ItemAction, ItemWrite, WriteOrigin};

/// DynamoDB ignores TTL values more than five years in the past.
pub(crate) const MAX_AGE_SECONDS: u64 = 5 * 365 * 24 * 60 * 60;

/// Items the expiry index backfill reads per writer command.
const BACKFILL_CHUNK: usize = 500;

/// The expiry index keyspace of a table with id `table_id`.
pub(crate) fn keyspace_for(table_id: &str) -> String {
    format!("x_{}", table_id.replace('-', ""))
}

/// The second `item` expires at under `ttl`: its TTL attribute is a Number
/// of (non-negative) epoch seconds. Anything else never expires, as in
/// DynamoDB (strings, sets, maps, ...). Fractions are dropped: an item
/// expires once the current second is past its value's whole seconds.
pub(crate) fn expiry_of(item: &Item, attribute_name: &str) -> Option<u64> {
    let AttributeValue::N(number) = item.get(attribute_name)? else {
        return None;
    };
    let seconds: f64 = number.to_string().parse().ok()?;
    // Beyond u64 seconds lies no date anyone will see.
    (seconds.is_finite() && (0.0..1.8e19).contains(&seconds)).then(|| seconds.floor() as u64)
}

/// Whether an item that expires at `expiry` is due for deletion at `now`:
/// its time has passed, but by no more than five years.
pub(crate) fn is_due(expiry: u64, now: u64) -> bool {
    expiry < now && now - expiry <= MAX_AGE_SECONDS
}

/// The expiry index key of an item stored under `storage_key`.
pub(crate) fn entry_key(expiry: u64, storage_key: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(8 + storage_key.len());
    key.extend_from_slice(&expiry.to_be_bytes());
    key.extend_from_slice(storage_key);
    key
}

/// The expiry second and the item's storage key of an expiry index key.
pub(crate) fn split_entry_key(key: &[u8]) -> Option<(u64, &[u8])> {
    let (expiry, storage_key) = key.split_first_chunk::<8>()?;
    Some((u64::from_be_bytes(*expiry), storage_key))
}

/// Keeps the expiry index in step with one item write (`old` and `new`
/// are the item before and after it; `None` for absent).
pub(crate) fn index_item_write(
    tx: &mut dyn WriteTransaction,
    definition: &TableDefinition,
    storage_key: &[u8],
    old: Option<&Item>,
    new: Option<&Item>,
) -> Result<()> {
    let Some(ttl) = &definition.time_to_live else {
        return Ok(());
    };
    let expiry = |item: Option<&Item>| item.and_then(|item| expiry_of(item, &ttl.attribute_name));
    let (before, after) = (expiry(old), expiry(new));
    if before == after {
        return Ok(());
    }
    if let Some(expiry) = before {
        tx.delete(&ttl.keyspace, &entry_key(expiry, storage_key))?;
    }
    if let Some(expiry) = after {
        tx.put(&ttl.keyspace, &entry_key(expiry, storage_key), &[])?;
    }
    Ok(())
}

/// The range of index entries due at `now`: expiry in `[now - 5 years, now)`.
fn due_range(now: u64) -> (Vec<u8>, Vec<u8>) {
    (
        now.saturating_sub(MAX_AGE_SECONDS).to_be_bytes().to_vec(),
        now.to_be_bytes().to_vec(),
    )
}

/// Whether the table has an item due for deletion at `now` (one index read).
pub(crate) fn has_due(view: &dyn ReadView, ttl: &TimeToLive, now: u64) -> Result<bool> {
    let (start, end) = due_range(now);
    let range = KeyRange {
        start: Bound::Included(&start),
        end: Bound::Excluded(&end),
    };
    let mut found = false;
    view.scan(&ttl.keyspace, range, Direction::Forward, &mut |_, _| {
        found = true;
        Visit::Stop
    })?;
    Ok(found)
}

/// How many items are due at `now`, counting up to `cap` (a metric: an
/// index range read that stops at the cap).
pub(crate) fn count_due(view: &dyn ReadView, ttl: &TimeToLive, now: u64, cap: u64) -> Result<u64> {
    let (start, end) = due_range(now);
    let range = KeyRange {
        start: Bound::Included(&start),
        end: Bound::Excluded(&end),
    };
    let mut due = 0;
    view.scan(&ttl.keyspace, range, Direction::Forward, &mut |_, _| {
        due += 1;
        if due >= cap {
            Visit::Stop
        } else {
            Visit::Continue
        }
    })?;
    Ok(due)
}

/// The deletes of up to `limit` items due at `now`, earliest expiry first.
/// Each item is read and checked again here, in the writer, so that only
/// an item that is still expired is deleted; an index entry whose item
/// does not match it any more is removed.
pub(crate) fn due_deletes(
    tx: &mut dyn WriteTransaction,
    seal: &ItemSeal,
    definition: &TableDefinition,
    now: u64,
    limit: usize,
) -> Result<Vec<ItemWrite>> {
    let Some(ttl) = &definition.time_to_live else {
        return Ok(Vec::new());
    };
    let (start, end) = due_range(now);
    let range = KeyRange {
        start: Bound::Included(&start),
        end: Bound::Excluded(&end),
    };
    let mut entries = Vec::with_capacity(limit);
    tx.scan(&ttl.keyspace, range, Direction::Forward, &mut |key, _| {
        entries.push(key.to_vec());
        if entries.len() == limit {
            Visit::Stop
        } else {
            Visit::Continue
        }
    })?;
    let mut deletes = Vec::with_capacity(entries.len());
    for entry in entries {
        let Some((expiry, storage_key)) = split_entry_key(&entry) else {
            return Err(Error::Internal("malformed expiry index entry".into()));
        };
        let item = tx
            .get(&definition.keyspace, storage_key)?
            .map(|bytes| seal.decode(SealForm::Item, storage_key, &bytes))
            .transpose()?;
        match item {
            Some(item) if expiry_of(&item, &ttl.attribute_name) == Some(expiry) && is_due(expiry, now) => {
                deletes.push(ItemWrite {
                    table: definition.name.clone(),
                    table_id: definition.id.clone(),
                    key: definition.primary_key.key_of(&item),
                    action: ItemAction::Delete,
                    condition: None,
                    return_old_on_failure: false,
                    origin: WriteOrigin::TimeToLive,
                });
            }
            _ => {
                tracing::warn!(table = %definition.name, key = %keys::hex(storage_key), "removed a stale expiry index entry");
                tx.delete(&ttl.keyspace, &entry)?;
            }
        }
    }
    Ok(deletes)
}

/// What one chunk of the expiry index backfill left to do.
pub(crate) enum Backfilled {
    /// Continue after this table storage key.
    More(Vec<u8>),
    /// Every item is indexed: the definition to publish (TTL ENABLED).
    Done(Box<TableDefinition>),
    /// TTL was disabled (or disabled and enabled again, with a backfill
    /// of its own) since this backfill began: it stops.
    Superseded,
}

/// Adds the next chunk of the table's items (after `after`) to its expiry
/// index. Writes since TTL was enabled keep the index up to date already;
/// putting an entry again is harmless.
pub(crate) fn backfill_chunk(
    tx: &mut dyn WriteTransaction,
    seal: &ItemSeal,
    definition: &TableDefinition,
    enabled_at: f64,
    after: Option<&[u8]>,
) -> Result<Backfilled> {
    let ttl = match &definition.time_to_live {
        Some(ttl) if !ttl.indexed && definition.time_to_live_changed == Some(enabled_at) => ttl,
        _ => return Ok(Backfilled::Superseded),
    };
    let chunk = keys::read_chunk(&*tx, &definition.keyspace, after, BACKFILL_CHUNK)?;
    for (storage_key, value) in &chunk {
        let item = match seal.decode(SealForm::Item, storage_key, value) {
            Ok(item) => item,
            Err(error) => {
                tracing::error!(
                    table = %definition.name,
                    key = %keys::hex(storage_key),
                    %error,
                    "expiry index backfill skipped an item it cannot read; run `halyard check`"
                );
                continue;
            }
        };
        if let Some(expiry) = expiry_of(&item, &ttl.attribute_name) {
            tx.put(&ttl.keyspace, &entry_key(expiry, storage_key), &[])?;
        }
    }
    if chunk.len() == BACKFILL_CHUNK {
        let last = chunk.last().map(|(key, _)| key.clone()).unwrap_or_default();
        return Ok(Backfilled::More(last));
    }
    let mut done = definition.clone();
    if let Some(ttl) = &mut done.time_to_live {
        ttl.indexed = true;
    }
    Ok(Backfilled::Done(Box::new(done)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Number;

    fn item(value: AttributeValue) -> Item {
        [("exp".to_string(), value)].into_iter().collect()
    }

    fn number(text: &str) -> AttributeValue {
        AttributeValue::N(Number::parse(text).unwrap())
    }

    #[test]
    fn only_non_negative_numbers_expire() {
        assert_eq!(expiry_of(&item(number("1700000000")), "exp"), Some(1_700_000_000));
        assert_eq!(expiry_of(&item(number("1700000000.9")), "exp"), Some(1_700_000_000));
        assert_eq!(expiry_of(&item(number("0")), "exp"), Some(0));
        assert_eq!(expiry_of(&item(number("-1")), "exp"), None);
        assert_eq!(expiry_of(&item(number("1E+30")), "exp"), None);
        assert_eq!(expiry_of(&item(AttributeValue::S("1700000000".into())), "exp"), None);
        assert_eq!(expiry_of(&item(number("1700000000")), "other"), None);
    }

    #[test]
    fn due_means_past_but_at_most_five_years_ago() {
        let now = 2_000_000_000;
        assert!(is_due(now - 1, now));
        assert!(!is_due(now, now));
        assert!(!is_due(now + 1, now));
        assert!(is_due(now - MAX_AGE_SECONDS, now));
        assert!(!is_due(now - MAX_AGE_SECONDS - 1, now));
    }

    #[test]
    fn entry_keys_sort_by_expiry_and_split_back() {
        let early = entry_key(5, b"zzz");
        let late = entry_key(256, b"aaa");
        assert!(early < late);
        assert_eq!(split_entry_key(&late), Some((256, &b"aaa"[..])));
        assert_eq!(split_entry_key(b"short"), None);
    }
}
