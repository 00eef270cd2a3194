//! Backups, point-in-time recovery settings and restores, as stored.

use serde::{Deserialize, Serialize};

use super::table::{TableDefinition, TableStats};

/// Who made a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackupKind {
    /// CreateBackup.
    User,
    /// A point-in-time recovery snapshot: not listed, taken and aged out
    /// by the server.
    PointInTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BackupStatus {
    /// Its items are still being copied.
    Creating,
    Available,
    /// Reported once, by DeleteBackup; never stored.
    Deleted,
}

impl BackupStatus {
    pub fn name(self) -> &'static str {
        match self {
            BackupStatus::Creating => "CREATING",
            BackupStatus::Available => "AVAILABLE",
            BackupStatus::Deleted => "DELETED",
        }
    }
}

/// A copy of a table's items and definition as one storage snapshot saw them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupRecord {
    /// Creation time in milliseconds (14 digits), a dash, 8 hex digits: the
    /// ids sort by creation time.
    pub id: String,
    pub arn: String,
    pub name: String,
    pub kind: BackupKind,
    pub status: BackupStatus,
    /// When the snapshot was taken, in seconds since the epoch.
    pub created: f64,
    /// The source table's definition at the snapshot.
    pub table: TableDefinition,
    /// The source table's counters at the snapshot.
    pub stats: TableStats,
    /// The keyspace holding the copied items (table storage key → item).
    pub keyspace: String,
    /// Point-in-time snapshots: the last change-log stamp of the table the
    /// snapshot includes (none when the log had none).
    #[serde(default)]
    pub log_position: Option<u64>,
}

/// A table's point-in-time recovery, while enabled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PointInTimeRecovery {
    /// When it was enabled (seconds since the epoch): the change log and
    /// snapshots of an earlier enabling are not used.
    pub enabled_at: f64,
    pub recovery_period_days: i64,
}

/// One step of a restore, applied a chunk at a time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RestoreStep {
    /// Copies a backup's (or snapshot's) items.
    Copy { keyspace: String },
    /// Replays the source table's change log after stamp `after` up to
    /// (and excluding) stamp `until`.
    Replay {
        source_table_id: String,
        after: Option<u64>,
        until: u64,
    },
}

/// Where a restored table came from (DescribeTable's RestoreSummary), and
/// while it is restoring, what is left to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestoreSummary {
    pub source_backup_arn: Option<String>,
    pub source_table_arn: String,
    /// The time restored to, in seconds since the epoch.
    pub restore_time: f64,
    pub in_progress: bool,
    /// The steps, run in order (restarted from the first after a restart:
    /// each step is idempotent, and replaying them again ends in the same state).
    pub steps: Vec<RestoreStep>,
    /// The source table, when its values are sealed: the steps read them
    /// with its data key (and the restored table seals them with its own).
    #[serde(default)]
    pub sealed_source: Option<crate::item_seal::SealSource>,
}
