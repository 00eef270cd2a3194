//! The writer's part of backups and restores: registering, filling and
//! removing backups, and filling a restored table a chunk at a time.

use halyard_storage::WriteTransaction;

use super::{ItemAction, ItemWrite, Outcome, Publish, StatsDeltas, WriteOrigin, WriterLoop};
use crate::backups::{self, change_log, pitr, CHUNK};
use crate::error::{Error, Result};
use crate::item_seal::SealForm;
use crate::keys::{self, Pairs};
use crate::model::{BackupRecord, BackupStatus, Item, RestoreStep};

#[derive(Debug, Clone)]
pub(crate) enum BackupCommand {
    /// Registers a backup whose snapshot has been taken (CREATING).
    Begin(Box<BackupRecord>),
    /// Stores copied items of a backup.
    Chunk { id: String, pairs: Pairs },
    /// Every item is copied: the backup is AVAILABLE.
    Finish { id: String },
    /// DeleteBackup.
    Delete { id: String },
    /// Removes a backup whose copy failed.
    Discard { id: String },
    /// Applies the next chunk of step `step` of a table's restore, after
    /// `after` (a storage key for a copy, a stamp for a replay).
    Restore {
        table: String,
        table_id: String,
        step: usize,
        after: Option<Vec<u8>>,
    },
    /// Every step is done: the restored table becomes ACTIVE.
    RestoreDone { table: String, table_id: String },
    /// Ages out point-in-time snapshots and change records older than
    /// their tables' windows (or of tables without point-in-time recovery
    /// now), up to `limit` of them.
    TrimPointInTime { now: f64, day_seconds: f64, limit: usize },
}

fn backup_not_found(id: &str) -> Error {
    Error::BackupNotFound(format!("Backup not found: {id}"))
}

impl WriterLoop {
    pub(super) fn apply_backup(
        &self,
        tx: &mut dyn WriteTransaction,
        command: &BackupCommand,
        deltas: &mut StatsDeltas,
        published: &mut Vec<Publish>,
    ) -> Result<Outcome> {
        match command {
            BackupCommand::Begin(record) => {
                tx.create_keyspace(&record.keyspace)?;
                backups::write(tx, record)?;
                Ok(Outcome::Backup(record.clone()))
            }
            BackupCommand::Chunk { id, pairs } => {
                let record = backups::read(&*tx, id)?.ok_or_else(|| backup_not_found(id))?;
                for (key, value) in pairs {
                    tx.put(&record.keyspace, key, value)?;
                }
                Ok(Outcome::Backup(Box::new(record)))
            }
            BackupCommand::Finish { id } => {
                let mut record = backups::read(&*tx, id)?.ok_or_else(|| backup_not_found(id))?;
                record.status = BackupStatus::Available;
                backups::write(tx, &record)?;
                Ok(Outcome::Backup(Box::new(record)))
            }
            BackupCommand::Delete { id } => {
                let mut record = backups::read(&*tx, id)?.ok_or_else(|| backup_not_found(id))?;
                let restoring = self.catalog.tables().into_iter().any(|table| {
                    table.definition.restoring()
                        && table
                            .definition
                            .restore
                            .as_ref()
                            .and_then(|r| r.source_backup_arn.as_deref())
                            == Some(record.arn.as_str())
                });
                if record.status == BackupStatus::Creating || restoring {
                    return Err(Error::BackupInUse(format!(
                        "Backup is being {}: {}",
                        if restoring { "restored" } else { "created" },
                        record.arn
                    )));
                }
                backups::remove(tx, &record)?;
                record.status = BackupStatus::Deleted;
                Ok(Outcome::Backup(Box::new(record)))
            }
            BackupCommand::Discard { id } => {
                if let Some(record) = backups::read(&*tx, id)? {
                    backups::remove(tx, &record)?;
                }
                Ok(Outcome::System)
            }
            BackupCommand::Restore {
                table,
                table_id,
                step,
                after,
            } => self.restore_chunk(tx, table, table_id, *step, after.as_deref(), deltas),
            BackupCommand::RestoreDone { table, table_id } => {
                let current = self.live_table(table, table_id)?;
                let mut definition = current.definition.clone();
                if let Some(restore) = &mut definition.restore {
                    restore.in_progress = false;
                    restore.steps.clear();
                }
                self.replace_definition(tx, &current, definition, published)
            }
            BackupCommand::TrimPointInTime {
                now,
                day_seconds,
                limit,
            } => Ok(Outcome::Trimmed(pitr::trim(
                tx,
                &self.catalog,
                *now,
                *day_seconds,
                *limit,
            )?)),
        }
    }

    fn restore_chunk(
        &self,
        tx: &mut dyn WriteTransaction,
        table: &str,
        table_id: &str,
        step: usize,
        after: Option<&[u8]>,
        deltas: &mut StatsDeltas,
    ) -> Result<Outcome> {
        let target = self.live_table(table, table_id)?;
        let Some(step) = target
            .definition
            .restore
            .as_ref()
            .and_then(|r| r.steps.get(step).cloned())
        else {
            return Ok(Outcome::Backfill { next: None });
        };
        let key_of = |item: &Item| target.definition.primary_key.key_of(item);
        let source = self.catalog.seals.of_source(
            target
                .definition
                .restore
                .as_ref()
                .and_then(|r| r.sealed_source.as_ref()),
        )?;
        let (writes, next): (Vec<(Item, ItemAction)>, Option<Vec<u8>>) = match step {
            RestoreStep::Copy { keyspace } => {
                let pairs = keys::read_chunk(&*tx, &keyspace, after, CHUNK)?;
                let next = (pairs.len() == CHUNK)
                    .then(|| pairs.last().map(|(key, _)| key.clone()))
                    .flatten();
                let writes = pairs
                    .iter()
                    .map(|(key, value)| {
                        source
                            .decode(SealForm::Item, key, value)
                            .map(|item| (key_of(&item), ItemAction::Put(item)))
                    })
                    .collect::<std::result::Result<_, _>>()?;
                (writes, next)
            }
            RestoreStep::Replay {
                source_table_id,
                after: from,
                until,
            } => {
                let after = match after {
                    Some(bytes) => Some(u64::from_be_bytes(
                        bytes
                            .try_into()
                            .map_err(|_| Error::Internal("corrupt restore position".into()))?,
                    )),
                    None => from,
                };
                let changes = change_log::read(&*tx, &source, &source_table_id, after, until, CHUNK)?;
                let next = (changes.len() == CHUNK)
                    .then(|| changes.last().map(|(stamp, _)| stamp.to_be_bytes().to_vec()))
                    .flatten();
                let writes = changes
                    .into_iter()
                    .map(|(_, change)| match change {
                        change_log::Change::Put(item) => (key_of(&item), ItemAction::Put(item)),
                        change_log::Change::Delete(key) => (key, ItemAction::Delete),
                    })
                    .collect();
                (writes, next)
            }
        };
        for (key, action) in writes {
            let write = ItemWrite {
                table: table.to_string(),
                table_id: table_id.to_string(),
                key,
                action,
                condition: None,
                return_old_on_failure: false,
                origin: WriteOrigin::Restore,
            };
            match self.apply_item_write(tx, &write, deltas) {
                Err(error) if error.is_server_fault() => return Err(error),
                // An item the restored table's limits refuse (an item
                // collection over its size) is left out, as a logged loss.
                Err(error) => tracing::error!(%table, %error, "restore left out an item"),
                Ok(_) => {}
            }
        }
        Ok(Outcome::Backfill { next })
    }
}
