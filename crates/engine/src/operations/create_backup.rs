use crate::backups::snapshot::{self, SnapshotRequest};
use crate::model::{BackupKind, BackupRecord};
use crate::{Engine, Error, Result};

impl Engine {
    /// CreateBackup: answers once the snapshot is taken and the backup
    /// registered (CREATING); its items are copied in the background.
    pub async fn create_backup(&self, table_name: &str, backup_name: &str) -> Result<BackupRecord> {
        let table = self
            .catalog
            .get(table_name)
            .ok_or_else(|| Error::TableNotFound(format!("Table not found: {table_name}")))?;
        if table.definition.restoring() {
            return Err(Error::TableInUse(format!("Table is being restored: {table_name}")));
        }
        let request = SnapshotRequest {
            table_name: table_name.to_string(),
            table_id: table.definition.id.clone(),
            backup_name: backup_name.to_string(),
            kind: BackupKind::User,
        };
        let (storage, writer) = (self.storage.clone(), self.writer.clone());
        let (reply, begun) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("halyard-backup".into())
            .spawn(move || {
                snapshot::take(&storage, &writer, request, |record| {
                    let _ = reply.send(record);
                })
            })
            .map_err(|error| Error::Internal(format!("could not start a backup: {error}")))?;
        begun
            .await
            .map_err(|_| Error::Internal("the backup stopped before it began".into()))?
    }
}
