use crate::model::BackupRecord;
use crate::writer::{BackupCommand, Command, Outcome};
use crate::{Engine, Error, Result};

impl Engine {
    /// DeleteBackup: refused while the backup is being created or restored.
    pub async fn delete_backup(&self, arn: &str) -> Result<BackupRecord> {
        let record = self.describe_backup(arn)?;
        match self
            .writer
            .submit(Command::Backup(BackupCommand::Delete { id: record.id }))
            .await?
        {
            Outcome::Backup(record) => Ok(*record),
            other => Err(Error::Internal(format!("unexpected writer outcome {other:?}"))),
        }
    }
}
