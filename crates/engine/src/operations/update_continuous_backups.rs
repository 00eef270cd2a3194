use super::create_table::expect_table;
use super::describe_continuous_backups::PointInTimeRecoveryDescription;
use crate::backups::pitr;
use crate::table_settings::TableChange;
use crate::writer::Command;
use crate::{now_seconds, Engine, Error, Result};

impl Engine {
    /// UpdateContinuousBackups: enables point-in-time recovery (its first
    /// snapshot follows at once, in the background), changes its period,
    /// or disables it (its history is then removed).
    pub async fn update_continuous_backups(
        &self,
        table_name: &str,
        enabled: bool,
        recovery_period_days: Option<i64>,
    ) -> Result<Option<PointInTimeRecoveryDescription>> {
        let table = self
            .catalog
            .get(table_name)
            .ok_or_else(|| Error::TableNotFound(format!("Table not found: {table_name}")))?;
        if recovery_period_days.is_some() && !enabled {
            return Err(Error::validation(
                "RecoveryPeriodInDays can only be specified when PointInTimeRecoveryEnabled is true",
            ));
        }
        let command = Command::AlterTable {
            table: table_name.to_string(),
            table_id: table.definition.id.clone(),
            change: TableChange::PointInTimeRecovery {
                enabled,
                days: recovery_period_days,
                now: now_seconds(),
            },
        };
        let updated = expect_table(self.writer.submit(command).await?)?;
        if enabled && table.definition.point_in_time_recovery.is_none() {
            pitr::spawn_first_snapshot(self.storage.clone(), self.writer.clone(), updated.definition.clone());
        }
        self.describe_continuous_backups(table_name)
    }
}
