//! On-demand backups and point-in-time recovery.
//!
//! A backup is a copy, inside the same store, of a table's items as one
//! storage snapshot saw them: a thread reads the snapshot in chunks (the
//! writer is never blocked by the read) and the writer stores each chunk,
//! in order with every other write. Point-in-time recovery adds a change
//! log, written by the writer in the same transaction as each write to the
//! table, and periodic snapshots of the same kind as backups; a restore
//! copies a snapshot and replays the log after it, through the writer.

pub(crate) mod change_log;
pub(crate) mod pitr;
pub(crate) mod restore;
pub(crate) mod snapshot;

use halyard_storage::{Direction, KeyRange, ReadView, Storage, Visit, WriteTransaction};

use crate::error::{Error, Result};
use crate::model::{BackupRecord, BackupStatus};

/// Keyspace of backup records (user backups and point-in-time snapshots),
/// keyed by backup id: in order of creation.
pub(crate) const BACKUPS_KEYSPACE: &str = "backups";

/// DynamoDB's default recovery period.
pub(crate) const DEFAULT_RECOVERY_PERIOD_DAYS: i64 = 35;

/// Items copied (or replayed) per writer command.
pub(crate) const CHUNK: usize = 256;

/// A new backup id: creation time in milliseconds, then random hex.
pub(crate) fn new_id(created: f64) -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{:014}-{}", (created * 1000.0) as u64, &random[..8])
}

/// The keyspace that holds a backup's items.
pub(crate) fn keyspace_for(id: &str) -> String {
    format!("bk_{}", id.replace('-', "_"))
}

/// The backup id an ARN names (`...:table/T/backup/ID`), if shaped so.
pub fn id_in_arn(arn: &str) -> Option<&str> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let (_, id) = resource.strip_prefix("table/")?.split_once("/backup/")?;
    let valid =
        id.len() == 23 && id.as_bytes()[14] == b'-' && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    valid.then_some(id)
}

fn decode(bytes: &[u8]) -> Result<BackupRecord> {
    serde_json::from_slice(bytes).map_err(|e| Error::Internal(format!("corrupt backup record: {e}")))
}

pub(crate) fn read(view: &dyn ReadView, id: &str) -> Result<Option<BackupRecord>> {
    view.get(BACKUPS_KEYSPACE, id.as_bytes())?
        .map(|bytes| decode(&bytes))
        .transpose()
}

pub(crate) fn write(tx: &mut dyn WriteTransaction, record: &BackupRecord) -> Result<()> {
    let bytes = serde_json::to_vec(record).expect("backup records serialise");
    tx.put(BACKUPS_KEYSPACE, record.id.as_bytes(), &bytes)?;
    Ok(())
}

/// Removes a backup: its record and its items.
pub(crate) fn remove(tx: &mut dyn WriteTransaction, record: &BackupRecord) -> Result<()> {
    tx.delete(BACKUPS_KEYSPACE, record.id.as_bytes())?;
    tx.drop_keyspace(&record.keyspace)?;
    Ok(())
}

/// Every backup record after `after` (an id), in order, while `visit` asks for more.
pub(crate) fn scan(
    view: &dyn ReadView,
    after: Option<&str>,
    visit: &mut dyn FnMut(BackupRecord) -> Visit,
) -> Result<()> {
    let range = KeyRange {
        start: after.map_or(std::ops::Bound::Unbounded, |id| {
            std::ops::Bound::Excluded(id.as_bytes())
        }),
        end: std::ops::Bound::Unbounded,
    };
    let mut failure = None;
    view.scan(
        BACKUPS_KEYSPACE,
        range,
        Direction::Forward,
        &mut |_, value| match decode(value) {
            Ok(record) => visit(record),
            Err(error) => {
                failure = Some(error);
                Visit::Stop
            }
        },
    )?;
    failure.map_or(Ok(()), Err)
}

/// At start: creates the keyspaces, and removes the backups whose copy a
/// crash interrupted (their storage snapshot is gone, so they cannot be
/// finished as the snapshot they began as).
pub(crate) fn prepare(storage: &dyn Storage) -> Result<()> {
    let mut tx = storage.begin_write()?;
    tx.create_keyspace(BACKUPS_KEYSPACE)?;
    tx.create_keyspace(change_log::KEYSPACE)?;
    let mut interrupted = Vec::new();
    scan(&*tx, None, &mut |record| {
        if record.status == BackupStatus::Creating {
            interrupted.push(record);
        }
        Visit::Continue
    })?;
    for record in &interrupted {
        tracing::warn!(backup = %record.arn, "removing a backup whose copy was interrupted by a restart");
        remove(&mut *tx, record)?;
    }
    tx.commit()?;
    Ok(())
}
