use crate::backups::pitr;
use crate::{now_seconds, Engine, Error, Result};

/// A table's point-in-time recovery, as DescribeContinuousBackups reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct PointInTimeRecoveryDescription {
    pub recovery_period_days: i64,
    /// The restorable window, in seconds since the epoch; `None` until the
    /// first snapshot is taken (moments after enabling).
    pub window: Option<(f64, f64)>,
}

impl Engine {
    /// DescribeContinuousBackups: continuous backups are always ENABLED;
    /// point-in-time recovery when the table has it.
    pub fn describe_continuous_backups(&self, table_name: &str) -> Result<Option<PointInTimeRecoveryDescription>> {
        let table = self
            .catalog
            .get(table_name)
            .ok_or_else(|| Error::TableNotFound(format!("Table not found: {table_name}")))?;
        let Some(setting) = &table.definition.point_in_time_recovery else {
            return Ok(None);
        };
        Ok(Some(PointInTimeRecoveryDescription {
            recovery_period_days: setting.recovery_period_days,
            window: self.restorable_window(&table.definition, now_seconds())?,
        }))
    }

    /// The earliest and latest times a table can be restored to at `now`.
    pub(crate) fn restorable_window(
        &self,
        definition: &crate::model::TableDefinition,
        now: f64,
    ) -> Result<Option<(f64, f64)>> {
        let Some(setting) = &definition.point_in_time_recovery else {
            return Ok(None);
        };
        let snapshot = self.storage.snapshot()?;
        let snapshots = pitr::snapshots(&*snapshot, definition)?;
        let start = pitr::window_start(setting, now, self.config.pitr.day_seconds);
        // The window starts at its snapshot base, or later.
        Ok(pitr::base_for(&snapshots, start)
            .or(snapshots.first())
            .map(|base| (base.created.max(start), now)))
    }
}
