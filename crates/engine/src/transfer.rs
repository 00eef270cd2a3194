//! What exports to and imports from S3 need of the engine: a table's items
//! as they were at a time within its point-in-time recovery window (its
//! snapshot base, then its change log replayed), the changes of a period
//! (for incremental exports), an importing table filled through the
//! writer, and the jobs' own records. The jobs themselves (files, formats,
//! buckets) live in the protocol crate, which speaks DynamoDB JSON.

use std::collections::BTreeMap;
use std::sync::Arc;

use halyard_storage::{Direction, KeyRange, ReadView, Storage, SystemCommand, Visit, WriteTransaction};

use crate::backups::change_log::{self, Change};
use crate::backups::{pitr, CHUNK};
use crate::item_seal::{ItemSeal, SealForm};
use crate::keys;
use crate::model::{BackupRecord, Item, TableDefinition};
use crate::operations::put_item::validate_item;
use crate::table_settings::TableChange;
use crate::writer::{Command, ItemAction, ItemWrite, Outcome, WriteOrigin};
use crate::{now_seconds, Engine, Error, Result};

/// Keyspace of export and import records, keyed by the caller's key.
const KEYSPACE: &str = "transfer_jobs";

/// Creates the records' keyspace (at start).
pub(crate) fn prepare(storage: &dyn Storage) -> Result<()> {
    let mut tx = storage.begin_write()?;
    tx.create_keyspace(KEYSPACE)?;
    tx.commit()?;
    Ok(())
}

/// A table with point-in-time recovery, and the times an export may read.
#[derive(Debug, Clone)]
pub struct PointInTimeTable {
    pub definition: TableDefinition,
    /// Seconds since the epoch.
    pub earliest: f64,
    pub latest: f64,
}

/// One item's change over a period: its state before the period and at
/// its end (`None`: absent), and when it was last written.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemChange {
    pub key: Item,
    pub old: Option<Item>,
    pub new: Option<Item>,
    /// Microseconds since the epoch.
    pub written_micros: u64,
}

/// Stores one record.
#[derive(Debug)]
struct SaveRecord {
    key: String,
    value: Vec<u8>,
}

impl SystemCommand for SaveRecord {
    fn apply(&self, tx: &mut dyn WriteTransaction) -> halyard_storage::Result<()> {
        tx.put(KEYSPACE, self.key.as_bytes(), &self.value)
    }

    fn committed(&self) {}
}

impl Engine {
    /// The table an export reads: it must have point-in-time recovery with
    /// a first snapshot taken.
    pub fn point_in_time_table(&self, table_name: &str) -> Result<PointInTimeTable> {
        let table = self
            .catalog
            .get(table_name)
            .ok_or_else(|| Error::TableNotFound(format!("Table not found: {table_name}")))?;
        let definition = table.definition.clone();
        if definition.point_in_time_recovery.is_none() {
            return Err(Error::PointInTimeRecoveryUnavailable(format!(
                "Point in time recovery is not enabled for table '{table_name}'"
            )));
        }
        let (earliest, latest) = self.restorable_window(&definition, now_seconds())?.ok_or_else(|| {
            Error::PointInTimeRecoveryUnavailable(format!(
                "Point in time recovery is not yet available for table '{table_name}'"
            ))
        })?;
        Ok(PointInTimeTable {
            definition,
            earliest,
            latest,
        })
    }

    /// Visits every item of the table as it was at `time` (seconds), in
    /// storage-key order of its snapshot base, then the items written
    /// since. Reads one storage snapshot and never blocks the writer; holds
    /// in memory the final state of each item written between the base
    /// snapshot and `time` (at most one snapshot interval of changes).
    pub fn items_at(
        &self,
        definition: &TableDefinition,
        time: f64,
        visit: &mut dyn FnMut(Item) -> Result<()>,
    ) -> Result<()> {
        let seal = self.catalog.seals.of(definition)?;
        let view = self.storage.snapshot()?;
        let base = base_before(&*view, definition, change_log::stamp_after(time), time)?;
        let mut changed = replay(
            &*view,
            &seal,
            definition,
            base.log_position,
            change_log::stamp_after(time),
            None,
        )?;
        let mut after: Option<Vec<u8>> = None;
        loop {
            let pairs = keys::read_chunk(&*view, &base.keyspace, after.as_deref(), CHUNK)?;
            let full = pairs.len() == CHUNK;
            for (key, value) in &pairs {
                match changed.remove(key) {
                    Some((_, Some(item))) => visit(item)?,
                    Some((_, None)) => {}
                    None => visit(seal.decode(SealForm::Item, key, value)?)?,
                }
            }
            after = pairs.last().map(|(key, _)| key.clone());
            if !full {
                break;
            }
        }
        for (_, (_, item)) in changed {
            if let Some(item) = item {
                visit(item)?;
            }
        }
        Ok(())
    }

    /// The items written at or after `from` and before `to` (seconds), each
    /// with its state before `from` and at `to`; items that were absent at
    /// both are left out.
    pub fn changes_between(&self, definition: &TableDefinition, from: f64, to: f64) -> Result<Vec<ItemChange>> {
        let seal = self.catalog.seals.of(definition)?;
        let view = self.storage.snapshot()?;
        let start = change_log::stamp_at(from);
        let changed = replay(
            &*view,
            &seal,
            definition,
            start.checked_sub(1),
            change_log::stamp_at(to),
            None,
        )?;
        // The state before the period, of the items it changed.
        let base = base_before(&*view, definition, start, from)?;
        let wanted: Vec<Vec<u8>> = changed.keys().cloned().collect();
        let replayed = replay(&*view, &seal, definition, base.log_position, start, Some(&wanted))?;
        let mut changes = Vec::with_capacity(changed.len());
        for (storage_key, (stamp, new)) in changed {
            let old = match replayed.get(&storage_key) {
                Some((_, state)) => state.clone(),
                None => view
                    .get(&base.keyspace, &storage_key)?
                    .map(|bytes| seal.decode(SealForm::Item, &storage_key, &bytes))
                    .transpose()?,
            };
            let Some(either) = new.as_ref().or(old.as_ref()) else {
                continue;
            };
            changes.push(ItemChange {
                key: definition.primary_key.key_of(either),
                old,
                new,
                written_micros: stamp,
            });
        }
        Ok(changes)
    }

    /// Writes items into a table ImportTable is filling, each as a put
    /// through the one write path (indexes, counters); one result per item,
    /// in order (a refused item is the caller's error to report).
    pub fn import_items(&self, table: &str, table_id: &str, items: Vec<Item>) -> Result<Vec<Result<()>>> {
        let live = self
            .catalog
            .get(table)
            .filter(|live| live.definition.id == table_id)
            .ok_or_else(keys::table_not_found)?;
        let schema = &live.definition.primary_key;
        let mut results: Vec<Option<Result<()>>> = Vec::with_capacity(items.len());
        let mut writes = Vec::new();
        for item in items {
            match validate_item(schema, &item) {
                Ok(()) => {
                    writes.push(ItemWrite {
                        table: table.to_string(),
                        table_id: table_id.to_string(),
                        key: schema.key_of(&item),
                        action: ItemAction::Put(item),
                        condition: None,
                        return_old_on_failure: false,
                        origin: WriteOrigin::Restore,
                    });
                    results.push(None);
                }
                Err(error) => results.push(Some(Err(error))),
            }
        }
        let mut written = match self.writer.submit_blocking(Command::WriteItems(writes))? {
            Outcome::Items(outcomes) => outcomes.into_iter(),
            other => return Err(Error::Internal(format!("unexpected writer outcome {other:?}"))),
        };
        Ok(results
            .into_iter()
            .map(|result| result.unwrap_or_else(|| written.next().map_or(Ok(()), |outcome| outcome.map(drop))))
            .collect())
    }

    /// Every item is imported: the table becomes ACTIVE.
    pub fn finish_import(&self, table: &str, table_id: &str) -> Result<()> {
        self.writer.submit_blocking(Command::AlterTable {
            table: table.to_string(),
            table_id: table_id.to_string(),
            change: TableChange::ImportDone,
        })?;
        Ok(())
    }

    /// Deletes a table an import created and could not fill, if it is
    /// still that table and still importing.
    pub fn drop_import_table(&self, table: &str, table_id: &str) -> Result<()> {
        let importing = self
            .catalog
            .get(table)
            .is_some_and(|live| live.definition.id == table_id && live.definition.importing);
        if importing {
            self.writer.submit_blocking(Command::DeleteTable {
                name: table.to_string(),
            })?;
        }
        Ok(())
    }

    /// Stores an export's or import's record (through the writer).
    pub fn save_transfer_record(&self, key: &str, value: Vec<u8>) -> Result<()> {
        let command = Arc::new(SaveRecord {
            key: key.to_string(),
            value,
        });
        self.writer.submit_blocking(Command::System(command)).map(drop)
    }

    /// `save_transfer_record` for a request's task (its audit record is
    /// committed with it).
    pub async fn save_transfer_record_async(&self, key: &str, value: Vec<u8>) -> Result<()> {
        let command = Arc::new(SaveRecord {
            key: key.to_string(),
            value,
        });
        self.writer.submit(Command::System(command)).await.map(drop)
    }

    pub fn transfer_record(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.storage.snapshot()?.get(KEYSPACE, key.as_bytes())?)
    }

    /// Every record whose key starts with `prefix`, in key order.
    pub fn transfer_records(&self, prefix: &str) -> Result<Vec<Vec<u8>>> {
        let view = self.storage.snapshot()?;
        let range = KeyRange {
            start: std::ops::Bound::Included(prefix.as_bytes()),
            end: std::ops::Bound::Unbounded,
        };
        let mut records = Vec::new();
        view.scan(KEYSPACE, range, Direction::Forward, &mut |key, value| {
            if !key.starts_with(prefix.as_bytes()) {
                return Visit::Stop;
            }
            records.push(value.to_vec());
            Visit::Continue
        })?;
        Ok(records)
    }
}

/// The latest snapshot taken at or before `time` whose log position is
/// before `until`.
fn base_before(view: &dyn ReadView, definition: &TableDefinition, until: u64, time: f64) -> Result<BackupRecord> {
    let snapshots = pitr::snapshots(view, definition)?;
    snapshots
        .iter()
        .rev()
        .find(|record| record.created <= time && record.log_position.is_none_or(|position| position < until))
        .cloned()
        .ok_or_else(|| Error::Internal(format!("no snapshot of {} before {time}", definition.name)))
}

/// Items' final states by storage key, each with the stamp of its last
/// write (`None`: deleted).
type FinalStates = BTreeMap<Vec<u8>, (u64, Option<Item>)>;

/// Final states of the table's changes after `after` and before `until`;
/// only of the keys in `only` when given.
fn replay(
    view: &dyn ReadView,
    seal: &ItemSeal,
    definition: &TableDefinition,
    mut after: Option<u64>,
    until: u64,
    only: Option<&[Vec<u8>]>,
) -> Result<FinalStates> {
    let mut states = BTreeMap::new();
    loop {
        let changes = change_log::read(view, seal, &definition.id, after, until, CHUNK)?;
        let full = changes.len() == CHUNK;
        for (stamp, change) in changes {
            after = Some(stamp);
            let (item, state) = match change {
                Change::Put(item) => (item.clone(), Some(item)),
                Change::Delete(key) => (key, None),
            };
            let storage_key = keys::storage_key(&definition.primary_key, &item)?;
            if only.is_none_or(|wanted| wanted.binary_search(&storage_key).is_ok()) {
                states.insert(storage_key, (stamp, state));
            }
        }
        if !full {
            return Ok(states);
        }
    }
}
