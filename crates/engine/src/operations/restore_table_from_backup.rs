use super::create_table::{describe, expect_table};
use crate::backups::restore::{self, restored_definition, RestoreOverrides};
use crate::item_seal::SealSource;
use crate::model::{BackupStatus, RestoreSummary, TableDefinition, TableDescription, TableStatus};
use crate::writer::Command;
use crate::{now_seconds, Engine, Error, Result};

impl Engine {
    /// RestoreTableFromBackup: a new table, CREATING until the backup's
    /// items are all in.
    pub async fn restore_table_from_backup(
        &self,
        backup_arn: &str,
        target_name: &str,
        overrides: &RestoreOverrides,
    ) -> Result<TableDescription> {
        let record = self.describe_backup(backup_arn)?;
        if record.status == BackupStatus::Creating {
            return Err(Error::BackupInUse(format!("Backup is being created: {backup_arn}")));
        }
        let summary = RestoreSummary {
            source_backup_arn: Some(record.arn.clone()),
            source_table_arn: record.table.arn.clone(),
            restore_time: record.created,
            in_progress: true,
            steps: restore::steps(&record.keyspace, None),
            sealed_source: SealSource::of(&record.table),
        };
        let definition = restored_definition(&record.table, target_name, overrides, summary, now_seconds())?;
        self.start_restore(definition, &overrides.sse).await
    }

    /// Creates a restored table and starts filling it.
    pub(crate) async fn start_restore(
        &self,
        mut definition: TableDefinition,
        sse: &crate::SseRequest,
    ) -> Result<TableDescription> {
        let exists = || Error::TableAlreadyExists(format!("Table already exists: {}", definition.name));
        if self.catalog.get(&definition.name).is_some() {
            return Err(exists());
        }
        definition.sse = self.table_encryption(sse, &definition.name, None).await?;
        let exists = || Error::TableAlreadyExists(format!("Table already exists: {}", definition.name));
        let table = match self.writer.submit(Command::CreateTable(definition.clone())).await {
            Err(Error::ResourceInUse(_)) => return Err(exists()),
            outcome => expect_table(outcome?)?,
        };
        restore::spawn(self.writer.clone(), &table.definition);
        Ok(describe(&table, TableStatus::Active))
    }
}
