//! Secondary index maintenance, done by the writer in the same transaction
//! as the item write it follows.
//!
//! An index entry's storage key is the encodings of its index key
//! attributes (partition attributes, then sort attributes, in key schema
//! order) followed by those of the table key. Each encoding is prefix-free
//! and order-preserving, so the concatenation sorts as the tuple does:
//! entries are grouped by the partition attributes and ordered by the sort
//! attributes left to right, and the table key makes each unique. Its value is the item as the index projects it.
//! Items without every index key attribute have no entry (sparse indexes).

use halyard_storage::keycodec;
use halyard_storage::{ReadView, WriteTransaction};

use crate::error::{Error, Result};
use crate::item_seal::{ItemSeal, SealForm};
use crate::keys::key_value;
use crate::model::{
    item_size, AttributeValue, IndexDefinition, IndexKey, IndexStatus, Item, KeyAttribute, PrimaryKey, TableDefinition,
};

/// DynamoDB's limits on index key values, in bytes.
const MAX_PARTITION_KEY_SIZE: usize = 2048;
const MAX_SORT_KEY_SIZE: usize = 1024;

/// Appends the encoding of `item`'s value of `key`, which must be present.
fn encode_attribute(key: &KeyAttribute, item: &Item, out: &mut Vec<u8>) -> Result<()> {
    let value = item
        .get(&key.name)
        .and_then(key_value)
        .ok_or_else(|| Error::Internal(format!("key attribute {} missing after validation", key.name)))?;
    keycodec::encode(value, out);
    Ok(())
}

/// The storage key of `item`'s entry in an index with key `index_key`.
pub(crate) fn entry_key(index_key: &IndexKey, table_key: &PrimaryKey, item: &Item) -> Result<Vec<u8>> {
    let mut key = Vec::with_capacity(64);
    for attribute in index_key.attributes().chain(table_key.attributes()) {
        encode_attribute(attribute, item, &mut key)?;
    }
    Ok(key)
}

/// Whether `item` belongs in the index, checking its index key values the
/// way DynamoDB does when the item is written.
fn indexed(index: &IndexDefinition, item: &Item, by_update: bool) -> Result<bool> {
    for (position, key) in index.key.attributes().enumerate() {
        let Some(value) = item.get(&key.name) else {
            return Ok(false);
        };
        if !key.scalar_type.matches(value) {
            return Err(Error::validation(format!(
                "One or more parameter values were invalid: Type mismatch for Index Key {} Expected: {} Actual: {} IndexName: {}",
                key.name,
                key.scalar_type.name(),
                value.type_name(),
                index.name
            )));
        }
        let (empty, size) = match value {
            AttributeValue::S(s) => (s.is_empty(), s.len()),
            AttributeValue::B(b) => (b.is_empty(), b.len()),
            other => (false, other.size()),
        };
        if empty && by_update {
            return Err(Error::validation(format!(
                "One or more parameter values are not valid. The update expression attempted to update a secondary index key to a value that is not supported. The AttributeValue for a key attribute cannot contain an empty {} value.",
                if matches!(value, AttributeValue::S(_)) { "string" } else { "binary" },
            )));
        }
        if empty {
            return Err(Error::validation(format!(
                "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {} value. IndexName: {}, IndexKey: {}",
                if matches!(value, AttributeValue::S(_)) { "string" } else { "binary" },
                index.name,
                key.name
            )));
        }
        let limit = if index.key.is_partition_position(position) {
            MAX_PARTITION_KEY_SIZE
        } else {
            MAX_SORT_KEY_SIZE
        };
        if size > limit {
            return Err(Error::validation(format!(
                "One or more parameter values were invalid: Size limit exceeded for Index Key {} Actual Size: {size} bytes Max Size: {limit} bytes IndexName: {}",
                key.name, index.name
            )));
        }
    }
    Ok(true)
}

/// One index's part of an item write.
pub(crate) struct IndexChange {
    /// The index's position in the table definition.
    pub index: usize,
    pub remove: Option<Vec<u8>>,
    pub put: Option<(Vec<u8>, Item)>,
    pub count_delta: i64,
    pub size_delta: i64,
}

/// Works out, and checks, what an item write does to each index. Nothing
/// is written: a failed check leaves the transaction untouched.
pub(crate) fn plan(
    tx: &dyn ReadView,
    definition: &TableDefinition,
    old: Option<&Item>,
    new: Option<&Item>,
    by_update: bool,
) -> Result<Vec<IndexChange>> {
    let table_key = &definition.primary_key;
    let mut changes = Vec::with_capacity(definition.indexes.len());
    for (position, index) in definition.indexes.iter().enumerate() {
        let new_entry = match new {
            Some(item) if indexed(index, item, by_update)? => {
                let projected = index.project(table_key, item);
                Some((entry_key(&index.key, table_key, item)?, projected))
            }
            _ => None,
        };
        // The old item passed these checks when it was written. An index
        // being backfilled has no entry yet for the items the backfill has
        // not reached: look, or the counters would count a missing entry.
        let old_entry = match old {
            Some(item) if indexed(index, item, false).unwrap_or(false) => {
                let key = entry_key(&index.key, table_key, item)?;
                let stored = index.status == IndexStatus::Active || tx.get(&index.keyspace, &key)?.is_some();
                stored.then(|| (key, index.project(table_key, item)))
            }
            _ => None,
        };
        let size = |entry: &Option<(Vec<u8>, Item)>| entry.as_ref().map_or(0, |(_, item)| item_size(item) as i64);
        let (count_delta, size_delta) = (
            i64::from(new_entry.is_some()) - i64::from(old_entry.is_some()),
            size(&new_entry) - size(&old_entry),
        );
        // An entry the write leaves as it was is not written at all (nor
        // charged), as in DynamoDB.
        let unchanged = old_entry == new_entry;
        let change = IndexChange {
            index: position,
            count_delta,
            size_delta,
            remove: old_entry
                .map(|(key, _)| key)
                .filter(|key| new_entry.as_ref().is_none_or(|(new_key, _)| new_key != key)),
            put: new_entry.filter(|_| !unchanged),
        };
        changes.push(change);
    }
    Ok(changes)
}

/// Writes a planned change.
pub(crate) fn apply(
    tx: &mut dyn WriteTransaction,
    seal: &ItemSeal,
    index: &IndexDefinition,
    change: &IndexChange,
) -> Result<()> {
    if let Some(key) = &change.remove {
        tx.delete(&index.keyspace, key)?;
    }
    if let Some((key, item)) = &change.put {
        tx.put(
            &index.keyspace,
            key,
            &seal.encode(SealForm::IndexEntry(&index.name), key, item)?,
        )?;
    }
    Ok(())
}

/// The entry a backfill writes for an existing item, if the item belongs
/// in the index (items with a wrong-typed index key are left out).
pub(crate) fn backfill_entry(index: &IndexDefinition, table_key: &PrimaryKey, item: &Item) -> Option<(Vec<u8>, Item)> {
    if !indexed(index, item, false).unwrap_or(false) {
        return None;
    }
    let key = entry_key(&index.key, table_key, item).ok()?;
    Some((key, index.project(table_key, item)))
}

/// What one chunk of an index backfill did.
pub(crate) struct BackfillChunk {
    /// The last table storage key read, when the chunk was full (more may follow).
    pub next: Option<Vec<u8>>,
    pub count_delta: i64,
    pub size_delta: i64,
}

/// Copies up to `limit` existing items after `after` (a table storage
/// key) into a new index.
pub(crate) fn backfill_chunk(
    tx: &mut dyn WriteTransaction,
    seal: &ItemSeal,
    definition: &TableDefinition,
    index: &IndexDefinition,
    after: Option<&[u8]>,
    limit: usize,
) -> Result<BackfillChunk> {
    let mut chunk = crate::keys::read_chunk(&*tx, &definition.keyspace, after, limit)?;
    let (mut count_delta, mut size_delta) = (0, 0);
    for (storage_key, value) in &chunk {
        // One damaged item must not stop the index from ever becoming
        // ACTIVE (the backfill resumes at every start): report it, and
        // leave it out of the index.
        let item = match seal.decode(SealForm::Item, storage_key, value) {
            Ok(item) => item,
            Err(error) => {
                tracing::error!(
                    table = %definition.name,
                    index = %index.name,
                    key = %crate::keys::hex(storage_key),
                    %error,
                    "index backfill skipped an item it cannot read; run `halyard check`"
                );
                continue;
            }
        };
        let Some((key, projected)) = backfill_entry(index, &definition.primary_key, &item) else {
            continue;
        };
        // Writes since the index was added already keep it up to date:
        // count only what this copy changes.
        let existing = tx
            .get(&index.keyspace, &key)?
            .map(|bytes| seal.decode(SealForm::IndexEntry(&index.name), &key, &bytes))
            .transpose()?;
        let existing_size = existing.as_ref().map_or(0, |e| item_size(e) as i64);
        tx.put(
            &index.keyspace,
            &key,
            &seal.encode(SealForm::IndexEntry(&index.name), &key, &projected)?,
        )?;
        count_delta += i64::from(existing.is_none());
        size_delta += item_size(&projected) as i64 - existing_size;
    }
    let next = if chunk.len() == limit {
        chunk.pop().map(|(key, _)| key)
    } else {
        None
    };
    Ok(BackfillChunk {
        next,
        count_delta,
        size_delta,
    })
}
