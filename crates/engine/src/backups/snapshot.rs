//! Taking a backup: a storage snapshot is read a chunk at a time on a
//! thread of its own, and each chunk is stored through the writer (so the
//! copy is written in the same store, in order with other writes, in
//! bounded transactions). The writer is never blocked by the read.

use std::sync::Arc;

use halyard_storage::Storage;

use super::{change_log, keyspace_for, new_id, CHUNK};
use crate::catalog::CATALOG_KEYSPACE;
use crate::error::{Error, Result};
use crate::model::{BackupKind, BackupRecord, BackupStatus, TableDefinition};
use crate::writer::{BackupCommand, Command, Outcome, Writer};

/// What to back up.
pub(crate) struct SnapshotRequest {
    pub table_name: String,
    /// The table incarnation asked for: a table re-created meanwhile is not it.
    pub table_id: String,
    pub backup_name: String,
    pub kind: BackupKind,
}

/// Takes the snapshot and registers the backup (CREATING), then copies the
/// items and makes it AVAILABLE. `begun` is told the registered backup (or
/// why there is none) as soon as the snapshot is taken and registered,
/// before the copy: the backup holds exactly what was committed then.
pub(crate) fn take(
    storage: &Arc<dyn Storage>,
    writer: &Writer,
    request: SnapshotRequest,
    begun: impl FnOnce(Result<BackupRecord>),
) {
    let snapshot = match storage.snapshot() {
        Ok(snapshot) => snapshot,
        Err(error) => return begun(Err(error.into())),
    };
    // The first read fixes the snapshot.
    let record = match begin_record(&*snapshot, &request) {
        Ok(record) => record,
        Err(error) => return begun(Err(error)),
    };
    let record = match writer.submit_blocking(Command::Backup(BackupCommand::Begin(Box::new(record)))) {
        Ok(Outcome::Backup(record)) => *record,
        Ok(other) => return begun(Err(Error::Internal(format!("unexpected writer outcome {other:?}")))),
        Err(error) => return begun(Err(error)),
    };
    let id = record.id.clone();
    let source = record.table.keyspace.clone();
    begun(Ok(record));
    if let Err(error) = copy(&*snapshot, writer, &id, &source) {
        tracing::error!(backup = %id, %error, "backup failed; removing it");
        let _ = writer.submit_blocking(Command::Backup(BackupCommand::Discard { id }));
    }
}

/// The backup's record, from the table as the snapshot sees it.
fn begin_record(snapshot: &dyn halyard_storage::ReadView, request: &SnapshotRequest) -> Result<BackupRecord> {
    let table_gone = || Error::TableNotFound(format!("Table not found: {}", request.table_name));
    let bytes = snapshot
        .get(CATALOG_KEYSPACE, request.table_name.as_bytes())?
        .ok_or_else(table_gone)?;
    let table: TableDefinition =
        serde_json::from_slice(&bytes).map_err(|e| Error::Internal(format!("corrupt catalog entry: {e}")))?;
    if table.id != request.table_id {
        return Err(table_gone());
    }
    let created = crate::now_seconds();
    let id = new_id(created);
    let log_position = match request.kind {
        BackupKind::PointInTime => change_log::last_stamp(snapshot, &table.id)?,
        BackupKind::User => None,
    };
    Ok(BackupRecord {
        arn: format!("{}/backup/{id}", table.arn),
        keyspace: keyspace_for(&id),
        id,
        name: request.backup_name.clone(),
        kind: request.kind,
        status: BackupStatus::Creating,
        created,
        stats: crate::cluster::summed_stats(snapshot, &table.id)?,
        table,
        log_position,
    })
}

fn copy(snapshot: &dyn halyard_storage::ReadView, writer: &Writer, id: &str, source: &str) -> Result<()> {
    let mut after: Option<Vec<u8>> = None;
    loop {
        let pairs = crate::keys::read_chunk(snapshot, source, after.as_deref(), CHUNK)?;
        let full = pairs.len() == CHUNK;
        after = pairs.last().map(|(key, _)| key.clone());
        if !pairs.is_empty() {
            let command = BackupCommand::Chunk {
                id: id.to_string(),
                pairs,
            };
            submit_until_space(writer, command)?;
        }
        if !full {
            break;
        }
    }
    submit_until_space(writer, BackupCommand::Finish { id: id.to_string() })
}

/// Submits a command, waiting out a full disk (the copy resumes once
/// space is freed).
fn submit_until_space(writer: &Writer, command: BackupCommand) -> Result<()> {
    loop {
        match writer.submit_blocking(Command::Backup(command.clone())) {
            Err(Error::OutOfSpace) => std::thread::sleep(std::time::Duration::from_secs(1)),
            Err(error) => return Err(error),
            Ok(_) => return Ok(()),
        }
    }
}
