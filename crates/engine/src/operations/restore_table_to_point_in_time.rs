use crate::backups::change_log;
use crate::backups::pitr;
use crate::backups::restore::{self, restored_definition, RestoreOverrides};
use crate::item_seal::SealSource;
use crate::model::{RestoreSummary, TableDescription};
use crate::{now_seconds, Engine, Error, Result};

/// The time a point-in-time restore restores to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RestoreTime {
    /// Seconds since the epoch.
    At(f64),
    Latest,
}

impl Engine {
    /// RestoreTableToPointInTime: a new table holding what the source held
    /// at the time: the latest snapshot taken at or before it, and the
    /// source's change log after the snapshot up to the time, replayed.
    pub async fn restore_table_to_point_in_time(
        &self,
        source_name: &str,
        target_name: &str,
        time: RestoreTime,
        overrides: &RestoreOverrides,
    ) -> Result<TableDescription> {
        let source = self
            .catalog
            .get(source_name)
            .ok_or_else(|| Error::TableNotFound(format!("Table not found: {source_name}")))?;
        let definition = &source.definition;
        if definition.point_in_time_recovery.is_none() {
            return Err(Error::PointInTimeRecoveryUnavailable(format!(
                "Point in time recovery is not enabled for table '{source_name}'"
            )));
        }
        if self.catalog.get(target_name).is_some() {
            return Err(Error::TableAlreadyExists(format!(
                "Table already exists: {target_name}"
            )));
        }
        let now = now_seconds();
        let Some((earliest, latest)) = self.restorable_window(definition, now)? else {
            return Err(Error::PointInTimeRecoveryUnavailable(format!(
                "Point in time recovery is not yet available for table '{source_name}'"
            )));
        };
        let time = match time {
            RestoreTime::Latest => latest,
            RestoreTime::At(time) if (earliest..=latest).contains(&time) => time,
            RestoreTime::At(_) => {
                return Err(Error::InvalidRestoreTime(format!(
                    "RestoreDateTime must be between {} and {}",
                    format_time(earliest),
                    format_time(latest)
                )))
            }
        };
        let snapshots = {
            let view = self.storage.snapshot()?;
            pitr::snapshots(&*view, definition)?
        };
        let base = pitr::base_for(&snapshots, time)
            .ok_or_else(|| Error::Internal(format!("no snapshot of {source_name} before {time}")))?;
        let until = change_log::stamp_after(time);
        let summary = RestoreSummary {
            source_backup_arn: None,
            source_table_arn: definition.arn.clone(),
            restore_time: time,
            in_progress: true,
            steps: restore::steps(&base.keyspace, Some((&definition.id, base.log_position, until))),
            // The live table's wrapping of the data key the snapshot and
            // the log were sealed with.
            sealed_source: SealSource::of(definition),
        };
        let restored = restored_definition(&base.table, target_name, overrides, summary, now)?;
        self.start_restore(restored, &overrides.sse).await
    }
}

/// A time as DynamoDB's messages show it.
fn format_time(seconds: f64) -> String {
    let millis = (seconds * 1000.0) as i64;
    let (secs, ms) = (millis.div_euclid(1000), millis.rem_euclid(1000));
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Days since 1970-01-01 as a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}
