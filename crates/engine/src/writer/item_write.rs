//! One item write inside the writer's transaction: read the item, check
//! the condition, work out every change (indexes, item collection, stream
//! record, expiry index), then write them.

use std::collections::HashMap;
use std::sync::Arc;

use halyard_storage::{ReadView, WriteTransaction};

use super::{add_delta, ItemAction, ItemWrite, Outcome, StatsDeltas, WriteOrigin, WriterLoop};
use crate::backups::change_log;
use crate::catalog::{Table, COLLECTIONS_KEYSPACE};
use crate::error::{Error, Result};
use crate::item_seal::{ItemSeal, SealForm};
use crate::model::{item_size, item_too_deep, IndexKind, Item, TableDefinition, ITEM_TOO_DEEP, MAX_ITEM_SIZE};
use crate::{indexes, keys, time_to_live};

impl WriterLoop {
    /// Reads the item, checks the write's condition and works out (and
    /// checks) everything the write changes, writing nothing.
    /// `pending_collections` carries item collection sizes already changed
    /// by earlier writes of the same transaction.
    pub(super) fn prepare_item_write(
        &self,
        tx: &dyn ReadView,
        write: &ItemWrite,
        pending_collections: &mut HashMap<Vec<u8>, i64>,
    ) -> Result<PreparedWrite> {
        let table = self.live_table(&write.table, &write.table_id)?;
        let definition = &table.definition;
        // A table being restored takes only the restore's writes.
        if definition.restoring() != (write.origin == WriteOrigin::Restore) {
            return Err(keys::table_not_found());
        }
        let storage_key = keys::storage_key(&definition.primary_key, &write.key)?;
        let seal = self.catalog.seals.of(definition)?;
        let old = tx
            .get(&definition.keyspace, &storage_key)?
            .map(|bytes| seal.decode(SealForm::Item, &storage_key, &bytes))
            .transpose()?;
        if let Some(condition) = &write.condition {
            // An absent item is checked as an empty one.
            let holds = match &old {
                Some(item) => condition.evaluate(item),
                None => condition.evaluate(&Item::new()),
            };
            if !holds {
                return Err(Error::ConditionalCheckFailed {
                    item: if write.return_old_on_failure { old } else { None },
                });
            }
        }
        let new = match &write.action {
            ItemAction::Put(item) => Some(item.clone()),
            ItemAction::Delete => None,
            ItemAction::ConditionCheck => {
                return Ok(PreparedWrite {
                    table,
                    seal,
                    storage_key,
                    new: old.clone(),
                    old,
                    index_changes: Vec::new(),
                    collection: None,
                    changes: false,
                    origin: write.origin,
                });
            }
            ItemAction::Update(update) => {
                let updated = update.apply(old.as_ref().unwrap_or(&write.key))?;
                // `SET m.a = m` nests the item one level deeper each time.
                if item_too_deep(&updated) {
                    return Err(Error::validation(ITEM_TOO_DEEP));
                }
                if item_size(&updated) > MAX_ITEM_SIZE {
                    return Err(Error::validation(
                        "Item size to update has exceeded the maximum allowed size",
                    ));
                }
                Some(updated)
            }
        };
        let by_update = matches!(write.action, ItemAction::Update(_));
        let index_changes = indexes::plan(tx, definition, old.as_ref(), new.as_ref(), by_update)?;
        let collection = if definition.has_local_indexes() {
            let local_delta: i64 = index_changes
                .iter()
                .filter(|change| definition.indexes[change.index].kind == IndexKind::Local)
                .map(|change| change.size_delta)
                .sum();
            let delta = size_of(&new) - size_of(&old) + local_delta;
            let record = collection_record(definition, &write.key)?;
            let current = match pending_collections.get(&record) {
                Some(size) => *size,
                None => match tx.get(COLLECTIONS_KEYSPACE, &record)? {
                    Some(bytes) => i64::from_le_bytes(
                        bytes
                            .try_into()
                            .map_err(|_| Error::Internal("corrupt item collection size".into()))?,
                    ),
                    None => 0,
                },
            };
            let size = current + delta;
            if delta > 0 && size > self.collection_size_limit {
                return Err(Error::ItemCollectionSizeLimitExceeded(
                    "Collection size exceeded.".into(),
                ));
            }
            pending_collections.insert(record.clone(), size);
            Some((record, size))
        } else {
            None
        };
        Ok(PreparedWrite {
            table,
            seal,
            storage_key,
            old,
            new,
            index_changes,
            collection,
            changes: true,
            origin: write.origin,
        })
    }

    /// Writes a prepared item write: the item, its index entries, its item
    /// collection size, and the counters.
    pub(super) fn finish_item_write(
        &self,
        tx: &mut dyn WriteTransaction,
        prepared: PreparedWrite,
        deltas: &mut StatsDeltas,
    ) -> Result<Outcome> {
        let PreparedWrite {
            table,
            seal,
            storage_key,
            old,
            new,
            index_changes,
            collection,
            changes,
            origin,
        } = prepared;
        let mut index_units = Vec::new();
        if changes {
            let definition = &table.definition;
            match &new {
                Some(item) => tx.put(
                    &definition.keyspace,
                    &storage_key,
                    &seal.encode(SealForm::Item, &storage_key, item)?,
                )?,
                None if old.is_some() => tx.delete(&definition.keyspace, &storage_key)?,
                None => {}
            }
            self.stream_log.borrow_mut().append(
                tx,
                &seal,
                definition,
                old.as_ref(),
                new.as_ref(),
                origin == WriteOrigin::TimeToLive,
                crate::now_seconds(),
            )?;
            time_to_live::index_item_write(tx, definition, &storage_key, old.as_ref(), new.as_ref())?;
            if definition.point_in_time_recovery.is_some() {
                change_log::append(tx, &seal, definition, old.as_ref(), new.as_ref())?;
            }
            for change in &index_changes {
                let index = &definition.indexes[change.index];
                indexes::apply(tx, &seal, index, change)?;
                add_delta(deltas, &table, Some(index), change.count_delta, change.size_delta);
                // A removed entry costs one unit, a written one a unit per KB.
                let units = f64::from(u8::from(change.remove.is_some()))
                    + change
                        .put
                        .as_ref()
                        .map_or(0.0, |(_, item)| item_size(item).div_ceil(1024).max(1) as f64);
                if units > 0.0 {
                    index_units.push(IndexUnits {
                        name: index.name.clone(),
                        kind: index.kind,
                        units,
                    });
                }
            }
            if let Some((record, size)) = &collection {
                if *size == 0 {
                    tx.delete(COLLECTIONS_KEYSPACE, record)?;
                } else {
                    tx.put(COLLECTIONS_KEYSPACE, record, &size.to_le_bytes())?;
                }
            }
            add_delta(
                deltas,
                &table,
                None,
                i64::from(new.is_some()) - i64::from(old.is_some()),
                size_of(&new) - size_of(&old),
            );
        }
        Ok(Outcome::Item {
            old,
            new,
            collection_size: collection.map(|(_, size)| size),
            index_units,
        })
    }

    pub(super) fn apply_item_write(
        &self,
        tx: &mut dyn WriteTransaction,
        write: &ItemWrite,
        deltas: &mut StatsDeltas,
    ) -> Result<Outcome> {
        let prepared = self.prepare_item_write(&*tx, write, &mut HashMap::new())?;
        self.finish_item_write(tx, prepared, deltas)
    }
}

fn size_of(item: &Option<Item>) -> i64 {
    item.as_ref().map_or(0, |i| item_size(i) as i64)
}

/// The record of an item collection: table id, a zero byte, the encoded
/// partition key.
pub(crate) fn collection_record(definition: &TableDefinition, key: &Item) -> Result<Vec<u8>> {
    let mut record = definition.id.as_bytes().to_vec();
    record.push(0);
    let partition = key
        .get(&definition.primary_key.partition.name)
        .and_then(keys::key_value)
        .ok_or_else(|| Error::Internal("partition key missing after validation".into()))?;
    halyard_storage::keycodec::encode(partition, &mut record);
    Ok(record)
}

/// Write capacity an item write spent on one index.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IndexUnits {
    pub name: String,
    pub kind: IndexKind,
    pub units: f64,
}

/// An item write whose checks have passed, ready to be written.
pub(super) struct PreparedWrite {
    table: Arc<Table>,
    seal: ItemSeal,
    storage_key: Vec<u8>,
    old: Option<Item>,
    new: Option<Item>,
    index_changes: Vec<indexes::IndexChange>,
    /// The item collection's record and its size after the write.
    collection: Option<(Vec<u8>, i64)>,
    /// False for a ConditionCheck: nothing to write.
    changes: bool,
    origin: WriteOrigin,
}
